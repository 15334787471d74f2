"""Node side of the node-management RPCs: volumes, storage units, power,
out-of-band helpers and master candidate demotion.

``node_volumes`` lists the logical volumes (``lvs``); ``storage_list``,
``storage_modify`` and ``storage_execute`` work on storage units of the
types file, sharedfile, lvm-vg and lvm-pv; ``node_powercycle`` hard-reboots
the node (never for the fake hypervisor); ``run_oob`` runs the cluster's
out-of-band program; ``node_demote_from_mc`` drops this node's copy of the
configuration.  ``RPC_CALLS`` is merged into noded's call table.
"""

import logging
import os
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

from ganeti import constants
from ganeti import errors
from ganeti import netutils
from ganeti import pathutils
from ganeti import serializer
from ganeti import ssconf
from ganeti.backend import LocalizeVirtualPath, _Fail
from ganeti.storage import lvm
from ganeti.utils import io as utils_io
from ganeti.utils import process as utils_process

_MIB = 1024 * 1024

# Storage unit fields (upstream's SF_* names).
SF_NODE = "node"
SF_TYPE = "type"
SF_NAME = "name"
SF_SIZE = "size"
SF_USED = "used"
SF_FREE = "free"
SF_ALLOCATABLE = "allocatable"
VALID_STORAGE_FIELDS = (SF_NODE, SF_TYPE, SF_NAME, SF_SIZE, SF_USED, SF_FREE,
                        SF_ALLOCATABLE)

# Storage operations and what each storage type supports.
SO_FIX_CONSISTENCY = "fix-consistency"
MODIFIABLE_STORAGE_FIELDS = {constants.ST_LVM_PV: frozenset([SF_ALLOCATABLE])}
VALID_STORAGE_OPERATIONS = {
    constants.ST_LVM_VG: frozenset([SO_FIX_CONSISTENCY])}

# The delay between the powercycle answer and the reboot.
POWERCYCLE_DELAY = 5.0
POWERCYCLE_MSG = "Reboot scheduled in 5 seconds"


def _LvmCommand(cmd: List[str]) -> utils_process.RunResult:
    try:
        return utils_process.RunCmd(cmd)
    except errors.OpExecError as err:
        _Fail("Can't run %s: %s", cmd[0], err)
    raise AssertionError


def _MiB(value: float) -> int:
    """An LVM size in MiB (1024.0) as an integer."""
    return int(round(value))


# ------------------------------------------------------------------ volumes

def _HaveLvm() -> bool:
    path = os.environ.get("PATH", "") + ":/sbin:/usr/sbin"
    return any(os.access(os.path.join(d, "lvs"), os.X_OK)
               for d in path.split(":") if d)


def NodeVolumes() -> List[Dict[str, Any]]:
    """``node_volumes``: the node's logical volumes (none without LVM)."""
    if not _HaveLvm():
        return []
    result = _LvmCommand(["lvs", "--noheadings", "--units=m", "--nosuffix",
                          "--separator=|",
                          "--options=lv_name,lv_size,devices,vg_name"])
    if result.failed:
        _Fail("Failed to list logical volumes, lvs output: %s", result.output)
    return lvm.ParseNodeVolumesOutput(result.stdout)


# ------------------------------------------------------------ storage units

def _DirUsage(path: str) -> int:
    """Disk space used below path, in MiB (what "du" would count)."""
    total = 0
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                pass
    try:
        total += os.lstat(path).st_blocks * 512
    except OSError:
        pass
    return total // _MIB


def _FileStorageRows(paths: Sequence[str], name: Optional[str],
                     fields: Sequence[str]) -> List[List[Any]]:
    rows = []
    for path in paths:
        if name is not None and path != name:
            continue
        local = LocalizeVirtualPath(path)
        try:
            st = os.statvfs(local)
        except OSError as err:
            _Fail("Can't get information about file storage directory %s: %s",
                  path, err)
        values = {
            SF_NAME: path,
            SF_SIZE: st.f_blocks * st.f_frsize // _MIB,
            SF_FREE: st.f_bavail * st.f_frsize // _MIB,
            SF_ALLOCATABLE: True,
        }
        if SF_USED in fields:
            values[SF_USED] = _DirUsage(local)
        rows.append([values[field] for field in fields])
    return rows


def _FlatPaths(su_args: Sequence) -> List[str]:
    """Storage directories from su_args ([dir], [[dir...]] or [])."""
    paths: List[str] = []
    for arg in su_args or []:
        if isinstance(arg, (list, tuple)):
            paths.extend(str(p) for p in arg)
        elif arg:
            paths.append(str(arg))
    return paths


def ParseVgs(text: str) -> Dict[str, Dict[str, Any]]:
    """lvm-vg storage units from "vgs -o vg_free,vg_size,vg_name" (MiB)."""
    result = {}
    for free, size, vg_name in lvm.ParseVgsOutput(text):
        result[vg_name] = {SF_NAME: vg_name, SF_SIZE: _MiB(size),
                           SF_FREE: _MiB(free),
                           SF_USED: _MiB(size) - _MiB(free),
                           SF_ALLOCATABLE: True}
    return result


def ParsePvs(text: str) -> Dict[str, Dict[str, Any]]:
    """lvm-pv storage units from "pvs -o pv_name,vg_name,pv_free,pv_attr,
    pv_size" (MiB)."""
    result = {}
    for pv in lvm.ParsePvsOutput(text):
        result[pv.name] = {SF_NAME: pv.name, SF_SIZE: _MiB(pv.size),
                           SF_USED: _MiB(pv.size) - _MiB(pv.free),
                           SF_FREE: _MiB(pv.free),
                           SF_ALLOCATABLE: pv.IsAllocatable()}
    return result


_LVM_LIST = {
    constants.ST_LVM_VG: (["vgs"], "vg_free,vg_size,vg_name", ParseVgs),
    constants.ST_LVM_PV: (["pvs"], "pv_name,vg_name,pv_free,pv_attr,pv_size",
                          ParsePvs),
}


def _LvmStorageRows(su_name: str, name: Optional[str],
                    fields: Sequence[str]) -> List[List[Any]]:
    if not _HaveLvm():
        _Fail("LVM is not available on this node")
    cmd, options, parse = _LVM_LIST[su_name]
    args = cmd + ["--noheadings", "--units=m", "--nosuffix", "--separator=|",
                  "--options=%s" % options]
    if name is not None:
        args.append(name)
    result = _LvmCommand(args)
    if result.failed:
        _Fail("Failed to list storage units of type %s: %s", su_name,
              result.output.strip() or result.fail_reason)
    units = parse(result.stdout)
    return [[units[key][field] for field in fields] for key in sorted(units)]


def StorageList(su_name: str, su_args: Sequence, name: Optional[str],
                fields: Sequence[str]) -> List[List[Any]]:
    """``storage_list``: one row (values in fields order) per unit."""
    unknown = [f for f in fields
               if f not in VALID_STORAGE_FIELDS or f in (SF_NODE, SF_TYPE)]
    if unknown:
        _Fail("Unknown storage field(s): %s", ", ".join(unknown))
    if su_name in (constants.ST_FILE, constants.ST_SHARED_FILE):
        return _FileStorageRows(_FlatPaths(su_args), name, fields)
    if su_name in _LVM_LIST:
        return _LvmStorageRows(su_name, name, fields)
    _Fail("Storage units of type '%s' can not be listed", su_name)
    raise AssertionError


def StorageModify(su_name: str, su_args: Sequence, name: str,
                  changes: Dict[str, Any]) -> None:
    """``storage_modify``: change attributes of a storage unit."""
    allowed = MODIFIABLE_STORAGE_FIELDS.get(su_name)
    if not allowed:
        _Fail("Storage units of type '%s' can not be modified", su_name)
    bad = sorted(set(changes) - allowed)
    if bad:
        _Fail("The following fields can not be modified for storage units"
              " of type '%s': %s", su_name, ", ".join(bad))
    if SF_ALLOCATABLE in changes:
        flag = "y" if changes[SF_ALLOCATABLE] else "n"
        result = _LvmCommand(["pvchange", "--allocatable", flag, name])
        if result.failed:
            _Fail("Failed to modify physical volume %s: %s", name,
                  result.output.strip() or result.fail_reason)


def RepairVolumeGroup(name: str,
                      run: Callable[[List[str]], Any] = _LvmCommand) -> None:
    """Remove missing PVs from a volume group, forcing if LVM asks for it,
    then check that the group is consistent."""
    result = run(["vgreduce", "--removemissing", name])
    output = result.output
    # Old LVM versions fail even when they fixed the group, newer ones only
    # remove partial volumes with --force: decide from the output.
    if ("Wrote out consistent volume group" not in output or
            "vgreduce --removemissing --force" in output):
        result = run(["vgreduce", "--removemissing", "--force", name])
        output += "\n" + result.output
    check = run(["vgs", "--noheadings", "--nosuffix", name])
    if check.failed or "Couldn't find device with uuid" in check.output:
        _Fail("Volume group '%s' still not consistent, 'vgreduce' output: %r,"
              " 'vgs' output: %r", name, output, check.output)


def StorageExecute(su_name: str, su_args: Sequence, name: str,
                   op: str) -> None:
    """``storage_execute``: run an operation (repair) on a storage unit."""
    if op not in VALID_STORAGE_OPERATIONS.get(su_name, ()):
        _Fail("Operation '%s' is not supported on storage units of type"
              " '%s'", op, su_name)
    RepairVolumeGroup(name)


# -------------------------------------------------------------------- power

def _SeparateMountNamespace() -> bool:
    """Whether we run in a mount namespace other than init's (a testbed
    node or container: rebooting would hit the hosting machine)."""
    try:
        return os.stat("/proc/self/ns/mnt").st_ino != \
            os.stat("/proc/1/ns/mnt").st_ino
    except OSError:
        return False


def _LinuxPowercycle() -> None:
    """Hard reboot: sync, then sysrq "b", then reboot -f as a fallback."""
    try:
        os.sync()
    except OSError:
        pass
    try:
        with open("/proc/sysrq-trigger", "w") as handle:
            handle.write("b")
    except OSError as err:
        logging.error("Failed to use sysrq for the reboot: %s", err)
    utils_process.RunCmd(["reboot", "-n", "-f"])


def NodePowercycle(hypervisor_type: str, hvparams: Any) -> str:
    """``node_powercycle``: answer, then hard-reboot the node 5 s later.

    The fake hypervisor (and any node living in a separate mount namespace,
    such as a testbed node) only logs the request.
    """
    if hypervisor_type == constants.HT_FAKE:
        logging.warning("Powercycle requested with the fake hypervisor; not"
                        " rebooting")
        return "%s (fake hypervisor: the node is not rebooted)" % \
            POWERCYCLE_MSG
    if _SeparateMountNamespace():
        logging.warning("Powercycle requested on a node in a separate mount"
                        " namespace; not rebooting the hosting machine")
        return "%s (testbed node: the machine is not rebooted)" % \
            POWERCYCLE_MSG
    try:
        pid = os.fork()
    except OSError:
        pid = 0
    if pid > 0:
        return POWERCYCLE_MSG
    try:
        time.sleep(POWERCYCLE_DELAY)
        _LinuxPowercycle()
    finally:
        os._exit(1)  # pylint: disable=protected-access


# --------------------------------------------------------------- out of band

def RunOob(oob_program: str, command: str, node: str, timeout: int) -> Any:
    """``run_oob``: run "<program> <command> <node>", return its JSON."""
    try:
        result = utils_process.RunCmd([oob_program, command, node],
                                      timeout=timeout)
    except errors.OpExecError as err:
        _Fail("Can't run out-of-band program %s: %s", oob_program, err)
    if result.failed:
        _Fail("'%s' failed with reason '%s'; output: %s", result.cmd,
              result.fail_reason, result.output)
    if not result.stdout.strip():
        return None
    try:
        return serializer.LoadJson(result.stdout)
    except ValueError as err:
        _Fail("Out-of-band program %s returned invalid JSON: %s",
              oob_program, err)
    raise AssertionError


# ------------------------------------------------------------------ demotion

def DemoteFromMC() -> None:
    """``node_demote_from_mc``: stop holding a configuration copy."""
    store = ssconf.SimpleStore()
    try:
        master = store.GetMasterNode()
    except errors.ConfigurationError as err:
        _Fail("Can't read ssconf: %s", err)
    if master == netutils.Hostname.GetFqdn():
        _Fail("ssconf status shows I'm the master node, will not demote")
    pidfile = pathutils.daemon_pid_file(constants.MASTERD)
    if utils_process.ReadLockedPidFile(pidfile):
        _Fail("The master daemon is running, will not demote")
    if os.path.isfile(pathutils.CLUSTER_CONF_FILE):
        try:
            utils_io.CreateBackup(pathutils.CLUSTER_CONF_FILE)
        except EnvironmentError as err:
            _Fail("Error while backing up cluster file: %s", err, exc=True)
    utils_io.RemoveFile(pathutils.CLUSTER_CONF_FILE)


RPC_CALLS: Dict[str, Callable[..., Any]] = {
    "node_volumes": NodeVolumes,
    "storage_list": StorageList,
    "storage_modify": StorageModify,
    "storage_execute": StorageExecute,
    "node_powercycle": NodePowercycle,
    "run_oob": RunOob,
    "node_demote_from_mc": DemoteFromMC,
}
