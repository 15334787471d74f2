"""The import-export daemon: real transfers over TLS between two local
daemons (socat on 127.0.0.1), and the export's config.ini."""

import json
import os
import subprocess
import sys
import time

import pytest

from ganeti import constants as C
from ganeti.backend import impexp as backend_impexp
from ganeti.impexp import daemon
from ganeti.utils import x509

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
PROGRAM = os.path.join(TOP, "daemons", "import-export")
DATA = os.path.join(TOP, "tests", "data")


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("impexp-cert") / "server.pem")
    x509.GenerateSelfSignedServerCert(path)
    return path


def _Script(path, text):
    with open(path, "w") as handle:
        handle.write("#!/bin/bash\n%s\n" % text)
    os.chmod(path, 0o700)
    return path


def _Start(tmp, mode, cert, cmd, *extra):
    """Start a daemon; cmd is a command file, or ("file", path[, "--raw"])."""
    status = os.path.join(tmp, "%s.status" % mode)
    data = ["--cmd=" + cmd] if isinstance(cmd, str) else \
        ["--file=" + cmd[1]] + list(cmd[2:])
    proc = subprocess.Popen([sys.executable, PROGRAM, status, mode,
                             "--key=" + cert, "--cert=" + cert,
                             "--ca=" + cert, "--connect-timeout=20"] +
                            data + list(extra))
    return proc, status


def _Status(path):
    try:
        with open(path) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {}


def _WaitFor(predicate, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not reached in %s s" % timeout)


def _Transfer(tmp, cert, payload, import_magic="m1", export_magic="m1",
              compress=C.IEC_NONE, files=False, raw=()):
    src, dst = os.path.join(tmp, "src"), os.path.join(tmp, "dst")
    with open(src, "wb") as handle:
        handle.write(payload)
    if files:
        imp_io, exp_io = ("file", dst) + tuple(raw), ("file", src) + tuple(raw)
    else:
        imp_io = _Script(os.path.join(tmp, "imp"), "cat > %s" % dst)
        exp_io = _Script(os.path.join(tmp, "exp"),
                         "echo reading >&2; cat %s" % src)
    imp, imp_status = _Start(tmp, C.IEM_IMPORT, cert, imp_io,
                             "--magic=" + import_magic,
                             "--compress=" + compress)
    port = _WaitFor(lambda: _Status(imp_status).get("listen_port"))
    exp, exp_status = _Start(tmp, C.IEM_EXPORT, cert, exp_io,
                             "--magic=" + export_magic,
                             "--compress=" + compress, "--host=127.0.0.1",
                             "--port=%d" % port, "--expected-size=%d" %
                             max(1, len(payload) >> 20))
    assert exp.wait(timeout=60) is not None
    assert imp.wait(timeout=60) is not None
    return _Status(imp_status), _Status(exp_status), dst


@pytest.mark.parametrize("compress", [C.IEC_NONE, C.IEC_GZIP_FAST])
def test_transfer_copies_the_data(tmp_path, cert, compress):
    payload = os.urandom(1 << 20) * 3 + b"tail"
    imp, exp, dst = _Transfer(str(tmp_path), cert, payload,
                              compress=compress)
    assert imp["exit_status"] == 0, imp
    assert exp["exit_status"] == 0, exp
    assert imp["connected"] and exp["connected"]
    with open(dst, "rb") as handle:
        assert handle.read() == payload
    assert exp["progress_mbytes"] == 3
    assert exp["progress_percent"] == 100
    assert exp["progress_throughput"] > 0
    assert exp["recent_output"] == ["reading"]
    assert imp["ctime"] <= imp["mtime"]


@pytest.mark.parametrize("compress", [C.IEC_NONE, C.IEC_GZIP])
def test_file_to_file(tmp_path, cert, compress):
    payload = os.urandom(1 << 20) * 2 + b"odd tail"
    imp, exp, dst = _Transfer(str(tmp_path), cert, payload,
                              compress=compress, files=True)
    assert (imp["exit_status"], exp["exit_status"]) == (0, 0), (imp, exp)
    with open(dst, "rb") as handle:
        assert handle.read() == payload


def test_raw_device_reads_the_disk_size_only(tmp_path, cert):
    # a "device" larger than the disk (LV extents): only --expected-size
    # MiB travel, written in place into the existing target
    tmp = str(tmp_path)
    with open(os.path.join(tmp, "dst"), "wb") as handle:
        handle.write(b"\xff" * (3 << 20))
    payload = os.urandom(1 << 20) + b"beyond the disk"
    imp, exp, dst = _Transfer(tmp, cert, payload, files=True,
                              raw=("--raw",))
    assert (imp["exit_status"], exp["exit_status"]) == (0, 0), (imp, exp)
    with open(dst, "rb") as handle:
        data = handle.read()
    assert data[:1 << 20] == payload[:1 << 20]
    assert data[1 << 20:] == b"\xff" * (2 << 20)


def test_magic_mismatch_fails_both_ends(tmp_path, cert):
    imp, exp, dst = _Transfer(str(tmp_path), cert, b"data" * 100,
                              import_magic="expected", export_magic="other")
    assert imp["exit_status"] == 1
    assert imp["error_message"].startswith("Magic value mismatch")
    assert os.path.getsize(dst) == 0


def test_import_gives_up_without_connection(tmp_path, cert):
    tmp = str(tmp_path)
    imp, status = _Start(tmp, C.IEM_IMPORT, cert,
                         _Script(os.path.join(tmp, "imp"), "cat >/dev/null"),
                         "--magic=x", "--connect-timeout=1")
    assert imp.wait(timeout=30) == 1
    assert "Not connected after 1 seconds" in \
        _Status(status)["error_message"]


def test_export_arguments_are_checked(capsys):
    with pytest.raises(SystemExit):
        daemon.ParseArgs(["/tmp/s", C.IEM_EXPORT, "--key=k", "--cert=c",
                          "--ca=a", "--magic=m", "--cmd=x"])
    assert "needs --host and --port" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        daemon.ParseArgs(["/tmp/s", C.IEM_IMPORT, "--key=k", "--cert=c",
                          "--ca=a", "--magic=m", "--cmd=x", "--file=y"])
    assert "Exactly one of --cmd and --file" in capsys.readouterr().err


def test_progress_reports_rate_percent_and_eta():
    progress = daemon.Progress(100)
    progress.samples[0] = (time.time() - 2, 0)
    progress.Add(50 << 20)
    fields = progress.Fields()
    assert fields["progress_mbytes"] == 50
    assert fields["progress_percent"] == 50
    assert 20 < fields["progress_throughput"] < 30
    assert fields["progress_eta"] == int(50 / fields["progress_throughput"])


def test_export_config_is_upstreams():
    with open(os.path.join(DATA, "rpc-3.0", "finalize_export.json")) as fd:
        instance, snap_disks = json.load(fd)[0]["request"]
    with open(os.path.join(DATA, "impexp", "config.ini")) as handle:
        recorded = handle.read()
    assert backend_impexp.ExportConfig(instance, snap_disks,
                                       timestamp=1796593075) == recorded
