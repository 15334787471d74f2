"""gnt-cluster verify's DRBD checks: the node side (drbd-list, drbd-helper,
drbd-version from /proc/drbd and the usermode helper) and the master side
(minors in use against the configuration, the usermode helper, versions)."""

import os
import types

from ganeti import constants
from ganeti.backend import verify as backend_verify
from ganeti.cmdlib import verify_checks as vc
from ganeti.storage import drbd, drbd_info

RECORDED = os.path.join(os.path.dirname(__file__), "..", "data", "recorded")


def _reporter():
    lines = []
    return vc.Reporter(lines.append, error_codes=True), lines


def test_node_answers_minors_helper_and_version_from_the_kernel(monkeypatch):
    monkeypatch.setattr(drbd, "PROC_FILE", os.path.join(RECORDED, "proc_drbd84.txt"))
    monkeypatch.setattr(drbd_info.ReadUsermodeHelper, "__defaults__",
                        (os.path.join(RECORDED, "sys_drbd_usermode_helper.txt"),))
    answer = backend_verify.VerifyNode({constants.NV_DRBDLIST: None,
                                        constants.NV_DRBDHELPER: "/bin/true",
                                        constants.NV_DRBDVERSION: None}, "c")
    assert answer == {constants.NV_DRBDLIST: [0, 1, 4, 6, 8],
                      constants.NV_DRBDHELPER: [True, "/bin/true"],
                      constants.NV_DRBDVERSION: "8.4.2"}


def test_node_without_drbd_answers_the_errors(monkeypatch, tmp_path):
    monkeypatch.setattr(drbd, "PROC_FILE", str(tmp_path / "no-proc-drbd"))
    monkeypatch.setattr(drbd_info.ReadUsermodeHelper, "__defaults__",
                        (str(tmp_path / "no-helper"),))
    answer = backend_verify.VerifyNode({constants.NV_DRBDLIST: None,
                                        constants.NV_DRBDHELPER: "/bin/true"}, "c")
    assert "Can't read DRBD status file" in answer[constants.NV_DRBDLIST]
    assert answer[constants.NV_DRBDHELPER][0] is False


def test_minors_in_use_against_the_configuration():
    rep, lines = _reporter()
    expected = {0: ("disk-a", "inst1", True), 1: ("disk-b", "inst2", True),
                2: ("disk-c", "inst3", False)}
    vc.VerifyNodeDrbd(rep, "node1", {constants.NV_DRBDLIST: [0, 5],
                                     constants.NV_DRBDHELPER: [True, "/bin/true"]},
                      "/bin/true", expected)
    assert lines == [
        "  - ERROR:ENODEDRBD:node:node1:drbd minor 1 of disk disk-b (attached in"
        " instance 'inst2') is not active",
        "  - ERROR:ENODEDRBD:node:node1:unallocated drbd minor 5 is in use"]


def test_usermode_helper_and_unreadable_status():
    rep, lines = _reporter()
    vc.VerifyNodeDrbd(rep, "node2", {constants.NV_DRBDLIST: "Can't read it",
                                     constants.NV_DRBDHELPER: [True, "/sbin/drbdadm"]},
                      "/bin/true", {})
    assert lines == [
        "  - ERROR:ENODEDRBDHELPER:node:node2:wrong drbd usermode helper:"
        " /sbin/drbdadm",
        "  - ERROR:ENODEDRBD:node:node2:cannot parse drbd status file: Can't read it"]
    rep, lines = _reporter()
    vc.VerifyNodeDrbdHelper(rep, "node3", {}, "/bin/true")
    assert lines == ["  - ERROR:ENODEDRBDHELPER:node:node3:no drbd usermode"
                     " helper returned"]


def test_version_mismatch_is_a_warning():
    rep, lines = _reporter()
    vc.VerifyDrbdVersions(rep, {"node1": "8.4.11", "node2": "8.4.11"})
    assert lines == []
    vc.VerifyDrbdVersions(rep, {"node1": "8.4.11", "node2": "8.3.13"})
    assert lines == ["  - WARNING:ENODEDRBDVERSION:node:node1:DRBD version"
                     " mismatch: 8.4.11",
                     "  - WARNING:ENODEDRBDVERSION:node:node2:DRBD version"
                     " mismatch: 8.3.13"]
    assert not rep.bad


def test_minors_by_node_from_the_drbd_disks():
    disk = types.SimpleNamespace(dev_type=constants.DT_DRBD8, uuid="d1",
                                 logical_id=["n1", "n2", 11000, 3, 7, "s"])
    plain = types.SimpleNamespace(dev_type=constants.DT_PLAIN, uuid="d2",
                                  logical_id=["xenvg", "lv"])
    inst = types.SimpleNamespace(name="inst1", disks_active=True)
    assert vc.DrbdMinorsByNode([(inst, [disk, plain])]) == {
        "n1": {3: ("d1", "inst1", True)}, "n2": {7: ("d1", "inst1", True)}}
