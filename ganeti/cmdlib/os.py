"""Operating system definitions, master side: OpOsDiagnose and the "os"
query resource, plus the OS checks other logical units need.

The nodes report their OS directories with the ``os_diagnose`` RPC; per
OS the answers are combined into one `query_misc.OsInfo`: valid if every
(online, vm-capable) node has a valid definition first in its search
path; variants, parameters and API versions are those all nodes share.
"""

from typing import Any, Dict, Iterable, List, Optional, Sequence

from ganeti import errors
from ganeti import osdef
from ganeti import qlang
from ganeti import query
from ganeti.cmdlib.base import NodeName, NoHooksLU
from ganeti.query.misc import OsInfo, SimpleQueryData

#: Per node: [(path, status, diagnose, variants, parameters, api_versions,
#: trusted), ...] in search-path order (first one is used).
NodeOsEntries = Dict[str, List[tuple]]


def _DiagnoseNodes(cfg) -> List[str]:
    """UUIDs of the nodes whose OSes count: online and vm-capable."""
    return [node.uuid for node in cfg.GetAllNodesInfo().values()
            if not node.offline and getattr(node, "vm_capable", True)
            is not False]


def DiagnoseByOs(results: Dict[str, Any]) -> Dict[str, NodeOsEntries]:
    """{os name: {node uuid: [entry, ...]}} from os_diagnose results.

    Every node that answered appears under every OS (with an empty list
    where it lacks the OS); nodes that failed to answer are left out.
    """
    good = [node for node, res in results.items() if not res.fail_msg]
    all_os: Dict[str, NodeOsEntries] = {}
    for node, res in results.items():
        if res.fail_msg or not res.payload:
            continue
        for (name, path, status, diagnose, variants, params, api_versions,
             trusted) in res.payload:
            per_node = all_os.setdefault(name, {n: [] for n in good})
            per_node[node].append((path, status, diagnose, variants,
                                   [tuple(p) for p in params], api_versions,
                                   trusted))
    return all_os


def _Intersect(current: Optional[set], new: Iterable) -> set:
    new = set(new)
    return new if current is None else current & new


def BuildOsInfos(cfg, rpc, names: Optional[Sequence[str]] = None
                 ) -> List[OsInfo]:
    """One OsInfo per OS found on any node (only names, if given)."""
    cluster = cfg.GetClusterInfo()
    nodes = _DiagnoseNodes(cfg)
    results = rpc.call_os_diagnose(nodes) if nodes else {}
    wanted = set(names) if names else None
    infos = []
    for os_name, per_node in DiagnoseByOs(results).items():
        if wanted is not None and os_name not in wanted:
            continue
        valid = True
        trusted = True
        variants = params = apis = None
        for entries in per_node.values():
            if not entries or not entries[0][1]:
                valid = False
                continue
            _, _, _, n_variants, n_params, n_apis, n_trusted = entries[0]
            variants = _Intersect(variants, n_variants)
            params = _Intersect(params, n_params)
            apis = _Intersect(apis, n_apis)
            trusted = trusted and bool(n_trusted)
        infos.append(OsInfo(
            name=os_name, valid=valid,
            hidden=os_name in (cluster.hidden_os or []),
            blacklisted=os_name in (cluster.blacklisted_os or []),
            variants=sorted(variants or [], key=query.NiceSortKey),
            parameters=[list(p) for p in sorted(params or [])],
            api_versions=sorted(apis or []),
            node_status={node: [list(e) for e in entries]
                         for node, entries in per_node.items()},
            os_hvp=dict((cluster.os_hvp or {}).get(os_name) or {}),
            osparams=dict((cluster.osparams or {}).get(os_name) or {}),
            trusted=trusted))
    return infos


def OsQueryData(context, q, names) -> SimpleQueryData:
    """Query context for the "os" resource (cmdlib.query's _CTX)."""
    return SimpleQueryData(BuildOsInfos(context.cfg, context.rpc, names))


def _LegacyFilter(fields: Sequence[str], names: Sequence[str]):
    """OpOsDiagnose hides hidden, blacklisted and invalid OSes unless the
    matching field is requested (upstream's legacy behaviour)."""
    parts = [[qlang.OP_NOT, [qlang.OP_TRUE, fname]]
             for fname in ("hidden", "blacklisted") if fname not in fields]
    if "valid" not in fields:
        parts.append([qlang.OP_TRUE, "valid"])
    status = [qlang.OP_AND] + parts if parts else None
    name_filter = qlang.MakeSimpleFilter("name", names) if names else None
    if name_filter and status:
        return [qlang.OP_AND, name_filter, status]
    return name_filter or status


class LUOsDiagnose(NoHooksLU):
    """Logical unit for OpOsDiagnose (gnt-os list/diagnose/info)."""
    REQ_BGL = False

    def CheckArguments(self) -> None:
        self.oq = query.MakeQuery("os", self.op.output_fields,
                                  _LegacyFilter(self.op.output_fields,
                                                self.op.names))

    def ExpandNames(self) -> None:
        self.needed_locks = {}

    def Exec(self, feedback_fn):
        names = self.op.names or None
        return self.oq.OldStyleQuery(
            SimpleQueryData(BuildOsInfos(self.cfg, self.rpc, names)))


# ------------------------------------------------- checks for other LUs


def _OsEntry(lu, node_uuid: str, os_name: str):
    """(variants, parameters) of an OS on a node; OpPrereqError if the
    node has no valid definition of it."""
    base = os_name.split("+", 1)[0]
    getter = getattr(lu.rpc, "call_os_get", None)
    node_name = NodeName(lu.cfg, node_uuid)
    if getter is not None:
        result = getter(node_uuid, base)
        result.Raise("OS '%s' not in supported OS list for node %s"
                     % (os_name, node_name), prereq=True,
                     ecode=errors.ECODE_INVAL)
        osobj = result.payload
        get = (osobj.get if isinstance(osobj, dict)
               else lambda k, d=None: getattr(osobj, k, d))
        return (get("supported_variants") or [],
                get("supported_parameters") or [])
    result = lu.rpc.call_os_diagnose([node_uuid])[node_uuid]
    result.Raise("OS '%s' not in supported OS list for node %s"
                 % (os_name, node_name), prereq=True,
                 ecode=errors.ECODE_INVAL)
    for entry in result.payload or []:
        if isinstance(entry, dict):
            name, status, diag = (entry.get("name"), entry.get("status"),
                                  entry.get("diagnose"))
            variants = entry.get("variants") or []
            params = entry.get("parameters") or []
        else:
            name, _, status, diag, variants, params = list(entry)[:6]
        if name != base:
            continue
        if not status:
            raise errors.OpPrereqError("OS '%s' not in supported OS list for"
                                       " node %s: %s" % (os_name, node_name,
                                                         diag),
                                       errors.ECODE_INVAL)
        return variants or [], params or []
    raise errors.OpPrereqError("OS '%s' not in supported OS list for node %s:"
                               " OS dir not found in search path"
                               % (os_name, node_name), errors.ECODE_INVAL)


def CheckOsVariant(os_name: str, variants: List[str]) -> None:
    """os_name names one of the OS's variants (or none if it has none)."""
    base, _, variant = os_name.partition("+")
    if not variants:
        if variant:
            raise errors.OpPrereqError("OS '%s' doesn't support variants ('%s'"
                                       " passed)" % (base, variant),
                                       errors.ECODE_INVAL)
        return
    if not variant:
        raise errors.OpPrereqError("OS name must include a variant",
                                   errors.ECODE_INVAL)
    if variant not in variants:
        raise errors.OpPrereqError("Unsupported OS variant",
                                   errors.ECODE_INVAL)


def CheckNodeHasOs(lu, node_uuid: str, os_name: str,
                   force_variant: bool) -> List:
    """The OS exists on the node (and the variant is valid); returns the
    OS's declared parameters."""
    variants, params = _OsEntry(lu, node_uuid, os_name)
    if not force_variant:
        CheckOsVariant(os_name, variants)
    return params


def CheckOsParams(lu, required: bool, node_uuids: Sequence[str],
                  osname: str, osparams: Dict[str, Any],
                  force_variant: bool,
                  declared: Optional[Sequence] = None) -> None:
    """Validate an OS and its parameters on nodes (os_validate).

    With declared (the OS's parameters, as CheckNodeHasOs returns them),
    parameters the OS doesn't declare are refused first.  Offline nodes
    are skipped; with required, a node lacking the OS is an error,
    otherwise only nodes that have it check the parameters.
    """
    if declared is not None and osparams:
        names = {p[0] if isinstance(p, (list, tuple)) else p
                 for p in declared}
        unknown = sorted(set(osparams) - names)
        if unknown:
            raise errors.OpPrereqError("The following parameters are not"
                                       " supported by the OS %s: %s"
                                       % (osname, ", ".join(unknown)),
                                       errors.ECODE_INVAL)
    node_uuids = [uuid for uuid in node_uuids
                  if not getattr(lu.cfg.GetNodeInfo(uuid), "offline", False)]
    if not node_uuids:
        return
    checks = [osdef.OS_VALIDATE_PARAMETERS]
    results = lu.rpc.call_os_validate(node_uuids, required, osname, checks,
                                      osparams, force_variant)
    for uuid, res in results.items():
        name = NodeName(lu.cfg, uuid)
        _RaisePrereq(res, "OS Parameters validation failed on node %s" %
                     name)
        if not res.payload:
            lu.LogInfo("OS %s not found on node %s, validation skipped",
                       osname, name)


def _RaisePrereq(res, msg: str) -> None:
    if res.fail_msg:
        raise errors.OpPrereqError("%s: %s" % (msg, res.fail_msg),
                                   errors.ECODE_INVAL)


def _MergeParams(current: Dict[str, Any], changes: Dict[str, Any]
                 ) -> Dict[str, Any]:
    """current updated by changes; "default" or None values remove a key."""
    result = dict(current)
    for key, value in changes.items():
        if value is None or value == "default":
            result.pop(key, None)
        else:
            result[key] = value
    return result


def ApplyClusterOsParams(cluster, op) -> None:
    """Apply OpClusterSetParams' os_hvp, osparams and
    osparams_private_cluster (gnt-os modify -H/-O) to the cluster object.

    Values "default" remove a parameter; an OS left without parameters is
    dropped from the dictionary.
    """
    for attr in ("osparams", "osparams_private_cluster"):
        changes = getattr(op, attr, None)
        if not changes:
            continue
        current = dict(getattr(cluster, attr) or {})
        for os_name, params in changes.items():
            merged = _MergeParams(current.get(os_name) or {}, params or {})
            if merged:
                current[os_name] = merged
            else:
                current.pop(os_name, None)
        setattr(cluster, attr, current)
    if getattr(op, "os_hvp", None):
        current = {os_name: dict(hvs) for os_name, hvs in
                   (cluster.os_hvp or {}).items()}
        for os_name, hvs in op.os_hvp.items():
            per_os = current.setdefault(os_name, {})
            for hv_name, params in (hvs or {}).items():
                merged = _MergeParams(per_os.get(hv_name) or {},
                                      params or {})
                if merged:
                    per_os[hv_name] = merged
                else:
                    per_os.pop(hv_name, None)
            if not per_os:
                current.pop(os_name, None)
        cluster.os_hvp = current


def CheckClusterOsParams(lu, op) -> None:
    """Prerequisite of OpClusterSetParams' OS parameters: every OS named
    in osparams/osparams_private_cluster validates them on all nodes that
    have it.  Hypervisor parameters per OS (os_hvp) are converted to
    their declared types and the resulting set is syntax-checked; an
    unknown hypervisor is a HypervisorError ("Unknown hypervisor type")."""
    from ganeti import hypervisor
    from ganeti.cmdlib.instance_params import ForceHvParamTypes
    cluster = lu.cfg.GetClusterInfo()
    for os_name, hvs in (getattr(op, "os_hvp", None) or {}).items():
        for hv_name, params in (hvs or {}).items():
            if params is None:
                continue
            ForceHvParamTypes(hv_name, params, allow_default=True)
            current = ((cluster.os_hvp or {}).get(os_name) or {}).get(hv_name)
            filled = dict(cluster.hvparams.get(hv_name) or {})
            filled.update(_MergeParams(current or {}, params))
            hypervisor.GetHypervisorClass(hv_name).CheckParameterSyntax(
                filled)
    nodes = _DiagnoseNodes(lu.cfg)
    names = set(getattr(op, "osparams", None) or {})
    names.update(getattr(op, "osparams_private_cluster", None) or {})
    for os_name in sorted(names):
        params = dict((cluster.osparams or {}).get(os_name) or {})
        params.update((cluster.osparams_private_cluster or {})
                      .get(os_name) or {})
        for attr in ("osparams", "osparams_private_cluster"):
            params = _MergeParams(params, ((getattr(op, attr, None) or {})
                                           .get(os_name) or {}))
        CheckOsParams(lu, False, nodes, os_name, params, False)
