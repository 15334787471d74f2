"""Cluster verification: OpClusterVerify splits into one config job and one
job per node group; OpClusterVerifyDisks into one OpGroupVerifyDisks job per
group.  Findings are printed as upstream does ("  - ERROR: node NAME:
message", or with --error-codes "  - ERROR:ECODE:node:NAME:message"); the
checks themselves live in ganeti.cmdlib.verify_checks.
"""

import logging
import time
from typing import Any, Dict, List, Optional, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import opcodes
from ganeti import pathutils
from ganeti.cmdlib.base import LogicalUnit, NoHooksLU, ResultWithJobs
from ganeti.cmdlib import verify_checks as vc
from ganeti.cmdlib.node import SupportsOob
from ganeti.utils import x509

# Disk templates whose instances survive the loss of their primary node.
_DTS_INT_MIRROR = frozenset([constants.DT_DRBD8])
_DTS_MIRRORED = _DTS_INT_MIRROR | frozenset([
    constants.DT_DISKLESS, constants.DT_SHARED_FILE, constants.DT_BLOCK,
    constants.DT_RBD, constants.DT_EXT, constants.DT_GLUSTER])
_DTS_LVM = frozenset([constants.DT_PLAIN, constants.DT_DRBD8])

# Certificates checked by the config verification (missing optional ones,
# such as SPICE's, are fine).
_CERT_FILES = [
    ("NODED_CERT_FILE", True),
    ("RAPI_CERT_FILE", True),
    ("SPICE_CERT_FILE", False),
    ("SPICE_CACERT_FILE", False),
]


def _Reporter(lu, feedback_fn) -> vc.Reporter:
    op = lu.op
    return vc.Reporter(feedback_fn, error_codes=op.error_codes,
                       ignore_errors=op.ignore_errors or [],
                       simulate=op.debug_simulate_errors)


# ------------------------------------------------------------ config access
# Small helpers over the configuration, tolerant of the parts (instances,
# disks) other modules are still growing.

def _Instances(cfg) -> List[Any]:
    getter = getattr(cfg, "GetAllInstancesInfo", None)
    return sorted((getter() or {}).values() if getter else [],
                  key=lambda i: i.name)


def _InstanceDisks(cfg, inst) -> List[Any]:
    getter = getattr(cfg, "GetInstanceDisks", None)
    if getter is not None:
        try:
            return list(getter(inst.uuid))
        except (errors.GenericError, KeyError):
            return []
    return [d for d in (inst.disks or []) if not isinstance(d, str)]


def _InstanceSecondaries(cfg, inst) -> List[str]:
    getter = getattr(cfg, "GetInstanceSecondaryNodes", None)
    if getter is not None:
        try:
            return list(getter(inst.uuid))
        except (errors.GenericError, KeyError):
            return []
    nodes: List[str] = []
    for disk in _InstanceDisks(cfg, inst):
        for node in getattr(disk, "nodes", None) or []:
            if node != inst.primary_node and node not in nodes:
                nodes.append(node)
    return nodes


def _DiskTemplate(cfg, inst) -> str:
    getter = getattr(cfg, "GetInstanceDiskTemplate", None)
    if getter is not None:
        try:
            return getter(inst.uuid)
        except (errors.GenericError, KeyError):
            pass
    template = getattr(inst, "disk_template", None)
    if template:
        return template
    disks = _InstanceDisks(cfg, inst)
    if not disks:
        return constants.DT_DISKLESS
    return getattr(disks[0], "dev_type", None) or constants.DT_DISKLESS


def _LvmVgName(cluster) -> Optional[str]:
    """The volume group to check, when an LVM disk template is enabled."""
    if not set(cluster.enabled_disk_templates or []) & _DTS_LVM:
        return None
    return cluster.volume_group_name or None


# ---------------------------------------------------------------- the jobs

class LUClusterVerify(NoHooksLU):
    """Submits the config check and one group check per node group."""
    REQ_BGL = False

    def ExpandNames(self):
        self.needed_locks = {}

    def CheckPrereq(self):
        if self.op.group_name is not None:
            # Fails with a clear message for an unknown group.
            self.group_uuid = self.cfg.LookupNodeGroup(self.op.group_name)

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
            groups = [self.cfg.GetNodeGroup(self.group_uuid)]
        for group in groups:
            extra = {}
            if op.group_name is None:
                # Like upstream: every group job waits for the config job.
                extra["depends"] = [[-len(jobs), []]]
            jobs.append([opcodes.OpClusterVerifyGroup(
                group_name=group.uuid, skip_checks=op.skip_checks,
                verify_clutter=op.verify_clutter, **extra, **common)])
        return ResultWithJobs(jobs)


class LUClusterVerifyConfig(NoHooksLU):
    """Checks of the configuration and cluster-wide files."""
    REQ_BGL = False

    def ExpandNames(self):
        self.needed_locks = {}

    def Exec(self, feedback_fn):
        rep = _Reporter(self, feedback_fn)
        cfg = self.cfg
        cluster = cfg.GetClusterInfo()

        feedback_fn("* Verifying cluster config")
        for msg in _ConfigProblems(cfg):
            rep.ErrorIf(True, "ECLUSTERCFG", None, msg)

        feedback_fn("* Verifying cluster certificate files")
        for attr, required in _CERT_FILES:
            errcode, msg = _VerifyCertificateFile(getattr(pathutils, attr),
                                                  required)
            rep.ErrorIf(errcode, "ECLUSTERCERT", None, "%s", msg,
                        code=errcode or vc.ETYPE_ERROR)

        feedback_fn("* Verifying hypervisor parameters")
        for source, hv_name, params in vc.HvParamsToCheck(
                cluster, _Instances(cfg)):
            problem = _HvParamsProblem(hv_name, params)
            rep.ErrorIf(problem, "ECLUSTERCFG", None,
                        "hypervisor %s parameters syntax check (source %s):"
                        " %s", hv_name, source, problem)

        feedback_fn("* Verifying all nodes belong to an existing group")
        groups = cfg.GetAllNodeGroupsInfo()
        nodes = cfg.GetAllNodesInfo()
        dangling = sorted((n for n in nodes.values() if n.group not in groups),
                          key=lambda n: n.name)
        dangling_uuids = set(n.uuid for n in dangling)
        by_node: Dict[str, List[str]] = {}
        no_node = []
        for inst in _Instances(cfg):
            if inst.primary_node in dangling_uuids:
                by_node.setdefault(inst.primary_node, []).append(inst.name)
            elif inst.primary_node not in nodes:
                no_node.append(inst.name)
        pretty = ["%s (%s)" % (n.name, vc.CommaJoin(by_node.get(n.uuid, [])))
                  for n in dangling]
        rep.ErrorIf(dangling, "ECLUSTERDANGLINGNODES", None,
                    "the following nodes (and their instances) belong to a"
                    " non existing group: %s", vc.CommaJoin(pretty))
        rep.ErrorIf(no_node, "ECLUSTERDANGLINGINST", None,
                    "the following instances have a non-existing"
                    " primary-node: %s", vc.CommaJoin(no_node))
        return not rep.bad


def _ConfigProblems(cfg) -> List[str]:
    """Inconsistencies inside the configuration itself."""
    verify = getattr(cfg, "VerifyConfig", None)
    if verify is not None:
        return list(verify())
    problems = []
    cluster = cfg.GetClusterInfo()
    nodes = cfg.GetAllNodesInfo()
    if cluster.master_node not in nodes:
        problems.append("master node '%s' is not in the node list" %
                        cluster.master_node)
    elif not nodes[cluster.master_node].master_candidate:
        problems.append("master node '%s' is not a master candidate" %
                        nodes[cluster.master_node].name)
    for hv_name in cluster.enabled_hypervisors or []:
        if hv_name not in constants.HYPER_TYPES:
            problems.append("enabled hypervisor '%s' is not a valid"
                            " hypervisor" % hv_name)
    for template in cluster.enabled_disk_templates or []:
        if template not in constants.DISK_TEMPLATES:
            problems.append("enabled disk template '%s' is not valid" %
                            template)
    names: Dict[str, str] = {}
    for node in nodes.values():
        if node.name in names:
            problems.append("duplicate node name '%s'" % node.name)
        names[node.name] = node.uuid
    for inst in _Instances(cfg):
        if inst.primary_node in nodes:
            for snode in _InstanceSecondaries(cfg, inst):
                if snode not in nodes:
                    problems.append("instance '%s' has invalid secondary"
                                    " node '%s'" % (inst.name, snode))
    return problems


def _VerifyCertificateFile(filename: str, required: bool
                           ) -> Tuple[Optional[str], Optional[str]]:
    """(None, None) if fine, else (CV_ERROR or CV_WARNING, message)."""
    try:
        cert = x509.LoadCertificateFile(filename)
    except errors.X509CertError as err:
        if not required and not _Exists(filename):
            return (None, None)
        return (vc.ETYPE_ERROR, "Failed to load X509 certificate %s: %s" %
                (filename, err.args[-1]))
    errcode, msg = x509.VerifyCertificate(cert)
    if msg:
        msg = "While verifying %s: %s" % (filename, msg)
    return (errcode, msg)


def _Exists(filename: str) -> bool:
    try:
        with open(filename, "rb"):
            return True
    except OSError:
        return False


def _HvParamsProblem(hv_name: str, params: dict) -> Optional[str]:
    """The hypervisor's own syntax check of a parameter set, if it has one."""
    try:
        from ganeti import hypervisor
        cls = hypervisor.GetHypervisorClass(hv_name)
    except (ImportError, AttributeError):
        return None
    except (errors.GenericError, KeyError) as err:
        return str(err)
    check = getattr(cls, "CheckParameterSyntax", None)
    if check is None:
        return None
    try:
        check(params)
    except errors.GenericError as err:
        return str(err)
    return None


class _NodeImage:
    """What verify learnt about one node."""

    def __init__(self, node) -> None:
        self.node = node
        self.rpc_fail = False
        self.offline = bool(node.offline)
        self.mfree: Optional[int] = None
        self.instances: Optional[List[str]] = None   # running (names)
        self.volumes: Optional[dict] = None
        self.lvm_fail = False


# How many nodes of its own group each node checks by SSH. Upstream makes
# every node log in to every other node of its group, n*(n-1) SSH sessions
# (1560 on 40 nodes, minutes of CPU on the master's group); a ring of
# SSH_CHECK_PEERS successors still has every node checked by that many
# peers, and is the same as upstream up to SSH_CHECK_PEERS + 1 nodes.
SSH_CHECK_PEERS = 4


def _SshPeers(names: List[str], others: List[str]) -> Dict[str, List[str]]:
    """{node: nodes it checks by SSH}: its SSH_CHECK_PEERS successors in
    its group (sorted, wrapping round) plus one node of every other group."""
    ordered = sorted(names)
    count = min(SSH_CHECK_PEERS, len(ordered) - 1)
    peers = {}
    for idx, name in enumerate(ordered):
        ring = [ordered[(idx + k) % len(ordered)] for k in range(1, count + 1)]
        peers[name] = ring + list(others)
    return peers


class LUClusterVerifyGroup(LogicalUnit):
    """Checks of the nodes and instances of one group, through node_verify."""
    HPATH = "cluster-verify"
    HTYPE = constants.HTYPE_CLUSTER
    REQ_BGL = False

    def ExpandNames(self):
        self.group_uuid = self.cfg.LookupNodeGroup(self.op.group_name)
        self.needed_locks = {locking.LEVEL_NODE: locking.ALL_SET}
        self.share_locks = {locking.LEVEL_NODE: 1}

    def CheckPrereq(self):
        self.group = self.cfg.GetNodeGroup(self.group_uuid)
        self.all_nodes = self.cfg.GetAllNodesInfo()
        self.my_nodes = sorted((n for n in self.all_nodes.values()
                                if n.group == self.group_uuid),
                               key=lambda n: vc.NiceSortKey(n.name))
        my_uuids = set(n.uuid for n in self.my_nodes)
        self.all_instances = _Instances(self.cfg)
        self.my_instances = [i for i in self.all_instances
                             if i.primary_node in my_uuids]

    def BuildHooksEnv(self):
        env = {"CLUSTER_TAGS": " ".join(self.cfg.GetClusterInfo().tags or [])}
        for node in self.my_nodes:
            env["NODE_TAGS_%s" % node.name] = " ".join(node.tags or [])
        return env

    def BuildHooksNodes(self):
        return ([], [n.uuid for n in self.my_nodes])

    # -- data gathering ----------------------------------------------------

    def _NodeVerifyParams(self, cluster, filemap) -> Dict[str, Any]:
        master = self.cfg.GetMasterNodeInfo()
        online = [n for n in self.my_nodes if not n.offline]
        files = sorted(set(filemap[0]) | filemap[2] | filemap[3])
        # Nodes ssh to every node of their group and to one node of each
        # other group.
        others = []
        for group_uuid in sorted(self.cfg.GetAllNodeGroupsInfo()):
            if group_uuid == self.group_uuid:
                continue
            members = sorted(n.name for n in self.all_nodes.values()
                             if n.group == group_uuid and not n.offline)
            if members:
                others.append(members[0])
        names = [n.name for n in online]
        # upstream's layouts carry the master candidates' names last
        candidates = sorted(n.name for n in self.all_nodes.values()
                            if n.master_candidate and not n.offline)
        hypervisors = list(cluster.enabled_hypervisors or [])
        params: Dict[str, Any] = {
            constants.NV_FILELIST: files,
            constants.NV_NODELIST: [[], _SshPeers(names, others),
                                    candidates],
            constants.NV_HYPERVISOR: hypervisors,
            constants.NV_HVPARAMS: vc.HvParamsToCheck(cluster,
                                                      self.my_instances),
            constants.NV_NODENETTEST: [[[n.name, n.primary_ip,
                                         n.secondary_ip] for n in online],
                                       candidates],
            constants.NV_INSTANCELIST: hypervisors,
            constants.NV_VERSION: None,
            constants.NV_HVINFO: self.cfg.GetHypervisorType(),
            constants.NV_NODESETUP: None,
            constants.NV_TIME: None,
            constants.NV_MASTERIP: [master.name, cluster.master_ip,
                                    candidates],
            constants.NV_USERSCRIPTS: (
                [pathutils.EXTERNAL_MASTER_SETUP_SCRIPT]
                if cluster.use_external_mip_script else []),
            constants.NV_CLIENT_CERT: None,
        }
        if self.vg_name is not None:
            params[constants.NV_VGLIST] = None
            params[constants.NV_LVLIST] = self.vg_name
            params[constants.NV_PVLIST] = [self.vg_name]
        if self.bridges:
            params[constants.NV_BRIDGES] = list(self.bridges)
        # the distinct out-of-band programs of all nodes, in node order
        oob_paths = list(dict.fromkeys(filter(None, (
            SupportsOob(self.cfg, n) for n in self.all_nodes.values()))))
        if oob_paths:
            params[constants.NV_OOB_PATHS] = oob_paths
        templates = cluster.enabled_disk_templates or []
        if constants.DT_FILE in templates:
            params[constants.NV_FILE_STORAGE_PATH] = cluster.file_storage_dir
            params[constants.NV_FILE_DISKS] = cluster.file_storage_dir
        if constants.DT_SHARED_FILE in templates:
            params[constants.NV_SHARED_FILE_STORAGE_PATH] = \
                cluster.shared_file_storage_dir
        if constants.DT_DRBD8 in templates:
            params[constants.NV_DRBDVERSION] = None
            params[constants.NV_DRBDLIST] = None
            params[constants.NV_DRBDHELPER] = cluster.drbd_usermode_helper
        return params


    def _Bridges(self, cluster) -> List[str]:
        bridges = set()
        default = cluster.nicparams.get("default", {})
        if default.get("mode") == constants.NIC_MODE_BRIDGED:
            bridges.add(default.get("link"))
        for inst in self.my_instances:
            for nic in inst.nics or []:
                params = dict(default)
                params.update(getattr(nic, "nicparams", None) or {})
                if params.get("mode") == constants.NIC_MODE_BRIDGED:
                    bridges.add(params.get("link"))
        return sorted(b for b in bridges if b)

    # -- the checks ----------------------------------------------------------

    def Exec(self, feedback_fn):
        rep = _Reporter(self, feedback_fn)
        cfg = self.cfg
        cluster = cfg.GetClusterInfo()
        master_uuid = cfg.GetMasterNode()
        verbose = self.op.verbose
        feedback_fn("* Verifying group '%s'" % self.group.name)
        if not self.my_nodes:
            feedback_fn("* Empty node group, skipping verification")
            return True

        feedback_fn("* Gathering data (%d nodes)" % len(self.my_nodes))
        self.vg_name = _LvmVgName(cluster)
        self.bridges = self._Bridges(cluster)
        filemap = vc.ComputeAncillaryFiles(cluster,
                                           cfg.GetSsconfValues().keys())
        params = self._NodeVerifyParams(cluster, filemap)
        images = {n.uuid: _NodeImage(n) for n in self.my_nodes}
        online = [n.uuid for n in self.my_nodes if not n.offline]

        feedback_fn("* Gathering information about nodes (%d nodes)" %
                    len(self.my_nodes))
        all_hvparams = {hv: cluster.FillHV(hv)
                        for hv in cluster.enabled_hypervisors or []}
        start = time.time()
        # quick_contact: a stopped or cut node fails (and is marked
        # unreachable, so the calls below skip it) within about a second.
        nvinfo = dict(self.rpc.call_node_verify(
            online, params, cluster.cluster_name, all_hvparams,
            quick_contact=True)) if online else {}
        end = time.time()

        # File consistency is judged against the master as well, even when
        # it is in another group.
        vf_nodes = list(self.my_nodes)
        vf_info = dict(nvinfo)
        master = cfg.GetMasterNodeInfo()
        if master.uuid not in images:
            extra = self.rpc.call_node_verify(
                [master.uuid], {constants.NV_FILELIST:
                                params[constants.NV_FILELIST]},
                cluster.cluster_name, all_hvparams, quick_contact=True)
            vf_nodes.append(master)
            vf_info.update(extra)

        feedback_fn("* Gathering disk information (%d nodes)" %
                    len(self.my_nodes))
        instdisk = self._CollectDiskInfo(rep, images)

        feedback_fn("* Verifying configuration file consistency")
        vc.VerifyClientCertificates(rep, self.my_nodes, nvinfo,
                                    cluster.candidate_certs)
        vc.VerifyFiles(rep, vf_nodes, master_uuid, vf_info, filemap)

        feedback_fn("* Verifying node status")
        n_offline = n_drained = 0
        names = {n.uuid: n.name for n in self.all_nodes.values()}
        inst_by_name = {i.name: i for i in self.all_instances}
        drbd_minors = (vc.DrbdMinorsByNode(
            (i, _InstanceDisks(cfg, i)) for i in self.all_instances)
            if constants.NV_DRBDLIST in params else None)
        drbd_versions: Dict[str, str] = {}
        for node in self.my_nodes:
            img = images[node.uuid]
            if node.offline:
                if verbose:
                    feedback_fn("* Skipping offline node %s" % node.name)
                n_offline += 1
                continue
            if node.uuid == master_uuid:
                ntype = "master"
            elif node.master_candidate:
                ntype = "master candidate"
            elif node.drained:
                ntype = "drained"
                n_drained += 1
            else:
                ntype = "regular"
            if verbose:
                feedback_fn("* Verifying node %s (%s)" % (node.name, ntype))
            res = nvinfo.get(node.uuid)
            msg = res.fail_msg if res is not None else "no answer"
            rep.ErrorIf(msg, "ENODERPC", node.name,
                        "while contacting node: %s", msg)
            if msg:
                img.rpc_fail = True
                continue
            nresult = res.payload
            if not vc.VerifyNodeBasics(rep, node.name, nresult,
                                       node.vm_capable):
                img.rpc_fail = True
                continue
            vc.VerifyNodeTime(rep, node.name, nresult, start, end)
            vc.VerifyNodeNetwork(rep, node.name, nresult,
                                 node.uuid == master_uuid)
            vc.VerifyNodeUserScripts(rep, node.name, nresult)
            vc.VerifyNodeOob(rep, node, nresult)
            vc.VerifyStoragePaths(rep, node.name, nresult,
                                  cluster.enabled_disk_templates or [])
            if node.vm_capable:
                vc.VerifyNodeLVM(rep, node.name, nresult, self.vg_name)
                if self.vg_name is not None:
                    img.volumes = vc.NodeVolumes(rep, node.name, nresult)
                    img.lvm_fail = img.volumes is None
                img.instances = vc.NodeInstances(rep, node.name, nresult)
                img.mfree = vc.NodeFreeMemory(rep, node.name, nresult)
                vc.VerifyNodeBridges(rep, node.name, nresult, self.bridges)
                if drbd_minors is not None:
                    vc.VerifyNodeDrbd(rep, node.name, nresult,
                                      cluster.drbd_usermode_helper,
                                      drbd_minors.get(node.uuid, {}))
                    if nresult.get(constants.NV_DRBDVERSION):
                        drbd_versions[node.name] = \
                            nresult[constants.NV_DRBDVERSION]
                self._VerifyRunningInstances(rep, node, img, inst_by_name,
                                             names)

        vc.VerifyDrbdVersions(rep, drbd_versions)
        feedback_fn("* Verifying instance status")
        notes = self._VerifyInstances(rep, feedback_fn, images, names,
                                      instdisk)

        feedback_fn("* Verifying orphan volumes")
        if self.vg_name is not None:
            healthy = {u: i.volumes for u, i in images.items()
                       if not (i.offline or i.rpc_fail or i.lvm_fail)}
            vc.VerifyOrphanVolumes(rep, names, healthy,
                                   self._ExpectedVolumes(),
                                   cluster.reserved_lvs or [])
        if constants.NV_FILE_DISKS in params:
            vc.VerifyOrphanFiles(rep, names, nvinfo, (
                (i.primary_node, _InstanceDisks(cfg, i))
                for i in self.all_instances))
        if constants.VERIFY_NPLUSONE_MEM not in (self.op.skip_checks or []):
            feedback_fn("* Verifying N+1 Memory redundancy")
            self._VerifyNPlusOne(rep, images, names)
        vc.OtherNotes(feedback_fn, notes["non_redundant"],
                      notes["non_balanced"], notes["offline"], n_offline,
                      n_drained)
        return not rep.bad

    def _VerifyRunningInstances(self, rep, node, img, inst_by_name, names):
        """Instances running on a node must have it as primary node."""
        for name in vc.NiceSort(img.instances or []):
            inst = inst_by_name.get(name)
            if inst is not None and inst.primary_node == node.uuid:
                continue
            known = inst is not None
            rep.ErrorIf(known, "EINSTANCEWRONGNODE", name,
                        "instance should not run on node %s", node.name)
            rep.ErrorIf(not known, "ENODEORPHANINSTANCE", node.name,
                        "node is running unknown instance %s", name)

    def _ExpectedVolumes(self) -> Dict[str, List[str]]:
        """node uuid -> the "vg/lv" volumes the instances should have."""
        expected: Dict[str, List[str]] = {}
        for inst in self.all_instances:
            for node_uuid, lv in _LvsByNode(self.cfg, inst):
                expected.setdefault(node_uuid, []).append(lv)
        return expected

    def _CollectDiskInfo(self, rep, images) -> Dict[str, Dict[str, list]]:
        """instance uuid -> node uuid -> [(success, status) per disk]."""
        cfg = self.cfg
        node_disks: Dict[str, list] = {}
        for inst in self.my_instances:
            disks = _InstanceDisks(cfg, inst)
            if not disks:
                continue
            for node_uuid in [inst.primary_node] + \
                    _InstanceSecondaries(cfg, inst):
                img = images.get(node_uuid)
                if img is None or img.offline:
                    continue
                node_disks.setdefault(node_uuid, []).extend(
                    (inst, disk) for disk in disks)
        instdisk: Dict[str, Dict[str, list]] = {}
        if not node_disks:
            return instdisk
        results = self.rpc.call_blockdev_getmirrorstatus_multi(
            list(node_disks), {u: [(d, i) for (i, d) in entries]
                               for u, entries in node_disks.items()},
            skip_unreachable=True)
        for node_uuid, entries in node_disks.items():
            res = results.get(node_uuid)
            name = self.all_nodes[node_uuid].name
            msg = "no answer" if res is None else res.fail_msg
            if res is not None and res.offline:
                data = [(False, "node offline")] * len(entries)
            else:
                rep.ErrorIf(msg, "ENODERPC", name,
                            "while getting disk information: %s", msg)
                if msg:
                    data = [(False, msg)] * len(entries)
                else:
                    data = []
                    for entry in res.payload or []:
                        if isinstance(entry, (list, tuple)) and \
                                len(entry) == 2:
                            data.append(tuple(entry))
                        else:
                            data.append((False, "Invalid result from the"
                                         " remote node"))
            for (inst, _), status in zip(entries, data):
                instdisk.setdefault(inst.uuid, {}).setdefault(
                    node_uuid, []).append(status)
        return instdisk

    def _VerifyInstances(self, rep, feedback_fn, images, names,
                         instdisk) -> dict:
        cfg = self.cfg
        cluster = cfg.GetClusterInfo()
        notes = {"non_redundant": 0, "non_balanced": 0, "offline": 0}
        for inst in self.my_instances:
            if self.op.verbose:
                feedback_fn("* Verifying instance %s" % inst.name)
            if inst.admin_state == constants.ADMINST_OFFLINE:
                notes["offline"] += 1
            if _DiskTemplate(cfg, inst) not in _DTS_MIRRORED:
                notes["non_redundant"] += 1
            if not cluster.FillBE(inst.beparams).get("auto_balance", True):
                notes["non_balanced"] += 1
            pimg = images.get(inst.primary_node)
            pname = names.get(inst.primary_node, inst.primary_node)
            if pimg is not None and inst.admin_state == constants.ADMINST_UP:
                down = (not pimg.offline and not pimg.rpc_fail and
                        pimg.instances is not None and
                        inst.name not in pimg.instances)
                rep.ErrorIf(down, "EINSTANCEDOWN", inst.name,
                            "instance not running on its primary node %s",
                            pname)
                rep.ErrorIf(pimg.offline, "EINSTANCEBADNODE", inst.name,
                            "instance is marked as running and lives on"
                            " offline node %s", pname)
            if pimg is not None:
                rep.ErrorIf(pimg.rpc_fail and not pimg.offline, "ENODERPC",
                            pname, "instance %s, connection to primary node"
                            " failed", inst.name)
            secondaries = _InstanceSecondaries(cfg, inst)
            rep.ErrorIf(len(secondaries) > 1, "EINSTANCELAYOUT", inst.name,
                        "instance has multiple secondary nodes: %s",
                        vc.CommaJoin(names.get(s, s) for s in secondaries))
            inst_nodes = [inst.primary_node] + secondaries
            known = [self.all_nodes[u] for u in inst_nodes
                     if u in self.all_nodes]
            groups = sorted(set(n.group for n in known))
            if len(groups) > 1:
                pretty = ["%s (group %s)" % (n.name, n.group) for n in known]
                rep.ErrorIf(True, "EINSTANCESPLITGROUPS", inst.name,
                            "instance has primary and secondary nodes in"
                            " different groups: %s", vc.CommaJoin(pretty),
                            code=vc.ETYPE_WARNING)
            offline_sec = [names.get(s, s) for s in secondaries
                           if s in self.all_nodes and
                           self.all_nodes[s].offline]
            rep.ErrorIf(offline_sec, "EINSTANCEBADNODE", inst.name,
                        "instance has offline secondary node(s) %s",
                        vc.CommaJoin(offline_sec))
            non_vm = [n.name for n in known if not n.vm_capable]
            rep.ErrorIf(non_vm, "EINSTANCEBADNODE", inst.name,
                        "instance lives on non-vm_capable node(s) %s",
                        vc.CommaJoin(non_vm))
            ghosts = [u for u in inst_nodes if u not in self.all_nodes]
            rep.ErrorIf(ghosts, "EINSTANCEBADNODE", inst.name,
                        "instance lives on ghost node(s) %s",
                        vc.CommaJoin(ghosts))
            bad = [u for u in inst_nodes if u not in self.all_nodes or
                   self.all_nodes[u].offline]
            vc.VerifyInstanceDisks(rep, inst.name,
                                   bool(getattr(inst, "disks_active", False)),
                                   instdisk.get(inst.uuid, {}), names, bad)
            if self.vg_name is not None:
                for node_uuid, lv in _LvsByNode(cfg, inst):
                    img = images.get(node_uuid)
                    if img is None or img.offline or img.rpc_fail or \
                            img.lvm_fail or img.volumes is None:
                        continue
                    rep.ErrorIf(lv not in img.volumes, "EINSTANCEMISSINGDISK",
                                inst.name, "volume %s missing on node %s", lv,
                                names.get(node_uuid, node_uuid))
        return notes

    def _VerifyNPlusOne(self, rep, images, names) -> None:
        cfg = self.cfg
        cluster = cfg.GetClusterInfo()
        sbp: Dict[str, Dict[str, List[int]]] = {}
        for inst in self.all_instances:
            if _DiskTemplate(cfg, inst) not in _DTS_INT_MIRROR:
                continue
            be = cluster.FillBE(inst.beparams)
            if not be.get("auto_balance", True):
                continue
            for snode in _InstanceSecondaries(cfg, inst):
                img = images.get(snode)
                if img is None or img.offline:
                    continue
                sbp.setdefault(snode, {}).setdefault(
                    inst.primary_node, []).append(int(be.get("minmem", 0)))
        vc.VerifyNPlusOneMemory(rep, names,
                                {u: i.mfree for u, i in images.items()}, sbp)

    def HooksCallBack(self, phase, hook_results, feedback_fn, lu_result):
        """Report the post hooks' results (upstream's "Hooks Results")."""
        if phase != constants.HOOKS_PHASE_POST or not self.my_nodes:
            return lu_result
        feedback_fn("* Hooks Results")
        rep = _Reporter(self, feedback_fn)
        ok = vc.HooksResults(rep, feedback_fn, hook_results or {})
        return bool(lu_result) and ok and not rep.bad


# ------------------------------------------------------------ verify-disks

class LUClusterVerifyDisks(NoHooksLU):
    """Submits one OpGroupVerifyDisks job per node group."""
    REQ_BGL = False

    def ExpandNames(self):
        self.needed_locks = {}

    def Exec(self, feedback_fn):
        if self.op.group_name:
            uuids = [self.cfg.LookupNodeGroup(self.op.group_name)]
        else:
            uuids = sorted(self.cfg.GetAllNodeGroupsInfo(),
                           key=lambda u: self.cfg.GetNodeGroup(u).name)
        return ResultWithJobs([[opcodes.OpGroupVerifyDisks(group_name=u)]
                               for u in uuids])


def _LvsByNode(cfg, inst) -> List[Tuple[str, str]]:
    """(node uuid, "vg/lv") of every logical volume of an instance."""
    result = []

    def walk(disk, nodes):
        dev_type = getattr(disk, "dev_type", None)
        children = getattr(disk, "children", None) or []
        if dev_type == constants.DT_PLAIN and disk.logical_id:
            for node in nodes:
                result.append((node, "%s/%s" % tuple(disk.logical_id[:2])))
        for child in children:
            walk(child, nodes)

    for disk in _InstanceDisks(cfg, inst):
        nodes = list(getattr(disk, "nodes", None) or [inst.primary_node])
        walk(disk, nodes)
    return result


class LUGroupVerifyDisks(NoHooksLU):
    """Finds instances of a group whose disks need activation.

    Result: ({node: error}, [instances with inactive volumes],
    {instance: [[node, volume], ...] of missing volumes}).
    """
    REQ_BGL = False

    def ExpandNames(self):
        self.group_uuid = self.cfg.LookupNodeGroup(self.op.group_name)
        self.needed_locks = {locking.LEVEL_NODE: locking.ALL_SET}
        self.share_locks = {locking.LEVEL_NODE: 1}

    def Exec(self, feedback_fn):
        cfg = self.cfg
        nodes = cfg.GetAllNodesInfo()
        wanted: Dict[Tuple[str, str], str] = {}
        for inst in _Instances(cfg):
            node = nodes.get(inst.primary_node)
            if node is None or node.group != self.group_uuid:
                continue
            if not getattr(inst, "disks_active", False):
                continue
            for node_uuid, lv in _LvsByNode(cfg, inst):
                wanted[(node_uuid, lv)] = inst.name
        res_nodes: Dict[str, str] = {}
        res_instances = set()
        if wanted:
            vg_name = cfg.GetVGName() or ""
            node_uuids = sorted(set(u for u, _ in wanted),
                                key=lambda u: vc.NiceSortKey(nodes[u].name)
                                if u in nodes else [])
            node_uuids = [u for u in node_uuids
                          if u in nodes and nodes[u].vm_capable]
            for node_uuid, res in self.rpc.call_lv_list(
                    node_uuids, vg_name, skip_unreachable=True).items():
                name = nodes[node_uuid].name
                if res.offline:
                    continue
                if res.fail_msg:
                    logging.warning("Error enumerating LVs on node %s: %s",
                                    name, res.fail_msg)
                    res_nodes[name] = res.fail_msg
                    continue
                for lv_name, info in (res.payload or {}).items():
                    inst_name = wanted.pop((node_uuid, lv_name), None)
                    online = info[2] if isinstance(info, (list, tuple)) and \
                        len(info) > 2 else True
                    if inst_name is not None and not online:
                        res_instances.add(inst_name)
        self._VerifyDrbdStates(nodes, res_nodes, res_instances)
        missing: Dict[str, List[List[str]]] = {}
        for (node_uuid, lv), inst_name in sorted(wanted.items()):
            node_name = nodes[node_uuid].name if node_uuid in nodes \
                else node_uuid
            missing.setdefault(inst_name, []).append([node_name, lv])
        return (res_nodes, sorted(res_instances), missing)

    def _VerifyDrbdStates(self, nodes, res_nodes: Dict[str, str],
                          res_instances: set) -> None:
        """Instances with active disks whose DRBD devices are missing,
        standalone or diskless on one of their nodes."""
        by_node: Dict[str, list] = {}
        for inst in _Instances(self.cfg):
            pnode = nodes.get(inst.primary_node)
            if pnode is None or pnode.group != self.group_uuid or \
                    not getattr(inst, "disks_active", False):
                continue
            disks = [d for d in _InstanceDisks(self.cfg, inst)
                     if d.dev_type == constants.DT_DRBD8]
            for node_uuid in [inst.primary_node] + \
                    _InstanceSecondaries(self.cfg, inst):
                node = nodes.get(node_uuid)
                if node is not None and not node.offline and disks:
                    by_node.setdefault(node_uuid, []).extend(
                        (disk, inst) for disk in disks)
        for node_uuid, pairs in sorted(by_node.items()):
            if nodes[node_uuid].name in res_nodes:
                continue   # already reported unreachable by lv_list
            result = self.rpc.call_drbd_needs_activation(node_uuid, pairs)
            if result.fail_msg:
                logging.warning("Error getting DRBD status on node %s: %s",
                                nodes[node_uuid].name, result.fail_msg)
                res_nodes[nodes[node_uuid].name] = result.fail_msg
                continue
            faulty = set(result.payload or [])
            res_instances.update(inst.name for disk, inst in pairs
                                 if disk.uuid in faulty)
