"""kvm-ifup: connect a KVM instance's tap device to the node's network.

Configured entirely through the environment (the interface upstream's
kvm-ifup script has): INTERFACE (the tap), MODE (bridged, routed or
openvswitch), LINK (bridge, routing table or switch), IP, MAC, VLAN,
INSTANCE, INTERFACE_INDEX, ...

- bridged: the tap joins bridge LINK (VLAN: ".N" untagged access port,
  ":N:M" tagged trunk, ".N:M" both, via ``bridge vlan``);
- routed: proxy ARP/NDP and forwarding on the tap, a host route to IP
  (in routing table LINK when given);
- openvswitch: the tap is added to switch LINK (tag from VLAN).

The KVM hypervisor calls SetupInterface() in-process; this module's main()
serves the tools/kvm-ifup wrapper for administrators and scripts.
"""

import os
import sys
from typing import Callable, Dict, List, Optional, Sequence

from ganeti import errors
from ganeti.utils import process as utils_process

RunFn = Callable[[List[str]], object]


class IfupError(errors.HypervisorError):
    """The interface could not be set up."""


def _Run(cmd: List[str], run: Optional[RunFn] = None) -> None:
    if run is not None:
        run(cmd)
        return
    result = utils_process.RunCmd(cmd, timeout=30)
    if result.failed:
        raise IfupError("Command '%s' failed: %s; output: %s"
                        % (" ".join(cmd), result.fail_reason,
                           result.output.strip()))


def _WriteSysctl(path: str, value: str) -> None:
    """Set a /proc/sys knob (not a file that must survive a crash)."""
    try:
        with open(path, "w") as handle:
            handle.write(value)
    except OSError as err:
        raise IfupError("Can't set %s: %s" % (path, err))


def ParseVlan(vlan: str) -> List[tuple]:
    """VLAN spec -> [(vid, untagged)] (".10" access, ":10:20" trunk)."""
    vlan = (vlan or "").strip()
    if not vlan:
        return []
    result = []
    rest = vlan
    if vlan[0].isdigit():
        rest = "." + vlan
    if rest.startswith("."):
        untagged, _, tagged = rest[1:].partition(":")
        if not untagged.isdigit():
            raise IfupError("Invalid VLAN specification '%s'" % vlan)
        result.append((int(untagged), True))
        rest = (":" + tagged) if tagged else ""
    for part in rest.split(":")[1:]:
        if not part.isdigit():
            raise IfupError("Invalid VLAN specification '%s'" % vlan)
        result.append((int(part), False))
    return result


def IsBridge(name: str) -> bool:
    """Whether name is a bridge in our network namespace.

    Asks the kernel through ``ip``: /sys/class/net shows the namespace
    sysfs was mounted in, which need not be ours.
    """
    result = utils_process.RunCmd(["ip", "-o", "link", "show", "dev", name,
                                   "type", "bridge"], timeout=30)
    return not result.failed and bool(result.stdout.strip())


def _Bridged(env: Dict[str, str], run: Optional[RunFn],
             is_bridge: Callable[[str], bool]) -> None:
    tap, link = env["INTERFACE"], env.get("LINK", "")
    if not link:
        raise IfupError("No bridge (LINK) given for interface %s" % tap)
    if not is_bridge(link):
        raise IfupError("Bridge %s does not exist on this node" % link)
    _Run(["ip", "link", "set", tap, "master", link], run)
    for vid, untagged in ParseVlan(env.get("VLAN", "")):
        cmd = ["bridge", "vlan", "add", "dev", tap, "vid", str(vid)]
        if untagged:
            cmd += ["pvid", "untagged"]
        _Run(cmd, run)


def _Routed(env: Dict[str, str], run: Optional[RunFn],
            proc_root: str) -> None:
    tap = env["INTERFACE"]
    conf4 = os.path.join(proc_root, "sys/net/ipv4/conf", tap)
    _WriteSysctl(os.path.join(conf4, "proxy_arp"), "1")
    _WriteSysctl(os.path.join(conf4, "forwarding"), "1")
    ip = env.get("IP", "")
    if not ip:
        return
    table = env.get("LINK", "")
    if ":" in ip:
        conf6 = os.path.join(proc_root, "sys/net/ipv6/conf", tap)
        _WriteSysctl(os.path.join(conf6, "proxy_ndp"), "1")
        _WriteSysctl(os.path.join(conf6, "forwarding"), "1")
        cmd = ["ip", "-6", "route", "replace", ip + "/128", "dev", tap]
    else:
        cmd = ["ip", "route", "replace", ip + "/32", "dev", tap]
    if table:
        cmd += ["table", table]
    _Run(cmd, run)


def _OpenVswitch(env: Dict[str, str], run: Optional[RunFn]) -> None:
    tap, link = env["INTERFACE"], env.get("LINK", "")
    if not link:
        raise IfupError("No switch (LINK) given for interface %s" % tap)
    cmd = ["ovs-vsctl", "--may-exist", "add-port", link, tap]
    vlans = ParseVlan(env.get("VLAN", ""))
    untagged = [vid for vid, untag in vlans if untag]
    tagged = [vid for vid, untag in vlans if not untag]
    if untagged:
        cmd += ["tag=%d" % untagged[0]]
    if tagged:
        cmd += ["trunks=%s" % ",".join(str(v) for v in tagged)]
    _Run(cmd, run)


def SetupInterface(env: Dict[str, str], run: Optional[RunFn] = None,
                   is_bridge: Callable[[str], bool] = IsBridge,
                   proc_root: str = "/proc") -> None:
    """Bring the tap INTERFACE up and connect it as MODE says."""
    tap = env.get("INTERFACE", "")
    if not tap:
        raise IfupError("No INTERFACE given")
    mode = env.get("MODE", "bridged")
    _Run(["ip", "link", "set", tap, "up"], run)
    if mode == "bridged":
        _Bridged(env, run, is_bridge)
    elif mode == "routed":
        _Routed(env, run, proc_root)
    elif mode == "openvswitch":
        _OpenVswitch(env, run)
    else:
        raise IfupError("Unknown NIC mode '%s' for interface %s" % (mode,
                                                                    tap))


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    env = dict(os.environ)
    if args and not env.get("INTERFACE"):
        env["INTERFACE"] = args[0]  # like upstream: tap name as argument
    try:
        SetupInterface(env)
    except errors.GenericError as err:
        sys.stderr.write("kvm-ifup: %s\n" % err)
        return 1
    return 0
