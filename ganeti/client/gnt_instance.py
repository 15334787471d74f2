"""gnt-instance: instance administration."""

import os
import time
from typing import Any, Callable, List

from ganeti import constants
from ganeti import errors
from ganeti import opcodes
from ganeti import pathutils
from ganeti.cli import *  # noqa: F401,F403 (option objects)
from ganeti.cli import (ARGS_MANY_INSTANCES, ARGS_ONE_INSTANCE, ArgInstance,
                        ArgUnknown, AskUser, ConfirmOperation, EXIT_FAILURE,
                        EXIT_SUCCESS, GenericList, GenericListFields,
                        GenericMain, GetClient, JobExecutor, MigrationMode,
                        ParseFields, SubmitOpCode, SubmitOrSend, ToStderr,
                        ToStdout, WaitForResultJobs, cli_option)
from ganeti.client import gnt_instance_add, gnt_instance_info, gnt_tags
from ganeti.utils import process as utils_process
from ganeti.utils import text as utils_text

#: Default columns of "gnt-instance list".
_LIST_DEF_FIELDS = ["name", "hypervisor", "os", "pnode", "status", "oper_ram"]

# Multi-instance selection modes (--node, --primary, --all, ...).
_EXPAND_CLUSTER = "cluster"
_EXPAND_NODES_BOTH = "nodes"
_EXPAND_NODES_PRI = "nodes-pri"
_EXPAND_NODES_SEC = "nodes-sec"
_EXPAND_NODES_BOTH_BY_TAGS = "nodes-by-tags"
_EXPAND_NODES_PRI_BY_TAGS = "nodes-pri-by-tags"
_EXPAND_NODES_SEC_BY_TAGS = "nodes-sec-by-tags"
_EXPAND_INSTANCES = "instances"
_EXPAND_INSTANCES_BY_TAGS = "instances-by-tags"

_LIST_JOIN_FIELDS = ["tags", "disk.sizes", "nic.macs", "nic.ips",
                     "nic.modes", "nic.links", "nic.bridges", "nic.networks",
                     "snodes", "snodes.group", "snodes.group.uuid"]
_CONSOLE_RETRIES = 3


def _MultiOpt(flag: str, mode: str, text: str):
    return cli_option(flag, dest="multi_mode", const=mode,
                      action="store_const", help=text)


m_force_multi = FORCE_MULTI_OPT  # noqa: F405
m_node_opt = _MultiOpt("--node", _EXPAND_NODES_BOTH,
                       "Filter by nodes (primary and secondary)")
m_pri_node_opt = _MultiOpt("--primary", _EXPAND_NODES_PRI,
                           "Filter by nodes (primary only)")
m_sec_node_opt = _MultiOpt("--secondary", _EXPAND_NODES_SEC,
                           "Filter by nodes (secondary only)")
m_node_tags_opt = _MultiOpt("--node-tags", _EXPAND_NODES_BOTH_BY_TAGS,
                            "Filter by node tag")
m_pri_node_tags_opt = _MultiOpt("--pri-node-tags", _EXPAND_NODES_PRI_BY_TAGS,
                                "Filter by primary node tag")
m_sec_node_tags_opt = _MultiOpt("--sec-node-tags", _EXPAND_NODES_SEC_BY_TAGS,
                                "Filter by secondary node tag")
m_inst_opt = _MultiOpt("--instance", _EXPAND_INSTANCES,
                       "Filter by instance name [default]")
m_inst_tags_opt = _MultiOpt("--tags", _EXPAND_INSTANCES_BY_TAGS,
                            "Filter by instance tag")
m_clust_opt = _MultiOpt("--all", _EXPAND_CLUSTER, "Select all instances in"
                        " the cluster")
_MULTI_OPTS = [m_force_multi, m_node_opt, m_pri_node_opt, m_sec_node_opt,
               m_clust_opt, m_node_tags_opt, m_pri_node_tags_opt,
               m_sec_node_tags_opt, m_inst_tags_opt, m_inst_opt]

RENAME_IP_CHECK_OPT = cli_option("--ip-check", dest="ip_check", default=True,
                                 action="store_true",
                                 help="Check that the new IP is not alive")
RENAME_NAME_CHECK_OPT = cli_option("--name-check", dest="name_check",
                                   default=True, action="store_true",
                                   help="Check that the new name resolves")


# ------------------------------------------------------------------ helpers

def _ExpandMultiNames(mode: str, names: List[str], client: Any = None
                      ) -> List[str]:
    """Instance names selected by a multi-instance mode and its args."""
    if client is None:
        client = GetClient()
    if mode == _EXPAND_CLUSTER:
        if names:
            raise errors.OpPrereqError("Cluster filter mode takes no"
                                       " arguments", errors.ECODE_INVAL)
        return sorted(row[0] for row in client.QueryInstances([], ["name"],
                                                              False))
    if mode in (_EXPAND_NODES_BOTH, _EXPAND_NODES_PRI, _EXPAND_NODES_SEC,
                _EXPAND_NODES_BOTH_BY_TAGS, _EXPAND_NODES_PRI_BY_TAGS,
                _EXPAND_NODES_SEC_BY_TAGS):
        by_tags = mode.endswith("-by-tags")
        rows = client.QueryNodes([] if by_tags else names,
                                 ["name", "pinst_list", "sinst_list",
                                  "tags"], False)
        if by_tags:
            wanted = set(names)
            rows = [r for r in rows if wanted.intersection(r[3] or [])]
        result = []
        for _, pinst, sinst, _tags in rows:
            if mode in (_EXPAND_NODES_BOTH, _EXPAND_NODES_PRI,
                        _EXPAND_NODES_BOTH_BY_TAGS,
                        _EXPAND_NODES_PRI_BY_TAGS):
                result.extend(pinst or [])
            if mode in (_EXPAND_NODES_BOTH, _EXPAND_NODES_SEC,
                        _EXPAND_NODES_BOTH_BY_TAGS,
                        _EXPAND_NODES_SEC_BY_TAGS):
                result.extend(sinst or [])
        return sorted(set(result))
    if mode == _EXPAND_INSTANCES_BY_TAGS:
        wanted = set(names)
        rows = client.QueryInstances([], ["name", "tags"], False)
        return sorted(name for name, tags in rows
                      if wanted.intersection(tags or []))
    if mode == _EXPAND_INSTANCES:
        if not names:
            raise errors.OpPrereqError("No instance names passed",
                                       errors.ECODE_INVAL)
        rows = client.QueryInstances(names, ["name"], False)
        return [row[0] for row in rows]
    raise errors.OpPrereqError("Unknown mode '%s'" % mode, errors.ECODE_INVAL)


def _GenericManyOps(operation: str, fn: Callable[[str, Any], Any]):
    """A subcommand applying fn(name, opts) -> opcode to selected instances."""

    def realfn(opts, args):
        if opts.multi_mode is None:
            opts.multi_mode = _EXPAND_INSTANCES
        cl = GetClient()
        inames = _ExpandMultiNames(opts.multi_mode, args, client=cl)
        if not inames:
            if opts.multi_mode == _EXPAND_INSTANCES:
                raise errors.OpPrereqError("Selection filter does not match"
                                           " any instances",
                                           errors.ECODE_INVAL)
            ToStderr("No instances selected")
            return EXIT_SUCCESS
        multi_on = opts.multi_mode != _EXPAND_INSTANCES or len(inames) > 1
        if multi_on and not opts.force_multi and \
                not ConfirmOperation(inames, "instances", operation):
            return EXIT_FAILURE
        jex = JobExecutor(verbose=multi_on, cl=cl, opts=opts)
        for name in inames:
            jex.QueueJob(name, fn(name, opts))
        results = jex.WaitOrShow(not opts.submit_only)
        return EXIT_SUCCESS if all(row[0] for row in results) \
            else EXIT_FAILURE
    return realfn


def _StartupOp(name: str, opts) -> opcodes.OpInstanceStartup:
    from ganeti.client.gnt_instance_add import ForceBeParams
    return opcodes.OpInstanceStartup(
        instance_name=name, force=opts.force,
        ignore_offline_nodes=opts.ignore_offline,
        no_remember=opts.no_remember, startup_paused=opts.startup_paused,
        hvparams=dict(opts.hvparams or {}),
        beparams=ForceBeParams(opts.beparams))


def _ShutdownOp(name: str, opts) -> opcodes.OpInstanceShutdown:
    return opcodes.OpInstanceShutdown(
        instance_name=name, force=opts.force, timeout=opts.timeout,
        ignore_offline_nodes=opts.ignore_offline,
        no_remember=opts.no_remember)


def _RebootOp(name: str, opts) -> opcodes.OpInstanceReboot:
    return opcodes.OpInstanceReboot(
        instance_name=name, reboot_type=opts.reboot_type,
        ignore_secondaries=opts.ignore_secondaries,
        shutdown_timeout=opts.shutdown_timeout)


# ------------------------------------------------------------------ commands

def ListInstances(opts, args) -> int:
    selected = ParseFields(opts.output, _LIST_DEF_FIELDS)
    join = (lambda value: ",".join(str(item) for item in value), False)
    override = dict.fromkeys(_LIST_JOIN_FIELDS, join)
    return GenericList(constants.QR_INSTANCE, selected, args, opts.units,
                       opts.separator, not opts.no_headers,
                       format_override=override, verbose=opts.verbose,
                       force_filter=opts.force_filter)


def ListInstanceFields(opts, args) -> int:
    return GenericListFields(constants.QR_INSTANCE, args, opts.separator,
                             not opts.no_headers)


def _EnsureInstancesExist(client: Any, names: List[str]) -> None:
    """Before asking about them: every named instance exists (an unknown
    name is an OpPrereqError, from the query or here)."""
    rows = client.QueryInstances(names, ["name"], False)
    for name, row in zip(names, rows):
        if row[0] is None:
            raise errors.OpPrereqError("Instance '%s' does not exist" % name,
                                       errors.ECODE_NOENT)


def RemoveInstance(opts, args) -> int:
    name = args[0]
    cl = GetClient()
    if not opts.force:
        _EnsureInstancesExist(cl, [name])
        usertext = ("This will remove the volumes of the instance %s"
                    " (including mirrors), thus removing all the data"
                    " of the instance. Continue?") % name
        if not AskUser(usertext):
            return EXIT_FAILURE
    op = opcodes.OpInstanceRemove(instance_name=name,
                                  ignore_failures=opts.ignore_failures,
                                  shutdown_timeout=opts.shutdown_timeout)
    SubmitOrSend(op, opts, cl=cl)
    return EXIT_SUCCESS


def RenameInstance(opts, args) -> int:
    if not opts.name_check:
        if not AskUser("As you disabled the check of the DNS entry, please"
                       " verify that '%s' is a FQDN. Continue?" % args[1]):
            return EXIT_FAILURE
    op = opcodes.OpInstanceRename(instance_name=args[0], new_name=args[1],
                                  ip_check=opts.ip_check,
                                  name_check=opts.name_check)
    result = SubmitOrSend(op, opts)
    if result:
        ToStdout("Instance '%s' renamed to '%s'", args[0], result)
    return EXIT_SUCCESS


def ReinstallInstance(opts, args) -> int:
    if opts.multi_mode is None:
        opts.multi_mode = _EXPAND_INSTANCES
    inames = _ExpandMultiNames(opts.multi_mode, args)
    if not inames:
        raise errors.OpPrereqError("Selection filter does not match any"
                                   " instances", errors.ECODE_INVAL)
    os_name = opts.os
    if os_name is not None:
        os_msg = "change the OS to '%s'" % os_name
    else:
        os_msg = "keep the same OS"
    multi_on = opts.multi_mode != _EXPAND_INSTANCES or len(inames) > 1
    if multi_on:
        extra = ("Note: this will remove *all* data for the below instances!"
                 " It will %s.\n" % os_msg)
        if not (opts.force_multi or
                ConfirmOperation(inames, "instances", "reinstall",
                                 extra=extra)):
            return EXIT_FAILURE
    elif not (opts.force or opts.force_multi):
        usertext = ("This will reinstall the instance '%s' (and %s) which"
                    " removes all data. Continue?") % (inames[0], os_msg)
        if not AskUser(usertext):
            return EXIT_FAILURE
    jex = JobExecutor(verbose=multi_on, opts=opts)
    for name in inames:
        jex.QueueJob(name, opcodes.OpInstanceReinstall(
            instance_name=name, os_type=os_name,
            force_variant=opts.force_variant,
            osparams=opts.osparams or None,
            osparams_private=opts.osparams_private or None,
            osparams_secret=opts.osparams_secret or None))
    results = jex.WaitOrShow(not opts.submit_only)
    return EXIT_SUCCESS if all(row[0] for row in results) else EXIT_FAILURE


def MigrateInstance(opts, args) -> int:
    name = args[0]
    if not opts.force:
        if opts.cleanup:
            usertext = ("Instance %s will be recovered from a failed"
                        " migration. Note that the migration procedure"
                        " (including cleanup) might impact the instance if"
                        " anything goes wrong (e.g. due to bugs in the"
                        " hypervisor). Continue?" % name)
        else:
            usertext = ("Instance %s will be migrated. Note that migration"
                        " might impact the instance if anything goes wrong"
                        " (e.g. due to bugs in the hypervisor). Continue?"
                        % name)
        if not AskUser(usertext):
            return EXIT_FAILURE
    mode = MigrationMode(opts)
    op = opcodes.OpInstanceMigrate(
        instance_name=name, mode=mode, cleanup=opts.cleanup,
        iallocator=opts.iallocator, target_node=opts.dst_node,
        allow_failover=opts.allow_failover,
        allow_runtime_changes=opts.allow_runtime_chgs,
        ignore_ipolicy=opts.ignore_ipolicy,
        ignore_hvversions=opts.ignore_hvversions)
    SubmitOrSend(op, opts)
    return EXIT_SUCCESS


def FailoverInstance(opts, args) -> int:
    name = args[0]
    if not opts.force:
        usertext = ("Failover will happen to image %s."
                    " This requires a shutdown of the instance. Continue?"
                    % name)
        if not AskUser(usertext):
            return EXIT_FAILURE
    op = opcodes.OpInstanceFailover(
        instance_name=name, ignore_consistency=opts.ignore_consistency,
        shutdown_timeout=opts.shutdown_timeout, iallocator=opts.iallocator,
        target_node=opts.dst_node, ignore_ipolicy=opts.ignore_ipolicy,
        cleanup=opts.cleanup)
    SubmitOrSend(op, opts)
    return EXIT_SUCCESS


def ReplaceDisks(opts, args) -> int:
    """gnt-instance replace-disks: new DRBD storage for an instance."""
    name = args[0]
    if opts.disks is None:
        disks = []
    else:
        try:
            disks = [int(i) for i in opts.disks.split(",")]
        except (TypeError, ValueError) as err:
            raise errors.OpPrereqError("Invalid disk index passed: %s"
                                       % str(err), errors.ECODE_INVAL)
    chosen = [opts.on_primary, opts.on_secondary, opts.auto,
              opts.dst_node is not None, opts.iallocator is not None]
    if chosen.count(True) != 1:
        raise errors.OpPrereqError("One and only one of the -p, -s, -a, -n"
                                   " and -I options must be passed",
                                   errors.ECODE_INVAL)
    if opts.on_primary:
        mode = constants.REPLACE_DISK_PRI
    elif opts.on_secondary:
        mode = constants.REPLACE_DISK_SEC
    elif opts.auto:
        mode = constants.REPLACE_DISK_AUTO
        if disks:
            raise errors.OpPrereqError("Cannot specify disks when using"
                                       " automatic mode", errors.ECODE_INVAL)
    else:
        mode = constants.REPLACE_DISK_CHG
    op = opcodes.OpInstanceReplaceDisks(
        instance_name=name, disks=disks, remote_node=opts.dst_node,
        mode=mode, iallocator=opts.iallocator,
        early_release=opts.early_release, ignore_ipolicy=opts.ignore_ipolicy)
    SubmitOrSend(op, opts)
    return EXIT_SUCCESS


def MoveInstance(opts, args) -> int:
    name = args[0]
    if not opts.node:
        raise errors.OpPrereqError("Target node (-n) is required",
                                   errors.ECODE_INVAL)
    if not opts.force:
        usertext = ("Instance %s will be moved. This requires a shutdown of"
                    " the instance. Continue?" % name)
        if not AskUser(usertext):
            return EXIT_FAILURE
    op = opcodes.OpInstanceMove(
        instance_name=name, target_node=opts.node, compress=opts.compress,
        shutdown_timeout=opts.shutdown_timeout,
        ignore_consistency=opts.ignore_consistency,
        ignore_ipolicy=opts.ignore_ipolicy)
    SubmitOrSend(op, opts)
    return EXIT_SUCCESS


def ChangeGroup(opts, args) -> int:
    """gnt-instance change-group: move an instance to another group."""
    (instance_name,) = args
    client = GetClient()
    op = opcodes.OpInstanceChangeGroup(instance_name=instance_name,
                                       iallocator=opts.iallocator,
                                       target_groups=opts.to,
                                       early_release=opts.early_release)
    return WaitForResultJobs(
        SubmitOrSend(op, opts, cl=client), opts, client,
        "Instance '%s' changed group successfully." % instance_name,
        "There were %%s errors while changing group of instance '%s'." %
        instance_name.replace("%", "%%"))


def GrowDisk(opts, args) -> int:
    name, disk, amount = args
    try:
        disk = int(disk)
    except (TypeError, ValueError) as err:
        raise errors.OpPrereqError("Invalid disk index: %s" % str(err),
                                   errors.ECODE_INVAL)
    try:
        amount = utils_text.ParseUnit(amount)
    except errors.UnitParseError:
        raise errors.OpPrereqError("Can't parse the given amount '%s'"
                                   % amount, errors.ECODE_INVAL)
    op = opcodes.OpInstanceGrowDisk(instance_name=name, disk=disk,
                                    amount=amount,
                                    wait_for_sync=opts.wait_for_sync,
                                    absolute=opts.absolute,
                                    ignore_ipolicy=opts.ignore_ipolicy)
    SubmitOrSend(op, opts)
    return EXIT_SUCCESS


def ActivateDisks(opts, args) -> int:
    op = opcodes.OpInstanceActivateDisks(instance_name=args[0],
                                         ignore_size=opts.ignore_size,
                                         wait_for_sync=opts.wait_for_sync)
    disks_info = SubmitOrSend(op, opts)
    for host, iname, nname in disks_info:
        ToStdout("%s:%s:%s", host, iname, nname)
    return EXIT_SUCCESS


def DeactivateDisks(opts, args) -> int:
    op = opcodes.OpInstanceDeactivateDisks(instance_name=args[0],
                                           force=opts.force)
    SubmitOrSend(op, opts)
    return EXIT_SUCCESS


def RecreateDisks(opts, args) -> int:
    disks: List[Any] = []
    if opts.disks:
        for idx, params in opts.disks:
            try:
                idx = int(idx)
            except (TypeError, ValueError) as err:
                raise errors.OpPrereqError("Invalid disk index passed: %s"
                                           % err, errors.ECODE_INVAL)
            params = dict(params or {})
            if "size" in params:
                params["size"] = utils_text.ParseUnit(str(params["size"]))
            if "spindles" in params:
                params["spindles"] = int(params["spindles"])
            disks.append((idx, params))
        if not any(params for _, params in disks):
            disks = [idx for idx, _ in disks]
    nodes = opts.node.split(":") if opts.node else []
    op = opcodes.OpInstanceRecreateDisks(instance_name=args[0], disks=disks,
                                         nodes=nodes,
                                         iallocator=opts.iallocator)
    SubmitOrSend(op, opts)
    return EXIT_SUCCESS


# ------------------------------------------------------------------ console

def ConsoleCommand(console: dict, cluster_name: str) -> List[str]:
    """The ssh command line running a console command on its node."""
    cmd = ["ssh", "-oEscapeChar=none", "-oHashKnownHosts=no",
           "-oGlobalKnownHostsFile=%s" % pathutils.SSH_KNOWN_HOSTS_FILE,
           "-oUserKnownHostsFile=/dev/null", "-oCheckHostIp=no",
           "-oHostKeyAlias=%s" % cluster_name, "-t"]
    if console.get("port"):
        cmd += ["-p", str(console["port"])]
    command = console.get("command") or []
    if isinstance(command, (list, tuple)):
        command = utils_process.ShellQuoteArgs(command)
    cmd += ["%s@%s" % (console.get("user") or pathutils.SSH_LOGIN_USER,
                       console.get("host")), command]
    return cmd


def DoConsole(console: dict, show_command: bool, cluster_name: str) -> int:
    kind = console.get("kind")
    instance = console.get("instance")
    if kind == "msg":
        ToStdout("%s", console.get("message"))
    elif kind == "vnc":
        ToStdout("Instance %s has VNC listening on %s:%s (display %s),"
                 " please use a VNC client to connect", instance,
                 console.get("host"), console.get("port"),
                 console.get("display"))
    elif kind == "spice":
        ToStdout("Instance %s has SPICE listening on %s:%s", instance,
                 console.get("host"), console.get("port"))
    elif kind == "ssh":
        cmd = ConsoleCommand(console, cluster_name)
        if show_command:
            ToStdout("%s", utils_process.ShellQuoteArgs(cmd))
        else:
            for _ in range(_CONSOLE_RETRIES):
                try:
                    os.execvp(cmd[0], cmd)
                except OSError as err:
                    ToStderr("Can't run console command %s: %s", cmd[0], err)
                    time.sleep(1)
            return EXIT_FAILURE
    else:
        raise errors.GenericError("Unknown console type '%s'" % kind)
    return EXIT_SUCCESS


def ConnectToInstanceConsole(opts, args) -> int:
    cl = GetClient()
    cluster_name = cl.QueryConfigValues(["cluster_name"])[0]
    op = opcodes.OpInstanceConsole(instance_name=args[0])
    console = SubmitOpCode(op, opts=opts, cl=cl)
    return DoConsole(console, opts.show_command, cluster_name)


# ------------------------------------------------------------------ table

commands = {
    "list": (
        ListInstances, ARGS_MANY_INSTANCES,
        [NOHDR_OPT, SEP_OPT, USEUNITS_OPT, FIELDS_OPT, VERBOSE_OPT,  # noqa
         FORCE_FILTER_OPT],  # noqa: F405
        "[<instance>...]",
        "Lists the instances and their status. The available fields can be"
        " shown using the \"list-fields\" command (see the man page for"
        " details). The default field list is (in order): %s."
        % ", ".join(_LIST_DEF_FIELDS)),
    "list-fields": (
        ListInstanceFields, [ArgUnknown()], [NOHDR_OPT, SEP_OPT],  # noqa
        "[fields...]", "Lists all available fields for instances"),
    "remove": (
        RemoveInstance, ARGS_ONE_INSTANCE,
        [FORCE_OPT, SHUTDOWN_TIMEOUT_OPT, IGNORE_FAILURES_OPT,  # noqa: F405
         SUBMIT_OPT, PRINT_JOBID_OPT, DRY_RUN_OPT, PRIORITY_OPT],  # noqa
        "[-f] <instance>", "Shuts down the instance and removes it"),
    "rename": (
        RenameInstance, [ArgInstance(min=1, max=1), ArgUnknown(min=1, max=1)],
        [gnt_instance_add.ADD_NOIPCHECK_OPT,
         gnt_instance_add.ADD_NONAMECHECK_OPT, RENAME_IP_CHECK_OPT,
         RENAME_NAME_CHECK_OPT, SUBMIT_OPT, PRINT_JOBID_OPT,  # noqa: F405
         DRY_RUN_OPT, PRIORITY_OPT],  # noqa: F405
        "<instance> <new_name>", "Rename the instance"),
    "reinstall": (
        ReinstallInstance, [ArgInstance()],
        [FORCE_OPT, OS_OPT, FORCE_VARIANT_OPT] + _MULTI_OPTS +  # noqa
        [SELECT_OS_OPT, SUBMIT_OPT, PRINT_JOBID_OPT, DRY_RUN_OPT,  # noqa
         PRIORITY_OPT, OSPARAMS_OPT, OSPARAMS_PRIVATE_OPT,  # noqa: F405
         OSPARAMS_SECRET_OPT],  # noqa: F405
        "[-f] <instance>", "Reinstall a stopped instance"),
    "startup": (
        _GenericManyOps("startup", _StartupOp), [ArgInstance()],
        [FORCE_OPT] + _MULTI_OPTS +  # noqa: F405
        [SUBMIT_OPT, PRINT_JOBID_OPT, HVOPTS_OPT, BACKEND_OPT,  # noqa
         DRY_RUN_OPT, PRIORITY_OPT, IGNORE_OFFLINE_OPT,  # noqa: F405
         NO_REMEMBER_OPT, STARTUP_PAUSED_OPT],  # noqa: F405
        "<instance>", "Starts an instance"),
    "shutdown": (
        _GenericManyOps("shutdown", _ShutdownOp), [ArgInstance()],
        [FORCE_OPT] + _MULTI_OPTS +  # noqa: F405
        [TIMEOUT_OPT, SUBMIT_OPT, PRINT_JOBID_OPT, DRY_RUN_OPT,  # noqa
         PRIORITY_OPT, IGNORE_OFFLINE_OPT, NO_REMEMBER_OPT],  # noqa: F405
        "<instance>", "Stops an instance"),
    "reboot": (
        _GenericManyOps("reboot", _RebootOp), [ArgInstance()],
        _MULTI_OPTS + [REBOOT_TYPE_OPT, IGNORE_SECONDARIES_OPT,  # noqa
                       SUBMIT_OPT, PRINT_JOBID_OPT,  # noqa: F405
                       SHUTDOWN_TIMEOUT_OPT, DRY_RUN_OPT,  # noqa: F405
                       PRIORITY_OPT],  # noqa: F405
        "<instance>", "Reboots an instance"),
    "console": (
        ConnectToInstanceConsole, ARGS_ONE_INSTANCE,
        [SHOWCMD_OPT, PRIORITY_OPT],  # noqa: F405
        "[--show-cmd] <instance>", "Opens a console on the specified"
        " instance"),
    "migrate": (
        MigrateInstance, ARGS_ONE_INSTANCE,
        [FORCE_OPT, NONLIVE_OPT, MIGRATION_MODE_OPT, CLEANUP_OPT,  # noqa
         DRY_RUN_OPT, PRIORITY_OPT, DST_NODE_OPT, IALLOCATOR_OPT,  # noqa
         ALLOW_FAILOVER_OPT, IGNORE_IPOLICY_OPT,  # noqa: F405
         cli_option("--ignore-hvversions", dest="ignore_hvversions",
                    action="store_true", default=False,
                    help="Ignore hypervisor version mismatches"),
         NO_RUNTIME_CHGS_OPT, SUBMIT_OPT, PRINT_JOBID_OPT],  # noqa: F405
        "[-f] <instance>", "Migrate instance to its secondary node"
        " (only for mirrored instances)"),
    "failover": (
        FailoverInstance, ARGS_ONE_INSTANCE,
        [FORCE_OPT, IGNORE_CONSIST_OPT, SUBMIT_OPT, PRINT_JOBID_OPT,  # noqa
         SHUTDOWN_TIMEOUT_OPT, DRY_RUN_OPT, PRIORITY_OPT,  # noqa: F405
         DST_NODE_OPT, IALLOCATOR_OPT, IGNORE_IPOLICY_OPT,  # noqa: F405
         CLEANUP_OPT],  # noqa: F405
        "[-f] <instance>", "Stops the instance, changes its primary node and"
        " (if it was originally running) starts it on the new node"),
    "replace-disks": (
        ReplaceDisks, ARGS_ONE_INSTANCE,
        [AUTO_REPLACE_OPT, cli_option(  # noqa: F405
            "--disks", dest="disks", default=None,
            help="Comma-separated list of disks indices to act on (e.g. 0,2)"
            " (optional, defaults to all disks)"),
         IALLOCATOR_OPT, EARLY_RELEASE_OPT, NEW_SECONDARY_OPT,  # noqa: F405
         ON_PRIMARY_OPT, ON_SECONDARY_OPT, SUBMIT_OPT,  # noqa: F405
         PRINT_JOBID_OPT, DRY_RUN_OPT, PRIORITY_OPT,  # noqa: F405
         IGNORE_IPOLICY_OPT],  # noqa: F405
        "[-s|-p|-a|-n NODE|-I NAME] <instance>",
        "Replaces disks for the instance"),
    "move": (
        MoveInstance, ARGS_ONE_INSTANCE,
        [FORCE_OPT, SUBMIT_OPT, PRINT_JOBID_OPT, SINGLE_NODE_OPT,  # noqa
         COMPRESS_OPT, SHUTDOWN_TIMEOUT_OPT, DRY_RUN_OPT,  # noqa: F405
         PRIORITY_OPT, IGNORE_CONSIST_OPT, IGNORE_IPOLICY_OPT],  # noqa
        "[-f] <instance>", "Move instance to an arbitrary node (only for"
        " instances of type file and lv)"),
    "change-group": (
        ChangeGroup, ARGS_ONE_INSTANCE,
        [TO_GROUP_OPT, IALLOCATOR_OPT, EARLY_RELEASE_OPT, PRIORITY_OPT,  # noqa
         SUBMIT_OPT, PRINT_JOBID_OPT],  # noqa: F405
        "[-I <iallocator>] [--to <group>]", "Change group of instance"),
    "grow-disk": (
        GrowDisk,
        [ArgInstance(min=1, max=1), ArgUnknown(min=1, max=1),
         ArgUnknown(min=1, max=1)],
        [SUBMIT_OPT, PRINT_JOBID_OPT, NWSYNC_OPT, DRY_RUN_OPT,  # noqa
         PRIORITY_OPT, ABSOLUTE_OPT, IGNORE_IPOLICY_OPT],  # noqa: F405
        "<instance> <disk> <size>", "Grow an instance's disk"),
    "activate-disks": (
        ActivateDisks, ARGS_ONE_INSTANCE,
        [SUBMIT_OPT, PRINT_JOBID_OPT, IGNORE_SIZE_OPT, PRIORITY_OPT,  # noqa
         WFSYNC_OPT],  # noqa: F405
        "<instance>", "Activate an instance's disks"),
    "deactivate-disks": (
        DeactivateDisks, ARGS_ONE_INSTANCE,
        [FORCE_OPT, SUBMIT_OPT, PRINT_JOBID_OPT, DRY_RUN_OPT,  # noqa
         PRIORITY_OPT],  # noqa: F405
        "[-f] <instance>", "Deactivate an instance's disks"),
    "recreate-disks": (
        RecreateDisks, ARGS_ONE_INSTANCE,
        [SUBMIT_OPT, PRINT_JOBID_OPT, DISK_OPT, NODE_PLACEMENT_OPT,  # noqa
         DRY_RUN_OPT, PRIORITY_OPT, IALLOCATOR_OPT],  # noqa: F405
        "<instance>", "Recreate an instance's disks"),
}
commands.update(gnt_instance_add.COMMANDS)
commands.update(gnt_instance_info.COMMANDS)
commands.update(gnt_tags.TagCommands("instance"))

aliases = {"start": "startup", "stop": "shutdown", "show": "info"}


def Main() -> int:
    return GenericMain(commands, aliases=aliases,
                       env_override=frozenset(["list"]))
