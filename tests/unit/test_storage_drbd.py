"""Tests for ganeti.storage.drbd and drbd_info: /proc/drbd and drbdsetup
show parsers on recorded outputs, the command lines, and the device logic
against a recorded /proc/drbd with a fake RunCmd (DRBD can't run here)."""

import json
import os
import re

import pytest

from ganeti.backend import blockdev as backend_blockdev
from ganeti import errors
from ganeti import storage
from ganeti.storage import base
from ganeti.storage import drbd
from ganeti.storage import drbd_info
from ganeti.utils import process as utils_process
import testdata

RECORDED = testdata.RECORDED


def _path(name):
    return os.path.join(RECORDED, name)


def _read(name):
    with open(_path(name)) as handle:
        return handle.read()


def _proc(name):
    return drbd_info.ProcInfo.FromText(_read(name))


# ------------------------------------------------------------ /proc/drbd

@pytest.mark.parametrize("name,version,minors,used", [
    ("proc_drbd8.txt", (8, 0, 12, 86, 86, None), [0, 1, 2, 4, 5, 6, 7, 8],
     [0, 1, 4, 5, 6, 7, 8]),
    ("proc_drbd80-emptyline.txt", (8, 0, 12, 86, 86, None), [0, 1, 2, 5, 6],
     [0]),
    ("proc_drbd83.txt", (8, 3, 1, 88, 86, 89), [0, 1, 2, 4, 5, 6, 7, 8],
     [0, 1, 4, 5, 6, 7, 8]),
    ("proc_drbd83_sync.txt", (8, 3, 1, 88, 86, 89), [0, 1, 2, 3, 4],
     [0, 1, 3, 4]),
    ("proc_drbd83_sync_want.txt", (8, 3, 11, 88, 86, 96), [0, 1, 2, 3], [0]),
    ("proc_drbd84.txt", (8, 4, 2, 1, 86, 101), [0, 1, 2, 4, 6, 8],
     [0, 1, 4, 6, 8]),
    ("proc_drbd84_emptyfirst.txt", (8, 4, 2, 1, 86, 101), [1, 2, 4, 6, 8],
     [1, 4, 6, 8]),
    ("proc_drbd84_sync.txt", (8, 4, 2, 1, 86, 101), [0, 3, 5], [0, 5]),
])
def test_proc_versions_and_minors(name, version, minors, used):
    info = _proc(name)
    got = info.GetVersion()
    assert (got["k_major"], got["k_minor"], got["k_point"], got["api"],
            got["proto"], got.get("proto2")) == version
    assert info.GetMinors() == minors
    assert sorted(info.GetUsedDevs()) == used


def test_proc_without_version_line():
    info = _proc("proc_drbd80-emptyversion.txt")
    with pytest.raises(errors.BlockDeviceError):
        info.GetVersion()
    assert info.GetMinors() == [0, 1, 2, 5, 6]
    assert info.GetMinorStatus(0).is_connected


def test_proc_minor_states():
    info = _proc("proc_drbd8.txt")
    st0 = info.GetMinorStatus(0)
    assert st0.is_connected and st0.is_primary and st0.peer_secondary
    assert st0.is_disk_uptodate and st0.peer_disk_uptodate
    assert st0.sync_percent is None and st0.est_time is None
    st1 = info.GetMinorStatus(1)
    assert st1.is_secondary and st1.peer_primary
    assert info.GetMinorStatus(2).is_unconfigured
    assert not info.GetMinorStatus(2).is_in_use
    assert info.GetMinorStatus(4).is_wfconn
    assert info.GetMinorStatus(5).rdisk == "Diskless"
    assert info.GetMinorStatus(6).is_diskless
    assert info.GetMinorStatus(8).is_standalone
    assert not info.HasMinorStatus(3)
    with pytest.raises(errors.BlockDeviceError):
        info.GetMinorStatus(3)


@pytest.mark.parametrize("name,minor,percent,est,cstatus", [
    ("proc_drbd83_sync.txt", 3, 34.9, 5, "SyncTarget"),
    ("proc_drbd83_sync_krnl2.6.39.txt", 3, 2.4, 248, "SyncSource"),
    ("proc_drbd83_sync_want.txt", 0, 44.4, 8, "SyncTarget"),
    ("proc_drbd84_sync.txt", 5, 68.5, 5, "SyncSource"),
])
def test_proc_resync(name, minor, percent, est, cstatus):
    st = _proc(name).GetMinorStatus(minor)
    assert st.cstatus == cstatus and st.is_in_resync
    assert not st.is_connected
    assert st.sync_percent == percent
    assert st.est_time == est


def test_usermode_helper_recorded():
    assert drbd_info.ReadUsermodeHelper(
        _path("sys_drbd_usermode_helper.txt")) == "/bin/true"
    with pytest.raises(errors.BlockDeviceError):
        drbd_info.ReadUsermodeHelper("/nonexistent/helper")


# --------------------------------------------------------- drbdsetup show

def test_show_83_full():
    info = drbd_info.ParseShowOutput(_read("bdev-drbd-8.3.txt"))
    assert info["local_dev"] == "/dev/xenvg/test.data"
    assert info["meta_dev"] == "/dev/xenvg/test.meta"
    assert info["meta_index"] == 0
    assert info["local_addr"] == ("192.0.2.1", 11000)
    assert info["remote_addr"] == ("192.0.2.2", 11000)
    assert info["protocol"] == "C"
    assert info["net"]["after-sb-0pri"] == "discard-zero-changes"
    assert info["disk"]["on-io-error"] == "detach"


def test_show_80():
    info = drbd_info.ParseShowOutput(_read("bdev-drbd-8.0.txt"))
    assert info["protocol"] == "A"
    assert info["local_addr"] == ("192.0.2.1", 11000)
    assert info["meta_index"] == 0


def test_show_84():
    info = drbd_info.ParseShowOutput(_read("bdev-drbd-8.4.txt"))
    assert info["local_dev"] == "/dev/xenvg/test.data"
    assert info["meta_dev"] == "/dev/xenvg/test.meta"
    assert info["meta_index"] == 0
    assert info["local_addr"] == ("192.0.2.1", 11000)
    assert info["remote_addr"] == ("192.0.2.2", 11000)
    assert info["net"]["shared-secret"] == "shared_secret_123"
    assert info["disk"]["resync-rate"] == "61440k"
    nodisk = drbd_info.ParseShowOutput(
        _read("bdev-drbd-8.4-no-disk-params.txt"))
    assert "meta_index" not in nodisk
    assert nodisk["meta_dev"] == "/dev/xenvg/test.meta"


def test_show_disk_only_and_net_only():
    disk = drbd_info.ParseShowOutput(_read("bdev-drbd-disk.txt"))
    assert disk["local_dev"] == "/dev/xenvg/test.data"
    assert "local_addr" not in disk and "remote_addr" not in disk
    net4 = drbd_info.ParseShowOutput(_read("bdev-drbd-net-ip4.txt"))
    assert "local_dev" not in net4 and "meta_dev" not in net4
    assert net4["local_addr"] == ("192.0.2.1", 11002)
    net6 = drbd_info.ParseShowOutput(_read("bdev-drbd-net-ip6.txt"))
    assert net6["local_addr"] == ("2001:db8:65::1", 11048)
    assert net6["remote_addr"] == ("2001:db8:66::1", 11048)


@pytest.mark.parametrize("text", ["disk {", "}", "a b", "x { y; ",
                                  'disk "unterminated;'])
def test_show_garbage(text):
    with pytest.raises(errors.BlockDeviceError):
        drbd_info.ParseShowOutput(text)


def test_show_empty():
    assert drbd_info.ParseShowOutput("") == {}


# ------------------------------------------------------------ commands

PARAMS = dict(drbd_info.DEFAULT_PARAMS)


def test_cmdgen_84():
    gen = drbd_info.GetCmdGenerator(_proc("proc_drbd84.txt").GetVersion())
    assert isinstance(gen, drbd_info.CmdGenerator84)
    assert gen.InitMetaCmd(3, "/dev/xenvg/m") == [
        "drbdmeta", "--force", "/dev/drbd3", "v08", "/dev/xenvg/m", "0",
        "create-md"]
    params = dict(PARAMS, **{"disabled-barriers": "bf",
                             "disable-meta-flush": True,
                             "disk-custom": "--al-extents 3389"})
    cmds = gen.LocalInitCmds(3, "/dev/xenvg/d", "/dev/xenvg/m", 1024, params)
    assert cmds[:3] == [
        ["drbdsetup", "new-resource", "resource3"],
        ["drbdsetup", "new-minor", "resource3", "3", "0"],
        ["drbdmeta", "/dev/drbd3", "v08", "/dev/xenvg/m", "0", "apply-al"]]
    assert cmds[3] == [
        "drbdsetup", "attach", "3", "/dev/xenvg/d", "/dev/xenvg/m", "0",
        "--on-io-error", "detach", "--size", "1024m", "--disk-barrier", "no",
        "--disk-flushes", "no", "--md-flushes", "no", "--al-extents", "3389"]
    assert gen.NetInitCmd(3, "ipv4", "192.0.2.1", 11000, "192.0.2.2", 11000,
                          "C", False, "md5", "s3cret", PARAMS) == [
        "drbdsetup", "connect", "resource3", "ipv4:192.0.2.1:11000",
        "ipv4:192.0.2.2:11000", "--protocol", "C", "--after-sb-0pri",
        "discard-zero-changes", "--after-sb-1pri", "consensus",
        "--cram-hmac-alg", "md5", "--shared-secret", "s3cret"]
    net6 = gen.NetInitCmd(1, "ipv6", "2001:db8::1", 11001, "2001:db8::2",
                          11001, "C", True, None, None, PARAMS)
    assert net6[3:5] == ["ipv6:[2001:db8::1]:11001", "ipv6:[2001:db8::2]:11001"]
    assert "--allow-two-primaries" in net6 and "--shared-secret" not in net6
    assert gen.SyncParamsCmd(3, PARAMS) == [
        "drbdsetup", "disk-options", "3", "--resync-rate", "61440",
        "--c-plan-ahead", "0"]
    dyn = gen.SyncParamsCmd(3, dict(PARAMS, **{"dynamic-resync": True}))
    assert dyn[3:] == ["--resync-rate", "61440", "--c-plan-ahead", "20",
                       "--c-fill-target", "0", "--c-delay-target", "1",
                       "--c-max-rate", "61440", "--c-min-rate", "4096"]
    assert gen.PrimaryCmd(3, True) == ["drbdsetup", "primary", "3", "--force"]
    assert gen.SecondaryCmd(3) == ["drbdsetup", "secondary", "3"]
    assert gen.DownCmd(3) == ["drbdsetup", "down", "resource3"]
    assert gen.ShowCmd(3) == ["drbdsetup", "show", "3"]
    assert gen.ResizeCmd(3, 2048) == ["drbdsetup", "resize", "3", "--size",
                                      "2048m"]
    assert gen.DisconnectCmd(3, "ipv4", "a", 1, "b", 1) == [
        "drbdsetup", "disconnect", "ipv4:a:1", "ipv4:b:1"]
    assert gen.PauseSyncCmd(3) == ["drbdsetup", "pause-sync", "3"]


def test_cmdgen_83():
    gen = drbd_info.GetCmdGenerator(_proc("proc_drbd83.txt").GetVersion())
    assert isinstance(gen, drbd_info.CmdGenerator83)
    assert gen.LocalInitCmds(0, "/dev/v/d", "/dev/v/m", None, PARAMS) == [[
        "drbdsetup", "/dev/drbd0", "disk", "/dev/v/d", "/dev/v/m", "0", "-e",
        "detach", "--create-device"]]
    assert gen.NetInitCmd(0, "ipv4", "192.0.2.1", 11000, "192.0.2.2", 11000,
                          "C", False, "md5", "x", PARAMS) == [
        "drbdsetup", "/dev/drbd0", "net", "192.0.2.1:11000", "192.0.2.2:11000",
        "C", "-A", "discard-zero-changes", "-B", "consensus",
        "--create-device", "-a", "md5", "-x", "x"]
    assert gen.SyncParamsCmd(0, PARAMS) == [
        "drbdsetup", "/dev/drbd0", "syncer", "-r", "61440", "--create-device"]
    with pytest.raises(errors.BlockDeviceError):
        gen.SyncParamsCmd(0, dict(PARAMS, **{"dynamic-resync": True}))
    assert gen.DownCmd(0) == ["drbdsetup", "/dev/drbd0", "down"]
    assert gen.PrimaryCmd(0, True) == ["drbdsetup", "/dev/drbd0", "primary",
                                       "-o"]


def test_cmdgen_bad_barriers_and_versions():
    gen = drbd_info.CmdGenerator84()
    with pytest.raises(errors.BlockDeviceError):
        gen.LocalInitCmds(0, "d", "m", None, dict(PARAMS, **{
            "disabled-barriers": "x"}))
    with pytest.raises(errors.BlockDeviceError):
        drbd_info.GetCmdGenerator({"k_major": 9, "k_minor": 0})


# ------------------------------------------------------------- device

class FakeRunner:
    def __init__(self):
        self.rules = []
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
        return utils_process.RunResult(0, None, "", "", line)


class FakeLV(base.BlockDev):
    """A child device backed by a readable file."""

    def __init__(self, path):
        super().__init__(("xenvg", os.path.basename(path)), [], 1024, {})
        self.dev_path = path
        self.attached = True
        self.grown = []

    def Attach(self):
        return True

    def Assemble(self):
        pass

    def Grow(self, amount, dryrun, backingstore, excl_stor):
        self.grown.append((amount, dryrun, backingstore))


@pytest.fixture
def env(monkeypatch, tmp_path):
    runner = FakeRunner()
    monkeypatch.setattr(utils_process, "RunCmd", runner)
    monkeypatch.setattr(drbd, "PROC_FILE", _path("proc_drbd84.txt"))
    monkeypatch.setattr(drbd, "NET_SETUP_TIMEOUT", 0.0)
    data, meta = tmp_path / "data", tmp_path / "meta"
    data.write_bytes(bytes(1024))
    meta.write_bytes(bytes(1024))
    runner.children = [FakeLV(str(data)), FakeLV(str(meta))]
    return runner


LID = ["pnode-uuid", "snode-uuid", 11000, 0, 2, "s3cret"]


def _dyn(minor):
    return {"local-ip": "192.0.2.1", "remote-ip": "192.0.2.2",
            "local-minor": minor, "remote-minor": 7}


def _show(runner, local=True, net=True):
    data, meta = runner.children
    parts = ["resource resource0 {", "  _this_host {"]
    if net:
        parts.append("    address ipv4 192.0.2.1:11000;")
    parts.append("    volume 0 {")
    if local:
        parts += ['      disk "%s";' % data.dev_path,
                  '      meta-disk "%s" [ 0 ];' % meta.dev_path]
    parts += ["    }", "  }"]
    if net:
        parts += ["  _remote_host {", "    address ipv4 192.0.2.2:11000;",
                  "  }"]
    parts.append("}")
    return "\n".join(parts) + "\n"


def test_attach_and_status(env):
    dev = drbd.DRBD8Dev(LID, env.children, 1024, {}, _dyn(0))
    assert dev.attached and dev.dev_path == "/dev/drbd0" and dev.minor == 0
    assert dev.major == 147
    status = dev.GetSyncStatus()
    assert status.is_degraded is False
    assert status.ldisk_status == base.LDS_OKAY
    assert status.sync_percent is None
    free = drbd.DRBD8Dev(LID, env.children, 1024, {}, _dyn(2))
    assert not free.attached and free.dev_path is None
    assert env.calls == []                   # looking changes nothing


@pytest.mark.parametrize("procfile,minor,degraded,ldisk,percent", [
    ("proc_drbd84_sync.txt", 5, True, base.LDS_OKAY, 68.5),
    ("proc_drbd84_sync.txt", 0, True, base.LDS_OKAY, None),
    ("proc_drbd83_sync.txt", 3, True, base.LDS_SYNC, 34.9),
    ("proc_drbd84.txt", 6, True, base.LDS_FAULTY, None),
])
def test_sync_status(env, monkeypatch, procfile, minor, degraded, ldisk,
                     percent):
    monkeypatch.setattr(drbd, "PROC_FILE", _path(procfile))
    dev = drbd.DRBD8Dev(LID, env.children, 1024, {}, _dyn(minor))
    status = dev.CombinedSyncStatus()
    assert status.is_degraded is degraded
    assert status.ldisk_status == ldisk
    assert status.sync_percent == percent


def test_assemble_unconfigured_minor(env):
    env.add(r"^drbdsetup show 2$", _show(env))
    dev = drbd.DRBD8Dev(LID, env.children, 1024, {"resync-rate": 1000},
                        _dyn(2))
    dev.Assemble()
    assert dev.attached and dev.dev_path == "/dev/drbd2"
    data, meta = env.children
    assert env.calls == [
        ["drbdsetup", "new-resource", "resource2"],
        ["drbdsetup", "new-minor", "resource2", "2", "0"],
        ["drbdmeta", "/dev/drbd2", "v08", meta.dev_path, "0", "apply-al"],
        ["drbdsetup", "attach", "2", data.dev_path, meta.dev_path, "0",
         "--on-io-error", "detach", "--size", "1024m"],
        ["drbdsetup", "disk-options", "2", "--resync-rate", "1000",
         "--c-plan-ahead", "0"],
        ["drbdsetup", "connect", "resource2", "ipv4:192.0.2.1:11000",
         "ipv4:192.0.2.2:11000", "--protocol", "C", "--after-sb-0pri",
         "discard-zero-changes", "--after-sb-1pri", "consensus",
         "--cram-hmac-alg", "md5", "--shared-secret", "s3cret"],
        ["drbdsetup", "show", "2"]]


def test_assemble_network_timeout(env):
    env.add(r"^drbdsetup show 2$", _show(env, net=False))
    dev = drbd.DRBD8Dev(LID, env.children, 1024, {}, _dyn(2))
    with pytest.raises(errors.BlockDeviceError) as err:
        dev.Assemble()
    assert "timeout while configuring network" in str(err.value)


def test_assemble_failure_message(env):
    env.add(r"^drbdsetup attach", "", 10, "Failure: (114) Lower device is"
            " already claimed")
    dev = drbd.DRBD8Dev(LID, env.children, 1024, {}, _dyn(2))
    with pytest.raises(errors.BlockDeviceError) as err:
        dev.Assemble()
    assert "drbd2: can't attach local disk" in str(err.value)
    assert "already claimed" in str(err.value)


def test_slow_assemble(env):
    env.add(r"^drbdsetup show 0$", _show(env))
    dev = drbd.DRBD8Dev(LID, env.children, 1024, {}, _dyn(0))
    dev.Assemble()                           # all matches: only looks
    assert env.calls == [["drbdsetup", "show", "0"]]
    env.calls.clear()
    env.add(r"^drbdsetup show 0$", _show(env, net=False))
    env.add(r"^drbdsetup connect", "")
    # the network never shows up in the fake: timeout after connecting
    with pytest.raises(errors.BlockDeviceError):
        dev.Assemble()
    assert ["drbdsetup", "connect"] == env.calls[2][:2]
    env.add(r"^drbdsetup show 0$", "resource r { _this_host { volume 0 {"
            ' disk "/dev/other"; meta-disk "/dev/x" [ 0 ]; } } }')
    with pytest.raises(errors.BlockDeviceError) as err:
        dev.Assemble()
    assert "unknown or unhandled reason" in str(err.value)


def test_open_close_shutdown_grow_pause(env):
    dev = drbd.DRBD8Dev(LID, env.children, 1024, {}, _dyn(0))
    dev.Open(force=True)
    dev.Close()
    dev.Grow(100, False, True, False)        # only the data LV
    dev.Grow(100, True, False, False)        # dry run: data LV only
    dev.Grow(100, False, False, False)       # the DRBD device itself
    assert env.children[0].grown == [(100, False, True), (100, True, False),
                                     (100, False, False)]
    assert dev.PauseResumeSync(True)
    assert dev.PauseResumeSync(False)
    dev.Shutdown()
    assert not dev.attached and dev.minor is None
    assert env.calls == [
        ["drbdsetup", "primary", "0", "--force"],
        ["drbdsetup", "secondary", "0"],
        ["drbdsetup", "resize", "0", "--size", "1124m"],
        ["drbdsetup", "pause-sync", "0"],
        ["drbdsetup", "resume-sync", "0"],
        ["drbdsetup", "down", "resource0"]]


def test_errors_when_not_attached(env):
    dev = drbd.DRBD8Dev(LID, env.children, 1024, {}, _dyn(2))
    with pytest.raises(errors.BlockDeviceError):
        dev.Grow(1, False, False, False)
    with pytest.raises(errors.BlockDeviceError):
        dev.GetSyncStatus()
    assert dev.PauseResumeSync(True) is False
    dev.Shutdown()                           # nothing to do
    dev.Rename(LID[:2] + [11001] + LID[3:])
    assert env.calls == []
    attached = drbd.DRBD8Dev(LID, env.children, 1024, {}, _dyn(0))
    with pytest.raises(errors.ProgrammerError):
        attached.Rename(LID)


def test_create(env):
    meta = env.children[1]
    env.add(r"^blockdev --getsize", "262144\n")
    dev = drbd.DRBD8Dev.Create(LID, env.children, 1024, None, {}, False,
                               _dyn(3))
    assert not dev.attached
    assert env.calls == [
        ["blockdev", "--getsize", meta.dev_path],
        ["drbdmeta", "--force", "/dev/drbd3", "v08", meta.dev_path, "0",
         "create-md"]]
    with pytest.raises(errors.BlockDeviceError) as err:
        drbd.DRBD8Dev.Create(LID, env.children, 1024, None, {}, False,
                             _dyn(0))
    assert "already in use" in str(err.value)
    env.add(r"^blockdev --getsize", "1000\n")
    with pytest.raises(errors.BlockDeviceError) as err:
        drbd.DRBD8Dev.Create(LID, env.children, 1024, None, {}, False,
                             _dyn(3))
    assert "Meta device too small" in str(err.value)
    with pytest.raises(errors.ProgrammerError):
        drbd.DRBD8Dev.Create(LID, env.children[:1], 1024, None, {}, False,
                             _dyn(3))
    with pytest.raises(errors.ProgrammerError):
        drbd.DRBD8Dev.Create(LID, env.children, 1024, None, {}, True,
                             _dyn(3))


def test_drbd83_syntax(env, monkeypatch):
    monkeypatch.setattr(drbd, "PROC_FILE", _path("proc_drbd83.txt"))
    dev = drbd.DRBD8Dev(LID, env.children, 1024, {}, _dyn(0))
    dev.Close()
    dev.Shutdown()
    assert env.calls == [["drbdsetup", "/dev/drbd0", "secondary"],
                         ["drbdsetup", "/dev/drbd0", "down"]]


def test_no_drbd_module(env, monkeypatch, tmp_path):
    monkeypatch.setattr(drbd, "PROC_FILE", str(tmp_path / "no-proc-drbd"))
    with pytest.raises(errors.BlockDeviceError) as err:
        drbd.DRBD8Dev(LID, env.children, 1024, {}, _dyn(0))
    assert "Can't read DRBD status file" in str(err.value)


def test_drbd9_refused(env, monkeypatch, tmp_path):
    proc = tmp_path / "drbd9"
    proc.write_text("version: 9.0.1 (api:2/proto:86-110)\n")
    monkeypatch.setattr(drbd, "PROC_FILE", str(proc))
    with pytest.raises(errors.BlockDeviceError) as err:
        drbd.DRBD8Dev(LID, env.children, 1024, {}, _dyn(0))
    assert "needs 8.x" in str(err.value)


def test_same_local_and_remote_refused(env):
    with pytest.raises(errors.BlockDeviceError):
        drbd.DRBD8Dev(LID, env.children, 1024, {},
                      dict(_dyn(0), **{"remote-ip": "192.0.2.1"}))


def test_helpers(env):
    assert drbd.FindUnusedMinor() == 2
    assert drbd.MinorsInUse()[0] == (0, "Connected")


def test_recorded_instance_disk(env):
    """The drbd disk of instance-disks.txt, found through the node layer
    (its LVs can't be read here, so the device runs diskless)."""
    instance, disks = json.loads(_read("instance-disks.txt"))[0]
    ddict = dict(disks[0], dynamic_params=_dyn(0))
    env.add(r"^lvs ", "  -wi-ao|253|0|4096.00|1|/dev/sda5(0)\n")
    disk = backend_blockdev.ToNodeDisk(ddict)
    assert [c.logical_id[1] for c in disk.children] == [
        "df9ff3f6-a833-48ff-8bd5-bff2eaeab759.disk0_data",
        "df9ff3f6-a833-48ff-8bd5-bff2eaeab759.disk0_meta"]
    status = backend_blockdev.BlockdevFind(ddict)
    assert status["dev_path"] == "/dev/drbd0"
    assert status["minor"] == 0 and status["major"] == 147
    assert status["is_degraded"] is False
    dev = storage.FindDevice(disk, [None, None])
    assert dev.unique_id[2] == 11000
