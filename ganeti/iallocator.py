"""The instance allocator (iallocator) protocol, version 2.

The master builds a JSON document describing the cluster (nodegroups,
nodes with their live resources, instances) plus one request, and has an
allocator script (e.g. hail) run on the master node through the
``iallocator_runner`` node RPC; the script answers
``{"success": bool, "info": str, "result": ...}``.

Request classes (one per request type) know their fields, how many nodes an
answer must name and how to validate it.  ``RunIAllocatorScript`` is the
node side of ``iallocator_runner``.
"""

import json
import os
import tempfile
from typing import Any, Dict, List, Optional

from ganeti import constants as C
from ganeti import errors
from ganeti import pathutils
from ganeti import serializer

IALLOCATOR_VERSION = 2
DRBD_META_SIZE = 128
_DTS_INT_MIRROR = (C.DT_DRBD8,)


def ComputeDiskSize(disk_template: str, disks: List[Dict[str, Any]]) -> int:
    """Space the disks of a template need on a node (MiB)."""
    if disk_template in (C.DT_DISKLESS, C.DT_BLOCK):
        return 0
    total = 0
    for disk in disks:
        total += int(disk.get("size") or 0)
        if disk_template == C.DT_DRBD8:
            total += DRBD_META_SIZE
    return total


# ---------------------------------------------------------------- requests

def _RequestDisk(disk: Dict[str, Any], disk_template: str) -> Dict[str, Any]:
    """A disk of an allocation request: the caller's keys plus dev_type."""
    entry = dict(disk)
    entry.setdefault("dev_type", disk_template)
    return entry


class IARequestBase:
    """One request; subclasses set MODE and the fields they need."""

    MODE = ""
    REQ_FIELDS: List[str] = []

    def __init__(self, **kwargs: Any) -> None:
        missing = [f for f in self.REQ_FIELDS if f not in kwargs]
        extra = [k for k in kwargs if k not in self.REQ_FIELDS +
                 getattr(self, "OPT_FIELDS", [])]
        if missing or extra:
            raise errors.ProgrammerError(
                "Invalid iallocator request %s: missing %s, unknown %s"
                % (self.MODE, missing, extra))
        for key in getattr(self, "OPT_FIELDS", []):
            setattr(self, key, kwargs.get(key))
        for key in self.REQ_FIELDS:
            setattr(self, key, kwargs[key])

    def RequiredNodes(self, cfg) -> Optional[int]:
        return None

    def GetRequest(self, cfg) -> Dict[str, Any]:
        raise NotImplementedError

    def ValidateResult(self, ial: "IAllocator", result: Any) -> None:
        """Check the shape of a successful answer."""


class IAReqInstanceAlloc(IARequestBase):
    """Find primary (and secondary) node(s) for a new instance."""

    MODE = C.IALLOCATOR_MODE_ALLOC
    REQ_FIELDS = ["name", "memory", "spindle_use", "disks", "disk_template",
                  "os", "tags", "nics", "vcpus", "hypervisor"]
    OPT_FIELDS = ["group_name", "node_whitelist"]

    def RequiredNodes(self, cfg=None) -> int:
        return 2 if self.disk_template in _DTS_INT_MIRROR else 1

    def GetRequest(self, cfg) -> Dict[str, Any]:
        disks = [_RequestDisk(disk, self.disk_template)
                 for disk in self.disks]
        request = {
            "name": self.name,
            "disk_template": self.disk_template,
            "group_name": self.group_name,
            "tags": list(self.tags or []),
            "os": self.os,
            "vcpus": self.vcpus,
            "memory": self.memory,
            "spindle_use": self.spindle_use,
            "disks": disks,
            "disk_space_total": ComputeDiskSize(self.disk_template, disks),
            "nics": self.nics,
            "required_nodes": self.RequiredNodes(cfg),
            "hypervisor": self.hypervisor,
        }
        if self.node_whitelist is not None:
            request["node_whitelist"] = list(self.node_whitelist)
        return request

    def ValidateResult(self, ial, result) -> None:
        if not isinstance(result, list) or \
                not all(isinstance(n, str) for n in result):
            raise errors.OpExecError("Invalid result from iallocator: expected"
                                     " a list of node names, got %r"
                                     % (result,))
        required = self.RequiredNodes()
        if len(result) != required:
            raise errors.OpPrereqError("iallocator returned invalid number of"
                                       " nodes (%s), required %s"
                                       % (len(result), required),
                                       errors.ECODE_FAULT)


class IAReqMultiInstanceAlloc(IARequestBase):
    """Find nodes for several new instances at once."""

    MODE = C.IALLOCATOR_MODE_MULTI_ALLOC
    REQ_FIELDS = ["instances"]

    def GetRequest(self, cfg) -> Dict[str, Any]:
        return {"instances": [req.GetRequest(cfg) for req in self.instances]}

    def ValidateResult(self, ial, result) -> None:
        if not (isinstance(result, list) and len(result) == 2 and
                all(isinstance(part, list) for part in result)):
            raise errors.OpExecError("Invalid result from iallocator:"
                                     " expected [allocatable, failed], got"
                                     " %r" % (result,))
        for entry in result[0]:
            if not (isinstance(entry, list) and len(entry) == 2 and
                    isinstance(entry[0], str) and
                    isinstance(entry[1], list)):
                raise errors.OpExecError("Invalid result from iallocator:"
                                         " bad allocation %r" % (entry,))


class IAReqInstanceAllocateSecondary(IARequestBase):
    """Find a secondary node for an existing instance."""

    MODE = C.IALLOCATOR_MODE_ALLOCATE_SECONDARY
    REQ_FIELDS = ["name"]

    def GetRequest(self, cfg) -> Dict[str, Any]:
        return {"name": self.name}

    def ValidateResult(self, ial, result) -> None:
        if not isinstance(result, str):
            raise errors.OpExecError("Invalid result from iallocator:"
                                     " expected a node name, got %r"
                                     % (result,))


class IAReqRelocate(IARequestBase):
    """Find a new node for an instance (moving away from some nodes)."""

    MODE = C.IALLOCATOR_MODE_RELOC
    REQ_FIELDS = ["inst_uuid", "relocate_from_node_uuids"]

    def RequiredNodes(self, cfg=None) -> int:
        return 1

    def GetRequest(self, cfg) -> Dict[str, Any]:
        inst = cfg.GetInstanceInfo(self.inst_uuid)
        if inst is None:
            raise errors.ProgrammerError("Unknown instance '%s' passed to"
                                         " IAllocator" % self.inst_uuid)
        disks = cfg.GetInstanceDisks(inst.uuid)
        template = cfg.GetInstanceDiskTemplate(inst.uuid)
        return {
            "name": inst.name,
            "disk_space_total": ComputeDiskSize(
                template, [{"size": d.size} for d in disks]),
            "required_nodes": 1,
            "relocate_from": [cfg.GetNodeName(u)
                              for u in self.relocate_from_node_uuids],
        }

    def ValidateResult(self, ial, result) -> None:
        if not isinstance(result, list) or len(result) != 1 or \
                not isinstance(result[0], str):
            raise errors.OpExecError("Invalid result from iallocator: %r"
                                     % (result,))


class IAReqNodeEvac(IARequestBase):
    """Move the instances of a node elsewhere."""

    MODE = C.IALLOCATOR_MODE_NODE_EVAC
    REQ_FIELDS = ["instances", "evac_mode"]
    OPT_FIELDS = ["ignore_soft_errors"]

    def GetRequest(self, cfg) -> Dict[str, Any]:
        request = {"instances": list(self.instances),
                   "evac_mode": self.evac_mode}
        if self.ignore_soft_errors is not None:
            request["ignore_soft_errors"] = self.ignore_soft_errors
        return request

    def ValidateResult(self, ial, result) -> None:
        _CheckJobsResult(result)


class IAReqGroupChange(IARequestBase):
    """Move instances to other node groups."""

    MODE = C.IALLOCATOR_MODE_CHG_GROUP
    REQ_FIELDS = ["instances", "target_groups"]

    def GetRequest(self, cfg) -> Dict[str, Any]:
        return {"instances": list(self.instances),
                "target_groups": list(self.target_groups)}

    def ValidateResult(self, ial, result) -> None:
        _CheckJobsResult(result)


def _CheckJobsResult(result) -> None:
    if not (isinstance(result, list) and len(result) == 3 and
            all(isinstance(part, list) for part in result)):
        raise errors.OpExecError("Invalid result from iallocator: expected"
                                 " [moved, failed, jobs], got %r" % (result,))


# ---------------------------------------------------------------- input data

def _NodeGroups(cfg) -> Dict[str, Dict[str, Any]]:
    cluster = cfg.GetClusterInfo()
    result = {}
    for group in cfg.GetAllNodeGroupsInfo().values():
        ipolicy = dict(cluster.ipolicy or {})
        ipolicy.update(group.ipolicy or {})
        result[group.uuid] = {
            "name": group.name,
            "alloc_policy": group.alloc_policy or C.ALLOC_POLICY_PREFERRED,
            "networks": sorted((group.networks or {}).keys()),
            "ipolicy": ipolicy,
            "tags": list(group.tags or []),
        }
    return result


def _InstanceEntry(cfg, inst) -> Dict[str, Any]:
    cluster = cfg.GetClusterInfo()
    bep = cluster.FillBE(inst.beparams or {})
    default_nic = (cluster.nicparams or {}).get("default", {})
    nics = []
    for nic in inst.nics or []:
        params = dict(default_nic)
        params.update(nic.nicparams or {})
        entry = {"mac": nic.mac, "ip": nic.ip, "mode": params.get("mode"),
                 "link": params.get("link")}
        if nic.network:
            entry["network"] = nic.network
        if params.get("mode") == C.NIC_MODE_BRIDGED:
            entry["bridge"] = params.get("link")
        nics.append(entry)
    disks = cfg.GetInstanceDisks(inst.uuid)
    template = cfg.GetInstanceDiskTemplate(inst.uuid)
    ddicts = [{"dev_type": d.dev_type, "size": d.size, "mode": d.mode,
               "spindles": d.spindles} for d in disks]
    return {
        "tags": list(inst.tags or []),
        "admin_state": inst.admin_state,
        "vcpus": bep["vcpus"],
        "memory": bep["maxmem"],
        "spindle_use": bep.get("spindle_use", 1),
        "os": inst.os,
        "nodes": [cfg.GetNodeName(u) for u in cfg.GetInstanceNodes(inst.uuid)],
        "nics": nics,
        "disks": ddicts,
        "disk_template": template,
        "disks_active": bool(inst.disks_active),
        "hypervisor": inst.hypervisor,
        "disk_space_total": ComputeDiskSize(template, ddicts),
    }


def _NodeEntry(cfg, node, live: Optional[tuple], instances,
               running: Dict[str, Dict[str, Any]]) -> Dict[str, Any]:
    """A node's entry: its live resources (online vm-capable nodes that
    answered), then its static attributes."""
    entry = _NodeResources(cfg, node, live, instances, running)
    entry.update({
        "tags": list(node.tags or []),
        "primary_ip": node.primary_ip,
        "secondary_ip": node.secondary_ip,
        "offline": bool(node.offline),
        "drained": bool(node.drained),
        "master_candidate": bool(node.master_candidate),
        "group": node.group,
        "master_capable": bool(node.master_capable),
        "vm_capable": bool(node.vm_capable),
        "ndparams": cfg.GetClusterInfo().FillND(
            node, cfg.GetNodeGroup(node.group)),
    })
    return entry


def _NodeResources(cfg, node, live: Optional[tuple], instances,
                   running: Dict[str, Dict[str, Any]]) -> Dict[str, Any]:
    if node.offline or not node.vm_capable or live is None:
        return {}
    storage, hvinfo = live
    cluster = cfg.GetClusterInfo()
    free_mem = int(hvinfo.get("memory_free") or 0)
    i_pri_mem = i_pri_up_mem = 0
    for inst in instances:
        if inst.primary_node != node.uuid:
            continue
        maxmem = cluster.FillBE(inst.beparams or {})["maxmem"]
        i_pri_mem += maxmem
        used = int((running.get(inst.name) or {}).get("memory") or 0)
        free_mem -= max(0, maxmem - used)
        if inst.admin_state == C.ADMINST_UP:
            i_pri_up_mem += maxmem
    unit = storage[0] if storage else {}
    return {
        "total_memory": int(hvinfo.get("memory_total") or 0),
        "reserved_memory": int(hvinfo.get("memory_dom0") or 0),
        "free_memory": free_mem,
        "total_disk": int(unit.get("storage_size") or 0),
        "free_disk": int(unit.get("storage_free") or 0),
        "total_spindles": int(unit.get("spindles_total") or 0),
        "free_spindles": int(unit.get("spindles_free") or 0),
        "total_cpus": int(hvinfo.get("cpu_total") or 0),
        "reserved_cpus": int(hvinfo.get("cpu_dom0") or 0),
        "i_pri_memory": i_pri_mem,
        "i_pri_up_memory": i_pri_up_mem,
    }


def BuildInputData(cfg, request: IARequestBase,
                   node_live: Dict[str, tuple],
                   running: Optional[Dict[str, Dict[str, Any]]] = None
                   ) -> Dict[str, Any]:
    """The whole iallocator input document.

    node_live: {node uuid: (storage info list, hypervisor info dict)} for
    the nodes answering node_info; running: {instance name: live info}.
    """
    cluster = cfg.GetClusterInfo()
    instances = list(cfg.GetAllInstancesInfo().values())
    nodes = {}
    for node in cfg.GetAllNodesInfo().values():
        nodes[node.name] = _NodeEntry(cfg, node, node_live.get(node.uuid),
                                      instances, running or {})
    req = request.GetRequest(cfg)
    req["type"] = request.MODE
    return {
        "version": IALLOCATOR_VERSION,
        "cluster_name": cluster.cluster_name,
        "cluster_tags": list(cluster.tags or []),
        "enabled_hypervisors": list(cluster.enabled_hypervisors),
        "ipolicy": cluster.ipolicy,
        "nodegroups": _NodeGroups(cfg),
        "nodes": nodes,
        "instances": {i.name: _InstanceEntry(cfg, i) for i in instances},
        "request": req,
    }


def _StorageUnit(cluster, disk_template: Optional[str]) -> list:
    """The storage unit whose free space the nodes report (per-node
    storage of the request's template, else of an enabled template)."""
    templates = [disk_template] if disk_template else []
    templates += list(cluster.enabled_disk_templates or [])
    for template in templates:
        if template in (C.DT_PLAIN, C.DT_DRBD8) and cluster.volume_group_name:
            return [[C.ST_LVM_VG, cluster.volume_group_name, [False]]]
        if template == C.DT_FILE and cluster.file_storage_dir:
            return [[C.ST_FILE, cluster.file_storage_dir, []]]
    return []


class IAllocator:
    """Runs one request through an allocator script on the master."""

    def __init__(self, cfg, rpc, request: IARequestBase) -> None:
        self.cfg = cfg
        self.rpc = rpc
        self.req = request
        self.in_data: Optional[Dict[str, Any]] = None
        self.in_text: Optional[str] = None
        self.out_text: Optional[str] = None
        self.success = False
        self.info = ""
        self.result: Any = None

    def _LiveData(self):
        cluster = self.cfg.GetClusterInfo()
        nodes = [n for n in self.cfg.GetAllNodesInfo().values()
                 if not n.offline and n.vm_capable]
        if not nodes:
            return {}, {}
        template = getattr(self.req, "disk_template", None)
        hv_name = getattr(self.req, "hypervisor", None) or \
            cluster.enabled_hypervisors[0]
        hv_specs = [[hv_name, cluster.hvparams.get(hv_name, {})]]
        uuids = [n.uuid for n in nodes]
        info = self.rpc.call_node_info(uuids, _StorageUnit(cluster, template),
                                       hv_specs)
        live = {}
        for uuid in uuids:
            res = info.get(uuid)
            if res is None or res.fail_msg or not res.payload:
                continue
            _, storage, hvinfo = res.payload
            live[uuid] = (storage or [], (hvinfo or [{}])[0])
        running: Dict[str, Dict[str, Any]] = {}
        all_info = self.rpc.call_all_instances_info(
            uuids, list(cluster.enabled_hypervisors), cluster.hvparams)
        for uuid in uuids:
            res = all_info.get(uuid)
            if res is not None and not res.fail_msg and \
                    isinstance(res.payload, dict):
                running.update(res.payload)
        return live, running

    def BuildInput(self) -> str:
        """Compute the input document (with the nodes' live data); its
        text, in upstream's form (keys in protocol order, one line)."""
        live, running = self._LiveData()
        self.in_data = BuildInputData(self.cfg, self.req, live, running)
        self.in_text = json.dumps(self.in_data) + "\n"
        return self.in_text

    def Run(self, name: str, validate: bool = True) -> None:
        if self.in_text is None:
            self.BuildInput()
        params = self.cfg.GetClusterInfo().default_iallocator_params or {}
        result = self.rpc.call_iallocator_runner(self.cfg.GetMasterNode(),
                                                 name, self.in_text, params)
        result.Raise("Failure while running the iallocator script")
        self.out_text = result.payload
        if validate:
            self.ParseResult(self.out_text)

    def ParseResult(self, text: str) -> None:
        try:
            data = serializer.Load(text)
        except Exception as err:  # noqa: BLE001 (any parse failure)
            raise errors.OpExecError("Can't parse iallocator results: %s"
                                     % err)
        if not isinstance(data, dict):
            raise errors.OpExecError("Can't parse iallocator results: not a"
                                     " dict")
        if "result" not in data and "nodes" in data:
            data["result"] = data.pop("nodes")
        for key in ("success", "info", "result"):
            if key not in data:
                raise errors.OpExecError("Can't parse iallocator results:"
                                         " missing key '%s'" % key)
        self.success = bool(data["success"])
        self.info = data["info"]
        self.result = data["result"]
        if self.success:
            self.req.ValidateResult(self, self.result)


# ---------------------------------------------------------------- node side

def _FindScript(name: str) -> Optional[str]:
    if os.path.isabs(name):
        return name if os.access(name, os.X_OK) else None
    if "/" in name:
        return None
    for directory in pathutils.IALLOCATOR_SEARCH_PATH:
        path = os.path.join(directory, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def RunIAllocatorScript(name: str, idata: str,
                        default_iallocator_params: Optional[Dict] = None
                        ) -> str:
    """``iallocator_runner``: run an allocator on its input; its stdout."""
    # pylint: disable=import-outside-toplevel
    from ganeti.backend import RPCFail
    from ganeti.utils import process
    script = _FindScript(name)
    if script is None:
        raise RPCFail("iallocator module '%s' not found in the search path"
                      % name)
    opts = ["--%s=%s" % (key, value)
            for key, value in sorted((default_iallocator_params or {}).items())]
    fd, path = tempfile.mkstemp(prefix="ganeti-iallocator-")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(idata)
        result = process.RunCmd([script] + opts + [path])
        if result.failed:
            raise RPCFail("Instance allocator call failed: %s, output: %s"
                          % (result.fail_reason, result.output))
        return result.stdout
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass


# Node RPC calls served from this module (merged into noded's table).
RPC_CALLS = {"iallocator_runner": RunIAllocatorScript}
