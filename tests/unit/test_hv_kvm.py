"""Tests for the KVM hypervisor: qemu feature detection from recorded help
texts, command lines for several hvparam sets, the runtime file, the QMP
client, NIC set-up, and (when qemu-system-x86_64 is installed) a real qemu
started, queried over QMP, live-migrated to a second local qemu and stopped.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pytest

from ganeti import defaults
from ganeti import errors
from ganeti import objects
from ganeti import pathutils
from ganeti.hypervisor import hv_base
from ganeti.hypervisor import hv_kvm
from ganeti.hypervisor import hv_kvm_cmdline as cmdline
from ganeti.hypervisor import hv_kvm_netdev as netdev
from ganeti.hypervisor import hv_kvm_qmp as qmp
from ganeti.hypervisor.hv_kvm_runtime import (KvmPaths, KvmRuntime,
                                              ParseMemory, ParseSmp)
from ganeti.tools import kvm_ifup
import testdata

RECORDED = testdata.RECORDED
REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def _read(name):
    with open(os.path.join(RECORDED, name)) as handle:
        return handle.read()


def _features(version="5.2.0"):
    return cmdline.ParseHelp(_read("kvm_%s_help.txt" % version))


def _hvp(**overrides):
    hvp = dict(defaults.HVC_DEFAULTS["kvm"])
    hvp.update(kernel_path="", kvm_flag="disabled")
    hvp.update(overrides)
    return hvp


def _instance(name="inst1.example.com", nics=(), port=None, **hvp):
    return objects.Instance(
        name=name, hypervisor="kvm", os="debian", uuid="i-uuid", tags=[],
        hvparams=_hvp(**hvp), network_port=port,
        beparams=dict(defaults.BEC_DEFAULTS, maxmem=512, minmem=256,
                      vcpus=2),
        nics=list(nics))


def _nic(idx=0, **params):
    nicparams = {"mode": "bridged", "link": "br0", "vlan": ""}
    nicparams.update(params)
    return objects.NIC(mac="aa:00:00:00:00:%02x" % idx, uuid=(
        "%08d-66a8-4e6d-8b7e-ec4f69751396" % idx), nicparams=nicparams)


def _disk(idx=0):
    return {"dev_type": "plain", "iv_name": "disk/%d" % idx, "mode": "rw",
            "size": 1024, "params": {"stripes": 1},
            "logical_id": ["xenvg", "lv%d" % idx],
            "uuid": "%08d-2573-4112-82d0-0d3d2aa90d8f" % idx}


def _paths(name="inst1.example.com"):
    return KvmPaths("/var/run/ganeti/kvm-hypervisor", name)


def _after(argv, option):
    """Every value that follows option in argv."""
    return [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == option]


# ------------------------------------------------------------ feature detection

@pytest.mark.parametrize("name,version,drive_boot,netdev_,machine,vhost", [
    ("kvm_0.9.1_help.txt", (0, 9, 1), True, False, False, False),
    ("kvm_0.9.1_help_boot_test.txt", (0, 9, 1), False, False, False, False),
    ("kvm_0.12.5_help.txt", (0, 12, 5), True, True, False, False),
    ("kvm_0.15.90_help.txt", (0, 15, 90), False, True, True, True),
    ("kvm_1.0_help.txt", (1, 0, 0), False, True, True, True),
    ("kvm_1.1.2_help.txt", (1, 1, 2), False, True, True, True),
    ("kvm_5.2.0_help.txt", (5, 2, 0), False, True, True, True),
])
def test_parse_recorded_help(name, version, drive_boot, netdev_, machine,
                             vhost):
    features = cmdline.ParseHelp(_read(name))
    assert features.version == version
    assert features.drive_boot is drive_boot
    assert features.Has("-netdev") is netdev_
    assert features.Has("-device") is netdev_
    assert features.Has("-machine") is machine
    assert features.Has("-M") is not machine
    assert features.vhost is vhost
    assert features.Has("-no-acpi") and features.Has("-daemonize")


def test_help_options_and_current_pointer():
    old = _features("0.12.5")
    assert old.Has("-enable-kvm") and old.Has("-no-kvm")
    assert old.Has("-qmp") and old.Has("-balloon") and not old.Has("-display")
    assert not old.Has("-no-kvm-irq")          # not a prefix match
    current = _read("kvm_current_help.txt").strip()
    new = cmdline.ParseHelp(_read(current))
    assert new.version == (5, 2, 0)
    assert new.Has("-accel") and new.Has("-display") and new.Has("-spice")
    assert not new.Has("-no-kvm") and not new.Has("-balloon")
    assert new.long_bool_opts is False and \
        cmdline.KvmFeatures(version=(7, 2, 0)).long_bool_opts
    with pytest.raises(errors.HypervisorError):
        cmdline.ParseVersion("no version here")


def test_parse_machines():
    default, aliases = cmdline.ParseMachines(_read("kvm_6.0.0_machine.txt"))
    assert default == "pc-i440fx-impish"
    assert aliases["pc"] == "pc-i440fx-6.0"
    assert aliases["q35"] == "pc-q35-6.0"
    text = ("Supported machines are:\n"
            "pc      Standard PC (alias of pc-i440fx-7.2)\n"
            "pc-i440fx-7.2 Standard PC (i440FX + PIIX, 1996) (default)\n")
    assert cmdline.ParseMachines(text)[0] == "pc-i440fx-7.2"
    text = "pc   Standard PC (alias of pc-i440fx-2.1) (default)\n"
    assert cmdline.ParseMachines(text)[0] == "pc-i440fx-2.1"


# ------------------------------------------------------------ runtime file

def test_recorded_runtime_file():
    runtime = KvmRuntime.FromText(_read("kvm_runtime.json"))
    assert runtime.cmd[:3] == ["/usr/bin/kvm", "-name", "xen-test-inst2"]
    assert ParseMemory(str(runtime.cmd[4])) == 1024
    assert ParseSmp(runtime.cmd[6]) == 1
    assert runtime.nics[0]["hvinfo"]["driver"] == "virtio-net-pci"
    assert runtime.hvparams["migration_port"] == 8102
    assert runtime.disks[1][1] == \
        "/var/run/ganeti/instance-disks/xen-test-inst2:1"
    again = KvmRuntime.FromText(runtime.ToText())
    assert again == runtime
    argv = cmdline.ExecArgs(runtime, _features(), {0: "tap7"},
                            incoming=("192.168.1.2", 8102),
                            qmp_socket=_paths("xen-test-inst2").qmp)
    assert all(isinstance(arg, str) for arg in argv)
    # Upstream's runtime has no QMP socket; ours is added, once.
    assert "-qmp" not in runtime.cmd
    assert _after(argv, "-qmp") == [
        "unix:%s,server,nowait" % _paths("xen-test-inst2").qmp]
    again = cmdline.ExecArgs(KvmRuntime(cmd=[str(a) for a in argv[:argv.index(
        "-qmp") + 2]], nics=[], hvparams=runtime.hvparams, disks=[]),
        _features(), {}, qmp_socket=_paths("xen-test-inst2").qmp)
    assert again.count("-qmp") == 1
    assert "file=/var/run/ganeti/instance-disks/xen-test-inst2:0,format=raw," \
        "if=none,id=disk-7c079136-2573-4112" in _after(argv, "-drive")
    assert "virtio-blk-pci,drive=disk-9f5c5bd4-6f60-480b,id=disk-9f5c5bd4-" \
        "6f60-480b,bus=pci.0,addr=0xa" in _after(argv, "-device")
    assert "tap,id=nic-003fc157-66a8-4e6d,ifname=tap7,script=no," \
        "downscript=no,vnet_hdr=on" in _after(argv, "-netdev")
    assert "virtio-net-pci,netdev=nic-003fc157-66a8-4e6d,mac=aa:00:00:bf:2f:" \
        "16,id=nic-003fc157-66a8-4e6d,bus=pci.0,addr=0x8" in \
        _after(argv, "-device")
    assert argv[-2:] == ["-incoming", "tcp:192.168.1.2:8102"]
    with pytest.raises(errors.HypervisorError, match="No tap device"):
        cmdline.ExecArgs(runtime, _features(), {})


def test_runtime_rejects_garbage():
    for text in ("", "{}", "[1, 2]", json.dumps(["x", [], {}])):
        with pytest.raises(errors.HypervisorError):
            KvmRuntime.FromText(text)
    old = KvmRuntime.FromText(json.dumps([["kvm"], [], {}]))
    assert old.disks == []


def test_cmdline_values():
    assert ParseMemory("512") == 512 and ParseMemory("1G") == 1024
    assert ParseMemory("size=256M,slots=2") == 256 and ParseMemory(None) == 0
    assert ParseSmp("4") == 4 and ParseSmp("cpus=3,cores=3") == 3
    assert ParseSmp("2,cores=2,threads=1") == 2 and ParseSmp("x") == 0


def test_localize_runtime_points_to_this_nodes_run_dir():
    runtime = cmdline.BuildRuntime(_instance(), [], _features(), _paths())
    local = KvmPaths("/srv/node2/run/kvm", "inst1.example.com")
    hv_kvm._LocalizeRuntime(runtime, local)
    assert _after(runtime.cmd, "-pidfile") == [local.pidfile]
    assert "unix:%s,server,nowait" % local.monitor in runtime.cmd
    assert not any("/var/run/ganeti" in str(arg) for arg in runtime.cmd)


# ------------------------------------------------------------ command lines

def test_cmdline_defaults_tcg_serial_kernel():
    inst = _instance(kernel_path="/boot/vmlinuz", initrd_path="/boot/initrd",
                     serial_console=True)
    features = cmdline.KvmFeatures(version=(7, 2, 0), options=_features()
                                   .options, vhost=True)
    runtime = cmdline.BuildRuntime(inst, [], features, _paths(),
                                   machine_default="pc-i440fx-7.2")
    paths = _paths()
    # As upstream's runtime file (tests/data/recorded/kvm_runtime.json), ours
    # has no QMP socket: it is added when qemu is started.
    assert "-qmp" not in runtime.cmd
    argv = cmdline.ExecArgs(runtime, features, {}, qmp_socket=paths.qmp)
    assert argv[:9] == [pathutils.KVM_PATH, "-name", inst.name, "-m", "512",
                        "-smp", "2", "-pidfile", paths.pidfile]
    assert "-daemonize" in argv
    assert _after(argv, "-machine") == ["pc-i440fx-7.2,accel=tcg"]
    assert _after(argv, "-qmp") == ["unix:%s,server=on,wait=off" % paths.qmp]
    assert _after(argv, "-serial") == [
        "unix:%s,server=on,wait=off" % paths.serial]
    assert _after(argv, "-monitor") == [
        "unix:%s,server=on,wait=off" % paths.monitor]
    assert _after(argv, "-kernel") == ["/boot/vmlinuz"]
    assert _after(argv, "-initrd") == ["/boot/initrd"]
    assert _after(argv, "-append") == ["root=/dev/vda1 ro console=ttyS0,38400"]
    assert "-boot" not in argv
    assert _after(argv, "-display") == ["none"]
    assert _after(argv, "-net") == ["none"]
    assert "virtio-balloon-pci,id=balloon,bus=pci.0,addr=0x3" in \
        _after(argv, "-device")
    assert "-S" not in argv and "-incoming" not in argv
    assert "-S" in cmdline.ExecArgs(runtime, features, {}, paused=True)
    assert cmdline.ExecArgs(runtime, features, {}, incoming=(
        "2001:db8::2", 8102))[-1] == "tcp:[2001:db8::2]:8102"


def test_cmdline_vnc_and_devices():
    nics = [_nic(0), _nic(1, mode="routed", link="100")]
    inst = _instance(nics=nics, port=11000, vnc_bind_address="0.0.0.0",
                     serial_console=False, kvm_flag="enabled",
                     machine_version="pc-1.1", cpu_cores=2, cpu_threads=1,
                     disk_cache="none", disk_aio="native",
                     disk_discard="unmap", keymap="de")
    disks = [(_disk(0), "/var/run/ganeti/instance-disks/i:0", None),
             (dict(_disk(1), mode="ro"), "/dev/xenvg/lv1", None)]
    runtime = cmdline.BuildRuntime(inst, disks, _features(), _paths())
    argv = cmdline.ExecArgs(runtime, _features(), {0: "tap0", 1: "tap1"})
    assert _after(argv, "-vnc") == ["0.0.0.0:5100"]
    assert "-display" not in argv
    assert "usb-tablet" in _after(argv, "-device") and "-usb" in argv
    assert _after(argv, "-k") == ["de"]
    assert _after(argv, "-serial") == ["none"]
    assert _after(argv, "-machine") == ["pc-1.1,accel=kvm"]
    assert _after(argv, "-smp") == ["2,cores=2,threads=1"]
    assert _after(argv, "-boot") == ["c"]
    # disks first, then NICs, each in the next free slot above the 12
    # reserved ones
    addrs = [ddict["hvinfo"]["addr"] for ddict, _, _ in runtime.disks] + \
        [n["hvinfo"]["addr"] for n in runtime.nics]
    assert addrs == ["0xc", "0xd", "0xe", "0xf"]
    drives = _after(argv, "-drive")
    assert drives[0] == ("file=/var/run/ganeti/instance-disks/i:0,format=raw,"
                         "cache=none,aio=native,discard=unmap,if=none,"
                         "id=disk-00000000-2573-4112")
    assert "readonly=on" in drives[1]
    assert ("virtio-net-pci,netdev=nic-00000001-66a8-4e6d,mac=aa:00:00:00:00:"
            "01,id=nic-00000001-66a8-4e6d,bus=pci.0,addr=0xf") in \
        _after(argv, "-device")
    assert [n.split(",")[2] for n in _after(argv, "-netdev")] == [
        "ifname=tap0", "ifname=tap1"]


def test_cmdline_legacy_devices_and_options():
    inst = _instance(disk_type="ide", nic_type="e1000", boot_order="cdrom",
                     cdrom_image_path="/srv/iso/debian.iso", acpi=False,
                     reboot_behavior="exit", use_localtime=True,
                     cpu_type="host", mem_path="/hugepages",
                     kvm_extra="-foo 'bar baz'", security_model="user",
                     security_domain="kvmuser", use_chroot=True,
                     user_shutdown=True, vga="std", usb_mouse="mouse",
                     floppy_image_path="/srv/fd.img",
                     nics=[_nic(0)])
    disks = [(_disk(0), "/dev/a", None), (_disk(1), "/dev/b", None)]
    runtime = cmdline.BuildRuntime(inst, disks, _features(), _paths())
    argv = cmdline.ExecArgs(runtime, _features(), {0: "tap0"})
    assert _after(argv, "-boot") == ["d"]
    assert ("file=/srv/iso/debian.iso,media=cdrom,format=raw,readonly=on,"
            "if=ide,index=2") in _after(argv, "-drive")
    assert "file=/srv/fd.img,if=floppy,format=raw,index=0" in \
        _after(argv, "-drive")
    for flag in ("-no-acpi", "-no-reboot", "-no-shutdown", "-mem-prealloc"):
        assert flag in argv
    assert _after(argv, "-rtc") == ["base=localtime"]
    assert _after(argv, "-cpu") == ["host"]
    assert _after(argv, "-mem-path") == ["/hugepages"]
    assert _after(argv, "-runas") == ["kvmuser"]
    assert _after(argv, "-chroot") == [_paths().chroot]
    assert _after(argv, "-vga") == ["std"]
    assert "usb-mouse" in _after(argv, "-device")
    assert "-foo" in argv and argv[argv.index("-foo") + 1] == "bar baz"
    devices = _after(argv, "-device")
    assert "ide-hd,drive=disk-00000001-2573-4112,id=disk-00000001-2573-4112," \
        "bus=ide.0,unit=1" in devices
    assert any(d.startswith("e1000,netdev=") and "addr=0xc" in d
               for d in devices)
    assert not any("vnet_hdr" in n for n in _after(argv, "-netdev"))


def test_cmdline_scsi_and_multiqueue_and_vhost():
    inst = _instance(disk_type="scsi-hd", scsi_controller_type="virtio-scsi-pci",
                     virtio_net_queues=4, vhost_net=True, nics=[_nic(0)])
    runtime = cmdline.BuildRuntime(inst, [(_disk(0), "/dev/a", None)],
                                   _features(), _paths())
    argv = cmdline.ExecArgs(runtime, _features(), {0: "tap0"})
    devices = _after(argv, "-device")
    assert "virtio-scsi-pci,id=scsi,bus=pci.0,addr=0xc" in devices
    assert any(d.startswith("scsi-hd,drive=disk-") and "bus=scsi.0" in d and
               "scsi-id=0" in d for d in devices)
    assert _after(argv, "-netdev")[0].endswith(",vnet_hdr=on,vhost=on,"
                                               "queues=4")
    assert any(d.endswith(",mq=on,vectors=10") for d in devices)
    no_vhost = cmdline.KvmFeatures(version=(5, 2, 0), options=_features()
                                   .options)
    with pytest.raises(errors.HypervisorError, match="vhost_net"):
        cmdline.ExecArgs(runtime, no_vhost, {0: "tap0"})


def test_cmdline_old_qemu():
    features = _features("0.12.5")
    inst = _instance(kvm_flag="disabled", nics=[_nic(0)])
    runtime = cmdline.BuildRuntime(inst, [(_disk(0), "/dev/a", None)],
                                   features, _paths(), machine_default="")
    argv = cmdline.ExecArgs(runtime, features, {0: "tap0"},
                            qmp_socket=_paths().qmp)
    assert "-no-kvm" in argv and "-machine" not in argv
    assert _after(argv, "-balloon") == ["virtio"] or \
        "virtio-balloon-pci,id=balloon,bus=pci.0,addr=0x3" in \
        _after(argv, "-device")
    assert _after(argv, "-qmp") == ["unix:%s,server,nowait" % _paths().qmp]
    assert _after(argv, "-display") == [] and "-nographic" in argv
    ancient = _features("0.9.1")
    runtime = cmdline.BuildRuntime(inst, [(_disk(0), "/dev/a", None)],
                                   ancient, _paths())
    argv = cmdline.ExecArgs(runtime, ancient, {0: "tap0"},
                            qmp_socket=_paths().qmp)
    assert _after(argv, "-drive") == ["file=/dev/a,format=raw,if=virtio,"
                                      "boot=on"]
    assert _after(argv, "-net") == [
        "nic,vlan=0,macaddr=aa:00:00:00:00:00,model=virtio",
        "tap,vlan=0,ifname=tap0,script=no,downscript=no"]
    assert "-qmp" not in argv and _after(argv, "-M") == []


def test_cmdline_refuses_what_it_cannot_do():
    with pytest.raises(errors.HypervisorError, match="pool"):
        cmdline.BuildRuntime(_instance(security_model="pool"), [],
                             _features(), _paths())
    with pytest.raises(errors.HypervisorError, match="VNC port"):
        cmdline.BuildRuntime(_instance(vnc_bind_address="127.0.0.1"), [],
                             _features(), _paths())
    with pytest.raises(errors.HypervisorError, match="cdrom"):
        cmdline.BuildRuntime(_instance(boot_order="cdrom"), [], _features(),
                             _paths())


# ------------------------------------------------------------ parameters

def test_kvm_parameter_checks():
    cls = hv_kvm.KVMHypervisor
    cls.CheckParameterSyntax(_hvp())
    cls.CheckParameterSyntax(dict(defaults.HVC_DEFAULTS["kvm"]))
    bad = [
        (dict(boot_order="cdrom"), "Cannot boot from cdrom"),
        (dict(security_model="user"), "security domain"),
        (dict(security_domain="x"), "security domain"),
        (dict(vnc_tls=True), "needs a VNC bind address"),
        (dict(spice_use_tls=True), "needs a SPICE bind address"),
        (dict(vnc_bind_address="not-an-ip"), "vnc_bind_address"),
        (dict(serial_speed=12345), "serial_speed"),
        (dict(migration_port=0), "network port"),
        (dict(disk_type="floppy"), "disk_type"),
        (dict(kvm_flag="maybe"), "kvm_flag"),
        (dict(kernel_path="relative/vmlinuz"), "absolute"),
        (dict(cpu_mask="0-"), "cpu_mask"),
        (dict(migration_caps="xbzrle::x"), "migration_caps"),
        (dict(kvm_path=""), "required"),
    ]
    for overrides, message in bad:
        with pytest.raises(errors.HypervisorError, match=message):
            cls.CheckParameterSyntax(_hvp(**overrides))
    cls.CheckParameterSyntax(_hvp(vnc_bind_address="/var/run/vnc",
                                  migration_caps="xbzrle:postcopy-ram",
                                  cpu_mask="0-1:2"))


def test_kvm_validate_parameters_on_the_node(tmp_path):
    cls = hv_kvm.KVMHypervisor
    with pytest.raises(errors.HypervisorError, match="kernel_path.*existing"):
        cls.ValidateParameters(_hvp(kernel_path=str(tmp_path / "missing")))
    with pytest.raises(errors.HypervisorError, match="executable"):
        cls.ValidateParameters(_hvp(kvm_path=str(tmp_path)))
    with pytest.raises(errors.HypervisorError, match="Unknown user"):
        cls.ValidateParameters(_hvp(kvm_path="/bin/sh", security_model="user",
                                    security_domain="no-such-user-xyz"))
    cls.ValidateParameters(_hvp(kvm_path="/bin/sh"))


def test_kvm_console():
    node = objects.Node(name="node1.example.com", primary_ip="192.0.2.10",
                        ndparams={"ssh_port": 2222})
    inst = _instance(port=11001)
    console = hv_kvm.KVMHypervisor.GetInstanceConsole(
        inst, node, None, _hvp(serial_console=True), {})
    serial = KvmPaths(pathutils.KVM_RUN_DIR, inst.name).serial
    assert console == {
        "instance": inst.name, "kind": "ssh", "host": "node1.example.com",
        "port": 2222, "user": "root",
        "command": ["/usr/bin/socat", "STDIO,raw,echo=0,escape=0x1d",
                    "UNIX-CONNECT:%s" % serial]}
    console = hv_kvm.KVMHypervisor.GetInstanceConsole(
        inst, node, None, _hvp(serial_console=False,
                               vnc_bind_address="0.0.0.0"), {})
    assert console["kind"] == "vnc" and console["display"] == 5101
    assert console["host"] == "node1.example.com"
    assert console["port"] == 11001
    console = hv_kvm.KVMHypervisor.GetInstanceConsole(
        inst, node, None, _hvp(serial_console=False), {})
    assert console["kind"] == "msg"
    assert console["message"] == "No serial shell for instance %s" % inst.name


# ------------------------------------------------------------ QMP client

class _FakeQmp(threading.Thread):
    """A one-connection QMP server with canned answers."""

    def __init__(self, path, answers):
        super().__init__(daemon=True)
        self.answers = answers
        self.received = []
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(1)
        self.server.settimeout(10)

    def run(self):
        conn, _ = self.server.accept()
        with conn:
            conn.sendall(b'{"QMP": {"version": {"qemu": {"major": 7, '
                         b'"minor": 2, "micro": 1}}, "capabilities": []}}\r\n')
            buf = b""
            while True:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    request = json.loads(line)
                    self.received.append(request)
                    for reply in self.answers.get(request["execute"],
                                                  [{"return": {}}]):
                        conn.sendall(json.dumps(reply).encode() + b"\r\n")


def test_qmp_client(tmp_path):
    path = str(tmp_path / "qmp")
    server = _FakeQmp(path, {
        "query-status": [{"event": "STOP", "data": {}},
                         {"return": {"status": "paused", "running": False}}],
        "migrate": [{"error": {"class": "GenericError",
                               "desc": "no can do"}}],
    })
    server.start()
    with qmp.QmpConnection(path, timeout=5) as conn:
        assert conn.version == (7, 2, 1)
        assert conn.Execute("query-status")["status"] == "paused"
        assert conn.events[0]["event"] == "STOP"
        with pytest.raises(qmp.QmpCommandError, match="no can do") as err:
            conn.Execute("migrate", {"uri": "tcp:1.2.3.4:1"})
        assert err.value.error_class == "GenericError"
    server.join(5)
    assert [r["execute"] for r in server.received] == [
        "qmp_capabilities", "query-status", "migrate"]
    assert server.received[2]["arguments"] == {"uri": "tcp:1.2.3.4:1"}


def test_qmp_errors(tmp_path):
    with pytest.raises(qmp.QmpError, match="Can't connect"):
        qmp.Run(str(tmp_path / "none"), "query-status", timeout=1)
    path = str(tmp_path / "mute")
    mute = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    mute.bind(path)
    mute.listen(1)
    try:
        start = time.monotonic()
        with pytest.raises(qmp.QmpError, match="Timeout"):
            qmp.Run(path, "query-status", timeout=0.3)
        assert time.monotonic() - start < 5
    finally:
        mute.close()


# ------------------------------------------------------------ NICs

def test_kvm_ifup_modes(tmp_path):
    ran = []
    env = {"INTERFACE": "tap0", "MODE": "bridged", "LINK": "br0",
           "VLAN": ".10:20:30", "MAC": "aa:00:00:00:00:01"}
    kvm_ifup.SetupInterface(env, run=ran.append, is_bridge=lambda n: True)
    assert ran == [
        ["ip", "link", "set", "tap0", "up"],
        ["ip", "link", "set", "tap0", "master", "br0"],
        ["bridge", "vlan", "add", "dev", "tap0", "vid", "10", "pvid",
         "untagged"],
        ["bridge", "vlan", "add", "dev", "tap0", "vid", "20"],
        ["bridge", "vlan", "add", "dev", "tap0", "vid", "30"]]
    with pytest.raises(kvm_ifup.IfupError, match="Bridge br0 does not exist"):
        kvm_ifup.SetupInterface(env, run=ran.append,
                                is_bridge=lambda n: False)
    proc = tmp_path / "proc"
    for sub in ("sys/net/ipv4/conf/tap1", "sys/net/ipv6/conf/tap1"):
        os.makedirs(proc / sub)
    ran[:] = []
    kvm_ifup.SetupInterface({"INTERFACE": "tap1", "MODE": "routed",
                             "LINK": "100", "IP": "10.1.2.3"},
                            run=ran.append, proc_root=str(proc))
    assert ran[-1] == ["ip", "route", "replace", "10.1.2.3/32", "dev", "tap1",
                       "table", "100"]
    assert (proc / "sys/net/ipv4/conf/tap1/proxy_arp").read_text() == "1"
    ran[:] = []
    kvm_ifup.SetupInterface({"INTERFACE": "tap1", "MODE": "routed",
                             "IP": "2001:db8::5"}, run=ran.append,
                            proc_root=str(proc))
    assert ran[-1] == ["ip", "-6", "route", "replace", "2001:db8::5/128",
                       "dev", "tap1"]
    ran[:] = []
    kvm_ifup.SetupInterface({"INTERFACE": "tap2", "MODE": "openvswitch",
                             "LINK": "switch1", "VLAN": "5"}, run=ran.append)
    assert ran[-1] == ["ovs-vsctl", "--may-exist", "add-port", "switch1",
                       "tap2", "tag=5"]
    with pytest.raises(kvm_ifup.IfupError, match="Invalid VLAN"):
        kvm_ifup.ParseVlan(".x")


def test_tap_names(monkeypatch):
    text = ("1: lo: <LOOPBACK,UP> mtu 65536 qdisc noqueue\\    link/loopback\n"
            "7: tap0: <BROADCAST> mtu 1500\\    link/ether aa\n"
            "9: veth1@if8: <BROADCAST> mtu 1500\\    link/ether bb\n")
    assert netdev.ParseLinkNames(text) == {"lo", "tap0", "veth1"}
    calls = []

    class _Result:
        failed = False
        output = stdout = ""

    def fake_ip(args):
        calls.append(args)
        return _Result()

    monkeypatch.setattr(netdev, "_Ip", fake_ip)
    name = netdev.CreateTap(vnet_hdr=True, multi_queue=True,
                            list_links=lambda: {"tap0", "tap1", "tap3"})
    assert name == "tap2"
    assert calls == [["tuntap", "add", "dev", "tap2", "mode", "tap",
                      "vnet_hdr", "multi_queue"]]


# ------------------------------------------------------------ real qemu

QEMU = shutil.which("qemu-system-x86_64")
needs_qemu = pytest.mark.skipif(QEMU is None,
                                reason="qemu-system-x86_64 not installed")


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture
def short_root():
    """A root short enough for unix socket paths (108 bytes)."""
    root = tempfile.mkdtemp(prefix="gk", dir="/tmp")
    old = pathutils.get_root()
    pathutils.set_root(root)
    started = []
    try:
        yield root, started
    finally:
        pathutils.set_root(old)
        for hv in started:   # kill what the test left, by pid
            for name in os.listdir(os.path.join(hv.run_dir, "pid")) \
                    if os.path.isdir(os.path.join(hv.run_dir, "pid")) else []:
                pid, alive, _ = hv_kvm.InstancePid(hv._Paths(name))
                if alive:
                    os.kill(pid, signal.SIGKILL)
        shutil.rmtree(root, ignore_errors=True)


def _qemu_instance(port, **hvp):
    params = dict(kernel_path="", kvm_path=QEMU, migration_port=port,
                  migration_bandwidth=1000, migration_downtime=100,
                  serial_console=True)
    params.update(hvp)
    inst = _instance(name="inst1", **params)
    inst.beparams = dict(defaults.BEC_DEFAULTS, maxmem=64, minmem=64,
                         vcpus=1)
    return inst


@needs_qemu
def test_real_qemu_start_qmp_migrate_stop(short_root):
    root, started = short_root
    src = hv_kvm.KVMHypervisor(run_dir=os.path.join(root, "a"))
    dst = hv_kvm.KVMHypervisor(run_dir=os.path.join(root, "b"))
    started += [src, dst]
    inst = _qemu_instance(_free_port())

    begin = time.monotonic()
    src.StartInstance(inst, [], True)           # paused: -S
    start_time = time.monotonic() - begin
    assert src.ListInstances() == ["inst1"]
    paths = src._Paths("inst1")
    status = qmp.Run(paths.qmp, "query-status")
    assert status["running"] is False and status["status"] == "prelaunch"
    assert os.path.exists(paths.serial) and os.path.isfile(paths.runtime)
    name, pid, memory, vcpus, state, _ = src.GetInstanceInfo("inst1")
    assert (name, memory, vcpus, state) == ("inst1", 64, 1,
                                            hv_base.HvInstanceState.RUNNING)
    qmp.Run(paths.qmp, "cont")
    assert qmp.Run(paths.qmp, "query-status")["status"] == "running"

    info = src.MigrationInfo(inst)
    begin = time.monotonic()
    dst.AcceptInstance(inst, info, "127.0.0.1")
    assert qmp.Run(dst._Paths("inst1").qmp,
                   "query-status")["status"] == "inmigrate"
    src.MigrateInstance("cluster", inst, "127.0.0.1", True)
    assert _wait(lambda: src.GetMigrationStatus(inst)["status"] != "active",
                 30)
    status = src.GetMigrationStatus(inst)
    assert status["status"] == "completed", status
    dst.FinalizeMigrationDst(inst, info, True)
    src.FinalizeMigrationSource(inst, True, True)
    migrate_time = time.monotonic() - begin
    assert not hv_kvm.InstancePid(paths)[1] or _wait(
        lambda: not hv_kvm.InstancePid(paths)[1], 10)
    assert src.ListInstances() == []
    assert not os.path.exists(paths.runtime)
    assert dst.ListInstances() == ["inst1"]
    assert qmp.Run(dst._Paths("inst1").qmp,
                   "query-status")["status"] == "running"
    sys.stderr.write("qemu start %.3fs, migration %.3fs, downtime %s ms\n"
                     % (start_time, migrate_time, status.get("downtime")))

    # no guest OS answers ACPI: the soft stop ends in a kill after 1 s
    begin = time.monotonic()
    dst.StopInstance(inst, timeout=1)
    assert 0.9 < time.monotonic() - begin < 10
    assert dst.ListInstances() == []
    assert not os.path.exists(dst._Paths("inst1").qmp)


@needs_qemu
def test_real_qemu_failed_start_and_reboot(short_root):
    root, started = short_root
    hv = hv_kvm.KVMHypervisor(run_dir=os.path.join(root, "a"))
    started.append(hv)
    bad = _qemu_instance(_free_port(), kernel_path="/nonexistent/vmlinuz")
    with pytest.raises(errors.HypervisorError,
                       match="Failed to start instance inst1.*vmlinuz"):
        hv.StartInstance(bad, [], False)
    assert hv.ListInstances() == []
    inst = _qemu_instance(_free_port())
    hv.StartInstance(inst, [], False)
    with pytest.raises(errors.HypervisorError, match="already running"):
        hv.StartInstance(inst, [], False)
    old_pid = hv.GetInstanceInfo("inst1")[1]
    hv.RebootInstance(inst)
    new_pid = hv.GetInstanceInfo("inst1")[1]
    assert new_pid != old_pid
    assert not hv_kvm.utils_process.IsProcessAlive(old_pid) or _wait(
        lambda: not hv_kvm.utils_process.IsProcessAlive(old_pid))
    assert hv.Verify({"kvm_path": QEMU}) in (None,) or \
        "socat" in hv.Verify({"kvm_path": QEMU})
    hv.StopInstance(inst, force=True)
    assert hv.ListInstances() == []


_NIC_SCRIPT = r"""
import json, subprocess, sys
sys.path.insert(0, %(repo)r)
from ganeti import pathutils
pathutils.set_root(%(root)r)
from ganeti.hypervisor import hv_kvm
import test_hv_kvm as T
subprocess.check_call(["ip", "link", "add", "br0", "type", "bridge"])
hv = hv_kvm.KVMHypervisor()
inst = T._qemu_instance(8102, nics=[T._nic(0)])
hv.StartInstance(inst, [], False)
def links():
    return subprocess.check_output(["ip", "-o", "link", "show", "master",
                                    "br0"]).decode()
during = links()
hv.HotAddDevice(inst, "nic", T._nic(1), None, 1)
hotplugged = links()
runtime = json.load(open(hv._Paths(inst.name).runtime))
hv.StopInstance(inst, force=True)
after = subprocess.check_output(["ip", "-o", "link"]).decode()
print(json.dumps({"during": during, "hotplugged": hotplugged,
                  "addrs": [n["hvinfo"]["addr"] for n in runtime[1]],
                  "after": after}))
"""


@needs_qemu
@pytest.mark.skipif(os.geteuid() != 0, reason="tap devices need root")
def test_real_qemu_nics_on_bridge_in_private_netns(short_root):
    root, started = short_root
    script = _NIC_SCRIPT % {"repo": REPO, "root": root}
    env = dict(os.environ, PYTHONPATH=os.path.dirname(__file__))
    result = subprocess.run(["unshare", "--net", sys.executable, "-c",
                             script], capture_output=True, text=True,
                            timeout=60, env=env)
    if result.returncode != 0 and "unshare failed" in result.stderr:
        pytest.skip("network namespaces unavailable")
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert "tap0" in data["during"] and "master br0" in data["during"]
    assert "tap1" not in data["during"] and "tap1" in data["hotplugged"]
    assert data["addrs"] == ["0xc", "0xd"]
    assert "tap0" not in data["after"] and "tap1" not in data["after"]
