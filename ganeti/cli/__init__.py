"""The command line framework of the gnt-* programs.

A client module (``ganeti/client/gnt_foo.py``) declares its subcommands in a
table and hands it to ``GenericMain``::

    commands = {
        "list": (ListThings, [ArgUnknown()], [NOHDR_OPT, SEP_OPT],
                 "[<name>...]", "Lists the things"),
    }
    def Main():
        return GenericMain(commands, aliases={"show": "info"})

Each entry is ``(function, argument definitions, options, usage text,
description)``; the function gets ``(opts, args)`` and returns the exit
code.  ``-d/--debug`` and ``--reason`` are added to every subcommand.

This module re-exports the option objects (``ganeti.cli.opts``,
``cli_opts_objects``, ``cli_opts_cluster``), output
helpers (``ganeti.cli.format``) and job helpers (``ganeti.cli.jobs``), so
client modules only need ``from ganeti.cli import *``.
"""

import logging
import optparse
import os
import shlex
import sys
import textwrap
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti.utils.text import NiceSortKey
from ganeti.cli.format import *  # noqa: F401,F403
from ganeti.cli.format import (EXIT_FAILURE, EXIT_SUCCESS, EXIT_UNKNOWN_FIELD,
                               FormatError, FormatQueryResult,
                               JobSubmittedException, QFT_NAMES, QR_UNKNOWN,
                               TableColumn, ToStderr, ToStdout,
                               WarnUnknownFields, FormatTable)
from ganeti.cli.jobs import *  # noqa: F401,F403
from ganeti.cli.jobs import BuildReasonTrail, GetClient
from ganeti.cli.opts import *  # noqa: F401,F403
from ganeti.cli.opts import COMMON_OPTS, CliOption, _Argument
from ganeti.cli.opts_cluster import *  # noqa: F401,F403
from ganeti.cli.opts_objects import *  # noqa: F401,F403

# The table entry of a subcommand: (function, args, options, usage, descr).
CommandTable = Dict[str, Tuple[Callable[[Any, List[str]], int],
                               List[_Argument], List[optparse.Option],
                               str, str]]

# Width of the command list printed by "gnt-foo --help".
_USAGE_WIDTH = 79


class _ShowUsage(Exception):
    """Print the list of commands; exit_error selects the exit code."""

    def __init__(self, exit_error: bool) -> None:
        super().__init__()
        self.exit_error = exit_error


class _ShowVersion(Exception):
    """Print the program version."""


class _ParserExit(Exception):
    """optparse ended the program (help, version or usage error)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


# --- usage ------------------------------------------------------------------

def FormatUsage(binary: str, commands: CommandTable) -> List[str]:
    """The lines "gnt-foo --help" prints: usage and the command list."""
    lines = ["Usage: %s {command} [options...] [argument...]" % binary,
             "%s <command> --help to see details, or man %s"
             % (binary, binary),
             "",
             "Commands:"]
    width = min(60, max(len(name) for name in commands)) if commands else 0
    text_width = max(20, _USAGE_WIDTH - 3 - width)
    for name in sorted(commands):
        descr = commands[name][4] or ""
        wrapped = textwrap.wrap(descr, text_width) or [""]
        lines.append(" %-*s - %s" % (width, name, wrapped[0]))
        for more in wrapped[1:]:
            lines.append(" %-*s   %s" % (width, "", more))
    lines.append("")
    return lines


def VersionText(binary: str) -> str:
    """What "gnt-foo --version" prints."""
    return "%s (ganeti) %s" % (binary, constants.RELEASE_VERSION)


# --- argument checks --------------------------------------------------------

def _CheckArguments(cmd: str, args_def: Sequence[_Argument],
                    args: Sequence[str]) -> bool:
    """Check the number of positional arguments; print why not on stderr."""
    if args and not args_def:
        ToStderr("Error: Command %s expects no arguments", cmd)
        return False
    min_count = sum(arg.min or 0 for arg in args_def)
    unlimited = bool(args_def) and args_def[-1].max is None
    for arg in args_def[:-1]:
        if arg.max is None:
            raise errors.ProgrammerError("Only the last argument can have"
                                         " max=None")
    if args_def and not unlimited:
        max_count = sum(arg.max for arg in args_def)  # type: ignore[misc]
        if min_count == max_count and len(args) != min_count:
            ToStderr("Error: Command %s expects %d argument(s)", cmd,
                     min_count)
            return False
        if len(args) > max_count:
            ToStderr("Error: Command %s expects only %d argument(s)", cmd,
                     max_count)
            return False
    if len(args) < min_count:
        ToStderr("Error: Command %s expects at least %d argument(s)", cmd,
                 min_count)
        return False
    return True


class _Parser(optparse.OptionParser):
    """OptionParser that reports its exits instead of calling sys.exit."""

    def exit(self, status: int = 0, msg: Optional[str] = None) -> None:
        if msg:
            sys.stderr.write(msg)
        raise _ParserExit(status)


def BuildParser(binary: str, cmd: str, options: Sequence[optparse.Option],
                usage: str,
                description: Optional[str]) -> optparse.OptionParser:
    """The option parser of one subcommand (COMMON_OPTS included)."""
    parser = _Parser(option_list=list(options) + COMMON_OPTS,
                     option_class=CliOption,
                     usage="%%prog %s %s" % (cmd, usage),
                     description=description or None,
                     formatter=optparse.TitledHelpFormatter(),
                     prog=binary,
                     version="%%prog (ganeti) %s" % constants.RELEASE_VERSION)
    parser.disable_interspersed_args()
    return parser


def _EnvArgs(binary: str, cmd: str) -> List[str]:
    """Default arguments from the environment, e.g. GNT_INSTANCE_LIST for
    "gnt-instance list"."""
    name = ("%s_%s" % (binary, cmd)).replace("-", "_").upper()
    value = os.environ.get(name)
    return shlex.split(value) if value else []


def ParseArgs(binary: str, argv: Sequence[str], commands: CommandTable,
              aliases: Dict[str, str], env_override=frozenset()
              ) -> Tuple[Optional[Callable], Any, Any]:
    """Parse the command line: (function, options, args), or Nones after a
    printed error.

    Raises _ShowUsage/_ShowVersion for the top-level --help and --version
    and _ParserExit when optparse ended the program.
    """
    cmd = argv[1] if len(argv) > 1 else None
    if cmd == "--version":
        raise _ShowVersion()
    if cmd == "--help":
        raise _ShowUsage(exit_error=False)
    if cmd is None or (cmd not in commands and cmd not in aliases):
        raise _ShowUsage(exit_error=True)
    if cmd in aliases:
        real = aliases[cmd]
        if real not in commands:
            raise errors.ProgrammerError("Alias '%s' maps to non-existing"
                                         " command '%s'" % (cmd, real))
        cmd = real
    func, args_def, options, usage, description = commands[cmd]
    args = list(argv[2:])
    if cmd in env_override:
        args = _EnvArgs(binary, cmd) + args
    parser = BuildParser(binary, cmd, options, usage, description)
    opts, args = parser.parse_args(args)
    if not _CheckArguments(cmd, args_def, args):
        return None, None, None
    opts.reason = BuildReasonTrail(binary, cmd, opts.reason)
    return func, opts, args


# --- logging ----------------------------------------------------------------

def _Writable(path: Optional[str]) -> bool:
    if not path:
        return False
    if os.path.exists(path):
        return os.access(path, os.W_OK)
    return os.access(os.path.dirname(path) or ".", os.W_OK)


def SetupCliLogging(program: str, debug: int) -> None:
    """Log to the commands log if writable; debug messages on stderr."""
    from ganeti.utils import log as utils_log
    logfile = getattr(pathutils, "USER_COMMANDS_LOG", None)
    if not _Writable(logfile):
        logfile = None
    try:
        utils_log.SetupLogging(logfile, program, debug=debug,
                               stderr_logging=True)
    except (OSError, errors.GenericError):
        utils_log.SetupLogging(None, program, debug=debug,
                               stderr_logging=True)


def _ClusterMembershipError(err: Exception) -> Exception:
    """Explain a NoMasterError from the local ssconf files when possible."""
    try:
        from ganeti import ssconf
        store = ssconf.SimpleStore()
        master = store.GetMasterNode()
    except errors.ConfigurationError:
        return errors.OpPrereqError("Cluster not initialized or this machine"
                                    " is not part of a cluster",
                                    errors.ECODE_INVAL)
    except Exception:  # pylint: disable=broad-except
        return err
    try:
        import socket
        from ganeti import netutils
        myself = {socket.gethostname(), netutils.Hostname.GetFqdn()}
    except Exception:  # pylint: disable=broad-except
        return err
    if master and master not in myself:
        return errors.OpPrereqError("This is not the master node, please"
                                    " connect to node '%s' and rerun the"
                                    " command" % master, errors.ECODE_INVAL)
    return err


# --- main -------------------------------------------------------------------

def GenericMain(commands: CommandTable,
                aliases: Optional[Dict[str, str]] = None,
                override: Optional[Dict[str, Any]] = None,
                env_override=frozenset(), description: Optional[str] = None,
                argv: Optional[Sequence[str]] = None) -> int:
    """Run the subcommand named on the command line; return the exit code.

    override sets option attributes after parsing; env_override lists the
    commands taking default arguments from the environment.  description
    is accepted for symmetry with the command tables but not printed
    (upstream's "gnt-foo --help" shows only the command list).
    """
    if argv is None:
        argv = sys.argv
    if argv:
        binary = os.path.basename(argv[0]) or argv[0]
    else:
        binary = "<unknown program>"
        argv = [binary]
    # The logging program name is "gnt-foo subcommand".
    logname = " ".join(shlex.quote(arg) for arg in [binary] + list(argv[1:2]))
    cmdline = " ".join(shlex.quote(arg) for arg in [binary] + list(argv[1:]))
    aliases = aliases or {}

    try:
        func, options, args = ParseArgs(binary, argv, commands, aliases,
                                        env_override)
    except _ShowVersion:
        ToStdout(VersionText(binary))
        return EXIT_SUCCESS
    except _ShowUsage as usage:
        for line in FormatUsage(binary, commands):
            ToStdout(line)
        return EXIT_FAILURE if usage.exit_error else EXIT_SUCCESS
    except _ParserExit as pexit:
        return pexit.code
    except errors.ParameterError as err:
        ToStderr(FormatError(err)[1])
        return EXIT_FAILURE
    if func is None:
        return EXIT_FAILURE

    for key, value in (override or {}).items():
        setattr(options, key, value)

    SetupCliLogging(logname, options.debug)
    logging.debug("Command line: %s", cmdline)

    try:
        result = func(options, args)
    except (errors.GenericError, JobSubmittedException) as err:
        if isinstance(err, errors.NoMasterError):
            err = _ClusterMembershipError(err)
        result, message = FormatError(err)
        if not isinstance(err, JobSubmittedException):
            logging.exception("Error during command processing")
        # Like upstream, "JobID: <id>" (--submit) goes to stderr too; stdout
        # only gets the bare id with --print-jobid.
        ToStderr(message)
    except KeyboardInterrupt:
        result = EXIT_FAILURE
        ToStderr("Aborted. Note that if the operation created any jobs, they"
                 " might have been submitted and will continue to run in the"
                 " background.")
    except BrokenPipeError:
        return EXIT_FAILURE
    return result if result is not None else EXIT_SUCCESS


# --- user interaction -------------------------------------------------------

class _Tty:
    """The controlling terminal, for reading and writing (a terminal can't
    be opened "a+"/"r+" in text mode: it isn't seekable)."""

    def __init__(self) -> None:
        self._in = open("/dev/tty", "r")
        try:
            self._out = open("/dev/tty", "w")
        except OSError:
            self._in.close()
            raise

    def write(self, text: str) -> None:
        self._out.write(text)

    def flush(self) -> None:
        self._out.flush()

    def readline(self, size: int = -1) -> str:
        return self._in.readline(size)

    def close(self) -> None:
        self._out.close()
        self._in.close()

    def __enter__(self) -> "_Tty":
        return self

    def __exit__(self, *args) -> None:
        self.close()


def _OpenTty():
    return _Tty()


def AskUser(text: str, choices: Optional[List[Tuple[str, Any, str]]] = None
            ) -> Any:
    """Ask a question on the terminal; return the value of the answer.

    choices are (key, value, help) tuples, the last one being the default
    (the answer when there is no terminal).  Default: y/[n].
    """
    if choices is None:
        choices = [("y", True, "Perform the operation"),
                   ("n", False, "Do not perform the operation")]
    if not choices or not isinstance(choices, list):
        raise errors.ProgrammerError("Invalid choices argument to AskUser")
    for entry in choices:
        if not isinstance(entry, tuple) or len(entry) < 3 or entry[0] == "?":
            raise errors.ProgrammerError("Invalid choices element to AskUser")
    answer = choices[-1][1]
    question = "\n".join(textwrap.fill(line, 70, replace_whitespace=False)
                         for line in text.splitlines())
    try:
        tty = _OpenTty()
    except OSError:
        return answer
    keys = [entry[0] for entry in choices]
    prompt = "/".join(keys[:-1] + ["[%s]" % keys[-1], "?"])
    values = {entry[0]: entry[1] for entry in choices}
    with tty:
        while True:
            tty.write(question + "\n" + prompt + ": ")
            tty.flush()
            line = tty.readline(2).strip().lower()
            if line in values:
                return values[line]
            if line == "?":
                for entry in choices:
                    tty.write(" %s - %s\n" % (entry[0], entry[2]))
                tty.write("\n")
                continue
            if not line:
                return answer


def ConfirmOperation(names: Sequence[str], list_type: str, text: str,
                     extra: str = "") -> Any:
    """Ask whether to run an operation on several objects (y/[n], and "v"
    to view the list when it is long)."""
    count = len(names)
    msg = ("The %s will operate on %d %s.\n%sDo you want to continue?"
           % (text, count, list_type, extra))
    affected = ("\nAffected %s:\n" % list_type
                + "\n".join("  %s" % name for name in names))
    choices = [("y", True, "Yes, execute the %s" % text),
               ("n", False, "No, abort the %s" % text)]
    if count > 20:
        choices.insert(1, ("v", "v", "View the list of affected %s"
                           % list_type))
        question = msg
    else:
        question = msg + affected
    choice = AskUser(question, choices)
    if choice == "v":
        choices.pop(1)
        choice = AskUser(msg + affected, choices)
    return choice


def MigrationMode(opts: Any) -> Optional[str]:
    """The migration mode --non-live/--migration-mode ask for (None: the
    hypervisor's default)."""
    if not opts.live and opts.migration_mode is not None:
        raise errors.OpPrereqError("Only one of the --non-live and"
                                   " --migration-mode options can be passed",
                                   errors.ECODE_INVAL)
    return (constants.HT_MIGRATION_NONLIVE if not opts.live
            else opts.migration_mode)


# --- parsing helpers --------------------------------------------------------

def ParseFields(selected: Optional[str], default: List[str]) -> List[str]:
    """Field list from -o: None gives default, "+a,b" appends to it."""
    if selected is None:
        return list(default)
    if selected.startswith("+"):
        return list(default) + selected[1:].split(",")
    return selected.split(",")


_TIMESPEC_SUFFIXES = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def ParseTimespec(value: Any) -> int:
    """Seconds from "30", "30s", "5m", "2h", "1d" or "4w"."""
    value = str(value)
    if not value:
        raise errors.OpPrereqError("Empty time specification passed",
                                   errors.ECODE_INVAL)
    mult = _TIMESPEC_SUFFIXES.get(value[-1])
    if mult is None:
        number, mult = value, 1
    else:
        number = value[:-1]
        if not number:
            raise errors.OpPrereqError("Invalid time specification (only"
                                       " suffix passed)", errors.ECODE_INVAL)
    try:
        return int(number) * mult
    except ValueError:
        raise errors.OpPrereqError("Invalid time specification '%s'"
                                   % number, errors.ECODE_INVAL)


# --- listing ----------------------------------------------------------------

def _QueryFilter(names: Optional[List[str]], force_filter: bool,
                 namefield: Optional[str], isnumeric: bool) -> Any:
    from ganeti import qlang
    return qlang.MakeFilter(names, force_filter, namefield=namefield,
                            isnumeric=isnumeric)


def _Fields(response: Any) -> List[Any]:
    if isinstance(response, dict):
        return response["fields"]
    return response.fields


def GenericList(resource: str, fields: List[str], names: Optional[List[str]],
                unit: Optional[str], separator: Optional[str], header: bool,
                cl: Any = None,
                format_override: Optional[Dict[str, Tuple]] = None,
                verbose: bool = False, force_filter: bool = False,
                namefield: Optional[str] = None, qfilter: Any = None,
                isnumeric: bool = False) -> int:
    """Query resource over LUXI and print the table; return the exit code.

    names (or, with force_filter, a filter expression) restrict the rows;
    qfilter is and-ed with that.  format_override maps a field name to
    (format function, align_right).
    """
    namefilter = _QueryFilter(names or None, force_filter, namefield,
                              isnumeric)
    if qfilter is None:
        qfilter = namefilter
    elif namefilter is not None:
        qfilter = [constants.QLANG_OP_AND, namefilter, qfilter]
    if cl is None:
        cl = GetClient()
    response = cl.Query(resource, fields, qfilter)
    found_unknown = WarnUnknownFields(_Fields(response))
    status, lines = FormatQueryResult(response, unit=unit,
                                      format_override=format_override,
                                      separator=separator, header=header,
                                      verbose=verbose)
    for line in lines:
        ToStdout(line)
    if found_unknown or status == QR_UNKNOWN:
        return EXIT_UNKNOWN_FIELD
    return EXIT_SUCCESS


def GenericListFields(resource: str, fields: Optional[List[str]],
                      separator: Optional[str], header: bool,
                      cl: Any = None) -> int:
    """Print the fields of resource (Name, Type, Title, Description)."""
    if cl is None:
        cl = GetClient()
    response = cl.QueryFields(resource, fields or None)
    fdefs = _Fields(response)
    found_unknown = WarnUnknownFields(fdefs)
    columns = [TableColumn("Name", str, False),
               TableColumn("Type", str, False),
               TableColumn("Title", str, False),
               TableColumn("Description", str, False)]
    rows = []
    for fdef in fdefs:
        get = (fdef.get if isinstance(fdef, dict)
               else lambda name, _f=fdef: getattr(_f, name, None))
        kind = get("kind")
        rows.append([get("name"), QFT_NAMES.get(kind, kind), get("title"),
                     get("doc")])
    for line in FormatTable(rows, columns, header, separator):
        ToStdout(line)
    if found_unknown:
        return EXIT_UNKNOWN_FIELD
    return EXIT_SUCCESS


def OnlineNodeAddresses(nodes: List[str], cl: Any = None,
                        nowarn: bool = False, filter_master: bool = False,
                        nodegroup: Optional[str] = None
                        ) -> List[Tuple[str, str]]:
    """(name, secondary IP) of the online nodes among nodes (all if empty),
    optionally of one group (name or uuid), nicely sorted; warns about
    offline ones unless nowarn."""
    from ganeti import qlang
    if cl is None:
        cl = GetClient()
    qfilter = qlang.MakeFilter(nodes or None, False)
    if nodegroup is not None:
        group_filter = [qlang.OP_OR, [qlang.OP_EQUAL, "group", nodegroup],
                        [qlang.OP_EQUAL, "group.uuid", nodegroup]]
        qfilter = group_filter if qfilter is None else \
            [qlang.OP_AND, qfilter, group_filter]
    response = cl.Query("node", ["name", "offline", "sip", "master"], qfilter)
    data = response["data"] if isinstance(response, dict) else response.data
    offline = []
    result = []
    for row in data:
        (_, name), (_, is_offline), (_, sip), (_, is_master) = row
        if is_offline:
            offline.append(name)
        elif not (filter_master and is_master):
            result.append((name, sip))
    if offline and not nowarn:
        ToStderr("Note: skipping offline node(s): %s", ", ".join(offline))
    result.sort(key=lambda entry: NiceSortKey(entry[0]))
    return result


def GetOnlineNodes(nodes: List[str], cl: Any = None, nowarn: bool = False,
                   secondary_ips: bool = False, filter_master: bool = False,
                   nodegroup: Optional[str] = None) -> List[str]:
    """Names (or secondary IPs) of the online nodes among nodes (all if
    empty); see OnlineNodeAddresses."""
    return [sip if secondary_ips else name for name, sip in
            OnlineNodeAddresses(nodes, cl=cl, nowarn=nowarn,
                                filter_master=filter_master,
                                nodegroup=nodegroup)]
