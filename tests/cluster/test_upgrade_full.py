"""gnt-cluster upgrade carried out on a live 2-node cluster with a running
instance: to another installed version and back, and --resume of an
upgrade interrupted after its intent was recorded.

Each node gets a private $prefix/share (a tmpfs mounted in the node's own
mount namespace, nothing of the host is touched) holding the version
directories 3.0 and 3.1 and the `default` link, as a packaged install has
them.  On the testbed the daemons run from the source tree whatever the
link says, so what is checked is the upgrade's own work: the link switched
on every node, config.data kept (a dated copy) and still the same cluster,
the daemons running again, the queue undrained, the watcher unpaused, the
intent file gone, the instance still running.
"""

import json

import pytest

pytestmark = pytest.mark.usefixtures("node_add_available")

INTENT = "/var/lib/ganeti/intent-to-upgrade"
INSTANCE = "inst-upgrade.example.test"


def _share_dir(cluster):
    res = cluster.py("from ganeti import pathutils; print(pathutils.SHARE_DIR)")
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


@pytest.fixture(scope="module")
def cluster(make_cluster):
    made = make_cluster(2)
    share = _share_dir(made)
    for node in made.nodes:
        short = node.split(".")[0]
        res = made.sh("mount -t tmpfs vcluster-share %s && mkdir -p %s/3.0"
                      " %s/3.1 && ln -sfn 3.0 %s/default"
                      % (share.rsplit("/", 1)[0], share, share, share),
                      node=short)
        assert res.returncode == 0, res.stderr
    made.install_os("noop")
    made.ok("instance", "add", "-n", made.nodes[1], "-t", "file", "-o", "noop",
            "--disk", "0:size=8M", "-B", "memory=32M", "--no-name-check",
            "--no-ip-check", INSTANCE)
    made.share = share
    return made


def _links(cluster):
    links = []
    for node in cluster.nodes:
        res = cluster.sh("readlink %s/default" % cluster.share,
                         node=node.split(".")[0])
        assert res.returncode == 0, res.stderr
        links.append(res.stdout.strip())
    return links


def _cluster_works(cluster, config_serial_before):
    assert "The drain flag is unset" in \
        cluster.ok("cluster", "queue", "info").stdout
    assert "The watcher is not paused." in \
        cluster.ok("cluster", "watcher", "info").stdout
    assert cluster.sh("test -e %s" % INTENT).returncode != 0
    assert cluster.ok("instance", "list", "--no-headers", "-o",
                      "name,status").stdout.split() == [INSTANCE, "running"]
    cluster.ok("cluster", "verify", "--ignore-errors=ENODESETUP", timeout=300)
    config = json.loads(cluster.sh(
        "cat /var/lib/ganeti/config.data").stdout)
    assert config["serial_no"] >= config_serial_before
    assert sorted(n["name"] for n in config["nodes"].values()) == \
        sorted(cluster.nodes)


def _serial(cluster):
    return json.loads(cluster.sh("cat /var/lib/ganeti/config.data").stdout
                      )["serial_no"]


def test_upgrade_and_back(cluster):
    serial = _serial(cluster)
    res = cluster.ok("cluster", "upgrade", "--to", "3.1", timeout=600)
    lines = res.stdout.splitlines()
    for line in ("Draining queue", "Pausing the watcher for one hour",
                 "Stopping master daemons", "Upgrading the configuration",
                 "Unpausing the watcher", "Undraining the queue",
                 "Upgrade to 3.1 successful"):
        assert line in lines, res.stdout
    assert _links(cluster) == ["3.1", "3.1"]
    backups = cluster.sh("ls /var/lib/ganeti/ | grep -c"
                         " '^config.data.pre-upgrade-'").stdout.strip()
    assert backups == "1"
    _cluster_works(cluster, serial)

    res = cluster.ok("cluster", "upgrade", "--to", "3.0", timeout=600)
    assert "Upgrade to 3.0 successful" in res.stdout.splitlines(), res.stdout
    assert _links(cluster) == ["3.0", "3.0"]
    _cluster_works(cluster, serial)


def test_resume_finishes_an_interrupted_upgrade(cluster):
    """The intent recorded by a process that is gone (the upgrade was
    interrupted right after it: queue drained, nothing switched yet):
    --resume runs the steps and ends the upgrade."""
    serial = _serial(cluster)
    cluster.ok("cluster", "queue", "drain")
    res = cluster.sh("pid=$(sh -c 'echo $$'); echo 3.0.2,3.1,$pid > %s"
                     % INTENT)
    assert res.returncode == 0, res.stderr
    res = cluster.ok("cluster", "upgrade", "--resume", timeout=600)
    assert "Upgrade to 3.1 successful" in res.stdout.splitlines(), res.stdout
    assert _links(cluster) == ["3.1", "3.1"]
    _cluster_works(cluster, serial)
    cluster.ok("cluster", "upgrade", "--to", "3.0", timeout=600)
    assert _links(cluster) == ["3.0", "3.0"]
