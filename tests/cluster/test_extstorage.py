"""The ext disk template on the testbed with the example ExtStorage
provider (examples/extstorage/sharedfile: volumes are files in the lab's
shared directory, attached as loop devices): gnt-storage diagnose/info,
instance create, grow, migrate, failover and remove, provider parameters
(per disk and at cluster level) and bad input.

One 3-node lab for the module; VCLUSTER_LAB / VCLUSTER_STATE honoured.
"""

import json
import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOMAIN = "example.test"
N1, N2, N3 = ("node%d.%s" % (i, DOMAIN) for i in (1, 2, 3))
PROVIDER_SRC = os.path.join(REPO, "examples", "extstorage", "sharedfile")
PROVIDER_DIR = "/srv/ganeti/extstorage/sharedfile"
SHARED = "/srv/ganeti/shared-file-storage"
VOLUMES = SHARED + "/extstorage-sharedfile"
OTHER_VOLUMES = SHARED + "/extstorage-other"
MIB = 1024 * 1024
INST = "ext1." + DOMAIN


class _Checks:
    def volumes(self, top=VOLUMES):
        """{file name: size in bytes} of the shared volume directory."""
        res = self.sh("cd %s && for f in *; do [ -e \"$f\" ] &&"
                      " echo \"$f $(stat -c %%s \"$f\")\"; done; true" % top)
        assert res.returncode == 0, res.stderr
        return dict((l.split()[0], int(l.split()[1]))
                    for l in res.stdout.splitlines())

    def attached(self, node):
        """Loop devices node holds (per the provider's records) whose
        backing file is a volume."""
        host = node
        res = self.sh("for r in %s/*.attached.%s %s/*.attached.%s; do"
                      " [ -f \"$r\" ] && losetup -n -O BACK-FILE \"$(cat"
                      " \"$r\")\"; done; true" % (VOLUMES, host,
                                                  OTHER_VOLUMES, host),
                      node=node)
        return sorted(os.path.basename(l.strip())
                      for l in res.stdout.splitlines() if l.strip())

    def disk_volume(self, name):
        """The volume name (logical id) of the instance's first disk."""
        config = self.config()
        (inst, ) = [i for i in config["instances"].values()
                    if i["name"] == name]
        disk = config["disks"][inst["disks"][0]]
        assert disk["dev_type"] == "ext"
        return disk["logical_id"], disk.get("params", {})

    def add_ext(self, name, disk, *args):
        return self.gnt("instance", "add", "-t", "ext", "--disk", disk,
                        "-o", "noop", "-n", N1, "--no-name-check",
                        "--no-ip-check", "-B", "memory=64M", *(args +
                                                             (name,)),
                        timeout=300)


def _prepare(cluster):
    cluster.install_os()
    for node in cluster.nodes:
        res = cluster.sh("mkdir -p /srv/ganeti/extstorage && cp -r %s %s"
                         % (PROVIDER_SRC, PROVIDER_DIR), node=node)
        assert res.returncode == 0, res.stderr
    res = cluster.sh("mkdir -p %s %s" % (VOLUMES, OTHER_VOLUMES))
    assert res.returncode == 0, res.stderr


def _DetachLeftovers(cluster):
    """Loop devices a failed test left attached (the provider's records
    say which): detached, so nothing outlives the lab."""
    for node in cluster.nodes:
        host = node
        cluster.sh("for r in %s/*.attached.%s %s/*.attached.%s; do"
                   " [ -f \"$r\" ] || continue; d=$(cat \"$r\");"
                   " f=${r%%.attached.%s};"
                   " losetup -n -O BACK-FILE \"$d\" | grep -qxF \"$f\" &&"
                   " losetup -d \"$d\"; rm -f \"$r\"; done; true"
                   % (VOLUMES, host, OTHER_VOLUMES, host, host), node=node)


@pytest.fixture(scope="module")
def cluster(make_cluster, node_add_available):
    if not node_add_available:
        pytest.skip("needs gnt-node add (3 nodes)")
    made = make_cluster(3, prepare=_prepare, helpers=_Checks, init_opts=[
        "--enabled-disk-templates=file,sharedfile,diskless,ext"])
    yield made
    for name in made.gnt("instance", "list", "--no-headers",
                         "-o", "name").stdout.split():
        made.gnt("instance", "remove", "-f", name, timeout=300)
    _DetachLeftovers(made)


def _failure(res, text):
    assert res.returncode == 1, (res.returncode, res.stdout, res.stderr)
    assert text in res.stderr, res.stderr
    assert "Traceback" not in res.stdout + res.stderr


def test_storage_diagnose_and_info(cluster):
    res = cluster.ok("storage", "diagnose")
    status = ("valid (path: %s) [parameters: dir]" % PROVIDER_DIR)
    assert res.stdout.splitlines() == [
        "Provider: sharedfile", "---"] + [
        "  Node: %s, status: %s" % (node, status) for node in cluster.nodes
    ] + ["  --", "  For nodegroup: default --> valid", ""]
    res = cluster.ok("storage", "info", "sharedfile", "nosuch")
    with open(os.path.join(PROVIDER_SRC, "parameters.list")) as handle:
        pname, pdesc = handle.read().strip().split(None, 1)
    assert res.stdout.splitlines() == [
        "sharedfile:", "  - Valid for nodegroups:", "      default",
        "  - Supported parameters:", "      %s: %s" % (pname, pdesc), "",
        "nosuch: Not Found", ""]


def test_storage_diagnose_shows_a_broken_node(cluster):
    cluster.sh("chmod a-x %s/create" % PROVIDER_DIR, node=N3)
    try:
        res = cluster.ok("storage", "diagnose")
        lines = res.stdout.splitlines()
        assert lines[4] == (
            "  Node: %s, status: invalid - File 'create' under path '%s' is"
            " not executable (path: %s) [no parameters]"
            % (N3, PROVIDER_DIR, PROVIDER_DIR))
        assert lines[-2] == "  For nodegroup: default --> invalid"
        res = cluster.ok("storage", "info")
        assert res.stdout.splitlines() == [
            "sharedfile:", "  - Invalid for all nodegroups", ""]
    finally:
        cluster.sh("chmod a+x %s/create" % PROVIDER_DIR, node=N3)


def test_ext_instance_create_grow_migrate_remove(cluster):
    res = cluster.add_ext(INST, "0:size=64M,provider=sharedfile")
    assert res.returncode == 0, res.stdout + res.stderr
    (provider, volume), params = cluster.disk_volume(INST)
    assert provider == "sharedfile" and params == {"provider": "sharedfile"}
    assert cluster.volumes()[volume] == 64 * MIB
    assert cluster.attached(N1) == [volume]
    res = cluster.ok("instance", "list", "--no-headers", "-o",
                     "pnode,status,disk_template", INST)
    assert res.stdout.split() == [N1, "running", "ext"]

    cluster.ok("instance", "grow-disk", INST, "0", "32M", timeout=300)
    assert cluster.volumes()[volume] == 96 * MIB
    res = cluster.ok("instance", "list", "--no-headers", "--units=m", "-o",
                     "disk.size/0", INST)
    assert res.stdout.split() == ["96"]

    res = cluster.ok("instance", "migrate", "-f", "-n", N2, INST,
                     timeout=300)
    assert "* unmapping instance's disks from %s" % N1 in res.stdout
    res = cluster.ok("instance", "list", "--no-headers", "-o",
                     "pnode,status", INST)
    assert res.stdout.split() == [N2, "running"]
    assert cluster.attached(N2) == [volume]
    assert cluster.attached(N1) == []

    cluster.ok("instance", "failover", "-f", "-n", N3, INST, timeout=300)
    res = cluster.ok("instance", "list", "--no-headers", "-o",
                     "pnode,status", INST)
    assert res.stdout.split() == [N3, "running"]
    assert cluster.attached(N3) == [volume]
    assert cluster.attached(N2) == []

    cluster.ok("instance", "remove", "-f", INST, timeout=300)
    assert volume not in cluster.volumes()
    assert all(cluster.attached(node) == [] for node in cluster.nodes)
    assert [f for f in cluster.volumes() if f.startswith(volume)] == []


def test_provider_parameters_per_disk_and_cluster(cluster):
    name = "ext2." + DOMAIN
    res = cluster.add_ext(name, "0:size=16M,provider=sharedfile,dir=%s"
                          % OTHER_VOLUMES, "--no-start")
    assert res.returncode == 0, res.stdout + res.stderr
    (_, volume), params = cluster.disk_volume(name)
    assert params == {"provider": "sharedfile", "dir": OTHER_VOLUMES}
    assert cluster.volumes(OTHER_VOLUMES)[volume] == 16 * MIB
    assert volume not in cluster.volumes()
    cluster.ok("instance", "remove", "-f", name, timeout=300)
    assert volume not in cluster.volumes(OTHER_VOLUMES)

    cluster.ok("cluster", "modify", "-D", "ext:dir=%s" % OTHER_VOLUMES)
    try:
        diskparams = cluster.config()["cluster"]["diskparams"]["ext"]
        assert diskparams["dir"] == OTHER_VOLUMES
        res = cluster.add_ext(name, "0:size=16M,provider=sharedfile")
        assert res.returncode == 0, res.stdout + res.stderr
        (_, volume), _ = cluster.disk_volume(name)
        assert cluster.volumes(OTHER_VOLUMES)[volume] == 16 * MIB
        cluster.ok("instance", "remove", "-f", name, timeout=300)
    finally:
        cluster.ok("cluster", "modify", "-D", "ext:dir=default")
    assert "dir" not in cluster.config()["cluster"]["diskparams"]["ext"]


def test_ext_bad_input(cluster):
    name = "bad." + DOMAIN
    before = cluster.volumes()
    _failure(cluster.add_ext(name, "0:size=16M"),
             "Missing provider for template 'ext'")
    res = cluster.gnt("instance", "add", "-t", "file", "--disk",
                      "0:size=16M,provider=sharedfile", "-o", "noop", "-n",
                      N1, "--no-name-check", "--no-ip-check", name)
    _failure(res, "The 'provider' option is only valid for the ext disk"
             " template, not file")
    _failure(cluster.add_ext(name, "0:size=16M,provider=nosuch"),
             "Directory for External Storage Provider nosuch not found in"
             " search path")
    _failure(cluster.add_ext(name, "0:size=16M,provider=sharedfile,"
                             "colour=blue"), "Unknown parameter 'COLOUR'")
    res = cluster.ok("instance", "list", "--no-headers", "-o", "name")
    assert name not in res.stdout.split()
    assert cluster.volumes() == before
    assert json.dumps(cluster.config()["disks"]).count('"ext"') == 0
