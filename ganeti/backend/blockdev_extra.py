"""Node side of the block device calls that copy data or change a device's
children: ``blockdev_convert``, ``blockdev_image``, ``blockdev_addchildren``
and ``blockdev_removechildren``, with upstream 3.0's answers and messages.

Data moves with dd (1 MiB blocks; direct I/O on block devices, not on
regular files, which tmpfs-like file systems cannot open that way).  Each
call answers None on success; failures raise backend.RPCFail, except the
device errors of adding/removing children, which (as upstream's) reach
noded's generic "Error while executing backend function" answer.
"""

import os
import stat
from typing import Any, List, NamedTuple, Optional, Sequence

from ganeti import errors
from ganeti import storage
from ganeti.backend import LocalizeVirtualPath, _Fail
from ganeti.backend import blockdev as backend_blockdev
from ganeti.storage import base
from ganeti.utils import process as utils_process

DD_CMD = "dd"
DD_BLOCK_SIZE = 1024 * 1024     # our sizes are MiB: one dd block each
CURL_CMD = "curl"
_URL_PREFIXES = ("http://", "https://", "ftp://")


def IsUrl(image: str) -> bool:
    """Whether an image names something to download rather than a file."""
    return isinstance(image, str) and image.startswith(_URL_PREFIXES)


def _DirectFlag(path: str, kind: str) -> List[str]:
    """["iflag=direct"] / ["oflag=direct"] for block devices, else []."""
    try:
        is_block = stat.S_ISBLK(os.stat(path).st_mode)
    except OSError:
        is_block = False
    return ["%s=direct" % kind] if is_block else []


def ExportCmd(device: base.BlockDev) -> List[str]:
    """The command writing the device's data (size MiB) to stdout."""
    return ([DD_CMD, "if=%s" % device.dev_path, "bs=%d" % DD_BLOCK_SIZE,
             "count=%d" % device.size] +
            _DirectFlag(device.dev_path, "iflag"))


def ImportCmd(device: base.BlockDev) -> List[str]:
    """The command writing stdin onto the device (never truncating it)."""
    return ([DD_CMD, "of=%s" % device.dev_path, "bs=%d" % DD_BLOCK_SIZE,
             "iflag=fullblock", "conv=notrunc"] +
            _DirectFlag(device.dev_path, "oflag"))


def _Find(disk: Any) -> Optional[base.BlockDev]:
    try:
        return backend_blockdev._RecursiveFindBD(
            backend_blockdev.ToNodeDisk(disk))
    except errors.BlockDeviceError as err:
        _Fail("Failed to find device: %s", err)
    return None  # not reached


def _DiskUuid(disk: Any) -> Any:
    return backend_blockdev.ToNodeDisk(disk).uuid


# ------------------------------------------------------------- convert

def BlockdevConvert(src_disk: Any, target_disk: Any) -> None:
    """``blockdev_convert``: copy a disk's data onto another (template
    conversion); both devices must exist and be assembled here."""
    src_dev = _Find(src_disk)
    if src_dev is None:
        _Fail("Cannot copy from device '%s': device not found",
              _DiskUuid(src_disk))
    dest_dev = _Find(target_disk)
    if dest_dev is None:
        _Fail("Cannot copy to device '%s': device not found",
              _DiskUuid(target_disk))
    command = "%s | %s" % (
        utils_process.ShellQuoteArgs(ExportCmd(src_dev)),  # type: ignore
        utils_process.ShellQuoteArgs(ImportCmd(dest_dev)))  # type: ignore
    # pipefail: a failing reader must fail the copy, not only dd's exit
    result = utils_process.RunCmd(["/bin/bash", "-o", "pipefail", "-c",
                                   command])
    if result.failed:
        _Fail("Disk conversion command '%s' exited with error: %s;"
              " output: %s", command, result.fail_reason, result.output)


# --------------------------------------------------------------- image

def _DumpCmd(source: str, target: str, size: int) -> List[str]:
    return ([DD_CMD, "if=%s" % source, "bs=%d" % DD_BLOCK_SIZE,
             "of=%s" % target, "count=%d" % size, "conv=notrunc"] +
            _DirectFlag(target, "oflag"))


def DumpImage(source: str, target: str, size: int) -> None:
    """Copy up to size MiB of a local image file onto a device."""
    result = utils_process.RunCmd(_DumpCmd(source, target, size))
    if result.failed:
        _Fail("Dump command '%s' exited with error: %s; output: %s",
              result.cmd, result.fail_reason, result.output)


def DownloadImage(url: str, target: str, size: int) -> None:
    """Download an image with curl straight onto a device (size MiB)."""
    curl = [CURL_CMD, "--fail", "--silent", "--show-error", "--location",
            url]
    dump = _DumpCmd("/dev/stdin", target, size)
    dump.insert(3, "iflag=fullblock")
    command = "%s | %s" % (utils_process.ShellQuoteArgs(curl),
                           utils_process.ShellQuoteArgs(dump))
    result = utils_process.RunCmd(["/bin/bash", "-o", "pipefail", "-c",
                                   command])
    if result.failed:
        _Fail("Download and dump command '%s' exited with error: %s;"
              " output: %s", command, result.fail_reason, result.output)


def BlockdevImage(disk: Any, image: str, size: int) -> None:
    """``blockdev_image``: write an OS image (local file or URL) to the
    start of a disk; size is the image's size in MiB."""
    local = LocalizeVirtualPath(image) if isinstance(image, str) else ""
    if not (IsUrl(image) or (local and os.path.exists(local))):
        _Fail("Image '%s' not found", image)
    device = _Find(disk)
    if device is None:
        _Fail("Cannot image device %s: device not found",
              backend_blockdev.ToNodeDisk(disk).iv_name)
    if size < 0:
        _Fail("Negative size")
    if size > device.size:  # type: ignore[union-attr]
        _Fail("Image size is bigger than device size")
    if IsUrl(image):
        DownloadImage(image, device.dev_path, int(size))  # type: ignore
    else:
        DumpImage(local, device.dev_path, int(size))  # type: ignore


# ------------------------------------------------- children of a mirror

def _StaticDevPath(disk: backend_blockdev.NodeDisk) -> Optional[str]:
    """The path a device always has (LVs), None when it depends on state."""
    if disk.dev_type == storage.DT_PLAIN and disk.logical_id and \
            len(disk.logical_id) == 2:
        return "/dev/%s/%s" % tuple(disk.logical_id)
    return None


class _DevicePath(NamedTuple):
    """A local device known by its path only (for RemoveChildren)."""
    dev_path: str


def _RequireDrbd(device: base.BlockDev, what: str) -> None:
    from ganeti.storage import drbd
    if not isinstance(device, drbd.DRBD8Dev):
        base.ThrowError("%s: device type %s has no children to %s",
                        device.dev_path, type(device).__name__, what)


def BlockdevAddchildren(parent_cdev: Any, new_cdevs: Sequence[Any]) -> None:
    """``blockdev_addchildren``: give a mirror (DRBD) its local disks."""
    parent = _Find(parent_cdev)
    if parent is None:
        _Fail("Can't find parent device '%s' in add children",
              backend_blockdev.ToNodeDisk(parent_cdev))
    new_bdevs = [_Find(disk) for disk in new_cdevs]
    if new_bdevs.count(None) > 0:
        _Fail("Can't find new device(s) to add: %s:%s", new_bdevs,
              [backend_blockdev.ToNodeDisk(d) for d in new_cdevs])
    _RequireDrbd(parent, "add")  # type: ignore[arg-type]
    try:
        for bdev in new_bdevs:
            bdev.Assemble()  # type: ignore[union-attr]
        parent.AddChildren(new_bdevs)  # type: ignore[union-attr]
    except errors.BlockDeviceError as err:
        _Fail("Can't add children: %s", err)


def BlockdevRemovechildren(parent_cdev: Any, new_cdevs: Sequence[Any]
                           ) -> None:
    """``blockdev_removechildren``: detach a mirror from its local disks."""
    parent = _Find(parent_cdev)
    if parent is None:
        _Fail("Can't find parent device '%s' in remove children",
              backend_blockdev.ToNodeDisk(parent_cdev))
    paths = []
    for value in new_cdevs:
        disk = backend_blockdev.ToNodeDisk(value)
        rpath = _StaticDevPath(disk)
        if rpath is None:
            bdev = _Find(disk)
            if bdev is None:
                _Fail("Can't find device %s while removing children", disk)
            paths.append(bdev.dev_path)  # type: ignore[union-attr]
        else:
            if os.path.normpath(rpath) != rpath or not os.path.isabs(rpath):
                _Fail("Strange path returned from StaticDevPath: '%s'",
                      rpath)
            paths.append(rpath)
    _RequireDrbd(parent, "remove")  # type: ignore[arg-type]
    try:
        parent.RemoveChildren(  # type: ignore[union-attr]
            [_DevicePath(path) for path in paths])
    except errors.BlockDeviceError as err:
        _Fail("Can't remove children: %s", err)


# RPC name -> function, merged into ganeti.server.noded.RPC_CALLS.
RPC_CALLS = {
    "blockdev_convert": BlockdevConvert,
    "blockdev_image": BlockdevImage,
    "blockdev_addchildren": BlockdevAddchildren,
    "blockdev_removechildren": BlockdevRemovechildren,
}
