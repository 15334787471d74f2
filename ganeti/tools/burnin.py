"""burnin: exercise a cluster with a sequence of instance operations.

``burnin -o OS [options] instance...`` creates the instances, then runs
every step of the sequence (ganeti.tools.burnin_steps) on them and removes
them.  Each step submits opcode jobs over LUXI, one job per instance: run
one after the other, or all at once and then waited for with ``-p``.  Job
log messages are kept in a buffer that is printed when a step fails.
Steps the disk template or hypervisor cannot do are skipped; so are steps
whose opcodes the master does not implement (found by a dry run).
"""

import optparse
import sys
import time
from typing import Any, Callable, List, Optional, Sequence, Tuple

from ganeti import constants as C
from ganeti import errors
from ganeti import opcodes
from ganeti import pathutils
from ganeti.cli import jobs as cli_jobs
from ganeti.cli.format import FormatError
from ganeti.cli.opts import cli_option
from ganeti.osdef import CalculateOSNames
from ganeti.utils import text as utils_text

USAGE = "Usage: burnin -o OS_NAME [options...] instance_name ..."
MAX_RETRIES = 3

SUPPORTED_DISK_TEMPLATES = (C.DT_DISKLESS, C.DT_DRBD8, C.DT_EXT, C.DT_FILE,
                            C.DT_PLAIN, C.DT_RBD, C.DT_SHARED_FILE,
                            C.DT_GLUSTER)
SINGLE_NODE_DISK_TEMPLATES = tuple(t for t in SUPPORTED_DISK_TEMPLATES
                                   if t != C.DT_DRBD8)
INT_MIRROR_TEMPLATES = frozenset([C.DT_DRBD8])
MIRRORED_TEMPLATES = INT_MIRROR_TEMPLATES | frozenset(
    [C.DT_DISKLESS, C.DT_SHARED_FILE, C.DT_BLOCK, C.DT_RBD, C.DT_EXT,
     C.DT_GLUSTER])
GROWABLE_TEMPLATES = frozenset([C.DT_PLAIN, C.DT_DRBD8, C.DT_FILE,
                                C.DT_SHARED_FILE, C.DT_RBD, C.DT_EXT,
                                C.DT_GLUSTER])
MOVABLE_TEMPLATES = frozenset([C.DT_PLAIN, C.DT_FILE])
IMPEXP_TEMPLATES = frozenset(SUPPORTED_DISK_TEMPLATES) - frozenset(
    [C.DT_DISKLESS, C.DT_FILE, C.DT_SHARED_FILE, C.DT_GLUSTER])
REBOOT_TYPES = [C.INSTANCE_REBOOT_SOFT, C.INSTANCE_REBOOT_HARD,
                C.INSTANCE_REBOOT_FULL]


class BurninFailure(Exception):
    """A step failed (its job log is in the feedback buffer)."""


class BurninUsageError(Exception):
    """Bad command line or cluster state: one line, nothing created."""


def _Flag(name: str, dest: str, text: str) -> optparse.Option:
    return cli_option(name, dest=dest, default=True, action="store_false",
                      help=text)


OPTIONS = [
    cli_option("-o", "--os", dest="os", default=None, metavar="<OS>",
               help="OS to use during burnin"),
    cli_option("-H", "--hypervisor-parameters", dest="hypervisor",
               type="identkeyval", default=None,
               help="Hypervisor and its parameters (name:key=val,...)"),
    cli_option("-O", "--os-parameters", dest="osparams", type="keyval",
               default={}, help="OS parameters"),
    cli_option("--disk-size", dest="disk_size", default="1G",
               metavar="<size,size,...>",
               help="Disk size (determines disk count)"),
    cli_option("--disk-growth", dest="disk_growth", default="128m",
               metavar="<size,size,...>",
               help="Disk growth (determines disk count)"),
    cli_option("--mem-size", dest="mem_size", type="unit", default=None,
               metavar="<size>", help="Memory size (min and max)"),
    cli_option("--maxmem-size", dest="maxmem_size", type="unit",
               default=256, metavar="<size>", help="Max memory size"),
    cli_option("--minmem-size", dest="minmem_size", type="unit",
               default=128, metavar="<size>", help="Min memory size"),
    cli_option("--vcpu-count", dest="vcpu_count", type="int", default=3,
               metavar="<count>", help="VCPU count"),
    cli_option("-d", "--debug", dest="debug", default=0, action="count",
               help="Increase debugging level"),
    cli_option("-v", "--verbose", dest="verbose", default=False,
               action="store_true", help="Print the job log messages"),
    cli_option("--ip-check", dest="ip_check", default=False,
               action="store_true",
               help="Check that the instance IPs are not in use"),
    cli_option("--no-ip-check", dest="ip_check", action="store_false",
               help=optparse.SUPPRESS_HELP),
    cli_option("--name-check", dest="name_check", default=False,
               action="store_true",
               help="Check that the instance names resolve"),
    cli_option("--no-name-check", dest="name_check", action="store_false",
               help=optparse.SUPPRESS_HELP),
    cli_option("--early-release", dest="early_release", default=False,
               action="store_true",
               help="Release the locks early when replacing disks"),
    _Flag("--no-replace1", "do_replace1", "Skip disk replacement with the"
          " same secondary"),
    _Flag("--no-replace2", "do_replace2", "Skip disk replacement with a"
          " different secondary"),
    _Flag("--no-failover", "do_failover", "Skip instance failovers"),
    _Flag("--no-migrate", "do_migrate", "Skip instance live migration"),
    _Flag("--no-move", "do_move", "Skip instance moves"),
    _Flag("--no-importexport", "do_importexport", "Skip instance"
          " export/import"),
    _Flag("--no-startstop", "do_startstop", "Skip instance stop/start"),
    _Flag("--no-reinstall", "do_reinstall", "Skip instance reinstall"),
    _Flag("--no-reboot", "do_reboot", "Skip instance reboot"),
    _Flag("--no-renamesame", "do_renamesame", "Skip instance rename to the"
          " same name"),
    cli_option("--reboot-types", dest="reboot_types", default=None,
               help="Comma separated reboot types (%s)"
               % ", ".join(REBOOT_TYPES)),
    _Flag("--no-activate-disks", "do_activate_disks", "Skip disk"
          " activation/deactivation"),
    _Flag("--no-add-disks", "do_addremove_disks", "Skip disk"
          " addition/removal"),
    _Flag("--no-add-nics", "do_addremove_nics", "Skip NIC addition/removal"),
    cli_option("--no-nics", dest="nics", default=[{}], const=[],
               action="store_const", help="No network interfaces"),
    _Flag("--no-confd", "do_confd_tests", "Skip the confd queries"),
    cli_option("--rename", dest="rename", default=None,
               metavar="<instance_name>",
               help="Rename the instances to this name and back"),
    cli_option("-t", "--disk-template", dest="disk_template",
               choices=list(SUPPORTED_DISK_TEMPLATES),
               default=C.DT_DRBD8, help="Disk template (default %%default, one of %s)"
               % ", ".join(SUPPORTED_DISK_TEMPLATES)),
    cli_option("-n", "--nodes", dest="nodes", default="",
               help="Comma separated list of nodes to use (default: all)"),
    cli_option("-I", "--iallocator", dest="iallocator", default=None,
               help="Iallocator to place the instances with"),
    cli_option("-p", "--parallel", dest="parallel", default=False,
               action="store_true",
               help="Run each step for all instances at once"),
    cli_option("--net-timeout", dest="net_timeout", type="int", default=15,
               help="Seconds to wait for an instance to answer HTTP"),
    cli_option("-C", "--http-check", dest="http_check", default=False,
               action="store_true",
               help="Check that the instances serve /hostname.txt"),
    cli_option("-K", "--keep-instances", dest="keep_instances",
               default=False, action="store_true",
               help="Keep the instances at the end"),
    cli_option("--reason", dest="reason", default=[],
               help="The reason for the operations"),
]


def ParseOptions(argv: Sequence[str]) -> Tuple[Any, List[str]]:
    """(options, instance names); BurninUsageError on bad input.

    Sizes become lists of MiB, --mem-size sets both memory bounds, the
    reboot types become a list; diskless instances get no disk steps.
    """
    parser = optparse.OptionParser(prog="burnin",
                                   usage="%prog" + USAGE.split("burnin", 1)[1],
                                   version="%%prog (ganeti) %s"
                                   % C.RELEASE_VERSION,
                                   option_list=OPTIONS)
    options, args = parser.parse_args(list(argv))
    if not args or options.os is None:
        raise BurninUsageError(USAGE)
    if options.disk_template == C.DT_DISKLESS:
        options.disk_size = options.disk_growth = []
        options.do_addremove_disks = False
    else:
        try:
            options.disk_size = [utils_text.ParseUnit(v) for v in
                                 options.disk_size.split(",")]
            options.disk_growth = [utils_text.ParseUnit(v) for v in
                                   options.disk_growth.split(",")]
        except errors.UnitParseError as err:
            raise BurninUsageError("Invalid disk size or growth: %s" % err)
        if len(options.disk_growth) != len(options.disk_size):
            raise BurninUsageError("Wrong disk sizes/growth combination")
    if options.mem_size:
        options.minmem_size = options.maxmem_size = options.mem_size
    if options.nodes and options.iallocator:
        raise BurninUsageError("Give either the nodes option or the"
                               " iallocator option, not both")
    if options.http_check and not options.name_check:
        raise BurninUsageError("Can't enable HTTP checks without name"
                               " checks")
    if options.reboot_types is None:
        options.reboot_types = list(REBOOT_TYPES)
    else:
        options.reboot_types = [t for t in options.reboot_types.split(",")
                                if t]
        wrong = [t for t in options.reboot_types if t not in REBOOT_TYPES]
        if wrong:
            raise BurninUsageError("Invalid reboot types specified: %s"
                                   % ", ".join(wrong))
    options.nodes = [n for n in options.nodes.split(",") if n]
    options.reason = cli_jobs.BuildReasonTrail(
        "burnin", argv[0], user_reason=options.reason or None)
    return options, args


def Log(msg: str, *args: Any, indent: int = 0) -> None:
    """One progress line: "- " for a step, "  * " for an instance, then
    plain lines indented by two more."""
    headers = {0: "- ", 1: "* ", 2: ""}
    text = msg % args if args else msg
    sys.stdout.write("%*s%s%s\n" % (2 * indent, "", headers.get(indent, "  "),
                                    text))
    sys.stdout.flush()


def UnknownOpcodeIn(message: str) -> bool:
    """Whether a job failure says the master does not know its opcode."""
    return "Unknown opcode " in message


class BurnerBase:
    """Job submission (serial or queued), retries, the feedback buffer."""

    def __init__(self, options: Any, instances: List[str],
                 cl: Any = None) -> None:
        self.opts = options
        self.instances = instances
        self.cl = cl if cl is not None else cli_jobs.GetClient()
        self.feed_buf: List[str] = []
        self.queued: List[Tuple[str, Sequence[Any],
                                Optional[Callable[[], None]]]] = []
        self.queue_retry = False
        self.to_rem: List[str] = []
        self.nodes: List[str] = []
        self.cluster_info: dict = {}
        self.hypervisor: Optional[str] = None
        self.hvp: dict = {}
        self.hv_can_migrate = False
        self.bep = {"minmem": options.minmem_size,
                    "maxmem": options.maxmem_size,
                    "vcpus": options.vcpu_count}

    # -- feedback -----------------------------------------------------------

    def Feedback(self, msg: Tuple) -> None:
        """Keep a job log message (and print it with --verbose)."""
        text = "%s %s" % (time.ctime(utils_text.MergeTime(msg[0])),
                          cli_jobs.FormatLogMessage(msg[1], msg[2]))
        self.feed_buf.append(text)
        if self.opts.verbose:
            Log(text, indent=3)

    def FeedbackBuffer(self) -> str:
        return "".join(line + "\n" for line in self.feed_buf)

    # -- running opcodes ----------------------------------------------------

    def MaybeRetry(self, retry_count: int, msg: str, fn: Callable,
                   *args: Any) -> Any:
        """fn(*args), retried retry_count times (0: not idempotent)."""
        try:
            val = fn(*args)
        except Exception as err:  # pylint: disable=broad-except
            if retry_count == 0:
                Log("Non-idempotent %s failed, aborting", msg)
                raise
            if retry_count == 1:
                Log("Idempotent %s failed, aborting", msg)
                raise
            Log("Idempotent %s failed, retry #%d/%d: %s", msg,
                MAX_RETRIES - retry_count + 1, MAX_RETRIES - 1, err)
            return self.MaybeRetry(retry_count - 1, msg, fn, *args)
        if 0 < retry_count < MAX_RETRIES:
            Log("Idempotent %s succeeded after %d retries", msg,
                MAX_RETRIES - retry_count)
        return val

    def _ExecOp(self, *ops: Any) -> Any:
        job_id = cli_jobs.SendJob(ops, cl=self.cl)
        results = cli_jobs.PollJob(job_id, cl=self.cl,
                                   feedback_fn=self.Feedback)
        return results[0] if len(ops) == 1 else results

    def ExecOp(self, retry: bool, *ops: Any) -> Any:
        """Run one job of ops now and return its result(s)."""
        cli_jobs.SetGenericOpcodeOpts(ops, self.opts)
        return self.MaybeRetry(MAX_RETRIES if retry else 0, "opcode",
                               self._ExecOp, *ops)

    def ExecOrQueue(self, name: str, ops: Sequence[Any],
                    post_process: Optional[Callable[[], None]] = None
                    ) -> None:
        """Run a job for instance name now, or queue it with -p."""
        if self.opts.parallel:
            self.queued.append((name, ops, post_process))
            return
        self.ExecOp(self.queue_retry, *ops)
        if post_process is not None:
            post_process()

    def _ExecJobSet(self, jobs: List[Tuple[str, Sequence[Any],
                                            Optional[Callable]]]) -> None:
        jex = cli_jobs.JobExecutor(cl=self.cl, opts=self.opts,
                                   feedback_fn=self.Feedback)
        for name, ops, _ in jobs:
            jex.QueueJob(name, *ops)
        results = jex.GetResults()
        failed = [result for success, result in results if not success]
        for (success, _), (_, _, post_process) in zip(results, jobs):
            if success and post_process is not None:
                post_process()
        if failed:
            raise BurninFailure(failed[0])

    def CommitQueue(self) -> None:
        """Submit the queued jobs and wait for all of them."""
        if not self.opts.parallel or not self.queued:
            return
        jobs, self.queued = self.queued, []
        self.MaybeRetry(MAX_RETRIES if self.queue_retry else 0, "jobset",
                        self._ExecJobSet, jobs)

    def RunStep(self, step: Callable[[], None], retry: bool = False) -> None:
        """One step: its jobs (committed at the end with -p)."""
        self.queue_retry = retry
        self.queued = []
        step()
        self.CommitQueue()

    def Unsupported(self, op: Any) -> Optional[str]:
        """Why the master cannot run op (a dry run tells), or None."""
        cli_jobs.SetGenericOpcodeOpts([op], self.opts)
        op.dry_run = True
        try:
            self._ExecOp(op)
        except errors.OpCodeUnknown:
            return "the master does not implement %s" % op.OP_ID
        except errors.OpPrereqError as err:
            text = str(err.args[0]) if err.args else str(err)
            if "not supported" in text:
                return text
        except errors.GenericError:
            pass
        return None

    # -- cluster state ------------------------------------------------------

    def GetState(self) -> None:
        """Nodes, OS, cluster parameters; BurninUsageError if unusable."""
        try:
            result = self.cl.QueryNodes(self.opts.nodes,
                                        ["name", "offline", "drained"],
                                        False)
        except errors.GenericError as err:
            raise BurninUsageError("Can't get the node list: %s"
                                   % _OneLine(err))
        self.nodes = [row[0] for row in result if not (row[1] or row[2])]
        if not self.nodes:
            raise BurninUsageError("No usable nodes")
        try:
            oses = self.ExecOp(False, opcodes.OpOsDiagnose(
                output_fields=["name", "variants", "hidden"], names=[]))
        except (errors.GenericError, BurninFailure) as err:
            raise BurninUsageError("Can't get the OS list: %s"
                                   % _OneLine(err))
        if not any(self.opts.os in CalculateOSNames(name, variants)
                   for (name, variants, _) in oses):
            raise BurninUsageError("OS '%s' not found" % self.opts.os)
        self.cluster_info = self.cl.QueryClusterInfo()
        enabled = self.cluster_info.get("enabled_disk_templates") or []
        if self.opts.disk_template not in enabled:
            raise BurninUsageError("Disk template '%s' is not enabled in"
                                   " cluster. Enabled disk templates are: %s"
                                   % (self.opts.disk_template,
                                      ",".join(enabled)))
        if self.opts.hypervisor:
            self.hypervisor, self.hvp = self.opts.hypervisor
        else:
            self.hypervisor = self.cluster_info["default_hypervisor"]
        from ganeti import hypervisor as hv_mod
        try:
            self.hv_can_migrate = \
                hv_mod.GetHypervisorClass(self.hypervisor).CAN_MIGRATE
        except errors.HypervisorError as err:
            raise BurninUsageError(_OneLine(err))

    def DefaultNicMode(self) -> Optional[str]:
        nicparams = self.cluster_info.get("nicparams") or {}
        return (nicparams.get(C.VALUE_DEFAULT) or {}).get(C.INIC_MODE)


def _OneLine(err: BaseException) -> str:
    if isinstance(err, errors.GenericError):
        text = FormatError(err)[1]
    else:
        text = str(err)
    return " ".join(text.split())


def Main(argv: Optional[List[str]] = None) -> int:
    """The burnin program."""
    from ganeti.tools import burnin_steps
    if argv is None:
        argv = sys.argv[1:]
    try:
        options, instances = ParseOptions(argv)
    except BurninUsageError as err:
        sys.stderr.write("%s\n" % err)
        return 2 if str(err) == USAGE else C.EXIT_FAILURE
    _SetupLogging(options.debug)
    try:
        burner = burnin_steps.Burner(options, instances)
        burner.GetState()
        return burner.BurninCluster()
    except BurninUsageError as err:
        sys.stderr.write("%s\n" % err)
        return C.EXIT_FAILURE
    except (errors.GenericError, BurninFailure, OSError) as err:
        sys.stderr.write("Burnin failed: %s\n" % _OneLine(err))
        return C.EXIT_FAILURE


def _SetupLogging(debug: int) -> None:
    from ganeti.utils import log as utils_log
    logfile = pathutils.LOG_DIR + "/burnin.log"
    try:
        utils_log.SetupLogging(logfile, "burnin", debug=debug,
                               stderr_logging=bool(debug))
    except (OSError, errors.GenericError):
        utils_log.SetupLogging(None, "burnin", debug=debug,
                               stderr_logging=bool(debug))
