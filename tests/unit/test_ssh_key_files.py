"""The cluster's SSH key files on a node (ganeti.ssh_keys) and the
ssh-update tool that changes them (ganeti.tools.ssh_update).  Root's ~/.ssh
is relocated to a temporary directory."""

import io
import json
import os

import pytest

from ganeti import errors
from ganeti import pathutils
from ganeti import ssh
from ganeti import ssh_keys
from ganeti.tools import ssh_update
from ganeti.utils import x509

KEY_A = "ssh-rsa AAAAB3NzaC1yc2EAAAAAAAAA root@a"
KEY_B = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAA root@b"
LAB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIlab vcluster-lab"


@pytest.fixture
def ssh_dir(tmp_path, monkeypatch):
    path = tmp_path / "dot-ssh"
    monkeypatch.setattr(ssh, "UserSshDir", lambda uid=None: str(path))
    return path


@pytest.mark.parametrize("key_type, bits, expected", [
    ("rsa", None, 2048), ("rsa", 4096, 4096), ("ecdsa", None, 384),
    ("ecdsa", 256, 256), ("dsa", None, 1024),
])
def test_key_bits(key_type, bits, expected):
    assert ssh_keys.DetermineKeyBits(key_type, bits) == expected


def test_key_bits_from_old_settings_and_invalid():
    assert ssh_keys.DetermineKeyBits("rsa", None, "rsa", 3072) == 3072
    assert ssh_keys.DetermineKeyBits("ecdsa", None, "rsa", 3072) == 384
    for key_type, bits, message in [
            ("dsa", 2048, "DSA keys must be 1024 bits"),
            ("ecdsa", 2048, "ECDSA key must be 256, 384 or 521 bits"),
            ("rsa", 512, "RSA key must be at least 768 bits")]:
        with pytest.raises(errors.OpPrereqError) as err:
            ssh_keys.DetermineKeyBits(key_type, bits)
        assert err.value.args == (message, errors.ECODE_INVAL)


def test_authorized_keys_keep_other_lines(ssh_dir):
    path = str(ssh_dir / "authorized_keys")
    os.makedirs(str(ssh_dir))
    with open(path, "w") as handle:
        handle.write("# a comment\n%s\n" % LAB)
    ssh_keys.UpdateAuthorizedKeys(add=[KEY_A, KEY_B, KEY_A])
    assert ssh_keys.AuthorizedKeys() == [" ".join(k.split()[:2])
                                         for k in (LAB, KEY_A, KEY_B)]
    # removal matches the key, not its comment or options
    with open(path, "a") as handle:
        handle.write('from="10.0.0.1" %s other-comment\n'
                     % " ".join(KEY_B.split()[:2]))
    ssh_keys.UpdateAuthorizedKeys(remove=[KEY_B.replace("root@b", "x")])
    with open(path) as handle:
        text = handle.read()
    assert text == "# a comment\n%s\n%s\n" % (LAB, KEY_A)
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_pub_key_file_actions(ganeti_root):
    os.makedirs(pathutils.DATA_DIR)
    ssh_keys.UpdatePubKeyFile(ssh_keys.SSHS_ADD, {"uuid-a": [KEY_A]})
    ssh_keys.UpdatePubKeyFile(ssh_keys.SSHS_ADD, {"node-b": [KEY_B],
                                                  "uuid-a": [KEY_A]})
    with open(pathutils.SSH_PUB_KEYS) as handle:
        assert handle.read() == "node-b %s\nuuid-a %s\n" % (KEY_B, KEY_A)
    assert ssh_keys.RenameKeyOwner("node-b", "uuid-b")
    assert not ssh_keys.RenameKeyOwner("node-b", "uuid-b")
    assert ssh_keys.ReadPubKeyFile() == {"uuid-a": [KEY_A],
                                         "uuid-b": [KEY_B]}
    ssh_keys.UpdatePubKeyFile(ssh_keys.SSHS_REPLACE_OR_ADD,
                              {"uuid-a": [KEY_B]})
    assert ssh_keys.ReadPubKeyFile()["uuid-a"] == [KEY_B]
    ssh_keys.UpdatePubKeyFile(ssh_keys.SSHS_REMOVE, {"uuid-a": []})
    assert ssh_keys.ReadPubKeyFile() == {"uuid-b": [KEY_B]}
    ssh_keys.UpdatePubKeyFile(ssh_keys.SSHS_OVERRIDE, {"uuid-c": [KEY_A]})
    assert ssh_keys.ReadPubKeyFile() == {"uuid-c": [KEY_A]}
    ssh_keys.UpdatePubKeyFile(ssh_keys.SSHS_CLEAR, {})
    assert not os.path.exists(pathutils.SSH_PUB_KEYS)
    with pytest.raises(errors.GenericError):
        ssh_keys.UpdatePubKeyFile("bogus", {"x": []})


def test_generate_keeps_a_backup(ssh_dir):
    priv, pub = ssh_keys.KeyFiles("ecdsa")
    first = ssh_keys.GenerateKeyPair("ecdsa", 256, priv)
    second = ssh_keys.GenerateKeyPair("ecdsa", 256, priv)
    assert first != second and second.startswith("ecdsa-sha2-nistp256 ")
    assert ssh_keys.ReadPublicKey("ecdsa") == second
    backups = [n for n in os.listdir(str(ssh_dir)) if ".backup-" in n]
    assert len(backups) == 2
    with pytest.raises(errors.OpExecError):
        ssh_keys.ReadPublicKey("rsa")


# ------------------------------------------------------------ ssh-update

@pytest.fixture
def member(ganeti_root, ssh_dir):
    """A node of cluster "c.example" (ssconf and server.pem)."""
    os.makedirs(pathutils.DATA_DIR)
    with open(pathutils.ssconf_file("cluster_name"), "w") as handle:
        handle.write("c.example\n")
    x509.GenerateSelfSignedServerCert(pathutils.NODED_CERT_FILE)
    return ssh_update.BaseData("c.example")


def _Run(data):
    out = io.StringIO()
    code = ssh_update.Main([], stdin=io.StringIO(json.dumps(data)),
                           stdout=out)
    return code, json.loads(out.getvalue().strip().splitlines()[-1])


def test_ssh_update_applies_changes(member, ssh_dir):
    data = dict(member)
    data.update({
        ssh_update.SSHS_GENERATE: {},
        ssh_update.SSHS_SSH_KEY_TYPE: "ecdsa",
        ssh_update.SSHS_SSH_KEY_BITS: 256,
        ssh_update.SSHS_SSH_AUTHORIZED_KEYS: ["add", {"m": [KEY_A]}],
        ssh_update.SSHS_SSH_PUBLIC_KEYS: ["override", {"m": [KEY_A]}],
    })
    code, answer = _Run(data)
    assert code == 0 and answer["success"]
    assert answer["public_key"] == ssh_keys.ReadPublicKey("ecdsa")
    assert ssh_keys.AuthorizedKeys() == [" ".join(KEY_A.split()[:2])]
    assert ssh_keys.ReadPubKeyFile() == {"m": [KEY_A]}
    data = dict(member, **{ssh_update.SSHS_REMOVE_KEY_TYPE: "ecdsa",
                           ssh_update.SSHS_SSH_AUTHORIZED_KEYS:
                           ["remove", {"m": [KEY_A]}]})
    assert _Run(data) == (0, {"success": True})
    assert ssh_keys.AuthorizedKeys() == []
    assert not os.path.exists(ssh_keys.KeyFiles("ecdsa")[0])


@pytest.mark.parametrize("change, error", [
    ({"cluster_name": "other.example"}, "Current cluster name is 'c.example'"),
    ({"bogus": 1}, "Unknown key(s) in the data: bogus"),
    ({"authorized_keys": ["override", {}]}, "Invalid value for"
     " 'authorized_keys'"),
    ({"public_keys": ["add", {"m": "not a list"}]}, "Invalid keys of 'm' in"
     " 'public_keys'"),
    ({"ssh_key_bits": True}, "Invalid value for 'ssh_key_bits'"),
])
def test_ssh_update_refuses_bad_input(member, change, error, capsys):
    data = dict(member, **change)
    code, answer = _Run(data)
    assert code == 1
    assert answer == {"success": False, "error": error}
    assert capsys.readouterr().err == error + "\n"


def test_ssh_update_refuses_foreign_certificate(member):
    other = x509.GenerateSelfSignedX509Cert()[1]
    code, answer = _Run(dict(member, node_daemon_certificate=other))
    assert code == 1
    assert answer["error"] == ("The node daemon certificate is not the"
                               " cluster's")


def test_failed_node_add_forgets_the_new_key(ganeti_root, monkeypatch):
    """gnt-node add listed the new node's key under its name; when
    OpNodeAdd fails the entry goes (a joined node's is under its uuid)."""
    import types
    from ganeti import netutils
    from ganeti.client import gnt_node_add
    from ganeti.tools import node_daemon_setup
    os.makedirs(pathutils.DATA_DIR)
    ssh_keys.WritePubKeyFile({"master-uuid": [KEY_A]})

    class Luxi:
        def QueryGroups(self, *args):
            return [[22]]

        def QueryNodes(self, *args):
            return []

        def QueryConfigValues(self, fields):
            return ["c.example", True, "rsa", 2048]

    def FakeSshSetup(cluster, node, port, check, key_type, key_bits):
        ssh_keys.UpdatePubKeyFile("replace_or_add", {node: [KEY_B]})

    def FailingSubmit(op, opts=None):
        assert ssh_keys.ReadPubKeyFile()["node2.example"] == [KEY_B]
        raise errors.OpPrereqError("bad secondary ip", errors.ECODE_INVAL)

    monkeypatch.setattr(gnt_node_add, "GetClient", Luxi)
    monkeypatch.setattr(netutils, "GetHostname", lambda name: types.
                        SimpleNamespace(name="node2.example"))
    monkeypatch.setattr(node_daemon_setup, "SetupNodeDaemon",
                        lambda *args, **kwargs: {})
    monkeypatch.setattr(gnt_node_add, "SetupNodeSshKey", FakeSshSetup)
    monkeypatch.setattr(gnt_node_add, "SubmitOpCode", FailingSubmit)
    opts = types.SimpleNamespace(
        nodegroup=None, readd=False, secondary_ip=None, node_setup=True,
        ssh_key_check=True, debug=0, verbose=False, force_join=False,
        vm_capable=None, ndparams=None, master_capable=None, disk_state=[],
        hv_state=[])
    with pytest.raises(errors.OpPrereqError):
        gnt_node_add.AddNode(opts, ["node2.example"])
    assert ssh_keys.ReadPubKeyFile() == {"master-uuid": [KEY_A]}
