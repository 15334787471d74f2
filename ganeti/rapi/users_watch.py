"""Keeping the RAPI users file fresh and replicated.

UsersWatcher re-reads the users file as soon as it changes: it watches the
file's directory with inotify (pyinotify, so that an editor's
write-and-rename is seen too) and falls back to checking the file's stat
once a second where inotify is unavailable or the directory is missing.

UsersReplicator pushes a changed users file to the other nodes, as it is
one of the ancillary files: once the file has settled it submits one
OpClusterRedistConf job (what ``gnt-cluster redist-conf`` does), so that a
new master after a failover knows the same users.
"""

import logging
import os
import threading
import time
import warnings
from typing import Any, Callable, Optional

from ganeti import constants
from ganeti import opcodes
from ganeti.rapi.users import UsersFile

try:
    with warnings.catch_warnings():
        # pyinotify imports asyncore, deprecated in Python 3.11
        warnings.simplefilter("ignore", DeprecationWarning)
        import pyinotify
except ImportError:  # pragma: no cover - pyinotify is in requirements.txt
    pyinotify = None

POLL_INTERVAL = 1.0
_INOTIFY_MASK = 0
if pyinotify is not None:
    _INOTIFY_MASK = (pyinotify.IN_CLOSE_WRITE | pyinotify.IN_MOVED_TO |
                     pyinotify.IN_MOVED_FROM | pyinotify.IN_CREATE |
                     pyinotify.IN_DELETE | pyinotify.IN_ATTRIB |
                     pyinotify.IN_DELETE_SELF | pyinotify.IN_MOVE_SELF)
    _LOST_MASK = (pyinotify.IN_DELETE_SELF | pyinotify.IN_MOVE_SELF |
                  pyinotify.IN_IGNORED)

# The settle time of a changed file before it is replicated, the longest a
# stream of changes may delay it, and the bounded retries of a failed
# submission.
SETTLE_TIME = 2.0
MAX_DELAY = 10.0
RETRY_INTERVAL = 30.0
MAX_ATTEMPTS = 3
REPLICATION_REASON = "RAPI users file changed"


class UsersWatcher:
    """A thread re-reading a UsersFile when it changes (Start/Stop)."""

    def __init__(self, users: UsersFile, use_inotify: bool = True) -> None:
        self.users = users
        self._use_inotify = use_inotify and pyinotify is not None
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._manager: Any = None
        self._notifier: Any = None
        self._event_seen = False
        self._watch_lost = False

    @property
    def inotify_active(self) -> bool:
        return self._notifier is not None

    def Start(self) -> None:
        self._thread = threading.Thread(target=self._Run, name="rapi-users",
                                        daemon=True)
        self._thread.start()

    def Stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        self._CloseInotify()

    def _Run(self) -> None:
        while not self._stop.is_set():
            try:
                self._Step()
            except Exception:  # pylint: disable=broad-except
                logging.exception("Error watching the RAPI users file")
                self._CloseInotify()
                self._stop.wait(POLL_INTERVAL)

    def _Step(self) -> None:
        if self._notifier is None and self._use_inotify:
            self._OpenInotify()
        if self._notifier is None:
            self._stop.wait(POLL_INTERVAL)
            self.users.Check()
            return
        if self._notifier.check_events(int(POLL_INTERVAL * 1000)):
            self._notifier.read_events()
            self._event_seen = self._watch_lost = False
            self._notifier.process_events()
            if self._watch_lost:
                # the directory went away: poll until it is back
                self._CloseInotify()
            if self._event_seen or self._watch_lost:
                self.users.Check()

    def _OpenInotify(self) -> None:
        directory = os.path.dirname(self.users.path) or "."
        if not os.path.isdir(directory):
            return
        manager = pyinotify.WatchManager()
        result = manager.add_watch(directory, _INOTIFY_MASK, quiet=True)
        if result.get(directory, -1) < 0:
            manager.close()
            return
        self._manager = manager
        self._notifier = pyinotify.Notifier(manager, self._OnEvent)
        self.users.watched = True
        # A change between the last check and the watch must not be missed.
        self.users.Check()

    def _CloseInotify(self) -> None:
        self.users.watched = False
        if self._notifier is not None:
            try:
                self._notifier.stop()
            except OSError:
                pass
        self._notifier = None
        self._manager = None

    def _OnEvent(self, event: Any) -> None:
        if event.mask & _LOST_MASK:
            self._watch_lost = True
        elif event.name == os.path.basename(self.users.path):
            self._event_seen = True


class UsersReplicator:
    """Submits a redistribution job when the users file changed.

    Changed() is the UsersFile's on_change callback; submit_fn(ops) submits
    one job.  The thread waits for the file to settle (SETTLE_TIME without
    another change, MAX_DELAY at most), then submits; a failed submission
    is retried MAX_ATTEMPTS times in all.
    """

    def __init__(self, submit_fn: Callable[[list], Any],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._submit_fn = submit_fn
        self._clock = clock
        self._cond = threading.Condition()
        self._first_change: Optional[float] = None
        self._last_change = 0.0
        self._stop = False
        self._thread: Optional[threading.Thread] = None

    def Changed(self) -> None:
        with self._cond:
            now = self._clock()
            if self._first_change is None:
                self._first_change = now
            self._last_change = now
            self._cond.notify_all()

    def Start(self) -> None:
        self._thread = threading.Thread(target=self._Run,
                                        name="rapi-users-replication",
                                        daemon=True)
        self._thread.start()

    def Stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(10)

    def DueIn(self) -> Optional[float]:
        """Seconds until a pending replication is due (None: none pending)."""
        with self._cond:
            return self._DueIn()

    def _DueIn(self) -> Optional[float]:
        if self._first_change is None:
            return None
        due = min(self._last_change + SETTLE_TIME,
                  self._first_change + MAX_DELAY)
        return max(0.0, due - self._clock())

    def _Run(self) -> None:
        while True:
            with self._cond:
                while not self._stop:
                    wait = self._DueIn()
                    if wait == 0.0:
                        break
                    self._cond.wait(wait)
                if self._stop:
                    return
                self._first_change = None
            self.Submit()

    def Submit(self) -> Optional[Any]:
        """Submit the redistribution job (with retries); its id or None."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                job_id = self._submit_fn([RedistOpcode()])
                logging.info("RAPI users file changed, submitted job %s to"
                             " redistribute it", job_id)
                return job_id
            except Exception as err:  # pylint: disable=broad-except
                logging.warning("Could not submit the redistribution of the"
                                " RAPI users file (attempt %d of %d): %s",
                                attempt, MAX_ATTEMPTS, err)
            with self._cond:
                if self._stop or attempt == MAX_ATTEMPTS:
                    break
                self._cond.wait(RETRY_INTERVAL)
                if self._stop:
                    break
        return None


def RedistOpcode() -> opcodes.OpClusterRedistConf:
    """The redistribution opcode, with the reason naming the users file."""
    reason = [["%s:redist_config" % constants.OPCODE_REASON_SRC_RLIB2,
               REPLICATION_REASON, time.time_ns()]]
    return opcodes.OpClusterRedistConf(reason=reason)
