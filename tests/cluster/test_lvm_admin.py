"""LVM administration on the testbed's volume groups (vcluster up --storage):
gnt-node volumes / list-storage / repair-storage, gnt-cluster
repair-disk-sizes, modify --vg-name / --reserved-lvs, verify's LVM checks,
grow-disk, LV snapshots (as exports use them) and bad input.

Every node has a volume group xenvg on a loop-backed PV, managed by the
real lvm2; LV activation (and so a snapshot's frozen data) is EMULATED, the
test machines' kernel having no device-mapper: an active LV is a loop
device at its extents.  The product's storage code is the one that runs on
real hardware.

One lab of 3 nodes (node1 is the master); VCLUSTER_LAB / VCLUSTER_STATE
are honoured.
"""

import os
import re
import shutil
import sys

import pytest

from ganeti.tools import vcluster_layout

DOMAIN = "example.test"
N1, N2, N3 = ("node%d.%s" % (i, DOMAIN) for i in (1, 2, 3))
VG = "xenvg"
INST_A, INST_B = "lvma." + DOMAIN, "lvmb." + DOMAIN
PATTERN = "vcluster-lvm-admin-0123456789"
PY = sys.executable
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class _Checks:
    def lvs(self, node):
        """LV name -> size in MiB of node's xenvg (from the real lvs)."""
        res = self.vc.exec(node, "lvs", "--noheadings", "--units=m", "--nosuffix",
                           "--separator=|", "-o", "lv_name,lv_size", VG, check=True)
        return {name: float(size) for name, size in
                (line.strip().split("|") for line in res.stdout.splitlines()
                 if line.strip())}

    def all_lvs(self):
        return {node: self.lvs(node) for node in ("node1", "node2", "node3")}

    def add(self, name, node, size, template="plain"):
        return self.gnt("instance", "add", "-t", template, "-n", node, "-o", "noop",
                        "--disk", "0:size=%s" % size, "-B", "memory=64",
                        "--no-name-check", "--no-ip-check", name)

    def disk(self, name):
        """The config's disk 0 of an instance."""
        config = self.config()
        inst = next(i for i in config["instances"].values() if i["name"] == name)
        return config["disks"][inst["disks"][0]]

    def sizes(self, name):
        out = self.ok("instance", "list", "--no-headers", "-o", "disk.sizes",
                      name).stdout
        return out.strip()


@pytest.fixture(scope="module")
def cluster(make_cluster, node_add_available):
    if not node_add_available:
        pytest.skip("gnt-node add is not implemented")
    if shutil.which("lvm", path="/usr/sbin:/sbin:/usr/bin:/bin") is None:
        pytest.skip("lvm2 is not installed (tools/install-deps installs it)")
    def bad_init(cl):
        # before the real init: one naming a volume group the node lacks
        cl.bad_init = cl.gnt("cluster", "init", "--enabled-hypervisors=fake",
                             "--no-ssh-init", "--vg-name", "nosuch",
                             "--enabled-disk-templates=plain,file,diskless",
                             vcluster_layout.CLUSTER_NAME)

    cl = make_cluster(3, ["--vg-name", VG,
                          "--enabled-disk-templates=plain,file,diskless"],
                      helpers=_Checks, storage=True, prepare=bad_init)
    cl.install_os()
    for name, node, size in ((INST_A, N1, "128m"), (INST_B, N2, "64m")):
        res = cl.add(name, node, size)
        assert res.returncode == 0, res.stdout + res.stderr
    return cl


def test_init_refuses_a_missing_volume_group(cluster):
    res = cluster.bad_init
    assert res.returncode == 1, res.stdout + res.stderr
    assert res.stderr.strip().splitlines()[-1] == \
        "Error: volume group 'nosuch' missing"
    assert "error type: wrong_input" in res.stderr
    assert "Traceback" not in res.stderr


def _words(text):
    return [line.split() for line in text.splitlines()]


def test_volumes_show_each_nodes_lvs_and_their_instances(cluster):
    lv_a, lv_b = cluster.disk(INST_A)["logical_id"][1], \
        cluster.disk(INST_B)["logical_id"][1]
    out = cluster.ok("node", "volumes").stdout
    lines = out.splitlines()
    assert lines[0].split() == ["Node", "PhysDev", "VG", "Name", "Size",
                                "Instance"]
    rows = _words(out)[1:]
    assert [(r[0], r[2], r[3], r[4], r[5]) for r in rows] == [
        (N1, VG, lv_a, "128M", INST_A), (N2, VG, lv_b, "64M", INST_B)]
    assert all(r[1].startswith("/dev/loop") for r in rows), rows
    # Size is a number column: right-aligned under its header
    end = lines[0].index("Size") + len("Size")
    assert [l[:end].rstrip()[-4:].strip() for l in lines[1:]] == ["128M", "64M"]
    out = cluster.ok("node", "volumes", "--no-headers", "--units=g",
                     "-o", "instance,size", N2).stdout
    assert _words(out) == [[INST_B, "0.1"]]
    res = cluster.fails("node", "volumes", "-o", "name,bogus")
    assert res.stderr.strip().splitlines()[-1] == \
        "Unknown output fields selected: bogus"


def test_list_storage_of_vgs_pvs_and_files(cluster):
    out = cluster.ok("node", "list-storage").stdout
    lines = _words(out)
    assert lines[0] == ["Node", "Type", "Name", "Size", "Used", "Free",
                        "Allocatable"]
    assert [(l[0], l[1], l[2], l[3], l[4], l[6]) for l in lines[1:]] == [
        (N1, "lvm-vg", VG, "24.0G", "128M", "Y"),
        (N2, "lvm-vg", VG, "24.0G", "64M", "Y"),
        (N3, "lvm-vg", VG, "24.0G", "0M", "Y")]
    out = cluster.ok("node", "list-storage", "-t", "lvm-vg", "--units=m",
                     "--no-headers", "--separator=|", "-o",
                     "name,size,used,free", N1).stdout
    name, size, used, free = out.strip().split("|")
    assert name == VG and int(used) == 128 and int(size) - int(free) == 128
    out = cluster.ok("node", "list-storage", "-t", "lvm-pv", "--no-headers",
                     "-o", "node,type,used", N2, N3).stdout
    assert [(r[0], r[1], r[2]) for r in _words(out)] == [
        (N2, "lvm-pv", "64M"), (N3, "lvm-pv", "0M")]
    out = cluster.ok("node", "list-storage", "-t", "file", "--no-headers",
                     "-o", "node,name,allocatable", N3).stdout
    assert _words(out) == [[N3, "/srv/ganeti/file-storage", "Y"]]
    cluster.ok("node", "repair-storage", N3, "lvm-vg", VG)
    res = cluster.fails("node", "repair-storage", N3, "lvm-pv", "/dev/loop0")
    assert res.stderr.strip().splitlines()[-1] == \
        "Storage units of type 'lvm-pv' can not be repaired"


def test_repair_disk_sizes_takes_the_real_sizes(cluster):
    lv_a = cluster.disk(INST_A)["logical_id"][1]
    res = cluster.vc.exec("node1", "lvextend", "-L+64m", "%s/%s" % (VG, lv_a))
    assert res.returncode == 0, res.stderr
    name_f = "lvmf." + DOMAIN
    res = cluster.add(name_f, N3, "32m", template="file")
    assert res.returncode == 0, res.stdout + res.stderr
    try:
        path = cluster.disk(name_f)["logical_id"][1]
        res = cluster.sh("truncate -s 48M %s" % path, node="node3")
        assert res.returncode == 0, res.stderr
        res = cluster.ok("cluster", "repair-disk-sizes")
        infos = [l for l in cluster.messages(res.stdout) if "INFO" in l]
        assert sorted(infos) == sorted([
            " - INFO: Disk 0 of instance %s has mismatched size, correcting:"
            " recorded 128, actual 192" % INST_A,
            " - INFO: Disk 0 of instance %s has mismatched size, correcting:"
            " recorded 32, actual 48" % name_f]), res.stdout
        assert cluster.disk(INST_A)["size"] == 192
        assert (cluster.sizes(INST_A), cluster.sizes(name_f)) == ("192", "48")
        res = cluster.ok("cluster", "repair-disk-sizes", INST_A, name_f)
        assert "INFO" not in res.stdout, res.stdout
    finally:
        cluster.ok("instance", "remove", "-f", name_f)
    res = cluster.fails("cluster", "repair-disk-sizes", "nosuch." + DOMAIN)
    assert res.stderr.strip().splitlines()[-1] == \
        "Instance 'nosuch.%s' not known" % DOMAIN


def test_grow_disk_grows_the_lv_and_the_recorded_size(cluster):
    lv_b = cluster.disk(INST_B)["logical_id"][1]
    before = cluster.sizes(INST_B)
    cluster.ok("instance", "grow-disk", INST_B, "0", "32m")
    assert cluster.lvs("node2")[lv_b] == float(before) + 32
    assert cluster.sizes(INST_B) == str(int(before) + 32)
    res = cluster.fails("instance", "grow-disk", INST_B, "0", "40g")
    assert re.search(r"^Not enough disk space on target node %s vg %s: required"
                     r" 40960 MiB, available \d+ MiB$" % (re.escape(N2), VG),
                     res.stderr, re.M), res.stderr
    assert cluster.lvs("node2")[lv_b] == float(before) + 32


def test_vg_name_must_exist_and_stays_while_lvm_is_used(cluster):
    res = cluster.fails("cluster", "modify", "--vg-name", "nosuch")
    assert res.stderr.strip().splitlines()[-1] == \
        "Error on node '%s': volume group 'nosuch' missing" % N1
    assert "error type: environment_error" in res.stderr
    res = cluster.fails("cluster", "modify", "--vg-name=")
    assert res.stderr.strip().splitlines()[-1] == (
        "Cannot unset volume group if lvm-based disk templates are or get"
        " enabled.")
    assert cluster.config()["cluster"]["volume_group_name"] == VG
    cluster.ok("cluster", "modify", "--vg-name", VG)


def test_verify_reports_orphan_and_missing_volumes(cluster):
    verify = ["cluster", "verify", "--error-codes", "--ignore-errors=ENODESETUP"]
    res = cluster.vc.exec("node3", "lvcreate", "-L8m", "-nhandmade", VG)
    assert res.returncode == 0, res.stderr
    name_c = "lvmc." + DOMAIN
    try:
        res = cluster.add(name_c, N3, "16m")
        assert res.returncode == 0, res.stdout + res.stderr
        lv_c = cluster.disk(name_c)["logical_id"][1]
        res = cluster.vc.exec("node3", "lvremove", "-f", "%s/%s" % (VG, lv_c))
        assert res.returncode == 0, res.stderr
        out = cluster.messages(cluster.gnt(*verify).stdout)
        assert ("  - WARNING:ENODEORPHANLV:node:%s:volume %s/handmade is"
                " unknown" % (N3, VG)) in out, out
        assert ("  - ERROR:EINSTANCEMISSINGDISK:instance:%s:volume %s/%s"
                " missing on node %s" % (name_c, VG, lv_c, N3)) in out, out
        assert ("  - ERROR:EINSTANCEFAULTYDISK:instance:%s:couldn't retrieve"
                " status for disk/0 on %s: Can't find device <LogicalVolume("
                "/dev/%s/%s, visible as /dev/disk/0, size=16m)>"
                % (name_c, N3, VG, lv_c)) in out, out
        assert not [l for l in out if "ENODELVM" in l], out
        cluster.ok("cluster", "modify", "--reserved-lvs=xenvg/nomatch,%s/hand.*"
                   % VG)
        info = cluster.ok("cluster", "info").stdout
        assert "lvm reserved volumes: xenvg/nomatch, xenvg/hand.*" in info, info
        out = cluster.messages(cluster.gnt(*verify).stdout)
        assert not [l for l in out if "handmade" in l], out
    finally:
        cluster.gnt("cluster", "modify", "--reserved-lvs=")
        cluster.vc.exec("node3", "lvremove", "-f", "%s/handmade" % VG)
        cluster.gnt("instance", "remove", "-f", name_c)
    assert cluster.lvs("node3") == {}


def test_snapshot_of_a_plain_disk_keeps_the_data_of_its_time(cluster):
    """The node's blockdev_snapshot for plain (what an export snapshots)."""
    disk = cluster.disk(INST_A)
    lv_a = disk["logical_id"][1]
    _, path = cluster.ok("instance", "activate-disks", INST_A) \
        .stdout.strip().splitlines()[-1].split(":", 2)[1:]
    res = cluster.sh("printf %s | dd of=%s bs=1M seek=100 conv=fsync 2>/dev/null"
                     % (PATTERN, path))
    assert res.returncode == 0, res.stderr
    snapshot = (
        "from ganeti.backend import blockdev\n"
        "print(blockdev.BlockdevSnapshot({'dev_type': 'plain', 'logical_id':"
        " [%r, %r], 'size': %d, 'children': [], 'params': {}}, None, %d))"
        % (VG, lv_a, disk["size"], disk["size"]))
    snap = lv_a + ".snap"

    def snapshot_data(length):
        return cluster.sh("dd if=/dev/%s/%s bs=1M skip=100 count=1 2>/dev/null"
                          " | head -c %d" % (VG, snap, length)).stdout

    res = cluster.py(snapshot)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.strip() == str([VG, snap])
    try:
        res = cluster.sh("printf overwritten | dd of=%s bs=1M seek=100"
                         " conv=fsync 2>/dev/null" % path)
        assert res.returncode == 0, res.stderr
        assert snapshot_data(len(PATTERN)) == PATTERN
        assert cluster.lvs("node1")[snap] == disk["size"]
        # a second snapshot replaces the stale one (a failed export's)
        res = cluster.py(snapshot)
        assert res.returncode == 0, res.stdout + res.stderr
        assert snapshot_data(len("overwritten")) == "overwritten"
    finally:
        cluster.vc.exec("node1", "lvremove", "-f", "%s/%s" % (VG, snap))
    assert snap not in cluster.lvs("node1")


def test_instance_name_in_use_leaves_no_volume(cluster):
    before = cluster.all_lvs()
    res = cluster.add(INST_A, N3, "16m")
    assert res.returncode == 1, res.stdout + res.stderr
    assert res.stderr.strip().splitlines()[-1] == \
        "Instance '%s' is already in the cluster" % INST_A
    assert "error type: already_exists" in res.stderr
    assert "Traceback" not in res.stderr
    assert cluster.all_lvs() == before


def test_rename_retags_the_volumes(cluster):
    """An LV's tag names its instance (originstname+NAME); after a rename
    it names the new one (the LV name, from the disk's UUID, stays)."""
    old, new = "lvmr." + DOMAIN, "lvmr2." + DOMAIN
    res = cluster.add(old, N2, "16m")
    assert res.returncode == 0, res.stdout + res.stderr
    lv = cluster.disk(old)["logical_id"][1]
    try:
        cluster.ok("instance", "shutdown", old)
        # (script: a terminal answering the --no-name-check question)
        res = cluster.vc.exec("node1", "script", "-qec", " ".join(
            [PY, os.path.join(REPO, "scripts", "gnt-instance"), "rename",
             "--no-name-check", "--no-ip-check", old, new]), "/dev/null",
            input="y\n", timeout=180)
        assert res.returncode == 0, res.stdout + res.stderr
        res = cluster.vc.exec("node2", "lvs", "--noheadings", "-o", "lv_tags",
                              "%s/%s" % (VG, lv), check=True)
        assert "originstname+%s" % new in res.stdout.strip().split(","), \
            res.stdout
        assert cluster.disk(new)["logical_id"][1] == lv
    finally:
        cluster.gnt("instance", "remove", "-f", new)
        cluster.gnt("instance", "remove", "-f", old)
    assert lv not in cluster.lvs("node2")


def test_verify_is_clean_with_plain_instances(cluster):
    """With the hand-made volumes gone, a cluster of plain instances
    verifies without a finding (the testbed's /proc aside)."""
    res = cluster.gnt("cluster", "verify", "--ignore-errors=ENODESETUP")
    out = cluster.messages(res.stdout)
    findings = [l for l in out if " - ERROR" in l or
                (" - WARNING" in l and "node setup error" not in l)]
    assert (res.returncode, findings) == (0, []), res.stdout + res.stderr
    assert "  - NOTICE: 2 non-redundant instance(s) found." in out, out
