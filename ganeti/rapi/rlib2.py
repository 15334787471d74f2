"""RAPI version 2 handlers that are more than one opcode: queries, jobs,
tags, roles, instance creation and reinstallation.

Every query goes through LUXI to the master's query layer, as the CLI's
do; every change is a job.
"""

from typing import Any, Dict, List, Optional

from ganeti import constants
from ganeti import errors
from ganeti import opcodes
from ganeti.http.server import HttpError
from ganeti.rapi import key_order
from ganeti.rapi.request import (BadRequest, MakeOpcode, Q_BOOL, Q_COMMA,
                                 Q_LIST, Request, SubmitJob)

N_FIELDS = ["name", "offline", "master_candidate", "drained", "dtotal",
            "dfree", "sptotal", "spfree", "mtotal", "mnode", "mfree",
            "pinst_cnt", "sinst_cnt", "ctotal", "cnos", "cnodes", "csockets",
            "pip", "sip", "role", "pinst_list", "sinst_list",
            "master_capable", "vm_capable", "ndparams", "group.uuid",
            "ctime", "mtime", "uuid", "serial_no", "tags"]
I_FIELDS = ["name", "admin_state", "os", "pnode", "snodes", "disk_template",
            "nic.ips", "nic.macs", "nic.modes", "nic.uuids", "nic.names",
            "nic.links", "nic.networks", "nic.networks.names", "nic.bridges",
            "network_port", "disk.sizes", "disk.spindles", "disk_usage",
            "disk.uuids", "disk.names", "beparams", "hvparams", "oper_state",
            "oper_ram", "oper_vcpus", "status", "custom_hvparams",
            "custom_beparams", "custom_nicparams", "ctime", "mtime", "uuid",
            "serial_no", "tags"]
G_FIELDS = ["alloc_policy", "name", "node_cnt", "node_list", "ipolicy",
            "custom_ipolicy", "diskparams", "custom_diskparams", "ndparams",
            "custom_ndparams", "ctime", "mtime", "uuid", "serial_no", "tags"]
NET_FIELDS = ["name", "network", "gateway", "network6", "gateway6",
              "mac_prefix", "free_count", "reserved_count", "map",
              "group_list", "inst_list", "external_reservations", "ctime",
              "mtime", "uuid", "serial_no", "tags"]
J_FIELDS_BULK = ["id", "ops", "status", "summary", "opstatus",
                 "received_ts", "start_ts", "end_ts"]
J_FIELDS = J_FIELDS_BULK + ["oplog", "opresult"]
FILTER_FIELDS = ["watermark", "priority", "predicates", "action",
                 "reason_trail", "uuid"]
OS_BULK_FIELDS = ["name", "valid", "variants", "parameters", "api_versions",
                  "blacklisted", "hidden", "trusted"]
QUERY_RESOURCES = frozenset(["instance", "node", "group", "network", "job",
                             "export", "lock", "filter", "os", "cluster"])

# Node roles as RAPI names them, from the query layer's one-letter role.
_ROLE_NAMES = {"M": "master", "C": "master-candidate", "R": "regular",
               "D": "drained", "O": "offline"}
ROLE_SETTINGS = {
    "master-candidate": dict(master_candidate=True, offline=False,
                             drained=False),
    "regular": dict(master_candidate=False, offline=False, drained=False),
    "drained": dict(master_candidate=False, offline=False, drained=True),
    "offline": dict(master_candidate=False, offline=True, drained=False),
}

NOT_FOUND_EXPLAIN = "Nothing matches the given URI"


def NotFound(explain: str = NOT_FOUND_EXPLAIN) -> HttpError:
    return HttpError(404, explain)


# --- query helpers -----------------------------------------------------------

def _Rows(answer: Dict[str, Any]) -> List[List[Any]]:
    """Values of a QueryResponse (None where a field is not available)."""
    rows = []
    for row in answer.get("data", []):
        rows.append([value if status == constants.RS_NORMAL else None
                     for status, value in row])
    return rows


def QueryDicts(req: Request, what: str, fields: List[str],
               qfilter: Any = None) -> List[Dict[str, Any]]:
    answer = req.client.Query(what, fields, qfilter)
    return [dict(zip(fields, row)) for row in _Rows(answer)]


def _NameFilter(field: str, name: str) -> List[Any]:
    return ["|", ["=", field, name]]


def QueryOne(req: Request, what: str, fields: List[str], name: str,
             key: str = "name") -> Dict[str, Any]:
    try:
        rows = QueryDicts(req, what, fields, _NameFilter(key, name))
    except errors.OpPrereqError as err:
        if len(err.args) > 1 and err.args[1] == errors.ECODE_NOENT:
            raise NotFound()
        raise
    if not rows:
        raise NotFound()
    return rows[0]


# The LUXI methods answering whole lists with plain values (None where a
# value is not available, as _Rows makes them): the same query layer as
# Query, without a [status, value] pair per value, i.e. a third less JSON
# to encode on the master and to decode here for a bulk list.
_PLAIN_QUERIES = {
    "instance": "QueryInstances",
    "node": "QueryNodes",
    "group": "QueryGroups",
    "network": "QueryNetworks",
}


def _PlainDicts(req: Request, what: str,
                fields: List[str]) -> List[Dict[str, Any]]:
    """Every object of a resource (sorted by name) as field -> value."""
    rows = getattr(req.client, _PLAIN_QUERIES[what])([], fields, False)
    return [dict(zip(fields, row)) for row in rows]


def _ListOrBulk(req: Request, what: str, key: str, id_key: str,
                uri: str, fields: List[str], fix=None) -> List[Any]:
    if req.UseBulk():
        rows = _PlainDicts(req, what, fields)
        if fix is not None:
            for row in rows:
                fix(row)
        return rows
    return [{id_key: row[key], "uri": uri % row[key]}
            for row in _PlainDicts(req, what, [key])]


def _FixInstance(row: Dict[str, Any]) -> None:
    beparams = row.get("beparams")
    if isinstance(beparams, dict) and "maxmem" in beparams:
        beparams["memory"] = beparams["maxmem"]
    for key in ("beparams", "custom_beparams"):
        if key in row:
            row[key] = key_order.Ordered(row[key], key_order.BEPARAMS_KEYS)


def _FixNode(row: Dict[str, Any]) -> None:
    if "ndparams" in row:
        row["ndparams"] = key_order.Ordered(row["ndparams"],
                                            key_order.NDPARAMS_KEYS)


def _FixGroup(row: Dict[str, Any]) -> None:
    _FixNode(row)
    for key in ("ipolicy", "custom_ipolicy"):
        if key in row:
            row[key] = key_order.OrderedIPolicy(row[key])


# --- cluster -----------------------------------------------------------------

def GetRoot(req: Request) -> Any:
    return None


def GetVersion(req: Request) -> Any:
    return constants.RAPI_VERSION


def GetFeatures(req: Request) -> Any:
    return list(constants.RAPI_FEATURES)


def GetInfo(req: Request) -> Any:
    info = req.client.QueryClusterInfo()
    if isinstance(info, dict):
        info["vg_name"] = info.get("volume_group_name")
        info["drbd_helper"] = info.get("drbd_usermode_helper")
        info = key_order.OrderedInfo(info)
    return info


def GetOs(req: Request) -> Any:
    if req.UseBulk():
        return QueryDicts(req, "os", OS_BULK_FIELDS)
    op = MakeOpcode(opcodes.OpOsDiagnose,
                    dict(output_fields=["name", "variants"], names=[]), req)
    job_id = SubmitJob(req, [op])
    result = WaitForJobResult(req, job_id)
    names: List[str] = []
    for name, variants in result[0]:
        if variants:
            names.extend("%s+%s" % (name, v) for v in variants)
        else:
            names.append(name)
    return names


def WaitForJobResult(req: Request, job_id: Any) -> Any:
    """Wait for a job RAPI submitted itself; its result or a 502."""
    status = None
    prev_info, prev_serial = None, None
    while True:
        answer = req.client.WaitForJobChangeOnce(
            job_id, ["status"], prev_info, prev_serial,
            timeout=constants.RAPI_JOB_WAIT_TIMEOUT)
        if answer is None:
            raise HttpError(502, "Job %s disappeared" % job_id)
        if answer != constants.JOB_NOTCHANGED:
            prev_info, log_entries = answer
            if log_entries:
                prev_serial = log_entries[-1][0]
            status = prev_info[0]
            if status in constants.JOBS_FINALIZED:
                break
    row = req.client.QueryJobs([job_id], ["status", "opresult"])[0]
    if row is None or row[0] != constants.JOB_STATUS_SUCCESS:
        raise HttpError(502, "Job %s failed: %s" %
                        (job_id, row[1] if row else "lost"))
    return row[1]


# --- nodes, instances, groups, networks -------------------------------------

def GetNodes(req: Request) -> Any:
    return _ListOrBulk(req, "node", "name", "id", "/2/nodes/%s", N_FIELDS,
                       _FixNode)


def GetNode(req: Request) -> Any:
    row = QueryOne(req, "node", N_FIELDS, req.path_args["name"])
    _FixNode(row)
    row["secondary_ip"] = row.get("sip")
    return row


def GetNodeRole(req: Request) -> Any:
    row = QueryOne(req, "node", ["role"], req.path_args["name"])
    return _ROLE_NAMES.get(row["role"], row["role"])


def PutNodeRole(req: Request) -> Any:
    role = req.body
    if role not in ROLE_SETTINGS:
        raise BadRequest("Can't set '%s' role" % (role,))
    params: Dict[str, Any] = dict(ROLE_SETTINGS[role])
    params["node_name"] = req.path_args["name"]
    params["force"] = req.QueryArg("force", Q_BOOL, False)
    params["auto_promote"] = req.QueryArg("auto-promote", Q_BOOL, False)
    return SubmitJob(req, [MakeOpcode(opcodes.OpNodeSetParams, params, req)])


def GetNodeStorage(req: Request) -> Any:
    fields = req.QueryArg("output_fields", Q_COMMA)
    if not fields:
        raise BadRequest("Missing the required 'output_fields' parameter")
    params = dict(nodes=[req.path_args["name"]], output_fields=fields,
                  storage_type=req.QueryArg("storage_type"))
    return SubmitJob(req, [MakeOpcode(opcodes.OpNodeQueryStorage, params,
                                      req)])


def PutNodeStorageModify(req: Request) -> Any:
    name = req.QueryArg("name")
    if not name:
        raise BadRequest("Missing the required 'name' parameter")
    changes: Dict[str, Any] = {}
    if req.HasQueryArg("allocatable"):
        changes["allocatable"] = req.QueryArg("allocatable", Q_BOOL)
    params = dict(node_name=req.path_args["name"], name=name, changes=changes,
                  storage_type=req.QueryArg("storage_type"))
    return SubmitJob(req, [MakeOpcode(opcodes.OpNodeModifyStorage, params,
                                      req)])


def PutNodeStorageRepair(req: Request) -> Any:
    name = req.QueryArg("name")
    if not name:
        raise BadRequest("Missing the required 'name' parameter")
    params = dict(node_name=req.path_args["name"], name=name,
                  storage_type=req.QueryArg("storage_type"))
    return SubmitJob(req, [MakeOpcode(opcodes.OpRepairNodeStorage, params,
                                      req)])


def PostNodeMigrate(req: Request) -> Any:
    params: Dict[str, Any]
    if req.HasQueryArg("live") or req.HasQueryArg("mode"):
        params = {}
        if req.HasQueryArg("live"):
            params["mode"] = (constants.HT_MIGRATION_LIVE
                              if req.QueryArg("live", Q_BOOL)
                              else constants.HT_MIGRATION_NONLIVE)
        if req.HasQueryArg("mode"):
            params["mode"] = req.QueryArg("mode")
    else:
        params = req.BodyDict()
    if "node_name" in params:
        raise BadRequest("Parameter 'node_name' is set by the server and"
                         " must not be given in the body")
    params["node_name"] = req.path_args["name"]
    return SubmitJob(req, [MakeOpcode(opcodes.OpNodeMigrate, params, req)])


def GetInstances(req: Request) -> Any:
    return _ListOrBulk(req, "instance", "name", "id", "/2/instances/%s",
                       I_FIELDS, _FixInstance)


def GetInstance(req: Request) -> Any:
    row = QueryOne(req, "instance", I_FIELDS, req.path_args["name"])
    _FixInstance(row)
    return row


def _ConvertUsbDevices(params: Dict[str, Any]) -> None:
    hvparams = params.get("hvparams")
    if isinstance(hvparams, dict) and \
            isinstance(hvparams.get("usb_devices"), str):
        hvparams["usb_devices"] = hvparams["usb_devices"].replace(" ", ",")


_CREATE_RENAMES = {"name": "instance_name", "os": "os_type"}


def _InstanceCreateParams(data: Any, req: Request) -> Dict[str, Any]:
    if not isinstance(data, dict):
        raise BadRequest("Invalid body contents, not a dictionary")
    params = dict(data)
    params.pop("__version__", None)
    params.pop("OP_ID", None)
    for old, new in _CREATE_RENAMES.items():
        if old in params:
            if new in params:
                raise BadRequest("Parameter '%s' and its legacy name '%s'"
                                 " can't both be given" % (new, old))
            params[new] = params.pop(old)
    _ConvertUsbDevices(params)
    return params


def PostInstances(req: Request) -> Any:
    body = req.BodyDict(default_empty=False)
    version = body.get("__version__", 0)
    if version != 1:
        if version == 0:
            raise BadRequest("Instance creation request version 0 is no"
                             " longer supported")
        raise BadRequest("Unsupported request data version %s" % (version,))
    params = _InstanceCreateParams(body, req)
    if "dry_run" in params:
        raise BadRequest("Parameter 'dry_run' is set by the server and must"
                         " not be given in the body")
    params["dry_run"] = req.DryRun()
    return SubmitJob(req, [MakeOpcode(opcodes.OpInstanceCreate, params, req)])


def PostInstancesMultiAlloc(req: Request) -> Any:
    body = req.BodyDict(default_empty=False)
    if "instances" not in body:
        raise BadRequest("Request is missing required 'instances' field"
                         " in body")
    if not isinstance(body["instances"], list):
        raise BadRequest("'instances' must be a list")
    insts = []
    for one in body.pop("instances"):
        params = _InstanceCreateParams(one, req)
        # validated here, sent as their serialized form (what LUXI carries)
        insts.append(MakeOpcode(opcodes.OpInstanceCreate, params,
                                req).ToDict())
    body["instances"] = insts
    body["dry_run"] = req.DryRun()
    return SubmitJob(req, [MakeOpcode(opcodes.OpInstanceMultiAlloc, body,
                                      req)])


def ConvertReboot(params: Dict[str, Any], req: Request) -> None:
    """The reboot type defaults to hard (no ?type=)."""
    params.setdefault("reboot_type", constants.INSTANCE_REBOOT_HARD)


def ConvertInstanceModify(params: Dict[str, Any], req: Request) -> None:
    _ConvertUsbDevices(params)


def GetInstanceInfo(req: Request) -> Any:
    params = dict(instances=[req.path_args["name"]],
                  static=req.QueryArg("static", Q_BOOL, False))
    return SubmitJob(req, [MakeOpcode(opcodes.OpInstanceQueryData, params,
                                      req)])


def PostInstanceReinstall(req: Request) -> Any:
    name = req.path_args["name"]
    if req.body is not None:
        if req.HasQueryArg("os") or req.HasQueryArg("nostartup"):
            raise BadRequest("Parameters 'os' and 'nostartup' may only be"
                             " given as query arguments without a body")
        body = req.BodyDict()
        unknown = set(body) - {"os", "start", "osparams"}
        if unknown:
            raise BadRequest("Unknown parameter(s) in body: %s" %
                             ", ".join(sorted(unknown)))
        os_name = body.get("os")
        start = body.get("start", True)
        osparams = body.get("osparams")
    else:
        os_name = req.QueryArg("os")
        start = not req.QueryArg("nostartup", Q_BOOL, False)
        osparams = None
    if not isinstance(start, bool):
        raise BadRequest("Parameter 'start' must be a boolean")
    ops = [MakeOpcode(opcodes.OpInstanceShutdown,
                      dict(instance_name=name), req),
           MakeOpcode(opcodes.OpInstanceReinstall,
                      dict(instance_name=name, os_type=os_name,
                           osparams=osparams), req)]
    if start:
        ops.append(MakeOpcode(opcodes.OpInstanceStartup,
                              dict(instance_name=name, force=False), req))
    return SubmitJob(req, ops)


def ConvertReplaceDisks(params: Dict[str, Any], req: Request) -> None:
    if req.body is None:
        for arg in ("remote_node", "mode", "iallocator"):
            if req.HasQueryArg(arg):
                params[arg] = req.QueryArg(arg)
        if req.HasQueryArg("disks"):
            params["disks"] = req.QueryArg("disks", Q_COMMA)
    disks = params.get("disks")
    if isinstance(disks, str):
        disks = [d for d in disks.split(",") if d]
    if isinstance(disks, list):
        try:
            params["disks"] = [int(d) for d in disks]
        except (TypeError, ValueError):
            raise BadRequest("Invalid disk index passed: %r" % (disks,))


def ConvertGrowDisk(params: Dict[str, Any], req: Request) -> None:
    try:
        params["disk"] = int(req.path_args["disk_index"])
    except ValueError:
        raise BadRequest("Invalid disk index %r" % req.path_args["disk_index"])


def ConvertExport(params: Dict[str, Any], req: Request) -> None:
    if "destination" in params:
        if "target_node" in params:
            raise BadRequest("Parameters 'destination' and 'target_node'"
                             " can't both be given")
        params["target_node"] = params.pop("destination")


def GetInstanceConsole(req: Request) -> Any:
    row = QueryOne(req, "instance", ["console", "oper_state"],
                   req.path_args["name"])
    if not row["oper_state"] or not row["console"]:
        raise HttpError(503, "Instance console unavailable")
    return row["console"]


def GetGroups(req: Request) -> Any:
    return _ListOrBulk(req, "group", "name", "name", "/2/groups/%s", G_FIELDS,
                       _FixGroup)


def GetGroup(req: Request) -> Any:
    row = QueryOne(req, "group", G_FIELDS, req.path_args["name"])
    _FixGroup(row)
    return row


def GetNetworks(req: Request) -> Any:
    return _ListOrBulk(req, "network", "name", "name", "/2/networks/%s",
                       NET_FIELDS)


def GetNetwork(req: Request) -> Any:
    return QueryOne(req, "network", NET_FIELDS, req.path_args["name"])


# --- tags --------------------------------------------------------------------

def TagHandlers(kind: str):
    """GET/PUT/DELETE handlers of the tags of one kind of object."""
    def _Name(req: Request) -> Optional[str]:
        return req.path_args.get("name") if kind != constants.TAG_CLUSTER \
            else None

    def get(req: Request) -> Any:
        return list(req.client.QueryTags(kind, _Name(req)))

    def change(opcode):
        def handler(req: Request) -> Any:
            tags = req.QueryArg("tag", Q_LIST, [])
            if not tags:
                raise BadRequest("Missing the 'tag' query argument")
            params = dict(kind=kind, name=_Name(req), tags=tags,
                          dry_run=req.DryRun())
            return SubmitJob(req, [MakeOpcode(opcode, params, req)])
        return handler

    return get, change(opcodes.OpTagsSet), change(opcodes.OpTagsDel)


# --- jobs --------------------------------------------------------------------

def _JobId(req: Request) -> int:
    try:
        return int(req.path_args["job_id"])
    except ValueError:
        raise NotFound()


def GetJobs(req: Request) -> Any:
    if req.UseBulk():
        rows = req.client.QueryJobs(None, J_FIELDS_BULK)
        return [dict(zip(J_FIELDS_BULK, row)) for row in rows if row]
    rows = req.client.QueryJobs(None, ["id"])
    ids = sorted(row[0] for row in rows if row)
    return [{"id": job_id, "uri": "/2/jobs/%s" % job_id} for job_id in ids]


def GetJob(req: Request) -> Any:
    rows = req.client.QueryJobs([_JobId(req)], J_FIELDS)
    if not rows or rows[0] is None:
        raise NotFound()
    return dict(zip(J_FIELDS, rows[0]))


def DeleteJob(req: Request) -> Any:
    return req.client.CancelJob(_JobId(req))


def GetJobWait(req: Request) -> Any:
    body = req.BodyDict(default_empty=False)
    fields = body.get("fields")
    if not isinstance(fields, list) or \
            not all(isinstance(f, str) for f in fields):
        raise BadRequest("The 'fields' parameter should be a list")
    prev_info = body.get("previous_job_info")
    if prev_info is not None and not isinstance(prev_info, list):
        raise BadRequest("The 'previous_job_info' parameter should be a list")
    prev_serial = body.get("previous_log_serial")
    if prev_serial is not None and not isinstance(prev_serial, int):
        raise BadRequest("The 'previous_log_serial' parameter should be a"
                         " number")
    answer = req.client.WaitForJobChangeOnce(
        _JobId(req), fields, prev_info, prev_serial,
        timeout=constants.RAPI_JOB_WAIT_TIMEOUT)
    if answer is None:
        raise NotFound()
    if answer == constants.JOB_NOTCHANGED:
        return None
    job_info, log_entries = answer
    return {"job_info": job_info, "log_entries": log_entries}


# --- generic queries and filters ---------------------------------------------

def _QueryResource(req: Request) -> str:
    what = req.path_args["resource"]
    if what not in QUERY_RESOURCES:
        raise NotFound()
    return what


def GetQuery(req: Request) -> Any:
    fields = req.QueryArg("fields", Q_COMMA)
    if not fields:
        raise BadRequest("Missing the required 'fields' parameter")
    return req.client.Query(_QueryResource(req), fields, None)


def PutQuery(req: Request) -> Any:
    what = _QueryResource(req)
    body = req.BodyDict()
    fields = body.get("fields")
    if fields is None:
        fields = req.QueryArg("fields", Q_COMMA)
    if not isinstance(fields, list) or not fields:
        raise BadRequest("Missing the required 'fields' parameter")
    if "qfilter" in body and "filter" in body and \
            body["qfilter"] != body["filter"]:
        raise BadRequest("Parameters 'qfilter' and 'filter' can't both be"
                         " given")
    qfilter = body.get("qfilter", body.get("filter"))
    return req.client.Query(what, fields, qfilter)


def GetQueryFields(req: Request) -> Any:
    return req.client.QueryFields(_QueryResource(req),
                                  req.QueryArg("fields", Q_COMMA))


def GetFilters(req: Request) -> Any:
    if req.UseBulk():
        rows = req.client.QueryFilters(None, FILTER_FIELDS)
        return [dict(zip(FILTER_FIELDS, row)) for row in rows if row]
    rows = req.client.QueryFilters(None, ["uuid"])
    return [{"uuid": row[0], "uri": "/2/filters/%s" % row[0]}
            for row in rows if row]


def GetFilter(req: Request) -> Any:
    rows = req.client.QueryFilters([req.path_args["uuid"]], FILTER_FIELDS)
    if not rows or rows[0] is None:
        raise NotFound()
    return dict(zip(FILTER_FIELDS, rows[0]))


_FILTER_KEYS = {"priority": 0, "predicates": [], "action": "CONTINUE",
                "reason": []}


def _ReplaceFilter(req: Request, uuid: Optional[str]) -> Any:
    body = req.BodyDict()
    unknown = set(body) - set(_FILTER_KEYS)
    if unknown:
        raise BadRequest("Unknown parameter(s) in body: %s" %
                         ", ".join(sorted(unknown)))
    values = {k: body.get(k, v) for k, v in _FILTER_KEYS.items()}
    if not isinstance(values["priority"], int) or \
            isinstance(values["priority"], bool):
        raise BadRequest("Parameter 'priority' must be an integer")
    for key in ("predicates", "reason"):
        if not isinstance(values[key], list):
            raise BadRequest("Parameter '%s' must be a list" % key)
    return req.client.ReplaceFilter(uuid, values["priority"],
                                    values["predicates"], values["action"],
                                    values["reason"] + req.ReasonTrail())


def PostFilters(req: Request) -> Any:
    return _ReplaceFilter(req, None)


def PutFilter(req: Request) -> Any:
    return _ReplaceFilter(req, req.path_args["uuid"])


def DeleteFilter(req: Request) -> Any:
    req.client.DeleteFilter(req.path_args["uuid"])
    return None
