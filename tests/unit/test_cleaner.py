"""ganeti-cleaner (node and master modes) and node-cleanup."""

import os
import time

import pytest

from ganeti import daemon_util
from ganeti import pathutils
from ganeti import ssconf
from ganeti.tools import cleaner
from ganeti.tools import node_cleanup
from ganeti.utils import x509

DAY = 24 * 3600
GROUP = "0f3c1e2a-6b1d-4c55-9a0e-2d7f1b9c8e41"


def _touch(path, age_days, text="x"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        fh.write(text)
    stamp = time.time() - age_days * DAY
    os.utime(path, (stamp, stamp))
    return path


def _key_dir(name, validity_days):
    """An X509 key directory as import/export makes them."""
    path = os.path.join(pathutils.CRYPTO_KEYS_DIR, name)
    os.makedirs(path)
    key_pem, cert_pem = x509.GenerateSelfSignedX509Cert(
        "test", validity=validity_days)
    with open(os.path.join(path, "cert"), "w") as fh:
        fh.write(cert_pem)
    with open(os.path.join(path, "key"), "w") as fh:
        fh.write(key_pem)
    return path


def test_master_mode_removes_old_archived_jobs(ganeti_root, monkeypatch):
    monkeypatch.setattr(ssconf, "IsMaster", lambda ss=None: True)
    archive = pathutils.JOB_QUEUE_ARCHIVE_DIR
    old = _touch(os.path.join(archive, "0", "job-1"), 22)
    recent = _touch(os.path.join(archive, "0", "job-2"), 20)
    current = _touch(os.path.join(pathutils.QUEUE_DIR, "job-3"), 30)
    assert cleaner.Main(["master"]) == 0
    assert not os.path.exists(old)
    assert os.path.exists(recent) and os.path.exists(current)
    logs = os.listdir(os.path.join(pathutils.LOG_DIR, "master-cleaner"))
    assert len(logs) == 1 and logs[0].startswith("master-cleaner-")
    with open(os.path.join(pathutils.LOG_DIR, "master-cleaner",
                           logs[0])) as fh:
        assert fh.read() == "Removed %s\n" % old


def test_master_mode_does_nothing_on_other_nodes(ganeti_root, monkeypatch):
    monkeypatch.setattr(ssconf, "IsMaster", lambda ss=None: False)
    old = _touch(os.path.join(pathutils.JOB_QUEUE_ARCHIVE_DIR, "0", "job-1"),
                 40)
    assert cleaner.Main(["master"]) == 0
    assert os.path.exists(old)


def test_node_mode_removes_expired_keys_and_stale_watcher_state(
        ganeti_root, monkeypatch):
    expired = _key_dir("x509-expired", 0)
    valid = _key_dir("x509-valid", 1)
    stale = _touch(os.path.join(pathutils.DATA_DIR,
                                "watcher.%s.data" % GROUP), 8)
    fresh = _touch(os.path.join(pathutils.DATA_DIR, "watcher.%s"
                                ".instance-status" % GROUP.upper()), 1)
    other = _touch(os.path.join(pathutils.DATA_DIR, "config.data"), 100)
    removed = cleaner.Run("node", now=time.time() + 60)
    assert removed == [expired, stale]
    assert os.path.isdir(valid)
    assert os.path.exists(fresh) and os.path.exists(other)


def test_old_cleaner_logs_go(ganeti_root):
    old_log = _touch(os.path.join(pathutils.LOG_DIR, "cleaner",
                                  "cleaner-old.log"), 8)
    cleaner.Run("node")
    assert not os.path.exists(old_log)
    assert len(os.listdir(os.path.join(pathutils.LOG_DIR, "cleaner"))) == 1


@pytest.mark.parametrize("argv", [[], ["both"], ["node", "master"]])
def test_cleaner_usage(argv, capsys):
    assert cleaner.Main(argv) == 1
    assert capsys.readouterr().err == "Usage: ganeti-cleaner {node|master}\n"


def _cluster_state():
    files = [_touch(pathutils.ssconf_file("cluster_name"), 0, "c\n"),
             _touch(pathutils.CLUSTER_CONF_FILE, 0, "{}"),
             _touch(pathutils.NODED_CERT_FILE, 0),
             _touch(os.path.join(pathutils.QUEUE_DIR, "job-7"), 0),
             _touch(os.path.join(pathutils.JOB_QUEUE_ARCHIVE_DIR, "0",
                                 "job-1"), 0)]
    log = _touch(os.path.join(pathutils.LOG_DIR, "node-daemon.log"), 0)
    return files, log


def test_node_cleanup_needs_yes_do_it(ganeti_root, monkeypatch, capsys):
    monkeypatch.setattr(ssconf, "IsMaster", lambda ss=None: False)
    files, _ = _cluster_state()
    assert node_cleanup.Main([]) == 1
    assert "--yes-do-it" in capsys.readouterr().err
    assert all(os.path.exists(f) for f in files)


def test_node_cleanup_refuses_the_master(ganeti_root, monkeypatch, capsys):
    monkeypatch.setattr(ssconf, "IsMaster", lambda ss=None: True)
    files, _ = _cluster_state()
    assert node_cleanup.Main(["--yes-do-it"]) == 1
    assert "master" in capsys.readouterr().err
    assert all(os.path.exists(f) for f in files)


def test_node_cleanup_stops_daemons_and_removes_state(ganeti_root,
                                                     monkeypatch, capsys):
    monkeypatch.setattr(ssconf, "IsMaster", lambda ss=None: False)
    stopped = []
    monkeypatch.setattr(daemon_util, "stop",
                        lambda name: stopped.append(name) or
                        name == "ganeti-noded")
    files, log = _cluster_state()
    assert node_cleanup.Main(["--yes-do-it"]) == 0
    assert stopped == daemon_util.START_ORDER[::-1]
    assert not any(os.path.exists(f) for f in files)
    assert os.path.exists(log)
    assert capsys.readouterr().out == \
        "Stopped ganeti-noded\nRemoved the cluster state of this node\n"
