"""confd packets: the ``plj0`` magic, HMAC-SHA1 signatures, timestamps.

A packet is the four bytes ``plj0`` followed by a signed envelope
``{"msg", "salt", "hmac"}`` (ganeti.serializer's signed JSON).  A request's
salt is the sender's UNIX time; the server refuses one more than
CONFD_MAX_CLOCK_SKEW seconds off its own clock, and (beyond upstream) one it
has answered already inside that window.  A reply is signed with the
request's ``rsalt`` as salt, so a client matches it to its request.
"""

import time
from typing import Any, Dict, Optional, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import serializer

MAGIC = constants.CONFD_MAGIC_FOURCC.encode("ascii")

# Reasons a packet is dropped (the server counts them by reason).
DROP_MAGIC = "no magic"
DROP_UNSIGNED = "unsigned or malformed envelope"
DROP_SIGNATURE = "bad signature"
DROP_TIMESTAMP = "stale or future timestamp"
DROP_REPLAY = "replayed"
DROP_REQUEST = "malformed request"
DROP_NO_KEY = "no HMAC key"
DROP_TOO_BIG = "too big"


class DroppedPacket(Exception):
    """A packet that must not be answered; reason is one of DROP_*."""

    def __init__(self, reason: str, detail: str = "") -> None:
        Exception.__init__(self, reason, detail)
        self.reason = reason
        self.detail = detail

    def __str__(self) -> str:
        return "%s (%s)" % (self.reason, self.detail) if self.detail \
            else self.reason


def _Unwrap(packet: bytes, key: str) -> Tuple[Any, str]:
    """(inner message, salt) of a signed packet; DroppedPacket if not."""
    if len(packet) > constants.CONFD_MAX_PACKET_SIZE:
        raise DroppedPacket(DROP_TOO_BIG, "%d bytes" % len(packet))
    if not packet.startswith(MAGIC):
        raise DroppedPacket(DROP_MAGIC)
    try:
        return serializer.LoadSignedJson(packet[len(MAGIC):], key)
    except errors.SignatureError as err:
        reason = DROP_SIGNATURE if str(err) == "Invalid signature" \
            else DROP_UNSIGNED
        raise DroppedPacket(reason)
    except (ValueError, RecursionError) as err:
        raise DroppedPacket(DROP_UNSIGNED, str(err)[:80])


def PackRequest(request: Dict[str, Any], key: str,
                now: Optional[float] = None) -> bytes:
    """A signed request packet, salted with the current time."""
    salt = str(int(time.time() if now is None else now))
    return MAGIC + serializer.DumpSignedJson(request, key, salt=salt) \
        .encode("utf-8")


def CheckRequest(request: Any) -> Dict[str, Any]:
    """The request if it has a known protocol, type and an rsalt."""
    if not isinstance(request, dict):
        raise DroppedPacket(DROP_REQUEST, "not an object")
    if request.get("protocol") != constants.CONFD_PROTOCOL_VERSION:
        raise DroppedPacket(DROP_REQUEST, "protocol %r"
                            % (request.get("protocol"),))
    rtype = request.get("type")
    if type(rtype) is not int or rtype not in constants.CONFD_REQS:
        raise DroppedPacket(DROP_REQUEST, "type %r" % (rtype,))
    rsalt = request.get("rsalt")
    if not isinstance(rsalt, str) or not rsalt:
        raise DroppedPacket(DROP_REQUEST, "rsalt %r" % (rsalt,))
    return request


class ReplayGuard:
    """Requests (timestamp and rsalt) seen inside the clock-skew window.

    Only correctly signed packets get here, so only a holder of the key can
    fill it; it is bounded all the same (oldest entries go first).
    """

    def __init__(self, window: float = constants.CONFD_MAX_CLOCK_SKEW,
                 max_entries: int = 200000) -> None:
        self._window = window
        self._max = max_entries
        self._seen: Dict[str, float] = {}
        self._next_purge = 0.0

    def Check(self, digest: str, timestamp: int, now: float) -> None:
        """Remember digest; DroppedPacket if it was seen and is still valid.

        A client draws a fresh rsalt for every request, so a second packet
        with the same timestamp and rsalt is a replay.
        """
        if now >= self._next_purge or len(self._seen) >= self._max:
            self._Purge(now)
        expiry = self._seen.get(digest)
        if expiry is not None and expiry >= now:
            raise DroppedPacket(DROP_REPLAY)
        if len(self._seen) >= self._max:
            del self._seen[next(iter(self._seen))]
        self._seen[digest] = timestamp + self._window

    def _Purge(self, now: float) -> None:
        self._seen = {d: e for d, e in self._seen.items() if e >= now}
        self._next_purge = now + 10.0

    def __len__(self) -> int:
        return len(self._seen)


def UnpackRequest(packet: bytes, key: Optional[str],
                  guard: Optional[ReplayGuard] = None,
                  now: Optional[float] = None) -> Dict[str, Any]:
    """The checked inner request of a packet; DroppedPacket if it must not
    be answered (no magic, unsigned, forged, stale, replayed, malformed)."""
    if not key:
        raise DroppedPacket(DROP_NO_KEY)
    now = time.time() if now is None else now
    message, salt = _Unwrap(packet, key)
    try:
        timestamp = int(salt)
    except ValueError:
        raise DroppedPacket(DROP_TIMESTAMP, "salt %r" % salt[:20])
    if abs(timestamp - now) > constants.CONFD_MAX_CLOCK_SKEW:
        raise DroppedPacket(DROP_TIMESTAMP, "%d s off" % (timestamp - now))
    request = CheckRequest(message)
    if guard is not None:
        guard.Check(salt + "/" + request["rsalt"], timestamp, now)
    return request


def PackReply(reply: Dict[str, Any], key: str, rsalt: str) -> bytes:
    """A signed reply packet, salted with the request's rsalt."""
    return PackReplyText(serializer.DumpJson(reply), key, rsalt)


def PackReplyText(reply_text: str, key: str, rsalt: str) -> bytes:
    """A signed reply packet of a reply already serialized (DumpJson)."""
    return MAGIC + serializer.SignJsonText(reply_text, key, salt=rsalt) \
        .encode("utf-8")


def UnpackReply(packet: bytes, key: str) -> Tuple[Dict[str, Any], str]:
    """(reply, salt) of a signed reply packet; DroppedPacket if not one."""
    message, salt = _Unwrap(packet, key)
    if not isinstance(message, dict) or \
            not isinstance(message.get("status"), int) or \
            "answer" not in message or \
            not isinstance(message.get("serial"), int):
        raise DroppedPacket(DROP_REQUEST, "not a reply")
    return message, salt
