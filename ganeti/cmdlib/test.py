"""Logical units for testing the job machinery (gnt-debug)."""

import contextlib
import os
import shutil
import socket
import tempfile
import time
from typing import Iterator, List, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import iallocator
from ganeti import locking
from ganeti.cmdlib.base import ExpandNodeUuid, NoHooksLU
from ganeti.cmdlib.instance_storage import DISK_ACCESS_SET
from ganeti.cmdlib.instance_utils import ExpandInstanceUuidAndName
from ganeti.utils import interrupt


def _ExpandNodes(cfg, names: List[str]) -> Tuple[List[str], List[str]]:
    """(uuids, full names) of the named nodes; unknown -> OpPrereqError."""
    uuids = [ExpandNodeUuid(cfg, name) for name in names]
    return uuids, [cfg.GetNodeName(uuid) for uuid in uuids]


@contextlib.contextmanager
def _NotifySocket() -> Iterator[Tuple[socket.socket, str]]:
    """A listening unix socket in a fresh temporary directory."""
    tmpdir = tempfile.mkdtemp(prefix="ganeti-test-")
    path = os.path.join(tmpdir, "sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(path)
        sock.listen(1)
        yield sock, path
    finally:
        sock.close()
        shutil.rmtree(tmpdir, ignore_errors=True)


def _AwaitConnection(sock: socket.socket, timeout: float) -> bool:
    """Wait (interruptibly) up to timeout seconds for a client to connect
    to sock; True if one did."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        sock.settimeout(min(left, interrupt.POLL_INTERVAL))
        try:
            conn, _ = sock.accept()
        except socket.timeout:
            interrupt.Check()
            continue
        conn.close()
        return True


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
        with _NotifySocket() as (sock, path):
            self.Log(constants.ELOG_DELAY_TEST, path)
            if _AwaitConnection(sock, self.op.duration):
                self.LogInfo("Delay interrupted")

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


# Notifications of LUTestJqueue (log type ELOG_JQUEUE_TEST, message
# [socket path, notification]): the client checks the job's status and
# connects to the socket to let the opcode go on.
JQT_WAITLOCK = "waitlock"
JQT_EXEC = "exec"
JQT_NOTIFY_TIMEOUT = 60.0
JQT_FAIL_MSG = "Opcode failure was requested"


class LUTestJqueue(NoHooksLU):
    """Exercise the job queue (OpTestJqueue, gnt-debug test-jobqueue):
    notifications while waiting for locks and while executing, log
    messages, a requested failure."""

    REQ_BGL = False

    def ExpandNames(self) -> None:
        self.needed_locks = {}
        if self.op.notify_waitlock:
            self._Notify(JQT_WAITLOCK)  # the job is still "waiting"

    def _Notify(self, what: str) -> None:
        """Tell the client about what and wait for its acknowledgement."""
        with _NotifySocket() as (sock, path):
            self.Log(constants.ELOG_JQUEUE_TEST, [path, what])
            if not _AwaitConnection(sock, JQT_NOTIFY_TIMEOUT):
                raise errors.OpExecError("The %s notification was not"
                                         " acknowledged within %d seconds" %
                                         (what, JQT_NOTIFY_TIMEOUT))

    def Exec(self, feedback_fn) -> bool:
        if self.op.notify_exec:
            self._Notify(JQT_EXEC)
        for msg in self.op.log_messages:
            self.Log(msg)
        if self.op.fail:
            raise errors.OpExecError(JQT_FAIL_MSG)
        return True


_ALLOC_ATTRS = ("memory", "disks", "disk_template", "os", "tags", "nics",
                "vcpus")


class LUTestAllocator(NoHooksLU):
    """Build an iallocator request (direction in: its input document) or
    run it through an allocator (out: the allocator's answer, unchecked);
    OpTestAllocator, gnt-debug iallocator."""

    REQ_BGL = False

    def ExpandNames(self) -> None:
        self.needed_locks = {}

    def CheckPrereq(self) -> None:
        op = self.op
        if op.mode in (constants.IALLOCATOR_MODE_ALLOC,
                       constants.IALLOCATOR_MODE_MULTI_ALLOC):
            self._CheckAllocation()
        elif op.mode in (constants.IALLOCATOR_MODE_RELOC,
                         constants.IALLOCATOR_MODE_ALLOCATE_SECONDARY):
            self.inst_uuid, op.name = ExpandInstanceUuidAndName(
                self.cfg, None, op.name)
        elif op.mode in (constants.IALLOCATOR_MODE_CHG_GROUP,
                         constants.IALLOCATOR_MODE_NODE_EVAC):
            if not op.instances:
                raise errors.OpPrereqError("Missing instances",
                                           errors.ECODE_INVAL)
            op.instances = [ExpandInstanceUuidAndName(self.cfg, None,
                                                      name)[1]
                            for name in op.instances]
        else:
            raise errors.OpPrereqError("Invalid test allocator mode '%s'"
                                       % op.mode, errors.ECODE_INVAL)
        if op.direction == constants.IALLOCATOR_DIR_OUT and \
                op.iallocator is None:
            raise errors.OpPrereqError("Missing allocator name",
                                       errors.ECODE_INVAL)

    def _CheckAllocation(self) -> None:
        op = self.op
        for attr in _ALLOC_ATTRS:
            if getattr(op, attr, None) is None:
                raise errors.OpPrereqError("Missing attribute '%s' on opcode"
                                           " input" % attr,
                                           errors.ECODE_INVAL)
        if self.cfg.ExpandInstanceName(op.name) is not None:
            raise errors.OpPrereqError("Instance '%s' already in the cluster"
                                       % op.name, errors.ECODE_EXISTS)
        for row in op.disks:
            if not (isinstance(row, dict) and
                    isinstance(row.get("size"), int) and
                    row.get("mode") in DISK_ACCESS_SET):
                raise errors.OpPrereqError("Invalid contents of the 'disks'"
                                           " parameter", errors.ECODE_INVAL)
        if op.hypervisor is None:
            op.hypervisor = self.cfg.GetHypervisorType()

    def _AllocRequest(self, name: str) -> iallocator.IAReqInstanceAlloc:
        op = self.op
        return iallocator.IAReqInstanceAlloc(
            name=name, memory=op.memory, disks=op.disks,
            disk_template=op.disk_template, os=op.os, tags=op.tags,
            nics=op.nics, vcpus=op.vcpus, spindle_use=op.spindle_use,
            hypervisor=op.hypervisor, group_name=op.group_name)

    def _Request(self) -> iallocator.IARequestBase:
        op = self.op
        mode = op.mode
        if mode == constants.IALLOCATOR_MODE_ALLOC:
            return self._AllocRequest(op.name)
        if mode == constants.IALLOCATOR_MODE_MULTI_ALLOC:
            return iallocator.IAReqMultiInstanceAlloc(instances=[
                self._AllocRequest("%s%s" % (op.name, idx))
                for idx in range(op.count)])
        if mode == constants.IALLOCATOR_MODE_RELOC:
            # away from the secondary (DRBD), else from the primary
            # (externally mirrored disks: the instance moves)
            inst = self.cfg.GetInstanceInfo(self.inst_uuid)
            relocate_from = (self.cfg.GetInstanceSecondaryNodes(inst.uuid) or
                             [inst.primary_node])
            return iallocator.IAReqRelocate(
                inst_uuid=inst.uuid,
                relocate_from_node_uuids=list(relocate_from))
        if mode == constants.IALLOCATOR_MODE_ALLOCATE_SECONDARY:
            return iallocator.IAReqInstanceAllocateSecondary(name=op.name)
        if mode == constants.IALLOCATOR_MODE_CHG_GROUP:
            return iallocator.IAReqGroupChange(
                instances=op.instances,
                target_groups=[self.cfg.LookupNodeGroup(group)
                               for group in op.target_groups or []])
        return iallocator.IAReqNodeEvac(
            instances=op.instances,
            evac_mode=op.evac_mode or constants.NODE_EVAC_ALL,
            ignore_soft_errors=False)

    def Exec(self, feedback_fn) -> str:
        ial = iallocator.IAllocator(self.cfg, self.rpc, self._Request())
        if self.op.direction == constants.IALLOCATOR_DIR_IN:
            return ial.BuildInput()
        ial.Run(self.op.iallocator, validate=False)
        return ial.out_text
