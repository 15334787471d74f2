"""Switching in place: our daemons take over a node laid out by upstream 3.0.

A one-node lab's /var/lib/ganeti and /var/run/ganeti are laid out from
tests/data/upstream-state (a real upstream 3.0.2 node's files, cut to 20
instances), the names rewritten to the lab's and the certificates made
fresh; then our daemons are started with daemon-util (no gnt-cluster
init), as an administrator switching a node would.  The tests check that
everything the state holds is listed as upstream listed it, that operations
work on it, and that the files our daemons rewrite keep upstream's shapes
(key sets and value types per object, line layouts), compared with the
recorded files.
"""

import json
import os
import re
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STATE = os.path.join(REPO, "tests", "data", "upstream-state")
DAEMON_UTIL = os.path.join(REPO, "daemons", "daemon-util")
NODE = "node1.example.test"
CLUSTER = "cluster.example.test"
UP_NODE = "anchor-node1.ganeti.test"
UP_CLUSTER = "anchor-cluster.ganeti.test"
LIB = "/var/lib/ganeti"
RUN = "/var/run/ganeti"

# Laid out inside the node: upstream's files with upstream's names replaced
# by the lab's, fresh certificates whose digest is the candidate map's.
_PREPARE = r"""
import glob, json, os, shutil
from ganeti import bootstrap, pathutils
from ganeti.tools import vcluster_layout as lay
from ganeti.utils import io as uio

SRC, NODE, CLUSTER = %(src)r, %(node)r, %(cluster)r
node_ip = lay.make_nodes(1)[0].address
NAMES = [(%(up_node)r, NODE), (%(up_cluster)r, CLUSTER),
         ("127.0.1.254", lay.cluster_ip()), ("127.0.1.1", node_ip)]

def rename(text):
    for old, new in NAMES:
        text = text.replace(old, new)
    return text

def copy(src, dst, mode, fix=rename):
    with open(src) as handle:
        uio.WriteFile(dst, data=fix(handle.read()), mode=mode)

uio.EnsureDirs([(pathutils.DATA_DIR, 0o755), (pathutils.QUEUE_DIR, 0o750),
                (pathutils.QUEUE_DIR + "/archive", 0o750),
                (pathutils.DATA_DIR + "/rapi", 0o750),
                (pathutils.RUN_DIR + "/fake-hypervisor", 0o775),
                (pathutils.RUN_DIR + "/instance-reason", 0o755)])
digest = bootstrap.GenerateClusterCrypto(NODE)
host_keys = bootstrap._ReadHostKeys()
bootstrap.WriteKnownHostsFile(CLUSTER, host_keys)
with open(SRC + "/config.data") as handle:
    data = json.loads(rename(handle.read()))
cl = data["cluster"]
cl["master_netdev"] = lay.NODE_BRIDGE
cl["nicparams"]["default"]["link"] = lay.NODE_BRIDGE
cl["candidate_certs"] = {cl["master_node"]: digest}
cl["rsahostkeypub"] = host_keys.get("rsa", " ").split()[1]
uio.WriteFile(pathutils.CLUSTER_CONF_FILE, mode=0o640,
              data=json.dumps(data, separators=(",", ":")))
fixed = {"ssconf_master_netdev": lay.NODE_BRIDGE,
         "ssconf_master_candidates_certs": "%%s=%%s" %% (cl["master_node"],
                                                      digest)}
for path in glob.glob(SRC + "/ssconf/ssconf_*"):
    name = os.path.basename(path)
    copy(path, os.path.join(pathutils.DATA_DIR, name), 0o444,
         lambda text: fixed.get(name, rename(text)))
for path in glob.glob(SRC + "/queue/*"):
    copy(path, os.path.join(pathutils.QUEUE_DIR, os.path.basename(path)),
         0o640)
copy(SRC + "/rapi/users", pathutils.DATA_DIR + "/rapi/users", 0o640)
for path in glob.glob(SRC + "/instance-reason/*"):
    copy(path, pathutils.RUN_DIR + "/instance-reason/" +
         os.path.basename(path), 0o644)
# Every instance runs (admin state up): upstream's fake hypervisor keeps a
# run file of three lines (0, memory in MiB, vcpus) for each.
be_default = cl["beparams"]["default"]
for inst in data["instances"].values():
    be = dict(be_default, **inst["beparams"])
    uio.WriteFile(pathutils.RUN_DIR + "/fake-hypervisor/" + inst["name"],
                  data="0\n%%d\n%%d\n" %% (be["maxmem"], be["vcpus"]),
                  mode=0o600)
"""


def _recorded(*parts):
    with open(os.path.join(STATE, *parts)) as handle:
        return handle.read()


def _upstream_config():
    return json.loads(_recorded("config.data"))


def _recorded_jobs():
    return {int(name[4:]): json.loads(_recorded("queue", name))
            for name in os.listdir(os.path.join(STATE, "queue"))
            if name.startswith("job-")}


# Upstream's daemon users and groups (a switched node still has them); the
# node's /etc is its own overlay layer, so this changes nothing outside it.
_USERS = r"""
set -e
for group in gnt-daemons gnt-admin gnt-confd gnt-rapi gnt-masterd; do
    groupadd --system $group
done
useradd --system --no-create-home --no-log-init -g gnt-masterd \
    -G gnt-daemons,gnt-confd gnt-masterd
useradd --system --no-create-home --no-log-init -g gnt-confd \
    -G gnt-daemons gnt-confd
useradd --system --no-create-home --no-log-init -g gnt-rapi \
    -G gnt-daemons,gnt-masterd gnt-rapi
"""


def _take_over(cluster):
    """Lay out upstream's state on node1 and start our daemons on it, as
    doc/switching-from-upstream.md tells an administrator to."""
    res = cluster.sh(_USERS)
    assert res.returncode == 0, res.stdout + res.stderr
    res = cluster.py(_PREPARE % {"src": STATE, "node": NODE,
                                 "cluster": CLUSTER, "up_node": UP_NODE,
                                 "up_cluster": UP_CLUSTER})
    assert res.returncode == 0, res.stdout + res.stderr
    for action in ("start-all", "start-master"):
        res = cluster.vc.exec("node1", sys.executable, DAEMON_UTIL, action,
                              timeout=120)
        assert res.returncode == 0, res.stdout + res.stderr
    cluster.ok("cluster", "activate-master-ip")


@pytest.fixture(scope="module")
def cluster(make_cluster):
    return make_cluster(1, init=False, prepare=_take_over)


def _table(res):
    return [line.split("|") for line in res.stdout.splitlines()]


# ------------------------------------------------------------- listings

def test_instances_listed_as_upstream(cluster):
    up = _upstream_config()
    expected = sorted(
        [i["name"], i["os"], NODE, "running",
         str(i["beparams"].get("maxmem", 128))]
        for i in up["instances"].values())
    res = cluster.ok("instance", "list", "--no-headers", "--separator=|",
                     "-o", "name,os,pnode,status,oper_ram")
    assert sorted(_table(res)) == expected


def test_node_group_and_tags_listed(cluster):
    up = _upstream_config()
    (node,) = up["nodes"].values()
    (group,) = up["nodegroups"].values()
    res = cluster.ok("node", "list", "--no-headers", "--separator=|", "-o",
                     "name,uuid,group.uuid,pinst_cnt,master_candidate")
    assert _table(res) == [[NODE, node["uuid"], group["uuid"],
                            str(len(up["instances"])), "Y"]]
    res = cluster.ok("group", "list", "--no-headers", "--separator=|",
                     "-o", "name,uuid,node_cnt,pinst_cnt,alloc_policy")
    assert _table(res) == [[group["name"], group["uuid"], "1",
                            str(len(up["instances"])),
                            group["alloc_policy"]]]
    res = cluster.ok("cluster", "list-tags")
    assert res.stdout.split() == up["cluster"]["tags"]
    res = cluster.ok("cluster", "info")
    assert "Cluster name: %s" % CLUSTER in res.stdout
    assert "Cluster UUID: %s" % up["cluster"]["uuid"] in res.stdout


def test_jobs_listed_as_upstream(cluster):
    jobs = _recorded_jobs()
    res = cluster.ok("job", "list", "--no-headers", "--separator=|",
                     "-o", "id,status,summary")
    listed = {int(row[0]): row[1:] for row in _table(res)}
    # Upstream's jobs, then ours (activate-master-ip, the tests' own).
    assert sorted(listed)[:len(jobs)] == sorted(jobs)
    assert min(set(listed) - set(jobs)) > int(_recorded("queue", "serial"))
    for job_id, job in jobs.items():
        status, summary = listed[job_id]
        assert status == "success"
        ops = [op["input"]["OP_ID"][3:] for op in job["ops"]]
        assert [s.split("(")[0] for s in summary.split(",")] == ops
    res = cluster.ok("job", "info", "610")
    assert "Status: success" in res.stdout
    assert "* Verifying group 'default'" in res.stdout


def test_cluster_queue_serial_continues(cluster):
    res = cluster.ok("debug", "delay", "--submit", "0.01")
    # Like upstream, "JobID: <id>" goes to stderr.
    job_id = int(re.search(r"^JobID: (\d+)$", res.stderr, re.M).group(1))
    res = cluster.ok("job", "list", "--no-headers", "-o", "id")
    ours = [i for i in map(int, res.stdout.split()) if i not in
            _recorded_jobs()]
    # Our first job (activate-master-ip) took the id after upstream's serial.
    assert ours == list(range(int(_recorded("queue", "serial")) + 1,
                              job_id + 1))
    cluster.ok("job", "wait", str(job_id))


# ------------------------------------------------------------ operations

def test_operations_on_upstream_instances(cluster):
    up = _upstream_config()
    names = sorted(i["name"] for i in up["instances"].values())
    first, second = names[0], names[1]
    cluster.ok("instance", "shutdown", first)
    res = cluster.ok("instance", "list", "--no-headers", "-o", "status",
                     first)
    assert res.stdout.split() == ["ADMIN_down"]
    assert cluster.sh("test -e %s/fake-hypervisor/%s" % (RUN, first)
                      ).returncode != 0
    cluster.ok("instance", "startup", first)
    res = cluster.ok("instance", "list", "--no-headers", "-o",
                     "status,oper_ram", first)
    assert res.stdout.split() == ["running", "16M"]
    cluster.ok("instance", "add-tags", first, "taken-over")
    res = cluster.ok("instance", "list-tags", first)
    assert res.stdout.split() == ["taken-over"]
    cluster.ok("cluster", "add-tags", "ours-now")
    res = cluster.ok("cluster", "list-tags")
    assert sorted(res.stdout.split()) == sorted(
        up["cluster"]["tags"] + ["ours-now"])
    cluster.ok("instance", "remove", "--force", second)
    res = cluster.ok("instance", "list", "--no-headers", "-o", "name")
    assert second not in res.stdout.split()
    assert len(res.stdout.split()) == len(names) - 1


# -------------------------------------------- the files we write: shapes

def _shape(value):
    """A value's structure: dicts by key, lists by their items' shapes,
    scalars by type (int and float are both numbers)."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        shapes = []
        for item in value:
            shape = _shape(item)
            if shape not in shapes:
                shapes.append(shape)
        return ["list", shapes]
    if isinstance(value, bool) or value is None:
        return type(value).__name__
    if isinstance(value, (int, float)):
        return "number"
    return "str"


def _object_keys(objects):
    """The set of keys every object of a section has, and their union."""
    keys = [set(obj) for obj in objects.values()]
    return set.union(*keys) if keys else set()


def test_config_data_keeps_upstream_shape(cluster):
    ours = cluster.config()
    up = _upstream_config()
    assert set(ours) == set(up)
    assert ours["version"] == up["version"]
    assert set(ours["cluster"]) == set(up["cluster"])
    for key, value in up["cluster"].items():
        if key in ("tags", "candidate_certs"):
            continue
        assert _shape(ours["cluster"][key]) == _shape(value), key
    for section in ("nodes", "nodegroups", "instances"):
        assert _object_keys(ours[section]) == _object_keys(up[section]), \
            section
    for uuid, inst in ours["instances"].items():
        if uuid in up["instances"]:
            assert set(inst) == set(up["instances"][uuid]), inst["name"]
    mode = cluster.sh("stat -c %%a %s/config.data" % LIB).stdout.strip()
    assert mode == "640"


def test_ssconf_files_keep_upstream_layout(cluster):
    listing = cluster.sh("cd %s && ls ssconf_*" % LIB).stdout.split()
    recorded = sorted(os.listdir(os.path.join(STATE, "ssconf")))
    assert sorted(listing) == recorded
    for name in recorded:
        ours = cluster.sh("cat %s/%s" % (LIB, name)).stdout
        theirs = _recorded("ssconf", name)
        # Upstream writes no final newline; lines keep their shape.
        assert ours.endswith("\n") == theirs.endswith("\n"), name
        if name in ("ssconf_instance_list", "ssconf_master_netdev",
                    "ssconf_cluster_tags"):
            continue
        assert _line_shapes(ours) == _line_shapes(theirs), name
    mode = cluster.sh("stat -c %%a %s/ssconf_cluster_name" % LIB)
    assert mode.stdout.strip() == "444"


def _line_shapes(text):
    """Each line with its names and numbers abstracted away."""
    out = []
    for line in text.splitlines():
        line = re.sub(r"[0-9A-F]{2}(:[0-9A-F]{2}){19}", "DIGEST", line)
        line = re.sub(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", "UUID",
                      line)
        line = re.sub(r"\d+(\.\d+){3}", "IP", line)
        line = re.sub(r"[A-Za-z][A-Za-z0-9.-]*\.test", "NAME", line)
        out.append(line)
    return out


def test_job_files_keep_upstream_shape(cluster):
    cluster.ok("debug", "delay", "0.01")
    res = cluster.ok("job", "list", "--no-headers", "-o", "id")
    newest = max(int(i) for i in res.stdout.split())
    ours = json.loads(cluster.sh("cat %s/queue/job-%d" % (LIB, newest)).stdout)
    theirs = _recorded_jobs()[2]  # an OP_TEST_DELAY job, like ours
    assert set(ours) == set(theirs)
    for key in theirs:
        if key not in ("ops",):
            assert _shape(ours[key]) == _shape(theirs[key]), key
    (op,) = ours["ops"]
    (their_op,) = theirs["ops"]
    assert set(op) == set(their_op)
    assert set(op["input"]) == set(their_op["input"])
    serial = cluster.sh("cat %s/queue/serial" % LIB).stdout
    assert re.match(r"^\d+\n$", serial) and int(serial) >= newest
    assert cluster.sh("cat %s/queue/version" % LIB).stdout == \
        _recorded("queue", "version")
    modes = cluster.sh("stat -c %%a %s/queue/serial %s/queue/job-%d"
                       % (LIB, LIB, newest)).stdout.split()
    assert modes == ["640", "640"]


def test_run_files_keep_upstream_shape(cluster):
    up = _upstream_config()
    name = sorted(i["name"] for i in up["instances"].values())[2]
    cluster.ok("instance", "reboot", name)
    run = cluster.sh("cat %s/fake-hypervisor/%s" % (RUN, name)).stdout
    recorded = _recorded("fake-hypervisor", "inst1.ganeti.test")
    assert re.sub(r"\d+", "N", run) == re.sub(r"\d+", "N", recorded)
    cluster.ok("instance", "shutdown", name)
    reason = json.loads(cluster.sh("cat %s/instance-reason/%s"
                                   % (RUN, name)).stdout)
    theirs = json.loads(_recorded("instance-reason", "bu1.ganeti.test"))
    assert _shape(reason) == _shape(theirs)
    assert reason[-1][0] == "gnt:daemon:noded:shutdown"


def test_rewritten_files_keep_upstream_owners(cluster):
    cluster.ok("cluster", "add-tags", "owners-check")  # config.data rewritten
    res = cluster.ok("debug", "delay", "0.01")
    res = cluster.ok("job", "list", "--no-headers", "-o", "id")
    newest = max(int(i) for i in res.stdout.split())
    paths = ["config.data", "queue", "queue/archive", "queue/serial",
             "queue/job-%d" % newest, "server.pem", "hmac.key"]
    res = cluster.sh("cd %s && stat -c '%%n %%A %%U %%G' %s"
                     % (LIB, " ".join(paths)))
    ours = {line.split()[0]: line.split()[1:] for line in
            res.stdout.splitlines()}
    listing = {}
    for line in _recorded("LISTING-var-lib-ganeti.txt").splitlines():
        fields = line.split()
        if len(fields) == 9:
            listing[fields[8]] = [fields[0], fields[2], fields[3]]
    for name in ("config.data", "queue", "server.pem", "hmac.key"):
        assert ours[name] == listing[name], name
    # The queue's files and archive: upstream's job-1 and archive lines.
    queue_file = ["-rw-r-----", "gnt-masterd", "gnt-daemons"]
    assert ours["queue/serial"] == queue_file
    assert ours["queue/job-%d" % newest] == queue_file
    assert ours["queue/archive"] == ["drwxr-x---", "gnt-masterd",
                                     "gnt-daemons"]
    cluster.ok("cluster", "queue", "drain")
    try:
        res = cluster.sh("stat -c '%%s %%A %%U %%G' %s/queue/drain" % LIB)
        assert res.stdout.split() == ["0"] + queue_file
    finally:
        cluster.ok("cluster", "queue", "undrain")
