"""Install the rendered system files without taking another package's.

`make install` puts the init script, cron and logrotate files and systemd
units in /etc and $prefix/lib/systemd/system.  On a machine that also has
Debian's upstream Ganeti, /etc/init.d/ganeti, /etc/cron.d/ganeti,
/etc/logrotate.d/ganeti and the ganeti*.service units belong to that
package: overwriting them (or shadowing its units from /usr/local) would
make cron run this watcher against the upstream cluster.  Such a file is
kept, with one line saying so; ours stays among the installed examples.

Usage: python -m ganeti.tools.sysfiles_install DESTDIR MODE SRC DST
(DESTDIR empty for a real installation; MODE octal, e.g. 0644)
"""

import os
import shutil
import subprocess
import sys
from typing import Callable, Optional

# Where distributions' packages keep systemd units (ours, installed below
# another prefix, would take precedence over theirs).
PACKAGE_UNIT_DIRS = ("/lib/systemd/system", "/usr/lib/systemd/system")


def DpkgOwner(path: str) -> Optional[str]:
    """The Debian package owning path, or None (also without dpkg)."""
    try:
        res = subprocess.run(["dpkg-query", "-S", path], capture_output=True,
                             text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if res.returncode != 0 or ":" not in res.stdout:
        return None
    return res.stdout.split(":", 1)[0].strip() or None


def KeptBecause(dst: str, owner: Callable[[str], Optional[str]] = DpkgOwner
                ) -> Optional[str]:
    """Why dst must not be installed (another package has it), or None."""
    candidates = [dst]
    if dst.endswith((".service", ".target", ".timer")):
        name = os.path.basename(dst)
        candidates += [os.path.join(d, name) for d in PACKAGE_UNIT_DIRS
                       if os.path.join(d, name) != dst]
    for path in candidates:
        if os.path.lexists(path):
            package = owner(path)
            if package:
                return "%s belongs to package %s" % (path, package)
    return None


def Install(destdir: str, mode: int, src: str, dst: str,
            owner: Callable[[str], Optional[str]] = DpkgOwner) -> bool:
    """Copy src to destdir+dst (links as links); False if kept instead."""
    if not destdir:
        reason = KeptBecause(dst, owner)
        if reason:
            print("  KEEP     %s (%s; ours is among the examples)"
                  % (dst, reason))
            return False
    target = destdir + dst
    os.makedirs(os.path.dirname(target), exist_ok=True)
    if os.path.lexists(target):
        os.unlink(target)
    if os.path.islink(src):
        os.symlink(os.readlink(src), target)
    else:
        shutil.copyfile(src, target)
        os.chmod(target, mode)
    return True


def main(argv: list) -> int:
    if len(argv) != 4:
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    destdir, mode, src, dst = argv
    Install(destdir, int(mode, 8), src, dst)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
