"""ExtStorage providers, master side: OpExtStorageDiagnose and the
"extstorage" query resource (gnt-storage diagnose/info).

The nodes report their providers with the ``extstorage_diagnose`` RPC;
per provider the answers are combined into one `ExtStorageInfo`: per node
its entries, per node group whether every answering node of the group has
a valid provider first in its search path, and the parameters all nodes
with a valid provider share.
"""

from typing import Any, Dict, List, Optional, Sequence

from ganeti import qlang
from ganeti import query
from ganeti.cmdlib.base import NoHooksLU
from ganeti.cmdlib.os import _DiagnoseNodes
from ganeti.query.misc import SimpleQueryData


class ExtStorageInfo:
    """One ExtStorage provider as the query sees it."""

    def __init__(self, name: str, node_status: Dict[str, List[list]],
                 nodegroup_status: Dict[str, bool],
                 parameters: List[list]) -> None:
        self.name = name
        self.node_status = node_status
        self.nodegroup_status = nodegroup_status
        self.parameters = parameters


def _ByProvider(results: Dict[str, Any]) -> Dict[str, Dict[str, list]]:
    """{provider: {node uuid: [(path, status, diagnose, params), ...]}};
    every node that answered appears under every provider."""
    good = [uuid for uuid, res in results.items() if not res.fail_msg]
    providers: Dict[str, Dict[str, list]] = {}
    for uuid, res in results.items():
        if res.fail_msg or not res.payload:
            continue
        for name, path, status, diagnose, params in res.payload:
            per_node = providers.setdefault(name, {u: [] for u in good})
            per_node[uuid].append([path, status, diagnose,
                                   [list(p) for p in params]])
    return providers


def BuildExtStorageInfos(cfg, rpc, names: Optional[Sequence[str]] = None
                         ) -> List[ExtStorageInfo]:
    """One ExtStorageInfo per provider found on any node."""
    nodes = _DiagnoseNodes(cfg)
    results = rpc.call_extstorage_diagnose(nodes) if nodes else {}
    wanted = set(names) if names else None
    groups = cfg.GetAllNodeGroupsInfo()
    infos = []
    for name, per_node in sorted(_ByProvider(results).items()):
        if wanted is not None and name not in wanted:
            continue
        group_status = {}
        for group in groups.values():
            statuses = [bool(per_node[uuid] and per_node[uuid][0][1])
                        for uuid in per_node
                        if cfg.GetNodeInfo(uuid).group == group.uuid]
            group_status[group.name] = all(statuses)
        parameters = None
        for entries in per_node.values():
            if not (entries and entries[0][1]):
                break
            params = {tuple(p) for p in entries[0][3]}
            parameters = params if parameters is None \
                else parameters & params
        infos.append(ExtStorageInfo(
            name=name,
            node_status={cfg.GetNodeName(uuid): entries
                         for uuid, entries in per_node.items()},
            nodegroup_status=group_status,
            parameters=[list(p) for p in sorted(parameters or [])]))
    return infos


def ExtStorageQueryData(context, q, names) -> SimpleQueryData:
    """Query context for the "extstorage" resource (cmdlib.query's _CTX)."""
    return SimpleQueryData(BuildExtStorageInfos(context.cfg, context.rpc,
                                                names))


class LUExtStorageDiagnose(NoHooksLU):
    """Logical unit for OpExtStorageDiagnose (gnt-storage)."""
    REQ_BGL = False

    def CheckArguments(self) -> None:
        self.eq = query.MakeQuery(
            "extstorage", self.op.output_fields,
            qlang.MakeSimpleFilter("name", self.op.names)
            if self.op.names else None)

    def ExpandNames(self) -> None:
        self.needed_locks = {}

    def Exec(self, feedback_fn):
        return self.eq.OldStyleQuery(SimpleQueryData(BuildExtStorageInfos(
            self.cfg, self.rpc, self.op.names or None)))
