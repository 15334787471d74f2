"""The per-group watcher (``ganeti-watcher --node-group UUID``, on the
master): query the group, write its instance status file, restart what is
down, re-activate disks after node reboots, run the group's verify-disks.

The group's state file stays locked for the whole run, so two watchers
never work on one group at once: the second one exits.
"""

import glob
import logging
import os
import time
from typing import Any, Dict, List, Sequence, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import opcodes
from ganeti import pathutils
from ganeti.cli import jobs as cli_jobs
from ganeti.utils import io as uio
from ganeti.watcher import decide
from ganeti.watcher import state as wstate

REASON_SRC_WATCHER = "gnt:watcher"
# How long the watcher waits for the jobs it submitted; a job still running
# then keeps its instance locked, so the next run leaves it alone.
JOB_WAIT_TIMEOUT = 300.0
_JOB_POLL_INTERVAL = 0.2

_NODE_FIELDS = ["name", "bootid", "offline"]
_INSTANCE_FIELDS = ["name", "uuid", "status", "disk_template", "pnode",
                    "snodes", "disks_active", "admin_state"]


def _Rows(response: Any) -> List[List[Any]]:
    """The values of a LUXI Query answer (unavailable fields as None)."""
    data = response["data"] if isinstance(response, dict) else response.data
    return [[value if status == constants.RS_NORMAL else None
             for (status, value) in row] for row in data]


def QueryGroup(cl: Any, group_uuid: str
               ) -> Tuple[List[decide.Node], List[decide.Instance], set]:
    """The group's nodes and instances, and the names of locked instances."""
    nodes = [decide.Node(name, bootid, bool(offline))
             for (name, bootid, offline) in _Rows(cl.Query(
                 constants.QR_NODE, _NODE_FIELDS,
                 ["=", "group.uuid", group_uuid]))]
    instances = []
    uuids = {}
    for (name, uuid, status, template, pnode, snodes, disks_active,
         admin_state) in _Rows(cl.Query(constants.QR_INSTANCE,
                                        _INSTANCE_FIELDS,
                                        ["=", "pnode.group.uuid",
                                         group_uuid])):
        instances.append(decide.Instance(
            name=name, status=status or "", disk_template=template or "",
            pnode=pnode, snodes=list(snodes or []),
            disks_active=bool(disks_active),
            admin_up=admin_state == constants.ADMINST_UP))
        uuids[uuid] = name
    locked = set()
    for (lock_name, mode) in _Rows(cl.Query(constants.QR_LOCK,
                                            ["name", "mode"], None)):
        level, _, target = (lock_name or "").partition("/")
        if level == "instance" and mode and target:
            locked.add(uuids.get(target, target))
    return nodes, instances, locked


def WriteInstanceStatus(filename: str,
                        instances: Sequence[decide.Instance]) -> None:
    """Write "name status" lines, sorted by name."""
    logging.debug("Updating instance status file '%s' with %d instances",
                  filename, len(instances))
    uio.WriteFile(filename, data="".join(
        "%s %s\n" % (i.name, i.status)
        for i in sorted(instances, key=lambda i: i.name)))


def MergeInstanceStatus(filename: str, pattern: str) -> None:
    """Merge the per-group status files into one (newest entry wins)."""
    entries: Dict[str, Tuple[float, str]] = {}
    for path in glob.glob(pattern):
        try:
            mtime = os.stat(path).st_mtime
            lines = uio.ReadFile(path).splitlines()
        except OSError as err:
            logging.warning("Can't read instance status file %s: %s",
                            path, err)
            continue
        for line in lines:
            parts = line.split(None, 1)
            if len(parts) != 2:
                continue
            name, status = parts
            if name not in entries or entries[name][0] < mtime:
                entries[name] = (mtime, status)
    uio.WriteFile(filename, data="".join(
        "%s %s\n" % (name, entries[name][1]) for name in sorted(entries)))


def _Reason(text: str) -> List[list]:
    return [[REASON_SRC_WATCHER, text, cli_jobs.EpochNano()]]


def _Submit(cl: Any, op: Any, text: str) -> Any:
    """Submit op as a one-opcode job; its id, or None if that failed."""
    op.reason = _Reason(text)
    try:
        job_id = cl.SubmitJob([op])
    except errors.GenericError as err:
        logging.error("Can't submit %s: %s", op.OP_ID, err)
        return None
    logging.info("Submitted job %s: %s", job_id, text)
    return job_id


def WaitForJobs(cl: Any, job_ids: Sequence[Any],
                timeout: float = JOB_WAIT_TIMEOUT) -> Dict[Any, Tuple]:
    """Wait (at most timeout seconds) for jobs; {id: (status, results)}."""
    pending = [j for j in job_ids if j is not None]
    done: Dict[Any, Tuple] = {}
    deadline = time.monotonic() + timeout
    while pending:
        rows = cl.QueryJobs(pending, ["id", "status", "opresult"])
        still = []
        for job_id, row in zip(pending, rows):
            if row is None:
                done[job_id] = ("unknown", None)
            elif row[1] in constants.JOBS_FINALIZED:
                done[job_id] = (row[1], row[2])
            else:
                still.append(job_id)
        pending = still
        if not pending:
            break
        if time.monotonic() > deadline:
            for job_id in pending:
                logging.warning("Job %s is still running, not waiting for it"
                                " any longer", job_id)
            break
        time.sleep(_JOB_POLL_INTERVAL)
    for job_id, (status, results) in sorted(done.items()):
        if status != constants.JOB_STATUS_SUCCESS:
            logging.error("Job %s failed (%s): %s", job_id, status, results)
    return done


def _RunJobs(cl: Any, ops: Sequence[Tuple[Any, str]]) -> Dict[Any, Tuple]:
    return WaitForJobs(cl, [_Submit(cl, op, text) for (op, text) in ops])


def VerifyDisks(cl: Any, group_uuid: str,
                instances: Dict[str, decide.Instance],
                handled: Sequence[str]) -> None:
    """Run the group's verify-disks and activate the disks it reports."""
    job_id = _Submit(cl, opcodes.OpGroupVerifyDisks(group_name=group_uuid),
                     "Verifying disks of group %s" % group_uuid)
    result = WaitForJobs(cl, [job_id]).get(job_id)
    if not result or result[0] != constants.JOB_STATUS_SUCCESS:
        return
    (node_errors, offline_disk_instances, _missing) = result[1][0]
    for node, msg in sorted(node_errors.items()):
        logging.warning("Error while verifying disks on node %s: %s",
                        node, msg)
    names = decide.DegradedToActivate(offline_disk_instances, instances,
                                      handled)
    _RunJobs(cl, [(opcodes.OpInstanceActivateDisks(instance_name=name),
                   "Activating disks of instance %s (degraded)" % name)
                  for name in names])


def RunGroup(cl: Any, group_uuid: str, verify_disks: bool = True) -> int:
    """One group watcher run; the exit code."""
    statefile = pathutils.WATCHER_GROUP_STATE_FILE % group_uuid
    handle = wstate.OpenStateFile(statefile)
    if handle is None:
        return constants.EXIT_FAILURE
    state = wstate.WatcherState(handle)
    try:
        nodes, instances, locked = QueryGroup(cl, group_uuid)
        WriteInstanceStatus(
            pathutils.WATCHER_GROUP_INSTANCE_STATUS_FILE % group_uuid,
            instances)
        MergeInstanceStatus(pathutils.INSTANCE_STATUS_FILE,
                            pathutils.WATCHER_GROUP_INSTANCE_STATUS_FILE % "*")
        rebooted = decide.RebootedNodes(nodes, state)
        todo = decide.DecideInstances(instances, nodes, state, locked,
                                      rebooted)
        # The attempts count even if this run dies waiting for its jobs.
        state.Save(statefile)
        ops = []
        for name in todo.restart:
            ops.append((opcodes.OpInstanceStartup(instance_name=name),
                        "Restarting instance %s" % name))
        for name in todo.record_user_down:
            ops.append((opcodes.OpInstanceShutdown(
                instance_name=name,
                admin_state_source=constants.USER_SOURCE),
                "Recording the user shutdown of instance %s" % name))
        for name in todo.activate_disks:
            ops.append((opcodes.OpInstanceActivateDisks(instance_name=name),
                        "Activating disks of instance %s (node rebooted)"
                        % name))
        _RunJobs(cl, ops)
        if verify_disks and any(i.disk_template != constants.DT_EXT
                                for i in instances):
            VerifyDisks(cl, group_uuid, {i.name: i for i in instances},
                        todo.restart + todo.activate_disks)
    finally:
        state.Close()
    return constants.EXIT_SUCCESS
