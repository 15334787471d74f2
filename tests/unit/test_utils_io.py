"""Tests for ganeti.utils.io: atomic writes and file helpers."""

import os
import signal
import stat
import subprocess
import sys
import textwrap
import threading

import pytest

from ganeti import errors
from ganeti.utils import io as uio

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

OLD = "old content\n" * 1000
NEW = "NEW CONTENT\n" * 200000  # a few MB: a non-atomic write would be seen


def _RunChildWriter(target, hook_code):
    """Run a child that rewrites target and dies (SIGKILL) inside a hook."""
    code = textwrap.dedent("""
        import os, signal, sys
        sys.path.insert(0, %r)
        from ganeti.utils import io
        def die(*_args):
            os.kill(os.getpid(), signal.SIGKILL)
        %s
        io.WriteFile(%r, data="NEW CONTENT\\n" * 200000, **KW)
        sys.exit(3)  # not reached if the hook fired
    """) % (REPO_ROOT, hook_code, target)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True,
                          timeout=30)
    return proc


@pytest.mark.parametrize("hook_code", [
    "KW = {'postwrite': die}",          # data written+fsynced, not renamed
    "KW = {'prewrite': die}",           # temp file created, nothing written
    "KW = {}\nos.rename = die",         # killed exactly at the rename
])
def test_crash_before_rename_keeps_old_content(tmp_path, hook_code):
    target = str(tmp_path / "config.data")
    uio.WriteFile(target, data=OLD, mode=0o640)
    proc = _RunChildWriter(target, hook_code)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert uio.ReadFile(target) == OLD
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    # Only leftovers are hidden temporary files, never a half-written target.
    leftovers = [n for n in os.listdir(tmp_path) if n != "config.data"]
    assert all(n.startswith(".") for n in leftovers)
    if "postwrite" in hook_code:
        assert len(leftovers) == 1
        assert uio.ReadFile(str(tmp_path / leftovers[0])) == NEW


def test_crash_after_rename_has_complete_new_content(tmp_path):
    target = str(tmp_path / "config.data")
    uio.WriteFile(target, data=OLD)
    proc = _RunChildWriter(target, "KW = {}\n"
                           "_real = os.fsync\n"
                           "_n = [0]\n"
                           "def fsync(fd):\n"
                           "    _real(fd); _n[0] += 1\n"
                           "    if _n[0] == 2: die()\n"  # the directory fsync
                           "os.fsync = fsync")
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert uio.ReadFile(target) == NEW
    assert os.listdir(tmp_path) == ["config.data"]


def test_readers_never_see_partial_content(tmp_path):
    target = str(tmp_path / "f")
    uio.WriteFile(target, data=OLD)
    stop = threading.Event()
    seen = set()

    def reader():
        while not stop.is_set():
            seen.add(len(uio.ReadFile(target)))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(6):
            uio.WriteFile(target, data=NEW if i % 2 == 0 else OLD)
    finally:
        stop.set()
        thread.join()
    assert seen <= {len(OLD), len(NEW)}


def test_write_file_options(tmp_path):
    target = str(tmp_path / "f")
    uio.WriteFile(target, data=b"\x00\x01bin", mode=0o600,
                  atime=1000, mtime=2000)
    st = os.stat(target)
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert (st.st_atime, st.st_mtime) == (1000, 2000)
    assert uio.ReadBinaryFile(target) == b"\x00\x01bin"

    uio.WriteFile(target, fn=lambda fd: os.write(fd, b"via fn"))
    assert uio.ReadFile(target) == "via fn"

    uio.WriteFile(target, data="dry", dry_run=True)
    assert uio.ReadFile(target) == "via fn"
    assert os.listdir(tmp_path) == ["f"]

    uio.WriteFile(target, data="second", backup=True)
    backups = [n for n in os.listdir(tmp_path) if n.startswith("f.backup-")]
    assert len(backups) == 1
    assert uio.ReadFile(str(tmp_path / backups[0])) == "via fn"

    fd = uio.WriteFile(target, data="open", close=False)
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        assert os.read(fd, 10) == b"open"
    finally:
        os.close(fd)


def test_write_file_rejects_bad_arguments(tmp_path):
    with pytest.raises(errors.ProgrammerError):
        uio.WriteFile("relative/path", data="x")
    with pytest.raises(errors.ProgrammerError):
        uio.WriteFile(str(tmp_path / "f"))
    with pytest.raises(errors.ProgrammerError):
        uio.WriteFile(str(tmp_path / "f"), data="x", fn=lambda fd: None)


def test_failed_write_leaves_no_temp_file(tmp_path):
    target = str(tmp_path / "f")
    uio.WriteFile(target, data="keep")

    def boom(_fd):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        uio.WriteFile(target, fn=boom)
    assert os.listdir(tmp_path) == ["f"]
    assert uio.ReadFile(target) == "keep"


def test_read_one_line_file(tmp_path):
    path = str(tmp_path / "one")
    uio.WriteFile(path, data="\n  value  \n\n")
    assert uio.ReadOneLineFile(path) == "value"
    assert uio.ReadOneLineFile(path, strict=True) == "value"
    uio.WriteFile(path, data="a\nb\n")
    assert uio.ReadOneLineFile(path) == "a"
    with pytest.raises(errors.GenericError):
        uio.ReadOneLineFile(path, strict=True)
    uio.WriteFile(path, data="\n\n")
    with pytest.raises(errors.GenericError):
        uio.ReadOneLineFile(path)


def test_remove_and_rename(tmp_path):
    uio.RemoveFile(str(tmp_path / "missing"))
    uio.RemoveDir(str(tmp_path / "missing"))
    src = str(tmp_path / "a")
    uio.WriteFile(src, data="x")
    dst = str(tmp_path / "sub" / "dir" / "b")
    with pytest.raises(OSError):
        uio.RenameFile(src, dst)
    uio.RenameFile(src, dst, mkdir=True, mkdir_mode=0o700)
    assert uio.ReadFile(dst) == "x"
    assert stat.S_IMODE(os.stat(os.path.dirname(dst)).st_mode) == 0o700
    uio.RemoveFile(dst)
    assert not os.path.exists(dst)


def test_ensure_dirs(tmp_path):
    a, b = str(tmp_path / "a"), str(tmp_path / "x" / "b")
    os.mkdir(a, 0o755)
    uio.EnsureDirs([(a, 0o700), (b, 0o750)])
    assert stat.S_IMODE(os.stat(a).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(b).st_mode) == 0o750
    afile = str(tmp_path / "file")
    uio.WriteFile(afile, data="")
    with pytest.raises(errors.GenericError):
        uio.EnsureDirs([(afile, 0o700)])


def test_list_visible_and_tail(tmp_path):
    for name in ("b", "a", ".hidden"):
        uio.WriteFile(str(tmp_path / name), data="")
    assert uio.ListVisibleFiles(str(tmp_path)) == ["a", "b"]
    log = str(tmp_path / "log")
    uio.WriteFile(log, data="".join("line %d\n" % i for i in range(100)))
    assert uio.TailFile(log, lines=3) == ["line 97", "line 98", "line 99"]


def test_path_helpers():
    assert uio.PathJoin("/a", "b", "c") == "/a/b/c"
    with pytest.raises(ValueError):
        uio.PathJoin("/a", "../etc")
    with pytest.raises(ValueError):
        uio.PathJoin("/a", "/etc")
    assert uio.IsNormAbsPath("/a/b")
    assert not uio.IsNormAbsPath("/a/../b")
    assert not uio.IsNormAbsPath("a/b")
    assert uio.IsBelowDir("/srv/ganeti", "/srv/ganeti/file-storage/x")
    assert not uio.IsBelowDir("/srv/ganeti", "/srv/ganeti2/x")
    assert not uio.IsBelowDir("/srv/ganeti", "/srv/ganeti")


def test_file_lock(tmp_path):
    path = str(tmp_path / "lock")
    first = uio.FileLock.Open(path)
    second = uio.FileLock.Open(path)
    try:
        first.Shared()
        second.Shared()
        second.Unlock()
        with pytest.raises(errors.LockError):
            second.Exclusive()
        with pytest.raises(errors.LockError):
            second.Exclusive(blocking=True, timeout=0.05)
        first.Unlock()
        second.Exclusive(blocking=True, timeout=1)
    finally:
        first.Close()
        second.Close()
