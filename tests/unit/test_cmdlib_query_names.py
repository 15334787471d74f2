"""Old-style queries accept short node/instance names, as upstream does."""

from types import SimpleNamespace

from ganeti.cmdlib import query


def test_short_and_full_names_match():
    assert query._NameMatches("node1.example.test", "node1")
    assert query._NameMatches("node1.example.test", "node1.example.test")
    assert not query._NameMatches("node10.example.test", "node1")
    assert not query._NameMatches("node1.example.test", "node")


def test_wanted_by_uuid_or_name():
    obj = SimpleNamespace(name="inst1.example.test", uuid="u-1")
    assert query._Wanted(obj, ["u-1"])
    assert query._Wanted(obj, ["inst1"])
    assert not query._Wanted(obj, ["inst2"])
