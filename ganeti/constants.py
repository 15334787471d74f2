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
