"""ganeti-confd on a 3-node testbed (two master candidates, one regular
node): the daemon runs on every node, the candidates answer signed UDP
queries from their own config.data and follow its changes (instances, node
roles, a master failover), forged and malformed packets are dropped without
harming the daemon, and node remove / add stop and start it.

Queries go through tools/confd-client (the cluster's hmac.key, real UDP
inside the lab).  VCLUSTER_LAB / VCLUSTER_STATE are honoured.
"""

import json
import os
import sys
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
PY = sys.executable

DOMAIN = "example.test"
N1, N2, N3 = ("node%d.%s" % (i, DOMAIN) for i in (1, 2, 3))
IP1, IP2, IP3 = ("10.250.0.%d" % (10 + i) for i in (1, 2, 3))
CONFD_CLIENT = os.path.join(REPO, "tools", "confd-client")
CONFD_PID = "/var/run/ganeti/ganeti-confd.pid"
INST, INST_IP = "confd-inst1." + DOMAIN, "192.0.2.41"
ROLE_MASTER, ROLE_CANDIDATE, ROLE_DRAINED, ROLE_REGULAR = 0, 1, 3, 4
STATUS_OK = 0


@pytest.fixture(scope="module")
def cluster(make_cluster, node_add_available):
    if not node_add_available:
        pytest.skip("needs gnt-node add (3 nodes)")
    return make_cluster(3, ["-C", "2"])


def _ask(cluster, rtype, query=None, address=None, node="node3", hmac=None):
    """(exit code, reply dict or None, stderr) of one confd-client request."""
    cmd = [PY, CONFD_CLIENT, "-t", rtype]
    if query is not None:
        cmd += ["-q", query if isinstance(query, str) else json.dumps(query)]
    if address:
        cmd += ["-a", address]
    if hmac is not None:
        cmd += ["--hmac", hmac]
    res = cluster.vc.exec(node, *cmd, timeout=60)
    reply = json.loads(res.stdout) if res.stdout.strip() else None
    return res.returncode, reply, res.stderr


def _answer(cluster, rtype, query=None, address=IP1, node="node3"):
    rc, reply, err = _ask(cluster, rtype, query, address=address, node=node)
    assert rc == 0 and reply is not None, (rc, reply, err)
    assert reply["status"] == STATUS_OK, reply
    return reply["answer"]


def _wait_answer(cluster, rtype, query, expected, address, timeout=60):
    """Poll until the server at address answers expected (config reloads
    follow replication asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = _answer(cluster, rtype, query, address=address)
        if answer == expected or time.monotonic() > deadline:
            return answer
        time.sleep(0.5)


def _confd_pid(cluster, node):
    res = cluster.sh("p=$(cat %s) && kill -0 $p && echo $p" % CONFD_PID,
                     node=node)
    return int(res.stdout) if res.returncode == 0 else None


def test_confd_runs_on_every_node(cluster):
    pids = {node: _confd_pid(cluster, node) for node in (N1, N2, N3)}
    assert all(pids.values()), pids


def test_standard_checks_pass_from_a_regular_node(cluster):
    res = cluster.vc.exec("node3", PY, CONFD_CLIENT, "-r", "20", timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    lines = res.stdout.splitlines()
    assert "Master: %s" % N1 in lines
    assert any(l.startswith("Ping: OK") for l in lines), lines
    assert any(l.startswith("Timing: 20 of 20 requests answered")
               for l in lines), lines


def test_every_candidate_answers_for_the_master(cluster):
    for address in (IP1, IP2):
        assert _answer(cluster, "cluster_master", address=address) == N1
    # Query key "3" is the field list: "0" name, "2" master node primary IP.
    fields = _answer(cluster, "cluster_master", {"3": ["0", "2"]},
                     address=IP2)
    assert fields == [N1, IP1]
    assert sorted(_answer(cluster, "mc_pip_list", address=IP2)) == \
        sorted([IP1, IP2])
    assert sorted(_answer(cluster, "node_pip_list")) == \
        sorted([IP1, IP2, IP3])


def test_a_regular_node_holds_no_config_and_answers_an_error(cluster):
    rc, reply, err = _ask(cluster, "ping", address=IP3)
    assert rc == 1 and reply is not None, (rc, reply, err)
    assert reply["status"] != STATUS_OK


def test_node_roles_follow_the_config(cluster):
    roles = {name: _answer(cluster, "node_role_byname", name)
             for name in (N1, N2, N3)}
    assert roles == {N1: ROLE_MASTER, N2: ROLE_CANDIDATE, N3: ROLE_REGULAR}
    cluster.ok("node", "modify", "--drained", "yes", N3)
    try:
        for address in (IP1, IP2):
            assert _wait_answer(cluster, "node_role_byname", N3,
                                ROLE_DRAINED, address) == ROLE_DRAINED
    finally:
        cluster.ok("node", "modify", "--drained", "no", N3)
    assert _wait_answer(cluster, "node_role_byname", N3, ROLE_REGULAR,
                        IP2) == ROLE_REGULAR
    rc, reply, _ = _ask(cluster, "node_role_byname", "nosuch." + DOMAIN,
                        address=IP1)
    assert rc == 1 and reply["status"] != STATUS_OK


def test_instance_ip_queries_follow_instance_changes(cluster):
    cluster.ok("instance", "add", "-n", N2, "-t", "diskless", "-o", "noop",
               "--no-name-check", "--no-ip-check", "--no-start",
               "--net", "0:ip=%s" % INST_IP, INST)
    try:
        for address in (IP1, IP2):
            ips = _wait_answer(cluster, "instances_ips_list", None,
                               [INST_IP], address)
            assert ips == [INST_IP]
        assert _answer(cluster, "node_pip_by_instance_ip",
                       {"1": INST_IP}, address=IP2) == IP2
        assert _answer(cluster, "node_instances", N2,
                       address=IP2) == [[INST], []]
    finally:
        cluster.ok("instance", "remove", "-f", INST)
    assert _wait_answer(cluster, "instances_ips_list", None, [], IP2) == []


def test_forged_and_malformed_packets_are_dropped(cluster):
    version = _answer(cluster, "ping", address=IP1)  # the config version
    assert isinstance(version, int) and version > 0
    rc, reply, err = _ask(cluster, "ping", address=IP1, hmac="not-the-key")
    assert rc == 1 and reply is None and "no answer" in err, (rc, reply, err)
    # Garbage, a truncated signed envelope and an oversized datagram.
    junk = cluster.py(
        "import socket\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "for data in (b'\\x00' * 10, b'plj0{\"msg\": \"x\"', b'{' * 60000,\n"
        "             b'plj0' + b'[' * 5000):\n"
        "    s.sendto(data, (%r, 1814))\n"
        "print('sent')\n" % IP1, node="node3")
    assert junk.stdout.strip() == "sent", junk.stderr
    assert _answer(cluster, "ping", address=IP1) == version
    assert _confd_pid(cluster, N1)


def test_master_answer_follows_a_failover(cluster):
    cluster.ok("cluster", "master-failover", node="node2", timeout=300)
    try:
        for address in (IP1, IP2):
            assert _wait_answer(cluster, "cluster_master", None, N2,
                                address) == N2
        assert _answer(cluster, "node_role_byname", N1,
                       address=IP2) == ROLE_CANDIDATE
    finally:
        cluster.ok("cluster", "master-failover", node="node1", timeout=300)
    assert _wait_answer(cluster, "cluster_master", None, N1, IP2) == N1


def test_node_remove_stops_and_node_add_starts_confd(cluster):
    old_pid = _confd_pid(cluster, N3)
    assert old_pid
    cluster.ok("node", "remove", N3)
    assert _confd_pid(cluster, N3) is None
    # Removal took node3 out of the master's /etc/hosts (the lab's only
    # resolver), as upstream does; an admin's DNS would still know it.
    cluster.sh("grep -q ' %s' /etc/hosts || printf '%s\\t%s node3\\n'"
               " >> /etc/hosts" % (N3, IP3, N3), node=N1)
    cluster.ok("node", "add", N3, timeout=300)
    new_pid = _confd_pid(cluster, N3)
    assert new_pid and new_pid != old_pid
    assert _wait_answer(cluster, "node_role_byname", N3, ROLE_REGULAR,
                        IP1) == ROLE_REGULAR
