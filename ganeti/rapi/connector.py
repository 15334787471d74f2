"""Dispatch of one HTTP request to its RAPI resource.

Order of checks, as upstream: the path must name a resource (404), the
method must be one it has (501), credentials that are sent must be right
(401, also on reads), a method listing access options needs a user holding
one of them (401 without credentials, 403 with a user lacking them), a body
must be JSON with Content-Type application/json (415, 400).  Errors are
JSON objects ``{"code", "message", "explain"}``.  /openapi.json (not an
upstream path) answers the OpenAPI document of the API.
"""

import http.client
import json
import logging
import urllib.parse
from typing import Any, Callable, Dict, Optional, Tuple

from ganeti import errors
from ganeti import luxi
from ganeti import serializer
from ganeti.http.server import HttpError
from ganeti.rapi import openapi, resources
from ganeti.rapi.request import Request
from ganeti.rapi.users import REALM, ParseBasicAuth, UsersFile

_JSON_TYPE = "application/json"
_AUTH_HEADERS = {"WWW-Authenticate": 'Basic realm="%s"' % REALM}
_UNAUTHORIZED = "No permission -- see authorization schemes"
_MAX_EXPLAIN = 2000


def FormatError(code: int, explain: str) -> Tuple[str, bytes]:
    """The JSON body of an error answer (the HTTP server's error format)."""
    if len(explain) > _MAX_EXPLAIN:
        explain = explain[:_MAX_EXPLAIN] + "..."
    body = {"code": code,
            "message": http.client.responses.get(code, "Error"),
            "explain": explain}
    return _JSON_TYPE, json.dumps(body).encode("utf-8")


def _LuxiErrorToHttp(err: Exception) -> HttpError:
    """The HTTP answer for an error raised by the master."""
    if isinstance(err, errors.JobQueueFull):
        return HttpError(503, "Job queue is full, needs archiving")
    if isinstance(err, errors.JobQueueDrainError):
        return HttpError(503, "Job queue is drained, cannot submit")
    if isinstance(err, errors.TimeoutError):
        return HttpError(504, "Timeout while talking to the master daemon")
    if isinstance(err, errors.ProtocolError):
        return HttpError(502, "Master daemon unreachable or protocol"
                         " error: %s" % (err,))
    if isinstance(err, errors.OpPrereqError):
        code = err.args[1] if len(err.args) > 1 else None
        message = err.args[0] if err.args else str(err)
        if code == errors.ECODE_NOENT:
            return HttpError(404, str(message))
        return HttpError(400, str(message))
    if isinstance(err, (errors.ParameterError, errors.OpCodeUnknown,
                        errors.TypeEnforcementError, errors.TagError)):
        return HttpError(400, str(err))
    return HttpError(500, "%s: %s" % (type(err).__name__, err))


class RapiConnector:
    """The HTTP server's handler: one call per request."""

    def __init__(self, users: UsersFile, require_authentication: bool = False,
                 client_factory: Optional[Callable[[], luxi.Client]] = None
                 ) -> None:
        self.users = users
        self.require_authentication = require_authentication
        self.client_factory = client_factory or luxi.Client
        self._openapi: Optional[bytes] = None

    def __call__(self, method: str, raw_path: str, headers: Any,
                 body: bytes) -> Tuple[int, Dict[str, str], bytes]:
        parts = urllib.parse.urlsplit(raw_path)
        path = urllib.parse.unquote(parts.path)
        if path == openapi.OPENAPI_PATH:
            return self._OpenApi(method, headers)
        found = resources.Lookup(path)
        if found is None:
            raise HttpError(404, "Nothing matches the given URI")
        resource, path_args = found
        if method == "HEAD" and "GET" in resource.methods:
            method = "GET"
        spec = resource.methods.get(method)
        if spec is None:
            raise HttpError(501, "Method %s is unsupported for path %s" %
                            (method, path))
        user = self._Authenticate(headers, spec.access)
        parsed, has_body = self._ParseBody(headers, body)
        try:
            query = urllib.parse.parse_qs(parts.query, keep_blank_values=True,
                                          max_num_fields=1000)
        except ValueError as err:
            raise HttpError(400, "Invalid query string: %s" % err)
        req = Request(method, resource.class_name, path_args, query, parsed,
                      has_body, user, self.client_factory)
        try:
            result = spec.handler(req)
        except HttpError:
            raise
        except errors.GenericError as err:
            raise _LuxiErrorToHttp(err)
        finally:
            req.Close()
        # Keys keep the order the handlers built (upstream's field order).
        text = json.dumps(result,
                          default=serializer.EncodeWithoutPrivateFields)
        return 200, {"Content-Type": _JSON_TYPE}, text.encode("utf-8")

    def _OpenApi(self, method: str, headers: Any
                 ) -> Tuple[int, Dict[str, str], bytes]:
        """The OpenAPI document of the whole API (anonymous read)."""
        if method not in ("GET", "HEAD"):
            raise HttpError(501, "Method %s is unsupported for path %s" %
                            (method, openapi.OPENAPI_PATH))
        self._Authenticate(headers, None)
        if self._openapi is None:
            self._openapi = openapi.RenderDocument().encode("utf-8")
        return 200, {"Content-Type": _JSON_TYPE}, self._openapi

    def _Authenticate(self, headers: Any, access) -> Optional[str]:
        try:
            credentials = ParseBasicAuth(headers.get("Authorization"))
        except ValueError:
            raise HttpError(401, _UNAUTHORIZED, _AUTH_HEADERS)
        user = None
        if credentials is not None:
            user = self.users.Authenticate(*credentials)
            if user is None:
                logging.info("Rejected RAPI credentials for user %r",
                             credentials[0])
                raise HttpError(401, _UNAUTHORIZED, _AUTH_HEADERS)
        needs_user = access is not None or self.require_authentication
        if not needs_user:
            return user.name if user else None
        if user is None:
            raise HttpError(401, _UNAUTHORIZED, _AUTH_HEADERS)
        if access is not None and not user.options.intersection(access):
            raise HttpError(403, "Permission denied")
        return user.name

    @staticmethod
    def _ParseBody(headers: Any, body: bytes) -> Tuple[Any, bool]:
        if not body:
            return None, False
        ctype = (headers.get("Content-Type") or "").split(";")[0].strip()
        if ctype.lower() != _JSON_TYPE:
            raise HttpError(415, "Unsupported Content-Type %r (expected %s)"
                            % (ctype, _JSON_TYPE))
        try:
            return serializer.LoadJson(body.decode("utf-8")), True
        except (ValueError, UnicodeDecodeError, RecursionError) as err:
            raise HttpError(400, "Unable to parse JSON data: %s" %
                            str(err)[:200])
