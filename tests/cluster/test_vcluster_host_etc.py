"""A lab reads nothing of the host's Ganeti setup below /etc.

The lab is made with a stand-in for the host's /etc (vcluster up
--host-etc, here through $VCLUSTER_HOST_ETC): a copy of /etc in a temporary
directory with upstream-like Ganeti files holding bogus settings.  The real
host's /etc is never changed.
"""

import os
import shutil
import subprocess

import pytest

from ganeti.tools import vcluster_layout as L

BOGUS_DEFAULTS = ('NODED_ARGS="--no-such-noded-option"\n'
                  'MASTERD_ARGS="--no-such-masterd-option"\n')


@pytest.fixture(scope="module")
def host_etc(tmp_path_factory):
    """A copy of /etc as a host with upstream Ganeti set up oddly has it."""
    root = str(tmp_path_factory.mktemp("host") / "etc")
    subprocess.run(["cp", "-a", "/etc", root], check=True)
    shutil.rmtree(os.path.join(root, "ganeti"), ignore_errors=True)
    files = {"default/ganeti": BOGUS_DEFAULTS,
             "ganeti/file-storage-paths": "/nonexistent\n",
             "ganeti/rapi/users": "bogus bogus write\n",
             "cron.d/ganeti": "*/5 * * * * root /bin/false\n",
             "vcluster-host-marker": "from the host's /etc\n"}
    for rel, content in files.items():
        os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
        with open(os.path.join(root, rel), "w") as handle:
            handle.write(content)
    return root


@pytest.fixture(scope="module")
def cluster(make_cluster, host_etc):
    """A one-node cluster whose lab lies over host_etc (init starts noded
    and masterd with the node's own /etc/default/ganeti)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(L.HOST_ETC_ENV, host_etc)
        return make_cluster(1)


def test_bogus_host_ganeti_settings_change_nothing(cluster):
    assert cluster.sh("cat /etc/vcluster-host-marker").stdout == \
        "from the host's /etc\n"
    defaults = cluster.sh("cat /etc/default/ganeti")
    assert defaults.returncode == 0 and "NODED_ARGS=" not in defaults.stdout
    for path in ("/etc/cron.d/ganeti", "/etc/ganeti/rapi/users"):
        assert cluster.sh("test -e " + path).returncode == 1, path
    assert cluster.sh("cat /etc/ganeti/file-storage-paths").stdout == \
        L.file_storage_paths()
    for daemon in ("ganeti-noded", "ganeti-masterd"):
        res = cluster.py("from ganeti import daemon_util\n"
                         "print(daemon_util.daemon_pid(%r))" % daemon)
        assert res.returncode == 0, res.stderr
        with open("/proc/%d/cmdline" % int(res.stdout), "rb") as handle:
            argv = handle.read().decode().split("\0")
        assert daemon in argv[1], argv
        assert not [a for a in argv if a.startswith("--no-such")], argv
    res = cluster.ok("node", "list", "--no-headers", "--units=m", "-o", "mtotal")
    assert int(res.stdout) > 0      # a live answer of noded


def test_node_etc_survives_the_host_replacing_its_own(cluster, host_etc):
    """The host removing and recreating its /etc/ganeti (a package upgrade)
    or replacing its /etc/hosts leaves the node's files in place."""
    before = cluster.sh("cat /etc/hosts; ls /etc/ganeti").stdout
    assert "node1.example.test" in before and "file-storage-paths" in before
    shutil.rmtree(os.path.join(host_etc, "ganeti"))
    os.mkdir(os.path.join(host_etc, "ganeti"))
    with open(os.path.join(host_etc, "hosts.new"), "w") as handle:
        handle.write("127.0.0.1 localhost\n")
    os.rename(os.path.join(host_etc, "hosts.new"), os.path.join(host_etc, "hosts"))
    assert cluster.sh("cat /etc/hosts; ls /etc/ganeti").stdout == before
    res = cluster.sh("echo added >> /etc/ganeti/file-storage-paths &&"
                     " tail -n 1 /etc/ganeti/file-storage-paths")
    assert res.stdout == "added\n", res.stderr
    assert not os.path.exists(os.path.join(host_etc, "ganeti",
                                           "file-storage-paths"))
