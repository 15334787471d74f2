"""A small client for QEMU's machine protocol (QMP) on a unix socket.

QMP speaks JSON objects separated by CRLF: the server greets with
``{"QMP": {...}}``, the client must send ``qmp_capabilities`` first, then
each ``{"execute": cmd, "arguments": {...}}`` gets ``{"return": ...}`` or
``{"error": {"class": ..., "desc": ...}}``; asynchronous ``{"event": ...}``
messages can arrive at any time and are kept in ``events``.

QEMU serves one QMP client per socket at a time, so connections are short:
``with QmpConnection(path) as qmp: qmp.Execute("query-status")``.  Every
read is bounded by the connection timeout.
"""

import json
import socket
import time
from typing import Any, Dict, List, Optional

from ganeti import errors


class QmpError(errors.HypervisorError):
    """The QMP connection failed or QEMU answered with an error."""


class QmpCommandError(QmpError):
    """QEMU refused a command; ``error_class`` holds QMP's error class."""

    def __init__(self, command: str, error_class: str, desc: str) -> None:
        super().__init__("QMP command %s failed: %s (%s)" % (command, desc,
                                                             error_class))
        self.command = command
        self.error_class = error_class
        self.desc = desc


class QmpConnection:
    """One negotiated QMP session."""

    def __init__(self, path: str, timeout: float = 10.0) -> None:
        self.path = path
        self.timeout = timeout
        self.greeting: Dict[str, Any] = {}
        self.events: List[Dict[str, Any]] = []
        self._sock: Optional[socket.socket] = None
        self._buf = b""

    # ---- connection

    def Connect(self) -> "QmpConnection":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.path)
        except OSError as err:
            sock.close()
            raise QmpError("Can't connect to the QMP socket %s: %s"
                           % (self.path, err))
        self._sock = sock
        try:
            greeting = self._ReadMessage()
            if "QMP" not in greeting:
                raise QmpError("Invalid QMP greeting on %s: %r"
                               % (self.path, greeting))
            self.greeting = greeting["QMP"]
            self.Execute("qmp_capabilities")
        except BaseException:
            self.Close()
            raise
        return self

    def Close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None

    def __enter__(self) -> "QmpConnection":
        return self.Connect()

    def __exit__(self, *exc: Any) -> None:
        self.Close()

    @property
    def version(self) -> tuple:
        """(major, minor, micro) of the QEMU we talk to."""
        ver = (self.greeting.get("version") or {}).get("qemu") or {}
        return (ver.get("major", 0), ver.get("minor", 0), ver.get("micro", 0))

    # ---- wire

    def _ReadMessage(self) -> Dict[str, Any]:
        assert self._sock is not None
        deadline = time.monotonic() + self.timeout
        while b"\n" not in self._buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise QmpError("Timeout waiting for QMP data on %s" % self.path)
            self._sock.settimeout(remaining)
            try:
                chunk = self._sock.recv(65536)
            except socket.timeout:
                raise QmpError("Timeout waiting for QMP data on %s"
                               % self.path)
            except OSError as err:
                raise QmpError("Error reading from QMP socket %s: %s"
                               % (self.path, err))
            if not chunk:
                raise QmpError("QMP connection %s closed by QEMU" % self.path)
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        try:
            message = json.loads(line.decode("utf-8"))
        except ValueError as err:
            raise QmpError("Invalid QMP message %r: %s" % (line[:200], err))
        if not isinstance(message, dict):
            raise QmpError("Invalid QMP message %r" % (line[:200],))
        return message

    def _Send(self, message: Dict[str, Any]) -> None:
        if self._sock is None:
            raise QmpError("QMP connection %s is not open" % self.path)
        data = json.dumps(message).encode("utf-8") + b"\r\n"
        try:
            self._sock.sendall(data)
        except OSError as err:
            raise QmpError("Error writing to QMP socket %s: %s"
                           % (self.path, err))

    def Execute(self, command: str,
                arguments: Optional[Dict[str, Any]] = None) -> Any:
        """Run one command and return its "return" value."""
        request: Dict[str, Any] = {"execute": command}
        if arguments:
            request["arguments"] = arguments
        self._Send(request)
        while True:
            message = self._ReadMessage()
            if "event" in message:
                self.events.append(message)
                continue
            if "error" in message:
                err = message["error"] or {}
                raise QmpCommandError(command, str(err.get("class", "")),
                                      str(err.get("desc", "")))
            if "return" in message:
                return message["return"]
            raise QmpError("Unexpected QMP message %r" % (message,))

    def HumanCommand(self, command_line: str) -> str:
        """Run a human-monitor (HMP) command through QMP; its text output."""
        return self.Execute("human-monitor-command",
                            {"command-line": command_line})


def Run(path: str, command: str, arguments: Optional[Dict[str, Any]] = None,
        timeout: float = 10.0) -> Any:
    """Connect, run one command, disconnect."""
    with QmpConnection(path, timeout=timeout) as qmp:
        return qmp.Execute(command, arguments)
