"""Tests for ganeti.qlang (the -F filter language)."""

import re

import pytest

from ganeti import errors
from ganeti import qlang
from ganeti import query
from ganeti.query import misc as query_misc


@pytest.mark.parametrize("text,expected", [
    ('name == "foo"', ["=", "name", "foo"]),
    ("name == 'foo'", ["=", "name", "foo"]),
    ('name != "foo"', ["!=", "name", "foo"]),
    ("disk.count >= 2", [">=", "disk.count", 2]),
    ("disk.count <= 2", ["<=", "disk.count", 2]),
    ("be/vcpus < 4", ["<", "be/vcpus", 4]),
    ("mfree > 1024", [">", "mfree", 1024]),
    ("x == -1", ["=", "x", -1]),
    ("x == 1.5", ["=", "x", 1.5]),
    ("x == 2e3", ["=", "x", 2000.0]),
    ("x == true", ["=", "x", True]),
    ("x == False", ["=", "x", False]),
    ('x == ["a", 1]', ["=", "x", ["a", 1]]),
    ("x == []", ["=", "x", []]),
    (r'name == "a\"b"', ["=", "name", 'a"b']),
    ("hv/kernel_path == '/boot/vmlinuz'",
     ["=", "hv/kernel_path", "/boot/vmlinuz"]),
    ("nic.ip/0 == '10.0.0.1'", ["=", "nic.ip/0", "10.0.0.1"]),
    ("admin_up", ["?", "admin_up"]),
    ("not admin_up", ["!", ["?", "admin_up"]]),
    ("not not admin_up", ["!", ["!", ["?", "admin_up"]]]),
    ("((admin_up))", ["?", "admin_up"]),
    ("name =~ m/^web/", ["=~", "name", "^web"]),
    ("name =~ m/^web/i", ["=~", "name", "(?i)^web"]),
    ("name =~ m/a\\/b/", ["=~", "name", "a/b"]),
    ("name =~ m{a/b}", ["=~", "name", "a/b"]),
    ("name =~ m#x#", ["=~", "name", "x"]),
    ("name =~ /x+/s", ["=~", "name", "(?s)x+"]),
    ('name =~ "^x$"', ["=~", "name", "^x$"]),
    ("name !~ m/x/", ["!", ["=~", "name", "x"]]),
    ('"web" in tags', ["=[]", "tags", "web"]),
    ('"web" not in tags', ["!", ["=[]", "tags", "web"]]),
    ("1 in disk.sizes", ["=[]", "disk.sizes", 1]),
    ('name in ["a", "b"]', ["|", ["=", "name", "a"], ["=", "name", "b"]]),
    ('name not in ["a"]', ["!", ["|", ["=", "name", "a"]]]),
    ("a and b", ["&", ["?", "a"], ["?", "b"]]),
    ("a and b and c", ["&", ["?", "a"], ["?", "b"], ["?", "c"]]),
    ("a or b or c", ["|", ["?", "a"], ["?", "b"], ["?", "c"]]),
    ("a or b and c", ["|", ["?", "a"], ["&", ["?", "b"], ["?", "c"]]]),
    ("(a or b) and c", ["&", ["|", ["?", "a"], ["?", "b"]], ["?", "c"]]),
    ("not a and b", ["&", ["!", ["?", "a"]], ["?", "b"]]),
    ("not (a == 1 or b)", ["!", ["|", ["=", "a", 1], ["?", "b"]]]),
    ('status == "running" and pnode =~ m/node1/',
     ["&", ["=", "status", "running"], ["=~", "pnode", "node1"]]),
    ("  name=='x'  ", ["=", "name", "x"]),
    ("android == 1", ["=", "android", 1]),       # keyword prefix in a name
    ("order", ["?", "order"]),
])
def test_parse(text, expected):
    assert qlang.ParseFilter(text) == expected


@pytest.mark.parametrize("text,column", [
    ("", 1), ("== 1", 1), ("name ==", 6), ("a and", 6), ("a or or b", 5),
    ('name == "open', 6), ("(a", 3), ("a)", 2), ("name == foo", 6),
    ("name =~ m/x/q", 9), ("name =~ m/(/", 9), ("1 == name", 1),
    ("and", 1), ("name == [[1]]", 6), ("name in tags", 6),
])
def test_syntax_errors(text, column):
    with pytest.raises(qlang.QueryFilterParseError) as err:
        qlang.ParseFilter(text)
    exc = err.value
    assert isinstance(exc, errors.ParseError)
    msg = exc.args[0]
    assert "\n" not in msg
    assert msg.startswith("Failed to parse query filter at position")
    assert "column %d" % column in msg, msg
    details = exc.GetDetails()
    assert details[0] == text
    assert details[1] == " " * (column - 1) + "^"


def test_bad_regex_flag_is_reported():
    with pytest.raises(qlang.QueryFilterParseError) as err:
        qlang.ParseFilter("name =~ m/x/q")
    assert "flag" in err.value.args[0]


def test_make_simple_filter():
    assert qlang.MakeSimpleFilter("name", []) is None
    assert qlang.MakeSimpleFilter("name", None) is None
    assert qlang.MakeSimpleFilter("name", ["a", "b"]) == \
        ["|", ["=", "name", "a"], ["=", "name", "b"]]


def test_make_filter_names_and_globs():
    assert qlang.MakeFilter([], False) is None
    assert qlang.MakeFilter(["inst1"], False) == ["|", ["=", "name", "inst1"]]
    assert qlang.MakeFilter(["a", "b"], False, namefield="node") == \
        ["|", ["=", "node", "a"], ["=", "node", "b"]]
    result = qlang.MakeFilter(["web*", "db?"], False)
    assert result[0] == "|" and result[1][:2] == ["=~", "name"]
    web, db = result[1][2], result[2][2]
    assert re.match(web, "web1.example.com") and re.match(web, "web")
    assert not re.match(web, "xweb1") and not re.match(web, "db1")
    assert re.match(db, "db1.example.com") and not re.match(db, "db12")


def test_make_filter_numeric():
    assert qlang.MakeFilter(["1", "23"], False, namefield="id",
                            isnumeric=True) == \
        ["|", ["=", "id", 1], ["=", "id", 23]]
    with pytest.raises(errors.OpPrereqError) as err:
        qlang.MakeFilter(["x"], False, namefield="id", isnumeric=True)
    assert err.value.args[1] == errors.ECODE_INVAL


def test_make_filter_detects_expressions():
    assert qlang.MakeFilter(['name == "a"'], False) == ["=", "name", "a"]
    assert qlang.MakeFilter(["admin_up"], True) == ["?", "admin_up"]
    assert qlang.MakeFilter(["(admin_up)"], False) == ["?", "admin_up"]
    with pytest.raises(errors.OpPrereqError) as err:
        qlang.MakeFilter(["a", "b"], True)
    assert err.value.args[1] == errors.ECODE_INVAL
    with pytest.raises(errors.OpPrereqError):
        qlang.MakeFilter([], True)
    with pytest.raises(qlang.QueryFilterParseError):
        qlang.MakeFilter(["name =="], False)


def test_parsed_filters_run_in_queries():
    jobs = [{"id": i, "ops": [{"input": {"OP_ID": op_id}, "status": status,
                               "priority": 0}]}
            for i, op_id, status in [(1, "OP_CLUSTER_VERIFY", "success"),
                                     (2, "OP_OS_DIAGNOSE", "error"),
                                     (10, "OP_CLUSTER_VERIFY", "running")]]
    data = query_misc.JobQueryData(jobs)

    def ids(text):
        qfilter = qlang.ParseFilter(text)
        return [row[0] for row in
                query.Query(query.JOB_FIELDS, ["id"], qfilter)
                .OldStyleQuery(data)]
    assert ids('status == "success" or status == "error"') == [1, 2]
    assert ids('"CLUSTER_VERIFY" in summary') == [1, 10]
    assert ids("id >= 2 and not archived") == [2, 10]
    assert ids('status =~ m/^ERR/i') == [2]
    assert ids("id in [1, 10]") == [1, 10]
    assert ids("id not in [1, 10]") == [2]
    assert ids('status != "running"') == [1, 2]
    with pytest.raises(errors.ParameterError):
        ids("nosuchfield == 1")
