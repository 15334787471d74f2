"""In-process lock manager of the master daemon.

Locks are grouped in levels (cluster, instance, nodegroup, node, node-res,
network) that must be acquired in that order.  Each level is a `LockSet`:
named locks plus one set-lock ("<level>/[lockset]") standing for the whole
level.  Holding a member lock counts as holding the set-lock in the same
mode for conflict purposes, so

- acquiring the whole level (`ALL_SET`) exclusively excludes everybody else
  from every lock of that level, including locks created later;
- acquiring the whole level shared excludes exclusive holders of any member;
- member locks exist on demand: a name does not need to be registered before
  it can be locked (as with upstream 3.0's wconfd), `add`/`remove` only keep
  the list of known names used to expand `ALL_SET` ownership.

Ownership is per thread (a job runs in one worker thread).  Waiting is fair
and priority-aware: waiters are served by (priority, arrival), lower priority
values first; a request that would conflict with an earlier waiter waits
behind it, unless the requesting thread already holds locks in that level
(which keeps sorted-order acquisition deadlock free).
"""

import bisect
import itertools
import threading
import time
import weakref
from typing import Dict, Iterable, List, Optional, Set

from ganeti import errors
from ganeti.utils import interrupt

# Lock levels, in acquisition order.
LEVEL_CLUSTER = 0
LEVEL_INSTANCE = 1
LEVEL_NODEGROUP = 2
LEVEL_NODE = 3
LEVEL_NODE_RES = 4
LEVEL_NETWORK = 5

LEVELS = [LEVEL_CLUSTER, LEVEL_INSTANCE, LEVEL_NODEGROUP, LEVEL_NODE,
          LEVEL_NODE_RES, LEVEL_NETWORK]

# Levels whose members change with the configuration.
LEVELS_MOD = frozenset([LEVEL_INSTANCE, LEVEL_NODEGROUP, LEVEL_NODE,
                        LEVEL_NODE_RES, LEVEL_NETWORK])

LEVEL_NAMES = {
    LEVEL_CLUSTER: "cluster",
    LEVEL_INSTANCE: "instance",
    LEVEL_NODEGROUP: "nodegroup",
    LEVEL_NODE: "node",
    LEVEL_NODE_RES: "node-res",
    LEVEL_NETWORK: "network",
}

# The Big Ganeti Lock, the only member of the cluster level.
BGL = "BGL"

# Name of the set-lock of every level, and the "whole level" marker.
LOCKSET_NAME = "[lockset]"
ALL_SET = None

# Query fields of the "lock" resource (gnt-debug locks).
LQ_FIELDS = ("name", "mode", "owner", "pending")

MODE_SHARED = "shared"
MODE_EXCLUSIVE = "exclusive"

_SET = LOCKSET_NAME

# --- owners --------------------------------------------------------------

_owner_names: "weakref.WeakKeyDictionary[threading.Thread, str]" = \
    weakref.WeakKeyDictionary()
_owner_names_lock = threading.Lock()


def set_owner_name(name: Optional[str]) -> None:
    """Set the name shown for the current thread's locks (e.g. "job/12")."""
    thread = threading.current_thread()
    with _owner_names_lock:
        if name is None:
            _owner_names.pop(thread, None)
        else:
            _owner_names[thread] = name


def get_owner_name(thread: Optional[threading.Thread] = None) -> str:
    """Display name of a lock owner (default: the current thread)."""
    if thread is None:
        thread = threading.current_thread()
    with _owner_names_lock:
        name = _owner_names.get(thread)
    return name if name is not None else thread.name


def _current_owner() -> threading.Thread:
    return threading.current_thread()


def _names_list(names) -> List[str]:
    if isinstance(names, str):
        return [names]
    return list(names)


# --- the lock engine -------------------------------------------------------

_WAITING, _GRANTED, _FAILED = range(3)


class _Request:
    """One pending acquisition of one lock by one owner."""

    __slots__ = ("owner", "target", "shared", "key", "event", "state",
                 "owner_name")

    def __init__(self, owner, target, shared, priority, seq):
        self.owner = owner
        self.target = target
        self.shared = shared
        self.key = (priority, seq)
        self.event = threading.Event()
        self.state = _WAITING
        self.owner_name = get_owner_name(owner)

    def __lt__(self, other):
        return self.key < other.key


def _conflict(target1, shared1, target2, shared2) -> bool:
    """Whether two holdings by different owners in one space conflict."""
    if shared1 and shared2:
        return False
    return target1 == target2 or target1 == _SET or target2 == _SET


class _LockSpace:
    """Named shared/exclusive locks plus one set-lock, under one mutex.

    The set-lock (target LOCKSET_NAME) conflicts with every member lock
    unless both are held shared.  Owners are thread objects.
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._mutex = threading.Lock()
        self._seq = itertools.count()
        # target -> {owner: shared}
        self._holders: Dict[str, Dict[object, bool]] = {}
        # owner -> {target: shared} (the same data, indexed by owner)
        self._owned: Dict[object, Dict[str, bool]] = {}
        # owner -> number of members held, and held exclusively
        self._member_any: Dict[object, int] = {}
        self._member_excl: Dict[object, int] = {}
        self._waiting: List[_Request] = []
        self._deleted: Set[str] = set()
        self._known: Set[str] = set()
        self._changed = threading.Condition(self._mutex)

    # -- conflict checks (mutex held) ----------------------------------------

    def _conflicts_with_holders(self, req: _Request) -> bool:
        owner, target, shared = req.owner, req.target, req.shared
        for other, oshared in self._holders.get(target, {}).items():
            if other is not owner and not (shared and oshared):
                return True
        if target == _SET:
            members = self._member_any if not shared else self._member_excl
            return any(other is not owner for other in members)
        for other, oshared in self._holders.get(_SET, {}).items():
            if other is not owner and not (shared and oshared):
                return True
        return False

    def _grantable(self, req: _Request, ahead: Iterable[_Request]) -> bool:
        if self._conflicts_with_holders(req):
            return False
        if self._owned.get(req.owner):
            # Owners already holding locks here are not made to queue
            # behind other waiters (they only wait for actual holders).
            return True
        for other in ahead:
            if (other.owner is not req.owner and
                    _conflict(other.target, other.shared,
                              req.target, req.shared)):
                return False
        return True

    # -- state changes (mutex held) ------------------------------------------

    def _set_holding(self, owner, target: str, shared: Optional[bool]) -> None:
        """Record owner holding target (shared flag), or not (None)."""
        owned = self._owned.setdefault(owner, {})
        old = owned.get(target)
        if target != _SET:
            if old is not None:
                self._dec(self._member_any, owner)
                if not old:
                    self._dec(self._member_excl, owner)
            if shared is not None:
                self._member_any[owner] = self._member_any.get(owner, 0) + 1
                if not shared:
                    self._member_excl[owner] = \
                        self._member_excl.get(owner, 0) + 1
        holders = self._holders.setdefault(target, {})
        if shared is None:
            owned.pop(target, None)
            holders.pop(owner, None)
            if not holders:
                del self._holders[target]
            if not owned:
                del self._owned[owner]
        else:
            owned[target] = shared
            holders[owner] = shared

    @staticmethod
    def _dec(counts: Dict[object, int], owner) -> None:
        left = counts[owner] - 1
        if left:
            counts[owner] = left
        else:
            del counts[owner]

    def _grant(self, req: _Request) -> None:
        self._set_holding(req.owner, req.target, req.shared)
        if req.target != _SET:
            self._known.add(req.target)
        req.state = _GRANTED
        req.event.set()

    def _rescan(self) -> None:
        """Grant whatever waiters can now run, in priority order."""
        still_waiting: List[_Request] = []
        for req in self._waiting:
            if req.target in self._deleted:
                req.state = _FAILED
                req.event.set()
            elif self._grantable(req, still_waiting):
                self._grant(req)
            else:
                still_waiting.append(req)
        self._waiting = still_waiting
        self._changed.notify_all()

    # -- public operations -----------------------------------------------------

    def acquire_one(self, target: str, shared: bool, deadline: Optional[float],
                    priority: int, fair: bool = True) -> bool:
        """Acquire one lock for the current thread; False on timeout.

        Raises errors.LockError if the lock is (or gets) deleted.
        """
        owner = _current_owner()
        with self._mutex:
            if target in self._deleted:
                raise errors.LockError("Lock %s/%s has been deleted" %
                                       (self.prefix, target))
            held = self._owned.get(owner, {}).get(target)
            if held is not None and (shared or not held):
                return True  # already held in this mode or a stronger one
            req = _Request(owner, target, bool(shared), priority,
                           next(self._seq))
            ahead = [w for w in self._waiting if w.key < req.key] if fair else []
            if self._grantable(req, ahead):
                self._grant(req)
                return True
            if deadline is not None and deadline <= time.monotonic():
                return False
            bisect.insort(self._waiting, req)
        # A job's thread waits in short steps so that it can be interrupted.
        step = (None if interrupt.Current() is None
                else interrupt.POLL_INTERVAL)
        while True:
            wait = None if deadline is None else \
                max(0.0, deadline - time.monotonic())
            if step is not None:
                wait = step if wait is None else min(wait, step)
            req.event.wait(wait)
            with self._mutex:
                if req.state == _GRANTED:
                    return True
                if req.state == _FAILED:
                    raise errors.LockError("Lock %s/%s has been deleted" %
                                           (self.prefix, target))
                stop = interrupt.IsInterrupted()
                if stop or (deadline is not None and
                            time.monotonic() >= deadline):
                    self._waiting.remove(req)
                    self._rescan()
                    if stop:
                        interrupt.Check()
                    return False

    def try_one(self, target: str, shared: bool) -> bool:
        """Acquire one lock if possible without waiting for anyone."""
        return self.acquire_one(target, shared, time.monotonic(), 0,
                                fair=False)

    def release_one(self, target: str, owner=None) -> None:
        if owner is None:
            owner = _current_owner()
        with self._mutex:
            if target not in self._owned.get(owner, {}):
                raise errors.LockError("Lock %s/%s is not owned" %
                                       (self.prefix, target))
            self._set_holding(owner, target, None)
            self._rescan()

    def downgrade_one(self, target: str) -> None:
        owner = _current_owner()
        with self._mutex:
            held = self._owned.get(owner, {}).get(target)
            if held is None:
                raise errors.LockError("Lock %s/%s is not owned" %
                                       (self.prefix, target))
            if not held:
                self._set_holding(owner, target, True)
                self._rescan()

    def delete_one(self, target: str) -> None:
        """Mark a lock deleted (caller must hold it exclusively)."""
        owner = _current_owner()
        with self._mutex:
            if self._owned.get(owner, {}).get(target) is not False:
                raise errors.LockError("Lock %s/%s must be held exclusively"
                                       " to be deleted" % (self.prefix, target))
            self._set_holding(owner, target, None)
            self._deleted.add(target)
            self._known.discard(target)
            self._rescan()

    def forget(self, target: str) -> None:
        """Drop target from the known names (the lock itself stays usable)."""
        with self._mutex:
            self._known.discard(target)

    def add_known(self, targets: Iterable[str]) -> None:
        with self._mutex:
            for target in targets:
                self._deleted.discard(target)
                self._known.add(target)

    def known(self) -> Set[str]:
        with self._mutex:
            return set(self._known)

    def owned(self, owner=None) -> Dict[str, bool]:
        """{target: shared} held by owner (default: current thread)."""
        if owner is None:
            owner = _current_owner()
        with self._mutex:
            return dict(self._owned.get(owner, {}))

    def wait_for_change(self, timeout: float) -> None:
        """Block until some lock of this space changes state (or timeout)."""
        with self._mutex:
            self._changed.wait(timeout)

    def info(self) -> List[tuple]:
        """Rows (target, mode, [owner names], pending) for locks in use."""
        with self._mutex:
            targets = set(self._holders)
            targets.update(req.target for req in self._waiting)
            if self._member_any:
                targets.add(_SET)
            rows = []
            for target in sorted(targets, key=lambda t: (t != _SET, t)):
                holders = self._holders.get(target, {})
                if not holders:
                    mode = None
                elif all(holders.values()):
                    mode = MODE_SHARED
                else:
                    mode = MODE_EXCLUSIVE
                owners = sorted(get_owner_name(o) for o in holders)
                pending = [[MODE_SHARED if r.shared else MODE_EXCLUSIVE,
                            [r.owner_name]]
                           for r in self._waiting if r.target == target]
                rows.append((target, mode, owners, pending))
            return rows


# --- public lock classes -----------------------------------------------------

class SharedLock:
    """A single shared/exclusive lock (fair, priority-aware, deletable).

    Ownership is per thread.  `acquire` returns True, or False when the
    timeout expired; acquiring a deleted lock raises errors.LockError.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._space = _LockSpace(name)

    def acquire(self, shared: int = 0, timeout: Optional[float] = None,
                priority: int = 0) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        return self._space.acquire_one(self.name, bool(shared), deadline,
                                       priority)

    def release(self) -> None:
        self._space.release_one(self.name)

    def downgrade(self) -> None:
        """Change an exclusive ownership into a shared one."""
        self._space.downgrade_one(self.name)

    def is_owned(self, shared: int = -1) -> bool:
        """Whether the current thread owns the lock (in the given mode:
        -1 any, 0 exclusive, 1 shared)."""
        held = self._space.owned().get(self.name)
        if held is None:
            return False
        return shared < 0 or bool(shared) == held

    def delete(self, timeout: Optional[float] = None,
               priority: int = 0) -> bool:
        """Acquire exclusively (if needed) and delete the lock.

        Waiters get errors.LockError.  Returns False on timeout.
        """
        if not self.is_owned(shared=0):
            if not self.acquire(shared=0, timeout=timeout, priority=priority):
                return False
        self._space.delete_one(self.name)
        return True

    def GetLockInfo(self) -> tuple:
        """(mode, [owners], pending) as in the lock query."""
        for target, mode, owners, pending in self._space.info():
            if target == self.name:
                return (mode, owners, pending)
        return (None, [], [])


class LockSet:
    """The locks of one level: named member locks and the set-lock.

    Member locks are created on demand; `add`/`remove` maintain the known
    names (what `ALL_SET` ownership stands for).  Acquisition of several
    names is done in sorted order with one deadline for all; on timeout
    nothing acquired by that call is kept.
    """

    def __init__(self, members: Iterable[str], name: str,
                 list_implied_set: bool = True) -> None:
        self.name = name
        self._space = _LockSpace(name)
        self._list_implied_set = list_implied_set
        self.add(members)

    @staticmethod
    def _check_names(names: List[str]) -> None:
        for name in names:
            if not isinstance(name, str) or not name:
                raise errors.ProgrammerError("Invalid lock name %r" % (name,))
            if name == LOCKSET_NAME:
                raise errors.ProgrammerError("Lock name %r is reserved" % name)

    def _names(self) -> Set[str]:
        """Known member names."""
        return self._space.known()

    def acquire(self, names, shared: int = 0, timeout: Optional[float] = None,
                priority: int = 0, opportunistic: bool = False
                ) -> Optional[Set[str]]:
        """Acquire names (a name, a list or ALL_SET) for the current thread.

        Returns the set of member names now covered by this acquisition
        (for ALL_SET: the known names), or None if the timeout expired.
        With opportunistic=True nothing is waited for: whichever of the
        names are free are taken and returned (ALL_SET not allowed).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        if names is ALL_SET:
            if opportunistic:
                raise errors.ProgrammerError("Opportunistic locking needs"
                                             " explicit names")
            if not self._space.acquire_one(_SET, bool(shared), deadline,
                                           priority):
                return None
            return self._names()
        wanted = sorted(set(_names_list(names)))
        self._check_names(wanted)
        if opportunistic:
            return set(name for name in wanted
                       if self._space.try_one(name, bool(shared)))
        before = self._space.owned()
        taken: List[str] = []
        try:
            for name in wanted:
                if not self._space.acquire_one(name, bool(shared), deadline,
                                               priority):
                    self._undo(taken, before)
                    return None
                taken.append(name)
        except BaseException:
            self._undo(taken, before)
            raise
        return set(wanted)

    def _undo(self, taken: List[str], before: Dict[str, bool]) -> None:
        """Give back what one acquire call took (restoring old modes)."""
        for name in reversed(taken):
            if name not in before:
                self._space.release_one(name)
            elif before[name] and not self._space.owned().get(name, True):
                self._space.downgrade_one(name)

    def release(self, names=None) -> None:
        """Release names (default: everything held here, set-lock too)."""
        owned = self._space.owned()
        if names is None:
            targets = list(owned)
        else:
            targets = _names_list(names)
            missing = [n for n in targets if n not in owned]
            if missing:
                raise errors.ProgrammerError(
                    "Releasing %s locks not owned: %s" %
                    (self.name, ", ".join(sorted(missing))))
        for target in targets:
            self._space.release_one(target)

    def downgrade(self, names=None) -> None:
        """Change exclusive ownership of names (default: all) to shared."""
        owned = self._space.owned()
        targets = list(owned) if names is None else _names_list(names)
        for target in targets:
            if target in owned:
                self._space.downgrade_one(target)

    def add(self, names, acquired: int = 0, shared: int = 0) -> None:
        """Register new member names (optionally acquiring them)."""
        names = _names_list(names)
        self._check_names(names)
        self._space.add_known(names)
        if acquired:
            if self.acquire(names, shared=shared) is None:
                raise errors.LockError("Could not acquire new locks %s" %
                                       ", ".join(names))

    def remove(self, names) -> None:
        """Forget member names; locks the caller holds on them are released."""
        names = _names_list(names)
        owned = self._space.owned()
        for name in names:
            if name in owned:
                self._space.release_one(name)
            self._space.forget(name)

    def list_owned(self) -> Set[str]:
        """Member names owned by the current thread (ALL_SET: known names
        plus the ones held individually)."""
        owned = self._space.owned()
        result = set(owned)
        if _SET in result:
            result.discard(_SET)
            result.update(self._names())
        return result

    def is_owned(self) -> bool:
        return bool(self._space.owned())

    def owning_all(self) -> bool:
        return _SET in self._space.owned()

    def check_owned(self, names, shared: int = -1) -> bool:
        """Whether all names are owned (in the given mode, -1 = any)."""
        owned = self._space.owned()
        for name in _names_list(names):
            # A name is covered by its own lock or by the set-lock.
            modes = [owned[t] for t in (name, _SET) if t in owned]
            if not modes:
                return False
            if shared >= 0 and bool(shared) not in modes:
                return False
        return True

    def owned_modes(self) -> Dict[str, bool]:
        """{name: shared} of the current thread (set-lock as [lockset])."""
        return self._space.owned()

    def wait_for_change(self, timeout: float) -> None:
        self._space.wait_for_change(timeout)

    def info(self) -> List[tuple]:
        """Lock query rows (full name, mode, owners, pending) of the locks
        in use; the set-lock is listed when held, waited for, or (unless
        list_implied_set is False) implied by a held member."""
        return [("%s/%s" % (self.name, target), mode, owners, pending)
                for target, mode, owners, pending in self._space.info()
                if (self._list_implied_set or target != _SET or owners or
                    pending)]


class GanetiLockManager:
    """All lock levels of the master, with level-order enforcement."""

    def __init__(self, nodes: Iterable[str], nodegroups: Iterable[str],
                 instances: Iterable[str], networks: Iterable[str]) -> None:
        nodes = list(nodes)
        self._sets: Dict[int, LockSet] = {
            # As upstream, the BGL does not imply "cluster/[lockset]".
            LEVEL_CLUSTER: LockSet([BGL], LEVEL_NAMES[LEVEL_CLUSTER],
                                   list_implied_set=False),
            LEVEL_INSTANCE: LockSet(instances, LEVEL_NAMES[LEVEL_INSTANCE]),
            LEVEL_NODEGROUP: LockSet(nodegroups, LEVEL_NAMES[LEVEL_NODEGROUP]),
            LEVEL_NODE: LockSet(nodes, LEVEL_NAMES[LEVEL_NODE]),
            LEVEL_NODE_RES: LockSet(nodes, LEVEL_NAMES[LEVEL_NODE_RES]),
            LEVEL_NETWORK: LockSet(networks, LEVEL_NAMES[LEVEL_NETWORK]),
        }

    @staticmethod
    def _check_level(level: int) -> None:
        if level not in LEVEL_NAMES:
            raise errors.ProgrammerError("Invalid lock level %r" % (level,))

    def _owning_above(self, level: int) -> List[int]:
        return [lvl for lvl in LEVELS if lvl > level and self.is_owned(lvl)]

    @staticmethod
    def set_owner_name(name: Optional[str]) -> None:
        """Name shown as owner of the current thread's locks."""
        set_owner_name(name)

    def acquire(self, level: int, names, shared: int = 0,
                timeout: Optional[float] = None, priority: int = 0,
                opportunistic: bool = False) -> Optional[Set[str]]:
        """Acquire locks of one level; see LockSet.acquire.

        Acquiring at a level while owning locks at a higher one is a
        programming error (it could deadlock).
        """
        self._check_level(level)
        above = self._owning_above(level)
        if above:
            raise errors.ProgrammerError(
                "Cannot acquire locks at level %s while owning some at a"
                " greater level (%s)" %
                (LEVEL_NAMES[level],
                 ", ".join(LEVEL_NAMES[lvl] for lvl in above)))
        if level == LEVEL_CLUSTER and names is not ALL_SET:
            if set(_names_list(names)) - set([BGL]):
                raise errors.ProgrammerError("The cluster level only has the"
                                             " %s lock" % BGL)
        return self._sets[level].acquire(names, shared=shared, timeout=timeout,
                                         priority=priority,
                                         opportunistic=opportunistic)

    def release(self, level: int, names=None) -> None:
        self._check_level(level)
        if level == LEVEL_CLUSTER and self._owning_above(level):
            if names is None or BGL in _names_list(names):
                raise errors.ProgrammerError(
                    "Cannot release the Big Ganeti Lock while holding"
                    " locks at other levels")
        self._sets[level].release(names)

    def release_all(self) -> None:
        """Release everything the current thread holds, top level first."""
        for level in reversed(LEVELS):
            if self._sets[level].is_owned():
                self._sets[level].release()

    def downgrade(self, level: int, names=None) -> None:
        self._check_level(level)
        self._sets[level].downgrade(names)

    def add(self, level: int, names, acquired: int = 0,
            shared: int = 0) -> None:
        self._check_level(level)
        if level not in LEVELS_MOD:
            raise errors.ProgrammerError("Cannot add locks at level %s" %
                                         LEVEL_NAMES[level])
        if acquired and self._owning_above(level):
            raise errors.ProgrammerError("Cannot acquire new locks at level %s"
                                         " while owning higher levels" %
                                         LEVEL_NAMES[level])
        self._sets[level].add(names, acquired=acquired, shared=shared)

    def remove(self, level: int, names) -> None:
        self._check_level(level)
        if level not in LEVELS_MOD:
            raise errors.ProgrammerError("Cannot remove locks at level %s" %
                                         LEVEL_NAMES[level])
        self._sets[level].remove(names)

    def list_owned(self, level: int) -> Set[str]:
        self._check_level(level)
        return self._sets[level].list_owned()

    def is_owned(self, level: int) -> bool:
        self._check_level(level)
        return self._sets[level].is_owned()

    def owning_all(self, level: int) -> bool:
        self._check_level(level)
        return self._sets[level].owning_all()

    def check_owned(self, level: int, names, shared: int = -1) -> bool:
        self._check_level(level)
        return self._sets[level].check_owned(names, shared=shared)

    def get_lockset(self, level: int) -> LockSet:
        self._check_level(level)
        return self._sets[level]

    def QueryLocks(self, fields: List[str]) -> List[list]:
        """Rows of the requested fields (name, mode, owner, pending) for
        every lock in use (held or waited for), in level order."""
        for field in fields:
            if field not in LQ_FIELDS:
                raise errors.ParameterError(field)
        rows = []
        for level in LEVELS:
            for name, mode, owners, pending in self._sets[level].info():
                values = {"name": name, "mode": mode, "owner": owners,
                          "pending": pending}
                rows.append([values[field] for field in fields])
        return rows
