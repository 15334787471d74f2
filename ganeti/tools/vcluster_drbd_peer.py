"""The replication link between two emulated DRBD minors (TESTBED ONLY).

One TCP connection per minor pair, between the nodes' (secondary)
addresses and the DRBD port from the disk's configuration: the side with
the lower address connects, the other listens.  Messages are a header
(kind, seq, offset, length) and a payload:

  HELO json  the sender's state (disk, role, current and bitmap UUIDs)
  WRIT data  an application write at offset; answered by ACKW seq
             (protocol C: the Primary's write completes after that)
  RSST json  a resync starts (total KiB);  RSBK data  a resynced block
             (seq: KiB left);  RSDN json  the resync is done (UUID)
  SIZE json  the device was resized (drbdsetup resize on the peer)
  PING/PONG  keep-alive; 4 s without any message drops the link, as a
             cut cable makes DRBD's ping time out

Only the Python standard library is used.
"""

import json
import socket
import struct
import threading
import time

HEADER = struct.Struct("!4sQQI")
PING_INTERVAL = 1.0
DEAD_AFTER = 4.0
CONNECT_RETRY = 0.5
BIND_RETRY = 5.0


def RecvExact(sock: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise ConnectionError("peer closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class Link:
    """An established connection; handler(kind, seq, offset, payload) runs
    in the reader thread, lost() once when the link dies."""

    def __init__(self, sock: socket.socket, handler, lost) -> None:
        self.sock = sock
        self._handler, self._lost = handler, lost
        self._send_lock = threading.Lock()
        self._closed = threading.Event()
        sock.settimeout(DEAD_AFTER)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def Start(self) -> None:
        threading.Thread(target=self._Reader, daemon=True).start()
        threading.Thread(target=self._Pinger, daemon=True).start()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def Send(self, kind: bytes, seq: int = 0, offset: int = 0,
             payload: bytes = b"") -> bool:
        if self.closed:
            return False
        try:
            with self._send_lock:
                self.sock.sendall(HEADER.pack(kind, seq, offset, len(payload))
                                  + payload)
            return True
        except OSError:
            self.Close()
            return False

    def SendJson(self, kind: bytes, data: dict) -> bool:
        return self.Send(kind, payload=json.dumps(data).encode())

    def Close(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self._lost(self)

    def _Pinger(self) -> None:
        while not self._closed.wait(PING_INTERVAL):
            self.Send(b"PING")

    def _Reader(self) -> None:
        try:
            while not self.closed:
                kind, seq, offset, length = HEADER.unpack(
                    RecvExact(self.sock, HEADER.size))
                payload = RecvExact(self.sock, length) if length else b""
                if kind == b"PING":
                    self.Send(b"PONG")
                elif kind != b"PONG":
                    self._handler(self, kind, seq, offset, payload)
        except (OSError, ConnectionError, struct.error, ValueError):
            pass
        self.Close()


class Connector:
    """Keeps trying to connect (or accepts) until stopped; on_link(sock)
    gets each new connection (the caller drops extra ones)."""

    def __init__(self, family: str, local: tuple, remote: tuple, on_link) -> None:
        self.family = socket.AF_INET6 if family == "ipv6" else socket.AF_INET
        self.local, self.remote = tuple(local), tuple(remote)
        self._on_link = on_link
        self._stop = threading.Event()
        self._listener = None
        self.active = self.local < self.remote
        if not self.active:
            self._listener = socket.socket(self.family, socket.SOCK_STREAM)
            self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            deadline = time.monotonic() + BIND_RETRY
            while True:   # a listener just stopped may hold the port briefly
                try:
                    self._listener.bind(self.local)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        self._listener.close()
                        raise
                    time.sleep(0.1)
            self._listener.listen(2)
            self._listener.settimeout(CONNECT_RETRY)
        self.wanted = threading.Event()
        self.wanted.set()
        threading.Thread(target=self._Loop, daemon=True).start()

    def Stop(self) -> None:
        self._stop.set()
        self.wanted.set()
        if self._listener is not None:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)   # wakes accept()
            except OSError:
                pass
            self._listener.close()

    def _Loop(self) -> None:
        while not self._stop.is_set():
            self.wanted.wait()
            if self._stop.is_set():
                return
            sock = self._Accept() if self._listener else self._Connect()
            if sock is None:
                continue
            if self._stop.is_set():
                sock.close()
                return
            self.wanted.clear()
            self._on_link(sock)

    def _Accept(self):
        try:
            sock, addr = self._listener.accept()
        except socket.timeout:
            return None
        except OSError:
            time.sleep(CONNECT_RETRY)
            return None
        if addr[0] != self.remote[0]:
            sock.close()
            return None
        return sock

    def _Connect(self):
        sock = socket.socket(self.family, socket.SOCK_STREAM)
        sock.settimeout(2.0)
        try:
            sock.bind((self.local[0], 0))
            sock.connect(self.remote)
            return sock
        except OSError:
            sock.close()
            self._stop.wait(CONNECT_RETRY)
            return None
