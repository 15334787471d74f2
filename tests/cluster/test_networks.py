"""gnt-network on the testbed (2 nodes, fake hypervisor): a network on the
lab's subnet (the nodes' and the master's addresses reserved), connected
to the default group; instances get addresses from its pool, give them
back when removed or when a NIC goes; reserved addresses are never handed
out; list, list-fields and info layouts; tags; bad input (an address
outside the network or in use, removing a connected network, connecting
twice) with upstream's messages and exit codes; the life cycle of a network
through RAPI /2/networks.

VCLUSTER_LAB / VCLUSTER_STATE are honoured.
"""

import ipaddress

import pytest

from test_rapi_daemon import _wait_rapi, _write_users, ok, wait_job

DOMAIN = "example.test"
N1, N2 = ("node%d.%s" % (i, DOMAIN) for i in (1, 2))
NET = "lan"
SUBNET = ipaddress.IPv4Network("10.250.0.0/24")   # the lab's (vcluster_layout)
GATEWAY = "10.250.0.1"
RESERVED = ["10.250.0.20", "10.250.0.21"]
LINK = "xen-br0"                                  # every lab node has it


def inst(n):
    return "inst%d.%s" % (n, DOMAIN)


class _Checks:
    def add_instance(self, name, node=N1, net="network=%s,ip=pool" % NET,
                     *args):
        return self.gnt("instance", "add", "-t", "diskless", "-o", "noop",
                        "-n", node, "--no-name-check", "--no-ip-check",
                        "--net", "0:" + net, *(args + (name,)), timeout=300)

    def network(self):
        [net] = [n for n in self.config()["networks"].values()
                 if n["name"] == NET]
        return net

    def nic_ips(self, name):
        insts = self.config()["instances"].values()
        [found] = [i for i in insts if i["name"] == name]
        return [nic.get("ip") for nic in found["nics"]]


@pytest.fixture(scope="module")
def cluster(make_cluster, node_add_available):
    if not node_add_available:
        pytest.skip("needs gnt-node add (2 nodes)")
    cl = make_cluster(2, prepare=lambda c: c.install_os(), helpers=_Checks)
    return cl


def _Expected(cluster):
    """The addresses the pool hands out, lowest first: all but the network,
    broadcast, gateway, node, master and reserved addresses."""
    config = cluster.config()
    taken = {GATEWAY, config["cluster"]["master_ip"]} | set(RESERVED)
    for node in config["nodes"].values():
        taken |= {node["primary_ip"], node["secondary_ip"]}
    return [str(a) for a in SUBNET.hosts() if str(a) not in taken]


def test_add_connect_and_list(cluster):
    res = cluster.ok("network", "add", "--network=%s" % SUBNET,
                     "--gateway=%s" % GATEWAY,
                     "--add-reserved-ips=%s" % ",".join(RESERVED),
                     "--tags=web", NET)
    messages = cluster.messages(res.stdout)
    config = cluster.config()
    for node in sorted(config["nodes"].values(), key=lambda n: n["name"]):
        assert " - INFO: Reserved IP address of node '%s' (%s)" % (
            node["name"], node["primary_ip"]) in messages
    assert " - INFO: Reserved cluster master IP address (%s)" % (
        config["cluster"]["master_ip"]) in messages
    net = cluster.network()
    assert net["reservations"] == "0" * 256
    ext = [str(SUBNET[i]) for i, bit in enumerate(net["ext_reservations"])
           if bit == "1"]
    assert set(ext) == set(map(str, SUBNET)) - set(_Expected(cluster))
    assert net["tags"] == ["web"] and net["gateway"] == GATEWAY
    # already there: upstream's error, exit 1, nothing changed
    cluster.fails("network", "add", "--network=10.251.0.0/24", NET,
                  text="Desired network name '%s' already exists as a"
                  " network (UUID: %s)" % (NET, net["uuid"]))
    cluster.fails("network", "add", "--network=10.0.0.0/8", "big",
                  text="Cannot create IP address pool for network 'big': A"
                  " big network with 16777216 host(s) is currently not"
                  " supported. please specify at most a /16 network")
    cluster.ok("network", "connect", "-N", "mode=bridged,link=" + LINK, NET)
    res = cluster.ok("network", "connect", "-N", "mode=routed,link=x", NET,
                     "default")
    assert " - WARNING: Network '%s' is already mapped to group 'default'" \
        % NET in cluster.messages(res.stdout)
    groups = cluster.config()["nodegroups"].values()
    assert [g["networks"] for g in groups] == [
        {net["uuid"]: {"mode": "bridged", "link": LINK, "vlan": ""}}]
    res = cluster.ok("network", "list")
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["Network", "Subnet", "Gateway", "MacPrefix",
                                "GroupList", "Tags"]
    assert lines[1].split() == [NET, str(SUBNET), GATEWAY, "-", "default",
                                "(bridged,", LINK + ",", ")", "web"]
    res = cluster.ok("network", "list-fields", "--no-headers",
                     "--separator=|")
    assert len(res.stdout.splitlines()) == 19
    assert "free_count|Number|FreeCount|Number of available addresses" in \
        res.stdout.splitlines()


def test_instances_take_addresses_from_the_pool(cluster):
    expected = _Expected(cluster)
    res = cluster.add_instance(inst(1))
    assert res.returncode == 0, res.stdout + res.stderr
    assert " - INFO: Chose IP %s from network %s" % (expected[0], NET) in \
        cluster.messages(res.stdout)
    assert cluster.nic_ips(inst(1)) == [expected[0]]
    res = cluster.add_instance(inst(2), N2)
    assert res.returncode == 0, res.stdout + res.stderr
    assert cluster.nic_ips(inst(2)) == [expected[1]]
    net = cluster.network()
    used = [str(SUBNET[i]) for i, bit in enumerate(net["reservations"])
            if bit == "1"]
    assert used == expected[:2]
    res = cluster.ok("instance", "list", "--no-headers", "--separator=|",
                     "-o", "name,nic.ips,nic.networks,nic.links")
    assert res.stdout.splitlines() == [
        "%s|%s|%s|%s" % (inst(1), expected[0], net["uuid"], LINK),
        "%s|%s|%s|%s" % (inst(2), expected[1], net["uuid"], LINK)]


def test_bad_addresses(cluster):
    before = cluster.network()
    for ip in (RESERVED[0], "10.251.0.5", cluster.nic_ips(inst(1))[0]):
        res = cluster.add_instance(inst(9), N1,
                                   "network=%s,ip=%s" % (NET, ip))
        assert res.returncode == 1, res.stdout + res.stderr
        assert ("Failure: prerequisites not met for this operation:\n"
                "error type: resource_not_unique, error details:\n"
                "IP address %s already in use or does not belong to network"
                " %s" % (ip, NET)) in res.stderr
    res = cluster.add_instance(inst(9), N1, "ip=%s" % _Expected(cluster)[5])
    assert res.returncode == 1
    assert "The requested IP address (%s) belongs to network %s, but the" \
        " target NIC does not." % (_Expected(cluster)[5], NET) in res.stderr
    res = cluster.add_instance(inst(9), N1,
                               "network=%s,ip=pool,link=br9" % NET)
    assert res.returncode == 1
    assert "If network is given, no mode or link is allowed to be passed" \
        in res.stderr
    res = cluster.fails("network", "remove", NET,
                        text="Network still connected")
    assert "Network '%s' is connected to the following node groups:" \
        " default" % NET in res.stdout
    # nothing half-done: no instance, the same reservations
    after = cluster.network()
    assert inst(9) not in cluster.ok("instance", "list", "--no-headers",
                                     "-o", "name").stdout.split()
    assert (after["reservations"], after["ext_reservations"]) == \
        (before["reservations"], before["ext_reservations"])


def test_info_layout(cluster):
    expected = _Expected(cluster)
    net = cluster.network()
    res = cluster.ok("network", "info", NET)
    lines = res.stdout.splitlines()
    free = len(expected) - 2
    assert lines[:10] == [
        "Network name: %s" % NET, "UUID: %s" % net["uuid"],
        "Serial number: %d" % net["serial_no"],
        "  Subnet: %s" % SUBNET, "  Gateway: %s" % GATEWAY,
        "  IPv6 Subnet: None", "  IPv6 Gateway: None", "  Mac Prefix: None",
        "  Size: 256", "  Free: %d (%.2f%%)" % (free, 100.0 * free / 256)]
    assert lines[10] == "  Usage map:"
    used = {str(SUBNET[i]) for i in range(256)} - set(expected[2:])
    mapping = "".join("X" if str(SUBNET[i]) in used else "."
                      for i in range(256))
    assert lines[11:15] == ["     %3d %s %d" % (i, mapping[i:i + 64], i + 63)
                            for i in range(0, 256, 64)]
    assert lines[15] == "         (X) used    (.) free"
    assert lines[16] == "  externally reserved IPs:"
    rest = lines[lines.index("  connected to node groups:"):]
    assert rest == [
        "  connected to node groups:",
        "    default (mode:bridged link:%s vlan:)" % LINK,
        "  used by 2 instances:",
        "    %s: 0:%s" % (inst(1), expected[0]),
        "    %s: 0:%s" % (inst(2), expected[1])]
    info = cluster.ok("instance", "info", inst(1)).stdout.splitlines()
    assert "network: %s" % NET in [l.strip() for l in info]
    assert "IP: %s" % expected[0] in [l.strip() for l in info]
    # instances on networks verify cleanly
    res = cluster.gnt("cluster", "verify", "--ignore-errors=ENODESETUP",
                      timeout=400)
    assert res.returncode == 0, res.stdout + res.stderr


def test_nic_changes_and_removal_give_addresses_back(cluster):
    expected = _Expected(cluster)
    cluster.ok("instance", "shutdown", inst(2))
    cluster.ok("instance", "modify", "--net", "add:network=%s,ip=pool" % NET,
               inst(2))
    assert cluster.nic_ips(inst(2)) == [expected[1], expected[2]]
    cluster.ok("instance", "modify", "--net", "1:remove", inst(2))
    cluster.ok("instance", "remove", "-f", inst(1), timeout=300)
    used = [str(SUBNET[i]) for i, bit in
            enumerate(cluster.network()["reservations"]) if bit == "1"]
    assert used == [expected[1]]
    # the freed address is the first one handed out again
    res = cluster.add_instance(inst(3), N1)
    assert res.returncode == 0, res.stdout + res.stderr
    assert cluster.nic_ips(inst(3)) == [expected[0]]


def test_modify_tags_disconnect_and_remove(cluster):
    cluster.ok("network", "modify", "--remove-reserved-ips=" + RESERVED[1],
               NET)
    cluster.ok("network", "modify", "--add-reserved-ips=10.250.0.30",
               "--mac-prefix=aa:bb:cc", NET)
    net = cluster.network()
    assert net["ext_reservations"][21] == "0"
    assert net["ext_reservations"][30] == "1"
    assert net["mac_prefix"] == "aa:bb:cc"
    res = cluster.gnt("network", "modify", NET)
    assert res.returncode == 1
    assert res.stderr == "Please give at least one of the parameters.\n"
    cluster.ok("network", "add-tags", NET, "db", "zz")
    cluster.ok("network", "remove-tags", NET, "zz")
    assert cluster.ok("network", "list-tags", NET).stdout.split() == \
        ["db", "web"]
    res = cluster.fails("network", "disconnect", NET, "default",
                        text="Conflicting IP addresses found;  remove/modify"
                        " the corresponding network interfaces")
    for name in (inst(2), inst(3)):
        cluster.ok("instance", "remove", "-f", name, timeout=300)
    assert cluster.network()["reservations"] == "0" * 256
    cluster.ok("network", "disconnect", NET)
    assert [g["networks"] for g in
            cluster.config()["nodegroups"].values()] == [{}]
    cluster.ok("network", "rename", NET, "wan")
    cluster.ok("network", "remove", "wan")
    assert cluster.config()["networks"] == {}
    assert cluster.ok("network", "list", "--no-headers").stdout == ""
    cluster.fails("network", "info", "wan", text="Network name wan not found")


def test_rapi_network_life_cycle(cluster):
    _write_users(cluster, "admin secret write\n")
    _wait_rapi(cluster, N1)

    def job(path, method="PUT", body=None):
        answer = wait_job(cluster, ok(cluster, path, method=method,
                                      user="admin:secret", body=body))
        assert answer["status"] == "success", answer
        return answer

    job("/2/networks", "POST", {"network_name": "rnet",
                                "network": "10.96.0.0/28",
                                "gateway": "10.96.0.1",
                                "add_reserved_ips": ["10.96.0.2"],
                                "tags": ["r"]})
    assert ok(cluster, "/2/networks") == [{"name": "rnet",
                                           "uri": "/2/networks/rnet"}]
    job("/2/networks/rnet/connect", body={"group_name": "default",
                                          "network_mode": "bridged",
                                          "network_link": LINK,
                                          "network_vlan": "7"})
    job("/2/networks/rnet/modify", body={"add_reserved_ips": ["10.96.0.9"],
                                         "mac_prefix": "aa:cc:00"})
    job("/2/networks/rnet/tags?tag=s")
    net = ok(cluster, "/2/networks/rnet")
    assert (net["map"], net["free_count"], net["reserved_count"],
            net["external_reservations"], net["group_list"], net["tags"],
            net["mac_prefix"], net["gateway"]) == (
        "XXX......X.....X", 11, 5,
        "10.96.0.0, 10.96.0.1, 10.96.0.2, 10.96.0.9, 10.96.0.15",
        [["default", "bridged", LINK, "7"]], ["r", "s"], "aa:cc:00",
        "10.96.0.1")
    assert sorted(ok(cluster, "/2/networks/rnet/tags")) == ["r", "s"]
    [bulk] = ok(cluster, "/2/networks?bulk=1")
    assert bulk == net
    job("/2/networks/rnet/disconnect", body={"group_name": "default"})
    job("/2/networks/rnet/rename", body={"new_name": "rnet2"})
    job("/2/networks/rnet2", "DELETE")
    assert ok(cluster, "/2/networks") == []
    assert cluster.config()["networks"] == {}
