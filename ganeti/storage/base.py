"""The block device base class every storage type derives from.

A BlockDev stands for one node-local device of a disk: it is built from the
disk's ``logical_id`` (its ``unique_id`` here), its already-found children,
its size in MiB and its filled logical-disk parameters.  Building the object
only looks for the device (``Attach``); nothing on the node changes until one
of Create / Assemble / Open / Close / Shutdown / Remove / Grow / Rename is
called.  Failures raise errors.BlockDeviceError with a one-line message.
"""

import logging
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ganeti import errors
from ganeti import pathutils

# Local disk status (BlockDevStatus.ldisk_status), worst is highest.
LDS_OKAY = 1
LDS_UNKNOWN = 2
LDS_FAULTY = 3
LDS_SYNC = 4
LDS_NAMES = {LDS_OKAY: "ok", LDS_UNKNOWN: "unknown", LDS_FAULTY: "faulty",
             LDS_SYNC: "sync"}

# Disk access modes (the "access" logical-disk parameter).
DISK_KERNELSPACE = "kernelspace"
DISK_USERSPACE = "userspace"

MIB = 1024 * 1024


def ThrowError(msg: str, *args: Any) -> None:
    """Log msg % args and raise BlockDeviceError with it."""
    if args:
        msg = msg % args
    logging.error(msg)
    raise errors.BlockDeviceError(msg)


def LocalizePath(path: str) -> str:
    """A path as the master sends it, on this node's file system.

    Nodes relocated below a root directory (GANETI_ROOTDIR) receive paths
    without that root; paths already below the root are kept.
    """
    root = pathutils.get_root()
    if not root or not path or path == root or path.startswith(root + "/"):
        return path
    return root + path


def DeviceSizeBytes(path: str) -> int:
    """Size of a file or block device in bytes (seek to its end)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as err:
        ThrowError("Can't open %s to get its size: %s", path, err.strerror)
    try:
        return os.lseek(fd, 0, os.SEEK_END)
    except OSError as err:
        ThrowError("Can't get the size of %s: %s", path, err.strerror)
    finally:
        os.close(fd)
    return 0  # not reached


def RefuseExclusiveStorage(excl_stor: bool, kind: str) -> None:
    """Devices that can't honour exclusive_storage are never asked to."""
    if excl_stor:
        raise errors.ProgrammerError("%s device requested with"
                                     " exclusive_storage" % kind)


def CheckIdPair(unique_id: Any, what: str) -> Tuple[str, str]:
    """A two-element logical_id as a tuple of strings, or BlockDeviceError."""
    if not isinstance(unique_id, (list, tuple)) or len(unique_id) != 2 \
            or not all(isinstance(v, str) for v in unique_id):
        ThrowError("Invalid logical id for a %s device: %r", what, unique_id)
    return tuple(unique_id)  # type: ignore[return-value]


class BlockDev:
    """One block device of a disk on this node.

    Attributes every subclass keeps current: ``dev_path`` (None while not
    attached), ``major``/``minor`` (device numbers when known), ``attached``,
    ``unique_id`` (the logical id), ``size`` (MiB), ``params`` (logical-disk
    parameters) and ``dyn_params`` (per-node parameters, DRBD only).
    """

    def __init__(self, unique_id: Sequence, children: Optional[List["BlockDev"]],
                 size: int, params: Optional[Dict[str, Any]],
                 dyn_params: Optional[Dict[str, Any]] = None,
                 name: Optional[str] = None, uuid: Optional[str] = None
                 ) -> None:
        self._children: List[BlockDev] = list(children or [])
        self.unique_id = tuple(unique_id)
        self.dev_path: Optional[str] = None
        self.major: Optional[int] = None
        self.minor: Optional[int] = None
        self.attached = False
        self.size = size
        self.params = dict(params or {})
        self.dyn_params = dict(dyn_params or {})
        self.name = name
        self.uuid = uuid

    # --- life cycle (subclasses implement) ---------------------------------

    @classmethod
    def Create(cls, unique_id: Sequence, children: List["BlockDev"],
               size: int, spindles: Optional[int], params: Dict[str, Any],
               excl_stor: bool, dyn_params: Dict[str, Any],
               **kwargs: Any) -> "BlockDev":
        """Create the device on this node and return it (attached)."""
        raise NotImplementedError

    def Attach(self) -> bool:
        """Look for the device; set dev_path/major/minor/attached."""
        raise NotImplementedError

    def Assemble(self) -> None:
        """Make the device usable (activate it); it must already exist."""

    def Shutdown(self) -> None:
        """Undo Assemble (the data stays)."""
        raise NotImplementedError

    def Remove(self) -> None:
        """Destroy the device and its data."""
        raise NotImplementedError

    def Rename(self, new_id: Sequence) -> None:
        """Give the device a new logical id."""
        raise NotImplementedError

    def AddChildren(self, devices: list) -> None:
        """Attach new local backing devices (mirrors only)."""
        ThrowError("Device %s does not support adding children", self)

    def RemoveChildren(self, devices: list) -> None:
        """Detach local backing devices (mirrors only)."""
        ThrowError("Device %s does not support removing children", self)

    def Open(self, force: bool = False, exclusive: bool = True) -> None:
        """Make the device ready for I/O (read-write for mirrors)."""
        raise NotImplementedError

    def Close(self) -> None:
        """Undo Open."""
        raise NotImplementedError

    def Grow(self, amount: int, dryrun: bool, backingstore: bool,
             excl_stor: bool) -> None:
        """Grow by amount MiB.

        backingstore: grow the storage that holds the data (LV, file)
        rather than a layer on top of it (DRBD); dryrun: only check.
        """
        raise NotImplementedError

    def Snapshot(self, snap_name: Optional[str] = None,
                 snap_size: Optional[int] = None) -> Tuple[str, str]:
        ThrowError("Snapshots are not supported for %s devices",
                   self.__class__.__name__)
        return ("", "")  # not reached

    # --- information ---------------------------------------------------------

    def SetInfo(self, text: str) -> None:
        """Attach a free-form note (the owning instance) to the device."""

    def SetSyncParams(self, params: Dict[str, Any]) -> List[str]:
        """Apply synchronisation parameters; returns error messages."""
        errs: List[str] = []
        for child in self._children:
            if child is not None:
                errs.extend(child.SetSyncParams(params))
        return errs

    def PauseResumeSync(self, pause: bool) -> bool:
        """Pause or resume resynchronisation; True if all went well."""
        result = True
        for child in self._children:
            if child is not None:
                result = child.PauseResumeSync(pause) and result
        return result

    def GetSyncStatus(self):
        """This device's own status (objects.BlockDevStatus)."""
        from ganeti import objects
        return objects.BlockDevStatus(
            dev_path=self.dev_path, major=self.major, minor=self.minor,
            sync_percent=None, estimated_time=None, is_degraded=False,
            ldisk_status=LDS_OKAY)

    def CombinedSyncStatus(self):
        """Status of the device merged with its children's.

        Lowest sync percentage, longest estimated time, degraded if any is
        and the worst local disk status win.
        """
        from ganeti import objects
        status = self.GetSyncStatus()
        percent = status.sync_percent
        est = status.estimated_time
        degraded = bool(status.is_degraded)
        ldisk = status.ldisk_status
        for child in self._children:
            if child is None:
                continue
            cst = child.GetSyncStatus()
            if cst.sync_percent is not None:
                percent = cst.sync_percent if percent is None \
                    else min(percent, cst.sync_percent)
            if cst.estimated_time is not None:
                est = cst.estimated_time if est is None \
                    else max(est, cst.estimated_time)
            degraded = degraded or bool(cst.is_degraded)
            if cst.ldisk_status is not None:
                ldisk = cst.ldisk_status if ldisk is None \
                    else max(ldisk, cst.ldisk_status)
        return objects.BlockDevStatus(
            dev_path=status.dev_path, major=status.major, minor=status.minor,
            sync_percent=percent, estimated_time=est, is_degraded=degraded,
            ldisk_status=ldisk)

    def GetActualSize(self) -> int:
        """The device's real size in bytes."""
        if not self.attached and not self.Attach():
            ThrowError("Can't get the size of %s: device not found",
                       self.dev_path or str(self.unique_id))
        return DeviceSizeBytes(self.dev_path)  # type: ignore[arg-type]

    def GetActualSpindles(self) -> Optional[int]:
        """Spindles used (only meaningful for exclusive LVM storage)."""
        return None

    def GetActualDimensions(self) -> Tuple[int, Optional[int]]:
        """(size in bytes, spindles or None)."""
        return self.GetActualSize(), self.GetActualSpindles()

    def GetUserspaceAccessUri(self, hypervisor: str) -> str:
        ThrowError("This device doesn't support userspace access")
        return ""  # not reached

    def __repr__(self) -> str:
        return ("<%s: unique_id: %s, children: %s, %s:%s, %s>" %
                (self.__class__.__name__, self.unique_id, self._children,
                 self.major, self.minor, self.dev_path))
