"""Controlling running jobs on a one-node cluster: gnt-job cancel --kill
ends a running job and frees its locks, stopping the master daemon
interrupts running jobs, gnt-debug test-jobqueue and gnt-debug wconfd.
"""

import os
import sys
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PY = sys.executable
NODE = "node1.example.test"
DAEMON_UTIL = os.path.join(REPO, "daemons", "daemon-util")
FINAL = ("success", "error", "canceled")


@pytest.fixture(scope="module")
def cluster(make_cluster):
    return make_cluster(1)


def _SubmitDelay(cluster, seconds):
    """Submit a gnt-debug delay job (locking the master node); its id."""
    res = cluster.ok("debug", "delay", "--submit", "--print-jobid",
                     str(seconds))
    return res.stdout.strip()


def _Status(cluster, job_id):
    res = cluster.ok("job", "list", "--no-headers", "-o", "status", job_id)
    return res.stdout.strip()


def _WaitStatus(cluster, job_id, wanted, limit=60):
    """Poll the job's status until it is one of wanted (bounded)."""
    deadline = time.monotonic() + limit
    status = None
    while time.monotonic() < deadline:
        status = _Status(cluster, job_id)
        if status in wanted:
            return status
        time.sleep(0.2)
    pytest.fail("job %s stayed %s (wanted %s)" % (job_id, status, wanted))


def test_kill_running_job_ends_it_and_frees_its_locks(cluster):
    job_id = _SubmitDelay(cluster, 600)
    _WaitStatus(cluster, job_id, ("running",))
    res = cluster.ok("job", "cancel", "--kill", "--yes-do-it", job_id)
    assert "Job %s will be canceled" % job_id in res.stdout + res.stderr
    assert _WaitStatus(cluster, job_id, FINAL) == "canceled"
    # The next job taking the same lock (the master node's) runs at once.
    cluster.ok("debug", "delay", "0.01", timeout=60)
    res = cluster.ok("debug", "locks", "--no-headers", "-o", "name,owner")
    assert all(line.split()[1] == "-" for line in res.stdout.splitlines()), \
        res.stdout


def test_stopping_masterd_interrupts_running_job(cluster):
    job_id = _SubmitDelay(cluster, 600)
    _WaitStatus(cluster, job_id, ("running",))
    start = time.monotonic()
    res = cluster.vc.exec(NODE, PY, DAEMON_UTIL, "stop", "ganeti-masterd",
                          timeout=60)
    elapsed = time.monotonic() - start
    assert res.returncode == 0, res.stderr
    # Not the SIGKILL after daemon-util's 30 s: the daemon ended itself.
    assert elapsed < 20, elapsed
    log = cluster.sh("cat /var/log/ganeti/master-daemon.log").stdout
    assert "shutting down (exit code" in log.splitlines()[-1], log[-2000:]
    res = cluster.vc.exec(NODE, PY, DAEMON_UTIL, "start", "ganeti-masterd")
    assert res.returncode == 0, res.stderr
    # Running at the stop: failed at the restart (unclean shutdown).
    assert _WaitStatus(cluster, job_id, FINAL) == "error"
    cluster.ok("debug", "delay", "0.01", timeout=60)


def test_debug_test_jobqueue(cluster):
    res = cluster.ok("debug", "test-jobqueue", "--priority", "high")
    assert res.stdout.splitlines() == [
        "Testing job log messages",
        "Testing 'waitlock' notification",
        "Testing 'running' notification",
        "Testing job failure",
        "Job queue test successful",
    ]
    res = cluster.ok("job", "list", "--no-headers", "-o", "summary,status")
    lines = [l for l in res.stdout.splitlines() if "TEST_JQUEUE" in l]
    assert [l.split()[-1] for l in lines] == ["success"] * 3 + ["error"]


def test_debug_wconfd_verbs(cluster):
    before = cluster.serial()
    res = cluster.ok("debug", "wconfd", "flushconfig")
    assert res.stdout == "Answer: None\n"
    assert cluster.ok("debug", "wconfd", "echo", "hello").stdout == \
        "Answer: hello\n"
    assert cluster.ok("debug", "wconfd", "cleanuplocks").stdout == \
        "Answer: None\n"
    job_id = _SubmitDelay(cluster, 600)
    _WaitStatus(cluster, job_id, ("running",))
    try:
        res = cluster.ok("debug", "wconfd", "listlocks", job_id)
        assert "'exclusive'" in res.stdout and "node/" in res.stdout, \
            res.stdout
        res = cluster.ok("debug", "wconfd", "listalllocksowners")
        assert "'%s'" % job_id in res.stdout, res.stdout
    finally:
        cluster.ok("job", "cancel", "--kill", "--yes-do-it", job_id)
    _WaitStatus(cluster, job_id, FINAL)
    assert cluster.ok("debug", "wconfd", "listalllocks").stdout == \
        "Answer: []\n"
    res = cluster.fails("debug", "wconfd", "nosuchverb")
    assert res.stderr == "Command 'nosuchverb' not supported\n"
    assert cluster.serial() == before
