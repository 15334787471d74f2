"""Instance life cycle: startup, shutdown, reboot, remove, rename,
reinstall and console."""

import logging
from typing import Any, Dict

from ganeti import constants as C
from ganeti import errors
from ganeti import locking
from ganeti import netutils
from ganeti.cmdlib.base import (HTYPE_INSTANCE, LOCKS_REPLACE, LogicalUnit,
                                NoHooksLU)
from ganeti.cmdlib import instance_params
from ganeti.cmdlib import instance_storage as ist
from ganeti.cmdlib import instance_utils as iu
from ganeti.cmdlib import os as cmdlib_os
from ganeti.cmdlib.instance_create import CheckHostnameSane


class _InstanceLU(LogicalUnit):
    """An LU working on one instance (locked), and its nodes."""

    REQ_BGL = False
    NODE_LEVELS = (locking.LEVEL_NODE,)
    PRIMARY_ONLY = False

    def ExpandNames(self) -> None:
        self.op.instance_uuid, self.op.instance_name = \
            iu.ExpandInstanceUuidAndName(self.cfg, self.op.instance_uuid,
                                         self.op.instance_name)
        self.needed_locks = {locking.LEVEL_INSTANCE: [self.op.instance_uuid]}
        for level in self.NODE_LEVELS:
            self.needed_locks[level] = []
            self.recalculate_locks[level] = LOCKS_REPLACE

    def DeclareLocks(self, level: int) -> None:
        if level in self.NODE_LEVELS and level in self.recalculate_locks:
            self._LockInstancesNodes(primary_only=self.PRIMARY_ONLY,
                                     level=level)

    def _GetInstance(self):
        instance = self.cfg.GetInstanceInfo(self.op.instance_uuid)
        if instance is None:
            raise errors.OpPrereqError("Instance '%s' not known"
                                       % self.op.instance_name,
                                       errors.ECODE_NOENT)
        self.instance = instance
        return instance

    def BuildHooksNodes(self):
        return iu.InstanceHookNodes(self, self.instance)

    def _Env(self, **extra) -> Dict[str, Any]:
        """Hook variables; once the instance is gone (post phase of a
        removal) the pre-phase values."""
        if self.cfg.GetInstanceInfo(self.instance.uuid) is None and \
                getattr(self, "_last_env", None) is not None:
            return self._last_env
        env = dict(extra)
        env.update(iu.BuildInstanceHookEnvByObject(self, self.instance))
        self._last_env = env
        return env


class _InstanceNoHooksLU(NoHooksLU, _InstanceLU):
    """An instance LU without hooks."""


# ------------------------------------------------------------ start/stop

class LUInstanceStartup(_InstanceLU):
    HPATH = "instance-start"
    HTYPE = HTYPE_INSTANCE
    NODE_LEVELS = (locking.LEVEL_NODE_RES,)
    PRIMARY_ONLY = True

    def CheckArguments(self) -> None:
        self.op.beparams = iu.ForceBeParamTypes(self.op.beparams)

    def CheckPrereq(self) -> None:
        instance = self._GetInstance()
        cluster = self.cfg.GetClusterInfo()
        if self.op.hvparams:
            instance_params.ForceHvParamTypes(instance.hypervisor,
                                              self.op.hvparams)
            filled = cluster.FillHV(instance.hypervisor, instance.os,
                                    dict(instance.hvparams or {},
                                         **self.op.hvparams))
            iu.CheckHVParams(self, self.cfg.GetInstanceNodes(instance.uuid),
                             instance.hypervisor, filled)
        iu.CheckInstanceState(self, instance, iu.INSTANCE_ONLINE)
        self.primary_offline = \
            self.cfg.GetNodeInfo(instance.primary_node).offline
        self.running = False
        if self.primary_offline and self.op.ignore_offline_nodes:
            self.LogWarning("Ignoring offline primary node")
            if self.op.hvparams or self.op.beparams:
                self.LogWarning("Overridden parameters are ignored")
            return
        iu.CheckNodeOnline(self, instance.primary_node)
        iu.CheckBridgesExist(self, instance.nics or [], instance.primary_node)
        self.running = iu.InstanceRunning(self, instance)
        if not self.running:
            bep = cluster.FillBE(dict(instance.beparams or {},
                                      **iu.UpgradeBeParams(self.op.beparams)))
            iu.CheckNodeFreeMemory(
                self, instance.primary_node,
                "starting instance %s" % instance.name, bep["minmem"],
                instance.hypervisor,
                cluster.hvparams.get(instance.hypervisor, {}))

    def BuildHooksEnv(self):
        return self._Env(FORCE=self.op.force)

    def Exec(self, feedback_fn):
        instance = self.instance
        if not self.op.no_remember:
            instance = self.cfg.MarkInstanceUp(instance.uuid)
        if self.primary_offline:
            assert self.op.ignore_offline_nodes
            self.LogInfo("Primary node offline, marked instance as started")
            return None
        if self.running:
            return None
        ist.StartInstanceDisks(self, instance, self.op.force)
        result = self.rpc.call_instance_start(
            instance.primary_node,
            (instance, self.op.hvparams, iu.UpgradeBeParams(self.op.beparams)),
            self.op.startup_paused, self.op.reason)
        if result.fail_msg:
            ist.ShutdownInstanceDisks(self, instance)
            result.Raise("Could not start instance")
        return None


class LUInstanceShutdown(_InstanceLU):
    HPATH = "instance-stop"
    HTYPE = HTYPE_INSTANCE
    NODE_LEVELS = ()

    def CheckPrereq(self) -> None:
        instance = self._GetInstance()
        if not self.op.force:
            iu.CheckInstanceState(self, instance, iu.INSTANCE_ONLINE)
        else:
            self.LogWarning("Ignoring offline instance check")
        self.primary_offline = \
            self.cfg.GetNodeInfo(instance.primary_node).offline
        if self.primary_offline and self.op.ignore_offline_nodes:
            self.LogWarning("Ignoring offline primary node")
        else:
            iu.CheckNodeOnline(self, instance.primary_node)

    def BuildHooksEnv(self):
        return self._Env(TIMEOUT=self.op.timeout)

    def Exec(self, feedback_fn):
        instance = self.instance
        if not self.op.no_remember:
            source = self.op.admin_state_source or C.ADMIN_SOURCE
            instance = self.cfg.MarkInstanceDown(instance.uuid, source)
        if self.primary_offline:
            assert self.op.ignore_offline_nodes
            self.LogInfo("Primary node offline, marked instance as stopped")
            return None
        result = self.rpc.call_instance_shutdown(instance.primary_node,
                                                 instance, self.op.timeout,
                                                 self.op.reason)
        if result.fail_msg:
            self.LogWarning("Could not shutdown instance: %s", result.fail_msg)
        ist.ShutdownInstanceDisks(self, instance)
        return None


class LUInstanceReboot(_InstanceLU):
    HPATH = "instance-reboot"
    HTYPE = HTYPE_INSTANCE
    NODE_LEVELS = ()

    def CheckPrereq(self) -> None:
        instance = self._GetInstance()
        iu.CheckInstanceState(self, instance, iu.INSTANCE_ONLINE)
        iu.CheckNodeOnline(self, instance.primary_node)
        iu.CheckBridgesExist(self, instance.nics or [], instance.primary_node)

    def BuildHooksEnv(self):
        return self._Env(IGNORE_SECONDARIES=self.op.ignore_secondaries,
                         REBOOT_TYPE=self.op.reboot_type,
                         SHUTDOWN_TIMEOUT=self.op.shutdown_timeout)

    def Exec(self, feedback_fn):
        instance = self.instance
        pnode = instance.primary_node
        running = iu.InstanceRunning(self, instance)
        if running and self.op.reboot_type in (C.INSTANCE_REBOOT_SOFT,
                                               C.INSTANCE_REBOOT_HARD):
            result = self.rpc.call_instance_reboot(pnode, instance,
                                                   self.op.reboot_type,
                                                   self.op.shutdown_timeout,
                                                   self.op.reason)
            result.Raise("Could not reboot instance")
        else:
            if running:
                result = self.rpc.call_instance_shutdown(
                    pnode, instance, self.op.shutdown_timeout, self.op.reason)
                result.Raise("Could not shutdown instance for full reboot")
                ist.ShutdownInstanceDisks(self, instance)
            else:
                self.LogInfo("Instance %s was already stopped, starting now",
                             instance.name)
            ist.StartInstanceDisks(self, instance,
                                   self.op.ignore_secondaries)
            result = self.rpc.call_instance_start(pnode, (instance, None, None),
                                                  False, self.op.reason)
            if result.fail_msg:
                ist.ShutdownInstanceDisks(self, instance)
                result.Raise("Could not start instance for full reboot")
        self.cfg.MarkInstanceUp(instance.uuid)
        return None


# ------------------------------------------------------------ remove

def RemoveInstance(lu, feedback_fn, instance, ignore_failures: bool) -> None:
    """Remove the disks, then the configuration entry, of an instance."""
    lu.LogInfo("Removing block devices for instance %s", instance.name)
    if not ist.RemoveDisks(lu, instance):
        if not ignore_failures:
            raise errors.OpExecError("Can't remove instance's disks")
        feedback_fn("Warning: can't remove instance's disks")
    lu.LogInfo("Removing instance %s out of cluster config", instance.name)
    remove = getattr(lu.context, "RemoveInstance", None)
    if remove is not None:
        remove(instance.uuid)
    else:
        lu.cfg.RemoveInstance(instance.uuid)


class LUInstanceRemove(_InstanceLU):
    HPATH = "instance-remove"
    HTYPE = HTYPE_INSTANCE
    NODE_LEVELS = (locking.LEVEL_NODE, locking.LEVEL_NODE_RES)

    def CheckPrereq(self) -> None:
        self._GetInstance()

    def BuildHooksEnv(self):
        return self._Env(SHUTDOWN_TIMEOUT=self.op.shutdown_timeout)

    def BuildHooksNodes(self):
        pre = [self.cfg.GetMasterNode()]
        post = pre + list(self.cfg.GetInstanceNodes(self.instance.uuid))
        return pre, post

    def Exec(self, feedback_fn):
        instance = self.instance
        pnode_name = iu.NodeName(self.cfg, instance.primary_node)
        self.LogInfo("Shutting down instance %s on node %s", instance.name,
                     pnode_name)
        result = self.rpc.call_instance_shutdown(instance.primary_node,
                                                 instance,
                                                 self.op.shutdown_timeout,
                                                 self.op.reason)
        if result.fail_msg:
            if self.op.ignore_failures:
                feedback_fn("Warning: can't shutdown instance: %s"
                            % result.fail_msg)
            else:
                raise errors.OpExecError("Could not shutdown instance %s on"
                                         " node %s: %s" % (instance.name,
                                                           pnode_name,
                                                           result.fail_msg))
        RemoveInstance(self, feedback_fn, instance, self.op.ignore_failures)
        return None


# ------------------------------------------------------------ rename

class LUInstanceRename(_InstanceLU):
    HPATH = "instance-rename"
    HTYPE = HTYPE_INSTANCE
    NODE_LEVELS = ()

    def CheckArguments(self) -> None:
        if self.op.ip_check and not self.op.name_check:
            raise errors.OpPrereqError("IP address check requires a name"
                                       " check", errors.ECODE_INVAL)
        self.op.new_name = instance_params.NormalizeInstanceName(
            self.op.new_name)

    def CheckPrereq(self) -> None:
        instance = self._GetInstance()
        iu.CheckNodeOnline(self, instance.primary_node)
        iu.CheckInstanceState(self, instance, iu.INSTANCE_NOT_RUNNING,
                              msg="cannot rename")
        new_name = self.op.new_name
        if self.op.name_check:
            hostname = CheckHostnameSane(self, new_name)
            new_name = self.op.new_name = hostname.name
            if self.op.ip_check and netutils.TcpPing(
                    hostname.ip, C.DEFAULT_NODED_PORT, timeout=5):
                raise errors.OpPrereqError("IP %s of instance %s already in"
                                           " use" % (hostname.ip, new_name),
                                           errors.ECODE_NOTUNIQUE)
        if new_name != instance.name and \
                self.cfg.GetInstanceInfoByName(new_name) is not None:
            raise errors.OpPrereqError("Instance '%s' is already in the"
                                       " cluster" % new_name,
                                       errors.ECODE_EXISTS)

    def BuildHooksEnv(self):
        return self._Env(INSTANCE_NEW_NAME=self.op.new_name)

    def BuildHooksNodes(self):
        nodes = [self.cfg.GetMasterNode()] + \
            list(self.cfg.GetInstanceNodes(self.instance.uuid))
        return nodes, nodes

    def Exec(self, feedback_fn):
        instance = self.instance
        old_name = instance.name
        disks = self.cfg.GetInstanceDisks(instance.uuid)
        old_dir = ist.FileDiskDir(disks[0]) if disks else None
        self.cfg.RenameInstance(instance.uuid, self.op.new_name)
        renamed = self.cfg.GetInstanceInfo(instance.uuid)
        new_disks = self.cfg.GetInstanceDisks(instance.uuid)
        new_dir = ist.FileDiskDir(new_disks[0]) if new_disks else None
        if old_dir and new_dir and old_dir != new_dir:
            result = self.rpc.call_file_storage_dir_rename(
                renamed.primary_node, old_dir, new_dir)
            result.Raise("Could not rename on node %s directory '%s' to '%s'"
                         " (but the instance has been renamed in Ganeti)"
                         % (iu.NodeName(self.cfg, renamed.primary_node),
                            old_dir, new_dir))
        ist.StartInstanceDisks(self, renamed, None)
        renamed = self.cfg.GetInstanceInfo(instance.uuid)
        # the volumes' info (LVM tag "originstname+NAME") follows the name
        info = ist.InfoText(renamed)
        for idx, disk in enumerate(new_disks):
            for node_uuid in self.cfg.GetInstanceNodes(renamed.uuid):
                result = self.rpc.call_blockdev_setinfo(node_uuid,
                                                        (disk, renamed), info)
                result.Warn("Error setting info on node %s for disk %s" %
                            (iu.NodeName(self.cfg, node_uuid), idx),
                            self.LogWarning)
        try:
            result = self.rpc.call_instance_run_rename(
                renamed.primary_node, renamed, old_name,
                self.op.debug_level or 0)
            if result.fail_msg:
                self.LogWarning("Could not run OS rename script for instance"
                                " %s on node %s (but the instance has been"
                                " renamed in Ganeti): %s", renamed.name,
                                iu.NodeName(self.cfg, renamed.primary_node),
                                result.fail_msg)
        finally:
            ist.ShutdownInstanceDisks(self, renamed)
        return renamed.name


# ------------------------------------------------------------ reinstall

class LUInstanceReinstall(_InstanceLU):
    HPATH = "instance-reinstall"
    HTYPE = HTYPE_INSTANCE
    NODE_LEVELS = (locking.LEVEL_NODE,)
    PRIMARY_ONLY = True

    def CheckPrereq(self) -> None:
        instance = self._GetInstance()
        iu.CheckNodeOnline(self, instance.primary_node,
                           "Instance primary node offline, cannot reinstall")
        if self.cfg.GetInstanceDiskTemplate(instance.uuid) == C.DT_DISKLESS:
            raise errors.OpPrereqError("Instance '%s' has no disks"
                                       % self.op.instance_name,
                                       errors.ECODE_INVAL)
        iu.CheckInstanceState(self, instance, iu.INSTANCE_DOWN,
                              msg="cannot reinstall")
        os_name = self.op.os_type or instance.os
        declared = cmdlib_os.CheckNodeHasOs(self, instance.primary_node,
                                            os_name, self.op.force_variant)
        self.os_name = os_name
        self.osparams = dict(instance.osparams or {})
        self.osparams.update(self.op.osparams or {})
        check = dict(self.osparams)
        check.update(self.op.osparams_private or {})
        check.update(self.op.osparams_secret or {})
        if check:
            cmdlib_os.CheckOsParams(self, True, [instance.primary_node],
                                    os_name, check, self.op.force_variant,
                                    declared)

    def BuildHooksEnv(self):
        return self._Env()

    def Exec(self, feedback_fn):
        instance = self.instance
        if self.op.os_type is not None or self.op.osparams is not None:
            instance.os = self.os_name
            instance.osparams = self.osparams
            if self.op.osparams_private is not None:
                instance.osparams_private = dict(self.op.osparams_private)
            self.cfg.Update(instance, feedback_fn)
        ist.StartInstanceDisks(self, instance, None)
        try:
            feedback_fn("Running the instance OS create scripts...")
            result = self.rpc.call_instance_os_add(
                instance.primary_node, (instance, self.op.osparams_secret),
                True, self.op.debug_level or 0)
            result.Raise("Could not install OS for instance %s on node %s"
                         % (instance.name,
                            iu.NodeName(self.cfg, instance.primary_node)))
        finally:
            ist.ShutdownInstanceDisks(self, instance)
        return None


# ------------------------------------------------------------ console

def _HypervisorClass(name: str):
    try:
        from ganeti import hypervisor  # pylint: disable=import-outside-toplevel
    except ImportError:
        return None
    getter = getattr(hypervisor, "GetHypervisorClass", None)
    if getter is None:
        return None
    try:
        return getter(name)
    except (errors.GenericError, KeyError):
        return None


def GetInstanceConsole(cluster, instance, primary_node, node_group):
    """The console description (InstanceConsole dict) of an instance."""
    hvp = cluster.FillHV(instance.hypervisor, instance.os,
                         instance.hvparams or {})
    bep = cluster.FillBE(instance.beparams or {})
    hv_class = _HypervisorClass(instance.hypervisor)
    if hv_class is None:
        return {"instance": instance.name, "kind": "msg",
                "message": "Console not available for %s hypervisor"
                           % instance.hypervisor}
    console = hv_class.GetInstanceConsole(instance, primary_node, node_group,
                                          hvp, bep)
    to_dict = getattr(console, "ToDict", None)
    return to_dict() if callable(to_dict) else dict(console)


class LUInstanceConsole(_InstanceNoHooksLU):
    NODE_LEVELS = (locking.LEVEL_NODE,)
    PRIMARY_ONLY = True

    def ExpandNames(self) -> None:
        super().ExpandNames()
        self.share_locks = dict.fromkeys(locking.LEVELS, 1)

    def CheckPrereq(self) -> None:
        instance = self._GetInstance()
        iu.CheckNodeOnline(self, instance.primary_node)

    def Exec(self, feedback_fn):
        instance = self.instance
        cluster = self.cfg.GetClusterInfo()
        pnode = self.cfg.GetNodeInfo(instance.primary_node)
        result = self.rpc.call_instance_list([pnode.uuid],
                                             [instance.hypervisor],
                                             cluster.hvparams)[pnode.uuid]
        result.Raise("Error checking node %s" % pnode.name)
        if instance.name not in (result.payload or []):
            if instance.admin_state == C.ADMINST_UP:
                state = C.INSTST_ERRORDOWN
            elif instance.admin_state == C.ADMINST_DOWN:
                state = C.INSTST_ADMINDOWN
            else:
                state = C.INSTST_ADMINOFFLINE
            raise errors.OpExecError("Instance %s is not running (state %s)"
                                     % (instance.name, state))
        logging.debug("Connecting to console of %s on %s", instance.name,
                      pnode.name)
        group = self.cfg.GetNodeGroup(pnode.group)
        return GetInstanceConsole(cluster, instance, pnode, group)

