"""Node RPC transport: one POST to many nodes in parallel over HTTPS.

Requests go out through libcurl's multi interface (pycurl), at most
RPC_MAX_CONCURRENT_CONNECTIONS at a time, with the cluster certificate as the
only trusted CA and the node's client certificate (falling back to the cluster
certificate, like upstream) to authenticate. Host names are not verified: the
cluster certificate is shared by every node.

Curl handles, and the multi handles holding the connection cache, are pooled
so repeated calls are cheap; the pools are emptied when a certificate file
changes (libcurl caches the CA store per multi handle).

pycurl (and libcurl with its TLS library) is imported when the first
Transport is made, not with this module: the node daemon imports the RPC
definitions but never sends RPCs.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import (TYPE_CHECKING, Callable, Dict, Iterable, List, Optional,
                    Tuple)

from ganeti import errors
from ganeti import pathutils
from ganeti import serializer
from ganeti.rpc import defs
from ganeti.utils import interrupt

if TYPE_CHECKING:
    import pycurl
else:
    pycurl = None  # imported by _ImportPycurl


def _ImportPycurl() -> None:
    """Import pycurl into this module (once; see the module docstring)."""
    global pycurl  # pylint: disable=global-statement
    if pycurl is None:
        import pycurl as module  # pylint: disable=import-outside-toplevel
        pycurl = module

OFFLINE_MSG = "Node is marked offline"
_NO_ERROR_INFO = "No error information"
_HEADERS = ["Content-type: application/json", "Expect:"]


class RpcResult:
    """The result of one RPC call on one node.

    ``data`` is the raw answer (``[success, payload]`` on success, an error
    message on transport failure); ``fail_msg`` is empty when the call
    worked, and ``payload`` then holds the node's answer.
    """

    def __init__(self, data=None, failed: bool = False, offline: bool = False,
                 call: Optional[str] = None, node: Optional[str] = None,
                 unreachable: bool = False) -> None:
        self.offline = offline
        # True when the node gave no answer at all (connection or transport
        # failure, timeout), as opposed to answering with an error.
        self.unreachable = bool(unreachable and not offline)
        self.call = call
        self.node = node
        self.data = None if offline else data
        self.payload = None
        self.failed = bool(failed or offline)
        if offline:
            self.fail_msg = OFFLINE_MSG
        elif failed:
            self.fail_msg = self._Msg(data)
        elif not isinstance(data, (list, tuple)) or len(data) != 2:
            self.fail_msg = "Invalid result type (%s)" % type(data).__name__
            self.failed = True
        elif not data[0]:
            self.fail_msg = self._Msg(data[1])
            self.failed = True
        else:
            self.fail_msg = None
            self.payload = data[1]

    @staticmethod
    def _Msg(value) -> str:
        if not value:
            return _NO_ERROR_INFO
        return value if isinstance(value, str) else str(value)

    def Raise(self, msg: Optional[str] = None, prereq: bool = False,
              ecode: Optional[str] = None) -> None:
        """Raise OpExecError (OpPrereqError if prereq) when the call failed."""
        if not self.fail_msg:
            return
        if msg:
            text = "%s: %s" % (msg, self.fail_msg)
        else:
            text = "Call '%s' to node '%s' has failed: %s" % (
                self.call, self.node, self.fail_msg)
        cls = errors.OpPrereqError if prereq else errors.OpExecError
        raise cls(text, ecode) if ecode is not None else cls(text)

    def Warn(self, msg: str, feedback_fn: Callable[[str], None]) -> None:
        """Report a failure through feedback_fn instead of raising."""
        if self.fail_msg:
            feedback_fn("%s: %s" % (msg, self.fail_msg))

    def __repr__(self) -> str:
        state = "offline" if self.offline else (
            "failed: %s" % self.fail_msg if self.fail_msg else "ok")
        return "<RpcResult %s@%s %s>" % (self.call, self.node, state)


class Request:
    """One HTTP request to one node and, once processed, its outcome.

    With fresh, the request opens a new connection instead of reusing a
    pooled one: only a new connection's TLS handshake (bounded by
    connect_timeout, the Transport's if None) shows the node daemon still
    answers.  A pooled connection to a stopped node daemon is still
    acknowledged by its kernel, so a request on it waits for the whole
    read timeout.
    """

    __slots__ = ("host", "port", "path", "body", "read_timeout", "nicename",
                 "connect_timeout", "fresh",
                 "error", "status", "resp_body", "_buf", "start", "elapsed")

    def __init__(self, host: str, port: int, path: str, body: bytes,
                 read_timeout: float, nicename: str = "",
                 connect_timeout: Optional[float] = None,
                 fresh: bool = False) -> None:
        self.host = host
        self.port = port
        self.path = path
        self.body = body
        self.read_timeout = read_timeout
        self.nicename = nicename or host
        self.connect_timeout = connect_timeout
        self.fresh = fresh
        self.error: Optional[str] = None
        self.status: Optional[int] = None
        self.resp_body = b""
        self._buf: List[bytes] = []
        self.start = 0.0
        self.elapsed = 0.0  # seconds from sending to answer or failure

    @property
    def url(self) -> str:
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "https://%s:%d%s" % (host, self.port, self.path)


def _ssl_files() -> Tuple[str, str]:
    """(CA file, client certificate+key file), read at call time."""
    ca_file = pathutils.NODED_CERT_FILE
    client = pathutils.NODED_CLIENT_CERT_FILE
    return ca_file, (client if os.path.exists(client) else ca_file)


def _file_generation(paths: Iterable[str]) -> tuple:
    gen = []
    for path in paths:
        try:
            st = os.stat(path)
            gen.append((path, st.st_ino, st.st_size, st.st_mtime_ns))
        except OSError:
            gen.append((path, None))
    return tuple(gen)


def _make_sockopt(user_timeout_ms: int) -> Callable[[int, int], int]:
    """A curl SOCKOPTFUNCTION giving each new connection a TCP user timeout.

    Connections are reused between calls; if a node drops off the network
    after a connection to it was opened, a request on that connection would
    otherwise wait for the call's whole read timeout (minutes).  With
    TCP_USER_TIMEOUT the kernel gives up when sent data stays unacknowledged
    that long; a live but busy node acknowledges at once, so long-running
    calls are not affected.
    """
    def sockopt(fd: int, _purpose: int) -> int:
        try:
            sock = socket.socket(fileno=fd)
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT,
                                user_timeout_ms)
            finally:
                sock.detach()
        except OSError as err:
            logging.debug("Cannot set TCP_USER_TIMEOUT: %s", err)
        return pycurl.SOCKOPT_OK
    return sockopt


class Transport:
    """Runs batches of Requests with curl multi; thread safe."""

    def __init__(self, max_concurrent: int = defs.RPC_MAX_CONCURRENT_CONNECTIONS,
                 connect_timeout: float = defs.RPC_CONNECT_TIMEOUT,
                 ssl_files: Callable[[], Tuple[str, str]] = _ssl_files) -> None:
        _ImportPycurl()
        self.max_concurrent = max_concurrent
        self.connect_timeout = connect_timeout
        self._ssl_files = ssl_files
        self._lock = threading.Lock()
        self._easy: List[pycurl.Curl] = []
        self._multi: List[pycurl.CurlMulti] = []
        self._generation: Optional[tuple] = None
        self._sockopt = (_make_sockopt(int(connect_timeout * 1000))
                         if hasattr(socket, "TCP_USER_TIMEOUT") else None)

    # -- handle pools ---------------------------------------------------

    def _Acquire(self, ssl: Tuple[str, str]) -> Tuple[pycurl.CurlMulti, tuple]:
        """A multi handle (and the certificate generation it belongs to)."""
        gen = _file_generation(ssl)
        with self._lock:
            if gen != self._generation:
                for handle in self._easy + self._multi:
                    handle.close()
                self._easy, self._multi = [], []
                self._generation = gen
            multi = self._multi.pop() if self._multi else pycurl.CurlMulti()
            return multi, gen

    def _Easy(self) -> pycurl.Curl:
        with self._lock:
            return self._easy.pop() if self._easy else pycurl.Curl()

    def _Release(self, multi: pycurl.CurlMulti, easy: List[pycurl.Curl],
                 gen: tuple) -> None:
        with self._lock:
            if gen == self._generation:
                self._multi.append(multi)
                self._easy.extend(easy)
                return
        for handle in easy + [multi]:
            handle.close()

    def Close(self) -> None:
        with self._lock:
            for handle in self._easy + self._multi:
                handle.close()
            self._easy, self._multi = [], []

    # -- processing -----------------------------------------------------

    def _Setup(self, curl: pycurl.Curl, req: Request, ssl) -> None:
        ca_file, cert_file = ssl
        req._buf = []
        curl.setopt(pycurl.URL, req.url)
        curl.setopt(pycurl.POST, 1)
        curl.setopt(pycurl.POSTFIELDS, req.body)
        curl.setopt(pycurl.HTTPHEADER, _HEADERS)
        curl.setopt(pycurl.WRITEFUNCTION, req._buf.append)
        curl.setopt(pycurl.NOSIGNAL, 1)
        curl.setopt(pycurl.PROXY, "")
        curl.setopt(pycurl.FOLLOWLOCATION, 0)
        connect_timeout = req.connect_timeout or self.connect_timeout
        curl.setopt(pycurl.CONNECTTIMEOUT_MS, int(connect_timeout * 1000))
        curl.setopt(pycurl.FRESH_CONNECT, 1 if req.fresh else 0)
        curl.setopt(pycurl.TIMEOUT_MS, max(1, int(req.read_timeout * 1000)))
        if self._sockopt is not None:
            curl.setopt(pycurl.SOCKOPTFUNCTION, self._sockopt)
        curl.setopt(pycurl.SSL_VERIFYPEER, 1)
        curl.setopt(pycurl.SSL_VERIFYHOST, 0)
        curl.setopt(pycurl.CAINFO, ca_file)
        curl.unsetopt(pycurl.CAPATH)  # trust the cluster certificate only
        curl.setopt(pycurl.SSLCERTTYPE, "PEM")
        curl.setopt(pycurl.SSLCERT, cert_file)
        curl.setopt(pycurl.SSLKEYTYPE, "PEM")
        curl.setopt(pycurl.SSLKEY, cert_file)
        req.start = time.monotonic()

    @staticmethod
    def _Finish(curl: pycurl.Curl, req: Request, error) -> None:
        req.elapsed = time.monotonic() - req.start
        req.resp_body = b"".join(req._buf)
        req._buf = []
        curl.setopt(pycurl.POSTFIELDS, b"")  # don't keep big bodies pooled
        if error is not None:
            errno, errmsg = error
            req.error = "Error %s: %s" % (errno, errmsg)
        else:
            req.status = curl.getinfo(pycurl.RESPONSE_CODE)

    def Process(self, requests: List[Request]) -> None:
        """Send every request and wait for all answers (or failures)."""
        if not requests:
            return
        ssl = self._ssl_files()
        multi, gen = self._Acquire(ssl)
        pending = list(reversed(requests))
        active: Dict[int, Tuple[pycurl.Curl, Request]] = {}
        used: List[pycurl.Curl] = []
        idle: List[pycurl.Curl] = []  # finished handles, reused for pending
        try:
            while pending or active:
                while pending and len(active) < self.max_concurrent:
                    req = pending.pop()
                    if idle:
                        curl = idle.pop()
                    else:
                        curl = self._Easy()
                        used.append(curl)
                    self._Setup(curl, req, ssl)
                    active[id(curl)] = (curl, req)
                    multi.add_handle(curl)
                while True:
                    ret, _ = multi.perform()
                    if ret != pycurl.E_CALL_MULTI_PERFORM:
                        break
                while True:
                    queued, ok_list, err_list = multi.info_read()
                    done = [(c, None) for c in ok_list]
                    done += [(c, (num, msg)) for c, num, msg in err_list]
                    for curl, error in done:
                        _, req = active.pop(id(curl))
                        multi.remove_handle(curl)
                        self._Finish(curl, req, error)
                        idle.append(curl)
                    if not queued:
                        break
                if active and not (pending and len(active) < self.max_concurrent):
                    wait = multi.timeout()
                    wait = 1.0 if wait < 0 else min(wait / 1000.0, 1.0)
                    if interrupt.Current() is not None:
                        wait = min(wait, interrupt.POLL_INTERVAL)
                    if multi.select(wait) < 0:
                        time.sleep(0.001)
                    interrupt.Check()  # a killed job stops waiting
        except BaseException:
            for curl, _ in active.values():
                multi.remove_handle(curl)
            for curl in used:
                curl.close()
            multi.close()
            raise
        self._Release(multi, used, gen)


def _decode_response(req: Request):
    """(data, failed) of an answered request, in RpcResult terms."""
    if req.error is not None:
        return req.error, True
    text = req.resp_body.decode("utf-8", "replace")
    try:
        data = serializer.LoadJson(text) if text.strip() else None
    except ValueError:
        data = None
        if req.status == 200:
            return "Invalid JSON in response: %s" % text[:200], True
    if req.status == 200:
        return data, False
    if isinstance(data, list) and len(data) == 2 and data[0] is False:
        return data[1], True
    return (text.strip() or "HTTP error %s" % req.status), True


def MakeResults(procedure: str, offline: Dict, requests: Dict) -> Dict:
    """Per-key RpcResults from offline markers and processed Requests."""
    results = {}
    for key, name in offline.items():
        results[key] = RpcResult(offline=True, node=name, call=procedure)
    for key, (name, req) in requests.items():
        data, failed = _decode_response(req)
        if failed:
            logging.error("RPC error in %s on node %s: %s", procedure, name, data)
        results[key] = RpcResult(data=data, failed=failed, node=name,
                                 call=procedure,
                                 unreachable=req.error is not None)
    return results
