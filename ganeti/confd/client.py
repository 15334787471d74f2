"""The confd client library (upstream's ganeti.confd.client interface).

A ConfdClient sends each request, signed with the cluster's HMAC key, to
several master candidates (the request's coverage) and passes every valid
reply to a callback as a ConfdUpcallPayload; requests nobody answers expire
after CONFD_CLIENT_EXPIRE_TIMEOUT seconds (an UPCALL_EXPIRE upcall).
ConfdFilterCallback keeps only replies newer (higher config serial) than
the ones seen before; ConfdCountingCallback and StoreResultCallback help a
caller wait for and collect the answers::

    store = StoreResultCallback()
    client = GetConfdClient(ConfdFilterCallback(store))
    req = ConfdClientRequest(type=constants.CONFD_REQ_PING)
    client.SendRequest(req)
    client.WaitForReply(req.rsalt)
    store.GetResponse(req.rsalt).server_reply.answer
"""

import collections
import logging
import random
import select
import socket
import time
import uuid
from typing import Any, Callable, Dict, List, Optional, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti import ssconf
from ganeti.confd import packets

UPCALL_REPLY = 1
UPCALL_EXPIRE = 2
CONFD_UPCALL_TYPES = frozenset([UPCALL_REPLY, UPCALL_EXPIRE])


class _Record:
    """A plain record with keyword fields (missing ones are None)."""

    __slots__: Tuple[str, ...] = ()

    def __init__(self, **kwargs: Any) -> None:
        for name in self.__slots__:
            setattr(self, name, kwargs.pop(name, None))
        if kwargs:
            raise errors.ProgrammerError("Unknown fields %s"
                                         % ", ".join(sorted(kwargs)))

    def ToDict(self) -> Dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__
                if getattr(self, name) is not None}

    def __repr__(self) -> str:
        return "<%s %r>" % (self.__class__.__name__, self.ToDict())


class ConfdClientRequest(_Record):
    """A request: type (CONFD_REQ_*), query, and its rsalt (a fresh UUID)."""

    __slots__ = ("protocol", "type", "query", "rsalt")

    def __init__(self, **kwargs: Any) -> None:
        _Record.__init__(self, **kwargs)
        if not self.rsalt:
            self.rsalt = str(uuid.uuid4())
        if not self.protocol:
            self.protocol = constants.CONFD_PROTOCOL_VERSION
        if self.type not in constants.CONFD_REQS:
            raise errors.ConfdClientError("Invalid request type")


class ConfdReply(_Record):
    """A server's reply: status (CONFD_REPL_STATUS_*), answer, serial."""

    __slots__ = ("protocol", "status", "answer", "serial")


class ConfdUpcallPayload(_Record):
    """What a callback gets: the upcall type, the request, the reply."""

    __slots__ = ("salt", "type", "orig_request", "server_reply", "server_ip",
                 "server_port", "extra_args", "client")


class _PendingRequest:
    def __init__(self, request: ConfdClientRequest, args: Any,
                 expiry: float, sent: int) -> None:
        self.request = request
        self.args = args
        self.expiry = expiry
        self.sent = sent
        self.received = 0


class ConfdClient:
    """Send requests to master candidates and call back with the replies."""

    def __init__(self, hmac_key: str, peers: List[str],
                 callback: Callable[[ConfdUpcallPayload], Any],
                 port: Optional[int] = None,
                 logger: Optional[logging.Logger] = None) -> None:
        if not callable(callback):
            raise errors.ProgrammerError("callback must be callable")
        self._hmac_key = hmac_key.strip() if isinstance(hmac_key, str) \
            else hmac_key.decode("ascii").strip()
        self._callback = callback
        self._port = port or constants.DEFAULT_CONFD_PORT
        self._logger = logger or logging.getLogger(__name__)
        # In sending order, which is expiry order (one fixed timeout).
        self._requests: "collections.OrderedDict[str, _PendingRequest]" = \
            collections.OrderedDict()
        self._sockets: Dict[int, socket.socket] = {}
        self._peers: List[str] = []
        self.UpdatePeerList(peers)

    def UpdatePeerList(self, peers: List[str]) -> None:
        """Ask these addresses (master candidates' primary IPs) from now on."""
        if not isinstance(peers, list):
            raise errors.ProgrammerError("peers must be a list")
        self._peers = list(peers)

    def _Socket(self, address: str) -> socket.socket:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = self._sockets.get(family)
        if sock is None:
            sock = socket.socket(family, socket.SOCK_DGRAM)
            sock.setblocking(False)
            self._sockets[family] = sock
        return sock

    def _PackRequest(self, request: ConfdClientRequest,
                     now: Optional[float] = None) -> bytes:
        return packets.PackRequest(request.ToDict(), self._hmac_key, now=now)

    def SendRequest(self, request: ConfdClientRequest, args: Any = None,
                    coverage: int = 0, async_: bool = True) -> None:
        """Send request to coverage peers (0: the default, -1: all).

        With async_=False, wait (bounded by the expiry timeout) until every
        asked peer answered.
        """
        if coverage == 0:
            coverage = min(len(self._peers),
                           constants.CONFD_DEFAULT_REQ_COVERAGE)
        elif coverage < 0:
            coverage = len(self._peers)
        if coverage > len(self._peers):
            raise errors.ConfdClientError("Not enough MCs known to provide"
                                          " the desired coverage")
        if not request.rsalt:
            raise errors.ConfdClientError("Missing request rsalt")
        if request.rsalt in self._requests:
            raise errors.ConfdClientError("Duplicate request rsalt")
        if request.type not in constants.CONFD_REQS:
            raise errors.ConfdClientError("Invalid request type")
        self.ExpireRequests()
        targets = random.sample(self._peers, coverage)
        packet = self._PackRequest(request)
        sent = 0
        for address in targets:
            try:
                self._Socket(address).sendto(packet, (address, self._port))
                sent += 1
            except OSError as err:
                self._logger.debug("Can't send a confd request to %s: %s",
                                   address, err)
        expiry = time.monotonic() + constants.CONFD_CLIENT_EXPIRE_TIMEOUT
        self._requests[request.rsalt] = _PendingRequest(request, args,
                                                        expiry, sent)
        if not async_:
            self.WaitForReply(request.rsalt)

    def _HandleReply(self, data: bytes, peer: Tuple) -> None:
        try:
            message, salt = packets.UnpackReply(data, self._hmac_key)
        except packets.DroppedPacket as err:
            self._logger.debug("Discarding a confd reply from %s: %s",
                               peer[0], err)
            return
        pending = self._requests.get(salt)
        if pending is None:
            self._logger.debug("Discarding unknown (expired?) reply %s", salt)
            return
        pending.received += 1
        reply = ConfdReply(**{k: message.get(k) for k in ConfdReply.__slots__})
        self._callback(ConfdUpcallPayload(
            salt=salt, type=UPCALL_REPLY, orig_request=pending.request,
            server_reply=reply, server_ip=peer[0], server_port=peer[1],
            extra_args=pending.args, client=self))

    def ReceiveReply(self, timeout: float = 1) -> bool:
        """Handle the replies that arrive within timeout; True if any did."""
        socks = list(self._sockets.values())
        if not socks:
            return False
        got = False
        ready, _, _ = select.select(socks, [], [], max(0.0, timeout))
        for sock in ready:
            while True:
                try:
                    data, peer = sock.recvfrom(
                        constants.CONFD_MAX_PACKET_SIZE + 1)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError as err:  # e.g. ICMP port unreachable
                    self._logger.debug("confd receive error: %s", err)
                    break
                got = True
                self._HandleReply(data, peer)
        return got

    def ExpireRequests(self) -> None:
        """Forget requests past their expiry, with an UPCALL_EXPIRE each."""
        now = time.monotonic()
        # Oldest first, up to the first live one: every request sent costs
        # O(1) here, however many are pending.
        while self._requests:
            salt = next(iter(self._requests))
            pending = self._requests[salt]
            if pending.expiry > now:
                break
            del self._requests[salt]
            self._callback(ConfdUpcallPayload(
                salt=salt, type=UPCALL_EXPIRE,
                orig_request=pending.request, extra_args=pending.args,
                client=self))

    def FlushSendQueue(self) -> None:
        """Requests are sent when made; nothing is ever queued."""

    def WaitForReply(self, salt: str,
                     timeout: float = constants.CONFD_CLIENT_EXPIRE_TIMEOUT
                     ) -> Tuple[bool, int, int]:
        """Wait until every asked peer answered request salt, or timeout.

        Returns (timed_out, sent count, received count); an unknown request
        is (True, 0, 0).
        """
        pending = self._requests.get(salt)
        if pending is None:
            return True, 0, 0
        deadline = time.monotonic() + timeout
        while pending.received < pending.sent:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self.ReceiveReply(min(left, 1.0))
        return pending.received < pending.sent, pending.sent, pending.received

    def Close(self) -> None:
        for sock in self._sockets.values():
            sock.close()
        self._sockets = {}


class ConfdFilterCallback:
    """Pass on only replies with a higher serial than the ones before.

    A lower-serial reply comes from a master candidate with an older
    configuration; one with the same serial adds nothing (a different answer
    with the same serial is logged as inconsistent).
    """

    def __init__(self, callback: Callable[[ConfdUpcallPayload], Any],
                 logger: Optional[logging.Logger] = None) -> None:
        if not callable(callback):
            raise errors.ProgrammerError("callback must be callable")
        self._callback = callback
        self._logger = logger or logging.getLogger(__name__)
        self._answers: Dict[str, ConfdReply] = {}

    def __call__(self, up: ConfdUpcallPayload) -> None:
        if up.type == UPCALL_EXPIRE:
            self._answers.pop(up.salt, None)
            self._callback(up)
            return
        reply = up.server_reply
        old = self._answers.get(up.salt)
        if old is not None and reply.serial <= old.serial:
            if reply.serial == old.serial and reply.answer != old.answer:
                self._logger.warning("Got inconsistent answers to %s with"
                                     " serial %d", up.salt, reply.serial)
            return
        self._answers[up.salt] = reply
        self._callback(up)


class ConfdCountingCallback:
    """Count the replies to registered requests (AllAnswered when done)."""

    def __init__(self, callback: Callable[[ConfdUpcallPayload], Any],
                 logger: Optional[logging.Logger] = None) -> None:
        self._callback = callback
        self._logger = logger
        self._pending: Dict[str, int] = {}

    def RegisterQuery(self, salt: str) -> None:
        if salt in self._pending:
            raise errors.ProgrammerError("Query already registered")
        self._pending[salt] = 0

    def AllAnswered(self) -> bool:
        return not self._pending

    def __call__(self, up: ConfdUpcallPayload) -> None:
        if up.salt in self._pending:
            del self._pending[up.salt]
        self._callback(up)


class StoreResultCallback:
    """Keep the last upcall per request (see GetResponse)."""

    def __init__(self) -> None:
        self._answers: Dict[str, ConfdUpcallPayload] = {}

    def GetResponse(self, salt: str) -> Optional[ConfdUpcallPayload]:
        return self._answers.get(salt)

    def GetAllResponses(self) -> Dict[str, ConfdUpcallPayload]:
        return dict(self._answers)

    def __call__(self, up: ConfdUpcallPayload) -> None:
        self._answers[up.salt] = up


def ReadClusterPeers() -> Tuple[str, List[str]]:
    """This cluster's HMAC key and the addresses of its master candidates."""
    try:
        with open(pathutils.CONFD_HMAC_KEY) as handle:
            key = handle.read()
    except OSError as err:
        raise errors.ConfdClientError("Can't read the HMAC key %s: %s"
                                      % (pathutils.CONFD_HMAC_KEY, err))
    return key, ssconf.SimpleStore().GetMasterCandidatesIPList()


def GetConfdClient(callback: Callable[[ConfdUpcallPayload], Any]
                   ) -> ConfdClient:
    """A client for this cluster: its HMAC key and master candidates."""
    key, peers = ReadClusterPeers()
    return ConfdClient(key, peers, callback)
