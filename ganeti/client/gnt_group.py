"""gnt-group: node group administration."""

import io
from typing import Any, Dict, List

from ganeti import constants
from ganeti import errors
from ganeti import opcodes
from ganeti.cli import *  # noqa: F401,F403 (option objects)
from ganeti.cli import (ARGS_MANY_GROUPS, ARGS_ONE_GROUP, EXIT_FAILURE,
                        EXIT_SUCCESS, GenericList, GenericListFields,
                        GenericMain, GetClient, ParseFields,
                        PrintGenericInfo, SubmitOrSend, ToStderr, ToStdout,
                        WaitForResultJobs)
from ganeti.client import gnt_tags
from ganeti.utils import text as utils_text

#: Default columns of "gnt-group list".
_LIST_DEF_FIELDS = ["name", "node_cnt", "pinst_cnt", "alloc_policy",
                    "ndparams"]

_INFO_FIELDS = ["name", "ndparams", "custom_ndparams", "diskparams",
                "custom_diskparams", "ipolicy", "custom_ipolicy"]

_ISPECS_MINMAX_KEYS = ("min", "max")
_ISPECS_SIZE_KEYS = ("disk-size", "memory-size")


# ------------------------------------------------------------ formatting

def _FmtValue(value: Any) -> str:
    """str() of a value, integral floats without ".0" (as upstream's
    configuration, written by Haskell, stores them)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _FmtDict(data: Dict[str, Any]) -> str:
    return ", ".join("%s=%s" % (key, _FmtValue(value))
                     for key, value in data.items())


def FormatParamsDictInfo(custom: Dict[str, Any], actual: Dict[str, Any]
                         ) -> Dict[str, Any]:
    """{key: value or "default (value)"} of filled parameters; non-empty
    nested dictionaries are formatted recursively."""
    result: Dict[str, Any] = {}
    for key, value in actual.items():
        if isinstance(value, dict) and value:
            result[key] = FormatParamsDictInfo((custom or {}).get(key) or {},
                                               value)
        elif key in (custom or {}):
            result[key] = _FmtValue(custom[key])
        else:
            result[key] = "default (%s)" % _FmtValue(value)
    return result


def FormatPolicyInfo(custom: Dict[str, Any], effective: Dict[str, Any]
                     ) -> List:
    """The "Instance policy" tree of a group."""
    custom = custom or {}
    bounds = []
    custom_minmax = custom.get("minmax")
    for idx, minmax in enumerate(custom_minmax or effective.get("minmax",
                                                               [])):
        pair = []
        for key in _ISPECS_MINMAX_KEYS:
            own = minmax[key] if custom_minmax else {}
            pair.append(("%s/%s" % (key, idx),
                         FormatParamsDictInfo(own, minmax[key])))
        bounds.append(pair)
    if custom.get("disk-templates") is not None:
        templates = ", ".join(custom["disk-templates"])
    else:
        templates = "default (%s)" % ", ".join(
            effective.get("disk-templates", []))
    result: List = [("bounds specs", bounds),
                    ("allowed disk templates", templates)]
    for key in constants.IPOLICY_PARAMETERS:
        if key in custom:
            result.append((key, _FmtValue(custom[key])))
        else:
            result.append((key, "default (%s)" %
                           _FmtValue(effective.get(key))))
    return result


# --------------------------------------------------------- ipolicy options

def ParseISpec(spec: Dict[str, Any], name: str,
               required: bool = True) -> Dict[str, Any]:
    """An instance spec of the ipolicy options (sizes parsed, all keys
    present unless not required)."""
    result = dict(spec or {})
    for key in _ISPECS_SIZE_KEYS:
        if key in result:
            try:
                result[key] = utils_text.ParseUnit(str(result[key]))
            except errors.UnitParseError as err:
                raise errors.OpPrereqError("Invalid parameter %s (%s) in %s"
                                           " instance specs: %s" %
                                           (key, result[key], name, err),
                                           errors.ECODE_INVAL)
    missing = sorted(set(constants.ISPECS_PARAMETERS) - set(result))
    if missing and required:
        raise errors.OpPrereqError("Missing parameters in ipolicy spec %s: %s"
                                   % (name, ", ".join(missing)),
                                   errors.ECODE_INVAL)
    return result


def CreateGroupIPolicy(opts) -> Dict[str, Any]:
    """The (partial) group instance policy given by the ipolicy options."""
    ipolicy: Dict[str, Any] = {}
    bounds = getattr(opts, "ipolicy_bounds_specs", None)
    if bounds is not None:
        if (len(bounds) == 1 and len(bounds[0]) == 1 and
                bounds[0].get(constants.VALUE_DEFAULT) == {}):
            ipolicy["minmax"] = constants.VALUE_DEFAULT
        else:
            minmax = []
            for pair in bounds:
                out = {}
                for key, spec in pair.items():
                    if key not in _ISPECS_MINMAX_KEYS:
                        raise errors.OpPrereqError("Invalid key in bounds"
                                                   " instance specifications:"
                                                   " %s" % key,
                                                   errors.ECODE_INVAL)
                    out[key] = ParseISpec(spec, key)
                minmax.append(out)
            ipolicy["minmax"] = minmax
    templates = getattr(opts, "ipolicy_disk_templates", None)
    if templates is not None:
        ipolicy["disk-templates"] = list(templates)
    for attr, key in (("ipolicy_vcpu_ratio", "vcpu-ratio"),
                      ("ipolicy_spindle_ratio", "spindle-ratio")):
        value = getattr(opts, attr, None)
        if value is not None:
            ipolicy[key] = value
    return ipolicy


def _IdentDicts(opts) -> tuple:
    """(diskparams, hv_state, disk_state) from the -D/--hypervisor-state/
    --disk-state options."""
    disk_state: Dict[str, Any] = {}
    for key, value in opts.disk_state or []:
        parts = key.split("/")
        target = disk_state
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return dict(opts.diskparams or []), dict(opts.hv_state or []), disk_state


def _CheckAllocPolicy(opts) -> None:
    if (opts.alloc_policy is not None and
            opts.alloc_policy not in constants.VALID_ALLOC_POLICIES):
        raise errors.OpPrereqError("Invalid allocation policy '%s', valid"
                                   " values are: %s" %
                                   (opts.alloc_policy,
                                    ", ".join(sorted(
                                        constants.VALID_ALLOC_POLICIES))),
                                   errors.ECODE_INVAL)


# ------------------------------------------------------------- commands

def AddGroup(opts, args) -> int:
    """gnt-group add: create a node group."""
    (group_name,) = args
    _CheckAllocPolicy(opts)
    diskparams, hv_state, disk_state = _IdentDicts(opts)
    op = opcodes.OpGroupAdd(group_name=group_name, ndparams=opts.ndparams,
                            alloc_policy=opts.alloc_policy,
                            diskparams=diskparams,
                            ipolicy=CreateGroupIPolicy(opts),
                            hv_state=hv_state, disk_state=disk_state)
    SubmitOrSend(op, opts)
    return EXIT_SUCCESS


def AssignNodes(opts, args) -> int:
    """gnt-group assign-nodes: move nodes into a group."""
    op = opcodes.OpGroupAssignNodes(group_name=args[0], nodes=args[1:],
                                    force=opts.force)
    SubmitOrSend(op, opts)
    return EXIT_SUCCESS


def ListGroups(opts, args) -> int:
    fields = ParseFields(opts.output, _LIST_DEF_FIELDS)
    override = {
        "node_list": (",".join, False),
        "pinst_list": (",".join, False),
        "ndparams": (_FmtDict, False),
    }
    return GenericList(constants.QR_GROUP, fields, args, None,
                       opts.separator, not opts.no_headers,
                       format_override=override, verbose=opts.verbose,
                       force_filter=opts.force_filter)


def ListGroupFields(opts, args) -> int:
    return GenericListFields(constants.QR_GROUP, args, opts.separator,
                             not opts.no_headers)


def SetGroupParams(opts, args) -> int:
    """gnt-group modify: change a group's parameters."""
    _CheckAllocPolicy(opts)
    diskparams, hv_state, disk_state = _IdentDicts(opts)
    ipolicy = CreateGroupIPolicy(opts)
    if not (opts.ndparams is not None or opts.alloc_policy or diskparams or
            hv_state or disk_state or ipolicy):
        ToStderr("Please give at least one of the parameters.")
        return EXIT_FAILURE
    op = opcodes.OpGroupSetParams(group_name=args[0], ndparams=opts.ndparams,
                                  alloc_policy=opts.alloc_policy,
                                  hv_state=hv_state, disk_state=disk_state,
                                  diskparams=diskparams, ipolicy=ipolicy)
    result = SubmitOrSend(op, opts)
    if result:
        ToStdout("Modified node group %s", args[0])
        for param, value in result:
            ToStdout(" - %-5s -> %s", param, value)
    return EXIT_SUCCESS


def RemoveGroup(opts, args) -> int:
    """gnt-group remove: delete an empty node group."""
    (group_name,) = args
    SubmitOrSend(opcodes.OpGroupRemove(group_name=group_name), opts)
    return EXIT_SUCCESS


def RenameGroup(opts, args) -> int:
    """gnt-group rename: rename a node group."""
    group_name, new_name = args
    SubmitOrSend(opcodes.OpGroupRename(group_name=group_name,
                                       new_name=new_name), opts)
    return EXIT_SUCCESS


def EvacuateGroup(opts, args) -> int:
    """gnt-group evacuate: move all instances out of a group."""
    (group_name,) = args
    cl = GetClient()
    op = opcodes.OpGroupEvacuate(group_name=group_name,
                                 iallocator=opts.iallocator,
                                 target_groups=opts.to,
                                 early_release=opts.early_release,
                                 sequential=opts.sequential,
                                 force_failover=opts.force_failover)
    return WaitForResultJobs(SubmitOrSend(op, opts, cl=cl), opts, cl,
                             "All instances evacuated successfully.",
                             "There were %s errors during the evacuation.")


def GroupInfo(opts, args) -> int:
    """gnt-group info: parameters of groups, custom or inherited."""
    cl = GetClient()
    rows = cl.QueryGroups(args, _INFO_FIELDS, False)
    data = []
    for (name, ndparams, custom_ndparams, diskparams, custom_diskparams,
         ipolicy, custom_ipolicy) in rows:
        data.append([
            ("Node group", name),
            ("Node parameters",
             FormatParamsDictInfo(custom_ndparams, ndparams)),
            ("Disk parameters",
             FormatParamsDictInfo(custom_diskparams, diskparams)),
            ("Instance policy", FormatPolicyInfo(custom_ipolicy, ipolicy)),
        ])
    PrintGenericInfo(data)
    return EXIT_SUCCESS


def _SpecsText(specs: Dict[str, Any]) -> str:
    return ",".join("%s=%s" % (key, value)
                    for key, value in sorted(specs.items()))


def IPolicyCommand(group_name: str, ipolicy: Dict[str, Any],
                   command: str = "gnt-group add") -> str:
    """A "gnt-group add" (or "gnt-cluster init") command line recreating a
    group's (the cluster's, with the std specs) ipolicy specs."""
    buf = io.StringIO()
    buf.write(command)
    if not command.startswith("gnt-group") and ipolicy.get("std"):
        buf.write(" --ipolicy-std-specs %s" % _SpecsText(ipolicy["std"]))
    first = True
    for minmax in ipolicy.get("minmax", []):
        low, high = minmax.get("min"), minmax.get("max")
        if not (low and high):
            continue
        buf.write(" --ipolicy-bounds-specs " if first else "//")
        first = False
        buf.write("min:%s/max:%s" % (_SpecsText(low), _SpecsText(high)))
    buf.write(" %s" % group_name)
    return buf.getvalue()


def ShowCreateCommand(opts, args) -> int:
    """gnt-group show-ispecs-cmd."""
    cl = GetClient()
    field = "ipolicy" if opts.include_defaults else "custom_ipolicy"
    for name, ipolicy in cl.QueryGroups(args, ["name", field], False):
        ToStdout(IPolicyCommand(name, ipolicy or {}))
    return EXIT_SUCCESS


_SUBMIT = [SUBMIT_OPT, PRINT_JOBID_OPT]

commands = {
    "add": (
        AddGroup, ARGS_ONE_GROUP,
        [DRY_RUN_OPT, ALLOC_POLICY_OPT, NODE_PARAMS_OPT, DISK_PARAMS_OPT,
         HV_STATE_OPT, DISK_STATE_OPT, PRIORITY_OPT] + _SUBMIT +
        INSTANCE_POLICY_OPTS,
        "<group_name>", "Add a new node group to the cluster"),
    "assign-nodes": (
        AssignNodes, ARGS_ONE_GROUP + ARGS_MANY_NODES,
        [DRY_RUN_OPT, FORCE_OPT, PRIORITY_OPT] + _SUBMIT,
        "<group_name> <node>...", "Assign nodes to a group"),
    "list": (
        ListGroups, ARGS_MANY_GROUPS,
        [NOHDR_OPT, SEP_OPT, FIELDS_OPT, VERBOSE_OPT, FORCE_FILTER_OPT],
        "[<group_name>...]",
        "Lists the node groups in the cluster. The available fields can be"
        " shown using the \"list-fields\" command (see the man page for"
        " details). The default list is (in order): %s." %
        ", ".join(_LIST_DEF_FIELDS)),
    "list-fields": (
        ListGroupFields, [ArgUnknown()], [NOHDR_OPT, SEP_OPT], "[fields...]",
        "Lists all available fields for node groups"),
    "modify": (
        SetGroupParams, ARGS_ONE_GROUP,
        [DRY_RUN_OPT] + _SUBMIT +
        [ALLOC_POLICY_OPT, NODE_PARAMS_OPT, HV_STATE_OPT, DISK_STATE_OPT,
         DISK_PARAMS_OPT, PRIORITY_OPT] + INSTANCE_POLICY_OPTS,
        "<group_name>", "Alters the parameters of a node group"),
    "remove": (
        RemoveGroup, ARGS_ONE_GROUP,
        [DRY_RUN_OPT, PRIORITY_OPT] + _SUBMIT,
        "[--dry-run] <group-name>",
        "Remove an (empty) node group from the cluster"),
    "rename": (
        RenameGroup, [ArgGroup(min=2, max=2)],
        [DRY_RUN_OPT] + _SUBMIT + [PRIORITY_OPT],
        "[--dry-run] <group-name> <new-name>", "Rename a node group"),
    "evacuate": (
        EvacuateGroup, [ArgGroup(min=1, max=1)],
        [TO_GROUP_OPT, IALLOCATOR_OPT, EARLY_RELEASE_OPT, SEQUENTIAL_OPT,
         FORCE_FAILOVER_OPT] + _SUBMIT,
        "[-I <iallocator>] [--to <group>]",
        "Evacuate all instances within a group"),
    "info": (
        GroupInfo, ARGS_MANY_GROUPS, [], "[<group_name>...]",
        "Show group information"),
    "show-ispecs-cmd": (
        ShowCreateCommand, ARGS_MANY_GROUPS, [INCLUDEDEFAULTS_OPT],
        "[--include-defaults] [<group_name>...]",
        "Show the command line to re-create a group"),
}
commands.update(gnt_tags.TagCommands("nodegroup"))

aliases: Dict[str, str] = {}


def Main() -> int:
    return GenericMain(commands, aliases=aliases,
                       env_override=frozenset(["list"]))
