"""The HTTP server and slow clients: reading a request holds no request
slot, and a request that is not read (or an answer not taken) in time has
its connection cut, so a slow client costs one thread for a bounded time."""

import http.client
import socket
import threading
import time

import pytest

from ganeti.http import server as http_server

SLOW_HEAD = (b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
             b"Expect: 100-continue\r\n\r\n")


@pytest.fixture
def make_server():
    servers = []

    def make(**kwargs):
        srv = http_server.HttpServer(
            "127.0.0.1", 0, lambda m, p, h, b: (200, {}, b"ok:" + b),
            **kwargs)
        srv.Start()
        servers.append(srv)
        return srv

    yield make
    for srv in servers:
        srv.Shutdown()


class _Dribbler:
    """A client sending head at once (with "Expect: 100-continue", it waits
    for the server's go-ahead: the headers have been read), then data one
    byte every 0.1 s (never idle long enough for the socket timeout), until
    stopped, cut off or 60 s have passed."""

    def __init__(self, port, head, data):
        self.sock = socket.create_connection(("127.0.0.1", port), 10)
        self.sock.sendall(head)
        if b"Expect: 100-continue" in head:
            answer = b""
            while b"\r\n\r\n" not in answer:
                chunk = self.sock.recv(100)
                assert chunk, answer
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 100 "), answer
        self.data = data
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._Run, daemon=True)
        self._thread.start()

    def _Run(self):
        deadline = time.monotonic() + 60
        for byte in self.data * 1000:
            if self._stop.wait(0.1) or time.monotonic() > deadline:
                return
            try:
                self.sock.send(bytes([byte]))
            except OSError:
                return

    def Stop(self):
        self._stop.set()
        self._thread.join(10)
        self.sock.close()


def _Get(port, path="/fast", timeout=10):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("PUT", path, body=b"x")
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def test_slow_bodies_hold_no_request_slot(make_server):
    srv = make_server(max_clients=1, keepalive_timeout=5,
                      request_timeout=60)
    slow = [_Dribbler(srv.port, SLOW_HEAD, b"y") for _ in range(3)]
    try:
        for _ in range(3):
            assert _Get(srv.port, timeout=5) == (200, b"ok:x")
    finally:
        for client in slow:
            client.Stop()


@pytest.mark.parametrize("head,data", [
    (SLOW_HEAD, b"y"),                               # body
    (b"GET /slow HTTP/1.1\r\nHost: x\r\nX-Pad: ", b"p"),  # headers
    (b"GET /", b"s"),                                # request line
])
def test_a_request_not_read_in_time_is_cut(make_server, head, data):
    srv = make_server(keepalive_timeout=5, request_timeout=1)
    client = _Dribbler(srv.port, head, data)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                client.sock.settimeout(1)
                if client.sock.recv(100) == b"":
                    break  # the server closed the connection
            except socket.timeout:
                continue
            except OSError:
                break
        else:
            pytest.fail("the slow request's connection was not cut")
        assert _Get(srv.port) == (200, b"ok:x")
    finally:
        client.Stop()


def test_requests_in_time_are_served_on_a_kept_connection(make_server):
    srv = make_server(keepalive_timeout=5, request_timeout=1)
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        for body in (b"a", b"b" * 100000, b"c"):
            conn.request("PUT", "/k", body=body)
            resp = conn.getresponse()
            assert (resp.status, resp.read()) == (200, b"ok:" + body)
            assert resp.getheader("Connection") != "close"
    finally:
        conn.close()


def _Closed(sock, timeout=10):
    """Whether the server closed sock (EOF or reset) within timeout."""
    sock.settimeout(timeout)
    try:
        return sock.recv(100) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def test_connections_beyond_the_cap_are_closed_at_once(make_server):
    srv = make_server(max_clients=1, max_connections=2)
    idle = [socket.create_connection(("127.0.0.1", srv.port), 10)
            for _ in range(2)]
    try:
        # Both idle connections are being served (their threads wait for a
        # request line); a third one is refused without a thread.
        deadline = time.monotonic() + 10
        while srv._open_connections < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        extra = socket.create_connection(("127.0.0.1", srv.port), 10)
        assert _Closed(extra)
        extra.close()
        # Once one idle client leaves, a normal request is answered again.
        idle.pop().close()
        deadline = time.monotonic() + 10
        while srv._open_connections > 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
        conn.request("POST", "/x", body=b"hi")
        assert conn.getresponse().read() == b"ok:hi"
        conn.close()
    finally:
        for sock in idle:
            sock.close()


def test_default_cap_scales_with_the_request_slots(make_server):
    srv = make_server(max_clients=3)
    assert srv.max_connections == 3 * http_server.CONNECTIONS_PER_CLIENT_SLOT
