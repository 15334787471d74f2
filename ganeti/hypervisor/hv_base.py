"""The hypervisor interface every node-side hypervisor implements.

A hypervisor class declares its parameters once, in ``PARAMETERS``
(name -> ``Param``).  That one table drives:

- ``CheckParameterSyntax(hvparams)`` (classmethod, master side, no I/O):
  every declared key present, no unknown key, required values set, each
  value passes ``Param.check``;
- ``ValidateParameters(hvparams)`` (node side): ``Param.node_check`` (files
  exist, programs run...) for the values that are set;
- ``ParameterTypes()``: name -> value type (``VTYPE_*``), used to convert
  command-line strings (ForceDictType) and for the hv/* query fields.

The runtime API used by ganeti.backend.instance (upstream 3.0's names):

=============================================  ===============================
``StartInstance(instance, block_devices,       start; block_devices is a list
startup_paused)``                              of (disk dict, link, uri)
``StopInstance(instance, force=False,          soft stop (with ``timeout``:
retry=False, name=None, timeout=None)``        forced kill after it) or kill
``CleanupInstance(name)``                      remove leftovers of a stopped VM
``RebootInstance(instance)``                   hard restart (same runtime)
``ListInstances(hvparams=None)``               names of running instances
``GetInstanceInfo(name, hvparams=None)``       (name, id, memory MiB, vcpus,
                                               state, cpu_time) or None
``GetAllInstancesInfo(hvparams=None)``         list of such tuples
``GetNodeInfo(hvparams=None)``                 memory_total/free/dom0 (MiB),
                                               cpu_total/nodes/sockets/dom0
``GetInstanceConsole(instance, primary_node,   console dict (see
node_group, hvparams, beparams)``              ``MakeConsole``), classmethod
``Verify(hvparams=None)``                      None or a problem description
``MigrationInfo(instance)``                    opaque string for the target
``AcceptInstance(instance, info, target)``     target: get ready to receive
``MigrateInstance(cluster_name, instance,      source: start the transfer
target, live)``
``GetMigrationStatus(instance)``               dict status/transferred_ram/..
``FinalizeMigrationDst(instance, info,         target: keep or drop the VM
success)``
``FinalizeMigrationSource(instance, success,   source: drop or resume the VM
live)``
``BalloonInstanceMemory(instance, mem)``       change memory at runtime
``HotplugSupported(instance)`` /               hot-plugging (optional)
``HotAddDevice`` / ``HotDelDevice`` /
``HotModDevice``
``GetAncillaryFiles()``                        (files, optional files)
``PowercycleNode(hvparams=None)``              hard reset of the node
=============================================  ===============================

``instance`` is an ``objects.Instance`` with filled ``hvparams`` and
``beparams`` and NICs with filled ``nicparams``.  Errors are raised as
``errors.HypervisorError`` with a one-line message.
"""

import logging
import os
import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ganeti import constants
from ganeti import errors

# Upstream's HotplugError message for hypervisors without hot-plugging.
HOTPLUG_UNSUPPORTED = "Hotplug is not supported by this hypervisor"

# Value types of parameters (upstream's VTYPE_* names and values).
VTYPE_STRING = "string"
VTYPE_MAYBE_STRING = "maybe-string"
VTYPE_BOOL = "bool"
VTYPE_SIZE = "size"
VTYPE_INT = "int"
VTYPE_FLOAT = "float"

# Instance states reported by GetInstanceInfo.
class HvInstanceState:
    """Hypervisor-level state of a running instance (wire values)."""
    RUNNING = 0
    SHUTDOWN = 1   # the guest shut down, the VM process is still there

    @staticmethod
    def IsRunning(state: Any) -> bool:
        return state == HvInstanceState.RUNNING

    @staticmethod
    def IsShutdown(state: Any) -> bool:
        return state == HvInstanceState.SHUTDOWN


# Migration statuses (GetMigrationStatus).
HV_MIGRATION_ACTIVE = "active"
HV_MIGRATION_CANCELLED = "cancelled"
HV_MIGRATION_COMPLETED = "completed"
HV_MIGRATION_FAILED = "failed"
HV_MIGRATION_VALID_STATUSES = frozenset([
    HV_MIGRATION_ACTIVE, HV_MIGRATION_CANCELLED, HV_MIGRATION_COMPLETED,
    HV_MIGRATION_FAILED])
HV_MIGRATION_FAILED_STATUSES = frozenset([HV_MIGRATION_FAILED,
                                          HV_MIGRATION_CANCELLED])

# Console kinds (InstanceConsole.kind).
CONS_MESSAGE = "msg"
CONS_SSH = "ssh"
CONS_VNC = "vnc"
CONS_SPICE = "spice"
CONS_ALL = frozenset([CONS_MESSAGE, CONS_SSH, CONS_VNC, CONS_SPICE])
SSH_CONSOLE_USER = "root"
VNC_BASE_PORT = 5900

# NIC parameter keys.
NIC_MODE = "mode"
NIC_LINK = "link"
NIC_VLAN = "vlan"

# Parameter names shared by several hypervisors.
HV_MIGRATION_MODE = "migration_mode"
HV_MIGRATION_PORT = "migration_port"

BE_MAXMEM = "maxmem"
BE_MINMEM = "minmem"
BE_VCPUS = "vcpus"


# ----------------------------------------------------------------- parameters

Check = Callable[[Any], bool]


@dataclass(frozen=True)
class Param:
    """One hypervisor parameter: its type and how its value is checked.

    check/description: syntax check run anywhere (no I/O) and what it
    requires; node_check/node_description: validity on the node (files,
    programs).  required: an empty value is an error.
    """
    vtype: str
    check: Optional[Check] = None
    description: str = ""
    node_check: Optional[Check] = None
    node_description: str = ""
    required: bool = False


def _IsAbsPath(value: Any) -> bool:
    if not isinstance(value, str) or not os.path.isabs(value):
        return False
    return value == "/" or os.path.normpath(value) == value.rstrip("/")


def StringParam() -> Param:
    return Param(VTYPE_STRING, lambda v: isinstance(v, str), "must be a string")


def MaybeStringParam() -> Param:
    return Param(VTYPE_MAYBE_STRING, lambda v: v is None or isinstance(v, str),
                 "must be a string or None")


def BoolParam() -> Param:
    return Param(VTYPE_BOOL, lambda v: isinstance(v, bool), "must be a boolean")


def IntParam(minimum: Optional[int] = None,
             maximum: Optional[int] = None) -> Param:
    def check(value: Any) -> bool:
        if not isinstance(value, int) or isinstance(value, bool):
            return False
        return (minimum is None or value >= minimum) and \
            (maximum is None or value <= maximum)
    if minimum is not None and maximum is not None:
        what = "must be an integer between %d and %d" % (minimum, maximum)
    elif minimum == 0:
        what = "must be a non-negative integer"
    elif minimum == 1:
        what = "must be a positive integer"
    else:
        what = "must be an integer"
    return Param(VTYPE_INT, check, what)


def NetPortParam() -> Param:
    param = IntParam(1, 65535)
    return Param(VTYPE_INT, param.check, "must be a network port number")


def PathParam(required: bool = False, must_exist: bool = True,
              vtype: str = VTYPE_STRING) -> Param:
    """An absolute path; on the node it must be an existing file."""
    return Param(vtype, _IsAbsPath, "must be an absolute and normalized path",
                 os.path.isfile if must_exist else None,
                 "must be an existing regular file", required)


def DirParam(required: bool = False) -> Param:
    return Param(VTYPE_STRING, _IsAbsPath,
                 "must be an absolute and normalized path", os.path.isdir,
                 "must be an existing directory", required)


def ChoiceParam(values: Sequence[str], required: bool = False,
                vtype: str = VTYPE_STRING) -> Param:
    choices = frozenset(values)
    return Param(vtype, lambda v: v in choices,
                 "must be one of %s" % ", ".join(sorted(choices)),
                 required=required)


def IsCpuMask(value: Any) -> bool:
    """'all', or CPU lists/ranges ('0-2,5'), one per vCPU separated by ':'."""
    try:
        ParseMultiCpuMask(value)
    except (errors.HypervisorError, TypeError, ValueError):
        return False
    return True


def CpuMaskParam() -> Param:
    return Param(VTYPE_STRING, IsCpuMask,
                 "must be 'all' or a comma-separated list of CPUs and"
                 " ranges, optionally one list per vCPU separated by ':'")


CPU_ALL = -1


def ParseCpuMask(text: str) -> List[int]:
    """'0-2,5' -> [0, 1, 2, 5]; 'all' -> [CPU_ALL]."""
    text = text.strip()
    if text == "all":
        return [CPU_ALL]
    cpus: List[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            raise errors.HypervisorError("Empty element in CPU mask '%s'"
                                         % text)
        lo, sep, hi = part.partition("-")
        if not lo.isdigit() or (sep and not hi.isdigit()):
            raise errors.HypervisorError("Invalid CPU mask element '%s'"
                                         % part)
        first, last = int(lo), int(hi) if sep else int(lo)
        if last < first:
            raise errors.HypervisorError("Invalid CPU range '%s'" % part)
        cpus.extend(range(first, last + 1))
    return cpus


def ParseMultiCpuMask(text: str) -> List[List[int]]:
    """'0-1:3' -> [[0, 1], [3]] (one entry per vCPU, or one for all)."""
    if not isinstance(text, str):
        raise errors.HypervisorError("CPU mask must be a string")
    return [ParseCpuMask(part) for part in text.split(":")]


# ----------------------------------------------------------------- helpers

def MakeConsole(instance: str, kind: str, message: Optional[str] = None,
                host: Optional[str] = None, port: Optional[int] = None,
                user: Optional[str] = None,
                command: Optional[List[str]] = None,
                display: Optional[int] = None) -> Dict[str, Any]:
    """An InstanceConsole dict (only the fields that are set)."""
    if kind not in CONS_ALL:
        raise errors.ProgrammerError("Invalid console kind %r" % kind)
    result: Dict[str, Any] = {"instance": instance, "kind": kind}
    for key, value in (("message", message), ("host", host), ("port", port),
                       ("user", user), ("command", command),
                       ("display", display)):
        if value is not None:
            result[key] = value
    return result


def MigrationStatus(status: str, transferred_ram: Optional[int] = None,
                    total_ram: Optional[int] = None,
                    info: str = "") -> Dict[str, Any]:
    """A MigrationStatus dict (status one of HV_MIGRATION_VALID_STATUSES)."""
    if status not in HV_MIGRATION_VALID_STATUSES:
        raise errors.ProgrammerError("Invalid migration status %r" % status)
    result: Dict[str, Any] = {"status": status}
    if transferred_ram is not None:
        result["transferred_ram"] = transferred_ram
    if total_ram is not None:
        result["total_ram"] = total_ram
    if info:
        result["info"] = info
    return result


def GetField(obj: Any, name: str, default: Any = None) -> Any:
    """Attribute of a config object, or key of its dict form."""
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _NetworkEnv(netinfo: Any) -> Dict[str, str]:
    """NETWORK_* variables of a NIC's network (the hooks' names)."""
    if not netinfo:
        return {}
    env = {"NETWORK_NAME": str(GetField(netinfo, "name", "") or ""),
           "NETWORK_UUID": str(GetField(netinfo, "uuid", "") or "")}
    for key, var in (("network", "NETWORK_SUBNET"),
                     ("gateway", "NETWORK_GATEWAY"),
                     ("network6", "NETWORK_SUBNET6"),
                     ("gateway6", "NETWORK_GATEWAY6"),
                     ("mac_prefix", "NETWORK_MAC_PREFIX")):
        value = GetField(netinfo, key)
        if value:
            env[var] = str(value)
    tags = GetField(netinfo, "tags") or []
    env["NETWORK_TAGS"] = " ".join(tags)
    return env


def NicEnvironment(instance: Any, seq: int, nic: Any,
                   tap: str) -> Dict[str, str]:
    """Environment of the NIC set-up script (kvm-ifup's interface).

    INSTANCE, MAC, MODE, INTERFACE, INTERFACE_INDEX, INTERFACE_UUID, TAGS;
    IP, INTERFACE_NAME, LINK, VLAN, BRIDGE (bridged) and NETWORK_* when
    they apply.
    """
    nicparams = GetField(nic, "nicparams") or {}
    mode = nicparams.get(NIC_MODE, constants.NIC_MODE_BRIDGED)
    env = {
        "PATH": "%s:/sbin:/usr/sbin" % os.environ.get("PATH", "/bin:/usr/bin"),
        "INSTANCE": GetField(instance, "name"),
        "MAC": GetField(nic, "mac") or "",
        "MODE": mode,
        "INTERFACE": tap,
        "INTERFACE_INDEX": str(seq),
        "INTERFACE_UUID": GetField(nic, "uuid") or "",
        "TAGS": " ".join(GetField(instance, "tags") or []),
    }
    if GetField(nic, "ip"):
        env["IP"] = GetField(nic, "ip")
    if GetField(nic, "name"):
        env["INTERFACE_NAME"] = GetField(nic, "name")
    link = nicparams.get(NIC_LINK)
    if link:
        env["LINK"] = link
    if NIC_VLAN in nicparams:
        env["VLAN"] = nicparams.get(NIC_VLAN) or ""
    if GetField(nic, "network"):
        env.update(_NetworkEnv(GetField(nic, "netinfo")))
    if mode == constants.NIC_MODE_BRIDGED and link:
        env["BRIDGE"] = link
    return env


def LinuxNodeInfo() -> Dict[str, Any]:
    """Memory and CPU facts of this Linux host (node_info's hv keys)."""
    from ganeti.utils import nodeinfo  # pylint: disable=import-outside-toplevel
    return nodeinfo.LinuxNodeInfo()


_NAME_RE = re.compile(r"^[A-Za-z0-9_.+-]+$")


def CheckInstanceName(name: Any) -> str:
    """Instance names end up in file names: refuse anything odd."""
    if not isinstance(name, str) or not _NAME_RE.match(name) or \
            name in (".", ".."):
        raise errors.HypervisorError("Invalid instance name %r" % (name,))
    return name


# ----------------------------------------------------------------- the base

class BaseHypervisor:
    """Common behaviour; concrete hypervisors override the runtime calls."""

    NAME = ""
    PARAMETERS: Dict[str, Param] = {}
    CAN_MIGRATE = False
    ANCILLARY_FILES: List[str] = []
    ANCILLARY_FILES_OPT: List[str] = []

    # ---- parameters (declared once in PARAMETERS)

    @classmethod
    def ParameterTypes(cls) -> Dict[str, str]:
        """Parameter name -> VTYPE_*."""
        return {name: param.vtype for name, param in cls.PARAMETERS.items()}

    @staticmethod
    def _Unset(value: Any) -> bool:
        return value is None or value == ""

    @classmethod
    def CheckParameterSyntax(cls, hvparams: Dict[str, Any]) -> None:
        """Raise HypervisorError unless hvparams is a valid, complete set."""
        for key in hvparams:
            if key not in cls.PARAMETERS:
                raise errors.HypervisorError("Parameter '%s' is not supported"
                                             % key)
        for name, param in sorted(cls.PARAMETERS.items()):
            if name not in hvparams:
                raise errors.HypervisorError("Parameter '%s' is missing" % name)
            value = hvparams[name]
            if cls._Unset(value):
                if param.required:
                    raise errors.HypervisorError(
                        "Parameter '%s' is required but is currently not"
                        " defined" % name)
                continue
            if param.check is not None and not param.check(value):
                raise errors.HypervisorError(
                    "Parameter '%s' fails syntax check: %s (current value:"
                    " '%s')" % (name, param.description, value))

    @classmethod
    def ValidateParameters(cls, hvparams: Dict[str, Any]) -> None:
        """Node-side checks of the values that are set (files, programs)."""
        for name, param in sorted(cls.PARAMETERS.items()):
            value = hvparams.get(name)
            if cls._Unset(value) or param.node_check is None:
                continue
            if not param.node_check(value):
                raise errors.HypervisorError(
                    "Parameter '%s' fails validation: %s (current value:"
                    " '%s')" % (name, param.node_description, value))

    # ---- lifecycle

    def StartInstance(self, instance: Any, block_devices: Sequence,
                      startup_paused: bool) -> None:
        raise NotImplementedError

    def StopInstance(self, instance: Any, force: bool = False,
                     retry: bool = False, name: Optional[str] = None,
                     timeout: Optional[float] = None) -> None:
        raise NotImplementedError

    def CleanupInstance(self, instance_name: str) -> None:
        """Remove what a stopped instance left behind (optional)."""

    def RebootInstance(self, instance: Any) -> None:
        raise NotImplementedError

    def ListInstances(self, hvparams: Optional[Dict[str, Any]] = None
                      ) -> List[str]:
        raise NotImplementedError

    def GetInstanceInfo(self, instance_name: str,
                        hvparams: Optional[Dict[str, Any]] = None
                        ) -> Optional[Tuple]:
        raise NotImplementedError

    def GetAllInstancesInfo(self, hvparams: Optional[Dict[str, Any]] = None
                            ) -> List[Tuple]:
        result = []
        for name in self.ListInstances(hvparams=hvparams):
            info = self.GetInstanceInfo(name, hvparams=hvparams)
            if info is not None:
                result.append(info)
        return result

    def GetNodeInfo(self, hvparams: Optional[Dict[str, Any]] = None
                    ) -> Dict[str, Any]:
        return LinuxNodeInfo()

    @classmethod
    def GetInstanceConsole(cls, instance: Any, primary_node: Any,
                           node_group: Any, hvparams: Dict[str, Any],
                           beparams: Dict[str, Any]) -> Dict[str, Any]:
        return MakeConsole(GetField(instance, "name"), CONS_MESSAGE,
                           message="Console not available for %s hypervisor"
                           % cls.NAME)

    @classmethod
    def GetAncillaryFiles(cls) -> Tuple[List[str], List[str]]:
        return (list(cls.ANCILLARY_FILES), list(cls.ANCILLARY_FILES_OPT))

    def Verify(self, hvparams: Optional[Dict[str, Any]] = None
               ) -> Optional[str]:
        return None

    def BalloonInstanceMemory(self, instance: Any, mem: int) -> None:
        raise errors.HypervisorError("Memory ballooning is not supported by"
                                     " the %s hypervisor" % self.NAME)

    @classmethod
    def PowercycleNode(cls, hvparams: Optional[Dict[str, Any]] = None
                       ) -> None:
        raise errors.HypervisorError("Powercycle is not supported by the %s"
                                     " hypervisor" % cls.NAME)

    def InstanceStartupMemory(self, instance: Any) -> int:
        """Memory to start with: maxmem if free, never below minmem."""
        beparams = instance.beparams or {}
        try:
            free = self.GetNodeInfo(hvparams=instance.hvparams)["memory_free"]
        except (errors.GenericError, KeyError, OSError) as err:
            logging.warning("Can't get free memory, using maxmem: %s", err)
            free = beparams[BE_MAXMEM]
        return max(beparams[BE_MINMEM], min(beparams[BE_MAXMEM], free))

    # ---- migration

    def MigrationInfo(self, instance: Any) -> str:
        return ""

    def AcceptInstance(self, instance: Any, info: str, target: str) -> None:
        """Prepare to receive instance (nothing by default)."""

    def MigrateInstance(self, cluster_name: str, instance: Any, target: str,
                        live: bool) -> None:
        raise errors.HypervisorError("Migration is not supported by the %s"
                                     " hypervisor" % self.NAME)

    def GetMigrationStatus(self, instance: Any) -> Dict[str, Any]:
        return MigrationStatus(HV_MIGRATION_COMPLETED)

    def FinalizeMigrationDst(self, instance: Any, info: str,
                             success: bool) -> None:
        """Keep (success) or forget the received instance."""

    def FinalizeMigrationSource(self, instance: Any, success: bool,
                                live: bool) -> None:
        """Drop (success) or resume the source instance."""

    # ---- hotplug (upstream's message for a hypervisor without it)

    def HotplugSupported(self, instance: Any) -> None:
        """Raise HotplugError unless hot-plugging works for instance."""
        raise errors.HotplugError(HOTPLUG_UNSUPPORTED)

    def VerifyHotplugSupport(self, instance: Any, action: str,
                             dev_type: str) -> None:
        self.HotplugSupported(instance)

    def HotAddDevice(self, instance: Any, dev_type: str, device: Any,
                     extra: Any, seq: int) -> Any:
        raise errors.HotplugError(HOTPLUG_UNSUPPORTED)

    def HotDelDevice(self, instance: Any, dev_type: str, device: Any,
                     extra: Any, seq: int) -> Any:
        raise errors.HotplugError(HOTPLUG_UNSUPPORTED)

    def HotModDevice(self, instance: Any, dev_type: str, device: Any,
                     extra: Any, seq: int) -> Any:
        raise errors.HotplugError(HOTPLUG_UNSUPPORTED)

    def ResizeDisk(self, instance: Any, disk: Any, new_size: int) -> None:
        """Tell the running instance that its disk is now new_size MiB."""
        raise errors.HypervisorError("Online disk resize is not supported"
                                     " by the %s hypervisor" % self.NAME)
