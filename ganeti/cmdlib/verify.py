"""Cluster verification: OpClusterVerify splits into one config job and one
job per node group; each reports problems as upstream does
("  - ERROR: node NAME: message", or with --error-codes
"  - ERROR:ECODE:node:NAME:message")."""

import time

from ganeti import constants
from ganeti import locking
from ganeti import opcodes
from ganeti import pathutils
from ganeti.cmdlib.base import LogicalUnit, NoHooksLU, ResultWithJobs

# Allowed clock skew between nodes (upstream: NODE_MAX_CLOCK_SKEW).
NODE_MAX_CLOCK_SKEW = 150.0

# Files every master candidate must hold identical copies of.
_CANDIDATE_FILES = [
    lambda: pathutils.CLUSTER_CONF_FILE,
]
# Files every node must hold identical copies of.
_ALL_NODE_FILES = [
    lambda: pathutils.NODED_CERT_FILE,
    lambda: pathutils.RAPI_CERT_FILE,
    lambda: pathutils.CONFD_HMAC_KEY,
    lambda: pathutils.CLUSTER_DOMAIN_SECRET_FILE,
]


class _Reporter:
    """Collects and prints verify errors in upstream's format."""

    def __init__(self, lu):
        self.lu = lu
        self.bad = False
        self.error_codes = lu.op.error_codes
        self.ignored = set(lu.op.ignore_errors or [])

    def __call__(self, ecode: str, itype: str, item: str, msg: str,
                 warning: bool = False) -> None:
        ltype = "WARNING" if (warning or ecode in self.ignored) else "ERROR"
        if self.error_codes:
            line = "%s:%s:%s:%s:%s" % (ltype, ecode, itype, item, msg)
        else:
            line = "%s: %s %s: %s" % (ltype, itype, item, msg)
        self.lu.feedback_fn("  - " + line)
        if ltype == "ERROR":
            self.bad = True


class LUClusterVerify(NoHooksLU):
    """Submits the config check and one group check per node group."""
    REQ_BGL = False

    def ExpandNames(self):
        self.needed_locks = {}

    def Exec(self, feedback_fn):
        op = self.op
        common = dict(debug_simulate_errors=op.debug_simulate_errors,
                      error_codes=op.error_codes,
                      ignore_errors=op.ignore_errors, verbose=op.verbose)
        jobs = []
        if op.group_name is None:
            jobs.append([opcodes.OpClusterVerifyConfig(**common)])
            groups = sorted(self.cfg.GetAllNodeGroupsInfo().values(),
                            key=lambda g: g.name)
        else:
            uuid = self.cfg.LookupNodeGroup(op.group_name)
            groups = [self.cfg.GetNodeGroup(uuid)]
        for group in groups:
            jobs.append([opcodes.OpClusterVerifyGroup(
                group_name=group.uuid, skip_checks=op.skip_checks,
                verify_clutter=op.verify_clutter, **common)])
        return ResultWithJobs(jobs)


class LUClusterVerifyConfig(NoHooksLU):
    """Checks of the configuration as a whole."""
    REQ_BGL = False

    def ExpandNames(self):
        self.needed_locks = {}

    def Exec(self, feedback_fn):
        self.feedback_fn = feedback_fn
        report = _Reporter(self)
        cfg = self.cfg
        feedback_fn("* Verifying cluster config")
        cluster = cfg.GetClusterInfo()
        if cfg.GetMasterNodeInfo() is None:
            report("ECLUSTERCFG", "cluster", cluster.cluster_name,
                   "master node not in the configuration")
        feedback_fn("* Verifying cluster certificate files")
        for path in (pathutils.NODED_CERT_FILE, pathutils.RAPI_CERT_FILE):
            if not _cert_ok(path):
                report("ECLUSTERCERT", "cluster", cluster.cluster_name,
                       "Certificate file %s is missing or invalid" % path)
        feedback_fn("* Verifying hypervisor parameters")
        for hv in cluster.enabled_hypervisors:
            if hv not in cluster.hvparams:
                report("ECLUSTERCFG", "cluster", cluster.cluster_name,
                       "hypervisor %s has no parameters" % hv)
        feedback_fn("* Verifying all nodes belong to an existing group")
        groups = cfg.GetAllNodeGroupsInfo()
        dangling = sorted(n.name for n in cfg.GetAllNodesInfo().values()
                          if n.group not in groups)
        if dangling:
            report("ECLUSTERDANGLINGNODES", "cluster", cluster.cluster_name,
                   "the following nodes (and their instances) belong to a non"
                   " existing group: %s" % ", ".join(dangling))
        return not report.bad


def _cert_ok(path: str) -> bool:
    try:
        with open(path) as fh:
            return "BEGIN CERTIFICATE" in fh.read()
    except OSError:
        return False


class LUClusterVerifyGroup(LogicalUnit):
    """Checks of the nodes of one group, through node_verify."""
    HPATH = "cluster-verify"
    HTYPE = constants.HTYPE_CLUSTER
    REQ_BGL = False

    def ExpandNames(self):
        self.group_uuid = self.cfg.LookupNodeGroup(self.op.group_name)
        self.needed_locks = {locking.LEVEL_NODE: locking.ALL_SET}
        self.share_locks = {locking.LEVEL_NODE: 1}

    def BuildHooksEnv(self):
        env = {"CLUSTER_TAGS": " ".join(self.cfg.GetClusterInfo().tags or [])}
        for node in self._nodes():
            env["NODE_TAGS_%s" % node.name] = " ".join(node.tags or [])
        return env

    def BuildHooksNodes(self):
        return ([], [n.uuid for n in self._nodes()])

    def _nodes(self):
        return sorted((n for n in self.cfg.GetAllNodesInfo().values()
                       if n.group == self.group_uuid), key=lambda n: n.name)

    def Exec(self, feedback_fn):
        self.feedback_fn = feedback_fn
        report = _Reporter(self)
        cfg = self.cfg
        cluster = cfg.GetClusterInfo()
        nodes = self._nodes()
        online = [n for n in nodes if not n.offline]
        all_nodes = sorted(cfg.GetAllNodesInfo().values(), key=lambda n: n.name)
        feedback_fn("* Verifying group '%s'" %
                    cfg.GetNodeGroup(self.group_uuid).name)
        feedback_fn("* Gathering data (%d nodes)" % len(nodes))
        files = sorted(set(f() for f in _ALL_NODE_FILES + _CANDIDATE_FILES))
        checks = {
            constants.NV_VERSION: None,
            constants.NV_HOSTNAME: None,
            constants.NV_FILELIST: files,
            constants.NV_TIME: None,
            constants.NV_NODELIST: {"nodes": [n.name for n in all_nodes
                                              if not n.offline]},
        }
        feedback_fn("* Gathering information about nodes (%d nodes)" %
                    len(nodes))
        start = time.time()
        results = self.rpc.call_node_verify(
            [n.name for n in online], checks, cluster.cluster_name,
            cluster.hvparams)
        end = time.time()
        feedback_fn("* Gathering disk information (%d nodes)" % len(nodes))

        feedback_fn("* Verifying configuration file consistency")
        sums = {}
        good = {}
        for node in online:
            res = results.get(node.name)
            if res is None or res.fail_msg or not isinstance(res.payload, dict):
                continue
            good[node.name] = res.payload
            for path, digest in (res.payload.get(constants.NV_FILELIST) or {}).items():
                sums.setdefault(path, {}).setdefault(digest, []).append(node.name)
        for path in files:
            expected = ([n.name for n in online if n.master_candidate]
                        if path == pathutils.CLUSTER_CONF_FILE
                        else [n.name for n in online])
            have = sums.get(path, {})
            holders = set(sum(have.values(), []))
            missing = sorted(set(expected) & set(good) - holders)
            if missing:
                report("ECLUSTERFILECHECK", "cluster", cluster.cluster_name,
                       "File %s is missing from node(s) %s" %
                       (path, ", ".join(missing)))
            if len(have) > 1:
                variants = ", ".join("%s (%d nodes)" % (d[:8], len(h))
                                     for d, h in sorted(have.items()))
                report("ECLUSTERFILECHECK", "cluster", cluster.cluster_name,
                       "File %s found with %d different checksums (%s)" %
                       (path, len(have), variants))

        feedback_fn("* Verifying node status")
        for node in nodes:
            if node.offline:
                continue
            res = results.get(node.name)
            if res is None or res.fail_msg:
                report("ENODERPC", "node", node.name,
                       "while contacting node: %s" %
                       (res.fail_msg if res is not None else "no answer"))
                continue
            self._verify_node(report, node, res.payload or {}, start, end)

        feedback_fn("* Verifying instance status")
        feedback_fn("* Verifying orphan volumes")
        feedback_fn("* Verifying N+1 Memory redundancy")
        feedback_fn("* Other Notes")
        offline = [n.name for n in nodes if n.offline]
        if offline:
            feedback_fn("  - NOTICE: %d offline node(s) found." % len(offline))
        feedback_fn("* Hooks Results")
        return not report.bad

    def _verify_node(self, report, node, payload, start, end):
        version = payload.get(constants.NV_VERSION)
        if not version or not isinstance(version, (list, tuple)):
            report("ENODEVERSION", "node", node.name,
                   "connection to node returned invalid data")
        elif version[0] != constants.PROTOCOL_VERSION:
            report("ENODEVERSION", "node", node.name,
                   "incompatible protocol versions: master %s, node %s" %
                   (constants.PROTOCOL_VERSION, version[0]))
        elif len(version) > 1 and version[1] != constants.RELEASE_VERSION:
            report("ENODEVERSION", "node", node.name,
                   "software version mismatch: master %s, node %s" %
                   (constants.RELEASE_VERSION, version[1]), warning=True)
        hostname = payload.get(constants.NV_HOSTNAME)
        if hostname and hostname != node.name:
            report("ENODEHV", "node", node.name,
                   "node reports hostname %s instead of %s" % (hostname, node.name))
        ntime = payload.get(constants.NV_TIME)
        try:
            ntime = ntime[0] + ntime[1] / 1e6 if isinstance(ntime, list) else float(ntime)
        except (TypeError, ValueError, IndexError):
            report("ENODETIME", "node", node.name, "Node returned invalid time")
        else:
            if ntime < start - NODE_MAX_CLOCK_SKEW:
                skew = "%.01fs" % abs(start - ntime)
            elif ntime > end + NODE_MAX_CLOCK_SKEW:
                skew = "%.01fs" % abs(ntime - end)
            else:
                skew = None
            if skew:
                report("ENODETIME", "node", node.name,
                       "Node time diverges by at least %s from master node"
                       " time" % skew)
        ssh = payload.get(constants.NV_NODELIST)
        if isinstance(ssh, dict):
            for other, msg in sorted(ssh.items()):
                report("ENODESSH", "node", node.name,
                       "ssh communication with node '%s': %s" % (other, msg))
        setup = payload.get(constants.NV_NODESETUP)
        for msg in (setup or []):
            report("ENODESETUP", "node", node.name, "node setup error: %s" % msg)


class LUClusterVerifyDisks(NoHooksLU):
    """Reports instances whose disks need activation (none without LVM/DRBD)."""
    REQ_BGL = False

    def ExpandNames(self):
        self.needed_locks = {}

    def Exec(self, feedback_fn):
        return ResultWithJobs([])

