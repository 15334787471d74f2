"""gnt-instance add and batch-create: building OpInstanceCreate from the
command line (disks, NICs, placement, parameters)."""

import json
from typing import Any, Dict, List, Optional

from ganeti import constants
from ganeti import errors
from ganeti import opcodes
from ganeti.cli import *  # noqa: F401,F403 (option objects)
from ganeti.cli import (ArgFile, ArgInstance, EXIT_FAILURE,
                        EXIT_SUCCESS, GetClient, SubmitOrSend, ToStderr,
                        WaitForResultJobs, cli_option)
from ganeti.cli.opts_objects import _DisableChecks, _NoCheckOption
from ganeti.utils import text as utils_text

_NIC_KEYS = frozenset(constants.INIC_PARAMS)

# 3.0: name and IP checks are on unless disabled (--no-name-check implies
# --no-ip-check); --name-check/--ip-check are accepted for compatibility.
ADD_NAME_CHECK_OPT = cli_option("--name-check", dest="name_check",
                                default=True, action="store_true",
                                help="Check that the instance's name is"
                                     " resolvable (default)")
ADD_IP_CHECK_OPT = cli_option("--ip-check", dest="ip_check", default=True,
                              action="store_true",
                              help="Check that the instance's IP is not"
                                   " alive (default)")
ADD_NOIPCHECK_OPT = _NoCheckOption("--no-ip-check", action="callback",
                                   callback=_DisableChecks,
                                   dest_name_check=False,
                                   help="Don't check that the instance's IP"
                                        " is alive")
ADD_NONAMECHECK_OPT = _NoCheckOption("--no-name-check", action="callback",
                                     callback=_DisableChecks,
                                     dest_name_check=True,
                                     help="Don't check that the instance's"
                                          " name is resolvable (implies"
                                          " --no-ip-check)")


def ParseSize(value: Any, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return utils_text.ParseUnit(str(value))
    except errors.UnitParseError as err:
        raise errors.OpPrereqError("Invalid %s: %s" % (what, err),
                                   errors.ECODE_INVAL)


def ParseDisks(opts) -> List[Dict[str, Any]]:
    """The "disks" of OpInstanceCreate from --disk/-s and -t."""
    template = opts.disk_template
    if opts.disks and opts.sd_size is not None:
        raise errors.OpPrereqError("Please use either the '--disk' or '-s'"
                                   " option", errors.ECODE_INVAL)
    if template == constants.DT_DISKLESS:
        if opts.disks or opts.sd_size is not None:
            raise errors.OpPrereqError("Diskless instance but disk"
                                       " information passed",
                                       errors.ECODE_INVAL)
        return []
    if opts.sd_size is not None:
        return [{"size": opts.sd_size}]
    if not opts.disks:
        raise errors.OpPrereqError("No disk information specified",
                                   errors.ECODE_INVAL)
    try:
        count = max(int(idx) + 1 for idx, _ in opts.disks)
    except ValueError as err:
        raise errors.OpPrereqError("Invalid disk index passed: %s" % err,
                                   errors.ECODE_INVAL)
    disks: List[Optional[Dict[str, Any]]] = [None] * count
    for idx, params in opts.disks:
        idx = int(idx)
        if not isinstance(params, dict):
            raise errors.OpPrereqError("Invalid disk/%d value: expected dict,"
                                       " got %s" % (idx, params),
                                       errors.ECODE_INVAL)
        params = dict(params)
        if "size" in params and "adopt" in params:
            raise errors.OpPrereqError("Disk %d specified both 'size' and"
                                       " 'adopt'" % idx, errors.ECODE_INVAL)
        if "size" in params:
            try:
                params["size"] = utils_text.ParseUnit(str(params["size"]))
            except errors.UnitParseError as err:
                raise errors.OpPrereqError("Invalid disk size for disk %d: %s"
                                           % (idx, err), errors.ECODE_INVAL)
        elif "adopt" in params:
            if template != constants.DT_PLAIN and \
                    template != constants.DT_BLOCK:
                raise errors.OpPrereqError("Disk adoption is not supported"
                                           " for this disk template",
                                           errors.ECODE_INVAL)
        else:
            raise errors.OpPrereqError("Missing size or adoption source for"
                                       " disk %d" % idx, errors.ECODE_INVAL)
        if "spindles" in params:
            try:
                params["spindles"] = int(params["spindles"])
            except ValueError:
                raise errors.OpPrereqError("Invalid spindles for disk %d"
                                           % idx, errors.ECODE_INVAL)
        disks[idx] = params
    missing = [str(i) for i, d in enumerate(disks) if d is None]
    if missing:
        raise errors.OpPrereqError("Missing disk definition for disk(s) %s"
                                   % ", ".join(missing), errors.ECODE_INVAL)
    return disks  # type: ignore[return-value]


def ParseNics(opts) -> List[Dict[str, Any]]:
    if opts.nics and opts.no_nics:
        raise errors.OpPrereqError("Cannot specify both --no-nics and --net",
                                   errors.ECODE_INVAL)
    if opts.no_nics:
        return []
    if not opts.nics:
        return [{}]
    try:
        count = max(int(idx) + 1 for idx, _ in opts.nics)
    except ValueError as err:
        raise errors.OpPrereqError("Invalid NIC index passed: %s" % err,
                                   errors.ECODE_INVAL)
    nics: List[Dict[str, Any]] = [{} for _ in range(count)]
    for idx, params in opts.nics:
        if not isinstance(params, dict):
            raise errors.OpPrereqError("Invalid nic/%s value: expected dict,"
                                       " got %s" % (idx, params),
                                       errors.ECODE_INVAL)
        bad = set(params) - _NIC_KEYS
        if bad:
            raise errors.OpPrereqError("Invalid NIC parameters: %s"
                                       % ", ".join(sorted(bad)),
                                       errors.ECODE_INVAL)
        nics[int(idx)] = {k: (v if v is None or isinstance(v, str)
                              else str(v)) for k, v in params.items()}
    return nics


def ForceBeParams(beparams: Dict[str, Any]) -> Dict[str, Any]:
    """Sizes with units to MiB (memory, maxmem, minmem)."""
    result = dict(beparams or {})
    for key in ("memory", "maxmem", "minmem"):
        if key in result and result[key] != "default":
            result[key] = ParseSize(result[key], "value for '%s'" % key)
    for key in ("vcpus", "spindle_use"):
        if key in result and result[key] != "default":
            try:
                result[key] = int(result[key])
            except (TypeError, ValueError):
                raise errors.TypeEnforcementError("'%s' (%s) is not a valid"
                                                  " integer"
                                                  % (key, result[key]))
    return result


def _ModeParams(opts, mode: str) -> Dict[str, Any]:
    """The OpInstanceCreate fields that differ between creation and import
    (an import takes the OS, disks and NICs not given from the export and
    does not start the instance)."""
    if mode == constants.INSTANCE_IMPORT:
        return dict(
            os_type=None, start=False, no_install=None, force_variant=False,
            identify_defaults=opts.identify_defaults, compress=opts.compress,
            src_node=opts.src_node, src_path=opts.src_dir,
            forthcoming=False, commit=False, instance_communication=False,
            disks=(ParseDisks(opts) if opts.disks or opts.sd_size is not None
                   else []),
            nics=(ParseNics(opts) if opts.nics or opts.no_nics else []))
    return dict(
        os_type=opts.os, start=opts.start, no_install=opts.no_install,
        force_variant=opts.force_variant, identify_defaults=False,
        forthcoming=opts.forthcoming, commit=opts.commit,
        instance_communication=bool(opts.instance_communication),
        disks=ParseDisks(opts), nics=ParseNics(opts))


def BuildCreateOp(opts, name: str, mode: str = constants.INSTANCE_CREATE
                  ) -> opcodes.OpInstanceCreate:
    pnode = snode = None
    if opts.node:
        pnode, _, snode = opts.node.partition(":")
        snode = snode or None
    hypervisor = None
    hvparams: Dict[str, Any] = {}
    if opts.hypervisor:
        hypervisor, hvparams = opts.hypervisor
        if not isinstance(hvparams, dict):
            hvparams = {}
    tags = opts.tags.split(",") if opts.tags else []
    return opcodes.OpInstanceCreate(
        instance_name=name,
        disk_template=opts.disk_template,
        conflicts_check=opts.conflicts_check, pnode=pnode, snode=snode,
        ip_check=opts.ip_check, name_check=opts.name_check,
        wait_for_sync=opts.wait_for_sync,
        file_storage_dir=opts.file_storage_dir,
        file_driver=opts.file_driver, iallocator=opts.iallocator,
        hypervisor=hypervisor, hvparams=hvparams,
        beparams=ForceBeParams(opts.beparams), osparams=opts.osparams,
        osparams_private=opts.osparams_private or None,
        osparams_secret=opts.osparams_secret or None,
        mode=mode, ignore_ipolicy=opts.ignore_ipolicy,
        opportunistic_locking=opts.opportunistic_locking,
        group_name=opts.nodegroup, tags=tags,
        helper_startup_timeout=opts.helper_startup_timeout,
        helper_shutdown_timeout=opts.helper_shutdown_timeout,
        **_ModeParams(opts, mode))


def AddInstance(opts, args) -> int:
    """gnt-instance add: create one instance."""
    op = BuildCreateOp(opts, args[0])
    SubmitOrSend(op, opts)
    return EXIT_SUCCESS


def BatchCreate(opts, args) -> int:
    """gnt-instance batch-create: instances from a JSON list of
    OpInstanceCreate parameter dicts."""
    try:
        with open(args[0]) as handle:
            data = json.load(handle)
    except (OSError, ValueError) as err:
        ToStderr("Can't parse the instance definition file: %s" % err)
        return EXIT_FAILURE
    if not isinstance(data, list) or \
            not all(isinstance(item, dict) for item in data):
        ToStderr("The instance definition file is not a list of dicts")
        return EXIT_FAILURE
    known = set(opcodes.OpInstanceCreate.GetParamNames())
    instances = []
    for idx, spec in enumerate(data):
        unknown = set(spec) - known
        if unknown:
            raise errors.OpPrereqError("Unknown fields in definition %s: %s"
                                       % (idx, ", ".join(sorted(unknown))),
                                       errors.ECODE_INVAL)
        spec = dict(spec)
        spec.setdefault("mode", constants.INSTANCE_CREATE)
        spec.setdefault("nics", [{}])
        spec.setdefault("disks", [])
        instances.append(opcodes.OpInstanceCreate(**spec))
    op = opcodes.OpInstanceMultiAlloc(iallocator=opts.iallocator,
                                      instances=[i.__getstate__()
                                                 for i in instances])
    result = SubmitOrSend(op, opts)
    return WaitForResultJobs(result, opts, GetClient(),
                             "All instances created successfully.",
                             "There were %s errors during the creation.")


ADD_OPTS = [
    BACKEND_OPT, DISK_OPT, DISK_TEMPLATE_OPT, FILESTORE_DIR_OPT,  # noqa
    FILESTORE_DRIVER_OPT, HYPERVISOR_OPT, IALLOCATOR_OPT, NET_OPT,  # noqa
    NODE_PLACEMENT_OPT, NODEGROUP_OPT, ADD_IP_CHECK_OPT,  # noqa: F405
    ADD_NOIPCHECK_OPT, ADD_NAME_CHECK_OPT, ADD_NONAMECHECK_OPT,
    NOCONFLICTSCHECK_OPT, NONICS_OPT, NWSYNC_OPT, OSPARAMS_OPT,  # noqa
    OSPARAMS_PRIVATE_OPT, OSPARAMS_SECRET_OPT, OS_SIZE_OPT,  # noqa: F405
    OPPORTUNISTIC_LOCKING_OPT, SUBMIT_OPT, PRINT_JOBID_OPT,  # noqa: F405
    TAG_ADD_OPT, DRY_RUN_OPT, PRIORITY_OPT, FORTHCOMING_OPT,  # noqa: F405
    COMMIT_OPT, NOSTART_OPT, OS_OPT, FORCE_VARIANT_OPT,  # noqa: F405
    NO_INSTALL_OPT, IGNORE_IPOLICY_OPT, INSTANCE_COMMUNICATION_OPT,  # noqa
    HELPER_STARTUP_TIMEOUT_OPT, HELPER_SHUTDOWN_TIMEOUT_OPT,  # noqa: F405
]

COMMANDS = {
    "add": (
        AddInstance, [ArgInstance(min=1, max=1)], ADD_OPTS,
        "[...] -t disk-type -n node[:secondary-node] -o os-type <name>",
        "Creates and adds a new instance to the cluster"),
    "batch-create": (
        BatchCreate, [ArgFile(min=1, max=1)],
        [DRY_RUN_OPT, PRIORITY_OPT, IALLOCATOR_OPT, SUBMIT_OPT,  # noqa
         PRINT_JOBID_OPT],  # noqa: F405
        "<instances.json>",
        "Create a bunch of instances based on specs in the file."),
}
