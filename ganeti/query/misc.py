"""Query field tables of jobs, locks, OSes, ExtStorage, networks, exports
and job filters.

Data holders and what their getters read:

``JobQueryData(jobs)`` -- items are job-file dicts (``id``, ``ops`` = list
  of ``{"input", "status", "result", "log", "priority", "start_timestamp",
  "exec_timestamp", "end_timestamp"}``, ``received_timestamp``,
  ``start_timestamp``, ``end_timestamp``, optional ``archived``), or
  ``(job_id, job_dict_or_None, archived)`` tuples; a None job (unknown id)
  has only its ``id``.
``SimpleQueryData(items)`` -- for locks, items are ``(name, mode, owners,
  pending)`` tuples; for exports ``(node_name, export_name_or_None)``; for
  OSes ``OsInfo`` objects (or dicts with the same keys); for ExtStorage
  providers and filters objects or dicts with the field names as keys.
``NetworkQueryData(networks, network_to_groups, network_to_instances,
  stats)`` -- Network objects (``uuid name network gateway network6 gateway6
  mac_prefix tags serial_no ctime mtime``), {uuid: [[group name, mode,
  link, vlan], ...]}, {uuid: [instance names]}, {uuid: {"free_count",
  "reserved_count", "map", "external_reservations"}}.
"""

from typing import Any, Iterable, List, Optional

from ganeti import constants as C
from ganeti import opcodes_base
from ganeti.query import (FS_NODATA, FS_UNAVAIL, QFF_HOSTNAME, QFF_JOB_ID,
                          QFF_SPLIT_TIMESTAMP, QFT_BOOL, QFT_NUMBER,
                          QFT_OTHER, QFT_TEXT, BuildFieldDict, ItemAttr,
                          MakeField, NiceSortKey, SerialUuidFields,
                          TagsField, TimestampFields)

JQ_JOB = "job-file"
JQ_ARCHIVED = "job-archived"
LQ_MODE = "lock-mode"
LQ_OWNER = "lock-owner"
LQ_PENDING = "lock-pending"
OS_CONFIG = "os-data"
ES_CONFIG = "extstorage-data"
NETQ_CONFIG = "network-config"
NETQ_GROUP = "network-groups"
NETQ_INST = "network-instances"
NETQ_STATS = "network-stats"
EXPQ_DATA = "export-data"
FQ_CONFIG = "filter-config"


class SimpleQueryData:
    """A plain list of items (tuples, objects or dicts)."""

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = list(items)

    def __iter__(self):
        return iter(self.items)


# ================================================================== jobs

def CalcJobStatus(op_statuses: Iterable[str]) -> str:
    """Job status from its opcodes' statuses (upstream's rules)."""
    status = C.JOB_STATUS_QUEUED
    all_success = True
    for op_status in op_statuses:
        if op_status == C.OP_STATUS_SUCCESS:
            continue
        all_success = False
        if op_status == C.OP_STATUS_QUEUED:
            continue
        if op_status in (C.OP_STATUS_WAITING, C.OP_STATUS_RUNNING):
            status = op_status
            continue
        if op_status in (C.OP_STATUS_CANCELING, C.OP_STATUS_ERROR,
                         C.OP_STATUS_CANCELED):
            status = op_status
            break
    if all_success:
        status = C.JOB_STATUS_SUCCESS
    return status


def CalcJobPriority(ops: Iterable[dict]) -> int:
    """Lowest priority value among the unfinished opcodes (else default)."""
    prios = [op.get("priority", C.OP_PRIO_DEFAULT) for op in ops
             if op.get("status") not in C.OPS_FINALIZED]
    return min(prios) if prios else C.OP_PRIO_DEFAULT


class JobQueryData:
    """Jobs as (job_id, job dict or None, archived) triples."""

    def __init__(self, jobs: Iterable[Any]) -> None:
        self.jobs = []
        for job in jobs:
            if isinstance(job, dict):
                self.jobs.append((job.get("id"), job,
                                  bool(job.get("archived", False))))
            elif len(job) == 2:
                self.jobs.append((job[0], job[1], False))
            else:
                self.jobs.append(tuple(job[:3]))

    def __iter__(self):
        return iter(self.jobs)


def _JobId(_ctx, item) -> Any:
    job_id = item[0]
    if isinstance(job_id, str) and job_id.isdigit():
        return int(job_id)
    return job_id


def _JobGetter(fn):
    def getter(_ctx, item) -> Any:
        job = item[1]
        if job is None:
            return FS_UNAVAIL
        return fn(job)
    return getter


def _OpsList(key: str):
    return _JobGetter(lambda job: [op.get(key) for op in job.get("ops", [])])


def _JobTimestamp(key: str):
    return _JobGetter(lambda job: job.get(key))


def _JobArchived(_ctx, item) -> Any:
    if item[1] is None:
        return FS_UNAVAIL
    return bool(item[2])


_TS_DOC = " (tuple containing seconds and microseconds)"


def _BuildJobFields() -> list:
    return [
        MakeField("id", "ID", QFT_NUMBER, "Job ID", None, _JobId, QFF_JOB_ID),
        MakeField("status", "Status", QFT_TEXT, "Job status", JQ_JOB,
                  _JobGetter(lambda job: CalcJobStatus(
                      op.get("status") for op in job.get("ops", [])))),
        MakeField("priority", "Priority", QFT_NUMBER,
                  "Current job priority (%d to %d)" %
                  (C.OP_PRIO_LOWEST, C.OP_PRIO_HIGHEST), JQ_JOB,
                  _JobGetter(lambda job: CalcJobPriority(job.get("ops", [])))),
        MakeField("archived", "Archived", QFT_BOOL, "Whether job is archived",
                  JQ_ARCHIVED, _JobArchived),
        MakeField("ops", "OpCodes", QFT_OTHER, "List of all opcodes", JQ_JOB,
                  _OpsList("input")),
        MakeField("opresult", "OpCode_result", QFT_OTHER,
                  "List of opcodes results", JQ_JOB, _OpsList("result")),
        MakeField("opstatus", "OpCode_status", QFT_OTHER,
                  "List of opcodes status", JQ_JOB, _OpsList("status")),
        MakeField("oplog", "OpCode_log", QFT_OTHER,
                  "List of opcode output logs", JQ_JOB, _OpsList("log")),
        MakeField("opstart", "OpCode_start", QFT_OTHER,
                  "List of opcode start timestamps (before acquiring locks)",
                  JQ_JOB, _OpsList("start_timestamp")),
        MakeField("opexec", "OpCode_exec", QFT_OTHER,
                  "List of opcode execution start timestamps (after acquiring"
                  " locks)", JQ_JOB, _OpsList("exec_timestamp")),
        MakeField("opend", "OpCode_end", QFT_OTHER,
                  "List of opcode execution end timestamps", JQ_JOB,
                  _OpsList("end_timestamp")),
        MakeField("oppriority", "OpCode_prio", QFT_OTHER,
                  "List of opcode priorities", JQ_JOB, _OpsList("priority")),
        MakeField("summary", "Summary", QFT_OTHER,
                  "List of per-opcode summaries", JQ_JOB,
                  _JobGetter(lambda job: [
                      opcodes_base.SummaryFromDict(op.get("input"))
                      for op in job.get("ops", [])])),
        MakeField("received_ts", "Received", QFT_OTHER,
                  "Timestamp of when job was received" + _TS_DOC, JQ_JOB,
                  _JobTimestamp("received_timestamp"), QFF_SPLIT_TIMESTAMP),
        MakeField("start_ts", "Start", QFT_OTHER,
                  "Timestamp of job start" + _TS_DOC, JQ_JOB,
                  _JobTimestamp("start_timestamp"), QFF_SPLIT_TIMESTAMP),
        MakeField("end_ts", "End", QFT_OTHER,
                  "Timestamp of job end" + _TS_DOC, JQ_JOB,
                  _JobTimestamp("end_timestamp"), QFF_SPLIT_TIMESTAMP),
    ]


JOB_FIELDS = BuildFieldDict(_BuildJobFields())


# ================================================================== locks

def _Index(idx: int):
    return lambda _ctx, item: item[idx]


LOCK_FIELDS = BuildFieldDict([
    MakeField("name", "Name", QFT_TEXT, "Lock name", None, _Index(0)),
    MakeField("mode", "Mode", QFT_OTHER,
              "Mode in which the lock is currently acquired (exclusive or"
              " shared)", LQ_MODE, _Index(1)),
    MakeField("owner", "Owner", QFT_OTHER, "Current lock owner(s)",
              LQ_OWNER, _Index(2)),
    MakeField("pending", "Pending", QFT_OTHER,
              "Jobs waiting for the lock", LQ_PENDING, _Index(3)),
])


# ================================================================== OS

class OsInfo:
    """One operating system as seen by the OS query (gnt-os)."""

    ATTRS = ["name", "valid", "hidden", "blacklisted", "variants",
             "api_versions", "parameters", "node_status", "os_hvp",
             "osparams", "trusted"]

    def __init__(self, **kwargs: Any) -> None:
        for attr in self.ATTRS:
            setattr(self, attr, kwargs.pop(attr, None))
        if kwargs:
            raise TypeError("Unknown OsInfo attributes %s" % sorted(kwargs))


OS_FIELDS = BuildFieldDict([
    MakeField("name", "Name", QFT_TEXT, "Operating system name", None,
              ItemAttr("name")),
    MakeField("valid", "Valid", QFT_BOOL,
              "Whether operating system definition is valid", OS_CONFIG,
              ItemAttr("valid")),
    MakeField("hidden", "Hidden", QFT_BOOL,
              "Whether operating system is hidden", OS_CONFIG,
              ItemAttr("hidden")),
    MakeField("blacklisted", "Blacklisted", QFT_BOOL,
              "Whether operating system is blacklisted", OS_CONFIG,
              ItemAttr("blacklisted")),
    MakeField("variants", "Variants", QFT_OTHER,
              "Operating system variants", OS_CONFIG, ItemAttr("variants")),
    MakeField("api_versions", "ApiVersions", QFT_OTHER,
              "Operating system API versions", OS_CONFIG,
              ItemAttr("api_versions")),
    MakeField("parameters", "Parameters", QFT_OTHER,
              "Operating system parameters", OS_CONFIG,
              ItemAttr("parameters")),
    MakeField("node_status", "NodeStatus", QFT_OTHER, "Status from node",
              OS_CONFIG, ItemAttr("node_status")),
    MakeField("os_hvp", "OsHypervisorParams", QFT_OTHER,
              "Operating system specific hypervisor parameters", OS_CONFIG,
              ItemAttr("os_hvp")),
    MakeField("osparams", "OsParameters", QFT_OTHER,
              "Operating system specific parameters", OS_CONFIG,
              ItemAttr("osparams")),
    MakeField("trusted", "Trusted", QFT_BOOL,
              "Whether this OS is trusted", OS_CONFIG, ItemAttr("trusted")),
])

EXTSTORAGE_FIELDS = BuildFieldDict([
    MakeField("name", "Name", QFT_TEXT, "ExtStorage provider name", None,
              ItemAttr("name")),
    MakeField("node_status", "NodeStatus", QFT_OTHER, "Status from node",
              ES_CONFIG, ItemAttr("node_status")),
    MakeField("nodegroup_status", "NodegroupStatus", QFT_OTHER,
              "Overall node group status", ES_CONFIG,
              ItemAttr("nodegroup_status")),
    MakeField("parameters", "Parameters", QFT_OTHER,
              "ExtStorage provider parameters", ES_CONFIG,
              ItemAttr("parameters")),
])


# ================================================================== networks

class NetworkQueryData:
    """What network field getters read (see the module doc)."""

    def __init__(self, networks: Iterable[Any],
                 network_to_groups: Optional[dict] = None,
                 network_to_instances: Optional[dict] = None,
                 stats: Optional[dict] = None) -> None:
        self.networks = list(networks)
        self.network_to_groups = network_to_groups
        self.network_to_instances = network_to_instances
        self.stats = stats

    def __iter__(self):
        return iter(self.networks)


def _NetMembers(attr: str, count: bool, sort: bool):
    def fn(ctx: NetworkQueryData, net: Any) -> Any:
        mapping = getattr(ctx, attr)
        if mapping is None:
            return FS_NODATA
        members = list(mapping.get(net.uuid, []))
        if count:
            return len(members)
        return sorted(members, key=NiceSortKey) if sort else members
    return fn


def _NetStat(key: str):
    def fn(ctx: NetworkQueryData, net: Any) -> Any:
        if ctx.stats is None:
            return FS_NODATA
        value = (ctx.stats.get(net.uuid) or {}).get(key)
        return FS_UNAVAIL if value is None else value
    return fn


def _BuildNetworkFields() -> list:
    fields = [
        TagsField(NETQ_CONFIG),
        MakeField("name", "Network", QFT_TEXT, "Network name", NETQ_CONFIG,
                  ItemAttr("name")),
        MakeField("network", "Subnet", QFT_TEXT, "IPv4 subnet", NETQ_CONFIG,
                  ItemAttr("network")),
        MakeField("gateway", "Gateway", QFT_OTHER, "IPv4 gateway",
                  NETQ_CONFIG, ItemAttr("gateway", True)),
        MakeField("network6", "IPv6Subnet", QFT_OTHER, "IPv6 subnet",
                  NETQ_CONFIG, ItemAttr("network6", True)),
        MakeField("gateway6", "IPv6Gateway", QFT_OTHER, "IPv6 gateway",
                  NETQ_CONFIG, ItemAttr("gateway6", True)),
        MakeField("mac_prefix", "MacPrefix", QFT_OTHER, "MAC address prefix",
                  NETQ_CONFIG, ItemAttr("mac_prefix", True)),
    ]
    fields += SerialUuidFields(NETQ_CONFIG, "Network")
    fields += [
        MakeField("group_cnt", "NodeGroups", QFT_NUMBER,
                  "Number of nodegroups connected to the network",
                  NETQ_GROUP, _NetMembers("network_to_groups", True, False)),
        MakeField("group_list", "GroupList", QFT_OTHER,
                  "List of nodegroups (group name, NIC mode, NIC link)",
                  NETQ_GROUP, _NetMembers("network_to_groups", False, False)),
        MakeField("inst_cnt", "Instances", QFT_NUMBER,
                  "Number of instances using the network", NETQ_INST,
                  _NetMembers("network_to_instances", True, True)),
        MakeField("inst_list", "InstanceList", QFT_OTHER,
                  "List of instances using the network", NETQ_INST,
                  _NetMembers("network_to_instances", False, True)),
        MakeField("free_count", "FreeCount", QFT_NUMBER,
                  "Number of available addresses", NETQ_STATS,
                  _NetStat("free_count")),
        MakeField("reserved_count", "ReservedCount", QFT_NUMBER,
                  "Number of reserved addresses", NETQ_STATS,
                  _NetStat("reserved_count")),
        MakeField("map", "Map", QFT_TEXT, "Actual mapping", NETQ_STATS,
                  _NetStat("map")),
        MakeField("external_reservations", "ExternalReservations", QFT_TEXT,
                  "External reservations", NETQ_STATS,
                  _NetStat("external_reservations")),
    ]
    fields += TimestampFields(NETQ_CONFIG)
    return fields


NETWORK_FIELDS = BuildFieldDict(_BuildNetworkFields())


# ================================================================== exports

def _ExportName(_ctx, item) -> Any:
    return FS_UNAVAIL if item[1] is None else item[1]


EXPORT_FIELDS = BuildFieldDict([
    MakeField("node", "Node", QFT_TEXT, "Node name", None, _Index(0),
              QFF_HOSTNAME),
    MakeField("export", "Export", QFT_TEXT, "Export name", EXPQ_DATA,
              _ExportName),
])


# ================================================================== filters

FILTER_FIELDS = BuildFieldDict([
    MakeField("watermark", "Watermark", QFT_NUMBER,
              "Highest job ID used when the filter was added or replaced",
              FQ_CONFIG, ItemAttr("watermark")),
    MakeField("priority", "Priority", QFT_NUMBER,
              "Filter priority (lower is evaluated first)", FQ_CONFIG,
              ItemAttr("priority")),
    MakeField("predicates", "Predicates", QFT_OTHER,
              "List of filter predicates", FQ_CONFIG,
              ItemAttr("predicates")),
    MakeField("action", "Action", QFT_OTHER,
              "Action taken on matching jobs", FQ_CONFIG, ItemAttr("action")),
    MakeField("reason_trail", "ReasonTrail", QFT_OTHER,
              "Reason trail of the filter's last change", FQ_CONFIG,
              ItemAttr("reason_trail")),
    MakeField("uuid", "UUID", QFT_TEXT, "Filter UUID", FQ_CONFIG,
              ItemAttr("uuid")),
])


def GetFieldNames(fields: dict) -> List[str]:
    return list(fields)
