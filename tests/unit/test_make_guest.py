"""Tests for the test-guest builder's offline parts (ganeti.tools.make_guest):
the initramfs archive, ELF checks and the example OS installer."""

import gzip
import os
import stat
import sys

import pytest

from ganeti import osdef
from ganeti.tools import make_guest


def _ParseNewc(data):
    """[(name, mode, rdev, content)] of a newc cpio archive."""
    entries = []
    pos = 0
    while True:
        assert data[pos:pos + 6] == b"070701"
        fields = [int(data[pos + 6 + 8 * i:pos + 14 + 8 * i], 16)
                  for i in range(13)]
        mode, size, rmaj, rmin, namesize = (fields[1], fields[6], fields[9],
                                            fields[10], fields[11])
        name_start = pos + 110
        name = data[name_start:name_start + namesize - 1].decode()
        pos = name_start + namesize
        pos += -pos % 4
        content = data[pos:pos + size]
        pos += size
        pos += -pos % 4
        if name == "TRAILER!!!":
            return entries
        entries.append((name, mode, (rmaj, rmin), content))


def test_initramfs_layout(tmp_path):
    busybox = tmp_path / "busybox"
    busybox.write_bytes(b"\x7fELF fake busybox")
    moddir = tmp_path / "modules"
    (moddir / "kernel").mkdir(parents=True)
    (moddir / "kernel" / "virtio.ko").write_bytes(b"module")
    image = make_guest.BuildInitramfs(str(busybox), str(moddir),
                                      ["kernel/virtio.ko"])
    # Reproducible: same inputs, same bytes.
    assert image == make_guest.BuildInitramfs(str(busybox), str(moddir),
                                              ["kernel/virtio.ko"])
    entries = {e[0]: e for e in _ParseNewc(gzip.decompress(image))}
    _, mode, _, content = entries["init"]
    assert stat.S_ISREG(mode) and mode & 0o111
    assert content.startswith(b"#!/bin/sh\n")
    assert b'echo "guest counter $n"' in content
    assert entries["bin/busybox"][3] == b"\x7fELF fake busybox"
    _, mode, _, target = entries["bin/sh"]
    assert stat.S_ISLNK(mode) and target == b"busybox"
    _, mode, rdev, _ = entries["dev/console"]
    assert stat.S_ISCHR(mode) and rdev == (5, 1)
    assert entries["lib/modules/virtio.ko"][3] == b"module"
    assert entries["etc/guest-modules"][3] == b"virtio.ko\n"
    assert stat.S_ISDIR(entries["proc"][1])
    _, mode, _, content = entries["etc/acpi/PWRF/00000080"]
    assert mode & 0o111 and b"poweroff -f" in content


def test_static_elf_check(tmp_path, monkeypatch):
    assert not make_guest._IsStaticElf(__file__)  # not ELF at all
    assert not make_guest._IsStaticElf(sys.executable)  # dynamically linked
    monkeypatch.setattr(make_guest, "BUSYBOX_CANDIDATES",
                        (str(tmp_path / "none"), sys.executable))
    with pytest.raises(make_guest.GuestError, match="busybox-static"):
        make_guest.FindBusybox()


def test_module_order_without_modules(tmp_path):
    assert make_guest.ModuleLoadOrder(str(tmp_path), ["virtio_blk"]) == []


def test_install_example_oses(tmp_path):
    names = make_guest.InstallExampleOSes(str(tmp_path))
    assert names == ["image", "noop"]
    for name in names:
        osd = osdef.LoadOS(name, str(tmp_path / name))
        assert osd.api_version == 20
    # Again: refreshed in place, no error.
    assert make_guest.InstallExampleOSes(str(tmp_path)) == names


def test_main_reports_errors(tmp_path, monkeypatch, capsys):
    def fail(*args):
        raise make_guest.GuestError("no kernel for you")
    monkeypatch.setattr(make_guest, "BuildGuest", fail)
    assert make_guest.main(["--cache-dir", str(tmp_path)]) == 1
    assert capsys.readouterr().err == "make-guest: error: no kernel for you\n"


@pytest.mark.parametrize("name, real", [
    ("linux-image-cloud-amd64", False),
    ("linux-image-6.1.0-56-cloud-amd64", True),
])
def test_resolve_real_package_names(name, real, monkeypatch):
    monkeypatch.setattr(make_guest, "_Run", lambda cmd, cwd="/": (
        "linux-image-cloud-amd64\n  Depends: linux-image-6.1.0-9-cloud-amd64"
        "\n"))
    expected = name if real else "linux-image-6.1.0-9-cloud-amd64"
    assert make_guest.ResolveKernelPackage(name) == expected
