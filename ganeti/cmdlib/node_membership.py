"""Logical units for cluster membership: adding and removing nodes.

``gnt-node add`` first sets up the node daemon on the new machine over SSH
(ganeti.tools.node_daemon_setup); LUNodeAdd then checks the node (name,
addresses, protocol version, SSH reachability from the master), adds it to
the configuration (which distributes config.data and ssconf), registers its
client certificate and copies the cluster's other files to it.
LUNodeRemove takes a node out and asks it to leave the cluster.
"""

import logging
import os
from typing import Any, Dict, Iterable, List, Optional

from ganeti import constants
from ganeti import defaults
from ganeti import errors
from ganeti import netutils
from ganeti import objects
from ganeti import pathutils
from ganeti import serializer
from ganeti.cmdlib.base import (ExpandNodeUuidAndName, InstanceNodes,
                                LogicalUnit)
from ganeti.cmdlib.group import ND_PARAMETER_TYPES
from ganeti.hooksmaster import HOOKS_PHASE_POST

# node_crypto_tokens request for a node's client certificate digest
# (type, action, options), upstream's values.
_CRYPTO_SSL_DIGEST_GET = ("ssl", "get", None)

# Static hypervisor and disk state parameters a node may be given.
HVST_PARAMETERS = frozenset(["mem_total", "mem_node", "mem_hv", "mem_inst",
                             "cpu_total", "cpu_node"])
DSS_PARAMETERS = frozenset(["disk_total", "disk_reserved", "disk_overhead"])
# Node parameters that only exist cluster- or group-wide.
NDC_GLOBALS = frozenset(["exclusive_storage"])


# ---------------------------------------------------------------- checks

def _ForceType(key: str, value: Any, kind: type) -> Any:
    """value converted to kind (as "key=value" strings come from the
    command line); TypeEnforcementError if it can't be."""
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("true", "yes", "1"):
                return True
            if text in ("false", "no", "0", ""):
                return False
            raise ValueError(value)
        if kind is int:
            if isinstance(value, bool):
                raise ValueError(value)
            return int(value)
        if kind is float:
            return serializer.JsonNumber(value)
        if value is None:
            return ""
        return str(value)
    except (TypeError, ValueError, OverflowError):
        raise errors.TypeEnforcementError("'%s' (value %r) is not a valid %s"
                                          % (key, value, kind.__name__))


def CheckNdParams(ndparams: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """Node-level ndparams, typed; unknown or global parameters are refused."""
    result = {}
    for key, value in (ndparams or {}).items():
        if key not in defaults.NDC_DEFAULTS:
            raise errors.TypeEnforcementError("Unknown parameter '%s'" % key)
        result[key] = _ForceType(key, value, ND_PARAMETER_TYPES[key])
    used_globals = sorted(NDC_GLOBALS.intersection(result))
    if used_globals:
        raise errors.OpPrereqError("The following node parameters are global"
                                   " and cannot be customized at node level,"
                                   " please modify them at cluster or group"
                                   " level: %s" % ", ".join(used_globals),
                                   errors.ECODE_INVAL)
    return result


def _CheckState(state: Dict[str, Any], valid_kinds: Iterable[str],
                valid_params: Iterable[str], what: str
                ) -> Dict[str, Dict[str, Any]]:
    """{kind: {param: number}} for --hypervisor-state / --disk-state."""
    valid_kinds = set(valid_kinds)
    valid_params = set(valid_params)
    result: Dict[str, Dict[str, Any]] = {}
    for kind, params in (state or {}).items():
        if kind not in valid_kinds:
            raise errors.OpPrereqError("Invalid %s '%s', valid ones are: %s"
                                       % (what, kind,
                                          ", ".join(sorted(valid_kinds))),
                                       errors.ECODE_INVAL)
        if not isinstance(params, dict):
            raise errors.OpPrereqError("Invalid %s parameters for '%s'"
                                       % (what, kind), errors.ECODE_INVAL)
        checked = {}
        for key, value in params.items():
            if key not in valid_params:
                raise errors.TypeEnforcementError("Unknown parameter '%s'"
                                                  % key)
            checked[key] = _ForceType(key, value, int)
        result[kind] = checked
    return result


def CheckHvState(hv_state: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    return _CheckState(hv_state, constants.HYPER_TYPES, HVST_PARAMETERS,
                       "hypervisor")


def CheckDiskState(disk_state: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    """disk_state is {storage type: {name: {param: value}}}."""
    result: Dict[str, Dict[str, Any]] = {}
    for kind, units in (disk_state or {}).items():
        if kind not in constants.STORAGE_TYPES:
            raise errors.OpPrereqError("Invalid storage type '%s', valid ones"
                                       " are: %s" % (kind, ", ".join(
                                           sorted(constants.STORAGE_TYPES))),
                                       errors.ECODE_INVAL)
        if not isinstance(units, dict):
            raise errors.OpPrereqError("Invalid disk state for '%s'" % kind,
                                       errors.ECODE_INVAL)
        result[kind] = _CheckState(units, units.keys(), DSS_PARAMETERS,
                                   "storage unit")
    return result


# ---------------------------------------------------------------- helpers

def CandidateCounts(cfg, exceptions: Iterable[str]):
    """(current candidates, master-capable usable nodes, pool size)."""
    exceptions = set(exceptions or [])
    nodes = [n for n in cfg.GetAllNodesInfo().values()
             if n.uuid not in exceptions]
    mc_now = sum(1 for n in nodes if n.master_candidate)
    capable = sum(1 for n in nodes
                  if n.master_capable and not n.offline and not n.drained)
    return mc_now, capable, cfg.GetClusterInfo().candidate_pool_size


def DecideSelfPromotion(cfg, exceptions: Iterable[str] = ()) -> bool:
    """Whether a node being added should become a master candidate."""
    mc_now, capable, pool = CandidateCounts(cfg, exceptions)
    return mc_now < min(capable + 1, pool)


def GetClientCertDigest(rpc_runner, node: str) -> str:
    """The digest of node's client certificate (node_crypto_tokens)."""
    result = rpc_runner.call_node_crypto_tokens(node,
                                                [_CRYPTO_SSL_DIGEST_GET])
    result.Raise("Could not get the node's (%s) SSL digest" % node)
    for token_type, value in result.payload or []:
        if token_type == _CRYPTO_SSL_DIGEST_GET[0]:
            return value
    raise errors.OpExecError("Node %s did not report its SSL digest" % node)


def _EtcHostsFile() -> str:
    return getattr(pathutils, "ETC_HOSTS", pathutils.get_root() + "/etc/hosts")


def AncillaryFiles(cluster) -> List[str]:
    """The cluster files (other than config.data and ssconf) every node has,
    as far as they exist here."""
    files = [pathutils.SSH_KNOWN_HOSTS_FILE, pathutils.CONFD_HMAC_KEY,
             pathutils.CLUSTER_DOMAIN_SECRET_FILE, pathutils.RAPI_CERT_FILE,
             pathutils.SPICE_CERT_FILE, pathutils.SPICE_CACERT_FILE,
             pathutils.RAPI_USERS_FILE, pathutils.VNC_PASSWORD_FILE]
    if cluster.modify_etc_hosts:
        files.append(_EtcHostsFile())
    return [name for name in files if os.path.isfile(name)]


def UploadFiles(lu, nodes: List[str], files: List[str]) -> None:
    """Copy files to nodes (upload_file); failures are warnings."""
    if not nodes:
        return
    for name in files:
        results = lu.rpc.call_upload_file(nodes, name)
        for node, res in results.items():
            if res.fail_msg:
                lu.LogWarning("Copy of file %s to node %s failed: %s",
                              name, node, res.fail_msg)


def _Promote(lu, node) -> None:
    """Make node a master candidate (certificate, config, job queue)."""
    digest = GetClientCertDigest(lu.rpc, node.uuid)
    node.master_candidate = True
    lu.cfg.GetClusterInfo().candidate_certs[node.uuid] = digest
    lu.cfg.Update(node, lu.Log)
    jobqueue = getattr(lu.context, "jobqueue", None)
    if jobqueue is not None:
        jobqueue.AddNode(node.name)
    UpdateCandidateSshKey(lu, node, True)


def UpdateCandidateSshKey(lu, node, candidate: bool) -> None:
    """node became (candidate) or stopped being a master candidate: with
    modify_ssh_setup its SSH key is now authorized on every node (or
    nowhere any more).  Failures are warnings."""
    cfg = lu.cfg
    if not cfg.GetClusterInfo().modify_ssh_setup:
        return
    master = cfg.GetMasterNode()
    potential = PotentialMasterCandidates(cfg)
    if candidate:
        result = lu.rpc.call_node_ssh_key_add(
            [master], node.uuid, node.name, potential, True, False, False)
    else:
        candidates = [n.uuid for n in cfg.GetAllNodesInfo().values()
                      if n.master_candidate]
        result = lu.rpc.call_node_ssh_key_remove(
            [master], node.uuid, node.name, candidates, potential, True,
            False, False, False, False)
    answer = result[master]
    if answer.fail_msg:
        lu.LogWarning("Could not update the SSH setup of node '%s': %s",
                      node.name, answer.fail_msg)
        return
    WarnAboutFailedSshUpdates(answer.payload, lu.LogWarning)


def AdjustCandidatePool(lu, exceptions: Iterable[str]) -> List[str]:
    """Promote nodes until the candidate pool is full; names promoted."""
    exceptions = set(exceptions)
    mc_now, capable, pool = CandidateCounts(lu.cfg, exceptions)
    wanted = min(pool, capable)
    promote = sorted((n for n in lu.cfg.GetAllNodesInfo().values()
                      if n.uuid not in exceptions and not n.master_candidate
                      and n.master_capable and not n.offline
                      and not n.drained), key=lambda n: n.name)
    promote = promote[:max(0, wanted - mc_now)]
    done = []
    for node in promote:
        try:
            _Promote(lu, node)
        except errors.OpExecError as err:
            lu.LogWarning("Could not promote node %s: %s", node.name, err)
            continue
        done.append(node.name)
    if done:
        lu.LogInfo("Promoted nodes to master candidate role: %s",
                   ", ".join(done))
    if mc_now + len(done) > wanted:
        lu.LogInfo("Note: more nodes are candidates (%d) than desired (%d)",
                   mc_now + len(done), wanted)
    return done


def PotentialMasterCandidates(cfg) -> List[str]:
    """Names of the nodes that may become master candidates (they keep
    every node's public SSH key)."""
    return sorted(n.name for n in cfg.GetAllNodesInfo().values()
                  if n.master_capable)


def WarnAboutFailedSshUpdates(failures: Any, warn_fn) -> None:
    """Warn about each [node, error] of an SSH key RPC's answer."""
    for node, msg in failures or []:
        warn_fn("Error when updating the SSH setup of node '%s': %s",
                node, msg)


class _StaticResolver:
    """RPC resolver for nodes not (or differently) in the configuration."""

    def __init__(self, addresses: Dict[str, str]) -> None:
        self.addresses = addresses

    def __call__(self, names):
        return [(name, self.addresses.get(name), False) for name in names]


# ---------------------------------------------------------------- LUs

class LUNodeAdd(LogicalUnit):
    """Add a node to the cluster (or re-add one that is in it)."""
    HPATH = "node-add"
    HTYPE = constants.HTYPE_NODE
    REQ_BGL = True
    _NFLAGS = ("master_capable", "vm_capable")

    def CheckArguments(self):
        family = self.cfg.GetClusterInfo().primary_ip_family or 2
        self.hostname = netutils.Hostname(self.op.node_name, family)
        self.op.node_name = self.hostname.name
        if self.op.readd and \
                self.op.node_name == self.cfg.GetMasterNodeName():
            raise errors.OpPrereqError("Cannot readd the master node",
                                       errors.ECODE_STATE)
        if self.op.readd and self.op.group:
            raise errors.OpPrereqError("Cannot pass a node group when a node"
                                       " is being readded", errors.ECODE_INVAL)

    def ExpandNames(self):
        # The exclusive cluster lock (REQ_BGL) covers everything.
        self.needed_locks = {}

    def BuildHooksEnv(self):
        return {
            "OP_TARGET": self.op.node_name,
            "NODE_NAME": self.op.node_name,
            "NODE_PIP": self.op.primary_ip,
            "NODE_SIP": self.op.secondary_ip,
            "MASTER_CAPABLE": str(self.op.master_capable),
            "VM_CAPABLE": str(self.op.vm_capable),
        }

    def BuildHooksNodes(self):
        nodes = self.cfg.GetNodeList()
        existing = self.cfg.GetNodeInfoByName(self.op.node_name)
        if existing is not None:
            nodes = [uuid for uuid in nodes if uuid != existing.uuid]
        return (nodes, list(nodes))

    def PreparePostHookNodes(self, post_hook_nodes):
        return list(post_hook_nodes) + [self.new_node.uuid]

    def _NodeRunner(self):
        """RPC runner reaching the new node at its (new) primary address."""
        from ganeti import rpc  # pylint: disable=import-outside-toplevel
        return rpc.RpcRunner(_StaticResolver({self.op.node_name:
                                              self.op.primary_ip}))

    def _TcpPing(self, address: str, source: Optional[str] = None) -> bool:
        return netutils.TcpPing(address, constants.DEFAULT_NODED_PORT,
                                timeout=10.0, source=source)

    def CheckPrereq(self):
        cfg = self.cfg
        node_name = self.hostname.name
        primary_ip = self.op.primary_ip = self.hostname.ip
        cluster = cfg.GetClusterInfo()
        if self.op.secondary_ip is None:
            if cluster.primary_ip_family == 10:
                raise errors.OpPrereqError("When using a IPv6 primary address,"
                                           " a valid IPv4 address must be"
                                           " given as secondary",
                                           errors.ECODE_INVAL)
            self.op.secondary_ip = primary_ip
        secondary_ip = self.op.secondary_ip
        if not netutils.IsValidIP4(secondary_ip):
            raise errors.OpPrereqError("Secondary IP (%s) needs to be a valid"
                                       " IPv4 address" % secondary_ip,
                                       errors.ECODE_INVAL)

        existing = cfg.GetNodeInfoByName(node_name)
        if not self.op.readd and existing is not None:
            raise errors.OpPrereqError("Node %s is already in the"
                                       " configuration" % node_name,
                                       errors.ECODE_EXISTS)
        if self.op.readd and existing is None:
            raise errors.OpPrereqError("Node %s is not in the configuration"
                                       % node_name, errors.ECODE_NOENT)

        self.changed_primary_ip = False
        for other in cfg.GetAllNodesInfo().values():
            if self.op.readd and other.name == node_name:
                if other.secondary_ip != secondary_ip:
                    raise errors.OpPrereqError("Readded node doesn't have the"
                                               " same IP address configuration"
                                               " as before",
                                               errors.ECODE_INVAL)
                if other.primary_ip != primary_ip:
                    self.changed_primary_ip = True
                continue
            if {primary_ip, secondary_ip} & {other.primary_ip,
                                             other.secondary_ip}:
                raise errors.OpPrereqError("New node ip address(es) conflict"
                                           " with existing node %s"
                                           % other.name,
                                           errors.ECODE_NOTUNIQUE)

        # master_capable/vm_capable: kept on readd, True for new nodes
        for attr in self._NFLAGS:
            if getattr(self.op, attr) is None:
                setattr(self.op, attr, getattr(existing, attr)
                        if self.op.readd else True)
        if self.op.readd and not self.op.vm_capable:
            if any(existing.uuid in InstanceNodes(cfg, inst)
                   for inst in cfg.GetAllInstancesInfo().values()):
                raise errors.OpPrereqError("Node %s being re-added with"
                                           " vm_capable flag set to false,"
                                           " but it already holds instances"
                                           % node_name, errors.ECODE_STATE)

        # single- versus dual-homed must match the master
        master = cfg.GetMasterNodeInfo()
        master_singlehomed = master.secondary_ip == master.primary_ip
        newbie_singlehomed = secondary_ip == primary_ip
        if master_singlehomed != newbie_singlehomed:
            if master_singlehomed:
                raise errors.OpPrereqError("The master has no secondary ip but"
                                           " the new node has one",
                                           errors.ECODE_INVAL)
            raise errors.OpPrereqError("The master has a secondary ip but the"
                                       " new node doesn't have one",
                                       errors.ECODE_INVAL)

        if not self._TcpPing(primary_ip):
            raise errors.OpPrereqError("Node not reachable by ping",
                                       errors.ECODE_ENVIRON)
        if not newbie_singlehomed and \
                not self._TcpPing(secondary_ip, source=master.secondary_ip):
            raise errors.OpPrereqError("Node secondary ip not reachable by TCP"
                                       " based ping to node daemon port",
                                       errors.ECODE_ENVIRON)

        exceptions = [existing.uuid] if self.op.readd else []
        self.master_candidate = bool(self.op.master_capable) and \
            DecideSelfPromotion(cfg, exceptions)

        if self.op.readd:
            self.new_node = existing
        else:
            group = cfg.LookupNodeGroup(self.op.group)
            self.new_node = objects.Node(
                name=node_name, primary_ip=primary_ip,
                secondary_ip=secondary_ip,
                master_candidate=self.master_candidate, offline=False,
                drained=False, group=group, ndparams={}, tags=[])

        self.new_ndparams = CheckNdParams(self.op.ndparams)
        self.new_hv_state = CheckHvState(self.op.hv_state) \
            if self.op.hv_state else None
        self.new_disk_state = CheckDiskState(self.op.disk_state) \
            if self.op.disk_state else None

        result = self._NodeRunner().call_version([node_name])[node_name]
        result.Raise("Can't get version information from node %s"
                     % node_name, prereq=True, ecode=errors.ECODE_ENVIRON)
        if result.payload != constants.PROTOCOL_VERSION:
            raise errors.OpPrereqError("Version mismatch master version %s,"
                                       " node version %s" %
                                       (constants.PROTOCOL_VERSION,
                                        result.payload),
                                       errors.ECODE_ENVIRON)
        logging.info("Communication to node %s fine, sw version %s match",
                     node_name, result.payload)

    def _CheckSecondaryIp(self, runner) -> None:
        sip = self.op.secondary_ip
        result = runner.call_node_has_ip_address(self.op.node_name, sip)
        result.Raise("Failure checking secondary ip on node %s"
                     % self.op.node_name, ecode=errors.ECODE_ENVIRON)
        if not result.payload:
            raise errors.OpExecError("Node claims it doesn't have the"
                                     " secondary ip you gave (%s), please fix"
                                     " and re-run this command" % sip)

    def _VerifySshFromMaster(self, feedback_fn) -> None:
        master_uuid = self.cfg.GetMasterNode()
        master_name = self.cfg.GetMasterNodeName()
        result = self.rpc.call_node_verify(
            [master_uuid], {constants.NV_NODELIST:
                            ([self.op.node_name], {}, [])},
            self.cfg.GetClusterName(), self.cfg.GetClusterInfo().hvparams)
        res = result[master_uuid]
        res.Raise("Cannot communicate with node %s" % master_name)
        failed = (res.payload or {}).get(constants.NV_NODELIST) or {}
        for node, msg in sorted(failed.items()):
            feedback_fn("ssh/hostname verification failed (checking from %s):"
                        " %s" % (master_name, msg))
        if failed:
            raise errors.OpExecError("ssh/hostname verification failed")

    def Exec(self, feedback_fn):
        node = self.new_node
        cfg = self.cfg
        cluster = cfg.GetClusterInfo()
        runner = self._NodeRunner()

        # Checks talking to the node; nothing is changed before they pass.
        if self.op.secondary_ip != self.op.primary_ip:
            self._CheckSecondaryIp(runner)
        self._VerifySshFromMaster(feedback_fn)
        digest = GetClientCertDigest(runner, self.op.node_name)
        if cluster.modify_etc_hosts:
            result = self.rpc.call_etc_hosts_modify(
                cfg.GetMasterNode(), constants.ETC_HOSTS_ADD,
                self.hostname.name, self.hostname.ip)
            result.Raise("Can't update hosts file with new host data")

        # The node's new state (for a re-add: the config's own object).
        node.powered = True
        if self.op.readd:
            node.offline = False
            node.drained = False
            self.LogInfo("Readding a node, the offline/drained flags were"
                         " reset")
            node.master_candidate = self.master_candidate
            if self.changed_primary_ip:
                node.primary_ip = self.op.primary_ip
        for attr in self._NFLAGS:
            setattr(node, attr, getattr(self.op, attr))
        if node.master_candidate:
            self.LogInfo("Node will be a master candidate")
        node.ndparams = self.new_ndparams
        if self.new_hv_state is not None:
            node.hv_state_static = self.new_hv_state
        if self.new_disk_state is not None:
            node.disk_state_static = self.new_disk_state

        # One configuration write: the node and its certificate together.
        if node.uuid is None:
            node.uuid = objects.new_uuid()
        certs = cluster.candidate_certs
        if node.master_candidate:
            certs[node.uuid] = digest
        else:
            certs.pop(node.uuid, None)
        try:
            if self.op.readd:
                cfg.Update(node, feedback_fn)
            else:
                self.context.AddNode(node)
        except Exception:
            if not self.op.readd:
                certs.pop(node.uuid, None)
            raise

        if node.master_candidate:
            jobqueue = getattr(self.context, "jobqueue", None)
            if jobqueue is not None:
                jobqueue.AddNode(node.name)
        elif self.op.readd:
            result = self.rpc.call_node_demote_from_mc(node.uuid)
            result.Warn("Node failed to demote itself from master candidate"
                        " status", self.LogWarning)

        files = AncillaryFiles(cluster)
        UploadFiles(self, [node.name], files)
        hosts = _EtcHostsFile()
        if hosts in files:
            others = [n.name for n in cfg.GetAllNodesInfo().values()
                      if not n.offline and n.uuid not in
                      (node.uuid, cfg.GetMasterNode())]
            UploadFiles(self, others, [hosts])
        if cluster.modify_ssh_setup:
            self._AddSshKey(node)
        return None

    def _AddSshKey(self, node) -> None:
        """Spread the new node's SSH key (gnt-node add listed it under the
        node's name in the master's public key file)."""
        master = self.cfg.GetMasterNode()
        potential = PotentialMasterCandidates(self.cfg)
        is_potential = node.name in potential
        result = self.rpc.call_node_ssh_key_add(
            [master], node.uuid, node.name, potential,
            node.master_candidate, is_potential, is_potential)
        result[master].Raise("Could not update the SSH setup of node '%s'"
                             " after adding it." % node.name)
        WarnAboutFailedSshUpdates(result[master].payload, self.LogWarning)


class LUNodeRemove(LogicalUnit):
    """Remove a node (without instances) from the cluster."""
    HPATH = "node-remove"
    HTYPE = constants.HTYPE_NODE
    REQ_BGL = True

    def ExpandNames(self):
        (self.op.node_uuid, self.op.node_name) = ExpandNodeUuidAndName(
            self.cfg, self.op.node_uuid, self.op.node_name)
        # The exclusive cluster lock (REQ_BGL) covers everything.
        self.needed_locks = {}

    def BuildHooksEnv(self):
        return {"OP_TARGET": self.op.node_name,
                "NODE_NAME": self.op.node_name}

    def BuildHooksNodes(self):
        nodes = [uuid for uuid in self.cfg.GetNodeList()
                 if uuid != self.op.node_uuid]
        return (nodes, list(nodes))

    def CheckPrereq(self):
        node = self.cfg.GetNodeInfo(self.op.node_uuid)
        if node is None:
            raise errors.OpPrereqError("Node '%s' not known"
                                       % self.op.node_name, errors.ECODE_NOENT)
        if node.uuid == self.cfg.GetMasterNode():
            raise errors.OpPrereqError("Node is the master node, failover to"
                                       " another node is required",
                                       errors.ECODE_INVAL)
        for inst in self.cfg.GetAllInstancesInfo().values():
            if node.uuid in InstanceNodes(self.cfg, inst):
                raise errors.OpPrereqError("Instance %s is still running on"
                                           " the node, please remove first"
                                           % inst.name, errors.ECODE_INVAL)
        self.op.node_name = node.name
        self.node = node

    def _RemoveSshKey(self, node) -> None:
        """Take the node's SSH key back from the others, and the
        candidates' keys (those promoted in its place too) from it; the
        node is out of the configuration, not yet out of the cluster."""
        cfg = self.cfg
        master = cfg.GetMasterNode()
        potential = PotentialMasterCandidates(cfg)
        candidates = [n.uuid for n in cfg.GetAllNodesInfo().values()
                      if n.master_candidate]
        result = self.rpc.call_node_ssh_key_remove(
            [master], node.uuid, node.name, candidates, potential,
            node.master_candidate, node.master_capable, True, True, False)
        result[master].Raise("Could not remove the SSH key of node '%s'"
                             " (UUID: %s)." % (node.name, node.uuid))
        WarnAboutFailedSshUpdates(result[master].payload, self.LogWarning)

    def _RunPostHookOn(self, node_name: str) -> None:
        """The post hooks on the node leaving (it is out of the config)."""
        build = getattr(self.proc, "BuildHooksManager", None)
        if build is None:
            return
        try:
            build(self).RunPhase(HOOKS_PHASE_POST, [node_name])
        except errors.GenericError as err:
            self.LogWarning("Post hooks on %s failed: %s", node_name, err)

    def Exec(self, feedback_fn):
        node = self.node
        cfg = self.cfg
        cluster = cfg.GetClusterInfo()
        logging.info("Stopping the node daemon and removing configs from"
                     " node %s", node.name)

        if node.master_candidate:
            AdjustCandidatePool(self, [node.uuid])
        # Written together with the node's removal below.
        cluster.candidate_certs.pop(node.uuid, None)
        self.context.RemoveNode(node.uuid)
        if cluster.modify_ssh_setup:
            self._RemoveSshKey(node)

        self._RunPostHookOn(node.name)
        result = self.rpc.call_node_leave_cluster(node.name,
                                                  cluster.modify_ssh_setup)
        if result.fail_msg:
            self.LogWarning("Errors encountered on the remote node while"
                            " leaving the cluster: %s", result.fail_msg)

        if cluster.modify_etc_hosts:
            master = cfg.GetMasterNode()
            result = self.rpc.call_etc_hosts_modify(
                master, constants.ETC_HOSTS_REMOVE, node.name, None)
            result.Raise("Can't update hosts file with new host data")
            others = [n.name for n in cfg.GetAllNodesInfo().values()
                      if not n.offline and n.uuid != master]
            UploadFiles(self, others, [_EtcHostsFile()])
        return None
