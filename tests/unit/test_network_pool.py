"""The address pool of a network (ganeti.network) and the network part of
config.data: upstream's bit strings, reservations, limits, and a real
upstream 3.0 config.data with a network read and written back unchanged."""

import json
import os

import pytest

from ganeti import errors
from ganeti import network
from ganeti import objects
from ganeti import serializer
from ganeti.config import ParseConfigText

from testdata import DATA

SAMPLE = os.path.join(DATA, "confd", "cluster_config_3.0.json")


def _Net(subnet="10.1.0.0/28", gateway=None, **kwargs):
    return objects.Network(name="lan", network=subnet, gateway=gateway,
                           uuid="net-uuid", **kwargs)


def test_initialize_reserves_network_broadcast_and_gateway():
    net = _Net(gateway="10.1.0.1")
    pool = network.AddressPool.InitializeNetwork(net)
    assert net.reservations == "0" * 16
    assert net.ext_reservations == "11" + "0" * 13 + "1"
    assert pool.GetMap() == "XX" + "." * 13 + "X"
    assert (pool.GetFreeCount(), pool.GetReservedCount()) == (13, 3)
    assert pool.GetExternalReservations() == ["10.1.0.0", "10.1.0.1",
                                              "10.1.0.15"]


def test_free_addresses_are_handed_out_lowest_first_until_full():
    net = _Net(subnet="10.1.0.0/30")
    pool = network.AddressPool.InitializeNetwork(net)
    assert pool.GetFreeAddress() == "10.1.0.1"
    assert pool.GetFreeAddress() == "10.1.0.2"
    assert net.reservations == "0110"
    assert pool.IsFull()
    with pytest.raises(errors.AddressPoolError) as err:
        pool.GetFreeAddress()
    assert str(err.value) == "10.1.0.0/30 is full"


def test_reserve_and_release_messages():
    pool = network.AddressPool.InitializeNetwork(_Net())
    pool.Reserve("10.1.0.5")
    with pytest.raises(errors.AddressPoolError) as err:
        pool.Reserve("10.1.0.5")
    assert str(err.value) == "IP 10.1.0.5 is already used by an instance"
    with pytest.raises(errors.AddressPoolError) as err:
        pool.Reserve("10.1.0.0", external=True)
    assert str(err.value) == "IP 10.1.0.0 is already externally reserved"
    with pytest.raises(errors.AddressPoolError) as err:
        pool.Release("10.1.0.6")
    assert str(err.value) == "IP 10.1.0.6 is not used by an instance"
    with pytest.raises(errors.AddressPoolError) as err:
        pool.Release("10.1.0.6", external=True)
    assert str(err.value) == "IP 10.1.0.6 is not externally reserved"
    with pytest.raises(errors.AddressPoolError) as err:
        pool.IsReserved("10.2.0.1")
    assert str(err.value) == "10.1.0.0/28 does not contain 10.2.0.1"
    pool.Release("10.1.0.5")
    assert pool.net.reservations == "0" * 16


def test_reserved_addresses_are_never_handed_out():
    net = _Net(subnet="10.1.0.0/29")
    pool = network.AddressPool.InitializeNetwork(net)
    for ip in ("10.1.0.1", "10.1.0.2", "10.1.0.4"):
        pool.Reserve(ip, external=True)
    got = [pool.GetFreeAddress() for _ in range(pool.GetFreeCount())]
    assert got == ["10.1.0.3", "10.1.0.5", "10.1.0.6"]


@pytest.mark.parametrize("subnet, message", [
    ("10.0.0.0/8", "A big network with 16777216 host(s) is currently not"
     " supported. please specify at most a /16 network"),
    ("10.0.0.0/31", "A network with only 2 host(s) is too small, please"
     " specify at least a /30 network"),
])
def test_size_limits(subnet, message):
    with pytest.raises(errors.AddressPoolError) as err:
        network.AddressPool.InitializeNetwork(_Net(subnet=subnet))
    assert str(err.value) == message


def test_contains_and_mac_prefix():
    assert network.AddressPool.Contains("10.1.0.3", "10.1.0.0/24")
    assert not network.AddressPool.Contains("10.2.0.3", "10.1.0.0/24")
    assert not network.AddressPool.Contains(None, "10.1.0.0/24")
    assert not network.AddressPool.Contains("garbage", "10.1.0.0/24")
    assert network.NormalizeMacPrefix("AA:BB:0c") == "aa:bb:0c"
    with pytest.raises(errors.OpPrereqError) as err:
        network.NormalizeMacPrefix("aa:bb")
    assert err.value.args == ("Invalid MAC address prefix 'aa:bb'",
                              errors.ECODE_INVAL)


def test_upstream_config_with_a_network_round_trips():
    with open(SAMPLE) as handle:
        text = handle.read()
    raw = json.loads(text)
    data = ParseConfigText(text, SAMPLE)
    [(uuid, net)] = data.networks.items()
    assert net.name == "a network" and net.network == "203.0.113.0/24"
    pool = network.AddressPool(net)
    assert pool.GetExternalReservations() == ["203.0.113.0", "203.0.113.255"]
    assert pool.GetFreeCount() == 254
    written = json.loads(serializer.DumpJson(data.ToDict()))
    assert written["networks"] == raw["networks"]
    # what upstream leaves out (no gateway, mac prefix or tags) stays out
    assert set(written["networks"][uuid]) == set(raw["networks"][uuid])
