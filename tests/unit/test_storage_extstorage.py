"""ExtStorage volumes (ganeti.storage.extstorage): the provider scripts
each action runs, their environment, logs and errors, and the device
path attach answers (a provider made of recording scripts)."""

import glob
import os
import stat

import pytest

from ganeti import errors
from ganeti import pathutils
from ganeti import storage
from ganeti.storage import extstorage

ACTIONS = ("create", "attach", "detach", "remove", "grow", "setinfo",
           "verify")
# A block device node to name from attach (any one exists on Linux).
BLOCK_DEVICES = [p for p in sorted(glob.glob("/dev/loop[0-9]*"))
                 if stat.S_ISBLK(os.stat(p).st_mode)]


def _Provider(top, name="recorder", attach_output=None, fail=None):
    """A provider whose scripts append "<action> <environment>" to
    calls.log; attach prints attach_output; fail makes that action exit 3."""
    path = os.path.join(top, name)
    os.makedirs(path)
    for action in ACTIONS + ("snapshot", ):
        lines = ["#!/bin/sh",
                 "echo %s $(env | grep -E '^(VOL|EXTP)_' | sort | tr '\\n'"
                 " ' ') >> %s/calls.log" % (action, path)]
        if action == "attach" and attach_output is not None:
            lines.append("printf '%s'" % attach_output)
        if action == fail:
            lines.append("echo broken >&2; exit 3")
        with open(os.path.join(path, action), "w") as handle:
            handle.write("\n".join(lines) + "\n")
        os.chmod(os.path.join(path, action), 0o755)
    return path


def _Calls(path):
    with open(os.path.join(path, "calls.log")) as handle:
        return [line.split() for line in handle.read().splitlines()]


@pytest.fixture
def es_top(ganeti_root, monkeypatch, tmp_path):
    top = str(tmp_path / "es")
    monkeypatch.setattr(pathutils, "ES_SEARCH_PATH", [top])
    return top


def test_environment():
    env = extstorage.ProviderEnvironment(
        "vol1", {"provider": "p", "access": "kernelspace", "pool": "fast"},
        size=64, new_size=None, cname="disk0")
    assert env == {"VOL_NAME": "vol1", "VOL_SIZE": "64",
                   "VOL_CNAME": "disk0", "EXTP_POOL": "fast"}


def test_create_verifies_first_then_creates(es_top):
    path = _Provider(es_top)
    with pytest.raises(errors.BlockDeviceError):
        # attach prints nothing: created but not attachable
        dev = storage.DeviceClass("ext").Create(
            ("recorder", "vol1"), [], 64, None, {"pool": "fast"}, False, {},
            name="disk0", uuid="u-1")
        dev.Assemble()
    calls = _Calls(path)
    assert [c[0] for c in calls] == ["verify", "create", "attach", "attach"]
    assert calls[1][1:] == ["EXTP_POOL=fast", "VOL_CNAME=disk0",
                            "VOL_NAME=vol1", "VOL_SIZE=64", "VOL_UUID=u-1"]
    logs = os.listdir(os.path.join(pathutils.LOG_DIR, "extstorage"))
    assert any(l.startswith("create-recorder-vol1-") for l in logs)


def test_failing_script_reports_its_output(es_top):
    _Provider(es_top, fail="verify")
    with pytest.raises(errors.BlockDeviceError,
                       match="External storage's verify script failed"
                       " \\(exited with exit code 3\\), last lines of"
                       " output:\nbroken"):
        storage.DeviceClass("ext").Create(("recorder", "vol1"), [], 64, None,
                                          {}, False, {})


def test_unknown_provider(es_top):
    with pytest.raises(errors.BlockDeviceError,
                       match="^Directory for External Storage Provider nosuch"
                       " not found in search path$"):
        extstorage.RunAction("create", ("nosuch", "vol1"), {}, size=1)


def test_attach_must_name_a_block_device(es_top):
    path = _Provider(es_top, attach_output="/dev/null\\n")
    dev = extstorage.ExtStorageDevice(("recorder", "vol1"), [], 64, {})
    assert not dev.attached and dev.dev_path is None
    os.remove(os.path.join(path, "attach"))
    with open(os.path.join(path, "attach"), "w") as handle:
        handle.write("#!/bin/sh\n")
    os.chmod(os.path.join(path, "attach"), 0o755)
    with pytest.raises(errors.BlockDeviceError,
                       match="Can't attach to ExtStorage device vol1"):
        dev.Assemble()


@pytest.mark.skipif(not BLOCK_DEVICES, reason="no block device node")
def test_attached_volume_grow_setinfo_shutdown_remove(es_top):
    device = BLOCK_DEVICES[0]
    path = _Provider(es_top, attach_output="%s\\nuri:vol1\\n" % device)
    dev = extstorage.ExtStorageDevice(("recorder", "vol1"), [], 64, {},
                                      name="disk0")
    assert dev.attached and dev.dev_path == device
    assert dev.GetUserspaceAccessUri("kvm") == "uri:vol1"
    dev.Grow(32, dryrun=True, backingstore=True, excl_stor=False)
    dev.Grow(32, dryrun=False, backingstore=False, excl_stor=False)
    dev.Grow(32, dryrun=False, backingstore=True, excl_stor=False)
    dev.SetInfo("originstname+inst1")
    dev.Open()     # no open/close scripts: nothing runs
    dev.Close()
    dev.Shutdown()
    assert not dev.attached
    dev.Remove()
    calls = _Calls(path)
    assert [c[0] for c in calls] == ["attach", "grow", "setinfo", "detach",
                                     "remove"]
    assert "VOL_SIZE=64" in calls[1] and "VOL_NEW_SIZE=96" in calls[1]
    assert "VOL_METADATA=originstname+inst1" in calls[2]
    assert dev.Snapshot("snap1", 10) == ("recorder", "snap1")
    assert "VOL_SNAPSHOT_NAME=snap1" in _Calls(path)[-1]
    os.remove(os.path.join(path, "snapshot"))
    with pytest.raises(errors.BlockDeviceError,
                       match="does not support snapshots"):
        dev.Snapshot("snap2", 10)
