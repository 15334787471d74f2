"""Tests for gnt-debug with a fake LUXI client."""

import json

import pytest

from ganeti import constants
from ganeti.client import gnt_debug

from cli_fakes import FakeJob, Field, Run, fake_luxi  # noqa: F401


def _DelayOp(fake_luxi, index=-1):
    job_id, ops = fake_luxi.submitted[index]
    assert len(ops) == 1
    return job_id, ops[0]


def test_delay_submits_test_delay(fake_luxi, capsys):
    fake_luxi.next_id = 27
    assert Run(gnt_debug, "delay", "0.001") == 0
    # 37-debug-delay-0.001.txt: no output at all.
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "")
    job_id, op = _DelayOp(fake_luxi)
    assert job_id == 27
    assert op["OP_ID"] == "OP_TEST_DELAY"
    assert (op["duration"], op["on_master"], op["on_nodes"], op["repeat"],
            op["interruptible"], op["no_locks"]) == (0.001, True, [], 0,
                                                     False, False)
    assert op["debug_level"] == 0
    assert op["dry_run"] is False
    assert [entry[:2] for entry in op["reason"]] == [
        ["gnt:client:gnt-debug", "delay"]]


def test_delay_options(fake_luxi):
    assert Run(gnt_debug, "delay", "--no-master", "-n", "node1", "-n",
               "node2", "-r", "3", "-i", "-l", "--priority", "low",
               "--dry-run", "-d", "2.5") == 0
    _, op = _DelayOp(fake_luxi)
    assert (op["duration"], op["on_master"], op["on_nodes"], op["repeat"],
            op["interruptible"], op["no_locks"], op["priority"],
            op["dry_run"], op["debug_level"]) == (
        2.5, False, ["node1", "node2"], 3, True, True, 10, True, 1)


def test_delay_failure_matches_reference(fake_luxi, capsys):
    fake_luxi.next_id = 26
    fake_luxi.jobs[26] = FakeJob(
        26, [{}], status="error", opstatus=["error"],
        opresult=[["OpPrereqError", ["Duration must be greater than zero"]]])
    assert Run(gnt_debug, "delay", "0") == 1
    # 36-debug-delay-0.txt
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ("Failure: prerequisites not met for this"
                            " operation:\nDuration must be greater than"
                            " zero\n")


def test_delay_submit_matches_reference(fake_luxi, capsys):
    fake_luxi.next_id = 29
    assert Run(gnt_debug, "delay", "--submit", "0") == 0
    # 39-debug-delay-submit.txt (upstream writes this line to stderr)
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "JobID: 29\n")
    assert not [call for call in fake_luxi.calls
                if call[0] == "WaitForJobChangeOnce"]
    fake_luxi.next_id = 30
    assert Run(gnt_debug, "delay", "--submit", "--print-jobid", "1") == 0
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("30\n", "JobID: 30\n")


def test_delay_bad_duration(fake_luxi, capsys):
    assert Run(gnt_debug, "delay", "soon") == 1
    assert "Invalid duration 'soon'" in capsys.readouterr().err
    assert not fake_luxi.submitted
    assert Run(gnt_debug, "delay") == 1
    assert capsys.readouterr().err == ("Error: Command delay expects 1"
                                       " argument(s)\n")


def test_submit_job_from_files(fake_luxi, capsys, tmp_path):
    ops = [{"OP_ID": "OP_TEST_DELAY", "duration": 0.5},
           {"OP_ID": "OP_TEST_DELAY", "duration": 1, "on_master": False}]
    path = tmp_path / "ops.json"
    path.write_text(json.dumps(ops))
    fake_luxi.next_id = 50
    assert Run(gnt_debug, "submit-job", "--op-repeat", "2", "--job-repeat",
               "2", str(path)) == 0
    assert [job_id for job_id, _ in fake_luxi.submitted] == [50, 51]
    for _, state in fake_luxi.submitted:
        assert [op["duration"] for op in state] == [0.5, 1.0, 0.5, 1.0]
        assert state[1]["on_master"] is False
    assert [call[0] for call in fake_luxi.calls].count("SubmitManyJobs") == 1
    out = capsys.readouterr().out
    assert out == ("Waiting for job 50 for file %s/0 ...\n"
                   "Waiting for job 51 for file %s/1 ...\n" % (path, path))


def test_submit_job_each_and_timing(fake_luxi, capsys, tmp_path):
    path = tmp_path / "ops.json"
    path.write_text(json.dumps([{"OP_ID": "OP_TEST_DELAY", "duration": 1}]))
    assert Run(gnt_debug, "submit-job", "--each", "--timing-stats",
               str(path), str(path)) == 0
    names = [call[0] for call in fake_luxi.calls]
    assert "SubmitManyJobs" not in names
    assert names.count("SubmitJob") == 2
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ["Loading...", "Submitting..."]
    assert "C:op        2" in lines
    assert "C:job       2" in lines
    assert [line.split()[0] for line in lines[-3:]] == ["T:submit", "T:exec",
                                                        "T:total"]


def test_submit_job_bad_files(fake_luxi, capsys, tmp_path):
    assert Run(gnt_debug, "submit-job", str(tmp_path / "missing")) == 1
    assert "Can't read file" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text("[{")
    assert Run(gnt_debug, "submit-job", str(bad)) == 1
    assert "Can't parse file" in capsys.readouterr().err
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps([{"OP_ID": "OP_NO_SUCH_THING"}]))
    assert Run(gnt_debug, "submit-job", str(unknown)) == 1
    assert not fake_luxi.submitted


def _LockQuery(fields, qfilter):
    known = {"name": Field("name", "Name", "text"),
             "mode": Field("mode", "Mode", "other"),
             "owner": Field("owner", "Owner", "other"),
             "pending": Field("pending", "Pending", "other")}
    rows = [
        {"name": "cluster/BGL", "mode": "shared", "owner": ["job/5", "job/6"],
         "pending": [["exclusive", ["job/7"]]]},
        {"name": "instance/inst1.ganeti.test", "mode": None, "owner": None,
         "pending": []},
    ]
    return {"fields": [known[name] for name in fields],
            "data": [[[constants.RS_NORMAL, row[name]] for name in fields]
                     for row in rows]}


def test_locks(fake_luxi, capsys):
    fake_luxi.query["lock"] = _LockQuery
    assert Run(gnt_debug, "locks") == 0
    assert capsys.readouterr().out.splitlines() == [
        "Name                       Mode   Owner       Pending",
        "cluster/BGL                shared job/5,job/6 exclusive:job/7",
        "instance/inst1.ganeti.test -      -           -",
    ]
    assert fake_luxi.calls[-1] == ("Query", ("lock", ["name", "mode",
                                                      "owner", "pending"],
                                             None))
    assert Run(gnt_debug, "locks", "--no-headers", "--separator", ",", "-o",
               "name,owner") == 0
    assert capsys.readouterr().out.splitlines() == [
        "cluster/BGL,job/5,job/6", "instance/inst1.ganeti.test,-"]


def test_locks_interval_repeats(fake_luxi, capsys, monkeypatch):
    fake_luxi.query["lock"] = _LockQuery
    sleeps = []

    def _Sleep(secs):
        sleeps.append(secs)
        if len(sleeps) == 2:
            raise KeyboardInterrupt()
    monkeypatch.setattr(gnt_debug.time, "sleep", _Sleep)
    assert Run(gnt_debug, "locks", "--interval", "3") == 1
    assert sleeps == [3, 3]
    assert capsys.readouterr().out.count("cluster/BGL") == 2


def test_iallocator_builds_test_allocator(fake_luxi, capsys):
    fake_luxi.next_id = 60
    fake_luxi.jobs[60] = FakeJob(60, [{}], opresult=['{"request": {}}'])
    assert Run(gnt_debug, "allocator", "--mode", "allocate", "--memory",
               "1G", "--disks", "1G,512", "-t", "plain", "-o", "noop",
               "--nics", "aa:bb:cc:dd:ee:ff/10.0.0.1", "--tags", "a,b",
               "inst9") == 0
    assert capsys.readouterr().out == '{"request": {}}\n'
    _, (op, ) = fake_luxi.submitted[-1]
    assert op["OP_ID"] == "OP_TEST_ALLOCATOR"
    assert (op["mode"], op["name"], op["memory"], op["disk_template"],
            op["os"], op["direction"], op["tags"], op["count"]) == (
        "allocate", "inst9", 1024, "plain", "noop", "in", ["a", "b"], 2)
    assert op["disks"] == [{"size": 1024, "mode": "rw"},
                           {"size": 512, "mode": "rw"}]
    assert op["nics"] == [{"mac": "aa:bb:cc:dd:ee:ff", "ip": "10.0.0.1"}]


def test_iallocator_default_nic_has_only_a_mac(fake_luxi):
    # data/rpc-3.0 iallocator_runner: the request of upstream's
    # "gnt-debug iallocator --dir out ... --mode allocate" names only a mac
    fake_luxi.next_id = 61
    fake_luxi.jobs[61] = FakeJob(61, [{}], opresult=["{}"])
    assert Run(gnt_debug, "iallocator", "--mode", "allocate", "-t", "file",
               "-o", "noop", "inst9") == 0
    _, (op, ) = fake_luxi.submitted[-1]
    assert op["nics"] == [{"mac": "00:11:22:33:44:55"}]
    assert op["disks"] == [{"size": 4096, "mode": "rw"},
                           {"size": 4096, "mode": "rw"}]


def test_test_osparams(fake_luxi, capsys):
    fake_luxi.next_id = 70
    assert Run(gnt_debug, "test-osparams", "--os-parameters-secret",
               "password=s3cret", "--submit") == 0
    assert capsys.readouterr().err == "JobID: 70\n"
    _, (op, ) = fake_luxi.submitted[-1]
    assert op["OP_ID"] == "OP_TEST_OS_PARAMS"


def test_test_jobqueue_reports_lost_log_messages(fake_luxi, capsys):
    # (The whole run, with its notifications, is in
    # tests/cluster/test_job_queue_control.py.)
    fake_luxi.next_id = 80
    fake_luxi.jobs[80] = FakeJob(80, [{}], opresult=[True], log=[
        [1, [1, 0], "message", "Hello World"]])
    assert Run(gnt_debug, "test-jobqueue") == 1
    captured = capsys.readouterr()
    assert captured.out == "Testing job log messages\n"
    assert captured.err.startswith("Expected log messages ['Hello World',")
    assert len(fake_luxi.submitted) == 1
    op = fake_luxi.submitted[0][1][0]
    assert (op["OP_ID"], op["fail"]) == ("OP_TEST_JQUEUE", False)


def test_wconfd_verbs(fake_luxi, capsys):
    assert Run(gnt_debug, "wconfd", "echo", "hi") == 0
    assert Run(gnt_debug, "wconfd", "flushconfig") == 0
    assert capsys.readouterr().out == "Answer: hi\nAnswer: None\n"
    assert Run(gnt_debug, "wconfd", "bogus") == 1
    assert capsys.readouterr().err == "Command 'bogus' not supported\n"
    assert Run(gnt_debug, "wconfd", "echo") == 1
    assert capsys.readouterr().err == ("Command 'echo' takes exactly one"
                                       " argument\n")
    assert Run(gnt_debug, "wconfd", "listlocks", "x") == 1
    assert capsys.readouterr().err == "Invalid job id 'x'\n"


def test_metad_commands_are_explained(fake_luxi, capsys):
    assert Run(gnt_debug, "metad", "echo", "hi") == 1
    assert "is not available" in capsys.readouterr().err


@pytest.mark.parametrize("name", sorted(gnt_debug.commands))
def test_every_subcommand_has_help(name, capsys):
    from ganeti import cli
    assert cli.GenericMain(gnt_debug.commands,
                           argv=["gnt-debug", name, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Usage\n=====\n  gnt-debug %s" % name)
    for option in gnt_debug.commands[name][2] + cli.COMMON_OPTS:
        assert option.get_opt_string() in out


def test_delay_over_a_real_luxi_socket(monkeypatch, capsys, ganeti_root):
    """End to end through ganeti.luxi and the LUXI server framing."""
    import shutil
    import tempfile

    from ganeti import cli
    from ganeti import pathutils
    from ganeti.server import luxi_server

    sockdir = tempfile.mkdtemp(prefix="gl", dir="/tmp")
    path = sockdir + "/q"
    monkeypatch.setattr(pathutils, "QUERY_SOCKET", path)
    monkeypatch.setattr(cli, "SetupCliLogging", lambda *args: None)
    received = []

    def _Handler(method, args):
        received.append((method, args))
        if method == "SubmitJob":
            return 26
        if method == "WaitForJobChange":
            return [["error"], [[1, [1795278924, 5], "message", "hello"]]]
        if method == "QueryJobs":
            return [["error", ["error"],
                     [["OpPrereqError",
                       ["Duration must be greater than zero"]]]]]
        raise AssertionError(method)

    server = luxi_server.LuxiServer([path], _Handler)
    try:
        assert Run(gnt_debug, "delay", "0") == 1
    finally:
        server.Shutdown()
        shutil.rmtree(sockdir, ignore_errors=True)
    captured = capsys.readouterr()
    assert captured.out.endswith(" hello\n")
    assert captured.err == ("Failure: prerequisites not met for this"
                            " operation:\nDuration must be greater than"
                            " zero\n")
    assert [method for method, _ in received] == ["SubmitJob",
                                                  "WaitForJobChange",
                                                  "QueryJobs"]
    (op, ), = received[0][1]
    assert op["OP_ID"] == "OP_TEST_DELAY"
    assert op["duration"] == 0.0
    assert received[1][1][:4] == [26, ["status"], None, None]
    assert received[2][1] == [[26], ["status", "opstatus", "opresult"]]
