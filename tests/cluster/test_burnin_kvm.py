"""burnin with a KVM instance (real qemu, TCG, the test guest of
tools/make-guest with the "image" OS) on sharedfile disks on a 2-node
testbed cluster: every default step, failover and live migration
included, exits 0 and leaves no instance, disk file or qemu behind.

The guest does not power off on ACPI requests, so burnin runs it with
acpi=false (a shutdown stops qemu at once instead of after the 120 s
timeout).  Skips with one line without root, qemu-system-x86_64 or the
guest.  VCLUSTER_LAB / VCLUSTER_STATE are honoured.
"""

import os
import sys

import pytest

from test_kvm_instance import _guest, _install_image_os, _qemu_nodes

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PY = sys.executable
DOMAIN = "example.test"
NAME = "kburn1." + DOMAIN
ALLOCATOR = os.path.join(REPO, "examples", "iallocators", "free-mem")
SHARED_DIR = "/srv/ganeti/shared-file-storage"


@pytest.fixture(scope="module")
def cluster(make_cluster, node_add_available):
    kernel, initrd = _guest()
    if not node_add_available:
        pytest.skip("needs gnt-node add (2 nodes)")
    return make_cluster(2, init_opts=[
        "--enabled-hypervisors=kvm,fake",
        "--enabled-disk-templates=sharedfile,file,diskless", "-I", ALLOCATOR,
        "-H", "kvm:kvm_flag=disabled,kernel_path=%s,initrd_path=%s"
        % (kernel, initrd)], prepare=_install_image_os)


def test_burnin_kvm_sharedfile(cluster):
    res = cluster.vc.exec(
        "node1", PY, os.path.join(REPO, "tools", "burnin"), "-o",
        "image+default", "-t", "sharedfile", "--disk-size", "32M",
        "--disk-growth", "16M", "--mem-size", "128M", "--vcpu-count", "1",
        "-H", "kvm:acpi=false", "-n", ",".join(cluster.nodes), NAME,
        timeout=900)
    assert res.returncode == 0, res.stdout + res.stderr
    lines = res.stdout.splitlines()
    for step in ("- Creating instances", "- Failing over instances",
                 "- Migrating instances", "- Rebooting instances",
                 "- Removing instances"):
        assert step in lines, res.stdout
    assert "Skipping migration" not in res.stdout
    assert cluster.config()["instances"] in ({}, None)
    assert _qemu_nodes(NAME) == []
    for node in ("node1", "node2"):
        found = cluster.sh("find %s -mindepth 1" % SHARED_DIR, node=node)
        assert found.stdout.split() == []
