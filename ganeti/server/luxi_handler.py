"""The LUXI methods of the master daemon, mapped onto the job queue,
the configuration and the query layer."""

import logging
import os
import re
import time
import uuid as uuidlib
from typing import Any, Callable, Dict, List

from ganeti import errors
from ganeti import opcodes
from ganeti import pathutils
from ganeti import query
from ganeti.cmdlib import query as query_data
from ganeti.utils import io as uio


_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                      r"[0-9a-f]{12}$")


def _load_ops(ops: Any) -> List[opcodes.OpCode]:
    if not isinstance(ops, list):
        raise errors.OpPrereqError("A job must be a list of opcodes, got %r"
                                   % type(ops).__name__, errors.ECODE_INVAL)
    return [opcodes.OpCode.LoadOpCode(op) for op in ops]


def _job_id(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise errors.OpPrereqError("Invalid job ID '%s'" % (value,),
                                   errors.ECODE_INVAL)


class LuxiHandler:
    """Callable LUXI dispatcher: handler(method, args) -> result."""

    def __init__(self, context) -> None:
        self.context = context
        self._methods: Dict[str, Callable] = {
            name[len("Luxi"):]: getattr(self, name)
            for name in dir(self) if name.startswith("Luxi")}

    def __call__(self, method: str, args: Any) -> Any:
        fn = self._methods.get(method)
        if fn is None:
            raise errors.ProtocolError("Unknown LUXI method '%s'" % method)
        if not isinstance(args, (list, tuple)):
            args = [args]
        logging.debug("LUXI request %s", method)
        try:
            return fn(*args)
        except TypeError as err:
            raise errors.ProtocolError("Invalid arguments for LUXI method %s:"
                                       " %s" % (method, err))

    # -- jobs --------------------------------------------------------------

    @property
    def _queue(self):
        return self.context.jobqueue

    def LuxiSubmitJob(self, ops):
        return self._queue.SubmitJob(_load_ops(ops))

    def LuxiSubmitJobToDrainedQueue(self, ops):
        return self._queue.SubmitJobToDrainedQueue(_load_ops(ops))

    def LuxiSubmitManyJobs(self, jobs):
        loaded = []
        for ops in jobs:
            loaded.append(_load_ops(ops))
        return self._queue.SubmitManyJobs(loaded)

    def LuxiWaitForJobChange(self, job_id, fields, prev_job_info,
                             prev_log_serial, timeout=None):
        timeout = min(float(timeout if timeout is not None else 60), 89.0)
        return self._queue.WaitForJobChanges(_job_id(job_id), fields,
                                             prev_job_info, prev_log_serial,
                                             timeout)

    def LuxiPickupJob(self, job_id):
        raise errors.ProtocolError("PickupJob is internal to the master")

    def LuxiCancelJob(self, job_id, kill=False):
        return self._queue.CancelJob(_job_id(job_id), kill)

    def LuxiArchiveJob(self, job_id):
        return self._queue.ArchiveJob(_job_id(job_id))

    def LuxiAutoArchiveJobs(self, age, timeout):
        return self._queue.AutoArchiveJobs(age, timeout)

    def LuxiChangeJobPriority(self, job_id, priority):
        return self._queue.ChangeJobPriority(_job_id(job_id), priority)

    def LuxiQueryJobs(self, job_ids, fields):
        ids = [_job_id(j) for j in (job_ids or [])]
        return self._queue.QueryJobs(ids or None, fields)

    def LuxiSetDrainFlag(self, flag):
        return self._queue.SetDrainFlag(bool(flag))

    # -- queries -----------------------------------------------------------

    def LuxiQuery(self, what, fields, qfilter):
        return query_data.RunQuery(self.context, what, fields, qfilter)

    def LuxiQueryFields(self, what, fields):
        return query.QueryFields(query_data.FieldsFor(what), fields)

    def _OldStyle(self, what, names, fields):
        return query_data.RunOldStyleQuery(self.context, what, names, fields)

    def LuxiQueryNodes(self, names, fields, use_locking=False):
        return self._OldStyle("node", names, fields)

    def LuxiQueryInstances(self, names, fields, use_locking=False):
        return self._OldStyle("instance", names, fields)

    def LuxiQueryGroups(self, names, fields, use_locking=False):
        return self._OldStyle("group", names, fields)

    def LuxiQueryNetworks(self, names, fields, use_locking=False):
        return self._OldStyle("network", names, fields)

    def LuxiQueryExports(self, nodes, use_locking=False):
        return {}

    def LuxiQueryClusterInfo(self):
        return query_data.ClusterInfo(self.context)

    def LuxiQueryConfigValues(self, fields):
        cfg = self.context.cfg
        cluster = cfg.GetClusterInfo()
        values = {
            "cluster_name": cluster.cluster_name,
            "master_node": cfg.GetMasterNodeName(),
            "drain_flag": os.path.exists(pathutils.JOB_QUEUE_DRAIN_FILE),
            "watcher_pause": _read_watcher_pause(),
            "modify_ssh_setup": cluster.modify_ssh_setup,
            "ssh_key_type": cluster.ssh_key_type,
            "ssh_key_bits": cluster.ssh_key_bits,
        }
        return [values.get(f) for f in fields]

    def LuxiQueryTags(self, kind, name):
        return query_data.GetTags(self.context, kind, name)

    def LuxiSetWatcherPause(self, until):
        """Pause (or unpause) the watcher here and on every other node."""
        from ganeti import backend
        if until is not None and (isinstance(until, bool) or
                                  not isinstance(until, (int, float))):
            raise errors.OpPrereqError("Duration must be numeric",
                                       errors.ECODE_INVAL)
        backend.SetWatcherPause(until)
        cfg = self.context.cfg
        master = cfg.GetMasterNode()
        others = [uuid for uuid in cfg.GetNodeList() if uuid != master]
        if others:
            results = self.context.rpc.call_set_watcher_pause(others, until)
            for uuid, res in results.items():
                if res.fail_msg:
                    logging.warning("Failed to set the watcher pause on node"
                                    " %s: %s", cfg.GetNodeName(uuid),
                                    res.fail_msg)
        return until

    def LuxiQueryFilters(self, uuids, fields):
        return query_data.RunOldStyleQuery(self.context, "filter",
                                           list(uuids or []), fields)

    def LuxiReplaceFilter(self, uuid, priority, predicates, action, reason):
        from ganeti import objects
        from ganeti.jqueue import filters
        action = filters.CheckRule(priority, predicates, action, reason)
        if uuid is None:
            uuid = str(uuidlib.uuid4())
        elif not isinstance(uuid, str) or not _UUID_RE.match(uuid):
            raise errors.OpPrereqError("Invalid filter UUID '%s'" % (uuid,),
                                       errors.ECODE_INVAL)
        rule = objects.Filter(uuid=uuid, priority=priority,
                              predicates=predicates, action=action,
                              reason_trail=reason,
                              watermark=self._queue.GetHighestJobId())
        self.context.cfg.SetFilter(rule)
        self._queue.FiltersChanged()
        return uuid

    def LuxiDeleteFilter(self, uuid):
        self.context.cfg.RemoveFilter(uuid)
        self._queue.FiltersChanged()
        return None


def _read_watcher_pause():
    try:
        value = int(uio.ReadOneLineFile(pathutils.WATCHER_PAUSEFILE))
    except (EnvironmentError, ValueError):
        return None
    return value if value > time.time() else None
