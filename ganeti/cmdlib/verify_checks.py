"""The checks of cluster verify, as plain functions over node_verify results.

The logical units in ganeti.cmdlib.verify gather data (config, RPC answers)
and call these functions; every problem goes through a Reporter, which prints
it in upstream's layout:

    "  - ERROR: node NAME: message"            (default)
    "  - ERROR:ENODESETUP:node:NAME:message"   (--error-codes)

Each check calls ``rep.ErrorIf(condition, ...)`` at every place a problem may
be found, so that --debug-simulate-errors reports every check site.
"""

import os
import re
from typing import (Any, Callable, Dict, Iterable, List, Optional, Sequence,
                    Tuple)

from ganeti import constants
from ganeti import pathutils
from ganeti.storage import lvm
# CommaJoin, NiceSort and NiceSortKey are also used as vc.* by verify.py.
from ganeti.utils.text import CommaJoin, NiceSort, NiceSortKey

ETYPE_ERROR = constants.CV_ERROR
ETYPE_WARNING = constants.CV_WARNING

# Allowed clock difference between the master and a node (seconds).
NODE_MAX_CLOCK_SKEW = 150.0

# Local disk status of a block device (upstream's LDS_* values).
LDS_OKAY = 1
LDS_NAMES = {1: "ok", 2: "unknown", 3: "faulty"}

TCLUSTER = "cluster"
TGROUP = "group"
TNODE = "node"
TINSTANCE = "instance"


def _item_type(ecode: str) -> str:
    """The object kind an error code is about (upstream's item types)."""
    if ecode.startswith("ECLUSTER"):
        return TCLUSTER
    if ecode.startswith("EGROUP"):
        return TGROUP
    if ecode.startswith("EINSTANCE"):
        return TINSTANCE
    return TNODE


class Reporter:
    """Formats and prints verify findings; remembers whether any was an error.

    ignore_errors demotes those codes to warnings; simulate makes every
    ErrorIf report (--debug-simulate-errors).
    """

    def __init__(self, feedback_fn: Callable[[str], None],
                 error_codes: bool = False,
                 ignore_errors: Iterable[str] = (),
                 simulate: bool = False) -> None:
        self.feedback_fn = feedback_fn
        self.error_codes = error_codes
        self.ignored = frozenset(ignore_errors or ())
        self.simulate = simulate
        self.bad = False

    def Error(self, ecode: str, item: Any, msg: str, *args: Any,
              code: str = ETYPE_ERROR) -> None:
        ltype = code
        if ecode in self.ignored:
            ltype = ETYPE_WARNING
        if args:
            msg = msg % args
        itype = _item_type(ecode)
        if self.error_codes:
            line = "%s:%s:%s:%s:%s" % (ltype, ecode, itype, item, msg)
        else:
            item_txt = " %s" % item if item else ""
            line = "%s: %s%s: %s" % (ltype, itype, item_txt, msg)
        self.feedback_fn("  - %s" % line)
        if ltype == ETYPE_ERROR:
            self.bad = True

    def ErrorIf(self, cond: Any, ecode: str, item: Any, msg: str, *args: Any,
                code: str = ETYPE_ERROR) -> None:
        if bool(cond) or self.simulate:
            self.Error(ecode, item, msg, *args, code=code)


# ------------------------------------------------------------- what to check

def EtcHostsFile() -> str:
    return getattr(pathutils, "ETC_HOSTS", pathutils.get_root() + "/etc/hosts")


def _HypervisorFiles(hypervisors: Sequence[str]):
    """(required, optional) ancillary files of the enabled hypervisors."""
    required, optional = set(), set()
    try:
        from ganeti import hypervisor
        get_class = getattr(hypervisor, "GetHypervisorClass")
    except (ImportError, AttributeError):
        return required, optional
    for name in hypervisors:
        try:
            files = get_class(name).GetAncillaryFiles()
        except Exception:  # pylint: disable=broad-except
            continue
        if files:
            required.update(files[0] or [])
            if len(files) > 1:
                optional.update(files[1] or [])
    return required, optional


def ComputeAncillaryFiles(cluster: Any, ssconf_keys: Iterable[str]):
    """Files the nodes must hold identical copies of.

    Returns (files_all, files_opt, files_mc, files_vm): on every node, of
    which optional (all nodes or none), on master candidates (and the
    master), on vm-capable nodes.
    """
    files_all = {
        pathutils.CONFD_HMAC_KEY,
        pathutils.CLUSTER_DOMAIN_SECRET_FILE,
        pathutils.SPICE_CERT_FILE,
        pathutils.SPICE_CACERT_FILE,
        pathutils.RAPI_USERS_FILE,
        pathutils.SSH_KNOWN_HOSTS_FILE,
        pathutils.NODED_CERT_FILE,
        pathutils.RAPI_CERT_FILE,
    }
    files_all.update(pathutils.ssconf_file(key) for key in ssconf_keys)
    if cluster.modify_etc_hosts:
        files_all.add(EtcHostsFile())
    if cluster.use_external_mip_script:
        files_all.add(pathutils.EXTERNAL_MASTER_SETUP_SCRIPT)
    # Optional files: present on all nodes of their category or on none.
    # SPICE certificates and the known_hosts file are only created when
    # SPICE or Ganeti's SSH setup are used.
    files_opt = {
        pathutils.RAPI_USERS_FILE,
        pathutils.SPICE_CERT_FILE,
        pathutils.SPICE_CACERT_FILE,
        pathutils.SSH_KNOWN_HOSTS_FILE,
    }
    templates = cluster.enabled_disk_templates or []
    if constants.DT_FILE in templates or constants.DT_SHARED_FILE in templates:
        files_all.add(pathutils.FILE_STORAGE_PATHS_FILE)
        files_opt.add(pathutils.FILE_STORAGE_PATHS_FILE)
    files_mc = {pathutils.CLUSTER_CONF_FILE}
    files_vm, vm_opt = _HypervisorFiles(cluster.enabled_hypervisors or [])
    files_vm = set(files_vm) - files_all - files_mc
    files_opt |= vm_opt
    return (frozenset(files_all), frozenset(files_opt), frozenset(files_mc),
            frozenset(files_vm))


def HvParamsToCheck(cluster: Any, instances: Iterable[Any]) -> List[list]:
    """[source, hypervisor, parameters] triples the nodes should validate."""
    data = []
    for hv_name in cluster.enabled_hypervisors or []:
        data.append(["cluster", hv_name, cluster.FillHV(hv_name)])
    for os_name, os_hvp in sorted((cluster.os_hvp or {}).items()):
        for hv_name, params in sorted(os_hvp.items()):
            if params:
                data.append(["os %s" % os_name, hv_name,
                             cluster.FillHV(hv_name, os_name=os_name)])
    for inst in instances:
        if getattr(inst, "hvparams", None):
            data.append(["instance %s" % inst.name, inst.hypervisor,
                         cluster.FillHV(inst.hypervisor, os_name=inst.os,
                                        overrides=inst.hvparams)])
    return data


# ------------------------------------------------------------ node results

def VerifyNodeBasics(rep: Reporter, name: str, nresult: Any,
                     vm_capable: bool = True) -> bool:
    """Answer shape, protocol/software version, hypervisor, node setup.

    Returns False when the answer is unusable for further checks.
    """
    test = not nresult or not isinstance(nresult, dict)
    rep.ErrorIf(test, "ENODERPC", name, "unable to verify node: no data returned")
    if test:
        return False
    remote = nresult.get(constants.NV_VERSION)
    test = not (remote and isinstance(remote, (list, tuple)) and
                len(remote) == 2)
    rep.ErrorIf(test, "ENODERPC", name,
                "connection to node returned invalid data")
    if test:
        return False
    test = constants.PROTOCOL_VERSION != remote[0]
    rep.ErrorIf(test, "ENODEVERSION", name,
                "incompatible protocol versions: master %s, node %s",
                constants.PROTOCOL_VERSION, remote[0])
    if test:
        return False
    rep.ErrorIf(constants.RELEASE_VERSION != remote[1], "ENODEVERSION", name,
                "software version mismatch: master %s, node %s",
                constants.RELEASE_VERSION, remote[1], code=ETYPE_WARNING)

    hyp_result = nresult.get(constants.NV_HYPERVISOR)
    if vm_capable and isinstance(hyp_result, dict):
        for hv_name, hv_result in sorted(hyp_result.items()):
            rep.ErrorIf(hv_result is not None, "ENODEHV", name,
                        "hypervisor %s verify failure: '%s'", hv_name,
                        hv_result)
    hvp_result = nresult.get(constants.NV_HVPARAMS)
    if vm_capable and isinstance(hvp_result, list):
        for item, hv_name, hv_result in hvp_result:
            rep.ErrorIf(True, "ENODEHV", name, "hypervisor %s parameter verify"
                        " failure (source %s): %s", hv_name, item, hv_result)
    setup = nresult.get(constants.NV_NODESETUP,
                        ["Missing NODESETUP results"])
    rep.ErrorIf(setup, "ENODESETUP", name, "node setup error: %s",
                "; ".join(setup or []))
    return True


def MergeTime(value: Any) -> float:
    """[seconds, microseconds] -> float seconds (ValueError/TypeError if bad)."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError("Invalid time value %r" % (value,))
    seconds, micro = value
    if not 0 <= micro < 1000000:
        raise ValueError("Invalid microseconds %r" % (micro,))
    return float(seconds) + float(micro) / 1000000


def VerifyNodeTime(rep: Reporter, name: str, nresult: dict,
                   start: float, end: float) -> None:
    """The node's clock must be within NODE_MAX_CLOCK_SKEW of the master's."""
    try:
        ntime = MergeTime(nresult.get(constants.NV_TIME))
    except (ValueError, TypeError):
        rep.ErrorIf(True, "ENODETIME", name, "Node returned invalid time")
        return
    if ntime < start - NODE_MAX_CLOCK_SKEW:
        diff = "%.01fs" % abs(start - ntime)
    elif ntime > end + NODE_MAX_CLOCK_SKEW:
        diff = "%.01fs" % abs(ntime - end)
    else:
        diff = None
    rep.ErrorIf(diff is not None, "ENODETIME", name,
                "Node time diverges by at least %s from master node time",
                diff)


def VerifyNodeNetwork(rep: Reporter, name: str, nresult: dict,
                      is_master: bool) -> None:
    """SSH and TCP reachability of the other nodes, and of the master IP."""
    test = constants.NV_NODELIST not in nresult
    rep.ErrorIf(test, "ENODESSH", name,
                "node hasn't returned node ssh connectivity data")
    if not test and nresult[constants.NV_NODELIST]:
        for other in NiceSort(nresult[constants.NV_NODELIST]):
            rep.ErrorIf(True, "ENODESSH", name,
                        "ssh communication with node '%s': %s", other,
                        nresult[constants.NV_NODELIST][other])
    test = constants.NV_NODENETTEST not in nresult
    rep.ErrorIf(test, "ENODENET", name,
                "node hasn't returned node tcp connectivity data")
    if not test and nresult[constants.NV_NODENETTEST]:
        for other in NiceSort(nresult[constants.NV_NODENETTEST]):
            rep.ErrorIf(True, "ENODENET", name,
                        "tcp communication with node '%s': %s", other,
                        nresult[constants.NV_NODENETTEST][other])
    test = constants.NV_MASTERIP not in nresult
    rep.ErrorIf(test, "ENODENET", name,
                "node hasn't returned node master IP reachability data")
    if not test and not nresult[constants.NV_MASTERIP]:
        if is_master:
            msg = "the master node cannot reach the master IP (not configured?)"
        else:
            msg = "cannot reach the master IP"
        rep.ErrorIf(True, "ENODENET", name, msg)


def VerifyNodeUserScripts(rep: Reporter, name: str, nresult: dict) -> None:
    test = constants.NV_USERSCRIPTS not in nresult
    rep.ErrorIf(test, "ENODEUSERSCRIPTS", name,
                "did not return user scripts information")
    broken = nresult.get(constants.NV_USERSCRIPTS)
    if not test:
        rep.ErrorIf(broken, "ENODEUSERSCRIPTS", name,
                    "user scripts not present or not executable: %s",
                    CommaJoin(sorted(broken or [])))


def VerifyNodeOob(rep: Reporter, node: Any, nresult: dict) -> None:
    """The out-of-band helpers must be usable on the nodes that may run
    them (the master and the nodes that can become it)."""
    if not (node.master_candidate or node.master_capable):
        return
    for problem in nresult.get(constants.NV_OOB_PATHS) or []:
        rep.ErrorIf(problem, "ENODEOOBPATH", node.name, "%s", problem)


_STORAGE_PATH_CHECKS = [
    (constants.DT_FILE, constants.NV_FILE_STORAGE_PATH,
     "ENODEFILESTORAGEPATHUNUSABLE"),
    (constants.DT_SHARED_FILE, constants.NV_SHARED_FILE_STORAGE_PATH,
     "ENODESHAREDFILESTORAGEPATHUNUSABLE"),
]


def VerifyStoragePaths(rep: Reporter, name: str, nresult: dict,
                       enabled_templates: Sequence[str]) -> None:
    """The node reports a storage path key only when that path is unusable."""
    for template, key, ecode in _STORAGE_PATH_CHECKS:
        if template in enabled_templates:
            rep.ErrorIf(key in nresult, ecode, name,
                        "The configured %s storage path is unusable: %s",
                        template, nresult.get(key))


def VerifyNodeLVM(rep: Reporter, name: str, nresult: dict,
                  vg_name: Optional[str]) -> Optional[int]:
    """The volume group must exist and be big enough; returns its free MiB."""
    if vg_name is None:
        return None
    vglist = nresult.get(constants.NV_VGLIST)
    test = not vglist
    rep.ErrorIf(test, "ENODELVM", name, "unable to check volume groups")
    if not test:
        if not isinstance(vglist, dict):
            vglist = {}
        status = lvm.CheckVolumeGroupSize(vglist, vg_name)
        rep.ErrorIf(status, "ENODELVM", name, "%s", status)
    for problem in _PvProblems(nresult):
        rep.ErrorIf(True, "ENODELVM", name, "%s", problem)
    return vglist.get(vg_name) if not test else None


def _PvProblems(nresult: dict) -> List[str]:
    """What is wrong with the node's physical volumes (LVM can't use a
    ':' in a PV name)."""
    pvlist = nresult.get(constants.NV_PVLIST)
    if not isinstance(pvlist, list):
        return ["Can't get PV list from node"]
    return ["Invalid character ':' in PV '%s' of VG '%s'" %
            (pv.get("name"), pv.get("vg_name")) for pv in pvlist
            if isinstance(pv, dict) and ":" in str(pv.get("name", ""))]


def DrbdMinorsByNode(instances: Iterable[Tuple[Any, List[Any]]]
                     ) -> Dict[str, Dict[int, tuple]]:
    """{node uuid: {minor: (disk uuid, instance name, disks active)}} of
    the DRBD disks of (instance, its disks) pairs."""
    found: Dict[str, Dict[int, tuple]] = {}
    for inst, disks in instances:
        for disk in disks:
            lid = disk.logical_id or []
            if disk.dev_type != constants.DT_DRBD8 or len(lid) < 5:
                continue
            for node_uuid, minor in ((lid[0], lid[3]), (lid[1], lid[4])):
                found.setdefault(node_uuid, {})[int(minor)] = (
                    disk.uuid, inst.name, bool(inst.disks_active))
    return found


def VerifyNodeDrbdHelper(rep: Reporter, name: str, nresult: dict,
                         drbd_helper: Optional[str]) -> None:
    """The node's DRBD usermode helper must be the cluster's."""
    if not drbd_helper:
        return
    helper_result = nresult.get(constants.NV_DRBDHELPER)
    rep.ErrorIf(helper_result is None, "ENODEDRBDHELPER", name,
                "no drbd usermode helper returned")
    if helper_result:
        status, payload = helper_result
        rep.ErrorIf(not status, "ENODEDRBDHELPER", name,
                    "drbd usermode helper check unsuccessful: %s", payload)
        rep.ErrorIf(status and payload != drbd_helper, "ENODEDRBDHELPER",
                    name, "wrong drbd usermode helper: %s", payload)


def VerifyNodeDrbd(rep: Reporter, name: str, nresult: dict,
                   drbd_helper: Optional[str],
                   node_drbd: Dict[int, Tuple[str, Optional[str], bool]]
                   ) -> None:
    """The minors in use on the node against the configuration's
    ({minor: (disk uuid, instance name or None, must be active)})."""
    VerifyNodeDrbdHelper(rep, name, nresult, drbd_helper)
    used_minors = nresult.get(constants.NV_DRBDLIST, [])
    test = not isinstance(used_minors, (tuple, list))
    rep.ErrorIf(test, "ENODEDRBD", name, "cannot parse drbd status file: %s",
                str(used_minors))
    if test:
        return
    for minor, (disk_uuid, inst_name, must_exist) in sorted(node_drbd.items()):
        attached = ("(attached in instance '%s')" % inst_name
                    if inst_name is not None else "(detached)")
        rep.ErrorIf(minor not in used_minors and must_exist, "ENODEDRBD",
                    name, "drbd minor %d of disk %s %s is not active", minor,
                    disk_uuid, attached)
    for minor in used_minors:
        rep.ErrorIf(minor not in node_drbd, "ENODEDRBD", name,
                    "unallocated drbd minor %d is in use", minor)


def VerifyDrbdVersions(rep: Reporter, versions: Dict[str, str]) -> None:
    """Warn when the nodes' DRBD versions differ ({node name: version})."""
    if len(set(versions.values())) > 1:
        for name, version in sorted(versions.items()):
            rep.Error("ENODEDRBDVERSION", name, "DRBD version mismatch: %s",
                      version, code=ETYPE_WARNING)


def VerifyNodeBridges(rep: Reporter, name: str, nresult: dict,
                      bridges: Sequence[str]) -> None:
    if not bridges:
        return
    missing = nresult.get(constants.NV_BRIDGES)
    test = not isinstance(missing, list)
    rep.ErrorIf(test, "ENODENET", name,
                "did not return valid bridge information")
    if not test:
        rep.ErrorIf(bool(missing), "ENODENET", name, "missing bridges: %s",
                    CommaJoin(sorted(missing)))


def NodeFreeMemory(rep: Reporter, name: str, nresult: dict) -> Optional[int]:
    """Free memory (MiB) from the hypervisor's node information."""
    hv_info = nresult.get(constants.NV_HVINFO)
    test = not isinstance(hv_info, dict) or "memory_free" not in hv_info
    rep.ErrorIf(test, "ENODEHV", name, "rpc call to node failed (hvinfo)")
    if test:
        return None
    try:
        return int(hv_info["memory_free"])
    except (ValueError, TypeError):
        rep.ErrorIf(True, "ENODERPC", name,
                    "node returned invalid nodeinfo, check hypervisor")
        return None


def NodeInstances(rep: Reporter, name: str, nresult: dict) -> Optional[list]:
    """Names of the instances running on the node (None if unknown)."""
    idata = nresult.get(constants.NV_INSTANCELIST)
    test = not isinstance(idata, list)
    rep.ErrorIf(test, "ENODEHV", name,
                "rpc call to node failed (instancelist): %s", idata)
    return None if test else list(idata)


def NodeVolumes(rep: Reporter, name: str, nresult: dict) -> Optional[dict]:
    """The node's logical volumes ({"vg/lv": [size, inactive, online]})."""
    lvdata = nresult.get(constants.NV_LVLIST, "Missing LV data")
    if isinstance(lvdata, str):
        rep.ErrorIf(True, "ENODELVM", name, "LVM problem on node: %s", lvdata)
        return None
    if not isinstance(lvdata, dict):
        rep.ErrorIf(True, "ENODELVM", name,
                    "rpc call to node failed (lvlist)")
        return None
    return lvdata


def _StatusField(status: Any, field: str) -> Any:
    if isinstance(status, dict):
        return status.get(field)
    return getattr(status, field, None)


def VerifyInstanceDisks(rep: Reporter, inst_name: str, disks_active: bool,
                        diskstatus: Dict[str, List[Any]],
                        node_names: Dict[str, str],
                        bad_nodes: Iterable[str]) -> None:
    """Disk status per node ({node uuid: [(success, status), ...]}).

    bad_nodes (offline or unknown) are not blamed for missing answers.
    """
    bad = set(bad_nodes)
    for node_uuid in sorted(diskstatus,
                            key=lambda u: NiceSortKey(node_names.get(u, u))):
        nname = node_names.get(node_uuid, node_uuid)
        for idx, (success, status) in enumerate(diskstatus[node_uuid]):
            rep.ErrorIf(disks_active and not success and node_uuid not in bad,
                        "EINSTANCEFAULTYDISK", inst_name,
                        "couldn't retrieve status for disk/%s on %s: %s",
                        idx, nname, status)
            if not (disks_active and success):
                continue
            degraded = bool(_StatusField(status, "is_degraded"))
            ldisk = _StatusField(status, "ldisk_status")
            if degraded or (ldisk is not None and ldisk != LDS_OKAY):
                msg = "disk/%s on %s" % (idx, nname)
                if degraded:
                    msg += " is degraded"
                if ldisk is not None and ldisk != LDS_OKAY:
                    msg += "; state is '%s'" % LDS_NAMES.get(ldisk, ldisk)
                rep.Error("EINSTANCEFAULTYDISK", inst_name, "%s", msg)


def VerifyOrphanVolumes(rep: Reporter, node_names: Dict[str, str],
                        volumes: Dict[str, Optional[dict]],
                        expected: Dict[str, Iterable[str]],
                        reserved: Sequence[str]) -> None:
    """Volumes no instance uses (and not reserved) are reported, as
    warnings: they do not break the cluster (upstream since 2.11)."""
    patterns = [re.compile("^%s$" % r) for r in reserved or []]
    for node_uuid in sorted(volumes,
                            key=lambda u: NiceSortKey(node_names.get(u, u))):
        vols = volumes[node_uuid]
        if vols is None:
            continue
        wanted = set(expected.get(node_uuid, ()))
        for volume in sorted(vols):
            if volume in wanted or any(p.match(volume) for p in patterns):
                continue
            rep.ErrorIf(True, "ENODEORPHANLV", node_names.get(node_uuid),
                        "volume %s is unknown", volume, code=ETYPE_WARNING)


def _ExpectedFileStorage(instances: Iterable[Tuple[str, Sequence[Any]]]
                         ) -> Dict[str, List[str]]:
    """node uuid -> the paths of the file disks of the given (primary node
    uuid, disks) pairs, and their directories (those may be empty if a disk
    is missing, which is not an orphan)."""
    expected: Dict[str, List[str]] = {}
    for primary, disks in instances:
        for disk in disks:
            if getattr(disk, "dev_type", None) != constants.DT_FILE or \
                    len(disk.logical_id or ()) < 2:
                continue
            path = os.path.normpath(disk.logical_id[1])
            for node in getattr(disk, "nodes", None) or [primary]:
                expected.setdefault(node, []).extend(
                    [path, os.path.dirname(path)])
    return expected


def VerifyOrphanFiles(rep: Reporter, node_names: Dict[str, str],
                      nvinfo: Dict[str, Any],
                      instances: Iterable[Tuple[str, Sequence[Any]]]) -> None:
    """The files and empty directories the nodes found below the file
    storage directory that no instance disk accounts for (say, left by a
    creation whose daemon died) are reported like orphan volumes."""
    found = {}
    for node_uuid, res in nvinfo.items():
        payload = None if res.fail_msg else res.payload
        if isinstance(payload, dict) and \
                isinstance(payload.get(constants.NV_FILE_DISKS), list):
            found[node_uuid] = [os.path.normpath(p) for p in
                                payload[constants.NV_FILE_DISKS]]
    VerifyOrphanVolumes(rep, node_names, found,
                        _ExpectedFileStorage(instances), [])


# --------------------------------------------------------- across the nodes

def VerifyFiles(rep: Reporter, nodes: Sequence[Any], master_uuid: str,
                nvinfo: Dict[str, Any], filemap) -> None:
    """Every file must exist where expected, with the same checksum.

    nodes: Node objects (uuid, name, offline, master_candidate, vm_capable);
    nvinfo: node uuid -> RPC result of node_verify (with NV_FILELIST).
    """
    files_all, files_opt, files_mc, files_vm = filemap
    names = {n.uuid: n.name for n in nodes}
    nodefiles = {}
    for filename in files_all:
        nodefiles[filename] = frozenset(n.uuid for n in nodes)
    for filename in files_mc:
        nodefiles[filename] = frozenset(
            n.uuid for n in nodes if n.master_candidate or n.uuid == master_uuid)
    for filename in files_vm:
        nodefiles[filename] = frozenset(n.uuid for n in nodes if n.vm_capable)

    fileinfo: Dict[str, Dict[str, set]] = {f: {} for f in nodefiles}
    ignore = set()
    for node in nodes:
        if node.offline:
            ignore.add(node.uuid)
            continue
        res = nvinfo.get(node.uuid)
        node_files = None
        if res is not None and not res.fail_msg and res.payload:
            node_files = res.payload.get(constants.NV_FILELIST)
        test = not (node_files and isinstance(node_files, dict))
        rep.ErrorIf(test, "ENODEFILECHECK", node.name,
                    "Node did not return file checksum data")
        if test:
            ignore.add(node.uuid)
            continue
        for filename, checksum in node_files.items():
            if filename in fileinfo:
                fileinfo[filename].setdefault(checksum, set()).add(node.uuid)

    def _names(uuids):
        return CommaJoin(NiceSort(names[u] for u in uuids))

    for filename in sorted(fileinfo):
        checksums = fileinfo[filename]
        with_file = frozenset(u for us in checksums.values() for u in us) - ignore
        expected = nodefiles[filename] - ignore
        missing = expected - with_file
        if filename in files_opt:
            rep.ErrorIf(missing and missing != expected, "ECLUSTERFILECHECK",
                        None, "File %s is optional, but it must exist on all"
                        " or no nodes (not found on %s)", filename,
                        _names(missing))
        else:
            rep.ErrorIf(missing, "ECLUSTERFILECHECK", None,
                        "File %s is missing from node(s) %s", filename,
                        _names(missing))
            unexpected = with_file - expected
            rep.ErrorIf(unexpected, "ECLUSTERFILECHECK", None,
                        "File %s should not exist on node(s) %s", filename,
                        _names(unexpected))
        test = len(checksums) > 1
        variants = []
        if test:
            variants = ["variant %s on %s" % (idx + 1, _names(uuids))
                        for idx, (_, uuids) in
                        enumerate(sorted(checksums.items()))]
        rep.ErrorIf(test, "ECLUSTERFILECHECK", None,
                    "File %s found with %s different checksums (%s)",
                    filename, len(checksums), "; ".join(variants))


def VerifyClientCertificates(rep: Reporter, nodes: Sequence[Any],
                             nvinfo: Dict[str, Any],
                             candidate_certs: Optional[Dict[str, str]]) -> None:
    """Each node's client.pem is valid; candidates' digests match the map."""
    if not candidate_certs:
        rep.ErrorIf(True, "ECLUSTERCLIENTCERT", None,
                    "The cluster's list of master candidate certificates is"
                    " empty. If you just updated the cluster, please run"
                    " 'gnt-cluster renew-crypto --new-node-certificates'.")
        return
    rep.ErrorIf(len(candidate_certs) != len(set(candidate_certs.values())),
                "ECLUSTERCLIENTCERT", None,
                "There are at least two master candidates configured to use"
                " the same certificate.")
    for node in nodes:
        if node.offline:
            continue
        res = nvinfo.get(node.uuid)
        if res is None or res.fail_msg or not res.payload:
            continue
        value = res.payload.get(constants.NV_CLIENT_CERT)
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            value = (ETYPE_ERROR, "node did not return client certificate"
                     " information")
        errcode, msg = value
        rep.ErrorIf(errcode is not None, "ECLUSTERCLIENTCERT", None,
                    "Client certificate of node '%s' failed validation: %s"
                    " (code '%s')", node.uuid, msg, errcode)
        if errcode:
            continue
        digest = msg
        if node.master_candidate:
            if node.uuid in candidate_certs:
                rep.ErrorIf(digest != candidate_certs[node.uuid],
                            "ECLUSTERCLIENTCERT", None,
                            "Client certificate digest of master candidate"
                            " '%s' does not match its entry in the cluster's"
                            " map of master candidate certificates. Expected:"
                            " %s Got: %s", node.uuid, digest,
                            candidate_certs[node.uuid])
            else:
                rep.ErrorIf(True, "ECLUSTERCLIENTCERT", None,
                            "The master candidate '%s' does not have an entry"
                            " in the map of candidate certificates.",
                            node.uuid)
                rep.ErrorIf(digest in candidate_certs.values(),
                            "ECLUSTERCLIENTCERT", None,
                            "Master candidate '%s' is using a certificate of"
                            " another node.", node.uuid)
        else:
            rep.ErrorIf(node.uuid in candidate_certs, "ECLUSTERCLIENTCERT",
                        None, "Node '%s' is not a master candidate, but still"
                        " listed in the map of master candidate"
                        " certificates.", node.uuid)
            rep.ErrorIf(node.uuid not in candidate_certs and
                        digest in candidate_certs.values(),
                        "ECLUSTERCLIENTCERT", None,
                        "Node '%s' is not a master candidate and is"
                        " incorrectly using a certificate of another node"
                        " which is master candidate.", node.uuid)


def VerifyNPlusOneMemory(rep: Reporter, node_names: Dict[str, str],
                         mfree: Dict[str, Optional[int]],
                         sec_by_primary: Dict[str, Dict[str, List[int]]]
                         ) -> None:
    """Each node must have room for the instances it is secondary for,
    should any one primary node fail.

    sec_by_primary: secondary uuid -> primary uuid -> [minmem of each
    auto-balanced instance]; mfree: node uuid -> free MiB (None = unknown).
    """
    for snode in sorted(sec_by_primary, key=lambda u: node_names.get(u, u)):
        free = mfree.get(snode)
        if free is None:
            continue
        for pnode, mems in sorted(sec_by_primary[snode].items()):
            needed = sum(mems)
            rep.ErrorIf(free < needed, "ENODEN1", node_names.get(snode, snode),
                        "not enough memory to accomodate instance failovers"
                        " should node %s fail (%dMiB needed, %dMiB"
                        " available)", node_names.get(pnode, pnode), needed,
                        free)


def OtherNotes(feedback_fn: Callable[[str], None], non_redundant: int,
               non_balanced: int, offline_instances: int, offline_nodes: int,
               drained_nodes: int) -> None:
    feedback_fn("* Other Notes")
    for count, what in ((non_redundant, "non-redundant instance(s)"),
                        (non_balanced, "non-auto-balanced instance(s)"),
                        (offline_instances, "offline instance(s)"),
                        (offline_nodes, "offline node(s)"),
                        (drained_nodes, "drained node(s)")):
        if count:
            feedback_fn("  - NOTICE: %d %s found." % (count, what))


_HOOKS_INDENT_RE = re.compile("^", re.M)


def HooksResults(rep: Reporter, feedback_fn: Callable[[str], None],
                 results: Dict[str, Any]) -> bool:
    """Report post-hook failures; returns False if any script failed."""
    ok = True
    for node_name in NiceSort(results):
        res = results[node_name]
        if getattr(res, "offline", False):
            continue
        msg = res.fail_msg
        rep.ErrorIf(msg, "ENODEHOOKS", node_name,
                    "Communication failure in hooks execution: %s", msg)
        if msg:
            ok = False
            continue
        for script, status, output in res.payload or []:
            if status == constants.HKR_FAIL:
                rep.ErrorIf(True, "ENODEHOOKS", node_name,
                            "Script %s failed, output:", script)
                feedback_fn(_HOOKS_INDENT_RE.sub("      ", output or ""))
                ok = False
    return ok

