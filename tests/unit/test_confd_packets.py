"""confd packets: magic, HMAC-SHA1 signature, timestamp window, replays."""

import hashlib
import hmac
import json
import os
import re

import pytest

from ganeti import constants
from ganeti.confd import packets
import testdata

KEY = "3f2a0c9d8e7b6a5f4e3d2c1b0a998877"
NOW = 1800000000


def _request(rtype=constants.CONFD_REQ_PING, **extra):
    return dict({"protocol": 1, "type": rtype, "rsalt": "rs-1"}, **extra)


def test_request_layout_is_upstreams():
    packet = packets.PackRequest(_request(), KEY, now=NOW)
    assert packet[:4] == b"plj0"
    envelope = json.loads(packet[4:])
    assert set(envelope) == {"msg", "salt", "hmac"}
    assert envelope["salt"] == str(NOW)
    expected = hmac.new(KEY.encode(), (str(NOW) + envelope["msg"]).encode(),
                        hashlib.sha1).hexdigest()
    assert envelope["hmac"] == expected
    assert json.loads(envelope["msg"]) == _request()


def test_valid_request_unpacks():
    packet = packets.PackRequest(_request(query="x"), KEY, now=NOW)
    assert packets.UnpackRequest(packet, KEY, now=NOW + 3) == \
        _request(query="x")


def _reason(packet, key=KEY, now=NOW, guard=None):
    with pytest.raises(packets.DroppedPacket) as err:
        packets.UnpackRequest(packet, key, guard, now=now)
    return err.value.reason


def test_unsigned_forged_and_keyless_are_dropped():
    good = packets.PackRequest(_request(), KEY, now=NOW)
    assert _reason(good[4:]) == packets.DROP_MAGIC
    assert _reason(b"plj0" + json.dumps(_request()).encode()) == \
        packets.DROP_UNSIGNED
    assert _reason(b"plj0{not json") == packets.DROP_UNSIGNED
    assert _reason(b"plj0" + b"[" * 60000) == packets.DROP_UNSIGNED
    assert _reason(b"plj0\xff\xfe") == packets.DROP_UNSIGNED
    assert _reason(good, key="another key") == packets.DROP_SIGNATURE
    envelope = json.loads(good[4:])
    envelope["msg"] = envelope["msg"].replace('"type": 0', '"type": 3')
    assert _reason(b"plj0" + json.dumps(envelope).encode()) == \
        packets.DROP_SIGNATURE
    assert _reason(good, key=None) == packets.DROP_NO_KEY
    assert _reason(b"plj0" + b" " * 70000) == packets.DROP_TOO_BIG


def test_timestamp_window_is_the_clock_skew():
    skew = constants.CONFD_MAX_CLOCK_SKEW
    assert skew == 300
    packet = packets.PackRequest(_request(), KEY, now=NOW)
    packets.UnpackRequest(packet, KEY, now=NOW + skew)
    packets.UnpackRequest(packet, KEY, now=NOW - skew)
    assert _reason(packet, now=NOW + skew + 1) == packets.DROP_TIMESTAMP
    assert _reason(packet, now=NOW - skew - 1) == packets.DROP_TIMESTAMP
    text = '{"protocol": 1, "type": 0, "rsalt": "a"}'
    salted = {"msg": text, "salt": "yesterday",
              "hmac": hmac.new(KEY.encode(), ("yesterday" + text).encode(),
                               hashlib.sha1).hexdigest()}
    assert _reason(b"plj0" + json.dumps(salted).encode()) == \
        packets.DROP_TIMESTAMP


def test_replayed_request_is_dropped_inside_the_window():
    guard = packets.ReplayGuard()
    packet = packets.PackRequest(_request(), KEY, now=NOW)
    packets.UnpackRequest(packet, KEY, guard, now=NOW)
    assert _reason(packet, guard=guard, now=NOW + 1) == packets.DROP_REPLAY
    # another request (fresh rsalt) in the same second is fine
    other = packets.PackRequest(_request(rsalt="rs-2"), KEY, now=NOW)
    packets.UnpackRequest(other, KEY, guard, now=NOW + 1)
    # past the window the timestamp check refuses it, and the guard forgets
    assert _reason(packet, guard=guard, now=NOW + 400) == \
        packets.DROP_TIMESTAMP
    packets.UnpackRequest(packets.PackRequest(_request(rsalt="rs-3"), KEY,
                                              now=NOW + 400),
                          KEY, guard, now=NOW + 400)
    assert len(guard) == 1


def test_replay_guard_is_bounded():
    guard = packets.ReplayGuard(max_entries=10)
    for i in range(25):
        guard.Check("d%d" % i, NOW, NOW)
    assert len(guard) <= 10


@pytest.mark.parametrize("request_", [
    [1, 2], {"type": 0, "rsalt": "a"}, _request(protocol=2),
    _request(rtype=12), _request(rtype="0"), _request(rtype=True),
    _request(rsalt=""), _request(rsalt=5)])
def test_malformed_requests_are_dropped(request_):
    packet = packets.PackRequest(request_, KEY, now=NOW)
    assert _reason(packet) == packets.DROP_REQUEST


def test_reply_round_trip_uses_the_rsalt():
    reply = {"protocol": 1, "status": 0, "answer": "x", "serial": 7}
    packet = packets.PackReply(reply, KEY, "rs-1")
    assert json.loads(packet[4:])["salt"] == "rs-1"
    assert packets.UnpackReply(packet, KEY) == (reply, "rs-1")
    with pytest.raises(packets.DroppedPacket):
        packets.UnpackReply(packet, "other")
    with pytest.raises(packets.DroppedPacket):
        packets.UnpackReply(packets.PackReply({"answer": 1}, KEY, "s"), KEY)


def test_constants_match_the_protocol_spec():
    with open(os.path.join(testdata.SPEC, "protocols.md")) as handle:
        text = handle.read()
    section = text[text.index("## (c) confd"):text.index("## (d)")]
    rows = re.findall(r"^\| (\d+) \| `(CONFD_REQ_\w+)` \|", section, re.M)
    assert len(rows) == 12
    for number, name in rows:
        assert getattr(constants, name) == int(number)
    assert set(int(n) for n, _ in rows) == constants.CONFD_REQS
    assert "`plj0`" in section and constants.CONFD_MAGIC_FOURCC == "plj0"
    assert "port **1814**" in section
    assert constants.DEFAULT_CONFD_PORT == 1814
    for key, number in re.findall(r'`"(\d)"` (link|iplist|ip|fields)\b',
                                  section):
        assert getattr(constants, "CONFD_REQQ_" + number.upper()) == key
