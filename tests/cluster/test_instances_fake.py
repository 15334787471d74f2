"""Fake-hypervisor instances on the testbed: gnt-instance add (file,
sharedfile, diskless), list, info, shutdown/startup/reboot, modify,
console, rename, reinstall, grow-disk, remove, hooks, bad input, and with
several nodes migrate, failover, the iallocator and gnt-node migrate.

One lab (3 nodes when gnt-node add works, else 1) for the module; the
cluster is created on node1.  VCLUSTER_LAB / VCLUSTER_STATE are honoured.
Outputs are compared with upstream 3.0's (tests/data/reference/upstream-3.0).
"""

import json
import os
import re
import shlex
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PY = sys.executable
DOMAIN = "example.test"
N1, N2, N3 = ("node%d.%s" % (i, DOMAIN) for i in (1, 2, 3))
ALLOCATOR = os.path.join(REPO, "examples", "iallocators", "free-mem")
OS_SRC = os.path.join(REPO, "examples", "os")
FILE_DIR = "/srv/ganeti/file-storage"
_TIME_RE = re.compile(r"^\w{3} \w{3} +\d+ [\d:]+ \d{4} ")
# Names of upstream's reference cluster -> ours.
_REF_NAMES = [("anchor-noop+default", "noop"), ("anchor-noop+minimal", "noop"),
              ("anchor-node1.ganeti.test", N1), (".ganeti.test", "." + DOMAIN)]


def inst(n):
    return "inst%d.%s" % (n, DOMAIN)


def _reference(cluster, name):
    """Upstream's output with its names replaced by ours, times cut."""
    out = []
    for line in cluster.reference(name):
        for old, new in _REF_NAMES:
            line = line.replace(old, new)
        out.append(_TIME_RE.sub("", line))
    return out


def _cells(lines):
    """Table lines as lists of cells (names differ from the reference's,
    so do the column widths)."""
    return [l.split() for l in lines]


def _steps(text):
    return [_TIME_RE.sub("", l) for l in text.splitlines()]


class _Checks:
    def tty(self, command, *args, answer="y"):
        """Run with a terminal answering a confirmation question."""
        cmd = " ".join(shlex.quote(a) for a in
                       [PY, os.path.join(REPO, "scripts", "gnt-" + command)]
                       + list(args))
        return self.vc.exec("node1", "script", "-qec", cmd, "/dev/null",
                            input=answer + "\n", timeout=180)

    def files(self, node="node1", top=FILE_DIR):
        res = self.sh("cd %s && find . -mindepth 1 | sort" % top, node=node)
        return [l[2:] for l in res.stdout.split()]

    def instances(self):
        res = self.ok("instance", "list", "--no-headers", "-o", "name")
        return res.stdout.split()

    def add(self, name, *args, node=N1, template="file"):
        return self.gnt("instance", "add", "-n", node, "-t", template,
                        "-o", "noop", "--no-name-check", *(args + (name,)))


def _install_oses(cluster):
    """The dummy OS definitions on every node."""
    for node in cluster.nodes:
        res = cluster.sh("mkdir -p /srv/ganeti/os && cp -r %s/noop %s/image"
                         " /srv/ganeti/os/" % (OS_SRC, OS_SRC), node=node)
        assert res.returncode == 0, res.stderr


@pytest.fixture(scope="module")
def cluster(make_cluster, node_add_available):
    return make_cluster(3 if node_add_available else 1,
                        prepare=_install_oses, helpers=_Checks)


def _one_failure(res, text):
    assert res.returncode == 1, (res.returncode, res.stdout, res.stderr)
    assert text in res.stderr, res.stderr
    assert "Traceback" not in res.stderr + res.stdout


def _multi(cluster):
    if len(cluster.nodes) < 3:
        pytest.skip("needs gnt-node add (3 nodes)")


# ------------------------------------------------------------------ add

def test_add_file_instance(cluster):
    res = cluster.add(inst(1), "--disk", "0:size=64M", "-B", "memory=128M")
    assert res.returncode == 0, res.stdout + res.stderr
    assert _steps(res.stdout) == \
        _reference(cluster, "ops/15-instance-add-inst1.txt")
    files = cluster.files()
    assert files[0] == inst(1) and len(files) == 2
    assert re.match(r"^%s/[0-9a-f-]{36}\.file\.disk0$" % re.escape(inst(1)),
                    files[1])


def test_add_more_instances(cluster):
    res = cluster.add(inst(2), "--disk", "0:size=32M", "--disk",
                      "1:size=16M", "-B", "memory=64M,vcpus=2")
    assert res.returncode == 0, res.stderr
    assert _steps(res.stdout) == \
        _reference(cluster, "ops/16-instance-add-inst2.txt")
    res = cluster.add(inst(3), "--disk", "0:size=32M", "-B", "memory=64M",
                      "--no-start", template="sharedfile")
    assert res.returncode == 0, res.stderr
    assert _steps(res.stdout) == [
        l.replace("inst3", "inst3") for l in
        _reference(cluster,
                   "ops/17-instance-add-inst3-sharedfile-nostart.txt")]
    res = cluster.add(inst(4), "-B", "memory=32M", "--submit",
                      template="diskless")
    assert res.returncode == 0, res.stderr
    match = re.match(r"^JobID: (\d+)$", res.stderr.strip())
    assert match, res.stderr
    res = cluster.ok("job", "watch", match.group(1))
    ref = _reference(cluster, "ops/19-job-wait-inst4.txt")
    assert _steps(res.stdout)[2:] == ref[2:]


def test_list(cluster):
    res = cluster.ok("instance", "list")
    assert _cells(res.stdout.splitlines()) == \
        _cells(_reference(cluster, "ops/20-instance-list.txt"))
    res = cluster.ok("instance", "list", "--no-headers", "--separator=|",
                     "-o", "name,status,oper_ram,disk_usage")
    assert res.stdout.splitlines() == \
        _reference(cluster, "ops/22-instance-list-json-like.txt")
    fields = ("name,os,pnode,snodes,admin_state,oper_state,status,"
              "disk_template,disk.sizes,be/memory,be/vcpus,nic.macs,"
              "nic.modes,nic.links,network_port,ctime,mtime,uuid,tags")
    res = cluster.ok("instance", "list", "-o", fields)
    ours = res.stdout.splitlines()
    ref = _reference(cluster, "ops/21-instance-list-wide.txt")
    assert ours[0].split() == ref[0].split()
    varying = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$|^[\d-]{10}$|"
                         r"^[\d:]{8}$|^[0-9a-f-]{36}$|^gntbr0$|^xen-br0$")
    assert len(ours) == len(ref)
    for mine, theirs in zip(ours[1:], ref[1:]):
        # same values except MACs, times, UUIDs and the bridge
        assert [c for c in mine.split() if not varying.match(c)] == \
            [c for c in theirs.split() if not varying.match(c)]


def test_info(cluster):
    res = cluster.ok("instance", "info", inst(1))
    ours = res.stdout.splitlines()
    ref = _reference(cluster, "ops/23-instance-info-inst1.txt")
    assert [l.split(":")[0] for l in ours] == [l.split(":")[0] for l in ref]
    for line in ("  State: configured to be up, actual state is up",
                 "  Disk template: file", "    maxmem: 128",
                 "    memory: default (128)", "  Serial number: 3"):
        assert line in ours
    assert any(l.startswith("      on primary: %s/%s/" % (FILE_DIR, inst(1)))
               and l.endswith(" (N/A:N/A)") for l in ours)
    res = cluster.ok("instance", "info", "--static", inst(3))
    ours = res.stdout.splitlines()
    ref = _reference(cluster, "ops/24-instance-info-static-inst3.txt")
    assert [l.split(":")[0] for l in ours] == [l.split(":")[0] for l in ref]
    assert "  State: configured to be down" in ours
    assert "  Serial number: 2" in ours
    res = cluster.gnt("instance", "info")
    assert res.returncode == 1 and "--all" in res.stderr


def test_shutdown_startup_reboot(cluster):
    res = cluster.ok("instance", "shutdown", inst(1))
    assert re.match(r"^Waiting for job \d+ for %s \.\.\.$" % inst(1),
                    res.stdout.strip())
    res = cluster.ok("instance", "list")
    assert _cells(res.stdout.splitlines()) == \
        _cells(_reference(cluster, "ops/26-instance-list-after-shutdown.txt"))
    res = cluster.ok("instance", "startup", inst(1))
    assert re.match(r"^Waiting for job \d+ for %s \.\.\.$" % inst(1),
                    res.stdout.strip())
    res = cluster.ok("instance", "reboot", inst(2))
    assert re.match(r"^Waiting for job \d+ for %s \.\.\.$" % inst(2),
                    res.stdout.strip())
    res = cluster.ok("instance", "list", "--no-headers", "-o", "status",
                     inst(1), inst(2))
    assert res.stdout.split() == ["running", "running"]


def test_modify_memory_and_console(cluster):
    res = cluster.ok("instance", "modify", "-B", "memory=96M", inst(2))
    assert res.stdout.splitlines() == \
        _reference(cluster, "ops/29-instance-modify-inst2.txt")
    res = cluster.ok("instance", "console", "--show-cmd", inst(1))
    assert res.stdout.splitlines() == \
        _reference(cluster, "ops/30-instance-console-inst1.txt")
    # the new memory applies from the next start (upstream restarted inst2
    # through RAPI before its final listing)
    cluster.ok("instance", "shutdown", inst(2))
    cluster.ok("instance", "startup", inst(2))
    res = cluster.ok("instance", "list")
    assert _cells(res.stdout.splitlines()) == \
        _cells(_reference(cluster, "ops/68-instance-list-final.txt"))


def test_failing_pre_hook_blocks_startup(cluster):
    cluster.ok("instance", "shutdown", inst(4))
    hookdir = "/etc/ganeti/hooks/instance-start-pre.d"
    res = cluster.sh("mkdir -p %s && printf '#!/bin/sh\\necho no start\\n"
                     "exit 1\\n' > %s/50-deny && chmod 755 %s/50-deny"
                     % (hookdir, hookdir, hookdir))
    assert res.returncode == 0
    try:
        res = cluster.gnt("instance", "startup", inst(4))
        _one_failure(res, "Failure: hooks execution failed:\n  node: %s,"
                     " script: instance-start-pre.d/50-deny, output: no"
                     " start" % N1)
        res = cluster.ok("instance", "list", "--no-headers", "-o", "status",
                         inst(4))
        assert res.stdout.strip() == "ADMIN_down"
    finally:
        cluster.sh("rm -rf %s" % hookdir)
    cluster.ok("instance", "startup", inst(4))


def test_rename_and_reinstall(cluster):
    cluster.ok("instance", "shutdown", inst(1))
    res = cluster.tty("instance", "rename", "--no-name-check", inst(1),
                      inst(9))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Instance '%s' renamed to '%s'" % (inst(1), inst(9)) in res.stdout
    files = cluster.files()
    assert inst(9) in files and inst(1) not in files
    res = cluster.ok("instance", "reinstall", "-f", inst(9))
    assert "Running the instance OS create scripts..." in res.stdout
    res = cluster.tty("instance", "rename", "--no-name-check", inst(9),
                      inst(1))
    assert res.returncode == 0, res.stdout + res.stderr
    cluster.ok("instance", "startup", inst(1))


def test_modify_disks_nics_and_grow(cluster):
    name = inst(2)
    before = set(cluster.files(node="node1" if len(cluster.nodes) == 1
                               else "node1"))
    res = cluster.ok("instance", "modify", "--disk", "add:size=8M", "--net",
                     "add", name)
    assert " - disk/2 -> add:size=8,mode=rw" in res.stdout.splitlines()
    assert any(l.startswith(" - nic.1 -> add:mac=aa:00:00:")
               for l in res.stdout.splitlines())
    res = cluster.ok("instance", "list", "--no-headers", "-o",
                     "disk.sizes,nic.count", name)
    assert res.stdout.split() == ["32,16,8", "2"]
    added = [f for f in cluster.files() if f not in before]
    assert len(added) == 1 and added[0].endswith(".file.disk2")
    cluster.ok("instance", "shutdown", name)
    res = cluster.ok("instance", "modify", "--disk", "2:remove", "--net",
                     "1:remove", name)
    assert res.stdout.splitlines()[1:3] == [" - disk/2 -> remove",
                                            " - nic.1 -> remove"]
    assert set(cluster.files()) == before
    res = cluster.ok("instance", "grow-disk", name, "1", "16M")
    assert "Growing disk 1 of instance '%s' by 16M to 32M" % name in \
        _steps(res.stdout)
    res = cluster.ok("instance", "list", "--no-headers", "-o",
                     "disk.sizes,nic.count", name)
    assert res.stdout.split() == ["32,32", "1"]
    cluster.ok("instance", "startup", name)


# ------------------------------------------------------------------ errors

def _nothing_left(cluster, name):
    assert name not in cluster.instances()
    assert name not in json.dumps(cluster.config())
    assert not [f for f in cluster.files() if f.startswith(name)]


def test_failing_os_create_leaves_nothing(cluster):
    name = inst(7)
    res = cluster.add(name, "--disk", "0:size=16M", "--disk", "1:size=8M",
                      "-O", "fail=create")
    _one_failure(res, "Failure: command execution error:\nCould not add os"
                 " for instance %s on node %s: " % (name, N1))
    assert "* running the instance OS create scripts..." in _steps(res.stdout)
    _nothing_left(cluster, name)
    res = cluster.gnt("instance", "info", name)
    _one_failure(res, "Instance '%s' not known" % name)


@pytest.mark.parametrize("args,template,message", [
    (["-o", "nosuchos"], "file",
     "OS 'nosuchos' not in supported OS list for node %s" % N1),
    (["-o", "image+nosuch"], "file", "Unsupported OS variant"),
    (["-o", "image"], "file", "OS name must include a variant"),
    (["-o", "noop+x"], "file", "OS 'noop' doesn't support variants ('x'"
     " passed)"),
    ([], "plain", "Disk template 'plain' is not enabled in cluster. Enabled"
     " disk templates are: file,sharedfile,diskless"),
    (["--disk", "0:size=4096G", "--ignore-ipolicy"], "file",
     "error type: insufficient_resources, error details:\nNot enough disk"
     " space on target node %s" % N1),
    (["--disk", "0:size=4096G"], "file",
     " (default) violates policy: disk-size/0 value 4194304 is not in range"
     " [0, 1048576]"),
    (["-B", "vcpus=9,memory=40G"], "file",
     " (default) violates policy: memory-size value 40960 is not in range"
     " [4, 32768], cpu-count value 9 is not in range [1, 8]"),
])
def test_add_bad_input(cluster, args, template, message):
    name = inst(8)
    cmd = ["add", "-n", N1, "-t", template, "--no-name-check"]
    if "--disk" not in args:
        cmd += ["--disk", "0:size=16M"]
    if "-o" not in args:
        cmd += ["-o", "noop"]
    res = cluster.gnt("instance", *(cmd + args + [name]))
    _one_failure(res, message)
    _nothing_left(cluster, name)


def test_add_existing_name(cluster):
    res = cluster.add(inst(1), "--disk", "0:size=16M")
    _one_failure(res, "error type: already_exists, error details:\nInstance"
                 " '%s' is already in the cluster" % inst(1))
    assert cluster.instances().count(inst(1)) == 1


def test_name_check_needs_resolvable_name(cluster):
    res = cluster.gnt("instance", "add", "-n", N1, "-t", "diskless", "-o",
                      "noop", "noname")
    _one_failure(res, "Failure: can't resolve hostname 'noname'")
    assert "noname" not in cluster.instances()


def test_migrate_file_instance_refused(cluster):
    res = cluster.gnt("instance", "migrate", "-f", inst(1))
    _one_failure(res, "error type: wrong_state, error details:\nInstance's"
                 " disk layout 'file' does not allow migrations")
    res = cluster.gnt("instance", "failover", "-f", inst(1))
    _one_failure(res, "Instance's disk layout 'file' does not allow"
                 " failovers")


def test_offline_primary_node_refused(cluster):
    _multi(cluster)
    cluster.ok("node", "modify", "-O", "yes", N3)
    try:
        res = cluster.add(inst(8), "--disk", "0:size=16M", node=N3)
        _one_failure(res, "error type: wrong_state, error details:\nCan't use"
                     " offline node %s" % N3)
        _nothing_left(cluster, inst(8))
    finally:
        cluster.ok("node", "modify", "-O", "no", N3)


# ------------------------------------------------------------------ moving

def test_migrate_and_failover_sharedfile(cluster):
    _multi(cluster)
    name = inst(3)
    cluster.ok("instance", "startup", name)
    res = cluster.ok("instance", "migrate", "-f", "-n", N2, name)
    ref = [l.replace("instance2", name).replace("node3", N1)
           .replace("node2", N2) for l in
           _reference(cluster, "vcluster/07-instance-migrate-sharedfile.txt")]
    # ours names the target explicitly: no iallocator line
    assert _steps(res.stdout) == ref[1:13]
    res = cluster.ok("instance", "failover", "-f", "-n", N3, name)
    ref = [l.replace("instance2", name).replace("node3", N3)
           .replace("node2", N2) for l in
           _reference(cluster, "vcluster/08-instance-failover-sharedfile.txt")]
    assert _steps(res.stdout) == ref[1:8]
    res = cluster.ok("instance", "list", "--no-headers", "-o",
                     "pnode,status", name)
    assert res.stdout.split() == [N3, "running"]


def test_iallocator_and_node_migrate(cluster):
    _multi(cluster)
    name = inst(5)
    res = cluster.gnt("instance", "add", "-I", ALLOCATOR, "-t", "sharedfile",
                      "--disk", "0:size=16M", "-B", "memory=32M", "-o",
                      "noop", "--no-name-check", name)
    assert res.returncode == 0, res.stdout + res.stderr
    line = _steps(res.stdout)[0]
    match = re.match(r"^ - INFO: Selected nodes for instance %s via"
                     r" iallocator %s: (\S+)$" % (re.escape(name),
                                                   re.escape(ALLOCATOR)),
                     line)
    assert match, line
    node = match.group(1)
    res = cluster.ok("node", "migrate", "-f", "-I", ALLOCATOR, node)
    assert "All instances migrated successfully." in res.stdout
    res = cluster.ok("instance", "list", "--no-headers", "-o", "pnode",
                     name)
    assert res.stdout.strip() != node
    res = cluster.ok("node", "failover", "-f", "-I", ALLOCATOR,
                     res.stdout.strip())
    assert "instance(s) failed over successfully." in res.stdout


# ---------------------------------------------------------- instance policy

def test_cluster_ipolicy_options(cluster):
    cluster.ok("cluster", "modify", "--ipolicy-vcpu-ratio", "3",
               "--ipolicy-std-specs", "disk-size=512M")
    try:
        info = cluster.ok("cluster", "info").stdout.splitlines()
        start = info.index("Instance policy - limits for instances: ")
        policy = [l.strip() for l in info[start:]]
        assert "vcpu-ratio: 3" in policy
        std = policy.index("std:")
        assert "disk-size: 512" in policy[std:std + 7]
        line = cluster.ok("cluster", "show-ispecs-cmd").stdout.strip()
        assert line == (
            "gnt-cluster init --ipolicy-std-specs cpu-count=1,disk-count=1,"
            "disk-size=512,memory-size=128,nic-count=1,spindle-use=1"
            " --ipolicy-bounds-specs min:cpu-count=1,disk-count=0,"
            "disk-size=0,memory-size=4,nic-count=0,spindle-use=0/max:"
            "cpu-count=8,disk-count=16,disk-size=1048576,memory-size=32768,"
            "nic-count=8,spindle-use=12 cluster.%s" % DOMAIN)
        res = cluster.gnt("cluster", "modify", "--ipolicy-disk-templates",
                          "file,plain")
        _one_failure(res, "The following disk templates are allowed by the"
                     " ipolicy, but not enabled on the cluster: plain")
    finally:
        cluster.ok("cluster", "modify", "--ipolicy-vcpu-ratio", "4",
                   "--ipolicy-std-specs", "disk-size=1024")


def test_instance_policy_of_another_group(cluster):
    _multi(cluster)
    name = inst(9)
    cluster.ok("instance", "add", "-n", N1, "-t", "sharedfile", "-o", "noop",
               "--no-name-check", "--disk", "0:size=32M", "-B", "memory=32M",
               name)
    cluster.ok("group", "add", "--ipolicy-bounds-specs",
               "min:cpu-count=1,disk-count=0,disk-size=0,memory-size=4,"
               "nic-count=0,spindle-use=0/max:cpu-count=8,disk-count=16,"
               "disk-size=16,memory-size=32768,nic-count=8,spindle-use=12",
               "small")
    try:
        cluster.ok("group", "assign-nodes", "--force", "small", N3)
        uuid = cluster.ok("group", "list", "--no-headers", "-o", "uuid",
                          "small").stdout.strip()
        violation = "disk-size/0 value 32 is not in range [0, 16]"
        res = cluster.gnt("instance", "migrate", "-f", "-n", N3, name)
        _one_failure(res, "Instance does not meet target node group's (%s)"
                     " instance policy: %s" % (uuid, violation))
        res = cluster.add(inst(10), "--disk", "0:size=32M", node=N3,
                          template="sharedfile")
        _one_failure(res, "Instance allocation to group %s (small) violates"
                     " policy: %s" % (uuid, violation))
        res = cluster.ok("instance", "failover", "-f", "--ignore-ipolicy",
                         "-n", N3, name)
        assert "Instance does not meet target node group's (%s) instance" \
            " policy: %s" % (uuid, violation) in res.stdout + res.stderr
        res = cluster.ok("instance", "list", "--no-headers", "-o", "pnode",
                         name)
        assert res.stdout.strip() == N3
    finally:
        cluster.gnt("group", "assign-nodes", "--force", "default", N3)
        cluster.gnt("group", "remove", "small")


# ------------------------------------------------------------------ misc

def test_tags_and_verify(cluster):
    cluster.ok("instance", "add-tags", inst(1), "web", "prod")
    res = cluster.ok("instance", "list-tags", inst(1))
    assert res.stdout.split() == ["prod", "web"]
    cluster.ok("instance", "remove-tags", inst(1), "prod")
    res = cluster.ok("instance", "list", "--no-headers", "-o", "tags",
                     inst(1))
    assert res.stdout.strip() == "web"
    res = cluster.gnt("cluster", "verify", "--ignore-errors=ENODESETUP",
                      timeout=400)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "* Verifying instance status" in _steps(res.stdout)
    assert not [l for l in _steps(res.stdout) if "ERROR" in l]


# ------------------------------------------------------------------ remove

def test_remove_everything(cluster):
    for name in cluster.instances():
        res = cluster.ok("instance", "remove", "-f", name)
        assert " - INFO: Removing instance %s out of cluster config" % name \
            in _steps(res.stdout)
    assert cluster.instances() == []
    config = cluster.config()
    assert config["instances"] == {} and config["disks"] == {}
    for node in cluster.nodes:
        short = node.split(".")[0]
        assert cluster.files(node=short) == []
        assert cluster.files(node=short,
                             top="/srv/ganeti/shared-file-storage") == []
