"""Disk operations on existing instances: activate, deactivate, recreate
and grow."""

from typing import Dict, List

from ganeti import constants as C
from ganeti import errors
from ganeti import iallocator
from ganeti import locking
from ganeti.cmdlib.base import HTYPE_INSTANCE
from ganeti.cmdlib import instance_storage as ist
from ganeti.cmdlib import instance_utils as iu
from ganeti.cmdlib import ipolicy
from ganeti.cmdlib.instance_ops import _InstanceLU, _InstanceNoHooksLU
from ganeti.utils import text as utils_text

# Templates whose disks can grow.
DTS_GROWABLE = frozenset([C.DT_DRBD8, C.DT_PLAIN, C.DT_FILE,
                          C.DT_SHARED_FILE, C.DT_RBD, C.DT_EXT,
                          C.DT_GLUSTER])
# Disk parameters recreate-disks may change.
_RECREATE_MODIFIABLE = frozenset([ist.IDISK_SIZE, ist.IDISK_SPINDLES])


def _FindDisk(disks: List, index: int):
    if not isinstance(index, int) or index < 0 or index >= len(disks):
        raise errors.OpPrereqError("Invalid disk index '%s'" % (index,),
                                   errors.ECODE_INVAL)
    return disks[index]


class LUInstanceActivateDisks(_InstanceNoHooksLU):
    NODE_LEVELS = (locking.LEVEL_NODE,)

    def CheckPrereq(self) -> None:
        instance = self._GetInstance()
        iu.CheckNodeOnline(self, instance.primary_node)

    def Exec(self, feedback_fn):
        instance = self.instance
        ok, info = ist.AssembleInstanceDisks(self, instance,
                                             ignore_size=self.op.ignore_size)
        if not ok:
            raise errors.OpExecError("Cannot activate block devices")
        if self.op.wait_for_sync and not ist.WaitForSync(self, instance):
            self.cfg.MarkInstanceDisksInactive(instance.uuid)
            raise errors.OpExecError("Some disks of the instance are"
                                     " degraded!")
        return [list(entry) for entry in info]


class LUInstanceDeactivateDisks(_InstanceNoHooksLU):
    NODE_LEVELS = (locking.LEVEL_NODE,)

    def CheckPrereq(self) -> None:
        self._GetInstance()

    def Exec(self, feedback_fn):
        instance = self.instance
        if not self.op.force:
            iu.CheckInstanceState(self, instance, iu.INSTANCE_DOWN,
                                  "cannot shutdown disks")
        if not ist.ShutdownInstanceDisks(self, instance):
            raise errors.OpExecError("Could not shutdown all disks of the"
                                     " instance")
        return None


class LUInstanceRecreateDisks(_InstanceLU):
    HPATH = "instance-recreate-disks"
    HTYPE = HTYPE_INSTANCE
    NODE_LEVELS = (locking.LEVEL_NODE, locking.LEVEL_NODE_RES)

    def CheckArguments(self) -> None:
        wanted: Dict[int, dict] = {}
        for entry in self.op.disks:
            if isinstance(entry, (list, tuple)):
                idx, params = entry
            else:
                idx, params = entry, {}
            if idx in wanted:
                raise errors.OpPrereqError("Duplicate disk index %s" % idx,
                                           errors.ECODE_INVAL)
            bad = set(params) - _RECREATE_MODIFIABLE
            if bad:
                raise errors.OpPrereqError("Parameters for disk %s try to"
                                           " change unmodifyable parameter(s):"
                                           " %s" % (idx, ", ".join(sorted(bad))),
                                           errors.ECODE_INVAL)
            wanted[idx] = dict(params)
        self.disk_changes = wanted
        if self.op.iallocator and self.op.nodes:
            raise errors.OpPrereqError("Give either the iallocator or the new"
                                       " nodes, not both", errors.ECODE_INVAL)

    def ExpandNames(self) -> None:
        super().ExpandNames()
        self.node_uuids: List[str] = []
        for name in self.op.nodes:
            uuid, _ = iu.ExpandNodeUuidAndName(self.cfg, None, name)
            self.node_uuids.append(uuid)
        if self.node_uuids or self.op.iallocator:
            for level in self.NODE_LEVELS:
                self.recalculate_locks.pop(level, None)
                if self.op.iallocator:
                    self.needed_locks[level] = locking.ALL_SET
                else:
                    self.needed_locks[level] = list(self.node_uuids)

    def CheckPrereq(self) -> None:
        instance = self._GetInstance()
        disks = self.cfg.GetInstanceDisks(instance.uuid)
        old_nodes = self.cfg.GetInstanceNodes(instance.uuid)
        if self.op.iallocator:
            self._RunAllocator(instance, disks)
        if self.node_uuids and len(self.node_uuids) != len(old_nodes):
            raise errors.OpPrereqError("Instance %s currently has %d nodes, but"
                                       " %d were specified"
                                       % (instance.name, len(old_nodes),
                                          len(self.node_uuids)),
                                       errors.ECODE_INVAL)
        for node in self.node_uuids or old_nodes:
            iu.CheckNodeOnline(self, node)
        iu.CheckInstanceState(self, instance, iu.INSTANCE_NOT_RUNNING,
                              msg="cannot recreate disks")
        if not self.disk_changes:
            self.disk_changes = {idx: {} for idx in range(len(disks))}
        for idx in self.disk_changes:
            _FindDisk(disks, idx)
        if self.node_uuids and \
                self.cfg.GetInstanceDiskTemplate(instance.uuid) == C.DT_DRBD8:
            raise errors.OpPrereqError("Changing the nodes of DRBD disks is"
                                       " not supported here",
                                       errors.ECODE_INVAL)

    def _RunAllocator(self, instance, disks) -> None:
        cluster = self.cfg.GetClusterInfo()
        bep = cluster.FillBE(instance.beparams or {})
        template = self.cfg.GetInstanceDiskTemplate(instance.uuid)
        req = iallocator.IAReqInstanceAlloc(
            name=instance.name, disk_template=template,
            tags=list(instance.tags or []), os=instance.os,
            vcpus=bep["vcpus"], memory=bep["maxmem"],
            spindle_use=bep.get("spindle_use", 1),
            disks=[{"size": d.size, "mode": d.mode, "spindles": d.spindles}
                   for d in disks],
            nics=[n.ToDict() for n in instance.nics or []],
            hypervisor=instance.hypervisor)
        self.node_uuids = [uuid for uuid, _ in
                           iu.RunIAllocator(self, req, instance.name)]

    def BuildHooksEnv(self):
        return self._Env()

    def Exec(self, feedback_fn):
        instance = self.instance
        disks = self.cfg.GetInstanceDisks(instance.uuid)
        if self.node_uuids and self.node_uuids[0] != instance.primary_node:
            self.cfg.SetInstancePrimaryNode(instance.uuid, self.node_uuids[0])
            instance = self.instance = \
                self.cfg.GetInstanceInfo(instance.uuid)
            disks = self.cfg.GetInstanceDisks(instance.uuid)
        to_create = []
        for idx in sorted(self.disk_changes):
            disk = disks[idx]
            changes = self.disk_changes[idx]
            if changes:
                for key, value in changes.items():
                    setattr(disk, key, value)
                self.cfg.UpdateDisk(disk)
            to_create.append(disk)
        ist.CreateDisks(self, instance, to_create)
        if self.cfg.GetInstanceDiskTemplate(instance.uuid) in \
                iu.DTS_INT_MIRROR:
            ist.WaitForSync(self, instance, disks=to_create)
        return None


class LUInstanceGrowDisk(_InstanceLU):
    HPATH = "disk-grow"
    HTYPE = HTYPE_INSTANCE
    NODE_LEVELS = (locking.LEVEL_NODE, locking.LEVEL_NODE_RES)

    def CheckPrereq(self) -> None:
        instance = self._GetInstance()
        nodes = self.cfg.GetInstanceNodes(instance.uuid)
        for node in nodes:
            iu.CheckNodeOnline(self, node)
        template = self.cfg.GetInstanceDiskTemplate(instance.uuid)
        if template not in DTS_GROWABLE:
            raise errors.OpPrereqError("Instance's disk layout does not"
                                       " support growing", errors.ECODE_INVAL)
        disk = _FindDisk(self.cfg.GetInstanceDisks(instance.uuid),
                         self.op.disk)
        self.disk = disk
        if self.op.absolute:
            self.target = self.op.amount
            self.delta = self.target - disk.size
            if self.delta < 0:
                raise errors.OpPrereqError(
                    "Requested size (%s) is smaller than current disk size"
                    " (%s)" % (utils_text.FormatUnit(self.target, "h"),
                               utils_text.FormatUnit(disk.size, "h")),
                    errors.ECODE_STATE)
        else:
            self.delta = self.op.amount
            self.target = disk.size + self.delta
        sizes = [self.target if d.uuid == disk.uuid else d.size
                 for d in self.cfg.GetInstanceDisks(instance.uuid)]
        ipolicy.CheckGrowDiskPolicy(
            self.cfg, self.cfg.GetNodeInfo(instance.primary_node).group,
            sizes, template, self.op.disk, self.op.ignore_ipolicy,
            self.LogWarning)
        if template not in (C.DT_RBD, C.DT_EXT):
            iu.CheckNodesFreeDisk(self, nodes, template, self.delta,
                                  iu.DiskGrowthPerVG(disk, self.delta))

    def BuildHooksEnv(self):
        return self._Env(DISK=self.op.disk, AMOUNT=self.op.amount)

    def _Grow(self, node_uuid: str, dryrun: bool, backingstore: bool,
              what: str) -> None:
        result = self.rpc.call_blockdev_grow(
            node_uuid, (self.disk, self.instance), self.delta, dryrun,
            backingstore, ist._ExclusiveStorage(self, node_uuid))
        result.Raise("%s to node %s" % (what, iu.NodeName(self.cfg,
                                                           node_uuid)))

    def Exec(self, feedback_fn):
        instance = self.instance
        disk = self.disk
        ok, _ = ist.AssembleInstanceDisks(self, instance, disks=[disk])
        if not ok:
            raise errors.OpExecError("Cannot activate block device to grow")
        feedback_fn("Growing disk %s of instance '%s' by %s to %s"
                    % (self.op.disk, instance.name,
                       utils_text.FormatUnit(self.delta, "h"),
                       utils_text.FormatUnit(self.target, "h")))
        nodes = self.cfg.GetInstanceNodes(instance.uuid)
        for node in nodes:
            self._Grow(node, True, True, "Dry-run grow request failed")
        for node in nodes:
            self._Grow(node, False, True, "Grow request failed")
        self._Grow(instance.primary_node, False, False, "Grow request failed")
        _RecordGrow(disk, self.delta)
        self.cfg.UpdateDisk(disk)
        if instance.admin_state == C.ADMINST_UP and \
                instance.hypervisor == C.HT_KVM:
            # a running KVM guest learns of the new size at once (QMP
            # block_resize); the disk has grown even if this fails.  No
            # call for other hypervisors (upstream 3.0's master makes none
            # for a fake instance).
            result = self.rpc.call_resize_disk(
                instance.primary_node, instance, disk.ToDict(), disk.size)
            result.Warn("Could not notify the hypervisor of the new size of"
                        " disk %s" % self.op.disk, self.LogWarning)
        if self.op.wait_for_sync and \
                not ist.WaitForSync(self, instance, disks=[disk]):
            self.LogWarning("Disk syncing has not returned a good status;"
                            " check the instance")
        instance = self.cfg.GetInstanceInfo(instance.uuid)
        if instance.admin_state != C.ADMINST_UP:
            ist.ShutdownInstanceDisks(self, instance, disks=[disk])
        return None


def _RecordGrow(disk, amount: int) -> None:
    """Update the recorded size of a disk (and of its data child)."""
    disk.size += amount
    if disk.dev_type == C.DT_DRBD8 and disk.children:
        disk.children[0].size += amount
