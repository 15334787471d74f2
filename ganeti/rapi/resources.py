"""The RAPI resource table: every path, its methods and their access rights.

Each entry names the path template (``{arg}`` matches one path segment),
upstream's handler class name (used in the opcodes' reason trail), and per
method the handler and the access options a user needs (None: anonymous
allowed).  Job-based methods point at a JobSpec: their body parameters,
validation and documentation come from the opcode declaration.
"""

import re
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Tuple

from ganeti import constants
from ganeti import opcodes
from ganeti.rapi import rlib2
from ganeti.rapi.request import (BODY_IGNORED, BODY_NONE, JobSpec, Q_BOOL,
                                 Q_STR, RunJobSpec)
from ganeti.rapi.users import ACCESS_READ, ACCESS_WRITE

READ = [ACCESS_READ, ACCESS_WRITE]
WRITE = [ACCESS_WRITE]
ANON = None


class Method(NamedTuple):
    handler: Callable[..., Any]
    access: Optional[List[str]]


class Resource(NamedTuple):
    template: str
    class_name: str
    methods: Dict[str, Method]
    pattern: "re.Pattern[str]"


def _Job(opcode: type, access: Optional[List[str]] = WRITE,
         **kwargs: Any) -> Method:
    return Method(RunJobSpec(JobSpec(opcode, **kwargs)), access)


def _Tags(kind: str) -> Dict[str, Method]:
    get, put, delete = rlib2.TagHandlers(kind)
    return {"GET": Method(get, ANON), "PUT": Method(put, WRITE),
            "DELETE": Method(delete, WRITE)}


_INST = {"instance_name": "name"}
_NODE = {"node_name": "name"}
_GROUP = {"group_name": "name"}
_NET = {"network_name": "name"}

_TABLE: List[Tuple[str, str, Dict[str, Method]]] = [
    ("/", "R_root", {"GET": Method(rlib2.GetRoot, ANON)}),
    ("/2", "R_2", {"GET": Method(rlib2.GetRoot, ANON)}),
    ("/version", "R_version", {"GET": Method(rlib2.GetVersion, ANON)}),
    # nodes
    ("/2/nodes", "R_2_nodes", {"GET": Method(rlib2.GetNodes, ANON)}),
    ("/2/nodes/{name}", "R_2_nodes_name",
     {"GET": Method(rlib2.GetNode, ANON)}),
    ("/2/nodes/{name}/powercycle", "R_2_nodes_name_powercycle",
     {"POST": _Job(opcodes.OpNodePowercycle, url=_NODE, body=BODY_NONE,
                   query={"force": ("force", Q_BOOL)})}),
    ("/2/nodes/{name}/tags", "R_2_nodes_name_tags", _Tags(constants.TAG_NODE)),
    ("/2/nodes/{name}/role", "R_2_nodes_name_role",
     {"GET": Method(rlib2.GetNodeRole, ANON),
      "PUT": Method(rlib2.PutNodeRole, WRITE)}),
    ("/2/nodes/{name}/evacuate", "R_2_nodes_name_evacuate",
     {"POST": _Job(opcodes.OpNodeEvacuate, url=_NODE, dry_run=True)}),
    ("/2/nodes/{name}/migrate", "R_2_nodes_name_migrate",
     {"POST": Method(rlib2.PostNodeMigrate, WRITE)}),
    ("/2/nodes/{name}/modify", "R_2_nodes_name_modify",
     {"POST": _Job(opcodes.OpNodeSetParams, url=_NODE)}),
    ("/2/nodes/{name}/storage", "R_2_nodes_name_storage",
     {"GET": Method(rlib2.GetNodeStorage, WRITE)}),
    ("/2/nodes/{name}/storage/modify", "R_2_nodes_name_storage_modify",
     {"PUT": Method(rlib2.PutNodeStorageModify, WRITE)}),
    ("/2/nodes/{name}/storage/repair", "R_2_nodes_name_storage_repair",
     {"PUT": Method(rlib2.PutNodeStorageRepair, WRITE)}),
    # instances
    ("/2/instances", "R_2_instances",
     {"GET": Method(rlib2.GetInstances, ANON),
      "POST": Method(rlib2.PostInstances, WRITE)}),
    ("/2/instances/{name}", "R_2_instances_name",
     {"GET": Method(rlib2.GetInstance, ANON),
      "DELETE": _Job(opcodes.OpInstanceRemove, url=_INST, dry_run=True,
                     static={"ignore_failures": False})}),
    ("/2/instances/{name}/info", "R_2_instances_name_info",
     {"GET": Method(rlib2.GetInstanceInfo, ANON)}),
    ("/2/instances/{name}/tags", "R_2_instances_name_tags",
     _Tags(constants.TAG_INSTANCE)),
    ("/2/instances/{name}/reboot", "R_2_instances_name_reboot",
     {"POST": _Job(opcodes.OpInstanceReboot, url=_INST, dry_run=True,
                   query={"reboot_type": ("type", Q_STR),
                          "ignore_secondaries": ("ignore_secondaries",
                                                 Q_BOOL)},
                   convert=rlib2.ConvertReboot)}),
    ("/2/instances/{name}/reinstall", "R_2_instances_name_reinstall",
     {"POST": Method(rlib2.PostInstanceReinstall, WRITE)}),
    ("/2/instances/{name}/replace-disks", "R_2_instances_name_replace_disks",
     {"POST": _Job(opcodes.OpInstanceReplaceDisks, url=_INST,
                   convert=rlib2.ConvertReplaceDisks)}),
    ("/2/instances/{name}/shutdown", "R_2_instances_name_shutdown",
     {"PUT": _Job(opcodes.OpInstanceShutdown, url=_INST, dry_run=True,
                  query={"no_remember": ("no_remember", Q_BOOL)})}),
    ("/2/instances/{name}/startup", "R_2_instances_name_startup",
     {"PUT": _Job(opcodes.OpInstanceStartup, url=_INST, dry_run=True,
                  body=BODY_IGNORED,
                  query={"force": ("force", Q_BOOL),
                         "no_remember": ("no_remember", Q_BOOL)})}),
    ("/2/instances/{name}/activate-disks",
     "R_2_instances_name_activate_disks",
     {"PUT": _Job(opcodes.OpInstanceActivateDisks, url=_INST, body=BODY_NONE,
                  query={"ignore_size": ("ignore_size", Q_BOOL)})}),
    ("/2/instances/{name}/deactivate-disks",
     "R_2_instances_name_deactivate_disks",
     {"PUT": _Job(opcodes.OpInstanceDeactivateDisks, url=_INST,
                  body=BODY_NONE, query={"force": ("force", Q_BOOL)})}),
    ("/2/instances/{name}/recreate-disks",
     "R_2_instances_name_recreate_disks",
     {"POST": _Job(opcodes.OpInstanceRecreateDisks, url=_INST)}),
    ("/2/instances/{name}/prepare-export",
     "R_2_instances_name_prepare_export",
     {"PUT": _Job(opcodes.OpBackupPrepare, url=_INST, body=BODY_NONE,
                  query={"mode": ("mode", Q_STR)})}),
    ("/2/instances/{name}/export", "R_2_instances_name_export",
     {"PUT": _Job(opcodes.OpBackupExport, url=_INST,
                  convert=rlib2.ConvertExport),
      "DELETE": _Job(opcodes.OpBackupRemove, url=_INST, body=BODY_NONE)}),
    ("/2/instances/{name}/migrate", "R_2_instances_name_migrate",
     {"PUT": _Job(opcodes.OpInstanceMigrate, url=_INST)}),
    ("/2/instances/{name}/failover", "R_2_instances_name_failover",
     {"PUT": _Job(opcodes.OpInstanceFailover, url=_INST)}),
    ("/2/instances/{name}/rename", "R_2_instances_name_rename",
     {"PUT": _Job(opcodes.OpInstanceRename, url=_INST)}),
    ("/2/instances/{name}/modify", "R_2_instances_name_modify",
     {"PUT": _Job(opcodes.OpInstanceSetParams, url=_INST,
                  renames={"custom_beparams": "beparams",
                           "custom_hvparams": "hvparams"},
                  convert=rlib2.ConvertInstanceModify)}),
    ("/2/instances/{name}/disk/{disk_index}/grow",
     "R_2_instances_name_disk_grow",
     {"POST": _Job(opcodes.OpInstanceGrowDisk, url=_INST,
                   convert=rlib2.ConvertGrowDisk)}),
    ("/2/instances/{name}/console", "R_2_instances_name_console",
     {"GET": Method(rlib2.GetInstanceConsole, READ)}),
    # networks
    ("/2/networks", "R_2_networks",
     {"GET": Method(rlib2.GetNetworks, ANON),
      "POST": _Job(opcodes.OpNetworkAdd, dry_run=True,
                   renames={"name": "network_name"})}),
    ("/2/networks/{name}", "R_2_networks_name",
     {"GET": Method(rlib2.GetNetwork, ANON),
      "DELETE": _Job(opcodes.OpNetworkRemove, url=_NET, dry_run=True,
                     body=BODY_NONE)}),
    ("/2/networks/{name}/connect", "R_2_networks_name_connect",
     {"PUT": _Job(opcodes.OpNetworkConnect, url=_NET, dry_run=True)}),
    ("/2/networks/{name}/disconnect", "R_2_networks_name_disconnect",
     {"PUT": _Job(opcodes.OpNetworkDisconnect, url=_NET, dry_run=True)}),
    ("/2/networks/{name}/rename", "R_2_networks_name_rename",
     {"PUT": _Job(opcodes.OpNetworkRename, url=_NET, dry_run=True)}),
    ("/2/networks/{name}/modify", "R_2_networks_name_modify",
     {"PUT": _Job(opcodes.OpNetworkSetParams, url=_NET)}),
    ("/2/networks/{name}/tags", "R_2_networks_name_tags",
     _Tags(constants.TAG_NETWORK)),
    # groups
    ("/2/groups", "R_2_groups",
     {"GET": Method(rlib2.GetGroups, ANON),
      "POST": _Job(opcodes.OpGroupAdd, dry_run=True,
                   renames={"name": "group_name"})}),
    ("/2/groups/{name}", "R_2_groups_name",
     {"GET": Method(rlib2.GetGroup, ANON),
      "DELETE": _Job(opcodes.OpGroupRemove, url=_GROUP, dry_run=True,
                     body=BODY_NONE)}),
    ("/2/groups/{name}/modify", "R_2_groups_name_modify",
     {"PUT": _Job(opcodes.OpGroupSetParams, url=_GROUP,
                  renames={"custom_ndparams": "ndparams",
                           "custom_ipolicy": "ipolicy",
                           "custom_diskparams": "diskparams"})}),
    ("/2/groups/{name}/rename", "R_2_groups_name_rename",
     {"PUT": _Job(opcodes.OpGroupRename, url=_GROUP, dry_run=True)}),
    ("/2/groups/{name}/assign-nodes", "R_2_groups_name_assign_nodes",
     {"PUT": _Job(opcodes.OpGroupAssignNodes, url=_GROUP, dry_run=True,
                  query={"force": ("force", Q_BOOL)})}),
    ("/2/groups/{name}/tags", "R_2_groups_name_tags",
     _Tags(constants.TAG_NODEGROUP)),
    # jobs
    ("/2/jobs", "R_2_jobs", {"GET": Method(rlib2.GetJobs, ANON)}),
    ("/2/jobs/{job_id}", "R_2_jobs_id",
     {"GET": Method(rlib2.GetJob, ANON),
      "DELETE": Method(rlib2.DeleteJob, WRITE)}),
    ("/2/jobs/{job_id}/wait", "R_2_jobs_id_wait",
     {"GET": Method(rlib2.GetJobWait, WRITE)}),
    # cluster
    ("/2/instances-multi-alloc", "R_2_instances_multi_alloc",
     {"POST": Method(rlib2.PostInstancesMultiAlloc, WRITE)}),
    ("/2/tags", "R_2_tags", _Tags(constants.TAG_CLUSTER)),
    ("/2/info", "R_2_info", {"GET": Method(rlib2.GetInfo, ANON)}),
    ("/2/os", "R_2_os", {"GET": Method(rlib2.GetOs, ANON)}),
    ("/2/redistribute-config", "R_2_redist_config",
     {"PUT": _Job(opcodes.OpClusterRedistConf, body=BODY_NONE)}),
    ("/2/features", "R_2_features", {"GET": Method(rlib2.GetFeatures, ANON)}),
    ("/2/modify", "R_2_cluster_modify",
     {"PUT": _Job(opcodes.OpClusterSetParams,
                  forbidden=["compression_tools"])}),
    ("/2/query/{resource}", "R_2_query",
     {"GET": Method(rlib2.GetQuery, READ),
      "PUT": Method(rlib2.PutQuery, READ)}),
    ("/2/query/{resource}/fields", "R_2_query_fields",
     {"GET": Method(rlib2.GetQueryFields, ANON)}),
    ("/2/filters", "R_2_filters",
     {"GET": Method(rlib2.GetFilters, ANON),
      "POST": Method(rlib2.PostFilters, WRITE)}),
    ("/2/filters/{uuid}", "R_2_filters_uuid",
     {"GET": Method(rlib2.GetFilter, ANON),
      "PUT": Method(rlib2.PutFilter, WRITE),
      "DELETE": Method(rlib2.DeleteFilter, WRITE)}),
]


def _Compile(template: str) -> "re.Pattern[str]":
    parts = []
    for piece in re.split(r"(\{[a-z_]+\})", template):
        if piece.startswith("{"):
            parts.append("(?P<%s>[^/]+)" % piece[1:-1])
        else:
            parts.append(re.escape(piece))
    return re.compile("^%s$" % "".join(parts))


RESOURCES: List[Resource] = [Resource(t, c, m, _Compile(t))
                             for t, c, m in _TABLE]
_BY_TEMPLATE = {r.template: r for r in RESOURCES}


def Lookup(path: str) -> Optional[Tuple[Resource, Dict[str, str]]]:
    """The resource matching a (decoded) path and its path arguments."""
    path = path.rstrip("/") or "/"
    resource = _BY_TEMPLATE.get(path)
    if resource is not None:
        return resource, {}
    for resource in RESOURCES:
        match = resource.pattern.match(path)
        if match:
            return resource, match.groupdict()
    return None
