"""The opcodes: one declaration per operation (upstream 3.0 interface).

Each class below is the single source of an operation's parameters (name,
default, type check, doc); validation, wire form, RAPI body handling and
documentation are derived from it (see ``ganeti.opcodes_base``).  Where
upstream 3.0 differs from later releases, 3.0 wins: ``name_check`` and
``ip_check`` default to True, ``OpInstanceSetParams`` has ``hotplug``
(default False) and ``hotplug_if_possible``, the disk verify opcodes have
no ``is_strict``.
"""

from typing import Dict, List, Type

from ganeti import constants as C
from ganeti import ht
from ganeti.opcodes_base import (  # noqa: F401  (re-exported API)
    GENERIC_PARAMS, FormatHaskellFloat, GetOpClass, LoadOpCode, NameToOpId,
    OpCode, SummaryFromDict, TinyText, ValidateSubmitPriority,
    DescribeOpCode, FormatOpCodeDoc, TPriority, TSubmitPriority)

ND = ht.NoDefault

# ------------------------------------------------------------------ checks

TDiskTemplate = ht.TElemOf(C.DISK_TEMPLATES)
THypervisor = ht.TElemOf(C.HYPER_TYPES)
TStorageType = ht.TElemOf(C.STORAGE_TYPES)
TNicParams = ht.Comment(ht.TDictOf(ht.TElemOf(C.INIC_PARAMS),
                                   ht.TMaybe(ht.TString)), "NIC parameters")
TDiskParams = ht.Comment(ht.TDictOf(ht.TNEString,
                                    ht.TOr(ht.TNEString, ht.TInt)),
                         "Disk parameters")
TDiskIndex = ht.TAnd(ht.TNonNegativeInt, ht.TLessThan(C.MAX_DISKS))
TUidRange = ht.TTupleOf(ht.TInt, ht.TInt)
TOsChange = ht.TTupleOf(ht.TElemOf([C.DDM_ADD, C.DDM_ATTACH, C.DDM_DETACH,
                                    C.DDM_REMOVE]), ht.TNEString)
TDiskParamsDict = ht.TDictOf(TDiskTemplate, ht.TAnyDict)
TStrDictOfDicts = ht.TDictOf(ht.TString, ht.TAnyDict)
TDeviceChanges = ht.TOr(
    ht.TListOf(ht.TAnd(ht.TIsLength(3), ht.TItems([
        ht.TElemOf(C.DDMS_VALUES),
        ht.Comment(ht.TOr(ht.TInt, ht.TString),
                   "Device index, can be negative, or name/UUID"),
        ht.TAnyDict]))),
    ht.TListOf(ht.TAnd(ht.TIsLength(2), ht.TItems([
        ht.TOr(ht.TElemOf(C.DDMS_VALUES), ht.TInt), ht.TAnyDict]))))
TRecreateDisks = ht.TOr(
    ht.TListOf(ht.TNonNegativeInt),
    ht.TListOf(ht.TAnd(ht.TIsLength(2), ht.TItems([
        ht.Comment(ht.TNonNegativeInt, "Disk index"),
        ht.TDictOf(ht.TNEString, ht.TAny)]))))

# Result checks
TJobIdList = ht.TListOf(ht.TAnd(ht.TIsLength(2), ht.TItems([
    ht.Comment(ht.TBool, "success"), ht.TOr(ht.TString, ht.TJobId)])))
TJobIdListOnly = ht.TStrictDict(True, True, {"jobs": TJobIdList})
TSetParamsResult = ht.TListOf(ht.TTupleOf(ht.TNEString, ht.TAny))
TQueryFieldDef = ht.TStrictDict(True, True, {
    "name": ht.TNEString, "title": ht.TNEString,
    "kind": ht.TElemOf(C.QFT_ALL), "doc": ht.TString})
TQueryFieldsResult = ht.TStrictDict(True, True, {
    "fields": ht.TListOf(TQueryFieldDef)})
TQueryResult = ht.TStrictDict(True, True, {
    "fields": ht.TListOf(TQueryFieldDef),
    "data": ht.TListOf(ht.TListOf(ht.TTupleOf(ht.TElemOf(C.RS_ALL),
                                              ht.TAny)))})
TListOfAny = ht.TListOf(ht.TAny)
#: A delay in seconds; in nanoseconds it must fit a signed 64-bit integer
#: (how sleeps and 3.x summaries represent it).
TDelayDuration = ht.WithDesc("Float", ht.TAnd(
    ht.TFloat, ht.Check(lambda val: abs(val) * 1e9 < 2 ** 63, "")))
TListOfLists = ht.TListOf(ht.TListOf(ht.TAny))

# ------------------------------------------------------------ shared params

P_INSTANCE_NAME = ("instance_name", ND, ht.TString, "Instance name")
P_INSTANCE_UUID = ("instance_uuid", None, ht.TMaybeString, "Instance UUID")
P_NODE_NAME = ("node_name", ND, ht.TNEString, "Node name")
P_NODE_UUID = ("node_uuid", None, ht.TMaybeString, "Node UUID")
P_GROUP_NAME = ("group_name", ND, ht.TNEString, "Node group name")
P_OPT_GROUP_NAME = ("group_name", None, ht.TMaybeString,
                    "Optional node group name")
P_NETWORK_NAME = ("network_name", ND, ht.TNEString, "Network name")
P_FORCE = ("force", False, ht.TBool, "Whether to force the operation")
P_SHUTDOWN_TIMEOUT = ("shutdown_timeout", C.DEFAULT_SHUTDOWN_TIMEOUT,
                      ht.TNonNegativeInt,
                      "How long (seconds) to wait for the instance to"
                      " shut down")
P_EARLY_RELEASE = ("early_release", False, ht.TBool,
                   "Release locks as soon as possible")
P_IALLOCATOR = ("iallocator", None, ht.TMaybeString,
                "Iallocator for deciding the target node")
P_REMOTE_NODE = ("remote_node", None, ht.TMaybeString, "New secondary node")
P_REMOTE_NODE_UUID = ("remote_node_uuid", None, ht.TMaybeString,
                      "New secondary node UUID")
P_TARGET_NODE = ("target_node", None, ht.TMaybeString, "Target node")
P_TARGET_NODE_UUID = ("target_node_uuid", None, ht.TMaybeString,
                      "Target node UUID")
P_MIGRATION_MODE = ("mode", None, ht.TMaybe(ht.TElemOf(C.HT_MIGRATION_MODES)),
                    "Migration mode")
P_MIGRATION_LIVE = ("live", None, ht.TMaybeBool,
                    "Live migration (obsolete, use mode)")
P_ALLOW_RUNTIME_CHANGES = ("allow_runtime_changes", True, ht.TBool,
                           "Allow runtime changes (e.g. memory ballooning)")
P_IGNORE_IPOLICY = ("ignore_ipolicy", False, ht.TBool,
                    "Ignore instance policy violations")
P_IGNORE_CONSISTENCY = ("ignore_consistency", False, ht.TBool,
                        "Ignore disk consistency (dangerous)")
P_WAIT_FOR_SYNC = ("wait_for_sync", True, ht.TBool,
                   "Wait for the disks to synchronize")
P_OUTPUT_FIELDS = ("output_fields", ND, ht.TListOf(ht.TNEString),
                   "Selected output fields")
P_NAMES = ("names", [], ht.TListOf(ht.TNEString), "Names of the objects")
P_NODES = ("nodes", [], ht.TListOf(ht.TNEString), "Node names")
P_REQ_NODES = ("nodes", ND, ht.TListOf(ht.TNEString), "Node names")
P_NODE_UUIDS = ("node_uuids", None, ht.TMaybeListOf(ht.TNEString),
                "Node UUIDs")
P_USE_LOCKING = ("use_locking", False, ht.TBool,
                 "Whether to acquire locks for the query")
P_HV_STATE = ("hv_state", None, ht.TMaybe(ht.TAnyDict),
              "Static hypervisor state")
P_DISK_STATE = ("disk_state", None, ht.TMaybe(ht.TAnyDict),
                "Static disk state")
P_NDPARAMS = ("ndparams", None, ht.TMaybe(ht.TAnyDict), "Node parameters")
P_IPOLICY = ("ipolicy", None, ht.TMaybe(ht.TAnyDict), "Instance policy")
P_DISKPARAMS = ("diskparams", None, ht.TMaybe(TDiskParamsDict),
                "Disk template parameters")
P_ALLOC_POLICY = ("alloc_policy", None,
                  ht.TMaybe(ht.TElemOf(C.VALID_ALLOC_POLICIES)),
                  "Instance allocation policy")
P_TAGS = ("tags", [], ht.TListOf(ht.TNEString), "Tags")
P_VERBOSE = ("verbose", False, ht.TBool, "Verbose mode")
P_ERROR_CODES = ("error_codes", False, ht.TBool,
                 "Print machine-parseable error codes")
P_DEBUG_SIMULATE_ERRORS = ("debug_simulate_errors", False, ht.TBool,
                           "Simulate errors (for debugging)")
P_SKIP_CHECKS = ("skip_checks", [],
                 ht.TSetOf(ht.TElemOf(C.VERIFY_OPTIONAL_CHECKS)),
                 "Optional checks to skip")
P_IGNORE_ERRORS = ("ignore_errors", [],
                   ht.TSetOf(ht.TElemOf(C.CV_ALL_ECODES_STRINGS)),
                   "Error codes to ignore")
P_VERIFY_CLUTTER = ("verify_clutter", False, ht.TBool,
                    "Check for clutter in authorized_keys/known_hosts")
P_STORAGE_TYPE = ("storage_type", ND, TStorageType, "Storage type")
P_STORAGE_NAME = ("name", None, ht.TMaybeString, "Storage unit name")
P_TARGET_GROUPS = ("target_groups", None, ht.TMaybeListOf(ht.TNEString),
                   "Destination group names or UUIDs")
P_CONFLICTS_CHECK = ("conflicts_check", True, ht.TBool,
                     "Check for conflicting IP addresses")
P_COMPRESS = ("compress", C.IEC_NONE, ht.TString,
              "Compression tool for data transfers")
P_FORCE_VARIANT = ("force_variant", False, ht.TBool,
                   "Accept an unknown OS variant")
P_OSPARAMS_PRIVATE = ("osparams_private", None, ht.TMaybe(ht.TPrivateDict),
                      "Private OS parameters (not logged)")
P_OSPARAMS_SECRET = ("osparams_secret", None, ht.TMaybe(ht.TPrivateDict),
                     "Secret OS parameters (never stored)")
P_CLEANUP = ("cleanup", False, ht.TBool,
             "Clean up a previously failed migration")
P_TAG_KIND = ("kind", ND, ht.TElemOf(C.VALID_TAG_TYPES),
              "Kind of tagged object")
P_TAG_NAME = ("name", None, ht.TMaybe(ht.TString),
              "Name of the tagged object (none for the cluster)")
P_NETWORK_GATEWAY = ("gateway", None, ht.TMaybeIPv4Address, "IPv4 gateway")
P_NETWORK6 = ("network6", None, ht.TMaybeIPv6Network, "IPv6 subnet")
P_GATEWAY6 = ("gateway6", None, ht.TMaybeIPv6Address, "IPv6 gateway")
P_MAC_PREFIX = ("mac_prefix", None, ht.TMaybeString,
                "MAC prefix of the network's NICs")
P_ADD_RESERVED_IPS = ("add_reserved_ips", None,
                      ht.TMaybeListOf(ht.TIPv4Address),
                      "IP addresses to reserve")


def _Q(what_doc: str) -> tuple:
    return ("what", ND, ht.TElemOf(C.QR_ALL), what_doc)


# ================================================================== cluster

class OpClusterPostInit(OpCode):
    """Run the post-init hooks of a new cluster."""
    OP_RESULT = ht.TBool


class OpClusterDestroy(OpCode):
    """Destroy the cluster (the master node must be the only node)."""
    OP_RESULT = ht.TNEString


class OpClusterQuery(OpCode):
    """Return cluster information."""
    OP_RESULT = ht.TDictOf(ht.TAny, ht.TAny)


class OpClusterVerify(OpCode):
    """Submit the jobs verifying the cluster (config and each group)."""
    OP_PARAMS = [
        P_DEBUG_SIMULATE_ERRORS, P_ERROR_CODES, P_SKIP_CHECKS,
        P_IGNORE_ERRORS, P_VERBOSE,
        ("group_name", None, ht.TMaybeString, "Only verify this group"),
        P_VERIFY_CLUTTER,
    ]
    OP_RESULT = TJobIdListOnly


class OpClusterVerifyConfig(OpCode):
    """Verify the cluster configuration and cluster-wide settings."""
    OP_PARAMS = [P_DEBUG_SIMULATE_ERRORS, P_ERROR_CODES, P_IGNORE_ERRORS,
                 P_VERBOSE]
    OP_RESULT = ht.TBool


class OpClusterVerifyGroup(OpCode):
    """Verify the nodes and instances of one node group."""
    OP_DSC_FIELD = "group_name"
    OP_PARAMS = [P_GROUP_NAME, P_DEBUG_SIMULATE_ERRORS, P_ERROR_CODES,
                 P_SKIP_CHECKS, P_IGNORE_ERRORS, P_VERBOSE, P_VERIFY_CLUTTER]
    OP_RESULT = ht.TBool


class OpClusterVerifyDisks(OpCode):
    """Submit a disk verification job per node group."""
    OP_PARAMS = [P_OPT_GROUP_NAME]
    OP_RESULT = TJobIdListOnly


class OpGroupVerifyDisks(OpCode):
    """Verify the disks of the instances of one node group."""
    OP_DSC_FIELD = "group_name"
    OP_PARAMS = [P_GROUP_NAME]
    OP_RESULT = ht.TTupleOf(ht.TDictOf(ht.TString, ht.TString),
                            ht.TListOf(ht.TString),
                            ht.TDictOf(ht.TString,
                                       ht.TListOf(ht.TListOf(ht.TString))))


class OpClusterRepairDiskSizes(OpCode):
    """Repair the recorded disk sizes of instances."""
    OP_PARAMS = [("instances", [], ht.TListOf(ht.TNEString),
                  "Instances to check (all if empty)")]
    OP_RESULT = ht.TListOf(ht.TTupleOf(ht.TNEString, ht.TNonNegativeInt,
                                       ht.TNEString, ht.TNonNegativeInt))


class OpClusterConfigQuery(OpCode):
    """Query cluster configuration values."""
    OP_PARAMS = [P_OUTPUT_FIELDS]
    OP_RESULT = TListOfAny


class OpClusterRename(OpCode):
    """Rename the cluster."""
    OP_DSC_FIELD = "name"
    OP_PARAMS = [("name", ND, ht.TNEString, "New cluster name")]
    OP_RESULT = ht.TNEString


class OpClusterSetParams(OpCode):
    """Change the cluster parameters."""
    OP_PARAMS = [
        P_FORCE, P_HV_STATE, P_DISK_STATE,
        ("vg_name", None, ht.TMaybe(ht.TString),
         "Volume group name (empty to disable LVM)"),
        ("enabled_hypervisors", None, ht.TMaybeListOf(THypervisor),
         "Enabled hypervisors (the first is the default)"),
        ("hvparams", None, ht.TMaybe(TStrDictOfDicts),
         "Cluster-wide hypervisor parameters, per hypervisor"),
        ("beparams", None, ht.TMaybe(ht.TAnyDict),
         "Cluster-wide backend parameters"),
        ("os_hvp", None, ht.TMaybe(TStrDictOfDicts),
         "Hypervisor parameters per OS"),
        ("osparams", None, ht.TMaybe(TStrDictOfDicts),
         "OS parameters per OS"),
        ("osparams_private_cluster", None,
         ht.TMaybe(ht.TDictOf(ht.TString, ht.TPrivateDict)),
         "Private OS parameters per OS"),
        P_DISKPARAMS,
        ("candidate_pool_size", None, ht.TMaybePositiveInt,
         "Master candidate pool size"),
        ("max_running_jobs", None, ht.TMaybePositiveInt,
         "Maximal number of jobs running at the same time"),
        ("max_tracked_jobs", None, ht.TMaybePositiveInt,
         "Maximal number of jobs tracked in the job queue"),
        ("uid_pool", None, ht.TMaybeListOf(TUidRange),
         "User-id pool (list of ranges)"),
        ("add_uids", None, ht.TMaybeListOf(TUidRange),
         "User-id ranges to add to the pool"),
        ("remove_uids", None, ht.TMaybeListOf(TUidRange),
         "User-id ranges to remove from the pool"),
        ("maintain_node_health", None, ht.TMaybeBool,
         "Whether to automatically maintain node health"),
        ("prealloc_wipe_disks", None, ht.TMaybeBool,
         "Whether to wipe disks before allocating them to instances"),
        ("nicparams", None, ht.TMaybe(TNicParams),
         "Cluster-wide NIC parameters"),
        P_NDPARAMS, P_IPOLICY,
        ("drbd_helper", None, ht.TMaybe(ht.TString), "DRBD usermode helper"),
        ("default_iallocator", None, ht.TMaybe(ht.TString),
         "Default iallocator"),
        ("default_iallocator_params", None, ht.TMaybe(ht.TAnyDict),
         "Default iallocator parameters"),
        ("mac_prefix", None, ht.TMaybeString,
         "Prefix of generated MAC addresses"),
        ("master_netdev", None, ht.TMaybe(ht.TString),
         "Master network device"),
        ("master_netmask", None, ht.TMaybeNonNegativeInt,
         "Netmask (prefix length) of the master IP"),
        ("reserved_lvs", None, ht.TMaybeListOf(ht.TNEString),
         "Logical volumes ignored by cluster verify"),
        ("hidden_os", None, ht.TMaybeListOf(TOsChange),
         "Changes to the hidden OS list: [(add|remove, os), ...]"),
        ("blacklisted_os", None, ht.TMaybeListOf(TOsChange),
         "Changes to the blacklisted OS list: [(add|remove, os), ...]"),
        ("use_external_mip_script", None, ht.TMaybeBool,
         "Whether to use an external master IP address setup script"),
        ("enabled_disk_templates", None, ht.TMaybeListOf(TDiskTemplate),
         "Enabled disk templates"),
        ("modify_etc_hosts", None, ht.TMaybeBool,
         "Whether Ganeti manages /etc/hosts"),
        ("file_storage_dir", None, ht.TMaybe(ht.TString),
         "Default file storage directory"),
        ("shared_file_storage_dir", None, ht.TMaybe(ht.TString),
         "Default shared file storage directory"),
        ("gluster_storage_dir", None, ht.TMaybe(ht.TString),
         "Gluster storage directory"),
        ("install_image", None, ht.TMaybe(ht.TString),
         "Image for installing instances"),
        ("instance_communication_network", None, ht.TMaybe(ht.TString),
         "Network used for instance communication"),
        ("zeroing_image", None, ht.TMaybe(ht.TString),
         "Image for zeroing free disk space"),
        ("compression_tools", None, ht.TMaybeListOf(ht.TNEString),
         "Allowed compression tools"),
        ("enabled_user_shutdown", None, ht.TMaybeBool,
         "Whether user shutdown of instances is detected"),
        ("enabled_data_collectors", None,
         ht.TMaybe(ht.TDictOf(ht.TString, ht.TBool)),
         "Enable or disable data collectors"),
        ("data_collector_interval", None,
         ht.TMaybe(ht.TDictOf(ht.TString, ht.TInt)),
         "Data collector intervals (microseconds)"),
    ]
    OP_RESULT = ht.TMaybe(TJobIdListOnly)


class OpClusterRedistConf(OpCode):
    """Redistribute the configuration to all nodes."""
    OP_RESULT = ht.TNone


class OpClusterActivateMasterIp(OpCode):
    """Activate the master IP on the master node."""
    OP_RESULT = ht.TNone


class OpClusterDeactivateMasterIp(OpCode):
    """Deactivate the master IP on the master node."""
    OP_RESULT = ht.TNone


class OpClusterRenewCrypto(OpCode):
    """Renew the cluster's certificates (and optionally SSH keys)."""
    OP_PARAMS = [
        ("node_certificates", False, ht.TBool,
         "Whether to renew the node certificates"),
        ("renew_ssh_keys", False, ht.TBool, "Whether to renew the SSH keys"),
        ("ssh_key_type", None, ht.TMaybe(ht.TElemOf(C.SSHK_ALL)),
         "Type of the new SSH keys"),
        ("ssh_key_bits", None, ht.TMaybePositiveInt,
         "Length of the new SSH keys"),
        P_VERBOSE,
        ("debug", False, ht.TBool, "Debug mode"),
    ]
    OP_RESULT = ht.TNone


# ================================================================== query

class OpQuery(OpCode):
    """Query for resources/items (query2 interface)."""
    OP_DSC_FIELD = "what"
    OP_PARAMS = [
        _Q("Resource(s) to query for"), P_USE_LOCKING,
        ("fields", ND, ht.TListOf(ht.TNEString), "Requested fields"),
        ("qfilter", None, ht.TMaybe(ht.TListOf(ht.TAny)), "Query filter"),
    ]
    OP_RESULT = TQueryResult


class OpQueryFields(OpCode):
    """Query for the available fields of a resource."""
    OP_DSC_FIELD = "what"
    OP_PARAMS = [
        _Q("Resource(s) to query for"),
        ("fields", None, ht.TMaybeListOf(ht.TNEString),
         "Requested fields; if not given, all are returned"),
    ]
    OP_RESULT = TQueryFieldsResult


class OpOobCommand(OpCode):
    """Run an out-of-band command on nodes."""
    OP_PARAMS = [
        ("node_names", [], ht.TListOf(ht.TNEString),
         "Nodes to run the command on"),
        P_NODE_UUIDS,
        ("command", ND, ht.TElemOf(C.OOB_COMMANDS), "OOB command to run"),
        ("timeout", C.OOB_TIMEOUT, ht.TInt,
         "Timeout (seconds) before the OOB helper is killed"),
        ("ignore_status", False, ht.TBool,
         "Ignore the node status (e.g. offline)"),
        ("power_delay", C.OOB_POWER_DELAY, ht.TFloat,
         "Delay between powering on nodes"),
    ]
    OP_RESULT = ht.TListOf(ht.TListOf(ht.TTupleOf(ht.TElemOf(C.RS_ALL),
                                                  ht.TAny)))


class OpRestrictedCommand(OpCode):
    """Run a restricted command on nodes."""
    OP_PARAMS = [
        P_USE_LOCKING, P_REQ_NODES, P_NODE_UUIDS,
        ("command", ND, ht.TNEString, "Restricted command name"),
    ]
    OP_RESULT = ht.TListOf(ht.TTupleOf(ht.TBool, ht.TString))


# ================================================================== node

class OpNodeRemove(OpCode):
    """Remove a node from the cluster."""
    OP_DSC_FIELD = "node_name"
    OP_PARAMS = [P_NODE_NAME, P_NODE_UUID]
    OP_RESULT = ht.TNone


class OpNodeAdd(OpCode):
    """Add a node to the cluster."""
    OP_DSC_FIELD = "node_name"
    OP_PARAMS = [
        P_NODE_NAME, P_HV_STATE, P_DISK_STATE,
        ("primary_ip", None, ht.TMaybeString,
         "Primary IP address (resolved from the name if not given)"),
        ("secondary_ip", None, ht.TMaybeString, "Secondary IP address"),
        ("readd", False, ht.TBool, "Whether the node is being re-added"),
        ("group", None, ht.TMaybeString, "Node group of the new node"),
        ("master_capable", None, ht.TMaybeBool,
         "Whether the node can become master (candidate)"),
        ("vm_capable", None, ht.TMaybeBool,
         "Whether the node can host instances"),
        P_NDPARAMS,
        ("node_setup", False, ht.TBool,
         "Whether to set up the node (SSH keys, daemons)"),
    ]
    OP_RESULT = ht.TNone


class OpNodeQueryvols(OpCode):
    """Get the logical volumes of nodes."""
    OP_PARAMS = [P_OUTPUT_FIELDS, P_NODES]
    OP_RESULT = TListOfAny


class OpNodeQueryStorage(OpCode):
    """Get information about storage units on nodes."""
    OP_PARAMS = [
        P_OUTPUT_FIELDS,
        ("storage_type", None, ht.TMaybe(TStorageType), "Storage type"),
        P_NODES, P_STORAGE_NAME,
    ]
    OP_RESULT = TListOfLists


class OpNodeModifyStorage(OpCode):
    """Modify a storage unit on a node."""
    OP_DSC_FIELD = "node_name"
    OP_PARAMS = [
        P_NODE_NAME, P_NODE_UUID, P_STORAGE_TYPE, P_STORAGE_NAME,
        ("changes", ND, ht.TAnyDict, "Requested storage changes"),
    ]
    OP_RESULT = ht.TNone


class OpRepairNodeStorage(OpCode):
    """Repair a storage unit on a node."""
    OP_DSC_FIELD = "node_name"
    OP_PARAMS = [P_NODE_NAME, P_NODE_UUID, P_STORAGE_TYPE, P_STORAGE_NAME,
                 P_IGNORE_CONSISTENCY]
    OP_RESULT = ht.TNone


class OpNodeSetParams(OpCode):
    """Change the parameters (flags, ndparams, IPs) of a node."""
    OP_DSC_FIELD = "node_name"
    OP_PARAMS = [
        P_NODE_NAME, P_NODE_UUID, P_FORCE, P_HV_STATE, P_DISK_STATE,
        ("master_candidate", None, ht.TMaybeBool,
         "Whether the node should become a master candidate"),
        ("offline", None, ht.TMaybeBool,
         "Whether to mark the node offline"),
        ("drained", None, ht.TMaybeBool, "Whether to mark the node drained"),
        ("auto_promote", False, ht.TBool,
         "Promote other nodes to master candidate if needed"),
        ("master_capable", None, ht.TMaybeBool,
         "Whether the node can become master (candidate)"),
        ("vm_capable", None, ht.TMaybeBool,
         "Whether the node can host instances"),
        ("secondary_ip", None, ht.TMaybeString, "New secondary IP address"),
        P_NDPARAMS,
        ("powered", None, ht.TMaybeBool,
         "Whether the node is powered (as reported by OOB)"),
    ]
    OP_RESULT = TSetParamsResult


class OpNodePowercycle(OpCode):
    """Power-cycle a node."""
    OP_DSC_FIELD = "node_name"
    OP_PARAMS = [P_NODE_NAME, P_NODE_UUID, P_FORCE]
    OP_RESULT = ht.TMaybeString


class OpNodeMigrate(OpCode):
    """Migrate all primary instances away from a node."""
    OP_DSC_FIELD = "node_name"
    OP_PARAMS = [
        P_NODE_NAME, P_NODE_UUID, P_MIGRATION_MODE, P_MIGRATION_LIVE,
        P_TARGET_NODE, P_TARGET_NODE_UUID, P_ALLOW_RUNTIME_CHANGES,
        P_IGNORE_IPOLICY, P_IALLOCATOR,
    ]
    OP_RESULT = TJobIdListOnly


class OpNodeEvacuate(OpCode):
    """Evacuate instances off a node."""
    OP_DSC_FIELD = "node_name"
    OP_PARAMS = [
        P_EARLY_RELEASE, P_NODE_NAME, P_NODE_UUID, P_REMOTE_NODE,
        P_REMOTE_NODE_UUID, P_IALLOCATOR,
        ("mode", ND, ht.TElemOf(C.NODE_EVAC_MODES), "Node evacuation mode"),
        ("ignore_soft_errors", None, ht.TMaybeBool,
         "Ignore soft iallocator errors"),
    ]
    OP_RESULT = TJobIdListOnly


# ================================================================== instance

class OpInstanceCreate(OpCode):
    """Create (or import) an instance."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_FORCE_VARIANT, P_WAIT_FOR_SYNC,
        ("name_check", True, ht.TBool,
         "Check that the instance name resolves"),
        P_IGNORE_IPOLICY,
        ("opportunistic_locking", False, ht.TBool,
         "Lock only the nodes that are available right now"),
        ("beparams", {}, ht.TAnyDict, "Backend parameters"),
        ("disks", ND, ht.TListOf(TDiskParams),
         "Disk descriptions, e.g. [{\"size\": 1024}]"),
        ("disk_template", None, ht.TMaybe(TDiskTemplate), "Disk template"),
        ("group_name", None, ht.TMaybeString,
         "Node group for the iallocator"),
        ("file_driver", None, ht.TMaybe(ht.TElemOf(C.FILE_DRIVER)),
         "Driver for file-backed disks"),
        ("file_storage_dir", None, ht.TMaybeString,
         "Directory for file-backed disks"),
        ("hvparams", {}, ht.TAnyDict, "Hypervisor parameters"),
        ("hypervisor", None, ht.TMaybe(THypervisor), "Hypervisor"),
        P_IALLOCATOR,
        ("identify_defaults", False, ht.TBool,
         "Reset parameters equal to the cluster defaults to 'default'"),
        ("ip_check", True, ht.TBool,
         "Check that the instance IP is not in use"),
        P_CONFLICTS_CHECK,
        ("mode", ND, ht.TElemOf(C.INSTANCE_CREATE_MODES),
         "Instance creation mode"),
        ("nics", ND, ht.TListOf(TNicParams),
         "NIC descriptions, e.g. [{\"mode\": \"bridged\"}]"),
        ("no_install", None, ht.TMaybeBool,
         "Do not run the OS create scripts"),
        ("osparams", {}, ht.TAnyDict, "OS parameters"),
        P_OSPARAMS_PRIVATE, P_OSPARAMS_SECRET,
        ("os_type", None, ht.TMaybeString, "Operating system (and variant)"),
        ("pnode", None, ht.TMaybeString, "Primary node"),
        ("pnode_uuid", None, ht.TMaybeString, "Primary node UUID"),
        ("snode", None, ht.TMaybeString, "Secondary node"),
        ("snode_uuid", None, ht.TMaybeString, "Secondary node UUID"),
        ("source_handshake", None, ht.TMaybe(TListOfAny),
         "Remote import: handshake from the source cluster"),
        ("source_instance_name", None, ht.TMaybeString,
         "Remote import: instance name on the source cluster"),
        ("source_shutdown_timeout", C.DEFAULT_SHUTDOWN_TIMEOUT,
         ht.TNonNegativeInt,
         "Remote import: source instance shutdown timeout"),
        ("source_x509_ca", None, ht.TMaybeString,
         "Remote import: source X509 CA (PEM)"),
        ("src_node", None, ht.TMaybeString, "Import: source node"),
        ("src_node_uuid", None, ht.TMaybeString, "Import: source node UUID"),
        ("src_path", None, ht.TMaybeString, "Import: source export path"),
        P_COMPRESS,
        ("start", True, ht.TBool, "Start the instance after creation"),
        ("forthcoming", False, ht.TBool,
         "Only reserve the resources, don't create the instance"),
        ("commit", False, ht.TBool,
         "Create a previously reserved (forthcoming) instance"),
        P_TAGS,
        ("instance_communication", False, ht.TBool,
         "Enable communication with the instance"),
        ("helper_startup_timeout", None, ht.TMaybeInt,
         "Startup timeout of the helper VM"),
        ("helper_shutdown_timeout", None, ht.TMaybeInt,
         "Shutdown timeout of the helper VM"),
    ]
    OP_RESULT = ht.TListOf(ht.TNEString)


class OpInstanceMultiAlloc(OpCode):
    """Allocate several instances at once."""
    OP_PARAMS = [
        ("opportunistic_locking", False, ht.TBool,
         "Lock only the nodes that are available right now"),
        P_IALLOCATOR,
        ("instances", [], TListOfAny, "OpInstanceCreate opcodes (dicts)"),
    ]
    OP_RESULT = ht.TStrictDict(True, True, {
        "jobs": TJobIdList,
        "allocatable": ht.TListOf(ht.TNEString),
        "failed": ht.TListOf(ht.TNEString)})


class OpInstanceReinstall(OpCode):
    """Reinstall the OS of an instance."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID, P_FORCE_VARIANT,
        ("os_type", None, ht.TMaybeString, "New OS (and variant)"),
        ("osparams", None, ht.TMaybe(ht.TAnyDict), "OS parameters"),
        P_OSPARAMS_PRIVATE, P_OSPARAMS_SECRET,
    ]
    OP_RESULT = ht.TNone


class OpInstanceRemove(OpCode):
    """Remove an instance."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID, P_SHUTDOWN_TIMEOUT,
        ("ignore_failures", False, ht.TBool,
         "Continue even if removing some resources fails"),
    ]
    OP_RESULT = ht.TNone


class OpInstanceRename(OpCode):
    """Rename an instance."""
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID,
        ("new_name", ND, ht.TNEString, "New instance name"),
        ("name_check", True, ht.TBool,
         "Check that the new name resolves"),
        ("ip_check", True, ht.TBool,
         "Check that the new IP is not in use"),
    ]
    OP_RESULT = ht.TNEString


class OpInstanceStartup(OpCode):
    """Start an instance."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID, P_FORCE,
        ("ignore_offline_nodes", False, ht.TBool,
         "Ignore offline nodes"),
        ("hvparams", {}, ht.TAnyDict,
         "Temporary hypervisor parameters for this start"),
        ("beparams", {}, ht.TAnyDict,
         "Temporary backend parameters for this start"),
        ("no_remember", False, ht.TBool,
         "Don't record the new state in the configuration"),
        ("startup_paused", False, ht.TBool, "Start the instance paused"),
        P_SHUTDOWN_TIMEOUT,
    ]
    OP_RESULT = ht.TNone


class OpInstanceShutdown(OpCode):
    """Shut down an instance."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID, P_FORCE,
        ("ignore_offline_nodes", False, ht.TBool, "Ignore offline nodes"),
        ("timeout", C.DEFAULT_SHUTDOWN_TIMEOUT, ht.TNonNegativeInt,
         "How long (seconds) to wait for a clean shutdown"),
        ("no_remember", False, ht.TBool,
         "Don't record the new state in the configuration"),
        ("admin_state_source", None,
         ht.TMaybe(ht.TElemOf(C.INSTANCE_STATE_SOURCES)),
         "Who requested the shutdown (admin or user)"),
    ]
    OP_RESULT = ht.TNone


class OpInstanceReboot(OpCode):
    """Reboot an instance."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID, P_SHUTDOWN_TIMEOUT,
        ("ignore_secondaries", False, ht.TBool,
         "Don't check the secondary nodes' disks (full reboot)"),
        ("reboot_type", ND, ht.TElemOf(C.REBOOT_TYPES), "Reboot type"),
    ]
    OP_RESULT = ht.TNone


class OpInstanceReplaceDisks(OpCode):
    """Replace the disks of an instance."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID, P_EARLY_RELEASE, P_IGNORE_IPOLICY,
        ("mode", ND, ht.TElemOf(C.REPLACE_MODES), "Replacement mode"),
        ("disks", [], ht.TListOf(TDiskIndex), "Disk indexes"),
        P_REMOTE_NODE, P_REMOTE_NODE_UUID, P_IALLOCATOR,
    ]
    OP_RESULT = ht.TNone


class OpInstanceFailover(OpCode):
    """Fail over an instance to its secondary (or target) node."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID, P_SHUTDOWN_TIMEOUT,
        P_IGNORE_CONSISTENCY, P_TARGET_NODE, P_TARGET_NODE_UUID,
        P_IGNORE_IPOLICY, P_CLEANUP, P_IALLOCATOR,
    ]
    OP_RESULT = ht.TNone


class OpInstanceMigrate(OpCode):
    """Live-migrate an instance to its secondary (or target) node."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID, P_MIGRATION_MODE, P_MIGRATION_LIVE,
        P_TARGET_NODE, P_TARGET_NODE_UUID, P_ALLOW_RUNTIME_CHANGES,
        P_IGNORE_IPOLICY, P_CLEANUP, P_IALLOCATOR,
        ("allow_failover", False, ht.TBool,
         "Fail over if migration is not possible"),
        ("ignore_hvversions", False, ht.TBool,
         "Ignore hypervisor version differences"),
    ]
    OP_RESULT = ht.TNone


class OpInstanceMove(OpCode):
    """Move an instance by copying its disks to another node."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID, P_SHUTDOWN_TIMEOUT,
        P_IGNORE_IPOLICY,
        ("target_node", ND, ht.TNEString, "Target node"),
        P_TARGET_NODE_UUID, P_COMPRESS, P_IGNORE_CONSISTENCY,
    ]
    OP_RESULT = ht.TNone


class OpInstanceConsole(OpCode):
    """Return the console information of an instance."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [P_INSTANCE_NAME, P_INSTANCE_UUID]
    OP_RESULT = ht.TAnyDict


class OpInstanceActivateDisks(OpCode):
    """Activate the disks of an instance."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID,
        ("ignore_size", False, ht.TBool,
         "Ignore the recorded disk sizes"),
        ("wait_for_sync", False, ht.TBool,
         "Wait for the disks to synchronize"),
    ]
    OP_RESULT = ht.TListOf(ht.TTupleOf(ht.TNEString, ht.TNEString,
                                       ht.TMaybeString))


class OpInstanceDeactivateDisks(OpCode):
    """Deactivate the disks of an instance."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [P_INSTANCE_NAME, P_INSTANCE_UUID, P_FORCE]
    OP_RESULT = ht.TNone


class OpInstanceRecreateDisks(OpCode):
    """Recreate (some of) the disks of an instance."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID,
        ("disks", [], TRecreateDisks,
         "Disk indexes, or [index, parameters] pairs (all if empty)"),
        ("nodes", [], ht.TListOf(ht.TNEString), "New instance nodes"),
        P_NODE_UUIDS, P_IALLOCATOR,
    ]
    OP_RESULT = ht.TNone


class OpInstanceQueryData(OpCode):
    """Return detailed information about instances."""
    OP_PARAMS = [
        P_USE_LOCKING,
        ("instances", [], ht.TListOf(ht.TNEString),
         "Instance names (all if empty)"),
        ("static", False, ht.TBool,
         "Only return configuration data, don't query the nodes"),
    ]
    OP_RESULT = ht.TDictOf(ht.TAny, ht.TAnyDict)


class OpInstanceSetParams(OpCode):
    """Change the parameters of an instance."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID, P_FORCE, P_FORCE_VARIANT,
        P_IGNORE_IPOLICY,
        ("nics", [], TDeviceChanges,
         "NIC changes: [(op, index/name, parameters), ...]"),
        ("disks", [], TDeviceChanges,
         "Disk changes: [(op, index/name, parameters), ...]"),
        ("beparams", {}, ht.TAnyDict, "Changed backend parameters"),
        ("runtime_mem", None, ht.TMaybePositiveInt,
         "New runtime memory (ballooning)"),
        ("hvparams", {}, ht.TAnyDict, "Changed hypervisor parameters"),
        ("disk_template", None, ht.TMaybe(TDiskTemplate),
         "New disk template (conversion)"),
        ("ext_params", {}, ht.TAnyDict,
         "ExtStorage parameters for a conversion to ext"),
        ("file_driver", None, ht.TMaybe(ht.TElemOf(C.FILE_DRIVER)),
         "Driver for file-backed disks"),
        ("file_storage_dir", None, ht.TMaybeString,
         "Directory for file-backed disks"),
        ("pnode", None, ht.TMaybeString, "New primary node"),
        ("pnode_uuid", None, ht.TMaybeString, "New primary node UUID"),
        P_REMOTE_NODE, P_REMOTE_NODE_UUID, P_IALLOCATOR,
        ("os_name", None, ht.TMaybeString, "New OS (and variant)"),
        ("osparams", {}, ht.TAnyDict, "Changed OS parameters"),
        P_OSPARAMS_PRIVATE,
        P_WAIT_FOR_SYNC,
        ("offline", None, ht.TMaybeBool, "Mark the instance offline/online"),
        P_CONFLICTS_CHECK,
        ("hotplug", False, ht.TBool, "Hotplug the device changes"),
        ("hotplug_if_possible", False, ht.TBool,
         "Hotplug the device changes if the hypervisor supports it"),
        ("instance_communication", None, ht.TMaybeBool,
         "Enable or disable communication with the instance"),
    ]
    OP_RESULT = TSetParamsResult


class OpInstanceGrowDisk(OpCode):
    """Grow a disk of an instance."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID, P_WAIT_FOR_SYNC,
        ("disk", ND, TDiskIndex, "Disk index"),
        ("amount", ND, ht.TNonNegativeInt, "Amount (MiB) to grow by, or"
         " the new size if absolute"),
        ("absolute", False, ht.TBool, "Whether amount is the new size"),
        P_IGNORE_IPOLICY,
    ]
    OP_RESULT = ht.TNone


class OpInstanceChangeGroup(OpCode):
    """Move an instance to another node group."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [P_INSTANCE_NAME, P_INSTANCE_UUID, P_EARLY_RELEASE,
                 P_IALLOCATOR, P_TARGET_GROUPS]
    OP_RESULT = TJobIdListOnly


# ================================================================== groups

class OpGroupAdd(OpCode):
    """Add a node group."""
    OP_DSC_FIELD = "group_name"
    OP_PARAMS = [P_GROUP_NAME, P_ALLOC_POLICY, P_NDPARAMS, P_DISKPARAMS,
                 P_HV_STATE, P_DISK_STATE, P_IPOLICY]
    OP_RESULT = ht.TMaybe(TJobIdListOnly)


class OpGroupAssignNodes(OpCode):
    """Assign nodes to a node group."""
    OP_DSC_FIELD = "group_name"
    OP_PARAMS = [P_GROUP_NAME, P_FORCE, P_REQ_NODES, P_NODE_UUIDS]
    OP_RESULT = ht.TNone


class OpGroupSetParams(OpCode):
    """Change the parameters of a node group."""
    OP_DSC_FIELD = "group_name"
    OP_PARAMS = [P_GROUP_NAME, P_ALLOC_POLICY, P_NDPARAMS, P_DISKPARAMS,
                 P_HV_STATE, P_DISK_STATE, P_IPOLICY]
    OP_RESULT = TSetParamsResult


class OpGroupRemove(OpCode):
    """Remove an (empty) node group."""
    OP_DSC_FIELD = "group_name"
    OP_PARAMS = [P_GROUP_NAME]
    OP_RESULT = ht.TNone


class OpGroupRename(OpCode):
    """Rename a node group."""
    OP_PARAMS = [P_GROUP_NAME,
                 ("new_name", ND, ht.TNEString, "New group name")]
    OP_RESULT = ht.TNEString


class OpGroupEvacuate(OpCode):
    """Evacuate all instances of a node group to other groups."""
    OP_DSC_FIELD = "group_name"
    OP_PARAMS = [
        P_GROUP_NAME, P_EARLY_RELEASE, P_IALLOCATOR, P_TARGET_GROUPS,
        ("sequential", False, ht.TBool, "Run the moves one after another"),
        ("force_failover", False, ht.TBool,
         "Use failover instead of migration"),
    ]
    OP_RESULT = TJobIdListOnly


# ================================================================== OS / ext

class OpOsDiagnose(OpCode):
    """Compute the list of guest operating systems."""
    OP_PARAMS = [P_OUTPUT_FIELDS, P_NAMES]
    OP_RESULT = TListOfLists


class OpExtStorageDiagnose(OpCode):
    """Compute the list of ExtStorage providers."""
    OP_PARAMS = [P_OUTPUT_FIELDS, P_NAMES]
    OP_RESULT = TListOfLists


# ================================================================== backup

class OpBackupPrepare(OpCode):
    """Prepare an instance export (remote exports need this first)."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [P_INSTANCE_NAME, P_INSTANCE_UUID,
                 ("mode", ND, ht.TElemOf(C.EXPORT_MODES), "Export mode")]
    OP_RESULT = ht.TMaybe(ht.TAnyDict)


class OpBackupExport(OpCode):
    """Export an instance."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID, P_COMPRESS, P_SHUTDOWN_TIMEOUT,
        ("target_node", ND, ht.TOr(ht.TNEString, ht.TList),
         "Target node (local) or list of destinations (remote)"),
        P_TARGET_NODE_UUID,
        ("shutdown", True, ht.TBool,
         "Shut the instance down before exporting"),
        ("remove_instance", False, ht.TBool,
         "Remove the instance after the export"),
        ("ignore_remove_failures", False, ht.TBool,
         "Ignore failures while removing the instance"),
        ("mode", C.EXPORT_MODE_LOCAL, ht.TElemOf(C.EXPORT_MODES),
         "Export mode"),
        ("x509_key_name", None, ht.TMaybe(TListOfAny),
         "Remote export: name of the X509 key"),
        ("destination_x509_ca", None, ht.TMaybeString,
         "Remote export: destination X509 CA"),
        ("zero_free_space", False, ht.TBool,
         "Zero the free space of the disks before exporting"),
        ("zeroing_timeout_fixed", None, ht.TMaybeInt,
         "Fixed part of the zeroing timeout"),
        ("zeroing_timeout_per_mib", None, ht.TMaybeFloat,
         "Per-MiB part of the zeroing timeout"),
        ("long_sleep", False, ht.TBool,
         "Allow the helper VM a long shutdown"),
    ]
    OP_RESULT = ht.TTupleOf(ht.TBool, ht.TListOf(ht.TBool))


class OpBackupRemove(OpCode):
    """Remove the exports of an instance."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [P_INSTANCE_NAME, P_INSTANCE_UUID]
    OP_RESULT = ht.TNone


# ================================================================== tags

class OpTagsGet(OpCode):
    """Return the tags of an object."""
    OP_DSC_FIELD = "name"
    OP_PARAMS = [P_TAG_KIND, P_USE_LOCKING, P_TAG_NAME]
    OP_RESULT = ht.TListOf(ht.TNEString)


class OpTagsSearch(OpCode):
    """Search all tags for a pattern."""
    OP_DSC_FIELD = "pattern"
    OP_PARAMS = [("pattern", ND, ht.TNEString, "Search pattern (regexp)")]
    OP_RESULT = ht.TListOf(ht.TTupleOf(ht.TNEString, ht.TNEString))


class OpTagsSet(OpCode):
    """Add tags to an object."""
    OP_PARAMS = [P_TAG_KIND, ("tags", ND, ht.TListOf(ht.TString), "Tags"),
                 P_TAG_NAME]
    OP_RESULT = ht.TNone


class OpTagsDel(OpCode):
    """Remove tags from an object."""
    OP_PARAMS = [P_TAG_KIND, ("tags", ND, ht.TListOf(ht.TString), "Tags"),
                 P_TAG_NAME]
    OP_RESULT = ht.TNone


# ================================================================== test

def _FormatDelay(value) -> str:
    """Upstream 3.0 prints the duration as a Haskell Double (0.0, 1.0e-3)."""
    try:
        return FormatHaskellFloat(float(value))
    except (TypeError, ValueError):
        return str(value)


class OpTestDelay(OpCode):
    """Sleep for a while (on the master and/or nodes); for testing."""
    OP_DSC_FIELD = "duration"
    OP_DSC_FORMATTER = staticmethod(_FormatDelay)
    OP_PARAMS = [
        ("duration", ND, TDelayDuration, "Duration (seconds) to sleep"),
        ("on_master", True, ht.TBool, "Sleep on the master"),
        ("on_nodes", [], ht.TListOf(ht.TNEString), "Nodes to sleep on"),
        ("on_node_uuids", None, ht.TMaybeListOf(ht.TNEString),
         "UUIDs of the nodes to sleep on"),
        ("repeat", 0, ht.TNonNegativeInt, "Number of repetitions"),
        ("interruptible", False, ht.TBool,
         "Whether the sleep can be interrupted"),
        ("no_locks", True, ht.TBool, "Don't acquire any locks"),
    ]
    OP_RESULT = ht.TNone


class OpTestAllocator(OpCode):
    """Run an iallocator request (in) or build its input (out)."""
    OP_DSC_FIELD = "iallocator"
    OP_PARAMS = [
        ("direction", ND, ht.TElemOf(C.VALID_IALLOCATOR_DIRECTIONS),
         "in: build the request only; out: run the allocator"),
        ("mode", ND, ht.TElemOf(C.VALID_IALLOCATOR_MODES), "Request mode"),
        ("name", ND, ht.TNEString, "Instance name (or similar)"),
        ("nics", None, ht.TMaybeListOf(TNicParams), "NIC descriptions"),
        ("disks", None, ht.TMaybe(TListOfAny), "Disk descriptions"),
        ("hypervisor", None, ht.TMaybe(THypervisor), "Hypervisor"),
        ("iallocator", None, ht.TMaybeString, "Iallocator to run"),
        P_TAGS,
        ("memory", None, ht.TMaybeNonNegativeInt, "Memory (MiB)"),
        ("vcpus", None, ht.TMaybeNonNegativeInt, "Number of VCPUs"),
        ("os", None, ht.TMaybeString, "Operating system"),
        ("disk_template", None, ht.TMaybe(TDiskTemplate), "Disk template"),
        ("instances", None, ht.TMaybeListOf(ht.TNEString), "Instances"),
        ("evac_mode", None, ht.TMaybe(ht.TElemOf(C.NODE_EVAC_MODES)),
         "Evacuation mode"),
        P_TARGET_GROUPS,
        ("spindle_use", 1, ht.TNonNegativeInt, "Spindle use"),
        ("count", 1, ht.TNonNegativeInt, "Number of instances"),
        ("group_name", None, ht.TMaybeString, "Node group"),
    ]
    OP_RESULT = ht.TString


class OpTestJqueue(OpCode):
    """Exercise the job queue (notifications, log messages, failure)."""
    OP_PARAMS = [
        ("notify_waitlock", False, ht.TBool, "Notify while waiting for locks"),
        ("notify_exec", False, ht.TBool, "Notify when executing"),
        ("log_messages", [], ht.TListOf(ht.TString), "Messages to log"),
        ("fail", False, ht.TBool, "Whether to fail at the end"),
    ]
    OP_RESULT = ht.TBool


class OpTestDummy(OpCode):
    """Do nothing (returns result, logs messages, optionally fails)."""
    OP_PARAMS = [
        ("result", None, ht.TAny, "Value to return"),
        ("messages", None, ht.TAny, "Messages to log"),
        ("fail", None, ht.TAny, "Whether to fail"),
        ("submit_jobs", None, ht.TAny, "Jobs to submit"),
    ]
    OP_RESULT = ht.TNone
    WITH_LU = False


class OpTestOsParams(OpCode):
    """Check the handling of secret OS parameters."""
    OP_PARAMS = [P_OSPARAMS_SECRET]
    OP_RESULT = ht.TNone


# ================================================================== network

class OpNetworkAdd(OpCode):
    """Add an IP network."""
    OP_DSC_FIELD = "network_name"
    OP_PARAMS = [
        P_NETWORK_NAME,
        ("network", ND, ht.TIPv4Network, "IPv4 subnet (CIDR)"),
        P_NETWORK_GATEWAY, P_NETWORK6, P_GATEWAY6, P_MAC_PREFIX,
        P_ADD_RESERVED_IPS,
        ("conflicts_check", True, ht.TBool,
         "Check for conflicting IP addresses"),
        P_TAGS,
    ]
    OP_RESULT = ht.TNone


class OpNetworkRemove(OpCode):
    """Remove a network."""
    OP_DSC_FIELD = "network_name"
    OP_PARAMS = [P_NETWORK_NAME, P_FORCE]
    OP_RESULT = ht.TNone


class OpNetworkRename(OpCode):
    """Rename a network (upstream 3.2 addition, kept for compatibility)."""
    OP_PARAMS = [P_NETWORK_NAME,
                 ("new_name", ND, ht.TNEString, "New network name")]
    OP_RESULT = ht.TNEString


class OpNetworkSetParams(OpCode):
    """Change the parameters of a network."""
    OP_DSC_FIELD = "network_name"
    OP_PARAMS = [
        P_NETWORK_NAME, P_NETWORK_GATEWAY, P_NETWORK6, P_GATEWAY6,
        P_MAC_PREFIX, P_ADD_RESERVED_IPS,
        ("remove_reserved_ips", None, ht.TMaybeListOf(ht.TIPv4Address),
         "IP addresses to release"),
    ]
    OP_RESULT = ht.TNone


class OpNetworkConnect(OpCode):
    """Connect a network to a node group."""
    OP_DSC_FIELD = "network_name"
    OP_PARAMS = [
        P_GROUP_NAME, P_NETWORK_NAME,
        ("network_mode", ND,
         ht.TElemOf(["bridged", "ext", "openvswitch", "pool", "routed"]),
         "Connectivity mode"),
        ("network_link", ND, ht.TNEString, "Connectivity link"),
        ("network_vlan", "", ht.TString, "VLAN"),
        P_CONFLICTS_CHECK,
    ]
    OP_RESULT = ht.TNone


class OpNetworkDisconnect(OpCode):
    """Disconnect a network from a node group."""
    OP_DSC_FIELD = "network_name"
    OP_PARAMS = [P_GROUP_NAME, P_NETWORK_NAME]
    OP_RESULT = ht.TNone


# ================================================================== registry

def _Collect() -> Dict[str, Type[OpCode]]:
    result = {}
    for obj in list(globals().values()):
        if (isinstance(obj, type) and issubclass(obj, OpCode)
                and obj is not OpCode and obj.__module__ == __name__):
            result[obj.OP_ID] = obj
    return dict(sorted(result.items()))


#: OP_ID -> opcode class, for every opcode.
OP_MAPPING: Dict[str, Type[OpCode]] = _Collect()


def GetAllOpcodes() -> List[Type[OpCode]]:
    """All opcode classes, sorted by OP_ID."""
    return list(OP_MAPPING.values())


def GetOpcodeDocumentation() -> str:
    """Plain-text reference of all opcodes and their parameters."""
    return FormatOpCodeDoc(GetAllOpcodes())
