"""Opcode machinery: the OpCode base class and its generic parameters.

Each opcode class declares its parameters once, in ``OP_PARAMS``, as
``(name, default, check, doc)`` tuples (``check`` is an ``ht`` predicate,
``default`` is ``ht.NoDefault`` for required parameters).  Everything else
is derived from that table: validation at construction, defaults, the wire
form (``__getstate__``/``LoadOpCode``), summaries and documentation.

The opcode table itself lives in ``ganeti.opcodes``.
"""

import copy
import re
from decimal import Decimal
from typing import Any, Dict, Iterable, List, Optional, Tuple, Type

from ganeti import constants
from ganeti import errors
from ganeti import ht

ParamDef = Tuple[str, Any, Any, str]

#: OP_ID -> opcode class, filled as classes are defined.
_REGISTRY: Dict[str, Type["OpCode"]] = {}


def NameToOpId(name: str) -> str:
    """OP_ID of a class name (OpNodeQueryvols -> OP_NODE_QUERYVOLS)."""
    if not name.startswith("Op"):
        raise ValueError("Opcode class name %r does not start with 'Op'" %
                         name)
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name[2:])
    return "OP_" + words.upper()


# ------------------------------------------------------------ generic params

#: Priorities accepted in an opcode (the full range) ...
TPriority = ht.WithDesc(
    "Priority in [%d, %d]" % (constants.OP_PRIO_HIGHEST,
                              constants.OP_PRIO_LOWEST),
    ht.TInRange(constants.OP_PRIO_HIGHEST, constants.OP_PRIO_LOWEST))
#: ... and those accepted when a job is submitted.
TSubmitPriority = ht.TElemOf(constants.OP_PRIO_SUBMIT_VALID)

#: One job dependency: [job id (absolute or relative), [status, ...]].
TJobDependency = ht.TAnd(
    ht.TIsLength(2),
    ht.TItems([ht.TJobIdOrRelative,
               ht.TListOf(ht.TElemOf(constants.JOBS_FINALIZED))]))
#: One reason trail entry: [source, reason, timestamp in nanoseconds].
TReasonEntry = ht.TAnd(ht.TIsLength(3),
                       ht.TItems([ht.TString, ht.TString, ht.TNumber]))

GENERIC_PARAMS: List[ParamDef] = [
    ("dry_run", None, ht.TMaybeBool,
     "Run checks only, don't execute"),
    ("debug_level", None, ht.TMaybe(ht.TNonNegativeInt),
     "Debug level"),
    ("priority", constants.OP_PRIO_DEFAULT, TPriority,
     "Opcode priority (lower is more urgent)"),
    ("depends", None, ht.TMaybe(ht.TListOf(TJobDependency)),
     "Job dependencies; a negative job ID is relative to the submitted"
     " batch"),
    ("comment", None, ht.TMaybe(ht.TString),
     "Comment describing the purpose of the opcode"),
    ("reason", [], ht.TListOf(TReasonEntry),
     "Reason trail: list of [source, reason, timestamp-ns]"),
]
GENERIC_PARAM_NAMES = frozenset(p[0] for p in GENERIC_PARAMS)
# Generic parameters kept in the serialized form even when null (3.0 does).
_ALWAYS_SERIALIZED = frozenset(["depends", "comment"])


def ValidateSubmitPriority(priority: Any) -> None:
    """Raise OpPrereqError unless priority may be used when submitting."""
    if not TSubmitPriority(priority):
        raise errors.OpPrereqError(
            "Priority %r is not valid for submission, must be one of %s" %
            (priority, ", ".join(str(p) for p in
                                 sorted(constants.OP_PRIO_SUBMIT_VALID))),
            errors.ECODE_INVAL)


# --------------------------------------------------------------- formatting

def FormatHaskellFloat(value: float) -> str:
    """Render a float the way upstream 3.0 job summaries do (Haskell show).

    Fixed notation for 0.1 <= |x| < 10^7 ("0.5", "100.0"), otherwise
    scientific with the shortest digits ("1.0e-3", "1.0e7"); zero is "0.0".
    """
    value = float(value)
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    if value < 0:
        return "-" + FormatHaskellFloat(-value)
    if value == 0:
        return "0.0"
    if 0.1 <= value < 10 ** 7:
        text = repr(value)
        return text if "." in text else text + ".0"
    dec = Decimal(repr(value)).normalize()
    _, digits, exponent = dec.as_tuple()
    digits_s = "".join(str(d) for d in digits)
    exp10 = len(digits_s) + exponent - 1
    return "%s.%se%d" % (digits_s[0], digits_s[1:] or "0", exp10)


def _FormatDscValue(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    if isinstance(value, float):
        return FormatHaskellFloat(value)
    return str(value)


_TINY_PREFIXES = [("CLUSTER_", "C_"), ("GROUP_", "G_"), ("NODE_", "N_"),
                  ("INSTANCE_", "I_")]


def _SummaryText(op_id: str, dsc_value: Any, formatter) -> str:
    text = op_id[3:] if op_id.startswith("OP_") else op_id
    if dsc_value is not None:
        fmt = formatter or _FormatDscValue
        text = "%s(%s)" % (text, fmt(dsc_value))
    return text


def TinyText(summary: str) -> str:
    """Shorten a summary (CLUSTER_ -> C_, GROUP_ -> G_, ...)."""
    for prefix, short in _TINY_PREFIXES:
        if summary.startswith(prefix):
            return short + summary[len(prefix):]
    return summary


# --------------------------------------------------------------- base class

def _Invalid(msg: str) -> errors.OpPrereqError:
    return errors.OpPrereqError(msg, errors.ECODE_INVAL)


class _OpCodeMeta(type):
    """Derives OP_ID and the full parameter table of every opcode class."""

    def __new__(mcs, name, bases, attrs):
        if "OP_ID" not in attrs and name.startswith("Op"):
            attrs["OP_ID"] = NameToOpId(name)
        cls = super().__new__(mcs, name, bases, attrs)
        params: Dict[str, ParamDef] = {}
        for klass in reversed(cls.__mro__):
            for pdef in klass.__dict__.get("OP_PARAMS", ()):
                if len(pdef) != 4:
                    raise TypeError("%s: bad parameter definition %r" %
                                    (name, pdef))
                params.pop(pdef[0], None)
                params[pdef[0]] = tuple(pdef)
        # generic parameters first, then the opcode's own, in declared order
        ordered = ([params[p[0]] for p in GENERIC_PARAMS if p[0] in params] +
                   [p for n, p in params.items()
                    if n not in GENERIC_PARAM_NAMES])
        cls._all_params = tuple(ordered)
        cls._param_map = {p[0]: p for p in ordered}
        if attrs.get("OP_ID") and name != "OpCode":
            other = _REGISTRY.get(cls.OP_ID)
            if other is not None and other.__name__ != name:
                raise TypeError("Duplicate OP_ID %s (%s and %s)" %
                                (cls.OP_ID, other.__name__, name))
            _REGISTRY[cls.OP_ID] = cls
        return cls


class OpCode(metaclass=_OpCodeMeta):
    """Base of all opcodes: validated parameter bag with a wire form.

    Class attributes of each opcode:
      OP_ID          wire identifier (derived from the class name)
      OP_PARAMS      own parameters [(name, default, check, doc), ...]
      OP_DSC_FIELD   parameter shown in the summary, e.g. instance_name
      OP_DSC_FORMATTER  optional callable formatting that value
      OP_RESULT      ht check of the result (None: not checked)
    """

    OP_ID = "OP_CODE"
    OP_PARAMS: List[ParamDef] = list(GENERIC_PARAMS)
    OP_DSC_FIELD: Optional[str] = None
    OP_DSC_FORMATTER = None
    OP_RESULT = None
    WITH_LU = True

    _all_params: Tuple[ParamDef, ...] = ()
    _param_map: Dict[str, ParamDef] = {}

    def __init__(self, **kwargs: Any) -> None:
        unknown = [name for name in kwargs if name not in self._param_map]
        if unknown:
            raise _Invalid("Opcode %s: unknown parameter%s %s" %
                           (self.OP_ID, "s" if len(unknown) > 1 else "",
                            ", ".join("'%s'" % n for n in sorted(unknown))))
        for name, default, check, _ in self._all_params:
            value = kwargs.get(name)
            if value is None:
                if default is ht.NoDefault:
                    if name in kwargs and check(None):
                        value = None
                    else:
                        raise _Invalid("Required parameter '%s.%s' missing" %
                                       (self.OP_ID, name))
                else:
                    value = copy.deepcopy(default)
            self._CheckValue(name, check, value)
            object.__setattr__(self, name, value)

    # -- validation

    def _CheckValue(self, name: str, check, value: Any) -> None:
        if not check(value):
            raise _Invalid("Parameter '%s.%s' fails validation: expected %s,"
                           " got %s" % (self.OP_ID, name, ht.Describe(check),
                                        _ShortRepr(value)))

    def Validate(self, set_defaults: bool = False) -> None:
        """Re-check every parameter (e.g. after a logical unit changed some).

        With set_defaults, missing or None values get their default first.
        """
        for name, default, check, _ in self._all_params:
            present = hasattr(self, name)
            value = getattr(self, name, None)
            if set_defaults and value is None and default is not ht.NoDefault:
                value = copy.deepcopy(default)
                setattr(self, name, value)
                present = True
            if not present or (value is None and default is ht.NoDefault
                                and not check(None)):
                raise _Invalid("Required parameter '%s.%s' missing" %
                               (self.OP_ID, name))
            self._CheckValue(name, check, value)

    # -- introspection

    @classmethod
    def GetAllParams(cls) -> Tuple[ParamDef, ...]:
        """All parameters, generic ones first: (name, default, check, doc)."""
        return cls._all_params

    @classmethod
    def GetParamNames(cls) -> List[str]:
        return [p[0] for p in cls._all_params]

    @classmethod
    def GetOwnParams(cls) -> List[ParamDef]:
        """Parameters specific to this opcode (without the generic ones)."""
        return [p for p in cls._all_params if p[0] not in GENERIC_PARAM_NAMES]

    @classmethod
    def GetRequiredParams(cls) -> List[str]:
        return [p[0] for p in cls._all_params if p[1] is ht.NoDefault]

    # -- wire form

    def __getstate__(self) -> Dict[str, Any]:
        """The opcode as a JSON-able dict with "OP_ID".

        Parameters whose value is None are left out (the receiver fills the
        default), except depends and comment, which upstream 3.0 always
        writes; the order is generic parameters, OP_ID, then the opcode's own.
        """
        state: Dict[str, Any] = {}
        for name, _, _, _ in self._all_params:
            if name not in GENERIC_PARAM_NAMES:
                continue
            value = getattr(self, name, None)
            if value is not None or name in _ALWAYS_SERIALIZED:
                state[name] = value
        state["OP_ID"] = self.OP_ID
        for name, _, _, _ in self._all_params:
            if name in GENERIC_PARAM_NAMES:
                continue
            value = getattr(self, name, None)
            if value is not None:
                state[name] = value
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        """Restore from __getstate__ output (no validation; for copy/pickle).

        Parameters missing from state get their default (None if required).
        """
        for name, default, _, _ in self._all_params:
            if name not in state:
                value = None if default is ht.NoDefault else \
                    copy.deepcopy(default)
                object.__setattr__(self, name, value)
        for name, value in state.items():
            if name != "OP_ID":
                object.__setattr__(self, name, value)

    def ToDict(self) -> Dict[str, Any]:
        """Alias of __getstate__ (the serialized form)."""
        return self.__getstate__()

    @staticmethod
    def LoadOpCode(data: Any) -> "OpCode":
        """Build (and validate) an opcode from its serialized dict form.

        Raises OpPrereqError (ECODE_INVAL) for malformed data or bad
        parameters and OpCodeUnknown for an unknown OP_ID.
        """
        if not isinstance(data, dict):
            raise _Invalid("Invalid data to LoadOpCode (%s)" %
                           type(data).__name__)
        if "OP_ID" not in data:
            raise _Invalid("Invalid data to LoadOpCode, missing OP_ID")
        op_id = data["OP_ID"]
        cls = _REGISTRY.get(op_id) if isinstance(op_id, str) else None
        if cls is None:
            raise errors.OpCodeUnknown("Unknown opcode %s" % (op_id,))
        params = {k: v for k, v in data.items() if k != "OP_ID"}
        return cls(**params)

    def Copy(self) -> "OpCode":
        """A deep copy of this opcode."""
        return copy.deepcopy(self)

    # -- summaries

    def Summary(self) -> str:
        """E.g. ``INSTANCE_STARTUP(inst1.example.com)``."""
        value = getattr(self, self.OP_DSC_FIELD, None) if self.OP_DSC_FIELD \
            else None
        return _SummaryText(self.OP_ID, value, self.OP_DSC_FORMATTER)

    def TinySummary(self) -> str:
        """Summary with CLUSTER_/GROUP_/NODE_/INSTANCE_ shortened."""
        return TinyText(self.Summary())

    def __repr__(self) -> str:
        args = ", ".join("%s=%r" % (k, v)
                         for k, v in self.__getstate__().items()
                         if k != "OP_ID")
        return "%s(%s)" % (self.__class__.__name__, args)

    def __eq__(self, other: Any) -> bool:
        return (isinstance(other, OpCode) and
                self.__getstate__() == other.__getstate__())

    __hash__ = None  # type: ignore[assignment]


def _ShortRepr(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def LoadOpCode(data: Any) -> OpCode:
    """Module-level alias of OpCode.LoadOpCode."""
    return OpCode.LoadOpCode(data)


def GetOpClass(op_id: str) -> Optional[Type[OpCode]]:
    return _REGISTRY.get(op_id)


def SummaryFromDict(data: Any) -> str:
    """Summary of a serialized opcode without building (validating) it.

    Used for job files, whose opcodes may come from other versions.
    """
    if not isinstance(data, dict):
        return str(data)
    op_id = data.get("OP_ID", "")
    cls = _REGISTRY.get(op_id)
    value = None
    formatter = None
    if cls is not None and cls.OP_DSC_FIELD:
        value = data.get(cls.OP_DSC_FIELD)
        formatter = cls.OP_DSC_FORMATTER
    return _SummaryText(str(op_id), value, formatter)


def DescribeParam(pdef: ParamDef) -> Dict[str, Any]:
    """A documentation record for one parameter."""
    name, default, check, doc = pdef
    required = default is ht.NoDefault
    return {"name": name, "type": ht.Describe(check),
            "default": None if required else default,
            "required": required, "doc": doc}


def DescribeOpCode(cls: Type[OpCode]) -> Dict[str, Any]:
    """A documentation record for an opcode class (for docs and schemas)."""
    return {
        "op_id": cls.OP_ID,
        "class": cls.__name__,
        "doc": (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__
        else "",
        "summary_field": cls.OP_DSC_FIELD,
        "result": ht.Describe(cls.OP_RESULT) if cls.OP_RESULT is not None
        else None,
        "params": [DescribeParam(p) for p in cls.GetOwnParams()],
    }


def FormatOpCodeDoc(classes: Iterable[Type[OpCode]]) -> str:
    """A plain-text reference of the given opcodes (one block each)."""
    out = []
    for cls in classes:
        info = DescribeOpCode(cls)
        out.append("%s (%s)" % (info["op_id"], info["class"]))
        if info["doc"]:
            out.append("  " + info["doc"])
        if info["summary_field"]:
            out.append("  summary field: %s" % info["summary_field"])
        if info["result"]:
            out.append("  result: %s" % info["result"])
        for par in info["params"]:
            out.append("  %-28s %s%s -- %s" % (
                par["name"], par["type"],
                " (required)" if par["required"] else
                " (default %r)" % (par["default"],), par["doc"]))
        out.append("")
    return "\n".join(out)
