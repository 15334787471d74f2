"""Every path+method of upstream's RAPI (the resource index of
tests/data/spec/rapi.md, 84 of them) is served by ganeti-rapi on a 3-node
fake-hypervisor cluster with two instances and a network: no 404/501, and
an answer of the documented shape.  Job-based methods answer a job id
whose job holds the documented opcode; they name objects that do not
exist (or use dry-run), so the jobs change nothing.

VCLUSTER_LAB / VCLUSTER_STATE are honoured.
"""

import json
import os
import re

import pytest

from ganeti import opcodes

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SPEC = os.path.join(REPO, "tests", "data", "spec", "rapi.md")
DOMAIN = "example.test"
N1, N2, N3 = ("node%d.%s" % (i, DOMAIN) for i in (1, 2, 3))
INST1, INST2 = ("inst%d.%s" % (i, DOMAIN) for i in (1, 2))
GHOST = "ghost." + DOMAIN           # an instance or node that does not exist
USERS = "/var/lib/ganeti/rapi/users"
ADMIN = ("admin", "secret")


def SpecPairs():
    """{(path template, method): opcode column} of the spec's index."""
    with open(SPEC) as handle:
        text = handle.read()
    index = text.split("## Resource index", 1)[1]
    index = index.split("## Resource details", 1)[0]
    return {(path, method): opcode.strip() for path, method, opcode in
            re.findall(r"^\| `([^`]+)` \| (\w+) \| [^|]+ \|([^|]*)\| `\w+` \|$",
                       index, re.M)}


def _ExpectedOpId(column):
    """The OP_ID of the first opcode of a job-based method, else None."""
    if "waited for" in column or "OpQuery" in column:
        return None
    match = re.match(r"`?(Op\w+)", column)
    return getattr(opcodes, match.group(1)).OP_ID if match else None


def _CreateBody(name):
    return {"__version__": 1, "mode": "create", "name": name,
            "disk_template": "diskless", "disks": [], "nics": [{}],
            "os": "noop", "pnode": N2, "name_check": False,
            "ip_check": False}


_FILTER = {"priority": 0, "predicates": [], "action": "CONTINUE",
           "reason": []}
_WAIT = {"fields": ["status"], "previous_job_info": None,
         "previous_log_serial": None}

# (path template, method) -> (concrete path, body or None, answer check);
# check "job" means a job id whose first opcode is the spec's; FILTERS the
# job filter methods (see _CheckFilter; {filter} is the rule the POST
# made).  NET is the network the fixture makes (ghostnet does not exist).
_IS_LIST = list
_IS_DICT = dict
FILTERS = "filters"
NET = "lan"
# A master without job filters refuses them so (its rules cannot exist).
NO_FILTERS = "Job filters are not supported yet"
REQUESTS = {
    ("/", "GET"): ("/", None, None),
    ("/2", "GET"): ("/2", None, None),
    ("/version", "GET"): ("/version", None, 2),
    ("/2/nodes", "GET"): ("/2/nodes", None, _IS_LIST),
    ("/2/nodes/{name}", "GET"): ("/2/nodes/" + N2, None, _IS_DICT),
    ("/2/nodes/{name}/powercycle", "POST"):
        ("/2/nodes/%s/powercycle" % GHOST, None, "job"),
    ("/2/nodes/{name}/tags", "GET"): ("/2/nodes/%s/tags" % N2, None, _IS_LIST),
    ("/2/nodes/{name}/tags", "PUT"):
        ("/2/nodes/%s/tags?tag=cov" % GHOST, None, "job"),
    ("/2/nodes/{name}/tags", "DELETE"):
        ("/2/nodes/%s/tags?tag=cov" % GHOST, None, "job"),
    ("/2/nodes/{name}/role", "GET"):
        ("/2/nodes/%s/role" % N2, None, "master-candidate"),
    ("/2/nodes/{name}/role", "PUT"):
        ("/2/nodes/%s/role" % GHOST, "regular", "job"),
    ("/2/nodes/{name}/evacuate", "POST"):
        ("/2/nodes/%s/evacuate" % GHOST, {"mode": "all"}, "job"),
    ("/2/nodes/{name}/migrate", "POST"):
        ("/2/nodes/%s/migrate" % GHOST, {}, "job"),
    ("/2/nodes/{name}/modify", "POST"):
        ("/2/nodes/%s/modify" % GHOST, {"drained": False}, "job"),
    ("/2/nodes/{name}/storage", "GET"):
        ("/2/nodes/%s/storage?storage_type=file&output_fields=name" % N2,
         None, "job"),
    ("/2/nodes/{name}/storage/modify", "PUT"):
        ("/2/nodes/%s/storage/modify?storage_type=lvm-vg&name=xenvg"
         "&allocatable=1" % GHOST, None, "job"),
    ("/2/nodes/{name}/storage/repair", "PUT"):
        ("/2/nodes/%s/storage/repair?storage_type=lvm-vg&name=xenvg" % GHOST,
         None, "job"),
    ("/2/instances", "GET"): ("/2/instances", None, _IS_LIST),
    ("/2/instances", "POST"):
        ("/2/instances?dry-run=1", _CreateBody("cov." + DOMAIN), "job"),
    ("/2/instances/{name}", "GET"): ("/2/instances/" + INST1, None, _IS_DICT),
    ("/2/instances/{name}", "DELETE"): ("/2/instances/" + GHOST, None, "job"),
    ("/2/instances/{name}/info", "GET"):
        ("/2/instances/%s/info" % INST1, None, "job"),
    ("/2/instances/{name}/tags", "GET"):
        ("/2/instances/%s/tags" % INST1, None, _IS_LIST),
    ("/2/instances/{name}/tags", "PUT"):
        ("/2/instances/%s/tags?tag=cov" % GHOST, None, "job"),
    ("/2/instances/{name}/tags", "DELETE"):
        ("/2/instances/%s/tags?tag=cov" % GHOST, None, "job"),
    ("/2/instances/{name}/reboot", "POST"):
        ("/2/instances/%s/reboot" % GHOST, None, "job"),
    ("/2/instances/{name}/reinstall", "POST"):
        ("/2/instances/%s/reinstall" % GHOST, {"os": "noop"}, "job"),
    ("/2/instances/{name}/replace-disks", "POST"):
        ("/2/instances/%s/replace-disks" % GHOST, {"mode": "replace_auto"},
         "job"),
    ("/2/instances/{name}/shutdown", "PUT"):
        ("/2/instances/%s/shutdown" % GHOST, None, "job"),
    ("/2/instances/{name}/startup", "PUT"):
        ("/2/instances/%s/startup" % GHOST, None, "job"),
    ("/2/instances/{name}/activate-disks", "PUT"):
        ("/2/instances/%s/activate-disks" % GHOST, None, "job"),
    ("/2/instances/{name}/deactivate-disks", "PUT"):
        ("/2/instances/%s/deactivate-disks" % GHOST, None, "job"),
    ("/2/instances/{name}/recreate-disks", "POST"):
        ("/2/instances/%s/recreate-disks" % GHOST, {}, "job"),
    ("/2/instances/{name}/prepare-export", "PUT"):
        ("/2/instances/%s/prepare-export?mode=local" % GHOST, None, "job"),
    ("/2/instances/{name}/export", "PUT"):
        ("/2/instances/%s/export" % GHOST,
         {"mode": "local", "destination": N2}, "job"),
    ("/2/instances/{name}/export", "DELETE"):
        ("/2/instances/%s/export" % GHOST, None, "job"),
    ("/2/instances/{name}/migrate", "PUT"):
        ("/2/instances/%s/migrate" % GHOST, {}, "job"),
    ("/2/instances/{name}/failover", "PUT"):
        ("/2/instances/%s/failover" % GHOST, {}, "job"),
    ("/2/instances/{name}/rename", "PUT"):
        ("/2/instances/%s/rename" % GHOST, {"new_name": "ghost2." + DOMAIN},
         "job"),
    ("/2/instances/{name}/modify", "PUT"):
        ("/2/instances/%s/modify" % GHOST, {"custom_beparams": {"vcpus": 1}},
         "job"),
    ("/2/instances/{name}/disk/{disk_index}/grow", "POST"):
        ("/2/instances/%s/disk/0/grow" % GHOST, {"amount": 1}, "job"),
    ("/2/instances/{name}/console", "GET"):
        ("/2/instances/%s/console" % INST1, None, _IS_DICT),
    ("/2/networks", "GET"): ("/2/networks", None, _IS_LIST),
    ("/2/networks", "POST"):
        ("/2/networks?dry-run=1", {"network_name": "covnet",
                                   "network": "10.98.0.0/24"}, "job"),
    ("/2/networks/{name}", "GET"): ("/2/networks/" + NET, None, _IS_DICT),
    ("/2/networks/{name}", "DELETE"): ("/2/networks/ghostnet", None, "job"),
    ("/2/networks/{name}/connect", "PUT"):
        ("/2/networks/ghostnet/connect",
         {"group_name": "default", "network_mode": "bridged",
          "network_link": "br0"}, "job"),
    ("/2/networks/{name}/disconnect", "PUT"):
        ("/2/networks/ghostnet/disconnect", {"group_name": "default"}, "job"),
    ("/2/networks/{name}/rename", "PUT"):
        ("/2/networks/ghostnet/rename", {"new_name": "ghostnet2"}, "job"),
    ("/2/networks/{name}/modify", "PUT"):
        ("/2/networks/ghostnet/modify", {"gateway": "10.97.0.1"}, "job"),
    ("/2/networks/{name}/tags", "GET"): ("/2/networks/%s/tags" % NET, None,
                                         ["cov"]),
    ("/2/networks/{name}/tags", "PUT"):
        ("/2/networks/ghostnet/tags?tag=cov", None, "job"),
    ("/2/networks/{name}/tags", "DELETE"):
        ("/2/networks/ghostnet/tags?tag=cov", None, "job"),
    ("/2/groups", "GET"): ("/2/groups", None, _IS_LIST),
    ("/2/groups", "POST"): ("/2/groups?dry-run=1", {"name": "covgroup"},
                            "job"),
    ("/2/groups/{name}", "GET"): ("/2/groups/default", None, _IS_DICT),
    ("/2/groups/{name}", "DELETE"): ("/2/groups/ghostgroup", None, "job"),
    ("/2/groups/{name}/modify", "PUT"):
        ("/2/groups/ghostgroup/modify", {"alloc_policy": "preferred"},
         "job"),
    ("/2/groups/{name}/rename", "PUT"):
        ("/2/groups/ghostgroup/rename", {"new_name": "ghostgroup2"}, "job"),
    ("/2/groups/{name}/assign-nodes", "PUT"):
        ("/2/groups/ghostgroup/assign-nodes?dry-run=1", {"nodes": [N3]},
         "job"),
    ("/2/groups/{name}/tags", "GET"): ("/2/groups/default/tags", None,
                                       _IS_LIST),
    ("/2/groups/{name}/tags", "PUT"):
        ("/2/groups/ghostgroup/tags?tag=cov", None, "job"),
    ("/2/groups/{name}/tags", "DELETE"):
        ("/2/groups/ghostgroup/tags?tag=cov", None, "job"),
    ("/2/jobs", "GET"): ("/2/jobs", None, _IS_LIST),
    ("/2/jobs/{job_id}", "GET"): ("/2/jobs/1", None, _IS_DICT),
    ("/2/jobs/{job_id}", "DELETE"): ("/2/jobs/1", None, _IS_LIST),
    ("/2/jobs/{job_id}/wait", "GET"): ("/2/jobs/1/wait", _WAIT, _IS_DICT),
    ("/2/instances-multi-alloc", "POST"):
        ("/2/instances-multi-alloc?dry-run=1",
         {"instances": [_CreateBody("cov2." + DOMAIN)]}, "job"),
    ("/2/tags", "GET"): ("/2/tags", None, _IS_LIST),
    ("/2/tags", "PUT"): ("/2/tags?tag=cov", None, "job"),
    ("/2/tags", "DELETE"): ("/2/tags?tag=cov", None, "job"),
    ("/2/info", "GET"): ("/2/info", None, _IS_DICT),
    ("/2/os", "GET"): ("/2/os", None, _IS_LIST),
    ("/2/redistribute-config", "PUT"): ("/2/redistribute-config", None,
                                        "job"),
    ("/2/features", "GET"): ("/2/features", None, _IS_LIST),
    ("/2/modify", "PUT"): ("/2/modify", {}, "job"),
    ("/2/query/{resource}", "GET"): ("/2/query/instance?fields=name", None,
                                     _IS_DICT),
    ("/2/query/{resource}", "PUT"): ("/2/query/node", {"fields": ["name"]},
                                     _IS_DICT),
    ("/2/query/{resource}/fields", "GET"): ("/2/query/group/fields", None,
                                            _IS_DICT),
    ("/2/filters", "GET"): ("/2/filters", None, _IS_LIST),
    ("/2/filters", "POST"): ("/2/filters", _FILTER, FILTERS),
    ("/2/filters/{uuid}", "GET"): ("/2/filters/{filter}", None, FILTERS),
    ("/2/filters/{uuid}", "PUT"): ("/2/filters/{filter}", _FILTER, FILTERS),
    ("/2/filters/{uuid}", "DELETE"): ("/2/filters/{filter}", None, FILTERS),
}

# Runs inside node1: the requests in order over one kept-alive HTTPS
# connection; prints [[status, answer], ...].
_CLIENT = r'''
import base64, http.client, json, ssl, sys
requests = json.load(sys.stdin)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
conn = http.client.HTTPSConnection(%(host)r, 5080, context=ctx, timeout=60)
auth = "Basic " + base64.b64encode(b"%(user)s:%(password)s").decode()
results = []
made = "4d7f0a3e-6a53-4c1e-9b8e-2f6d1c0b9a11"   # until a POST makes one
for method, path, body in requests:
    path = path.replace("{filter}", made)
    headers = {"Authorization": auth}
    data = None
    if body is not None:
        data = json.dumps(body)
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=headers)
    resp = conn.getresponse()
    text = resp.read().decode()
    try:
        answer = json.loads(text)
    except ValueError:
        answer = text
    if (method, path, resp.status) == ("POST", "/2/filters", 200):
        made = answer
    results.append([resp.status, answer])
print(json.dumps(results))
'''


@pytest.fixture(scope="module")
def cluster(make_cluster, node_add_available):
    if not node_add_available:
        pytest.skip("needs gnt-node add (3 nodes)")
    cl = make_cluster(3, prepare=lambda c: c.install_os())
    res = cl.sh("mkdir -p /var/lib/ganeti/rapi && echo '%s %s write'"
                " > %s" % (ADMIN + (USERS,)))
    assert res.returncode == 0, res.stderr
    for name, node in ((INST1, N1), (INST2, N2)):
        cl.add_file_instance(name, node)
    cl.ok("network", "add", "--network=10.96.0.0/24", "--tags=cov", NET)
    return cl


def _CheckFilter(cluster, pair, status, answer, posted):
    """A job filter method's answer is good: the rule's life cycle where
    the master keeps filters, else its refusal (a rule cannot exist)."""
    path, method = pair
    supported = posted[0] == 200
    if not supported:
        assert posted[0] == 400 and posted[1]["explain"] == NO_FILTERS, \
            posted
    if (path, method) == ("/2/filters", "POST"):
        return not supported or isinstance(answer, str)
    if method == "GET":
        if supported:
            return status == 200 and answer["uuid"] == posted[1]
        probe = Requests(cluster, [("PATCH", "/2/filters/x", None)])[0]
        return status == 404 and probe[0] == 501
    if not supported:
        return status == 400 and answer["explain"] == NO_FILTERS
    return status == 200 and answer == (posted[1] if method == "PUT"
                                        else None)


def Requests(cluster, requests, host=N1):
    """[(method, path, body)] sent in order from node1; [[status, answer]]."""
    res = cluster.vc.exec("node1", "python3", "-c", _CLIENT % dict(
        host=host, user=ADMIN[0], password=ADMIN[1]),
        input=json.dumps(requests), timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_the_table_covers_the_spec():
    spec = SpecPairs()
    assert len(spec) == 84
    assert set(REQUESTS) == set(spec)


def test_every_path_and_method_is_served(cluster):
    spec = SpecPairs()
    pairs = list(REQUESTS)
    answers = Requests(cluster, [(method, REQUESTS[(path, method)][0],
                                  REQUESTS[(path, method)][1])
                                 for path, method in pairs])
    by_pair = dict(zip(pairs, answers))
    jobs = {}
    bad = []
    for (path, method), (status, answer) in zip(pairs, answers):
        check = REQUESTS[(path, method)][2]
        if check == FILTERS:
            if not _CheckFilter(cluster, (path, method), status, answer,
                                by_pair[("/2/filters", "POST")]):
                bad.append((method, path, status, answer))
        elif status != 200:
            bad.append((method, path, status, answer))
        elif check == "job":
            if isinstance(answer, str) and answer.isdigit():
                answer = int(answer)
            if isinstance(answer, int) and not isinstance(answer, bool):
                jobs[(path, method)] = answer
            else:
                bad.append((method, path, "not a job id", answer))
        elif isinstance(check, type):
            if not isinstance(answer, check):
                bad.append((method, path, "not a %s" % check.__name__,
                            answer))
        elif answer != check:
            bad.append((method, path, "not %r" % (check,), answer))
    assert not bad, "\n".join(repr(b)[:300] for b in bad)

    submitted = list(jobs.items())
    found = Requests(cluster, [("GET", "/2/jobs/%d" % job, None)
                               for _, job in submitted])
    for ((path, method), job), (status, answer) in zip(submitted, found):
        assert status == 200, (path, method, job, answer)
        expected = _ExpectedOpId(spec[(path, method)])
        assert answer["ops"][0]["OP_ID"] == expected, (path, method, answer)
    # the answers' shapes, beyond their types
    assert [n["id"] for n in by_pair[("/2/nodes", "GET")][1]] == [N1, N2, N3]
    assert [i["id"] for i in by_pair[("/2/instances", "GET")][1]] == \
        [INST1, INST2]
    assert by_pair[("/2/instances/{name}", "GET")][1]["pnode"] == N1
    assert by_pair[("/2/info", "GET")][1]["master"] == N1
    assert "noop" in by_pair[("/2/os", "GET")][1]
    assert by_pair[("/2/networks", "GET")][1] == [
        {"name": NET, "uri": "/2/networks/" + NET}]
    net = by_pair[("/2/networks/{name}", "GET")][1]
    assert sorted(net) == sorted(
        "name network gateway network6 gateway6 mac_prefix free_count"
        " reserved_count map group_list inst_list external_reservations"
        " ctime mtime uuid serial_no tags".split())
    assert (net["name"], net["network"], net["free_count"],
            net["reserved_count"], net["external_reservations"],
            net["group_list"], net["inst_list"], net["tags"]) == (
        NET, "10.96.0.0/24", 254, 2, "10.96.0.0, 10.96.0.255", [], [],
        ["cov"])
    assert net["map"] == "X" + "." * 254 + "X"
    assert [f["name"] for f in
            by_pair[("/2/query/{resource}/fields", "GET")][1]["fields"]]
    # nothing above changed the cluster's objects
    assert cluster.ok("instance", "list", "--no-headers", "-o",
                      "name").stdout.split() == [INST1, INST2]
    assert cluster.ok("group", "list", "--no-headers", "-o",
                      "name").stdout.split() == ["default"]
    assert cluster.ok("network", "list", "--no-headers", "-o",
                      "name").stdout.split() == [NET]
