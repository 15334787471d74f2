"""Instance data transfer on the testbed (3 nodes, fake hypervisor, file
disks): gnt-instance move and gnt-backup export / list / import / remove
through the import-export daemons (socat over TLS between the nodes'
namespaces), and bad input (an export whose OS is missing, a move to a
node without space): one-line errors, exit code 1, nothing left behind.

The disks are file disks (plain-LV snapshots are another branch's).
"""

import re

import pytest

DOMAIN = "example.test"
N1, N2, N3 = ("node%d.%s" % (i, DOMAIN) for i in (1, 2, 3))
INST = "impexp1." + DOMAIN
FILE_DIR = "/srv/ganeti/file-storage"
EXPORT_DIR = "/srv/ganeti/export"
_PROGRESS_RE = re.compile(r"disk/0 sent 64M, [\d.]+ MiB/s, 100% done")


class _Checks:
    def disk_sum(self, node, name=INST):
        """md5 of the instance's disk 0 file on node (None if absent)."""
        res = self.sh("cat %s/%s/*.file.disk0 2>/dev/null | md5sum"
                      " | cut -d' ' -f1; ls %s/%s/*.file.disk0 >/dev/null"
                      " 2>&1" % (FILE_DIR, name, FILE_DIR, name), node=node)
        return res.stdout.split()[0] if res.returncode == 0 else None

    def instance_row(self, name=INST):
        res = self.gnt("instance", "list", "--no-headers", "--separator=|",
                       "-o", "name,pnode,status", name)
        return res.stdout.strip().split("|") if res.returncode == 0 else None

    def leftovers(self, node):
        """Import/export daemon directories still on node."""
        res = self.sh("ls /var/run/ganeti/import-export 2>/dev/null",
                      node=node)
        return res.stdout.split()


@pytest.fixture(scope="module")
def cluster(make_cluster, node_add_available):
    if not node_add_available:
        pytest.skip("needs gnt-node add (3 nodes)")
    return make_cluster(3, helpers=_Checks)


def _one_line_failure(res, text):
    assert res.returncode == 1, (res.returncode, res.stdout, res.stderr)
    assert text in res.stderr, res.stderr
    assert "Traceback" not in res.stdout + res.stderr


def test_instance_with_data(cluster):
    cluster.ok("instance", "add", "-t", "file", "--disk", "0:size=64M",
               "-B", "memory=64M", "-o", "image+default", "-O",
               "message=hello", "-n", N1, "--no-name-check", "--no-ip-check",
               INST, timeout=300)
    # data beyond the OS's configuration block, to see it travel
    res = cluster.sh("dd if=/dev/urandom of=%s/%s/$(cd %s/%s && ls"
                     " *.file.disk0) bs=1M seek=8 count=8 conv=notrunc"
                     " status=none" % (FILE_DIR, INST, FILE_DIR, INST))
    assert res.returncode == 0, res.stderr
    assert cluster.disk_sum(N1)


def test_move_copies_the_disk_and_starts_on_the_target(cluster):
    before = cluster.disk_sum(N1)
    res = cluster.ok("instance", "move", "-f", "-n", N2, INST, timeout=300)
    log = cluster.messages(res.stdout)
    assert any(_PROGRESS_RE.search(line) for line in log), "\n".join(log)
    assert cluster.disk_sum(N2) == before
    assert cluster.disk_sum(N1) is None
    assert cluster.instance_row() == [INST, N2, "running"]
    for node in (N1, N2):
        assert cluster.leftovers(node) == []


def test_move_to_a_node_without_space_changes_nothing(cluster):
    res = cluster.sh("mount -t tmpfs -o size=16m tmpfs %s" % FILE_DIR,
                     node=N3)
    assert res.returncode == 0, res.stderr
    try:
        res = cluster.gnt("instance", "move", "-f", "-n", N3, INST)
        _one_line_failure(res, "Not enough disk space on target node %s"
                          % N3)
        assert "error type: insufficient_resources" in res.stderr
        assert cluster.instance_row() == [INST, N2, "running"]
        assert cluster.sh("ls -A %s" % FILE_DIR, node=N3).stdout == ""
    finally:
        cluster.sh("umount %s" % FILE_DIR, node=N3)


def test_move_onto_shared_storage_is_refused_before_the_shutdown(cluster):
    name = "impexp2." + DOMAIN
    cluster.ok("instance", "add", "-t", "sharedfile", "--disk", "0:size=16M",
               "-B", "memory=32M", "-o", "noop", "-n", N1, "--no-name-check",
               "--no-ip-check", name, timeout=300)
    try:
        res = cluster.gnt("instance", "move", "-f", "-n", N2, name)
        _one_line_failure(res, "Disk 0 of instance %s already exists on node"
                          " %s" % (name, N2))
        assert "Shutting down" not in res.stdout
        assert cluster.instance_row(name) == [name, N1, "running"]
    finally:
        cluster.ok("instance", "remove", "-f", name, timeout=300)


def test_failed_copy_cleans_the_target_and_restarts(cluster):
    # the target cannot start its import daemon
    res = cluster.sh("mkdir -p /var/run/ganeti/import-export && mount -t"
                     " tmpfs -o ro tmpfs /var/run/ganeti/import-export",
                     node=N3)
    assert res.returncode == 0, res.stderr
    try:
        res = cluster.gnt("instance", "move", "-f", "-n", N3, INST,
                          timeout=300)
    finally:
        cluster.sh("umount /var/run/ganeti/import-export", node=N3)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "Errors during disk copy" in res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    assert "Starting instance %s on node %s" % (INST, N2) in res.stdout
    assert cluster.instance_row() == [INST, N2, "running"]
    assert cluster.sh("ls -A %s" % FILE_DIR, node=N3).stdout == ""
    assert cluster.disk_sum(N2)


def test_failed_export_leaves_nothing_and_restarts(cluster):
    res = cluster.sh("mv /srv/ganeti/os/image /srv/ganeti/os-image.away",
                     node=N2)
    assert res.returncode == 0, res.stderr
    try:
        res = cluster.gnt("backup", "export", "-n", N3, INST, timeout=300)
    finally:
        cluster.sh("mv /srv/ganeti/os-image.away /srv/ganeti/os/image",
                   node=N2)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "Export failed, disks 0 could not be exported" in res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    assert cluster.instance_row() == [INST, N2, "running"]
    assert cluster.sh("ls -A %s" % EXPORT_DIR, node=N3).stdout == ""
    for node in (N2, N3):
        assert cluster.leftovers(node) == []


def test_export_keeps_the_instance_running(cluster):
    before = cluster.disk_sum(N2)
    res = cluster.ok("backup", "export", "-n", N3, INST, timeout=300)
    log = cluster.messages(res.stdout)
    assert any(_PROGRESS_RE.search(line) for line in log), "\n".join(log)
    assert cluster.instance_row() == [INST, N2, "running"]
    res = cluster.sh("cat %s/%s/config.ini; md5sum %s/%s/* | grep -v"
                     " config.ini | cut -d' ' -f1" % (
                         EXPORT_DIR, INST, EXPORT_DIR, INST), node=N3)
    assert res.returncode == 0, res.stderr
    text = res.stdout
    assert "[export]\nversion = 0\n" in text
    assert "\nos = image+default\n" in text
    assert "\ndisk_template = file\n" in text
    assert "\ndisk0_size = 64\n" in text
    assert "[os]\nmessage = hello\n" in text
    assert text.split()[-1] == before
    assert cluster.sh("ls %s" % EXPORT_DIR, node=N3).stdout.split() == [INST]
    for node in (N2, N3):
        assert cluster.leftovers(node) == []


def test_list_shows_the_export(cluster):
    res = cluster.ok("backup", "list")
    assert res.stdout.splitlines() == ["%s Export" % "Node".ljust(len(N3)),
                                       "%s %s" % (N3, INST)]
    res = cluster.ok("backup", "list", "--no-headers", "-n", N1)
    assert res.stdout == ""
    res = cluster.ok("backup", "list-fields")
    assert res.stdout.split("\n")[0].split() == ["Name", "Type", "Title",
                                                 "Description"]


def test_export_again_replaces_it_and_removes_the_instance(cluster):
    before = cluster.disk_sum(N2)
    cluster.ok("backup", "export", "-n", N1, "--remove-instance", INST,
               timeout=300)
    assert cluster.instance_row() in (None, [""])
    assert cluster.disk_sum(N2) is None
    # the older export on node3 is gone, the new one on node1 is complete
    assert cluster.sh("ls -A %s" % EXPORT_DIR, node=N3).stdout == ""
    res = cluster.sh("md5sum %s/%s/* | grep -v config.ini | cut -d' ' -f1"
                     % (EXPORT_DIR, INST), node=N1)
    assert res.stdout.split() == [before]


def test_import_of_an_export_whose_os_is_missing_fails_cleanly(cluster):
    res = cluster.sh("mv /srv/ganeti/os/image /srv/ganeti/os-image.away",
                     node=N3)
    assert res.returncode == 0, res.stderr
    try:
        res = cluster.gnt("backup", "import", "-n", N3, "--src-node", N1,
                          "--no-name-check", "--no-ip-check", INST)
        _one_line_failure(res, "OS 'image+default' not in supported OS list"
                          " for node %s" % N3)
        assert cluster.instance_row() in (None, [""])
        assert cluster.sh("ls -A %s" % FILE_DIR, node=N3).stdout == ""
    finally:
        cluster.sh("mv /srv/ganeti/os-image.away /srv/ganeti/os/image",
                   node=N3)


def test_import_restores_the_instance(cluster):
    res = cluster.sh("md5sum %s/%s/* | grep -v config.ini | cut -d' ' -f1"
                     % (EXPORT_DIR, INST), node=N1)
    exported = res.stdout.split()[0]
    res = cluster.ok("backup", "import", "-n", N2, "--no-name-check",
                     "--no-ip-check", INST, timeout=300)
    assert "* running the instance OS import scripts..." in \
        cluster.messages(res.stdout)
    assert cluster.disk_sum(N2) == exported
    assert cluster.instance_row() == [INST, N2, "ADMIN_down"]
    config = cluster.config()
    (imported,) = [i for i in config["instances"].values()
                   if i["name"] == INST]
    assert imported["osparams"] == {"message": "hello"}
    assert imported["os"] == "image+default"
    cluster.ok("instance", "startup", INST)
    assert cluster.instance_row() == [INST, N2, "running"]
    for node in (N1, N2):
        assert cluster.leftovers(node) == []


def test_remove_export(cluster):
    cluster.ok("backup", "remove", INST)
    assert cluster.sh("ls -A %s" % EXPORT_DIR, node=N1).stdout == ""
    assert cluster.ok("backup", "list", "--no-headers").stdout == ""
    res = cluster.ok("backup", "remove", "gone")
    assert "Export not found." in res.stdout + res.stderr


def test_cleanup(cluster):
    cluster.ok("instance", "remove", "-f", INST, timeout=300)
