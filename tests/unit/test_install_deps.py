"""tools/install-deps on an admin's machine: never removes a package, waits
for the dpkg lock, asks for iputils-arping (not the conflicting "arping"),
installs ganeti-htools-3.0 (hail) but never Debian's ganeti, and links hail
into the iallocator search path.

The script runs for real with stand-in dpkg-query/apt-get first on PATH that
record how they were called.
"""

import os
import stat
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO, "tools", "install-deps")


def _Tool(bindir, name, body):
    path = os.path.join(bindir, name)
    with open(path, "w") as fd:
        fd.write("#!/bin/sh\n" + body)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)


def _Run(tmp_path, installed="", plan=""):
    """Run the script; plan is what the stand-in apt-get prints for a
    simulated install (-s)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "apt.log"
    # dpkg-query reports the packages named in $INSTALLED as installed.
    _Tool(str(bindir), "dpkg-query",
          'for p in $INSTALLED; do [ "$p" = "$3" ] && '
          '{ echo "install ok installed"; exit 0; }; done; exit 1\n')
    _Tool(str(bindir), "apt-get", 'echo "$*" >> "%s"\n'
          'case " $* " in *" -s "*) printf "%%s" "$PLAN";; esac\n' % log)
    hail = tmp_path / "htools" / "hail"
    hail.parent.mkdir()
    _Tool(str(hail.parent), "hail", "exit 0\n")
    env = dict(os.environ, PATH="%s:%s" % (bindir, os.environ["PATH"]),
               INSTALLED=installed, PLAN=plan,
               INSTALL_DEPS_HAIL=str(hail),
               INSTALL_DEPS_IALLOCATOR_DIR=str(tmp_path / "iallocators"))
    res = subprocess.run(["sh", SCRIPT], env=env, capture_output=True,
                         text=True, timeout=60)
    calls = log.read_text().splitlines() if log.exists() else []
    return res, calls


def test_install_never_removes_and_waits_for_lock(tmp_path):
    res, calls = _Run(tmp_path)
    assert res.returncode == 0, res.stderr
    installs = [c for c in calls if " install " in " %s " % c]
    assert len(installs) == 2           # the simulation, then the install
    assert "-s" in installs[0].split() and "-s" not in installs[1].split()
    for install in installs:
        words = install.split()
        assert "--no-remove" in words
        assert "iputils-arping" in words and "ganeti-htools-3.0" in words
        assert "arping" not in words
    for call in calls:  # update and install both wait for the lock
        assert "DPkg::Lock::Timeout=600" in call.split()
    link = tmp_path / "iallocators" / "hail"
    assert os.readlink(link) == str(tmp_path / "htools" / "hail")


def test_refuses_a_plan_bringing_debian_ganeti(tmp_path):
    res, calls = _Run(tmp_path, plan="Inst libpcre3 (2:8.39-15 Debian)\n"
                      "Inst ganeti-3.0 (3.0.2-3 Debian:12 [all])\n")
    assert res.returncode == 1
    assert "would install Debian's ganeti" in res.stderr
    assert [c for c in calls if " install " in " %s " % c and
            "-s" not in c.split()] == []


def test_nothing_to_do_when_all_present(tmp_path):
    with open(SCRIPT) as fd:
        text = fd.read()
    block = text.split('PACKAGES="', 1)[1].split('"', 1)[0]
    res, calls = _Run(tmp_path, installed=" ".join(block.split()))
    assert res.returncode == 0, res.stderr
    assert calls == []
    assert "all Debian packages present" in res.stdout
    # hail, installed earlier, is still linked into the search path
    assert os.path.islink(tmp_path / "iallocators" / "hail")
