"""The processor: runs one opcode through its logical unit.

For each opcode the processor finds the LU class (`OpFooBar` ->
`cmdlib.LU_MAPPING["OpFooBar"]`), acquires the cluster lock (BGL) and the
locks the LU declares, level by level, then runs CheckPrereq, the pre
hooks, Exec and the post hooks (see ganeti.cmdlib.base for the LU side).

Lock acquisition is done in attempts with growing timeouts: when an
attempt times out every lock is given back, the LU is built again (its
needed locks may have changed meanwhile) and the next attempt runs at a
more urgent priority; the last attempt blocks.  Between attempts the job
queue's CheckCancel() is consulted, so a job waiting for locks can be
canceled.  Locks are always released when the opcode ends.
"""

import logging
import random
import time
from typing import Any, Callable, List, Optional

from ganeti import cmdlib
from ganeti import constants
from ganeti import errors
from ganeti import ht
from ganeti import locking
from ganeti.cmdlib import base as cmdlib_base
from ganeti.cmdlib.base import ResultWithJobs
from ganeti.hooksmaster import HOOKS_PHASE_POST, HOOKS_PHASE_PRE, HooksMaster
from ganeti.utils import interrupt

# Key of the submitted jobs in the result of an LU returning ResultWithJobs.
JOB_IDS_KEY = getattr(constants, "JOB_IDS_KEY", "jobs")

OP_PRIO_HIGHEST = getattr(constants, "OP_PRIO_HIGHEST", -20)
OP_PRIO_DEFAULT = getattr(constants, "OP_PRIO_DEFAULT", 0)

DRY_RUN_MSG = "dry-run mode requested, not actually executing the operation"


def CheckOpResult(op, result: Any) -> None:
    """Raise OpResultError unless result matches the opcode's OP_RESULT.

    A mismatch is a bug of the logical unit: clients parse results by
    their declared type.
    """
    check = getattr(op, "OP_RESULT", None)
    if check is None or check(result):
        return
    logging.error("Expected opcode result matching %s, got %s",
                  ht.Describe(check), result)
    text = repr(result)
    if len(text) > 80:
        text = text[:77] + "..."
    raise errors.OpResultError("Opcode %s: result does not match %s: %s" %
                               (op.OP_ID, ht.Describe(check), text))


class LockAcquireTimeout(Exception):
    """The locks of an opcode could not be acquired in time."""


class LockAttemptTimeoutStrategy:
    """Timeouts of successive lock acquisition attempts.

    Each attempt waits longer than the previous one (times `growth`, at most
    `maximum` seconds, with a little random jitter so that competing jobs do
    not retry in lock step); once `attempts` are used up NextAttempt()
    returns None: block until the locks are granted.
    """

    def __init__(self, attempts: int = 10, base: float = 1.0,
                 growth: float = 1.4, maximum: float = 15.0,
                 jitter: float = 0.1,
                 _random: Callable[[], float] = random.random) -> None:
        self._attempts = attempts
        self._base = base
        self._growth = growth
        self._maximum = maximum
        self._jitter = jitter
        self._random = _random
        self._done = 0

    def NextAttempt(self) -> Optional[float]:
        if self._done >= self._attempts:
            return None
        timeout = min(self._maximum, self._base * self._growth ** self._done)
        self._done += 1
        return timeout * (1.0 + self._jitter * self._random())


class OpExecCbBase:
    """Callbacks of ExecOpCode that do nothing (for callers without a job)."""

    def NotifyStart(self) -> None:
        """Locks are acquired, the LU is about to run."""

    def Feedback(self, *args) -> None:
        """A log message: (msg) or (log_type, msg)."""
        logging.info("Feedback: %s", args[-1] if args else "")

    def CheckCancel(self) -> None:
        """Raise if the job has been canceled."""

    def CurrentPriority(self) -> Optional[int]:
        """The opcode's current priority (None: use the opcode's own)."""
        return None

    def SubmitManyJobs(self, jobs) -> list:
        raise errors.ProgrammerError("Submitting jobs is not possible here")


def _InheritOpParams(parent, child) -> None:
    """Give a job submitted by an LU its parent's generic parameters."""
    if getattr(child, "comment", None) is None:
        try:
            child.comment = "Submitted by %s" % parent.OP_ID
        except AttributeError:
            pass
    parent_prio = getattr(parent, "priority", OP_PRIO_DEFAULT)
    if getattr(child, "priority", OP_PRIO_DEFAULT) == OP_PRIO_DEFAULT and \
            parent_prio != OP_PRIO_DEFAULT:
        child.priority = parent_prio
    if not getattr(child, "reason", None) and getattr(parent, "reason", None):
        child.reason = [list(entry) for entry in parent.reason]


class Processor:
    """Runs opcodes for one job (ec_id: the job id, for locks' owner name
    and the config's temporary reservations)."""

    def __init__(self, context, ec_id=None, enable_locks: bool = True,
                 timeout_strategy_factory: Callable[[], Any] =
                 LockAttemptTimeoutStrategy) -> None:
        self.context = context
        self._ec_id = ec_id
        self._cbs = None
        self._enable_locks = enable_locks
        self._strategy_factory = timeout_strategy_factory
        self.cfg = getattr(context, "cfg", None)
        self.rpc = getattr(context, "rpc", None)

    # -- logging ---------------------------------------------------------------

    def Log(self, *args) -> None:
        """Send a message to the job's log: Log(msg) or Log(type, msg)."""
        if self._cbs is not None:
            self._cbs.Feedback(*args)
        else:
            logging.info("%s", args[-1] if args else "")

    def LogStep(self, current: int, total: int, message: str) -> None:
        logging.debug("Step %d/%d %s", current, total, message)
        self.Log("STEP %d/%d %s" % (current, total, message))

    def LogWarning(self, message: str, *args, **kwargs) -> None:
        """Log a warning (keyword "hint" adds a hint line)."""
        hint = kwargs.pop("hint", None)
        if kwargs:
            raise errors.ProgrammerError("Unknown LogWarning arguments: %s" %
                                         ", ".join(sorted(kwargs)))
        if args:
            message = message % tuple(args)
        logging.warning(message)
        self.Log(" - WARNING: %s" % message)
        if hint:
            self.Log("      Hint: %s" % hint)

    def LogInfo(self, message: str, *args) -> None:
        if args:
            message = message % tuple(args)
        logging.info(message)
        self.Log(" - INFO: %s" % message)

    def GetECId(self):
        if self._ec_id is None:
            raise errors.ProgrammerError("Execution context id not set")
        return self._ec_id

    # -- execution -------------------------------------------------------------

    @staticmethod
    def _LookupLU(op):
        if not hasattr(op, "OP_ID"):
            raise errors.ProgrammerError("Non-opcode instance passed to"
                                         " ExecOpCode (%s)" % type(op))
        lu_class = cmdlib.GetLUClass(op)
        if lu_class is None:
            raise errors.OpCodeUnknown("Unknown opcode %s" % op.OP_ID)
        return lu_class

    def ExecOpCode(self, op, cbs=None, timeout: Optional[float] = None):
        """Run one opcode and return its result.

        timeout bounds the time spent acquiring locks (None: no bound);
        when it runs out LockAcquireTimeout is raised.
        """
        lu_class = self._LookupLU(op)
        overall = None if timeout is None else time.monotonic() + timeout
        strategy = self._strategy_factory()
        failures = 0
        self._cbs = cbs
        if self._ec_id is not None:
            locking.set_owner_name(str(self._ec_id))
        try:
            while True:
                if cbs is not None:
                    cbs.CheckCancel()
                interrupt.Check()
                attempt = strategy.NextAttempt()
                priority = self._Priority(op, failures, attempt is None)
                if overall is not None:
                    left = max(0.0, overall - time.monotonic())
                    attempt = left if attempt is None else min(attempt, left)
                try:
                    result = self._ExecAttempt(op, lu_class, attempt,
                                               priority)
                except LockAcquireTimeout:
                    failures += 1
                    if overall is not None and time.monotonic() >= overall:
                        raise
                    logging.debug("Lock attempt %d for %s timed out",
                                  failures, op.OP_ID)
                    continue
                if not getattr(op, "dry_run", False):
                    CheckOpResult(op, result)
                return result
        finally:
            self._cbs = None
            if self._ec_id is not None:
                locking.set_owner_name(None)
                drop = getattr(self.cfg, "DropECReservations", None)
                if drop is not None:
                    drop(self._ec_id)

    def _Priority(self, op, failures: int, last: bool) -> int:
        """Lock priority of an attempt: the opcode's, more urgent by one
        every two failed attempts; the final (blocking) one is highest."""
        current = None
        if self._cbs is not None:
            current = self._cbs.CurrentPriority()
        if current is None:
            current = getattr(op, "priority", OP_PRIO_DEFAULT)
        if last:
            return OP_PRIO_HIGHEST
        return max(OP_PRIO_HIGHEST, current - failures // 2)

    def _ExecAttempt(self, op, lu_class, timeout: Optional[float],
                     priority: int):
        deadline = None if timeout is None else time.monotonic() + timeout
        glm = getattr(self.context, "glm", None)
        try:
            if self._enable_locks:
                self._Acquire(glm, locking.LEVEL_CLUSTER, [locking.BGL],
                              not lu_class.REQ_BGL, deadline, priority)
            lu = lu_class(self, op, self.cfg, self.rpc, glm=glm,
                          context=self.context)
            lu.ExpandNames()
            if lu.needed_locks is None:
                raise errors.ProgrammerError("%s.ExpandNames did not set"
                                             " needed_locks" %
                                             lu_class.__name__)
            for level in locking.LEVELS:
                if level == locking.LEVEL_CLUSTER or \
                        level not in lu.needed_locks:
                    continue
                lu.DeclareLocks(level)
                if not self._enable_locks:
                    continue
                names = lu.needed_locks[level]
                shared = bool(lu.share_locks.get(level, 0))
                if lu.opportunistic_locks.get(level, False):
                    self._AcquireOpportunistic(
                        lu, glm, level, names, shared, deadline, priority,
                        lu.opportunistic_locks_count.get(level, 1))
                else:
                    self._Acquire(glm, level, names, shared, deadline,
                                  priority)
            if self._cbs is not None:
                self._cbs.NotifyStart()
            return self._ExecLU(lu)
        finally:
            if self._enable_locks and glm is not None:
                glm.release_all()

    @staticmethod
    def _Remaining(deadline: Optional[float]) -> Optional[float]:
        if deadline is None:
            return None
        return max(0.0, deadline - time.monotonic())

    def _Acquire(self, glm, level: int, names, shared: bool,
                 deadline: Optional[float], priority: int) -> None:
        if names is not locking.ALL_SET and not names:
            return
        acquired = glm.acquire(level, names, shared=int(shared),
                               timeout=self._Remaining(deadline),
                               priority=priority)
        if acquired is None:
            raise LockAcquireTimeout("Could not acquire %s locks in time" %
                                     locking.LEVEL_NAMES[level])

    def _AcquireOpportunistic(self, lu, glm, level: int, names, shared: bool,
                              deadline: Optional[float], priority: int,
                              min_count: int) -> None:
        """Take whichever of the locks are free, waiting until at least
        min_count of them (or all, if fewer) could be taken."""
        if names is locking.ALL_SET:
            names = cmdlib_base.AllLockNames(lu.cfg, level) or []
        names = sorted(set(names))
        if not names:
            return
        wanted = min(max(1, min_count), len(names))
        lockset = glm.get_lockset(level)
        while True:
            got = glm.acquire(level, names, shared=int(shared),
                              opportunistic=True, priority=priority)
            if len(got) >= wanted:
                return
            if got:
                glm.release(level, list(got))
            left = self._Remaining(deadline)
            if left is not None and left <= 0:
                raise LockAcquireTimeout("Could not acquire enough %s locks"
                                         " in time" %
                                         locking.LEVEL_NAMES[level])
            if self._cbs is not None:
                self._cbs.CheckCancel()
            interrupt.Check()
            lockset.wait_for_change(1.0 if left is None else min(left, 1.0))

    def BuildHooksManager(self, lu) -> HooksMaster:
        return HooksMaster.BuildFromLu(self._HooksRunner, lu)

    def _HooksRunner(self, node_names: List[str], hooks_path: str, phase: str,
                     env: dict) -> dict:
        """Nodes marked unreachable are not waited for (their hooks are
        reported as a communication failure at once)."""
        return self.rpc.call_hooks_runner(node_names, hooks_path, phase, env,
                                          skip_unreachable=True)

    def _ConfigWriteMark(self):
        cfg = self.cfg
        if cfg is None:
            return None
        if hasattr(cfg, "write_count"):
            return cfg.write_count
        getter = getattr(cfg, "GetConfigSerial", None)
        return getter() if getter is not None else None

    def _ExecLU(self, lu):
        """CheckPrereq, hooks and Exec of an LU holding its locks."""
        write_mark = self._ConfigWriteMark()
        interrupt.Check()
        lu.CheckPrereq()
        hm = self.BuildHooksManager(lu)
        h_results = hm.RunPhase(HOOKS_PHASE_PRE)
        lu.HooksCallBack(HOOKS_PHASE_PRE, h_results, self.Log, None)
        if getattr(lu.op, "dry_run", False):
            self.LogInfo(DRY_RUN_MSG)
            return lu.dry_run_result
        submit_fn = None
        if self._cbs is not None:
            submit_fn = self._cbs.SubmitManyJobs
        interrupt.Check()
        try:
            result = self._ProcessResult(submit_fn, lu.op,
                                         lu.Exec(self.Log))
            try:
                h_results = hm.RunPhase(HOOKS_PHASE_POST)
            except errors.GenericError as err:
                self.LogWarning("Post hooks failed: %s", err)
                h_results = {}
            result = lu.HooksCallBack(HOOKS_PHASE_POST, h_results, self.Log,
                                      result)
        finally:
            if write_mark != self._ConfigWriteMark():
                try:
                    hm.RunConfigUpdate()
                except Exception as err:  # pylint: disable=broad-except
                    logging.warning("config-update hooks failed: %s", err)
        return result

    @staticmethod
    def _ProcessResult(submit_fn, op, result):
        """Submit the jobs of a ResultWithJobs; other results pass through."""
        if not isinstance(result, ResultWithJobs):
            return result
        if submit_fn is None:
            raise errors.ProgrammerError("%s returned jobs to submit, but"
                                         " jobs can't be submitted here" %
                                         op.OP_ID)
        for job in result.jobs:
            for child in job:
                _InheritOpParams(op, child)
        submitted = submit_fn(result.jobs)
        other = dict(result.other)
        if JOB_IDS_KEY in other:
            raise errors.ProgrammerError("Key '%s' found in additional"
                                         " return values" % JOB_IDS_KEY)
        other[JOB_IDS_KEY] = submitted
        return other
