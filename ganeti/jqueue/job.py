"""A job and its opcodes in memory, their job-file form and query fields.

Job file (``job-<id>``)::

  {"id": 16,
   "ops": [{"input": {"OP_ID": "OP_...", ...}, "status": "success",
            "result": ..., "log": [[1, [sec, usec], "message", "text"]],
            "priority": 0, "start_timestamp": [sec, usec],
            "exec_timestamp": [sec, usec], "end_timestamp": [sec, usec]}],
   "received_timestamp": [sec, usec], "start_timestamp": [sec, usec],
   "end_timestamp": [sec, usec],
   "livelock": "/var/run/ganeti/livelocks/job_000016_<sec>",
   "process_id": <pid>}

livelock and process_id, as upstream's, name the process that ran the job
(here the master daemon, whose threads run the jobs) and appear once the
job has started; upstream's luxid, finding such a job unfinished and its
livelock file not locked, knows its process is gone.

Callers hold ``job.lock`` while reading or changing a job.
"""

import logging
import os
import threading
import time
from typing import Any, Callable, Dict, List, Optional

from ganeti import constants
from ganeti import errors
from ganeti import opcodes_base
from ganeti import pathutils

C = constants

# Result given to opcodes canceled by request.
CANCELED_RESULT = "Job canceled by request"


def TimestampNow() -> List[int]:
    """The current time as [seconds, microseconds]."""
    now = time.time()
    sec = int(now)
    return [sec, int(round((now - sec) * 1000000)) % 1000000]


def EncodeOpError(err: BaseException) -> list:
    """Encode an opcode failure; non-Ganeti errors become OpExecError."""
    if not isinstance(err, errors.GenericError):
        err = errors.OpExecError(str(err) or err.__class__.__name__)
    return errors.EncodeException(err)


def OpGet(op: Any, name: str, default: Any = None) -> Any:
    """Read a parameter of an opcode object or of a raw opcode dict."""
    if isinstance(op, dict):
        return op.get(name, default)
    return getattr(op, name, default)


def OpSet(op: Any, name: str, value: Any) -> None:
    if isinstance(op, dict):
        op[name] = value
    else:
        setattr(op, name, value)


def OpState(op: Any) -> dict:
    """The job-file/wire form of an opcode."""
    if isinstance(op, dict):
        return dict(op)
    return op.__getstate__()


def OpSummary(op: Any) -> str:
    if not isinstance(op, dict) and hasattr(op, "Summary"):
        try:
            return op.Summary()
        except Exception:  # pylint: disable=broad-except
            logging.exception("Summary of opcode failed")
    return opcodes_base.SummaryFromDict(OpState(op))


class QueuedOpCode:
    """One opcode of a job with its execution state."""

    __slots__ = ("input", "status", "result", "log", "priority",
                 "start_timestamp", "exec_timestamp", "end_timestamp",
                 "load_error")

    def __init__(self, op: Any) -> None:
        self.input = op
        self.status = C.OP_STATUS_QUEUED
        self.result: Any = None
        self.log: List[list] = []
        prio = OpGet(op, "priority", C.OP_PRIO_DEFAULT)
        self.priority = C.OP_PRIO_DEFAULT if prio is None else prio
        self.start_timestamp: Optional[list] = None
        self.exec_timestamp: Optional[list] = None
        self.end_timestamp: Optional[list] = None
        # Set when the input could not be turned into an opcode object.
        self.load_error: Optional[BaseException] = None

    @classmethod
    def Restore(cls, state: dict,
                loader: Callable[[dict], Any]) -> "QueuedOpCode":
        raw = state.get("input") or {}
        try:
            op = loader(dict(raw))
            load_error = None
        except Exception as err:  # pylint: disable=broad-except
            op = dict(raw)
            load_error = err
        obj = cls(op)
        obj.load_error = load_error
        obj.status = state.get("status", C.OP_STATUS_QUEUED)
        obj.result = state.get("result")
        obj.log = [list(entry) for entry in state.get("log") or []]
        prio = state.get("priority")
        if prio is not None:
            obj.priority = prio
        obj.start_timestamp = state.get("start_timestamp")
        obj.exec_timestamp = state.get("exec_timestamp")
        obj.end_timestamp = state.get("end_timestamp")
        return obj

    def Serialize(self) -> dict:
        return {
            "input": OpState(self.input),
            "status": self.status,
            "result": self.result,
            "log": self.log,
            "priority": self.priority,
            "start_timestamp": self.start_timestamp,
            "exec_timestamp": self.exec_timestamp,
            "end_timestamp": self.end_timestamp,
        }

    def IsFinalized(self) -> bool:
        return self.status in C.OPS_FINALIZED


class QueuedJob:
    """A job: ordered opcodes plus timestamps; see the module docstring."""

    def __init__(self, job_id: int, ops: List[QueuedOpCode],
                 received_timestamp: Optional[list] = None,
                 archived: bool = False) -> None:
        self.id = job_id
        self.ops = ops
        self.received_timestamp = received_timestamp
        self.start_timestamp: Optional[list] = None
        self.end_timestamp: Optional[list] = None
        self.livelock: Optional[str] = None
        self.process_id: Optional[int] = None
        self.archived = archived
        self.log_serial = 0
        self.lock = threading.Lock()
        # Notified (with lock held) whenever the job changes.
        self.cond = threading.Condition(self.lock)
        # Scheduling state, owned by the JobQueue (under its lock).
        self.heap_seq = 0
        self.requeue = False
        self.parked_on: Optional[int] = None
        # Set while an opcode of the job executes (see utils.interrupt).
        self.interruptor: Optional[Any] = None

    @classmethod
    def Restore(cls, state: dict, loader: Callable[[dict], Any],
                archived: bool = False) -> "QueuedJob":
        ops = [QueuedOpCode.Restore(op, loader) for op in state["ops"]]
        job = cls(int(state["id"]), ops, state.get("received_timestamp"),
                  archived=archived)
        job.start_timestamp = state.get("start_timestamp")
        job.end_timestamp = state.get("end_timestamp")
        job.livelock = state.get("livelock")
        job.process_id = state.get("process_id")
        serials = [entry[0] for op in ops for entry in op.log]
        job.log_serial = max(serials) if serials else 0
        return job

    def Serialize(self) -> dict:
        state = {
            "id": self.id,
            "ops": [op.Serialize() for op in self.ops],
            "received_timestamp": self.received_timestamp,
            "start_timestamp": self.start_timestamp,
            "end_timestamp": self.end_timestamp,
        }
        if self.livelock is not None:
            state["livelock"] = self.livelock
            state["process_id"] = self.process_id
        return state

    def MarkStarted(self, op: "QueuedOpCode") -> None:
        """op leaves the queue: stamp it and, if it is the job's first, the
        job, naming this process as the one running it."""
        if op.start_timestamp is None:
            op.start_timestamp = TimestampNow()
        if self.start_timestamp is None:
            self.start_timestamp = op.start_timestamp
        if self.livelock is None:
            self.livelock = "%s/job_%06d_%d" % (
                pathutils.LIVELOCK_DIR, self.id, self.start_timestamp[0])
            self.process_id = os.getpid()

    def __repr__(self) -> str:
        return "<QueuedJob %s %s>" % (self.id, self.CalcStatus())

    # Status and priority.
    def CalcStatus(self) -> str:
        """The job status derived from its opcodes (as upstream)."""
        status = C.JOB_STATUS_QUEUED
        all_success = True
        for op in self.ops:
            if op.status == C.OP_STATUS_SUCCESS:
                continue
            all_success = False
            if op.status == C.OP_STATUS_QUEUED:
                pass
            elif op.status == C.OP_STATUS_WAITING:
                status = C.JOB_STATUS_WAITING
            elif op.status == C.OP_STATUS_RUNNING:
                status = C.JOB_STATUS_RUNNING
            elif op.status == C.OP_STATUS_CANCELING:
                status = C.JOB_STATUS_CANCELING
                break
            elif op.status == C.OP_STATUS_ERROR:
                status = C.JOB_STATUS_ERROR
                break
            elif op.status == C.OP_STATUS_CANCELED:
                status = C.JOB_STATUS_CANCELED
                break
        if all_success:
            status = C.JOB_STATUS_SUCCESS
        return status

    def IsFinalized(self) -> bool:
        return self.CalcStatus() in C.JOBS_FINALIZED

    def CalcPriority(self) -> int:
        """Lowest priority value among unfinished opcodes (or default)."""
        prios = [op.priority for op in self.ops if not op.IsFinalized()]
        return min(prios) if prios else C.OP_PRIO_DEFAULT

    def NextOpCode(self) -> Optional[QueuedOpCode]:
        for op in self.ops:
            if not op.IsFinalized():
                return op
        return None

    # Changes.
    def MarkUnfinishedOps(self, status: str, result: Any) -> None:
        for op in self.ops:
            if not op.IsFinalized():
                op.status = status
                op.result = result

    def Finalize(self) -> None:
        self.end_timestamp = TimestampNow()

    def AddLog(self, op: QueuedOpCode, log_type: str, message: Any) -> list:
        self.log_serial += 1
        entry = [self.log_serial, TimestampNow(), log_type, message]
        op.log.append(entry)
        return entry

    def GetLogEntries(self, newer_than: Optional[int]) -> List[list]:
        serial = -1 if newer_than is None else newer_than
        return [entry for op in self.ops for entry in op.log
                if entry[0] > serial]

    # Query fields.
    def GetInfo(self, fields: List[str]) -> list:
        row = []
        for name in fields:
            getter = JOB_FIELDS.get(name)
            if getter is None:
                raise errors.OpExecError("Invalid job query field '%s'"
                                         % name)
            row.append(getter(self))
        return row


def _OpResult(op: QueuedOpCode) -> Any:
    return op.result


JOB_FIELDS: Dict[str, Callable[[QueuedJob], Any]] = {
    "id": lambda job: job.id,
    "status": lambda job: job.CalcStatus(),
    "priority": lambda job: job.CalcPriority(),
    "archived": lambda job: job.archived,
    "ops": lambda job: [OpState(op.input) for op in job.ops],
    "opresult": lambda job: [_OpResult(op) for op in job.ops],
    "opstatus": lambda job: [op.status for op in job.ops],
    "oplog": lambda job: [list(op.log) for op in job.ops],
    "opstart": lambda job: [op.start_timestamp for op in job.ops],
    "opexec": lambda job: [op.exec_timestamp for op in job.ops],
    "opend": lambda job: [op.end_timestamp for op in job.ops],
    "oppriority": lambda job: [op.priority for op in job.ops],
    "summary": lambda job: [OpSummary(op.input) for op in job.ops],
    "received_ts": lambda job: job.received_timestamp,
    "start_ts": lambda job: job.start_timestamp,
    "end_ts": lambda job: job.end_timestamp,
}
