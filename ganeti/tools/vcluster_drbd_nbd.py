"""A minimal NBD server for the testbed's emulated DRBD devices (TESTBED ONLY).

The emulated /dev/drbdN of a Primary is a loop device over a file that
qemu-storage-daemon exports with FUSE; that daemon is an NBD client of
this server (on a unix socket), so every read, write and flush of the
block device reaches the emulation (ganeti.tools.vcluster_drbd), which
writes the local backing LV and mirrors the write to the peer.

Fixed newstyle handshake (NBD_OPT_GO / NBD_OPT_EXPORT_NAME), simple
replies only.  Only the Python standard library is used.
"""

import os
import socket
import struct
import threading

_NBDMAGIC = b"NBDMAGIC"
_IHAVEOPT = b"IHAVEOPT"
_OPT_REPLY_MAGIC = 0x3e889045565a9
_REQUEST_MAGIC = 0x25609513
_REPLY_MAGIC = 0x67446698
_OPT_EXPORT_NAME, _OPT_ABORT, _OPT_INFO, _OPT_GO = 1, 2, 6, 7
_REP_ACK, _REP_INFO, _REP_ERR_UNSUP = 1, 3, (1 << 31) + 1
_FLAG_FIXED_NEWSTYLE, _FLAG_NO_ZEROES = 1, 2
_TX_HAS_FLAGS, _TX_SEND_FLUSH, _TX_SEND_FUA = 1, 4, 8
_CMD_READ, _CMD_WRITE, _CMD_DISC, _CMD_FLUSH = 0, 1, 2, 3
_EIO, _EINVAL = 5, 22


def _RecvExact(sock: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise ConnectionError("NBD client went away")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class Server:
    """Serves one export (size bytes) on a unix socket; backend has
    Read(offset, length) -> bytes, Write(offset, data), Flush()."""

    def __init__(self, path: str, size: int, backend) -> None:
        self.path, self.size, self.backend = path, size, backend
        if os.path.exists(path):
            os.unlink(path)   # a socket left by the previous export
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.bind(path)
        self._sock.listen(4)
        self._stopped = False
        self._clients = []
        threading.Thread(target=self._Accept, daemon=True).start()

    def Stop(self) -> None:
        self._stopped = True
        for sock in [self._sock] + self._clients:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _Accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            self._clients.append(client)
            threading.Thread(target=self._Serve, args=(client,), daemon=True).start()

    def _OptReply(self, sock, option: int, kind: int, data: bytes = b"") -> None:
        sock.sendall(struct.pack("!QIII", _OPT_REPLY_MAGIC, option, kind,
                                 len(data)) + data)

    def _Handshake(self, sock) -> bool:
        sock.sendall(_NBDMAGIC + _IHAVEOPT + struct.pack(
            "!H", _FLAG_FIXED_NEWSTYLE | _FLAG_NO_ZEROES))
        (client_flags,) = struct.unpack("!I", _RecvExact(sock, 4))
        tx_flags = _TX_HAS_FLAGS | _TX_SEND_FLUSH | _TX_SEND_FUA
        while True:
            magic, option, length = struct.unpack("!8sII", _RecvExact(sock, 16))
            if magic != _IHAVEOPT:
                return False
            _RecvExact(sock, length)
            if option == _OPT_EXPORT_NAME:
                tail = b"" if client_flags & _FLAG_NO_ZEROES else b"\0" * 124
                sock.sendall(struct.pack("!QH", self.size, tx_flags) + tail)
                return True
            if option in (_OPT_GO, _OPT_INFO):
                self._OptReply(sock, option, _REP_INFO,
                               struct.pack("!HQH", 0, self.size, tx_flags))
                self._OptReply(sock, option, _REP_ACK)
                if option == _OPT_GO:
                    return True
            elif option == _OPT_ABORT:
                self._OptReply(sock, option, _REP_ACK)
                return False
            else:
                self._OptReply(sock, option, _REP_ERR_UNSUP)

    def _Serve(self, sock) -> None:
        try:
            if not self._Handshake(sock):
                return
            while True:
                magic, _, kind, handle, offset, length = struct.unpack(
                    "!IHHQQI", _RecvExact(sock, 28))
                if magic != _REQUEST_MAGIC:
                    return
                data = _RecvExact(sock, length) if kind == _CMD_WRITE else b""
                if kind == _CMD_DISC:
                    return
                error, payload = 0, b""
                if offset + length > self.size and kind in (_CMD_READ, _CMD_WRITE):
                    error = _EINVAL
                else:
                    try:
                        if kind == _CMD_READ:
                            payload = self.backend.Read(offset, length)
                        elif kind == _CMD_WRITE:
                            self.backend.Write(offset, data)
                        elif kind == _CMD_FLUSH:
                            self.backend.Flush()
                        else:
                            error = _EINVAL
                    except OSError:
                        error, payload = _EIO, b""
                if kind == _CMD_READ and error:
                    payload = b""
                sock.sendall(struct.pack("!IIQ", _REPLY_MAGIC, error, handle)
                             + payload)
        except (OSError, ConnectionError, struct.error):
            return
        finally:
            sock.close()
