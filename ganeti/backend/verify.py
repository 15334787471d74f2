"""Node information and verification RPCs (``node_info``, ``node_verify``).

node_info answers ``[boot_id, [storage info...], [hypervisor info...]]``;
node_verify answers a dict with one entry per requested check key
(constants.NV_*).  Both are pure reads of the node's state.
"""

import concurrent.futures
import hashlib
import logging
import os
import random
import stat
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ganeti import constants
from ganeti.utils.nodeinfo import LinuxNodeInfo  # noqa: F401 (re-exported)
from ganeti import errors
from ganeti import netutils
from ganeti import pathutils
from ganeti import ssconf
from ganeti.backend import (GetBootId, IsExecutable, LocalizeVirtualPath,
                            RPCFail, _Fail)
from ganeti.utils import io as utils_io
from ganeti.utils import process as utils_process

_MIB = 1024 * 1024
_SSH_TIMEOUT = 15
_SSH_PARALLEL = 10
_NET_TEST_TIMEOUT = 10


# ------------------------------------------------------------------ storage

def _FileStorageInfo(path: str, params: Sequence) -> Dict[str, Any]:
    """Free and total MiB of the file system holding path."""
    local = LocalizeVirtualPath(path)
    try:
        st = os.statvfs(local)
    except OSError as err:
        _Fail("Can't get storage information for %s: %s", path, err)
    return {"type": constants.ST_FILE, "name": path,
            "storage_free": st.f_bavail * st.f_frsize // _MIB,
            "storage_size": st.f_blocks * st.f_frsize // _MIB}


def _LvmReport(cmd: List[str]) -> List[List[str]]:
    """Rows of an LVM reporting command run with '|' as separator."""
    try:
        result = utils_process.RunCmd(cmd)
    except errors.OpExecError as err:
        _Fail("Can't run %s: %s", cmd[0], err)
    if result.failed:
        _Fail("Command '%s' failed: %s", " ".join(cmd),
              result.output.strip() or result.fail_reason)
    return [[field.strip() for field in line.strip().split("|")]
            for line in result.stdout.splitlines() if line.strip()]


def ListVolumeGroups() -> Dict[str, int]:
    """Volume group name -> size in MiB."""
    rows = _LvmReport(["vgs", "--noheadings", "--units=m", "--nosuffix",
                       "--separator=|", "-o", "vg_name,vg_size"])
    return {row[0]: int(float(row[1])) for row in rows if len(row) >= 2}


def _LvmVgInfo(vg_name: str, params: Sequence) -> Dict[str, Any]:
    """Free and total MiB of a VG; both None if vgs cannot report it (as
    upstream: the master then says it can't compute the free space)."""
    info = {"type": constants.ST_LVM_VG, "name": vg_name,
            "storage_free": None, "storage_size": None}
    try:
        rows = _LvmReport(["vgs", "--noheadings", "--units=m", "--nosuffix",
                           "--separator=|", "-o", "vg_free,vg_size", vg_name])
    except RPCFail as err:
        logging.error("Can't get the VG information of %s: %s", vg_name, err)
        return info
    if rows and len(rows[0]) >= 2:
        info["storage_free"] = int(round(float(rows[0][0])))
        info["storage_size"] = int(round(float(rows[0][1])))
    return info


def _LvmPvInfo(vg_name: str, params: Sequence) -> Dict[str, Any]:
    """Spindles (physical volumes) of a VG; only with exclusive storage."""
    exclusive = bool(params and params[0])
    free = size = 0
    if exclusive:
        rows = _LvmReport(["pvs", "--noheadings", "--units=m", "--nosuffix",
                           "--separator=|", "-o", "vg_name,pv_free,pv_size"])
        for row in rows:
            if len(row) >= 3 and row[0] == vg_name:
                size += 1
                if float(row[1]) >= float(row[2]):
                    free += 1
    return {"type": constants.ST_LVM_PV, "name": vg_name,
            "storage_free": free, "storage_size": size}


_STORAGE_INFO_FN: Dict[str, Callable[[str, Sequence], Dict[str, Any]]] = {
    constants.ST_FILE: _FileStorageInfo,
    constants.ST_LVM_VG: _LvmVgInfo,
    constants.ST_LVM_PV: _LvmPvInfo,
}


def _StorageInfo(unit: Sequence) -> Dict[str, Any]:
    if not isinstance(unit, (list, tuple)) or len(unit) not in (2, 3):
        _Fail("Invalid storage unit %r", unit)
    storage_type, key = unit[0], unit[1]
    params = unit[2] if len(unit) > 2 and unit[2] else []
    fn = _STORAGE_INFO_FN.get(storage_type)
    if fn is None:
        _Fail("Storage reporting for storage type '%s' is not supported",
              storage_type)
    return fn(key, params)


# ----------------------------------------------------------------- hypervisors

def _GetHypervisor(name: str) -> Any:
    """The hypervisor object of ganeti.hypervisor, if that module has one."""
    try:
        from ganeti import hypervisor
    except ImportError:
        return None
    getter = getattr(hypervisor, "GetHypervisor", None)
    if getter is None:
        return None
    try:
        return getter(name)
    except (errors.GenericError, KeyError):
        _Fail("Unknown hypervisor '%s'", name)
    raise AssertionError


def _HvInfo(spec: Sequence) -> Dict[str, Any]:
    if not isinstance(spec, (list, tuple)) or len(spec) != 2:
        _Fail("Invalid hypervisor specification %r", spec)
    name, hvparams = spec
    hv = _GetHypervisor(name)
    if hv is not None and hasattr(hv, "GetNodeInfo"):
        info = hv.GetNodeInfo(hvparams=hvparams)
    else:
        info = LinuxNodeInfo()
    if info is None:
        _Fail("Hypervisor %s returned no node information", name)
    return info


def GetNodeInfo(storage_units: Optional[Sequence], hv_specs: Sequence
                ) -> Tuple[str, Optional[List[Dict[str, Any]]],
                           List[Dict[str, Any]]]:
    """``node_info``: (boot id, storage info per unit, info per hypervisor).

    storage_units: ``[[type, key, params], ...]`` (e.g. ``["lvm-vg",
    "xenvg", [exclusive_storage]]``, ``["file", path, []]``); hv_specs:
    ``[[hv_name, hvparams], ...]``.
    """
    # upstream answers null storage information for null storage_units
    storage = None if storage_units is None else \
        [_StorageInfo(unit) for unit in storage_units]
    hv_info = [_HvInfo(spec) for spec in hv_specs or []]
    return GetBootId(), storage, hv_info


# ------------------------------------------------------------------ verify

def FingerprintFiles(files: Sequence[str]) -> Dict[str, str]:
    """SHA1 hex digest of each existing file, keyed by the given path."""
    result = {}
    for name in files:
        local = LocalizeVirtualPath(name)
        try:
            with open(local, "rb") as handle:
                digest = hashlib.sha1()
                for chunk in iter(lambda: handle.read(65536), b""):
                    digest.update(chunk)
        except OSError:
            continue
        result[name] = digest.hexdigest()
    return result


def SshCommand(node: str, command: List[str], port: int = 22,
               cluster_name: Optional[str] = None) -> List[str]:
    """ssh argv to run command on node as root, non-interactively."""
    cmd = ["ssh", "-oBatchMode=yes", "-oConnectTimeout=10",
           "-oEscapeChar=none",
           "-p", str(port)]
    if cluster_name and os.path.exists(pathutils.SSH_KNOWN_HOSTS_FILE):
        cmd += ["-oGlobalKnownHostsFile=%s" % pathutils.SSH_KNOWN_HOSTS_FILE,
                "-oUserKnownHostsFile=/dev/null",
                "-oHostKeyAlias=%s" % cluster_name,
                "-oStrictHostKeyChecking=yes"]
    else:
        cmd += ["-oStrictHostKeyChecking=no"]
    return cmd + ["%s@%s" % (pathutils.SSH_LOGIN_USER, node)] + command


def VerifyNodeHostname(node: str, port: int = 22,
                       cluster_name: Optional[str] = None
                       ) -> Tuple[bool, str]:
    """ssh to node and check it knows itself by that name."""
    try:
        result = utils_process.RunCmd(
            SshCommand(node, ["hostname"], port, cluster_name),
            timeout=_SSH_TIMEOUT)
    except errors.OpExecError as err:
        return False, "can't run ssh: %s" % err
    if result.failed:
        return False, "ssh problem: %s" % (result.output.strip()
                                           or result.fail_reason)
    remote = result.stdout.strip()
    if remote != node and not node.startswith(remote + "."):
        return False, "hostname mismatch: expected %s but got %s" % (node,
                                                                    remote)
    return True, ""


def _NodeListArg(value: Any, my_name: str) -> List[str]:
    """Nodes to check over ssh, from upstream's [nodes, {node: extra}] form.

    A flat list and a {"nodes": [...], "bynode": {...}} dict are accepted.
    """
    if isinstance(value, dict):
        nodes, bynode = value.get("nodes", []), value.get("bynode", {})
    elif isinstance(value, (list, tuple)) and len(value) in (2, 3) and \
            isinstance(value[0], (list, tuple)):
        nodes, bynode = value[0], value[1]
    else:
        nodes, bynode = value or [], {}
    nodes = list(nodes) + list((bynode or {}).get(my_name, []))
    return [n for n in nodes if n != my_name]


def _CheckNodeList(value: Any, ctx: "_Ctx") -> Dict[str, str]:
    nodes = _NodeListArg(value, ctx.my_name)
    random.shuffle(nodes)
    try:
        ports = ssconf.SimpleStore().GetSshPortMap()
    except errors.ConfigurationError:
        ports = {}
    failed = {}
    with concurrent.futures.ThreadPoolExecutor(_SSH_PARALLEL) as pool:
        futures = {node: pool.submit(VerifyNodeHostname, node,
                                     ports.get(node, 22), ctx.cluster_name)
                   for node in nodes}
        for node, future in futures.items():
            success, message = future.result()
            if not success:
                failed[node] = message
    return failed


def _NodedPort() -> int:
    from ganeti import daemon
    return daemon.GetDaemonPort(constants.NODED)


def _NetTestEntries(value: Any) -> List[tuple]:
    """(name, primary, secondary) triples, from upstream's [triples,
    master candidates] layout or a plain list of triples."""
    value = value or []
    if len(value) == 2 and isinstance(value[0], (list, tuple)) and \
            all(isinstance(e, (list, tuple)) for e in value[0]):
        value = value[0]
    return [tuple(e) for e in value
            if isinstance(e, (list, tuple)) and len(e) == 3]


def _CheckNodeNetTest(value: Any, ctx: "_Ctx") -> Dict[str, str]:
    entries = _NetTestEntries(value)
    mine = [e for e in entries if e[0] == ctx.my_name]
    if not mine:
        return {ctx.my_name: "Can't find my own primary/secondary IP in the"
                " node list"}
    _, my_pip, my_sip = mine[0]
    port = _NodedPort()

    def failures(pip: str, sip: str) -> List[str]:
        failed = []
        if not netutils.TcpPing(pip, port, timeout=_NET_TEST_TIMEOUT,
                                source=my_pip):
            failed.append("primary")
        if sip != pip and not netutils.TcpPing(
                sip, port, timeout=_NET_TEST_TIMEOUT, source=my_sip):
            failed.append("secondary")
        return failed

    peers = [e for e in entries if e[0] != ctx.my_name]
    result = {}
    if not peers:
        return result
    # in parallel: unreachable peers cost one timeout, not one each
    with concurrent.futures.ThreadPoolExecutor(
            min(_SSH_PARALLEL, len(peers))) as pool:
        futures = [(name, pool.submit(failures, pip, sip))
                   for name, pip, sip in peers]
        for name, future in futures:
            failed = future.result()
            if failed:
                result[name] = "failure using the %s interface(s)" % \
                    " and ".join(failed)
    return result


def _CheckMasterIp(value: Any, ctx: "_Ctx") -> bool:
    """Whether the master IP answers; value is upstream's [master name,
    master IP, master candidates] (or just the first two)."""
    master_name, master_ip = value[:2]
    source = None
    if master_name == ctx.my_name:
        source = "::1" if ":" in master_ip else "127.0.0.1"
    return netutils.TcpPing(master_ip, _NodedPort(), timeout=_NET_TEST_TIMEOUT,
                            source=source)


def _CheckClientCert(value: Any, ctx: "_Ctx") -> Tuple[Optional[str], str]:
    """(None, digest) for a good client.pem, else (CV_ERROR/WARNING, msg)."""
    filename = pathutils.NODED_CLIENT_CERT_FILE
    if not os.path.exists(filename):
        return (constants.CV_ERROR, "The client certificate does not exist"
                " (%s)" % filename)
    from ganeti.utils import x509  # pylint: disable=import-outside-toplevel
    try:
        cert = x509.LoadCertificateFile(filename)
    except errors.X509CertError as err:
        return (constants.CV_ERROR, "Can't load the client certificate: %s"
                % err.args[-1])
    errcode, msg = x509.VerifyCertificate(cert)
    if errcode == constants.CV_ERROR:
        return (errcode, msg or "")
    return (None, x509.GetCertificateDigestFromCert(cert))


def _CheckNodeSetup(value: Any, ctx: "_Ctx") -> List[str]:
    """Problems with the basic system setup (sysfs and procfs mounted)."""
    problems = []
    if not os.path.isdir("/sys/block") or not os.path.isdir("/sys/class/net"):
        problems.append("The sysfs filesytem doesn't seem to be mounted"
                        " under /sys, missing required directories /sys/block"
                        " and /sys/class/net")
    if not os.path.isdir("/proc/sys") or \
            not os.path.isfile("/proc/sysrq-trigger"):
        problems.append("The procfs filesystem doesn't seem to be mounted"
                        " under /proc, missing required directory /proc/sys"
                        " and the file /proc/sysrq-trigger")
    return problems


def _HvParamsFor(ctx: "_Ctx", name: str) -> Dict[str, Any]:
    params = ctx.hvparams.get(name) if isinstance(ctx.hvparams, dict) else None
    return params or {}


def _CheckHypervisors(value: Any, ctx: "_Ctx") -> Dict[str, Optional[str]]:
    """hypervisor name -> None if it works on this node, else the problem."""
    result: Dict[str, Optional[str]] = {}
    for name in value or []:
        try:
            hv = _GetHypervisor(name)
        except RPCFail as err:
            result[name] = str(err)
            continue
        verify = getattr(hv, "Verify", None)
        if verify is None:
            result[name] = None
            continue
        try:
            result[name] = verify(hvparams=_HvParamsFor(ctx, name))
        except errors.GenericError as err:
            result[name] = "Error while checking hypervisor: %s" % err
    return result


def _CheckHvParams(value: Any, ctx: "_Ctx") -> List[List[str]]:
    """[source, hypervisor, error] for each parameter set that is invalid."""
    failures = []
    for entry in value or []:
        try:
            source, name, params = entry
        except (TypeError, ValueError):
            continue
        try:
            hv = _GetHypervisor(name)
        except RPCFail as err:
            failures.append([source, name, str(err)])
            continue
        validate = getattr(hv, "ValidateParameters", None)
        if validate is None:
            continue
        try:
            validate(params)
        except errors.GenericError as err:
            failures.append([source, name, str(err)])
    return failures


def _CheckHvInfo(value: Any, ctx: "_Ctx") -> Dict[str, Any]:
    """Node facts (memory, CPUs) as the given hypervisor sees them."""
    return _HvInfo([value, _HvParamsFor(ctx, value)])


def _CheckInstanceList(value: Any, ctx: "_Ctx") -> Any:
    """Names of the instances running under the given hypervisors."""
    names: List[str] = []
    for name in value or []:
        try:
            hv = _GetHypervisor(name)
        except RPCFail as err:
            return str(err)
        lister = getattr(hv, "ListInstances", None)
        if lister is None:
            continue
        try:
            names.extend(lister(hvparams=_HvParamsFor(ctx, name)))
        except errors.GenericError as err:
            return "Error while listing instances: %s" % err
    return names


def FileStoragePathProblem(path: Any) -> Optional[str]:
    """Why a file storage directory is unusable here, or None."""
    if not isinstance(path, str) or not os.path.isabs(path):
        return "Path '%s' is not absolute" % (path,)
    try:
        from ganeti.storage import filestorage
    except ImportError:
        filestorage = None
    if filestorage is not None:
        # Only directories the administrator allowed on this node.
        try:
            filestorage.CheckFileStoragePathAcceptance(
                LocalizeVirtualPath(path), exact_match_ok=True)
        except errors.GenericError as err:
            return str(err)
    local = LocalizeVirtualPath(path)
    if not os.path.isdir(local):
        return "Path '%s' does not exist or is not a directory" % path
    if not os.access(local, os.W_OK | os.X_OK):
        return "Path '%s' is not writable" % path
    return None


def _CheckLvList(value: Any, ctx: "_Ctx") -> Any:
    """{"vg/lv": [size, inactive, online]} of every volume group of the
    node (as upstream: volumes in other VGs are orphans too unless
    reserved), or why not.  value, the cluster's VG, only asks for it."""
    try:
        from ganeti.storage import lvm
        vg_names = sorted(lvm.ListVolumeGroups())
        if not vg_names:
            return {}
        return {name: list(info) for name, info in
                lvm.GetVolumeList(vg_names).items()}
    except ImportError:
        return "LVM support is not available on this node"
    except errors.GenericError as err:
        return str(err)


def _CheckPvList(value: Any, ctx: "_Ctx") -> Any:
    """The physical volumes of the VGs in value, as upstream's LvmPvInfo
    dicts (sizes in MiB); an empty list if pvs failed."""
    try:
        from ganeti.storage import lvm
    except ImportError:
        return []
    return [{"name": pv.name, "vg_name": pv.vg_name, "size": pv.size,
             "free": pv.free, "attributes": pv.attributes, "lv_list": []}
            for pv in lvm.GetPVInfo(value, filter_allocatable=False) or []]


# A check returning _OMIT leaves its key out of the answer (storage path
# checks answer only when the path is unusable).
_OMIT = object()


def _CheckStoragePath(value: Any, ctx: "_Ctx") -> Any:
    problem = FileStoragePathProblem(value)
    return _OMIT if problem is None else problem


def _ListFileStorage(value: Any, ctx: "_Ctx") -> List[str]:
    """What lies below a usable file storage directory, as the master names
    it: every file (or symlink) and every empty directory, sorted; the
    master reports those no instance disk accounts for."""
    top = str(value or "")
    if FileStoragePathProblem(top) is not None:
        return []
    local_top = LocalizeVirtualPath(top)
    result = []
    for dirpath, dirnames, filenames in os.walk(local_top):
        virtual = top + dirpath[len(local_top):]
        leaves = filenames + [d for d in dirnames
                              if os.path.islink(os.path.join(dirpath, d))]
        result.extend(os.path.join(virtual, name) for name in leaves)
        if not dirnames and not filenames and dirpath != local_top:
            result.append(virtual)
    return sorted(result)


def _CheckOobPaths(value: Any, ctx: "_Ctx") -> List[Optional[str]]:
    """Per out-of-band helper path: None if usable, else the problem."""
    result: List[Optional[str]] = []
    for path in value or []:
        try:
            st = os.stat(path)
        except OSError as err:
            result.append("error stating out of band helper: %s" % err)
            continue
        if not stat.S_ISREG(st.st_mode):
            result.append("out of band helper %s is not a file" % path)
        elif not stat.S_IMODE(st.st_mode) & stat.S_IXUSR:
            result.append("out of band helper %s is not executable" % path)
        else:
            result.append(None)
    return result


def _CheckOsList(value: Any, ctx: "_Ctx") -> List[list]:
    """The OS definitions of this node, as os_diagnose answers them."""
    from ganeti.backend import osinstall  # pylint: disable=import-outside-toplevel
    return osinstall.DiagnoseOS()


def _CheckAcceptedStoragePaths(value: Any, ctx: "_Ctx") -> Any:
    """On the node named by value (the master): the forbidden entries of
    the allowed file storage paths file."""
    if value != ctx.my_name:
        return _OMIT
    from ganeti.storage import filestorage  # pylint: disable=import-outside-toplevel
    return filestorage.ComputeWrongFileStoragePaths(
        filestorage.LoadAllowedFileStoragePaths())


def _CheckDrbdVersion(value: Any, ctx: "_Ctx") -> str:
    """The DRBD module's version (or why it can't be read)."""
    from ganeti.storage import drbd  # pylint: disable=import-outside-toplevel
    try:
        return drbd.GetProcInfo().GetVersionString()
    except errors.BlockDeviceError as err:
        logging.warning("Can't get DRBD version", exc_info=True)
        return str(err)


def _CheckDrbdList(value: Any, ctx: "_Ctx") -> Any:
    """The DRBD minors in use (or why they can't be read)."""
    from ganeti.storage import drbd  # pylint: disable=import-outside-toplevel
    try:
        return sorted(drbd.GetUsedDevs())
    except errors.BlockDeviceError as err:
        logging.warning("Can't get used minors list", exc_info=True)
        return str(err)


def _CheckDrbdHelper(value: Any, ctx: "_Ctx") -> list:
    """[status, the usermode helper or the error]."""
    from ganeti.storage import drbd  # pylint: disable=import-outside-toplevel
    try:
        return [True, drbd.GetUsermodeHelper()]
    except errors.BlockDeviceError as err:
        logging.error("Can't get DRBD usermode helper: %s", err)
        return [False, str(err)]


def _SplitTime(value: float) -> List[int]:
    seconds = int(value)
    return [seconds, int(round((value - seconds) * 1000000))]


class _Ctx:
    def __init__(self, cluster_name: str, hvparams: Any) -> None:
        self.cluster_name = cluster_name
        self.hvparams = hvparams or {}
        self.my_name = netutils.Hostname.GetFqdn()


_CHECKS: Dict[str, Callable[[Any, _Ctx], Any]] = {
    constants.NV_VERSION: lambda value, ctx: [constants.PROTOCOL_VERSION,
                                              constants.RELEASE_VERSION],
    constants.NV_HOSTNAME: lambda value, ctx: ctx.my_name,
    constants.NV_FILELIST: lambda value, ctx: FingerprintFiles(value or []),
    constants.NV_NODELIST: _CheckNodeList,
    constants.NV_NODENETTEST: _CheckNodeNetTest,
    constants.NV_MASTERIP: _CheckMasterIp,
    constants.NV_TIME: lambda value, ctx: _SplitTime(time.time()),
    constants.NV_VGLIST: lambda value, ctx: ListVolumeGroups(),
    constants.NV_BRIDGES: lambda value, ctx: [
        br for br in value or []
        if not os.path.isdir("/sys/class/net/%s/bridge" % br)],
    constants.NV_USERSCRIPTS: lambda value, ctx: [
        script for script in value or []
        if not IsExecutable(script)],
    constants.NV_NODESETUP: _CheckNodeSetup,
    constants.NV_CLIENT_CERT: _CheckClientCert,
    constants.NV_HYPERVISOR: _CheckHypervisors,
    constants.NV_HVPARAMS: _CheckHvParams,
    constants.NV_HVINFO: _CheckHvInfo,
    constants.NV_INSTANCELIST: _CheckInstanceList,
    constants.NV_FILE_STORAGE_PATH: _CheckStoragePath,
    constants.NV_SHARED_FILE_STORAGE_PATH: _CheckStoragePath,
    constants.NV_LVLIST: _CheckLvList,
    constants.NV_PVLIST: _CheckPvList,
    constants.NV_OOB_PATHS: _CheckOobPaths,
    constants.NV_FILE_DISKS: _ListFileStorage,
    constants.NV_OSLIST: _CheckOsList,
    constants.NV_ACCEPTED_STORAGE_PATHS: _CheckAcceptedStoragePaths,
    constants.NV_DRBDVERSION: _CheckDrbdVersion,
    constants.NV_DRBDLIST: _CheckDrbdList,
    constants.NV_DRBDHELPER: _CheckDrbdHelper,
}

# Keys that only carry input for other checks (no answer of their own).
_INPUT_ONLY = frozenset([constants.NV_NONVMNODES])

# Checks talking to other machines, each bounded by its timeouts: they run
# alongside each other and the local checks, so unreachable peers cost
# node_verify one timeout rather than one per check.
_NETWORK_CHECKS = (constants.NV_NODELIST, constants.NV_NODENETTEST,
                   constants.NV_MASTERIP)


def VerifyNode(what: Dict[str, Any], cluster_name: str,
               all_hvparams: Any = None) -> Dict[str, Any]:
    """``node_verify`` / ``node_verify_light``: run the requested checks.

    Keys we do not implement are left out of the answer (and logged).
    """
    if not isinstance(what, dict):
        _Fail("Invalid node_verify argument: expected a dictionary")
    ctx = _Ctx(cluster_name, all_hvparams)
    result = {}
    network = [key for key in _NETWORK_CHECKS if key in what]
    with concurrent.futures.ThreadPoolExecutor(max(1, len(network))) as pool:
        started = {key: pool.submit(_CHECKS[key], what[key], ctx)
                   for key in network}
        for key in sorted(what):
            check = _CHECKS.get(key)
            if key in _INPUT_ONLY:
                continue
            if check is None:
                logging.info("node_verify: check '%s' not supported, skipped",
                             key)
                continue
            if key in started:
                value = started[key].result()
            else:
                value = check(what[key], ctx)
            if value is not _OMIT:
                result[key] = value
    return result
