"""Tests for ganeti.bootstrap.failover: master voting and master-failover.

The node RPC is a fake recording every call; config.data and ssconf live
below a temporary root.
"""

import os
import time
import types

import pytest

from ganeti import bootstrap
from ganeti.bootstrap import config_sync
from ganeti.bootstrap import failover as bf
from ganeti import config
from ganeti import constants
from ganeti import errors
from ganeti import netutils
from ganeti import objects
from ganeti import pathutils
from ganeti import rpc
from ganeti import serializer
from ganeti import ssconf
from ganeti.client import gnt_cluster_failover as client

N1, N2, N3, N4 = ("node%d.example.com" % i for i in range(1, 5))


def ok(payload):
    return rpc.RpcResult(data=[True, payload])


def down(msg="Error 7: Failed to connect"):
    return rpc.RpcResult(data=msg, failed=True)


class FakeRunner:
    """Records calls; answers master_node_name from a {node: answer} map.

    An answer of None means the node is unreachable; fail lists the calls
    (by name) that fail on every node.
    """

    def __init__(self, votes=None, fail=(), configs=None):
        self.votes = dict(votes or {})
        self.fail = set(fail)
        self.calls = []
        # node -> config.data text handed over by x_config_newer_than; a
        # node not listed answers like an upstream node daemon (404)
        self.configs = dict(configs or {})

    def _res(self, call, payload=None):
        return down("%s failed" % call) if call in self.fail else ok(payload)

    def call_master_node_name(self, nodes, read_timeout=None):
        self.calls.append(("master_node_name", tuple(nodes)))
        return {n: (ok(self.votes[n]) if self.votes.get(n) else down())
                for n in nodes}

    def call_x_config_newer_than(self, nodes, known, read_timeout=None,
                                 **_options):
        self.calls.append(("x_config_newer_than", tuple(nodes), known))
        out = {}
        for node in nodes:
            text = self.configs.get(node)
            if text is None:
                out[node] = down("Unknown RPC call 'x_config_newer_than'")
            elif text == "unreachable":
                out[node] = rpc.RpcResult(data="Error 28: timed out",
                                          failed=True, unreachable=True)
            else:
                serial = serializer.LoadJson(text)["serial_no"]
                out[node] = ok([serial, text if serial > known else None])
        return out

    def call_node_deactivate_master_ip(self, node, params, ems):
        self.calls.append(("node_deactivate_master_ip", node, params["ip"]))
        return self._res("node_deactivate_master_ip")

    def call_node_stop_master(self, node):
        self.calls.append(("node_stop_master", node))
        return self._res("node_stop_master")

    def call_upload_file(self, nodes, path, **_options):
        self.calls.append(("upload_file", tuple(sorted(nodes)), path))
        return {n: self._res("upload_file") for n in nodes}

    def call_write_ssconf_files(self, nodes, values, **_options):
        self.calls.append(("write_ssconf_files", tuple(sorted(nodes)),
                           values["master_node"]))
        return {n: self._res("write_ssconf_files") for n in nodes}

    def names(self):
        return [c[0] for c in self.calls]


# ------------------------------------------------------------------ tallying

def test_tally_orders_by_votes_then_real_nodes_before_none():
    assert bf.TallyVotes({}) == []
    assert bf.TallyVotes({"a": N1, "b": N1, "c": None}) == [(N1, 2), (None, 1)]
    assert bf.TallyVotes({"a": None, "b": None, "c": N2}) == [(None, 2), (N2, 1)]
    # A tie: a real node wins over "no answer", names in order otherwise.
    assert bf.TallyVotes({"a": None, "b": N2}) == [(N2, 1), (None, 1)]
    assert bf.TallyVotes({"a": N3, "b": N2}) == [(N2, 1), (N3, 1)]


def test_gather_votes_counts_failures_as_none():
    runner = FakeRunner({N1: N1, N3: None, N4: N2})
    votes = bf.GatherMasterVotes([N1, N3, N4, N1], runner=runner)
    assert sorted(votes, key=str) == sorted([(N1, 1), (None, 1), (N2, 1)],
                                            key=str)
    assert runner.calls == [("master_node_name", (N1, N3, N4))]
    assert bf.GatherMasterVotes([], runner=runner) == []
    assert len(runner.calls) == 1   # nobody to ask: no RPC


# ---------------------------------------------------------- failover voting

@pytest.mark.parametrize("votes,count", [
    ([(N1, 2)], 3),                 # everyone agrees
    ([(N1, 1), (None, 1)], 3),      # one of three down: 2 of 3 agree
    ([(N1, 3), (None, 1)], 5),
    ([], 1),                        # alone (cannot happen on a candidate)
])
def test_failover_votes_accepted(votes, count):
    bf.CheckFailoverVotes(votes, count, N1)


@pytest.mark.parametrize("votes,count,text", [
    ([(None, 1)], 2, "majority of nodes are still healthy"),   # 2-node cluster
    ([(None, 2)], 3, "majority of nodes are still healthy"),
    ([(N1, 1), (None, 2)], 4, "majority of nodes are still healthy"),
    ([(None, 2), (N1, 1), (N2, 1)], 5, "most nodes did not respond"),
    ([(N3, 2)], 3, "I believe the master is %s but the other nodes voted %s"
     % (N1, N3)),
    ([(N1, 1), (N3, 1), (None, 1)], 4, "Only 2 of 4 nodes agree"),
])
def test_failover_votes_refused(votes, count, text):
    with pytest.raises(errors.OpPrereqError) as info:
        bf.CheckFailoverVotes(votes, count, N1)
    assert text in str(info.value.args[0])
    assert info.value.args[1] == errors.ECODE_STATE


# ------------------------------------------------- master daemon agreement

def test_agreement_alone_asks_nobody():
    runner = FakeRunner()
    assert bf.CheckAgreement(N1, [N1], runner=runner) == (True, "")
    assert runner.calls == []


def test_agreement_when_others_vote_for_me():
    runner = FakeRunner({N2: N1, N3: N1})
    assert bf.CheckAgreement(N1, [N1, N2, N3], runner=runner)[0]
    assert runner.calls == [("master_node_name", (N2, N3))]


def test_agreement_tolerates_a_minority_down():
    runner = FakeRunner({N2: N1})
    assert bf.CheckAgreement(N1, [N1, N2, N3], runner=runner)[0]


def test_agreement_refused_when_others_name_another_master():
    runner = FakeRunner({N2: N2, N3: N2})
    ok_, reason = bf.CheckAgreement(N1, [N1, N2, N3], runner=runner)
    assert not ok_
    assert "top-voted node is %s with 2 out of 2 votes" % N2 in reason


def test_agreement_refused_when_outvoted():
    runner = FakeRunner({N2: N1, N3: N4, N4: N4})
    ok_, reason = bf.CheckAgreement(N1, [N1, N2, N3, N4], runner=runner)
    assert not ok_ and "not the master" in reason


def test_agreement_retries_then_gives_up_when_nobody_answers():
    runner = FakeRunner({})
    sleeps = []
    ok_, reason = bf.CheckAgreement(N1, [N1, N2, N3], runner=runner,
                                    attempts=3, delay=7,
                                    sleep_fn=sleeps.append)
    assert not ok_ and "didn't answer after 3 attempts" in reason
    assert sleeps == [7, 7]
    assert runner.names() == ["master_node_name"] * 3


# ---------------------------------------------------------- master-failover

def _write_cluster(master=N1, candidates=(N1, N2, N3), offline=()):
    """config.data and ssconf for nodes N1..N4 below the current root."""
    now = time.time()
    group = objects.stamp_new(objects.NodeGroup(name="default", members=[]),
                              now)
    group.UpgradeConfig()
    nodes = {}
    for idx, name in enumerate((N1, N2, N3, N4)):
        node = objects.stamp_new(objects.Node(
            name=name, primary_ip="192.168.77.%d" % (11 + idx),
            secondary_ip="192.168.77.%d" % (11 + idx),
            master_candidate=name in candidates, offline=name in offline,
            drained=False, group=group.uuid, master_capable=True,
            vm_capable=True, ndparams={}, powered=True, tags=[]), now)
        nodes[node.uuid] = node
        group.members.append(node.uuid)
    master_uuid = [u for u, n in nodes.items() if n.name == master][0]
    cluster = objects.stamp_new(objects.Cluster(
        cluster_name="cluster.example.com", master_node=master_uuid,
        master_ip="192.168.77.1", master_netdev="br0", master_netmask=32,
        enabled_hypervisors=["fake"], primary_ip_family=2,
        use_external_mip_script=False, candidate_pool_size=10, tags=[],
        hvparams={}, beparams={}, nicparams={}, ndparams={}, diskparams={}),
        now)
    cluster.UpgradeConfig()
    data = objects.ConfigData(
        version=constants.CONFIG_VERSION, cluster=cluster, nodes=nodes,
        nodegroups={group.uuid: group}, instances={}, networks={}, disks={},
        filters={}, serial_no=1, ctime=now, mtime=now)
    os.makedirs(pathutils.DATA_DIR, exist_ok=True)
    cfg = config.ConfigWriter(data=data)
    cfg.Flush()
    ssconf.WriteSsconfFiles(cfg.GetSsconfValues())
    return {n.name: n.uuid for n in nodes.values()}


def _on_disk():
    return serializer.LoadJson(open(pathutils.CLUSTER_CONF_FILE).read())


@pytest.fixture
def env(ganeti_root, monkeypatch):
    """A 4-node cluster (N1 master, N1-N3 candidates) seen from N2."""
    uuids = _write_cluster()
    # The other candidates hold the same configuration.
    same = open(pathutils.CLUSTER_CONF_FILE).read()
    runner = FakeRunner({N1: N1, N3: N1, N4: N1},
                        configs={N1: same, N3: same})
    started = []

    def fake_start(cfg, no_voting=False):
        started.append((cfg.GetMasterNodeName(), no_voting))
        return []

    monkeypatch.setattr(bootstrap, "_StartDaemons", fake_start)
    monkeypatch.setattr(rpc.RpcRunner, "for_config",
                        classmethod(lambda cls, cfg, port=0: runner))
    monkeypatch.setattr(netutils, "TcpPing", lambda *a, **kw: False)
    # No SSH in unit tests: the other candidates' copies are unknown.
    monkeypatch.setattr(config_sync, "FetchConfigOverSsh",
                        lambda *a: lambda node: None)
    return types.SimpleNamespace(uuids=uuids, runner=runner, started=started)


def _failover(env, **kwargs):
    kwargs.setdefault("myself", N2)
    return bf.MasterFailover(runner=env.runner, **kwargs)


def test_failover_moves_the_master_role(env):
    serial = _on_disk()["serial_no"]
    rcode, warnings = _failover(env)
    assert (rcode, warnings) == (constants.EXIT_SUCCESS, [])
    calls = env.runner.calls
    assert calls[0] == ("master_node_name", (N1, N3, N4))
    # The candidates' serials are compared before anything changes, and
    # again once the old master is stopped.
    assert calls[1] == ("x_config_newer_than", (N1, N3), serial)
    assert calls[2:4] == [("node_deactivate_master_ip", N1, "192.168.77.1"),
                          ("node_stop_master", N1)]
    assert calls[4] == ("x_config_newer_than", (N1, N3), serial)
    assert calls[5] == ("upload_file", (N1, N3), pathutils.CLUSTER_CONF_FILE)
    assert calls[6] == ("write_ssconf_files", (N1, N3, N4), N2)
    data = _on_disk()
    assert data["cluster"]["master_node"] == env.uuids[N2]
    assert data["serial_no"] == serial + 1
    assert ssconf.SimpleStore().GetMasterNode() == N2
    assert env.started == [(N2, False)]


def test_failover_refused_on_the_master(env):
    with pytest.raises(errors.OpPrereqError) as info:
        _failover(env, myself=N1)
    assert info.value.args == (
        "This commands must be run on the node where you want the new master"
        " to be. %s is already the master" % N1, errors.ECODE_INVAL)
    assert env.runner.calls == [] and env.started == []


def test_failover_refused_on_a_non_candidate(env):
    with pytest.raises(errors.OpPrereqError) as info:
        _failover(env, myself=N4)
    msg = info.value.args[0]
    assert msg.startswith("This node is not among the nodes marked as master"
                          " candidates.")
    assert msg.splitlines()[1:] == [N2, N3]
    assert env.runner.calls == [] and env.started == []
    assert _on_disk()["cluster"]["master_node"] == env.uuids[N1]


def test_failover_refused_when_nodes_disagree(env):
    env.runner.votes = {N1: N3, N3: N3, N4: N3}
    with pytest.raises(errors.OpPrereqError) as info:
        _failover(env)
    assert "the other nodes voted %s" % N3 in info.value.args[0]
    # Nothing was touched.
    assert env.runner.names() == ["master_node_name"]
    assert _on_disk()["cluster"]["master_node"] == env.uuids[N1]
    assert ssconf.SimpleStore().GetMasterNode() == N1
    assert env.started == []


def test_failover_refused_without_a_healthy_majority(env):
    env.runner.votes = {N1: N1}    # N3 and N4 down: 2 of 4 answer
    with pytest.raises(errors.OpPrereqError) as info:
        _failover(env)
    assert info.value.args[0] == bf.NOT_MAJORITY_MSG
    assert env.runner.names() == ["master_node_name"]


def test_no_voting_skips_the_vote(env):
    env.runner.votes = {}          # everybody else is down
    rcode, warnings = _failover(env, no_voting=True)
    assert rcode == constants.EXIT_SUCCESS
    assert "master_node_name" not in env.runner.names()
    assert env.started == [(N2, True)]


def test_dead_old_master_gives_warnings_not_failure(env):
    env.runner.votes = {N3: N1, N4: N1}
    env.runner.configs[N1] = "unreachable"
    env.runner.fail = {"node_deactivate_master_ip", "node_stop_master"}
    rcode, warnings = _failover(env)
    assert rcode == constants.EXIT_SUCCESS
    assert warnings[0] == ("Could not ask node %s for its configuration"
                           " (Error 28: timed out); changes only it holds,"
                           " if any, are not taken over" % N1)
    assert warnings[1].startswith("Could not disable the master IP:")
    assert warnings[2].startswith("Could not disable the master role on the"
                                  " old master %s" % N1)
    # The dead node is not asked a second time.
    asks = [c for c in env.runner.calls if c[0] == "x_config_newer_than"]
    assert [c[1] for c in asks] == [(N1, N3), (N3, )]
    assert _on_disk()["cluster"]["master_node"] == env.uuids[N2]


def test_failed_distribution_is_reported(env):
    env.runner.fail = {"upload_file"}
    rcode, warnings = _failover(env)
    assert rcode == constants.EXIT_SUCCESS
    assert any("Copy of file %s to node %s failed" %
               (pathutils.CLUSTER_CONF_FILE, N1) in w for w in warnings)


def test_master_ip_still_reachable_is_a_warning(env, monkeypatch):
    monkeypatch.setattr(netutils, "TcpPing", lambda *a, **kw: True)
    monkeypatch.setattr(time, "sleep", lambda s: None)
    rcode, warnings = _failover(env, master_ip_timeout=0)
    assert rcode == constants.EXIT_SUCCESS
    assert any("master IP is still reachable" in w for w in warnings)


def test_master_daemon_start_failure_is_exit_1(env, monkeypatch):
    def broken(cfg, no_voting=False):
        raise errors.OpExecError("Could not start the master daemon: boom")
    monkeypatch.setattr(bootstrap, "_StartDaemons", broken)
    rcode, warnings = _failover(env)
    assert rcode == constants.EXIT_FAILURE
    assert "boom" in warnings[-1]


def test_offline_nodes_do_not_vote(ganeti_root, monkeypatch):
    _write_cluster(offline=(N4,))
    runner = FakeRunner({N1: N1})  # N3 down: 2 of the 3 online nodes agree
    monkeypatch.setattr(bootstrap, "_StartDaemons", lambda cfg, **kw: [])
    monkeypatch.setattr(rpc.RpcRunner, "for_config",
                        classmethod(lambda cls, cfg, port=0: runner))
    monkeypatch.setattr(netutils, "TcpPing", lambda *a, **kw: False)
    assert bf.MasterFailover(myself=N2, runner=runner)[0] == 0
    assert runner.calls[0] == ("master_node_name", (N1, N3))
    # Counting the offline node as a voter leaves no majority.
    _write_cluster(offline=(N4,))
    with pytest.raises(errors.OpPrereqError):
        bf.MasterFailover(myself=N2, runner=runner, ignore_offline_nodes=False)


# ------------------------------------------------------------------ client

def _opts(**kw):
    values = dict(no_voting=False, yes_do_it=False, ignore_offline_nodes=True)
    values.update(kw)
    return types.SimpleNamespace(**values)


def test_client_no_voting_asks_and_stops_when_declined(monkeypatch):
    questions, calls = [], []
    monkeypatch.setattr(client, "AskUser",
                        lambda text: questions.append(text) or False)
    monkeypatch.setattr(bf, "MasterFailover",
                        lambda **kw: calls.append(kw) or (0, []))
    assert client.MasterFailover(_opts(no_voting=True), []) == 1
    assert calls == [] and "dangerous" in questions[0]
    assert client.MasterFailover(_opts(no_voting=True, yes_do_it=True),
                                 []) == 0
    # --yes-do-it with --no-voting also forces past an unusable newer config
    assert calls == [dict(no_voting=True, ignore_offline_nodes=True,
                          force=True)]
    assert len(questions) == 1


def test_client_prints_warnings_and_returns_the_code(monkeypatch, capsys):
    monkeypatch.setattr(bf, "MasterFailover",
                        lambda **kw: (1, ["first warning", "second"]))
    assert client.MasterFailover(_opts(ignore_offline_nodes="no"), []) == 1
    assert capsys.readouterr().err.splitlines() == ["first warning", "second"]


@pytest.mark.parametrize("value,expected", [
    (True, True), ("yes", True), ("True", True), ("no", False), ("0", False)])
def test_client_ignore_offline_values(value, expected):
    assert client._ParseIgnoreOffline(value) is expected


def test_client_ignore_offline_rejects_junk():
    with pytest.raises(errors.OpPrereqError):
        client._ParseIgnoreOffline("maybe")


def test_command_table():
    from ganeti.client import gnt_cluster
    entry = gnt_cluster.commands["master-failover"]
    flags = sorted(f for opt in entry[2] for f in opt._long_opts)
    assert flags == ["--ignore-offline-nodes", "--no-voting", "--yes-do-it"]
    assert gnt_cluster.aliases["masterfailover"] == "master-failover"


# ------------------------------------------- a stale candidate takes over

def _newer_copy(extra_serial=3, tag="added-while-cut-off"):
    data = _on_disk()
    data["serial_no"] += extra_serial
    data["cluster"]["tags"] = [tag]
    return serializer.DumpJson(data)


def _no_ssh(node):
    raise AssertionError("%s was read over SSH" % node)


def test_failover_takes_the_newest_candidate_config(env):
    own = _on_disk()["serial_no"]
    env.runner.configs = {N1: _newer_copy(3), N3: _newer_copy(1, "older")}
    messages = []
    rcode, warnings = _failover(env, fetch_config=_no_ssh,
                                feedback_fn=messages.append)
    assert rcode == constants.EXIT_SUCCESS
    data = _on_disk()
    assert data["cluster"]["tags"] == ["added-while-cut-off"]
    assert data["serial_no"] == own + 3 + 1
    assert data["cluster"]["master_node"] == env.uuids[N2]
    msg = ("This node's configuration (serial %d) is older than node %s's"
           " (serial %d); using the newer one" % (own, N1, own + 3))
    assert msg in messages and warnings == [msg]
    # Taken before the old master was stopped; then asked again against
    # the new serial.
    names = env.runner.names()
    assert names[:3] == ["master_node_name", "x_config_newer_than",
                         "node_deactivate_master_ip"]
    assert env.runner.calls[1][2] == own
    assert [c for c in env.runner.calls if c[0] == "x_config_newer_than"][1] \
        == ("x_config_newer_than", (N1, N3), own + 3)


def test_failover_keeps_its_config_when_it_is_the_newest(env):
    own = _on_disk()["serial_no"]
    stale = _on_disk()
    stale["serial_no"] -= 1
    stale["cluster"]["tags"] = ["stale"]
    env.runner.configs[N1] = serializer.DumpJson(stale)
    rcode, warnings = _failover(env, fetch_config=_no_ssh)
    assert (rcode, warnings) == (constants.EXIT_SUCCESS, [])
    data = _on_disk()
    assert data["cluster"]["tags"] == [] and data["serial_no"] == own + 1


@pytest.mark.parametrize("no_voting", [False, True])
def test_unusable_newer_config_refuses_before_anything_changes(env,
                                                               no_voting):
    before = open(pathutils.CLUSTER_CONF_FILE).read()
    broken = _on_disk()
    broken["serial_no"] += 2
    broken["cluster"]["master_node"] = "no-such-node"
    env.runner.configs[N1] = serializer.DumpJson(broken)
    with pytest.raises(errors.OpPrereqError) as info:
        _failover(env, no_voting=no_voting, fetch_config=_no_ssh)
    msg, code = info.value.args
    assert code == errors.ECODE_STATE
    assert msg.startswith("Node %s holds a newer configuration (serial %d)"
                          " than this node (serial %d) but it cannot be used"
                          % (N1, broken["serial_no"], broken["serial_no"] - 2))
    assert msg.endswith("; refusing the master failover")
    assert "\n" not in msg
    # Nothing was changed: the old master was not even told.
    assert env.runner.names()[-1] == "x_config_newer_than"
    assert "node_stop_master" not in env.runner.names()
    assert open(pathutils.CLUSTER_CONF_FILE).read() == before
    assert ssconf.SimpleStore().GetMasterNode() == N1
    assert env.started == []


def test_forced_no_voting_goes_on_past_an_unusable_newer_config(env):
    broken = _on_disk()
    broken["serial_no"] += 2
    broken["cluster"]["master_node"] = "no-such-node"
    env.runner.configs[N1] = serializer.DumpJson(broken)
    own = _on_disk()["serial_no"]
    rcode, warnings = _failover(env, no_voting=True, force=True,
                                fetch_config=_no_ssh)
    assert rcode == constants.EXIT_SUCCESS
    forced = [w for w in warnings if "as forced" in w]
    assert len(forced) == 1 and "refusing" not in forced[0], warnings
    assert forced[0].startswith("Node %s holds a newer configuration" % N1)
    data = _on_disk()
    assert data["serial_no"] == own + 1
    assert data["cluster"]["master_node"] == env.uuids[N2]


def test_force_without_no_voting_still_refuses(env):
    broken = _on_disk()
    broken["serial_no"] += 2
    broken["cluster"]["master_node"] = "no-such-node"
    env.runner.configs[N1] = serializer.DumpJson(broken)
    with pytest.raises(errors.OpPrereqError):
        _failover(env, force=True, fetch_config=_no_ssh)


def test_no_voting_takes_the_newest_config_too(env):
    env.runner.votes = {}
    env.runner.configs[N3] = _newer_copy(2)
    rcode, _ = _failover(env, no_voting=True, fetch_config=_no_ssh)
    assert rcode == constants.EXIT_SUCCESS
    assert _on_disk()["cluster"]["tags"] == ["added-while-cut-off"]


def test_nodes_without_the_call_are_read_over_ssh(env):
    del env.runner.configs[N1]          # an upstream node daemon: 404
    newer = _newer_copy(3)
    asked = []
    rcode, _ = _failover(env, fetch_config=lambda node: (
        asked.append(node) or newer))
    assert rcode == constants.EXIT_SUCCESS
    assert asked == [N1, N1]            # before and after stopping it
    assert _on_disk()["cluster"]["tags"] == ["added-while-cut-off"]


def test_failover_refuses_an_unreadable_candidate_config(env):
    del env.runner.configs[N1]
    with pytest.raises(errors.OpPrereqError) as info:
        _failover(env, no_voting=True,
                  fetch_config=lambda node: "{not json" if node == N1 else None)
    assert info.value.args[0].startswith(
        "Node %s holds a configuration that cannot be read" % N1)
    assert "node_stop_master" not in env.runner.names()
    assert env.started == []


def test_writes_until_the_old_master_stopped_are_taken(env):
    runner = env.runner
    last_write = _newer_copy(1, "written-while-stopping")
    stop = runner.call_node_stop_master

    def stop_after_a_write(node):
        runner.configs[N1] = last_write
        return stop(node)

    runner.call_node_stop_master = stop_after_a_write
    rcode, _ = _failover(env, fetch_config=_no_ssh)
    assert rcode == constants.EXIT_SUCCESS
    assert _on_disk()["cluster"]["tags"] == ["written-while-stopping"]


def test_the_newest_config_names_the_master_to_stop(env):
    newer = _on_disk()
    newer["serial_no"] += 1
    newer["cluster"]["master_node"] = env.uuids[N3]
    env.runner.configs[N1] = serializer.DumpJson(newer)
    rcode, _ = _failover(env, no_voting=True, fetch_config=_no_ssh)
    assert rcode == constants.EXIT_SUCCESS
    assert ("node_stop_master", N3) in env.runner.calls
    assert _on_disk()["cluster"]["master_node"] == env.uuids[N2]
