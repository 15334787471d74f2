"""Base classes of logical units (LUs), tasklets and LU results.

An LU implements one opcode (`OpFooBar` is run by `LUFooBar`).  The
processor (ganeti.mcpu) drives it through a fixed life cycle:

1. ``__init__`` -> ``CheckArguments()``: validate the opcode alone (no
   config access needed, no side effects);
2. ``ExpandNames()``: normalise names and fill ``self.needed_locks``
   ({level: [names] or locking.ALL_SET}); ``self.share_locks`` says which
   levels are taken shared (level -> 1);
3. for each lock level present in ``needed_locks``, in level order:
   ``DeclareLocks(level)`` (a last chance to compute that level's locks from
   the ones already held), then the locks are acquired;
4. ``CheckPrereq()``: verify the cluster state (no side effects);
5. pre hooks (``HPATH``/``HTYPE``/``BuildHooksEnv``/``BuildHooksNodes``);
6. ``Exec(feedback_fn)`` -> the opcode's result (or ResultWithJobs);
7. post hooks; then every lock is released.

The cluster lock (BGL) is taken by the processor: exclusively if
``REQ_BGL`` is True, shared otherwise.
"""

from typing import Dict, List, Optional, Tuple

from ganeti import errors
from ganeti import locking
from ganeti.hooksmaster import (  # noqa: F401 (re-exported for LU modules)
    HOOKS_PHASE_POST, HOOKS_PHASE_PRE, HTYPE_CLUSTER, HTYPE_GROUP,
    HTYPE_INSTANCE, HTYPE_NETWORK, HTYPE_NODE)

# Values of recalculate_locks[level] used by _LockInstancesNodes.
LOCKS_REPLACE = "replace"
LOCKS_APPEND = "append"


class ResultWithJobs:
    """An LU result asking the processor to submit more jobs.

    jobs is a list of jobs, each a list of opcodes.  The opcode's result
    becomes the keyword arguments plus "jobs": the submission results.
    """

    def __init__(self, jobs: List[list], **kwargs) -> None:
        self.jobs = jobs
        self.other = kwargs


class LogicalUnit:
    """Base of all logical units (see the module docstring)."""

    HPATH: Optional[str] = None
    HTYPE: Optional[str] = None
    REQ_BGL = True

    def __init__(self, processor, op, cfg, rpc, glm=None,
                 context=None) -> None:
        self.proc = processor
        self.op = op
        self.cfg = cfg
        self.rpc = rpc
        self.context = (context if context is not None
                        else getattr(processor, "context", None))
        if glm is None and self.context is not None:
            glm = getattr(self.context, "glm", None)
        self.glm = glm
        self.needed_locks: Optional[Dict[int, object]] = None
        self.share_locks: Dict[int, int] = dict.fromkeys(locking.LEVELS, 0)
        self.opportunistic_locks: Dict[int, bool] = \
            dict.fromkeys(locking.LEVELS, False)
        self.opportunistic_locks_count: Dict[int, int] = \
            dict.fromkeys(locking.LEVELS, 1)
        self.recalculate_locks: Dict[int, str] = {}
        self.dry_run_result = None
        self.tasklets: Optional[List["Tasklet"]] = None
        self.CheckArguments()

    # -- logging (through the processor to the job's log) --------------------

    def Log(self, *args) -> None:
        self.proc.Log(*args)

    def LogInfo(self, message: str, *args) -> None:
        self.proc.LogInfo(message, *args)

    def LogWarning(self, message: str, *args, **kwargs) -> None:
        self.proc.LogWarning(message, *args, **kwargs)

    def LogStep(self, current: int, total: int, message: str) -> None:
        self.proc.LogStep(current, total, message)

    # -- life cycle ----------------------------------------------------------

    def CheckArguments(self) -> None:
        """Check the opcode's parameters (no cluster access)."""

    def ExpandNames(self) -> None:
        """Expand names and declare the locks in self.needed_locks."""
        raise NotImplementedError

    def DeclareLocks(self, level: int) -> None:
        """Adjust needed_locks[level] just before that level is locked."""

    def CheckPrereq(self) -> None:
        """Check prerequisites; the default runs the tasklets' checks."""
        for tasklet in self.tasklets or []:
            tasklet.CheckPrereq()

    def BuildHooksEnv(self) -> Dict[str, object]:
        """Hook variables (without the GANETI_ prefix)."""
        raise NotImplementedError

    def BuildHooksNodes(self):
        """(pre_nodes, post_nodes): node UUIDs (or names) to run hooks on."""
        raise NotImplementedError

    def PreparePostHookNodes(self, post_hook_nodes: List[str]) -> List[str]:
        """Last-minute change of the post-hook node list (after Exec)."""
        return post_hook_nodes

    def HooksCallBack(self, phase: str, hook_results: dict, feedback_fn,
                      lu_result):
        """Look at the hooks' results; returns the (new) LU result."""
        return lu_result

    def Exec(self, feedback_fn):
        """Do the work; the default runs the tasklets in order."""
        if self.tasklets is None:
            raise NotImplementedError
        for tasklet in self.tasklets:
            tasklet.Exec(feedback_fn)
        return None

    # -- lock helpers ----------------------------------------------------------

    def owned_locks(self, level: int) -> set:
        """Names of the locks held at a level (whole level: every object
        of that kind in the configuration)."""
        owned = self.glm.list_owned(level)
        if self.glm.owning_all(level):
            names = AllLockNames(self.cfg, level)
            if names is not None:
                owned.update(names)
        return owned

    def _LockAll(self, level: int, shared: bool = False) -> None:
        """Ask for every lock of a level."""
        if self.needed_locks is None:
            self.needed_locks = {}
        self.needed_locks[level] = locking.ALL_SET
        self.share_locks[level] = int(bool(shared))

    def _LockAllNodes(self, shared: bool = False,
                      node_res: bool = False) -> None:
        """Ask for all node locks (and all node-res locks if node_res)."""
        self._LockAll(locking.LEVEL_NODE, shared)
        if node_res:
            self._LockAll(locking.LEVEL_NODE_RES, shared)

    def _LockInstancesNodes(self, primary_only: bool = False,
                            level: int = locking.LEVEL_NODE) -> None:
        """In DeclareLocks: lock the nodes of the locked instances.

        ExpandNames must have set needed_locks[level] (usually to []) and
        recalculate_locks[level] to LOCKS_REPLACE or LOCKS_APPEND.
        Instance locks are instance UUIDs; node locks node UUIDs.
        """
        if level not in self.recalculate_locks:
            raise errors.ProgrammerError("_LockInstancesNodes called without"
                                         " recalculate_locks for level %s" %
                                         locking.LEVEL_NAMES[level])
        wanted: List[str] = []
        for inst_uuid in sorted(self.owned_locks(locking.LEVEL_INSTANCE)):
            inst = self.cfg.GetInstanceInfo(inst_uuid)
            if inst is None:
                continue
            wanted.append(inst.primary_node)
            if not primary_only:
                wanted.extend(_InstanceSecondaries(self.cfg, inst))
        if self.recalculate_locks[level] == LOCKS_REPLACE:
            self.needed_locks[level] = wanted
        elif self.recalculate_locks[level] == LOCKS_APPEND:
            current = self.needed_locks.get(level) or []
            if current is locking.ALL_SET:
                return
            self.needed_locks[level] = list(current) + wanted
        else:
            raise errors.ProgrammerError("Unknown recalculation mode %r" %
                                         self.recalculate_locks[level])
        del self.recalculate_locks[level]


class NoHooksLU(LogicalUnit):
    """A logical unit without hooks."""

    HPATH = None
    HTYPE = None

    def BuildHooksEnv(self):
        raise AssertionError("BuildHooksEnv called for a NoHooksLU")

    def BuildHooksNodes(self):
        raise AssertionError("BuildHooksNodes called for a NoHooksLU")

    def PreparePostHookNodes(self, post_hook_nodes):
        return post_hook_nodes


class Tasklet:
    """A reusable piece of an LU: CheckPrereq and Exec run by the LU."""

    def __init__(self, lu: LogicalUnit) -> None:
        self.lu = lu
        self.cfg = lu.cfg
        self.rpc = lu.rpc

    def CheckPrereq(self) -> None:
        """Check prerequisites (no side effects)."""

    def Exec(self, feedback_fn):
        raise NotImplementedError


def _InstanceSecondaries(cfg, inst) -> List[str]:
    getter = getattr(cfg, "GetInstanceSecondaryNodes", None)
    if getter is not None:
        return list(getter(inst.uuid))
    getter = getattr(cfg, "GetInstanceNodes", None)
    if getter is not None:
        return [n for n in getter(inst.uuid) if n != inst.primary_node]
    return list(getattr(inst, "secondary_nodes", []) or [])


def AllLockNames(cfg, level: int) -> Optional[List[str]]:
    """Every lock name of a level according to the configuration (None if
    the configuration can't tell)."""
    expand = _ALL_NAMES.get(level)
    return expand(cfg) if expand is not None else None


def _ListOrNone(cfg, *methods: str):
    """The result of the first config getter that exists, as a list
    (dicts give their keys); None if there is none."""
    for method in methods:
        getter = getattr(cfg, method, None)
        if getter is not None:
            return list(getter())
    return None


# Every lock name of a level, from the configuration (used when the whole
# level is owned).  Instances, groups, nodes and networks lock by UUID.
_ALL_NAMES = {
    locking.LEVEL_CLUSTER: lambda cfg: [locking.BGL],
    locking.LEVEL_INSTANCE: lambda cfg: _ListOrNone(cfg, "GetInstanceList"),
    locking.LEVEL_NODEGROUP: lambda cfg: _ListOrNone(
        cfg, "GetNodeGroupList", "GetAllNodeGroupsInfo"),
    locking.LEVEL_NODE: lambda cfg: _ListOrNone(cfg, "GetNodeList"),
    locking.LEVEL_NODE_RES: lambda cfg: _ListOrNone(cfg, "GetNodeList"),
    locking.LEVEL_NETWORK: lambda cfg: _ListOrNone(
        cfg, "GetNetworkList", "GetAllNetworksInfo"),
}


# ------------------------------------------- config lookups shared by LUs

def ExpandNodeUuid(cfg, name: str) -> str:
    """The uuid of a node given by (possibly short) name or uuid."""
    uuid = cfg.ExpandNodeName(name) if name else None
    if uuid is None:
        raise errors.OpPrereqError("Node '%s' not known" % name,
                                   errors.ECODE_NOENT)
    return uuid


def ExpandNodeUuidAndName(cfg, expected_uuid: Optional[str],
                          name: str) -> Tuple[str, str]:
    """(uuid, full name) of a node; with expected_uuid (an opcode's
    node_uuid), the name must still denote that node."""
    uuid = ExpandNodeUuid(cfg, name)
    if expected_uuid is not None and expected_uuid != uuid:
        raise errors.OpPrereqError("The nodes UUID '%s' does not match the"
                                   " expected UUID '%s' for node '%s'. Maybe"
                                   " the node changed since you submitted"
                                   " this job." % (uuid, expected_uuid, name),
                                   errors.ECODE_NOTUNIQUE)
    return uuid, cfg.GetNodeInfo(uuid).name


def NodeName(cfg, node_uuid: str) -> str:
    """A node's name (its uuid if the configuration doesn't know it)."""
    node = cfg.GetNodeInfo(node_uuid)
    return node.name if node is not None else node_uuid


def InstanceNodes(cfg, inst) -> List[str]:
    """UUIDs of the nodes an instance uses (primary first)."""
    getter = getattr(cfg, "GetInstanceNodes", None)
    if getter is not None:
        return list(getter(inst.uuid))
    nodes = [inst.primary_node]
    nodes.extend(n for n in _InstanceSecondaries(cfg, inst)
                 if n not in nodes)
    return nodes
