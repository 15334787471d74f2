"""gnt-instance change-group and gnt-group evacuate between two node
groups on the testbed, through upstream's hail (Debian's
ganeti-htools-3.0): sharedfile, ext (example provider) and diskless
instances move, file instances are refused as hail refuses them.

One 4-node lab: node1 and node2 stay in "default", node3 and node4 form
"g2" (hail's N+1 checks want two nodes in every group).
"""

import pytest

from ganeti import iallocator

from test_extstorage import _DetachLeftovers, _prepare as _install

DOMAIN = "example.test"
N1, N2, N3, N4 = ("node%d.%s" % (i, DOMAIN) for i in (1, 2, 3, 4))


class _Checks:
    def add(self, name, template, *disk):
        res = self.gnt("instance", "add", "-t", template, *disk, "-o",
                       "noop", "-n", N1, "--no-name-check", "--no-ip-check",
                       "-B", "memory=32M", name, timeout=300)
        assert res.returncode == 0, res.stdout + res.stderr

    def where(self, name):
        """(primary node, group, status) of an instance."""
        res = self.ok("instance", "list", "--no-headers", "--separator=|",
                      "-o", "pnode,pnode.group,status", name)
        return tuple(res.stdout.strip().split("|"))


@pytest.fixture(scope="module")
def cluster(make_cluster, node_add_available):
    if not node_add_available:
        pytest.skip("needs gnt-node add (4 nodes)")
    if iallocator._FindScript("hail") is None:  # pylint: disable=W0212
        pytest.skip("hail is not installed (ganeti-htools-3.0)")
    made = make_cluster(4, prepare=_install, helpers=_Checks, init_opts=[
        "--enabled-disk-templates=file,sharedfile,diskless,ext"])
    made.ok("group", "add", "g2")
    made.ok("group", "assign-nodes", "g2", N3, N4)
    yield made
    for name in made.gnt("instance", "list", "--no-headers",
                         "-o", "name").stdout.split():
        made.gnt("instance", "remove", "-f", name, timeout=300)
    _DetachLeftovers(made)


def _name(short):
    return "%s.%s" % (short, DOMAIN)


def test_change_group_moves_a_sharedfile_instance(cluster):
    name = _name("shared1")
    cluster.add(name, "sharedfile", "--disk", "0:size=16M")
    assert cluster.where(name) == (N1, "default", "running")
    res = cluster.ok("instance", "change-group", "-I", "hail", "--to", "g2",
                     name, timeout=300)
    assert res.stdout.splitlines()[-1] == \
        "Instance '%s' changed group successfully." % name
    node, group, status = cluster.where(name)
    assert node in (N3, N4) and (group, status) == ("g2", "running")
    res = cluster.gnt("instance", "change-group", "-I", "hail", "--to", "g2",
                      name)
    assert res.returncode == 1, res.stdout + res.stderr
    assert ("Can't use group(s) 'g2' as targets, they are used by the"
            " instance '%s'" % name) in res.stderr
    cluster.ok("instance", "remove", "-f", name, timeout=300)


def test_change_group_refuses_a_file_instance(cluster):
    name = _name("file1")
    cluster.add(name, "file", "--disk", "0:size=16M")
    res = cluster.gnt("instance", "change-group", "-I", "hail", name,
                      timeout=300)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "Unable to evacuate instances %s" % name in res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    assert cluster.where(name) == (N1, "default", "running")
    cluster.ok("instance", "remove", "-f", name, timeout=300)


def test_group_evacuate_moves_ext_and_diskless_instances(cluster):
    ext, diskless = _name("ext1"), _name("diskless1")
    cluster.add(ext, "ext", "--disk", "0:size=16M,provider=sharedfile")
    cluster.add(diskless, "diskless")
    res = cluster.ok("group", "evacuate", "-I", "hail", "--to", "g2",
                     "default", timeout=600)
    assert res.stdout.splitlines()[-1] == \
        "All instances evacuated successfully."
    for name in (ext, diskless):
        node, group, status = cluster.where(name)
        assert node in (N3, N4) and (group, status) == ("g2", "running")
    res = cluster.ok("node", "list", "--no-headers", "-o", "pinst_cnt", N1,
                     N2)
    assert res.stdout.split() == ["0", "0"]
    res = cluster.gnt("group", "evacuate", "-I", "hail", "--to", "g2", "g2")
    assert res.returncode == 1, res.stdout + res.stderr
    assert "can not be used as a target group" in res.stderr
