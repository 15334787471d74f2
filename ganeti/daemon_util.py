"""Start, stop and check Ganeti daemons (the logic behind daemon-util).

Daemons are started with the interpreter running this code (so an installed
venv or the build venv is used consistently), from the installed sbin
directory or, in a source tree, from daemons/. Extra arguments come from
/etc/default/ganeti (NODED_ARGS, MASTERD_ARGS, RAPI_ARGS, CONFD_ARGS, ...).

Upstream 3.0 splits the master's work between ganeti-luxid (LUXI, job
queue) and ganeti-wconfd (configuration, locks); here one process,
ganeti-masterd, does both.  Both upstream names are aliases of it: starting
either starts ganeti-masterd, stopping either stops it (and so both roles),
checking either checks it; ganeti-masterd also holds their pid files.
"""

import os
import re
import shlex
import signal
import sys
import time
from typing import Dict, List, Optional

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti.utils import process

# Started on every node (confd answers only where config.data is, i.e. on
# master candidates); stopped in the reverse order.
NODE_DAEMONS = [constants.NODED, constants.CONFD]
MASTER_DAEMONS = [constants.MASTERD, constants.RAPI]
# What start-all starts, in order (master daemons exit with EXIT_NOTMASTER
# on the other nodes, which start-all accepts); stop-all stops in reverse.
START_ORDER = NODE_DAEMONS + MASTER_DAEMONS
# Upstream daemon names served by another process of ours.
DAEMON_ALIASES: Dict[str, str] = {
    constants.LUXID: constants.MASTERD,
    constants.WCONFD: constants.MASTERD,
}
# Not a daemon: runs from cron (and the ganeti-watcher systemd timer);
# "start" runs it once.
WATCHER = "ganeti-watcher"
DAEMON_NAMES = START_ORDER + sorted(DAEMON_ALIASES) + [WATCHER]
DEFAULTS_FILE = pathutils.SYSCONFDIR + "/default/ganeti"
_START_TIMEOUT = 30.0
_SHELL_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Exit codes of a daemon's start-up that are not an error: a master daemon
# on a node that is not the master (or in no cluster) refuses to run.
_ACCEPTED_EXIT_CODES = {
    constants.EXIT_NOTMASTER: "Not master",
    constants.EXIT_NOTCLUSTER: "Not part of a cluster",
}


class DaemonStartError(errors.OpExecError):
    """A daemon did not start; exit_code is the daemon's exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        errors.OpExecError.__init__(self, message)
        self.exit_code = exit_code


def ResolveName(name: str) -> str:
    """The name of the process serving daemon name (aliases resolved)."""
    return DAEMON_ALIASES.get(name, name)


def AliasesOf(name: str) -> List[str]:
    """The upstream names served by process name (e.g. masterd's)."""
    return sorted(alias for alias, real in DAEMON_ALIASES.items()
                  if real == name)


def daemon_executable(name: str) -> str:
    """The daemon program of the code that is running: a source tree's own
    daemons/ (never an older installed copy), else the installed one."""
    for directory in (pathutils.SOURCE_DAEMON_DIR, pathutils.SBINDIR):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    raise errors.ProgrammerError("Daemon %s not found in %s or %s" %
                                 (name, pathutils.SBINDIR,
                                  pathutils.SOURCE_DAEMON_DIR))


def ParseShellAssignments(text: str) -> dict:
    """Variables a shell gets by sourcing text (simple assignments only).

    Quotes are removed as the shell removes them; a later assignment wins.
    Lines that are not assignments, or have an unterminated quote, are
    ignored (the shell would run or reject them, never assign from them).
    """
    values = {}
    for line in text.splitlines():
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue
        if words and words[0] == "export":
            words = words[1:]
        for word in words:
            name, sep, value = word.partition("=")
            if not sep or not _SHELL_NAME_RE.match(name):
                break  # a command word: the rest are its arguments
            values[name] = value
    return values


def ArgsVariable(name: str) -> str:
    """The defaults file variable with a daemon's extra arguments."""
    return name.replace("ganeti-", "").upper() + "_ARGS"


def _extra_args(name: str) -> List[str]:
    """Per-daemon extra arguments from the defaults file.

    daemon-util sources the file and passes the variable unquoted, so its
    value is split into words: NODED_ARGS="-b 127.0.1.1" is two arguments,
    NODED_ARGS="" none.  ganeti-masterd gets MASTERD_ARGS and, as it serves
    them, WCONFD_ARGS and LUXID_ARGS.
    """
    try:
        with open(DEFAULTS_FILE) as fh:
            text = fh.read()
    except OSError:
        return []
    values = ParseShellAssignments(text)
    args = []
    for daemon_name in [name] + sorted(AliasesOf(name), reverse=True):
        args.extend(values.get(ArgsVariable(daemon_name), "").split())
    return args


def daemon_pid(name: str) -> Optional[int]:
    """The pid of a running daemon (its pid file is locked), or None."""
    return process.ReadLockedPidFile(
        pathutils.daemon_pid_file(ResolveName(name)))


def start(name: str, args: Optional[List[str]] = None) -> None:
    """Start a daemon unless it runs already; raise DaemonStartError with
    its output and exit code if it fails."""
    name = ResolveName(name)
    if name != WATCHER and daemon_pid(name):
        return
    cmd = [sys.executable, daemon_executable(name)] + _extra_args(name) + \
        list(args or [])
    env = dict(os.environ)
    if pathutils.get_root():
        env["GANETI_ROOTDIR"] = pathutils.get_root()
    result = process.RunCmd(cmd, env=env, timeout=_START_TIMEOUT)
    if result.failed:
        raise DaemonStartError("Could not start daemon %s: %s\n%s" %
                               (name, result.fail_reason, result.output),
                               result.exit_code or constants.EXIT_FAILURE)


def stop(name: str, timeout: float = 30.0) -> bool:
    """Stop a daemon (SIGTERM, then SIGKILL); True if it was running."""
    pid = daemon_pid(name)
    if not pid:
        return False
    process.KillProcess(pid, signal.SIGTERM, timeout=timeout, waitpid=False)
    deadline = time.monotonic() + 5
    while daemon_pid(name) and time.monotonic() < deadline:
        time.sleep(0.05)
    return True


def check(name: str) -> bool:
    """Whether the daemon (the process serving name) runs."""
    return daemon_pid(name) is not None


def CheckExitcode(code: int) -> Optional[str]:
    """None if a daemon start-up's exit code is an error, else the message
    to print ("" for success)."""
    if code == constants.EXIT_SUCCESS:
        return ""
    return _ACCEPTED_EXIT_CODES.get(code)


def MissingConfigFiles() -> List[str]:
    """The files a node of a cluster must have for its daemons to run."""
    return [path for path in (pathutils.NODED_CERT_FILE,)
            if not os.path.isfile(path)]


def RotateAllLogs() -> List[str]:
    """Make every running daemon reopen its log files (SIGHUP); the names
    of those signalled."""
    signalled = []
    for name in START_ORDER:
        pid = daemon_pid(name)
        if pid:
            try:
                os.kill(pid, signal.SIGHUP)
                signalled.append(name)
            except ProcessLookupError:
                pass
    return signalled


# ------------------------------------------------------------ the command

_USAGE = """Usage: daemon-util ACTION [ARGS...]
Actions:
  start DAEMON [ARGS...]   start a daemon (exit code: the daemon's)
  stop DAEMON              stop a daemon
  check DAEMON             exit 0 if the daemon runs, 1 if not
  start-all                start every daemon (master daemons only where
                           this node is the master)
  stop-all                 stop every daemon
  start-master             start the master daemons
  stop-master              stop the master daemons
  check-exitcode CODE      explain a daemon's start-up exit code (exit 0
                           unless it means a failure)
  check-config             exit 0 if this node has its cluster files
  is-daemon-name NAME      exit 0 if NAME is a Ganeti daemon
  list-start-daemons       the daemons, in start order
  list-stop-daemons        the daemons, in stop order
  rotate-all-logs          make the daemons reopen their log files
Daemons: %s""" % ", ".join(DAEMON_NAMES)


def _Err(message: str) -> int:
    print(message, file=sys.stderr)
    return constants.EXIT_FAILURE


def _CheckName(name: str) -> Optional[str]:
    if name in DAEMON_NAMES:
        return None
    return "Unknown daemon name '%s'" % name


def _Start(name: str, args: List[str]) -> int:
    try:
        start(name, args)
    except DaemonStartError as err:
        print(str(err).rstrip(), file=sys.stderr)
        return err.exit_code
    return constants.EXIT_SUCCESS


def _StartGroup(names: List[str]) -> int:
    """Start names in order; stop at the first real failure."""
    for name in names:
        code = _Start(name, [])
        message = CheckExitcode(code)
        if message is None:
            return _Err("daemon-util: %s failed to start (exit code %d)" %
                        (name, code))
    return constants.EXIT_SUCCESS


def _StopGroup(names: List[str]) -> int:
    for name in names:
        stop(name)
    return constants.EXIT_SUCCESS


def _DaemonAction(action: str, rest: List[str]) -> int:
    if not rest:
        return _Err("daemon-util: %s needs a daemon name" % action)
    name = rest[0]
    bad = _CheckName(name)
    if bad:
        return _Err(bad)
    if action == "start":
        return _Start(name, rest[1:])
    if len(rest) > 1:
        return _Err("daemon-util: %s takes one daemon name" % action)
    if name == WATCHER:
        # A run of the watcher ends by itself; there is nothing to stop.
        if action == "check":
            return _Err("%s is not a daemon: it runs from cron" % WATCHER)
        return constants.EXIT_SUCCESS
    if action == "stop":
        stop(name)
        return constants.EXIT_SUCCESS
    return constants.EXIT_SUCCESS if check(name) else constants.EXIT_FAILURE


def _CheckExitcodeAction(rest: List[str]) -> int:
    if len(rest) != 1:
        return _Err("Missing exit code.")
    try:
        code = int(rest[0])
    except ValueError:
        return _Err("Invalid exit code '%s'" % rest[0])
    message = CheckExitcode(code)
    if message is None:
        print("Exit code %d" % code)
        return constants.EXIT_FAILURE
    if message:
        print(message)
    return constants.EXIT_SUCCESS


def _CheckConfigAction(rest: List[str]) -> int:
    missing = MissingConfigFiles()
    for path in missing:
        print("Missing configuration file %s" % path, file=sys.stderr)
    return constants.EXIT_FAILURE if missing else constants.EXIT_SUCCESS


def _RotateAllLogsAction() -> int:
    RotateAllLogs()
    return constants.EXIT_SUCCESS


def _List(names: List[str]) -> int:
    for name in names:
        print(name)
    return constants.EXIT_SUCCESS


_GROUP_ACTIONS = {
    "start-all": lambda: _StartGroup(START_ORDER),
    "stop-all": lambda: _StopGroup(START_ORDER[::-1]),
    "start-master": lambda: _StartGroup(MASTER_DAEMONS),
    "stop-master": lambda: _StopGroup(MASTER_DAEMONS[::-1]),
    "list-start-daemons": lambda: _List(START_ORDER),
    "list-stop-daemons": lambda: _List(START_ORDER[::-1]),
    "rotate-all-logs": _RotateAllLogsAction,
}


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(_USAGE, file=sys.stdout if argv else sys.stderr)
        return constants.EXIT_SUCCESS if argv else constants.EXIT_FAILURE
    action, rest = argv[0], argv[1:]
    try:
        if action in ("start", "stop", "check"):
            return _DaemonAction(action, rest)
        if action == "is-daemon-name":
            if len(rest) != 1:
                return _Err("daemon-util: is-daemon-name needs one name")
            bad = _CheckName(rest[0])
            return _Err(bad) if bad else constants.EXIT_SUCCESS
        if action == "check-exitcode":
            return _CheckExitcodeAction(rest)
        if action == "check-config" and not rest:
            return _CheckConfigAction(rest)
        if action in _GROUP_ACTIONS and not rest:
            return _GROUP_ACTIONS[action]()
    except errors.GenericError as err:
        return _Err("daemon-util: %s" % err)
    print(_USAGE, file=sys.stderr)
    return constants.EXIT_FAILURE
