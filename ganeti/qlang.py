"""The query filter language (``-F`` of the list commands).

A filter is a nested list, operator first (``["&", f1, f2]``,
``["=", "name", "inst1"]``...; see ``ganeti.query`` for the semantics).
``ParseFilter(text)`` turns the command-line syntax into that form::

  status == "running" and not admin_up
  name =~ m/^web/i or "db" in tags
  pnode != "node1.example.com" and disk.count >= 2
  name in ["a", "b"]          (shorthand for name == "a" or name == "b")
  admin_up                    (true-ness of a field)

Literals: "double" or 'single' quoted strings (backslash escapes),
integers, floats, true/false, lists ``[v, ...]``; regular expressions
``m/re/flags`` (also ``m{re}``, ``m#re#``, ``m|re|``, ``/re/``), flags
``i m s x``.  Operators: ``== != < <= > >= =~ !~ in``, ``not in``,
``and``, ``or``, ``not``, parentheses.

``MakeFilter(args, force_filter)`` is what list commands use: plain names
become ``["|", ["=", "name", n1], ...]`` (globs ``*``/``?`` become regular
expressions), an argument that looks like an expression is parsed.
"""

from __future__ import annotations

import re
import string
from typing import TYPE_CHECKING, Any, List, Optional, Sequence

if TYPE_CHECKING:
    import pyparsing as pyp
# pyparsing is imported where a filter is parsed: list commands without a
# filter expression need not pay for its import (a good part of their
# start-up time).

from ganeti import constants as C
from ganeti import errors

OP_OR = C.QLANG_OP_OR
OP_AND = C.QLANG_OP_AND
OP_NOT = C.QLANG_OP_NOT
OP_TRUE = C.QLANG_OP_TRUE
OP_EQUAL = C.QLANG_OP_EQUAL
OP_EQUAL_LEGACY = C.QLANG_OP_EQUAL_LEGACY
OP_NOT_EQUAL = C.QLANG_OP_NOT_EQUAL
OP_LT = C.QLANG_OP_LT
OP_LE = C.QLANG_OP_LE
OP_GT = C.QLANG_OP_GT
OP_GE = C.QLANG_OP_GE
OP_REGEXP = C.QLANG_OP_REGEXP
OP_CONTAINS = C.QLANG_OP_CONTAINS
FILTER_DETECTION_CHARS = frozenset("()=/!~'\"\\<>" + string.whitespace)
GLOB_DETECTION_CHARS = frozenset("*?")


if hasattr(errors, "QueryFilterParseError"):
    QueryFilterParseError = errors.QueryFilterParseError
else:
    class QueryFilterParseError(errors.ParseError):  # type: ignore[no-redef]
        """A query filter could not be parsed.

        args: (message, details) where details are lines showing the filter
        and the position of the error.
        """

        def GetDetails(self) -> List[str]:
            if len(self.args) > 1 and isinstance(self.args[1], (list, tuple)):
                return [str(line) for line in self.args[1]]
            return []


_BINOPS = {
    "==": OP_EQUAL,
    "!=": OP_NOT_EQUAL,
    "<=": OP_LE,
    ">=": OP_GE,
    "<": OP_LT,
    ">": OP_GT,
}
_REGEX_FLAGS = frozenset("imsx")
# delimiters of m<open>...<close> regular expression literals
_REGEX_DELIMS = {"/": "/", "{": "}", "#": "#", "|": "|"}


def _RegexLiteral() -> pyp.ParserElement:
    import pyparsing as pyp  # pylint: disable=import-outside-toplevel
    alternatives = []
    for opening, closing in _REGEX_DELIMS.items():
        body = r"(?:[^%s\\]|\\.)*" % re.escape(closing)
        alternatives.append(r"m%s(?P<re%d>%s)%s" % (
            re.escape(opening), len(alternatives), body, re.escape(closing)))
    alternatives.append(r"/(?P<re%d>(?:[^/\\]|\\.)*)/" % len(alternatives))
    pattern = r"(?:%s)(?P<flags>[a-zA-Z]*)" % "|".join(alternatives)

    def convert(text, loc, toks):
        match = re.match(pattern, toks[0], re.S)
        body = next(val for key, val in match.groupdict().items()
                    if key.startswith("re") and val is not None)
        flags = match.group("flags")
        bad = set(flags) - _REGEX_FLAGS
        if bad:
            raise pyp.ParseFatalException(
                text, loc, "Unknown regular expression flag(s) %s" %
                "".join(sorted(bad)))
        opening = toks[0][1] if toks[0].startswith("m") else "/"
        body = body.replace("\\" + _REGEX_DELIMS.get(opening, "/"),
                            _REGEX_DELIMS.get(opening, "/"))
        if flags:
            body = "(?%s)%s" % ("".join(sorted(set(flags))), body)
        try:
            re.compile(body)
        except re.error as err:
            raise pyp.ParseFatalException(
                text, loc, "Invalid regular expression %r: %s" % (body, err))
        return body
    return pyp.Regex(pattern, re.S).set_parse_action(convert).set_name(
        "regular expression")


def BuildFilterParser() -> pyp.ParserElement:
    """The pyparsing grammar of query filters (returns the filter list)."""
    import pyparsing as pyp  # pylint: disable=import-outside-toplevel
    kw_and = pyp.Keyword("and")
    kw_or = pyp.Keyword("or")
    kw_not = pyp.Keyword("not")
    kw_in = pyp.Keyword("in")
    keyword = kw_and | kw_or | kw_not | kw_in

    field = (~keyword + pyp.Regex(r"[A-Za-z_][A-Za-z0-9_./]*")).set_name(
        "field name")

    def _string(quote):
        return pyp.QuotedString(quote, esc_char="\\", unquote_results=True)
    qstring = (_string('"') | _string("'")).set_name("string")

    def _number(toks):
        text = toks[0]
        if re.match(r"^[+-]?\d+$", text):
            return int(text)
        return float(text)
    number = pyp.Regex(r"[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?"
                       r"(?![A-Za-z_])").set_parse_action(_number).set_name(
                           "number")
    boolean = (pyp.Keyword("true") | pyp.Keyword("True")).set_parse_action(
        lambda: True) | (pyp.Keyword("false") | pyp.Keyword("False")
                         ).set_parse_action(lambda: False)
    scalar = qstring | number | boolean
    lbrack, rbrack = pyp.Suppress("["), pyp.Suppress("]")
    listval = pyp.Group(lbrack + pyp.Optional(pyp.DelimitedList(scalar)) +
                        rbrack).set_parse_action(
                            lambda toks: [toks[0].as_list()])
    listval.set_name("list")
    value = scalar | listval
    regexp = _RegexLiteral() | qstring

    binop = pyp.one_of(list(_BINOPS))
    cmp_cond = (field + binop + value).set_parse_action(
        lambda toks: [[_BINOPS[toks[1]], toks[0], toks[2]]])
    regex_cond = (field + pyp.one_of(["=~", "!~"]) + regexp).set_parse_action(
        lambda toks: [[OP_REGEXP, toks[0], toks[2]] if toks[1] == "=~"
                      else [OP_NOT, [OP_REGEXP, toks[0], toks[2]]]])
    not_in = pyp.Group(kw_not + kw_in)

    def _contains(toks):
        negate = len(toks) == 3 and not isinstance(toks[1], str)
        val, fname = toks[0], toks[-1]
        result = [OP_CONTAINS, fname, val]
        return [[OP_NOT, result]] if negate else [result]
    contains_cond = (value + (not_in | kw_in) + field).set_parse_action(
        _contains)

    def _in_list(toks):
        negate = not isinstance(toks[1], str)
        fname, values = toks[0], toks[-1]
        result = [OP_OR] + [[OP_EQUAL, fname, val] for val in values]
        return [[OP_NOT, result]] if negate else [result]
    in_list_cond = (field + (not_in | kw_in) + listval).set_parse_action(
        _in_list)
    true_cond = field.copy().set_parse_action(
        lambda toks: [[OP_TRUE, toks[0]]])

    condition = (regex_cond | cmp_cond | in_list_cond | contains_cond |
                 true_cond).set_name("condition")

    def _logic(op):
        def fn(toks):
            operands = [_Unwrap(tok) for tok in toks[0][0::2]]
            return [[op] + operands]
        return fn

    expr = pyp.infix_notation(condition, [
        (kw_not, 1, pyp.OpAssoc.RIGHT,
         lambda toks: [[OP_NOT, _Unwrap(toks[0][1])]]),
        (kw_and, 2, pyp.OpAssoc.LEFT, _logic(OP_AND)),
        (kw_or, 2, pyp.OpAssoc.LEFT, _logic(OP_OR)),
    ]).set_name("filter expression")
    return pyp.StringStart() + expr + pyp.StringEnd()


_PARSER: Optional[pyp.ParserElement] = None


def _GetParser() -> pyp.ParserElement:
    global _PARSER  # pylint: disable=global-statement
    if _PARSER is None:
        _PARSER = BuildFilterParser()
    return _PARSER


def ParseFilter(text: str, parser: Optional[pyp.ParserElement] = None
                ) -> List[Any]:
    """Parse a filter expression into the filter list.

    Raises QueryFilterParseError (a ParseError) with the position of the
    problem on syntax errors.
    """
    import pyparsing as pyp  # pylint: disable=import-outside-toplevel
    if parser is None:
        parser = _GetParser()
    try:
        result = parser.parse_string(text, parse_all=True)
    except pyp.ParseBaseException as err:
        col = max(err.col, 1)
        msg = err.msg
        raise QueryFilterParseError(
            "Failed to parse query filter at position %d (line %d, column %d):"
            " %s" % (err.loc, err.lineno, col, msg),
            [err.line, " " * (col - 1) + "^"])
    return _Unwrap(result[0])


def _Unwrap(token: Any) -> Any:
    """A sub-filter token as a plain list (pyparsing may wrap it once more)."""
    token = _ToList(token)
    while (isinstance(token, list) and len(token) == 1
           and isinstance(token[0], list)):
        token = token[0]
    return token


def _ToList(value: Any) -> Any:
    """Plain nested lists from pyparsing results."""
    import pyparsing as pyp  # pylint: disable=import-outside-toplevel
    if isinstance(value, (pyp.ParseResults, list, tuple)):
        return [_ToList(item) for item in value]
    return value


def MakeSimpleFilter(namefield: str, values: Optional[Sequence[Any]]
                     ) -> Optional[List[Any]]:
    """["|", ["=", namefield, v1], ...] for the values (None if none)."""
    if not values:
        return None
    return [OP_OR] + [[OP_EQUAL, namefield, value] for value in values]


def _CheckFilter(text: str) -> bool:
    """Whether text looks like a filter expression rather than a name."""
    return bool(FILTER_DETECTION_CHARS & set(text))


def _CheckGlobbing(text: str) -> bool:
    return bool(GLOB_DETECTION_CHARS & set(text))


def DnsNameGlobPattern(pattern: str) -> str:
    """Regular expression for a DNS name glob ("*" and "?" stay in a label).

    The match is anchored at the start and may stop at a label boundary, so
    "inst*" matches "inst1.example.com".
    """
    out = []
    for char in pattern:
        if char == "*":
            out.append("[^.]*")
        elif char == "?":
            out.append("[^.]")
        else:
            out.append(re.escape(char))
    return r"^%s(\..*)?$" % "".join(out)


def _MakeFilterPart(namefield: str, text: str, isnumeric: bool) -> List[Any]:
    if isnumeric:
        try:
            number = int(text)
        except (TypeError, ValueError):
            raise errors.OpPrereqError("Invalid job ID passed: '%s'" % text,
                                       errors.ECODE_INVAL)
        return [OP_EQUAL, namefield, number]
    if _CheckGlobbing(text):
        return [OP_REGEXP, namefield, DnsNameGlobPattern(text)]
    return [OP_EQUAL, namefield, text]


def MakeFilter(args: Sequence[str], force_filter: bool,
               namefield: Optional[str] = None,
               isnumeric: bool = False) -> Optional[List[Any]]:
    """Filter from a list command's arguments (names, globs or a filter).

    The arguments are a filter expression when force_filter (-F) is set or
    when there is a single argument containing filter characters; exactly
    one argument must then be given.
    """
    if namefield is None:
        namefield = "name"
    args = list(args or [])
    if force_filter or (len(args) == 1 and _CheckFilter(args[0])):
        if len(args) != 1:
            raise errors.OpPrereqError("Exactly one argument must be given as"
                                       " a filter", errors.ECODE_INVAL)
        return ParseFilter(args[0])
    if not args:
        return None
    return [OP_OR] + [_MakeFilterPart(namefield, arg, isnumeric)
                      for arg in args]
