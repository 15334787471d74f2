"""Upstream's htools (Debian's ganeti-htools-3.0: a black-box peer, no
upstream code in our tree) reading our cluster through our RAPI, as they
read an upstream cluster: hinfo, hspace, hcheck and hbal -m, run inside the
lab on node1, see the 3 nodes and 2 instances; a balanced cluster needs no
moves.

VCLUSTER_LAB / VCLUSTER_STATE are honoured.
"""

import os
import re
import shutil
import subprocess

import pytest

DOMAIN = "example.test"
N1, N2 = ("node%d.%s" % (i, DOMAIN) for i in (1, 2))
INSTANCES = (("inst1." + DOMAIN, N1), ("inst2." + DOMAIN, N2))
PACKAGE = "ganeti-htools-3.0"
HTOOLS_BIN = "/usr/lib/ganeti/3.0/usr/bin"   # where the package puts them
TOOLS = ("hinfo", "hspace", "hcheck", "hbal")


def _install_reason():
    """None once the htools are there (installed if missing), else why
    they cannot be (tools/install-deps installs the package too)."""
    if all(os.access(os.path.join(HTOOLS_BIN, t), os.X_OK) for t in TOOLS):
        return None
    if shutil.which("apt-get") is None:
        return "%s is not installed and there is no apt-get" % PACKAGE
    try:
        res = subprocess.run(
            ["apt-get", "-o", "DPkg::Lock::Timeout=120", "install", "-y",
             "-qq", "--no-install-recommends", "--no-remove", PACKAGE],
            capture_output=True, text=True, timeout=600,
            env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    except (OSError, subprocess.TimeoutExpired) as err:
        return "cannot install %s: %s" % (PACKAGE, err)
    if res.returncode != 0:
        return "cannot install %s: %s" % (PACKAGE,
                                          res.stderr.strip()[-200:])
    if not all(os.access(os.path.join(HTOOLS_BIN, t), os.X_OK)
               for t in TOOLS):
        return "%s has no %s in %s" % (PACKAGE, "/".join(TOOLS), HTOOLS_BIN)
    return None


@pytest.fixture(scope="module")
def cluster(make_cluster, node_add_available):
    if not node_add_available:
        pytest.skip("needs gnt-node add (3 nodes)")
    reason = _install_reason()
    if reason:
        pytest.skip(reason)
    cl = make_cluster(3, prepare=lambda c: c.install_os())
    for name, node in INSTANCES:
        cl.add_file_instance(name, node)
    return cl


def htool(cluster, tool, *args):
    """Run an htool with -m (our RAPI on the master) inside node1."""
    res = cluster.vc.exec("node1", os.path.join(HTOOLS_BIN, tool), "-m", N1,
                          *args, timeout=120)
    assert res.returncode == 0, "%s: %s%s" % (tool, res.stdout, res.stderr)
    return res.stdout


def test_hinfo(cluster):
    out = htool(cluster, "hinfo")
    assert "Loaded 3 nodes, 2 instances, 1 node group" in out, out
    assert "Cluster is N+1 happy" in out, out


def test_hspace(cluster):
    out = htool(cluster, "hspace")
    assert "The cluster has 3 nodes and the following resources:" in out, out
    assert "There are 2 initial instances on the cluster." in out, out
    assert re.search(r"^  -\s+\d+ instances allocated$", out, re.M), out


def test_hcheck(cluster):
    out = htool(cluster, "hcheck")
    assert "No need to rebalance cluster, no problems found." in out, out
    assert "Cluster is not healthy: False" in out, out


def test_hbal_needs_no_moves(cluster):
    out = htool(cluster, "hbal")
    assert "Loaded 3 nodes, 2 instances" in out, out
    assert "Solution length=0" in out, out
    # hbal -m only prints moves; nothing ran
    assert "Executing jobset" not in out, out
