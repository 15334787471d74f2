"""Node logical units (modify, volumes, storage, powercycle, OOB), their
node-side functions (ganeti.backend.storage) and the gnt-node output.

LUs run through the real processor with a real ConfigWriter (on a temporary
file) and lock manager; the node RPC is a fake that records its calls.
"""

import os
import stat

import pytest

from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import mcpu
from ganeti import objects
from ganeti import opcodes
from ganeti import config as config_mod
from ganeti import backend
from ganeti.backend import storage as bs
from ganeti.client import gnt_node
from ganeti.storage import lvm

from cli_fakes import FakeJob, Run, fake_luxi  # noqa: F401
import testdata

RECORDED = testdata.RECORDED
REFERENCE = os.path.join(testdata.REFERENCE, "ops")


# --- a small cluster --------------------------------------------------------

class FakeResult:
    def __init__(self, payload=None, fail_msg=None, offline=False):
        self.payload = payload
        self.fail_msg = fail_msg
        self.offline = offline

    def Raise(self, msg):
        if self.fail_msg:
            raise errors.OpExecError("%s: %s" % (msg, self.fail_msg))


class FakeRpc:
    """Answers node RPCs from .answers[call] (a payload, a FakeResult or a
    function of the node); every call is recorded in .calls."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.calls = []
        self.answers = {}

    def _answer(self, call, node):
        answer = self.answers.get(call)
        if callable(answer):
            answer = answer(node)
        if isinstance(answer, FakeResult):
            return answer
        info = self.cfg.GetNodeInfo(node)
        if info is not None and info.offline and call != "version":
            return FakeResult(None, "Node is marked offline", offline=True)
        return FakeResult(answer)

    def __getattr__(self, name):
        if not name.startswith("call_"):
            raise AttributeError(name)
        call = name[len("call_"):]

        def method(nodes, *args, **_options):
            self.calls.append((call, nodes, args))
            if isinstance(nodes, (list, tuple)):
                return {node: self._answer(call, node) for node in nodes}
            return self._answer(call, nodes)
        return method

    def called(self, call):
        return [entry for entry in self.calls if entry[0] == call]


class FakeQueue:
    def __init__(self):
        self.added = []

    def AddNode(self, name):
        self.added.append(name)


class Context:
    def __init__(self, cfg):
        self.cfg = cfg
        self.rpc = FakeRpc(cfg)
        self.jobqueue = FakeQueue()
        self.glm = locking.GanetiLockManager(
            cfg.GetNodeList(), list(cfg.GetAllNodeGroupsInfo()),
            cfg.GetInstanceList(), [])


class Cbs(mcpu.OpExecCbBase):
    def __init__(self):
        self.messages = []
        self.submitted = []

    def Feedback(self, *args):
        self.messages.append(args[-1])

    def SubmitManyJobs(self, jobs):
        self.submitted.append(jobs)
        return [[True, 100 + idx] for idx in range(len(jobs))]


NODE_NAMES = ["node1.example.com", "node2.example.com", "node3.example.com"]


def MakeConfig(path, candidates=(True, True, True), templates=("file",),
               pool_size=10):
    """A cluster of len(candidates) nodes; node1 is the master."""
    group = objects.stamp_new(objects.NodeGroup(name="default", members=[]))
    group.UpgradeConfig()
    nodes = {}
    for idx, mc in enumerate(candidates):
        node = objects.stamp_new(objects.Node(
            name=NODE_NAMES[idx], primary_ip="192.168.99.%d" % (idx + 1),
            secondary_ip="192.168.99.%d" % (idx + 1), master_candidate=mc,
            offline=False, drained=False, group=group.uuid,
            master_capable=True, vm_capable=True, ndparams={}, powered=True,
            tags=[]))
        nodes[node.uuid] = node
    master = list(nodes)[0]
    cluster = objects.stamp_new(objects.Cluster(
        cluster_name="cluster.example.com", master_node=master,
        master_ip="192.168.99.250", master_netdev="eth0",
        enabled_hypervisors=["fake"], default_hypervisor="fake",
        enabled_disk_templates=list(templates),
        file_storage_dir="/srv/ganeti/file-storage",
        shared_file_storage_dir="/srv/ganeti/shared-file-storage",
        volume_group_name="xenvg", candidate_pool_size=pool_size,
        candidate_certs={u: "DIGEST-%s" % n.name for u, n in nodes.items()
                         if n.master_candidate},
        modify_ssh_setup=False, tags=[]))
    cluster.UpgradeConfig()
    data = objects.ConfigData(version=constants.CONFIG_VERSION,
                              cluster=cluster, nodes=nodes,
                              nodegroups={group.uuid: group}, instances={},
                              networks={}, disks={}, filters={}, serial_no=1,
                              ctime=1, mtime=1)
    data.UpgradeConfig()
    return config_mod.ConfigWriter(cfg_file=str(path), data=data)


@pytest.fixture
def ctx(tmp_path):
    return Context(MakeConfig(tmp_path / "config.data"))


def Exec(ctx, op, cbs=None):
    cbs = cbs if cbs is not None else Cbs()
    proc = mcpu.Processor(ctx, ec_id=1)
    return proc.ExecOpCode(op, cbs)


def Node(ctx, idx):
    return ctx.cfg.GetNodeInfoByName(NODE_NAMES[idx])


def Reload(ctx):
    """The configuration as written to disk."""
    return config_mod.load_config_data(ctx.cfg._file)


def Prereq(ctx, op, text, code=None):
    with pytest.raises(errors.OpPrereqError) as info:
        Exec(ctx, op)
    assert text in str(info.value.args[0])
    if code is not None:
        assert info.value.args[1] == code
    return info.value


# --- LUNodeSetParams: flags and roles ----------------------------------------

@pytest.mark.parametrize("flag", ["offline", "drained", "master_candidate"])
def test_master_flags_only_via_failover(ctx, flag):
    value = flag != "master_candidate"
    op = opcodes.OpNodeSetParams(node_name=NODE_NAMES[0], **{flag: value})
    Prereq(ctx, op, "The master role can be changed only via master-failover",
           errors.ECODE_INVAL)
    assert Node(ctx, 0).master_candidate and not Node(ctx, 0).offline


def test_no_modification_and_two_states(ctx):
    Prereq(ctx, opcodes.OpNodeSetParams(node_name=NODE_NAMES[1]),
           "Please pass at least one modification", errors.ECODE_INVAL)
    Prereq(ctx, opcodes.OpNodeSetParams(node_name=NODE_NAMES[1], offline=True,
                                        drained=True),
           "Can't set the node into more than one state")
    Prereq(ctx, opcodes.OpNodeSetParams(node_name="nosuchnode", offline=True),
           "Node 'nosuchnode' not known", errors.ECODE_NOENT)


def test_offline_demotes_candidate_and_persists(ctx):
    uuid = Node(ctx, 1).uuid
    serial = ctx.cfg.GetConfigSerial()
    result = Exec(ctx, opcodes.OpNodeSetParams(node_name="node2",
                                               offline=True))
    assert result == [("master_candidate", "False"), ("offline", "True")]
    node = Reload(ctx).nodes[uuid]
    assert node.offline and not node.master_candidate
    assert uuid not in Reload(ctx).cluster.candidate_certs
    assert ctx.cfg.GetConfigSerial() > serial
    # An offline node is not asked to demote itself.
    assert not ctx.rpc.called("node_demote_from_mc")
    # Hooks ran on the master only (the offline node is skipped by RPC).
    assert ctx.glm.QueryLocks(["name"]) == []


def test_demote_candidate_to_regular(ctx):
    uuid = Node(ctx, 1).uuid
    result = Exec(ctx, opcodes.OpNodeSetParams(node_name=NODE_NAMES[1],
                                               master_candidate=False))
    assert result == [("master_candidate", "False")]
    assert not Node(ctx, 1).master_candidate
    assert [c[1] for c in ctx.rpc.called("node_demote_from_mc")] == [uuid]


def test_demote_needs_auto_promote_when_pool_would_shrink(tmp_path):
    # node3 could be a candidate: demoting node2 leaves the pool short.
    ctx = Context(MakeConfig(tmp_path / "c", candidates=(True, True, False)))
    op = opcodes.OpNodeSetParams(node_name=NODE_NAMES[1], drained=True)
    Prereq(ctx, op, "Not enough master candidates, please pass auto promote"
           " option to allow promotion", errors.ECODE_STATE)
    assert not Node(ctx, 1).drained
    ctx.rpc.answers["node_crypto_tokens"] = [["ssl", "DIGEST3"]]
    cbs = Cbs()
    result = Exec(ctx, opcodes.OpNodeSetParams(node_name=NODE_NAMES[1],
                                               drained=True,
                                               auto_promote=True), cbs)
    assert result == [("master_candidate", "False"), ("drained", "True")]
    assert Node(ctx, 2).master_candidate
    certs = Reload(ctx).cluster.candidate_certs
    assert certs[Node(ctx, 2).uuid] == "DIGEST3"
    assert Node(ctx, 1).uuid not in certs
    assert any("Promoted nodes to master candidate role: node3.example.com"
               in msg for msg in cbs.messages)
    assert "node3.example.com" in ctx.jobqueue.added


def test_deoffline_promotes_and_checks_version(ctx):
    Exec(ctx, opcodes.OpNodeSetParams(node_name=NODE_NAMES[1], offline=True))
    ctx.rpc.answers["version"] = FakeResult(None, "Connection refused")
    Prereq(ctx, opcodes.OpNodeSetParams(node_name=NODE_NAMES[1],
                                        offline=False),
           "is being de-offlined but fails to report its version")
    assert Node(ctx, 1).offline
    ctx.rpc.answers["version"] = constants.PROTOCOL_VERSION
    ctx.rpc.answers["node_crypto_tokens"] = [["ssl", "NEWDIGEST"]]
    cbs = Cbs()
    result = Exec(ctx, opcodes.OpNodeSetParams(node_name=NODE_NAMES[1],
                                               offline=False), cbs)
    assert result == [("master_candidate", "True"), ("offline", "False")]
    assert " - INFO: Auto-promoting node to master candidate" in cbs.messages
    assert any("Transitioning node from offline to online state" in msg
               for msg in cbs.messages)
    uuid = Node(ctx, 1).uuid
    assert ctx.cfg.GetClusterInfo().candidate_certs[uuid] == "NEWDIGEST"
    assert ctx.jobqueue.added == [NODE_NAMES[1]]


def test_unset_flag_already_unset_is_ignored(ctx):
    cbs = Cbs()
    result = Exec(ctx, opcodes.OpNodeSetParams(node_name=NODE_NAMES[2],
                                               offline=False), cbs)
    assert result == []
    assert (" - INFO: Ignoring request to unset flag offline, already unset"
            in cbs.messages)


def test_master_capable_and_vm_capable(ctx):
    cbs = Cbs()
    result = Exec(ctx, opcodes.OpNodeSetParams(node_name=NODE_NAMES[1],
                                               master_capable=False), cbs)
    assert result == [("master_capable", "False"),
                      ("master_candidate", "False")]
    assert " - INFO: Demoting from master candidate" in cbs.messages
    Prereq(ctx, opcodes.OpNodeSetParams(node_name=NODE_NAMES[1],
                                        master_candidate=True),
           "is not master capable, cannot make it a master candidate")
    Prereq(ctx, opcodes.OpNodeSetParams(node_name=NODE_NAMES[0],
                                        master_capable=False),
           "Master must remain master capable")
    result = Exec(ctx, opcodes.OpNodeSetParams(node_name=NODE_NAMES[2],
                                               vm_capable=False))
    assert result == [("vm_capable", "False")]
    assert not Reload(ctx).nodes[Node(ctx, 2).uuid].vm_capable


def test_vm_capable_refused_with_instances(ctx):
    inst = objects.stamp_new(objects.Instance(
        name="inst1.example.com", primary_node=Node(ctx, 2).uuid,
        disks=[], nics=[], disk_template="diskless", os="noop",
        hypervisor="fake", admin_state="up"))
    ctx.cfg._data.instances[inst.uuid] = inst
    Prereq(ctx, opcodes.OpNodeSetParams(node_name=NODE_NAMES[2],
                                        vm_capable=False),
           "hosts instances, cannot unset the vm_capable flag")


def test_ndparams_checks(ctx):
    Exec(ctx, opcodes.OpNodeSetParams(node_name=NODE_NAMES[1],
                                      ndparams={"spindle_count": "3"}))
    assert Node(ctx, 1).ndparams == {"spindle_count": 3}
    Exec(ctx, opcodes.OpNodeSetParams(node_name=NODE_NAMES[1],
                                      ndparams={"spindle_count": "default"}))
    assert Node(ctx, 1).ndparams == {}
    Prereq(ctx, opcodes.OpNodeSetParams(node_name=NODE_NAMES[1],
                                        ndparams={"exclusive_storage": True}),
           "global and cannot be customized at node level")
    with pytest.raises(errors.TypeEnforcementError):
        Exec(ctx, opcodes.OpNodeSetParams(node_name=NODE_NAMES[1],
                                          ndparams={"nosuch": "1"}))
    with pytest.raises(errors.TypeEnforcementError):
        Exec(ctx, opcodes.OpNodeSetParams(node_name=NODE_NAMES[1],
                                          ndparams={"ssh_port": "abc"}))


def test_powered_needs_oob_and_dry_run(ctx):
    Prereq(ctx, opcodes.OpNodeSetParams(node_name=NODE_NAMES[1],
                                        powered=False),
           "does not support out-of-band handling")
    result = Exec(ctx, opcodes.OpNodeSetParams(node_name=NODE_NAMES[1],
                                               offline=True, dry_run=True))
    assert result is None
    assert not Node(ctx, 1).offline


def test_secondary_ip_on_single_homed_cluster(ctx):
    Prereq(ctx, opcodes.OpNodeSetParams(node_name=NODE_NAMES[1],
                                        secondary_ip="192.168.100.2"),
           "requires the --force option")
    Prereq(ctx, opcodes.OpNodeSetParams(node_name=NODE_NAMES[1],
                                        secondary_ip="not-an-ip"),
           "needs to be a valid IP address")
    ctx.rpc.answers["node_has_ip_address"] = True
    result = Exec(ctx, opcodes.OpNodeSetParams(
        node_name=NODE_NAMES[0], secondary_ip="192.168.100.1", force=True))
    assert result == [("secondary_ip", "192.168.100.1")]
    assert Node(ctx, 0).secondary_ip == "192.168.100.1"


# --- volumes and storage -----------------------------------------------------

LVS_OUTPUT = ("  disk0|1024.00|/dev/sdb1(0)|xenvg\n"
              "  disk1|512.00|/dev/sda5(0),/dev/sdb1(256)|xenvg\n"
              "garbage line\n")


def test_parse_node_volumes():
    vols = lvm.ParseNodeVolumesOutput(LVS_OUTPUT)
    assert vols == [
        {"name": "disk0", "size": "1024.00", "dev": "/dev/sdb1",
         "vg": "xenvg"},
        {"name": "disk1", "size": "512.00", "dev": "/dev/sda5", "vg": "xenvg"},
        {"name": "disk1", "size": "512.00", "dev": "/dev/sdb1", "vg": "xenvg"},
    ]


def test_query_volumes(ctx):
    ctx.rpc.answers["node_volumes"] = lambda node: (
        lvm.ParseNodeVolumesOutput(LVS_OUTPUT) if node == Node(ctx, 0).uuid
        else FakeResult(None, "lvs failed"))
    cbs = Cbs()
    rows = Exec(ctx, opcodes.OpNodeQueryvols(
        nodes=[], output_fields=["node", "phys", "vg", "name", "size",
                                 "instance"]), cbs)
    assert rows == [
        ["node1.example.com", "/dev/sda5", "xenvg", "disk1", "512", "-"],
        ["node1.example.com", "/dev/sdb1", "xenvg", "disk0", "1024", "-"],
        ["node1.example.com", "/dev/sdb1", "xenvg", "disk1", "512", "-"],
    ]
    assert any("Can't compute volume data on node node2.example.com: lvs"
               " failed" in msg for msg in cbs.messages)
    rows = Exec(ctx, opcodes.OpNodeQueryvols(nodes=["node1"],
                                             output_fields=["name"]))
    assert rows == [["disk1"], ["disk0"], ["disk1"]]
    Prereq(ctx, opcodes.OpNodeQueryvols(nodes=[], output_fields=["bogus"]),
           "Unknown output fields selected: bogus")


def test_query_storage_default_type_and_fields(ctx):
    ctx.rpc.answers["storage_list"] = [["/srv/ganeti/file-storage", 258048,
                                        112, 80691, True]]
    rows = Exec(ctx, opcodes.OpNodeQueryStorage(
        nodes=[NODE_NAMES[0]],
        output_fields=["node", "type", "name", "size", "used", "free",
                       "allocatable"]))
    assert rows == [["node1.example.com", "file", "/srv/ganeti/file-storage",
                     258048, 112, 80691, True]]
    (call, nodes, args), = ctx.rpc.called("storage_list")
    assert args == ("file", [["/srv/ganeti/file-storage"]], None,
                    ["name", "size", "used", "free", "allocatable"])
    Prereq(ctx, opcodes.OpNodeQueryStorage(storage_type="lvm-vg",
                                           output_fields=["name"]),
           "No disk template of storage type 'lvm-vg' is enabled")
    Prereq(ctx, opcodes.OpNodeQueryStorage(output_fields=["name", "x"]),
           "Unknown output fields selected: x")


def test_modify_and_repair_storage(tmp_path):
    ctx = Context(MakeConfig(tmp_path / "c", templates=("plain", "file")))
    Prereq(ctx, opcodes.OpNodeModifyStorage(
        node_name=NODE_NAMES[1], storage_type="file", name="/srv",
        changes={"allocatable": False}),
        "Storage units of type 'file' can not be modified")
    Prereq(ctx, opcodes.OpNodeModifyStorage(
        node_name=NODE_NAMES[1], storage_type="lvm-pv", name="/dev/sdb1",
        changes={"size": 1}), "can not be modified for storage units")
    Exec(ctx, opcodes.OpNodeModifyStorage(
        node_name=NODE_NAMES[1], storage_type="lvm-pv", name="/dev/sdb1",
        changes={"allocatable": False}))
    (_, node, args), = ctx.rpc.called("storage_modify")
    assert node == Node(ctx, 1).uuid
    assert args == ("lvm-pv", [], "/dev/sdb1", {"allocatable": False})
    Prereq(ctx, opcodes.OpRepairNodeStorage(
        node_name=NODE_NAMES[1], storage_type="file", name="x"),
        "Storage units of type 'file' can not be repaired")
    Exec(ctx, opcodes.OpRepairNodeStorage(node_name=NODE_NAMES[1],
                                          storage_type="lvm-vg",
                                          name="xenvg"))
    (_, _, args), = ctx.rpc.called("storage_execute")
    assert args == ("lvm-vg", [], "xenvg", "fix-consistency")
    ctx.rpc.answers["storage_execute"] = FakeResult(None, "still broken")
    with pytest.raises(errors.OpExecError) as info:
        Exec(ctx, opcodes.OpRepairNodeStorage(node_name=NODE_NAMES[1],
                                              storage_type="lvm-vg",
                                              name="xenvg"))
    assert "still broken" in str(info.value)


# --- powercycle and out-of-band ----------------------------------------------

def test_powercycle(ctx):
    Prereq(ctx, opcodes.OpNodePowercycle(node_name=NODE_NAMES[0]),
           "The node is the master and the force parameter was not set")
    ctx.rpc.answers["node_powercycle"] = "Reboot scheduled in 5 seconds"
    result = Exec(ctx, opcodes.OpNodePowercycle(node_name=NODE_NAMES[1]))
    assert result == "Reboot scheduled in 5 seconds"
    (_, node, args), = ctx.rpc.called("node_powercycle")
    assert node == Node(ctx, 1).uuid and args[0] == "fake"


def test_oob_without_program_is_unavailable(ctx):
    result = Exec(ctx, opcodes.OpOobCommand(command="power-status"))
    assert [entry[0][1] for entry in result] == NODE_NAMES
    assert all(entry[1] == (constants.RS_UNAVAIL, None) for entry in result)
    assert not ctx.rpc.called("run_oob")
    Prereq(ctx, opcodes.OpOobCommand(node_names=[NODE_NAMES[0]],
                                     command="power-off"),
           "Operating on the master node node1.example.com is not allowed"
           " for power-off; it does not support out-of-band operations")
    Prereq(ctx, opcodes.OpOobCommand(node_names=[NODE_NAMES[1]],
                                     command="power-off"),
           "Cannot power off node node2.example.com because it is not marked"
           " offline")


def test_oob_with_program(ctx):
    node = Node(ctx, 1)
    node.ndparams = {"oob_program": "/bin/oob"}
    ctx.rpc.answers["run_oob"] = {"powered": False}
    result = Exec(ctx, opcodes.OpOobCommand(node_names=[NODE_NAMES[1]],
                                            command="power-status"))
    assert result == [[(0, NODE_NAMES[1]), (0, {"powered": False})]]
    (_, master, args), = ctx.rpc.called("run_oob")
    assert master == Node(ctx, 0).uuid
    assert args == ("/bin/oob", "power-status", NODE_NAMES[1], 60)
    ctx.rpc.answers["run_oob"] = [["disk", "WARNING"]]
    cbs = Cbs()
    result = Exec(ctx, opcodes.OpOobCommand(node_names=[NODE_NAMES[1]],
                                            command="health"), cbs)
    assert result[0][1] == (0, [["disk", "WARNING"]])
    assert any("Item 'disk' on node 'node2.example.com' has status"
               " 'WARNING'" in msg for msg in cbs.messages)
    ctx.rpc.answers["run_oob"] = "junk"
    result = Exec(ctx, opcodes.OpOobCommand(node_names=[NODE_NAMES[1]],
                                            command="power-on"))
    assert result[0][1] == (constants.RS_NODATA, None)
    ctx.rpc.answers["run_oob"] = None
    Exec(ctx, opcodes.OpOobCommand(node_names=[NODE_NAMES[1]],
                                   command="power-on"))
    assert Reload(ctx).nodes[node.uuid].powered is True


# --- node side ---------------------------------------------------------------

def test_file_storage_list(tmp_path):
    (tmp_path / "inst1").mkdir()
    (tmp_path / "inst1" / "disk0").write_bytes(b"x" * (3 * 1024 * 1024))
    rows = bs.StorageList("file", [[str(tmp_path)]], None,
                          ["name", "size", "used", "free", "allocatable"])
    (name, size, used, free, alloc), = rows
    st = os.statvfs(str(tmp_path))
    assert name == str(tmp_path)
    assert size == st.f_blocks * st.f_frsize // (1024 * 1024)
    assert 3 <= used <= 4 and alloc is True and 0 <= free <= size
    assert bs.StorageList("file", [[str(tmp_path)]], "/other", ["name"]) == []
    with pytest.raises(backend.RPCFail):
        bs.StorageList("file", [[str(tmp_path)]], None, ["node"])
    with pytest.raises(backend.RPCFail):
        bs.StorageList("rados", [], None, ["name"])


def test_lvm_report_parsers():
    vgs = bs.ParseVgs("  1095.50|1341.00|xenvg\n")
    assert vgs == {"xenvg": {"name": "xenvg", "size": 1341, "free": 1096,
                             "used": 245, "allocatable": True}}
    pvs = bs.ParsePvs("  /dev/sda5|xenvg|60.00|a--|100.00\n"
                      "  /dev/sdb1|xenvg|50.00|---|50.00\n")
    assert pvs["/dev/sda5"]["allocatable"] is True
    assert pvs["/dev/sdb1"] == {"name": "/dev/sdb1", "size": 50, "used": 0,
                                "free": 50, "allocatable": False}


class _Res:
    def __init__(self, output, failed=False):
        self.output = output
        self.failed = failed


def _Recorded(name):
    path = os.path.join(RECORDED, name)
    with open(path) as handle:
        return handle.read()


def test_repair_volume_group_recorded_outputs():
    ok = _Recorded("vgreduce-removemissing-2.02.66-ok.txt")
    fail = _Recorded("vgreduce-removemissing-2.02.66-fail.txt")
    vgs_ok = "  xenvg   2  52   0 wz-n- 1.31t 1.07t\n"
    vgs_missing = _Recorded("vgs-missing-pvs-2.02.66.txt")
    cmds = []

    def runner(answers):
        def run(cmd):
            cmds.append(cmd)
            return answers.pop(0)
        return run

    bs.RepairVolumeGroup("xenvg", run=runner([_Res(ok), _Res(vgs_ok)]))
    assert cmds == [["vgreduce", "--removemissing", "xenvg"],
                    ["vgs", "--noheadings", "--nosuffix", "xenvg"]]
    del cmds[:]
    # Partial LVs: LVM asks for --force, which is used.
    bs.RepairVolumeGroup("xenvg", run=runner([_Res(fail, True), _Res(ok),
                                              _Res(vgs_ok)]))
    assert ["vgreduce", "--removemissing", "--force", "xenvg"] in cmds
    with pytest.raises(backend.RPCFail) as info:
        bs.RepairVolumeGroup("xenvg", run=runner([_Res(ok),
                                                  _Res(vgs_missing)]))
    assert "still not consistent" in str(info.value)


def test_storage_modify_and_execute_refuse_unsupported():
    with pytest.raises(backend.RPCFail):
        bs.StorageModify("file", [], "/srv", {"allocatable": False})
    with pytest.raises(backend.RPCFail):
        bs.StorageModify("lvm-pv", [], "/dev/sda", {"size": 1})
    with pytest.raises(backend.RPCFail):
        bs.StorageExecute("file", [], "/srv", "fix-consistency")


def test_powercycle_fake_hypervisor_does_not_reboot(monkeypatch):
    def no_fork():
        raise AssertionError("fork must not be called")
    monkeypatch.setattr(os, "fork", no_fork)
    assert bs.NodePowercycle("fake", {}).startswith(
        "Reboot scheduled in 5 seconds")


def test_run_oob(tmp_path):
    script = tmp_path / "oob"
    script.write_text("#!/bin/sh\necho '{\"powered\": true, \"cmd\": \"'$1'\","
                      " \"node\": \"'$2'\"}'\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    assert bs.RunOob(str(script), "power-status", "node2", 10) == {
        "powered": True, "cmd": "power-status", "node": "node2"}
    bad = tmp_path / "bad"
    bad.write_text("#!/bin/sh\necho broken; exit 3\n")
    bad.chmod(bad.stat().st_mode | stat.S_IXUSR)
    with pytest.raises(backend.RPCFail) as info:
        bs.RunOob(str(bad), "health", "node2", 10)
    assert "broken" in str(info.value)


def test_noded_serves_the_new_calls():
    from ganeti.server import noded
    for call in ("node_volumes", "storage_list", "storage_modify",
                 "storage_execute", "node_powercycle", "run_oob",
                 "node_demote_from_mc"):
        assert call in noded.RPC_CALLS


# --- gnt-node output ---------------------------------------------------------

def _Reference(name):
    path = os.path.join(REFERENCE, name)
    with open(path) as handle:
        lines = handle.read().splitlines()
    return [line for line in lines[1:] if not line.startswith("[exit")]


def _Job(fake, result):
    fake.jobs[fake.next_id] = FakeJob(fake.next_id, [], opresult=[result])


def test_cli_modify_prints_changes(fake_luxi, capsys):
    _Job(fake_luxi, [["master_candidate", "False"], ["offline", "True"]])
    assert Run(gnt_node, "modify", "-O", "yes", "node2") == 0
    assert capsys.readouterr().out == ("Modified node node2\n"
                                       " - master_candidate -> False\n"
                                       " - offline -> True\n")
    (_, ops), = fake_luxi.submitted
    assert ops[0]["OP_ID"] == "OP_NODE_SET_PARAMS"
    assert ops[0]["offline"] is True
    assert ops[0].get("master_candidate") is None
    assert Run(gnt_node, "modify", "node2") == 1
    assert "Please give at least one of the parameters." in \
        capsys.readouterr().err


def test_cli_list_storage_matches_reference(fake_luxi, capsys):
    ref = _Reference("43-node-list-storage.txt")
    _Job(fake_luxi, [["anchor-node1.ganeti.test", "file",
                      "/srv/ganeti/file-storage", 258048, 112, 80691, True]])
    assert Run(gnt_node, "list-storage", "-t", "file") == 0
    assert capsys.readouterr().out.splitlines() == ref
    (_, ops), = fake_luxi.submitted
    assert ops[0]["storage_type"] == "file"


def test_cli_volumes_empty_matches_reference(fake_luxi, capsys):
    ref = _Reference("44-node-volumes.txt")
    _Job(fake_luxi, [])
    assert Run(gnt_node, "volumes") == 0
    assert capsys.readouterr().out.splitlines() == ref


def test_cli_power_status_unavailable(fake_luxi, capsys):
    _Job(fake_luxi, [[[0, "node1.example.com"], [constants.RS_UNAVAIL, None]],
                     [[0, "node2.example.com"], [0, {"powered": True}]]])
    assert Run(gnt_node, "power", "status") == 1
    out = capsys.readouterr().out.splitlines()
    assert out[1].split() == ["node1.example.com", "Not", "available"]
    assert out[2].split() == ["node2.example.com", "powered"]


# --- master candidate role and SSH keys (modify_ssh_setup) -------------------

def _WithSshSetup(ctx):
    ctx.cfg.GetClusterInfo().modify_ssh_setup = True
    return ctx


def test_demotion_takes_the_ssh_key_back(ctx):
    _WithSshSetup(ctx)
    node = Node(ctx, 1)
    master = ctx.cfg.GetMasterNode()
    Exec(ctx, opcodes.OpNodeSetParams(node_name=NODE_NAMES[1],
                                      master_candidate=False))
    (call, nodes, args), = ctx.rpc.called("node_ssh_key_remove")
    assert nodes == [master] and args[:2] == (node.uuid, node.name)
    # from the others' authorized_keys only: its key stays listed
    assert args[4:] == (True, False, False, False, False)
    assert node.uuid not in args[2]
    assert not ctx.rpc.called("node_ssh_key_add")


def test_promotion_authorizes_the_ssh_key(ctx):
    _WithSshSetup(ctx)
    Exec(ctx, opcodes.OpNodeSetParams(node_name=NODE_NAMES[1],
                                      master_candidate=False))
    node = Node(ctx, 1)
    ctx.rpc.answers["node_crypto_tokens"] = [["ssl", "DIGEST"]]
    Exec(ctx, opcodes.OpNodeSetParams(node_name=NODE_NAMES[1],
                                      master_candidate=True))
    (call, nodes, args), = ctx.rpc.called("node_ssh_key_add")
    assert args[:2] == (node.uuid, node.name)
    assert args[3:] == (True, False, False)


def test_no_ssh_key_changes_without_ssh_setup(ctx):
    Exec(ctx, opcodes.OpNodeSetParams(node_name=NODE_NAMES[1],
                                      master_candidate=False))
    assert not ctx.rpc.called("node_ssh_key_remove")
