"""Job filter rule validation and evaluation order (ganeti.jqueue.filters)."""

import pytest

from ganeti import errors
from ganeti.jqueue import filters as F


def _Rule(uuid, action, predicates=(), priority=0, watermark=0):
    return {"uuid": uuid, "priority": priority, "watermark": watermark,
            "predicates": list(predicates), "action": action,
            "reason_trail": []}


def _Ops(reason="", op_id="OP_TEST_DELAY"):
    return [{"OP_ID": op_id,
             "reason": [["gnt:user", reason, 1], ["gnt:opcode:x", "", 2]]}]


MAINT = ["reason", ["=", "reason", "maint"]]


def test_no_rule_accepts():
    assert F.Decide([], 5, _Ops(), []) == F.ACCEPT


def test_pause_on_reason_only_for_matching_jobs():
    rules = [_Rule("a", F.PAUSE, [MAINT])]
    assert F.Decide(rules, 5, _Ops("maint"), []) == F.PAUSE
    assert F.Decide(rules, 6, _Ops("other"), []) == F.ACCEPT


def test_priority_order_decides_and_continue_is_skipped():
    rules = [_Rule("b", F.REJECT, priority=1),
             _Rule("a", F.ACCEPT, [MAINT], priority=0),
             _Rule("c", F.CONTINUE, priority=0)]
    assert F.Decide(rules, 5, _Ops("maint"), []) == F.ACCEPT
    assert F.Decide(rules, 6, _Ops("x"), []) == F.REJECT


def test_ties_broken_by_watermark_then_uuid():
    rules = [_Rule("b", F.REJECT, watermark=1), _Rule("a", F.PAUSE,
                                                      watermark=2),
             _Rule("0", F.ACCEPT, watermark=2)]
    assert [r["uuid"] for r in F.SortRules(rules)] == ["b", "0", "a"]
    assert F.Decide(rules, 5, _Ops(), []) == F.REJECT


def test_jobid_watermark_substitution():
    rules = [_Rule("a", F.REJECT, [["jobid", [">", "id", "watermark"]]],
                   watermark=10)]
    assert F.Decide(rules, 10, _Ops(), []) == F.ACCEPT
    assert F.Decide(rules, 11, _Ops(), []) == F.REJECT


def test_rule_applies_only_to_jobs_newer_than_its_watermark():
    rules = [_Rule("a", F.REJECT, watermark=7)]
    assert F.Decide(rules, 7, _Ops(), []) == F.ACCEPT
    assert F.Decide(rules, 8, _Ops(), []) == F.REJECT
    assert F.RuleMatches(rules[0], 3, _Ops()) is False


def test_opcode_predicate_any_opcode():
    rules = [_Rule("a", F.REJECT,
                   [["opcode", ["=", "OP_ID", "OP_INSTANCE_CREATE"]]])]
    ops = _Ops() + _Ops(op_id="OP_INSTANCE_CREATE")
    assert F.Decide(rules, 1, ops, []) == F.REJECT
    assert F.Decide(rules, 2, _Ops(), []) == F.ACCEPT


def test_rate_limit_counts_running_jobs_of_the_rule():
    rules = [_Rule("a", [F.RATE_LIMIT, 2], [MAINT])]
    running = [(1, _Ops("maint")), (2, _Ops("other"))]
    assert F.Decide(rules, 3, _Ops("maint"), running) == F.ACCEPT
    running.append((4, _Ops("maint")))
    assert F.Decide(rules, 5, _Ops("maint"), running) == F.PAUSE
    assert F.Decide(rules, 6, _Ops("other"), running) == F.ACCEPT


@pytest.mark.parametrize("args", [
    (-1, [], "ACCEPT", []),
    (0, [["bogus", ["=", "id", 1]]], "ACCEPT", []),
    (0, [["jobid", ["=", "nosuchfield", 1]]], "ACCEPT", []),
    (0, [], "DROP", []),
    (0, [], ["RATE_LIMIT", "x"], []),
    (0, [], "ACCEPT", ["not-a-trail-entry"]),
])
def test_invalid_rules_refused(args):
    with pytest.raises(errors.OpPrereqError) as err:
        F.CheckRule(*args)
    assert err.value.args[1] == errors.ECODE_INVAL


def test_valid_rule_action_normalised():
    assert F.CheckRule(0, [MAINT], ("RATE_LIMIT", 3), []) == ["RATE_LIMIT", 3]


# --- the job queue applies the rules ----------------------------------------

def test_queue_pause_cancel_reject_and_release(ganeti_root):
    import types
    from ganeti import opcodes_base
    from ganeti import jqueue
    from test_jqueue import FakeProcessor, _Op, _WaitFinal, _Status

    rules = {}
    cfg = types.SimpleNamespace(GetAllFiltersInfo=lambda: dict(rules))
    FakeProcessor.events, FakeProcessor.executed = {}, []
    q = jqueue.JobQueue(types.SimpleNamespace(cfg=cfg), FakeProcessor,
                        workers=2, op_loader=opcodes_base.LoadOpCode,
                        replicate_fn=lambda *a: None)
    try:
        rules["p"] = _Rule("p", F.PAUSE, [MAINT])
        paused = q.SubmitJob([_Op(name="p", reason=[["gnt:user", "maint",
                                                     1]])])
        free = q.SubmitJob([_Op(name="f")])
        assert _WaitFinal(q, free) == "success"
        assert _Status(q, paused) == "queued"
        assert q.CancelJob(paused) == (True, "Job %d canceled" % paused)
        assert _Status(q, paused) == "canceled"
        held = q.SubmitJob([_Op(name="h", reason=[["gnt:user", "maint", 1]])])
        rules["r"] = _Rule("r", F.REJECT, [["jobid", ["=", "id", held + 1]]])
        rejected = q.SubmitJob([_Op(name="r")])
        assert _WaitFinal(q, rejected) == "canceled"
        del rules["p"]
        q.FiltersChanged()
        assert _WaitFinal(q, held) == "success"
        assert "r" not in FakeProcessor.executed
    finally:
        q.Shutdown(timeout=5)
