"""Tests for ganeti.locking (threads with bounded waits)."""

import random
import threading
import time

import pytest

from ganeti import errors
from ganeti import locking

WAIT = 5.0  # upper bound for anything that should happen "soon"


def wait_for(cond, timeout=WAIT):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.002)
    raise AssertionError("condition not reached in %.1fs" % timeout)


class Worker(threading.Thread):
    """Runs fn in its own thread (own lock owner); keeps result/error."""

    def __init__(self, fn, name=None):
        super().__init__(name=name, daemon=True)
        self.fn = fn
        self.result = None
        self.error = None

    def run(self):
        try:
            self.result = self.fn()
        except BaseException as err:  # noqa: B902 (reported to the test)
            self.error = err

    def finish(self):
        self.join(WAIT)
        assert not self.is_alive(), "worker %s hangs" % self.name
        if self.error is not None:
            raise self.error
        return self.result


def start(fn, name=None):
    w = Worker(fn, name)
    w.start()
    return w


def hold(acquire, release, name=None):
    """Start a thread that acquires, signals, then holds until told."""
    got = threading.Event()
    done = threading.Event()

    def body():
        assert acquire()
        got.set()
        done.wait(WAIT)
        release()

    w = start(body, name)
    assert got.wait(WAIT)
    return w, done


def pending_count(lock):
    return len(lock.GetLockInfo()[2])


# --- SharedLock ---------------------------------------------------------------

def test_shared_lock_shared_holders_coexist():
    lock = locking.SharedLock("x")
    w, done = hold(lambda: lock.acquire(shared=1), lock.release)
    assert lock.acquire(shared=1, timeout=0.5)
    assert lock.is_owned() and lock.is_owned(shared=1)
    assert not lock.is_owned(shared=0)
    mode, owners, pending = lock.GetLockInfo()
    assert mode == "shared" and len(owners) == 2 and pending == []
    lock.release()
    done.set()
    w.finish()
    assert lock.GetLockInfo() == (None, [], [])


def test_shared_lock_exclusive_excludes_and_times_out():
    lock = locking.SharedLock("x")
    w, done = hold(lambda: lock.acquire(shared=0), lock.release)
    t0 = time.monotonic()
    assert lock.acquire(shared=1, timeout=0.1) is False
    assert time.monotonic() - t0 >= 0.09
    assert lock.acquire(shared=0, timeout=0) is False
    assert not lock.is_owned()
    assert pending_count(lock) == 0  # timed-out waiters leave the queue
    done.set()
    w.finish()
    assert lock.acquire(shared=0, timeout=0)
    lock.release()


def test_shared_lock_blocking_acquire_gets_lock_after_release():
    lock = locking.SharedLock("x")
    w, done = hold(lambda: lock.acquire(), lock.release)
    waiter = start(lambda: (lock.acquire(), lock.release()))
    wait_for(lambda: pending_count(lock) == 1)
    assert waiter.is_alive()
    done.set()
    w.finish()
    waiter.finish()


def test_shared_lock_priority_order_of_waiters():
    lock = locking.SharedLock("x")
    w, done = hold(lambda: lock.acquire(), lock.release)
    order = []

    def waiter(tag, prio):
        def body():
            assert lock.acquire(shared=0, priority=prio, timeout=WAIT)
            order.append(tag)
            lock.release()
        return body

    threads = []
    for tag, prio in [("low", 10), ("normal", 0), ("high", -10),
                      ("normal2", 0)]:
        threads.append(start(waiter(tag, prio)))
        wait_for(lambda n=len(threads): pending_count(lock) == n)
    done.set()
    w.finish()
    for t in threads:
        t.finish()
    assert order == ["high", "normal", "normal2", "low"]


def test_shared_lock_is_fair_to_waiting_exclusive():
    lock = locking.SharedLock("x")
    w, done = hold(lambda: lock.acquire(shared=1), lock.release)
    excl = start(lambda: (lock.acquire(shared=0, timeout=WAIT),
                          lock.release()))
    wait_for(lambda: pending_count(lock) == 1)
    # A new shared request must not overtake the waiting exclusive one.
    assert lock.acquire(shared=1, timeout=0.05) is False
    # ... unless it is more urgent.
    assert lock.acquire(shared=1, timeout=0.5, priority=-10)
    lock.release()
    done.set()
    w.finish()
    excl.finish()


def test_shared_lock_downgrade_lets_shared_waiters_in():
    lock = locking.SharedLock("x")
    assert lock.acquire(shared=0)
    waiter = start(lambda: (lock.acquire(shared=1, timeout=WAIT),
                            lock.release()))
    wait_for(lambda: pending_count(lock) == 1)
    lock.downgrade()
    assert lock.is_owned(shared=1)
    waiter.finish()
    lock.release()


def test_shared_lock_delete_fails_waiters():
    lock = locking.SharedLock("x")
    assert lock.acquire()
    waiter = start(lambda: lock.acquire(timeout=WAIT))
    wait_for(lambda: pending_count(lock) == 1)
    assert lock.delete()
    waiter.join(WAIT)
    assert isinstance(waiter.error, errors.LockError)
    with pytest.raises(errors.LockError):
        lock.acquire(timeout=0)
    assert not lock.is_owned()


def test_shared_lock_release_not_owned():
    lock = locking.SharedLock("x")
    with pytest.raises(errors.LockError):
        lock.release()


# --- LockSet ----------------------------------------------------------------

def test_lockset_acquire_list_and_release():
    ls = locking.LockSet(["b", "a", "c"], "node")
    assert ls.acquire(["c", "a"]) == {"a", "c"}
    assert ls.list_owned() == {"a", "c"}
    assert ls.check_owned(["a", "c"], shared=0)
    assert not ls.check_owned(["a"], shared=1)
    assert not ls.owning_all()
    ls.release(["a"])
    assert ls.list_owned() == {"c"}
    ls.release()
    assert not ls.is_owned()
    with pytest.raises(errors.ProgrammerError):
        ls.release(["a"])


def test_lockset_timeout_keeps_nothing_of_the_call():
    ls = locking.LockSet(["a", "b"], "node")
    w, done = hold(lambda: ls.acquire(["b"]), ls.release)
    assert ls.acquire(["a", "b"], timeout=0.05) is None
    assert ls.list_owned() == set()
    # "a" is really free again.
    other = start(lambda: ls.acquire(["a"], timeout=0) == {"a"} and
                  (ls.release() or True))
    assert other.finish()
    done.set()
    w.finish()


def test_lockset_all_set_exclusive_blocks_members():
    ls = locking.LockSet(["a", "b"], "node")
    w, done = hold(lambda: ls.acquire(locking.ALL_SET) is not None,
                   ls.release)
    assert ls.acquire(["a"], shared=1, timeout=0.05) is None
    # Locks unknown at the time are covered too.
    assert ls.acquire(["new"], timeout=0.05) is None
    done.set()
    w.finish()
    assert ls.acquire(["new"], timeout=0) == {"new"}
    ls.release()


def test_lockset_all_set_shared_vs_members():
    ls = locking.LockSet(["a", "b"], "node")
    w, done = hold(lambda: ls.acquire(locking.ALL_SET, shared=1) is not None,
                   ls.release)
    # Shared members are compatible with the shared whole level ...
    assert ls.acquire(["a"], shared=1, timeout=0.5) == {"a"}
    ls.release()
    # ... exclusive ones are not.
    assert ls.acquire(["a"], shared=0, timeout=0.05) is None
    done.set()
    w.finish()
    # And the other way round: a member held exclusively blocks ALL_SET.
    w, done = hold(lambda: ls.acquire(["b"]) is not None, ls.release)
    assert ls.acquire(locking.ALL_SET, shared=1, timeout=0.05) is None
    assert ls.acquire(locking.ALL_SET, shared=0, timeout=0.05) is None
    done.set()
    w.finish()


def test_lockset_all_set_ownership_lists_known_names():
    ls = locking.LockSet(["a", "b"], "node")
    assert ls.acquire(locking.ALL_SET, shared=1) == {"a", "b"}
    assert ls.owning_all()
    assert ls.list_owned() == {"a", "b"}
    assert ls.check_owned(["a", "b"], shared=1)
    assert not ls.check_owned(["a"], shared=0)
    ls.release()
    assert not ls.owning_all() and not ls.is_owned()


def test_lockset_add_remove():
    ls = locking.LockSet([], "instance")
    ls.add(["i1", "i2"])
    assert ls._names() == {"i1", "i2"}
    ls.add(["i3"], acquired=1)
    assert ls.list_owned() == {"i3"}
    ls.remove(["i3", "i1"])
    assert ls._names() == {"i2"}
    assert not ls.is_owned()
    assert ls.acquire(locking.ALL_SET) == {"i2"}
    ls.release()
    with pytest.raises(errors.ProgrammerError):
        ls.add([locking.LOCKSET_NAME])


def test_lockset_opportunistic_takes_free_locks_only():
    ls = locking.LockSet(["a", "b", "c"], "node")
    w, done = hold(lambda: ls.acquire(["b"]) is not None, ls.release)
    t0 = time.monotonic()
    assert ls.acquire(["a", "b", "c"], opportunistic=True) == {"a", "c"}
    assert time.monotonic() - t0 < 1.0
    ls.release()
    done.set()
    w.finish()


def test_lockset_waiters_keep_their_order_on_rescans():
    ls = locking.LockSet(["x", "y"], "node")
    order = []
    assert ls.acquire(["x"], shared=1)

    def waiter(tag, shared):
        def body():
            assert ls.acquire(["x"], shared=shared, timeout=WAIT)
            order.append(tag)
            time.sleep(0.01)
            ls.release()
        return body

    excl = start(waiter("excl", 0))
    wait_for(lambda: len(ls.info()[-1][3]) == 1)
    shared = start(waiter("shared", 1))
    wait_for(lambda: len(ls.info()[-1][3]) == 2)
    # Unrelated activity makes the lock space look at its waiters again:
    # the shared waiter must still not overtake the exclusive one.
    threading.Thread(target=lambda: (ls.acquire(["y"]), ls.release())).start()
    time.sleep(0.05)
    assert order == []
    ls.release()
    excl.finish()
    shared.finish()
    assert order == ["excl", "shared"]


def test_lockset_holder_does_not_queue_behind_waiters():
    """Owning a lock of a level, a thread only waits for actual holders.

    H holds a and wants b; S waits for the whole level (conflicting with H)
    and is queued before H's request for b: fairness must not make H wait
    for S, which waits for H.
    """
    ls = locking.LockSet(["a", "b"], "node")
    assert ls.acquire(["a"]) == {"a"}
    waiter = start(lambda: (ls.acquire(locking.ALL_SET, timeout=WAIT),
                            ls.release()))
    wait_for(lambda: any(row[3] for row in ls.info()))
    assert ls.acquire(["b"], timeout=0.5) == {"b"}
    ls.release()
    waiter.finish()


def test_lockset_no_deadlock_under_random_load():
    names = ["n%d" % i for i in range(6)]
    ls = locking.LockSet(names, "node")
    holders = {n: [0, 0] for n in names}  # [shared count, exclusive count]
    guard = threading.Lock()
    violations = []

    def body(seed):
        rnd = random.Random(seed)
        for _ in range(40):
            if rnd.random() < 0.1:
                wanted = locking.ALL_SET
                targets = list(names)
            else:
                targets = rnd.sample(names, rnd.randint(1, 3))
                wanted = targets
            shared = rnd.random() < 0.5
            assert ls.acquire(wanted, shared=int(shared),
                              priority=rnd.choice([-10, 0, 10]),
                              timeout=WAIT) is not None
            with guard:
                for t in targets:
                    holders[t][0 if shared else 1] += 1
                    s, x = holders[t]
                    if x > 1 or (x and s):
                        violations.append((t, s, x))
            time.sleep(0.0005)
            with guard:
                for t in targets:
                    holders[t][0 if shared else 1] -= 1
            ls.release()

    threads = [start(lambda s=s: body(s)) for s in range(8)]
    for t in threads:
        t.finish()
    assert violations == []
    assert not ls.info()


# --- GanetiLockManager -------------------------------------------------------

def make_glm():
    return locking.GanetiLockManager(["node1-uuid", "node2-uuid"], ["g1"],
                                     ["inst1", "inst2"], ["net1"])


def test_glm_level_order_enforced():
    glm = make_glm()
    glm.acquire(locking.LEVEL_CLUSTER, [locking.BGL], shared=1)
    glm.acquire(locking.LEVEL_NODE, ["node1-uuid"])
    with pytest.raises(errors.ProgrammerError):
        glm.acquire(locking.LEVEL_INSTANCE, ["inst1"])
    # Same level again is fine; higher levels too.
    glm.acquire(locking.LEVEL_NODE, ["node2-uuid"])
    glm.acquire(locking.LEVEL_NETWORK, ["net1"])
    with pytest.raises(errors.ProgrammerError):
        glm.release(locking.LEVEL_CLUSTER)
    glm.release(locking.LEVEL_NETWORK)
    glm.release(locking.LEVEL_NODE)
    glm.release(locking.LEVEL_CLUSTER)
    assert not any(glm.is_owned(level) for level in locking.LEVELS)


def test_glm_levels_and_ownership_per_thread():
    glm = make_glm()
    assert glm.acquire(locking.LEVEL_INSTANCE, locking.ALL_SET, shared=1) \
        == {"inst1", "inst2"}
    assert glm.owning_all(locking.LEVEL_INSTANCE)
    assert glm.list_owned(locking.LEVEL_INSTANCE) == {"inst1", "inst2"}
    seen = start(lambda: (glm.is_owned(locking.LEVEL_INSTANCE),
                          glm.list_owned(locking.LEVEL_INSTANCE)))
    assert seen.finish() == (False, set())
    glm.release_all()
    assert not glm.is_owned(locking.LEVEL_INSTANCE)
    with pytest.raises(errors.ProgrammerError):
        glm.acquire(locking.LEVEL_CLUSTER, ["other"])
    with pytest.raises(errors.ProgrammerError):
        glm.add(locking.LEVEL_CLUSTER, ["x"])
    with pytest.raises(errors.ProgrammerError):
        glm.acquire(17, ["x"])


def test_glm_add_remove_and_node_res_separate():
    glm = make_glm()
    glm.add(locking.LEVEL_NODE, ["node3-uuid"])
    assert glm.acquire(locking.LEVEL_NODE, locking.ALL_SET) == \
        {"node1-uuid", "node2-uuid", "node3-uuid"}
    # node-res locks are independent of node locks.
    other = start(lambda: glm.acquire(locking.LEVEL_NODE_RES, ["node1-uuid"],
                                      timeout=0) is not None and
                  (glm.release_all() or True))
    assert other.finish()
    glm.release_all()
    glm.remove(locking.LEVEL_NODE, ["node3-uuid"])
    assert glm.acquire(locking.LEVEL_NODE, locking.ALL_SET) == \
        {"node1-uuid", "node2-uuid"}
    glm.release_all()


def test_glm_query_locks_rows():
    glm = make_glm()
    rows_idle = glm.QueryLocks(["name", "mode", "owner", "pending"])
    assert rows_idle == []

    def holder_body():
        locking.set_owner_name("17")
        glm.acquire(locking.LEVEL_CLUSTER, [locking.BGL], shared=1)
        glm.acquire(locking.LEVEL_INSTANCE, ["inst1"])
        got.set()
        release.wait(WAIT)
        glm.release_all()

    got, release = threading.Event(), threading.Event()
    holder = start(holder_body)
    assert got.wait(WAIT)

    def waiter_body():
        locking.set_owner_name("18")
        glm.acquire(locking.LEVEL_CLUSTER, [locking.BGL], shared=1)
        glm.acquire(locking.LEVEL_INSTANCE, ["inst1"], shared=1, timeout=WAIT)
        glm.release_all()

    waiter = start(waiter_body)
    wait_for(lambda: any(r[3] for r in glm.QueryLocks(["name", "mode",
                                                       "owner", "pending"])))
    rows = glm.QueryLocks(["name", "mode", "owner", "pending"])
    assert rows == [
        ["cluster/BGL", "shared", ["17", "18"], []],
        ["instance/[lockset]", None, [], []],
        ["instance/inst1", "exclusive", ["17"], [["shared", ["18"]]]],
    ]
    assert glm.QueryLocks(["name"]) == [[r[0]] for r in rows]
    release.set()
    holder.finish()
    waiter.finish()
    assert glm.QueryLocks(["name"]) == []
    with pytest.raises(errors.ParameterError):
        glm.QueryLocks(["nosuchfield"])


def test_glm_owner_name_defaults_to_thread_name():
    glm = make_glm()
    locking.set_owner_name(None)
    glm.acquire(locking.LEVEL_NODEGROUP, ["g1"])
    rows = glm.QueryLocks(["name", "owner"])
    assert rows == [["nodegroup/[lockset]", []],
                    ["nodegroup/g1", [threading.current_thread().name]]]
    glm.release_all()
