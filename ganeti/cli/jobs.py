"""Submitting jobs and following them, for the gnt-* programs.

``SubmitOpCode`` submits one opcode and waits, printing the job's log
messages as ``<ctime> <message>``; ``SubmitOrSend`` honours ``--submit``;
``JobExecutor`` submits several jobs and waits for them in turn, printing
``Waiting for job N ...``.
"""

import itertools
import time
from typing import Any, Callable, List, Optional, Sequence, Tuple

from ganeti import constants
from ganeti import errors
from ganeti.cli.format import (FormatError, JobSubmittedException, ToStderr,
                               ToStdout)
from ganeti.cli.opts import PRIONAME_TO_VALUE
from ganeti.utils import text as utils_text

# Answer of WaitForJobChange when nothing changed before the timeout.
JOB_NOTCHANGED = constants.JOB_NOTCHANGED

# Source names in reason trails.
REASON_SRC_CLIENT = "gnt:client"
REASON_SRC_USER = "gnt:user"

# How many jobs JobExecutor asks about at once when picking the next one.
_CHOOSE_BATCH = 25


def GetClient(query: bool = False) -> Any:
    """A LUXI client for the master daemon (connects on first use)."""
    from ganeti import luxi
    return luxi.Client()


def EpochNano() -> int:
    """Current time in nanoseconds since the epoch (reason trail stamps)."""
    return int(time.time() * 1000000000)


def BuildReasonTrail(binary: str, command: str,
                     user_reason: Optional[str] = None) -> List[list]:
    """The reason trail a CLI invocation adds to its opcodes."""
    now = EpochNano()
    trail: List[list] = []
    if user_reason:
        trail.append([REASON_SRC_USER, user_reason, now])
    trail.append(["%s:%s" % (REASON_SRC_CLIENT, binary), command, now])
    return trail


def _OptionsTrail(options: Any) -> List[list]:
    reason = getattr(options, "reason", None)
    if not reason:
        return []
    if isinstance(reason, str):
        return [[REASON_SRC_USER, reason, EpochNano()]]
    return [list(entry) for entry in reason]


def SetGenericOpcodeOpts(opcode_list: Sequence[Any], options: Any) -> None:
    """Copy debug level, dry-run, priority and the reason trail from the
    parsed options into every opcode."""
    if not options:
        return
    trail = _OptionsTrail(options)
    for op in opcode_list:
        op.debug_level = getattr(options, "debug", 0) or 0
        if hasattr(options, "dry_run"):
            op.dry_run = options.dry_run
        priority = getattr(options, "priority", None)
        if priority is not None:
            op.priority = PRIONAME_TO_VALUE.get(priority, priority)
        if trail:
            existing = list(getattr(op, "reason", None) or [])
            op.reason = existing + [list(entry) for entry in trail]


def SendJob(ops: Sequence[Any], cl: Any = None) -> Any:
    """Submit one job made of ops; return its id."""
    if cl is None:
        cl = GetClient()
    return cl.SubmitJob(ops)


def FormatLogMessage(log_type: str, log_msg: Any) -> str:
    """A job log message as text safe for the terminal."""
    if log_type != constants.ELOG_MESSAGE:
        log_msg = str(log_msg)
    return utils_text.SafeEncode(log_msg)


# --- polling ----------------------------------------------------------------

class StdioJobPollReport:
    """Prints job log messages on stdout and queue notices on stderr."""

    def __init__(self) -> None:
        self.notified_queued = False
        self.notified_waitlock = False

    def ReportLogMessage(self, job_id: Any, serial: int, timestamp: Any,
                         log_type: str, log_msg: Any) -> None:
        ToStdout("%s %s", time.ctime(utils_text.MergeTime(timestamp)),
                 FormatLogMessage(log_type, log_msg))

    def ReportNotChanged(self, job_id: Any, status: Optional[str]) -> None:
        if status == constants.JOB_STATUS_QUEUED and not self.notified_queued:
            ToStderr("Job %s is waiting in queue", job_id)
            self.notified_queued = True
        elif (status == constants.JOB_STATUS_WAITING
              and not self.notified_waitlock):
            ToStderr("Job %s is trying to acquire all necessary locks",
                     job_id)
            self.notified_waitlock = True


class FeedbackFnJobPollReport:
    """Passes each log message to feedback_fn((timestamp, type, message))."""

    def __init__(self, feedback_fn: Callable[[Tuple], Any]) -> None:
        self.feedback_fn = feedback_fn

    def ReportLogMessage(self, job_id: Any, serial: int, timestamp: Any,
                         log_type: str, log_msg: Any) -> None:
        self.feedback_fn((timestamp, log_type, log_msg))

    def ReportNotChanged(self, job_id: Any, status: Optional[str]) -> None:
        pass


def _RunningStatuses() -> Tuple[str, ...]:
    return (constants.JOB_STATUS_QUEUED, constants.JOB_STATUS_WAITING,
            constants.JOB_STATUS_RUNNING)


def WaitJobFinished(job_id: Any, cl: Any, reporter: Any) -> None:
    """Follow a job until it is no longer queued, waiting or running."""
    prev_info = None
    prev_serial = None
    status = None
    running = _RunningStatuses()
    while True:
        result = cl.WaitForJobChangeOnce(job_id, ["status"], prev_info,
                                         prev_serial)
        if result is None:
            raise errors.JobLost("Job with id %s lost" % job_id)
        if result == JOB_NOTCHANGED:
            reporter.ReportNotChanged(job_id, status)
            continue
        job_info, log_entries = result
        for (serial, timestamp, log_type, message) in log_entries or []:
            reporter.ReportLogMessage(job_id, serial, timestamp, log_type,
                                      message)
            prev_serial = max(prev_serial or 0, serial)
        status = job_info[0]
        if status not in running:
            return
        prev_info = job_info


def JobResult(job_id: Any, cl: Any) -> List[Any]:
    """The opcode results of a finished job; raise its error if it failed."""
    jobs = cl.QueryJobs([job_id], ["status", "opstatus", "opresult"])
    if not jobs or jobs[0] is None:
        raise errors.JobLost("Job with id %s lost" % job_id)
    status, opstatus, result = jobs[0]
    if status == constants.JOB_STATUS_SUCCESS:
        return result
    if status in (constants.JOB_STATUS_CANCELING,
                  constants.JOB_STATUS_CANCELED):
        raise errors.OpExecError("Job was canceled")
    some_ok = False
    for idx, (op_status, op_result) in enumerate(zip(opstatus or [],
                                                     result or [])):
        if op_status == constants.OP_STATUS_SUCCESS:
            some_ok = True
        elif op_status == constants.OP_STATUS_ERROR:
            errors.MaybeRaise(op_result)
            if some_ok:
                raise errors.OpExecError("partial failure (opcode %d): %s"
                                         % (idx, op_result))
            raise errors.OpExecError(str(op_result))
    raise errors.OpExecError(result)


def PollJob(job_id: Any, cl: Any = None,
            feedback_fn: Optional[Callable[[Tuple], Any]] = None,
            reporter: Any = None) -> List[Any]:
    """Wait for a job, showing its log; return the list of opcode results.

    Log messages go to feedback_fn((timestamp, log_type, message)) if given,
    otherwise (or to reporter) they are printed as "<ctime> <message>".
    """
    if cl is None:
        cl = GetClient()
    if reporter is None:
        if feedback_fn is not None:
            reporter = FeedbackFnJobPollReport(feedback_fn)
        else:
            reporter = StdioJobPollReport()
    elif feedback_fn is not None:
        raise errors.ProgrammerError("Can't specify reporter and feedback"
                                     " function")
    WaitJobFinished(job_id, cl, reporter)
    return JobResult(job_id, cl)


def SubmitOpCode(op: Any, cl: Any = None,
                 feedback_fn: Optional[Callable[[Tuple], Any]] = None,
                 opts: Any = None, reporter: Any = None) -> Any:
    """Submit one opcode as a job, wait for it and return its result."""
    if cl is None:
        cl = GetClient()
    SetGenericOpcodeOpts([op], opts)
    job_id = SendJob([op], cl=cl)
    if getattr(opts, "print_jobid", False):
        ToStdout("%d", job_id)
    results = PollJob(job_id, cl=cl, feedback_fn=feedback_fn,
                      reporter=reporter)
    return results[0]


def SubmitOrSend(op: Any, opts: Any, cl: Any = None,
                 feedback_fn: Optional[Callable[[Tuple], Any]] = None) -> Any:
    """Like SubmitOpCode, but with --submit only submit the job.

    In that case JobSubmittedException(job_id) is raised; GenericMain turns
    it into "JobID: <id>" and exit code 0.
    """
    if opts and getattr(opts, "submit_only", False):
        job = [op]
        SetGenericOpcodeOpts(job, opts)
        job_id = SendJob(job, cl=cl)
        if getattr(opts, "print_jobid", False):
            ToStdout("%d", job_id)
        raise JobSubmittedException(job_id)
    return SubmitOpCode(op, cl=cl, feedback_fn=feedback_fn, opts=opts)


# --- many jobs --------------------------------------------------------------

class JobExecutor:
    """Submit several jobs, then wait for each and collect the results.

    Jobs are waited for in a good order: a job still queued or waiting is
    skipped in favour of a running or finished one.
    """

    def __init__(self, cl: Any = None, verbose: bool = True, opts: Any = None,
                 feedback_fn: Optional[Callable[[Tuple], Any]] = None
                 ) -> None:
        self.queue: List[Tuple[int, Optional[str], Sequence[Any]]] = []
        self.cl = cl if cl is not None else GetClient()
        self.verbose = verbose
        self.jobs: List[Tuple[int, bool, Any, Optional[str]]] = []
        self.opts = opts
        self.feedback_fn = feedback_fn
        self._counter = itertools.count()

    @staticmethod
    def _ForName(name: Optional[str]) -> str:
        return " for %s" % name if name else ""

    def QueueJob(self, name: Optional[str], *ops: Any) -> None:
        """Remember a job (submitted by SubmitPending or GetResults)."""
        SetGenericOpcodeOpts(ops, self.opts)
        self.queue.append((next(self._counter), name, ops))

    def AddJobId(self, name: Optional[str], status: bool, job_id: Any) -> None:
        """Track a job submitted elsewhere (status False: job_id is the
        submission error message)."""
        self.jobs.append((next(self._counter), status, job_id, name))

    def SubmitPending(self, each: bool = False) -> None:
        """Submit the queued jobs (one SubmitJob call each with each=True,
        otherwise one SubmitManyJobs call)."""
        if each:
            results = []
            for (_, _, ops) in self.queue:
                try:
                    results.append([True, self.cl.SubmitJob(ops)])
                except errors.GenericError as err:
                    results.append([False, FormatError(err)[1]])
        else:
            results = self.cl.SubmitManyJobs([ops for (_, _, ops)
                                              in self.queue])
        for (status, data), (idx, name, _) in zip(results, self.queue):
            self.jobs.append((idx, status, data, name))
        self.queue = []

    def _ChooseJob(self) -> Tuple[int, bool, Any, Optional[str]]:
        batch = self.jobs[:_CHOOSE_BATCH]
        statuses = self.cl.QueryJobs([job[2] for job in batch], ["status"])
        pending = (constants.JOB_STATUS_QUEUED, constants.JOB_STATUS_WAITING,
                   constants.JOB_STATUS_CANCELING)
        for job, info in zip(batch, statuses or []):
            if isinstance(info, list) and info and info[0] in pending:
                continue
            # Running, finished or lost: worth waiting for now.
            self.jobs.remove(job)
            return job
        return self.jobs.pop(0)

    def GetResults(self) -> List[Tuple[bool, Any]]:
        """Wait for every job; return [(success, result or message)] in
        submission order."""
        if self.queue:
            self.SubmitPending()
        results = []
        failed = [job for job in self.jobs if not job[1]]
        self.jobs = [job for job in self.jobs if job[1]]
        if self.verbose and self.jobs:
            ToStdout("Submitted jobs %s",
                     ", ".join(str(job[2]) for job in self.jobs))
        for idx, _, message, name in failed:
            ToStderr("Failed to submit job%s: %s", self._ForName(name),
                     message)
            results.append((idx, False, message))
        while self.jobs:
            idx, _, job_id, name = self._ChooseJob()
            ToStdout("Waiting for job %s%s ...", job_id, self._ForName(name))
            try:
                job_result = PollJob(job_id, cl=self.cl,
                                     feedback_fn=self.feedback_fn)
                success = True
            except errors.JobLost as err:
                _, job_result = FormatError(err)
                ToStderr("Job %s%s has been archived, cannot check its"
                         " result", job_id, self._ForName(name))
                success = False
            except errors.GenericError as err:
                _, job_result = FormatError(err)
                success = False
                ToStderr("Job %s%s has failed: %s", job_id,
                         self._ForName(name), job_result)
            results.append((idx, success, job_result))
        results.sort(key=lambda entry: entry[0])
        return [(success, result) for (_, success, result) in results]

    def WaitOrShow(self, wait: bool) -> List[Tuple[bool, Any]]:
        """GetResults if wait, otherwise submit and print the job ids."""
        if wait:
            return self.GetResults()
        if self.queue:
            self.SubmitPending()
        for _, status, result, name in self.jobs:
            if status:
                ToStdout("%s: %s", result, name)
            else:
                ToStderr("Failure for %s: %s", name, result)
        return [(status, result) for (_, status, result, _) in self.jobs]


def WaitForResultJobs(result: Any, opts: Any, cl: Any, success: str,
                      failure: str) -> int:
    """Wait for the jobs an opcode submitted (``result["jobs"]``), then
    print success, or failure % (number of failed jobs); the exit code."""
    jex = JobExecutor(cl=cl, opts=opts)
    for status, job_id in result[constants.JOB_IDS_KEY]:
        jex.AddJobId(None, status, job_id)
    bad = len([row for row in jex.GetResults() if not row[0]])
    if bad == 0:
        ToStdout(success)
        return constants.EXIT_SUCCESS
    ToStdout(failure, bad)
    return constants.EXIT_FAILURE
