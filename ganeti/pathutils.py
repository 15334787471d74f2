"""Every file-system path Ganeti uses, in one place.

The base directories come from ./configure (ganeti/_autoconf.py). A source tree
that was never configured falls back to upstream's documented defaults
(--prefix=/usr/local --sysconfdir=/etc --localstatedir=/var).

Tests (and virtual clusters without mount namespaces) may relocate every state
and configuration path under a root directory with the GANETI_ROOTDIR
environment variable or, in-process, with set_root(); program paths are not
relocated.
"""

import os

try:
    from ganeti import _autoconf as _ac
except ImportError:  # unconfigured source tree
    _ac = None


def _conf(name: str, default):
    return getattr(_ac, name, default) if _ac is not None else default


PACKAGE_VERSION = _conf("PACKAGE_VERSION", "3.0.2")
PREFIX = _conf("PREFIX", "/usr/local")
SYSCONFDIR = _conf("SYSCONFDIR", "/etc")
LOCALSTATEDIR = _conf("LOCALSTATEDIR", "/var")
PKGLIBDIR = _conf("PKGLIBDIR", PREFIX + "/lib/ganeti")
SBINDIR = _conf("SBINDIR", PREFIX + "/sbin")
# Daemons run from the source tree when it was not installed.
SOURCE_DAEMON_DIR = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "daemons")
VENV_DIR = _conf("VENV_DIR", PKGLIBDIR + "/venv")
# Versioned code: $prefix/share/ganeti/<major.minor>, "default" the running one
# (switched by gnt-cluster upgrade).
SHARE_DIR = os.path.dirname(_conf("PYTHONDIR", PREFIX + "/share/ganeti/3.0"))
DEFAULT_VERSION_LINK = SHARE_DIR + "/default"
KVM_PATH = _conf("KVM_PATH", "/usr/bin/qemu-system-x86_64")
SSH_CONFIG_DIR = _conf("SSH_CONFIG_DIR", "/etc/ssh")
SSH_LOGIN_USER = _conf("SSH_LOGIN_USER", "root")

_DEFAULT_SEARCH = ["/srv/ganeti/%s", PREFIX + "/lib/ganeti/%s",
                   "/usr/lib/ganeti/%s", "/usr/share/ganeti/%s"]

# Paths relocated by the root directory: computed by _compute().
_ROOT = ""


def _compute(root: str) -> None:
    """(Re)compute every relocatable path below root ("" = real root)."""
    g = globals()
    sysconf = root + SYSCONFDIR
    local = root + LOCALSTATEDIR
    g["_ROOT"] = root
    g["DATA_DIR"] = local + "/lib/ganeti"
    g["CONF_DIR"] = sysconf + "/ganeti"
    g["RUN_DIR"] = local + "/run/ganeti"
    g["LOG_DIR"] = local + "/log/ganeti"
    g["LOCK_DIR"] = local + "/lock"
    g["SOCKET_DIR"] = g["RUN_DIR"] + "/socket"
    g["QUEUE_DIR"] = g["DATA_DIR"] + "/queue"
    g["JOB_QUEUE_ARCHIVE_DIR"] = g["QUEUE_DIR"] + "/archive"
    g["JOB_QUEUE_SERIAL_FILE"] = g["QUEUE_DIR"] + "/serial"
    g["JOB_QUEUE_VERSION_FILE"] = g["QUEUE_DIR"] + "/version"
    g["JOB_QUEUE_LOCK_FILE"] = g["QUEUE_DIR"] + "/lock"
    g["JOB_QUEUE_DRAIN_FILE"] = g["QUEUE_DIR"] + "/drain"
    g["CLUSTER_CONF_FILE"] = g["DATA_DIR"] + "/config.data"
    g["SSCONF_PREFIX"] = g["DATA_DIR"] + "/ssconf_"
    g["NODED_CERT_FILE"] = g["DATA_DIR"] + "/server.pem"
    g["NODED_CLIENT_CERT_FILE"] = g["DATA_DIR"] + "/client.pem"
    g["RAPI_CERT_FILE"] = g["DATA_DIR"] + "/rapi.pem"
    g["SPICE_CERT_FILE"] = g["DATA_DIR"] + "/spice.pem"
    g["SPICE_CACERT_FILE"] = g["DATA_DIR"] + "/spice-ca.pem"
    g["CONFD_HMAC_KEY"] = g["DATA_DIR"] + "/hmac.key"
    g["CLUSTER_DOMAIN_SECRET_FILE"] = g["DATA_DIR"] + "/cluster-domain-secret"
    g["SSH_KNOWN_HOSTS_FILE"] = g["DATA_DIR"] + "/known_hosts"
    g["SSH_PUB_KEYS"] = g["DATA_DIR"] + "/ganeti_pub_keys"
    g["INTENT_TO_UPGRADE"] = g["DATA_DIR"] + "/intent-to-upgrade"
    g["RAPI_DATA_DIR"] = g["DATA_DIR"] + "/rapi"
    g["RAPI_USERS_FILE"] = g["RAPI_DATA_DIR"] + "/users"
    g["WATCHER_PAUSEFILE"] = g["DATA_DIR"] + "/watcher.pause"
    g["WATCHER_GROUP_STATE_FILE"] = g["DATA_DIR"] + "/watcher.%s.data"
    g["WATCHER_GROUP_INSTANCE_STATUS_FILE"] = (g["DATA_DIR"] +
                                               "/watcher.%s.instance-status")
    g["LOG_WATCHER"] = g["LOG_DIR"] + "/watcher.log"
    g["INSTANCE_STATUS_FILE"] = g["RUN_DIR"] + "/instance-status"
    g["MASTER_SOCKET"] = g["SOCKET_DIR"] + "/ganeti-master"
    g["QUERY_SOCKET"] = g["SOCKET_DIR"] + "/ganeti-query"
    g["HOOKS_BASE_DIR"] = g["CONF_DIR"] + "/hooks"
    g["FILE_STORAGE_PATHS_FILE"] = g["CONF_DIR"] + "/file-storage-paths"
    g["RESTRICTED_COMMANDS_DIR"] = g["CONF_DIR"] + "/restricted-commands"
    g["EXTERNAL_MASTER_SETUP_SCRIPT"] = g["CONF_DIR"] + "/scripts/master-ip-setup"
    g["VNC_PASSWORD_FILE"] = g["CONF_DIR"] + "/vnc-cluster-password"
    g["BDEV_CACHE_DIR"] = g["RUN_DIR"] + "/bdev-cache"
    g["DISK_LINKS_DIR"] = g["RUN_DIR"] + "/instance-disks"
    g["INSTANCE_REASON_DIR"] = g["RUN_DIR"] + "/instance-reason"
    g["CRYPTO_KEYS_DIR"] = g["RUN_DIR"] + "/crypto"
    g["IMPORT_EXPORT_DIR"] = g["RUN_DIR"] + "/import-export"
    g["LIVELOCK_DIR"] = g["RUN_DIR"] + "/livelocks"
    g["KVM_RUN_DIR"] = g["RUN_DIR"] + "/kvm-hypervisor"
    g["FAKE_RUN_DIR"] = g["RUN_DIR"] + "/fake-hypervisor"
    g["USER_COMMANDS_LOG"] = g["LOG_DIR"] + "/commands.log"
    g["LOG_OS_DIR"] = g["LOG_DIR"] + "/os"
    g["WATCHER_LOCK_FILE"] = g["LOCK_DIR"] + "/ganeti-watcher.lock"
    g["SSCONF_LOCK_FILE"] = g["LOCK_DIR"] + "/ganeti-ssconf.lock"
    g["RESTRICTED_COMMANDS_LOCK_FILE"] = (g["LOCK_DIR"] +
                                          "/ganeti-restricted-commands.lock")
    g["DEFAULT_FILE_STORAGE_DIR"] = root + _conf(
        "FILE_STORAGE_DIR", "/srv/ganeti/file-storage")
    g["DEFAULT_SHARED_FILE_STORAGE_DIR"] = root + _conf(
        "SHARED_FILE_STORAGE_DIR", "/srv/ganeti/shared-file-storage")
    g["EXPORT_DIR"] = root + _conf("EXPORT_DIR", "/srv/ganeti/export")
    g["OS_SEARCH_PATH"] = [root + p for p in _conf(
        "OS_SEARCH_PATH", [d % "os" for d in _DEFAULT_SEARCH])]
    g["ES_SEARCH_PATH"] = [root + p for p in _conf(
        "ES_SEARCH_PATH", [d % "extstorage" for d in _DEFAULT_SEARCH])]
    g["IALLOCATOR_SEARCH_PATH"] = [root + p for p in _conf(
        "IALLOCATOR_SEARCH_PATH",
        [PREFIX + "/lib/ganeti/iallocators", "/usr/lib/ganeti/iallocators"])]


def set_root(root: str) -> None:
    """Relocate every state/config path below root (tests, virtual clusters)."""
    _compute(root.rstrip("/"))


def get_root() -> str:
    return _ROOT


def ssconf_file(key: str) -> str:
    return SSCONF_PREFIX + key  # noqa: F821 (set by _compute)


def daemon_pid_file(daemon: str) -> str:
    return "%s/%s.pid" % (RUN_DIR, daemon)  # noqa: F821


def daemon_log_file(logbase: str) -> str:
    return "%s/%s.log" % (LOG_DIR, logbase)  # noqa: F821


_compute(os.environ.get("GANETI_ROOTDIR", "").rstrip("/"))
