"""Node and node group operations on a live testbed cluster.

The lab has two node machines; the cluster starts with node1 only.  Group
add/list/rename/modify/info/remove, node flag changes on the master (and
the refusals), volumes, list-storage and powercycle run on that one-node
cluster.  When "gnt-node add" is available, node2 joins and the flag round
trips (-C/-O/-D) and assign-nodes between groups are checked too.

Run with the lab prefix of your choice, e.g.
VCLUSTER_LAB=nb VCLUSTER_STATE=/tmp/nb-state pytest tests/cluster/...
"""

import re

import pytest

NODE1 = "node1.example.test"
NODE2 = "node2.example.test"
MASTER_ROLE_MSG = "The master role can be changed only via master-failover"


class _Checks:
    def group_uuid(self, name):
        for uuid, group in self.config()["nodegroups"].items():
            if group["name"] == name:
                return uuid
        return None


@pytest.fixture(scope="module")
def cluster(make_cluster):
    return make_cluster(2, join=False, helpers=_Checks)


# --- node groups on the one-node cluster -------------------------------------

def test_group_list_default_layout(cluster):
    res = cluster.ok("group", "list")
    lines = res.stdout.splitlines()
    ref = cluster.reference("ops/41-group-list.txt")
    assert lines[0] == ref[0]
    assert len(lines) == 2
    assert re.match(r"^default +1 +0 preferred +\w+=", lines[1]), lines[1]
    # NDParams: every node parameter as key=value, comma-separated.
    params = dict(part.split("=", 1) for part in
                  lines[1].split("preferred", 1)[1].strip().split(", "))
    assert sorted(params) == ["cpu_speed", "exclusive_storage",
                              "oob_program", "ovs", "ovs_link", "ovs_name",
                              "spindle_count", "ssh_port"]
    assert params["cpu_speed"] == "1" and params["ssh_port"] == "22"
    assert params["oob_program"] == "" and params["ovs_name"] == "switch1"


def test_group_lifecycle(cluster):
    cluster.ok("group", "add", "--alloc-policy=last_resort", "grp-a")
    uuid = cluster.group_uuid("grp-a")
    assert uuid is not None
    assert cluster.config()["nodegroups"][uuid]["alloc_policy"] == \
        "last_resort"
    cluster.fails("group", "add", "grp-a",
                  text="Desired group name 'grp-a' already exists as a node"
                       " group")
    res = cluster.ok("group", "list", "--no-headers", "-o",
                     "name,node_cnt,alloc_policy")
    assert [l.split() for l in res.stdout.splitlines()] == [
        ["default", "1", "preferred"], ["grp-a", "0", "last_resort"]]

    cluster.ok("group", "rename", "grp-a", "grp-b")
    assert cluster.group_uuid("grp-b") == uuid
    assert cluster.group_uuid("grp-a") is None
    cluster.fails("group", "rename", "grp-b", "default",
                  text="clashes with existing node group")
    # ssconf follows the configuration.
    res = cluster.vc.exec("node1", "cat", "/var/lib/ganeti/ssconf_nodegroups")
    assert "%s grp-b" % uuid in res.stdout.splitlines()

    res = cluster.ok("group", "modify", "--node-parameters=spindle_count=3",
                     "--alloc-policy=unallocable", "grp-b")
    assert res.stdout == ("Modified node group grp-b\n"
                          " - ndparams -> {'spindle_count': 3}\n")
    group = cluster.config()["nodegroups"][uuid]
    assert group["ndparams"] == {"spindle_count": 3}
    assert group["alloc_policy"] == "unallocable"
    res = cluster.fails("group", "modify", "grp-b",
                        text="Please give at least one of the parameters.")
    res = cluster.gnt("group", "modify", "--node-parameters=nosuch=1",
                      "grp-b")
    assert res.returncode == 1
    assert "Unknown parameter 'nosuch'" in res.stderr

    res = cluster.ok("group", "info", "grp-b")
    lines = res.stdout.splitlines()
    assert lines[0] == "- Node group: grp-b"
    assert "    spindle_count: 3" in lines
    assert "    ssh_port: default (22)" in lines
    assert [l for l in lines if not l.startswith("    ")] == [
        "- Node group: grp-b", "  Node parameters: ", "  Disk parameters: ",
        "  Instance policy: "]
    assert "    vcpu-ratio: default (4)" in lines

    cluster.ok("group", "add-tags", "grp-b", "tag1")
    assert cluster.ok("group", "list-tags", "grp-b").stdout == "tag1\n"

    cluster.ok("group", "remove", "grp-b")
    assert uuid not in cluster.config()["nodegroups"]
    cluster.fails("group", "remove", "grp-b",
                  text="Node group 'grp-b' not found")
    cluster.fails("group", "remove", "default",
                  text="Group 'default' not empty, has the following nodes:"
                       " %s" % NODE1)
    cluster.fails("group", "evacuate", "default",
                  text="There are no possible target groups")


def test_group_list_fields(cluster):
    res = cluster.ok("group", "list-fields", "name", "node_list")
    assert res.stdout.splitlines()[1].split()[:3] == ["name", "Text", "Group"]
    res = cluster.ok("group", "list", "--no-headers", "-o", "name,node_list")
    assert res.stdout.split() == ["default", NODE1]


# --- node flags on the master ------------------------------------------------

@pytest.mark.parametrize("flag", ["-O", "-D"])
def test_master_flags_refused(cluster, flag):
    serial = cluster.config()["serial_no"]
    res = cluster.fails("node", "modify", flag, "yes", NODE1,
                        text=MASTER_ROLE_MSG)
    assert "error type: wrong_input" in res.stderr
    assert cluster.config()["serial_no"] == serial
    assert cluster.node_field("offline,drained,master_candidate")[NODE1] == \
        ["N", "N", "Y"]


def test_master_other_refusals(cluster):
    cluster.fails("node", "modify", "-C", "no", NODE1, text=MASTER_ROLE_MSG)
    cluster.fails("node", "modify", "--master-capable=no", NODE1,
                  text="Master must remain master capable")
    cluster.fails("node", "modify", "-O", "yes", "-D", "yes", NODE1,
                  text="Can't set the node into more than one state")
    cluster.fails("node", "modify", NODE1,
                  text="Please give at least one of the parameters.")
    cluster.fails("node", "modify", "-O", "yes", "nosuch.example.test",
                  text="Node 'nosuch.example.test' not known")
    cluster.fails("node", "modify", "--node-powered=no", NODE1,
                  text="does not support out-of-band handling")
    cluster.fails("node", "modify", "--node-parameters=exclusive_storage=true",
                  NODE1, text="global and cannot be customized at node level")


def test_master_vm_capable_and_ndparams_round_trip(cluster):
    res = cluster.ok("node", "modify", "--vm-capable=no", NODE1)
    assert res.stdout == "Modified node %s\n - vm_capable -> False\n" % NODE1
    assert cluster.node_field("vm_capable")[NODE1] == ["N"]
    res = cluster.ok("node", "modify", "--vm-capable=yes", NODE1)
    assert res.stdout.endswith(" - vm_capable -> True\n")
    assert cluster.node_field("vm_capable")[NODE1] == ["Y"]

    cluster.ok("node", "modify", "--node-parameters=spindle_count=2", NODE1)
    res = cluster.ok("node", "info", NODE1)
    assert "    spindle_count: 2" in res.stdout.splitlines()
    cluster.ok("node", "modify", "--node-parameters=spindle_count=default",
               NODE1)
    res = cluster.ok("node", "info", NODE1)
    assert "    spindle_count: default (1)" in res.stdout.splitlines()
    assert "    cpu_speed: default (1)" in res.stdout.splitlines()


def test_node_info_matches_reference_layout(cluster):
    ours = cluster.ok("node", "info", NODE1).stdout.splitlines()
    ref = cluster.reference("ops/09-node-info.txt")
    assert [l.split(":")[0] for l in ours] == [l.split(":")[0] for l in ref]
    assert ours[9:] == ref[9:]  # instances and default node parameters


def test_node_list_all_fields_layout(cluster):
    ref = cluster.reference("ops/08-node-list-all-fields.txt")
    fields = ("name,pinst_cnt,sinst_cnt,pip,sip,master,master_candidate,"
              "drained,offline,vm_capable,group,mtotal,mnode,mfree,dtotal,"
              "dfree,ctotal,cnos,cnodes,csockets,tags,role,powered,ndparams")
    res = cluster.ok("node", "list", "-o", fields, NODE1)
    header, row = res.stdout.splitlines()
    assert header.split() == ref[0].split()
    # Tags empty, role M, powered unavailable, as upstream.
    assert re.search(r" \d+ {6}M {4}- {7}\{", row), row
    assert row.split()[5:11] == ["Y", "Y", "N", "N", "Y", "default"]


# --- volumes, storage, power -------------------------------------------------

def test_volumes_and_list_storage(cluster):
    res = cluster.ok("node", "volumes")
    assert res.stdout.splitlines() == \
        cluster.reference("ops/44-node-volumes.txt")
    ref = cluster.reference("ops/43-node-list-storage.txt")
    res = cluster.ok("node", "list-storage", "-t", "file")
    header, row = res.stdout.splitlines()[:2]
    assert header.split() == ref[0].split()
    parts = row.split()
    assert parts[:3] == [NODE1, "file", "/srv/ganeti/file-storage"]
    assert all(re.match(r"^[\d.]+[MGT]$", p) for p in parts[3:6]), row
    assert parts[6] == "Y"
    # Column layout as upstream: sizes right-aligned under their titles.
    assert len(header) - len("Allocatable") == row.rindex(" Y") + 1
    res = cluster.ok("node", "list-storage", "--no-headers", "--units=m",
                     "--separator=|", "-o", "name,size,free",
                     "-t", "sharedfile")
    name, size, free = res.stdout.strip().split("|")
    assert name == "/srv/ganeti/shared-file-storage"
    assert int(size) >= int(free) > 0
    cluster.fails("node", "list-storage", "-t", "lvm-vg",
                  text="No disk template of storage type 'lvm-vg' is enabled")
    cluster.fails("node", "modify-storage", "--allocatable=no", NODE1, "file",
                  "/srv/ganeti/file-storage",
                  text="Storage units of type 'file' can not be modified")
    cluster.fails("node", "repair-storage", NODE1, "file",
                  "/srv/ganeti/file-storage",
                  text="Storage units of type 'file' can not be repaired")


def test_powercycle_and_power(cluster):
    cluster.fails("node", "powercycle", "--yes", NODE1,
                  text="The node is the master and the force parameter was"
                       " not set")
    res = cluster.ok("node", "powercycle", "--yes", "-f", NODE1)
    assert res.stderr.startswith("Reboot scheduled in 5 seconds")
    # The fake hypervisor never reboots: the node still answers.
    cluster.ok("node", "list", NODE1)
    res = cluster.gnt("node", "power", "status", NODE1)
    assert res.returncode == 1
    assert res.stdout.splitlines()[1].split() == [NODE1, "Not", "available"]
    cluster.fails("node", "power", "-f", "cycle", NODE1,
                  text="Operating on the master node %s is not allowed for"
                       " power-cycle" % NODE1)
    res = cluster.ok("node", "list-drbd", NODE1)
    assert res.stdout.split() == ["Node", "Minor", "Instance", "Disk", "Role",
                                  "PeerNode"]


# --- a second node -----------------------------------------------------------

@pytest.fixture(scope="module")
def two_nodes(cluster, node_add_available):
    if not node_add_available:
        pytest.skip("gnt-node add is not available yet")
    if NODE2 not in cluster.members():
        cluster.ok("node", "add", NODE2, timeout=300)
    assert cluster.node_field("role") == {NODE1: ["M"], NODE2: ["C"]}
    return cluster


def _roles(cluster):
    return {name: values[0] for name, values in
            cluster.node_field("role").items()}


def test_demote_and_promote_candidate(two_nodes):
    c = two_nodes
    res = c.ok("node", "modify", "-C", "no", NODE2)
    assert res.stdout == ("Modified node %s\n - master_candidate -> False\n"
                          % NODE2)
    assert _roles(c) == {NODE1: "M", NODE2: "R"}
    # The demoted node dropped its configuration copy, and no longer gets
    # one; its certificate is no longer trusted as a candidate's.
    res = c.vc.exec("node2", "test", "-e", "/var/lib/ganeti/config.data")
    assert res.returncode != 0
    uuid2 = [u for u, n in c.config()["nodes"].items()
             if n["name"] == NODE2][0]
    assert uuid2 not in c.config()["cluster"]["candidate_certs"]
    res = c.ok("node", "modify", "-C", "yes", NODE2)
    assert res.stdout.endswith(" - master_candidate -> True\n")
    assert _roles(c) == {NODE1: "M", NODE2: "C"}
    assert c.config(node="node2")["serial_no"] == c.config()["serial_no"]


def test_offline_round_trip(two_nodes):
    c = two_nodes
    res = c.ok("node", "modify", "-O", "yes", NODE2)
    assert res.stdout == ("Modified node %s\n - master_candidate -> False\n"
                          " - offline -> True\n" % NODE2)
    assert _roles(c) == {NODE1: "M", NODE2: "O"}
    res = c.ok("node", "list", "--no-headers", "-o", "name,mfree,dfree",
               NODE2)
    assert res.stdout.split() == [NODE2, "*", "*"]
    # Offline nodes get no ssconf updates any more.
    c.ok("group", "add", "while-offline")
    res = c.vc.exec("node2", "cat", "/var/lib/ganeti/ssconf_nodegroups")
    assert "while-offline" not in res.stdout
    res = c.ok("node", "modify", "-O", "no", NODE2)
    assert "Auto-promoting node to master candidate" in res.stdout
    assert "Transitioning node from offline to online state" in res.stdout
    assert res.stdout.endswith("Modified node %s\n"
                               " - master_candidate -> True\n"
                               " - offline -> False\n" % NODE2)
    assert _roles(c) == {NODE1: "M", NODE2: "C"}
    c.ok("group", "remove", "while-offline")
    res = c.vc.exec("node2", "cat", "/var/lib/ganeti/ssconf_nodegroups")
    assert "while-offline" not in res.stdout
    assert "default" in res.stdout


def test_drained_round_trip(two_nodes):
    c = two_nodes
    res = c.ok("node", "modify", "-D", "yes", NODE2)
    assert res.stdout.endswith(" - master_candidate -> False\n"
                               " - drained -> True\n")
    assert _roles(c)[NODE2] == "D"
    res = c.ok("node", "modify", "-D", "no", NODE2)
    assert res.stdout.endswith(" - master_candidate -> True\n"
                               " - drained -> False\n")
    assert _roles(c)[NODE2] == "C"


def test_assign_nodes_between_groups(two_nodes):
    c = two_nodes
    c.ok("group", "add", "grp-x")
    c.ok("group", "assign-nodes", "grp-x", NODE2)
    assert c.node_field("group") == {NODE1: ["default"], NODE2: ["grp-x"]}
    res = c.ok("group", "list", "--no-headers", "-o", "name,node_cnt")
    assert [l.split() for l in res.stdout.splitlines()] == [
        ["default", "1"], ["grp-x", "1"]]
    c.fails("group", "remove", "grp-x",
            text="Group 'grp-x' not empty, has the following nodes: %s"
                 % NODE2)
    res = c.ok("node", "list-storage", "--no-headers", "-o", "node,name")
    assert [l.split()[0] for l in res.stdout.splitlines()] == [NODE1, NODE2]
    c.ok("group", "assign-nodes", "default", NODE2)
    c.ok("group", "remove", "grp-x")
    assert c.node_field("group") == {NODE1: ["default"], NODE2: ["default"]}
