"""ganeti-watcher: keeps a cluster running (run from cron every 5 minutes
on every node).

On every node it starts the node daemons that are down and runs the
watcher hooks.  On the master it also keeps the master daemon and RAPI
answering, archives old jobs and forks one child per node group
(``--node-group UUID``) that restarts instances that should run, records
user shutdowns, re-activates disks after node reboots and runs the group's
verify-disks (ganeti.watcher.group).

``gnt-cluster watcher pause`` stops every action until the pause ends
(``--ignore-pause`` overrides it).  The global lock file is taken shared so
that cluster-wide operations (renew-crypto, ...) can block the watcher by
holding it exclusively; the per-group state files are locked exclusively,
so two watchers never work on one group at once.
"""

import fcntl
import logging
import optparse
import subprocess
import sys
import time
from typing import Any, List, Optional

from ganeti import constants
from ganeti import daemon_util
from ganeti import errors
from ganeti import pathutils
from ganeti.cli import ParseTimespec
from ganeti.utils import log as ulog
from ganeti.watcher import decide
from ganeti.watcher import maintenance
from ganeti.watcher import nodes as wnodes

PROGRAM = "ganeti-watcher"
DEFAULT_JOB_AGE = 6 * 3600
IP4_ADDRESS_LOCALHOST = "127.0.0.1"

MAN_SECTIONS = [
    ("DESCRIPTION", [
        "ganeti-watcher is a periodically run script (from cron, every five"
        " minutes, on every node) which keeps the cluster running. On every"
        " node it starts the node daemons (ganeti-noded, ganeti-confd) that"
        " are not running and runs the executables of %s/watcher. On the"
        " master it also starts the master daemon and ganeti-rapi when they"
        " are down, restarts them once when they do not answer, archives"
        " jobs older than the job age and then runs one child per node group"
        " (--node-group) which restarts instances that should be running"
        " but are not (at most %d attempts per instance), records shutdowns"
        " done from inside an instance, activates the disks of instances"
        " whose nodes rebooted (their boot id changed) and runs the group's"
        " disk verification, activating degraded disks."
        % (pathutils.HOOKS_BASE_DIR, decide.MAXTRIES),
        "When the cluster parameter maintain_node_health is set and the"
        " master candidates' confd say that this node is offline, the"
        " watcher shuts down every instance and DRBD device still running"
        " on it.",
        "Its state (per-instance restart counters and node boot ids) is kept"
        " in %s, one file per node group, its log in %s."
        % (pathutils.WATCHER_GROUP_STATE_FILE % "GROUP-UUID",
           pathutils.LOG_WATCHER),
        "The watcher does nothing while it is paused (gnt-cluster watcher"
        " pause; the pause file is %s) unless --ignore-pause is given. It"
        " exits at once when another program holds %s exclusively."
        % (pathutils.WATCHER_PAUSEFILE, pathutils.WATCHER_LOCK_FILE),
    ]),
]


def BuildParser() -> optparse.OptionParser:
    """The command line parser (shared with the man page)."""
    parser = optparse.OptionParser(
        description="Perform cluster verification and instance restarts.",
        usage="%prog [-d]",
        version="%%prog (ganeti) %s" % constants.RELEASE_VERSION)
    parser.add_option("-d", "--debug", default=0, action="count",
                      help="Turn debugging on")
    parser.add_option("-g", "--node-group", dest="nodegroup",
                      metavar="<nodegroup>", default=None,
                      help="Node group (name or uuid)")
    parser.add_option("-A", "--job-age", dest="job_age",
                      default=DEFAULT_JOB_AGE,
                      help="Autoarchive jobs older than this age (default"
                      " 6 hours)")
    parser.add_option("--ignore-pause", dest="ignore_pause", default=False,
                      action="store_true",
                      help="Ignore cluster pause setting")
    parser.add_option("--wait-children", dest="wait_children",
                      action="store_true", help="Wait for child processes")
    parser.add_option("--no-wait-children", dest="wait_children",
                      action="store_false",
                      help="Don't wait for child processes")
    parser.add_option("--no-verify-disks", dest="no_verify_disks",
                      default=False, action="store_true",
                      help="Do not verify disk status")
    parser.add_option("--rapi-ip", dest="rapi_ip",
                      default=IP4_ADDRESS_LOCALHOST,
                      help="Use this IP to talk to RAPI.")
    parser.set_defaults(wait_children=True)
    return parser


def ParseOptions(argv: List[str]) -> Any:
    parser = BuildParser()
    options, args = parser.parse_args(argv)
    if args:
        parser.error("No arguments expected")
    try:
        options.job_age = ParseTimespec(options.job_age)
    except errors.OpPrereqError as err:
        parser.error(str(err.args[0]))
    return options


def _PausedUntil() -> Optional[float]:
    from ganeti import backend
    return backend.GetWatcherPause()


def _LockShared() -> Optional[Any]:
    """The global watcher lock, taken shared; None if held exclusively."""
    handle = open(pathutils.WATCHER_LOCK_FILE, "a")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def _ChildArgv(options: Any, group_uuid: str) -> List[str]:
    """The command line of the watcher child for one node group."""
    argv = [sys.executable, daemon_util.daemon_executable(PROGRAM)]
    argv += ["-d"] * (options.debug or 0)
    argv += ["--job-age=%d" % options.job_age, "--ignore-pause",
             "--node-group=%s" % group_uuid]
    if options.no_verify_disks:
        argv.append("--no-verify-disks")
    return argv


def _StartGroupWatchers(cl: Any, options: Any) -> None:
    """Fork one watcher per node group (and wait for them if told)."""
    response = cl.Query(constants.QR_GROUP, ["uuid", "name"], None)
    rows = response["data"] if isinstance(response, dict) else response.data
    groups = [(uuid[1], name[1]) for (uuid, name) in rows]
    children = []
    for uuid, name in sorted(groups, key=lambda g: g[1]):
        argv = _ChildArgv(options, uuid)
        logging.info("Starting child for group %s (%s)", name, uuid)
        children.append(subprocess.Popen(argv, close_fds=True,
                                         stdin=subprocess.DEVNULL))
    if not options.wait_children:
        return
    for child in children:
        rc = child.wait()
        logging.debug("Child %s exited with status %s", child.pid, rc)


def _ArchiveJobs(cl: Any, age: int) -> None:
    archived, left = cl.AutoArchiveJobs(age)
    logging.debug("Archived %s jobs, left %s", archived, left)


def _GlobalRun(options: Any) -> int:
    """What every node does; on the master, start the group watchers."""
    if not wnodes.InCluster():
        logging.debug("Not part of a cluster, exiting")
        return constants.EXIT_SUCCESS
    wnodes.EnsureNodeDaemons()
    wnodes.RunWatcherHooks()
    maintenance.Run()
    if not wnodes.IsMasterNode():
        logging.debug("Not on master, exiting")
        return constants.EXIT_SUCCESS
    wnodes.EnsureDaemon(constants.MASTERD)
    try:
        cl = wnodes.GetLuxiClient(True)
    except errors.GenericError as err:
        logging.error("Can't contact the master daemon: %s", err)
        return constants.EXIT_FAILURE
    wnodes.EnsureRapi(options.rapi_ip)
    (master, ) = cl.QueryConfigValues(["master_node"])
    if not wnodes.IsMasterNode() or master is None:
        logging.error("This node is not the master (%s), exiting", master)
        return constants.EXIT_FAILURE
    _ArchiveJobs(cl, options.job_age)
    _StartGroupWatchers(cl, options)
    return constants.EXIT_SUCCESS


def _GroupRun(options: Any) -> int:
    from ganeti.watcher import group
    try:
        cl = wnodes.GetLuxiClient(False)
    except errors.GenericError as err:
        logging.error("Can't contact the master daemon: %s", err)
        return constants.EXIT_FAILURE
    return group.RunGroup(cl, options.nodegroup,
                          verify_disks=not options.no_verify_disks)


def Main(argv: Optional[List[str]] = None) -> int:
    options = ParseOptions(sys.argv[1:] if argv is None else argv)
    ulog.SetupLogging(pathutils.LOG_WATCHER, PROGRAM, debug=options.debug,
                      stderr_logging=bool(options.debug))
    paused = None if options.ignore_pause else _PausedUntil()
    if paused:
        logging.debug("Watcher paused until %s", time.ctime(paused))
        return constants.EXIT_SUCCESS
    lock = _LockShared()
    if lock is None:
        logging.info("Can't acquire the watcher lock (another program holds"
                     " it exclusively), exiting")
        return constants.EXIT_SUCCESS
    try:
        if options.nodegroup is None:
            return _GlobalRun(options)
        return _GroupRun(options)
    except errors.GenericError as err:
        logging.error("Error: %s", err)
        return constants.EXIT_FAILURE
    except Exception:  # pylint: disable=broad-except
        logging.exception("Unhandled exception")
        return constants.EXIT_FAILURE
    finally:
        lock.close()


def main() -> None:
    sys.exit(Main())
