"""gnt-cluster upgrade --to VERSION | --resume: switch the cluster's version.

Every version is installed in its own directory, $prefix/share/ganeti/<major.
minor>; the symlink $prefix/share/ganeti/default names the one that runs
(pathutils.SHARE_DIR, DEFAULT_VERSION_LINK).  An upgrade (or a downgrade to
the previous minor version):

1. checks the target is a version we can go to and installed on every
   online node, and records the intent (pathutils.INTENT_TO_UPGRADE:
   "<running version>,<target>,<pid>");
2. drains the job queue, pauses the watcher and waits for running jobs;
3. stops the daemons everywhere (gnt_cluster_ops.RunWhileClusterStopped),
   keeps a copy of config.data, converts it (a downgrade with the running
   version's cfgupgrade before switching, an upgrade with the target's
   after: PKGLIBDIR/tools/cfgupgrade), switches the `default` links on every node, starts the daemons;
4. undrains the queue, unpauses the watcher and removes the intent file.

``--resume`` runs the steps again for the target recorded in the intent
file (each step may be run twice), e.g. after an interruption.
"""

import os
import re
import shutil
import sys
import time
from typing import Any, Callable, List, Optional, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti.cli import (EXIT_FAILURE, EXIT_SUCCESS, ARGS_NONE, GetClient,
                        ToStderr, ToStdout)
from ganeti.cli.opts import cli_option

TO_OPT = cli_option("--to", default=None, type="string",
                    help="The Ganeti version to upgrade to")
RESUME_OPT = cli_option("--resume", default=False, action="store_true",
                        help="Resume any pending Ganeti upgrades")

Version = Tuple[int, ...]
CURRENT_VERSION: Version = (constants.VERSION_MAJOR, constants.VERSION_MINOR,
                            constants.VERSION_REVISION)
# The version before 3.0 (a downgrade from 3.0 goes there).
_PREVIOUS_OF_3_0 = (2, 16)
_JOBS_WAIT = 600.0
_WATCHER_PAUSE = 3600
_VERSION_RE = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?$")


def ParseVersion(text: str) -> Optional[Version]:
    """(major, minor[, revision]) of "2.16" or "3.0.2"; None if invalid."""
    match = _VERSION_RE.match(text or "")
    if not match:
        return None
    return tuple(int(part) for part in match.groups() if part is not None)


def UpgradeRange(target: Version, current: Version = CURRENT_VERSION
                 ) -> Optional[str]:
    """Why the cluster can't go from current to target (None: it can).

    Upgrades within a major version, and downgrades to the previous minor
    version only (3.0's previous one is 2.16).
    """
    tgt, cur = tuple(target[:2]), tuple(current[:2])
    if tgt == _PREVIOUS_OF_3_0 and cur == (3, 0):
        return None
    if tgt[0] != cur[0]:
        return "different major versions"
    if tgt[1] < cur[1] - 1:
        return "can only downgrade one minor version at a time"
    return None


def IsDowngrade(target: Version, current: Version = CURRENT_VERSION) -> bool:
    return tuple(target[:2]) < tuple(current[:2])


def VersionDir(target: Version) -> str:
    return os.path.join(pathutils.SHARE_DIR, "%d.%d" % tuple(target[:2]))


def WriteIntent(target: str) -> None:
    from ganeti.utils import io as uio
    uio.WriteFile(pathutils.INTENT_TO_UPGRADE, mode=0o644,
                  data="%s,%s,%d" % (constants.RELEASE_VERSION, target,
                                     os.getpid()))


def ReadIntent() -> Optional[Tuple[str, str, int]]:
    """(version that ran, target, pid) of a pending upgrade, if any."""
    try:
        with open(pathutils.INTENT_TO_UPGRADE) as handle:
            fields = handle.read().strip().split(",")
    except FileNotFoundError:
        return None
    if len(fields) != 3 or not fields[2].isdigit():
        raise errors.OpPrereqError("Invalid upgrade intent file %s"
                                   % pathutils.INTENT_TO_UPGRADE,
                                   errors.ECODE_INVAL)
    return fields[0], fields[1], int(fields[2])


def _PidAlive(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def MissingOn(ctx: Any, target: Version) -> List[str]:
    """The nodes (of ctx: master and nonmaster_nodes) lacking target."""
    missing = []
    for node in [ctx.master] + list(ctx.nonmaster_nodes):
        try:
            ctx.RunCmd(node, ["test", "-d", VersionDir(target)])
        except errors.OpExecError:
            missing.append(node)
    return missing


def _Cfgupgrade() -> List[str]:
    """The installed cfgupgrade command (the source tree's if not
    installed)."""
    source = os.path.join(os.path.dirname(pathutils.SOURCE_DAEMON_DIR),
                          "tools", "cfgupgrade")
    if os.path.isfile(source):
        return [sys.executable, source]
    return [os.path.join(pathutils.PKGLIBDIR, "tools", "cfgupgrade")]


def SwitchVersion(ctx: Any, target: Version) -> None:
    """While the daemons are stopped: convert the configuration and point
    the `default` link of every node at target."""
    name = "%d.%d" % tuple(target[:2])
    backup = "%s.pre-upgrade-%s" % (pathutils.CLUSTER_CONF_FILE,
                                    time.strftime("%Y-%m-%d_%H_%M_%S"))
    ctx.feedback_fn("Backing up configuration as %s" % backup)
    shutil.copy2(pathutils.CLUSTER_CONF_FILE, backup)
    downgrade = IsDowngrade(target)
    if downgrade:
        ctx.feedback_fn("Downgrading the configuration")
        ctx.RunCmd(ctx.master, _Cfgupgrade() + ["--downgrade", "-f"])
    for node in [ctx.master] + list(ctx.nonmaster_nodes):
        ctx.feedback_fn("Switching node %s to version %s" % (node, name))
        ctx.RunCmd(node, ["ln", "-sfn", name,
                          pathutils.DEFAULT_VERSION_LINK])
    if not downgrade:
        ctx.feedback_fn("Upgrading the configuration")
        ctx.RunCmd(ctx.master, _Cfgupgrade() + ["-f"])


def _WaitForJobs(cl: Any, feedback_fn: Callable[[str], None]) -> None:
    feedback_fn("Waiting for all running jobs to finish")
    deadline = time.monotonic() + _JOBS_WAIT
    while True:
        rows = cl.QueryJobs(None, ["id", "status"])
        busy = [row[0] for row in rows if row[1] in
                (constants.JOB_STATUS_QUEUED, constants.JOB_STATUS_WAITING,
                 constants.JOB_STATUS_RUNNING,
                 constants.JOB_STATUS_CANCELING)]
        if not busy:
            return
        if time.monotonic() > deadline:
            raise errors.OpExecError("Jobs still running after %d seconds: %s"
                                     % (_JOBS_WAIT, ", ".join(map(str,
                                                                  busy))))
        time.sleep(1.0)


def _Feedback(text: str) -> None:
    ToStdout("%s", text)


def PerformUpgrade(target: Version, versionstring: str) -> int:
    """Steps 2-4 of the module docstring (the intent is recorded)."""
    from ganeti.client import gnt_cluster_ops
    cl = GetClient()
    _Feedback("Draining queue")
    cl.SetQueueDrainFlag(True)
    _Feedback("Pausing the watcher for one hour")
    cl.SetWatcherPause(time.time() + _WATCHER_PAUSE)
    _WaitForJobs(cl, _Feedback)
    gnt_cluster_ops.RunWhileClusterStopped(
        _Feedback, lambda ctx: SwitchVersion(ctx, target))
    cl = GetClient()
    _Feedback("Unpausing the watcher")
    cl.SetWatcherPause(None)
    _Feedback("Undraining the queue")
    cl.SetQueueDrainFlag(False)
    os.unlink(pathutils.INTENT_TO_UPGRADE)
    _Feedback("Upgrade to %s successful" % versionstring)
    return EXIT_SUCCESS


def UpgradeGanetiCommand(opts: Any, args: List[str]) -> int:
    """gnt-cluster upgrade --to VERSION | --resume."""
    if bool(opts.resume) == (opts.to is not None):
        ToStderr("Precisely one of the options --to and --resume"
                 " has to be given")
        return EXIT_FAILURE
    if opts.resume:
        intent = ReadIntent()
        if intent is None:
            ToStdout("No upgrade to resume")
            return EXIT_SUCCESS
        _, versionstring, pid = intent
        if _PidAlive(pid):
            ToStderr("Upgrade to %s already in progress (process %d)",
                     versionstring, pid)
            return EXIT_FAILURE
    else:
        versionstring = opts.to
    target = ParseVersion(versionstring)
    if target is None:
        ToStderr("Could not parse version string %s", versionstring)
        return EXIT_FAILURE
    reason = UpgradeRange(target)
    if reason:
        ToStderr("Cannot upgrade to %s: %s", versionstring, reason)
        return EXIT_FAILURE
    if not opts.resume:
        from ganeti.client import gnt_cluster_ops
        ctx = gnt_cluster_ops.StoppedClusterNodes(_Feedback)
        missing = MissingOn(ctx, target)
        if missing:
            ToStderr("Ganeti version %s not installed on nodes %s",
                     versionstring, ", ".join(missing))
            return EXIT_FAILURE
        WriteIntent(versionstring)
    return PerformUpgrade(target, versionstring)


COMMANDS = {
    "upgrade": (
        UpgradeGanetiCommand, ARGS_NONE, [TO_OPT, RESUME_OPT],
        "", "Upgrade (or downgrade) to a new Ganeti version"),
}
