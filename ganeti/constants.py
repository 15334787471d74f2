"""Constants shared by every part of Ganeti (values are upstream 3.0 facts)."""

# Versions: we emulate upstream 3.0.2.
RELEASE_VERSION = "3.0.2"
VCS_VERSION = "(ganeti) version %s" % RELEASE_VERSION
VERSION_MAJOR, VERSION_MINOR, VERSION_REVISION = 3, 0, 2
PROTOCOL_VERSION = 1000000 * VERSION_MAJOR + 10000 * VERSION_MINOR
CONFIG_VERSION = PROTOCOL_VERSION
OS_API_VERSION = 20
OS_API_VERSIONS = frozenset([10, 15, 20])
EXPORT_VERSION = 0

# Daemons, their ports and log files.
NODED = "ganeti-noded"
MASTERD = "ganeti-masterd"
LUXID = "ganeti-luxid"
WCONFD = "ganeti-wconfd"
RAPI = "ganeti-rapi"
CONFD = "ganeti-confd"
MOND = "ganeti-mond"
KVMD = "ganeti-kvmd"
METAD = "ganeti-metad"

DAEMONS_PORTS = {
    NODED: ("tcp", 1811),
    RAPI: ("tcp", 5080),
    CONFD: ("udp", 1814),
    MOND: ("tcp", 1815),
    METAD: ("tcp", 80),
    "ssh": ("tcp", 22),
}
DEFAULT_NODED_PORT = 1811
DEFAULT_RAPI_PORT = 5080
DEFAULT_CONFD_PORT = 1814
DEFAULT_MOND_PORT = 1815

DAEMONS_LOGBASE = {
    NODED: "node-daemon",
    MASTERD: "master-daemon",
    LUXID: "luxi-daemon",
    WCONFD: "wconf-daemon",
    RAPI: "rapi-daemon",
    CONFD: "conf-daemon",
    MOND: "monitoring-daemon",
    KVMD: "kvm-daemon",
    METAD: "meta-daemon",
}

# Hypervisors and disk templates.
HT_FAKE = "fake"
HT_KVM = "kvm"
HT_XEN_PVM = "xen-pvm"
HT_XEN_HVM = "xen-hvm"
HT_LXC = "lxc"
HT_CHROOT = "chroot"
HYPER_TYPES = [HT_XEN_PVM, HT_FAKE, HT_XEN_HVM, HT_KVM, HT_CHROOT, HT_LXC]
# Hypervisor parameters that are cluster-wide only (left out of an
# instance's merged hvparams: gnt-instance info, the hvparams query field).
HVC_GLOBALS = frozenset(["migration_port", "migration_bandwidth",
                         "migration_mode", "xen_cmd"])

DT_DISKLESS = "diskless"
DT_PLAIN = "plain"
DT_DRBD8 = "drbd"
DT_FILE = "file"
DT_SHARED_FILE = "sharedfile"
DT_BLOCK = "blockdev"
DT_RBD = "rbd"
DT_EXT = "ext"
DT_GLUSTER = "gluster"
DISK_TEMPLATES = [DT_DISKLESS, DT_PLAIN, DT_DRBD8, DT_FILE, DT_SHARED_FILE,
                  DT_BLOCK, DT_RBD, DT_EXT, DT_GLUSTER]
DEFAULT_ENABLED_DISK_TEMPLATES = [DT_DRBD8, DT_PLAIN]

# Exit codes of the command line tools.
EXIT_SUCCESS = 0
EXIT_FAILURE = 1
EXIT_NOTCLUSTER = 5
EXIT_NOTMASTER = 11
EXIT_NODESETUP_ERROR = 12
EXIT_CONFIRMATION = 13
EXIT_UNKNOWN_FIELD = 14

# File modes.
SS_FILE_PERMS = 0o444
CONFIG_FILE_MODE = 0o640
SECURE_FILE_MODE = 0o600
JOB_QUEUE_FILES_PERMS = 0o640
JOB_QUEUE_DIR_MODE = 0o750  # upstream's drwxr-x---

# Process running defaults.
CHILD_KILL_TIMEOUT = 5.0

# --- base modules (utils.process, utils.log, daemon) ---
# Seconds a timed-out child gets after SIGTERM before SIGKILL.
CHILD_LINGER_TIMEOUT = 5.0

# RunParts (hooks, watcher hooks): per-script status and allowed names.
RUNPARTS_SKIP = 0
RUNPARTS_ERR = 1
RUNPARTS_RUN = 2
RUNPARTS_STATUS = frozenset([RUNPARTS_SKIP, RUNPARTS_ERR, RUNPARTS_RUN])
EXT_PLUGIN_MASK = r"^[a-zA-Z0-9_-]+$"

# --syslog choices of the daemons.
SYSLOG_NO = "no"
SYSLOG_YES = "yes"
SYSLOG_ONLY = "only"
SYSLOG_USAGE = SYSLOG_NO
SYSLOG_SOCKET = "/dev/log"

# Daemons serving HTTPS (get --no-ssl, -K/--ssl-key, -C/--ssl-cert).
DAEMONS_SSL = frozenset([NODED, RAPI])

# --- node daemon, backend, ssconf, certificates ---
NODED_MAX_CLIENTS = 20          # --max-clients default (ganeti-noded(8))
HTTP_MAX_BODY_SIZE = 128 * 1024 * 1024

# Cluster certificates (server.pem, client.pem, rapi.pem).
X509_CERT_CN = "ganeti.example.com"
X509_CERT_DEFAULT_VALIDITY = 5 * 365     # days
X509_CERT_SIGN_DIGEST = "SHA256"
RSA_KEY_BITS = 2048
CRYPTO_BOOTSTRAP = "bootstrap"

# RPC argument compression (ED_COMPRESS): [encoding, data].
RPC_ENCODING_NONE = 0
RPC_ENCODING_ZLIB_BASE64 = 1

# Hooks: phases, per-script result status, environment.
HOOKS_PHASE_PRE = "pre"
HOOKS_PHASE_POST = "post"
HKR_SKIP = 0
HKR_FAIL = 1
HKR_SUCCESS = 2
HOOKS_PATH = "/sbin:/bin:/usr/sbin:/usr/bin"
HOOKS_VERSION = 2
HOOKS_TIMEOUT = 800              # below the NORMAL RPC read timeout (900 s)
HOOKS_NAME_WATCHER = "watcher"
HTYPE_CLUSTER = "CLUSTER"
HTYPE_NODE = "NODE"
HTYPE_GROUP = "GROUP"
HTYPE_INSTANCE = "INSTANCE"
HTYPE_NETWORK = "NETWORK"
HOOKS_NAME_CFGUPDATE = "config-update"
JOB_IDS_KEY = "jobs"
FAKE_OP_MASTER_TURNUP = "OP_CLUSTER_IP_TURNUP"
FAKE_OP_MASTER_TURNDOWN = "OP_CLUSTER_IP_TURNDOWN"
HOOKS_PATH_MASTER_IP_TURNUP = "master-ip-turnup"
HOOKS_PATH_MASTER_IP_TURNDOWN = "master-ip-turndown"

# Master IP setup script actions.
MASTER_IP_START = "start"
MASTER_IP_STOP = "stop"
IP4_VERSION = 4
IP6_VERSION = 6
IP4_FAMILY = 2     # socket.AF_INET as stored in config/ssconf
IP6_FAMILY = 10    # socket.AF_INET6

# etc_hosts_modify modes.
ETC_HOSTS_ADD = "add"
ETC_HOSTS_REMOVE = "remove"

# Storage types (node_info storage units).
ST_LVM_VG = "lvm-vg"
ST_LVM_PV = "lvm-pv"
ST_FILE = "file"
ST_SHARED_FILE = "sharedfile"
ST_GLUSTER = "gluster"
ST_BLOCK = "blockdev"
ST_RADOS = "rados"
ST_EXT = "ext"
ST_DISKLESS = "diskless"

# node_verify check keys (checkdict) and result severities.
NV_VERSION = "version"
NV_HOSTNAME = "hostname"
NV_FILELIST = "filelist"
NV_NODELIST = "nodelist"
NV_NODENETTEST = "node-net-test"
NV_MASTERIP = "master-ip"
NV_TIME = "time"
NV_VGLIST = "vglist"
NV_BRIDGES = "bridges"
NV_USERSCRIPTS = "user-scripts"
NV_NODESETUP = "nodesetup"
NV_CLIENT_CERT = "client-cert"
NV_HYPERVISOR = "hypervisor"
NV_HVPARAMS = "hvparms"  # (sic) upstream's key
NV_HVINFO = "hvinfo"
NV_INSTANCELIST = "instancelist"
NV_FILE_STORAGE_PATH = "file-storage-path"
NV_SHARED_FILE_STORAGE_PATH = "shared-file-storage-path"
NV_LVLIST = "lvlist"
NV_PVLIST = "pvlist"
NV_OOB_PATHS = "oob-paths"
NV_OSLIST = "oslist"
NV_NONVMNODES = "nonvmnodes"
NV_ACCEPTED_STORAGE_PATHS = "allowed-file-storage-paths"
# ours (upstream 3.0 has no orphan check for file disks): the disk files
# below a file storage directory, for "Verifying orphan volumes"
NV_FILE_DISKS = "file-disks"
NV_DRBDLIST = "drbd-list"
NV_DRBDHELPER = "drbd-helper"
NV_DRBDVERSION = "drbd-version"
CV_ERROR = "ERROR"
CV_WARNING = "WARNING"

# ssconf keys (files /var/lib/ganeti/ssconf_<key>).
SS_CLUSTER_NAME = "cluster_name"
SS_CLUSTER_TAGS = "cluster_tags"
SS_FILE_STORAGE_DIR = "file_storage_dir"
SS_SHARED_FILE_STORAGE_DIR = "shared_file_storage_dir"
SS_GLUSTER_STORAGE_DIR = "gluster_storage_dir"
SS_MASTER_CANDIDATES = "master_candidates"
SS_MASTER_CANDIDATES_IPS = "master_candidates_ips"
SS_MASTER_CANDIDATES_CERTS = "master_candidates_certs"
SS_MASTER_IP = "master_ip"
SS_MASTER_NETDEV = "master_netdev"
SS_MASTER_NETMASK = "master_netmask"
SS_MASTER_NODE = "master_node"
SS_NODE_LIST = "node_list"
SS_NODE_PRIMARY_IPS = "node_primary_ips"
SS_NODE_SECONDARY_IPS = "node_secondary_ips"
SS_NODE_VM_CAPABLE = "node_vm_capable"
SS_OFFLINE_NODES = "offline_nodes"
SS_ONLINE_NODES = "online_nodes"
SS_PRIMARY_IP_FAMILY = "primary_ip_family"
SS_INSTANCE_LIST = "instance_list"
SS_RELEASE_VERSION = "release_version"
SS_HYPERVISOR_LIST = "hypervisor_list"
SS_MAINTAIN_NODE_HEALTH = "maintain_node_health"
SS_UID_POOL = "uid_pool"
SS_NODEGROUPS = "nodegroups"
SS_NETWORKS = "networks"
SS_ENABLED_USER_SHUTDOWN = "enabled_user_shutdown"
SS_SSH_PORTS = "ssh_ports"
SS_HVPARAMS_PREF = "hvparams_"
SS_HVPARAMS_XEN_PVM = SS_HVPARAMS_PREF + "xen-pvm"
SS_HVPARAMS_XEN_FAKE = SS_HVPARAMS_PREF + "fake"
SS_HVPARAMS_XEN_HVM = SS_HVPARAMS_PREF + "xen-hvm"
SS_HVPARAMS_XEN_KVM = SS_HVPARAMS_PREF + "kvm"
SS_HVPARAMS_XEN_CHROOT = SS_HVPARAMS_PREF + "chroot"
SS_HVPARAMS_XEN_LXC = SS_HVPARAMS_PREF + "lxc"
VALID_SS_HVPARAMS_KEYS = frozenset([
    SS_HVPARAMS_XEN_PVM, SS_HVPARAMS_XEN_FAKE, SS_HVPARAMS_XEN_HVM,
    SS_HVPARAMS_XEN_KVM, SS_HVPARAMS_XEN_CHROOT, SS_HVPARAMS_XEN_LXC])

# --- opcodes, jobs and queries (ganeti/ht.py, opcodes.py, query.py, qlang.py) ---
# Opcode/job priorities: lower runs first; only HIGH/NORMAL/LOW at submission.
OP_PRIO_HIGHEST = -20
OP_PRIO_HIGH = -10
OP_PRIO_NORMAL = 0
OP_PRIO_LOW = 10
OP_PRIO_LOWEST = 19
OP_PRIO_DEFAULT = OP_PRIO_NORMAL
OP_PRIO_SUBMIT_VALID = frozenset([OP_PRIO_HIGH, OP_PRIO_NORMAL, OP_PRIO_LOW])
# Reason trail sources.
OPCODE_REASON_SRC_USER = "gnt:user"
OPCODE_REASON_SRC_RLIB2 = "gnt:library:rlib2"
OPCODE_REASON_SRC_NODED = "gnt:daemon:noded"
# Job and opcode statuses.
JOB_STATUS_QUEUED = "queued"
JOB_STATUS_WAITING = "waiting"
JOB_STATUS_CANCELING = "canceling"
JOB_STATUS_RUNNING = "running"
JOB_STATUS_CANCELED = "canceled"
JOB_STATUS_SUCCESS = "success"
JOB_STATUS_ERROR = "error"
JOBS_PENDING = frozenset([JOB_STATUS_QUEUED, JOB_STATUS_WAITING,
                          JOB_STATUS_CANCELING])
JOBS_FINALIZED = frozenset([JOB_STATUS_CANCELED, JOB_STATUS_SUCCESS,
                            JOB_STATUS_ERROR])
JOB_STATUS_ALL = frozenset([JOB_STATUS_RUNNING]) | JOBS_PENDING | JOBS_FINALIZED
OP_STATUS_QUEUED = "queued"
OP_STATUS_WAITING = "waiting"
OP_STATUS_CANCELING = "canceling"
OP_STATUS_RUNNING = "running"
OP_STATUS_CANCELED = "canceled"
OP_STATUS_SUCCESS = "success"
OP_STATUS_ERROR = "error"
OPS_FINALIZED = frozenset([OP_STATUS_CANCELED, OP_STATUS_SUCCESS,
                           OP_STATUS_ERROR])
OP_STATUS_ALL = frozenset([OP_STATUS_QUEUED, OP_STATUS_WAITING,
                           OP_STATUS_CANCELING, OP_STATUS_RUNNING]) | OPS_FINALIZED
JOB_NOTCHANGED = "nochange"
# Job log entry types.
ELOG_MESSAGE = "message"
ELOG_MESSAGE_LIST = "message-list"
ELOG_REMOTE_IMPORT = "remote-import"
ELOG_JQUEUE_TEST = "jqueue-test"
ELOG_DELAY_TEST = "delay-test"
# Query resources (OpQuery "what", LUXI Query, RAPI /2/query/<what>).
QR_CLUSTER = "cluster"
QR_INSTANCE = "instance"
QR_NODE = "node"
QR_LOCK = "lock"
QR_GROUP = "group"
QR_OS = "os"
QR_EXTSTORAGE = "extstorage"
QR_JOB = "job"
QR_EXPORT = "export"
QR_NETWORK = "network"
QR_FILTER = "filter"
QR_VIA_OP = frozenset([QR_CLUSTER, QR_INSTANCE, QR_NODE, QR_GROUP, QR_OS,
                       QR_EXTSTORAGE, QR_EXPORT, QR_NETWORK])
QR_VIA_LUXI = frozenset([QR_INSTANCE, QR_NODE, QR_GROUP, QR_NETWORK, QR_JOB,
                         QR_EXPORT, QR_LOCK, QR_FILTER])
QR_VIA_RAPI = QR_VIA_LUXI
QR_ALL = QR_VIA_OP | QR_VIA_LUXI
# Query field kinds (wire values).
QFT_UNKNOWN = "unknown"
QFT_TEXT = "text"
QFT_BOOL = "bool"
QFT_NUMBER = "number"
QFT_NUMBER_FLOAT = "float"
QFT_UNIT = "unit"
QFT_TIMESTAMP = "timestamp"
QFT_OTHER = "other"
QFT_ALL = frozenset([QFT_UNKNOWN, QFT_TEXT, QFT_BOOL, QFT_NUMBER,
                     QFT_NUMBER_FLOAT, QFT_UNIT, QFT_TIMESTAMP, QFT_OTHER])
# Query result field status.
RS_NORMAL = 0
RS_UNKNOWN = 1
RS_NODATA = 2
RS_UNAVAIL = 3
RS_OFFLINE = 4
RS_ALL = frozenset([RS_NORMAL, RS_UNKNOWN, RS_NODATA, RS_UNAVAIL, RS_OFFLINE])
# Query filter operators.
QLANG_OP_OR = "|"
QLANG_OP_AND = "&"
QLANG_OP_NOT = "!"
QLANG_OP_TRUE = "?"
QLANG_OP_EQUAL = "="
QLANG_OP_EQUAL_LEGACY = "=="
QLANG_OP_NOT_EQUAL = "!="
QLANG_OP_LT = "<"
QLANG_OP_LE = "<="
QLANG_OP_GT = ">"
QLANG_OP_GE = ">="
QLANG_OP_REGEXP = "=~"
QLANG_OP_CONTAINS = "=[]"
QLANG_FILTER_DETECTION_CHARS = frozenset("()=/!~'\"\\<> \t\n\r\x0b\x0c")
QLANG_GLOB_DETECTION_CHARS = frozenset("*?")
HT_MIGRATION_LIVE = "live"
HT_MIGRATION_NONLIVE = "non-live"
HT_MIGRATION_MODES = frozenset([HT_MIGRATION_LIVE, HT_MIGRATION_NONLIVE])
FD_LOOP = "loop"
FD_BLKTAP = "blktap"
FD_BLKTAP2 = "blktap2"
FILE_DRIVER = frozenset([FD_LOOP, FD_BLKTAP, FD_BLKTAP2])
INSTANCE_CREATE = "create"
INSTANCE_IMPORT = "import"
INSTANCE_REMOTE_IMPORT = "remote-import"
INSTANCE_CREATE_MODES = frozenset([INSTANCE_CREATE, INSTANCE_IMPORT,
                                   INSTANCE_REMOTE_IMPORT])
INSTANCE_REBOOT_SOFT = "soft"
INSTANCE_REBOOT_HARD = "hard"
INSTANCE_REBOOT_FULL = "full"
REBOOT_TYPES = frozenset([INSTANCE_REBOOT_SOFT, INSTANCE_REBOOT_HARD,
                          INSTANCE_REBOOT_FULL])
REPLACE_DISK_PRI = "replace_on_primary"
REPLACE_DISK_SEC = "replace_on_secondary"
REPLACE_DISK_CHG = "replace_new_secondary"
REPLACE_DISK_AUTO = "replace_auto"
REPLACE_MODES = frozenset([REPLACE_DISK_PRI, REPLACE_DISK_SEC,
                           REPLACE_DISK_CHG, REPLACE_DISK_AUTO])
NIC_MODE_BRIDGED = "bridged"
NIC_MODE_ROUTED = "routed"
NIC_MODE_OVS = "openvswitch"
NIC_VALID_MODES = frozenset([NIC_MODE_BRIDGED, NIC_MODE_ROUTED, NIC_MODE_OVS])
INIC_MAC = "mac"
INIC_IP = "ip"
INIC_MODE = "mode"
INIC_LINK = "link"
INIC_NETWORK = "network"
INIC_NAME = "name"
INIC_VLAN = "vlan"
INIC_BRIDGE = "bridge"
INIC_PARAMS = frozenset([INIC_MAC, INIC_IP, INIC_MODE, INIC_LINK, INIC_NETWORK,
                         INIC_NAME, INIC_VLAN, INIC_BRIDGE])
IALLOCATOR_DIR_IN = "in"
IALLOCATOR_DIR_OUT = "out"
VALID_IALLOCATOR_DIRECTIONS = frozenset([IALLOCATOR_DIR_IN, IALLOCATOR_DIR_OUT])
IALLOCATOR_MODE_ALLOC = "allocate"
IALLOCATOR_MODE_ALLOCATE_SECONDARY = "allocate-secondary"
IALLOCATOR_MODE_MULTI_ALLOC = "multi-allocate"
IALLOCATOR_MODE_RELOC = "relocate"
IALLOCATOR_MODE_NODE_EVAC = "node-evacuate"
IALLOCATOR_MODE_CHG_GROUP = "change-group"
VALID_IALLOCATOR_MODES = frozenset([
    IALLOCATOR_MODE_ALLOC, IALLOCATOR_MODE_ALLOCATE_SECONDARY,
    IALLOCATOR_MODE_MULTI_ALLOC, IALLOCATOR_MODE_RELOC,
    IALLOCATOR_MODE_NODE_EVAC, IALLOCATOR_MODE_CHG_GROUP])
NODE_EVAC_PRI = "primary-only"
NODE_EVAC_SEC = "secondary-only"
NODE_EVAC_ALL = "all"
NODE_EVAC_MODES = frozenset([NODE_EVAC_PRI, NODE_EVAC_SEC, NODE_EVAC_ALL])
OOB_POWER_ON = "power-on"
OOB_POWER_OFF = "power-off"
OOB_POWER_CYCLE = "power-cycle"
OOB_POWER_STATUS = "power-status"
OOB_HEALTH = "health"
OOB_COMMANDS = frozenset([OOB_POWER_ON, OOB_POWER_OFF, OOB_POWER_CYCLE,
                          OOB_POWER_STATUS, OOB_HEALTH])
OOB_TIMEOUT = 60
OOB_POWER_DELAY = 2.0
TAG_CLUSTER = "cluster"
TAG_NODEGROUP = "nodegroup"
TAG_NODE = "node"
TAG_INSTANCE = "instance"
TAG_NETWORK = "network"
VALID_TAG_TYPES = frozenset([TAG_CLUSTER, TAG_NODEGROUP, TAG_NODE,
                             TAG_INSTANCE, TAG_NETWORK])
STORAGE_TYPES = frozenset([ST_LVM_VG, ST_LVM_PV, ST_FILE, ST_SHARED_FILE,
                           ST_GLUSTER, ST_BLOCK, ST_RADOS, ST_EXT, ST_DISKLESS])
EXPORT_MODE_LOCAL = "local"
EXPORT_MODE_REMOTE = "remote"
EXPORT_MODES = frozenset([EXPORT_MODE_LOCAL, EXPORT_MODE_REMOTE])
ALLOC_POLICY_PREFERRED = "preferred"
ALLOC_POLICY_LAST_RESORT = "last_resort"
ALLOC_POLICY_UNALLOCABLE = "unallocable"
VALID_ALLOC_POLICIES = frozenset([ALLOC_POLICY_PREFERRED,
                                  ALLOC_POLICY_LAST_RESORT,
                                  ALLOC_POLICY_UNALLOCABLE])
DDM_ADD = "add"
DDM_ATTACH = "attach"
DDM_MODIFY = "modify"
DDM_REMOVE = "remove"
DDM_DETACH = "detach"
DDMS_VALUES = frozenset([DDM_ADD, DDM_ATTACH, DDM_MODIFY, DDM_REMOVE,
                         DDM_DETACH])
ADMIN_SOURCE = "admin"
USER_SOURCE = "user"
INSTANCE_STATE_SOURCES = frozenset([ADMIN_SOURCE, USER_SOURCE])
VERIFY_NPLUSONE_MEM = "nplusone_mem"
VERIFY_HVPARAM_ASSESSMENT = "hvparam_assessment"
VERIFY_OPTIONAL_CHECKS = frozenset([VERIFY_NPLUSONE_MEM,
                                    VERIFY_HVPARAM_ASSESSMENT])
# Error codes of cluster verify (--error-codes / --ignore-errors).
CV_ALL_ECODES_STRINGS = frozenset([
    "ECLUSTERCERT", "ECLUSTERCFG", "ECLUSTERCLIENTCERT",
    "ECLUSTERDANGLINGINST", "ECLUSTERDANGLINGNODES", "ECLUSTERFILECHECK",
    "EEXTAGS", "EGROUPDIFFERENTPVSIZE", "EINSTANCEBADNODE", "EINSTANCEDOWN",
    "EINSTANCEFAULTYDISK", "EINSTANCELAYOUT", "EINSTANCEMISSINGCFGPARAMETER",
    "EINSTANCEMISSINGDISK", "EINSTANCEPOLICY", "EINSTANCESPLITGROUPS",
    "EINSTANCEUNSUITABLENODE", "EINSTANCEWRONGNODE", "ENODEDRBD",
    "ENODEDRBDHELPER", "ENODEDRBDVERSION", "ENODEFILECHECK",
    "ENODEFILESTORAGEPATHS", "ENODEFILESTORAGEPATHUNUSABLE",
    "ENODEGLUSTERSTORAGEPATHUNUSABLE", "ENODEHOOKS", "ENODEHV", "ENODELVM",
    "ENODEN1", "ENODENET", "ENODEOOBPATH", "ENODEORPHANINSTANCE",
    "ENODEORPHANLV", "ENODEOS", "ENODERPC", "ENODESETUP",
    "ENODESHAREDFILESTORAGEPATHUNUSABLE", "ENODESSH", "ENODETIME",
    "ENODEUSERSCRIPTS", "ENODEVERSION"])
SSHK_RSA = "rsa"
SSHK_DSA = "dsa"
SSHK_ECDSA = "ecdsa"
SSHK_ALL = frozenset([SSHK_RSA, SSHK_DSA, SSHK_ECDSA])
IEC_NONE = "none"
IEC_GZIP = "gzip"
IEC_GZIP_FAST = "gzip-fast"
IEC_GZIP_SLOW = "gzip-slow"
IEC_LZOP = "lzop"
IEC_ALL = frozenset([IEC_NONE, IEC_GZIP, IEC_GZIP_FAST, IEC_GZIP_SLOW,
                     IEC_LZOP])
# Import/export data sources and destinations (impexp RPCs).
IEIO_FILE = "file"
IEIO_RAW_DISK = "raw"
IEIO_SCRIPT = "script"
IEM_IMPORT = "import"
IEM_EXPORT = "export"
# Exports: the format version and the sections of their config.ini.
EXPORT_VERSION = 0
EXPORT_CONF_FILE = "config.ini"
INISECT_EXP = "export"
INISECT_INS = "instance"
INISECT_HYP = "hypervisor"
INISECT_BEP = "backend"
INISECT_OSP = "os"
INISECT_OSP_PRIVATE = "os_private"
# The value that resets a parameter to its inherited default.
VALUE_DEFAULT = "default"
# Instance policy: the instance spec parameters and the ratio parameters.
ISPECS_PARAMETERS = ("cpu-count", "disk-count", "disk-size", "memory-size",
                     "nic-count", "spindle-use")
IPOLICY_PARAMETERS = ("vcpu-ratio", "spindle-ratio")
# Hotplug actions and device kinds (hotplug_device RPC).
HOTPLUG_ACTION_ADD = "hotadd"
HOTPLUG_ACTION_REMOVE = "hotdel"
HOTPLUG_ACTION_MODIFY = "hotmod"
HOTPLUG_TARGET_DISK = "disk"
HOTPLUG_TARGET_NIC = "nic"
# The block device driver of adopted (blockdev template) disks.
BLOCKDEV_DRIVER_MANUAL = "manual"
DEFAULT_SHUTDOWN_TIMEOUT = 120
MAX_DISKS = 16
MAX_NICS = 8
# Instance admin states and the "status" query field values.
ADMINST_UP = "up"
ADMINST_DOWN = "down"
ADMINST_OFFLINE = "offline"
INSTST_RUNNING = "running"
INSTST_ADMINDOWN = "ADMIN_down"
INSTST_ADMINOFFLINE = "ADMIN_offline"
INSTST_NODEOFFLINE = "ERROR_nodeoffline"
INSTST_NODEDOWN = "ERROR_nodedown"
INSTST_WRONGNODE = "ERROR_wrongnode"
INSTST_ERRORUP = "ERROR_up"
INSTST_ERRORDOWN = "ERROR_down"
INSTST_USERDOWN = "USER_down"
# Node roles as shown by the "role" query field.
NR_MASTER = "M"
NR_MCANDIDATE = "C"
NR_REGULAR = "R"
NR_DRAINED = "D"
NR_OFFLINE = "O"


# --- remote API (ganeti/rapi, ganeti/server/rapi.py) ---
RAPI_VERSION = 2
RAPI_MAX_CLIENTS = 20           # --max-clients default
RAPI_MAX_BODY_SIZE = 4 * 1024 * 1024
RAPI_JOB_WAIT_TIMEOUT = 10.0    # /2/jobs/N/wait answers within this
RAPI_FEATURES = ["instance-create-reqv1", "node-evac-res1",
                 "instance-reinstall-reqv1", "node-migrate-reqv1"]

# --- configuration query daemon (ganeti/confd, ganeti/server/confd.py) ---
CONFD_PROTOCOL_VERSION = 1
CONFD_MAGIC_FOURCC = "plj0"
CONFD_MAX_CLOCK_SKEW = 300      # seconds a request's timestamp salt may be off
CONFD_DEFAULT_REQ_COVERAGE = 6  # master candidates a client asks
CONFD_CLIENT_EXPIRE_TIMEOUT = 10
CONFD_CONFIG_RELOAD_RATELIMIT = 0.25  # seconds between two config reloads
CONFD_CONFIG_STAT_INTERVAL = 1.0      # fallback stat check of config.data
CONFD_MAX_PACKET_SIZE = 65507         # largest UDP payload

CONFD_REQ_PING = 0
CONFD_REQ_NODE_ROLE_BYNAME = 1
CONFD_REQ_NODE_PIP_BY_INSTANCE_IP = 2
CONFD_REQ_CLUSTER_MASTER = 3
CONFD_REQ_NODE_PIP_LIST = 4
CONFD_REQ_MC_PIP_LIST = 5
CONFD_REQ_INSTANCES_IPS_LIST = 6
CONFD_REQ_NODE_DRBD = 7
CONFD_REQ_NODE_INSTANCES = 8
CONFD_REQ_INSTANCE_DISKS = 9
CONFD_REQ_CONFIG_QUERY = 10
CONFD_REQ_DATA_COLLECTORS = 11
# Every type the server answers (upstream's Python set leaves out 8, which
# its server answers all the same).
CONFD_REQS = frozenset(range(CONFD_REQ_PING, CONFD_REQ_DATA_COLLECTORS + 1))

# Keys of a dict query, and the fields of CONFD_REQ_CLUSTER_MASTER.
CONFD_REQQ_LINK = "0"
CONFD_REQQ_IP = "1"
CONFD_REQQ_IPLIST = "2"
CONFD_REQQ_FIELDS = "3"
CONFD_REQFIELD_NAME = "0"
CONFD_REQFIELD_IP = "1"
CONFD_REQFIELD_MNODE_PIP = "2"

CONFD_REPL_STATUS_OK = 0
CONFD_REPL_STATUS_ERROR = 1
CONFD_REPL_STATUS_NOTIMPLEMENTED = 2

CONFD_NODE_ROLE_MASTER = 0
CONFD_NODE_ROLE_CANDIDATE = 1
CONFD_NODE_ROLE_OFFLINE = 2
CONFD_NODE_ROLE_DRAINED = 3
CONFD_NODE_ROLE_REGULAR = 4

CONFD_ERROR_UNKNOWN_ENTRY = 0
CONFD_ERROR_INTERNAL = 1
CONFD_ERROR_ARGUMENT = 2
