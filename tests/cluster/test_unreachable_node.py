"""Queries and verify with one node unreachable, on a 3-node testbed.

node3's node daemon is stopped (SIGSTOP: connections are accepted by the
kernel but never answered) or its link is cut.  gnt-node list and
gnt-instance list must still answer, with node3's live fields shown as "?"
(no data), its instance as ERROR_nodedown and the other nodes' data
intact; gnt-cluster verify reports node3 as unreachable and fails; a
configuration change (a cluster tag) still succeeds and reaches node3 once
it is back, and so do its live fields.  The command timeouts below only
bound a hang (the master used to wait for the whole RPC read timeout on a
pooled connection to a stopped node daemon); the times are printed, not
asserted (bench/unreachable measures them).
Honours VCLUSTER_LAB and VCLUSTER_STATE.
"""

import os
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OS_SRC = os.path.join(REPO, "examples", "os")
DOMAIN = "example.test"
N1, N2, N3 = ("node%d.%s" % (i, DOMAIN) for i in (1, 2, 3))
INST = "inst1." + DOMAIN
NODE_FIELDS = "name,mtotal,mfree,dtotal,dfree"
INST_FIELDS = "name,pnode,status,oper_ram"
# Command timeouts only (no timing assertions): the figures are printed.
QUERY_BOUND = 120.0
VERIFY_BOUND = 180.0
# How long node3's data may take to come back after it is reachable again.
RECOVER_WAIT = 60.0


def _install_oses(cluster):
    for node in cluster.nodes:
        res = cluster.sh("mkdir -p /srv/ganeti/os && cp -r %s/noop"
                         " /srv/ganeti/os/" % OS_SRC, node=node)
        assert res.returncode == 0, res.stderr


@pytest.fixture(scope="module")
def cluster(make_cluster, node_add_available):
    if not node_add_available:
        pytest.skip("needs gnt-node add (3 nodes)")
    c = make_cluster(3, prepare=_install_oses)
    c.ok("instance", "add", "-n", N3, "-t", "diskless", "-o", "noop",
         "-B", "memory=32M", "--no-name-check", "--no-ip-check", INST)
    return c


def _table(cluster, command, fields, timeout):
    """{name: [cells]} of gnt-<command> list, and the time it took."""
    start = time.monotonic()
    res = cluster.gnt(command, "list", "--no-headers", "--separator=|",
                      "-o", fields, timeout=timeout)
    elapsed = time.monotonic() - start
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Traceback" not in res.stderr, res.stderr
    rows = {line.split("|")[0]: line.split("|")[1:]
            for line in res.stdout.splitlines()}
    return rows, elapsed


def _assert_node3_unavailable(cluster, label):
    nodes, node_time = _table(cluster, "node", NODE_FIELDS, QUERY_BOUND)
    insts, inst_time = _table(cluster, "instance", INST_FIELDS, QUERY_BOUND)
    print("%s: gnt-node list %.1f s, gnt-instance list %.1f s"
          % (label, node_time, inst_time))
    assert nodes[N3] == ["?", "?", "?", "?"], nodes
    for name in (N1, N2):
        assert all(cell.isdigit() for cell in nodes[name]), nodes
    assert insts[INST] == [N3, "ERROR_nodedown", "?"], insts


def _wait_node3_back(cluster):
    deadline = time.monotonic() + RECOVER_WAIT
    while True:
        nodes, _ = _table(cluster, "node", NODE_FIELDS, 120)
        insts, _ = _table(cluster, "instance", INST_FIELDS, 120)
        if all(c.isdigit() for c in nodes[N3]) and \
                insts[INST][1] == "running":
            return
        assert time.monotonic() < deadline, (nodes, insts)
        time.sleep(1)


def _assert_verify_reports_node3(cluster, label):
    start = time.monotonic()
    res = cluster.gnt("cluster", "verify", "--ignore-errors=ENODESETUP",
                      timeout=VERIFY_BOUND)
    print("%s: gnt-cluster verify %.1f s" % (label, time.monotonic() - start))
    assert res.returncode == 1, res.stdout + res.stderr
    assert "Traceback" not in res.stderr, res.stderr
    errors = [line for line in cluster.messages(res.stdout)
              if "ERROR: node %s: while contacting node: " % N3 in line]
    assert errors, res.stdout
    for name in (N1, N2):
        assert "ERROR: node %s: while contacting node" % name \
            not in res.stdout, res.stdout


def _add_tag(cluster, label, tag):
    """Add a cluster tag with node3 unreachable; it must succeed."""
    start = time.monotonic()
    cluster.ok("cluster", "add-tags", tag, timeout=QUERY_BOUND)
    print("%s: config write (add-tags) %.1f s"
          % (label, time.monotonic() - start))
    for name in (N1, N2):
        assert tag in cluster.config(node=name)["cluster"]["tags"], name


def _wait_node3_has_tag(cluster, tag):
    """node3 is caught up: its config.data is the master's, tag included."""
    deadline = time.monotonic() + RECOVER_WAIT
    while True:
        config = cluster.config(node=N3)
        if config is not None and tag in config["cluster"]["tags"] and \
                config["serial_no"] == cluster.serial():
            return
        assert time.monotonic() < deadline, (config or {}).get("cluster")
        time.sleep(1)


def _noded_pid(cluster):
    res = cluster.sh("cat /var/run/ganeti/ganeti-noded.pid", node=N3)
    assert res.returncode == 0, res.stderr
    return int(res.stdout.strip())


def test_everything_up(cluster):
    nodes, _ = _table(cluster, "node", NODE_FIELDS, 120)
    for name in (N1, N2, N3):
        assert all(cell.isdigit() for cell in nodes[name]), nodes
    insts, _ = _table(cluster, "instance", INST_FIELDS, 120)
    assert insts[INST][:2] == [N3, "running"], insts


def test_stopped_node_daemon(cluster):
    pid = _noded_pid(cluster)
    res = cluster.sh("kill -STOP %d" % pid, node=N3)
    assert res.returncode == 0, res.stderr
    try:
        _assert_node3_unavailable(cluster, "node3 stopped, first")
        _assert_node3_unavailable(cluster, "node3 stopped, again")
    finally:
        cluster.sh("kill -CONT %d" % pid, node=N3)
    _wait_node3_back(cluster)


def test_stopped_node_daemon_verify_and_write(cluster):
    pid = _noded_pid(cluster)
    res = cluster.sh("kill -STOP %d" % pid, node=N3)
    assert res.returncode == 0, res.stderr
    try:
        _add_tag(cluster, "node3 stopped, first", "while-stopped")
        _assert_verify_reports_node3(cluster, "node3 stopped")
    finally:
        cluster.sh("kill -CONT %d" % pid, node=N3)
    _wait_node3_has_tag(cluster, "while-stopped")
    _wait_node3_back(cluster)


def test_cut_node(cluster):
    assert cluster.vc.run("cut", "node3").returncode == 0
    try:
        _assert_node3_unavailable(cluster, "node3 cut, first")
        _assert_node3_unavailable(cluster, "node3 cut, again")
    finally:
        assert cluster.vc.run("heal", "node3").returncode == 0
    _wait_node3_back(cluster)


def test_cut_node_verify_and_write(cluster):
    assert cluster.vc.run("cut", "node3").returncode == 0
    try:
        _add_tag(cluster, "node3 cut, first", "while-cut")
        _assert_verify_reports_node3(cluster, "node3 cut")
    finally:
        assert cluster.vc.run("heal", "node3").returncode == 0
    _wait_node3_has_tag(cluster, "while-cut")
    _wait_node3_back(cluster)
