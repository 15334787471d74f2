"""Logical units for renaming the cluster and renewing its node
certificates, plus the redistribution of the cluster-wide files.

Certificates other than the nodes' client certificates (server.pem,
rapi.pem, the confd HMAC key, the domain secret, SPICE) are replaced by the
gnt-cluster client while the daemons are stopped (ganeti.client.
gnt_cluster_ops); OpClusterRenewCrypto then records the nodes' client
certificate digests in the configuration.
"""

import logging
import os
import time
from typing import Dict, List

from ganeti import backend
from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import netutils
from ganeti import pathutils
from ganeti.cmdlib.base import LogicalUnit, NoHooksLU
from ganeti.cmdlib import verify_checks
from ganeti.cmdlib.node_membership import (PotentialMasterCandidates,
                                           WarnAboutFailedSshUpdates)
from ganeti import ssh_keys
from ganeti.utils import x509


def AncillaryFiles(cfg) -> List[str]:
    """Cluster-wide files the master pushes to every node (those existing)."""
    cluster = cfg.GetClusterInfo()
    files = [pathutils.CONFD_HMAC_KEY, pathutils.CLUSTER_DOMAIN_SECRET_FILE,
             pathutils.RAPI_CERT_FILE, pathutils.SPICE_CERT_FILE,
             pathutils.SPICE_CACERT_FILE, pathutils.RAPI_USERS_FILE,
             pathutils.SSH_KNOWN_HOSTS_FILE]
    if cluster.modify_etc_hosts:
        files.append(verify_checks.EtcHostsFile())
    return [f for f in files if os.path.isfile(f)]


def UploadFiles(lu, node_uuids: List[str], files: List[str]) -> None:
    """Upload files to nodes with upload_file; failures are warnings.

    Nodes lately found unreachable (lu.rpc.reach, see ganeti.rpc.reach)
    are skipped with one warning instead of a connection timeout per file.
    """
    reach = getattr(lu.rpc, "reach", None)
    warned = set()
    for filename in files:
        targets = node_uuids
        if reach is not None:
            targets, skipped = reach.Split(node_uuids,
                                           name_of=lu.cfg.GetNodeName)
            for node_uuid, err in sorted(skipped.items()):
                if node_uuid not in warned:
                    warned.add(node_uuid)
                    lu.LogWarning("Not copying files to unreachable node %s:"
                                  " %s", lu.cfg.GetNodeName(node_uuid), err)
        if not targets:
            continue
        results = lu.rpc.call_upload_file(targets, filename,
                                          quick_contact=True)
        for node_uuid, res in results.items():
            if res.offline:
                continue
            if res.fail_msg:
                lu.LogWarning("Copy of file %s to node %s failed: %s",
                              filename, lu.cfg.GetNodeName(node_uuid),
                              res.fail_msg)


def RedistributeAncillaryFiles(lu, files=None) -> None:
    """Push the cluster-wide files to every online node but the master."""
    cfg = lu.cfg
    master = cfg.GetMasterNode()
    nodes = [u for u in cfg.GetOnlineNodeList() if u != master]
    UploadFiles(lu, nodes, AncillaryFiles(cfg) if files is None else files)


def _RenameKnownHosts(old_name: str, new_name: str) -> bool:
    """Replace the cluster name alias in the cluster's known_hosts file."""
    filename = pathutils.SSH_KNOWN_HOSTS_FILE
    try:
        with open(filename) as handle:
            lines = handle.read().splitlines()
    except OSError:
        return False
    changed = []
    for line in lines:
        fields = line.split(" ", 1)
        if len(fields) == 2 and not line.startswith("#"):
            hosts = [new_name if h == old_name else h
                     for h in fields[0].split(",")]
            line = "%s %s" % (",".join(hosts), fields[1])
        changed.append(line)
    from ganeti.utils import io as utils_io
    utils_io.WriteFile(filename, data="\n".join(changed) + "\n", mode=0o644)
    return True


class LUClusterRename(LogicalUnit):
    """Rename the cluster (and move the master IP if the new name resolves
    to another address)."""
    HPATH = "cluster-rename"
    HTYPE = constants.HTYPE_CLUSTER

    def ExpandNames(self):
        self.needed_locks = {}

    def BuildHooksEnv(self):
        return {"OP_TARGET": self.cfg.GetClusterName(),
                "NEW_NAME": self.op.name}

    def BuildHooksNodes(self):
        return ([self.cfg.GetMasterNode()], self.cfg.GetNodeList())

    def CheckPrereq(self):
        cluster = self.cfg.GetClusterInfo()
        family = cluster.primary_ip_family or constants.IP4_FAMILY
        # An unknown name fails with ResolverError, as upstream's does.
        hostname = netutils.Hostname(self.op.name, family=family)
        new_name, new_ip = hostname.name, hostname.ip
        if new_name == cluster.cluster_name and new_ip == cluster.master_ip:
            raise errors.OpPrereqError("Neither the name nor the IP address"
                                       " of the cluster has changed",
                                       errors.ECODE_INVAL)
        if new_ip != cluster.master_ip and \
                netutils.TcpPing(new_ip, constants.DEFAULT_NODED_PORT):
            raise errors.OpPrereqError("The given cluster IP address (%s) is"
                                       " reachable on the network" % new_ip,
                                       errors.ECODE_NOTUNIQUE)
        self.new_name = new_name
        self.new_ip = new_ip
        self.op.name = new_name

    def Exec(self, feedback_fn):
        cfg = self.cfg
        cluster = cfg.GetClusterInfo()
        master = cfg.GetMasterNode()
        params = cfg.GetMasterNetworkParameters()
        ems = cluster.use_external_mip_script
        result = self.rpc.call_node_deactivate_master_ip(master, params, ems)
        result.Raise("Could not disable the master role")
        old_name = cluster.cluster_name
        try:
            cluster.cluster_name = self.new_name
            cluster.master_ip = self.new_ip
            cfg.Update(cluster, feedback_fn)
            if _RenameKnownHosts(old_name, self.new_name):
                nodes = [u for u in cfg.GetOnlineNodeList() if u != master]
                UploadFiles(self, nodes, [pathutils.SSH_KNOWN_HOSTS_FILE])
        finally:
            params = dict(params, ip=self.new_ip)
            result = self.rpc.call_node_activate_master_ip(master, params, ems)
            if result.fail_msg:
                self.LogWarning("Could not re-enable the master role on the"
                                " master, please restart manually: %s",
                                result.fail_msg)
        return self.new_name


class LUClusterRenewCrypto(NoHooksLU):
    """Record the nodes' (renewed) client certificates as the master
    candidates' certificates; renew the nodes' SSH keys (node RPC
    node_ssh_keys_renew on the master)."""
    REQ_BGL = False
    _MAX_TRIES = 5
    _RETRY_WAIT = 1.0

    def ExpandNames(self):
        self.needed_locks = {locking.LEVEL_NODE: locking.ALL_SET}
        self.share_locks = {locking.LEVEL_NODE: 1}

    def CheckPrereq(self):
        if self.op.renew_ssh_keys:
            cluster = self.cfg.GetClusterInfo()
            if not cluster.modify_ssh_setup:
                raise errors.OpPrereqError(
                    "Cannot renew SSH keys if the cluster is configured to"
                    " not modify SSH setup.", errors.ECODE_INVAL)
            self.new_key_type = self.op.ssh_key_type or cluster.ssh_key_type
            self.new_key_bits = ssh_keys.DetermineKeyBits(
                self.new_key_type, self.op.ssh_key_bits,
                cluster.ssh_key_type, cluster.ssh_key_bits)

    def _NodeDigest(self, node_uuid: str) -> str:
        request = [[backend.CRYPTO_TYPE_SSL_DIGEST, backend.CRYPTO_ACTION_GET,
                    {}]]
        last = None
        for attempt in range(self._MAX_TRIES):
            result = self.rpc.call_node_crypto_tokens(node_uuid, request)
            if not result.fail_msg:
                payload = result.payload or []
                for token_type, value in payload:
                    if token_type == backend.CRYPTO_TYPE_SSL_DIGEST:
                        return value
                last = "no SSL digest in the answer"
            else:
                last = result.fail_msg
            logging.info("Attempt %d to get the client certificate digest of"
                         " node %s failed: %s", attempt + 1,
                         self.cfg.GetNodeName(node_uuid), last)
            time.sleep(self._RETRY_WAIT)
        raise errors.OpExecError(last or "unknown error")

    def Exec(self, feedback_fn):
        if self.op.node_certificates:
            self._RenewNodeCertificates(feedback_fn)
        if self.op.renew_ssh_keys:
            self._RenewSshKeys(feedback_fn)
        return None

    def _RenewSshKeys(self, feedback_fn) -> None:
        feedback_fn("Renewing SSH keys")
        cfg = self.cfg
        cluster = cfg.GetClusterInfo()
        master = cfg.GetMasterNode()
        nodes = [n for n in cfg.GetAllNodesInfo().values() if not n.offline]
        result = self.rpc.call_node_ssh_keys_renew(
            [master], [n.uuid for n in nodes], [n.name for n in nodes],
            [n.uuid for n in nodes if n.master_candidate],
            PotentialMasterCandidates(cfg), cluster.ssh_key_type,
            self.new_key_type, self.new_key_bits)
        result[master].Raise("Could not renew the SSH keys of all nodes")
        WarnAboutFailedSshUpdates(result[master].payload, self.LogWarning)
        cluster.ssh_key_type = self.new_key_type
        cluster.ssh_key_bits = self.new_key_bits
        cfg.Update(cluster, feedback_fn)

    def _RenewNodeCertificates(self, feedback_fn) -> None:
        feedback_fn("Renewing Node SSL certificates")
        cfg = self.cfg
        cluster = cfg.GetClusterInfo()
        master = cfg.GetMasterNode()
        digests: Dict[str, str] = {
            master: x509.GetCertificateDigest(
                pathutils.NODED_CLIENT_CERT_FILE)}
        failures = {}
        for node in sorted(cfg.GetAllNodesInfo().values(),
                           key=lambda n: n.name):
            if node.uuid == master:
                continue
            if node.offline:
                logging.info("Skipping offline node %s", node.name)
                continue
            if not node.master_candidate:
                continue
            try:
                digests[node.uuid] = self._NodeDigest(node.uuid)
            except errors.OpExecError as err:
                failures[node.name] = str(err)
        if failures:
            feedback_fn("Some nodes' SSL client certificates could not be"
                        " fetched. Please make sure those nodes are reachable"
                        " and rerun the operation. The affected nodes and"
                        " their errors are:\n" +
                        "".join("Node %s: %s\n" % item
                                for item in sorted(failures.items())))
        cluster.candidate_certs = digests
        cfg.Update(cluster, feedback_fn)
