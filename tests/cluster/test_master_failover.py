"""gnt-cluster master-failover on a 3-node testbed cluster.

One lab (VCLUSTER_LAB / VCLUSTER_STATE honoured by the fixtures) with three
nodes: node1 inits the cluster with a candidate pool of 2 and adds node2
(a master candidate) and node3 (not one).  The tests run in order: refusals,
failover to node2 (LUXI, job queue, master IP, old masterd stopped), the
master IP commands on the new master, a vote that fails with node2 cut
off, failover back, and a --no-voting round trip.
"""

import os
import re
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PY = sys.executable
MASTER_IP = "10.250.0.250"
NETDEV = "xen-br0"
N1, N2, N3 = ("node%d.example.test" % i for i in (1, 2, 3))


class _Checks:
    def has_master_ip(self, node):
        res = self.vc.exec(node, "ip", "-4", "-o", "addr", "show", "dev",
                           NETDEV)
        assert res.returncode == 0, res.stderr
        return (" %s/" % MASTER_IP) in res.stdout

    def masterd_running(self, node):
        res = self.vc.exec(node, PY,
                           os.path.join(REPO, "daemons", "daemon-util"),
                           "check", "ganeti-masterd")
        return res.returncode == 0

    def getmaster(self, node):
        return self.ok("cluster", "getmaster", node=node).stdout.strip()

    def job_ids(self, node):
        out = self.ok("job", "list", "--no-headers", "-o", "id",
                      node=node).stdout
        return sorted(int(x) for x in out.split())

    def candidates(self):
        res = self.sh("cat /var/lib/ganeti/ssconf_master_candidates")
        return res.stdout.split()


@pytest.fixture(scope="module")
def cluster(make_cluster, node_add_available):
    if not node_add_available:
        pytest.skip("gnt-node add is not implemented yet"
                    " (ganeti.client.gnt_node_add.COMMANDS has no 'add')")
    c = make_cluster(3, ["-C", "2"], helpers=_Checks)
    # Jobs of the old master's queue (must survive the failover).
    for _ in range(2):
        c.ok("debug", "delay", "0.01")
    return c


def _assert_one_failure(res, text):
    assert res.returncode == 1, (res.returncode, res.stdout, res.stderr)
    assert text in res.stderr + res.stdout
    assert "Traceback" not in res.stderr


def test_refused_on_the_master(cluster):
    res = cluster.gnt("cluster", "master-failover", node=N1)
    _assert_one_failure(res, "This commands must be run on the node where you"
                        " want the new master to be. %s is already the"
                        " master" % N1)
    assert cluster.getmaster(N1) == N1


def test_refused_on_a_non_candidate(cluster):
    others = [n for n in (N2, N3) if n not in cluster.candidates()]
    if not others:
        pytest.skip("gnt-node add made every node a master candidate")
    res = cluster.gnt("cluster", "master-failover", node=others[0])
    _assert_one_failure(res, "This node is not among the nodes marked as"
                        " master candidates")
    assert cluster.getmaster(others[0]) == N1
    assert cluster.masterd_running(N1) and cluster.has_master_ip(N1)


def test_failover_to_node2(cluster):
    assert N2 in cluster.candidates()
    old_jobs = cluster.job_ids(N1)
    assert len(old_jobs) >= 2
    assert cluster.has_master_ip(N1) and not cluster.has_master_ip(N2)

    cluster.ok("cluster", "master-failover", node=N2)

    for node in (N1, N2, N3):
        assert cluster.getmaster(node) == N2, node
    assert cluster.has_master_ip(N2)
    assert not cluster.has_master_ip(N1)
    assert not cluster.has_master_ip(N3)
    assert cluster.masterd_running(N2)
    assert not cluster.masterd_running(N1)
    # node2's master daemon answers LUXI with the old master's queue.
    info = cluster.ok("cluster", "info", node=N2).stdout
    assert re.search(r"Master node: %s" % re.escape(N2), info)
    assert cluster.job_ids(N2) == old_jobs
    # node1 has no master daemon any more: its clients are sent to node2.
    res = cluster.gnt("job", "list", node=N1)
    assert res.returncode != 0 and N2 in res.stdout + res.stderr
    # New jobs get new ids (the queue serial came along).
    cluster.ok("debug", "delay", "0.01", node=N2)
    new_jobs = cluster.job_ids(N2)
    assert new_jobs[:len(old_jobs)] == old_jobs
    assert len(new_jobs) == len(old_jobs) + 1
    assert new_jobs[-1] > max(old_jobs)


def test_master_ip_commands_on_the_new_master(cluster):
    cluster.ok("cluster", "deactivate-master-ip", "--yes", node=N2)
    assert not cluster.has_master_ip(N2) and not cluster.has_master_ip(N1)
    cluster.ok("cluster", "activate-master-ip", node=N2)
    assert cluster.has_master_ip(N2) and not cluster.has_master_ip(N1)


def test_stale_old_master_cannot_start_masterd(cluster):
    # node1 with a stale ssconf (as after a failover it did not hear of)
    # believes it is the master: the other nodes outvote it.
    ssconf_master = "/var/lib/ganeti/ssconf_master_node"
    cluster.sh("echo %s > %s" % (N1, ssconf_master), node=N1)
    try:
        res = cluster.vc.exec("node1", PY,
                              os.path.join(REPO, "daemons", "daemon-util"),
                              "start", "ganeti-masterd", timeout=120)
    finally:
        cluster.sh("echo %s > %s" % (N2, ssconf_master), node=N1)
    assert res.returncode != 0
    assert "It seems we are not the master (top-voted node is %s" % N2 \
        in res.stdout + res.stderr
    assert not cluster.masterd_running(N1)
    assert cluster.getmaster(N1) == N2


def test_vote_fails_without_a_majority(cluster):
    # node1 cut off from the lab cannot reach anybody: no majority answers.
    cluster.vc.run("cut", "node1", check=True)
    try:
        res = cluster.gnt("cluster", "master-failover", node=N1)
    finally:
        cluster.vc.run("heal", "node1", check=True)
    _assert_one_failure(res, "majority of nodes are still healthy")
    assert cluster.getmaster(N1) == N2
    assert not cluster.masterd_running(N1) and cluster.masterd_running(N2)
    assert cluster.has_master_ip(N2) and not cluster.has_master_ip(N1)


def test_failover_back_to_node1(cluster):
    jobs = cluster.job_ids(N2)
    cluster.ok("cluster", "master-failover", node=N1)
    for node in (N1, N2, N3):
        assert cluster.getmaster(node) == N1, node
    assert cluster.has_master_ip(N1) and not cluster.has_master_ip(N2)
    assert cluster.masterd_running(N1) and not cluster.masterd_running(N2)
    assert cluster.job_ids(N1) == jobs
    cluster.ok("debug", "delay", "0.01", node=N1)
    assert cluster.job_ids(N1)[-1] > max(jobs)


def test_no_voting_round_trip(cluster):
    # Declining the confirmation changes nothing.
    res = cluster.gnt("cluster", "master-failover", "--no-voting",
                      input="n\n", node=N2)
    assert res.returncode == 1
    assert cluster.getmaster(N2) == N1 and cluster.masterd_running(N1)
    cluster.ok("cluster", "master-failover", "--no-voting", "--yes-do-it",
               node=N2)
    assert cluster.getmaster(N3) == N2
    assert cluster.has_master_ip(N2) and not cluster.has_master_ip(N1)
    assert cluster.masterd_running(N2) and not cluster.masterd_running(N1)
    cluster.ok("cluster", "master-failover", node=N1)
    assert cluster.getmaster(N3) == N1 and cluster.has_master_ip(N1)
    assert cluster.masterd_running(N1) and not cluster.masterd_running(N2)
