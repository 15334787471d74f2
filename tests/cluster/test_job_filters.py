"""Job filter rules on a live two-node cluster: gnt-filter and RAPI
/2/filters add, show and delete rules in config.data; the master daemon
rejects, holds (PAUSE) and rate-limits the matching jobs, only those newer
than a rule's watermark, and keeps its rules and held jobs over a restart;
the new master applies them after a master-failover.

VCLUSTER_LAB / VCLUSTER_STATE are honoured.
"""

import os
import sys
import time

import pytest

from test_rapi_daemon import _wait_rapi, _write_users, curl, ok

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DAEMON_UTIL = os.path.join(REPO, "daemons", "daemon-util")
PY = sys.executable
NODE = "node1.example.test"
NODE2 = "node2.example.test"
FINAL = ("success", "error", "canceled")
TAGS_SET = '[["opcode", ["=", "OP_ID", "OP_TAGS_SET"]]]'
TAGS_SET_SHOWN = "[['opcode', ['=', 'OP_ID', 'OP_TAGS_SET']]]"
ADMIN = "admin:secret"


@pytest.fixture(scope="module")
def cluster(make_cluster, node_add_available):
    if not node_add_available:
        pytest.skip("needs gnt-node add (2 nodes)")
    cl = make_cluster(2)
    _write_users(cl, "admin secret write\n")
    _wait_rapi(cl, NODE)
    return cl


def _Reason(reason):
    """Predicates matching jobs submitted with --reason reason."""
    return '[["reason", ["=", "reason", "%s"]]]' % reason


def _AddFilter(cluster, *args):
    """gnt-filter add args; the new rule's UUID."""
    uuid = cluster.ok("filter", "add", *args).stdout.strip()
    assert len(uuid) == 36, uuid
    return uuid


def _Filters(cluster, node="node1"):
    """The filter rules of node's config.data."""
    return cluster.config(node).get("filters") or {}


def _Delay(cluster, *args):
    """Submit a gnt-debug delay job; its id."""
    res = cluster.ok("debug", "delay", "--submit", "--print-jobid", *args)
    return res.stdout.split()[0]


def _Jobs(cluster, job_ids, fields="status"):
    """{job id: [field values]} from gnt-job list."""
    res = cluster.ok("job", "list", "--no-headers", "--separator=|", "-o",
                     "id," + fields, *job_ids)
    return {line.split("|")[0]: line.split("|")[1:]
            for line in res.stdout.splitlines()}


def _Status(cluster, job_id):
    return _Jobs(cluster, [job_id])[job_id][0]


def _WaitStatus(cluster, job_ids, wanted, limit=60):
    """Poll until every job's status is one of wanted (bounded)."""
    deadline = time.monotonic() + limit
    while True:
        statuses = {j: v[0] for j, v in _Jobs(cluster, job_ids).items()}
        if all(status in wanted for status in statuses.values()):
            return statuses
        if time.monotonic() > deadline:
            pytest.fail("jobs %s not %s" % (statuses, wanted))
        time.sleep(0.2)


def _Tags(cluster):
    return cluster.ok("cluster", "list-tags").stdout.split()


def test_reject_cancels_matching_jobs_only(cluster):
    uuid = _AddFilter(cluster, "--predicates", TAGS_SET, "--action",
                      "REJECT", "--reason", "no tags today")
    try:
        res = cluster.fails("cluster", "add-tags", "rejected")
        assert "Job was canceled" in res.stderr, res.stderr
        job_id = cluster.ok("cluster", "add-tags", "--submit",
                            "--print-jobid", "rejected").stdout.split()[0]
        assert _WaitStatus(cluster, [job_id], FINAL)[job_id] == "canceled"
        assert "rejected" not in _Tags(cluster)
        cluster.ok("debug", "delay", "--no-locks", "0.01")
        rule = _Filters(cluster)[uuid]
        assert rule["action"] == "REJECT"
        assert rule["reason_trail"][0][:2] == ["gnt:user", "no tags today"]
    finally:
        cluster.ok("filter", "delete", uuid)
    cluster.ok("cluster", "add-tags", "accepted")
    assert "accepted" in _Tags(cluster)
    assert uuid not in _Filters(cluster)


def test_list_info_and_errors(cluster):
    uuid = _AddFilter(cluster, "--priority", "7", "--predicates", TAGS_SET,
                      "--action", "RATE_LIMIT 4")
    try:
        rule = _Filters(cluster)[uuid]
        res = cluster.ok("filter", "list", "--no-headers", "--separator=|")
        assert res.stdout.splitlines() == ["%s|%d|7|%s|%s|%s" % (
            uuid, rule["watermark"], TAGS_SET_SHOWN, ["RATE_LIMIT", 4],
            rule["reason_trail"])]
        res = cluster.ok("filter", "list", "-o", "uuid,priority,action")
        assert res.stdout.splitlines() == [
            "UUID".ljust(36) + " Priority Action",
            "%s        7 ['RATE_LIMIT', 4]" % uuid]
        res = cluster.ok("filter", "info", uuid)
        assert res.stdout.splitlines() == [
            "UUID: %s" % uuid,
            "  Watermark: %d" % rule["watermark"],
            "  Priority: 7",
            "  Predicates: %s" % TAGS_SET_SHOWN,
            "  Action: ['RATE_LIMIT', 4]",
            "  Reason trail: %s" % rule["reason_trail"]]
        res = cluster.ok("filter", "list-fields", "--no-headers")
        assert [line.split()[0] for line in res.stdout.splitlines()] == [
            "action", "predicates", "priority", "reason_trail", "uuid",
            "watermark"]
        res = cluster.gnt("filter", "add", "--action", "DROP")
        assert res.returncode == 2
        assert res.stderr.splitlines()[-1] == \
            "gnt-filter: error: option --action: invalid filter action: 'DROP'"
        res = cluster.fails("filter", "add", "--predicates",
                            '[["nosuch", 1]]')
        assert res.stderr.splitlines()[-1].startswith(
            "Invalid filter predicate ['nosuch', 1]")
        assert list(_Filters(cluster)) == [uuid]
    finally:
        cluster.ok("filter", "delete", uuid)
    res = cluster.fails("filter", "delete", uuid)
    assert res.stderr.splitlines()[-1] == "Filter uuid %s not found" % uuid


def test_pause_holds_jobs_over_a_restart_until_deleted(cluster):
    uuid = _AddFilter(cluster, "--predicates", _Reason("maint"), "--action",
                      "PAUSE", "--priority", "5")
    try:
        held = _Delay(cluster, "--no-locks", "--reason", "maint", "0.01")
        # A job not matching runs while the matching one stays queued.
        cluster.ok("debug", "delay", "--no-locks", "0.01")
        assert _Status(cluster, held) == "queued"
        # A REJECT rule added now (evaluated first) is newer than the held
        # job: it does not apply to it, but to the next matching job.
        reject = _AddFilter(cluster, "--predicates", _Reason("maint"),
                            "--action", "REJECT", "--priority", "0")
        res = cluster.vc.exec(NODE, PY, DAEMON_UTIL, "stop",
                              "ganeti-masterd", timeout=90)
        assert res.returncode == 0, res.stderr
        res = cluster.vc.exec(NODE, PY, DAEMON_UTIL, "start",
                              "ganeti-masterd", timeout=90)
        assert res.returncode == 0, res.stderr
        assert sorted(cluster.ok("filter", "list", "--no-headers", "-o",
                                 "uuid").stdout.split()) == \
            sorted([uuid, reject])
        cluster.ok("debug", "delay", "--no-locks", "0.01")
        assert _Status(cluster, held) == "queued"
        rejected = _Delay(cluster, "--no-locks", "--reason", "maint", "0.01")
        assert _WaitStatus(cluster, [rejected], FINAL)[rejected] == \
            "canceled"
    finally:
        cluster.ok("filter", "delete", uuid)
    try:
        assert _WaitStatus(cluster, [held], FINAL)[held] == "success"
    finally:
        cluster.ok("filter", "delete", reject)


def _Overlap(cluster, job_ids):
    """Whether any two of the (finished) jobs ran at the same time."""
    spans = sorted(tuple(values[1:]) for values in
                   _Jobs(cluster, job_ids, "status,start_ts,end_ts")
                   .values())
    return any(later[0] < earlier[1]
               for earlier, later in zip(spans, spans[1:]))


def test_rate_limit_runs_one_matching_job_at_a_time(cluster):
    # Without a rule, lock-free delay jobs run side by side.
    free = [_Delay(cluster, "--no-locks", "3") for _ in range(2)]
    assert set(_WaitStatus(cluster, free, FINAL).values()) == {"success"}
    assert _Overlap(cluster, free)
    uuid = _AddFilter(cluster, "--predicates", _Reason("rl"), "--action",
                      "RATE_LIMIT 1")
    try:
        limited = [_Delay(cluster, "--no-locks", "--reason", "rl", "1")
                   for _ in range(3)]
        assert set(_WaitStatus(cluster, limited, FINAL).values()) == \
            {"success"}
        assert not _Overlap(cluster, limited)
    finally:
        cluster.ok("filter", "delete", uuid)


def test_rapi_filters(cluster):
    body = {"priority": 3, "predicates": [["opcode", ["=", "OP_ID",
                                                       "OP_TAGS_SET"]]],
            "action": "REJECT", "reason": [["gnt:user", "via rapi", 1]]}
    status, _, _ = curl(cluster, "/2/filters", method="POST", body=body)
    assert status == 401
    uuid = ok(cluster, "/2/filters", method="POST", body=body, user=ADMIN)
    try:
        assert ok(cluster, "/2/filters") == [
            {"uuid": uuid, "uri": "/2/filters/%s" % uuid}]
        rule = ok(cluster, "/2/filters/%s" % uuid)
        assert ok(cluster, "/2/filters?bulk=1") == [rule]
        assert (rule["priority"], rule["action"], rule["predicates"]) == (
            3, "REJECT", body["predicates"])
        assert rule["reason_trail"][0] == ["gnt:user", "via rapi", 1]
        assert cluster.ok("filter", "list", "--no-headers", "-o",
                          "uuid").stdout.split() == [uuid]
        res = cluster.fails("cluster", "add-tags", "from-rapi")
        assert "Job was canceled" in res.stderr, res.stderr
        assert ok(cluster, "/2/filters/%s" % uuid, method="PUT",
                  body={"action": "ACCEPT"}, user=ADMIN) == uuid
        assert ok(cluster, "/2/filters/%s" % uuid)["action"] == "ACCEPT"
        cluster.ok("cluster", "add-tags", "from-rapi")
        status, answer, _ = curl(cluster, "/2/filters", method="POST",
                                 body={"colour": "red"}, user=ADMIN)
        assert (status, answer["explain"]) == (
            400, "Unknown parameter(s) in body: colour")
    finally:
        assert ok(cluster, "/2/filters/%s" % uuid, method="DELETE",
                  user=ADMIN) is None
    status, answer, _ = curl(cluster, "/2/filters/%s" % uuid)
    assert (status, answer["explain"]) == (
        404, "Filter uuid %s not found" % uuid)
    assert _Filters(cluster) == {}


def test_rules_apply_on_the_new_master_after_failover(cluster):
    uuid = _AddFilter(cluster, "--predicates", TAGS_SET, "--action",
                      "REJECT")
    try:
        cluster.ok("cluster", "master-failover", node=NODE2)
        try:
            assert uuid in _Filters(cluster, node=NODE2)
            assert cluster.ok("filter", "list", "--no-headers", "-o", "uuid",
                              node=NODE2).stdout.split() == [uuid]
            res = cluster.fails("cluster", "add-tags", "after-failover",
                                node=NODE2)
            assert "Job was canceled" in res.stderr, res.stderr
        finally:
            cluster.ok("cluster", "master-failover", node=NODE)
    finally:
        cluster.ok("filter", "delete", uuid)
    assert "after-failover" not in _Tags(cluster)


def test_paused_job_stays_queued_and_can_be_cancelled(cluster):
    uuid = _AddFilter(cluster, "--predicates", _Reason("hold"), "--action",
                      "PAUSE")
    try:
        held = _Delay(cluster, "--no-locks", "--reason", "hold", "0.01")
        cluster.ok("debug", "delay", "--no-locks", "0.01")  # others run
        assert _Status(cluster, held) == "queued"
        res = cluster.ok("job", "cancel", held)
        assert held in res.stdout + res.stderr, res.stdout + res.stderr
        assert _WaitStatus(cluster, [held], FINAL)[held] == "canceled"
    finally:
        cluster.ok("filter", "delete", uuid)
    assert _Status(cluster, held) == "canceled"
