"""ganeti-rapi end to end on a 3-node fake-hypervisor cluster, through curl
over real HTTPS with the cluster's rapi.pem: reads with upstream's answer
layouts, an instance's lifecycle, the authentication matrix, bad input, and
RAPI following the master on failover.

VCLUSTER_LAB / VCLUSTER_STATE are honoured.
"""

import json
import os
import shlex
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
OS_SRC = os.path.join(REPO, "examples", "os")
DOMAIN = "example.test"
N1, N2, N3 = ("node%d.%s" % (i, DOMAIN) for i in (1, 2, 3))
INST = "rapi1." + DOMAIN
USERS = "/var/lib/ganeti/rapi/users"
UNAUTHORIZED = {"code": 401, "message": "Unauthorized",
                "explain": "No permission -- see authorization schemes"}


def _prepare(cluster):
    for node in cluster.nodes:
        res = cluster.sh("mkdir -p /srv/ganeti/os && cp -r %s/noop"
                         " /srv/ganeti/os/" % OS_SRC, node=node)
        assert res.returncode == 0, res.stderr


@pytest.fixture(scope="module")
def cluster(make_cluster, node_add_available):
    if not node_add_available:
        pytest.skip("needs gnt-node add (3 nodes)")
    cl = make_cluster(3, prepare=_prepare)
    _write_users(cl, "# RAPI users\nadmin secret write\n"
                 "reader {cleartext}look read\n")
    _wait_rapi(cl, N1)
    return cl


def _write_users(cluster, text, node="node1"):
    res = cluster.sh("mkdir -p /var/lib/ganeti/rapi && cat > %s.tmp <<'EOF'\n"
                     "%sEOF\nmv %s.tmp %s" % (USERS, text, USERS, USERS),
                     node=node)
    assert res.returncode == 0, res.stderr


def curl(cluster, path, method="GET", user=None, body=None, node="node1",
         host=N1, ctype="application/json", raw_body=None, data_file=None):
    """(HTTP status, parsed JSON answer or raw text, headers text)."""
    cmd = ["curl", "-sS", "-k", "-D", "/dev/stderr", "-X", method,
           "--max-time", "60", "https://%s:5080%s" % (host, path)]
    if user:
        cmd += ["-u", user]
    if body is not None or raw_body is not None:
        data = raw_body if raw_body is not None else json.dumps(body)
        cmd += ["-H", "Content-Type: %s" % ctype, "--data-binary", data]
    elif data_file is not None:
        cmd += ["-H", "Content-Type: %s" % ctype, "--data-binary",
                "@" + data_file]
    res = cluster.sh(" ".join(shlex.quote(c) for c in cmd), node=node,
                     timeout=90)
    assert res.returncode == 0, res.stderr
    status_lines = [l for l in res.stderr.splitlines()
                    if l.startswith("HTTP/")]
    status = int(status_lines[-1].split()[1])
    try:
        answer = json.loads(res.stdout)
    except ValueError:
        answer = res.stdout
    return status, answer, res.stderr


def ok(cluster, path, **kwargs):
    status, answer, _ = curl(cluster, path, **kwargs)
    assert status == 200, (path, status, answer)
    return answer


def _wait_rapi(cluster, host, present=True, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        res = cluster.sh("curl -sk --max-time 5 https://%s:5080/version" %
                         host)
        if (res.returncode == 0 and res.stdout.strip() == "2") == present:
            return
        time.sleep(0.5)
    pytest.fail("RAPI on %s did not %s" % (host, "answer" if present
                                           else "stop"))


def wait_job(cluster, job_id, user="admin:secret"):
    """Wait for a job through /2/jobs/N/wait; its final /2/jobs/N."""
    status = None
    for _ in range(120):
        answer = ok(cluster, "/2/jobs/%s/wait" % job_id, user=user,
                    body={"fields": ["status"], "previous_job_info":
                          [status] if status else None,
                          "previous_log_serial": None})
        if answer is not None:
            status = answer["job_info"][0]
            if status in ("success", "error", "canceled"):
                break
    return ok(cluster, "/2/jobs/%s" % job_id)


def _reference_json(cluster, name):
    return json.loads(cluster.reference(name)[0])


def test_version_features_info(cluster):
    assert ok(cluster, "/version") == 2
    assert ok(cluster, "/2/features") == \
        _reference_json(cluster, "ops/51-rapi-2-features.txt")
    info = ok(cluster, "/2/info")
    ref = _reference_json(cluster, "ops/50-rapi-2-info.txt")
    assert list(info) == list(ref)  # upstream's key order
    for key in ("ipolicy", "ndparams"):
        assert list(info[key]) == list(ref[key])
    # whole-number floats as upstream's answer has them: 4, not 4.0
    assert json.dumps([info["ipolicy"]["vcpu-ratio"],
                       info["ipolicy"]["spindle-ratio"],
                       info["ndparams"]["cpu_speed"]]) == \
        json.dumps([ref["ipolicy"]["vcpu-ratio"],
                    ref["ipolicy"]["spindle-ratio"],
                    ref["ndparams"]["cpu_speed"]])
    assert info["master"] == N1
    assert info["vg_name"] == info["volume_group_name"]
    assert ok(cluster, "/") is None and ok(cluster, "/2") is None


def test_nodes_and_groups(cluster):
    assert ok(cluster, "/2/nodes") == [
        {"id": n, "uri": "/2/nodes/" + n} for n in (N1, N2, N3)]
    bulk = ok(cluster, "/2/nodes?bulk=1")
    ref = _reference_json(cluster, "ops/54-rapi-2-nodes-bulk.txt")[0]
    assert [list(n) for n in bulk] == [list(ref)] * 3
    assert [n["role"] for n in bulk] == ["M", "C", "C"]
    node = ok(cluster, "/2/nodes/" + N2)
    assert node["name"] == N2 and node["secondary_ip"] == node["sip"]
    assert ok(cluster, "/2/nodes/%s/role" % N1) == "master"
    assert ok(cluster, "/2/nodes/%s/role" % N3) == "master-candidate"
    groups = ok(cluster, "/2/groups?bulk=1")
    ref = _reference_json(cluster, "ops/58-rapi-2-groups-bulk.txt")[0]
    assert [list(g) for g in groups] == [list(ref)]
    assert groups[0]["node_list"] == [N1, N2, N3]
    assert ok(cluster, "/2/groups") == [
        {"name": "default", "uri": "/2/groups/default"}]


def test_instance_lifecycle(cluster):
    body = {"__version__": 1, "name": INST, "mode": "create",
            "disk_template": "diskless", "disks": [], "nics": [{}],
            "os": "noop", "pnode": N2, "name_check": False,
            "ip_check": False, "beparams": {"maxmem": 128, "minmem": 128}}
    job_id = ok(cluster, "/2/instances", method="POST", body=body,
                user="admin:secret")
    assert isinstance(job_id, int)
    job = wait_job(cluster, job_id)
    assert job["status"] == "success", job
    assert job["ops"][0]["OP_ID"] == "OP_INSTANCE_CREATE"
    assert job["ops"][0]["reason"][0][0] == "gnt:library:rlib2:instances"
    assert ok(cluster, "/2/instances") == [
        {"id": INST, "uri": "/2/instances/" + INST}]
    inst = ok(cluster, "/2/instances/" + INST)
    ref = _reference_json(cluster, "ops/57-rapi-2-instance-inst1.txt")
    assert list(inst) == list(ref)
    assert inst["pnode"] == N2 and inst["status"] == "running"
    assert inst["beparams"]["memory"] == 128
    assert list(inst["beparams"]) == list(ref["beparams"])
    # the cluster-wide hvparams (the fake hypervisor's migration_mode) are
    # not the instance's
    assert inst["hvparams"] == ref["hvparams"] == {}
    assert [list(i) for i in ok(cluster, "/2/instances?bulk=1")] == \
        [list(ref)]

    job = wait_job(cluster, ok(cluster, "/2/instances/%s/shutdown" % INST,
                               method="PUT", user="admin:secret"))
    assert job["status"] == "success", job
    assert job["ops"][0]["reason"][0][0] == \
        "gnt:library:rlib2:instances_name_shutdown"
    assert ok(cluster, "/2/instances/" + INST)["status"] == "ADMIN_down"
    assert cluster.ok("instance", "list", "--no-headers", "-o", "status",
                      INST).stdout.strip() == "ADMIN_down"
    job = wait_job(cluster, ok(cluster, "/2/instances/%s/startup" % INST,
                               method="PUT", user="admin:secret"))
    assert job["status"] == "success", job
    assert ok(cluster, "/2/instances/" + INST)["status"] == "running"

    job = wait_job(cluster, ok(cluster, "/2/instances/%s/tags?tag=a&tag=b"
                               % INST, method="PUT", user="admin:secret"))
    assert job["status"] == "success", job
    assert sorted(ok(cluster, "/2/instances/%s/tags" % INST)) == ["a", "b"]
    job = wait_job(cluster, ok(cluster, "/2/instances/%s/modify" % INST,
                               method="PUT", user="admin:secret",
                               body={"custom_beparams": {"vcpus": 2}}))
    assert job["status"] == "success", job
    assert ok(cluster, "/2/instances/" + INST)["beparams"]["vcpus"] == 2

    # dry-run changes nothing
    job = wait_job(cluster, ok(cluster, "/2/instances/%s?dry-run=1" % INST,
                               method="DELETE", user="admin:secret"))
    assert job["ops"][0]["dry_run"] is True
    assert ok(cluster, "/2/instances/" + INST)["name"] == INST
    job = wait_job(cluster, ok(cluster, "/2/instances/" + INST,
                               method="DELETE", user="admin:secret"))
    assert job["status"] == "success", job
    assert ok(cluster, "/2/instances") == []
    assert INST not in cluster.ok("instance", "list").stdout


def test_jobs(cluster):
    jobs = ok(cluster, "/2/jobs")
    assert jobs and all(j["uri"] == "/2/jobs/%d" % j["id"] for j in jobs)
    assert [j["id"] for j in jobs] == sorted(j["id"] for j in jobs)
    one = ok(cluster, "/2/jobs/%d" % jobs[0]["id"])
    ref = _reference_json(cluster, "ops/60-rapi-2-jobs-1.txt")
    assert list(one) == list(ref)
    bulk = ok(cluster, "/2/jobs?bulk=1")
    assert [list(j) for j in bulk] == [list(ref)[:-2]] * len(bulk)
    status, answer, _ = curl(cluster, "/2/jobs/999999")
    assert status == 404 and answer["code"] == 404


def test_authentication_matrix(cluster):
    path = "/2/instances/nosuch.%s/shutdown" % DOMAIN
    status, answer, headers = curl(cluster, path, method="PUT")
    assert (status, answer) == (401, UNAUTHORIZED)
    assert 'WWW-Authenticate: Basic realm="Ganeti Remote API"' in headers
    status, answer, _ = curl(cluster, path, method="PUT",
                             user="admin:wrong")
    assert (status, answer) == (401, UNAUTHORIZED)
    # wrong credentials are refused even where anonymous reads are allowed
    status, answer, _ = curl(cluster, "/2/info", user="admin:wrong")
    assert (status, answer) == (401, UNAUTHORIZED)
    assert ok(cluster, "/2/info", user="reader:look")["master"] == N1
    status, answer, _ = curl(cluster, path, method="PUT", user="reader:look")
    assert status == 403 and answer["code"] == 403
    # /2/jobs/N/wait needs write; anonymous gets the upstream 401 body
    status, answer, _ = curl(cluster, "/2/jobs/1/wait", body={
        "fields": ["status"], "previous_job_info": None,
        "previous_log_serial": None})
    assert (status, answer) == (401, UNAUTHORIZED)
    # a user added to the running daemon's file works without a restart
    _write_users(cluster, "admin secret write\nreader {cleartext}look read\n"
                 "late {HA1}%s write\n" % _ha1("late", "pw"))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if curl(cluster, "/2/jobs/1/wait", user="late:pw", body={
                "fields": ["status"], "previous_job_info": None,
                "previous_log_serial": None})[0] == 200:
            break
        time.sleep(0.5)
    else:
        pytest.fail("a user added to the users file was not accepted")


def _ha1(user, password):
    import hashlib
    return hashlib.md5(("%s:Ganeti Remote API:%s" % (user, password))
                       .encode()).hexdigest()


def test_bad_input(cluster):
    status, answer, _ = curl(cluster, "/2/instances/nosuch.ganeti.test")
    assert (status, answer) == (404, {"code": 404, "message": "Not Found",
                                      "explain": "Nothing matches the given"
                                      " URI"})
    status, answer, _ = curl(cluster, "/2/nosuchresource")
    assert status == 404 and answer["message"] == "Not Found"
    status, answer, _ = curl(cluster, "/2/info", method="DELETE",
                             user="admin:secret")
    assert status == 501 and answer["code"] == 501
    status, answer, _ = curl(cluster, "/2/groups", method="POST",
                             user="admin:secret", raw_body="{not json")
    assert status == 400 and answer["code"] == 400
    status, answer, _ = curl(cluster, "/2/groups", method="POST",
                             user="admin:secret", raw_body="{}",
                             ctype="text/plain")
    assert status == 415 and answer["code"] == 415
    status, answer, _ = curl(cluster, "/2/groups", method="POST",
                             user="admin:secret",
                             body={"group_name": "g1", "bogus": 1})
    assert status == 400 and "bogus" in answer["explain"], answer
    status, answer, _ = curl(cluster, "/2/groups", method="POST",
                             user="admin:secret",
                             body={"group_name": 7})
    assert status == 400 and "group_name" in answer["explain"], answer
    status, answer, _ = curl(cluster, "/2/instances", method="POST",
                             user="admin:secret", body={"name": "x"})
    assert status == 400 and "version" in answer["explain"], answer
    status, answer, _ = curl(cluster, "/2/instances/%s/shutdown" % N1,
                             method="PUT", user="admin:secret",
                             body={"instance_name": "other"})
    assert status == 400, answer
    res = cluster.sh("python3 -c \"print('[' * 100000 + ']' * 100000)\""
                     " > /tmp/rapi-nested.json && head -c 5000000 /dev/zero"
                     " | tr '\\0' ' ' > /tmp/rapi-huge.json")
    assert res.returncode == 0, res.stderr
    status, answer, _ = curl(cluster, "/2/groups", method="POST",
                             user="admin:secret",
                             data_file="/tmp/rapi-nested.json")
    assert status == 400, answer
    status, answer, _ = curl(cluster, "/2/groups", method="POST",
                             user="admin:secret",
                             data_file="/tmp/rapi-huge.json")
    assert status == 413, answer
    # nothing above made a group
    assert [g["name"] for g in ok(cluster, "/2/groups")] == ["default"]
    assert ok(cluster, "/version") == 2


# Runs inside node1: more slow clients than the daemon's 20 request slots,
# each sending a request's headers and then its body one byte every 0.5 s;
# meanwhile normal requests are answered; then every slow connection is cut
# by the daemon (its request deadline) within a bounded time.
_SLOW_CLIENTS = r'''
import http.client, json, socket, ssl, threading, time
HOST, SLOW = %(host)r, 25
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
head = (b"POST /2/groups HTTP/1.1\r\nHost: x\r\nContent-Type:"
        b" application/json\r\nContent-Length: 1000\r\n"
        b"Authorization: Basic YWRtaW46c2VjcmV0\r\n\r\n")
stop = threading.Event()
cut = []
def slow():
    sock = ctx.wrap_socket(socket.create_connection((HOST, 5080), 10))
    sock.sendall(head)
    deadline = time.monotonic() + 120
    while not stop.wait(0.5) and time.monotonic() < deadline:
        try:
            sock.send(b" ")
        except OSError:
            cut.append(1)
            return
    sock.close()
def threads_of_rapi():
    pid = open("/var/run/ganeti/ganeti-rapi.pid").read().strip()
    for line in open("/proc/%%s/status" %% pid):
        if line.startswith("Threads:"):
            return int(line.split()[1])
idle_threads = threads_of_rapi()
threads = [threading.Thread(target=slow, daemon=True) for _ in range(SLOW)]
for t in threads:
    t.start()
deadline = time.monotonic() + 30
while threads_of_rapi() < idle_threads + SLOW and not cut and \
        time.monotonic() < deadline:
    time.sleep(0.1)
busy_threads = threads_of_rapi()
served = []
for _ in range(3):
    conn = http.client.HTTPSConnection(HOST, 5080, context=ctx, timeout=10)
    conn.request("GET", "/2/info")
    resp = conn.getresponse()
    served.append([resp.status, json.loads(resp.read())["master"]])
    conn.close()
for t in threads:
    t.join(130)
stop.set()
deadline = time.monotonic() + 30
while threads_of_rapi() >= busy_threads and time.monotonic() < deadline:
    time.sleep(0.1)
print(json.dumps({"served": served, "cut": len(cut),
                  "idle_threads": idle_threads, "busy_threads": busy_threads,
                  "threads_after": threads_of_rapi()}))
'''


def test_slow_clients_do_not_block_the_daemon(cluster):
    res = cluster.py(_SLOW_CLIENTS % dict(host=N1), timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["served"] == [[200, N1]] * 3
    # every slow connection had a thread; the daemon cut them all
    assert out["busy_threads"] >= out["idle_threads"] + 25, out
    assert out["cut"] == 25, out
    assert out["threads_after"] < out["busy_threads"], out
    assert ok(cluster, "/version") == 2


def test_query_and_fields(cluster):
    answer = ok(cluster, "/2/query/node?fields=name,role", user="reader:look")
    assert [row[0][1] for row in answer["data"]] == [N1, N2, N3]
    assert [f["name"] for f in answer["fields"]] == ["name", "role"]
    answer = ok(cluster, "/2/query/node", method="PUT", user="reader:look",
                body={"fields": ["name"], "qfilter": ["=", "name", N2]})
    assert answer["data"] == [[[0, N2]]]
    status, _, _ = curl(cluster, "/2/query/node?fields=name")
    assert status == 401
    fields = ok(cluster, "/2/query/instance/fields?fields=name,status")
    assert [f["name"] for f in fields["fields"]] == ["name", "status"]


def test_cluster_tags_and_group_lifecycle(cluster):
    job = wait_job(cluster, ok(cluster, "/2/tags?tag=rapitag", method="PUT",
                               user="admin:secret"))
    assert job["status"] == "success", job
    assert "rapitag" in ok(cluster, "/2/tags")
    assert "rapitag" in cluster.ok("cluster", "list-tags").stdout
    job = wait_job(cluster, ok(cluster, "/2/groups", method="POST",
                               user="admin:secret", body={"name": "g2"}))
    assert job["status"] == "success", job
    job = wait_job(cluster, ok(cluster, "/2/groups/g2/rename", method="PUT",
                               user="admin:secret", body={"new_name": "g3"}))
    assert job["status"] == "success", job
    assert ok(cluster, "/2/groups/g3")["node_cnt"] == 0
    job = wait_job(cluster, ok(cluster, "/2/groups/g3", method="DELETE",
                               user="admin:secret"))
    assert job["status"] == "success", job
    status, _, _ = curl(cluster, "/2/groups/g3")
    assert status == 404


def test_zz_rapi_follows_the_master(cluster):
    _write_users(cluster, "admin secret write\n", node="node2")
    cluster.ok("cluster", "master-failover", node="node2", timeout=300)
    try:
        _wait_rapi(cluster, N2)
        _wait_rapi(cluster, N1, present=False)
        assert ok(cluster, "/2/info", host=N2, node="node2")["master"] == N2
    finally:
        cluster.ok("cluster", "master-failover", node="node1", timeout=300)
    _wait_rapi(cluster, N1)
    _wait_rapi(cluster, N2, present=False)


_CLIENT_SCRIPT = r'''
import json
from ganeti.rapi import client
c = client.GanetiRapiClient(%(host)r, username="admin", password="secret")
anon = client.GanetiRapiClient(%(host)r)
out = {"version": c.GetVersion(), "nodes": c.GetNodes(),
       "features": c.GetFeatures(), "master": c.GetInfo()["master"],
       "roles": [c.GetNodeRole(n) for n in c.GetNodes()]}
job = c.CreateInstance("create", %(inst)r, "diskless", [], [{}], os="noop",
                       pnode=%(pnode)r, name_check=False, ip_check=False,
                       beparams={"maxmem": 128, "minmem": 128})
out["created"] = c.WaitForJobCompletion(job, period=0.2, retries=300)
out["instances"] = c.GetInstances()
out["status"] = c.GetInstance(%(inst)r)["status"]
job = c.AddInstanceTags(%(inst)r, ["x1"])
c.WaitForJobCompletion(job, period=0.2, retries=300)
out["tags"] = c.GetInstanceTags(%(inst)r)
job = c.ShutdownInstance(%(inst)r)
out["shutdown"] = c.WaitForJobCompletion(job, period=0.2, retries=300)
out["status2"] = c.GetInstance(%(inst)r)["status"]
out["query"] = c.Query("instance", ["name", "status"],
                       ["=", "name", %(inst)r])["data"]
job = c.DeleteInstance(%(inst)r)
out["deleted"] = c.WaitForJobCompletion(job, period=0.2, retries=300)
errs = []
for fn in (lambda: anon.ShutdownInstance("x"),
           lambda: c.GetInstance("nosuch.example.test"),
           lambda: c.CreateGroup("bad/name/x", dry_run=True) and
           c.GetGroup("missing")):
    try:
        fn()
        errs.append(None)
    except client.GanetiApiError as err:
        errs.append(err.code)
out["errors"] = errs
print(json.dumps(out))
'''


def test_client_library(cluster):
    """ganeti.rapi.client, as scripts written for upstream use it."""
    res = cluster.py(_CLIENT_SCRIPT % dict(host=N1, inst="rapi2." + DOMAIN,
                                           pnode=N3), timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["version"] == 2 and out["master"] == N1
    assert out["nodes"] == [N1, N2, N3]
    assert "instance-create-reqv1" in out["features"]
    assert out["roles"] == ["master", "master-candidate", "master-candidate"]
    assert out["created"] is True and out["instances"] == ["rapi2." + DOMAIN]
    assert out["status"] == "running" and out["tags"] == ["x1"]
    assert out["shutdown"] is True and out["status2"] == "ADMIN_down"
    assert out["query"] == [[[0, "rapi2." + DOMAIN], [0, "ADMIN_down"]]]
    assert out["deleted"] is True
    assert out["errors"] == [401, 404, 404]
