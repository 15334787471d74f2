"""Finished jobs out of the master's memory: only unfinished jobs and a
bounded cache stay loaded, every other finished job is read from its job
file on demand and answers every query path exactly as before."""

import types

import pytest

from ganeti import errors
from ganeti import jqueue
from ganeti import opcodes_base
from ganeti import pathutils
from ganeti.jqueue import job as jqueue_job
from ganeti.jqueue import lookup as jqueue_lookup
from ganeti.utils import io as utils_io

from test_jqueue import (FakeProcessor, _Op, _Release,  # noqa: F401
                         _WaitFinal, _WaitStatus, env)
from test_replication import FakeRpc, _Cfg

FIELDS = sorted(jqueue_job.JOB_FIELDS)


def _Evict(queue):
    """Drop the cached finished jobs: what is left in memory is what the
    queue keeps of them (their id, status and age)."""
    with queue._lock:
        queue._cache.clear()


def _InMemory(queue, job_ids):
    with queue._lock:
        return [jid for jid in job_ids
                if jid in queue._jobs or jid in queue._cache]


def _EveryAnswer(queue, job_ids):
    """What every query path answers about the jobs."""
    return {
        "query": queue.QueryJobs(job_ids, FIELDS),
        "query_all": queue.QueryJobs(None, FIELDS),
        "serialized": queue.GetJobsSerialized(job_ids),
        "serialized_all": queue.GetJobsSerialized(None,
                                                  include_archived=True),
        "wait": [queue.WaitForJobChanges(jid, FIELDS, None, None, 5)
                 for jid in job_ids],
        "wait_log": [queue.WaitForJobChanges(jid, ["status"], ["running"],
                                             1, 5) for jid in job_ids],
        "cancel": [queue.CancelJob(jid) for jid in job_ids],
        "priority": [queue.ChangeJobPriority(jid, 0) for jid in job_ids],
    }


def _FinishedJobsOfEveryKind(queue):
    ok = queue.SubmitJob([_Op(name="a", messages=["one", "two"]),
                          _Op(name="b", result={"x": [1, 2]},
                              messages=["three"])])
    failed = queue.SubmitJob([_Op(name="c", fail="broken"), _Op(name="d")])
    canceled = queue.SubmitJob([_Op(name="e", block="never")])
    _WaitStatus(queue, canceled, "waiting")
    assert queue.CancelJob(canceled)[0]
    ids = [ok, failed, canceled]
    assert [_WaitFinal(queue, jid) for jid in ids] == \
        ["success", "error", "canceled"]
    return ids


def test_finished_job_out_of_memory_answers_identically(env):
    q = env.make()
    ids = _FinishedJobsOfEveryKind(q)
    running = q.SubmitJob([_Op(name="r", block_running="r")])
    _WaitStatus(q, running, "running")
    before = _EveryAnswer(q, ids)
    _Evict(q)
    assert _InMemory(q, ids) == []
    assert _EveryAnswer(q, ids) == before
    # Nothing is lost across a master restart either.
    _Release("r")
    assert _WaitFinal(q, running) == "success"
    before = _EveryAnswer(q, ids)
    q.Shutdown(timeout=5)
    q2 = env.make()
    assert _InMemory(q2, ids + [running]) == []
    assert _EveryAnswer(q2, ids) == before


def test_only_unfinished_jobs_and_a_bounded_cache_stay_in_memory(
        env, monkeypatch):
    monkeypatch.setattr(jqueue_lookup, "FINISHED_CACHE_SIZE", 3)
    q = env.make()
    ids = [q.SubmitJob([_Op(name=str(i), messages=["m"])])
           for i in range(12)]
    running = q.SubmitJob([_Op(name="r", block_running="r2")])
    for jid in ids:
        _WaitFinal(q, jid)
    _WaitStatus(q, running, "running")
    rows = q.QueryJobs(None, FIELDS)
    assert [row[FIELDS.index("id")] for row in rows] == ids + [running]
    for jid in ids:
        q.QueryJobs([jid], FIELDS)
        q.WaitForJobChanges(jid, FIELDS, None, None, 5)
    q.GetJobsSerialized(None)
    assert len(q._cache) <= 3
    assert list(q._jobs) == [running]
    assert sorted(q._finished) == ids
    _Release("r2")
    assert _WaitFinal(q, running) == "success"
    assert q._jobs == {} and len(q._cache) <= 3


def test_dependencies_on_finished_jobs_out_of_memory(env):
    q = env.make()
    done = q.SubmitJob([_Op(name="done")])
    assert _WaitFinal(q, done) == "success"
    _Evict(q)
    ok = q.SubmitJob([_Op(name="ok", depends=[[done, ["success"]]])])
    bad = q.SubmitJob([_Op(name="bad", depends=[[done, ["error"]]])])
    assert _WaitFinal(q, ok) == "success"
    assert _WaitFinal(q, bad) == "error"
    assert "finished with status 'success'" in \
        q.QueryJobs([bad], ["opresult"])[0][0][0][1][0]


def test_queue_size_counts_finished_jobs(env, monkeypatch):
    monkeypatch.setattr(jqueue, "JOB_QUEUE_SIZE_HARD_LIMIT", 3)
    q = env.make()
    ids = [q.SubmitJob([_Op(name=str(i))]) for i in range(3)]
    for jid in ids:
        _WaitFinal(q, jid)
    _Evict(q)
    with pytest.raises(errors.JobQueueFull):
        q.SubmitJob([_Op(name="full")])
    assert q.ArchiveJob(ids[0]) is True
    assert _WaitFinal(q, q.SubmitJob([_Op(name="room")])) == "success"


def test_archive_finished_jobs_out_of_memory(env):
    q = env.make()
    ids = [q.SubmitJob([_Op(name=str(i))]) for i in range(4)]
    for jid in ids:
        _WaitFinal(q, jid)
    _Evict(q)
    assert q.ArchiveJob(ids[0]) is True
    assert q.ArchiveJob(ids[0]) is False
    assert q.QueryJobs([ids[0]], ["id", "status", "archived"]) == \
        [[ids[0], "success", True]]
    _Evict(q)
    assert q.AutoArchiveJobs(3600, 30) == (0, 0)
    assert q.AutoArchiveJobs(-1, 30) == (3, 0)
    assert q.QueryJobs(None, ["id"]) == []
    assert q._finished == {} and _InMemory(q, ids) == []
    assert [s["archived"] for s in
            q.GetJobsSerialized(None, include_archived=True)] == [True] * 4


def test_queue_copy_sends_the_files_of_finished_jobs(ganeti_root):
    FakeProcessor.events = {}
    rpc = FakeRpc()
    q = jqueue.JobQueue(types.SimpleNamespace(cfg=_Cfg(), rpc=rpc),
                        FakeProcessor, workers=2,
                        op_loader=opcodes_base.LoadOpCode)
    try:
        ids = [q.SubmitJob([_Op(name=str(i), messages=["m"])])
               for i in range(3)]
        for jid in ids:
            _WaitFinal(q, jid)
        _Evict(q)
        assert q.AddNode("c") is None
        sent = {args[0]: args[1] for call, args in rpc.Sent("c")
                if call == "jobqueue_update"}
        for jid in ids:
            path = "%s/job-%d" % (pathutils.QUEUE_DIR, jid)
            assert sent[path] == utils_io.ReadFile(path)
    finally:
        q.Shutdown(timeout=5)
