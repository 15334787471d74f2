"""Which nodes the master lately failed to reach.

RpcRunner.Call records every answer and every costly transport failure (no
answer after SLOW_FAILURE seconds or more: a connection or read timeout, an
unreachable host) here.  The distribution of cluster files (config.data and
ssconf pushes, ancillary files) skips a marked node instead of paying the
timeout again on every change, and tries it once more every RETRY_INTERVAL
seconds.  Queries and hooks (RpcRunner.Call with skip_unreachable) do not
wait for a marked node at all: they get its last error at once and the node
is probed in the background (a quick "version" call), at most once every
PROBE_INTERVAL seconds, so a node back again shows up within seconds.  Any
answer from the node, to any call, clears the mark, and so does
Reset() (gnt-cluster redist-conf).  Listeners hear about nodes that answer
again or are reset (the job queue replicator then retries them at once).

Cheap failures (connection refused, e.g. a node daemon restarting) are not
marked: trying those again costs nothing.
"""

import logging
import threading
import time
from typing import Callable, Dict, Iterable, List, Optional, Tuple

# Below RpcRunner's quick connect timeout (defs.RPC_QUICK_CONNECT_TIMEOUT),
# so that its timeouts count as costly.
SLOW_FAILURE = 0.5
RETRY_INTERVAL = 30.0
PROBE_INTERVAL = 3.0

Listener = Callable[[List[str]], None]


class _Mark:
    """When file distribution tries the node again, when a query may probe
    it again, and the last error."""

    __slots__ = ("retry_at", "probe_at", "msg")

    def __init__(self, retry_at: float, probe_at: float, msg: str) -> None:
        self.retry_at = retry_at
        self.probe_at = probe_at
        self.msg = msg


class NodeReach:
    """Marks of unreachable nodes: name -> _Mark."""

    def __init__(self, retry_interval: float = RETRY_INTERVAL,
                 clock: Callable[[], float] = time.monotonic,
                 probe_interval: float = PROBE_INTERVAL) -> None:
        self.retry_interval = retry_interval
        self.probe_interval = probe_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._marks: Dict[str, _Mark] = {}
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
            now = self._clock()
            self._marks[name] = _Mark(now + self.retry_interval,
                                      now + self.probe_interval, msg)
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
            return {name: mark.msg for name, mark in self._marks.items()}

    def Skip(self, name: str) -> Optional[str]:
        """The last error of name if it is marked (None if not)."""
        with self._lock:
            mark = self._marks.get(name)
        return None if mark is None else mark.msg

    def ProbeDue(self, name: str) -> bool:
        """Whether marked name should be probed again now (every
        probe_interval); if so its next probe is pushed back (one prober
        at a time)."""
        with self._lock:
            mark = self._marks.get(name)
            now = self._clock()
            if mark is None or mark.probe_at > now:
                return False
            mark.probe_at = now + self.probe_interval
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
                elif mark.retry_at <= now:
                    mark.retry_at = now + self.retry_interval
                    send.append(key)
                else:
                    skip[key] = mark.msg
            return send, skip
