"""Network bookkeeping of the configuration: networks, their connections to
node groups and the addresses instance NICs hold in their pools.

NetworkConfigMixin is mixed into config.ConfigWriter (methods work on
``self._data`` under the writer's lock and persist through
``self._write()``).  Addresses chosen for an instance are first reserved
temporarily, per execution context (the job id), so that two jobs never
get the same one; they become part of the network's ``reservations`` when
the instance is added (AddInstance) or updated (Update with that ec_id),
and go back to the pool when it is removed (RemoveInstance).  What a job
reserved but did not commit is dropped when its opcode ends.
"""

import time
from typing import Any, Dict, Iterable, List, Optional, Tuple

from ganeti import errors
from ganeti import network
from ganeti import objects
from ganeti.config.instances import _locked

RESERVE_ACTION = "reserve"
RELEASE_ACTION = "release"


def InstanceNetworkIps(instance: Any) -> List[Tuple[str, str]]:
    """(network uuid, address) of each NIC of an instance on a network."""
    return [(nic.network, nic.ip) for nic in instance.nics or []
            if nic.network and nic.ip]


class NetworkConfigMixin:
    """Network methods of ConfigWriter (see the module doc)."""

    def _TempIps(self) -> Dict[Any, List[Tuple[str, str, str]]]:
        """{ec_id: [(action, network uuid, address)]}."""
        temp = getattr(self, "_temporary_ips", None)
        if temp is None:
            temp = self._temporary_ips = {}
        return temp

    def _Networks(self) -> Dict[str, objects.Network]:
        if self._data.networks is None:
            self._data.networks = {}
        return self._data.networks

    # -- lookups -----------------------------------------------------------

    @_locked
    def GetNetwork(self, net_uuid: str) -> Optional[objects.Network]:
        return self._Networks().get(net_uuid)

    @_locked
    def GetNetworkList(self) -> List[str]:
        return list(self._Networks())

    @_locked
    def LookupNetwork(self, target: str) -> str:
        """The uuid of a network given by name or uuid."""
        nets = self._Networks()
        if target in nets:
            return target
        for net in nets.values():
            if net.name == target:
                return net.uuid
        raise errors.OpPrereqError("Network '%s' not found" % target,
                                   errors.ECODE_NOENT)

    @_locked
    def GetGroupNetParams(self, net_uuid: str,
                          node_uuid: str) -> Optional[Dict[str, str]]:
        """The NIC parameters of a network in a node's group (None if the
        network is not connected to that group)."""
        node = self._data.nodes.get(node_uuid)
        group = self._data.nodegroups.get(node.group) if node else None
        if group is None:
            return None
        params = (group.networks or {}).get(net_uuid)
        return dict(params) if params is not None else None

    @_locked
    def CheckIPInNodeGroup(self, ip: str, node_uuid: str
                           ) -> Tuple[Optional[str], Optional[dict]]:
        """(network name, NIC parameters) of the network connected to the
        node's group that contains ip; (None, None) if there is none."""
        node = self._data.nodes.get(node_uuid)
        group = self._data.nodegroups.get(node.group) if node else None
        if group is None or ip is None:
            return (None, None)
        for net_uuid, params in (group.networks or {}).items():
            net = self._Networks().get(net_uuid)
            if net is not None and network.AddressPool.Contains(ip,
                                                                net.network):
                return (net.name, dict(params))
        return (None, None)

    # -- networks ----------------------------------------------------------

    @_locked
    def AddNetwork(self, net: objects.Network) -> None:
        if net.uuid in self._Networks():
            raise errors.ConfigurationError("Network uuid %s already in use"
                                            % net.uuid)
        objects.stamp_new(net)
        self._Networks()[net.uuid] = net
        self._data.cluster.serial_no += 1
        self._write()

    @_locked
    def RemoveNetwork(self, net_uuid: str) -> None:
        if self._Networks().pop(net_uuid, None) is None:
            raise errors.ConfigurationError("Unknown network %s" % net_uuid)
        self._data.cluster.serial_no += 1
        self._write()

    @_locked
    def RenameNetwork(self, net_uuid: str, new_name: str) -> None:
        net = self._Networks().get(net_uuid)
        if net is None:
            raise errors.ConfigurationError("Unknown network %s" % net_uuid)
        net.name = new_name
        net.serial_no = (net.serial_no or 0) + 1
        net.mtime = time.time()
        self._data.cluster.serial_no += 1
        self._write()

    # -- addresses ---------------------------------------------------------

    def _TempHolder(self, net_uuid: str, address: str) -> Optional[Any]:
        for ec_id, actions in self._TempIps().items():
            if (RESERVE_ACTION, net_uuid, address) in actions:
                return ec_id
        return None

    def _Pool(self, net_uuid: str) -> network.AddressPool:
        net = self._Networks().get(net_uuid)
        if net is None:
            raise errors.ReservationError("Unknown network %s" % net_uuid)
        return network.AddressPool(net)

    @_locked
    def GenerateIp(self, net_uuid: str, ec_id: Any) -> str:
        """A free address of the network, reserved for the job ec_id."""
        pool = self._Pool(net_uuid)
        for address in pool.FreeAddresses():
            if self._TempHolder(net_uuid, address) is None:
                self._TempIps().setdefault(ec_id, []).append(
                    (RESERVE_ACTION, net_uuid, address))
                return address
        raise errors.ReservationError("Cannot generate IP. Network is full")

    @_locked
    def ReserveIp(self, net_uuid: str, address: str, ec_id: Any,
                  check: bool = True) -> None:
        """Reserve a given address for the job ec_id (with check, an
        externally reserved one is refused too)."""
        pool = self._Pool(net_uuid)
        try:
            used = pool.IsReserved(address)
            external = pool.IsReserved(address, external=True)
        except errors.AddressPoolError:
            raise errors.ReservationError("IP address not in network")
        if used:
            raise errors.ReservationError("IP address already in use")
        if check and external:
            raise errors.ReservationError("IP is externally reserved")
        if self._TempHolder(net_uuid, address) is not None:
            raise errors.ReservationError("Duplicate reservation for resource"
                                          " '%s'" % address)
        self._TempIps().setdefault(ec_id, []).append(
            (RESERVE_ACTION, net_uuid, address))

    @_locked
    def ReleaseIp(self, net_uuid: str, address: str, ec_id: Any) -> None:
        """Give an instance's address back when the job's Update commits."""
        self._TempIps().setdefault(ec_id, []).append(
            (RELEASE_ACTION, net_uuid, address))

    @_locked
    def DropECReservations(self, ec_id: Any) -> None:
        """Forget what the job ec_id reserved but did not commit."""
        self._TempIps().pop(ec_id, None)

    def _MarkIps(self, pairs: Iterable[Tuple[str, str]], used: bool) -> None:
        """Reserve (used) or release addresses in their pools, in place;
        addresses already so (or outside their network) are left alone."""
        for net_uuid, address in pairs:
            net = self._Networks().get(net_uuid)
            if net is None:
                continue
            try:
                pool = network.AddressPool(net)
                if pool.IsReserved(address) != used:
                    if used:
                        pool.Reserve(address)
                    else:
                        pool.Release(address)
            except errors.AddressPoolError:
                continue

    def _CommitInstanceIps(self, instance: Any) -> None:
        """Make the instance's addresses used; drop their temporary
        reservations (whichever job made them)."""
        pairs = InstanceNetworkIps(instance)
        self._MarkIps(pairs, True)
        wanted = {(RESERVE_ACTION, n, a) for n, a in pairs}
        for actions in self._TempIps().values():
            actions[:] = [act for act in actions if act not in wanted]

    def _ReleaseInstanceIps(self, instance: Any) -> None:
        self._MarkIps(InstanceNetworkIps(instance), False)

    def _CommitTemporaryIps(self, ec_id: Any) -> None:
        """Apply the reservations and releases of the job ec_id."""
        for action, net_uuid, address in self._TempIps().pop(ec_id, []):
            self._MarkIps([(net_uuid, address)], action == RESERVE_ACTION)
