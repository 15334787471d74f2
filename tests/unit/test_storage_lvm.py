"""Tests for ganeti.storage.lvm: parsers on recorded LVM output and the
command lines LogicalVolume runs (LVM cannot run here: a fake RunCmd
answers)."""

import os
import re

import pytest

from ganeti import errors
from ganeti import objects
from ganeti import storage
from ganeti.storage import base
from ganeti.storage import lvm
from ganeti.utils import process as utils_process
import testdata

RECORDED = testdata.RECORDED


def _read(name):
    with open(os.path.join(RECORDED, name)) as handle:
        return handle.read()


class FakeRunner:
    """Answers commands by the first matching regexp on the joined argv."""

    def __init__(self, rules=()):
        self.rules = list(rules)
        self.calls = []

    def add(self, pattern, stdout="", exit_code=0, stderr=""):
        self.rules.insert(0, (re.compile(pattern), stdout, exit_code, stderr))

    def __call__(self, cmd, **kwargs):
        argv = [str(a) for a in cmd]
        self.calls.append(argv)
        line = " ".join(argv)
        for regexp, stdout, code, stderr in self.rules:
            if regexp.search(line):
                return utils_process.RunResult(code, None, stdout, stderr,
                                               line)
        return utils_process.RunResult(5, None, "", "unexpected: %s" % line,
                                       line)

    def find(self, prog):
        return [c for c in self.calls if c[0] == prog]


@pytest.fixture
def runner(monkeypatch):
    fake = FakeRunner()
    monkeypatch.setattr(utils_process, "RunCmd", fake)
    return fake


# ----------------------------------------------------------- parsers

def test_lvs_full_report_recorded():
    rows = lvm.ParseLvsFullOutput(_read("lvs_lv.txt"))
    assert len(rows) == 2
    data, meta = rows
    assert data["lv_name"] == "df9ff3f6-a833-48ff-8bd5-bff2eaeab759.disk0_data"
    assert data["lv_uuid"] == "nhasjL-cnZi-uqLS-WRLj-tkXI-nvCB-n0o2lj"
    assert data["lv_attr"] == "-wi-ao"
    assert (data["lv_major"], data["lv_minor"]) == (-1, -1)
    assert (data["lv_kernel_major"], data["lv_kernel_minor"]) == (253, 0)
    assert data["lv_size"] == 1073741824
    assert data["seg_count"] == 1
    assert data["lv_tags"] == "originstname+instance1.example.com"
    assert data["vg_name"] == "xenvg" and data["segtype"] == "linear"
    assert data["seg_start"] == 0 and data["seg_size"] == 1073741824
    assert data["seg_pe_ranges"] == "/dev/sda5:0-15"
    assert data["devices"] == "/dev/sda5(0)"
    assert meta["lv_size"] == 128 * 1024 * 1024
    assert meta["lv_kernel_minor"] == 1
    assert lvm.ParseDevices(meta["devices"]) == ["/dev/sda5"]
    attr = lvm.LvAttr(data["lv_attr"])
    assert attr.is_active and attr.is_open and not attr.is_virtual
    assert lvm.LVS_FULL_COMMAND[-1].split(",") == lvm.LVS_FULL_FIELDS


def test_lvs_full_report_bad_line():
    with pytest.raises(errors.BlockDeviceError):
        lvm.ParseLvsFullOutput("a;b;c\n")


def test_vgs_missing_pvs_recorded():
    old = lvm.ParseVgsReport(_read("vgs-missing-pvs-2.02.02.txt"), "xenvg")
    assert old == {"found": False, "partial": False,
                   "missing_pvs": ["gg4cmC-4lrT-EN1v-39OA-6S2b-6eEI-wWlJJJ"]}
    new = lvm.ParseVgsReport(_read("vgs-missing-pvs-2.02.66.txt"), "xenvg")
    assert new == {"found": True, "partial": True,
                   "missing_pvs": ["bHRa26-svpL-ihJX-e0S4-2HNz-wAAi-AlBFtl"]}
    clean = lvm.ParseVgsReport("  xenvg   2  52   0 wz--n- 1.31t 1.07t\n",
                               "xenvg")
    assert clean == {"found": True, "partial": False, "missing_pvs": []}


def test_vgreduce_recorded():
    old = lvm.ParseVgreduceOutput(_read("vgreduce-removemissing-2.02.02.txt"))
    assert old["consistent"] and not old["needs_force"]
    assert old["partial_lvs"] == []
    ok = lvm.ParseVgreduceOutput(
        _read("vgreduce-removemissing-2.02.66-ok.txt"))
    assert ok["consistent"] and not ok["needs_force"]
    assert ok["missing_pvs"] == ["NzfYON-F7ky-1Szf-aGf1-v8Xa-Bt1W-8V3bou"]
    fail = lvm.ParseVgreduceOutput(
        _read("vgreduce-removemissing-2.02.66-fail.txt"))
    assert not fail["consistent"] and fail["needs_force"]
    assert len(fail["partial_lvs"]) == 30
    assert "4ba7abfa-8459-43b6-b00f-c016244980f0.disk0" in fail["partial_lvs"]


def test_lv_info_line():
    info = lvm.ParseLvInfoLine(
        "  -wi-ao|253|0|4096.00|1|/dev/sda5(0),/dev/sdb1(16)")
    assert info["major"] == 253 and info["minor"] == 0
    assert info["pe_size"] == 4096 and info["stripes"] == 1
    assert info["pv_names"] == ["/dev/sda5", "/dev/sdb1"]
    assert info["attr"].is_open
    inactive = lvm.ParseLvInfoLine("-wi-------|-1|-1|4096.00|2|/dev/sda5(0)")
    assert inactive["major"] is None and inactive["minor"] is None
    assert not inactive["attr"].is_active
    for bad in ("-wi-ao|253|0|4096", "-w|253|0|4096|1|x",
                "-wi-ao|x|0|4096|1|/dev/sda5(0)"):
        with pytest.raises(errors.BlockDeviceError):
            lvm.ParseLvInfoLine(bad)


def test_partial_and_virtual_attrs():
    assert lvm.LvAttr("vwi-a-v---").is_virtual
    assert lvm.LvAttr("-wi-ao--p-").is_partial
    assert not lvm.LvAttr("-wi-ao----").is_partial


def test_pvs_vgs_lv_list_node_volumes():
    pvs = lvm.ParsePvsOutput("  /dev/sda5|xenvg|100.00|a--|500.00\n"
                             "  /dev/sdb1|xenvg|200.00|---|200.00\n"
                             "  garbage\n")
    assert [(p.name, p.free, p.size, p.IsAllocatable(), p.IsEmpty())
            for p in pvs] == [("/dev/sda5", 100.0, 500.0, True, False),
                              ("/dev/sdb1", 200.0, 200.0, False, True)]
    with_lvs = lvm.ParsePvsOutput("/dev/sda5|xenvg|1.00|a--|9.00|lv1\n"
                                  "/dev/sda5|xenvg|1.00|a--|9.00|lv2\n",
                                  with_lvs=True)
    assert len(with_lvs) == 1 and with_lvs[0].lv_list == ["lv1", "lv2"]
    assert lvm.ParseVgsOutput("  1024.00|4096.00|xenvg\n") == [
        (1024.0, 4096.0, "xenvg")]
    lvs = lvm.ParseLvListOutput(
        "  xenvg|inst.disk0|1024.00|-wi-ao\n"
        "  xenvg|inst.disk1|128.00|-wi-------\n"
        "  xenvg|thin|1.00|vwi-a-v---\n")
    assert lvs == {"xenvg/inst.disk0": ("1024.00", False, True),
                   "xenvg/inst.disk1": ("128.00", True, False)}
    vols = lvm.ParseNodeVolumesOutput(
        "  a.disk0|1024.00|/dev/sda5(0),/dev/sdb1(3)|xenvg\n")
    assert vols == [
        {"name": "a.disk0", "size": "1024.00", "dev": "/dev/sda5",
         "vg": "xenvg"},
        {"name": "a.disk0", "size": "1024.00", "dev": "/dev/sdb1",
         "vg": "xenvg"}]


@pytest.mark.parametrize("name,ok", [
    ("xenvg", True), ("abc.disk0_data", True), ("a+b-c", True),
    ("-bad", False), (".", False), ("..", False), ("a/b", False),
    ("snapshot1", False), ("pvmove0", False), ("x_mlog", False), ("", False),
])
def test_validate_name(name, ok):
    if ok:
        lvm.ValidateName(name)
    else:
        with pytest.raises(errors.BlockDeviceError):
            lvm.ValidateName(name)


# ------------------------------------------------------ node queries

def test_list_volume_groups_and_volume_list(runner):
    runner.add(r"^vgs ", "  xenvg|4096.50\n  other|10.00\n")
    assert lvm.ListVolumeGroups() == {"xenvg": 4096, "other": 10}
    runner.add(r"^lvs ", "  xenvg|a.disk0|1024.00|-wi-ao\n")
    assert lvm.GetVolumeList("xenvg") == {
        "xenvg/a.disk0": ("1024.00", False, True)}
    assert runner.calls[-1][-1] == "xenvg"
    assert runner.calls[-1][:7] == [
        "lvs", "--noheadings", "--units=m", "--nosuffix", "--separator=|",
        "-o", "vg_name,lv_name,lv_size,lv_attr"]


def test_report_failure(runner):
    runner.add(r"^vgs ", "", exit_code=5, stderr="  No volume groups found")
    with pytest.raises(errors.BlockDeviceError) as err:
        lvm.ListVolumeGroups()
    assert "No volume groups found" in str(err.value)


def test_remove_missing_pvs(runner):
    runner.add(r"^vgreduce --removemissing xenvg$",
               _read("vgreduce-removemissing-2.02.66-fail.txt"), 5)
    runner.add(r"^vgreduce --removemissing --force",
               _read("vgreduce-removemissing-2.02.66-ok.txt"))
    runner.add(r"^vgs ", "  xenvg   1  40   0 wz--n- 1.31t 1.07t\n")
    lvm.RemoveMissingPVs("xenvg")
    assert ["vgreduce", "--removemissing", "--force", "xenvg"] in runner.calls
    runner.add(r"^vgs ", _read("vgs-missing-pvs-2.02.66.txt"))
    with pytest.raises(errors.StorageError):
        lvm.RemoveMissingPVs("xenvg")


# ----------------------------------------------------------- device

LV_ID = ["xenvg", "inst1.disk0"]
LVS_OK = "  -wi-ao|253|4|4096.00|1|/dev/sda5(0)\n"


def test_attach(runner):
    runner.add(r"^lvs .* /dev/xenvg/inst1.disk0$", LVS_OK)
    dev = lvm.LogicalVolume(LV_ID, [], 1024, {})
    assert dev.attached and dev.dev_path == "/dev/xenvg/inst1.disk0"
    assert (dev.major, dev.minor) == (253, 4)
    assert dev.pe_size == 4096 and dev.stripe_count == 1
    assert dev.GetActualSpindles() == 1
    status = dev.GetSyncStatus()
    assert status.is_degraded is False and status.ldisk_status == 1
    assert runner.calls[0] == [
        "lvs", "--noheadings", "--separator=|", "--units=k", "--nosuffix",
        "-o", "lv_attr,lv_kernel_major,lv_kernel_minor,vg_extent_size,"
        "stripes,devices", "/dev/xenvg/inst1.disk0"]


def test_attach_missing_and_virtual(runner):
    runner.add(r"^lvs ", "", 5, "  Failed to find logical volume")
    dev = lvm.LogicalVolume(LV_ID, [], 1024, {})
    assert not dev.attached
    runner.add(r"^lvs ", "  vwi-a-v---|253|4|4096.00|1|\n")
    dev = lvm.LogicalVolume(LV_ID, [], 1024, {})
    assert dev.attached
    status = dev.GetSyncStatus()
    assert status.is_degraded and status.ldisk_status == base.LDS_FAULTY


def test_create_command_line_and_stripe_fallback(runner):
    runner.add(r"^pvs ", "  /dev/sda5|xenvg|300.00|a--|500.00\n"
                         "  /dev/sdb1|xenvg|900.00|a--|900.00\n"
                         "  /dev/sdc1|other|900.00|a--|900.00\n")
    runner.add(r"^lvcreate .* -i2 ", "", 5, "  Insufficient suitable"
               " allocatable extents")
    runner.add(r"^lvcreate .* -i1 ", "  Logical volume created\n")
    runner.add(r"^lvs ", LVS_OK)
    dev = lvm.LogicalVolume.Create(LV_ID, [], 1000, None, {"stripes": 3},
                                   False, {})
    assert dev.attached
    creates = runner.find("lvcreate")
    assert creates == [
        ["lvcreate", "-L1000m", "-ninst1.disk0", "-i2", "xenvg", "/dev/sdb1",
         "/dev/sda5"],
        ["lvcreate", "-L1000m", "-ninst1.disk0", "-i1", "xenvg", "/dev/sdb1",
         "/dev/sda5"]]


def test_create_errors(runner):
    runner.add(r"^pvs ", "  /dev/sda5|xenvg|300.00|a--|500.00\n")
    with pytest.raises(errors.BlockDeviceError) as err:
        lvm.LogicalVolume.Create(LV_ID, [], 1000, None, {}, False, {})
    assert "Not enough free space: required 1000" in str(err.value)
    with pytest.raises(errors.BlockDeviceError) as err:
        lvm.LogicalVolume.Create(LV_ID, [], 100, None, {}, True, {})
    assert "Unspecified number of spindles" in str(err.value)
    with pytest.raises(errors.BlockDeviceError) as err:
        lvm.LogicalVolume.Create(LV_ID, [], 100, 1, {}, True, {})
    assert "Not enough empty PVs" in str(err.value)
    runner.add(r"^pvs ", "", 5, "  fail")
    with pytest.raises(errors.BlockDeviceError) as err:
        lvm.LogicalVolume.Create(LV_ID, [], 100, None, {}, False, {})
    assert "Can't compute PV info for vg xenvg" in str(err.value)
    runner.add(r"^pvs ", "  /dev/sd:a|xenvg|3000.00|a--|5000.00\n")
    with pytest.raises(errors.BlockDeviceError) as err:
        lvm.LogicalVolume.Create(LV_ID, [], 100, None, {}, False, {})
    assert "invalid character ':'" in str(err.value)


def test_remove_rename_assemble_setinfo(runner):
    runner.add(r"^lvs ", LVS_OK)
    runner.add(r"^(lvremove|lvrename|lvchange) ", "")
    dev = lvm.LogicalVolume(LV_ID, [], 1024, {})
    dev.Assemble()
    dev.SetInfo("originstname+inst1.example.com")
    dev.SetInfo("-bad tag/with spaces")
    dev.Rename(["xenvg", "inst1.disk0_renamed"])
    assert dev.dev_path == "/dev/xenvg/inst1.disk0_renamed"
    assert dev.unique_id == ("xenvg", "inst1.disk0_renamed")
    dev.Remove()
    assert runner.find("lvchange") == [
        ["lvchange", "-ay", "/dev/xenvg/inst1.disk0"],
        ["lvchange", "--addtag", "originstname+inst1.example.com",
         "/dev/xenvg/inst1.disk0"],
        ["lvchange", "--addtag", "_bad_tag_with_spaces",
         "/dev/xenvg/inst1.disk0"]]
    assert runner.find("lvrename") == [
        ["lvrename", "xenvg", "inst1.disk0", "inst1.disk0_renamed"]]
    assert runner.find("lvremove") == [
        ["lvremove", "-f", "xenvg/inst1.disk0_renamed"]]
    with pytest.raises(errors.ProgrammerError):
        dev.Rename(["othervg", "x"])


def test_remove_missing_is_quiet(runner):
    runner.add(r"^lvs ", "", 5, "not found")
    lvm.LogicalVolume(LV_ID, [], 1, {}).Remove()
    assert runner.find("lvremove") == []


def test_failures_raise(runner):
    runner.add(r"^lvs ", LVS_OK)
    runner.add(r"^(lvremove|lvrename|lvchange|lvextend) ", "", 5, "  boom")
    dev = lvm.LogicalVolume(LV_ID, [], 1024, {})
    for action in (dev.Assemble, dev.Remove, lambda: dev.SetInfo("x"),
                   lambda: dev.Rename(["xenvg", "y"]),
                   lambda: dev.Grow(1, False, True, False)):
        with pytest.raises(errors.BlockDeviceError) as err:
            action()
        assert "boom" in str(err.value)


def test_grow_rounds_to_stripes_and_tries_policies(runner):
    runner.add(r"^lvs ", "  -wi-ao|253|4|4096.00|2|/dev/sda5(0),/dev/sdb1(0)\n")
    runner.add(r"^lvextend .* --alloc (contiguous|cling) ", "", 5, "no")
    runner.add(r"^lvextend .* --alloc normal ", "")
    dev = lvm.LogicalVolume(LV_ID, [], 1024, {})
    dev.Grow(10, False, False, False)        # not the backing store
    assert runner.find("lvextend") == []
    dev.Grow(10, False, True, False)
    # 10 MiB = 10240 KiB rounded up to 2 stripes * 4096 KiB extents
    assert runner.find("lvextend") == [
        ["lvextend", "-L", "+16384k", "--alloc", policy,
         "/dev/xenvg/inst1.disk0"]
        for policy in ("contiguous", "cling", "normal")]
    runner.calls.clear()
    dev.Grow(8, True, True, True)
    assert runner.find("lvextend")[0] == [
        "lvextend", "-L", "+8192k", "--test", "--alloc", "contiguous",
        "/dev/xenvg/inst1.disk0", "/dev/sda5", "/dev/sdb1"]


def test_snapshot(runner):
    runner.add(r"^lvs ", LVS_OK)
    runner.add(r"^vgs ", "  2048.00|4096.00|xenvg\n")
    runner.add(r"^lvcreate ", "")
    dev = lvm.LogicalVolume(LV_ID, [], 1024, {})
    assert dev.Snapshot(None, 512) == ("xenvg", "inst1.disk0.snap")
    assert runner.find("lvcreate") == [
        ["lvcreate", "-L512m", "-s", "-ninst1.disk0.snap",
         "/dev/xenvg/inst1.disk0"]]
    with pytest.raises(errors.BlockDeviceError) as err:
        dev.Snapshot("big", 4096)
    assert "Not enough free space" in str(err.value)


def test_storage_dispatch_plain(runner):
    runner.add(r"^lvs ", LVS_OK)
    disk = objects.Disk(dev_type="plain", logical_id=LV_ID, size=1024,
                        params={})
    dev = storage.FindDevice(disk, [])
    assert isinstance(dev, lvm.LogicalVolume)
    assert dev.params == {"stripes": 1}
    runner.add(r"^lvs ", "", 5, "gone")
    assert storage.FindDevice(disk, []) is None


def test_snapshot_replaces_a_stale_one(runner):
    runner.add(r"^lvs ", LVS_OK)
    runner.add(r"^vgs ", "  2048.00|4096.00|xenvg\n")
    runner.add(r"^lvcreate ", "")
    runner.add(r"^lvremove ", "")
    dev = lvm.LogicalVolume(LV_ID, [], 1024, {})
    assert dev.Snapshot(None, 512) == ("xenvg", "inst1.disk0.snap")
    assert runner.find("lvremove") == [["lvremove", "-f",
                                        "xenvg/inst1.disk0.snap"]]
    assert runner.calls.index(runner.find("lvremove")[0]) < \
        runner.calls.index(runner.find("lvcreate")[0])
    # a stale snapshot that cannot be removed does not stop a new one
    runner.add(r"^lvremove ", "", 5, "  in use")
    assert dev.Snapshot(None, 512) == ("xenvg", "inst1.disk0.snap")


def test_volume_list_failure_as_upstream_says_it(runner):
    runner.add(r"^lvs ", "", exit_code=5,
               stderr="  Volume group \"xenvg\" not found\n")
    with pytest.raises(errors.BlockDeviceError) as err:
        lvm.GetVolumeList(["xenvg"])
    assert str(err.value) == ("Failed to list logical volumes, lvs output:"
                              "   Volume group \"xenvg\" not found\n")
