"""burnin's data transfer steps on plain (LVM) disks: a 2-node testbed with
storage (a volume group xenvg per node, LV activation emulated), fake
hypervisor; burnin -t plain runs "Moving instances" (gnt-instance move
through the import-export daemons) and "Exporting and re-importing
instances" (export to a node, remove, import, remove the export), exits 0
and leaves no instance, LV or export behind.
VCLUSTER_LAB / VCLUSTER_STATE are honoured.
"""

import os
import shutil
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PY = sys.executable
BURNIN = os.path.join(REPO, "tools", "burnin")
DOMAIN = "example.test"
VG = "xenvg"
NODES = ",".join("node%d.%s" % (i, DOMAIN) for i in (1, 2))


@pytest.fixture(scope="module")
def cluster(make_cluster, node_add_available):
    if not node_add_available:
        pytest.skip("gnt-node add is not implemented")
    if shutil.which("lvm", path="/usr/sbin:/sbin:/usr/bin:/bin") is None:
        pytest.skip("lvm2 is not installed (tools/install-deps installs it)")
    return make_cluster(2, ["--vg-name", VG,
                            "--enabled-disk-templates=plain,file,diskless"],
                        storage=True)


def test_plain_burnin_moves_exports_and_imports(cluster):
    names = ["bp%d.%s" % (i, DOMAIN) for i in (1, 2)]
    res = cluster.vc.exec("node1", PY, BURNIN, "-o", "noop", "-t",
                          "plain", "-n", NODES, "--disk-size", "32M",
                          "--disk-growth", "16M", "--mem-size", "64M",
                          "--no-replace1", "--no-replace2", "--no-reinstall",
                          "--no-reboot", "--no-add-nics", "--no-add-disks",
                          "--no-confd", "--no-activate-disks",
                          "--no-renamesame", *names, timeout=900)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert "Traceback" not in out
    lines = res.stdout.splitlines()
    steps = [l for l in lines if l.startswith("- ")]
    assert "- Moving instances" in steps, lines
    assert "- Exporting and re-importing instances" in steps, lines
    at = lines.index("- Exporting and re-importing instances")
    assert lines[at + 1:at + 3] == ["  * instance " + names[0],
                                    "    export to node node1.%s" % DOMAIN]
    assert not (cluster.config().get("instances") or {})
    for node in ("node1", "node2"):
        lvs = cluster.sh("lvs --noheadings -o lv_name %s" % VG, node=node)
        assert lvs.stdout.split() == [], lvs.stdout
        exports = cluster.sh("ls -A /srv/ganeti/export", node=node)
        assert exports.stdout == "", exports.stdout
