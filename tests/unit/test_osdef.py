"""Tests for OS definitions: discovery, validation, script environment and
runs (ganeti.osdef), the node RPC functions (ganeti.backend.osinstall), the
master-side OS query (ganeti.cmdlib.os) and the example OS definitions."""

import os
import stat
import tarfile

import pytest

from ganeti import backend
from ganeti.backend import osinstall as backend_os
from ganeti import objects
from ganeti import osdef
from ganeti import pathutils
from ganeti.cmdlib import os as cmdlib_os
from ganeti.rpc.client import RpcResult

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
EXAMPLES = os.path.join(REPO, "examples", "os")

# A script that records its arguments and environment, then exits with
# $EXIT_CODE_<script> (default 0).
_SCRIPT = """#!/bin/sh
echo "running $0 $*"
env | sort > "$(dirname "$0")/env.$(basename "$0")"
echo "some output on stderr" >&2
exit ${OSP_EXIT:-0}
"""


def MakeOS(top, name, api=(20,), variants=None, params=None,
           scripts=("create", "import", "export", "rename", "verify"),
           script_text=_SCRIPT):
    """An OS definition directory below top; returns its path."""
    path = os.path.join(top, name)
    os.makedirs(path, exist_ok=True)
    if api is not None:
        with open(os.path.join(path, osdef.OS_API_FILE), "w") as handle:
            handle.write("".join("%s\n" % v for v in api))
    if variants is not None:
        with open(os.path.join(path, osdef.OS_VARIANTS_FILE), "w") as handle:
            handle.write("# variants\n\n" + "".join("%s\n" % v
                                                    for v in variants))
    if params is not None:
        with open(os.path.join(path, osdef.OS_PARAMETERS_FILE),
                  "w") as handle:
            handle.write("".join("%s %s\n" % p for p in params))
    for script in scripts:
        spath = os.path.join(path, script)
        with open(spath, "w") as handle:
            handle.write(script_text)
        os.chmod(spath, 0o755)
    return path


@pytest.fixture
def search(ganeti_root):
    """The (relocated) OS search path, first directory created."""
    top = pathutils.OS_SEARCH_PATH[0]
    os.makedirs(top)
    return top


# ------------------------------------------------------------- discovery


def test_api10_definition(tmp_path):
    path = MakeOS(str(tmp_path), "old", api=(10,),
                  scripts=("create", "import", "export", "rename"))
    osd = osdef.LoadOS("old", path)
    assert osd.api_version == 10
    assert osd.variants == [] and osd.parameters == []
    assert osd.trusted
    env = osdef.BuildCoreEnv("old", osd, {"ignored": "x"}, debug=2)
    assert env == {"OS_API_VERSION": "10", "OS_NAME": "old",
                   "DEBUG_LEVEL": "2", "PATH": osdef.OS_SCRIPT_PATH}


def test_api15_variants(tmp_path):
    path = MakeOS(str(tmp_path), "mid", api=(15, 10),
                  variants=["squeeze", "wheezy"],
                  scripts=("create", "import", "export", "rename"))
    osd = osdef.LoadOS("mid", path)
    assert osd.api_version == 15
    assert osd.variants == ["squeeze", "wheezy"]
    assert osdef.BuildCoreEnv("mid", osd)["OS_VARIANT"] == "squeeze"
    env = osdef.BuildCoreEnv("mid+wheezy", osd, {"a": "b"})
    assert env["OS_VARIANT"] == "wheezy" and env["OS_NAME"] == "mid"
    assert "OSP_A" not in env


def test_api20_parameters(tmp_path):
    path = MakeOS(str(tmp_path), "new", api=(20, 15),
                  variants=["default"],
                  params=[("mirror-url", "Where to fetch packages"),
                          ("arch", "Architecture")])
    osd = osdef.LoadOS("new", path)
    assert osd.api_version == 20
    assert osd.parameters == [["mirror-url", "Where to fetch packages"],
                              ["arch", "Architecture"]]
    env = osdef.BuildCoreEnv("new+default", osd,
                             {"mirror-url": "http://x", "arch": "amd64"})
    assert env["OSP_MIRROR_URL"] == "http://x"
    assert env["OSP_ARCH"] == "amd64"
    assert env["OS_API_VERSION"] == "20"


def test_untrusted_only(tmp_path):
    path = MakeOS(str(tmp_path), "untr", api=(20,), params=[],
                  scripts=("create_untrusted", "import", "export", "rename",
                           "verify"))
    osd = osdef.LoadOS("untr", path)
    assert not osd.trusted
    assert osd.CreateScript().endswith("create_untrusted")


@pytest.mark.parametrize("setup, reason", [
    (dict(api=None), "Required file 'ganeti_api_version' not found"),
    (dict(api=("ten",)), "API version 'ten'"),
    (dict(api=(5,)), "Incompatible OS API version(s) 5; this node supports"
     " 10, 15, 20"),
    (dict(scripts=("create", "import", "export", "verify")),
     "Required script 'rename' not found"),
    (dict(scripts=("import", "export", "rename", "verify")),
     "Neither a 'create' nor a 'create_untrusted' script"),
    (dict(params=None), "Required file 'parameters.list' not found"),
    (dict(scripts=("create", "import", "export", "rename")),
     "Required script 'verify' not found"),
])
def test_invalid_definitions(tmp_path, setup, reason):
    kwargs = dict(api=(20,), params=[("p", "doc")])
    kwargs.update(setup)
    path = MakeOS(str(tmp_path), "bad", **kwargs)
    with pytest.raises(osdef.InvalidOS) as err:
        osdef.LoadOS("bad", path)
    assert reason in str(err.value)
    assert err.value.name == "bad"


def test_not_executable(tmp_path):
    path = MakeOS(str(tmp_path), "bad", api=(20,), params=[])
    os.chmod(os.path.join(path, "export"), 0o644)
    with pytest.raises(osdef.InvalidOS, match="'export' under path .* is not"
                       " executable"):
        osdef.LoadOS("bad", path)


def test_diagnose_and_find(tmp_path):
    first, second = str(tmp_path / "a"), str(tmp_path / "b")
    MakeOS(first, "dup", api=(20,), variants=["v1", "v2"],
           params=[("motd", "Message of the day")])
    MakeOS(second, "dup", api=(10,),
           scripts=("create", "import", "export", "rename"))
    MakeOS(second, "broken", api=(20,), params=None)
    with open(os.path.join(second, "README"), "w") as handle:
        handle.write("not an OS\n")
    result = osdef.DiagnoseOSes([first, second, str(tmp_path / "none")])
    assert result[0] == ["dup", os.path.join(first, "dup"), True, "",
                         ["v1", "v2"], [["motd", "Message of the day"]],
                         [20], True]
    assert [r[0] for r in result] == ["dup", "broken", "dup"]
    broken = result[1]
    assert broken[2] is False
    assert "parameters.list" in broken[3]
    assert broken[4:7] == [[], [], []]
    assert result[2][2] is True and result[2][6] == [10]

    osd = osdef.FindOS("dup+v2", [first, second])
    assert osd.path == os.path.join(first, "dup")
    with pytest.raises(osdef.InvalidOS, match="Not found in the OS search"):
        osdef.FindOS("missing", [first, second])
    # A broken definition first in the path is not replaced by a later one.
    MakeOS(first, "broken2", api=(99,))
    MakeOS(second, "broken2", api=(10,),
           scripts=("create", "import", "export", "rename"))
    with pytest.raises(osdef.InvalidOS, match="Incompatible"):
        osdef.FindOS("broken2", [first, second])


def test_default_search_path(search):
    MakeOS(search, "here", api=(20,), params=[])
    assert [e[0] for e in osdef.DiagnoseOSes()] == ["here"]
    assert backend_os.DiagnoseOS()[0][:3] == [
        "here", os.path.join(search, "here"), True]
    assert backend_os.GetOS("here")["api_versions"] == [20]


# ------------------------------------------------------------ environment


def _Instance(disk_path, os_name="test+default", **kwargs):
    inst = {
        "name": "inst1.example.com", "uuid": "inst-uuid", "os": os_name,
        "hypervisor": "kvm", "primary_node": "node-uuid-1",
        "secondary_nodes": ["node-uuid-2"],
        "hvparams": {"disk_type": "paravirtual", "nic_type": "e1000",
                     "kernel_path": "/boot/vmlinuz", "acpi": True},
        "beparams": {"maxmem": 128, "vcpus": 1},
        "osparams": {"color": "blue"},
        "osparams_private": {"secret": "s3"},
        "disks_info": [
            {"dev_type": "file", "logical_id": ["loop", disk_path],
             "size": 16, "mode": "rw", "uuid": "disk-uuid-0",
             "name": "root"},
            {"dev_type": "plain", "logical_id": ["xenvg", "lv1"],
             "size": 32, "mode": "ro", "uuid": "disk-uuid-1"},
        ],
        "nics": [
            {"mac": "aa:00:00:11:22:33", "ip": "10.0.0.5",
             "uuid": "nic-uuid-0", "name": "eth0",
             "nicparams": {"mode": "bridged", "link": "br0"},
             "netinfo": {"name": "net1", "uuid": "net-uuid",
                         "network": "10.0.0.0/24", "gateway": "10.0.0.1",
                         "tags": ["a", "b"]}},
            {"mac": "aa:00:00:11:22:44",
             "nicparams": {"mode": "routed", "link": "100"}},
        ],
    }
    inst.update(kwargs)
    return inst


def test_instance_environment(tmp_path):
    path = MakeOS(str(tmp_path), "test", api=(20,), variants=["default"],
                  params=[("color", ""), ("secret", "")])
    osd = osdef.LoadOS("test", path)
    inst = _Instance("/srv/disk0")
    env = osdef.BuildInstanceEnv(inst, osd, debug=1, disk_paths=[
        ("/srv/disk0", None), ("/dev/xenvg/lv1", "rbd:pool/x")])
    expected = {
        "OS_API_VERSION": "20", "OS_NAME": "test", "OS_VARIANT": "default",
        "DEBUG_LEVEL": "1", "PATH": "/sbin:/bin:/usr/sbin:/usr/bin",
        "OSP_COLOR": "blue", "OSP_SECRET": "s3",
        "INSTANCE_NAME": "inst1.example.com", "INSTANCE_OS": "test+default",
        "INSTANCE_UUID": "inst-uuid", "INSTANCE_PRIMARY_NODE": "node-uuid-1",
        "INSTANCE_SECONDARY_NODES": "node-uuid-2", "HYPERVISOR": "kvm",
        "DISK_COUNT": "2",
        "DISK_0_PATH": "/srv/disk0", "DISK_0_ACCESS": "rw",
        "DISK_0_UUID": "disk-uuid-0", "DISK_0_NAME": "root",
        "DISK_0_SIZE": "16", "DISK_0_FRONTEND_TYPE": "paravirtual",
        "DISK_0_BACKEND_TYPE": "file:loop",
        "DISK_1_PATH": "/dev/xenvg/lv1", "DISK_1_URI": "rbd:pool/x",
        "DISK_1_ACCESS": "ro", "DISK_1_UUID": "disk-uuid-1",
        "DISK_1_SIZE": "32", "DISK_1_FRONTEND_TYPE": "paravirtual",
        "DISK_1_BACKEND_TYPE": "block",
        "NIC_COUNT": "2",
        "NIC_0_MAC": "aa:00:00:11:22:33", "NIC_0_IP": "10.0.0.5",
        "NIC_0_UUID": "nic-uuid-0", "NIC_0_NAME": "eth0",
        "NIC_0_MODE": "bridged", "NIC_0_LINK": "br0", "NIC_0_BRIDGE": "br0",
        "NIC_0_FRONTEND_TYPE": "e1000", "NIC_0_NETWORK_NAME": "net1",
        "NIC_0_NETWORK_UUID": "net-uuid",
        "NIC_0_NETWORK_SUBNET": "10.0.0.0/24",
        "NIC_0_NETWORK_GATEWAY": "10.0.0.1", "NIC_0_NETWORK_TAGS": "a b",
        "NIC_1_MAC": "aa:00:00:11:22:44", "NIC_1_MODE": "routed",
        "NIC_1_LINK": "100", "NIC_1_FRONTEND_TYPE": "e1000",
        "INSTANCE_HV_disk_type": "paravirtual", "INSTANCE_HV_nic_type":
        "e1000", "INSTANCE_HV_kernel_path": "/boot/vmlinuz",
        "INSTANCE_HV_acpi": "True",
        "INSTANCE_BE_maxmem": "128", "INSTANCE_BE_vcpus": "1",
    }
    assert env == expected
    # An objects.Instance (disks as dicts) gives the same identity part.
    obj = objects.Instance.FromDict({k: v for k, v in inst.items()
                                     if k in objects.Instance.FIELDS})
    env2 = osdef.BuildInstanceEnv(obj, osd, disk_paths=[])
    assert env2["INSTANCE_NAME"] == "inst1.example.com"
    assert env2["NIC_COUNT"] == "2" and env2["DISK_COUNT"] == "0"


def test_import_export_environment(tmp_path):
    path = MakeOS(str(tmp_path), "test", api=(20,), variants=["default"],
                  params=[])
    osd = osdef.LoadOS("test", path)
    env = osdef.BuildImportExportEnv(_Instance("/x"), osd, "export", 1,
                                     "/dev/xenvg/lv1")
    assert (env["EXPORT_INDEX"], env["EXPORT_DISK_PATH"],
            env["EXPORT_DEVICE"]) == ("1", "/dev/xenvg/lv1",
                                      "/dev/xenvg/lv1")
    assert "EXPORT_DISK_URI" not in env
    env = osdef.BuildImportExportEnv(_Instance("/x"), osd, "import", 0,
                                     "/x", "gluster://h/v")
    assert env["IMPORT_DISK_URI"] == "gluster://h/v"


def test_log_name(ganeti_root):
    name = osdef.InstanceLogName("add", "image+default", "inst1", now=0)
    assert os.path.dirname(name) == pathutils.LOG_OS_DIR
    assert os.path.basename(name).startswith("add-image+default-inst1-19")
    assert name.endswith(".log")


# ------------------------------------------------------ node RPC functions


def test_os_add_runs_create(search, tmp_path):
    MakeOS(search, "test", api=(20,), variants=["default"],
           params=[("color", "")])
    disk = tmp_path / "disk0"
    disk.write_bytes(b"\0" * 1024)
    inst = _Instance(str(disk))
    inst["disks_info"] = inst["disks_info"][:1]
    backend_os.InstanceOsAdd(inst, True, 0)
    with open(os.path.join(search, "test", "env.create")) as handle:
        env = dict(line.rstrip("\n").split("=", 1) for line in handle)
    assert env["INSTANCE_REINSTALL"] == "1"
    assert env["DISK_0_PATH"] == str(disk)
    assert env["OS_VARIANT"] == "default"
    logs = os.listdir(pathutils.LOG_OS_DIR)
    assert len(logs) == 1 and logs[0].startswith(
        "add-test+default-inst1.example.com-")
    with open(os.path.join(pathutils.LOG_OS_DIR, logs[0])) as handle:
        text = handle.read()
    assert "running" in text and "some output on stderr" in text


def test_os_add_failure_reports_log_tail(search, tmp_path):
    MakeOS(search, "test", api=(20,), variants=["default"],
           params=[("exit", "")], script_text="#!/bin/sh\n"
           "i=0\nwhile [ $i -lt 30 ]; do echo line $i; i=$((i+1)); done\n"
           "echo 'mkfs: no space' >&2\nexit 3\n")
    disk = tmp_path / "disk0"
    disk.write_bytes(b"")
    inst = _Instance(str(disk))
    inst["disks_info"] = inst["disks_info"][:1]
    with pytest.raises(backend.RPCFail) as err:
        backend_os.InstanceOsAdd(inst, False, 0)
    msg = str(err.value)
    lines = msg.split("\n")
    assert lines[0] == ("OS create script failed (exited with exit code 3),"
                        " last lines in the log file:")
    assert lines[1:] == ["line %d" % i for i in range(11, 30)] + [
        "mkfs: no space"]


def test_os_add_missing_disk_and_os(search, tmp_path):
    MakeOS(search, "test", api=(20,), variants=["default"], params=[])
    inst = _Instance(str(tmp_path / "nonexistent"))
    with pytest.raises(backend.RPCFail, match="Disk 0 of instance"
                       " inst1.example.com is not available"):
        backend_os.InstanceOsAdd(inst, False, 0)
    inst = _Instance(str(tmp_path), os_name="other")
    with pytest.raises(backend.RPCFail, match="OS 'other' not available on"
                       " this node: Not found in the OS search path"):
        backend_os.InstanceOsAdd(inst, False, 0)


def test_disk_path_resolver(search, tmp_path):
    MakeOS(search, "test", api=(20,), variants=["default"], params=[])
    seen = []

    def resolver(disk):
        seen.append(disk["uuid"])
        return "/dev/fake-%s" % disk["uuid"], None

    backend_os.SetDiskPathResolver(resolver)
    try:
        backend_os.InstanceOsAdd(_Instance("/nowhere"), False, 0)
    finally:
        backend_os.SetDiskPathResolver(None)
    assert seen == ["disk-uuid-0", "disk-uuid-1"]
    with open(os.path.join(search, "test", "env.create")) as handle:
        assert "DISK_1_PATH=/dev/fake-disk-uuid-1\n" in handle.read()


def test_rename(search, tmp_path):
    MakeOS(search, "test", api=(20,), variants=["default"], params=[])
    disk = tmp_path / "disk0"
    disk.write_bytes(b"")
    inst = _Instance(str(disk), name="new.example.com")
    inst["disks_info"] = inst["disks_info"][:1]
    backend_os.RunRenameInstance(inst, "old.example.com", 2)
    with open(os.path.join(search, "test", "env.rename")) as handle:
        env = dict(line.rstrip("\n").split("=", 1) for line in handle)
    assert env["OLD_INSTANCE_NAME"] == "old.example.com"
    assert env["INSTANCE_NAME"] == "new.example.com"
    assert env["DEBUG_LEVEL"] == "2"
    logs = os.listdir(pathutils.LOG_OS_DIR)
    assert logs[0].startswith(
        "rename-test+default-old.example.com-new.example.com-")


def test_validate(search):
    verify = ("#!/bin/sh\n[ \"$1\" = parameters ] || exit 9\n"
              "[ \"$OSP_SIZE\" != huge ] || { echo \"size too big\";"
              " exit 1; }\nexit 0\n")
    MakeOS(search, "test", api=(20,), variants=["a", "b"],
           params=[("size", "")], script_text=verify)
    MakeOS(search, "old", api=(10,),
           scripts=("create", "import", "export", "rename"))
    assert backend_os.ValidateOS(False, "missing", ["parameters"], {},
                                 False) is False
    with pytest.raises(backend.RPCFail, match="Not found in the OS search"):
        backend_os.ValidateOS(True, "missing", ["parameters"], {}, False)
    assert backend_os.ValidateOS(True, "test+a", ["parameters"],
                                 {"size": "small"}, False) is True
    with pytest.raises(backend.RPCFail, match="must include a variant"):
        backend_os.ValidateOS(True, "test", [], {}, False)
    with pytest.raises(backend.RPCFail, match="does not support variant"
                       " 'c'"):
        backend_os.ValidateOS(True, "test+c", [], {}, False)
    assert backend_os.ValidateOS(True, "test+c", [], {}, True) is True
    with pytest.raises(backend.RPCFail, match="not supported by the OS"
                       " test: colour"):
        backend_os.ValidateOS(True, "test+a", ["parameters"],
                              {"colour": "x"}, False)
    with pytest.raises(backend.RPCFail) as err:
        backend_os.ValidateOS(True, "test+a", ["parameters"],
                              {"size": "huge"}, False)
    assert str(err.value) == ("OS validation script failed (exited with"
                              " exit code 1), output: size too big")
    with pytest.raises(backend.RPCFail, match="Unknown checks"):
        backend_os.ValidateOS(True, "test+a", ["foo"], {}, False)
    # API 10: nothing to validate.
    assert backend_os.ValidateOS(True, "old", ["parameters"], {"x": 1},
                                 False) is True


def test_export_os(search):
    MakeOS(search, "test", api=(20,), variants=["default"], params=[])
    inst = _Instance("/nowhere")
    package = backend_os.ExportOS(inst, {"EXTRA": "1"})
    try:
        with tarfile.open(package) as tar:
            names = tar.getnames()
            env = tar.extractfile("environment").read().decode()
    finally:
        os.unlink(package)
    assert "os/create" in names and "os/ganeti_api_version" in names
    assert "EXTRA=1\n" in env and "INSTANCE_NAME=inst1.example.com\n" in env


def test_noded_serves_os_calls():
    from ganeti.server import noded
    for name in ("os_diagnose", "os_validate", "os_export",
                 "instance_os_add", "instance_run_rename"):
        assert noded.RPC_CALLS[name] is backend_os.RPC_CALLS[name]


# ----------------------------------------------------- master-side query


class _Node:
    def __init__(self, uuid, name, offline=False, vm_capable=True):
        self.uuid, self.name = uuid, name
        self.offline, self.vm_capable = offline, vm_capable


class _Cfg:
    def __init__(self, nodes, cluster):
        self.nodes = {n.uuid: n for n in nodes}
        self.cluster = cluster

    def GetAllNodesInfo(self):
        return self.nodes

    def GetNodeInfo(self, uuid):
        return self.nodes.get(uuid)

    def GetClusterInfo(self):
        return self.cluster


class _Rpc:
    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def call_os_diagnose(self, nodes):
        self.calls.append(("os_diagnose", list(nodes)))
        return {n: RpcResult(self.answers[n]) if not isinstance(
            self.answers[n], str) else RpcResult(self.answers[n],
                                                  failed=True)
                for n in nodes}

    def call_os_validate(self, nodes, required, name, checks, params,
                         force_variant):
        self.calls.append(("os_validate", list(nodes), required, name,
                           checks, params, force_variant))
        return {n: RpcResult(self.answers[n]) for n in nodes}


def _Entry(name, path="/srv/ganeti/os", ok=True, variants=("default",),
           params=(("motd", "Message"),), apis=(20,), trusted=True):
    return [name, "%s/%s" % (path, name), ok, "" if ok else "broken",
            list(variants), [list(p) for p in params], list(apis), trusted]


def _Cluster(**kwargs):
    cluster = objects.Cluster(hidden_os=[], blacklisted_os=[], os_hvp={},
                              osparams={})
    for key, value in kwargs.items():
        setattr(cluster, key, value)
    return cluster


def test_build_os_infos():
    nodes = [_Node("u1", "node1"), _Node("u2", "node2"),
             _Node("u3", "node3", offline=True), _Node("u4", "node4")]
    answers = {
        "u1": [True, [_Entry("image", variants=("default", "poweroff")),
                      _Entry("noop", variants=(), params=()),
                      _Entry("noop", path="/usr/share/ganeti/os",
                             variants=(), params=(), apis=(10,))]],
        "u2": [True, [_Entry("image", variants=("default",)),
                      _Entry("noop", ok=False, variants=(), params=(),
                             apis=())]],
        "u4": "Connection refused",
    }
    rpc = _Rpc(answers)
    cluster = _Cluster(hidden_os=["noop"],
                       os_hvp={"image": {"kvm": {"kernel_path": "/k"}}},
                       osparams={"image": {"message": "hi"}})
    infos = {i.name: i for i in cmdlib_os.BuildOsInfos(_Cfg(nodes, cluster),
                                                       rpc)}
    assert rpc.calls == [("os_diagnose", ["u1", "u2", "u4"])]
    image = infos["image"]
    assert image.valid is True and image.trusted is True
    assert image.variants == ["default"]
    assert image.parameters == [["motd", "Message"]]
    assert image.api_versions == [20]
    assert image.os_hvp == {"kvm": {"kernel_path": "/k"}}
    assert image.osparams == {"message": "hi"}
    assert set(image.node_status) == {"u1", "u2"}
    noop = infos["noop"]
    assert noop.valid is False and noop.hidden is True
    assert len(noop.node_status["u1"]) == 2
    assert noop.node_status["u2"][0][1] is False


def _RunLU(fields, names, nodes, answers, cluster=None):
    from ganeti import opcodes

    class _Proc:
        context = None

    op = opcodes.OpOsDiagnose(output_fields=fields, names=names)
    lu = cmdlib_os.LUOsDiagnose(_Proc(), op,
                                _Cfg(nodes, cluster or _Cluster()),
                                _Rpc(answers))
    lu.ExpandNames()
    assert lu.needed_locks == {}
    return lu.Exec(None)


def test_lu_os_diagnose_legacy_filter():
    nodes = [_Node("u1", "node1")]
    answers = {"u1": [True, [_Entry("zeta", variants=()),
                             _Entry("alpha", variants=("b", "a")),
                             _Entry("bad", ok=False),
                             _Entry("hid"), _Entry("blk")]]}
    cluster = _Cluster(hidden_os=["hid"], blacklisted_os=["blk"])
    # Without the status fields: only valid, visible OSes, sorted by name.
    assert _RunLU(["name", "variants"], [], nodes, answers, cluster) == [
        ["alpha", ["a", "b"]], ["zeta", []]]
    rows = _RunLU(["name", "valid", "hidden", "blacklisted"], [], nodes,
                  answers, cluster)
    assert rows == [["alpha", True, False, False],
                    ["bad", False, False, False],
                    ["blk", True, False, True], ["hid", True, True, False],
                    ["zeta", True, False, False]]
    assert _RunLU(["name"], ["zeta", "bad"], nodes, answers, cluster) == [
        ["zeta"]]
    from ganeti import errors
    with pytest.raises(errors.OpPrereqError, match="Unknown output fields"):
        _RunLU(["name", "nonsense"], [], nodes, answers, cluster)


def test_os_query_resource_is_wired():
    from ganeti.cmdlib import query as cmdlib_query
    from ganeti import constants
    assert cmdlib_query._CTX[constants.QR_OS] is cmdlib_os.OsQueryData
    from ganeti import cmdlib
    assert cmdlib.LU_MAPPING["OpOsDiagnose"] is cmdlib_os.LUOsDiagnose


def test_check_os_params():
    nodes = [_Node("u1", "node1"), _Node("u2", "node2", offline=True)]
    rpc = _Rpc({"u1": [True, True]})

    class _LU:
        cfg = _Cfg(nodes, _Cluster())
        logged = []

        def LogInfo(self, *args):
            self.logged.append(args)

    lu = _LU()
    lu.rpc = rpc
    cmdlib_os.CheckOsParams(lu, True, ["u1", "u2"], "image+default",
                            {"message": "x"}, False)
    assert rpc.calls == [("os_validate", ["u1"], True, "image+default",
                          ["parameters"], {"message": "x"}, False)]
    from ganeti import errors
    rpc.answers["u1"] = [False, "OS validation script failed (...)"]
    with pytest.raises(errors.OpPrereqError, match="OS Parameters"
                       " validation failed on node node1: OS validation"):
        cmdlib_os.CheckOsParams(lu, True, ["u1"], "image", {}, False)
    with pytest.raises(errors.OpPrereqError, match="not in supported OS"
                       " list for node node1"):
        cmdlib_os.CheckNodeHasOs(lu, "u1", "image", False)


def test_apply_cluster_os_params():
    from ganeti import opcodes
    cluster = _Cluster(osparams={"image": {"message": "a", "count": "3"}},
                       os_hvp={"image": {"kvm": {"kernel_path": "/k"}}},
                       osparams_private_cluster={})
    op = opcodes.OpClusterSetParams(
        osparams={"image": {"message": "default", "interval": "2"},
                  "noop": {"fail": "create"}},
        os_hvp={"image": {"kvm": {"kernel_path": "default"}},
                "noop": {"fake": {"x": "1"}}})
    cmdlib_os.ApplyClusterOsParams(cluster, op)
    assert cluster.osparams == {"image": {"count": "3", "interval": "2"},
                                "noop": {"fail": "create"}}
    assert cluster.os_hvp == {"noop": {"fake": {"x": "1"}}}


# ---------------------------------------------------- example definitions


@pytest.mark.parametrize("name, variants, params", [
    ("image", ["default", "poweroff"], ["message", "interval", "count"]),
    ("noop", [], ["fail", "marker_dir"]),
])
def test_example_definitions_valid(name, variants, params):
    osd = osdef.LoadOS(name, os.path.join(EXAMPLES, name))
    assert osd.api_version == 20 and osd.trusted
    assert osd.variants == variants
    assert osd.parameter_names == params
    for script in osdef.OS_SCRIPTS:
        if script != osdef.OS_SCRIPT_CREATE_UNTRUSTED:
            mode = os.stat(os.path.join(EXAMPLES, name, script)).st_mode
            assert mode & stat.S_IXUSR


def _ExampleInstance(disk, name="inst1.example.com", os_name="image+default",
                     osparams=None):
    inst = _Instance(str(disk), os_name=os_name, name=name,
                     osparams=osparams or {}, osparams_private={})
    inst["disks_info"] = inst["disks_info"][:1]
    return inst


def _GuestBlock(disk):
    data = disk.read_bytes()[:4096].rstrip(b"\0").decode()
    lines = data.split("\n")
    assert lines[0] == "GANETI-GUEST 1"
    return dict(line.split("=", 1) for line in lines[1:] if "=" in line)


def test_image_os_create_and_rename(ganeti_root, tmp_path, monkeypatch):
    monkeypatch.setattr(pathutils, "OS_SEARCH_PATH", [EXAMPLES])
    disk = tmp_path / "disk0"
    disk.write_bytes(b"x" * (1 << 20))
    inst = _ExampleInstance(disk, os_name="image+poweroff",
                            osparams={"message": "hello world", "count": "3"})
    backend_os.InstanceOsAdd(inst, False, 0)
    block = _GuestBlock(disk)
    assert block["name"] == "inst1.example.com"
    assert block["variant"] == "poweroff"
    assert block["message"] == "hello world"
    assert (block["interval"], block["count"]) == ("1", "3")
    assert block["nic0_ip"] == "10.0.0.5" and block["nic0_prefix"] == "24"
    assert disk.read_bytes()[4096:4100] == b"xxxx"
    created = block["created"]

    inst["name"] = "inst2.example.com"
    backend_os.RunRenameInstance(inst, "inst1.example.com", 0)
    block = _GuestBlock(disk)
    assert block["name"] == "inst2.example.com"
    assert block["created"] == created


def test_image_os_checks(ganeti_root, tmp_path, monkeypatch):
    monkeypatch.setattr(pathutils, "OS_SEARCH_PATH", [EXAMPLES])
    with pytest.raises(backend.RPCFail, match="interval must be a positive"
                       " integer, not 'soon'"):
        backend_os.ValidateOS(True, "image+default", ["parameters"],
                              {"interval": "soon"}, False)
    assert backend_os.ValidateOS(True, "image+default", ["parameters"],
                                 {"interval": "2", "message": "hi"}, False)
    inst = _ExampleInstance(tmp_path / "disk0")
    inst["disks_info"] = []
    with pytest.raises(backend.RPCFail) as err:
        backend_os.InstanceOsAdd(inst, False, 0)
    assert "image: error: instance inst1.example.com has no disk" in str(
        err.value)


def test_image_os_export_import(tmp_path):
    src = tmp_path / "src"
    src.write_bytes(os.urandom(3 << 20))
    dst = tmp_path / "dst"
    dst.write_bytes(b"\0" * (3 << 20))
    osd = osdef.LoadOS("image", os.path.join(EXAMPLES, "image"))
    inst = _ExampleInstance(src)
    env = osdef.BuildImportExportEnv(inst, osd, "export", 0, str(src),
                                     disk_paths=[(str(src), None)])
    out = tmp_path / "stream"
    from ganeti.utils import process as utils_process
    result = utils_process.RunCmd(
        "exec %s > %s" % (os.path.join(osd.path, "export"), out), env=env,
        reset_env=True, cwd=osd.path)
    assert not result.failed, result.output
    assert out.read_bytes() == src.read_bytes()
    env = osdef.BuildImportExportEnv(inst, osd, "import", 0, str(dst),
                                     disk_paths=[(str(dst), None)])
    with open(out, "rb") as handle:
        result = osdef.RunScript(osd, "import", env,
                                 input_fd=handle.fileno())
    assert not result.failed, result.output
    assert dst.read_bytes() == src.read_bytes()


def test_noop_os(ganeti_root, tmp_path, monkeypatch):
    monkeypatch.setattr(pathutils, "OS_SEARCH_PATH", [EXAMPLES])
    markers = tmp_path / "markers"
    disk = tmp_path / "disk0"
    disk.write_bytes(b"keep")
    inst = _ExampleInstance(disk, os_name="noop",
                            osparams={"marker_dir": str(markers)})
    backend_os.InstanceOsAdd(inst, True, 0)
    text = (markers / "inst1.example.com").read_text()
    assert text == ("installed inst1.example.com os=noop disks=1 nics=2"
                    " reinstall=1\n")
    assert disk.read_bytes() == b"keep"
    inst["name"] = "inst9.example.com"
    backend_os.RunRenameInstance(inst, "inst1.example.com", 0)
    assert not (markers / "inst1.example.com").exists()
    assert (markers / "inst9.example.com").read_text().startswith(
        "renamed inst1.example.com to inst9.example.com")
    inst["osparams"]["fail"] = "create"
    with pytest.raises(backend.RPCFail) as err:
        backend_os.InstanceOsAdd(inst, False, 0)
    assert str(err.value).endswith(
        "noop: error: create failing on purpose (OS parameter fail=create)")
    with pytest.raises(backend.RPCFail, match="OS validation script failed"
                       r" \(exited with exit code 1\), output: noop: error:"
                       " verify failing on purpose"):
        backend_os.ValidateOS(True, "noop", ["parameters"],
                              {"fail": "verify"}, False)
    with pytest.raises(backend.RPCFail, match="invalid value 'often'"):
        backend_os.ValidateOS(True, "noop", ["parameters"],
                              {"fail": "often"}, False)


def test_luxi_query_os(search):
    """The LUXI "os" query: unfiltered (hidden/invalid included)."""
    from ganeti.cmdlib import query as cmdlib_query
    MakeOS(search, "good", api=(20,), variants=["v"], params=[])
    MakeOS(search, "bad", api=(99,))

    class _LocalRpc:
        def call_os_diagnose(self, nodes):
            return {n: RpcResult([True, backend_os.DiagnoseOS()])
                    for n in nodes}

    class _Context:
        cfg = _Cfg([_Node("u1", "node1")], _Cluster(hidden_os=["good"]))
        rpc = _LocalRpc()

    result = cmdlib_query.RunQuery(_Context(), "os",
                                   ["name", "valid", "hidden", "variants",
                                    "api_versions"], None)
    assert [f["name"] for f in result["fields"]] == [
        "name", "valid", "hidden", "variants", "api_versions"]
    assert result["data"] == [
        [[0, "bad"], [0, False], [0, False], [0, []], [0, []]],
        [[0, "good"], [0, True], [0, True], [0, ["v"]], [0, [20]]]]
