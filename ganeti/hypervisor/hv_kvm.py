"""The KVM hypervisor: instances are qemu-system processes on this node.

- start: runtime (hv_kvm_cmdline.BuildRuntime) saved to the runtime file,
  one tap per NIC (hv_kvm_netdev), qemu run with ``-daemonize`` and a pid
  file; controlled through QMP (hv_kvm_qmp) on ``ctrl/<name>.qmp``;
- stop: ACPI power-down through QMP, then SIGKILL once the timeout passed;
- live migration: the target runs the source's runtime with
  ``-incoming tcp:<ip>:<migration_port>``, the source is told to
  ``migrate`` (with migration_bandwidth MiB/s, migration_downtime ms and
  migration_caps), the master polls ``query-migrate``, and both sides are
  finalized (source killed, or target killed and source resumed).

``kvm_flag=disabled`` gives TCG (``-machine accel=tcg``), the same code
path as hardware virtualisation.
"""

import logging
import os
import pwd
import signal
import threading
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti import pathutils
from ganeti.hypervisor import hv_base
from ganeti.hypervisor import hv_kvm_cmdline as cmdline
from ganeti.hypervisor import hv_kvm_netdev as netdev
from ganeti.hypervisor import hv_kvm_qmp as qmp
from ganeti.hypervisor.hv_kvm_hotplug import KvmHotplugMixin
from ganeti.hypervisor.hv_kvm_runtime import (KvmPaths, KvmRuntime,
                                              InstancePid, ListPidNames,
                                              OptionValue, ParseMemory,
                                              ParseSmp, CpuTime)
from ganeti.utils import io as utils_io
from ganeti.utils import process as utils_process

P = hv_base
C = cmdline

SOCAT_PATH = "/usr/bin/socat"
SOCAT_CONSOLE_OPTIONS = "raw,echo=0,escape=0x1d"   # Ctrl-] ends the session

VALID_SERIAL_SPEEDS = [75, 110, 300, 600, 1200, 1800, 2400, 4800, 9600,
                       14400, 19200, 28800, 38400, 57600, 115200, 230400,
                       345600, 460800]
KVM_DISK_TYPES = ["ide", "mtd", "paravirtual", "pflash", "scsi", "sd",
                  "scsi-generic", "scsi-block", "scsi-hd", "scsi-cd"]
KVM_NIC_TYPES = sorted(C.NIC_DRIVERS)
SPICE_LOSSLESS = ["auto_glz", "auto_lz", "glz", "lz", "off", "quic"]
SPICE_LOSSY = ["always", "auto", "never"]
SPICE_VIDEO = ["all", "filter", "off"]

_START_TIMEOUT = 60.0        # qemu -daemonize returns once initialised
_QMP_TIMEOUT = 10.0
_KILL_TIMEOUT = 10.0
_MB = 1024 * 1024


def _IsVncBind(value: Any) -> bool:
    """An IP address (or 0.0.0.0/::) or an absolute directory for sockets."""
    if not isinstance(value, str):
        return False
    if value.startswith("/"):
        return True
    import ipaddress
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _IsMigrationCaps(value: Any) -> bool:
    return isinstance(value, str) and all(
        cap and cap.replace("-", "").replace("_", "").isalnum()
        for cap in value.split(":"))


def _IsExecutable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _Choice(values: Sequence, vtype: str = P.VTYPE_STRING) -> P.Param:
    return P.ChoiceParam([v for v in values], vtype=vtype)


_PARAMETERS: Dict[str, P.Param] = {
    C.HV_ACPI: P.BoolParam(),
    C.HV_BOOT_ORDER: _Choice(["cdrom", "disk", "floppy", "network"]),
    C.HV_CDROM2_IMAGE_PATH: P.PathParam(),
    C.HV_CDROM_DISK_TYPE: _Choice(KVM_DISK_TYPES),
    C.HV_CDROM_IMAGE_PATH: P.PathParam(),
    C.HV_CPU_CORES: P.IntParam(0),
    C.HV_CPU_MASK: P.CpuMaskParam(),
    C.HV_CPU_SOCKETS: P.IntParam(0),
    C.HV_CPU_THREADS: P.IntParam(0),
    C.HV_CPU_TYPE: P.StringParam(),
    C.HV_DISK_AIO: _Choice(["threads", "native"]),
    C.HV_DISK_CACHE: _Choice(["default", "none", "writeback",
                              "writethrough"]),
    C.HV_DISK_DISCARD: _Choice(["default", "ignore", "unmap"]),
    C.HV_DISK_TYPE: _Choice(KVM_DISK_TYPES),
    C.HV_FLOPPY_IMAGE_PATH: P.PathParam(),
    C.HV_INITRD_PATH: P.PathParam(),
    C.HV_KERNEL_ARGS: P.StringParam(),
    C.HV_KERNEL_PATH: P.PathParam(),
    C.HV_KEYMAP: P.StringParam(),
    C.HV_KVM_EXTRA: P.StringParam(),
    C.HV_KVM_FLAG: _Choice([C.KVM_FLAG_ENABLED, C.KVM_FLAG_DISABLED]),
    C.HV_KVM_PATH: P.Param(P.VTYPE_STRING, P.PathParam().check,
                           "must be an absolute and normalized path",
                           _IsExecutable, "must be an executable file",
                           required=True),
    C.HV_KVM_PCI_RESERVATIONS: P.IntParam(0, C.QEMU_PCI_SLOTS),
    C.HV_MACHINE_VERSION: P.StringParam(),
    C.HV_MEM_PATH: P.DirParam(),
    C.HV_MIGRATION_BANDWIDTH: P.IntParam(1),
    C.HV_MIGRATION_CAPS: P.Param(P.VTYPE_STRING, _IsMigrationCaps,
                                 "must be a ':'-separated list of migration"
                                 " capabilities"),
    C.HV_MIGRATION_DOWNTIME: P.IntParam(1),
    P.HV_MIGRATION_MODE: _Choice(constants.HT_MIGRATION_MODES),
    P.HV_MIGRATION_PORT: P.NetPortParam(),
    C.HV_NIC_TYPE: _Choice(KVM_NIC_TYPES),
    C.HV_REBOOT_BEHAVIOR: _Choice(["reboot", "exit"]),
    C.HV_ROOT_PATH: P.MaybeStringParam(),
    C.HV_SCSI_CONTROLLER_TYPE: _Choice(["lsi", "virtio-scsi-pci",
                                        "megasas"]),
    C.HV_SECURITY_DOMAIN: P.StringParam(),
    C.HV_SECURITY_MODEL: _Choice([C.SM_NONE, C.SM_USER, C.SM_POOL]),
    C.HV_SERIAL_CONSOLE: P.BoolParam(),
    C.HV_SERIAL_SPEED: P.Param(P.VTYPE_INT, lambda v: v in VALID_SERIAL_SPEEDS,
                               "must be one of %s" % ", ".join(
                                   str(s) for s in VALID_SERIAL_SPEEDS)),
    C.HV_SOUNDHW: P.StringParam(),
    C.HV_SPICE_BIND: P.StringParam(),
    "spice_image_compression": _Choice(SPICE_LOSSLESS),
    C.HV_SPICE_IP_VERSION: P.Param(P.VTYPE_INT, lambda v: v in (0, 4, 6),
                                   "must be 0, 4 or 6"),
    "spice_jpeg_wan_compression": _Choice(SPICE_LOSSY),
    C.HV_SPICE_PASSWORD_FILE: P.PathParam(),
    "spice_playback_compression": P.BoolParam(),
    "spice_streaming_video": _Choice(SPICE_VIDEO),
    "spice_tls_ciphers": P.StringParam(),
    "spice_use_tls": P.BoolParam(),
    "spice_use_vdagent": P.BoolParam(),
    "spice_zlib_glz_wan_compression": _Choice(SPICE_LOSSY),
    C.HV_USB_DEVICES: P.StringParam(),
    C.HV_USB_MOUSE: _Choice(["mouse", "tablet"]),
    C.HV_USE_CHROOT: P.BoolParam(),
    C.HV_USE_GUEST_AGENT: P.BoolParam(),
    C.HV_USE_LOCALTIME: P.BoolParam(),
    C.HV_USER_SHUTDOWN: P.BoolParam(),
    C.HV_VGA: P.StringParam(),
    C.HV_VHOST_NET: P.BoolParam(),
    C.HV_VIRTIO_NET_QUEUES: P.IntParam(1, 8),
    C.HV_VNC_BIND_ADDRESS: P.Param(P.VTYPE_STRING, _IsVncBind,
                                   "must be an IP address or an absolute"
                                   " path"),
    C.HV_VNC_PASSWORD_FILE: P.PathParam(),
    C.HV_VNC_TLS: P.BoolParam(),
    C.HV_VNC_X509: P.DirParam(),
    C.HV_VNC_X509_VERIFY: P.BoolParam(),
    C.HV_VNET_HDR: P.BoolParam(),
}


def _FileSize(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _ReadFrom(path: str, offset: int, limit: int = 2000) -> str:
    """What qemu wrote to its log since offset (for error messages)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            text = handle.read(limit).decode("utf-8", "replace")
    except OSError:
        return ""
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def _LocalizeRuntime(runtime: KvmRuntime, paths: KvmPaths) -> None:
    """Point a runtime (maybe from another node) at this node's run dir.

    Nodes normally share the same layout; a node relocated below another
    root (or a test) has its files elsewhere.  The source's run dir is
    read back from the -pidfile argument.
    """
    pidfile = OptionValue([str(a) for a in runtime.cmd], "-pidfile")
    suffix = os.path.join("pid", paths.name)
    if not pidfile or not pidfile.endswith("/" + suffix):
        return
    old_dir = pidfile[:-len(suffix) - 1]
    if old_dir == paths.run_dir:
        return
    runtime.cmd = [arg.replace(old_dir + "/", paths.run_dir + "/")
                   if isinstance(arg, str) else arg for arg in runtime.cmd]


def _NodeGroupSshPort(primary_node: Any, node_group: Any) -> int:
    ndparams: Dict[str, Any] = {}
    for obj in (node_group, primary_node):
        params = P.GetField(obj, "ndparams") if obj is not None else None
        ndparams.update(params or {})
    return int(ndparams.get("ssh_port", 22))


class KVMHypervisor(KvmHotplugMixin, hv_base.BaseHypervisor):
    """qemu-system processes driven through QMP."""

    NAME = "kvm"
    CAN_MIGRATE = True
    PARAMETERS = _PARAMETERS

    def __init__(self, run_dir: Optional[str] = None) -> None:
        self._run_dir = run_dir
        self._features: Dict[Tuple[str, float], Tuple[Any, str]] = {}
        self._lock = threading.Lock()

    @property
    def run_dir(self) -> str:
        return self._run_dir or pathutils.KVM_RUN_DIR

    def _Paths(self, name: str) -> KvmPaths:
        return KvmPaths(self.run_dir, name)

    # ---- parameters

    @classmethod
    def CheckParameterSyntax(cls, hvparams: Dict[str, Any]) -> None:
        super().CheckParameterSyntax(hvparams)
        order = hvparams[C.HV_BOOT_ORDER]
        if not hvparams[C.HV_KERNEL_PATH]:
            if order == C.BOOT_CDROM and not hvparams[C.HV_CDROM_IMAGE_PATH]:
                raise errors.HypervisorError("Cannot boot from cdrom without"
                                             " an ISO path")
            if order == C.BOOT_FLOPPY and \
                    not hvparams[C.HV_FLOPPY_IMAGE_PATH]:
                raise errors.HypervisorError("Cannot boot from floppy"
                                             " without a floppy image path")
        model = hvparams[C.HV_SECURITY_MODEL]
        if model == C.SM_USER and not hvparams[C.HV_SECURITY_DOMAIN]:
            raise errors.HypervisorError("A security domain (user to run"
                                         " kvm as) must be specified for the"
                                         " 'user' security model")
        if model != C.SM_USER and hvparams[C.HV_SECURITY_DOMAIN]:
            raise errors.HypervisorError("A security domain can only be"
                                         " given with the 'user' security"
                                         " model")
        if not hvparams[C.HV_VNC_BIND_ADDRESS]:
            for key in (C.HV_VNC_TLS, C.HV_VNC_X509, C.HV_VNC_X509_VERIFY,
                        C.HV_VNC_PASSWORD_FILE):
                if hvparams[key]:
                    raise errors.HypervisorError("'%s' needs a VNC bind"
                                                 " address" % key)
        if not hvparams[C.HV_SPICE_BIND]:
            for key in (C.HV_SPICE_IP_VERSION, C.HV_SPICE_PASSWORD_FILE,
                        "spice_image_compression",
                        "spice_jpeg_wan_compression",
                        "spice_zlib_glz_wan_compression",
                        "spice_streaming_video", "spice_use_tls"):
                if hvparams[key]:
                    raise errors.HypervisorError("'%s' needs a SPICE bind"
                                                 " address (spice_bind)"
                                                 % key)

    @classmethod
    def ValidateParameters(cls, hvparams: Dict[str, Any]) -> None:
        super().ValidateParameters(hvparams)
        if hvparams.get(C.HV_SECURITY_MODEL) == C.SM_USER:
            user = hvparams.get(C.HV_SECURITY_DOMAIN)
            try:
                pwd.getpwnam(user)
            except KeyError:
                raise errors.HypervisorError("Unknown user %s (security"
                                             " domain)" % user)

    # ---- qemu features

    def _Features(self, kvm_path: str) -> Tuple[cmdline.KvmFeatures, str]:
        """(features, default machine) of a qemu binary (cached)."""
        try:
            mtime = os.stat(kvm_path).st_mtime
        except OSError as err:
            raise errors.HypervisorError("Can't use KVM binary %s: %s"
                                         % (kvm_path, err))
        key = (kvm_path, mtime)
        with self._lock:
            if key in self._features:
                return self._features[key]
        result = utils_process.RunCmd([kvm_path, "--help"], timeout=30)
        if result.failed:
            raise errors.HypervisorError("Unable to get KVM help output: %s"
                                         % (result.fail_reason,))
        features = cmdline.ParseHelp(result.stdout)
        machine = ""
        if features.Has("-machine") or features.Has("-M"):
            mres = utils_process.RunCmd([kvm_path, "-machine", "help"],
                                        timeout=30)
            if not mres.failed:
                machine = cmdline.ParseMachines(mres.stdout)[0]
        with self._lock:
            self._features[key] = (features, machine)
        return features, machine

    # ---- starting

    def _TapFlags(self, hvp: Dict[str, Any], ndict: Dict[str, Any]
                  ) -> Tuple[bool, bool]:
        virtio = (ndict.get("hvinfo") or {}).get("driver") == "virtio-net-pci"
        queues = int(hvp.get(C.HV_VIRTIO_NET_QUEUES) or 1) if virtio else 1
        return bool(hvp.get(C.HV_VNET_HDR, True)) and virtio, queues > 1

    def _RemoveTaps(self, paths: KvmPaths) -> None:
        for tap in paths.ReadTaps().values():
            netdev.RemoveTap(tap)

    def _ExecuteRuntime(self, instance: Any, runtime: KvmRuntime,
                        incoming: Optional[Tuple[str, int]] = None,
                        paused: bool = False) -> None:
        """Create taps, save the runtime file and run qemu."""
        paths = self._Paths(instance.name)
        paths.EnsureDirs()
        self._RemoveTaps(paths)
        paths.RemoveFiles(keep_runtime=True)
        if runtime.hvparams.get(C.HV_USE_CHROOT):
            os.makedirs(paths.chroot, mode=0o755, exist_ok=True)
        features, _ = self._Features(str(runtime.cmd[0]))
        taps: Dict[int, str] = {}
        try:
            for idx, ndict in enumerate(runtime.nics):
                vnet_hdr, multi_queue = self._TapFlags(runtime.hvparams, ndict)
                taps[idx] = netdev.CreateTap(vnet_hdr, multi_queue)
                paths.WriteTap(idx, taps[idx])
                netdev.ConfigureNic(instance, idx, objects.NIC.FromDict(ndict),
                                    taps[idx])
            _LocalizeRuntime(runtime, paths)
            argv = cmdline.ExecArgs(runtime, features, taps,
                                    incoming=incoming, paused=paused,
                                    qmp_socket=paths.qmp)
            runtime.Save(paths)
            log_start = _FileSize(paths.log)
            result = utils_process.RunCmd(argv, output=paths.log,
                                          timeout=_START_TIMEOUT)
            if result.failed:
                raise errors.HypervisorError(
                    "Failed to start instance %s: %s (%s)"
                    % (instance.name, result.fail_reason,
                       _ReadFrom(paths.log, log_start)))
            pid, alive, _ = InstancePid(paths)
            if not alive:
                raise errors.HypervisorError("Failed to start instance %s:"
                                             " qemu exited (pid %s)"
                                             % (instance.name, pid))
        except BaseException:
            for tap in taps.values():
                netdev.RemoveTap(tap)
            pid, alive, _ = InstancePid(paths)
            if alive:
                utils_process.KillProcess(pid, signal.SIGKILL,
                                          timeout=_KILL_TIMEOUT)
            paths.RemoveFiles()
            raise

    def _PostStart(self, instance: Any, startup_mem: Optional[int]) -> None:
        """Passwords, CPU pinning and initial balloon size."""
        hvp = instance.hvparams or {}
        paths = self._Paths(instance.name)
        commands: List[Tuple[str, Dict[str, Any]]] = []
        if hvp.get(C.HV_VNC_PASSWORD_FILE):
            password = utils_io.ReadOneLineFile(hvp[C.HV_VNC_PASSWORD_FILE])
            commands.append(("change-vnc-password", {"password": password}))
        if hvp.get(C.HV_SPICE_PASSWORD_FILE):
            password = utils_io.ReadOneLineFile(hvp[C.HV_SPICE_PASSWORD_FILE])
            commands.append(("set_password", {"protocol": "spice",
                                              "password": password}))
        maxmem = (instance.beparams or {}).get(P.BE_MAXMEM)
        if startup_mem and maxmem and startup_mem < maxmem:
            commands.append(("balloon", {"value": startup_mem * _MB}))
        mask = hvp.get(C.HV_CPU_MASK) or "all"
        if not commands and mask == "all":
            return
        with qmp.QmpConnection(paths.qmp, timeout=_QMP_TIMEOUT) as conn:
            for command, args in commands:
                try:
                    conn.Execute(command, args)
                except qmp.QmpCommandError as err:
                    logging.warning("Instance %s: %s", instance.name, err)
            if mask != "all":
                self._PinVcpus(instance.name, conn, mask)

    @staticmethod
    def _PinVcpus(name: str, conn: qmp.QmpConnection, mask: str) -> None:
        masks = P.ParseMultiCpuMask(mask)
        try:
            cpus = conn.Execute("query-cpus-fast")
        except qmp.QmpCommandError:
            cpus = conn.Execute("query-cpus")
        if len(masks) > 1 and len(masks) != len(cpus):
            raise errors.HypervisorError("Instance %s: cpu_mask has %d"
                                         " entries for %d vCPUs"
                                         % (name, len(masks), len(cpus)))
        for idx, cpu in enumerate(cpus):
            mask_cpus = masks[idx] if len(masks) > 1 else masks[0]
            thread = cpu.get("thread-id") or cpu.get("thread_id")
            if thread and mask_cpus != [P.CPU_ALL]:
                os.sched_setaffinity(thread, mask_cpus)

    def StartInstance(self, instance: Any, block_devices: Sequence,
                      startup_paused: bool) -> None:
        paths = self._Paths(instance.name)
        _, alive, _ = InstancePid(paths)
        if alive:
            raise errors.HypervisorError("Failed to start instance %s: already"
                                         " running" % instance.name)
        hvp = instance.hvparams or {}
        features, machine = self._Features(hvp.get(C.HV_KVM_PATH) or
                                           pathutils.KVM_PATH)
        startup_mem = self.InstanceStartupMemory(instance)
        runtime = cmdline.BuildRuntime(instance, block_devices, features,
                                       paths, machine_default=machine)
        self._ExecuteRuntime(instance, runtime, paused=startup_paused)
        try:
            self._PostStart(instance, startup_mem)
        except errors.GenericError:
            self.StopInstance(instance, force=True)
            raise

    # ---- stopping

    def _WaitForExit(self, pid: int, paths: KvmPaths, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        delay = 0.01
        while True:
            if not InstancePid(paths)[1]:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(delay)
            delay = min(delay * 2, 0.25)

    def StopInstance(self, instance: Any, force: bool = False,
                     retry: bool = False, name: Optional[str] = None,
                     timeout: Optional[float] = None) -> None:
        """ACPI power-down (or kill with force); kill after timeout."""
        name = name or instance.name
        paths = self._Paths(name)
        pid, alive, _ = InstancePid(paths)
        if alive:
            acpi = True
            if instance is not None:
                acpi = (instance.hvparams or {}).get(C.HV_ACPI, True)
            if force:
                utils_process.KillProcess(pid, signal.SIGKILL,
                                          timeout=_KILL_TIMEOUT)
            elif not acpi:
                utils_process.KillProcess(pid, signal.SIGTERM,
                                          timeout=timeout or _KILL_TIMEOUT)
            else:
                try:
                    qmp.Run(paths.qmp, "system_powerdown",
                            timeout=_QMP_TIMEOUT)
                except qmp.QmpError as err:
                    logging.warning("ACPI power-down of %s failed: %s", name,
                                    err)
                if timeout is not None and \
                        not self._WaitForExit(pid, paths, timeout):
                    logging.info("Instance %s did not power down in %ss,"
                                 " killing it", name, timeout)
                    utils_process.KillProcess(pid, signal.SIGKILL,
                                              timeout=_KILL_TIMEOUT)
            alive = InstancePid(paths)[1]
        if not alive:
            self.CleanupInstance(name)

    def CleanupInstance(self, instance_name: str) -> None:
        paths = self._Paths(instance_name)
        if InstancePid(paths)[1]:
            return
        self._RemoveTaps(paths)
        paths.RemoveFiles()

    def RebootInstance(self, instance: Any) -> None:
        """Kill qemu and start it again with the same runtime."""
        paths = self._Paths(instance.name)
        pid, alive, _ = InstancePid(paths)
        if not alive:
            raise errors.HypervisorError("Failed to reboot instance %s: not"
                                         " running" % instance.name)
        runtime = KvmRuntime.Load(paths)
        utils_process.KillProcess(pid, signal.SIGKILL, timeout=_KILL_TIMEOUT)
        if not self._WaitForExit(pid, paths, _KILL_TIMEOUT):
            raise errors.HypervisorError("Failed to reboot instance %s: the"
                                         " old process did not exit"
                                         % instance.name)
        self._ExecuteRuntime(instance, runtime)
        self._PostStart(instance, None)

    # ---- information

    def ListInstances(self, hvparams: Optional[Dict[str, Any]] = None
                      ) -> List[str]:
        return [name for name in ListPidNames(self.run_dir)
                if InstancePid(self._Paths(name))[1]]

    def GetInstanceInfo(self, instance_name: str,
                        hvparams: Optional[Dict[str, Any]] = None
                        ) -> Optional[Tuple]:
        paths = self._Paths(instance_name)
        pid, alive, argv = InstancePid(paths)
        if not alive:
            return None
        memory = ParseMemory(OptionValue(argv, "-m"))
        vcpus = ParseSmp(OptionValue(argv, "-smp"))
        state = P.HvInstanceState.RUNNING
        try:
            with qmp.QmpConnection(paths.qmp, timeout=2.0) as conn:
                status = conn.Execute("query-status")
                if status.get("status") == "shutdown":
                    state = P.HvInstanceState.SHUTDOWN
                try:
                    actual = conn.Execute("query-balloon").get("actual")
                    if actual:
                        memory = int(actual) // _MB
                except qmp.QmpCommandError:
                    pass
        except qmp.QmpError as err:
            logging.debug("No QMP data for %s: %s", instance_name, err)
        return (instance_name, pid, memory, vcpus, state, CpuTime(pid))

    def GetNodeInfo(self, hvparams: Optional[Dict[str, Any]] = None
                    ) -> Dict[str, Any]:
        info = P.LinuxNodeInfo()
        kvm_path = (hvparams or {}).get(C.HV_KVM_PATH) or pathutils.KVM_PATH
        try:
            info["hv_version"] = list(self._Features(kvm_path)[0].version)
        except errors.HypervisorError as err:
            logging.debug("No KVM version: %s", err)
        return info

    @classmethod
    def GetInstanceConsole(cls, instance: Any, primary_node: Any,
                           node_group: Any, hvparams: Dict[str, Any],
                           beparams: Dict[str, Any]) -> Dict[str, Any]:
        name = P.GetField(instance, "name")
        node_name = P.GetField(primary_node, "name")
        if hvparams.get(C.HV_SERIAL_CONSOLE):
            serial = KvmPaths(pathutils.KVM_RUN_DIR, name).serial
            command = [SOCAT_PATH, "STDIO,%s" % SOCAT_CONSOLE_OPTIONS,
                       "UNIX-CONNECT:%s" % serial]
            return P.MakeConsole(name, P.CONS_SSH, host=node_name,
                                 port=_NodeGroupSshPort(primary_node,
                                                        node_group),
                                 user=P.SSH_CONSOLE_USER, command=command)
        port = P.GetField(instance, "network_port")
        if hvparams.get(C.HV_SPICE_BIND) and port:
            return P.MakeConsole(name, P.CONS_SPICE,
                                 host=hvparams[C.HV_SPICE_BIND], port=port)
        vnc_bind = hvparams.get(C.HV_VNC_BIND_ADDRESS)
        if vnc_bind and not vnc_bind.startswith("/") and port:
            host = node_name if vnc_bind in ("0.0.0.0", "::") else vnc_bind
            return P.MakeConsole(name, P.CONS_VNC, host=host, port=port,
                                 display=port - P.VNC_BASE_PORT)
        return P.MakeConsole(name, P.CONS_MESSAGE,
                             message="No serial shell for instance %s" % name)

    def Verify(self, hvparams: Optional[Dict[str, Any]] = None
               ) -> Optional[str]:
        kvm_path = (hvparams or {}).get(C.HV_KVM_PATH) or pathutils.KVM_PATH
        problems = []
        if not _IsExecutable(kvm_path):
            problems.append("The KVM binary ('%s') does not exist or is not"
                            " executable" % kvm_path)
        else:
            try:
                self._Features(kvm_path)
            except errors.HypervisorError as err:
                problems.append(str(err))
        if not _IsExecutable(SOCAT_PATH):
            problems.append("The socat binary ('%s') does not exist"
                            % SOCAT_PATH)
        return "; ".join(problems) if problems else None

    def BalloonInstanceMemory(self, instance: Any, mem: int) -> None:
        paths = self._Paths(instance.name)
        if not InstancePid(paths)[1]:
            raise errors.HypervisorError("Instance %s is not running"
                                         % instance.name)
        qmp.Run(paths.qmp, "balloon", {"value": int(mem) * _MB},
                timeout=_QMP_TIMEOUT)

    # ---- migration

    def MigrationInfo(self, instance: Any) -> str:
        """The runtime file: the target starts the same qemu from it."""
        paths = self._Paths(instance.name)
        try:
            return utils_io.ReadFile(paths.runtime)
        except OSError as err:
            raise errors.HypervisorError("Can't read the runtime of instance"
                                         " %s: %s" % (instance.name, err))

    def AcceptInstance(self, instance: Any, info: str, target: str) -> None:
        paths = self._Paths(instance.name)
        if InstancePid(paths)[1]:
            raise errors.HypervisorError("Can't accept instance %s: already"
                                         " running here" % instance.name)
        runtime = KvmRuntime.FromText(info)
        port = int((instance.hvparams or {}).get(
            P.HV_MIGRATION_PORT, runtime.hvparams.get(P.HV_MIGRATION_PORT)))
        self._ExecuteRuntime(instance, runtime, incoming=(target, port))

    def MigrateInstance(self, cluster_name: str, instance: Any, target: str,
                        live: bool) -> None:
        paths = self._Paths(instance.name)
        if not InstancePid(paths)[1]:
            raise errors.HypervisorError("Instance %s not running, cannot"
                                         " migrate" % instance.name)
        hvp = instance.hvparams or {}
        port = int(hvp[P.HV_MIGRATION_PORT])
        host = "[%s]" % target if ":" in target else target
        with qmp.QmpConnection(paths.qmp, timeout=_QMP_TIMEOUT) as conn:
            if not live:
                conn.Execute("stop")
            caps = [c for c in (hvp.get(C.HV_MIGRATION_CAPS) or "").split(":")
                    if c]
            if caps:
                conn.Execute("migrate-set-capabilities", {"capabilities": [
                    {"capability": cap, "state": True} for cap in caps]})
            bandwidth = int(hvp.get(C.HV_MIGRATION_BANDWIDTH, 32)) * _MB
            downtime = int(hvp.get(C.HV_MIGRATION_DOWNTIME, 30))
            try:
                conn.Execute("migrate-set-parameters",
                             {"max-bandwidth": bandwidth,
                              "downtime-limit": downtime})
            except qmp.QmpCommandError:  # qemu < 2.8
                conn.Execute("migrate_set_speed", {"value": bandwidth})
                conn.Execute("migrate_set_downtime",
                             {"value": downtime / 1000.0})
            conn.Execute("migrate", {"uri": "tcp:%s:%d" % (host, port)})

    def GetMigrationStatus(self, instance: Any) -> Dict[str, Any]:
        paths = self._Paths(instance.name)
        try:
            info = qmp.Run(paths.qmp, "query-migrate", timeout=_QMP_TIMEOUT)
        except qmp.QmpError as err:
            return P.MigrationStatus(P.HV_MIGRATION_FAILED, info=str(err))
        status = info.get("status")
        ram = info.get("ram") or {}
        if status == "completed":
            result = P.HV_MIGRATION_COMPLETED
        elif status == "failed":
            result = P.HV_MIGRATION_FAILED
        elif status in ("cancelled", "cancelling"):
            result = P.HV_MIGRATION_CANCELLED
        elif status is None:
            result = P.HV_MIGRATION_FAILED
        else:
            result = P.HV_MIGRATION_ACTIVE
        extra = info.get("error-desc") or ""
        answer = P.MigrationStatus(result, ram.get("transferred"),
                                   ram.get("total"), extra)
        for key in ("downtime", "total-time"):
            if key in info:
                answer[key.replace("-", "_")] = info[key]
        return answer

    def _VmStatus(self, paths: KvmPaths) -> str:
        return qmp.Run(paths.qmp, "query-status",
                       timeout=_QMP_TIMEOUT).get("status", "")

    def FinalizeMigrationDst(self, instance: Any, info: str,
                             success: bool) -> None:
        paths = self._Paths(instance.name)
        if not success:
            self.StopInstance(instance, force=True)
            return
        if not InstancePid(paths)[1]:
            raise errors.HypervisorError("Migrated instance %s is not running"
                                         " on the target" % instance.name)
        deadline = time.monotonic() + _QMP_TIMEOUT
        status = self._VmStatus(paths)
        while status == "inmigrate" and time.monotonic() < deadline:
            time.sleep(0.05)
            status = self._VmStatus(paths)
        if status in ("paused", "postmigrate", "finish-migrate"):
            qmp.Run(paths.qmp, "cont", timeout=_QMP_TIMEOUT)
        self._PostStart(instance, None)

    def FinalizeMigrationSource(self, instance: Any, success: bool,
                                live: bool) -> None:
        paths = self._Paths(instance.name)
        pid, alive, _ = InstancePid(paths)
        if success:
            if alive:
                utils_process.KillProcess(pid, signal.SIGKILL,
                                          timeout=_KILL_TIMEOUT)
            self.CleanupInstance(instance.name)
            return
        if alive and self._VmStatus(paths) != "running":
            qmp.Run(paths.qmp, "cont", timeout=_QMP_TIMEOUT)
