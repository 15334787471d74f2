"""replace-disks and gnt-node evacuate of `drbd` instances on the testbed's
EMULATED DRBD kernel module (see test_drbd_emulated: real lvm2 with LV
activation emulated by loop devices, drbdsetup//proc/drbd//dev/drbdN
emulated per node, replication over the secondary addresses).

One lab of 3 nodes with secondary IPs, fake hypervisor; VCLUSTER_LAB /
VCLUSTER_STATE are honoured.
"""

import shutil

import pytest

from test_drbd_emulated import DOMAIN, N1, N2, N3, PATTERN, _Checks, _secondary

NAME = "repl1." + DOMAIN
STEPS = ["STEP 1/6 Check device existence", "STEP 2/6 Check peer consistency",
         "STEP 3/6 Allocate new storage", "STEP 4/6 Changing drbd configuration",
         "STEP 5/6 Sync devices", "STEP 6/6 Removing old storage"]


class _ReplaceChecks(_Checks):
    def nodes_of(self, name):
        return self.ok("instance", "list", "--no-headers", "-o", "pnode,snodes",
                       name).stdout.split()

    def instance_lvs(self, node, name):
        """The LVs of the instance's disk 0 on node (by the config's LV ids)."""
        config = self.config()
        inst = next(i for i in config["instances"].values() if i["name"] == name)
        disk = config["disks"][inst["disks"][0]]
        names = {child["logical_id"][1]
                 for child in disk.get("children") or [disk]}
        return [lv for lv in self.lvs(node) if lv in names]

    def all_drbd_lvs(self, node):
        return [lv for lv in self.lvs(node) if "_data" in lv or "_meta" in lv]

    def deactivate(self, name):
        """Deactivate the disks; the emulated device refuses to go down
        while a process (a reader just gone, a udev probe) still holds
        /dev/drbdN, so ask again until it could."""
        self.wait(lambda: self.gnt("instance", "deactivate-disks", name,
                                   timeout=120).returncode == 0, timeout=120)

    def steps(self, out):
        return [line for line in self.messages(out) if line.startswith("STEP ")]


@pytest.fixture(scope="module")
def cluster(make_cluster, node_add_available):
    if not node_add_available:
        pytest.skip("gnt-node add is not implemented")
    if shutil.which("lvm", path="/usr/sbin:/sbin:/usr/bin:/bin") is None or \
            shutil.which("qemu-storage-daemon") is None:
        pytest.skip("lvm2 / qemu-storage-daemon missing (tools/install-deps)")
    made = make_cluster(3, ["--vg-name", "xenvg", "-s", _secondary(1),
                            "--enabled-disk-templates=drbd,plain,file,diskless"],
                        helpers=_ReplaceChecks, storage=True, join=False)
    for index, name in ((2, N2), (3, N3)):
        made.ok("node", "add", "-s", _secondary(index), name, timeout=300)
    res = made.add(NAME)
    assert res.returncode == 0, res.stdout + res.stderr
    made.write("node1", made.minor(NAME, N1), 40, PATTERN)
    return made


def test_replace_disks_new_secondary_moves_the_mirror(cluster):
    old_lvs = cluster.instance_lvs("node2", NAME)
    assert len(old_lvs) == 2
    out = cluster.ok("instance", "replace-disks", "-n", N3, NAME,
                     timeout=300).stdout
    assert cluster.steps(out) == STEPS, out
    lines = cluster.messages(out)
    for info in (" - INFO: Checking disk/0 on %s" % N1,
                 " - INFO: Adding new local storage on %s for disk/0" % N3,
                 " - INFO: Detaching primary drbds from the network (=> standalone)",
                 " - INFO: Remove logical volumes for disk/0"):
        assert info in lines, out
    assert cluster.nodes_of(NAME) == [N1, N3]
    assert cluster.all_drbd_lvs("node2") == []
    # the new secondary's LVs carry the names of the primary's (the config's)
    assert len(cluster.instance_lvs("node3", NAME)) == 2
    assert cluster.instance_lvs("node1", NAME) == \
        cluster.instance_lvs("node3", NAME)
    assert cluster.proc("node3")[cluster.minor(NAME, N3)] == [
        "Connected", "Secondary", "Primary", "UpToDate", "UpToDate"]


def test_replace_disks_on_secondary_renames_and_removes_the_old_lvs(cluster):
    before = cluster.instance_lvs("node3", NAME)
    out = cluster.ok("instance", "replace-disks", "-s", NAME, timeout=300).stdout
    assert cluster.steps(out) == STEPS, out
    lines = cluster.messages(out)
    for info in (" - INFO: Adding storage on %s for disk/0" % N3,
                 " - INFO: Detaching disk/0 drbd from local storage",
                 " - INFO: Renaming the old LVs on the target node",
                 " - INFO: Renaming the new LVs on the target node",
                 " - INFO: Adding new mirror component on %s" % N3):
        assert info in lines, out
    # the new LVs carry the old names; the renamed old ones are removed
    assert cluster.instance_lvs("node3", NAME) == before
    assert not [lv for lv in cluster.lvs("node3") if "_replaced-" in lv]
    assert cluster.proc("node3")[cluster.minor(NAME, N3)] == [
        "Connected", "Secondary", "Primary", "UpToDate", "UpToDate"]


def test_failover_to_the_new_secondary_finds_the_pattern(cluster):
    cluster.ok("instance", "failover", "-f", NAME, timeout=300)
    assert cluster.nodes_of(NAME) == [N3, N1]
    assert cluster.read("node3", cluster.minor(NAME, N3), 40,
                        len(PATTERN)) == PATTERN


def test_node_evacuate_secondary_to_a_new_node(cluster):
    res = cluster.ok("node", "evacuate", "-f", "-s", "-n", N2, N1, timeout=300)
    assert "All instances evacuated successfully." in res.stdout + res.stderr
    assert cluster.nodes_of(NAME) == [N3, N2]
    jobs = cluster.ok("job", "list", "--no-headers", "-o", "id").stdout.split()
    log = cluster.ok("job", "info", jobs[-1]).stdout
    assert cluster.all_drbd_lvs("node1") == [], log
    cluster.ok("instance", "failover", "-f", NAME, timeout=300)
    assert cluster.read("node2", cluster.minor(NAME, N2), 40,
                        len(PATTERN)) == PATTERN


def test_modify_template_drbd_to_plain_and_back_keeps_the_data(cluster):
    assert cluster.nodes_of(NAME) == [N2, N3]
    cluster.ok("instance", "shutdown", NAME, timeout=300)
    cluster.deactivate(NAME)
    data_lv = cluster.instance_lvs("node2", NAME)
    out = cluster.ok("instance", "modify", "-t", "plain", NAME,
                     timeout=300).stdout
    assert "disk_template -> plain" in out, out
    assert cluster.nodes_of(NAME) == [N2]
    assert cluster.all_drbd_lvs("node3") == []
    lvs = cluster.instance_lvs("node2", NAME)
    assert len(lvs) == 1 and lvs[0] in data_lv and lvs[0].endswith("_data")
    assert not [lv for lv in cluster.lvs("node2") if lv.endswith("_meta")]
    res = cluster.sh("dd if=/dev/xenvg/%s bs=1M skip=40 count=1 2>/dev/null |"
                     " head -c %d" % (lvs[0], len(PATTERN)), node="node2")
    assert res.stdout == PATTERN
    out = cluster.ok("instance", "modify", "-t", "drbd", "-n", N1, NAME,
                     timeout=300).stdout
    assert "disk_template -> drbd" in out, out
    assert cluster.nodes_of(NAME) == [N2, N1]
    assert len(cluster.instance_lvs("node1", NAME)) == 2
    cluster.ok("instance", "activate-disks", NAME, timeout=300)
    # the peers connect (and find nothing to resync) after activate-disks
    cluster.wait(lambda: cluster.proc("node1").get(cluster.minor(NAME, N1)) == [
        "Connected", "Secondary", "Primary", "UpToDate", "UpToDate"])
    assert cluster.read("node2", cluster.minor(NAME, N2), 40,
                        len(PATTERN)) == PATTERN
    cluster.deactivate(NAME)
    cluster.ok("instance", "failover", "-f", NAME, timeout=300)
    cluster.ok("instance", "activate-disks", NAME, timeout=300)
    assert cluster.read("node1", cluster.minor(NAME, N1), 40,
                        len(PATTERN)) == PATTERN
    cluster.deactivate(NAME)


def test_replace_disks_bad_input_changes_nothing(cluster):
    serial = cluster.serial()
    lvs = {node: cluster.lvs(node) for node in ("node1", "node2", "node3")}
    pnode = cluster.nodes_of(NAME)[0]
    res = cluster.fails("instance", "replace-disks", "-n", pnode, NAME,
                        text="The specified node is the primary node of the"
                        " instance")
    assert "Traceback" not in res.stderr
    cluster.fails("instance", "replace-disks", "-s", "-p", NAME,
                  text="One and only one of the -p, -s, -a, -n and -I options"
                  " must be passed")
    assert cluster.serial() == serial
    cluster.add_file_instance("file1." + DOMAIN, N1)
    serial = cluster.serial()
    cluster.fails("instance", "replace-disks", "-s", "file1." + DOMAIN,
                  text="Can only run replace disks for DRBD8-based instances")
    assert cluster.serial() == serial
    cluster.ok("instance", "startup", NAME, timeout=300)
    serial = cluster.serial()
    cluster.fails("instance", "modify", "-t", "plain", NAME,
                  text="Instance '%s' is marked to be up, cannot change disk"
                  " template" % NAME)
    assert cluster.serial() == serial
    assert {node: cluster.lvs(node) for node in lvs} == lvs
