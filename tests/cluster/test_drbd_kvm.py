"""A KVM guest (real qemu, TCG) on a `drbd` disk between node1 and node2,
on the testbed with its EMULATED DRBD kernel module (`vcluster up
--storage`, see test_drbd_emulated and the README: /dev/drbdN is a real
block device replicated synchronously to the peer over the secondary
addresses; the product's code is the one that runs on real hardware).

- a pattern written through /dev/drbdN before the first start is there;
- live migration to node2 and back keeps the guest running: its console
  counter goes on (no reboot) and qemu runs on the new primary only;
- afterwards both sides of the mirror hold the same bytes;
- failover of the stopped instance: node2 becomes primary, the disk is
  intact there.

Skips with one line without qemu-system-x86_64, the guest, lvm2 or
qemu-storage-daemon.  VCLUSTER_LAB / VCLUSTER_STATE are honoured.  Every
wait is bounded.
"""

import shutil
import time

import pytest

from test_drbd_emulated import _Checks, _secondary
from test_kvm_instance import (BOOT_TIMEOUT, PY, REPO, RUN_TIMEOUT, _KvmChecks, _boot_ok,
                               _counters, _guest, _install_image_os,
                               _qemu_nodes, _wait_for)
import test_kvm_instance

DOMAIN = "example.test"
N1, N2 = ("node%d.%s" % (i, DOMAIN) for i in (1, 2))
NAME = test_kvm_instance.NAME     # the name _boot_ok and fields() expect
MESSAGE = test_kvm_instance.MESSAGE
VG = "xenvg"
PATTERN = "drbd-kvm-pattern-0123456789"
PATTERN_MIB = 40                  # past the guest's configuration block


_QMP_STATUS = """
import sys
sys.path.insert(0, %r)
from ganeti.hypervisor import hv_kvm_qmp as qmp
from ganeti.hypervisor.hv_kvm_runtime import KvmPaths
paths = KvmPaths("/var/run/ganeti/kvm-hypervisor", %r)
print(qmp.Run(paths.qmp, "query-status"))
"""


class _DrbdKvmChecks(_KvmChecks, _Checks):
    def data_lv(self, node):
        """/dev/VG/LV of disk 0's data volume (the same name on both sides)."""
        config = self.config()
        inst = next(i for i in config["instances"].values() if i["name"] == NAME)
        disk = config["disks"][inst["disks"][0]]
        vg, lv = disk["children"][0]["logical_id"]
        return "/dev/%s/%s" % (vg, lv)

    def checksum(self, node, path, mib):
        res = self.sh("dd if=%s bs=1M count=%d 2>/dev/null | md5sum" % (path, mib),
                      node=node)
        assert res.returncode == 0, res.stderr
        return res.stdout.split()[0]

    def vm_state(self, node):
        """What qemu on node says of the guest (QMP query-status) and the
        tail of the node daemon's log: shown when the console is silent."""
        short = node.split(".")[0]
        res = self.vc.exec(short, PY, "-c", _QMP_STATUS % (REPO, NAME))
        log = self.sh("tail -n 15 /var/log/ganeti/node-daemon.log", node=short)
        return res.stdout.strip() or res.stderr.strip()[-400:], log.stdout

    def counting_on(self, node):
        """The last counter the guest printed, checking it runs on node."""
        host, lines = self.console(NAME, time.monotonic() + RUN_TIMEOUT, 2)
        assert host == node
        counted = _counters(lines)
        assert len(counted) >= 2 and counted[-1] == counted[-2] + 1, \
            (lines, self.vm_state(node))
        assert not [l for l in lines if l.startswith("guest name:")], lines
        return counted


@pytest.fixture(scope="module")
def cluster(make_cluster, node_add_available):
    kernel, initrd = _guest()
    if not node_add_available:
        pytest.skip("gnt-node add is not implemented")
    if shutil.which("lvm", path="/usr/sbin:/sbin:/usr/bin:/bin") is None or \
            shutil.which("qemu-storage-daemon") is None:
        pytest.skip("lvm2 / qemu-storage-daemon missing (tools/install-deps)")
    made = make_cluster(2, [
        "--vg-name", VG, "-s", _secondary(1),
        "--enabled-hypervisors=kvm,fake",
        "--enabled-disk-templates=drbd,plain,diskless",
        "-H", "kvm:kvm_flag=disabled,kernel_path=%s,initrd_path=%s"
        % (kernel, initrd)], prepare=_install_image_os,
        helpers=_DrbdKvmChecks, storage=True, join=False)
    made.ok("node", "add", "-s", _secondary(2), N2, timeout=300)
    yield made
    if NAME in made.gnt("instance", "list", "--no-headers", "-o",
                        "name").stdout.split():
        made.gnt("instance", "remove", "-f", NAME, timeout=300)


def test_drbd_kvm_guest_boots_with_the_pattern_on_its_disk(cluster):
    cluster.ok("instance", "add", "-t", "drbd", "--disk", "0:size=64M",
               "-o", "image+default", "-n", "%s:%s" % (N1, N2),
               "-B", "memory=128M", "-O", "message=%s" % MESSAGE,
               "--no-start", "--no-name-check", "--no-ip-check", NAME,
               timeout=300)
    cluster.ok("instance", "activate-disks", NAME)
    cluster.write("node1", cluster.minor(NAME, N1), PATTERN_MIB, PATTERN)
    cluster.ok("instance", "startup", NAME, timeout=300)
    assert cluster.fields("hypervisor", "pnode", "status") == \
        ["kvm", N1, "running"]
    assert _qemu_nodes(NAME) == ["node1"]
    host, lines = cluster.console(NAME, time.monotonic() + BOOT_TIMEOUT, 2)
    assert host == N1
    _boot_ok(lines)
    assert cluster.read("node1", cluster.minor(NAME, N1), PATTERN_MIB,
                        len(PATTERN)) == PATTERN


def test_drbd_kvm_live_migration_there_and_back_keeps_the_guest_running(cluster):
    last = cluster.counting_on(N1)[-1]
    for target, node in ((N2, "node2"), (N1, "node1")):
        res = cluster.ok("instance", "migrate", "-f", NAME, timeout=300)
        steps = cluster.messages(res.stdout)
        for step in ("* changing disks into dual-master mode",
                     "* migrating instance to %s" % target,
                     "* memory transfer complete",
                     "* changing disks into single-master mode", "* done"):
            assert step in steps, res.stdout
        assert cluster.fields("pnode", "status") == [target, "running"]
        assert _qemu_nodes(NAME) == [node]
        counted = cluster.counting_on(target)
        assert counted[0] > last, (last, counted)   # the same guest, counting on
        last = counted[-1]
        minor = cluster.minor(NAME, target)
        assert cluster.proc(node)[minor] == [
            "Connected", "Primary", "Secondary", "UpToDate", "UpToDate"]


def test_drbd_kvm_both_sides_hold_the_same_disk(cluster):
    cluster.ok("instance", "shutdown", "--timeout=0", NAME, timeout=300)
    _wait_for(lambda: _qemu_nodes(NAME) == [], 30, "qemu to exit")
    cluster.ok("instance", "activate-disks", NAME)
    minor = cluster.minor(NAME, N1)
    primary = cluster.checksum("node1", "/dev/drbd%d" % minor, 64)
    assert cluster.checksum("node2", cluster.data_lv("node2"), 64) == primary
    assert cluster.checksum("node1", cluster.data_lv("node1"), 64) == primary
    assert cluster.read("node1", minor, PATTERN_MIB, len(PATTERN)) == PATTERN
    cluster.ok("instance", "deactivate-disks", NAME)


def test_drbd_kvm_failover_of_the_stopped_instance(cluster):
    cluster.ok("instance", "failover", "-f", NAME, timeout=300)
    assert cluster.fields("pnode", "snodes", "status") == [N2, N1, "ADMIN_down"]
    assert _qemu_nodes(NAME) == []
    cluster.ok("instance", "activate-disks", NAME)
    assert cluster.read("node2", cluster.minor(NAME, N2), PATTERN_MIB,
                        len(PATTERN)) == PATTERN
    cluster.ok("instance", "startup", NAME, timeout=300)
    host, lines = cluster.console(NAME, time.monotonic() + BOOT_TIMEOUT, 2)
    assert host == N2
    _boot_ok(lines)
    cluster.ok("instance", "remove", "-f", NAME, timeout=300)
    _wait_for(lambda: _qemu_nodes(NAME) == [], 30, "qemu to exit")
    for node in ("node1", "node2"):
        assert not [lv for lv in cluster.lvs(node)
                    if lv.endswith(("_data", "_meta"))]
