"""What confd answers from: this node's config.data and hmac.key.

ConfigSource reloads both when their files change (replication renames a
new config.data into place; demotion from master candidate removes it).
Changes are noticed through inotify on the data directory (pyinotify) and,
as a fallback, by a stat check every CONFD_CONFIG_STAT_INTERVAL seconds.
"""

import logging
import os
import time
from typing import Optional, Tuple

from ganeti import constants
from ganeti import pathutils
from ganeti import serializer
from ganeti.confd.queries import ConfigSnapshot

_WATCHED_EVENTS = ("IN_CLOSE_WRITE", "IN_MOVED_TO", "IN_MOVED_FROM",
                   "IN_DELETE", "IN_CREATE", "IN_ATTRIB")

Signature = Optional[Tuple[int, int, int, int]]


def _FileSignature(path: str) -> Signature:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class ConfigSource:
    """The current snapshot and HMAC key, reloaded when their files change."""

    def __init__(self, config_file: Optional[str] = None,
                 key_file: Optional[str] = None) -> None:
        self.config_file = config_file or pathutils.CLUSTER_CONF_FILE
        self.key_file = key_file or pathutils.CONFD_HMAC_KEY
        self.snapshot: Optional[ConfigSnapshot] = None
        self.key: Optional[str] = None
        self._signatures: Tuple[Signature, Signature] = (None, None)
        self._loaded_once = False
        self._last_reload = 0.0
        self.reloads = 0

    def _Signatures(self) -> Tuple[Signature, Signature]:
        return (_FileSignature(self.config_file),
                _FileSignature(self.key_file))

    def Changed(self) -> bool:
        return not self._loaded_once or \
            self._Signatures() != self._signatures

    def Reload(self) -> None:
        """Load both files as they are now (a missing file means none)."""
        signatures = self._Signatures()
        self._signatures = signatures
        self._loaded_once = True
        self._last_reload = time.monotonic()
        self.reloads += 1
        self.key = self._LoadKey(signatures[1])
        self.snapshot = self._LoadConfig(signatures[0])

    def _LoadKey(self, signature: Signature) -> Optional[str]:
        if signature is None:
            logging.warning("No HMAC key %s: no request can be answered",
                            self.key_file)
            return None
        try:
            with open(self.key_file) as handle:
                key = handle.read().strip()
        except OSError as err:
            logging.error("Can't read HMAC key %s: %s", self.key_file, err)
            return None
        return key or None

    def _LoadConfig(self, signature: Signature) -> Optional[ConfigSnapshot]:
        if signature is None:
            if self.snapshot is not None:
                logging.info("Configuration %s is gone (no longer a master"
                             " candidate?)", self.config_file)
            return None
        try:
            with open(self.config_file, "rb") as handle:
                snapshot = ConfigSnapshot(serializer.LoadJson(handle.read()))
        except (OSError, ValueError, KeyError, TypeError,
                AttributeError) as err:
            logging.error("Can't load configuration %s: %s",
                          self.config_file, err)
            return self.snapshot
        logging.info("Loaded configuration, serial %d", snapshot.serial)
        return snapshot

    def ReloadIfChanged(self) -> bool:
        """Reload if a file changed; True if it did."""
        if not self.Changed():
            return False
        self.Reload()
        return True

    def NextReloadAllowed(self) -> float:
        """The monotonic time before which no reload should happen."""
        return self._last_reload + constants.CONFD_CONFIG_RELOAD_RATELIMIT


class DirectoryWatcher:
    """Inotify on the directory holding config.data (None fd if unusable).

    Only says "something changed"; ConfigSource decides what to reload.
    """

    def __init__(self, directory: str, names: Tuple[str, ...]) -> None:
        self._directory = directory
        self._names = frozenset(names)
        self._manager = None
        self._notifier = None
        self._pending = False
        self.fd: Optional[int] = None
        self.Arm()

    def Arm(self) -> None:
        """Start watching (again, after the directory was replaced)."""
        if self._manager is not None and \
                self._manager.get_wd(self._directory) is not None:
            return
        self.Close()
        try:
            import pyinotify  # pylint: disable=import-outside-toplevel
        except ImportError:
            return
        mask = 0
        for name in _WATCHED_EVENTS:
            mask |= getattr(pyinotify, name)
        watcher = self

        class _Handler(pyinotify.ProcessEvent):
            def process_default(self, event):  # noqa: N802 (pyinotify API)
                if event.name in watcher._names or event.mask & \
                        (pyinotify.IN_IGNORED | pyinotify.IN_DELETE_SELF):
                    watcher._pending = True

        manager = pyinotify.WatchManager()
        result = manager.add_watch(self._directory, mask, quiet=True)
        if result.get(self._directory, -1) < 0:
            manager.close()
            return
        self._manager = manager
        self._notifier = pyinotify.Notifier(manager, _Handler(), timeout=0)
        self.fd = manager.get_fd()

    def Read(self) -> bool:
        """Consume pending events; True if a watched file changed."""
        if self._notifier is None:
            return False
        self._pending = False
        if self._notifier.check_events(timeout=0):
            self._notifier.read_events()
            self._notifier.process_events()
        return self._pending

    def Close(self) -> None:
        if self._manager is not None:
            self._manager.close()
        self._manager = self._notifier = None
        self.fd = None
