"""The watcher's decisions: which instances to restart, the retry limit,
user shutdowns, locked instances, boot id changes and disk activation."""

import pytest

from ganeti import constants as C
from ganeti.watcher import decide
from ganeti.watcher import state


@pytest.fixture
def notepad(tmp_path):
    path = str(tmp_path / "watcher.g1.data")
    pad = state.WatcherState(state.OpenStateFile(path))
    yield pad
    pad.Close()


def _inst(name, status, pnode="n1", snodes=(), template=C.DT_FILE,
          admin_up=True, disks_active=True):
    return decide.Instance(name=name, status=status, disk_template=template,
                           pnode=pnode, snodes=list(snodes),
                           disks_active=disks_active, admin_up=admin_up)


NODES = [decide.Node("n1", "b1", False), decide.Node("n2", "b2", False)]


def test_only_error_down_instances_are_restarted(notepad):
    instances = [_inst("up", C.INSTST_RUNNING),
                 _inst("down", C.INSTST_ERRORDOWN),
                 _inst("admin", C.INSTST_ADMINDOWN, admin_up=False),
                 _inst("offl", C.INSTST_ADMINOFFLINE, admin_up=False),
                 _inst("errup", C.INSTST_ERRORUP, admin_up=False),
                 _inst("nodedown", C.INSTST_NODEDOWN)]
    todo = decide.DecideInstances(instances, NODES, notepad)
    assert todo.restart == ["down"]
    assert todo.record_user_down == [] and todo.activate_disks == []
    assert notepad.NumberOfRestartAttempts("down") == 1
    assert notepad.NumberOfRestartAttempts("admin") == 0


def test_retry_limit_then_gives_up_once_and_stays_quiet(notepad):
    instances = [_inst("down", C.INSTST_ERRORDOWN)]
    for attempt in range(decide.MAXTRIES):
        todo = decide.DecideInstances(instances, NODES, notepad)
        assert todo.restart == ["down"], attempt
        assert todo.gave_up == []
    todo = decide.DecideInstances(instances, NODES, notepad)
    assert todo.restart == [] and todo.gave_up == ["down"]
    todo = decide.DecideInstances(instances, NODES, notepad)
    assert todo.restart == [] and todo.gave_up == []


def test_counter_reset_when_seen_running(notepad):
    down = [_inst("i", C.INSTST_ERRORDOWN)]
    for _ in range(3):
        decide.DecideInstances(down, NODES, notepad)
    assert notepad.NumberOfRestartAttempts("i") == 3
    decide.DecideInstances([_inst("i", C.INSTST_RUNNING)], NODES, notepad)
    assert notepad.NumberOfRestartAttempts("i") == 0
    assert decide.DecideInstances(down, NODES, notepad).restart == ["i"]


def test_removed_instances_are_forgotten(notepad):
    decide.DecideInstances([_inst("gone", C.INSTST_ERRORDOWN)], NODES,
                           notepad)
    decide.DecideInstances([], NODES, notepad)
    assert notepad.NumberOfRestartAttempts("gone") == 0


def test_user_down_is_recorded_with_its_own_counter(notepad):
    instances = [_inst("u", C.INSTST_USERDOWN)]
    todo = decide.DecideInstances(instances, NODES, notepad)
    assert todo.record_user_down == ["u"] and todo.restart == []
    assert notepad.NumberOfCleanupAttempts("u") == 1
    assert notepad.NumberOfRestartAttempts("u") == 0


def test_locked_and_offline_node_instances_are_left_alone(notepad):
    nodes = [decide.Node("n1", "b1", False), decide.Node("n2", None, True)]
    instances = [_inst("locked", C.INSTST_ERRORDOWN),
                 _inst("onoffline", C.INSTST_ERRORDOWN, pnode="n2"),
                 _inst("sec-offline", C.INSTST_ERRORDOWN, snodes=["n2"])]
    todo = decide.DecideInstances(instances, nodes, notepad,
                                  locked=["locked"])
    assert todo.restart == []
    assert notepad.NumberOfRestartAttempts("locked") == 0


def test_boot_id_change_means_reboot_first_sight_does_not(notepad):
    assert decide.RebootedNodes(NODES, notepad) == set()
    assert notepad.GetNodeBootID("n1") == "b1"
    rebooted = [decide.Node("n1", "b1", False),
                decide.Node("n2", "b2-new", False),
                decide.Node("n3", "b3", False)]
    assert decide.RebootedNodes(rebooted, notepad) == {"n2"}
    assert notepad.GetNodeBootID("n2") == "b2-new"
    assert decide.RebootedNodes(rebooted, notepad) == set()


def test_offline_node_boot_id_is_not_recorded(notepad):
    decide.RebootedNodes([decide.Node("n1", "b1", True)], notepad)
    assert notepad.GetNodeBootID("n1") is None


def test_disks_activated_for_instances_on_rebooted_nodes(notepad):
    instances = [_inst("prim", C.INSTST_RUNNING, pnode="n2"),
                 _inst("sec", C.INSTST_RUNNING, pnode="n1", snodes=["n2"]),
                 _inst("other", C.INSTST_RUNNING, pnode="n1"),
                 _inst("diskless", C.INSTST_RUNNING, pnode="n2",
                       template=C.DT_DISKLESS),
                 _inst("admindown", C.INSTST_ADMINDOWN, pnode="n2",
                       admin_up=False, disks_active=False),
                 _inst("restarting", C.INSTST_ERRORDOWN, pnode="n2")]
    todo = decide.DecideInstances(instances, NODES, notepad,
                                  rebooted=["n2"])
    assert todo.activate_disks == ["prim", "sec"]
    assert todo.restart == ["restarting"]


def test_degraded_disks_activated_only_for_instances_that_should_run():
    instances = {"a": _inst("a", C.INSTST_RUNNING),
                 "b": _inst("b", C.INSTST_ADMINDOWN, admin_up=False),
                 "c": _inst("c", C.INSTST_RUNNING)}
    assert decide.DegradedToActivate(["a", "b", "c", "zz", "a"], instances,
                                      ["c"]) == ["a"]
