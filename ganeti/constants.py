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

# File modes.
SS_FILE_PERMS = 0o444
CONFIG_FILE_MODE = 0o640
SECURE_FILE_MODE = 0o600
JOB_QUEUE_FILES_PERMS = 0o640

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
