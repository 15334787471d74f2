"""Node-side work of the block device and file storage RPC calls.

Disks arrive as dicts (Disk.ToDict() with filled ``params`` and, for DRBD,
``dynamic_params``); results go back as JSON values.  A device tree is
handled children first: a DRBD disk finds or assembles its two LVs before
itself.  Failures raise backend.RPCFail (sent as ``[false, message]``).

Result shapes:
  blockdev_create       the device's logical id (list)
  blockdev_assemble     [dev_path, link_name, uri] ([True, True] when the
                        device is not assembled on a secondary node)
  blockdev_find         BlockDevStatus dict or None
  blockdev_getmirrorstatus        [BlockDevStatus dict, ...]
  blockdev_getmirrorstatus_multi  [[True, status dict] | [False, msg], ...]
  blockdev_getdimensions          [[size_bytes, spindles] | None, ...]
  blockdev_pause_resume_sync      [[success, msg or None], ...]
  blockdev_snapshot     the snapshot's logical id
  bdev_sizes            {device path: size MiB}
  lv_list {"vg/lv": [size, inactive, online]}; vg_list {vg: size MiB}
BlockDevStatus dict keys: dev_path, major, minor, sync_percent,
estimated_time, is_degraded, ldisk_status (1 ok, 2 unknown, 3 faulty, 4 sync).
"""

import errno
import logging
import os
import time
from typing import Any, Dict, List, Optional, Sequence, Union

from ganeti import errors
from ganeti import objects
from ganeti import pathutils
from ganeti import storage
from ganeti.backend import RPCFail
from ganeti.storage import base
from ganeti.storage import blockdev as st_blockdev
from ganeti.storage import filestorage
from ganeti.utils import io as utils_io

DISK_SEPARATOR = ":"
LDP_ACCESS = "access"
_WIPE_CHUNK = base.MIB
DRBD_ATTACH_TIMEOUT = 120.0
DRBD_ATTACH_FIRST_POLL = 0.1    # seconds between state checks, doubling
DRBD_ATTACH_MAX_POLL = 1.0
_DISK_FIELDS = ("name", "dev_type", "logical_id", "nodes", "iv_name", "size",
                "mode", "params", "spindles", "uuid")


def _Fail(msg: str, *args: Any, exc: bool = False) -> None:
    if args:
        msg = msg % args
    if exc:
        logging.exception(msg)
    else:
        logging.error(msg)
    raise RPCFail(msg)


class NodeDisk:
    """A disk as the node sees it: the config fields plus dynamic_params."""

    __slots__ = _DISK_FIELDS + ("children", "dynamic_params")

    def __init__(self, data: Dict[str, Any]) -> None:
        for name in _DISK_FIELDS:
            setattr(self, name, data.get(name))
        self.params = dict(self.params or {})
        self.children = [NodeDisk(c) for c in data.get("children") or []]
        self.dynamic_params = dict(data.get("dynamic_params") or {})

    def __str__(self) -> str:
        return objects.DiskDescription(self)

    __repr__ = __str__


def ToNodeDisk(value: Union[Dict[str, Any], Any]) -> NodeDisk:
    """A disk dict (or objects.Disk, or NodeDisk) as a NodeDisk."""
    if isinstance(value, NodeDisk):
        return value
    if isinstance(value, dict):
        return NodeDisk(value)
    if hasattr(value, "ToDict"):
        return NodeDisk(value.ToDict())
    _Fail("Invalid disk description: %r", value)
    raise AssertionError("not reached")


def _InstanceName(instance: Any) -> str:
    if isinstance(instance, dict):
        return instance.get("name") or ""
    if isinstance(instance, str):
        return instance
    return getattr(instance, "name", "") or ""


def _Status(status) -> Dict[str, Any]:
    return status.ToDict() if hasattr(status, "ToDict") else status


# ------------------------------------------------------------ bdev cache

def _CacheFile(dev_path: str) -> str:
    name = dev_path[len("/dev/"):] if dev_path.startswith("/dev/") \
        else dev_path
    return utils_io.PathJoin(pathutils.BDEV_CACHE_DIR,  # noqa: F821
                             "bdev_%s" % name.replace("/", "_").lstrip("_"))


def UpdateCache(dev_path: Optional[str], owner: str, on_primary: bool,
                iv_name: Optional[str]) -> None:
    """Record which instance uses a device ("owner role iv_name")."""
    if not dev_path:
        return
    data = "%s %s %s\n" % (owner, "primary" if on_primary else "secondary",
                           iv_name or "not_visible")
    try:
        os.makedirs(pathutils.BDEV_CACHE_DIR, exist_ok=True)  # noqa: F821
        utils_io.WriteFile(_CacheFile(dev_path), data=data)
    except (EnvironmentError, ValueError):
        logging.exception("Can't update bdev cache for %s", dev_path)


def RemoveCache(dev_path: Optional[str]) -> None:
    if not dev_path:
        return
    try:
        utils_io.RemoveFile(_CacheFile(dev_path))
    except (EnvironmentError, ValueError):
        logging.exception("Can't remove the bdev cache for %s", dev_path)


# -------------------------------------------------------- disk symlinks

def GetBlockDevSymlinkPath(instance_name: str, idx: int) -> str:
    """/var/run/ganeti/instance-disks/<instance>:<idx>."""
    return utils_io.PathJoin(pathutils.DISK_LINKS_DIR,  # noqa: F821
                             "%s%s%d" % (instance_name, DISK_SEPARATOR, idx))


def SymlinkBlockDev(instance_name: str, device_path: str, idx: int) -> str:
    """Point the instance's disk link at device_path; returns the link."""
    link = GetBlockDevSymlinkPath(instance_name, idx)
    os.makedirs(os.path.dirname(link), exist_ok=True)
    try:
        os.symlink(device_path, link)
    except OSError as err:
        if err.errno != errno.EEXIST:
            raise
        if not os.path.islink(link) or os.readlink(link) != device_path:
            os.remove(link)
            os.symlink(device_path, link)
    return link


def RemoveBlockDevLinks(instance_name: str, disks: Sequence[Any]) -> None:
    """Remove the disk links of an instance (one per disk index)."""
    for idx in range(len(disks)):
        link = GetBlockDevSymlinkPath(instance_name, idx)
        if os.path.islink(link):
            try:
                os.remove(link)
            except OSError:
                logging.exception("Can't remove symlink '%s'", link)


# ------------------------------------------------------ device trees

def _RecursiveFindBD(disk: NodeDisk) -> Optional[base.BlockDev]:
    children = [_RecursiveFindBD(child) for child in disk.children]
    return storage.FindDevice(disk, children)


def _FindOrFail(disk: NodeDisk, what: str = "Cannot find block device %s"
                ) -> base.BlockDev:
    try:
        device = _RecursiveFindBD(disk)
    except errors.BlockDeviceError as err:
        _Fail("Failed to find device: %s", err)
    if device is None:
        _Fail(what, disk)
    return device  # type: ignore[return-value]


def _RecursiveAssembleBD(disk: NodeDisk, owner: str, as_primary: bool
                         ) -> Union[base.BlockDev, bool]:
    """Assemble children then the disk; True when it stays down here."""
    children: List[Optional[base.BlockDev]] = []
    if disk.children:
        needed = storage.ChildrenNeeded(disk)
        may_fail = 0 if needed == -1 else len(disk.children) - needed
        for child in disk.children:
            try:
                cdev = _RecursiveAssembleBD(child, owner, as_primary)
            except errors.BlockDeviceError as err:
                if children.count(None) >= may_fail:
                    raise
                logging.error("Error in child activation (but continuing):"
                              " %s", err)
                cdev = None
            children.append(cdev if isinstance(cdev, base.BlockDev)
                            else None)
    if not (as_primary or storage.AssembleOnSecondary(disk)):
        return True
    device = storage.Assemble(disk, children)
    if as_primary or storage.OpenOnSecondary(disk):
        device.Open()
    UpdateCache(device.dev_path, owner, as_primary, disk.iv_name)
    return device


def _FindDisks(disks: Sequence[Any]) -> List[base.BlockDev]:
    return [_FindOrFail(ToNodeDisk(d), "Can't find device %s") for d in disks]


# ------------------------------------------------------------ RPC calls

def BlockdevCreate(disk: Any, size: int, owner: str, on_primary: bool,
                   info: str, excl_stor: bool) -> List[Any]:
    """``blockdev_create``: create one device (its children exist)."""
    disk = ToNodeDisk(disk)
    children = []
    for child in disk.children:
        try:
            cdev = _RecursiveAssembleBD(child, owner, on_primary)
        except errors.BlockDeviceError as err:
            _Fail("Can't assemble device %s: %s", child, err)
        if not isinstance(cdev, base.BlockDev):
            _Fail("Can't assemble device %s on this node", child)
        if on_primary or storage.AssembleOnSecondary(disk):
            try:
                cdev.Open()
            except errors.BlockDeviceError as err:
                _Fail("Can't make child '%s' read-write: %s", child, err)
        children.append(cdev)
    try:
        device = storage.Create(disk, children, excl_stor)
    except errors.BlockDeviceError as err:
        _Fail("Can't create block device: %s", err)
    except errors.ProgrammerError as err:
        _Fail("Can't create block device: %s", err)
    if on_primary or storage.AssembleOnSecondary(disk):
        try:
            device.Assemble()
        except errors.BlockDeviceError as err:
            _Fail("Can't assemble device after creation, unusual event: %s",
                  err)
        if on_primary or storage.OpenOnSecondary(disk):
            try:
                device.Open(force=True)
            except errors.BlockDeviceError as err:
                _Fail("Can't make device r/w after creation, unusual event:"
                      " %s", err)
        UpdateCache(device.dev_path, owner, on_primary, disk.iv_name)
    try:
        device.SetInfo(info)
    except errors.BlockDeviceError as err:
        logging.warning("Can't set the info of %s: %s", disk, err)
    return list(device.unique_id)


def BlockdevRemove(disk: Any) -> None:
    """``blockdev_remove``: destroy the device, then its children."""
    disk = ToNodeDisk(disk)
    msgs = []
    try:
        device = _RecursiveFindBD(disk)
    except errors.BlockDeviceError as err:
        logging.info("Can't attach to device %s in remove: %s", disk, err)
        device = None
    if device is not None:
        path = device.dev_path
        try:
            device.Remove()
        except errors.BlockDeviceError as err:
            msgs.append(str(err))
        else:
            RemoveCache(path)
    for child in disk.children:
        try:
            BlockdevRemove(child)
        except RPCFail as err:
            msgs.append(str(err))
    if msgs:
        _Fail("; ".join(msgs))


def BlockdevAssemble(disk: Any, instance: Any, as_primary: bool, idx: int
                     ) -> list:
    """``blockdev_assemble``: activate the tree; link it on the primary."""
    disk = ToNodeDisk(disk)
    name = _InstanceName(instance)
    try:
        result = _RecursiveAssembleBD(disk, name, as_primary)
        if not isinstance(result, base.BlockDev):
            return [result, result]
        link = uri = None
        if as_primary:
            link = SymlinkBlockDev(name, result.dev_path, idx)
            if disk.params.get(LDP_ACCESS) == base.DISK_USERSPACE:
                hv = instance.get("hypervisor") if isinstance(instance, dict) \
                    else getattr(instance, "hypervisor", None)
                uri = result.GetUserspaceAccessUri(hv)
    except errors.BlockDeviceError as err:
        _Fail("Error while assembling disk: %s", err, exc=True)
    except OSError as err:
        _Fail("Error while symlinking disk: %s", err, exc=True)
    return [result.dev_path, link, uri]


def BlockdevShutdown(disk: Any) -> None:
    """``blockdev_shutdown``: deactivate the device, then its children."""
    disk = ToNodeDisk(disk)
    msgs = []
    try:
        device = _RecursiveFindBD(disk)
    except errors.BlockDeviceError as err:
        _Fail("Failed to find device: %s", err)
    if device is not None:
        path = device.dev_path
        try:
            device.Shutdown()
            RemoveCache(path)
        except errors.BlockDeviceError as err:
            msgs.append(str(err))
    for child in disk.children:
        try:
            BlockdevShutdown(child)
        except RPCFail as err:
            msgs.append(str(err))
    if msgs:
        _Fail("; ".join(msgs))


def BlockdevFind(disk: Any) -> Optional[Dict[str, Any]]:
    """``blockdev_find``: the device's combined status, None if absent."""
    disk = ToNodeDisk(disk)
    try:
        device = _RecursiveFindBD(disk)
        if device is None:
            return None
        return _Status(device.CombinedSyncStatus())
    except errors.BlockDeviceError as err:
        _Fail("Failed to find device: %s", err, exc=True)
    return None  # not reached


def BlockdevGetmirrorstatus(disks: Sequence[Any]) -> List[Dict[str, Any]]:
    """``blockdev_getmirrorstatus``: status of each disk (all must exist)."""
    stats = []
    for value in disks:
        disk = ToNodeDisk(value)
        device = _FindOrFail(disk, "Can't find device %s")
        try:
            stats.append(_Status(device.CombinedSyncStatus()))
        except errors.BlockDeviceError as err:
            _Fail("Can't get the status of %s: %s", disk, err)
    return stats


def BlockdevGetmirrorstatusMulti(disks: Sequence[Any]) -> List[list]:
    """``blockdev_getmirrorstatus_multi``: per-disk success and status."""
    result = []
    for value in disks:
        disk = ToNodeDisk(value)
        try:
            device = _RecursiveFindBD(disk)
            if device is None:
                result.append([False, "Can't find device %s" % disk])
                continue
            result.append([True, _Status(device.CombinedSyncStatus())])
        except errors.BlockDeviceError as err:
            result.append([False, str(err)])
    return result


def BlockdevGetdimensions(disks: Sequence[Any]) -> List[Optional[list]]:
    """``blockdev_getdimensions``: [size in bytes, spindles] or None."""
    result: List[Optional[list]] = []
    for value in disks:
        try:
            device = _RecursiveFindBD(ToNodeDisk(value))
            result.append(None if device is None
                          else list(device.GetActualDimensions()))
        except errors.BlockDeviceError:
            result.append(None)
    return result


def BlockdevGrow(disk: Any, amount: int, dryrun: bool, backingstore: bool,
                 excl_stor: bool) -> None:
    """``blockdev_grow``: grow by amount MiB."""
    disk = ToNodeDisk(disk)
    device = _FindOrFail(disk)
    try:
        device.Grow(int(amount), dryrun, backingstore, excl_stor)
    except errors.BlockDeviceError as err:
        _Fail("Failed to grow block device: %s", err, exc=True)


def BlockdevRename(devlist: Sequence[Sequence[Any]]) -> None:
    """``blockdev_rename``: [[disk, new logical id], ...]."""
    msgs = []
    for value, new_id in devlist:
        disk = ToNodeDisk(value)
        try:
            device = _RecursiveFindBD(disk)
        except errors.BlockDeviceError as err:
            msgs.append("Can't find device %s in rename: %s" % (disk, err))
            continue
        if device is None:
            msgs.append("Can't find device %s in rename" % disk)
            continue
        try:
            old_path = device.dev_path
            device.Rename(tuple(new_id))
            if old_path != device.dev_path:
                RemoveCache(old_path)
        except (errors.BlockDeviceError, errors.ProgrammerError) as err:
            msgs.append("Can't rename device '%s' to '%s': %s" %
                        (device, new_id, err))
    if msgs:
        _Fail("; ".join(msgs))


def _WipeDevice(path: str, offset: int, size: int) -> None:
    """Write size MiB of zeros at offset MiB (the data is not truncated)."""
    zeros = bytes(_WIPE_CHUNK)
    try:
        fd = os.open(path, os.O_WRONLY)
    except OSError as err:
        _Fail("Can't open %s for wiping: %s", path, err.strerror)
    try:
        os.lseek(fd, offset * base.MIB, os.SEEK_SET)
        for _ in range(size):
            view = memoryview(zeros)
            while view:
                view = view[os.write(fd, view):]
        os.fsync(fd)
    except OSError as err:
        _Fail("Can't wipe %s: %s", path, err.strerror)
    finally:
        os.close(fd)


def BlockdevWipe(disk: Any, offset: int, size: int) -> None:
    """``blockdev_wipe``: zero size MiB from offset MiB."""
    disk = ToNodeDisk(disk)
    device = _FindOrFail(disk)
    if offset < 0:
        _Fail("Negative offset")
    if size < 0:
        _Fail("Negative size")
    if offset > device.size:
        _Fail("Wipe offset is bigger than device size")
    if offset + size > device.size:
        _Fail("Wipe offset and size are bigger than device size")
    _WipeDevice(device.dev_path, int(offset), int(size))


def BlockdevPauseResumeSync(disks: Sequence[Any], pause: bool) -> List[list]:
    """``blockdev_pause_resume_sync``: [[success, message or None], ...]."""
    result = []
    for value in disks:
        disk = ToNodeDisk(value)
        try:
            device = _RecursiveFindBD(disk)
        except errors.BlockDeviceError:
            device = None
        if device is None:
            result.append([False, "Cannot change sync for device %s: device"
                           " not found" % disk.iv_name])
            continue
        if device.PauseResumeSync(pause):
            result.append([True, None])
        else:
            result.append([False, "%s for device %s failed" %
                           ("Pause" if pause else "Resume", disk.iv_name)])
    return result


def BlockdevSetInfo(disk: Any, info: str) -> None:
    """``blockdev_setinfo``: attach the owner note to the device."""
    disk = ToNodeDisk(disk)
    device = _FindOrFail(disk)
    try:
        device.SetInfo(info)
    except errors.BlockDeviceError as err:
        _Fail("Failed to set information on %s: %s", disk, err, exc=True)


def BlockdevSnapshot(disk: Any, snap_name: Optional[str],
                     snap_size: Optional[int]) -> list:
    """``blockdev_snapshot``: LVM snapshot (of DRBD's data LV)."""
    disk = ToNodeDisk(disk)
    if disk.dev_type == storage.DT_DRBD8:
        if not disk.children:
            _Fail("DRBD device '%s' without backing storage cannot be"
                  " snapshotted", disk)
        return BlockdevSnapshot(disk.children[0], snap_name, snap_size)
    if disk.dev_type != storage.DT_PLAIN:
        _Fail("Cannot snapshot block device '%s' of type '%s'",
              disk.logical_id, disk.dev_type)
    device = _FindOrFail(disk)
    try:
        return list(device.Snapshot(snap_name, snap_size))
    except errors.BlockDeviceError as err:
        _Fail("Can't snapshot %s: %s", disk, err)
    return []  # not reached


def BlockdevOpen(instance_name: str, disks: Sequence[Any],
                 exclusive: bool) -> None:
    """``blockdev_open``: make the devices ready for I/O (DRBD primary)."""
    devices = _FindDisks(disks)
    msgs = []
    for device in devices:
        try:
            device.Open(exclusive=exclusive)
        except errors.BlockDeviceError as err:
            msgs.append(str(err))
    if msgs:
        _Fail("Can't open devices: %s", ",".join(msgs))


def BlockdevClose(instance_name: Optional[str], disks: Sequence[Any]) -> None:
    """``blockdev_close``: undo Open; drop the instance's disk links."""
    devices = _FindDisks(disks)
    msgs = []
    for device in devices:
        try:
            device.Close()
        except errors.BlockDeviceError as err:
            msgs.append(str(err))
    if msgs:
        _Fail("Can't close devices: %s", ",".join(msgs))
    if instance_name:
        RemoveBlockDevLinks(instance_name, disks)


def GetBlockDevSizes(devices: Sequence[str]) -> Dict[str, int]:
    """``bdev_sizes``: size in MiB of each existing block device in /dev."""
    return st_blockdev.GetBlockDeviceSizes(devices or [])


# ---------------------------------------------------------- file storage

def _TransformFileStorageDir(path: str) -> str:
    """The node-local path of a file storage dir, if it is allowed."""
    if not isinstance(path, str) or not os.path.isabs(path):
        _Fail("File storage directory '%s' is not an absolute path", path)
    local = base.LocalizePath(os.path.normpath(path))
    try:
        filestorage.CheckFileStoragePathAcceptance(local)
    except errors.FileStoragePathError as err:
        _Fail(str(err))
    return local


def CreateFileStorageDir(file_storage_dir: str) -> None:
    """``file_storage_dir_create`` (existing directories are fine)."""
    path = _TransformFileStorageDir(file_storage_dir)
    if os.path.exists(path):
        if not os.path.isdir(path):
            _Fail("Specified storage dir '%s' is not a directory", path)
        return
    try:
        os.makedirs(path, 0o750)
    except OSError as err:
        _Fail("Cannot create file storage directory '%s': %s", path, err)


def RemoveFileStorageDir(file_storage_dir: str) -> None:
    """``file_storage_dir_remove``: only an empty directory is removed."""
    path = _TransformFileStorageDir(file_storage_dir)
    if not os.path.exists(path):
        return
    if not os.path.isdir(path):
        _Fail("Specified Storage directory '%s' is not a directory", path)
    try:
        os.rmdir(path)
    except OSError as err:
        _Fail("Cannot remove file storage directory '%s': %s", path, err)


def RenameFileStorageDir(old_file_storage_dir: str,
                         new_file_storage_dir: str) -> None:
    """``file_storage_dir_rename``."""
    old = _TransformFileStorageDir(old_file_storage_dir)
    new = _TransformFileStorageDir(new_file_storage_dir)
    if os.path.exists(new):
        if os.path.exists(old):
            _Fail("Cannot rename '%s' to '%s': both locations exist", old,
                  new)
        return
    if not os.path.isdir(old):
        _Fail("Specified storage dir '%s' is not a directory", old)
    try:
        os.rename(old, new)
    except OSError as err:
        _Fail("Cannot rename '%s' to '%s': %s", old, new, err)


# ------------------------------------------------------------------ LVM

def _Lvm(fn, *args):
    try:
        return fn(*args)
    except errors.BlockDeviceError as err:
        _Fail(str(err))


def GetVolumeList(vg_names: Any) -> Dict[str, list]:
    """``lv_list``: {"vg/lv": [size, inactive, online]}."""
    from ganeti.storage import lvm
    return {k: list(v) for k, v in _Lvm(lvm.GetVolumeList, vg_names).items()}


def ListVolumeGroups() -> Dict[str, int]:
    """``vg_list``: {vg_name: size MiB}."""
    from ganeti.storage import lvm
    return _Lvm(lvm.ListVolumeGroups)


# ----------------------------------------------------------------- DRBD

def DrbdHelper() -> str:
    """``drbd_helper``: the drbd module's usermode helper."""
    from ganeti.storage import drbd
    return _Lvm(drbd.GetUsermodeHelper)


def DrbdDisconnectNet(disks: Sequence[Any]) -> None:
    """``drbd_disconnect_net``: make the DRBD devices standalone."""
    for device in _FindDisks(disks):
        try:
            device.DisconnectNet()
        except errors.BlockDeviceError as err:
            _Fail("Can't change network configuration to standalone mode:"
                  " %s", err, exc=True)


def DrbdAttachNet(disks: Sequence[Any], multimaster: bool) -> None:
    """``drbd_attach_net``: reconnect, then (multimaster) go primary."""
    devices = _FindDisks(disks)
    for device in devices:
        try:
            device.AttachNet(multimaster)
        except errors.BlockDeviceError as err:
            _Fail("Can't change network configuration: %s", err)
    deadline = time.monotonic() + DRBD_ATTACH_TIMEOUT
    delay = DRBD_ATTACH_FIRST_POLL
    while True:
        pending = []
        for device in devices:
            try:
                stats = device.GetProcStatus()
            except errors.BlockDeviceError as err:
                _Fail("Can't read the state of %s: %s", device, err)
            if stats.is_standalone:
                # The peer might have been slow: reconnect.
                try:
                    device.AttachNet(multimaster)
                except errors.BlockDeviceError as err:
                    _Fail("Can't change network configuration: %s", err)
            if not (stats.is_connected or stats.is_in_resync):
                pending.append(device)
        if not pending:
            break
        if time.monotonic() >= deadline:
            _Fail("Timeout in disk reconnecting")
        # peers usually connect within a fraction of a second
        time.sleep(delay)
        delay = min(delay * 2, DRBD_ATTACH_MAX_POLL)
    if multimaster:
        for device in devices:
            try:
                device.Open()
            except errors.BlockDeviceError as err:
                _Fail("Can't change to primary mode: %s", err)


def DrbdWaitSync(disks: Sequence[Any]) -> list:
    """``drbd_wait_sync``: [all in sync, lowest sync percentage]."""
    alldone, min_resync = True, 100.0
    for device in _FindDisks(disks):
        try:
            stats = device.GetProcStatus()
        except errors.BlockDeviceError as err:
            _Fail("Can't read the state of %s: %s", device, err)
        if not (stats.is_connected or stats.is_in_resync):
            _Fail("DRBD device %s is not in sync: stats=%s", device, stats)
        alldone = alldone and not stats.is_in_resync
        if stats.sync_percent is not None:
            min_resync = min(min_resync, stats.sync_percent)
    return [alldone, min_resync]


def DrbdNeedsActivation(disks: Sequence[Any]) -> List[str]:
    """``drbd_needs_activation``: uuids of disks missing or degraded."""
    faulty = []
    for value in disks:
        disk = ToNodeDisk(value)
        try:
            device = _RecursiveFindBD(disk)
            if device is None:
                faulty.append(disk.uuid)
                continue
            stats = device.GetProcStatus()
            if stats.is_standalone or stats.is_diskless:
                faulty.append(disk.uuid)
        except errors.BlockDeviceError:
            faulty.append(disk.uuid)
    return faulty


# RPC name -> function, merged into ganeti.server.noded.RPC_CALLS.
RPC_CALLS = {
    "bdev_sizes": GetBlockDevSizes,
    "blockdev_create": BlockdevCreate,
    "blockdev_remove": BlockdevRemove,
    "blockdev_assemble": BlockdevAssemble,
    "blockdev_shutdown": BlockdevShutdown,
    "blockdev_find": BlockdevFind,
    "blockdev_getmirrorstatus": BlockdevGetmirrorstatus,
    "blockdev_getmirrorstatus_multi": BlockdevGetmirrorstatusMulti,
    "blockdev_getdimensions": BlockdevGetdimensions,
    "blockdev_grow": BlockdevGrow,
    "blockdev_rename": BlockdevRename,
    "blockdev_wipe": BlockdevWipe,
    "blockdev_pause_resume_sync": BlockdevPauseResumeSync,
    "blockdev_setinfo": BlockdevSetInfo,
    "blockdev_snapshot": BlockdevSnapshot,
    "blockdev_open": BlockdevOpen,
    "blockdev_close": BlockdevClose,
    "file_storage_dir_create": CreateFileStorageDir,
    "file_storage_dir_remove": RemoveFileStorageDir,
    "file_storage_dir_rename": RenameFileStorageDir,
    "lv_list": GetVolumeList,
    "vg_list": ListVolumeGroups,
    "drbd_helper": DrbdHelper,
    "drbd_disconnect_net": DrbdDisconnectNet,
    "drbd_attach_net": DrbdAttachNet,
    "drbd_wait_sync": DrbdWaitSync,
    "drbd_needs_activation": DrbdNeedsActivation,
}
