"""Export and import of a KVM instance with a running guest (file disk,
the test guest of tools/make-guest with the "image" OS) on a 2-node
testbed: the export stops the guest, copies its disk to node2 and starts
it again; the instance is removed; the import on node1 brings it back,
it boots and its console counter runs.

Uses the guest and helpers of test_kvm_instance (skips with one line
without root, qemu-system-x86_64 or the guest).  Every wait is bounded.
"""

import time

import pytest

from test_kvm_instance import (BOOT_TIMEOUT, MESSAGE, N1, N2, KvmCluster,
                               _counters, _qemu_nodes)

NAME = "kvmexp1.example.test"
EXPORT_DIR = "/srv/ganeti/export"


@pytest.fixture(scope="module")
def cluster(make_cluster, node_add_available):
    cluster = KvmCluster(make_cluster, node_add_available,
                         "file,sharedfile,diskless")
    yield cluster
    if NAME in cluster.gnt("instance", "list", "--no-headers", "-o",
                           "name").stdout.split():
        cluster.gnt("instance", "remove", "-f", NAME, timeout=300)
    cluster.gnt("backup", "remove", NAME)


def _boots(cluster, counters=2):
    host, lines = cluster.console(NAME, time.monotonic() + BOOT_TIMEOUT,
                                  counters)
    assert "guest name: %s" % NAME in lines, "\n".join(lines[-40:])
    assert "guest message: %s" % MESSAGE in lines
    assert _counters(lines)[:counters] == list(range(1, counters + 1)), lines
    return host


def _status(cluster):
    res = cluster.gnt("instance", "list", "--no-headers", "--separator=|",
                      "-o", "pnode,status", NAME)
    return res.stdout.strip().split("|") if res.returncode == 0 else None


def test_running_guest(cluster):
    cluster.ok("instance", "add", "-t", "file", "--disk", "0:size=32M",
               "-o", "image+default", "-n", N1, "-B", "memory=128M",
               "-O", "message=%s" % MESSAGE, "--no-name-check",
               "--no-ip-check", NAME, timeout=300)
    assert _boots(cluster) == N1


def test_export_restarts_the_guest(cluster):
    res = cluster.ok("backup", "export", "-n", N2, NAME, timeout=600)
    steps = cluster.messages(res.stdout)
    for step in ("Shutting down instance %s" % NAME,
                 "Exporting disk/0 from %s to %s" % (N1, N2),
                 "Starting instance %s" % NAME,
                 "Finalizing export on %s" % N2):
        assert any(step in line for line in steps), res.stdout
    assert _status(cluster) == [N1, "running"]
    assert _boots(cluster) == N1
    res = cluster.ok("backup", "list", "--no-headers")
    assert res.stdout.split() == [N2, NAME]


def test_import_after_remove_boots(cluster):
    cluster.ok("instance", "remove", "-f", NAME, timeout=300)
    assert _status(cluster) is None or _status(cluster) == [""]
    assert _qemu_nodes(NAME) == []
    cluster.ok("backup", "import", "-n", N1, "--src-node", N2,
               "--no-name-check", "--no-ip-check", NAME, timeout=600)
    assert _status(cluster) == [N1, "ADMIN_down"]
    cluster.ok("instance", "startup", NAME, timeout=300)
    assert _qemu_nodes(NAME) == ["node1"]
    assert _boots(cluster, counters=3) == N1
    res = cluster.ok("instance", "list", "--no-headers", "--separator=|",
                     "-o", "hypervisor,os", NAME)
    assert res.stdout.strip().split("|") == ["kvm", "image+default"]
