"""gnt-filter: option parsing, output formats and errors, run against the
master's real LUXI handler and configuration writer (in process)."""

import json

import pytest

from ganeti import cli
from ganeti import luxi
from ganeti.client import gnt_filter
from ganeti.utils.text import NiceSort

from cli_fakes import Run
from filter_fakes import HandlerClient

UUID = "0b7a6d3e-1c2f-4a5b-8c9d-0e1f2a3b4c5d"


@pytest.fixture
def master(monkeypatch, ganeti_root, tmp_path):
    client = HandlerClient(tmp_path)
    monkeypatch.setattr(luxi, "Client", lambda *args, **kwargs: client)
    monkeypatch.setattr(cli, "SetupCliLogging", lambda *args: None)
    return client


def test_add_parses_predicates_action_and_reason(master, capsys):
    predicates = '[["opcode", ["=", "OP_ID", "OP_TAGS_SET"]]]'
    assert Run(gnt_filter, "add", "--priority", "3", "--predicates",
               predicates, "--action", "RATE_LIMIT 5",
               "--reason", "maintenance") == 0
    uuid = capsys.readouterr().out.strip()
    rule = master.Stored()[uuid]
    assert rule["priority"] == 3
    assert rule["predicates"] == json.loads(predicates)
    assert rule["action"] == ["RATE_LIMIT", 5]
    assert rule["watermark"] == 41
    assert [entry[:2] for entry in rule["reason_trail"]] == [
        ["gnt:user", "maintenance"], ["gnt:client:gnt-filter", "add"]]
    assert master.queue.changed == 1


def test_add_defaults_and_simple_actions(master, capsys):
    assert Run(gnt_filter, "add") == 0
    rule = master.Stored()[capsys.readouterr().out.strip()]
    assert (rule["priority"], rule["predicates"], rule["action"]) == (
        0, [], "CONTINUE")
    for text, stored in [("ACCEPT", "ACCEPT"), ("pause", "PAUSE"),
                         ("REJECT", "REJECT"), ("rate_limit 0",
                                                ["RATE_LIMIT", 0])]:
        assert Run(gnt_filter, "add", "--action", text) == 0
        uuid = capsys.readouterr().out.strip()
        assert master.Stored()[uuid]["action"] == stored


@pytest.mark.parametrize("args,message", [
    (["--action", "DROP"], "option --action: invalid filter action: 'DROP'"),
    (["--action", "RATE_LIMIT"],
     "option --action: invalid filter action: 'RATE_LIMIT'"),
    (["--action", "RATE_LIMIT many"],
     "option --action: invalid filter action: 'RATE_LIMIT many'"),
    (["--predicates", "[[opcode"], "option --predicates: invalid JSON: "),
    (["--priority", "high"], "option --priority: invalid integer value:"
     " 'high'"),
])
def test_bad_options_are_usage_errors(master, capsys, args, message):
    assert Run(gnt_filter, "add", *args) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[:3] == ["Usage", "=====", "  gnt-filter add " +
                       gnt_filter.commands["add"][3]]
    assert err[-1].startswith("gnt-filter: error: " + message)
    assert master.Stored() == {}
    assert not master.calls


@pytest.mark.parametrize("args,detail", [
    (["--predicates", '[["bogus", ["=", "id", 1]]]'],
     "Invalid filter predicate ['bogus', ['=', 'id', 1]]: expected [name,"
     " filter] with name one of jobid, opcode, reason"),
    (["--predicates", '{"opcode": 1}'],
     "Filter predicates must be a list, got {'opcode': 1}"),
    (["--priority", "-1"],
     "Invalid filter priority -1: must be a non-negative integer"),
    (["--action", "RATE_LIMIT -2"],
     "Invalid filter action ['RATE_LIMIT', -2]: expected one of ACCEPT,"
     " CONTINUE, PAUSE, REJECT or [\"RATE_LIMIT\", n]"),
])
def test_rule_refused_by_the_master(master, capsys, args, detail):
    assert Run(gnt_filter, "add", *args) == 1
    assert capsys.readouterr().err.splitlines() == [
        "Failure: prerequisites not met for this operation:",
        "error type: wrong_input, error details:", detail]
    assert master.Stored() == {}


def _Add(capsys, *args):
    assert Run(gnt_filter, "add", *args) == 0
    return capsys.readouterr().out.strip()


def test_list_info_and_list_fields(master, capsys):
    master.queue.highest = 7
    uuid = _Add(capsys, "--predicates", '[["jobid", [">", "id", 9]]]',
                "--action", "REJECT", "--priority", "2")
    trail = master.Stored()[uuid]["reason_trail"]
    assert Run(gnt_filter, "list", "--no-headers", "--separator=|") == 0
    assert capsys.readouterr().out.splitlines() == [
        "%s|7|2|[['jobid', ['>', 'id', 9]]]|REJECT|%s" % (uuid, trail)]
    assert Run(gnt_filter, "list", "-o", "priority,action,uuid") == 0
    assert capsys.readouterr().out.splitlines() == [
        "Priority Action UUID",
        "       2 REJECT %s" % uuid]
    assert Run(gnt_filter, "info", uuid) == 0
    assert capsys.readouterr().out.splitlines() == [
        "UUID: %s" % uuid,
        "  Watermark: 7",
        "  Priority: 2",
        "  Predicates: [['jobid', ['>', 'id', 9]]]",
        "  Action: REJECT",
        "  Reason trail: %s" % trail]
    assert Run(gnt_filter, "list-fields", "--separator=|",
               "--no-headers") == 0
    names = [line.split("|")[0]
             for line in capsys.readouterr().out.splitlines()]
    assert sorted(names) == sorted(gnt_filter._LIST_DEF_FIELDS)


def test_list_and_info_of_several_and_unknown_rules(master, capsys):
    first = _Add(capsys, "--action", "PAUSE")
    second = _Add(capsys, "--action", "ACCEPT")
    assert Run(gnt_filter, "list", "--no-headers", "-o", "uuid") == 0
    assert capsys.readouterr().out.split() == NiceSort([first, second])
    assert Run(gnt_filter, "info") == 0
    uuids = [line.split()[1] for line in capsys.readouterr().out.splitlines()
             if line.startswith("UUID: ")]
    assert uuids == NiceSort([first, second])
    assert Run(gnt_filter, "info", second, first) == 0
    assert [line for line in capsys.readouterr().out.splitlines()
            if line.startswith("UUID: ")] == ["UUID: " + second,
                                              "UUID: " + first]
    for command in ("list", "info"):
        assert Run(gnt_filter, command, UUID) == 1
        assert capsys.readouterr().err.splitlines()[-1] == \
            "Filter uuid %s not found" % UUID


def test_replace_keeps_uuid_and_creates_unknown_one(master, capsys):
    uuid = _Add(capsys, "--action", "PAUSE", "--priority", "4")
    master.queue.highest = 50
    assert Run(gnt_filter, "replace", "--action", "REJECT", uuid) == 0
    assert capsys.readouterr().out.strip() == uuid
    rule = master.Stored()[uuid]
    assert (rule["action"], rule["priority"], rule["watermark"]) == (
        "REJECT", 0, 50)
    assert Run(gnt_filter, "replace", UUID) == 0
    assert capsys.readouterr().out.strip() == UUID
    assert sorted(master.Stored()) == sorted([uuid, UUID])


def test_replace_needs_a_valid_uuid(master, capsys):
    assert Run(gnt_filter, "replace") == 1
    assert capsys.readouterr().err == \
        "Error: Command replace expects 1 argument(s)\n"
    assert Run(gnt_filter, "replace", "not-a-uuid") == 1
    assert capsys.readouterr().err.splitlines()[-1] == \
        "Invalid filter UUID 'not-a-uuid'"
    assert master.Stored() == {}


def test_delete(master, capsys):
    uuid = _Add(capsys, "--action", "PAUSE")
    assert Run(gnt_filter, "delete", uuid) == 0
    assert capsys.readouterr().out == ""
    assert master.Stored() == {}
    assert Run(gnt_filter, "delete", uuid) == 1
    assert capsys.readouterr().err.splitlines() == [
        "Failure: prerequisites not met for this operation:",
        "error type: unknown_entity, error details:",
        "Filter uuid %s not found" % uuid]
    assert Run(gnt_filter, "add", "extra") == 1
    assert capsys.readouterr().err == \
        "Error: Command add expects no arguments\n"


@pytest.mark.parametrize("name", sorted(gnt_filter.commands))
def test_every_subcommand_has_help(name, capsys, monkeypatch):
    monkeypatch.setattr(cli, "SetupCliLogging", lambda *args: None)
    assert cli.GenericMain(gnt_filter.commands,
                           argv=["gnt-filter", name, "--help"]) == 0
    assert capsys.readouterr().out.startswith(
        "Usage\n=====\n  gnt-filter %s " % name)


def test_man_page_documents_every_subcommand_and_option():
    from ganeti.tools import manpages
    page = manpages.RenderManPage("gnt-filter", "gnt_filter",
                                  manpages.PROGRAMS["gnt-filter"][1])
    for name, (_fn, _args, options, _usage, _descr) in \
            gnt_filter.commands.items():
        assert ".SS %s" % name.upper().replace("-", "\\-") in page
        for opt in options:
            assert opt._long_opts[0].replace("-", "\\-") in page
