"""Generate the gnt-* and daemon man pages (roff) from the command tables.

The subcommands, their usage, descriptions and options are declared once in
ganeti/client/gnt_*.py; this turns those tables into section 8 man pages so
the manual never drifts from --help: per subcommand a synopsis built from
its options, what it does, every option with its meaning, choices and
default, and examples (written ones from ganeti.tools.manpage_text, else
one built from the argument types).  A daemon's page comes from its option
parser (BuildParser plus the common daemon options), the prose sections
its server module declares (MAN_SECTIONS) and the files, signals and
start-up facts every daemon shares.

Usage: python -m ganeti.tools.manpages OUTDIR
"""

import importlib
import importlib.util
import optparse
import os
import re
import sys
import time
from typing import List, Optional, Tuple

from ganeti import constants
from ganeti.cli import opts as cli_opts
from ganeti.tools import manpage_text
from ganeti.tools import manpage_text_daemons
from ganeti.tools import manpage_text_options

PROGRAMS = {
    "gnt-cluster": ("gnt_cluster", "Ganeti administration, cluster-wide"),
    "gnt-node": ("gnt_node", "Node administration"),
    "gnt-group": ("gnt_group", "Ganeti node-group administration"),
    "gnt-instance": ("gnt_instance", "Ganeti instance administration"),
    "gnt-job": ("gnt_job", "Ganeti job administration"),
    "gnt-filter": ("gnt_filter", "Ganeti job filter rule administration"),
    "gnt-network": ("gnt_network", "Ganeti network administration"),
    "gnt-os": ("gnt_os", "Instance operating system administration"),
    "gnt-debug": ("gnt_debug", "Debug commands"),
    "gnt-storage": ("gnt_storage", "Ganeti storage administration"),
    "gnt-backup": ("gnt_backup", "Ganeti instance import/export"),
}
# A program being added to the tree, documented once its module exists.
if importlib.util.find_spec("ganeti.client.gnt_backup") is not None:
    PROGRAMS.setdefault("gnt-backup", ("gnt_backup",
                                       "Ganeti instance import/export"))


# Daemon -> (server module, or module path below ganeti, summary, daemon
# name for the common daemon options, None for programs without them).
DAEMONS = {
    "ganeti-noded": ("noded", "Ganeti node daemon", constants.NODED),
    "ganeti-confd": ("confd", "Ganeti configuration query daemon",
                     constants.CONFD),
    "ganeti-masterd": ("masterd", "Ganeti master daemon", constants.MASTERD),
    "ganeti-rapi": ("rapi", "Ganeti remote API daemon", constants.RAPI),
    "ganeti-watcher": ("watcher.main", "Ganeti cluster watcher", None),
}
# Upstream daemon names whose page is another's (roff .so links).
DAEMON_PAGE_ALIASES = {
    "ganeti-luxid": "ganeti-masterd",
    "ganeti-wconfd": "ganeti-masterd",
}


def _roff(text: str) -> str:
    text = text.replace("\\", "\\\\").replace("-", "\\-")
    return "\n".join(("\\&" + line) if line.startswith((".", "'")) else line
                     for line in text.splitlines())


def _OptionNames(opt) -> str:
    return ", ".join(opt._short_opts + opt._long_opts)


def _Metavar(opt) -> str:
    return opt.metavar or opt.dest.upper()


def _ShowsDefault(opt) -> bool:
    """Whether an option's default is worth stating (a value option with
    a real default its help text does not already give)."""
    if not opt.takes_value() or "default" in (opt.help or "").lower():
        return False
    return opt.default not in (None, "", [], {}, optparse.NO_DEFAULT)


def _Append(text: str, sentences: str) -> str:
    """text, ended as a sentence, followed by sentences."""
    text = text.rstrip()
    ended = text.endswith((".", ":")) or \
        (text.endswith(".)") and not text.endswith("...)"))
    if text and not ended:
        text += "."
    return (text + " " + sentences).strip()


def _option_lines(opt, program: Optional[str] = None,
                  command: Optional[str] = None) -> List[str]:
    names = _OptionNames(opt)
    if opt.takes_value():
        names += " " + _Metavar(opt)
    help_text = (opt.help or "").replace("%default", str(opt.default))
    note = manpage_text_options.OptionNote(opt, program, command)
    if note:
        help_text = _Append(help_text, note)
    extra = []
    if opt.choices and not all(c in help_text for c in opt.choices) and \
            _Metavar(opt) != "|".join(opt.choices):
        extra.append("One of: %s." % ", ".join(opt.choices))
    if _ShowsDefault(opt):
        extra.append("Default: %s." % (opt.default,))
    if extra:
        help_text = _Append(help_text, " ".join(extra))
    return [".TP", "\\fB%s\\fR" % _roff(names), _roff(help_text)]


def _Header(program: str, summary: str, section: int = 8) -> List[str]:
    date = time.strftime("%Y-%m-%d", time.gmtime(
        int(os.environ.get("SOURCE_DATE_EPOCH", time.time()))))
    return [
        '.TH %s %d "%s" "ganeti %s" "Version %s"' % (
            program.upper(), section, date, constants.RELEASE_VERSION,
            constants.RELEASE_VERSION),
        ".SH NAME",
        "%s \\- %s" % (_roff(program), _roff(summary)),
    ]


def _Paragraphs(paragraphs: List[str]) -> List[str]:
    out = []
    for number, paragraph in enumerate(paragraphs):
        if number:
            out.append(".PP")
        out.append(_roff(paragraph))
    return out


def _Sections(sections) -> List[str]:
    out = []
    for title, paragraphs in sections:
        out.append(".SH %s" % _roff(title))
        out.extend(_Paragraphs(paragraphs))
    return out


def _Trailer(see_also: List[str]) -> List[str]:
    return [".SH SEE ALSO", _roff(", ".join(see_also) + "."),
            ".SH REPORTING BUGS",
            "Report bugs to the project's issue tracker."]


def _DaemonFacts(program: str, daemon_name: str) -> List[Tuple[str, list]]:
    """The sections every daemon's page has: start-up, signals, files."""
    from ganeti import daemon_util  # pylint: disable=import-outside-toplevel
    logbase = constants.DAEMONS_LOGBASE.get(daemon_name, daemon_name)
    variables = [daemon_util.ArgsVariable(n) for n in
                 [daemon_name] + daemon_util.AliasesOf(daemon_name)]
    return [
        ("STARTING AND STOPPING", [
            "Use the init script (/etc/init.d/ganeti start|stop|restart|"
            "status), the systemd unit %s.service or \"daemon-util start"
            " %s\" / \"daemon-util stop %s\" rather than running the"
            " program by hand. Extra options go in /etc/default/ganeti, in"
            " %s (split into words)." % (program, program, program,
                                         " and ".join(variables)),
            "Without -f the daemon detaches and the command returns once it"
            " is ready, or fails with its start-up error on stderr and exit"
            " code 1 (%d: not the master, %d: not part of a cluster)."
            % (constants.EXIT_NOTMASTER, constants.EXIT_NOTCLUSTER),
        ]),
        ("SIGNALS", [
            "SIGTERM and SIGINT stop the daemon cleanly; SIGHUP makes it"
            " reopen its log file (daemon-util rotate-all-logs, run by"
            " logrotate, sends it).",
        ]),
        ("FILES", [
            "/var/run/ganeti/%s.pid: pid file, locked while the daemon"
            " runs." % daemon_name,
            "/var/log/ganeti/%s.log: log file." % logbase,
            "/etc/default/ganeti: extra options.",
        ] + manpage_text_daemons.FILES.get(program, [])),
    ]


def RenderDaemonManPage(program: str, module_name: str, summary: str,
                        daemon_name: Optional[str]) -> str:
    """The man page of a daemon: synopsis, prose sections, options."""
    from ganeti import daemon
    if "." not in module_name:
        module_name = "server." + module_name
    module = importlib.import_module("ganeti." + module_name)
    parser = module.BuildParser()
    if daemon_name is not None:
        daemon.AddCommonOptions(parser, daemon_name)
    usage = (parser.usage or "%prog").replace("%prog", program)
    out = _Header(program, summary)
    out += [".SH SYNOPSIS", _roff(usage)]
    out += _Sections(module.MAN_SECTIONS)
    out.append(".SH OPTIONS")
    for opt in parser.option_list:
        if opt.action in ("help", "version"):
            continue
        out.extend(_option_lines(opt))
    out.extend([".TP", "\\fB\\-\\-version\\fR",
                _roff("Print \"%s (ganeti) %s\" and exit." %
                      (program, constants.RELEASE_VERSION))])
    if daemon_name is not None:  # a program with the daemon frame
        out += _Sections(_DaemonFacts(program, daemon_name))
    out += _Sections(manpage_text_daemons.SECTIONS.get(program, []))
    out += _Trailer(["ganeti(7)", "daemon-util", "gnt-cluster(8)"] +
                    ["%s(8)" % d for d in sorted(DAEMONS) if d != program])
    return "\n".join(out) + "\n"


def CommandTable(module_name: str) -> Tuple[dict, dict]:
    """(commands, aliases) of a gnt-* program's client module."""
    module = importlib.import_module("ganeti.client." + module_name)
    return module.commands, getattr(module, "aliases", {}) or {}


def _OptionSynopsis(opt) -> str:
    """[-f|--force] or [{-n|--node} NODE] (roff)."""
    names = "|".join(opt._short_opts + opt._long_opts)
    if opt.takes_value():
        if len(opt._short_opts + opt._long_opts) > 1:
            names = "{%s}" % names
        return "[%s \\fI%s\\fR]" % (_roff(names), _roff(_Metavar(opt)))
    return "[%s]" % _roff(names)


# An option group of a usage string: "[-s ip]", "[{-n|--node} NODE]".
_USAGE_OPTION_RE = re.compile(r"\[\s*\{?-[^\[\]]*\]\s*")


def _Synopsis(program: str, name: str, options, usage: str) -> str:
    """The subcommand, its options (from the table) and its arguments
    (the usage string without the options it may spell out too)."""
    parts = ["\\fB%s %s\\fR" % (_roff(program), _roff(name))]
    parts += [_OptionSynopsis(opt) for opt in options]
    arguments = _USAGE_OPTION_RE.sub("", usage).strip()
    if arguments:
        parts.append(_roff(arguments))
    return "\n".join(parts)


def GeneratedExample(program: str, name: str, args) -> Optional[str]:
    """A command line using the subcommand, built from its argument types
    (None if an argument it needs has no sample value)."""
    words = [program, name]
    for arg in args or []:
        if not arg.min:
            continue
        sample = manpage_text.SampleValue(arg)
        if sample is None:
            return None
        words.extend([sample] * arg.min)
    return " ".join(words)


def _Examples(program: str, name: str, args) -> List[str]:
    examples = manpage_text.EXAMPLES.get(program, {}).get(name)
    if examples is None:
        line = GeneratedExample(program, name, args)
        examples = [(line, "")] if line else []
    out = []
    for line, explanation in examples:
        out += [".PP", "Example:" if not explanation else
                _roff(explanation), ".PP", ".RS 4", ".nf",
                "# %s" % _roff(line), ".fi", ".RE"]
    return out


# The query resource whose fields a program's list command shows.
LIST_RESOURCES = {
    "gnt-node": constants.QR_NODE, "gnt-instance": constants.QR_INSTANCE,
    "gnt-group": constants.QR_GROUP, "gnt-job": constants.QR_JOB,
    "gnt-network": constants.QR_NETWORK, "gnt-filter": constants.QR_FILTER,
    "gnt-backup": constants.QR_EXPORT,
}

# A field of one item of a list (nic.mac/0, disk.size/3).
_INDEXED_FIELD_RE = re.compile(r"^(.*)/(\d+)$")


def ListFields(resource: str) -> List[Tuple[str, str, str, str]]:
    """(name, kind, title, description) of a resource's query fields, the
    fields of the Nth NIC or disk folded into one NAME/N entry."""
    from ganeti import query  # pylint: disable=import-outside-toplevel
    fields = []
    highest = {}
    for fdef in query.GetAllFields(query.GetFieldDefs(resource)):
        match = _INDEXED_FIELD_RE.match(fdef.name)
        if match is None:
            fields.append([fdef.name, fdef.kind, fdef.title, fdef.doc])
            continue
        prefix, index = match.group(1), int(match.group(2))
        if prefix not in highest:
            doc = re.sub(r"\b1st (.*)$", r"\1 N", fdef.doc)
            fields.append([prefix + "/N", fdef.kind,
                           re.sub(r"\d+$", "N", fdef.title), doc])
        highest[prefix] = max(index, highest.get(prefix, 0))
    for field in fields:
        prefix = field[0][:-2] if field[0].endswith("/N") else None
        if prefix in highest:
            field[3] += " (N from 0 to %d)" % highest[prefix]
    return [tuple(field) for field in fields]


def _FieldList(resource: str) -> List[str]:
    out = [".PP", _roff("The fields, for -o and for filters (list-fields"
                        " shows them too):")]
    for name, kind, title, doc in ListFields(resource):
        out += [".TP", "\\fB%s\\fR (%s)" % (_roff(name), _roff(kind)),
                _roff("%s. Column title: %s." % (doc.rstrip("."), title))]
    return out


def RenderManPage(program: str, module_name: str, summary: str) -> str:
    commands, aliases = CommandTable(module_name)
    description = manpage_text.DESCRIPTIONS.get(program) or [
        "The %s command is used for %s." % (program, summary[0].lower() +
                                            summary[1:])]
    out = _Header(program, summary) + [
        ".SH SYNOPSIS",
        "\\fB%s\\fR {command} [options...] [arguments...]" % _roff(program),
        ".SH DESCRIPTION"] + _Paragraphs(description) + [
        _roff("\"%s --help\" lists the commands, \"%s COMMAND --help\""
              " shows a command's usage and options, \"%s --version\""
              " prints the version." % (program, program, program)),
        ".SH COMMANDS",
    ]
    for name in sorted(commands):
        _func, args, options, usage, description = commands[name]
        out.append(".SS %s" % _roff(name.upper()))
        out.append(_Synopsis(program, name, options, usage or ""))
        out.append(".PP")
        out.append(_roff(description or ""))
        for paragraph in manpage_text.DETAILS.get(program, {}).get(name, []):
            out += [".PP", _roff(paragraph)]
        for opt in options:
            out.extend(_option_lines(opt, program, name))
        if name == "list" and program in LIST_RESOURCES:
            out.extend(_FieldList(LIST_RESOURCES[program]))
        out.extend(_Examples(program, name, args))
    if aliases:
        out.append(".SH ALIASES")
        for alias, target in sorted(aliases.items()):
            out.append(".TP")
            out.append("\\fB%s\\fR" % _roff(alias))
            out.append(_roff("Same as %s." % target))
    out.append(".SH OPTIONS OF EVERY COMMAND")
    for opt in cli_opts.COMMON_OPTS:
        out.extend(_option_lines(opt, program))
    out += _Sections(manpage_text.COMMON_SECTIONS)
    out += _Sections(manpage_text.EnvironmentSection(program))
    out += _Trailer(["ganeti(7)"] + ["%s(8)" % p for p in sorted(PROGRAMS)
                                     if p != program])
    return "\n".join(out) + "\n"


def RenderToolManPage(program: str, summary: str, synopsis: str,
                      sections, see_also: Optional[List[str]] = None) -> str:
    """The man page of a tool (ganeti-cleaner): synopsis and prose."""
    out = _Header(program, summary) + [".SH SYNOPSIS", _roff(synopsis)]
    out += _Sections(sections)
    out += _Trailer(see_also or ["ganeti(7)", "ganeti-watcher(8)"])
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("Usage: python -m ganeti.tools.manpages OUTDIR", file=sys.stderr)
        return 1
    outdir = argv[0]
    os.makedirs(outdir, exist_ok=True)
    pages = {}
    for program, (module_name, summary) in sorted(PROGRAMS.items()):
        try:
            pages[program] = RenderManPage(program, module_name, summary)
        except ImportError:
            continue  # that program is not part of this tree yet
    for program, (module_name, summary, name) in sorted(DAEMONS.items()):
        pages[program] = RenderDaemonManPage(program, module_name, summary,
                                             name)
    for alias, target in sorted(DAEMON_PAGE_ALIASES.items()):
        pages[alias] = ".so man8/%s.8\n" % target
    from ganeti.tools import cleaner  # pylint: disable=import-outside-toplevel
    pages["ganeti-cleaner"] = RenderToolManPage(
        "ganeti-cleaner", "Ganeti job queue and file cleaner",
        cleaner.MAN_SYNOPSIS, cleaner.MAN_SECTIONS +
        manpage_text_daemons.SECTIONS.get("ganeti-cleaner", []))
    pages["daemon-util"] = RenderToolManPage(
        "daemon-util", "Ganeti daemon control",
        manpage_text_daemons.DAEMON_UTIL_SYNOPSIS,
        manpage_text_daemons.DaemonUtilSections(),
        ["ganeti(7)"] + ["%s(8)" % d for d in sorted(DAEMONS)])
    for program, page in pages.items():
        with open(os.path.join(outdir, program + ".8"), "w") as handle:
            handle.write(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
