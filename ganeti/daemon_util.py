"""Start, stop and check Ganeti daemons (the logic behind daemon-util).

Daemons are started with the interpreter running this code (so an installed
venv or the build venv is used consistently), from the installed sbin
directory or, in a source tree, from daemons/. Extra arguments come from
/etc/default/ganeti (NODED_ARGS, MASTERD_ARGS, RAPI_ARGS, CONFD_ARGS, ...).
"""

import os
import re
import shlex
import signal
import sys
import time
from typing import List, Optional

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti.utils import process

# Started on every node (confd answers only where config.data is, i.e. on
# master candidates); stopped in the reverse order.
NODE_DAEMONS = [constants.NODED, constants.CONFD]
MASTER_DAEMONS = [constants.MASTERD, constants.RAPI]
DEFAULTS_FILE = "/etc/default/ganeti"
_START_TIMEOUT = 30.0
_SHELL_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


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


def _extra_args(name: str) -> List[str]:
    """Per-daemon extra arguments from the defaults file.

    daemon-util sources the file and passes the variable unquoted, so its
    value is split into words: NODED_ARGS="-b 127.0.1.1" is two arguments,
    NODED_ARGS="" none.
    """
    var = name.replace("ganeti-", "").upper() + "_ARGS"
    try:
        with open(DEFAULTS_FILE) as fh:
            text = fh.read()
    except OSError:
        return []
    return ParseShellAssignments(text).get(var, "").split()


def daemon_pid(name: str) -> Optional[int]:
    """The pid of a running daemon (its pid file is locked), or None."""
    return process.ReadLockedPidFile(pathutils.daemon_pid_file(name))


def start(name: str, args: Optional[List[str]] = None) -> None:
    """Start a daemon unless it runs already; raise with its output if it fails."""
    if daemon_pid(name):
        return
    cmd = [sys.executable, daemon_executable(name)] + _extra_args(name) + \
        list(args or [])
    env = dict(os.environ)
    if pathutils.get_root():
        env["GANETI_ROOTDIR"] = pathutils.get_root()
    result = process.RunCmd(cmd, env=env, timeout=_START_TIMEOUT)
    if result.failed:
        raise errors.OpExecError("Could not start daemon %s: %s\n%s" %
                                 (name, result.fail_reason, result.output))


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
    return daemon_pid(name) is not None


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    usage = ("Usage: daemon-util {start|stop|check|reload-ssl-certs} DAEMON [args]"
             " | {start-all|stop-all|start-master|stop-master}")
    if not argv:
        print(usage, file=sys.stderr)
        return 1
    action, rest = argv[0], argv[1:]
    try:
        if action in ("start", "stop", "check") and rest:
            name = rest[0]
            if name not in constants.DAEMONS_LOGBASE:
                print("daemon-util: unknown daemon %s" % name, file=sys.stderr)
                return 1
            if action == "start":
                start(name, rest[1:])
            elif action == "stop":
                stop(name)
            else:
                return 0 if check(name) else 1
            return 0
        groups = {"start-all": NODE_DAEMONS + MASTER_DAEMONS,
                  "stop-all": MASTER_DAEMONS[::-1] + NODE_DAEMONS[::-1],
                  "start-master": MASTER_DAEMONS,
                  "stop-master": MASTER_DAEMONS[::-1]}
        if action in groups and not rest:
            for name in groups[action]:
                if action.startswith("start"):
                    if name in MASTER_DAEMONS and action == "start-all":
                        continue  # master daemons only via start-master
                    start(name)
                else:
                    stop(name)
            return 0
    except errors.GenericError as err:
        print("daemon-util: %s" % err, file=sys.stderr)
        return 1
    print(usage, file=sys.stderr)
    return 1
