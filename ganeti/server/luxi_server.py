"""Threaded LUXI server: unix sockets, JSON + 0x03 framing.

``LuxiServer(socket_paths, handler)`` listens on every path (typically
ganeti-master and ganeti-query) as soon as it is built and serves each
connection in its own thread, one request after the other; ``Serve()``
blocks until ``Shutdown()``.  ``handler(method, args)`` returns the
result or raises; Ganeti errors are sent as ``[class, args]``, any other
exception as the string "Caught exception: ...", both with success false.
A bad request gets an error answer and the connection stays usable; a
request beyond max_request_size gets an error answer and the connection
is closed.  Error answers never quote more than MAX_ERROR_TEXT characters
of any value.
"""

import logging
import os
import selectors
import socket
import threading
import time
from typing import Any, Callable, Iterable, List, Optional, Set

from ganeti import errors
from ganeti import luxi

SOCKET_MODE = 0o660
_RECV_SIZE = 65536

Handler = Callable[[str, Any], Any]


# Longest text of an error answer: messages quoting a bad value must not
# send a huge request back.
MAX_ERROR_TEXT = 4096


def _ShortenError(value: Any) -> Any:
    """value (an encoded error) with every overlong string cut short."""
    if isinstance(value, str):
        if len(value) <= MAX_ERROR_TEXT:
            return value
        return "%s... (%d characters cut)" % (value[:MAX_ERROR_TEXT],
                                              len(value) - MAX_ERROR_TEXT)
    if isinstance(value, (list, tuple)):
        return [_ShortenError(item) for item in value]
    if isinstance(value, dict):
        return {key: _ShortenError(item) for key, item in value.items()}
    return value


def HandleMessage(handler: Handler, msg: bytes,
                  methods: Optional[Iterable[str]] = None) -> bytes:
    """Process one raw request with handler; return the raw response."""
    try:
        method, args, version = luxi.ParseRequest(msg)
        if version is not None and version != luxi.LUXI_VERSION:
            raise errors.LuxiError("LUXI version mismatch, server %s,"
                                   " request %s" % (luxi.LUXI_VERSION,
                                                    version))
        if methods is not None and method not in methods:
            raise errors.ProtocolError("Invalid LUXI request (unknown"
                                       " method '%s')" % method)
        result = handler(method, args)
        success = True
    except errors.GenericError as err:
        logging.debug("LUXI request failed: %s", err, exc_info=True)
        success = False
        result = errors.EncodeException(err)
    except errors.QuitGanetiException as err:
        success = False
        result = errors.EncodeException(err)
    except Exception as err:  # pylint: disable=broad-except
        logging.exception("Unexpected exception while handling LUXI request")
        success = False
        result = "Caught exception: %s" % err
    if not success:
        result = _ShortenError(result)
    try:
        return luxi.FormatResponse(success, result)
    except Exception as err:  # pylint: disable=broad-except
        # The handler returned something JSON cannot carry.
        logging.exception("Cannot serialize LUXI response")
        return luxi.FormatResponse(False, "Caught exception: %s" % err)


def _SendQuietly(conn: socket.socket, response: bytes) -> None:
    """Send a last answer on a connection about to be closed."""
    try:
        conn.sendall(response + luxi.LUXI_EOM)
    except OSError:
        pass


class LuxiServer:
    """Serve LUXI on several unix sockets with one thread per connection."""

    def __init__(self, socket_paths: Iterable[str], handler: Handler,
                 methods: Optional[Iterable[str]] = None,
                 mode: int = SOCKET_MODE, gid: int = -1,
                 backlog: int = 128,
                 max_request_size: int = luxi.LUXI_MAX_REQUEST_SIZE) -> None:
        self._handler = handler
        self._max_request_size = max_request_size
        self._methods = (frozenset(methods) if methods is not None
                         else luxi.REQ_ALL)
        self._paths: List[str] = list(socket_paths)
        self._listeners: List[socket.socket] = []
        self._conns: Set[socket.socket] = set()
        self._threads: Set[threading.Thread] = set()
        self._lock = threading.Lock()
        self._stopping = False
        self._stopped = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        try:
            for path in self._paths:
                self._listeners.append(self._Listen(path, mode, gid, backlog))
        except Exception:
            self._CloseListeners()
            raise
        self._acceptor = threading.Thread(target=self._AcceptLoop,
                                          name="luxi-accept", daemon=True)
        self._acceptor.start()

    @staticmethod
    def _Listen(path: str, mode: int, gid: int,
                backlog: int) -> socket.socket:
        parent = os.path.dirname(path)
        if parent and not os.path.isdir(parent):
            os.makedirs(parent, 0o750, exist_ok=True)
        try:
            os.unlink(path)  # stale socket of a previous run
        except FileNotFoundError:
            pass
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(path)
            os.chmod(path, mode)
            if gid != -1:
                os.chown(path, -1, gid)
            sock.listen(backlog)
        except Exception:
            sock.close()
            raise
        return sock

    @property
    def socket_paths(self) -> List[str]:
        return list(self._paths)

    def Serve(self, timeout: Optional[float] = None) -> bool:
        """Block until Shutdown() (serving runs in background threads).

        Returns True once shut down, False if timeout passed first.
        """
        return self._stopped.wait(timeout)

    def _AcceptLoop(self) -> None:
        sel = selectors.DefaultSelector()
        sel.register(self._wake_r, selectors.EVENT_READ)
        for sock in self._listeners:
            sel.register(sock, selectors.EVENT_READ)
        try:
            while not self._stopping:
                for key, _ in sel.select():
                    if key.fileobj == self._wake_r or self._stopping:
                        return
                    try:
                        conn, _ = key.fileobj.accept()  # type: ignore
                    except OSError as err:
                        logging.warning("LUXI accept failed: %s", err)
                        continue
                    self._StartConnection(conn)
        except Exception:  # pylint: disable=broad-except
            if not self._stopping:
                logging.exception("LUXI accept loop failed")
        finally:
            sel.close()

    def _StartConnection(self, conn: socket.socket) -> None:
        with self._lock:
            if self._stopping:
                conn.close()
                return
            self._conns.add(conn)
            thread = threading.Thread(target=self._Serve, args=(conn, ),
                                      name="luxi-conn", daemon=True)
            self._threads.add(thread)
        thread.start()

    def _Serve(self, conn: socket.socket) -> None:
        reader = luxi.MessageReader(max_size=self._max_request_size)
        try:
            while not self._stopping:
                msg = reader.Pop()
                if msg is None:
                    try:
                        data = conn.recv(_RECV_SIZE)
                    except OSError:
                        break
                    if not data:
                        break
                    try:
                        reader.Feed(data)
                    except errors.ProtocolError as err:
                        logging.warning("Closing a LUXI connection: %s", err)
                        _SendQuietly(conn, luxi.FormatResponse(
                            False, errors.EncodeException(err)))
                        break
                    continue
                response = HandleMessage(self._handler, msg, self._methods)
                try:
                    conn.sendall(response + luxi.LUXI_EOM)
                except OSError:
                    break
        except Exception:  # pylint: disable=broad-except
            logging.exception("LUXI connection handler failed")
        finally:
            with self._lock:
                self._conns.discard(conn)
                self._threads.discard(threading.current_thread())
            try:
                conn.close()
            except OSError:
                pass

    def _CloseListeners(self) -> None:
        for sock in self._listeners:
            try:
                sock.close()
            except OSError:
                pass
        self._listeners = []
        for path in self._paths:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            except OSError as err:
                logging.warning("Cannot remove socket %s: %s", path, err)

    def Shutdown(self, timeout: float = 5.0) -> None:
        """Stop accepting, close connections, remove the socket files."""
        with self._lock:
            if self._stopping:
                return
            self._stopping = True
            conns = list(self._conns)
            threads = list(self._threads)
        os.write(self._wake_w, b"x")
        self._acceptor.join(timeout)
        self._CloseListeners()
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        os.close(self._wake_r)
        os.close(self._wake_w)
        self._stopped.set()
