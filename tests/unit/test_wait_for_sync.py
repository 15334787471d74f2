"""WaitForSync (gnt-instance add/activate-disks waiting for DRBD): the
progress lines as upstream prints them, and a disk found degraded though
done (a DRBD pair still connecting) looked at again before giving up."""

import types

from ganeti.cmdlib import instance_storage


class _Result:
    def __init__(self, payload):
        self.payload, self.fail_msg = payload, None


class _Lu:
    def __init__(self, statuses):
        self._statuses = list(statuses)
        self.infos = []
        self.cfg = types.SimpleNamespace(GetNodeName=lambda uuid: uuid,
                                         GetNodeInfo=lambda uuid: None)
        self.rpc = types.SimpleNamespace(call_blockdev_getmirrorstatus=self._Status)

    def _Status(self, node, disks):
        return _Result([self._statuses.pop(0)])

    def LogInfo(self, msg, *args):
        self.infos.append(msg % args if args else msg)

    def LogWarning(self, msg, *args):
        self.infos.append("WARNING " + (msg % args if args else msg))


def _status(percent, est, degraded):
    return {"sync_percent": percent, "estimated_time": est,
            "is_degraded": degraded}


def _run(monkeypatch, statuses):
    monkeypatch.setattr(instance_storage.time, "sleep", lambda _s: None)
    lu = _Lu(statuses)
    inst = types.SimpleNamespace(uuid="i1", name="inst1", primary_node="n1")
    disk = types.SimpleNamespace(iv_name="disk/0")
    return instance_storage.WaitForSync(lu, inst, disks=[disk]), lu


def test_progress_then_in_sync(monkeypatch):
    ok, lu = _run(monkeypatch, [_status(45.1, 12, True), _status(None, None, False)])
    assert ok
    assert lu.infos == ["Waiting for instance inst1 to sync disks",
                        "- device disk/0: 45.10% done, 12s remaining (estimated)",
                        "Instance inst1's disks are in sync"]


def test_transiently_degraded_disk_is_looked_at_again(monkeypatch):
    ok, lu = _run(monkeypatch, [_status(None, None, True), _status(None, None, True),
                                _status(8.0, 1, True), _status(None, None, False)])
    assert ok
    assert "- device disk/0:  8.00% done, 1s remaining (estimated)" in lu.infos


def test_degraded_for_good_fails_after_the_retries(monkeypatch):
    ok, _ = _run(monkeypatch, [_status(None, None, True)] *
                 (instance_storage._DEGRADED_RETRIES + 1))
    assert not ok
