"""Tests for the node side of blockdev_convert, blockdev_image,
blockdev_addchildren/removechildren (ganeti.backend.blockdev_extra),
get_file_info and node_configure_ovs (ganeti.backend.node_extra) and
resize_disk (ganeti.backend.instance), through noded's request handler on
file disks below a relocated root."""

import json
import os
import stat

import pytest

from ganeti.backend import RPCFail
from ganeti.backend import blockdev as bb
from ganeti.backend import blockdev_extra as bx
from ganeti.backend import instance as bi
from ganeti.backend import node_extra as bs
from ganeti import hypervisor
from ganeti import pathutils
from ganeti.hypervisor import hv_fake
from ganeti.rpc import defs as rpc_defs
from ganeti.server import noded
from ganeti.storage import drbd

from test_backend_instance import _idict

MIB = 1024 * 1024
BASE = "/srv/ganeti/file-storage"
INST = "inst1.example.com"
NEW_CALLS = ("blockdev_convert", "blockdev_image", "blockdev_addchildren",
             "blockdev_removechildren", "get_file_info",
             "node_configure_ovs", "resize_disk")


def _call(name, *args):
    """Run an RPC through noded's handler: (http status, [ok, payload])."""
    handler = noded.NodeRequestHandler()
    status, _, body = handler("POST", "/" + name, {},
                              json.dumps(list(args)).encode())
    return status, json.loads(body)


def _disk(idx, size=4):
    return {"dev_type": "file", "size": size, "mode": "rw",
            "logical_id": ["loop", "%s/%s/disk%d" % (BASE, INST, idx)],
            "iv_name": "disk/%d" % idx, "params": {}, "uuid": "uuid-%d" % idx}


@pytest.fixture
def root(ganeti_root):
    os.makedirs(pathutils.CONF_DIR)
    with open(pathutils.FILE_STORAGE_PATHS_FILE, "w") as handle:
        handle.write(BASE + "\n")
    os.makedirs(ganeti_root + BASE)
    bb.CreateFileStorageDir(BASE + "/" + INST)
    return ganeti_root


def _create(root, disk):
    bb.BlockdevCreate(disk, disk["size"], INST, True, "", False)
    return root + disk["logical_id"][1]


def _write(path, data, offset=0):
    with open(path, "r+b") as handle:
        handle.seek(offset)
        handle.write(data)


def _read(path):
    with open(path, "rb") as handle:
        return handle.read()


def test_every_new_call_is_served_and_declared():
    for name in NEW_CALLS:
        assert name in noded.RPC_CALLS, name
        assert name in rpc_defs.CALLS, name
    assert noded.RPC_CALLS["blockdev_convert"] is bx.BlockdevConvert
    assert noded.RPC_CALLS["get_file_info"] is bs.GetFileInfo
    assert noded.RPC_CALLS["resize_disk"] is bi.ResizeDisk


# ------------------------------------------------------------ get_file_info

def test_get_file_info(root):
    path = BASE + "/" + INST + "/some.img"
    with open(root + path, "wb") as handle:
        handle.write(b"x" * 1234)
    assert _call("get_file_info", path) == (200, [True, [True,
                                                         {"size": 1234}]])
    assert _call("get_file_info", path + ".missing") == \
        (200, [True, [False, {}]])


# ------------------------------------------------------------ convert

def test_convert_copies_the_data_and_keeps_the_target_size(root):
    src_path = _create(root, _disk(0, size=2))
    dst_path = _create(root, _disk(1, size=3))
    payload = os.urandom(2 * MIB)
    _write(src_path, payload)
    _write(dst_path, b"tail", 3 * MIB - 4)
    assert _call("blockdev_convert", _disk(0, 2), _disk(1, 3)) == \
        (200, [True, None])
    data = _read(dst_path)
    assert len(data) == 3 * MIB
    assert data[:2 * MIB] == payload and data[-4:] == b"tail"


def test_convert_refuses_missing_devices(root):
    _create(root, _disk(0))
    assert _call("blockdev_convert", _disk(0), _disk(5)) == \
        (200, [False, "Cannot copy to device 'uuid-5': device not found"])
    assert _call("blockdev_convert", _disk(7), _disk(0)) == \
        (200, [False, "Cannot copy from device 'uuid-7': device not found"])


def test_convert_reports_a_failing_copy(root, monkeypatch):
    _create(root, _disk(0))
    _create(root, _disk(1))
    monkeypatch.setattr(bx, "DD_CMD", "false")
    status, (ok, msg) = _call("blockdev_convert", _disk(0), _disk(1))
    assert (status, ok) == (200, False)
    assert msg.startswith("Disk conversion command 'false if=")
    assert "exited with error: exited with exit code 1" in msg


# -------------------------------------------------------------- image

def test_image_writes_the_file_at_the_start(root):
    path = _create(root, _disk(0, size=4))
    _write(path, b"keep", 3 * MIB)
    image = root + "/image.raw"
    content = os.urandom(MIB + 100)
    with open(image, "wb") as handle:
        handle.write(content)
    assert _call("blockdev_image", _disk(0), image, 2) == (200, [True, None])
    data = _read(path)
    assert len(data) == 4 * MIB
    assert data[:len(content)] == content
    assert data[3 * MIB:3 * MIB + 4] == b"keep"


def test_image_errors(root):
    _create(root, _disk(0, size=4))
    image = root + "/image.raw"
    with open(image, "wb") as handle:
        handle.write(b"x")
    assert _call("blockdev_image", _disk(0), "/no/such.img", 1) == \
        (200, [False, "Image '/no/such.img' not found"])
    assert _call("blockdev_image", _disk(3), image, 1) == \
        (200, [False, "Cannot image device disk/3: device not found"])
    assert _call("blockdev_image", _disk(0), image, -1) == \
        (200, [False, "Negative size"])
    assert _call("blockdev_image", _disk(0), image, 5) == \
        (200, [False, "Image size is bigger than device size"])


def test_download_image_pipes_curl_into_the_device(root):
    path = _create(root, _disk(0, size=2))
    image = root + "/remote.raw"
    with open(image, "wb") as handle:
        handle.write(b"downloaded" * 1000)
    assert bx.IsUrl("http://example.org/x.img")
    assert not bx.IsUrl("/srv/x.img")
    bx.DownloadImage("file://" + image, path, 1)   # curl, no network
    assert _read(path)[:10000] == b"downloaded" * 1000
    with pytest.raises(RPCFail, match="Download and dump command"):
        bx.DownloadImage("file://" + image + ".gone", path, 1)


# ------------------------------------------------ add/remove children

def test_children_calls_need_the_parent(root):
    _create(root, _disk(0))
    # (how a disk is printed inside the messages is the disk formatter's)
    status, (ok, msg) = _call("blockdev_addchildren", _disk(4), [_disk(0)])
    assert (status, ok) == (200, False)
    assert msg.startswith("Can't find parent device '")
    assert msg.endswith("' in add children") and "disk4" in msg
    status, (ok, msg) = _call("blockdev_removechildren", _disk(4),
                              [_disk(0)])
    assert not ok and msg.startswith("Can't find parent device '")
    assert msg.endswith("' in remove children")
    status, (ok, msg) = _call("blockdev_addchildren", _disk(0), [_disk(6)])
    assert not ok and msg.startswith("Can't find new device(s) to add: ")
    status, (ok, msg) = _call("blockdev_removechildren", _disk(0),
                              [_disk(6)])
    assert not ok and msg.startswith("Can't find device ") and \
        "disk6" in msg and msg.endswith(" while removing children")


def test_children_of_a_file_disk_are_refused(root):
    _create(root, _disk(0))
    _create(root, _disk(1))
    status, (ok, msg) = _call("blockdev_addchildren", _disk(0), [_disk(1)])
    assert (status, ok) == (200, False)
    assert msg.startswith("Error while executing backend function: ")
    assert "FileStorage has no children to add" in msg


class _Drbd:
    """A DRBD8Dev's state as its children methods see it."""

    def __init__(self, local_dev, children=()):
        self.minor, self._aminor, self.size = 3, 3, 128
        self._info = {"local_dev": local_dev} if local_dev else {}
        self._children = list(children)
        self.calls = []
        self._cmd = self

    def InitMetaCmd(self, minor, meta):
        return ["drbdmeta", "--force", "/dev/drbd%d" % minor, "v08", meta,
                "0", "create-md"]

    def _ShowInfo(self, minor):
        return self._info

    def _AssembleLocal(self, minor, data, meta, size, minor_exists=False):
        self.calls.append(("attach", minor, data, meta, size))

    def _ShutdownLocal(self, minor):
        self.calls.append(("detach", minor))


class _Lv:
    def __init__(self, path):
        self.dev_path = path


def test_drbd_add_children(monkeypatch):
    ran = []
    monkeypatch.setattr(drbd, "CheckMetaSize", lambda path: None)
    monkeypatch.setattr(drbd, "_Run", lambda cmd: ran.append(cmd) or
                        type("R", (), {"failed": False, "output": ""})())
    data, meta = _Lv("/dev/xenvg/d"), _Lv("/dev/xenvg/m")
    dev = _Drbd(None)
    drbd.DRBD8Dev.AddChildren(dev, [data, meta])
    assert ran == [["drbdmeta", "--force", "/dev/drbd3", "v08",
                    "/dev/xenvg/m", "0", "create-md"]]
    assert dev.calls == [("attach", 3, "/dev/xenvg/d", "/dev/xenvg/m", 128)]
    assert dev._children == [data, meta]
    with pytest.raises(Exception, match="already attached to a local disk"):
        drbd.DRBD8Dev.AddChildren(_Drbd("/dev/xenvg/d"), [data, meta])
    with pytest.raises(Exception, match="need two devices for AddChildren"):
        drbd.DRBD8Dev.AddChildren(_Drbd(None), [data])


def test_drbd_remove_children():
    data, meta = _Lv("/dev/xenvg/d"), _Lv("/dev/xenvg/m")
    dev = _Drbd("/dev/xenvg/d", [data, meta])
    with pytest.raises(Exception, match=r"mismatch in local storage "
                       r"\(/dev/xenvg/x != /dev/xenvg/d\)"):
        drbd.DRBD8Dev.RemoveChildren(dev, [_Lv("/dev/xenvg/x"), meta])
    with pytest.raises(Exception, match="need two children"):
        drbd.DRBD8Dev.RemoveChildren(dev, [data])
    drbd.DRBD8Dev.RemoveChildren(dev, [data, meta])
    assert dev.calls == [("detach", 3)] and dev._children == []
    diskless = _Drbd(None)
    drbd.DRBD8Dev.RemoveChildren(diskless, [data, meta])
    assert diskless.calls == []                  # nothing attached: no-op


def test_static_dev_path_of_lvs():
    lv = bb.ToNodeDisk({"dev_type": "plain", "logical_id": ["xenvg", "d"]})
    assert bx._StaticDevPath(lv) == "/dev/xenvg/d"
    assert bx._StaticDevPath(bb.ToNodeDisk(_disk(0))) is None


# --------------------------------------------------------- configure_ovs

def _FakeTool(directory, exit_code=0):
    """An ovs-vsctl that logs its arguments (and fails if asked to)."""
    tool = os.path.join(directory, "ovs-vsctl")
    with open(tool, "w") as handle:
        handle.write("#!/bin/sh\necho \"$@\" >> %s/ovs.log\necho told $1\n"
                     "exit %d\n" % (directory, exit_code))
    os.chmod(tool, stat.S_IRWXU)
    return os.path.join(directory, "ovs.log")


def test_configure_ovs(tmp_path, monkeypatch):
    log = _FakeTool(str(tmp_path))
    monkeypatch.setenv("PATH", "%s:/usr/bin:/bin" % tmp_path)
    assert _call("node_configure_ovs", "switch1", "eth1") == \
        (200, [True, None])
    assert _call("node_configure_ovs", "switch2", "") == (200, [True, None])
    with open(log) as handle:
        assert handle.read().splitlines() == [
            "add-br switch1", "add-port switch1 eth1", "add-br switch2"]


def test_configure_ovs_failures(tmp_path, monkeypatch):
    _FakeTool(str(tmp_path), exit_code=3)
    monkeypatch.setenv("PATH", "%s:/usr/bin:/bin" % tmp_path)
    assert _call("node_configure_ovs", "switch1", "eth1") == \
        (200, [False, "Failed to create openvswitch. Script return value: 3,"
               " output: 'told add-br\n'"])
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    status, (ok, msg) = _call("node_configure_ovs", "switch1", "eth1")
    assert (status, ok) == (200, False)
    assert msg.startswith("Error while executing backend function: Can't"
                          " execute 'ovs-vsctl add-br switch1': not found")


# ----------------------------------------------------------- resize_disk

def test_resize_disk_fake_and_unsupported(ganeti_root, monkeypatch):
    here = hv_fake.FakeHypervisor()
    monkeypatch.setattr(hypervisor, "GetHypervisor", lambda name: here)
    assert _call("resize_disk", _idict(), _disk(0), 2048) == \
        (200, [True, None])

    class _NoResize(hv_fake.FakeHypervisor):
        NAME = "xen-pvm"
        ResizeDisk = hv_fake.hv_base.BaseHypervisor.ResizeDisk
    monkeypatch.setattr(hypervisor, "GetHypervisor",
                        lambda name: _NoResize())
    assert _call("resize_disk", _idict(), _disk(0), 2048) == \
        (200, [False, "Failed to resize disk: Online disk resize is not"
               " supported by the xen-pvm hypervisor"])
    assert _call("resize_disk", _idict(), "disk0", 2048) == \
        (200, [False, "Invalid disk description 'disk0'"])
