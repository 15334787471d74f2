"""IP address pools of networks (upstream 3.0's AddressPool).

A network's config.data entry keeps two bit strings, one character per
address of its IPv4 subnet: ``reservations`` (addresses used by instance
NICs) and ``ext_reservations`` (addresses reserved externally: the network
and broadcast addresses, the gateway, node and master addresses, and what
the administrator reserved).  An address is free when it is in neither.
"""

import ipaddress
import re
from typing import Any, Iterator, List, Optional

from ganeti import errors

# Networks larger than a /16 or smaller than a /30 are refused (upstream's
# IPV4_NETWORK_MAX_SIZE and IPV4_NETWORK_MIN_SIZE).
IPV4_NETWORK_MAX_SIZE = 16
IPV4_NETWORK_MIN_SIZE = 30

_MAC_PREFIX_RE = re.compile(r"^([0-9a-f]{2}:){2}[0-9a-f]{2}$")


def NormalizeMacPrefix(prefix: str) -> str:
    """A three-octet MAC prefix in lower case; OpPrereqError if invalid."""
    norm = (prefix or "").lower()
    if not _MAC_PREFIX_RE.match(norm):
        raise errors.OpPrereqError("Invalid MAC address prefix '%s'" % prefix,
                                   errors.ECODE_INVAL)
    return norm


class AddressPool:
    """The address pool of one network object (edited in place)."""

    FREE = "0"
    RESERVED = "1"

    def __init__(self, net: Any) -> None:
        self.net = net
        try:
            self.network = ipaddress.IPv4Network(net.network, strict=False)
        except (ValueError, TypeError) as err:
            raise errors.AddressPoolError("Invalid network '%s': %s" %
                                          (net.network, err))
        if self.network.prefixlen < IPV4_NETWORK_MAX_SIZE:
            raise errors.AddressPoolError(
                "A big network with %s host(s) is currently not supported."
                " please specify at most a /%s network" %
                (self.network.num_addresses, IPV4_NETWORK_MAX_SIZE))
        if self.network.prefixlen > IPV4_NETWORK_MIN_SIZE:
            raise errors.AddressPoolError(
                "A network with only %s host(s) is too small, please specify"
                " at least a /%s network" %
                (self.network.num_addresses, IPV4_NETWORK_MIN_SIZE))
        size = self.network.num_addresses
        if net.reservations is None:
            net.reservations = self.FREE * size
        if net.ext_reservations is None:
            net.ext_reservations = self.FREE * size
        self._res = list(net.reservations)
        self._ext = list(net.ext_reservations)
        if len(self._res) != size or len(self._ext) != size:
            raise errors.AddressPoolError(
                "The reservations of network '%s' do not match its size %d" %
                (net.name, size))

    @classmethod
    def InitializeNetwork(cls, net: Any) -> "AddressPool":
        """A fresh pool: network, broadcast and gateway externally reserved."""
        net.reservations = None
        net.ext_reservations = None
        pool = cls(net)
        for addr in (pool.network[0], pool.network[-1]):
            pool.Reserve(str(addr), external=True)
        if net.gateway is not None:
            pool.Reserve(net.gateway, external=True)
        return pool

    @staticmethod
    def Contains(address: Optional[str], network: str) -> bool:
        """Whether address lies in the network (False for bad input)."""
        try:
            return (ipaddress.IPv4Address(address) in
                    ipaddress.IPv4Network(network, strict=False))
        except (ValueError, TypeError):
            return False

    # -- internals ---------------------------------------------------------

    def _Index(self, address: str) -> int:
        try:
            addr = ipaddress.IPv4Address(address)
        except (ValueError, TypeError):
            raise errors.AddressPoolError("Invalid IP address '%s'" % address)
        if addr not in self.network:
            raise errors.AddressPoolError("%s does not contain %s" %
                                          (self.network, addr))
        return int(addr) - int(self.network.network_address)

    def _Mark(self, address: str, value: str, external: bool) -> None:
        idx = self._Index(address)
        bits = self._ext if external else self._res
        bits[idx] = value
        if external:
            self.net.ext_reservations = "".join(bits)
        else:
            self.net.reservations = "".join(bits)

    def _Used(self, idx: int) -> bool:
        return self.RESERVED in (self._res[idx], self._ext[idx])

    # -- queries -----------------------------------------------------------

    def IsReserved(self, address: str, external: bool = False) -> bool:
        """Whether an instance (or, external, the administrator) holds it."""
        idx = self._Index(address)
        bits = self._ext if external else self._res
        return bits[idx] == self.RESERVED

    def GetSize(self) -> int:
        return len(self._res)

    def GetReservedCount(self) -> int:
        return sum(1 for idx in range(len(self._res)) if self._Used(idx))

    def GetFreeCount(self) -> int:
        return self.GetSize() - self.GetReservedCount()

    def IsFull(self) -> bool:
        return self.GetFreeCount() == 0

    def GetMap(self) -> str:
        """One character per address: "X" used or reserved, "." free."""
        return "".join("X" if self._Used(idx) else "."
                       for idx in range(len(self._res)))

    def GetExternalReservations(self) -> List[str]:
        return [str(self.network[idx]) for idx, bit in enumerate(self._ext)
                if bit == self.RESERVED]

    def GetInstanceReservations(self) -> List[str]:
        return [str(self.network[idx]) for idx, bit in enumerate(self._res)
                if bit == self.RESERVED]

    def FreeAddresses(self) -> Iterator[str]:
        """The free addresses, lowest first."""
        for idx in range(len(self._res)):
            if not self._Used(idx):
                yield str(self.network[idx])

    # -- changes -----------------------------------------------------------

    def Reserve(self, address: str, external: bool = False) -> None:
        if self.IsReserved(address, external):
            if external:
                msg = "IP %s is already externally reserved" % address
            else:
                msg = "IP %s is already used by an instance" % address
            raise errors.AddressPoolError(msg)
        self._Mark(address, self.RESERVED, external)

    def Release(self, address: str, external: bool = False) -> None:
        if not self.IsReserved(address, external):
            if external:
                msg = "IP %s is not externally reserved" % address
            else:
                msg = "IP %s is not used by an instance" % address
            raise errors.AddressPoolError(msg)
        self._Mark(address, self.FREE, external)

    def GetFreeAddress(self) -> str:
        """Reserve (for an instance) and return the lowest free address."""
        for address in self.FreeAddresses():
            self.Reserve(address)
            return address
        raise errors.AddressPoolError("%s is full" % self.network)


def HooksDict(net: Any, prefix: str = "") -> dict:
    """The <prefix>NETWORK_* hook variables of a network object (upstream's
    Network.HooksDict: the instance hooks of a NIC on a network)."""
    result = {"%sNETWORK_NAME" % prefix: net.name,
              "%sNETWORK_UUID" % prefix: net.uuid,
              "%sNETWORK_TAGS" % prefix: " ".join(net.tags or [])}
    for attr, var in (("network", "SUBNET"), ("gateway", "GATEWAY"),
                      ("network6", "SUBNET6"), ("gateway6", "GATEWAY6"),
                      ("mac_prefix", "MAC_PREFIX")):
        value = getattr(net, attr, None)
        if value:
            result["%sNETWORK_%s" % (prefix, var)] = value
    return result
