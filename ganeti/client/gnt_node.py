"""gnt-node: inspect and change the cluster's nodes.

Membership (add, remove) comes from gnt_node_add; instance movement
(evacuate, migrate, failover) is not here yet.
"""

from typing import Any, Dict, List

from ganeti import constants
from ganeti import errors
from ganeti import opcodes
from ganeti.cli import *  # noqa: F401,F403 (option objects)
from ganeti.cli import (ARGS_MANY_NODES, ARGS_ONE_NODE, EXIT_FAILURE,
                        EXIT_SUCCESS, AskUser, ConfirmOperation,
                        GenerateTable, GenericList, GenericListFields,
                        GenericMain, GetClient, GetOnlineNodes,
                        JobSubmittedException,
                        ParseFields, PollJob,
                        PrintGenericInfo, SendJob, SetGenericOpcodeOpts,
                        SubmitOpCode, SubmitOrSend, ToStderr, ToStdout,
                        cli_option)
from ganeti.client import gnt_node_add, gnt_node_instances, gnt_tags

#: Default columns of "gnt-node list".
_LIST_DEF_FIELDS = ["name", "dtotal", "dfree", "mtotal", "mnode", "mfree",
                    "pinst_cnt", "sinst_cnt"]

#: Default columns of "gnt-node volumes".
_LIST_VOL_DEF_FIELDS = ["node", "phys", "vg", "name", "size", "instance"]

#: Default columns of "gnt-node list-storage".
_LIST_STOR_DEF_FIELDS = ["node", "type", "name", "size", "used", "free",
                         "allocatable"]

_LIST_VOL_HEADERS = {"node": "Node", "phys": "PhysDev", "vg": "VG",
                     "name": "Name", "size": "Size", "instance": "Instance"}

_LIST_STOR_HEADERS = {"node": "Node", "type": "Type", "name": "Name",
                      "size": "Size", "used": "Used", "free": "Free",
                      "allocatable": "Allocatable"}

#: Storage types as the user names them.
_USER_STORAGE_TYPE = {
    constants.ST_FILE: constants.ST_FILE,
    constants.ST_LVM_PV: constants.ST_LVM_PV,
    constants.ST_LVM_VG: constants.ST_LVM_VG,
    constants.ST_SHARED_FILE: constants.ST_SHARED_FILE,
    constants.ST_GLUSTER: constants.ST_GLUSTER,
}
_MODIFIABLE_STORAGE_TYPES = [constants.ST_LVM_PV]
_REPAIRABLE_STORAGE_TYPES = [constants.ST_LVM_VG]

_INFO_FIELDS = ["name", "pip", "sip", "master_candidate", "drained",
                "offline", "master_capable", "vm_capable", "pinst_list",
                "sinst_list", "ndparams", "custom_ndparams"]

#: "gnt-node power" subcommands; the first two ask for confirmation.
_LIST_POWER_COMMANDS = ["on", "off", "cycle", "status"]
_OOB_COMMAND_ASK = [constants.OOB_POWER_OFF, constants.OOB_POWER_CYCLE]

#: (verbose, terse) texts of abnormal result statuses.
_RS_DESCRIPTION = {
    constants.RS_UNKNOWN: ("Unknown field", "??"),
    constants.RS_NODATA: ("No data", "?"),
    constants.RS_UNAVAIL: ("Not available", "-"),
    constants.RS_OFFLINE: ("Node offline", "*"),
}

_STORAGE_TYPE_OPT = cli_option("-t", "--storage-type",
                               dest="user_storage_type",
                               choices=list(_USER_STORAGE_TYPE),
                               default=None, metavar="STORAGE_TYPE",
                               help=("Storage type (%s)" %
                                     ", ".join(sorted(_USER_STORAGE_TYPE))))

_IGNORE_STATUS_OPT = cli_option("--ignore-status", default=False,
                                action="store_true", dest="ignore_status",
                                help="Ignore the Node(s) offline status"
                                     " (potentially DANGEROUS)")


def ConvertStorageType(user_storage_type: str) -> str:
    """The storage type for a user-given name (error if unknown)."""
    if user_storage_type not in _USER_STORAGE_TYPE:
        raise errors.OpPrereqError("Unknown storage type: %s" %
                                   user_storage_type, errors.ECODE_INVAL)
    return _USER_STORAGE_TYPE[user_storage_type]


def FormatStatus(status: int, verbose: bool) -> str:
    """Text of an abnormal result status (RS_* other than RS_NORMAL)."""
    verbose_text, terse = _RS_DESCRIPTION[status]
    return verbose_text if verbose else terse


def FlatToDict(pairs: List) -> Dict[str, Any]:
    """[("a/b", v)] -> {"a": {"b": v}} (disk state identifiers)."""
    result: Dict[str, Any] = {}
    for key, value in pairs or []:
        parts = key.split("/")
        target = result
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return result


def _CommaList(value: Any) -> str:
    return ",".join(value)


def _FormatParamsDict(value: Any) -> str:
    """A parameter dict as Python prints it, integral floats as integers."""
    if not isinstance(value, dict):
        return str(value)
    return "{%s}" % ", ".join(
        "%r: %s" % (key, FormatValue(val) if isinstance(val, float)
                    else repr(val))
        for key, val in value.items())


# --------------------------------------------------------------- listing

def ListNodes(opts, args) -> int:
    selected = ParseFields(opts.output, _LIST_DEF_FIELDS)
    override = dict.fromkeys(["pinst_list", "sinst_list", "tags"],
                             (_CommaList, False))
    override.update(dict.fromkeys(["ndparams", "custom_ndparams"],
                                  (_FormatParamsDict, False)))
    return GenericList(constants.QR_NODE, selected, args, opts.units,
                       opts.separator, not opts.no_headers,
                       format_override=override, verbose=opts.verbose,
                       force_filter=opts.force_filter)


def ListNodeFields(opts, args) -> int:
    return GenericListFields(constants.QR_NODE, args, opts.separator,
                             not opts.no_headers)


def FormatValue(value: Any) -> str:
    """str() of a parameter value; integral floats print without ".0", as
    upstream's configuration (written by Haskell code) stores them."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _FormatNdParams(filled: dict, custom: dict) -> List:
    result = []
    for key in sorted(filled):
        if key in (custom or {}):
            result.append((key, FormatValue(custom[key])))
        else:
            result.append((key, "default (%s)" % FormatValue(filled[key])))
    return result


def ShowNodeConfig(opts, args) -> int:
    cl = GetClient()
    rows = cl.QueryNodes(args, _INFO_FIELDS, False)
    data = []
    for (name, pip, sip, mc, drained, offline, master_capable, vm_capable,
         pinst, sinst, ndparams, custom) in rows:
        data.append([
            ("Node name", name),
            ("primary ip", pip),
            ("secondary ip", sip),
            ("master candidate", mc),
            ("drained", drained),
            ("offline", offline),
            ("master_capable", master_capable),
            ("vm_capable", vm_capable),
            ("primary for instances", sorted(pinst or [])),
            ("secondary for instances", sorted(sinst or [])),
            ("node parameters", _FormatNdParams(ndparams or {}, custom or {})),
        ])
    PrintGenericInfo(data)
    return EXIT_SUCCESS


def _PrintTable(fields: List[str], headers: Dict[str, str], rows: List,
                opts, numfields=(), unitfields=()) -> None:
    lines = GenerateTable(headers=None if opts.no_headers else headers,
                          fields=fields, separator=opts.separator, data=rows,
                          numfields=numfields, unitfields=unitfields,
                          units=getattr(opts, "units", None))
    for line in lines:
        ToStdout(line)


def ListVolumes(opts, args) -> int:
    """gnt-node volumes: the logical volumes of nodes."""
    fields = ParseFields(opts.output, _LIST_VOL_DEF_FIELDS)
    op = opcodes.OpNodeQueryvols(nodes=args, output_fields=fields)
    output = SubmitOpCode(op, opts=opts)
    _PrintTable(fields, _LIST_VOL_HEADERS, output, opts,
                numfields=["size"], unitfields=["size"])
    return EXIT_SUCCESS


def ListStorage(opts, args) -> int:
    """gnt-node list-storage: storage units (file dirs, VGs, PVs)."""
    fields = ParseFields(opts.output, _LIST_STOR_DEF_FIELDS)
    storage_type = None
    if opts.user_storage_type is not None:
        storage_type = ConvertStorageType(opts.user_storage_type)
    op = opcodes.OpNodeQueryStorage(nodes=args, storage_type=storage_type,
                                    output_fields=fields)
    output = SubmitOpCode(op, opts=opts)
    rows = []
    for row in output:
        cells = []
        for field, value in zip(fields, row):
            if field == "allocatable":
                value = "Y" if value else "N"
            cells.append(str(value))
        rows.append(cells)
    sizes = ["size", "used", "free"]
    _PrintTable(fields, _LIST_STOR_HEADERS, rows, opts, numfields=sizes,
                unitfields=sizes)
    return EXIT_SUCCESS


# -------------------------------------------------------------- changing

def SetNodeParams(opts, args) -> int:
    """gnt-node modify: change flags and parameters of one node."""
    changes = [opts.master_candidate, opts.drained, opts.offline,
               opts.master_capable, opts.vm_capable, opts.secondary_ip,
               opts.ndparams, opts.node_powered]
    if (changes.count(None) == len(changes) and
            not (opts.hv_state or opts.disk_state)):
        ToStderr("Please give at least one of the parameters.")
        return EXIT_FAILURE
    op = opcodes.OpNodeSetParams(
        node_name=args[0], master_candidate=opts.master_candidate,
        offline=opts.offline, drained=opts.drained,
        master_capable=opts.master_capable, vm_capable=opts.vm_capable,
        secondary_ip=opts.secondary_ip, force=opts.force,
        ndparams=opts.ndparams, auto_promote=opts.auto_promote,
        powered=opts.node_powered, hv_state=dict(opts.hv_state),
        disk_state=FlatToDict(opts.disk_state))
    result = SubmitOrSend(op, opts)
    if result:
        ToStdout("Modified node %s", args[0])
        for param, value in result:
            ToStdout(" - %-5s -> %s", param, value)
    return EXIT_SUCCESS


def ModifyStorage(opts, args) -> int:
    """gnt-node modify-storage: change a storage unit's attributes."""
    node_name, user_storage_type, volume_name = args
    storage_type = ConvertStorageType(user_storage_type)
    changes = {}
    if opts.allocatable is not None:
        changes["allocatable"] = opts.allocatable
    if not changes:
        ToStderr("No changes to perform, exiting.")
        return EXIT_SUCCESS
    op = opcodes.OpNodeModifyStorage(node_name=node_name,
                                     storage_type=storage_type,
                                     name=volume_name, changes=changes)
    SubmitOrSend(op, opts)
    return EXIT_SUCCESS


def RepairStorage(opts, args) -> int:
    """gnt-node repair-storage: repair a storage unit."""
    node_name, user_storage_type, volume_name = args
    storage_type = ConvertStorageType(user_storage_type)
    op = opcodes.OpRepairNodeStorage(
        node_name=node_name, storage_type=storage_type, name=volume_name,
        ignore_consistency=opts.ignore_consistency)
    SubmitOrSend(op, opts)
    return EXIT_SUCCESS


# ------------------------------------------------------------------ power

def PowercycleNode(opts, args) -> int:
    """gnt-node powercycle: hard-reboot a node through its hypervisor."""
    node = args[0]
    if (not opts.confirm and
            not AskUser("Are you sure you want to hard powercycle node %s?" %
                        node)):
        return 2
    op = opcodes.OpNodePowercycle(node_name=node, force=opts.force)
    result = SubmitOrSend(op, opts)
    if result:
        ToStderr(result)
    return EXIT_SUCCESS


def PowerNode(opts, args) -> int:
    """gnt-node power on|off|cycle|status: out-of-band power control."""
    command = args.pop(0)
    if command not in _LIST_POWER_COMMANDS:
        ToStderr("power subcommand %s not supported." % command)
        return EXIT_FAILURE
    oob_command = "power-%s" % command
    if oob_command in _OOB_COMMAND_ASK:
        if not args:
            ToStderr("Please provide at least one node for this command")
            return EXIT_FAILURE
        if not opts.force and not ConfirmOperation(args, "nodes",
                                                   "power %s" % command):
            return EXIT_FAILURE
    ops = []
    if not opts.ignore_status and oob_command == constants.OOB_POWER_OFF:
        for node in args:
            ops.append(opcodes.OpNodeSetParams(node_name=node, offline=True,
                                               auto_promote=opts.auto_promote))
    ops.append(opcodes.OpOobCommand(node_names=args, command=oob_command,
                                    ignore_status=opts.ignore_status,
                                    timeout=opts.oob_timeout,
                                    power_delay=opts.power_delay))
    SetGenericOpcodeOpts(ops, opts)
    job_id = SendJob(ops)
    if getattr(opts, "print_jobid", False):
        ToStdout("%d", job_id)
    if getattr(opts, "submit_only", False):
        raise JobSubmittedException(job_id)
    result = PollJob(job_id)[-1]
    errs = 0
    rows = []
    for (_, node_name), (status, payload) in result:
        if status == constants.RS_NORMAL:
            if oob_command == constants.OOB_POWER_STATUS:
                text = "powered" if payload.get("powered") else "unpowered"
            else:
                text = "invoked"
        else:
            errs += 1
            text = FormatStatus(status, True)
        rows.append([node_name, text])
    _PrintTable(["node", "status"], {"node": "Node", "status": "Status"},
                rows, opts)
    return EXIT_FAILURE if errs else EXIT_SUCCESS


def Health(opts, args) -> int:
    """gnt-node health: out-of-band health items of nodes."""
    op = opcodes.OpOobCommand(node_names=args, command=constants.OOB_HEALTH,
                              timeout=opts.oob_timeout)
    result = SubmitOpCode(op, opts=opts)
    errs = 0
    rows = []
    for (_, node_name), (status, payload) in result:
        if status == constants.RS_NORMAL:
            items = list(payload or [])
            if not items:
                rows.append([node_name, ""])
            for idx, (item, item_status) in enumerate(items):
                rows.append([node_name if idx == 0 else "",
                             "%s=%s" % (item, item_status)])
        else:
            errs += 1
            rows.append([node_name, FormatStatus(status, True)])
    _PrintTable(["node", "status"], {"node": "Node", "status": "Status"},
                rows, opts)
    return EXIT_FAILURE if errs else EXIT_SUCCESS


def ListDrbd(opts, args) -> int:
    """gnt-node list-drbd: DRBD minors in use on a node.

    Minors are only allocated to DRBD instances; without any on the node
    the table is empty.
    """
    cl = GetClient()
    (name,), = cl.QueryNodes(args, ["name"], False)
    instances = cl.QueryInstances([], ["name", "disk_template", "pnode",
                                       "snodes"], False)
    drbd = [row[0] for row in instances
            if row[1] == constants.DT_DRBD8 and
            (row[2] == name or name in (row[3] or []))]
    if drbd:
        ToStderr("Cannot list the DRBD minors of instance(s) %s: querying"
                 " minors is not supported yet", ", ".join(sorted(drbd)))
        return EXIT_FAILURE
    headers = {"node": "Node", "minor": "Minor", "instance": "Instance",
               "disk": "Disk", "role": "Role", "peer": "PeerNode"}
    _PrintTable(["node", "minor", "instance", "disk", "role", "peer"],
                headers, [], opts, numfields=["minor"])
    return EXIT_SUCCESS


def RestrictedCommand(opts: Any, args: List[str]) -> int:
    """Run a restricted command (args[0]) on the given nodes or the nodes
    of a group; prints each node's output."""
    client = GetClient()
    if len(args) > 1 or opts.nodegroup:
        nodes = GetOnlineNodes(nodes=args[1:], cl=client,
                               nodegroup=opts.nodegroup)
    else:
        raise errors.OpPrereqError("Node group or node names must be given",
                                   errors.ECODE_INVAL)
    op = opcodes.OpRestrictedCommand(command=args[0], nodes=nodes,
                                     use_locking=opts.do_locking)
    result = SubmitOrSend(op, opts, cl=client)
    exit_code = EXIT_SUCCESS
    for node, (status, text) in zip(nodes, result):
        ToStdout("------------------------------------------------")
        if status:
            if opts.show_machine_names:
                for line in text.splitlines():
                    ToStdout("%s: %s", node, line)
            else:
                ToStdout("Node: %s", node)
                ToStdout(text)
        else:
            exit_code = EXIT_FAILURE
            ToStdout(text)
    return exit_code


commands = {
    "list": (
        ListNodes, ARGS_MANY_NODES,
        [NOHDR_OPT, SEP_OPT, USEUNITS_OPT, FIELDS_OPT, VERBOSE_OPT,
         FORCE_FILTER_OPT],
        "[nodes...]",
        "Lists the nodes in the cluster. The available fields can be shown"
        " using the \"list-fields\" command (see the man page for details)."
        " The default field list is (in order): %s." %
        ", ".join(_LIST_DEF_FIELDS)),
    "list-fields": (
        ListNodeFields, [ArgUnknown()], [NOHDR_OPT, SEP_OPT],
        "[fields...]", "Lists all available fields for nodes"),
    "info": (
        ShowNodeConfig, ARGS_MANY_NODES, [],
        "[<node_name>...]", "Show information about the node(s)"),
    "modify": (
        SetNodeParams, ARGS_ONE_NODE,
        [FORCE_OPT, SUBMIT_OPT, PRINT_JOBID_OPT, MC_OPT, DRAINED_OPT,
         OFFLINE_OPT, CAPAB_MASTER_OPT, CAPAB_VM_OPT, SECONDARY_IP_OPT,
         AUTO_PROMOTE_OPT, DRY_RUN_OPT, PRIORITY_OPT, NODE_PARAMS_OPT,
         NODE_POWERED_OPT, HV_STATE_OPT, DISK_STATE_OPT],
        "<node_name>", "Alters the parameters of a node"),
    "powercycle": (
        PowercycleNode, ARGS_ONE_NODE,
        [FORCE_OPT, CONFIRM_OPT, DRY_RUN_OPT, PRIORITY_OPT, SUBMIT_OPT,
         PRINT_JOBID_OPT],
        "<node_name>", "Tries to forcefully powercycle a node"),
    "power": (
        PowerNode,
        [ArgChoice(min=1, max=1, choices=_LIST_POWER_COMMANDS), ArgNode()],
        [SUBMIT_OPT, PRINT_JOBID_OPT, AUTO_PROMOTE_OPT, PRIORITY_OPT,
         _IGNORE_STATUS_OPT, FORCE_OPT, NOHDR_OPT, SEP_OPT, OOB_TIMEOUT_OPT,
         POWER_DELAY_OPT],
        "on|off|cycle|status [nodes...]",
        "Change power state of node by calling out-of-band helper."),
    "volumes": (
        ListVolumes, [ArgNode()],
        [NOHDR_OPT, SEP_OPT, USEUNITS_OPT, FIELDS_OPT, PRIORITY_OPT],
        "[<node_name>...]", "List logical volumes on node(s)"),
    "list-storage": (
        ListStorage, ARGS_MANY_NODES,
        [NOHDR_OPT, SEP_OPT, USEUNITS_OPT, FIELDS_OPT, _STORAGE_TYPE_OPT,
         PRIORITY_OPT],
        "[<node_name>...]", "List physical volumes on node(s). The available"
        " fields are (see the man page for details): %s." %
        ", ".join(_LIST_STOR_HEADERS)),
    "modify-storage": (
        ModifyStorage,
        [ArgNode(min=1, max=1),
         ArgChoice(min=1, max=1, choices=_MODIFIABLE_STORAGE_TYPES),
         ArgFile(min=1, max=1)],
        [ALLOCATABLE_OPT, DRY_RUN_OPT, PRIORITY_OPT, SUBMIT_OPT,
         PRINT_JOBID_OPT],
        "<node_name> <storage_type> <name>",
        "Modify storage volume on a node"),
    "repair-storage": (
        RepairStorage,
        [ArgNode(min=1, max=1),
         ArgChoice(min=1, max=1, choices=_REPAIRABLE_STORAGE_TYPES),
         ArgFile(min=1, max=1)],
        [IGNORE_CONSIST_OPT, DRY_RUN_OPT, PRIORITY_OPT, SUBMIT_OPT,
         PRINT_JOBID_OPT],
        "<node_name> <storage_type> <name>",
        "Repairs a storage volume on a node"),
    "health": (
        Health, ARGS_MANY_NODES,
        [NOHDR_OPT, SEP_OPT, PRIORITY_OPT, OOB_TIMEOUT_OPT],
        "[<node_name>...]", "List health of node(s) using out-of-band"),
    "restricted-command": (
        RestrictedCommand, [ArgUnknown(min=1, max=1)] + ARGS_MANY_NODES,
        [SYNC_OPT, PRIORITY_OPT, SUBMIT_OPT, PRINT_JOBID_OPT,
         SHOW_MACHINE_OPT, NODEGROUP_OPT],
        "<command> <node-name> [<node-name>...]",
        "Executes a restricted command on node(s)"),
    "list-drbd": (
        ListDrbd, ARGS_ONE_NODE, [NOHDR_OPT, SEP_OPT],
        "[<node_name>]", "Query the list of used DRBD minors on the given"
        " node"),
}
commands.update(gnt_tags.TagCommands("node"))
commands.update(gnt_node_add.COMMANDS)
commands.update(gnt_node_instances.COMMANDS)

aliases = {"show": "info"}


def Main() -> int:
    return GenericMain(commands, aliases=aliases,
                       env_override=frozenset(["list"]))
