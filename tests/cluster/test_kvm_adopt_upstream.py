"""A KVM guest started by upstream's node daemon is adopted by ours.

On a one-node testbed cluster (real qemu, TCG), an instance is added
without starting it; then the test plays upstream's node daemon: it writes
the runtime file in upstream's layout (that of
tests/data/recorded/kvm_runtime.json: ``[kvm_cmd, nics, hvparams, disks]``
with upstream's hvinfo device ids and PCI slots) and starts qemu as
upstream does, with the pid file, QMP, monitor and serial sockets where
upstream puts them below /var/run/ganeti/kvm-hypervisor.  Our daemons must
then list the guest running (the same qemu process, not a new one), reach
its serial console, and shut it down cleanly.

Skips with one line without root, qemu-system-x86_64 or the test guest
(tools/make-guest).  VCLUSTER_LAB / VCLUSTER_STATE are honoured.
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

import pytest

from test_kvm_instance import _guest, _install_image_os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PY = sys.executable
QEMU = shutil.which("qemu-system-x86_64")
N1 = "node1.example.test"
NAME = "kvmup1.example.test"
MESSAGE = "started by upstream"
RECORDED = os.path.join(REPO, "tests", "data", "recorded", "kvm_runtime.json")
KVM_DIR = "/var/run/ganeti/kvm-hypervisor"
BOOT_TIMEOUT = 240
_COUNTER_RE = re.compile(r"guest counter (\d+)")

# Upstream's node daemon starting the instance: the runtime file in the
# recorded layout, then qemu with the exec-time options (QMP socket, drives,
# NICs) upstream adds.  Options of the recorded command line this qemu no
# longer has (-balloon, -usbdevice) or that the test does not need (-usb,
# -vnc) are left out; the kernel options are upstream's for kernel_path.
_UPSTREAM_START = r"""
import json, os, subprocess
NAME, KVM_DIR, QEMU, LINK = %(name)r, %(kvm_dir)r, %(qemu)r, %(link)r
with open(%(recorded)r) as handle:
    recorded = json.load(handle)
with open("/var/lib/ganeti/config.data") as handle:
    cfg = json.load(handle)
(inst, ) = [i for i in cfg["instances"].values() if i["name"] == NAME]
cluster = cfg["cluster"]
hvp = dict(cluster["hvparams"]["kvm"], **inst["hvparams"])
be = dict(cluster["beparams"]["default"], **inst["beparams"])
assert set(hvp) >= set(recorded[2]) - {"spice_tls_ciphers"}, \
    sorted(set(recorded[2]) - set(hvp))
for sub in ("pid", "ctrl", "conf", "nic/" + NAME):
    os.makedirs(os.path.join(KVM_DIR, sub), exist_ok=True)

def sock(kind):
    return "unix:%%s/ctrl/%%s.%%s,server,nowait" %% (KVM_DIR, NAME, kind)

values = {"-name": NAME, "-m": int(be["maxmem"]), "-smp": str(be["vcpus"]),
          "-pidfile": "%%s/pid/%%s" %% (KVM_DIR, NAME),
          "-machine": "pc,accel=tcg", "-monitor": sock("monitor"),
          "-serial": sock("serial")}
kvm_cmd = [QEMU]
for arg in recorded[0][1:]:
    if arg in values:
        kvm_cmd += [arg, values[arg]]
    elif arg == "-daemonize":
        kvm_cmd.append(arg)
kvm_cmd += ["-display", "none", "-kernel", hvp["kernel_path"],
            "-initrd", hvp["initrd_path"], "-append",
            "root=%%s %%s console=ttyS0,%%s" %% (
                hvp["root_path"], hvp["kernel_args"], hvp["serial_speed"])]

def dev_id(kind, uuid):
    return "%%s-%%s" %% (kind, "-".join(uuid.split("-")[:3]))

nics = []
for idx, nic in enumerate(inst["nics"]):
    params = dict(cluster["nicparams"]["default"], **nic["nicparams"])
    nics.append(dict(nic, nicparams=params, hvinfo={
        "driver": "virtio-net-pci", "id": dev_id("nic", nic["uuid"]),
        "bus": "pci.0", "addr": hex(8 + idx)}))
disks = []
for idx, uuid in enumerate(inst["disks"]):
    disk = dict(cfg["disks"][uuid], hvinfo={
        "driver": "virtio-blk-pci", "id": dev_id("disk", uuid),
        "bus": "pci.0", "addr": hex(8 + len(nics) + idx)})
    disks.append([disk, LINK if idx == 0 else None, None])
runtime = [kvm_cmd, nics, hvp, disks]
assert [type(part) for part in runtime] == [type(part) for part in recorded]
assert set(nics[0]) == set(recorded[1][0]), sorted(nics[0])
with open("%%s/conf/%%s.runtime" %% (KVM_DIR, NAME), "w") as handle:
    json.dump(runtime, handle)

argv = [str(arg) for arg in kvm_cmd] + ["-qmp", sock("qmp")]
for disk, link, _ in disks:
    info = disk["hvinfo"]
    argv += ["-drive", "file=%%s,format=raw,if=none,id=%%s" %% (link, info["id"]),
             "-device", "%%s,drive=%%s,id=%%s,bus=%%s,addr=%%s" %% (
                 info["driver"], info["id"], info["id"], info["bus"],
                 info["addr"])]
for idx, nic in enumerate(nics):
    tap = "upst%%d" %% idx
    subprocess.run(["ip", "tuntap", "add", "dev", tap, "mode", "tap",
                    "vnet_hdr"], check=True)
    subprocess.run(["ip", "link", "set", tap, "master",
                    nic["nicparams"]["link"], "up"], check=True)
    with open("%%s/nic/%%s/%%d" %% (KVM_DIR, NAME, idx), "w") as handle:
        handle.write(tap)
    info = nic["hvinfo"]
    argv += ["-netdev", "tap,id=%%s,ifname=%%s,script=no,downscript=no,"
             "vnet_hdr=on" %% (info["id"], tap),
             "-device", "%%s,netdev=%%s,mac=%%s,id=%%s,bus=%%s,addr=%%s" %% (
                 info["driver"], info["id"], nic["mac"], info["id"],
                 info["bus"], info["addr"])]
subprocess.run(argv, check=True, timeout=60)
with open("%%s/pid/%%s" %% (KVM_DIR, NAME)) as handle:
    print(handle.read().strip())
"""


@pytest.fixture(scope="module")
def cluster(make_cluster):
    kernel, initrd = _guest()
    cluster = make_cluster(1, init_opts=[
        "--enabled-hypervisors=kvm,fake",
        "--enabled-disk-templates=sharedfile,file,diskless",
        "-H", "kvm:kvm_flag=disabled,kernel_path=%s,initrd_path=%s"
        % (kernel, initrd)], prepare=_install_image_os)
    yield cluster
    if NAME in cluster.gnt("instance", "list", "--no-headers", "-o",
                           "name").stdout.split():
        cluster.gnt("instance", "remove", "-f", NAME, timeout=300)


def _fields(cluster, *fields):
    res = cluster.ok("instance", "list", "--no-headers", "--separator=|",
                     "-o", ",".join(fields), NAME)
    return res.stdout.strip().split("|")


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid, "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return False


def _console_counters(cluster, seconds):
    """Counter lines read on `gnt-instance console` (under a terminal, as
    an administrator runs it) for at most seconds."""
    command = " ".join(shlex.quote(a) for a in [
        PY, os.path.join(REPO, "scripts", "gnt-instance"), "console", NAME])
    res = cluster.vc.exec("node1", "timeout", str(seconds), "script", "-qfec",
                          command, "/dev/null", timeout=seconds + 60)
    return [int(n) for n in _COUNTER_RE.findall(res.stdout)]


def test_upstream_started_guest_is_adopted(cluster):
    cluster.ok("instance", "add", "-t", "sharedfile", "--disk", "0:size=32M",
               "-o", "image+default", "-n", N1, "-B", "memory=128M",
               "-O", "message=%s" % MESSAGE, "--no-name-check",
               "--no-ip-check", "--no-start", NAME, timeout=300)
    res = cluster.ok("instance", "activate-disks", NAME)
    link = res.stdout.strip().split(":", 2)[2]
    res = cluster.py(_UPSTREAM_START % {"name": NAME, "kvm_dir": KVM_DIR,
                                        "qemu": QEMU, "link": link,
                                        "recorded": RECORDED})
    assert res.returncode == 0, res.stdout + res.stderr
    pid = int(res.stdout.split()[-1])
    assert _alive(pid)
    # Running though marked down: upstream's ERROR_up; startup adopts it.
    assert _fields(cluster, "status", "oper_state") == ["ERROR_up", "Y"]
    cluster.ok("instance", "startup", NAME)
    assert _fields(cluster, "status", "oper_ram", "oper_vcpus") == \
        ["running", "128", "1"]
    assert _alive(pid)  # the same qemu, not restarted

    res = cluster.ok("instance", "console", "--show-cmd", NAME)
    assert "UNIX-CONNECT:%s/ctrl/%s.serial" % (KVM_DIR, NAME) in res.stdout
    deadline = time.monotonic() + BOOT_TIMEOUT
    counters = []
    while len(counters) < 2 and time.monotonic() < deadline:
        counters = _console_counters(cluster, 30)
    assert len(counters) >= 2 and counters[1] == counters[0] + 1, counters

    cluster.ok("instance", "shutdown", NAME, timeout=300)
    assert _fields(cluster, "status", "oper_state") == ["ADMIN_down", "N"]
    deadline = time.monotonic() + 60
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _alive(pid)
    res = cluster.sh("ls %s/pid %s/nic; ip link show upst0" % (KVM_DIR,
                                                               KVM_DIR))
    assert NAME not in res.stdout, res.stdout
    assert res.returncode != 0  # upstream's tap is gone with the guest
