"""LUXI client and server over real unix sockets in a temporary directory."""

import os
import socket
import stat
import threading

import pytest

from ganeti import errors
from ganeti import luxi
from ganeti import serializer
from ganeti.server import luxi_server


class _Handler:
    """Records calls; behaviour chosen by the method name."""

    def __init__(self):
        self.calls = []

    def __call__(self, method, args):
        self.calls.append((method, args))
        if method == luxi.REQ_SUBMIT_JOB:
            return 42
        if method == luxi.REQ_QUERY_JOBS:
            return [[jid, "success"] for jid in args[0]]
        if method == luxi.REQ_CANCEL_JOB:
            raise errors.OpPrereqError("Job %s unknown" % args[0],
                                       errors.ECODE_NOENT)
        if method == luxi.REQ_SET_DRAIN_FLAG:
            raise errors.JobQueueDrainError("Job queue is drained,"
                                            " refusing job")
        if method == luxi.REQ_ARCHIVE_JOB:
            raise ValueError("boom")
        if method == luxi.REQ_QUERY_CLUSTER_INFO:
            return object()  # not serializable
        return args


@pytest.fixture
def server(tmp_path):
    handler = _Handler()
    paths = [str(tmp_path / "socket" / "ganeti-master"),
             str(tmp_path / "socket" / "ganeti-query")]
    srv = luxi_server.LuxiServer(paths, handler)
    srv.handler = handler
    try:
        yield srv
    finally:
        srv.Shutdown()


def _RawCall(path, payload: bytes) -> dict:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(path)
        sock.sendall(payload + luxi.LUXI_EOM)
        return _ReadOne(sock, luxi.MessageReader())


def _ReadOne(sock, reader) -> dict:
    while True:
        msg = reader.Pop()
        if msg is not None:
            return serializer.LoadJson(msg)
        data = sock.recv(4096)
        assert data, "server closed the connection"
        reader.Feed(data)


def test_roundtrip_on_both_sockets(server):
    for path in server.socket_paths:
        cl = luxi.Client(path)
        assert cl.SubmitJob([{"OP_ID": "OP_TEST_DELAY", "duration": 0}]) == 42
        cl.Close()
    method, args = server.handler.calls[0]
    assert method == "SubmitJob"
    assert args == [[{"OP_ID": "OP_TEST_DELAY", "duration": 0}]]


def test_socket_mode(server):
    for path in server.socket_paths:
        st = os.stat(path)
        assert stat.S_ISSOCK(st.st_mode)
        assert stat.S_IMODE(st.st_mode) == 0o660


def test_request_shape_on_the_wire(server):
    cl = luxi.Client(server.socket_paths[1])
    cl.WaitForJobChangeOnce(5, ["status"], None, None, timeout=10)
    cl.AutoArchiveJobs(3600)
    assert server.handler.calls[0] == (
        "WaitForJobChange", [5, ["status"], None, None, 10])
    assert server.handler.calls[1] == ("AutoArchiveJobs", [3600, 89])


def test_typed_errors_are_reraised(server):
    cl = luxi.Client(server.socket_paths[0])
    with pytest.raises(errors.OpPrereqError) as info:
        cl.CancelJob(7)
    assert info.value.args == ("Job 7 unknown", errors.ECODE_NOENT)
    with pytest.raises(errors.JobQueueDrainError) as info:
        cl.SetDrainFlag(True)
    assert "drained" in str(info.value)
    # Non-Ganeti exceptions become a plain string -> RequestError.
    with pytest.raises(errors.RequestError) as info:
        cl.ArchiveJob(1)
    assert "boom" in str(info.value)
    with pytest.raises(errors.RequestError):
        cl.QueryClusterInfo()
    # The connection is still usable afterwards.
    assert cl.QueryJobs([1, 2], ["id", "status"]) == [[1, "success"],
                                                      [2, "success"]]


def test_error_encoding_on_the_wire(server):
    resp = _RawCall(server.socket_paths[0], luxi.FormatRequest(
        "CancelJob", [3, False]))
    assert resp == {"success": False,
                    "result": ["OpPrereqError",
                               ["Job 3 unknown", "unknown_entity"]]}


def test_malformed_requests_keep_connection(server):
    path = server.socket_paths[0]
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(path)
        reader = luxi.MessageReader()
        for bad in (b"{not json", b"[1, 2]", b'{"method": "SubmitJob"}',
                    b'{"method": "NoSuchMethod", "args": []}',
                    b'{"method": "Query", "args": [], "version": 1}'):
            sock.sendall(bad + luxi.LUXI_EOM)
            resp = _ReadOne(sock, reader)
            assert resp["success"] is False
            assert resp["result"][0] in ("ProtocolError", "LuxiError")
        # Several requests in one write, answered in order.
        sock.sendall(luxi.FormatRequest("SubmitJob", [[]]) + luxi.LUXI_EOM +
                     luxi.FormatRequest("QueryTags", ["cluster", ""]) +
                     luxi.LUXI_EOM)
        assert _ReadOne(sock, reader) == {"success": True, "result": 42}
        assert _ReadOne(sock, reader) == {"success": True, "result": ["cluster", ""]}
    # The server still serves new connections.
    assert luxi.Client(path).SubmitJob([]) == 42


def test_sequential_requests_one_connection(server):
    cl = luxi.Client(server.socket_paths[0])
    for i in range(20):
        assert cl.QueryJobs([i], ["id"]) == [[i, "success"]]
    assert cl.transport is not None


def test_many_concurrent_clients(server):
    results = []

    def _Run(idx):
        cl = luxi.Client(server.socket_paths[idx % 2])
        results.append(cl.QueryJobs([idx], ["id"]))
        cl.Close()

    threads = [threading.Thread(target=_Run, args=(i, )) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(r[0][0] for r in results) == list(range(16))


def test_reconnect_after_server_closed_connection(server, tmp_path):
    cl = luxi.Client(server.socket_paths[0])
    assert cl.SubmitJob([]) == 42
    # Close the server side of the kept connection behind the client's back.
    with server._lock:
        conns = list(server._conns)
    for conn in conns:
        conn.shutdown(socket.SHUT_RDWR)
    assert cl.SubmitJob([]) == 42


def test_no_master(tmp_path):
    path = str(tmp_path / "nothing-here")
    with pytest.raises(errors.NoMasterError) as info:
        luxi.Client(path).QueryJobs(None, ["id"])
    assert info.value.args == (path, )
    # A socket file nobody listens on: connection refused.
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(tmp_path / "dead"))
    sock.close()
    with pytest.raises(errors.NoMasterError):
        luxi.Client(str(tmp_path / "dead")).QueryJobs(None, ["id"])


def test_shutdown_removes_sockets(tmp_path):
    paths = [str(tmp_path / "a"), str(tmp_path / "b")]
    srv = luxi_server.LuxiServer(paths, lambda m, a: None)
    cl = luxi.Client(paths[0])
    cl.QueryJobs(None, [])
    srv.Shutdown()
    assert not any(os.path.exists(p) for p in paths)
    with pytest.raises(errors.NoMasterError):
        luxi.Client(paths[1]).QueryJobs(None, [])


def test_default_address(monkeypatch, ganeti_root):
    from ganeti import pathutils
    monkeypatch.delenv("FORCE_LUXI_SOCKET", raising=False)
    assert luxi.Client().address == pathutils.QUERY_SOCKET
    monkeypatch.setenv("FORCE_LUXI_SOCKET", "master")
    assert luxi.Client().address == pathutils.MASTER_SOCKET
    monkeypatch.setenv("FORCE_LUXI_SOCKET", "query")
    assert luxi.Client().address == pathutils.QUERY_SOCKET


def test_version_mismatch_in_response():
    with pytest.raises(errors.LuxiError):
        luxi.CheckResponse(True, 1, version=luxi.LUXI_VERSION + 1)
    assert luxi.CheckResponse(True, 1, version=luxi.LUXI_VERSION) == 1


def test_message_reader_splits_stream():
    reader = luxi.MessageReader()
    reader.Feed(b'{"a": 1}\x03{"b"')
    assert reader.Pop() == b'{"a": 1}'
    assert reader.Pop() is None
    reader.Feed(b': 2}\x03')
    assert reader.Pop() == b'{"b": 2}'


def test_all_methods_listed():
    assert len(luxi.REQ_ALL) == 25


def test_serve_blocks_until_shutdown(tmp_path):
    srv = luxi_server.LuxiServer([str(tmp_path / "s")], lambda m, a: a)
    assert srv.Serve(timeout=0.05) is False
    done = []
    thread = threading.Thread(target=lambda: done.append(srv.Serve()))
    thread.start()
    srv.Shutdown()
    thread.join(5)
    assert done == [True]


def test_read_timeout(tmp_path):
    release = threading.Event()

    def _Slow(method, args):
        release.wait(5)
        return "late"

    srv = luxi_server.LuxiServer([str(tmp_path / "s")], _Slow)
    try:
        cl = luxi.Client(str(tmp_path / "s"), timeouts=(1, 0.2))
        with pytest.raises(errors.TimeoutError):
            cl.QueryClusterInfo()
    finally:
        release.set()
        srv.Shutdown()


def test_message_reader_is_linear():
    """A big message fed in small pieces is joined once (a reader copying
    its buffer on every piece takes minutes for this one)."""
    piece = b"x" * 4096
    count = 6 * 1024  # 24 MB
    done = []

    def _Feed():
        reader = luxi.MessageReader()
        for _ in range(count):
            reader.Feed(piece)
        reader.Feed(b"y" + luxi.LUXI_EOM + b"next")
        done.append(reader.Pop())
        done.append(reader.HasPartial())

    thread = threading.Thread(target=_Feed, daemon=True)
    thread.start()
    thread.join(60)
    assert done, "feeding 24 MB took more than 60 s"
    assert len(done[0]) == count * len(piece) + 1 and done[1] is True


def test_message_reader_size_limit():
    reader = luxi.MessageReader(max_size=10)
    reader.Feed(b"0123456789" + luxi.LUXI_EOM + b"01234")
    assert reader.Pop() == b"0123456789"
    with pytest.raises(errors.ProtocolError):
        reader.Feed(b"567890")
    reader = luxi.MessageReader(max_size=10)
    with pytest.raises(errors.ProtocolError):
        reader.Feed(b"x" * 11 + luxi.LUXI_EOM)


def test_oversized_request_is_refused_with_a_clear_error(server):
    path = server.socket_paths[0]
    big = "x" * (luxi.LUXI_MAX_REQUEST_SIZE + 1024)
    with pytest.raises(errors.ProtocolError) as err:
        luxi.Client(path).SubmitJob([{"OP_ID": "OP_TEST_DELAY",
                                      "comment": big}])
    assert str(err.value) == ("LUXI message too large (more than %d bytes)"
                              % luxi.LUXI_MAX_REQUEST_SIZE)
    assert luxi.Client(path).SubmitJob([]) == 42


def test_other_clients_served_during_a_slow_request(server):
    path = server.socket_paths[0]
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as slow:
        slow.settimeout(5)
        slow.connect(path)
        request = luxi.FormatRequest(luxi.REQ_QUERY_TAGS,
                                     ["cluster", "x" * (4 << 20)])
        slow.sendall(request[:len(request) // 2])
        for idx in range(3):
            assert luxi.Client(path).QueryJobs([idx], ["id"]) == \
                [[idx, "success"]]
        slow.sendall(request[len(request) // 2:] + luxi.LUXI_EOM)
        resp = _ReadOne(slow, luxi.MessageReader())
        assert resp["success"] is True and resp["result"][0] == "cluster"


def test_deeply_nested_request_is_a_protocol_error(server):
    path = server.socket_paths[0]
    for payload in (b'{"method": "Query", "args": ' + b"[" * 100000 +
                    b"]" * 100000 + b"}",
                    luxi.FormatRequest(luxi.REQ_QUERY,
                                       ["node", ["name"], _Nested(200)])):
        resp = _RawCall(path, payload)
        assert resp["success"] is False
        assert resp["result"][0] == "ProtocolError"
        assert "nesting too deep" in resp["result"][1][0]


def _Nested(depth):
    value = []
    for _ in range(depth):
        value = [value]
    return value


def test_error_answer_does_not_echo_the_request(server):
    path = server.socket_paths[0]
    resp = _RawCall(path, luxi.FormatRequest(luxi.REQ_CANCEL_JOB,
                                             ["7" * (1 << 20), False]))
    assert resp["success"] is False and resp["result"][0] == "OpPrereqError"
    message = resp["result"][1][0]
    assert message.startswith("Job 7777")
    assert len(message) < luxi_server.MAX_ERROR_TEXT + 100
    assert message.endswith("characters cut)")
