"""The cluster configuration: loaded once, kept in memory, written atomically.

ConfigWriter is the single owner of config.data on the master. Every change
goes through a method here, which bumps the serial numbers, writes the file
atomically (utils.io.WriteFile) and then hands the new contents to the
distributor (set by masterd: pushes config.data to master candidates and
ssconf files to every node) before returning.
"""

import logging
import threading
import time
from typing import Callable, Collection, Dict, List, Optional

from ganeti import constants
from ganeti.config.instances import InstanceConfigMixin
from ganeti.config.networks import NetworkConfigMixin
from ganeti import errors
from ganeti import objects
from ganeti import pathutils
from ganeti import serializer
from ganeti.utils import io as uio
from ganeti.utils import text as utils_text

# A distributor receives (config_text, ssconf_values) after each write.
Distributor = Callable[[str, Dict[str, str]], None]


def _JsonKind(value) -> str:
    """How a JSON value's type reads in an error message."""
    return {dict: "a dictionary", list: "a list", str: "a string",
            bool: "a boolean", int: "a number", float: "a number",
            type(None): "null"}.get(type(value), type(value).__name__)


def _ShapeProblem(raw) -> Optional[str]:
    """What is wrong with the structure of a parsed config.data, if anything:
    the top level, the cluster and every object container must be
    dictionaries, and so must each object in a container."""
    if not isinstance(raw, dict):
        return "the top level is %s, not a dictionary" % _JsonKind(raw)
    if "cluster" not in raw:
        return "there is no 'cluster' entry"
    if not isinstance(raw["cluster"], dict):
        return "'cluster' is %s, not a dictionary" % _JsonKind(raw["cluster"])
    for name in objects.ConfigData._CONTAINERS:  # pylint: disable=W0212
        container = raw.get(name)
        if container is None:
            continue
        if not isinstance(container, dict):
            return "'%s' is %s, not a dictionary" % (name,
                                                     _JsonKind(container))
        for key, value in container.items():
            if not isinstance(value, dict):
                return "'%s' entry '%s' is %s, not a dictionary" % (
                    name, key, _JsonKind(value))
    return None


def load_config_data(path: str) -> objects.ConfigData:
    """Read and upgrade a config.data file (no writer, no locking).

    A file that cannot be used (unreadable, not JSON, objects of the wrong
    type, an unknown master node) gives a one-line ConfigurationError.
    """
    try:
        raw = uio.ReadFile(path)
    except EnvironmentError as err:
        raise errors.ConfigurationError("Cannot read configuration file %s: %s"
                                        % (path, err))
    return ParseConfigText(raw, path)


def ParseConfigText(raw: str, path: str) -> objects.ConfigData:
    """Parse and upgrade the text of a config.data (path names it in
    errors); a one-line ConfigurationError if it cannot be used."""
    try:
        parsed = serializer.Load(raw)
        problem = _ShapeProblem(parsed)
        if problem is None:
            data = objects.ConfigData.FromDict(parsed)
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        problem = str(err)
    if problem is None and data.cluster.master_node not in data.nodes:
        problem = ("the master node '%s' is not one of the configured nodes"
                   % data.cluster.master_node)
    if problem is not None:
        raise errors.ConfigurationError("Invalid configuration file %s: %s"
                                        % (path, problem))
    if data.version != constants.CONFIG_VERSION:
        raise errors.ConfigVersionMismatch(constants.CONFIG_VERSION,
                                           data.version)
    try:
        data.UpgradeConfig()
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise errors.ConfigurationError("Invalid configuration file %s: %s"
                                        % (path, err))
    return data


def _locked(fn):
    def wrapper(self, *args, **kwargs):
        with self._lock:
            return fn(self, *args, **kwargs)
    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


class ConfigWriter(InstanceConfigMixin, NetworkConfigMixin):
    """In-memory configuration with atomic persistence."""

    def __init__(self, cfg_file: Optional[str] = None, offline: bool = False,
                 data: Optional[objects.ConfigData] = None) -> None:
        self._file = cfg_file or pathutils.CLUSTER_CONF_FILE
        self._offline = offline
        self._lock = threading.RLock()
        self._distributor: Optional[Distributor] = None
        self._last_ssconf: Dict[str, str] = {}
        self._data = data if data is not None else load_config_data(self._file)

    # -- persistence -------------------------------------------------------

    def set_distributor(self, fn: Optional[Distributor]) -> None:
        self._distributor = fn

    def _write(self, feedback_fn=None) -> None:
        """Bump the serial, write atomically, then distribute."""
        now = time.time()
        self._data.serial_no = (self._data.serial_no or 0) + 1
        self._data.mtime = now
        text = serializer.DumpJson(self._data.ToDict())
        uio.WriteFile(self._file, data=text, mode=constants.CONFIG_FILE_MODE)
        if self._distributor is not None and not self._offline:
            ssconf = self.GetSsconfValues()
            self._distributor(text, ssconf)
            self._last_ssconf = ssconf

    @_locked
    def CallLocked(self, fn: Callable[[], object]) -> object:
        """fn() with no configuration write in between (writes distribute
        under the same lock, so fn may re-send the current config.data)."""
        return fn()

    @_locked
    def Flush(self) -> None:
        """Rewrite the configuration (e.g. after distribution setup)."""
        self._write()

    @_locked
    def GetConfigText(self) -> str:
        return serializer.DumpJson(self._data.ToDict())

    # -- cluster -----------------------------------------------------------

    @_locked
    def GetClusterInfo(self) -> objects.Cluster:
        return self._data.cluster

    def GetClusterName(self) -> str:
        return self._data.cluster.cluster_name

    def GetConfigSerial(self) -> int:
        return self._data.serial_no

    def GetMasterNode(self) -> str:
        return self._data.cluster.master_node

    def GetMasterNodeInfo(self) -> objects.Node:
        return self._data.nodes[self._data.cluster.master_node]

    def GetMasterNodeName(self) -> str:
        return self.GetMasterNodeInfo().name

    def GetMasterNetworkParameters(self) -> dict:
        cl = self._data.cluster
        return {"uuid": cl.master_node, "ip": cl.master_ip,
                "netmask": cl.master_netmask, "netdev": cl.master_netdev,
                "ip_family": cl.primary_ip_family}

    def GetHypervisorType(self) -> str:
        return self._data.cluster.enabled_hypervisors[0]

    def GetVGName(self) -> Optional[str]:
        return self._data.cluster.volume_group_name

    # -- nodes -------------------------------------------------------------

    def GetNodeInfo(self, node_uuid: str) -> Optional[objects.Node]:
        return self._data.nodes.get(node_uuid)

    @_locked
    def GetNodeInfoByName(self, name: str) -> Optional[objects.Node]:
        for node in self._data.nodes.values():
            if node.name == name:
                return node
        return None

    @_locked
    def GetAllNodesInfo(self) -> Dict[str, objects.Node]:
        return dict(self._data.nodes)

    @_locked
    def GetNodeList(self) -> List[str]:
        return list(self._data.nodes)

    @_locked
    def GetOnlineNodeList(self) -> List[str]:
        return [n.uuid for n in self._data.nodes.values() if not n.offline]

    @_locked
    def GetMasterCandidates(self) -> List[objects.Node]:
        return [n for n in self._data.nodes.values() if n.master_candidate]

    def GetNodeName(self, node_uuid: str) -> str:
        return self._data.nodes[node_uuid].name

    def GetNodeNames(self, node_uuids: List[str]) -> List[str]:
        return [self.GetNodeName(u) for u in node_uuids]

    @_locked
    def ExpandNodeName(self, short: str) -> Optional[str]:
        """Map a (possibly short) node name to its uuid, or None."""
        names = {n.name: n.uuid for n in self._data.nodes.values()}
        if short in names:
            return names[short]
        if short in self._data.nodes:
            return short
        matches = [u for name, u in names.items()
                   if name.startswith(short + ".")]
        return matches[0] if len(matches) == 1 else None

    @_locked
    def AddNode(self, node: objects.Node, group_uuid: Optional[str] = None) -> None:
        if self.GetNodeInfoByName(node.name) is not None:
            raise errors.OpPrereqError("Node %s is already in the configuration"
                                       % node.name, errors.ECODE_EXISTS)
        objects.stamp_new(node)
        node.group = group_uuid or node.group or self.GetDefaultNodeGroupUuid()
        node.UpgradeConfig()
        self._data.nodes[node.uuid] = node
        self._data.nodegroups[node.group].members.append(node.uuid)
        self._data.cluster.serial_no += 1
        self._write()

    @_locked
    def RemoveNode(self, node_uuid: str) -> None:
        node = self._data.nodes.pop(node_uuid, None)
        if node is None:
            raise errors.ConfigurationError("Unknown node %s" % node_uuid)
        group = self._data.nodegroups.get(node.group)
        if group is not None and node_uuid in group.members:
            group.members.remove(node_uuid)
        self._data.cluster.serial_no += 1
        self._write()

    # -- groups ------------------------------------------------------------

    @_locked
    def GetAllNodeGroupsInfo(self) -> Dict[str, objects.NodeGroup]:
        return dict(self._data.nodegroups)

    def GetNodeGroup(self, uuid: str) -> Optional[objects.NodeGroup]:
        return self._data.nodegroups.get(uuid)

    @_locked
    def GetDefaultNodeGroupUuid(self) -> str:
        return sorted(self._data.nodegroups.values(),
                      key=lambda g: (g.ctime or 0, g.name))[0].uuid

    @_locked
    def LookupNodeGroup(self, target: Optional[str]) -> str:
        if target is None:
            return self.GetDefaultNodeGroupUuid()
        if target in self._data.nodegroups:
            return target
        for group in self._data.nodegroups.values():
            if group.name == target:
                return group.uuid
        raise errors.OpPrereqError("Node group '%s' not found" % target,
                                   errors.ECODE_NOENT)

    @_locked
    def AddNodeGroup(self, group: objects.NodeGroup) -> None:
        """Add a new (empty) node group; its uuid may be preset."""
        for other in self._data.nodegroups.values():
            if other.name == group.name:
                raise errors.OpPrereqError("Desired group name '%s' already"
                                           " exists as a node group (UUID:"
                                           " %s)" % (group.name, other.uuid),
                                           errors.ECODE_EXISTS)
        if group.uuid in self._data.nodegroups:
            raise errors.ConfigurationError("Node group uuid %s already in"
                                            " use" % group.uuid)
        objects.stamp_new(group)
        group.UpgradeConfig()
        group.members = []
        self._data.nodegroups[group.uuid] = group
        self._data.cluster.serial_no += 1
        self._write()

    @_locked
    def RemoveNodeGroup(self, group_uuid: str) -> None:
        if group_uuid not in self._data.nodegroups:
            raise errors.ConfigurationError("Unknown node group %s"
                                            % group_uuid)
        del self._data.nodegroups[group_uuid]
        self._data.cluster.serial_no += 1
        self._write()

    @_locked
    def AssignGroupNodes(self, mods: List) -> None:
        """Move nodes between groups: mods is [(node_uuid, group_uuid)]."""
        now = time.time()
        touched = {}
        for node_uuid, group_uuid in mods:
            node = self._data.nodes.get(node_uuid)
            new_group = self._data.nodegroups.get(group_uuid)
            if node is None or new_group is None:
                raise errors.ConfigurationError("Unknown node %s or group %s"
                                                % (node_uuid, group_uuid))
            if node.group == group_uuid:
                continue
            old_group = self._data.nodegroups.get(node.group)
            if old_group is not None:
                touched[old_group.uuid] = old_group
                if node_uuid in old_group.members:
                    old_group.members.remove(node_uuid)
            touched[new_group.uuid] = new_group
            new_group.members.append(node_uuid)
            node.group = group_uuid
            node.serial_no = (node.serial_no or 0) + 1
            node.mtime = now
        for group in touched.values():
            group.serial_no = (group.serial_no or 0) + 1
            group.mtime = now
        self._data.cluster.serial_no += 1
        self._write()

    # -- instances ---------------------------------------------------------

    @_locked
    def GetAllInstancesInfo(self) -> Dict[str, objects.Instance]:
        return dict(self._data.instances)

    @_locked
    def GetInstanceList(self) -> List[str]:
        return list(self._data.instances)

    def GetInstanceInfo(self, uuid: str) -> Optional[objects.Instance]:
        return self._data.instances.get(uuid)

    @_locked
    def GetInstanceNames(self, uuids: List[str]) -> List[str]:
        return [self._data.instances[u].name for u in uuids]

    @_locked
    def GetAllNetworksInfo(self) -> Dict[str, objects.Network]:
        return dict(self._data.networks)

    # -- job filter rules --------------------------------------------------

    @_locked
    def GetAllFiltersInfo(self) -> Dict[str, objects.Filter]:
        return dict(self._data.filters or {})

    @_locked
    def SetFilter(self, rule: objects.Filter) -> None:
        """Add or replace the job filter rule with rule.uuid."""
        if self._data.filters is None:
            self._data.filters = {}
        self._data.filters[rule.uuid] = rule
        self._write()

    @_locked
    def RemoveFilter(self, uuid: str) -> None:
        if uuid not in (self._data.filters or {}):
            raise errors.OpPrereqError("Filter uuid %s not found" % uuid,
                                       errors.ECODE_NOENT)
        del self._data.filters[uuid]
        self._write()

    # -- generic updates ---------------------------------------------------

    @_locked
    def Update(self, target, feedback_fn=None, ec_id=None) -> None:
        """Persist changes made in place to a config object (with ec_id,
        the addresses that job reserved or released are committed too)."""
        if isinstance(target, objects.Cluster):
            container = None
        elif isinstance(target, objects.Node):
            container = self._data.nodes
        elif isinstance(target, objects.Instance):
            container = self._data.instances
        elif isinstance(target, objects.NodeGroup):
            container = self._data.nodegroups
        elif isinstance(target, objects.Network):
            container = self._data.networks
        else:
            raise errors.ProgrammerError("Invalid object type %r passed to"
                                         " ConfigWriter.Update" % type(target))
        if container is not None and container.get(target.uuid) is not target:
            raise errors.ConfigurationError("Configuration updated since %s"
                                            " has been read or unknown object"
                                            % target)
        if ec_id is not None:
            self._CommitTemporaryIps(ec_id)
        target.serial_no = (target.serial_no or 0) + 1
        target.mtime = time.time()
        if container is not None and not isinstance(target, objects.Cluster):
            self._data.cluster.serial_no += 1
        self._write(feedback_fn)

    # -- ssconf ------------------------------------------------------------

    @_locked
    def GetSsconfValues(self) -> Dict[str, str]:
        """The ssconf_<key> file contents derived from the configuration."""
        cl = self._data.cluster
        # upstream orders node and instance names naturally (node2 < node10)
        nodes = sorted(self._data.nodes.values(),
                       key=lambda n: utils_text.NiceSortKey(n.name))
        mcs = [n for n in nodes if n.master_candidate]

        def lines(items):
            return "\n".join(items)

        values = {
            "cluster_name": cl.cluster_name,
            "cluster_tags": lines(sorted(cl.tags or [])),
            "file_storage_dir": cl.file_storage_dir or "",
            "shared_file_storage_dir": cl.shared_file_storage_dir or "",
            "gluster_storage_dir": cl.gluster_storage_dir or "",
            "master_candidates": lines(n.name for n in mcs),
            "master_candidates_ips": lines(n.primary_ip for n in mcs),
            "master_candidates_certs": lines(
                "%s=%s" % (k, v) for k, v in sorted((cl.candidate_certs or {}).items())),
            "master_ip": cl.master_ip,
            "master_netdev": cl.master_netdev,
            "master_netmask": str(cl.master_netmask),
            "master_node": self.GetMasterNodeName(),
            "node_list": lines(n.name for n in nodes),
            "node_primary_ips": lines("%s %s" % (n.name, n.primary_ip) for n in nodes),
            "node_secondary_ips": lines("%s %s" % (n.name, n.secondary_ip) for n in nodes),
            "node_vm_capable": lines("%s=%s" % (n.name, bool(n.vm_capable)) for n in nodes),
            "offline_nodes": lines(n.name for n in nodes if n.offline),
            "online_nodes": lines(n.name for n in nodes if not n.offline),
            "primary_ip_family": str(cl.primary_ip_family),
            "instance_list": lines(utils_text.NiceSort(
                i.name for i in self._data.instances.values())),
            "release_version": constants.RELEASE_VERSION,
            "hypervisor_list": lines(cl.enabled_hypervisors),
            "maintain_node_health": str(bool(cl.maintain_node_health)),
            "uid_pool": lines(("%s-%s" % (lo, hi)) if lo != hi else str(lo)
                              for lo, hi in (cl.uid_pool or [])),
            "nodegroups": lines("%s %s" % (g.uuid, g.name)
                                for g in self._data.nodegroups.values()),
            "networks": lines("%s %s" % (n.uuid, n.name)
                              for n in self._data.networks.values()),
            "enabled_user_shutdown": str(bool(cl.enabled_user_shutdown)),
            "ssh_ports": lines("%s=%s" % (n.name, cl.FillND(
                n, self._data.nodegroups.get(n.group))["ssh_port"]) for n in nodes),
        }
        for hv in constants.HYPER_TYPES:
            params = cl.hvparams.get(hv, {})
            values["hvparams_%s" % hv] = lines(
                "%s=%s" % (k, v) for k, v in sorted(params.items()))
        return values


def PushConfigToNodes(cfg: "ConfigWriter", runner,
                      ssconf_values: Dict[str, str],
                      only: Optional[Collection[str]] = None,
                      outcome: Optional[Dict[str, bool]] = None) -> List[str]:
    """Distribute a just-written configuration (the one place doing it).

    config.data goes to the online master candidates other than the master
    (runner.call_upload_file reads the local file), the ssconf files are
    written here and on every other online node.  Nodes the runner lately
    failed to reach (runner.reach, see ganeti.rpc.reach) are skipped rather
    than waited for on every change; the master daemon's catch-up
    (ganeti.config.catchup) or gnt-cluster redist-conf brings them up to
    date.  Failures are logged and returned as messages; the local copy is
    authoritative.  With only (node names), just those nodes get the
    files (not the local ssconf); outcome, if given, is filled with
    {node name: whether it got everything meant for it}.
    """
    from ganeti import ssconf  # pylint: disable=import-outside-toplevel
    master = cfg.GetMasterNode()
    nodes = cfg.GetAllNodesInfo()
    candidates = [n.name for n in nodes.values()
                  if n.master_candidate and not n.offline and n.uuid != master]
    online = [n.name for n in nodes.values()
              if not n.offline and n.uuid != master]
    if only is not None:
        candidates = [name for name in candidates if name in only]
        online = [name for name in online if name in only]
    got = {name: True for name in online}
    failures: List[str] = []
    reach = getattr(runner, "reach", None)

    def _reachable(names: List[str]) -> List[str]:
        if reach is None:
            return names
        send, skipped = reach.Split(names)
        for name, err in sorted(skipped.items()):
            msg = ("Not distributing the configuration to unreachable node"
                   " %s (last error: %s)" % (name, err))
            logging.warning("%s", msg)
            failures.append(msg)
            got[name] = False
        return send

    candidates = _reachable(candidates)
    if candidates:
        results = runner.call_upload_file(candidates,
                                          pathutils.CLUSTER_CONF_FILE,
                                          quick_contact=True)
        for name, res in results.items():
            if res.fail_msg:
                msg = ("Copy of file %s to node %s failed: %s" %
                       (pathutils.CLUSTER_CONF_FILE, name, res.fail_msg))
                logging.error("%s", msg)
                failures.append(msg)
                got[name] = False
    if only is None:
        ssconf.WriteSsconfFiles(ssconf_values)
    online = _reachable(online)
    if online:
        results = runner.call_write_ssconf_files(online, ssconf_values,
                                                 quick_contact=True)
        for name, res in results.items():
            if res.fail_msg:
                msg = ("Error while writing ssconf files to node %s: %s" %
                       (name, res.fail_msg))
                logging.error("%s", msg)
                failures.append(msg)
                got[name] = False
    if outcome is not None:
        outcome.update(got)
    return failures
