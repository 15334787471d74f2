"""Logical units for networks: add, remove, modify, rename, connect to and
disconnect from node groups; plus the data of network queries."""

from typing import Any, Callable, Dict, Iterable, List, Optional

from ganeti import constants as C
from ganeti import errors
from ganeti import locking
from ganeti import network
from ganeti import objects
from ganeti.cmdlib.base import HTYPE_NETWORK, LogicalUnit
from ganeti.cmdlib.group import GroupInstances
from ganeti.cmdlib.instance_utils import NIC_IP_POOL, VALUE_NONE
from ganeti.cmdlib.tags import CheckTagName
from ganeti.utils import text as utils_text


def BuildNetworkHookEnv(name: Optional[str], subnet: Optional[str],
                        gateway: Optional[str], network6: Optional[str],
                        gateway6: Optional[str], mac_prefix: Optional[str],
                        tags: Optional[Iterable[str]]) -> Dict[str, str]:
    """The NETWORK_* hook variables of the values that are set."""
    env = {}
    for key, value in (("NETWORK_NAME", name), ("NETWORK_SUBNET", subnet),
                       ("NETWORK_GATEWAY", gateway),
                       ("NETWORK_SUBNET6", network6),
                       ("NETWORK_GATEWAY6", gateway6),
                       ("NETWORK_MAC_PREFIX", mac_prefix)):
        if value:
            env[key] = value
    if tags:
        env["NETWORK_TAGS"] = " ".join(tags)
    return env


def _AddLock(lu, name: str) -> None:
    if lu.glm is not None:
        lu.glm.add(locking.LEVEL_NETWORK, [name])


def _RemoveLock(lu, name: str) -> None:
    if lu.glm is not None:
        lu.glm.remove(locking.LEVEL_NETWORK, [name])


class _NetworkLU(LogicalUnit):
    HTYPE = HTYPE_NETWORK
    REQ_BGL = False

    def BuildHooksNodes(self):
        master = self.cfg.GetMasterNode()
        return ([master], [master])


# ------------------------------------------------------------------ the LUs

class LUNetworkAdd(_NetworkLU):
    """Create a network and its address pool (gnt-network add)."""
    HPATH = "network-add"

    def CheckArguments(self):
        if self.op.mac_prefix:
            self.op.mac_prefix = network.NormalizeMacPrefix(self.op.mac_prefix)

    def ExpandNames(self):
        self.network_uuid = objects.new_uuid()
        self.needed_locks = {}
        if self.op.conflicts_check:
            self.needed_locks[locking.LEVEL_NODE] = locking.ALL_SET
            self.share_locks[locking.LEVEL_NODE] = 1

    def CheckPrereq(self):
        try:
            existing = self.cfg.LookupNetwork(self.op.network_name)
        except errors.OpPrereqError:
            pass
        else:
            raise errors.OpPrereqError("Desired network name '%s' already"
                                       " exists as a network (UUID: %s)" %
                                       (self.op.network_name, existing),
                                       errors.ECODE_EXISTS)
        for tag in self.op.tags or []:
            try:
                CheckTagName(tag)
            except errors.TagError as err:
                raise errors.OpPrereqError("Invalid tag '%s': %s" % (tag, err),
                                           errors.ECODE_INVAL)

    def BuildHooksEnv(self):
        op = self.op
        return BuildNetworkHookEnv(op.network_name, op.network, op.gateway,
                                   op.network6, op.gateway6, op.mac_prefix,
                                   op.tags)

    def Exec(self, feedback_fn):
        op = self.op
        net = objects.Network(name=op.network_name, network=op.network,
                              gateway=op.gateway, network6=op.network6,
                              gateway6=op.gateway6, mac_prefix=op.mac_prefix,
                              uuid=self.network_uuid, tags=[])
        try:
            pool = network.AddressPool.InitializeNetwork(net)
        except errors.AddressPoolError as err:
            raise errors.OpExecError("Cannot create IP address pool for"
                                     " network '%s': %s" %
                                     (op.network_name, err))
        if op.conflicts_check:
            self._ReserveClusterAddresses(pool)
        for ip in op.add_reserved_ips or []:
            try:
                pool.Reserve(ip, external=True)
            except errors.AddressPoolError as err:
                raise errors.OpExecError("Cannot reserve IP address '%s': %s"
                                         % (ip, err))
        for tag in op.tags or []:
            net.AddTag(tag)
        self.cfg.AddNetwork(net)
        _AddLock(self, net.uuid)

    def _ReserveClusterAddresses(self, pool: network.AddressPool) -> None:
        """Node and master addresses in the network are never handed out."""
        for node in self.cfg.GetAllNodesInfo().values():
            for ip in sorted({node.primary_ip, node.secondary_ip} - {None}):
                if not pool.Contains(ip, pool.net.network):
                    continue
                try:
                    pool.Reserve(ip, external=True)
                    self.LogInfo("Reserved IP address of node '%s' (%s)",
                                 node.name, ip)
                except errors.AddressPoolError as err:
                    self.LogWarning("Cannot reserve IP address '%s' of node"
                                    " '%s': %s", ip, node.name, err)
        master_ip = self.cfg.GetClusterInfo().master_ip
        if pool.Contains(master_ip, pool.net.network):
            try:
                pool.Reserve(master_ip, external=True)
                self.LogInfo("Reserved cluster master IP address (%s)",
                             master_ip)
            except errors.AddressPoolError as err:
                self.LogWarning("Cannot reserve cluster master IP address"
                                " (%s): %s", master_ip, err)


class LUNetworkRemove(_NetworkLU):
    """Remove a network connected to no node group (gnt-network remove)."""
    HPATH = "network-remove"

    def ExpandNames(self):
        self.network_uuid = self.cfg.LookupNetwork(self.op.network_name)
        self.needed_locks = {locking.LEVEL_NETWORK: [self.network_uuid],
                             locking.LEVEL_NODEGROUP: locking.ALL_SET}
        self.share_locks[locking.LEVEL_NODEGROUP] = 1

    def CheckPrereq(self):
        groups = [g.name for g in self.cfg.GetAllNodeGroupsInfo().values()
                  if self.network_uuid in (g.networks or {})]
        if groups:
            self.LogWarning("Network '%s' is connected to the following node"
                            " groups: %s" % (self.op.network_name,
                                             utils_text.CommaJoin(
                                                 utils_text.NiceSort(groups))))
            raise errors.OpPrereqError("Network still connected",
                                       errors.ECODE_STATE)

    def BuildHooksEnv(self):
        return {"NETWORK_NAME": self.op.network_name}

    def Exec(self, feedback_fn):
        try:
            self.cfg.RemoveNetwork(self.network_uuid)
        except errors.ConfigurationError:
            raise errors.OpExecError("Network '%s' with UUID %s disappeared" %
                                     (self.op.network_name, self.network_uuid))
        _RemoveLock(self, self.network_uuid)


class LUNetworkRename(_NetworkLU):
    """Rename a network (gnt-network rename); returns the new name."""
    HPATH = "network-rename"

    def ExpandNames(self):
        self.network_uuid = self.cfg.LookupNetwork(self.op.network_name)
        self.needed_locks = {locking.LEVEL_NETWORK: [self.network_uuid]}

    def CheckPrereq(self):
        try:
            clash = self.cfg.LookupNetwork(self.op.new_name)
        except errors.OpPrereqError:
            return
        raise errors.OpPrereqError("Desired new name '%s' clashes with"
                                   " existing network (UUID: %s)" %
                                   (self.op.new_name, clash),
                                   errors.ECODE_EXISTS)

    def BuildHooksEnv(self):
        return {"OLD_NAME": self.op.network_name,
                "NEW_NAME": self.op.new_name}

    def Exec(self, feedback_fn):
        self.cfg.RenameNetwork(self.network_uuid, self.op.new_name)
        return self.op.new_name


class LUNetworkSetParams(_NetworkLU):
    """Change a network's gateways, IPv6 subnet, MAC prefix and external
    reservations (gnt-network modify)."""
    HPATH = "network-modify"

    def CheckArguments(self):
        if self.op.gateway and (self.op.add_reserved_ips or
                                self.op.remove_reserved_ips):
            raise errors.OpPrereqError("Cannot modify gateway and reserved ips"
                                       " at once", errors.ECODE_INVAL)

    def ExpandNames(self):
        self.network_uuid = self.cfg.LookupNetwork(self.op.network_name)
        self.needed_locks = {locking.LEVEL_NETWORK: [self.network_uuid]}

    def CheckPrereq(self):
        op = self.op
        self.network = self.cfg.GetNetwork(self.network_uuid)
        self.pool = network.AddressPool(self.network)
        self.gateway = self.network.gateway
        self.mac_prefix = self.network.mac_prefix
        self.network6 = self.network.network6
        self.gateway6 = self.network.gateway6
        if op.gateway:
            self.gateway = op.gateway
            try:
                reserved = self.pool.IsReserved(self.gateway)
            except errors.AddressPoolError as err:
                raise errors.OpPrereqError("Invalid gateway '%s': %s" %
                                           (self.gateway, err),
                                           errors.ECODE_INVAL)
            if reserved:
                raise errors.OpPrereqError("Gateway IP address '%s' is already"
                                           " reserved" % self.gateway,
                                           errors.ECODE_STATE)
        if op.mac_prefix:
            if op.mac_prefix.lower() == VALUE_NONE:
                self.mac_prefix = None
            else:
                self.mac_prefix = network.NormalizeMacPrefix(op.mac_prefix)
        if op.gateway6:
            self.gateway6 = op.gateway6
        if op.network6:
            self.network6 = op.network6

    def BuildHooksEnv(self):
        return BuildNetworkHookEnv(self.op.network_name, self.network.network,
                                   self.gateway, self.network6, self.gateway6,
                                   self.mac_prefix, self.network.tags)

    def Exec(self, feedback_fn):
        op = self.op
        net = self.network
        if op.gateway:
            if self.gateway == net.gateway:
                self.LogWarning("Gateway is already %s", self.gateway)
            else:
                if self.gateway:
                    self.pool.Reserve(self.gateway, external=True)
                if net.gateway:
                    self.pool.Release(net.gateway, external=True)
                net.gateway = self.gateway
        for ip in op.add_reserved_ips or []:
            try:
                self.pool.Reserve(ip, external=True)
            except errors.AddressPoolError as err:
                self.LogWarning("Cannot reserve IP address %s: %s", ip, err)
        for ip in op.remove_reserved_ips or []:
            if ip == net.gateway:
                self.LogWarning("Cannot unreserve Gateway's IP")
                continue
            try:
                self.pool.Release(ip, external=True)
            except errors.AddressPoolError as err:
                self.LogWarning("Cannot release IP address %s: %s", ip, err)
        if op.mac_prefix:
            net.mac_prefix = self.mac_prefix
        if op.network6:
            net.network6 = self.network6
        if op.gateway6:
            net.gateway6 = self.gateway6
        self.cfg.Update(net, feedback_fn)


# ------------------------------------------------ connecting to node groups

def _FormatConflicts(conflicts: List[tuple]) -> str:
    return utils_text.CommaJoin(
        "%s: %s" % (name, utils_text.CommaJoin("nic%s/%s" % (idx, ip)
                                               for idx, ip in details))
        for name, details in conflicts)


class _GroupConnectionLU(_NetworkLU):
    """What connecting and disconnecting share: the network and group
    looked up, the group's instances locked (shared) for the conflict
    check, hooks on the group's nodes."""

    def ExpandNames(self):
        self.network_uuid = self.cfg.LookupNetwork(self.op.network_name)
        self.group_uuid = self.cfg.LookupNodeGroup(self.op.group_name)
        self.needed_locks = {locking.LEVEL_INSTANCE: [],
                             locking.LEVEL_NODEGROUP: [self.group_uuid]}
        self.share_locks[locking.LEVEL_INSTANCE] = 1

    def DeclareLocks(self, level):
        if level == locking.LEVEL_INSTANCE and self._CheckConflicts():
            self.needed_locks[level] = GroupInstances(self.cfg,
                                                      self.group_uuid)

    def _CheckConflicts(self) -> bool:
        return True

    def BuildHooksNodes(self):
        nodes = sorted(n.uuid for n in self.cfg.GetAllNodesInfo().values()
                       if n.group == self.group_uuid)
        return (nodes, nodes)

    def _ConflictCheck(self, check_fn: Callable[[Any], bool],
                       action: str) -> None:
        """Refuse if a NIC of the group's instances matches check_fn."""
        conflicts = []
        for inst_uuid in GroupInstances(self.cfg, self.group_uuid):
            inst = self.cfg.GetInstanceInfo(inst_uuid)
            found = [(idx, nic.ip) for idx, nic in enumerate(inst.nics or [])
                     if check_fn(nic)]
            if found:
                conflicts.append((inst.name, found))
        if conflicts:
            self.LogWarning("IP addresses from network '%s', which is about to"
                            " %s node group '%s', are in use: %s" %
                            (self.op.network_name, action, self.group.name,
                             _FormatConflicts(conflicts)))
            raise errors.OpPrereqError("Conflicting IP addresses found; "
                                       " remove/modify the corresponding"
                                       " network interfaces",
                                       errors.ECODE_STATE)


class LUNetworkConnect(_GroupConnectionLU):
    """Connect a network to a node group with NIC mode, link and VLAN."""
    HPATH = "network-connect"

    def _CheckConflicts(self) -> bool:
        return self.op.conflicts_check

    def ExpandNames(self):
        super().ExpandNames()
        if self.op.conflicts_check:
            self.needed_locks[locking.LEVEL_NETWORK] = [self.network_uuid]
            self.share_locks[locking.LEVEL_NETWORK] = 1

    def BuildHooksEnv(self):
        return {"GROUP_NAME": self.op.group_name,
                "GROUP_NETWORK_MODE": self.op.network_mode,
                "GROUP_NETWORK_LINK": self.op.network_link,
                "GROUP_NETWORK_VLAN": self.op.network_vlan}

    def CheckPrereq(self):
        self.netparams = {C.INIC_MODE: self.op.network_mode,
                          C.INIC_LINK: self.op.network_link,
                          C.INIC_VLAN: self.op.network_vlan}
        self.group = self.cfg.GetNodeGroup(self.group_uuid)
        self.connected = self.network_uuid in (self.group.networks or {})
        if self.connected:
            self.LogWarning("Network '%s' is already mapped to group '%s'" %
                            (self.op.network_name, self.group.name))
        elif self.op.conflicts_check:
            subnet = self.cfg.GetNetwork(self.network_uuid).network
            self._ConflictCheck(
                lambda nic: network.AddressPool.Contains(nic.ip, subnet),
                "connect to")

    def Exec(self, feedback_fn):
        if not self.connected:
            if self.group.networks is None:
                self.group.networks = {}
            self.group.networks[self.network_uuid] = self.netparams
            self.cfg.Update(self.group, feedback_fn)


class LUNetworkDisconnect(_GroupConnectionLU):
    """Disconnect a network from a node group (no instance NIC may use it
    there)."""
    HPATH = "network-disconnect"

    def BuildHooksEnv(self):
        env = {"GROUP_NAME": self.op.group_name}
        if self.connected:
            env.update({"GROUP_NETWORK_MODE": self.netparams.get(C.INIC_MODE),
                        "GROUP_NETWORK_LINK": self.netparams.get(C.INIC_LINK),
                        "GROUP_NETWORK_VLAN": self.netparams.get(C.INIC_VLAN)})
        return env

    def CheckPrereq(self):
        self.group = self.cfg.GetNodeGroup(self.group_uuid)
        self.netparams = (self.group.networks or {}).get(self.network_uuid)
        self.connected = self.netparams is not None
        if not self.connected:
            self.LogWarning("Network '%s' is not mapped to group '%s'",
                            self.op.network_name, self.group.name)
        else:
            self._ConflictCheck(lambda nic: nic.network == self.network_uuid,
                                "disconnect from")

    def Exec(self, feedback_fn):
        if self.connected:
            del self.group.networks[self.network_uuid]
            self.cfg.Update(self.group, feedback_fn)


# ------------------------------------------------------------------ queries

def NetworkQueryInputs(cfg, networks: List[Any]) -> tuple:
    """(network_to_groups, network_to_instances, stats) of the networks,
    as the network query fields read them (see ganeti.query.misc)."""
    uuids = [net.uuid for net in networks]
    to_groups: Dict[str, list] = {uuid: [] for uuid in uuids}
    for group in sorted(cfg.GetAllNodeGroupsInfo().values(),
                        key=lambda g: utils_text.NiceSortKey(g.name)):
        for uuid in uuids:
            params = (group.networks or {}).get(uuid)
            if params is not None:
                to_groups[uuid].append([group.name, params.get(C.INIC_MODE),
                                        params.get(C.INIC_LINK),
                                        params.get(C.INIC_VLAN, "")])
    to_instances: Dict[str, list] = {uuid: [] for uuid in uuids}
    for inst in cfg.GetAllInstancesInfo().values():
        for uuid in {nic.network for nic in inst.nics or []}:
            if uuid in to_instances:
                to_instances[uuid].append(inst.name)
    stats = {}
    for net in networks:
        try:
            pool = network.AddressPool(net)
        except errors.AddressPoolError:
            continue
        stats[net.uuid] = {
            "free_count": pool.GetFreeCount(),
            "reserved_count": pool.GetReservedCount(),
            "map": pool.GetMap(),
            "external_reservations":
                utils_text.CommaJoin(pool.GetExternalReservations()),
        }
    return to_groups, to_instances, stats


# ----------------------------------------------- instance NICs on networks

def ECId(lu) -> Any:
    """The job's execution context id (its temporary reservations' owner)."""
    getter = getattr(lu.proc, "GetECId", None)
    try:
        return getter() if getter is not None else None
    except errors.ProgrammerError:
        return None


def CheckNetworkNicSpecs(nics: List[Dict[str, Any]]) -> None:
    """A NIC on a network takes mode and link from the network's
    connection: giving them too is refused."""
    for spec in nics or []:
        net = spec.get(C.INIC_NETWORK)
        if net is None or str(net).lower() == VALUE_NONE:
            continue
        if spec.get(C.INIC_MODE) is not None or \
                spec.get(C.INIC_LINK) is not None:
            raise errors.OpPrereqError("If network is given, no mode or link"
                                       " is allowed to be passed",
                                       errors.ECODE_INVAL)


def CheckForConflictingIp(lu, ip: Optional[str], node_uuid: str) -> None:
    """An address of a network connected to the node's group may only be
    used by a NIC on that network."""
    if ip is None:
        return
    net_name, _ = lu.cfg.CheckIPInNodeGroup(ip, node_uuid)
    if net_name is not None:
        raise errors.OpPrereqError("The requested IP address (%s) belongs to"
                                   " network %s, but the target NIC does"
                                   " not." % (ip, net_name),
                                   errors.ECODE_STATE)


def ReserveNicAddress(lu, idx: int, nic: Any, node: Any,
                      conflicts_check: bool) -> None:
    """Give a NIC on a network its group's NIC parameters and reserve its
    address (ip=pool: the lowest free one) for the job; a NIC on no
    network must not take a connected network's address."""
    if nic.network is None:
        if conflicts_check:
            CheckForConflictingIp(lu, nic.ip, node.uuid)
        return
    net = lu.cfg.GetNetwork(nic.network)
    netparams = lu.cfg.GetGroupNetParams(nic.network, node.uuid)
    if netparams is None:
        raise errors.OpPrereqError("No netparams found for network %s."
                                   " Probably not connected to node's %s"
                                   " nodegroup" % (net.name, node.name),
                                   errors.ECODE_INVAL)
    lu.LogInfo("NIC/%d inherits netparams %s" % (idx, netparams.values()))
    nic.nicparams = dict(netparams)
    if nic.ip is None:
        return
    if str(nic.ip).lower() == NIC_IP_POOL:
        try:
            nic.ip = lu.cfg.GenerateIp(nic.network, ECId(lu))
        except errors.ReservationError:
            raise errors.OpPrereqError("Unable to get a free IP for NIC %d"
                                       " from the address pool" % idx,
                                       errors.ECODE_STATE)
        lu.LogInfo("Chose IP %s from network %s", nic.ip, net.name)
    else:
        try:
            lu.cfg.ReserveIp(nic.network, nic.ip, ECId(lu),
                             check=conflicts_check)
        except errors.ReservationError:
            raise errors.OpPrereqError("IP address %s already in use or does"
                                       " not belong to network %s" %
                                       (nic.ip, net.name),
                                       errors.ECODE_NOTUNIQUE)


def ReserveNicAddresses(lu, nics: List[Any], node: Any,
                        conflicts_check: bool) -> None:
    """ReserveNicAddress for each NIC of a new instance."""
    for idx, nic in enumerate(nics):
        ReserveNicAddress(lu, idx, nic, node, conflicts_check)
