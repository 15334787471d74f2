"""The system files rendered from examples/*.in: init script, cron and
logrotate files, systemd units (checked with systemd-analyze verify)."""

import os
import re
import shutil
import subprocess

import pytest

from ganeti.tools import sysfiles

VALUES = {"SBINDIR": "/opt/g/sbin", "PKGLIBDIR": "/opt/g/lib/ganeti",
          "SYSCONFDIR": "/opt/g/etc", "LOCALSTATEDIR": "/opt/g/var"}


@pytest.fixture
def rendered(tmp_path):
    sysfiles.WriteAll(str(tmp_path), VALUES)
    return tmp_path


def test_every_template_is_rendered_without_placeholders(rendered):
    for name, mode in sysfiles.TEMPLATES.items():
        path = rendered / name
        text = path.read_text()
        assert not re.search(r"@[A-Z_]+@", text), name
        assert os.stat(path).st_mode & 0o777 == mode
    assert not (set(os.listdir(os.path.join(sysfiles.EXAMPLES_DIR, "systemd")))
                - {n.split("/")[1] + ".in" for n in sysfiles.TEMPLATES
                   if n.startswith("systemd/")})


def test_unknown_placeholder_is_an_error(tmp_path, monkeypatch):
    (tmp_path / "x.in").write_text("@NOPE@\n")
    monkeypatch.setattr(sysfiles, "EXAMPLES_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="@NOPE@"):
        sysfiles.Render("x")


def test_cron_runs_the_watcher_every_5_minutes_and_the_cleaner_nightly(
        rendered):
    jobs = [line.split(None, 6) for line in
            (rendered / "ganeti.cron").read_text().splitlines()
            if line and not line.startswith("#") and "=" not in line.split()[0]]
    watcher = [j for j in jobs if "/opt/g/sbin/ganeti-watcher" in j[6]]
    assert [j[:6] for j in watcher] == [["*/5", "*", "*", "*", "*", "root"]]
    cleaner = [j for j in jobs if "/opt/g/sbin/ganeti-cleaner" in j[6]]
    assert sorted(j[6].split()[-1] for j in cleaner) == ["master", "node"]
    assert all(j[2:5] == ["*", "*", "*"] and j[1].isdigit() for j in cleaner)


def test_logrotate_rotates_the_logs_and_tells_the_daemons(rendered):
    text = (rendered / "ganeti.logrotate").read_text()
    assert text.startswith("# ") and "/opt/g/var/log/ganeti/*.log {" in text
    assert "/opt/g/lib/ganeti/daemon-util rotate-all-logs" in text


def test_init_script_is_valid_shell_with_the_lsb_actions(rendered):
    path = str(rendered / "ganeti.initd")
    assert subprocess.run(["sh", "-n", path]).returncode == 0
    res = subprocess.run(["sh", path, "frobnicate"], capture_output=True,
                         text=True)
    assert res.returncode == 1
    assert "{start|stop|restart|force-reload|status}" in res.stderr
    assert "DAEMON_UTIL=/opt/g/lib/ganeti/daemon-util" in open(path).read()


def test_luxid_and_wconfd_units_are_aliases_of_masterd(rendered):
    for alias in ("ganeti-luxid.service", "ganeti-wconfd.service"):
        assert os.readlink(rendered / "systemd" / alias) == \
            "ganeti-masterd.service"


def test_systemd_units_pass_systemd_analyze_verify(tmp_path):
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed")
    sbin = tmp_path / "sbin"
    sbin.mkdir()
    for name in ("ganeti-noded", "ganeti-confd", "ganeti-masterd",
                 "ganeti-rapi", "ganeti-watcher"):
        (sbin / name).write_text("#!/bin/sh\n")
        (sbin / name).chmod(0o755)
    out = tmp_path / "out"
    sysfiles.WriteAll(str(out), {"SBINDIR": str(sbin)})
    units = sorted(str(p) for p in (out / "systemd").iterdir())
    assert len(units) == len([n for n in sysfiles.TEMPLATES
                              if n.startswith("systemd/")]) + 2
    res = subprocess.run([tool, "verify", "--man=no"] + units,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout + res.stderr == ""


def test_main_takes_configured_values(tmp_path, capsys):
    assert sysfiles.main([str(tmp_path), "SBINDIR=/x/sbin"]) == 0
    assert "/x/sbin/ganeti-watcher" in (tmp_path / "ganeti.cron").read_text()
    assert sysfiles.main([str(tmp_path), "BOGUS=1"]) == 1
    assert "Usage" in capsys.readouterr().err
