"""gnt-debug: test opcodes, raw job submission and lock inspection."""

import socket
import time
from typing import Any, List

from ganeti import constants
from ganeti import errors
from ganeti.cli import (ArgFile, ArgUnknown, DISK_TEMPLATE_OPT,
                        DRY_RUN_OPT, EXIT_FAILURE, EXIT_SUCCESS, FIELDS_OPT,
                        GenericList, GenericMain, GetClient, IALLOCATOR_OPT,
                        INTERVAL_OPT, JobExecutor, NOHDR_OPT,
                        OSPARAMS_SECRET_OPT, OS_OPT, PRIORITY_OPT, PollJob,
                        SEP_OPT, SendJob, SetGenericOpcodeOpts, SUBMIT_OPTS,
                        SubmitOpCode, SubmitOrSend, ToStderr,
                        ToStdout, VERBOSE_OPT, cli_option, ParseFields)
from ganeti.utils import text as utils_text

# Default columns of "gnt-debug locks".
_LIST_LOCKS_DEF_FIELDS = ["name", "mode", "owner", "pending"]


# --- delay ------------------------------------------------------------------

def Delay(opts, args) -> int:
    """Submit an OpTestDelay (sleep on the master and/or nodes)."""
    from ganeti import opcodes
    try:
        duration = float(args[0])
    except ValueError:
        raise errors.OpPrereqError("Invalid duration '%s'" % args[0],
                                   errors.ECODE_INVAL)
    op = opcodes.OpTestDelay(duration=duration,
                             on_master=opts.on_master,
                             on_nodes=opts.on_nodes,
                             repeat=opts.repeat,
                             interruptible=opts.interruptible,
                             no_locks=opts.no_locks)
    SubmitOrSend(op, opts)
    return EXIT_SUCCESS


# --- submit-job -------------------------------------------------------------

def _LoadOpCodes(fname: str) -> List[Any]:
    """The opcodes of a JSON file holding a list of serialized opcodes."""
    from ganeti import opcodes
    from ganeti import serializer
    try:
        with open(fname, "r", encoding="utf-8") as handle:
            data = serializer.LoadJson(handle.read())
    except OSError as err:
        raise errors.OpPrereqError("Can't read file '%s': %s"
                                   % (fname, err.strerror or err),
                                   errors.ECODE_ENVIRON)
    except ValueError as err:
        raise errors.OpPrereqError("Can't parse file '%s': %s" % (fname, err),
                                   errors.ECODE_INVAL)
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise errors.OpPrereqError("File '%s' must contain a list of opcodes"
                                   % fname, errors.ECODE_INVAL)
    return [opcodes.OpCode.LoadOpCode(item) for item in data]


def GenericOpCodes(opts, args) -> int:
    """Submit jobs made of the opcodes in the given JSON files."""
    cl = GetClient()
    jex = JobExecutor(cl=cl, verbose=opts.verbose, opts=opts)
    job_count = 0
    op_count = 0
    if opts.timing_stats:
        ToStdout("Loading...")
    for job_idx in range(opts.rep_job):
        for fname in args:
            ops = _LoadOpCodes(fname) * opts.rep_op
            jex.QueueJob("file %s/%d" % (fname, job_idx), *ops)
            op_count += len(ops)
            job_count += 1
    t_start = time.time()
    if opts.timing_stats:
        ToStdout("Submitting...")
    jex.SubmitPending(each=opts.each)
    t_submitted = time.time()
    if opts.timing_stats:
        ToStdout("Executing...")
    jex.GetResults()
    t_done = time.time()
    if opts.timing_stats:
        ToStdout("C:op     %4d" % op_count)
        ToStdout("C:job    %4d" % job_count)
        ToStdout("T:submit %4.4f" % (t_submitted - t_start))
        ToStdout("T:exec   %4.4f" % (t_done - t_submitted))
        ToStdout("T:total  %4.4f" % (t_done - t_start))
    return EXIT_SUCCESS


# --- iallocator -------------------------------------------------------------

def TestAllocator(opts, args) -> int:
    """Build (direction in) or run (out) an iallocator request."""
    from ganeti import opcodes
    try:
        disks = [{"size": utils_text.ParseUnit(value), "mode": "rw"}
                 for value in opts.disks.split(",")]
    except errors.UnitParseError as err:
        ToStderr("Invalid disks parameter '%s': %s", opts.disks, err)
        return EXIT_FAILURE
    nics = []
    for spec in opts.nics.split(","):
        # only the fields given: "mac/ip" -> {"mac": ..., "ip": ...}
        nics.append(dict(zip(("mac", "ip", "bridge"), spec.split("/"))))
    tags = opts.tags.split(",") if opts.tags else []
    target_groups = []
    for item in opts.target_groups or []:
        target_groups.extend(name for name in item.split(",") if name)
    op = opcodes.OpTestAllocator(mode=opts.mode, name=args[0],
                                 instances=args, memory=opts.memory,
                                 disks=disks,
                                 disk_template=opts.disk_template,
                                 nics=nics, os=opts.os, vcpus=opts.vcpus,
                                 tags=tags, direction=opts.direction,
                                 iallocator=opts.iallocator,
                                 evac_mode=opts.evac_mode,
                                 target_groups=target_groups,
                                 spindle_use=opts.spindle_use,
                                 count=opts.count)
    result = SubmitOpCode(op, opts=opts)
    ToStdout("%s" % result)
    return EXIT_SUCCESS


# --- test-jobqueue ----------------------------------------------------------

class _JqueueTestFailed(Exception):
    """A check of gnt-debug test-jobqueue failed."""


def _RunJqueueTest(cl, opts, on_feedback=None, **params) -> Any:
    """Run one OpTestJqueue job; its result (raises the job's error).

    on_feedback(job_id, (timestamp, log_type, message)) sees every log
    message of the job.
    """
    from ganeti import opcodes
    op = opcodes.OpTestJqueue(**params)
    SetGenericOpcodeOpts([op], opts)
    job_id = SendJob([op], cl=cl)
    feedback = (lambda _msg: None) if on_feedback is None else \
        (lambda msg: on_feedback(job_id, msg))
    return PollJob(job_id, cl=cl, feedback_fn=feedback)[0]


def _AcknowledgeNotification(cl, job_id: Any, message: Any,
                             expected_status: str) -> None:
    """Check the job's status at a notification and let the job go on."""
    path, what = message
    status = cl.QueryJobs([job_id], ["status"])[0][0]
    if status != expected_status:
        raise _JqueueTestFailed("Job status while expecting the %s"
                                " notification should be %r, but is %r" %
                                (what, expected_status, status))
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    finally:
        sock.close()


def _TestJqueueNotification(cl, opts, what: str, expected_status: str,
                            **params) -> None:
    """Run a job notifying what; check it came once, in the right state."""
    seen = []

    def _Feedback(job_id, msg):
        _, log_type, message = msg
        if log_type == constants.ELOG_JQUEUE_TEST:
            seen.append(message[1])
            _AcknowledgeNotification(cl, job_id, message, expected_status)

    result = _RunJqueueTest(cl, opts, on_feedback=_Feedback, **params)
    if seen != [what]:
        raise _JqueueTestFailed("Expected the notification %r, got %r" %
                                ([what], seen))
    if result is not True:
        raise _JqueueTestFailed("Expected result True, got %r" % (result, ))


def _TestJqueue(cl, opts) -> None:
    messages = ["Hello World", "message with\ttab", "last message"]
    ToStdout("Testing job log messages")
    received: List[Any] = []
    result = _RunJqueueTest(
        cl, opts, on_feedback=lambda _jid, msg: received.append(msg),
        log_messages=messages)
    got = [msg for (_, log_type, msg) in received
           if log_type == constants.ELOG_MESSAGE]
    if got != messages:
        raise _JqueueTestFailed("Expected log messages %r, got %r" %
                                (messages, got))
    if result is not True:
        raise _JqueueTestFailed("Expected result True, got %r" % (result, ))

    ToStdout("Testing 'waitlock' notification")
    _TestJqueueNotification(cl, opts, "waitlock",
                            constants.JOB_STATUS_WAITING,
                            notify_waitlock=True)
    ToStdout("Testing 'running' notification")
    _TestJqueueNotification(cl, opts, "exec", constants.JOB_STATUS_RUNNING,
                            notify_exec=True)

    ToStdout("Testing job failure")
    try:
        _RunJqueueTest(cl, opts, fail=True)
    except errors.OpExecError as err:
        if "Opcode failure was requested" not in str(err):
            raise _JqueueTestFailed("Unexpected failure of the job: %s" %
                                    err)
    else:
        raise _JqueueTestFailed("Job with fail=True did not fail")


def TestJobqueue(opts, _args) -> int:
    """Check job log messages, notifications and failures end to end."""
    try:
        _TestJqueue(GetClient(), opts)
    except _JqueueTestFailed as err:
        ToStderr("%s", err)
        return EXIT_FAILURE
    ToStdout("Job queue test successful")
    return EXIT_SUCCESS


# --- test-osparams ----------------------------------------------------------

def TestOsParams(opts, _args) -> int:
    """Submit an OpTestOsParams with the given secret parameters."""
    from ganeti import opcodes
    op = opcodes.OpTestOsParams(osparams_secret=opts.osparams_secret)
    SubmitOrSend(op, opts)
    return EXIT_SUCCESS


# --- locks ------------------------------------------------------------------

def _DashIfEmpty(fn):
    def _Format(value: Any) -> str:
        if not value:
            return "-"
        return fn(value)
    return _Format


def _FormatPending(value: Any) -> str:
    """"mode:owner,owner, mode:owner" for pending acquires."""
    return utils_text.CommaJoin("%s:%s" % (mode, ",".join(str(owner)
                                                        for owner in owners))
                                for mode, owners in value)


def ListLocks(opts, _args) -> int:
    """Show the lock status (refreshing every --interval seconds)."""
    fields = ParseFields(opts.output, _LIST_LOCKS_DEF_FIELDS)
    override = {
        "mode": (_DashIfEmpty(str), False),
        "owner": (_DashIfEmpty(lambda owners: ",".join(str(owner)
                                                       for owner in owners)),
                  False),
        "pending": (_DashIfEmpty(_FormatPending), False),
    }
    cl = GetClient()
    while True:
        ret = GenericList(constants.QR_LOCK, fields, None, None,
                          opts.separator, not opts.no_headers, cl=cl,
                          format_override=override, verbose=opts.verbose)
        if ret != EXIT_SUCCESS:
            return ret
        if not opts.interval:
            return EXIT_SUCCESS
        ToStdout("")
        time.sleep(opts.interval)


# --- wconfd / metad ---------------------------------------------------------

def _LockRows(cl) -> List[List[Any]]:
    """[name, mode, owners] of every lock in use, from the lock query."""
    response = cl.Query(constants.QR_LOCK, ["name", "mode", "owner"], None)
    return [[value for (_, value) in row] for row in response["data"]]


def _WconfdListLocks(cl, job_id: str) -> List[List[str]]:
    return [[name, mode] for name, mode, owners in _LockRows(cl)
            if job_id in (owners or [])]


def _WconfdListAllLocks(cl) -> List[str]:
    return [name for name, _, owners in _LockRows(cl) if owners]


def _WconfdListAllLocksOwners(cl) -> List[List[Any]]:
    return [[name, [[owner, mode] for owner in owners]]
            for name, mode, owners in _LockRows(cl) if owners]


# verb -> (number of arguments, fn(client, *args)).  This implementation
# keeps configuration and locks in ganeti-masterd and writes the
# configuration synchronously: flushing it and cleaning up the locks of
# dead owners (released when a job ends) have nothing left to do.
_WCONFD_VERBS = {
    "echo": (1, lambda _cl, text: text),
    "cleanuplocks": (0, lambda _cl: None),
    "listlocks": (1, _WconfdListLocks),
    "listalllocks": (0, _WconfdListAllLocks),
    "listalllocksowners": (0, _WconfdListAllLocksOwners),
    "flushconfig": (0, lambda _cl: None),
}


def Wconfd(_opts, args) -> int:
    """Answer the calls scripts make to wconfd (echo, lock listings,
    flushconfig) from the master daemon."""
    verb, verb_args = args[0], args[1:]
    if verb not in _WCONFD_VERBS:
        ToStderr("Command '%s' not supported", verb)
        return EXIT_FAILURE
    nargs, fn = _WCONFD_VERBS[verb]
    if len(verb_args) != nargs:
        ToStderr("Command '%s' takes %s", verb,
                 "no arguments" if nargs == 0 else "exactly one argument")
        return EXIT_FAILURE
    if verb == "listlocks" and not verb_args[0].isdigit():
        ToStderr("Invalid job id '%s'", verb_args[0])
        return EXIT_FAILURE
    ToStdout("Answer: %s", fn(GetClient(), *verb_args))
    return EXIT_SUCCESS


def _NoSuchDaemon(daemon: str):
    def _Fail(_opts, _args) -> int:
        ToStderr("gnt-debug %s is not available: this Ganeti has no separate"
                 " %s daemon (configuration and locks are kept by"
                 " ganeti-masterd; see \"gnt-debug locks\")", daemon,
                 "ganeti-" + daemon)
        return EXIT_FAILURE
    return _Fail


# --- options and commands ----------------------------------------------------

_DELAY_OPTS = [
    cli_option("--no-master", dest="on_master", default=True,
               action="store_false",
               help="Do not sleep in the master code"),
    cli_option("-n", dest="on_nodes", default=[], action="append",
               help="Select nodes to sleep on"),
    cli_option("-r", "--repeat", type="int", default=0, dest="repeat",
               help="Number of times to repeat the sleep"),
    cli_option("-i", "--interruptible", default=False, dest="interruptible",
               action="store_true",
               help="Allows the opcode to be interrupted by using a domain"
                    " socket"),
    cli_option("-l", "--no-locks", default=False, dest="no_locks",
               action="store_true",
               help="Don't take locks while performing the delay"),
    DRY_RUN_OPT, PRIORITY_OPT,
] + SUBMIT_OPTS

_SUBMIT_JOB_OPTS = [
    VERBOSE_OPT,
    cli_option("--op-repeat", type="int", default=1, dest="rep_op",
               help="Repeat the opcode sequence this number of times"),
    cli_option("--job-repeat", type="int", default=1, dest="rep_job",
               help="Repeat the job this number of times"),
    cli_option("--timing-stats", default=False, action="store_true",
               dest="timing_stats", help="Show timing stats"),
    cli_option("--each", default=False, action="store_true", dest="each",
               help="Submit each job separately"),
    DRY_RUN_OPT, PRIORITY_OPT,
]

_IALLOCATOR_OPTS = [
    cli_option("--dir", dest="direction", default=constants.IALLOCATOR_DIR_IN,
               choices=sorted(constants.VALID_IALLOCATOR_DIRECTIONS),
               help="Show allocator input (in) or run the allocator (out)"),
    IALLOCATOR_OPT,
    cli_option("-m", "--mode", default="relocate",
               choices=sorted(constants.VALID_IALLOCATOR_MODES),
               help="Request mode (allocate, relocate, ...)"),
    cli_option("--memory", default=128, type="unit",
               help="Memory size for the instance (MiB)"),
    cli_option("--disks", default="4096,4096",
               help="Comma separated list of disk sizes (MiB)"),
    DISK_TEMPLATE_OPT,
    cli_option("--nics", default="00:11:22:33:44:55",
               help="Comma separated list of nics, each nic definition is"
                    " of form mac/ip/bridge, if missing values are replace"
                    " by None"),
    OS_OPT,
    cli_option("-p", "--vcpus", default=1, type="int",
               help="Select number of VCPUs for the instance"),
    cli_option("--tags", default=None,
               help="Comma separated list of tags"),
    cli_option("--evac-mode", default=constants.NODE_EVAC_ALL,
               choices=sorted(constants.NODE_EVAC_MODES),
               help="Node evacuation mode"),
    cli_option("--target-groups", default=[], action="append",
               help="Target groups for relocation"),
    cli_option("--spindle-use", default=1, type="int",
               help="How many spindles to use"),
    cli_option("--count", default=2, type="int",
               help="How many instances to allocate"),
    DRY_RUN_OPT, PRIORITY_OPT,
]

commands = {
    "delay": (
        Delay, [ArgUnknown(min=1, max=1)], _DELAY_OPTS,
        "[opts...] <duration>", "Executes a TestDelay OpCode"),
    "submit-job": (
        GenericOpCodes, [ArgFile(min=1)], _SUBMIT_JOB_OPTS,
        "<op_list_file...>",
        "Submits jobs built from json files containing a list of serialized"
        " opcodes"),
    "iallocator": (
        TestAllocator, [ArgUnknown(min=1)], _IALLOCATOR_OPTS,
        "{opts...} <instance>", "Executes a TestAllocator OpCode"),
    "test-jobqueue": (
        TestJobqueue, [], [PRIORITY_OPT],
        "", "Test a few aspects of the job queue"),
    "test-osparams": (
        TestOsParams, [], [OSPARAMS_SECRET_OPT] + SUBMIT_OPTS,
        "[--os-parameters-secret <params>]",
        "Test secret os parameter transmission"),
    "locks": (
        ListLocks, [], [NOHDR_OPT, SEP_OPT, FIELDS_OPT, INTERVAL_OPT,
                        VERBOSE_OPT],
        "[--interval N]", "Show a list of locks in the master daemon"),
    "wconfd": (
        Wconfd, [ArgUnknown(min=1)], [],
        "<cmd> <args...>", "Directly talk to WConfD"),
    "metad": (
        _NoSuchDaemon("metad"), [ArgUnknown(min=1)], [],
        "<cmd> <args...>", "Directly talk to the metadata daemon"),
}

aliases = {
    "allocator": "iallocator",
}


def Main() -> int:
    return GenericMain(commands, aliases=aliases)
