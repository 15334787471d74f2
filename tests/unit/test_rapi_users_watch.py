"""The RAPI users file watcher (inotify, stat polling) and the replication
of a changed users file through a redistribution job."""

import os
import threading

import pytest

from ganeti import opcodes
from ganeti.rapi import users, users_watch


def _watched(tmp_path, text="a pw write\n", **kwargs):
    path = tmp_path / "users"
    path.write_text(text)
    changed = threading.Event()
    table = users.UsersFile(str(path), on_change=changed.set)
    watcher = users_watch.UsersWatcher(table, **kwargs)
    return path, table, watcher, changed


def _replace(path, text):
    """Write-and-rename, as editors and the node daemon do."""
    tmp = str(path) + ".new"
    with open(tmp, "w") as handle:
        handle.write(text)
    os.rename(tmp, str(path))


@pytest.mark.skipif(users_watch.pyinotify is None, reason="no pyinotify")
def test_inotify_sees_a_renamed_file(tmp_path):
    path, table, watcher, changed = _watched(tmp_path)
    watcher.Start()
    try:
        for _ in range(100):  # the watch is set up by the thread
            if watcher.inotify_active:
                break
            threading.Event().wait(0.05)
        assert watcher.inotify_active and table.watched
        _replace(path, "a pw write\nb pw2 read\n")
        assert changed.wait(10), "the change was not noticed"
        # noticed by the watcher, not by a request-time stat check
        assert table.Get("b").options == frozenset(["read"])
        changed.clear()
        path.unlink()
        assert changed.wait(10)
        assert table.Get("a") is None
    finally:
        watcher.Stop()
    assert not table.watched


def test_polling_without_inotify(tmp_path, monkeypatch):
    monkeypatch.setattr(users_watch, "POLL_INTERVAL", 0.05)
    path, table, watcher, changed = _watched(tmp_path, use_inotify=False)
    watcher.Start()
    try:
        _replace(path, "c pw write\n")
        assert changed.wait(10)
        assert table.Authenticate("c", "pw") and not watcher.inotify_active
    finally:
        watcher.Stop()


@pytest.mark.skipif(users_watch.pyinotify is None, reason="no pyinotify")
def test_missing_directory_is_polled_until_it_appears(tmp_path, monkeypatch):
    monkeypatch.setattr(users_watch, "POLL_INTERVAL", 0.05)
    directory = tmp_path / "rapi"
    changed = threading.Event()
    table = users.UsersFile(str(directory / "users"), on_change=changed.set)
    watcher = users_watch.UsersWatcher(table)
    watcher.Start()
    try:
        assert not watcher.inotify_active
        directory.mkdir()
        (directory / "users").write_text("d pw read\n")
        assert changed.wait(10)
        assert table.Get("d").options == frozenset(["read"])
    finally:
        watcher.Stop()


def test_unchanged_content_is_no_change(tmp_path):
    path, table, _, changed = _watched(tmp_path)
    _replace(path, "a pw write\n")  # new inode, same users
    table.Check()
    assert not changed.is_set() and table.Get("a")
    _replace(path, "a pw read\n")
    table.Check()
    assert changed.is_set()


class _Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_replication_waits_for_the_file_to_settle():
    clock = _Clock()
    rep = users_watch.UsersReplicator(lambda ops: 1, clock=clock)
    assert rep.DueIn() is None
    rep.Changed()
    assert rep.DueIn() == users_watch.SETTLE_TIME
    clock.now += 1.5
    rep.Changed()
    assert rep.DueIn() == users_watch.SETTLE_TIME
    # a stream of changes delays it by MAX_DELAY at most
    for _ in range(20):
        clock.now += 1.0
        rep.Changed()
    assert rep.DueIn() == 0.0


def test_replication_submits_one_redistribution_job(monkeypatch):
    monkeypatch.setattr(users_watch, "SETTLE_TIME", 0.05)
    submitted = []
    done = threading.Event()

    def submit(ops):
        submitted.append(ops)
        done.set()
        return 42
    rep = users_watch.UsersReplicator(submit)
    rep.Start()
    try:
        rep.Changed()
        rep.Changed()
        assert done.wait(10)
    finally:
        rep.Stop()
    assert len(submitted) == 1 and len(submitted[0]) == 1
    op = submitted[0][0]
    assert isinstance(op, opcodes.OpClusterRedistConf)
    assert op.reason[0][:2] == ["gnt:library:rlib2:redist_config",
                                users_watch.REPLICATION_REASON]
    assert rep.DueIn() is None


def test_failed_submission_is_retried_a_bounded_number_of_times(monkeypatch):
    monkeypatch.setattr(users_watch, "RETRY_INTERVAL", 0.01)
    calls = []

    def submit(ops):
        calls.append(ops)
        raise OSError("master down")
    rep = users_watch.UsersReplicator(submit)
    assert rep.Submit() is None
    assert len(calls) == users_watch.MAX_ATTEMPTS
