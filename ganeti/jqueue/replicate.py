"""Asynchronous replication of the job queue to the master candidates.

The job queue hands every change of a queue file to the Replicator
(``Update`` with the file's new content, ``Rename`` of archived jobs,
``SetDrainFlag``) and goes on at once: a job never waits for the network.
One worker thread per target node sends that node's changes in order.
Changes not sent yet are coalesced: a newer content of a file replaces the
pending one in place (unless a rename of that file came in between, which
must stay after the update it follows), so a slow or dead node costs one
queue entry per file, not one RPC per write, and always gets the newest
content.

A node that gives no answer keeps its pending changes and is retried with
a backoff (MIN_BACKOFF doubling up to MAX_BACKOFF seconds) rather than on
every write; ``Wake`` (a node answering again, gnt-cluster redist-conf)
retries at once.  A node that answers with an error loses that change (it
would fail again) and is marked dirty.  If more than MAX_PENDING changes
pile up for a node, they are dropped and the whole queue is copied to it
(``copy_fn``) when it is next tried.  ``Flush`` waits until the changes
handed over so far have reached the given nodes (or failed there).

Lock order: the job queue's locks, then the replicator's; the replicator
calls nothing of the queue while holding its own lock.
"""

import collections
import logging
import threading
import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

MIN_BACKOFF = 1.0
MAX_BACKOFF = 30.0
MAX_PENDING = 10000
_DRAIN_KEY = "\0drain-flag"


class _Change:
    """One pending RPC for one node; version counts in-place updates."""

    __slots__ = ("seq", "call", "args", "key", "version")

    def __init__(self, seq: int, call: str, args: tuple,
                 key: Optional[str]) -> None:
        self.seq = seq
        self.call = call
        self.args = args
        self.key = key
        self.version = 0


class _Node:
    """The pending changes and retry state of one target node."""

    def __init__(self, name: str, lock: threading.Lock) -> None:
        self.name = name
        self.cond = threading.Condition(lock)
        self.pending: "collections.OrderedDict[int, _Change]" = \
            collections.OrderedDict()
        self.latest: Dict[str, _Change] = {}  # key -> coalescable change
        self.failures = 0       # consecutive failures to reach the node
        self.fail_gen = 0       # count of all failures (for Flush)
        self.retry_at = 0.0
        self.last_error: Optional[str] = None
        self.dirty = False      # changes were delayed or lost since last copy
        self.needs_copy = False
        self.removed = False
        self.thread: Optional[threading.Thread] = None

    def Add(self, seq: int, call: str, args: tuple, key: Optional[str],
            renamed: Iterable[str]) -> None:
        if key is not None:
            old = self.latest.get(key)
            if old is not None:
                old.args = args
                old.version += 1
                return
        change = _Change(seq, call, args, key)
        self.pending[seq] = change
        if key is not None:
            self.latest[key] = change
        for path in renamed:
            # Updates of a renamed file must not move before the rename.
            self.latest.pop(path, None)

    def Remove(self, change: _Change) -> None:
        self.pending.pop(change.seq, None)
        if change.key is not None and self.latest.get(change.key) is change:
            del self.latest[change.key]

    def Clear(self) -> None:
        self.pending.clear()
        self.latest.clear()

    def DoneUpTo(self, barrier: int) -> bool:
        """True when no change handed over up to barrier is pending."""
        if self.needs_copy:
            return False
        return not self.pending or next(iter(self.pending)) > barrier


def _DefaultSend(rpc: Any) -> Callable[[str, str, tuple],
                                       Tuple[bool, bool, Optional[str]]]:
    """send(node, call, args) -> (ok, unreachable, error) over an RpcRunner."""
    def send(node: str, call: str, args: tuple):
        result = getattr(rpc, "call_%s" % call)([node], *args)
        res = (result or {}).get(node)
        if res is None:
            return False, True, "no result for node %s" % node
        if not res.fail_msg:
            return True, False, None
        unreachable = bool(getattr(res, "unreachable", False) or
                           getattr(res, "offline", False))
        return False, unreachable, res.fail_msg
    return send


class Replicator:
    """Per-node asynchronous senders of job queue changes (see module doc)."""

    def __init__(self, rpc: Any,
                 copy_fn: Optional[Callable[[str], None]] = None,
                 min_backoff: float = MIN_BACKOFF,
                 max_backoff: float = MAX_BACKOFF,
                 max_pending: int = MAX_PENDING,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._send = _DefaultSend(rpc)
        self._copy_fn = copy_fn
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.max_pending = max_pending
        self._clock = clock
        self._lock = threading.Lock()
        self._progress = threading.Condition(self._lock)
        self._nodes: Dict[str, _Node] = {}
        self._targets: Tuple[str, ...] = ()
        self._seq = 0
        self._stopped = False

    # --- targets -------------------------------------------------------------

    def SetTargets(self, names: Iterable[str]) -> None:
        """The nodes that get every change; others are forgotten."""
        targets = tuple(sorted(set(names)))
        with self._lock:
            self._targets = targets
            for name in list(self._nodes):
                if name not in targets:
                    node = self._nodes.pop(name)
                    node.removed = True
                    node.Clear()
                    node.cond.notify_all()
            self._progress.notify_all()

    def Targets(self) -> List[str]:
        with self._lock:
            return list(self._targets)

    # --- handing over changes (never waits for the network) -----------------

    def Update(self, path: str, content: str,
               nodes: Optional[Iterable[str]] = None) -> None:
        """Write path with content on the nodes (default: every target)."""
        self._Enqueue("jobqueue_update", (path, content), path, (), nodes)

    def Rename(self, pairs: List[Tuple[str, str]],
               nodes: Optional[Iterable[str]] = None) -> None:
        """Rename files ([(old, new), ...]) after their pending updates."""
        pairs = [tuple(p) for p in pairs]
        renamed = [p for pair in pairs for p in pair]
        self._Enqueue("jobqueue_rename", (pairs, ), None, renamed, nodes)

    def SetDrainFlag(self, flag: bool,
                     nodes: Optional[Iterable[str]] = None) -> None:
        self._Enqueue("jobqueue_set_drain_flag", (bool(flag), ), _DRAIN_KEY,
                      (), nodes)

    def _Enqueue(self, call: str, args: tuple, key: Optional[str],
                 renamed: Iterable[str],
                 nodes: Optional[Iterable[str]]) -> None:
        with self._lock:
            if self._stopped:
                logging.warning("Job queue replication stopped, not sending"
                                " %s", call)
                return
            self._seq += 1
            names = self._targets if nodes is None else nodes
            for name in names:
                node = self._nodes.get(name)
                if node is None:
                    node = self._NewNodeLocked(name)
                node.Add(self._seq, call, args, key, renamed)
                if len(node.pending) > self.max_pending:
                    logging.error("More than %d job queue changes pending for"
                                  " node %s; dropping them, the whole queue"
                                  " will be copied", self.max_pending, name)
                    node.Clear()
                    node.needs_copy = True
                    node.dirty = True
                node.cond.notify()

    def _NewNodeLocked(self, name: str) -> _Node:
        node = _Node(name, self._lock)
        self._nodes[name] = node
        node.thread = threading.Thread(target=self._Run, args=(node, ),
                                       name="jq-replicate-%s" % name,
                                       daemon=True)
        node.thread.start()
        return node

    # --- the per-node worker ------------------------------------------------

    def _Next(self, node: _Node):
        """Wait (lock held) for work: ("copy", None), ("send", change) or
        None when the node is dropped or replication stopped."""
        while True:
            if node.removed or self._stopped:
                return None
            if node.pending or node.needs_copy:
                wait = node.retry_at - self._clock()
                if wait <= 0:
                    if node.needs_copy:
                        node.needs_copy = False
                        return "copy", None
                    return "send", next(iter(node.pending.values()))
                node.cond.wait(wait)
            else:
                node.cond.wait()

    def _Run(self, node: _Node) -> None:
        while True:
            with self._lock:
                work = self._Next(node)
                if work is None:
                    return
                kind, change = work
                if change is not None:
                    version, call, args = change.version, change.call, \
                        change.args
            if kind == "copy":
                self._Copy(node)
                continue
            try:
                ok, unreachable, error = self._send(node.name, call, args)
            except Exception as err:  # pylint: disable=broad-except
                logging.exception("Job queue replication (%s) to %s failed",
                                  call, node.name)
                ok, unreachable, error = False, True, str(err)
            with self._lock:
                self._Result(node, change, version, ok, unreachable, error)
                self._progress.notify_all()

    def _Copy(self, node: _Node) -> None:
        if self._copy_fn is None:
            return
        try:
            self._copy_fn(node.name)
        except Exception:  # pylint: disable=broad-except
            logging.exception("Copying the job queue to %s failed", node.name)

    def _Result(self, node: _Node, change: _Change, version: int, ok: bool,
                unreachable: bool, error: Optional[str]) -> None:
        """Account for one send (lock held)."""
        if ok:
            if node.failures:
                logging.info("Job queue replication to %s works again",
                             node.name)
            node.failures = 0
            node.retry_at = 0.0
            if change.version == version:
                node.Remove(change)
            return
        node.fail_gen += 1
        node.last_error = error
        node.dirty = True
        if unreachable:
            node.failures += 1
            delay = min(self.max_backoff,
                        self.min_backoff * 2 ** (node.failures - 1))
            node.retry_at = self._clock() + delay
            log = logging.error if node.failures == 1 else logging.debug
            log("Job queue replication (%s) to %s failed, retrying in %.0f s"
                " (changes are kept): %s", change.call, node.name, delay,
                error)
        else:
            logging.error("Job queue replication (%s) to %s failed, change"
                          " dropped: %s", change.call, node.name, error)
            if change.version == version:
                node.Remove(change)

    # --- control ------------------------------------------------------------

    def Wake(self, names: Optional[Iterable[str]] = None) -> None:
        """Retry the nodes (default: all) now instead of after the backoff."""
        with self._lock:
            for name in (list(self._nodes) if names is None else names):
                node = self._nodes.get(name)
                if node is not None:
                    node.failures = 0
                    node.retry_at = 0.0
                    node.cond.notify()

    def NeedsCopy(self, name: str) -> bool:
        """Whether the node may have missed changes (delayed or lost)."""
        with self._lock:
            node = self._nodes.get(name)
            return node is not None and (node.dirty or node.needs_copy or
                                         node.failures > 0)

    def MarkClean(self, names: Iterable[str]) -> None:
        with self._lock:
            for name in names:
                node = self._nodes.get(name)
                if node is not None:
                    node.dirty = False

    def Flush(self, names: Optional[Iterable[str]] = None,
              timeout: Optional[float] = None,
              wake: bool = False,
              retries: int = 0) -> Dict[str, Optional[str]]:
        """Wait until the changes handed over so far reached the nodes.

        Returns {node: None if done, else the error}; a node fails once
        more than retries sends to it failed after the call started (a
        send already on its way when the call started may fail although
        the node answers again: retries wait for the next attempts, which
        the worker makes after its backoff).
        """
        deadline = None if timeout is None else self._clock() + timeout
        with self._lock:
            barrier = self._seq
            names = list(self._nodes) if names is None else list(names)
            start = {n: self._nodes[n].fail_gen for n in names
                     if n in self._nodes}
            if wake:
                for name in start:
                    node = self._nodes[name]
                    node.failures = 0
                    node.retry_at = 0.0
                    node.cond.notify()
            while True:
                result: Dict[str, Optional[str]] = {}
                waiting = []
                for name in names:
                    node = self._nodes.get(name)
                    if node is None or node.DoneUpTo(barrier):
                        result[name] = None
                    elif node.fail_gen > start.get(name, 0) + retries:
                        result[name] = node.last_error or "replication failed"
                    elif self._stopped:
                        result[name] = "replication stopped"
                    else:
                        waiting.append(name)
                if not waiting:
                    return result
                remaining = None if deadline is None else \
                    deadline - self._clock()
                if remaining is not None and remaining <= 0:
                    for name in waiting:
                        result[name] = "timed out waiting for replication"
                    return result
                self._progress.wait(remaining)

    def Shutdown(self, timeout: float = 10.0) -> None:
        """Send what is pending (for at most timeout seconds), then stop."""
        end = self._clock() + timeout
        result = self.Flush(timeout=timeout, wake=True)
        for name, err in sorted(result.items()):
            if err:
                logging.warning("Job queue changes for %s not replicated"
                                " before shutdown: %s", name, err)
        with self._lock:
            self._stopped = True
            threads = [n.thread for n in self._nodes.values() if n.thread]
            for node in self._nodes.values():
                node.cond.notify_all()
            self._progress.notify_all()
        for thread in threads:
            thread.join(max(0.0, end - self._clock()) + 1.0)
