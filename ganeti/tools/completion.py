"""Generate the bash completion of the gnt-* commands from their tables.

Subcommands, their options (and the values an option takes: node,
instance, node group, OS, iallocator names or its choices) and their
positional arguments come from the same command tables as --help and the
man pages.  Names are read at completion time from the node's ssconf files
(nodes, instances, node groups, networks), the OS search path and the
iallocator search path; job ids from the job queue.

Usage: python -m ganeti.tools.completion OUTFILE [NAME=VALUE...]
(NAME: DATA_DIR, OS_SEARCH_PATH, IALLOCATOR_SEARCH_PATH; paths
colon- or comma-separated; the build passes ./configure's values)
"""

import shlex
import sys
from typing import Dict, List, Optional

from ganeti import pathutils
from ganeti.cli import opts
from ganeti.tools import manpages

# Completion kinds -> the shell function listing their words.
_KIND_FUNCTIONS = {
    "node": "_ganeti_nodes",
    "instance": "_ganeti_instances",
    "nodegroup": "_ganeti_nodegroups",
    "network": "_ganeti_networks",
    "os": "_ganeti_os",
    "iallocator": "_ganeti_iallocators",
    "job": "_ganeti_jobs",
}
_OPTION_KINDS = {
    opts.OPT_COMPL_MANY_NODES: "node",
    opts.OPT_COMPL_ONE_NODE: "node",
    opts.OPT_COMPL_INST_ADD_NODES: "node",
    opts.OPT_COMPL_ONE_INSTANCE: "instance",
    opts.OPT_COMPL_ONE_NODEGROUP: "nodegroup",
    opts.OPT_COMPL_ONE_NETWORK: "network",
    opts.OPT_COMPL_ONE_OS: "os",
    opts.OPT_COMPL_ONE_IALLOCATOR: "iallocator",
}
_ARG_KINDS = {
    opts.ArgNode: "node",
    opts.ArgInstance: "instance",
    opts.ArgGroup: "nodegroup",
    opts.ArgNetwork: "network",
    opts.ArgOs: "os",
    opts.ArgJobId: "job",
}

_HELPERS = r'''# Bash completion of the Ganeti commands (generated from their command
# tables by ganeti/tools/completion.py; do not edit).

_ganeti_ssconf_lines() {
  [ -r "%(data_dir)s/ssconf_$1" ] && cat "%(data_dir)s/ssconf_$1"
}
_ganeti_nodes() { _ganeti_ssconf_lines node_list; }
_ganeti_instances() { _ganeti_ssconf_lines instance_list; }
_ganeti_nodegroups() {
  _ganeti_ssconf_lines nodegroups | while read -r _uuid name; do
    echo "$name"; done
}
_ganeti_networks() {
  _ganeti_ssconf_lines networks | while read -r _uuid name; do
    echo "$name"; done
}
_ganeti_os() {
  local dir
  for dir in %(os_path)s; do
    [ -d "$dir" ] && (cd "$dir" && for os in *; do
      [ -d "$os" ] && echo "$os"; done)
  done
}
_ganeti_iallocators() {
  local dir
  for dir in %(ialloc_path)s; do
    [ -d "$dir" ] && (cd "$dir" && for ia in *; do
      [ -x "$ia" ] && echo "$ia"; done)
  done
}
_ganeti_jobs() {
  [ -d "%(data_dir)s/queue" ] && (cd "%(data_dir)s/queue" &&
    for job in job-*; do [ -f "$job" ] && echo "${job#job-}"; done)
}
# _ganeti_reply WORD-FUNCTION|"" WORDS...: complete the current word.
_ganeti_reply() {
  local cur="${COMP_WORDS[COMP_CWORD]}" func="$1"
  shift
  local words="$*"
  [ -n "$func" ] && words="$words $($func 2>/dev/null)"
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
'''


def _Quote(words: List[str]) -> str:
    return shlex.quote(" ".join(words))


def _OptionValueCases(options) -> List[str]:
    """case branches: the values of the options that take one."""
    branches: Dict[str, str] = {}
    for opt in options:
        if not opt.takes_value():
            continue
        kind = _OPTION_KINDS.get(getattr(opt, "completion_suggest", None))
        if kind:
            action = "_ganeti_reply %s" % _KIND_FUNCTIONS[kind]
        elif opt.choices:
            action = "_ganeti_reply '' %s" % _Quote(list(opt.choices))
        else:
            action = "COMPREPLY=()"  # free text: nothing to offer
        for name in opt._short_opts + opt._long_opts:
            branches[name] = action
    return ["      %s) %s; return ;;" % (name, branches[name])
            for name in sorted(branches)]


def _ArgKind(args) -> Optional[str]:
    """The kind of the positional arguments (the first one that has one)."""
    for arg in args or []:
        for cls, kind in _ARG_KINDS.items():
            if isinstance(arg, cls):
                return kind
    return None


def _ArgWords(args) -> List[str]:
    words: List[str] = []
    for arg in args or []:
        if isinstance(arg, opts.ArgSuggest):
            words.extend(arg.choices)
    return words


def RenderProgram(program: str, commands: dict, aliases: dict) -> str:
    """The completion function of one gnt-* program."""
    func = "_" + program.replace("-", "_")
    names = sorted(set(commands) | set(aliases))
    out = ["%s() {" % func,
           '  local cur="${COMP_WORDS[COMP_CWORD]}"'
           ' prev="${COMP_WORDS[COMP_CWORD-1]}"',
           "  if [ \"$COMP_CWORD\" -le 1 ]; then",
           "    _ganeti_reply '' %s" % _Quote(names + ["--help",
                                                     "--version"]),
           "    return",
           "  fi",
           '  case "${COMP_WORDS[1]}" in']
    for name in names:
        _func, args, options, _usage, _desc = commands[aliases.get(name,
                                                                   name)]
        option_names = sorted(n for opt in options
                              for n in opt._short_opts + opt._long_opts)
        kind = _ArgKind(args)
        out.append("    %s)" % name)
        value_cases = _OptionValueCases(options)
        if value_cases:
            out.append('      case "$prev" in')
            out.extend("  " + line for line in value_cases)
            out.append("      esac")
        out.append('      if [[ "$cur" == -* ]]; then')
        out.append("        _ganeti_reply '' %s" %
                   _Quote(option_names + ["--help"]))
        out.append("      else")
        out.append("        _ganeti_reply '%s' %s" %
                   (_KIND_FUNCTIONS[kind] if kind else "",
                    _Quote(_ArgWords(args))))
        out.append("      fi")
        out.append("      ;;")
    out += ["  esac", "}", "complete -F %s %s" % (func, program), ""]
    return "\n".join(out)


def _ShellPath(value) -> str:
    if isinstance(value, str):
        value = value.replace(",", ":").split(":")
    return " ".join(shlex.quote(p) for p in value if p)


def Render(values: Optional[Dict[str, str]] = None) -> str:
    """The whole completion file."""
    values = values or {}
    text = _HELPERS % {
        "data_dir": values.get("DATA_DIR", pathutils.DATA_DIR),
        "os_path": _ShellPath(values.get("OS_SEARCH_PATH",
                                         pathutils.OS_SEARCH_PATH)),
        "ialloc_path": _ShellPath(values.get(
            "IALLOCATOR_SEARCH_PATH", pathutils.IALLOCATOR_SEARCH_PATH)),
    }
    for program, (module_name, _summary) in sorted(manpages.PROGRAMS.items()):
        try:
            commands, aliases = manpages.CommandTable(module_name)
        except ImportError:
            continue  # that program is not part of this tree yet
        text += "\n" + RenderProgram(program, commands, aliases)
    return text


_NAMES = ("DATA_DIR", "OS_SEARCH_PATH", "IALLOCATOR_SEARCH_PATH")


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    values = dict(arg.partition("=")[::2] for arg in argv[1:])
    if len(argv) < 1 or not all(name in _NAMES for name in values):
        print("Usage: python -m ganeti.tools.completion OUTFILE"
              " [NAME=VALUE...] (NAME: %s)" % ", ".join(_NAMES),
              file=sys.stderr)
        return 1
    with open(argv[0], "w") as handle:
        handle.write(Render(values))
    return 0


if __name__ == "__main__":
    sys.exit(main())
