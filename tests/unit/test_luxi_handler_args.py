"""LUXI methods accept the argument shapes upstream's clients send (short
argument lists, nulls, empty lists, unknown job ids); wrongly typed
arguments get a one-line OpPrereqError, never a traceback."""

import os
import types

import pytest

from ganeti import errors
from ganeti import jqueue
from ganeti import luxi
from ganeti import opcodes_base
from ganeti.server import luxi_handler
from ganeti.server import luxi_server
from instance_fakes import Context, FakeNodes, MakeConfig
from test_jqueue import FakeProcessor

NODES = ["node1.example.com", "node2.example.com", "node3.example.com"]


@pytest.fixture
def handler(ganeti_root):
    ctx = Context(MakeConfig(os.path.join(ganeti_root, "config.data")),
                  FakeNodes())
    ctx.jobqueue = jqueue.JobQueue(types.SimpleNamespace(), FakeProcessor,
                                   workers=1,
                                   op_loader=opcodes_base.LoadOpCode,
                                   replicate_fn=lambda *args: None)
    try:
        yield luxi_handler.LuxiHandler(ctx)
    finally:
        ctx.jobqueue.Shutdown(timeout=5)


def _Names(result):
    return [row[0][1] for row in result["data"]]


@pytest.mark.parametrize("args", [
    ["node", ["name"]], ["node", ["name"], None], ["node", ["name"], []]])
def test_query_without_filter(handler, args):
    assert _Names(handler("Query", args)) == NODES


@pytest.mark.parametrize("method,args,expected", [
    ("QueryFields", ["node", ["name"]], {"fields": [
        {"name": "name", "title": "Node", "kind": "text",
         "doc": "Node name"}]}),
    ("QueryNodes", [None, ["name"], False], [[n] for n in NODES]),
    ("QueryNodes", [[], ["name"]], [[n] for n in NODES]),
    ("QueryGroups", [[], ["name"], False], [["default"]]),
    ("QueryInstances", [None, ["name"], False], []),
    ("QueryConfigValues", [["cluster_name", "nosuch"]],
     ["cluster.example.com", None]),
    ("QueryConfigValues", ["cluster_name"], ["cluster.example.com"]),
    ("QueryConfigValues", [[]], []),
    ("QueryTags", ["cluster"], []),
    ("QueryJobs", [[999], ["id"]], [None]),
    ("QueryJobs", [None, ["id"]], []),
    ("QueryJobs", [[], ["id"]], []),
    ("CancelJob", [999], [False, "Job 999 not found"]),
    ("ArchiveJob", [999], False),
    ("ChangeJobPriority", [999, 0], [False, "Job 999 not found"]),
    ("WaitForJobChange", [999, ["status"], None, None], None),
    ("AutoArchiveJobs", [-1], [0, 0]),
    ("SubmitManyJobs", [[]], []),
    ("SetWatcherPause", [None], None),
])
def test_well_formed_shapes_are_answered(handler, method, args, expected):
    result = handler(method, args)
    if isinstance(result, tuple):
        result = list(result)
    assert result == expected


def test_null_args_for_a_method_without_arguments(handler):
    assert handler("QueryClusterInfo", None)["name"] == "cluster.example.com"
    method, args, _ = luxi.ParseRequest(
        b'{"method": "QueryClusterInfo", "args": null}')
    assert (method, args) == ("QueryClusterInfo", None)


@pytest.mark.parametrize("method,args,message", [
    ("Query", ["node", None],
     "Invalid argument 'fields' for LUXI method Query: expected a list of"
     " strings, got null"),
    ("Query", ["node", ["name"], "bad"],
     "Invalid argument 'qfilter' for LUXI method Query: expected a list or"
     " null, got \"bad\""),
    ("Query", [["node"], ["name"]],
     "Invalid argument 'what' for LUXI method Query: expected a string,"
     " got [\"node\"]"),
    ("QueryNodes", ["node1", ["name"], False],
     "Invalid argument 'names' for LUXI method QueryNodes: expected a list"
     " of strings, got \"node1\""),
    ("QueryJobs", [5, ["id"]],
     "Invalid argument 'job_ids' for LUXI method QueryJobs: expected a"
     " list, got 5"),
    ("QueryJobs", [["abc"], ["id"]], "Invalid job ID 'abc'"),
    ("WaitForJobChange", [1, ["status"], None, None, "x"],
     "Invalid argument 'timeout' for LUXI method WaitForJobChange: expected"
     " a number, got \"x\""),
    ("AutoArchiveJobs", ["x", 10],
     "Invalid argument 'age' for LUXI method AutoArchiveJobs: expected a"
     " number, got \"x\""),
    ("SetWatcherPause", ["abc"],
     "Invalid argument 'until' for LUXI method SetWatcherPause: expected a"
     " number, got \"abc\""),
    ("QueryTags", ["nosuchkind", "x"],
     "Invalid argument 'kind' for LUXI method QueryTags: expected one of"
     " cluster, instance, network, node, nodegroup, got \"nosuchkind\""),
    ("SubmitManyJobs", [None],
     "Invalid argument 'jobs' for LUXI method SubmitManyJobs: expected a"
     " list, got null"),
])
def test_wrong_types_are_a_clear_error(handler, method, args, message):
    with pytest.raises(errors.OpPrereqError) as err:
        handler(method, args)
    assert err.value.args == (message, errors.ECODE_INVAL)


def test_wrong_argument_count_is_a_protocol_error(handler):
    with pytest.raises(errors.ProtocolError) as err:
        handler("SetDrainFlag", [])
    assert str(err.value) == ("Invalid arguments for LUXI method"
                              " SetDrainFlag: missing a required argument:"
                              " 'flag'")


def test_short_query_through_a_real_socket(handler, ganeti_root):
    path = os.path.join(ganeti_root, "socket", "ganeti-query")
    srv = luxi_server.LuxiServer([path], handler)
    try:
        cl = luxi.Client(path)
        assert _Names(cl.CallMethod("Query", ["node", ["name"]])) == NODES
        assert cl.QueryJobs([12345], ["id"]) == [None]
        with pytest.raises(errors.OpPrereqError):
            cl.CallMethod("Query", ["node", None])
        cl.Close()
    finally:
        srv.Shutdown()
