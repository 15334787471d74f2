"""A KVM instance on sharedfile disks, end to end on a 2-node testbed
cluster: real qemu (TCG, kvm_flag=disabled) booting the test guest of
tools/make-guest with the "image" OS.

The guest's serial console is read with `gnt-instance console` on the
master, under a pseudo-terminal (script(1)) and bounded by timeout(1): ssh
to the primary node (the host `--show-cmd` names), then socat on the
instance's serial socket.  The guest prints "guest counter N" every
second, so:

- after `gnt-instance add` the console shows the guest booting and counting;
- after `gnt-instance migrate` (live) the counter goes on from where it was
  on node1 and qemu runs in node2's namespace only;
- after `gnt-instance failover` (a reboot on the other node) the guest boots
  again, counting from 1;
- `gnt-instance grow-disk` of the running instance: qemu's drive has the
  new size at once (QMP block_resize), the guest keeps running;
- `gnt-instance shutdown` leaves ADMIN_down and no qemu; `startup` boots it.

Skips with one line without root, qemu-system-x86_64 or the guest.
VCLUSTER_LAB / VCLUSTER_STATE are honoured.  Every wait is bounded.
"""

import json
import os
import re
import selectors
import shlex
import shutil
import subprocess
import sys
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)
PY = sys.executable
VCLUSTER = os.path.join(REPO, "tools", "vcluster")
QEMU = shutil.which("qemu-system-x86_64")
DOMAIN = "example.test"
N1, N2 = ("node%d.%s" % (i, DOMAIN) for i in (1, 2))
NAME = "kvm1." + DOMAIN
MESSAGE = "hello from the testbed"
OS_SRC = os.path.join(REPO, "examples", "os")
SHARED_DIR = "/srv/ganeti/shared-file-storage"
GUEST_CACHE = "/var/cache/ganeti-guest"
BUILD_TIMEOUT = 900
BOOT_TIMEOUT = 240        # TCG on a loaded 2-core machine: be generous
RUN_TIMEOUT = 60          # further counter lines of a running guest
_COUNTER_RE = re.compile(r"^guest counter (\d+)$")


def _guest():
    """(vmlinuz, initrd.img) built by tools/make-guest, or skip."""
    if QEMU is None:
        pytest.skip("qemu-system-x86_64 not installed")
    try:
        proc = subprocess.run([PY, os.path.join(REPO, "tools", "make-guest"),
                               "--cache-dir", GUEST_CACHE],
                              capture_output=True, text=True,
                              timeout=BUILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.skip("make-guest did not finish in %d s" % BUILD_TIMEOUT)
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines() or ["?"]
        pytest.skip("guest unavailable: %s" % lines[-1])
    return (os.path.join(GUEST_CACHE, "vmlinuz"),
            os.path.join(GUEST_CACHE, "initrd.img"))


class _KvmChecks:
    """Checks mixed into the conftest Cluster (gnt, ok, vc...)."""

    def fields(self, *fields):
        res = self.ok("instance", "list", "--no-headers", "--separator=|",
                      "-o", ",".join(fields), NAME)
        return res.stdout.strip().split("|")

    def console(self, name, deadline, counters):
        """(primary node named by the console command, console lines of
        `gnt-instance console name` until `counters` counter lines were read
        or the deadline); connects again while qemu's serial socket is not
        there yet."""
        res = self.ok("instance", "console", "--show-cmd", name)
        argv = shlex.split(res.stdout.strip())
        assert argv[0] == "ssh" and "-t" in argv, argv
        assert "UNIX-CONNECT:" in argv[-1], argv
        host = argv[-2].split("@", 1)[1]
        lines = []
        while time.monotonic() < deadline:
            lines += self._read(name, deadline, counters - _count(lines))
            if _count(lines) >= counters:
                break
            time.sleep(0.5)
        return host, lines

    def _read(self, name, deadline, counters):
        """One console session on the master, with a terminal (script(1))
        as an administrator has; timeout(1) bounds it."""
        limit = max(1, int(deadline - time.monotonic()) + 1)
        command = " ".join(shlex.quote(a) for a in [
            PY, os.path.join(REPO, "scripts", "gnt-instance"), "console",
            name])
        proc = subprocess.Popen(
            [VCLUSTER, "exec", "node1", "--", "timeout", str(limit), "script",
             "-qfec", command, "/dev/null"], env=self.vc.env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL)
        lines, buf = [], b""
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        try:
            while time.monotonic() < deadline and _count(lines) < counters:
                if not sel.select(min(1.0, max(0.05,
                                               deadline - time.monotonic()))):
                    continue
                data = os.read(proc.stdout.fileno(), 4096)
                if not data:
                    break
                buf += data
                while b"\n" in buf:
                    raw, buf = buf.split(b"\n", 1)
                    lines.append(raw.decode("utf-8", "replace").strip("\r"))
        finally:
            sel.close()
            if proc.poll() is None:
                proc.terminate()   # timeout(1) passes it on to script/ssh
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)
            proc.stdin.close()
            proc.stdout.close()
        return lines


def _counters(lines):
    return [int(m.group(1)) for m in map(_COUNTER_RE.match, lines) if m]


def _count(lines):
    return len(_counters(lines))


def _qemu_nodes(name):
    """The lab nodes (short names) whose network namespace holds a live
    qemu process of instance name (the lab's node namespaces are
    /run/netns/<lab>-nodeN; /proc shows every process of the machine)."""
    from ganeti.tools import vcluster_layout as L
    namespaces = {}
    for idx in (1, 2):
        try:
            ino = os.stat("/run/netns/" + L.NODE_NETNS_FMT % idx).st_ino
        except OSError:
            continue
        namespaces[ino] = "node%d" % idx
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as handle:
                argv = handle.read().split(b"\0")
            with open("/proc/%s/stat" % pid, "rb") as handle:
                state = handle.read().rsplit(b")", 1)[1].split()[0]
            ino = os.stat("/proc/%s/ns/net" % pid).st_ino
        except (OSError, IndexError):
            continue
        if state == b"Z" or not argv[0].endswith(b"qemu-system-x86_64") or \
                b"-name" not in argv[:-1]:
            continue
        if argv[argv.index(b"-name") + 1].split(b",")[0] == name.encode() \
                and ino in namespaces:
            found.append(namespaces[ino])
    return sorted(found)


def _wait_for(check, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() >= deadline:
            assert value, "timed out after %ds waiting for %s" % (timeout,
                                                                 what)
            return value
        time.sleep(0.2)


def _install_image_os(cluster):
    for node in cluster.nodes:
        res = cluster.sh("mkdir -p /srv/ganeti/os && cp -r %s/image"
                         " /srv/ganeti/os/" % OS_SRC, node=node.split(".")[0])
        assert res.returncode == 0, res.stderr


def KvmCluster(make_cluster, node_add_available, templates: str):
    """A 2-node cluster running TCG KVM guests of the test image (also
    used by other KVM test modules)."""
    kernel, initrd = _guest()
    if not node_add_available:
        pytest.skip("needs gnt-node add (2 nodes)")
    return make_cluster(2, init_opts=[
        "--enabled-hypervisors=kvm,fake",
        "--enabled-disk-templates=%s" % templates,
        "-H", "kvm:kvm_flag=disabled,kernel_path=%s,initrd_path=%s"
        % (kernel, initrd)], prepare=_install_image_os, helpers=_KvmChecks)


@pytest.fixture(scope="module")
def cluster(make_cluster, node_add_available):
    cluster = KvmCluster(make_cluster, node_add_available,
                         "sharedfile,file,diskless")
    yield cluster
    # the instance first (if a test left it), so that the nodes go cleanly
    if NAME in cluster.gnt("instance", "list", "--no-headers", "-o",
                           "name").stdout.split():
        cluster.gnt("instance", "remove", "-f", NAME, timeout=300)


def _boot_ok(lines, counters=2):
    """The guest's boot output: its configuration, then counting from 1."""
    assert "guest name: %s" % NAME in lines, "\n".join(lines[-40:])
    assert "guest message: %s" % MESSAGE in lines
    assert "guest: configuration from /dev/vda" in lines
    seen = _counters(lines)
    assert seen[:counters] == list(range(1, counters + 1)), seen


def test_add_boots_on_node1(cluster):
    res = cluster.ok("instance", "add", "-t", "sharedfile", "--disk",
                     "0:size=32M", "-o", "image+default", "-n", N1,
                     "-B", "memory=128M", "-O", "message=%s" % MESSAGE,
                     "--no-name-check", "--no-ip-check", NAME, timeout=300)
    assert "* starting instance..." in res.stdout
    assert cluster.fields("hypervisor", "pnode", "status") == \
        ["kvm", N1, "running"]
    assert _qemu_nodes(NAME) == ["node1"]
    deadline = time.monotonic() + BOOT_TIMEOUT
    host, lines = cluster.console(NAME, deadline, 2)
    assert host == N1
    _boot_ok(lines)
    assert any(l.startswith("guest: kernel ") for l in lines)


def test_live_migration_keeps_counting(cluster):
    host, before = cluster.console(NAME, time.monotonic() + RUN_TIMEOUT, 2)
    assert host == N1
    last = _counters(before)[-1]
    res = cluster.ok("instance", "migrate", "-f", "-n", N2, NAME, timeout=300)
    steps = cluster.messages(res.stdout)
    for step in ("Migrating instance %s" % NAME,
                 "* migrating instance to %s" % N2,
                 "* memory transfer complete", "* done"):
        assert step in steps, res.stdout
    assert cluster.fields("pnode", "status") == [N2, "running"]
    assert _qemu_nodes(NAME) == ["node2"]
    host, after = cluster.console(NAME, time.monotonic() + RUN_TIMEOUT, 2)
    assert host == N2
    counted = _counters(after)
    # the same guest, not rebooted: it goes on counting
    assert counted[0] > last, (last, counted)
    assert counted[1] == counted[0] + 1, counted
    assert not [l for l in after if l.startswith("guest name:")], after


def test_failover_reboots_on_node1(cluster):
    res = cluster.ok("instance", "failover", "-f", "-n", N1, NAME,
                     timeout=300)
    steps = cluster.messages(res.stdout)
    assert "* starting the instance on the target node %s" % N1 in steps, \
        res.stdout
    assert cluster.fields("pnode", "status") == [N1, "running"]
    assert _qemu_nodes(NAME) == ["node1"]
    host, lines = cluster.console(NAME, time.monotonic() + BOOT_TIMEOUT, 2)
    assert host == N1
    _boot_ok(lines)


_QMP_DRIVE_SIZES = """
import json, sys
sys.path.insert(0, %r)
from ganeti.hypervisor import hv_kvm_qmp as qmp
from ganeti.hypervisor.hv_kvm_runtime import KvmPaths
paths = KvmPaths("/var/run/ganeti/kvm-hypervisor", %r)
print(json.dumps([b["inserted"]["image"]["virtual-size"]
                  for b in qmp.Run(paths.qmp, "query-block")
                  if b.get("inserted")]))
"""


def _drive_sizes(cluster, node):
    """The sizes (bytes) of the running qemu's drives, asked over QMP."""
    res = cluster.vc.exec(node, PY, "-c", _QMP_DRIVE_SIZES % (REPO, NAME))
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_grow_disk_of_the_running_instance(cluster):
    assert _drive_sizes(cluster, "node1") == [32 * 1024 * 1024]
    cluster.ok("instance", "grow-disk", NAME, "0", "16M", timeout=300)
    assert cluster.fields("disk.size/0", "status") == ["48", "running"]
    # qemu was told (resize_disk: QMP block_resize): no restart needed
    assert _drive_sizes(cluster, "node1") == [48 * 1024 * 1024]
    host, lines = cluster.console(NAME, time.monotonic() + RUN_TIMEOUT, 1)
    assert not [l for l in lines if l.startswith("guest name:")], lines


def test_shutdown_and_startup(cluster):
    cluster.ok("instance", "shutdown", NAME)
    assert cluster.fields("status", "oper_state") == ["ADMIN_down", "N"]
    _wait_for(lambda: _qemu_nodes(NAME) == [], 30, "qemu to exit")
    res = cluster.gnt("instance", "console", "--show-cmd", NAME)
    assert res.returncode == 1 and "Instance %s is not running (state" \
        " ADMIN_down)" % NAME in res.stderr, res.stderr
    cluster.ok("instance", "startup", NAME)
    assert cluster.fields("pnode", "status") == [N1, "running"]
    assert _qemu_nodes(NAME) == ["node1"]
    host, lines = cluster.console(NAME, time.monotonic() + BOOT_TIMEOUT, 2)
    assert host == N1
    _boot_ok(lines)


def test_remove(cluster):
    cluster.ok("instance", "remove", "-f", NAME)
    _wait_for(lambda: _qemu_nodes(NAME) == [], 30, "qemu to exit")
    res = cluster.vc.exec("node1", "ls", "-A", SHARED_DIR)
    assert res.returncode == 0 and res.stdout.split() == [], res.stdout
