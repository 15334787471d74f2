"""Configuration and job queue replication on a 3-node testbed.

The cluster is created on node1; node2 and node3 join (all three are master
candidates).  Every config change must reach every candidate before its job
reports success; with node3 cut off, changes stay fast (the unreachable node
is remembered, job files go out asynchronously), verify reports node3, and
after healing, gnt-cluster redist-conf brings node3's config.data, ssconf
files and job queue up to date.  Honours VCLUSTER_LAB and VCLUSTER_STATE.
"""

import json
import os
import re
import sys
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PY = sys.executable
NODES = ["node1.example.test", "node2.example.test", "node3.example.test"]
MASTER, NODE2, NODE3 = NODES
CLUSTER = "cluster.example.test"
INIT = ["init", "--enabled-hypervisors=fake",
        "--enabled-disk-templates=file,diskless", "--no-ssh-init", CLUSTER]
LIB = "/var/lib/ganeti"
QUEUE = LIB + "/queue"
# A config change with node3 cut may cost one connection timeout (5 s) more
# than with node3 up, never one per RPC or per job file write.
CUT_CHANGE_BOUND = 20.0

# Reads config.data, every ssconf file and the queue's job files of a node
# in one go (inside the node's mount namespace).
_STATE_CODE = """
import glob, json, os
d = %r
cfg = None
if os.path.exists(d + '/config.data'):
    cfg = json.load(open(d + '/config.data'))
ssconf = {}
for path in glob.glob(d + '/ssconf_*'):
    ssconf[os.path.basename(path)] = open(path).read()
jobs = sorted(int(os.path.basename(p)[4:]) for p in
              glob.glob(d + '/queue/job-*') + glob.glob(d + '/queue/archive/*/job-*'))
print(json.dumps({'config': cfg, 'ssconf': ssconf, 'jobs': jobs}))
""" % LIB


class Cluster:
    def __init__(self, vc):
        self.vc = vc

    def gnt(self, command, *args, node=MASTER, timeout=300):
        return self.vc.exec(node, PY, os.path.join(REPO, "scripts",
                                                    "gnt-" + command),
                            *args, timeout=timeout)

    def ok(self, command, *args, **kwargs):
        res = self.gnt(command, *args, **kwargs)
        assert res.returncode == 0, (command, args, res.stdout, res.stderr)
        assert "Traceback" not in res.stderr, res.stderr
        return res.stdout

    def timed(self, command, *args):
        start = time.monotonic()
        self.ok(command, *args)
        return time.monotonic() - start

    def state(self, node):
        res = self.vc.exec(node, PY, "-c", _STATE_CODE)
        assert res.returncode == 0, res.stderr
        return json.loads(res.stdout)

    def serial(self, node=MASTER):
        return self.state(node)["config"]["serial_no"]

    def assert_synced(self, nodes=NODES[1:]):
        """Each candidate has the master's config.data, each node its ssconf."""
        master = self.state(MASTER)
        assert master["ssconf"], "no ssconf files on the master"
        for node in nodes:
            state = self.state(node)
            assert state["ssconf"] == master["ssconf"], node
            assert state["config"] is not None, node
            assert state["config"]["serial_no"] == \
                master["config"]["serial_no"], node
            assert state["config"] == master["config"], node
        return master


@pytest.fixture(scope="module")
def cluster(vcluster_tool, tmp_path_factory):
    state = os.environ.get("VCLUSTER_STATE") or \
        str(tmp_path_factory.mktemp("vcluster-state"))
    vc = vcluster_tool(state)
    res = vc.run("up", "--nodes", "3", timeout=300)
    if res.returncode != 0:
        vc.run("down")
        pytest.fail("vcluster up failed: %s%s" % (res.stdout, res.stderr))
    c = Cluster(vc)
    try:
        c.ok("cluster", *INIT)
        for node in NODES[1:]:
            c.ok("node", "add", node)
    except BaseException:
        vc.run("down")
        raise
    yield c
    vc.run("heal", "node3")
    vc.run("down")


def test_all_nodes_are_candidates(cluster):
    out = cluster.ok("node", "list", "--no-headers", "-o",
                     "name,master_candidate")
    assert sorted(out.split()) == sorted(NODES + ["Y"] * 3)
    cluster.assert_synced()


@pytest.mark.parametrize("change", [
    ("cluster", "add-tags", "replication-a"),
    ("cluster", "modify", "--maintain-node-health=yes"),
    ("node", "modify", "--node-parameters=spindle_count=2", NODE2),
    ("cluster", "remove-tags", "replication-a"),
    ("cluster", "modify", "--maintain-node-health=no"),
])
def test_every_change_reaches_every_candidate(cluster, change):
    before = cluster.serial()
    cluster.ok(*change)
    master = cluster.assert_synced()
    assert master["config"]["serial_no"] > before


_TIME_RE = re.compile(r"^\w{3} \w{3} +\d+ [\d:]+ \d{4} ")


def _problems(stdout):
    lines = [_TIME_RE.sub("", l) for l in stdout.splitlines()]
    return [l for l in lines if l.startswith("  - ")]


def test_cut_candidate_then_redist_conf(cluster):
    # Baseline: two config changes with every node up.
    up = [cluster.timed("cluster", "add-tags", "up-%d" % i) for i in range(2)]
    serial_at_cut = cluster.serial()
    jobs_before = set(cluster.state(MASTER)["jobs"])
    assert cluster.vc.run("cut", "node3").returncode == 0
    try:
        cut = [cluster.timed("cluster", "add-tags", "cut-%d" % i)
               for i in range(3)]
        print("\nconfig change (gnt-cluster add-tags) with node3 up: %s s;"
              " with node3 cut: %s s" % (
                  ", ".join("%.1f" % t for t in up),
                  ", ".join("%.1f" % t for t in cut)))
        for elapsed in cut:
            assert elapsed < CUT_CHANGE_BOUND, (up, cut)
        # The reachable candidate got every change.
        cluster.assert_synced([NODE2])
        start = time.monotonic()
        res = cluster.gnt("cluster", "verify", "--error-codes",
                          "-I", "ENODESETUP")
        print("gnt-cluster verify with node3 cut: %.1f s"
              % (time.monotonic() - start))
        assert res.returncode == 1, res.stdout + res.stderr
        problems = _problems(res.stdout)
        assert any(l.startswith("  - ERROR:ENODERPC:node:%s:" % NODE3)
                   for l in problems), problems
        jobs_while_cut = set(cluster.state(MASTER)["jobs"]) - jobs_before
        assert len(jobs_while_cut) >= 4, jobs_while_cut
    finally:
        assert cluster.vc.run("heal", "node3").returncode == 0

    # Healed: the master daemon's catch-up may already have brought
    # node3's config.data up to date (test_stale_candidate_failover);
    # redist-conf does it at once, job files included.
    assert cluster.serial() > serial_at_cut
    start = time.monotonic()
    redist = cluster.ok("cluster", "redist-conf")
    print("gnt-cluster redist-conf after healing: %.1f s"
          % (time.monotonic() - start))
    master = cluster.assert_synced()
    node3 = cluster.state(NODE3)
    assert node3["config"]["serial_no"] == master["config"]["serial_no"]
    assert node3["ssconf"] == master["ssconf"]
    # The job files made while node3 was cut are there too: redist-conf
    # returns only once the queue replication to node3 has been flushed.
    missing = jobs_while_cut - set(node3["jobs"])
    assert not missing, "jobs missing on node3: %s (redist-conf said: %s)" % (
        sorted(missing), redist.stdout + redist.stderr)

    res = cluster.gnt("cluster", "verify", "-I", "ENODESETUP")
    assert res.returncode == 0, res.stdout + res.stderr
    tags = cluster.ok("cluster", "list-tags").split()
    assert {"up-0", "up-1", "cut-0", "cut-1", "cut-2"} <= set(tags)
    cluster.ok("cluster", "remove-tags", "up-0", "up-1", "cut-0", "cut-1",
               "cut-2")
    cluster.assert_synced()


def test_job_files_reach_candidates(cluster):
    before = set(cluster.state(MASTER)["jobs"])
    cluster.ok("debug", "delay", "0.01")
    (job_id, ) = set(cluster.state(MASTER)["jobs"]) - before
    # Replication is asynchronous but quick when every node is up.
    deadline = time.monotonic() + 30
    while True:
        missing = [n for n in NODES[1:] if job_id not in cluster.state(n)["jobs"]]
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert not missing, missing
