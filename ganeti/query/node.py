"""Query field tables of nodes, node groups and the cluster.

Data holders (``ctx`` of ``query.Query.Query``) and what their getters read:

``NodeQueryData`` -- iterates over config Node objects, reading
  ``uuid name primary_ip secondary_ip master_candidate drained offline
  master_capable vm_capable group (uuid) ndparams hv_state disk_state powered
  tags serial_no ctime mtime``; plus ``live_data`` {node uuid: {"mtotal",
  "mnode", "mfree", "dtotal", "dfree", "spfree", "sptotal", "ctotal", "cnos",
  "cnodes", "csockets", "bootid"}}, ``master_uuid``, ``node_to_primary`` /
  ``node_to_secondary`` {node uuid: set of instance uuids},
  ``inst_uuid_to_inst_name``, ``groups`` {uuid: NodeGroup (.name,
  .ndparams)}, ``oob_support`` {node uuid: bool}, ``cluster`` (.ndparams).

``GroupQueryData`` -- iterates over NodeGroup objects (``uuid name
  alloc_policy ndparams ipolicy diskparams tags serial_no ctime mtime``);
  plus ``cluster`` (.ndparams .ipolicy .diskparams), ``group_to_nodes`` /
  ``group_to_instances`` {group uuid: [names]}.

``ClusterQueryData`` -- yields the Cluster object once (``cluster_name
  master_node (uuid) volume_group_name tags ctime mtime``); plus ``nodes``
  {uuid: Node}, ``drain_flag``, ``watcher_pause``.

Data kinds (``Query.RequestedData()``) say what the caller must gather;
attributes for kinds not requested may be left as None.
"""

import copy
import platform
from typing import Any, Dict, Iterable, Optional

from ganeti import constants as C
from ganeti.query import (FS_NODATA, FS_OFFLINE, FS_UNAVAIL, QFF_HOSTNAME,
                          QFF_IP_ADDRESS, QFT_BOOL, QFT_NUMBER,
                          QFT_NUMBER_FLOAT, QFT_OTHER, QFT_TEXT,
                          QFT_TIMESTAMP, QFT_UNIT, BuildFieldDict, ItemAttr,
                          MakeField, SerialUuidFields, TagsField,
                          TimestampFields)
from ganeti.utils.text import NiceSort

# Node data kinds
NQ_CONFIG = "node-config"
NQ_INST = "node-instances"
NQ_LIVE = "node-live"
NQ_GROUP = "node-group"
NQ_OOB = "node-oob"
# Group data kinds
GQ_CONFIG = "group-config"
GQ_NODE = "group-nodes"
GQ_INST = "group-instances"
GQ_DISKPARAMS = "group-diskparams"
# Cluster data kinds
CQ_CONFIG = "cluster-config"
CQ_QUEUE_DRAINED = "cluster-queue-drained"
CQ_WATCHER_PAUSE = "cluster-watcher-pause"

# Node parameters (ndp/<name>): (name, title, kind)
NDP_FIELDS = [
    ("cpu_speed", "ndp/cpu_speed", QFT_NUMBER_FLOAT),
    ("exclusive_storage", "ExclusiveStorage", QFT_BOOL),
    ("oob_program", "OutOfBandProgram", QFT_OTHER),
    ("ovs", "OpenvSwitch", QFT_BOOL),
    ("ovs_link", "OpenvSwitchLink", QFT_OTHER),
    ("ovs_name", "OpenvSwitchName", QFT_OTHER),
    ("spindle_count", "SpindleCount", QFT_NUMBER),
    ("ssh_port", "ndp/ssh_port", QFT_NUMBER),
]


def FillDict(*dicts: Optional[dict]) -> dict:
    """Merge parameter dicts, later ones overriding earlier ones."""
    result: dict = {}
    for item in dicts:
        result.update(item or {})
    return result


# ================================================================== nodes

class NodeQueryData:
    """What node field getters read (see the module doc)."""

    def __init__(self, nodes: Iterable[Any], live_data: Optional[dict] = None,
                 master_uuid: Optional[str] = None,
                 node_to_primary: Optional[dict] = None,
                 node_to_secondary: Optional[dict] = None,
                 inst_uuid_to_inst_name: Optional[dict] = None,
                 groups: Optional[dict] = None,
                 oob_support: Optional[dict] = None,
                 cluster: Any = None) -> None:
        self.nodes = list(nodes)
        self.live_data = live_data
        self.master_uuid = master_uuid
        self.node_to_primary = node_to_primary
        self.node_to_secondary = node_to_secondary
        self.inst_uuid_to_inst_name = inst_uuid_to_inst_name or {}
        self.groups = groups or {}
        self.oob_support = oob_support
        self.cluster = cluster

    def __iter__(self):
        return iter(self.nodes)

    def FilledNdParams(self, node: Any) -> dict:
        """Cluster, group and node ndparams merged."""
        group = self.groups.get(getattr(node, "group", None))
        return FillDict(getattr(self.cluster, "ndparams", None),
                        getattr(group, "ndparams", None), node.ndparams)


def _NodeRole(ctx: NodeQueryData, node: Any) -> str:
    if node.uuid == ctx.master_uuid:
        return C.NR_MASTER
    if node.master_candidate:
        return C.NR_MCANDIDATE
    if node.drained:
        return C.NR_DRAINED
    if node.offline:
        return C.NR_OFFLINE
    return C.NR_REGULAR


def _NodeGroupName(ctx: NodeQueryData, node: Any) -> Any:
    group = ctx.groups.get(node.group)
    if group is None:
        return FS_UNAVAIL
    return group.name


def _NodePower(ctx: NodeQueryData, node: Any) -> Any:
    if ctx.oob_support is None:
        return FS_NODATA
    if ctx.oob_support.get(node.uuid):
        return node.powered
    return FS_UNAVAIL


def _NodeInstances(attr: str, count: bool):
    def fn(ctx: NodeQueryData, node: Any) -> Any:
        mapping = getattr(ctx, attr)
        if mapping is None:
            return FS_NODATA
        uuids = mapping.get(node.uuid, ())
        if count:
            return len(uuids)
        return NiceSort(ctx.inst_uuid_to_inst_name.get(uuid, uuid)
                         for uuid in uuids)
    return fn


def _NodeLive(key: str):
    def fn(ctx: NodeQueryData, node: Any) -> Any:
        if node.offline:
            return FS_OFFLINE
        if not node.vm_capable:
            return FS_UNAVAIL
        if not ctx.live_data:
            return FS_NODATA
        data = ctx.live_data.get(node.uuid)
        if data is None:
            return FS_NODATA
        value = data.get(key)
        return FS_UNAVAIL if value is None else value
    return fn


def _NodeNdParam(name: str):
    def fn(ctx: NodeQueryData, node: Any) -> Any:
        params = ctx.FilledNdParams(node)
        return params[name] if name in params else FS_UNAVAIL
    return fn


def _NodeState(attr: str):
    def fn(_ctx, node: Any) -> Any:
        value = getattr(node, attr, None)
        if value is None:
            value = getattr(node, attr + "_static", None)
        return FS_UNAVAIL if value is None else value
    return fn


# (name, title, kind, doc) of the live node fields
_NODE_LIVE = [
    ("bootid", "BootID", QFT_TEXT,
     "Random UUID renewed for each system reboot, can be used for detecting"
     " reboots by tracking changes"),
    ("cnodes", "CNodes", QFT_NUMBER,
     "Number of NUMA domains on node (if exported by hypervisor)"),
    ("cnos", "CNOs", QFT_NUMBER,
     "Number of logical processors used by the node OS (dom0 for Xen)"),
    ("csockets", "CSockets", QFT_NUMBER,
     "Number of physical CPU sockets (if exported by hypervisor)"),
    ("ctotal", "CTotal", QFT_NUMBER, "Number of logical processors"),
    ("dfree", "DFree", QFT_UNIT, "Available storage space on storage unit"),
    ("dtotal", "DTotal", QFT_UNIT,
     "Total storage space on storage unit for instance disk allocation"),
    ("spfree", "SpFree", QFT_NUMBER,
     "Available spindles in volume group (exclusive storage only)"),
    ("sptotal", "SpTotal", QFT_NUMBER,
     "Total spindles in volume group (exclusive storage only)"),
    ("mfree", "MFree", QFT_UNIT, "Memory available for instance allocations"),
    ("mnode", "MNode", QFT_UNIT,
     "Amount of memory used by node (dom0 for Xen)"),
    ("mtotal", "MTotal", QFT_UNIT,
     "Total amount of memory of physical machine"),
]

# (name, title, doc) of the boolean config flags
_NODE_FLAGS = [
    ("drained", "Drained", "Whether node is drained"),
    ("master_candidate", "MasterC", "Whether node is a master candidate"),
    ("master_capable", "MasterCapable",
     "Whether node can become a master candidate"),
    ("offline", "Offline", "Whether node is marked offline"),
    ("vm_capable", "VMCapable", "Whether node can host instances"),
]


def _BuildNodeFields() -> list:
    fields = [
        MakeField("name", "Node", QFT_TEXT, "Node name", NQ_CONFIG,
                  ItemAttr("name"), QFF_HOSTNAME),
        MakeField("pip", "PrimaryIP", QFT_TEXT, "Primary IP address",
                  NQ_CONFIG, ItemAttr("primary_ip"), QFF_IP_ADDRESS),
        MakeField("sip", "SecondaryIP", QFT_TEXT, "Secondary IP address",
                  NQ_CONFIG, ItemAttr("secondary_ip"), QFF_IP_ADDRESS),
        TagsField(NQ_CONFIG),
        MakeField("master", "IsMaster", QFT_BOOL, "Whether node is master",
                  NQ_CONFIG, lambda ctx, node: node.uuid == ctx.master_uuid),
        MakeField("group", "Group", QFT_TEXT, "Node group", NQ_GROUP,
                  _NodeGroupName),
        MakeField("group.uuid", "GroupUUID", QFT_TEXT, "UUID of node group",
                  NQ_CONFIG, ItemAttr("group")),
        MakeField("powered", "Powered", QFT_BOOL,
                  "Whether node is thought to be powered on", NQ_OOB,
                  _NodePower),
        MakeField("ndparams", "NodeParameters", QFT_OTHER,
                  "Merged node parameters", NQ_GROUP,
                  lambda ctx, node: ctx.FilledNdParams(node)),
        MakeField("custom_ndparams", "CustomNodeParameters", QFT_OTHER,
                  "Custom node parameters", NQ_GROUP,
                  lambda _ctx, node: node.ndparams or {}),
        MakeField("hv_state", "HypervisorState", QFT_OTHER,
                  "Hypervisor state", NQ_CONFIG, _NodeState("hv_state")),
        MakeField("disk_state", "DiskState", QFT_OTHER, "Disk state",
                  NQ_CONFIG, _NodeState("disk_state")),
        MakeField("role", "Role", QFT_TEXT,
                  'Node role; "M" for master, "C" for master candidate,'
                  ' "R" for regular, "D" for drained, "O" for offline',
                  NQ_CONFIG,
                  _NodeRole),
        MakeField("pinst_cnt", "Pinst", QFT_NUMBER,
                  "Number of instances with this node as primary", NQ_INST,
                  _NodeInstances("node_to_primary", True)),
        MakeField("pinst_list", "PriInstances", QFT_OTHER,
                  "List of instances with this node as primary", NQ_INST,
                  _NodeInstances("node_to_primary", False)),
        MakeField("sinst_cnt", "Sinst", QFT_NUMBER,
                  "Number of instances with this node as secondary", NQ_INST,
                  _NodeInstances("node_to_secondary", True)),
        MakeField("sinst_list", "SecInstances", QFT_OTHER,
                  "List of instances with this node as secondary", NQ_INST,
                  _NodeInstances("node_to_secondary", False)),
    ]
    fields += [MakeField(name, title, QFT_BOOL, doc, NQ_CONFIG,
                         ItemAttr(name)) for name, title, doc in _NODE_FLAGS]
    fields += SerialUuidFields(NQ_CONFIG, "Node")
    fields += [MakeField(name, title, kind, doc, NQ_LIVE, _NodeLive(name))
               for name, title, kind, doc in _NODE_LIVE]
    fields += TimestampFields(NQ_CONFIG)
    fields += [MakeField("ndp/%s" % name, title, kind,
                         'The "%s" node parameter' % name, NQ_GROUP,
                         _NodeNdParam(name))
               for name, title, kind in NDP_FIELDS]
    return fields


NODE_FIELDS = BuildFieldDict(_BuildNodeFields())


# ================================================================== groups

class GroupQueryData:
    """What group field getters read (see the module doc)."""

    def __init__(self, cluster: Any, groups: Iterable[Any],
                 group_to_nodes: Optional[dict] = None,
                 group_to_instances: Optional[dict] = None,
                 want_diskparams: bool = True) -> None:
        self.cluster = cluster
        self.groups = list(groups)
        self.group_to_nodes = group_to_nodes
        self.group_to_instances = group_to_instances
        self.want_diskparams = want_diskparams

    def __iter__(self):
        return iter(self.groups)

    def FilledNdParams(self, group: Any) -> dict:
        return FillDict(getattr(self.cluster, "ndparams", None),
                        group.ndparams)

    def FilledIPolicy(self, group: Any) -> dict:
        return FillIPolicy(getattr(self.cluster, "ipolicy", None) or {},
                           group.ipolicy or {})

    def FilledDiskParams(self, group: Any) -> dict:
        base = getattr(self.cluster, "diskparams", None) or {}
        custom = group.diskparams or {}
        return {tmpl: FillDict(base.get(tmpl), custom.get(tmpl))
                for tmpl in sorted(set(base) | set(custom))}


def FillIPolicy(base: dict, custom: dict) -> dict:
    """Merge an instance policy: nested dicts merged, other values replaced."""
    result = copy.deepcopy(base)
    for key, value in custom.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = FillDict(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def _GroupMembers(attr: str, count: bool):
    def fn(ctx: GroupQueryData, group: Any) -> Any:
        mapping = getattr(ctx, attr)
        if mapping is None:
            return FS_NODATA
        names = mapping.get(group.uuid, ())
        return len(names) if count else NiceSort(names)
    return fn


def _GroupNdParam(name: str):
    def fn(ctx: GroupQueryData, group: Any) -> Any:
        params = ctx.FilledNdParams(group)
        return params[name] if name in params else FS_UNAVAIL
    return fn


def _BuildGroupFields() -> list:
    fields = [
        MakeField("alloc_policy", "AllocPolicy", QFT_TEXT,
                  "Allocation policy for group", GQ_CONFIG,
                  ItemAttr("alloc_policy")),
        MakeField("name", "Group", QFT_TEXT, "Group name", GQ_CONFIG,
                  ItemAttr("name")),
    ]
    fields += SerialUuidFields(GQ_CONFIG, "Group")
    fields += [
        MakeField("node_cnt", "Nodes", QFT_NUMBER, "Number of nodes",
                  GQ_NODE, _GroupMembers("group_to_nodes", True)),
        MakeField("node_list", "NodeList", QFT_OTHER, "List of nodes",
                  GQ_NODE, _GroupMembers("group_to_nodes", False)),
        MakeField("pinst_cnt", "Instances", QFT_NUMBER,
                  "Number of primary instances", GQ_INST,
                  _GroupMembers("group_to_instances", True)),
        MakeField("pinst_list", "InstanceList", QFT_OTHER,
                  "List of primary instances", GQ_INST,
                  _GroupMembers("group_to_instances", False)),
        TagsField(GQ_CONFIG),
        MakeField("ipolicy", "InstancePolicy", QFT_OTHER,
                  "Instance policy limitations (merged)", GQ_CONFIG,
                  lambda ctx, group: ctx.FilledIPolicy(group)),
        MakeField("custom_ipolicy", "CustomInstancePolicy", QFT_OTHER,
                  "Custom instance policy limitations", GQ_CONFIG,
                  lambda _ctx, group: group.ipolicy or {}),
        MakeField("custom_ndparams", "CustomNDParams", QFT_OTHER,
                  "Custom node parameters", GQ_CONFIG,
                  lambda _ctx, group: group.ndparams or {}),
        MakeField("ndparams", "NDParams", QFT_OTHER, "Node parameters",
                  GQ_CONFIG, lambda ctx, group: ctx.FilledNdParams(group)),
        MakeField("diskparams", "DiskParameters", QFT_OTHER,
                  "Disk parameters (merged)", GQ_DISKPARAMS,
                  lambda ctx, group: ctx.FilledDiskParams(group)),
        MakeField("custom_diskparams", "CustomDiskParameters", QFT_OTHER,
                  "Custom disk parameters", GQ_CONFIG,
                  lambda _ctx, group: group.diskparams or {}),
    ]
    fields += TimestampFields(GQ_CONFIG)
    fields += [MakeField("ndp/%s" % name, title, kind,
                         'The "%s" node parameter' % name, GQ_CONFIG,
                         _GroupNdParam(name))
               for name, title, kind in NDP_FIELDS]
    return fields


GROUP_FIELDS = BuildFieldDict(_BuildGroupFields())


# ================================================================== cluster

class ClusterQueryData:
    """What cluster field getters read (see the module doc)."""

    def __init__(self, cluster: Any, nodes: Optional[Dict[str, Any]] = None,
                 drain_flag: Optional[bool] = None,
                 watcher_pause: Optional[float] = None) -> None:
        self.cluster = cluster
        self.nodes = nodes or {}
        self.drain_flag = drain_flag
        self.watcher_pause = watcher_pause

    def __iter__(self):
        return iter([self.cluster])


def _ClusterMasterName(ctx: ClusterQueryData, cluster: Any) -> Any:
    node = ctx.nodes.get(cluster.master_node)
    if node is None:
        return cluster.master_node if cluster.master_node else FS_UNAVAIL
    return node.name


def _Const(value: Any):
    return lambda _ctx, _item: value


def _BuildClusterFields() -> list:
    fields = [
        TagsField(CQ_CONFIG),
        MakeField("architecture", "ArchInfo", QFT_OTHER,
                  "Architecture information", None,
                  _Const([platform.architecture()[0], platform.machine()])),
        MakeField("drain_flag", "QueueDrained", QFT_BOOL,
                  "Whether job queue is drained", CQ_QUEUE_DRAINED,
                  lambda ctx, _c: FS_NODATA if ctx.drain_flag is None
                  else ctx.drain_flag),
        MakeField("watcher_pause", "WatcherPause", QFT_TIMESTAMP,
                  "Until when watcher is paused", CQ_WATCHER_PAUSE,
                  lambda ctx, _c: FS_UNAVAIL if ctx.watcher_pause is None
                  else ctx.watcher_pause),
        MakeField("master_node", "Master", QFT_TEXT, "Master node name",
                  CQ_CONFIG, _ClusterMasterName, QFF_HOSTNAME),
        MakeField("cluster_name", "Name", QFT_TEXT, "Cluster name",
                  CQ_CONFIG, ItemAttr("cluster_name"), QFF_HOSTNAME),
        MakeField("volume_group_name", "VgName", QFT_TEXT,
                  "LVM volume group name", CQ_CONFIG,
                  ItemAttr("volume_group_name", True)),
        MakeField("software_version", "SoftwareVersion", QFT_TEXT,
                  "Software version", None, _Const(C.RELEASE_VERSION)),
        MakeField("protocol_version", "ProtocolVersion", QFT_NUMBER,
                  "RPC protocol version", None, _Const(C.PROTOCOL_VERSION)),
        MakeField("config_version", "ConfigVersion", QFT_NUMBER,
                  "Configuration format version", None,
                  _Const(C.CONFIG_VERSION)),
        MakeField("os_api_version", "OsApiVersion", QFT_NUMBER,
                  "API version for OS template scripts", None,
                  _Const(max(C.OS_API_VERSIONS))),
        MakeField("export_version", "ExportVersion", QFT_NUMBER,
                  "Import/export file format version", None,
                  _Const(C.EXPORT_VERSION)),
        MakeField("vcs_version", "VCSVersion", QFT_TEXT,
                  "VCS version", None, _Const(C.VCS_VERSION)),
    ]
    fields += TimestampFields(CQ_CONFIG)
    fields.append(MakeField("name", "Name", QFT_TEXT, "Cluster name",
                            CQ_CONFIG, ItemAttr("cluster_name"),
                            QFF_HOSTNAME))
    return fields


CLUSTER_FIELDS = BuildFieldDict(_BuildClusterFields())
