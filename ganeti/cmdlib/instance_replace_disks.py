"""Replacing the disks of a DRBD instance (OpInstanceReplaceDisks,
gnt-instance replace-disks): new LVs under the DRBD device on the primary
or the secondary node (-p, -s, -a), or a whole new secondary node (-n, -I)
with new minors; six steps as upstream logs them."""

import copy
import time
from typing import Any, Dict, List, Optional, Tuple

from ganeti import constants as C
from ganeti import errors
from ganeti import iallocator
from ganeti import locking
from ganeti import objects
from ganeti.cmdlib.base import HTYPE_INSTANCE, LOCKS_APPEND
from ganeti.cmdlib import instance_storage as ist
from ganeti.cmdlib import instance_utils as iu
from ganeti.cmdlib.instance_ops import _InstanceLU

_STEPS = 6
# How many times the sync is waited for before a device still degraded on
# the primary fails the replacement.
_SYNC_CHECKS = 3


def CheckReplaceArguments(mode: str, remote_node: Optional[str],
                          iallocator_name: Optional[str]) -> None:
    """The mode and the new-secondary options must fit together."""
    if mode == C.REPLACE_DISK_CHG:
        if remote_node is None and iallocator_name is None:
            raise errors.OpPrereqError("When changing the secondary either an"
                                       " iallocator script must be used or"
                                       " the new node given",
                                       errors.ECODE_INVAL)
        if remote_node is not None and iallocator_name is not None:
            raise errors.OpPrereqError("Give either the iallocator or the new"
                                       " secondary, not both",
                                       errors.ECODE_INVAL)
    elif remote_node is not None or iallocator_name is not None:
        raise errors.OpPrereqError("The iallocator and new node options can"
                                   " only be used when changing the"
                                   " secondary node", errors.ECODE_INVAL)


def ReplacedName(logical_id, suffix: Any) -> Tuple[str, str]:
    """Where an old LV goes while its replacement takes its name."""
    return (logical_id[0], "%s_replaced-%s" % (logical_id[1], suffix))


def NewSecondaryLogicalId(logical_id, pnode: str, new_node: str,
                          new_minor: int, with_port: bool) -> tuple:
    """A DRBD logical id with the secondary (and its minor) replaced; without
    port the device has no network (standalone on the new node)."""
    old_pnode, old_snode, port, minor_a, minor_b, secret = logical_id
    pminor = minor_a if old_pnode == pnode else minor_b
    return (pnode, new_node, port if with_port else None, pminor, new_minor,
            secret)


def _Copy(disk: objects.Disk) -> objects.Disk:
    return copy.deepcopy(disk)


class LUInstanceReplaceDisks(_InstanceLU):
    HPATH = "mirrors-replace"
    HTYPE = HTYPE_INSTANCE
    NODE_LEVELS = (locking.LEVEL_NODE, locking.LEVEL_NODE_RES)

    def CheckArguments(self) -> None:
        CheckReplaceArguments(self.op.mode, self.op.remote_node,
                              self.op.iallocator)

    def ExpandNames(self) -> None:
        super().ExpandNames()
        self.new_node_uuid: Optional[str] = None
        if self.op.remote_node is not None:
            self.op.remote_node_uuid, self.op.remote_node = \
                iu.ExpandNodeUuidAndName(self.cfg, self.op.remote_node_uuid,
                                         self.op.remote_node)
            self.new_node_uuid = self.op.remote_node_uuid
            for level in self.NODE_LEVELS:
                self.needed_locks[level] = [self.new_node_uuid]
                self.recalculate_locks[level] = LOCKS_APPEND
        elif self.op.iallocator is not None:
            for level in self.NODE_LEVELS:
                self.needed_locks[level] = locking.ALL_SET
                self.recalculate_locks.pop(level, None)

    # -- prerequisites -----------------------------------------------------

    def CheckPrereq(self) -> None:
        instance = self._GetInstance()
        template = self.cfg.GetInstanceDiskTemplate(instance.uuid)
        if template != C.DT_DRBD8:
            raise errors.OpPrereqError("Can only run replace disks for DRBD8-"
                                       "based instances", errors.ECODE_INVAL)
        snodes = self.cfg.GetInstanceSecondaryNodes(instance.uuid)
        if len(snodes) != 1:
            raise errors.OpPrereqError("The instance has a strange layout,"
                                       " expected one secondary but found %d"
                                       % len(snodes), errors.ECODE_FAULT)
        self.pnode = instance.primary_node
        self.snode = snodes[0]
        all_disks = self.cfg.GetInstanceDisks(instance.uuid)
        for idx in self.op.disks:
            if idx >= len(all_disks):
                raise errors.OpPrereqError("Can't find disk with index %s"
                                           % idx, errors.ECODE_INVAL)
        if self.op.mode == C.REPLACE_DISK_CHG:
            self._CheckNewSecondary(instance)
        if self.op.mode == C.REPLACE_DISK_AUTO:
            self._ChooseAutoTarget(instance, all_disks)
        elif self.op.mode == C.REPLACE_DISK_CHG:
            self.disk_idx = list(range(len(all_disks)))
        else:
            self.disk_idx = sorted(self.op.disks or range(len(all_disks)))
        if self.op.mode == C.REPLACE_DISK_PRI:
            self.target, self.other = self.pnode, self.snode
        elif self.op.mode == C.REPLACE_DISK_SEC:
            self.target, self.other = self.snode, self.pnode
        elif self.op.mode == C.REPLACE_DISK_CHG:
            self.target, self.other = self.new_node_uuid, self.pnode
        for node in set([self.pnode, self.snode, self.new_node_uuid]) - {None}:
            if node == self.snode and self.op.mode == C.REPLACE_DISK_CHG:
                continue  # the old secondary may be down
            iu.CheckNodeOnline(self, node)

    def _CheckNewSecondary(self, instance) -> None:
        if self.op.iallocator is not None:
            req = iallocator.IAReqRelocate(
                inst_uuid=instance.uuid,
                relocate_from_node_uuids=[self.snode])
            self.new_node_uuid = iu.RunIAllocator(self, req,
                                                  instance.name)[0][0]
        new = self.new_node_uuid
        if new == self.pnode:
            raise errors.OpPrereqError("The specified node is the primary node"
                                       " of the instance", errors.ECODE_INVAL)
        if new == self.snode:
            raise errors.OpPrereqError("The specified node is already the"
                                       " secondary node of the instance",
                                       errors.ECODE_INVAL)
        iu.CheckNodeOnline(self, new)
        iu.CheckNodeNotDrained(self, new)
        iu.CheckNodeVmCapable(self, new)

    def _ChooseAutoTarget(self, instance, all_disks) -> None:
        """-a: the node whose disks are faulty (only one may be)."""
        faulty = {}
        for node in (self.pnode, self.snode):
            faulty[node] = [idx for idx, disk in enumerate(all_disks)
                            if self._LdiskFaulty(node, disk)]
        if faulty[self.pnode] and faulty[self.snode]:
            raise errors.OpPrereqError("Disks are faulty on both the primary"
                                       " and the secondary node, can't"
                                       " replace them automatically",
                                       errors.ECODE_STATE)
        if faulty[self.pnode]:
            self.op.mode = C.REPLACE_DISK_PRI
            self.disk_idx = faulty[self.pnode]
        elif faulty[self.snode]:
            self.op.mode = C.REPLACE_DISK_SEC
            self.disk_idx = faulty[self.snode]
        else:
            self.disk_idx = []

    def _LdiskFaulty(self, node: str, disk) -> bool:
        result = self.rpc.call_blockdev_find(node, (disk, self.instance))
        result.Raise("Failed to call blockdev_find on node %s"
                     % iu.NodeName(self.cfg, node), prereq=True,
                     ecode=errors.ECODE_ENVIRON)
        status = result.payload
        return status is not None and \
            ist._StatusAttr(status, "ldisk_status") == 3

    def BuildHooksEnv(self) -> Dict[str, Any]:
        return self._Env(MODE=self.op.mode,
                         NEW_SECONDARY=iu.NodeName(self.cfg,
                                                   self.new_node_uuid)
                         if self.new_node_uuid else "",
                         OLD_SECONDARY=iu.NodeName(self.cfg, self.snode))

    # -- execution ---------------------------------------------------------

    def _Name(self, node: str) -> str:
        return iu.NodeName(self.cfg, node)

    def _Disks(self) -> List[Tuple[int, objects.Disk]]:
        all_disks = self.cfg.GetInstanceDisks(self.instance.uuid)
        return [(idx, all_disks[idx]) for idx in self.disk_idx]

    def Exec(self, feedback_fn):
        instance = self.instance
        if not self.disk_idx:
            feedback_fn("No disks need replacement for instance '%s'"
                        % instance.name)
            return None
        feedback_fn("Replacing disk(s) %s for instance '%s'"
                    % (", ".join(str(i) for i in self.disk_idx),
                       instance.name))
        feedback_fn("Current primary node: %s" % self._Name(self.pnode))
        feedback_fn("Current seconary node: %s" % self._Name(self.snode))
        if self.new_node_uuid is not None:
            feedback_fn("New secondary node: %s"
                        % self._Name(self.new_node_uuid))
        activated = not instance.disks_active
        if activated:
            ist.StartInstanceDisks(self, instance, True)
        try:
            if self.op.mode == C.REPLACE_DISK_CHG:
                self._ExecNewSecondary(feedback_fn)
            else:
                self._ExecSameNode(feedback_fn)
        finally:
            if activated:
                ist.ShutdownInstanceDisks(
                    self, self.cfg.GetInstanceInfo(instance.uuid))
        return None

    # -- steps shared by both modes ----------------------------------------

    def _CheckDevices(self, nodes: List[str]) -> None:
        self.LogStep(1, _STEPS, "Check device existence")
        for idx, disk in self._Disks():
            for node in nodes:
                self.LogInfo("Checking disk/%d on %s", idx, self._Name(node))
                result = self.rpc.call_blockdev_find(node,
                                                     (disk, self.instance))
                msg = result.fail_msg
                if msg or not result.payload:
                    raise errors.OpExecError("Can't find disk/%d on node %s:"
                                             " %s" % (idx, self._Name(node),
                                                      msg or "disk not found"))

    def _CheckPeer(self, node: str) -> None:
        self.LogStep(2, _STEPS, "Check peer consistency")
        for idx, disk in self._Disks():
            self.LogInfo("Checking disk/%d consistency on node %s", idx,
                         self._Name(node))
            result = self.rpc.call_blockdev_find(node, (disk, self.instance))
            status = result.payload
            if result.fail_msg or status is None or \
                    ist._StatusAttr(status, "ldisk_status") != 1:
                raise errors.OpExecError("Node %s has degraded storage,"
                                         " unsafe to replace disks for"
                                         " instance %s" % (self._Name(node),
                                                           self.instance.name))

    def _NewLvs(self, idx: int, disk, node: str) -> List[objects.Disk]:
        """New data and meta LVs for a DRBD disk (not yet created)."""
        lvs = []
        for child, suffix in zip(disk.children, ("data", "meta")):
            name = "%s.disk%d_%s" % (self.cfg.GenerateUniqueID(), idx, suffix)
            lvs.append(objects.Disk(dev_type=C.DT_PLAIN, size=child.size,
                                    logical_id=[child.logical_id[0], name],
                                    nodes=[node], params={},
                                    uuid=self.cfg.GenerateUniqueID()))
        return lvs

    def _CreateOnNode(self, node: str, disks: List[objects.Disk]) -> None:
        """Create devices on one node; on failure remove those made."""
        created: List[Tuple[str, Any]] = []
        try:
            for disk in disks:
                ist._CreateBlockDevTree(self, node, self.instance, disk,
                                        False, created)
        except errors.OpExecError:
            ist._UndoCreate(self, self.instance, created, [])
            raise

    def _CreateDrbdOnly(self, node: str, disk: objects.Disk) -> None:
        """Create the DRBD device itself (its LVs exist already)."""
        result = self.rpc.call_blockdev_create(
            node, (disk, self.instance), disk.size, self.instance.name, False,
            ist.InfoText(self.instance), False)
        if result.fail_msg:
            raise errors.OpExecError("Can't create drbd device %s on node %s:"
                                     " %s" % (disk.iv_name, self._Name(node),
                                              result.fail_msg))

    def _RemoveOld(self, node: str, old_lvs: Dict[int, list]) -> None:
        for idx, lvs in old_lvs.items():
            self.LogInfo("Remove logical volumes for disk/%d", idx)
            for lv in lvs:
                result = self.rpc.call_blockdev_remove(node,
                                                       (lv, self.instance))
                if result.fail_msg:
                    self.LogWarning("Can't remove old LV: %s",
                                    result.fail_msg,
                                    hint="remove unused LVs manually")

    def _SyncAndCleanup(self, node: str, old_lvs: Dict[int, list]) -> None:
        """Steps 5 and 6 (the other way round with --early-release)."""
        steps = [("Sync devices", self._Sync),
                 ("Removing old storage",
                  lambda: self._RemoveOld(node, old_lvs))]
        if self.op.early_release:
            steps.reverse()
        for number, (title, fn) in enumerate(steps, 5):
            self.LogStep(number, _STEPS, title)
            fn()

    def _Sync(self) -> None:
        """Wait for the sync, then check the devices on the primary; a
        device still degraded is waited for again (the primary may see the
        resync start only after the first look found nothing to wait
        for)."""
        instance = self.cfg.GetInstanceInfo(self.instance.uuid)
        disks = [disk for _, disk in self._Disks()]
        degraded: List[int] = []
        for _ in range(_SYNC_CHECKS):
            ist.WaitForSync(self, instance, disks=disks)
            degraded = self._DegradedOnPrimary(instance)
            if not degraded:
                return
        raise errors.OpExecError("DRBD device disk/%d is degraded!"
                                 % degraded[0])

    def _DegradedOnPrimary(self, instance) -> List[int]:
        """The indices of the replaced disks degraded on the primary."""
        found = []
        for idx, disk in self._Disks():
            result = self.rpc.call_blockdev_find(self.pnode,
                                                 (disk, instance))
            status = result.payload
            if result.fail_msg or status is None or \
                    ist._StatusAttr(status, "is_degraded"):
                found.append(idx)
        return found

    # -- -p / -s: new LVs under the same DRBD devices ----------------------

    def _ExecSameNode(self, feedback_fn) -> None:
        target = self.target
        self._CheckDevices([self.pnode, self.snode])
        self.LogInfo("Checking volume groups")
        self._CheckPeer(self.other)
        self.LogStep(3, _STEPS, "Allocate new storage")
        new_lvs: Dict[int, List[objects.Disk]] = {}
        for idx, disk in self._Disks():
            self.LogInfo("Adding storage on %s for disk/%d",
                         self._Name(target), idx)
            lvs = self._NewLvs(idx, disk, target)
            self._CreateOnNode(target, lvs)
            new_lvs[idx] = lvs
        self.LogStep(4, _STEPS, "Changing drbd configuration")
        suffix = int(time.time())
        old_lvs: Dict[int, list] = {}
        for idx, disk in self._Disks():
            old = [_Copy(child) for child in disk.children]
            new = new_lvs[idx]
            self.LogInfo("Detaching disk/%d drbd from local storage", idx)
            result = self.rpc.call_blockdev_removechildren(
                target, (disk, self.instance), (old, self.instance))
            result.Raise("Can't detach drbd from local storage on node"
                         " %s for disk %d" % (self._Name(target), idx))
            present = []
            for lv in old:
                found = self.rpc.call_blockdev_find(target,
                                                    (lv, self.instance))
                if not found.fail_msg and found.payload:
                    present.append(lv)
            self.LogInfo("Renaming the old LVs on the target node")
            result = self.rpc.call_blockdev_rename(
                target, [(lv, ReplacedName(lv.logical_id, suffix))
                         for lv in present])
            result.Raise("Can't rename old LVs on node %s"
                         % self._Name(target))
            self.LogInfo("Renaming the new LVs on the target node")
            result = self.rpc.call_blockdev_rename(
                target, [(lv_new, lv_old.logical_id)
                         for lv_old, lv_new in zip(old, new)])
            result.Raise("Can't rename new LVs on node %s"
                         % self._Name(target))
            for lv_old, lv_new in zip(old, new):
                lv_new.logical_id = list(lv_old.logical_id)
                lv_old.logical_id = list(ReplacedName(lv_old.logical_id,
                                                      suffix))
            old_lvs[idx] = old
            self.LogInfo("Adding new mirror component on %s",
                         self._Name(target))
            result = self.rpc.call_blockdev_addchildren(
                target, (disk, self.instance), (new, self.instance))
            if result.fail_msg:
                for lv in new:
                    removed = self.rpc.call_blockdev_remove(
                        target, (lv, self.instance))
                    if removed.fail_msg:
                        self.LogWarning("Can't rollback device %s: %s", lv,
                                        removed.fail_msg,
                                        hint="cleanup manually the unused"
                                        " logical volumes")
                raise errors.OpExecError("Can't add local storage to drbd: %s"
                                         % result.fail_msg)
        self._SyncAndCleanup(target, old_lvs)

    # -- -n / -I: a new secondary node -------------------------------------

    def _ExecNewSecondary(self, feedback_fn) -> None:
        pnode, old_snode, new_node = self.pnode, self.snode, self.new_node_uuid
        self._CheckDevices([pnode])
        self.LogInfo("Checking volume groups")
        self._CheckPeer(pnode)
        self.LogStep(3, _STEPS, "Allocate new storage")
        disks = self._Disks()
        new_children: Dict[int, List[objects.Disk]] = {}
        for idx, disk in disks:
            self.LogInfo("Adding new local storage on %s for disk/%d",
                         self._Name(new_node), idx)
            # the LVs of a DRBD disk have the same names on both nodes
            new_children[idx] = [_Copy(child) for child in disk.children]
            for child in new_children[idx]:
                child.nodes = [pnode, new_node]
            self._CreateOnNode(new_node, new_children[idx])
        self.LogStep(4, _STEPS, "Changing drbd configuration")
        self.LogInfo("Allocating new drbd minors for the new secondary node")
        minors = self.cfg.AllocateDRBDMinors([new_node] * len(disks))
        new_ids = {}
        try:
            for (idx, disk), minor in zip(disks, minors):
                self.LogInfo("Activating a new drbd on %s for disk/%d",
                             self._Name(new_node), idx)
                alone = objects.Disk(
                    dev_type=C.DT_DRBD8, size=disk.size, mode=disk.mode,
                    iv_name=disk.iv_name, params={}, uuid=disk.uuid,
                    logical_id=list(NewSecondaryLogicalId(
                        disk.logical_id, pnode, new_node, minor, False)),
                    children=new_children[idx], nodes=[pnode, new_node])
                self._CreateDrbdOnly(new_node, alone)
                new_ids[idx] = NewSecondaryLogicalId(disk.logical_id, pnode,
                                                     new_node, minor, True)
        except errors.OpExecError:
            for idx, lvs in new_children.items():
                for lv in lvs:
                    self.rpc.call_blockdev_remove(new_node,
                                                  (lv, self.instance))
            self.cfg.ReleaseDRBDMinors()
            raise
        old_disks = {idx: _Copy(disk) for idx, disk in disks}
        for idx, disk in disks:
            self.LogInfo("Shutting down drbd for disk/%d on old node", idx)
            result = self.rpc.call_blockdev_shutdown(old_snode,
                                                     (disk, self.instance))
            if result.fail_msg:
                self.LogWarning("Failed to shutdown drbd for disk/%d on old"
                                " node: %s", idx, result.fail_msg,
                                hint="Please cleanup this device manually as"
                                " soon as possible")
        self.LogInfo("Detaching primary drbds from the network (=> standalone)")
        result = self.rpc.call_drbd_disconnect_net(
            [pnode], ([disk for _, disk in disks], self.instance))[pnode]
        if result.fail_msg:
            self.cfg.ReleaseDRBDMinors()
            raise errors.OpExecError("Can't detach the disks from the network"
                                     " on old node: %s" % result.fail_msg)
        self.LogInfo("Updating instance configuration")
        for idx, disk in disks:
            disk.logical_id = list(new_ids[idx])
            disk.nodes = [pnode, new_node]
            for child in disk.children:
                child.nodes = [pnode, new_node]
            self.cfg.UpdateDisk(disk)
        self.cfg.ReleaseDRBDMinors()
        self.LogInfo("Attaching primary drbds to new secondary"
                     " (standalone => connected)")
        results = self.rpc.call_drbd_attach_net(
            [pnode, new_node], ([disk for _, disk in disks], self.instance),
            False)
        for node, result in results.items():
            if result.fail_msg:
                self.LogWarning("Can't attach drbd disks on node %s: %s",
                                self._Name(node), result.fail_msg,
                                hint="please do a gnt-instance info to see"
                                " the status of disks")
        old_lvs = {idx: [_Copy(child) for child in old_disks[idx].children]
                   for idx, _ in disks}
        self._SyncAndCleanup(old_snode, old_lvs)
