"""An OpenAPI 3.1 document of the whole remote API (beyond upstream).

Generated from the resource table (paths, methods, access rights), the job
specifications and the opcode declarations (body parameters, their types
as JSON Schema from ganeti.ht, defaults and documentation) and rlib2's
field lists (answer shapes).  Handlers that are more than one opcode
declare their query arguments and answers in _HANDLER_DOCS below.

ganeti-rapi serves it at /openapi.json (a path upstream does not use); it
is installed as doc/rapi-openapi.json (regenerate with
``python -m ganeti.rapi.openapi doc/rapi-openapi.json``).
"""

import json
import re
import sys
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

from ganeti import constants
from ganeti import ht
from ganeti import opcodes
from ganeti import opcodes_base
from ganeti.rapi import resources, rlib2
from ganeti.rapi.request import (BODY_PARAMS, JobSpec, Q_BOOL, Q_COMMA,
                                 Q_INT, Q_LIST, Q_STR)

OPENAPI_PATH = "/openapi.json"
_SECURITY_SCHEME = "basicAuth"

# Query argument kinds as JSON Schema (booleans are 0/1 in query strings).
_QUERY_SCHEMAS = {
    Q_BOOL: {"type": "integer", "enum": [0, 1]},
    Q_INT: {"type": "integer"},
    Q_STR: {"type": "string"},
    Q_LIST: {"type": "array", "items": {"type": "string"}},
    Q_COMMA: {"type": "string", "description": "comma-separated list"},
}

_JOB_ID = {"type": "integer", "minimum": 0,
           "description": "id of the submitted job"}
_TAGS = {"type": "array", "items": {"type": "string"}}
_ROLES = sorted(["master"] + list(rlib2.ROLE_SETTINGS))
_FILTER_BODY = {"type": "object", "additionalProperties": False,
                "properties": {
                    "priority": {"type": "integer", "default": 0},
                    "predicates": {"type": "array", "default": []},
                    "action": {"anyOf": [{"type": "string"},
                                         {"type": "array"}]},
                    "reason": {"type": "array", "default": []}}}


def _Object(fields: Sequence[str]) -> Dict[str, Any]:
    return {"type": "object",
            "properties": {name: {} for name in fields}}


def _Listing(id_key: str, fields: Sequence[str]) -> Dict[str, Any]:
    """A list of {id, uri} entries, or of full objects with bulk=1."""
    ref = {"type": "object", "required": [id_key, "uri"],
           "properties": {id_key: {}, "uri": {"type": "string"}}}
    return {"type": "array", "items": {"anyOf": [ref, _Object(fields)]}}


class HandlerDoc(NamedTuple):
    """What a hand-written handler reads and answers.

    query: (argument, kind, description); body: the opcode whose
    parameters the body holds, a function building its JSON Schema, a
    JSON Schema, or None for no body.
    """
    summary: str
    answer: Dict[str, Any]
    query: Tuple[Tuple[str, str, str], ...] = ()
    body: Any = None


_BULK = (("bulk", Q_BOOL, "return full objects instead of references"),)
_DRY_RUN = (("dry-run", Q_BOOL, "only check the request (opcode dry_run)"),)
_STORAGE = (("storage_type", Q_STR, "storage type"),
            ("name", Q_STR, "storage unit name"))

_HANDLER_DOCS: Dict[Tuple[str, str], HandlerDoc] = {
    ("R_root", "GET"): HandlerDoc("Nothing (upstream answers null)",
                                  {"type": "null"}),
    ("R_2", "GET"): HandlerDoc("Nothing (upstream answers null)",
                               {"type": "null"}),
    ("R_version", "GET"): HandlerDoc("The remote API version",
                                     {"type": "integer",
                                      "const": constants.RAPI_VERSION}),
    ("R_2_features", "GET"): HandlerDoc("The optional features supported",
                                        _TAGS),
    ("R_2_info", "GET"): HandlerDoc("Cluster information",
                                    {"type": "object"}),
    ("R_2_os", "GET"): HandlerDoc(
        "The operating systems (name+variant), full objects with bulk=1",
        {"type": "array", "items": {"anyOf": [
            {"type": "string"}, _Object(rlib2.OS_BULK_FIELDS)]}}, _BULK),
    ("R_2_nodes", "GET"): HandlerDoc("The nodes",
                                     _Listing("id", rlib2.N_FIELDS), _BULK),
    ("R_2_nodes_name", "GET"): HandlerDoc(
        "One node", _Object(rlib2.N_FIELDS + ["secondary_ip"])),
    ("R_2_nodes_name_role", "GET"): HandlerDoc(
        "The node's role", {"type": "string", "enum": _ROLES}),
    ("R_2_nodes_name_role", "PUT"): HandlerDoc(
        "Change the node's role (OpNodeSetParams)", _JOB_ID,
        (("force", Q_BOOL, "force the change"),
         ("auto-promote", Q_BOOL, "promote other nodes if needed")),
        {"type": "string", "enum": sorted(rlib2.ROLE_SETTINGS)}),
    ("R_2_nodes_name_migrate", "POST"): HandlerDoc(
        "Migrate all primary instances of the node", _JOB_ID,
        (("live", Q_BOOL, "legacy: live migration"),
         ("mode", Q_STR, "legacy: migration mode")), opcodes.OpNodeMigrate),
    ("R_2_nodes_name_storage", "GET"): HandlerDoc(
        "Storage units of the node (OpNodeQueryStorage)", _JOB_ID,
        (("storage_type", Q_STR, "storage type"),
         ("output_fields", Q_COMMA, "fields to return"))),
    ("R_2_nodes_name_storage_modify", "PUT"): HandlerDoc(
        "Modify a storage unit (OpNodeModifyStorage)", _JOB_ID,
        _STORAGE + (("allocatable", Q_BOOL, "whether allocatable"),)),
    ("R_2_nodes_name_storage_repair", "PUT"): HandlerDoc(
        "Repair a storage unit (OpRepairNodeStorage)", _JOB_ID, _STORAGE),
    ("R_2_instances", "GET"): HandlerDoc(
        "The instances", _Listing("id", rlib2.I_FIELDS), _BULK),
    ("R_2_instances", "POST"): HandlerDoc(
        "Create an instance (body version __version__ 1)", _JOB_ID, _DRY_RUN,
        lambda: _InstanceCreateBody(version=True)),
    ("R_2_instances_name", "GET"): HandlerDoc("One instance",
                                              _Object(rlib2.I_FIELDS)),
    ("R_2_instances_name_info", "GET"): HandlerDoc(
        "Detailed instance information (OpInstanceQueryData)", _JOB_ID,
        (("static", Q_BOOL, "only the configuration, no live data"),)),
    ("R_2_instances_name_reinstall", "POST"): HandlerDoc(
        "Reinstall the instance (shutdown, reinstall, startup)", _JOB_ID,
        (("os", Q_STR, "legacy: the OS to install"),
         ("nostartup", Q_BOOL, "legacy: do not start the instance")),
        {"type": "object", "properties": {
            "os": {"type": "string"}, "start": {"type": "boolean"},
            "osparams": {"type": "object"}}}),
    ("R_2_instances_name_console", "GET"): HandlerDoc(
        "How to reach the instance's console", {"type": "object"}),
    ("R_2_instances_multi_alloc", "POST"): HandlerDoc(
        "Allocate several instances (OpInstanceMultiAlloc)", _JOB_ID,
        _DRY_RUN, lambda: _MultiAllocBody()),
    ("R_2_groups", "GET"): HandlerDoc("The node groups",
                                      _Listing("name", rlib2.G_FIELDS),
                                      _BULK),
    ("R_2_groups_name", "GET"): HandlerDoc("One node group",
                                           _Object(rlib2.G_FIELDS)),
    ("R_2_networks", "GET"): HandlerDoc("The networks",
                                        _Listing("name", rlib2.NET_FIELDS),
                                        _BULK),
    ("R_2_networks_name", "GET"): HandlerDoc("One network",
                                             _Object(rlib2.NET_FIELDS)),
    ("R_2_jobs", "GET"): HandlerDoc("The jobs",
                                    _Listing("id", rlib2.J_FIELDS_BULK),
                                    _BULK),
    ("R_2_jobs_id", "GET"): HandlerDoc("One job", _Object(rlib2.J_FIELDS)),
    ("R_2_jobs_id", "DELETE"): HandlerDoc(
        "Cancel the job", {"type": "array", "prefixItems": [
            {"type": "boolean"}, {"type": "string"}]}),
    ("R_2_jobs_id_wait", "GET"): HandlerDoc(
        "Wait for a change of the job (long poll)",
        {"anyOf": [{"type": "null"}, {"type": "object", "properties": {
            "job_info": {"type": "array"},
            "log_entries": {"type": "array"}}}]}, (),
        {"type": "object", "required": ["fields"], "properties": {
            "fields": {"type": "array", "items": {"type": "string"}},
            "previous_job_info": {"anyOf": [{"type": "null"},
                                            {"type": "array"}]},
            "previous_log_serial": {"anyOf": [{"type": "null"},
                                              {"type": "integer"}]}}}),
    ("R_2_query", "GET"): HandlerDoc(
        "Query a resource (fields, data)", {"type": "object"},
        (("fields", Q_COMMA, "the fields to return"),)),
    ("R_2_query", "PUT"): HandlerDoc(
        "Query a resource with a filter", {"type": "object"},
        (("fields", Q_COMMA, "the fields to return"),),
        {"type": "object", "properties": {
            "fields": {"type": "array", "items": {"type": "string"}},
            "qfilter": {"anyOf": [{"type": "null"}, {"type": "array"}]},
            "filter": {"anyOf": [{"type": "null"}, {"type": "array"}]}}}),
    ("R_2_query_fields", "GET"): HandlerDoc(
        "Descriptions of a resource's query fields", {"type": "object"},
        (("fields", Q_COMMA, "only these fields"),)),
    ("R_2_filters", "GET"): HandlerDoc(
        "The job filters", _Listing("uuid", rlib2.FILTER_FIELDS), _BULK),
    ("R_2_filters", "POST"): HandlerDoc(
        "Add a job filter", {"type": "string", "description": "its uuid"},
        (), _FILTER_BODY),
    ("R_2_filters_uuid", "GET"): HandlerDoc("One job filter",
                                            _Object(rlib2.FILTER_FIELDS)),
    ("R_2_filters_uuid", "PUT"): HandlerDoc(
        "Replace (or add) a job filter",
        {"type": "string", "description": "its uuid"}, (), _FILTER_BODY),
    ("R_2_filters_uuid", "DELETE"): HandlerDoc("Delete a job filter",
                                               {"type": "null"}),
}

_TAG_DOCS = {
    "GET": HandlerDoc("The tags", _TAGS),
    "PUT": HandlerDoc("Add tags (OpTagsSet)", _JOB_ID,
                      (("tag", Q_LIST, "a tag (repeatable)"),) + _DRY_RUN),
    "DELETE": HandlerDoc("Remove tags (OpTagsDel)", _JOB_ID,
                         (("tag", Q_LIST, "a tag (repeatable)"),) +
                         _DRY_RUN),
}


def _InstanceCreateBody(version: bool) -> Dict[str, Any]:
    """OpInstanceCreate's parameters (and legacy names) as RAPI takes them."""
    # pylint: disable=protected-access
    schema = OpcodeBodySchema(opcodes.OpInstanceCreate, ["dry_run"],
                              rlib2._CREATE_RENAMES)
    if version:
        schema["properties"]["__version__"] = {
            "type": "integer", "const": 1,
            "description": "version of the request body"}
        schema["required"] = ["__version__"] + schema.get("required", [])
    return schema


def _MultiAllocBody() -> Dict[str, Any]:
    schema = OpcodeBodySchema(opcodes.OpInstanceMultiAlloc, ["dry_run"])
    instances = schema["properties"]["instances"]
    instances["items"] = _InstanceCreateBody(version=False)
    schema["required"] = ["instances"]
    return schema


def HandlerDocOf(resource: resources.Resource,
                 method: str) -> Optional[HandlerDoc]:
    """The declaration of a hand-written handler (None if job-based)."""
    if resource.class_name.endswith("_tags"):
        return _TAG_DOCS[method]
    return _HANDLER_DOCS.get((resource.class_name, method))


def ParamSchema(check: Any, default: Any, doc: str) -> Dict[str, Any]:
    """The JSON Schema of one opcode parameter."""
    schema = ht.JsonSchema(check)
    schema["x-ganeti-type"] = ht.Describe(check)
    if doc:
        schema["description"] = doc
    if default is not ht.NoDefault and not callable(default):
        try:
            json.dumps(default)
        except (TypeError, ValueError):
            pass
        else:
            schema["default"] = default
    return schema


_GENERIC_REF = "#/components/schemas/OpParam."


def _GenericParamSchemas() -> Dict[str, Any]:
    """The parameters every opcode has, referenced from the bodies."""
    return {"OpParam." + name: ParamSchema(check, default, doc)
            for name, default, check, doc in
            opcodes_base.OpCode.GetAllParams()
            if name in opcodes_base.GENERIC_PARAM_NAMES}


def OpcodeBodySchema(opcode: type, exclude: Sequence[str] = (),
                     renames: Optional[Dict[str, str]] = None
                     ) -> Dict[str, Any]:
    """A JSON object of the opcode's parameters (but the excluded ones)."""
    properties: Dict[str, Any] = {}
    required: List[str] = []
    skip = set(exclude) | {"reason"}
    for name, default, check, doc in opcode.GetAllParams():
        if name in skip:
            continue
        if name in opcodes_base.GENERIC_PARAM_NAMES:
            properties[name] = {"$ref": _GENERIC_REF + name}
        else:
            properties[name] = ParamSchema(check, default, doc)
        if default is ht.NoDefault:
            required.append(name)
    for old, new in sorted((renames or {}).items()):
        if new in properties:
            legacy = dict(properties[new])
            legacy["description"] = "legacy name of %s" % new
            properties[old] = legacy
            if new in required:  # either name will do
                required.remove(new)
    schema: Dict[str, Any] = {"type": "object", "properties": properties,
                              "additionalProperties": False,
                              "x-ganeti-opcode": opcode.OP_ID}
    if required:
        schema["required"] = required
    return schema


def _QueryParameter(name: str, kind: str, description: str) -> Dict[str, Any]:
    param = {"name": name, "in": "query", "required": False,
             "description": description,
             "schema": dict(_QUERY_SCHEMAS[kind])}
    if kind == Q_LIST:
        param["explode"] = True
    return param


def _PathParameters(template: str) -> List[Dict[str, Any]]:
    return [{"name": name, "in": "path", "required": True,
             "schema": {"type": "string"}}
            for name in re.findall(r"\{([a-z_]+)\}", template)]


def _JobOperation(spec: JobSpec) -> Tuple[str, Dict[str, Any],
                                          List[Dict[str, Any]],
                                          Optional[Dict[str, Any]]]:
    """(summary, answer, query parameters, body schema) of a job spec."""
    query = [_QueryParameter(arg, kind, "opcode parameter %s" % param)
             for param, (arg, kind) in sorted(spec.query.items())]
    body = None
    if spec.body == BODY_PARAMS:
        fixed = set(spec.url) | set(spec.query) | set(spec.static) | \
            set(spec.forbidden)
        body = OpcodeBodySchema(spec.opcode, sorted(fixed), spec.renames)
    doc = (spec.opcode.__doc__ or spec.opcode.__name__).strip()
    summary = "%s (%s)" % (doc.splitlines()[0].rstrip("."),
                           spec.opcode.__name__)
    return summary, _JOB_ID, query, body


def _HandlerOperation(doc: HandlerDoc) -> Tuple[str, Dict[str, Any],
                                                List[Dict[str, Any]],
                                                Optional[Dict[str, Any]]]:
    query = [_QueryParameter(*arg) for arg in doc.query]
    body = doc.body
    if isinstance(body, type):
        body = OpcodeBodySchema(body)
    elif callable(body):
        body = body()
    return doc.summary, doc.answer, query, body


def _Operation(resource: resources.Resource, method: str,
               spec: resources.Method) -> Dict[str, Any]:
    job_spec = getattr(spec.handler, "job_spec", None)
    if job_spec is not None:
        summary, answer, query, body = _JobOperation(job_spec)
    else:
        doc = HandlerDocOf(resource, method)
        if doc is None:
            raise ValueError("No documentation of %s %s" %
                             (method, resource.template))
        summary, answer, query, body = _HandlerOperation(doc)
    query.append(_QueryParameter("reason", Q_STR, "reason of the change"
                                 " (added to the opcodes' reason trail)"))
    operation: Dict[str, Any] = {
        "operationId": "%s_%s" % (method.lower(), resource.class_name),
        "summary": summary,
        "x-ganeti-handler": resource.class_name,
        "x-ganeti-access": spec.access or [],
        "parameters": _PathParameters(resource.template) + query,
        "responses": _Responses(answer, spec.access is not None),
    }
    if spec.access is None:
        operation["security"] = [{}, {_SECURITY_SCHEME: []}]
        operation["description"] = ("Anonymous access allowed (unless the"
                                    " daemon runs with"
                                    " --require-authentication).")
    else:
        operation["security"] = [{_SECURITY_SCHEME: []}]
        operation["description"] = ("Needs a user with one of the access"
                                    " options: %s." % ", ".join(spec.access))
    if body is not None:
        operation["requestBody"] = {
            "required": False,
            "content": {"application/json": {"schema": body}}}
    return operation


# The error answers, shared by every operation.
_ERRORS = {
    "400": ("BadRequest", "bad parameters or body"),
    "401": ("Unauthorized", "authentication required or wrong"),
    "403": ("Forbidden", "the user lacks the needed access option"),
    "404": ("NotFound", "unknown resource or object"),
    "415": ("UnsupportedMediaType", "body not application/json"),
    "502": ("BadGateway", "master daemon unreachable"),
    "503": ("ServiceUnavailable", "job queue full or drained"),
}


def _Responses(answer: Dict[str, Any], restricted: bool) -> Dict[str, Any]:
    responses: Dict[str, Any] = {
        "200": {"description": "success",
                "content": {"application/json": {"schema": answer}}}}
    for code, (name, _) in _ERRORS.items():
        if code != "403" or restricted:
            responses[code] = {"$ref": "#/components/responses/" + name}
    return responses


def _ErrorResponses() -> Dict[str, Any]:
    return {name: {"description": description,
                   "content": {"application/json": {
                       "schema": {"$ref": "#/components/schemas/Error"}}}}
            for name, description in _ERRORS.values()}


def BuildDocument() -> Dict[str, Any]:
    """The OpenAPI document of every resource in the table."""
    paths: Dict[str, Any] = {}
    for resource in resources.RESOURCES:
        item = paths.setdefault(resource.template, {})
        for method, spec in resource.methods.items():
            item[method.lower()] = _Operation(resource, method, spec)
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {"title": "Ganeti Remote API",
                 "version": str(constants.RAPI_VERSION),
                 "description": "The remote API of ganeti-rapi (HTTPS, port"
                 " %d, master node); every change is a job whose id is the"
                 " answer." % constants.DEFAULT_RAPI_PORT},
        "servers": [{"url": "https://{master}:%d" %
                     constants.DEFAULT_RAPI_PORT,
                     "variables": {"master": {"default": "localhost"}}}],
        "components": {
            "responses": _ErrorResponses(),
            "securitySchemes": {_SECURITY_SCHEME: {"type": "http",
                                                   "scheme": "basic"}},
            "schemas": dict(_GenericParamSchemas(), Error={
                "type": "object", "required": ["code", "message", "explain"],
                "properties": {"code": {"type": "integer"},
                               "message": {"type": "string"},
                               "explain": {"type": "string"}}})},
        "paths": paths,
    }


def RenderDocument() -> str:
    """The document as served and installed (stable key order)."""
    return json.dumps(BuildDocument(), indent=1, sort_keys=True) + "\n"


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if len(argv) != 1:
        print("Usage: python -m ganeti.rapi.openapi OUTFILE", file=sys.stderr)
        return 1
    with open(argv[0], "w") as handle:
        handle.write(RenderDocument())
    return 0


if __name__ == "__main__":
    sys.exit(main())
