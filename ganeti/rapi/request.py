"""One RAPI request as the handlers see it, and how opcodes are built.

Job-based resources are declared as JobSpec values: the opcode class, the
opcode parameters the server fills from the URL and query string (the body
may not override them), legacy renames of body keys, and whether a body is
read at all.  Body parameters are then simply the opcode's parameters:
their names, types and defaults come from the opcode declaration, which
validates them (400 on failure).
"""

import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import luxi
from ganeti import opcodes_base
from ganeti.http.server import HttpError

# How a job-based method treats the request body.
BODY_PARAMS = "params"      # a JSON object of opcode parameters (or none)
BODY_IGNORED = "ignored"    # whatever is sent is not looked at
BODY_NONE = "none"          # no parameters come from the body

# Query argument value kinds.
Q_BOOL = "bool"
Q_INT = "int"
Q_STR = "str"
Q_LIST = "list"             # repeatable argument (?tag=a&tag=b)
Q_COMMA = "comma"           # comma-separated list in one argument


def BadRequest(message: str) -> HttpError:
    return HttpError(400, message)


class Request:
    """Path arguments, query arguments, parsed body and the LUXI client."""

    def __init__(self, method: str, resource: str, path_args: Dict[str, str],
                 query: Dict[str, List[str]], body: Any, has_body: bool,
                 user: Optional[str],
                 client_factory: Callable[[], luxi.Client]) -> None:
        self.method = method
        self.resource = resource
        self.path_args = path_args
        self.query = query
        self.body = body
        self.has_body = has_body
        self.user = user
        self._client_factory = client_factory
        self._client: Optional[luxi.Client] = None

    @property
    def client(self) -> luxi.Client:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def Close(self) -> None:
        if self._client is not None:
            self._client.Close()
            self._client = None

    # -- query string

    def QueryArg(self, name: str, kind: str = Q_STR, default: Any = None) -> Any:
        values = self.query.get(name)
        if not values:
            return default
        if kind == Q_LIST:
            return list(values)
        value = values[-1]
        if kind == Q_COMMA:
            return [v for v in value.split(",") if v]
        if kind in (Q_BOOL, Q_INT):
            try:
                number = int(value)
            except ValueError:
                raise BadRequest("Invalid value for parameter '%s': %r"
                                 " (an integer is expected)" % (name, value))
            return bool(number) if kind == Q_BOOL else number
        return value

    def HasQueryArg(self, name: str) -> bool:
        return bool(self.query.get(name))

    def UseBulk(self) -> bool:
        return bool(self.QueryArg("bulk", Q_BOOL, False))

    def DryRun(self) -> bool:
        return bool(self.QueryArg("dry-run", Q_BOOL, False))

    # -- body

    def BodyDict(self, default_empty: bool = True) -> Dict[str, Any]:
        """The body as a dict of parameters (400 if it is something else)."""
        if self.body is None:
            if default_empty:
                return {}
            raise BadRequest("A request body is required")
        if not isinstance(self.body, dict):
            raise BadRequest("Invalid body contents, not a dictionary")
        return dict(self.body)

    def ReasonTrail(self) -> List[List[Any]]:
        """RAPI's reason entries for the opcodes of this request."""
        now = time.time_ns()
        trail: List[List[Any]] = []
        user_reason = self.QueryArg("reason")
        if user_reason is not None:
            trail.append([constants.OPCODE_REASON_SRC_USER, user_reason, now])
        suffix = self.resource[len("R_2_"):] if \
            self.resource.startswith("R_2_") else self.resource
        trail.append(["%s:%s" % (constants.OPCODE_REASON_SRC_RLIB2, suffix),
                      "", now])
        return trail


# --- opcodes from requests ---------------------------------------------------

class JobSpec:
    """How a job-based method builds its opcode.

    url: opcode parameter -> path argument name; query: opcode parameter ->
    (query argument, kind); static: fixed opcode parameters; renames: legacy
    body key -> opcode parameter; forbidden: body keys refused with 403;
    convert: optional fn(params, request) adjusting the parameters.
    """

    def __init__(self, opcode: type, url: Optional[Dict[str, str]] = None,
                 query: Optional[Dict[str, Tuple[str, str]]] = None,
                 static: Optional[Dict[str, Any]] = None,
                 body: str = BODY_PARAMS,
                 renames: Optional[Dict[str, str]] = None,
                 forbidden: Sequence[str] = (),
                 dry_run: bool = False,
                 convert: Optional[Callable[[Dict[str, Any], Request],
                                            None]] = None) -> None:
        self.opcode = opcode
        self.url = url or {}
        self.query = dict(query or {})
        if dry_run:
            self.query["dry_run"] = ("dry-run", Q_BOOL)
        self.static = static or {}
        self.body = body
        self.renames = renames or {}
        self.forbidden = tuple(forbidden)
        self.convert = convert

    def BodyParameters(self) -> List[str]:
        """The opcode parameters a client may send in the body."""
        if self.body != BODY_PARAMS:
            return []
        fixed = set(self.url) | set(self.query) | set(self.static)
        return [name for name, _, _, _ in self.opcode.GetAllParams()
                if name not in fixed and name not in self.forbidden
                and name != "reason"]


def ApplyRenames(params: Dict[str, Any], renames: Dict[str, str]) -> None:
    for old, new in renames.items():
        if old in params:
            if new in params:
                raise BadRequest("Parameter '%s' and its legacy name '%s'"
                                 " can't both be given" % (new, old))
            params[new] = params.pop(old)


def BuildOpcode(spec: JobSpec, req: Request,
                base: Optional[Dict[str, Any]] = None) -> opcodes_base.OpCode:
    """The opcode of a job-based request (HttpError 400/403 on bad input)."""
    if base is not None:
        params = dict(base)
    elif spec.body == BODY_PARAMS:
        params = req.BodyDict()
    else:
        params = {}
    ApplyRenames(params, spec.renames)
    for name in spec.forbidden:
        if name in params:
            raise HttpError(403, "Parameter '%s' can't be changed through"
                            " the remote API" % name)
    fixed: Dict[str, Any] = {}
    for param, arg in spec.url.items():
        fixed[param] = req.path_args[arg]
    for param, (arg, kind) in spec.query.items():
        if req.HasQueryArg(arg):
            fixed[param] = req.QueryArg(arg, kind)
    fixed.update(spec.static)
    for name in fixed:
        if name in params:
            raise BadRequest("Parameter '%s' is set by the server and must"
                             " not be given in the body" % name)
    params.update(fixed)
    if spec.convert is not None:
        spec.convert(params, req)
    return MakeOpcode(spec.opcode, params, req)


def MakeOpcode(opcode: type, params: Dict[str, Any],
               req: Request) -> opcodes_base.OpCode:
    """Build one opcode with RAPI's reason trail; bad parameters are a 400."""
    params = dict(params)
    reason = params.pop("reason", None) or []
    if not isinstance(reason, list):
        raise BadRequest("Parameter 'reason' must be a list")
    params["reason"] = list(reason) + req.ReasonTrail()
    try:
        return opcode(**params)
    except errors.OpPrereqError as err:
        raise BadRequest(str(err.args[0]) if err.args else str(err))
    except TypeError as err:
        raise BadRequest("Invalid parameters: %s" % err)


def SubmitJob(req: Request, ops: Sequence[opcodes_base.OpCode]) -> Any:
    """Submit one job and return its id (a number, as upstream 3.0 does)."""
    return req.client.SubmitJob(list(ops))


def RunJobSpec(spec: JobSpec) -> Callable[[Request], Any]:
    """A handler submitting the spec's opcode as one job."""
    def handler(req: Request) -> Any:
        return SubmitJob(req, [BuildOpcode(spec, req)])
    handler.job_spec = spec  # type: ignore[attr-defined]
    return handler
