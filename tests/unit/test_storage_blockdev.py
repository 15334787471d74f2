"""Tests for ganeti.storage.blockdev (adopted block devices).

The adoption tests attach a small file to a loop device (losetup) and
always detach it again; they skip with one line when not root or when the
machine has no loop support.
"""

import os
import shutil
import subprocess

import pytest

from ganeti import errors
from ganeti import objects
from ganeti import storage
from ganeti.storage import blockdev

MIB = 1024 * 1024


def _loop_skip_reason():
    if os.geteuid() != 0:
        return "loop device tests need root"
    if shutil.which("losetup") is None:
        return "losetup is not installed"
    if not os.path.exists("/dev/loop-control") and \
            not os.path.exists("/dev/loop0"):
        return "no loop device support on this machine"
    return None


@pytest.fixture
def loopdev(tmp_path):
    """An 8 MiB loop device, detached at the end of the test."""
    reason = _loop_skip_reason()
    if reason:
        pytest.skip(reason)
    backing = tmp_path / "backing.img"
    with open(backing, "wb") as handle:
        handle.truncate(8 * MIB)
    try:
        out = subprocess.run(["losetup", "--find", "--show", str(backing)],
                             capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.skip("losetup timed out")
    if out.returncode != 0 or not out.stdout.strip():
        pytest.skip("cannot set up a loop device: %s" % out.stderr.strip())
    path = out.stdout.strip()
    try:
        yield path
    finally:
        subprocess.run(["losetup", "-d", path], capture_output=True,
                       timeout=30)


def _disk(path):
    return objects.Disk(dev_type="blockdev", logical_id=["manual", path],
                        size=8, params={}, iv_name="disk/0", uuid="u-b")


def test_path_outside_dev_is_refused(tmp_path):
    with pytest.raises(errors.BlockDeviceError) as err:
        blockdev.PersistentBlockDevice(["manual", str(tmp_path / "x")], [],
                                       1, {})
    assert "lies outside /dev" in str(err.value)


def test_symlink_escaping_dev_is_refused(tmp_path):
    # /dev/fd/N resolves outside /dev for a regular file
    with open(tmp_path / "f", "w") as handle:
        path = "/dev/fd/%d" % handle.fileno()
        with pytest.raises(errors.BlockDeviceError):
            blockdev.PersistentBlockDevice(["manual", path], [], 1, {})


def test_invalid_mode():
    with pytest.raises(errors.BlockDeviceError) as err:
        blockdev.PersistentBlockDevice(["auto", "/dev/sda"], [], 1, {})
    assert "invalid type: auto" in str(err.value)


def test_missing_or_non_block_device_cannot_be_adopted():
    for path in ("/dev/ganeti-test-does-not-exist", "/dev/null"):
        dev = blockdev.PersistentBlockDevice(["manual", path], [], 1, {})
        assert not dev.attached
        with pytest.raises(errors.BlockDeviceError) as err:
            blockdev.PersistentBlockDevice.Create(["manual", path], [], 1,
                                                  None, {}, False, {})
        assert "is not a block device" in str(err.value)
        with pytest.raises(errors.BlockDeviceError):
            dev.Assemble()
        assert storage.FindDevice(_disk(path), []) is None


def test_exclusive_storage_is_a_bug():
    with pytest.raises(errors.ProgrammerError):
        blockdev.PersistentBlockDevice.Create(["manual", "/dev/null"], [], 1,
                                              None, {}, True, {})


def test_sizes_ignore_non_block_devices(tmp_path):
    regular = tmp_path / "file"
    regular.write_bytes(b"x")
    assert blockdev.GetBlockDeviceSizes(
        [str(regular), "/dev/null", "/dev/ganeti-nope", 42]) == {}


def test_adopt_loop_device(loopdev):
    st = os.stat(loopdev)
    dev = blockdev.PersistentBlockDevice.Create(["manual", loopdev], [], 8,
                                                None, {}, False, {})
    assert dev.attached
    assert (dev.major, dev.minor) == (os.major(st.st_rdev),
                                      os.minor(st.st_rdev))
    assert dev.GetActualSize() == 8 * MIB
    assert dev.GetActualDimensions() == (8 * MIB, None)
    dev.Assemble()
    dev.Open()
    dev.Close()
    dev.Shutdown()
    status = dev.CombinedSyncStatus()
    assert status.dev_path == loopdev and status.major == dev.major
    assert status.is_degraded is False
    with pytest.raises(errors.BlockDeviceError):
        dev.Rename(["manual", "/dev/other"])
    with pytest.raises(errors.BlockDeviceError):
        dev.Grow(1, False, True, False)
    dev.Remove()                              # never destroys the device
    assert os.path.exists(loopdev)
    assert blockdev.GetBlockDeviceSizes([loopdev]) == {loopdev: 8}


def test_adopt_through_storage_dispatch(loopdev):
    disk = _disk(loopdev)
    created = storage.Create(disk, [], False)
    assert isinstance(created, blockdev.PersistentBlockDevice)
    found = storage.FindDevice(disk, [])
    assert found is not None and found.dev_path == loopdev
    assert storage.Assemble(disk, []).attached


def test_adopt_through_node_rpc_functions(loopdev, ganeti_root):
    """blockdev_create/assemble/find/close/remove and bdev_sizes on a loop
    device, as noded runs them."""
    from ganeti.backend import blockdev as bb
    from ganeti import pathutils
    disk = _disk(loopdev).ToDict()
    assert bb.GetBlockDevSizes([loopdev, "/dev/null"]) == {loopdev: 8}
    assert bb.BlockdevCreate(disk, 8, "inst1", True, "", False) == [
        "manual", loopdev]
    dev_path, link, uri = bb.BlockdevAssemble(disk, {"name": "inst1"}, True,
                                              0)
    assert dev_path == loopdev and uri is None
    assert link == os.path.join(pathutils.DISK_LINKS_DIR, "inst1:0")
    assert os.readlink(link) == loopdev
    status = bb.BlockdevFind(disk)
    st = os.stat(loopdev)
    assert (status["major"], status["minor"]) == (os.major(st.st_rdev),
                                                  os.minor(st.st_rdev))
    assert bb.BlockdevGetdimensions([disk]) == [[8 * MIB, None]]
    bb.BlockdevClose("inst1", [disk])
    assert not os.path.lexists(link)
    bb.BlockdevShutdown(disk)
    bb.BlockdevRemove(disk)
    assert os.path.exists(loopdev)
