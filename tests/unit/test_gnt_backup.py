"""gnt-backup (fake LUXI): the opcodes export/import/remove submit and the
export's exit codes; the import's use of an export's config.ini
(upstream's, tests/data/impexp/config.ini); the transfer's progress line."""

import configparser
import os

from ganeti import constants
from ganeti import opcodes
from ganeti.client import gnt_backup
from ganeti.cmdlib import instance_import
from ganeti.cmdlib import transfer

from cli_fakes import FakeJob, Run, fake_luxi  # noqa: F401

CONFIG_INI = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "data", "impexp", "config.ini")


def _Answer(fake_luxi, result, status="success"):
    job_id = fake_luxi.next_id
    fake_luxi.jobs[job_id] = FakeJob(job_id, [{}], status=status,
                                     opresult=[result])


def _Op(fake_luxi):
    _, ops = fake_luxi.submitted[-1]
    assert len(ops) == 1
    return ops[0]


def test_export_submits_the_options(fake_luxi):
    _Answer(fake_luxi, [True, [True]])
    assert Run(gnt_backup, "export", "-n", "node2", "--noshutdown",
               "--transport-compression", "gzip", "inst1") == 0
    op = _Op(fake_luxi)
    assert op["OP_ID"] == "OP_BACKUP_EXPORT"
    assert (op["instance_name"], op["target_node"], op["shutdown"],
            op["compress"], op["remove_instance"]) == \
        ("inst1", "node2", False, "gzip", False)


def test_export_failures_exit_1(fake_luxi, capsys):
    _Answer(fake_luxi, [False, [True, False]])
    assert Run(gnt_backup, "export", "-n", "node2", "inst1") == 1
    err = capsys.readouterr().err
    assert "disks 1 could not be exported" in err
    assert "errors in finalize_export" in err


def test_export_needs_a_target_node(fake_luxi, capsys):
    assert Run(gnt_backup, "export", "inst1") == 1
    assert "Target node must be specified" in capsys.readouterr().err
    assert fake_luxi.submitted == []


def test_import_leaves_os_disks_and_nics_to_the_export(fake_luxi):
    _Answer(fake_luxi, ["node3"])
    assert Run(gnt_backup, "import", "-n", "node3", "--src-node", "node2",
               "--no-name-check", "inst1") == 0
    op = _Op(fake_luxi)
    assert op["OP_ID"] == "OP_INSTANCE_CREATE"
    assert (op["mode"], op["src_node"], op.get("os_type"), op["disks"],
            op["nics"], op["start"]) == \
        (constants.INSTANCE_IMPORT, "node2", None, [], [], False)


def test_remove_submits_backup_remove(fake_luxi):
    _Answer(fake_luxi, None)
    assert Run(gnt_backup, "remove", "inst1.example.com") == 0
    op = _Op(fake_luxi)
    assert (op["OP_ID"], op["instance_name"]) == \
        ("OP_BACKUP_REMOVE", "inst1.example.com")


def _Export():
    einfo = configparser.ConfigParser(interpolation=None)
    einfo.optionxform = str
    with open(CONFIG_INI) as handle:
        einfo.read_string(handle.read())
    return einfo


def test_import_fills_what_is_not_given_from_the_export():
    op = opcodes.OpInstanceCreate(instance_name="rpc1b.ganeti.test",
                                  mode=constants.INSTANCE_IMPORT,
                                  beparams={"vcpus": 2}, disks=[], nics=[])
    instance_import._ApplyExport(op, _Export())  # pylint: disable=W0212
    assert op.os_type == "anchor-noop+minimal"
    assert op.disk_template == "file"
    assert op.disks == [{"size": 80}]
    assert op.nics == [{"mac": "aa:00:00:97:47:bc", "link": "gntbr0",
                        "mode": "bridged"}]
    assert op.beparams["vcpus"] == 2          # given: kept
    assert op.beparams["maxmem"] == "64"      # from the export
    assert op.tags == []
    assert instance_import.DiskDumps(_Export()) == [
        "33e23a11-17e9-4c3e-af84-a02840d8d7b9"]


def test_import_keeps_given_disks_and_os():
    op = opcodes.OpInstanceCreate(instance_name="x", os_type="other",
                                  mode=constants.INSTANCE_IMPORT,
                                  disk_template="plain",
                                  disks=[{"size": 128}], nics=[])
    instance_import._ApplyExport(op, _Export())  # pylint: disable=W0212
    assert (op.os_type, op.disk_template, op.disks) == \
        ("other", "plain", [{"size": 128}])


def test_progress_line():
    assert transfer.FormatProgress("disk/0", {
        "progress_mbytes": 300, "progress_throughput": 150.25,
        "progress_percent": 58, "progress_eta": 2}) == \
        "disk/0 sent 300M, 150.2 MiB/s, 58% done, 2 s remaining"
    assert transfer.FormatProgress("disk/1", {"progress_mbytes": 2048}) == \
        "disk/1 sent 2.0G"
    assert transfer.FormatProgress("disk/0", {"connected": True}) is None


class _Result:
    def __init__(self, payload=None, fail_msg=None):
        self.payload = payload
        self.fail_msg = fail_msg

    def Raise(self, msg, **_):
        if self.fail_msg:
            raise AssertionError(msg)


class _Node:
    def __init__(self, name):
        self.name = name
        self.secondary_ip = "192.0.2.%d" % int(name[-1])
        self.primary_ip = self.secondary_ip


class _Cfg:
    def GetNodeInfo(self, uuid):
        return _Node(uuid)

    def GetNodeName(self, uuid):
        return uuid


class _Rpc:
    """Daemons whose statuses follow the given scripts (one per poll)."""

    def __init__(self, import_statuses, export_statuses):
        self.statuses = {"import-1": list(import_statuses),
                         "export-1": list(export_statuses)}
        self.calls = []

    def call_import_start(self, node, opts, instance, component, io):
        self.calls.append(("import_start", node, io))
        return _Result("import-1")

    def call_export_start(self, node, opts, host, port, instance, component,
                          io):
        self.calls.append(("export_start", node, host, port, io))
        return _Result("export-1")

    def call_impexp_status(self, node, names):
        script = self.statuses[names[0]]
        return _Result([script.pop(0) if len(script) > 1 else script[0]])

    def call_impexp_abort(self, node, name):
        self.calls.append(("abort", node, name))
        return _Result()

    def call_impexp_cleanup(self, node, name):
        self.calls.append(("cleanup", node, name))
        return _Result()


class _Lu:
    def __init__(self, rpc):
        self.rpc = rpc
        self.cfg = _Cfg()
        self.infos = []

    def LogInfo(self, fmt, *args):
        self.infos.append(fmt % args)


def _Transfer(monkeypatch, rpc):
    monkeypatch.setattr(transfer, "POLL_INTERVAL", 0)
    lu = _Lu(rpc)
    error = transfer.TransferData(lu, "disk/0", None, "disk0", "node1",
                                  ("raw", ["d"]), "node2", ("raw", ["d"]),
                                  transfer.Options("seed"))
    return lu, error


def test_transfer_connects_the_export_to_the_import(monkeypatch):
    done = {"exit_status": 0, "mtime": 2, "listen_port": 4000,
            "progress_mbytes": 64, "progress_throughput": 32.0,
            "progress_percent": 100, "progress_eta": 0}
    rpc = _Rpc([None, {"listen_port": 4000, "mtime": 1}, done],
               [{"mtime": 1}, done])
    lu, error = _Transfer(monkeypatch, rpc)
    assert error is None
    assert ("export_start", "node1", "192.0.2.2", 4000, ("raw", ["d"])) \
        in rpc.calls
    assert lu.infos[-1] == \
        "disk/0 sent 64M, 32.0 MiB/s, 100% done, 0 s remaining"
    assert [c for c in rpc.calls if c[0] == "cleanup"] == [
        ("cleanup", "node2", "import-1"), ("cleanup", "node1", "export-1")]


def test_transfer_failure_names_the_node(monkeypatch):
    rpc = _Rpc([{"listen_port": 4000, "mtime": 1},
                {"exit_status": 1, "error_message": "disk full",
                 "mtime": 2}],
               [{"exit_status": 0, "mtime": 2}])
    _, error = _Transfer(monkeypatch, rpc)
    assert error == "import on node node2: disk full"


def test_a_silent_daemon_is_given_up_and_aborted(monkeypatch):
    monkeypatch.setattr(transfer, "STALL_TIMEOUT", -1)
    rpc = _Rpc([{"listen_port": 4000, "mtime": 1}], [{"mtime": 1}])
    _, error = _Transfer(monkeypatch, rpc)
    assert error == ("the import/export daemon on node node2 stopped"
                     " reporting")
    assert ("abort", "node2", "import-1") in rpc.calls
    assert ("abort", "node1", "export-1") in rpc.calls
    assert ("cleanup", "node1", "export-1") in rpc.calls


def test_magic_is_unique_hex():
    first, second = (transfer.Options("x")["magic"] for _ in range(2))
    assert first != second and len(first) == 40
    int(first, 16)
