"""Running external programs and managing processes and PID files.

This is the only module that starts external programs.  Every command line
is logged at debug level; timed-out children (and their process group) get
SIGTERM, then SIGKILL after a linger period.
"""

import errno
import fcntl
import logging
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

from ganeti import constants
from ganeti import errors
from ganeti.utils import io as utils_io

Command = Union[str, Sequence[str]]

_TIMEOUT_NONE = 0
_TIMEOUT_TERM = 1
_TIMEOUT_KILL = 2


class RunResult:
    """Outcome of RunCmd: exit_code/signal, stdout, stderr, failed, ..."""

    def __init__(self, exit_code: Optional[int], signal_: Optional[int],
                 stdout: str, stderr: str, cmd: str, timeout_action: int = 0,
                 timeout: Optional[float] = None,
                 linger: float = constants.CHILD_LINGER_TIMEOUT) -> None:
        self.cmd = cmd
        self.exit_code = exit_code
        self.signal = signal_
        self.stdout = stdout
        self.stderr = stderr
        self.failed = signal_ is not None or exit_code != 0

        reasons = []
        if signal_ is not None:
            reasons.append("terminated by signal %s" % signal_)
        elif exit_code is not None:
            reasons.append("exited with exit code %s" % exit_code)
        else:
            reasons.append("unable to determine termination reason")
        if timeout_action == _TIMEOUT_TERM:
            reasons.append("terminated after timeout of %.2f seconds"
                           % timeout)
        elif timeout_action == _TIMEOUT_KILL:
            reasons.append("force termination after timeout of %.2f seconds"
                           " and linger for another %.2f seconds"
                           % (timeout, linger))
        self.fail_reason = ", ".join(reasons) if self.failed else None
        if self.failed:
            logging.debug("Command '%s' failed (%s); output: %s",
                          cmd, self.fail_reason, self.output)

    @property
    def output(self) -> str:
        """stdout followed by stderr."""
        return self.stdout + self.stderr

    def __repr__(self) -> str:
        return "<RunResult %r exit_code=%s signal=%s>" % (
            self.cmd, self.exit_code, self.signal)


def ShellQuote(value: str) -> str:
    """Quote value for a POSIX shell, only when needed."""
    return shlex.quote(value)


def ShellQuoteArgs(args: Sequence[str]) -> str:
    """Quote and join a list of arguments into one shell command line."""
    return " ".join(ShellQuote(str(arg)) for arg in args)


def BuildCmdEnvironment(env: Optional[Dict[str, str]],
                        reset: bool) -> Dict[str, str]:
    """The child environment: ours with LC_ALL=C (or empty), plus env."""
    if reset:
        cmd_env: Dict[str, str] = {}
    else:
        cmd_env = dict(os.environ)
        cmd_env["LC_ALL"] = "C"
    if env:
        cmd_env.update(env)
    return cmd_env


def _Decode(data: Optional[bytes]) -> str:
    return data.decode("utf-8", "replace") if data else ""


def _SignalGroup(proc: subprocess.Popen, signum: int, group: bool) -> None:
    """Send signum to the child (and its process group if it has one)."""
    try:
        if group:
            os.killpg(proc.pid, signum)
        else:
            proc.send_signal(signum)
    except ProcessLookupError:
        pass


def RunCmd(cmd: Command, env: Optional[Dict[str, str]] = None,
           output: Optional[str] = None, cwd: str = "/",
           reset_env: bool = False, interactive: bool = False,
           timeout: Optional[float] = None,
           noclose_fds: Optional[Sequence[int]] = None,
           input_fd: Optional[int] = None,
           input_data: Optional[Union[str, bytes]] = None,
           postfork_fn: Optional[Callable[[int], None]] = None,
           linger_timeout: float = constants.CHILD_LINGER_TIMEOUT
           ) -> RunResult:
    """Run cmd (argv list, or a string for /bin/sh -c) and collect results.

    output: append stdout and stderr to this file instead of capturing them.
    interactive: inherit our stdin/stdout/stderr.  timeout: seconds before
    the child is terminated (fail_reason then says so).  postfork_fn(pid)
    runs in the parent once the child exists.  Raises OpExecError if the
    program cannot be executed.
    """
    if interactive and output:
        raise errors.ProgrammerError("Parameters 'output' and 'interactive'"
                                     " can't be used together")
    if input_fd is not None and input_data is not None:
        raise errors.ProgrammerError("Only one of input_fd and input_data")
    shell = isinstance(cmd, str)
    strcmd = cmd if shell else ShellQuoteArgs(cmd)  # type: ignore[arg-type]
    argv = cmd if shell else [str(arg) for arg in cmd]  # type: ignore
    if cwd and not os.path.isdir(cwd):
        raise errors.OpExecError("Can't execute '%s': working directory"
                                 " '%s' not found" % (strcmd, cwd))
    logging.debug("RunCmd %s%s", strcmd,
                  "" if cwd == "/" else " (cwd %s)" % cwd)

    if input_data is not None:
        stdin = subprocess.PIPE
        if isinstance(input_data, str):
            input_data = input_data.encode("utf-8")
    elif input_fd is not None:
        stdin = input_fd
    elif interactive:
        stdin = None
    else:
        stdin = subprocess.DEVNULL

    out_fh = None
    if interactive:
        stdout = stderr = None
    elif output:
        out_fh = open(output, "ab")
        stdout = stderr = out_fh.fileno()
    else:
        stdout = stderr = subprocess.PIPE

    group = not interactive
    try:
        try:
            proc = subprocess.Popen(
                argv, shell=shell, env=BuildCmdEnvironment(env, reset_env),
                cwd=cwd or None, stdin=stdin, stdout=stdout, stderr=stderr,
                close_fds=True, pass_fds=tuple(noclose_fds or ()),
                process_group=0 if group else None)
        except OSError as err:
            if err.errno in (errno.ENOENT, errno.EACCES, errno.ENOEXEC):
                raise errors.OpExecError("Can't execute '%s': not found (%s)"
                                         % (strcmd, err))
            raise
    finally:
        if out_fh is not None:
            out_fh.close()

    if postfork_fn:
        postfork_fn(proc.pid)

    timeout_action = _TIMEOUT_NONE
    try:
        out, err = proc.communicate(input=input_data, timeout=timeout)
    except subprocess.TimeoutExpired:
        timeout_action = _TIMEOUT_TERM
        logging.info("Command '%s' timed out after %s seconds, terminating",
                     strcmd, timeout)
        _SignalGroup(proc, signal.SIGTERM, group)
        try:
            out, err = proc.communicate(timeout=linger_timeout)
        except subprocess.TimeoutExpired:
            timeout_action = _TIMEOUT_KILL
            _SignalGroup(proc, signal.SIGKILL, group)
            try:
                out, err = proc.communicate(timeout=linger_timeout)
            except subprocess.TimeoutExpired:
                # Someone outside the group holds our pipes: stop reading.
                for pipe in (proc.stdout, proc.stderr):
                    if pipe:
                        pipe.close()
                proc.wait()
                out = err = b""
    except BaseException:
        _SignalGroup(proc, signal.SIGKILL, group)
        proc.wait()
        raise

    status = proc.returncode
    exit_code, signal_ = (None, -status) if status < 0 else (status, None)
    return RunResult(exit_code, signal_, _Decode(out), _Decode(err), strcmd,
                     timeout_action, timeout, linger_timeout)


def RunParts(dir_name: str, env: Optional[Dict[str, str]] = None,
             reset_env: bool = False
             ) -> List[Tuple[str, int, Union[RunResult, str, None]]]:
    """Run the executables in dir_name in name order (like run-parts).

    Returns (name, RUNPARTS_*, RunResult or error text or None) per entry;
    names not matching EXT_PLUGIN_MASK or not executable are skipped.
    """
    results: List[Tuple[str, int, Union[RunResult, str, None]]] = []
    try:
        names = sorted(os.listdir(dir_name))
    except OSError as err:
        logging.warning("RunParts: can't list %s: %s", dir_name, err)
        return results
    mask = re.compile(constants.EXT_PLUGIN_MASK)
    for name in names:
        path = os.path.join(dir_name, name)
        if not (mask.match(name) and utils_io.IsRegularFile(path)
                and os.access(path, os.X_OK)):
            results.append((name, constants.RUNPARTS_SKIP, None))
            continue
        try:
            result = RunCmd([path], env=env, reset_env=reset_env,
                            cwd=dir_name)
        except (errors.OpExecError, OSError) as err:
            results.append((name, constants.RUNPARTS_ERR, str(err)))
        else:
            results.append((name, constants.RUNPARTS_RUN, result))
    return results


# ---------------------------------------------------------------- processes

def IsProcessAlive(pid: int) -> bool:
    """Whether a (non-zombie) process with this pid exists."""
    if pid <= 0:
        return False
    try:
        with open("/proc/%d/stat" % pid, "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]
        return state not in (b"Z", b"X", b"x")
    except FileNotFoundError:
        return False
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        return True


def _Reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _WaitForDeath(pid: int, timeout: float, waitpid: bool) -> bool:
    """Poll until pid is gone (reaping it if waitpid); True if it died."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        if waitpid:
            _Reap(pid)
        if not IsProcessAlive(pid):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def KillProcess(pid: int, signal_: int = signal.SIGTERM,
                timeout: Optional[float] = 30, waitpid: bool = False) -> None:
    """Send signal_ to pid; if it is still alive after timeout, SIGKILL it.

    waitpid=True reaps the process (it must be our child).  timeout=None or
    0 only sends the signal.
    """
    if pid <= 0:
        raise errors.ProgrammerError("Invalid pid given '%s'" % pid)
    if not IsProcessAlive(pid):
        return
    try:
        os.kill(pid, signal_)
    except ProcessLookupError:
        return
    if not timeout:
        if waitpid:
            _Reap(pid)
        return
    if _WaitForDeath(pid, timeout, waitpid):
        return
    logging.warning("Process %d did not exit after %s seconds, killing it",
                    pid, timeout)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    _WaitForDeath(pid, 5.0, waitpid)


# ---------------------------------------------------------------- PID files

def WritePidFile(pidfile: str) -> int:
    """Create, lock (flock) and fill pidfile with our pid; return its fd.

    Keep the fd open for the process's lifetime: the lock is what tells
    others the daemon is alive.  Raises PidFileLockError if another process
    holds the lock.
    """
    fd = os.open(pidfile, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise errors.PidFileLockError("PID file '%s' is already locked by"
                                      " another process" % pidfile)
    os.ftruncate(fd, 0)
    os.write(fd, b"%d\n" % os.getpid())
    return fd


def ReadPidFile(pidfile: str) -> int:
    """Return the pid in pidfile, or 0 if it is missing or invalid."""
    try:
        raw = utils_io.ReadFile(pidfile, size=128)
    except FileNotFoundError:
        return 0
    except (OSError, UnicodeDecodeError) as err:
        logging.warning("Can't read pid file %s: %s", pidfile, err)
        return 0
    try:
        return int(raw.strip())
    except ValueError:
        logging.info("Can't parse pid file %s contents: %r", pidfile, raw)
        return 0


def ReadLockedPidFile(pidfile: str) -> Optional[int]:
    """The pid in pidfile if a live process holds its lock, else None."""
    try:
        fd = os.open(pidfile, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return None  # nobody holds it: stale file
        except BlockingIOError:
            pass
    finally:
        os.close(fd)
    return ReadPidFile(pidfile) or None


def RemovePidFile(pidfile: str) -> None:
    """Remove a PID file (ignoring a missing one)."""
    utils_io.RemoveFile(pidfile)


# ---------------------------------------------------------------- daemons

def CloseFDs(noclose_fds: Optional[Sequence[int]] = None) -> None:
    """Close every fd above 2 except those in noclose_fds."""
    keep = sorted(fd for fd in (noclose_fds or ()) if fd > 2)
    try:
        maxfd = os.sysconf("SC_OPEN_MAX")
    except (ValueError, OSError):
        maxfd = 1024
    start = 3
    for fd in keep + [maxfd]:
        if fd > start:
            os.closerange(start, fd)
        start = max(start, fd + 1)


def SetupDaemonFDs(output_file: Optional[str],
                   output_fd: Optional[int] = None) -> None:
    """Point stdin at /dev/null and stdout/stderr at a file (or /dev/null)."""
    devnull = os.open(os.devnull, os.O_RDWR)
    if output_fd is not None:
        out = output_fd
    elif output_file:
        out = os.open(output_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                      0o600)
    else:
        out = devnull
    os.dup2(devnull, 0)
    os.dup2(out, 1)
    os.dup2(out, 2)
    for fd in {devnull, out}:
        if fd > 2 and fd != output_fd:
            os.close(fd)


def _ReadAll(fd: int) -> bytes:
    chunks = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def StartDaemon(cmd: Command, env: Optional[Dict[str, str]] = None,
                cwd: str = "/", output: Optional[str] = None,
                output_fd: Optional[int] = None,
                pidfile: Optional[str] = None,
                reset_env: bool = False) -> int:
    """Start cmd detached from us (double fork, setsid); return its pid.

    output/output_fd receive the daemon's stdout and stderr.  If pidfile is
    given, the daemon process holds its lock (the fd survives exec).
    Raises OpExecError if the program could not be started.
    """
    if output and output_fd is not None:
        raise errors.ProgrammerError("Only one of output and output_fd")
    argv = ["/bin/sh", "-c", cmd] if isinstance(cmd, str) else list(cmd)
    strcmd = cmd if isinstance(cmd, str) else ShellQuoteArgs(cmd)
    logging.debug("StartDaemon %s", strcmd)
    cmd_env = BuildCmdEnvironment(env, reset_env)
    pid_r, pid_w = os.pipe()
    err_r, err_w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    child = os.fork()
    if child == 0:
        try:
            os.close(pid_r)
            os.close(err_r)
            os.setsid()
            grandchild = os.fork()
            if grandchild:
                os.write(pid_w, b"%d" % grandchild)
                os._exit(0)
            os.close(pid_w)
            os.chdir(cwd)
            SetupDaemonFDs(output, output_fd)
            keep = [err_w]
            if pidfile:
                pid_fd = WritePidFile(pidfile)
                os.set_inheritable(pid_fd, True)
                keep.append(pid_fd)
            CloseFDs(keep)
            os.execvpe(argv[0], argv, cmd_env)
        except BaseException as err:  # report anything to the parent
            try:
                os.write(err_w, str(err).encode("utf-8", "replace") or b"?")
            finally:
                os._exit(127)
    os.close(pid_w)
    os.close(err_w)
    try:
        os.waitpid(child, 0)
        raw_pid = _ReadAll(pid_r)
        failure = _ReadAll(err_r)  # EOF once exec succeeded (close-on-exec)
    finally:
        os.close(pid_r)
        os.close(err_r)
    if failure or not raw_pid:
        raise errors.OpExecError("Error when starting daemon process: %r"
                                 % failure.decode("utf-8", "replace"))
    return int(raw_pid)


def Daemonize(logfile: Optional[str]) -> int:
    """Detach the current process (double fork, setsid); return a report fd.

    The original process waits: if the daemon writes a message to the
    returned fd it prints "Error when starting daemon process: <msg>" and
    exits 1; when the fd is closed without data it exits 0.
    """
    rpipe, wpipe = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    if os.fork() != 0:
        os.close(wpipe)
        msg = _ReadAll(rpipe).decode("utf-8", "replace").strip()
        if msg:
            sys.stderr.write("Error when starting daemon process: %s\n" % msg)
            sys.stderr.flush()
            os._exit(constants.EXIT_FAILURE)
        os._exit(constants.EXIT_SUCCESS)
    os.close(rpipe)
    os.setsid()
    if os.fork() != 0:
        os._exit(0)
    os.chdir("/")
    os.umask(0o077)
    SetupDaemonFDs(logfile)
    return wpipe

