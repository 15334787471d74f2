"""Node-side work of the OS RPC calls (called by ganeti-noded).

``os_diagnose``, ``os_validate``, ``os_export``, ``instance_os_add`` and
``instance_run_rename``; the OS definitions themselves are handled by
ganeti.osdef.  Failures raise backend.RPCFail with the message the master
shows (for a failed script: the last lines of its log file).

Disk device paths: the storage layer may install a resolver with
`SetDiskPathResolver` (disk dict -> (path, userspace URI or None)); until
then the path is derived from the disk's logical id.
"""

import logging
import os
import shutil
import tarfile
import tempfile
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import osdef
from ganeti.backend import LocalizeVirtualPath, RPCFail, _Fail

DiskPath = Tuple[str, Optional[str]]
_disk_path_resolver: Optional[Callable[[Dict[str, Any]], DiskPath]] = None


def SetDiskPathResolver(fn: Optional[Callable[[Dict[str, Any]], DiskPath]]
                        ) -> None:
    """Install the storage layer's (disk dict) -> (path, uri) function."""
    global _disk_path_resolver
    _disk_path_resolver = fn


def _LogicalIdPath(disk: Mapping[str, Any]) -> Optional[str]:
    """The device path of a disk computed from its logical id, if possible."""
    dev_type = disk.get("dev_type")
    lid = disk.get("logical_id") or []
    if dev_type == constants.DT_PLAIN and len(lid) == 2:
        return "/dev/%s/%s" % (lid[0], lid[1])
    if dev_type in (constants.DT_FILE, constants.DT_SHARED_FILE,
                    constants.DT_GLUSTER) and len(lid) == 2:
        return LocalizeVirtualPath(lid[1])
    if dev_type == constants.DT_BLOCK and len(lid) == 2:
        return lid[1]
    if dev_type == constants.DT_DRBD8:
        minor = (disk.get("dynamic_params") or {}).get("local-minor")
        if minor is not None:
            return "/dev/drbd%d" % int(minor)
    return None


def _ExtDiskPath(inst_name: str, idx: int, disk: Dict[str, Any]
                 ) -> DiskPath:
    """(device, uri) of an ExtStorage volume, as its attach script says."""
    from ganeti import storage
    from ganeti.backend import blockdev as backend_blockdev
    try:
        device = storage.FindDevice(backend_blockdev.ToNodeDisk(disk), [])
    except errors.GenericError as err:
        _Fail("Cannot find disk %d of instance %s: %s", idx, inst_name, err)
    if device is None or not device.dev_path:
        _Fail("Disk %d of instance %s is not available: the ExtStorage"
              " volume is not attached", idx, inst_name)
    return device.dev_path, device.uri


def _DiskPath(inst_name: str, idx: int, disk: Dict[str, Any]) -> DiskPath:
    if _disk_path_resolver is not None:
        try:
            path, uri = _disk_path_resolver(disk)
        except RPCFail:
            raise
        except Exception as err:  # pylint: disable=broad-except
            _Fail("Cannot find disk %d of instance %s: %s", idx, inst_name,
                  err)
        if path or uri:
            return path, uri
    if disk.get("dev_type") == constants.DT_EXT:
        return _ExtDiskPath(inst_name, idx, disk)
    path = _LogicalIdPath(disk)
    if path is None:
        _Fail("Cannot find the device of disk %d (%s) of instance %s", idx,
              disk.get("dev_type"), inst_name)
    if not os.path.exists(path):
        _Fail("Disk %d of instance %s is not available: %s does not exist",
              idx, inst_name, path)
    return path, None


def _DiskPaths(inst: Mapping[str, Any]) -> List[DiskPath]:
    disks = inst.get("disks_info")
    if disks is None:
        disks = [d for d in inst.get("disks") or [] if isinstance(d, dict)]
    return [_DiskPath(inst.get("name", "?"), idx, disk)
            for idx, disk in enumerate(disks)]


def _FindOS(name: str) -> osdef.OSDefinition:
    try:
        return osdef.FindOS(name)
    except osdef.InvalidOS as err:
        _Fail("OS '%s' not available on this node: %s", name, err.reason)
    raise AssertionError("not reached")


def _InstanceDict(instance: Any) -> Dict[str, Any]:
    if isinstance(instance, Mapping):
        return dict(instance)
    return instance.ToDict()


# --------------------------------------------------------------- RPC calls


def DiagnoseOS() -> List[list]:
    """os_diagnose: every OS directory in the search path, with status."""
    return osdef.DiagnoseOSes()


def GetOS(name: str) -> Dict[str, Any]:
    """The definition of an OS as a dict (RPCFail if missing/invalid)."""
    return _FindOS(name).ToDict()


def ValidateOS(required: bool, name: str, checks: List[str],
               params: Optional[Dict[str, Any]], force_variant: bool) -> bool:
    """os_validate: check an OS and, with checks=["parameters"], its
    parameters (through its verify script).  False if the OS is missing
    here and not required."""
    try:
        return osdef.ValidateOS(required, name, checks or [], params or {},
                                force_variant)
    except (osdef.InvalidOS, osdef.ScriptError) as err:
        _Fail("%s", err, log=False)
    raise AssertionError("not reached")


def InstanceOsAdd(instance: Any, reinstall: bool, debug: int) -> None:
    """instance_os_add: run the OS's create script for an instance."""
    inst = _InstanceDict(instance)
    osd = _FindOS(inst["os"])
    script = osd.CreateScript()
    kind = (osdef.OS_SCRIPT_CREATE if script == osd.Script(
        osdef.OS_SCRIPT_CREATE) else osdef.OS_SCRIPT_CREATE_UNTRUSTED)
    env = osdef.BuildInstanceEnv(inst, osd, debug, _DiskPaths(inst))
    if reinstall:
        env["INSTANCE_REINSTALL"] = "1"
    logfile = osdef.InstanceLogName(osdef.LOG_KIND_ADD, inst["os"],
                                    inst["name"])
    result = osdef.RunScript(osd, kind, env, logfile)
    if result.failed:
        logging.error("OS create script of %s failed (%s); log %s",
                      inst["name"], result.fail_reason, logfile)
        _Fail("%s", osdef.ScriptFailure(osdef.OS_SCRIPT_CREATE, result,
                                        logfile), log=False)


def RunRenameInstance(instance: Any, old_name: str, debug: int) -> None:
    """instance_run_rename: run the OS's rename script (new name in the
    instance, previous one in OLD_INSTANCE_NAME)."""
    inst = _InstanceDict(instance)
    osd = _FindOS(inst["os"])
    env = osdef.BuildInstanceEnv(inst, osd, debug, _DiskPaths(inst))
    env["OLD_INSTANCE_NAME"] = old_name
    logfile = osdef.InstanceLogName(osdef.LOG_KIND_RENAME, inst["os"],
                                    "%s-%s" % (old_name, inst["name"]))
    result = osdef.RunScript(osd, osdef.OS_SCRIPT_RENAME, env, logfile)
    if result.failed:
        logging.error("OS rename script of %s failed (%s); log %s",
                      inst["name"], result.fail_reason, logfile)
        _Fail("%s", osdef.ScriptFailure(osdef.OS_SCRIPT_RENAME, result,
                                        logfile), log=False)


def ExportOS(instance: Any, override_env: Optional[Dict[str, str]]) -> str:
    """os_export: pack the instance's OS definition and its environment.

    Writes a gzipped tar holding ``os/`` (the definition, symlinks
    followed) and ``environment`` (``NAME=value`` lines, override_env
    applied) and returns its path on this node.
    """
    inst = _InstanceDict(instance)
    osd = _FindOS(inst["os"])
    try:
        paths = _DiskPaths(inst)
    except RPCFail:
        paths = None  # the package is also useful without disk paths
    env = osdef.BuildInstanceEnv(inst, osd, 0, paths)
    env.update({k: str(v) for k, v in (override_env or {}).items()})
    fd, package = tempfile.mkstemp(prefix="ganeti-os-", suffix=".tgz")
    os.close(fd)
    workdir = tempfile.mkdtemp(prefix="ganeti-os-")
    try:
        env_file = os.path.join(workdir, "environment")
        with open(env_file, "w") as handle:
            for key in sorted(env):
                handle.write("%s=%s\n" % (key, env[key]))
        with tarfile.open(package, "w:gz", dereference=True) as tar:
            tar.add(osd.path, arcname="os")
            tar.add(env_file, arcname="environment")
    except (OSError, tarfile.TarError) as err:
        os.unlink(package)
        _Fail("Cannot pack OS %s for instance %s: %s", osd.name,
              inst.get("name"), err)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return package


# What ganeti-noded serves from this module: call name -> function.
RPC_CALLS: Dict[str, Callable[..., Any]] = {
    "os_diagnose": DiagnoseOS,
    "os_validate": ValidateOS,
    "os_export": ExportOS,
    "instance_os_add": InstanceOsAdd,
    "instance_run_rename": RunRenameInstance,
}
