"""gnt-cluster epo: which nodes and instances an EPO acts on, the
refusals, and waiting for powered-on nodes (fake client, ping, sleep);
and LURestrictedCommand's per-node answers."""

import types

import pytest

from ganeti import opcodes
from ganeti.client import gnt_cluster_epo as epo

from test_node_lu import Context, Exec, FakeResult, MakeConfig, NODE_NAMES

N1, N2, N3 = NODE_NAMES


class FakeClient:
    """Answers QueryNodes/QueryGroups from rows: (name, master, pinsts,
    sinsts, powered, offline) and groups {name: [nodes]}."""

    def __init__(self, rows, groups=None):
        self.rows = rows
        self.groups = groups or {}
        self.node_queries = []

    def QueryNodes(self, names, fields, use_locking):
        self.node_queries.append(list(names))
        return [list(r) for r in self.rows if not names or r[0] in names]

    def QueryGroups(self, names, fields, use_locking):
        return [[self.groups[name]] for name in names]


ROWS = [(N1, True, ["i1"], [], True, False),
        (N2, False, ["i2"], ["i1"], True, False),
        (N3, False, ["i3"], [], None, False)]


def _Opts(**kwargs):
    values = dict(groups=False, show_all=False, on=False, force=True)
    values.update(kwargs)
    return types.SimpleNamespace(**values)


def _Epo(capsys, args, rows=ROWS, groups=None, **kwargs):
    if groups is not None:
        kwargs["groups"] = True
    calls = []
    code = epo.Epo(_Opts(**kwargs), list(args), qcl=FakeClient(rows, groups),
                   on_fn=lambda *a: calls.append(("on",) + a[1:]) or 0,
                   off_fn=lambda *a: calls.append(("off",) + a[1:]) or 0)
    out = capsys.readouterr()
    return code, calls, out.out.splitlines(), out.err.splitlines()


def test_epo_off_of_nodes(capsys):
    code, calls, out, _ = _Epo(capsys, [N2, N3])
    assert code == 0
    # i1's master node stays up: only N2 counts for it
    assert calls == [("off", [N2], {"i1": {N2}, "i2": {N2}, "i3": {N3}})]
    assert out == ["Node %s does not support out-of-band handling, it can"
                   " not be handled in a fully automated manner" % N3]


def test_epo_refuses_the_master_without_all(capsys):
    code, calls, _, err = _Epo(capsys, [])
    assert (code, calls) == (1, [])
    assert err == ["%s is the master node, please do a master-failover to"
                   " another node not affected by the EPO or use --all if"
                   " you intend to shutdown the whole cluster" % N1]
    code, calls, _, _ = _Epo(capsys, [], show_all=True)
    assert calls == [("off", [N1, N2], {"i1": {N2}, "i2": {N2},
                                        "i3": {N3}})]


def test_epo_on_skips_the_master_and_powered_nodes(capsys):
    rows = [ROWS[0], (N2, False, ["i2"], [], False, False),
            (N3, False, [], [], True, False)]
    code, calls, out, _ = _Epo(capsys, ["default"], rows=rows,
                               groups={"default": [N1, N2, N3]}, on=True)
    assert calls == [("on", [N1, N2, N3], [N2], {"i1": set(),
                                                  "i2": {N2}})]
    assert out == ["Node %s is already in desired power state, skipping"
                   % N3]


def test_epo_bad_option_combinations(capsys):
    code, _, _, err = _Epo(capsys, [], groups={}, show_all=True)
    assert (code, err) == (1, ["Only one of --groups or --all are allowed"])
    code, _, _, err = _Epo(capsys, [N2], show_all=True)
    assert (code, err) == (1, ["Arguments in combination with --all are not"
                               " allowed"])


def test_instances_start_when_all_their_nodes_are_up():
    started = []
    inst_map = {"i1": {N2, N3}, "i2": {N2}, "i3": set()}

    def start(opts, names, start):
        started.append((list(names), start))
        return True
    assert epo.MaybeInstanceStartup(None, inst_map, {N2}, start)
    assert started == [(["i2", "i3"], True)] and inst_map == {"i1": {N2, N3}}
    assert epo.MaybeInstanceStartup(None, inst_map, {N2}, start)
    assert len(started) == 1
    assert epo.MaybeInstanceStartup(None, inst_map, {N2, N3}, start)
    assert started[-1] == (["i1"], True) and inst_map == {}


def test_waiting_for_nodes(capsys):
    answers = {"10.0.0.2": [False, True], "10.0.0.3": [True]}
    pings, sleeps, seen = [], [], []

    def ping(ip, port, timeout, live_port_needed):
        pings.append((ip, port, live_port_needed))
        return answers[ip].pop(0)
    ok = epo.RunWhenNodesReachable(
        [N2, N3], lambda up: seen.append(set(up)) or True,
        {N2: "10.0.0.2", N3: "10.0.0.3"}, 1811, ping_fn=ping,
        sleep_fn=sleeps.append)
    assert ok is True
    assert seen == [{N3}, {N2, N3}]
    assert sleeps == [epo.EPO_PING_INTERVAL]
    assert pings[0] == ("10.0.0.2", 1811, True)
    assert capsys.readouterr().out.splitlines() == [
        "Node %s became available" % N3, "Node %s became available" % N2]
    ok = epo.RunWhenNodesReachable(
        [N2], lambda up: True, {N2: "10.0.0.2"}, 1811,
        ping_fn=lambda *a, **k: False, sleep_fn=sleeps.append, timeout=0)
    assert ok is False
    assert capsys.readouterr().err.strip() == \
        "Timeout while waiting for nodes to become reachable"


@pytest.fixture
def ctx(tmp_path):
    return Context(MakeConfig(tmp_path / "config.data"))


def test_restricted_command_lu(ctx):
    def answer(uuid):
        if ctx.cfg.GetNodeName(uuid) == N2:
            return FakeResult(None, "Executing command 'hello' failed")
        return "hi from %s\n" % ctx.cfg.GetNodeName(uuid)
    ctx.rpc.answers["restricted_command"] = answer
    result = Exec(ctx, opcodes.OpRestrictedCommand(command="hello",
                                                   nodes=[N3, "node2"]))
    assert result == [
        (True, "hi from %s\n" % N3),
        (False, "Command 'hello' on node '%s' failed: Executing command"
         " 'hello' failed" % N2)]
    ((call, nodes, args), ) = ctx.rpc.called("restricted_command")
    assert [ctx.cfg.GetNodeName(u) for u in nodes] == [N3, N2]
    assert args == ("hello",)
