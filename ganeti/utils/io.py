"""File-system helpers; the only place that writes crash-safe files.

WriteFile writes a temporary file in the target's directory, fsyncs it,
renames it over the target and fsyncs the directory, so a reader (or a node
after a crash) sees either the old or the new content, never a mix.
"""

import fcntl
import os
import shutil
import stat
import tempfile
import time
from typing import Callable, Iterable, List, Optional, Sequence, Union

from ganeti import errors
from ganeti.utils import owners

Data = Union[str, bytes]


def _FsyncDir(path: str) -> None:
    """Flush a directory's entries (the rename) to disk."""
    fd = os.open(path or ".", os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def WriteFile(file_name: str, fn: Optional[Callable[[int], None]] = None,
              data: Optional[Data] = None, mode: Optional[int] = None,
              uid: int = -1, gid: int = -1,
              atime: Optional[float] = None, mtime: Optional[float] = None,
              close: bool = True, dry_run: bool = False, backup: bool = False,
              prewrite: Optional[Callable[[int], None]] = None,
              postwrite: Optional[Callable[[int], None]] = None
              ) -> Optional[int]:
    """Atomically replace file_name with data (or what fn(fd) writes).

    Without uid/gid, the file gets upstream's owner and group where
    upstream's daemon users exist (ganeti.utils.owners).

    prewrite(fd) runs before writing, postwrite(fd) after the data is
    fsynced but before the rename.  With close=False the open fd of the
    new file is returned (caller closes it).  backup=True keeps a copy of
    the old file (see CreateBackup).
    """
    if not os.path.isabs(file_name):
        raise errors.ProgrammerError("Path passed to WriteFile is not"
                                     " absolute: '%s'" % file_name)
    if (fn is None) == (data is None):
        raise errors.ProgrammerError("Exactly one of fn and data must be"
                                     " given to WriteFile")
    if not close and atime is not None:
        raise errors.ProgrammerError("atime/mtime need close=True")
    if (atime is None) != (mtime is None):
        raise errors.ProgrammerError("Both atime and mtime must be given")

    if backup and not dry_run and os.path.isfile(file_name):
        CreateBackup(file_name)

    dir_name, base_name = os.path.split(file_name)
    fd, tmp_name = tempfile.mkstemp(prefix=".%s" % base_name, suffix=".tmp",
                                    dir=dir_name)
    do_remove = True
    result = None
    try:
        if uid == -1 and gid == -1:
            uid, gid = owners.UpstreamOwner(file_name)
        if uid != -1 or gid != -1:
            os.chown(tmp_name, uid, gid)
        if mode is not None:
            os.chmod(tmp_name, mode)
        if prewrite is not None:
            prewrite(fd)
        if data is not None:
            buf = data.encode("utf-8") if isinstance(data, str) else data
            view = memoryview(buf)
            while view:
                view = view[os.write(fd, view):]
        else:
            fn(fd)  # type: ignore[misc]
        os.fsync(fd)
        if postwrite is not None:
            postwrite(fd)
        if atime is not None:
            os.utime(tmp_name, (atime, mtime))  # type: ignore[arg-type]
        if not dry_run:
            os.rename(tmp_name, file_name)
            do_remove = False
            _FsyncDir(dir_name)
    finally:
        if close or do_remove:
            os.close(fd)
        else:
            result = fd
        if do_remove:
            RemoveFile(tmp_name)
    return result


def ReadFile(file_name: str, size: int = -1) -> str:
    """Return the content of a text file (at most size bytes if given)."""
    with open(file_name, "rb") as fh:
        return fh.read(size).decode("utf-8")


def ReadBinaryFile(file_name: str, size: int = -1) -> bytes:
    """Return the raw content of a file."""
    with open(file_name, "rb") as fh:
        return fh.read(size)


def ReadOneLineFile(file_name: str, strict: bool = False) -> str:
    """Return the first non-empty line of a file, stripped.

    strict=True also rejects files with more than one non-empty line.
    """
    lines = [line for line in ReadFile(file_name).splitlines()
             if line.strip()]
    if not lines:
        raise errors.GenericError("No data in one-liner file %s" % file_name)
    if strict and len(lines) > 1:
        raise errors.GenericError("Too many lines in one-liner file %s"
                                  % file_name)
    return lines[0].strip()


def RemoveFile(filename: str) -> None:
    """Remove a file, ignoring a missing one."""
    try:
        os.unlink(filename)
    except FileNotFoundError:
        pass


def RemoveDir(dirname: str) -> None:
    """Remove an empty directory, ignoring a missing one."""
    try:
        os.rmdir(dirname)
    except FileNotFoundError:
        pass


def RenameFile(old: str, new: str, mkdir: bool = False,
               mkdir_mode: int = 0o750, dir_uid: int = -1,
               dir_gid: int = -1) -> None:
    """Rename old to new; with mkdir, create new's directory if missing."""
    try:
        os.rename(old, new)
    except FileNotFoundError:
        parent = os.path.dirname(new)
        if not mkdir or os.path.exists(parent) or not os.path.exists(old):
            raise
        MakeDirWithPerm(parent, mkdir_mode, dir_uid, dir_gid)
        os.rename(old, new)
    _FsyncDir(os.path.dirname(new))


def MakeDirWithPerm(path: str, perm: int, uid: int = -1,
                    gid: int = -1) -> None:
    """Create directory path (parents included) with exactly perm/uid/gid."""
    try:
        os.makedirs(path, perm)
    except FileExistsError:
        if not os.path.isdir(path):
            raise errors.GenericError("%s exists and is not a directory"
                                      % path)
    os.chmod(path, perm)
    if uid == -1 and gid == -1:
        uid, gid = owners.UpstreamOwner(path)
    if uid != -1 or gid != -1:
        os.chown(path, uid, gid)


def EnsureDirs(dirs: Iterable[Sequence]) -> None:
    """Make sure each (path, mode[, uid, gid]) exists as a directory."""
    for entry in dirs:
        path, mode = entry[0], entry[1]
        uid = entry[2] if len(entry) > 2 else -1
        gid = entry[3] if len(entry) > 3 else -1
        try:
            MakeDirWithPerm(path, mode, uid, gid)
        except OSError as err:
            raise errors.GenericError("Cannot create directory %s: %s"
                                      % (path, err))


def CreateBackup(file_name: str) -> str:
    """Copy file_name to '<name>.backup-<timestamp>' beside it; return it."""
    if not os.path.isfile(file_name):
        raise errors.ProgrammerError("Can't make a backup of a non-file '%s'"
                                     % file_name)
    prefix = "%s.backup-%s." % (os.path.basename(file_name),
                                time.strftime("%Y-%m-%d_%H_%M_%S"))
    fd, backup_name = tempfile.mkstemp(prefix=prefix,
                                       dir=os.path.dirname(file_name))
    with os.fdopen(fd, "wb") as dst, open(file_name, "rb") as src:
        shutil.copyfileobj(src, dst)
        dst.flush()
        os.fsync(dst.fileno())
    return backup_name


def ListVisibleFiles(path: str) -> List[str]:
    """Return the sorted names in directory path not starting with a dot."""
    return sorted(name for name in os.listdir(path)
                  if not name.startswith("."))


def TailFile(file_name: str, lines: int = 20) -> List[str]:
    """Return the last lines of a text file (for error reports)."""
    with open(file_name, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - 4096 * max(lines, 1)))
        data = fh.read().decode("utf-8", "replace")
    return data.splitlines()[-lines:] if lines > 0 else []


def PathJoin(*args: str) -> str:
    """Join path components and refuse results that escape the first one."""
    if not args:
        raise errors.ProgrammerError("PathJoin needs arguments")
    root = args[0]
    result = os.path.join(*args)
    if not IsNormAbsPath(result):
        raise ValueError("Invalid parameters to PathJoin: '%s'" % str(args))
    if not IsBelowDir(root, result) and result != os.path.normpath(root):
        raise ValueError("Error: path joining resulted in different prefix"
                         " (%s != %s)" % (result, root))
    return result


def IsNormAbsPath(path: str) -> bool:
    """Whether path is absolute and already normalized."""
    return os.path.isabs(path) and os.path.normpath(path) == path \
        and not path.startswith("//")


def IsBelowDir(root: str, other_path: str) -> bool:
    """Whether other_path is strictly below directory root (lexically)."""
    root = os.path.normpath(root)
    other = os.path.normpath(other_path)
    if root == "/":
        return other != "/"
    return other.startswith(root + "/")


def IsDirWritable(path: str) -> bool:
    """Whether path is a directory we can create files in."""
    return os.path.isdir(path) and os.access(path, os.W_OK | os.X_OK)


def FileStat(path: str) -> Optional[os.stat_result]:
    """stat() that returns None for a missing path."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


def IsRegularFile(path: str) -> bool:
    """Whether path exists and is a regular file (symlinks followed)."""
    st = FileStat(path)
    return st is not None and stat.S_ISREG(st.st_mode)


class FileLock:
    """An flock(2)-based lock on a file (inherited across fork/exec)."""

    def __init__(self, fd: int, filename: str) -> None:
        self.fd = fd
        self.filename = filename

    @classmethod
    def Open(cls, filename: str) -> "FileLock":
        """Open (creating if needed) filename for locking."""
        fd = os.open(filename, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o664)
        return cls(fd, filename)

    def _Lock(self, flag: int, blocking: bool, timeout: Optional[float],
              errmsg: str) -> None:
        if not blocking:
            flag |= fcntl.LOCK_NB
            timeout = None
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.01
        while True:
            try:
                fcntl.flock(self.fd, flag if deadline is None
                            else flag | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if deadline is None or time.monotonic() >= deadline:
                    raise errors.LockError(errmsg)
                time.sleep(delay)
                delay = min(delay * 2, 0.2)

    def Exclusive(self, blocking: bool = False,
                  timeout: Optional[float] = None) -> None:
        """Take the lock exclusively; raise LockError if unavailable."""
        self._Lock(fcntl.LOCK_EX, blocking, timeout,
                   "Failed to lock %s exclusively" % self.filename)

    def Shared(self, blocking: bool = False,
               timeout: Optional[float] = None) -> None:
        """Take the lock in shared mode; raise LockError if unavailable."""
        self._Lock(fcntl.LOCK_SH, blocking, timeout,
                   "Failed to lock %s in shared mode" % self.filename)

    def Unlock(self) -> None:
        """Release the lock (the file stays open)."""
        fcntl.flock(self.fd, fcntl.LOCK_UN)

    def Close(self) -> None:
        """Close the file, releasing the lock."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None  # type: ignore[assignment]


def LockFile(fd: int) -> None:
    """Take a non-blocking exclusive flock on fd or raise LockError."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise errors.LockError("File already locked")

