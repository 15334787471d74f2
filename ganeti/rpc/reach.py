"""Which nodes the master lately failed to reach.

RpcRunner.Call records every answer and every costly transport failure (no
answer after SLOW_FAILURE seconds or more: a connection or read timeout, an
unreachable host) here.  The distribution of cluster files (config.data and
ssconf pushes, ancillary files) skips a marked node instead of paying the
timeout again on every change, and tries it once more every RETRY_INTERVAL
seconds.  Queries and hooks (RpcRunner.Call with skip_unreachable) do not
wait for a marked node at all: they get its last error at once and the node
is probed in the background when its retry time has come.  Any answer from
the node, to any call, clears the mark, and so does
Reset() (gnt-cluster redist-conf).  Listeners hear about nodes that answer
again or are reset (the job queue replicator then retries them at once).

Cheap failures (connection refused, e.g. a node daemon restarting) are not
marked: trying those again costs nothing.
"""

import logging
import threading
import time
from typing import Callable, Dict, Iterable, List, Optional, Tuple

SLOW_FAILURE = 1.0
RETRY_INTERVAL = 30.0

Listener = Callable[[List[str]], None]


class NodeReach:
    """Marks of unreachable nodes: name -> (retry at, error message)."""

    def __init__(self, retry_interval: float = RETRY_INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.retry_interval = retry_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._marks: Dict[str, Tuple[float, str]] = {}
        self._listeners: List[Listener] = []

    def AddListener(self, fn: Listener) -> None:
        """fn(names) is called (without locks held) when marks are cleared."""
        with self._lock:
            self._listeners.append(fn)

    def RemoveListener(self, fn: Listener) -> None:
        with self._lock:
            if fn in self._listeners:
                self._listeners.remove(fn)

    def _Notify(self, names: List[str]) -> None:
        if not names:
            return
        with self._lock:
            listeners = list(self._listeners)
        for fn in listeners:
            try:
                fn(names)
            except Exception:  # pylint: disable=broad-except
                logging.exception("Node reachability listener failed")

    def Record(self, name: str, error: Optional[str], elapsed: float) -> None:
        """One call's outcome on one node (error None: the node answered)."""
        if error is None:
            self.Answered(name)
        elif elapsed >= SLOW_FAILURE:
            self.Failed(name, error)

    def Failed(self, name: str, msg: str) -> None:
        with self._lock:
            first = name not in self._marks
            self._marks[name] = (self._clock() + self.retry_interval, msg)
        if first:
            logging.warning("Node %s is unreachable (%s); file distribution"
                            " skips it until it answers again (retried every"
                            " %d s)", name, msg, self.retry_interval)

    def Answered(self, name: str) -> None:
        with self._lock:
            if not self._marks:
                return
            was = self._marks.pop(name, None)
        if was is not None:
            logging.info("Node %s answers again", name)
            self._Notify([name])

    def Reset(self, names: Optional[Iterable[str]] = None) -> List[str]:
        """Forget the marks (of names, or all); returns the names cleared."""
        with self._lock:
            if names is None:
                cleared = sorted(self._marks)
                self._marks.clear()
            else:
                cleared = sorted(n for n in set(names) if n in self._marks)
                for name in cleared:
                    del self._marks[name]
        self._Notify(cleared)
        return cleared

    def Unreachable(self) -> Dict[str, str]:
        """name -> last error of the marked nodes."""
        with self._lock:
            return {name: msg for name, (_, msg) in self._marks.items()}

    def Skip(self, name: str) -> Optional[str]:
        """The last error of name if it is marked (None if not)."""
        with self._lock:
            mark = self._marks.get(name)
        return None if mark is None else mark[1]

    def ProbeDue(self, name: str) -> bool:
        """Whether marked name should be tried again now; if so its next
        retry is pushed back (one prober at a time)."""
        with self._lock:
            mark = self._marks.get(name)
            if mark is None or mark[0] > self._clock():
                return False
            self._marks[name] = (self._clock() + self.retry_interval, mark[1])
            return True

    def Split(self, keys: Iterable[str],
              name_of: Optional[Callable[[str], str]] = None
              ) -> Tuple[List[str], Dict[str, str]]:
        """(keys to contact, {key: error} of keys to skip).

        A marked node whose retry time has come is contacted (and its next
        retry pushed back, so concurrent distributions don't all wait on
        it).  name_of maps keys (e.g. node uuids) to node names.
        """
        keys = list(keys)
        with self._lock:
            if not self._marks:
                return keys, {}
            now = self._clock()
            send, skip = [], {}
            for key in keys:
                name = name_of(key) if name_of is not None else key
                mark = self._marks.get(name)
                if mark is None:
                    send.append(key)
                elif mark[0] <= now:
                    self._marks[name] = (now + self.retry_interval, mark[1])
                    send.append(key)
                else:
                    skip[key] = mark[1]
            return send, skip
