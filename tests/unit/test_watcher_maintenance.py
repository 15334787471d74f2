"""Node maintenance (maintain_node_health): on an offline node the watcher
stops the instances and DRBD devices still there; elsewhere nothing."""

import os

import pytest

from ganeti import constants as C
from ganeti import pathutils
from ganeti.watcher import maintenance


@pytest.fixture
def root(tmp_path):
    pathutils.set_root(str(tmp_path))
    os.makedirs(pathutils.DATA_DIR)
    os.makedirs(pathutils.FAKE_RUN_DIR)
    yield tmp_path
    pathutils.set_root("")


def _ssconf(key, value):
    with open(pathutils.ssconf_file(key), "w") as fh:
        fh.write(value + "\n")


def _stray(name):
    with open(os.path.join(pathutils.FAKE_RUN_DIR, name), "w") as fh:
        fh.write("128\n1\n")


@pytest.mark.parametrize("role, enabled, stopped", [
    (C.CONFD_NODE_ROLE_OFFLINE, "True", True),
    (C.CONFD_NODE_ROLE_REGULAR, "True", False),
    (None, "True", False),
    (C.CONFD_NODE_ROLE_OFFLINE, "False", False),
])
def test_stray_instances_stopped_only_on_offline_node(root, monkeypatch,
                                                      role, enabled, stopped):
    from ganeti import hypervisor
    monkeypatch.setattr(hypervisor, "_instances", {})
    _ssconf(C.SS_MAINTAIN_NODE_HEALTH, enabled)
    _ssconf(C.SS_HYPERVISOR_LIST, "fake")
    asked = []
    monkeypatch.setattr(maintenance, "NodeRole",
                        lambda name: asked.append(name) or role)
    _stray("stray1.example.test")
    _stray("stray2.example.test")
    maintenance.Run()
    left = sorted(os.listdir(pathutils.FAKE_RUN_DIR))
    assert left == ([] if stopped else ["stray1.example.test",
                                        "stray2.example.test"])
    assert bool(asked) == (enabled == "True")


def test_drbd_minors_shut_down_when_drbd_is_loaded(tmp_path):
    proc = tmp_path / "drbd"
    assert maintenance.StopDrbdDevices(str(proc), lambda: {1: None},
                                       lambda m: None) == []
    proc.write_text("version: 8.4.11\n")
    down = []
    assert maintenance.StopDrbdDevices(str(proc), lambda: {3: None, 0: None},
                                       down.append) == [0, 3]
    assert down == [0, 3]
