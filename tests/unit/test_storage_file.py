"""Tests for ganeti.storage.filestorage (file and sharedfile disks)."""

import os

import pytest

from ganeti import errors
from ganeti import objects
from ganeti import pathutils
from ganeti import storage
from ganeti.storage import base
from ganeti.storage import filestorage

MIB = 1024 * 1024


@pytest.fixture
def fsroot(ganeti_root):
    """A root with /srv/ganeti/file-storage allowed (written un-rooted, as
    an administrator of a relocated node would)."""
    os.makedirs(pathutils.CONF_DIR)
    with open(pathutils.FILE_STORAGE_PATHS_FILE, "w") as handle:
        handle.write("# allowed dirs\n\n/srv/ganeti/file-storage\n"
                     "/srv/ganeti/shared-file-storage\n")
    fdir = os.path.join(ganeti_root, "srv/ganeti/file-storage/inst1")
    os.makedirs(fdir)
    return fdir


def _disk(path, size=16, dev_type="file"):
    return objects.Disk(dev_type=dev_type, logical_id=["loop", path],
                        size=size, params={}, iv_name="disk/0", uuid="u-1")


# --------------------------------------------------------- allowed paths

def test_load_allowed_paths_skips_comments(fsroot):
    assert filestorage.LoadAllowedFileStoragePaths() == [
        "/srv/ganeti/file-storage", "/srv/ganeti/shared-file-storage"]


def test_missing_paths_file_allows_nothing(ganeti_root):
    assert filestorage.LoadAllowedFileStoragePaths() == []
    with pytest.raises(errors.FileStoragePathError) as err:
        filestorage.CheckFileStoragePathAcceptance("/srv/x/y")
    assert "not accessible" in str(err.value)


@pytest.mark.parametrize("path,ok", [
    ("/srv/ganeti/file-storage/inst1/disk0", True),
    ("/srv/ganeti/file-storage/inst1", True),
    ("/srv/ganeti/file-storage", False),            # not below it
    ("/srv/ganeti/file-storage-other/x", False),
    ("/srv/ganeti", False),
    ("/etc/ganeti/x", False),
])
def test_acceptance(tmp_path, path, ok):
    allowed = tmp_path / "paths"
    allowed.write_text("/srv/ganeti/file-storage\n")
    if ok:
        filestorage.CheckFileStoragePathAcceptance(path, filename=str(allowed))
    else:
        with pytest.raises(errors.FileStoragePathError):
            filestorage.CheckFileStoragePathAcceptance(path,
                                                       filename=str(allowed))


def test_acceptance_exact_match(tmp_path):
    allowed = tmp_path / "paths"
    allowed.write_text("/srv/ganeti/file-storage\n")
    filestorage.CheckFileStoragePathAcceptance(
        "/srv/ganeti/file-storage", filename=str(allowed), exact_match_ok=True)


def test_forbidden_prefix_even_if_listed(tmp_path):
    allowed = tmp_path / "paths"
    allowed.write_text("/\n/usr\n")
    with pytest.raises(errors.FileStoragePathError) as err:
        filestorage.CheckFileStoragePathAcceptance("/usr/bin",
                                                   filename=str(allowed))
    assert "forbidden" in str(err.value)


def test_compute_wrong_paths():
    wrong = filestorage.ComputeWrongFileStoragePaths(
        ["/", "/usr", "/usr/local", "/usr/lib", "/etc", "/srv/ganeti/fs",
         "relative/path", "/srv//x", "/home/storage", "/var/lib/data"])
    assert wrong == sorted(["/", "/usr", "/usr/local", "/usr/lib", "/etc",
                            "relative/path", "/srv//x"])


# ---------------------------------------------------------------- device

def test_create_sparse_file(fsroot):
    path = os.path.join(fsroot, "disk0")
    dev = filestorage.FileStorage.Create(["loop", path], [], 128, None, {},
                                         False, {})
    st = os.stat(path)
    assert st.st_size == 128 * MIB
    assert st.st_blocks * 512 < MIB          # sparse
    assert dev.attached and dev.dev_path == path
    assert dev.GetActualSize() == 128 * MIB
    assert dev.GetActualDimensions() == (128 * MIB, None)
    status = dev.GetSyncStatus()
    assert status.dev_path == path and status.is_degraded is False
    assert status.ldisk_status == base.LDS_OKAY


def test_create_refuses_existing_and_not_allowed(fsroot, ganeti_root):
    path = os.path.join(fsroot, "disk0")
    open(path, "w").close()
    with pytest.raises(errors.BlockDeviceError) as err:
        filestorage.FileStorage.Create(["loop", path], [], 1, None, {},
                                       False, {})
    assert "File already existing" in str(err.value)
    other = os.path.join(ganeti_root, "tmp-disk")
    with pytest.raises(errors.BlockDeviceError) as err:
        filestorage.FileStorage.Create(["loop", other], [], 1, None, {},
                                       False, {})
    assert "not acceptable" in str(err.value)
    assert not os.path.exists(other)


def test_create_exclusive_storage_is_a_bug(fsroot):
    with pytest.raises(errors.ProgrammerError):
        filestorage.FileStorage.Create(
            ["loop", os.path.join(fsroot, "d")], [], 1, None, {}, True, {})


def test_create_without_directory_fails(fsroot):
    path = os.path.join(fsroot, "missing-dir", "disk0")
    with pytest.raises(errors.BlockDeviceError) as err:
        filestorage.FileStorage.Create(["loop", path], [], 1, None, {},
                                       False, {})
    assert "Error in file creation" in str(err.value)


def test_unrooted_path_is_localized(fsroot, ganeti_root):
    """The master sends /srv/...; a relocated node uses <root>/srv/..."""
    dev = filestorage.FileStorage.Create(
        ["loop", "/srv/ganeti/file-storage/inst1/disk1"], [], 1, None, {},
        False, {})
    assert dev.dev_path == os.path.join(fsroot, "disk1")
    assert dev.unique_id == ("loop", "/srv/ganeti/file-storage/inst1/disk1")
    assert os.path.isfile(dev.dev_path)


def test_grow(fsroot):
    path = os.path.join(fsroot, "disk0")
    dev = filestorage.FileStorage.Create(["blktap", path], [], 10, None, {},
                                         False, {})
    dev.Grow(5, False, False, False)        # not the backing store: no-op
    assert os.path.getsize(path) == 10 * MIB
    dev.Grow(5, True, True, False)          # dry run
    assert os.path.getsize(path) == 10 * MIB
    dev.Grow(5, False, True, False)
    assert os.path.getsize(path) == 15 * MIB
    with pytest.raises(errors.BlockDeviceError):
        dev.Grow(-1, False, True, False)


def test_assemble_remove_rename(fsroot):
    path = os.path.join(fsroot, "disk0")
    dev = filestorage.FileStorage(["loop", path], [], 1, {})
    assert not dev.attached
    with pytest.raises(errors.BlockDeviceError) as err:
        dev.Assemble()
    assert "does not exist" in str(err.value)
    dev = filestorage.FileStorage.Create(["loop", path], [], 1, None, {},
                                         False, {})
    dev.Assemble()
    dev.Open()
    dev.Close()
    dev.Shutdown()
    assert os.path.exists(path)
    new = os.path.join(fsroot, "disk9")
    dev.Rename(["loop", new])
    assert dev.dev_path == new and dev.unique_id == ("loop", new)
    assert os.path.exists(new) and not os.path.exists(path)
    dev.Remove()
    assert not os.path.exists(new)
    dev.Remove()                            # already gone: fine


def test_invalid_logical_id(fsroot):
    with pytest.raises(errors.BlockDeviceError):
        filestorage.FileStorage(["loop"], [], 1, {})


def test_storage_dispatch_file_and_sharedfile(fsroot, ganeti_root):
    shared = os.path.join(ganeti_root, "srv/ganeti/shared-file-storage/i")
    os.makedirs(shared)
    for dev_type, path in (("file", os.path.join(fsroot, "a")),
                           ("sharedfile", os.path.join(shared, "b"))):
        disk = _disk(path, 4, dev_type)
        assert storage.FindDevice(disk, []) is None
        dev = storage.Create(disk, [], False)
        assert isinstance(dev, filestorage.FileStorage)
        found = storage.FindDevice(disk, [])
        assert found is not None and found.dev_path == path
        assert storage.Assemble(disk, []).attached


def test_unsupported_dev_type():
    disk = objects.Disk(dev_type="rbd", logical_id=["rbd", "x"], size=1)
    with pytest.raises(errors.BlockDeviceError) as err:
        storage.FindDevice(disk, [])
    assert "Unsupported block device type 'rbd'" in str(err.value)
