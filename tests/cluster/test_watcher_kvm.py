"""ganeti-watcher with a real KVM guest (qemu under TCG) on a one-node
testbed cluster: qemu killed, one watcher run starts the instance again.

Uses the guest and helpers of test_kvm_instance (skips with one line
without root, qemu-system-x86_64 or the guest).  VCLUSTER_LAB /
VCLUSTER_STATE are honoured; every wait is bounded.
"""

import os
import signal

import pytest

from test_kvm_instance import (N1, PY, REPO, _guest, _install_image_os,
                               _qemu_nodes, _wait_for)

NAME = "kvmw.example.test"
WATCHER = os.path.join(REPO, "daemons", "ganeti-watcher")
PID_FILE = "/var/run/ganeti/kvm-hypervisor/pid/" + NAME


class _Checks:
    def status(self):
        res = self.ok("instance", "list", "--no-headers", "-o", "status",
                      NAME)
        return res.stdout.strip()

    def qemu_pid(self):
        res = self.sh("cat %s" % PID_FILE)
        return int(res.stdout.strip()) if res.returncode == 0 else None


@pytest.fixture(scope="module")
def cluster(make_cluster):
    kernel, initrd = _guest()
    cluster = make_cluster(1, init_opts=[
        "--enabled-hypervisors=kvm,fake",
        "--enabled-disk-templates=sharedfile,file,diskless",
        "-H", "kvm:kvm_flag=disabled,kernel_path=%s,initrd_path=%s"
        % (kernel, initrd)], prepare=_install_image_os, helpers=_Checks)
    yield cluster
    if NAME in cluster.gnt("instance", "list", "--no-headers", "-o",
                           "name").stdout.split():
        cluster.gnt("instance", "remove", "-f", NAME, timeout=300)


def test_killed_qemu_is_started_again(cluster):
    cluster.ok("instance", "add", "-t", "sharedfile", "--disk", "0:size=32M",
               "-o", "image+default", "-n", N1, "-B", "memory=128M",
               "--no-name-check", "--no-ip-check", NAME, timeout=300)
    assert cluster.status() == "running"
    old = cluster.qemu_pid()
    assert old and _qemu_nodes(NAME) == ["node1"]
    os.kill(old, signal.SIGKILL)
    _wait_for(lambda: cluster.status() == "ERROR_down", 60,
              "the instance to be seen down")
    res = cluster.vc.exec("node1", PY, WATCHER, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert cluster.status() == "running"
    new = cluster.qemu_pid()
    assert new and new != old
    assert _qemu_nodes(NAME) == ["node1"]
