"""Generate the gnt-* man pages (roff) from the command tables.

The subcommands, their usage, descriptions and options are declared once in
ganeti/client/gnt_*.py; this turns those tables into section 8 man pages so
the manual never drifts from --help.

Usage: python -m ganeti.tools.manpages OUTDIR
"""

import importlib
import os
import sys
import time
from typing import List

from ganeti import constants

PROGRAMS = {
    "gnt-cluster": ("gnt_cluster", "Ganeti administration, cluster-wide"),
    "gnt-node": ("gnt_node", "Node administration"),
    "gnt-group": ("gnt_group", "Ganeti node-group administration"),
    "gnt-instance": ("gnt_instance", "Ganeti instance administration"),
    "gnt-job": ("gnt_job", "Ganeti job administration"),
    "gnt-os": ("gnt_os", "Instance operating system administration"),
    "gnt-debug": ("gnt_debug", "Debug commands"),
}


def _roff(text: str) -> str:
    text = text.replace("\\", "\\\\").replace("-", "\\-")
    return "\n".join(("\\&" + line) if line.startswith((".", "'")) else line
                     for line in text.splitlines())


def _option_lines(opt) -> List[str]:
    names = ", ".join(opt._short_opts + opt._long_opts)
    if opt.takes_value():
        names += " " + (opt.metavar or opt.dest.upper())
    help_text = (opt.help or "").replace("%default", str(opt.default))
    return [".TP", "\\fB%s\\fR" % _roff(names), _roff(help_text)]


def RenderManPage(program: str, module_name: str, summary: str) -> str:
    module = importlib.import_module("ganeti.client." + module_name)
    commands = module.commands
    aliases = getattr(module, "aliases", {}) or {}
    date = time.strftime("%Y-%m-%d", time.gmtime(
        int(os.environ.get("SOURCE_DATE_EPOCH", time.time()))))
    out = [
        '.TH %s 8 "%s" "ganeti %s" "Version %s"' % (
            program.upper(), date, constants.RELEASE_VERSION,
            constants.RELEASE_VERSION),
        ".SH NAME",
        "%s \\- %s" % (_roff(program), _roff(summary)),
        ".SH SYNOPSIS",
        "\\fB%s\\fR {command} [options...] [arguments...]" % _roff(program),
        ".SH DESCRIPTION",
        _roff("The %s command is used for %s." % (program, summary[0].lower()
                                                 + summary[1:])),
        ".SH COMMANDS",
    ]
    for name in sorted(commands):
        func, _args, options, usage, description = commands[name]
        out.append(".SS %s" % _roff(name.upper()))
        out.append("\\fB%s %s\\fR %s" % (_roff(program), _roff(name),
                                         _roff(usage or "")))
        out.append(".PP")
        out.append(_roff(description or ""))
        for opt in options:
            out.extend(_option_lines(opt))
    if aliases:
        out.append(".SH ALIASES")
        for alias, target in sorted(aliases.items()):
            out.append(".TP")
            out.append("\\fB%s\\fR" % _roff(alias))
            out.append(_roff("Same as %s." % target))
    out.append(".SH REPORTING BUGS")
    out.append("Report bugs to the project's issue tracker.")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("Usage: python -m ganeti.tools.manpages OUTDIR", file=sys.stderr)
        return 1
    outdir = argv[0]
    os.makedirs(outdir, exist_ok=True)
    for program, (module_name, summary) in sorted(PROGRAMS.items()):
        try:
            page = RenderManPage(program, module_name, summary)
        except ImportError:
            continue  # that program is not part of this tree yet
        with open(os.path.join(outdir, program + ".8"), "w") as handle:
            handle.write(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
