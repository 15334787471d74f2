"""Host names, addresses and reachability checks."""

import errno
import ipaddress
import re
import socket
from typing import List, Optional

from ganeti import errors


_VALID_NAME_RE = re.compile(r"^[a-z0-9._-]{1,255}$")


def GetHostname(name: Optional[str] = None) -> "Hostname":
    return Hostname(name)


class Hostname:
    """A resolved host name: .name (FQDN) and .ip (first IPv4 address)."""

    def __init__(self, name: Optional[str] = None, family: int = socket.AF_INET):
        self.name = self.GetFqdn(name)
        self.ip = self.GetIP(self.name, family)

    @staticmethod
    def GetNormalizedName(hostname: str) -> str:
        """hostname lowercased and without a trailing dot.

        Raises OpPrereqError (ECODE_INVAL) unless it is 1-255 characters
        of a-z, 0-9, ".", "_" and "-" without an empty label.
        """
        name = hostname.lower()
        if not _VALID_NAME_RE.match(name) or ".." in name or \
                name.startswith("."):
            raise errors.OpPrereqError("Invalid hostname '%s'" % name,
                                       errors.ECODE_INVAL)
        return name.rstrip(".")

    @staticmethod
    def GetFqdn(name: Optional[str] = None) -> str:
        """The FQDN of name (normalized, see GetNormalizedName) or of this
        host."""
        given = name is not None
        if given:
            name = Hostname.GetNormalizedName(name)
        else:
            name = socket.gethostname()
        try:
            fqdn = socket.getfqdn(name)
        except OSError:
            fqdn = name
        # getfqdn may answer a different alias; prefer a name that has a dot.
        fqdn = fqdn if "." in fqdn or "." not in name else name
        return fqdn.lower().rstrip(".") if given else fqdn

    @staticmethod
    def GetIP(name: str, family: int = socket.AF_INET) -> str:
        try:
            infos = socket.getaddrinfo(name, None, family, socket.SOCK_STREAM)
        except socket.gaierror as err:
            raise errors.ResolverError(name, err.errno, err.strerror)
        if not infos:
            raise errors.ResolverError(name, 0, "No address found")
        return infos[0][4][0]


def IsValidIP4(address: str) -> bool:
    try:
        ipaddress.IPv4Address(address)
        return True
    except ValueError:
        return False


def IsValidIP(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
        return True
    except ValueError:
        return False


def IsLoopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def TcpPing(target: str, port: int, timeout: float = 10.0,
            live_port_needed: bool = False, source: Optional[str] = None) -> bool:
    """True if something answers at target:port (or refuses, unless
    live_port_needed: a refusal still proves the host is up)."""
    family = socket.AF_INET6 if ":" in target else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        if source is not None:
            try:
                sock.bind((source, 0))
            except OSError as err:
                if err.errno == errno.EADDRNOTAVAIL:
                    return False
                raise
        try:
            sock.connect((target, port))
            return True
        except socket.timeout:
            return False
        except OSError as err:
            return (not live_port_needed and
                    err.errno in (errno.ECONNREFUSED, errno.ECONNRESET))
    finally:
        sock.close()


def OwnIpAddress(address: str) -> bool:
    """True if this machine has address configured on one of its interfaces."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.bind((address, 0))
        return True
    except OSError:
        return False
    finally:
        sock.close()


def FormatAddress(host: str, port: Optional[int] = None) -> str:
    if ":" in host:
        host = "[%s]" % host
    return host if port is None else "%s:%d" % (host, port)


def ValidateNetmask(netmask: int, family: int = 2) -> bool:
    limit = 32 if family == 2 else 128
    return isinstance(netmask, int) and 0 < netmask <= limit


def ListInterfaces() -> List[str]:
    return [name for _, name in socket.if_nameindex()]
