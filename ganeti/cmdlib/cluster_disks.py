"""Logical unit correcting the recorded disk sizes of instances from the
sizes their block devices really have (gnt-cluster repair-disk-sizes)."""

import logging
from typing import Any, Dict, List, Tuple

from ganeti import constants
from ganeti import locking
from ganeti.cmdlib.base import NoHooksLU
from ganeti.cmdlib import instance_storage as ist
from ganeti.cmdlib import instance_utils as iu

# One repaired value: (instance name, disk index, "size"|"spindles", value).
Change = Tuple[str, int, str, int]


def EnsureChildSizes(disk) -> bool:
    """Make a DRBD disk's data child (recursively) at least as big as the
    disk itself; True if a size was changed."""
    if disk.dev_type != constants.DT_DRBD8 or not disk.children:
        return False
    child = disk.children[0]
    mismatch = child.size < disk.size
    if mismatch:
        logging.info("Child disk has size %d, parent %d, fixing",
                     child.size, disk.size)
        child.size = disk.size
    return EnsureChildSizes(child) or mismatch


class LUClusterRepairDiskSizes(NoHooksLU):
    """Compare the recorded sizes of the instances' disks with the sizes
    reported by their primary nodes and fix the configuration.

    The result lists the changes made as (instance, disk index, "size" or
    "spindles", new value).
    """
    REQ_BGL = False

    def ExpandNames(self):
        if self.op.instances:
            self.wanted = [iu.ExpandInstanceUuidAndName(self.cfg, None,
                                                        name)[0]
                           for name in self.op.instances]
            self.needed_locks = {locking.LEVEL_NODE_RES: [],
                                 locking.LEVEL_INSTANCE: self.wanted}
            self.recalculate_locks[locking.LEVEL_NODE_RES] = "replace"
        else:
            self.wanted = None
            self.needed_locks = {locking.LEVEL_NODE_RES: locking.ALL_SET,
                                 locking.LEVEL_INSTANCE: locking.ALL_SET}
        self.share_locks = {locking.LEVEL_NODE_RES: 1,
                            locking.LEVEL_INSTANCE: 0}

    def DeclareLocks(self, level):
        if level == locking.LEVEL_NODE_RES and self.wanted is not None:
            self._LockInstancesNodes(primary_only=True, level=level)

    def CheckPrereq(self):
        uuids = self.wanted
        if uuids is None:
            uuids = sorted(self.owned_locks(locking.LEVEL_INSTANCE))
        self.instances = [self.cfg.GetInstanceInfo(u) for u in uuids]
        self.instances = [i for i in self.instances if i is not None]

    def _DisksByNode(self) -> Dict[str, List[Tuple[Any, int, Any]]]:
        """primary node uuid -> [(instance, disk index, disk), ...]."""
        per_node: Dict[str, List[Tuple[Any, int, Any]]] = {}
        for inst in self.instances:
            disks = per_node.setdefault(inst.primary_node, [])
            for idx, disk in enumerate(self.cfg.GetInstanceDisks(inst.uuid)):
                disks.append((inst, idx, disk))
        return per_node

    def _Repair(self, inst, idx: int, disk, dimensions,
                exclusive: bool) -> List[Change]:
        """The changes made to one disk from its [size bytes, spindles]."""
        if dimensions is None:
            self.LogWarning("Disk %d of instance %s did not return size"
                            " information, ignoring", idx, inst.name)
            return []
        if not isinstance(dimensions, (tuple, list)) or len(dimensions) != 2:
            self.LogWarning("Disk %d of instance %s did not return valid"
                            " dimension information, ignoring", idx,
                            inst.name)
            return []
        size, spindles = dimensions
        if not isinstance(size, int) or isinstance(size, bool):
            self.LogWarning("Disk %d of instance %s did not return valid"
                            " size information, ignoring", idx, inst.name)
            return []
        changed: List[Change] = []
        size = size >> 20
        if size != disk.size:
            self.LogInfo("Disk %d of instance %s has mismatched size,"
                         " correcting: recorded %d, actual %d", idx,
                         inst.name, disk.size, size)
            disk.size = size
            self.cfg.UpdateDisk(disk)
            changed.append((inst.name, idx, "size", size))
        if exclusive:
            if spindles is None:
                self.LogWarning("Disk %d of instance %s did not return valid"
                                " spindles information, ignoring", idx,
                                inst.name)
            elif disk.spindles is None or disk.spindles != spindles:
                self.LogInfo("Disk %d of instance %s has mismatched spindles,"
                             " correcting: recorded %s, actual %s", idx,
                             inst.name, disk.spindles, spindles)
                disk.spindles = spindles
                self.cfg.UpdateDisk(disk)
                changed.append((inst.name, idx, "spindles", spindles))
        if EnsureChildSizes(disk):
            self.cfg.UpdateDisk(disk)
            changed.append((inst.name, idx, "size", disk.size))
        return changed

    def Exec(self, feedback_fn):
        changed: List[Change] = []
        for node_uuid, disks in self._DisksByNode().items():
            if not disks:
                continue
            node_name = self.cfg.GetNodeName(node_uuid)
            result = self.rpc.call_blockdev_getdimensions(
                node_uuid, [(disk, inst) for inst, _, disk in disks])
            if result.fail_msg:
                self.LogWarning("Failure in blockdev_getdimensions call to"
                                " node %s, ignoring", node_name)
                continue
            payload = result.payload
            if not isinstance(payload, list) or len(payload) != len(disks):
                logging.warning("Invalid result from node %s: len(dksl)=%d,"
                                " result.payload=%s", node_name, len(disks),
                                payload)
                self.LogWarning("Invalid result from node %s, ignoring node"
                                " results", node_name)
                continue
            exclusive = ist._ExclusiveStorage(self, node_uuid)
            for (inst, idx, disk), dimensions in zip(disks, payload):
                changed.extend(self._Repair(inst, idx, disk, dimensions,
                                            exclusive))
        return changed
