"""Replication to the other nodes: the asynchronous job queue replicator
(coalescing, ordering, backoff), the memory of unreachable nodes, the
config push skipping them, and gnt-cluster redist-conf re-syncing all."""

import os
import threading
import time
import types

import pytest

from ganeti import config as config_mod
from ganeti import jqueue
from ganeti.jqueue import replicate as jqueue_replicate
from ganeti import mcpu
from ganeti import opcodes
from ganeti import opcodes_base
from ganeti import pathutils
from ganeti.rpc import reach as reach_mod

from test_jqueue import FakeProcessor, _Op, _WaitFinal  # noqa: F401
from test_node_lu import NODE_NAMES, Cbs, Context, MakeConfig


def _Wait(cond, timeout=10.0):
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "condition not reached"
        time.sleep(0.01)


class FakeRpc:
    """Job queue calls per node; nodes can be dead (no answer), answer with
    an error, or be held (the call blocks until released)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sent = []            # (node, call, args) in sending order
        self.attempts = {}        # node -> number of calls tried
        self.dead = set()
        self.refuse = {}          # call -> error message
        self.gates = {}           # node -> threading.Event
        self.reach = reach_mod.NodeReach()

    def _Call(self, call, nodes, *args):
        (node, ) = nodes
        with self.lock:
            self.attempts[node] = self.attempts.get(node, 0) + 1
            gate = self.gates.get(node)
        if gate is not None:
            gate.wait(10)
        with self.lock:
            if node in self.dead:
                return {node: types.SimpleNamespace(
                    fail_msg="Error 28: Connection timed out",
                    unreachable=True, offline=False)}
            if call in self.refuse:
                return {node: types.SimpleNamespace(
                    fail_msg=self.refuse[call], unreachable=False,
                    offline=False)}
            self.sent.append((node, call, args))
        return {node: types.SimpleNamespace(fail_msg=None)}

    def __getattr__(self, name):
        if not name.startswith("call_"):
            raise AttributeError(name)
        return lambda nodes, *args: self._Call(name[5:], nodes, *args)

    def Sent(self, node):
        with self.lock:
            return [(call, args) for n, call, args in self.sent if n == node]


@pytest.fixture
def rep():
    made = []

    def _Make(rpc, **kwargs):
        kwargs.setdefault("min_backoff", 0.05)
        kwargs.setdefault("max_backoff", 0.2)
        r = jqueue_replicate.Replicator(rpc, **kwargs)
        made.append(r)
        return r
    yield _Make
    for r in made:
        r.Shutdown(timeout=1)


def test_updates_are_coalesced_while_a_node_is_busy(rep):
    rpc = FakeRpc()
    rpc.gates["a"] = threading.Event()
    r = rep(rpc)
    r.SetTargets(["a"])
    r.Update("/q/serial", "1\n")
    _Wait(lambda: rpc.attempts.get("a") == 1)   # held in flight
    for i in range(2, 50):
        r.Update("/q/serial", "%d\n" % i)
        r.Update("/q/job-1", "state %d" % i)
    r.Update("/q/job-2", "new")
    rpc.gates["a"].set()
    assert r.Flush(timeout=10) == {"a": None}
    assert rpc.Sent("a") == [
        ("jobqueue_update", ("/q/serial", "1\n")),
        ("jobqueue_update", ("/q/serial", "49\n")),
        ("jobqueue_update", ("/q/job-1", "state 49")),
        ("jobqueue_update", ("/q/job-2", "new")),
    ]


def test_content_changed_during_send_is_sent_again(rep):
    rpc = FakeRpc()
    rpc.gates["a"] = threading.Event()
    r = rep(rpc)
    r.SetTargets(["a"])
    r.Update("/q/job-1", "v1")
    _Wait(lambda: rpc.attempts.get("a") == 1)
    r.Update("/q/job-1", "v2")
    rpc.gates["a"].set()
    assert r.Flush(timeout=10) == {"a": None}
    assert [args[1] for _, args in rpc.Sent("a")] == ["v1", "v2"]


def test_rename_stays_after_the_update_it_follows(rep):
    rpc = FakeRpc()
    rpc.gates["a"] = threading.Event()
    r = rep(rpc)
    r.SetTargets(["a"])
    r.Update("/q/serial", "1\n")
    _Wait(lambda: rpc.attempts.get("a") == 1)
    r.Update("/q/job-1", "running")
    r.Update("/q/job-1", "success")
    r.Rename([("/q/job-1", "/q/archive/0/job-1")])
    # A later write of the old path must not jump before the rename.
    r.Update("/q/job-1", "again")
    r.SetDrainFlag(True)
    r.SetDrainFlag(False)
    rpc.gates["a"].set()
    assert r.Flush(timeout=10) == {"a": None}
    assert rpc.Sent("a") == [
        ("jobqueue_update", ("/q/serial", "1\n")),
        ("jobqueue_update", ("/q/job-1", "success")),
        ("jobqueue_rename", ([("/q/job-1", "/q/archive/0/job-1")], )),
        ("jobqueue_update", ("/q/job-1", "again")),
        ("jobqueue_set_drain_flag", (False, )),
    ]


def test_dead_node_is_backed_off_and_does_not_delay_others(rep):
    rpc = FakeRpc()
    rpc.dead.add("b")
    r = rep(rpc, min_backoff=2.0, max_backoff=2.0)
    r.SetTargets(["a", "b"])
    r.Update("/q/job-1", "v0")
    _Wait(lambda: r._nodes["b"].failures == 1)
    start = time.monotonic()
    for i in range(1, 200):
        r.Update("/q/job-%d" % (i % 5), "v%d" % i)
    assert time.monotonic() - start < 1.0       # handing over never waits
    assert r.Flush(["a"], timeout=10) == {"a": None}
    # The dead node was not retried per write, only after its backoff.
    assert rpc.attempts["b"] <= 2
    assert r.NeedsCopy("b") and not r.NeedsCopy("a")
    # A failing node makes Flush return its error at once when woken.
    assert r.Flush(["b"], timeout=10, wake=True)["b"].startswith("Error 28")
    # Back: everything pending arrives, coalesced, in first-write order.
    rpc.dead.discard("b")
    r.Wake(["b"])
    assert r.Flush(["b"], timeout=10) == {"b": None}
    assert rpc.Sent("b") == [
        ("jobqueue_update", ("/q/job-%d" % j, "v%d" % (195 + j)))
        for j in (1, 2, 3, 4, 0)]


def test_backoff_grows_and_wake_resets_it(rep):
    rpc = FakeRpc()
    rpc.dead.add("a")
    clock = [100.0]
    r = rep(rpc, min_backoff=1.0, max_backoff=4.0, clock=lambda: clock[0])
    r.SetTargets(["a"])
    r.Update("/q/x", "1")
    _Wait(lambda: rpc.attempts.get("a") == 1)
    _Wait(lambda: r._nodes["a"].failures == 1)
    delays = []
    for _ in range(4):
        node = r._nodes["a"]
        delays.append(node.retry_at - clock[0])
        attempts = rpc.attempts["a"]
        clock[0] = node.retry_at
        r.Wake(["zz"])                      # unrelated: no effect
        with r._lock:
            node.cond.notify()
        _Wait(lambda: rpc.attempts["a"] == attempts + 1)
        _Wait(lambda: r._nodes["a"].failures == attempts + 1)
    delays.append(r._nodes["a"].retry_at - clock[0])
    assert delays == [1.0, 2.0, 4.0, 4.0, 4.0]
    rpc.dead.discard("a")
    r.Wake()
    assert r.Flush(["a"], timeout=10) == {"a": None}
    assert rpc.Sent("a") == [("jobqueue_update", ("/q/x", "1"))]


def test_node_error_drops_the_change(rep):
    rpc = FakeRpc()
    rpc.refuse["jobqueue_rename"] = "Can't rename"
    r = rep(rpc)
    r.SetTargets(["a"])
    r.Rename([("/q/job-9", "/q/archive/0/job-9")])
    r.Update("/q/job-10", "x")
    assert r.Flush(timeout=10) in ({"a": "Can't rename"}, {"a": None})
    assert r.Flush(timeout=10) == {"a": None}
    assert rpc.Sent("a") == [("jobqueue_update", ("/q/job-10", "x"))]
    assert r.NeedsCopy("a")
    r.MarkClean(["a"])
    assert not r.NeedsCopy("a")


def test_too_many_pending_changes_copy_the_queue(rep):
    rpc = FakeRpc()
    rpc.dead.add("a")
    copies = []
    r = rep(rpc, max_pending=3, min_backoff=0.5, max_backoff=0.5,
            copy_fn=lambda name: (copies.append(name),
                                  r.Update("/q/serial", "9\n", nodes=[name])))
    r.SetTargets(["a"])
    for i in range(10):
        r.Update("/q/job-%d" % i, "x")
    _Wait(lambda: "a" in copies)
    rpc.dead.discard("a")
    r.Wake()
    assert r.Flush(timeout=10) == {"a": None}
    assert rpc.Sent("a")[-1] == ("jobqueue_update", ("/q/serial", "9\n"))
    assert len(rpc.Sent("a")) <= 4


def test_targets_change(rep):
    rpc = FakeRpc()
    r = rep(rpc)
    r.SetTargets(["a", "b"])
    r.Update("/q/1", "x")
    assert r.Flush(timeout=10) == {"a": None, "b": None}
    r.SetTargets(["b"])
    r.Update("/q/2", "y")
    r.Update("/q/3", "z", nodes=["c"])     # explicit node (queue copy)
    assert r.Flush(timeout=10) == {"b": None, "c": None}
    assert [args[0] for _, args in rpc.Sent("a")] == ["/q/1"]
    assert [args[0] for _, args in rpc.Sent("b")] == ["/q/1", "/q/2"]
    assert [args[0] for _, args in rpc.Sent("c")] == ["/q/3"]


def test_reach_listener_wakes_the_replicator(rep):
    rpc = FakeRpc()
    rpc.dead.add("a")
    r = rep(rpc, min_backoff=60, max_backoff=60)
    rpc.reach.AddListener(r.Wake)
    r.SetTargets(["a"])
    r.Update("/q/1", "x")
    _Wait(lambda: r._nodes["a"].failures == 1)
    rpc.dead.discard("a")
    rpc.reach.Failed("a", "timeout")
    rpc.reach.Answered("a")                  # e.g. answered a verify RPC
    assert r.Flush(timeout=10) == {"a": None}


# --- the job queue with the replicator --------------------------------------

class _Cfg:
    def GetMasterNode(self):
        return "uuid-m"

    def GetAllNodesInfo(self):
        def node(name, mc):
            return types.SimpleNamespace(name=name, master_candidate=mc,
                                         offline=False)
        return {"uuid-m": node("master", True), "uuid-a": node("a", True),
                "uuid-b": node("b", True)}


def test_jobqueue_never_waits_for_a_dead_candidate(ganeti_root):
    FakeProcessor.events = {}
    rpc = FakeRpc()
    rpc.dead.add("b")
    rpc.gates["b"] = threading.Event()       # b hangs, then fails
    q = jqueue.JobQueue(types.SimpleNamespace(cfg=_Cfg(), rpc=rpc),
                        FakeProcessor, workers=2,
                        op_loader=opcodes_base.LoadOpCode)
    try:
        start = time.monotonic()
        ids = [q.SubmitJob([_Op(name=str(i))]) for i in range(10)]
        for job_id in ids:
            assert _WaitFinal(q, job_id) == "success"
        assert time.monotonic() - start < 5
        assert q._replicator.Flush(["a"], timeout=10) == {"a": None}
        sent_a = {args[0] for _, args in rpc.Sent("a")}
        for job_id in ids:
            assert "%s/job-%d" % (pathutils.QUEUE_DIR, job_id) in sent_a
        assert q.ArchiveJob(ids[0])
        rpc.gates["b"].set()
        _Wait(lambda: q._replicator.NeedsCopy("b"))
        # b comes back: redist-conf re-syncs it, in order, with the latest
        # content of every live job file.
        rpc.dead.discard("b")
        assert q.ResyncNodes(timeout=10) == {"a": None, "b": None}
        assert not q._replicator.NeedsCopy("b")
        sent_b = rpc.Sent("b")
        paths = [args[0] for call, args in sent_b if call == "jobqueue_update"]
        for job_id in ids[1:]:
            assert "%s/job-%d" % (pathutils.QUEUE_DIR, job_id) in paths
        renames = [i for i, (call, _) in enumerate(sent_b)
                   if call == "jobqueue_rename"]
        first = "%s/job-%d" % (pathutils.QUEUE_DIR, ids[0])
        assert renames and paths.count(first) == 1
        assert [i for i, (call, args) in enumerate(sent_b)
                if call == "jobqueue_update" and args[0] == first][0] \
            < renames[0]
        # A fresh candidate gets the queue copied (and waited for).
        assert q.AddNode("c") is None
        sent_c = {args[0] for _, args in rpc.Sent("c")}
        assert pathutils.JOB_QUEUE_SERIAL_FILE in sent_c
        assert "%s/job-%d" % (pathutils.QUEUE_DIR, ids[-1]) in sent_c
        assert "%s/job-%d" % (pathutils.QUEUE_DIR, ids[0]) not in sent_c
    finally:
        q.Shutdown(timeout=5)


class _StaleFailureRpc(FakeRpc):
    """b's first send hangs until released, then fails as a send made while
    b was cut would; b answers every later one."""

    def __init__(self):
        super().__init__()
        self.gates["b"] = threading.Event()
        self.dead.add("b")

    def _Call(self, call, nodes, *args):
        result = super()._Call(call, nodes, *args)
        if nodes == ["b"]:
            with self.lock:
                self.dead.discard("b")
                self.gates.pop("b", None)
        return result


def test_flush_retries_tolerate_a_send_made_before_the_node_came_back(rep):
    for retries, expected in ((0, "Error 28"), (1, None)):
        rpc = _StaleFailureRpc()
        r = rep(rpc, min_backoff=0.05)
        r.SetTargets(["b"])
        r.Update("/q/job-1", "v1")
        _Wait(lambda: rpc.attempts.get("b") == 1)
        done = []
        flush = threading.Thread(target=lambda: done.append(
            r.Flush(["b"], timeout=10, wake=True, retries=retries)))
        flush.start()
        flush.join(0.2)
        rpc.gates["b"].set()
        flush.join(15)
        got = done[0]["b"]
        assert (got is None if expected is None else
                got.startswith(expected)), (retries, got)


def test_resync_waits_for_the_changes_still_on_their_way(ganeti_root):
    """A candidate whose first send is still on its way (not yet known to
    have missed anything) is waited for too: when ResyncNodes returns, the
    job files have reached it."""
    FakeProcessor.events = {}
    rpc = _StaleFailureRpc()
    q = jqueue.JobQueue(types.SimpleNamespace(cfg=_Cfg(), rpc=rpc),
                        FakeProcessor, workers=2,
                        op_loader=opcodes_base.LoadOpCode)
    try:
        gate = rpc.gates["b"]
        job_id = q.SubmitJob([_Op(name="x")])
        assert _WaitFinal(q, job_id) == "success"
        _Wait(lambda: rpc.attempts.get("b") == 1)
        done = []
        resync = threading.Thread(target=lambda: done.append(
            q.ResyncNodes(timeout=20, unreachable={})))
        resync.start()
        resync.join(0.2)
        gate.set()
        resync.join(30)
        assert done == [{"a": None, "b": None}]
        job_path = "%s/job-%d" % (pathutils.QUEUE_DIR, job_id)
        assert job_path in {args[0] for _, args in rpc.Sent("b")}
        # Nodes found unreachable are not waited for; their error is kept.
        rpc.dead.add("b")
        assert q.ResyncNodes(timeout=20, unreachable={"b": "cut"}) == \
            {"a": None, "b": "cut"}
    finally:
        q.Shutdown(timeout=5)


# --- the memory of unreachable nodes ----------------------------------------

def test_node_reach():
    clock = [0.0]
    reach = reach_mod.NodeReach(retry_interval=30, clock=lambda: clock[0])
    heard = []
    reach.AddListener(heard.append)
    reach.Record("n1", "Error 7: refused", 0.01)      # cheap: not marked
    reach.Record("n2", "Error 28: timed out", 5.0)
    assert reach.Unreachable() == {"n2": "Error 28: timed out"}
    assert reach.Split(["n1", "n2", "n3"]) == \
        (["n1", "n3"], {"n2": "Error 28: timed out"})
    clock[0] = 31.0                                    # retry is due, once
    assert reach.Split(["n2"]) == (["n2"], {})
    assert reach.Split(["n2"])[0] == []
    reach.Record("n2", None, 0.01)                     # it answered
    assert reach.Unreachable() == {} and heard == [["n2"]]
    reach.Failed("n3", "x")
    reach.Failed("n4", "y")
    by_uuid = {"u3": "n3", "u5": "n5"}
    assert reach.Split(["u3", "u5"], name_of=by_uuid.get) == \
        (["u5"], {"u3": "x"})
    assert reach.Reset() == ["n3", "n4"]
    assert heard[-1] == ["n3", "n4"] and reach.Unreachable() == {}


class _PushRpc:
    def __init__(self, dead=()):
        self.reach = reach_mod.NodeReach()
        self.dead = set(dead)
        self.calls = []

    def _Answer(self, call, nodes):
        self.calls.append((call, sorted(nodes)))
        out = {}
        for name in nodes:
            if name in self.dead:
                self.reach.Record(name, "Error 28: timed out", 5.0)
                out[name] = types.SimpleNamespace(fail_msg="Error 28: timed"
                                                  " out", offline=False)
            else:
                self.reach.Record(name, None, 0.01)
                out[name] = types.SimpleNamespace(fail_msg=None,
                                                  offline=False)
        return out

    def call_upload_file(self, nodes, path, **_options):
        return self._Answer("upload_file", nodes)

    def call_write_ssconf_files(self, nodes, values, **_options):
        return self._Answer("write_ssconf_files", nodes)


def test_config_push_skips_an_unreachable_node(ganeti_root, tmp_path):
    os.makedirs(pathutils.DATA_DIR, exist_ok=True)
    cfg = MakeConfig(tmp_path / "config.data")
    rpc = _PushRpc(dead=[NODE_NAMES[2]])
    cfg.set_distributor(lambda _text, values:
                        config_mod.PushConfigToNodes(cfg, rpc, values))
    others = sorted(NODE_NAMES[1:])
    cfg.Update(cfg.GetClusterInfo())
    # First change: node3 fails once (config.data), is skipped for ssconf.
    assert rpc.calls == [("upload_file", others),
                         ("write_ssconf_files", [NODE_NAMES[1]])]
    rpc.calls.clear()
    cfg.Update(cfg.GetClusterInfo())
    assert rpc.calls == [("upload_file", [NODE_NAMES[1]]),
                         ("write_ssconf_files", [NODE_NAMES[1]])]
    # Healed and reset (redist-conf): it gets everything again.
    rpc.dead.clear()
    rpc.reach.Reset()
    rpc.calls.clear()
    cfg.Update(cfg.GetClusterInfo())
    assert rpc.calls == [("upload_file", others),
                         ("write_ssconf_files", others)]


# --- gnt-cluster redist-conf ------------------------------------------------

class _Queue:
    def __init__(self):
        self.resynced = 0

    def ResyncNodes(self, unreachable=None):
        self.resynced += 1
        self.unreachable = unreachable
        return {NODE_NAMES[2]: "Error 28: timed out", NODE_NAMES[1]: None}


def test_redist_conf_resyncs_everything(ganeti_root, tmp_path):
    os.makedirs(pathutils.DATA_DIR, exist_ok=True)
    cfg = MakeConfig(tmp_path / "config.data")
    ctx = Context(cfg)
    ctx.rpc.reach = reach_mod.NodeReach()
    ctx.rpc.reach.Failed(NODE_NAMES[2], "Error 28: timed out")
    ctx.jobqueue = _Queue()
    cfg.set_distributor(lambda _text, values: config_mod.PushConfigToNodes(
        cfg, ctx.rpc, values))
    os.makedirs(os.path.dirname(pathutils.RAPI_CERT_FILE), exist_ok=True)
    with open(pathutils.RAPI_CERT_FILE, "w") as handle:
        handle.write("cert")
    serial = cfg.GetConfigSerial()
    cbs = Cbs()
    mcpu.Processor(ctx, ec_id=1).ExecOpCode(opcodes.OpClusterRedistConf(),
                                            cbs)
    assert cfg.GetConfigSerial() == serial + 1
    assert ctx.rpc.reach.Unreachable() == {}
    uploads = ctx.rpc.called("upload_file")
    node_uuids = {cfg.GetNodeInfoByName(n).uuid for n in NODE_NAMES[1:]}
    assert (sorted(uploads[0][1]), uploads[0][2]) == \
        (sorted(NODE_NAMES[1:]), (pathutils.CLUSTER_CONF_FILE, ))
    assert any(set(nodes) == node_uuids and
               args == (pathutils.RAPI_CERT_FILE, )
               for _, nodes, args in uploads[1:])
    assert sorted(ctx.rpc.called("write_ssconf_files")[0][1]) == \
        sorted(NODE_NAMES[1:])
    assert ctx.jobqueue.resynced == 1
    # the nodes that did not answer redist-conf just now are not waited for
    assert ctx.jobqueue.unreachable == ctx.rpc.reach.Unreachable()
    assert any("Could not copy the job queue to node %s" % NODE_NAMES[2]
               in m for m in cbs.messages), cbs.messages
