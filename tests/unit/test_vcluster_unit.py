"""Pure logic of the vcluster testbed: addressing, generated files, CLI errors."""

import ipaddress
import json
import os
import re

import pytest

from ganeti.tools import vcluster
from ganeti.tools import vcluster_layout as L
from ganeti.tools import vcluster_lifecycle
from ganeti.tools import vcluster_sys


def test_node_names_and_addresses():
    nodes = L.make_nodes(3)
    assert [n.name for n in nodes] == ["node1.example.test", "node2.example.test",
                                       "node3.example.test"]
    assert [n.short for n in nodes] == ["node1", "node2", "node3"]
    assert [n.address for n in nodes] == ["10.250.0.11", "10.250.0.12", "10.250.0.13"]
    assert [n.netns for n in nodes] == ["%s-node%d" % (L.LAB_PREFIX, i)
                                        for i in (1, 2, 3)]


def test_addresses_unique_private_and_never_the_documentation_net():
    nodes = L.make_nodes(L.MAX_NODES)
    addrs = [ipaddress.IPv4Address(n.address) for n in nodes]
    special = [ipaddress.IPv4Address(L.cluster_ip()), ipaddress.IPv4Address(L.bridge_ip())]
    assert len(set(addrs + special)) == len(addrs) + 2
    doc_net = ipaddress.IPv4Network("192.0.2.0/24")
    for addr in addrs + special:
        assert addr in L.SUBNET and addr.is_private and addr not in doc_net
        assert addr not in (L.SUBNET.network_address, L.SUBNET.broadcast_address)


def test_interface_names_fit_the_kernel_limit():
    node = L.make_nodes(L.MAX_NODES)[-1]
    for name in (node.lab_veth, node.netns, L.LAB_BRIDGE, L.NODE_BRIDGE, L.NODE_IFACE):
        assert 0 < len(name) <= 15


@pytest.mark.parametrize("count", [0, -1, L.MAX_NODES + 1])
def test_bad_node_count(count):
    with pytest.raises(L.LayoutError, match="between 1 and"):
        L.make_nodes(count)


def test_find_node():
    nodes = L.make_nodes(3)
    assert L.find_node(nodes, "node2").index == 2
    assert L.find_node(nodes, "node2.example.test").index == 2
    assert L.find_node(nodes, "NODE3.example.test.").index == 3
    with pytest.raises(L.LayoutError, match="unknown node 'node4'.*node1..node3"):
        L.find_node(nodes, "node4")
    with pytest.raises(L.LayoutError, match="unknown node"):
        L.find_node(nodes, "node1.example.org")


def test_hosts_file():
    text = L.hosts_file(L.make_nodes(2))
    lines = [line.split() for line in text.splitlines() if not line.startswith("#")]
    assert ["10.250.0.250", "cluster.example.test", "cluster"] in lines
    assert ["10.250.0.11", "node1.example.test", "node1"] in lines
    assert ["10.250.0.12", "node2.example.test", "node2"] in lines
    # A node name must never resolve to a loopback address.
    for fields in lines:
        if fields[0].startswith("127.") or fields[0] == "::1":
            assert not any(name.startswith("node") for name in fields[1:])


def test_known_hosts_lists_every_name_form():
    nodes = L.make_nodes(2)
    keys = {"node1.example.test": ["ssh-ed25519 AAAA1 root@node1", "ssh-rsa BBBB1 c"],
            "node2.example.test": ["ssh-ed25519 AAAA2 root@node2"]}
    lines = L.known_hosts(nodes, keys).splitlines()
    assert lines == ["node1.example.test,node1,10.250.0.11 ssh-ed25519 AAAA1",
                     "node1.example.test,node1,10.250.0.11 ssh-rsa BBBB1",
                     "node2.example.test,node2,10.250.0.12 ssh-ed25519 AAAA2"]


def test_sshd_config():
    paths = L.StatePaths("/st")
    node = L.Node(2)
    conf = dict(line.split(None, 1) for line in L.sshd_config(node, paths).splitlines()
                if line and not line.startswith("#") and not line.startswith("HostKey"))
    assert conf["ListenAddress"] == "10.250.0.12:22"
    assert conf["PermitRootLogin"] == "prohibit-password"
    assert conf["PasswordAuthentication"] == "no"
    assert conf["PidFile"] == "/st/node2.example.test/sshd.pid"


def test_holder_script_mounts_and_order():
    paths = L.StatePaths("/st")
    script = L.holder_script(L.Node(1), paths, "/usr/sbin/sshd").splitlines()
    assert script[0] == "set -e"
    assert "hostname 'node1.example.test'" in script
    for sub, target in L.NODE_DIR_MOUNTS:
        assert "mount --bind '/st/node1.example.test/%s' '%s'" % (sub, target) in script
    shared = script.index("mount --bind '/st/shared-file-storage' "
                          "'/srv/ganeti/shared-file-storage'")
    srv = script.index("mount --bind '/st/node1.example.test/srv-ganeti' '/srv/ganeti'")
    sshd = [i for i, line in enumerate(script) if line.startswith("'/usr/sbin/sshd'")][0]
    assert srv < shared < sshd
    assert script[-2] == "echo $$ > '/st/node1.example.test/holder.pid'"
    assert script[-1] == "exec sleep infinity"


def test_holder_script_gives_each_node_its_own_boot_id():
    script = L.holder_script(L.Node(2), L.StatePaths("/st"),
                             "/usr/sbin/sshd").splitlines()
    assert "mount --bind '/st/node2.example.test/boot_id'" \
        " '/proc/sys/kernel/random/boot_id'" in script
    assert script.index("mount --bind '/st/node2.example.test/boot_id'"
                        " '/proc/sys/kernel/random/boot_id'") < \
        script.index("exec sleep infinity")


def test_holder_script_gives_the_node_an_overlay_etc_first():
    script = L.holder_script(L.Node(1), L.StatePaths("/st"), "/usr/sbin/sshd",
                             "/srv/host-etc")
    lines = script.splitlines()
    overlay = lines.index(
        "mount -t overlay vcluster-etc -o 'lowerdir=/srv/host-etc,upperdir="
        "/st/node1.example.test/etc,workdir=/st/node1.example.test/etc-work' /etc")
    assert overlay < lines.index("mount --bind '/st/node1.example.test/etc-ganeti'"
                                 " '/etc/ganeti'")
    assert "/etc/hosts" not in script  # a file of the overlay, not a bind mount
    assert "lowerdir=/etc," in L.holder_script(L.Node(1), L.StatePaths("/st"),
                                               "/usr/sbin/sshd")


@pytest.mark.parametrize("state, host_etc, bad", [
    ("/st,x", "/etc", "/st,x/node1.example.test/etc"),
    ("/st", "/my:etc", "/my:etc"),
    ("/st", "/a\\b", "/a\\b"),
    ("/st", "etc", "etc"),
])
def test_overlay_refuses_paths_the_kernel_would_split(state, host_etc, bad):
    with pytest.raises(L.LayoutError, match="cannot use '%s'" % re.escape(bad)):
        L.etc_overlay_options(L.Node(1), L.StatePaths(state), host_etc)


def test_node_etc_files_replace_the_hosts_ganeti_defaults():
    nodes = L.make_nodes(2)
    files = L.node_etc_files(nodes[1], nodes)
    assert files["hostname"] == "node2.example.test\n"
    assert files["hosts"] == L.hosts_file(nodes)
    assert "nameserver" not in files["resolv.conf"]
    defaults = files["default/ganeti"]
    assert defaults.startswith("#") and len(defaults.splitlines()) == 1
    for rel in files:
        assert rel.split("/")[0] in ("hosts", "hostname", "resolv.conf") + \
            L.NODE_ETC_DIRS


def test_host_ganeti_entries_are_found_outermost_only(tmp_path):
    for rel in ("ganeti/rapi/users", "default/ganeti", "cron.d/ganeti",
                "logrotate.d/Ganeti-daemons", "ssh/sshd_config",
                "default/ssh", "init.d/ganeti"):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x\n")
    os.symlink("../ganeti", tmp_path / "init.d" / "ganeti-link")
    assert sorted(vcluster_lifecycle._host_ganeti_entries(str(tmp_path))) == [
        "cron.d/ganeti", "default/ganeti", "ganeti", "init.d/ganeti",
        "init.d/ganeti-link", "logrotate.d/Ganeti-daemons"]


def test_node_etc_layer_has_the_nodes_files_and_the_hosts_modes(tmp_path):
    host = tmp_path / "host-etc"
    (host / "default").mkdir(parents=True)
    (host / "default").chmod(0o750)
    host.chmod(0o711)
    etc = str(tmp_path / "node-etc")
    files = {"hosts": "h\n", "default/ganeti": "# none\n", "a/b/c": "deep\n"}
    vcluster_lifecycle._make_node_etc(etc, str(host), files, [])
    assert os.stat(etc).st_mode & 0o7777 == 0o711
    assert os.stat(os.path.join(etc, "default")).st_mode & 0o7777 == 0o750
    assert os.stat(os.path.join(etc, "a", "b")).st_mode & 0o7777 == 0o755
    for rel, content in files.items():
        with open(os.path.join(etc, rel)) as handle:
            assert handle.read() == content
    for sub in L.NODE_ETC_DIRS:
        assert os.path.isdir(os.path.join(etc, sub))


def test_up_checks_the_host_etc_before_anything(tmp_path, monkeypatch):
    nodes = L.make_nodes(1)
    paths = L.StatePaths(str(tmp_path / "state"))
    with pytest.raises(vcluster_sys.Error, match="is not a directory"):
        vcluster_lifecycle._check_host_etc(paths, nodes, str(tmp_path / "none"))
    (tmp_path / "a:b").mkdir()
    with pytest.raises(L.LayoutError, match="contains ':'"):
        vcluster_lifecycle._check_host_etc(paths, nodes, str(tmp_path / "a:b"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "etc").mkdir()
    assert vcluster_lifecycle._check_host_etc(paths, nodes, "etc") == \
        str(tmp_path / "etc")


def test_up_takes_the_host_etc_from_option_or_environment(monkeypatch):
    monkeypatch.delenv(L.HOST_ETC_ENV, raising=False)
    assert vcluster.build_parser().parse_args(["up"]).host_etc == "/etc"
    monkeypatch.setenv(L.HOST_ETC_ENV, "/srv/fake-etc")
    assert vcluster.build_parser().parse_args(["up"]).host_etc == "/srv/fake-etc"
    args = vcluster.build_parser().parse_args(["up", "--host-etc", "/x"])
    assert args.host_etc == "/x"


def test_holder_script_quotes_paths():
    script = L.holder_script(L.Node(1), L.StatePaths("/st/it's"), "/usr/sbin/sshd")
    assert "'/st/it'\\''s/node1.example.test/etc-ganeti'" in script


def test_lab_network_never_uses_the_host_namespace():
    batch = L.lab_net_batch(L.make_nodes(2)).splitlines()
    prefix = L.LAB_PREFIX  # "gnt" unless VCLUSTER_LAB names another lab
    assert "link add %s-v1 type veth peer name eth0 netns %s-node1" % (
        prefix, prefix) in batch
    assert "link set %s-v2 master %s-labbr" % (prefix, prefix) in batch
    assert not [line for line in batch if "route" in line or "default" in line]
    node = L.node_net_batch(L.Node(2)).splitlines()
    assert "addr add 10.250.0.12/24 dev xen-br0" in node
    assert "link set eth0 master xen-br0" in node
    assert not [line for line in node if "route" in line]


def test_lab_netns_names():
    listing = ("P-node2 (id: 1)\nother\nP-lab (id: 0)\nP-nodex\nP-node10\n"
               .replace("P-", L.LAB_PREFIX + "-"))
    assert L.lab_netns_names(listing) == [
        L.LAB_PREFIX + suffix for suffix in ("-node2", "-lab", "-node10")]


def test_nsenter_argv():
    assert L.nsenter_argv(42, ["hostname", "-f"]) == [
        "nsenter", "-t", "42", "-m", "-u", "-n", "--wd=/", "--", "hostname", "-f"]


def test_state_dir_from_environment(monkeypatch):
    monkeypatch.setenv(L.STATE_ENV, "/tmp/somewhere")
    assert vcluster.state_paths().root == "/tmp/somewhere"
    assert vcluster.state_paths("/x/y").root == "/x/y"
    monkeypatch.delenv(L.STATE_ENV)
    assert vcluster.state_paths().root == L.DEFAULT_STATE_DIR


def test_parser_exec_keeps_the_command():
    parser = vcluster.build_parser()
    args = parser.parse_args(["exec", "node1", "--", "ls", "-l", "--all"])
    # argparse may or may not keep the "--"; cmd_exec drops a leading one.
    assert args.node == "node1"
    assert [a for a in args.cmd if a != "--"] == ["ls", "-l", "--all"]
    args = parser.parse_args(["exec", "--state-dir", "/s", "node2", "ip", "-br", "a"])
    assert args.state_dir == "/s" and args.cmd == ["ip", "-br", "a"]
    assert parser.parse_args(["up"]).nodes == L.DEFAULT_NODES
    assert parser.parse_args(["up", "--nodes", "40"]).nodes == 40


@pytest.mark.parametrize("argv", [["frobnicate"], [], ["up", "--nodes", "0"],
                                  ["up", "--nodes", "many"], ["cut"],
                                  ["up", "--nodes", "201"]])
def test_bad_arguments_give_one_line_and_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        vcluster.main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("vcluster")


def test_exec_without_lab_is_a_one_line_error(tmp_path, capsys):
    assert vcluster.main(["exec", "--state-dir", str(tmp_path), "node1", "--",
                          "true"]) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "not up" in err


def test_exec_unknown_node_is_a_one_line_error(tmp_path, capsys, monkeypatch):
    lab = {"ready": True, "nodes": [{"index": 1, "name": "node1.example.test",
                                     "holder_pid": 1, "holder_start": 0}]}
    (tmp_path / "lab.json").write_text(json.dumps(lab))
    monkeypatch.setattr(vcluster_sys, "lab_netns_exists", lambda: True)
    assert vcluster.main(["exec", "--state-dir", str(tmp_path), "nosuchnode", "--",
                          "true"]) == 1
    err = capsys.readouterr().err
    assert err == "vcluster: error: unknown node 'nosuchnode' (lab nodes: node1..node1)\n"


def test_exec_needs_a_command(tmp_path, capsys):
    assert vcluster.main(["exec", "--state-dir", str(tmp_path), "node1"]) == 1
    assert "needs a command" in capsys.readouterr().err


def test_each_lab_has_its_own_default_state_dir():
    assert L.default_state_dir("gnt") == "/var/lib/ganeti-vcluster"
    assert L.default_state_dir("tb") == "/var/lib/ganeti-vcluster-tb"
    assert L.default_state_dir("tb") != L.default_state_dir("tb2")
    assert L.DEFAULT_STATE_DIR == L.default_state_dir(L.LAB_PREFIX)


def test_a_lab_refuses_another_labs_state_dir(tmp_path):
    from ganeti.tools import vcluster_sys as S
    paths = L.StatePaths(str(tmp_path))
    S.check_lab_of_state(paths)  # no lab recorded yet
    S.save_lab(paths, {"lab_netns": L.LAB_NETNS})
    S.check_lab_of_state(paths)  # our own lab
    S.save_lab(paths, {"lab_netns": "zz9-lab"})
    with pytest.raises(S.Error, match="belongs to the lab zz9-lab"):
        S.check_lab_of_state(paths)
