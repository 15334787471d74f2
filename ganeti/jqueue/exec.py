"""Job execution: the worker threads' side of the job queue.

``JobExecutionMixin`` (mixed into jqueue.JobQueue) picks runnable jobs by
priority then id, checks opcode dependencies (parking jobs that wait for
another job, so they hold no worker), runs each opcode through
``processor.ExecOpCode(op, callbacks)`` and records the outcome.

The callbacks given to the processor (``OpExecCallbacks``):
  NotifyStart()        locks acquired: opcode waiting -> running (raises
                       CancelJob if the job was canceled meanwhile)
  Feedback(*args)      Feedback(msg) or Feedback(log_type, msg): a log entry
  CheckCancel()        raise CancelJob if the job is being canceled
  CurrentPriority()    the opcode's current priority
  SubmitManyJobs(jobs) submit jobs for the LU; [(success, id_or_msg), ...]
"""

import heapq
import logging
from typing import Any, Optional, Sequence, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import serializer
from ganeti.utils import interrupt
from ganeti.jqueue import filters as job_filters
from ganeti.jqueue.job import (CANCELED_RESULT, EncodeOpError, OpGet,
                               OpState, QueuedJob, QueuedOpCode, TimestampNow)

C = constants

PRECEDING_FAILED_MSG = "Preceding opcode failed"

# Dependency check results.
_DEP_CONTINUE, _DEP_WAIT, _DEP_CANCEL, _DEP_ERROR = range(4)


# Why a job's execution was interrupted (utils.interrupt reasons).
INTERRUPT_CANCEL = "cancel"
INTERRUPT_SHUTDOWN = "shutdown"


class CancelJob(interrupt.Interrupted):
    """Raised by the callbacks when the current job has been canceled.

    Deliberately not a GenericError, so that LU code catching Ganeti errors
    does not swallow it; the processor must let it propagate.
    """


class OpExecCallbacks:
    """What the processor may call while it executes one opcode."""

    def __init__(self, queue: Any, job: QueuedJob,
                 op: QueuedOpCode) -> None:
        self._queue = queue
        self._job = job
        self._op = op

    def NotifyStart(self) -> None:
        """Locks are held, the LU starts: opcode status becomes running."""
        with self._job.lock:
            if self._op.status == C.OP_STATUS_CANCELING:
                canceled = True
            else:
                canceled = False
                self._op.status = C.OP_STATUS_RUNNING
                self._op.exec_timestamp = TimestampNow()
                self._queue._WriteJob(self._job)
        if canceled:
            raise CancelJob()

    def Feedback(self, *args: Any) -> None:
        """Append a log entry: Feedback(msg) or Feedback(log_type, msg)."""
        if len(args) == 1:
            log_type, msg = C.ELOG_MESSAGE, args[0]
        elif len(args) == 2:
            log_type, msg = args
        else:
            raise errors.ProgrammerError("Feedback takes one or two"
                                         " arguments, got %d" % len(args))
        self.CheckCancel()  # a killed job stops at its next message
        with self._job.lock:
            self._job.AddLog(self._op, log_type, msg)
            # Log messages are not replicated (as upstream).
            self._queue._WriteJob(self._job, replicate=False)

    def CheckCancel(self) -> None:
        """Raise CancelJob if the job was canceled meanwhile."""
        with self._job.lock:
            canceled = self._op.status == C.OP_STATUS_CANCELING
        if canceled:
            raise CancelJob()

    def CurrentPriority(self) -> int:
        """The opcode's current priority (ChangeJobPriority may change it)."""
        with self._job.lock:
            return self._op.priority

    def SubmitManyJobs(self, jobs: Sequence[Sequence[Any]]) -> list:
        """Submit jobs on behalf of the LU; [(success, id_or_msg), ...]."""
        return self._queue.SubmitManyJobs(jobs)


class JobExecutionMixin:
    """Worker-side methods of JobQueue (which provides the state)."""

    # --- scheduling ----------------------------------------------------------

    def _EnqueueLocked(self, job: QueuedJob) -> None:
        """Make job runnable (caller holds self._lock)."""
        if job.id in self._running:
            job.requeue = True
            return
        job.heap_seq = next(self._heap_counter)
        with job.lock:
            prio = job.CalcPriority()
        heapq.heappush(self._ready, (prio, job.id, job.heap_seq))
        self._work_cond.notify()

    def _PopReadyLocked(self) -> Optional[QueuedJob]:
        while self._ready:
            _, job_id, seq = heapq.heappop(self._ready)
            job = self._jobs.get(job_id)
            if job is None or seq != job.heap_seq or job_id in self._running:
                continue
            job.heap_seq = 0
            verdict = self._FilterVerdictLocked(job)
            if verdict == job_filters.PAUSE:
                self._held.add(job.id)
                continue
            if verdict == job_filters.REJECT:
                with job.lock:
                    self._FinishCanceledLocked(job)
                self._JobFinalized(job)
                continue
            return job
        return None

    def _FilterVerdictLocked(self, job: QueuedJob) -> str:
        """What the filter rules say about a not yet started job."""
        get_rules = getattr(getattr(self.context, "cfg", None),
                            "GetAllFiltersInfo", None)
        rules = list(get_rules().values()) if get_rules else []
        if not rules:
            return job_filters.ACCEPT
        with job.lock:
            if job.CalcStatus() != C.JOB_STATUS_QUEUED:
                return job_filters.ACCEPT
            ops = [OpState(op.input) for op in job.ops]
        running = []
        for job_id in self._running:
            other = self._jobs.get(job_id)
            if other is not None:
                with other.lock:
                    running.append((job_id, [OpState(op.input)
                                             for op in other.ops]))
        return job_filters.Decide(rules, job.id, ops, running)

    def _ReleaseHeldLocked(self) -> None:
        """Put the held jobs back into the ready heap (re-filtered there)."""
        held, self._held = self._held, set()
        for job_id in held:
            job = self._jobs.get(job_id)
            if job is not None and not job.IsFinalized():
                self._EnqueueLocked(job)

    def _WorkerLoop(self) -> None:
        while True:
            with self._lock:
                job = None
                while not self._stopping:
                    job = self._PopReadyLocked()
                    if job is not None:
                        break
                    self._work_cond.wait()
                if job is None:
                    return
                self._running.add(job.id)
            try:
                self._ProcessJob(job)
            except Exception:  # pylint: disable=broad-except
                logging.exception("Unhandled error while processing job %s",
                                  job.id)
            finally:
                with self._lock:
                    self._running.discard(job.id)
                    if self._held:
                        self._ReleaseHeldLocked()  # rate limits
                    if job.requeue:
                        job.requeue = False
                        with job.lock:
                            finished = job.IsFinalized()
                        if not self._stopping and not finished:
                            self._EnqueueLocked(job)
                    self._work_cond.notify_all()

    def _ProcessJob(self, job: QueuedJob) -> None:
        """Run the job's remaining opcodes (or park it on a dependency)."""
        proc = None
        while True:
            if self._stopping:
                return  # resumed at the next start
            with job.lock:
                op = job.NextOpCode()
                if op is None:
                    return
                if op.status == C.OP_STATUS_CANCELING:
                    self._FinishCanceledLocked(job)
                    break
            verdict, msg = self._CheckDependencies(job, op)
            if verdict == _DEP_WAIT:
                return
            with job.lock:
                if op.status == C.OP_STATUS_CANCELING or \
                        verdict == _DEP_CANCEL:
                    self._FinishCanceledLocked(job)
                    break
                if op.status not in (C.OP_STATUS_QUEUED,
                                     C.OP_STATUS_WAITING):
                    continue  # changed meanwhile (e.g. canceled)
                if verdict == _DEP_ERROR:
                    self._FinishFailedLocked(job, op,
                                             errors.OpExecError(msg))
                    break
                op.status = C.OP_STATUS_WAITING
                job.MarkStarted(op)
                self._WriteJob(job)
                job.interruptor = interrupt.Interruptor()
                if self._stopping:
                    job.interruptor.Interrupt(INTERRUPT_SHUTDOWN)
            cbs = OpExecCallbacks(self, job, op)
            try:
                if op.load_error is not None:
                    raise op.load_error
                if proc is None:
                    proc = self._processor_factory(self.context, job.id)
                with interrupt.Bound(job.interruptor):
                    result = proc.ExecOpCode(op.input, cbs)
                serializer.DumpJson(result)  # must fit in the job file
            except (interrupt.Interrupted, errors.JobCanceled):
                with job.lock:
                    reason = job.interruptor.reason
                    job.interruptor = None
                    if reason == INTERRUPT_SHUTDOWN and \
                            op.status != C.OP_STATUS_CANCELING:
                        # Left as it is on disk: resumed (waiting) or
                        # failed (running) at the next start.
                        logging.warning("Job %s interrupted by shutdown",
                                        job.id)
                        return
                    self._FinishCanceledLocked(job)
                break
            except Exception as err:  # pylint: disable=broad-except
                logging.info("Job %s: opcode %s failed: %s", job.id,
                             OpGet(op.input, "OP_ID"), err,
                             exc_info=not isinstance(err,
                                                     errors.GenericError))
                with job.lock:
                    job.interruptor = None
                    self._FinishFailedLocked(job, op, err)
                break
            with job.lock:
                job.interruptor = None
                op.status = C.OP_STATUS_SUCCESS
                op.result = result
                op.end_timestamp = TimestampNow()
                done = job.NextOpCode() is None
                if done:
                    job.Finalize()
                self._WriteJob(job)
            if done:
                break
        self._JobFinalized(job)

    def _FinishCanceledLocked(self, job: QueuedJob) -> None:
        job.MarkUnfinishedOps(C.OP_STATUS_CANCELED, CANCELED_RESULT)
        job.Finalize()
        self._WriteJob(job)

    def _FinishFailedLocked(self, job: QueuedJob, op: QueuedOpCode,
                            err: BaseException) -> None:
        op.status = C.OP_STATUS_ERROR
        op.result = EncodeOpError(err)
        op.end_timestamp = TimestampNow()
        job.MarkUnfinishedOps(C.OP_STATUS_ERROR, EncodeOpError(
            errors.OpExecError(PRECEDING_FAILED_MSG)))
        job.Finalize()
        self._WriteJob(job)

    def _JobFinalized(self, job: QueuedJob) -> None:
        """Retire the job from memory (it reached a final status) and wake
        the jobs that wait for it."""
        with self._lock:
            self._RetireLocked(job)
            for waiter_id in self._dep_waiters.pop(job.id, ()):
                waiter = self._jobs.get(waiter_id)
                if waiter is not None and waiter.parked_on == job.id:
                    waiter.parked_on = None
                    self._EnqueueLocked(waiter)

    # --- dependencies --------------------------------------------------------

    def _DependencyStatus(self, dep_id: int) -> Optional[str]:
        """Status of a job (live or archived), None if unknown (caller
        holds self._lock)."""
        dep = self._jobs.get(dep_id)
        if dep is not None:
            with dep.lock:
                return dep.CalcStatus()
        if dep_id in self._finished:
            return self._finished[dep_id][0]
        archived = self._LoadArchived(dep_id)
        return archived.CalcStatus() if archived is not None else None

    def _CheckDependencies(self, job: QueuedJob,
                           op: QueuedOpCode) -> Tuple[int, str]:
        for dep in OpGet(op.input, "depends") or []:
            try:
                dep_id, dep_statuses = int(dep[0]), list(dep[1])
            except (TypeError, ValueError, IndexError):
                return _DEP_ERROR, "Invalid dependency %r" % (dep, )
            with self._lock:
                status = (None if dep_id == job.id
                          else self._DependencyStatus(dep_id))
                if status is None:
                    return _DEP_ERROR, "Dependency job %s not found" % dep_id
                if status not in C.JOBS_FINALIZED:
                    with job.lock:
                        if op.status == C.OP_STATUS_CANCELING:
                            return _DEP_CANCEL, ""
                        job.parked_on = dep_id
                        self._dep_waiters.setdefault(dep_id, set()).add(
                            job.id)
                        if op.status != C.OP_STATUS_WAITING:
                            op.status = C.OP_STATUS_WAITING
                            job.MarkStarted(op)
                            self._WriteJob(job)
                    return _DEP_WAIT, ""
            if status == C.JOB_STATUS_CANCELED and \
                    C.JOB_STATUS_CANCELED not in dep_statuses:
                return _DEP_CANCEL, ("Dependency job %s was canceled"
                                     % dep_id)
            wanted = dep_statuses or [C.JOB_STATUS_SUCCESS,
                                      C.JOB_STATUS_ERROR,
                                      C.JOB_STATUS_CANCELED]
            if status not in wanted:
                return _DEP_ERROR, ("Dependency job %s finished with status"
                                    " '%s', not one of %s"
                                    % (dep_id, status, ", ".join(wanted)))
        return _DEP_CONTINUE, ""
