"""make install never replaces or shadows another package's system files
(Debian's ganeti owns /etc/cron.d/ganeti, /etc/init.d/ganeti, its units)."""

import os

from ganeti.tools import sysfiles_install


def _Owner(owned):
    return lambda path: "ganeti" if path in owned else None


def test_a_file_of_another_package_is_kept(tmp_path, capsys):
    src = tmp_path / "ganeti.cron"
    src.write_text("ours\n")
    dst = tmp_path / "etc-cron.d-ganeti"
    dst.write_text("theirs\n")
    assert not sysfiles_install.Install("", 0o644, str(src), str(dst),
                                        owner=_Owner({str(dst)}))
    assert dst.read_text() == "theirs\n"
    assert "KEEP" in capsys.readouterr().out


def test_a_unit_shadowing_a_package_unit_is_not_installed(tmp_path,
                                                          monkeypatch):
    pkg_dir = tmp_path / "lib-systemd"
    pkg_dir.mkdir()
    (pkg_dir / "ganeti-noded.service").write_text("[Unit]\n")
    monkeypatch.setattr(sysfiles_install, "PACKAGE_UNIT_DIRS",
                        (str(pkg_dir),))
    src = tmp_path / "ganeti-noded.service"
    src.write_text("ours\n")
    dst = tmp_path / "local" / "ganeti-noded.service"
    owned = {str(pkg_dir / "ganeti-noded.service")}
    assert not sysfiles_install.Install("", 0o644, str(src), str(dst),
                                        owner=_Owner(owned))
    assert not dst.exists()


def test_our_own_or_new_files_are_installed(tmp_path):
    src = tmp_path / "ganeti.initd"
    src.write_text("#!/bin/sh\n")
    dst = tmp_path / "init.d" / "ganeti"
    assert sysfiles_install.Install("", 0o755, str(src), str(dst),
                                    owner=_Owner(set()))
    assert dst.read_text() == "#!/bin/sh\n"
    assert os.stat(dst).st_mode & 0o777 == 0o755
    # A staged install (DESTDIR) asks no package database.
    link = tmp_path / "alias.service"
    os.symlink("ganeti-masterd.service", link)
    stage = tmp_path / "stage"
    assert sysfiles_install.Install(str(stage), 0o644, str(link),
                                    "/lib/systemd/system/alias.service",
                                    owner=lambda p: "ganeti")
    assert os.readlink(stage / "lib/systemd/system/alias.service") == \
        "ganeti-masterd.service"
