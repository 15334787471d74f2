"""Tests for ganeti.utils.process: RunCmd, daemons, pid files, signals."""

import logging
import os
import signal
import subprocess
import sys
import time

import pytest

from ganeti import constants
from ganeti import errors
from ganeti.utils import process as up
from ganeti.utils import io as uio


def _WaitFor(cond, timeout=10.0):
    """Poll cond() until it is true; return its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.01)


def test_runcmd_success_and_output():
    result = up.RunCmd(["sh", "-c", "echo out; echo err >&2"])
    assert not result.failed
    assert result.exit_code == 0 and result.signal is None
    assert result.stdout == "out\n" and result.stderr == "err\n"
    assert result.output == "out\nerr\n"
    assert result.fail_reason is None


def test_runcmd_string_uses_shell_and_reports_exit_code():
    result = up.RunCmd("echo a b | tr a-z A-Z; exit 3")
    assert result.failed and result.exit_code == 3
    assert result.stdout == "A B\n"
    assert result.fail_reason == "exited with exit code 3"
    assert result.cmd == "echo a b | tr a-z A-Z; exit 3"


def test_runcmd_signal():
    result = up.RunCmd(["sh", "-c", "kill -9 $$"])
    assert result.failed and result.signal == signal.SIGKILL
    assert result.exit_code is None
    assert "terminated by signal 9" in result.fail_reason


def test_runcmd_timeout_kills_child():
    pids = []
    start = time.monotonic()
    result = up.RunCmd(["sleep", "60"], timeout=0.3, postfork_fn=pids.append)
    assert time.monotonic() - start < 5
    assert result.failed and result.signal == signal.SIGTERM
    assert "timeout" in result.fail_reason
    assert "terminated after timeout of 0.30 seconds" in result.fail_reason
    assert len(pids) == 1 and not up.IsProcessAlive(pids[0])
    with pytest.raises(ProcessLookupError):
        os.kill(pids[0], 0)


def test_runcmd_timeout_kills_stubborn_child_and_grandchildren(tmp_path):
    pidfile = str(tmp_path / "grandchild")
    script = "trap '' TERM; sleep 60 & echo $! > %s; wait" % pidfile
    pids = []
    result = up.RunCmd(script, timeout=0.3, linger_timeout=0.3,
                       postfork_fn=pids.append)
    assert result.failed and result.signal == signal.SIGKILL
    assert "force termination after timeout of 0.30 seconds" in \
        result.fail_reason
    grandchild = int(uio.ReadFile(pidfile))
    assert not up.IsProcessAlive(pids[0])
    assert _WaitFor(lambda: not up.IsProcessAlive(grandchild), 5)


def test_runcmd_env_cwd_input(tmp_path):
    os.environ["GNT_TEST_INHERITED"] = "yes"
    try:
        result = up.RunCmd("echo $LC_ALL $GNT_TEST_INHERITED $FOO; pwd",
                           env={"FOO": "bar"}, cwd=str(tmp_path))
        assert result.stdout == "C yes bar\n%s\n" % tmp_path
        result = up.RunCmd(["/usr/bin/env"], env={"ONLY": "1"},
                           reset_env=True)
        assert result.stdout == "ONLY=1\n"
    finally:
        del os.environ["GNT_TEST_INHERITED"]
    assert up.RunCmd(["cat"], input_data="piped").stdout == "piped"
    assert up.RunCmd(["cat"]).stdout == ""  # stdin is /dev/null
    with open(os.devnull) as fh:
        assert up.RunCmd(["cat"], input_fd=fh.fileno()).stdout == ""


def test_runcmd_output_file(tmp_path):
    out = str(tmp_path / "out.log")
    uio.WriteFile(out, data="before\n")
    result = up.RunCmd("echo one; echo two >&2", output=out)
    assert not result.failed and result.output == ""
    assert uio.ReadFile(out) == "before\none\ntwo\n"


def test_runcmd_noclose_fds(tmp_path):
    rfd, wfd = os.pipe()
    try:
        cmd = [sys.executable, "-c", "import os; os.write(%d, b'hi')" % wfd]
        result = up.RunCmd(cmd, noclose_fds=[wfd])
        assert not result.failed, result.output
        assert os.read(rfd, 10) == b"hi"
        assert up.RunCmd(cmd).failed  # closed otherwise
    finally:
        os.close(rfd)
        os.close(wfd)


def test_runcmd_errors(tmp_path):
    with pytest.raises(errors.OpExecError) as info:
        up.RunCmd(["/nonexistent/program"])
    assert "Can't execute" in str(info.value)
    with pytest.raises(errors.OpExecError):
        up.RunCmd(["true"], cwd=str(tmp_path / "missing"))
    with pytest.raises(errors.ProgrammerError):
        up.RunCmd(["true"], interactive=True, output="/dev/null")


def test_runcmd_logs_command_line(caplog):
    with caplog.at_level(logging.DEBUG):
        up.RunCmd(["echo", "with space"])
    assert "RunCmd echo 'with space'" in caplog.text


def test_run_parts(tmp_path):
    for name, body in (("10-ok", "#!/bin/sh\necho ok\n"),
                       ("20-fail", "#!/bin/sh\nexit 2\n"),
                       ("bad.name", "#!/bin/sh\n"),
                       ("30-notexec", "#!/bin/sh\n")):
        uio.WriteFile(str(tmp_path / name), data=body,
                      mode=0o644 if name == "30-notexec" else 0o755)
    results = up.RunParts(str(tmp_path), env={"X": "1"})
    summary = [(name, status) for name, status, _ in results]
    assert summary == [("10-ok", constants.RUNPARTS_RUN),
                       ("20-fail", constants.RUNPARTS_RUN),
                       ("30-notexec", constants.RUNPARTS_SKIP),
                       ("bad.name", constants.RUNPARTS_SKIP)]
    assert results[0][2].stdout == "ok\n"
    assert results[1][2].exit_code == 2


def test_pid_file_lock(tmp_path):
    pidfile = str(tmp_path / "d.pid")
    assert up.ReadPidFile(pidfile) == 0
    assert up.ReadLockedPidFile(pidfile) is None
    fd = up.WritePidFile(pidfile)
    try:
        assert up.ReadPidFile(pidfile) == os.getpid()
        assert up.ReadLockedPidFile(pidfile) == os.getpid()
        # A second process cannot take it.
        code = ("import sys; sys.path.insert(0, %r);"
                "from ganeti.utils import process as p;"
                "p.WritePidFile(%r)" % (os.getcwd(), pidfile))
        proc = subprocess.run([sys.executable, "-c", code],
                              capture_output=True, text=True)
        assert proc.returncode != 0
        assert "PidFileLockError" in proc.stderr
    finally:
        os.close(fd)
    assert up.ReadLockedPidFile(pidfile) is None  # stale now
    up.RemovePidFile(pidfile)
    assert not os.path.exists(pidfile)
    uio.WriteFile(pidfile, data="garbage")
    assert up.ReadPidFile(pidfile) == 0


def test_kill_process():
    proc = subprocess.Popen(["sleep", "60"])
    assert up.IsProcessAlive(proc.pid)
    up.KillProcess(proc.pid, timeout=5, waitpid=True)
    assert not up.IsProcessAlive(proc.pid)
    # A process ignoring SIGTERM gets SIGKILL after the timeout.
    stubborn = ("import signal, time;"
                "signal.signal(signal.SIGTERM, signal.SIG_IGN);"
                "print('r', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", stubborn],
                            stdout=subprocess.PIPE)
    proc.stdout.readline()
    up.KillProcess(proc.pid, timeout=0.2, waitpid=True)
    assert not up.IsProcessAlive(proc.pid)
    proc.stdout.close()
    proc.wait()
    with pytest.raises(errors.ProgrammerError):
        up.KillProcess(0)
    assert not up.IsProcessAlive(0)


def test_start_daemon(tmp_path):
    out = str(tmp_path / "out.log")
    pidfile = str(tmp_path / "daemon.pid")
    pid = up.StartDaemon(["sh", "-c", "echo started; exec sleep 60"],
                         output=out, pidfile=pidfile)
    try:
        assert up.IsProcessAlive(pid)
        assert up.ReadPidFile(pidfile) == pid
        # The daemon itself holds the pid file lock.
        assert up.ReadLockedPidFile(pidfile) == pid
        assert _WaitFor(lambda: os.path.exists(out) and
                        uio.ReadFile(out) == "started\n")
        # It is in its own session (not as leader), and not our child.
        assert os.getsid(pid) not in (os.getsid(0), pid)
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        # Starting a second one with the same pid file fails.
        with pytest.raises(errors.OpExecError) as info:
            up.StartDaemon(["sleep", "60"], pidfile=pidfile)
        assert "already locked" in str(info.value)
    finally:
        up.KillProcess(pid, timeout=5)
    assert _WaitFor(lambda: not up.IsProcessAlive(pid))
    with pytest.raises(errors.OpExecError):
        up.StartDaemon(["/nonexistent/daemon"])
