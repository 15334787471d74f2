"""The qemu command line of a KVM instance, from its hvparams.

Two steps, so that a migration target can start an identical qemu:

- ``BuildRuntime`` (at instance start) makes the runtime (hv_kvm_runtime):
  the base command line (everything but disks, NICs and migration
  options) plus the NIC and disk descriptions with their PCI placement;
- ``ExecArgs`` turns a runtime into the argv actually executed, adding
  disks, NICs (tap names known only then), ``-S`` and ``-incoming``.

What the installed qemu understands is learnt from its ``--help`` text
(``ParseHelp``) and its machine list (``ParseMachines``).
"""

import re
import shlex
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ganeti import errors
from ganeti.hypervisor import hv_base
from ganeti.hypervisor.hv_kvm_runtime import KvmPaths, KvmRuntime

# hvparam names (upstream's names; they are the interface)
HV_ACPI = "acpi"
HV_BOOT_ORDER = "boot_order"
HV_CDROM2_IMAGE_PATH = "cdrom2_image_path"
HV_CDROM_DISK_TYPE = "cdrom_disk_type"
HV_CDROM_IMAGE_PATH = "cdrom_image_path"
HV_CPU_CORES = "cpu_cores"
HV_CPU_MASK = "cpu_mask"
HV_CPU_SOCKETS = "cpu_sockets"
HV_CPU_THREADS = "cpu_threads"
HV_CPU_TYPE = "cpu_type"
HV_DISK_AIO = "disk_aio"
HV_DISK_CACHE = "disk_cache"
HV_DISK_DISCARD = "disk_discard"
HV_DISK_TYPE = "disk_type"
HV_FLOPPY_IMAGE_PATH = "floppy_image_path"
HV_INITRD_PATH = "initrd_path"
HV_KERNEL_ARGS = "kernel_args"
HV_KERNEL_PATH = "kernel_path"
HV_KEYMAP = "keymap"
HV_KVM_EXTRA = "kvm_extra"
HV_KVM_FLAG = "kvm_flag"
HV_KVM_PATH = "kvm_path"
HV_KVM_PCI_RESERVATIONS = "kvm_pci_reservations"
HV_MACHINE_VERSION = "machine_version"
HV_MEM_PATH = "mem_path"
HV_MIGRATION_BANDWIDTH = "migration_bandwidth"
HV_MIGRATION_CAPS = "migration_caps"
HV_MIGRATION_DOWNTIME = "migration_downtime"
HV_NIC_TYPE = "nic_type"
HV_REBOOT_BEHAVIOR = "reboot_behavior"
HV_ROOT_PATH = "root_path"
HV_SCSI_CONTROLLER_TYPE = "scsi_controller_type"
HV_SECURITY_DOMAIN = "security_domain"
HV_SECURITY_MODEL = "security_model"
HV_SERIAL_CONSOLE = "serial_console"
HV_SERIAL_SPEED = "serial_speed"
HV_SOUNDHW = "soundhw"
HV_SPICE_BIND = "spice_bind"
HV_SPICE_IP_VERSION = "spice_ip_version"
HV_SPICE_PASSWORD_FILE = "spice_password_file"
HV_USB_DEVICES = "usb_devices"
HV_USB_MOUSE = "usb_mouse"
HV_USE_CHROOT = "use_chroot"
HV_USE_GUEST_AGENT = "use_guest_agent"
HV_USE_LOCALTIME = "use_localtime"
HV_USER_SHUTDOWN = "user_shutdown"
HV_VGA = "vga"
HV_VHOST_NET = "vhost_net"
HV_VIRTIO_NET_QUEUES = "virtio_net_queues"
HV_VNC_BIND_ADDRESS = "vnc_bind_address"
HV_VNC_PASSWORD_FILE = "vnc_password_file"
HV_VNC_TLS = "vnc_tls"
HV_VNC_X509 = "vnc_x509_path"
HV_VNC_X509_VERIFY = "vnc_x509_verify"
HV_VNET_HDR = "vnet_hdr"

# values
KVM_FLAG_ENABLED = "enabled"
KVM_FLAG_DISABLED = "disabled"
BOOT_DISK, BOOT_CDROM, BOOT_FLOPPY, BOOT_NETWORK = ("disk", "cdrom", "floppy",
                                                    "network")
_BOOT_LETTER = {BOOT_DISK: "c", BOOT_CDROM: "d", BOOT_FLOPPY: "a",
                BOOT_NETWORK: "n"}
DISK_PARAVIRTUAL = "paravirtual"
DISK_IDE = "ide"
DISK_SCSI = "scsi"
SCSI_DISK_TYPES = frozenset(["scsi", "scsi-hd", "scsi-block", "scsi-generic",
                             "scsi-cd"])
LEGACY_DISK_TYPES = frozenset(["sd", "mtd", "pflash"])
NIC_PARAVIRTUAL = "paravirtual"
SM_NONE, SM_USER, SM_POOL = "none", "user", "pool"
REBOOT_EXIT = "exit"
QEMU_PCI_SLOTS = 32
BALLOON_PCI_SLOT = 3

# qemu device models for the nic_type / disk_type values
NIC_DRIVERS = {
    "paravirtual": "virtio-net-pci", "e1000": "e1000", "rtl8139": "rtl8139",
    "ne2k_pci": "ne2k_pci", "ne2k_isa": "ne2k_isa", "pcnet": "pcnet",
    "i82551": "i82551", "i82557b": "i82557b", "i82559er": "i82559er",
}
ISA_NIC_DRIVERS = frozenset(["ne2k_isa"])
DISK_DRIVERS = {
    "paravirtual": "virtio-blk-pci", "ide": "ide-hd", "scsi": "scsi-hd",
    "scsi-hd": "scsi-hd", "scsi-block": "scsi-block",
    "scsi-generic": "scsi-generic", "scsi-cd": "scsi-cd",
}


# ------------------------------------------------------------------ features

@dataclass(frozen=True)
class KvmFeatures:
    """What a qemu binary supports, from its --help output."""
    version: Tuple[int, int, int] = (0, 0, 0)
    options: frozenset = frozenset()
    drive_boot: bool = False     # -drive ...,boot=on|off (very old qemu-kvm)
    vhost: bool = False          # -netdev tap,...,vhost=on

    def Has(self, option: str) -> bool:
        return option in self.options

    @property
    def long_bool_opts(self) -> bool:
        """Chardev flags as server=on,wait=off (qemu >= 6 warns otherwise)."""
        return self.version >= (6, 0, 0)


_VERSION_RE = re.compile(r"version\s+(\d+)\.(\d+)(?:\.(\d+))?")
_OPTION_RE = re.compile(r"^(-[A-Za-z0-9][A-Za-z0-9_-]*)", re.M)


def ParseVersion(text: str) -> Tuple[int, int, int]:
    match = _VERSION_RE.search(text)
    if not match:
        raise errors.HypervisorError("Can't parse the qemu version from %r"
                                     % text[:100])
    return (int(match.group(1)), int(match.group(2)),
            int(match.group(3) or 0))


def _OptionBlock(text: str, option: str) -> str:
    """The help text of option: its line and the indented ones after it."""
    lines = text.splitlines()
    for idx, line in enumerate(lines):
        if line.split(" ", 1)[0] == option or line == option:
            block = [line]
            for more in lines[idx + 1:]:
                if more.startswith("-"):
                    break
                block.append(more)
            return "\n".join(block)
    return ""


def ParseHelp(text: str) -> KvmFeatures:
    """KvmFeatures of the qemu whose ``--help`` printed text."""
    options = frozenset(m.group(1) for m in _OPTION_RE.finditer(text))
    return KvmFeatures(version=ParseVersion(text), options=options,
                       drive_boot="boot=on|off" in _OptionBlock(text, "-drive"),
                       vhost="vhost=on" in text)


def ParseMachines(text: str) -> Tuple[str, Dict[str, str]]:
    """``-machine help`` output -> (default machine, {alias: machine}).

    The default is returned as the concrete machine type (aliases
    resolved), so that a migration target gets the same machine.
    """
    default = ""
    aliases = {}
    for line in text.splitlines():
        parts = line.split(None, 1)
        if len(parts) != 2 or line.startswith("Supported"):
            continue
        name, descr = parts
        alias = re.search(r"\(alias of ([^)]+)\)", descr)
        if alias:
            aliases[name] = alias.group(1)
        if "(default)" in descr:
            default = alias.group(1) if alias else name
    return default, aliases


# ------------------------------------------------------------------ helpers

def _ToDict(obj: Any) -> Dict[str, Any]:
    if isinstance(obj, dict):
        return dict(obj)
    return obj.ToDict()


def _Esc(value: str) -> str:
    """A value inside a qemu option string (commas are doubled)."""
    return str(value).replace(",", ",,")


def UnixServer(path: str, features: KvmFeatures) -> str:
    """Legacy chardev spec of a listening unix socket."""
    if features.long_bool_opts:
        return "unix:%s,server=on,wait=off" % path
    return "unix:%s,server,nowait" % path


def DeviceId(kind: str, uuid: str) -> str:
    """qemu device id of a NIC/disk: 'nic-' + first 3 uuid groups."""
    return "%s-%s" % (kind, "-".join(str(uuid).split("-")[:3]))


# Slots qemu always fills: host bridge, ISA bridge/IDE, VGA, our balloon.
_MIN_RESERVED_SLOTS = 4


class PciSlots:
    """PCI slots of bus pci.0: the first `reserved` are qemu's own."""

    def __init__(self, reserved: int) -> None:
        reserved = max(reserved, _MIN_RESERVED_SLOTS)
        self._used = set(range(min(reserved, QEMU_PCI_SLOTS)))

    def Take(self, slot: Optional[int] = None) -> int:
        if slot is not None:
            self._used.add(slot)
            return slot
        for candidate in range(QEMU_PCI_SLOTS):
            if candidate not in self._used:
                self._used.add(candidate)
                return candidate
        raise errors.HypervisorError("No free PCI slot left for the"
                                     " instance's devices")


def _PciInfo(driver: str, dev_id: str, slot: int) -> Dict[str, Any]:
    return {"driver": driver, "id": dev_id, "bus": "pci.0",
            "addr": hex(slot)}


# ------------------------------------------------------------------ step 1

def _Smp(hvp: Dict[str, Any], vcpus: int) -> str:
    smp = [str(vcpus)]
    for key, name in ((HV_CPU_CORES, "cores"), (HV_CPU_THREADS, "threads"),
                      (HV_CPU_SOCKETS, "sockets")):
        if hvp.get(key):
            smp.append("%s=%s" % (name, hvp[key]))
    return ",".join(smp)


def _Machine(hvp: Dict[str, Any], features: KvmFeatures,
             machine_default: str) -> List[str]:
    machine = hvp.get(HV_MACHINE_VERSION) or machine_default
    flag = hvp.get(HV_KVM_FLAG) or ""
    if not features.Has("-machine"):
        args = ["-M", machine] if machine else []
        if flag == KVM_FLAG_ENABLED and features.Has("-enable-kvm"):
            args.append("-enable-kvm")
        elif flag == KVM_FLAG_DISABLED and features.Has("-no-kvm"):
            args.append("-no-kvm")
        return args
    opts = [machine] if machine else []
    if flag == KVM_FLAG_ENABLED:
        opts.append("accel=kvm")
    elif flag == KVM_FLAG_DISABLED:
        opts.append("accel=tcg")
    return ["-machine", ",".join(opts)] if opts else []


def _Display(instance: Any, hvp: Dict[str, Any], features: KvmFeatures,
             paths: KvmPaths) -> List[str]:
    args: List[str] = []
    vnc_bind = hvp.get(HV_VNC_BIND_ADDRESS) or ""
    spice_bind = hvp.get(HV_SPICE_BIND) or ""
    port = hv_base.GetField(instance, "network_port")
    if vnc_bind:
        if vnc_bind.startswith("/"):
            vnc = "unix:%s/%s.vnc" % (vnc_bind, paths.name)
        else:
            if not port or port < hv_base.VNC_BASE_PORT:
                raise errors.HypervisorError(
                    "Instance %s has no valid VNC port (network_port=%s)"
                    % (paths.name, port))
            host = "[%s]" % vnc_bind if ":" in vnc_bind else vnc_bind
            vnc = "%s:%d" % (host, port - hv_base.VNC_BASE_PORT)
        if hvp.get(HV_VNC_TLS):
            args += ["-object", "tls-creds-x509,id=vnctls0,endpoint=server,"
                     "dir=%s,verify-peer=%s" % (
                         _Esc(hvp.get(HV_VNC_X509) or "/etc/pki/qemu"),
                         "yes" if hvp.get(HV_VNC_X509_VERIFY) else "no")]
            vnc += ",tls-creds=vnctls0"
        if hvp.get(HV_VNC_PASSWORD_FILE):
            vnc += ",password=on" if features.long_bool_opts else ",password"
        args += ["-vnc", vnc]
    if spice_bind:
        if not features.Has("-spice"):
            raise errors.HypervisorError("SPICE is configured but this qemu"
                                         " does not support it")
        if not port:
            raise errors.HypervisorError("Instance %s has no network port for"
                                         " SPICE" % paths.name)
        spice = "port=%d,addr=%s" % (port, spice_bind)
        if hvp.get(HV_SPICE_IP_VERSION) == 6:
            spice += ",ipv6=on"
        elif hvp.get(HV_SPICE_IP_VERSION) == 4:
            spice += ",ipv4=on"
        if not hvp.get(HV_SPICE_PASSWORD_FILE):
            spice += ",disable-ticketing=on"
        args += ["-spice", spice]
    if not vnc_bind and not spice_bind:
        args += ["-display", "none"] if features.Has("-display") \
            else ["-nographic"]
    mouse = hvp.get(HV_USB_MOUSE) or ("tablet" if vnc_bind else "")
    if mouse:
        if features.Has("-device"):
            args += ["-usb", "-device", "usb-%s" % mouse]
        else:
            args += ["-usb", "-usbdevice", mouse]
    if hvp.get(HV_KEYMAP):
        args += ["-k", hvp[HV_KEYMAP]]
    return args


def _Boot(hvp: Dict[str, Any]) -> List[str]:
    args: List[str] = []
    kernel = hvp.get(HV_KERNEL_PATH) or ""
    if kernel:
        args += ["-kernel", kernel]
        if hvp.get(HV_INITRD_PATH):
            args += ["-initrd", hvp[HV_INITRD_PATH]]
        append = []
        if hvp.get(HV_ROOT_PATH):
            append.append("root=%s" % hvp[HV_ROOT_PATH])
        if hvp.get(HV_KERNEL_ARGS):
            append.append(hvp[HV_KERNEL_ARGS])
        if hvp.get(HV_SERIAL_CONSOLE):
            append.append("console=ttyS0,%s" % hvp.get(HV_SERIAL_SPEED, 38400))
        if append:
            args += ["-append", " ".join(append)]
        return args
    order = hvp.get(HV_BOOT_ORDER) or BOOT_DISK
    if order == BOOT_CDROM and not hvp.get(HV_CDROM_IMAGE_PATH):
        raise errors.HypervisorError("Cannot boot from cdrom without an"
                                     " image (cdrom_image_path)")
    if order == BOOT_FLOPPY and not hvp.get(HV_FLOPPY_IMAGE_PATH):
        raise errors.HypervisorError("Cannot boot from floppy without an"
                                     " image (floppy_image_path)")
    return ["-boot", _BOOT_LETTER.get(order, "c")]


def _Media(hvp: Dict[str, Any]) -> List[str]:
    args: List[str] = []
    cd_if = hvp.get(HV_CDROM_DISK_TYPE) or DISK_IDE
    cd_if = "virtio" if cd_if == DISK_PARAVIRTUAL else cd_if
    for key, index in ((HV_CDROM_IMAGE_PATH, 2), (HV_CDROM2_IMAGE_PATH, 3)):
        if hvp.get(key):
            opts = "file=%s,media=cdrom,format=raw,readonly=on,if=%s" % (
                _Esc(hvp[key]), cd_if)
            if cd_if == DISK_IDE:
                opts += ",index=%d" % index
            args += ["-drive", opts]
    if hvp.get(HV_FLOPPY_IMAGE_PATH):
        args += ["-drive", "file=%s,if=floppy,format=raw,index=0"
                 % _Esc(hvp[HV_FLOPPY_IMAGE_PATH])]
    return args


def _Misc(hvp: Dict[str, Any], features: KvmFeatures,
          paths: KvmPaths) -> List[str]:
    args: List[str] = []
    if hvp.get(HV_CPU_TYPE):
        args += ["-cpu", hvp[HV_CPU_TYPE]]
    if not hvp.get(HV_ACPI, True) and features.Has("-no-acpi"):
        args.append("-no-acpi")
    if hvp.get(HV_REBOOT_BEHAVIOR) == REBOOT_EXIT:
        args.append("-no-reboot")
    if hvp.get(HV_USER_SHUTDOWN):
        args.append("-no-shutdown")
    if hvp.get(HV_USE_LOCALTIME):
        args += ["-rtc", "base=localtime"] if features.Has("-rtc") \
            else ["-localtime"]
    if hvp.get(HV_VGA):
        args += ["-vga", hvp[HV_VGA]]
    if hvp.get(HV_SOUNDHW):
        args += ["-soundhw", hvp[HV_SOUNDHW]] if features.Has("-soundhw") \
            else ["-device", hvp[HV_SOUNDHW]]
    if hvp.get(HV_MEM_PATH):
        args += ["-mem-path", hvp[HV_MEM_PATH], "-mem-prealloc"]
    if hvp.get(HV_USE_CHROOT):
        args += ["-chroot", paths.chroot]
    model = hvp.get(HV_SECURITY_MODEL) or SM_NONE
    if model == SM_USER:
        args += ["-runas", hvp.get(HV_SECURITY_DOMAIN) or ""]
    elif model == SM_POOL:
        raise errors.HypervisorError("Security model 'pool' (uid pool) is not"
                                     " supported on this node")
    if hvp.get(HV_USE_GUEST_AGENT):
        args += ["-device", "virtio-serial",
                 "-chardev", "socket,path=%s,server=on,wait=off,id=qga0"
                 % _Esc(paths.qga),
                 "-device", "virtserialport,chardev=qga0,"
                 "name=org.qemu.guest_agent.0"]
    for dev in (hvp.get(HV_USB_DEVICES) or "").split(","):
        if dev.strip():
            args += ["-usbdevice", dev.strip()]
    return args


def _DiskDevices(block_devices: Sequence, hvp: Dict[str, Any],
                 features: KvmFeatures, slots: PciSlots
                 ) -> Tuple[List[List[Any]], List[str]]:
    """Disks with their hvinfo, and the extra base args (SCSI controller)."""
    disk_type = hvp.get(HV_DISK_TYPE) or DISK_PARAVIRTUAL
    extra: List[str] = []
    disks = []
    if disk_type in SCSI_DISK_TYPES and block_devices and \
            features.Has("-device"):
        ctrl = hvp.get(HV_SCSI_CONTROLLER_TYPE) or "lsi"
        extra += ["-device", "%s,id=scsi,bus=pci.0,addr=%s"
                  % (ctrl, hex(slots.Take()))]
    for idx, entry in enumerate(block_devices):
        disk, link, uri = (list(entry) + [None, None])[:3]
        ddict = _ToDict(disk)
        uuid = ddict.get("uuid") or "disk%d" % idx
        dev_id = DeviceId("disk", uuid)
        driver = DISK_DRIVERS.get(disk_type)
        if not features.Has("-device") or driver is None:
            ddict["hvinfo"] = {"id": dev_id}
        elif driver == "virtio-blk-pci":
            ddict["hvinfo"] = _PciInfo(driver, dev_id, slots.Take())
        elif driver == "ide-hd":
            ddict["hvinfo"] = {"driver": driver, "id": dev_id,
                               "bus": "ide.%d" % (idx // 2), "unit": idx % 2}
        else:
            ddict["hvinfo"] = {"driver": driver, "id": dev_id,
                               "bus": "scsi.0", "channel": 0,
                               "scsi-id": idx, "lun": 0}
        disks.append([ddict, link, uri])
    return disks, extra


def _NicDevices(nics: Sequence, hvp: Dict[str, Any], features: KvmFeatures,
                slots: PciSlots) -> List[Dict[str, Any]]:
    nic_type = hvp.get(HV_NIC_TYPE) or NIC_PARAVIRTUAL
    driver = NIC_DRIVERS.get(nic_type, nic_type)
    result = []
    for idx, nic in enumerate(nics):
        ndict = _ToDict(nic)
        dev_id = DeviceId("nic", ndict.get("uuid") or "nic%d" % idx)
        if features.Has("-device") and driver not in ISA_NIC_DRIVERS:
            ndict["hvinfo"] = _PciInfo(driver, dev_id, slots.Take())
        else:
            ndict["hvinfo"] = {"driver": driver, "id": dev_id}
        result.append(ndict)
    return result


def BuildRuntime(instance: Any, block_devices: Sequence,
                 features: KvmFeatures, paths: KvmPaths,
                 machine_default: str = "") -> KvmRuntime:
    """The runtime (base argv + device descriptions) of an instance."""
    hvp = dict(instance.hvparams or {})
    bep = instance.beparams or {}
    kvm_path = hvp.get(HV_KVM_PATH) or "kvm"
    cmd: List[Any] = [kvm_path, "-name", paths.name,
                      "-m", int(bep.get(hv_base.BE_MAXMEM, 128)),
                      "-smp", _Smp(hvp, int(bep.get(hv_base.BE_VCPUS, 1))),
                      "-pidfile", paths.pidfile]
    if features.Has("-device"):
        cmd += ["-device", "virtio-balloon-pci,id=balloon,bus=pci.0,addr=%s"
                % hex(BALLOON_PCI_SLOT)]
    elif features.Has("-balloon"):
        cmd += ["-balloon", "virtio"]
    cmd.append("-daemonize")
    cmd += _Machine(hvp, features, machine_default)
    cmd += ["-monitor", UnixServer(paths.monitor, features)]
    if hvp.get(HV_SERIAL_CONSOLE):
        cmd += ["-serial", UnixServer(paths.serial, features)]
    else:
        cmd += ["-serial", "none"]
    cmd += _Display(instance, hvp, features, paths)
    cmd += _Boot(hvp)
    cmd += _Media(hvp)
    cmd += _Misc(hvp, features, paths)

    slots = PciSlots(int(hvp.get(HV_KVM_PCI_RESERVATIONS, 12) or 0))
    slots.Take(BALLOON_PCI_SLOT)
    disks, extra = _DiskDevices(block_devices, hvp, features, slots)
    cmd += extra
    nics = _NicDevices(instance.nics or [], hvp, features, slots)
    if hvp.get(HV_KVM_EXTRA):
        cmd += shlex.split(hvp[HV_KVM_EXTRA])
    return KvmRuntime(cmd=cmd, nics=nics, hvparams=hvp, disks=disks)


# ------------------------------------------------------------------ step 2

def _DriveArgs(idx: int, entry: Sequence, hvp: Dict[str, Any],
               features: KvmFeatures) -> List[str]:
    ddict, link, uri = (list(entry) + [None, None])[:3]
    hvinfo = ddict.get("hvinfo") or {}
    access = (ddict.get("params") or {}).get("access")
    path = uri if uri and access == "userspace" else link
    if not path:
        raise errors.HypervisorError("Disk %d has no device path" % idx)
    disk_type = hvp.get(HV_DISK_TYPE) or DISK_PARAVIRTUAL
    opts = ["file=%s" % _Esc(path), "format=raw"]
    cache = hvp.get(HV_DISK_CACHE) or "default"
    if cache != "default":
        opts.append("cache=%s" % cache)
    aio = hvp.get(HV_DISK_AIO) or "threads"
    if aio != "threads":   # qemu's default; old qemus lack the option
        opts.append("aio=%s" % aio)
    discard = hvp.get(HV_DISK_DISCARD) or "default"
    if discard != "default":
        opts.append("discard=%s" % discard)
    if ddict.get("mode") == "ro":
        opts.append("readonly=on")
    driver = hvinfo.get("driver")
    if features.Has("-device") and driver:
        opts += ["if=none", "id=%s" % hvinfo["id"]]
        dev = [driver, "drive=%s" % hvinfo["id"], "id=%s" % hvinfo["id"]]
        for key in ("bus", "addr", "unit", "channel", "scsi-id", "lun"):
            if key in hvinfo:
                dev.append("%s=%s" % (key, hvinfo[key]))
        return ["-drive", ",".join(opts), "-device", ",".join(dev)]
    legacy_if = {"paravirtual": "virtio"}.get(disk_type, disk_type)
    if legacy_if in SCSI_DISK_TYPES:
        legacy_if = "scsi"
    opts.append("if=%s" % legacy_if)
    if idx == 0 and features.drive_boot and not hvp.get(HV_KERNEL_PATH) and \
            (hvp.get(HV_BOOT_ORDER) or BOOT_DISK) == BOOT_DISK:
        opts.append("boot=on")
    return ["-drive", ",".join(opts)]


def _NicArgs(idx: int, ndict: Dict[str, Any], tap: str,
             hvp: Dict[str, Any], features: KvmFeatures) -> List[str]:
    hvinfo = ndict.get("hvinfo") or {}
    driver = hvinfo.get("driver") or NIC_DRIVERS.get(
        hvp.get(HV_NIC_TYPE) or NIC_PARAVIRTUAL)
    mac = ndict.get("mac") or ""
    virtio = driver == "virtio-net-pci"
    queues = int(hvp.get(HV_VIRTIO_NET_QUEUES) or 1) if virtio else 1
    if not (features.Has("-netdev") and features.Has("-device")):
        model = "virtio" if virtio else driver
        return ["-net", "nic,vlan=%d,macaddr=%s,model=%s" % (idx, mac, model),
                "-net", "tap,vlan=%d,ifname=%s,script=no,downscript=no"
                % (idx, tap)]
    dev_id = hvinfo.get("id") or "nic%d" % idx
    netdev = ["tap", "id=%s" % dev_id, "ifname=%s" % tap, "script=no",
              "downscript=no"]
    if virtio and hvp.get(HV_VNET_HDR, True):
        netdev.append("vnet_hdr=on")
    if virtio and hvp.get(HV_VHOST_NET):
        if not features.vhost:
            raise errors.HypervisorError("vhost_net is configured but this"
                                         " qemu does not support it")
        netdev.append("vhost=on")
    if queues > 1:
        netdev.append("queues=%d" % queues)
    dev = [driver, "netdev=%s" % dev_id, "mac=%s" % mac, "id=%s" % dev_id]
    for key in ("bus", "addr"):
        if key in hvinfo:
            dev.append("%s=%s" % (key, hvinfo[key]))
    if queues > 1:
        dev += ["mq=on", "vectors=%d" % (2 * queues + 2)]
    return ["-netdev", ",".join(netdev), "-device", ",".join(dev)]


def ExecArgs(runtime: KvmRuntime, features: KvmFeatures,
             taps: Dict[int, str],
             incoming: Optional[Tuple[str, int]] = None,
             paused: bool = False,
             qmp_socket: Optional[str] = None) -> List[str]:
    """The argv that starts the qemu described by runtime.

    As upstream's, the QMP socket is added here, not kept in the runtime
    file: a runtime written by upstream (migrated from, or left on, a node
    it ran) has none, and upstream adds its own to a runtime of ours.
    """
    hvp = runtime.hvparams
    argv = [str(arg) for arg in runtime.cmd]
    if qmp_socket and features.Has("-qmp") and "-qmp" not in argv:
        argv += ["-qmp", UnixServer(qmp_socket, features)]
    if paused:
        argv.append("-S")
    for idx, entry in enumerate(runtime.disks):
        argv += _DriveArgs(idx, entry, hvp, features)
    if runtime.nics:
        for idx, ndict in enumerate(runtime.nics):
            if idx not in taps:
                raise errors.HypervisorError("No tap device for NIC %d" % idx)
            argv += _NicArgs(idx, ndict, taps[idx], hvp, features)
    else:
        argv += ["-net", "none"]
    if incoming is not None:
        host, port = incoming
        if ":" in host:
            host = "[%s]" % host
        argv += ["-incoming", "tcp:%s:%d" % (host, port)]
    return argv

