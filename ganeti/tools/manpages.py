"""Generate the gnt-* and daemon man pages (roff) from the command tables.

The subcommands, their usage, descriptions and options are declared once in
ganeti/client/gnt_*.py; this turns those tables into section 8 man pages so
the manual never drifts from --help.  A daemon's page comes from its option
parser (BuildParser plus the common daemon options) and the prose sections
its server module declares (MAN_SECTIONS).

Usage: python -m ganeti.tools.manpages OUTDIR
"""

import importlib
import os
import sys
import time
from typing import List, Tuple

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


# Daemon -> (server module, summary, daemon name for the common options).
DAEMONS = {
    "ganeti-rapi": ("rapi", "Ganeti remote API daemon", constants.RAPI),
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


def _Header(program: str, summary: str) -> List[str]:
    date = time.strftime("%Y-%m-%d", time.gmtime(
        int(os.environ.get("SOURCE_DATE_EPOCH", time.time()))))
    return [
        '.TH %s 8 "%s" "ganeti %s" "Version %s"' % (
            program.upper(), date, constants.RELEASE_VERSION,
            constants.RELEASE_VERSION),
        ".SH NAME",
        "%s \\- %s" % (_roff(program), _roff(summary)),
    ]


def RenderDaemonManPage(program: str, module_name: str, summary: str,
                        daemon_name: str) -> str:
    """The man page of a daemon: synopsis, prose sections, options."""
    from ganeti import daemon
    module = importlib.import_module("ganeti.server." + module_name)
    parser = module.BuildParser()
    daemon.AddCommonOptions(parser, daemon_name)
    usage = (parser.usage or "%prog").replace("%prog", program)
    out = _Header(program, summary)
    out += [".SH SYNOPSIS", _roff(usage)]
    for title, paragraphs in module.MAN_SECTIONS:
        out.append(".SH %s" % _roff(title))
        for number, paragraph in enumerate(paragraphs):
            if number:
                out.append(".PP")
            out.append(_roff(paragraph))
    out.append(".SH OPTIONS")
    for opt in parser.option_list:
        if opt.action in ("help", "version"):
            continue
        out.extend(_option_lines(opt))
    out.append(".SH REPORTING BUGS")
    out.append("Report bugs to the project's issue tracker.")
    return "\n".join(out) + "\n"


def CommandTable(module_name: str) -> Tuple[dict, dict]:
    """(commands, aliases) of a gnt-* program's client module."""
    module = importlib.import_module("ganeti.client." + module_name)
    return module.commands, getattr(module, "aliases", {}) or {}


def RenderManPage(program: str, module_name: str, summary: str) -> str:
    commands, aliases = CommandTable(module_name)
    out = _Header(program, summary) + [
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
    for program, (module_name, summary, name) in sorted(DAEMONS.items()):
        page = RenderDaemonManPage(program, module_name, summary, name)
        with open(os.path.join(outdir, program + ".8"), "w") as handle:
            handle.write(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
