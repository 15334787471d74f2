"""Job queue tests with a fake processor (no mcpu, no locks, no RPC)."""

import os
import signal
import subprocess
import sys
import threading
import time
import types

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from ganeti import constants  # noqa: E402
from ganeti import errors  # noqa: E402
from ganeti import ht  # noqa: E402
from ganeti import jqueue  # noqa: E402
from ganeti.jqueue import store as jqueue_store  # noqa: E402
from ganeti import opcodes_base  # noqa: E402
from ganeti import pathutils  # noqa: E402
from ganeti import serializer  # noqa: E402
from ganeti.utils import interrupt  # noqa: E402


class OpJqTest(opcodes_base.OpCode):
    """Test opcode driving the fake processor."""
    OP_DSC_FIELD = "name"
    OP_PARAMS = [
        ("name", None, ht.TMaybeString, "Name, recorded when run"),
        ("result", None, ht.TAny, "Result to return"),
        ("fail", None, ht.TMaybeString, "Raise OpExecError with this"),
        ("messages", [], ht.TListOf(ht.TString), "Feedback messages"),
        ("block", None, ht.TMaybeString, "Event to wait for before start"),
        ("block_running", None, ht.TMaybeString,
         "Event to wait for while running"),
        ("submit", None, ht.TAny, "Jobs to submit (lists of op dicts)"),
        ("sleep", None, ht.TAny, "Seconds to sleep (interruptibly) while"
         " running, like a real LU"),
    ]


class FakeProcessor:
    """Runs OpJqTest opcodes the way mcpu would call the callbacks."""

    events = {}
    executed = []
    created = []

    def __init__(self, context, ec_id):
        self.context = context
        FakeProcessor.created.append(ec_id)

    @staticmethod
    def _Wait(name, cbs):
        if not name:
            return
        event = FakeProcessor.events.setdefault(name, threading.Event())
        while not event.wait(0.01):
            cbs.CheckCancel()

    def ExecOpCode(self, op, cbs):
        assert isinstance(op, OpJqTest)
        self._Wait(op.block, cbs)          # "acquiring locks"
        cbs.NotifyStart()
        FakeProcessor.executed.append(op.name)
        for msg in op.messages:
            cbs.Feedback(msg)
        self._Wait(op.block_running, cbs)  # "running"
        if op.sleep:
            interrupt.Sleep(op.sleep)
        if op.submit:
            return {"jobs": cbs.SubmitManyJobs(
                [[OpJqTest(**d) for d in ops] for ops in op.submit])}
        if op.fail:
            raise errors.OpExecError(op.fail)
        return op.result


def _Release(name):
    FakeProcessor.events.setdefault(name, threading.Event()).set()


def _Op(**kwargs):
    return OpJqTest(**kwargs)


def _WaitFor(fn, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.005)
    raise AssertionError("condition not reached within %ss" % timeout)


def _Status(queue, job_id):
    return queue.QueryJobs([job_id], ["status"])[0][0]


def _WaitStatus(queue, job_id, *statuses):
    _WaitFor(lambda: _Status(queue, job_id) in statuses)
    return _Status(queue, job_id)


def _WaitFinal(queue, job_id):
    return _WaitStatus(queue, job_id, *constants.JOBS_FINALIZED)


class _Recorder:
    def __init__(self):
        self.calls = []

    def __call__(self, call, *args):
        self.calls.append((call, ) + args)


@pytest.fixture
def env(ganeti_root):
    FakeProcessor.events = {}
    FakeProcessor.executed = []
    FakeProcessor.created = []
    queues = []
    recorder = _Recorder()

    def _Make(workers=2, **kwargs):
        kwargs.setdefault("replicate_fn", recorder)
        q = jqueue.JobQueue(types.SimpleNamespace(), FakeProcessor,
                            workers=workers,
                            op_loader=opcodes_base.LoadOpCode, **kwargs)
        queues.append(q)
        return q

    ns = types.SimpleNamespace(make=_Make, root=ganeti_root,
                               replicated=recorder.calls)
    try:
        yield ns
    finally:
        for event in list(FakeProcessor.events.values()):
            event.set()
        for q in queues:
            q.Shutdown(timeout=5)


def _ReadJobFile(job_id):
    with open("%s/job-%d" % (pathutils.QUEUE_DIR, job_id)) as fh:
        return serializer.LoadJson(fh.read())


# --- submission and the job file -------------------------------------------

def test_job_file_on_disk_before_id_returned(env):
    written = []

    def _Replicate(call, *args):
        written.append((call, args[0]))
        env.replicated.append((call, ) + args)

    q = env.make(replicate_fn=_Replicate)
    job_id = q.SubmitJob([_Op(name="a", block="never")])
    # By the time the id is returned, file and serial are on disk and
    # were handed to the replication hook.
    assert os.path.exists("%s/job-%d" % (pathutils.QUEUE_DIR, job_id))
    assert ("jobqueue_update",
            "%s/job-%d" % (pathutils.QUEUE_DIR, job_id)) in written
    with open(pathutils.JOB_QUEUE_SERIAL_FILE) as fh:
        assert fh.read() == "%d\n" % job_id
    with open(pathutils.JOB_QUEUE_VERSION_FILE) as fh:
        assert fh.read().strip() == "1"
    mode = os.stat("%s/job-%d" % (pathutils.QUEUE_DIR, job_id)).st_mode
    assert mode & 0o777 == 0o640
    assert q.SubmitJob([_Op(name="b")]) == job_id + 1


@pytest.mark.parametrize("serial_content", [None, "", "3\n"])
def test_lost_serial_never_reuses_job_ids(env, serial_content):
    # An emptied, lost or stale serial file must not make a new job reuse
    # the id of a live, archived or unreadable job file.
    q = env.make()
    first = q.SubmitJob([_Op(name="a")])
    archived = q.SubmitJob([_Op(name="b")])
    live = q.SubmitJob([_Op(name="c")])
    for job_id in (first, archived, live):
        _WaitFinal(q, job_id)
    assert q.ArchiveJob(archived) is True
    q.Shutdown(timeout=5)
    corrupt = live + 1
    with open("%s/job-%d" % (pathutils.QUEUE_DIR, corrupt), "w") as fh:
        fh.write("{not json")
    high_archived = 30007
    archive_sub = "%s/3" % pathutils.JOB_QUEUE_ARCHIVE_DIR
    os.makedirs(archive_sub)
    os.rename("%s/0/job-%d" % (pathutils.JOB_QUEUE_ARCHIVE_DIR, archived),
              "%s/job-%d" % (archive_sub, high_archived))
    os.makedirs("%s/4" % pathutils.JOB_QUEUE_ARCHIVE_DIR)  # empty
    if serial_content is None:
        os.unlink(pathutils.JOB_QUEUE_SERIAL_FILE)
    else:
        with open(pathutils.JOB_QUEUE_SERIAL_FILE, "w") as fh:
            fh.write(serial_content)
    q2 = env.make()
    new_id = q2.SubmitJob([_Op(name="new")])
    assert new_id == high_archived + 1
    assert _ReadJobFile(first)["ops"][0]["input"]["name"] == "a"
    with open(pathutils.JOB_QUEUE_SERIAL_FILE) as fh:
        assert fh.read() == "%d\n" % new_id


def test_job_file_format(env):
    q = env.make()
    job_id = q.SubmitJob([_Op(name="x", result=[1, "two"],
                              messages=["hello"])])
    assert _WaitFinal(q, job_id) == "success"
    data = _ReadJobFile(job_id)
    # Upstream's keys (tests/data/upstream-state/queue/job-*): the process
    # that ran the job and its livelock file.
    assert set(data) == {"id", "ops", "received_timestamp",
                         "start_timestamp", "end_timestamp", "livelock",
                         "process_id"}
    assert data["id"] == job_id
    assert data["process_id"] == os.getpid()
    assert data["livelock"] == "%s/job_%06d_%d" % (
        pathutils.LIVELOCK_DIR, job_id, data["start_timestamp"][0])
    for key in ("received_timestamp", "start_timestamp", "end_timestamp"):
        sec, usec = data[key]
        assert isinstance(sec, int) and 0 <= usec < 1000000
    (op, ) = data["ops"]
    assert set(op) == {"input", "status", "result", "log", "priority",
                       "start_timestamp", "exec_timestamp", "end_timestamp"}
    assert op["status"] == "success"
    assert op["result"] == [1, "two"]
    assert op["priority"] == 0
    assert op["input"]["OP_ID"] == "OP_JQ_TEST"
    assert op["start_timestamp"] <= op["exec_timestamp"] <= \
        op["end_timestamp"]
    assert data["start_timestamp"] == op["start_timestamp"]
    (entry, ) = op["log"]
    assert entry[0] == 1 and entry[2:] == ["message", "hello"]
    # The queue appends its own reason entry, stamped with the receive time.
    source, text, stamp = op["input"]["reason"][-1]
    assert source == "gnt:opcode:jq_test"
    assert text == "job=%d;index=0" % job_id
    sec, usec = data["received_timestamp"]
    assert stamp == sec * 1000000000 + usec * 1000


def test_upstream_job_file_kept(env):
    """An upstream job file is read and written back with its keys."""
    with open(os.path.join(REPO_ROOT, "tests", "data", "upstream-state",
                           "queue", "job-1")) as handle:
        text = handle.read()
    os.makedirs(pathutils.QUEUE_DIR, exist_ok=True)
    with open(os.path.join(pathutils.QUEUE_DIR, "job-1"), "w") as handle:
        handle.write(text)
    q = env.make()
    (info, ) = q.QueryJobs([1], ["id", "status"])
    assert info == [1, "success"]
    upstream = serializer.LoadJson(text)
    state = jqueue.QueuedJob.Restore(upstream, lambda op: op).Serialize()
    assert set(state) == set(upstream)
    assert state["livelock"] == upstream["livelock"]
    assert state["process_id"] == upstream["process_id"]


def test_invalid_submissions(env):
    q = env.make()
    with pytest.raises(errors.GenericError):
        q.SubmitJob([])
    with pytest.raises(errors.OpPrereqError):
        q.SubmitJob([_Op(name="a", priority=-20)])
    with pytest.raises(errors.OpPrereqError):
        q.SubmitJob([{"OP_ID": "OP_JQ_TEST", "bogus": 1}])
    with pytest.raises(errors.OpCodeUnknown):
        q.SubmitJob([{"OP_ID": "OP_NO_SUCH_THING"}])
    # Dicts are loaded into opcode objects.
    job_id = q.SubmitJob([{"OP_ID": "OP_JQ_TEST", "name": "d"}])
    assert _WaitFinal(q, job_id) == "success"
    assert q.QueryJobs([job_id], ["summary"]) == [[["JQ_TEST(d)"]]]


def test_queue_full(env, monkeypatch):
    monkeypatch.setattr(jqueue, "JOB_QUEUE_SIZE_HARD_LIMIT", 3)
    q = env.make()
    for _ in range(3):
        q.SubmitJob([_Op(name="a")])
    with pytest.raises(errors.JobQueueFull):
        q.SubmitJob([_Op(name="b")])
    with pytest.raises(errors.JobQueueFull):
        q.SubmitManyJobs([[_Op(name="c")]])


# --- execution, statuses, logs ---------------------------------------------

def test_opcode_failure_marks_rest_error(env):
    q = env.make()
    job_id = q.SubmitJob([_Op(name="1", result=True),
                          _Op(name="2", fail="it broke"),
                          _Op(name="3")])
    assert _WaitFinal(q, job_id) == "error"
    (row, ) = q.QueryJobs([job_id], ["status", "opstatus", "opresult",
                                     "end_ts", "priority"])
    assert row[1] == ["success", "error", "error"]
    assert row[2] == [True, ["OpExecError", ["it broke"]],
                      ["OpExecError", ["Preceding opcode failed"]]]
    assert row[3] is not None
    assert row[4] == constants.OP_PRIO_DEFAULT
    assert FakeProcessor.executed == ["1", "2"]
    # One processor (execution context) per job, with the job id.
    assert FakeProcessor.created == [job_id]


def test_log_serials_increase_across_opcodes(env):
    q = env.make()
    job_id = q.SubmitJob([_Op(name="1", messages=["a", "b"]),
                          _Op(name="2", messages=["c"])])
    assert _WaitFinal(q, job_id) == "success"
    (oplog, ) = q.QueryJobs([job_id], ["oplog"])[0]
    serials = [entry[0] for log in oplog for entry in log]
    assert serials == [1, 2, 3]
    assert [entry[3] for log in oplog for entry in log] == ["a", "b", "c"]
    assert all(entry[2] == "message" for log in oplog for entry in log)


def test_query_jobs_fields(env):
    q = env.make()
    job_id = q.SubmitJob([_Op(name="q", priority=10)])
    _WaitFinal(q, job_id)
    fields = ["id", "status", "priority", "archived", "ops", "opresult",
              "opstatus", "oplog", "opstart", "opexec", "opend",
              "oppriority", "summary", "received_ts", "start_ts", "end_ts"]
    (row, ) = q.QueryJobs([job_id], fields)
    info = dict(zip(fields, row))
    assert info["id"] == job_id
    assert info["status"] == "success"
    assert info["archived"] is False
    assert info["ops"][0]["OP_ID"] == "OP_JQ_TEST"
    assert info["oppriority"] == [10]
    assert info["summary"] == ["JQ_TEST(q)"]
    assert info["priority"] == 0  # no pending opcodes: default
    assert q.QueryJobs([9999, str(job_id)], ["id"]) == [None, [job_id]]
    assert [r[0] for r in q.QueryJobs(None, ["id"])] == [job_id]
    with pytest.raises(errors.GenericError):
        q.QueryJobs([job_id], ["no_such_field"])


def test_wait_for_job_changes(env):
    q = env.make()
    job_id = q.SubmitJob([_Op(name="w", block_running="go",
                              messages=["first"])])
    _WaitStatus(q, job_id, "running")
    fields = ["status"]
    info, log = q.WaitForJobChanges(job_id, fields, None, None, 5)
    assert info == ["running"]
    if not log:  # the message may come just after the status change
        info, log = q.WaitForJobChanges(job_id, fields, info, None, 5)
    assert [e[3] for e in log] == ["first"]
    serial = log[-1][0]
    # Nothing changes: "nochange" after the timeout.
    start = time.monotonic()
    assert q.WaitForJobChanges(job_id, fields, info, serial, 0.2) == \
        "nochange"
    assert time.monotonic() - start >= 0.19
    # A change wakes the waiter long before its timeout.
    answer = []
    waiter = threading.Thread(target=lambda: answer.append(
        q.WaitForJobChanges(job_id, fields, info, serial, 30)))
    start = time.monotonic()
    waiter.start()
    time.sleep(0.05)
    _Release("go")
    waiter.join(10)
    assert time.monotonic() - start < 5
    assert answer[0][0] in (["running"], ["success"])
    _WaitFinal(q, job_id)
    # A finished job answers at once, even without changes.
    assert q.WaitForJobChanges(job_id, fields, ["success"], serial, 30) == \
        [["success"], []]
    assert q.WaitForJobChanges(12345, fields, None, None, 1) is None


# --- cancel ----------------------------------------------------------------

def test_cancel_queued_job(env):
    q = env.make(workers=1)
    blocker = q.SubmitJob([_Op(name="blocker", block_running="b")])
    _WaitStatus(q, blocker, "running")
    job_id = q.SubmitJob([_Op(name="victim"), _Op(name="victim2")])
    assert _Status(q, job_id) == "queued"
    assert q.CancelJob(job_id) == (True, "Job %d canceled" % job_id)
    (row, ) = q.QueryJobs([job_id], ["status", "opstatus", "opresult",
                                     "end_ts"])
    assert row[:3] == ["canceled", ["canceled", "canceled"],
                       ["Job canceled by request"] * 2]
    assert row[3] is not None
    assert _ReadJobFile(job_id)["ops"][0]["status"] == "canceled"
    _Release("b")
    assert _WaitFinal(q, blocker) == "success"
    assert "victim" not in FakeProcessor.executed
    assert q.CancelJob(job_id) == (
        False, "Job %d is no longer waiting in the queue" % job_id)
    assert q.CancelJob(777) == (False, "Job 777 not found")


def test_cancel_waiting_job(env):
    q = env.make()
    job_id = q.SubmitJob([_Op(name="w", block="locks"), _Op(name="w2")])
    _WaitStatus(q, job_id, "waiting")
    assert q.CancelJob(job_id) == (True, "Job %d will be canceled" % job_id)
    assert _WaitFinal(q, job_id) == "canceled"
    assert q.QueryJobs([job_id], ["opstatus"])[0][0] == ["canceled"] * 2
    assert FakeProcessor.executed == []


def test_cancel_running_job(env):
    q = env.make()
    job_id = q.SubmitJob([_Op(name="r", block_running="r"), _Op(name="r2")])
    _WaitStatus(q, job_id, "running")
    assert q.CancelJob(job_id) == (
        False, "Job %d is no longer waiting in the queue" % job_id)
    assert q.CancelJob(job_id, kill=True) == (
        True, "Job %d will be canceled" % job_id)
    assert _WaitFinal(q, job_id) == "canceled"
    assert q.QueryJobs([job_id], ["opstatus"])[0][0] == ["canceled"] * 2


def test_kill_interrupts_a_running_opcode(env):
    # The opcode never checks for cancellation itself (as a real LU in a
    # long sleep or RPC): the kill must still end it.
    q = env.make(workers=1)
    job_id = q.SubmitJob([_Op(name="long", sleep=600), _Op(name="after")])
    _WaitStatus(q, job_id, "running")
    assert q.CancelJob(job_id, kill=True) == (
        True, "Job %d will be canceled" % job_id)
    assert _WaitFinal(q, job_id) == "canceled"
    assert _ReadJobFile(job_id)["ops"][0]["status"] == "canceled"
    # The worker is free again: the next job runs.
    nxt = q.SubmitJob([_Op(name="next")])
    assert _WaitFinal(q, nxt) == "success"
    assert FakeProcessor.executed == ["long", "next"]


def test_shutdown_interrupts_running_opcodes(env):
    q = env.make(workers=2)
    job_id = q.SubmitJob([_Op(name="long", sleep=600)])
    _WaitStatus(q, job_id, "running")
    q.Shutdown(timeout=60)
    assert not any(thread.is_alive() for thread in q._workers)
    # Not canceled by anyone: left running on disk, failed at restart.
    assert _ReadJobFile(job_id)["ops"][0]["status"] == "running"
    q2 = env.make()
    assert q2.QueryJobs([job_id], ["status", "opresult"])[0] == \
        ["error", [["OpExecError", [jqueue.UNCLEAN_SHUTDOWN_MSG]]]]


# --- scheduling --------------------------------------------------------------

def test_priority_then_id_ordering(env):
    q = env.make(workers=1)
    blocker = q.SubmitJob([_Op(name="blocker", block_running="b")])
    _WaitStatus(q, blocker, "running")
    low = q.SubmitJob([_Op(name="low", priority=10)])
    n1 = q.SubmitJob([_Op(name="n1")])
    high = q.SubmitJob([_Op(name="high", priority=-10)])
    n2 = q.SubmitJob([_Op(name="n2")])
    moved = q.SubmitJob([_Op(name="moved", priority=10)])
    assert q.ChangeJobPriority(moved, -10) == (
        True, "Priorities of pending opcodes for job %d have been changed"
        " to -10" % moved)
    assert q.QueryJobs([moved], ["priority", "oppriority"]) == [[-10, [-10]]]
    _Release("b")
    for job_id in (low, n1, high, n2, moved):
        assert _WaitFinal(q, job_id) == "success"
    assert FakeProcessor.executed == ["blocker", "high", "moved", "n1", "n2",
                                      "low"]
    assert q.ChangeJobPriority(low, 0) == (False,
                                           "Job %d is finished" % low)
    assert q.ChangeJobPriority(4242, 0) == (False, "Job 4242 not found")
    with pytest.raises(errors.OpPrereqError):
        q.ChangeJobPriority(low, 5)


def test_dependencies(env):
    q = env.make(workers=2)
    results = q.SubmitManyJobs([
        [_Op(name="first", block_running="first")],
        [_Op(name="second", depends=[[-1, ["success"]]])],
    ])
    assert [ok for ok, _ in results] == [True, True]
    first, second = [jid for _, jid in results]
    assert second == first + 1
    _WaitStatus(q, first, "running")
    assert _WaitStatus(q, second, "waiting") == "waiting"
    # The relative id was resolved in the stored opcode.
    assert q.QueryJobs([second], ["ops"])[0][0][0]["depends"] == \
        [[first, ["success"]]]
    # A job waiting for a dependency does not hold a worker.
    other = q.SubmitJob([_Op(name="other")])
    assert _WaitFinal(q, other) == "success"
    assert _Status(q, second) == "waiting"
    _Release("first")
    assert _WaitFinal(q, second) == "success"
    assert FakeProcessor.executed == ["first", "other", "second"]


def test_dependency_failures(env):
    q = env.make()
    failed = q.SubmitJob([_Op(name="f", fail="no")])
    assert _WaitFinal(q, failed) == "error"
    # Wrong final status -> error.
    dep_ok = q.SubmitJob([_Op(name="d1", depends=[[failed, ["success"]]])])
    assert _WaitFinal(q, dep_ok) == "error"
    result = q.QueryJobs([dep_ok], ["opresult"])[0][0][0]
    assert result[0] == "OpExecError" and str(failed) in result[1][0]
    # Empty status list: any final status (but canceled) will do.
    dep_any = q.SubmitJob([_Op(name="d2", depends=[[failed, []]])])
    assert _WaitFinal(q, dep_any) == "success"
    # Unknown job -> error.
    dep_unknown = q.SubmitJob([_Op(name="d3", depends=[[5000, []]])])
    assert _WaitFinal(q, dep_unknown) == "error"
    # Relative ids that cannot be resolved.
    with pytest.raises(errors.GenericError):
        q.SubmitJob([_Op(name="d4", depends=[[-1, ["success"]]])])
    results = q.SubmitManyJobs([[_Op(name="ok")],
                                [_Op(name="bad", depends=[[-2, []]])]])
    assert results[0][0] is True
    assert results[1] == (False, "Unable to resolve relative job ID -2")


def test_dependency_on_canceled_job(env):
    q = env.make(workers=1)
    blocker = q.SubmitJob([_Op(name="blocker", block_running="b")])
    _WaitStatus(q, blocker, "running")
    target = q.SubmitJob([_Op(name="target")])
    follower = q.SubmitJob([_Op(name="follower",
                                depends=[[target, ["success"]]])])
    keeps = q.SubmitJob([_Op(name="keeps",
                             depends=[[target, ["canceled"]]])])
    q.CancelJob(target)
    _Release("b")
    assert _WaitFinal(q, follower) == "canceled"
    assert _WaitFinal(q, keeps) == "success"


def test_cancel_job_waiting_for_dependency(env):
    q = env.make()
    first = q.SubmitJob([_Op(name="first", block_running="f")])
    second = q.SubmitJob([_Op(name="second", depends=[[first, []]])])
    _WaitStatus(q, second, "waiting")
    assert q.CancelJob(second) == (True, "Job %d will be canceled" % second)
    assert _WaitFinal(q, second) == "canceled"
    _Release("f")
    assert _WaitFinal(q, first) == "success"


def test_jobs_submitted_by_opcode(env):
    q = env.make()
    job_id = q.SubmitJob([_Op(name="parent", submit=[
        [{"name": "child1"}], [{"name": "child2",
                                "depends": [[-1, ["success"]]]}]])])
    assert _WaitFinal(q, job_id) == "success"
    result = q.QueryJobs([job_id], ["opresult"])[0][0][0]
    ids = [jid for ok, jid in result["jobs"]]
    assert [ok for ok, _ in result["jobs"]] == [True, True]
    assert ids == [job_id + 1, job_id + 2]
    for jid in ids:
        assert _WaitFinal(q, jid) == "success"


# --- drain, archive, replication -------------------------------------------

def test_drain_flag(env):
    q = env.make()
    assert q.SetDrainFlag(True) is True
    assert os.path.exists(pathutils.JOB_QUEUE_DRAIN_FILE)
    with pytest.raises(errors.JobQueueDrainError):
        q.SubmitJob([_Op(name="a")])
    with pytest.raises(errors.JobQueueDrainError):
        q.SubmitManyJobs([[_Op(name="a")]])
    job_id = q.SubmitJobToDrainedQueue([_Op(name="forced")])
    assert _WaitFinal(q, job_id) == "success"
    q.SetDrainFlag(False)
    assert not os.path.exists(pathutils.JOB_QUEUE_DRAIN_FILE)
    q.SubmitJob([_Op(name="b")])
    assert ("jobqueue_set_drain_flag", True) in env.replicated
    assert ("jobqueue_set_drain_flag", False) in env.replicated


def test_archive(env):
    q = env.make()
    done = q.SubmitJob([_Op(name="done")])
    running = q.SubmitJob([_Op(name="running", block_running="r")])
    _WaitFinal(q, done)
    _WaitStatus(q, running, "running")
    assert q.ArchiveJob(running) is False
    assert q.ArchiveJob(99999) is False
    assert q.ArchiveJob(done) is True
    assert not os.path.exists("%s/job-%d" % (pathutils.QUEUE_DIR, done))
    archived = "%s/0/job-%d" % (pathutils.JOB_QUEUE_ARCHIVE_DIR, done)
    assert os.path.exists(archived)
    assert ("jobqueue_rename",
            [("%s/job-%d" % (pathutils.QUEUE_DIR, done), archived)]) in \
        env.replicated
    # Archived jobs are still found by id, not in the list of all jobs.
    assert q.QueryJobs([done], ["id", "status", "archived"]) == \
        [[done, "success", True]]
    assert [r[0] for r in q.QueryJobs(None, ["id"])] == [running]
    assert q.ArchiveJob(done) is False
    serialized = q.GetJobsSerialized(None, include_archived=True)
    assert [(s["id"], s["archived"]) for s in serialized] == \
        [(done, True), (running, False)]


def test_archive_subdirectory(ganeti_root):
    store = jqueue_store.JobStore(pathutils.QUEUE_DIR)
    assert store.ArchivedJobPath(12345) == \
        pathutils.JOB_QUEUE_ARCHIVE_DIR + "/1/job-12345"
    assert store.ArchivedJobPath(9999) == \
        pathutils.JOB_QUEUE_ARCHIVE_DIR + "/0/job-9999"


def test_autoarchive(env):
    q = env.make()
    ids = [q.SubmitJob([_Op(name=str(i))]) for i in range(5)]
    pending = q.SubmitJob([_Op(name="p", block_running="p")])
    for job_id in ids:
        _WaitFinal(q, job_id)
    _WaitStatus(q, pending, "running")
    assert q.AutoArchiveJobs(3600, 30) == (0, 0)
    assert q.AutoArchiveJobs(-1, 30) == (5, 0)
    assert [r[0] for r in q.QueryJobs(None, ["id"])] == [pending]
    for job_id in ids:
        assert os.path.exists("%s/0/job-%d" % (pathutils.JOB_QUEUE_ARCHIVE_DIR,
                                               job_id))
    # A timeout of zero leaves the jobs it did not get to.
    _Release("p")
    _WaitFinal(q, pending)
    assert q.AutoArchiveJobs(-1, -1) == (0, 1)


def test_replication_hook_targets(ganeti_root):
    calls = []

    class _Rpc:
        def call_jobqueue_update(self, nodes, path, content):
            calls.append((tuple(nodes), path))
            return {n: types.SimpleNamespace(fail_msg=None) for n in nodes}

    def _Node(name, mc, offline=False):
        return types.SimpleNamespace(name=name, master_candidate=mc,
                                     offline=offline)

    class _Cfg:
        def GetMasterNode(self):
            return "uuid-m"

        def GetAllNodesInfo(self):
            return {"uuid-m": _Node("master", True),
                    "uuid-a": _Node("cand", True),
                    "uuid-b": _Node("offline-cand", True, offline=True),
                    "uuid-c": _Node("plain", False)}

    ctx = types.SimpleNamespace(cfg=_Cfg(), rpc=_Rpc())
    q = jqueue.JobQueue(ctx, FakeProcessor, workers=1,
                        op_loader=opcodes_base.LoadOpCode)
    try:
        job_id = q.SubmitJob([_Op(name="x")])
        _WaitFinal(q, job_id)
        # Replication is asynchronous: wait for what was handed over.
        assert q._replicator.Flush(timeout=10) == {"cand": None}
        job_path = "%s/job-%d" % (pathutils.QUEUE_DIR, job_id)
        assert (("cand", ), job_path) in calls
        assert (("cand", ), pathutils.JOB_QUEUE_SERIAL_FILE) in calls
        assert all(nodes == ("cand", ) for nodes, _ in calls)
    finally:
        q.Shutdown(timeout=5)
    # No rpc in the context: replication is a no-op.
    q = jqueue.JobQueue(types.SimpleNamespace(), FakeProcessor, workers=1,
                        op_loader=opcodes_base.LoadOpCode)
    try:
        assert _WaitFinal(q, q.SubmitJob([_Op(name="y")])) == "success"
    finally:
        q.Shutdown(timeout=5)


# --- restart and crash recovery ---------------------------------------------

def test_shutdown_and_resume(env):
    q = env.make(workers=1)
    blocker = q.SubmitJob([_Op(name="blocker", block_running="b")])
    _WaitStatus(q, blocker, "running")
    queued = q.SubmitJob([_Op(name="later")])
    q.PrepareShutdown()
    with pytest.raises(errors.JobQueueError):
        q.SubmitJob([_Op(name="refused")])
    _Release("b")
    q.Shutdown(timeout=10)
    assert _ReadJobFile(blocker)["ops"][0]["status"] == "success"
    assert _ReadJobFile(queued)["ops"][0]["status"] == "queued"
    q2 = env.make()
    assert _WaitFinal(q2, queued) == "success"
    assert q2.SubmitJob([_Op(name="next")]) == queued + 1


def _CrashChild(root):
    """Run in a subprocess: leave jobs in every state, then wait for -9."""
    pathutils.set_root(root)
    q = jqueue.JobQueue(types.SimpleNamespace(), FakeProcessor, workers=2,
                        op_loader=opcodes_base.LoadOpCode)
    done = q.SubmitJob([_Op(name="done")])
    _WaitFinal(q, done)
    running = q.SubmitJob([_Op(name="running", block_running="never"),
                           _Op(name="running2")])
    _WaitStatus(q, running, "running")
    waiting = q.SubmitJob([_Op(name="waiting", block="never")])
    _WaitStatus(q, waiting, "waiting")
    queued = q.SubmitJob([_Op(name="queued")])
    dependent = q.SubmitJob([_Op(name="dependent",
                                 depends=[[running, ["success"]]])])
    assert _Status(q, queued) == "queued"
    print(" ".join(str(i) for i in (done, running, waiting, queued,
                                    dependent)), flush=True)
    time.sleep(60)


def test_crash_recovery_after_kill9(env):
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__),
                             env.root], stdout=subprocess.PIPE,
                            cwd=REPO_ROOT)
    try:
        line = proc.stdout.readline().decode()
        assert line, "child failed"
        done, running, waiting, queued, dependent = map(int, line.split())
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert _ReadJobFile(running)["ops"][0]["status"] == "running"
    assert _ReadJobFile(waiting)["ops"][0]["status"] == "waiting"

    _Release("never")  # nothing blocks after the restart
    q = env.make()
    ids = [done, running, waiting, queued, dependent]
    for job_id in ids:
        _WaitFinal(q, job_id)
    rows = q.QueryJobs(ids, ["id", "status", "opstatus", "opresult"])
    status = {row[0]: row for row in rows}
    assert status[done][1] == "success"
    assert status[running][1] == "error"
    assert status[running][2] == ["error", "error"]
    assert status[running][3][0] == ["OpExecError",
                                     ["Unclean master daemon shutdown"]]
    assert status[waiting][1] == "success"
    assert status[queued][1] == "success"
    # It depended on the job that ended in error.
    assert status[dependent][1] == "error"
    assert sorted(FakeProcessor.executed) == ["queued", "waiting"]
    assert [r[0] for r in q.QueryJobs(None, ["id"])] == sorted(ids)
    assert q.SubmitJob([_Op(name="new")]) == max(ids) + 1


if __name__ == "__main__":
    _CrashChild(sys.argv[1])
