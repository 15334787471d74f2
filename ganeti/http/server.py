"""A threaded HTTP/1.1 server, optionally over TLS, for noded and RAPI.

The application is one callback::

    handler(method, path, headers, body) -> (status, headers, body)

where headers are the request's (case-insensitive ``.get``), body is bytes,
and the answer's body may be bytes or str.  The handler may raise HttpError
for an error answer.  One thread serves each connection (keep-alive); TLS
handshakes run in that thread, so a slow client never blocks accept.
A slow client costs its thread for a bounded time only: the TLS handshake,
reading one request (line, headers, body) and sending its answer each have
a deadline (HANDSHAKE_TIMEOUT, keepalive_timeout + request_timeout,
request_timeout), after which the connection is cut; only the handler's
work holds one of the max_clients request slots.

With ssl_verify_peer, clients must present a certificate that verifies
against ssl_ca (for noded: server.pem, which signs the node client
certificates); others fail the TLS handshake and get no HTTP answer at all.
An optional peer_check(der_cert) -> bool can refuse verified clients too
(the connection is then closed without an answer).
"""

import contextlib
import email.message
import http.client
import http.server
import logging
import socket
import socketserver
import ssl
import tempfile
import threading
import time
from typing import Callable, Dict, Iterator, Optional, Set, Tuple, Union

from ganeti import constants

Body = Union[bytes, str]
Answer = Tuple[int, Dict[str, str], Body]
Handler = Callable[[str, str, email.message.Message, bytes], Answer]
ErrorFormatter = Callable[[int, str], Tuple[str, bytes]]
PeerCheck = Callable[[bytes], bool]

DEFAULT_KEEPALIVE_TIMEOUT = 60.0
DEFAULT_REQUEST_TIMEOUT = 60.0
HANDSHAKE_TIMEOUT = 10.0
# Open connections (one thread each) allowed per request slot by default.
CONNECTIONS_PER_CLIENT_SLOT = 10
# How often the deadline watchdog looks for connections past their deadline.
_DEADLINE_CHECK_INTERVAL = 0.5
_MAX_REQUEST_LINE = 65536
_SERVER_VERSION = "Ganeti %s" % constants.RELEASE_VERSION


class HttpError(Exception):
    """An HTTP error answer: raise it from a handler."""

    def __init__(self, code: int, message: str = "",
                 headers: Optional[Dict[str, str]] = None) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.headers = headers or {}


def _DefaultErrorFormat(code: int, message: str) -> Tuple[str, bytes]:
    reason = http.client.responses.get(code, "Error")
    text = "%d %s%s\n" % (code, reason, (": " + message) if message else "")
    return "text/plain; charset=utf-8", text.encode("utf-8")


def _LoadCertChain(ctx: ssl.SSLContext, cert_file: str, key_file: str,
                   chain_file: Optional[str]) -> None:
    """The certificate (and the intermediate certificates of chain_file,
    sent after it in the handshake) with its key."""
    if not chain_file:
        ctx.load_cert_chain(cert_file, key_file)
        return
    # The ssl module takes the chain from the certificate file only: load
    # the two concatenated (certificates are public, the key stays apart).
    with open(cert_file, "rb") as cert, open(chain_file, "rb") as chain:
        pem = cert.read().rstrip(b"\n") + b"\n" + chain.read()
    with tempfile.NamedTemporaryFile(prefix="ssl-chain-") as combined:
        combined.write(pem)
        combined.flush()
        ctx.load_cert_chain(combined.name, key_file)


def MakeServerSslContext(cert_file: str, key_file: str,
                         verify_peer: bool = False,
                         ca_file: Optional[str] = None,
                         chain_file: Optional[str] = None) -> ssl.SSLContext:
    """A TLS server context; with verify_peer, client certs are required."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    _LoadCertChain(ctx, cert_file, key_file, chain_file)
    if verify_peer:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cafile=ca_file or cert_file)
    return ctx


class _RequestHandler(http.server.BaseHTTPRequestHandler):
    """Parses requests and hands them to the HttpServer's callback."""

    protocol_version = "HTTP/1.1"
    server_version = _SERVER_VERSION
    sys_version = ""
    # The status line and headers go out before the body: with Nagle the
    # body would wait for the client's delayed ACK (~40 ms per request).
    disable_nagle_algorithm = True
    # set per server class (see HttpServer._MakeServer)
    owner: "HttpServer"

    def setup(self) -> None:
        self.timeout = self.owner.keepalive_timeout
        super().setup()

    def log_message(self, format: str,  # pylint: disable=redefined-builtin
                    *args) -> None:
        logging.debug("%s %s: %s", self.owner.name,
                      self.address_string(), format % args)

    def handle_one_request(self) -> None:
        owner = self.owner
        owner.SetDeadline(self.connection,
                          owner.keepalive_timeout + owner.request_timeout)
        try:
            self.raw_requestline = self.rfile.readline(_MAX_REQUEST_LINE + 1)
        except OSError:  # idle timeout, or cut at the deadline
            self.close_connection = True
            return
        if not self.raw_requestline.endswith(b"\n") and \
                len(self.raw_requestline) <= _MAX_REQUEST_LINE:
            self.close_connection = True  # end of stream, or cut
            return
        owner.SetDeadline(self.connection, owner.request_timeout)
        if len(self.raw_requestline) > _MAX_REQUEST_LINE:
            self.requestline = self.request_version = self.command = ""
            self._SendError(414, "Request line too long")
            self.close_connection = True
            return
        if not self.parse_request():
            return  # parse_request sent the error
        self._Process()
        if owner.stopping:
            self.close_connection = True

    def _ReadBody(self) -> bytes:
        limit = self.owner.max_body_size
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(1024)
                try:
                    size = int(line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    raise HttpError(400, "Bad chunked encoding")
                if size == 0:
                    while self.rfile.readline(_MAX_REQUEST_LINE) not in \
                            (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > limit:
                    raise HttpError(413, "Request body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(16)
        length_text = self.headers.get("Content-Length")
        if not length_text:
            return b""
        try:
            length = int(length_text)
        except ValueError:
            raise HttpError(400, "Invalid Content-Length")
        if length < 0:
            raise HttpError(400, "Invalid Content-Length")
        if length > limit:
            raise HttpError(413, "Request body too large (%d > %d bytes)"
                            % (length, limit))
        body = self.rfile.read(length)
        if len(body) != length:
            raise HttpError(400, "Incomplete request body")
        return body

    def handle_expect_100(self) -> bool:
        """Refuse an announced oversized body before the client sends it."""
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = 0
        if length > self.owner.max_body_size:
            self.close_connection = True
            self._SendError(413, "Request body too large (%d > %d bytes)"
                            % (length, self.owner.max_body_size))
            return False
        return super().handle_expect_100()

    def _Process(self) -> None:
        owner = self.owner
        try:
            body = self._ReadBody()
        except HttpError as err:
            self.close_connection = True  # unread body left behind
            if owner.ClearDeadline(self.connection):
                self._SendError(err.code, err.message, err.headers)
            return
        except OSError:
            self.close_connection = True
            return
        if not owner.ClearDeadline(self.connection):
            # cut at the deadline: headers or body may be incomplete
            self.close_connection = True
            return
        try:
            with owner.RequestSlot():
                status, headers, answer = owner.handler(
                    self.command, self.path, self.headers, body)
        except HttpError as err:
            self._SendError(err.code, err.message, err.headers)
            return
        except Exception:  # pylint: disable=broad-except
            logging.exception("Error while handling %s %s", self.command,
                              self.path)
            self._SendError(500, "Internal server error")
            return
        self._SendAnswer(status, headers, answer)

    def _SendAnswer(self, status: int, headers: Dict[str, str],
                    body: Body) -> None:
        self.owner.SetDeadline(self.connection, self.owner.request_timeout)
        try:
            self._WriteAnswer(status, headers, body)
        finally:
            self.owner.ClearDeadline(self.connection)

    def _WriteAnswer(self, status: int, headers: Dict[str, str],
                     body: Body) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        sent = set()
        for name, value in headers.items():
            if name.lower() != "content-length":
                self.send_header(name, value)
                sent.add(name.lower())
        if "content-type" not in sent:
            self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection or self.owner.stopping:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()

    def _SendError(self, code: int, message: str = "",
                   headers: Optional[Dict[str, str]] = None) -> None:
        content_type, body = self.owner.error_format(code, message)
        all_headers = {"Content-Type": content_type}
        all_headers.update(headers or {})
        try:
            self._SendAnswer(code, all_headers, body)
        except OSError:
            self.close_connection = True

    # BaseHTTPRequestHandler.parse_request reports errors through this.
    def send_error(self, code: int, message: Optional[str] = None,
                   explain: Optional[str] = None) -> None:
        self.log_error("code %d, message %s", code, message)
        self.close_connection = True
        self._SendError(code, message or "")


class _TcpServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128


class HttpServer:
    """Threaded HTTP(S) server calling one handler for every request."""

    def __init__(self, bind_address: str, port: int, handler: Handler,
                 ssl_cert: Optional[str] = None, ssl_key: Optional[str] = None,
                 ssl_verify_peer: bool = False, ssl_ca: Optional[str] = None,
                 ssl_chain: Optional[str] = None,
                 peer_check: Optional[PeerCheck] = None,
                 max_clients: int = constants.NODED_MAX_CLIENTS,
                 max_body_size: int = constants.HTTP_MAX_BODY_SIZE,
                 keepalive_timeout: float = DEFAULT_KEEPALIVE_TIMEOUT,
                 request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
                 error_format: ErrorFormatter = _DefaultErrorFormat,
                 name: str = "http",
                 max_connections: Optional[int] = None) -> None:
        """Bind the listening socket (errors raise OSError right here).

        ssl_cert/ssl_key enable TLS (ssl_chain: intermediate certificates
        sent after ssl_cert); max_clients bounds the requests being
        processed at once (further ones wait); max_body_size bounds the
        request body (413 beyond it); keepalive_timeout bounds the wait for
        a connection's next request, request_timeout the reading of one
        (after its request line) and the sending of its answer;
        max_connections (default CONNECTIONS_PER_CLIENT_SLOT per request
        slot) bounds the open connections, each with its own thread: one
        more is closed at once, so a flood of idle clients costs a bounded
        number of threads.
        """
        self.handler = handler
        self.name = name
        self.max_body_size = max_body_size
        self.keepalive_timeout = keepalive_timeout
        self.request_timeout = request_timeout
        self.error_format = error_format
        self.stopping = False
        self._slots = threading.BoundedSemaphore(max(1, max_clients))
        self.max_connections = max(1, max_connections or
                                   CONNECTIONS_PER_CLIENT_SLOT *
                                   max(1, max_clients))
        self._open_connections = 0
        self._busy = 0
        self._cond = threading.Condition()
        self._conns: Set[socket.socket] = set()
        self._deadlines: Dict[socket.socket, float] = {}
        self._deadline_lock = threading.Lock()
        self._watchdog: Optional[threading.Thread] = None
        self._stopped = threading.Event()
        self._peer_check = peer_check
        self._thread: Optional[threading.Thread] = None
        self._serving = False
        self._ssl_ctx = None
        if ssl_cert:
            self._ssl_ctx = MakeServerSslContext(ssl_cert, ssl_key or ssl_cert,
                                                 ssl_verify_peer, ssl_ca,
                                                 ssl_chain)
        self._server = self._MakeServer(bind_address, port)

    def _MakeServer(self, bind_address: str, port: int) -> _TcpServer:
        owner = self
        handler_class = type("RequestHandler", (_RequestHandler,),
                             {"owner": owner})

        class Server(_TcpServer):
            address_family = (socket.AF_INET6 if ":" in bind_address
                              else socket.AF_INET)

            def process_request(self, request, client_address):
                if not owner._AdmitConnection(client_address):
                    request.close()
                    return
                try:
                    super().process_request(request, client_address)
                except Exception:  # no thread: the connection is not served
                    owner._ReleaseConnection()
                    request.close()
                    raise

            def finish_request(self, request, client_address):
                owner._ServeConnection(request, client_address, self,
                                       handler_class)

            def shutdown_request(self, request):
                pass  # _ServeConnection closes the connection itself

        return Server((bind_address, port), handler_class)

    @property
    def port(self) -> int:
        """The bound port (useful with port 0)."""
        return self._server.server_address[1]

    @property
    def address(self) -> str:
        return self._server.server_address[0]

    @contextlib.contextmanager
    def RequestSlot(self) -> Iterator[None]:
        """Held while one request is processed (max_clients at once)."""
        with self._slots:
            with self._cond:
                self._busy += 1
            try:
                yield
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def SetDeadline(self, conn: socket.socket, seconds: float) -> None:
        """Cut conn (shut it down) if it is still busy in seconds."""
        with self._deadline_lock:
            self._deadlines[conn] = time.monotonic() + seconds
            if self._watchdog is None:
                self._watchdog = threading.Thread(
                    target=self._Watchdog, daemon=True,
                    name="%s-deadlines" % self.name)
                self._watchdog.start()

    def ClearDeadline(self, conn: socket.socket) -> bool:
        """Cancel conn's deadline; False if it had already been cut."""
        with self._deadline_lock:
            return self._deadlines.pop(conn, None) is not None

    def _Watchdog(self) -> None:
        while not self._stopped.wait(_DEADLINE_CHECK_INTERVAL):
            now = time.monotonic()
            with self._deadline_lock:
                late = [conn for conn, deadline in self._deadlines.items()
                        if deadline <= now]
                for conn in late:
                    del self._deadlines[conn]
            for conn in late:
                logging.debug("%s: cutting a connection past its deadline",
                              self.name)
                try:  # the plain socket's shutdown, also under TLS
                    socket.socket.shutdown(conn, socket.SHUT_RDWR)
                except OSError:
                    pass

    def _AdmitConnection(self, client_address) -> bool:
        """Count one more open connection, unless max_connections are."""
        with self._cond:
            if self._open_connections >= self.max_connections:
                full = True
            else:
                self._open_connections += 1
                full = False
        if full:
            logging.warning("%s: %d connections open, refusing one more"
                            " from %s", self.name, self.max_connections,
                            client_address[0])
        return not full

    def _ReleaseConnection(self) -> None:
        with self._cond:
            self._open_connections -= 1

    def _ServeConnection(self, sock: socket.socket, client_address,
                         server: socketserver.BaseServer,
                         handler_class) -> None:
        peer = "%s:%s" % tuple(client_address[:2])
        conn = sock
        try:
            if self._ssl_ctx is not None:
                sock.settimeout(HANDSHAKE_TIMEOUT)
                conn = self._ssl_ctx.wrap_socket(
                    sock, server_side=True, do_handshake_on_connect=False)
                self.SetDeadline(conn, HANDSHAKE_TIMEOUT)
                try:
                    conn.do_handshake()
                except (ssl.SSLError, OSError) as err:
                    logging.debug("%s: TLS handshake with %s failed: %s",
                                  self.name, peer, err)
                    return
                finally:
                    self.ClearDeadline(conn)
                if self._peer_check is not None:
                    der = conn.getpeercert(binary_form=True)
                    if not der or not self._peer_check(der):
                        logging.warning("%s: refused client certificate of"
                                        " %s", self.name, peer)
                        return
            with self._cond:
                if self.stopping:
                    return
                self._conns.add(conn)
            try:
                handler_class(conn, client_address, server)
            finally:
                self.ClearDeadline(conn)
                with self._cond:
                    self._conns.discard(conn)
        except OSError as err:  # also timeouts, TLS errors, cut connections
            logging.debug("%s: connection from %s ended: %s", self.name,
                          peer, err)
        except Exception:  # pylint: disable=broad-except
            logging.exception("%s: error serving %s", self.name, peer)
        finally:
            try:
                conn.close()
            finally:
                if conn is not sock:
                    sock.close()
                self._ReleaseConnection()

    def Serve(self) -> None:
        """Serve in this thread until Shutdown() is called."""
        with self._cond:
            if self.stopping:
                return
            self._serving = True
        self._server.serve_forever(poll_interval=0.2)

    def Start(self) -> None:
        """Serve in a background thread."""
        with self._cond:
            if self.stopping:
                return
            self._serving = True  # Shutdown must wait for serve_forever
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.2},
                                        daemon=True,
                                        name="%s-server" % self.name)
        self._thread.start()

    def Shutdown(self, timeout: float = 10.0) -> None:
        """Stop accepting, let running requests finish, close everything."""
        with self._cond:
            if self.stopping:
                return
            self.stopping = True
            serving = self._serving
        self._stopped.set()
        if serving:
            self._server.shutdown()  # returns once serve_forever has exited
        self._server.server_close()
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._busy and time.monotonic() < deadline:
                self._cond.wait(deadline - time.monotonic())
            conns = list(self._conns)
        for conn in conns:  # idle keep-alive connections (or stragglers)
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout)
