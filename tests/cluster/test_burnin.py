"""burnin (tools/burnin) on a 3-node testbed cluster with the fake
hypervisor: 3 instances on file (with --rename) and on sharedfile (failover
and migrate included), serially and with -p (placed by the iallocator);
each run exits 0 and leaves nothing behind (no instance in the
configuration, no disk file on any node).
Bad input (an unknown OS, a disk template the cluster does not enable)
fails with one line before anything is created.

The cluster's default iallocator is examples/iallocators/free-mem (failover
and migration of sharedfile instances pick their target node with it).
VCLUSTER_LAB / VCLUSTER_STATE are honoured.
"""

import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PY = sys.executable
BURNIN = os.path.join(REPO, "tools", "burnin")
DOMAIN = "example.test"
NODES = ",".join("node%d.%s" % (i, DOMAIN) for i in (1, 2, 3))
ALLOCATOR = os.path.join(REPO, "examples", "iallocators", "free-mem")
OS_SRC = os.path.join(REPO, "examples", "os")
STORAGE = ("/srv/ganeti/file-storage", "/srv/ganeti/shared-file-storage")
RENAME = "brenamed." + DOMAIN
SIZES = ["--disk-size", "64M", "--disk-growth", "16M", "--mem-size", "64M"]


def _names(prefix):
    return ["%s%d.%s" % (prefix, i, DOMAIN) for i in (1, 2, 3)]


class _Checks:
    def burnin(self, *args, timeout=600):
        return self.vc.exec("node1", PY, BURNIN, *args, timeout=timeout)

    def jobs(self):
        """The summaries of the jobs in the queue, "id summary" each."""
        res = self.ok("job", "list", "--no-headers", "-o", "id,summary")
        return res.stdout.splitlines()

    def leftovers(self):
        """Instances in the configuration and files below the disk
        directories of every node."""
        found = sorted(i["name"] for i in
                       (self.config().get("instances") or {}).values())
        for node in self.nodes:
            res = self.sh("find %s -mindepth 1" % " ".join(STORAGE),
                          node=node.split(".")[0])
            found += res.stdout.split()
        return found


def _install_oses(cluster):
    for node in cluster.nodes:
        res = cluster.sh("mkdir -p /srv/ganeti/os && cp -r %s/noop"
                         " /srv/ganeti/os/" % OS_SRC,
                         node=node.split(".")[0])
        assert res.returncode == 0, res.stderr


@pytest.fixture(scope="module")
def cluster(make_cluster, node_add_available):
    if not node_add_available:
        pytest.skip("needs gnt-node add (3 nodes)")
    return make_cluster(3, init_opts=["-I", ALLOCATOR],
                        prepare=_install_oses, helpers=_Checks)


def _ok(res):
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    return res.stdout.splitlines()


def _steps(lines):
    return [l for l in lines if l.startswith("- ")]


@pytest.mark.parametrize("args,error", [
    (["-o", "nosuch", "-t", "file"], "OS 'nosuch' not found"),
    (["-o", "noop", "-t", "plain"],
     "Disk template 'plain' is not enabled in cluster. Enabled disk"
     " templates are: file,sharedfile,diskless"),
])
def test_bad_input_creates_nothing(cluster, args, error):
    before = cluster.jobs()
    res = cluster.burnin(*(args + ["bad1." + DOMAIN]))
    assert res.returncode == 1, res.stdout + res.stderr
    assert res.stderr == error + "\n"
    assert res.stdout == ""
    assert cluster.leftovers() == []
    # at most the OS query was submitted
    new = [l.split(None, 1)[1] for l in cluster.jobs() if l not in before]
    assert new in ([], ["OS_DIAGNOSE"]), new


def test_file_serial(cluster):
    names = _names("bf")
    lines = _ok(cluster.burnin("-o", "noop", "-t", "file", "-n", NODES,
                               "--rename", RENAME, *(SIZES + names)))
    assert lines[:8] == [
        "- Testing global parameters", "- Creating instances",
        "  * instance " + names[0], "    on node1." + DOMAIN,
        "  * instance " + names[1], "    on node2." + DOMAIN,
        "  * instance " + names[2], "    on node3." + DOMAIN]
    steps = _steps(lines)
    assert "- Skipping migration (disk template file does not support" \
        " it)" in steps
    for step in ("- Stopping and starting instances", "- Growing disks",
                 "- Moving instances", "- Reinstalling instances", "- Rebooting instances",
                 "- Renaming the instances to their own name",
                 "- Checking confd results", "- Adding and removing NICs",
                 "- Activating/deactivating disks",
                 "- Adding and removing disks", "- Removing instances"):
        assert step in steps, lines
    assert "- Failing over instances" not in steps
    assert lines[lines.index("- Checking confd results") + 1:][:3] == [
        "  * Ping: OK", "  * Master: OK", "  * Node role for master: OK"]
    at = lines.index("- Renaming instances")
    assert lines[at + 1:at + 3] == ["  * instance " + names[0],
                                    "    rename to %s and back" % RENAME]
    assert cluster.leftovers() == []


def test_sharedfile_serial_with_failover_and_migrate(cluster):
    names = _names("bs")
    lines = _ok(cluster.burnin("-o", "noop", "-t", "sharedfile", "-n",
                               NODES, "--no-add-disks",
                               *(SIZES + names)))
    steps = _steps(lines)
    assert steps.index("- Failing over instances") < \
        steps.index("- Migrating instances")
    at = lines.index("- Migrating instances")
    assert lines[at + 1:at + 3] == ["  * instance " + names[0],
                                    "    migration and migration cleanup"]
    assert steps[-1] == "- Removing instances"
    assert cluster.leftovers() == []


def test_parallel(cluster):
    names = _names("bp")
    lines = _ok(cluster.burnin("-p", "-o", "noop", "-t", "sharedfile", "-I",
                               ALLOCATOR, "--reboot-types", "hard",
                               *(SIZES + names)))
    assert lines[2:4] == ["  * instance " + names[0],
                          "    with iallocator " + ALLOCATOR]
    at = lines.index("- Rebooting instances")
    assert lines[at + 1:at + 3] == ["  * instance " + names[0],
                                    "    reboot with type 'hard'"]
    submitted = [l for l in lines if l.startswith("Submitted jobs ")]
    assert len(submitted) >= 10
    assert len(submitted[0].split(",")) == 3
    waits = [l for l in lines if l.startswith("Waiting for job ")]
    assert any(l.endswith(" for %s ..." % names[2]) for l in waits)
    assert "- Migrating instances" in lines
    assert cluster.leftovers() == []


