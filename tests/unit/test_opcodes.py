"""Tests for ganeti.opcodes / ganeti.opcodes_base / ganeti.ht."""

import ast
import json
import re
from pathlib import Path

import pytest

from ganeti import constants
from ganeti import errors
from ganeti import ht
from ganeti import opcodes
from ganeti import opcodes_base
from ganeti import serializer
import testdata

SPEC = Path(testdata.SPEC) / "opcodes.md"
REF = Path(testdata.REFERENCE) / "ops"

# Deliberate differences from the (3.2-based) spec: upstream 3.0 behaviour.
DEFAULTS_30 = {
    ("OP_INSTANCE_CREATE", "name_check"): True,
    ("OP_INSTANCE_CREATE", "ip_check"): True,
    ("OP_INSTANCE_RENAME", "name_check"): True,
    ("OP_INSTANCE_RENAME", "ip_check"): True,
    ("OP_INSTANCE_SET_PARAMS", "hotplug"): False,
}
MISSING_IN_30 = {("OP_CLUSTER_VERIFY_DISKS", "is_strict"),
                 ("OP_GROUP_VERIFY_DISKS", "is_strict")}
EXTRA_IN_30 = {("OP_INSTANCE_SET_PARAMS", "hotplug_if_possible")}


def _SpecOpcodes():
    """{OP_ID: (class name, [(param, type, default, required)])}."""
    text = SPEC.read_text()
    parts = re.split(r"^### `(Op\w+)` / `(OP_\w+)`\s*$", text, flags=re.M)
    result = {}
    for idx in range(1, len(parts), 3):
        cls, op_id = parts[idx], parts[idx + 1]
        body = re.split(r"^## |^---", parts[idx + 2], flags=re.M)[0]
        params = [(m.group(1), m.group(2).strip(), m.group(3).strip(),
                   m.group(4).strip() == "**yes**")
                  for m in re.finditer(
                      r"^\| `(\w+)` \| (.*?) \| (.*?) \| (.*?) \|\s*$",
                      body, re.M)]
        result[op_id] = (cls, params)
    return result


def _SpecSummaryTable():
    """{OP_ID: (class, summary field or None, result description)}."""
    text = SPEC.read_text()
    return {m.group(1): (m.group(2), m.group(3).strip().strip("`") or None,
                         m.group(4).strip())
            for m in re.finditer(r"^\| `(OP_\w+)` \| `(Op\w+)` \| (.*?) \|"
                                 r" (.*?) \|\s*$", text, re.M)}


# ------------------------------------------------------------ sample values

def _Candidates():
    """Values tried in turn to find one a check accepts (or rejects)."""
    cands = ["inst1.example.com", "", 1, 0, -1, 2.5, True, False, None,
             [], {}, ["node1"], [1], [0, 1], [{"size": 1024}], [{}],
             {"a": 1}, {"plain": {}}, {"kvm": {"acpi": True}},
             "10.1.2.0/24", "10.1.2.1", "2001:db8::/64", "2001:db8::1",
             [["add", "os1"]], [[1, 2]], [["add", -1, {}]],
             {"jobs": [[True, "1"]]}, [["node1", "Anything"]]]
    for value in sorted(vars(constants).values(), key=repr):
        if isinstance(value, (frozenset, set, list)) and value and \
                all(isinstance(v, (str, int)) for v in value):
            cands.extend(sorted(value, key=repr))
    return cands


CANDIDATES = _Candidates()


def _Accepted(check):
    for value in CANDIDATES:
        if check(value):
            return value
    raise AssertionError("no sample value for %s" % ht.Describe(check))


def _Rejected(check):
    for value in [object(), {"x": object()}, "x", 1, None, [], {}]:
        if not check(value):
            return value
    return None


def _Sample(cls):
    return {name: _Accepted(check) for name, default, check, _ in
            cls.GetAllParams() if default is ht.NoDefault}


ALL = opcodes.GetAllOpcodes()


# ------------------------------------------------------------ identity

def test_all_76_opcodes_present():
    assert len(opcodes.OP_MAPPING) == 76
    assert len(set(cls.__name__ for cls in ALL)) == 76


def test_op_ids_unique_and_derived_from_class_name():
    ids = [cls.OP_ID for cls in ALL]
    assert len(ids) == len(set(ids))
    for cls in ALL:
        assert cls.OP_ID == opcodes_base.NameToOpId(cls.__name__)
        assert opcodes.OP_MAPPING[cls.OP_ID] is cls
        assert getattr(opcodes, cls.__name__) is cls


@pytest.mark.parametrize("name,op_id", [
    ("OpInstanceStartup", "OP_INSTANCE_STARTUP"),
    ("OpNodeQueryvols", "OP_NODE_QUERYVOLS"),
    ("OpClusterActivateMasterIp", "OP_CLUSTER_ACTIVATE_MASTER_IP"),
    ("OpExtStorageDiagnose", "OP_EXT_STORAGE_DIAGNOSE"),
    ("OpTestJqueue", "OP_TEST_JQUEUE"),
])
def test_name_to_op_id(name, op_id):
    assert opcodes_base.NameToOpId(name) == op_id


def test_spec_lists_the_same_opcodes():
    spec = _SpecOpcodes()
    assert set(spec) == set(opcodes.OP_MAPPING)
    for op_id, (cls_name, _) in spec.items():
        assert opcodes.OP_MAPPING[op_id].__name__ == cls_name


def test_params_match_spec():
    problems = []
    for op_id, (_, params) in _SpecOpcodes().items():
        cls = opcodes.OP_MAPPING[op_id]
        mine = {p[0]: p for p in cls.GetOwnParams()}
        for name, typ, default, required in params:
            if (op_id, name) in MISSING_IN_30:
                assert name not in mine
                continue
            if name not in mine:
                problems.append("%s: missing %s" % (op_id, name))
                continue
            _, my_default, check, doc = mine[name]
            assert doc, (op_id, name)
            if required != (my_default is ht.NoDefault):
                problems.append("%s.%s: required flag" % (op_id, name))
            if not required:
                expected = DEFAULTS_30.get(
                    (op_id, name), ast.literal_eval(default.strip("`")))
                if expected != my_default:
                    problems.append("%s.%s: default %r != %r" %
                                    (op_id, name, my_default, expected))
            # the spec renders TStorageType as a function repr
            if "function TStorageType" not in typ and \
                    not typ.endswith("...") and ht.Describe(check) != typ:
                problems.append("%s.%s: type %r != %r" %
                                (op_id, name, ht.Describe(check), typ))
        for name in mine:
            if name not in [p[0] for p in params]:
                if (op_id, name) not in EXTRA_IN_30:
                    problems.append("%s: extra %s" % (op_id, name))
    assert not problems, "\n".join(problems)


def test_summary_fields_and_results_match_spec():
    for op_id, (_, dsc, result) in _SpecSummaryTable().items():
        cls = opcodes.OP_MAPPING[op_id]
        assert cls.OP_DSC_FIELD == dsc, op_id
        desc = ht.Describe(cls.OP_RESULT)
        if result.endswith("..."):
            assert desc.startswith(result[:-3]), op_id
        else:
            assert desc == result, op_id


def test_generic_params_on_every_opcode():
    for cls in ALL:
        names = cls.GetParamNames()
        assert names[:6] == ["dry_run", "debug_level", "priority", "depends",
                             "comment", "reason"], cls


# ------------------------------------------------------------ validation

@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.OP_ID)
def test_roundtrip_every_opcode(cls):
    op = cls(**_Sample(cls))
    state = op.__getstate__()
    assert state["OP_ID"] == cls.OP_ID
    wire = serializer.LoadJson(serializer.DumpJson(state))
    again = opcodes.OpCode.LoadOpCode(wire)
    assert type(again) is cls
    assert again.__getstate__() == state
    assert list(again.__getstate__()) == list(state)
    assert again == op
    assert op.Copy() == op
    op.Validate(True)
    assert isinstance(op.Summary(), str)
    assert op.Summary().startswith(cls.OP_ID[3:])


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.OP_ID)
def test_missing_required_params(cls):
    sample = _Sample(cls)
    for name in sample:
        args = dict(sample)
        del args[name]
        with pytest.raises(errors.OpPrereqError) as err:
            cls(**args)
        assert err.value.args[1] == errors.ECODE_INVAL
        assert "%s.%s" % (cls.OP_ID, name) in err.value.args[0]
        assert "missing" in err.value.args[0]


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.OP_ID)
def test_wrong_types_are_rejected(cls):
    sample = _Sample(cls)
    checked = 0
    for name, _, check, _ in cls.GetAllParams():
        bad = _Rejected(check)
        if bad is None:
            continue        # accepts anything
        with pytest.raises(errors.OpPrereqError) as err:
            cls(**dict(sample, **{name: bad}))
        assert err.value.args[1] == errors.ECODE_INVAL
        msg = err.value.args[0]
        assert ("'%s.%s'" % (cls.OP_ID, name)) in msg
        assert ("expected %s" % ht.Describe(check)) in msg
        checked += 1
    assert checked >= 5     # at least the generic parameters


def test_unknown_parameter():
    with pytest.raises(errors.OpPrereqError) as err:
        opcodes.OpInstanceStartup(instance_name="i1", no_such_param=1)
    assert err.value.args[1] == errors.ECODE_INVAL
    assert "unknown parameter" in err.value.args[0]
    assert "no_such_param" in err.value.args[0]
    with pytest.raises(errors.OpPrereqError):
        opcodes.OpCode.LoadOpCode({"OP_ID": "OP_TEST_DELAY", "duration": 1,
                                   "bogus": True})


def test_type_error_message_names_param_and_type():
    with pytest.raises(errors.OpPrereqError) as err:
        opcodes.OpTestDelay(duration="soon")
    msg = err.value.args[0]
    assert "OP_TEST_DELAY.duration" in msg and "Float" in msg
    assert "'soon'" in msg
    with pytest.raises(errors.OpPrereqError) as err:
        opcodes.OpInstanceReboot(instance_name="i", reboot_type="gentle")
    assert "OneOf full, hard, soft" in err.value.args[0]


def test_defaults_are_filled_and_not_shared():
    op1 = opcodes.OpInstanceStartup(instance_name="i1")
    op2 = opcodes.OpInstanceStartup(instance_name="i2", force=None)
    assert op1.force is False and op2.force is False
    assert op1.shutdown_timeout == 120
    assert op1.priority == constants.OP_PRIO_DEFAULT
    assert op1.reason == [] and op1.dry_run is None
    op1.hvparams["x"] = 1
    op1.reason.append(["a", "b", 1])
    assert op2.hvparams == {} and op2.reason == []
    assert opcodes.OpInstanceStartup(instance_name="i").hvparams == {}


def test_upstream_30_defaults():
    op = opcodes.OpInstanceCreate(instance_name="i", mode="create",
                                  disks=[{"size": 64}], nics=[{}])
    assert op.name_check is True and op.ip_check is True
    assert opcodes.OpInstanceSetParams(instance_name="i").hotplug is False
    assert not hasattr(opcodes.OpGroupVerifyDisks(group_name="g"),
                       "is_strict")


def test_priority_validation():
    for prio in (-20, -10, 0, 10, 19):
        assert opcodes.OpTestDelay(duration=1, priority=prio).priority == prio
    for prio in (-21, 20, "0", True, 1.5):
        with pytest.raises(errors.OpPrereqError):
            opcodes.OpTestDelay(duration=1, priority=prio)
    for prio in (-10, 0, 10):
        opcodes.ValidateSubmitPriority(prio)
    for prio in (-20, 19, 5):
        with pytest.raises(errors.OpPrereqError) as err:
            opcodes.ValidateSubmitPriority(prio)
        assert err.value.args[1] == errors.ECODE_INVAL


def test_depends_and_reason_validation():
    ok = opcodes.OpTestDelay(duration=1, depends=[[-1, ["success"]],
                                                  [12, []], ["7", ["error"]]],
                             reason=[["gnt:user", "why", 1795278908490876928]])
    assert ok.depends[0] == [-1, ["success"]]
    for bad in ([[1, ["bogus"]]], [[1]], [["x", []]], "1"):
        with pytest.raises(errors.OpPrereqError):
            opcodes.OpTestDelay(duration=1, depends=bad)
    for bad in ([["a", "b"]], [[1, "b", 2]], "x"):
        with pytest.raises(errors.OpPrereqError):
            opcodes.OpTestDelay(duration=1, reason=bad)


def test_load_opcode_errors():
    with pytest.raises(errors.OpCodeUnknown):
        opcodes.OpCode.LoadOpCode({"OP_ID": "OP_NO_SUCH_THING"})
    with pytest.raises(errors.OpPrereqError):
        opcodes.OpCode.LoadOpCode({"duration": 1})
    with pytest.raises(errors.OpPrereqError):
        opcodes.OpCode.LoadOpCode(["OP_TEST_DELAY"])
    op = opcodes.LoadOpCode({"OP_ID": "OP_TEST_DELAY", "duration": 0})
    assert isinstance(op, opcodes.OpTestDelay) and op.duration == 0


def test_validate_after_changes():
    op = opcodes.OpInstanceStartup(instance_name="i1")
    op.instance_uuid = "uuid-1"
    op.Validate()
    op.force = "yes"
    with pytest.raises(errors.OpPrereqError):
        op.Validate()
    op.force = None
    op.Validate(set_defaults=True)
    assert op.force is False


# ------------------------------------------------------------ wire form

def _RapiJobOps(filename):
    text = (REF / filename).read_text()
    for line in text.splitlines():
        if line.startswith('{"id"'):
            return json.loads(line)["ops"]
    raise AssertionError("no job in %s" % filename)


@pytest.mark.parametrize("filename", ["60-rapi-2-jobs-1.txt",
                                      "64-rapi-write-shutdown-inst2.txt",
                                      "65-rapi-write-startup-inst2.txt"])
def test_state_matches_upstream_job_json(filename):
    """The serialized opcode has upstream 3.0's keys, values and order."""
    for opdict in _RapiJobOps(filename):
        op = opcodes.OpCode.LoadOpCode(opdict)
        state = op.__getstate__()
        assert state == opdict
        assert list(state) == list(opdict)


def test_state_omits_unset_optional_params():
    state = opcodes.OpTestDelay(duration=0.5).__getstate__()
    assert "on_node_uuids" not in state and "dry_run" not in state
    assert state["depends"] is None and state["comment"] is None
    assert state["no_locks"] is True and state["on_nodes"] == []


# ------------------------------------------------------------ summaries

@pytest.mark.parametrize("value,text", [
    (0, "0.0"), (0.001, "1.0e-3"), (1, "1.0"), (0.1, "0.1"), (2.5, "2.5"),
    (1e7, "1.0e7"), (12345.5, "12345.5"), (0.05, "5.0e-2"),
    (1.5e-9, "1.5e-9"), (-2.0, "-2.0")])
def test_haskell_float(value, text):
    assert opcodes.FormatHaskellFloat(value) == text


def test_summaries():
    assert opcodes.OpInstanceStartup(instance_name="inst1.ganeti.test") \
        .Summary() == "INSTANCE_STARTUP(inst1.ganeti.test)"
    assert opcodes.OpClusterPostInit().Summary() == "CLUSTER_POST_INIT"
    assert opcodes.OpTestDelay(duration=0).Summary() == "TEST_DELAY(0.0)"
    assert opcodes.OpTestDelay(duration=0.001).Summary() == \
        "TEST_DELAY(1.0e-3)"
    assert opcodes.OpOsDiagnose(output_fields=["name"]).Summary() == \
        "OS_DIAGNOSE"
    assert opcodes.OpTagsGet(kind="cluster").Summary() == "TAGS_GET"
    assert opcodes.OpNodeEvacuate(node_name="n1", mode="all") \
        .TinySummary() == "N_EVACUATE(n1)"
    assert opcodes.OpClusterVerifyGroup(group_name="g").TinySummary() == \
        "C_VERIFY_GROUP(g)"
    assert opcodes.OpGroupAdd(group_name="g").TinySummary() == "G_ADD(g)"
    assert opcodes.OpInstanceRemove(instance_name="i").TinySummary() == \
        "I_REMOVE(i)"
    assert opcodes.OpQuery(what="node", fields=["name"]).Summary() == \
        "QUERY(node)"
    assert opcodes.SummaryFromDict({"OP_ID": "OP_TEST_DELAY",
                                    "duration": 1}) == "TEST_DELAY(1.0)"
    assert opcodes.SummaryFromDict({"OP_ID": "OP_FUTURE_THING"}) == \
        "FUTURE_THING"


def test_summaries_of_reference_job_list():
    """Every summary in upstream's gnt-job list output is reproduced."""
    text = (REF / "69-job-list-final.txt").read_text()
    seen = 0
    for line in text.splitlines():
        match = re.match(r"^\s*\d+ +\w+ +([A-Z_]+)(?:\((.*)\))?$", line)
        if not match:
            continue
        name, arg = match.groups()
        cls = opcodes.OP_MAPPING["OP_" + name]
        params = _Sample(cls)
        if arg is not None:
            assert cls.OP_DSC_FIELD
            value = float(arg) if cls is opcodes.OpTestDelay else arg
            params[cls.OP_DSC_FIELD] = value
        else:
            assert cls.OP_DSC_FIELD is None or \
                params.get(cls.OP_DSC_FIELD) is None
        op = cls(**params)
        assert op.Summary() == name + ("(%s)" % arg if arg else "")
        assert opcodes.SummaryFromDict(op.__getstate__()) == op.Summary()
        seen += 1
    assert seen >= 40


def test_documentation_helpers():
    doc = opcodes.GetOpcodeDocumentation()
    for cls in ALL:
        assert cls.OP_ID in doc
        info = opcodes.DescribeOpCode(cls)
        assert info["doc"], cls
        assert {p["name"] for p in info["params"]} == \
            {p[0] for p in cls.GetOwnParams()}
    info = opcodes.DescribeOpCode(opcodes.OpTestDelay)
    duration = [p for p in info["params"] if p["name"] == "duration"][0]
    assert duration["required"] and duration["type"] == "Float"


def test_results_checks():
    assert opcodes.OpInstanceStartup.OP_RESULT(None)
    assert not opcodes.OpInstanceStartup.OP_RESULT(1)
    assert opcodes.OpClusterVerify.OP_RESULT({"jobs": [[True, 12]]})
    assert not opcodes.OpClusterVerify.OP_RESULT({"jobs": [[True]]})
    assert not opcodes.OpClusterVerify.OP_RESULT({"jobs": [], "x": 1})
    assert opcodes.OpInstanceSetParams.OP_RESULT([["be/maxmem", 128]])


# ------------------------------------------------------------ ht

def test_ht_descriptions_and_checks():
    assert str(ht.TMaybe(ht.TListOf(ht.TNonEmptyString))) == \
        "Maybe (List of NEString)"
    assert ht.TDictOf(ht.TString, ht.TInt)({"a": 1})
    assert not ht.TDictOf(ht.TString, ht.TInt)({"a": "1"})
    assert not ht.TInt(True) and ht.TBool(True)
    assert ht.TFloat(1) and not ht.TFloat(False)
    assert ht.TElemOf([0, 10])(0) and not ht.TElemOf([0, 10])(False)
    assert ht.TSetOf(ht.TInt)([1, 2]) and not ht.TSetOf(ht.TInt)([1, 1])
    assert ht.TJobId("12") and ht.TJobId(0) and not ht.TJobId(-1)
    assert ht.TRelativeJobId(-1) and not ht.TRelativeJobId(0)
    assert ht.TIPv4Network("10.0.0.0/8") and not ht.TIPv4Network("10.0.0.1")
    assert ht.TIPv4Address("10.0.0.1") and not ht.TIPv4Address("1.2.3")
    assert ht.TIsLength(2)([1, 2]) and not ht.TIsLength(2)(5)
    assert ht.TStrictDict(True, False, {"a": ht.TInt})({"a": 1, "b": 2})
    assert not ht.TStrictDict(True, True, {"a": ht.TInt})({"a": 1, "b": 2})
    assert ht.Validate(ht.TInt, "x") == "expected Integer, got 'x'"
    assert ht.Validate(ht.TInt, 1) is None
    assert repr(ht.NoDefault) == "NoDefault"


def test_copy_and_pickle_keep_unset_params():
    import copy
    import pickle
    op = opcodes.OpInstanceCreate(instance_name="i", mode="create",
                                  disks=[{"size": 64}], nics=[{}])
    for clone in (copy.deepcopy(op), pickle.loads(pickle.dumps(op)),
                  op.Copy()):
        assert clone == op and clone is not op
        assert clone.iallocator is None and clone.dry_run is None
        assert clone.disks == [{"size": 64}] and clone.disks is not op.disks
