"""gnt-instance replace-disks: the client's option checks, the LU's argument
and prerequisite checks (against the fake cluster of instance_fakes) and the
logical-id helpers of a new secondary; the node side's add/remove children
of a DRBD device."""

import copy

import pytest

from ganeti import cli
from ganeti import constants as C
from ganeti import errors
from ganeti import objects
from ganeti import opcodes
from ganeti.client import gnt_instance
from ganeti.cmdlib import instance_replace_disks as ird
from ganeti.rpc.client import RpcResult
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


# ------------------------------------------- -s and -n with a recording RPC


_OK_STATUS = {"ldisk_status": 1, "is_degraded": False, "sync_percent": None}


class _Rpc:
    """Every call succeeds; blockdev_find finds a healthy device."""

    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        call = name[len("call_"):]

        def fn(node, *args):
            self.calls.append((call, node, copy.deepcopy(args)))
            payload = _OK_STATUS if call in ("blockdev_find",) else \
                [_OK_STATUS] if call == "blockdev_getmirrorstatus" else None
            if isinstance(node, list):
                return {n: RpcResult([True, payload]) for n in node}
            return RpcResult([True, payload])
        return fn


class _Proc:
    def __init__(self):
        self.lines = []

    def LogStep(self, cur, total, msg):
        self.lines.append("STEP %d/%d %s" % (cur, total, msg))

    def LogInfo(self, msg, *args):
        self.lines.append(" - INFO: " + (msg % args if args else msg))

    def LogWarning(self, msg, *args, **kwargs):
        self.lines.append(" - WARNING: " + (msg % args if args else msg))


class _Node:
    def __init__(self, name):
        self.name, self.group, self.offline = name, None, False


class _Cluster:
    def FillND(self, node, group):
        return {}


class _LuCfg:
    def __init__(self, disk, instance):
        self.disk, self.instance = disk, instance
        self.updated, self.minors = [], []
        self.uid = 0

    def GetInstanceDisks(self, uuid):
        return [self.disk]

    def GetInstanceInfo(self, uuid):
        return self.instance

    def GetNodeInfo(self, uuid):
        return _Node(uuid + ".example.com")

    def GetClusterInfo(self):
        return _Cluster()

    def GetNodeGroup(self, uuid):
        return None

    def GenerateUniqueID(self):
        self.uid += 1
        return "new%d" % self.uid

    def AllocateDRBDMinors(self, nodes):
        self.minors.append(nodes)
        return [9 for _ in nodes]

    def ReleaseDRBDMinors(self):
        self.minors.append("released")

    def UpdateDisk(self, disk):
        self.updated.append(disk)


def _Lu(mode, target=None):
    lv = lambda name: objects.Disk(dev_type="plain", size=96,
                                   logical_id=["xenvg", name],
                                   nodes=["p", "s"], params={}, uuid=name)
    disk = objects.Disk(dev_type="drbd", size=96, iv_name="disk/0",
                        logical_id=["p", "s", 11000, 0, 1, "secret"],
                        children=[lv("u.disk0_data"), lv("u.disk0_meta")],
                        nodes=["p", "s"], params={}, uuid="d0")
    instance = objects.Instance(name=INST, uuid="i", primary_node="p",
                                disks_active=True)
    lu = ird.LUInstanceReplaceDisks.__new__(ird.LUInstanceReplaceDisks)
    lu.cfg, lu.rpc, lu.proc = _LuCfg(disk, instance), _Rpc(), _Proc()
    lu.op = opcodes.OpInstanceReplaceDisks(instance_name=INST, mode=mode,
                                           remote_node=target)
    lu.instance, lu.disk_idx = instance, [0]
    lu.pnode, lu.snode, lu.new_node_uuid = "p", "s", target
    lu.target = target or "s"
    lu.other = "p"
    return lu


def test_on_secondary_renames_old_lvs_away_then_removes_them():
    lu = _Lu(C.REPLACE_DISK_SEC)
    lu.Exec(lambda msg: None)
    steps = [l for l in lu.proc.lines if l.startswith("STEP")]
    assert steps == ["STEP %d/6 %s" % (i + 1, t) for i, t in enumerate([
        "Check device existence", "Check peer consistency",
        "Allocate new storage", "Changing drbd configuration",
        "Sync devices", "Removing old storage"])]
    calls = [(c, n) for c, n, _ in lu.rpc.calls]
    # new LVs made on the secondary only, the mirror detached, renamed, fed
    assert [n for c, n in calls if c == "blockdev_create"] == ["s", "s"]
    order = [c for c, n in calls if c in ("blockdev_removechildren",
                                          "blockdev_rename",
                                          "blockdev_addchildren",
                                          "blockdev_remove")]
    assert order == ["blockdev_removechildren", "blockdev_rename",
                     "blockdev_rename", "blockdev_addchildren",
                     "blockdev_remove", "blockdev_remove"]
    renames = [args[0] for c, n, args in lu.rpc.calls if c == "blockdev_rename"]
    old_to_temp = [(d.logical_id[1], new[1]) for d, new in renames[0]]
    assert [o for o, _ in old_to_temp] == ["u.disk0_data", "u.disk0_meta"]
    assert all(t.startswith(o + "_replaced-") for o, t in old_to_temp)
    # the new LVs take the old names: the config does not change
    assert [tuple(new) for _, new in renames[1]] == [
        ("xenvg", "u.disk0_data"), ("xenvg", "u.disk0_meta")]
    removed = [args[0][0].logical_id[1] for c, n, args in lu.rpc.calls
               if c == "blockdev_remove"]
    assert [r for r, (_, t) in zip(removed, old_to_temp) if r == t] == removed
    assert lu.cfg.updated == []


def test_early_release_removes_before_syncing():
    lu = _Lu(C.REPLACE_DISK_SEC)
    lu.op.early_release = True
    lu.Exec(lambda msg: None)
    steps = [l for l in lu.proc.lines if l.startswith("STEP 5") or
             l.startswith("STEP 6")]
    assert steps == ["STEP 5/6 Removing old storage", "STEP 6/6 Sync devices"]


def test_new_secondary_moves_the_disk_to_new_minors():
    lu = _Lu(C.REPLACE_DISK_CHG, target="n")
    lu.Exec(lambda msg: None)
    disk = lu.cfg.disk
    assert tuple(disk.logical_id) == ("p", "n", 11000, 0, 9, "secret")
    assert disk.nodes == ["p", "n"] and lu.cfg.updated == [disk]
    assert lu.cfg.minors == [["n"], "released"]
    # LVs (same names as the primary's) and a network-less DRBD on the new
    # node; the old secondary's device shut down, its LVs removed
    created = [(n, args[0][0].dev_type, args[0][0].logical_id)
               for c, n, args in lu.rpc.calls if c == "blockdev_create"]
    assert created[:2] == [("n", "plain", ["xenvg", "u.disk0_data"]),
                           ("n", "plain", ["xenvg", "u.disk0_meta"])]
    assert created[2] == ("n", "drbd", ["p", "n", None, 0, 9, "secret"])
    calls = [(c, n) for c, n, _ in lu.rpc.calls]
    assert ("blockdev_shutdown", "s") in calls
    assert calls.index(("drbd_disconnect_net", ["p"])) < \
        calls.index(("drbd_attach_net", ["p", "n"]))
    assert [n for c, n in calls if c == "blockdev_remove"] == ["s", "s"]


class _FaultyRpc(_Rpc):
    """blockdev_find reports the local disk faulty on the given nodes."""

    def __init__(self, faulty):
        super().__init__()
        self.faulty = faulty

    def call_blockdev_find(self, node, disk):
        self.calls.append(("blockdev_find", node, ()))
        status = dict(_OK_STATUS, ldisk_status=3 if node in self.faulty else 1)
        return RpcResult([True, status])


@pytest.mark.parametrize("faulty, mode, indexes", [
    ({"s"}, C.REPLACE_DISK_SEC, [0]), ({"p"}, C.REPLACE_DISK_PRI, [0]),
    (set(), C.REPLACE_DISK_AUTO, [])])
def test_auto_mode_picks_the_node_with_faulty_disks(faulty, mode, indexes):
    lu = _Lu(C.REPLACE_DISK_AUTO)
    lu.rpc = _FaultyRpc(faulty)
    lu._ChooseAutoTarget(lu.instance, [lu.cfg.disk])
    assert lu.op.mode == mode and lu.disk_idx == indexes


def test_auto_mode_refuses_faulty_disks_on_both_nodes():
    lu = _Lu(C.REPLACE_DISK_AUTO)
    lu.rpc = _FaultyRpc({"p", "s"})
    with pytest.raises(errors.OpPrereqError) as err:
        lu._ChooseAutoTarget(lu.instance, [lu.cfg.disk])
    assert err.value.args[1] == errors.ECODE_STATE


class _LateSyncRpc(_Rpc):
    """The primary's device looks degraded on the first `degraded_looks`
    checks after the wait (its resync started after the first look)."""

    def __init__(self, degraded_looks):
        super().__init__()
        self.degraded_looks = degraded_looks

    def call_blockdev_find(self, node, disk):
        self.calls.append(("blockdev_find", node, ()))
        degraded = self.degraded_looks > 0
        self.degraded_looks -= 1
        return RpcResult([True, dict(_OK_STATUS, is_degraded=degraded)])


def test_sync_is_waited_for_again_when_the_primary_is_still_degraded():
    lu = _Lu(C.REPLACE_DISK_SEC)
    lu.rpc = _LateSyncRpc(1)
    lu._Sync()
    calls = [c for c, _n, _a in lu.rpc.calls]
    assert calls == ["blockdev_getmirrorstatus", "blockdev_find",
                     "blockdev_getmirrorstatus", "blockdev_find"]


def test_sync_fails_when_the_primary_stays_degraded():
    lu = _Lu(C.REPLACE_DISK_SEC)
    lu.rpc = _LateSyncRpc(100)
    with pytest.raises(errors.OpExecError, match="disk/0 is degraded"):
        lu._Sync()
    calls = [c for c, _n, _a in lu.rpc.calls]
    assert calls.count("blockdev_getmirrorstatus") == ird._SYNC_CHECKS
