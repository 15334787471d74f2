"""Daemons as an installed system, on a one-node cluster: daemon-util's
verbs (start-all, stop-all, check, check-exitcode, upstream's daemon
names) against the real daemons, and the init script (examples/ganeti.initd.in)
rendered as make install renders it."""

import os
import sys
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PY = sys.executable
NODE = "node1.example.test"
DAEMON_UTIL = os.path.join(REPO, "daemons", "daemon-util")
RUNNING = ["ganeti-noded", "ganeti-confd", "ganeti-masterd", "ganeti-rapi",
           "ganeti-luxid", "ganeti-wconfd"]


@pytest.fixture(scope="module")
def cluster(make_cluster):
    return make_cluster(2, join=False)  # node2: a machine in no cluster


def _util(cluster, *args, timeout=120):
    return cluster.vc.exec(NODE, PY, DAEMON_UTIL, *args, timeout=timeout)


def _running(cluster):
    """{daemon name: whether daemon-util check says it runs}."""
    return {name: _util(cluster, "check", name).returncode == 0
            for name in RUNNING}


def _wait_master(cluster, limit=60):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if cluster.gnt("cluster", "getmaster").returncode == 0:
            return
        time.sleep(0.3)
    pytest.fail("the master daemon did not answer after start-all")


def test_stop_all_then_start_all(cluster):
    assert all(_running(cluster).values()), _running(cluster)
    res = _util(cluster, "stop-all")
    assert res.returncode == 0, res.stderr
    assert not any(_running(cluster).values()), _running(cluster)
    res = cluster.sh("ls /var/run/ganeti/*.pid 2>/dev/null; true")
    assert res.stdout.split() == []
    res = _util(cluster, "start-all")
    assert res.returncode == 0, res.stdout + res.stderr
    assert all(_running(cluster).values()), _running(cluster)
    _wait_master(cluster)


def test_upstream_pid_and_log_files(cluster):
    res = cluster.sh("for d in masterd luxid wconfd; do"
                     " cat /var/run/ganeti/ganeti-$d.pid; done")
    pids = res.stdout.split()
    assert len(pids) == 3 and len(set(pids)) == 1, res.stdout
    res = cluster.sh("cat /var/log/ganeti/luxi-daemon.log"
                     " /var/log/ganeti/wconf-daemon.log | grep -c startup")
    assert int(res.stdout.strip() or 0) >= 2, res.stdout + res.stderr


def test_killed_daemon_is_reported_by_check(cluster):
    res = cluster.sh("kill -9 $(cat /var/run/ganeti/ganeti-confd.pid)")
    assert res.returncode == 0, res.stderr
    deadline = time.monotonic() + 30
    while _util(cluster, "check", "ganeti-confd").returncode == 0:
        assert time.monotonic() < deadline, "confd still reported running"
        time.sleep(0.1)
    assert _util(cluster, "check", "ganeti-noded").returncode == 0
    # start-all starts what is missing and leaves the rest alone.
    noded_pid = cluster.sh("cat /var/run/ganeti/ganeti-noded.pid").stdout
    res = _util(cluster, "start-all")
    assert res.returncode == 0, res.stderr
    assert all(_running(cluster).values()), _running(cluster)
    assert cluster.sh("cat /var/run/ganeti/ganeti-noded.pid").stdout == \
        noded_pid


def test_stopping_an_alias_stops_the_master_process(cluster):
    res = _util(cluster, "stop", "ganeti-wconfd")
    assert res.returncode == 0, res.stderr
    running = _running(cluster)
    assert not running["ganeti-luxid"] and not running["ganeti-masterd"]
    assert running["ganeti-noded"]
    res = _util(cluster, "start", "ganeti-luxid")
    assert res.returncode == 0, res.stderr
    assert all(_running(cluster).values()), _running(cluster)
    _wait_master(cluster)


def test_start_on_a_non_master_gives_not_master(cluster):
    """A master daemon refusing to run where it is not the master exits
    with EXIT_NOTMASTER, which check-exitcode accepts."""
    res = _util(cluster, "stop", "ganeti-rapi")
    assert res.returncode == 0
    # Pretend another node is the master (ssconf only; restored below).
    cluster.sh("cp /var/lib/ganeti/ssconf_master_node /var/run/ganeti/master_node.saved &&"
               " echo node9.example.test > /var/lib/ganeti/ssconf_master_node")
    try:
        res = _util(cluster, "start", "ganeti-rapi")
    finally:
        cluster.sh("cp /var/run/ganeti/master_node.saved /var/lib/ganeti/ssconf_master_node")
    assert res.returncode == 11, res.stdout + res.stderr
    res = _util(cluster, "check-exitcode", "11")
    assert (res.returncode, res.stdout) == (0, "Not master\n")
    res = _util(cluster, "check-exitcode", "1")
    assert res.returncode == 1
    res = _util(cluster, "start", "ganeti-rapi")
    assert res.returncode == 0, res.stderr


@pytest.fixture
def init_script(tmp_path):
    """The init script as installed, its daemon-util being this tree's."""
    from ganeti.tools import sysfiles
    libdir = tmp_path / "lib"
    libdir.mkdir()
    (libdir / "daemon-util").write_text(
        '#!/bin/sh\nexec %s %s "$@"\n' % (PY, DAEMON_UTIL))
    (libdir / "daemon-util").chmod(0o755)
    sysfiles.WriteAll(str(tmp_path), {"PKGLIBDIR": str(libdir)})
    return str(tmp_path / "ganeti.initd")


def test_init_script_stop_status_start(cluster, init_script):
    res = cluster.vc.exec(NODE, "sh", init_script, "status")
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.splitlines() == [
        "%s is running" % name for name in
        ("ganeti-noded", "ganeti-confd", "ganeti-masterd", "ganeti-rapi")]
    res = cluster.vc.exec(NODE, "sh", init_script, "stop", timeout=180)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.splitlines()[0] == "Stopping Ganeti cluster daemons:"
    assert not any(_running(cluster).values()), _running(cluster)
    res = cluster.vc.exec(NODE, "sh", init_script, "status")
    assert res.returncode == 3
    assert "ganeti-noded is not running" in res.stdout
    res = cluster.vc.exec(NODE, "sh", init_script, "start", timeout=180)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.splitlines() == [
        "Starting Ganeti cluster daemons:", "  ganeti-noded: ok",
        "  ganeti-confd: ok", "  ganeti-masterd: ok", "  ganeti-rapi: ok"]
    assert all(_running(cluster).values()), _running(cluster)
    _wait_master(cluster)
    res = cluster.vc.exec(NODE, "sh", init_script, "restart", timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert all(_running(cluster).values()), _running(cluster)
    _wait_master(cluster)


def test_init_script_on_a_node_outside_a_cluster(cluster, init_script):
    """Without the node's certificate (not in a cluster) start does
    nothing and says why."""
    res = cluster.vc.exec("node2.example.test", "sh", init_script, "start")
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout == \
        "Ganeti cluster: incomplete configuration, will not run.\n"
    res = cluster.vc.exec("node2.example.test", "sh", init_script, "status")
    assert res.returncode == 3


NODE2 = "node2.example.test"
CLEANER = os.path.join(REPO, "daemons", "ganeti-cleaner")
NODE_CLEANUP = os.path.join(REPO, "tools", "node-cleanup")
_OLD_JOB = "/var/lib/ganeti/queue/archive/0/job-999999"


def test_cleaner_master_removes_old_archived_jobs_on_the_master(cluster):
    for node in (NODE, NODE2):
        res = cluster.sh("mkdir -p %s && echo {} > %s && touch -d '30 days"
                         " ago' %s" % (os.path.dirname(_OLD_JOB), _OLD_JOB,
                                       _OLD_JOB), node=node)
        assert res.returncode == 0, res.stderr
    res = cluster.vc.exec(NODE, PY, CLEANER, "master")
    assert res.returncode == 0, res.stderr
    assert cluster.sh("test -e %s" % _OLD_JOB).returncode == 1
    res = cluster.sh("cat /var/log/ganeti/master-cleaner/*.log")
    assert "Removed %s" % _OLD_JOB in res.stdout
    # Not the master (node2 is in no cluster): master mode leaves it be.
    res = cluster.vc.exec(NODE2, PY, CLEANER, "master")
    assert res.returncode == 0, res.stderr
    assert cluster.sh("test -e %s" % _OLD_JOB, node=NODE2).returncode == 0
    res = cluster.vc.exec(NODE2, PY, CLEANER, "node")
    assert res.returncode == 0, res.stderr
    assert cluster.sh("ls /var/log/ganeti/cleaner/", node=NODE2).stdout


def test_node_cleanup(cluster):
    res = cluster.vc.exec(NODE, PY, NODE_CLEANUP, "--yes-do-it")
    assert res.returncode == 1 and "master" in res.stderr
    assert _util(cluster, "check-config").returncode == 0
    # node2 with leftovers of a cluster it was removed from while down.
    res = cluster.sh("cd /var/lib/ganeti && echo old > ssconf_cluster_name"
                     " && echo {} > config.data && echo pem > server.pem",
                     node=NODE2)
    assert res.returncode == 0, res.stderr
    res = cluster.vc.exec(NODE2, PY, NODE_CLEANUP)
    assert res.returncode == 1 and "--yes-do-it" in res.stderr
    res = cluster.vc.exec(NODE2, PY, NODE_CLEANUP, "--yes-do-it")
    assert res.returncode == 0, res.stdout + res.stderr
    res = cluster.sh("find /var/lib/ganeti -type f", node=NODE2)
    assert res.stdout == "", res.stdout
    res = cluster.vc.exec(NODE2, PY, DAEMON_UTIL, "check-config")
    assert res.returncode == 1


def test_rotate_all_logs_reopens_the_log_files(cluster):
    """What logrotate's postrotate does: after a rename the daemons write
    their next messages (here: those of stopping) to new files."""
    logs = ["node-daemon", "conf-daemon", "master-daemon", "rapi-daemon"]

    def shutdowns(path):
        res = cluster.sh("grep -c 'Shutdown requested' %s" % path)
        return int(res.stdout.strip() or 0)

    before = {log: shutdowns("/var/log/ganeti/%s.log" % log) for log in logs}
    res = cluster.sh(" && ".join("mv /var/log/ganeti/%s.log"
                                 " /var/log/ganeti/%s.log.1" % (log, log)
                                 for log in logs))
    assert res.returncode == 0, res.stderr
    res = _util(cluster, "rotate-all-logs")
    assert res.returncode == 0, res.stderr
    res = _util(cluster, "stop-all")
    assert res.returncode == 0, res.stderr
    try:
        for log in logs:
            assert shutdowns("/var/log/ganeti/%s.log" % log) == 1, log
            assert shutdowns("/var/log/ganeti/%s.log.1" % log) == \
                before[log], log
        res = cluster.sh("cat /var/log/ganeti/luxi-daemon.log")
        assert "Shutdown requested" in res.stdout
    finally:
        res = _util(cluster, "start-all")
    assert res.returncode == 0, res.stderr
    _wait_master(cluster)
