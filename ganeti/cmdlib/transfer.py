"""Moving disk data between nodes with the import-export daemons.

TransferData starts the import on the receiving node, waits for its port,
starts the export on the sending node, then follows both through
impexp_status (reporting the progress in the job log as "<what> sent
<size>, <rate> MiB/s, <n>% done, <n> s remaining") until both have exited;
their files are always cleaned up.  Used by gnt-instance move and
gnt-backup export/import.
"""

import hashlib
import os
import time
from typing import Any, List, Optional, Sequence, Tuple

from ganeti import constants as C
from ganeti.cmdlib import instance_utils as iu
from ganeti.utils import text as utils_text

POLL_INTERVAL = 0.5
PROGRESS_INTERVAL = 5.0
CONNECT_TIMEOUT = 60
TRANSFER_TIMEOUT = 24 * 3600
# A running daemon rewrites its status every second; one silent this long
# is gone.
STALL_TIMEOUT = 60

IoSpec = Tuple[str, List[Any]]


def _Get(status: Any, key: str) -> Any:
    if isinstance(status, dict):
        return status.get(key)
    return getattr(status, key, None)


def Options(seed: str, compress: str = C.IEC_NONE) -> dict:
    """The import/export options of a transfer inside the cluster; its
    magic (a hex SHA-1) is unique per transfer."""
    magic = hashlib.sha1(("%s-%s" % (seed, os.urandom(16).hex()))
                         .encode("utf-8")).hexdigest()
    return {"key_name": None, "ca_pem": None, "compress": compress,
            "magic": magic, "connect_timeout": CONNECT_TIMEOUT,
            "ipv6": False}


def FormatProgress(what: str, status: Any) -> Optional[str]:
    """The job log line for a running export's status, or None."""
    mbytes = _Get(status, "progress_mbytes")
    if mbytes is None:
        return None
    parts = ["%s sent %s" % (what, utils_text.FormatUnit(mbytes, "h"))]
    rate = _Get(status, "progress_throughput")
    if rate is not None:
        parts.append("%0.1f MiB/s" % rate)
    percent = _Get(status, "progress_percent")
    if percent is not None:
        parts.append("%d%% done" % percent)
    eta = _Get(status, "progress_eta")
    if eta is not None:
        parts.append("%d s remaining" % eta)
    return ", ".join(parts)


class _Daemon:
    """One started import or export daemon."""

    def __init__(self, node: str, name: str) -> None:
        self.node = node
        self.name = name
        self.status: Any = None
        self.last_mtime: Any = None
        self.last_change = time.time()

    def Finished(self) -> bool:
        return _Get(self.status, "exit_status") is not None

    def Update(self, status: Any) -> None:
        self.status = status
        mtime = _Get(status, "mtime")
        if mtime != self.last_mtime:
            self.last_mtime = mtime
            self.last_change = time.time()

    def Stalled(self) -> bool:
        return not self.Finished() and \
            time.time() - self.last_change > STALL_TIMEOUT


def _Poll(lu, daemons: Sequence[_Daemon]) -> None:
    for daemon in daemons:
        if daemon.Finished():
            continue
        result = lu.rpc.call_impexp_status(daemon.node, [daemon.name])
        result.Raise("Can't get import/export status on node %s"
                     % iu.NodeName(lu.cfg, daemon.node))
        daemon.Update((result.payload or [None])[0])


def _Error(lu, daemon: _Daemon) -> Optional[str]:
    if _Get(daemon.status, "exit_status") == 0:
        return None
    return "%s on node %s: %s" % (
        "import" if daemon.name.startswith(C.IEM_IMPORT) else "export",
        iu.NodeName(lu.cfg, daemon.node),
        _Get(daemon.status, "error_message") or "failed")


def TransferData(lu, what: str, instance: Any, component: str,
                 source_node: str, source_io: IoSpec, dest_node: str,
                 dest_io: IoSpec, opts: dict) -> Optional[str]:
    """Copy one piece of data; returns an error message or None."""
    started: List[_Daemon] = []
    try:
        result = lu.rpc.call_import_start(dest_node, opts, instance,
                                          component, dest_io)
        if result.fail_msg:
            return result.fail_msg
        importer = _Daemon(dest_node, result.payload)
        started.append(importer)
        deadline = time.time() + CONNECT_TIMEOUT
        while not _Get(importer.status, "listen_port"):
            if importer.Finished():
                return _Error(lu, importer)
            if time.time() > deadline:
                return ("import on node %s did not start listening in %d"
                        " seconds" % (iu.NodeName(lu.cfg, dest_node),
                                      CONNECT_TIMEOUT))
            time.sleep(POLL_INTERVAL)
            _Poll(lu, [importer])
        node_info = lu.cfg.GetNodeInfo(dest_node)
        host = node_info.secondary_ip or node_info.primary_ip
        result = lu.rpc.call_export_start(
            source_node, opts, host, _Get(importer.status, "listen_port"),
            instance, component, source_io)
        if result.fail_msg:
            return result.fail_msg
        exporter = _Daemon(source_node, result.payload)
        started.append(exporter)
        deadline = time.time() + TRANSFER_TIMEOUT
        last_report = time.time()
        while not all(d.Finished() for d in started):
            if time.time() > deadline:
                return "transfer of %s timed out" % what
            time.sleep(POLL_INTERVAL)
            _Poll(lu, started)
            stalled = [d for d in started if d.Stalled()]
            if stalled:
                return ("the import/export daemon on node %s stopped"
                        " reporting" % iu.NodeName(lu.cfg, stalled[0].node))
            if time.time() - last_report >= PROGRESS_INTERVAL and \
                    not exporter.Finished():
                line = FormatProgress(what, exporter.status)
                if line:
                    lu.LogInfo("%s", line)
                last_report = time.time()
        errs = [e for e in (_Error(lu, d) for d in started) if e]
        if errs:
            return "; ".join(errs)
        line = FormatProgress(what, exporter.status)
        if line:
            lu.LogInfo("%s", line)
        return None
    finally:
        for daemon in started:
            if not daemon.Finished():
                lu.rpc.call_impexp_abort(daemon.node, daemon.name)
            lu.rpc.call_impexp_cleanup(daemon.node, daemon.name)
