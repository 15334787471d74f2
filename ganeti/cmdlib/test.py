"""Logical units for testing the job machinery (gnt-debug)."""

import os
import shutil
import socket
import tempfile
import time
from typing import List, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti.cmdlib.base import ExpandNodeUuid, NoHooksLU
from ganeti.utils import interrupt


def _ExpandNodes(cfg, names: List[str]) -> Tuple[List[str], List[str]]:
    """(uuids, full names) of the named nodes; unknown -> OpPrereqError."""
    uuids = [ExpandNodeUuid(cfg, name) for name in names]
    return uuids, [cfg.GetNodeName(uuid) for uuid in uuids]


class LUTestDelay(NoHooksLU):
    """Sleep on the master and/or on nodes (OpTestDelay, gnt-debug delay).

    With interruptible set, the master delay waits on a unix socket whose
    path is logged (log type "delay-test"); connecting to it ends the delay.
    """

    REQ_BGL = False

    def CheckArguments(self) -> None:
        if getattr(self.op, "repeat", 0) < 0:
            raise errors.OpPrereqError("Repetition count cannot be negative")

    def ExpandNames(self) -> None:
        self.needed_locks = {}
        if self.op.duration <= 0:
            raise errors.OpPrereqError("Duration must be greater than zero")
        self.node_uuids: List[str] = []
        self.node_names: List[str] = []
        if self.op.on_nodes:
            self.node_uuids, self.node_names = \
                _ExpandNodes(self.cfg, self.op.on_nodes)
            self.op.on_nodes = list(self.node_names)
        elif getattr(self.op, "on_node_uuids", None):
            self.node_uuids = list(self.op.on_node_uuids)
            self.node_names = [self.cfg.GetNodeName(u) for u in self.node_uuids]
        self.op.on_node_uuids = list(self.node_uuids)
        if not getattr(self.op, "no_locks", False) and \
                (self.node_uuids or self.op.on_master):
            locks = list(self.node_uuids)
            if self.op.on_master:
                master = self.cfg.GetMasterNode()
                if master not in locks:
                    locks.append(master)
            self.needed_locks[locking.LEVEL_NODE] = locks

    def _MasterDelay(self) -> None:
        if getattr(self.op, "interruptible", False):
            self._InterruptibleDelay()
        else:
            interrupt.Sleep(self.op.duration)

    def _InterruptibleDelay(self) -> None:
        """Wait for the duration or until someone connects to our socket."""
        tmpdir = tempfile.mkdtemp(prefix="ganeti-delay-")
        path = os.path.join(tmpdir, "sock")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(path)
            sock.listen(1)
            self.Log(constants.ELOG_DELAY_TEST, path)
            deadline = time.monotonic() + self.op.duration
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                sock.settimeout(min(left, interrupt.POLL_INTERVAL))
                try:
                    conn, _ = sock.accept()
                except socket.timeout:
                    interrupt.Check()
                    continue
                conn.close()
                self.LogInfo("Delay interrupted")
                break
        finally:
            sock.close()
            shutil.rmtree(tmpdir, ignore_errors=True)

    def _TestDelay(self) -> None:
        if self.op.on_master:
            self._MasterDelay()
        if self.node_names:
            result = self.rpc.call_test_delay(self.node_names,
                                              self.op.duration)
            for node in self.node_names:
                node_result = result.get(node)
                if node_result is None:
                    raise errors.OpExecError("No answer from node %s" % node)
                node_result.Raise("Failure during rpc call to node %s" % node)

    def Exec(self, feedback_fn):
        repeat = getattr(self.op, "repeat", 0)
        if repeat == 0:
            self._TestDelay()
        else:
            for i in range(repeat):
                self.LogInfo("Test delay iteration %d/%d", i, repeat - 1)
                self._TestDelay()
        return None
