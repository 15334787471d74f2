"""Helpers shared by the instance logical units: name expansion, node and
instance state checks, the instance hooks environment, backend/NIC
parameter handling, node resource checks and running the iallocator."""

import re
from typing import Any, Dict, Iterable, List, Optional, Tuple

from ganeti import constants as C
from ganeti import errors
from ganeti import iallocator
from ganeti import network
from ganeti import objects
from ganeti.cmdlib.base import (  # noqa: F401 (re-exported for the LUs)
    ExpandNodeUuidAndName, NodeName)
from ganeti.cmdlib.group import ForceVTypes
from ganeti.utils import text as utils_text

# Admin states an operation accepts.
INSTANCE_DOWN = [C.ADMINST_DOWN]
INSTANCE_ONLINE = [C.ADMINST_DOWN, C.ADMINST_UP]
INSTANCE_NOT_RUNNING = [C.ADMINST_DOWN, C.ADMINST_OFFLINE]

# Disk template families.
DTS_INT_MIRROR = frozenset([C.DT_DRBD8])
DTS_EXT_MIRROR = frozenset([C.DT_DISKLESS, C.DT_SHARED_FILE, C.DT_BLOCK,
                            C.DT_RBD, C.DT_EXT, C.DT_GLUSTER])
DTS_MIRRORED = DTS_INT_MIRROR | DTS_EXT_MIRROR
DTS_FILEBASED = frozenset([C.DT_FILE, C.DT_SHARED_FILE, C.DT_GLUSTER])
DTS_LVM = frozenset([C.DT_PLAIN, C.DT_DRBD8])
DTS_MAY_ADOPT = frozenset([C.DT_PLAIN, C.DT_BLOCK])
DTS_MUST_ADOPT = frozenset([C.DT_BLOCK])
DTS_NOT_CONVERTIBLE_FROM = frozenset([C.DT_DISKLESS])

HVC_GLOBALS = C.HVC_GLOBALS

# Backend parameters and their types ("size" values accept units).
BES_TYPES = {"always_failover": "bool", "auto_balance": "bool",
             "maxmem": "size", "minmem": "size", "memory": "size",
             "spindle_use": "int", "vcpus": "int"}
NIC_MODES = (C.NIC_MODE_BRIDGED, C.NIC_MODE_ROUTED, C.NIC_MODE_OVS)
VALUE_AUTO = "auto"
VALUE_GENERATE = "generate"
VALUE_NONE = "none"
NIC_IP_POOL = "pool"
_MAC_RE = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")


# --------------------------------------------------------------- names

def ExpandInstanceUuidAndName(cfg, expected_uuid: Optional[str],
                              name: str) -> Tuple[str, str]:
    """(uuid, full name) of an instance; unknown -> OpPrereqError."""
    uuid = cfg.ExpandInstanceName(name) if name else None
    if uuid is None:
        raise errors.OpPrereqError("Instance '%s' not known" % name,
                                   errors.ECODE_NOENT)
    if expected_uuid is not None and expected_uuid != uuid:
        raise errors.OpPrereqError("The instance's UUID '%s' does not match"
                                   " the expected UUID '%s' for instance"
                                   " '%s'" % (uuid, expected_uuid, name),
                                   errors.ECODE_NOENT)
    return uuid, cfg.GetInstanceInfo(uuid).name


# --------------------------------------------------------------- node checks

def CheckNodeOnline(lu, node_uuid: str, msg: Optional[str] = None) -> None:
    if msg is None:
        msg = "Can't use offline node"
    if lu.cfg.GetNodeInfo(node_uuid).offline:
        raise errors.OpPrereqError("%s %s" % (msg, NodeName(lu.cfg, node_uuid)),
                                   errors.ECODE_STATE)


def CheckNodeNotDrained(lu, node_uuid: str) -> None:
    if lu.cfg.GetNodeInfo(node_uuid).drained:
        raise errors.OpPrereqError("Can't use drained node %s"
                                   % NodeName(lu.cfg, node_uuid),
                                   errors.ECODE_STATE)


def CheckNodeVmCapable(lu, node_uuid: str) -> None:
    if not lu.cfg.GetNodeInfo(node_uuid).vm_capable:
        raise errors.OpPrereqError("Can't use non-vm_capable node %s"
                                   % NodeName(lu.cfg, node_uuid),
                                   errors.ECODE_STATE)


def CheckDiskTemplateEnabled(cluster, disk_template: str) -> None:
    enabled = cluster.enabled_disk_templates or []
    if disk_template not in enabled:
        raise errors.OpPrereqError("Disk template '%s' is not enabled in"
                                   " cluster. Enabled disk templates are: %s"
                                   % (disk_template, ",".join(enabled)))


def InstanceRunning(lu, instance) -> bool:
    """Whether the hypervisor on the primary node reports the instance."""
    cluster = lu.cfg.GetClusterInfo()
    result = lu.rpc.call_instance_info(
        instance.primary_node, instance.name, instance.hypervisor,
        cluster.hvparams.get(instance.hypervisor, {}))
    result.Raise("Error checking node %s"
                 % NodeName(lu.cfg, instance.primary_node), prereq=True,
                 ecode=errors.ECODE_ENVIRON)
    return bool(result.payload)


def CheckInstanceState(lu, instance, req_states: List[str],
                       msg: Optional[str] = None) -> None:
    """The instance's admin state must be one of req_states; without "up"
    among them it must also not run on its primary node."""
    if msg is None:
        msg = "can't use instance from outside %s states" % \
            utils_text.CommaJoin(req_states)
    if instance.admin_state not in req_states:
        raise errors.OpPrereqError("Instance '%s' is marked to be %s, %s"
                                   % (instance.name, instance.admin_state,
                                      msg), errors.ECODE_STATE)
    if C.ADMINST_UP not in req_states:
        if lu.cfg.GetNodeInfo(instance.primary_node).offline:
            lu.LogWarning("Primary node offline, ignoring check that instance"
                          " is down")
            return
        cluster = lu.cfg.GetClusterInfo()
        result = lu.rpc.call_instance_list(
            [instance.primary_node], [instance.hypervisor],
            cluster.hvparams)[instance.primary_node]
        result.Raise("Can't contact node %s for instance information"
                     % NodeName(lu.cfg, instance.primary_node), prereq=True,
                     ecode=errors.ECODE_ENVIRON)
        if instance.name in (result.payload or []):
            raise errors.OpPrereqError("Instance %s is running, %s"
                                       % (instance.name, msg),
                                       errors.ECODE_STATE)


def InstanceDisks(lu, instance) -> List[objects.Disk]:
    return lu.cfg.GetInstanceDisks(instance.uuid)


def InstanceDiskTemplate(lu, instance) -> str:
    return lu.cfg.GetInstanceDiskTemplate(instance.uuid)


# --------------------------------------------------------------- hooks env

def _Str(value) -> str:
    return "" if value is None else str(value)


def BuildInstanceHookEnv(name: str, primary_node_name: str,
                         secondary_node_names: Iterable[str], os_type: str,
                         status: str, minmem: int, maxmem: int, vcpus: int,
                         nics: List[tuple], disk_template: str,
                         disks: List[tuple], bep: Dict, hvp: Dict,
                         hypervisor_name: str, tags: Iterable[str]
                         ) -> Dict[str, str]:
    """The INSTANCE_* hook variables (without the GANETI_ prefix).

    nics: (name, uuid, ip, mac, mode, link, vlan, network name, network
    object or None) tuples;
    disks: (name, uuid, size, mode, dev_type, logical_id) tuples.
    """
    env = {
        "OP_TARGET": name,
        "INSTANCE_NAME": name,
        "INSTANCE_PRIMARY": primary_node_name,
        "INSTANCE_SECONDARIES": " ".join(secondary_node_names),
        "INSTANCE_OS_TYPE": os_type,
        "INSTANCE_STATUS": status,
        "INSTANCE_MINMEM": minmem,
        "INSTANCE_MAXMEM": maxmem,
        "INSTANCE_MEMORY": maxmem,
        "INSTANCE_VCPUS": vcpus,
        "INSTANCE_DISK_TEMPLATE": disk_template,
        "INSTANCE_HYPERVISOR": hypervisor_name,
        "INSTANCE_NIC_COUNT": len(nics),
        "INSTANCE_DISK_COUNT": len(disks),
        "INSTANCE_TAGS": " ".join(tags or []),
    }
    for idx, (nname, nuuid, ip, mac, mode, link, vlan, netname, netobj) in \
            enumerate(nics):
        prefix = "INSTANCE_NIC%d_" % idx
        env[prefix + "NAME"] = _Str(nname)
        env[prefix + "UUID"] = _Str(nuuid)
        env[prefix + "IP"] = _Str(ip)
        env[prefix + "MAC"] = _Str(mac)
        env[prefix + "MODE"] = _Str(mode)
        env[prefix + "LINK"] = _Str(link)
        env[prefix + "VLAN"] = _Str(vlan)
        if netobj is not None:
            env.update(network.HooksDict(netobj, prefix))
        elif netname:
            env[prefix + "NETWORK_NAME"] = netname
        if mode == C.NIC_MODE_BRIDGED:
            env[prefix + "BRIDGE"] = _Str(link)
    for idx, (dname, duuid, size, mode, dev_type, logical_id) in \
            enumerate(disks):
        prefix = "INSTANCE_DISK%d_" % idx
        env[prefix + "NAME"] = _Str(dname)
        env[prefix + "UUID"] = _Str(duuid)
        env[prefix + "SIZE"] = _Str(size)
        env[prefix + "MODE"] = _Str(mode)
        env[prefix + "DEV_TYPE"] = _Str(dev_type)
        env.update(_DiskTypeEnv(prefix, dev_type, logical_id))
    for source, kind in ((bep, "BE"), (hvp, "HV")):
        for key, value in (source or {}).items():
            env["INSTANCE_%s_%s" % (kind, key)] = value
    return env


def _DiskTypeEnv(prefix: str, dev_type: str, logical_id) -> Dict[str, Any]:
    lid = list(logical_id or [])
    if dev_type == C.DT_PLAIN and len(lid) == 2:
        return {prefix + "VG": lid[0], prefix + "ID": lid[1]}
    if dev_type in (C.DT_FILE, C.DT_SHARED_FILE, C.DT_GLUSTER) and \
            len(lid) == 2:
        return {prefix + "DRIVER": lid[0], prefix + "ID": lid[1]}
    if dev_type in (C.DT_BLOCK, C.DT_RBD) and len(lid) == 2:
        return {prefix + "ID": lid[1]}
    if dev_type == C.DT_EXT and len(lid) == 2:
        return {prefix + "PROVIDER": lid[0], prefix + "ID": lid[1]}
    return {}


def NicTuples(lu, nics) -> List[tuple]:
    cluster = lu.cfg.GetClusterInfo()
    default = (cluster.nicparams or {}).get("default", {})
    networks = lu.cfg.GetAllNetworksInfo()
    result = []
    for nic in nics:
        params = dict(default)
        params.update(nic.nicparams or {})
        netname = net = None
        if nic.network:
            net = networks.get(nic.network)
            netname = net.name if net is not None else nic.network
        result.append((nic.name, nic.uuid, nic.ip, nic.mac,
                       params.get("mode"), params.get("link"),
                       params.get("vlan", ""), netname, net))
    return result


def DiskTuples(disks) -> List[tuple]:
    return [(d.name, d.uuid, d.size, d.mode, d.dev_type, d.logical_id)
            for d in disks]


def BuildInstanceHookEnvByObject(lu, instance, secondary_nodes=None,
                                 disks=None, override=None
                                 ) -> Dict[str, Any]:
    """BuildInstanceHookEnv for a config instance (override wins)."""
    cfg = lu.cfg
    cluster = cfg.GetClusterInfo()
    bep = FilledBeParams(cluster, instance)
    hvp = cluster.FillHV(instance.hypervisor, instance.os,
                         instance.hvparams or {})
    if secondary_nodes is None:
        secondary_nodes = cfg.GetInstanceSecondaryNodes(instance.uuid)
    if disks is None:
        disks = cfg.GetInstanceDisks(instance.uuid)
    args = {
        "name": instance.name,
        "primary_node_name": NodeName(cfg, instance.primary_node),
        "secondary_node_names": [NodeName(cfg, n) for n in secondary_nodes],
        "os_type": instance.os,
        "status": instance.admin_state,
        "minmem": bep["minmem"],
        "maxmem": bep["maxmem"],
        "vcpus": bep["vcpus"],
        "nics": NicTuples(lu, instance.nics or []),
        "disk_template": cfg.GetInstanceDiskTemplate(instance.uuid),
        "disks": DiskTuples(disks),
        "bep": bep,
        "hvp": hvp,
        "hypervisor_name": instance.hypervisor,
        "tags": instance.tags or [],
    }
    if override:
        args.update(override)
    return BuildInstanceHookEnv(**args)


def InstanceHookNodes(lu, instance) -> Tuple[List[str], List[str]]:
    """(pre, post) hook nodes: the master and the instance's nodes."""
    nodes = [lu.cfg.GetMasterNode()] + \
        list(lu.cfg.GetInstanceNodes(instance.uuid))
    return nodes, nodes


# --------------------------------------------------------------- parameters

def FilledBeParams(cluster, instance) -> Dict[str, Any]:
    return cluster.FillBE(instance.beparams or {})


def ForceBeParamTypes(beparams: Dict[str, Any],
                      allow_default: bool = False) -> Dict[str, Any]:
    """A copy of beparams with the values converted to their declared
    types (sizes with units to MiB); TypeEnforcementError if one can't be."""
    result = dict(beparams or {})
    ForceVTypes(result, BES_TYPES, allow_default=allow_default)
    return result


def UpgradeBeParams(beparams: Dict[str, Any]) -> Dict[str, Any]:
    """The legacy "memory" key sets both maxmem and minmem."""
    result = dict(beparams)
    if "memory" in result:
        memory = result.pop("memory")
        result.setdefault("maxmem", memory)
        result.setdefault("minmem", memory)
    return result


def CheckMinMaxMem(filled: Dict[str, Any]) -> None:
    if filled.get("minmem", 0) > filled.get("maxmem", 0):
        raise errors.OpPrereqError("Minimum memory (%s) can't be larger than"
                                   " maximum memory (%s)"
                                   % (filled["minmem"], filled["maxmem"]),
                                   errors.ECODE_INVAL)


def CheckMacAddress(mac: str) -> str:
    mac = mac.lower()
    if not _MAC_RE.match(mac):
        raise errors.OpPrereqError("Invalid MAC address '%s'" % mac,
                                   errors.ECODE_INVAL)
    return mac


def _IsValidIp(ip: str) -> bool:
    from ganeti import netutils  # pylint: disable=import-outside-toplevel
    return netutils.IsValidIP4(ip) or netutils.IsValidIP(ip)


def ComputeNics(lu, nics_spec: List[Dict[str, Any]],
                default_ip: Optional[str]) -> List[objects.NIC]:
    """NIC objects for an instance creation's "nics" parameter.

    MACs "auto"/"generate" are left as given (GenerateMacs fills them);
    "auto" IPs take default_ip (the resolved instance address).
    """
    cluster = lu.cfg.GetClusterInfo()
    default = (cluster.nicparams or {}).get("default", {})
    networks = lu.cfg.GetAllNetworksInfo()
    result = []
    for idx, spec in enumerate(nics_spec):
        spec = dict(spec or {})
        mode = spec.get(C.INIC_MODE) or None
        link = spec.get(C.INIC_LINK) or None
        bridge = spec.get(C.INIC_BRIDGE) or None
        if bridge and link and bridge != link:
            raise errors.OpPrereqError("Cannot pass 'bridge' and 'link' at the"
                                       " same time", errors.ECODE_INVAL)
        if bridge:
            if mode not in (None, C.NIC_MODE_BRIDGED):
                raise errors.OpPrereqError("Cannot pass 'bridge' on a"
                                           " non-bridged nic",
                                           errors.ECODE_INVAL)
            link = bridge
        if mode is not None and mode not in NIC_MODES:
            raise errors.OpPrereqError("Invalid NIC mode '%s'" % mode,
                                       errors.ECODE_INVAL)
        net = spec.get(C.INIC_NETWORK) or None
        net_uuid = None
        if net and net.lower() != VALUE_NONE:
            found = [n for n in networks.values()
                     if n.name == net or n.uuid == net]
            if not found:
                raise errors.OpPrereqError("Network '%s' not found" % net,
                                           errors.ECODE_NOENT)
            net_uuid = found[0].uuid
        ip = spec.get(C.INIC_IP)
        if ip is None or str(ip).lower() == VALUE_NONE or ip == "":
            ip = None
        elif str(ip).lower() == VALUE_AUTO:
            if default_ip is None:
                raise errors.OpPrereqError("IP address set to auto but name"
                                           " checks have been skipped",
                                           errors.ECODE_INVAL)
            ip = default_ip
        elif str(ip).lower() == NIC_IP_POOL:
            if net_uuid is None:
                raise errors.OpPrereqError("if ip=pool, parameter network"
                                           " must be passed too",
                                           errors.ECODE_INVAL)
        elif not _IsValidIp(ip):
            raise errors.OpPrereqError("Invalid IP address '%s'" % ip,
                                       errors.ECODE_INVAL)
        eff_mode = mode or default.get("mode")
        if eff_mode == C.NIC_MODE_ROUTED and not ip and net_uuid is None:
            raise errors.OpPrereqError("Routed nic mode requires an ip"
                                       " address", errors.ECODE_INVAL)
        mac = spec.get(C.INIC_MAC) or VALUE_AUTO
        if mac not in (VALUE_AUTO, VALUE_GENERATE):
            mac = CheckMacAddress(mac)
        nicparams = {}
        if mode:
            nicparams["mode"] = mode
        if link:
            nicparams["link"] = link
        if spec.get(C.INIC_VLAN):
            nicparams["vlan"] = spec[C.INIC_VLAN]
        result.append(objects.NIC(mac=mac, ip=ip, network=net_uuid,
                                  name=spec.get(C.INIC_NAME) or None,
                                  nicparams=nicparams,
                                  uuid=objects.new_uuid()))
    return result


def GenerateMacs(lu, nics: List[objects.NIC]) -> None:
    """Fill "auto" MACs; reserve user-given ones (must be unused)."""
    for nic in nics:
        if nic.mac in (VALUE_AUTO, VALUE_GENERATE):
            nic.mac = lu.cfg.GenerateMAC(nic.network)
        else:
            try:
                lu.cfg.ReserveMAC(nic.mac)
            except errors.ReservationError:
                raise errors.OpPrereqError("MAC address %s already in use"
                                           " in cluster" % nic.mac,
                                           errors.ECODE_NOTUNIQUE)


# --------------------------------------------------------------- resources

def NodeHvInfo(lu, node_uuid: str, hvname: str, hvparams: Dict) -> Dict:
    result = lu.rpc.call_node_info([node_uuid], [], [[hvname, hvparams]])
    res = result[node_uuid]
    res.Raise("Can't get data from node %s" % NodeName(lu.cfg, node_uuid),
              prereq=True, ecode=errors.ECODE_ENVIRON)
    _, _, hvinfo = res.payload
    return hvinfo[0] if hvinfo else {}


def CheckNodeFreeMemory(lu, node_uuid: str, reason: str, requested: int,
                        hvname: str, hvparams: Dict) -> int:
    info = NodeHvInfo(lu, node_uuid, hvname, hvparams)
    free = info.get("memory_free")
    node_name = NodeName(lu.cfg, node_uuid)
    if not isinstance(free, int):
        raise errors.OpPrereqError("Can't compute free memory on node %s,"
                                   " result was '%s'" % (node_name, free),
                                   errors.ECODE_ENVIRON)
    if requested > free:
        raise errors.OpPrereqError("Not enough memory on node %s for %s:"
                                   " needed %s MiB, available %s MiB"
                                   % (node_name, reason, requested, free),
                                   errors.ECODE_NORES)
    return free


def StorageUnitFor(cluster, disk_template: str) -> Optional[list]:
    """[type, key, params] of the storage a template allocates from."""
    if disk_template in DTS_LVM and cluster.volume_group_name:
        return [C.ST_LVM_VG, cluster.volume_group_name, [False]]
    if disk_template == C.DT_FILE and cluster.file_storage_dir:
        return [C.ST_FILE, cluster.file_storage_dir, []]
    # Shared storage (sharedfile) is not per node: nothing to check here.
    return None


def ComputeDiskSizePerVG(disk_template: str, disks: List[Dict],
                         default_vg: Optional[str]) -> Dict[str, int]:
    """MiB each volume group must have free for the disks of an LVM
    template (a disk's "vg" or default_vg; drbd adds its metadata)."""
    sizes: Dict[str, int] = {}
    if disk_template not in DTS_LVM:
        return sizes
    for disk in disks:
        vg = disk.get("vg") or default_vg
        if not vg:
            continue
        size = int(disk.get("size") or 0)
        if disk_template == C.DT_DRBD8:
            size += iallocator.DRBD_META_SIZE
        sizes[vg] = sizes.get(vg, 0) + size
    return sizes


def DiskGrowthPerVG(disk, amount: int) -> Optional[Dict[str, int]]:
    """{vg: MiB} growing an LVM disk by amount takes (a drbd disk grows its
    data LV), or None for other disks."""
    if disk.dev_type == C.DT_DRBD8 and disk.children:
        disk = disk.children[0]
    if disk.dev_type != C.DT_PLAIN or not disk.logical_id:
        return None
    return {disk.logical_id[0]: amount}


def _CheckNodesFreeStorage(lu, node_uuids: List[str], unit: list,
                           requested: int) -> None:
    result = lu.rpc.call_node_info(node_uuids, [unit], [])
    lvm = unit[0] == C.ST_LVM_VG
    for node_uuid in node_uuids:
        res = result[node_uuid]
        node_name = NodeName(lu.cfg, node_uuid)
        res.Raise("Cannot get current information from node %s" % node_name,
                  prereq=True, ecode=errors.ECODE_ENVIRON)
        storage = (res.payload[1] or [{}])[0] if res.payload else {}
        free = storage.get("storage_free")
        if not isinstance(free, (int, float)):
            raise errors.OpPrereqError("Can't compute free disk space on node"
                                       " %s for %s %s, result was '%s'"
                                       % (node_name, "vg" if lvm else unit[0],
                                          unit[1], free),
                                       errors.ECODE_ENVIRON)
        if requested > free:
            what = "vg" if lvm else "storage"
            raise errors.OpPrereqError("Not enough disk space on target node"
                                       " %s %s %s: required %d MiB, available"
                                       " %d MiB" % (node_name, what, unit[1],
                                                    requested, free),
                                       errors.ECODE_NORES)


def CheckNodesFreeDisk(lu, node_uuids: List[str], disk_template: str,
                       requested: int,
                       per_vg: Optional[Dict[str, int]] = None) -> None:
    """Enough free space in the template's storage on every node.

    per_vg ({vg: MiB}, see ComputeDiskSizePerVG) checks each volume group
    an LVM template's disks use instead of the cluster's only.
    """
    if per_vg is not None and disk_template in DTS_LVM:
        for vg, size in sorted(per_vg.items()):
            if size > 0:
                _CheckNodesFreeStorage(lu, node_uuids,
                                       [C.ST_LVM_VG, vg, [False]], size)
        return
    if requested <= 0:
        return
    unit = StorageUnitFor(lu.cfg.GetClusterInfo(), disk_template)
    if unit is None:
        return
    _CheckNodesFreeStorage(lu, node_uuids, unit, requested)


def CheckHVParams(lu, node_uuids: List[str], hvname: str,
                  hvparams: Dict) -> None:
    """Validate filled hypervisor parameters on the given nodes."""
    online = [n for n in node_uuids if not lu.cfg.GetNodeInfo(n).offline]
    if not online:
        return
    result = lu.rpc.call_hypervisor_validate_params(online, hvname, hvparams)
    for node_uuid in online:
        result[node_uuid].Raise("Hypervisor parameter validation failed on"
                                " node %s" % NodeName(lu.cfg, node_uuid),
                                prereq=True, ecode=errors.ECODE_INVAL)


def CheckBridgesExist(lu, nics: List[objects.NIC], node_uuid: str) -> None:
    cluster = lu.cfg.GetClusterInfo()
    default = (cluster.nicparams or {}).get("default", {})
    bridges = []
    for nic in nics:
        params = dict(default)
        params.update(nic.nicparams or {})
        if params.get("mode") == C.NIC_MODE_BRIDGED and params.get("link"):
            bridges.append(params["link"])
    if not bridges:
        return
    result = lu.rpc.call_bridges_exist(node_uuid, bridges)
    result.Raise("Error checking bridges on destination node '%s'"
                 % NodeName(lu.cfg, node_uuid), prereq=True,
                 ecode=errors.ECODE_ENVIRON)


# --------------------------------------------------------------- iallocator

def RunIAllocator(lu, req, instance_name: str,
                  ecode: str = errors.ECODE_NORES) -> List[Tuple[str, str]]:
    """Run the LU's iallocator (op.iallocator) on req; the (uuid, name) of
    each node it chose, in its order (the choice is logged)."""
    ial = iallocator.IAllocator(lu.cfg, lu.rpc, req)
    ial.Run(lu.op.iallocator)
    if not ial.success:
        raise errors.OpPrereqError("Can't compute nodes using iallocator"
                                   " '%s': %s" % (lu.op.iallocator, ial.info),
                                   ecode)
    nodes = [ExpandNodeUuidAndName(lu.cfg, None, name) for name in ial.result]
    lu.LogInfo("Selected nodes for instance %s via iallocator %s: %s",
               instance_name, lu.op.iallocator,
               utils_text.CommaJoin(ial.result))
    return nodes
