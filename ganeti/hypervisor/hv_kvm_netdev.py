"""Tap devices for KVM NICs.

Each NIC gets a persistent tap (``ip tuntap add``) named ``tap<N>``; qemu
opens it by name (``-netdev tap,ifname=...``).  The tap is then connected
by the kvm-ifup logic (ganeti.tools.kvm_ifup) with upstream's environment
(INTERFACE, MODE, LINK, IP, MAC, ...), or by the administrator's
``<CONF_DIR>/kvm-vif-bridge`` script when that file is executable.
"""

import logging
import os
import threading
from typing import Any, Callable, List, Optional, Set

from ganeti import errors
from ganeti import pathutils
from ganeti.hypervisor import hv_base
from ganeti.tools import kvm_ifup
from ganeti.utils import process as utils_process

TAP_PREFIX = "tap"
MAX_TAPS = 4096

_tap_lock = threading.Lock()


def _Ip(args: List[str]) -> utils_process.RunResult:
    return utils_process.RunCmd(["ip"] + args, timeout=30)


def ParseLinkNames(text: str) -> Set[str]:
    """Interface names from ``ip -o link show`` ("3: name@peer: <...")."""
    names = set()
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3 and parts[0].strip().isdigit():
            names.add(parts[1].strip().split("@", 1)[0])
    return names


def LinkNames() -> Set[str]:
    """The network interfaces of our namespace (asked to the kernel)."""
    result = _Ip(["-o", "link", "show"])
    if result.failed:
        raise errors.HypervisorError("Can't list network interfaces: %s"
                                     % result.output.strip())
    return ParseLinkNames(result.stdout)


def CreateTap(vnet_hdr: bool = True, multi_queue: bool = False,
              list_links: Callable[[], Set[str]] = LinkNames) -> str:
    """Create a persistent tap device and return its name."""
    flags = []
    if vnet_hdr:
        flags.append("vnet_hdr")
    if multi_queue:
        flags.append("multi_queue")
    with _tap_lock:
        existing = list_links()
        last_error = ""
        for idx in range(MAX_TAPS):
            name = "%s%d" % (TAP_PREFIX, idx)
            if name in existing:
                continue
            result = _Ip(["tuntap", "add", "dev", name, "mode", "tap"] + flags)
            if not result.failed:
                return name
            last_error = result.output.strip() or result.fail_reason
            existing = list_links()
            if name not in existing:
                break  # a real failure, not a race on the name
        raise errors.HypervisorError("Can't create a tap device: %s"
                                     % last_error)


def RemoveTap(name: str) -> None:
    """Delete a tap (missing ones are fine)."""
    if not name:
        return
    result = _Ip(["link", "del", name])
    if result.failed and "Cannot find device" not in result.output:
        logging.warning("Can't remove tap %s: %s", name, result.output.strip())


def _UserScript() -> Optional[str]:
    path = os.path.join(pathutils.CONF_DIR, "kvm-vif-bridge")
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return path
    return None


def ConfigureNic(instance: Any, seq: int, nic: Any, tap: str) -> None:
    """Connect tap as the NIC's parameters say (kvm-ifup semantics)."""
    env = hv_base.NicEnvironment(instance, seq, nic, tap)
    script = _UserScript()
    if script is not None:
        result = utils_process.RunCmd([script], env=env, timeout=60)
        if result.failed:
            raise errors.HypervisorError(
                "Failed to configure interface %s: %s; network configuration"
                " script output: %s" % (tap, result.fail_reason,
                                        result.output.strip()))
        return
    try:
        kvm_ifup.SetupInterface(env)
    except errors.HypervisorError as err:
        raise errors.HypervisorError("Failed to configure interface %s: %s"
                                     % (tap, err))
