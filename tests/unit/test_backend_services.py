"""Tests for ganeti.backend.exports and ganeti.backend.node_services."""

import os

import pytest

from ganeti import backend
from ganeti import constants
from ganeti import pathutils
from ganeti.backend import exports
from ganeti.backend import node_services
from ganeti.utils import io as utils_io
from ganeti.utils import x509


def _Script(path, text, mode=0o755):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)
    os.chmod(path, mode)


def test_exports(ganeti_root):
    with pytest.raises(backend.RPCFail, match="^No exports directory$"):
        exports.ListExports()
    one = os.path.join(pathutils.EXPORT_DIR, "inst1.example.com")
    os.makedirs(one)
    os.makedirs(os.path.join(pathutils.EXPORT_DIR, "a.example.com"))
    assert exports.ListExports() == ["a.example.com", "inst1.example.com"]
    with pytest.raises(backend.RPCFail, match="^Export info file doesn't"
                       " have the required fields$"):
        exports.ExportInfo(one)
    text = "[export]\nversion = 0\n\n[instance]\nname = inst1.example.com\n"
    _Script(os.path.join(one, "config.ini"), text, 0o644)
    assert exports.ExportInfo(one) == text
    exports.RemoveExport("inst1.example.com")
    assert exports.ListExports() == ["a.example.com"]
    with pytest.raises(backend.RPCFail, match="Invalid export name"):
        exports.RemoveExport("../etc")


def test_x509_certificates(ganeti_root):
    name, pem = exports.CreateX509Certificate(3600)
    assert name.startswith("x509-")
    cert_dir = os.path.join(pathutils.CRYPTO_KEYS_DIR, name)
    with open(os.path.join(cert_dir, "cert")) as handle:
        assert handle.read() == pem
    x509.LoadCertificate(pem)
    exports.RemoveX509Certificate(name)
    assert not os.path.exists(cert_dir)
    with pytest.raises(backend.RPCFail, match="Invalid certificate name"):
        exports.RemoveX509Certificate("../../etc")


def test_restricted_commands(ganeti_root, monkeypatch):
    monkeypatch.setattr(node_services, "RESTRICTED_COMMAND_FAIL_DELAY", 0)
    directory = pathutils.RESTRICTED_COMMANDS_DIR
    _Script(os.path.join(directory, "hello"), "#!/bin/sh\necho hi $FOO\n")
    _Script(os.path.join(directory, "fails"), "#!/bin/sh\nexit 3\n")
    os.chmod(directory, 0o755)
    monkeypatch.setenv("FOO", "leaked")
    if os.getuid() == 0:
        assert node_services.RunRestrictedCmd("hello") == "hi\n"
    for bad in ("fails", "missing", "../hello", "a b"):
        with pytest.raises(backend.RPCFail,
                           match="^Executing command '%s' failed$"
                           % bad.replace(".", r"\.")):
            node_services.RunRestrictedCmd(bad)
    os.chmod(directory, 0o777)  # writable by others: nothing runs
    with pytest.raises(backend.RPCFail, match="failed"):
        node_services.RunRestrictedCmd("hello")


def test_restricted_commands_run_one_at_a_time(ganeti_root, monkeypatch):
    monkeypatch.setattr(node_services, "RESTRICTED_COMMAND_FAIL_DELAY", 0)
    monkeypatch.setattr(node_services, "RESTRICTED_COMMAND_LOCK_TIMEOUT", 0)
    directory = pathutils.RESTRICTED_COMMANDS_DIR
    _Script(os.path.join(directory, "hello"), "#!/bin/sh\necho hi\n")
    os.chmod(directory, 0o755)
    os.makedirs(pathutils.LOCK_DIR, exist_ok=True)
    other = utils_io.FileLock.Open(pathutils.RESTRICTED_COMMANDS_LOCK_FILE)
    other.Exclusive()
    try:
        with pytest.raises(backend.RPCFail,
                           match="^Executing command 'hello' failed$"):
            node_services.RunRestrictedCmd("hello")
    finally:
        other.Close()
    if os.getuid() == 0:
        assert node_services.RunRestrictedCmd("hello") == "hi\n"


def test_ensure_daemon(ganeti_root):
    assert node_services.EnsureDaemon(constants.KVMD, False) is True
    with pytest.raises(backend.RPCFail, match="cannot be ensured"):
        node_services.EnsureDaemon(constants.NODED, False)


def test_extstorage_diagnose(ganeti_root, monkeypatch, tmp_path):
    top = str(tmp_path / "es")
    monkeypatch.setattr(pathutils, "ES_SEARCH_PATH", [top])
    assert node_services.DiagnoseExtStorage() == []
    for script in node_services.ES_SCRIPTS:
        _Script(os.path.join(top, "good", script), "#!/bin/sh\n")
    _Script(os.path.join(top, "good", "parameters.list"), "size Disk size\n")
    _Script(os.path.join(top, "bad", "create"), "#!/bin/sh\n")
    _Script(os.path.join(top, "noexec", "parameters.list"), "")
    for script in node_services.ES_SCRIPTS:
        _Script(os.path.join(top, "noexec", script), "#!/bin/sh\n",
                0o755 if script != "grow" else 0o644)
    _Script(os.path.join(top, "nolist", "parameters.list"), "")
    for script in node_services.ES_SCRIPTS:
        _Script(os.path.join(top, "nolist", script), "#!/bin/sh\n")
    os.remove(os.path.join(top, "nolist", "parameters.list"))
    assert node_services.DiagnoseExtStorage() == [
        ["bad", top + "/bad", False,
         "File 'remove' under path '%s/bad' is missing (ENOENT)" % top, []],
        ["good", top + "/good", True, "", [["size", "Disk size"]]],
        ["noexec", top + "/noexec", False,
         "File 'grow' under path '%s/noexec' is not executable" % top, []],
        ["nolist", top + "/nolist", False,
         "File 'parameters.list' under path '%s/nolist' is missing"
         " (ENOENT)" % top, []]]


def test_import_export_status_and_cleanup(ganeti_root):
    status_dir = os.path.join(pathutils.IMPORT_EXPORT_DIR, "export-disk0-x")
    _Script(os.path.join(status_dir, "status"),
            '{"listen_port": 1234, "recent_output": []}', 0o600)
    assert exports.GetImportExportStatus(["export-disk0-x", "gone"]) == [
        {"listen_port": 1234, "recent_output": []}, None]
    exports.AbortImportExport("export-disk0-x")   # no daemon: nothing to do
    exports.CleanupImportExport("export-disk0-x")
    assert not os.path.exists(status_dir)
    with pytest.raises(backend.RPCFail, match="Invalid import/export name"):
        exports.CleanupImportExport("../queue")
