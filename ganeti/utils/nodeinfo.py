"""Facts of this Linux host (memory, CPUs), read from /proc and /sys.

A low module: the hypervisors and the node-side verify both use it.
"""

import os
from typing import Dict, Optional, Tuple

from ganeti.utils import io as utils_io


def ParseMeminfo(text: str) -> Dict[str, int]:
    """/proc/meminfo -> field name -> KiB."""
    result = {}
    for line in text.splitlines():
        name, _, value = line.partition(":")
        parts = value.split()
        if parts and parts[0].isdigit():
            result[name.strip()] = int(parts[0])
    return result


def ParseCpuinfo(text: str) -> Tuple[int, int]:
    """/proc/cpuinfo -> (logical CPUs, sockets)."""
    cpus = 0
    sockets = set()
    for line in text.splitlines():
        name, _, value = line.partition(":")
        name = name.strip()
        if name == "processor":
            cpus += 1
        elif name == "physical id":
            sockets.add(value.strip())
    return cpus, max(1, len(sockets))


def LinuxNodeInfo(meminfo: Optional[str] = None,
                  cpuinfo: Optional[str] = None) -> Dict[str, int]:
    """Memory (MiB) and CPU facts of this Linux host, in hv_info keys."""
    if meminfo is None:
        meminfo = utils_io.ReadFile("/proc/meminfo")
    if cpuinfo is None:
        cpuinfo = utils_io.ReadFile("/proc/cpuinfo")
    mem = ParseMeminfo(meminfo)
    cpus, sockets = ParseCpuinfo(cpuinfo)
    try:
        numa_nodes = len([name for name in os.listdir(
            "/sys/devices/system/node") if name.startswith("node")])
    except OSError:
        numa_nodes = 1
    free = mem.get("MemFree", 0) + mem.get("Buffers", 0) + \
        mem.get("Cached", 0)
    return {"memory_total": mem.get("MemTotal", 0) // 1024,
            "memory_free": free // 1024,
            "memory_dom0": mem.get("Active", 0) // 1024,
            "cpu_total": cpus, "cpu_nodes": max(1, numa_nodes),
            "cpu_sockets": sockets, "cpu_dom0": cpus}
