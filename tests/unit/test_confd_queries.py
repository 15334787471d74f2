"""confd answers of every request type, from a real 3.0 config.data."""

import copy
import json
import os

import pytest

from ganeti import constants as C
from ganeti.confd import queries
import testdata

N1 = "9a12d554-75c0-4cb1-8064-103365145db0"   # node1, master, drbd primary
N2 = "2ae3d962-2dad-44f2-bdb1-85f77107f907"   # node2
N3 = "41f9c238-173c-4120-9e41-04ad379b647a"   # node3, drbd secondary
DRBD_DISK = "77ced3a5-6756-49ae-8d1f-274e27664c05"
OK, ERR = C.CONFD_REPL_STATUS_OK, C.CONFD_REPL_STATUS_ERROR


@pytest.fixture(scope="module")
def raw():
    path = os.path.join(testdata.DATA, "confd", "cluster_config_3.0.json")
    with open(path) as handle:
        data = json.load(handle)
    # give the instances' NICs addresses (the sample has none)
    for name, ip, link in (("instance1", "10.0.0.11", None),
                           ("instance2", "10.0.0.12", None),
                           ("instance3", "10.0.0.9", "br-other")):
        inst = [i for i in data["instances"].values()
                if i["name"].startswith(name + ".")][0]
        inst["nics"][0]["ip"] = ip
        if link:
            inst["nics"][0]["nicparams"] = {"link": link}
    return data


@pytest.fixture(scope="module")
def snap(raw):
    return queries.ConfigSnapshot(raw)


def ask(snap, rtype, query=None):
    reply = queries.BuildReply(snap, {"protocol": 1, "type": rtype,
                                      "rsalt": "r", "query": query})
    assert reply["protocol"] == 1 and reply["serial"] == 7627
    return reply["status"], reply["answer"]


def test_ping_answers_the_config_version(snap):
    assert ask(snap, C.CONFD_REQ_PING) == (OK, 3000000)


def test_node_role(snap, raw):
    assert ask(snap, C.CONFD_REQ_NODE_ROLE_BYNAME, "node1.example.com") == \
        (OK, C.CONFD_NODE_ROLE_MASTER)
    assert ask(snap, C.CONFD_REQ_NODE_ROLE_BYNAME, "node2") == \
        (OK, C.CONFD_NODE_ROLE_CANDIDATE)
    assert ask(snap, C.CONFD_REQ_NODE_ROLE_BYNAME, "nodeX.example.com") == \
        (ERR, C.CONFD_ERROR_UNKNOWN_ENTRY)
    assert ask(snap, C.CONFD_REQ_NODE_ROLE_BYNAME, {"0": 1}) == \
        (ERR, C.CONFD_ERROR_ARGUMENT)
    data = copy.deepcopy(raw)
    data["nodes"][N2].update(master_candidate=False, offline=True)
    data["nodes"][N3].update(master_candidate=False, drained=True)
    other = queries.ConfigSnapshot(data)
    assert ask(other, C.CONFD_REQ_NODE_ROLE_BYNAME, "node2.example.com") == \
        (OK, C.CONFD_NODE_ROLE_OFFLINE)
    assert ask(other, C.CONFD_REQ_NODE_ROLE_BYNAME, "node3.example.com") == \
        (OK, C.CONFD_NODE_ROLE_DRAINED)
    data["nodes"][N3]["drained"] = False
    assert ask(queries.ConfigSnapshot(data), C.CONFD_REQ_NODE_ROLE_BYNAME,
               N3) == (OK, C.CONFD_NODE_ROLE_REGULAR)


def test_node_pip_by_instance_ip(snap):
    q = C.CONFD_REQ_NODE_PIP_BY_INSTANCE_IP
    assert ask(snap, q, {"1": "10.0.0.11"}) == (OK, "192.0.2.82")
    assert ask(snap, q, {"0": "br974", "1": "10.0.0.12"}) == \
        (OK, "192.0.2.84")
    assert ask(snap, q, {"1": "10.0.0.9"}) == \
        (ERR, C.CONFD_ERROR_UNKNOWN_ENTRY)
    assert ask(snap, q, {"0": "br-other", "1": "10.0.0.9"}) == \
        (OK, "192.0.2.83")
    assert ask(snap, q, {"2": ["10.0.0.12", "10.9.9.9", "10.0.0.11"]}) == \
        (OK, [[OK, "192.0.2.84"], [ERR, C.CONFD_ERROR_UNKNOWN_ENTRY],
              [OK, "192.0.2.82"]])
    assert ask(snap, q, "10.0.0.11") == (ERR, C.CONFD_ERROR_ARGUMENT)


def test_cluster_master(snap):
    q = C.CONFD_REQ_CLUSTER_MASTER
    assert ask(snap, q) == (OK, "node1.example.com")
    assert ask(snap, q, "") == (OK, "node1.example.com")
    assert ask(snap, q, {"3": ["0", "1", "2"]}) == \
        (OK, ["node1.example.com", "192.0.2.87", "192.0.2.82"])
    assert ask(snap, q, {"3": ["2"]}) == (OK, ["192.0.2.82"])
    assert ask(snap, q, {"3": ["9"]}) == (ERR, C.CONFD_ERROR_ARGUMENT)
    assert ask(snap, q, "node1") == (ERR, C.CONFD_ERROR_ARGUMENT)


def test_pip_lists_in_uuid_order(snap, raw):
    assert ask(snap, C.CONFD_REQ_NODE_PIP_LIST) == \
        (OK, ["192.0.2.83", "192.0.2.84", "192.0.2.82"])
    assert ask(snap, C.CONFD_REQ_MC_PIP_LIST) == \
        (OK, ["192.0.2.83", "192.0.2.84", "192.0.2.82"])
    data = copy.deepcopy(raw)
    data["nodes"][N3]["master_candidate"] = False
    assert ask(queries.ConfigSnapshot(data), C.CONFD_REQ_MC_PIP_LIST) == \
        (OK, ["192.0.2.83", "192.0.2.82"])


def test_instances_ips_list(snap):
    q = C.CONFD_REQ_INSTANCES_IPS_LIST
    assert ask(snap, q) == (OK, ["10.0.0.11", "10.0.0.12"])
    assert ask(snap, q, "br-other") == (OK, ["10.0.0.9"])
    assert ask(snap, q, "br-none") == (OK, [])
    assert ask(snap, q, {"0": "x"}) == (ERR, C.CONFD_ERROR_ARGUMENT)


def test_node_drbd(snap):
    q = C.CONFD_REQ_NODE_DRBD
    assert ask(snap, q, "node1.example.com") == \
        (OK, [[N1, 0, "instance1.example.com", "disk/0", "primary", N3]])
    assert ask(snap, q, "node3.example.com") == \
        (OK, [[N3, 0, "instance1.example.com", "disk/0", "secondary", N1]])
    assert ask(snap, q, "node2.example.com") == (OK, [])
    assert ask(snap, q, "nope") == (ERR, C.CONFD_ERROR_UNKNOWN_ENTRY)


def test_node_instances(snap):
    q = C.CONFD_REQ_NODE_INSTANCES
    assert ask(snap, q, "node1.example.com") == \
        (OK, [["instance1.example.com"], []])
    assert ask(snap, q, "node3.example.com") == \
        (OK, [["instance2.example.com"], ["instance1.example.com"]])
    assert ask(snap, q, "nope") == (ERR, C.CONFD_ERROR_UNKNOWN_ENTRY)


def test_instance_disks(snap, raw):
    status, disks = ask(snap, C.CONFD_REQ_INSTANCE_DISKS,
                        "instance1.example.com")
    assert status == OK and disks == [raw["disks"][DRBD_DISK]]
    assert disks[0]["dev_type"] == "drbd"
    assert ask(snap, C.CONFD_REQ_INSTANCE_DISKS, "instance9") == \
        (ERR, C.CONFD_ERROR_UNKNOWN_ENTRY)


def test_config_query(snap):
    q = C.CONFD_REQ_CONFIG_QUERY
    assert ask(snap, q, "/cluster/enabled_hypervisors") == (OK, ["xen-pvm"])
    assert ask(snap, q, "/cluster/cluster_name") == \
        (OK, "cluster.name.example.com")
    assert ask(snap, q, "/nodes/%s/primary_ip" % N2) == (OK, "192.0.2.83")
    assert ask(snap, q, "/cluster/no_such_key") == \
        (ERR, C.CONFD_ERROR_ARGUMENT)
    assert ask(snap, q, 5) == (ERR, C.CONFD_ERROR_ARGUMENT)


def test_data_collectors(snap, raw):
    status, answer = ask(snap, C.CONFD_REQ_DATA_COLLECTORS)
    assert status == OK
    assert answer == raw["cluster"]["data_collectors"]
    assert answer["drbd"]["active"] is True


def test_every_request_type_has_a_handler():
    assert set(queries.HANDLERS) == C.CONFD_REQS


def test_no_configuration_is_an_internal_error():
    reply = queries.BuildReply(None, {"protocol": 1, "type": 0, "rsalt": "r"})
    assert reply == {"protocol": 1, "status": ERR,
                     "answer": C.CONFD_ERROR_INTERNAL, "serial": 0}
