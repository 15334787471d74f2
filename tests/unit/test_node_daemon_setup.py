"""Tests for ganeti.tools.node_daemon_setup (both sides of the protocol).

Node-side steps run against a temporary GANETI_ROOTDIR (pathutils.set_root);
the master side uses a fake SSH runner, which for the round-trip test feeds
the data to Main() under a second root, as if on another machine.
"""

import io
import json
import os
import stat
import sys

import pytest
from cryptography.x509.oid import NameOID

from ganeti import errors
from ganeti import pathutils
from ganeti import ssconf
from ganeti.ssh import SshResult
from ganeti.tools import node_daemon_setup as nds
from ganeti.utils import x509

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CLUSTER = "cluster.example.com"


@pytest.fixture(scope="module")
def cluster_pem():
    key_pem, cert_pem = x509.GenerateSelfSignedX509Cert()
    return key_pem + cert_pem


@pytest.fixture(scope="module")
def other_pem():
    key_pem, cert_pem = x509.GenerateSelfSignedX509Cert()
    return key_pem + cert_pem


def _Ssconf(name=CLUSTER):
    return {"cluster_name": name, "master_node": "node1.example.com",
            "node_list": "node1.example.com",
            "master_candidates_certs": "uuid-1=AA:BB"}


def _Data(pem, **changes):
    data = {nds.NDS_CLUSTER_NAME: CLUSTER,
            nds.NDS_NODE_DAEMON_CERTIFICATE: pem,
            nds.NDS_SSCONF: _Ssconf(),
            nds.NDS_START_NODE_DAEMON: False,
            nds.NDS_HMAC: "0123456789abcdef\n",
            nds.NDS_NODE_NAME: "node2.example.com"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _Mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


# --- parsing and checks -------------------------------------------------------

@pytest.mark.parametrize("text,message", [
    ("{not json", "Invalid JSON on standard input"),
    ("[1, 2]", "Invalid data: expected a JSON object"),
    ('{"cluster_name": "c", "bogus": 1}', "Unknown key(s) in the data: bogus"),
    ('{"cluster_name": 5}', "Invalid value for 'cluster_name': expected a"
                            " JSON string"),
    ('{"ssconf": []}', "Invalid value for 'ssconf': expected a JSON object"),
    ('{"start_node_daemon": "yes"}', "Invalid value for 'start_node_daemon'"),
])
def test_load_data_refuses_bad_input(text, message):
    with pytest.raises(nds.SetupError) as err:
        nds.LoadData(text)
    assert str(err.value.args[0]).startswith(message)


def test_load_data_accepts_upstream_keys(cluster_pem):
    data = _Data(cluster_pem)
    assert nds.LoadData(json.dumps(data)) == data


def test_cluster_name_checks(ganeti_root, cluster_pem):
    with pytest.raises(nds.SetupError, match="Cluster name must be specified"):
        nds.VerifyClusterName({})
    # a fresh machine: no ssconf at all
    assert nds.VerifyClusterName(_Data(cluster_pem)) == CLUSTER
    os.makedirs(pathutils.DATA_DIR)
    ssconf.WriteSsconfFiles({"cluster_name": CLUSTER})
    assert nds.VerifyClusterName(_Data(cluster_pem)) == CLUSTER  # re-add
    ssconf.WriteSsconfFiles({"cluster_name": "other.example.com"})
    with pytest.raises(nds.SetupError) as err:
        nds.VerifyClusterName(_Data(cluster_pem))
    assert err.value.args[0] == "Current cluster name is 'other.example.com'"
    assert nds.VerifyClusterName(_Data(cluster_pem), force_join=True) == \
        CLUSTER


def test_certificate_checks(cluster_pem, other_pem):
    assert nds.VerifyCertificate(_Data(cluster_pem)) == cluster_pem
    with pytest.raises(nds.SetupError, match="must be specified"):
        nds.VerifyCertificate({})
    # the key of one certificate with another certificate
    key_only = cluster_pem[:cluster_pem.index("-----BEGIN CERTIFICATE")]
    cert_only = other_pem[other_pem.index("-----BEGIN CERTIFICATE"):]
    with pytest.raises(nds.SetupError, match="Invalid node daemon"
                                             " certificate"):
        nds.VerifyCertificate(_Data(key_only + cert_only))
    with pytest.raises(nds.SetupError, match="Invalid node daemon"):
        nds.VerifyCertificate(_Data("garbage"))


def test_ssconf_checks(cluster_pem):
    assert nds.VerifySsconf(_Data(cluster_pem), CLUSTER) == _Ssconf()
    with pytest.raises(nds.SetupError, match="does not match"):
        nds.VerifySsconf(_Data(cluster_pem, ssconf=_Ssconf("x.example.com")),
                         CLUSTER)
    bad = dict(_Ssconf(), no_such_key="1")
    with pytest.raises(nds.SetupError, match="no_such_key"):
        nds.VerifySsconf(_Data(cluster_pem, ssconf=bad), CLUSTER)
    with pytest.raises(nds.SetupError, match="must be specified"):
        nds.VerifySsconf({}, CLUSTER)


# --- the node side ------------------------------------------------------------

def test_setup_node_writes_files_with_upstream_modes(ganeti_root, cluster_pem):
    result = nds.SetupNode(_Data(cluster_pem))
    assert result["success"] and result["node_name"] == "node2.example.com"
    assert result["node_daemon_started"] is False
    # Upstream's modes (tests/data/upstream-state/LISTING-var-lib-ganeti.txt).
    assert _Mode(pathutils.NODED_CERT_FILE) == 0o440
    assert _Mode(pathutils.CONFD_HMAC_KEY) == 0o440
    assert _Mode(pathutils.NODED_CLIENT_CERT_FILE) == 0o440
    with open(pathutils.NODED_CERT_FILE) as handle:
        assert handle.read() == cluster_pem
    with open(pathutils.CONFD_HMAC_KEY) as handle:
        assert handle.read() == "0123456789abcdef\n"
    store = ssconf.SimpleStore()
    assert store.GetClusterName() == CLUSTER
    assert store.GetMasterNode() == "node1.example.com"
    assert _Mode(pathutils.ssconf_file("master_node")) == 0o444
    # the directory of the RAPI users file, which the master replicates
    assert _Mode(pathutils.RAPI_DATA_DIR) == 0o750
    # client.pem: the node's name, signed by the cluster certificate
    client = x509.LoadCertificateFile(pathutils.NODED_CLIENT_CERT_FILE)
    server = x509.LoadCertificate(cluster_pem)
    assert x509.IsSignedBy(client, server)
    cn = client.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert cn == "node2.example.com"
    assert result["client_cert_digest"] == \
        x509.GetCertificateDigest(pathutils.NODED_CLIENT_CERT_FILE)
    x509.CheckKeyCertPair(open(pathutils.NODED_CLIENT_CERT_FILE).read())


def test_setup_node_refuses_other_cluster_before_writing(ganeti_root,
                                                        cluster_pem):
    os.makedirs(pathutils.DATA_DIR)
    ssconf.WriteSsconfFiles({"cluster_name": "other.example.com"})
    with pytest.raises(nds.SetupError):
        nds.SetupNode(_Data(cluster_pem))
    assert not os.path.exists(pathutils.NODED_CERT_FILE)
    assert not os.path.exists(pathutils.NODED_CLIENT_CERT_FILE)
    assert ssconf.SimpleStore().GetClusterName() == "other.example.com"


def test_setup_node_dry_run_writes_nothing(ganeti_root, cluster_pem):
    result = nds.SetupNode(_Data(cluster_pem), dry_run=True)
    assert result["success"] and result["client_cert_digest"] is None
    assert not os.path.exists(pathutils.DATA_DIR)


def test_setup_node_restarts_noded_when_asked(ganeti_root, cluster_pem,
                                              monkeypatch):
    calls = []
    monkeypatch.setattr(nds, "_RestartNodeDaemon", lambda: calls.append(1))
    result = nds.SetupNode(_Data(cluster_pem, start_node_daemon=True))
    assert calls == [1] and result["node_daemon_started"] is True


def test_main_success_and_failure_output(ganeti_root, cluster_pem, capsys):
    out = io.StringIO()
    code = nds.Main([], stdin=io.StringIO(json.dumps(_Data(cluster_pem))),
                    stdout=out)
    assert code == 0
    answer = json.loads(out.getvalue())
    assert answer["success"] is True and answer["cluster_name"] == CLUSTER
    out = io.StringIO()
    code = nds.Main([], stdin=io.StringIO('{"cluster_name": ""}'), stdout=out)
    assert code == 1
    assert json.loads(out.getvalue()) == {
        "success": False, "error": "Cluster name must be specified"}
    assert capsys.readouterr().err.strip().endswith(
        "Cluster name must be specified")


def test_script_is_a_thin_wrapper():
    path = os.path.join(REPO, "tools", "node-daemon-setup")
    with open(path) as handle:
        text = handle.read()
    assert os.access(path, os.X_OK)
    assert ("sys.path.insert(0, os.path.dirname(os.path.dirname("
            "os.path.realpath(__file__))))  # GANETI-PYTHONPATH\n") in text
    assert "from ganeti.tools.node_daemon_setup import Main" in text


# --- the master side ----------------------------------------------------------

def test_find_tool_and_command():
    assert nds.FindTool() == os.path.join(REPO, "tools", "node-daemon-setup")
    assert nds.FindTool("no-such-tool") == os.path.join(
        pathutils.PKGLIBDIR, "tools", "no-such-tool")
    assert nds.SetupCommand() == [sys.executable, nds.FindTool()]
    assert nds.SetupCommand(debug=1, verbose=True, force_join=True)[2:] == \
        ["--debug", "--verbose", "--force-join"]


def _MasterFiles(pem):
    os.makedirs(pathutils.DATA_DIR)
    with open(pathutils.NODED_CERT_FILE, "w") as handle:
        handle.write(pem)
    with open(pathutils.CONFD_HMAC_KEY, "w") as handle:
        handle.write("secret\n")
    ssconf.WriteSsconfFiles(_Ssconf())


def test_build_setup_data(ganeti_root, cluster_pem):
    _MasterFiles(cluster_pem)
    data = nds.BuildSetupData("node3.example.com")
    assert data == {
        "cluster_name": CLUSTER, "node_daemon_certificate": cluster_pem,
        "ssconf": _Ssconf(), "start_node_daemon": True,
        "hmac_key": "secret\n", "node_name": "node3.example.com"}
    json.dumps(data)  # must be serialisable as is


class FakeSsh:
    def __init__(self, result=None, handler=None):
        self.result = result
        self.handler = handler
        self.calls = []

    def Run(self, host, command, port=22, stdin=None, timeout=None):
        self.calls.append((host, command, port, stdin, timeout))
        if self.handler is not None:
            return self.handler(host, command, stdin)
        return self.result


def test_setup_node_daemon_round_trip(tmp_path, cluster_pem, monkeypatch):
    """The master's data, run through Main() on a "node" with its own root."""
    master_root, node_root = str(tmp_path / "master"), str(tmp_path / "node")
    restarts = []  # never start a real daemon from a unit test
    monkeypatch.setattr(nds, "_RestartNodeDaemon",
                        lambda: restarts.append(pathutils.get_root()))
    waits = []
    monkeypatch.setattr(nds, "WaitForNodeDaemon", waits.append)
    old = pathutils.get_root()

    def on_node(host, command, stdin):
        pathutils.set_root(node_root)
        try:
            out = io.StringIO()
            code = nds.Main(command[2:], stdin=io.StringIO(stdin), stdout=out)
        finally:
            pathutils.set_root(master_root)
        return SshResult(host, " ".join(command), code, out.getvalue())

    fake = FakeSsh(handler=on_node)
    pathutils.set_root(master_root)
    try:
        _MasterFiles(cluster_pem)
        answer = nds.SetupNodeDaemon(CLUSTER, "node3.example.com",
                                     ssh_port=2222, ssh_runner=fake)
    finally:
        pathutils.set_root(old)
    assert restarts == [node_root]  # noded restarted on the node...
    assert waits == ["node3.example.com"]  # ...and waited for by the master
    host, command, port, stdin, timeout = fake.calls[0]
    assert (host, port, timeout) == ("node3.example.com", 2222,
                                     nds.SETUP_TIMEOUT)
    assert command == nds.SetupCommand()
    assert json.loads(stdin)["node_name"] == "node3.example.com"
    assert answer["success"] and answer["node_name"] == "node3.example.com"
    node_data = os.path.join(node_root + pathutils.LOCALSTATEDIR,
                             "lib", "ganeti")
    with open(os.path.join(node_data, "ssconf_master_node")) as handle:
        assert handle.read() == "node1.example.com"
    with open(os.path.join(node_data, "server.pem")) as handle:
        assert handle.read() == cluster_pem
    assert answer["client_cert_digest"] == x509.GetCertificateDigest(
        os.path.join(node_data, "client.pem"))


def test_setup_node_daemon_errors_are_one_line(ganeti_root, cluster_pem):
    _MasterFiles(cluster_pem)
    unreachable = SshResult("node3", "x", 255, fail_reason="Can't connect to"
                            " root@node3 port 22: connection timed out",
                            connect_failed=True)
    with pytest.raises(errors.OpExecError) as err:
        nds.SetupNodeDaemon(CLUSTER, "node3", ssh_runner=FakeSsh(unreachable))
    assert str(err.value) == ("Can't connect to root@node3 port 22:"
                              " connection timed out")
    refused = SshResult("node3", "x", 1, stdout=json.dumps(
        {"success": False, "error": "Current cluster name is 'other'"}),
        stderr="Current cluster name is 'other'\n")
    with pytest.raises(errors.OpExecError) as err:
        nds.SetupNodeDaemon(CLUSTER, "node3", ssh_runner=FakeSsh(refused))
    assert str(err.value) == ("Node daemon setup on node3 failed: Current"
                              " cluster name is 'other'")
    crashed = SshResult("node3", "x", 1, stderr="Traceback...\nImportError:"
                        " no module named foo\n")
    with pytest.raises(errors.OpExecError) as err:
        nds.SetupNodeDaemon(CLUSTER, "node3", ssh_runner=FakeSsh(crashed))
    assert str(err.value) == ("Node daemon setup on node3 failed: exited"
                              " with exit code 1: ImportError: no module"
                              " named foo")


def test_wait_for_node_daemon(monkeypatch):
    class Res:
        def __init__(self, msg):
            self.fail_msg = msg

    class Runner:
        def __init__(self, answers):
            self.answers = list(answers)

        def call_version(self, nodes):
            return {nodes[0]: Res(self.answers.pop(0))}

    monkeypatch.setattr(nds.time, "sleep", lambda _: None)
    nds.WaitForNodeDaemon("n", timeout=5, runner=Runner(["refused", None]))
    with pytest.raises(errors.OpExecError, match="didn't answer"):
        nds.WaitForNodeDaemon("n", timeout=0, runner=Runner(["refused"]))
