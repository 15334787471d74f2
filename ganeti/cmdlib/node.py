"""Logical units for single nodes: flags and parameters (gnt-node modify),
power cycling and out-of-band commands.

Node membership (add/remove) lives in node_membership.py, volumes and
storage units in node_storage.py.
"""

import logging
import time
from typing import Any, List, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import netutils
from ganeti.cmdlib.base import (ExpandNodeUuid, ExpandNodeUuidAndName,
                                InstanceNodes, LogicalUnit, NoHooksLU)
from ganeti.cmdlib.node_membership import (AdjustCandidatePool,
                                           CandidateCounts,
                                           DecideSelfPromotion,
                                           GetClientCertDigest,
                                           UpdateCandidateSshKey)
from ganeti.cmdlib.group import (DiskTemplate, MergeDiskState, MergeHvState,
                                 UpdateNdParams)
from ganeti.query import NiceSortKey
from ganeti.utils import text as utils_text

# Out-of-band statuses and keys (upstream OOB_* constants).
OOB_STATUS_OK = "OK"
OOB_STATUS_WARNING = "WARNING"
OOB_STATUS_CRITICAL = "CRITICAL"
OOB_STATUS_UNKNOWN = "UNKNOWN"
OOB_STATUSES = frozenset([OOB_STATUS_OK, OOB_STATUS_WARNING,
                          OOB_STATUS_CRITICAL, OOB_STATUS_UNKNOWN])
OOB_POWER_STATUS_POWERED = "powered"
# OOB commands refused on the master (they would cut the cluster off).
_OOB_SKIP_MASTER = (constants.OOB_POWER_OFF, constants.OOB_POWER_CYCLE)


def NodeInstances(cfg, node_uuid: str) -> Tuple[List[str], List[str]]:
    """(primary, secondary) instance uuids of a node."""
    primary, secondary = [], []
    for inst in cfg.GetAllInstancesInfo().values():
        if inst.primary_node == node_uuid:
            primary.append(inst.uuid)
        elif node_uuid in InstanceNodes(cfg, inst):
            secondary.append(inst.uuid)
    return primary, secondary


def FilledNdParams(cfg, node) -> dict:
    cluster = cfg.GetClusterInfo()
    return cluster.FillND(node, cfg.GetNodeGroup(node.group))


def SupportsOob(cfg, node) -> str:
    """The node's out-of-band program ("" when it has none)."""
    return FilledNdParams(cfg, node).get("oob_program") or ""


# ------------------------------------------------------- master candidates

def AddCandidateCert(lu, node_uuid: str) -> None:
    """Trust a new master candidate's client certificate (by digest)."""
    try:
        digest = GetClientCertDigest(lu.rpc, node_uuid)
    except errors.OpExecError as err:
        lu.LogWarning("%s", err)
        return
    cluster = lu.cfg.GetClusterInfo()
    if (cluster.candidate_certs or {}).get(node_uuid) != digest:
        cluster.candidate_certs = dict(cluster.candidate_certs or {},
                                       **{node_uuid: digest})
        lu.cfg.Update(cluster, None)


def RemoveCandidateCert(cfg, node_uuid: str) -> None:
    cluster = cfg.GetClusterInfo()
    certs = dict(cluster.candidate_certs or {})
    if node_uuid in certs:
        del certs[node_uuid]
        cluster.candidate_certs = certs
        cfg.Update(cluster, None)


# ------------------------------------------------------------ node modify

class LUNodeSetParams(LogicalUnit):
    """Change a node's flags and parameters (gnt-node modify).

    Flags describe one of four roles: candidate, drained, offline or
    regular.  The result lists the changes as [(name, new value)].
    """
    HPATH = "node-modify"
    HTYPE = constants.HTYPE_NODE
    REQ_BGL = False

    _FLAGS = ("master_candidate", "drained", "offline")
    _ROLE_CANDIDATE, _ROLE_DRAINED, _ROLE_OFFLINE, _ROLE_REGULAR = range(4)
    _ROLE_FLAGS = {
        _ROLE_CANDIDATE: (True, False, False),
        _ROLE_DRAINED: (False, True, False),
        _ROLE_OFFLINE: (False, False, True),
        _ROLE_REGULAR: (False, False, False),
    }
    _FLAGS_ROLE = {flags: role for role, flags in _ROLE_FLAGS.items()}

    def CheckArguments(self):
        op = self.op
        op.node_uuid, op.node_name = ExpandNodeUuidAndName(
            self.cfg, op.node_uuid, op.node_name)
        flags = [op.offline, op.master_candidate, op.drained,
                 op.master_capable, op.vm_capable, op.powered]
        if (flags.count(None) == len(flags) and not
                (op.secondary_ip or op.ndparams or op.hv_state or
                 op.disk_state)):
            raise errors.OpPrereqError("Please pass at least one modification",
                                       errors.ECODE_INVAL)
        if [op.offline, op.master_candidate, op.drained].count(True) > 1:
            raise errors.OpPrereqError("Can't set the node into more than one"
                                       " state at the same time",
                                       errors.ECODE_INVAL)
        self.might_demote = (op.master_candidate is False or
                             op.offline is True or op.drained is True or
                             op.master_capable is False)
        self.lock_all = op.auto_promote and self.might_demote
        if op.secondary_ip and not netutils.IsValidIP(op.secondary_ip):
            raise errors.OpPrereqError("Secondary IP (%s) needs to be a valid"
                                       " IP address" % op.secondary_ip,
                                       errors.ECODE_INVAL)

    def ExpandNames(self):
        if self.lock_all:
            nodes: Any = locking.ALL_SET
        else:
            nodes = [self.op.node_uuid]
        self.needed_locks = {locking.LEVEL_NODE: nodes,
                             locking.LEVEL_NODE_RES: nodes}

    def BuildHooksEnv(self):
        op = self.op
        return {"OP_TARGET": op.node_name,
                "MASTER_CANDIDATE": str(op.master_candidate),
                "OFFLINE": str(op.offline),
                "DRAINED": str(op.drained),
                "MASTER_CAPABLE": str(op.master_capable),
                "VM_CAPABLE": str(op.vm_capable)}

    def BuildHooksNodes(self):
        nodes = [self.cfg.GetMasterNode(), self.op.node_uuid]
        return (nodes, nodes)

    def _CheckFlags(self, node) -> None:
        """Prerequisites of the flag changes; computes the new role."""
        op = self.op
        cfg = self.cfg
        is_master = node.uuid == cfg.GetMasterNode()
        if is_master and (op.master_candidate is not None or
                          op.drained is not None or op.offline is not None):
            raise errors.OpPrereqError("The master role can be changed only"
                                       " via master-failover",
                                       errors.ECODE_INVAL)
        if op.master_candidate and not node.master_capable:
            raise errors.OpPrereqError("Node %s is not master capable, cannot"
                                       " make it a master candidate" %
                                       node.name, errors.ECODE_STATE)
        if op.vm_capable is False:
            primary, secondary = NodeInstances(cfg, node.uuid)
            if primary or secondary:
                raise errors.OpPrereqError("Node %s hosts instances, cannot"
                                           " unset the vm_capable flag" %
                                           node.name, errors.ECODE_STATE)
        if node.master_candidate and self.might_demote and not self.lock_all:
            current, capable, pool = CandidateCounts(cfg, [node.uuid])
            if current < min(capable, pool):
                raise errors.OpPrereqError("Not enough master candidates,"
                                           " please pass auto promote option"
                                           " to allow promotion"
                                           " (--auto-promote or RAPI"
                                           " auto_promote=True)",
                                           errors.ECODE_STATE)
        self.old_flags = (bool(node.master_candidate), bool(node.drained),
                          bool(node.offline))
        self.old_role = self._FLAGS_ROLE.get(self.old_flags)
        if self.old_role is None:
            raise errors.OpPrereqError("Node %s has inconsistent flags %s" %
                                       (node.name, self.old_flags),
                                       errors.ECODE_STATE)
        # Unsetting a flag that is not set is no change at all.
        for attr in self._FLAGS:
            if getattr(op, attr) is False and not getattr(node, attr):
                self.LogInfo("Ignoring request to unset flag %s, already"
                             " unset", attr)
                setattr(op, attr, None)
        if SupportsOob(cfg, node):
            if op.offline is False and not (node.powered or
                                            op.powered is True):
                raise errors.OpPrereqError("Node %s needs to be turned on"
                                           " before its offline status can"
                                           " be reset" % op.node_name,
                                           errors.ECODE_STATE)
        elif op.powered is not None:
            raise errors.OpPrereqError("Unable to change powered state for"
                                       " node %s as it does not support"
                                       " out-of-band handling" % op.node_name,
                                       errors.ECODE_STATE)
        # Coming back (or becoming eligible): take a candidate slot if the
        # pool has room.
        capable = node.master_capable or op.master_capable
        if (op.drained is False or op.offline is False or
                (op.master_capable and not node.master_capable)):
            if capable and DecideSelfPromotion(cfg):
                op.master_candidate = True
                self.LogInfo("Auto-promoting node to master candidate")
        if op.master_capable is False and node.master_candidate:
            if is_master:
                raise errors.OpPrereqError("Master must remain master capable",
                                           errors.ECODE_STATE)
            self.LogInfo("Demoting from master candidate")
            op.master_candidate = False
        if op.master_candidate:
            new_role = self._ROLE_CANDIDATE
        elif op.drained:
            new_role = self._ROLE_DRAINED
        elif op.offline:
            new_role = self._ROLE_OFFLINE
        elif False in (op.master_candidate, op.drained, op.offline):
            new_role = self._ROLE_REGULAR
        else:
            new_role = self.old_role
        self.new_role = new_role
        if self.old_role == self._ROLE_OFFLINE and new_role != self.old_role:
            result = self.rpc.call_version([node.uuid])[node.uuid]
            if result.fail_msg:
                raise errors.OpPrereqError("Node %s is being de-offlined but"
                                           " fails to report its version: %s"
                                           % (node.name, result.fail_msg),
                                           errors.ECODE_STATE)
            self.LogWarning("Transitioning node from offline to online state"
                            " without using re-add. Please make sure the node"
                            " is healthy!")

    def _CheckSecondaryIp(self, node) -> None:
        op = self.op
        master = self.cfg.GetMasterNodeInfo()
        single_homed = master.secondary_ip == master.primary_ip
        if single_homed and op.secondary_ip != node.primary_ip:
            if op.force and node.uuid == master.uuid:
                self.LogWarning("Transitioning from single-homed to"
                                " multi-homed cluster; all nodes will require"
                                " a secondary IP address")
            else:
                raise errors.OpPrereqError("Changing the secondary ip on a"
                                           " single-homed cluster requires the"
                                           " --force option to be passed, and"
                                           " the target node to be the"
                                           " master", errors.ECODE_INVAL)
        elif not single_homed and op.secondary_ip == node.primary_ip:
            if op.force and node.uuid == master.uuid:
                self.LogWarning("Transitioning from multi-homed to"
                                " single-homed cluster; secondary IP"
                                " addresses will have to be removed")
            else:
                raise errors.OpPrereqError("Cannot set the secondary IP to be"
                                           " the same as the primary IP on a"
                                           " multi-homed cluster, unless the"
                                           " --force option is passed, and"
                                           " the target node is the master",
                                           errors.ECODE_INVAL)
        primary, secondary = NodeInstances(self.cfg, node.uuid)
        instances = [self.cfg.GetInstanceInfo(u) for u in primary + secondary]
        affected = sorted(inst.name for inst in instances
                          if DiskTemplate(self.cfg, inst) ==
                          constants.DT_DRBD8)
        if node.offline:
            if affected:
                raise errors.OpPrereqError("Cannot change secondary IP"
                                           " address: offline node has"
                                           " instances (%s)"
                                           " configured to use it" %
                                           utils_text.CommaJoin(affected),
                                           errors.ECODE_STATE)
            return
        if affected:
            raise errors.OpPrereqError("Cannot change secondary IP address:"
                                       " instances (%s) use it" %
                                       utils_text.CommaJoin(affected),
                                       errors.ECODE_STATE)
        result = self.rpc.call_node_has_ip_address(node.uuid, op.secondary_ip)
        result.Raise("Failure checking secondary ip on node %s" % node.name)
        if not result.payload:
            raise errors.OpPrereqError("Node %s does not have the secondary ip"
                                       " %s configured" %
                                       (node.name, op.secondary_ip),
                                       errors.ECODE_ENVIRON)
        if master.uuid != node.uuid and not netutils.TcpPing(
                op.secondary_ip, constants.DEFAULT_NODED_PORT,
                source=master.secondary_ip):
            raise errors.OpPrereqError("Node secondary ip not reachable by TCP"
                                       " based ping to node daemon port",
                                       errors.ECODE_ENVIRON)

    def CheckPrereq(self):
        op = self.op
        node = self.cfg.GetNodeInfo(op.node_uuid)
        if node is None:
            raise errors.OpPrereqError("Node '%s' not known" % op.node_name,
                                       errors.ECODE_NOENT)
        self.node = node
        self._CheckFlags(node)
        if op.secondary_ip:
            self._CheckSecondaryIp(node)
        self.new_ndparams = None
        if op.ndparams:
            self.new_ndparams = UpdateNdParams(node.ndparams, op.ndparams,
                                               True)
        self.new_hv_state = MergeHvState(op.hv_state, node.hv_state_static)
        self.new_disk_state = MergeDiskState(op.disk_state,
                                             node.disk_state_static)

    def Exec(self, feedback_fn):
        op = self.op
        node = self.node
        cfg = self.cfg
        result: List[Tuple[str, str]] = []
        if self.new_ndparams is not None:
            node.ndparams = self.new_ndparams
        if op.powered is not None:
            node.powered = op.powered
        if self.new_hv_state is not None:
            node.hv_state_static = self.new_hv_state
        if self.new_disk_state is not None:
            node.disk_state_static = self.new_disk_state
        for attr in ("master_capable", "vm_capable"):
            value = getattr(op, attr)
            if value is not None:
                setattr(node, attr, value)
                result.append((attr, str(value)))
        if op.secondary_ip:
            node.secondary_ip = op.secondary_ip
            result.append(("secondary_ip", op.secondary_ip))
        role_changed = self.new_role != self.old_role
        if role_changed:
            new_flags = self._ROLE_FLAGS[self.new_role]
            for old, new, name in zip(self.old_flags, new_flags, self._FLAGS):
                if old != new:
                    result.append((name, str(new)))
            (node.master_candidate, node.drained, node.offline) = new_flags
        cfg.Update(node, feedback_fn)
        if not role_changed:
            return result
        if self.old_role == self._ROLE_CANDIDATE:
            RemoveCandidateCert(cfg, node.uuid)
            if self.new_role != self._ROLE_OFFLINE:
                # Only now: the node gets no further configuration copies.
                msg = self.rpc.call_node_demote_from_mc(node.uuid).fail_msg
                if msg:
                    self.LogWarning("Node failed to demote itself: %s", msg)
            UpdateCandidateSshKey(self, node, False)
        if self.lock_all:
            AdjustCandidatePool(self, [node.uuid])
        if self.new_role == self._ROLE_CANDIDATE:
            AddCandidateCert(self, node.uuid)
            UpdateCandidateSshKey(self, node, True)
            queue = getattr(self.context, "jobqueue", None)
            if queue is not None:
                queue.AddNode(node.name)
        return result


# ------------------------------------------------------------------ power

class LUNodePowercycle(NoHooksLU):
    """Hard-reboot a node through its hypervisor (gnt-node powercycle)."""
    REQ_BGL = False

    def CheckArguments(self):
        self.op.node_uuid, self.op.node_name = ExpandNodeUuidAndName(
            self.cfg, self.op.node_uuid, self.op.node_name)
        if self.op.node_uuid == self.cfg.GetMasterNode() and \
                not self.op.force:
            raise errors.OpPrereqError("The node is the master and the force"
                                       " parameter was not set",
                                       errors.ECODE_INVAL)

    def ExpandNames(self):
        self.needed_locks = {}

    def Exec(self, feedback_fn):
        cluster = self.cfg.GetClusterInfo()
        hypervisor = cluster.enabled_hypervisors[0]
        result = self.rpc.call_node_powercycle(
            self.op.node_uuid, hypervisor, cluster.hvparams.get(hypervisor,
                                                                 {}))
        result.Raise("Failed to schedule the reboot")
        return result.payload


class LUOobCommand(NoHooksLU):
    """Run an out-of-band command (power, health) for nodes.

    The result has one entry per node: [(RS_NORMAL, name), (status,
    data)]; nodes without an OOB program get RS_UNAVAIL.
    """
    REQ_BGL = False

    def ExpandNames(self):
        if self.op.node_names:
            self.op.node_uuids = [ExpandNodeUuid(self.cfg, name)
                                  for name in self.op.node_names]
            self.needed_locks = {locking.LEVEL_NODE: list(self.op.node_uuids)}
        else:
            self.needed_locks = {locking.LEVEL_NODE: locking.ALL_SET}

    def CheckPrereq(self):
        cfg = self.cfg
        master = cfg.GetMasterNodeInfo()
        command = self.op.command
        if self.op.node_names:
            uuids = list(self.op.node_uuids)
            if command in _OOB_SKIP_MASTER and master.uuid in uuids:
                program = SupportsOob(cfg, master)
                if program:
                    extra = ("run '%s %s %s' if you want to operate on the"
                             " master regardless" % (program, command,
                                                     master.name))
                else:
                    extra = "it does not support out-of-band operations"
                raise errors.OpPrereqError("Operating on the master node %s is"
                                           " not allowed for %s; %s" %
                                           (master.name, command, extra),
                                           errors.ECODE_INVAL)
        else:
            uuids = [u for u in cfg.GetNodeList()
                     if not (command in _OOB_SKIP_MASTER and
                             u == master.uuid)]
        self.nodes = []
        for uuid in uuids:
            node = cfg.GetNodeInfo(uuid)
            if node is None:
                raise errors.OpPrereqError("Node %s not found" % uuid,
                                           errors.ECODE_NOENT)
            if (not self.op.ignore_status and
                    command == constants.OOB_POWER_OFF and not node.offline):
                raise errors.OpPrereqError("Cannot power off node %s because"
                                           " it is not marked offline" %
                                           node.name, errors.ECODE_STATE)
            self.nodes.append(node)

    def _CheckPayload(self, payload: Any) -> None:
        command = self.op.command
        problems = []
        if command == constants.OOB_HEALTH:
            if not isinstance(payload, list):
                problems.append("command 'health' is expected to return a list"
                                " but got %s" % type(payload).__name__)
            else:
                for item, status in payload:
                    if status not in OOB_STATUSES:
                        problems.append("health item '%s' has invalid status"
                                        " '%s'" % (item, status))
        elif command == constants.OOB_POWER_STATUS:
            if not isinstance(payload, dict):
                problems.append("power-status is expected to return a dict"
                                " but got %s" % type(payload).__name__)
        elif payload is not None:
            problems.append("%s is expected to not return payload but got"
                            " '%s'" % (command, payload))
        if problems:
            raise errors.OpExecError("Check of out-of-band payload failed due"
                                     " to %s" % utils_text.CommaJoin(problems))

    def Exec(self, feedback_fn):
        master_uuid = self.cfg.GetMasterNode()
        command = self.op.command
        output = []
        nodes = sorted(self.nodes, key=lambda n: NiceSortKey(n.name))
        for idx, node in enumerate(nodes):
            entry: List[Any] = [(constants.RS_NORMAL, node.name)]
            output.append(entry)
            program = SupportsOob(self.cfg, node)
            if not program:
                entry.append((constants.RS_UNAVAIL, None))
                continue
            logging.info("Executing out-of-band command '%s' using '%s' on"
                         " %s", command, program, node.name)
            result = self.rpc.call_run_oob(master_uuid, program, command,
                                           node.name, self.op.timeout)
            if result.fail_msg:
                self.LogWarning("Out-of-band RPC failed on node '%s': %s",
                                node.name, result.fail_msg)
                entry.append((constants.RS_NODATA, None))
                continue
            try:
                self._CheckPayload(result.payload)
            except errors.OpExecError as err:
                self.LogWarning("Payload returned by node '%s' is not valid:"
                                " %s", node.name, err)
                entry.append((constants.RS_NODATA, None))
                continue
            if command == constants.OOB_HEALTH:
                for item, status in result.payload:
                    if status in (OOB_STATUS_WARNING, OOB_STATUS_CRITICAL):
                        self.LogWarning("Item '%s' on node '%s' has status"
                                        " '%s'", item, node.name, status)
            elif command in (constants.OOB_POWER_ON, constants.OOB_POWER_OFF):
                node.powered = command == constants.OOB_POWER_ON
                self.cfg.Update(node, feedback_fn)
            elif command == constants.OOB_POWER_STATUS:
                powered = result.payload.get(OOB_POWER_STATUS_POWERED)
                if powered != node.powered:
                    logging.warning("Recorded power state (%s) of node '%s'"
                                    " does not match actual power state (%s)",
                                    node.powered, node.name, powered)
            entry.append((constants.RS_NORMAL, result.payload))
            if command == constants.OOB_POWER_ON and idx < len(nodes) - 1:
                time.sleep(self.op.power_delay)
        return output
