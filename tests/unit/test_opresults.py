"""Opcode results have upstream's shapes: each opcode below runs through
the processor (which checks the result against OP_RESULT) on the fake
cluster of instance_fakes, and the parts clients unpack are checked."""

import pytest

from ganeti import constants as C
from ganeti import errors
from ganeti import ht
from ganeti import mcpu
from ganeti import opcodes

from instance_fakes import MASTER, Context, FakeNodes, MakeConfig

INST = "inst1.example.com"


@pytest.fixture
def ctx(tmp_path):
    context = Context(MakeConfig(str(tmp_path / "config.data")), FakeNodes())
    context.Run(opcodes.OpInstanceCreate(
        instance_name=INST, mode=C.INSTANCE_CREATE, disk_template="file",
        disks=[{"size": 64}], nics=[{}], os_type="debootstrap+default",
        pnode=MASTER, name_check=False, ip_check=False,
        beparams={"memory": 128}))
    return context


def test_os_diagnose_node_status_entries(ctx):
    rows = ctx.Run(opcodes.OpOsDiagnose(
        output_fields=["name", "valid", "node_status"], names=[]))
    by_name = {row[0]: row for row in rows}
    assert by_name["debootstrap"][1] is True
    node_status = by_name["debootstrap"][2]
    assert sorted(node_status) == ["node-uuid-1", "node-uuid-2",
                                   "node-uuid-3"]
    for entries in node_status.values():
        # (path, status, diagnose, variants, parameters, api_versions,
        #  trusted) per definition found, first one used
        (path, status, diagnose, variants, params, api_versions,
         trusted) = entries[0]
        assert (path, status, diagnose) == \
            ("/srv/ganeti/os/debootstrap", True, "")
        assert variants == ["default", "minimal"] and params == []
        assert api_versions == [20] and trusted is True


def test_instance_query_data_disk_status_is_7_tuple(ctx):
    disk = ctx.Run(opcodes.OpInstanceQueryData(
        instances=[INST]))[INST]["disks"][0]
    (path, major, minor, sync, est, degraded, ldisk) = disk["pstatus"]
    assert path == disk["logical_id"][1]
    assert (major, minor, sync, est) == (None, None, None, None)
    assert degraded is False and ldisk == 1  # LDS_OKAY


def test_tags_results(ctx):
    assert ctx.Run(opcodes.OpTagsSet(kind=C.TAG_INSTANCE, name=INST,
                                     tags=["b", "a"])) is None
    assert ctx.Run(opcodes.OpTagsGet(kind=C.TAG_INSTANCE,
                                     name=INST)) == ["a", "b"]
    found = ctx.Run(opcodes.OpTagsSearch(pattern="^a$"))
    assert [tuple(item) for item in found] == [("/instances/%s" % INST, "a")]
    assert ctx.Run(opcodes.OpTagsDel(kind=C.TAG_INSTANCE, name=INST,
                                     tags=["a"])) is None


def test_cluster_and_query_results(ctx):
    info = ctx.Run(opcodes.OpClusterQuery())
    assert info["name"] == "cluster.example.com" and info["master"] == MASTER
    assert ctx.Run(opcodes.OpClusterConfigQuery(
        output_fields=["cluster_name", "master_node"])) == \
        ["cluster.example.com", MASTER]
    result = ctx.Run(opcodes.OpQuery(what=C.QR_INSTANCE,
                                     fields=["name", "oper_ram"]))
    assert [f["name"] for f in result["fields"]] == ["name", "oper_ram"]
    assert result["data"] == [[[C.RS_NORMAL, INST], [C.RS_NORMAL, 128]]]
    fields = ctx.Run(opcodes.OpQueryFields(what=C.QR_NODE, fields=["name"]))
    assert [f["name"] for f in fields["fields"]] == ["name"]
    console = ctx.Run(opcodes.OpInstanceConsole(instance_name=INST))
    assert console["instance"] == INST and console["kind"] == "msg"


def test_verify_results(ctx):
    assert ctx.Run(opcodes.OpClusterVerify()) == \
        {"jobs": [[True, 100], [True, 101]]}
    assert ctx.Run(opcodes.OpClusterVerifyDisks()) == {"jobs": [[True, 100]]}
    assert isinstance(ctx.Run(opcodes.OpClusterVerifyConfig()), bool)
    assert ctx.Run(opcodes.OpGroupVerifyDisks(group_name="default")) == \
        ({}, [], {})


def test_mismatching_result_fails_the_opcode(ctx, monkeypatch):
    monkeypatch.setattr(opcodes.OpTagsGet, "OP_RESULT",
                        ht.TListOf(ht.TInt))
    ctx.Run(opcodes.OpTagsSet(kind=C.TAG_CLUSTER, tags=["t1"]))
    with pytest.raises(errors.OpResultError) as err:
        ctx.Run(opcodes.OpTagsGet(kind=C.TAG_CLUSTER))
    assert str(err.value).startswith(
        "Opcode OP_TAGS_GET: result does not match List of Integer: ")


def test_check_op_result_truncates_long_results():
    op = opcodes.OpTestDelay(duration=1.0)
    mcpu.CheckOpResult(op, None)
    with pytest.raises(errors.OpResultError) as err:
        mcpu.CheckOpResult(op, "x" * 500)
    assert str(err.value) == ("Opcode OP_TEST_DELAY: result does not match"
                              " None: '%s..." % ("x" * 76))
