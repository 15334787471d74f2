"""Tests for ganeti.daemon (GenericMain) and ganeti.utils.log."""

import logging
import optparse
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from ganeti import constants
from ganeti import daemon
from ganeti import pathutils
from ganeti.utils import io as uio
from ganeti.utils import log as ulog
from ganeti.utils import process as up

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "dummy_daemon.py")
NAME = constants.KVMD
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}: ganeti-kvmd"
                      r" pid=\d+ INFO ganeti-kvmd daemon startup$", re.M)


def _WaitFor(cond, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.01)


@pytest.fixture
def droot(ganeti_root):
    """Environment and paths for running the dummy daemon under a root."""
    env = dict(os.environ, GANETI_ROOTDIR=ganeti_root)
    env.pop("DUMMY_DAEMON_FAIL", None)
    return {
        "env": env,
        "pidfile": pathutils.daemon_pid_file(NAME),
        "logfile": pathutils.daemon_log_file(constants.DAEMONS_LOGBASE[NAME]),
        "run_dir": pathutils.RUN_DIR,
    }


def _Run(droot, *args, **env):
    return subprocess.run([sys.executable, SCRIPT] + list(args),
                          env=dict(droot["env"], **env), capture_output=True,
                          text=True, timeout=30)


def _AssertRefused(result):
    assert result.returncode == constants.EXIT_FAILURE
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_foreground_daemon_lifecycle(droot):
    proc = subprocess.Popen([sys.executable, SCRIPT, "-f"], env=droot["env"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        assert _WaitFor(lambda: up.ReadLockedPidFile(droot["pidfile"])
                        == proc.pid), proc.stderr
        assert _WaitFor(lambda: os.path.exists(droot["logfile"]) and
                        "dummy daemon running" in uio.ReadFile(
                            droot["logfile"]))

        second = _Run(droot, "-f")
        line = _AssertRefused(second)
        assert "already locked" in line and droot["pidfile"] in line
        assert proc.poll() is None  # the first one is unaffected
        assert up.ReadPidFile(droot["pidfile"]) == proc.pid

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == constants.EXIT_SUCCESS
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    assert not os.path.exists(droot["pidfile"])
    run_dir = droot["run_dir"]
    assert uio.ReadFile(run_dir + "/dummy.stopped") == str(signal.SIGTERM)
    assert uio.ReadFile(run_dir + "/dummy.callback") == "called"
    log = uio.ReadFile(droot["logfile"])
    assert LOG_LINE.search(log), log
    assert "shutting down" in log


def test_background_daemon_lifecycle(droot):
    started = _Run(droot)
    assert started.returncode == 0, started.stderr
    assert started.stderr == ""
    pid = up.ReadLockedPidFile(droot["pidfile"])
    assert pid and up.IsProcessAlive(pid)
    try:
        # Detached: a new session, not a child of the test.
        assert os.getsid(pid) != os.getsid(0)
        line = _AssertRefused(_Run(droot))
        assert line.startswith("Error when starting daemon process:")
        assert "already locked" in line
        _AssertRefused(_Run(droot, "-f"))
        assert up.ReadLockedPidFile(droot["pidfile"]) == pid

        os.kill(pid, signal.SIGTERM)
        assert _WaitFor(lambda: not up.IsProcessAlive(pid))
    finally:
        if up.IsProcessAlive(pid):
            os.kill(pid, signal.SIGKILL)
    assert _WaitFor(lambda: not os.path.exists(droot["pidfile"]))
    assert uio.ReadFile(droot["run_dir"] + "/dummy.stopped") == \
        str(signal.SIGTERM)


@pytest.mark.parametrize("mode", [["-f"], []])
def test_prepare_failure_is_reported_on_one_line(droot, mode):
    result = _Run(droot, *mode, DUMMY_DAEMON_FAIL="prepare")
    line = _AssertRefused(result)
    assert line == ("Error when starting daemon process: prepare failed"
                    " on purpose")
    assert not os.path.exists(droot["pidfile"])


def test_exec_failure_exits_1_and_cleans_up(droot):
    result = _Run(droot, "-f", DUMMY_DAEMON_FAIL="exec")
    assert result.returncode == constants.EXIT_FAILURE
    assert not os.path.exists(droot["pidfile"])
    assert "exec failed on purpose" in uio.ReadFile(droot["logfile"])


def test_bad_option_and_argument(droot):
    assert _Run(droot, "--syslog=maybe").returncode == 2
    assert _Run(droot, "-f", "extra").returncode == constants.EXIT_FAILURE
    assert not os.path.exists(droot["pidfile"])


def test_common_options(ganeti_root):
    parser = optparse.OptionParser()
    daemon.AddCommonOptions(parser, constants.NODED)
    opts, _ = parser.parse_args([])
    assert opts.fork and not opts.debug
    assert opts.syslog == constants.SYSLOG_NO
    assert opts.port == daemon.GetDaemonPort(constants.NODED)
    assert opts.ssl and opts.ssl_cert == pathutils.NODED_CERT_FILE
    assert opts.ssl_key == pathutils.NODED_CERT_FILE
    opts, _ = parser.parse_args(["-f", "-d", "-p", "1234", "-b", "127.0.0.1",
                                 "--no-ssl", "-K", "/k", "-C", "/c",
                                 "--syslog", "only"])
    assert (opts.fork, opts.debug, opts.port, opts.bind_address) == \
        (False, True, 1234, "127.0.0.1")
    assert (opts.ssl, opts.ssl_key, opts.ssl_cert, opts.syslog) == \
        (False, "/k", "/c", "only")

    parser = optparse.OptionParser()
    daemon.AddCommonOptions(parser, constants.RAPI)
    assert parser.parse_args([])[0].ssl_cert == pathutils.RAPI_CERT_FILE

    parser = optparse.OptionParser()
    daemon.AddCommonOptions(parser, constants.KVMD)
    assert not parser.has_option("-p") and not parser.has_option("--no-ssl")
    assert daemon.DefaultBindAddress() == "0.0.0.0"
    uio.EnsureDirs([(pathutils.DATA_DIR, 0o755)])
    uio.WriteFile(pathutils.ssconf_file("primary_ip_family"), data="10\n")
    assert daemon.DefaultBindAddress() == "::"
    assert daemon.GetInterfaceAddress("lo") == "127.0.0.1"


def test_shutdown_object():
    shutdown = daemon.Shutdown()
    calls = []
    shutdown.Register(lambda: calls.append(1))
    assert not shutdown.IsRequested() and not shutdown.Wait(0.01)
    shutdown.Request(signal.SIGINT)
    shutdown.Request(signal.SIGTERM)  # only the first one counts
    assert shutdown.Wait(1) and shutdown.signum == signal.SIGINT
    assert _WaitFor(lambda: calls == [1], 5)
    shutdown.Register(lambda: calls.append(2))  # late: runs at once
    assert calls == [1, 2]


@pytest.fixture
def clean_root_logger():
    root = logging.getLogger("")
    saved = (list(root.handlers), root.level)
    root.handlers = []
    yield root
    ulog.ResetLogging(root)
    root.handlers, root.level = saved[0], saved[1]


def test_log_format_and_reopen(tmp_path, clean_root_logger):
    logfile = str(tmp_path / "x.log")
    reopen = ulog.SetupLogging(logfile, "gnt-test", debug=0)
    logging.debug("hidden")
    logging.info("first")
    rotated = str(tmp_path / "x.log.1")
    os.rename(logfile, rotated)
    reopen()
    logging.warning("second")
    old, new = uio.ReadFile(rotated), uio.ReadFile(logfile)
    assert "hidden" not in old
    assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}: gnt-test"
                    r" pid=%d INFO first\n$" % os.getpid(), old), old
    assert new.endswith(" WARNING second\n") and "first" not in new

    ulog.SetupLogging(logfile, "gnt-test", debug=1, multithreaded=True)
    logging.debug("shown")
    last = uio.ReadFile(logfile).splitlines()[-1]
    assert re.search(r": gnt-test pid=%d/MainThread test_daemon:\d+ DEBUG"
                     r" shown$" % os.getpid(), last), last


def test_log_unwritable_file(tmp_path, clean_root_logger):
    missing = str(tmp_path / "no" / "such" / "x.log")
    with pytest.raises(OSError):
        ulog.SetupLogging(missing, "gnt-test")
    ulog.SetupLogging(missing, "gnt-test", stderr_logging=True)
