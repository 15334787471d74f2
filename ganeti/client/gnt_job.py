"""gnt-job: list, inspect, follow, cancel and archive jobs."""

from typing import Any, Callable, List, Optional, Sequence

from ganeti import constants
from ganeti import errors
from ganeti.cli import (ArgJobId, ArgSuggest, ArgUnknown,
                        AskUser, EXIT_FAILURE, EXIT_SUCCESS, FIELDS_OPT,
                        FORCE_FILTER_OPT, FORCE_OPT, FormatError,
                        FormatTimestamp, GenericList, GenericListFields,
                        GenericMain, GetClient, NOHDR_OPT, PRIONAME_TO_VALUE,
                        PRIORITY_OPT, ParseFields, ParseTimespec, PollJob,
                        PrintGenericInfo, SEP_OPT, ToStderr, ToStdout,
                        VERBOSE_OPT, YES_DOIT_OPT, cli_option)
from ganeti.cli.jobs import FormatLogMessage
from ganeti.utils import text as utils_text

# Default columns of "gnt-job list".
_LIST_DEF_FIELDS = ["id", "status", "summary"]

# Fields "gnt-job info" needs, in the order it unpacks them.
_INFO_FIELDS = ["id", "status", "ops", "opresult", "opstatus", "oplog",
                "opstart", "opexec", "opend", "received_ts", "start_ts",
                "end_ts"]

# Status filters.
_PENDING_OPT = cli_option("--pending", default=None, action="store_const",
                          dest="status_filter",
                          const=constants.JOBS_PENDING,
                          help="Select jobs pending execution or being"
                               " cancelled")

_RUNNING_OPT = cli_option("--running", default=None, action="store_const",
                          dest="status_filter",
                          const=frozenset([constants.JOB_STATUS_RUNNING]),
                          help="Show jobs currently running only")

_ERROR_OPT = cli_option("--error", default=None, action="store_const",
                        dest="status_filter",
                        const=frozenset([constants.JOB_STATUS_ERROR]),
                        help="Show failed jobs only")

_FINISHED_OPT = cli_option("--finished", default=None, action="store_const",
                           dest="status_filter",
                           const=constants.JOBS_FINALIZED,
                           help="Show finished jobs only")

_ARCHIVED_OPT = cli_option("--archived", default=False, action="store_true",
                           dest="archived",
                           help="Include archived jobs in list (slow and"
                                " expensive)")

_QUEUED_OPT = cli_option("--queued", default=None, action="store_const",
                         dest="status_filter",
                         const=frozenset([constants.JOB_STATUS_QUEUED]),
                         help="Select queued jobs only")

_WAITING_OPT = cli_option("--waiting", default=None, action="store_const",
                          dest="status_filter",
                          const=frozenset([constants.JOB_STATUS_WAITING]),
                          help="Select waiting jobs only")

_KILL_OPT = cli_option("--kill", default=False, action="store_true",
                       dest="kill",
                       help="Kill running jobs with SIGKILL")


def _StatusFilter(statuses: Optional[Sequence[str]]) -> Any:
    """Query filter selecting jobs whose status is one of statuses."""
    from ganeti import qlang
    return qlang.MakeSimpleFilter("status", sorted(statuses or []))


def _ParseJobIds(args: Sequence[str]) -> List[int]:
    try:
        return [int(arg) for arg in args]
    except ValueError:
        bad = [arg for arg in args if not arg.strip().isdigit()]
        raise errors.OpPrereqError("Invalid job ID '%s'" % bad[0],
                                   errors.ECODE_INVAL)


def _JoinSummary(value: Any) -> str:
    return ",".join(str(item) for item in value or [])


def _FormatTimestamps(value: Any) -> str:
    return ",".join(FormatTimestamp(item) for item in value or [])


# --- list -------------------------------------------------------------------

def ListJobs(opts, args) -> int:
    """Tabular listing of jobs (default fields id, status, summary)."""
    fields = ParseFields(opts.output, _LIST_DEF_FIELDS)
    if opts.archived and "archived" not in fields:
        fields.append("archived")
    override = {
        "summary": (_JoinSummary, False),
        "received_ts": (FormatTimestamp, False),
        "start_ts": (FormatTimestamp, False),
        "end_ts": (FormatTimestamp, False),
        "opstart": (_FormatTimestamps, False),
        "opexec": (_FormatTimestamps, False),
        "opend": (_FormatTimestamps, False),
    }
    return GenericList(constants.QR_JOB, fields, args, None, opts.separator,
                       not opts.no_headers, format_override=override,
                       verbose=opts.verbose, force_filter=opts.force_filter,
                       namefield="id",
                       qfilter=_StatusFilter(opts.status_filter),
                       isnumeric=True)


def ListJobFields(opts, args) -> int:
    """List the job query fields."""
    return GenericListFields(constants.QR_JOB, args, opts.separator,
                             not opts.no_headers)


# --- archive ----------------------------------------------------------------

def ArchiveJobs(opts, args) -> int:
    """Archive the given jobs."""
    cl = GetClient()
    rcode = EXIT_SUCCESS
    for job_id in _ParseJobIds(args):
        if not cl.ArchiveJob(job_id):
            ToStderr("Failed to archive job with ID '%s'", job_id)
            rcode = EXIT_FAILURE
    return rcode


def AutoArchiveJobs(opts, args) -> int:
    """Archive finished jobs older than an age ("all": every one)."""
    cl = GetClient()
    age = args[0]
    age_secs = -1 if age == "all" else ParseTimespec(age)
    archived, left = cl.AutoArchiveJobs(age_secs)
    ToStdout("Archived %s jobs, %s unchecked left", archived, left)
    return EXIT_SUCCESS


# --- cancel / change-priority ----------------------------------------------

def _MultiJobAction(opts, args, cl, ask_fn: Callable[[str], Any],
                    question: str,
                    action_fn: Callable[[Any, Any], Any]) -> int:
    """Run action_fn(cl, job_id) -> (success, message) on the given jobs or
    on all jobs matching the status filter (after confirmation)."""
    if cl is None:
        cl = GetClient()
    if opts.status_filter:
        if args:
            raise errors.OpPrereqError("Specifying a status filter requires"
                                       " that no job IDs are given",
                                       errors.ECODE_INVAL)
        response = cl.Query(constants.QR_JOB, ["id", "summary"],
                            _StatusFilter(opts.status_filter))
        rows = (response["data"] if isinstance(response, dict)
                else response.data)
        jobs = []
        for (_, job_id), (_, summary) in rows:
            jobs.append(job_id)
            ToStdout("%s: %s", job_id, _JoinSummary(summary))
        if not jobs:
            ToStdout("No jobs found")
            return EXIT_SUCCESS
        if not (opts.force or ask_fn(question)):
            return constants.EXIT_CONFIRMATION
    else:
        if not args:
            raise errors.OpPrereqError("No job ID given", errors.ECODE_INVAL)
        jobs = _ParseJobIds(args)
    result = EXIT_SUCCESS
    for job_id in jobs:
        success, message = action_fn(cl, job_id)
        if not success:
            result = EXIT_FAILURE
        ToStdout(message)
    return result


def CancelJobs(opts, args, cl=None, _ask_fn=AskUser) -> int:
    """Cancel the given jobs (--kill: also running ones)."""
    if opts.kill and not opts.yes_do_it:
        raise errors.OpPrereqError("The --kill option must be confirmed with"
                                   " --yes-do-it", errors.ECODE_INVAL)
    return _MultiJobAction(opts, args, cl, _ask_fn,
                           "Cancel job(s) listed above?",
                           lambda client, job_id: client.CancelJob(
                               job_id, kill=opts.kill))


def ChangePriority(opts, args, cl=None, _ask_fn=AskUser) -> int:
    """Change the priority of pending jobs."""
    if opts.priority is None:
        raise errors.OpPrereqError("--priority option must be given",
                                   errors.ECODE_INVAL)
    priority = PRIONAME_TO_VALUE[opts.priority]
    return _MultiJobAction(opts, args, cl, _ask_fn,
                           "Change priority of job(s) listed above?",
                           lambda client, job_id: client.ChangeJobPriority(
                               job_id, priority))


# --- info -------------------------------------------------------------------

def _Seconds(ts: Any) -> Optional[float]:
    if isinstance(ts, (list, tuple)) and len(ts) == 2:
        return utils_text.MergeTime(ts)
    return None


def _Delta(start: Any, end: Any) -> str:
    first, second = _Seconds(start), _Seconds(end)
    if first is None or second is None:
        return ""
    return " (delta %.6fs)" % (second - first)


def _Aligned(key: str, value: str) -> tuple:
    """(key, value) with the value indented so that values line up after
    "Processing start: "."""
    return (key, " " * (len("Processing start") - len(key)) + value)


def _Timestamp(ts: Any) -> str:
    if _Seconds(ts) is None:
        return "N/A"
    return FormatTimestamp(ts)


def _OpcodeInfo(op_input: Any, status: str, result: Any, log: Any,
                start: Any, execd: Any, end: Any) -> list:
    if isinstance(op_input, dict):
        name = op_input.get("OP_ID", "?")
    else:
        name = "?"
    log_entries = []
    for entry in log or []:
        try:
            serial, log_ts, log_type, message = entry
        except (TypeError, ValueError):
            continue
        log_entries.append([
            ("Time", _Timestamp(log_ts)),
            ("Content", "[%s, %s, %s]" % (serial, log_type,
                                          FormatLogMessage(log_type,
                                                           message))),
        ])
    return [
        ("Opcode", name),
        ("Status", status),
        _Aligned("Processing start", _Timestamp(start)),
        _Aligned("Execution start", _Timestamp(execd)),
        _Aligned("Processing end", _Timestamp(end)),
        ("Input fields", op_input if op_input is not None else {}),
        ("Result", result),
        ("Execution log", log_entries),
    ]


def _JobInfo(row: Sequence[Any]) -> list:
    (job_id, status, ops, opresult, opstatus, oplog, opstart, opexec, opend,
     recv_ts, start_ts, end_ts) = row
    info: List[Any] = [("Job ID", job_id), ("Status", status)]
    info.append(_Aligned("Received", _Timestamp(recv_ts)))
    info.append(_Aligned("Processing start", _Timestamp(start_ts)
                         + _Delta(recv_ts, start_ts)))
    info.append(_Aligned("Processing end", _Timestamp(end_ts)
                         + _Delta(start_ts, end_ts)))
    total_start, total_end = _Seconds(recv_ts), _Seconds(end_ts)
    if total_start is not None and total_end is not None:
        info.append(("Total processing time",
                     "%.6f seconds" % (total_end - total_start)))
    else:
        info.append(("Total processing time", "N/A"))
    opcodes = []
    count = len(ops or [])
    for idx in range(count):
        def _At(values: Any, _idx=idx) -> Any:
            return values[_idx] if values and _idx < len(values) else None
        opcodes.append(_OpcodeInfo(_At(ops), _At(opstatus), _At(opresult),
                                   _At(oplog), _At(opstart), _At(opexec),
                                   _At(opend)))
    info.append(("Opcodes", opcodes))
    return info


def ShowJobs(opts, args) -> int:
    """Show details of the given jobs."""
    cl = GetClient()
    job_ids = _ParseJobIds(args)
    rows = cl.QueryJobs(job_ids, _INFO_FIELDS)
    entries = []
    for job_id, row in zip(job_ids, rows or []):
        if row is None:
            entries.append("Job ID %s not found" % job_id)
            continue
        entries.append(_JobInfo(row))
    PrintGenericInfo(entries)
    return EXIT_SUCCESS


# --- wait / watch -----------------------------------------------------------

def WaitJob(opts, args) -> int:
    """Wait for a job to finish, without showing its output."""
    job_id = _ParseJobIds(args)[0]
    try:
        PollJob(job_id, feedback_fn=lambda _: None)
    except errors.GenericError as err:
        retcode, message = FormatError(err)
        ToStderr("Job %s failed: %s", job_id, message)
        return retcode
    return EXIT_SUCCESS


def WatchJob(opts, args) -> int:
    """Follow a job and print its log messages."""
    job_id = _ParseJobIds(args)[0]
    header = "Output from job %s follows" % job_id
    ToStdout(header)
    ToStdout("-" * len(header))
    try:
        PollJob(job_id)
    except errors.GenericError as err:
        retcode, message = FormatError(err)
        ToStderr("Job %s failed: %s", job_id, message)
        return retcode
    return EXIT_SUCCESS


commands = {
    "list": (
        ListJobs, [ArgJobId()],
        [NOHDR_OPT, SEP_OPT, FIELDS_OPT, VERBOSE_OPT, FORCE_FILTER_OPT,
         _PENDING_OPT, _RUNNING_OPT, _ERROR_OPT, _FINISHED_OPT,
         _ARCHIVED_OPT],
        "[<job-id>...]",
        "Lists the jobs and their status. The available fields can be shown"
        " using the \"list-fields\" command (see the man page for details)."
        " The default field list is (in order): %s."
        % ", ".join(_LIST_DEF_FIELDS)),
    "list-fields": (
        ListJobFields, [ArgUnknown()], [NOHDR_OPT, SEP_OPT],
        "[<fields>...]",
        "Lists all available fields for jobs"),
    "archive": (
        ArchiveJobs, [ArgJobId(min=1)], [],
        "<job-id> [<job-id>...]", "Archive specified jobs"),
    "autoarchive": (
        AutoArchiveJobs,
        [ArgSuggest(min=1, max=1, choices=["1d", "1w", "4w", "all"])], [],
        "<age>", "Auto archive jobs older than the given age"),
    "cancel": (
        CancelJobs, [ArgJobId()],
        [FORCE_OPT, _KILL_OPT, _PENDING_OPT, _QUEUED_OPT, _WAITING_OPT,
         YES_DOIT_OPT],
        "{[--force] [--kill --yes-do-it] {--pending | --queued | --waiting}"
        " | <job-id> [<job-id>...]}",
        "Cancel jobs"),
    "info": (
        ShowJobs, [ArgJobId(min=1)], [],
        "<job-id> [<job-id>...]",
        "Show detailed information about the specified jobs"),
    "wait": (
        WaitJob, [ArgJobId(min=1, max=1)], [],
        "<job-id>", "Wait for a job to finish"),
    "watch": (
        WatchJob, [ArgJobId(min=1, max=1)], [],
        "<job-id>", "Follows a job and prints its output as it arrives"),
    "change-priority": (
        ChangePriority, [ArgJobId()],
        [PRIORITY_OPT, FORCE_OPT, _PENDING_OPT, _QUEUED_OPT, _WAITING_OPT],
        "--priority <priority> {[--force] {--pending | --queued | --waiting}"
        " | <job-id> [<job-id>...]}",
        "Change the priority of jobs"),
}

aliases = {
    "show": "info",
}


def Main() -> int:
    return GenericMain(commands, aliases=aliases)
