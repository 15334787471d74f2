"""ganeti-confd's request loop and the confd client library, over real UDP
on the loopback: answers, dropped packets, config reloads, the client's
coverage, serial filtering and expiry."""

import json
import os
import shutil
import socket
import threading
import time

import pytest

from ganeti import constants as C
from ganeti import serializer
from ganeti.confd import client as confd_client
from ganeti.confd import packets
from ganeti.confd.store import ConfigSource, DirectoryWatcher
from ganeti.server.confd import ConfdServer
import testdata

KEY = "00112233445566778899aabbccddeeff"


def _wait_for(cond, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


@pytest.fixture
def files(tmp_path):
    cfg = tmp_path / "config.data"
    shutil.copy(os.path.join(testdata.DATA, "confd",
                             "cluster_config_3.0.json"), cfg)
    (tmp_path / "hmac.key").write_text(KEY + "\n")
    return tmp_path


@pytest.fixture
def server(files):
    srv = ConfdServer("127.0.0.1", 0, ConfigSource(
        str(files / "config.data"), str(files / "hmac.key")))
    thread = threading.Thread(target=srv.Serve, daemon=True)
    thread.start()
    yield srv
    srv.Shutdown()
    thread.join(10)
    srv.Close()
    assert not thread.is_alive()


def _exchange(server, packet, timeout=2.0):
    """The reply packet to packet, or None when none comes within timeout."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(packet, ("127.0.0.1", server.port))
        try:
            return sock.recv(70000)
        except socket.timeout:
            return None


def _request(rtype=C.CONFD_REQ_PING, query=None, rsalt="r1"):
    req = {"protocol": 1, "type": rtype, "rsalt": rsalt}
    if query is not None:
        req["query"] = query
    return req


def test_signed_request_gets_a_signed_reply(server):
    reply = _exchange(server, packets.PackRequest(
        _request(C.CONFD_REQ_CLUSTER_MASTER), KEY))
    message, salt = packets.UnpackReply(reply, KEY)
    assert salt == "r1"
    assert message == {"protocol": 1, "status": 0,
                       "answer": "node1.example.com", "serial": 7627}


def test_bad_packets_get_no_answer_and_are_counted(server):
    good = packets.PackRequest(_request(rsalt="once"), KEY)
    assert _exchange(server, good) is not None
    bad = [good, good[4:], b"plj0" + json.dumps(_request()).encode(),
           packets.PackRequest(_request(), "forged key"),
           packets.PackRequest(_request(rsalt="old"), KEY,
                               now=time.time() - 3600),
           packets.PackRequest({"protocol": 1, "type": 99, "rsalt": "x"}, KEY),
           b"", b"plj0", os.urandom(300)]
    for packet in bad:
        assert _exchange(server, packet, timeout=0.3) is None
    assert _wait_for(lambda: sum(server.dropped.values()) == len(bad))
    assert server.dropped[packets.DROP_REPLAY] == 1
    assert server.dropped[packets.DROP_SIGNATURE] == 1
    assert server.dropped[packets.DROP_TIMESTAMP] == 1
    # and it still answers
    assert _exchange(server, packets.PackRequest(_request(rsalt="2"), KEY))


@pytest.fixture
def no_stat_check(monkeypatch):
    """Only inotify can notice a change (the fallback check never runs)."""
    monkeypatch.setattr(C, "CONFD_CONFIG_STAT_INTERVAL", 3600.0)


def test_config_change_is_answered_after_reload(no_stat_check, server,
                                                files):
    def master_ip():
        reply = _exchange(server, packets.PackRequest(
            _request(C.CONFD_REQ_CLUSTER_MASTER, {"3": ["1"]},
                     rsalt=str(time.monotonic())), KEY))
        message, _ = packets.UnpackReply(reply, KEY)
        return message["serial"], message["answer"]
    assert master_ip() == (7627, ["192.0.2.87"])
    data = json.loads((files / "config.data").read_text())
    data["cluster"]["master_ip"] = "192.0.2.99"
    data["serial_no"] += 1
    tmp = files / "config.data.tmp"
    tmp.write_text(json.dumps(data))
    os.rename(tmp, files / "config.data")
    assert _wait_for(lambda: master_ip() == (7628, ["192.0.2.99"]), 5)
    assert server.source.reloads == 2


@pytest.fixture
def no_inotify(monkeypatch):
    """As if inotify were unusable: only the stat check notices changes."""
    monkeypatch.setattr(DirectoryWatcher, "Arm", lambda self: None)


def test_stat_check_notices_changes_without_inotify(no_inotify, server,
                                                    files):
    assert server.watcher.fd is None
    with open(files / "hmac.key", "w") as handle:
        handle.write("a new key\n")
    def answered_with_new_key():
        reply = _exchange(server, packets.PackRequest(
            _request(rsalt=str(time.monotonic())), "a new key"), timeout=0.2)
        return reply is not None
    assert _wait_for(answered_with_new_key, 10)


def test_removed_config_gives_internal_errors(server, files):
    os.unlink(files / "config.data")
    def answer():
        reply = _exchange(server, packets.PackRequest(
            _request(rsalt=str(time.monotonic())), KEY))
        return packets.UnpackReply(reply, KEY)[0]
    assert _wait_for(lambda: answer()["status"] == 1, 5)
    assert answer() == {"protocol": 1, "status": 1,
                        "answer": C.CONFD_ERROR_INTERNAL, "serial": 0}


def test_oversized_answer_becomes_an_error(server, files):
    data = json.loads((files / "config.data").read_text())
    data["cluster"]["tags"] = ["t%06d" % i for i in range(20000)]
    (files / "config.data.tmp").write_text(json.dumps(data))
    os.rename(files / "config.data.tmp", files / "config.data")
    def answer():
        reply = _exchange(server, packets.PackRequest(_request(
            C.CONFD_REQ_CONFIG_QUERY, "/cluster/tags",
            rsalt=str(time.monotonic())), KEY))
        return packets.UnpackReply(reply, KEY)[0]
    assert _wait_for(lambda: answer()["status"] == 1, 5)
    assert answer()["answer"] == C.CONFD_ERROR_INTERNAL


def test_client_takes_the_highest_serial(server, files):
    store = confd_client.StoreResultCallback()
    seen = []
    def record(up):
        seen.append(up)
        store(up)
    cl = confd_client.ConfdClient(KEY, ["127.0.0.1"],
                                  confd_client.ConfdFilterCallback(record),
                                  port=server.port)
    try:
        req = confd_client.ConfdClientRequest(type=C.CONFD_REQ_PING)
        assert req.protocol == 1 and req.rsalt
        cl.SendRequest(req, args="extra")
        timed_out, sent, received = cl.WaitForReply(req.rsalt, timeout=5)
        assert (timed_out, sent, received) == (False, 1, 1)
        up = store.GetResponse(req.rsalt)
        assert up.type == confd_client.UPCALL_REPLY
        assert up.server_reply.answer == 3000000
        assert up.server_reply.serial == 7627 and up.extra_args == "extra"
        assert up.server_ip == "127.0.0.1"
        with pytest.raises(Exception):
            cl.SendRequest(req)  # duplicate rsalt
        with pytest.raises(Exception):
            cl.SendRequest(confd_client.ConfdClientRequest(type=0),
                           coverage=2)
    finally:
        cl.Close()


def test_filter_callback_drops_older_serials():
    got = []
    filt = confd_client.ConfdFilterCallback(got.append)
    def up(serial, answer):
        return confd_client.ConfdUpcallPayload(
            salt="s", type=confd_client.UPCALL_REPLY,
            server_reply=confd_client.ConfdReply(status=0, answer=answer,
                                                 serial=serial))
    for serial, answer in ((5, "a"), (4, "old"), (5, "a"), (6, "b")):
        filt(up(serial, answer))
    assert [u.server_reply.answer for u in got] == ["a", "b"]


def test_unanswered_request_expires(monkeypatch):
    monkeypatch.setattr(C, "CONFD_CLIENT_EXPIRE_TIMEOUT", 0)
    got = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        cl = confd_client.ConfdClient(KEY, ["127.0.0.1"], got.append,
                                      port=silent.getsockname()[1])
        try:
            req = confd_client.ConfdClientRequest(type=C.CONFD_REQ_PING)
            cl.SendRequest(req)
            assert silent.recv(70000).startswith(b"plj0")
            cl.ExpireRequests()
        finally:
            cl.Close()
    assert [u.type for u in got] == [confd_client.UPCALL_EXPIRE]
    assert got[0].orig_request is req


def test_expiry_looks_at_the_oldest_requests_only(monkeypatch):
    """Sending a request costs the same however many are pending: expiry
    stops at the first live request (they expire in sending order)."""
    reads = []

    class CountingPending(confd_client._PendingRequest):
        @property
        def expiry(self):
            reads.append(1)
            return self._expiry

        @expiry.setter
        def expiry(self, value):
            self._expiry = value
    monkeypatch.setattr(confd_client, "_PendingRequest", CountingPending)
    got = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        cl = confd_client.ConfdClient(KEY, ["127.0.0.1"], got.append,
                                      port=silent.getsockname()[1])
        try:
            for _ in range(50):
                cl.SendRequest(confd_client.ConfdClientRequest(
                    type=C.CONFD_REQ_PING))
            reads.clear()
            cl.ExpireRequests()
            assert len(reads) == 1 and got == []
            # the two oldest expire, in order; the third is the first live
            first = list(cl._requests.values())[:3]
            first[0].expiry = first[1].expiry = 0.0
            reads.clear()
            cl.ExpireRequests()
            assert len(reads) == 3
            assert [u.orig_request for u in got] == \
                [p.request for p in first[:2]]
        finally:
            cl.Close()


def test_replies_are_built_once_per_config_snapshot(server, monkeypatch):
    """The same question on the same configuration is answered from the
    cache (each packet still signed with its own rsalt); a query object is
    not cached, a new configuration empties the cache."""
    from ganeti.confd import queries
    built = []
    real = queries.BuildReply

    def counting(snap, request):
        built.append(request["type"])
        return real(snap, request)
    monkeypatch.setattr(queries, "BuildReply", counting)
    peer = ("127.0.0.1", 9)
    salts = []
    for i in range(3):
        packet = server.HandlePacket(packets.PackRequest(
            _request(C.CONFD_REQ_CLUSTER_MASTER, rsalt="c%d" % i), KEY), peer)
        message, salt = packets.UnpackReply(packet, KEY)
        assert message["answer"] == "node1.example.com"
        salts.append(salt)
    assert salts == ["c0", "c1", "c2"]
    assert built == [C.CONFD_REQ_CLUSTER_MASTER]
    for i in range(2):
        server.HandlePacket(packets.PackRequest(
            _request(C.CONFD_REQ_CLUSTER_MASTER, {"3": ["1"]},
                     rsalt="d%d" % i), KEY), peer)
    assert len(built) == 3
    server.source.Reload()       # a new snapshot
    server.HandlePacket(packets.PackRequest(
        _request(C.CONFD_REQ_CLUSTER_MASTER, rsalt="e"), KEY), peer)
    assert len(built) == 4


def test_invalid_client_requests():
    with pytest.raises(Exception):
        confd_client.ConfdClientRequest(type=42)
    with pytest.raises(Exception):
        confd_client.ConfdClientRequest(type=0, bogus=1)
    assert serializer.LoadJson(serializer.DumpJson(
        confd_client.ConfdClientRequest(type=0, rsalt="x").ToDict())) == \
        {"protocol": 1, "type": 0, "rsalt": "x"}


def test_confd_client_tool(server, capsys):
    from ganeti.tools import confd_client as tool
    base = ["-a", "127.0.0.1", "-p", str(server.port), "--hmac", KEY]
    assert tool.Main(base + ["-t", "cluster_master", "-q",
                             '{"3": ["0", "2"]}']) == 0
    assert json.loads(capsys.readouterr().out) == {
        "protocol": 1, "status": 0, "serial": 7627,
        "answer": ["node1.example.com", "192.0.2.82"]}
    assert tool.Main(base + ["-t", "1", "-q", "nodeX"]) == 1
    assert json.loads(capsys.readouterr().out)["answer"] == \
        C.CONFD_ERROR_UNKNOWN_ENTRY
    assert tool.Main(base + ["-r", "20"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == ["Ping: OK (3000000)", "Master: node1.example.com",
                       "Node role for master: OK (0)"]
    assert out[4].startswith("Timing: 20 of 20 requests answered")
    assert tool.Main(base + ["-t", "bogus"]) == 1
    assert capsys.readouterr().err == \
        "confd-client: Unknown request type 'bogus'\n"
