"""Disk template conversion of a stopped instance (gnt-instance modify -t):
plain -> drbd (the plain LVs become the DRBD data LVs on the primary, the
secondary gets new LVs and is synced) and drbd -> plain (the data LVs stay,
the meta LVs and the secondary's LVs go)."""

from typing import Any, List, Optional, Tuple

from ganeti import constants as C
from ganeti import errors
from ganeti import objects
from ganeti.cmdlib import instance_storage as ist
from ganeti.cmdlib import instance_utils as iu

CONVERSIONS = frozenset([(C.DT_PLAIN, C.DT_DRBD8), (C.DT_DRBD8, C.DT_PLAIN)])


def CheckConversionArguments(op, other_disk_changes: bool) -> None:
    """What can be checked without the config."""
    if other_disk_changes:
        raise errors.OpPrereqError("Disk template conversion and other disk"
                                   " changes not supported at the same time",
                                   errors.ECODE_INVAL)
    if op.disk_template == C.DT_DRBD8 and op.remote_node is None and \
            op.iallocator is None:
        raise errors.OpPrereqError("Changing the disk template to a mirrored"
                                   " one requires specifying a secondary"
                                   " node", errors.ECODE_INVAL)
    if op.disk_template == C.DT_DRBD8 and op.remote_node is None:
        # TODO: upstream asks the iallocator (allocate-secondary mode)
        raise errors.OpPrereqError("Choosing the new secondary node with an"
                                   " iallocator is not supported yet, give"
                                   " it with -n", errors.ECODE_INVAL)


class DiskConversion:
    """One template conversion, checked (Check) then done (Exec)."""

    def __init__(self, lu, instance) -> None:
        self.lu = lu
        self.instance = instance
        self.old = lu.cfg.GetInstanceDiskTemplate(instance.uuid)
        self.new = lu.op.disk_template
        self.snode: Optional[str] = None

    def Check(self) -> None:
        lu, instance = self.lu, self.instance
        if self.old == self.new:
            raise errors.OpPrereqError("Instance already has disk template %s"
                                       % self.old, errors.ECODE_INVAL)
        if (self.old, self.new) not in CONVERSIONS:
            raise errors.OpPrereqError("Unsupported disk template conversion"
                                       " from %s to %s" % (self.old, self.new),
                                       errors.ECODE_INVAL)
        iu.CheckDiskTemplateEnabled(lu.cfg.GetClusterInfo(), self.new)
        iu.CheckInstanceState(lu, instance, iu.INSTANCE_DOWN,
                              msg="cannot change disk template")
        if self.new != C.DT_DRBD8:
            return
        self.snode = lu.op.remote_node_uuid
        if self.snode == instance.primary_node:
            raise errors.OpPrereqError("Given new secondary node %s is the"
                                       " same as the primary node of the"
                                       " instance" % lu.op.remote_node,
                                       errors.ECODE_INVAL)
        iu.CheckNodeOnline(lu, self.snode)
        iu.CheckNodeNotDrained(lu, self.snode)
        iu.CheckNodeVmCapable(lu, self.snode)
        disks = [{ist.IDISK_SIZE: d.size, ist.IDISK_VG: d.logical_id[0]}
                 for d in lu.cfg.GetInstanceDisks(instance.uuid)]
        iu.CheckNodesFreeDisk(lu, [self.snode], C.DT_DRBD8, 0,
                              per_vg=iu.ComputeDiskSizePerVG(
                                  C.DT_DRBD8, disks, None))

    def Exec(self, feedback_fn) -> List[Tuple[str, Any]]:
        if self.new == C.DT_DRBD8:
            self._PlainToDrbd(feedback_fn)
        else:
            self._DrbdToPlain(feedback_fn)
        return [("disk_template", self.new)]

    # -- helpers -----------------------------------------------------------

    def _Name(self, node: str) -> str:
        return iu.NodeName(self.lu.cfg, node)

    def _ReplaceInConfig(self, old_disks, new_disks) -> None:
        cfg = self.lu.cfg
        inst_uuid = self.instance.uuid
        instance = cfg.GetInstanceInfo(inst_uuid)
        instance.disk_template = self.new
        cfg.Update(instance)
        for idx, (old, new) in enumerate(zip(old_disks, new_disks)):
            cfg.RemoveInstanceDisk(inst_uuid, old.uuid)
            cfg.AddInstanceDisk(inst_uuid, new, idx)
        self.instance = cfg.GetInstanceInfo(inst_uuid)

    def _Remove(self, node: str, disk) -> None:
        result = self.lu.rpc.call_blockdev_remove(node, (disk, self.instance))
        if result.fail_msg:
            self.lu.LogWarning("Could not remove block device %s on node %s,"
                               " continuing anyway: %s", disk.iv_name or
                               disk.logical_id, self._Name(node),
                               result.fail_msg)

    # -- plain -> drbd -----------------------------------------------------

    def _PlainToDrbd(self, feedback_fn) -> None:
        lu, instance = self.lu, self.instance
        pnode, snode = instance.primary_node, self.snode
        old_disks = lu.cfg.GetInstanceDisks(instance.uuid)
        info = [{ist.IDISK_SIZE: d.size, ist.IDISK_MODE: d.mode,
                 ist.IDISK_VG: d.logical_id[0], ist.IDISK_NAME: d.name}
                for d in old_disks]
        new_disks = ist.GenerateDiskTemplate(lu, C.DT_DRBD8, instance.uuid,
                                             pnode, [snode], info, None, None)
        for new, old in zip(new_disks, old_disks):
            new.uuid = old.uuid
        created: List[Tuple[str, Any]] = []
        feedback_fn("Creating additional volumes...")
        try:
            for disk in new_disks:
                ist._CreateBlockDevTree(lu, pnode, instance, disk.children[1],
                                        True, created)
                for child in disk.children:
                    ist._CreateBlockDevTree(lu, snode, instance, child, False,
                                            created)
        except errors.OpExecError:
            ist._UndoCreate(lu, instance, created, [])
            lu.cfg.ReleaseDRBDMinors()
            raise
        feedback_fn("Renaming original volumes...")
        result = lu.rpc.call_blockdev_rename(
            pnode, [(old, new.children[0].logical_id)
                    for old, new in zip(old_disks, new_disks)])
        if result.fail_msg:
            ist._UndoCreate(lu, instance, created, [])
            lu.cfg.ReleaseDRBDMinors()
            raise errors.OpExecError("Can't rename the original volumes on"
                                     " node %s: %s" % (self._Name(pnode),
                                                       result.fail_msg))
        feedback_fn("Initializing DRBD devices...")
        try:
            for disk in new_disks:
                for node, primary in ((pnode, True), (snode, False)):
                    result = lu.rpc.call_blockdev_create(
                        node, (disk, instance), disk.size, instance.name,
                        primary, ist.InfoText(instance), False)
                    if result.fail_msg:
                        raise errors.OpExecError(
                            "Can't create block device %s on node %s for"
                            " instance %s: %s" % (ist.DiskDescription(disk),
                                                  self._Name(node),
                                                  instance.name,
                                                  result.fail_msg))
        except errors.OpExecError:
            feedback_fn("Initializing of DRBD devices failed;"
                        " renaming back original volumes...")
            for disk in new_disks:
                for node in (pnode, snode):
                    lu.rpc.call_blockdev_shutdown(node, (disk, instance))
            lu.rpc.call_blockdev_rename(
                pnode, [(new.children[0], old.logical_id)
                        for old, new in zip(old_disks, new_disks)])
            ist._UndoCreate(lu, instance, created, [])
            lu.cfg.ReleaseDRBDMinors()
            raise
        self._ReplaceInConfig(old_disks, new_disks)
        lu.cfg.ReleaseDRBDMinors()
        if lu.op.wait_for_sync and not ist.WaitForSync(lu, self.instance):
            lu.LogWarning("There are some degraded disks for this instance,"
                          " please cleanup manually")
        ist.ShutdownInstanceDisks(lu, self.instance)

    # -- drbd -> plain -----------------------------------------------------

    def _DrbdToPlain(self, feedback_fn) -> None:
        lu, instance = self.lu, self.instance
        pnode = instance.primary_node
        snode = lu.cfg.GetInstanceSecondaryNodes(instance.uuid)[0]
        old_disks = [objects.Disk.FromDict(d.ToDict())
                     for d in lu.cfg.GetInstanceDisks(instance.uuid)]
        ist.ShutdownInstanceDisks(lu, instance)
        new_disks = []
        for disk in old_disks:
            data = disk.children[0]
            new_disks.append(objects.Disk(
                dev_type=C.DT_PLAIN, size=disk.size, mode=disk.mode,
                iv_name=disk.iv_name, name=disk.name, params={},
                logical_id=list(data.logical_id), nodes=[pnode],
                uuid=disk.uuid))
        self._ReplaceInConfig(old_disks, new_disks)
        feedback_fn("Removing volumes on the secondary node...")
        for disk in old_disks:
            self._Remove(snode, disk)
        feedback_fn("Removing unneeded volumes on the primary node...")
        for disk in old_disks:
            self._Remove(pnode, disk.children[1])
