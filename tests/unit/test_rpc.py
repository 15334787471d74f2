"""Tests for ganeti.rpc: the call table and the HTTPS transport.

Several real HTTPS servers (stdlib http.server + ssl, client certificates
required, signed by the test's cluster certificate) stand in for nodes on
127.0.0.1; the runner talks to them through pycurl exactly as to noded.
"""

import datetime
import grp
import http.server
import json
import os
import pwd
import re
import socket
import ssl
import threading
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ganeti import errors
from ganeti import pathutils
from ganeti import rpc
from ganeti.rpc import defs
import testdata

SPEC = os.path.join(testdata.SPEC, "protocols.md")


# --- certificates ---------------------------------------------------------------

def _cert(cn, key, issuer_cert=None, issuer_key=None, ca=False):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(issuer_cert.subject if issuer_cert else subject)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None),
                              critical=True))
    return builder.sign(issuer_key or key, hashes.SHA256())


def _pem(key, cert):
    return (key.private_bytes(serialization.Encoding.PEM,
                              serialization.PrivateFormat.TraditionalOpenSSL,
                              serialization.NoEncryption())
            + cert.public_bytes(serialization.Encoding.PEM))


@pytest.fixture(scope="module")
def certs():
    """Cluster (server/CA) certificate and a node client certificate."""
    skey = ec.generate_private_key(ec.SECP256R1())
    scert = _cert("ganeti.example.com", skey, ca=True)
    ckey = ec.generate_private_key(ec.SECP256R1())
    ccert = _cert("node-client", ckey, scert, skey)
    return _pem(skey, scert), _pem(ckey, ccert)


@pytest.fixture
def cluster_certs(ganeti_root, certs):
    server_pem, client_pem = certs
    os.makedirs(os.path.dirname(pathutils.NODED_CERT_FILE), exist_ok=True)
    with open(pathutils.NODED_CERT_FILE, "wb") as handle:
        handle.write(server_pem)
    with open(pathutils.NODED_CLIENT_CERT_FILE, "wb") as handle:
        handle.write(client_pem)
    return pathutils.NODED_CERT_FILE


# --- fake nodes ---------------------------------------------------------------

class FakeNode:
    """An HTTPS server answering POST /<call> like noded (by default)."""

    def __init__(self, cert_file, name, keepalive=False):
        self.name = name
        self.requests = []            # (path, args, client CN)
        self.delay = 0.0
        self.answer = None            # fn(path, args) -> (status, body)
        self.stop = threading.Event()
        node = self

        class Handler(http.server.BaseHTTPRequestHandler):
            # HTTP/1.1 keeps connections open, so the client pools them
            protocol_version = "HTTP/1.1" if keepalive else "HTTP/1.0"

            def log_message(self, *_):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                args = json.loads(self.rfile.read(length))
                peer = self.connection.getpeercert()
                cn = dict(x[0] for x in peer["subject"])["commonName"]
                node.requests.append((self.path, args, cn,
                                      self.headers.get("Content-type")))
                if node.delay:
                    node.stop.wait(node.delay)
                status, body = (node.answer or node.default)(self.path, args)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert_file)
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cert_file)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.socket = ctx.wrap_socket(self.server.socket,
                                             server_side=True,
                                             do_handshake_on_connect=False)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def Freeze(self):
        """Behave like a SIGSTOPped node daemon: new connections are still
        accepted by the kernel (the socket keeps listening) but never get a
        TLS handshake, requests on open connections never get an answer."""
        self.delay = 3600
        self.server.shutdown()

    def default(self, path, args):
        return 200, [True, {"node": self.name, "call": path, "args": args}]

    def close(self):
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def nodes(cluster_certs):
    created = {}

    def make(*names, keepalive=False):
        for name in names:
            created[name] = FakeNode(cluster_certs, name, keepalive=keepalive)
        return created
    yield make
    for node in created.values():
        node.close()


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _runner(fake, offline=(), extra=None, **kwargs):
    """A runner resolving fake node names to their ports on 127.0.0.1."""
    table = {name: ("127.0.0.1", node.port) for name, node in fake.items()}
    table.update(extra or {})

    def resolver(names):
        return [(n, table[n][0], n in offline, table[n][1]) for n in names]
    return rpc.RpcRunner(resolver, **kwargs)


# --- transport ------------------------------------------------------------------

def test_multi_call_to_three_nodes(nodes):
    fake = nodes("n1", "n2", "n3")
    result = _runner(fake).call_node_info(["n1", "n2", "n3"], ["vg"], [["kvm", {}]])
    assert sorted(result) == ["n1", "n2", "n3"]
    for name, res in result.items():
        assert res.fail_msg is None and not res.offline
        assert res.node == name and res.call == "node_info"
        assert res.payload == {"node": name, "call": "/node_info",
                               "args": [["vg"], [["kvm", {}]]]}
        res.Raise("must not raise")
        (path, args, client_cn, ctype), = fake[name].requests
        assert client_cn == "node-client"  # client.pem, not server.pem
        assert ctype == "application/json"


def test_client_cert_falls_back_to_server_cert(nodes):
    fake = nodes("n1")
    os.unlink(pathutils.NODED_CLIENT_CERT_FILE)
    res = _runner(fake).call_version(["n1"])["n1"]
    assert res.fail_msg is None
    assert fake["n1"].requests[0][2] == "ganeti.example.com"


def test_calls_run_in_parallel(nodes):
    fake = nodes("n1", "n2", "n3")
    for node in fake.values():
        node.delay = 0.6
    start = time.monotonic()
    result = _runner(fake).call_version(["n1", "n2", "n3"])
    elapsed = time.monotonic() - start
    assert all(r.fail_msg is None for r in result.values())
    assert elapsed < 1.5, "calls were not parallel (%.2fs)" % elapsed


def test_slow_node_times_out_others_succeed(nodes):
    fake = nodes("n1", "slow", "n3")
    fake["slow"].delay = 5
    start = time.monotonic()
    result = _runner(fake).call_version(["n1", "slow", "n3"], read_timeout=1.0)
    elapsed = time.monotonic() - start
    assert 0.9 < elapsed < 2.5
    assert result["n1"].payload["node"] == "n1"
    assert result["n3"].payload["node"] == "n3"
    slow = result["slow"]
    assert slow.payload is None and slow.failed
    assert re.match(r"Error 28: .*timed out", slow.fail_msg), slow.fail_msg
    with pytest.raises(errors.OpExecError) as err:
        slow.Raise("Version failed")
    assert str(err.value).startswith("Version failed: Error 28")


def test_offline_node_gets_no_connection(nodes):
    fake = nodes("n1", "off")
    runner = _runner(fake, offline={"off"})
    result = runner.call_node_volumes(["n1", "off"])
    assert result["n1"].fail_msg is None
    off = result["off"]
    assert off.offline and off.fail_msg == "Node is marked offline"
    assert off.payload is None and off.node == "off"
    assert fake["off"].requests == []
    with pytest.raises(errors.OpPrereqError) as err:
        off.Raise("Cannot list volumes", prereq=True, ecode=errors.ECODE_STATE)
    assert err.value.args == ("Cannot list volumes: Node is marked offline",
                              errors.ECODE_STATE)
    # version accepts offline nodes: it is sent anyway
    assert runner.call_version(["off"])["off"].fail_msg is None
    assert [r[0] for r in fake["off"].requests] == ["/version"]


def test_connection_refused(nodes):
    fake = nodes("n1")
    runner = _runner(fake, extra={"dead": ("127.0.0.1", _free_port())})
    result = runner.call_version(["n1", "dead"])
    assert result["n1"].fail_msg is None
    dead = result["dead"]
    assert dead.failed and dead.payload is None
    assert dead.fail_msg.startswith("Error 7: "), dead.fail_msg
    with pytest.raises(errors.OpExecError) as err:
        dead.Raise(None)
    assert str(err.value).startswith(
        "Call 'version' to node 'dead' has failed: Error 7: ")


def test_unreachable_nodes_are_remembered(nodes):
    """A costly failure (timeout) marks the node in runner.reach, a cheap one
    (refused) does not, an answered error is no transport failure, and any
    answer clears the mark."""
    fake = nodes("n1", "slow", "err")
    fake["slow"].delay = 3
    fake["err"].answer = lambda path, args: (200, [False, "disk on fire"])
    runner = _runner(fake, extra={"dead": ("127.0.0.1", _free_port())})
    result = runner.call_version(["n1", "slow", "err", "dead"],
                                 read_timeout=1.0)
    assert [result[n].unreachable for n in ("n1", "slow", "err", "dead")] \
        == [False, True, False, True]
    assert list(runner.reach.Unreachable()) == ["slow"]
    assert runner.reach.Split(["n1", "slow", "dead"])[0] == ["n1", "dead"]
    fake["slow"].delay = 0
    assert runner.call_version(["slow"])["slow"].fail_msg is None
    assert runner.reach.Unreachable() == {}


def test_node_side_failures(nodes):
    fake = nodes("n1", "n2", "n3")
    fake["n1"].answer = lambda path, args: (200, [False, "disk on fire"])
    fake["n2"].answer = lambda path, args: (500, [False, "backend exploded"])
    fake["n3"].answer = lambda path, args: (404, "Not Found")
    result = _runner(fake).call_drbd_helper(["n1", "n2", "n3"])
    assert result["n1"].fail_msg == "disk on fire"
    assert result["n2"].fail_msg == "backend exploded"
    assert result["n3"].failed and "Not Found" in result["n3"].fail_msg
    single = _runner(fake).call_get_watcher_pause("n1")
    assert isinstance(single, rpc.RpcResult)
    assert single.fail_msg == "disk on fire"
    warnings = []
    single.Warn("Watcher pause unknown", warnings.append)
    assert warnings == ["Watcher pause unknown: disk on fire"]


def test_many_nodes_over_concurrency_limit(nodes):
    fake = nodes(*["n%d" % i for i in range(6)])
    transport = rpc.Transport(max_concurrent=2)
    runner = _runner(fake, transport=transport)
    names = sorted(fake)
    for node in fake.values():
        node.delay = 0.25
    start = time.monotonic()
    for _ in range(2):  # second round reuses pooled handles
        result = runner.call_version(names)
        assert [result[n].payload["node"] for n in names] == names
    assert time.monotonic() - start >= 2 * 3 * 0.25  # 3 waves of 2, twice
    assert len(transport._easy) == 2


def test_pool_flushed_when_certificate_changes(nodes):
    fake = nodes("n1")
    transport = rpc.Transport()
    runner = _runner(fake, transport=transport)
    assert runner.call_version(["n1"])["n1"].fail_msg is None
    pooled = list(transport._easy)
    os.utime(pathutils.NODED_CERT_FILE, ns=(0, 0))
    assert runner.call_version(["n1"])["n1"].fail_msg is None
    assert not set(map(id, pooled)) & set(map(id, transport._easy))


def test_compressed_argument_over_the_wire(nodes):
    fake = nodes("n1", "n2")
    content = "job data line\n" * 200
    result = _runner(fake).call_jobqueue_update(["n1", "n2"], "/q/job-1", content)
    assert all(r.fail_msg is None for r in result.values())
    (_, args, _, _), = fake["n2"].requests
    assert args[0] == "/q/job-1" and args[1][0] == defs.RPC_ENCODING_ZLIB_BASE64
    assert defs.Decompress(args[1]).decode() == content


def test_per_node_bodies(nodes):
    objects = pytest.importorskip("ganeti.objects")
    fake = nodes("n1", "n2")
    disk_a = objects.Disk(dev_type="plain", logical_id=["xenvg", "a"], size=1)
    disk_b = objects.Disk(dev_type="plain", logical_id=["xenvg", "b"], size=2)
    inst = objects.Instance(name="i1", nics=[])
    _runner(fake).call_blockdev_getmirrorstatus_multi(
        ["n1", "n2"], {"n1": [(disk_a, inst)], "n2": [(disk_b, inst)]})
    assert fake["n1"].requests[0][1][0][0]["logical_id"] == ["xenvg", "a"]
    assert fake["n2"].requests[0][1][0][0]["logical_id"] == ["xenvg", "b"]


def test_wrong_argument_count_and_node_types(nodes):
    fake = nodes("n1")
    runner = _runner(fake)
    with pytest.raises(TypeError):
        runner.call_node_info(["n1"], ["vg"])
    with pytest.raises(TypeError):
        runner.call_version("n1")
    with pytest.raises(TypeError):
        runner.call_blockdev_getmirrorstatus_multi([])
    assert runner.call_drbd_helper([]) == {}
    assert fake["n1"].requests == []


# --- encodings ----------------------------------------------------------------------

@pytest.mark.parametrize("data", ["", "short", "x" * 511, "y" * 512,
                                  "ünïcode " * 300, b"\x00\xff" * 10,
                                  bytes(range(256)) * 8])
def test_compress_round_trip(data):
    packed = defs.Compress(data)
    json.dumps(packed)  # must be JSON-able
    size = len(data if isinstance(data, bytes) else data.encode())
    raw = data if isinstance(data, bytes) else data.encode()
    if len(data) < 512 and (isinstance(data, str) or data.isascii()):
        assert packed == [defs.RPC_ENCODING_NONE,
                          data if isinstance(data, str) else data.decode()]
    else:
        assert packed[0] == defs.RPC_ENCODING_ZLIB_BASE64
    assert defs.Decompress(packed) == raw and len(raw) == size


def test_file_details(tmp_path):
    path = tmp_path / "ssconf_cluster_name"
    path.write_text("cluster.example.com\n")
    os.chmod(path, 0o644)
    name, content, mode, owner, group, atime, mtime = \
        defs.PrepareFileUpload(str(path))
    st = os.stat(path)
    assert name == str(path) and defs.Decompress(content) == b"cluster.example.com\n"
    assert mode == st.st_mode and mtime == st.st_mtime
    assert isinstance(atime, float)
    assert owner == pwd.getpwuid(st.st_uid).pw_name
    assert group == grp.getgrgid(st.st_gid).gr_name


class _FakeCfg:
    """Just enough ConfigWriter for the instance/disk encodings."""

    def __init__(self, objects):
        self.cluster = objects.Cluster(
            hvparams={"kvm": {"acpi": True, "kernel_path": ""}},
            beparams={"default": {"memory": 128, "vcpus": 1}},
            nicparams={"default": {"mode": "bridged", "link": "br0"}},
            osparams={}, os_hvp={},
            diskparams={"drbd": {"resync-rate": 1024, "data-stripes": 2,
                                 "meta-stripes": 1, "metavg": "xenvg"},
                        "plain": {"stripes": 3}})
        self.nodes = {
            "u1": objects.Node(uuid="u1", name="node1", primary_ip="10.0.0.1",
                               secondary_ip="10.1.0.1", offline=False),
            "u2": objects.Node(uuid="u2", name="node2", primary_ip="10.0.0.2",
                               secondary_ip="10.1.0.2", offline=True)}

    def GetClusterInfo(self):
        return self.cluster

    def GetAllNodesInfo(self):
        return dict(self.nodes)

    def GetNodeInfo(self, uuid):
        return self.nodes.get(uuid)

    def GetNodeInfoByName(self, name):
        return next((n for n in self.nodes.values() if n.name == name), None)


def test_instance_and_drbd_encodings():
    objects = pytest.importorskip("ganeti.objects")
    cfg = _FakeCfg(objects)
    ctx = defs.EncodeContext(cfg)
    data = objects.Disk(dev_type="plain", logical_id=["xenvg", "d"], size=10)
    meta = objects.Disk(dev_type="plain", logical_id=["xenvg", "m"], size=128)
    drbd = objects.Disk(dev_type="drbd", size=10, children=[data, meta],
                        logical_id=["u1", "u2", 11000, 0, 3, "secret"])
    inst = objects.Instance(name="i1", primary_node="u1", os="debian",
                            hypervisor="kvm", hvparams={"acpi": False},
                            beparams={}, osparams={"x": "1"}, disks=[drbd],
                            nics=[objects.NIC(mac="aa:00:00:00:00:01",
                                              nicparams={"link": "br1"})])
    idict = defs.ENCODINGS["INST_DICT_HVP_BEP_DP"].fn(
        ctx, "u2", (inst, {"kernel_path": "/k"}, {"memory": 512}))
    assert idict["hvparams"] == {"acpi": False, "kernel_path": "/k"}
    assert idict["beparams"] == {"memory": 512, "vcpus": 1}
    assert idict["nics"][0]["nicparams"] == {"mode": "bridged", "link": "br1"}
    (ddict,) = idict["disks_info"]
    assert ddict["dynamic_params"] == {"local-ip": "10.1.0.2", "local-minor": 3,
                                       "remote-ip": "10.1.0.1",
                                       "remote-minor": 0}
    assert ddict["params"]["resync-rate"] == 1024
    assert ddict["params"]["default-metavg"] == "xenvg"
    assert [c["params"] for c in ddict["children"]] == [{"stripes": 2},
                                                       {"stripes": 1}]
    assert inst.hvparams == {"acpi": False}  # the object is untouched
    plain = defs.ENCODINGS["SINGLE_DISK_DICT_DP"].fn(ctx, "node1", (data, inst))
    assert plain["params"] == {"stripes": 3} and plain["dynamic_params"] == {}


def test_config_resolver():
    objects = pytest.importorskip("ganeti.objects")
    resolver = rpc.ConfigResolver(_FakeCfg(objects))
    assert resolver(["u1", "node2", "127.0.0.1"]) == [
        ("node1", "10.0.0.1", False), ("node2", "10.0.0.2", True),
        ("127.0.0.1", "127.0.0.1", False)]


def test_bootstrap_runner_resolves_by_ssconf_and_dns(ganeti_root):
    os.makedirs(pathutils.DATA_DIR, exist_ok=True)
    with open(pathutils.ssconf_file("node_primary_ips"), "w") as handle:
        handle.write("node1.example.com 192.168.77.1\n")
    runner = rpc.RpcRunner.for_bootstrap()
    assert runner.resolver(["node1.example.com", "127.0.0.1"]) == [
        ("node1.example.com", "192.168.77.1", False),
        ("127.0.0.1", "127.0.0.1", False)]


# --- the table ----------------------------------------------------------------------

def test_table_is_complete_and_consistent():
    # upstream's 108 calls, plus extensions kept apart by their "x_" prefix
    upstream = [name for name in defs.CALLS if not name.startswith("x_")]
    assert len(upstream) == 108
    assert sorted(set(defs.CALLS) - set(upstream)) == ["x_config_newer_than"]
    for call in defs.CALLS.values():
        assert call.kind in (defs.SINGLE, defs.MULTI)
        assert callable(call.timeout) or \
            call.timeout in defs.TIMEOUT_CLASSES.values()
        names = [a.name for a in call.args]
        assert len(names) == len(set(names)), call.name
        for arg in call.args:
            assert arg.encoding is None or arg.encoding in defs.ENCODINGS
        assert callable(getattr(rpc.RpcRunner, "call_" + call.name))
    assert {c.name for c in defs.CALLS.values() if c.accept_offline} == \
        {"version", "node_powercycle"}
    assert defs.CALLS["test_delay"].ReadTimeout([10]) == 15
    assert defs.CALLS["instance_os_add"].ReadTimeout([None] * 3) == 86400


def test_table_matches_protocol_spec():
    text = open(SPEC).read()
    section = text[text.index("## (b) Node RPC"):text.index("## (c) confd")]
    rows = re.findall(r"^\| `(\w+)` \| (single|multi)[^|]* \| (\w+) \| ([^|]*) \|",
                      section, re.M)
    assert len(rows) == 108
    for name, kind, tmo, argspec in rows:
        call = defs.CALLS[name]
        assert call.kind == kind, name
        if tmo == "_TestDelayTimeout":
            assert callable(call.timeout)
        else:
            assert call.timeout == defs.TIMEOUT_CLASSES[tmo], name
        spec_args = [] if argspec.strip() in ("—", "-", "") else \
            [a.strip() for a in argspec.split(",")]
        ours = ["%s:%s" % (a.name, a.encoding) if a.encoding else a.name
                for a in call.args]
        assert ours == spec_args, name


def test_concurrent_callers_share_the_transport(nodes):
    fake = nodes("n1", "n2")
    runner = _runner(fake)
    outcomes = []

    def worker(i):
        for _ in range(5):
            res = runner.call_test_delay(["n1", "n2"], i)
            outcomes.append(all(r.payload["args"] == [i] for r in res.values()))
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert outcomes == [True] * 20
    assert len(fake["n1"].requests) == 20


def test_decompress_bounds_the_inflated_size():
    data = b"x" * 5000
    assert defs.Decompress(defs.Compress(data)) == data
    assert defs.Decompress(defs.Compress(data), max_size=5000) == data
    with pytest.raises(ValueError) as err:
        defs.Decompress(defs.Compress(data), max_size=4999)
    assert "inflates beyond 4999 bytes" in str(err.value)
    packed = defs.Compress(data)[1]
    for bad in ([1, packed[:20]], [1, "!!not base64"], [1, "eHh4"]):
        with pytest.raises(ValueError):
            defs.Decompress(bad)


def test_skip_unreachable_answers_marked_nodes_at_once(nodes):
    fake = nodes("n1", "n2")
    runner = _runner(fake)
    runner.reach.retry_interval = runner.reach.probe_interval = 3600.0
    runner.reach.Failed("n1", "Error 28: Connection timed out")
    before = len(fake["n1"].requests)
    res = runner.call_version(["n1", "n2"], skip_unreachable=True)
    assert res["n1"].fail_msg == "Error 28: Connection timed out"
    assert res["n1"].unreachable is True
    assert res["n2"].fail_msg is None
    assert len(fake["n1"].requests) == before
    # without skip_unreachable the marked node is still contacted
    assert runner.call_version(["n1"])["n1"].fail_msg is None


def test_quick_contact_does_not_wait_on_a_stopped_node(nodes):
    """A quick call opens a fresh connection: a stopped node daemon fails
    its TLS handshake (connect timeout) instead of getting the request on
    the pooled connection and keeping it until the read timeout."""
    fake = nodes("n1", "n2", keepalive=True)
    runner = _runner(fake)
    assert all(r.fail_msg is None for r in
               runner.call_version(["n1", "n2"]).values())
    fake["n1"].Freeze()
    before = len(fake["n1"].requests)
    res = runner.call_version(["n1", "n2"], quick_contact=True,
                              read_timeout=20)
    assert res["n2"].fail_msg is None
    assert res["n1"].unreachable and res["n1"].fail_msg.startswith(
        "Error 28: "), res["n1"].fail_msg
    assert len(fake["n1"].requests) == before  # never reached the handler
    assert list(runner.reach.Unreachable()) == ["n1"]
    # a query now skips it without contacting it at all
    res = runner.call_version(["n1"], skip_unreachable=True)
    assert res["n1"].unreachable and res["n1"].fail_msg.startswith("Error 28")


def test_skipped_node_is_probed_again_and_comes_back(nodes):
    fake = nodes("n1")
    runner = _runner(fake)
    runner.reach.probe_interval = 0.0
    runner.reach.Failed("n1", "Error 28: Connection timed out")
    res = runner.call_version(["n1"], skip_unreachable=True)
    assert res["n1"].unreachable          # answered at once from the mark
    deadline = time.monotonic() + 30      # the background probe clears it
    while runner.reach.Unreachable() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert runner.reach.Unreachable() == {}
    assert [r[0] for r in fake["n1"].requests] == ["/version"]
    assert runner.call_version(["n1"], skip_unreachable=True)["n1"].fail_msg \
        is None


def test_probe_interval_is_shorter_than_the_distribution_retry():
    clock = [100.0]
    reach = rpc.NodeReach(retry_interval=30, probe_interval=3,
                          clock=lambda: clock[0])
    reach.Failed("n1", "Error 28: timed out")
    assert not reach.ProbeDue("n1")
    clock[0] += 3
    assert reach.ProbeDue("n1")
    assert not reach.ProbeDue("n1")       # one prober at a time
    assert reach.Split(["n1"]) == ([], {"n1": "Error 28: timed out"})
    clock[0] += 27
    assert reach.Split(["n1"]) == (["n1"], {})
    assert not reach.ProbeDue("n2")       # not marked


def test_a_quick_connect_timeout_marks_the_node():
    reach = rpc.NodeReach()
    reach.Record("n1", "Error 28: Connection timed out after 1000 ms",
                 defs.RPC_QUICK_CONNECT_TIMEOUT)
    assert reach.Unreachable() == {
        "n1": "Error 28: Connection timed out after 1000 ms"}
