"""Tests for ganeti.query and its field tables."""

import json
import re
from pathlib import Path
from types import SimpleNamespace as NS

import pytest

from ganeti import constants as C
from ganeti import errors
from ganeti import opcodes
from ganeti import query
from ganeti.query import instance as query_instance
from ganeti.query import misc as query_misc
from ganeti.query import node as query_node
import testdata

CLI_SPEC = Path(testdata.SPEC) / "cli.md"
REF = Path(testdata.REFERENCE) / "ops"

_TYPE_LABELS = {"Text": "text", "Boolean": "bool", "Number": "number",
                "Storage size": "unit", "Timestamp": "timestamp",
                "Custom": "other", "Floating-point number": "float"}


def _SpecFields(resource):
    """{name: (title, kind)} and the announced total from cli.md."""
    text = CLI_SPEC.read_text()
    match = re.search(r"^### %s \((\d+) fields in total\)\s*$(.*?)(?=^### |\Z)"
                      % resource, text, re.M | re.S)
    assert match, resource
    total, body = int(match.group(1)), match.group(2)
    fields = {}
    for row in re.finditer(r"^\| `([^`]+)` \| ([^|]+) \| (\w+) \|"
                           r"(?: (\d+)\.\.(\d+) \|)?\s*$", body, re.M):
        name, title, kind, low, high = row.groups()
        title = title.strip()
        if low is None:
            fields[name] = (title, kind)
        else:
            for idx in range(int(low), int(high) + 1):
                fields[name.replace("/N", "/%d" % idx)] = \
                    (title.replace("/N", "/%d" % idx), kind)
    return fields, total


def _RefListFields(filename):
    """Rows (name, kind, title, doc) of a reference list-fields output."""
    lines = (REF / filename).read_text().splitlines()
    header = lines[1]
    cols = [header.index(word) for word in ("Type", "Title", "Description")]
    rows = []
    for line in lines[2:]:
        if line.startswith("[exit status"):
            break
        name = line[:cols[0]].strip()
        label = line[cols[0]:cols[1]].strip()
        title = line[cols[1]:cols[2]].strip()
        doc = line[cols[2]:].strip()
        rows.append((name, _TYPE_LABELS[label], title, doc))
    return rows


# ------------------------------------------------------------ field tables

@pytest.mark.parametrize("resource", sorted(C.QR_ALL))
def test_field_tables_match_spec(resource):
    spec, total = _SpecFields(resource)
    fields = query.GetFieldDefs(resource)
    assert len(spec) == total
    assert len(fields) == total
    mine = {name: (f.fdef.title, f.fdef.kind) for name, f in fields.items()}
    assert mine == spec
    for field in fields.values():
        assert field.fdef.doc


@pytest.mark.parametrize("resource,filename", [
    ("instance", "31-instance-list-fields.txt"),
    ("node", "32-node-list-fields.txt"),
    ("job", "35-job-list-fields.txt")])
def test_field_tables_match_upstream_list_fields(resource, filename):
    rows = _RefListFields(filename)
    result = query.QueryFields(query.GetFieldDefs(resource), None)
    mine = [(f["name"], f["kind"], f["title"], f["doc"])
            for f in result["fields"]]
    assert mine == rows     # same fields, kinds, titles, docs and order
    assert opcodes.TQueryFieldsResult(result)


def test_query_fields_selection_and_unknown():
    result = query.QueryFields(query.NODE_FIELDS, ["name", "nosuch", "pip"])
    assert [f["name"] for f in result["fields"]] == ["name", "nosuch", "pip"]
    unknown = result["fields"][1]
    assert unknown["kind"] == "unknown" and unknown["title"] == "nosuch"
    assert query.GetFieldDefs(C.QR_NODE) is query.NODE_FIELDS
    with pytest.raises(errors.OpPrereqError):
        query.GetFieldDefs("bogus")


def test_build_field_dict_rejects_bad_definitions():
    getter = query.ItemAttr("x")
    good = query.MakeField("a", "A", query.QFT_TEXT, "doc", None, getter)
    with pytest.raises(errors.ProgrammerError):
        query.BuildFieldDict([good, good])
    with pytest.raises(errors.ProgrammerError):
        query.BuildFieldDict([query.MakeField("a b", "A", query.QFT_TEXT,
                                              "doc", None, getter)])
    with pytest.raises(errors.ProgrammerError):
        query.BuildFieldDict([query.MakeField("a", "A", "strange", "doc",
                                              None, getter)])


# ------------------------------------------------------------ nodes

CLUSTER_ND = {"oob_program": "", "spindle_count": 1,
              "exclusive_storage": False, "ovs": False, "ovs_name": "switch1",
              "ovs_link": "", "ssh_port": 22, "cpu_speed": 1}


def _Node(name, uuid, **kw):
    attrs = dict(name=name, uuid=uuid, primary_ip="127.0.1.1",
                 secondary_ip="127.0.1.1", master_candidate=True,
                 drained=False, offline=False, master_capable=True,
                 vm_capable=True, group="g-uuid", ndparams={}, hv_state=None,
                 hv_state_static=None, disk_state=None,
                 disk_state_static=None, powered=True, tags=[], serial_no=1,
                 ctime=1.5, mtime=2.5)
    attrs.update(kw)
    return NS(**attrs)


def _NodeData(nodes, **kw):
    args = dict(
        live_data={"n1": {"mtotal": 24064, "mnode": 181, "mfree": 23757,
                          "dtotal": 258048, "dfree": 80691, "ctotal": 2,
                          "cnos": 2, "cnodes": 1, "csockets": 1,
                          "bootid": "b-1"}},
        master_uuid="n1",
        node_to_primary={"n1": {"i2", "i1"}},
        node_to_secondary={"n1": set()},
        inst_uuid_to_inst_name={"i1": "inst10", "i2": "inst9"},
        groups={"g-uuid": NS(name="default", ndparams={"spindle_count": 2})},
        oob_support={"n1": False, "n2": True},
        cluster=NS(ndparams=CLUSTER_ND))
    args.update(kw)
    return query_node.NodeQueryData(nodes, **args)


def test_node_rows():
    node = _Node("anchor-node1.ganeti.test", "n1")
    fields = ["name", "pinst_cnt", "sinst_cnt", "pip", "master", "role",
              "group", "mtotal", "dfree", "powered", "ndp/spindle_count",
              "ndp/ssh_port", "pinst_list", "tags", "group.uuid", "ctime",
              "custom_ndparams", "hv_state", "nosuch"]
    q = query.Query(query.NODE_FIELDS, fields)
    rows = q.Query(_NodeData([node]))
    assert rows == [[
        [0, "anchor-node1.ganeti.test"], [0, 2], [0, 0], [0, "127.0.1.1"],
        [0, True], [0, "M"], [0, "default"], [0, 24064], [0, 80691],
        [3, None], [0, 2], [0, 22], [0, ["inst9", "inst10"]], [0, []],
        [0, "g-uuid"], [0, 1.5], [0, {}], [3, None], [1, None]]]
    assert q.RequestedData() == {query_node.NQ_CONFIG, query_node.NQ_INST,
                                 query_node.NQ_GROUP, query_node.NQ_LIVE,
                                 query_node.NQ_OOB}
    ndparams = query.Query(query.NODE_FIELDS, ["ndparams"]).OldStyleQuery(
        _NodeData([node]))[0][0]
    assert ndparams == dict(CLUSTER_ND, spindle_count=2)


def test_node_roles_and_live_status():
    nodes = [_Node("n-master", "n1"),
             _Node("n-cand", "n2", master_candidate=True),
             _Node("n-drained", "n3", master_candidate=False, drained=True),
             _Node("n-offline", "n4", master_candidate=False, offline=True),
             _Node("n-regular", "n5", master_candidate=False,
                   vm_capable=False)]
    q = query.Query(query.NODE_FIELDS, ["name", "role", "mfree", "powered"])
    rows = q.Query(_NodeData(nodes))
    assert [(r[0][1], r[1][1], r[2][0], r[3]) for r in rows] == [
        ("n-cand", "C", C.RS_NODATA, [0, True]),
        ("n-drained", "D", C.RS_NODATA, [3, None]),
        ("n-master", "M", C.RS_NORMAL, [3, None]),
        ("n-offline", "O", C.RS_OFFLINE, [3, None]),
        ("n-regular", "R", C.RS_UNAVAIL, [3, None])]
    rows = q.Query(_NodeData(nodes, live_data=None, oob_support=None))
    assert rows[2][2] == [C.RS_NODATA, None]
    assert rows[2][3] == [C.RS_NODATA, None]


def test_node_sorting_and_name_filter():
    nodes = [_Node("node10.example.com", "a"), _Node("node2.example.com", "b"),
             _Node("node1.example.com", "c")]
    data = _NodeData(nodes)
    q = query.Query(query.NODE_FIELDS, ["name"])
    assert [r[0][1] for r in q.Query(data)] == [
        "node1.example.com", "node2.example.com", "node10.example.com"]
    q = query.Query(query.NODE_FIELDS, ["name"],
                    ["|", ["=", "name", "node2"], ["==", "name", "NODE10"]])
    assert q.RequestedNames() == ["node2", "NODE10"]
    assert [r[0][1] for r in q.Query(data)] == ["node2.example.com",
                                                "node10.example.com"]
    q = query.Query(query.NODE_FIELDS, ["name"], ["=", "name", "node1.exa"])
    assert q.Query(data) == []
    q = query.Query(query.NODE_FIELDS, ["uuid"],
                    ["!=", "name", "node1.example.com"])
    assert q.Query(data) == [[[0, "b"]], [[0, "a"]]]
    assert q.RequestedNames() is None


@pytest.mark.parametrize("qfilter", [None, [], ()])
def test_empty_filter_means_no_filter(qfilter):
    """An empty filter list selects everything, like null (upstream's
    empty filter)."""
    nodes = [_Node("node2.example.com", "b"), _Node("node1.example.com", "a")]
    q = query.Query(query.NODE_FIELDS, ["name"], qfilter)
    assert [r[0][1] for r in q.Query(_NodeData(nodes))] == [
        "node1.example.com", "node2.example.com"]
    assert q.RequestedNames() is None
    assert query.CompileFilter(query.NODE_FIELDS, qfilter) == (None, [])


# ------------------------------------------------------------ instances

def _Instance(name, uuid, admin_state="up", disks=(), nics=None, **kw):
    attrs = dict(name=name, uuid=uuid, primary_node="n1", os="noop+default",
                 hypervisor="fake", hvparams={}, beparams={"maxmem": 128},
                 osparams={}, osparams_private={}, admin_state=admin_state,
                 admin_state_source="admin", disks_active=True,
                 disk_template="file", network_port=None, forthcoming=False,
                 nics=nics if nics is not None else [
                     NS(mac="aa:00:00:6f:1b:d8", ip=None, name=None,
                        uuid="nic-" + uuid, network=None, nicparams={})],
                 disks=list(disks), tags=["web"], serial_no=3, ctime=1.0,
                 mtime=2.0)
    attrs.update(kw)
    return NS(**attrs)


def _Disk(size, uuid, name=None, nodes=("n1",)):
    return NS(size=size, spindles=None, name=name, uuid=uuid,
              nodes=list(nodes))


def _InstanceData(instances, **kw):
    cluster = NS(hvparams={"fake": {"kernel_path": "live"},
                           "kvm": {"user_shutdown": False}},
                 os_hvp={}, beparams={"default": {
                     "maxmem": 128, "minmem": 128, "vcpus": 1,
                     "auto_balance": True, "always_failover": False,
                     "spindle_use": 1}},
                 osparams={"noop": {"a": "1"}, "noop+default": {"b": "2"}},
                 nicparams={"default": {"mode": "bridged", "link": "gntbr0",
                                        "vlan": ""}},
                 enabled_user_shutdown=False)
    args = dict(cluster=cluster, disk_usage={"i1": 64, "i2": 48},
                live_data={"i1": {"memory": 128, "vcpus": 1},
                           "i2": {"memory": 64, "vcpus": 2}},
                nodes={"n1": NS(name="anchor-node1.ganeti.test",
                                group="g1"),
                       "n2": NS(name="node2.ganeti.test", group="g2")},
                groups={"g1": NS(name="default"), "g2": NS(name="other")},
                networks={"net1": NS(name="lan")})
    args.update(kw)
    return query_instance.InstanceQueryData(instances, **args)


def test_instance_rows():
    inst1 = _Instance("inst1.ganeti.test", "i1",
                      disks=[_Disk(64, "d1", "root")])
    inst2 = _Instance("inst2.ganeti.test", "i2",
                      disks=[_Disk(32, "d2", nodes=["n1", "n2"]),
                             _Disk(16, "d3", nodes=["n1", "n2"])],
                      beparams={"maxmem": 64, "vcpus": 2},
                      disk_template="drbd")
    inst3 = _Instance("inst3.ganeti.test", "i3", admin_state="down",
                      disks=[_Disk(32, "d4")], network_port=11000)
    fields = ["name", "status", "oper_ram", "disk.sizes", "be/memory",
              "be/vcpus", "nic.macs", "nic.modes", "nic.links", "snodes",
              "snodes.group", "pnode", "pnode.group", "network_port",
              "disk.size/1", "disk.name/0", "sda_size", "nic.ip/0",
              "nic.bridge/0", "bridge", "admin_up", "disk_usage",
              "osparams", "hv/kernel_path", "hv/acpi", "tags",
              "disk.count", "nic.count", "oper_state", "nic.networks.names"]
    data = _InstanceData([inst3, inst2, inst1])
    rows = query.Query(query.INSTANCE_FIELDS, fields).OldStyleQuery(data)
    assert [dict(zip(fields, row)) for row in rows] == [
        {"name": "inst1.ganeti.test", "status": "running", "oper_ram": 128,
         "disk.sizes": [64], "be/memory": 128, "be/vcpus": 1,
         "nic.macs": ["aa:00:00:6f:1b:d8"], "nic.modes": ["bridged"],
         "nic.links": ["gntbr0"], "snodes": [], "snodes.group": [],
         "pnode": "anchor-node1.ganeti.test", "pnode.group": "default",
         "network_port": None, "disk.size/1": None, "disk.name/0": "root",
         "sda_size": 64, "nic.ip/0": None, "nic.bridge/0": "gntbr0",
         "bridge": "gntbr0", "admin_up": True, "disk_usage": 64,
         "osparams": {"a": "1", "b": "2"}, "hv/kernel_path": "live",
         "hv/acpi": None, "tags": ["web"], "disk.count": 1, "nic.count": 1,
         "oper_state": True, "nic.networks.names": [None]},
        {"name": "inst2.ganeti.test", "status": "running", "oper_ram": 64,
         "disk.sizes": [32, 16], "be/memory": 64, "be/vcpus": 2,
         "nic.macs": ["aa:00:00:6f:1b:d8"], "nic.modes": ["bridged"],
         "nic.links": ["gntbr0"], "snodes": ["node2.ganeti.test"],
         "snodes.group": ["other"], "pnode": "anchor-node1.ganeti.test",
         "pnode.group": "default", "network_port": None, "disk.size/1": 16,
         "disk.name/0": None, "sda_size": 32, "nic.ip/0": None,
         "nic.bridge/0": "gntbr0", "bridge": "gntbr0", "admin_up": True,
         "disk_usage": 48, "osparams": {"a": "1", "b": "2"},
         "hv/kernel_path": "live", "hv/acpi": None, "tags": ["web"],
         "disk.count": 2, "nic.count": 1, "oper_state": True,
         "nic.networks.names": [None]},
        {"name": "inst3.ganeti.test", "status": "ADMIN_down",
         "oper_ram": None, "disk.sizes": [32], "be/memory": 128,
         "be/vcpus": 1, "nic.macs": ["aa:00:00:6f:1b:d8"],
         "nic.modes": ["bridged"], "nic.links": ["gntbr0"], "snodes": [],
         "snodes.group": [], "pnode": "anchor-node1.ganeti.test",
         "pnode.group": "default", "network_port": 11000,
         "disk.size/1": None, "disk.name/0": None, "sda_size": 32,
         "nic.ip/0": None, "nic.bridge/0": "gntbr0", "bridge": "gntbr0",
         "admin_up": False, "disk_usage": 0, "osparams": {"a": "1", "b": "2"},
         "hv/kernel_path": "live", "hv/acpi": None, "tags": ["web"],
         "disk.count": 1, "nic.count": 1, "oper_state": False,
         "nic.networks.names": [None]}]
    statuses = query.Query(query.INSTANCE_FIELDS,
                           ["oper_ram", "network_port", "hv/acpi"]).Query(data)
    assert statuses[2] == [[C.RS_UNAVAIL, None], [C.RS_NORMAL, 11000],
                           [C.RS_UNAVAIL, None]]
    assert statuses[0][1] == [C.RS_UNAVAIL, None]


def test_instance_hvparams_leave_out_the_cluster_wide_ones():
    """As upstream's /2/instances answers: a fake instance's merged
    hvparams are {} although the cluster's fake hvparams hold
    migration_mode (a cluster-wide parameter)."""
    ref = json.loads((REF / "57-rapi-2-instance-inst1.txt").read_text()
                     .splitlines()[1])
    inst = _Instance("inst1.ganeti.test", "i1", hvparams={"acpi": False})
    data = _InstanceData([inst])
    data.cluster.hvparams["fake"] = {"migration_mode": "live",
                                     "migration_port": 8102}
    fields = ["hvparams", "custom_hvparams"]
    assert query.Query(query.INSTANCE_FIELDS, fields).OldStyleQuery(
        _InstanceData([_Instance("inst1.ganeti.test", "i1")],
                      cluster=data.cluster)) == \
        [[ref["hvparams"], ref["custom_hvparams"]]]
    assert query.Query(query.INSTANCE_FIELDS, fields).OldStyleQuery(data) == \
        [[{"acpi": False}, {"acpi": False}]]


@pytest.mark.parametrize("admin_state,live,primary,extra,status", [
    ("up", {"memory": 1}, "n1", {}, "running"),
    ("down", {"memory": 1}, "n1", {}, "ERROR_up"),
    ("up", None, "n1", {}, "ERROR_down"),
    ("down", None, "n1", {}, "ADMIN_down"),
    ("offline", None, "n1", {}, "ADMIN_offline"),
    ("up", None, "n2", {}, "ERROR_nodeoffline"),
    ("up", None, "n3", {}, "ERROR_nodedown"),
    ("up", {"memory": 1}, "n1", {"wrongnode_inst": ["i1"]}, "ERROR_wrongnode"),
    ("up", {"state": "shutdown"}, "n1", {}, "ERROR_down"),
    ("down", None, "n1", {"admin_state_source": "user"}, "USER_down"),
])
def test_instance_status(admin_state, live, primary, extra, status):
    source = extra.pop("admin_state_source", "admin")
    inst = _Instance("i", "i1", admin_state=admin_state, primary_node=primary,
                     admin_state_source=source)
    data = _InstanceData([inst], live_data={"i1": live} if live else {},
                         offline_node_uuids=["n2"],
                         bad_node_uuids=["n2", "n3"], **extra)
    rows = query.Query(query.INSTANCE_FIELDS, ["status", "oper_state"]) \
        .Query(data)
    assert rows[0][0] == [C.RS_NORMAL, status]
    if primary in ("n2", "n3"):
        assert rows[0][1] == [C.RS_NODATA, None]


def test_instance_user_down_with_user_shutdown_enabled():
    inst = _Instance("i", "i1")
    data = _InstanceData([inst], live_data={"i1": {"state": "shutdown"}})
    data.cluster.enabled_user_shutdown = True
    assert query.Query(query.INSTANCE_FIELDS, ["status"]) \
        .OldStyleQuery(data) == [["USER_down"]]


def test_instance_filters():
    insts = [_Instance("web1.example.com", "i1", tags=["web", "prod"]),
             _Instance("web2.example.com", "i2", admin_state="down",
                       tags=["web"]),
             _Instance("db1.example.com", "i3", tags=["db"])]
    data = _InstanceData(insts)

    def names(qfilter):
        q = query.Query(query.INSTANCE_FIELDS, ["name"], qfilter)
        return [row[0] for row in q.OldStyleQuery(data)]
    assert names(["=~", "name", "^web"]) == ["web1.example.com",
                                             "web2.example.com"]
    assert names(["=[]", "tags", "prod"]) == ["web1.example.com"]
    assert names(["?", "admin_up"]) == ["db1.example.com", "web1.example.com"]
    assert names(["!", ["?", "admin_up"]]) == ["web2.example.com"]
    assert names(["&", ["=[]", "tags", "web"], ["=", "admin_state", "up"]]) \
        == ["web1.example.com"]
    assert names(["|", ["=", "name", "db1"], ["=", "name", "web2"]]) == [
        "db1.example.com", "web2.example.com"]
    assert names(["&"]) == ["db1.example.com", "web1.example.com",
                            "web2.example.com"]
    assert names(["|"]) == []
    assert names([">", "disk.count", 0]) == []
    assert names(["<=", "nic.count", 1]) == ["db1.example.com",
                                             "web1.example.com",
                                             "web2.example.com"]
    assert names(["<", "name", 5]) == []          # incomparable: no match
    # abnormal values never match
    assert names(["=", "network_port", None]) == []
    q = query.Query(query.INSTANCE_FIELDS, ["name"], ["=", "oper_ram", 128])
    assert q.RequestedData() == {query_instance.IQ_CONFIG,
                                 query_instance.IQ_LIVE}


@pytest.mark.parametrize("qfilter", [
    "name", ["&", []], ["=", "name"], ["=", "name", "a", "b"], ["!", "a", "b"],
    ["?", "nosuch"], ["=", "nosuch", 1], ["~~", "name", 1],
    ["=~", "name", "("], ["=~", "name", 1], [1, "name", 1],
    ["&", ["=", "name"]], ["=", 5, 1], ["=", "name", {"a": 1}]])
def test_bad_filters(qfilter):
    with pytest.raises(errors.ParameterError):
        query.Query(query.INSTANCE_FIELDS, ["name"], qfilter)


def test_unknown_fields():
    q = query.Query(query.NODE_FIELDS, ["name", "foo", "bar"])
    assert [f.kind for f in q.GetFields()] == ["text", "unknown", "unknown"]
    assert q.GetUnknownFields() == ["foo", "bar"]
    rows = q.Query(_NodeData([_Node("n", "n1")]))
    assert rows == [[[0, "n"], [1, None], [1, None]]]
    with pytest.raises(errors.OpPrereqError) as err:
        q.OldStyleQuery(_NodeData([_Node("n", "n1")]))
    assert "foo" in str(err.value) and err.value.args[1] == errors.ECODE_INVAL
    response = query.GetQueryResponse(q, _NodeData([_Node("n", "n1")]))
    assert opcodes.TQueryResult(response)
    assert response["fields"][1] == {"name": "foo", "title": "foo",
                                     "kind": "unknown",
                                     "doc": "Unknown field 'foo'"}


# ------------------------------------------------------------ groups/cluster

def test_group_and_cluster_rows():
    cluster = NS(ndparams=CLUSTER_ND, ipolicy={"vcpu-ratio": 4.0,
                                               "std": {"cpu-count": 1}},
                 diskparams={"drbd": {"resync-rate": 1024}},
                 cluster_name="cluster.example.com", master_node="n1",
                 volume_group_name=None, tags=["c"], ctime=1.0, mtime=2.0)
    group = NS(name="default", uuid="g1", alloc_policy="preferred",
               ndparams={"ssh_port": 2222}, ipolicy={"std": {"nic-count": 2}},
               diskparams={"drbd": {"metavg": "xenvg"}}, tags=[],
               serial_no=1, ctime=1.0, mtime=1.0)
    data = query_node.GroupQueryData(cluster, [group],
                                     {"g1": ["node2", "node10", "node1"]},
                                     {"g1": ["i1"]})
    fields = ["name", "node_cnt", "node_list", "pinst_cnt", "alloc_policy",
              "ndp/ssh_port", "ipolicy", "diskparams", "custom_ndparams"]
    row = query.Query(query.GROUP_FIELDS, fields).OldStyleQuery(data)[0]
    assert row == ["default", 3, ["node1", "node2", "node10"], 1, "preferred",
                   2222, {"vcpu-ratio": 4.0,
                          "std": {"cpu-count": 1, "nic-count": 2}},
                   {"drbd": {"resync-rate": 1024, "metavg": "xenvg"}},
                   {"ssh_port": 2222}]
    cdata = query_node.ClusterQueryData(
        cluster, {"n1": NS(name="node1.example.com")}, drain_flag=False,
        watcher_pause=None)
    fields = ["cluster_name", "master_node", "drain_flag", "watcher_pause",
              "software_version", "protocol_version", "volume_group_name",
              "name", "architecture"]
    row = query.Query(query.CLUSTER_FIELDS, fields).Query(cdata)[0]
    assert row[:8] == [[0, "cluster.example.com"], [0, "node1.example.com"],
                       [0, False], [3, None], [0, C.RELEASE_VERSION],
                       [0, C.PROTOCOL_VERSION], [3, None],
                       [0, "cluster.example.com"]]
    assert row[8][0] == 0 and len(row[8][1]) == 2


# ------------------------------------------------------------ jobs

def _JobFile(job_id, statuses, input_op=None, prios=None):
    ops = []
    for idx, status in enumerate(statuses):
        ops.append({"input": input_op or {"OP_ID": "OP_CLUSTER_POST_INIT"},
                    "status": status, "result": True if status == "success"
                    else None, "log": [], "priority":
                    (prios or [0] * len(statuses))[idx],
                    "start_timestamp": [1795278895, 786311],
                    "exec_timestamp": [1795278895, 790000],
                    "end_timestamp": [1795278895, 852338]})
    return {"id": job_id, "ops": ops,
            "received_timestamp": [1795278895, 543317],
            "start_timestamp": [1795278895, 786311],
            "end_timestamp": [1795278895, 852338]}


def test_job_rows_like_upstream():
    fields = ["id", "ops", "status", "summary", "opstatus", "received_ts",
              "start_ts", "end_ts", "oplog", "opresult", "priority",
              "archived", "oppriority", "opexec"]
    job = _JobFile(1, ["success"])
    row = query.Query(query.JOB_FIELDS, fields).OldStyleQuery(
        query_misc.JobQueryData([job]))[0]
    assert dict(zip(fields, row)) == {
        "id": 1, "ops": [{"OP_ID": "OP_CLUSTER_POST_INIT"}],
        "status": "success", "summary": ["CLUSTER_POST_INIT"],
        "opstatus": ["success"], "received_ts": [1795278895, 543317],
        "start_ts": [1795278895, 786311], "end_ts": [1795278895, 852338],
        "oplog": [[]], "opresult": [True], "priority": 0, "archived": False,
        "oppriority": [0], "opexec": [[1795278895, 790000]]}


def test_job_summaries_status_priority_and_missing_jobs():
    delay = {"OP_ID": "OP_TEST_DELAY", "duration": 0.001}
    jobs = [(3, _JobFile(3, ["success", "running", "queued"], delay,
                         prios=[0, 10, -10]), False),
            (12, None, False),
            (2, _JobFile(2, ["error", "error"]), True)]
    q = query.Query(query.JOB_FIELDS, ["id", "status", "priority", "summary",
                                       "archived"])
    rows = q.Query(query_misc.JobQueryData(jobs))
    assert rows == [
        [[0, 2], [0, "error"], [0, 0], [0, ["CLUSTER_POST_INIT"] * 2],
         [0, True]],
        [[0, 3], [0, "running"], [0, -10], [0, ["TEST_DELAY(1.0e-3)"] * 3],
         [0, False]],
        [[0, 12], [3, None], [3, None], [3, None], [3, None]]]


@pytest.mark.parametrize("statuses,expected", [
    (["success", "success"], "success"),
    (["queued", "queued"], "queued"),
    (["success", "queued"], "queued"),
    (["waiting", "queued"], "waiting"),
    (["success", "running", "queued"], "running"),
    (["canceling", "queued"], "canceling"),
    (["success", "error", "error"], "error"),
    (["canceled", "canceled"], "canceled"),
    (["error", "running"], "error")])
def test_job_status(statuses, expected):
    assert query_misc.CalcJobStatus(statuses) == expected


def test_job_filters():
    jobs = query_misc.JobQueryData([_JobFile(i, ["success"])
                                    for i in (1, 2, 10)])
    q = query.MakeQuery(C.QR_JOB, ["id"], ["|", ["=", "id", "2"],
                                           ["=", "id", 10]])
    assert q.RequestedNames() == [2, 10]
    assert q.OldStyleQuery(jobs) == [[2], [10]]
    q = query.Query(query.JOB_FIELDS, ["id"],
                    [">", "received_ts", 1795278895.5])
    assert q.OldStyleQuery(jobs) == [[1], [2], [10]]
    q = query.Query(query.JOB_FIELDS, ["id"],
                    ["<", "received_ts", 1795278895.5])
    assert q.OldStyleQuery(jobs) == []


# ------------------------------------------------------------ misc resources

def test_lock_export_os_network_rows():
    locks = query_misc.SimpleQueryData([
        ("node/n2", None, None, []),
        ("cluster/BGL", "shared", ["job/1", "job/2"],
         [["exclusive", ["job/3"]]])])
    rows = query.MakeQuery(C.QR_LOCK, ["name", "mode", "owner", "pending"]) \
        .OldStyleQuery(locks)
    assert rows == [["cluster/BGL", "shared", ["job/1", "job/2"],
                     [["exclusive", ["job/3"]]]],
                    ["node/n2", None, None, []]]
    exports = query_misc.SimpleQueryData([("node2", "inst1"), ("node1", None)])
    assert query.MakeQuery(C.QR_EXPORT, ["node", "export"]).Query(exports) == \
        [[[0, "node1"], [3, None]], [[0, "node2"], [0, "inst1"]]]
    oses = query_misc.SimpleQueryData([
        query_misc.OsInfo(name="noop", valid=True, hidden=False,
                          variants=["default", "minimal"]),
        {"name": "debootstrap", "valid": False}])
    assert query.MakeQuery(C.QR_OS, ["name", "valid", "variants"]) \
        .OldStyleQuery(oses) == [["debootstrap", False, None],
                                 ["noop", True, ["default", "minimal"]]]
    net = NS(name="lan", uuid="net1", network="10.1.0.0/24", gateway=None,
             network6=None, gateway6=None, mac_prefix=None, tags=[],
             serial_no=1, ctime=1.0, mtime=1.0)
    ndata = query_misc.NetworkQueryData(
        [net], {"net1": [("default", "bridged", "br0")]},
        {"net1": ["i10", "i9"]}, {"net1": {"free_count": 250,
                                           "reserved_count": 4,
                                           "map": "X..", "external_"
                                           "reservations": "10.1.0.1"}})
    row = query.MakeQuery(C.QR_NETWORK, ["name", "gateway", "group_list",
                                         "inst_list", "free_count", "map"]) \
        .Query(ndata)[0]
    assert row == [[0, "lan"], [3, None], [0, [("default", "bridged", "br0")]],
                   [0, ["i9", "i10"]], [0, 250], [0, "X.."]]


def test_nice_sort_key():
    names = ["node10", "node9", "node1a", "node1", "a", "node01b"]
    assert sorted(names, key=query.NiceSortKey) == [
        "a", "node1", "node1a", "node01b", "node9", "node10"]


def test_match_name_component():
    assert query.MatchNameComponent("node1", "node1.example.com")
    assert query.MatchNameComponent("NODE1.example", "node1.example.com")
    assert query.MatchNameComponent("node1.example.com", "node1.example.com")
    assert not query.MatchNameComponent("node", "node1.example.com")
    assert not query.MatchNameComponent("node1.example.com.",
                                        "node1.example.com")
