"""tools/install-deps on an admin's machine: never removes a package, waits
for the dpkg lock, asks for iputils-arping (not the conflicting "arping").

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


def _Run(tmp_path, installed=""):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "apt.log"
    # dpkg-query reports the packages named in $INSTALLED as installed.
    _Tool(str(bindir), "dpkg-query",
          'for p in $INSTALLED; do [ "$p" = "$3" ] && '
          '{ echo "install ok installed"; exit 0; }; done; exit 1\n')
    _Tool(str(bindir), "apt-get", 'echo "$*" >> "%s"\n' % log)
    env = dict(os.environ, PATH="%s:%s" % (bindir, os.environ["PATH"]),
               INSTALLED=installed)
    res = subprocess.run(["sh", SCRIPT], env=env, capture_output=True,
                         text=True, timeout=60)
    calls = log.read_text().splitlines() if log.exists() else []
    return res, calls


def test_install_never_removes_and_waits_for_lock(tmp_path):
    res, calls = _Run(tmp_path)
    assert res.returncode == 0, res.stderr
    installs = [c for c in calls if " install " in " %s " % c]
    assert len(installs) == 1
    words = installs[0].split()
    assert "--no-remove" in words
    for call in calls:  # update and install both wait for the lock
        assert "DPkg::Lock::Timeout=600" in call.split()
    assert "iputils-arping" in words
    assert "arping" not in words


def test_nothing_to_do_when_all_present(tmp_path):
    with open(SCRIPT) as fd:
        text = fd.read()
    block = text.split('PACKAGES="', 1)[1].split('"', 1)[0]
    res, calls = _Run(tmp_path, installed=" ".join(block.split()))
    assert res.returncode == 0, res.stderr
    assert calls == []
    assert "all Debian packages present" in res.stdout
