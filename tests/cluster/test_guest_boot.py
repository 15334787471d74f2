"""Boot check of the test guest: tools/make-guest builds it, the image OS
writes its configuration onto a disk, and qemu (TCG) boots it the way the
KVM hypervisor does with kernel_path/initrd_path.  The serial console (a
unix socket) must show the guest's name, increasing "guest counter" lines
and the guest powering itself off (poweroff variant) or off on an ACPI
power button press (what the hypervisor's soft shutdown sends).

Skips with one line when qemu, busybox-static or the kernel package is
unavailable.  Every wait is bounded; qemu is killed by PID at the end.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

QEMU = shutil.which("qemu-system-x86_64")
BUILD_TIMEOUT = 900
BOOT_TIMEOUT = 240
COUNT = 3


def _CacheDir():
    env = os.environ.get("GANETI_GUEST_CACHE")
    if env:
        return env
    if os.geteuid() == 0:
        return "/var/cache/ganeti-guest"
    return os.path.expanduser("~/.cache/ganeti-guest")


@pytest.fixture(scope="module")
def guest():
    """(vmlinuz, initrd.img, build seconds) or skip."""
    if QEMU is None:
        pytest.skip("qemu-system-x86_64 not installed")
    cache = _CacheDir()
    start = time.monotonic()
    try:
        proc = subprocess.run(
            [sys.executable, os.path.join(REPO, "tools", "make-guest"),
             "--cache-dir", cache], capture_output=True, text=True,
            timeout=BUILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.skip("make-guest did not finish in %d s" % BUILD_TIMEOUT)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines() or ["?"]
        pytest.skip("guest unavailable: %s" % lines[-1])
    print("\nmake-guest: %.1f s: %s" % (elapsed, proc.stdout.strip()))
    return (os.path.join(cache, "vmlinuz"), os.path.join(cache, "initrd.img"),
            elapsed)


def _InstallOnDisk(tmp_path, name, variant, osparams):
    """Run the image OS's create script on a fresh 8 MiB disk file."""
    from ganeti import osdef
    disk = tmp_path / "disk0.img"
    with open(disk, "wb") as handle:
        handle.truncate(8 << 20)
    osd = osdef.LoadOS("image", os.path.join(REPO, "examples", "os", "image"))
    inst = {"name": name, "os": "image+" + variant, "hypervisor": "kvm",
            "osparams": osparams, "hvparams": {}, "beparams": {},
            "disks_info": [{"dev_type": "file", "mode": "rw", "size": 8,
                            "logical_id": ["loop", str(disk)]}],
            "nics": []}
    env = osdef.BuildInstanceEnv(inst, osd, disk_paths=[(str(disk), None)])
    result = osdef.RunScript(osd, osdef.OS_SCRIPT_CREATE, env)
    assert not result.failed, result.output
    return str(disk)


def _Boot(kernel, initrd, disk, sock_path, qmp_path=None):
    """qemu as the KVM hypervisor runs it with kernel_path (TCG here)."""
    extra = []
    if qmp_path:
        extra = ["-qmp", "unix:%s,server=on,wait=off" % qmp_path]
    cmd = [QEMU, "-accel", "tcg", "-m", "256", "-smp", "1", "-nodefaults",
           "-display", "none", "-no-reboot", "-monitor", "none",
           "-kernel", kernel, "-initrd", initrd,
           "-append", "root=/dev/vda1 ro console=ttyS0,38400 panic=-1",
           "-drive", "file=%s,if=virtio,format=raw,cache=none" % disk,
           "-serial", "unix:%s,server=on,wait=on" % sock_path] + extra
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _Connect(path, proc, deadline):
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError("qemu exited early: %s" %
                                 proc.stdout.read().decode(errors="replace"))
        if os.path.exists(path):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(path)
                return sock
            except OSError:
                sock.close()
        time.sleep(0.05)
    raise AssertionError("qemu's serial socket %s never appeared" % path)


def _SerialLines(sock, deadline, stop):
    """Lines from the serial console until stop(line) or the deadline."""
    buf = b""
    lines = []
    while time.monotonic() < deadline:
        sock.settimeout(max(0.1, min(1.0, deadline - time.monotonic())))
        try:
            data = sock.recv(4096)
        except socket.timeout:
            continue
        if not data:
            break
        buf += data
        while b"\n" in buf:
            raw, buf = buf.split(b"\n", 1)
            line = raw.decode("utf-8", "replace").strip("\r")
            lines.append((time.monotonic(), line))
            if stop(line):
                return lines
    return lines


def test_guest_boots_and_counts(guest, tmp_path):
    kernel, initrd, _ = guest
    name = "guest1.example.com"
    disk = _InstallOnDisk(tmp_path, name, "poweroff",
                          {"message": "hello from the image OS",
                           "count": str(COUNT)})
    sock_path = str(tmp_path / "serial.sock")
    start = time.monotonic()
    deadline = start + BOOT_TIMEOUT
    proc = _Boot(kernel, initrd, disk, sock_path)
    try:
        sock = _Connect(sock_path, proc, deadline)
        try:
            lines = _SerialLines(sock, deadline,
                                 lambda line: "powering off" in line)
        finally:
            sock.close()
        # The guest powered itself off: qemu ends on its own.
        exit_code = proc.wait(timeout=max(5, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    text = [line for _, line in lines]
    guest_lines = [line for line in text if line.startswith("guest")]
    assert "guest name: %s" % name in guest_lines, "\n".join(text[-30:])
    assert "guest variant: poweroff" in guest_lines
    assert "guest message: hello from the image OS" in guest_lines
    assert "guest: configuration from /dev/vda" in guest_lines
    counters = [(ts, int(line.split()[-1])) for ts, line in lines
                if line.startswith("guest counter ")]
    assert [n for _, n in counters] == list(range(1, COUNT + 1))
    gaps = [b[0] - a[0] for a, b in zip(counters, counters[1:])]
    assert all(gap > 0.5 for gap in gaps), gaps
    assert guest_lines[-1] == "guest: powering off"
    assert exit_code == 0
    print("boot to first counter line: %.1f s (TCG)" %
          (counters[0][0] - start))


def _Qmp(path, command):
    """Send one QMP command (after the capabilities handshake)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(10)
    try:
        sock.connect(path)
        reader = sock.makefile("rb")
        reader.readline()  # greeting
        for cmd in ("qmp_capabilities", command):
            sock.sendall(json.dumps({"execute": cmd}).encode() + b"\n")
            while True:
                answer = json.loads(reader.readline())
                if "return" in answer or "error" in answer:
                    break
            assert "return" in answer, answer
    finally:
        sock.close()


def test_guest_soft_shutdown(guest, tmp_path):
    kernel, initrd, _ = guest
    disk = _InstallOnDisk(tmp_path, "guest2.example.com", "default", {})
    sock_path = str(tmp_path / "serial.sock")
    qmp_path = str(tmp_path / "qmp.sock")
    deadline = time.monotonic() + BOOT_TIMEOUT
    proc = _Boot(kernel, initrd, disk, sock_path, qmp_path)
    try:
        sock = _Connect(sock_path, proc, deadline)
        try:
            lines = _SerialLines(sock, deadline,
                                 lambda line: line == "guest counter 2")
            assert lines and lines[-1][1] == "guest counter 2", lines[-20:]
            _Qmp(qmp_path, "system_powerdown")
            lines += _SerialLines(sock, deadline,
                                  lambda line: "powering off" in line)
        finally:
            sock.close()
        exit_code = proc.wait(timeout=max(5, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    text = [line for _, line in lines]
    assert "guest name: guest2.example.com" in text
    assert "guest: power button pressed, powering off" in text
    assert exit_code == 0
