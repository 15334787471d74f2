"""Where a KVM instance's files live and the runtime file that describes it.

Per instance, below the KVM run directory (pathutils.KVM_RUN_DIR,
/var/run/ganeti/kvm-hypervisor):

  pid/<name>              pid of the qemu process (written by qemu)
  ctrl/<name>.qmp         QMP socket (ganeti's own control channel)
  ctrl/<name>.monitor     human monitor socket (for administrators)
  ctrl/<name>.serial      serial console socket (if serial_console)
  ctrl/<name>.qga         guest agent socket (if use_guest_agent)
  conf/<name>.runtime     runtime file (below)
  nic/<name>/<index>      name of the tap device of NIC <index>
  chroot/<name>           chroot directory (if use_chroot)

The runtime file is JSON ``[kvm_cmd, nics, hvparams, disks]``, upstream's
layout: the qemu command line without disks, NICs and migration options;
the NICs as dicts (with ``hvinfo``: driver, id, bus, addr); the filled
hvparams the instance was started with; and the disks as ``[disk dict,
link, uri]``.  The node daemon finds running instances again after a
restart from the pid files and these runtime files; migration sends the
runtime file to the target so it starts an identical qemu.
"""

import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from ganeti import errors
from ganeti import pathutils
from ganeti.hypervisor import hv_base
from ganeti.utils import io as utils_io
from ganeti.utils import process as utils_process

# Unix socket paths must fit in sockaddr_un.sun_path (108 bytes with NUL).
MAX_SOCKET_PATH = 107

_SUBDIRS = ("pid", "ctrl", "conf", "nic", "chroot")


class KvmPaths:
    """The files of one instance below a KVM run directory."""

    def __init__(self, run_dir: str, name: str) -> None:
        self.run_dir = run_dir
        self.name = hv_base.CheckInstanceName(name)

    def _Ctrl(self, suffix: str) -> str:
        return os.path.join(self.run_dir, "ctrl", self.name + suffix)

    @property
    def pidfile(self) -> str:
        return os.path.join(self.run_dir, "pid", self.name)

    @property
    def qmp(self) -> str:
        return self._Ctrl(".qmp")

    @property
    def monitor(self) -> str:
        return self._Ctrl(".monitor")

    @property
    def serial(self) -> str:
        return self._Ctrl(".serial")

    @property
    def qga(self) -> str:
        return self._Ctrl(".qga")

    @property
    def runtime(self) -> str:
        return os.path.join(self.run_dir, "conf", self.name + ".runtime")

    @property
    def nic_dir(self) -> str:
        return os.path.join(self.run_dir, "nic", self.name)

    @property
    def chroot(self) -> str:
        return os.path.join(self.run_dir, "chroot", self.name)

    @property
    def log(self) -> str:
        return os.path.join(pathutils.LOG_DIR, "kvm", self.name + ".log")

    def Sockets(self) -> List[str]:
        return [self.qmp, self.monitor, self.serial, self.qga]

    def EnsureDirs(self) -> None:
        for sub in _SUBDIRS:
            os.makedirs(os.path.join(self.run_dir, sub), mode=0o755,
                        exist_ok=True)
        os.makedirs(os.path.dirname(self.log), mode=0o750, exist_ok=True)
        for sock in self.Sockets():
            if len(sock.encode("utf-8")) > MAX_SOCKET_PATH:
                raise errors.HypervisorError(
                    "Socket path %s is longer than %d bytes; use a shorter"
                    " instance name or run directory" % (sock,
                                                         MAX_SOCKET_PATH))

    # ---- NIC tap names

    def WriteTap(self, index: int, tap: str) -> None:
        os.makedirs(self.nic_dir, mode=0o755, exist_ok=True)
        utils_io.WriteFile(os.path.join(self.nic_dir, str(index)),
                           data=tap + "\n")

    def ReadTaps(self) -> Dict[int, str]:
        result = {}
        try:
            entries = os.listdir(self.nic_dir)
        except FileNotFoundError:
            return {}
        for entry in entries:
            if entry.isdigit():
                try:
                    result[int(entry)] = utils_io.ReadFile(
                        os.path.join(self.nic_dir, entry)).strip()
                except OSError:
                    continue
        return result

    def RemoveFiles(self, keep_runtime: bool = False) -> None:
        """Remove the pid file, sockets, tap records (and runtime file)."""
        for path in [self.pidfile] + self.Sockets():
            utils_io.RemoveFile(path)
        if not keep_runtime:
            utils_io.RemoveFile(self.runtime)
        if os.path.isdir(self.nic_dir):
            for entry in os.listdir(self.nic_dir):
                utils_io.RemoveFile(os.path.join(self.nic_dir, entry))
            try:
                os.rmdir(self.nic_dir)
            except OSError:
                pass
        try:
            os.rmdir(self.chroot)
        except OSError:
            pass


# --------------------------------------------------------------- runtime file

@dataclass
class KvmRuntime:
    """What a qemu process was started with (see the module docstring)."""
    cmd: List[Any]
    nics: List[Dict[str, Any]] = field(default_factory=list)
    hvparams: Dict[str, Any] = field(default_factory=dict)
    disks: List[List[Any]] = field(default_factory=list)

    def ToText(self) -> str:
        return json.dumps([self.cmd, self.nics, self.hvparams, self.disks],
                          indent=2, sort_keys=False) + "\n"

    @classmethod
    def FromText(cls, text: str) -> "KvmRuntime":
        try:
            data = json.loads(text)
        except ValueError as err:
            raise errors.HypervisorError("Invalid KVM runtime data: %s" % err)
        if not isinstance(data, list) or len(data) not in (3, 4) or \
                not isinstance(data[0], list):
            raise errors.HypervisorError("Invalid KVM runtime data: expected"
                                         " [cmd, nics, hvparams, disks]")
        disks = data[3] if len(data) == 4 else []
        return cls(cmd=list(data[0]), nics=list(data[1] or []),
                   hvparams=dict(data[2] or {}), disks=list(disks or []))

    def Save(self, paths: KvmPaths) -> None:
        utils_io.WriteFile(paths.runtime, data=self.ToText(), mode=0o600)

    @classmethod
    def Load(cls, paths: KvmPaths) -> "KvmRuntime":
        try:
            text = utils_io.ReadFile(paths.runtime)
        except OSError as err:
            raise errors.HypervisorError("Failed to load KVM runtime file of"
                                         " instance %s: %s" % (paths.name,
                                                               err))
        return cls.FromText(text)


# ------------------------------------------------------------------ processes

def ReadCmdline(pid: int) -> List[str]:
    """argv of a process ([] if it is gone)."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            raw = handle.read()
    except OSError:
        return []
    return [arg.decode("utf-8", "replace") for arg in raw.split(b"\0")
            if arg]


def OptionValue(argv: List[str], option: str) -> Optional[str]:
    """The value following the last occurrence of option in argv."""
    value = None
    for idx, arg in enumerate(argv[:-1]):
        if arg == option:
            value = argv[idx + 1]
    return value


def CmdlineName(argv: List[str]) -> Optional[str]:
    value = OptionValue(argv, "-name")
    if value is None:
        return None
    # "-name guest=NAME,debug-threads=on" or "-name NAME,process=..."
    first = value.split(",")[0]
    return first[len("guest="):] if first.startswith("guest=") else first


def ParseMemory(value: Optional[str]) -> int:
    """-m argument -> MiB ('512', '512M', '1G', 'size=512M,...')."""
    if not value:
        return 0
    first = value.split(",")[0]
    if first.startswith("size="):
        first = first[5:]
    units = {"k": 1.0 / 1024, "m": 1, "g": 1024, "t": 1024 * 1024}
    suffix = first[-1:].lower()
    try:
        if suffix in units:
            return int(float(first[:-1]) * units[suffix])
        return int(first)
    except ValueError:
        return 0


def ParseSmp(value: Optional[str]) -> int:
    """-smp argument -> vCPU count ('2', '2,cores=2', 'cpus=2,...')."""
    if not value:
        return 0
    for part in value.split(","):
        if part.isdigit():
            return int(part)
        if part.startswith("cpus="):
            try:
                return int(part[5:])
            except ValueError:
                return 0
    return 0


def CpuTime(pid: int) -> float:
    """User + system CPU seconds of a process (0 if unknown)."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return 0.0
    return ticks / float(os.sysconf("SC_CLK_TCK"))


def InstancePid(paths: KvmPaths) -> Tuple[int, bool, List[str]]:
    """(pid, alive, argv) of an instance's qemu.

    Alive means: the process exists and its command line names this
    instance (a recycled pid is not taken for our VM).
    """
    pid = utils_process.ReadPidFile(paths.pidfile)
    if pid <= 0 or not utils_process.IsProcessAlive(pid):
        return pid, False, []
    argv = ReadCmdline(pid)
    if CmdlineName(argv) != paths.name:
        return pid, False, []
    return pid, True, argv


def ListPidNames(run_dir: str) -> List[str]:
    """Names with a pid file below run_dir (alive or not)."""
    try:
        entries = os.listdir(os.path.join(run_dir, "pid"))
    except FileNotFoundError:
        return []
    return sorted(e for e in entries if not e.startswith("."))
