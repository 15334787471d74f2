"""Moving instances to other node groups through the iallocator
(gnt-instance change-group) and the jobs of a group evacuation."""

from typing import List, Sequence

from ganeti import constants as C
from ganeti import errors
from ganeti import iallocator
from ganeti import locking
from ganeti import opcodes
from ganeti.cmdlib.base import HTYPE_INSTANCE, InstanceNodes, ResultWithJobs
from ganeti.cmdlib.instance_migration import LoadNodeEvacResult
from ganeti.cmdlib.instance_ops import _InstanceLU
from ganeti.utils import text as utils_text


def ChosenIAllocator(lu) -> str:
    """The opcode's iallocator, else the cluster's default one."""
    name = lu.op.iallocator or lu.cfg.GetClusterInfo().default_iallocator
    if not name:
        raise errors.OpPrereqError("No iallocator given and no cluster-wide"
                                   " default iallocator found; please"
                                   " specify an iallocator or set a"
                                   " cluster-wide default iallocator",
                                   errors.ECODE_INVAL)
    return name


def GroupChangeJobs(lu, instance_names: Sequence[str],
                    target_uuids: Sequence[str], ialloc_name: str,
                    failure: str) -> List[list]:
    """The jobs the iallocator computes to move the instances into the
    target groups; failure % (iallocator, info) is the error if it finds
    no solution."""
    req = iallocator.IAReqGroupChange(instances=list(instance_names),
                                      target_groups=list(target_uuids))
    ial = iallocator.IAllocator(lu.cfg, lu.rpc, req)
    ial.Run(ialloc_name)
    if not ial.success:
        raise errors.OpPrereqError(failure % (ialloc_name, ial.info),
                                   errors.ECODE_NORES)
    return LoadNodeEvacResult(lu, ial.result, lu.op.early_release)


def ForceFailover(jobs: List[list]) -> List[list]:
    """The jobs with every migration replaced by a failover."""
    result = []
    for job in jobs:
        ops = []
        for op in job:
            if isinstance(op, opcodes.OpInstanceMigrate):
                op = opcodes.OpInstanceFailover(
                    instance_name=op.instance_name,
                    target_node=op.target_node,
                    iallocator=op.iallocator,
                    ignore_ipolicy=op.ignore_ipolicy)
            ops.append(op)
        result.append(ops)
    return result


def Sequential(jobs: List[list]) -> List[list]:
    """The jobs, each one waiting for the one before it to finish."""
    for job in jobs[1:]:
        job[0].depends = [[-1, []]]
    return jobs


class LUInstanceChangeGroup(_InstanceLU):
    """Move an instance to another node group: the iallocator chooses the
    nodes and answers the jobs (migrations, failovers) doing it."""

    HPATH = "instance-change-group"
    HTYPE = HTYPE_INSTANCE
    NODE_LEVELS = ()

    def ExpandNames(self) -> None:
        super().ExpandNames()
        self.target_uuids = [self.cfg.LookupNodeGroup(name)
                             for name in (self.op.target_groups or [])]
        self.share_locks[locking.LEVEL_NODEGROUP] = 1
        self.share_locks[locking.LEVEL_NODE] = 1
        self.needed_locks[locking.LEVEL_NODEGROUP] = locking.ALL_SET
        self.needed_locks[locking.LEVEL_NODE] = locking.ALL_SET

    def CheckPrereq(self) -> None:
        instance = self._GetInstance()
        inst_groups = {self.cfg.GetNodeInfo(uuid).group
                       for uuid in InstanceNodes(self.cfg, instance)}
        if self.target_uuids:
            common = inst_groups.intersection(self.target_uuids)
            if common:
                raise errors.OpPrereqError(
                    "Can't use group(s) '%s' as targets, they are used by"
                    " the instance '%s'" % (utils_text.CommaJoin(sorted(
                        self.cfg.GetNodeGroup(u).name for u in common)),
                        instance.name), errors.ECODE_INVAL)
        else:
            self.target_uuids = [uuid for uuid in
                                 self.cfg.GetAllNodeGroupsInfo()
                                 if uuid not in inst_groups]
        if not self.target_uuids:
            raise errors.OpPrereqError("There are no possible target groups",
                                       errors.ECODE_INVAL)
        self.ialloc_name = ChosenIAllocator(self)

    def BuildHooksEnv(self):
        return self._Env(TARGET_GROUPS=" ".join(self.target_uuids))

    def BuildHooksNodes(self):
        nodes = [self.cfg.GetMasterNode()] + InstanceNodes(self.cfg,
                                                           self.instance)
        return (nodes, nodes)

    def Exec(self, feedback_fn):
        jobs = GroupChangeJobs(
            self, [self.instance.name], self.target_uuids, self.ialloc_name,
            "Can't compute solution for changing group of instance '%s'"
            " using iallocator '%%s': %%s" % self.instance.name)
        return ResultWithJobs(jobs)
