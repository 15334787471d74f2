"""Options of the node, group and instance commands (see ganeti.cli.opts)."""

from ganeti.cli.opts import (DISK_TEMPLATE_CHOICES as _DISK_TEMPLATES,
                             OPT_COMPL_INST_ADD_NODES,
                             OPT_COMPL_ONE_IALLOCATOR, OPT_COMPL_ONE_NODE,
                             OPT_COMPL_ONE_NODEGROUP, OPT_COMPL_ONE_OS,
                             CliOption, cli_option)

# Nodes, groups, instances.
NODE_LIST_OPT = cli_option("-n", "--node", dest="nodes", default=[],
                           action="append", metavar="<node>",
                           completion_suggest=OPT_COMPL_ONE_NODE,
                           help="Node to include (can be used multiple"
                                " times)")

SINGLE_NODE_OPT = cli_option("-n", "--node", dest="node", metavar="<node>",
                             completion_suggest=OPT_COMPL_ONE_NODE,
                             help="Target node")

NODE_PLACEMENT_OPT = cli_option("-n", "--node", dest="node",
                                metavar="<pnode>[:<snode>]",
                                completion_suggest=OPT_COMPL_INST_ADD_NODES,
                                help="Target node and optional secondary"
                                     " node")

NODEGROUP_OPT = cli_option("-g", "--node-group", dest="nodegroup",
                           metavar="<nodegroup>",
                           completion_suggest=OPT_COMPL_ONE_NODEGROUP,
                           help="Node group (name or uuid)")

NEW_SECONDARY_OPT = cli_option("-n", "--new-secondary", dest="dst_node",
                               metavar="NODE", default=None,
                               completion_suggest=OPT_COMPL_ONE_NODE,
                               help="Specifies the new secondary node")

NEW_PRIMARY_OPT = cli_option("--new-primary", dest="new_primary_node",
                             default=None, metavar="<node>",
                             completion_suggest=OPT_COMPL_ONE_NODE,
                             help="Specifies the new primary node")

DST_NODE_OPT = cli_option("-n", "--target-node", dest="dst_node",
                          metavar="NODE", default=None,
                          completion_suggest=OPT_COMPL_ONE_NODE,
                          help="Specifies the target node for the"
                               " operation")

IALLOCATOR_OPT = cli_option("-I", "--iallocator", metavar="<NAME>",
                            dest="iallocator", default=None, type="string",
                            completion_suggest=OPT_COMPL_ONE_IALLOCATOR,
                            help="Select nodes for the instance"
                                 " automatically using the <NAME>"
                                 " iallocator plugin")

DEFAULT_IALLOCATOR_OPT = cli_option("-I", "--default-iallocator",
                                    metavar="<NAME>",
                                    dest="default_iallocator", default=None,
                                    type="string",
                                    completion_suggest=(
                                        OPT_COMPL_ONE_IALLOCATOR),
                                    help="Set the default instance"
                                         " allocator plugin")

DEFAULT_IALLOCATOR_PARAMS_OPT = cli_option(
    "--default-iallocator-params", dest="default_iallocator_params",
    type="keyval", default=None,
    help="Set the default instance allocator plugin parameters")

OS_OPT = cli_option("-o", "--os-type", dest="os", metavar="<os>",
                    completion_suggest=OPT_COMPL_ONE_OS,
                    help="What OS to run")

FORCE_VARIANT_OPT = cli_option("--force-variant", dest="force_variant",
                               action="store_true", default=False,
                               help="Force an unknown variant")

NO_INSTALL_OPT = cli_option("--no-install", dest="no_install",
                            action="store_true", default=False,
                            help="Do not install the OS (will enable"
                                 " no-start)")

OSPARAMS_OPT = cli_option("-O", "--os-parameters", dest="osparams",
                          type="keyval", default={},
                          help="OS parameters")

OSPARAMS_PRIVATE_OPT = cli_option("--os-parameters-private",
                                  dest="osparams_private",
                                  type="keyprivateval", default={},
                                  help="Private OS parameters (won't be"
                                       " logged)")

OSPARAMS_SECRET_OPT = cli_option("--os-parameters-secret",
                                 dest="osparams_secret",
                                 type="keyprivateval", default={},
                                 help="Secret OS parameters (won't be logged"
                                      " or saved; you must supply these for"
                                      " every operation.)")

BACKEND_OPT = cli_option("-B", "--backend-parameters", dest="beparams",
                         type="keyval", default={},
                         help="Backend parameters")

HVOPTS_OPT = cli_option("-H", "--hypervisor-parameters", type="keyval",
                        default={}, dest="hvparams",
                        help="Hypervisor parameters")

HYPERVISOR_OPT = cli_option("-H", "--hypervisor-parameters",
                            dest="hypervisor", type="identkeyval",
                            default=None,
                            help="Hypervisor and hypervisor options, in the"
                                 " format hypervisor:option=value,"
                                 "option=value,...")

HVLIST_OPT = cli_option("-H", "--hypervisor-parameters", dest="hvparams",
                        type="identkeyval", action="append", default=[],
                        help="Hypervisor and hypervisor options, in the"
                             " format hypervisor:option=value,"
                             "option=value,...")

DISK_PARAMS_OPT = cli_option("-D", "--disk-parameters", dest="diskparams",
                             type="identkeyval", action="append", default=[],
                             help="Disk template parameters, in the format"
                                  " template:option=value,option=value,...")

NIC_PARAMS_OPT = cli_option("-N", "--nic-parameters", dest="nicparams",
                            type="keyval", default={},
                            help="NIC parameters")

NODE_PARAMS_OPT = cli_option("--node-parameters", dest="ndparams",
                             type="keyval", default=None,
                             help="Node parameters")

HV_STATE_OPT = cli_option("--hypervisor-state", dest="hv_state",
                          type="identkeyval", action="append", default=[],
                          help="Specify hypervisor states")

DISK_STATE_OPT = cli_option("--disk-state", dest="disk_state",
                            type="identkeyval", action="append", default=[],
                            help="Specify disk states")

DISK_OPT = cli_option("--disk", dest="disks", action="append",
                      type="identkeyval", default=[],
                      help="Disk parameters")

NET_OPT = cli_option("--net", dest="nics", action="append",
                     type="identkeyval", default=[],
                     help="NIC parameters")

NONICS_OPT = cli_option("--no-nics", dest="no_nics", default=False,
                        action="store_true",
                        help="Do not create any network cards for"
                             " the instance")

DISK_TEMPLATE_OPT = cli_option("-t", "--disk-template", dest="disk_template",
                               metavar="TEMPL", choices=_DISK_TEMPLATES,
                               help="Custom disk setup (%s)"
                                    % ", ".join(_DISK_TEMPLATES),
                               default=None)

OS_SIZE_OPT = cli_option("-s", "--os-size", dest="sd_size",
                         metavar="<size>", type="unit",
                         help="Disk size for a single-disk instance")

FILESTORE_DIR_OPT = cli_option("--file-storage-dir", dest="file_storage_dir",
                               metavar="<DIR>", default=None,
                               help="Relative path under default cluster-wide"
                                    " file storage dir to store file-based"
                                    " disks")

FILESTORE_DRIVER_OPT = cli_option("--file-driver", dest="file_driver",
                                  metavar="<DRIVER>", default=None,
                                  choices=["loop", "blktap", "blktap2"],
                                  help="Driver to use for image files")

EXT_PARAMS_OPT = cli_option("-e", "--ext-params", dest="ext_params",
                            type="keyval", default={},
                            help="ExtStorage parameters")

IP_CHECK_OPT = cli_option("--ip-check", dest="ip_check", default=False,
                          action="store_true",
                          help="Check that the instance's IP is alive")

NAME_CHECK_OPT = cli_option("--name-check", dest="name_check",
                            default=False, action="store_true",
                            help="Check that the instance's name is"
                                 " resolvable")


def _DisableChecks(option, _opt, _value, parser, *_args):
    """--no-name-check implies --no-ip-check; --no-ip-check alone."""
    setattr(parser.values, "ip_check", False)
    if option.dest_name_check:
        setattr(parser.values, "name_check", False)


class _NoCheckOption(CliOption):
    ATTRS = CliOption.ATTRS + ["dest_name_check"]


NOIPCHECK_OPT = _NoCheckOption("--no-ip-check", action="callback",
                               callback=_DisableChecks,
                               dest_name_check=False,
                               help="Don't check that the instance's IP"
                                    " is alive")

NONAMECHECK_OPT = _NoCheckOption("--no-name-check", action="callback",
                                 callback=_DisableChecks,
                                 dest_name_check=True,
                                 help="Don't check that the instance's name"
                                      " is resolvable (implies"
                                      " --no-ip-check)")

NOCONFLICTSCHECK_OPT = cli_option("--no-conflicts-check",
                                  dest="conflicts_check", default=True,
                                  action="store_false",
                                  help="Don't check for conflicting IPs")

NOSTART_OPT = cli_option("--no-start", dest="start", default=True,
                         action="store_false",
                         help="Don't start the instance after creation")

NWSYNC_OPT = cli_option("--no-wait-for-sync", dest="wait_for_sync",
                        default=True, action="store_false",
                        help="Don't wait for sync (DANGEROUS!)")

WFSYNC_OPT = cli_option("--wait-for-sync", dest="wait_for_sync",
                        default=False, action="store_true",
                        help="Wait for disks to sync")

ONLINE_INST_OPT = cli_option("--online", dest="online_inst",
                             action="store_true", default=False,
                             help="Enable offline instance")

OFFLINE_INST_OPT = cli_option("--offline", dest="offline_inst",
                              action="store_true", default=False,
                              help="Disable down instance")

SHOWCMD_OPT = cli_option("--show-cmd", dest="show_command",
                         action="store_true", default=False,
                         help="Show command instead of executing it")

IGNORE_OFFLINE_OPT = cli_option("--ignore-offline", dest="ignore_offline",
                                action="store_true", default=False,
                                help="Ignore offline nodes and do as much"
                                     " as possible")

IGNORE_CONSIST_OPT = cli_option("--ignore-consistency",
                                dest="ignore_consistency",
                                action="store_true", default=False,
                                help="Ignore the consistency of the disks on"
                                     " the secondary")

IGNORE_IPOLICY_OPT = cli_option("--ignore-ipolicy", dest="ignore_ipolicy",
                                action="store_true", default=False,
                                help="Ignore instance policy violations")

IGNORE_SIZE_OPT = cli_option("--ignore-size", dest="ignore_size",
                             default=False, action="store_true",
                             help="Ignore current recorded size (useful for"
                                  " forcing activation when the recorded"
                                  " size is wrong)")

IGNORE_SECONDARIES_OPT = cli_option("--ignore-secondaries",
                                    dest="ignore_secondaries",
                                    default=False, action="store_true",
                                    help="Ignore errors from secondaries")

IGNORE_FAILURES_OPT = cli_option("--ignore-failures",
                                 dest="ignore_failures",
                                 action="store_true", default=False,
                                 help="Remove the instance from the cluster"
                                      " configuration even if there are"
                                      " failures during the removal process")

NONLIVE_OPT = cli_option("--non-live", dest="live", default=True,
                         action="store_false",
                         help="Do a non-live migration (this usually means"
                              " freeze the instance, save the state,"
                              " transfer and only then resume running on"
                              " the secondary node)")

MIGRATION_MODE_OPT = cli_option("--migration-mode", dest="migration_mode",
                                default=None, choices=["live", "non-live"],
                                help="Override default migration mode"
                                     " (choose either live or non-live")

CLEANUP_OPT = cli_option("--cleanup", dest="cleanup", default=False,
                         action="store_true",
                         help="Instead of performing the migration/failover,"
                              " try to recover from a failed cleanup. This"
                              " is safe to run even if the instance is"
                              " healthy, but it will create extra replication"
                              " traffic and disrupt briefly the replication"
                              " (like during the migration/failover")

ALLOW_FAILOVER_OPT = cli_option("--allow-failover", dest="allow_failover",
                                action="store_true", default=False,
                                help="If migration is not possible fallback"
                                     " to failover")

NO_RUNTIME_CHGS_OPT = cli_option("--no-runtime-changes",
                                 dest="allow_runtime_chgs",
                                 default=True, action="store_false",
                                 help="Don't allow runtime changes")

ON_PRIMARY_OPT = cli_option("-p", "--on-primary", dest="on_primary",
                            default=False, action="store_true",
                            help="Replace the disk(s) on the primary node"
                                 " (applies only to internally mirrored disk"
                                 " templates, e.g. %s)" % "drbd")

ON_SECONDARY_OPT = cli_option("-s", "--on-secondary", dest="on_secondary",
                              default=False, action="store_true",
                              help="Replace the disk(s) on the secondary node"
                                   " (applies only to internally mirrored"
                                   " disk templates, e.g. %s)" % "drbd")

AUTO_REPLACE_OPT = cli_option("-a", "--auto", dest="auto",
                              default=False, action="store_true",
                              help="Automatically replace faulty disks"
                                   " (applies only to internally mirrored"
                                   " disk templates, e.g. %s)" % "drbd")

AUTO_PROMOTE_OPT = cli_option("--auto-promote", dest="auto_promote",
                              default=False, action="store_true",
                              help="Automatically promote master candidates"
                                   " if needed")

EARLY_RELEASE_OPT = cli_option("--early-release", dest="early_release",
                               default=False, action="store_true",
                               help="Release the locks on the secondary"
                                    " node(s) early")

NOSHUTDOWN_OPT = cli_option("--noshutdown", dest="shutdown",
                            action="store_false", default=True,
                            help="Don't shutdown the instance (unsafe)")

TIMEOUT_OPT = cli_option("--timeout", dest="timeout", type="int",
                         default=120,
                         help="Maximum time to wait")

SHUTDOWN_TIMEOUT_OPT = cli_option("--shutdown-timeout",
                                  dest="shutdown_timeout", type="int",
                                  default=120,
                                  help="Maximum time to wait for instance"
                                       " shutdown")

NO_REMEMBER_OPT = cli_option("--no-remember", dest="no_remember",
                             action="store_true", default=False,
                             help="Perform but do not record the change"
                                  " in the configuration")

STARTUP_PAUSED_OPT = cli_option("--paused", dest="startup_paused",
                                action="store_true", default=False,
                                help="Pause instance at startup")

FORCE_MULTI_OPT = cli_option("--force-multiple", dest="force_multi",
                             action="store_true", default=False,
                             help="Do not ask for confirmation when more"
                                  " than one instance is affected")

RUNTIME_MEM_OPT = cli_option("-m", "--runtime-memory", dest="runtime_mem",
                             type="unit", default=None, metavar="<size>",
                             help="Memory to allocate at runtime")

ABSOLUTE_OPT = cli_option("--absolute", dest="absolute",
                          action="store_true", default=False,
                          help="Marks the grow as absolute instead of the"
                               " (default) relative mode")

NOHOTPLUG_OPT = cli_option("--no-hotplug", dest="hotplug",
                           action="store_false", default=True,
                           help="Do not hotplug the device")

INSTANCE_COMMUNICATION_OPT = cli_option(
    "-c", "--communication", dest="instance_communication", type="bool",
    default=None, metavar="<bool>",
    help="Enable or disable the communication mechanism for an instance")

OPPORTUNISTIC_LOCKING_OPT = cli_option("--opportunistic-locking",
                                       dest="opportunistic_locking",
                                       action="store_true", default=False,
                                       help="Opportunistically acquire locks")

FORTHCOMING_OPT = cli_option("--forthcoming", dest="forthcoming",
                             action="store_true", default=False,
                             help="Only reserve resources, but do not"
                                  " create the instance yet")

COMMIT_OPT = cli_option("--commit", dest="commit", action="store_true",
                        default=False,
                        help="The instance is already reserved and should"
                             " be committed now")

HELPER_STARTUP_TIMEOUT_OPT = cli_option("--helper-startup-timeout",
                                        dest="helper_startup_timeout",
                                        type="int", default=None,
                                        help="Startup timeout for the helper"
                                             " VM")

HELPER_SHUTDOWN_TIMEOUT_OPT = cli_option("--helper-shutdown-timeout",
                                         dest="helper_shutdown_timeout",
                                         type="int", default=None,
                                         help="Shutdown timeout for the"
                                              " helper VM")

COMPRESS_OPT = cli_option("--compress", dest="compress", type="string",
                          default="none",
                          help="Compression mode to use for moves during"
                               " backups/imports")

TRANSPORT_COMPRESSION_OPT = cli_option("--transport-compression",
                                       dest="transport_compression",
                                       type="string", default="none",
                                       help="Compression mode to use during"
                                            " instance moves")

SRC_NODE_OPT = cli_option("--src-node", dest="src_node", default=None,
                          metavar="<node>",
                          completion_suggest=OPT_COMPL_ONE_NODE,
                          help="Source node")

SRC_DIR_OPT = cli_option("--src-dir", dest="src_dir", default=None,
                         metavar="<dir>", help="Source directory")

IDENTIFY_DEFAULTS_OPT = cli_option("--identify-defaults",
                                   dest="identify_defaults", default=False,
                                   action="store_true",
                                   help="Identify which saved instance"
                                        " parameters are equal to the current"
                                        " cluster defaults and set them as"
                                        " such, instead of marking them as"
                                        " overridden")

SELECT_OS_OPT = cli_option("--select-os", dest="select_os",
                           action="store_true", default=False,
                           help="Interactive OS reinstall, lists available"
                                " OS templates for selection")

REBOOT_TYPE_OPT = cli_option("-t", "--type", dest="reboot_type",
                             metavar="<REBOOT>", default="hard",
                             choices=["soft", "hard", "full"],
                             help="Type of reboot: soft/hard/full")

# Node membership and flags.
SECONDARY_IP_OPT = cli_option("-s", "--secondary-ip", dest="secondary_ip",
                              metavar="ADDRESS", default=None,
                              help="Specify the secondary ip for the node")

READD_OPT = cli_option("--readd", dest="readd", default=False,
                       action="store_true",
                       help="Readd old node after replacing it")

NOSSH_KEYCHECK_OPT = cli_option("--no-ssh-key-check", dest="ssh_key_check",
                                default=True, action="store_false",
                                help="Disable SSH key fingerprint checking")

NODE_FORCE_JOIN_OPT = cli_option("--force-join", dest="force_join",
                                 default=False, action="store_true",
                                 help="Force the joining of a node")

NOVOTING_OPT = cli_option("--no-voting", dest="no_voting", default=False,
                          action="store_true",
                          help="Skip node agreement check (dangerous)")

MC_OPT = cli_option("-C", "--master-candidate", dest="master_candidate",
                    type="bool", default=None, metavar="yes|no",
                    help="Set the master_candidate flag on the node")

OFFLINE_OPT = cli_option("-O", "--offline", dest="offline", metavar="yes|no",
                         type="bool", default=None,
                         help="Set the offline flag on the node")

DRAINED_OPT = cli_option("-D", "--drained", dest="drained", metavar="yes|no",
                         type="bool", default=None,
                         help="Set the drained flag on the node")

CAPAB_MASTER_OPT = cli_option("--master-capable", dest="master_capable",
                              type="bool", default=None, metavar="yes|no",
                              help="Set the master_capable flag on the node")

CAPAB_VM_OPT = cli_option("--vm-capable", dest="vm_capable",
                          type="bool", default=None, metavar="yes|no",
                          help="Set the vm_capable flag on the node")

ALLOCATABLE_OPT = cli_option("--allocatable", dest="allocatable",
                             type="bool", default=None, metavar="yes|no",
                             help="Set the allocatable flag on a volume")

NODE_POWERED_OPT = cli_option("--node-powered", default=None,
                              dest="node_powered", type="bool",
                              metavar="yes|no",
                              help="Specify if the SoR for node is powered")

OOB_TIMEOUT_OPT = cli_option("--oob-timeout", dest="oob_timeout", type="int",
                             default=60,
                             help="Maximum time to wait for out-of-band"
                                  " helper")

POWER_DELAY_OPT = cli_option("--power-delay", dest="power_delay",
                             type="float", default=2.0,
                             help="Time in seconds to wait between power-ons")

PRIMARY_ONLY_OPT = cli_option("-p", "--primary-only", dest="primary_only",
                              action="store_true", default=False,
                              help="Evacuate primary instances only")

SECONDARY_ONLY_OPT = cli_option("-s", "--secondary-only",
                                dest="secondary_only", action="store_true",
                                default=False,
                                help="Evacuate secondary instances only"
                                     " (applies only to internally mirrored"
                                     " disk templates, e.g. %s)" % "drbd")

IGNORE_SOFT_ERRORS_OPT = cli_option("--ignore-soft-errors",
                                    dest="ignore_soft_errors",
                                    action="store_true", default=False,
                                    help="Tell htools to ignore 'soft'"
                                         " errors")

USE_REPL_NET_OPT = cli_option("--use-replication-network",
                              dest="use_replication_network",
                              action="store_true", default=False,
                              help="Whether to use the replication network"
                                   " for talking to the nodes")

SHOW_MACHINE_OPT = cli_option("-M", "--show-machine-names", default=False,
                              action="store_true",
                              help="Show machine name for every line in"
                                   " output")

FAILURE_ONLY_OPT = cli_option("--failure-only", default=False,
                              action="store_true",
                              help="Display only failed nodes")

# Groups.
ALLOC_POLICY_OPT = cli_option("--alloc-policy", dest="alloc_policy",
                              metavar="POLICY", default=None,
                              help="Set the allocation policy for the group")

TO_GROUP_OPT = cli_option("--to", dest="to", metavar="<group>",
                          action="append",
                          completion_suggest=OPT_COMPL_ONE_NODEGROUP,
                          help="Group to evacuate to")

SEQUENTIAL_OPT = cli_option("--sequential", dest="sequential",
                            default=False, action="store_true",
                            help="Execute all resulting jobs sequentially")

FORCE_FAILOVER_OPT = cli_option("--force-failover", dest="force_failover",
                                default=False, action="store_true",
                                help="Do not use migration, always use"
                                     " failover")

INCLUDEDEFAULTS_OPT = cli_option("--include-defaults",
                                 dest="include_defaults", default=False,
                                 action="store_true",
                                 help="Include default values")
