"""Upstream 3.0.2's master's node-RPC bodies sent to our running noded.

On a one-node cluster with two running fake instances, the recorded
request bodies of upstream's master (tests/data/rpc-3.0, with the recording
cluster's node and cluster names replaced by this lab's) go over HTTPS to
node1's ganeti-noded with the node's client certificate, the way upstream's
Python master (application/json, trailing newline) and Haskell daemons
(x-www-form-urlencoded, {} for no arguments, a dict body) send them.  The
answers must be what upstream's master parses: node_verify with every
recorded key (file checksums, the running instances), all_instances_info
with our instances, and the calls upstream's noded served that ours lacked.
"""

import json
import os
import sys

import pytest

from ganeti.tools import vcluster_layout

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
DATA = os.path.join(REPO, "tests", "data", "rpc-3.0")
OS_NOOP = os.path.join(REPO, "examples", "os", "noop")
NODE = "node1." + vcluster_layout.DOMAIN
INSTANCES = ["rb1." + vcluster_layout.DOMAIN, "rb2." + vcluster_layout.DOMAIN]

_CLIENT = r"""
import http.client, json, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.load_verify_locations("/var/lib/ganeti/server.pem")
ctx.load_cert_chain("/var/lib/ganeti/client.pem")
out = {}
for call, ctype, body in json.load(sys.stdin):
    conn = http.client.HTTPSConnection(%r, 1811, context=ctx, timeout=60)
    conn.request("POST", "/" + call, body=body.encode(),
                 headers={"Content-Type": ctype})
    resp = conn.getresponse()
    out[call] = [resp.status, json.loads(resp.read())]
    conn.close()
print(json.dumps(out))
""" % NODE


def _Recorded(call, idx=0):
    with open(os.path.join(DATA, call + ".json")) as handle:
        return json.load(handle)[idx]


def _Here(value):
    """A recorded body with the recording's names replaced by the lab's."""
    text = json.dumps(value)
    text = text.replace("anchor-node1.ganeti.test", NODE)
    text = text.replace("anchor-cluster.ganeti.test",
                        vcluster_layout.CLUSTER_NAME)
    return json.loads(text)


def _InstallNoop(cluster):
    res = cluster.sh("mkdir -p /srv/ganeti/os && cp -r %s /srv/ganeti/os/"
                     % OS_NOOP)
    assert res.returncode == 0, res.stderr


@pytest.fixture(scope="module")
def cluster(make_cluster):
    cluster = make_cluster(1, prepare=_InstallNoop)
    for name in INSTANCES:
        cluster.ok("instance", "add", "-n", NODE, "-t", "diskless", "-o",
                   "noop", "--no-ip-check", "--no-name-check", "-B",
                   "memory=64M", name)
    return cluster


def _Send(cluster, requests):
    res = cluster.vc.exec("node1", sys.executable, "-c", _CLIENT,
                          input=json.dumps(requests), timeout=180)
    assert res.returncode == 0, res.stdout + res.stderr
    return json.loads(res.stdout)


def test_upstream_bodies_answered(cluster):
    verify = _Recorded("node_verify")
    checks = _Here(verify["request"])
    ainfo = _Recorded("all_instances_info")
    console = _Recorded("instance_console_info")
    metadata = _Recorded("instance_metadata_modify")
    python = "application/json"
    haskell = "application/x-www-form-urlencoded"
    answers = _Send(cluster, [
        ["node_verify", python, json.dumps(checks) + "\n"],
        ["all_instances_info", haskell,
         json.dumps(ainfo["request"], separators=(",", ":"))],
        ["export_list", haskell, "{}"],
        ["instance_metadata_modify", python,
         json.dumps(metadata["request"]) + "\n"],
        ["instance_console_info", haskell, json.dumps(_Here(
            console["request"]), separators=(",", ":"))],
    ])
    for call, (status, _) in answers.items():
        assert status == 200, call
    ok, result = answers["node_verify"][1]
    assert ok, result
    # every key upstream's noded answered (the path checks answer only
    # when a path is unusable, like upstream's)
    assert set(result) == set(verify["response"][1]), set(result) ^ \
        set(verify["response"][1])
    assert set(INSTANCES) <= set(result["instancelist"])
    assert result["version"] == verify["response"][1]["version"]
    assert set(result["filelist"]) >= {"/var/lib/ganeti/config.data",
                                       "/var/lib/ganeti/server.pem"}
    assert isinstance(result["master-ip"], bool)
    assert [len(v) for v in (result["time"], result["client-cert"])] == [2, 2]
    ok, running = answers["all_instances_info"][1]
    assert ok, running
    for name in INSTANCES:
        assert set(running[name]) == {"memory", "vcpus", "state", "time"}
    assert answers["export_list"][1] in ([True, []],
                                         [False, "No exports directory"])
    assert answers["instance_metadata_modify"][1] == [True, None]
    ok, consoles = answers["instance_console_info"][1]
    assert ok and set(consoles) == set(console["request"]), consoles
