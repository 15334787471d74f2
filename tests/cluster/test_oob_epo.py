"""Out-of-band management and restricted commands on the testbed:
gnt-node power/health and gnt-cluster epo through the example OOB
program (examples/oob/file-state: power state in a file per node on the
master), and gnt-node restricted-command running only the commands of
the nodes' allow-list directory.

One 3-node lab for the module; VCLUSTER_LAB / VCLUSTER_STATE honoured.
"""

import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOMAIN = "example.test"
N1, N2, N3 = ("node%d.%s" % (i, DOMAIN) for i in (1, 2, 3))
OOB_PROGRAM = os.path.join(REPO, "examples", "oob", "file-state")
OOB_STATE = "/var/lib/ganeti/example-oob"
RESTRICTED_DIR = "/etc/ganeti/restricted-commands"
SEPARATOR = "------------------------------------------------"
INST = "epo1." + DOMAIN


class _Checks:
    def power_file(self, node):
        """What the example program recorded for node ("" if nothing)."""
        res = self.sh("cat %s/%s 2>/dev/null; true" % (OOB_STATE, node))
        return res.stdout.strip()

    def rows(self, *args):
        res = self.ok(*args)
        return [line.split() for line in res.stdout.splitlines()]

    def status(self, name):
        res = self.ok("instance", "list", "--no-headers", "-o",
                      "status,admin_state", name)
        return res.stdout.split()


def _prepare(cluster):
    cluster.install_os()


@pytest.fixture(scope="module")
def cluster(make_cluster, node_add_available):
    if not node_add_available:
        pytest.skip("needs gnt-node add (3 nodes)")
    made = make_cluster(3, prepare=_prepare, helpers=_Checks)
    made.ok("cluster", "modify", "--node-parameters",
            "oob_program=%s" % OOB_PROGRAM)
    return made


def _failure(res, text):
    assert res.returncode == 1, (res.returncode, res.stdout, res.stderr)
    assert text in res.stdout + res.stderr, res.stdout + res.stderr
    assert "Traceback" not in res.stdout + res.stderr


def test_power_status_off_on(cluster):
    assert cluster.rows("node", "power", "status") == \
        [["Node", "Status"]] + [[node, "powered"] for node in cluster.nodes]
    cluster.ok("node", "power", "-f", "off", N3)
    try:
        assert cluster.power_file(N3) == "off"
        assert cluster.rows("node", "power", "status", N3) == \
            [["Node", "Status"], [N3, "unpowered"]]
        assert cluster.node_field("powered,offline")[N3] == ["N", "Y"]
    finally:
        cluster.ok("node", "power", "on", N3)
        cluster.ok("node", "modify", "-O", "no", N3, timeout=300)
    assert cluster.power_file(N3) == "on"
    assert cluster.node_field("powered,offline")[N3] == ["Y", "N"]


def test_power_off_of_the_master_is_refused(cluster):
    # the job first marks the node offline: refused for the master
    _failure(cluster.gnt("node", "power", "-f", "off", N1),
             "The master role can be changed only via master-failover")
    _failure(cluster.gnt("node", "power", "-f", "--ignore-status", "off", N1),
             "Operating on the master node %s is not allowed for power-off;"
             " run '%s power-off %s' if you want to operate on the master"
             " regardless" % (N1, OOB_PROGRAM, N1))
    assert cluster.power_file(N1) == ""


def test_health(cluster):
    assert cluster.rows("node", "health", N1, N2) == [
        ["Node", "Status"], [N1, "power=OK"], [N2, "power=OK"]]
    res = cluster.sh("mkdir -p %s && printf 'fan WARNING\\npsu OK\\n' > %s/%s"
                     ".health" % (OOB_STATE, OOB_STATE, N2))
    assert res.returncode == 0, res.stderr
    try:
        res = cluster.ok("node", "health", N2)
        assert "Item 'fan' on node '%s' has status 'WARNING'" % N2 in \
            res.stdout + res.stderr
        assert [l.split() for l in res.stdout.splitlines()[-3:]] == [
            ["Node", "Status"], [N2, "fan=WARNING"], ["psu=OK"]]
    finally:
        cluster.sh("rm -f %s/%s.health" % (OOB_STATE, N2))


def test_epo_off_and_on(cluster):
    cluster.ok("instance", "add", "-t", "diskless", "-o", "noop", "-n", N2,
               "--no-name-check", "--no-ip-check", "-B", "memory=32M", INST,
               timeout=300)
    assert cluster.status(INST) == ["running", "up"]
    res = cluster.ok("cluster", "epo", "-f", N2, timeout=300)
    assert "Submit shutdown of instance %s" % INST in res.stdout
    assert "All instances have been stopped successfully" in res.stdout
    assert cluster.power_file(N2) == "off"
    # stopped without remembering it: it is to run again after the EPO
    assert cluster.status(INST) == ["ERROR_down", "up"]
    assert cluster.node_field("powered")[N2] == ["N"]
    res = cluster.ok("cluster", "epo", "-f", "--on", N2, timeout=300)
    assert "Node %s became available" % N2 in res.stdout
    assert "Submit startup of instance %s" % INST in res.stdout
    assert "All instances have been started successfully" in res.stdout
    assert cluster.power_file(N2) == "on"
    assert cluster.status(INST) == ["running", "up"]
    res = cluster.ok("cluster", "epo", "-f", "--on", "--groups", "default",
                     timeout=300)
    for node in (N2, N3):
        assert "Node %s is already in desired power state, skipping" % node \
            in res.stdout
    cluster.ok("instance", "remove", "-f", INST, timeout=300)


def test_epo_bad_input(cluster):
    _failure(cluster.gnt("cluster", "epo", "-f"),
             "%s is the master node, please do a master-failover to another"
             " node not affected by the EPO or use --all if you intend to"
             " shutdown the whole cluster" % N1)
    _failure(cluster.gnt("cluster", "epo", "-f", "--groups", "--all"),
             "Only one of --groups or --all are allowed")
    _failure(cluster.gnt("cluster", "epo", "-f", "--all", N2),
             "Arguments in combination with --all are not allowed")
    assert [cluster.power_file(node) for node in cluster.nodes] == \
        ["", "on", "on"]


def test_restricted_command(cluster):
    for node in cluster.nodes:
        res = cluster.sh("mkdir -p %s && chmod 755 %s && printf '#!/bin/sh\\n"
                         "echo hello from $(hostname)\\necho bye\\n' > %s/hello"
                         " && chmod 755 %s/hello" % ((RESTRICTED_DIR,) * 4),
                         node=node)
        assert res.returncode == 0, res.stderr
    res = cluster.ok("node", "restricted-command", "hello", N1, N2)
    assert res.stdout.splitlines() == [
        SEPARATOR, "Node: %s" % N1, "hello from %s" % N1, "bye", "",
        SEPARATOR, "Node: %s" % N2, "hello from %s" % N2, "bye", ""]
    res = cluster.ok("node", "restricted-command", "-M", "-g", "default",
                     "hello")
    assert res.stdout.splitlines() == [
        line for node in cluster.nodes for line in
        (SEPARATOR, "%s: hello from %s" % (node, node), "%s: bye" % node)]
    # not in the allow-list: the same answer as any failure, after a delay
    res = cluster.gnt("node", "restricted-command", "--sync", "ls", N2)
    assert res.returncode == 1, res.stdout + res.stderr
    assert res.stdout.splitlines() == [
        SEPARATOR, "Command 'ls' on node '%s' failed: Executing command 'ls'"
        " failed" % N2]
    _failure(cluster.gnt("node", "restricted-command", "hello"),
             "Node group or node names must be given")
