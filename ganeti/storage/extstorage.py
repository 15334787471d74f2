"""Disks of the ``ext`` template: volumes of an ExtStorage provider.

A provider is a directory of the ExtStorage search path holding the
scripts create, attach, detach, remove, grow, setinfo and verify (and
optionally snapshot, open, close) and a ``parameters.list``.  Each action
runs its script with the volume in the environment (VOL_NAME, VOL_SIZE,
VOL_NEW_SIZE, VOL_METADATA, VOL_CNAME, VOL_UUID, VOL_SNAPSHOT_NAME,
VOL_SNAPSHOT_SIZE, VOL_OPEN_EXCLUSIVE and EXTP_<PARAM> for the provider
parameters), its output going to a log file below
/var/log/ganeti/extstorage.  ``attach`` prints the block device path on
its first line (and optionally a userspace URI on the second).
"""

import logging
import os
import stat
import time
from typing import Any, Dict, Optional, Sequence, Tuple

from ganeti import errors
from ganeti import pathutils
from ganeti.storage import base
from ganeti.utils import process as utils_process

ES_ACTION_CREATE = "create"
ES_ACTION_REMOVE = "remove"
ES_ACTION_GROW = "grow"
ES_ACTION_ATTACH = "attach"
ES_ACTION_DETACH = "detach"
ES_ACTION_SETINFO = "setinfo"
ES_ACTION_VERIFY = "verify"
ES_ACTION_SNAPSHOT = "snapshot"
ES_ACTION_OPEN = "open"
ES_ACTION_CLOSE = "close"
# Scripts a provider may lack (the action is then skipped, or refused
# for snapshot).
ES_OPTIONAL_SCRIPTS = frozenset([ES_ACTION_SNAPSHOT, ES_ACTION_OPEN,
                                 ES_ACTION_CLOSE])
# Disk parameters that are Ganeti's, not the provider's.
_NON_PROVIDER_PARAMS = frozenset(["provider", "access"])
# Lines of a failed script's output quoted in the error.
_ERROR_TAIL_LINES = 20


def FindProvider(name: str) -> str:
    """The directory of provider name (first in the search path)."""
    if name and "/" not in name and name not in (".", ".."):
        for top in pathutils.ES_SEARCH_PATH:
            path = os.path.join(top, name)
            if os.path.isdir(path):
                return path
    base.ThrowError("Directory for External Storage Provider %s not found"
                    " in search path", name)
    return ""  # not reached


def ProviderEnvironment(vol_name: str, params: Dict[str, Any],
                        **volume: Any) -> Dict[str, str]:
    """The environment of a provider script: VOL_* from volume (keys in
    lower case: size, new_size, metadata, cname, uuid, snapshot_name,
    snapshot_size, open_exclusive; None values left out) and EXTP_* from
    the provider parameters."""
    env = {"VOL_NAME": vol_name}
    for key, value in volume.items():
        if value is not None:
            env["VOL_%s" % key.upper()] = str(value)
    for key, value in sorted((params or {}).items()):
        if key not in _NON_PROVIDER_PARAMS:
            env["EXTP_%s" % key.upper()] = str(value)
    return env


def _LogFile(action: str, provider: str, vol_name: str) -> str:
    directory = os.path.join(pathutils.LOG_DIR, "extstorage")
    os.makedirs(directory, exist_ok=True)
    return os.path.join(directory, "%s-%s-%s-%s.log" % (
        action, provider, vol_name, time.strftime("%Y-%m-%d_%H_%M_%S")))


def RunAction(action: str, unique_id: Sequence, params: Dict[str, Any],
              **volume: Any) -> Optional[str]:
    """Run the provider's script for action; its output (None if an
    optional script is missing).  A failure raises BlockDeviceError with
    the end of the script's output."""
    provider, vol_name = base.CheckIdPair(unique_id, "ext")
    script = os.path.join(FindProvider(provider), action)
    if not os.path.isfile(script) or not os.access(script, os.X_OK):
        if action in ES_OPTIONAL_SCRIPTS and not os.path.exists(script):
            return None
        base.ThrowError("ExtStorage provider %s has no executable '%s'"
                        " script", provider, action)
    env = ProviderEnvironment(vol_name, params, **volume)
    result = utils_process.RunCmd([script], env=env,
                                  cwd=os.path.dirname(script))
    try:
        with open(_LogFile(action, provider, vol_name), "w") as handle:
            handle.write(result.output)
    except OSError as err:
        logging.warning("Can't write the log of ExtStorage %s of %s: %s",
                        action, vol_name, err)
    if result.failed:
        lines = result.output.splitlines()[-_ERROR_TAIL_LINES:]
        base.ThrowError("External storage's %s script failed (%s), last"
                        " lines of output:\n%s", action, result.fail_reason,
                        "\n".join(lines))
    return result.stdout


class ExtStorageDevice(base.BlockDev):
    """A volume of an ExtStorage provider (logical id: provider, name)."""

    def __init__(self, unique_id: Sequence, children: Optional[list],
                 size: int, params: Optional[Dict[str, Any]],
                 dyn_params: Optional[Dict[str, Any]] = None,
                 **kwargs: Any) -> None:
        provider, vol_name = base.CheckIdPair(unique_id, "ext")
        super().__init__(unique_id, children, size, params, dyn_params,
                         **kwargs)
        self.driver = provider
        self.vol_name = vol_name
        self.uri: Optional[str] = None
        self.Attach()

    def _Run(self, action: str, **volume: Any) -> Optional[str]:
        return RunAction(action, self.unique_id, self.params,
                         cname=self.name, uuid=self.uuid, **volume)

    @classmethod
    def Create(cls, unique_id: Sequence, children: list, size: int,
               spindles: Optional[int], params: Dict[str, Any],
               excl_stor: bool, dyn_params: Dict[str, Any],
               **kwargs: Any) -> "ExtStorageDevice":
        """Verify the parameters, then create the volume (size MiB)."""
        base.RefuseExclusiveStorage(excl_stor, "ExtStorage")
        volume = {"cname": kwargs.get("name"), "uuid": kwargs.get("uuid")}
        RunAction(ES_ACTION_VERIFY, unique_id, params, **volume)
        RunAction(ES_ACTION_CREATE, unique_id, params, size=size, **volume)
        return cls(unique_id, children, size, params, dyn_params, **kwargs)

    def Attach(self) -> bool:
        """Run attach; the device is the block device it names."""
        self.attached = False
        try:
            output = self._Run(ES_ACTION_ATTACH)
        except errors.BlockDeviceError:
            return False
        lines = [l.strip() for l in (output or "").splitlines()
                 if l.strip()]
        if not lines:
            logging.error("ExtStorage attach of %s printed no device path",
                          self.vol_name)
            return False
        path = lines[0]
        self.uri = lines[1] if len(lines) > 1 else None
        try:
            st = os.stat(path)
        except OSError as err:
            logging.error("Error stat()'ing %s: %s", path, err)
            return False
        if not stat.S_ISBLK(st.st_mode):
            logging.error("%s is not a block device", path)
            return False
        self.dev_path = path
        self.major = os.major(st.st_rdev)
        self.minor = os.minor(st.st_rdev)
        self.attached = True
        return True

    def Assemble(self) -> None:
        if not self.Attach():
            base.ThrowError("Can't attach to ExtStorage device %s",
                            self.vol_name)

    def Shutdown(self) -> None:
        """Detach the volume from this node (the data stays)."""
        self._Run(ES_ACTION_DETACH)
        self.attached = False
        self.dev_path = None

    def Remove(self) -> None:
        self._Run(ES_ACTION_REMOVE)
        self.attached = False
        self.dev_path = None

    def Rename(self, new_id: Sequence) -> None:
        """Volumes keep their name (upstream: a no-op)."""

    def Open(self, force: bool = False, exclusive: bool = True) -> None:
        self._Run(ES_ACTION_OPEN, open_exclusive=exclusive)

    def Close(self) -> None:
        self._Run(ES_ACTION_CLOSE)

    def Grow(self, amount: int, dryrun: bool, backingstore: bool,
             excl_stor: bool) -> None:
        """Grow the volume by amount MiB (grow script: VOL_SIZE is the
        current size, VOL_NEW_SIZE the new one)."""
        if not backingstore or dryrun:
            return
        if not self.attached:
            base.ThrowError("Can't find ExtStorage device %s", self.vol_name)
        new_size = self.size + int(amount)
        self._Run(ES_ACTION_GROW, size=self.size, new_size=new_size)
        self.size = new_size

    def SetInfo(self, text: str) -> None:
        """Hand the note to the provider (VOL_METADATA)."""
        self._Run(ES_ACTION_SETINFO, metadata=text)

    def Snapshot(self, snap_name: Optional[str] = None,
                 snap_size: Optional[int] = None) -> Tuple[str, str]:
        output = self._Run(ES_ACTION_SNAPSHOT, snapshot_name=snap_name,
                           snapshot_size=snap_size)
        if output is None:
            base.ThrowError("ExtStorage provider %s does not support"
                            " snapshots", self.driver)
        return (self.driver, snap_name or "")

    def GetActualSize(self) -> int:
        if not self.attached or not self.dev_path:
            base.ThrowError("Can't find ExtStorage device %s", self.vol_name)
        return base.DeviceSizeBytes(self.dev_path or "")

    def GetUserspaceAccessUri(self, hypervisor: str) -> Optional[str]:
        return self.uri
