"""Tests for ganeti-noded (as a real subprocess) and ganeti.http.server.

noded runs on 127.0.0.1 with a random port below a temporary
GANETI_ROOTDIR holding a generated server.pem and client.pem; the tests
talk to it with http.client + ssl, as the master's RPC client would.
"""

import base64
import http.client
import json
import os
import signal
import socket
import ssl
import stat
import subprocess
import sys
import time
import zlib

import pytest

from ganeti import constants
from ganeti import pathutils
from ganeti.http import server as http_server
from ganeti.rpc import defs as rpc_defs
from ganeti.utils import x509

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
NODED = os.path.join(REPO, "daemons", "ganeti-noded")
_CONNECTION_REFUSED = (ssl.SSLError, ConnectionError, OSError,
                       http.client.HTTPException)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _paths_below(root: str) -> dict:
    """pathutils values for root, without leaving the process relocated."""
    old = pathutils.get_root()
    pathutils.set_root(root)
    try:
        return {name: getattr(pathutils, name) for name in (
            "DATA_DIR", "CONF_DIR", "QUEUE_DIR", "HOOKS_BASE_DIR",
            "NODED_CERT_FILE", "NODED_CLIENT_CERT_FILE", "CLUSTER_CONF_FILE",
            "RAPI_USERS_FILE", "RUN_DIR", "LOG_DIR", "SSCONF_PREFIX")} | {
            "pidfile": pathutils.daemon_pid_file(constants.NODED)}
    finally:
        pathutils.set_root(old)


class Noded:
    """A running ganeti-noded subprocess and a client for it."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.paths = _paths_below(root)
        os.makedirs(self.paths["DATA_DIR"])
        x509.GenerateSelfSignedServerCert(self.paths["NODED_CERT_FILE"])
        x509.GenerateClientCert(self.paths["NODED_CLIENT_CERT_FILE"],
                                self.paths["NODED_CERT_FILE"], "node1")
        self.port = _free_port()
        env = dict(os.environ, GANETI_ROOTDIR=root)
        self.proc = subprocess.Popen(
            [sys.executable, NODED, "-f", "-d", "--no-mlock", "-b",
             "127.0.0.1", "-p", str(self.port)], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("noded exited: %s" %
                                     self.proc.stderr.read().decode())
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("noded did not start listening")

    def context(self, cert: str = "client") -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.load_verify_locations(self.paths["NODED_CERT_FILE"])
        if cert == "client":
            ctx.load_cert_chain(self.paths["NODED_CLIENT_CERT_FILE"])
        elif cert == "server":
            ctx.load_cert_chain(self.paths["NODED_CERT_FILE"])
        elif cert is not None:
            ctx.load_cert_chain(cert)
        return ctx

    def connect(self, cert: str = "client") -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection("127.0.0.1", self.port,
                                           context=self.context(cert),
                                           timeout=15)

    def request(self, path, body=b"[]", method="POST", conn=None,
                cert="client"):
        own = conn is None
        conn = conn or self.connect(cert)
        try:
            if not isinstance(body, bytes):
                body = json.dumps(body).encode()
            conn.request(method, path, body=body,
                         headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, json.loads(data) if data else None
        finally:
            if own:
                conn.close()

    def call(self, name, *args):
        status, answer = self.request("/" + name, list(args))
        assert status == 200, answer
        return answer

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stderr.close()
        return self.proc.returncode


@pytest.fixture(scope="module")
def noded(tmp_path_factory):
    daemon = Noded(str(tmp_path_factory.mktemp("noded-root")))
    yield daemon
    daemon.stop()


# ---------------------------------------------------------------- TLS

def test_version(noded):
    assert noded.call("version") == [True, constants.PROTOCOL_VERSION]


def test_cluster_cert_as_client_cert(noded):
    assert noded.request("/version", cert="server") == \
        (200, [True, constants.PROTOCOL_VERSION])


def test_client_without_certificate_gets_no_answer(noded):
    with pytest.raises(_CONNECTION_REFUSED):
        noded.request("/version", cert=None)
    assert noded.call("version")[0] is True


def test_client_with_foreign_certificate_gets_no_answer(noded, tmp_path):
    foreign = str(tmp_path / "foreign.pem")
    x509.GenerateSelfSignedServerCert(foreign)
    with pytest.raises(_CONNECTION_REFUSED):
        noded.request("/version", cert=foreign)
    signed_by_foreign = str(tmp_path / "client-foreign.pem")
    x509.GenerateClientCert(signed_by_foreign, foreign, "intruder")
    with pytest.raises(_CONNECTION_REFUSED):
        noded.request("/version", cert=signed_by_foreign)


def test_candidate_cert_map_restricts_clients(noded, tmp_path):
    other_client = str(tmp_path / "other-client.pem")
    other_digest = x509.GenerateClientCert(
        other_client, noded.paths["NODED_CERT_FILE"], "node2")
    mine = x509.GetCertificateDigest(noded.paths["NODED_CLIENT_CERT_FILE"])
    certs_file = noded.paths["SSCONF_PREFIX"] + "master_candidates_certs"
    try:
        with open(certs_file, "w") as handle:
            handle.write("uuid-1=%s\n" % mine)
        assert noded.call("version")[0] is True
        with pytest.raises(_CONNECTION_REFUSED):
            noded.request("/version", cert=other_client)
        # the cluster certificate itself stays trusted
        assert noded.request("/version", cert="server")[0] == 200
        with open(certs_file, "w") as handle:
            handle.write("uuid-1=%s\nuuid-2=%s\n" % (mine, other_digest))
        assert noded.request("/version", cert=other_client)[0] == 200
    finally:
        os.unlink(certs_file)


# ---------------------------------------------------------------- protocol

def test_malformed_body_then_keeps_serving(noded):
    conn = noded.connect()
    try:
        status, answer = noded.request("/version", b"[1, 2", conn=conn)
        assert status == 400 and answer[0] is False
        assert "Invalid JSON" in answer[1]
        status, answer = noded.request("/version", b'{"a": 1}', conn=conn)
        assert status == 400 and answer[0] is False
        # same (keep-alive) connection still works
        assert noded.request("/version", conn=conn) == \
            (200, [True, constants.PROTOCOL_VERSION])
    finally:
        conn.close()
    assert noded.call("version")[0] is True


def test_wrong_argument_count(noded):
    status, answer = noded.request("/test_delay", [])
    assert status == 400 and answer[0] is False
    assert "argument" in answer[1]


def test_unknown_call_and_method(noded):
    status, answer = noded.request("/no_such_call", [])
    assert status == 404 and answer == [False, "Unknown RPC call"
                                        " 'no_such_call'"]
    status, answer = noded.request("/version", b"", method="GET")
    assert status == 400 and answer[0] is False


def test_backend_failure_is_an_error_answer(noded):
    assert noded.call("test_delay", -1) == [False,
                                           "Invalid sleep duration '-1'"]
    assert noded.call("test_delay", 0.01) == [True, None]


def test_upload_file(noded, tmp_path):
    source = tmp_path / "config.data"
    source.write_text('{"version": 3000000}\n' * 100)
    os.chmod(source, 0o640)
    details = rpc_defs.PrepareFileUpload(str(source))
    details[0] = noded.paths["CLUSTER_CONF_FILE"][len(noded.root):]  # virtual
    assert noded.call("upload_file", details) == [True, None]
    target = noded.paths["CLUSTER_CONF_FILE"]
    assert open(target).read() == source.read_text()
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert int(os.stat(target).st_mtime) == int(os.stat(source).st_mtime)
    assert not [n for n in os.listdir(noded.paths["DATA_DIR"])
                if n.endswith(".tmp")]


def test_upload_file_refused(noded, tmp_path):
    source = tmp_path / "evil"
    source.write_text("evil")
    for target in (noded.root + "/evil-file",
                   noded.paths["DATA_DIR"] + "/ssconf_master_node",
                   noded.paths["NODED_CERT_FILE"]):
        details = rpc_defs.PrepareFileUpload(str(source))
        details[0] = target
        success, message = noded.call("upload_file", details)
        assert success is False and "not in allowed upload targets" in message
    assert not os.path.exists(noded.root + "/evil-file")
    assert "evil" not in open(noded.paths["NODED_CERT_FILE"]).read()


def test_write_ssconf_files(noded):
    assert noded.call("write_ssconf_files",
                      {"cluster_name": "cluster.example.com",
                       "node_list": "n1\nn2"}) == [True, None]
    path = noded.paths["SSCONF_PREFIX"] + "node_list"
    assert open(path).read() == "n1\nn2"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o444
    success, message = noded.call("write_ssconf_files", {"evil": "x"})
    assert success is False and "evil" in message
    assert noded.call("master_node_name")[0] is False  # no such file yet
    noded.call("write_ssconf_files", {"master_node": "n1"})
    assert noded.call("master_node_name") == [True, "n1"]


def test_jobqueue_update(noded):
    job = noded.paths["QUEUE_DIR"] + "/job-7"
    assert noded.call("jobqueue_update", job,
                      rpc_defs.Compress('{"id": 7}' * 100)) == [True, None]
    assert open(job).read() == '{"id": 7}' * 100
    success, _ = noded.call("jobqueue_update",
                            noded.paths["DATA_DIR"] + "/config.data",
                            [0, "x"])
    assert success is False


def test_hooks_runner(noded):
    hdir = noded.paths["HOOKS_BASE_DIR"] + "/cluster-verify-post.d"
    os.makedirs(hdir)
    for name, body in (("00-good", "echo fine"),
                       ("10-bad", "echo bad; exit 1")):
        with open(os.path.join(hdir, name), "w") as handle:
            handle.write("#!/bin/sh\n%s\n" % body)
        os.chmod(os.path.join(hdir, name), 0o755)
    success, results = noded.call("hooks_runner", "cluster-verify", "post",
                                  {"GANETI_CLUSTER": "c"})
    assert success is True
    assert results == [
        ["cluster-verify-post.d/00-good", constants.HKR_SUCCESS, "fine"],
        ["cluster-verify-post.d/10-bad", constants.HKR_FAIL, "bad"]]


def test_parallel_requests(noded):
    """Two slow calls run concurrently (one thread per connection)."""
    import threading
    results = []
    start = time.monotonic()
    threads = [threading.Thread(target=lambda: results.append(
        noded.call("test_delay", 0.5))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [[True, None], [True, None]]
    assert time.monotonic() - start < 0.95


def test_clean_shutdown(tmp_path):
    daemon = Noded(str(tmp_path))
    assert daemon.call("version")[0] is True
    idle = daemon.connect()
    daemon.request("/version", conn=idle)  # an idle keep-alive connection
    start = time.monotonic()
    assert daemon.stop() == 0
    assert time.monotonic() - start < 10
    assert not os.path.exists(daemon.paths["pidfile"])
    idle.close()


def test_leave_cluster_stops_daemon(tmp_path):
    daemon = Noded(str(tmp_path))
    assert daemon.call("node_leave_cluster", False) == \
        [True, "Shutdown scheduled"]
    assert daemon.proc.wait(20) == 0
    assert not os.path.exists(daemon.paths["NODED_CERT_FILE"])
    daemon.stop()


# ---------------------------------------------------------------- http server

@pytest.fixture
def plain_server():
    seen = []

    def handler(method, path, headers, body):
        seen.append((method, path, body))
        if path == "/boom":
            raise RuntimeError("boom")
        if path == "/teapot":
            raise http_server.HttpError(418, "short and stout")
        return 200, {"Content-Type": "text/plain"}, body or "empty"

    srv = http_server.HttpServer("127.0.0.1", 0, handler, max_body_size=1000,
                                 keepalive_timeout=5)
    srv.Start()
    srv.seen = seen
    yield srv
    srv.Shutdown()


def _plain(srv, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def test_http_server_basics(plain_server):
    assert _plain(plain_server, "PUT", "/x", b"hello") == (200, b"hello")
    assert _plain(plain_server, "GET", "/x") == (200, b"empty")
    status, body = _plain(plain_server, "POST", "/teapot", b"")
    assert status == 418 and b"short and stout" in body
    status, _ = _plain(plain_server, "POST", "/boom", b"")
    assert status == 500
    assert _plain(plain_server, "PUT", "/x", b"again") == (200, b"again")


def test_http_server_body_limit(plain_server):
    status, _ = _plain(plain_server, "POST", "/big", b"x" * 2000)
    assert status == 413
    assert not [s for s in plain_server.seen if s[1] == "/big"]
    assert _plain(plain_server, "POST", "/small", b"x" * 1000)[0] == 200


def test_http_server_chunked_body(plain_server):
    conn = http.client.HTTPConnection("127.0.0.1", plain_server.port,
                                      timeout=10)
    try:
        conn.request("POST", "/c", body=iter([b"ab", b"cd"]),
                     encode_chunked=True)
        resp = conn.getresponse()
        assert (resp.status, resp.read()) == (200, b"abcd")
    finally:
        conn.close()


def test_http_server_keepalive_and_shutdown():
    srv = http_server.HttpServer(
        "127.0.0.1", 0, lambda m, p, h, b: (200, {}, b"ok"))
    srv.Start()
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    conn.request("GET", "/a")
    first = conn.getresponse()
    assert first.read() == b"ok"
    assert first.getheader("Connection") != "close"
    conn.request("GET", "/b")  # same socket
    assert conn.getresponse().read() == b"ok"
    start = time.monotonic()
    srv.Shutdown()
    assert time.monotonic() - start < 5
    with pytest.raises((ConnectionError, OSError, http.client.HTTPException)):
        conn.request("GET", "/c")
        conn.getresponse()
    conn.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", srv.port), 1).close()


def test_deeply_nested_body_is_refused(noded):
    status, answer = noded.request("/version", b"[" * 100000 + b"]" * 100000)
    assert status == 400 and answer[0] is False
    assert "nesting too deep" in answer[1]
    assert noded.call("version")[0] is True


def test_compression_bomb_is_refused(noded):
    # 300 KB of compressed zeros inflate to 300 MB.
    bomb = zlib.compressobj(9)
    chunk = bytes(1024 * 1024)
    packed = b"".join(bomb.compress(chunk) for _ in range(300)) + \
        bomb.flush()
    assert len(packed) < 400 * 1024
    content = [rpc_defs.RPC_ENCODING_ZLIB_BASE64,
               base64.b64encode(packed).decode("ascii")]
    job = noded.paths["QUEUE_DIR"] + "/job-8"
    success, message = noded.call("jobqueue_update", job, content)
    assert success is False
    assert "inflates beyond %d bytes" % rpc_defs.MAX_DECOMPRESSED_SIZE \
        in message
    assert not os.path.exists(job)
    assert noded.call("version")[0] is True
