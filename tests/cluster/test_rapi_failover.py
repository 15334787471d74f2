"""The RAPI users file replicated to every node, the OpenAPI document
served by the daemon, and RAPI moving with the master on a 3-node testbed:
after master-failover the new master answers on 5080 with the users
written on the old master only, and the old master refuses connections on
5080.

VCLUSTER_LAB / VCLUSTER_STATE are honoured.
"""

import json
import shlex
import time

import pytest

DOMAIN = "example.test"
N1, N2, N3 = ("node%d.%s" % (i, DOMAIN) for i in (1, 2, 3))
USERS = "/var/lib/ganeti/rapi/users"
USERS_TEXT = "# written on the master only\nadmin secret write\n"
CURL_REFUSED = 7  # curl's exit code for "Failed to connect"


@pytest.fixture(scope="module")
def cluster(make_cluster, node_add_available):
    if not node_add_available:
        pytest.skip("needs gnt-node add (3 nodes)")
    return make_cluster(3)


def _write_users(cluster, text, node):
    res = cluster.sh("mkdir -p /var/lib/ganeti/rapi && cat > %s.tmp <<'EOF'\n"
                     "%sEOF\nmv %s.tmp %s" % (USERS, text, USERS, USERS),
                     node=node)
    assert res.returncode == 0, res.stderr


def _users_on(cluster, node):
    res = cluster.sh("cat %s 2>/dev/null" % USERS, node=node)
    return res.stdout if res.returncode == 0 else None


def _curl(cluster, host, path, method="GET", user=None, node="node1"):
    """(curl exit code, HTTP status or None, parsed answer)."""
    cmd = ["curl", "-sS", "-k", "-o", "/dev/stdout", "-w", "\n%{http_code}",
           "-X", method, "--max-time", "30",
           "https://%s:5080%s" % (host, path)]
    if user:
        cmd += ["-u", user]
    res = cluster.sh(" ".join(shlex.quote(c) for c in cmd), node=node,
                     timeout=60)
    if res.returncode != 0:
        return res.returncode, None, res.stderr
    body, _, status = res.stdout.rpartition("\n")
    return 0, int(status), json.loads(body) if body else None


def _wait(predicate, what, timeout=90, diagnose=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    pytest.fail("timed out waiting for %s%s" %
                (what, "\n" + diagnose() if diagnose else ""))


def _rapi_log(cluster):
    return cluster.sh("tail -n 30 /var/log/ganeti/rapi-daemon.log;"
                      " gnt-job list").stdout


def _wait_job(cluster, host, job_id, node):
    def done():
        _, status, job = _curl(cluster, host, "/2/jobs/%s" % job_id,
                               node=node)
        return status == 200 and job["status"] in ("success", "error",
                                                   "canceled")
    _wait(done, "job %s" % job_id)
    return _curl(cluster, host, "/2/jobs/%s" % job_id, node=node)[2]


def test_users_file_written_on_the_master_reaches_every_node(cluster):
    _wait(lambda: _curl(cluster, N1, "/version")[1] == 200, "RAPI on node1")
    _write_users(cluster, USERS_TEXT, "node1")
    _wait(lambda: all(_users_on(cluster, n) == USERS_TEXT
                      for n in ("node2", "node3")),
          "the users file on node2 and node3",
          diagnose=lambda: _rapi_log(cluster))
    jobs = cluster.ok("job", "list", "--no-headers", "-o",
                      "summary").stdout.split()
    assert "CLUSTER_REDIST_CONF" in jobs, jobs


def test_redist_conf_distributes_the_users_file(cluster):
    _write_users(cluster, "stale stale write\n", "node3")
    cluster.ok("cluster", "redist-conf")
    assert _users_on(cluster, "node3") == USERS_TEXT


def test_openapi_document_is_served(cluster):
    from ganeti.rapi import openapi
    code, status, document = _curl(cluster, N1, "/openapi.json")
    assert (code, status) == (0, 200)
    assert document == openapi.BuildDocument()
    code, status, answer = _curl(cluster, N1, "/openapi.json",
                                 method="POST", user="admin:secret")
    assert status == 501 and answer["code"] == 501


def test_master_failover_moves_rapi(cluster):
    assert _users_on(cluster, "node2") == USERS_TEXT
    cluster.ok("cluster", "master-failover", node="node2", timeout=300)
    _wait(lambda: _curl(cluster, N2, "/version", node="node2")[1] == 200,
          "RAPI on the new master")
    code, status, info = _curl(cluster, N2, "/2/info", node="node2")
    assert (code, status) == (0, 200) and info["master"] == N2
    _wait(lambda: _curl(cluster, N1, "/version", node="node2")[0] ==
          CURL_REFUSED, "the old master to refuse connections on 5080")
    # the users came to the new master by replication only
    code, status, _ = _curl(cluster, N2, "/2/tags?tag=moved", method="PUT",
                            user="admin:wrong", node="node2")
    assert status == 401
    code, status, job_id = _curl(cluster, N2, "/2/tags?tag=moved",
                                 method="PUT", user="admin:secret",
                                 node="node2")
    assert status == 200, job_id
    job = _wait_job(cluster, N2, job_id, "node2")
    assert job["status"] == "success", job
    assert "moved" in cluster.ok("cluster", "list-tags",
                                 node="node2").stdout.split()
