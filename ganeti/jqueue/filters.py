"""Job filter rules (gnt-filter): validation and evaluation.

A rule (config.data ``filters[uuid]``) has ``uuid``, ``watermark``,
``priority``, ``predicates``, ``action`` and ``reason_trail``.  The
watermark is the highest job id when the rule was added or replaced; a rule
applies only to newer jobs (ids above it).  Rules are evaluated in order of
(priority, watermark, uuid); the first applicable rule whose predicates all
hold and whose action is not CONTINUE decides.  No such rule means ACCEPT.
Predicates:

  ["jobid", qfilter]   field ``id``; the value "watermark" stands for the
                       rule's watermark
  ["opcode", qfilter]  OP_ID and every parameter of an opcode; true if the
                       filter holds for at least one opcode of the job
  ["reason", qfilter]  fields source, reason, timestamp of reason trail
                       entries; true if one entry of one opcode matches
"""

from typing import Any, Dict, Iterable, List, Optional, Sequence

from ganeti import errors
from ganeti import query

ACCEPT = "ACCEPT"
CONTINUE = "CONTINUE"
PAUSE = "PAUSE"
REJECT = "REJECT"
RATE_LIMIT = "RATE_LIMIT"
SIMPLE_ACTIONS = (ACCEPT, CONTINUE, PAUSE, REJECT)

PRED_JOBID = "jobid"
PRED_OPCODE = "opcode"
PRED_REASON = "reason"
PREDICATES = (PRED_JOBID, PRED_OPCODE, PRED_REASON)

WATERMARK_VALUE = "watermark"


def _Getter(name: str):
    def fn(_ctx, item):
        if isinstance(item, dict) and name in item:
            return item[name]
        return query.FS_UNAVAIL
    return fn


class _AnyFields(dict):
    """Field table offering every name (opcode parameters vary)."""

    def get(self, name, default=None):  # type: ignore[override]
        if not isinstance(name, str):
            return default
        return query.MakeField(name, name, query.QFT_OTHER, name, None,
                               _Getter(name))


def _FixedFields(names: Sequence[str]) -> Dict[str, Any]:
    return {name: query.MakeField(name, name, query.QFT_OTHER, name, None,
                                  _Getter(name)) for name in names}


_PREDICATE_FIELDS = {
    PRED_JOBID: _FixedFields(["id"]),
    PRED_OPCODE: _AnyFields(),
    PRED_REASON: _FixedFields(["source", "reason", "timestamp"]),
}


def _SubstituteWatermark(qfilter: Any, watermark: int) -> Any:
    if isinstance(qfilter, (list, tuple)):
        return [_SubstituteWatermark(sub, watermark) for sub in qfilter]
    if qfilter == WATERMARK_VALUE:
        return watermark
    return qfilter


def _Compile(predicate: Any, watermark: int):
    if not isinstance(predicate, (list, tuple)) or len(predicate) != 2 or \
            predicate[0] not in PREDICATES:
        raise errors.OpPrereqError(
            "Invalid filter predicate %r: expected [name, filter] with name"
            " one of %s" % (predicate, ", ".join(PREDICATES)),
            errors.ECODE_INVAL)
    name, qfilter = predicate
    if name == PRED_JOBID:
        qfilter = _SubstituteWatermark(qfilter, watermark)
    try:
        fn, _ = query.CompileFilter(_PREDICATE_FIELDS[name], qfilter)
    except errors.ParameterError as err:
        raise errors.OpPrereqError("Invalid filter predicate %r: %s" %
                                   (list(predicate), err), errors.ECODE_INVAL)
    return name, fn


def CheckAction(action: Any) -> Any:
    """The action in its stored form; OpPrereqError if invalid."""
    if isinstance(action, str) and action in SIMPLE_ACTIONS:
        return action
    if (isinstance(action, (list, tuple)) and len(action) == 2
            and action[0] == RATE_LIMIT and isinstance(action[1], int)
            and not isinstance(action[1], bool) and action[1] >= 0):
        return [RATE_LIMIT, action[1]]
    raise errors.OpPrereqError(
        "Invalid filter action %r: expected one of %s or"
        " [\"RATE_LIMIT\", n]" % (action, ", ".join(SIMPLE_ACTIONS)),
        errors.ECODE_INVAL)


def CheckRule(priority: Any, predicates: Any, action: Any,
              reason_trail: Any) -> Any:
    """Validate the parts of a rule; returns the stored action."""
    if not isinstance(priority, int) or isinstance(priority, bool) or \
            priority < 0:
        raise errors.OpPrereqError("Invalid filter priority %r: must be a"
                                   " non-negative integer" % (priority,),
                                   errors.ECODE_INVAL)
    if not isinstance(predicates, list):
        raise errors.OpPrereqError("Filter predicates must be a list, got %r"
                                   % (predicates,), errors.ECODE_INVAL)
    for predicate in predicates:
        _Compile(predicate, 0)
    if not isinstance(reason_trail, list) or not all(
            isinstance(entry, (list, tuple)) and len(entry) == 3
            for entry in reason_trail):
        raise errors.OpPrereqError("Invalid filter reason trail %r: expected"
                                   " a list of [source, reason, timestamp]"
                                   % (reason_trail,), errors.ECODE_INVAL)
    return CheckAction(action)


def _Attr(rule: Any, name: str) -> Any:
    return rule.get(name) if isinstance(rule, dict) else getattr(rule, name)


def SortRules(rules: Iterable[Any]) -> List[Any]:
    """Rules in evaluation order: priority, then watermark, then uuid."""
    return sorted(rules, key=lambda r: (_Attr(r, "priority"),
                                        _Attr(r, "watermark"),
                                        _Attr(r, "uuid")))


def RuleMatches(rule: Any, job_id: int, ops: Sequence[dict]) -> bool:
    """Whether the rule applies to the job (newer than the rule's watermark)
    and all its predicates hold (ops: opcode dicts)."""
    watermark = _Attr(rule, "watermark") or 0
    if job_id <= watermark:
        return False
    for predicate in _Attr(rule, "predicates") or []:
        try:
            name, fn = _Compile(predicate, watermark)
        except errors.OpPrereqError:
            return False
        if fn is None:
            continue
        if name == PRED_JOBID:
            items: List[dict] = [{"id": job_id}]
        elif name == PRED_OPCODE:
            items = list(ops)
        else:
            items = [{"source": e[0], "reason": e[1], "timestamp": e[2]}
                     for op in ops for e in (op.get("reason") or [])
                     if isinstance(e, (list, tuple)) and len(e) == 3]
        if not any(fn(None, item) for item in items):
            return False
    return True


def ApplyingRule(rules: Iterable[Any], job_id: int,
                 ops: Sequence[dict]) -> Optional[Any]:
    """The deciding rule for the job: first matching non-CONTINUE one."""
    for rule in SortRules(rules):
        if _Attr(rule, "action") == CONTINUE:
            continue
        if RuleMatches(rule, job_id, ops):
            return rule
    return None


def Decide(rules: Sequence[Any], job_id: int, ops: Sequence[dict],
           running: Sequence[Any]) -> str:
    """ACCEPT, PAUSE or REJECT for a queued job.

    running: (job_id, ops) of the running jobs; a RATE_LIMIT n rule holds
    the job back (PAUSE) while n running jobs have this rule applying.
    """
    rule = ApplyingRule(rules, job_id, ops)
    if rule is None:
        return ACCEPT
    action = _Attr(rule, "action")
    if isinstance(action, (list, tuple)) and action[0] == RATE_LIMIT:
        uuid = _Attr(rule, "uuid")
        count = 0
        for other_id, other_ops in running:
            other = ApplyingRule(rules, other_id, other_ops)
            if other is not None and _Attr(other, "uuid") == uuid:
                count += 1
        return ACCEPT if count < action[1] else PAUSE
    if action in (PAUSE, REJECT):
        return action
    return ACCEPT
