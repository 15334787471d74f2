"""The per-group watcher state file (``watcher.<group-uuid>.data``).

Upstream's JSON format: ``{"instance": {name: {"restart_count": n,
"restart_when": t, "cleanup_count": n, "cleanup_when": t}}, "node":
{name: {"bootid": id}}}``.  The file is held under an exclusive lock for
the whole run of a group watcher, so two watchers never work on the same
group at once; saving replaces it atomically and keeps the lock on the new
file.
"""

import fcntl
import logging
import os
import time
from typing import IO, Iterable, Optional

from ganeti import errors
from ganeti import serializer
from ganeti.utils import io as uio

KEY_RESTART_COUNT = "restart_count"
KEY_RESTART_WHEN = "restart_when"
KEY_CLEANUP_COUNT = "cleanup_count"
KEY_CLEANUP_WHEN = "cleanup_when"
KEY_BOOT_ID = "bootid"


def _LockExclusive(fd: int) -> None:
    """Lock fd exclusively without waiting (LockError if held elsewhere)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise errors.LockError("File already locked")


def OpenStateFile(path: str) -> Optional[IO]:
    """Open and lock the state file; None if another watcher holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _LockExclusive(fd)
    except errors.LockError as err:
        os.close(fd)
        logging.error("Can't acquire lock on state file %s: %s", path, err)
        return None
    return os.fdopen(fd, "r+")


class WatcherState:
    """Restart and cleanup counters per instance, boot ids per node."""

    def __init__(self, handle: IO) -> None:
        self._handle = handle
        self._data = {}
        text = handle.read()
        if text.strip():
            try:
                self._data = serializer.LoadJson(text)
            except ValueError as err:
                logging.warning("Invalid state file, starting afresh: %s",
                                err)
                self._data = {}
        if not isinstance(self._data, dict):
            self._data = {}
        for key in ("instance", "node"):
            if not isinstance(self._data.get(key), dict):
                self._data[key] = {}
        self._orig = serializer.DumpJson(self._data)

    @property
    def data(self) -> dict:
        return self._data

    def Save(self, filename: str) -> None:
        """Write the state (if it changed), keeping the file locked."""
        text = serializer.DumpJson(self._data)
        if text == self._orig:
            return
        fd = uio.WriteFile(filename, data=text, mode=0o600,
                           prewrite=_LockExclusive, close=False)
        self._handle.close()
        self._handle = os.fdopen(fd, "r+")
        self._orig = text

    def Close(self) -> None:
        """Release the lock."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    # nodes

    def GetNodeBootID(self, name: str) -> Optional[str]:
        return self._data["node"].get(name, {}).get(KEY_BOOT_ID)

    def SetNodeBootID(self, name: str, bootid: str) -> None:
        self._data["node"].setdefault(name, {})[KEY_BOOT_ID] = bootid

    # instances

    def NumberOfRestartAttempts(self, name: str) -> int:
        return self._data["instance"].get(name, {}).get(KEY_RESTART_COUNT, 0)

    def NumberOfCleanupAttempts(self, name: str) -> int:
        return self._data["instance"].get(name, {}).get(KEY_CLEANUP_COUNT, 0)

    def _Record(self, name: str, count_key: str, when_key: str) -> None:
        entry = self._data["instance"].setdefault(name, {})
        entry[when_key] = time.time()
        entry[count_key] = entry.get(count_key, 0) + 1

    def RecordRestartAttempt(self, name: str) -> None:
        self._Record(name, KEY_RESTART_COUNT, KEY_RESTART_WHEN)

    def RecordCleanupAttempt(self, name: str) -> None:
        self._Record(name, KEY_CLEANUP_COUNT, KEY_CLEANUP_WHEN)

    def RemoveInstance(self, name: str) -> None:
        self._data["instance"].pop(name, None)

    def MaintainInstanceList(self, names: Iterable[str]) -> None:
        """Forget instances that no longer exist."""
        keep = set(names)
        for name in list(self._data["instance"]):
            if name not in keep:
                del self._data["instance"][name]
