"""ganeti-watcher on a 3-node testbed cluster (fake hypervisor): it starts
instances that are down (up to the retry limit), brings back killed node
and master daemons, re-activates disks after an (emulated) node reboot,
honours gnt-cluster watcher pause/continue, and two watchers at once do
the work once.

The watcher runs as cron would run it, inside a node: daemons/ganeti-watcher.
A reboot is emulated by rewriting the node's boot id file (the testbed
bind-mounts it over /proc/sys/kernel/random/boot_id).  VCLUSTER_LAB /
VCLUSTER_STATE are honoured; every wait is bounded.
"""

import os
import re
import signal
import subprocess
import sys
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PY = sys.executable
WATCHER = os.path.join(REPO, "daemons", "ganeti-watcher")
DOMAIN = "example.test"
N1, N2, N3 = ("node%d.%s" % (i, DOMAIN) for i in (1, 2, 3))
I1, I2 = ("watch%d.%s" % (i, DOMAIN) for i in (1, 2))
FAKE_DIR = "/var/run/ganeti/fake-hypervisor"
WATCHER_LOG = "/var/log/ganeti/watcher.log"
WAIT = 60
HOOK_DIR = "/etc/ganeti/hooks/instance-start-pre.d"


def _wait_for(check, what, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() >= deadline:
            assert value, "timed out after %ds waiting for %s" % (timeout,
                                                                 what)
            return value
        time.sleep(0.2)


class _Checks:
    def watcher(self, *args, node="node1", timeout=300):
        res = self.vc.exec(node, PY, WATCHER, *args, timeout=timeout)
        assert res.returncode == 0, res.stdout + res.stderr
        assert "Traceback" not in res.stderr
        return res

    def status(self, name):
        res = self.ok("instance", "list", "--no-headers", "-o", "status",
                      name)
        return res.stdout.strip()

    def jobs(self, summary_prefix):
        """Ids of the jobs whose summary starts with summary_prefix."""
        res = self.ok("job", "list", "--no-headers", "-o", "id,summary")
        return [int(line.split()[0]) for line in res.stdout.splitlines()
                if line.split(None, 1)[1].startswith(summary_prefix)]

    def startups(self, name):
        return self.jobs("INSTANCE_STARTUP(%s)" % name)

    def mark_down(self, name, node):
        """The hypervisor loses the instance (as if its process died)."""
        res = self.sh("rm %s/%s" % (FAKE_DIR, name), node=node)
        assert res.returncode == 0, res.stderr
        assert self.status(name) == "ERROR_down"

    def log(self, node="node1"):
        return self.sh("cat %s" % WATCHER_LOG, node=node).stdout

    def daemon_pid(self, daemon, node):
        res = self.sh("cat /var/run/ganeti/%s.pid" % daemon, node=node)
        return int(res.stdout.strip()) if res.returncode == 0 else None

    def kill_daemon(self, daemon, node):
        pid = self.daemon_pid(daemon, node)
        assert pid
        os.kill(pid, signal.SIGKILL)
        _wait_for(lambda: not _alive(pid), "%s on %s to die" % (daemon, node))
        return pid

    def daemon_running(self, daemon, node):
        res = self.vc.exec(node, PY, os.path.join(REPO, "daemons",
                                                  "daemon-util"),
                           "check", daemon)
        return res.returncode == 0

    def boot_id_file(self, node):
        return os.path.join(self.vc.state_dir, node, "boot_id")


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture(scope="module")
def cluster(make_cluster, node_add_available):
    if not node_add_available:
        pytest.skip("needs gnt-node add (3 nodes)")
    cluster = make_cluster(3, helpers=_Checks)
    for name, node in ((I1, N2), (I2, N3)):
        cluster.ok("instance", "add", "-n", node, "-t", "file", "-o", "noop",
                   "--disk", "0:size=8M", "-B", "memory=32M",
                   "--no-name-check", "--no-ip-check", name)
    # the first run records the boot ids and quiet state
    cluster.watcher()
    return cluster


def test_restarts_down_instance_once_per_run(cluster):
    before = cluster.startups(I1)
    cluster.mark_down(I1, "node2")
    cluster.watcher()
    assert cluster.status(I1) == "running"
    assert len(cluster.startups(I1)) == len(before) + 1
    assert "Restarting instance '%s' (attempt #1)" % I1 in cluster.log()
    cluster.watcher()           # a quiet run: nothing more to do
    assert len(cluster.startups(I1)) == len(before) + 1
    assert "Restart of instance '%s' succeeded" % I1 in cluster.log()
    status = cluster.sh("cat /var/run/ganeti/instance-status").stdout
    assert "%s running\n" % I1 in status and "%s running\n" % I2 in status


def test_gives_up_after_the_retry_limit(cluster):
    before = cluster.startups(I2)
    cluster.mark_down(I2, "node3")
    # a pre-start hook on the master refuses every start
    res = cluster.sh("mkdir -p %s && printf '#!/bin/sh\\nexit 1\\n' >"
                     " %s/50-deny && chmod 755 %s/50-deny"
                     % (HOOK_DIR, HOOK_DIR, HOOK_DIR))
    assert res.returncode == 0, res.stderr
    try:
        for _ in range(6):
            cluster.watcher()
        assert cluster.status(I2) == "ERROR_down"
        assert len(cluster.startups(I2)) == len(before) + 5
        log = cluster.log()
        assert "Could not restart instance '%s' after 5 attempts, giving" \
            " up" % I2 in log
        cluster.watcher()
        assert len(cluster.startups(I2)) == len(before) + 5
        assert cluster.log().count("Could not restart instance '%s'" % I2) \
            == 1
    finally:
        cluster.sh("rm -rf %s" % HOOK_DIR)
    # an admin start resets the counter
    cluster.ok("instance", "startup", I2)
    cluster.watcher()
    cluster.mark_down(I2, "node3")
    cluster.watcher()
    assert cluster.status(I2) == "running"


def test_admin_shutdown_is_left_alone(cluster):
    cluster.ok("instance", "shutdown", I2)
    before = cluster.startups(I2)
    cluster.watcher()
    assert cluster.status(I2) == "ADMIN_down"
    assert cluster.startups(I2) == before
    # started without recording it: should not run, left alone too
    cluster.ok("instance", "startup", "--no-remember", I2)
    assert cluster.status(I2) == "ERROR_up"
    cluster.watcher()
    assert cluster.status(I2) == "ERROR_up"
    cluster.ok("instance", "startup", I2)


def test_no_remember_shutdown_is_restored(cluster):
    # as upstream: the configuration still says "up", so the watcher
    # restores the recorded state (a cluster-wide --no-remember shutdown
    # with the watcher paused, then continue, brings everything back)
    before = cluster.startups(I2)
    cluster.ok("instance", "shutdown", "--no-remember", I2)
    assert cluster.status(I2) == "ERROR_down"
    cluster.watcher()
    assert cluster.status(I2) == "running"
    assert len(cluster.startups(I2)) == len(before) + 1


def test_brings_back_killed_daemons(cluster):
    jobs_before = cluster.ok("job", "list", "--no-headers", "-o",
                             "id").stdout.split()
    cluster.kill_daemon("ganeti-noded", "node2")
    cluster.kill_daemon("ganeti-masterd", "node1")
    cluster.kill_daemon("ganeti-rapi", "node1")
    assert not cluster.daemon_running("ganeti-noded", "node2")
    cluster.watcher(node="node2")
    assert cluster.daemon_running("ganeti-noded", "node2")
    cluster.watcher(node="node1")
    assert cluster.daemon_running("ganeti-masterd", "node1")
    assert cluster.daemon_running("ganeti-rapi", "node1")
    # nothing is lost: the jobs and the instances are still there
    jobs_after = cluster.ok("job", "list", "--no-headers", "-o",
                            "id").stdout.split()
    assert set(jobs_before) <= set(jobs_after)
    assert cluster.status(I1) == "running" and \
        cluster.status(I2) == "running"
    res = cluster.sh("curl -sk https://127.0.0.1:5080/version")
    assert res.stdout.strip() == "2", res.stdout + res.stderr


def test_reactivates_disks_after_reboot(cluster):
    links = cluster.sh("ls /var/run/ganeti/instance-disks", node="node2")
    assert links.returncode == 0 and I1 in links.stdout, links.stdout
    before = cluster.jobs("INSTANCE_ACTIVATE_DISKS(%s)" % I1)
    # emulate a reboot of node2: new boot id, /var/run's disk links gone
    with open(cluster.boot_id_file(N2), "r+") as handle:
        handle.write("00000000-0000-4000-8000-%012d\n" % os.getpid())
        handle.truncate()
    cluster.sh("rm -f /var/run/ganeti/instance-disks/*", node="node2")
    cluster.watcher()
    after = cluster.jobs("INSTANCE_ACTIVATE_DISKS(%s)" % I1)
    assert len(after) == len(before) + 1
    links = cluster.sh("ls /var/run/ganeti/instance-disks", node="node2")
    assert I1 in links.stdout
    assert cluster.jobs("INSTANCE_ACTIVATE_DISKS(%s)" % I2) == []
    cluster.watcher()           # the new boot id is known now
    assert len(cluster.jobs("INSTANCE_ACTIVATE_DISKS(%s)" % I1)) == \
        len(after)


def test_pause_stops_every_action_continue_resumes(cluster):
    cluster.ok("cluster", "watcher", "pause", "1h")
    try:
        for node in ("node1", "node2", "node3"):
            assert cluster.sh("test -s /var/lib/ganeti/watcher.pause",
                              node=node).returncode == 0, node
        res = cluster.ok("cluster", "watcher", "info")
        assert "The watcher is paused until" in res.stdout
        before = cluster.startups(I1)
        cluster.mark_down(I1, "node2")
        cluster.kill_daemon("ganeti-confd", "node3")
        cluster.watcher()
        cluster.watcher(node="node3")
        assert cluster.status(I1) == "ERROR_down"
        assert cluster.startups(I1) == before
        assert not cluster.daemon_running("ganeti-confd", "node3")
    finally:
        cluster.ok("cluster", "watcher", "continue")
    for node in ("node1", "node2", "node3"):
        assert cluster.sh("test -e /var/lib/ganeti/watcher.pause",
                          node=node).returncode != 0, node
    assert "The watcher is not paused." in \
        cluster.ok("cluster", "watcher", "info").stdout
    cluster.watcher(node="node3")
    assert cluster.daemon_running("ganeti-confd", "node3")
    cluster.watcher()
    assert cluster.status(I1) == "running"
    assert len(cluster.startups(I1)) == len(before) + 1


def test_two_watchers_at_once_one_does_the_work(cluster):
    before = cluster.startups(I1)
    cluster.mark_down(I1, "node2")
    # a long job holding node2: the first watcher's restart job waits for
    # it, so its group watcher is still at work when the second one starts
    cluster.ok("debug", "delay", "--submit", "-n", N2, "8")
    proc = subprocess.Popen([os.path.join(REPO, "tools", "vcluster"), "exec",
                             "node1", "--", PY, WATCHER],
                            env=cluster.vc.env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for(lambda: len(cluster.startups(I1)) == len(before) + 1,
                  "the first watcher's restart job")
        second = cluster.watcher()
        assert second.returncode == 0
        assert "Can't acquire lock on state file" in cluster.log()
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert cluster.status(I1) == "running"
    assert len(cluster.startups(I1)) == len(before) + 1


def test_archives_jobs_older_than_the_job_age(cluster):
    res = cluster.ok("debug", "delay", "--submit", "0.01")
    job_id = int(re.search(r"JobID: (\d+)", res.stdout + res.stderr).group(1))
    cluster.ok("job", "wait", str(job_id))
    queued = "/var/lib/ganeti/queue/job-%d" % job_id
    archived = "/var/lib/ganeti/queue/archive/%d/job-%d" % (job_id // 10000,
                                                           job_id)
    cluster.watcher()           # default age (6 h): the job stays
    assert cluster.sh("test -e %s" % queued).returncode == 0

    def archived_by_watcher():
        cluster.watcher("-A", "1")
        return cluster.sh("test -e %s" % archived).returncode == 0
    _wait_for(archived_by_watcher, "the watcher to archive job %d" % job_id)
    assert cluster.sh("test -e %s" % queued).returncode != 0


def test_node_maintenance_on_an_offline_node(cluster):
    running = "%s/%s" % (FAKE_DIR, I2)
    assert cluster.sh("test -e %s" % running, node="node3").returncode == 0
    cluster.watcher(node="node3")   # not enabled yet: nothing stops
    assert cluster.sh("test -e %s" % running, node="node3").returncode == 0
    cluster.ok("cluster", "modify", "--maintain-node-health", "yes")
    cluster.watcher(node="node3")   # enabled, node online: still nothing
    assert cluster.sh("test -e %s" % running, node="node3").returncode == 0
    cluster.ok("node", "modify", "-O", "yes", N3)
    try:
        cluster.watcher(node="node3")
        assert cluster.sh("test -e %s" % running,
                          node="node3").returncode != 0
        assert "shutting down instance %s" % I2 in cluster.log(node="node3")
    finally:
        cluster.ok("node", "modify", "-O", "no", N3)
        cluster.ok("cluster", "modify", "--maintain-node-health", "no")
    cluster.watcher()
    assert cluster.status(I2) == "running"


def test_restarts_a_master_daemon_that_does_not_answer(cluster):
    jobs_before = cluster.ok("job", "list", "--no-headers", "-o",
                             "id").stdout.split()
    pid = cluster.daemon_pid("ganeti-masterd", "node1")
    os.kill(pid, signal.SIGSTOP)    # hung: its socket accepts, never answers
    try:
        cluster.watcher()
    finally:
        if _alive(pid):
            os.kill(pid, signal.SIGCONT)
    assert not _alive(pid)
    assert cluster.daemon_pid("ganeti-masterd", "node1") != pid
    assert cluster.daemon_running("ganeti-masterd", "node1")
    assert "Master daemon does not answer" in cluster.log()
    jobs_after = cluster.ok("job", "list", "--no-headers", "-o",
                            "id").stdout.split()
    assert set(jobs_before) <= set(jobs_after)
    assert cluster.status(I1) == "running"
