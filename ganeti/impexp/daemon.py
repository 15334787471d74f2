"""The import-export program ($libdir/ganeti/import-export).

``import-export STATUS_FILE {import|export} --key K --cert C --ca CA
[--host H --port P] [--compress X] [--magic M] {--cmd FILE | --file PATH
[--raw]} [--expected-size MIB] [--connect-timeout S]``

An import listens (socat OPENSSL-LISTEN on a free port, reported as
listen_port), checks the magic header, decompresses and writes the data
into the file (created) or the disk's device (--file with --raw) or pipes
it into the command (--cmd, e.g. an OS import script); an export reads the
file or device (at most --expected-size MiB of a device) or runs the
command, compresses and sends it to host:port after the header.  The data
is copied here (splice) so the byte count gives the progress written to
the status file once a second.
"""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from typing import Any, Dict, List, Optional

from ganeti import constants as C
from ganeti import impexp as IE

_CHUNK = 1 << 20
_RECENT_LINES = 20
_STATUS_INTERVAL = 1.0
_THROUGHPUT_WINDOW = 10.0
_LISTEN_RE = re.compile(r"listening on AF=\d+ \S*?:(\d+)\s*$")
_CONNECTED_RE = re.compile(r"starting data transfer loop")
SOCAT = "socat"
SOCAT_BUFFER = "131072"


class TransferError(Exception):
    """The transfer failed; the message goes into the status file."""


class Status:
    """The daemon's status file, rewritten atomically on every update."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lock = threading.Lock()
        now = time.time()
        self.data: Dict[str, Any] = {IE.ST_CTIME: now, IE.ST_MTIME: now,
                                     IE.ST_RECENT_OUTPUT: []}
        self.recent: deque = deque(maxlen=_RECENT_LINES)
        self.Write()

    def Update(self, **values: Any) -> None:
        with self.lock:
            self.data.update(values)
        self.Write()

    def AddOutput(self, line: str) -> None:
        with self.lock:
            self.recent.append(line)
            self.data[IE.ST_RECENT_OUTPUT] = list(self.recent)

    def Get(self, key: str) -> Any:
        with self.lock:
            return self.data.get(key)

    def Write(self) -> None:
        with self.lock:
            self.data[IE.ST_MTIME] = time.time()
            text = json.dumps(self.data)
        tmp = "%s.tmp%d" % (self.path, threading.get_ident())
        with open(tmp, "w") as handle:
            handle.write(text)
        os.rename(tmp, self.path)


class Progress:
    """Bytes moved so far and the throughput over the last seconds."""

    def __init__(self, expected_mib: Optional[int]) -> None:
        self.expected = expected_mib
        self.done = 0
        self.samples: deque = deque([(time.time(), 0)])

    def Add(self, count: int) -> None:
        self.done += count

    def Fields(self) -> Dict[str, Any]:
        now = time.time()
        self.samples.append((now, self.done))
        while len(self.samples) > 2 and \
                now - self.samples[0][0] > _THROUGHPUT_WINDOW:
            self.samples.popleft()
        mbytes = self.done // (1 << 20)
        fields: Dict[str, Any] = {IE.ST_PROGRESS_MBYTES: mbytes}
        first_time, first_done = self.samples[0]
        if now > first_time:
            rate = (self.done - first_done) / (now - first_time) / (1 << 20)
            fields[IE.ST_PROGRESS_THROUGHPUT] = rate
            if self.expected and rate > 0:
                fields[IE.ST_PROGRESS_ETA] = int(max(
                    0, self.expected - mbytes) / rate)
        if self.expected:
            fields[IE.ST_PROGRESS_PERCENT] = min(
                100, int(mbytes * 100 / self.expected))
        return fields


def _SocatAddress(opts: Any, listen: bool) -> str:
    tls = "cert=%s,key=%s,cafile=%s,verify=1" % (opts.cert, opts.key,
                                                 opts.ca)
    family = "pf=ip6" if opts.ipv6 else "pf=ip4"
    if listen:
        return "OPENSSL-LISTEN:0,reuseaddr,%s,%s" % (tls, family)
    return ("OPENSSL:%s:%d,%s,%s,commonname=%s,connect-timeout=%d"
            % (opts.host, opts.port, tls, family, CommonName(opts.ca),
               opts.connect_timeout))


def CommonName(ca_file: str) -> str:
    """The subject CN of the certificate the peer must present."""
    from cryptography import x509  # pylint: disable=import-outside-toplevel
    from cryptography.x509.oid import NameOID  # pylint: disable=C0415
    with open(ca_file, "rb") as handle:
        cert = x509.load_pem_x509_certificate(handle.read())
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else ""


def _ReadLines(stream, status: Status, on_line=None) -> None:
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace").rstrip("\n")
        if on_line is None or not on_line(line):
            status.AddOutput(line)
    stream.close()


def _Copy(src: int, dst: int, progress: Progress,
          limit: Optional[int] = None) -> None:
    """Copy src to dst until EOF (or limit bytes), counting; splice where
    one side is a pipe."""
    splice = getattr(os, "splice", None)
    while limit is None or progress.done < limit:
        chunk = _CHUNK if limit is None else min(_CHUNK,
                                                 limit - progress.done)
        try:
            count = splice(src, dst, chunk) if splice else -1
        except OSError:
            splice, count = None, -1
        if count == -1:
            data = os.read(src, chunk)
            count = len(data)
            view = memoryview(data)
            while view:
                view = view[os.write(dst, view):]
        if count == 0:
            return
        progress.Add(count)


def _OpenData(opts: Any) -> int:
    """The file or device an import writes or an export reads."""
    if opts.mode == C.IEM_EXPORT:
        return os.open(opts.file, os.O_RDONLY | os.O_CLOEXEC)
    flags = os.O_WRONLY | os.O_CLOEXEC
    if not opts.raw:
        flags |= os.O_CREAT | os.O_TRUNC
    return os.open(opts.file, flags, 0o640)


def _ReadHeader(fd: int, magic: str) -> None:
    expected = IE.MAGIC_PREFIX + magic.encode("ascii") + b"\n"
    header = b""
    while not header.endswith(b"\n") and len(header) <= len(expected):
        byte = os.read(fd, 1)
        if not byte:
            raise TransferError("Connection closed before the magic header"
                                " was received")
        header += byte
    if header != expected:
        raise TransferError("Magic value mismatch (received %r)"
                            % header[:IE.MAX_MAGIC_LEN])


class Transfer:
    """One import or export: its processes and the data copy."""

    def __init__(self, opts: Any, status: Status) -> None:
        self.opts = opts
        self.status = status
        self.procs: List[subprocess.Popen] = []
        self.progress = Progress(opts.expected_size)
        self.done = threading.Event()

    def _Spawn(self, cmd: List[str], **kwargs: Any) -> subprocess.Popen:
        proc = subprocess.Popen(cmd, stderr=subprocess.PIPE,
                                start_new_session=True, **kwargs)
        self.procs.append(proc)
        return proc

    def _WatchOutput(self, proc: subprocess.Popen, on_line=None) -> None:
        threading.Thread(target=_ReadLines, daemon=True,
                         args=(proc.stderr, self.status, on_line)).start()

    def _SocatLine(self, line: str) -> bool:
        match = _LISTEN_RE.search(line)
        if match:
            self.status.Update(listen_port=int(match.group(1)))
        elif _CONNECTED_RE.search(line):
            self.status.Update(connected=True)
        # socat's notices are not the transfer's output; its errors are
        return " E " not in line

    def _Reporter(self) -> None:
        deadline = time.time() + self.opts.connect_timeout
        while not self.done.wait(_STATUS_INTERVAL):
            if not self.status.Get(IE.ST_CONNECTED) and \
                    time.time() > deadline:
                self.Kill()
                self.status.AddOutput("Not connected after %d seconds" %
                                      self.opts.connect_timeout)
                return
            self.status.Update(**self.progress.Fields())

    def Kill(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except OSError:
                    pass

    def _Compressor(self, index: int) -> Optional[str]:
        if self.opts.compress in (None, "", C.IEC_NONE):
            return None
        try:
            return IE.COMPRESSION_COMMANDS[self.opts.compress][index]
        except KeyError:
            raise TransferError("Unknown compression '%s'"
                                % self.opts.compress) from None

    def Export(self) -> None:
        socat = self._Spawn([SOCAT, "-d", "-d", "-b", SOCAT_BUFFER, "-u",
                             "STDIN",
                             _SocatAddress(self.opts, False)],
                            stdin=subprocess.PIPE)
        self._WatchOutput(socat, self._SocatLine)
        sink = socat.stdin.fileno()
        os.write(sink, IE.MAGIC_PREFIX + self.opts.magic.encode("ascii") +
                 b"\n")
        compress = self._Compressor(0)
        if compress:
            comp = self._Spawn(["/bin/sh", "-c", compress],
                               stdin=subprocess.PIPE, stdout=sink)
            self._WatchOutput(comp)
            socat.stdin.close()
            sink = comp.stdin.fileno()
            last = comp.stdin
        else:
            last = socat.stdin
        if self.opts.file:
            data = _OpenData(self.opts)
            limit = self.opts.expected_size << 20 \
                if self.opts.expected_size and self.opts.raw else None
            try:
                _Copy(data, sink, self.progress, limit)
            finally:
                os.close(data)
        else:
            source = self._Spawn([self.opts.cmd], stdout=subprocess.PIPE)
            self._WatchOutput(source)
            _Copy(source.stdout.fileno(), sink, self.progress)
            source.stdout.close()
        last.close()

    def Import(self) -> None:
        socat = self._Spawn([SOCAT, "-d", "-d", "-b", SOCAT_BUFFER, "-u",
                             _SocatAddress(self.opts, True), "STDOUT"],
                            stdout=subprocess.PIPE)
        self._WatchOutput(socat, self._SocatLine)
        data = None
        if self.opts.file:
            data = _OpenData(self.opts)
            sink, last = data, None
        else:
            dest = self._Spawn([self.opts.cmd], stdin=subprocess.PIPE)
            self._WatchOutput(dest)
            sink, last = dest.stdin.fileno(), dest.stdin
        decompress = self._Compressor(1)
        if decompress:
            comp = self._Spawn(["/bin/sh", "-c", decompress],
                               stdin=subprocess.PIPE, stdout=sink)
            self._WatchOutput(comp)
            if last is not None:
                last.close()
            sink, last = comp.stdin.fileno(), comp.stdin
        source = socat.stdout.fileno()
        try:
            _ReadHeader(source, self.opts.magic)
            _Copy(source, sink, self.progress)
        finally:
            socat.stdout.close()
            if last is not None:
                last.close()
            if data is not None:
                if decompress:
                    comp.wait()
                os.fsync(data)
                os.close(data)

    def Run(self) -> None:
        """Run the transfer; raises TransferError when it failed."""
        reporter = threading.Thread(target=self._Reporter, daemon=True)
        reporter.start()
        try:
            if self.opts.mode == C.IEM_IMPORT:
                self.Import()
            else:
                self.Export()
        except OSError as err:
            self.Kill()
            raise TransferError("Data transfer failed: %s" % err) from None
        except TransferError:
            self.Kill()
            raise
        finally:
            failed = [p for p in self.procs if p.wait() != 0]
            self.done.set()
            reporter.join()
            self.status.Update(**self.progress.Fields())
        if failed:
            raise TransferError("Exited with status %s" % ", ".join(
                str(p.returncode) for p in failed))


def ParseArgs(argv: List[str]) -> Any:
    import optparse  # pylint: disable=import-outside-toplevel
    parser = optparse.OptionParser(
        usage="%prog <status-file> {import|export} [options]")
    for name in ("--key", "--cert", "--ca", "--host", "--magic", "--cmd",
                 "--file"):
        parser.add_option(name, dest=name[2:])
    parser.add_option("--raw", action="store_true", default=False)
    parser.add_option("--port", type="int")
    parser.add_option("--connect-timeout", dest="connect_timeout",
                      type="int", default=60)
    parser.add_option("--compress", default=C.IEC_NONE)
    parser.add_option("--expected-size", dest="expected_size", type="int")
    parser.add_option("--ipv6", action="store_true", default=False)
    opts, args = parser.parse_args(argv)
    if len(args) != 2 or args[1] not in (C.IEM_IMPORT, C.IEM_EXPORT):
        parser.error("Expected a status file and import or export")
    opts.status_file, opts.mode = args
    if opts.mode == C.IEM_EXPORT and not (opts.host and opts.port):
        parser.error("An export needs --host and --port")
    for name in ("key", "cert", "ca", "magic"):
        if not getattr(opts, name):
            parser.error("--%s is required" % name)
    if bool(opts.cmd) == bool(opts.file):
        parser.error("Exactly one of --cmd and --file is required")
    return opts


def main(argv: Optional[List[str]] = None) -> int:
    opts = ParseArgs(sys.argv[1:] if argv is None else argv)
    status = Status(opts.status_file)
    transfer = Transfer(opts, status)

    def _Abort(signum, _frame):
        transfer.Kill()
        status.AddOutput("Aborted by signal %d" % signum)

    signal.signal(signal.SIGTERM, _Abort)
    try:
        transfer.Run()
    except TransferError as err:
        output = status.Get(IE.ST_RECENT_OUTPUT) or []
        message = str(err)
        if output:
            message = "%s; %s" % (message, output[-1])
        status.Update(exit_status=1, error_message=message)
        return 1
    status.Update(exit_status=0)
    return 0
