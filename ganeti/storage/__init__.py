"""Node-side block devices: one class per disk type, and the three entry
points the node daemon uses (Create, FindDevice, Assemble).

Each takes an objects.Disk (as sent by the master, parameters filled) and
the already-found BlockDev objects of its children:

  Create(disk, children, excl_stor) -> BlockDev   make the device
  FindDevice(disk, children) -> BlockDev or None  look for it, change nothing
  Assemble(disk, children) -> BlockDev            activate an existing one

Device classes live in base.py (BlockDev), filestorage.py (file,
sharedfile), blockdev.py (adopted block devices), lvm.py (plain) and
drbd.py (drbd); they are imported on first use.
"""

import importlib
from typing import Any, Dict, List, Optional

from ganeti import constants
from ganeti.storage import base

DT_PLAIN = constants.DT_PLAIN
DT_DRBD8 = constants.DT_DRBD8
DT_FILE = constants.DT_FILE
DT_SHARED_FILE = constants.DT_SHARED_FILE
DT_BLOCK = constants.DT_BLOCK
DT_EXT = constants.DT_EXT

# dev_type -> (module, class)
_DEV_MAP = {
    DT_PLAIN: ("ganeti.storage.lvm", "LogicalVolume"),
    DT_DRBD8: ("ganeti.storage.drbd", "DRBD8Dev"),
    DT_FILE: ("ganeti.storage.filestorage", "FileStorage"),
    DT_SHARED_FILE: ("ganeti.storage.filestorage", "FileStorage"),
    DT_BLOCK: ("ganeti.storage.blockdev", "PersistentBlockDevice"),
    DT_EXT: ("ganeti.storage.extstorage", "ExtStorageDevice"),
}
SUPPORTED_DEV_TYPES = frozenset(_DEV_MAP)


def DeviceClass(dev_type: str):
    """The BlockDev subclass for a disk's dev_type (BlockDeviceError if
    this node can't handle that type)."""
    entry = _DEV_MAP.get(dev_type)
    if entry is None:
        base.ThrowError("Unsupported block device type '%s'", dev_type)
    module, name = entry  # type: ignore[misc]
    return getattr(importlib.import_module(module), name)


def _DefaultParams(dev_type: str) -> Dict[str, Any]:
    if dev_type == DT_PLAIN:
        from ganeti.storage import lvm
        return dict(lvm.DEFAULT_PARAMS)
    if dev_type == DT_DRBD8:
        from ganeti.storage import drbd_info
        return dict(drbd_info.DEFAULT_PARAMS)
    return {}


def DiskParams(disk) -> Dict[str, Any]:
    """The disk's logical-disk parameters over the built-in defaults."""
    params = _DefaultParams(disk.dev_type)
    params.update(disk.params or {})
    return params


def _Args(disk) -> Dict[str, Any]:
    return {"name": disk.name, "uuid": disk.uuid}


def Create(disk, children: List[base.BlockDev], excl_stor: bool
           ) -> base.BlockDev:
    cls = DeviceClass(disk.dev_type)
    return cls.Create(disk.logical_id, children, disk.size, disk.spindles,
                      DiskParams(disk), excl_stor,
                      getattr(disk, "dynamic_params", None) or {},
                      **_Args(disk))


def _Instantiate(disk, children: List[Optional[base.BlockDev]]
                 ) -> base.BlockDev:
    cls = DeviceClass(disk.dev_type)
    return cls(disk.logical_id, children, disk.size, DiskParams(disk),
               getattr(disk, "dynamic_params", None) or {}, **_Args(disk))


def FindDevice(disk, children: List[Optional[base.BlockDev]]
               ) -> Optional[base.BlockDev]:
    device = _Instantiate(disk, children)
    return device if device.attached else None


def Assemble(disk, children: List[Optional[base.BlockDev]]
             ) -> base.BlockDev:
    device = _Instantiate(disk, children)
    device.Assemble()
    return device


# What a disk type needs on a node that is not its primary.

def AssembleOnSecondary(disk) -> bool:
    """DRBD (and its LVs) run on the secondary node too."""
    return disk.dev_type in (DT_DRBD8, DT_PLAIN)


def OpenOnSecondary(disk) -> bool:
    """LVs below a secondary DRBD must be usable read-write."""
    return disk.dev_type == DT_PLAIN


def ChildrenNeeded(disk) -> int:
    """How many children must work (-1: all); DRBD can run diskless."""
    return 0 if disk.dev_type == DT_DRBD8 else -1
