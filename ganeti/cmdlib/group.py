"""Logical units for node groups: add, remove, rename, modify, assign nodes
and evacuate; plus the parameter helpers (ndparams, diskparams, hypervisor
and disk state, instance policy) shared with the node LUs."""

import copy
from typing import Any, Dict, Iterable, List, Optional, Sequence

from ganeti import constants
from ganeti import defaults
from ganeti import errors
from ganeti import locking
from ganeti import objects
from ganeti import serializer
from ganeti.cmdlib.base import (ExpandNodeUuid, InstanceNodes, LogicalUnit,
                                NoHooksLU, ResultWithJobs)
from ganeti.cmdlib import ipolicy
from ganeti.query.node import FillIPolicy
from ganeti.utils import text as utils_text

VALUE_TRUE = "true"
VALUE_FALSE = "false"

# Node parameter types (upstream NDS_PARAMETER_TYPES) and the node
# parameters that can't be set on single nodes (NDC_GLOBALS).
ND_PARAMETER_TYPES: Dict[str, type] = {
    "oob_program": str, "spindle_count": int, "exclusive_storage": bool,
    "ovs": bool, "ovs_name": str, "ovs_link": str, "ssh_port": int,
    "cpu_speed": float,
}
NDC_GLOBALS = frozenset(["exclusive_storage"])

# Hypervisor state and disk state parameters (all integers).
HVST_PARAMETERS = ("mem_total", "mem_node", "mem_hv", "mem_inst",
                   "cpu_total", "cpu_node")
DSS_PARAMETERS = ("disk_total", "disk_reserved", "disk_overhead")
DS_VALID_TYPES = frozenset([constants.ST_LVM_VG])

# Instance policy keys.
ISPECS_MINMAX = "minmax"
ISPECS_MIN = "min"
ISPECS_MAX = "max"
ISPECS_STD = "std"
IPOLICY_DTS = "disk-templates"
IPOLICY_ALL_KEYS = frozenset([ISPECS_MINMAX, ISPECS_STD, IPOLICY_DTS] +
                             list(constants.IPOLICY_PARAMETERS))

# Disk templates whose disks span two nodes (instances can't be split).
DTS_INT_MIRROR = frozenset([constants.DT_DRBD8])


# ------------------------------------------------------- parameter helpers

def _TypeName(kind: type) -> str:
    return {bool: "boolean", int: "integer", float: "float"}.get(kind,
                                                                "string")


def ForceDictType(target: Dict[str, Any], key_types: Dict[str, type]) -> None:
    """Convert target's values in place to the declared types.

    Unknown keys and unconvertible values raise TypeEnforcementError (the
    CLI prints them as "Parameter Error: ...").
    """
    for key in list(target):
        if key not in key_types:
            raise errors.TypeEnforcementError("Unknown parameter '%s'" % key)
        kind = key_types[key]
        value = target[key]
        bad = errors.TypeEnforcementError("'%s' (value %s) is not a valid %s"
                                          % (key, value, _TypeName(kind)))
        if kind is bool:
            if isinstance(value, str) and value:
                if value.lower() == VALUE_FALSE:
                    value = False
                elif value.lower() == VALUE_TRUE:
                    value = True
                else:
                    raise bad
            else:
                value = bool(value)
        elif kind is str:
            if value is False:
                value = ""
            elif not isinstance(value, str):
                raise bad
        else:
            if isinstance(value, bool):
                raise bad
            try:
                value = (serializer.JsonNumber(value) if kind is float
                         else kind(value))
            except (TypeError, ValueError, OverflowError):
                raise bad
        target[key] = value


# VTYPE_* (hypervisor parameter tables) -> the type ForceDictType converts to
_VTYPE_KINDS: Dict[str, type] = {"string": str, "maybe-string": str,
                                 "bool": bool, "int": int, "size": int,
                                 "float": float}


def ForceVTypes(target: Dict[str, Any], vtypes: Dict[str, str],
                allow_default: bool = True) -> None:
    """ForceDictType for a VTYPE_* table (parameters given as command-line
    strings): "acpi=False" becomes the boolean False, sizes with units
    become MiB.  With allow_default, "default" and None (removal markers)
    are kept as they are; without, they are converted like any value.
    """
    convert = {}
    for key, value in target.items():
        if allow_default and (value is None or
                              value == constants.VALUE_DEFAULT):
            continue
        if vtypes.get(key) == "size" and isinstance(value, str):
            try:
                value = utils_text.ParseUnit(value)
            except errors.UnitParseError as err:
                raise errors.TypeEnforcementError(
                    "'%s' (value %s) is not a valid size. error: %s"
                    % (key, value, err))
        convert[key] = value
    ForceDictType(convert, {key: _VTYPE_KINDS.get(vtype, str)
                            for key, vtype in vtypes.items()})
    target.update(convert)


def GetUpdatedParams(old: Optional[dict], update: dict,
                     use_default: bool = True) -> dict:
    """old with update applied; "default" (and None, the "-key" form of the
    command line) remove a key so that the inherited value applies."""
    result = copy.deepcopy(old or {})
    for key, value in update.items():
        if value is None or (use_default and value == constants.VALUE_DEFAULT):
            result.pop(key, None)
        else:
            result[key] = value
    return result


def CheckParamsNotGlobal(params: Iterable[str], globals_: frozenset,
                         kind: str, bad_levels: str,
                         good_levels: str) -> None:
    used = sorted(globals_.intersection(params))
    if used:
        raise errors.OpPrereqError("The following %s parameters are global"
                                   " and cannot be customized at %s level,"
                                   " please modify them at %s level: %s" %
                                   (kind, bad_levels, good_levels,
                                    utils_text.CommaJoin(used)),
                                   errors.ECODE_INVAL)


def UpdateNdParams(current: Optional[dict], update: dict,
                   node_level: bool) -> dict:
    """New custom ndparams of a node (node_level) or group."""
    new = GetUpdatedParams(current, update)
    ForceDictType(new, ND_PARAMETER_TYPES)
    if node_level:
        CheckParamsNotGlobal(update, NDC_GLOBALS, "node", "node",
                             "cluster or group")
    return new


def _UpdateSubDicts(old: Optional[dict], update: dict,
                    params: Sequence[str]) -> dict:
    result = copy.deepcopy(old or {})
    types = dict.fromkeys(params, int)
    for key, values in update.items():
        if values is None or values is False:
            result.pop(key, None)
            continue
        new = GetUpdatedParams(result.get(key), values)
        ForceDictType(new, types)
        result[key] = new
    return result


def MergeHvState(update: Optional[dict], current: Optional[dict]
                 ) -> Optional[dict]:
    """Static hypervisor state after update ({hypervisor: {param: int}})."""
    if not update:
        return None
    bad = sorted(set(update) - set(constants.HYPER_TYPES))
    if bad:
        raise errors.OpPrereqError("Invalid hypervisor(s) in hypervisor state:"
                                   " %s" % utils_text.CommaJoin(bad),
                                   errors.ECODE_INVAL)
    return _UpdateSubDicts(current, update, HVST_PARAMETERS)


def MergeDiskState(update: Optional[dict], current: Optional[dict]
                   ) -> Optional[dict]:
    """Static disk state after update ({type: {name: {param: int}}})."""
    if not update:
        return None
    bad = sorted(set(update) - DS_VALID_TYPES)
    if bad:
        raise errors.OpPrereqError("Invalid storage type(s) in disk state: %s"
                                   % utils_text.CommaJoin(bad),
                                   errors.ECODE_INVAL)
    result = copy.deepcopy(current or {})
    for stype, units in update.items():
        result[stype] = _UpdateSubDicts(result.get(stype), units or {},
                                        DSS_PARAMETERS)
    return result


def _DiskParamTypes(template: str) -> Dict[str, type]:
    return {key: type(value) for key, value in
            defaults.DISK_DT_DEFAULTS.get(template, {}).items()}


def UpdateDiskParams(current: Optional[dict], update: dict) -> dict:
    """New custom diskparams ({template: {param: value}})."""
    result = copy.deepcopy(current or {})
    for template, params in update.items():
        if template not in defaults.DISK_DT_DEFAULTS:
            raise errors.OpPrereqError("While verify diskparams options:"
                                       " unknown disk template '%s'"
                                       % template, errors.ECODE_INVAL)
        new = GetUpdatedParams(result.get(template), params or {})
        types = _DiskParamTypes(template)
        if template == constants.DT_EXT:
            # the rest are the providers' parameters (EXTP_*), strings
            types.update({key: str for key in new if key not in types})
        ForceDictType(new, types)
        result[template] = new
    return result


def _CheckISpec(spec: Any, name: str, required: bool) -> dict:
    if not isinstance(spec, dict):
        raise errors.OpPrereqError("Invalid instance specs %s: %r" %
                                   (name, spec), errors.ECODE_INVAL)
    spec = dict(spec)
    ForceDictType(spec, dict.fromkeys(constants.ISPECS_PARAMETERS, int))
    missing = sorted(set(constants.ISPECS_PARAMETERS) - set(spec))
    if required and missing:
        raise errors.OpPrereqError("Missing parameters in ipolicy spec %s: %s"
                                   % (name, utils_text.CommaJoin(missing)),
                                   errors.ECODE_INVAL)
    return spec


def CheckIPolicySyntax(ipolicy: dict) -> None:
    """Basic sanity of a (partial) instance policy."""
    for minmax in ipolicy.get(ISPECS_MINMAX, []):
        low, high = minmax.get(ISPECS_MIN, {}), minmax.get(ISPECS_MAX, {})
        for key in constants.ISPECS_PARAMETERS:
            if key in low and key in high and low[key] > high[key]:
                raise errors.OpPrereqError(
                    "Invalid instance policy: Invalid specification of min/max"
                    " values for %s: %s/%s" % (key, low[key], high[key]),
                    errors.ECODE_INVAL)
    bad = sorted(set(ipolicy.get(IPOLICY_DTS, [])) -
                 set(constants.DISK_TEMPLATES))
    if bad:
        raise errors.OpPrereqError("Invalid instance policy: invalid disk"
                                   " template(s) %s" %
                                   utils_text.CommaJoin(bad),
                                   errors.ECODE_INVAL)


def GetUpdatedIPolicy(current: Optional[dict], update: dict,
                      group_policy: bool = True) -> dict:
    """A group's custom instance policy after update ("default" or empty
    values remove a key); with group_policy False, the cluster's complete
    policy (removed keys get the defaults, std may be updated)."""
    result = copy.deepcopy(current or {})
    for key, value in update.items():
        if key not in IPOLICY_ALL_KEYS:
            raise errors.OpPrereqError("Invalid key in new ipolicy: %s" % key,
                                       errors.ECODE_INVAL)
        if (value is None or value == [] or value == constants.VALUE_DEFAULT or
                value == [constants.VALUE_DEFAULT]):
            result.pop(key, None)
        elif key == ISPECS_STD and group_policy:
            raise errors.OpPrereqError("%s cannot appear in group instance"
                                       " specs" % key, errors.ECODE_INVAL)
        elif key == ISPECS_STD:
            std = dict(result.get(key) or {})
            std.update(_CheckISpec(value, key, False))
            result[key] = std
        elif key in constants.IPOLICY_PARAMETERS:
            try:
                result[key] = serializer.JsonNumber(value)
            except (TypeError, ValueError, OverflowError) as err:
                raise errors.OpPrereqError("Invalid value for attribute '%s':"
                                           " '%s', error: %s" %
                                           (key, value, err),
                                           errors.ECODE_INVAL)
        elif key == ISPECS_MINMAX:
            if not isinstance(value, list):
                raise errors.OpPrereqError("Invalid instance policy: minmax"
                                           " must be a list",
                                           errors.ECODE_INVAL)
            result[key] = [{name: _CheckISpec(pair.get(name), name, True)
                            for name in (ISPECS_MIN, ISPECS_MAX)}
                           for pair in value]
        else:
            result[key] = list(value)
    if not group_policy:
        result = FillIPolicy(defaults.IPOLICY_DEFAULTS, result)
    CheckIPolicySyntax(result)
    return result


# ---------------------------------------------------------- config helpers

def DiskTemplate(cfg, inst) -> str:
    getter = getattr(cfg, "GetInstanceDiskTemplate", None)
    if getter is not None:
        return getter(inst.uuid)
    return inst.disk_template


def GroupNodes(cfg, group_uuid: str) -> List[str]:
    return sorted((n.uuid for n in cfg.GetAllNodesInfo().values()
                   if n.group == group_uuid),
                  key=lambda uuid: cfg.GetNodeInfo(uuid).name)


def GroupInstances(cfg, group_uuid: str) -> List[str]:
    """Instances with at least one node in the group."""
    members = set(GroupNodes(cfg, group_uuid))
    return [inst.uuid for inst in cfg.GetAllInstancesInfo().values()
            if members.intersection(InstanceNodes(cfg, inst))]


def SplitInstances(cfg, changes: Sequence, nodes: Dict[str, Any],
                   instances: Dict[str, Any]):
    """(newly split, still split) mirrored instances if nodes change groups
    as changes ([(node uuid, group uuid)]) says."""
    moved = {uuid: group for uuid, group in changes
             if nodes[uuid].group != group}
    split_before = set()
    split_after = set()
    for inst in instances.values():
        if DiskTemplate(cfg, inst) not in DTS_INT_MIRROR:
            continue
        inst_nodes = InstanceNodes(cfg, inst)
        if len({nodes[n].group for n in inst_nodes}) > 1:
            split_before.add(inst.uuid)
        if len({moved.get(n, nodes[n].group) for n in inst_nodes}) > 1:
            split_after.add(inst.uuid)
    return (sorted(split_after - split_before),
            sorted(split_before & split_after))


def _InstanceNames(cfg, uuids: Iterable[str]) -> str:
    names = [cfg.GetInstanceInfo(u).name for u in uuids]
    return utils_text.CommaJoin(sorted(names))


def _AddLock(lu, level: int, name: str) -> None:
    if lu.glm is not None:
        lu.glm.add(level, [name])


def _RemoveLock(lu, level: int, name: str) -> None:
    if lu.glm is not None:
        lu.glm.remove(level, [name])


class _GroupLU(LogicalUnit):
    HTYPE = constants.HTYPE_GROUP
    REQ_BGL = False

    def BuildHooksEnv(self):
        return {"GROUP_NAME": self.op.group_name}

    def BuildHooksNodes(self):
        master = self.cfg.GetMasterNode()
        return ([master], [master])


# ------------------------------------------------------------------ the LUs

class LUGroupAdd(_GroupLU):
    """Create a node group (gnt-group add)."""
    HPATH = "group-add"

    def ExpandNames(self):
        self.group_uuid = objects.new_uuid()
        self.needed_locks = {}

    def CheckPrereq(self):
        try:
            existing = self.cfg.LookupNodeGroup(self.op.group_name)
        except errors.OpPrereqError:
            pass
        else:
            raise errors.OpPrereqError("Desired group name '%s' already exists"
                                       " as a node group (UUID: %s)" %
                                       (self.op.group_name, existing),
                                       errors.ECODE_EXISTS)
        op = self.op
        self.new_ndparams = (UpdateNdParams({}, op.ndparams, False)
                             if op.ndparams else {})
        self.new_diskparams = (UpdateDiskParams({}, op.diskparams)
                               if op.diskparams else {})
        self.new_hv_state = MergeHvState(op.hv_state, None)
        self.new_disk_state = MergeDiskState(op.disk_state, None)
        self.new_ipolicy = (GetUpdatedIPolicy({}, op.ipolicy)
                            if op.ipolicy else {})

    def Exec(self, feedback_fn):
        group = objects.NodeGroup(
            name=self.op.group_name, uuid=self.group_uuid, members=[],
            alloc_policy=self.op.alloc_policy, ndparams=self.new_ndparams,
            diskparams=self.new_diskparams, ipolicy=self.new_ipolicy,
            hv_state_static=self.new_hv_state,
            disk_state_static=self.new_disk_state)
        self.cfg.AddNodeGroup(group)
        _AddLock(self, locking.LEVEL_NODEGROUP, self.group_uuid)
        return None


class LUGroupRemove(_GroupLU):
    """Remove an empty node group (gnt-group remove)."""
    HPATH = "group-remove"

    def ExpandNames(self):
        self.group_uuid = self.cfg.LookupNodeGroup(self.op.group_name)
        self.needed_locks = {locking.LEVEL_NODEGROUP: [self.group_uuid]}

    def CheckPrereq(self):
        members = GroupNodes(self.cfg, self.group_uuid)
        if members:
            names = [self.cfg.GetNodeName(u) for u in members]
            raise errors.OpPrereqError("Group '%s' not empty, has the"
                                       " following nodes: %s" %
                                       (self.op.group_name,
                                        utils_text.CommaJoin(names)),
                                       errors.ECODE_STATE)
        if len(self.cfg.GetAllNodeGroupsInfo()) == 1:
            raise errors.OpPrereqError("Group '%s' is the only group, cannot"
                                       " be removed" % self.op.group_name,
                                       errors.ECODE_STATE)

    def Exec(self, feedback_fn):
        try:
            self.cfg.RemoveNodeGroup(self.group_uuid)
        except errors.ConfigurationError:
            raise errors.OpExecError("Group '%s' with UUID %s disappeared" %
                                     (self.op.group_name, self.group_uuid))
        _RemoveLock(self, locking.LEVEL_NODEGROUP, self.group_uuid)


class LUGroupRename(_GroupLU):
    """Rename a node group (gnt-group rename); returns the new name."""
    HPATH = "group-rename"

    def ExpandNames(self):
        self.group_uuid = self.cfg.LookupNodeGroup(self.op.group_name)
        self.needed_locks = {locking.LEVEL_NODEGROUP: [self.group_uuid]}

    def CheckPrereq(self):
        try:
            clash = self.cfg.LookupNodeGroup(self.op.new_name)
        except errors.OpPrereqError:
            return
        raise errors.OpPrereqError("Desired new name '%s' clashes with"
                                   " existing node group %s (UUID: %s)" %
                                   (self.op.new_name, self.op.group_name,
                                    clash), errors.ECODE_EXISTS)

    def BuildHooksEnv(self):
        return {"OLD_NAME": self.op.group_name, "NEW_NAME": self.op.new_name}

    def BuildHooksNodes(self):
        master = self.cfg.GetMasterNode()
        nodes = [master] + [u for u in GroupNodes(self.cfg, self.group_uuid)
                            if u != master]
        return (nodes, nodes)

    def Exec(self, feedback_fn):
        group = self.cfg.GetNodeGroup(self.group_uuid)
        if group is None:
            raise errors.OpExecError("Could not retrieve group '%s' (UUID: %s)"
                                     % (self.op.group_name, self.group_uuid))
        group.name = self.op.new_name
        self.cfg.Update(group, feedback_fn)
        return self.op.new_name


class LUGroupSetParams(_GroupLU):
    """Change a node group's parameters (gnt-group modify).

    Returns the [(parameter, new value)] changes shown by the client; like
    upstream, an allocation policy change is not listed.
    """
    HPATH = "group-modify"

    def CheckArguments(self):
        op = self.op
        changes = [op.ndparams, op.diskparams, op.alloc_policy, op.hv_state,
                   op.disk_state, op.ipolicy]
        if changes.count(None) == len(changes):
            raise errors.OpPrereqError("Please pass at least one modification",
                                       errors.ECODE_INVAL)

    def ExpandNames(self):
        self.group_uuid = self.cfg.LookupNodeGroup(self.op.group_name)
        self.needed_locks = {locking.LEVEL_INSTANCE: [],
                             locking.LEVEL_NODEGROUP: [self.group_uuid]}
        self.share_locks[locking.LEVEL_INSTANCE] = 1

    def DeclareLocks(self, level):
        if level == locking.LEVEL_INSTANCE:
            self.needed_locks[level] = GroupInstances(self.cfg,
                                                      self.group_uuid)

    def CheckPrereq(self):
        op = self.op
        self.group = self.cfg.GetNodeGroup(self.group_uuid)
        if self.group is None:
            raise errors.OpExecError("Could not retrieve group '%s' (UUID: %s)"
                                     % (op.group_name, self.group_uuid))
        group = self.group
        if op.ndparams:
            self.new_ndparams = UpdateNdParams(group.ndparams, op.ndparams,
                                               False)
        if op.diskparams:
            self.new_diskparams = UpdateDiskParams(group.diskparams,
                                                   op.diskparams)
        self.new_hv_state = MergeHvState(op.hv_state, group.hv_state_static)
        self.new_disk_state = MergeDiskState(op.disk_state,
                                             group.disk_state_static)
        if op.ipolicy:
            self.new_ipolicy = GetUpdatedIPolicy(group.ipolicy, op.ipolicy)
            ipolicy.WarnNewPolicyViolations(self, ipolicy.NewPolicyViolations(
                self.cfg, None, {group.uuid: self.new_ipolicy}))

    def BuildHooksEnv(self):
        return {"GROUP_NAME": self.op.group_name,
                "NEW_ALLOC_POLICY": self.op.alloc_policy}

    def Exec(self, feedback_fn):
        op = self.op
        group = self.group
        result = []
        if op.ndparams:
            group.ndparams = self.new_ndparams
            result.append(("ndparams", str(group.ndparams)))
        if op.diskparams:
            group.diskparams = self.new_diskparams
            result.append(("diskparams", str(group.diskparams)))
        if op.alloc_policy:
            group.alloc_policy = op.alloc_policy
        if self.new_hv_state is not None:
            group.hv_state_static = self.new_hv_state
        if self.new_disk_state is not None:
            group.disk_state_static = self.new_disk_state
        if op.ipolicy:
            group.ipolicy = self.new_ipolicy
        self.cfg.Update(group, feedback_fn)
        return result


class LUGroupAssignNodes(NoHooksLU):
    """Move nodes into a group (gnt-group assign-nodes)."""
    REQ_BGL = False

    def ExpandNames(self):
        self.group_uuid = self.cfg.LookupNodeGroup(self.op.group_name)
        self.op.node_uuids = [ExpandNodeUuid(self.cfg, name)
                              for name in self.op.nodes]
        self.needed_locks = {locking.LEVEL_NODEGROUP: [],
                             locking.LEVEL_NODE: list(self.op.node_uuids)}

    def DeclareLocks(self, level):
        if level == locking.LEVEL_NODEGROUP:
            # The source groups, read before their locks are held; checked
            # again in CheckPrereq.
            self.needed_locks[level] = sorted(self._InvolvedGroups())

    def _InvolvedGroups(self) -> set:
        groups = {self.group_uuid}
        for uuid in self.op.node_uuids:
            groups.add(self.cfg.GetNodeInfo(uuid).group)
        return groups

    def CheckPrereq(self):
        if self.glm is not None:
            owned = self.owned_locks(locking.LEVEL_NODEGROUP)
            expected = self._InvolvedGroups()
            if not expected.issubset(owned):
                raise errors.OpExecError("Nodes changed groups since locks"
                                         " were acquired, current groups are"
                                         " '%s', used to be '%s'" %
                                         (utils_text.CommaJoin(sorted(
                                             expected)),
                                          utils_text.CommaJoin(sorted(
                                              owned))))
        group = self.cfg.GetNodeGroup(self.group_uuid)
        if group is None:
            raise errors.OpExecError("Could not retrieve group '%s' (UUID: %s)"
                                     % (self.op.group_name, self.group_uuid))
        changes = [(uuid, self.group_uuid) for uuid in self.op.node_uuids]
        new_splits, old_splits = SplitInstances(
            self.cfg, changes, self.cfg.GetAllNodesInfo(),
            self.cfg.GetAllInstancesInfo())
        if new_splits:
            names = _InstanceNames(self.cfg, new_splits)
            if not self.op.force:
                raise errors.OpExecError("The following instances get split by"
                                         " this change and --force was not"
                                         " given: %s" % names)
            self.LogWarning("This operation will split the following"
                            " instances: %s", names)
            if old_splits:
                self.LogWarning("In addition, these already-split instances"
                                " continue to be split across groups: %s",
                                _InstanceNames(self.cfg, old_splits))

    def Exec(self, feedback_fn):
        self.cfg.AssignGroupNodes([(uuid, self.group_uuid)
                                   for uuid in self.op.node_uuids])


class LUGroupEvacuate(_GroupLU):
    """Move a group's instances to other groups (gnt-group evacuate): the
    iallocator computes the jobs (see group_change)."""
    HPATH = "group-evacuate"

    def ExpandNames(self):
        self.group_uuid = self.cfg.LookupNodeGroup(self.op.group_name)
        self.target_uuids = [self.cfg.LookupNodeGroup(name)
                             for name in (self.op.target_groups or [])]
        if self.group_uuid in self.target_uuids:
            raise errors.OpPrereqError("Group to be evacuated (%s) can not be"
                                       " used as a target group (targets are"
                                       " %s)" % (self.group_uuid,
                                                 utils_text.CommaJoin(
                                                     self.target_uuids)),
                                       errors.ECODE_INVAL)
        self.needed_locks = {locking.LEVEL_NODEGROUP: locking.ALL_SET,
                             locking.LEVEL_NODE: locking.ALL_SET}
        self.share_locks[locking.LEVEL_NODEGROUP] = 1
        self.share_locks[locking.LEVEL_NODE] = 1

    def CheckPrereq(self):
        from ganeti.cmdlib.group_change import ChosenIAllocator
        if not self.target_uuids:
            self.target_uuids = [u for u in self.cfg.GetAllNodeGroupsInfo()
                                 if u != self.group_uuid]
            if not self.target_uuids:
                raise errors.OpPrereqError("There are no possible target"
                                           " groups", errors.ECODE_INVAL)
        self.instances = GroupInstances(self.cfg, self.group_uuid)
        self.ialloc_name = ChosenIAllocator(self) if self.instances else None

    def BuildHooksEnv(self):
        return {"GROUP_NAME": self.op.group_name,
                "TARGET_GROUPS": " ".join(self.target_uuids)}

    def Exec(self, feedback_fn):
        from ganeti.cmdlib import group_change
        if not self.instances:
            return ResultWithJobs([])
        names = sorted(self.cfg.GetInstanceInfo(uuid).name
                       for uuid in self.instances)
        jobs = group_change.GroupChangeJobs(
            self, names, self.target_uuids, self.ialloc_name,
            "Can't compute group evacuation using iallocator '%s': %s")
        if self.op.force_failover:
            jobs = group_change.ForceFailover(jobs)
        if self.op.sequential:
            jobs = group_change.Sequential(jobs)
        self.LogInfo("Iallocator returned %s job(s) for evacuating node group"
                     " %s", len(jobs), self.op.group_name)
        return ResultWithJobs(jobs)
