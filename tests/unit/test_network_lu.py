"""Network logical units against a fake cluster (real config, real RPC
encodings, simulated nodes): add, connect, instances taking addresses
from the pool and giving them back, modify, disconnect, remove, rename,
tags, queries and bad input."""

import os
import subprocess
import sys

import pytest

from ganeti import constants as C
from ganeti import errors
from ganeti import locking
from ganeti import opcodes
from ganeti.cmdlib import query as cmdlib_query

from instance_fakes import MASTER, Context, FakeNodes, MakeConfig

NET = "lan"
SUBNET = "10.99.0.0/28"        # holds the fake nodes' addresses .1-.3
INST = "inst1.example.com"
SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "scripts", "gnt-network")


@pytest.fixture
def ctx(tmp_path):
    cfg = MakeConfig(str(tmp_path / "config.data"))
    return Context(cfg, FakeNodes())


def _add(ctx, name=NET, **kwargs):
    params = dict(network_name=name, network=SUBNET, gateway="10.99.0.14")
    params.update(kwargs)
    return ctx.Run(opcodes.OpNetworkAdd(**params))


def _connect(ctx, name=NET, **kwargs):
    params = dict(network_name=name, group_name="default",
                  network_mode="bridged", network_link="br-lan",
                  network_vlan="")
    params.update(kwargs)
    return ctx.Run(opcodes.OpNetworkConnect(**params))


def _create(ctx, name=INST, nics=None, **kwargs):
    params = dict(instance_name=name, mode=C.INSTANCE_CREATE,
                  disk_template="diskless", disks=[],
                  nics=nics if nics is not None else
                  [{"network": NET, "ip": "pool"}],
                  os_type="debootstrap+default", pnode=MASTER,
                  name_check=False, ip_check=False,
                  beparams={"memory": 128})
    params.update(kwargs)
    return ctx.Run(opcodes.OpInstanceCreate(**params))


def _net(ctx, name=NET):
    return ctx.cfg.GetNetwork(ctx.cfg.LookupNetwork(name))


def _prereq(fn, *args, **kwargs):
    with pytest.raises(errors.OpPrereqError) as err:
        fn(*args, **kwargs)
    return err.value.args


def _row(ctx, fields, name=NET):
    [row] = cmdlib_query.RunOldStyleQuery(ctx, "network", [name], fields)
    return dict(zip(fields, row))


def test_add_reserves_cluster_addresses_and_gateway(ctx):
    _add(ctx, add_reserved_ips=["10.99.0.9"], tags=["prod"],
         mac_prefix="AA:BB:CC")
    net = _net(ctx)
    # network, nodes .1-.3, reserved .9, gateway .14, broadcast
    assert net.ext_reservations == "1111000001000011"
    assert net.reservations == "0" * 16
    assert net.mac_prefix == "aa:bb:cc" and net.tags == ["prod"]
    assert " - INFO: Reserved IP address of node '%s' (10.99.0.1)" % MASTER \
        in ctx.feedback
    assert ctx.glm.get_lockset(locking.LEVEL_NETWORK)._names() == {net.uuid}
    assert _prereq(_add, ctx) == (
        "Desired network name '%s' already exists as a network (UUID: %s)"
        % (NET, net.uuid), errors.ECODE_EXISTS)


def test_add_without_conflicts_check_and_bad_networks(ctx):
    _add(ctx, conflicts_check=False)
    assert _net(ctx).ext_reservations == "1" + "0" * 13 + "11"
    with pytest.raises(errors.OpExecError) as err:
        _add(ctx, name="big", network="10.0.0.0/8", gateway=None)
    assert str(err.value) == (
        "Cannot create IP address pool for network 'big': A big network"
        " with 16777216 host(s) is currently not supported. please specify"
        " at most a /16 network")
    with pytest.raises(errors.OpExecError) as err:
        _add(ctx, name="out", network="10.98.0.0/24", gateway=None,
             add_reserved_ips=["10.97.0.1"])
    assert str(err.value) == ("Cannot reserve IP address '10.97.0.1':"
                              " 10.98.0.0/24 does not contain 10.97.0.1")
    assert sorted(n.name for n in ctx.cfg.GetAllNetworksInfo().values()) \
        == [NET]


def test_instances_take_addresses_from_the_pool_and_give_them_back(ctx):
    _add(ctx)
    assert _prereq(_create, ctx) == (
        "No netparams found for network %s. Probably not connected to"
        " node's %s nodegroup" % (NET, MASTER), errors.ECODE_INVAL)
    _connect(ctx)
    _create(ctx)
    inst = ctx.cfg.GetInstanceInfoByName(INST)
    nic = inst.nics[0]
    assert nic.ip == "10.99.0.4" and nic.network == _net(ctx).uuid
    assert nic.nicparams == {"mode": "bridged", "link": "br-lan", "vlan": ""}
    assert " - INFO: Chose IP 10.99.0.4 from network %s" % NET in ctx.feedback
    _create(ctx, name="inst2.example.com")
    assert ctx.cfg.GetInstanceInfoByName("inst2.example.com").nics[0].ip == \
        "10.99.0.5"
    assert _net(ctx).reservations == "0000110000000000"
    row = _row(ctx, ["free_count", "reserved_count", "inst_list", "map",
                     "group_list", "external_reservations"])
    assert row == {"free_count": 8, "reserved_count": 8,
                   "inst_list": ["inst1.example.com", "inst2.example.com"],
                   "map": "XXXXXX........XX",
                   "group_list": [["default", "bridged", "br-lan", ""]],
                   "external_reservations": "10.99.0.0, 10.99.0.1,"
                   " 10.99.0.2, 10.99.0.3, 10.99.0.14, 10.99.0.15"}
    ctx.Run(opcodes.OpInstanceRemove(instance_name=INST))
    assert _net(ctx).reservations == "0000010000000000"
    # the released address is the first one handed out again
    _create(ctx, name="inst3.example.com")
    assert ctx.cfg.GetInstanceInfoByName("inst3.example.com").nics[0].ip == \
        "10.99.0.4"


def test_given_addresses_and_conflicts(ctx):
    _add(ctx)
    _connect(ctx)
    _create(ctx, nics=[{"network": NET, "ip": "10.99.0.7"}])
    assert _net(ctx).reservations[7] == "1"
    for ip in ("10.99.0.7", "10.98.0.1", "10.99.0.14"):
        assert _prereq(_create, ctx, name="x.example.com",
                       nics=[{"network": NET, "ip": ip}]) == (
            "IP address %s already in use or does not belong to network %s"
            % (ip, NET), errors.ECODE_NOTUNIQUE)
    # without the conflicts check an externally reserved address is taken
    _create(ctx, name="gw.example.com", conflicts_check=False,
            nics=[{"network": NET, "ip": "10.99.0.14"}])
    assert _net(ctx).reservations[14] == "1"
    # a NIC on no network may not take a connected network's address
    assert _prereq(_create, ctx, name="y.example.com",
                   nics=[{"ip": "10.99.0.8"}]) == (
        "The requested IP address (10.99.0.8) belongs to network %s, but the"
        " target NIC does not." % NET, errors.ECODE_STATE)
    assert _prereq(_create, ctx, name="z.example.com",
                   nics=[{"network": NET, "ip": "pool",
                          "mode": "routed"}]) == (
        "If network is given, no mode or link is allowed to be passed",
        errors.ECODE_INVAL)
    assert ctx.cfg.GetInstanceInfoByName("y.example.com") is None


def test_pool_exhaustion_and_dropped_reservations(ctx):
    _add(ctx, network="10.98.0.0/30", gateway=None)
    _connect(ctx)
    _create(ctx)
    _create(ctx, name="inst2.example.com")
    assert _prereq(_create, ctx, name="inst3.example.com") == (
        "Unable to get a free IP for NIC 0 from the address pool",
        errors.ECODE_STATE)
    # a dry run reserves nothing for good
    ctx.Run(opcodes.OpInstanceRemove(instance_name=INST))
    _create(ctx, name="dry.example.com", dry_run=True)
    _create(ctx, name="inst4.example.com")
    assert ctx.cfg.GetInstanceInfoByName("inst4.example.com").nics[0].ip == \
        "10.98.0.1"


def test_modify_nics_reserve_and_release(ctx):
    _add(ctx)
    _connect(ctx)
    _create(ctx, nics=[{}])
    ctx.Run(opcodes.OpInstanceSetParams(
        instance_name=INST, nics=[["add", -1, {"network": NET,
                                               "ip": "pool"}]]))
    nics = ctx.cfg.GetInstanceInfoByName(INST).nics
    assert nics[1].ip == "10.99.0.4"
    assert _net(ctx).reservations[4] == "1"
    ctx.Run(opcodes.OpInstanceSetParams(
        instance_name=INST, nics=[["modify", 1, {"ip": "10.99.0.9"}]]))
    assert ctx.cfg.GetInstanceInfoByName(INST).nics[1].ip == "10.99.0.9"
    assert _net(ctx).reservations == "0000000001000000"
    ctx.Run(opcodes.OpInstanceShutdown(instance_name=INST))
    ctx.Run(opcodes.OpInstanceSetParams(instance_name=INST,
                                        nics=[["remove", 1, {}]]))
    assert _net(ctx).reservations == "0" * 16


def test_modify_network(ctx):
    _add(ctx)
    net = _net(ctx)
    ctx.Run(opcodes.OpNetworkSetParams(network_name=NET,
                                       add_reserved_ips=["10.99.0.5",
                                                         "10.99.0.6"]))
    assert net.ext_reservations[5:7] == "11"
    ctx.Run(opcodes.OpNetworkSetParams(network_name=NET,
                                       remove_reserved_ips=["10.99.0.5",
                                                            "10.99.0.14"]))
    assert net.ext_reservations[5:7] == "01" and net.ext_reservations[14] \
        == "1"
    assert " - WARNING: Cannot unreserve Gateway's IP" in ctx.feedback
    ctx.Run(opcodes.OpNetworkSetParams(network_name=NET,
                                       gateway="10.99.0.13",
                                       mac_prefix="aa:00:11",
                                       network6="2001:db8::/64"))
    assert (net.gateway, net.mac_prefix, net.network6) == \
        ("10.99.0.13", "aa:00:11", "2001:db8::/64")
    assert net.ext_reservations[13:15] == "10"
    assert _prereq(ctx.Run, opcodes.OpNetworkSetParams(
        network_name=NET, gateway="10.99.0.13",
        add_reserved_ips=["10.99.0.7"])) == (
        "Cannot modify gateway and reserved ips at once", errors.ECODE_INVAL)
    assert _prereq(ctx.Run, opcodes.OpNetworkSetParams(
        network_name="nosuch", gateway="10.99.0.13")) == (
        "Network 'nosuch' not found", errors.ECODE_NOENT)


def test_connect_twice_disconnect_and_remove(ctx):
    _add(ctx)
    _connect(ctx)
    group = ctx.cfg.GetNodeGroup("group-uuid")
    serial = group.serial_no
    _connect(ctx, network_link="other")
    assert " - WARNING: Network '%s' is already mapped to group 'default'" \
        % NET in ctx.feedback
    assert group.networks[_net(ctx).uuid]["link"] == "br-lan"
    assert group.serial_no == serial
    assert _prereq(ctx.Run, opcodes.OpNetworkRemove(network_name=NET)) == (
        "Network still connected", errors.ECODE_STATE)
    _create(ctx)
    assert _prereq(ctx.Run, opcodes.OpNetworkDisconnect(
        network_name=NET, group_name="default")) == (
        "Conflicting IP addresses found;  remove/modify the corresponding"
        " network interfaces", errors.ECODE_STATE)
    assert (" - WARNING: IP addresses from network '%s', which is about to"
            " disconnect from node group 'default', are in use: %s:"
            " nic0/10.99.0.4" % (NET, INST)) in ctx.feedback
    ctx.Run(opcodes.OpInstanceRemove(instance_name=INST))
    ctx.Run(opcodes.OpNetworkDisconnect(network_name=NET,
                                        group_name="default"))
    assert group.networks == {}
    ctx.Run(opcodes.OpNetworkRemove(network_name=NET))
    assert ctx.cfg.GetAllNetworksInfo() == {}


def test_connect_conflicts_with_existing_nics(ctx):
    _add(ctx)
    _create(ctx, nics=[{"ip": "10.99.0.8"}])
    assert _prereq(_connect, ctx) == (
        "Conflicting IP addresses found;  remove/modify the corresponding"
        " network interfaces", errors.ECODE_STATE)
    _connect(ctx, conflicts_check=False)
    assert _net(ctx).uuid in ctx.cfg.GetNodeGroup("group-uuid").networks


def test_rename_tags_and_list_fields(ctx):
    _add(ctx)
    assert ctx.Run(opcodes.OpNetworkRename(network_name=NET,
                                           new_name="wan")) == "wan"
    _add(ctx)
    assert _prereq(ctx.Run, opcodes.OpNetworkRename(
        network_name="wan", new_name=NET))[0].startswith(
        "Desired new name '%s' clashes with existing network" % NET)
    ctx.Run(opcodes.OpTagsSet(kind="network", name="wan", tags=["a", "b"]))
    ctx.Run(opcodes.OpTagsDel(kind="network", name="wan", tags=["a"]))
    assert ctx.Run(opcodes.OpTagsGet(kind="network", name="wan")) == ["b"]
    row = _row(ctx, ["name", "network", "gateway", "network6", "tags",
                     "group_cnt", "inst_cnt", "serial_no"], name="wan")
    assert row == {"name": "wan", "network": SUBNET, "gateway": "10.99.0.14",
                   "network6": None, "tags": ["b"], "group_cnt": 0,
                   "inst_cnt": 0, "serial_no": 4}


def test_modify_moves_a_nic_onto_and_off_a_network(ctx):
    _add(ctx)
    _connect(ctx)
    _create(ctx, nics=[{"ip": "10.97.0.50"}])
    ctx.Run(opcodes.OpInstanceSetParams(
        instance_name=INST, nics=[["modify", 0, {"network": NET,
                                                 "ip": "pool"}]]))
    nic = ctx.cfg.GetInstanceInfoByName(INST).nics[0]
    assert (nic.network, nic.ip) == (_net(ctx).uuid, "10.99.0.4")
    assert nic.nicparams == {"mode": "bridged", "link": "br-lan", "vlan": ""}
    assert _net(ctx).reservations[4] == "1"
    ctx.Run(opcodes.OpInstanceSetParams(
        instance_name=INST, nics=[["modify", 0, {"network": "none",
                                                 "ip": "none"}]]))
    nic = ctx.cfg.GetInstanceInfoByName(INST).nics[0]
    assert (nic.network, nic.ip) == (None, None)
    assert _net(ctx).reservations == "0" * 16


def test_hooks_environment(ctx):
    _add(ctx, tags=["a"])
    env = [args for _node, args in ctx.fake.Calls("hooks_runner")
           if args[0] == "network-add"][0][2]
    assert {k: v for k, v in env.items() if "NETWORK" in k} == {
        "GANETI_NETWORK_NAME": NET, "GANETI_NETWORK_SUBNET": SUBNET,
        "GANETI_NETWORK_GATEWAY": "10.99.0.14", "GANETI_NETWORK_TAGS": "a"}
    _connect(ctx, network_vlan="100")
    env = [args for _node, args in ctx.fake.Calls("hooks_runner")
           if args[0] == "network-connect"][0][2]
    assert (env["GANETI_GROUP_NAME"], env["GANETI_GROUP_NETWORK_MODE"],
            env["GANETI_GROUP_NETWORK_LINK"],
            env["GANETI_GROUP_NETWORK_VLAN"]) == ("default", "bridged",
                                                  "br-lan", "100")


def test_concurrent_jobs_get_different_addresses(ctx):
    _add(ctx, mac_prefix="aa:bb:cc")
    uuid = _net(ctx).uuid
    first = ctx.cfg.GenerateIp(uuid, 101)
    second = ctx.cfg.GenerateIp(uuid, 102)
    assert (first, second) == ("10.99.0.4", "10.99.0.5")
    with pytest.raises(errors.ReservationError):
        ctx.cfg.ReserveIp(uuid, "10.99.0.5", 103)
    ctx.cfg.DropECReservations(102)
    ctx.cfg.ReserveIp(uuid, "10.99.0.5", 103)
    # nothing of it is in the configuration until an instance commits it
    assert _net(ctx).reservations == "0" * 16
    _connect(ctx)
    _create(ctx)
    nic = ctx.cfg.GetInstanceInfoByName(INST).nics[0]
    assert nic.ip == "10.99.0.6" and nic.mac.startswith("aa:bb:cc:")


@pytest.mark.parametrize("args, message", [
    (["add", NET], "Failure: prerequisites not met for this operation:\n"
     "error type: wrong_input, error details:\n"
     "The --network option must be given\n"),
    (["modify", NET], "Please give at least one of the parameters.\n"),
])
def test_client_refuses_before_submitting(args, message):
    res = subprocess.run([sys.executable, SCRIPT] + args,
                         capture_output=True, text=True, timeout=60)
    assert (res.returncode, res.stderr, res.stdout) == (1, message, "")


def test_instance_hooks_carry_the_nic_network(ctx):
    _add(ctx, tags=["t"])
    _connect(ctx)
    _create(ctx)
    env = [args for _node, args in ctx.fake.Calls("hooks_runner")
           if args[0] == "instance-add"][0][2]
    assert {k: v for k, v in env.items() if "NIC0_" in k} == {
        "GANETI_INSTANCE_NIC0_NAME": "",
        "GANETI_INSTANCE_NIC0_UUID": env["GANETI_INSTANCE_NIC0_UUID"],
        "GANETI_INSTANCE_NIC0_IP": "10.99.0.4",
        "GANETI_INSTANCE_NIC0_MAC": env["GANETI_INSTANCE_NIC0_MAC"],
        "GANETI_INSTANCE_NIC0_MODE": "bridged",
        "GANETI_INSTANCE_NIC0_LINK": "br-lan",
        "GANETI_INSTANCE_NIC0_VLAN": "",
        "GANETI_INSTANCE_NIC0_BRIDGE": "br-lan",
        "GANETI_INSTANCE_NIC0_NETWORK_NAME": NET,
        "GANETI_INSTANCE_NIC0_NETWORK_UUID": _net(ctx).uuid,
        "GANETI_INSTANCE_NIC0_NETWORK_TAGS": "t",
        "GANETI_INSTANCE_NIC0_NETWORK_SUBNET": SUBNET,
        "GANETI_INSTANCE_NIC0_NETWORK_GATEWAY": "10.99.0.14"}
