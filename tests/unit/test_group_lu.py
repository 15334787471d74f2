"""Node group logical units, the ConfigWriter group methods and the
gnt-group output (fake RPC and LUXI, real config, processor and locks)."""

import json

import pytest

from ganeti import errors
from ganeti import locking
from ganeti import objects
from ganeti import opcodes
from ganeti.client import gnt_group
from ganeti.cmdlib import group as group_lu

from cli_fakes import FakeJob, Field, Run, fake_luxi  # noqa: F401
from test_node_lu import (NODE_NAMES, Context, Cbs, Exec, MakeConfig, Node,
                          Prereq, Reload)


@pytest.fixture
def ctx(tmp_path):
    return Context(MakeConfig(tmp_path / "config.data"))


def Group(ctx, name):
    for group in ctx.cfg.GetAllNodeGroupsInfo().values():
        if group.name == name:
            return group
    return None


def GroupLocks(ctx):
    return ctx.glm.get_lockset(locking.LEVEL_NODEGROUP)._names()


def AddDrbdInstance(ctx, pnode, snode):
    """A DRBD instance spanning pnode and snode (indexes)."""
    disk = objects.stamp_new(objects.Disk(
        dev_type="drbd", size=1024, mode="rw",
        nodes=[Node(ctx, pnode).uuid, Node(ctx, snode).uuid],
        logical_id=[Node(ctx, pnode).uuid, Node(ctx, snode).uuid, 11000, 0,
                    0, "secret"], children=[], iv_name="disk/0"))
    inst = objects.stamp_new(objects.Instance(
        name="inst1.example.com", primary_node=Node(ctx, pnode).uuid,
        disks=[disk.uuid], nics=[], disk_template="drbd", os="noop",
        hypervisor="fake", admin_state="up"))
    ctx.cfg._data.disks[disk.uuid] = disk
    ctx.cfg._data.instances[inst.uuid] = inst
    return inst


# --- add / rename / remove ---------------------------------------------------

def test_add_group_persists_and_gets_a_lock(ctx):
    assert Exec(ctx, opcodes.OpGroupAdd(group_name="g1")) is None
    group = Group(ctx, "g1")
    assert group is not None and group.alloc_policy == "preferred"
    assert group.uuid in Reload(ctx).nodegroups
    assert Reload(ctx).nodegroups[group.uuid].name == "g1"
    assert group.uuid in GroupLocks(ctx)
    assert group.uuid in ctx.cfg.GetSsconfValues()["nodegroups"]
    err = Prereq(ctx, opcodes.OpGroupAdd(group_name="g1"),
                 "Desired group name 'g1' already exists as a node group",
                 errors.ECODE_EXISTS)
    assert group.uuid in str(err)


def test_add_group_with_parameters(ctx):
    Exec(ctx, opcodes.OpGroupAdd(
        group_name="g2", alloc_policy="last_resort",
        ndparams={"spindle_count": "4", "exclusive_storage": "true"},
        diskparams={"drbd": {"resync-rate": "1000"}},
        ipolicy={"vcpu-ratio": 2, "disk-templates": ["file"]},
        hv_state={"fake": {"mem_total": "1024"}}))
    group = Group(ctx, "g2")
    assert group.alloc_policy == "last_resort"
    assert group.ndparams == {"spindle_count": 4, "exclusive_storage": True}
    assert group.diskparams == {"drbd": {"resync-rate": 1000}}
    assert group.ipolicy == {"vcpu-ratio": 2.0, "disk-templates": ["file"]}
    assert group.hv_state_static == {"fake": {"mem_total": 1024}}
    with pytest.raises(errors.TypeEnforcementError):
        Exec(ctx, opcodes.OpGroupAdd(group_name="g3",
                                     ndparams={"nosuch": 1}))
    Prereq(ctx, opcodes.OpGroupAdd(group_name="g3", hv_state={"bogus": {}}),
           "Invalid hypervisor(s) in hypervisor state: bogus")
    Prereq(ctx, opcodes.OpGroupAdd(group_name="g3", ipolicy={"minmax": [
        {"min": {"cpu-count": 4, "disk-count": 1, "disk-size": 1,
                 "memory-size": 1, "nic-count": 1, "spindle-use": 1},
         "max": {"cpu-count": 2, "disk-count": 1, "disk-size": 1,
                 "memory-size": 1, "nic-count": 1, "spindle-use": 1}}]}),
           "Invalid specification of min/max values for cpu-count")
    Prereq(ctx, opcodes.OpGroupAdd(group_name="g3",
                                   ipolicy={"std": {"cpu-count": 1}}),
           "std cannot appear in group instance specs")
    assert Group(ctx, "g3") is None


def test_rename_group(ctx):
    Exec(ctx, opcodes.OpGroupAdd(group_name="g1"))
    uuid = Group(ctx, "g1").uuid
    assert Exec(ctx, opcodes.OpGroupRename(group_name="g1",
                                           new_name="g2")) == "g2"
    assert Reload(ctx).nodegroups[uuid].name == "g2"
    Prereq(ctx, opcodes.OpGroupRename(group_name="g2", new_name="default"),
           "Desired new name 'default' clashes with existing node group g2",
           errors.ECODE_EXISTS)
    Prereq(ctx, opcodes.OpGroupRename(group_name="g1", new_name="g3"),
           "Node group 'g1' not found", errors.ECODE_NOENT)


def test_remove_group(ctx):
    Prereq(ctx, opcodes.OpGroupRemove(group_name="default"),
           "Group 'default' not empty, has the following nodes:"
           " node1.example.com, node2.example.com, node3.example.com",
           errors.ECODE_STATE)
    Exec(ctx, opcodes.OpGroupAdd(group_name="g1"))
    uuid = Group(ctx, "g1").uuid
    Exec(ctx, opcodes.OpGroupRemove(group_name="g1"))
    assert Group(ctx, "g1") is None
    assert uuid not in Reload(ctx).nodegroups
    assert uuid not in GroupLocks(ctx)


def test_cannot_remove_last_group(tmp_path):
    ctx = Context(MakeConfig(tmp_path / "c"))
    Exec(ctx, opcodes.OpGroupAdd(group_name="g1"))
    Exec(ctx, opcodes.OpGroupAssignNodes(group_name="g1", nodes=NODE_NAMES))
    Exec(ctx, opcodes.OpGroupRemove(group_name="default"))
    Prereq(ctx, opcodes.OpGroupRemove(group_name="g1"),
           "not empty")
    Exec(ctx, opcodes.OpGroupAdd(group_name="empty"))
    Exec(ctx, opcodes.OpGroupRemove(group_name="empty"))
    # An empty last group can only exist without nodes: fake that.
    ctx.cfg._data.nodes.clear()
    Prereq(ctx, opcodes.OpGroupRemove(group_name="g1"),
           "Group 'g1' is the only group, cannot be removed",
           errors.ECODE_STATE)


# --- modify ------------------------------------------------------------------

def test_set_params(ctx):
    Prereq(ctx, opcodes.OpGroupSetParams(group_name="default"),
           "Please pass at least one modification", errors.ECODE_INVAL)
    result = Exec(ctx, opcodes.OpGroupSetParams(group_name="default",
                                                alloc_policy="unallocable"))
    assert result == []
    uuid = Group(ctx, "default").uuid
    assert Reload(ctx).nodegroups[uuid].alloc_policy == "unallocable"
    result = Exec(ctx, opcodes.OpGroupSetParams(
        group_name="default", ndparams={"spindle_count": "2"},
        diskparams={"plain": {"stripes": "2"}}))
    assert result == [("ndparams", "{'spindle_count': 2}"),
                      ("diskparams", "{'plain': {'stripes': 2}}")]
    Exec(ctx, opcodes.OpGroupSetParams(group_name="default",
                                       ndparams={"spindle_count": "default"},
                                       ipolicy={"spindle-ratio": "16"}))
    group = Group(ctx, "default")
    assert group.ndparams == {} and group.ipolicy == {"spindle-ratio": 16.0}
    Exec(ctx, opcodes.OpGroupSetParams(group_name="default",
                                       ipolicy={"spindle-ratio": "default"}))
    assert Group(ctx, "default").ipolicy == {}
    Prereq(ctx, opcodes.OpGroupSetParams(group_name="default",
                                         ipolicy={"nosuch": 1}),
           "Invalid key in new ipolicy: nosuch")


# --- assign nodes ------------------------------------------------------------

def test_assign_nodes_moves_members(ctx):
    Exec(ctx, opcodes.OpGroupAdd(group_name="g1"))
    g1 = Group(ctx, "g1")
    default = Group(ctx, "default")
    Exec(ctx, opcodes.OpGroupAssignNodes(group_name="g1",
                                         nodes=["node2", NODE_NAMES[2]]))
    data = Reload(ctx)
    moved = {Node(ctx, 1).uuid, Node(ctx, 2).uuid}
    assert {u for u, n in data.nodes.items() if n.group == g1.uuid} == moved
    assert set(g1.members) == moved
    assert default.members == [Node(ctx, 0).uuid]
    assert data.nodegroups[g1.uuid].serial_no == 2
    Prereq(ctx, opcodes.OpGroupAssignNodes(group_name="g1", nodes=["nosuch"]),
           "Node 'nosuch' not known", errors.ECODE_NOENT)
    assert ctx.glm.QueryLocks(["name"]) == []


def test_assign_nodes_refuses_to_split_drbd_instances(ctx):
    AddDrbdInstance(ctx, 0, 1)
    Exec(ctx, opcodes.OpGroupAdd(group_name="g1"))
    with pytest.raises(errors.OpExecError) as info:
        Exec(ctx, opcodes.OpGroupAssignNodes(group_name="g1",
                                             nodes=[NODE_NAMES[1]]))
    assert ("The following instances get split by this change and --force"
            " was not given: inst1.example.com" in str(info.value))
    assert Node(ctx, 1).group == Group(ctx, "default").uuid
    cbs = Cbs()
    Exec(ctx, opcodes.OpGroupAssignNodes(group_name="g1",
                                         nodes=[NODE_NAMES[1]], force=True),
         cbs)
    assert Node(ctx, 1).group == Group(ctx, "g1").uuid
    assert any("This operation will split the following instances:"
               " inst1.example.com" in msg for msg in cbs.messages)
    # Moving the other node too joins the instance again: no force needed.
    Exec(ctx, opcodes.OpGroupAssignNodes(group_name="g1",
                                         nodes=[NODE_NAMES[0]]))


def test_split_instances_helper(ctx):
    inst = AddDrbdInstance(ctx, 0, 1)
    nodes = ctx.cfg.GetAllNodesInfo()
    instances = ctx.cfg.GetAllInstancesInfo()
    new, old = group_lu.SplitInstances(ctx.cfg, [(Node(ctx, 1).uuid, "gX")],
                                       nodes, instances)
    assert (new, old) == ([inst.uuid], [])
    new, old = group_lu.SplitInstances(ctx.cfg, [(Node(ctx, 2).uuid, "gX")],
                                       nodes, instances)
    assert (new, old) == ([], [])


# --- evacuate ----------------------------------------------------------------

def test_evacuate(ctx):
    Prereq(ctx, opcodes.OpGroupEvacuate(group_name="default"),
           "There are no possible target groups")
    Exec(ctx, opcodes.OpGroupAdd(group_name="g1"))
    Prereq(ctx, opcodes.OpGroupEvacuate(group_name="default",
                                        target_groups=["default"]),
           "can not be used as a target group")
    cbs = Cbs()
    assert Exec(ctx, opcodes.OpGroupEvacuate(group_name="g1"), cbs) == \
        {"jobs": []}
    AddDrbdInstance(ctx, 0, 1)
    Prereq(ctx, opcodes.OpGroupEvacuate(group_name="default"),
           "No iallocator given")


# --- parameter helpers -------------------------------------------------------

def test_force_dict_type():
    params = {"spindle_count": "3", "ovs": "false", "cpu_speed": "1.5",
              "oob_program": False}
    group_lu.ForceDictType(params, group_lu.ND_PARAMETER_TYPES)
    assert params == {"spindle_count": 3, "ovs": False, "cpu_speed": 1.5,
                      "oob_program": ""}
    # whole floats are stored as upstream's configuration has them: ints
    params = {"cpu_speed": "2.0"}
    group_lu.ForceDictType(params, group_lu.ND_PARAMETER_TYPES)
    assert json.dumps(params) == '{"cpu_speed": 2}'
    with pytest.raises(errors.TypeEnforcementError) as info:
        group_lu.ForceDictType({"ovs": "maybe"}, group_lu.ND_PARAMETER_TYPES)
    assert "'ovs' (value maybe) is not a valid boolean" in str(info.value)


def test_merge_disk_state():
    state = group_lu.MergeDiskState(
        {"lvm-vg": {"xenvg": {"disk_total": "100"}}}, None)
    assert state == {"lvm-vg": {"xenvg": {"disk_total": 100}}}
    with pytest.raises(errors.OpPrereqError):
        group_lu.MergeDiskState({"file": {}}, None)


# --- gnt-group output --------------------------------------------------------

REF_41 = ("Group   Nodes Instances AllocPolicy NDParams\n"
          "default     1         4 preferred   oob_program=, spindle_count=1,"
          " exclusive_storage=False, ovs=False, ovs_name=switch1, ovs_link=,"
          " ssh_port=22, cpu_speed=1\n")


def test_cli_list_matches_reference(fake_luxi, capsys):
    ndparams = {"oob_program": "", "spindle_count": 1,
                "exclusive_storage": False, "ovs": False,
                "ovs_name": "switch1", "ovs_link": "", "ssh_port": 22,
                "cpu_speed": 1.0}
    fake_luxi.query["group"] = {
        "fields": [Field("name", "Group", "text"),
                   Field("node_cnt", "Nodes", "number"),
                   Field("pinst_cnt", "Instances", "number"),
                   Field("alloc_policy", "AllocPolicy", "text"),
                   Field("ndparams", "NDParams", "other")],
        "data": [[[0, "default"], [0, 1], [0, 4], [0, "preferred"],
                  [0, ndparams]]]}
    assert Run(gnt_group, "list") == 0
    assert capsys.readouterr().out == REF_41
    (_, (what, fields, _)), = fake_luxi.calls
    assert fields == ["name", "node_cnt", "pinst_cnt", "alloc_policy",
                      "ndparams"]


def test_cli_modify_and_add(fake_luxi, capsys):
    fake_luxi.jobs[100] = FakeJob(100, [], opresult=[[["ndparams",
                                                       "{'ovs': True}"]]])
    assert Run(gnt_group, "modify", "--node-parameters", "ovs=true",
               "default") == 0
    assert capsys.readouterr().out == ("Modified node group default\n"
                                       " - ndparams -> {'ovs': True}\n")
    assert Run(gnt_group, "modify", "default") == 1
    assert "Please give at least one of the parameters." in \
        capsys.readouterr().err
    assert Run(gnt_group, "add", "--alloc-policy", "bogus", "g1") == 1
    assert "Invalid allocation policy 'bogus'" in capsys.readouterr().err
    assert Run(gnt_group, "add", "--ipolicy-bounds-specs",
               "min:cpu-count=1,disk-count=1,disk-size=1g,memory-size=128,"
               "nic-count=1,spindle-use=1/max:cpu-count=2,disk-count=2,"
               "disk-size=2g,memory-size=256,nic-count=2,spindle-use=2",
               "--ipolicy-vcpu-ratio", "2.5", "g1") == 0
    op = fake_luxi.submitted[-1][1][0]
    assert op["OP_ID"] == "OP_GROUP_ADD" and op["group_name"] == "g1"
    assert op["ipolicy"]["minmax"][0]["min"]["disk-size"] == 1024
    assert op["ipolicy"]["vcpu-ratio"] == 2.5


def test_format_group_info():
    info = gnt_group.FormatParamsDictInfo(
        {"plain": {"stripes": 2}},
        {"plain": {"stripes": 2}, "file": {}, "drbd": {"protocol": "C"}})
    assert info == {"plain": {"stripes": "2"}, "file": "default ({})",
                    "drbd": {"protocol": "default (C)"}}
    policy = gnt_group.FormatPolicyInfo(
        {"vcpu-ratio": 2.0},
        {"minmax": [{"min": {"cpu-count": 1}, "max": {"cpu-count": 8}}],
         "disk-templates": ["file", "diskless"], "vcpu-ratio": 2.0,
         "spindle-ratio": 32.0})
    assert policy == [
        ("bounds specs", [[("min/0", {"cpu-count": "default (1)"}),
                           ("max/0", {"cpu-count": "default (8)"})]]),
        ("allowed disk templates", "default (file, diskless)"),
        ("vcpu-ratio", "2"),
        ("spindle-ratio", "default (32)")]
    assert gnt_group.IPolicyCommand("g1", {"minmax": [
        {"min": {"cpu-count": 1}, "max": {"cpu-count": 8}}]}) == \
        ("gnt-group add --ipolicy-bounds-specs"
         " min:cpu-count=1/max:cpu-count=8 g1")
