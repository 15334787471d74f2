"""gnt-backup: export instances to a node's export directory, import
them back (OpInstanceCreate, mode import), list and remove exports."""

from typing import Dict

from ganeti import constants
from ganeti import errors
from ganeti import opcodes
from ganeti import qlang
from ganeti.cli import *  # noqa: F401,F403 (option objects)
from ganeti.cli import (ARGS_NONE, ARGS_ONE_INSTANCE, EXIT_FAILURE,
                        EXIT_SUCCESS, ArgUnknown, GenericList,
                        GenericListFields, GenericMain, ParseFields,
                        SubmitOrSend, ToStderr, cli_option)
from ganeti.client import gnt_instance_add

#: Default columns of "gnt-backup list".
_LIST_DEF_FIELDS = ["node", "export"]

REMOVE_INSTANCE_OPT = cli_option("--remove-instance", dest="remove_instance",
                                 action="store_true", default=False,
                                 help="Remove the instance from the cluster")
IGNORE_REMOVE_FAILURES_OPT = cli_option(
    "--ignore-remove-failures", dest="ignore_remove_failures",
    action="store_true", default=False,
    help="Remove the instance from the cluster configuration even if there"
         " are failures during the removal process")
ZERO_FREE_SPACE_OPT = cli_option("--zero-free-space", dest="zero_free_space",
                                 action="store_true", default=False,
                                 help="Whether to zero the free space on the"
                                      " disks of the instance prior to the"
                                      " export")
ZEROING_TIMEOUT_FIXED_OPT = cli_option(
    "--zeroing-timeout-fixed", dest="zeroing_timeout_fixed", type="int",
    default=None, help="The fixed amount of time to wait before assuming"
                       " that the zeroing failed")
ZEROING_TIMEOUT_PER_MIB_OPT = cli_option(
    "--zeroing-timeout-per-mib", dest="zeroing_timeout_per_mib",
    type="float", default=None,
    help="The amount of time to wait per MiB of data to zero, in addition"
         " to the fixed timeout")
LONG_SLEEP_OPT = cli_option("--long-sleep", dest="long_sleep",
                            action="store_true", default=False,
                            help="Allow the instance's helper VM a long"
                                 " shutdown")


def PrintExportList(opts, args) -> int:
    """gnt-backup list: the exports of every (or the given) node."""
    fields = ParseFields(opts.output, _LIST_DEF_FIELDS)
    qfilter = qlang.MakeSimpleFilter("node", opts.nodes)
    return GenericList(constants.QR_EXPORT, fields, None, opts.units,
                       opts.separator, not opts.no_headers,
                       verbose=opts.verbose, qfilter=qfilter)


def ListExportFields(opts, args) -> int:
    return GenericListFields(constants.QR_EXPORT, args, opts.separator,
                             not opts.no_headers)


def ExportInstance(opts, args) -> int:
    """gnt-backup export: export an instance to a node."""
    if not opts.node:
        raise errors.OpPrereqError("Target node must be specified",
                                   errors.ECODE_INVAL)
    op = opcodes.OpBackupExport(
        instance_name=args[0], target_node=opts.node,
        compress=opts.transport_compression, shutdown=opts.shutdown,
        shutdown_timeout=opts.shutdown_timeout,
        remove_instance=opts.remove_instance,
        ignore_remove_failures=opts.ignore_remove_failures,
        zero_free_space=opts.zero_free_space,
        zeroing_timeout_fixed=opts.zeroing_timeout_fixed,
        zeroing_timeout_per_mib=opts.zeroing_timeout_per_mib,
        long_sleep=opts.long_sleep)
    result = SubmitOrSend(op, opts)
    if not isinstance(result, (list, tuple)) or len(result) != 2:
        ToStderr("Cannot parse execution results")
        return EXIT_FAILURE
    fin_resu, dlist = result
    code = EXIT_SUCCESS
    failed = [idx for idx, ok in enumerate(dlist or []) if not ok]
    if failed:
        ToStderr("Export failed, disks %s could not be exported"
                 % ", ".join(str(idx) for idx in failed))
        code = EXIT_FAILURE
    if not fin_resu:
        ToStderr("Export failed, errors in finalize_export")
        code = EXIT_FAILURE
    return code


def ImportInstance(opts, args) -> int:
    """gnt-backup import: create an instance from an export."""
    op = gnt_instance_add.BuildCreateOp(opts, args[0],
                                        constants.INSTANCE_IMPORT)
    SubmitOrSend(op, opts)
    return EXIT_SUCCESS


def RemoveExport(opts, args) -> int:
    """gnt-backup remove: remove the exports of an instance."""
    SubmitOrSend(opcodes.OpBackupRemove(instance_name=args[0]), opts)
    return EXIT_SUCCESS


_IMPORT_OPTS = [
    BACKEND_OPT, DISK_OPT, DISK_TEMPLATE_OPT, FILESTORE_DIR_OPT,  # noqa
    FILESTORE_DRIVER_OPT, HYPERVISOR_OPT, IALLOCATOR_OPT, NET_OPT,  # noqa
    NODE_PLACEMENT_OPT, NODEGROUP_OPT,  # noqa: F405
    gnt_instance_add.ADD_IP_CHECK_OPT, gnt_instance_add.ADD_NOIPCHECK_OPT,
    gnt_instance_add.ADD_NAME_CHECK_OPT,
    gnt_instance_add.ADD_NONAMECHECK_OPT,
    NOCONFLICTSCHECK_OPT, NONICS_OPT, NWSYNC_OPT, OSPARAMS_OPT,  # noqa
    OSPARAMS_PRIVATE_OPT, OSPARAMS_SECRET_OPT, OS_SIZE_OPT,  # noqa: F405
    OPPORTUNISTIC_LOCKING_OPT, SUBMIT_OPT, PRINT_JOBID_OPT,  # noqa: F405
    TAG_ADD_OPT, DRY_RUN_OPT, PRIORITY_OPT, IDENTIFY_DEFAULTS_OPT,  # noqa
    SRC_DIR_OPT, SRC_NODE_OPT, COMPRESS_OPT, IGNORE_IPOLICY_OPT,  # noqa
    HELPER_STARTUP_TIMEOUT_OPT, HELPER_SHUTDOWN_TIMEOUT_OPT,  # noqa: F405
]

commands = {
    "list": (
        PrintExportList, ARGS_NONE,
        [NODE_LIST_OPT, NOHDR_OPT, SEP_OPT, USEUNITS_OPT,  # noqa: F405
         FIELDS_OPT, VERBOSE_OPT],  # noqa: F405
        "", "Lists instance exports available in the ganeti cluster"),
    "list-fields": (
        ListExportFields, [ArgUnknown()], [NOHDR_OPT, SEP_OPT],  # noqa
        "[fields...]", "Lists all available fields for exports"),
    "export": (
        ExportInstance, ARGS_ONE_INSTANCE,
        [FORCE_OPT, SINGLE_NODE_OPT, TRANSPORT_COMPRESSION_OPT,  # noqa
         NOSHUTDOWN_OPT, SHUTDOWN_TIMEOUT_OPT, REMOVE_INSTANCE_OPT,  # noqa
         IGNORE_REMOVE_FAILURES_OPT, DRY_RUN_OPT, PRIORITY_OPT,  # noqa
         ZERO_FREE_SPACE_OPT, ZEROING_TIMEOUT_FIXED_OPT,
         ZEROING_TIMEOUT_PER_MIB_OPT, LONG_SLEEP_OPT, SUBMIT_OPT,  # noqa
         PRINT_JOBID_OPT],  # noqa: F405
        "-n <target_node> [opts...] <name>",
        "Exports an instance to an image"),
    "import": (
        ImportInstance, ARGS_ONE_INSTANCE, _IMPORT_OPTS,
        "[...] -t disk-type -n node[:secondary-node] <name>",
        "Imports an instance from an exported image"),
    "remove": (
        RemoveExport, [ArgUnknown(min=1, max=1)],
        [DRY_RUN_OPT, PRIORITY_OPT, SUBMIT_OPT, PRINT_JOBID_OPT],  # noqa
        "<name>", "Remove exports of named instance from the filesystem."),
}

aliases: Dict[str, str] = {}


def Main() -> int:
    return GenericMain(commands, aliases=aliases,
                       env_override=frozenset(["list"]))
