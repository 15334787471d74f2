"""gnt-cluster upgrade on a live cluster: a version not installed on every
node (checked over SSH), another major version or a bad version string is
refused before anything changes (queue not drained, watcher not paused, no
intent file); --resume without a pending upgrade has nothing to do."""

import pytest

pytestmark = pytest.mark.usefixtures("node_add_available")

INTENT = "/var/lib/ganeti/intent-to-upgrade"


@pytest.fixture(scope="module")
def cluster(make_cluster):
    return make_cluster(2)


def _Unchanged(cluster):
    assert "The drain flag is unset" in \
        cluster.ok("cluster", "queue", "info").stdout
    assert "The watcher is not paused." in \
        cluster.ok("cluster", "watcher", "info").stdout
    assert cluster.sh("test -e %s" % INTENT).returncode != 0


def test_version_missing_on_the_nodes(cluster):
    res = cluster.fails("cluster", "upgrade", "--to", "3.1")
    assert res.stderr.splitlines()[-1] == (
        "Ganeti version 3.1 not installed on nodes %s" % ", ".join(
            cluster.nodes))
    _Unchanged(cluster)


@pytest.mark.parametrize("args, message", [
    (["--to", "4.0"], "Cannot upgrade to 4.0: different major versions"),
    (["--to", "three"], "Could not parse version string three"),
    ([], "Precisely one of the options --to and --resume has to be given"),
])
def test_refused_targets(cluster, args, message):
    res = cluster.fails("cluster", "upgrade", *args)
    assert res.stderr == message + "\n"
    _Unchanged(cluster)


def test_resume_without_pending_upgrade(cluster):
    res = cluster.ok("cluster", "upgrade", "--resume")
    assert res.stdout == "No upgrade to resume\n"
