"""Command line option objects shared by the gnt-* programs.

Every option is declared once (here: value types, positional argument
definitions, the common, listing and job options; node/group/instance
options in ``cli_opts_objects``, cluster/network/crypto options in
``cli_opts_cluster``) and listed in the command tables of the client
modules (``ganeti/client/gnt_*.py``).  Besides optparse's own types,
options may use the Ganeti value syntaxes: ``keyval`` (``k=v,k2,no_k3,-k4``),
``identkeyval`` (``ident:k=v,...``), ``keyprivateval``,
``multilistidentkeyval``, ``unit`` (sizes), ``bool`` (yes/no), ``list``,
``maybefloat``.
"""

import copy
import optparse
from typing import Any, Dict, List, Optional, Tuple

from ganeti import constants
from ganeti import errors
from ganeti.utils import text as utils_text

NO_PREFIX = "no_"
UN_PREFIX = "-"

# Job priorities by their command line names.
PRIONAME_TO_VALUE = {"low": constants.OP_PRIO_LOW,
                     "normal": constants.OP_PRIO_NORMAL,
                     "high": constants.OP_PRIO_HIGH}
PRIORITY_NAMES = ["low", "normal", "high"]

# Query filter actions of gnt-filter.
_FILTER_ACTIONS = ("ACCEPT", "CONTINUE", "PAUSE", "REJECT")

DISK_TEMPLATE_CHOICES = ["sharedfile", "diskless", "rbd", "file", "drbd",
                   "blockdev", "gluster", "ext", "plain"]


# --- value syntaxes ---------------------------------------------------------

def SplitEscaped(text: str, sep: str = ",") -> List[str]:
    """Split text on sep; a backslash before sep keeps it literal."""
    parts: List[str] = []
    current: List[str] = []
    idx = 0
    while idx < len(text):
        char = text[idx]
        if char == "\\" and idx + 1 < len(text) and text[idx + 1] == sep:
            current.append(sep)
            idx += 2
            continue
        if char == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        idx += 1
    parts.append("".join(current))
    return parts


def ParseKeyVal(opt: str, data: str, private: bool = False) -> Dict[str, Any]:
    """Parse "k1=v1,k2,no_k3,-k4" into {k1: "v1", k2: True, k3: False,
    k4: None}.

    Values stay strings (the opcode checks convert them).  With private the
    values are wrapped in serializer.Private.
    """
    result: Dict[str, Any] = {}
    if not data:
        return result
    private_cls = None
    if private:
        from ganeti import serializer
        private_cls = serializer.Private
    for elem in SplitEscaped(data, ","):
        if "=" in elem:
            key, val = elem.split("=", 1)
        elif elem.startswith(NO_PREFIX):
            key, val = elem[len(NO_PREFIX):], False
        elif elem.startswith(UN_PREFIX):
            key, val = elem[len(UN_PREFIX):], None
        else:
            key, val = elem, True
        if key in result:
            raise errors.ParameterError("Duplicate key '%s' in option %s"
                                        % (key, opt))
        if private_cls is not None:
            val = private_cls(val, descr=key)
        result[key] = val
    return result


def ParseIdentKeyVal(opt: str, value: str,
                     private: bool = False) -> Tuple[str, Any]:
    """Parse "ident:k=v,..." into (ident, dict).

    "no_ident" gives (ident, False) and "-ident" gives (ident, None); neither
    may carry parameters.
    """
    if ":" in value:
        ident, rest = value.split(":", 1)
    else:
        ident, rest = value, ""
    for prefix, marker in ((NO_PREFIX, False), (UN_PREFIX, None)):
        if ident.startswith(prefix):
            if rest:
                raise errors.ParameterError("Cannot pass options when removing"
                                            " parameter groups: %s" % value)
            return ident[len(prefix):], marker
    return ident, ParseKeyVal(opt, rest, private=private)


def ParseMultiListIdentKeyVal(opt: str, value: str) -> List[Dict[str, Any]]:
    """Parse "min:k=v,../max:k=v,..//min:../max:.." into a list of dicts."""
    result = []
    for line in value.split("//"):
        section: Dict[str, Any] = {}
        for elem in line.split("/"):
            if not elem:
                raise errors.ParameterError("Empty section in option '%s'"
                                            % opt)
            ident, params = ParseIdentKeyVal(opt, elem)
            if ident in section:
                raise errors.ParameterError("Duplicated parameter '%s' in"
                                            " parsing %s: %s"
                                            % (ident, opt, elem))
            section[ident] = params
        result.append(section)
    return result


def ParseBool(value: str) -> bool:
    """yes/true -> True, no/false -> False (case-insensitive)."""
    lowered = value.lower()
    if lowered in ("no", "false"):
        return False
    if lowered in ("yes", "true"):
        return True
    raise errors.ParameterError("Invalid boolean value '%s'" % value)


# optparse type checkers: (option, opt, value) -> parsed value.

def _CheckUnit(_option, opt: str, value: str) -> int:
    try:
        return utils_text.ParseUnit(value)
    except errors.UnitParseError as err:
        raise optparse.OptionValueError("option %s: %s" % (opt, err))


def _CheckKeyVal(_option, opt: str, value: str) -> Dict[str, Any]:
    return ParseKeyVal(opt, value)


def _CheckKeyPrivateVal(_option, opt: str, value: str) -> Dict[str, Any]:
    return ParseKeyVal(opt, value, private=True)


def _CheckIdentKeyVal(_option, opt: str, value: str) -> Tuple[str, Any]:
    return ParseIdentKeyVal(opt, value)


def _CheckMultiList(_option, opt: str, value: str) -> List[Dict[str, Any]]:
    return ParseMultiListIdentKeyVal(opt, value)


def _CheckBool(_option, _opt: str, value: str) -> bool:
    return ParseBool(value)


def _CheckList(_option, _opt: str, value: str) -> List[str]:
    return SplitEscaped(value, ",")


def _CheckMaybeFloat(_option, opt: str, value: str) -> Optional[float]:
    if value.lower() == "none":
        return None
    try:
        return float(value)
    except ValueError:
        raise optparse.OptionValueError("option %s: invalid float value: %r"
                                        % (opt, value))


def _CheckFilterAction(_option, opt: str, value: str) -> Any:
    """ACCEPT, CONTINUE, PAUSE, REJECT or RATE_LIMIT <n>."""
    upper = value.strip().upper()
    if upper in _FILTER_ACTIONS:
        return upper
    parts = value.split()
    if len(parts) == 2 and parts[0].upper() == "RATE_LIMIT":
        try:
            return ["RATE_LIMIT", int(parts[1])]
        except ValueError:
            pass
    raise optparse.OptionValueError("option %s: invalid filter action: %r"
                                    % (opt, value))


def _CheckJson(_option, opt: str, value: str) -> Any:
    from ganeti import serializer
    try:
        return serializer.LoadJson(value)
    except ValueError as err:
        raise optparse.OptionValueError("option %s: invalid JSON: %s"
                                        % (opt, err))


class CliOption(optparse.Option):
    """optparse option with Ganeti's value types and a completion hint."""

    ATTRS = optparse.Option.ATTRS + ["completion_suggest"]
    TYPES = optparse.Option.TYPES + (
        "multilistidentkeyval", "identkeyval", "keyval", "keyprivateval",
        "unit", "bool", "list", "maybefloat", "filteraction", "json")
    TYPE_CHECKER = copy.copy(optparse.Option.TYPE_CHECKER)
    TYPE_CHECKER.update({
        "multilistidentkeyval": _CheckMultiList,
        "identkeyval": _CheckIdentKeyVal,
        "keyval": _CheckKeyVal,
        "keyprivateval": _CheckKeyPrivateVal,
        "unit": _CheckUnit,
        "bool": _CheckBool,
        "list": _CheckList,
        "maybefloat": _CheckMaybeFloat,
        "filteraction": _CheckFilterAction,
        "json": _CheckJson,
    })

    def take_action(self, action, dest, opt, value, values, parser):
        # "append" must not grow the (shared) default list in place.
        if action == "append":
            current = getattr(values, dest, None)
            setattr(values, dest, list(current or []) + [value])
            return 1
        return super().take_action(action, dest, opt, value, values, parser)


cli_option = CliOption

# Completion hints (informative; used by shell completion generators).
OPT_COMPL_MANY_NODES = "many_nodes"
OPT_COMPL_ONE_NODE = "one_node"
OPT_COMPL_ONE_INSTANCE = "one_instance"
OPT_COMPL_ONE_OS = "one_os"
OPT_COMPL_ONE_EXTSTORAGE = "one_extstorage"
OPT_COMPL_ONE_IALLOCATOR = "one_iallocator"
OPT_COMPL_ONE_NETWORK = "one_network"
OPT_COMPL_INST_ADD_NODES = "inst_add_nodes"
OPT_COMPL_ONE_NODEGROUP = "one_nodegroup"


# --- positional argument definitions ---------------------------------------

class _Argument:
    """A positional argument: min..max occurrences (max None: unlimited)."""

    def __init__(self, min: int = 0,  # noqa: A002 (upstream names)
                 max: Optional[int] = None) -> None:  # noqa: A002
        self.min = min
        self.max = max

    def __repr__(self) -> str:
        return "<%s min=%s max=%s>" % (self.__class__.__name__,
                                       self.min, self.max)


class ArgSuggest(_Argument):
    """An argument whose value is one of choices (not enforced)."""

    def __init__(self, min: int = 0, max: Optional[int] = None,  # noqa: A002
                 choices: Optional[List[str]] = None) -> None:
        super().__init__(min=min, max=max)
        self.choices = choices or []


class ArgChoice(ArgSuggest):
    """An argument that must be one of choices."""


class ArgUnknown(_Argument):
    """Any value."""


class ArgInstance(_Argument):
    """An instance name."""


class ArgNode(_Argument):
    """A node name."""


class ArgNetwork(_Argument):
    """A network name."""


class ArgGroup(_Argument):
    """A node group name."""


class ArgJobId(_Argument):
    """A job id."""


class ArgFile(_Argument):
    """A file name."""


class ArgCommand(_Argument):
    """A command (passed to a shell)."""


class ArgHost(_Argument):
    """A host name."""


class ArgOs(_Argument):
    """An OS name."""


class ArgExtStorage(_Argument):
    """An ExtStorage provider name."""


class ArgFilter(_Argument):
    """A job filter rule UUID."""


ARGS_NONE: List[_Argument] = []
ARGS_MANY_INSTANCES = [ArgInstance()]
ARGS_MANY_NETWORKS = [ArgNetwork()]
ARGS_MANY_NODES = [ArgNode()]
ARGS_MANY_GROUPS = [ArgGroup()]
ARGS_MANY_FILTERS = [ArgFilter()]
ARGS_ONE_INSTANCE = [ArgInstance(min=1, max=1)]
ARGS_ONE_NETWORK = [ArgNetwork(min=1, max=1)]
ARGS_ONE_NODE = [ArgNode(min=1, max=1)]
ARGS_ONE_GROUP = [ArgGroup(min=1, max=1)]
ARGS_ONE_OS = [ArgOs(min=1, max=1)]
ARGS_ONE_FILTER = [ArgFilter(min=1, max=1)]


# --- the options ------------------------------------------------------------
# Common to every subcommand.

DEBUG_OPT = cli_option("-d", "--debug", default=0, action="count",
                       help="Turn debugging on")

REASON_OPT = cli_option("--reason", default=None, dest="reason",
                        help="The reason for executing the command")

COMMON_OPTS = [DEBUG_OPT, REASON_OPT]

# Listing.
NOHDR_OPT = cli_option("--no-headers", default=False, action="store_true",
                       dest="no_headers",
                       help="Don't display column headers")

SEP_OPT = cli_option("--separator", default=None, action="store",
                     dest="separator",
                     help=("Separator between output fields (defaults to"
                           " one space)"))

USEUNITS_OPT = cli_option("--units", default=None, dest="units",
                          choices=("h", "m", "g", "t"),
                          help="Specify units for output (one of h/m/g/t)")

FIELDS_OPT = cli_option("-o", "--output", dest="output", action="store",
                        type="string", metavar="FIELDS",
                        help="Comma separated list of output fields")

VERBOSE_OPT = cli_option("-v", "--verbose", default=False,
                         action="store_true", help="Increase the verbosity")

FORCE_FILTER_OPT = cli_option("-F", "--filter", dest="force_filter",
                              action="store_true", default=False,
                              help=("Whether command argument should be"
                                    " treated as filter"))

INTERVAL_OPT = cli_option("--interval", dest="interval", type="int",
                          default=None,
                          help="Refresh interval for real-time output")

ROMAN_OPT = cli_option("--roman", dest="roman_integers", default=False,
                       action="store_true",
                       help="Use roman numbers for positive integers")

STATIC_OPT = cli_option("-s", "--static", dest="static", default=False,
                        action="store_true",
                        help="Only show configuration data, not runtime data")

ALL_OPT = cli_option("--all", dest="show_all", default=False,
                     action="store_true",
                     help="Show info on all instances on the cluster")

# Job submission.
SUBMIT_OPT = cli_option("--submit", dest="submit_only", default=False,
                        action="store_true",
                        help=("Submit the job and return the job ID, but"
                              " don't wait for the job to finish"))

PRINT_JOBID_OPT = cli_option("--print-jobid", dest="print_jobid",
                             default=False, action="store_true",
                             help="Additionally print the job as first line"
                                  " on stdout (for scripting).")

SUBMIT_OPTS = [SUBMIT_OPT, PRINT_JOBID_OPT]

SYNC_OPT = cli_option("--sync", dest="do_locking", default=False,
                      action="store_true",
                      help="Grab locks while doing the queries in order to"
                           " ensure more consistent results")

DRY_RUN_OPT = cli_option("--dry-run", default=False, action="store_true",
                         help=("Do not execute the operation, just run the"
                               " check steps and verify if it could be"
                               " executed"))

PRIORITY_OPT = cli_option("--priority", default=None, dest="priority",
                          metavar="|".join(PRIORITY_NAMES),
                          choices=PRIORITY_NAMES,
                          help="Priority for opcode processing")

# Confirmation.
FORCE_OPT = cli_option("-f", "--force", dest="force", action="store_true",
                       default=False, help="Force the operation")

CONFIRM_OPT = cli_option("--yes", dest="confirm", action="store_true",
                         default=False, help="Do not require confirmation")

YES_DOIT_OPT = cli_option("--yes-do-it", "--ya-rly", dest="yes_do_it",
                          help="Really execute the operation",
                          action="store_true", default=False)

# Tags.
TAG_ADD_OPT = cli_option("--tags", dest="tags", default=None,
                         help="Comma-separated list of instance tags")

TAG_SRC_OPT = cli_option("--from", dest="tags_source", default=None,
                         help="File with tag names")
