"""A fake LUXI client and helpers shared by the CLI unit tests."""

import copy
import os
import time

import pytest



def Field(name, title, kind, doc=""):
    return {"name": name, "title": title, "kind": kind, "doc": doc}


class FakeJob:
    """A job as the fake queue knows it."""

    def __init__(self, job_id, ops, status="success", opstatus=None,
                 opresult=None, log=None, **fields):
        self.job_id = job_id
        self.ops = ops
        self.status = status
        self.opstatus = opstatus or [status] * len(ops)
        self.opresult = opresult if opresult is not None else [None] * len(ops)
        # log: list of [serial, [sec, usec], type, message] over all opcodes
        self.log = log or []
        self.fields = fields

    def Get(self, name):
        if name == "id":
            return self.job_id
        if name == "status":
            return self.status
        if name == "opstatus":
            return self.opstatus
        if name == "opresult":
            return self.opresult
        if name == "ops":
            return self.ops
        return self.fields.get(name)


class FakeLuxi:
    """Records calls; answers from canned jobs and query responses."""

    def __init__(self, jobs=None, query=None, fields=None):
        self.jobs = {job.job_id: job for job in (jobs or [])}
        self.query = query or {}        # resource -> response
        self.fields = fields or {}      # resource -> QueryFields response
        self.calls = []
        self.submitted = []
        self.next_id = 100
        self.wait_answers = {}          # job id -> list of answers to pop
        self.cancel_answer = (True, "Job %s will be canceled")
        self.archive_answer = True

    def _Call(self, name, *args):
        self.calls.append((name, args))

    def SubmitJob(self, ops):
        self._Call("SubmitJob", ops)
        job_id = self.next_id
        self.next_id += 1
        state = [op if isinstance(op, dict) else op.__getstate__()
                 for op in ops]
        self.submitted.append((job_id, state))
        if job_id not in self.jobs:
            self.jobs[job_id] = FakeJob(job_id, state)
        return job_id

    def SubmitManyJobs(self, jobs):
        self._Call("SubmitManyJobs", jobs)
        return [[True, self.SubmitJob(ops)] for ops in jobs]

    def WaitForJobChangeOnce(self, job_id, fields, prev_job_info,
                             prev_log_serial, timeout=None):
        self._Call("WaitForJobChangeOnce", job_id, fields, prev_job_info,
                   prev_log_serial)
        answers = self.wait_answers.get(job_id)
        if answers:
            return answers.pop(0)
        job = self.jobs.get(job_id)
        if job is None:
            return None
        entries = [entry for entry in job.log
                   if prev_log_serial is None or entry[0] > prev_log_serial]
        return [[job.Get(name) for name in fields], copy.deepcopy(entries)]

    def QueryJobs(self, job_ids, fields):
        self._Call("QueryJobs", job_ids, fields)
        result = []
        for job_id in job_ids:
            job = self.jobs.get(int(job_id))
            result.append(None if job is None
                          else [job.Get(name) for name in fields])
        return result

    def Query(self, what, fields, qfilter):
        self._Call("Query", what, fields, qfilter)
        response = self.query[what]
        if callable(response):
            return response(fields, qfilter)
        return response

    def QueryFields(self, what, fields):
        self._Call("QueryFields", what, fields)
        return self.fields[what]

    def CancelJob(self, job_id, kill=False):
        self._Call("CancelJob", job_id, kill)
        success, msg = self.cancel_answer
        return [success, msg % job_id]

    def ChangeJobPriority(self, job_id, priority):
        self._Call("ChangeJobPriority", job_id, priority)
        return [True, "Priority of job %s changed to %s" % (job_id, priority)]

    def ArchiveJob(self, job_id):
        self._Call("ArchiveJob", job_id)
        return self.archive_answer

    def AutoArchiveJobs(self, age):
        self._Call("AutoArchiveJobs", age)
        return [3, 0]


@pytest.fixture
def utc():
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


@pytest.fixture
def fake_luxi(monkeypatch, ganeti_root):
    """Install a FakeLuxi as the client every CLI helper gets."""
    from ganeti import cli
    from ganeti import luxi
    fake = FakeLuxi()
    monkeypatch.setattr(luxi, "Client", lambda *args, **kwargs: fake)
    monkeypatch.setattr(cli, "SetupCliLogging", lambda *args: None)
    return fake


def Run(module, *args):
    """Run a client module's GenericMain with argv."""
    from ganeti import cli
    return cli.GenericMain(module.commands, aliases=module.aliases,
                           argv=[module.__name__.split(".")[-1]
                                 .replace("_", "-")] + list(args))


def Reference(text):
    """Lines of a reference output block (without the command line)."""
    return text.strip("\n").split("\n")
