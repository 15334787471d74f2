"""Node calls around local services: restricted commands, optional daemons,
ExtStorage providers (``restricted_command``, ``node_ensure_daemon``,
``extstorage_diagnose``), with upstream 3.0's answers and messages.
"""

import errno
import os
import re
import stat
import time
from typing import Any, Dict, List, Optional

from ganeti import constants
from ganeti import daemon_util
from ganeti import errors
from ganeti import pathutils
from ganeti.backend import _Fail
from ganeti.utils import io as utils_io
from ganeti.utils import process as utils_process

# A failed restricted command answers only after this delay, with one
# message whatever the reason (upstream: no probing of what exists).
RESTRICTED_COMMAND_FAIL_DELAY = 10.0
RESTRICTED_COMMAND_TIMEOUT = 3600
# How long a restricted command waits for the one running before it.
RESTRICTED_COMMAND_LOCK_TIMEOUT = RESTRICTED_COMMAND_TIMEOUT + 60
_COMMAND_NAME_RE = re.compile(r"^[-_.a-zA-Z0-9]+$")

# Daemons node_ensure_daemon may start or stop on a node.
ENSURABLE_DAEMONS = frozenset([constants.KVMD, constants.MOND])

# The scripts of an ExtStorage provider.
ES_SCRIPTS = ("create", "remove", "grow", "attach", "detach", "setinfo",
              "verify")
ES_PARAMETERS_FILE = "parameters.list"


def _SafelyOwned(path: str, want_dir: bool) -> bool:
    """path is root's, not writable by group or others, of the right type."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    if want_dir != stat.S_ISDIR(st.st_mode):
        return False
    if not want_dir and (not stat.S_ISREG(st.st_mode) or
                         not st.st_mode & stat.S_IXUSR):
        return False
    return st.st_uid == 0 and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def RunRestrictedCmd(cmd: str) -> str:
    """``restricted_command``: run a command of the restricted-commands
    directory (no arguments, clean environment); answers its output.

    One restricted command runs at a time on a node (the lock file is
    held while it runs and during the delay after a failure)."""
    os.makedirs(os.path.dirname(pathutils.RESTRICTED_COMMANDS_LOCK_FILE),
                exist_ok=True)
    lock = utils_io.FileLock.Open(pathutils.RESTRICTED_COMMANDS_LOCK_FILE)
    try:
        try:
            lock.Exclusive(blocking=True,
                           timeout=RESTRICTED_COMMAND_LOCK_TIMEOUT)
        except errors.LockError:
            _Fail("Executing command '%s' failed", cmd)
        return _RunRestrictedCmdLocked(cmd)
    finally:
        lock.Close()


def _RunRestrictedCmdLocked(cmd: str) -> str:
    directory = pathutils.RESTRICTED_COMMANDS_DIR
    path = os.path.join(directory, cmd) if isinstance(cmd, str) else ""
    result = None
    if isinstance(cmd, str) and _COMMAND_NAME_RE.match(cmd) and \
            _SafelyOwned(directory, True) and _SafelyOwned(path, False):
        try:
            result = utils_process.RunCmd([path], cwd="/", reset_env=True,
                                          timeout=RESTRICTED_COMMAND_TIMEOUT)
        except errors.OpExecError:
            result = None
    if result is None or result.failed:
        time.sleep(RESTRICTED_COMMAND_FAIL_DELAY)
        _Fail("Executing command '%s' failed", cmd)
    return result.output


def EnsureDaemon(daemon_name: str, run: bool) -> bool:
    """``node_ensure_daemon``: start (run) or stop one of the optional
    node daemons; answers true."""
    if daemon_name not in ENSURABLE_DAEMONS:
        _Fail("Daemon '%s' cannot be ensured", daemon_name)
    try:
        if run:
            daemon_util.start(daemon_name)
        else:
            daemon_util.stop(daemon_name)
    except errors.GenericError as err:
        _Fail("Can't ensure daemon '%s' is %s: %s", daemon_name,
              "running" if run else "stopped", err)
    return True


def _ProviderFileProblem(path: str, fname: str, script: bool
                         ) -> Optional[str]:
    """Why a provider's file is unusable (upstream's wording), or None."""
    try:
        st = os.stat(os.path.join(path, fname))
    except OSError as err:
        return ("File '%s' under path '%s' is missing (%s)" %
                (fname, path, errno.errorcode.get(err.errno, str(err))))
    if not stat.S_ISREG(st.st_mode):
        return "File '%s' under path '%s' is not a regular file" % (fname,
                                                                    path)
    if script and not st.st_mode & stat.S_IXUSR:
        return "File '%s' under path '%s' is not executable" % (fname, path)
    return None


def _DiagnoseProvider(name: str, path: str) -> List[Any]:
    """[name, path, status, diagnose message, parameters] of a provider."""
    for fname in ES_SCRIPTS + (ES_PARAMETERS_FILE,):
        problem = _ProviderFileProblem(path, fname,
                                       fname != ES_PARAMETERS_FILE)
        if problem:
            return [name, path, False, problem, []]
    params: List[List[str]] = []
    try:
        with open(os.path.join(path, ES_PARAMETERS_FILE)) as handle:
            for line in handle:
                parts = line.strip().split(None, 1)
                if parts:
                    params.append([parts[0], parts[1] if len(parts) > 1
                                   else ""])
    except OSError as err:
        return [name, path, False, "Error while reading the EXT parameters"
                " file at %s: %s" % (os.path.join(path, ES_PARAMETERS_FILE),
                                     err), []]
    return [name, path, True, "", params]


def DiagnoseExtStorage() -> List[List[Any]]:
    """``extstorage_diagnose``: every ExtStorage provider of the search
    path (the first directory holding a name wins)."""
    result, seen = [], set()
    for top in pathutils.ES_SEARCH_PATH:
        try:
            names = sorted(os.listdir(top))
        except OSError:
            continue
        for name in names:
            path = os.path.join(top, name)
            if name in seen or not os.path.isdir(path):
                continue
            seen.add(name)
            result.append(_DiagnoseProvider(name, path))
    return result


RPC_CALLS: Dict[str, Any] = {
    "restricted_command": RunRestrictedCmd,
    "node_ensure_daemon": EnsureDaemon,
    "extstorage_diagnose": DiagnoseExtStorage,
}
