"""Detailed instance information (OpInstanceQueryData, gnt-instance info)."""

from typing import Any, Dict, List, Optional

from ganeti import constants as C
from ganeti import errors
from ganeti import locking
from ganeti.cmdlib.base import NoHooksLU
from ganeti.cmdlib import instance_utils as iu

_HV_SHUTDOWN = "shutdown"


#: Fields of a device status in an OpInstanceQueryData result, in order.
DEV_STATUS_FIELDS = ("dev_path", "major", "minor", "sync_percent",
                     "estimated_time", "is_degraded", "ldisk_status")


def _Status(status) -> Optional[List[Any]]:
    """A BlockDevStatus (object or dict) as upstream's 7-tuple (a list on
    the wire): path, major, minor, sync %, estimated time, degraded,
    ldisk status; None if there is no device."""
    if status is None:
        return None
    if not isinstance(status, dict):
        to_dict = getattr(status, "ToDict", None)
        status = to_dict() if callable(to_dict) else \
            {k: getattr(status, k, None) for k in DEV_STATUS_FIELDS}
    return [status.get(k) for k in DEV_STATUS_FIELDS]


class LUInstanceQueryData(NoHooksLU):
    """Configuration and (unless static) runtime data of instances."""

    REQ_BGL = False

    def ExpandNames(self) -> None:
        self.needed_locks = {}
        if self.op.instances:
            self.wanted = [iu.ExpandInstanceUuidAndName(self.cfg, None,
                                                        name)[0]
                           for name in self.op.instances]
        else:
            self.wanted = None
        if self.op.use_locking:
            self.share_locks = dict.fromkeys(locking.LEVELS, 1)
            self.needed_locks[locking.LEVEL_INSTANCE] = (
                self.wanted if self.wanted is not None else locking.ALL_SET)
            self.needed_locks[locking.LEVEL_NODE] = []
            self.recalculate_locks[locking.LEVEL_NODE] = "replace"

    def DeclareLocks(self, level: int) -> None:
        if level == locking.LEVEL_NODE and self.op.use_locking and \
                level in self.recalculate_locks:
            self._LockInstancesNodes(level=level)

    def CheckPrereq(self) -> None:
        uuids = self.wanted
        if uuids is None:
            uuids = list(self.cfg.GetInstanceList())
        self.instances = [self.cfg.GetInstanceInfo(u) for u in uuids]
        if any(i is None for i in self.instances):
            raise errors.OpPrereqError("An instance disappeared meanwhile",
                                       errors.ECODE_STATE)

    # -- disks ---------------------------------------------------------

    def _Find(self, node: Optional[str], instance, disk):
        if self.op.static or node is None:
            return None
        if self.cfg.GetNodeInfo(node).offline:
            return None
        result = self.rpc.call_blockdev_find(node, (disk, instance))
        if result.offline:
            return None
        result.Raise("Can't compute disk status for %s" % instance.name)
        return _Status(result.payload)

    def _DiskStatus(self, instance, snode: Optional[str], disk
                    ) -> Dict[str, Any]:
        pnode = instance.primary_node
        if disk.dev_type == C.DT_DRBD8 and disk.logical_id and \
                len(disk.logical_id) >= 5:
            lid = disk.logical_id
            snode = lid[1] if lid[0] == pnode else lid[0]
            drbd_info = {"primary_node": iu.NodeName(self.cfg, pnode),
                         "primary_minor": lid[3] if lid[0] == pnode
                         else lid[4],
                         "secondary_node": iu.NodeName(self.cfg, snode),
                         "secondary_minor": lid[4] if lid[0] == pnode
                         else lid[3],
                         "port": lid[2], "secret": lid[5]}
        else:
            drbd_info = None
        return {
            "iv_name": disk.iv_name,
            "dev_type": disk.dev_type,
            "logical_id": list(disk.logical_id or []),
            "drbd_info": drbd_info,
            "pstatus": self._Find(pnode, instance, disk),
            "sstatus": self._Find(snode, instance, disk)
            if snode is not None else None,
            "children": [self._DiskStatus(instance, snode, child)
                         for child in disk.children or []],
            "mode": disk.mode,
            "size": disk.size,
            "spindles": disk.spindles,
            "name": disk.name,
            "uuid": disk.uuid,
        }

    # -- instances -----------------------------------------------------

    def _RunState(self, instance) -> Optional[str]:
        if self.op.static:
            return None
        if self.cfg.GetNodeInfo(instance.primary_node).offline:
            return None
        cluster = self.cfg.GetClusterInfo()
        result = self.rpc.call_instance_info(
            instance.primary_node, instance.name, instance.hypervisor,
            cluster.hvparams.get(instance.hypervisor, {}))
        result.Raise("Error checking node %s"
                     % iu.NodeName(self.cfg, instance.primary_node))
        payload = result.payload
        if payload:
            state = payload.get("state") if isinstance(payload, dict) \
                else None
            if state == _HV_SHUTDOWN:
                return "user down"
            return "up"
        return "down"

    def _NodeGroup(self, node_uuid: str):
        node = self.cfg.GetNodeInfo(node_uuid)
        group = self.cfg.GetNodeGroup(node.group) if node is not None \
            else None
        return (group.uuid, group.name) if group is not None else (None, None)

    def _InstanceData(self, instance) -> Dict[str, Any]:
        cfg = self.cfg
        cluster = cfg.GetClusterInfo()
        snodes = cfg.GetInstanceSecondaryNodes(instance.uuid)
        disks = cfg.GetInstanceDisks(instance.uuid)
        pgroup = self._NodeGroup(instance.primary_node)
        sgroups = [self._NodeGroup(n) for n in snodes]
        nics = []
        for (name, uuid, ip, mac, mode, link, vlan, netname, _) in \
                iu.NicTuples(self, instance.nics or []):
            nic = next(n for n in instance.nics if n.uuid == uuid)
            nics.append((name, uuid, ip, mac, mode, link, vlan, nic.network,
                         netname))
        hv_actual = {k: v for k, v in cluster.FillHV(
            instance.hypervisor, instance.os, instance.hvparams or {}).items()
            if k not in iu.HVC_GLOBALS}
        os_actual = dict((cluster.osparams or {}).get(
            instance.os.split("+", 1)[0], {}))
        os_actual.update((cluster.osparams or {}).get(instance.os, {}))
        os_actual.update(instance.osparams or {})
        return {
            "name": instance.name,
            "config_state": instance.admin_state,
            "run_state": self._RunState(instance),
            "pnode": iu.NodeName(cfg, instance.primary_node),
            "pnode_group_uuid": pgroup[0],
            "pnode_group_name": pgroup[1],
            "snodes": [iu.NodeName(cfg, n) for n in snodes],
            "snodes_group_uuids": [g[0] for g in sgroups],
            "snodes_group_names": [g[1] for g in sgroups],
            "os": instance.os,
            "nics": nics,
            "disk_template": cfg.GetInstanceDiskTemplate(instance.uuid),
            "disks": [self._DiskStatus(instance, snodes[0] if snodes
                                       else None, d) for d in disks],
            "hypervisor": instance.hypervisor,
            "network_port": instance.network_port,
            "hv_instance": dict(instance.hvparams or {}),
            "hv_actual": hv_actual,
            "be_instance": dict(instance.beparams or {}),
            "be_actual": cluster.FillBE(instance.beparams or {}),
            "os_instance": dict(instance.osparams or {}),
            "os_actual": os_actual,
            "serial_no": instance.serial_no,
            "mtime": instance.mtime,
            "ctime": instance.ctime,
            "uuid": instance.uuid,
        }

    def Exec(self, feedback_fn):
        result: Dict[str, Any] = {}
        for instance in self.instances:
            result[instance.name] = self._InstanceData(instance)
        return result

