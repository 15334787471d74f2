"""Tests for the CLI framework: tables, units, errors, options, job polling."""

import optparse

import pytest

from ganeti import cli
from ganeti.cli import format as cli_format
from ganeti.cli import jobs as cli_jobs
from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti.utils import text as utils_text

from cli_fakes import (FakeJob, Field, Reference, fake_luxi,  # noqa: F401
                       utc)


# --- units ------------------------------------------------------------------

@pytest.mark.parametrize("value, units, expected", [
    (258048, "h", "252.0G"),      # 07-node-list DTotal
    (80691, "h", "78.8G"),
    (181, "h", "181M"),
    (128, "h", "128M"),
    (0, "h", "0M"),
    (1023, "h", "1023M"),
    (1024, "h", "1.0G"),
    (1536, "h", "1.5G"),
    (1024 * 1024, "h", "1.0T"),
    (3 * 1024 * 1024 + 512 * 1024, "h", "3.5T"),
    (128, "m", "128"),
    (1536, "g", "1.5"),
    (1024 * 1024, "t", "1.0"),
    (1536, "m", "1536"),
])
def test_format_unit(value, units, expected):
    assert utils_text.FormatUnit(value, units) == expected


def test_format_unit_rejects_bad_unit():
    with pytest.raises(errors.ProgrammerError):
        utils_text.FormatUnit(1, "x")


@pytest.mark.parametrize("text, expected", [
    ("64M", 64), ("64", 64), ("1G", 1024), ("1.5g", 1536), ("1t", 1048576),
    ("3", 4), ("5", 8), ("0.5G", 512), ("128 MiB", 128), ("2gb", 2048),
])
def test_parse_unit(text, expected):
    assert utils_text.ParseUnit(text) == expected


@pytest.mark.parametrize("text, message", [
    ("abc", "Invalid format"), ("", "Invalid format"),
    ("12x", "Unknown unit: x"), ("-5", "Invalid format"),
])
def test_parse_unit_errors(text, message):
    with pytest.raises(errors.UnitParseError, match=message):
        utils_text.ParseUnit(text)


def test_format_time(utc):
    assert utils_text.FormatTime(1795278909) == "2026-11-21 16:35:09"
    assert (utils_text.FormatTime((1795278908, 493097), usecs=True)
            == "2026-11-21 16:35:08.493097")
    assert utils_text.FormatTime(None) == "N/A"
    assert cli.FormatTimestamp([1795278908, 7]) == "2026-11-21 16:35:08.000007"
    assert cli.FormatTimestamp(None) == "?"


def test_safe_encode():
    assert utils_text.SafeEncode("a\x01b\tc\n") == "a\\x01b\tc\n"
    assert utils_text.SafeEncode(b"x") == "x"


# --- tables -------------------------------------------------------------------

def _Resp(fields, rows):
    return {"fields": fields,
            "data": [[[constants.RS_NORMAL, value] if not isinstance(value,
                                                                     tuple)
                      else list(value) for value in row] for row in rows]}


NODE_FIELDS = [Field("name", "Node", "text"), Field("dtotal", "DTotal", "unit"),
               Field("dfree", "DFree", "unit"), Field("mtotal", "MTotal", "unit"),
               Field("mnode", "MNode", "unit"), Field("mfree", "MFree", "unit"),
               Field("pinst_cnt", "Pinst", "number"),
               Field("sinst_cnt", "Sinst", "number")]


def test_query_table_matches_node_list_reference():
    resp = _Resp(NODE_FIELDS, [["anchor-node1.ganeti.test", 258048, 80691,
                                24064, 181, 23757, 0, 0]])
    status, lines = cli.FormatQueryResult(resp, header=True)
    assert status == cli_format.QR_NORMAL
    assert lines == Reference("""
Node                     DTotal DFree MTotal MNode MFree Pinst Sinst
anchor-node1.ganeti.test 252.0G 78.8G  23.5G  181M 23.2G     0     0
""")


INSTANCE_FIELDS = [Field("name", "Instance", "text"),
                   Field("hypervisor", "Hypervisor", "text"),
                   Field("os", "OS", "text"),
                   Field("pnode", "Primary_node", "text"),
                   Field("status", "Status", "text"),
                   Field("oper_ram", "Memory", "unit")]


def _InstanceRows():
    base = ["fake", None, "anchor-node1.ganeti.test"]
    return [
        ["inst1.ganeti.test", base[0], "anchor-noop+default", base[2],
         "running", 128],
        ["inst2.ganeti.test", base[0], "anchor-noop+default", base[2],
         "running", 64],
        ["inst3.ganeti.test", base[0], "anchor-noop+minimal", base[2],
         "ADMIN_down", (constants.RS_UNAVAIL, None)],
        ["inst4.ganeti.test", base[0], "anchor-noop+default", base[2],
         "running", 32],
    ]


def test_query_table_matches_instance_list_reference():
    status, lines = cli.FormatQueryResult(
        _Resp(INSTANCE_FIELDS, _InstanceRows()), header=True)
    assert status == cli_format.QR_INCOMPLETE
    assert lines == Reference("""
Instance          Hypervisor OS                  Primary_node             Status     Memory
inst1.ganeti.test fake       anchor-noop+default anchor-node1.ganeti.test running      128M
inst2.ganeti.test fake       anchor-noop+default anchor-node1.ganeti.test running       64M
inst3.ganeti.test fake       anchor-noop+minimal anchor-node1.ganeti.test ADMIN_down      -
inst4.ganeti.test fake       anchor-noop+default anchor-node1.ganeti.test running       32M
""")


def test_query_table_with_separator_uses_mib_and_no_padding():
    fields = [Field("name", "Instance", "text"),
              Field("status", "Status", "text"),
              Field("oper_ram", "Memory", "unit"),
              Field("disk_usage", "DiskUsage", "unit")]
    rows = [["inst1.ganeti.test", "running", 128, 64],
            ["inst3.ganeti.test", "ADMIN_down",
             (constants.RS_UNAVAIL, None), 32]]
    _, lines = cli.FormatQueryResult(_Resp(fields, rows), separator="|")
    assert lines == ["inst1.ganeti.test|running|128|64",
                     "inst3.ganeti.test|ADMIN_down|-|32"]


def test_query_table_abnormal_markers_terse_and_verbose():
    fields = [Field("a", "A", "text"), Field("b", "B", "text"),
              Field("c", "C", "text"), Field("d", "D", "text")]
    row = [[(constants.RS_UNKNOWN, None), (constants.RS_NODATA, None),
            (constants.RS_UNAVAIL, None), (constants.RS_OFFLINE, None)]]
    resp = {"fields": fields, "data": [[list(cell) for cell in row[0]]]}
    status, lines = cli.FormatQueryResult(resp, separator=" ")
    assert status == cli_format.QR_UNKNOWN
    assert lines == ["?? ? - *"]
    _, lines = cli.FormatQueryResult(resp, separator=" ", verbose=True)
    assert lines == ["(unknown) (nodata) (unavail) (offline)"]


def test_query_table_kinds_bool_timestamp_other(utc):
    fields = [Field("master", "IsMaster", "bool"),
              Field("ctime", "CTime", "timestamp"),
              Field("ndparams", "NodeParameters", "other"),
              Field("f", "F", "float")]
    resp = _Resp(fields, [[True, 1795278909, {"ssh_port": 22}, 1.5],
                          [False, 1795278909, {}, 10.25]])
    _, lines = cli.FormatQueryResult(resp, header=True)
    assert lines == [
        "IsMaster CTime               NodeParameters       F",
        "Y        2026-11-21 16:35:09 {'ssh_port': 22}   1.5",
        "N        2026-11-21 16:35:09 {}               10.25",
    ]


def test_format_table_last_left_column_is_not_padded():
    cols = [cli.TableColumn("ID", str, True),
            cli.TableColumn("Status", str, False),
            cli.TableColumn("Summary", str, False)]
    lines = cli.FormatTable([[1, "success", "CLUSTER_POST_INIT"],
                             [14, "error", "X"]], cols, True, None)
    assert lines == ["ID Status  Summary",
                     " 1 success CLUSTER_POST_INIT",
                     "14 error   X"]
    assert cli.FormatTable([[1, "a", "b"]], cols, False, ",") == ["1,a,b"]


def test_generate_table_pads_header_but_not_last_data_column():
    # Layout of 10-os-list.txt.
    lines = cli.GenerateTable({"name": "Name"}, ["name"], None,
                              [["anchor-noop+default"], ["noop"]])
    assert lines == ["Name               ", "anchor-noop+default", "noop"]
    lines = cli.GenerateTable({"a": "A", "n": "Num", "s": "Size"},
                              ["a", "n", "s"], None,
                              [["x", 1, 2048], None], numfields=["n", "s"],
                              unitfields=["s"])
    assert lines == ["A Num Size", "x   1 2.0G", "-   -    -"]
    assert cli.GenerateTable(None, ["a", "s"], ":", [["x", 2048]],
                             unitfields=["s"]) == ["x:2048"]


# --- generic info trees --------------------------------------------------------

def test_generic_info_layout():
    data = [[("Job ID", 29), ("Status", "error"),
             ("Opcodes", [[("Opcode", "OP_TEST_DELAY"),
                           ("Input fields", {"b": [], "a": None,
                                             "OP_ID": "X",
                                             "nics": [{}],
                                             "disks": [{"size": 64}],
                                             "reason": [["src", "x", 1]],
                                             "beparams": {"minmem": 1,
                                                          "maxmem": 2}}),
                           ("Result", ["OpPrereqError", ["Bad"]]),
                           ("Execution log", [])]])],
            "Job ID 9 not found"]
    assert cli.FormatGenericInfo(data) == [
        "- Job ID: 29",
        "  Status: error",
        "  Opcodes: ",
        "    - Opcode: OP_TEST_DELAY",
        "      Input fields: ",
        "        OP_ID: X",
        "        a: None",
        "        b: ",
        "        beparams: ",
        "          maxmem: 2",
        "          minmem: 1",
        "        disks: ",
        "          - size: 64",
        "        nics: ",
        "          - ",
        "        reason: ",
        "          - - src",
        "            - x",
        "            - 1",
        "      Result: ",
        "        - OpPrereqError",
        "        - - Bad",
        "      Execution log: ",
        "- Job ID 9 not found",
    ]


# --- errors ---------------------------------------------------------------------

def test_format_error_prereq_with_code():
    # 13-instance-add-ipcheck-fails.txt
    err = errors.OpPrereqError("IP 127.0.1.101 of instance inst1.ganeti.test"
                               " already in use", errors.ECODE_NOTUNIQUE)
    assert cli.FormatError(err) == (1, (
        "Failure: prerequisites not met for this operation:\n"
        "error type: resource_not_unique, error details:\n"
        "IP 127.0.1.101 of instance inst1.ganeti.test already in use"))


def test_format_error_prereq_without_code():
    # 36-debug-delay-0.txt
    err = errors.OpPrereqError("Duration must be greater than zero")
    assert cli.FormatError(err) == (1, (
        "Failure: prerequisites not met for this operation:\n"
        "Duration must be greater than zero"))


@pytest.mark.parametrize("err, code, text", [
    (errors.OpExecError("boom"), 1, "Failure: command execution error:\nboom"),
    (errors.TagError("bad tag"), 1, "Failure: invalid tag(s) given:\nbad tag"),
    (errors.JobQueueDrainError(), 1,
     "Failure: the job queue is marked for drain and doesn't accept new"
     " requests"),
    (errors.JobQueueFull(), 1,
     "Failure: the job queue is full and doesn't accept new job submissions"
     " until old jobs are archived"),
    (errors.TypeEnforcementError("x"), 1, "Parameter Error: x"),
    (errors.ParameterError("foo"), 1,
     "Failure: unknown/wrong parameter name 'foo'"),
    (errors.JobLost("Job with id 5 lost"), 1,
     "Error checking job status: Job with id 5 lost"),
    (errors.HooksFailure("x"), 1, "Failure: hooks general failure: x"),
    (errors.HooksAbort([("node1", "script", "out"), ("node2", "s2", "")]), 1,
     "Failure: hooks execution failed:\n"
     "  node: node1, script: script, output: out\n"
     "  node: node2, script: s2 (no output)"),
    (errors.ResolverError("nosuch.example", 1, "x"), 1,
     "Failure: can't resolve hostname 'nosuch.example'"),
    (errors.ProtocolError("garbage"), 1,
     "Unhandled protocol error while talking to the master daemon:\ngarbage"),
    (errors.PermissionError("/x"), 1,
     "It seems you don't have permissions to connect to the master daemon.\n"
     "Please retry as a different user."),
    (errors.BlockDeviceError("bdev"), 1, "Unhandled Ganeti error: bdev"),
    (ValueError("v"), 1, "Unhandled exception: v"),
    (errors.ConfigurationError("broken"), 2,
     "Corrupt configuration file: broken\nAborting."),
    (cli.JobSubmittedException(29), 0, "JobID: 29"),
])
def test_format_error_table(err, code, text):
    assert cli.FormatError(err) == (code, text)


def test_format_error_timeout_mentions_gnt_job():
    code, text = cli.FormatError(errors.TimeoutError("Receiving timeout"))
    assert code == 1
    assert text.startswith("Timeout while talking to the master daemon.")
    assert text.endswith("Error:\nReceiving timeout")


def test_format_error_no_master():
    code, text = cli.FormatError(errors.NoMasterError(pathutils.MASTER_SOCKET))
    assert (code, text) == (1, "Cannot communicate with the master daemon.\n"
                               "Is the process running and listening for"
                               " connections?")
    _, text = cli.FormatError(errors.NoMasterError(pathutils.QUERY_SOCKET))
    assert text.startswith("Cannot communicate with the config daemon.")
    _, text = cli.FormatError(errors.NoMasterError("/tmp/sock"))
    assert text.startswith("Cannot communicate with socket '/tmp/sock'.")


# --- option types ----------------------------------------------------------------

def _Parse(option, argv):
    parser = optparse.OptionParser(option_list=[option],
                                   option_class=cli.CliOption)
    opts, _ = parser.parse_args(argv)
    return opts


def test_keyval_syntax():
    opts = _Parse(cli.BACKEND_OPT, ["-B", "memory=128M,auto_balance,no_x,-y"])
    assert opts.beparams == {"memory": "128M", "auto_balance": True,
                             "x": False, "y": None}
    opts = _Parse(cli.BACKEND_OPT, ["-B", r"a=1\,2,b=c=d"])
    assert opts.beparams == {"a": "1,2", "b": "c=d"}
    with pytest.raises(errors.ParameterError, match="Duplicate key 'a'"):
        _Parse(cli.BACKEND_OPT, ["-B", "a=1,a=2"])


def test_identkeyval_syntax():
    opts = _Parse(cli.DISK_OPT, ["--disk", "0:size=64M", "--disk", "1"])
    assert opts.disks == [("0", {"size": "64M"}), ("1", {})]
    # The default list must not grow across parses.
    assert cli.DISK_OPT.default == []
    assert _Parse(cli.HVLIST_OPT, ["-H", "no_kvm"]).hvparams == [("kvm",
                                                                  False)]
    assert _Parse(cli.HVLIST_OPT, ["-H", "-kvm"]).hvparams == [("kvm", None)]
    with pytest.raises(errors.ParameterError, match="Cannot pass options"):
        _Parse(cli.HVLIST_OPT, ["-H", "no_kvm:a=b"])


def test_multilist_bool_list_unit_maybefloat():
    opts = _Parse(cli.IPOLICY_BOUNDS_SPECS_OPT,
                  ["--ipolicy-bounds-specs",
                   "min:cpu-count=1/max:cpu-count=8//min:cpu-count=2/max:"
                   "cpu-count=4"])
    assert opts.ipolicy_bounds_specs == [
        {"min": {"cpu-count": "1"}, "max": {"cpu-count": "8"}},
        {"min": {"cpu-count": "2"}, "max": {"cpu-count": "4"}}]
    assert _Parse(cli.MC_OPT, ["-C", "yes"]).master_candidate is True
    assert _Parse(cli.MC_OPT, ["-C", "No"]).master_candidate is False
    with pytest.raises(errors.ParameterError, match="Invalid boolean"):
        _Parse(cli.MC_OPT, ["-C", "maybe"])
    assert _Parse(cli.IPOLICY_DISK_TEMPLATES,
                  ["--ipolicy-disk-templates", "plain,drbd"]
                  ).ipolicy_disk_templates == ["plain", "drbd"]
    assert _Parse(cli.OS_SIZE_OPT, ["-s", "1G"]).sd_size == 1024
    assert _Parse(cli.IPOLICY_VCPU_RATIO,
                  ["--ipolicy-vcpu-ratio", "none"]).ipolicy_vcpu_ratio is None
    assert _Parse(cli.IPOLICY_VCPU_RATIO,
                  ["--ipolicy-vcpu-ratio", "2.5"]).ipolicy_vcpu_ratio == 2.5


def test_no_name_check_implies_no_ip_check():
    parser = optparse.OptionParser(
        option_list=[cli.IP_CHECK_OPT, cli.NAME_CHECK_OPT, cli.NOIPCHECK_OPT,
                     cli.NONAMECHECK_OPT], option_class=cli.CliOption)
    opts, _ = parser.parse_args(["--ip-check", "--name-check",
                                 "--no-name-check"])
    assert (opts.ip_check, opts.name_check) == (False, False)
    opts, _ = parser.parse_args(["--ip-check", "--name-check",
                                 "--no-ip-check"])
    assert (opts.ip_check, opts.name_check) == (False, True)


def test_parse_fields_and_timespec():
    assert cli.ParseFields(None, ["a", "b"]) == ["a", "b"]
    assert cli.ParseFields("+c,d", ["a"]) == ["a", "c", "d"]
    assert cli.ParseFields("x", ["a"]) == ["x"]
    assert cli.ParseTimespec("30") == 30
    assert cli.ParseTimespec("2m") == 120
    assert cli.ParseTimespec("1d") == 86400
    assert cli.ParseTimespec("4w") == 4 * 604800
    for bad, msg in (("", "Empty"), ("d", "only suffix"), ("1x", "Invalid")):
        with pytest.raises(errors.OpPrereqError, match=msg):
            cli.ParseTimespec(bad)


# --- GenericMain ------------------------------------------------------------

def _Cmd(opts, args):
    _Cmd.seen = (opts, args)
    return 0


TEST_COMMANDS = {
    "show": (_Cmd, [cli.ArgUnknown(min=1, max=2)],
             [cli.FORCE_OPT, cli.USEUNITS_OPT, cli.OS_SIZE_OPT,
              cli.PRIORITY_OPT], "<a> [<b>]", "Show something"),
    "none": (_Cmd, cli.ARGS_NONE, [], "", "Takes no arguments"),
    "one": (_Cmd, cli.ARGS_ONE_NODE, [], "<node>", "Exactly one"),
    "fail": (lambda opts, args: (_ for _ in ()).throw(
        errors.OpPrereqError("nope", errors.ECODE_INVAL)), [], [], "",
        "Fails"),
    "submit": (lambda opts, args: (_ for _ in ()).throw(
        cli.JobSubmittedException(7)), [], [], "", "Submits"),
    "interrupt": (lambda opts, args: (_ for _ in ()).throw(
        KeyboardInterrupt()), [], [], "", "Interrupted"),
}


def _Main(*args, **kwargs):
    return cli.GenericMain(TEST_COMMANDS, argv=["gnt-test"] + list(args),
                           **kwargs)


@pytest.fixture
def no_logging(monkeypatch):
    monkeypatch.setattr(cli, "SetupCliLogging", lambda *args: None)


def test_main_usage_and_version(capsys, no_logging):
    assert _Main() == 1
    out = capsys.readouterr().out
    assert out.startswith("Usage: gnt-test {command} [options...]"
                          " [argument...]\n"
                          "gnt-test <command> --help to see details, or man"
                          " gnt-test\n\nCommands:\n")
    assert " none      - Takes no arguments\n" in out
    assert _Main("nosuchcmd") == 1
    assert _Main("--help") == 0
    assert "Commands:" in capsys.readouterr().out
    assert _Main("--version") == 0
    # cli.md: "gnt-X --version prints gnt-X (ganeti) <version>".
    assert capsys.readouterr().out == "gnt-test (ganeti) %s\n" % (
        constants.RELEASE_VERSION)


@pytest.mark.parametrize("binary", ["gnt-cluster", "gnt-debug",
                                    "gnt-filter", "gnt-group",
                                    "gnt-instance", "gnt-job",
                                    "gnt-network", "gnt-node", "gnt-os"])
def test_unknown_subcommand_of_the_real_scripts(binary):
    import importlib
    import os
    import subprocess
    import sys
    repo = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    res = subprocess.run([sys.executable, os.path.join(repo, "scripts",
                                                       binary), "nosuchcmd"],
                         capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, LC_ALL="C"))
    assert res.returncode == 1, res.stderr
    assert res.stdout.startswith(
        "Usage: %s {command} [options...] [argument...]\n"
        "%s <command> --help to see details, or man %s\n\nCommands:\n"
        % (binary, binary, binary))
    module = importlib.import_module("ganeti.client." +
                                     binary.replace("-", "_"))
    assert res.stdout == "".join(line + "\n" for line in
                                 cli.FormatUsage(binary, module.commands))
    # upstream ends the command list with an empty line
    assert res.stdout.endswith("\n\n") and \
        not res.stdout.endswith("\n\n\n")
    assert res.stderr == ""


def test_main_parses_and_runs(no_logging):
    assert _Main("show", "-f", "--units", "g", "-s", "2G", "a", "b") == 0
    opts, args = _Cmd.seen
    assert (opts.force, opts.units, opts.sd_size, args) == (True, "g", 2048,
                                                             ["a", "b"])
    assert opts.debug == 0
    assert opts.reason[-1][:2] == ["gnt:client:gnt-test", "show"]
    # Interspersed arguments are off: options after an argument are args.
    assert _Main("show", "a", "-f") == 0
    assert _Cmd.seen[1] == ["a", "-f"]
    assert _Cmd.seen[0].force is False


def test_main_user_reason_and_debug(no_logging):
    assert _Main("none", "-d", "-d", "--reason", "maintenance") == 0
    opts = _Cmd.seen[0]
    assert opts.debug == 2
    assert [entry[:2] for entry in opts.reason] == [
        ["gnt:user", "maintenance"], ["gnt:client:gnt-test", "none"]]


def test_main_override_and_aliases(no_logging):
    assert cli.GenericMain(TEST_COMMANDS, aliases={"display": "show"},
                           override={"extra": 5},
                           argv=["gnt-test", "display", "x"]) == 0
    assert _Cmd.seen[0].extra == 5


def test_main_env_override(monkeypatch, no_logging):
    monkeypatch.setenv("GNT_TEST_SHOW", "-f --units m")
    assert cli.GenericMain(TEST_COMMANDS, env_override=frozenset(["show"]),
                           argv=["gnt-test", "show", "a"]) == 0
    assert (_Cmd.seen[0].force, _Cmd.seen[0].units) == (True, "m")


@pytest.mark.parametrize("args, message", [
    (["none", "x"], "Error: Command none expects no arguments"),
    (["one"], "Error: Command one expects 1 argument(s)"),
    (["one", "a", "b"], "Error: Command one expects 1 argument(s)"),
    (["show"], "Error: Command show expects at least 1 argument(s)"),
    (["show", "a", "b", "c"], "Error: Command show expects only 2"
                              " argument(s)"),
])
def test_main_argument_count_errors(capsys, no_logging, args, message):
    assert _Main(*args) == 1
    assert capsys.readouterr().err.strip() == message


def test_main_option_errors_exit_2(capsys, no_logging):
    assert _Main("show", "--bogus", "a") == 2
    err = capsys.readouterr().err
    assert "gnt-test: error: no such option: --bogus" in err
    assert "Usage\n=====\n  gnt-test show <a> [<b>]" in err
    assert _Main("show", "-s", "12q", "a") == 2
    assert "option -s: Unknown unit: q" in capsys.readouterr().err
    assert _Main("show", "--priority", "urgent", "a") == 2
    assert "invalid choice" in capsys.readouterr().err


def test_main_subcommand_help(capsys, no_logging):
    assert _Main("show", "--help") == 0
    out = capsys.readouterr().out
    assert out.startswith("Usage\n=====\n  gnt-test show <a> [<b>]\n")
    for flag in ("--force", "--units", "--os-size", "--priority", "--debug",
                 "--reason", "--help"):
        assert flag in out


def test_main_error_handling(capsys, no_logging):
    assert _Main("fail") == 1
    captured = capsys.readouterr()
    assert captured.err == ("Failure: prerequisites not met for this"
                            " operation:\nerror type: wrong_input, error"
                            " details:\nnope\n")
    assert _Main("submit") == 0
    assert capsys.readouterr().err == "JobID: 7\n"
    assert _Main("interrupt") == 1
    assert capsys.readouterr().err.startswith("Aborted. Note that if the"
                                              " operation created any jobs")


def test_main_parameter_error_in_option(capsys, no_logging):
    commands = {"x": (_Cmd, [], [cli.BACKEND_OPT], "", "")}
    assert cli.GenericMain(commands, argv=["gnt-t", "x", "-B", "a=1,a=2"]) == 1
    assert capsys.readouterr().err == ("Failure: unknown/wrong parameter name"
                                       " 'Duplicate key 'a' in option -B'\n")


def test_main_logs_command_line(monkeypatch, ganeti_root, capsys):
    import logging
    import os
    os.makedirs(os.path.dirname(pathutils.USER_COMMANDS_LOG))
    root = logging.getLogger("")
    saved = root.handlers[:]
    try:
        assert _Main("none", "-d") == 0
        err = capsys.readouterr().err
        assert "gnt-test none pid=" in err
        assert "DEBUG Command line: gnt-test none -d" in err
        for handler in root.handlers:
            handler.flush()
        with open(pathutils.USER_COMMANDS_LOG) as handle:
            assert "Command line: gnt-test none -d" in handle.read()
    finally:
        for handler in root.handlers[:]:
            root.removeHandler(handler)
            handler.close()
        for handler in saved:
            root.addHandler(handler)


def test_no_master_explained_from_ssconf(capsys, no_logging, ganeti_root):
    def _Raise(opts, args):
        raise errors.NoMasterError(pathutils.QUERY_SOCKET)
    commands = {"x": (_Raise, [], [], "", "")}
    assert cli.GenericMain(commands, argv=["gnt-t", "x"]) == 1
    assert capsys.readouterr().err == (
        "Failure: prerequisites not met for this operation:\nerror type:"
        " wrong_input, error details:\nCluster not initialized or this"
        " machine is not part of a cluster\n")


# --- confirmation -----------------------------------------------------------

class _FakeTty:
    def __init__(self, answers):
        self.answers = list(answers)
        self.written = []

    def write(self, text):
        self.written.append(text)

    def flush(self):
        pass

    def readline(self, _size):
        return self.answers.pop(0)

    def __enter__(self):
        return self

    def __exit__(self, *args):
        pass


def test_ask_user_without_tty_returns_default(monkeypatch):
    def _NoTty():
        raise OSError("no tty")
    monkeypatch.setattr(cli, "_OpenTty", _NoTty)
    assert cli.AskUser("Continue?") is False
    assert cli.AskUser("Q", [("y", True, "yes"), ("a", "all", "all")]) == "all"


def test_ask_user_prompt_and_help(monkeypatch):
    tty = _FakeTty(["?\n", "y\n"])
    monkeypatch.setattr(cli, "_OpenTty", lambda: tty)
    assert cli.AskUser("Really?") is True
    text = "".join(tty.written)
    assert text.startswith("Really?\ny/[n]/?: ")
    assert " y - Perform the operation\n" in text


def _AskOnTerminal(answer: bytes, timeout: float = 30) -> tuple:
    """cli.AskUser("Continue?") in a process whose controlling terminal is
    a new pty; answer is typed once the prompt shows.  (terminal text,
    printed result)."""
    import fcntl
    import os
    import select
    import subprocess
    import sys
    import termios
    import time
    repo = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    master, slave = os.openpty()
    code = ("import sys; sys.path.insert(0, %r)\n"
            "from ganeti import cli\n"
            "print(repr(cli.AskUser('Continue?')))" % repo)
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=slave, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, start_new_session=True,
        preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + timeout
    try:
        while b"y/[n]/?: " not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1)
            if ready:
                seen += os.read(master, 1024)
        os.write(master, answer)
        out, _ = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return seen.decode(), out.decode().strip()


@pytest.mark.parametrize("answer,result", [
    (b"\x04", "False"),      # EOF (Ctrl-D): no
    (b"\n", "False"),        # the default
    (b"y\n", "True"),
])
def test_ask_user_on_a_real_terminal(answer, result):
    seen, printed = _AskOnTerminal(answer)
    assert seen.startswith("Continue?\r\ny/[n]/?: ")
    assert printed == result


def test_confirm_operation_lists_names(monkeypatch):
    tty = _FakeTty(["n\n"])
    monkeypatch.setattr(cli, "_OpenTty", lambda: tty)
    assert cli.ConfirmOperation(["inst1", "inst2"], "instances",
                                "shutdown") is False
    assert tty.written[0] == ("The shutdown will operate on 2 instances.\n"
                              "Do you want to continue?\n"
                              "Affected instances:\n  inst1\n  inst2\n"
                              "y/[n]/?: ")


# --- opcodes and jobs -----------------------------------------------------------

class _Op:
    def __init__(self):
        self.reason = []

    def __getstate__(self):
        return {"OP_ID": "OP_TEST", "reason": self.reason}


def test_set_generic_opcode_opts():
    opts = optparse.Values({"debug": 2, "dry_run": True, "priority": "high",
                            "reason": cli_jobs.BuildReasonTrail(
                                "gnt-x", "cmd", "why")})
    op = _Op()
    cli.SetGenericOpcodeOpts([op], opts)
    assert (op.debug_level, op.dry_run, op.priority) == (2, True, -10)
    assert [entry[:2] for entry in op.reason] == [
        ["gnt:user", "why"], ["gnt:client:gnt-x", "cmd"]]
    assert isinstance(op.reason[0][2], int) and op.reason[0][2] > 1e18


def _InstanceCreateJob():
    return FakeJob(19, [{"OP_ID": "OP_INSTANCE_CREATE"}], log=[
        [1, [1795278913, 100], "message", "* creating instance disks..."],
        [2, [1795278913, 200], "message",
         "adding instance inst4.ganeti.test to cluster config"],
        [3, [1795278913, 300], "message", "adding disks to cluster config"],
        [4, [1795278913, 400], "message", "* starting instance..."],
    ], opresult=[["anchor-node1.ganeti.test"]])


def test_poll_job_prints_log_lines(fake_luxi, capsys, utc):
    fake_luxi.jobs[19] = _InstanceCreateJob()
    fake_luxi.wait_answers[19] = [
        [["running"], fake_luxi.jobs[19].log[:2]], "nochange",
        [["success"], fake_luxi.jobs[19].log[2:]]]
    fake_luxi.jobs[19].status = "success"
    assert cli.PollJob(19) == [["anchor-node1.ganeti.test"]]
    # Lines of 19-job-wait-inst4.txt.
    assert capsys.readouterr().out.splitlines() == Reference("""
Sat Nov 21 16:35:13 2026 * creating instance disks...
Sat Nov 21 16:35:13 2026 adding instance inst4.ganeti.test to cluster config
Sat Nov 21 16:35:13 2026 adding disks to cluster config
Sat Nov 21 16:35:13 2026 * starting instance...
""")
    waits = [args for name, args in fake_luxi.calls
             if name == "WaitForJobChangeOnce"]
    assert waits[0][2:] == (None, None)
    assert waits[1][2:] == (["running"], 2)
    assert waits[2][2:] == (["running"], 2)


def test_poll_job_queue_notices_and_feedback(fake_luxi, capsys):
    job = FakeJob(5, [{}], status="success", opresult=[42],
                  log=[[1, [1, 0], "message", "hello"]])
    fake_luxi.jobs[5] = job
    fake_luxi.wait_answers[5] = [[["queued"], []], "nochange", "nochange",
                                 [["waiting"], []], "nochange",
                                 [["success"], job.log]]
    seen = []
    assert cli.PollJob(5, feedback_fn=seen.append) == [42]
    assert seen == [([1, 0], "message", "hello")]
    assert capsys.readouterr().out == ""
    fake_luxi.wait_answers[5] = [[["queued"], []], "nochange", "nochange",
                                 [["waiting"], []], "nochange",
                                 [["success"], []]]
    cli.PollJob(5)
    assert capsys.readouterr().err == (
        "Job 5 is waiting in queue\n"
        "Job 5 is trying to acquire all necessary locks\n")


@pytest.mark.parametrize("status, opstatus, opresult, exc, message", [
    ("error", ["error"], [["OpPrereqError", ["Bad", "wrong_input"]]],
     errors.OpPrereqError, "Bad"),
    ("error", ["success", "error"], [1, "it broke"],
     errors.OpExecError, "partial failure (opcode 1): it broke"),
    ("error", ["error"], ["plain failure"], errors.OpExecError,
     "plain failure"),
    ("canceled", ["canceled"], [None], errors.OpExecError,
     "Job was canceled"),
])
def test_poll_job_failures(fake_luxi, status, opstatus, opresult, exc,
                           message):
    fake_luxi.jobs[7] = FakeJob(7, [{}] * len(opstatus), status=status,
                                opstatus=opstatus, opresult=opresult)
    with pytest.raises(exc) as info:
        cli.PollJob(7)
    assert str(info.value.args[0]) == message


def test_poll_job_lost(fake_luxi):
    with pytest.raises(errors.JobLost, match="Job with id 77 lost"):
        cli.PollJob(77)


def test_submit_opcode_and_submit_or_send(fake_luxi, capsys):
    opts = optparse.Values({"debug": 0, "submit_only": False,
                            "print_jobid": True, "priority": None,
                            "reason": []})
    fake_luxi.next_id = 40
    fake_luxi.jobs[40] = FakeJob(40, [{}], opresult=["done"])
    assert cli.SubmitOpCode(_Op(), opts=opts) == "done"
    assert capsys.readouterr().out == "40\n"
    opts.submit_only = True
    with pytest.raises(cli.JobSubmittedException) as info:
        cli.SubmitOrSend(_Op(), opts)
    assert info.value.args == (41, )
    assert capsys.readouterr().out == "41\n"


def test_job_executor_waits_in_order(fake_luxi, capsys):
    fake_luxi.next_id = 22
    jex = cli.JobExecutor(opts=None, verbose=False)
    jex.QueueJob("inst1.ganeti.test", _Op())
    jex.QueueJob("inst2.ganeti.test", _Op())
    fake_luxi.jobs[22] = FakeJob(22, [{}], opresult=["r1"])
    fake_luxi.jobs[23] = FakeJob(23, [{}], status="error", opstatus=["error"],
                                 opresult=[["OpExecError", ["broken"]]])
    results = jex.GetResults()
    assert results == [(True, ["r1"]),
                       (False, "Failure: command execution error:\nbroken")]
    captured = capsys.readouterr()
    assert captured.out == ("Waiting for job 22 for inst1.ganeti.test ...\n"
                            "Waiting for job 23 for inst2.ganeti.test ...\n")
    assert captured.err == ("Job 23 for inst2.ganeti.test has failed:"
                            " Failure: command execution error:\nbroken\n")


def test_job_executor_verbose_lists_submitted_jobs(fake_luxi, capsys):
    # 04-cluster-verify.txt: "Submitted jobs 3, 4" then "Waiting for job 3".
    fake_luxi.next_id = 3
    jex = cli.JobExecutor(opts=None)
    jex.QueueJob(None, _Op())
    jex.QueueJob(None, _Op())
    assert jex.GetResults() == [(True, [None]), (True, [None])]
    assert capsys.readouterr().out == ("Submitted jobs 3, 4\n"
                                       "Waiting for job 3 ...\n"
                                       "Waiting for job 4 ...\n")


def test_job_executor_submission_failure(fake_luxi, capsys):
    jex = cli.JobExecutor(opts=None)
    jex.AddJobId("x", False, "queue drained")
    assert jex.GetResults() == [(False, "queue drained")]
    assert capsys.readouterr().err == "Failed to submit job for x: queue" \
                                      " drained\n"


def test_generic_list_fields_and_unknown(fake_luxi, capsys):
    fake_luxi.fields["job"] = {"fields": [
        Field("id", "ID", "number", "Job ID"),
        Field("bogus", "bogus", "unknown", "Unknown field 'bogus'")]}
    assert cli.GenericListFields("job", ["id", "bogus"], None, True) == 14
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        "Name  Type    Title Description",
        "id    Number  ID    Job ID",
        "bogus Unknown bogus Unknown field 'bogus'"]
    assert captured.err == "Warning: Queried for unknown fields bogus\n"
