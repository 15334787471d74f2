"""Small composable type checks with readable descriptions.

A check is a callable ``check(value) -> bool`` that also carries a short
description (``str(check)``), e.g. ``Maybe (List of NEString)``.  Opcode
parameters, opcode results and other declared data use these checks; the
descriptions end up in error messages and generated documentation, so they
follow the notation of the opcode reference (``NEString``, ``Maybe X``,
``List of X``, ``dict: K -> V``, ``OneOf a, b``...).  Each check also
carries the JSON Schema of the values it accepts (``JsonSchema(check)``),
from which the RAPI's OpenAPI document types the opcode parameters.
"""

import ipaddress
import math
import re
from typing import (Any, Callable, Dict, Iterable, Mapping, Optional,
                    Sequence)


class _NoDefault:
    """Marker for a parameter without default value (i.e. required)."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NoDefault"

    def __copy__(self):
        return self

    def __deepcopy__(self, _memo):
        return self


#: Default value of required opcode parameters.
NoDefault = _NoDefault()


class Check:
    """A predicate with a description; calling it tests a value."""

    __slots__ = ("_fn", "_desc", "_schema")

    def __init__(self, fn: Callable[[Any], bool], desc: str,
                 schema: Optional[Dict[str, Any]] = None) -> None:
        self._fn = fn
        self._desc = desc
        self._schema = schema

    def __call__(self, value: Any) -> bool:
        try:
            return bool(self._fn(value))
        except (TypeError, ValueError):
            return False

    @property
    def desc(self) -> str:
        """The human readable description."""
        return self._desc

    @property
    def schema(self) -> Optional[Dict[str, Any]]:
        """The JSON Schema of the accepted values (None: not expressible)."""
        return self._schema

    def __str__(self) -> str:
        return self._desc

    def __repr__(self) -> str:
        return "<ht check %s>" % self._desc


def Describe(check: Callable) -> str:
    """Description of any check (also plain callables, for robustness)."""
    if isinstance(check, Check):
        return check.desc
    return getattr(check, "__name__", repr(check))


def JsonSchema(check: Callable) -> Dict[str, Any]:
    """A fresh JSON Schema (2020-12) of the values check accepts.

    Checks whose constraint JSON Schema can't express ({} = anything) are
    described by their description.
    """
    schema = getattr(check, "schema", None)
    if schema is None:
        desc = Describe(check)
        return {"description": desc} if desc else {}
    return _Copy(schema)


def _Copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _Copy(val) for key, val in value.items()}
    if isinstance(value, list):
        return [_Copy(val) for val in value]
    return value


def _Paren(check: Callable) -> str:
    """Description of check, parenthesised when it has several words."""
    desc = Describe(check)
    if " " in desc:
        return "(%s)" % desc
    return desc


def WithDesc(desc: str, check: Callable) -> Check:
    """Give check a new description."""
    return Check(check, desc, getattr(check, "schema", None))


def Comment(check: Callable, comment: str) -> Check:
    """Append a bracketed comment to check's description."""
    return Check(check, "%s [%s]" % (Describe(check), comment),
                 getattr(check, "schema", None))


# ---------------------------------------------------------------- basics

def _IsBool(val: Any) -> bool:
    return isinstance(val, bool)


def _IsInt(val: Any) -> bool:
    return isinstance(val, int) and not isinstance(val, bool)


def _IsNumber(val: Any) -> bool:
    """Integers and finite floats (infinity and NaN are no quantities)."""
    return (isinstance(val, (int, float)) and not isinstance(val, bool) and
            (isinstance(val, int) or math.isfinite(val)))


TAny = Check(lambda _: True, "Anything", {})
TNone = Check(lambda val: val is None, "None", {"type": "null"})
TNotNone = Check(lambda val: val is not None, "NotNone",
                 {"not": {"type": "null"}})
TBool = Check(_IsBool, "Boolean", {"type": "boolean"})
TInt = Check(_IsInt, "Integer", {"type": "integer"})
#: Floats; integers are accepted too (JSON does not keep "1.0" apart).
TFloat = Check(_IsNumber, "Float", {"type": "number"})
TNumber = Check(_IsNumber, "Number", {"type": "number"})
TString = Check(lambda val: isinstance(val, str), "String",
                {"type": "string"})
TNonEmptyString = Check(lambda val: isinstance(val, str) and len(val) > 0,
                        "NEString", {"type": "string", "minLength": 1})
TNEString = TNonEmptyString
TList = Check(lambda val: isinstance(val, (list, tuple)), "List",
              {"type": "array"})
TDict = Check(lambda val: isinstance(val, dict), "Dictionary",
              {"type": "object"})
TCallable = Check(callable, "Callable")
TTrue = Check(bool, "ValueTrue")
TFalse = Check(lambda val: not val, "ValueFalse")

TNonNegativeInt = Check(lambda val: _IsInt(val) and val >= 0,
                        "EqualOrGreaterThanZero",
                        {"type": "integer", "minimum": 0})
TPositiveInt = Check(lambda val: _IsInt(val) and val > 0, "GreaterThanZero",
                     {"type": "integer", "minimum": 1})
TNegativeInt = Check(lambda val: _IsInt(val) and val < 0, "LessThanZero",
                     {"type": "integer", "maximum": -1})
TNonNegativeFloat = Check(lambda val: _IsNumber(val) and val >= 0,
                          "EqualOrGreaterThanZero",
                          {"type": "number", "minimum": 0})
TPositiveFloat = Check(lambda val: _IsNumber(val) and val > 0,
                       "GreaterThanZero",
                       {"type": "number", "exclusiveMinimum": 0})
TNonNegativeNumber = TNonNegativeFloat


def TLessThan(limit: Any) -> Check:
    """Numbers smaller than limit."""
    return Check(lambda val: _IsNumber(val) and val < limit,
                 "Less than %s" % limit,
                 {"type": "number", "exclusiveMaximum": limit})


def TInRange(low: int, high: int) -> Check:
    """Integers in [low, high]."""
    return Check(lambda val: _IsInt(val) and low <= val <= high,
                 "Integer in [%s, %s]" % (low, high),
                 {"type": "integer", "minimum": low, "maximum": high})


# ---------------------------------------------------------------- combinators

def TOr(*checks: Callable) -> Check:
    """Any of the checks must hold."""
    return Check(lambda val: any(chk(val) for chk in checks),
                 " or ".join(_Paren(chk) for chk in checks),
                 {"anyOf": [JsonSchema(chk) for chk in checks]})


def TAnd(*checks: Callable) -> Check:
    """All the checks must hold."""
    return Check(lambda val: all(chk(val) for chk in checks),
                 " and ".join(_Paren(chk) for chk in checks),
                 {"allOf": [JsonSchema(chk) for chk in checks]})


def TNot(check: Callable) -> Check:
    """The check must not hold."""
    return Check(lambda val: not check(val), "Not %s" % _Paren(check),
                 {"not": JsonSchema(check)})


def TMaybe(check: Callable) -> Check:
    """None, or a value accepted by check."""
    return Check(lambda val: val is None or check(val),
                 "Maybe %s" % _Paren(check),
                 {"anyOf": [{"type": "null"}, JsonSchema(check)]})


def TElemOf(values: Iterable) -> Check:
    """One of a fixed set of values."""
    allowed = frozenset(values)

    def fn(val):
        try:
            return val in allowed and not (
                isinstance(val, bool) and not any(
                    isinstance(a, bool) for a in allowed))
        except TypeError:
            return False
    return Check(fn, "OneOf %s" % ", ".join(sorted(str(v) for v in allowed)),
                 {"enum": sorted((_JsonValue(v) for v in allowed), key=str)})


def _JsonValue(value: Any) -> Any:
    """value as JSON has it (tuples and sets as lists)."""
    if isinstance(value, (tuple, list, set, frozenset)):
        return [_JsonValue(v) for v in value]
    return value


def TListOf(check: Callable) -> Check:
    """A list (or tuple) whose every element passes check."""
    return Check(lambda val: isinstance(val, (list, tuple))
                 and all(check(item) for item in val),
                 "List of %s" % _Paren(check),
                 {"type": "array", "items": JsonSchema(check)})


def TSetOf(check: Callable) -> Check:
    """A list of unique elements, each passing check."""
    def fn(val):
        if not isinstance(val, (list, tuple, set, frozenset)):
            return False
        items = list(val)
        if not all(check(item) for item in items):
            return False
        try:
            return len(set(items)) == len(items)
        except TypeError:
            return False
    return Check(fn, "Set of %s" % _Paren(check),
                 {"type": "array", "items": JsonSchema(check),
                  "uniqueItems": True})


def TDictOf(key_check: Callable, val_check: Callable) -> Check:
    """A dict with keys passing key_check and values passing val_check."""
    return Check(lambda val: isinstance(val, dict)
                 and all(key_check(k) and val_check(v)
                         for k, v in val.items()),
                 "dict: %s -> %s" % (_Paren(key_check), _Paren(val_check)),
                 _DictSchema(key_check, val_check))


def _DictSchema(key_check: Callable, val_check: Callable) -> Dict[str, Any]:
    schema: Dict[str, Any] = {"type": "object",
                              "additionalProperties": JsonSchema(val_check)}
    keys = JsonSchema(key_check)
    if keys and keys != {"type": "string"}:
        schema["propertyNames"] = keys
    return schema


def TIsLength(length: int) -> Check:
    """A sized value of exactly the given length."""
    return Check(lambda val: len(val) == length, "Length %s" % length,
                 {"minItems": length, "maxItems": length,
                  "minLength": length, "maxLength": length})


def TItems(checks: Sequence[Callable]) -> Check:
    """A sequence whose n-th item passes the n-th check."""
    def fn(val):
        if not isinstance(val, (list, tuple)) or len(val) < len(checks):
            return False
        return all(chk(item) for chk, item in zip(checks, val))
    desc = ", ".join("%s %d is %s" % ("Item" if idx == 0 else "item", idx,
                                      _Paren(chk))
                     for idx, chk in enumerate(checks))
    return Check(fn, desc, {"type": "array", "minItems": len(checks),
                            "prefixItems": [JsonSchema(c) for c in checks]})


def TTupleOf(*checks: Callable) -> Check:
    """A sequence of exactly len(checks) items, each passing its check."""
    def fn(val):
        return (isinstance(val, (list, tuple)) and len(val) == len(checks)
                and all(chk(item) for chk, item in zip(checks, val)))
    return Check(fn, "Tuple of (%s)" % ", ".join(Describe(c) for c in checks),
                 {"type": "array", "minItems": len(checks),
                  "maxItems": len(checks),
                  "prefixItems": [JsonSchema(c) for c in checks]})


def TStrictDict(require_all: bool, exclusive: bool,
                items: Mapping[str, Callable]) -> Check:
    """A dict with known keys, each value passing its check.

    require_all: every key of items must be present; exclusive: no other
    keys are allowed.
    """
    def fn(val):
        if not isinstance(val, dict):
            return False
        if exclusive and set(val) - set(items):
            return False
        if require_all and set(items) - set(val):
            return False
        return all(items[key](value) for key, value in val.items()
                   if key in items)
    keys = ", ".join('"%s" (value %s)' % (key, Describe(chk))
                     for key, chk in items.items())
    desc = "Dictionary containing %s%s key%s %s" % (
        "none but the " if exclusive else "",
        "required" if require_all else "optional",
        "s" if len(items) != 1 else "", keys)
    schema: Dict[str, Any] = {
        "type": "object",
        "properties": {key: JsonSchema(chk) for key, chk in items.items()}}
    if require_all:
        schema["required"] = list(items)
    if exclusive:
        schema["additionalProperties"] = False
    return Check(fn, desc, schema)


def TMaybeListOf(check: Callable) -> Check:
    """None or a list of check."""
    return TMaybe(TListOf(check))


def TRegex(pattern: str, desc: Optional[str] = None) -> Check:
    """Strings fully matching a regular expression."""
    rx = re.compile(pattern)
    return Check(lambda val: isinstance(val, str)
                 and rx.match(val) is not None,
                 desc or "String matching %r" % pattern,
                 {"type": "string", "pattern": pattern})


# ---------------------------------------------------------------- shorthands

TMaybeBool = TMaybe(TBool)
#: None or a non-empty string (upstream meaning of "maybe string").
TMaybeString = TMaybe(TNonEmptyString)
TMaybeNEString = TMaybeString
#: None or any string, including "".
TMaybeAnyString = TMaybe(TString)
TMaybeDict = TMaybe(TDict)
TMaybeInt = TMaybe(TInt)
TMaybeFloat = TMaybe(TFloat)
TMaybeNonNegativeInt = TMaybe(TNonNegativeInt)
TMaybePositiveInt = TMaybe(TPositiveInt)
TListOfNEString = TListOf(TNonEmptyString)
TListOfString = TListOf(TString)
TMaybeListOfNEString = TMaybe(TListOfNEString)
TAnyDict = TDictOf(TAny, TAny)
TMaybeAnyDict = TMaybe(TAnyDict)
TListOfAny = TListOf(TAny)
#: A value that may be wrapped in serializer.Private (any content).
TPrivate = WithDesc("Private Anything", TAny)
TPrivateDict = TDictOf(TAny, TPrivate)


def _IsJobId(val: Any) -> bool:
    if _IsInt(val):
        return val >= 0
    return isinstance(val, str) and val.isdigit()


#: An absolute job id: a non-negative integer or its decimal string.
TJobId = Check(_IsJobId, "JobId", {"anyOf": [
    {"type": "integer", "minimum": 0},
    {"type": "string", "pattern": "^[0-9]+$"}]})
#: A job id relative to the current submission (negative integer).
TRelativeJobId = WithDesc("RelativeJobId", TNegativeInt)
TJobIdOrRelative = TOr(TJobId, TRelativeJobId)


# ---------------------------------------------------------------- addresses

def _IsIp(kind: Callable, val: Any) -> bool:
    if not isinstance(val, str):
        return False
    try:
        kind(val)
    except ValueError:
        return False
    return True


def _IsNetwork(kind: Callable, val: Any) -> bool:
    if not isinstance(val, str) or "/" not in val:
        return False
    try:
        kind(val, strict=False)
    except ValueError:
        return False
    return True


TIPv4Address = Check(lambda v: _IsIp(ipaddress.IPv4Address, v),
                     "String and (IPv4 address)",
                     {"type": "string", "format": "ipv4"})
TIPv6Address = Check(lambda v: _IsIp(ipaddress.IPv6Address, v),
                     "String and (IPv6 address)",
                     {"type": "string", "format": "ipv6"})
TIPv4Network = Check(lambda v: _IsNetwork(ipaddress.IPv4Network, v),
                     "String and (IPv4 network)",
                     {"type": "string", "description": "IPv4 network"})
TIPv6Network = Check(lambda v: _IsNetwork(ipaddress.IPv6Network, v),
                     "String and (IPv6 network)",
                     {"type": "string", "description": "IPv6 network"})
TIPAddress = TOr(TIPv4Address, TIPv6Address)
TNetworkCidr = TIPv4Network
TMaybeIPv4Address = TMaybe(TIPv4Address)
TMaybeIPv6Address = TMaybe(TIPv6Address)
TMaybeIPv6Network = TMaybe(TIPv6Network)


def Validate(check: Callable, value: Any) -> Optional[str]:
    """Return None if value passes check, else a one-line explanation."""
    if check(value):
        return None
    return "expected %s, got %r" % (Describe(check), value)
