"""tools/run-cluster-tests: lab names never collide, all-skipped is visible."""

import importlib.machinery
import importlib.util
import os

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def _Runner():
    path = os.path.join(REPO_ROOT, "tools", "run-cluster-tests")
    loader = importlib.machinery.SourceFileLoader("run_cluster_tests", path)
    spec = importlib.util.spec_from_loader("run_cluster_tests", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_lab_names_skip_the_ones_in_use(monkeypatch):
    tool = _Runner()
    busy = {"ciw1", "c1w1", "ciw3"}
    monkeypatch.setattr(tool, "LabInUse", lambda lab: lab in busy)
    assert tool.FreeLabNames(3) == ["c2w1", "ciw2", "c1w3"]
    assert all(len(name) <= 6 for name in tool.FreeLabNames(3))


def test_lab_names_are_the_plain_ones_on_a_quiet_machine(monkeypatch):
    tool = _Runner()
    monkeypatch.setattr(tool, "LabInUse", lambda lab: False)
    assert tool.FreeLabNames(2) == ["ciw1", "ciw2"]


def test_all_skipped_module_is_recognised():
    tool = _Runner()
    assert tool.AllSkipped("sss\n3 skipped in 0.1s\n")
    assert not tool.AllSkipped("..s\n2 passed, 1 skipped in 3s\n")
    assert not tool.AllSkipped("F\n1 failed in 3s\n")
    assert not tool.AllSkipped("")
