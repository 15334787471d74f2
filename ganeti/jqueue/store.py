"""The job queue directory on disk.

Layout (below pathutils.QUEUE_DIR): ``version``, ``serial``, ``lock``,
``drain``, ``job-<id>`` for live jobs and ``archive/<id // 10000>/job-<id>``
for archived ones.  Every file that must survive a crash is written through
utils.io.WriteFile (temporary file, fsync, rename, fsync of the directory).
"""

import logging
import os
import re
from typing import Any, List, Optional

from ganeti import constants
from ganeti import errors
from ganeti import serializer
from ganeti.utils import io as utils_io

JOB_QUEUE_VERSION = 1
JOB_QUEUE_SIZE_HARD_LIMIT = 5000
JSTORE_JOBS_PER_ARCHIVE_DIRECTORY = 10000
JOB_FILE_RE = re.compile(r"^job-(\d+)$")
QUEUE_DIR_MODE = 0o700
FILE_MODE = constants.JOB_QUEUE_FILES_PERMS


def ParseJobId(job_id: Any) -> int:
    """Turn a job id given as int or decimal string into an int."""
    if isinstance(job_id, bool):
        raise errors.ParameterError("Invalid job ID '%s'" % job_id)
    if isinstance(job_id, int) and job_id >= 0:
        return job_id
    if isinstance(job_id, str) and job_id.isdigit():
        return int(job_id)
    raise errors.ParameterError("Invalid job ID '%s'" % job_id)


class JobStore:
    """File operations on one queue directory (no locking of its own)."""

    def __init__(self, queue_dir: str) -> None:
        self.queue_dir = queue_dir.rstrip("/")
        self.archive_dir = self.queue_dir + "/archive"
        self.serial_file = self.queue_dir + "/serial"
        self.version_file = self.queue_dir + "/version"
        self.lock_file = self.queue_dir + "/lock"
        self.drain_file = self.queue_dir + "/drain"

    # Paths.
    def JobPath(self, job_id: int) -> str:
        return "%s/job-%d" % (self.queue_dir, job_id)

    def ArchiveSubdir(self, job_id: int) -> str:
        return "%s/%d" % (self.archive_dir,
                          job_id // JSTORE_JOBS_PER_ARCHIVE_DIRECTORY)

    def ArchivedJobPath(self, job_id: int) -> str:
        return "%s/job-%d" % (self.ArchiveSubdir(job_id), job_id)

    # Set-up.
    def EnsureLayout(self) -> None:
        """Create the directories and the version file if missing."""
        utils_io.EnsureDirs([(self.queue_dir, QUEUE_DIR_MODE),
                             (self.archive_dir, QUEUE_DIR_MODE)])
        if not os.path.exists(self.version_file):
            self.WriteFile(self.version_file, "%d\n" % JOB_QUEUE_VERSION)
        try:
            version = int(utils_io.ReadOneLineFile(self.version_file))
        except (ValueError, errors.GenericError) as err:
            raise errors.JobQueueError("Can't read job queue version: %s"
                                       % err)
        if version != JOB_QUEUE_VERSION:
            raise errors.JobQueueError("Found job queue version %s, expected"
                                       " %s" % (version, JOB_QUEUE_VERSION))

    def WriteFile(self, path: str, data: str) -> None:
        utils_io.WriteFile(path, data=data, mode=FILE_MODE)

    # Serial.
    def ReadSerial(self) -> int:
        try:
            return int(utils_io.ReadOneLineFile(self.serial_file))
        except FileNotFoundError:
            return 0
        except (ValueError, errors.GenericError) as err:
            logging.error("Invalid job queue serial file: %s", err)
            return 0

    def SerialContent(self, serial: int) -> str:
        return "%d\n" % serial

    def WriteSerial(self, serial: int) -> str:
        content = self.SerialContent(serial)
        self.WriteFile(self.serial_file, content)
        return content

    # Drain flag.
    def IsDrained(self) -> bool:
        return os.path.exists(self.drain_file)

    def SetDrained(self, flag: bool) -> None:
        if flag:
            self.WriteFile(self.drain_file, "")
        else:
            utils_io.RemoveFile(self.drain_file)

    # Jobs.
    def ListJobIds(self) -> List[int]:
        """The ids of the live (non-archived) jobs, sorted."""
        return sorted(self._JobIdsIn(self.queue_dir))

    def ListArchivedJobIds(self) -> List[int]:
        """The ids of every archived job, sorted."""
        ids: List[int] = []
        for sub in self._ArchiveSubdirs():
            ids.extend(self._JobIdsIn("%s/%d" % (self.archive_dir, sub)))
        ids.sort()
        return ids

    def HighestJobId(self) -> int:
        """The highest id of any job file present, live or archived (0 if
        none), whether or not the file is readable: the next id must be
        above it even when the serial file is lost or emptied."""
        highest = max(self._JobIdsIn(self.queue_dir), default=0)
        # Archive subdirectories hold id // 10000: the highest non-empty
        # one holds the highest archived id.
        for sub in sorted(self._ArchiveSubdirs(), reverse=True):
            ids = self._JobIdsIn("%s/%d" % (self.archive_dir, sub))
            if ids:
                return max(highest, max(ids))
        return highest

    def _ArchiveSubdirs(self) -> List[int]:
        try:
            names = os.listdir(self.archive_dir)
        except FileNotFoundError:
            return []
        return [int(name) for name in names if name.isdigit() and
                os.path.isdir("%s/%s" % (self.archive_dir, name))]

    @staticmethod
    def _JobIdsIn(directory: str) -> List[int]:
        try:
            names = os.listdir(directory)
        except FileNotFoundError:
            return []
        return [int(match.group(1)) for match in map(JOB_FILE_RE.match, names)
                if match]

    @staticmethod
    def Dump(state: dict) -> str:
        return serializer.DumpJson(state)

    def WriteJob(self, job_id: int, content: str) -> str:
        """Write a live job file; return its path."""
        path = self.JobPath(job_id)
        self.WriteFile(path, content)
        return path

    @staticmethod
    def _Load(path: str) -> Optional[dict]:
        try:
            raw = utils_io.ReadFile(path)
        except FileNotFoundError:
            return None
        try:
            data = serializer.LoadJson(raw)
        except ValueError as err:
            raise errors.JobFileCorrupted("Job file %s is corrupted: %s"
                                          % (path, err))
        if not isinstance(data, dict) or "id" not in data or \
                not isinstance(data.get("ops"), list):
            raise errors.JobFileCorrupted("Job file %s is not a job" % path)
        return data

    def ReadJob(self, job_id: int) -> Optional[str]:
        """The content of a live job file (None if it is gone)."""
        try:
            return utils_io.ReadFile(self.JobPath(job_id))
        except FileNotFoundError:
            return None

    def LoadJob(self, job_id: int) -> Optional[dict]:
        return self._Load(self.JobPath(job_id))

    def LoadArchivedJob(self, job_id: int) -> Optional[dict]:
        return self._Load(self.ArchivedJobPath(job_id))

    def Archive(self, job_id: int) -> tuple:
        """Move a job file into the archive; return (old, new) paths."""
        old = self.JobPath(job_id)
        new = self.ArchivedJobPath(job_id)
        utils_io.RenameFile(old, new, mkdir=True, mkdir_mode=QUEUE_DIR_MODE)
        return old, new
