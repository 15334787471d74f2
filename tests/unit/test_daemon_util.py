"""daemon-util reads /etc/default/ganeti as a shell sourcing it would."""

from ganeti import daemon_util


def _args(monkeypatch, tmp_path, text, daemon="ganeti-noded"):
    defaults = tmp_path / "ganeti"
    defaults.write_text(text)
    monkeypatch.setattr(daemon_util, "DEFAULTS_FILE", str(defaults))
    return daemon_util._extra_args(daemon)


def test_double_quoted_value_is_split_into_words(monkeypatch, tmp_path):
    assert _args(monkeypatch, tmp_path, 'NODED_ARGS="-b 127.0.1.1"\n') == \
        ["-b", "127.0.1.1"]


def test_empty_quoted_value_gives_no_argument(monkeypatch, tmp_path):
    assert _args(monkeypatch, tmp_path, 'NODED_ARGS=""\n') == []


def test_single_quotes_comments_and_last_assignment(monkeypatch, tmp_path):
    text = ("# defaults\nNODED_ARGS='--no-mlock'\n"
            "export NODED_ARGS='-d  --no-mlock'  # debug\n"
            "RAPI_ARGS=-b\n")
    assert _args(monkeypatch, tmp_path, text) == ["-d", "--no-mlock"]
    assert _args(monkeypatch, tmp_path, text, "ganeti-rapi") == ["-b"]


def test_missing_file_or_variable_gives_no_argument(monkeypatch, tmp_path):
    monkeypatch.setattr(daemon_util, "DEFAULTS_FILE", str(tmp_path / "none"))
    assert daemon_util._extra_args("ganeti-noded") == []
    assert _args(monkeypatch, tmp_path, "MASTERD_ARGS=-d\n") == []


def test_parse_shell_assignments_ignores_commands_and_bad_quotes():
    values = daemon_util.ParseShellAssignments(
        'A=1 B="two words"\necho C=3\nD="unterminated\nE=a\\ b\n')
    assert values == {"A": "1", "B": "two words", "E": "a b"}


# ------------------------------------------------------------ the verbs

import os

import pytest

from ganeti import constants
from ganeti import pathutils
from ganeti.server import masterd
from ganeti.utils import process

UPSTREAM_NAMES = ["ganeti-noded", "ganeti-confd", "ganeti-rapi",
                  "ganeti-luxid", "ganeti-wconfd", "ganeti-watcher",
                  "ganeti-masterd"]


def _run(capsys, *argv):
    code = daemon_util.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_start_and_stop_daemons(capsys):
    code, out, _ = _run(capsys, "list-start-daemons")
    assert code == 0
    assert out.split() == ["ganeti-noded", "ganeti-confd", "ganeti-masterd",
                           "ganeti-rapi"]
    code, out, _ = _run(capsys, "list-stop-daemons")
    assert code == 0
    assert out.split() == ["ganeti-rapi", "ganeti-masterd", "ganeti-confd",
                           "ganeti-noded"]


@pytest.mark.parametrize("name", UPSTREAM_NAMES)
def test_is_daemon_name_knows_upstream_names(capsys, name):
    assert _run(capsys, "is-daemon-name", name)[0] == 0


def test_is_daemon_name_rejects_others(capsys):
    code, _, err = _run(capsys, "is-daemon-name", "ganeti-foo")
    assert code == 1
    assert "ganeti-foo" in err
    code, _, err = _run(capsys, "check", "sshd")
    assert code == 1 and "Unknown daemon name 'sshd'" in err


@pytest.mark.parametrize("code,rc,text", [
    (0, 0, ""), (constants.EXIT_NOTMASTER, 0, "Not master\n"),
    (constants.EXIT_NOTCLUSTER, 0, "Not part of a cluster\n"),
    (1, 1, "Exit code 1\n"), (constants.EXIT_NODESETUP_ERROR, 1,
                              "Exit code 12\n")])
def test_check_exitcode(capsys, code, rc, text):
    got, out, _ = _run(capsys, "check-exitcode", str(code))
    assert (got, out) == (rc, text)


def test_check_exitcode_needs_a_number(capsys):
    assert _run(capsys, "check-exitcode")[0] == 1
    code, _, err = _run(capsys, "check-exitcode", "x")
    assert code == 1 and "Invalid exit code" in err


def test_check_config(capsys, ganeti_root):
    code, _, err = _run(capsys, "check-config")
    assert code == 1
    assert "Missing configuration file %s" % pathutils.NODED_CERT_FILE in err
    os.makedirs(pathutils.DATA_DIR)
    with open(pathutils.NODED_CERT_FILE, "w") as fh:
        fh.write("pem")
    assert _run(capsys, "check-config") == (0, "", "")


def test_aliases_check_the_master_daemon(capsys, ganeti_root):
    os.makedirs(pathutils.RUN_DIR)
    for name in ("ganeti-luxid", "ganeti-wconfd", "ganeti-masterd"):
        assert _run(capsys, "check", name)[0] == 1
    fd = process.WritePidFile(pathutils.daemon_pid_file("ganeti-masterd"))
    try:
        for name in ("ganeti-luxid", "ganeti-wconfd", "ganeti-masterd"):
            assert _run(capsys, "check", name)[0] == 0
            assert daemon_util.daemon_pid(name) == os.getpid()
        assert _run(capsys, "check", "ganeti-noded")[0] == 1
    finally:
        os.close(fd)
    assert _run(capsys, "check", "ganeti-luxid")[0] == 1


def test_masterd_gets_the_arguments_of_the_roles_it_serves(monkeypatch,
                                                             tmp_path):
    text = 'MASTERD_ARGS="-d"\nWCONFD_ARGS="--syslog yes"\nLUXID_ARGS=' \
        '"--no-user-checks"\nRAPI_ARGS="-b 1.2.3.4"\n'
    assert _args(monkeypatch, tmp_path, text, "ganeti-masterd") == \
        ["-d", "--syslog", "yes", "--no-user-checks"]


def test_start_all_accepts_not_master_and_stops_at_failures(monkeypatch,
                                                            capsys):
    started = []

    def fake_start(name, args=None):
        started.append(name)
        if name in exit_codes:
            raise daemon_util.DaemonStartError("no", exit_codes[name])

    monkeypatch.setattr(daemon_util, "start", fake_start)
    exit_codes = {"ganeti-masterd": constants.EXIT_NOTMASTER,
                  "ganeti-rapi": constants.EXIT_NOTMASTER}
    assert _run(capsys, "start-all")[0] == 0
    assert started == daemon_util.START_ORDER
    started[:] = []
    exit_codes = {"ganeti-confd": 1}
    code, _, err = _run(capsys, "start-all")
    assert code == 1 and "ganeti-confd failed to start" in err
    assert started == ["ganeti-noded", "ganeti-confd"]


def test_start_passes_the_daemons_exit_code(monkeypatch, capsys):
    def fake_start(name, args=None):
        raise daemon_util.DaemonStartError("Could not start", 11)
    monkeypatch.setattr(daemon_util, "start", fake_start)
    code, _, err = _run(capsys, "start", "ganeti-luxid")
    assert code == 11 and "Could not start" in err


def test_stop_all_stops_in_reverse_order(monkeypatch, capsys):
    stopped = []
    monkeypatch.setattr(daemon_util, "stop", stopped.append)
    assert _run(capsys, "stop-all")[0] == 0
    assert stopped == daemon_util.START_ORDER[::-1]
    stopped[:] = []
    assert _run(capsys, "stop-master")[0] == 0
    assert stopped == ["ganeti-rapi", "ganeti-masterd"]


def test_unknown_action_prints_usage(capsys):
    code, _, err = _run(capsys, "frobnicate")
    assert code == 1 and "Usage: daemon-util" in err


def test_masterd_holds_the_pid_and_log_files_of_its_roles(ganeti_root):
    os.makedirs(pathutils.RUN_DIR)
    os.makedirs(pathutils.LOG_DIR)
    fds = masterd.HoldAliasFiles()
    try:
        for alias, logbase in (("ganeti-luxid", "luxi-daemon"),
                               ("ganeti-wconfd", "wconf-daemon")):
            assert process.ReadLockedPidFile(
                pathutils.daemon_pid_file(alias)) == os.getpid()
            link = pathutils.daemon_log_file(logbase)
            assert os.readlink(link) == "master-daemon.log"
    finally:
        masterd.ReleaseAliasFiles(fds)
    assert not os.path.exists(pathutils.daemon_pid_file("ganeti-luxid"))


@pytest.mark.parametrize("name", [n for n in UPSTREAM_NAMES
                                  if n != "ganeti-watcher"])
def test_every_daemon_name_has_a_program_with_version(name):
    import subprocess
    import sys
    path = os.path.join(daemon_util.pathutils.SOURCE_DAEMON_DIR, name)
    res = subprocess.run([sys.executable, path, "--version"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout == "%s (ganeti) %s\n" % (name,
                                                constants.RELEASE_VERSION)


def test_rotate_all_logs_signals_the_running_daemons(monkeypatch, capsys):
    sent = []
    monkeypatch.setattr(daemon_util, "daemon_pid",
                        lambda name: 4242 if name == "ganeti-noded" else None)
    monkeypatch.setattr(daemon_util.os, "kill",
                        lambda pid, signum: sent.append((pid, signum)))
    assert _run(capsys, "rotate-all-logs")[0] == 0
    import signal
    assert sent == [(4242, signal.SIGHUP)]
