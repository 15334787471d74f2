"""Every public method of ganeti.rapi.client.GanetiRapiClient against a
real 3-node cluster (fake hypervisor): reads, an instance's whole life,
node roles, groups, jobs (list, status, wait, change, cancel), queries
with a filter, job filters, dry-runs that change nothing.  The client runs
inside node1 as a script written for upstream's library would; each call's
answer (or error) is recorded and checked here.

Network methods are skipped: the network opcodes have no logical units
yet (their jobs would fail for that reason only); neither have export and
disk replacement, whose jobs are checked to be the right ones.

VCLUSTER_LAB / VCLUSTER_STATE are honoured.
"""

import json
import re

import pytest

from ganeti.rapi import client as rapi_client

DOMAIN = "example.test"
N1, N2, N3 = ("node%d.%s" % (i, DOMAIN) for i in (1, 2, 3))
INST = "paths1." + DOMAIN
RENAMED = "paths2." + DOMAIN
DRY = "pathsdry." + DOMAIN
GHOST = "ghost." + DOMAIN
USERS = "/var/lib/ganeti/rapi/users"
# Runs inside node1: every call in order; prints {step: [ok, value]} where
# value is the answer (for a job: its final status, opresult and opstatus)
# or, on a GanetiApiError, [code, message].
_SCRIPT = r'''
import glob, json, os, time
from ganeti.rapi import client
c = client.GanetiRapiClient(%(host)r, username="admin", password="secret")
out = {}
called = set()
I, R, DRY, GHOST = %(inst)r, %(renamed)r, %(dry)r, %(ghost)r
N1, N2, N3 = %(nodes)r


def step(name, method, *args, **kwargs):
    called.add(method)
    try:
        out[name] = [True, getattr(c, method)(*args, **kwargs)]
    except client.GanetiApiError as err:
        out[name] = [False, [err.code, str(err)]]
    return out[name][1]


def job(name, method, *args, **kwargs):
    """A job-based call: its job is waited for, its end recorded."""
    jid = step(name, method, *args, **kwargs)
    if not out[name][0]:
        return None
    done = c.WaitForJobCompletion(jid, period=0.2, retries=1500)
    called.add("WaitForJobCompletion")
    status = c.GetJobStatus(jid)
    called.add("GetJobStatus")
    out[name] = [done, {"id": jid, "status": status["status"],
                        "opresult": status["opresult"],
                        "opstatus": status["opstatus"],
                        "ops": [op["OP_ID"] for op in status["ops"]]}]
    return status


# -- reads
step("version", "GetVersion")
step("features", "GetFeatures")
step("os", "GetOperatingSystems")
step("info", "GetInfo")
step("nodes", "GetNodes")
step("nodes_bulk", "GetNodes", bulk=True)
step("node", "GetNode", N2)
step("role", "GetNodeRole", N2)
step("groups", "GetGroups")
step("groups_bulk", "GetGroups", bulk=True)
step("group", "GetGroup", "default")
step("query", "Query", "node", ["name", "master_candidate"],
     ["=", "name", N2])
step("query_fields", "QueryFields", "instance", ["name", "status"])
step("missing", "GetInstance", GHOST)
job("storage", "GetNodeStorageUnits", N2, "file", "name,size")
job("storage_modify", "ModifyNodeStorageUnits", N2, "file", "x",
    allocatable=True)
job("storage_repair", "RepairNodeStorageUnits", N2, "file", "x")

# -- dry-runs: nothing may change
job("dry_create", "CreateInstance", "create", DRY, "diskless", [], [{}],
    os="noop", pnode=N2, name_check=False, ip_check=False, dry_run=True)
body = c.InstanceAllocation("create", DRY, "diskless", [], [{}], os="noop",
                            pnode=N2, name_check=False, ip_check=False)
called.add("InstanceAllocation")
out["allocation_body"] = [True, body]
job("dry_multi", "InstancesMultiAlloc", [body], dry_run=True)
job("dry_tags", "AddClusterTags", ["drytag"], dry_run=True)
job("dry_group", "CreateGroup", "drygroup", dry_run=True)
job("dry_evacuate", "EvacuateNode", N3, remote_node=N2,
    mode=client.NODE_EVAC_SEC, dry_run=True)
job("dry_migrate_node", "MigrateNode", N3, dry_run=True)
job("dry_assign", "AssignGroupNodes", "default", [N3], dry_run=True)
out["after_dry"] = [True, {"instances": c.GetInstances(),
                           "groups": c.GetGroups(),
                           "tags": c.GetClusterTags()}]

# -- cluster
job("redist", "RedistributeConfig")
pool = c.GetInfo()["candidate_pool_size"]
job("modify_cluster", "ModifyCluster", candidate_pool_size=pool)
job("add_cluster_tags", "AddClusterTags", ["t1", "t2"])
step("cluster_tags", "GetClusterTags")
job("del_cluster_tags", "DeleteClusterTags", ["t1", "t2"])
out["cluster_tags_after"] = [True, c.GetClusterTags()]

# -- an instance's life
job("create", "CreateInstance", "create", I, "file", [{"size": 64}], [{}],
    os="noop", pnode=N1, name_check=False, ip_check=False,
    beparams={"maxmem": 128, "minmem": 128})
step("instances", "GetInstances")
step("instances_bulk", "GetInstances", bulk=True)
step("instance", "GetInstance", I)
job("instance_info", "GetInstanceInfo", I, static=True)
step("console", "GetInstanceConsole", I)
job("add_inst_tags", "AddInstanceTags", I, ["it1"])
step("inst_tags", "GetInstanceTags", I)
job("del_inst_tags", "DeleteInstanceTags", I, ["it1"])
job("reboot", "RebootInstance", I, reboot_type="soft")
job("modify", "ModifyInstance", I, beparams={"maxmem": 192})
out["after_modify"] = [True, c.GetInstance(I)["beparams"]["maxmem"]]
job("migrate", "MigrateInstance", I, target_node=N3)
job("failover", "FailoverInstance", I, target_node=N3)
job("replace_disks", "ReplaceInstanceDisks", I, disks=[0],
    mode=client.REPLACE_DISK_PRI)
job("prepare_export", "PrepareExport", I, "local")
job("shutdown", "ShutdownInstance", I)
out["after_shutdown"] = [True, c.GetInstance(I)["status"]]
job("deactivate", "DeactivateInstanceDisks", I)
job("activate", "ActivateInstanceDisks", I)
job("deactivate2", "DeactivateInstanceDisks", I)
job("grow", "GrowInstanceDisk", I, 0, 64, wait_for_sync=False)
out["after_grow"] = [True, c.GetInstance(I)["disk.sizes"]]
# the disk is lost (recreating refuses to overwrite an existing file)
lost = glob.glob("/srv/ganeti/file-storage/%%s/*.disk0" %% I)
for path in lost:
    os.remove(path)
job("recreate", "RecreateInstanceDisks", I, disks=[0])
out["recreated"] = [True, [len(lost), all(os.path.exists(p) for p in lost)]]
job("reinstall", "ReinstallInstance", I, os="noop", no_startup=True)
job("export", "ExportInstance", I, "local", N3, shutdown=False)
job("startup", "StartupInstance", I)
out["after_startup"] = [True, c.GetInstance(I)["status"]]
job("shutdown2", "ShutdownInstance", I)
job("rename", "RenameInstance", I, R, ip_check=False, name_check=False)
out["after_rename"] = [True, c.GetInstances()]
job("delete", "DeleteInstance", R)
out["after_delete"] = [True, c.GetInstances()]

# -- nodes
job("role_regular", "SetNodeRole", N3, client.NODE_ROLE_REGULAR)
out["role_after"] = [True, c.GetNodeRole(N3)]
job("role_back", "SetNodeRole", N3, client.NODE_ROLE_MASTER_CANDIDATE)
out["role_back_after"] = [True, c.GetNodeRole(N3)]
job("drain", "ModifyNode", N3, drained=True)
out["drained"] = [True, c.GetNode(N3)["drained"]]
job("undrain", "ModifyNode", N3, drained=False)
job("powercycle", "PowercycleNode", GHOST, force=True)
job("evacuate", "EvacuateNode", N3, remote_node=N2,
    mode=client.NODE_EVAC_SEC)
job("migrate_node", "MigrateNode", N3)
job("add_node_tags", "AddNodeTags", N3, ["nt1"])
step("node_tags", "GetNodeTags", N3)
job("del_node_tags", "DeleteNodeTags", N3, ["nt1"])

# -- groups
job("create_group", "CreateGroup", "g2", alloc_policy="preferred")
job("modify_group", "ModifyGroup", "g2", alloc_policy="last_resort")
out["group_policy"] = [True, c.GetGroup("g2")["alloc_policy"]]
job("rename_group", "RenameGroup", "g2", "g3")
job("add_group_tags", "AddGroupTags", "g3", ["gt1"])
step("group_tags", "GetGroupTags", "g3")
job("del_group_tags", "DeleteGroupTags", "g3", ["gt1"])
job("assign", "AssignGroupNodes", "g3", [N3], force=True)
out["n3_group"] = [True, c.GetNode(N3)["group.uuid"] ==
                   c.GetGroup("g3")["uuid"]]
job("assign_back", "AssignGroupNodes", "default", [N3], force=True)
job("delete_group", "DeleteGroup", "g3")

# -- job filters, and a job held by one (to be cancelled)
uuid = step("add_filter", "AddFilter", 10,
            [["opcode", ["=", "OP_ID", "OP_TAGS_SET"]]], "PAUSE",
            reason_trail=[["test", "hold", 1]])
step("filters", "GetFilters")
step("filters_bulk", "GetFilters", bulk=True)
step("filter", "GetFilter", uuid)
held = c.AddClusterTags(["held"])
deadline = time.time() + 60
while c.GetJobStatus(held)["status"] != "queued" and time.time() < deadline:
    time.sleep(0.2)
step("held_status", "GetJobStatus", held)
step("wait_change", "WaitForJobChange", held, ["status"], None, None)
step("cancel", "CancelJob", held)
c.WaitForJobCompletion(held, period=0.2, retries=300)
out["held_final"] = [True, c.GetJobStatus(held)["status"]]
step("replace_filter", "ReplaceFilter", uuid, 11,
     [["opcode", ["=", "OP_ID", "OP_TAGS_SET"]]], "ACCEPT")
out["filter_after"] = [True, c.GetFilter(uuid)]
step("delete_filter", "DeleteFilter", uuid)
out["filters_after"] = [True, c.GetFilters()]

# -- networks (addresses of a documentation range, never used on a link)
job("create_net", "CreateNetwork", "net1", "192.0.2.0/28",
    gateway="192.0.2.1", add_reserved_ips=["192.0.2.5"], tags=["nt1"])
job("dry_create_net", "CreateNetwork", "net2", "192.0.2.16/28",
    dry_run=True)
step("networks", "GetNetworks")
step("networks_bulk", "GetNetworks", bulk=True)
job("connect_net", "ConnectNetwork", "net1", "default", "bridged", "br0")
job("modify_net", "ModifyNetwork", "net1", mac_prefix="aa:00:00")
job("add_net_tags", "AddNetworkTags", "net1", ["nt2"])
step("net_tags", "GetNetworkTags", "net1")
job("del_net_tags", "DeleteNetworkTags", "net1", ["nt2"])
step("network", "GetNetwork", "net1")
job("delete_connected_net", "DeleteNetwork", "net1")
job("disconnect_net", "DisconnectNetwork", "net1", "default")
job("delete_net", "DeleteNetwork", "net1")
out["networks_after"] = [True, c.GetNetworks()]
step("missing_net", "GetNetwork", "net1")

step("jobs", "GetJobs")
step("jobs_bulk", "GetJobs", bulk=True)
out["__called__"] = [True, sorted(called)]
print(json.dumps(out))
'''


@pytest.fixture(scope="module")
def results(make_cluster, node_add_available):
    if not node_add_available:
        pytest.skip("needs gnt-node add (3 nodes)")
    cl = make_cluster(3, prepare=lambda c: c.install_os())
    res = cl.sh("mkdir -p /var/lib/ganeti/rapi && echo 'admin secret write'"
                " > %s" % USERS)
    assert res.returncode == 0, res.stderr
    res = cl.py(_SCRIPT % dict(host=N1, inst=INST, renamed=RENAMED, dry=DRY,
                               ghost=GHOST, nodes=(N1, N2, N3)), timeout=1200)
    assert res.returncode == 0, res.stdout + res.stderr
    out = json.loads(res.stdout.strip().splitlines()[-1])
    out["__cluster__"] = cl
    return out


def _Ok(results, name):
    ok, value = results[name]
    assert ok, (name, value)
    return value


def _Succeeded(results, name):
    """The job of step name ended in success; its (first) opcode's
    result."""
    ok, value = results[name]
    assert ok and value["status"] == "success", (name, value)
    return value["opresult"][0]


def _Failed(results, name, pattern):
    """The job of step name failed with a message matching pattern."""
    ok, value = results[name]
    assert value["status"] == "error", (name, value)
    message = json.dumps(value["opresult"])
    assert re.search(pattern, message), (name, message)


def test_every_public_method_is_called(results):
    public = {name for name in dir(rapi_client.GanetiRapiClient)
              if name[0].isupper() and
              callable(getattr(rapi_client.GanetiRapiClient, name))}
    called = set(_Ok(results, "__called__"))
    assert public - called == set(), sorted(public - called)


def test_network_methods(results):
    for name in ("create_net", "connect_net", "modify_net", "add_net_tags",
                 "del_net_tags", "disconnect_net", "delete_net"):
        _Succeeded(results, name)
    _Succeeded(results, "dry_create_net")
    assert _Ok(results, "networks") == ["net1"]
    bulk = _Ok(results, "networks_bulk")
    assert [n["name"] for n in bulk] == ["net1"]
    assert bulk[0]["network"] == "192.0.2.0/28"
    assert sorted(_Ok(results, "net_tags")) == ["nt1", "nt2"]
    net = _Ok(results, "network")
    assert net["gateway"] == "192.0.2.1"
    assert net["mac_prefix"] == "aa:00:00"
    assert net["tags"] == ["nt1"]
    assert "192.0.2.5" in net["external_reservations"]
    assert [g[0] for g in net["group_list"]] == ["default"]
    _Failed(results, "delete_connected_net", "still connected")
    assert _Ok(results, "networks_after") == []
    ok, (code, _message) = results["missing_net"]
    assert not ok and code == 404


def test_reads(results):
    assert _Ok(results, "version") == 2
    assert "instance-create-reqv1" in _Ok(results, "features")
    assert "noop" in _Ok(results, "os")
    assert _Ok(results, "info")["master"] == N1
    assert _Ok(results, "nodes") == [N1, N2, N3]
    bulk = _Ok(results, "nodes_bulk")
    assert [n["name"] for n in bulk] == [N1, N2, N3]
    assert _Ok(results, "node")["name"] == N2
    assert _Ok(results, "role") == "master-candidate"
    assert _Ok(results, "groups") == ["default"]
    assert _Ok(results, "groups_bulk")[0]["node_cnt"] == 3
    assert _Ok(results, "group")["name"] == "default"
    query = _Ok(results, "query")
    assert [f["name"] for f in query["fields"]] == ["name",
                                                    "master_candidate"]
    assert query["data"] == [[[0, N2], [0, True]]]
    assert [f["name"] for f in _Ok(results, "query_fields")["fields"]] == \
        ["name", "status"]
    ok, (code, _) = results["missing"]
    assert not ok and code == 404
    rows = _Succeeded(results, "storage")
    assert rows and all(len(row) == 2 for row in rows)


def test_dry_runs_change_nothing(results):
    for name in ("dry_create", "dry_multi", "dry_tags", "dry_group",
                 "dry_evacuate", "dry_migrate_node", "dry_assign"):
        _Succeeded(results, name)
    body = _Ok(results, "allocation_body")
    assert body["name"] == DRY and body["disk_template"] == "diskless"
    after = _Ok(results, "after_dry")
    assert after == {"instances": [], "groups": ["default"], "tags": []}


def test_cluster_methods(results):
    for name in ("redist", "modify_cluster", "add_cluster_tags",
                 "del_cluster_tags"):
        _Succeeded(results, name)
    assert _Ok(results, "cluster_tags") == ["t1", "t2"]
    assert _Ok(results, "cluster_tags_after") == []


def test_instance_life(results):
    _Succeeded(results, "create")
    assert _Ok(results, "instances") == [INST]
    inst = _Ok(results, "instances_bulk")[0]
    assert inst["name"] == INST and inst["pnode"] == N1
    assert _Ok(results, "instance")["status"] == "running"
    info = _Succeeded(results, "instance_info")
    assert info[INST]["pnode"] == N1 and info[INST]["run_state"] is None
    console = _Ok(results, "console")
    assert console["instance"] == INST
    _Succeeded(results, "add_inst_tags")
    assert _Ok(results, "inst_tags") == ["it1"]
    for name in ("del_inst_tags", "reboot", "modify", "shutdown", "deactivate", "activate", "deactivate2",
                 "grow", "recreate", "reinstall", "startup", "shutdown2",
                 "rename", "delete"):
        _Succeeded(results, name)
    assert _Ok(results, "after_modify") == 192
    assert _Ok(results, "after_shutdown") == "ADMIN_down"
    assert _Ok(results, "after_grow") == [128]
    assert _Ok(results, "recreated") == [1, True]
    assert _Ok(results, "after_startup") == "running"
    assert _Ok(results, "after_rename") == [RENAMED]
    assert _Ok(results, "after_delete") == []


def test_node_methods(results):
    _Succeeded(results, "role_regular")
    assert _Ok(results, "role_after") == "regular"
    _Succeeded(results, "role_back")
    assert _Ok(results, "role_back_after") == "master-candidate"
    _Succeeded(results, "drain")
    assert _Ok(results, "drained") is True
    _Succeeded(results, "undrain")
    _Failed(results, "powercycle", "ghost")
    for name in ("evacuate", "migrate_node", "add_node_tags",
                 "del_node_tags"):
        _Succeeded(results, name)
    assert _Ok(results, "node_tags") == ["nt1"]


def test_group_methods(results):
    for name in ("create_group", "modify_group", "rename_group",
                 "add_group_tags", "del_group_tags", "assign",
                 "assign_back", "delete_group"):
        _Succeeded(results, name)
    assert _Ok(results, "group_policy") == "last_resort"
    assert _Ok(results, "group_tags") == ["gt1"]
    assert _Ok(results, "n3_group") is True


def test_jobs_and_filters(results):
    uuid = _Ok(results, "add_filter")
    assert _Ok(results, "filters") == [uuid]
    assert _Ok(results, "filters_bulk")[0]["uuid"] == uuid
    rule = _Ok(results, "filter")
    assert (rule["priority"], rule["action"]) == (10, "PAUSE")
    assert _Ok(results, "held_status")["status"] == "queued"
    change = _Ok(results, "wait_change")
    assert change["job_info"] == ["queued"]
    cancelled = _Ok(results, "cancel")
    assert cancelled[0] is True
    assert _Ok(results, "held_final") == "canceled"
    assert _Ok(results, "replace_filter") == uuid
    after = _Ok(results, "filter_after")
    assert (after["priority"], after["action"]) == (11, "ACCEPT")
    _Ok(results, "delete_filter")
    assert _Ok(results, "filters_after") == []
    jobs = _Ok(results, "jobs")
    assert jobs == sorted(jobs) and results["create"][1]["id"] in jobs
    bulk = _Ok(results, "jobs_bulk")
    assert [j["id"] for j in bulk] == jobs


def test_refused_operations_say_why(results):
    """What a file-based instance cannot do fails with upstream's reason,
    not an internal error."""
    _Failed(results, "migrate",
            "disk layout 'file' does not allow migrations")
    _Failed(results, "failover",
            "disk layout 'file' does not allow failover")



def test_export_and_replace_disks_jobs(results):
    """The client and the daemon make the right jobs: a local export is
    prepared and written to node3 while the instance runs; replacing the
    disks of a file-based instance is refused (a DRBD-only operation)."""
    for name, op_id in (("prepare_export", "OP_BACKUP_PREPARE"),
                        ("export", "OP_BACKUP_EXPORT"),
                        ("replace_disks", "OP_INSTANCE_REPLACE_DISKS")):
        assert results[name][1]["ops"] == [op_id], results[name]
    assert _Succeeded(results, "prepare_export") is None
    _Succeeded(results, "export")
    _Failed(results, "replace_disks", "(?i)drbd|Unknown opcode")
