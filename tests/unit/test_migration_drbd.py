"""Failover/migration of drbd instances: the consistency check's upstream
messages, and the DRBD role changes a migration makes (standalone, dual
primary, back to one primary)."""

import types

import pytest

from ganeti import constants as C
from ganeti import errors
from ganeti.cmdlib import instance_migration as im


class _Result:
    def __init__(self, payload=None, fail_msg=None):
        self.payload, self.fail_msg = payload, fail_msg

    def Raise(self, msg):
        if self.fail_msg:
            raise errors.OpExecError("%s: %s" % (msg, self.fail_msg))


def _lu(degraded, failover, ignore=False):
    calls = []

    def record(name, answer):
        def call(*args):
            calls.append((name, args))
            return answer
        return call
    rpc = types.SimpleNamespace(
        call_blockdev_find=record("find", _Result({"is_degraded": degraded})),
        call_blockdev_close=record("close", _Result()),
        call_drbd_disconnect_net=lambda nodes, disks: calls.append(
            ("disconnect", tuple(nodes))) or {n: _Result() for n in nodes},
        call_drbd_attach_net=lambda nodes, disks, mm: calls.append(
            ("attach", tuple(nodes), mm)) or {n: _Result() for n in nodes},
        call_drbd_wait_sync=lambda nodes, disks: calls.append(
            ("wait", tuple(nodes))) or {n: _Result([True, 100.0]) for n in nodes})
    lu = types.SimpleNamespace(
        template=C.DT_DRBD8, rpc=rpc, source="n1", target="n2", failover=failover,
        op=types.SimpleNamespace(ignore_consistency=ignore),
        instance=types.SimpleNamespace(name="inst1"),
        cfg=types.SimpleNamespace(GetNodeInfo=lambda u: types.SimpleNamespace(name=u)),
        _Disks=lambda: [types.SimpleNamespace(iv_name="disk/0")])
    for name in ("_DrbdNodes", "_EnsureSecondary", "_GoStandalone",
                 "_GoReconnect", "_WaitUntilSync", "_DrbdSingleMaster"):
        setattr(lu, name, getattr(im._MigrateFailoverLU, name).__get__(lu))
    return lu, calls


def test_degraded_target_aborts_failover_with_upstreams_message():
    lu, _ = _lu(degraded=True, failover=True)
    with pytest.raises(errors.OpExecError) as err:
        im._MigrateFailoverLU._CheckConsistency(lu, lambda msg: None)
    assert str(err.value) == "Disk 0 is degraded on target node, aborting failover"
    lu, _ = _lu(degraded=True, failover=True, ignore=True)
    im._MigrateFailoverLU._CheckConsistency(lu, lambda msg: None)


def test_degraded_target_aborts_migration():
    lu, _ = _lu(degraded=True, failover=False)
    with pytest.raises(errors.OpExecError) as err:
        im._MigrateFailoverLU._CheckConsistency(lu, lambda msg: None)
    assert str(err.value) == ("Disk 0 is degraded or not fully synchronized on"
                              " target node, aborting migration")


def test_back_to_single_master_after_the_move():
    lu, calls = _lu(degraded=False, failover=False)
    lines = []
    lu._DrbdSingleMaster("n1", lines.append)
    assert lines == ["* switching node n1 to secondary mode",
                     "* wait until resync is done",
                     "* changing into standalone mode",
                     "* changing disks into single-master mode",
                     "* wait until resync is done"]
    assert [c[0] for c in calls] == ["close", "wait", "disconnect", "attach", "wait"]
    assert ("attach", ("n1", "n2"), False) in calls
