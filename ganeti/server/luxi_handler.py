"""The LUXI methods of the master daemon, mapped onto the job queue,
the configuration and the query layer."""

import inspect
import logging
import math
import os
import re
import time
import uuid as uuidlib
from typing import Any, Callable, Dict, List, Optional

from ganeti import constants
from ganeti import errors
from ganeti import luxi
from ganeti import opcodes
from ganeti import pathutils
from ganeti import query
from ganeti import serializer
from ganeti.cmdlib import query as query_data
from ganeti.jqueue.store import ParseJobId
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
        return ParseJobId(value)
    except errors.ParameterError:
        raise errors.OpPrereqError("Invalid job ID '%s'" % (value,),
                                   errors.ECODE_INVAL)


class _BadArgument(Exception):
    """An argument of a LUXI request has the wrong type."""

    def __init__(self, name: str, expected: str, value: Any) -> None:
        super().__init__(name, expected, value)
        self.name = name
        self.expected = expected
        self.value = value


def _String(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _BadArgument(name, "a string", value)
    return value


def _List(name: str, value: Any) -> list:
    if not isinstance(value, list):
        raise _BadArgument(name, "a list", value)
    return value


def _StringList(name: str, value: Any) -> List[str]:
    if not (isinstance(value, list) and
            all(isinstance(item, str) for item in value)):
        raise _BadArgument(name, "a list of strings", value)
    return value


def _MaybeStringList(name: str, value: Any) -> Optional[List[str]]:
    """None, or a list of strings (for names, None and [] mean "all")."""
    return None if value is None else _StringList(name, value)


def _Number(name: str, value: Any, default: Optional[float] = None) -> Any:
    """A number; None gives default (if there is one)."""
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not math.isfinite(value):
        raise _BadArgument(name, "a number", value)
    return value


def _JobIds(value: Any) -> Optional[List[int]]:
    """None or a list of job ids (None and [] mean all jobs)."""
    if value is None:
        return None
    return [_job_id(job_id) for job_id in _List("job_ids", value)]


def _QueryFilter(value: Any) -> Any:
    """A query filter: None or [] (no filter), else a qlang list."""
    if value is None or value == []:
        return None
    if not isinstance(value, list):
        raise _BadArgument("qfilter", "a list or null", value)
    return value


def _CheckArgumentCount(method: str, fn: Callable, args: list) -> None:
    """ProtocolError unless args fit fn's parameters."""
    try:
        inspect.signature(fn).bind(*args)
    except TypeError as err:
        raise errors.ProtocolError("Invalid arguments for LUXI method %s:"
                                   " %s" % (method, err))


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
        if args is None and not inspect.signature(fn).parameters:
            args = []
        elif not isinstance(args, (list, tuple)):
            args = [args]
        args = list(args)
        _CheckArgumentCount(method, fn, args)
        logging.debug("LUXI request %s", method)
        try:
            return fn(*args)
        except _BadArgument as err:
            raise errors.OpPrereqError(
                "Invalid argument '%s' for LUXI method %s: expected %s,"
                " got %s" % (err.name, method, err.expected,
                             serializer.DumpJson(err.value).strip()),
                errors.ECODE_INVAL)

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
        for ops in _List("jobs", jobs):
            loaded.append(_load_ops(ops))
        return self._queue.SubmitManyJobs(loaded)

    def LuxiWaitForJobChange(self, job_id, fields, prev_job_info,
                             prev_log_serial, timeout=None):
        timeout = min(_Number("timeout", timeout, luxi.LUXI_WFJC_TIMEOUT),
                      luxi.LUXI_WFJC_TIMEOUT)
        return self._queue.WaitForJobChanges(_job_id(job_id),
                                             _StringList("fields", fields),
                                             prev_job_info, prev_log_serial,
                                             timeout)

    def LuxiPickupJob(self, job_id):
        raise errors.ProtocolError("PickupJob is internal to the master")

    def LuxiCancelJob(self, job_id, kill=False):
        return self._queue.CancelJob(_job_id(job_id), bool(kill))

    def LuxiArchiveJob(self, job_id):
        return self._queue.ArchiveJob(_job_id(job_id))

    def LuxiAutoArchiveJobs(self, age, timeout=None):
        return self._queue.AutoArchiveJobs(
            _Number("age", age),
            _Number("timeout", timeout, luxi.LUXI_WFJC_TIMEOUT))

    def LuxiChangeJobPriority(self, job_id, priority):
        return self._queue.ChangeJobPriority(_job_id(job_id), priority)

    def LuxiQueryJobs(self, job_ids, fields):
        return self._queue.QueryJobs(_JobIds(job_ids) or None,
                                     _StringList("fields", fields))

    def LuxiSetDrainFlag(self, flag):
        return self._queue.SetDrainFlag(bool(flag))

    # -- queries -----------------------------------------------------------

    def LuxiQuery(self, what, fields, qfilter=None):
        return query_data.RunQuery(self.context, _String("what", what),
                                   _StringList("fields", fields),
                                   _QueryFilter(qfilter))

    def LuxiQueryFields(self, what, fields=None):
        return query.QueryFields(query_data.FieldsFor(_String("what", what)),
                                 _MaybeStringList("fields", fields))

    def _OldStyle(self, what, names, fields):
        return query_data.RunOldStyleQuery(
            self.context, what, _MaybeStringList("names", names),
            _StringList("fields", fields))

    def LuxiQueryNodes(self, names, fields, use_locking=False):
        return self._OldStyle("node", names, fields)

    def LuxiQueryInstances(self, names, fields, use_locking=False):
        return self._OldStyle("instance", names, fields)

    def LuxiQueryGroups(self, names, fields, use_locking=False):
        return self._OldStyle("group", names, fields)

    def LuxiQueryNetworks(self, names, fields, use_locking=False):
        return self._OldStyle("network", names, fields)

    def LuxiQueryExports(self, nodes, use_locking=False):
        """{node name: export names, or False where the node failed}."""
        return query_data.QueryExports(self.context,
                                       _MaybeStringList("nodes", nodes))

    def LuxiQueryClusterInfo(self):
        return query_data.ClusterInfo(self.context)

    def LuxiQueryConfigValues(self, *args):
        # The args are [fields]; older clients sent the bare list of names.
        fields = _StringList("fields", args[0] if len(args) == 1 and
                             not isinstance(args[0], str) else list(args))
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

    def LuxiQueryTags(self, kind, name=None):
        if not isinstance(kind, str) or \
                kind not in constants.VALID_TAG_TYPES:
            raise _BadArgument("kind", "one of %s" % ", ".join(
                sorted(constants.VALID_TAG_TYPES)), kind)
        return query_data.GetTags(self.context, kind, name)

    def LuxiSetWatcherPause(self, until):
        """Pause (or unpause) the watcher here and on every other node."""
        from ganeti import backend
        if until is not None:
            _Number("until", until)
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
