"""The job queue of the master daemon.

Jobs are on disk as ``job-<id>`` files in pathutils.QUEUE_DIR (see
jqueue_job for the format, jqueue_store for the layout).  Only unfinished
jobs (queued, waiting, running, canceling) live in memory, plus a bounded
cache of recently used finished ones (FINISHED_CACHE_SIZE); of the other
finished jobs the queue keeps only their id, status and age, and reads
their file when they are asked for.  A job file is written and fsynced before its id is returned.  A
pool of worker threads runs jobs (lowest priority value first, then lowest
id), each opcode through ``processor.ExecOpCode(op, callbacks)``.

Every write of a job file is also handed to the other master candidates
through one replication hook (``_Replicate``), so a new master can take
the queue over; the sending is asynchronous and coalescing (one worker per
candidate, see jqueue_replicate), so an unreachable candidate never slows
a job down.  At start-up, jobs left queued or waiting by a crash are
run again; jobs that were running end in error ("Unclean master daemon
shutdown"); no job vanishes.

Modules: jqueue (this: the public API, submission, control, archive),
jqueue_lookup (finding jobs in memory, finished or archived; queries),
jqueue_exec (worker threads, dependencies, the processor callbacks),
jqueue_job (job/opcode model, status rules, query fields), jqueue_store
(the queue directory on disk), jqueue_replicate (copies to candidates).

Lock order: ``JobQueue._lock`` before ``job.lock`` before the replicator's
lock; never the other way.  Changes are handed to the replicator while the
lock that serialises them is held, so every candidate sees them in order.
"""

import collections
import itertools
import logging
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import opcodes_base
from ganeti import pathutils
from ganeti.jqueue.exec import (INTERRUPT_CANCEL,  # noqa: F401
                                INTERRUPT_SHUTDOWN, CancelJob,
                                JobExecutionMixin, OpExecCallbacks)
from ganeti.jqueue.lookup import (FINISHED_CACHE_SIZE,  # noqa: F401
                                  WFJC_TIMEOUT, FinishedEntry,
                                  JobLookupMixin)
from ganeti.jqueue.replicate import Replicator
from ganeti.jqueue.job import (CANCELED_RESULT, EncodeOpError, OpGet, OpSet,
                               QueuedJob, QueuedOpCode, TimestampNow)
from ganeti.jqueue.store import (JOB_QUEUE_SIZE_HARD_LIMIT,
                                 JobStore, ParseJobId)
from ganeti.utils import io as utils_io

C = constants

DEFAULT_WORKERS = 20
UNCLEAN_SHUTDOWN_MSG = "Unclean master daemon shutdown"
# How long copying the queue to a (new or lagging) candidate may take, and
# how long pending replication may delay a shutdown.
COPY_TIMEOUT = 60.0
SHUTDOWN_REPLICATION_TIMEOUT = 10.0
# Failed sends to a node that answers again tolerated by ResyncNodes (one
# may have been on its way before the node came back).
RESYNC_RETRIES = 2
OPCODE_REASON_SRC = "gnt:opcode"


def _LoadOpCode(state: dict) -> Any:
    from ganeti import opcodes  # pylint: disable=import-outside-toplevel
    return opcodes.OpCode.LoadOpCode(state)


def _DefaultProcessorFactory(context: Any, ec_id: int) -> Any:
    from ganeti import mcpu  # pylint: disable=import-outside-toplevel
    return mcpu.Processor(context, ec_id)


class JobQueue(JobLookupMixin, JobExecutionMixin):
    """The master's job queue (see the module docstring)."""

    def __init__(self, context: Any,
                 processor_factory: Optional[Callable[[Any, int], Any]] = None,
                 workers: int = DEFAULT_WORKERS,
                 op_loader: Optional[Callable[[dict], Any]] = None,
                 replicate_fn: Optional[Callable[..., None]] = None) -> None:
        self.context = context
        self._processor_factory = (processor_factory
                                   or _DefaultProcessorFactory)
        self._op_loader = op_loader or _LoadOpCode
        self._replicate_fn = replicate_fn
        self._store = JobStore(pathutils.QUEUE_DIR)  # type: ignore
        self._lock = threading.RLock()
        self._work_cond = threading.Condition(self._lock)
        # Unfinished jobs (and finished ones until _JobFinalized retires
        # them); finished ones: id -> (status, age stamp), some cached.
        self._jobs: Dict[int, QueuedJob] = {}
        self._finished: Dict[int, Tuple[str, Optional[int]]] = {}
        self._cache: "collections.OrderedDict[int, QueuedJob]" = \
            collections.OrderedDict()
        self._ready: List[Tuple[int, int, int]] = []
        self._heap_counter = itertools.count(1)
        self._dep_waiters: Dict[int, set] = {}
        self._running: set = set()
        # Jobs held back by a PAUSE or RATE_LIMIT filter rule.
        self._held: set = set()
        self._reserved = 0
        self._accepting = True
        self._stopping = False
        self._workers: List[threading.Thread] = []
        self._replicator: Optional[Replicator] = None

        self._store.EnsureLayout()
        self._queue_lock = utils_io.FileLock.Open(self._store.lock_file)
        try:
            self._queue_lock.Exclusive(blocking=True, timeout=10)
        except errors.LockError:
            self._queue_lock.Close()
            raise errors.JobQueueError("Job queue %s is locked by another"
                                       " process" % self._store.queue_dir)
        rpc = getattr(context, "rpc", None)
        if replicate_fn is None and rpc is not None:
            self._replicator = Replicator(rpc, copy_fn=self._CopyQueueTo)
            self._replicator.SetTargets(self._ReplicationTargets())
        try:
            self._serial = self._store.ReadSerial()
            self._InspectQueue()
            self._SerialAboveJobFiles()
        except Exception:
            if self._replicator is not None:
                self._replicator.Shutdown(timeout=0)
            self._queue_lock.Close()
            raise
        reach = getattr(rpc, "reach", None)
        if self._replicator is not None and reach is not None:
            reach.AddListener(self._replicator.Wake)
        for idx in range(max(1, workers)):
            thread = threading.Thread(target=self._WorkerLoop,
                                      name="jq-worker-%d" % idx, daemon=True)
            self._workers.append(thread)
            thread.start()

    # --- start-up ------------------------------------------------------------

    def _InspectQueue(self) -> None:
        """Load the live jobs; resume or fail the unfinished ones."""
        for job_id in self._store.ListJobIds():
            try:
                state = self._store.LoadJob(job_id)
            except errors.JobFileCorrupted as err:
                logging.error("Ignoring job %s: %s", job_id, err)
                continue
            if state is None:
                continue
            job = QueuedJob.Restore(state, self._op_loader)
            self._serial = max(self._serial, job.id)
            status = job.CalcStatus()
            with job.lock:
                if status == C.JOB_STATUS_WAITING:
                    logging.warning("Job %s was waiting, requeueing", job.id)
                    job.MarkUnfinishedOps(C.OP_STATUS_QUEUED, None)
                    self._WriteJob(job)
                elif status in (C.JOB_STATUS_RUNNING,
                                C.JOB_STATUS_CANCELING):
                    logging.warning("Job %s was %s, marking it failed",
                                    job.id, status)
                    job.MarkUnfinishedOps(C.OP_STATUS_ERROR, EncodeOpError(
                        errors.OpExecError(UNCLEAN_SHUTDOWN_MSG)))
                    job.Finalize()
                    self._WriteJob(job)
            with self._lock:
                if job.IsFinalized():
                    self._finished[job.id] = FinishedEntry(job)
                else:
                    self._jobs[job.id] = job
                    self._EnqueueLocked(job)
        logging.info("Job queue inspected: %d jobs (%d finished), serial %d",
                     len(self._jobs) + len(self._finished),
                     len(self._finished), self._serial)

    def _SerialAboveJobFiles(self) -> None:
        """Never hand out an id at or below an existing job file's (the
        serial file may have been lost, emptied or left behind)."""
        highest = self._store.HighestJobId()
        if highest > self._serial:
            logging.warning("Job queue serial %d is below the highest job id"
                            " present (%d), using %d", self._serial,
                            highest, highest)
            self._serial = highest
            self._store.WriteSerial(self._serial)

    # --- replication ---------------------------------------------------------

    def _ReplicationTargets(self) -> List[str]:
        """Names of the online master candidates other than this node."""
        cfg = getattr(self.context, "cfg", None)
        if cfg is None or getattr(self.context, "rpc", None) is None:
            return []
        try:
            master = cfg.GetMasterNode()
            return sorted(node.name for uuid, node in
                          cfg.GetAllNodesInfo().items()
                          if node.master_candidate and not node.offline
                          and uuid != master)
        except Exception:  # pylint: disable=broad-except
            logging.exception("Cannot compute job queue replication targets")
            return []

    def UpdateReplicationTargets(self) -> None:
        """Re-read the candidates from the configuration (called by the
        config distributor after each change)."""
        if self._replicator is not None:
            self._replicator.SetTargets(self._ReplicationTargets())

    def _Replicate(self, call: str, *args: Any) -> None:
        """The one replication hook: hand call_<call>(candidates, *args) to
        the replicator (or to replicate_fn when given).

        Callers hold the lock that orders the change (job.lock for a job
        file, the queue lock for the serial and the drain flag).  Nothing
        here waits for the network or raises: the local queue is
        authoritative.
        """
        try:
            if self._replicate_fn is not None:
                self._replicate_fn(call, *args)
            elif self._replicator is None:
                return
            elif call == "jobqueue_update":
                self._replicator.Update(*args)
            elif call == "jobqueue_rename":
                self._replicator.Rename(*args)
            elif call == "jobqueue_set_drain_flag":
                self._replicator.SetDrainFlag(*args)
            else:
                raise ValueError("unknown replication call %s" % call)
        except Exception:  # pylint: disable=broad-except
            logging.exception("Job queue replication (%s) failed", call)

    def _WriteJob(self, job: QueuedJob, replicate: bool = True) -> None:
        """Write the job file (caller holds job.lock) and wake waiters."""
        content = self._store.Dump(job.Serialize())
        path = self._store.WriteJob(job.id, content)
        job.cond.notify_all()
        if replicate:
            self._Replicate("jobqueue_update", path, content)

    def _CopyQueueTo(self, node_name: str) -> None:
        """Hand the serial, the drain flag and every live job file to the
        replicator for one node (each under the lock ordering its changes)."""
        rep = self._replicator
        if rep is None:
            return
        with self._lock:
            rep.Update(self._store.serial_file,
                       self._store.SerialContent(self._serial),
                       nodes=[node_name])
            rep.SetDrainFlag(self._store.IsDrained(), nodes=[node_name])
            ids = self._LiveIdsLocked()
        for job_id in ids:
            with self._lock:
                job = self._jobs.get(job_id)
                if job is None:
                    # Finished: its file is what would be sent (archiving,
                    # under this lock, cannot come in between).
                    content = (self._store.ReadJob(job_id)
                               if job_id in self._finished else None)
                    if content is not None:
                        rep.Update(self._store.JobPath(job_id), content,
                                   nodes=[node_name])
                    continue
            with job.lock:
                if job.archived:
                    continue
                rep.Update(self._store.JobPath(job.id),
                           self._store.Dump(job.Serialize()),
                           nodes=[node_name])

    def AddNode(self, node_name: str,
                timeout: float = COPY_TIMEOUT) -> Optional[str]:
        """Copy the queue to a new master candidate and wait for it.

        Returns None, or why the copy did not complete (it goes on in the
        background).
        """
        if self._replicator is None:
            return None
        self._CopyQueueTo(node_name)
        err = self._replicator.Flush([node_name], timeout=timeout,
                                     wake=True).get(node_name)
        if err:
            logging.warning("Copying the job queue to %s: %s", node_name, err)
        else:
            self._replicator.MarkClean([node_name])
        return err

    def ResyncNodes(self, timeout: float = COPY_TIMEOUT,
                    unreachable: Optional[Dict[str, str]] = None
                    ) -> Dict[str, Optional[str]]:
        """Copy the queue again to the candidates that may have missed
        changes (unreachable for a while, changes lost), then wait until
        every change handed over so far (the copies and whatever was still
        pending) has reached every candidate not in unreachable ({name:
        error}), for at most timeout seconds.

        Returns {node: None or the error} for every candidate; those in
        unreachable get their copy in the background, without a wait.
        """
        rep = self._replicator
        if rep is None:
            return {}
        unreachable = unreachable or {}
        targets = rep.Targets()
        copied = [n for n in targets if rep.NeedsCopy(n)]
        for name in copied:
            self._CopyQueueTo(name)
        reachable = [n for n in targets if n not in unreachable]
        result = rep.Flush(reachable, timeout=timeout, wake=True,
                           retries=RESYNC_RETRIES)
        rep.MarkClean([n for n in copied if n in result and not result[n]])
        for name in targets:
            if name in unreachable:
                result[name] = unreachable[name]
        return result

    # --- submission ----------------------------------------------------------

    def _PrepareJob(self, job_id: int, ops: Sequence[Any],
                    batch_ids: Sequence[int], received: list) -> QueuedJob:
        """Build a job from submitted opcodes; raise on invalid input."""
        if not ops:
            raise errors.GenericError("A job needs at least one opcode")
        loaded = []
        for op in ops:
            if isinstance(op, dict):
                op = self._op_loader(dict(op))
            loaded.append(op)
        queued = []
        received_ns = received[0] * 1000000000 + received[1] * 1000
        for idx, op in enumerate(loaded):
            prio = OpGet(op, "priority")
            if prio is None:
                prio = C.OP_PRIO_DEFAULT
                OpSet(op, "priority", prio)
            opcodes_base.ValidateSubmitPriority(prio)
            deps = OpGet(op, "depends")
            if deps:
                OpSet(op, "depends", self._ResolveDependencies(
                    deps, batch_ids))
            op_id = str(OpGet(op, "OP_ID", "") or "")
            source = "%s:%s" % (OPCODE_REASON_SRC, op_id[3:].lower()
                                if op_id.startswith("OP_") else op_id.lower())
            reason = list(OpGet(op, "reason") or [])
            reason.append([source, "job=%d;index=%d" % (job_id, idx),
                           received_ns])
            OpSet(op, "reason", reason)
            queued.append(QueuedOpCode(op))
        return QueuedJob(job_id, queued, received)

    @staticmethod
    def _ResolveDependencies(deps: Any, batch_ids: Sequence[int]) -> list:
        """Turn relative job ids (-1 = previous job in this submission)
        into absolute ones."""
        result = []
        for dep in deps:
            try:
                dep_id, statuses = dep[0], list(dep[1])
            except (TypeError, IndexError):
                raise errors.GenericError("Invalid dependency %r" % (dep, ))
            if isinstance(dep_id, int) and dep_id < 0:
                pos = len(batch_ids) + dep_id
                if pos < 0:
                    raise errors.GenericError("Unable to resolve relative"
                                              " job ID %s" % dep_id)
                dep_id = batch_ids[pos]
            else:
                dep_id = ParseJobId(dep_id)
            for status in statuses:
                if status not in C.JOBS_FINALIZED:
                    raise errors.GenericError(
                        "Dependency status '%s' is not a final job status"
                        % status)
            result.append([dep_id, statuses])
        return result

    def _Submit(self, jobs: Sequence[Sequence[Any]], check_drain: bool,
                single: bool) -> list:
        count = len(jobs)
        with self._lock:
            if not self._accepting:
                raise errors.JobQueueError("Job queue is shutting down,"
                                           " refusing job")
            if check_drain and self._store.IsDrained():
                raise errors.JobQueueDrainError("Job queue is drained,"
                                                " refusing job")
            if len(self._jobs) + len(self._finished) + self._reserved + \
                    count > JOB_QUEUE_SIZE_HARD_LIMIT:
                raise errors.JobQueueFull()
            first = self._serial + 1
            self._serial += count
            content = self._store.WriteSerial(self._serial)
            self._Replicate("jobqueue_update", self._store.serial_file,
                            content)
            self._reserved += count
        try:
            ids = list(range(first, first + count))
            received = TimestampNow()
            results: list = []
            prepared = []
            for idx, (job_id, ops) in enumerate(zip(ids, jobs)):
                try:
                    job = self._PrepareJob(job_id, ops, ids[:idx], received)
                except Exception as err:  # pylint: disable=broad-except
                    if single:
                        raise
                    results.append((False, str(err)))
                    continue
                prepared.append(job)
                results.append((True, job_id))
            for job in prepared:
                with job.lock:
                    self._WriteJob(job)
            with self._lock:
                for job in prepared:
                    self._jobs[job.id] = job
                    self._EnqueueLocked(job)
        finally:
            with self._lock:
                self._reserved -= count
        return results

    def SubmitJob(self, ops: Sequence[Any]) -> int:
        """Add a job; return its id once its file is on disk."""
        return self._Submit([ops], True, True)[0][1]

    def SubmitJobToDrainedQueue(self, ops: Sequence[Any]) -> int:
        """Like SubmitJob, ignoring the drain flag."""
        return self._Submit([ops], False, True)[0][1]

    def SubmitManyJobs(self, jobs: Sequence[Sequence[Any]]) -> list:
        """Add several jobs; [(True, id) or (False, error message), ...].

        Opcodes may depend on earlier jobs of the same call with relative
        (negative) job ids.
        """
        return self._Submit(jobs, True, False)

    # --- job control ---------------------------------------------------------

    def CancelJob(self, job_id: Any, kill: bool = False) -> Tuple[bool, str]:
        """Cancel a job: queued ones at once, waiting (or, with kill,
        running) ones when the processor next checks."""
        job = self._GetJob(job_id, archived=False)
        if job is None:
            return False, "Job %s not found" % job_id
        finalized = False
        with self._lock:
            with job.lock:
                status = job.CalcStatus()
                if status == C.JOB_STATUS_QUEUED:
                    job.MarkUnfinishedOps(C.OP_STATUS_CANCELED,
                                          CANCELED_RESULT)
                    job.Finalize()
                    self._WriteJob(job)
                    finalized = True
                    result = (True, "Job %s canceled" % job.id)
                elif status == C.JOB_STATUS_WAITING or \
                        (status == C.JOB_STATUS_RUNNING and kill):
                    job.MarkUnfinishedOps(C.OP_STATUS_CANCELING, None)
                    self._WriteJob(job)
                    self._InterruptLocked(job, INTERRUPT_CANCEL)
                    result = (True, "Job %s will be canceled" % job.id)
                elif status == C.JOB_STATUS_CANCELING:
                    if kill:
                        self._InterruptLocked(job, INTERRUPT_CANCEL)
                    result = (True, "Job %s will be canceled" % job.id)
                else:
                    result = (False, "Job %s is no longer waiting in the"
                              " queue" % job.id)
            if job.parked_on is not None and not finalized and result[0]:
                self._dep_waiters.get(job.parked_on, set()).discard(job.id)
                job.parked_on = None
                self._EnqueueLocked(job)
        if finalized:
            self._JobFinalized(job)
        return result

    @staticmethod
    def _InterruptLocked(job: QueuedJob, reason: str) -> None:
        """Stop the job's executing opcode at its next interruption point
        (lock wait, RPC, log message; caller holds job.lock)."""
        if job.interruptor is not None:
            job.interruptor.Interrupt(reason)

    def ChangeJobPriority(self, job_id: Any,
                          priority: int) -> Tuple[bool, str]:
        """Change the priority of the job's pending opcodes."""
        opcodes_base.ValidateSubmitPriority(priority)
        job = self._GetJob(job_id, archived=False)
        if job is None:
            return False, "Job %s not found" % job_id
        with self._lock:
            with job.lock:
                status = job.CalcStatus()
                if status in C.JOBS_FINALIZED:
                    return False, "Job %s is finished" % job.id
                if status == C.JOB_STATUS_CANCELING:
                    return False, "Job %s is cancelling" % job.id
                changed = False
                for op in job.ops:
                    if op.status in (C.OP_STATUS_QUEUED,
                                     C.OP_STATUS_WAITING):
                        op.priority = priority
                        changed = True
                if not changed:
                    return False, "Job %s had no pending opcodes" % job.id
                self._WriteJob(job)
            if job.heap_seq:
                self._EnqueueLocked(job)  # re-sort; old entry goes stale
        return True, ("Priorities of pending opcodes for job %s have been"
                      " changed to %s" % (job.id, priority))

    # --- archive -------------------------------------------------------------

    def _ArchiveJobs(self, job_ids: List[int]) -> int:
        """Archive those of the jobs that are finished and live."""
        renames = []
        with self._lock:
            for job_id in job_ids:
                job = self._jobs.get(job_id)
                if job is None and job_id not in self._finished:
                    continue
                if job is not None:
                    with job.lock:
                        if not job.IsFinalized():
                            continue
                try:
                    renames.append(self._store.Archive(job_id))
                except OSError as err:
                    logging.error("Cannot archive job %s: %s", job_id, err)
                    continue
                for copy in (job, self._cache.pop(job_id, None)):
                    if copy is not None:
                        copy.archived = True
                self._jobs.pop(job_id, None)
                self._finished.pop(job_id, None)
        if renames:
            self._Replicate("jobqueue_rename", renames)
        return len(renames)

    def ArchiveJob(self, job_id: Any) -> bool:
        """Move one finished job to the archive; False if not possible."""
        try:
            job_id = ParseJobId(job_id)
        except errors.ParameterError:
            return False
        return self._ArchiveJobs([job_id]) == 1

    def AutoArchiveJobs(self, age: float, timeout: float) -> Tuple[int, int]:
        """Archive finished jobs older than age seconds (-1: all).

        Returns (archived, not examined because timeout seconds passed).
        """
        end = time.monotonic() + timeout
        now = time.time()
        with self._lock:
            ids = self._LiveIdsLocked()
        archived = 0
        pending: List[int] = []
        examined = 0
        for job_id in ids:
            if time.monotonic() > end:
                break
            examined += 1
            with self._lock:
                entry = self._finished.get(job_id)
                job = self._jobs.get(job_id)
                if entry is None and job is not None:
                    with job.lock:
                        if job.IsFinalized():
                            entry = FinishedEntry(job)
            if entry is None:
                continue  # unfinished or gone
            stamp = entry[1]
            if age == -1 or stamp is None or now - stamp >= age:
                pending.append(job_id)
            if len(pending) >= 10:
                archived += self._ArchiveJobs(pending)
                pending = []
        if pending:
            archived += self._ArchiveJobs(pending)
        return archived, len(ids) - examined

    # --- job filter rules ----------------------------------------------------

    def GetHighestJobId(self) -> int:
        """The highest job id handed out (a new filter's watermark)."""
        with self._lock:
            return self._serial

    def FiltersChanged(self) -> None:
        """Re-evaluate the jobs held back by filter rules."""
        with self._lock:
            self._ReleaseHeldLocked()

    # --- drain flag ----------------------------------------------------------

    def SetDrainFlag(self, drain_flag: bool) -> bool:
        """Set or clear the queue's drain flag (also on the candidates)."""
        with self._lock:
            self._store.SetDrained(bool(drain_flag))
            self._Replicate("jobqueue_set_drain_flag", bool(drain_flag))
        return True

    def IsDrained(self) -> bool:
        return self._store.IsDrained()

    # --- shutdown ------------------------------------------------------------

    def PrepareShutdown(self) -> bool:
        """Refuse new jobs; True while jobs are still being processed."""
        with self._lock:
            self._accepting = False
            return bool(self._running)

    def Shutdown(self, timeout: Optional[float] = None) -> None:
        """Stop the workers, interrupting the executing opcodes at their
        next interruption point; release the queue.

        Unfinished jobs stay on disk: at the next start, waiting ones run
        again and running ones end in error (unclean shutdown).
        """
        with self._lock:
            self._accepting = False
            self._stopping = True
            self._work_cond.notify_all()
            running = [self._jobs[job_id] for job_id in self._running
                       if job_id in self._jobs]
        for job in running:
            with job.lock:
                self._InterruptLocked(job, INTERRUPT_SHUTDOWN)
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._workers:
            thread.join(None if deadline is None
                        else max(0.0, deadline - time.monotonic()))
        if self._replicator is not None:
            limit = SHUTDOWN_REPLICATION_TIMEOUT
            if deadline is not None:
                limit = min(limit, max(0.0, deadline - time.monotonic()))
            self._replicator.Shutdown(timeout=limit)
            reach = getattr(getattr(self.context, "rpc", None), "reach", None)
            if reach is not None:
                reach.RemoveListener(self._replicator.Wake)
        if self._queue_lock is not None:
            self._queue_lock.Close()
            self._queue_lock = None  # type: ignore[assignment]
