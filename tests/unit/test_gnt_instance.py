"""gnt-instance client: option parsing into opcodes and output layouts
compared with upstream 3.0 reference outputs."""

import os
import time

import pytest

from ganeti import cli
from ganeti import errors
from ganeti.client import gnt_instance, gnt_instance_add, gnt_instance_info
import testdata
from cli_fakes import FakeLuxi, Run

REFERENCE = os.path.join(testdata.REFERENCE, "ops")


def _reference(name):
    path = os.path.join(REFERENCE, name)
    with open(path) as handle:
        lines = handle.read().splitlines()
    return [l for l in lines[1:] if not l.startswith("[exit status")]


def _parse(cmd, argv):
    func, opts, args = cli.ParseArgs("gnt-instance", ["gnt-instance", cmd] +
                                     argv, gnt_instance.commands,
                                     gnt_instance.aliases, frozenset())
    return func, opts, args


def test_add_options_to_opcode():
    _, opts, args = _parse("add", [
        "-n", "node1:node2", "-t", "file", "--disk", "0:size=64M",
        "--disk", "1:size=1G,mode=ro", "-B", "memory=128M,vcpus=2",
        "-o", "noop+default", "--net", "0:mac=auto,link=br1",
        "-H", "fake:migration_mode=non-live", "--no-ip-check", "inst1"])
    op = gnt_instance_add.BuildCreateOp(opts, args[0])
    assert op.pnode == "node1" and op.snode == "node2"
    assert op.disks == [{"size": 64}, {"size": 1024, "mode": "ro"}]
    assert op.beparams == {"memory": 128, "vcpus": 2}
    assert op.nics == [{"mac": "auto", "link": "br1"}]
    assert op.hypervisor == "fake"
    assert op.hvparams == {"migration_mode": "non-live"}
    assert op.name_check is True and op.ip_check is False
    assert op.start is True and op.mode == "create"
    _, opts, args = _parse("add", ["-n", "n", "-t", "diskless",
                                   "--no-name-check", "--no-nics",
                                   "--no-start", "-o", "x", "i"])
    op = gnt_instance_add.BuildCreateOp(opts, args[0])
    assert op.name_check is False and op.ip_check is False
    assert op.nics == [] and op.disks == [] and op.start is False


@pytest.mark.parametrize("argv,message", [
    (["-t", "file", "-o", "x", "i"], "No disk information specified"),
    (["-t", "diskless", "--disk", "0:size=1G", "-o", "x", "i"],
     "Diskless instance but disk information passed"),
    (["-t", "file", "--disk", "1:size=1G", "-o", "x", "i"],
     "Missing disk definition for disk(s) 0"),
    (["-t", "file", "--disk", "0:size=1Q", "-o", "x", "i"],
     "Invalid disk size for disk 0"),
])
def test_add_bad_disks(argv, message):
    _, opts, args = _parse("add", argv)
    with pytest.raises(errors.OpPrereqError) as err:
        gnt_instance_add.BuildCreateOp(opts, args[0])
    assert err.value.args[0].startswith(message)


def test_modify_device_changes():
    conv = gnt_instance_info.ConvertDeviceMods
    assert conv([("add", {"size": "1G"})], "disk") == \
        [["add", -1, {"size": "1G"}]]
    assert conv([("0", {"remove": True})], "disk") == [["remove", 0, {}]]
    assert conv([("1", {"mode": "ro"})], "disk") == \
        [["modify", 1, {"mode": "ro"}]]
    assert conv([("eth0", {"modify": True, "ip": "1.2.3.4"})], "NIC") == \
        [["modify", "eth0", {"ip": "1.2.3.4"}]]
    with pytest.raises(errors.OpPrereqError):
        conv([("0", {"remove": True, "mode": "ro"})], "disk")


def _inst1_data():
    ts = time.mktime(time.strptime("2026-11-21 16:35:09",
                                   "%Y-%m-%d %H:%M:%S"))
    path = ("/srv/ganeti/file-storage/inst1.ganeti.test/"
            "f5c98227-da0f-4f39-99ca-822aae2d66c7.file.disk0")
    return {
        "name": "inst1.ganeti.test",
        "uuid": "84b44069-2332-44d5-87cf-d63d4d976ada", "serial_no": 3,
        "ctime": ts, "mtime": ts, "config_state": "up", "run_state": "up",
        "pnode": "anchor-node1.ganeti.test",
        "pnode_group_name": "default",
        "pnode_group_uuid": "e6444023-7686-4c75-a7e0-c06909233dd8",
        "snodes": [], "snodes_group_names": [], "snodes_group_uuids": [],
        "os": "anchor-noop+default", "os_instance": {}, "os_actual": {},
        "network_port": None, "hypervisor": "fake", "hv_instance": {},
        "hv_actual": {}, "be_instance": {"maxmem": 128, "minmem": 128},
        "be_actual": {"always_failover": False, "auto_balance": True,
                      "maxmem": 128, "minmem": 128, "spindle_use": 1,
                      "vcpus": 1},
        "nics": [(None, "a6da8a84-3f96-4c08-b46a-3f21dbb09492", None,
                  "aa:00:00:6f:1b:d8", "bridged", "gntbr0", "", None, None)],
        "disk_template": "file",
        "disks": [{"iv_name": "disk/0", "dev_type": "file", "size": 64,
                   "mode": "rw", "logical_id": ["loop", path],
                   "pstatus": [path, None, None, None, None, False, 1],
                   "sstatus": None, "children": [], "drbd_info": None,
                   "name": None,
                   "uuid": "2f861df1-83d6-413d-9da5-b50c213d4009"}],
    }


def test_info_layout_matches_reference(capsys):
    cli.PrintGenericInfo([gnt_instance_info._FormatInstance(_inst1_data(),
                                                            False)])
    assert capsys.readouterr().out.splitlines() == \
        _reference("23-instance-info-inst1.txt")


def test_info_static_layout(capsys):
    data = _inst1_data()
    data["run_state"] = None
    data["disks"][0]["pstatus"] = None
    lines = []
    cli.PrintGenericInfo([gnt_instance_info._FormatInstance(data, False)])
    lines = capsys.readouterr().out.splitlines()
    ref = _reference("24-instance-info-static-inst3.txt")
    keys = [l.split(":")[0] for l in lines]
    assert keys == [l.split(":")[0] for l in ref]
    assert "  State: configured to be up" in lines


def test_console_message_and_ssh(capsys):
    assert gnt_instance.DoConsole({"instance": "i", "kind": "msg",
                                   "message": "Console not available for"
                                              " fake hypervisor"},
                                  True, "c") == 0
    assert capsys.readouterr().out.splitlines() == \
        _reference("30-instance-console-inst1.txt")
    gnt_instance.DoConsole({"instance": "i", "kind": "ssh", "host": "node1",
                            "user": "root",
                            "command": ["/usr/bin/socat", "STDIO,raw",
                                        "UNIX-CONNECT:/x y"]}, True, "c")
    out = capsys.readouterr().out.strip()
    assert out.startswith("ssh ") and "root@node1" in out
    assert out.endswith("'/usr/bin/socat STDIO,raw '\"'\"'UNIX-CONNECT:/x"
                        " y'\"'\"''")


def test_list_join_fields():
    result = {"fields": [{"name": "name", "title": "Instance",
                          "kind": "text"},
                         {"name": "disk.sizes", "title": "Disk_sizes",
                          "kind": "other"},
                         {"name": "snodes", "title": "Secondary_Nodes",
                          "kind": "other"}],
              "data": [[(0, "inst2"), (0, [32, 16]), (0, [])]]}
    join = (lambda value: ",".join(str(item) for item in value), False)
    _, lines = cli.FormatQueryResult(
        result, format_override=dict.fromkeys(
            gnt_instance._LIST_JOIN_FIELDS, join), header=True)
    assert lines == ["Instance Disk_sizes Secondary_Nodes",
                     "inst2    32,16      "]


class _FakeClient:
    def QueryInstances(self, names, fields, lock):
        rows = {"a": ["a", ["t1"]], "b": ["b", []], "c": ["c", ["t1"]]}
        if names:
            missing = [n for n in names if n not in rows]
            if missing:
                raise errors.OpPrereqError("Instance '%s' not known"
                                           % missing[0], errors.ECODE_NOENT)
            return [rows[n][:len(fields)] for n in names]
        return [row[:len(fields)] for row in rows.values()]

    def QueryNodes(self, names, fields, lock):
        rows = [["n1", ["a", "b"], ["c"], ["nt"]], ["n2", ["c"], [], []]]
        if names:
            rows = [r for r in rows if r[0] in names]
        return rows


def test_expand_multi_names():
    cl = _FakeClient()
    expand = gnt_instance._ExpandMultiNames
    assert expand(gnt_instance._EXPAND_CLUSTER, [], cl) == ["a", "b", "c"]
    assert expand(gnt_instance._EXPAND_INSTANCES, ["b"], cl) == ["b"]
    assert expand(gnt_instance._EXPAND_NODES_PRI, ["n1"], cl) == ["a", "b"]
    assert expand(gnt_instance._EXPAND_NODES_SEC, ["n1"], cl) == ["c"]
    assert expand(gnt_instance._EXPAND_NODES_BOTH, ["n1"], cl) == \
        ["a", "b", "c"]
    assert expand(gnt_instance._EXPAND_INSTANCES_BY_TAGS, ["t1"], cl) == \
        ["a", "c"]
    with pytest.raises(errors.OpPrereqError):
        expand(gnt_instance._EXPAND_INSTANCES, [], cl)


def test_startup_options_to_opcode():
    _, opts, args = _parse("startup", ["--force", "-B", "memory=1G",
                                       "--no-remember", "--all"])
    assert opts.multi_mode == gnt_instance._EXPAND_CLUSTER
    op = gnt_instance._StartupOp("x", opts)
    assert op.force and op.no_remember and op.beparams == {"memory": 1024}
    _, opts, args = _parse("reboot", ["-t", "full", "--shutdown-timeout",
                                      "5", "x"])
    op = gnt_instance._RebootOp(args[0], opts)
    assert op.reboot_type == "full" and op.shutdown_timeout == 5


class _RemoveLuxi(FakeLuxi):
    """Knows one instance; the query refuses other names (as luxid)."""

    def QueryInstances(self, names, fields, use_locking):
        self._Call("QueryInstances", names, fields, use_locking)
        for name in names:
            if name != "inst1":
                raise errors.OpPrereqError("Instance name %s not found"
                                           % name, errors.ECODE_NOENT)
        return [[name] for name in names]


@pytest.fixture
def remove_luxi(monkeypatch, ganeti_root):
    from ganeti import luxi
    fake = _RemoveLuxi()
    monkeypatch.setattr(luxi, "Client", lambda *args, **kwargs: fake)
    monkeypatch.setattr(cli, "SetupCliLogging", lambda *args: None)
    return fake


def test_remove_unknown_instance_fails_before_asking(remove_luxi, capsys,
                                                     monkeypatch):
    asked = []
    monkeypatch.setattr(gnt_instance, "AskUser",
                        lambda text: asked.append(text))
    assert Run(gnt_instance, "remove", "nosuch") == 1
    assert "Instance name nosuch not found" in capsys.readouterr().err
    assert asked == [] and remove_luxi.submitted == []


@pytest.mark.parametrize("answer,code,jobs", [(False, 1, 0), (True, 0, 1)])
def test_remove_asks_upstream_question(remove_luxi, monkeypatch, answer,
                                       code, jobs):
    asked = []
    monkeypatch.setattr(gnt_instance, "AskUser",
                        lambda text: asked.append(text) or answer)
    assert Run(gnt_instance, "remove", "--submit", "inst1") == code
    assert asked == ["This will remove the volumes of the instance inst1"
                     " (including mirrors), thus removing all the data of"
                     " the instance. Continue?"]
    assert [ops[0]["OP_ID"] for _, ops in remove_luxi.submitted] == \
        ["OP_INSTANCE_REMOVE"] * jobs


def test_remove_with_force_asks_nothing(remove_luxi, monkeypatch):
    monkeypatch.setattr(gnt_instance, "AskUser",
                        lambda text: pytest.fail("asked: %s" % text))
    assert Run(gnt_instance, "remove", "-f", "--submit", "nosuch") == 0
    assert [ops[0]["instance_name"] for _, ops in remove_luxi.submitted] == \
        ["nosuch"]
