"""gnt-node migrate, evacuate and failover: moving a node's instances.

Merged into gnt-node's command table (``COMMANDS``)."""

from typing import Any, List

from ganeti import constants
from ganeti import errors
from ganeti import opcodes
from ganeti.cli import *  # noqa: F401,F403 (option objects)
from ganeti.cli import (ARGS_ONE_NODE, AskUser, EXIT_FAILURE, EXIT_SUCCESS,
                        GetClient, JobExecutor, MigrationMode, SubmitOrSend,
                        ToStderr, ToStdout, WaitForResultJobs)
from ganeti.utils import text as utils_text
from ganeti.utils.text import NiceSort


def _NodeInstances(cl, node: str, fields: List[str]) -> List[Any]:
    rows = cl.QueryNodes([node], ["name"] + fields, False)
    if not rows:
        raise errors.OpPrereqError("Node '%s' not known" % node,
                                   errors.ECODE_NOENT)
    return rows[0]


def MigrateNode(opts, args) -> int:
    cl = GetClient()
    node, pinst = _NodeInstances(cl, args[0], ["pinst_list"])
    if not pinst:
        ToStdout("No primary instances on node %s, exiting." % node)
        return EXIT_SUCCESS
    pinst = NiceSort(pinst)
    if not (opts.force or AskUser("Migrate instance(s) %s?"
                                  % utils_text.CommaJoin(pinst))):
        return constants.EXIT_CONFIRMATION
    mode = MigrationMode(opts)
    op = opcodes.OpNodeMigrate(node_name=args[0], mode=mode,
                               iallocator=opts.iallocator,
                               target_node=opts.dst_node,
                               allow_runtime_changes=opts.allow_runtime_chgs,
                               ignore_ipolicy=opts.ignore_ipolicy)
    return WaitForResultJobs(SubmitOrSend(op, opts, cl=cl), opts, cl,
                             "All instances migrated successfully.",
                             "There were %s errors during the node"
                             " migration.")


def FailoverNode(opts, args) -> int:
    cl = GetClient()
    node, pinst = _NodeInstances(cl, args[0], ["pinst_list"])
    if not pinst:
        ToStderr("No primary instances on node %s, exiting.", node)
        return EXIT_SUCCESS
    pinst = NiceSort(pinst)
    if not opts.force and not AskUser("Fail over instance(s) %s?" % (
            ",".join("'%s'" % name for name in pinst))):
        return 2
    jex = JobExecutor(cl=cl, opts=opts)
    for name in pinst:
        jex.QueueJob(name, opcodes.OpInstanceFailover(
            instance_name=name, ignore_consistency=opts.ignore_consistency,
            iallocator=opts.iallocator))
    results = jex.GetResults()
    bad = len([row for row in results if not row[0]])
    if bad == 0:
        ToStdout("All %d instance(s) failed over successfully.",
                 len(results))
        return EXIT_SUCCESS
    ToStdout("There were errors during the failover:\n%d error(s) out of %d"
             " instance(s).", bad, len(results))
    return EXIT_FAILURE


def EvacuateNode(opts, args) -> int:
    if opts.dst_node and opts.iallocator:
        raise errors.OpPrereqError("Give either an iallocator or a new"
                                   " secondary node, not both",
                                   errors.ECODE_INVAL)
    if opts.primary_only and opts.secondary_only:
        raise errors.OpPrereqError("Only one of the --primary-only and"
                                   " --secondary-only options can be passed",
                                   errors.ECODE_INVAL)
    if opts.primary_only:
        mode = constants.NODE_EVAC_PRI
    elif opts.secondary_only:
        mode = constants.NODE_EVAC_SEC
    else:
        mode = constants.NODE_EVAC_ALL
    fields = []
    if not opts.secondary_only:
        fields.append("pinst_list")
    if not opts.primary_only:
        fields.append("sinst_list")
    cl = GetClient()
    row = _NodeInstances(cl, args[0], fields)
    instances = set()
    for names in row[1:]:
        instances.update(names or [])
    if not instances:
        ToStderr("No instances to evacuate on node(s) %s, exiting.",
                 utils_text.CommaJoin(args))
        return EXIT_SUCCESS
    if not (opts.force or
            AskUser("Relocate instance(s) %s from node(s) %s?"
                    % (utils_text.CommaJoin(NiceSort(instances)),
                       utils_text.CommaJoin(args)))):
        return constants.EXIT_CONFIRMATION
    op = opcodes.OpNodeEvacuate(node_name=args[0], mode=mode,
                                remote_node=opts.dst_node,
                                iallocator=opts.iallocator,
                                early_release=opts.early_release,
                                ignore_soft_errors=opts.ignore_soft_errors)
    return WaitForResultJobs(SubmitOrSend(op, opts, cl=cl), opts, cl,
                             "All instances evacuated successfully.",
                             "There were %s errors during the evacuation.")


COMMANDS = {
    "migrate": (
        MigrateNode, ARGS_ONE_NODE,
        [FORCE_OPT, NONLIVE_OPT, MIGRATION_MODE_OPT, DST_NODE_OPT,  # noqa
         IALLOCATOR_OPT, PRIORITY_OPT, IGNORE_IPOLICY_OPT,  # noqa: F405
         NO_RUNTIME_CHGS_OPT, SUBMIT_OPT, PRINT_JOBID_OPT],  # noqa: F405
        "[-f] <node>",
        "Migrate all the primary instance on a node away from it (only for"
        " instances of type drbd)"),
    "evacuate": (
        EvacuateNode, ARGS_ONE_NODE,
        [FORCE_OPT, IALLOCATOR_OPT, IGNORE_SOFT_ERRORS_OPT,  # noqa: F405
         NEW_SECONDARY_OPT, EARLY_RELEASE_OPT, PRIORITY_OPT,  # noqa: F405
         PRIMARY_ONLY_OPT, SECONDARY_ONLY_OPT, SUBMIT_OPT,  # noqa: F405
         PRINT_JOBID_OPT],  # noqa: F405
        "[-f] {-I <iallocator> | -n <dst>} [-p | -s] [options...] <node>",
        "Relocate the primary and/or secondary instances from a node"),
    "failover": (
        FailoverNode, ARGS_ONE_NODE,
        [FORCE_OPT, IGNORE_CONSIST_OPT, IALLOCATOR_OPT,  # noqa: F405
         PRIORITY_OPT],  # noqa: F405
        "[-f] <node>",
        "Stops the primary instances on a node and start them on their"
        " secondary node (only for instances with drbd disk template)"),
}
