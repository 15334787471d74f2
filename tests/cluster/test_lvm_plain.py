"""LVM `plain` instances on the testbed's volume groups (vcluster up --storage).

Every node has a volume group xenvg on a loop-backed PV, managed by the
real lvm2; LV activation is EMULATED (the test machines' kernel has no
device-mapper): an active LV is a loop device at its extents and
/dev/xenvg/LV links to it.  The product's storage code is the one that
runs on real hardware: it drives lvcreate, lvs, lvextend, lvremove, pvs,
vgs and pvchange inside the nodes.

One lab of 2 nodes (node1 is the master); VCLUSTER_LAB / VCLUSTER_STATE
are honoured.
"""

import re
import shutil

import pytest

DOMAIN = "example.test"
N1, N2 = ("node%d.%s" % (i, DOMAIN) for i in (1, 2))
VG = "xenvg"
VERIFY = ["verify", "--ignore-errors=ENODESETUP"]
PATTERN = "vcluster-plain-pattern-0123456789"
_TIME_RE = re.compile(r"^\w{3} \w{3} +\d+ [\d:]+ \d{4} ")


def _lines(text):
    return [_TIME_RE.sub("", l) for l in text.splitlines()]


class _Checks:
    def lvs(self, node):
        """LV name -> size in MiB of node's xenvg (from the real lvs)."""
        res = self.vc.exec(node, "lvs", "--noheadings", "--units=m", "--nosuffix",
                           "--separator=|", "-o", "lv_name,lv_size", VG, check=True)
        return {name: float(size) for name, size in
                (line.strip().split("|") for line in res.stdout.splitlines()
                 if line.strip())}

    def add(self, name, node=N1, size="256m", *args):
        return self.gnt("instance", "add", "-t", "plain", "-n", node, "-o", "noop",
                        "--disk", "0:size=%s" % size, "-B", "memory=64",
                        "--no-name-check", "--no-ip-check", *(args + (name,)))

    def disk_lv(self, name):
        """(node, LV name) of an instance's disk 0 (from its config)."""
        config = self.config()
        inst = next(i for i in config["instances"].values() if i["name"] == name)
        disk = config["disks"][inst["disks"][0]]
        assert disk["dev_type"] == "plain" and disk["logical_id"][0] == VG
        return config["nodes"][inst["primary_node"]]["name"], disk["logical_id"][1]

    def activate(self, name):
        """activate-disks: node, the disk's device path."""
        out = self.ok("instance", "activate-disks", name).stdout.strip().splitlines()
        node, _, path = out[-1].split(":", 2)
        return node, path


@pytest.fixture(scope="module")
def cluster(make_cluster, node_add_available):
    if not node_add_available:
        pytest.skip("gnt-node add is not implemented")
    if shutil.which("lvm", path="/usr/sbin:/sbin:/usr/bin:/bin") is None:
        pytest.skip("lvm2 is not installed (tools/install-deps installs it)")
    return make_cluster(2, ["--vg-name", VG,
                            "--enabled-disk-templates=plain,file,diskless"],
                        helpers=_Checks, storage=True)


def test_emulated_plain_disk_keeps_its_data_through_grow_and_restart(cluster):
    name = "plain1." + DOMAIN
    res = cluster.add(name)
    assert res.returncode == 0, res.stdout + res.stderr
    node, lv = cluster.disk_lv(name)
    assert node == N1 and cluster.lvs("node1")[lv] == 256.0
    assert lv not in cluster.lvs("node2")
    info = cluster.ok("instance", "info", name).stdout
    assert "on primary: /dev/%s/%s (" % (VG, lv) in info
    act_node, path = cluster.activate(name)
    assert (act_node, path) == (N1, "/dev/%s/%s" % (VG, lv))
    # Write a pattern at 200 MiB through the node's device (a real block device).
    script = ("test -b %(p)s && printf %(pat)s | dd of=%(p)s bs=1M seek=200"
              " conv=fsync 2>/dev/null && blockdev --getsize64 %(p)s"
              % {"p": path, "pat": PATTERN})
    res = cluster.sh(script)
    assert res.returncode == 0 and res.stdout.split() == [str(256 << 20)], \
        res.stdout + res.stderr
    cluster.ok("instance", "grow-disk", name, "0", "128m")
    assert cluster.lvs("node1")[lv] == 384.0
    res = cluster.sh("blockdev --getsize64 %s" % path)
    assert res.stdout.split() == [str(384 << 20)], res.stdout + res.stderr
    volumes = cluster.ok("node", "volumes", "--no-headers", "--separator=|",
                         "-o", "node,vg,name,size,instance").stdout
    # (with --separator, sizes are in MiB without a unit, as upstream's)
    assert "%s|%s|%s|384|%s" % (N1, VG, lv, name) in volumes.splitlines()
    cluster.ok("instance", "shutdown", name)
    cluster.ok("instance", "deactivate-disks", name)
    cluster.ok("instance", "startup", name)
    _, path = cluster.activate(name)
    res = cluster.sh("dd if=%s bs=1M skip=200 count=1 2>/dev/null | head -c %d"
                     % (path, len(PATTERN)))
    assert res.stdout == PATTERN, res.stdout + res.stderr
    cluster.ok("instance", "remove", "-f", name)
    assert lv not in cluster.lvs("node1")
    res = cluster.sh("test ! -e /dev/%s/%s" % (VG, lv))
    assert res.returncode == 0, "the removed LV's device is still there"


def test_storage_listing_and_pv_allocatable_flag(cluster):
    out = cluster.ok("node", "list-storage", "-t", "lvm-vg", "--no-headers",
                     "--separator=|", "-o", "node,name,allocatable").stdout
    assert out.splitlines() == ["%s|%s|Y" % (N1, VG), "%s|%s|Y" % (N2, VG)]
    out = cluster.ok("node", "list-storage", "-t", "lvm-pv", "--no-headers",
                     "--separator=|", "-o", "node,name,size,allocatable").stdout
    rows = [line.split("|") for line in out.splitlines()]
    assert [r[0] for r in rows] == [N1, N2] and all(r[3] == "Y" for r in rows)
    # 24 GiB PVs (a VG of at least 20 GiB passes verify), in MiB
    assert all(r[1].startswith("/dev/loop") and 20480 < int(r[2]) <= 24576
               for r in rows), rows
    pv = rows[1][1]
    cluster.ok("node", "modify-storage", "--allocatable=no", N2, "lvm-pv", pv)
    out = cluster.ok("node", "list-storage", "-t", "lvm-pv", "--no-headers",
                     "--separator=|", "-o", "name,allocatable", N2).stdout
    assert out.splitlines() == ["%s|N" % pv]
    cluster.ok("node", "modify-storage", "--allocatable=yes", N2, "lvm-pv", pv)
    res = cluster.fails("node", "modify-storage", "--allocatable=no", N2,
                        "lvm-vg", VG)
    assert "Storage units of type 'lvm-vg' can not be modified" in res.stderr
    cluster.ok("node", "repair-storage", N2, "lvm-vg", VG)


def test_verify_reports_an_lv_made_by_hand_unless_reserved(cluster):
    res = cluster.vc.exec("node2", "lvcreate", "-L16m", "-nhandmade", VG)
    assert res.returncode == 0, res.stderr
    try:
        out = _lines(cluster.gnt("cluster", *VERIFY).stdout)
        assert ("  - WARNING: node %s: volume %s/handmade is unknown" % (N2, VG)
                in out), out
        # The VG is big enough (upstream wants 20 GiB): no size error.
        assert not [l for l in out if "too small" in l], out
        cluster.ok("cluster", "modify", "--reserved-lvs=%s/hand.*" % VG)
        out = _lines(cluster.gnt("cluster", *VERIFY).stdout)
        assert not [l for l in out if "handmade" in l], out
    finally:
        cluster.gnt("cluster", "modify", "--reserved-lvs=")
        cluster.vc.exec("node2", "lvremove", "-f", "%s/handmade" % VG)


def test_disk_bigger_than_the_volume_group_is_refused(cluster):
    name = "toobig." + DOMAIN
    before = cluster.lvs("node1")
    res = cluster.add(name, N1, "30g")
    assert res.returncode == 1, res.stdout + res.stderr
    assert re.search(r"^Not enough disk space on target node %s vg %s: required"
                     r" 30720 MiB, available \d+ MiB$" % (re.escape(N1), VG),
                     res.stderr, re.M), res.stderr
    assert "error type: insufficient_resources" in res.stderr
    assert "Traceback" not in res.stderr
    assert cluster.lvs("node1") == before
    listed = cluster.ok("instance", "list", "--no-headers", "-o", "name").stdout
    assert name not in listed.split()


def test_disk_in_a_missing_volume_group_is_refused_before_creation(cluster):
    name = "novg." + DOMAIN
    before = cluster.lvs("node1")
    res = cluster.add(name, N1, "64m")  # a valid disk first, then one in "nosuch"
    assert res.returncode == 0, res.stdout + res.stderr
    try:
        res = cluster.gnt("instance", "add", "-t", "plain", "-n", N1, "-o", "noop",
                          "--disk", "0:size=64m,vg=nosuch", "-B", "memory=64",
                          "--no-name-check", "--no-ip-check", "novg2." + DOMAIN)
        assert res.returncode == 1, res.stdout + res.stderr
        assert ("Can't compute free disk space on node %s for vg nosuch, result"
                " was 'None'" % N1) in res.stderr, res.stderr
        assert "creating instance disks" not in res.stdout
        res = cluster.gnt("instance", "grow-disk", name, "0", "30g")
        assert res.returncode == 1, res.stdout + res.stderr
        assert re.search(r"^Not enough disk space on target node %s vg %s: required"
                         r" 30720 MiB, available \d+ MiB$" % (re.escape(N1), VG),
                         res.stderr, re.M), res.stderr
    finally:
        cluster.ok("instance", "remove", "-f", name)
    assert cluster.lvs("node1") == before
