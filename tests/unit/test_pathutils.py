"""Tests for ganeti.pathutils: configure-time paths and root relocation."""

import importlib
import os
import re
import subprocess
import sys
import types

import pytest

import ganeti
from ganeti import pathutils

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
TEMPLATE = os.path.join(REPO_ROOT, "ganeti", "_autoconf.py.in")

MUST_RELOCATE = ["DATA_DIR", "CONF_DIR", "RUN_DIR", "LOG_DIR", "LOCK_DIR",
                 "QUEUE_DIR", "CLUSTER_CONF_FILE", "MASTER_SOCKET",
                 "QUERY_SOCKET", "NODED_CERT_FILE", "RAPI_USERS_FILE",
                 "CONFD_HMAC_KEY", "JOB_QUEUE_ARCHIVE_DIR", "EXPORT_DIR",
                 "DEFAULT_FILE_STORAGE_DIR", "WATCHER_LOCK_FILE"]


def _Snapshot():
    return {name: getattr(pathutils, name) for name in dir(pathutils)
            if name.isupper() and isinstance(getattr(pathutils, name),
                                             (str, list))}


def test_upstream_layout_relative_to_configure_dirs():
    local = pathutils.get_root() + pathutils.LOCALSTATEDIR
    sysconf = pathutils.get_root() + pathutils.SYSCONFDIR
    assert pathutils.DATA_DIR == local + "/lib/ganeti"
    assert pathutils.CLUSTER_CONF_FILE == local + "/lib/ganeti/config.data"
    assert pathutils.QUERY_SOCKET == local + "/run/ganeti/socket/ganeti-query"
    assert pathutils.CONF_DIR == sysconf + "/ganeti"
    assert pathutils.ssconf_file("cluster_name") == \
        local + "/lib/ganeti/ssconf_cluster_name"
    assert pathutils.daemon_pid_file("ganeti-noded") == \
        local + "/run/ganeti/ganeti-noded.pid"
    assert pathutils.daemon_log_file("node-daemon") == \
        local + "/log/ganeti/node-daemon.log"


def test_set_root_relocates_state_but_not_programs(tmp_path):
    old_root = pathutils.get_root()
    pathutils.set_root("")
    try:
        before = _Snapshot()
        root = str(tmp_path)
        pathutils.set_root(root + "/")  # trailing slash is ignored
        assert pathutils.get_root() == root
        after = _Snapshot()
        for name in MUST_RELOCATE:
            assert after[name] == root + before[name], name
        for name, value in after.items():
            if value == before[name]:
                continue
            if isinstance(value, list):
                assert value == [root + p for p in before[name]], name
            else:
                assert value == root + before[name], name
        for name in ("PREFIX", "PKGLIBDIR", "KVM_PATH", "SSH_CONFIG_DIR"):
            assert after[name] == before[name]
        assert pathutils.daemon_pid_file("x").startswith(root + "/")
        assert all(p.startswith(root + "/") for p in pathutils.OS_SEARCH_PATH)
    finally:
        pathutils.set_root(old_root)


def test_ganeti_rootdir_environment(tmp_path):
    code = ("from ganeti import pathutils as p;"
            "print(p.get_root()); print(p.CLUSTER_CONF_FILE);"
            "print(p.LOCALSTATEDIR)")
    env = dict(os.environ, GANETI_ROOTDIR=str(tmp_path), PYTHONPATH=REPO_ROOT)
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                         capture_output=True, text=True).stdout.split("\n")
    assert out[0] == str(tmp_path)
    assert out[1] == "%s%s/lib/ganeti/config.data" % (tmp_path, out[2])


def _GenerateAutoconf(tmp_path, values):
    """Substitute @VAR@ in _autoconf.py.in like configure would."""
    with open(TEMPLATE) as fh:
        text = fh.read()
    for key, value in values.items():
        text = text.replace("@%s@" % key, value)
    # Variables this test does not care about get a recognisable dummy.
    text = re.sub(r"@([A-Za-z_]+)@", r"/unused/\1", text)
    path = tmp_path / "_autoconf.py"
    path.write_text(text)
    module = types.ModuleType("ganeti._autoconf")
    module.__file__ = str(path)
    exec(compile(text, str(path), "exec"), module.__dict__)
    return module


@pytest.fixture
def fake_autoconf(tmp_path, monkeypatch):
    """Install a generated ganeti._autoconf and reload pathutils."""
    old_root = pathutils.get_root()
    saved = sys.modules.get("ganeti._autoconf")

    def install(values):
        module = _GenerateAutoconf(tmp_path, values)
        monkeypatch.setitem(sys.modules, "ganeti._autoconf", module)
        monkeypatch.setattr(ganeti, "_autoconf", module, raising=False)
        monkeypatch.delenv("GANETI_ROOTDIR", raising=False)
        importlib.reload(pathutils)
        return module

    yield install
    monkeypatch.undo()
    if saved is None:
        sys.modules.pop("ganeti._autoconf", None)
    importlib.reload(pathutils)
    pathutils.set_root(old_root)


def test_configure_options_are_honoured(fake_autoconf):
    values = {
        "PACKAGE_VERSION": "3.0.2", "prefix": "/opt/g",
        "SYSCONFDIR": "/opt/etc", "LOCALSTATEDIR": "/opt/var",
        "PKGLIBDIR": "/opt/g/lib/ganeti", "PYTHONDIR": "/opt/g/share",
        "VENV_DIR": "/opt/g/venv",
        "FILE_STORAGE_DIR": "/data/file-storage",
        "SHARED_FILE_STORAGE_DIR": "/data/shared",
        "EXPORT_DIR": "/data/export",
        "OS_SEARCH_PATH": "/data/os,/opt/g/os",
        "ES_SEARCH_PATH": "/data/es",
        "IALLOCATOR_SEARCH_PATH": "/opt/g/lib/ganeti/iallocators",
        "KVM_PATH": "/opt/bin/kvm", "SSH_CONFIG_DIR": "/opt/etc/ssh",
        "SSH_LOGIN_USER": "admin",
    }
    fake_autoconf(values)
    assert pathutils.PREFIX == "/opt/g"
    assert pathutils.DATA_DIR == "/opt/var/lib/ganeti"
    assert pathutils.CONF_DIR == "/opt/etc/ganeti"
    assert pathutils.RUN_DIR == "/opt/var/run/ganeti"
    assert pathutils.LOG_DIR == "/opt/var/log/ganeti"
    assert pathutils.HOOKS_BASE_DIR == "/opt/etc/ganeti/hooks"
    assert pathutils.DEFAULT_FILE_STORAGE_DIR == "/data/file-storage"
    assert pathutils.DEFAULT_SHARED_FILE_STORAGE_DIR == "/data/shared"
    assert pathutils.EXPORT_DIR == "/data/export"
    assert pathutils.OS_SEARCH_PATH == ["/data/os", "/opt/g/os"]
    assert pathutils.ES_SEARCH_PATH == ["/data/es"]
    assert pathutils.KVM_PATH == "/opt/bin/kvm"
    assert pathutils.SSH_LOGIN_USER == "admin"
    # Relocation still applies on top of the configured directories.
    pathutils.set_root("/r")
    assert pathutils.CLUSTER_CONF_FILE == "/r/opt/var/lib/ganeti/config.data"
    assert pathutils.OS_SEARCH_PATH == ["/r/data/os", "/r/opt/g/os"]
    assert pathutils.KVM_PATH == "/opt/bin/kvm"
