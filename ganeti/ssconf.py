"""The simple store: one-value files ssconf_<key> present on every node.

They let node-side code (noded, the watcher, the CLI deciding whether it
runs on the master) learn basic cluster facts without config.data.
"""

import errno
import os
import sys
from typing import Dict, Iterable, List, Optional, Tuple, Union

from ganeti import constants
from ganeti import errors
from ganeti import netutils
from ganeti import pathutils
from ganeti.utils import io as utils_io

# Upper bound on what we read of one ssconf file.
_MAX_SIZE = 128 * 1024

VALID_KEYS = frozenset([
    constants.SS_CLUSTER_NAME,
    constants.SS_CLUSTER_TAGS,
    constants.SS_FILE_STORAGE_DIR,
    constants.SS_SHARED_FILE_STORAGE_DIR,
    constants.SS_GLUSTER_STORAGE_DIR,
    constants.SS_MASTER_CANDIDATES,
    constants.SS_MASTER_CANDIDATES_IPS,
    constants.SS_MASTER_CANDIDATES_CERTS,
    constants.SS_MASTER_IP,
    constants.SS_MASTER_NETDEV,
    constants.SS_MASTER_NETMASK,
    constants.SS_MASTER_NODE,
    constants.SS_NODE_LIST,
    constants.SS_NODE_PRIMARY_IPS,
    constants.SS_NODE_SECONDARY_IPS,
    constants.SS_NODE_VM_CAPABLE,
    constants.SS_OFFLINE_NODES,
    constants.SS_ONLINE_NODES,
    constants.SS_PRIMARY_IP_FAMILY,
    constants.SS_INSTANCE_LIST,
    constants.SS_RELEASE_VERSION,
    constants.SS_HYPERVISOR_LIST,
    constants.SS_MAINTAIN_NODE_HEALTH,
    constants.SS_UID_POOL,
    constants.SS_NODEGROUPS,
    constants.SS_NETWORKS,
    constants.SS_ENABLED_USER_SHUTDOWN,
    constants.SS_SSH_PORTS,
]) | constants.VALID_SS_HVPARAMS_KEYS

Value = Union[str, Iterable[str]]


def _Lines(text: str) -> List[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _Bool(text: str) -> bool:
    return text.strip() == "True"


def _KeyValueLines(text: str, sep: str) -> Dict[str, str]:
    result = {}
    for line in _Lines(text):
        key, _, value = line.partition(sep)
        result[key.strip()] = value.strip()
    return result


def _Unchanged(filename: str, value: str) -> bool:
    """Whether filename already holds value with the ssconf file mode."""
    try:
        with open(filename, "rb") as handle:
            if os.fstat(handle.fileno()).st_mode & 0o7777 != \
                    constants.SS_FILE_PERMS:
                return False
            return handle.read(_MAX_SIZE + 1) == value.encode("utf-8")
    except OSError:
        return False


class SimpleStore:
    """Reads (and writes) the ssconf_<key> files below a data directory."""

    def __init__(self, cfg_location: Optional[str] = None,
                 lockfile: Optional[str] = None) -> None:
        # Paths are looked up at use so that pathutils.set_root() applies.
        self._cfg_location = cfg_location
        self._lockfile = lockfile

    def _Dir(self) -> str:
        return self._cfg_location or pathutils.DATA_DIR

    def KeyToFilename(self, key: str) -> str:
        """The file of an ssconf key; ProgrammerError for unknown keys."""
        if key not in VALID_KEYS:
            raise errors.ProgrammerError("Invalid key requested from SSConf:"
                                         " '%s'" % str(key))
        return os.path.join(self._Dir(), "ssconf_%s" % key)

    def _ReadFile(self, key: str, default: Optional[str] = None) -> str:
        """The file's content without trailing newlines.

        A missing file gives default if one is given; otherwise (and for
        other errors) ConfigurationError.
        """
        filename = self.KeyToFilename(key)
        try:
            data = utils_io.ReadFile(filename, size=_MAX_SIZE)
        except OSError as err:
            if err.errno == errno.ENOENT and default is not None:
                return default
            raise errors.ConfigurationError("Can't read ssconf file %s: %s"
                                            % (filename, err))
        return data.rstrip("\n")

    def GetFileList(self) -> List[str]:
        """Paths of every possible ssconf file."""
        return [self.KeyToFilename(key) for key in sorted(VALID_KEYS)]

    def ReadAll(self) -> Dict[str, str]:
        """Every existing ssconf value, keyed by ssconf key."""
        result = {}
        for key in sorted(VALID_KEYS):
            try:
                result[key] = self._ReadFile(key)
            except errors.ConfigurationError:
                continue
        return result

    def WriteFiles(self, values: Dict[str, Value],
                   dry_run: bool = False) -> None:
        """Write ssconf files atomically (mode 0444) under the ssconf lock.

        Values may be strings or lists of lines.  Unknown keys are refused
        before anything is written.
        """
        bad = sorted(str(key) for key in values if key not in VALID_KEYS)
        if bad:
            raise errors.ProgrammerError("Invalid ssconf keys: %s"
                                         % ", ".join(bad))
        lockfile = self._lockfile or pathutils.SSCONF_LOCK_FILE
        if not os.path.isdir(os.path.dirname(lockfile)):
            os.makedirs(os.path.dirname(lockfile), 0o755, exist_ok=True)
        lock = utils_io.FileLock.Open(lockfile)
        try:
            lock.Exclusive(blocking=True, timeout=60)
            for key, value in values.items():
                if not isinstance(value, str):
                    value = "\n".join(str(v) for v in value)
                filename = self.KeyToFilename(key)
                if _Unchanged(filename, value):
                    # most config changes touch few keys: spare the fsyncs
                    continue
                utils_io.WriteFile(filename, data=value,
                                   mode=constants.SS_FILE_PERMS,
                                   dry_run=dry_run)
        finally:
            lock.Close()

    # -- typed getters ---------------------------------------------------

    def GetClusterName(self) -> str:
        return self._ReadFile(constants.SS_CLUSTER_NAME)

    def GetClusterTags(self) -> List[str]:
        return _Lines(self._ReadFile(constants.SS_CLUSTER_TAGS, default=""))

    def GetFileStorageDir(self) -> str:
        return self._ReadFile(constants.SS_FILE_STORAGE_DIR)

    def GetSharedFileStorageDir(self) -> str:
        return self._ReadFile(constants.SS_SHARED_FILE_STORAGE_DIR)

    def GetGlusterStorageDir(self) -> str:
        return self._ReadFile(constants.SS_GLUSTER_STORAGE_DIR)

    def GetMasterCandidates(self) -> List[str]:
        return _Lines(self._ReadFile(constants.SS_MASTER_CANDIDATES))

    def GetMasterCandidatesIPList(self) -> List[str]:
        return _Lines(self._ReadFile(constants.SS_MASTER_CANDIDATES_IPS))

    def GetMasterCandidatesCertMap(self) -> Dict[str, str]:
        """node UUID -> SHA1 digest of its client certificate."""
        return _KeyValueLines(
            self._ReadFile(constants.SS_MASTER_CANDIDATES_CERTS), "=")

    def GetMasterIP(self) -> str:
        return self._ReadFile(constants.SS_MASTER_IP)

    def GetMasterNetdev(self) -> str:
        return self._ReadFile(constants.SS_MASTER_NETDEV)

    def GetMasterNetmask(self) -> int:
        value = self._ReadFile(constants.SS_MASTER_NETMASK)
        try:
            return int(value)
        except ValueError as err:
            raise errors.ConfigurationError("Error while trying to parse the"
                                            " master netmask ('%s'): %s"
                                            % (value, err))

    def GetMasterNode(self) -> str:
        return self._ReadFile(constants.SS_MASTER_NODE)

    def GetNodeList(self) -> List[str]:
        return _Lines(self._ReadFile(constants.SS_NODE_LIST))

    def GetOnlineNodeList(self) -> List[str]:
        return _Lines(self._ReadFile(constants.SS_ONLINE_NODES))

    def GetOfflineNodeList(self) -> List[str]:
        return _Lines(self._ReadFile(constants.SS_OFFLINE_NODES, default=""))

    def GetNodePrimaryIPList(self) -> List[str]:
        """Lines of ``<name> <ip>``."""
        return _Lines(self._ReadFile(constants.SS_NODE_PRIMARY_IPS))

    def GetNodeSecondaryIPList(self) -> List[str]:
        """Lines of ``<name> <ip>``."""
        return _Lines(self._ReadFile(constants.SS_NODE_SECONDARY_IPS))

    def GetNodesVmCapable(self) -> Dict[str, bool]:
        return {name: _Bool(value) for name, value in _KeyValueLines(
            self._ReadFile(constants.SS_NODE_VM_CAPABLE), "=").items()}

    def GetNodegroupList(self) -> List[str]:
        """Lines of ``<uuid> <name>``."""
        return _Lines(self._ReadFile(constants.SS_NODEGROUPS))

    def GetNetworkList(self) -> List[str]:
        """Lines of ``<uuid> <name>``."""
        return _Lines(self._ReadFile(constants.SS_NETWORKS, default=""))

    def GetInstanceList(self) -> List[str]:
        return _Lines(self._ReadFile(constants.SS_INSTANCE_LIST, default=""))

    def GetReleaseVersion(self) -> str:
        return self._ReadFile(constants.SS_RELEASE_VERSION)

    def GetHypervisorList(self) -> List[str]:
        return _Lines(self._ReadFile(constants.SS_HYPERVISOR_LIST))

    def GetHvparamsForHypervisor(self, hvname: str) -> Dict[str, str]:
        """The cluster-level hvparams of one hypervisor (values as text)."""
        return _KeyValueLines(self._ReadFile(
            constants.SS_HVPARAMS_PREF + hvname, default=""), "=")

    def GetHvparams(self) -> Dict[str, Dict[str, str]]:
        """hvparams of every enabled hypervisor."""
        return {hv: self.GetHvparamsForHypervisor(hv)
                for hv in self.GetHypervisorList()}

    def GetMaintainNodeHealth(self) -> bool:
        return _Bool(self._ReadFile(constants.SS_MAINTAIN_NODE_HEALTH))

    def GetUidPool(self) -> List[Tuple[int, int]]:
        """The uid pool as (low, high) ranges."""
        result = []
        for line in _Lines(self._ReadFile(constants.SS_UID_POOL, default="")):
            low, _, high = line.partition("-")
            try:
                result.append((int(low), int(high or low)))
            except ValueError:
                raise errors.ConfigurationError("Invalid uid pool entry '%s'"
                                                % line)
        return result

    def GetPrimaryIPFamily(self) -> int:
        value = self._ReadFile(constants.SS_PRIMARY_IP_FAMILY,
                               default=str(constants.IP4_FAMILY))
        try:
            return int(value)
        except ValueError as err:
            raise errors.ConfigurationError("Error while trying to parse the"
                                            " primary IP family: %s" % err)

    def GetEnabledUserShutdown(self) -> bool:
        value = self._ReadFile(constants.SS_ENABLED_USER_SHUTDOWN)
        if value not in ("True", "False"):
            raise errors.ConfigurationError("Invalid value for the enabled"
                                            " user shutdown: '%s'" % value)
        return value == "True"

    def GetSshPortMap(self) -> Dict[str, int]:
        result = {}
        for name, port in _KeyValueLines(
                self._ReadFile(constants.SS_SSH_PORTS, default=""),
                "=").items():
            try:
                result[name] = int(port)
            except ValueError:
                raise errors.ConfigurationError("Invalid ssh port for node"
                                                " %s: '%s'" % (name, port))
        return result


def WriteSsconfFiles(values: Dict[str, Value], dry_run: bool = False) -> None:
    """Write the given ssconf values on this node (see WriteFiles)."""
    SimpleStore().WriteFiles(values, dry_run=dry_run)


def GetMyName() -> str:
    """This node's name, as the cluster knows it (its FQDN)."""
    return netutils.Hostname.GetFqdn()


def GetMasterAndMyself(ss: Optional[SimpleStore] = None) -> Tuple[str, str]:
    """(master node name, this node's name); ConfigurationError if unknown."""
    if ss is None:
        ss = SimpleStore()
    return ss.GetMasterNode(), GetMyName()


def IsMaster(ss: Optional[SimpleStore] = None) -> bool:
    """Whether this node is the master (False if ssconf is missing)."""
    try:
        master, myself = GetMasterAndMyself(ss)
    except errors.ConfigurationError:
        return False
    return master == myself


def CheckMaster(debug: bool, ss: Optional[SimpleStore] = None) -> None:
    """Exit unless this node is the master.

    Incomplete ssconf exits with EXIT_NODESETUP_ERROR, another master with
    EXIT_NOTMASTER (as the master daemons do on start-up).
    """
    try:
        master, myself = GetMasterAndMyself(ss)
    except errors.ConfigurationError as err:
        print("Cluster configuration incomplete: '%s'" % str(err))
        sys.exit(constants.EXIT_NODESETUP_ERROR)
    if master != myself:
        if debug:
            sys.stderr.write("Not master, exiting.\n")
        sys.exit(constants.EXIT_NOTMASTER)
