"""The LVM administration LUs against a fake cluster (real config, real RPC
encodings, simulated nodes): gnt-cluster repair-disk-sizes and the volume
group checks of gnt-cluster modify --vg-name and init."""

import pytest

from ganeti import bootstrap
from ganeti import constants as C
from ganeti import errors
from ganeti import objects
from ganeti import opcodes
from ganeti.cmdlib import cluster_disks
from ganeti.storage import lvm

from instance_fakes import MASTER, Context, FakeNodes, MakeConfig, NodeFailure

INST = "inst1.example.com"
INST2 = "inst2.example.com"
NODE2 = "node2.example.com"


class SizedNodes(FakeNodes):
    """Fake nodes answering blockdev_getdimensions and vg_list."""

    def __init__(self):
        super().__init__()
        self.vgs = {name: {"xenvg": 24576} for name in self.nodes}
        self.dimension_failure = set()  # paths answering None

    def do_blockdev_getdimensions(self, node, disks):
        out = []
        for disk in disks:
            path = disk["logical_id"][1]
            if path in self.dimension_failure or path not in node.files:
                out.append(None)
            else:
                out.append([node.files[path] << 20, None])
        return out

    def do_vg_list(self, node):
        return self.vgs[node.name]

    def do_blockdev_setinfo(self, node, disk, info):
        return None


@pytest.fixture
def ctx(tmp_path):
    cfg = MakeConfig(str(tmp_path / "config.data"),
                     templates=("file", "plain", "diskless"))
    cluster = cfg.GetClusterInfo()
    cluster.volume_group_name = "xenvg"
    cfg.Update(cluster)
    return Context(cfg, SizedNodes())


def _create(ctx, name, node=MASTER, size=64):
    ctx.Run(opcodes.OpInstanceCreate(
        instance_name=name, mode=C.INSTANCE_CREATE, disk_template="file",
        disks=[{"size": size}], nics=[{}], os_type="debootstrap+default",
        pnode=node, name_check=False, ip_check=False,
        beparams={"memory": 128}))
    inst = ctx.cfg.GetInstanceInfoByName(name)
    return ctx.cfg.GetInstanceDisks(inst.uuid)[0]


def _messages(ctx):
    return [m for m in ctx.feedback if isinstance(m, str)]


# ------------------------------------------------------ repair-disk-sizes

def test_repair_disk_sizes_records_the_real_size(ctx):
    disk = _create(ctx, INST)
    _create(ctx, INST2, node=NODE2)
    ctx.fake.nodes[MASTER].files[disk.logical_id[1]] = 100
    result = ctx.Run(opcodes.OpClusterRepairDiskSizes())
    assert result == [(INST, 0, "size", 100)]
    inst = ctx.cfg.GetInstanceInfoByName(INST)
    assert ctx.cfg.GetInstanceDisks(inst.uuid)[0].size == 100
    assert (" - INFO: Disk 0 of instance %s has mismatched size, correcting:"
            " recorded 64, actual 100" % INST) in _messages(ctx)
    # a second run finds nothing to change
    assert ctx.Run(opcodes.OpClusterRepairDiskSizes()) == []


def test_repair_disk_sizes_of_named_instances_only(ctx):
    disk1 = _create(ctx, INST)
    disk2 = _create(ctx, INST2, node=NODE2)
    ctx.fake.nodes[MASTER].files[disk1.logical_id[1]] = 80
    ctx.fake.nodes[NODE2].files[disk2.logical_id[1]] = 90
    result = ctx.Run(opcodes.OpClusterRepairDiskSizes(instances=[INST2]))
    assert result == [(INST2, 0, "size", 90)]
    inst = ctx.cfg.GetInstanceInfoByName(INST)
    assert ctx.cfg.GetInstanceDisks(inst.uuid)[0].size == 64


def test_repair_disk_sizes_skips_what_nodes_cannot_tell(ctx):
    disk = _create(ctx, INST)
    _create(ctx, INST2, node=NODE2)
    ctx.fake.dimension_failure.add(disk.logical_id[1])
    ctx.fake.fail["blockdev_getdimensions"] = "node down"
    assert ctx.Run(opcodes.OpClusterRepairDiskSizes()) == []
    messages = ctx.feedback
    assert any("Failure in blockdev_getdimensions call to node %s,"
               " ignoring" % MASTER in str(m) for m in messages), messages
    del ctx.fake.fail["blockdev_getdimensions"]
    assert ctx.Run(opcodes.OpClusterRepairDiskSizes()) == []
    assert any("Disk 0 of instance %s did not return size information,"
               " ignoring" % INST in str(m) for m in ctx.feedback), \
        ctx.feedback


def test_repair_disk_sizes_unknown_instance(ctx):
    with pytest.raises(errors.OpPrereqError) as err:
        ctx.Run(opcodes.OpClusterRepairDiskSizes(instances=["nosuch"]))
    assert err.value.args == ("Instance 'nosuch' not known",
                              errors.ECODE_NOENT)


def test_drbd_data_child_follows_its_parent_size():
    data = objects.Disk(dev_type=C.DT_PLAIN, size=100,
                        logical_id=("xenvg", "data"))
    meta = objects.Disk(dev_type=C.DT_PLAIN, size=128,
                        logical_id=("xenvg", "meta"))
    drbd = objects.Disk(dev_type=C.DT_DRBD8, size=200, children=[data, meta])
    assert cluster_disks.EnsureChildSizes(drbd)
    assert (data.size, meta.size) == (200, 128)
    assert not cluster_disks.EnsureChildSizes(drbd)
    assert not cluster_disks.EnsureChildSizes(data)


# ------------------------------------------------------- --vg-name checks

# Only file disks (the instance policy has to follow).
_FILE_ONLY = {"enabled_disk_templates": ["file"],
              "ipolicy": {"disk-templates": ["file"]}}


def _modify_fails(ctx, **kwargs):
    with pytest.raises(errors.OpPrereqError) as err:
        ctx.Run(opcodes.OpClusterSetParams(**kwargs))
    return err.value.args


def test_modify_vg_name_must_exist_on_every_node(ctx):
    assert _modify_fails(ctx, vg_name="nosuch") == (
        "Error on node '%s': volume group 'nosuch' missing" % MASTER,
        errors.ECODE_ENVIRON)
    ctx.fake.vgs[NODE2]["small"] = 1000
    ctx.fake.vgs[MASTER]["small"] = 30000
    assert _modify_fails(ctx, vg_name="small") == (
        "Error on node '%s': volume group 'small' too small (20480 MiB"
        " required, 1000 MiB found)" % NODE2, errors.ECODE_ENVIRON)
    assert ctx.cfg.GetVGName() == "xenvg"
    ctx.Run(opcodes.OpClusterSetParams(vg_name="xenvg"))


def test_modify_vg_name_cannot_be_unset_while_lvm_is_used(ctx):
    assert _modify_fails(ctx, vg_name="") == (
        "Cannot unset volume group if lvm-based disk templates are or get"
        " enabled.", errors.ECODE_INVAL)
    ctx.Run(opcodes.OpClusterSetParams(vg_name="", **_FILE_ONLY))
    assert ctx.cfg.GetVGName() is None
    assert _modify_fails(ctx, enabled_disk_templates=["file", "plain"]) == (
        "Please specify a volume group when enabling lvm-based"
        " disk-templates.", errors.ECODE_INVAL)


def test_modify_vg_name_enabling_lvm_checks_the_nodes(ctx):
    ctx.Run(opcodes.OpClusterSetParams(**_FILE_ONLY))
    ctx.fake.vgs[NODE2] = {}
    assert _modify_fails(ctx, enabled_disk_templates=["file", "plain"]) == (
        "Error on node '%s': volume group 'xenvg' missing" % NODE2,
        errors.ECODE_ENVIRON)


def test_modify_unreachable_node_is_skipped_with_a_warning(ctx):
    ctx.fake.fail["vg_list"] = "connection refused"
    ctx.Run(opcodes.OpClusterSetParams(vg_name="xenvg"))
    assert any("Error while gathering data on node %s (ignoring node):"
               % MASTER in str(m) for m in ctx.feedback), ctx.feedback


# ---------------------------------------------------------- the VG check

@pytest.mark.parametrize("vgs, expected", [
    ({"xenvg": 24576}, None),
    ({"xenvg": 20480}, None),
    ({}, "volume group 'xenvg' missing"),
    ({"other": 30000}, "volume group 'xenvg' missing"),
    ({"xenvg": 20479}, "volume group 'xenvg' too small (20480 MiB required,"
                       " 20479 MiB found)"),
])
def test_check_volume_group_size(vgs, expected):
    assert lvm.CheckVolumeGroupSize(vgs, "xenvg") == expected


def test_init_refuses_a_missing_or_small_volume_group(monkeypatch):
    monkeypatch.setattr(lvm, "ListVolumeGroups", lambda: {"xenvg": 1024})
    with pytest.raises(errors.OpPrereqError) as err:
        bootstrap._check_vg("nosuch")
    assert err.value.args == ("Error: volume group 'nosuch' missing",
                              errors.ECODE_INVAL)
    with pytest.raises(errors.OpPrereqError) as err:
        bootstrap._check_vg("xenvg")
    assert err.value.args == ("Error: volume group 'xenvg' too small (20480"
                              " MiB required, 1024 MiB found)",
                              errors.ECODE_INVAL)
    monkeypatch.setattr(lvm, "ListVolumeGroups", lambda: {"xenvg": 24576})
    bootstrap._check_vg("xenvg")


# ------------------------------------------------ repair-storage consistency

def _mirrored_instance(ctx):
    """A DRBD instance with active disks on node1 (primary) and node2."""
    uuids = [ctx.cfg.GetNodeInfoByName(n).uuid for n in (MASTER, NODE2)]
    children = [objects.Disk(dev_type=C.DT_PLAIN, size=128,
                             logical_id=("xenvg", "data")),
                objects.Disk(dev_type=C.DT_PLAIN, size=128,
                             logical_id=("xenvg", "meta"))]
    disk = objects.Disk(dev_type=C.DT_DRBD8, size=128, iv_name="disk/0",
                        logical_id=(uuids[0], uuids[1], 11000, 0, 0, "s"),
                        children=children, nodes=uuids, mode="rw",
                        params={})
    inst = objects.Instance(name=INST, primary_node=uuids[0],
                            os="debootstrap+default", hypervisor="fake",
                            hvparams={}, beparams={}, osparams={}, nics=[],
                            disks=[], disk_template=C.DT_DRBD8,
                            disks_active=True, admin_state="up",
                            admin_state_source="admin", tags=[])
    ctx.AddInstance(inst, [disk])
    return inst


class MirrorNodes(SizedNodes):
    def __init__(self):
        super().__init__()
        self.faulty = set()  # node names whose local disks are faulty

    def do_blockdev_getmirrorstatus(self, node, disks):
        return [{"dev_path": "/dev/drbd0", "major": 147, "minor": 0,
                 "sync_percent": None, "estimated_time": None,
                 "is_degraded": node.name in self.faulty,
                 "ldisk_status": 3 if node.name in self.faulty else 1}
                for _ in disks]

    def do_storage_execute(self, node, su_name, su_args, name, op):
        return None


def test_repair_storage_refuses_while_the_mirror_is_faulty(tmp_path):
    cfg = MakeConfig(str(tmp_path / "config.data"),
                     templates=("plain", "drbd", "file"))
    cluster = cfg.GetClusterInfo()
    cluster.volume_group_name = "xenvg"
    cfg.Update(cluster)
    ctx = Context(cfg, MirrorNodes())
    _mirrored_instance(ctx)
    repair = dict(node_name=MASTER, storage_type="lvm-vg", name="xenvg")
    ctx.Run(opcodes.OpRepairNodeStorage(**repair))  # node2's disks are sound
    assert [n for n, _ in ctx.fake.Calls("blockdev_getmirrorstatus")] == \
        [NODE2]
    ctx.fake.faulty.add(NODE2)
    with pytest.raises(errors.OpPrereqError) as err:
        ctx.Run(opcodes.OpRepairNodeStorage(**repair))
    assert err.value.args == ("Instance '%s' has faulty disks on node '%s'"
                              % (INST, NODE2), errors.ECODE_STATE)
    executed = len(ctx.fake.Calls("storage_execute"))
    ctx.Run(opcodes.OpRepairNodeStorage(ignore_consistency=True, **repair))
    assert len(ctx.fake.Calls("storage_execute")) == executed + 1
    assert any("Instance '%s' has faulty disks on node '%s'" % (INST, NODE2)
               in str(m) for m in ctx.feedback), ctx.feedback
    # node3 holds none of the instance's disks: nothing to look at
    ctx.Run(opcodes.OpRepairNodeStorage(
        node_name="node3.example.com", storage_type="lvm-vg", name="xenvg"))


# ------------------------------------------- the node's volumes for verify

def test_verify_lists_the_volumes_of_every_volume_group(monkeypatch):
    from ganeti.backend import verify as backend_verify
    from ganeti.utils import process
    commands = []

    def run(cmd):
        commands.append(cmd)
        if cmd[0] == "vgs":
            out = "  vg0|10240.00\n  xenvg|24576.00\n"
        else:
            out = ("  vg0|root|8192.00|-wi-ao----\n"
                   "  xenvg|disk0|256.00|-wi-a-----\n")
        return process.RunResult(0, None, out, "", " ".join(cmd))

    monkeypatch.setattr(lvm, "_Run", run)
    result = backend_verify._CheckLvList("xenvg", None)
    assert result == {"vg0/root": ["8192.00", False, True],
                      "xenvg/disk0": ["256.00", False, False]}
    assert commands[-1][-2:] == ["vg0", "xenvg"]


# ------------------------------------------------------------------ rename

def test_rename_updates_the_volumes_info(ctx):
    _create(ctx, INST)
    ctx.Run(opcodes.OpInstanceShutdown(instance_name=INST))
    new = "renamed.example.com"
    ctx.Run(opcodes.OpInstanceRename(instance_name=INST, new_name=new,
                                     name_check=False, ip_check=False))
    calls = ctx.fake.Calls("blockdev_setinfo")
    assert [(node, args[1]) for node, args in calls] == \
        [(MASTER, "originstname+%s" % new)]
    disk = ctx.cfg.GetInstanceDisks(ctx.cfg.GetInstanceInfoByName(new).uuid)[0]
    assert calls[0][1][0]["logical_id"] == list(disk.logical_id)


# ------------------------------------------------- disks in error messages

def test_disk_description_as_upstream_prints_it():
    from ganeti.backend import blockdev as backend_blockdev
    path = "/srv/ganeti-vcluster/file-storage/instance3/a6ae.file.disk0"
    fdisk = objects.Disk(dev_type=C.DT_FILE, logical_id=("loop", path),
                         children=[], iv_name="disk/0", size=32)
    # as upstream 3.0's "Can't create block device ..." (reference output)
    expected = ("<Disk(type=file, logical_id=('loop', '%s'), children=[],"
                " visible as /dev/disk/0, size=32m)>" % path)
    assert objects.DiskDescription(fdisk) == expected
    assert str(backend_blockdev.ToNodeDisk(fdisk.ToDict())) == expected
    data = objects.Disk(dev_type=C.DT_PLAIN, logical_id=("xenvg", "d"),
                        size=256)
    meta = objects.Disk(dev_type=C.DT_PLAIN, logical_id=("xenvg", "m"),
                        size=128, spindles=1)
    assert objects.DiskDescription(data) == \
        "<LogicalVolume(/dev/xenvg/d, not visible, size=256m)>"
    drbd = objects.Disk(dev_type=C.DT_DRBD8, iv_name="disk/1", size=256,
                        logical_id=("n1", "n2", 11000, 0, 1, "secret"),
                        children=[data, meta])
    assert str(backend_blockdev.ToNodeDisk(drbd.ToDict())) == (
        "<DRBD8(hosts=n1/0-n2/1, port=11000, backend=<LogicalVolume("
        "/dev/xenvg/d, not visible, size=256m)>, metadev=<LogicalVolume("
        "/dev/xenvg/m, not visible, spindles=1, size=128m)>, visible as"
        " /dev/disk/1, size=256m)>")
    drbd.children = []
    assert objects.DiskDescription(drbd).startswith(
        "<DRBD8(hosts=n1/0-n2/1, port=11000, no local storage, visible as")


def test_verify_checks_the_physical_volumes():
    from ganeti.cmdlib import verify_checks as vc
    lines = []
    rep = vc.Reporter(lines.append, error_codes=True)
    node = "node1.example.com"
    vglist = {"xenvg": 30000}
    vc.VerifyNodeLVM(rep, node, {C.NV_VGLIST: vglist}, "xenvg")
    vc.VerifyNodeLVM(rep, node, {C.NV_VGLIST: vglist, C.NV_PVLIST: [
        {"name": "/dev/sdb1", "vg_name": "xenvg", "size": 30000.0,
         "free": 100.0, "attributes": "a-", "lv_list": []},
        {"name": "/dev/disk/by-path/pci-0:1", "vg_name": "xenvg"}]}, "xenvg")
    assert lines == [
        "  - ERROR:ENODELVM:node:%s:Can't get PV list from node" % node,
        "  - ERROR:ENODELVM:node:%s:Invalid character ':' in PV"
        " '/dev/disk/by-path/pci-0:1' of VG 'xenvg'" % node]


def test_node_answers_its_physical_volumes(monkeypatch):
    from ganeti.backend import verify as backend_verify
    from ganeti.utils import process
    commands = []

    def run(cmd):
        commands.append(cmd)
        out = ("  /dev/loop0|xenvg|24320.00|a--|24572.00\n"
               "  /dev/sda2|vg0|0|a--|10000.00\n")
        return process.RunResult(0, None, out, "", " ".join(cmd))

    monkeypatch.setattr(lvm, "_Run", run)
    answer = backend_verify.VerifyNode({C.NV_PVLIST: ["xenvg"]}, "cluster")
    assert answer == {C.NV_PVLIST: [
        {"name": "/dev/loop0", "vg_name": "xenvg", "size": 24572.0,
         "free": 24320.0, "attributes": "a--", "lv_list": []}]}
    assert commands[0][0] == "pvs"
