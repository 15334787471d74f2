"""Node membership on the testbed: gnt-node add / remove / add --readd.

A 3-node lab for the module: the cluster is created on node1, node2 and
node3 join over SSH, node3 leaves and joins again; bad input must give a
short error, exit code 1 and an unchanged configuration.
"""

import json
import re

import pytest

MASTER = "node1.example.test"
NODE2 = "node2.example.test"
NODE3 = "node3.example.test"
NODES = [MASTER, NODE2, NODE3]
LIST_FIELDS = "name,pip,sip,master,master_candidate,role,group,mfree,dfree"
LOG_LINE = r"\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4} "
HOOK = """#!/bin/sh
env | grep '^GANETI_' | sort > /var/log/ganeti/hook-$GANETI_HOOKS_PATH-$GANETI_HOOKS_PHASE.env
"""


class _Checks:
    def node_state(self, node):
        """config.data (or None), ssconf node list and client.pem digest of
        a node, read inside it in one go."""
        code = ("import json, os\n"
                "from ganeti.utils import x509\n"
                "d = '/var/lib/ganeti/'\n"
                "cfg = json.load(open(d + 'config.data'))"
                " if os.path.exists(d + 'config.data') else None\n"
                "print(json.dumps({'config': cfg,"
                " 'node_list': open(d + 'ssconf_node_list').read().split(),"
                " 'digest': x509.GetCertificateDigest(d + 'client.pem')}))")
        res = self.py(code, node=node)
        assert res.returncode == 0, res.stderr
        return json.loads(res.stdout)

    def assert_config_synced(self):
        """Every master candidate holds the master's config.data, every node
        the ssconf files; client certificates are the registered ones."""
        master = self.config()
        certs = master["cluster"]["candidate_certs"]
        names = sorted(n["name"] for n in master["nodes"].values())
        for uuid, node in master["nodes"].items():
            name = node["name"]
            state = self.node_state(name)
            assert state["node_list"] == names, name
            if node["master_candidate"]:
                assert state["config"] is not None, "no config.data on " + name
                assert state["config"]["serial_no"] == master["serial_no"], name
                assert state["config"] == master, name
                assert state["digest"] == certs[uuid], name
        assert sorted(certs) == sorted(u for u, n in master["nodes"].items()
                                       if n["master_candidate"])


def _install_hooks(cluster):
    """Hooks recording their environment on every node."""
    for node in NODES:
        cluster.sh("for p in node-add node-remove; do"
                   " mkdir -p /etc/ganeti/hooks/$p-post.d;"
                   " cat > /etc/ganeti/hooks/$p-post.d/50-record <<'EOF'\n%s"
                   "EOF\n chmod 755 /etc/ganeti/hooks/$p-post.d/50-record;"
                   " done" % HOOK, node=node)


@pytest.fixture(scope="module")
def cluster(make_cluster):
    return make_cluster(3, join=False, prepare=_install_hooks,
                        helpers=_Checks)


def _no_traceback(res):
    assert "Traceback" not in res.stdout + res.stderr, res.stdout + res.stderr


def _hook_env(cluster, node, name):
    res = cluster.sh("cat /var/log/ganeti/hook-%s.env" % name, node=node)
    return dict(line.split("=", 1) for line in res.stdout.splitlines()
                if "=" in line)


def test_add_two_nodes(cluster):
    for node in (NODE2, NODE3):
        before = cluster.serial()
        res = cluster.gnt("node", "add", node)
        assert res.returncode == 0, res.stdout + res.stderr
        _no_traceback(res)
        assert re.match(r"^%s - INFO: Node will be a master candidate$"
                        % LOG_LINE, res.stdout.strip()), res.stdout
        assert cluster.serial() > before
        cluster.assert_config_synced()
    assert cluster.members() == NODES
    # the new node runs its own noded with the cluster's certificate
    res = cluster.sh("cmp /var/lib/ganeti/server.pem /var/lib/ganeti/"
                     "server.pem && ls /var/lib/ganeti", node=NODE3)
    for name in ("server.pem", "client.pem", "rapi.pem", "hmac.key",
                 "cluster-domain-secret", "config.data"):
        assert name in res.stdout.split(), name
    res = cluster.gnt("job", "list", "--no-headers", "-o", "status,summary")
    assert ["success", "NODE_ADD(%s)" % NODE3] in \
        [l.split() for l in res.stdout.splitlines()]


def _columns(header, line, right):
    """Fields of line, checked to align with header's columns (left edges;
    right edges for the right-aligned ones)."""
    starts = [m.start() for m in re.finditer(r"\S+", header)]
    ends = [m.end() for m in re.finditer(r"\S+", header)]
    fields = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", line)]
    assert len(fields) == len(starts), (header, line)
    for idx, (start, end, _) in enumerate(fields):
        if idx in right:
            assert end == ends[idx], (header, line)
        else:
            assert start == starts[idx], (header, line)
    return [f[2] for f in fields]


def test_node_list_layout_matches_reference(cluster):
    ref = cluster.reference("vcluster/02-node-list.txt")
    res = cluster.gnt("node", "list", "-o", LIST_FIELDS)
    assert res.returncode == 0, res.stderr
    ours = res.stdout.splitlines()
    assert ours[0].split() == ref[0].split()
    assert len(ours) == len(ref) == 4
    right = {7, 8}  # MFree, DFree
    for line in ref[1:]:
        _columns(ref[0], line, right)  # the reference itself is consistent
    rows = [_columns(ours[0], line, right) for line in ours[1:]]
    assert [r[0] for r in rows] == NODES
    assert [r[3:6] for r in rows] == [["Y", "Y", "M"], ["N", "Y", "C"],
                                      ["N", "Y", "C"]]
    assert all(r[1] == r[2] and r[1].startswith("10.250.0.") for r in rows)
    assert all(r[6] == "default" for r in rows)


def test_readd_existing_node(cluster):
    before = cluster.serial()
    res = cluster.gnt("node", "add", "--readd", NODE2)
    assert res.returncode == 0, res.stdout + res.stderr
    lines = [re.sub("^" + LOG_LINE, "", l) for l in res.stdout.splitlines()]
    assert lines == [" - INFO: Readding a node, the offline/drained flags"
                     " were reset", " - INFO: Node will be a master candidate"]
    assert cluster.serial() == before + 1
    assert cluster.members() == NODES
    cluster.assert_config_synced()


@pytest.mark.parametrize("args,message", [
    (["node", "add", NODE2],
     "Node %s already in the cluster (as %s) - please retry with '--readd'"
     % (NODE2, NODE2)),
    (["node", "add", "nosuchnode.example.test"],
     "Failure: can't resolve hostname 'nosuchnode.example.test'"),
    (["node", "remove", MASTER],
     "Node is the master node, failover to another node is required"),
    (["node", "remove", "nosuchnode"], "Node 'nosuchnode' not known"),
    (["node", "add", "--readd", MASTER],
     "Node %s is the master, cannot readd" % MASTER),
])
def test_bad_input_one_line_no_change(cluster, args, message):
    before = cluster.serial()
    res = cluster.gnt(*args)
    assert res.returncode == 1, res.stdout + res.stderr
    _no_traceback(res)
    assert message in res.stderr
    assert cluster.serial() == before
    assert cluster.members() == NODES


def test_remove_node_then_add_it_again(cluster):
    res = cluster.gnt("node", "remove", NODE3)
    assert res.returncode == 0, res.stdout + res.stderr
    _no_traceback(res)
    assert cluster.members() == [MASTER, NODE2]
    cluster.assert_config_synced()
    # the node forgot the cluster and its node daemon stopped
    res = cluster.sh("ls /var/lib/ganeti", node=NODE3)
    assert res.stdout.split() == ["queue"], res.stdout
    res = cluster.sh("ls /var/run/ganeti/ganeti-noded.pid 2>&1", node=NODE3)
    assert res.returncode != 0
    # the post hooks ran on the leaving node and on the remaining ones
    for node in NODES:
        env = _hook_env(cluster, node, "node-remove-post")
        assert env.get("GANETI_NODE_NAME") == NODE3, node
        assert env.get("GANETI_OP_CODE") == "OP_NODE_REMOVE", node
    # with modify_etc_hosts (the default) the master dropped the name
    res = cluster.sh("grep -c %s /etc/hosts || true" % NODE3, node=MASTER)
    assert res.stdout.strip() == "0"
    res = cluster.sh("printf '10.250.0.13\\t%s node3\\n' >> /etc/hosts"
                     % NODE3, node=MASTER)
    assert res.returncode == 0

    before = cluster.serial()
    res = cluster.gnt("node", "add", "--readd", NODE3)
    assert res.returncode == 1
    assert ("Node %s not in the cluster - please retry without '--readd'"
            % NODE3) in res.stderr
    assert cluster.serial() == before

    res = cluster.gnt("node", "add", NODE3)
    assert res.returncode == 0, res.stdout + res.stderr
    assert cluster.members() == NODES
    cluster.assert_config_synced()
    for node in (MASTER, NODE3):
        env = _hook_env(cluster, node, "node-add-post")
        assert env.get("GANETI_NODE_NAME") == NODE3, node
        assert env.get("GANETI_NODE_PIP") == "10.250.0.13", node
        assert env.get("GANETI_MASTER_CAPABLE") == "True", node


def test_bad_node_add_leaves_config_alone(cluster):
    res = cluster.gnt("node", "remove", NODE3)
    assert res.returncode == 0, res.stdout + res.stderr
    cluster.sh("printf '10.250.0.13\\t%s node3\\n' >> /etc/hosts"
               % NODE3, node=MASTER)
    before = cluster.serial()
    cases = [
        (["-s", "10.250.0.99"],
         "The master has no secondary ip but the new node has one"),
        (["-s", "300.1.2.3"],
         "Secondary IP (300.1.2.3) needs to be a valid IPv4 address"),
    ]
    for extra, message in cases:
        res = cluster.gnt("node", "add", *(extra + [NODE3]))
        assert res.returncode == 1, res.stdout + res.stderr
        _no_traceback(res)
        assert message in res.stderr
        assert cluster.serial() == before
    assert cluster.vc.run("cut", "node3").returncode == 0
    try:
        res = cluster.gnt("node", "add", NODE3)
    finally:
        cluster.vc.run("heal", "node3")
    assert res.returncode == 1
    _no_traceback(res)
    assert res.stderr.splitlines() == [
        "Failure: command execution error:",
        "Can't connect to root@%s port 22: connection timed out" % NODE3]
    assert cluster.serial() == before
    assert cluster.members() == [MASTER, NODE2]
    # the node already runs a noded from the failed attempts: it is restarted
    res = cluster.gnt("node", "add", "--verbose", NODE3)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "node-daemon-setup: Started ganeti-noded" in res.stderr.splitlines()
    assert cluster.members() == NODES
    cluster.assert_config_synced()
