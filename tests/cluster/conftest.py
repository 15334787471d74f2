"""Shared helpers for tests against a live vcluster testbed.

Cluster tests need root and working network namespaces; without them they skip
with one line.  VCluster wraps tools/vcluster for a given state directory.

A test module gets its cluster from the ``make_cluster`` factory::

    @pytest.fixture(scope="module")
    def cluster(make_cluster):
        return make_cluster(3, ["-C", "2"], helpers=_MyChecks)

which brings up a lab (honouring VCLUSTER_LAB and VCLUSTER_STATE), inits the
cluster on node1, adds the other machines and, at the module's end, removes
them, destroys the cluster and takes the lab down.  The ``Cluster`` it returns
runs gnt-* commands, shell scripts and Python inside the nodes; ``helpers`` is
a class of the module's own checks, mixed into it.
"""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)
VCLUSTER = os.path.join(REPO, "tools", "vcluster")
REFERENCE = os.path.join(REPO, "tests", "data", "reference", "upstream-3.0")
PY = sys.executable
_LOG_TIME_RE = re.compile(r"^\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4} ")
_SBIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# gnt-cluster init options of every test cluster (make_cluster adds its own);
# the instance policy bounds admit the tests' small disks and memory (those
# of upstream's reference cluster).
SMALL_BOUNDS = ("min:cpu-count=1,disk-count=0,disk-size=0,memory-size=4,"
                "nic-count=0,spindle-use=0/max:cpu-count=8,disk-count=16,"
                "disk-size=1048576,memory-size=32768,nic-count=8,"
                "spindle-use=12")
INIT_OPTS = ["--enabled-hypervisors=fake",
             "--enabled-disk-templates=file,sharedfile,diskless",
             "--no-ssh-init", "--ipolicy-bounds-specs=" + SMALL_BOUNDS]


def testbed_unusable_reason():
    """Why this machine cannot host a vcluster lab, or None if it can."""
    if os.geteuid() != 0:
        return "cluster tests need root"
    path = os.environ.get("PATH", "") + ":" + _SBIN_PATH
    for tool in ("ip", "unshare", "nsenter", "sshd", "ssh", "ssh-keygen", "mount"):
        if shutil.which(tool, path=path) is None:
            return "cluster tests need '%s'" % tool
    try:
        probe = subprocess.run(["unshare", "--net", "--mount", "--uts", "true"],
                               capture_output=True, timeout=30)
        ip_ok = subprocess.run(["ip", "netns", "list"], capture_output=True,
                               timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired) as err:
        return "namespaces unusable: %s" % err
    if probe.returncode != 0 or not ip_ok:
        return "network/mount namespaces or 'ip netns' unusable here"
    return None


@pytest.fixture(scope="session")
def vcluster_tool():
    """The VCluster class, once this machine is known to host a lab (else skip)."""
    reason = testbed_unusable_reason()
    if reason:
        pytest.skip(reason)
    from ganeti.tools import vcluster_layout
    if os.path.exists("/run/netns/" + vcluster_layout.LAB_NETNS):
        message = ("a vcluster lab %s is already up; run 'tools/vcluster down'"
                   " first" % vcluster_layout.LAB_PREFIX)
        if os.environ.get("VCLUSTER_TESTS_OWN_LAB"):
            pytest.fail(message)  # tools/run-cluster-tests chose a free name
        pytest.skip(message)
    return VCluster


class VCluster:
    """Runs tools/vcluster against one state directory."""

    def __init__(self, state_dir: str):
        self.state_dir = state_dir
        self.env = dict(os.environ, VCLUSTER_STATE=state_dir)

    def run(self, *args, input=None, timeout=120, check=False):
        res = subprocess.run([VCLUSTER] + list(args), input=input, capture_output=True,
                             text=True, env=self.env, timeout=timeout)
        if check and res.returncode != 0:
            raise AssertionError("vcluster %s failed (%d): %s%s"
                                 % (" ".join(args), res.returncode, res.stdout, res.stderr))
        return res

    def exec(self, node, *cmd, input=None, timeout=60, check=False):
        """Run cmd inside node; returns the CompletedProcess."""
        return self.run("exec", node, "--", *cmd, input=input, timeout=timeout,
                        check=check)

    def ssh(self, src, dst, *cmd, timeout=5):
        """ssh from node src to dst (batch mode, short connect timeout)."""
        return self.exec(src, "ssh", "-o", "BatchMode=yes", "-o",
                         "ConnectTimeout=%d" % timeout, dst, *cmd, timeout=timeout + 30)


@pytest.fixture(scope="session")
def node_add_available():
    """Whether gnt-node add is implemented (tests needing more than one
    cluster node skip without it)."""
    from ganeti.client import gnt_node_add
    return "add" in getattr(gnt_node_add, "COMMANDS", {})


class Cluster:
    """A Ganeti cluster on a vcluster lab.

    nodes are the FQDNs of the lab's machines; a node argument may be a
    FQDN or a short name ("node2").  Commands run on node1 unless told.
    """

    def __init__(self, vc, nodes):
        self.vc = vc
        self.nodes = list(nodes)

    def gnt(self, command, *args, node="node1", timeout=180, input=None):
        """Run gnt-<command> args inside node; the CompletedProcess."""
        return self.vc.exec(node, PY, os.path.join(REPO, "scripts",
                                                    "gnt-" + command),
                            *args, timeout=timeout, input=input)

    def ok(self, command, *args, **kwargs):
        """gnt(), which must succeed."""
        res = self.gnt(command, *args, **kwargs)
        assert res.returncode == 0, "gnt-%s %s on %s failed (%d): %s%s" % (
            command, " ".join(args), kwargs.get("node", "node1"),
            res.returncode, res.stdout, res.stderr)
        return res

    def fails(self, command, *args, text=None, **kwargs):
        """gnt(), which must exit with 1 (and say text on stderr)."""
        res = self.gnt(command, *args, **kwargs)
        assert res.returncode == 1, res.stdout + res.stderr
        if text is not None:
            assert text in res.stderr, res.stderr
        return res

    def sh(self, script, node="node1", timeout=60):
        return self.vc.exec(node, "sh", "-c", script, timeout=timeout)

    def py(self, code, node="node1", timeout=120):
        """Run Python code inside node, with this tree importable."""
        return self.vc.exec(node, PY, "-c", "import sys; sys.path.insert(0,"
                            " %r)\n" % REPO + code, timeout=timeout)

    def install_os(self, name="noop"):
        """Copy examples/os/<name> to every node's /srv/ganeti/os."""
        for node in self.nodes:
            res = self.sh("mkdir -p /srv/ganeti/os && cp -r %s /srv/ganeti/os/"
                          % os.path.join(REPO, "examples", "os", name),
                          node=node)
            assert res.returncode == 0, res.stderr

    def add_file_instance(self, name, node, size="64", memory="128"):
        """A running fake instance with one file disk, on node (noop OS)."""
        self.ok("instance", "add", "-t", "file", "--disk", "0:size=" + size,
                "-B", "maxmem=%s,minmem=%s" % (memory, memory), "-o", "noop",
                "-n", node, "--no-name-check", "--no-ip-check", name,
                timeout=300)

    def config(self, node="node1"):
        """node's config.data, or None if it has none."""
        res = self.sh("cat /var/lib/ganeti/config.data", node=node)
        return json.loads(res.stdout) if res.returncode == 0 else None

    def serial(self, node="node1"):
        return self.config(node)["serial_no"]

    def members(self):
        """Sorted names of the nodes in the cluster's configuration."""
        return sorted(n["name"] for n in self.config()["nodes"].values())

    def node_field(self, fields):
        """{node name: [values]} from gnt-node list --no-headers."""
        res = self.ok("node", "list", "--no-headers", "--separator=|",
                      "-o", "name," + fields)
        return {line.split("|")[0]: line.split("|")[1:]
                for line in res.stdout.splitlines()}

    @staticmethod
    def messages(text):
        """The lines of a job's log output without their ctime stamps
        ("Sun Dec  6 09:15:02 2026 " pads a one-digit day with a space)."""
        return [_LOG_TIME_RE.sub("", line) for line in text.splitlines()]

    @staticmethod
    def reference(name):
        """The output lines of upstream 3.0's recording name (below
        tests/data/reference/upstream-3.0), without the command and exit
        status lines."""
        with open(os.path.join(REFERENCE, name)) as handle:
            lines = handle.read().splitlines()
        return [l for l in lines[1:]
                if not l.startswith(("[exit status", "$ "))]

    def teardown(self):
        """Remove the other nodes, destroy the cluster, take the lab down."""
        try:
            config = self.config()
            if config is not None:
                master = config["cluster"]["master_node"]
                for node in sorted(config["nodes"].values(),
                                   key=lambda n: n["name"]):
                    if node["uuid"] != master:
                        self.gnt("node", "remove", node["name"])
                self.gnt("cluster", "destroy", "--yes-do-it")
        finally:
            self.vc.run("down")


@pytest.fixture(scope="module")
def make_cluster(vcluster_tool, tmp_path_factory):
    """make_cluster(nodes, init_opts=(), join=True, prepare=None,
    helpers=None, storage=False, init=True) -> Cluster: a lab of `nodes`
    machines (with storage: "vcluster up --storage", a volume group xenvg
    on each node, LV activation emulated); prepare(cluster) runs before
    "gnt-cluster init" (INIT_OPTS + init_opts) on node1 (without init,
    prepare makes the cluster itself); with join, the other machines are
    added with gnt-node add.  Torn down (nodes
    removed, cluster destroyed, lab down) at the end of the module."""
    from ganeti.tools import vcluster_layout
    made = []

    def make(nodes, init_opts=(), join=True, prepare=None, helpers=None,
             storage=False, init=True):
        vc = vcluster_tool(os.environ.get("VCLUSTER_STATE") or
                           str(tmp_path_factory.mktemp("vcluster-state")))
        res = vc.run("up", "--nodes", str(nodes), *(["--storage"] if storage else []),
                     timeout=300)
        if res.returncode != 0:
            vc.run("down")
            pytest.fail("vcluster up failed: %s%s" % (res.stdout, res.stderr))
        cls = Cluster if helpers is None else \
            type("Cluster", (helpers, Cluster), {})
        cluster = cls(vc, ["node%d.%s" % (i, vcluster_layout.DOMAIN)
                           for i in range(1, nodes + 1)])
        try:
            if prepare is not None:
                prepare(cluster)
            if init:
                cluster.ok("cluster", "init", *(
                    INIT_OPTS + list(init_opts) +
                    [vcluster_layout.CLUSTER_NAME]))
            for name in cluster.nodes[1:] if join else []:
                cluster.ok("node", "add", name, timeout=300)
        except BaseException:
            vc.run("down")
            raise
        made.append(cluster)
        return cluster

    yield make
    for cluster in made:
        cluster.teardown()
