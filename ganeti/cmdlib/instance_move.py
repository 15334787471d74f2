"""Moving an instance by copying its (non-mirrored) disks to another node
(OpInstanceMove, gnt-instance move)."""

import time
from typing import List, Optional

from ganeti import constants as C
from ganeti import errors
from ganeti import locking
from ganeti.cmdlib.base import HTYPE_INSTANCE
from ganeti.cmdlib import instance_storage as ist
from ganeti.cmdlib import instance_utils as iu
from ganeti.cmdlib import ipolicy
from ganeti.cmdlib.instance_ops import _InstanceLU
from ganeti.utils import text as utils_text

# Templates whose disks can be copied block by block.
DTS_COPYABLE = frozenset([C.DT_EXT, C.DT_FILE, C.DT_GLUSTER, C.DT_PLAIN,
                          C.DT_RBD, C.DT_SHARED_FILE])
IEIO_RAW_DISK = "raw_disk"
_IMPEXP_POLL = 0.5
_IMPEXP_CONNECT_TIMEOUT = 60
_IMPEXP_TIMEOUT = 24 * 3600


def _StatusGet(status, key):
    if isinstance(status, dict):
        return status.get(key)
    return getattr(status, key, None)


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

    def BuildHooksEnv(self):
        return self._Env(TARGET_NODE=self.op.target_node,
                         SHUTDOWN_TIMEOUT=self.op.shutdown_timeout)

    def BuildHooksNodes(self):
        nodes = [self.cfg.GetMasterNode(), self.instance.primary_node,
                 self.op.target_node_uuid]
        return nodes, nodes

    # -- data transfer -----------------------------------------------------

    def _Options(self) -> dict:
        return {"key_name": None, "ca_pem": None,
                "compress": self.op.compress,
                "magic": "move-%s" % utils_text.SafeEncode(self.instance.uuid),
                "connect_timeout": _IMPEXP_CONNECT_TIMEOUT, "ipv6": False}

    def _Wait(self, node: str, name: str, want_port: bool):
        deadline = time.time() + (_IMPEXP_CONNECT_TIMEOUT if want_port
                                  else _IMPEXP_TIMEOUT)
        while time.time() < deadline:
            result = self.rpc.call_impexp_status(node, [name])
            result.Raise("Can't get import/export status on node %s"
                         % iu.NodeName(self.cfg, node))
            status = (result.payload or [None])[0]
            if status is not None:
                if _StatusGet(status, "exit_status") is not None:
                    return status
                if want_port and _StatusGet(status, "listen_port"):
                    return status
            time.sleep(_IMPEXP_POLL)
        raise errors.OpExecError("Timeout waiting for import/export %s on"
                                 " node %s" % (name,
                                               iu.NodeName(self.cfg, node)))

    def _CopyDisk(self, idx: int, source_disk, target_disk) -> Optional[str]:
        """Copy one disk; returns an error message or None."""
        instance = self.instance
        source = instance.primary_node
        target = self.op.target_node_uuid
        component = "disk%d" % idx
        names: List[tuple] = []
        try:
            result = self.rpc.call_import_start(
                target, self._Options(), instance, component,
                (IEIO_RAW_DISK, [(target_disk, instance)]))
            if result.fail_msg:
                return result.fail_msg
            names.append((target, result.payload))
            status = self._Wait(target, result.payload, True)
            if _StatusGet(status, "exit_status") not in (None, 0):
                return _StatusGet(status, "error_message") or "import failed"
            target_ip = self.cfg.GetNodeInfo(target).secondary_ip or \
                self.cfg.GetNodeInfo(target).primary_ip
            result = self.rpc.call_export_start(
                source, self._Options(), target_ip,
                _StatusGet(status, "listen_port"), instance, component,
                (IEIO_RAW_DISK, [(source_disk, instance)]))
            if result.fail_msg:
                return result.fail_msg
            names.append((source, result.payload))
            for node, name in names:
                status = self._Wait(node, name, False)
                if _StatusGet(status, "exit_status") != 0:
                    return (_StatusGet(status, "error_message") or
                            "transfer failed on node %s"
                            % iu.NodeName(self.cfg, node))
            return None
        finally:
            for node, name in names:
                self.rpc.call_impexp_cleanup(node, name)

    def Exec(self, feedback_fn):
        instance = self.instance
        cfg = self.cfg
        source = instance.primary_node
        target = self.op.target_node_uuid
        source_name = iu.NodeName(cfg, source)
        target_name = iu.NodeName(cfg, target)
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
        ist.CreateDisks(self, instance, disks, target_node_uuid=target,
                        new_dirs=True)
        errs = []
        ok, _ = ist.AssembleInstanceDisks(self, instance,
                                          ignore_secondaries=True)
        if not ok:
            errs.append("Can't activate the instance's disks on the source"
                        " node")
        else:
            for idx, disk in enumerate(disks):
                self.LogInfo("Copying data for disk %d", idx)
                msg = self._CopyDisk(idx, disk, disk)
                if msg:
                    self.LogWarning("Can't copy data over for disk %d: %s",
                                    idx, msg)
                    errs.append(msg)
                    break
        ist.ShutdownInstanceDisks(self, instance)
        if errs:
            self.LogWarning("Some disks failed to copy, aborting")
            ist.RemoveDisks(self, instance, disks, target_node_uuid=target)
            raise errors.OpExecError("Errors during disk copy: %s"
                                     % ",".join(errs))
        cfg.SetInstancePrimaryNode(instance.uuid, target)
        self.LogInfo("Removing the disks on the original node")
        ist.RemoveDisks(self, instance, disks, target_node_uuid=source)
        instance = self.instance = cfg.GetInstanceInfo(instance.uuid)
        if instance.admin_state == C.ADMINST_UP:
            self.LogInfo("Starting instance %s on node %s", instance.name,
                         target_name)
            ok, _ = ist.AssembleInstanceDisks(self, instance,
                                              ignore_secondaries=True)
            if not ok:
                ist.ShutdownInstanceDisks(self, instance)
                raise errors.OpExecError("Can't activate the instance's"
                                         " disks")
            result = self.rpc.call_instance_start(target,
                                                  (instance, None, None),
                                                  False, self.op.reason)
            if result.fail_msg:
                ist.ShutdownInstanceDisks(self, instance)
                raise errors.OpExecError("Could not start instance %s on node"
                                         " %s: %s" % (instance.name,
                                                      target_name,
                                                      result.fail_msg))
        return None
