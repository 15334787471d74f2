"""Tests for LUNodeAdd / LUNodeRemove (ganeti.cmdlib.node_membership).

A real ConfigWriter (in a temporary root) with a fake RPC runner, fake
processor and context; name resolution and TCP pings are faked.
"""

import pytest

from ganeti import config
from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti import opcodes
from ganeti.cmdlib import node_membership as nm
from ganeti.rpc.client import RpcResult

MASTER_IP = "192.168.10.1"
ADDRESSES = {"node1.example.com": MASTER_IP,
             "node2.example.com": "192.168.10.2",
             "node3.example.com": "192.168.10.3",
             "node4.example.com": "192.168.10.4"}
DIGEST = "AA:BB:CC"


# --- fakes --------------------------------------------------------------------

class FakeHostname:
    def __init__(self, name=None, family=None):
        full = name if name in ADDRESSES else "%s.example.com" % name
        if full not in ADDRESSES:
            raise errors.ResolverError(name, -2, "Name or service not known")
        self.name = full
        self.ip = ADDRESSES[full]


def _Ok(payload=None):
    return RpcResult(data=[True, payload])


def _Fail(msg):
    return RpcResult(data=[False, msg])


class FakeRpc:
    """Answers like healthy nodes; tests change self.answers[call]."""

    def __init__(self):
        self.calls = []
        self.answers = {
            "version": lambda node: _Ok(constants.PROTOCOL_VERSION),
            "node_has_ip_address": lambda node, ip: _Ok(True),
            "node_crypto_tokens": lambda node, req: _Ok([["ssl", DIGEST]]),
            "node_verify": lambda node, what, name, hvp: _Ok(
                {constants.NV_NODELIST: {}}),
            "etc_hosts_modify": lambda node, mode, name, ip: _Ok(None),
            "upload_file": lambda node, name: _Ok(None),
            "node_leave_cluster": lambda node, ssh: _Ok(None),
            "node_demote_from_mc": lambda node: _Ok(None),
            "hooks_runner": lambda node, *args: _Ok([]),
        }

    def __getattr__(self, name):
        if not name.startswith("call_"):
            raise AttributeError(name)
        call = name[len("call_"):]
        multi = call in ("version", "node_verify", "upload_file",
                         "hooks_runner")

        def method(nodes, *args, **_options):
            self.calls.append((call, nodes, args))
            if multi:
                return {n: self.answers[call](n, *args) for n in nodes}
            return self.answers[call](nodes, *args)
        return method

    def Called(self, call):
        return [c for c in self.calls if c[0] == call]


class FakeJobQueue:
    def __init__(self):
        self.added = []

    def AddNode(self, name):
        self.added.append(name)


class FakeContext:
    def __init__(self, cfg):
        self.cfg = cfg
        self.jobqueue = FakeJobQueue()
        self.removed = []

    def AddNode(self, node):
        self.cfg.AddNode(node)

    def RemoveNode(self, uuid):
        self.removed.append(uuid)
        self.cfg.RemoveNode(uuid)


class FakeProc:
    def __init__(self):
        self.messages = []

    def Log(self, *args):
        self.messages.append(args[-1])

    def LogInfo(self, message, *args):
        self.messages.append(" - INFO: " + (message % args if args
                                            else message))

    def LogWarning(self, message, *args, **kwargs):
        self.messages.append(" - WARNING: " + (message % args if args
                                               else message))


def _MakeConfig(tmp_path, pool_size=10, master_sip=None, modify_etc_hosts=True):
    group = objects.stamp_new(objects.NodeGroup(name="default", members=[]))
    group.UpgradeConfig()
    master = objects.stamp_new(objects.Node(
        name="node1.example.com", primary_ip=MASTER_IP,
        secondary_ip=master_sip or MASTER_IP, master_candidate=True,
        offline=False, drained=False, group=group.uuid, master_capable=True,
        vm_capable=True, ndparams={}, powered=True, tags=[]))
    group.members.append(master.uuid)
    cluster = objects.stamp_new(objects.Cluster(
        cluster_name="cluster.example.com", master_node=master.uuid,
        master_ip="192.168.10.250", master_netdev="br0", master_netmask=32,
        enabled_hypervisors=["fake"], candidate_pool_size=pool_size,
        modify_etc_hosts=modify_etc_hosts, modify_ssh_setup=False,
        primary_ip_family=2, candidate_certs={master.uuid: "MA:ST:ER"},
        tags=[]))
    cluster.UpgradeConfig()
    data = objects.ConfigData(
        version=constants.CONFIG_VERSION, cluster=cluster,
        nodes={master.uuid: master}, nodegroups={group.uuid: group},
        instances={}, networks={}, disks={}, filters={}, serial_no=1)
    return config.ConfigWriter(cfg_file=str(tmp_path / "config.data"),
                               data=data)


@pytest.fixture
def env(tmp_path, monkeypatch, ganeti_root):
    monkeypatch.setattr(nm.netutils, "Hostname", FakeHostname)
    monkeypatch.setattr(nm.LUNodeAdd, "_TcpPing",
                        lambda self, address, source=None: True)
    cfg = _MakeConfig(tmp_path)
    return _Env(cfg, monkeypatch)


class _Env:
    def __init__(self, cfg, monkeypatch):
        self.cfg = cfg
        self.rpc = FakeRpc()
        self.context = FakeContext(cfg)
        self.proc = FakeProc()
        monkeypatch.setattr(nm.LUNodeAdd, "_NodeRunner",
                            lambda lu: self.rpc)

    def Run(self, op, lu_class):
        """ExpandNames, CheckPrereq, Exec (hooks are mcpu's business)."""
        lu = lu_class(self.proc, op, self.cfg, self.rpc, glm=None,
                      context=self.context)
        lu.ExpandNames()
        lu.CheckPrereq()
        lu.Exec(self.proc.Log)
        return lu

    def Add(self, name, **kwargs):
        return self.Run(opcodes.OpNodeAdd(node_name=name, **kwargs),
                        nm.LUNodeAdd)

    def Remove(self, name):
        return self.Run(opcodes.OpNodeRemove(node_name=name), nm.LUNodeRemove)

    def Node(self, name):
        return self.cfg.GetNodeInfoByName(name)


def _Expect(env, fn, cls, text, ecode=None):
    before = env.cfg.GetConfigSerial()
    with pytest.raises(cls) as err:
        fn()
    assert text in str(err.value.args[0])
    if ecode is not None:
        assert err.value.args[1] == ecode
    assert env.cfg.GetConfigSerial() == before
    return err.value


# --- adding -------------------------------------------------------------------

def test_add_node(env):
    serial = env.cfg.GetConfigSerial()
    lu = env.Add("node2")
    node = env.Node("node2.example.com")
    assert node is not None and node.primary_ip == "192.168.10.2"
    assert node.secondary_ip == "192.168.10.2"
    assert node.master_candidate and node.master_capable and node.vm_capable
    assert node.group == env.cfg.GetDefaultNodeGroupUuid()
    assert env.cfg.GetClusterInfo().candidate_certs[node.uuid] == DIGEST
    assert env.cfg.GetConfigSerial() == serial + 1  # a single write
    assert env.context.jobqueue.added == ["node2.example.com"]
    assert " - INFO: Node will be a master candidate" in env.proc.messages
    # checked before anything changed: version, ssh from the master, digest
    verify = env.rpc.Called("node_verify")[0]
    assert verify[1] == [env.cfg.GetMasterNode()]
    assert verify[2][0] == {constants.NV_NODELIST:
                            (["node2.example.com"], {}, [])}
    assert env.rpc.Called("version")[0][1] == ["node2.example.com"]
    assert env.rpc.Called("node_has_ip_address") == []  # single-homed
    assert env.rpc.Called("etc_hosts_modify")[0][2] == (
        constants.ETC_HOSTS_ADD, "node2.example.com", "192.168.10.2")
    # hooks: existing nodes, post also on the new one
    assert lu.BuildHooksNodes() == ([env.cfg.GetMasterNode()],
                                    [env.cfg.GetMasterNode()])
    assert lu.PreparePostHookNodes([]) == [node.uuid]
    hooks_env = lu.BuildHooksEnv()
    assert hooks_env["NODE_NAME"] == "node2.example.com"
    assert hooks_env["NODE_PIP"] == hooks_env["NODE_SIP"] == "192.168.10.2"
    assert hooks_env["MASTER_CAPABLE"] == hooks_env["VM_CAPABLE"] == "True"


def test_add_node_with_flags_and_params(env):
    env.Add("node2", master_capable=False, vm_capable=False,
            ndparams={"ssh_port": "2222", "cpu_speed": "2"},
            hv_state={"fake": {"mem_total": "1024"}},
            disk_state={"lvm-vg": {"xenvg": {"disk_total": "100"}}})
    node = env.Node("node2.example.com")
    assert not node.master_candidate and not node.master_capable
    assert not node.vm_capable
    assert node.ndparams == {"ssh_port": 2222, "cpu_speed": 2}
    assert type(node.ndparams["cpu_speed"]) is int  # upstream stores 2
    assert node.hv_state_static == {"fake": {"mem_total": 1024}}
    assert node.disk_state_static == {"lvm-vg": {"xenvg": {"disk_total": 100}}}
    assert node.uuid not in env.cfg.GetClusterInfo().candidate_certs
    assert env.context.jobqueue.added == []


def test_candidate_pool_full(tmp_path, env):
    env.cfg.GetClusterInfo().candidate_pool_size = 1
    env.Add("node2")
    node = env.Node("node2.example.com")
    assert not node.master_candidate
    assert node.uuid not in env.cfg.GetClusterInfo().candidate_certs


@pytest.mark.parametrize("kwargs,cls,text,ecode", [
    ({"secondary_ip": "not-an-ip"}, errors.OpPrereqError,
     "Secondary IP (not-an-ip) needs to be a valid IPv4 address",
     errors.ECODE_INVAL),
    ({"secondary_ip": "10.9.9.9"}, errors.OpPrereqError,
     "The master has no secondary ip but the new node has one",
     errors.ECODE_INVAL),
    ({"ndparams": {"exclusive_storage": "true"}}, errors.OpPrereqError,
     "global and cannot be customized at node level", errors.ECODE_INVAL),
    ({"ndparams": {"bogus": "1"}}, errors.TypeEnforcementError,
     "Unknown parameter 'bogus'", None),
    ({"ndparams": {"ssh_port": "abc"}}, errors.TypeEnforcementError,
     "'ssh_port'", None),
    ({"group": "nosuchgroup"}, errors.OpPrereqError,
     "Node group 'nosuchgroup' not found", errors.ECODE_NOENT),
    ({"hv_state": {"nohv": {}}}, errors.OpPrereqError,
     "Invalid hypervisor 'nohv'", errors.ECODE_INVAL),
])
def test_add_bad_input(env, kwargs, cls, text, ecode):
    _Expect(env, lambda: env.Add("node2", **kwargs), cls, text, ecode)
    assert env.Node("node2.example.com") is None
    assert env.rpc.Called("etc_hosts_modify") == []


def test_add_existing_node_and_readd_rules(env):
    env.Add("node2")
    _Expect(env, lambda: env.Add("node2"), errors.OpPrereqError,
            "Node node2.example.com is already in the configuration",
            errors.ECODE_EXISTS)
    _Expect(env, lambda: env.Add("node3", readd=True), errors.OpPrereqError,
            "Node node3.example.com is not in the configuration",
            errors.ECODE_NOENT)
    _Expect(env, lambda: env.Add("node1", readd=True), errors.OpPrereqError,
            "Cannot readd the master node", errors.ECODE_STATE)
    _Expect(env, lambda: env.Add("node2", readd=True, group="default"),
            errors.OpPrereqError, "Cannot pass a node group",
            errors.ECODE_INVAL)
    _Expect(env, lambda: env.Add("nosuchhost"), errors.ResolverError,
            "nosuchhost")


def test_readd_resets_flags_in_one_write(env):
    env.Add("node2")
    node = env.Node("node2.example.com")
    node.offline = True
    node.drained = True
    node.master_candidate = False
    serial = env.cfg.GetConfigSerial()
    node_serial = node.serial_no
    env.proc.messages.clear()
    env.Add("node2", readd=True)
    node = env.Node("node2.example.com")
    assert not node.offline and not node.drained and node.master_candidate
    assert node.serial_no == node_serial + 1
    assert env.cfg.GetConfigSerial() == serial + 1
    assert (" - INFO: Readding a node, the offline/drained flags were reset"
            in env.proc.messages)
    assert len(env.cfg.GetAllNodesInfo()) == 2


def test_version_mismatch_and_unreachable_daemon(env):
    env.rpc.answers["version"] = lambda node: _Ok(2160000)
    _Expect(env, lambda: env.Add("node2"), errors.OpPrereqError,
            "Version mismatch master version %s, node version 2160000"
            % constants.PROTOCOL_VERSION, errors.ECODE_ENVIRON)
    env.rpc.answers["version"] = lambda node: _Fail("Connection refused")
    _Expect(env, lambda: env.Add("node2"), errors.OpPrereqError,
            "Can't get version information from node node2.example.com:"
            " Connection refused", errors.ECODE_ENVIRON)


def test_unreachable_by_ping(env, monkeypatch):
    monkeypatch.setattr(nm.LUNodeAdd, "_TcpPing",
                        lambda self, address, source=None: False)
    _Expect(env, lambda: env.Add("node2"), errors.OpPrereqError,
            "Node not reachable by ping", errors.ECODE_ENVIRON)


def test_ssh_verification_from_master_fails(env):
    env.rpc.answers["node_verify"] = lambda node, what, name, hvp: _Ok(
        {constants.NV_NODELIST: {"node2.example.com": "ssh problem: denied"}})
    _Expect(env, lambda: env.Add("node2"), errors.OpExecError,
            "ssh/hostname verification failed")
    assert ("ssh/hostname verification failed (checking from"
            " node1.example.com): ssh problem: denied") in env.proc.messages
    assert env.Node("node2.example.com") is None
    assert env.rpc.Called("etc_hosts_modify") == []


def test_dual_homed_secondary_ip_must_be_on_the_node(tmp_path, monkeypatch,
                                                     ganeti_root):
    monkeypatch.setattr(nm.netutils, "Hostname", FakeHostname)
    monkeypatch.setattr(nm.LUNodeAdd, "_TcpPing",
                        lambda self, address, source=None: True)
    env = _Env(_MakeConfig(tmp_path, master_sip="10.0.0.1"), monkeypatch)
    _Expect(env, lambda: env.Add("node2"), errors.OpPrereqError,
            "The master has a secondary ip but the new node doesn't have one",
            errors.ECODE_INVAL)
    _Expect(env, lambda: env.Add("node2", secondary_ip="10.0.0.1"),
            errors.OpPrereqError, "New node ip address(es) conflict with"
            " existing node node1.example.com", errors.ECODE_NOTUNIQUE)
    env.rpc.answers["node_has_ip_address"] = lambda node, ip: _Ok(False)
    _Expect(env, lambda: env.Add("node2", secondary_ip="10.0.0.2"),
            errors.OpExecError, "Node claims it doesn't have the secondary ip"
            " you gave (10.0.0.2), please fix and re-run this command")
    assert env.rpc.Called("node_has_ip_address")[-1][1:] == (
        "node2.example.com", ("10.0.0.2",))
    env.rpc.answers["node_has_ip_address"] = lambda node, ip: _Ok(True)
    env.Add("node2", secondary_ip="10.0.0.2")
    assert env.Node("node2.example.com").secondary_ip == "10.0.0.2"


def test_ancillary_files_go_to_the_new_node(env, monkeypatch):
    from ganeti import pathutils
    import os
    os.makedirs(pathutils.DATA_DIR, exist_ok=True)
    for name in (pathutils.RAPI_CERT_FILE, pathutils.CONFD_HMAC_KEY,
                 pathutils.CLUSTER_DOMAIN_SECRET_FILE):
        with open(name, "w") as handle:
            handle.write("x")
    env.cfg.GetClusterInfo().modify_etc_hosts = False
    env.Add("node2")
    uploads = env.rpc.Called("upload_file")
    assert sorted(c[2][0] for c in uploads) == sorted(
        [pathutils.RAPI_CERT_FILE, pathutils.CONFD_HMAC_KEY,
         pathutils.CLUSTER_DOMAIN_SECRET_FILE])
    assert all(c[1] == ["node2.example.com"] for c in uploads)
    env.rpc.answers["upload_file"] = lambda node, name: _Fail("disk full")
    env.Add("node3")
    assert any("Copy of file %s to node node3.example.com failed: disk full"
               % pathutils.RAPI_CERT_FILE in m for m in env.proc.messages)


# --- removing -----------------------------------------------------------------

def test_remove_node(env):
    env.Add("node2")
    env.Add("node3")
    uuid = env.Node("node3.example.com").uuid
    serial = env.cfg.GetConfigSerial()
    env.rpc.calls.clear()
    lu = env.Remove("node3")
    assert env.Node("node3.example.com") is None
    assert uuid not in env.cfg.GetClusterInfo().candidate_certs
    assert env.cfg.GetConfigSerial() == serial + 1
    assert env.context.removed == [uuid]
    assert env.rpc.Called("node_leave_cluster") == [
        ("node_leave_cluster", "node3.example.com", (False,))]
    assert env.rpc.Called("etc_hosts_modify")[0][2] == (
        constants.ETC_HOSTS_REMOVE, "node3.example.com", None)
    assert lu.BuildHooksEnv() == {"OP_TARGET": "node3.example.com",
                                  "NODE_NAME": "node3.example.com"}
    assert uuid not in lu.BuildHooksNodes()[0]


def test_remove_master_unknown_and_busy_nodes(env):
    _Expect(env, lambda: env.Remove("node1"), errors.OpPrereqError,
            "Node is the master node, failover to another node is required",
            errors.ECODE_INVAL)
    _Expect(env, lambda: env.Remove("node9"), errors.OpPrereqError,
            "Node 'node9' not known", errors.ECODE_NOENT)
    env.Add("node2")
    node = env.Node("node2.example.com")
    inst = objects.Instance(name="inst1.example.com", primary_node=node.uuid,
                            disks=[], nics=[], uuid="inst-uuid")
    env.cfg._data.instances[inst.uuid] = inst  # pylint: disable=W0212
    _Expect(env, lambda: env.Remove("node2"), errors.OpPrereqError,
            "Instance inst1.example.com is still running on the node, please"
            " remove first", errors.ECODE_INVAL)


def test_remove_warns_when_node_cannot_leave(env):
    env.Add("node2")
    env.rpc.answers["node_leave_cluster"] = lambda node, ssh: _Fail("timeout")
    env.Remove("node2")
    assert env.Node("node2.example.com") is None
    assert (" - WARNING: Errors encountered on the remote node while leaving"
            " the cluster: timeout") in env.proc.messages


def test_remove_candidate_promotes_another(env):
    env.cfg.GetClusterInfo().candidate_pool_size = 2
    env.Add("node2")
    env.Add("node3")
    assert env.Node("node2.example.com").master_candidate
    assert not env.Node("node3.example.com").master_candidate
    env.context.jobqueue.added.clear()
    env.Remove("node2")
    node3 = env.Node("node3.example.com")
    assert node3.master_candidate
    assert env.cfg.GetClusterInfo().candidate_certs[node3.uuid] == DIGEST
    assert env.context.jobqueue.added == ["node3.example.com"]
    assert (" - INFO: Promoted nodes to master candidate role:"
            " node3.example.com") in env.proc.messages


def test_decide_self_promotion(env):
    cfg = env.cfg
    assert nm.DecideSelfPromotion(cfg)
    cfg.GetClusterInfo().candidate_pool_size = 1
    assert not nm.DecideSelfPromotion(cfg)
    assert nm.DecideSelfPromotion(cfg, [cfg.GetMasterNode()])


def test_state_and_param_checks():
    assert nm.CheckNdParams({"ovs": "yes", "oob_program": "/bin/x"}) == \
        {"ovs": True, "oob_program": "/bin/x"}
    with pytest.raises(errors.OpPrereqError, match="Invalid storage type"):
        nm.CheckDiskState({"tape": {}})
    with pytest.raises(errors.TypeEnforcementError):
        nm.CheckHvState({"fake": {"mem_total": "lots"}})


# --- SSH keys (modify_ssh_setup) ---------------------------------------------

def _SshSetup(env):
    env.cfg.GetClusterInfo().modify_ssh_setup = True
    order = []

    def Record(call, answer):
        def Answer(nodes, *args):
            order.append((call, [n.name for n in
                                 env.cfg.GetAllNodesInfo().values()]))
            return {n: _Ok(answer) for n in nodes}
        return Answer
    for call in ("node_ssh_key_add", "node_ssh_key_remove"):
        env.rpc.answers[call] = Record(call, [])
    return order


def test_add_spreads_the_ssh_key_once_in_the_config(env):
    order = _SshSetup(env)
    env.rpc.answers["node_ssh_key_add"] = lambda nodes, *args: {
        n: _Ok([["node1.example.com", "unreachable"]]) for n in nodes}
    env.Add("node2")
    node = env.Node("node2.example.com")
    (_, nodes, args), = [c for c in env.rpc.calls
                         if c[0] == "node_ssh_key_add"]
    assert nodes == [env.cfg.GetMasterNode()]
    assert args == (node.uuid, node.name, ["node1.example.com",
                                           "node2.example.com"],
                    True, True, True)
    assert (" - WARNING: Error when updating the SSH setup of node"
            " 'node1.example.com': unreachable") in env.proc.messages


def test_remove_takes_the_ssh_key_back_after_the_config(env):
    env.cfg.GetClusterInfo().candidate_pool_size = 2
    env.Add("node2")
    env.Add("node3")
    order = _SshSetup(env)
    node2 = env.Node("node2.example.com")
    env.Remove("node2")
    node3 = env.Node("node3.example.com")
    # node3 was promoted in its place (its key authorized everywhere),
    # then node2's key was taken back once it left the configuration
    assert [call for call, _ in order] == ["node_ssh_key_add",
                                           "node_ssh_key_remove"]
    assert "node2.example.com" not in order[1][1]
    (_, _, args), = [c for c in env.rpc.calls
                     if c[0] == "node_ssh_key_remove"]
    assert args[:2] == (node2.uuid, node2.name)
    assert sorted(args[2]) == sorted([env.cfg.GetMasterNode(), node3.uuid])
    assert args[4:] == (True, True, True, True, False)
