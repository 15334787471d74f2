"""Finding jobs for the job queue: in memory, finished, archived; queries.

Mixed into jqueue.JobQueue.  Unfinished jobs are in ``self._jobs``.  When
a job reaches a final status, ``_RetireLocked`` takes it out of there: the
queue keeps of it only ``self._finished[id] = (status, age stamp)`` (for
dependencies, the queue size and auto-archiving) and the job object in a
bounded LRU cache (``self._cache``, FINISHED_CACHE_SIZE jobs); any other
finished job is read from its job file when asked for.  A finished job no
longer changes, so a copy read from its file answers every query exactly
as the one that ran.
"""

import itertools
import logging
import time
from typing import Any, List, Optional, Sequence, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import serializer
from ganeti.jqueue.job import QueuedJob
from ganeti.jqueue.store import ParseJobId

C = constants

# Longest wait of one WaitForJobChanges call (as luxi.LUXI_WFJC_TIMEOUT).
WFJC_TIMEOUT = 89
# How many finished (not archived) jobs stay in memory once used; the
# others are read from their job files on demand.
FINISHED_CACHE_SIZE = 100


def FinishedEntry(job: QueuedJob) -> Tuple[str, Optional[int]]:
    """What the queue keeps of a finished job not in memory: its status
    and the second its age counts from (end, else start, else received;
    caller holds job.lock)."""
    stamp = (job.end_timestamp or job.start_timestamp
             or job.received_timestamp)
    return job.CalcStatus(), (stamp[0] if stamp else None)


class JobLookupMixin:
    """Lookup and query methods of JobQueue (which provides the state)."""

    def _LoadArchived(self, job_id: int) -> Optional[QueuedJob]:
        try:
            state = self._store.LoadArchivedJob(job_id)
        except errors.JobFileCorrupted as err:
            logging.error("Archived job %s: %s", job_id, err)
            return None
        if state is None:
            return None
        return QueuedJob.Restore(state, self._op_loader, archived=True)

    # Finished jobs: retired from self._jobs into self._finished (plus the
    # cache), read back from their job file when asked for.

    def _LiveIdsLocked(self) -> List[int]:
        """The ids of all live (not archived) jobs, sorted."""
        return sorted(itertools.chain(self._jobs, self._finished))

    def _CacheLocked(self, job: QueuedJob) -> None:
        self._cache[job.id] = job
        self._cache.move_to_end(job.id)
        while len(self._cache) > FINISHED_CACHE_SIZE:
            self._cache.popitem(last=False)

    def _RetireLocked(self, job: QueuedJob) -> None:
        """Keep a job that reached a final status out of the live jobs."""
        if self._jobs.get(job.id) is not job:
            return  # archived meanwhile
        with job.lock:
            entry = FinishedEntry(job)
        del self._jobs[job.id]
        self._finished[job.id] = entry
        self._CacheLocked(job)

    def _LoadFinished(self, job_id: int) -> Optional[QueuedJob]:
        """A finished live job: from the cache or else its job file."""
        with self._lock:
            job = self._cache.get(job_id)
            if job is not None:
                self._cache.move_to_end(job_id)
                return job
            if job_id not in self._finished:
                return None
        try:
            state = self._store.LoadJob(job_id)
        except errors.JobFileCorrupted as err:
            logging.error("Job %s: %s", job_id, err)
            return None
        if state is None:
            return None  # archived meanwhile
        job = QueuedJob.Restore(state, self._op_loader)
        with self._lock:
            if job_id in self._finished:
                self._CacheLocked(job)
        return job

    def _GetJob(self, job_id: Any,
                archived: bool = True) -> Optional[QueuedJob]:
        try:
            job_id = ParseJobId(job_id)
        except errors.ParameterError:
            return None
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            job = self._LoadFinished(job_id)
        if job is None and archived:
            job = self._LoadArchived(job_id)
        return job

    def _AllLive(self) -> List[QueuedJob]:
        """Every live job, by id (one archived meanwhile as archived)."""
        with self._lock:
            ids = self._LiveIdsLocked()
        jobs = [self._GetJob(job_id) for job_id in ids]
        return [job for job in jobs if job is not None]

    def QueryJobs(self, job_ids: Optional[Sequence[Any]],
                  fields: List[str]) -> list:
        """Rows of field values per job (None for an unknown job).

        No ids (None or []) means all live jobs, sorted by id.
        """
        jobs: List[Optional[QueuedJob]]
        if not job_ids:
            jobs = list(self._AllLive())
        else:
            jobs = [self._GetJob(jid) for jid in job_ids]
        rows = []
        for job in jobs:
            if job is None:
                rows.append(None)
                continue
            with job.lock:
                rows.append(job.GetInfo(fields))
        return rows

    def GetJobsSerialized(self, job_ids: Optional[Sequence[Any]] = None,
                          include_archived: bool = False) -> list:
        """Job-file dicts for the query layer (None for unknown ids).

        Each dict also carries "archived" (bool).  Without ids: all live
        jobs (plus, with include_archived, every archived one), by id.
        """
        jobs: List[Optional[QueuedJob]]
        if job_ids:
            jobs = [self._GetJob(jid) for jid in job_ids]
        else:
            live = self._AllLive()
            if include_archived:
                # One archived meanwhile is both: keep the archived copy.
                by_id = {job.id: job for job in live}
                by_id.update((job.id, job) for job in self._AllArchived())
                live = [by_id[job_id] for job_id in sorted(by_id)]
            jobs = list(live)
        result = []
        for job in jobs:
            if job is None:
                result.append(None)
                continue
            with job.lock:
                state = job.Serialize()
            state["archived"] = job.archived
            result.append(serializer.LoadJson(serializer.DumpJson(state)))
        return result

    def _AllArchived(self) -> List[QueuedJob]:
        jobs = [self._LoadArchived(job_id)
                for job_id in self._store.ListArchivedJobIds()]
        return [job for job in jobs if job is not None]

    def WaitForJobChanges(self, job_id: Any, fields: List[str],
                          prev_job_info: Any, prev_log_serial: Any,
                          timeout: float) -> Any:
        """Wait until the job's fields or log change.

        Returns None for an unknown job, "nochange" after timeout (at most
        WFJC_TIMEOUT seconds), else [job_info, new_log_entries].  A
        finished job answers at once.
        """
        job = self._GetJob(job_id)
        if job is None:
            return None
        try:
            timeout = min(float(timeout), WFJC_TIMEOUT)
        except (TypeError, ValueError):
            timeout = WFJC_TIMEOUT
        deadline = time.monotonic() + max(0.0, timeout)
        with job.cond:
            while True:
                info = serializer.LoadJson(serializer.DumpJson(
                    job.GetInfo(fields)))
                entries = serializer.LoadJson(serializer.DumpJson(
                    job.GetLogEntries(prev_log_serial)))
                if (entries or info != prev_job_info
                        or job.CalcStatus() in C.JOBS_FINALIZED):
                    return [info, entries]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return C.JOB_NOTCHANGED
                job.cond.wait(remaining)
