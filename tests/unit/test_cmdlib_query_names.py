"""Query name selection as upstream: short names, unknown names are
errors, rows in the order the names were given."""

from types import SimpleNamespace

import pytest

from ganeti import constants as C
from ganeti import errors
from ganeti.cmdlib import query
from instance_fakes import Context, FakeNodes, MakeConfig


def test_short_and_full_names_match():
    assert query._NameMatches("node1.example.test", "node1")
    assert query._NameMatches("node1.example.test", "node1.example.test")
    assert not query._NameMatches("node10.example.test", "node1")
    assert not query._NameMatches("node1.example.test", "node")


def test_select_wanted_by_uuid_or_name_in_given_order():
    one = SimpleNamespace(name="inst1.example.test", uuid="u-1")
    two = SimpleNamespace(name="inst2.example.test", uuid="u-2")
    assert query.SelectWanted([one, two], ["inst2", "u-1"],
                              "Instance") == [two, one]
    assert query.SelectWanted([one, two], None, "Instance") == [one, two]
    with pytest.raises(errors.OpPrereqError) as err:
        query.SelectWanted([one, two], ["inst3"], "Instance")
    assert err.value.args == ("Instance name inst3 not found",
                              errors.ECODE_NOENT)


def test_select_wanted_ambiguous_short_name():
    one = SimpleNamespace(name="web.a.test", uuid="u-1")
    two = SimpleNamespace(name="web.b.test", uuid="u-2")
    with pytest.raises(errors.OpPrereqError) as err:
        query.SelectWanted([one, two], ["web"], "Node")
    assert err.value.args == ("Node name web has multiple matches",
                              errors.ECODE_NOENT)


def _NameFilter(names):
    return ["|"] + [["=", "name", name] for name in names]


@pytest.fixture
def context(tmp_path):
    return Context(MakeConfig(str(tmp_path / "config.data")), FakeNodes())


@pytest.mark.parametrize("what,name,kind", [
    ("node", "nosuch", "Node"), ("instance", "NOSUCH", "Instance"),
    ("group", "nosuch", "NodeGroup"), ("network", "nosuch", "Network")])
def test_unknown_name_is_an_error_in_every_query_path(context, what, name,
                                                      kind):
    message = ("%s name %s not found" % (kind, name), errors.ECODE_NOENT)
    with pytest.raises(errors.OpPrereqError) as err:
        query.RunQuery(context, what, ["name"], _NameFilter([name]))
    assert err.value.args == message
    with pytest.raises(errors.OpPrereqError) as err:
        query.RunOldStyleQuery(context, what, [name], ["name"])
    assert err.value.args == message


def test_unknown_name_among_known_ones(context):
    with pytest.raises(errors.OpPrereqError) as err:
        query.RunQuery(context, "node", ["name"],
                       _NameFilter(["node1", "node9"]))
    assert err.value.args[0] == "Node name node9 not found"


def test_rows_follow_the_order_of_the_names(context):
    names = ["node3", "node1", "node2"]
    result = query.RunQuery(context, "node", ["name"], _NameFilter(names))
    assert [row[0][1] for row in result["data"]] == \
        ["%s.example.com" % name for name in names]
    rows = query.RunOldStyleQuery(context, "node", names, ["name"])
    assert [row[0] for row in rows] == \
        ["%s.example.com" % name for name in names]


def test_rows_sorted_without_names(context):
    result = query.RunQuery(context, "node", ["name"], None)
    assert [row[0][1] for row in result["data"]] == \
        ["node%d.example.com" % idx for idx in (1, 2, 3)]


class _Queue:
    def __init__(self, known):
        self.known = known

    def GetJobsSerialized(self, ids=None):
        ids = ids or sorted(self.known)
        return [{"id": jid, "ops": [], "archived": False}
                if jid in self.known else None for jid in ids]


def test_jobs_in_given_order_and_unknown_ids_unavailable(context):
    context.jobqueue = _Queue({1, 2, 3})
    result = query.RunQuery(context, "job", ["id", "ops"],
                            ["|", ["=", "id", 3], ["=", "id", 9],
                             ["=", "id", 1]])
    assert [row[0][1] for row in result["data"]] == [3, 9, 1]
    assert result["data"][1][1] == [C.RS_UNAVAIL, None]
