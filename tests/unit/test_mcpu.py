"""Tests for ganeti.mcpu (processor), ganeti.hooksmaster and LUTestDelay.

Config, RPC, opcodes and job-queue callbacks are small fakes; the lock
manager is the real one.
"""

import socket
import threading
import time

import pytest

from ganeti import cmdlib
from ganeti import errors
from ganeti import hooksmaster
from ganeti import locking
from ganeti import mcpu
from ganeti import pathutils
from ganeti.cmdlib import base
from ganeti.cmdlib.test import LUTestDelay, LUTestJqueue

WAIT = 5.0


# --- fakes ------------------------------------------------------------------

class FakeNode:
    def __init__(self, uuid, name):
        self.uuid = uuid
        self.name = name


class FakeConfig:
    def __init__(self):
        self.nodes = {"uuid-1": FakeNode("uuid-1", "node1.example.com"),
                      "uuid-2": FakeNode("uuid-2", "node2.example.com")}
        self.write_count = 0

    def GetClusterName(self):
        return "cluster.example.com"

    def GetMasterNode(self):
        return "uuid-1"

    def GetMasterNodeName(self):
        return "node1.example.com"

    def GetNodeInfo(self, uuid):
        return self.nodes.get(uuid)

    def GetNodeInfoByName(self, name):
        for node in self.nodes.values():
            if node.name == name:
                return node
        return None

    def ExpandNodeName(self, short):
        """Like ConfigWriter.ExpandNodeName: the uuid of the node."""
        matches = [n.uuid for n in self.nodes.values()
                   if n.name == short or n.name.startswith(short + ".")]
        return matches[0] if len(matches) == 1 else None

    def GetNodeName(self, uuid):
        return self.nodes[uuid].name

    def GetNodeList(self):
        return list(self.nodes)

    def GetInstanceList(self):
        return []


class FakeResult:
    def __init__(self, payload=None, fail_msg=None, offline=False):
        self.payload = payload
        self.fail_msg = fail_msg
        self.offline = offline

    def Raise(self, msg):
        if self.fail_msg:
            raise errors.OpExecError("%s: %s" % (msg, self.fail_msg))


class FakeRpc:
    def __init__(self):
        self.hook_calls = []      # (nodes, hpath, phase, env)
        self.delay_calls = []     # (nodes, duration)
        self.hook_status = {}     # (hpath, phase) -> per-script status
        self.delay_fail = {}      # node -> fail_msg

    def call_hooks_runner(self, nodes, hpath, phase, env, **_options):
        self.hook_calls.append((list(nodes), hpath, phase, dict(env)))
        status = self.hook_status.get((hpath, phase),
                                      hooksmaster.HKR_SUCCESS)
        return {n: FakeResult([["%s-%s.d/script" % (hpath, phase), status,
                                "output of %s" % n]])
                for n in nodes}

    def call_test_delay(self, nodes, duration):
        self.delay_calls.append((list(nodes), duration))
        return {n: FakeResult(True, fail_msg=self.delay_fail.get(n))
                for n in nodes}


class FakeContext:
    def __init__(self):
        self.cfg = FakeConfig()
        self.rpc = FakeRpc()
        self.glm = locking.GanetiLockManager(list(self.cfg.nodes), [], [], [])


class FakeCbs:
    def __init__(self, events=None, cancel_after=None, priority=0):
        self.events = events if events is not None else []
        self.feedback = []
        self.cancel_checks = 0
        self.cancel_after = cancel_after
        self.priority = priority
        self.submitted = []

    def NotifyStart(self):
        self.events.append("NotifyStart")

    def Feedback(self, *args):
        self.feedback.append(args)

    def CheckCancel(self):
        self.cancel_checks += 1
        if self.cancel_after is not None and \
                self.cancel_checks > self.cancel_after:
            raise errors.JobCanceled("canceled")

    def CurrentPriority(self):
        return self.priority

    def SubmitManyJobs(self, jobs):
        self.submitted.append(jobs)
        return [[True, 100 + i] for i in range(len(jobs))]

    def messages(self):
        return [args[-1] for args in self.feedback]


class FakeOp:
    """An opcode-like object; subclasses are named Op<Something>."""

    OP_ID = "OP_FAKE"

    def __init__(self, **kwargs):
        self.dry_run = False
        self.priority = 0
        self.comment = None
        self.reason = []
        self.debug_level = 0
        self.__dict__.update(kwargs)


class OpTestFake(FakeOp):
    OP_ID = "OP_TEST_FAKE"


class OpTestDelay(FakeOp):
    OP_ID = "OP_TEST_DELAY"

    def __init__(self, **kwargs):
        defaults = dict(on_master=True, on_nodes=[], on_node_uuids=None,
                        repeat=0, interruptible=False, no_locks=False)
        defaults.update(kwargs)
        super().__init__(**defaults)


def fast_strategy():
    return mcpu.LockAttemptTimeoutStrategy(attempts=3, base=0.02, growth=1.5,
                                           maximum=0.05)


class LUTestFake(base.LogicalUnit):
    """Records its life cycle in op.events; behaviour driven by the op."""

    HPATH = "fake-op"
    HTYPE = hooksmaster.HTYPE_NODE
    REQ_BGL = False

    def _ev(self, what):
        self.op.events.append(what)

    def CheckArguments(self):
        self._ev("CheckArguments")

    def ExpandNames(self):
        self._ev("ExpandNames")
        self.needed_locks = {locking.LEVEL_NODE: [],
                             locking.LEVEL_INSTANCE: ["inst-a"]}
        self.share_locks[locking.LEVEL_INSTANCE] = 1
        self.dry_run_result = "dry"

    def DeclareLocks(self, level):
        self._ev("DeclareLocks(%s)" % locking.LEVEL_NAMES[level])
        if level == locking.LEVEL_NODE:
            self.needed_locks[level] = ["uuid-2"]

    def CheckPrereq(self):
        self._ev("CheckPrereq")
        self.op.held_at_prereq = {
            level: self.glm.list_owned(level) for level in locking.LEVELS}

    def BuildHooksEnv(self):
        self._ev("BuildHooksEnv")
        return {"NODE_NAME": "node2", "COUNT": self.op.events.count("Exec")}

    def BuildHooksNodes(self):
        return (["uuid-1", "uuid-2"], ["uuid-2"])

    def Exec(self, feedback_fn):
        self._ev("Exec")
        self.op.bgl_shared = self.glm.check_owned(
            locking.LEVEL_CLUSTER, [locking.BGL], shared=1)
        feedback_fn("working")
        self.LogStep(1, 2, "first")
        self.LogInfo("info %s", "x")
        self.LogWarning("careful", hint="hint text")
        if getattr(self.op, "fail_exec", False):
            raise errors.OpExecError("exec failed")
        if getattr(self.op, "touch_config", False):
            self.cfg.write_count += 1
        if getattr(self.op, "jobs", None):
            return base.ResultWithJobs(self.op.jobs, extra="value")
        return "result"


@pytest.fixture
def ctx(monkeypatch):
    monkeypatch.setitem(cmdlib.LU_MAPPING, "OpTestFake", LUTestFake)
    monkeypatch.setitem(cmdlib.LU_MAPPING, "OpTestDelay", LUTestDelay)
    monkeypatch.setitem(cmdlib.LU_MAPPING, "OpTestJqueue", LUTestJqueue)
    return FakeContext()


def run(ctx, op, cbs=None, **kwargs):
    proc = mcpu.Processor(ctx, ec_id=42,
                          timeout_strategy_factory=fast_strategy)
    return proc.ExecOpCode(op, cbs if cbs is not None else FakeCbs(),
                           **kwargs)


def nothing_locked(ctx):
    return ctx.glm.QueryLocks(["name"]) == []


# --- life cycle ----------------------------------------------------------------

def test_lifecycle_order_locks_and_hooks(ctx):
    events = []
    op = OpTestFake(events=events)
    cbs = FakeCbs(events)
    assert run(ctx, op, cbs) == "result"
    assert events == [
        "CheckArguments", "ExpandNames",
        "DeclareLocks(instance)", "DeclareLocks(node)",
        "NotifyStart", "CheckPrereq", "BuildHooksEnv",   # pre env
        "Exec", "BuildHooksEnv",                          # post env
    ]
    assert op.held_at_prereq[locking.LEVEL_CLUSTER] == {locking.BGL}
    assert op.held_at_prereq[locking.LEVEL_INSTANCE] == {"inst-a"}
    assert op.held_at_prereq[locking.LEVEL_NODE] == {"uuid-2"}
    assert op.held_at_prereq[locking.LEVEL_NODEGROUP] == set()
    assert op.bgl_shared  # REQ_BGL False
    assert nothing_locked(ctx)
    # hooks: pre on both nodes (by name), post on node2
    calls = ctx.rpc.hook_calls
    assert [(c[0], c[1], c[2]) for c in calls] == [
        (["node1.example.com", "node2.example.com"], "fake-op", "pre"),
        (["node2.example.com"], "fake-op", "post"),
    ]
    assert cbs.messages() == [
        "working", "STEP 1/2 first", " - INFO: info x",
        " - WARNING: careful", "      Hint: hint text"]


def test_hooks_environment(ctx):
    run(ctx, OpTestFake(events=[]))
    pre_env = ctx.rpc.hook_calls[0][3]
    post_env = ctx.rpc.hook_calls[1][3]
    assert pre_env == {
        "PATH": "/sbin:/bin:/usr/sbin:/usr/bin",
        "GANETI_HOOKS_VERSION": "2",
        "GANETI_HOOKS_PHASE": "pre",
        "GANETI_HOOKS_PATH": "fake-op",
        "GANETI_OP_CODE": "OP_TEST_FAKE",
        "GANETI_DATA_DIR": pathutils.DATA_DIR,
        "GANETI_OBJECT_TYPE": "NODE",
        "GANETI_CLUSTER": "cluster.example.com",
        "GANETI_MASTER": "node1.example.com",
        "GANETI_NODE_NAME": "node2",
        "GANETI_COUNT": "0",
    }
    assert post_env["GANETI_HOOKS_PHASE"] == "post"
    assert post_env["GANETI_COUNT"] == "0"        # pre-execution value
    assert post_env["GANETI_POST_COUNT"] == "1"   # post-execution value
    assert post_env["GANETI_POST_NODE_NAME"] == "node2"
    assert all(isinstance(v, str) for v in post_env.values())


def test_req_bgl_takes_bgl_exclusively(ctx, monkeypatch):
    class LUBgl(LUTestFake):
        REQ_BGL = True
    monkeypatch.setitem(cmdlib.LU_MAPPING, "OpTestFake", LUBgl)
    op = OpTestFake(events=[])
    run(ctx, op)
    assert op.bgl_shared is False
    assert nothing_locked(ctx)


def test_failing_pre_hook_aborts_before_exec(ctx):
    ctx.rpc.hook_status[("fake-op", "pre")] = hooksmaster.HKR_FAIL
    events = []
    with pytest.raises(errors.HooksAbort) as exc:
        run(ctx, OpTestFake(events=events))
    assert "Exec" not in events
    failures = exc.value.args[0]
    assert [f[0] for f in failures] == ["node1.example.com",
                                        "node2.example.com"]
    assert failures[0][1] == "fake-op-pre.d/script"
    assert failures[0][2] == "output of node1.example.com"
    assert nothing_locked(ctx)


def test_failing_post_hook_only_warns(ctx):
    ctx.rpc.hook_status[("fake-op", "post")] = hooksmaster.HKR_FAIL
    cbs = FakeCbs()
    assert run(ctx, OpTestFake(events=[]), cbs) == "result"
    assert any("WARNING: On node2.example.com script fake-op-post.d/script"
               " failed, output: output of node2.example.com" in m
               for m in cbs.messages())


def test_dry_run_stops_after_prereq_and_pre_hooks(ctx):
    events = []
    cbs = FakeCbs(events)
    assert run(ctx, OpTestFake(events=events, dry_run=True), cbs) == "dry"
    assert "Exec" not in events
    assert events[-1] == "BuildHooksEnv"
    assert [c[2] for c in ctx.rpc.hook_calls] == ["pre"]
    assert cbs.messages() == [" - INFO: dry-run mode requested, not actually"
                              " executing the operation"]
    assert nothing_locked(ctx)


def test_locks_released_after_exec_exception(ctx):
    with pytest.raises(errors.OpExecError):
        run(ctx, OpTestFake(events=[], fail_exec=True))
    assert nothing_locked(ctx)
    assert [c[2] for c in ctx.rpc.hook_calls] == ["pre"]


def test_unknown_opcode(ctx):
    class OpNoSuchThing(FakeOp):
        OP_ID = "OP_NO_SUCH_THING"
    with pytest.raises(errors.OpCodeUnknown):
        run(ctx, OpNoSuchThing())
    with pytest.raises(errors.ProgrammerError):
        run(ctx, object())


def test_result_with_jobs_is_submitted(ctx):
    child = OpTestFake(events=[])
    cbs = FakeCbs()
    op = OpTestFake(events=[], jobs=[[child], [OpTestFake(events=[])]],
                    priority=-10, reason=[["gnt:user", "why", 1]])
    result = run(ctx, op, cbs)
    assert result == {"extra": "value", "jobs": [[True, 100], [True, 101]]}
    assert cbs.submitted == [op.jobs]
    assert child.comment == "Submitted by OP_TEST_FAKE"
    assert child.priority == -10
    assert child.reason == [["gnt:user", "why", 1]]


def test_config_update_hook_after_config_write(ctx):
    run(ctx, OpTestFake(events=[], touch_config=True))
    assert ctx.rpc.hook_calls[-1][:3] == (["node1.example.com"],
                                          "config-update", "post")
    env = ctx.rpc.hook_calls[-1][3]
    assert env["GANETI_HOOKS_PATH"] == "config-update"
    ctx.rpc.hook_calls.clear()
    run(ctx, OpTestFake(events=[]))
    assert "config-update" not in [c[1] for c in ctx.rpc.hook_calls]


# --- lock waiting ---------------------------------------------------------------

def hold_node_lock(ctx, node):
    got, release = threading.Event(), threading.Event()

    def body():
        ctx.glm.acquire(locking.LEVEL_NODE, [node])
        got.set()
        release.wait(WAIT)
        ctx.glm.release_all()

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    assert got.wait(WAIT)
    return thread, release


def test_lock_retries_then_gets_lock(ctx):
    holder, release = hold_node_lock(ctx, "uuid-2")
    priorities = []
    real_acquire = ctx.glm.acquire

    def spy(level, names, **kwargs):
        if level == locking.LEVEL_NODE:
            priorities.append(kwargs.get("priority"))
        return real_acquire(level, names, **kwargs)

    ctx.glm.acquire = spy
    timer = threading.Timer(0.3, release.set)
    timer.start()
    events = []
    cbs = FakeCbs(events)
    assert run(ctx, OpTestFake(events=events), cbs) == "result"
    holder.join(WAIT)
    # ExpandNames ran again for each attempt; NotifyStart only once.
    assert events.count("ExpandNames") == len(priorities) >= 2
    assert events.count("NotifyStart") == 1
    assert cbs.cancel_checks == len(priorities)
    # three timed attempts, more urgent after two failures, then a
    # blocking one at the highest priority
    assert priorities == [0, 0, -1, mcpu.OP_PRIO_HIGHEST]
    assert nothing_locked(ctx)


def test_overall_timeout_raises(ctx):
    holder, release = hold_node_lock(ctx, "uuid-2")
    events = []
    try:
        t0 = time.monotonic()
        with pytest.raises(mcpu.LockAcquireTimeout):
            run(ctx, OpTestFake(events=events), timeout=0.2)
        assert time.monotonic() - t0 < 2.0
        assert "Exec" not in events and "NotifyStart" not in events
    finally:
        release.set()
        holder.join(WAIT)
    assert nothing_locked(ctx)


def test_cancel_while_waiting_for_locks(ctx):
    holder, release = hold_node_lock(ctx, "uuid-2")
    try:
        with pytest.raises(errors.JobCanceled):
            run(ctx, OpTestFake(events=[]), FakeCbs(cancel_after=2))
    finally:
        release.set()
        holder.join(WAIT)
    assert nothing_locked(ctx)


def test_opportunistic_locking(ctx, monkeypatch):
    seen = []

    class LUOpp(base.NoHooksLU):
        REQ_BGL = False

        def ExpandNames(self):
            self.needed_locks = {locking.LEVEL_NODE: locking.ALL_SET}
            self.opportunistic_locks[locking.LEVEL_NODE] = True
            self.opportunistic_locks_count[locking.LEVEL_NODE] = \
                self.op.count

        def Exec(self, feedback_fn):
            seen.append(self.owned_locks(locking.LEVEL_NODE))

    monkeypatch.setitem(cmdlib.LU_MAPPING, "OpTestFake", LUOpp)
    holder, release = hold_node_lock(ctx, "uuid-2")
    try:
        run(ctx, OpTestFake(count=1))
        assert seen == [{"uuid-1"}]
        timer = threading.Timer(0.2, release.set)
        timer.start()
        run(ctx, OpTestFake(count=2))   # waits until both are free
        assert seen[1] == {"uuid-1", "uuid-2"}
    finally:
        release.set()
        holder.join(WAIT)
    assert nothing_locked(ctx)


def test_timeout_strategy_grows_then_blocks():
    strategy = mcpu.LockAttemptTimeoutStrategy(attempts=4, base=1.0,
                                               growth=2.0, maximum=3.0,
                                               _random=lambda: 0.0)
    assert [strategy.NextAttempt() for _ in range(5)] == [1.0, 2.0, 3.0, 3.0,
                                                           None]


# --- HooksMaster details ----------------------------------------------------

def test_hooks_master_rejects_prefixed_lu_variables():
    with pytest.raises(errors.ProgrammerError):
        hooksmaster.HooksMaster("OP_X", "x", ([], []), lambda *a: {},
                                build_env_fn=lambda: {"GANETI_FOO": 1})


def test_hooks_master_offline_and_unreachable_nodes():
    warnings = []

    def execute(nodes, hpath, phase, env):
        return {"off": FakeResult(offline=True),
                "bad": FakeResult(fail_msg="no route"),
                "ok": FakeResult([["s", hooksmaster.HKR_SUCCESS, ""]])}

    hm = hooksmaster.HooksMaster("OP_X", "x", (["off", "bad", "ok"], []),
                                 execute, build_env_fn=dict,
                                 log_fn=warnings.append)
    assert set(hm.RunPhase(hooksmaster.HOOKS_PHASE_PRE)) == {"off", "bad",
                                                             "ok"}
    assert warnings == ["Communication failure to node bad: no route"]
    # no nodes: no RPC at all; empty answer: HooksFailure in pre phase
    assert hm.RunPhase(hooksmaster.HOOKS_PHASE_POST) == {}
    hm2 = hooksmaster.HooksMaster("OP_X", "x", (["n"], []),
                                  lambda *a: {}, build_env_fn=dict)
    with pytest.raises(errors.HooksFailure):
        hm2.RunPhase(hooksmaster.HOOKS_PHASE_PRE)


def test_nohooks_lu_runs_no_hooks(ctx, monkeypatch):
    class LUQuiet(base.NoHooksLU):
        REQ_BGL = False

        def ExpandNames(self):
            self.needed_locks = {}

        def Exec(self, feedback_fn):
            return 7

    monkeypatch.setitem(cmdlib.LU_MAPPING, "OpTestFake", LUQuiet)
    assert run(ctx, OpTestFake()) == 7
    assert ctx.rpc.hook_calls == []


def test_owned_locks_expands_whole_level(ctx):
    seen = {}

    class LUAll(base.NoHooksLU):
        REQ_BGL = False

        def ExpandNames(self):
            self.needed_locks = {locking.LEVEL_NODE: locking.ALL_SET}
            self.share_locks = {locking.LEVEL_NODE: 1}

        def Exec(self, feedback_fn):
            seen["nodes"] = self.owned_locks(locking.LEVEL_NODE)
            seen["all"] = self.glm.owning_all(locking.LEVEL_NODE)

    cmdlib.LU_MAPPING["OpTestFake"] = LUAll
    run(ctx, OpTestFake())
    assert seen == {"nodes": {"uuid-1", "uuid-2"}, "all": True}


# --- LUTestDelay ----------------------------------------------------------------

def test_delay_zero_duration_fails_before_start(ctx):
    cbs = FakeCbs()
    with pytest.raises(errors.OpPrereqError) as exc:
        run(ctx, OpTestDelay(duration=0), cbs)
    assert exc.value.args == ("Duration must be greater than zero",)
    assert "NotifyStart" not in cbs.events
    assert nothing_locked(ctx)


def test_delay_on_master_and_nodes_with_repeat(ctx, monkeypatch):
    held = []
    real = LUTestDelay._TestDelay

    def spy(self):
        held.append(self.glm.list_owned(locking.LEVEL_NODE))
        real(self)

    monkeypatch.setattr(LUTestDelay, "_TestDelay", spy)
    cbs = FakeCbs()
    op = OpTestDelay(duration=0.01, on_nodes=["node2"], repeat=3)
    t0 = time.monotonic()
    assert run(ctx, op, cbs) is None
    assert time.monotonic() - t0 >= 0.03
    assert ctx.rpc.delay_calls == [(["node2.example.com"], 0.01)] * 3
    assert held == [{"uuid-1", "uuid-2"}] * 3
    assert op.on_node_uuids == ["uuid-2"]
    assert cbs.messages() == [" - INFO: Test delay iteration %d/2" % i
                              for i in range(3)]
    assert nothing_locked(ctx)


def test_delay_no_locks_and_unknown_node(ctx, monkeypatch):
    seen = []
    monkeypatch.setattr(LUTestDelay, "_TestDelay", lambda self: seen.append(
        self.glm.is_owned(locking.LEVEL_NODE)))
    run(ctx, OpTestDelay(duration=1, on_nodes=["node1"], no_locks=True))
    assert seen == [False]
    with pytest.raises(errors.OpPrereqError) as exc:
        run(ctx, OpTestDelay(duration=1, on_nodes=["nosuchnode"]))
    assert exc.value.args == ("Node 'nosuchnode' not known",
                              errors.ECODE_NOENT)


def test_delay_node_failure(ctx):
    ctx.rpc.delay_fail["node2.example.com"] = "boom"
    with pytest.raises(errors.OpExecError) as exc:
        run(ctx, OpTestDelay(duration=0.001, on_master=False,
                             on_nodes=["node2"]))
    assert str(exc.value) == ("Failure during rpc call to node"
                              " node2.example.com: boom")
    assert nothing_locked(ctx)


def test_delay_interruptible(ctx):
    cbs = FakeCbs()
    result = {}

    def body():
        t0 = time.monotonic()
        result["value"] = run(ctx, OpTestDelay(duration=30, interruptible=True),
                              cbs)
        result["elapsed"] = time.monotonic() - t0

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    end = time.monotonic() + WAIT
    while not cbs.feedback and time.monotonic() < end:
        time.sleep(0.005)
    log_type, path = cbs.feedback[0]
    assert log_type == "delay-test"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    sock.close()
    thread.join(WAIT)
    assert not thread.is_alive()
    assert result["value"] is None and result["elapsed"] < WAIT


class OpTestJqueue(FakeOp):
    OP_ID = "OP_TEST_JQUEUE"

    def __init__(self, **kwargs):
        defaults = dict(notify_waitlock=False, notify_exec=False,
                        log_messages=[], fail=False)
        defaults.update(kwargs)
        super().__init__(**defaults)


class AckingCbs(FakeCbs):
    """Acknowledges jqueue-test notifications, noting what was started."""

    def Feedback(self, *args):
        super().Feedback(*args)
        if args[0] == "jqueue-test":
            path, what = args[1]
            self.events.append((what, "NotifyStart" in self.events))
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(path)
            sock.close()


def test_jqueue_notifications_and_messages(ctx):
    cbs = AckingCbs()
    op = OpTestJqueue(notify_waitlock=True, notify_exec=True,
                      log_messages=["one", "two"])
    assert run(ctx, op, cbs) is True
    # waitlock before the opcode started (job still waiting), exec after.
    assert cbs.events == [("waitlock", False), "NotifyStart", ("exec", True)]
    assert [args for args in cbs.feedback if args[0] != "jqueue-test"] == [
        ("one", ), ("two", )]


def test_jqueue_requested_failure(ctx):
    with pytest.raises(errors.OpExecError) as exc:
        run(ctx, OpTestJqueue(log_messages=["x"], fail=True))
    assert str(exc.value) == "Opcode failure was requested"
    assert nothing_locked(ctx)
