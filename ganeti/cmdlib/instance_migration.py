"""Moving running instances between nodes: migrate and failover (shared
storage or DRBD), and the node-level migrate/evacuate that submit one job
per instance."""

import logging
import time
from typing import List

from ganeti import constants as C
from ganeti import errors
from ganeti import iallocator
from ganeti import locking
from ganeti import opcodes
from ganeti.cmdlib.base import (HTYPE_INSTANCE, HTYPE_NODE, LogicalUnit,
                                NoHooksLU, ResultWithJobs)
from ganeti.cmdlib import instance_storage as ist
from ganeti.cmdlib import instance_utils as iu
from ganeti.cmdlib import ipolicy
from ganeti.cmdlib.instance_create import CheckIAllocatorOrNode
from ganeti.cmdlib.instance_ops import _InstanceLU
from ganeti.utils import text as utils_text

MIGRATION_ACTIVE = "active"
MIGRATION_FAILED_STATUSES = frozenset(["failed", "cancelled"])
_MIGRATION_POLL_INTERVAL = 1
_MIGRATION_FEEDBACK_INTERVAL = 10
_DRBD_SYNC_POLL_INTERVAL = 1


class _MigrateFailoverLU(_InstanceLU):
    """Shared part of migrate and failover (the op decides which)."""

    FAILOVER = False
    NODE_LEVELS = (locking.LEVEL_NODE, locking.LEVEL_NODE_RES)

    def ExpandNames(self) -> None:
        super().ExpandNames()
        if self.op.target_node is not None:
            self.op.target_node_uuid, self.op.target_node = \
                iu.ExpandNodeUuidAndName(self.cfg, self.op.target_node_uuid,
                                         self.op.target_node)
        self.failover = self.FAILOVER
        self.fallback = bool(getattr(self.op, "allow_failover", False))

    def DeclareLocks(self, level: int) -> None:
        if level not in self.NODE_LEVELS:
            return
        instance = self.cfg.GetInstanceInfo(self.op.instance_uuid)
        template = self.cfg.GetInstanceDiskTemplate(instance.uuid) \
            if instance is not None else None
        if template in iu.DTS_EXT_MIRROR:
            if self.op.target_node_uuid is None:
                self.needed_locks[level] = locking.ALL_SET
            else:
                self.needed_locks[level] = [instance.primary_node,
                                            self.op.target_node_uuid]
            self.recalculate_locks.pop(level, None)
        else:
            self._LockInstancesNodes(level=level)

    # -- prerequisites -----------------------------------------------------

    def CheckPrereq(self) -> None:
        instance = self._GetInstance()
        cfg = self.cfg
        cluster = cfg.GetClusterInfo()
        template = cfg.GetInstanceDiskTemplate(instance.uuid)
        self.template = template
        self.source = instance.primary_node
        if not self.op.cleanup and not self.failover and \
                instance.admin_state != C.ADMINST_UP and self.fallback:
            self.LogInfo("Instance is marked down or offline, fallback"
                         " allowed, going for failover")
            self.failover = True
        if template not in iu.DTS_MIRRORED:
            raise errors.OpPrereqError("Instance's disk layout '%s' does not"
                                       " allow %s" % (template,
                                                      "failovers" if
                                                      self.failover else
                                                      "migrations"),
                                       errors.ECODE_STATE)
        if template in iu.DTS_EXT_MIRROR:
            CheckIAllocatorOrNode(self, "iallocator", "target_node")
            if self.op.iallocator:
                self._RunAllocator(instance)
            target = self.op.target_node_uuid
            if target == instance.primary_node:
                raise errors.OpPrereqError("Cannot migrate instance %s to its"
                                           " primary (%s)"
                                           % (instance.name,
                                              iu.NodeName(cfg, target)),
                                           errors.ECODE_STATE)
        else:
            secondaries = cfg.GetInstanceSecondaryNodes(instance.uuid)
            if not secondaries:
                raise errors.OpPrereqError("Instance %s has no secondary node"
                                           % instance.name, errors.ECODE_STATE)
            target = secondaries[0]
            if self.op.iallocator or (self.op.target_node_uuid and
                                      self.op.target_node_uuid != target):
                raise errors.OpPrereqError("Instances with disk template %s"
                                           " cannot be migrated to arbitrary"
                                           " nodes" % template,
                                           errors.ECODE_INVAL)
        self.target = target
        iu.CheckNodeOnline(self, target)
        iu.CheckNodeNotDrained(self, target)
        iu.CheckNodeVmCapable(self, target)
        ipolicy.CheckTargetNodeIPolicy(self.cfg, instance, target,
                                       self.op.ignore_ipolicy, self.LogWarning)
        bep = cluster.FillBE(instance.beparams or {})
        hvparams = cluster.hvparams.get(instance.hypervisor, {})
        if self.failover:
            if instance.admin_state == C.ADMINST_UP:
                iu.CheckNodeFreeMemory(self, target, "failing over instance %s"
                                       % instance.name, bep["maxmem"],
                                       instance.hypervisor, hvparams)
            return
        if self.op.cleanup:
            return
        iu.CheckNodeOnline(self, self.source)
        result = self.rpc.call_instance_migratable(self.source, instance)
        if result.fail_msg and self.fallback:
            self.LogInfo("Can't migrate, instance offline, fallback to"
                         " failover")
            self.failover = True
            return
        result.Raise("Can't migrate, please use failover", prereq=True,
                     ecode=errors.ECODE_STATE)
        iu.CheckNodeFreeMemory(self, target, "migrating instance %s"
                               % instance.name, bep["maxmem"],
                               instance.hypervisor, hvparams)
        if self.op.mode is not None and self.op.live is not None:
            raise errors.OpPrereqError("Only one of the 'live' and 'mode'"
                                       " parameters are accepted",
                                       errors.ECODE_INVAL)
        if self.op.live is not None:
            self.live = self.op.live
        else:
            mode = self.op.mode or cluster.FillHV(
                instance.hypervisor, instance.os,
                instance.hvparams or {}).get(
                    "migration_mode", C.HT_MIGRATION_LIVE)
            self.live = mode == C.HT_MIGRATION_LIVE

    def _RunAllocator(self, instance) -> None:
        req = iallocator.IAReqRelocate(
            inst_uuid=instance.uuid,
            relocate_from_node_uuids=[instance.primary_node])
        self.op.target_node_uuid, self.op.target_node = \
            iu.RunIAllocator(self, req, instance.name)[0]

    # -- hooks -------------------------------------------------------------

    def _MoveEnv(self):
        env = {"OLD_PRIMARY": iu.NodeName(self.cfg, self.source),
               "NEW_PRIMARY": iu.NodeName(self.cfg, self.target)}
        if self.template in iu.DTS_INT_MIRROR:
            env["OLD_SECONDARY"] = env["NEW_PRIMARY"]
            env["NEW_SECONDARY"] = env["OLD_PRIMARY"]
        else:
            env["OLD_SECONDARY"] = env["NEW_SECONDARY"] = ""
        return env

    def BuildHooksNodes(self):
        nodes = [self.cfg.GetMasterNode()] + \
            list(self.cfg.GetInstanceNodes(self.instance.uuid))
        if self.target not in nodes:
            nodes.append(self.target)
        return nodes, nodes

    # -- execution helpers --------------------------------------------------

    def _Disks(self):
        return self.cfg.GetInstanceDisks(self.instance.uuid)

    def _CloseDisks(self, node: str, feedback_fn) -> None:
        disks = self._Disks()
        if not disks or self.template not in iu.DTS_EXT_MIRROR:
            return
        feedback_fn("* closing instance disks on node %s"
                    % iu.NodeName(self.cfg, node))
        result = self.rpc.call_blockdev_close(node, self.instance.name,
                                              (disks, self.instance))
        if result.fail_msg:
            self.LogWarning("Cannot close the disks of instance %s on node"
                            " %s: %s", self.instance.name,
                            iu.NodeName(self.cfg, node), result.fail_msg)

    def _OpenDisks(self, node: str, exclusive: bool, feedback_fn) -> None:
        disks = self._Disks()
        if not disks or self.template not in iu.DTS_EXT_MIRROR:
            return
        feedback_fn("* opening instance disks on node %s in %s mode"
                    % (iu.NodeName(self.cfg, node),
                       "exclusive" if exclusive else "shared"))
        result = self.rpc.call_blockdev_open(node, self.instance.name,
                                             (disks, self.instance),
                                             exclusive)
        result.Raise("Cannot open the disks of instance %s on node %s"
                     % (self.instance.name, iu.NodeName(self.cfg, node)))

    def _CheckConsistency(self, feedback_fn) -> None:
        feedback_fn("* checking disk consistency between source and target")
        if self.template not in iu.DTS_INT_MIRROR:
            return
        for idx, disk in enumerate(self._Disks()):
            result = self.rpc.call_blockdev_find(self.target,
                                                 (disk, self.instance))
            status = result.payload
            degraded = (status.get("is_degraded") if isinstance(status, dict)
                        else getattr(status, "is_degraded", True))
            if result.fail_msg or status is None or degraded:
                if self.failover and self.op.ignore_consistency:
                    continue
                if self.failover:
                    raise errors.OpExecError("Disk %s is degraded on target"
                                             " node, aborting failover" % idx)
                raise errors.OpExecError("Disk %s is degraded or not fully"
                                         " synchronized on target node,"
                                         " aborting migration" % idx)

    # -- DRBD role changes (internally mirrored disks) -----------------------

    def _DrbdNodes(self) -> list:
        return [self.source, self.target]

    def _EnsureSecondary(self, node: str, feedback_fn) -> None:
        """Demote node's DRBD devices to secondary (blockdev_close)."""
        feedback_fn("* switching node %s to secondary mode"
                    % iu.NodeName(self.cfg, node))
        result = self.rpc.call_blockdev_close(node, self.instance.name,
                                              (self._Disks(), self.instance))
        result.Raise("Cannot change disk to secondary on node %s"
                     % iu.NodeName(self.cfg, node))

    def _GoStandalone(self, feedback_fn) -> None:
        feedback_fn("* changing into standalone mode")
        results = self.rpc.call_drbd_disconnect_net(
            self._DrbdNodes(), (self._Disks(), self.instance))
        for node, result in results.items():
            result.Raise("Cannot disconnect disks node %s"
                         % iu.NodeName(self.cfg, node))

    def _GoReconnect(self, multimaster: bool, feedback_fn) -> None:
        feedback_fn("* changing disks into %s mode"
                    % ("dual-master" if multimaster else "single-master"))
        results = self.rpc.call_drbd_attach_net(
            self._DrbdNodes(), (self._Disks(), self.instance), multimaster)
        for node, result in results.items():
            result.Raise("Cannot change disks config on node %s"
                         % iu.NodeName(self.cfg, node))

    def _WaitUntilSync(self, feedback_fn) -> None:
        feedback_fn("* wait until resync is done")
        while True:
            results = self.rpc.call_drbd_wait_sync(
                self._DrbdNodes(), (self._Disks(), self.instance))
            all_done, min_percent = True, 100.0
            for node, result in results.items():
                result.Raise("Cannot resync disks on node %s"
                             % iu.NodeName(self.cfg, node))
                done, percent = result.payload
                all_done = all_done and done
                if percent is not None:
                    min_percent = min(min_percent, percent)
            if all_done:
                return
            feedback_fn("   - progress: %.1f%%" % min_percent)
            time.sleep(_DRBD_SYNC_POLL_INTERVAL)

    def _DrbdSingleMaster(self, demoted: str, feedback_fn) -> None:
        """Back to one primary (the node not demoted), connected."""
        self._EnsureSecondary(demoted, feedback_fn)
        self._WaitUntilSync(feedback_fn)
        self._GoStandalone(feedback_fn)
        self._GoReconnect(False, feedback_fn)
        self._WaitUntilSync(feedback_fn)

    def _RevertDiskStatus(self, feedback_fn) -> None:
        """After a failed migration: the source the only primary again."""
        if self.template not in iu.DTS_INT_MIRROR:
            return
        try:
            self._DrbdSingleMaster(self.target, feedback_fn)
        except errors.OpExecError as err:
            self.LogWarning("Migration failure recovery failed: %s. You must"
                            " manually check the disks' status of instance"
                            " %s", err, self.instance.name)

    # -- failover ----------------------------------------------------------

    def _ExecFailover(self, feedback_fn) -> None:
        instance = self.instance
        cfg = self.cfg
        source, target = self.source, self.target
        source_name = iu.NodeName(cfg, source)
        target_name = iu.NodeName(cfg, target)
        up = instance.admin_state == C.ADMINST_UP
        source_offline = cfg.GetNodeInfo(source).offline
        if up and not source_offline:
            self._CheckConsistency(feedback_fn)
        feedback_fn("* shutting down instance on source node")
        result = self.rpc.call_instance_shutdown(source, instance,
                                                 self.op.shutdown_timeout,
                                                 self.op.reason)
        if result.fail_msg:
            if self.op.ignore_consistency or source_offline:
                self.LogWarning("Could not shutdown instance %s on node %s,"
                                " proceeding anyway; please make sure node"
                                " %s is down; error details: %s",
                                instance.name, source_name, source_name,
                                result.fail_msg)
            else:
                raise errors.OpExecError("Could not shutdown instance %s on"
                                         " node %s: %s"
                                         % (instance.name, source_name,
                                            result.fail_msg))
        self._CloseDisks(source, feedback_fn)
        feedback_fn("* deactivating the instance's disks on source node")
        if not ist.ShutdownInstanceDisks(self, instance, ignore_primary=True):
            if not self.op.ignore_consistency:
                raise errors.OpExecError("Can't shut down the instance's"
                                         " disks")
        self._SwitchPrimary()
        instance = self.instance
        if not up:
            return
        feedback_fn("* activating the instance's disks on target node %s"
                    % target_name)
        ok, _ = ist.AssembleInstanceDisks(self, instance,
                                          ignore_secondaries=True)
        if not ok:
            ist.ShutdownInstanceDisks(self, instance)
            raise errors.OpExecError("Can't activate the instance's disks")
        feedback_fn("* starting the instance on the target node %s"
                    % target_name)
        result = self.rpc.call_instance_start(target, (instance, None, None),
                                              False, self.op.reason)
        if result.fail_msg:
            ist.ShutdownInstanceDisks(self, instance)
            raise errors.OpExecError("Could not start instance %s on node %s:"
                                     " %s" % (instance.name, target_name,
                                              result.fail_msg))

    def _SwitchPrimary(self) -> None:
        # DRBD disks stay on both nodes (the roles swap); other disks follow
        self.cfg.SetInstancePrimaryNode(self.instance.uuid, self.target)
        self.instance = self.cfg.GetInstanceInfo(self.instance.uuid)

    # -- migration ---------------------------------------------------------

    def _Ip(self, node: str) -> str:
        return self.cfg.GetNodeInfo(node).secondary_ip or \
            self.cfg.GetNodeInfo(node).primary_ip

    def _ExecCleanup(self, feedback_fn) -> None:
        """Find where the instance runs after a failed migration and make
        the configuration agree."""
        instance = self.instance
        cluster = self.cfg.GetClusterInfo()
        found = []
        for node in (self.source, self.target):
            result = self.rpc.call_instance_list(
                [node], [instance.hypervisor], cluster.hvparams)[node]
            result.Raise("Can't contact node %s" % iu.NodeName(self.cfg, node))
            if instance.name in (result.payload or []):
                found.append(node)
        if len(found) > 1:
            raise errors.OpExecError("Instance running on both nodes, manual"
                                     " recovery needed")
        if not found:
            feedback_fn("* instance not running on any node")
        elif found[0] == self.target:
            feedback_fn("* instance running on secondary node (%s), updating"
                        " config" % iu.NodeName(self.cfg, self.target))
            self._SwitchPrimary()
        else:
            feedback_fn("* instance confirmed to be running on its primary"
                        " node (%s)" % iu.NodeName(self.cfg, self.source))
        if found and self.template in iu.DTS_INT_MIRROR:
            demoted = self.target if found[0] == self.source else self.source
            try:
                self._DrbdSingleMaster(demoted, feedback_fn)
            except errors.OpExecError as err:
                self.LogWarning("Migration failure recovery failed: %s. You"
                                " must manually check the disks' status of"
                                " instance %s", err, instance.name)
        feedback_fn("* done")

    def _ExecMigration(self, feedback_fn) -> None:
        instance = self.instance
        cfg = self.cfg
        source, target = self.source, self.target
        target_name = iu.NodeName(cfg, target)
        self._CheckConsistency(feedback_fn)
        self._CloseDisks(target, feedback_fn)
        self._OpenDisks(source, False, feedback_fn)
        self._OpenDisks(target, False, feedback_fn)
        result = self.rpc.call_migration_info(source, instance)
        result.Raise("Could not gather information for instance %s on node"
                     " %s" % (instance.name, iu.NodeName(cfg, source)))
        info = result.payload
        if self.template in iu.DTS_INT_MIRROR:
            # both nodes primary while the instance moves
            self._EnsureSecondary(target, feedback_fn)
            self._GoStandalone(feedback_fn)
            self._GoReconnect(True, feedback_fn)
            self._WaitUntilSync(feedback_fn)
        feedback_fn("* preparing %s to accept the instance" % target_name)
        result = self.rpc.call_accept_instance(target, instance, info,
                                               self._Ip(target))
        if result.fail_msg:
            self._AbortMigration(info, feedback_fn)
            raise errors.OpExecError("Could not pre-migrate instance %s: %s"
                                     % (instance.name, result.fail_msg))
        feedback_fn("* migrating instance to %s" % target_name)
        result = self.rpc.call_instance_migrate(
            source, cfg.GetClusterName(), instance, self._Ip(target),
            self.live)
        if result.fail_msg:
            self._AbortMigration(info, feedback_fn)
            raise errors.OpExecError("Could not migrate instance %s: %s"
                                     % (instance.name, result.fail_msg))
        feedback_fn("* starting memory transfer")
        last_feedback = time.time()
        while True:
            result = self.rpc.call_instance_get_migration_status(source,
                                                                 instance)
            status = result.payload
            state = (status.get("status") if isinstance(status, dict)
                     else getattr(status, "status", None))
            if result.fail_msg or state in MIGRATION_FAILED_STATUSES:
                msg = result.fail_msg or "migration status %s" % state
                self._AbortMigration(info, feedback_fn)
                raise errors.OpExecError("Could not migrate instance %s: %s"
                                         % (instance.name, msg))
            if state != MIGRATION_ACTIVE:
                feedback_fn("* memory transfer complete")
                if isinstance(status, dict) and "downtime" in status:
                    # qemu's own figures (ms); the master's log keeps them
                    logging.info("Instance %s migrated to %s: downtime %s ms,"
                                 " total time %s ms", instance.name,
                                 target_name, status["downtime"],
                                 status.get("total_time"))
                break
            if time.time() - last_feedback > _MIGRATION_FEEDBACK_INTERVAL:
                get = (status.get if isinstance(status, dict)
                       else lambda k, _s=status: getattr(_s, k, None))
                if get("total_ram"):
                    feedback_fn("* memory transfer progress: %.2f %%"
                                % (100.0 * float(get("transferred_ram") or 0)
                                   / float(get("total_ram"))))
                last_feedback = time.time()
            time.sleep(_MIGRATION_POLL_INTERVAL)
        result = self.rpc.call_instance_finalize_migration_src(
            source, instance, True, self.live)
        result.Raise("Failed to finalize the migration on the source node")
        self._SwitchPrimary()
        instance = self.instance
        result = self.rpc.call_instance_finalize_migration_dst(
            target, instance, info, True)
        result.Raise("Could not finalize instance migration")
        self._CloseDisks(source, feedback_fn)
        self._OpenDisks(target, True, feedback_fn)
        if self.template in iu.DTS_INT_MIRROR:
            self._DrbdSingleMaster(source, feedback_fn)
        feedback_fn("* done")

    def _AbortMigration(self, info, feedback_fn) -> None:
        instance = self.instance
        result = self.rpc.call_instance_finalize_migration_dst(
            self.target, instance, info, False)
        if result.fail_msg:
            self.LogWarning("Aborting migration failed on target node %s: %s",
                            iu.NodeName(self.cfg, self.target),
                            result.fail_msg)
        result = self.rpc.call_instance_finalize_migration_src(
            self.source, instance, False, self.live)
        if result.fail_msg:
            self.LogWarning("Aborting migration failed on source node %s: %s",
                            iu.NodeName(self.cfg, self.source),
                            result.fail_msg)
        self._CloseDisks(self.target, lambda _msg: None)
        try:
            self._OpenDisks(self.source, True, lambda _msg: None)
        except errors.OpExecError as err:
            self.LogWarning("%s", err)
        self._RevertDiskStatus(feedback_fn)

    def Exec(self, feedback_fn):
        if self.failover:
            feedback_fn("Failover instance %s" % self.instance.name)
            self._ExecFailover(feedback_fn)
        else:
            feedback_fn("Migrating instance %s" % self.instance.name)
            if self.op.cleanup:
                self._ExecCleanup(feedback_fn)
            else:
                self._ExecMigration(feedback_fn)
        return None


class LUInstanceFailover(_MigrateFailoverLU):
    HPATH = "instance-failover"
    HTYPE = HTYPE_INSTANCE
    FAILOVER = True

    def BuildHooksEnv(self):
        env = self._Env(IGNORE_CONSISTENCY=self.op.ignore_consistency,
                        SHUTDOWN_TIMEOUT=self.op.shutdown_timeout)
        env.update(self._MoveEnv())
        return env


class LUInstanceMigrate(_MigrateFailoverLU):
    HPATH = "instance-migrate"
    HTYPE = HTYPE_INSTANCE
    FAILOVER = False

    def CheckArguments(self) -> None:
        self.op.ignore_consistency = False
        self.op.shutdown_timeout = C.DEFAULT_SHUTDOWN_TIMEOUT
        self.op.reason = getattr(self.op, "reason", [])

    def BuildHooksEnv(self):
        env = self._Env(MIGRATE_LIVE=getattr(self, "live", False),
                        MIGRATE_CLEANUP=self.op.cleanup)
        env.update(self._MoveEnv())
        return env


# ------------------------------------------------------------ node level

def _NodeInstances(cfg, node_uuid: str, primary: bool, secondary: bool):
    result = []
    for inst in sorted(cfg.GetAllInstancesInfo().values(),
                       key=lambda i: i.name):
        if primary and inst.primary_node == node_uuid:
            result.append(inst)
        elif secondary and \
                node_uuid in cfg.GetInstanceSecondaryNodes(inst.uuid):
            result.append(inst)
    return result


class LUNodeMigrate(LogicalUnit):
    """Submit one migration job per primary instance of a node."""

    HPATH = "node-migrate"
    HTYPE = HTYPE_NODE
    REQ_BGL = False

    def ExpandNames(self) -> None:
        self.op.node_uuid, self.op.node_name = iu.ExpandNodeUuidAndName(
            self.cfg, self.op.node_uuid, self.op.node_name)
        self.share_locks = dict.fromkeys(locking.LEVELS, 1)
        self.needed_locks = {locking.LEVEL_NODE: [self.op.node_uuid]}

    def CheckPrereq(self) -> None:
        pass

    def BuildHooksEnv(self):
        return {"NODE_NAME": self.op.node_name,
                "ALLOW_RUNTIME_CHANGES": self.op.allow_runtime_changes}

    def BuildHooksNodes(self):
        nodes = [self.cfg.GetMasterNode()]
        return nodes, nodes

    def Exec(self, feedback_fn):
        jobs = []
        for inst in _NodeInstances(self.cfg, self.op.node_uuid, True, False):
            jobs.append([opcodes.OpInstanceMigrate(
                instance_name=inst.name, mode=self.op.mode,
                live=self.op.live, iallocator=self.op.iallocator,
                target_node=self.op.target_node,
                allow_runtime_changes=self.op.allow_runtime_changes,
                ignore_ipolicy=self.op.ignore_ipolicy)])
        return ResultWithJobs(jobs)


class LUNodeEvacuate(NoHooksLU):
    """Compute (iallocator or new secondary) and submit the jobs moving
    instances off a node."""

    REQ_BGL = False

    def CheckArguments(self) -> None:
        CheckIAllocatorOrNode(self, "iallocator", "remote_node")

    def ExpandNames(self) -> None:
        self.op.node_uuid, self.op.node_name = iu.ExpandNodeUuidAndName(
            self.cfg, self.op.node_uuid, self.op.node_name)
        if self.op.remote_node is not None:
            self.op.remote_node_uuid, self.op.remote_node = \
                iu.ExpandNodeUuidAndName(self.cfg, self.op.remote_node_uuid,
                                         self.op.remote_node)
            if self.op.remote_node_uuid == self.op.node_uuid:
                raise errors.OpPrereqError("Can not use evacuated node as a"
                                           " new secondary node",
                                           errors.ECODE_INVAL)
            if self.op.mode != C.NODE_EVAC_SEC:
                raise errors.OpPrereqError("Without the use of an iallocator"
                                           " only secondary instances can be"
                                           " evacuated", errors.ECODE_INVAL)
        self.share_locks = dict.fromkeys(locking.LEVELS, 1)
        self.needed_locks = {locking.LEVEL_NODE: [self.op.node_uuid]}

    def CheckPrereq(self) -> None:
        mode = self.op.mode
        self.instances = _NodeInstances(
            self.cfg, self.op.node_uuid,
            mode in (C.NODE_EVAC_PRI, C.NODE_EVAC_ALL),
            mode in (C.NODE_EVAC_SEC, C.NODE_EVAC_ALL))

    def Exec(self, feedback_fn):
        if not self.instances:
            return ResultWithJobs([])
        if self.op.remote_node is not None:
            jobs = [[opcodes.OpInstanceReplaceDisks(
                instance_name=inst.name, remote_node=self.op.remote_node,
                mode=C.REPLACE_DISK_CHG, early_release=self.op.early_release)]
                for inst in self.instances]
            return ResultWithJobs(jobs)
        req = iallocator.IAReqNodeEvac(
            instances=[i.name for i in self.instances],
            evac_mode=self.op.mode,
            ignore_soft_errors=self.op.ignore_soft_errors)
        ial = iallocator.IAllocator(self.cfg, self.rpc, req)
        ial.Run(self.op.iallocator)
        if not ial.success:
            raise errors.OpPrereqError("Can't compute node evacuation using"
                                       " iallocator '%s': %s"
                                       % (self.op.iallocator, ial.info),
                                       errors.ECODE_NORES)
        return ResultWithJobs(LoadNodeEvacResult(self, ial.result,
                                                 self.op.early_release))


def LoadNodeEvacResult(lu, result, early_release: bool) -> List[list]:
    """The jobs of an iallocator's node-evacuate/change-group answer."""
    moved, failed, jobs = result
    if failed:
        reasons = utils_text.CommaJoin("%s (%s)" % (name, reason)
                                       for name, reason in failed)
        lu.LogWarning("Unable to evacuate instances %s", reasons)
        raise errors.OpExecError("Unable to evacuate instances %s" % reasons)
    if moved:
        lu.LogInfo("Instances to be moved: %s", utils_text.CommaJoin(
            "%s (to %s)" % (name, utils_text.CommaJoin(nodes))
            for name, _, nodes in moved))
    result_jobs = []
    for job in jobs:
        ops = []
        for data in job:
            op = opcodes.OpCode.LoadOpCode(data)
            if hasattr(op, "early_release"):
                op.early_release = early_release
            ops.append(op)
        result_jobs.append(ops)
    return result_jobs

