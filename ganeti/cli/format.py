"""Output helpers of the gnt-* programs: streams, tables, trees, errors.

Layouts follow upstream 3.0's outputs: tables separated by one space with
numeric columns right-aligned and the last (left-aligned) column unpadded,
YAML-like trees for the ``info`` commands, and the fixed error messages of
``FormatError``.
"""

import errno
import sys
from typing import (Any, Callable, Dict, Iterable, List, Optional, Sequence,
                    Tuple)

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti.utils import text as utils_text

# Exit codes (constants.EXIT_* where defined).
EXIT_SUCCESS = constants.EXIT_SUCCESS
EXIT_FAILURE = constants.EXIT_FAILURE
EXIT_CONFIRMATION = constants.EXIT_CONFIRMATION
EXIT_UNKNOWN_FIELD = getattr(constants, "EXIT_UNKNOWN_FIELD", 14)


class JobSubmittedException(Exception):
    """Raised by SubmitOrSend after --submit: args (job_id,); exit 0."""


# --- streams ----------------------------------------------------------------

def _ToStream(stream, txt: str, *args: Any) -> None:
    if args:
        txt = txt % args
    try:
        stream.write(txt + "\n")
        stream.flush()
    except BrokenPipeError:
        # Our reader went away (e.g. "| head"): nothing useful to do.
        sys.exit(EXIT_FAILURE)
    except OSError as err:
        if err.errno == errno.EPIPE:
            sys.exit(EXIT_FAILURE)
        raise


def ToStdout(txt: str, *args: Any) -> None:
    """Print a line (txt % args when args are given) on stdout."""
    _ToStream(sys.stdout, txt, *args)


def ToStderr(txt: str, *args: Any) -> None:
    """Print a line (txt % args when args are given) on stderr."""
    _ToStream(sys.stderr, txt, *args)


# --- plain value formatting -------------------------------------------------

def FormatTimestamp(ts: Any) -> str:
    """"YYYY-MM-DD HH:MM:SS.uuuuuu" of a (sec, usec) pair, "?" otherwise."""
    if not isinstance(ts, (tuple, list)) or len(ts) != 2:
        return "?"
    return utils_text.FormatTime(tuple(ts), usecs=True)


def FormatBool(value: Any) -> str:
    """Y or N."""
    return "Y" if value else "N"


# --- tables -----------------------------------------------------------------

class TableColumn:
    """A table column: title, formatting function, alignment."""

    def __init__(self, title: str, fn: Callable[[Any], str],
                 align_right: bool) -> None:
        self.title = title
        self.format = fn
        self.align_right = align_right


def _JoinColumns(cells: Sequence[str], widths: Sequence[int],
                 right: Sequence[bool]) -> str:
    parts = []
    for cell, width, align_right in zip(cells, widths, right):
        parts.append(cell.rjust(width) if align_right else cell.ljust(width))
    return " ".join(parts)


def FormatTable(rows: Iterable[Sequence[Any]], columns: Sequence[TableColumn],
                header: bool, separator: Optional[str]) -> List[str]:
    """Format rows (one value per column) into lines.

    Without separator, columns are padded to their widest cell (header
    included) and joined by one space; right-aligned columns are padded on
    the left; the last column is not padded unless it is right-aligned.
    With a separator the cells are joined by it, without any padding.
    """
    lines: List[List[str]] = []
    if header:
        lines.append([col.title for col in columns])
    for row in rows:
        if len(row) != len(columns):
            raise errors.ProgrammerError("Row has %d values, expected %d"
                                         % (len(row), len(columns)))
        lines.append([col.format(value) for value, col in zip(row, columns)])
    if separator is not None:
        sep = separator.rstrip("\n")
        return [sep.join(cells) for cells in lines]
    widths = [0] * len(columns)
    for cells in lines:
        for idx, cell in enumerate(cells):
            widths[idx] = max(widths[idx], len(cell))
    if columns and not columns[-1].align_right:
        widths[-1] = 0
    right = [col.align_right for col in columns]
    return [_JoinColumns(cells, widths, right) for cells in lines]


def GenerateTable(headers: Optional[Dict[str, str]], fields: Sequence[str],
                  separator: Optional[str], data: Iterable[Any],
                  numfields: Optional[Sequence[str]] = None,
                  unitfields: Optional[Sequence[str]] = None,
                  units: Optional[str] = None) -> List[str]:
    """Older table builder used by commands that format rows themselves.

    headers maps field -> title (None: no header line); data rows are lists
    of values in fields order (a None row prints "-" everywhere).  numfields
    are right-aligned, unitfields are sizes formatted with units ("h"
    without separator, "m" with).  Unlike FormatTable the header line pads
    the last column too.
    """
    if units is None:
        units = "m" if separator else "h"
    numfields = set(numfields or [])
    unitfields = set(unitfields or [])
    rows: List[List[str]] = []
    for row in data:
        if row is None:
            rows.append(["-"] * len(fields))
            continue
        cells = []
        for field, value in zip(fields, row):
            if field in unitfields:
                try:
                    value = utils_text.FormatUnit(int(value), units)
                except (TypeError, ValueError):
                    pass
            cells.append(str(value))
        rows.append(cells)
    titles = None
    if headers:
        titles = [headers.get(field, field) for field in fields]
    if separator is not None:
        out = [separator.join(titles)] if titles else []
        return out + [separator.join(cells) for cells in rows]
    widths = [0] * len(fields)
    for cells in rows + ([titles] if titles else []):
        for idx, cell in enumerate(cells):
            widths[idx] = max(widths[idx], len(cell))
    right = [field in numfields for field in fields]
    out = []
    if titles:
        out.append(_JoinColumns(titles, widths, right))
    if fields and not right[-1]:
        widths[-1] = 0
    out.extend(_JoinColumns(cells, widths, right) for cells in rows)
    return out


# --- query results ----------------------------------------------------------

# Names of the field kinds as list-fields shows them.
QFT_NAMES = {
    constants.QFT_TEXT: "Text",
    constants.QFT_BOOL: "Boolean",
    constants.QFT_NUMBER: "Number",
    constants.QFT_NUMBER_FLOAT: "Floating-point number",
    constants.QFT_UNIT: "Storage size",
    constants.QFT_TIMESTAMP: "Timestamp",
    constants.QFT_OTHER: "Custom",
    constants.QFT_UNKNOWN: "Unknown",
}

RS_NORMAL = constants.RS_NORMAL
RS_UNKNOWN = constants.RS_UNKNOWN
RS_NODATA = constants.RS_NODATA
RS_UNAVAIL = constants.RS_UNAVAIL
RS_OFFLINE = constants.RS_OFFLINE

_RS_TEXT = {
    # status: (terse, verbose)
    RS_UNKNOWN: ("??", "(unknown)"),
    RS_NODATA: ("?", "(nodata)"),
    RS_UNAVAIL: ("-", "(unavail)"),
    RS_OFFLINE: ("*", "(offline)"),
}

# Overall outcome of FormatQueryResult.
QR_NORMAL = "normal"
QR_UNKNOWN = "unknown"
QR_INCOMPLETE = "incomplete"


def FieldAttr(fdef: Any, name: str) -> Any:
    """Attribute of a field definition given as dict or object."""
    if isinstance(fdef, dict):
        return fdef.get(name)
    return getattr(fdef, name, None)


def _ResponseAttr(response: Any, name: str) -> Any:
    if isinstance(response, dict):
        return response.get(name)
    return getattr(response, name)


def _DefaultFormatter(kind: str, unit: str) -> Tuple[Callable[[Any], str],
                                                     bool]:
    if kind == constants.QFT_UNIT:
        return (lambda value: utils_text.FormatUnit(value, unit)), True
    if kind in (constants.QFT_NUMBER, constants.QFT_NUMBER_FLOAT):
        return str, True
    if kind == constants.QFT_BOOL:
        return FormatBool, False
    if kind == constants.QFT_TIMESTAMP:
        return utils_text.FormatTime, False
    return str, False


def FormatQueryResult(result: Any, unit: Optional[str] = None,
                      format_override: Optional[Dict[str, Tuple]] = None,
                      separator: Optional[str] = None, header: bool = False,
                      verbose: bool = False) -> Tuple[str, List[str]]:
    """Format a LUXI Query response as table lines.

    format_override maps field name -> (fn, align_right).  Returns
    (status, lines) with status QR_NORMAL, QR_UNKNOWN (an unknown field was
    requested) or QR_INCOMPLETE (some values were not available).
    """
    if unit is None:
        unit = "m" if separator else "h"
    override = format_override or {}
    seen: Dict[int, bool] = {}

    def _MakeFormatter(fn: Callable[[Any], str]) -> Callable[[Any], str]:
        def _Format(cell: Any) -> str:
            status, value = cell
            seen[status] = True
            if status == RS_NORMAL:
                return fn(value)
            terse, long_text = _RS_TEXT.get(status, ("??", "(unknown)"))
            return long_text if verbose else terse
        return _Format

    columns = []
    for fdef in _ResponseAttr(result, "fields"):
        name = FieldAttr(fdef, "name")
        if name in override:
            fn, align_right = override[name]
        else:
            fn, align_right = _DefaultFormatter(FieldAttr(fdef, "kind"), unit)
        columns.append(TableColumn(FieldAttr(fdef, "title"),
                                   _MakeFormatter(fn), bool(align_right)))
    lines = FormatTable(_ResponseAttr(result, "data"), columns, header,
                        separator)
    if seen.get(RS_UNKNOWN):
        status = QR_UNKNOWN
    elif any(code != RS_NORMAL for code in seen):
        status = QR_INCOMPLETE
    else:
        status = QR_NORMAL
    return status, lines


def WarnUnknownFields(fdefs: Iterable[Any]) -> bool:
    """Warn on stderr about unknown fields; True if there were any."""
    unknown = [FieldAttr(fdef, "name") for fdef in fdefs
               if FieldAttr(fdef, "kind") == constants.QFT_UNKNOWN]
    if unknown:
        ToStderr("Warning: Queried for unknown fields %s",
                 utils_text.CommaJoin(unknown))
        return True
    return False


# --- generic info trees -----------------------------------------------------

def _IsPairList(data: Any) -> bool:
    return (isinstance(data, list) and bool(data)
            and all(isinstance(item, tuple) and len(item) == 2
                    for item in data))


def _IsContainer(data: Any) -> bool:
    return isinstance(data, (dict, list, tuple))


def _Scalar(data: Any) -> str:
    return str(data)


def _TreeLines(data: Any, indent: int) -> List[str]:
    """Lines of a mapping or list rendered at indent."""
    pad = " " * indent
    lines: List[str] = []
    if isinstance(data, dict) or _IsPairList(data):
        items = (sorted(data.items(), key=lambda item: str(item[0]))
                 if isinstance(data, dict) else data)
        for key, value in items:
            if _IsContainer(value):
                lines.append("%s%s: " % (pad, key))
                lines.extend(_TreeLines(value, indent + 2))
            else:
                lines.append("%s%s: %s" % (pad, key, _Scalar(value)))
        return lines
    for item in data:
        if not _IsContainer(item):
            lines.append("%s- %s" % (pad, _Scalar(item)))
            continue
        sub = _TreeLines(item, indent + 2)
        if not sub:
            lines.append("%s- " % pad)
            continue
        # The first line of the nested block goes right after the dash.
        lines.append("%s- %s" % (pad, sub[0][indent + 2:]))
        lines.extend(sub[1:])
    return lines


def FormatGenericInfo(data: Any) -> List[str]:
    """Render a tree as upstream's info commands do.

    data is a dict (keys sorted), a list of (key, value) tuples (order
    kept) or a plain list; values nest.  Scalars print as str(); a key with
    a container value prints "key: " and the container indented by two.
    """
    if not _IsContainer(data):
        return [_Scalar(data)]
    return _TreeLines(data, 0)


def PrintGenericInfo(data: Any) -> None:
    """Print FormatGenericInfo(data) on stdout."""
    for line in FormatGenericInfo(data):
        ToStdout(line)


# --- errors -----------------------------------------------------------------

def _NoMasterText(err: Exception) -> str:
    address = err.args[0] if err.args else None
    if address == pathutils.MASTER_SOCKET:  # type: ignore[attr-defined]
        daemon = "the master daemon"
    elif address == pathutils.QUERY_SOCKET:  # type: ignore[attr-defined]
        daemon = "the config daemon"
    else:
        daemon = "socket '%s'" % (address, )
    return ("Cannot communicate with %s.\nIs the process running and"
            " listening for connections?" % daemon)


def _HooksAbortText(err: Exception) -> str:
    out = ["Failure: hooks execution failed:"]
    failures = err.args[0] if err.args else []
    for entry in failures or []:
        try:
            node, script, output = entry
        except (TypeError, ValueError):
            out.append("  %s" % (entry, ))
            continue
        if output:
            out.append("  node: %s, script: %s, output: %s"
                       % (node, script, output))
        else:
            out.append("  node: %s, script: %s (no output)" % (node, script))
    return "\n".join(out)


def _ResolverText(err: Exception) -> str:
    import socket
    name = err.args[0] if err.args else ""
    myself = socket.gethostname()
    if name in (myself, socket.getfqdn(myself)):
        return "Failure: can't resolve my own hostname ('%s')" % name
    return "Failure: can't resolve hostname '%s'" % name


def _PrereqText(err: Exception) -> str:
    if len(err.args) == 2:
        return ("Failure: prerequisites not met for this operation:\n"
                "error type: %s, error details:\n%s"
                % (err.args[1], err.args[0]))
    return ("Failure: prerequisites not met for this operation:\n%s"
            % str(err))


def _FilterParseText(err: Exception) -> str:
    text = "Error while parsing query filter: %s\n" % (
        err.args[0] if err.args else "")
    details = getattr(err, "GetDetails", None)
    if callable(details):
        text += "\n".join(details())
    return text


# Order matters: subclasses before their bases.
_ERROR_TEXTS: List[Tuple[str, Callable[[Exception], str]]] = [
    ("HooksAbort", _HooksAbortText),
    ("HooksFailure",
     lambda err: "Failure: hooks general failure: %s" % str(err)),
    ("ResolverError", _ResolverText),
    ("OpPrereqError", _PrereqText),
    ("OpExecError",
     lambda err: "Failure: command execution error:\n%s" % str(err)),
    ("TagError", lambda err: "Failure: invalid tag(s) given:\n%s" % str(err)),
    ("JobQueueDrainError",
     lambda err: "Failure: the job queue is marked for drain and doesn't"
                 " accept new requests"),
    ("JobQueueFull",
     lambda err: "Failure: the job queue is full and doesn't accept new job"
                 " submissions until old jobs are archived"),
    ("TypeEnforcementError", lambda err: "Parameter Error: %s" % str(err)),
    ("ParameterError",
     lambda err: "Failure: unknown/wrong parameter name '%s'" % str(err)),
    ("NoMasterError", _NoMasterText),
    ("TimeoutError",
     lambda err: "Timeout while talking to the master daemon. Jobs might have"
                 " been submitted and will continue to run even if the call"
                 " timed out. Useful commands in this situation are \"gnt-job"
                 " list\", \"gnt-job cancel\" and \"gnt-job watch\". Error:\n"
                 "%s" % str(err)),
    ("PermissionError",
     lambda err: "It seems you don't have permissions to connect to the"
                 " master daemon.\nPlease retry as a different user."),
    ("ProtocolError",
     lambda err: "Unhandled protocol error while talking to the master"
                 " daemon:\n%s" % str(err)),
    ("JobLost", lambda err: "Error checking job status: %s" % str(err)),
    ("QueryFilterParseError", _FilterParseText),
    ("GenericError", lambda err: "Unhandled Ganeti error: %s" % str(err)),
]


def FormatError(err: BaseException) -> Tuple[int, str]:
    """Map an exception to (exit_code, message) as the CLI prints it."""
    if isinstance(err, JobSubmittedException):
        return EXIT_SUCCESS, "JobID: %s" % (err.args[0], )
    if isinstance(err, errors.ConfigurationError):
        import logging
        text = "Corrupt configuration file: %s" % str(err)
        logging.error(text)
        return 2, text + "\nAborting."
    classes = {cls.__name__ for cls in type(err).__mro__}
    for name, fn in _ERROR_TEXTS:
        if name in classes and (name not in ("TimeoutError",
                                             "PermissionError")
                                or isinstance(err, errors.GenericError)):
            return EXIT_FAILURE, fn(err).rstrip("\n")  # type: ignore[arg-type]
    return EXIT_FAILURE, "Unhandled exception: %s" % str(err)


def FormatResultError(result: Any, verbose: bool) -> str:
    """Text for an (encoded) opcode error found in a job result."""
    enc = errors.GetEncodedError(result)
    if enc is None:
        return str(result)
    cls, args = enc
    err = cls(*args)
    if verbose:
        return FormatError(err)[1]
    return str(err)


def FormatParamsDictInfo(param_dict: Dict[str, Any],
                         actual: Dict[str, Any],
                         roman: bool = False) -> Dict[str, str]:
    """{key: "value" or "default (value)"} for an info tree."""
    result = {}
    for key in sorted(actual):
        if key in param_dict:
            result[key] = str(param_dict[key])
        else:
            value = actual[key]
            if roman and isinstance(value, int) and not isinstance(value,
                                                                   bool):
                value = utils_text.ToRoman(value)
            result[key] = "default (%s)" % (value, )
    return result
