"""Tests for ganeti.backend.instance (the node side of the instance RPCs)."""

import json
import os

import pytest

from ganeti import backend
from ganeti.backend import instance as bi
from ganeti import defaults
from ganeti import errors
from ganeti import hypervisor
from ganeti import pathutils
from ganeti import serializer
from ganeti.hypervisor import hv_base
from ganeti.hypervisor import hv_fake
from ganeti.server import noded


def _idict(name="inst1.example.com", hv="fake", disks=(), **extra):
    result = {
        "name": name, "hypervisor": hv, "os": "debian", "uuid": "i-uuid",
        "primary_node": "node-uuid", "admin_state": "up", "tags": [],
        "hvparams": dict(defaults.HVC_DEFAULTS[hv]),
        "beparams": dict(defaults.BEC_DEFAULTS, maxmem=256, minmem=128),
        "nics": [{"mac": "aa:00:00:00:00:01", "uuid": "n-uuid",
                  "nicparams": {"mode": "bridged", "link": "br0"}}],
        "disks": [d["uuid"] for d in disks], "disks_info": list(disks),
        "disk_template": "plain" if disks else "diskless",
        "secondary_nodes": [],
    }
    result.update(extra)
    return result


@pytest.fixture
def node(ganeti_root, monkeypatch):
    """A node with fake hypervisors: 'fake' here, 'fake' on node2."""
    monkeypatch.setattr(hv_base, "LinuxNodeInfo", lambda: {
        "memory_total": 4096, "memory_free": 3000, "memory_dom0": 500,
        "cpu_total": 4, "cpu_nodes": 1, "cpu_sockets": 1, "cpu_dom0": 4})
    here = hv_fake.FakeHypervisor()
    monkeypatch.setattr(hypervisor, "GetHypervisor",
                        lambda name: here if name == "fake"
                        else hypervisor.GetHypervisorClass(name)())
    return here


def test_start_list_info_shutdown(node):
    inst = _idict()
    assert bi.GetInstanceList(["fake"], {"fake": {}}) == []
    bi.StartInstance(inst, False, [["gnt:user", "start", 1]])
    bi.StartInstance(inst, False, None)            # already running: no-op
    assert bi.GetInstanceList(["fake", "xen-pvm"], {}) == [inst["name"]]
    assert bi.GetInstanceInfo(inst["name"], "fake", {}) == {
        "memory": 256, "vcpus": 1, "state": 0, "time": 0}
    assert bi.GetInstanceInfo("other", "fake", {}) == {}
    assert bi.GetAllInstancesInfo(["fake"], {"fake": {}}) == {
        inst["name"]: {"memory": 256, "vcpus": 1, "state": 0, "time": 0}}
    reason = os.path.join(pathutils.INSTANCE_REASON_DIR, inst["name"])
    with open(reason) as handle:
        trail = json.load(handle)
    # As upstream's: the trail received, then noded's own entry.
    assert trail[:1] == [["gnt:user", "start", 1]]
    assert trail[1][:2] == ["gnt:daemon:noded:start", ""]
    assert isinstance(trail[1][2], int) and len(trail) == 2
    bi.InstanceShutdown(inst, 10, [["gnt:user", "stop", 2]])
    assert bi.GetInstanceList(["fake"], {}) == []
    bi.InstanceShutdown(inst, 10, None)             # not running: no-op
    with open(reason) as handle:
        trail = json.load(handle)
    assert trail[:1] == [["gnt:user", "stop", 2]]
    assert trail[1][:2] == ["gnt:daemon:noded:shutdown", ""]


def test_reboot(node):
    inst = _idict()
    with pytest.raises(backend.RPCFail, match="Cannot reboot instance"
                       " inst1.example.com that is not running"):
        bi.InstanceReboot(inst, "soft", 10, None)
    bi.StartInstance(inst, False, None)
    bi.InstanceReboot(inst, "soft", 10, None)
    bi.InstanceBalloonMemory(inst, 200)
    assert bi.GetInstanceInfo(inst["name"], "fake", {})["memory"] == 200
    bi.InstanceReboot(inst, "hard", 10, None)     # stop + start: memory reset
    assert bi.GetInstanceInfo(inst["name"], "fake", {})["memory"] == 256
    bi.InstanceReboot(inst, "soft", 10, [["gnt:user", "reboot", 3]])
    with open(os.path.join(pathutils.INSTANCE_REASON_DIR,
                           inst["name"])) as handle:
        trail = json.load(handle)
    assert trail[0] == ["gnt:user", "reboot", 3]
    assert [entry[:2] for entry in trail[1:]] == \
        [["gnt:daemon:noded:reboot", ""]]
    with pytest.raises(backend.RPCFail, match="Invalid reboot_type"):
        bi.InstanceReboot(inst, "gentle", 10, None)


def test_start_failure_is_a_hypervisor_error(node, monkeypatch):
    def boom(*args):
        raise errors.HypervisorError("qemu said no")
    monkeypatch.setattr(node, "StartInstance", boom)
    with pytest.raises(backend.RPCFail, match="^Hypervisor error: qemu said"
                       " no$"):
        bi.StartInstance(_idict(), False, None)


class _StubbornHv(hv_fake.FakeHypervisor):
    """Ignores soft stops; only a forced stop works."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def StopInstance(self, instance, force=False, retry=False, name=None,
                     timeout=None):
        self.calls.append(force)
        if force:
            super().StopInstance(instance, force=True)


def test_shutdown_forces_after_the_timeout(node, monkeypatch):
    stubborn = _StubbornHv()
    monkeypatch.setattr(hypervisor, "GetHypervisor", lambda name: stubborn)
    inst = _idict()
    bi.StartInstance(inst, False, None)
    bi.InstanceShutdown(inst, 0.3, None)
    assert stubborn.calls == [False, True]
    assert stubborn.ListInstances() == []


class _Device:
    def __init__(self, path):
        self.dev_path = path
        self.opened = False

    def Open(self, force=False, exclusive=True):
        self.opened = True


def test_disks_are_linked_and_unlinked(node, monkeypatch, tmp_path):
    found = {}

    def find(disk):
        found[disk.iv_name] = _Device(str(tmp_path / disk.logical_id[1]))
        return found[disk.iv_name]
    monkeypatch.setattr(bi, "_FindDevice", find)
    disks = [{"uuid": "d%d" % i, "dev_type": "plain", "iv_name": "disk/%d" % i,
              "logical_id": ["xenvg", "lv%d" % i], "size": 64, "mode": "rw",
              "params": {"stripes": 1}} for i in range(2)]
    inst = _idict(disks=disks)
    seen = []
    real_start = node.StartInstance
    monkeypatch.setattr(node, "StartInstance", lambda i, bdevs, p: (
        seen.extend(bdevs), real_start(i, bdevs, p)))
    bi.StartInstance(inst, False, None)
    links = [bi.DiskLinkName(inst["name"], i) for i in range(2)]
    assert [link for _, link, _ in seen] == links
    assert [d["uuid"] for d, _, _ in seen] == ["d0", "d1"]
    assert os.readlink(links[1]) == str(tmp_path / "lv1")
    assert links[0] == os.path.join(pathutils.DISK_LINKS_DIR,
                                    "inst1.example.com:0")
    assert all(dev.opened for dev in found.values())
    bi.GetInstanceMigratable(inst)
    bi.InstanceShutdown(inst, 5, None)
    assert not any(os.path.lexists(link) for link in links)
    monkeypatch.setattr(bi, "_FindDevice", lambda disk: None)
    with pytest.raises(backend.RPCFail, match="Block device error: Block"
                       " device 'disk/0' is not set up"):
        bi.StartInstance(inst, False, None)


def test_migration_between_two_nodes(node, monkeypatch, tmp_path):
    target = hv_fake.FakeHypervisor(run_dir=str(tmp_path / "node2"))
    inst = _idict()
    bi.StartInstance(inst, False, None)
    bi.GetInstanceMigratable(inst)
    info = bi.MigrationInfo(inst)
    monkeypatch.setattr(hypervisor, "GetHypervisor", lambda name: target)
    bi.AcceptInstance(inst, info, "192.168.1.2")
    monkeypatch.setattr(hypervisor, "GetHypervisor", lambda name: node)
    bi.MigrateInstance("cluster", inst, "192.168.1.2", True)
    assert bi.GetMigrationStatus(inst) == {"status": "completed"}
    monkeypatch.setattr(hypervisor, "GetHypervisor", lambda name: target)
    bi.FinalizeMigrationDst(inst, info, True)
    monkeypatch.setattr(hypervisor, "GetHypervisor", lambda name: node)
    bi.FinalizeMigrationSource(inst, True, True)
    assert node.ListInstances() == [] and \
        target.ListInstances() == [inst["name"]]
    with pytest.raises(backend.RPCFail, match="Instance inst1.example.com is"
                       " not running"):
        bi.GetInstanceMigratable(inst)
    with pytest.raises(backend.RPCFail, match="Failed to migrate instance"):
        bi.MigrateInstance("cluster", inst, "192.168.1.2", True)


def test_console_validate_and_hotplug(node):
    inst = _idict()
    answer = bi.GetInstanceConsoleInfo({inst["name"]: {
        "instance": inst, "node": {"name": "node1", "uuid": "node-uuid"},
        "group": {"name": "default", "uuid": "g"},
        "hvParams": {}, "beParams": {}}})
    assert answer[inst["name"]]["kind"] == "msg"
    bi.ValidateHVParams("fake", {"migration_mode": "live"})
    with pytest.raises(backend.RPCFail, match="kernel_path"):
        bi.ValidateHVParams("kvm", dict(defaults.HVC_DEFAULTS["kvm"],
                                        kernel_path="/nonexistent/kernel"))
    with pytest.raises(backend.RPCFail, match="^Hotplug is not supported:"
                       " Hotplug is not supported by this hypervisor$"):
        bi.HotplugSupported(inst)
    with pytest.raises(backend.RPCFail, match="^Hotplug failed: "):
        bi.HotplugDevice(inst, "hotadd", "nic", inst["nics"][0], None, 0)
    with pytest.raises(backend.RPCFail, match="not supported"):
        bi.HotplugDevice(inst, "hotadd", "cdrom", {}, None, 0)


def test_all_instances_info_refuses_conflicting_duplicates(node, monkeypatch):
    class _Two(hv_fake.FakeHypervisor):
        def GetAllInstancesInfo(self, hvparams=None):
            return [("a", -1, 128, 1, 0, 0), ("a", -1, 256, 1, 0, 0)]
    monkeypatch.setattr(hypervisor, "GetHypervisor", lambda name: _Two())
    with pytest.raises(backend.RPCFail, match="running twice"):
        bi.GetAllInstancesInfo(["fake"], {})


def test_noded_serves_the_instance_calls(node):
    for name in bi.RPC_CALLS:
        assert noded.RPC_CALLS[name] is bi.RPC_CALLS[name]
    handler = noded.NodeRequestHandler()
    inst = _idict()

    def post(call, *args):
        status, _, body = handler("POST", "/" + call, {},
                                  serializer.DumpJson(list(args)).encode())
        assert status == 200
        return serializer.LoadJson(body)

    assert post("instance_start", inst, False, None) == [True, None]
    assert post("instance_list", ["fake"], {"fake": {}}) == \
        [True, [inst["name"]]]
    assert post("instance_reboot", inst, "gentle", 10, None) == \
        [False, "Invalid reboot_type received: 'gentle'"]
    assert post("instance_shutdown", inst, 5, None) == [True, None]


def test_instance_metadata_modify(ganeti_root):
    """Without a metadata daemon the call succeeds; with one, the instance
    goes to it as a LUXI UpdateConfig request (and its error is ours)."""
    import socket
    import threading
    from ganeti import luxi
    inst = _idict(osparams_private={"secret": "x"})
    assert bi.ModifyInstanceMetadata(inst) is None
    with pytest.raises(backend.RPCFail, match="Invalid instance data"):
        bi.ModifyInstanceMetadata(["not", "a", "dict"])
    os.makedirs(pathutils.SOCKET_DIR, exist_ok=True)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(bi._MetadSocket())
    server.listen(1)
    seen = []

    def serve(answers):
        for success, result in answers:
            conn, _ = server.accept()
            with conn:
                data = b""
                while not data.endswith(luxi.LUXI_EOM):
                    data += conn.recv(65536)
                seen.append(luxi.ParseRequest(data[:-1]))
                conn.sendall(luxi.FormatResponse(success, result) +
                             luxi.LUXI_EOM)

    thread = threading.Thread(target=serve, args=(
        [(True, None), (False, "bad config")],), daemon=True)
    thread.start()
    assert bi.ModifyInstanceMetadata(inst) is None
    with pytest.raises(backend.RPCFail,
                       match="^Failed to modify instance metadata: "):
        bi.ModifyInstanceMetadata(inst)
    thread.join(10)
    server.close()
    method, args, _ = seen[0]
    assert method == "UpdateConfig" and args == [inst]
