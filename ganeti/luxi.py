"""LUXI: the local protocol between clients and the master daemon.

A message is one UTF-8 JSON document followed by the byte 0x03.  A request
is ``{"method": name, "args": [...], "version": LUXI_VERSION}``; a response
is ``{"success": bool, "result": value}``.  On failure the result is an
encoded error ``[class_name, [args...]]`` (re-raised here as the typed
exception) or a plain string.

This module holds the framing and message helpers shared with the server
(ganeti/server/luxi_server.py) and the client, ``Client``, with one method
per LUXI method.
"""

import collections
import errno
import logging
import os
import socket
import time
from typing import Any, Deque, List, Optional, Sequence, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti import serializer

# Framing and protocol constants.
LUXI_EOM = b"\x03"
LUXI_VERSION = constants.CONFIG_VERSION
LUXI_DEF_CTMO = 30           # connect timeout (seconds)
LUXI_DEF_RWTO = 180          # read/write timeout (seconds)
# Longest server-side wait of one WaitForJobChange call; half the rw timeout
# so that an answer always arrives before the client gives up.
LUXI_WFJC_TIMEOUT = (LUXI_DEF_RWTO - 1) // 2
# Largest request the server reads (bigger ones get an error answer and the
# connection is closed): far above any real request, small enough that
# reading and parsing one stays quick and bounded in memory.
LUXI_MAX_REQUEST_SIZE = 32 * 1024 * 1024
LUXI_OVERRIDE = "FORCE_LUXI_SOCKET"
LUXI_OVERRIDE_MASTER = "master"
LUXI_OVERRIDE_QUERY = "query"

KEY_METHOD = "method"
KEY_ARGS = "args"
KEY_SUCCESS = "success"
KEY_RESULT = "result"
KEY_VERSION = "version"

# The 25 LUXI methods.
REQ_SUBMIT_JOB = "SubmitJob"
REQ_SUBMIT_JOB_TO_DRAINED_QUEUE = "SubmitJobToDrainedQueue"
REQ_SUBMIT_MANY_JOBS = "SubmitManyJobs"
REQ_PICKUP_JOB = "PickupJob"
REQ_WAIT_FOR_JOB_CHANGE = "WaitForJobChange"
REQ_CANCEL_JOB = "CancelJob"
REQ_ARCHIVE_JOB = "ArchiveJob"
REQ_CHANGE_JOB_PRIORITY = "ChangeJobPriority"
REQ_AUTO_ARCHIVE_JOBS = "AutoArchiveJobs"
REQ_QUERY = "Query"
REQ_QUERY_FIELDS = "QueryFields"
REQ_QUERY_JOBS = "QueryJobs"
REQ_QUERY_FILTERS = "QueryFilters"
REQ_REPLACE_FILTER = "ReplaceFilter"
REQ_DELETE_FILTER = "DeleteFilter"
REQ_QUERY_INSTANCES = "QueryInstances"
REQ_QUERY_NODES = "QueryNodes"
REQ_QUERY_GROUPS = "QueryGroups"
REQ_QUERY_NETWORKS = "QueryNetworks"
REQ_QUERY_EXPORTS = "QueryExports"
REQ_QUERY_CONFIG_VALUES = "QueryConfigValues"
REQ_QUERY_CLUSTER_INFO = "QueryClusterInfo"
REQ_QUERY_TAGS = "QueryTags"
REQ_SET_DRAIN_FLAG = "SetDrainFlag"
REQ_SET_WATCHER_PAUSE = "SetWatcherPause"

REQ_ALL = frozenset([
    REQ_SUBMIT_JOB, REQ_SUBMIT_JOB_TO_DRAINED_QUEUE, REQ_SUBMIT_MANY_JOBS,
    REQ_PICKUP_JOB, REQ_WAIT_FOR_JOB_CHANGE, REQ_CANCEL_JOB, REQ_ARCHIVE_JOB,
    REQ_CHANGE_JOB_PRIORITY, REQ_AUTO_ARCHIVE_JOBS, REQ_QUERY,
    REQ_QUERY_FIELDS, REQ_QUERY_JOBS, REQ_QUERY_FILTERS, REQ_REPLACE_FILTER,
    REQ_DELETE_FILTER, REQ_QUERY_INSTANCES, REQ_QUERY_NODES,
    REQ_QUERY_GROUPS, REQ_QUERY_NETWORKS, REQ_QUERY_EXPORTS,
    REQ_QUERY_CONFIG_VALUES, REQ_QUERY_CLUSTER_INFO, REQ_QUERY_TAGS,
    REQ_SET_DRAIN_FLAG, REQ_SET_WATCHER_PAUSE,
])

# Methods that only read state (what the query socket must answer even when
# job submission is refused elsewhere); informative only.
REQ_QUERY_ONLY = frozenset([
    REQ_QUERY, REQ_QUERY_FIELDS, REQ_QUERY_JOBS, REQ_QUERY_FILTERS,
    REQ_QUERY_INSTANCES, REQ_QUERY_NODES, REQ_QUERY_GROUPS,
    REQ_QUERY_NETWORKS, REQ_QUERY_EXPORTS, REQ_QUERY_CONFIG_VALUES,
    REQ_QUERY_CLUSTER_INFO, REQ_QUERY_TAGS, REQ_WAIT_FOR_JOB_CHANGE,
])

_RECV_SIZE = 65536


# --- message helpers (shared with the server) ------------------------------

def _Dump(data: Any, private: bool) -> bytes:
    encoder = (serializer.EncodeWithPrivateFields if private
               else serializer.EncodeWithoutPrivateFields)
    text = serializer.DumpJson(data, private_encoder=encoder).rstrip("\n")
    # The JSON encoder escapes control characters inside strings, so the
    # terminator can never occur in a well-formed document.
    raw = text.encode("utf-8")
    if LUXI_EOM in raw:  # pragma: no cover - defensive
        raise errors.ProtocolError("Message contains the LUXI terminator")
    return raw


def FormatRequest(method: str, args: Any,
                  version: Optional[int] = None) -> bytes:
    """Serialize a request (without the terminator).

    Private opcode parameters are sent in clear: the master needs them.
    """
    request = {KEY_METHOD: method, KEY_ARGS: args}
    if version is not None:
        request[KEY_VERSION] = version
    return _Dump(request, private=True)


def ParseRequest(msg: bytes) -> Tuple[str, Any, Optional[int]]:
    """Parse a request; return (method, args, version) or raise ProtocolError.
    """
    try:
        request = serializer.LoadUntrustedJson(msg)
    except (ValueError, UnicodeDecodeError) as err:
        raise errors.ProtocolError("Invalid LUXI request (parsing error): %s"
                                   % err)
    if not isinstance(request, dict):
        raise errors.ProtocolError("Invalid LUXI request (not a dict)")
    method = request.get(KEY_METHOD)
    args = request.get(KEY_ARGS)
    version = request.get(KEY_VERSION)
    # "args": null is well formed (a method without arguments).
    if not isinstance(method, str) or KEY_ARGS not in request:
        raise errors.ProtocolError("Invalid LUXI request (no method or"
                                   " arguments)")
    return method, args, version


def FormatResponse(success: bool, result: Any,
                   version: Optional[int] = None) -> bytes:
    """Serialize a response (without the terminator)."""
    response = {KEY_SUCCESS: success, KEY_RESULT: result}
    if version is not None:
        response[KEY_VERSION] = version
    return _Dump(response, private=False)


def ParseResponse(msg: bytes) -> Tuple[bool, Any, Optional[int]]:
    """Parse a response; return (success, result, version)."""
    try:
        data = serializer.LoadJson(msg)
    except (ValueError, UnicodeDecodeError) as err:
        raise errors.ProtocolError("Error while deserializing response: %s"
                                   % err)
    if not (isinstance(data, dict) and KEY_SUCCESS in data
            and KEY_RESULT in data):
        raise errors.ProtocolError("Invalid response from server: %r"
                                   % (data, ))
    return data[KEY_SUCCESS], data[KEY_RESULT], data.get(KEY_VERSION)


def CheckResponse(success: bool, result: Any,
                  version: Optional[int] = None) -> Any:
    """Return result of a successful call, or raise the error it carries."""
    if version is not None and version != LUXI_VERSION:
        raise errors.LuxiError("LUXI version mismatch, server %s, request %s"
                               % (version, LUXI_VERSION))
    if success:
        return result
    errors.MaybeRaise(result)
    raise errors.RequestError(result)


class MessageReader:
    """Split a byte stream into 0x03-terminated messages.

    Linear in the bytes fed: the pieces of an unfinished message are kept
    in a list and joined once its terminator arrives.  With max_size, a
    message growing beyond it raises ProtocolError (the stream cannot be
    resynchronised: the connection must be closed).
    """

    def __init__(self, max_size: Optional[int] = None) -> None:
        self.max_size = max_size
        self._pieces: List[bytes] = []
        self._size = 0
        self._messages: Deque[bytes] = collections.deque()

    def _CheckSize(self, size: int) -> None:
        if self.max_size is not None and size > self.max_size:
            self._pieces, self._size = [], 0
            raise errors.ProtocolError("LUXI message too large (more than %d"
                                       " bytes)" % self.max_size)

    def Feed(self, data: bytes) -> None:
        start = 0
        while True:
            end = data.find(LUXI_EOM, start)
            if end < 0:
                break
            piece = data[start:end]
            self._CheckSize(self._size + len(piece))
            if self._pieces:
                self._pieces.append(piece)
                piece = b"".join(self._pieces)
                self._pieces, self._size = [], 0
            self._messages.append(piece)
            start = end + 1
        if start < len(data):
            rest = data[start:]
            self._CheckSize(self._size + len(rest))
            self._pieces.append(rest)
            self._size += len(rest)

    def Pop(self) -> Optional[bytes]:
        return self._messages.popleft() if self._messages else None

    def HasPartial(self) -> bool:
        return any(piece.strip() for piece in self._pieces)


def DefaultAddress() -> str:
    """The socket a client uses by default (FORCE_LUXI_SOCKET may choose)."""
    override = os.environ.get(LUXI_OVERRIDE, "")
    if override == LUXI_OVERRIDE_MASTER:
        return pathutils.MASTER_SOCKET  # type: ignore[attr-defined]
    return pathutils.QUERY_SOCKET  # type: ignore[attr-defined]


# --- transport ---------------------------------------------------------------

class Transport:
    """One connection to a LUXI socket; sends requests, reads responses."""

    def __init__(self, address: str,
                 timeouts: Optional[Tuple[float, float]] = None) -> None:
        self.address = address
        self.timeouts = timeouts or (LUXI_DEF_CTMO, LUXI_DEF_RWTO)
        self._ctimeout, self._rwtimeout = self.timeouts
        self._reader = MessageReader()
        self.socket: Optional[socket.socket] = None
        self.used = False
        self.socket = self._Connect()

    def _Connect(self) -> socket.socket:
        deadline = time.monotonic() + self._ctimeout
        delay = 0.05
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(self._ctimeout)
            try:
                sock.connect(self.address)
            except socket.timeout:
                sock.close()
                raise errors.TimeoutError("Connect timed out")
            except OSError as err:
                sock.close()
                if err.errno in (errno.ENOENT, errno.ECONNREFUSED,
                                 errno.ENOTDIR):
                    raise errors.NoMasterError(self.address)
                if err.errno == errno.EACCES:
                    raise errors.PermissionError(self.address)
                if err.errno == errno.EAGAIN and \
                        time.monotonic() + delay < deadline:
                    # Listen backlog full: the server is busy, retry.
                    time.sleep(delay)
                    delay = min(delay * 2, 1.0)
                    continue
                raise errors.ProtocolError("Cannot connect to %s: %s"
                                           % (self.address, err))
            sock.settimeout(self._rwtimeout)
            return sock

    def Send(self, msg: bytes) -> None:
        if self.socket is None:
            raise errors.ProtocolError("Connection is closed")
        try:
            self.socket.sendall(msg + LUXI_EOM)
        except socket.timeout as err:
            raise errors.TimeoutError("Sending timeout: %s" % err)
        except (BrokenPipeError, ConnectionResetError) as err:
            raise errors.ConnectionClosedError("Connection closed while"
                                               " sending: %s" % err)

    def Recv(self) -> bytes:
        if self.socket is None:
            raise errors.ProtocolError("Connection is closed")
        deadline = time.monotonic() + self._rwtimeout
        while True:
            msg = self._reader.Pop()
            if msg is not None:
                return msg
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise errors.TimeoutError("Receiving timeout")
            self.socket.settimeout(remaining)
            try:
                data = self.socket.recv(_RECV_SIZE)
            except socket.timeout as err:
                raise errors.TimeoutError("Receiving timeout: %s" % err)
            except ConnectionResetError as err:
                raise errors.ConnectionClosedError("Connection reset while"
                                                   " reading: %s" % err)
            if not data:
                raise errors.ConnectionClosedError("Connection closed while"
                                                   " reading")
            self._reader.Feed(data)

    def Call(self, msg: bytes) -> bytes:
        """Send one request and return the raw response."""
        self.used = True
        try:
            self.Send(msg)
        except errors.ConnectionClosedError:
            # The server may have answered before closing (it refuses a
            # too large request that way): that answer is the result.
            answer = self._LeftAnswer()
            if answer is None:
                raise
            return answer
        return self.Recv()

    def _LeftAnswer(self) -> Optional[bytes]:
        """A complete message the server sent before closing, if any."""
        try:
            return self.Recv()
        except (errors.ConnectionClosedError, errors.TimeoutError, OSError):
            return None

    def Close(self) -> None:
        if self.socket is not None:
            try:
                self.socket.close()
            finally:
                self.socket = None


# --- client ------------------------------------------------------------------

def _OpState(op: Any) -> Any:
    """An opcode as the dict sent on the wire."""
    if isinstance(op, dict):
        return op
    return op.__getstate__()


class Client:
    """A LUXI client: one method per LUXI method.

    The connection is opened lazily and kept for further calls.  If a kept
    connection turns out to be closed by the server, the call is retried
    once on a new connection.
    """

    def __init__(self, address: Optional[str] = None,
                 timeouts: Optional[Tuple[float, float]] = None,
                 transport=Transport) -> None:
        self.address = address or DefaultAddress()
        self.timeouts = timeouts or (LUXI_DEF_CTMO, LUXI_DEF_RWTO)
        self._transport_cls = transport
        self.transport: Optional[Transport] = None

    def _InitTransport(self) -> None:
        if self.transport is None:
            self.transport = self._transport_cls(self.address,
                                                 timeouts=self.timeouts)

    def _CloseTransport(self) -> None:
        if self.transport is not None:
            try:
                self.transport.Close()
            except Exception:  # pylint: disable=broad-except
                pass
            self.transport = None

    def Close(self) -> None:
        """Close the connection (a later call reconnects)."""
        self._CloseTransport()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *_args) -> None:
        self.Close()

    def _SendMethodCall(self, data: bytes) -> bytes:
        for attempt in (0, 1):
            self._InitTransport()
            reused = self.transport.used  # type: ignore[union-attr]
            try:
                return self.transport.Call(data)  # type: ignore[union-attr]
            except errors.ConnectionClosedError:
                self._CloseTransport()
                # Only a kept connection may have been closed by the server
                # while idle; a fresh one failing is a real error.
                if attempt or not reused:
                    raise
                logging.debug("LUXI peer disconnected, retrying")
            except Exception:
                self._CloseTransport()
                raise
        raise errors.ProtocolError("unreachable")  # pragma: no cover

    def CallMethod(self, method: str, args: Any) -> Any:
        """Call a LUXI method and return its result (or raise its error)."""
        if method not in REQ_ALL:
            raise errors.ProgrammerError("Unknown LUXI method '%s'" % method)
        raw = self._SendMethodCall(FormatRequest(method, args,
                                                 version=LUXI_VERSION))
        return CheckResponse(*ParseResponse(raw))

    # Jobs.
    def SetQueueDrainFlag(self, drain_flag: bool) -> Any:
        return self.CallMethod(REQ_SET_DRAIN_FLAG, (drain_flag, ))

    SetDrainFlag = SetQueueDrainFlag

    def SetWatcherPause(self, until: Optional[float]) -> Any:
        return self.CallMethod(REQ_SET_WATCHER_PAUSE, (until, ))

    def PickupJob(self, job: int) -> Any:
        return self.CallMethod(REQ_PICKUP_JOB, (job, ))

    def SubmitJob(self, ops: Sequence[Any]) -> Any:
        return self.CallMethod(REQ_SUBMIT_JOB,
                               ([_OpState(op) for op in ops], ))

    def SubmitJobToDrainedQueue(self, ops: Sequence[Any]) -> Any:
        return self.CallMethod(REQ_SUBMIT_JOB_TO_DRAINED_QUEUE,
                               ([_OpState(op) for op in ops], ))

    def SubmitManyJobs(self, jobs: Sequence[Sequence[Any]]) -> Any:
        return self.CallMethod(REQ_SUBMIT_MANY_JOBS,
                               ([[_OpState(op) for op in ops]
                                 for ops in jobs], ))

    def CancelJob(self, job_id: Any, kill: bool = False) -> Any:
        return self.CallMethod(REQ_CANCEL_JOB, (job_id, kill))

    def ArchiveJob(self, job_id: Any) -> Any:
        return self.CallMethod(REQ_ARCHIVE_JOB, (job_id, ))

    def ChangeJobPriority(self, job_id: Any, priority: int) -> Any:
        return self.CallMethod(REQ_CHANGE_JOB_PRIORITY, (job_id, priority))

    def AutoArchiveJobs(self, age: int) -> Any:
        timeout = (self.timeouts[1] - 1) // 2
        return self.CallMethod(REQ_AUTO_ARCHIVE_JOBS, (age, timeout))

    def WaitForJobChangeOnce(self, job_id: Any, fields: List[str],
                             prev_job_info: Any, prev_log_serial: Any,
                             timeout: float = LUXI_WFJC_TIMEOUT) -> Any:
        """One wait: "nochange" or [job_info, log_entries] (None: no job)."""
        return self.CallMethod(REQ_WAIT_FOR_JOB_CHANGE,
                               (job_id, fields, prev_job_info,
                                prev_log_serial, timeout))

    def WaitForJobChange(self, job_id: Any, fields: List[str],
                         prev_job_info: Any, prev_log_serial: Any) -> Any:
        """Wait until the job changes (loops over "nochange" answers)."""
        while True:
            result = self.WaitForJobChangeOnce(job_id, fields, prev_job_info,
                                               prev_log_serial)
            if result != constants.JOB_NOTCHANGED:
                return result

    def QueryJobs(self, job_ids: Optional[List[Any]],
                  fields: List[str]) -> Any:
        return self.CallMethod(REQ_QUERY_JOBS, (job_ids, fields))

    # Generic queries (result is the raw QueryResponse/QueryFields dict).
    def Query(self, what: str, fields: List[str], qfilter: Any) -> Any:
        return self.CallMethod(REQ_QUERY, (what, fields, qfilter))

    def QueryFields(self, what: str, fields: Optional[List[str]]) -> Any:
        return self.CallMethod(REQ_QUERY_FIELDS, (what, fields))

    # Old-style queries.
    def QueryInstances(self, names: List[str], fields: List[str],
                       use_locking: bool) -> Any:
        return self.CallMethod(REQ_QUERY_INSTANCES,
                               (names, fields, use_locking))

    def QueryNodes(self, names: List[str], fields: List[str],
                   use_locking: bool) -> Any:
        return self.CallMethod(REQ_QUERY_NODES, (names, fields, use_locking))

    def QueryGroups(self, names: List[str], fields: List[str],
                    use_locking: bool) -> Any:
        return self.CallMethod(REQ_QUERY_GROUPS,
                               (names, fields, use_locking))

    def QueryNetworks(self, names: List[str], fields: List[str],
                      use_locking: bool) -> Any:
        return self.CallMethod(REQ_QUERY_NETWORKS,
                               (names, fields, use_locking))

    def QueryExports(self, nodes: List[str], use_locking: bool) -> Any:
        return self.CallMethod(REQ_QUERY_EXPORTS, (nodes, use_locking))

    def QueryClusterInfo(self) -> Any:
        return self.CallMethod(REQ_QUERY_CLUSTER_INFO, ())

    def QueryConfigValues(self, fields: List[str]) -> Any:
        return self.CallMethod(REQ_QUERY_CONFIG_VALUES, (fields, ))

    def QueryTags(self, kind: str, name: Optional[str]) -> Any:
        return self.CallMethod(REQ_QUERY_TAGS, (kind, name))

    # Filters.
    def QueryFilters(self, uuids: Optional[List[str]],
                     fields: List[str]) -> Any:
        return self.CallMethod(REQ_QUERY_FILTERS, (uuids, fields))

    def ReplaceFilter(self, uuid: Optional[str], priority: int,
                      predicates: list, action: Any, reason: list) -> Any:
        return self.CallMethod(REQ_REPLACE_FILTER,
                               (uuid, priority, predicates, action, reason))

    def DeleteFilter(self, uuid: str) -> Any:
        return self.CallMethod(REQ_DELETE_FILTER, (uuid, ))
