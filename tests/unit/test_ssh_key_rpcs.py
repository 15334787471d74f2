"""node_ssh_key_add / node_ssh_key_remove / node_ssh_keys_renew on the
master (ganeti.backend.ssh_keys): which node gets which change, in an order
that never locks the master out.  The nodes are fakes that apply ssh-update
documents to their own in-memory files."""

import pytest

from ganeti import backend
from ganeti import errors
from ganeti import ssh_keys
from ganeti.backend import ssh_keys as bk
from ganeti.tools import ssh_update

MASTER, NODE2, NODE3 = "node1", "node2", "node3"
UUIDS = {MASTER: "u1", NODE2: "u2", NODE3: "u3"}


def _Key(n):
    return "ssh-rsa KEY%s root@x" % n


class FakeNode:
    def __init__(self):
        self.authorized = []
        self.pub = {}
        self.key = None


class FakeCluster:
    """Stands for bk._Cluster: every node's files in memory (the master's
    public key file is the real one below the test's root)."""

    def __init__(self, candidates, fail=()):
        self.master_name = MASTER
        self.files = {name: FakeNode() for name in UUIDS}
        self.candidates = candidates
        self.fail = set(fail)
        self.log = []
        self.counter = 0

    def Online(self):
        return [MASTER, NODE2, NODE3]

    def CandidateUuids(self):
        return [UUIDS[n] for n in self.candidates]

    def Runner(self, reload=False):
        self.log.append(("reload", None))

    def Update(self, node, changes):
        if node in self.fail:
            raise errors.OpExecError("node %s unreachable" % node)
        self.log.append((node, sorted(changes)))
        files = self.files[node]
        result = {"success": True}
        if ssh_update.SSHS_GENERATE in changes:
            self.counter += 1
            files.key = "ssh-rsa NEW%d%s root@x" % (self.counter, node)
            result["public_key"] = files.key
        action, keys = changes.get(ssh_update.SSHS_SSH_AUTHORIZED_KEYS,
                                   (None, {}))
        flat = [k for v in keys.values() for k in v]
        if action == "add":
            files.authorized += [k for k in flat if k not in files.authorized]
        elif action == "remove":
            files.authorized = [k for k in files.authorized if k not in flat]
        if ssh_update.SSHS_SSH_PUBLIC_KEYS in changes:
            action, keys = changes[ssh_update.SSHS_SSH_PUBLIC_KEYS]
            if node == MASTER:  # the master's own (relocated) file
                ssh_keys.UpdatePubKeyFile(action, keys)
            if action == "override":
                files.pub = {k: list(v) for k, v in keys.items()}
            elif action == "clear":
                files.pub = {}
            elif action == "remove":
                for owner in keys:
                    files.pub.pop(owner, None)
            else:
                files.pub.update(keys)
        return result

    def UpdateAll(self, nodes, changes, failures):
        return bk._Cluster.UpdateAll(self, nodes, changes, failures)


@pytest.fixture
def master_files(ganeti_root, monkeypatch):
    import os
    from ganeti import pathutils
    os.makedirs(pathutils.DATA_DIR)
    ssh_keys.WritePubKeyFile({"u1": [_Key(1)], "u2": [_Key(2)]})
    return pathutils


def _Install(monkeypatch, cluster):
    monkeypatch.setattr(bk, "_Load", lambda: cluster)


def test_add_spreads_the_new_key(master_files, monkeypatch):
    ssh_keys.UpdatePubKeyFile("add", {NODE3: [_Key(3)]})
    cluster = FakeCluster([MASTER, NODE2, NODE3])
    _Install(monkeypatch, cluster)
    failures = bk.AddNodeSshKey("u3", NODE3, [MASTER, NODE2, NODE3],
                                True, True, True)
    assert failures == []
    # the master lists it under its uuid now
    assert ssh_keys.ReadPubKeyFile() == {"u1": [_Key(1)], "u2": [_Key(2)],
                                         "u3": [_Key(3)]}
    assert cluster.files[NODE2].authorized == [_Key(3)]
    assert cluster.files[NODE2].pub == {"u3": [_Key(3)]}
    # the new node got every key and the candidates' authorized
    assert cluster.files[NODE3].pub == ssh_keys.ReadPubKeyFile()
    assert sorted(cluster.files[NODE3].authorized) == \
        sorted([_Key(1), _Key(2), _Key(3)])


def test_add_without_a_listed_key_fails(master_files, monkeypatch):
    _Install(monkeypatch, FakeCluster([MASTER]))
    with pytest.raises(backend.RPCFail) as err:
        bk.AddNodeSshKey("u3", NODE3, [], True, True, True)
    assert str(err.value) == (
        "No keys found for the new node 'node3' (UUID u3) in the list of"
        " public SSH keys, neither for the name or the UUID")


def test_add_reports_unreachable_nodes(master_files, monkeypatch):
    ssh_keys.UpdatePubKeyFile("add", {NODE3: [_Key(3)]})
    cluster = FakeCluster([MASTER], fail=[NODE2])
    _Install(monkeypatch, cluster)
    failures = bk.AddNodeSshKey("u3", NODE3, [MASTER, NODE2], False, True,
                                True)
    assert failures == [(NODE2, "node node2 unreachable")]
    # not a candidate: its key is authorized nowhere
    assert cluster.files[MASTER].authorized == []
    assert cluster.files[NODE3].authorized == [_Key(1)]


def test_remove_takes_keys_back(master_files, monkeypatch):
    cluster = FakeCluster([MASTER, NODE2])
    cluster.files[MASTER].authorized = [_Key(1), _Key(2)]
    cluster.files[NODE3].authorized = [_Key(1), _Key(2), "ssh-ed25519 LAB"]
    cluster.files[NODE3].pub = {"u1": [_Key(1)]}
    _Install(monkeypatch, cluster)
    failures = bk.RemoveNodeSshKey("u2", NODE2, ["u1", "u2"],
                                   [MASTER, NODE2, NODE3], True, True, True,
                                   True, False)
    assert failures == []
    assert cluster.files[MASTER].authorized == [_Key(1)]
    assert NODE2 not in [node for node, _ in cluster.log[:-1]]
    assert cluster.files[NODE2].pub == {}
    # the removed node's own files: the cluster's keys went, nothing else
    node, changes = cluster.log[-1]
    assert node == NODE2 and changes == ["authorized_keys", "public_keys"]


def test_renew_never_locks_the_master_out(master_files, monkeypatch):
    ssh_keys.UpdatePubKeyFile("add", {"u3": [_Key(3)]})
    cluster = FakeCluster([MASTER, NODE2, NODE3])
    for files in cluster.files.values():
        files.authorized = [_Key(1), _Key(2), _Key(3)]
    _Install(monkeypatch, cluster)
    made = []

    def Generate(key_type, bits, priv):
        made.append((key_type, bits, priv))
        return "ecdsa-sha2-nistp256 MASTERNEW root@m"
    installed = []
    monkeypatch.setattr(ssh_keys, "GenerateKeyPair", Generate)
    monkeypatch.setattr(ssh_keys, "InstallKeyPair",
                        lambda src, kt: installed.append(
                            (src, kt, len(cluster.log))))
    monkeypatch.setattr(ssh_keys, "RemoveKeyPair", lambda kt: None)
    failures = bk.RenewSshKeys(["u1", "u2", "u3"], [MASTER, NODE2, NODE3],
                               ["u1", "u2", "u3"], [MASTER, NODE2, NODE3],
                               "rsa", "ecdsa", 256)
    assert failures == []
    assert made[0][:2] == ("ecdsa", 256)
    # the master's new key is installed only after every node has it
    spread = [i for i, (node, ch) in enumerate(cluster.log)
              if "public_keys" in (ch or ())]
    assert len(spread) == 3 and installed[0][2] > max(spread)
    new = {n: cluster.files[n].key for n in (NODE2, NODE3)}
    new[MASTER] = "ecdsa-sha2-nistp256 MASTERNEW root@m"
    for name, files in cluster.files.items():
        assert sorted(files.authorized) == sorted(new.values()), name
    assert ssh_keys.ReadPubKeyFile() == {UUIDS[n]: [k] for n, k in
                                         new.items()}


def test_renew_keeps_old_keys_when_a_node_fails(master_files, monkeypatch):
    cluster = FakeCluster([MASTER, NODE2], fail=[NODE2])
    _Install(monkeypatch, cluster)
    monkeypatch.setattr(ssh_keys, "GenerateKeyPair",
                        lambda kt, bits, priv: "ssh-rsa M root@m")
    with pytest.raises(backend.RPCFail) as err:
        bk.RenewSshKeys(["u1", "u2"], [MASTER, NODE2], ["u1", "u2"],
                        [MASTER, NODE2], "rsa", "rsa", 2048)
    assert "Could not generate new SSH keys on: node2" in str(err.value)
    assert ssh_keys.ReadPubKeyFile() == {"u1": [_Key(1)], "u2": [_Key(2)]}


def test_readd_replaces_the_old_key(master_files, monkeypatch):
    # node2 re-added: gnt-node add listed its new key under its name
    ssh_keys.UpdatePubKeyFile("add", {NODE2: ["ssh-rsa NEW2 root@x"]})
    cluster = FakeCluster([MASTER, NODE2])
    for files in cluster.files.values():
        files.authorized = [_Key(1), _Key(2)]
    _Install(monkeypatch, cluster)
    assert bk.AddNodeSshKey("u2", NODE2, [MASTER, NODE2], True, True,
                            True) == []
    assert ssh_keys.ReadPubKeyFile() == {"u1": [_Key(1)],
                                         "u2": ["ssh-rsa NEW2 root@x"]}
    for name in (MASTER, NODE2, NODE3):
        assert cluster.files[name].authorized == [_Key(1),
                                                  "ssh-rsa NEW2 root@x"]
