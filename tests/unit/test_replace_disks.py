"""gnt-instance replace-disks: the client's option checks, the LU's argument
and prerequisite checks (against the fake cluster of instance_fakes) and the
logical-id helpers of a new secondary; the node side's add/remove children
of a DRBD device."""

import pytest

from ganeti import cli
from ganeti import constants as C
from ganeti import errors
from ganeti import opcodes
from ganeti.client import gnt_instance
from ganeti.cmdlib import instance_replace_disks as ird
from ganeti.storage import base

from instance_fakes import MASTER, Context, FakeNodes, MakeConfig

INST = "inst1.example.com"


def _op(argv):
    func, opts, args = cli.ParseArgs(
        "gnt-instance", ["gnt-instance", "replace-disks"] + argv,
        gnt_instance.commands, gnt_instance.aliases, frozenset())
    sent = []
    orig = gnt_instance.SubmitOrSend
    gnt_instance.SubmitOrSend = lambda op, opts: sent.append(op)
    try:
        assert func(opts, args) == 0
    finally:
        gnt_instance.SubmitOrSend = orig
    return sent[0]


@pytest.mark.parametrize("argv, mode", [
    (["-p"], C.REPLACE_DISK_PRI), (["-s"], C.REPLACE_DISK_SEC),
    (["-a"], C.REPLACE_DISK_AUTO), (["-n", "node3"], C.REPLACE_DISK_CHG),
    (["-I", "hail"], C.REPLACE_DISK_CHG)])
def test_client_mode_from_options(argv, mode):
    op = _op(argv + ["--early-release", INST])
    assert isinstance(op, opcodes.OpInstanceReplaceDisks)
    assert op.mode == mode and op.early_release and op.instance_name == INST
    assert op.disks == []


def test_client_disks_and_bad_combinations():
    assert _op(["-s", "--disks", "0,2", INST]).disks == [0, 2]
    for argv, text in (
            (["-s", "-p"], "One and only one of the -p, -s, -a, -n and -I"
             " options must be passed"),
            ([], "One and only one of the -p, -s, -a, -n and -I options must"
             " be passed"),
            (["-s", "--disks", "0,x"], "Invalid disk index passed: "),
            (["-a", "--disks", "0"], "Cannot specify disks when using"
             " automatic mode")):
        with pytest.raises(errors.OpPrereqError) as err:
            _op(argv + [INST])
        assert str(err.value.args[0]).startswith(text)
        assert err.value.args[1] == errors.ECODE_INVAL


@pytest.mark.parametrize("mode, node, ialloc, text", [
    (C.REPLACE_DISK_CHG, None, None, "When changing the secondary either an"
     " iallocator script must be used or the new node given"),
    (C.REPLACE_DISK_CHG, "n3", "hail", "Give either the iallocator or the new"
     " secondary, not both"),
    (C.REPLACE_DISK_SEC, "n3", None, "The iallocator and new node options"
     " can only be used when changing the secondary node"),
    (C.REPLACE_DISK_PRI, None, "hail", "The iallocator and new node options"
     " can only be used when changing the secondary node")])
def test_argument_checks(mode, node, ialloc, text):
    with pytest.raises(errors.OpPrereqError) as err:
        ird.CheckReplaceArguments(mode, node, ialloc)
    assert err.value.args == (text, errors.ECODE_INVAL)


def test_argument_checks_accept_valid_combinations():
    ird.CheckReplaceArguments(C.REPLACE_DISK_CHG, "n3", None)
    ird.CheckReplaceArguments(C.REPLACE_DISK_CHG, None, "hail")
    ird.CheckReplaceArguments(C.REPLACE_DISK_SEC, None, None)


def test_new_secondary_logical_id_keeps_the_primary_side():
    lid = ["p", "s", 11000, 3, 5, "secret"]
    assert ird.NewSecondaryLogicalId(lid, "p", "n", 7, True) == \
        ("p", "n", 11000, 3, 7, "secret")
    # no port: the new node's device is made without network
    assert ird.NewSecondaryLogicalId(lid, "p", "n", 7, False) == \
        ("p", "n", None, 3, 7, "secret")
    # after a failover the primary is the logical id's second node
    assert ird.NewSecondaryLogicalId(lid, "s", "n", 0, True) == \
        ("s", "n", 11000, 5, 0, "secret")


def test_replaced_name():
    assert ird.ReplacedName(["xenvg", "abc.disk0_data"], 1700000000) == \
        ("xenvg", "abc.disk0_data_replaced-1700000000")


@pytest.fixture
def ctx(tmp_path):
    return Context(MakeConfig(str(tmp_path / "config.data")), FakeNodes())


def test_lu_refuses_a_non_drbd_instance_and_changes_nothing(ctx):
    ctx.Run(opcodes.OpInstanceCreate(
        instance_name=INST, mode=C.INSTANCE_CREATE, disk_template="file",
        disks=[{"size": 64}], nics=[{}], os_type="debootstrap+default",
        pnode=MASTER, name_check=False, ip_check=False,
        beparams={"memory": 128}))
    calls = len(ctx.fake.calls)
    with pytest.raises(errors.OpPrereqError) as err:
        ctx.Run(opcodes.OpInstanceReplaceDisks(instance_name=INST,
                                               mode=C.REPLACE_DISK_SEC))
    assert err.value.args == ("Can only run replace disks for DRBD8-based"
                              " instances", errors.ECODE_INVAL)
    assert len(ctx.fake.calls) == calls


def test_storage_without_mirror_refuses_children():
    dev = base.BlockDev(("xenvg", "lv"), [], 64, {})
    for fn in (dev.AddChildren, dev.RemoveChildren):
        with pytest.raises(errors.BlockDeviceError):
            fn([])


class _Inst:
    def __init__(self, uuid, pnode):
        self.uuid, self.primary_node = uuid, pnode


class _Cfg:
    """Two instances: a on n1 (mirrored to n2), b on n2 (not mirrored)."""

    def GetAllInstancesInfo(self):
        return {"a": _Inst("a", "n1"), "b": _Inst("b", "n2")}

    def GetInstanceSecondaryNodes(self, uuid):
        return {"a": ["n2"], "b": []}[uuid]


def test_node_query_knows_secondary_instances():
    # gnt-node evacuate -s asks sinst_list for the instances to move
    from ganeti.cmdlib import query as cmdlib_query
    primary, secondary = cmdlib_query._instances_by_node(_Cfg())
    assert primary == {"n1": {"a"}, "n2": {"b"}}
    assert secondary == {"n2": {"a"}}
