"""gnt-instance change-group and gnt-group evacuate: the LUs ask the
iallocator (a fake answer here) and submit the jobs it computes."""

import json

import pytest

from ganeti import errors
from ganeti import objects
from ganeti import opcodes

from test_node_lu import Cbs, Context, Exec, MakeConfig, Node, Prereq

INSTANCE = "inst1.example.com"


def _Answer(moved, failed, jobs, success=True, info=""):
    return json.dumps({"success": success, "info": info,
                       "result": [moved, failed, jobs]})


@pytest.fixture
def ctx(tmp_path):
    context = Context(MakeConfig(tmp_path / "config.data",
                                 templates=("sharedfile", "diskless")))
    Exec(context, opcodes.OpGroupAdd(group_name="g2"))
    Exec(context, opcodes.OpGroupAssignNodes(
        group_name="g2", nodes=[Node(context, 2).name]))
    inst = objects.stamp_new(objects.Instance(
        name=INSTANCE, primary_node=Node(context, 0).uuid, disks=[],
        nics=[], disk_template="diskless", os="noop", hypervisor="fake",
        admin_state="up"))
    context.cfg._data.instances[inst.uuid] = inst
    context.glm.add(3, [inst.uuid])
    context.cfg.GetClusterInfo().default_iallocator = "hail"
    return context


def _Migration(ctx):
    return [{"OP_ID": "OP_INSTANCE_MIGRATE", "instance_name": INSTANCE,
             "target_node": Node(ctx, 2).name}]


def _Group(ctx, name):
    return ctx.cfg.LookupNodeGroup(name)


def test_change_group_submits_the_iallocator_jobs(ctx):
    ctx.rpc.answers["iallocator_runner"] = _Answer(
        [[INSTANCE, "g2", [Node(ctx, 2).name]]], [], [_Migration(ctx)])
    cbs = Cbs()
    result = Exec(ctx, opcodes.OpInstanceChangeGroup(instance_name=INSTANCE),
                  cbs)
    assert result == {"jobs": [[True, 100]]}
    ((job, ), ) = cbs.submitted
    (op, ) = job
    assert isinstance(op, opcodes.OpInstanceMigrate)
    assert op.target_node == Node(ctx, 2).name
    ((_, _, (name, request, _)), ) = ctx.rpc.called("iallocator_runner")
    request = json.loads(request)["request"]
    assert name == "hail"
    assert request["type"] == "change-group"
    assert request["instances"] == [INSTANCE]
    assert request["target_groups"] == [_Group(ctx, "g2")]
    hooks = [call for call in ctx.rpc.called("hooks_runner")
             if call[2][0] == "instance-change-group"]
    assert hooks, "no hooks ran"
    (_, nodes, (_, _, env)) = hooks[0]
    assert env["GANETI_TARGET_GROUPS"] == _Group(ctx, "g2")
    assert env["GANETI_INSTANCE_NAME"] == INSTANCE
    assert sorted(nodes) == [Node(ctx, 0).name]


def test_change_group_bad_input(ctx):
    Prereq(ctx, opcodes.OpInstanceChangeGroup(instance_name=INSTANCE,
                                              target_groups=["default"]),
           "Can't use group(s) 'default' as targets, they are used by the"
           " instance '%s'" % INSTANCE, errors.ECODE_INVAL)
    Prereq(ctx, opcodes.OpInstanceChangeGroup(instance_name=INSTANCE,
                                              target_groups=["nosuch"]),
           "Node group 'nosuch' not found", errors.ECODE_NOENT)
    ctx.rpc.answers["iallocator_runner"] = _Answer(
        [], [], [], success=False, info="no space")
    Prereq(ctx, opcodes.OpInstanceChangeGroup(instance_name=INSTANCE),
           "Can't compute solution for changing group of instance '%s'"
           " using iallocator 'hail': no space" % INSTANCE,
           errors.ECODE_NORES)
    ctx.cfg.GetClusterInfo().default_iallocator = ""
    Prereq(ctx, opcodes.OpInstanceChangeGroup(instance_name=INSTANCE),
           "No iallocator given", errors.ECODE_INVAL)


def test_change_group_refuses_what_the_iallocator_cannot_move(ctx):
    ctx.rpc.answers["iallocator_runner"] = _Answer(
        [], [[INSTANCE, "Instances of type file cannot be relocated"]], [])
    cbs = Cbs()
    with pytest.raises(errors.OpExecError, match="Unable to evacuate"
                       " instances inst1.example.com \\(Instances of type"
                       " file cannot be relocated\\)"):
        Exec(ctx, opcodes.OpInstanceChangeGroup(instance_name=INSTANCE), cbs)
    assert cbs.submitted == []


def test_group_evacuate_failover_and_sequential(ctx):
    second = objects.stamp_new(objects.Instance(
        name="inst2.example.com", primary_node=Node(ctx, 1).uuid, disks=[],
        nics=[], disk_template="diskless", os="noop", hypervisor="fake",
        admin_state="up"))
    ctx.cfg._data.instances[second.uuid] = second
    other = dict(_Migration(ctx)[0], instance_name=second.name)
    ctx.rpc.answers["iallocator_runner"] = _Answer(
        [], [], [_Migration(ctx), [other]])
    cbs = Cbs()
    result = Exec(ctx, opcodes.OpGroupEvacuate(
        group_name="default", force_failover=True, sequential=True), cbs)
    assert result == {"jobs": [[True, 100], [True, 101]]}
    ((first_job, second_job), ) = cbs.submitted
    assert [type(job[0]) for job in (first_job, second_job)] == \
        [opcodes.OpInstanceFailover, opcodes.OpInstanceFailover]
    assert second_job[0].target_node == Node(ctx, 2).name
    assert second_job[0].depends == [[-1, []]]
    assert first_job[0].depends is None
    ((_, _, (_, request, _)), ) = ctx.rpc.called("iallocator_runner")
    request = json.loads(request)["request"]
    assert request["instances"] == [INSTANCE, second.name]
    assert request["target_groups"] == [_Group(ctx, "g2")]


def test_group_evacuate_of_an_empty_group_submits_nothing(ctx):
    cbs = Cbs()
    assert Exec(ctx, opcodes.OpGroupEvacuate(group_name="g2"), cbs) == \
        {"jobs": []}
    assert ctx.rpc.called("iallocator_runner") == []
