"""SSH key management (modify_ssh_setup): a cluster initialised without
--no-ssh-init gives every node its own root key; the master candidates'
keys are in every node's authorized_keys and every node's key is in every
node's ganeti_pub_keys; renew-crypto --new-ssh-keys replaces them all
without losing access; gnt-node remove takes a node's key back.

The lab's own key (id_ed25519, authorized everywhere by vcluster) is hidden
on the master while it must work with the cluster's keys alone.
"""

import contextlib

import pytest

from conftest import INIT_OPTS
from ganeti.tools import vcluster_layout

pytestmark = pytest.mark.usefixtures("node_add_available")

LAB_KEY = "/root/.ssh/id_ed25519"
PUB_KEYS = "/var/lib/ganeti/ganeti_pub_keys"


def _Init(cluster):
    cluster.ok("cluster", "init", *[opt for opt in INIT_OPTS
                                    if opt != "--no-ssh-init"],
               vcluster_layout.CLUSTER_NAME)


class _SshChecks:
    def key(self, node, key_type="rsa"):
        res = self.sh("cat /root/.ssh/id_%s.pub" % key_type, node=node)
        assert res.returncode == 0, res.stderr
        return " ".join(res.stdout.split()[:2])

    def reaches(self, src, dst, key_type="rsa"):
        """Whether src logs into dst as root with its cluster key only."""
        res = self.vc.exec(src, "ssh", "-i", "/root/.ssh/id_%s" % key_type,
                           "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
                           "-o", "ConnectTimeout=5", dst, "hostname",
                           timeout=40)
        return res.returncode == 0 and res.stdout.strip() == dst

    def authorized(self, node):
        res = self.sh("cat /root/.ssh/authorized_keys", node=node)
        return {" ".join(line.split()[:2]) for line in res.stdout.splitlines()
                if line.strip()}

    def pub_keys(self, node):
        """{owner: [keys]} of node's ganeti_pub_keys (None: no file)."""
        res = self.sh("cat %s" % PUB_KEYS, node=node)
        if res.returncode != 0:
            return None
        keys = {}
        for line in res.stdout.splitlines():
            owner, key = line.split(None, 1)
            keys.setdefault(owner, []).append(" ".join(key.split()[:2]))
        return keys

    def uuids(self):
        return {n["name"]: n["uuid"] for n in self.config()["nodes"].values()}

    @contextlib.contextmanager
    def lab_key_hidden(self, node="node1"):
        res = self.sh("mv %s %s.hidden" % (LAB_KEY, LAB_KEY), node=node)
        assert res.returncode == 0, res.stderr
        try:
            yield
        finally:
            self.sh("mv %s.hidden %s" % (LAB_KEY, LAB_KEY), node=node)

    def check_full_mesh(self, key_type="rsa"):
        """Every node has its own key, listed everywhere and authorized
        everywhere (all nodes are candidates here), and reaches every
        node with it."""
        uuids = self.uuids()
        keys = {name: self.key(name, key_type) for name in self.nodes}
        assert len(set(keys.values())) == len(self.nodes)
        expected = {uuids[name]: [key] for name, key in keys.items()}
        for node in self.nodes:
            assert self.pub_keys(node) == expected, node
            assert set(keys.values()) <= self.authorized(node), node
        for src in self.nodes:
            for dst in self.nodes:
                assert self.reaches(src, dst, key_type), (src, dst)
        return keys


@pytest.fixture(scope="module")
def cluster(make_cluster):
    return make_cluster(3, init=False, prepare=_Init, helpers=_SshChecks)


def test_init_and_add_give_every_node_its_key(cluster):
    info = cluster.ok("cluster", "info").stdout
    assert "modify ssh setup: True" in info
    assert "ssh_key_type: rsa" in info and "ssh_key_bits: 2048" in info
    cluster.check_full_mesh()
    cluster.ok("cluster", "verify", "-I", "ENODESETUP")


def test_renew_keeps_access(cluster):
    old = {name: cluster.key(name) for name in cluster.nodes}
    with cluster.lab_key_hidden():
        cluster.fails("cluster", "renew-crypto", "--new-ssh-keys", "-f",
                      "--ssh-key-type", "ecdsa", "--ssh-key-bits", "2048",
                      text="ECDSA key must be 256, 384 or 521 bits")
        cluster.ok("cluster", "renew-crypto", "--new-ssh-keys", "-f",
                   "--ssh-key-type", "ecdsa", "--ssh-key-bits", "256",
                   timeout=600)
        keys = cluster.check_full_mesh("ecdsa")
        res = cluster.ok("cluster", "command", "hostname")
        for node in cluster.nodes:
            assert "node: %s\n%s\n" % (node, node) in res.stdout, res.stdout
        for node in cluster.nodes:
            assert not (set(old.values()) & cluster.authorized(node)), node
            assert cluster.sh("test -e /root/.ssh/id_rsa",
                              node=node).returncode != 0, node
        info = cluster.ok("cluster", "info").stdout
        assert "ssh_key_type: ecdsa" in info and "ssh_key_bits: 256" in info
        assert set(keys.values()).isdisjoint(old.values())


def test_remove_takes_the_key_back(cluster):
    node3 = cluster.nodes[2]
    key3 = cluster.key(node3, "ecdsa")
    uuid3 = cluster.uuids()[node3]
    with cluster.lab_key_hidden():
        cluster.ok("node", "remove", node3)
        for node in cluster.nodes[:2]:
            assert key3 not in cluster.authorized(node), node
            assert uuid3 not in (cluster.pub_keys(node) or {}), node
        assert cluster.pub_keys(node3) is None
        assert not cluster.reaches(node3, cluster.nodes[0], "ecdsa")
        master_key = cluster.key(cluster.nodes[0], "ecdsa")
        assert master_key not in cluster.authorized(node3)
    # back in (as a new node; the master dropped its /etc/hosts entry): a
    # new key of the cluster's type, everywhere
    lab_node = vcluster_layout.make_nodes(3)[2]
    cluster.sh("printf '%s\\t%s %s\\n' >> /etc/hosts"
               % (lab_node.address, node3, lab_node.short))
    cluster.ok("node", "add", node3, timeout=300)
    keys = cluster.check_full_mesh("ecdsa")
    assert keys[node3] != key3


def test_readd_replaces_the_key(cluster):
    node2 = cluster.nodes[1]
    old = cluster.key(node2, "ecdsa")
    cluster.ok("node", "add", "--readd", node2, timeout=300)
    keys = cluster.check_full_mesh("ecdsa")
    assert keys[node2] != old
    for node in cluster.nodes:
        assert old not in cluster.authorized(node), node


def test_candidate_role_moves_the_key(cluster):
    node3 = cluster.nodes[2]
    key3 = cluster.key(node3, "ecdsa")
    cluster.ok("node", "modify", "-C", "no", "--auto-promote", node3)
    for node in cluster.nodes[:2]:
        assert key3 not in cluster.authorized(node), node
    # still listed: it may become a candidate again
    assert cluster.uuids()[node3] in cluster.pub_keys(cluster.nodes[0])
    assert not cluster.reaches(node3, cluster.nodes[0], "ecdsa")
    assert cluster.reaches(cluster.nodes[0], node3, "ecdsa")
    cluster.ok("node", "modify", "-C", "yes", node3)
    cluster.check_full_mesh("ecdsa")
