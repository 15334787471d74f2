"""Tests for ganeti.backend.blockdev: the node side of the blockdev_*,
bdev_sizes and file_storage_dir_* RPC calls, on file disks (real files
under a relocated root) and through noded's request handler."""

import json
import types
import os

import pytest

from ganeti import backend
from ganeti.backend import blockdev as bb
from ganeti import objects
from ganeti import pathutils
from ganeti.rpc import defs as rpc_defs
from ganeti.server import noded
from ganeti.utils import process as utils_process

MIB = 1024 * 1024
BASE = "/srv/ganeti/file-storage"


@pytest.fixture
def root(ganeti_root):
    os.makedirs(pathutils.CONF_DIR)
    with open(pathutils.FILE_STORAGE_PATHS_FILE, "w") as handle:
        handle.write(BASE + "\n")
    os.makedirs(ganeti_root + BASE)
    return ganeti_root


def _disk(idx=0, size=8, inst="inst1.example.com", dev_type="file"):
    return {"dev_type": dev_type, "size": size, "mode": "rw",
            "logical_id": ["loop", "%s/%s/disk%d" % (BASE, inst, idx)],
            "iv_name": "disk/%d" % idx, "params": {}, "uuid": "uuid-%d" % idx}


def _local(root, path):
    return root + path


@pytest.fixture
def created(root):
    bb.CreateFileStorageDir(BASE + "/inst1.example.com")
    disks = [_disk(0), _disk(1, size=4)]
    for disk in disks:
        assert bb.BlockdevCreate(disk, disk["size"], "inst1.example.com",
                                 True, "originstname+inst1.example.com",
                                 False) == disk["logical_id"]
    return disks


def _call(name, *args):
    """Run an RPC through noded's handler: (http status, [ok, payload])."""
    handler = noded.NodeRequestHandler()
    status, _, body = handler("POST", "/" + name, {},
                              json.dumps(list(args)).encode())
    return status, json.loads(body)


# --------------------------------------------------------- registration

def test_registered_in_noded():
    for name in ("bdev_sizes", "blockdev_create", "blockdev_remove",
                 "blockdev_assemble", "blockdev_shutdown", "blockdev_find",
                 "blockdev_getmirrorstatus", "blockdev_getmirrorstatus_multi",
                 "blockdev_getdimensions", "blockdev_grow", "blockdev_rename",
                 "blockdev_wipe", "blockdev_pause_resume_sync",
                 "blockdev_setinfo", "blockdev_close", "blockdev_open",
                 "blockdev_snapshot", "file_storage_dir_create",
                 "file_storage_dir_remove", "file_storage_dir_rename",
                 "lv_list", "vg_list"):
        assert noded.RPC_CALLS[name] is bb.RPC_CALLS[name], name
        assert name in rpc_defs.CALLS, name


# ------------------------------------------------------------- lifecycle

def test_create_makes_sparse_files_and_cache(root, created):
    path = _local(root, created[0]["logical_id"][1])
    assert os.path.getsize(path) == 8 * MIB
    cache = os.listdir(pathutils.BDEV_CACHE_DIR)
    assert len(cache) == 2
    with open(os.path.join(pathutils.BDEV_CACHE_DIR, sorted(cache)[0])) as fh:
        assert fh.read() == "inst1.example.com primary disk/0\n"


def test_create_twice_fails(root, created):
    with pytest.raises(backend.RPCFail) as err:
        bb.BlockdevCreate(created[0], 8, "inst1", True, "", False)
    assert "Can't create block device: File already existing" in str(err.value)


def test_find_and_mirror_status(root, created):
    status = bb.BlockdevFind(created[0])
    assert status == {"dev_path": _local(root, created[0]["logical_id"][1]),
                      "is_degraded": False, "ldisk_status": 1}
    assert bb.BlockdevFind(_disk(5)) is None
    stats = bb.BlockdevGetmirrorstatus(created)
    assert [s["dev_path"] for s in stats] == [
        _local(root, d["logical_id"][1]) for d in created]
    with pytest.raises(backend.RPCFail) as err:
        bb.BlockdevGetmirrorstatus(created + [_disk(5)])
    assert "Can't find device" in str(err.value)
    multi = bb.BlockdevGetmirrorstatusMulti([created[0], _disk(5)])
    assert multi[0][0] is True and multi[0][1]["is_degraded"] is False
    assert multi[1][0] is False and "Can't find device" in multi[1][1]
    # the master turns the payloads into BlockDevStatus objects
    obj = rpc_defs.CALLS["blockdev_find"].postproc(status)
    assert isinstance(obj, objects.BlockDevStatus)
    assert obj.ldisk_status == 1 and obj.sync_percent is None
    pairs = rpc_defs.CALLS["blockdev_getmirrorstatus_multi"].postproc(multi)
    assert isinstance(pairs[0][1], objects.BlockDevStatus)
    assert pairs[1] == (False, multi[1][1])


def test_assemble_links_and_close(root, created):
    inst = {"name": "inst1.example.com", "hypervisor": "kvm"}
    for idx, disk in enumerate(created):
        dev_path, link, uri = bb.BlockdevAssemble(disk, inst, True, idx)
        assert dev_path == _local(root, disk["logical_id"][1])
        assert link == os.path.join(pathutils.DISK_LINKS_DIR,
                                    "inst1.example.com:%d" % idx)
        assert os.readlink(link) == dev_path and uri is None
    # assembling again keeps (or fixes) the link
    os.remove(os.path.join(pathutils.DISK_LINKS_DIR, "inst1.example.com:1"))
    os.symlink("/nowhere", os.path.join(pathutils.DISK_LINKS_DIR,
                                        "inst1.example.com:1"))
    bb.BlockdevAssemble(created[1], inst, True, 1)
    assert os.readlink(os.path.join(pathutils.DISK_LINKS_DIR,
                                    "inst1.example.com:1")).endswith("disk1")
    # a file disk is not assembled on a secondary node
    assert bb.BlockdevAssemble(created[0], inst, False, 0) == [True, True]
    bb.BlockdevOpen("inst1.example.com", created, True)
    bb.BlockdevClose("inst1.example.com", created)
    assert os.listdir(pathutils.DISK_LINKS_DIR) == []


def test_assemble_missing_and_userspace(root, created):
    inst = {"name": "inst1"}
    with pytest.raises(backend.RPCFail) as err:
        bb.BlockdevAssemble(_disk(7), inst, True, 0)
    assert "Error while assembling disk" in str(err.value)
    userspace = dict(created[0], params={"access": "userspace"})
    with pytest.raises(backend.RPCFail) as err:
        bb.BlockdevAssemble(userspace, inst, True, 0)
    assert "userspace access" in str(err.value)


def test_grow_dimensions_wipe(root, created):
    disk = created[1]
    path = _local(root, disk["logical_id"][1])
    bb.BlockdevGrow(disk, 4, True, True, False)
    assert os.path.getsize(path) == 4 * MIB
    bb.BlockdevGrow(disk, 4, False, False, False)
    assert os.path.getsize(path) == 4 * MIB
    bb.BlockdevGrow(disk, 4, False, True, False)
    assert os.path.getsize(path) == 8 * MIB
    assert bb.BlockdevGetdimensions([disk, _disk(9)]) == [[8 * MIB, None],
                                                          None]
    with open(path, "r+b") as handle:
        handle.write(b"\xff" * (3 * MIB))
    bb.BlockdevWipe(dict(disk, size=8), 1, 1)
    with open(path, "rb") as handle:
        data = handle.read()
    assert len(data) == 8 * MIB                       # never truncated
    assert data[:MIB] == b"\xff" * MIB
    assert data[MIB:2 * MIB] == bytes(MIB)
    assert data[2 * MIB:3 * MIB] == b"\xff" * MIB
    for offset, size, msg in ((-1, 1, "Negative offset"),
                              (0, -1, "Negative size"),
                              (9, 0, "offset is bigger"),
                              (4, 5, "offset and size are bigger")):
        with pytest.raises(backend.RPCFail) as err:
            bb.BlockdevWipe(dict(disk, size=8), offset, size)
        assert msg in str(err.value)
    with pytest.raises(backend.RPCFail) as err:
        bb.BlockdevGrow(_disk(9), 1, False, True, False)
    assert "Cannot find block device" in str(err.value)


def test_rename_setinfo_pause(root, created):
    new_id = ["loop", BASE + "/inst1.example.com/disk7"]
    bb.BlockdevRename([[created[0], new_id]])
    assert os.path.exists(_local(root, new_id[1]))
    assert not os.path.exists(_local(root, created[0]["logical_id"][1]))
    with pytest.raises(backend.RPCFail) as err:
        bb.BlockdevRename([[created[0], new_id]])
    assert "Can't find device" in str(err.value)
    bb.BlockdevSetInfo(created[1], "originstname+x")
    assert bb.BlockdevPauseResumeSync(created[1:] + [_disk(9)], True) == [
        [True, None],
        [False, "Cannot change sync for device disk/9: device not found"]]
    with pytest.raises(backend.RPCFail) as err:
        bb.BlockdevSnapshot(created[1], None, None)
    assert "Cannot snapshot" in str(err.value)


def test_shutdown_and_remove(root, created):
    bb.BlockdevShutdown(created[0])
    assert os.path.exists(_local(root, created[0]["logical_id"][1]))
    for disk in created:
        bb.BlockdevRemove(disk)
        assert not os.path.exists(_local(root, disk["logical_id"][1]))
    bb.BlockdevRemove(created[0])             # already gone: fine
    assert os.listdir(pathutils.BDEV_CACHE_DIR) == []
    bb.RemoveFileStorageDir(BASE + "/inst1.example.com")
    assert not os.path.exists(_local(root, BASE + "/inst1.example.com"))


def test_unsupported_type(root):
    with pytest.raises(backend.RPCFail) as err:
        bb.BlockdevFind({"dev_type": "rbd", "logical_id": ["rbd", "x"],
                         "size": 1})
    assert "Unsupported block device type 'rbd'" in str(err.value)


def test_disk_objects_are_accepted(root, created):
    disk = objects.Disk.FromDict(created[0])
    assert bb.BlockdevFind(disk)["ldisk_status"] == 1


# --------------------------------------------------------- file storage

def test_file_storage_dirs(root):
    inst = BASE + "/inst2"
    bb.CreateFileStorageDir(inst)
    bb.CreateFileStorageDir(inst)                   # exists: fine
    assert os.path.isdir(_local(root, inst))
    bb.RenameFileStorageDir(inst, BASE + "/inst3")
    assert os.path.isdir(_local(root, BASE + "/inst3"))
    bb.RenameFileStorageDir(inst, BASE + "/inst3")  # already renamed
    bb.CreateFileStorageDir(inst)
    with pytest.raises(backend.RPCFail) as err:
        bb.RenameFileStorageDir(inst, BASE + "/inst3")
    assert "both locations exist" in str(err.value)
    with pytest.raises(backend.RPCFail) as err:
        bb.RenameFileStorageDir(BASE + "/nope", BASE + "/nope2")
    assert "is not a directory" in str(err.value)
    with open(_local(root, BASE + "/inst3/f"), "w"):
        pass
    with pytest.raises(backend.RPCFail) as err:
        bb.RemoveFileStorageDir(BASE + "/inst3")
    assert "Cannot remove file storage directory" in str(err.value)
    bb.RemoveFileStorageDir(BASE + "/never-created")
    with open(_local(root, BASE + "/plainfile"), "w"):
        pass
    with pytest.raises(backend.RPCFail) as err:
        bb.CreateFileStorageDir(BASE + "/plainfile")
    assert "is not a directory" in str(err.value)


@pytest.mark.parametrize("path", ["/etc/ganeti/x", "/srv/other/x", BASE,
                                  "relative/dir"])
def test_file_storage_dir_not_allowed(root, path):
    with pytest.raises(backend.RPCFail):
        bb.CreateFileStorageDir(path)
    assert not os.path.exists(_local(root, "/srv/other/x"))


# -------------------------------------------------------------- via noded

def test_noded_round_trip(root):
    assert _call("file_storage_dir_create", BASE + "/inst4") == (200, [True,
                                                                       None])
    disk = _disk(0, 2, "inst4")
    status, answer = _call("blockdev_create", disk, 2, "inst4", True, "",
                           False)
    assert answer == [True, disk["logical_id"]]
    status, answer = _call("blockdev_find", disk)
    assert answer[0] is True and answer[1]["is_degraded"] is False
    status, answer = _call("blockdev_remove", _disk(0, 2, "inst5"))
    assert answer == [True, None]
    status, answer = _call("blockdev_wipe", disk, 0, 5)
    assert answer == [False, "Wipe offset and size are bigger than device"
                      " size"]
    status, answer = _call("file_storage_dir_create", "/etc/x")
    assert answer[0] is False and "not acceptable" in answer[1]


# ------------------------------------------------------------ block sizes

def test_bdev_sizes_skips_other_paths(root, tmp_path):
    regular = tmp_path / "f"
    regular.write_bytes(b"1")
    assert bb.GetBlockDevSizes([str(regular), "/dev/null", "/dev/nope"]) == {}


def test_lv_and_vg_list(monkeypatch):
    def fake(cmd, **kwargs):
        line = " ".join(cmd)
        out = ("  xenvg|4096.00\n" if cmd[0] == "vgs"
               else "  xenvg|a.disk0|1024.00|-wi-ao\n")
        return utils_process.RunResult(0, None, out, "", line)
    monkeypatch.setattr(utils_process, "RunCmd", fake)
    assert bb.ListVolumeGroups() == {"xenvg": 4096}
    assert bb.GetVolumeList(["xenvg"]) == {
        "xenvg/a.disk0": ["1024.00", False, True]}

    def failing(cmd, **kwargs):
        return utils_process.RunResult(5, None, "", "  no lvm", " ".join(cmd))
    monkeypatch.setattr(utils_process, "RunCmd", failing)
    with pytest.raises(backend.RPCFail) as err:
        bb.ListVolumeGroups()
    assert "no lvm" in str(err.value)


class _Reconnecting:
    """A DRBD device whose peer connects at the n-th state check."""

    def __init__(self, checks):
        self.checks, self.attached, self.opened = checks, [], 0

    def AttachNet(self, multimaster):
        self.attached.append(multimaster)

    def GetProcStatus(self):
        self.checks -= 1
        connected = self.checks <= 0
        return types.SimpleNamespace(is_standalone=False, is_connected=connected,
                                     is_in_resync=False)

    def Open(self):
        self.opened += 1


def test_drbd_attach_net_polls_quickly_at_first(monkeypatch):
    device = _Reconnecting(checks=4)
    delays = []
    monkeypatch.setattr(bb, "_FindDisks", lambda disks: [device])
    monkeypatch.setattr(bb.time, "sleep", delays.append)
    bb.DrbdAttachNet([{}], True)
    assert device.attached == [True] and device.opened == 1
    assert len(delays) == 3
    # a peer connecting within a fraction of a second is not waited on for
    # a whole second; later checks back off to at most DRBD_ATTACH_MAX_POLL
    assert delays[0] < 1.0 and delays == sorted(delays)
    assert max(delays) <= bb.DRBD_ATTACH_MAX_POLL
