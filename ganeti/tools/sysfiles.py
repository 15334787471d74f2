"""Render the system files of an installed Ganeti from examples/*.in.

The init script, the cron and logrotate files and the systemd units name
installed programs and directories; their templates in examples/ hold
@SBINDIR@, @PKGLIBDIR@, @SYSCONFDIR@ and @LOCALSTATEDIR@, replaced here by
the configured paths (ganeti/_autoconf.py) or by the values given.  The
systemd aliases of ganeti-masterd (ganeti-wconfd.service,
ganeti-luxid.service) are made as symlinks, as systemd reads aliases.

Usage: python -m ganeti.tools.sysfiles OUTDIR [NAME=VALUE...]
(the build passes ./configure's directories as NAME=VALUE)
"""

import os
import re
import sys
from typing import Dict, List, Optional

from ganeti import pathutils

EXAMPLES_DIR = os.path.join(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))), "examples")
# Template (below examples/, without .in) -> file mode.
TEMPLATES = {
    "ganeti.initd": 0o755,
    "ganeti.cron": 0o644,
    "ganeti.logrotate": 0o644,
    "systemd/ganeti.target": 0o644,
    "systemd/ganeti-node.target": 0o644,
    "systemd/ganeti-master.target": 0o644,
    "systemd/ganeti-noded.service": 0o644,
    "systemd/ganeti-confd.service": 0o644,
    "systemd/ganeti-masterd.service": 0o644,
    "systemd/ganeti-rapi.service": 0o644,
    "systemd/ganeti-watcher.service": 0o644,
    "systemd/ganeti-watcher.timer": 0o644,
}
# Alias unit -> the unit it names.
SYSTEMD_ALIASES = {
    "systemd/ganeti-wconfd.service": "ganeti-masterd.service",
    "systemd/ganeti-luxid.service": "ganeti-masterd.service",
}
_PLACEHOLDER_RE = re.compile(r"@([A-Z_]+)@")


def DefaultValues() -> Dict[str, str]:
    """The configured paths the templates name."""
    return {"SBINDIR": pathutils.SBINDIR, "PKGLIBDIR": pathutils.PKGLIBDIR,
            "SYSCONFDIR": pathutils.SYSCONFDIR,
            "LOCALSTATEDIR": pathutils.LOCALSTATEDIR}


def Render(name: str, values: Optional[Dict[str, str]] = None) -> str:
    """The text of system file name (a TEMPLATES key) with values."""
    subst = DefaultValues()
    subst.update(values or {})
    with open(os.path.join(EXAMPLES_DIR, name + ".in")) as handle:
        text = handle.read()

    def replace(match: "re.Match") -> str:
        try:
            return subst[match.group(1)]
        except KeyError:
            raise ValueError("%s.in: unknown placeholder %s" %
                             (name, match.group(0)))
    return _PLACEHOLDER_RE.sub(replace, text)


def WriteAll(outdir: str, values: Optional[Dict[str, str]] = None
             ) -> List[str]:
    """Render every system file below outdir; the paths written."""
    written = []
    for name, mode in sorted(TEMPLATES.items()):
        path = os.path.join(outdir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write(Render(name, values))
        os.chmod(path, mode)
        written.append(path)
    for name, target in sorted(SYSTEMD_ALIASES.items()):
        path = os.path.join(outdir, name)
        if os.path.lexists(path):
            os.unlink(path)
        os.symlink(target, path)
        written.append(path)
    return written


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    values = dict(arg.partition("=")[::2] for arg in argv[1:])
    if len(argv) < 1 or not all(name in DefaultValues() for name in values):
        print("Usage: python -m ganeti.tools.sysfiles OUTDIR [NAME=VALUE...]"
              " (NAME: %s)" % ", ".join(sorted(DefaultValues())),
              file=sys.stderr)
        return 1
    WriteAll(argv[0], values)
    return 0


if __name__ == "__main__":
    sys.exit(main())
