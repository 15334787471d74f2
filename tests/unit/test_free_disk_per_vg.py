"""Free space checks per volume group (plain and drbd disks may name their
own "vg"): upstream checks every VG the disks use, with its messages."""

import pytest

from ganeti import errors
from ganeti import objects
from ganeti.cmdlib import instance_utils as iu


class _Res:
    def __init__(self, free):
        self.payload = ["boot-id", [{"type": "lvm-vg", "storage_free": free}], []]

    def Raise(self, msg, prereq=False, ecode=None):
        pass


class _Lu:
    def __init__(self, free_by_vg):
        self.free_by_vg = free_by_vg
        self.asked = []
        lu = self

        class _Rpc:
            def call_node_info(self, nodes, units, hvs):
                lu.asked.append(units)
                return {n: _Res(lu.free_by_vg.get(units[0][1])) for n in nodes}

        class _Cfg:
            def GetNodeInfo(self, uuid):
                return None

        self.rpc, self.cfg = _Rpc(), _Cfg()


def test_sizes_per_vg_of_plain_and_drbd_disks():
    disks = [{"size": 100, "vg": "xenvg"}, {"size": 50, "vg": "fastvg"},
             {"size": 10, "vg": None}]
    assert iu.ComputeDiskSizePerVG("plain", disks, "xenvg") == \
        {"xenvg": 110, "fastvg": 50}
    assert iu.ComputeDiskSizePerVG("drbd", disks[:1], "xenvg") == {"xenvg": 228}
    assert iu.ComputeDiskSizePerVG("file", disks, "xenvg") == {}


def test_unknown_vg_of_a_disk_is_a_prereq_error_naming_it():
    lu = _Lu({"xenvg": 4000})
    with pytest.raises(errors.OpPrereqError) as err:
        iu.CheckNodesFreeDisk(lu, ["node1"], "plain", 64, {"nosuch": 64})
    assert str(err.value.args[0]) == ("Can't compute free disk space on node"
                                      " node1 for vg nosuch, result was 'None'")
    assert err.value.args[1] == errors.ECODE_ENVIRON
    assert lu.asked == [[["lvm-vg", "nosuch", [False]]]]


def test_each_vg_needs_room_for_its_own_disks():
    lu = _Lu({"xenvg": 4000, "fastvg": 40})
    with pytest.raises(errors.OpPrereqError) as err:
        iu.CheckNodesFreeDisk(lu, ["node1"], "plain", 150,
                              {"xenvg": 100, "fastvg": 50})
    assert str(err.value.args[0]) == ("Not enough disk space on target node node1"
                                      " vg fastvg: required 50 MiB, available 40 MiB")
    assert err.value.args[1] == errors.ECODE_NORES
    iu.CheckNodesFreeDisk(_Lu({"xenvg": 4000, "fastvg": 50}), ["node1"], "plain",
                          150, {"xenvg": 100, "fastvg": 50})


def test_growing_takes_room_in_the_disks_own_vg():
    plain = objects.Disk(dev_type="plain", logical_id=("fastvg", "a.disk0"), size=64)
    assert iu.DiskGrowthPerVG(plain, 128) == {"fastvg": 128}
    meta = objects.Disk(dev_type="plain", logical_id=("metavg", "a.meta"), size=128)
    drbd = objects.Disk(dev_type="drbd", logical_id=("n1", "n2", 11000, 0, 0, "s"),
                        children=[plain, meta], size=64)
    assert iu.DiskGrowthPerVG(drbd, 10) == {"fastvg": 10}
    assert iu.DiskGrowthPerVG(objects.Disk(dev_type="file", size=1,
                                           logical_id=("loop", "/x")), 1) is None


def test_node_reports_no_free_space_for_a_missing_vg(monkeypatch):
    from ganeti.backend import verify as bverify

    def fail(cmd):
        bverify._Fail("Command '%s' failed: Volume group \"nosuch\" not found",
                      " ".join(cmd))
    monkeypatch.setattr(bverify, "_LvmReport", fail)
    assert bverify._StorageInfo(["lvm-vg", "nosuch", [False]]) == {
        "type": "lvm-vg", "name": "nosuch", "storage_free": None,
        "storage_size": None}
    monkeypatch.setattr(bverify, "_LvmReport", lambda cmd: [["3692.00", "24572.00"]])
    assert bverify._StorageInfo(["lvm-vg", "xenvg", [False]])["storage_free"] == 3692
