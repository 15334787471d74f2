"""File-backed disks (disk templates ``file`` and ``sharedfile``).

A file disk's logical_id is ``[driver, path]``; the driver (``loop``,
``blktap``, ``blktap2``) only matters to the hypervisor.  The files are sparse
and live below the cluster's file_storage_dir (or shared_file_storage_dir for
sharedfile), one directory per instance.

For safety a node only touches paths below a directory listed in its own
``/etc/ganeti/file-storage-paths`` (one absolute path per line, written by
the administrator on every node; Ganeti never distributes it), and never
system directories such as /etc or /usr/bin (see ComputeWrongFileStoragePaths).
"""

import errno
import logging
import os
from typing import Any, Dict, Iterable, List, Optional, Sequence

from ganeti import errors
from ganeti import pathutils
from ganeti.storage import base
from ganeti.utils import io as utils_io

# Never acceptable as (or as a parent of) a file storage directory.
_FORBIDDEN_BASE = ["/", "/bin", "/boot", "/dev", "/etc", "/etc/ganeti",
                   "/home", "/proc", "/root", "/sys"]
_FORBIDDEN_SUBDIRS = ["bin", "lib", "lib32", "lib64", "sbin"]


def _ForbiddenPaths() -> frozenset:
    paths = set(_FORBIDDEN_BASE)
    for prefix in ("", "/usr", "/usr/local"):
        paths.update("%s/%s" % (prefix, sub) for sub in _FORBIDDEN_SUBDIRS)
    paths.update([pathutils.DATA_DIR, pathutils.CONF_DIR, pathutils.RUN_DIR,
                  pathutils.LOG_DIR])
    return frozenset(os.path.normpath(p) for p in paths)


def ComputeWrongFileStoragePaths(paths: Iterable[str]) -> List[str]:
    """The paths that may not be used for file storage, sorted.

    A path is wrong when it is not a normalised absolute path, is a
    forbidden system directory, or contains one (e.g. "/usr").
    """
    forbidden = _ForbiddenPaths()
    wrong = []
    for path in paths:
        if not utils_io.IsNormAbsPath(path) or path in forbidden or \
                any(utils_io.IsBelowDir(path, fpath) for fpath in forbidden):
            wrong.append(path)
    return sorted(set(wrong))


def _AllowedPathsFile(filename: Optional[str]) -> str:
    return filename or pathutils.FILE_STORAGE_PATHS_FILE  # noqa: F821


def LoadAllowedFileStoragePaths(filename: Optional[str] = None) -> List[str]:
    """The directories listed in the file-storage-paths file.

    Blank lines and lines starting with "#" are skipped; an unreadable file
    gives no paths (so nothing is allowed).
    """
    filename = _AllowedPathsFile(filename)
    try:
        text = utils_io.ReadFile(filename)
    except EnvironmentError as err:
        logging.warning("Can't read the allowed file storage paths from %s:"
                        " %s", filename, err)
        return []
    paths = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            paths.append(line)
    return paths


def CheckFileStoragePathAcceptance(path: str, filename: Optional[str] = None,
                                   exact_match_ok: bool = False) -> None:
    """Raise FileStoragePathError unless path may hold file storage.

    It must be below (or, with exact_match_ok, equal to) one of the allowed
    directories, none of which may be forbidden.
    """
    filename = _AllowedPathsFile(filename)
    allowed = [base.LocalizePath(os.path.normpath(p))
               for p in LoadAllowedFileStoragePaths(filename)
               if os.path.isabs(p)]
    if not allowed:
        raise errors.FileStoragePathError(
            "No paths are valid or path file '%s' was not accessible."
            % filename)
    if ComputeWrongFileStoragePaths([os.path.normpath(path)]) or \
            not os.path.isabs(path):
        raise errors.FileStoragePathError(
            "Path '%s' uses a forbidden prefix" % path)
    norm = os.path.normpath(path)
    for adir in allowed:
        if utils_io.IsBelowDir(adir, norm) or (exact_match_ok and adir == norm):
            return
    raise errors.FileStoragePathError(
        "Path '%s' is not acceptable for file storage" % path)


def CheckFileStoragePath(path: str, filename: Optional[str] = None) -> None:
    """Like CheckFileStoragePathAcceptance, as a BlockDeviceError."""
    try:
        CheckFileStoragePathAcceptance(path, filename=filename)
    except errors.FileStoragePathError as err:
        base.ThrowError(str(err))


# ------------------------------------------------------------- the device

class FileStorage(base.BlockDev):
    """A disk kept in a (sparse) regular file."""

    def __init__(self, unique_id: Sequence, children: Optional[list],
                 size: int, params: Optional[Dict[str, Any]],
                 dyn_params: Optional[Dict[str, Any]] = None,
                 **kwargs: Any) -> None:
        driver, path = base.CheckIdPair(unique_id, "file")
        super().__init__(unique_id, children, size, params, dyn_params,
                         **kwargs)
        self.driver = driver
        self.dev_path = base.LocalizePath(path)
        CheckFileStoragePath(self.dev_path)
        self.Attach()

    @classmethod
    def Create(cls, unique_id: Sequence, children: list, size: int,
               spindles: Optional[int], params: Dict[str, Any],
               excl_stor: bool, dyn_params: Dict[str, Any],
               **kwargs: Any) -> "FileStorage":
        """Create a sparse file of size MiB; refuses an existing file."""
        base.RefuseExclusiveStorage(excl_stor, "FileStorage")
        _, path = base.CheckIdPair(unique_id, "file")
        path = base.LocalizePath(path)
        CheckFileStoragePath(path)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
        except OSError as err:
            if err.errno == errno.EEXIST:
                base.ThrowError("File already existing: %s", path)
            base.ThrowError("Error in file creation: %s", err)
        try:
            os.ftruncate(fd, int(size) * base.MIB)
        except OSError as err:
            os.close(fd)
            _RemoveQuietly(path)
            base.ThrowError("Error in file creation: %s", err)
        os.close(fd)
        return cls(unique_id, children, size, params, dyn_params, **kwargs)

    def Attach(self) -> bool:
        self.attached = os.path.exists(self.dev_path)
        return self.attached

    def Assemble(self) -> None:
        if not os.path.exists(self.dev_path):
            base.ThrowError("File device '%s' does not exist", self.dev_path)
        self.attached = True

    def Shutdown(self) -> None:
        """Nothing to do for a file."""

    def Open(self, force: bool = False, exclusive: bool = True) -> None:
        """Nothing to do for a file."""

    def Close(self) -> None:
        """Nothing to do for a file."""

    def Remove(self) -> None:
        try:
            os.remove(self.dev_path)
        except OSError as err:
            if err.errno != errno.ENOENT:
                base.ThrowError("Can't remove file '%s': %s", self.dev_path,
                                err.strerror)
        self.attached = False

    def Rename(self, new_id: Sequence) -> None:
        """Move the file to the path of new_id (the driver may change)."""
        driver, new_path = base.CheckIdPair(new_id, "file")
        new_path = base.LocalizePath(new_path)
        CheckFileStoragePath(new_path)
        if os.path.exists(new_path):
            base.ThrowError("Can't rename file '%s' to '%s': target exists",
                            self.dev_path, new_path)
        try:
            os.rename(self.dev_path, new_path)
        except OSError as err:
            base.ThrowError("Can't rename file '%s' to '%s': %s",
                            self.dev_path, new_path, err.strerror)
        self.unique_id = tuple(new_id)
        self.driver = driver
        self.dev_path = new_path

    def Grow(self, amount: int, dryrun: bool, backingstore: bool,
             excl_stor: bool) -> None:
        """Grow the file (sparse) by amount MiB."""
        if not backingstore:
            return
        if not self.Attach():
            base.ThrowError("File device '%s' does not exist", self.dev_path)
        if amount < 0:
            base.ThrowError("Can't shrink file device '%s' (%s MiB)",
                            self.dev_path, amount)
        if dryrun:
            return
        current = self.GetActualSize()
        try:
            os.truncate(self.dev_path, current + int(amount) * base.MIB)
        except OSError as err:
            base.ThrowError("Error in file growth: %s", err)

    def GetActualSize(self) -> int:
        try:
            return os.stat(self.dev_path).st_size
        except OSError as err:
            base.ThrowError("Can't stat %s: %s", self.dev_path, err.strerror)
        return 0  # not reached


def _RemoveQuietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass
