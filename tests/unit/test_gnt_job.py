"""Tests for gnt-job against upstream 3.0's reference outputs (fake LUXI)."""

import pytest

from ganeti import constants
from ganeti.client import gnt_job

from cli_fakes import (FakeJob, Field, Reference, Run, fake_luxi,  # noqa: F401
                       utc)

REF_34 = [
    '- Job ID: 16',
    '  Status: success',
    '  Received:         2026-11-21 16:35:08.493097',
    '  Processing start: 2026-11-21 16:35:08.750487 (delta 0.257390s)',
    '  Processing end:   2026-11-21 16:35:09.861960 (delta 1.111473s)',
    '  Total processing time: 1.368863 seconds',
    '  Opcodes: ',
    '    - Opcode: OP_INSTANCE_CREATE',
    '      Status: success',
    '      Processing start: 2026-11-21 16:35:08.750487',
    '      Execution start:  2026-11-21 16:35:08.761064',
    '      Processing end:   2026-11-21 16:35:09.861945',
    '      Input fields: ',
    '        OP_ID: OP_INSTANCE_CREATE',
    '        beparams: ',
    '          maxmem: 128',
    '          minmem: 128',
    '        comment: None',
    '        commit: False',
    '        compress: none',
    '        conflicts_check: True',
    '        debug_level: 0',
    '        depends: None',
    '        disk_template: file',
    '        disks: ',
    '          - size: 64',
    '        dry_run: False',
    '        file_driver: loop',
    '        force_variant: False',
    '        forthcoming: False',
    '        helper_shutdown_timeout: 7200',
    '        helper_startup_timeout: 300',
    '        hvparams: ',
    '        hypervisor: fake',
    '        identify_defaults: False',
    '        ignore_ipolicy: False',
    '        instance_communication: False',
    '        instance_name: inst1.ganeti.test',
    '        ip_check: False',
    '        mode: create',
    '        name_check: True',
    '        nics: ',
    '          - ',
    '        no_install: False',
    '        opportunistic_locking: False',
    '        os_type: anchor-noop+default',
    '        osparams: ',
    '        osparams_private: ',
    '        osparams_secret: ',
    '        pnode: anchor-node1.ganeti.test',
    '        pnode_uuid: 1c5be371-f4b6-42f7-b144-c17f3e090997',
    '        priority: 0',
    '        reason: ',
    '          - - gnt:client:gnt-instance',
    '            - add',
    '            - 1795278908490876928',
    '          - - gnt:opcode:instance_create',
    '            - job=16;index=0',
    '            - 1795278908493097000',
    '        source_shutdown_timeout: 120',
    '        start: True',
    '        tags: ',
    '        wait_for_sync: True',
    '      Result: ',
    '        - anchor-node1.ganeti.test',
    '      Execution log: ',
    '        - Time: 2026-11-21 16:35:09.024835',
    '          Content: [1, message, * disk 0, size 64M]',
    '        - Time: 2026-11-21 16:35:09.026744',
    '          Content: [2, message, * creating instance disks...]',
    '        - Time: 2026-11-21 16:35:09.126786',
    '          Content: [3, message, adding instance inst1.ganeti.test to cluster config]',
    '        - Time: 2026-11-21 16:35:09.140622',
    '          Content: [4, message, adding disks to cluster config]',
    '        - Time: 2026-11-21 16:35:09.194702',
    '          Content: [5, message,  - INFO: Waiting for instance inst1.ganeti.test to sync disks]',
    '        - Time: 2026-11-21 16:35:09.266939',
    "          Content: [6, message,  - INFO: Instance inst1.ganeti.test's disks are in sync]",
    '        - Time: 2026-11-21 16:35:09.274380',
    '          Content: [7, message,  - INFO: Waiting for instance inst1.ganeti.test to sync disks]',
    '        - Time: 2026-11-21 16:35:09.321530',
    "          Content: [8, message,  - INFO: Instance inst1.ganeti.test's disks are in sync]",
    '        - Time: 2026-11-21 16:35:09.383422',
    '          Content: [9, message, * running the instance OS create scripts...]',
    '        - Time: 2026-11-21 16:35:09.748129',
    '          Content: [10, message, * starting instance...]',
]


REF_40 = [
    '- Job ID: 29',
    '  Status: error',
    '  Received:         2026-11-21 16:35:24.709881',
    '  Processing start: 2026-11-21 16:35:24.988026 (delta 0.278145s)',
    '  Processing end:   2026-11-21 16:35:24.996196 (delta 0.008170s)',
    '  Total processing time: 0.286315 seconds',
    '  Opcodes: ',
    '    - Opcode: OP_TEST_DELAY',
    '      Status: error',
    '      Processing start: 2026-11-21 16:35:24.988026',
    '      Execution start:  N/A',
    '      Processing end:   2026-11-21 16:35:24.996178',
    '      Input fields: ',
    '        OP_ID: OP_TEST_DELAY',
    '        comment: None',
    '        debug_level: 0',
    '        depends: None',
    '        dry_run: False',
    '        duration: 0',
    '        interruptible: False',
    '        no_locks: False',
    '        on_master: True',
    '        on_nodes: ',
    '        priority: 0',
    '        reason: ',
    '          - - gnt:client:gnt-debug',
    '            - delay',
    '            - 1795278924707675136',
    '          - - gnt:opcode:test_delay',
    '            - job=29;index=0',
    '            - 1795278924709881000',
    '        repeat: 0',
    '      Result: ',
    '        - OpPrereqError',
    '        - - Duration must be greater than zero',
    '      Execution log: ',
]


JOB_LIST = [
    (1, "success", ["CLUSTER_POST_INIT"]),
    (2, "success", ["CLUSTER_VERIFY"]),
    (3, "success", ["CLUSTER_VERIFY_CONFIG"]),
    (4, "success",
     ["CLUSTER_VERIFY_GROUP(e6444023-7686-4c75-a7e0-c06909233dd8)"]),
    (14, "error", ["INSTANCE_CREATE(inst1.ganeti.test)"]),
    (25, "success", ["INSTANCE_SET_PARAMS(inst2.ganeti.test)"]),
]


def _JobQuery(fields, qfilter):
    known = {"id": Field("id", "ID", "number"),
             "status": Field("status", "Status", "text"),
             "summary": Field("summary", "Summary", "other"),
             "archived": Field("archived", "Archived", "bool")}
    rows = []
    for job_id, status, summary in JOB_LIST:
        values = {"id": job_id, "status": status, "summary": summary,
                  "archived": False}
        rows.append([[constants.RS_NORMAL, values[name]] for name in fields])
    return {"fields": [known[name] for name in fields], "data": rows}


def test_list_matches_reference(fake_luxi, capsys):
    fake_luxi.query["job"] = _JobQuery
    assert Run(gnt_job, "list") == 0
    # Rows of 33-job-list.txt.
    assert capsys.readouterr().out.splitlines() == Reference("""
ID Status  Summary
 1 success CLUSTER_POST_INIT
 2 success CLUSTER_VERIFY
 3 success CLUSTER_VERIFY_CONFIG
 4 success CLUSTER_VERIFY_GROUP(e6444023-7686-4c75-a7e0-c06909233dd8)
14 error   INSTANCE_CREATE(inst1.ganeti.test)
25 success INSTANCE_SET_PARAMS(inst2.ganeti.test)
""")
    assert fake_luxi.calls[-1] == ("Query", ("job", ["id", "status",
                                                      "summary"], None))


def test_list_options_and_filters(fake_luxi, capsys):
    fake_luxi.query["job"] = _JobQuery
    assert Run(gnt_job, "list", "--no-headers", "-o", "id,summary",
               "--running", "4", "14") == 0
    assert capsys.readouterr().out.splitlines()[:2] == [
        " 1 CLUSTER_POST_INIT", " 2 CLUSTER_VERIFY"]
    _, (what, fields, qfilter) = fake_luxi.calls[-1]
    assert fields == ["id", "summary"]
    assert qfilter == ["&", ["|", ["=", "id", 4], ["=", "id", 14]],
                       ["|", ["=", "status", "running"]]]
    assert Run(gnt_job, "list", "--separator=|", "-o", "+archived",
               "--archived", "--pending") == 0
    _, (what, fields, qfilter) = fake_luxi.calls[-1]
    assert fields == ["id", "status", "summary", "archived"]
    assert qfilter == ["|", ["=", "status", "canceling"],
                       ["=", "status", "queued"], ["=", "status", "waiting"]]
    assert capsys.readouterr().out.splitlines()[:2] == [
        "ID|Status|Summary|Archived", "1|success|CLUSTER_POST_INIT|N"]


def test_list_fields_matches_reference(fake_luxi, capsys):
    docs = [("archived", "bool", "Archived", "Whether job is archived"),
            ("end_ts", "other", "End", "Timestamp of job end (tuple"
             " containing seconds and microseconds)"),
            ("id", "number", "ID", "Job ID"),
            ("status", "text", "Status", "Job status")]
    fake_luxi.fields["job"] = {"fields": [Field(name, title, kind, doc)
                                          for name, kind, title, doc in docs]}
    assert Run(gnt_job, "list-fields") == 0
    assert capsys.readouterr().out.splitlines() == Reference("""
Name     Type    Title    Description
archived Boolean Archived Whether job is archived
end_ts   Custom  End      Timestamp of job end (tuple containing seconds and microseconds)
id       Number  ID       Job ID
status   Text    Status   Job status
""")


def _Ts(text):
    """(sec, usec) of "HH:MM:SS.uuuuuu" on 2026-11-21 UTC."""
    hms, usec = text.split(".")
    hours, minutes, seconds = (int(part) for part in hms.split(":"))
    base = 1795219200  # 2026-11-21 00:00:00 UTC
    return [base + hours * 3600 + minutes * 60 + seconds, int(usec)]


def _Job16():
    op_input = {
        "OP_ID": "OP_INSTANCE_CREATE",
        "beparams": {"maxmem": 128, "minmem": 128},
        "comment": None, "commit": False, "compress": "none",
        "conflicts_check": True, "debug_level": 0, "depends": None,
        "disk_template": "file", "disks": [{"size": 64}], "dry_run": False,
        "file_driver": "loop", "force_variant": False, "forthcoming": False,
        "helper_shutdown_timeout": 7200, "helper_startup_timeout": 300,
        "hvparams": {}, "hypervisor": "fake", "identify_defaults": False,
        "ignore_ipolicy": False, "instance_communication": False,
        "instance_name": "inst1.ganeti.test", "ip_check": False,
        "mode": "create", "name_check": True, "nics": [{}],
        "no_install": False, "opportunistic_locking": False,
        "os_type": "anchor-noop+default", "osparams": {},
        "osparams_private": {}, "osparams_secret": {},
        "pnode": "anchor-node1.ganeti.test",
        "pnode_uuid": "1c5be371-f4b6-42f7-b144-c17f3e090997",
        "priority": 0,
        "reason": [["gnt:client:gnt-instance", "add", 1795278908490876928],
                   ["gnt:opcode:instance_create", "job=16;index=0",
                    1795278908493097000]],
        "source_shutdown_timeout": 120, "start": True, "tags": [],
        "wait_for_sync": True,
    }
    messages = [
        ("09.024835", "* disk 0, size 64M"),
        ("09.026744", "* creating instance disks..."),
        ("09.126786", "adding instance inst1.ganeti.test to cluster config"),
        ("09.140622", "adding disks to cluster config"),
        ("09.194702", " - INFO: Waiting for instance inst1.ganeti.test to"
                      " sync disks"),
        ("09.266939", " - INFO: Instance inst1.ganeti.test's disks are in"
                      " sync"),
        ("09.274380", " - INFO: Waiting for instance inst1.ganeti.test to"
                      " sync disks"),
        ("09.321530", " - INFO: Instance inst1.ganeti.test's disks are in"
                      " sync"),
        ("09.383422", "* running the instance OS create scripts..."),
        ("09.748129", "* starting instance..."),
    ]
    log = [[idx + 1, _Ts("16:35:" + when), "message", text]
           for idx, (when, text) in enumerate(messages)]
    return FakeJob(
        16, [op_input], status="success", opstatus=["success"],
        opresult=[["anchor-node1.ganeti.test"]], oplog=[log],
        opstart=[_Ts("16:35:08.750487")], opexec=[_Ts("16:35:08.761064")],
        opend=[_Ts("16:35:09.861945")],
        received_ts=_Ts("16:35:08.493097"), start_ts=_Ts("16:35:08.750487"),
        end_ts=_Ts("16:35:09.861960"))


def _Job29():
    op_input = {
        "OP_ID": "OP_TEST_DELAY", "comment": None, "debug_level": 0,
        "depends": None, "dry_run": False, "duration": 0,
        "interruptible": False, "no_locks": False, "on_master": True,
        "on_nodes": [], "priority": 0,
        "reason": [["gnt:client:gnt-debug", "delay", 1795278924707675136],
                   ["gnt:opcode:test_delay", "job=29;index=0",
                    1795278924709881000]],
        "repeat": 0,
    }
    return FakeJob(
        29, [op_input], status="error", opstatus=["error"],
        opresult=[["OpPrereqError", ["Duration must be greater than zero"]]],
        oplog=[[]], opstart=[_Ts("16:35:24.988026")], opexec=[None],
        opend=[_Ts("16:35:24.996178")],
        received_ts=_Ts("16:35:24.709881"), start_ts=_Ts("16:35:24.988026"),
        end_ts=_Ts("16:35:24.996196"))


def test_info_matches_reference_instance_add(fake_luxi, capsys, utc):
    fake_luxi.jobs[16] = _Job16()
    assert Run(gnt_job, "info", "16") == 0
    assert capsys.readouterr().out.split("\n")[:-1] == REF_34


def test_info_matches_reference_failed_delay(fake_luxi, capsys, utc):
    fake_luxi.jobs[29] = _Job29()
    assert Run(gnt_job, "show", "29") == 0
    assert capsys.readouterr().out.split("\n")[:-1] == REF_40


def test_info_unknown_and_invalid_ids(fake_luxi, capsys, utc):
    fake_luxi.jobs[29] = _Job29()
    assert Run(gnt_job, "info", "123", "29") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "- Job ID 123 not found"
    assert out[1] == "- Job ID: 29"
    assert Run(gnt_job, "info", "abc") == 1
    assert "Invalid job ID 'abc'" in capsys.readouterr().err


def test_info_of_queued_job_shows_na(fake_luxi, capsys, utc):
    fake_luxi.jobs[30] = FakeJob(30, [{"OP_ID": "OP_TEST_DELAY"}],
                                 status="queued", opstatus=["queued"],
                                 opresult=[None], oplog=[[]],
                                 opstart=[None], opexec=[None], opend=[None],
                                 received_ts=_Ts("16:35:24.709881"))
    assert Run(gnt_job, "info", "30") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[2:6] == ["  Received:         2026-11-21 16:35:24.709881",
                        "  Processing start: N/A",
                        "  Processing end:   N/A",
                        "  Total processing time: N/A"]
    assert "      Result: None" in out


def test_watch_matches_reference(fake_luxi, capsys, utc):
    job = FakeJob(19, [{}], status="success", opresult=[None], log=[
        [1, _Ts("16:35:13.100"), "message", "* creating instance disks..."],
        [2, _Ts("16:35:13.200"), "message",
         "adding instance inst4.ganeti.test to cluster config"],
        [3, _Ts("16:35:13.300"), "message", "adding disks to cluster config"],
        [4, _Ts("16:35:13.400"), "message", "* starting instance..."],
    ])
    fake_luxi.jobs[19] = job
    assert Run(gnt_job, "watch", "19") == 0
    # 19-job-wait-inst4.txt
    assert capsys.readouterr().out.splitlines() == Reference("""
Output from job 19 follows
--------------------------
Sat Nov 21 16:35:13 2026 * creating instance disks...
Sat Nov 21 16:35:13 2026 adding instance inst4.ganeti.test to cluster config
Sat Nov 21 16:35:13 2026 adding disks to cluster config
Sat Nov 21 16:35:13 2026 * starting instance...
""")


def test_watch_and_wait_failed_job(fake_luxi, capsys):
    fake_luxi.jobs[29] = _Job29()
    assert Run(gnt_job, "watch", "29") == 1
    captured = capsys.readouterr()
    assert captured.err == ("Job 29 failed: Failure: prerequisites not met"
                            " for this operation:\nDuration must be greater"
                            " than zero\n")
    assert Run(gnt_job, "wait", "29") == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("Job 29 failed: Failure: prerequisites")


def test_wait_is_silent(fake_luxi, capsys):
    fake_luxi.jobs[19] = FakeJob(19, [{}], log=[[1, [1, 0], "message", "x"]])
    assert Run(gnt_job, "wait", "19") == 0
    assert capsys.readouterr().out == ""


def test_archive_and_autoarchive(fake_luxi, capsys):
    assert Run(gnt_job, "archive", "5", "6") == 0
    assert [call for call in fake_luxi.calls
            if call[0] == "ArchiveJob"] == [("ArchiveJob", (5, )),
                                            ("ArchiveJob", (6, ))]
    fake_luxi.archive_answer = False
    assert Run(gnt_job, "archive", "7") == 1
    assert capsys.readouterr().err == ("Failed to archive job with ID"
                                       " '7'\n")
    for age, secs in (("1d", 86400), ("all", -1), ("3600", 3600)):
        assert Run(gnt_job, "autoarchive", age) == 0
        assert fake_luxi.calls[-1] == ("AutoArchiveJobs", (secs, ))
    assert capsys.readouterr().out == "Archived 3 jobs, 0 unchecked left\n" * 3
    assert Run(gnt_job, "autoarchive", "soon") == 1


def test_cancel_by_id_and_by_status(fake_luxi, capsys, monkeypatch):
    assert Run(gnt_job, "cancel", "5") == 0
    assert fake_luxi.calls[-1] == ("CancelJob", (5, False))
    assert capsys.readouterr().out == "Job 5 will be canceled\n"
    fake_luxi.cancel_answer = (False, "Job %s is no longer waiting")
    assert Run(gnt_job, "cancel", "6") == 1
    # --kill needs --yes-do-it.
    assert Run(gnt_job, "cancel", "--kill", "6") == 1
    assert "--yes-do-it" in capsys.readouterr().err
    fake_luxi.cancel_answer = (True, "Job %s killed")
    assert Run(gnt_job, "cancel", "--kill", "--yes-do-it", "6") == 0
    assert fake_luxi.calls[-1] == ("CancelJob", (6, True))
    capsys.readouterr()

    fake_luxi.query["job"] = {"fields": [], "data": [
        [[0, 8], [0, ["TEST_DELAY(10.0)"]]], [[0, 9], [0, ["OS_DIAGNOSE"]]]]}
    # Without a terminal the confirmation defaults to "no".
    monkeypatch.setattr(gnt_job, "AskUser", lambda question: False)
    monkeypatch.setitem(gnt_job.commands, "cancel", (
        lambda opts, args: gnt_job.CancelJobs(opts, args,
                                              _ask_fn=lambda q: False),)
        + gnt_job.commands["cancel"][1:])
    assert Run(gnt_job, "cancel", "--pending") == constants.EXIT_CONFIRMATION
    assert capsys.readouterr().out == ("8: TEST_DELAY(10.0)\n"
                                       "9: OS_DIAGNOSE\n")
    assert Run(gnt_job, "cancel", "--queued", "--force") == 0
    assert [call[1] for call in fake_luxi.calls[-2:]] == [(8, False),
                                                         (9, False)]
    query = [call for call in fake_luxi.calls if call[0] == "Query"][-1]
    assert query[1][2] == ["|", ["=", "status", "queued"]]
    assert Run(gnt_job, "cancel", "--pending", "5") == 1
    assert Run(gnt_job, "cancel") == 1


def test_change_priority(fake_luxi, capsys):
    assert Run(gnt_job, "change-priority", "--priority", "high", "5") == 0
    assert fake_luxi.calls[-1] == ("ChangeJobPriority", (5, -10))
    assert capsys.readouterr().out == ("Priority of job 5 changed to"
                                       " -10\n")
    assert Run(gnt_job, "change-priority", "5") == 1
    assert "--priority option must be given" in capsys.readouterr().err


@pytest.mark.parametrize("name", sorted(gnt_job.commands))
def test_every_subcommand_has_help(name, capsys):
    from ganeti import cli
    assert cli.GenericMain(gnt_job.commands,
                           argv=["gnt-job", name, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Usage\n=====\n  gnt-job %s " % name)
    for option in gnt_job.commands[name][2] + cli.COMMON_OPTS:
        assert option.get_opt_string() in out
