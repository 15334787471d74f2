"""Adopted block devices (disk template ``blockdev``).

The administrator hands Ganeti an existing block device below /dev; its
logical_id is ``["manual", path]``.  Ganeti never creates, resizes, renames
or destroys such a device: "create" only checks that it is there and is a
block device, "remove" leaves it alone.
"""

import logging
import os
import stat
from typing import Any, Dict, Optional, Sequence

from ganeti import constants
from ganeti import errors
from ganeti.storage import base

BLOCKDEV_DRIVERS = frozenset([constants.BLOCKDEV_DRIVER_MANUAL])
DEV_PREFIX = "/dev/"


class PersistentBlockDevice(base.BlockDev):
    """A pre-existing block device used as a disk as it is."""

    def __init__(self, unique_id: Sequence, children: Optional[list],
                 size: int, params: Optional[Dict[str, Any]],
                 dyn_params: Optional[Dict[str, Any]] = None,
                 **kwargs: Any) -> None:
        mode, path = base.CheckIdPair(unique_id, "blockdev")
        if mode not in BLOCKDEV_DRIVERS:
            base.ThrowError("Got persistent block device of invalid type: %s",
                            mode)
        real = os.path.realpath(path)
        if not real.startswith(DEV_PREFIX):
            base.ThrowError("Full path '%s' lies outside /dev", real)
        super().__init__(unique_id, children, size, params, dyn_params,
                         **kwargs)
        self.dev_path = path
        self.Attach()

    @classmethod
    def Create(cls, unique_id: Sequence, children: list, size: int,
               spindles: Optional[int], params: Dict[str, Any],
               excl_stor: bool, dyn_params: Dict[str, Any],
               **kwargs: Any) -> "PersistentBlockDevice":
        """Adopt the device: it must exist and be a block device."""
        base.RefuseExclusiveStorage(excl_stor, "Persistent block")
        dev = cls(unique_id, children, size, params, dyn_params, **kwargs)
        if not dev.attached:
            base.ThrowError("Block device '%s' does not exist or is not a"
                            " block device", dev.dev_path)
        return dev

    def Attach(self) -> bool:
        try:
            st = os.stat(self.dev_path)
        except OSError as err:
            logging.info("Error stat()'ing %s: %s", self.dev_path, err)
            self.attached = False
            return False
        if not stat.S_ISBLK(st.st_mode):
            logging.error("%s is not a block device", self.dev_path)
            self.attached = False
            return False
        self.major = os.major(st.st_rdev)
        self.minor = os.minor(st.st_rdev)
        self.attached = True
        return True

    def Assemble(self) -> None:
        if not self.Attach():
            base.ThrowError("Block device '%s' does not exist or is not a"
                            " block device", self.dev_path)

    def Shutdown(self) -> None:
        """Adopted devices stay as they are."""

    def Open(self, force: bool = False, exclusive: bool = True) -> None:
        """Nothing to do."""

    def Close(self) -> None:
        """Nothing to do."""

    def Remove(self) -> None:
        """Adopted devices are never destroyed by Ganeti."""

    def Rename(self, new_id: Sequence) -> None:
        base.ThrowError("Rename is not supported for PersistentBlockDev"
                        " storage")

    def Grow(self, amount: int, dryrun: bool, backingstore: bool,
             excl_stor: bool) -> None:
        base.ThrowError("Grow is not supported for PersistentBlockDev"
                        " storage")


def GetBlockDeviceSizes(devices: Sequence[str]) -> Dict[str, int]:
    """Size in MiB of each path in devices that is a block device in /dev.

    Other paths (missing, not block devices, outside /dev) are left out.
    """
    sizes: Dict[str, int] = {}
    for path in devices:
        if not isinstance(path, str) or not path.startswith(DEV_PREFIX) \
                or not os.path.realpath(path).startswith(DEV_PREFIX):
            continue
        try:
            st = os.stat(path)
        except OSError as err:
            logging.warning("Error stat()'ing device %s: %s", path, err)
            continue
        if not stat.S_ISBLK(st.st_mode):
            continue
        try:
            sizes[path] = base.DeviceSizeBytes(path) // base.MIB
        except errors.BlockDeviceError as err:
            logging.warning("Can't get the size of %s: %s", path, err)
    return sizes
