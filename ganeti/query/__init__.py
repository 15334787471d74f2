"""Query fields, filters and results (the "query2" interface).

A resource (node, instance, job...) has a table of fields.  Each field is
declared once (``Field``): its definition (name, title, kind, doc, as shown
by ``list-fields``, LUXI ``QueryFields`` and RAPI), the kind of data it
needs (so callers gather only that), flags for filter handling and a getter
``getter(ctx, item) -> value``.  A getter returns a marker (``FS_NODATA``,
``FS_UNAVAIL``, ``FS_OFFLINE``) instead of a value when it has none.

``Query(fields, selected, qfilter)`` compiles the selection and the filter;
``Query.Query(ctx)`` returns rows of ``[status, value]`` pairs,
``Query.OldStyleQuery(ctx)`` plain values.  ``ctx`` is a data holder of the
resource (see the ``query_*`` modules) iterating over its items.

The field tables live in ``ganeti.query.node`` (node, group, cluster),
``ganeti.query.instance`` and ``ganeti.query.misc`` (job, lock, os,
network, export, extstorage, filter); they are reachable from here as
``query.NODE_FIELDS`` etc. and through ``GetFieldDefs(what)``.
"""

import re
from typing import (Any, Callable, Dict, Iterable, List, Optional, Sequence,
                    Set, Tuple)

from ganeti import constants as C
from ganeti import errors
from ganeti.utils.text import NiceSortKey  # noqa: F401 (re-exported)

# Field kinds and result statuses (wire values; see constants).
QFT_UNKNOWN = C.QFT_UNKNOWN
QFT_TEXT = C.QFT_TEXT
QFT_BOOL = C.QFT_BOOL
QFT_NUMBER = C.QFT_NUMBER
QFT_NUMBER_FLOAT = C.QFT_NUMBER_FLOAT
QFT_UNIT = C.QFT_UNIT
QFT_TIMESTAMP = C.QFT_TIMESTAMP
QFT_OTHER = C.QFT_OTHER
RS_NORMAL = C.RS_NORMAL
RS_UNKNOWN = C.RS_UNKNOWN
RS_NODATA = C.RS_NODATA
RS_UNAVAIL = C.RS_UNAVAIL
RS_OFFLINE = C.RS_OFFLINE

# Field flags (how filters treat the field's values).
QFF_HOSTNAME = 0x01         # "=" also matches the short name ("node1")
QFF_IP_ADDRESS = 0x02
QFF_JOB_ID = 0x04           # filter values may be given as strings
QFF_SPLIT_TIMESTAMP = 0x08  # value is [sec, usec]; compared as a number
QFF_ALL = QFF_HOSTNAME | QFF_IP_ADDRESS | QFF_JOB_ID | QFF_SPLIT_TIMESTAMP

_FIELD_NAME_RE = re.compile(r"^[a-z0-9/._]+$", re.I)


class FieldDefinition:
    """Name, title, kind and doc of a field (the list-fields record)."""

    __slots__ = ("name", "title", "kind", "doc")

    def __init__(self, name: str, title: str, kind: str, doc: str) -> None:
        self.name = name
        self.title = title
        self.kind = kind
        self.doc = doc

    def ToDict(self) -> Dict[str, str]:
        return {"name": self.name, "title": self.title, "kind": self.kind,
                "doc": self.doc}

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, FieldDefinition) and \
            self.ToDict() == other.ToDict()

    def __repr__(self) -> str:
        return "FieldDefinition(%r, %r, %r)" % (self.name, self.title,
                                                 self.kind)


class _FieldStatus:
    """Marker returned by getters that have no normal value."""

    __slots__ = ("code", "label")

    def __init__(self, code: int, label: str) -> None:
        self.code = code
        self.label = label

    def __repr__(self) -> str:
        return "<FS %s>" % self.label


FS_UNKNOWN = _FieldStatus(RS_UNKNOWN, "unknown")
FS_NODATA = _FieldStatus(RS_NODATA, "nodata")
FS_UNAVAIL = _FieldStatus(RS_UNAVAIL, "unavail")
FS_OFFLINE = _FieldStatus(RS_OFFLINE, "offline")

Getter = Callable[[Any, Any], Any]


class Field:
    """A field: definition, data kind needed, flags and getter."""

    __slots__ = ("fdef", "datakind", "flags", "getter")

    def __init__(self, fdef: FieldDefinition, datakind: Any, flags: int,
                 getter: Getter) -> None:
        self.fdef = fdef
        self.datakind = datakind
        self.flags = flags
        self.getter = getter

    @property
    def name(self) -> str:
        return self.fdef.name


def MakeField(name: str, title: str, kind: str, doc: str, datakind: Any,
              getter: Getter, flags: int = 0) -> Field:
    """Shorthand for Field(FieldDefinition(...), ...)."""
    return Field(FieldDefinition(name, title, kind, doc), datakind, flags,
                 getter)


def BuildFieldDict(fields: Iterable[Field]) -> Dict[str, Field]:
    """Name -> Field, checking that names are unique and well formed."""
    result: Dict[str, Field] = {}
    for field in fields:
        name = field.fdef.name
        if not _FIELD_NAME_RE.match(name):
            raise errors.ProgrammerError("Invalid field name %r" % name)
        if name in result:
            raise errors.ProgrammerError("Duplicate field name %r" % name)
        if field.fdef.kind not in C.QFT_ALL or field.fdef.kind == QFT_UNKNOWN:
            raise errors.ProgrammerError("Invalid kind %r of field %r" %
                                         (field.fdef.kind, name))
        if field.flags & ~QFF_ALL:
            raise errors.ProgrammerError("Invalid flags of field %r" % name)
        result[name] = field
    return result


def _UnknownField(name: str) -> Field:
    fdef = FieldDefinition(name, name, QFT_UNKNOWN,
                           "Unknown field '%s'" % name)
    return Field(fdef, None, 0, lambda _ctx, _item: FS_UNKNOWN)


# ------------------------------------------------------------------ helpers
# (shared by the field tables)

def GetTags(obj: Any) -> List[str]:
    """Tags of a config object as a list."""
    tags = getattr(obj, "tags", None) or []
    if isinstance(tags, (set, frozenset)):
        return sorted(tags)
    return list(tags)


def ItemAttr(attr: str, none_is_unavail: bool = False) -> Getter:
    """Getter returning item.<attr> (or item[attr] for dicts)."""
    def fn(_ctx, item):
        if isinstance(item, dict):
            value = item.get(attr)
        else:
            value = getattr(item, attr, None)
        if value is None and none_is_unavail:
            return FS_UNAVAIL
        return value
    return fn


def TimestampFields(datakind: Any) -> List[Field]:
    """The ctime and mtime fields of config objects."""
    return [
        MakeField("ctime", "CTime", QFT_TIMESTAMP, "Creation timestamp",
                  datakind, ItemAttr("ctime", True)),
        MakeField("mtime", "MTime", QFT_TIMESTAMP, "Modification timestamp",
                  datakind, ItemAttr("mtime", True)),
    ]


def SerialUuidFields(datakind: Any, kind_name: str) -> List[Field]:
    """The serial_no and uuid fields of config objects."""
    return [
        MakeField("serial_no", "SerialNo", QFT_NUMBER,
                  "%s object serial number, incremented on each modification"
                  % kind_name, datakind, ItemAttr("serial_no")),
        MakeField("uuid", "UUID", QFT_TEXT, "%s UUID" % kind_name, datakind,
                  ItemAttr("uuid")),
    ]


def TagsField(datakind: Any) -> Field:
    return MakeField("tags", "Tags", QFT_OTHER, "Tags", datakind,
                     lambda _ctx, item: GetTags(item))


# ------------------------------------------------------------------ filters

def MatchNameComponent(wanted: Any, value: Any) -> bool:
    """Name match: exact, or wanted is the first component(s) of value.

    This is how "=" treats QFF_HOSTNAME fields ("node1" matches
    "node1.example.com"); callers pre-selecting items from
    Query.RequestedNames() should use it too.
    """
    if not isinstance(value, str) or not isinstance(wanted, str):
        return wanted == value
    if wanted == value:
        return True
    return value.lower().startswith(wanted.lower() + ".")


def _ConvertFilterValue(flags: int, value: Any) -> Any:
    if flags & QFF_JOB_ID and isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def _ConvertItemValue(flags: int, value: Any) -> Any:
    if (flags & QFF_SPLIT_TIMESTAMP and isinstance(value, (list, tuple))
            and len(value) == 2):
        return value[0] + value[1] / 1e6
    return value


def _Compare(opfn: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def fn(item_value, wanted):
        try:
            return bool(opfn(item_value, wanted))
        except TypeError:
            return False
    return fn


_COMPARISONS = {
    C.QLANG_OP_LT: _Compare(lambda a, b: a < b),
    C.QLANG_OP_LE: _Compare(lambda a, b: a <= b),
    C.QLANG_OP_GT: _Compare(lambda a, b: a > b),
    C.QLANG_OP_GE: _Compare(lambda a, b: a >= b),
}
_EQUALITY_OPS = frozenset([C.QLANG_OP_EQUAL, C.QLANG_OP_EQUAL_LEGACY,
                           C.QLANG_OP_NOT_EQUAL])
_BINARY_OPS = (_EQUALITY_OPS | frozenset(_COMPARISONS) |
               frozenset([C.QLANG_OP_REGEXP, C.QLANG_OP_CONTAINS]))
_LOGIC_OPS = frozenset([C.QLANG_OP_AND, C.QLANG_OP_OR])
_UNARY_OPS = frozenset([C.QLANG_OP_NOT, C.QLANG_OP_TRUE])

FilterFn = Callable[[Any, Any], bool]


def _FilterError(msg: str) -> errors.ParameterError:
    return errors.ParameterError(msg)


class _FilterCompiler:
    """Turns a filter (nested lists) into a predicate fn(ctx, item)."""

    def __init__(self, fields: Dict[str, Field]) -> None:
        self._fields = fields
        self.used_fields: List[str] = []

    def Compile(self, qfilter: Any, level: int = 0) -> FilterFn:
        if level > 100:
            raise _FilterError("Query filter is nested too deeply")
        if not isinstance(qfilter, (list, tuple)) or not qfilter:
            raise _FilterError("Invalid query filter: expected a non-empty"
                               " list, got %r" % (qfilter,))
        op, operands = qfilter[0], list(qfilter[1:])
        if not isinstance(op, str):
            raise _FilterError("Invalid filter operator %r" % (op,))
        if op in _LOGIC_OPS:
            subs = [self.Compile(sub, level + 1) for sub in operands]
            if op == C.QLANG_OP_AND:
                return lambda ctx, item: all(fn(ctx, item) for fn in subs)
            return lambda ctx, item: any(fn(ctx, item) for fn in subs)
        if op in _UNARY_OPS:
            if len(operands) != 1:
                raise _FilterError("Filter operator '%s' takes exactly one"
                                   " operand, got %d" % (op, len(operands)))
            if op == C.QLANG_OP_NOT:
                sub = self.Compile(operands[0], level + 1)
                return lambda ctx, item: not sub(ctx, item)
            field = self._GetField(operands[0])
            return self._MakeCheck(field, lambda val: bool(val))
        if op in _BINARY_OPS:
            if len(operands) != 2:
                raise _FilterError("Filter operator '%s' takes exactly two"
                                   " operands, got %d" % (op, len(operands)))
            field = self._GetField(operands[0])
            return self._Binary(op, field, operands[1])
        raise _FilterError("Unknown filter operator '%s'" % op)

    def _GetField(self, name: Any) -> Field:
        if not isinstance(name, str):
            raise _FilterError("Invalid field name %r in filter" % (name,))
        field = self._fields.get(name)
        if field is None:
            raise _FilterError("Unknown field '%s' in filter" % name)
        if name not in self.used_fields:
            self.used_fields.append(name)
        return field

    @staticmethod
    def _MakeCheck(field: Field, check: Callable[[Any], bool]) -> FilterFn:
        getter, flags = field.getter, field.flags

        def fn(ctx, item):
            value = getter(ctx, item)
            if isinstance(value, _FieldStatus):
                return False
            return check(_ConvertItemValue(flags, value))
        return fn

    def _Binary(self, op: str, field: Field, wanted: Any) -> FilterFn:
        if isinstance(wanted, dict):
            raise _FilterError("Invalid value %r for filter operator '%s'" %
                               (wanted, op))
        wanted = _ConvertFilterValue(field.flags, wanted)
        if op in _EQUALITY_OPS:
            if field.flags & QFF_HOSTNAME:
                def equal(val):
                    return MatchNameComponent(wanted, val)
            else:
                def equal(val):
                    return val == wanted
            if op == C.QLANG_OP_NOT_EQUAL:
                return self._MakeCheck(field, lambda val: not equal(val))
            return self._MakeCheck(field, equal)
        if op in _COMPARISONS:
            cmp = _COMPARISONS[op]
            return self._MakeCheck(field, lambda val: cmp(val, wanted))
        if op == C.QLANG_OP_REGEXP:
            if not isinstance(wanted, str):
                raise _FilterError("Regular expression for field '%s' must be"
                                   " a string, got %r" % (field.name, wanted))
            try:
                rx = re.compile(wanted)
            except re.error as err:
                raise _FilterError("Invalid regular expression %r: %s" %
                                   (wanted, err))
            return self._MakeCheck(
                field, lambda val: isinstance(val, str) and
                rx.search(val) is not None)
        # contains
        return self._MakeCheck(
            field,
            lambda val: isinstance(val, (list, tuple)) and wanted in val)


def CompileFilter(fields: Dict[str, Field], qfilter: Any
                  ) -> Tuple[Optional[FilterFn], List[str]]:
    """Compile qfilter; returns (predicate or None, names of used fields).

    None and the empty list both mean "no filter" (as in upstream's query
    language, where an empty filter matches every item).  Raises
    errors.ParameterError for malformed filters or unknown fields.
    """
    if qfilter is None or (isinstance(qfilter, (list, tuple)) and
                           not qfilter):
        return None, []
    compiler = _FilterCompiler(fields)
    return compiler.Compile(qfilter), compiler.used_fields


def _SimpleNames(namefield: str, flags: int, qfilter: Any) -> Optional[list]:
    """Names from a filter that only selects by name, else None."""
    def one(sub):
        if (isinstance(sub, (list, tuple)) and len(sub) == 3
                and sub[0] in (C.QLANG_OP_EQUAL, C.QLANG_OP_EQUAL_LEGACY)
                and sub[1] == namefield
                and isinstance(sub[2], (str, int))
                and not isinstance(sub[2], bool)):
            return _ConvertFilterValue(flags, sub[2])
        raise ValueError()
    try:
        if (isinstance(qfilter, (list, tuple)) and qfilter
                and qfilter[0] == C.QLANG_OP_OR):
            names = [one(sub) for sub in qfilter[1:]]
        else:
            names = [one(qfilter)]
    except ValueError:
        return None
    result = []
    for name in names:
        if name not in result:
            result.append(name)
    return result


# ------------------------------------------------------------------ queries

class Query:
    """A compiled query: selected fields plus an optional filter."""

    def __init__(self, fieldlist: Dict[str, Field], selected: Sequence[str],
                 qfilter: Any = None, namefield: Optional[str] = None) -> None:
        if isinstance(selected, str):
            selected = [selected]
        self._fields = fieldlist
        if namefield is None:
            namefield = next((name for name in ("name", "id", "node", "uuid")
                              if name in fieldlist), None)
        self._namefield = namefield
        self._requested = [fieldlist.get(name) or _UnknownField(name)
                           for name in selected]
        self._filter_fn, filter_fields = CompileFilter(fieldlist, qfilter)
        self._filter_fields = [fieldlist[name] for name in filter_fields]
        self._names: Optional[list] = None
        if qfilter is not None and namefield in fieldlist:
            self._names = _SimpleNames(namefield, fieldlist[namefield].flags,
                                       qfilter)

    def RequestedData(self) -> Set[Any]:
        """Data kinds needed by the selected fields and the filter."""
        return set(field.datakind for field in
                   self._requested + self._filter_fields
                   if field.datakind is not None)

    def RequestedNames(self) -> Optional[list]:
        """Names wanted by a pure name filter ("|" of "="), else None.

        Callers use this to gather data for these items only (and to report
        unknown names); the filter is still applied by Query().
        """
        return self._names

    def GetFields(self) -> List[FieldDefinition]:
        """Definitions of the selected fields (unknown ones included)."""
        return [field.fdef for field in self._requested]

    def GetUnknownFields(self) -> List[str]:
        return [field.name for field in self._requested
                if field.fdef.kind == QFT_UNKNOWN]

    def _Items(self, ctx: Iterable, sort_by_name: bool) -> List[Any]:
        items = list(ctx)
        if self._filter_fn is not None:
            items = [item for item in items if self._filter_fn(ctx, item)]
        if sort_by_name and self._namefield in self._fields:
            getter = self._fields[self._namefield].getter

            def key(item):
                value = getter(ctx, item)
                return NiceSortKey(None if isinstance(value, _FieldStatus)
                                   else value)
            items.sort(key=key)
        return items

    def Query(self, ctx: Iterable, sort_by_name: bool = True
              ) -> List[List[List[Any]]]:
        """Rows of [status, value] pairs, one row per matching item."""
        return self._Evaluate(ctx, sort_by_name, plain=False)

    def _Evaluate(self, ctx: Iterable, sort_by_name: bool,
                  plain: bool) -> List[List[Any]]:
        """The rows: [status, value] pairs, or (plain) the values alone
        with None where there is no value.  The innermost loop of every
        query (items x fields): kept lean."""
        getters = [field.getter for field in self._requested]
        rows = []
        for item in self._Items(ctx, sort_by_name):
            values = [getter(ctx, item) for getter in getters]
            if plain:
                rows.append([None if value.__class__ is _FieldStatus
                             else value for value in values])
            else:
                rows.append([[value.code, None]
                             if value.__class__ is _FieldStatus
                             else [RS_NORMAL, value] for value in values])
        return rows

    def OldStyleQuery(self, ctx: Iterable, sort_by_name: bool = True
                      ) -> List[List[Any]]:
        """Rows of plain values (None where there is no normal value).

        Raises OpPrereqError (ECODE_INVAL) if an unknown field was selected.
        """
        unknown = self.GetUnknownFields()
        if unknown:
            raise errors.OpPrereqError("Unknown output fields selected: %s" %
                                       ", ".join(unknown), errors.ECODE_INVAL)
        return self._Evaluate(ctx, sort_by_name, plain=True)


def GetQueryResponse(query: Query, ctx: Iterable, sort_by_name: bool = True
                     ) -> Dict[str, Any]:
    """The LUXI/RAPI query result: {"fields": [...], "data": rows}."""
    return {"fields": [fdef.ToDict() for fdef in query.GetFields()],
            "data": query.Query(ctx, sort_by_name=sort_by_name)}


def QueryFields(fielddefs: Dict[str, Field],
                selected: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """The QueryFields result: {"fields": [{name, title, kind, doc}, ...]}.

    Without selection all fields are returned, sorted by name (numbers in
    names compared numerically); unknown selected names get kind "unknown".
    """
    if selected is None:
        fdefs = [fielddefs[name].fdef
                 for name in sorted(fielddefs, key=NiceSortKey)]
    else:
        fdefs = [(fielddefs.get(name) or _UnknownField(name)).fdef
                 for name in selected]
    return {"fields": [fdef.ToDict() for fdef in fdefs]}


def GetAllFields(fielddefs: Dict[str, Field]) -> List[FieldDefinition]:
    """All field definitions of a table, in declaration order."""
    return [field.fdef for field in fielddefs.values()]


# ------------------------------------------------------------------ tables

_TABLES = {
    C.QR_NODE: ("ganeti.query.node", "NODE_FIELDS"),
    C.QR_GROUP: ("ganeti.query.node", "GROUP_FIELDS"),
    C.QR_CLUSTER: ("ganeti.query.node", "CLUSTER_FIELDS"),
    C.QR_INSTANCE: ("ganeti.query.instance", "INSTANCE_FIELDS"),
    C.QR_JOB: ("ganeti.query.misc", "JOB_FIELDS"),
    C.QR_LOCK: ("ganeti.query.misc", "LOCK_FIELDS"),
    C.QR_OS: ("ganeti.query.misc", "OS_FIELDS"),
    C.QR_EXTSTORAGE: ("ganeti.query.misc", "EXTSTORAGE_FIELDS"),
    C.QR_NETWORK: ("ganeti.query.misc", "NETWORK_FIELDS"),
    C.QR_EXPORT: ("ganeti.query.misc", "EXPORT_FIELDS"),
    C.QR_FILTER: ("ganeti.query.misc", "FILTER_FIELDS"),
}

#: Name field of each resource (for RequestedNames and sorting).
NAME_FIELDS = {C.QR_JOB: "id", C.QR_FILTER: "uuid", C.QR_EXPORT: "node"}

# Names re-exported lazily from the table modules.
_LAZY = {
    "NODE_FIELDS": "ganeti.query.node", "GROUP_FIELDS": "ganeti.query.node",
    "CLUSTER_FIELDS": "ganeti.query.node",
    "NodeQueryData": "ganeti.query.node",
    "GroupQueryData": "ganeti.query.node",
    "ClusterQueryData": "ganeti.query.node",
    "INSTANCE_FIELDS": "ganeti.query.instance",
    "InstanceQueryData": "ganeti.query.instance",
    "JOB_FIELDS": "ganeti.query.misc", "LOCK_FIELDS": "ganeti.query.misc",
    "OS_FIELDS": "ganeti.query.misc", "EXTSTORAGE_FIELDS": "ganeti.query.misc",
    "NETWORK_FIELDS": "ganeti.query.misc",
    "EXPORT_FIELDS": "ganeti.query.misc", "FILTER_FIELDS": "ganeti.query.misc",
    "JobQueryData": "ganeti.query.misc",
    "NetworkQueryData": "ganeti.query.misc",
    "SimpleQueryData": "ganeti.query.misc", "OsInfo": "ganeti.query.misc",
    "CalcJobStatus": "ganeti.query.misc",
    "CalcJobPriority": "ganeti.query.misc",
}


def _Import(modname: str):
    import importlib
    return importlib.import_module(modname)


def __getattr__(name: str) -> Any:
    modname = _LAZY.get(name)
    if modname is None:
        raise AttributeError("module %r has no attribute %r" %
                             (__name__, name))
    return getattr(_Import(modname), name)


def GetFieldDefs(what: str) -> Dict[str, Field]:
    """The field table of a resource (constants.QR_*)."""
    try:
        modname, attr = _TABLES[what]
    except KeyError:
        raise errors.OpPrereqError("Resource type '%s' unknown" % (what,),
                                   errors.ECODE_INVAL)
    return getattr(_Import(modname), attr)


def MakeQuery(what: str, fields: Sequence[str], qfilter: Any = None) -> Query:
    """A Query on resource what, with that resource's name field."""
    fielddefs = GetFieldDefs(what)
    return Query(fielddefs, fields, qfilter,
                 namefield=NAME_FIELDS.get(what, "name"))
