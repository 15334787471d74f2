"""ganeti-confd: signed configuration queries over UDP (port 1814).

Runs on every node; it answers from the node's own config.data, which only
master candidates hold (see ganeti.confd.store), so a node without one
answers every request with an internal error.  Packets that are unsigned,
forged, stale, replayed or malformed are dropped and counted in the log,
never answered.
"""

import errno
import logging
import optparse
import os
import select
import socket
import sys
import time
from typing import Any, Dict, Optional, Sequence, Tuple

from ganeti import constants
from ganeti import daemon
from ganeti import serializer
from ganeti.confd import packets
from ganeti.confd import queries
from ganeti.confd.store import ConfigSource, DirectoryWatcher

# Packets read per wake-up before other work (reloads, shutdown) is checked.
_BATCH = 256
_RCVBUF = 1 << 20
# Replies kept per configuration snapshot (by request type and query).
_REPLY_CACHE_SIZE = 4096
# A drop reason is logged at most once per this many seconds (with counts).
_DROP_LOG_INTERVAL = 1.0


class ConfdServer:
    """The UDP socket, the configuration and the request loop."""

    def __init__(self, address: str, port: int,
                 source: Optional[ConfigSource] = None) -> None:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RCVBUF)
        except OSError:
            pass
        self.sock.bind((address, port))
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self.source = source or ConfigSource()
        self.source.Reload()
        self.watcher = DirectoryWatcher(
            os.path.dirname(self.source.config_file),
            (os.path.basename(self.source.config_file),
             os.path.basename(self.source.key_file)))
        self.guard = packets.ReplayGuard()
        self._cache: Dict[Tuple, Tuple[Dict[str, Any], str]] = {}
        self._cache_snapshot: Any = None
        self.answered = 0
        self.dropped: Dict[str, int] = {}
        self._drop_logged: Dict[str, float] = {}
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._stop = False

    def Shutdown(self) -> None:
        """Make Serve return (callable from another thread)."""
        self._stop = True
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass

    def HandlePacket(self, data: bytes, peer: Tuple) -> Optional[bytes]:
        """The reply packet to data, or None (the drop is counted)."""
        try:
            request = packets.UnpackRequest(data, self.source.key, self.guard)
        except packets.DroppedPacket as err:
            self._CountDrop(err, peer)
            return None
        reply, reply_text = self._Reply(request)
        packet = packets.PackReplyText(reply_text, self.source.key,
                                       request["rsalt"])
        if len(packet) > constants.CONFD_MAX_PACKET_SIZE:
            logging.warning("Answer to a type %d request from %s is %d bytes,"
                            " too big for UDP; sending an error instead",
                            request["type"], peer[0], len(packet))
            error = dict(reply, status=queries.INTERNAL_ERROR[0],
                         answer=queries.INTERNAL_ERROR[1])
            packet = packets.PackReply(error, self.source.key,
                                       request["rsalt"])
        return packet

    def _Reply(self, request: Dict[str, Any]) -> Tuple[Dict[str, Any], str]:
        """The reply to a checked request and its JSON text; the same
        request (type and query) on the same configuration snapshot is
        answered from the cache (only the signature is per packet)."""
        snapshot = self.source.snapshot
        if snapshot is not self._cache_snapshot:
            self._cache_snapshot = snapshot
            self._cache.clear()
        query = request.get("query")
        try:
            key: Optional[Tuple] = (request["type"], query)
            cached = self._cache.get(key)
        except TypeError:   # a query object (dict, list): not cached
            key, cached = None, None
        if cached is not None:
            return cached
        reply = queries.BuildReply(snapshot, request)
        answer = (reply, serializer.DumpJson(reply))
        if key is not None:
            if len(self._cache) >= _REPLY_CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = answer
        return answer

    def _CountDrop(self, err: packets.DroppedPacket, peer: Tuple) -> None:
        count = self.dropped.get(err.reason, 0) + 1
        self.dropped[err.reason] = count
        now = time.monotonic()
        if now - self._drop_logged.get(err.reason, -1e9) >= \
                _DROP_LOG_INTERVAL:
            self._drop_logged[err.reason] = now
            logging.warning("Dropped packet from %s: %s; %d dropped as %s"
                            " so far", peer[0], err, count, err.reason)

    def _ServePending(self) -> None:
        for _ in range(_BATCH):
            try:
                data, peer = self.sock.recvfrom(
                    constants.CONFD_MAX_PACKET_SIZE + 1)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as err:
                logging.warning("Error receiving a packet: %s", err)
                return
            try:
                reply = self.HandlePacket(data, peer)
            except Exception:  # pylint: disable=broad-except
                logging.exception("Error answering a packet from %s", peer[0])
                continue
            if reply is None:
                continue
            try:
                self.sock.sendto(reply, peer)
                self.answered += 1
            except OSError as err:
                if err.errno not in (errno.EAGAIN, errno.ENOBUFS):
                    logging.warning("Can't answer %s: %s", peer[0], err)

    def _MaybeReload(self, now: float, notified: bool) -> None:
        """Reload changed files (notified: inotify said so; else the
        periodic stat check), at most once per rate-limit interval."""
        if now < self.source.NextReloadAllowed():
            return
        if self.source.ReloadIfChanged() and not notified:
            logging.info("Configuration change noticed by the stat check")

    def Serve(self) -> None:
        """Answer requests until Shutdown; reload the config on changes."""
        dirty = False
        next_stat = time.monotonic() + constants.CONFD_CONFIG_STAT_INTERVAL
        while not self._stop:
            now = time.monotonic()
            if dirty and now >= self.source.NextReloadAllowed():
                dirty = False
                self._MaybeReload(now, True)
            if now >= next_stat:
                next_stat = now + constants.CONFD_CONFIG_STAT_INTERVAL
                self.watcher.Arm()
                self._MaybeReload(now, False)
            deadline = next_stat
            if dirty:
                deadline = min(deadline, self.source.NextReloadAllowed())
            fds = [self.sock, self._wake_r]
            if self.watcher.fd is not None:
                fds.append(self.watcher.fd)
            try:
                ready, _, _ = select.select(fds, [], [],
                                            max(0.0, deadline - now))
            except InterruptedError:
                continue
            except OSError as err:  # only the inotify descriptor can go bad
                logging.error("Waiting for packets failed: %s", err)
                self.watcher.Close()
                continue
            if self.watcher.fd is not None and self.watcher.fd in ready:
                dirty = self.watcher.Read() or dirty
            if self.sock in ready:
                self._ServePending()
        logging.info("Answered %d requests; dropped %s", self.answered,
                     ", ".join("%d %s" % (n, r) for r, n in
                               sorted(self.dropped.items())) or "none")

    def Close(self) -> None:
        self.watcher.Close()
        self.sock.close()
        os.close(self._wake_r)
        os.close(self._wake_w)


def CheckConfd(options: Any, args: Sequence[str]) -> None:
    if args:
        print("Usage: ganeti-confd [-f] [-d] [-p port] [-b ADDRESS]"
              " [-i INTERFACE]", file=sys.stderr)
        sys.exit(constants.EXIT_FAILURE)


def PrepConfd(options: Any, args: Sequence[str]) -> ConfdServer:
    server = ConfdServer(options.bind_address, options.port)
    logging.info("Listening on %s UDP port %d", options.bind_address,
                 server.port)
    return server


def ExecConfd(options: Any, args: Sequence[str], server: ConfdServer) -> None:
    options.shutdown.Register(server.Shutdown)
    try:
        server.Serve()
    finally:
        server.Close()


def BuildParser() -> optparse.OptionParser:
    """The option parser of ganeti-confd (without the common daemon
    options, which daemon.GenericMain adds)."""
    parser = optparse.OptionParser(
        description="Ganeti configuration query daemon",
        usage="%prog [-f] [-d] [-p port] [-b ADDRESS] [-i INTERFACE]",
        version="%%prog (ganeti) %s" % constants.RELEASE_VERSION)
    parser.add_option("--no-user-checks", dest="no_user_checks",
                      action="store_true", default=False,
                      help="Do not check for the daemon's user and group")
    return parser


# The prose of the ganeti-confd(8) man page.
MAN_SECTIONS = [
    ("DESCRIPTION", [
        "ganeti-confd answers configuration queries over UDP port %d:"
        " the master node, a node's role, the instances with a given IP"
        " address, the node and instance lists and the like. Clients (such"
        " as htools and the confd-client tool) ask several master"
        " candidates at once and take the answer with the highest"
        " configuration serial number." % constants.DEFAULT_CONFD_PORT,
        "Requests and answers are signed with the cluster's HMAC key"
        " (/var/lib/ganeti/hmac.key, renewed by gnt-cluster renew-crypto"
        " --new-confd-hmac-key); unsigned, forged, stale or replayed"
        " packets are dropped without an answer.",
        "The daemon runs on every node but answers only where a copy of"
        " the configuration is, i.e. on master candidates; it reloads the"
        " configuration when the file changes.",
    ]),
]


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = BuildParser()
    daemon.GenericMain(constants.CONFD, parser, CheckConfd, PrepConfd,
                       ExecConfd, argv=list(argv) if argv is not None else None)
