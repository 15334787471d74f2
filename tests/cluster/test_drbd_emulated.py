"""DRBD `drbd` instances on the testbed, with its EMULATED DRBD kernel module.

The test machines' kernel has no DRBD (nor device-mapper): `vcluster up
--storage` gives every node a volume group xenvg (real lvm2, LV activation
emulated by loop devices) and an emulated DRBD 8.4 kernel interface
(ganeti/tools/vcluster_drbd*.py: drbdsetup/drbdmeta, /proc/drbd, /dev/drbdN
a real block device whose writes reach the peer's LV before they complete,
over the nodes' secondary addresses).  The product's code is the one that
runs on real hardware.

One lab of 3 nodes with secondary IPs (node1 is the master), fake
hypervisor; VCLUSTER_LAB / VCLUSTER_STATE are honoured.
"""

import re
import shutil
import time

import pytest

DOMAIN = "example.test"
N1, N2, N3 = ("node%d.%s" % (i, DOMAIN) for i in (1, 2, 3))
VG = "xenvg"
PATTERN = "vcluster-drbd-pattern-0123456789"
_TIME_RE = re.compile(r"^\w{3} \w{3} +\d+ [\d:]+ \d{4} ")
_PROGRESS_RE = re.compile(r" - INFO: - device disk/0: +\d+\.\d\d% done, \d+s"
                          r" remaining \(estimated\)$")


def _secondary(index):
    from ganeti.tools import vcluster_layout
    return vcluster_layout.Node(index).secondary_address


class _Checks:
    def lvs(self, node):
        res = self.vc.exec(node, "lvs", "--noheadings", "-o", "lv_name", VG,
                           check=True)
        return sorted(line.strip() for line in res.stdout.splitlines() if line.strip())

    def proc(self, node):
        """{minor: MinorStatus} from the node's /proc/drbd (the product's parser)."""
        res = self.py("from ganeti.storage import drbd_info\n"
                      "info = drbd_info.ProcInfo.FromFile()\n"
                      "for m, st in sorted(info.GetUsedDevs().items()):\n"
                      "    print(m, st.cstatus, st.lrole, st.rrole, st.ldisk,"
                      " st.rdisk)", node=node)
        assert res.returncode == 0, res.stderr
        return {int(f[0]): f[1:] for f in
                (line.split() for line in res.stdout.splitlines())}

    def add(self, name, nodes="%s:%s" % (N1, N2), *args):
        return self.gnt("instance", "add", "-t", "drbd", "-n", nodes, "-o", "noop",
                        "--disk", "0:size=96m", "-B", "memory=64",
                        "--no-name-check", "--no-ip-check", *(args + (name,)))

    def minor(self, name, node):
        """The DRBD minor of an instance's disk 0 on node (from its config)."""
        config = self.config()
        inst = next(i for i in config["instances"].values() if i["name"] == name)
        disk = config["disks"][inst["disks"][0]]
        assert disk["dev_type"] == "drbd"
        uuid = next(u for u, n in config["nodes"].items() if n["name"] == node)
        return disk["logical_id"][3] if disk["logical_id"][0] == uuid \
            else disk["logical_id"][4]

    def write(self, node, minor, seek_mib, text):
        res = self.sh("printf %s | dd of=/dev/drbd%d bs=1M seek=%d conv=fsync"
                      " 2>/dev/null" % (text, minor, seek_mib), node=node)
        assert res.returncode == 0, res.stderr

    def read(self, node, minor, skip_mib, length):
        res = self.sh("dd if=/dev/drbd%d bs=1M skip=%d count=1 2>/dev/null |"
                      " head -c %d" % (minor, skip_mib, length), node=node)
        return res.stdout

    def wait(self, check, timeout=60):
        deadline = time.monotonic() + timeout
        while not check():
            assert time.monotonic() < deadline, "condition not reached in time"
            time.sleep(0.5)


@pytest.fixture(scope="module")
def cluster(make_cluster, node_add_available):
    if not node_add_available:
        pytest.skip("gnt-node add is not implemented")
    if shutil.which("lvm", path="/usr/sbin:/sbin:/usr/bin:/bin") is None or \
            shutil.which("qemu-storage-daemon") is None:
        pytest.skip("lvm2 / qemu-storage-daemon missing (tools/install-deps)")
    made = make_cluster(3, ["--vg-name", VG, "-s", _secondary(1),
                            "--enabled-disk-templates=drbd,plain,file,diskless"],
                        helpers=_Checks, storage=True, join=False)
    for index, name in ((2, N2), (3, N3)):
        made.ok("node", "add", "-s", _secondary(index), name, timeout=300)
    return made


def test_drbd_create_replicates_and_failover_finds_the_data(cluster):
    name = "drbd1." + DOMAIN
    res = cluster.add(name)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Waiting for instance %s to sync disks" % name in res.stdout
    progress = [l for l in res.stdout.splitlines() if "% done" in l]
    assert progress and all(_PROGRESS_RE.search(l) for l in progress), res.stdout
    minor = cluster.minor(name, N1)
    assert cluster.proc("node1")[minor] == [
        "Connected", "Primary", "Secondary", "UpToDate", "UpToDate"]
    assert cluster.proc("node2")[cluster.minor(name, N2)] == [
        "Connected", "Secondary", "Primary", "UpToDate", "UpToDate"]
    lvs = [lv for lv in cluster.lvs("node2") if lv.endswith(("_data", "_meta"))]
    assert len(lvs) == 2 and lvs == [lv for lv in cluster.lvs("node1")
                                     if lv.endswith(("_data", "_meta"))]
    cluster.write("node1", minor, 40, PATTERN)
    out = cluster.ok("instance", "failover", "-f", name).stdout
    assert "* activating the instance's disks on target node %s" % N2 in out
    listing = cluster.ok("instance", "list", "--no-headers", "-o",
                         "pnode,snodes", name).stdout.split()
    assert listing == [N2, N1]
    assert cluster.read("node2", cluster.minor(name, N2), 40, len(PATTERN)) == PATTERN


def test_drbd_live_and_non_live_migration_are_dual_primary_moves(cluster):
    name = "drbd1." + DOMAIN
    out = cluster.ok("instance", "migrate", "-f", name).stdout
    for step in ("* changing into standalone mode",
                 "* changing disks into dual-master mode",
                 "* switching node %s to secondary mode" % N2,
                 "* changing disks into single-master mode", "* done"):
        assert step in out, out
    assert cluster.ok("instance", "list", "--no-headers", "-o", "pnode",
                      name).stdout.split() == [N1]
    minor = cluster.minor(name, N1)
    assert cluster.read("node1", minor, 40, len(PATTERN)) == PATTERN
    cluster.ok("instance", "migrate", "-f", "--non-live", name)
    assert cluster.ok("instance", "list", "--no-headers", "-o", "pnode",
                      name).stdout.split() == [N2]
    out = cluster.ok("instance", "migrate", "-f", "--cleanup", name).stdout
    assert "* instance confirmed to be running on its primary node (%s)" % N2 in out
    assert cluster.proc("node2")[cluster.minor(name, N2)][:3] == [
        "Connected", "Primary", "Secondary"]
    cluster.ok("instance", "migrate", "-f", name)   # back to node1


def test_drbd_cut_secondary_degrades_and_heal_resyncs(cluster):
    name = "drbd1." + DOMAIN
    m1, m2 = cluster.minor(name, N1), cluster.minor(name, N2)
    cluster.vc.run("cut", "node2", check=True)
    try:
        cluster.write("node1", m1, 60, PATTERN + "-while-cut")
        cluster.wait(lambda: cluster.proc("node1")[m1][0] == "WFConnection")
        assert cluster.proc("node1")[m1] == [
            "WFConnection", "Primary", "Unknown", "UpToDate", "DUnknown"]
        res = cluster.gnt("cluster", "verify-disks")
        assert res.returncode == 1
        assert "Error gathering data on node %s" % N2 in res.stdout, res.stdout
        assert "Instance %s cannot be verified as it lives on broken nodes" \
            % name in res.stdout, res.stdout
        res = cluster.gnt("cluster", "verify", "--error-codes")
        assert res.returncode == 1
        assert "ERROR:EINSTANCEFAULTYDISK:instance:%s:disk/0 on %s is degraded" \
            % (name, N1) in res.stdout, res.stdout
    finally:
        cluster.vc.run("heal", "node2", check=True)
    cluster.wait(lambda: cluster.proc("node2")[m2] == [
        "Connected", "Secondary", "Primary", "UpToDate", "UpToDate"])
    # the master reaches node2 again (its RPCs to it timed out while cut)
    cluster.wait(lambda: cluster.gnt("cluster", "verify-disks").returncode == 0)
    res = cluster.gnt("cluster", "verify", "--error-codes")
    assert "EINSTANCEFAULTYDISK" not in res.stdout and "ENODEDRBD" not in \
        res.stdout, res.stdout
    cluster.ok("instance", "failover", "-f", name)
    assert cluster.read("node2", m2, 60, len(PATTERN) + 10) == PATTERN + "-while-cut"
    assert cluster.read("node2", m2, 40, len(PATTERN)) == PATTERN
    cluster.ok("instance", "failover", "-f", name)


def test_drbd_create_without_waiting_for_the_sync(cluster):
    name = "drbd3." + DOMAIN
    res = cluster.add(name, "%s:%s" % (N1, N3), "--no-wait-for-sync")
    assert res.returncode == 0, res.stdout + res.stderr
    lines = [_TIME_RE.sub("", l) for l in res.stdout.splitlines()]
    steps = ["* checking mirrors status", "* pausing disk sync to install instance OS",
             "* running the instance OS create scripts...", "* resuming disk sync"]
    assert [l for l in lines if l in steps] == steps, res.stdout
    assert "Waiting for instance %s to sync disks" % name not in res.stdout
    m3 = cluster.minor(name, N3)
    cluster.wait(lambda: cluster.proc("node3")[m3] == [
        "Connected", "Secondary", "Primary", "UpToDate", "UpToDate"])
    cluster.ok("instance", "remove", "-f", name)
    assert m3 not in cluster.proc("node3")


def test_drbd_bad_input_leaves_nothing_behind(cluster):
    before = {node: cluster.lvs(node) for node in ("node1", "node2", "node3")}
    minors = {node: sorted(cluster.proc(node)) for node in ("node1", "node2")}
    res = cluster.add("bad1." + DOMAIN, "%s:%s" % (N1, N1))
    assert res.returncode == 1
    assert res.stderr.strip().splitlines()[-1] == \
        "The secondary node cannot be the primary node", res.stderr
    res = cluster.add("bad2." + DOMAIN, N1)
    assert res.returncode == 1
    assert res.stderr.strip().splitlines()[-1] == \
        "The networked disk templates need a mirror node", res.stderr
    assert {node: cluster.lvs(node) for node in before} == before
    assert {node: sorted(cluster.proc(node)) for node in minors} == minors


def test_drbd_grow_disk_on_both_sides_and_deactivate_activate(cluster):
    name = "drbd1." + DOMAIN
    m1, m2 = cluster.minor(name, N1), cluster.minor(name, N2)
    cluster.ok("instance", "grow-disk", name, "0", "32m")
    for node in ("node1", "node2"):
        res = cluster.sh("lvs --noheadings --units m --nosuffix -o lv_name,lv_size"
                         " %s | grep _data" % VG, node=node)
        assert res.stdout.split()[1] == "128.00", res.stdout
    res = cluster.sh("blockdev --getsize64 /dev/drbd%d" % m1)
    assert res.stdout.split() == [str(128 << 20)], res.stdout + res.stderr
    cluster.wait(lambda: cluster.proc("node2")[m2] == [
        "Connected", "Secondary", "Primary", "UpToDate", "UpToDate"])
    cluster.write("node1", m1, 120, PATTERN + "-grown")
    cluster.ok("instance", "shutdown", name)
    cluster.ok("instance", "deactivate-disks", name)
    assert m1 not in cluster.proc("node1") and m2 not in cluster.proc("node2")
    out = cluster.ok("instance", "activate-disks", name).stdout
    assert out.strip().splitlines()[-1] == "%s:disk/0:/dev/drbd%d" % (N1, m1)
    assert cluster.read("node1", m1, 120, len(PATTERN) + 6) == PATTERN + "-grown"
    assert cluster.read("node1", m1, 40, len(PATTERN)) == PATTERN
    cluster.ok("instance", "startup", name)


def test_drbd_remove_leaves_no_lv_and_no_minor(cluster):
    name = "drbd1." + DOMAIN
    m1, m2 = cluster.minor(name, N1), cluster.minor(name, N2)
    cluster.ok("instance", "remove", "-f", name)
    assert m1 not in cluster.proc("node1") and m2 not in cluster.proc("node2")
    for node in ("node1", "node2"):
        assert not [lv for lv in cluster.lvs(node) if lv.endswith(("_data", "_meta"))]


def test_drbd_failover_off_a_cut_primary_needs_ignore_consistency(cluster):
    name = "drbd2." + DOMAIN
    res = cluster.add(name, "%s:%s" % (N2, N3))
    assert res.returncode == 0, res.stdout + res.stderr
    m2, m3 = cluster.minor(name, N2), cluster.minor(name, N3)
    cluster.write("node2", m2, 10, PATTERN)
    cluster.vc.run("cut", "node2", check=True)
    try:
        cluster.wait(lambda: cluster.proc("node3")[m3][0] == "WFConnection")
        res = cluster.gnt("instance", "failover", "-f", name)
        assert res.returncode == 1
        assert res.stderr.strip().splitlines()[-1] == \
            "Disk 0 is degraded on target node, aborting failover", res.stderr
        cluster.ok("instance", "failover", "-f", "--ignore-consistency", name,
                   timeout=300)
        assert cluster.ok("instance", "list", "--no-headers", "-o", "pnode",
                          name).stdout.split() == [N3]
        assert cluster.read("node3", m3, 10, len(PATTERN)) == PATTERN
    finally:
        cluster.vc.run("heal", "node2", check=True)
    cluster.wait(lambda: cluster.gnt("instance", "remove", "-f", name,
                                     timeout=300).returncode == 0, timeout=120)
    assert m2 not in cluster.proc("node2") and m3 not in cluster.proc("node3")
