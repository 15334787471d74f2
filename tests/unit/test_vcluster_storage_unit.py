"""Pure logic of the testbed's storage emulation (vcluster up --storage).

The emulation (ganeti.tools.vcluster_lvm) stands in for LV activation,
which needs device-mapper, absent from the test machines' kernel.
"""

import pytest

from ganeti.tools import vcluster_layout as L
from ganeti.tools import vcluster_lvm as W
from ganeti.tools import vcluster_storage as V


def test_split_args_separates_glued_short_options_and_values():
    opts, words = W.SplitArgs(["-ay", "-L100m", "-nfoo", "--addtag", "t",
                               "--separator=|", "-f", "xenvg", "/dev/xenvg/x"])
    assert opts == [("-a", "y"), ("-L", "100m"), ("-n", "foo"), ("--addtag", "t"),
                    ("--separator", "|"), ("-f", None)]
    assert words == ["xenvg", "/dev/xenvg/x"]
    assert W.OptValue(opts, ("-n", "--name")) == "foo"


@pytest.mark.parametrize("value,wanted", [("y", True), ("ay", True), ("n", False),
                                          ("ln", False), (None, None), ("x", None)])
def test_activation_values(value, wanted):
    assert W.ActivationWanted(value) is wanted


def test_lv_arguments_of_the_lab_vg_only():
    assert W.ParseLvArg("/dev/xenvg/a.disk0", "xenvg") == ("xenvg", "a.disk0")
    assert W.ParseLvArg("xenvg/a", "xenvg") == ("xenvg", "a")
    assert W.ParseLvArg("xenvg", "xenvg") == ("xenvg", None)
    assert W.ParseLvArg("othervg/a", "xenvg") is None
    assert W.ParseLvArg("/dev/mapper/xenvg-a", "xenvg") is None


def test_loop_placement_of_contiguous_segments():
    # pe_start 1 MiB, 4 MiB extents, an LV grown once right after itself.
    assert W.LoopPlacement(1 << 20, 4 << 20, 38 * (4 << 20),
                           ["/dev/loop0:10-34", "/dev/loop0:35-47"]) == \
        ((1 << 20) + 10 * (4 << 20), 38 * (4 << 20))


@pytest.mark.parametrize("ranges", [["/dev/loop0:0-4", "/dev/loop0:9-12"],
                                    ["/dev/loop0:0-4", "/dev/loop1:5-9"],
                                    ["/dev/loop0:0-4 /dev/loop1:0-4"], []])
def test_loop_placement_refuses_what_one_loop_device_cannot_be(ranges):
    with pytest.raises(W.EmulationError):
        W.LoopPlacement(0, 4096, 4096, ranges)


def test_lvs_report_shows_emulated_activation():
    line = "  -wi-XX----|-1|-1|4096.00|1|/dev/loop0(0)|xenvg/a"
    active = {"xenvg/a": (7, 3, False)}
    assert W.PatchLvsLine(line, "|", [0], [1], [2], active) == \
        "  -wi-a-----|7|3|4096.00|1|/dev/loop0(0)"
    assert W.PatchLvsLine(line, "|", [0], [1], [2], {"xenvg/a": (7, 3, True)}) == \
        "  -wi-ao----|7|3|4096.00|1|/dev/loop0(0)"
    assert W.PatchLvsLine(line.replace("xenvg/a", "xenvg/b"), "|", [0], [1], [2],
                          active) == "  -wi-------|-1|-1|4096.00|1|/dev/loop0(0)"


def test_lvs_args_rewritten_only_for_separated_reports():
    args = ["--noheadings", "--separator=|", "-o", "vg_name,lv_name,lv_size,lv_attr",
            "xenvg"]
    new_args, sep, attr, major, minor = W._LvsArgs(args)
    assert new_args[:2] == ["-o", "vg_name,lv_name,lv_size,lv_attr,lv_full_name"]
    assert "xenvg" in new_args and sep == "|" and attr == [3]
    assert major == minor == []
    assert W._LvsArgs(["--noheadings", "-o", "lv_attr"]) is None  # aligned
    assert W._LvsArgs(["--noheadings", "--separator=|", "-o", "lv_name"]) is None
    assert W._LvsArgs(["--noheadings", "--separator=|", "-o", "+lv_attr"]) is None


def test_noise_of_disabled_activation_is_dropped():
    err = ("  WARNING: Activation disabled. No device-mapper interaction will be"
           " attempted.\n  Volume group \"xenvg\" has insufficient free space\n")
    assert W.Clean(err) == "  Volume group \"xenvg\" has insufficient free space\n"


def test_node_lvm_conf_scans_only_its_pv_and_never_activates():
    conf = V.lvm_conf("/dev/loop7", "/st/n/lvm-lock", "/st/n/storage")
    assert 'global_filter = [ "a|^/dev/loop7$|", "r|.*|" ]' in conf
    assert "activation = 0" in conf and 'hints = "none"' in conf
    assert 'locking_dir = "/st/n/lvm-lock"' in conf
    assert 'backup_dir = "/st/n/storage/backup"' in conf
    assert V.system_id(L.Node(2)) in V.lvmlocal_conf(L.Node(2))


def test_holder_mounts_the_wrapper_over_lvm_and_a_private_vg_dir():
    paths = L.StatePaths("/st")
    lines = V.holder_lines(L.Node(1), paths, "/usr/sbin/lvm")
    assert lines == [
        # the DRBD emulation's drbdsetup/drbdmeta, before lvm's bind mounts
        "mount -t overlay vcluster-drbd-bin -o lowerdir='/st/drbd-bin':/usr/sbin"
        " /usr/sbin",
        "mount --bind '/usr/sbin/lvm' '/st/lvm.real'",
        "mount --bind '/st/lvm-wrapper' '/usr/sbin/lvm'",
        "mount --bind '/st/node1.example.test/dev-xenvg' '/dev/xenvg'"]
    script = L.holder_script(L.Node(1), paths, "/usr/sbin/sshd", extra_mounts=lines)
    assert script.index("/dev/xenvg") < script.index("sshd_config")


def test_down_finds_the_lab_loops_and_the_lv_loops_stacked_on_them(monkeypatch):
    loops = [{"name": "/dev/loop0", "back-file": "/st/node1.example.test/storage/pv.img"},
             {"name": "/dev/loop2", "back-file": "/loop0"},
             {"name": "/dev/loop3", "back-file": "/dev/loop0"},
             {"name": "/dev/loop4", "back-file": "/st2/node1.example.test/storage/pv.img"},
             {"name": "/dev/loop5", "back-file": "/loop4"},
             {"name": "/dev/loop6", "back-file": "/var/admin/disk.img"}]
    monkeypatch.setattr(V, "_loops", lambda: loops)
    assert V.lab_loops(L.StatePaths("/st")) == (["/dev/loop2", "/dev/loop3"],
                                                ["/dev/loop0"])


def test_open_devices_are_found_through_proc_fds(tmp_path):
    fd_dir = tmp_path / "4242" / "fd"
    fd_dir.mkdir(parents=True)
    (fd_dir / "3").symlink_to("/dev/loop5")
    (fd_dir / "4").symlink_to("/dev/null")
    (tmp_path / "self").mkdir()
    assert W.OpenDevices(str(tmp_path)) == {"/dev/loop5"}


def test_snapshot_becomes_a_plain_lv_of_the_vg_copied_from_its_origin():
    assert W.SnapshotArgs(["-L64m", "-s", "-na.snap", "/dev/xenvg/a"], "xenvg") == \
        (["-L64m", "-na.snap", "xenvg"], "a")
    assert W.SnapshotArgs(["-L64m", "-na", "xenvg"], "xenvg") is None
    assert W.SnapshotArgs(["-L64m", "-s", "-nb", "othervg/a"], "xenvg") is None
