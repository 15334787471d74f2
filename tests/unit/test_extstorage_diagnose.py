"""OpExtStorageDiagnose (node answers combined per provider and group)
and gnt-storage diagnose/info's output."""

import os
import types

import pytest

from ganeti import opcodes
from ganeti.client import gnt_storage
from ganeti.cmdlib import extstorage

from test_node_lu import (Context, Exec, FakeResult, MakeConfig, Node,
                          NODE_NAMES)

REFERENCE = os.path.join(os.path.dirname(__file__), "..", "data",
                         "reference", "upstream-3.0", "ops")
N1, N2, N3 = NODE_NAMES
GOOD = ["/srv/ganeti/extstorage/p1", True, "", [["pool", "Pool"],
                                                ["dir", "Directory"]]]


@pytest.fixture
def ctx(tmp_path):
    context = Context(MakeConfig(tmp_path / "config.data"))
    Exec(context, opcodes.OpGroupAdd(group_name="g2"))
    Exec(context, opcodes.OpGroupAssignNodes(group_name="g2", nodes=[N3]))
    return context


def _Answers(ctx, per_node):
    """extstorage_diagnose answers: per_node[i] = payload of node i (or a
    FakeResult)."""
    by_uuid = {Node(ctx, idx).uuid: answer
               for idx, answer in enumerate(per_node)}
    ctx.rpc.answers["extstorage_diagnose"] = lambda uuid: by_uuid[uuid]


def test_diagnose_combines_nodes_per_group(ctx):
    fewer = GOOD[:3] + [[["pool", "Pool"]]]
    bad = ["/srv/ganeti/extstorage/p1", False, "script 'grow' missing", []]
    _Answers(ctx, [[["p1"] + GOOD], [["p1"] + fewer, ["p2"] + bad],
                   [["p1"] + GOOD]])
    rows = Exec(ctx, opcodes.OpExtStorageDiagnose(
        output_fields=["name", "node_status", "nodegroup_status",
                       "parameters"], names=[]))
    assert rows == [
        ["p1", {N1: [GOOD], N2: [fewer], N3: [GOOD]},
         {"default": True, "g2": True}, [["pool", "Pool"]]],
        ["p2", {N1: [], N2: [bad], N3: []},
         {"default": False, "g2": False}, []]]
    rows = Exec(ctx, opcodes.OpExtStorageDiagnose(
        output_fields=["name", "nodegroup_status"], names=["p2"]))
    assert rows == [["p2", {"default": False, "g2": False}]]


def test_a_node_that_does_not_answer_is_left_out(ctx):
    _Answers(ctx, [[["p1"] + GOOD], FakeResult(None, "unreachable"),
                   [["p1"] + GOOD[:1] + [False, "broken", []]]])
    (row, ) = Exec(ctx, opcodes.OpExtStorageDiagnose(
        output_fields=["name", "node_status", "nodegroup_status"],
        names=[]))
    assert sorted(row[1]) == [N1, N3]
    assert row[2] == {"default": True, "g2": False}


def _Run(monkeypatch, capsys, fn, rows, args=()):
    monkeypatch.setattr(gnt_storage, "SubmitOpCode", lambda op, opts: rows)
    code = fn(types.SimpleNamespace(), list(args))
    out = capsys.readouterr()
    return code, out.out.splitlines(), out.err.splitlines()


def test_gnt_storage_diagnose_output(monkeypatch, capsys):
    bad = ["/srv/ganeti/extstorage/p1", False, "broken", []]
    rows = [["p1", {"node2": [bad], "node10": [GOOD], "node1": []},
             {"g2": False, "default": True}]]
    code, out, _ = _Run(monkeypatch, capsys,
                        gnt_storage.DiagnoseExtStorage, rows)
    assert code == 0
    assert out == [
        "Provider: p1", "---",
        "  Node: node10, status: valid (path: /srv/ganeti/extstorage/p1)"
        " [parameters: pool, dir]",
        "  Node: node1, status: ExtStorage provider not found",
        "  Node: node2, status: invalid - broken (path:"
        " /srv/ganeti/extstorage/p1) [no parameters]",
        "  --", "  For nodegroup: default --> valid",
        "  For nodegroup: g2 --> invalid", ""]


def test_gnt_storage_without_providers(monkeypatch, capsys):
    with open(os.path.join(REFERENCE, "42-storage-diagnose.txt")) as handle:
        reference = handle.read().splitlines()
    code, out, err = _Run(monkeypatch, capsys,
                          gnt_storage.DiagnoseExtStorage, [])
    assert (out, err, code) == ([], reference[1:2], 1)
    assert reference[2] == "[exit status: 1]"
    code, out, err = _Run(monkeypatch, capsys,
                          gnt_storage.ShowExtStorageInfo, [])
    assert (out, err, code) == (
        [], ["Can't get the ExtStorage providers list"], 1)


def test_gnt_storage_info_output(monkeypatch, capsys):
    rows = [["p1", {"g2": True, "default": True}, [["pool", "Pool"]]],
            ["p2", {"default": False}, []]]
    code, out, _ = _Run(monkeypatch, capsys, gnt_storage.ShowExtStorageInfo,
                        rows, ["p2", "nosuch"])
    assert code == 0
    assert out == ["p2:", "  - Invalid for all nodegroups", "",
                   "nosuch: Not Found", ""]
    code, out, _ = _Run(monkeypatch, capsys, gnt_storage.ShowExtStorageInfo,
                        rows)
    assert out[:6] == ["p1:", "  - Valid for nodegroups:", "      default",
                       "      g2", "  - Supported parameters:",
                       "      pool: Pool"]


def test_ext_info_parameters_stop_at_the_first_invalid_node(ctx):
    # as upstream: nodes after the first invalid one are not looked at
    _Answers(ctx, [[["p1"] + GOOD], [["p1"] + GOOD[:1] +
                                     [False, "broken", []]], []])
    (info, ) = extstorage.BuildExtStorageInfos(ctx.cfg, ctx.rpc)
    assert info.parameters == sorted(GOOD[3])
    assert info.nodegroup_status == {"default": False, "g2": False}
