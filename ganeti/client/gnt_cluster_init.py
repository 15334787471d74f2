"""gnt-cluster init and modify: the cluster parameters given on the command
line (the two commands share most options)."""

from typing import Any, Dict, List, Optional

from ganeti import constants
from ganeti import defaults
from ganeti import errors
from ganeti import opcodes
from ganeti.cli import *  # noqa: F401,F403 (option objects)
from ganeti.cli import (ARGS_NONE, ArgHost, EXIT_SUCCESS, SubmitOpCode,
                        SubmitOrSend,
                        ToStdout, cli_option)
from ganeti.client import gnt_group

NOLVM_STORAGE_OPT = cli_option("--no-lvm-storage", dest="lvm_storage",
                               help="No support for lvm based instances"
                               " (cluster-wide)", action="store_false",
                               default=True)
NOSSH_INIT_OPT = cli_option("--no-ssh-init", dest="ssh_init", default=True,
                            action="store_false",
                            help="Don't initialize SSH keys")
IGNORE_ERRORS_OPT = cli_option("-I", "--ignore-errors", default=[],
                               action="append", dest="ignore_errors",
                               choices=["ENODEFILECHECK", "ENODERPC",
                                        "ENODEVERSION", "ENODETIME",
                                        "ENODESSH", "ENODESETUP", "ENODEHV",
                                        "ENODELVM", "ENODENET", "ENODEN1",
                                        "ECLUSTERCFG", "ECLUSTERCERT",
                                        "ECLUSTERFILECHECK",
                                        "ECLUSTERDANGLINGNODES",
                                        "ECLUSTERDANGLINGINST",
                                        "ECLUSTERCLIENTCERT",
                                        "EINSTANCEDOWN", "EINSTANCELAYOUT"],
                               help="Error code to be ignored")


def _split_list(value: Optional[str]) -> Optional[List[str]]:
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


def _hv_dict(hvparams: List) -> Dict[str, dict]:
    result: Dict[str, dict] = {}
    for name, params in hvparams or []:
        result.setdefault(name, {}).update(params)
    return result


def _uid_pool(value: Optional[str]) -> Optional[list]:
    if value is None:
        return None
    pool = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        lo, _, hi = part.partition("-")
        try:
            pool.append((int(lo), int(hi or lo)))
        except ValueError:
            raise errors.OpPrereqError("Invalid user-id range '%s'" % part,
                                       errors.ECODE_INVAL)
    return pool


def _netmask(value: Optional[str]) -> Optional[int]:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise errors.OpPrereqError("Please provide a valid netmask (CIDR"
                                   " prefix length)", errors.ECODE_INVAL)


# The split --specs-* options of gnt-cluster init and their spec keys.
_SPLIT_ISPECS = (("ispecs_mem_size", "memory-size"),
                 ("ispecs_cpu_count", "cpu-count"),
                 ("ispecs_disk_count", "disk-count"),
                 ("ispecs_disk_size", "disk-size"),
                 ("ispecs_nic_count", "nic-count"))


def _SplitISpecs(opts) -> Optional[tuple]:
    """(minmax pair, std) from the --specs-* options, or None if none."""
    split = [(key, getattr(opts, attr, None) or {})
             for attr, key in _SPLIT_ISPECS]
    if not any(values for _key, values in split):
        return None
    bounds = defaults.IPOLICY_DEFAULTS["minmax"][0]
    specs = {"min": dict(bounds["min"]), "max": dict(bounds["max"]),
             "std": dict(defaults.IPOLICY_DEFAULTS["std"])}
    for key, values in split:
        for which, value in values.items():
            if which not in specs:
                raise errors.OpPrereqError("Invalid key in %s instance"
                                           " specifications: %s" %
                                           (key, which), errors.ECODE_INVAL)
            specs[which][key] = value
    return ({name: gnt_group.ParseISpec(specs[name], name)
             for name in ("min", "max")},
            gnt_group.ParseISpec(specs["std"], "std"))


def ClusterIPolicy(opts) -> Dict[str, Any]:
    """The (partial) cluster instance policy given by the --ipolicy-* and
    (gnt-cluster init) --specs-* options."""
    ipolicy = gnt_group.CreateGroupIPolicy(opts)
    std = getattr(opts, "ipolicy_std_specs", None)
    split = _SplitISpecs(opts)
    if split is not None:
        if "minmax" in ipolicy or std is not None:
            raise errors.OpPrereqError("A --specs-xxx option cannot be"
                                       " specified together with any"
                                       " --ipolicy-xxx-specs option",
                                       errors.ECODE_INVAL)
        ipolicy["minmax"] = [split[0]]
        ipolicy["std"] = split[1]
    elif std is not None:
        ipolicy["std"] = gnt_group.ParseISpec(std, "std", required=False)
    return ipolicy


def InitCluster(opts, args) -> int:
    """gnt-cluster init CLUSTER_NAME."""
    from ganeti import bootstrap
    if not opts.lvm_storage and opts.vg_name:
        raise errors.OpPrereqError("Options --no-lvm-storage and --vg-name"
                                   " conflict", errors.ECODE_INVAL)
    disk_templates = _split_list(opts.enabled_disk_templates)
    vg_name = opts.vg_name
    if opts.lvm_storage and vg_name is None and (
            disk_templates is None or
            set(disk_templates) & set(bootstrap.LVM_TEMPLATES)):
        vg_name = "xenvg" if disk_templates is not None else None
    if disk_templates is None and not vg_name:
        # Without a volume group the LVM templates cannot be enabled.
        disk_templates = [constants.DT_FILE, constants.DT_SHARED_FILE,
                          constants.DT_DISKLESS] if not opts.lvm_storage \
            else list(constants.DEFAULT_ENABLED_DISK_TEMPLATES)
        if opts.lvm_storage:
            vg_name = "xenvg"
    hvlist = _split_list(opts.enabled_hypervisors) or [constants.HT_KVM]
    diskparams = _hv_dict(opts.diskparams)
    bootstrap.InitCluster(
        cluster_name=args[0],
        secondary_ip=opts.secondary_ip,
        vg_name=vg_name,
        mac_prefix=opts.mac_prefix or "aa:00:00",
        master_netmask=_netmask(opts.master_netmask),
        master_netdev=opts.master_netdev or "xen-br0",
        file_storage_dir=opts.file_storage_dir or "",
        shared_file_storage_dir=opts.shared_file_storage_dir or "",
        gluster_storage_dir=opts.gluster_storage_dir or "",
        enabled_hypervisors=hvlist,
        hvparams=_hv_dict(opts.hvparams),
        beparams=opts.beparams,
        nicparams=opts.nicparams,
        ndparams=opts.ndparams,
        diskparams=diskparams,
        candidate_pool_size=opts.candidate_pool_size or 10,
        modify_etc_hosts=opts.modify_etc_hosts,
        modify_ssh_setup=opts.ssh_init,
        maintain_node_health=bool(opts.maintain_node_health),
        drbd_helper=opts.drbd_helper,
        uid_pool=_uid_pool(opts.uid_pool),
        default_iallocator=opts.default_iallocator or "",
        default_iallocator_params=opts.default_iallocator_params or {},
        primary_ip_version=int(opts.primary_ip_version or 4),
        prealloc_wipe_disks=bool(opts.prealloc_wipe_disks),
        use_external_mip_script=bool(opts.use_external_mip_script),
        hv_state=dict(opts.hv_state or []),
        disk_state=dict(opts.disk_state or []),
        enabled_disk_templates=disk_templates,
        install_image=opts.install_image or "",
        zeroing_image=opts.zeroing_image or "",
        compression_tools=_split_list(opts.compression_tools),
        enabled_user_shutdown=bool(opts.enabled_user_shutdown),
        ssh_key_type=opts.ssh_key_type or "rsa",
        ssh_key_bits=opts.ssh_key_bits,
        ipolicy=ClusterIPolicy(opts),
        feedback_fn=lambda msg: None,
    )
    SubmitOpCode(opcodes.OpClusterPostInit(), opts=opts)
    return EXIT_SUCCESS


def SetClusterParams(opts, args) -> int:
    """gnt-cluster modify."""
    hvparams = _hv_dict(opts.hvparams)
    diskparams = _hv_dict(opts.diskparams)
    changes = dict(
        vg_name=opts.vg_name,
        enabled_hypervisors=_split_list(opts.enabled_hypervisors),
        hvparams=hvparams or None,
        beparams=opts.beparams or None,
        nicparams=opts.nicparams or None,
        ndparams=opts.ndparams,
        diskparams=diskparams or None,
        candidate_pool_size=opts.candidate_pool_size,
        max_running_jobs=opts.max_running_jobs,
        max_tracked_jobs=opts.max_tracked_jobs,
        maintain_node_health=opts.maintain_node_health,
        uid_pool=_uid_pool(opts.uid_pool),
        drbd_helper=opts.drbd_helper,
        default_iallocator=opts.default_iallocator,
        default_iallocator_params=opts.default_iallocator_params,
        mac_prefix=opts.mac_prefix,
        master_netdev=opts.master_netdev,
        master_netmask=_netmask(opts.master_netmask),
        reserved_lvs=_split_list(opts.reserved_lvs),
        prealloc_wipe_disks=opts.prealloc_wipe_disks,
        use_external_mip_script=opts.use_external_mip_script,
        enabled_disk_templates=_split_list(opts.enabled_disk_templates),
        modify_etc_hosts=opts.modify_etc_hosts,
        file_storage_dir=opts.file_storage_dir,
        shared_file_storage_dir=opts.shared_file_storage_dir,
        install_image=opts.install_image,
        zeroing_image=opts.zeroing_image,
        compression_tools=_split_list(opts.compression_tools),
        enabled_user_shutdown=opts.enabled_user_shutdown,
        instance_communication_network=opts.instance_communication_network,
        ipolicy=ClusterIPolicy(opts) or None,
    )
    changes = {k: v for k, v in changes.items() if v is not None}
    if not changes:
        ToStdout("Please give at least one of the parameters.")
        return 1
    op = opcodes.OpClusterSetParams(**changes)
    SubmitOrSend(op, opts)
    return EXIT_SUCCESS


_COMMON = [
    BACKEND_OPT, CP_SIZE_OPT, ENABLED_HV_OPT, GLOBAL_FILEDIR_OPT, HVLIST_OPT,
    MAC_PREFIX_OPT, MASTER_NETDEV_OPT, MASTER_NETMASK_OPT, NIC_PARAMS_OPT,
    VG_NAME_OPT, MAINTAIN_NODE_HEALTH_OPT, UIDPOOL_OPT, DRBD_HELPER_OPT,
    DEFAULT_IALLOCATOR_OPT, DEFAULT_IALLOCATOR_PARAMS_OPT,
    PREALLOC_WIPE_DISKS_OPT, NODE_PARAMS_OPT, GLOBAL_SHARED_FILEDIR_OPT,
    USE_EXTERNAL_MIP_SCRIPT, DISK_PARAMS_OPT, HV_STATE_OPT, DISK_STATE_OPT,
    ENABLED_DISK_TEMPLATES_OPT, INSTALL_IMAGE_OPT, ZEROING_IMAGE_OPT,
    COMPRESSION_TOOLS_OPT, ENABLED_USER_SHUTDOWN_OPT, IPOLICY_STD_SPECS_OPT,
] + INSTANCE_POLICY_OPTS

INIT_COMMAND = (
    InitCluster, [ArgHost(min=1, max=1)],
    _COMMON + [NOLVM_STORAGE_OPT, NOMODIFY_ETCHOSTS_OPT, NOSSH_INIT_OPT,
               SECONDARY_IP_OPT, PRIMARY_IP_VERSION_OPT,
               GLOBAL_GLUSTER_FILEDIR_OPT, SSH_KEY_BITS_OPT,
               SSH_KEY_TYPE_OPT] + SPLIT_ISPECS_OPTS,
    "[opts...] <cluster_name>", "Initialises a new cluster configuration")

MODIFY_COMMAND = (
    SetClusterParams, ARGS_NONE,
    _COMMON + [FORCE_OPT, MAX_RUNNING_JOBS_OPT, MAX_TRACKED_JOBS_OPT,
               RESERVED_LVS_OPT, DRY_RUN_OPT, PRIORITY_OPT, SUBMIT_OPT,
               PRINT_JOBID_OPT, MODIFY_ETCHOSTS_OPT,
               INSTANCE_COMM_NETWORK_OPT],
    "[opts...]", "Alters the parameters of the cluster")
