"""The vcluster testbed itself: nodes, isolation, SSH, failures and teardown.

One 3-node lab is brought up for the module (in a temporary state dir) and
taken down by the last test; the fixture's finaliser runs "down" once more.
"""

import json
import os
import subprocess
import sys

import pytest

from ganeti.tools import vcluster_layout as L

NODES = ["node1.example.test", "node2.example.test", "node3.example.test"]


def _alive(pid):
    """Running and not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as stat:
            data = stat.read()
    except OSError:
        return False
    return data[data.rfind(")") + 2:].split()[0] not in ("Z", "X")


def _netns_list():
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True,
                         check=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def _host_mounts_under(path):
    with open("/proc/self/mountinfo") as info:
        return [line for line in info if path in line]


@pytest.fixture(scope="module")
def lab(vcluster_tool, tmp_path_factory):
    vc = vcluster_tool(str(tmp_path_factory.mktemp("vcluster-state")))
    res = vc.run("up", "--nodes", "3", timeout=300)
    if res.returncode != 0:
        vc.run("down")
        pytest.fail("vcluster up failed: %s%s" % (res.stdout, res.stderr))
    vc.up_output = res.stdout
    with open(os.path.join(vc.state_dir, "lab.json")) as handle:
        vc.info = json.load(handle)
    yield vc
    vc.run("down")


def test_up_prints_nodes_and_cluster(lab):
    for name in NODES:
        assert name in lab.up_output
    assert "cluster.example.test" in lab.up_output
    assert "10.250.0.250" in lab.up_output


def test_each_node_has_its_own_hostname(lab):
    for name in NODES:
        res = lab.exec(name.split(".")[0], "hostname", "-f", check=True)
        assert res.stdout.strip() == name
        assert lab.exec(name, "hostname", check=True).stdout.strip() == name


def test_each_node_has_its_own_address(lab):
    for i, name in enumerate(NODES, start=1):
        res = lab.exec(name, "ip", "-4", "-o", "addr", "show", check=True)
        assert "10.250.0.%d/24" % (10 + i) in res.stdout
        assert "10.250.0.250" not in res.stdout  # the cluster IP is free


def test_var_lib_ganeti_is_private(lab):
    marker = "/var/lib/ganeti/vcluster-test-marker"
    lab.exec("node1", "sh", "-c", "echo one > " + marker, check=True)
    try:
        assert lab.exec("node1", "cat", marker, check=True).stdout == "one\n"
        assert lab.exec("node2", "test", "-e", marker).returncode == 1
        assert not os.path.exists(marker)  # nor on the host
    finally:
        lab.exec("node1", "rm", "-f", marker)


def test_node_directories_exist_and_shared_storage_is_shared(lab):
    dirs = ["/etc/ganeti", "/var/run/ganeti", "/var/log/ganeti", "/var/lib/ganeti",
            "/srv/ganeti/file-storage", "/srv/ganeti/shared-file-storage",
            "/srv/ganeti/os", "/srv/ganeti/export"]
    script = 'for d in "$@"; do test -d "$d" || echo "missing $d"; done'
    for name in NODES:
        res = lab.exec(name, "sh", "-c", script, "sh", *dirs, check=True)
        assert res.stdout == "", (name, res.stdout)
    shared = "/srv/ganeti/shared-file-storage/vcluster-test"
    lab.exec("node1", "sh", "-c", "echo shared > " + shared, check=True)
    try:
        assert lab.exec("node3", "cat", shared, check=True).stdout == "shared\n"
        assert lab.exec("node2", "test", "-e", "/srv/ganeti/os/x").returncode == 1
    finally:
        lab.exec("node1", "rm", "-f", shared)


def test_hosts_resolve_every_node_and_the_cluster(lab):
    res = lab.exec("node2", "getent", "hosts", "cluster.example.test", check=True)
    assert res.stdout.split()[0] == "10.250.0.250"
    for i, name in enumerate(NODES, start=1):
        res = lab.exec("node2", "getent", "hosts", name.split(".")[0], check=True)
        assert res.stdout.split()[:2] == ["10.250.0.%d" % (10 + i), name]


NODE_ETC_FILES = ["/etc/hosts", "/etc/hostname", "/etc/resolv.conf",
                  "/etc/default/ganeti"]
# Inside a node: keep each file as FILE.orig, then replace FILE by rename(2)
# with a copy carrying a marker line (as upstream replaces /etc/hosts).
_RENAME_OVER = """
import os, shutil, sys
for path in sys.argv[1:]:
    shutil.copy2(path, path + ".orig")
    with open(path + ".new", "w") as handle:
        handle.write(open(path).read() + "# renamed-over marker\\n")
    os.rename(path + ".new", path)
"""


def _host_files(paths):
    result = {}
    for path in paths:
        try:
            with open(path) as handle:
                result[path] = handle.read()
        except FileNotFoundError:
            result[path] = None
    return result


def test_node_etc_files_can_be_replaced_by_rename_privately(lab):
    host_before = _host_files(NODE_ETC_FILES)
    res = lab.exec("node2", sys.executable, "-c", _RENAME_OVER, *NODE_ETC_FILES)
    try:
        assert res.returncode == 0, res.stderr
        for path in NODE_ETC_FILES:
            assert lab.exec("node2", "tail", "-n", "1", path, check=True).stdout \
                == "# renamed-over marker\n", path
            assert "renamed-over" not in lab.exec("node1", "cat", path,
                                                  check=True).stdout, path
        assert _host_files(NODE_ETC_FILES) == host_before
    finally:
        for path in NODE_ETC_FILES:
            lab.exec("node2", "mv", path + ".orig", path)
    assert lab.exec("node2", "hostname", "-f", check=True).stdout == \
        "node2.example.test\n"


def test_no_lab_mount_leaks_to_the_host(lab):
    assert _host_mounts_under(lab.state_dir) == []


def test_lab_has_no_route_off_the_machine(lab):
    for ns in [L.LAB_NETNS, L.NODE_NETNS_FMT % 1, L.NODE_NETNS_FMT % 3]:
        routes = subprocess.run(["ip", "-n", ns, "-4", "route", "show", "table", "all"],
                                capture_output=True, text=True, check=True).stdout
        assert "default" not in routes
        for line in routes.splitlines():
            dest = line.split()[0]
            if dest in ("local", "broadcast"):
                dest = line.split()[1]
            # the lab subnet and the nodes' secondary (DRBD) subnet only
            assert dest.startswith(("10.250.0.", "10.250.1.", "127.")), line
    links = subprocess.run(["ip", "-n", L.LAB_NETNS, "-o", "link", "show"],
                           capture_output=True, text=True, check=True).stdout
    names = sorted(line.split(": ")[1].split("@")[0] for line in links.splitlines())
    assert names == sorted(["lo", L.LAB_BRIDGE] + [L.LAB_VETH_FMT % i for i in (1, 2, 3)])
    host = subprocess.run(["ip", "-o", "link", "show"], capture_output=True,
                          text=True, check=True).stdout
    assert L.LAB_PREFIX + "-" not in host and "xen-br0" not in host


def test_ssh_between_nodes(lab):
    res = lab.ssh("node1", "node2.example.test", "hostname")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "node2.example.test"
    res = lab.ssh("node3", "node1", "hostname")       # short name
    assert res.stdout.strip() == "node1.example.test", res.stderr
    res = lab.ssh("node2", "10.250.0.13", "hostname")  # address
    assert res.stdout.strip() == "node3.example.test", res.stderr


def test_exec_passes_status_stdin_and_environment(lab):
    assert lab.exec("node1", "sh", "-c", "exit 3").returncode == 3
    assert lab.exec("node1", "cat", input="hello\n").stdout == "hello\n"
    assert lab.exec("node1", "pwd").stdout == "/\n"
    lab.env["VCLUSTER_TEST_VAR"] = "passed"
    try:
        res = lab.exec("node1", "sh", "-c", "echo $VCLUSTER_TEST_VAR")
    finally:
        del lab.env["VCLUSTER_TEST_VAR"]
    assert res.stdout == "passed\n"


def test_status_reports_every_node(lab):
    res = lab.run("status")
    assert res.returncode == 0, res.stderr
    rows = [line.split() for line in res.stdout.splitlines() if line.startswith("node")]
    assert [r[0] for r in rows] == NODES
    for row in rows:
        assert row[3:] == ["alive", "alive", "up", "yes"], row


def test_cut_and_heal(lab):
    assert lab.ssh("node1", "node3", "true").returncode == 0
    lab.run("cut", "node3", check=True)
    try:
        assert lab.ssh("node1", "node3", "true", timeout=2).returncode != 0
        assert lab.exec("node1", "ping", "-c", "1", "-W", "1", "node3").returncode != 0
        row = [line for line in lab.run("status").stdout.splitlines()
               if line.startswith("node3")]
        assert row[0].split()[-2:] == ["cut", "no"]
        # node1 and node2 still talk
        assert lab.ssh("node1", "node2", "true").returncode == 0
    finally:
        lab.run("heal", "node3", check=True)
    res = lab.ssh("node1", "node3", "hostname")
    assert res.stdout.strip() == "node3.example.test", res.stderr


def test_bad_input(lab):
    res = lab.run("exec", "nosuchnode", "--", "true")
    assert res.returncode == 1
    assert len(res.stderr.splitlines()) == 1 and "nosuchnode" in res.stderr
    res = lab.run("frobnicate")
    assert res.returncode == 2 and len(res.stderr.splitlines()) == 1
    for bad in ("0", "201", "three"):
        res = lab.run("up", "--nodes", bad)
        assert res.returncode == 2 and len(res.stderr.splitlines()) == 1, res.stderr
    res = lab.run("up")  # already up
    assert res.returncode == 1 and len(res.stderr.splitlines()) == 1
    res = lab.run("cut", "node9")
    assert res.returncode == 1 and len(res.stderr.splitlines()) == 1


def test_down_leaves_nothing(lab):
    # A detached process started inside a node must be stopped too.
    res = lab.exec("node2", "sh", "-c", "setsid sleep 600 </dev/null >/dev/null 2>&1 & "
                   "echo $!", check=True)
    stray = int(res.stdout)
    assert _alive(stray)
    pids = [n["holder_pid"] for n in lab.info["nodes"]] + \
        [n["sshd_pid"] for n in lab.info["nodes"]]
    assert all(_alive(pid) for pid in pids)

    res = lab.run("down")
    assert res.returncode == 0, res.stderr
    names = _netns_list()
    assert L.LAB_NETNS not in names and \
        not [n for n in names if n.startswith(L.LAB_PREFIX + "-node")]
    assert _host_mounts_under(lab.state_dir) == []
    assert [p for p in pids + [stray] if _alive(p)] == []
    host = subprocess.run(["ip", "-o", "link", "show"], capture_output=True,
                          text=True, check=True).stdout
    assert L.LAB_BRIDGE not in host
    assert not os.path.exists(os.path.join(lab.state_dir, "lab.json"))

    again = lab.run("down")
    assert again.returncode == 0, again.stderr
    res = lab.run("exec", "node1", "--", "true")
    assert res.returncode == 1 and len(res.stderr.splitlines()) == 1
    assert lab.run("status").returncode == 1
