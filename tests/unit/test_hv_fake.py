"""Tests for the hypervisor registry, the base class and the fake hypervisor."""

import os

import pytest

from ganeti import constants
from ganeti import defaults
from ganeti import errors
from ganeti import hypervisor
from ganeti import objects
from ganeti import pathutils
from ganeti.hypervisor import hv_base
from ganeti.hypervisor import hv_fake


def _instance(name="inst1.example.com", maxmem=256, minmem=128, vcpus=2):
    bep = dict(defaults.BEC_DEFAULTS, maxmem=maxmem, minmem=minmem,
               vcpus=vcpus)
    return objects.Instance(name=name, hypervisor="fake", os="debian",
                            hvparams=dict(defaults.HVC_DEFAULTS["fake"]),
                            beparams=bep, nics=[], uuid="uuid-1", tags=[])


@pytest.fixture
def fake(ganeti_root, monkeypatch):
    monkeypatch.setattr(hv_base, "LinuxNodeInfo", lambda: {
        "memory_total": 4096, "memory_free": 3000, "memory_dom0": 500,
        "cpu_total": 4, "cpu_nodes": 1, "cpu_sockets": 1, "cpu_dom0": 4})
    return hv_fake.FakeHypervisor()


# ---------------------------------------------------------------- registry

def test_registry_knows_every_hypervisor_and_their_defaults():
    for name in constants.HYPER_TYPES:
        cls = hypervisor.GetHypervisorClass(name)
        assert set(cls.PARAMETERS) == set(defaults.HVC_DEFAULTS[name]), name
        cls.CheckParameterSyntax(dict(defaults.HVC_DEFAULTS[name]))
    assert hypervisor.GetHypervisor("fake") is hypervisor.GetHypervisor("fake")
    with pytest.raises(errors.HypervisorError, match="Unknown hypervisor"):
        hypervisor.GetHypervisorClass("vmware")


def test_unavailable_hypervisors_refuse_to_run():
    hv = hypervisor.GetHypervisor("xen-pvm")
    assert hv.ListInstances() == []
    assert "not supported" in hv.Verify()
    with pytest.raises(errors.HypervisorError, match="not supported"):
        hv.StartInstance(_instance(), [], False)


def test_parameter_types_feed_type_conversion_and_queries():
    kvm = hypervisor.ParameterTypes("kvm")
    assert kvm["migration_port"] == hv_base.VTYPE_INT
    assert kvm["acpi"] == hv_base.VTYPE_BOOL
    assert kvm["root_path"] == hv_base.VTYPE_MAYBE_STRING
    assert kvm["kernel_path"] == hv_base.VTYPE_STRING
    everything = hypervisor.AllParameterTypes()
    assert everything["num_ttys"] == hv_base.VTYPE_INT       # lxc
    assert everything["use_bootloader"] == hv_base.VTYPE_BOOL  # xen


# ---------------------------------------------------------------- base checks

def test_check_parameter_syntax_messages():
    cls = hypervisor.GetHypervisorClass("fake")
    cls.CheckParameterSyntax({"migration_mode": "non-live"})
    with pytest.raises(errors.HypervisorError,
                       match="Parameter 'bogus' is not supported"):
        cls.CheckParameterSyntax({"migration_mode": "live", "bogus": 1})
    with pytest.raises(errors.HypervisorError,
                       match="Parameter 'migration_mode' is missing"):
        cls.CheckParameterSyntax({})
    with pytest.raises(errors.HypervisorError,
                       match="'migration_mode' fails syntax check: must be"
                       " one of live, non-live .current value: 'fast'"):
        cls.CheckParameterSyntax({"migration_mode": "fast"})


def test_cpu_masks():
    assert hv_base.ParseCpuMask("all") == [hv_base.CPU_ALL]
    assert hv_base.ParseCpuMask("0-2,5") == [0, 1, 2, 5]
    assert hv_base.ParseMultiCpuMask("0-1:3") == [[0, 1], [3]]
    for bad in ("", "1-", "3-1", "a", "1,,2"):
        assert not hv_base.IsCpuMask(bad), bad


def test_nic_environment_has_kvm_ifup_variables():
    inst = _instance()
    inst.tags = ["web", "prod"]
    nic = objects.NIC(mac="aa:00:00:11:22:33", ip="10.0.0.5", name="eth0",
                      uuid="nic-uuid", network="net-uuid",
                      netinfo={"name": "lan", "uuid": "net-uuid",
                               "network": "10.0.0.0/24",
                               "gateway": "10.0.0.1", "tags": []},
                      nicparams={"mode": "bridged", "link": "br0",
                                 "vlan": ".10"})
    env = hv_base.NicEnvironment(inst, 1, nic, "tap3")
    assert env["INTERFACE"] == "tap3" and env["INTERFACE_INDEX"] == "1"
    assert env["MODE"] == "bridged" and env["LINK"] == "br0"
    assert env["BRIDGE"] == "br0" and env["VLAN"] == ".10"
    assert env["IP"] == "10.0.0.5" and env["MAC"] == "aa:00:00:11:22:33"
    assert env["INSTANCE"] == inst.name and env["TAGS"] == "web prod"
    assert env["INTERFACE_NAME"] == "eth0"
    assert env["NETWORK_SUBNET"] == "10.0.0.0/24"
    assert env["NETWORK_GATEWAY"] == "10.0.0.1"
    routed = objects.NIC(mac="m", uuid="u", nicparams={"mode": "routed",
                                                       "link": "100"})
    env = hv_base.NicEnvironment(inst, 0, routed, "tap0")
    assert "BRIDGE" not in env and "IP" not in env and env["LINK"] == "100"


def test_instance_names_are_checked_before_use_in_paths():
    for bad in ("../x", "a/b", "", ".", "a b"):
        with pytest.raises(errors.HypervisorError):
            hv_base.CheckInstanceName(bad)


# ---------------------------------------------------------------- fake

def test_fake_lifecycle(fake):
    inst = _instance()
    assert fake.ListInstances() == []
    assert fake.GetInstanceInfo(inst.name) is None
    fake.StartInstance(inst, [], False)
    state = os.path.join(pathutils.FAKE_RUN_DIR, inst.name)
    assert os.path.isfile(state)
    assert fake.ListInstances() == [inst.name]
    assert fake.GetInstanceInfo(inst.name) == (
        inst.name, -1, 256, 2, hv_base.HvInstanceState.RUNNING, 0)
    assert fake.GetAllInstancesInfo() == [fake.GetInstanceInfo(inst.name)]
    with pytest.raises(errors.HypervisorError, match="already running"):
        fake.StartInstance(inst, [], False)
    fake.RebootInstance(inst)
    fake.BalloonInstanceMemory(inst, 200)
    assert fake.GetInstanceInfo(inst.name)[2] == 200
    fake.StopInstance(inst)
    assert not os.path.exists(state)
    assert fake.ListInstances() == []
    with pytest.raises(errors.HypervisorError, match="not running"):
        fake.RebootInstance(inst)


def test_fake_startup_memory_between_minmem_and_maxmem(fake, monkeypatch):
    monkeypatch.setattr(hv_base, "LinuxNodeInfo", lambda: {
        "memory_total": 1024, "memory_free": 200, "memory_dom0": 0,
        "cpu_total": 1, "cpu_nodes": 1, "cpu_sockets": 1, "cpu_dom0": 1})
    inst = _instance(maxmem=512, minmem=128)
    fake.StartInstance(inst, [], False)
    assert fake.GetInstanceInfo(inst.name)[2] == 200
    other = _instance(name="inst2", maxmem=512, minmem=300)
    fake.StartInstance(other, [], False)   # never below minmem
    assert fake.GetInstanceInfo("inst2")[2] == 300


def test_fake_node_info_subtracts_running_instances(fake):
    before = fake.GetNodeInfo()["memory_free"]
    fake.StartInstance(_instance(maxmem=1000, minmem=1000), [], False)
    assert fake.GetNodeInfo()["memory_free"] == before - 1000


def test_fake_migration_moves_the_state_file(ganeti_root, fake, tmp_path):
    target = hv_fake.FakeHypervisor(run_dir=str(tmp_path / "node2"))
    inst = _instance()
    fake.StartInstance(inst, [], False)
    fake.BalloonInstanceMemory(inst, 192)
    info = fake.MigrationInfo(inst)
    target.AcceptInstance(inst, info, "192.168.1.2")
    fake.MigrateInstance("cluster", inst, "192.168.1.2", True)
    assert fake.GetMigrationStatus(inst)["status"] == "completed"
    target.FinalizeMigrationDst(inst, info, True)
    fake.FinalizeMigrationSource(inst, True, True)
    assert fake.ListInstances() == []
    assert target.ListInstances() == [inst.name]
    assert target.GetInstanceInfo(inst.name)[2:4] == (192, 2)
    with pytest.raises(errors.HypervisorError, match="already running"):
        target.AcceptInstance(inst, info, "192.168.1.2")


def test_fake_failed_migration_keeps_the_source(fake, tmp_path):
    target = hv_fake.FakeHypervisor(run_dir=str(tmp_path / "node2"))
    inst = _instance()
    fake.StartInstance(inst, [], False)
    info = fake.MigrationInfo(inst)
    target.AcceptInstance(inst, info, "192.168.1.2")
    target.FinalizeMigrationDst(inst, info, False)
    fake.FinalizeMigrationSource(inst, False, True)
    assert fake.ListInstances() == [inst.name]
    assert target.ListInstances() == []


def test_fake_console_is_a_message():
    console = hv_fake.FakeHypervisor.GetInstanceConsole(
        _instance(), objects.Node(name="node1"), None, {}, {})
    # upstream 3.0: "Console not available for fake hypervisor"
    assert console == {"instance": "inst1.example.com", "kind": "msg",
                       "message": "Console not available for fake"
                       " hypervisor"}


def test_fake_verify_and_hotplug(fake):
    assert fake.Verify() is None
    # upstream 3.0's fake hypervisor has no hot-plugging
    with pytest.raises(errors.HotplugError,
                       match="^Hotplug is not supported by this hypervisor$"):
        fake.HotplugSupported(_instance())
    with pytest.raises(errors.HotplugError):
        fake.HotAddDevice(_instance(), "nic", None, None, 0)


def test_fake_run_files_are_upstreams_three_lines(fake):
    inst = _instance()
    fake.StartInstance(inst, [], False)
    with open(os.path.join(pathutils.FAKE_RUN_DIR, inst.name)) as handle:
        assert handle.read() == "0\n256\n2\n"
    assert fake.MigrationInfo(inst) == "0\n256\n2\n"


def test_fake_reads_an_upstream_run_file(fake):
    # A run file written by upstream 3.0.2's node daemon (16 MiB, 1 vCPU).
    import shutil
    import testdata
    os.makedirs(pathutils.FAKE_RUN_DIR, exist_ok=True)
    shutil.copy(os.path.join(testdata.DATA, "upstream-state",
                             "fake-hypervisor", "inst1.ganeti.test"),
                pathutils.FAKE_RUN_DIR)
    info = fake.GetInstanceInfo("inst1.ganeti.test")
    assert info[2:4] == (16, 1)
    assert fake.ListInstances() == ["inst1.ganeti.test"]


def test_fake_still_reads_two_line_run_files_and_refuses_garbage():
    assert hv_fake.ParseState("128\n2\n") == (128, 2)
    assert hv_fake.ParseState("0\n128\n2\n") == (128, 2)
    for bad in ("", "1\n2\n3\n4\n", "x\ny\n"):
        with pytest.raises(ValueError):
            hv_fake.ParseState(bad)
