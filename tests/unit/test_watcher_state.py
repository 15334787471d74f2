"""The watcher's per-group state file: upstream's JSON format, the lock."""

import json

from ganeti.watcher import state


def test_round_trip_in_upstream_format(tmp_path):
    path = str(tmp_path / "watcher.g1.data")
    handle = state.OpenStateFile(path)
    notepad = state.WatcherState(handle)
    notepad.RecordRestartAttempt("inst1")
    notepad.RecordRestartAttempt("inst1")
    notepad.SetNodeBootID("node1", "b-1")
    notepad.Save(path)
    notepad.Close()
    with open(path) as fh:
        data = json.load(fh)
    assert set(data) == {"instance", "node"}
    assert data["node"] == {"node1": {"bootid": "b-1"}}
    assert data["instance"]["inst1"]["restart_count"] == 2
    assert isinstance(data["instance"]["inst1"]["restart_when"], float)
    again = state.WatcherState(state.OpenStateFile(path))
    assert again.NumberOfRestartAttempts("inst1") == 2
    assert again.GetNodeBootID("node1") == "b-1"
    again.MaintainInstanceList(["other"])
    assert again.NumberOfRestartAttempts("inst1") == 0
    again.Close()


def test_second_opener_is_refused_until_the_first_closes(tmp_path):
    path = str(tmp_path / "watcher.g1.data")
    first = state.WatcherState(state.OpenStateFile(path))
    first.RecordCleanupAttempt("inst1")
    first.Save(path)  # the lock moves to the new file
    assert state.OpenStateFile(path) is None
    first.Close()
    second = state.OpenStateFile(path)
    assert second is not None
    assert state.WatcherState(second).NumberOfCleanupAttempts("inst1") == 1
    second.close()


def test_garbage_state_starts_afresh(tmp_path):
    path = tmp_path / "watcher.g1.data"
    path.write_text("not json")
    notepad = state.WatcherState(state.OpenStateFile(str(path)))
    assert notepad.NumberOfRestartAttempts("x") == 0
    assert notepad.GetNodeBootID("n") is None
    notepad.Close()
