"""A candidate that missed config writes, on a 3-node testbed cluster.

All three nodes are master candidates.  (a) node3 is cut off while a tag
is added on the master; once healed, the master daemon brings node3's
config.data up to date by itself (no further write, no redist-conf).
(b) With no master daemon running to do that (it was stopped while node3
was cut off), master-failover on the stale node3 takes the newest
configuration from the other candidates: the tag survives, with voting
and with --no-voting.  Honours VCLUSTER_LAB and VCLUSTER_STATE.
"""

import os
import sys
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PY = sys.executable
N1, N2, N3 = ("node%d.example.test" % i for i in (1, 2, 3))
CATCH_UP_BOUND = 90.0


class _Checks:
    def daemon(self, node, verb, name="ganeti-masterd"):
        return self.vc.exec(node, PY,
                            os.path.join(REPO, "daemons", "daemon-util"),
                            verb, name, timeout=120)

    def tags(self, node):
        return set(self.ok("cluster", "list-tags", node=node).stdout.split())

    def wait_serial(self, node, serial, timeout):
        deadline = time.monotonic() + timeout
        while self.serial(node) != serial:
            if time.monotonic() > deadline:
                return False
            time.sleep(1.0)
        return True


@pytest.fixture(scope="module")
def cluster(make_cluster, node_add_available):
    if not node_add_available:
        pytest.skip("gnt-node add is not implemented yet")
    return make_cluster(3, helpers=_Checks)


def test_healed_candidate_catches_up_without_a_write(cluster):
    cluster.vc.run("cut", "node3", check=True)
    try:
        cluster.ok("cluster", "add-tags", "added-while-node3-cut")
        serial = cluster.serial(N1)
        assert cluster.serial(N3) < serial
    finally:
        cluster.vc.run("heal", "node3", check=True)
    assert cluster.wait_serial(N3, serial, CATCH_UP_BOUND), \
        (cluster.serial(N3), serial)
    assert cluster.serial(N1) == serial      # no write was needed
    assert "added-while-node3-cut" in cluster.config(N3)["cluster"]["tags"]


def _make_stale(cluster, stale, master, tag):
    """Cut stale, add tag on master, stop master's masterd, heal stale."""
    cluster.vc.run("cut", stale.split(".")[0], check=True)
    try:
        cluster.ok("cluster", "add-tags", tag, node=master)
        assert cluster.daemon(master, "stop").returncode == 0
    finally:
        cluster.vc.run("heal", stale.split(".")[0], check=True)
    assert tag not in cluster.config(stale)["cluster"]["tags"]
    return cluster.serial(master)


@pytest.mark.parametrize("new,old,options", [
    (N3, N1, []),
    (N1, N3, ["--no-voting", "--yes-do-it"]),
])
def test_failover_to_a_stale_candidate_keeps_the_changes(cluster, new, old,
                                                         options):
    tag = "kept-by-failover-to-%s" % new.split(".")[0]
    newest = _make_stale(cluster, new, old, tag)
    assert cluster.serial(new) < newest
    res = cluster.ok("cluster", "master-failover", *options, node=new)
    assert "Traceback" not in res.stderr
    assert "using the newer one" in res.stderr, res.stderr
    assert cluster.ok("cluster", "getmaster", node=new).stdout.strip() == new
    assert tag in cluster.tags(new)
    for node in (N1, N2, N3):
        config = cluster.config(node)
        assert tag in config["cluster"]["tags"], node
        assert config["serial_no"] > newest, node
