"""make-guest: build the small bootable test guest (kernel + initramfs).

The guest is what the ``image`` example OS installs for: a Debian kernel
(``vmlinuz``) and a busybox initramfs (``initrd.img``) that a KVM instance
boots through the hypervisor parameters ``kernel_path``/``initrd_path``.
Its ``/init`` loads the virtio drivers, reads the configuration block the
``image`` OS wrote at the start of disk 0 (if any) and prints
``guest counter N`` on the serial console (ttyS0) every second.

Only the Debian package registry is used (``apt-get download``); the kernel
package is cached, and a re-run with the same inputs changes nothing.

    tools/make-guest [--cache-dir DIR] [--kernel-package PKG] [--force]
"""

import argparse
import glob
import gzip
import hashlib
import io
import os
import re
import shutil
import stat
import struct
import sys
import tempfile
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from ganeti import errors
from ganeti.utils import process as utils_process

DEFAULT_CACHE_DIR = "/var/cache/ganeti-guest"
#: Debian's meta package for the (small, virtio-oriented) cloud kernel.
DEFAULT_KERNEL_META = "linux-image-cloud-amd64"
APT_ARCHIVES = "/var/cache/apt/archives"
BUSYBOX_CANDIDATES = ("/bin/busybox", "/usr/bin/busybox")

#: Modules (and what they depend on) loaded by the guest: virtio PCI, disk
#: and network; the ACPI power button and evdev (so that the hypervisor's
#: soft shutdown works).  Missing ones are skipped (e.g. built in).
GUEST_MODULES = ("virtio_pci", "virtio_blk", "virtio_net", "button",
                 "evdev")

KERNEL_FILE = "vmlinuz"
INITRD_FILE = "initrd.img"
STAMP_FILE = "guest.stamp"

#: Format version of the guest; bump when INIT_SCRIPT changes meaning.
GUEST_VERSION = 1

# The guest's /init (busybox ash).  The configuration block written by the
# image OS is "key=value" lines between "GANETI-GUEST 1" and "END".
INIT_SCRIPT = r"""#!/bin/sh
# /init of the Ganeti test guest (built by tools/make-guest).
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
if [ -c /dev/ttyS0 ]; then
  exec </dev/ttyS0 >/dev/ttyS0 2>&1
fi
echo 1 >/proc/sys/kernel/printk
for mod in $(cat /etc/guest-modules); do
  insmod "/lib/modules/$mod" 2>/dev/null
done
echo "guest: kernel $(uname -r) up"
# The hypervisor's soft shutdown is an ACPI power button press.
acpid -c /etc/acpi -l /dev/null 2>/dev/null

name=unknown; variant=default; interval=1; count=0; message=; ip0=; prefix0=
# Wait for disk 0 only if the machine has a virtio block device (type 2).
tries=1
for dev in /sys/bus/virtio/devices/*; do
  [ "$(cat "$dev/device" 2>/dev/null)" = 0x0002 ] && tries=50
done
disk=
while [ "$tries" -gt 0 ]; do
  for dev in /dev/vda /dev/sda /dev/hda; do
    [ -b "$dev" ] && disk=$dev && break 2
  done
  tries=$((tries - 1))
  [ "$tries" -gt 0 ] && sleep 0.1
done
if [ -n "$disk" ]; then
  dd if="$disk" bs=4096 count=1 2>/dev/null | tr -d '\000' >/tmp/config
  if [ "$(head -n 1 /tmp/config)" = "GANETI-GUEST 1" ]; then
    while read -r line; do
      case "$line" in
        END) break ;;
        name=*) name=${line#name=} ;;
        variant=*) variant=${line#variant=} ;;
        interval=*) interval=${line#interval=} ;;
        count=*) count=${line#count=} ;;
        message=*) message=${line#message=} ;;
        nic0_ip=*) ip0=${line#nic0_ip=} ;;
        nic0_prefix=*) prefix0=${line#nic0_prefix=} ;;
      esac
    done </tmp/config
    echo "guest: configuration from $disk"
  else
    echo "guest: no configuration on $disk"
  fi
else
  echo "guest: no disk"
fi
case "$interval" in ''|*[!0-9]*|0) interval=1 ;; esac
case "$count" in ''|*[!0-9]*) count=0 ;; esac

for nic in /sys/class/net/*; do
  dev=${nic##*/}
  [ "$dev" = lo ] && continue
  echo "guest: nic $dev $(cat "$nic/address")"
done
ip link set lo up 2>/dev/null
if [ -n "$ip0" ] && [ -d /sys/class/net/eth0 ]; then
  ip link set eth0 up && ip addr add "$ip0/${prefix0:-24}" dev eth0 &&
    echo "guest: eth0 address $ip0/${prefix0:-24}"
fi

echo "guest name: $name"
echo "guest variant: $variant"
[ -n "$message" ] && echo "guest message: $message"
n=0
while true; do
  n=$((n + 1))
  echo "guest counter $n"
  if [ "$variant" = poweroff ] && [ "$n" -ge "${count:-0}" ]; then
    echo "guest: powering off"
    sync
    poweroff -f
  fi
  sleep "$interval"
done
"""

# Run by busybox acpid when the power button is pressed.
POWER_SCRIPT = """#!/bin/sh
echo "guest: power button pressed, powering off" >/dev/ttyS0
sync
poweroff -f
"""


class GuestError(Exception):
    """A step of the guest build failed (message for the user)."""


def _Log(msg: str, *args) -> None:
    print("make-guest: " + (msg % args if args else msg), flush=True)


def _Run(cmd: Sequence[str], cwd: str = "/") -> str:
    try:
        result = utils_process.RunCmd(list(cmd), cwd=cwd)
    except errors.OpExecError as err:
        raise GuestError(str(err))
    if result.failed:
        raise GuestError("'%s' failed (%s): %s" %
                         (" ".join(cmd), result.fail_reason,
                          result.output.strip()[-2000:]))
    return result.stdout


# --------------------------------------------------------------- kernel


def ResolveKernelPackage(name: str) -> str:
    """The real kernel package behind a meta package (or name itself)."""
    if re.match(r"linux-image-\d", name):
        return name
    out = _Run(["apt-cache", "depends", name])
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("Depends:"):
            dep = line.split(":", 1)[1].strip()
            if dep.startswith("linux-image-"):
                return dep
    return name


def _CachedDebs(directory: str, package: str) -> List[str]:
    return sorted(glob.glob(os.path.join(directory, package + "_*.deb")))


def FetchKernelDeb(package: str, cache_dir: str) -> str:
    """Path of the package's .deb in cache_dir (downloaded if missing)."""
    found = _CachedDebs(cache_dir, package)
    if found:
        return found[-1]
    archived = _CachedDebs(APT_ARCHIVES, package)
    if archived:
        dest = os.path.join(cache_dir, os.path.basename(archived[-1]))
        shutil.copy2(archived[-1], dest)
        return dest
    _Log("downloading %s (apt-get download)", package)
    _Run(["apt-get", "download", "-q", package], cwd=cache_dir)
    found = _CachedDebs(cache_dir, package)
    if not found:
        raise GuestError("apt-get download %s left no package in %s" %
                         (package, cache_dir))
    return found[-1]


def _ElfSection(data: bytes, wanted: str) -> Optional[bytes]:
    """Contents of a named section of a 64-bit little-endian ELF file."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return None
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)

    def header(idx):
        base = shoff + idx * shentsize
        name, = struct.unpack_from("<I", data, base)
        offset, size = struct.unpack_from("<QQ", data, base + 0x18)
        return name, offset, size

    _, str_off, _ = header(shstrndx)
    for idx in range(shnum):
        name_off, offset, size = header(idx)
        end = data.index(b"\0", str_off + name_off)
        if data[str_off + name_off:end].decode("ascii", "replace") == wanted:
            return data[offset:offset + size]
    return None


def ModuleDepends(path: str) -> List[str]:
    """The module names a kernel module file depends on (its modinfo)."""
    with open(path, "rb") as handle:
        section = _ElfSection(handle.read(), ".modinfo") or b""
    for item in section.split(b"\0"):
        if item.startswith(b"depends="):
            value = item[len(b"depends="):].decode("ascii", "replace")
            return [dep for dep in value.split(",") if dep]
    return []


def ModuleLoadOrder(moddir: str, names: Iterable[str]) -> List[str]:
    """Module files (relative to moddir) for names, dependencies first."""
    index: Dict[str, str] = {}
    for root, _, files in os.walk(moddir):
        for fname in files:
            if fname.endswith(".ko"):
                index[fname[:-3].replace("-", "_")] = os.path.relpath(
                    os.path.join(root, fname), moddir)
    order: List[str] = []

    def visit(name, stack):
        name = name.replace("-", "_")
        rel = index.get(name)
        if rel is None or rel in order or name in stack:
            return
        for dep in ModuleDepends(os.path.join(moddir, rel)):
            visit(dep, stack + [name])
        order.append(rel)

    for name in names:
        visit(name, [])
    return order


# ------------------------------------------------------------- initramfs


def _IsStaticElf(path: str) -> bool:
    """Whether an ELF executable has no program interpreter (PT_INTERP)."""
    with open(path, "rb") as handle:
        data = handle.read(65536)
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return False
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for idx in range(phnum):
        ptype, = struct.unpack_from("<I", data, phoff + idx * phentsize)
        if ptype == 3:  # PT_INTERP
            return False
    return True


def FindBusybox() -> str:
    for path in BUSYBOX_CANDIDATES:
        if os.path.isfile(path) and _IsStaticElf(path):
            return path
    raise GuestError("no statically linked busybox found (%s); install the"
                     " busybox-static package" % ", ".join(BUSYBOX_CANDIDATES))


class CpioWriter:
    """A "newc" cpio archive (what the kernel unpacks as initramfs)."""

    def __init__(self) -> None:
        self._buf = io.BytesIO()
        self._ino = 1

    def _Entry(self, name: str, mode: int, data: bytes = b"",
               rdev: Tuple[int, int] = (0, 0)) -> None:
        encoded = name.encode("utf-8") + b"\0"
        fields = [self._ino, mode, 0, 0, 2 if stat.S_ISDIR(mode) else 1, 0,
                  len(data), 0, 0, rdev[0], rdev[1], len(encoded), 0]
        self._ino += 1
        header = b"070701" + b"".join(b"%08X" % f for f in fields)
        self._buf.write(header + encoded)
        self._buf.write(b"\0" * (-(len(header) + len(encoded)) % 4))
        self._buf.write(data)
        self._buf.write(b"\0" * (-len(data) % 4))

    def Dir(self, name: str) -> None:
        self._Entry(name, stat.S_IFDIR | 0o755)

    def File(self, name: str, data: bytes, perm: int = 0o644) -> None:
        self._Entry(name, stat.S_IFREG | perm, data)

    def Symlink(self, name: str, target: str) -> None:
        self._Entry(name, stat.S_IFLNK | 0o777, target.encode("utf-8"))

    def CharDev(self, name: str, major: int, minor: int) -> None:
        self._Entry(name, stat.S_IFCHR | 0o600, rdev=(major, minor))

    def Finish(self) -> bytes:
        self._Entry("TRAILER!!!", 0)
        return self._buf.getvalue()


def BuildInitramfs(busybox: str, moddir: Optional[str],
                   modules: Sequence[str]) -> bytes:
    """The gzip-compressed initramfs image (reproducible: no timestamps)."""
    cpio = CpioWriter()
    for name in ("bin", "dev", "etc", "lib", "lib/modules", "proc", "sys",
                 "tmp"):
        cpio.Dir(name)
    cpio.CharDev("dev/console", 5, 1)
    cpio.CharDev("dev/null", 1, 3)
    with open(busybox, "rb") as handle:
        cpio.File("bin/busybox", handle.read(), 0o755)
    cpio.Symlink("bin/sh", "busybox")
    cpio.File("init", INIT_SCRIPT.encode("utf-8"), 0o755)
    cpio.Dir("etc/acpi")
    cpio.Dir("etc/acpi/PWRF")
    cpio.File("etc/acpi/PWRF/00000080", POWER_SCRIPT.encode("utf-8"), 0o755)
    flat = []
    for rel in modules:
        base = os.path.basename(rel)
        with open(os.path.join(moddir, rel), "rb") as handle:
            cpio.File("lib/modules/" + base, handle.read())
        flat.append(base)
    cpio.File("etc/guest-modules", ("\n".join(flat) + "\n").encode("ascii"))
    return gzip.compress(cpio.Finish(), compresslevel=9, mtime=0)


# ------------------------------------------------------ example OSes


def ExampleOSDir() -> Optional[str]:
    """Where the example OS definitions are: the source tree's examples/os
    or the installed documentation's examples/os."""
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [os.path.join(here, "..", "..", "examples", "os")]
    try:
        from ganeti import _autoconf
        candidates.append(os.path.join(_autoconf.PREFIX, "share", "doc",
                                       "ganeti", "examples", "os"))
    except ImportError:
        pass
    for path in candidates:
        if os.path.isdir(path):
            return os.path.normpath(path)
    return None


def InstallExampleOSes(dest_dir: str, src_dir: Optional[str] = None
                       ) -> List[str]:
    """Copy the example OS definitions (image, noop) into an OS search
    directory such as a testbed node's /srv/ganeti/os; returns their names.
    """
    src_dir = src_dir or ExampleOSDir()
    if src_dir is None:
        return []
    names = []
    for name in sorted(os.listdir(src_dir)):
        src = os.path.join(src_dir, name)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(dest_dir, name),
                            dirs_exist_ok=True)
            names.append(name)
    return names


# ------------------------------------------------------------------ main


def _Digest(*paths: str) -> str:
    digest = hashlib.sha256()
    digest.update(INIT_SCRIPT.encode("utf-8"))
    digest.update(POWER_SCRIPT.encode("utf-8"))
    digest.update(str(GUEST_VERSION).encode("ascii"))
    for path in paths:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def _ReadStamp(cache_dir: str) -> Optional[str]:
    try:
        with open(os.path.join(cache_dir, STAMP_FILE)) as handle:
            return handle.read().strip()
    except OSError:
        return None


def _WriteAtomic(path: str, data: bytes) -> None:
    tmp = path + ".tmp"
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.rename(tmp, path)


def BuildGuest(cache_dir: str = DEFAULT_CACHE_DIR,
               kernel_package: str = DEFAULT_KERNEL_META,
               force: bool = False) -> Tuple[str, str, bool]:
    """Build (or keep) vmlinuz and initrd.img in cache_dir.

    Returns (kernel path, initrd path, whether anything was rebuilt).
    """
    os.makedirs(cache_dir, mode=0o755, exist_ok=True)
    busybox = FindBusybox()
    cached = glob.glob(os.path.join(cache_dir, "linux-image-*.deb"))
    try:
        package = ResolveKernelPackage(kernel_package)
    except GuestError:
        # No apt metadata: fall back to a kernel package already cached.
        if not cached:
            raise
        package = os.path.basename(sorted(cached)[-1]).split("_")[0]
    deb = FetchKernelDeb(package, cache_dir)
    kernel = os.path.join(cache_dir, KERNEL_FILE)
    initrd = os.path.join(cache_dir, INITRD_FILE)
    stamp = "%s %s" % (os.path.basename(deb), _Digest(deb, busybox))
    if (not force and _ReadStamp(cache_dir) == stamp and
            os.path.isfile(kernel) and os.path.isfile(initrd)):
        return kernel, initrd, False
    # Other kernel packages of ours are stale now.
    for old in cached:
        if os.path.basename(old) != os.path.basename(deb):
            os.unlink(old)
    work = tempfile.mkdtemp(prefix="make-guest-", dir=cache_dir)
    try:
        _Run(["dpkg-deb", "-x", deb, work])
        images = sorted(glob.glob(os.path.join(work, "boot", "vmlinuz-*")))
        if not images:
            raise GuestError("%s holds no boot/vmlinuz-*" % deb)
        release = os.path.basename(images[-1])[len("vmlinuz-"):]
        moddir = os.path.join(work, "lib", "modules", release)
        modules = (ModuleLoadOrder(moddir, GUEST_MODULES)
                   if os.path.isdir(moddir) else [])
        with open(images[-1], "rb") as handle:
            _WriteAtomic(kernel, handle.read())
        _WriteAtomic(initrd, BuildInitramfs(busybox, moddir, modules))
        _WriteAtomic(os.path.join(cache_dir, STAMP_FILE),
                     (stamp + "\n").encode("utf-8"))
        _Log("kernel %s, %d module(s): %s", release, len(modules),
             ", ".join(os.path.basename(m)[:-3] for m in modules))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return kernel, initrd, True


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="make-guest",
        description="Build the bootable test guest (Debian kernel and a"
        " busybox initramfs) that the 'image' example OS is made for.")
    parser.add_argument("--cache-dir", default=DEFAULT_CACHE_DIR,
                        help="where the kernel package, vmlinuz and"
                        " initrd.img are kept (default: %(default)s)")
    parser.add_argument("--kernel-package", default=DEFAULT_KERNEL_META,
                        help="Debian kernel package or meta package"
                        " (default: %(default)s)")
    parser.add_argument("--force", action="store_true",
                        help="rebuild even if the guest is up to date")
    args = parser.parse_args(argv)
    try:
        kernel, initrd, rebuilt = BuildGuest(args.cache_dir,
                                             args.kernel_package, args.force)
    except (GuestError, OSError) as err:
        print("make-guest: error: %s" % err, file=sys.stderr)
        return 1
    _Log("%s: %s, %s", "built" if rebuilt else "up to date", kernel, initrd)
    return 0
