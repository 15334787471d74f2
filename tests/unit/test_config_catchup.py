"""Tests for ganeti.config.catchup: nodes that missed a configuration push
are brought up to date once they answer again (masterd's background
catch-up), never with an older config.data over a newer one."""

import os
import threading
import time
import types

import pytest

from ganeti import config as config_mod
from ganeti import pathutils
from ganeti import rpc
from ganeti.config import catchup
from ganeti.rpc import reach as reach_mod
from ganeti.server import masterd

from test_node_lu import NODE_NAMES, MakeConfig

N1, N2, N3 = NODE_NAMES


class FakeNodes:
    """Node RPC over fake nodes: {name: serial of its config.data}.

    A node in dead gives no answer; one in upstream does not know
    x_config_newer_than (404); a node without a serial has no config.data.
    """

    def __init__(self, cfg, serials):
        self.cfg = cfg
        self.serials = dict(serials)
        self.ssconf = {}
        self.dead = set()
        self.upstream = set()
        self.calls = []
        self.reach = reach_mod.NodeReach()
        self.on_probe = None

    def _Results(self, call, nodes, answer):
        self.calls.append((call, sorted(nodes)))
        out = {}
        for name in nodes:
            if name in self.dead:
                self.reach.Record(name, "Error 28: timed out", 5.0)
                out[name] = rpc.RpcResult(data="Error 28: timed out",
                                          failed=True, unreachable=True)
            else:
                self.reach.Record(name, None, 0.01)
                out[name] = answer(name)
        return out

    def call_x_config_newer_than(self, nodes, known, read_timeout=None,
                                 **_options):
        if self.on_probe is not None:
            self.on_probe()

        def answer(name):
            if name in self.upstream:
                return rpc.RpcResult(data="Unknown RPC call", failed=True)
            serial = self.serials.get(name)
            if serial is None:
                return rpc.RpcResult(data="Cannot read the configuration",
                                     failed=True)
            return rpc.RpcResult(data=[True, [serial, None]])
        return self._Results("x_config_newer_than", nodes, answer)

    def call_upload_file(self, nodes, path, **_options):
        assert path == pathutils.CLUSTER_CONF_FILE

        def answer(name):
            self.serials[name] = self.cfg.GetConfigSerial()
            return rpc.RpcResult(data=[True, None])
        return self._Results("upload_file", nodes, answer)

    def call_write_ssconf_files(self, nodes, values, **_options):
        def answer(name):
            self.ssconf[name] = values["master_node"]
            return rpc.RpcResult(data=[True, None])
        return self._Results("write_ssconf_files", nodes, answer)

    def pushed(self):
        return [c for c in self.calls if c[0] != "x_config_newer_than"]


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def env(ganeti_root, tmp_path):
    os.makedirs(pathutils.DATA_DIR, exist_ok=True)
    cfg = MakeConfig(tmp_path / "config.data")
    serial = cfg.GetConfigSerial()
    nodes = FakeNodes(cfg, {N2: serial, N3: serial})
    clock = Clock()
    up = catchup.ConfigCatchUp(cfg, nodes, config_mod.PushConfigToNodes,
                               clock=clock)

    def distribute(_text, values):
        outcome = {}
        config_mod.PushConfigToNodes(cfg, nodes, values, outcome=outcome)
        up.Record(outcome)

    cfg.set_distributor(distribute)
    return types.SimpleNamespace(cfg=cfg, nodes=nodes, up=up, clock=clock)


def _write_with_node3_cut(env):
    env.nodes.dead.add(N3)
    env.cfg.Update(env.cfg.GetClusterInfo())
    env.nodes.dead.clear()
    env.nodes.calls.clear()


def test_push_with_only_and_outcome(env):
    env.nodes.dead.add(N3)
    outcome = {}
    config_mod.PushConfigToNodes(env.cfg, env.nodes,
                                 env.cfg.GetSsconfValues(), only=[N3, N2],
                                 outcome=outcome)
    assert outcome == {N2: True, N3: False}
    env.nodes.calls.clear()
    outcome.clear()
    config_mod.PushConfigToNodes(env.cfg, env.nodes,
                                 env.cfg.GetSsconfValues(), only=[N2],
                                 outcome=outcome)
    assert outcome == {N2: True}
    assert env.nodes.calls == [("upload_file", [N2]),
                               ("write_ssconf_files", [N2])]


def test_a_missed_push_is_caught_up_once_the_node_answers(env):
    _write_with_node3_cut(env)
    master_serial = env.cfg.GetConfigSerial()
    assert env.nodes.serials[N3] < master_serial
    assert env.up.Stale() == [N3]
    assert env.up.CatchUp([N3]) == {N3: True}
    assert env.nodes.calls == [("x_config_newer_than", [N3]),
                               ("upload_file", [N3]),
                               ("write_ssconf_files", [N3])]
    assert env.nodes.serials[N3] == master_serial
    assert env.up.Stale() == []
    # A push that reaches the node again clears nothing more to do.
    env.cfg.Update(env.cfg.GetClusterInfo())
    assert env.up.Stale() == []


def test_a_newer_config_on_the_node_is_never_overwritten(env, caplog):
    _write_with_node3_cut(env)
    env.nodes.serials[N3] = env.cfg.GetConfigSerial() + 5
    assert env.up.CatchUp([N3]) == {N3: False}
    assert env.nodes.pushed() == []
    assert env.nodes.serials[N3] == env.cfg.GetConfigSerial() + 5
    assert "holds a newer configuration" in caplog.text
    assert env.up.Stale() == []


def test_node_daemons_without_the_probe_call_get_the_push(env):
    _write_with_node3_cut(env)
    env.nodes.upstream.add(N3)
    assert env.up.CatchUp([N3]) == {N3: True}
    assert env.nodes.serials[N3] == env.cfg.GetConfigSerial()


def test_still_unreachable_stays_stale_with_a_bounded_backoff(env):
    _write_with_node3_cut(env)
    env.nodes.dead.add(N3)
    waits = []
    for _ in range(7):
        due = env.up._stale[N3].due
        waits.append(due - env.clock.now)
        env.clock.now = due
        assert env.up._Due() == [N3]
        assert env.up.CatchUp([N3]) == {N3: False}
    assert env.nodes.pushed() == []
    assert env.up.Stale() == [N3]
    assert waits == [5.0, 5.0, 10.0, 20.0, 40.0, 60.0, 60.0]


def test_a_write_between_probe_and_push_probes_again(env):
    _write_with_node3_cut(env)
    probed_against = []

    def write_once():
        # N3 is still marked unreachable: this write's push skips it.
        env.nodes.on_probe = None
        probed_against.append(env.cfg.GetConfigSerial())
        env.cfg.Update(env.cfg.GetClusterInfo())
    env.nodes.on_probe = write_once
    assert env.up.CatchUp([N3]) == {N3: False}
    # The write reached N2 only; the catch-up did not push the serial it
    # probed against.
    assert [c for c in env.nodes.pushed() if N3 in c[1]] == []
    assert env.up._Due() == [N3]        # so it is probed again at once
    assert env.up.CatchUp([N3]) == {N3: True}
    assert probed_against[0] < env.cfg.GetConfigSerial()
    assert env.nodes.serials[N3] == env.cfg.GetConfigSerial()


def test_start_check_pushes_only_older_candidates(env):
    env.nodes.serials[N3] -= 1
    env.up.Check([N2, N3])
    assert env.up._Due() == [N2, N3]
    assert env.up.CatchUp([N2, N3]) == {N2: False, N3: True}
    assert env.nodes.pushed() == [("upload_file", [N3]),
                                  ("write_ssconf_files", [N3])]
    assert env.up.Stale() == []


def test_nodes_leaving_the_cluster_are_forgotten(env):
    env.up.Record({"gone.example.com": False})
    env.up.CatchUp(["gone.example.com"])
    assert env.up.Stale() == []


def _WaitFor(cond, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_master_daemon_catches_up_a_node_that_answers_again(
        ganeti_root, tmp_path, monkeypatch):
    """The wiring in masterd: a miss is recorded by the distributor, and
    the node answering any RPC again gets the push in the background."""
    os.makedirs(pathutils.DATA_DIR, exist_ok=True)
    cfg = MakeConfig(tmp_path / "config.data")
    serial = cfg.GetConfigSerial()
    nodes = FakeNodes(cfg, {N2: serial, N3: serial})
    monkeypatch.setattr(rpc.RpcRunner, "for_config",
                        classmethod(lambda cls, cfg, port=0: nodes))
    context = masterd.GanetiContext(cfg)
    context.config_catchup.interval = 3600.0   # only the wake-up counts
    context.config_catchup.Start()
    try:
        nodes.dead.add(N3)
        cfg.Update(cfg.GetClusterInfo())
        assert context.config_catchup.Stale() == [N3]
        nodes.dead.clear()
        nodes.reach.Answered(N3)           # e.g. a query reached it
        assert _WaitFor(lambda: nodes.serials[N3] == cfg.GetConfigSerial())
        assert _WaitFor(lambda: context.config_catchup.Stale() == [])
        assert nodes.ssconf[N3] == N1
    finally:
        context.config_catchup.Shutdown()
    assert not context.config_catchup._thread.is_alive()


# --- the node daemon's side of x_config_newer_than -----------------------

def test_node_answers_its_serial_and_only_newer_text(ganeti_root):
    from ganeti import backend
    from ganeti.server import noded
    assert noded.RPC_CALLS["x_config_newer_than"] is \
        backend.GetConfigNewerThan
    os.makedirs(pathutils.DATA_DIR, exist_ok=True)
    with pytest.raises(backend.RPCFail, match="Cannot read the configuration"):
        backend.GetConfigNewerThan(1)
    text = '{"serial_no": 7, "cluster": {}}'
    with open(pathutils.CLUSTER_CONF_FILE, "w") as handle:
        handle.write(text)
    assert backend.GetConfigNewerThan(6) == [7, text]
    assert backend.GetConfigNewerThan(7) == [7, None]
    with pytest.raises(backend.RPCFail, match="Invalid configuration serial"):
        backend.GetConfigNewerThan("7")
    with open(pathutils.CLUSTER_CONF_FILE, "w") as handle:
        handle.write("{not json")
    with pytest.raises(backend.RPCFail, match="Invalid configuration file"):
        backend.GetConfigNewerThan(1)
