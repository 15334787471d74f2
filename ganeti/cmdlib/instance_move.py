"""Moving an instance by copying its (non-mirrored) disks to another node
(OpInstanceMove, gnt-instance move)."""

from typing import Optional

from ganeti import constants as C
from ganeti import errors
from ganeti import locking
from ganeti.cmdlib.base import HTYPE_INSTANCE
from ganeti.cmdlib import instance_storage as ist
from ganeti.cmdlib import instance_utils as iu
from ganeti.cmdlib import ipolicy
from ganeti.cmdlib import transfer
from ganeti.cmdlib.instance_ops import _InstanceLU

# Templates whose disks can be copied block by block.
DTS_COPYABLE = frozenset([C.DT_EXT, C.DT_FILE, C.DT_GLUSTER, C.DT_PLAIN,
                          C.DT_RBD, C.DT_SHARED_FILE])


class LUInstanceMove(_InstanceLU):
    HPATH = "instance-move"
    HTYPE = HTYPE_INSTANCE
    NODE_LEVELS = (locking.LEVEL_NODE, locking.LEVEL_NODE_RES)

    def ExpandNames(self) -> None:
        super().ExpandNames()
        self.op.target_node_uuid, self.op.target_node = \
            iu.ExpandNodeUuidAndName(self.cfg, self.op.target_node_uuid,
                                     self.op.target_node)
        for level in self.NODE_LEVELS:
            self.needed_locks[level] = [self.op.target_node_uuid]
            self.recalculate_locks[level] = "append"

    def CheckPrereq(self) -> None:
        instance = self._GetInstance()
        template = self.cfg.GetInstanceDiskTemplate(instance.uuid)
        if template not in DTS_COPYABLE:
            raise errors.OpPrereqError("Disk template %s not suitable for"
                                       " copying" % template,
                                       errors.ECODE_STATE)
        target = self.op.target_node_uuid
        if target == instance.primary_node:
            raise errors.OpPrereqError("Instance %s is already on the node %s"
                                       % (instance.name, self.op.target_node),
                                       errors.ECODE_STATE)
        iu.CheckNodeOnline(self, target)
        iu.CheckNodeNotDrained(self, target)
        iu.CheckNodeVmCapable(self, target)
        ipolicy.CheckTargetNodeIPolicy(self.cfg, instance, target,
                                       self.op.ignore_ipolicy, self.LogWarning)
        cluster = self.cfg.GetClusterInfo()
        bep = cluster.FillBE(instance.beparams or {})
        if instance.admin_state == C.ADMINST_UP:
            iu.CheckNodeFreeMemory(self, target, "failing over instance %s"
                                   % instance.name, bep["maxmem"],
                                   instance.hypervisor,
                                   cluster.hvparams.get(instance.hypervisor,
                                                        {}))
        else:
            self.LogInfo("Not checking memory on the secondary node as"
                         " instance will not be started")
        iu.CheckBridgesExist(self, instance.nics or [], target)
        disks = self.cfg.GetInstanceDisks(instance.uuid)
        if template in iu.DTS_FILEBASED:
            self._CheckNotOnTarget(instance, disks, target)
        iu.CheckNodesFreeDisk(self, [target], template,
                              sum(disk.size for disk in disks))

    def _CheckNotOnTarget(self, instance, disks, target: str) -> None:
        """File disks visible on the target already (storage shared by
        the nodes) cannot be copied there."""
        for idx, disk in enumerate(disks):
            result = self.rpc.call_blockdev_find(target, (disk, instance))
            if not result.fail_msg and result.payload is not None:
                raise errors.OpPrereqError(
                    "Disk %d of instance %s already exists on node %s (its"
                    " storage is shared with the node?); it cannot be copied"
                    " there" % (idx, instance.name, self.op.target_node),
                    errors.ECODE_STATE)

    def BuildHooksEnv(self):
        return self._Env(TARGET_NODE=self.op.target_node,
                         SHUTDOWN_TIMEOUT=self.op.shutdown_timeout)

    def BuildHooksNodes(self):
        nodes = [self.cfg.GetMasterNode(), self.instance.primary_node,
                 self.op.target_node_uuid]
        return nodes, nodes

    def _CopyDisk(self, idx: int, disk) -> Optional[str]:
        """Copy one disk to the target node; returns an error or None."""
        instance = self.instance
        raw = (C.IEIO_RAW_DISK, [(disk, instance)])
        return transfer.TransferData(
            self, "disk/%d" % idx, instance, "disk%d" % idx,
            instance.primary_node, raw, self.op.target_node_uuid, raw,
            transfer.Options("move-%s-%d" % (instance.uuid, idx),
                             self.op.compress))

    def Exec(self, feedback_fn):
        instance = self.instance
        cfg = self.cfg
        source = instance.primary_node
        target = self.op.target_node_uuid
        source_name = iu.NodeName(cfg, source)
        self.LogInfo("Shutting down instance %s on source node %s",
                     instance.name, source_name)
        result = self.rpc.call_instance_shutdown(source, instance,
                                                 self.op.shutdown_timeout,
                                                 self.op.reason)
        if result.fail_msg:
            if self.op.ignore_consistency:
                self.LogWarning("Could not shutdown instance %s on node %s."
                                " Proceeding anyway. Please make sure node %s"
                                " is down. Error details: %s", instance.name,
                                source_name, source_name, result.fail_msg)
            else:
                raise errors.OpExecError("Could not shutdown instance %s on"
                                         " node %s: %s" % (instance.name,
                                                           source_name,
                                                           result.fail_msg))
        disks = cfg.GetInstanceDisks(instance.uuid)
        try:
            ist.CreateDisks(self, instance, disks, target_node_uuid=target,
                            new_dirs=True)
        except errors.OpExecError:
            self._StartOn(instance, source)
            raise
        errs = []
        ok, _ = ist.AssembleInstanceDisks(self, instance,
                                          ignore_secondaries=True)
        if not ok:
            errs.append("Can't activate the instance's disks on the source"
                        " node")
        else:
            for idx, disk in enumerate(disks):
                self.LogInfo("Copying data for disk %d", idx)
                msg = self._CopyDisk(idx, disk)
                if msg:
                    self.LogWarning("Can't copy data over for disk %d: %s",
                                    idx, msg)
                    errs.append(msg)
                    break
        ist.ShutdownInstanceDisks(self, instance)
        if errs:
            self.LogWarning("Some disks failed to copy, aborting")
            ist.RemoveDisks(self, instance, disks, target_node_uuid=target)
            self._StartOn(instance, source)
            raise errors.OpExecError("Errors during disk copy: %s"
                                     % ",".join(errs))
        cfg.SetInstancePrimaryNode(instance.uuid, target)
        self.LogInfo("Removing the disks on the original node")
        ist.RemoveDisks(self, instance, disks, target_node_uuid=source)
        instance = self.instance = cfg.GetInstanceInfo(instance.uuid)
        self._StartOn(instance, target, required=True)
        return None

    def _StartOn(self, instance, node: str, required: bool = False) -> None:
        """Start the instance on node if it is marked up; a failure is an
        error with required (on the target), else a warning (the restart
        on the source after a failed move)."""
        if instance.admin_state != C.ADMINST_UP:
            return
        node_name = iu.NodeName(self.cfg, node)
        self.LogInfo("Starting instance %s on node %s", instance.name,
                     node_name)
        ok, _ = ist.AssembleInstanceDisks(self, instance,
                                          ignore_secondaries=True)
        if ok:
            result = self.rpc.call_instance_start(node,
                                                  (instance, None, None),
                                                  False, self.op.reason)
            msg = result.fail_msg and ("Could not start instance %s on node"
                                       " %s: %s" % (instance.name, node_name,
                                                    result.fail_msg))
        else:
            msg = "Can't activate the instance's disks"
        if not msg:
            return
        ist.ShutdownInstanceDisks(self, instance)
        if required:
            raise errors.OpExecError(msg)
        self.LogWarning("%s", msg)
