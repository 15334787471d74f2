"""Disks left behind on the testbed: gnt-cluster verify reports files and
directories below the file storage directory that no instance accounts
for, a failed creation removes what it made on every node, a node daemon
killed during a creation leaves a leak that verify then reports, and an
instance whose disk is half gone can still be removed.

One lab of 2 nodes (node1 is the master, the instances live on node2);
VCLUSTER_LAB / VCLUSTER_STATE are honoured.
"""

import contextlib
import json
import os
import re
import sys
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PY = sys.executable
DOMAIN = "example.test"
N1, N2 = ("node%d.%s" % (i, DOMAIN) for i in (1, 2))
OS_SRC = os.path.join(REPO, "examples", "os")
FILE_DIR = "/srv/ganeti/file-storage"
VERIFY = ["verify", "--ignore-errors=ENODESETUP"]
# An OS whose create script says it started, then waits (at most 120 s)
# for a file to appear: a daemon can be killed while it runs.  (/srv is
# private to each node of the lab, /tmp is not.)
_STALL_CREATE = """#!/bin/sh
touch /srv/ganeti/stall-started
i=0
while [ ! -e /srv/ganeti/stall-release ] && [ "$i" -lt 1200 ]; do
  sleep 0.1
  i=$((i + 1))
done
exit 1
"""
_TIME_RE = re.compile(r"^\w{3} \w{3} +\d+ [\d:]+ \d{4} ")


def inst(n):
    return "leak%d.%s" % (n, DOMAIN)


def _steps(text):
    return [_TIME_RE.sub("", l) for l in text.splitlines()]


def _wait_for(condition, what, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError("timed out waiting for %s" % what)


class _Checks:
    def files(self, node, top=FILE_DIR):
        """What lies below top on node (relative paths, sorted)."""
        res = self.sh("cd %s && find . -mindepth 1 | sort" % top, node=node)
        assert res.returncode == 0, res.stderr
        return [l[2:] for l in res.stdout.split()]

    def everywhere(self):
        """node short name -> files below the file storage dir."""
        return {n: self.files(n) for n in ("node1", "node2")}

    def add(self, name, *args, os_name="noop"):
        return self.gnt("instance", "add", "-n", N2, "-t", "file", "-o",
                        os_name, "--no-name-check", *(args + (name,)))

    def orphans(self, text):
        return [l for l in _steps(text) if "ENODEORPHANLV" in l or
                "is unknown" in l]

    @contextlib.contextmanager
    def stalled_creation(self, name):
        """Submit the creation of name on node2 with the stalling OS; the
        body runs (given the job id) while the OS create script waits."""
        self.sh("rm -f /srv/ganeti/stall-started /srv/ganeti/stall-release",
                node="node2")
        res = self.add(name, "--disk", "0:size=8M", "--submit",
                       os_name="stall")
        assert res.returncode == 0, res.stdout + res.stderr
        job_id = re.match(r"^JobID: (\d+)$", res.stderr.strip()).group(1)
        try:
            _wait_for(lambda: self.sh("test -e /srv/ganeti/stall-started",
                                      node="node2").returncode == 0,
                      "the OS create script to start")
            yield job_id
        finally:
            self.sh("touch /srv/ganeti/stall-release", node="node2")

    def kill_and_restart(self, daemon, node, body=None):
        """kill -9 a daemon on node, run body(), start the daemon again."""
        res = self.sh("kill -9 $(cat /var/run/ganeti/%s.pid)" % daemon,
                      node=node)
        assert res.returncode == 0, res.stderr
        try:
            if body is not None:
                body()
        finally:
            res = self.vc.exec(node, PY, os.path.join(REPO, "daemons",
                                                      "daemon-util"),
                               "start", daemon)
            assert res.returncode == 0, res.stderr

    def assert_gone(self, name):
        res = self.ok("instance", "list", "--no-headers", "-o", "name")
        assert name not in res.stdout.split()
        config = self.config()
        assert name not in json.dumps(config)
        assert self.everywhere() == {"node1": [], "node2": []}


def _install_oses(cluster):
    for node in ("node1", "node2"):
        res = cluster.sh("mkdir -p /srv/ganeti/os && cp -r %s/noop"
                         " /srv/ganeti/os/ && cp -r %s/noop /srv/ganeti/os/"
                         "stall && cat > /srv/ganeti/os/stall/create <<'EOF'"
                         "\n%sEOF\nchmod 755 /srv/ganeti/os/stall/create"
                         % (OS_SRC, OS_SRC, _STALL_CREATE), node=node)
        assert res.returncode == 0, res.stderr


@pytest.fixture(scope="module")
def cluster(make_cluster, node_add_available):
    if not node_add_available:
        pytest.skip("needs gnt-node add (2 nodes)")
    return make_cluster(2, prepare=_install_oses, helpers=_Checks)


def test_verify_reports_orphan_files_and_dirs(cluster):
    res = cluster.ok("cluster", *VERIFY, timeout=400)
    assert cluster.orphans(res.stdout) == []
    res = cluster.sh("mkdir -p %s/ghost.%s %s/empty && touch %s/ghost.%s/"
                     "u1.file.disk0" % (FILE_DIR, DOMAIN, FILE_DIR, FILE_DIR,
                                        DOMAIN), node="node2")
    assert res.returncode == 0, res.stderr
    try:
        # warnings (upstream demoted orphan volumes in 2.11): exit code 0
        res = cluster.ok("cluster", *VERIFY, timeout=400)
        assert cluster.orphans(res.stdout) == [
            "  - WARNING: node %s: volume %s/%s is unknown"
            % (N2, FILE_DIR, p)
            for p in ("empty", "ghost.%s/u1.file.disk0" % DOMAIN)]
        steps = _steps(res.stdout)
        assert steps.index("* Verifying orphan volumes") + 1 == \
            steps.index(cluster.orphans(res.stdout)[0])
        res = cluster.ok("cluster", "verify", "--error-codes",
                         "--ignore-errors=ENODESETUP", timeout=400)
        assert cluster.orphans(res.stdout)[0] == \
            "  - WARNING:ENODEORPHANLV:node:%s:volume %s/empty is unknown" \
            % (N2, FILE_DIR)
    finally:
        cluster.sh("rm -rf %s/ghost.%s %s/empty" % (FILE_DIR, DOMAIN,
                                                    FILE_DIR), node="node2")
    res = cluster.ok("cluster", *VERIFY, timeout=400)
    assert cluster.orphans(res.stdout) == []


def test_failed_creation_leaves_nothing_on_any_node(cluster):
    name = inst(1)
    res = cluster.add(name, "--disk", "0:size=16M", "--disk", "1:size=8M",
                      "-O", "fail=create")
    assert res.returncode == 1, res.stdout + res.stderr
    assert "Could not add os for instance %s on node %s" % (name, N2) \
        in res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    assert "* running the instance OS create scripts..." in _steps(res.stdout)
    cluster.assert_gone(name)
    res = cluster.ok("cluster", *VERIFY, timeout=400)
    assert cluster.orphans(res.stdout) == []


def test_noded_killed_during_creation_leak_is_reported(cluster):
    """The master cannot clean a node whose daemon died: the instance is
    not kept, and verify names the disk left behind."""
    name = inst(2)

    def creation_fails():
        res = cluster.gnt("job", "wait", job_id, timeout=300)
        assert res.returncode == 1
        assert "Could not add os for instance %s on node %s" % (name, N2) \
            in res.stderr
        res = cluster.ok("job", "info", job_id)
        assert " - WARNING: Could not remove disk 0 on node %s, continuing" \
            " anyway: " % N2 in res.stdout

    with cluster.stalled_creation(name) as job_id:
        leaked = [f for f in cluster.files("node2")
                  if f.startswith(name + "/")]
        assert len(leaked) == 1, leaked
        cluster.kill_and_restart("ganeti-noded", "node2", creation_fails)
    _wait_for(lambda: cluster.gnt("node", "list", "--no-headers", "-o",
                                  "name,mfree", N2).stdout.split()[1:2]
              not in ([], ["?"]), "node2's daemon to answer")
    res = cluster.ok("instance", "list", "--no-headers", "-o", "name")
    assert name not in res.stdout.split()
    # node2 missed the configuration without the instance, as upstream's
    # would: the administrator redistributes it
    cluster.ok("cluster", "redist-conf")
    res = cluster.ok("cluster", *VERIFY, timeout=400)
    assert cluster.orphans(res.stdout) == [
        "  - WARNING: node %s: volume %s/%s is unknown"
        % (N2, FILE_DIR, leaked[0])]
    cluster.sh("rm -rf %s/%s" % (FILE_DIR, name), node="node2")
    res = cluster.ok("cluster", *VERIFY, timeout=400)
    assert cluster.orphans(res.stdout) == []


@pytest.mark.parametrize("what,start", [("disk0", True), ("dir", False)])
def test_remove_instance_with_half_missing_disks(cluster, what, start):
    name = inst(3 if what == "disk0" else 4)
    args = ["--disk", "0:size=8M", "--disk", "1:size=8M"]
    res = cluster.add(name, *(args + ([] if start else ["--no-start"])))
    assert res.returncode == 0, res.stdout + res.stderr
    files = cluster.files("node2")
    assert len(files) == 3, files
    if what == "disk0":
        gone = [f for f in files if f.endswith(".file.disk0")]
    else:
        gone = [name]
    res = cluster.sh("rm -rf %s/%s" % (FILE_DIR, gone[0]), node="node2")
    assert res.returncode == 0, res.stderr
    res = cluster.gnt("cluster", *VERIFY, timeout=400)
    assert cluster.orphans(res.stdout) == []
    faulty = [l for l in _steps(res.stdout) if "couldn't retrieve status" in l]
    if start:
        # only the disks of an instance with active disks are checked
        assert res.returncode == 1
        assert faulty == ["  - ERROR: instance %s: couldn't retrieve status"
                          " for disk/0 on %s: Can't find device <Disk(type="
                          "file, logical_id=('loop', '%s/%s'), children=[],"
                          " visible as /dev/disk/0, size=8m)>"
                          % (name, N2, FILE_DIR, gone[0])]
    else:
        assert (res.returncode, faulty) == (0, [])
    res = cluster.ok("instance", "remove", "-f", name)
    assert " - INFO: Removing instance %s out of cluster config" % name \
        in _steps(res.stdout)
    cluster.assert_gone(name)
    config = cluster.config()
    assert config["instances"] == {} and config["disks"] == {}


def test_masterd_killed_during_creation_loses_nothing(cluster):
    """A master daemon killed while the OS is being installed: the job ends
    in error after the restart, the instance and its disks are known (so
    verify finds no orphan) and removing it leaves nothing anywhere."""
    name = inst(5)
    with cluster.stalled_creation(name) as job_id:
        cluster.kill_and_restart("ganeti-masterd", "node1")
    res = cluster.gnt("job", "wait", job_id, timeout=300)
    assert res.returncode == 1, res.stdout + res.stderr
    res = cluster.ok("job", "list", "--no-headers", "-o", "status", job_id)
    assert res.stdout.strip() == "error"
    res = cluster.ok("instance", "list", "--no-headers", "-o", "name")
    assert res.stdout.split() == [name]
    res = cluster.ok("cluster", *VERIFY, timeout=400)
    assert cluster.orphans(res.stdout) == []
    cluster.ok("instance", "remove", "-f", name)
    cluster.assert_gone(name)
