"""Answering queries on the master: gather the data a query needs (config,
live node data over RPC, jobs, locks) and run it through ganeti.query.

Used by the LUXI Query/QueryFields/Query<Resource> methods and by the
OpQuery/OpQueryFields logical units.
"""

import os
from typing import Any, Dict, List, Optional

from ganeti import constants as C
from ganeti import errors
from ganeti import pathutils
from ganeti import query
from ganeti.cmdlib.base import NoHooksLU
from ganeti.cmdlib.cluster import ClusterInfo as _ClusterInfo
from ganeti.cmdlib.extstorage import ExtStorageQueryData as _es_ctx
from ganeti.cmdlib.os import OsQueryData as _os_ctx
from ganeti.cmdlib.tags import GetTaggedObject


def _NameMatches(name: str, wanted: str) -> bool:
    """A full name matches itself and its short form ("node1")."""
    return name == wanted or name.startswith(wanted + ".")


def SelectWanted(items, names: Optional[List[str]], kind: str) -> list:
    """The items named (by UUID, full or short name), in the order given.

    Without names: all items.  A name matching nothing raises upstream's
    OpPrereqError "<kind> name <name> not found" (ECODE_NOENT); a short
    name matching several items "<kind> name <name> has multiple matches".
    """
    items = list(items)
    if not names:
        return items
    selected = []
    for wanted in names:
        exact = [i for i in items if wanted in (i.uuid, i.name)]
        matches = exact or [i for i in items if _NameMatches(i.name, wanted)]
        if not matches:
            raise errors.OpPrereqError("%s name %s not found" %
                                       (kind, wanted), errors.ECODE_NOENT)
        if len(matches) > 1:
            raise errors.OpPrereqError("%s name %s has multiple matches" %
                                       (kind, wanted), errors.ECODE_NOENT)
        if matches[0] not in selected:
            selected.append(matches[0])
    return selected


def FieldsFor(what: str):
    return query.GetFieldDefs(what)


def _node_live_data(context, nodes) -> Dict[str, dict]:
    """node_info of every online node, as the node query's live keys."""
    cfg = context.cfg
    cluster = cfg.GetClusterInfo()
    online = [n for n in nodes if not n.offline]
    if not online:
        return {}
    storage_units = _default_storage_units(cluster)
    hv_name = cluster.enabled_hypervisors[0]
    hv_specs = [[hv_name, cluster.hvparams.get(hv_name, {})]]
    results = context.rpc.call_node_info([n.uuid for n in online],
                                         storage_units, hv_specs,
                                         skip_unreachable=True)
    live = {}
    for node in online:
        res = results.get(node.uuid)
        if res is None or res.fail_msg or not res.payload:
            continue
        bootid, storage, hvinfo = res.payload
        entry: Dict[str, Any] = {"bootid": bootid}
        if hvinfo:
            hv = hvinfo[0]
            entry.update(mtotal=hv.get("memory_total"),
                         mnode=hv.get("memory_dom0"),
                         mfree=hv.get("memory_free"),
                         ctotal=hv.get("cpu_total"),
                         cnodes=hv.get("cpu_nodes"),
                         csockets=hv.get("cpu_sockets"),
                         cnos=hv.get("cpu_dom0"))
        if storage:
            # The default storage unit (first enabled template) gives the
            # disk figures; spindles are reported for LVM only.
            entry.update(dtotal=storage[0].get("storage_size"),
                         dfree=storage[0].get("storage_free"))
            for unit in storage:
                if unit.get("type") == C.ST_LVM_PV:
                    entry.update(sptotal=unit.get("storage_size"),
                                 spfree=unit.get("storage_free"))
        live[node.uuid] = entry
    return live


def _default_storage_units(cluster) -> list:
    """[[type, key, params]] of the first enabled disk template's storage."""
    for template in cluster.enabled_disk_templates:
        if template in (C.DT_PLAIN, C.DT_DRBD8) and cluster.volume_group_name:
            return [[C.ST_LVM_VG, cluster.volume_group_name, [False]]]
        if template == C.DT_FILE and cluster.file_storage_dir:
            return [[C.ST_FILE, cluster.file_storage_dir, []]]
        if template == C.DT_SHARED_FILE and cluster.shared_file_storage_dir:
            return [[C.ST_SHARED_FILE, cluster.shared_file_storage_dir, []]]
    return []


def _instances_by_node(cfg):
    primary: Dict[str, set] = {}
    secondary: Dict[str, set] = {}
    for inst in cfg.GetAllInstancesInfo().values():
        primary.setdefault(inst.primary_node, set()).add(inst.uuid)
        for node in cfg.GetInstanceSecondaryNodes(inst.uuid):
            secondary.setdefault(node, set()).add(inst.uuid)
    return primary, secondary


def _node_ctx(context, q, names: Optional[List[str]]):
    from ganeti.query.node import NodeQueryData, NQ_LIVE
    cfg = context.cfg
    nodes = SelectWanted(cfg.GetAllNodesInfo().values(), names, "Node")
    live = _node_live_data(context, nodes) if NQ_LIVE in q.RequestedData() \
        else None
    primary, secondary = _instances_by_node(cfg)
    inst_names = {i.uuid: i.name for i in cfg.GetAllInstancesInfo().values()}
    return NodeQueryData(nodes, live_data=live,
                         master_uuid=cfg.GetMasterNode(),
                         node_to_primary=primary, node_to_secondary=secondary,
                         inst_uuid_to_inst_name=inst_names,
                         groups=cfg.GetAllNodeGroupsInfo(),
                         oob_support={n.uuid: bool(cfg.GetClusterInfo().FillND(
                             n, cfg.GetNodeGroup(n.group)).get("oob_program"))
                             for n in nodes},
                         cluster=cfg.GetClusterInfo())


def _group_ctx(context, q, names):
    from ganeti.query.node import GroupQueryData
    cfg = context.cfg
    groups = SelectWanted(cfg.GetAllNodeGroupsInfo().values(), names,
                          "NodeGroup")
    g2n: Dict[str, List[str]] = {g.uuid: [] for g in groups}
    for node in cfg.GetAllNodesInfo().values():
        g2n.setdefault(node.group, []).append(node.name)
    g2i: Dict[str, List[str]] = {g.uuid: [] for g in groups}
    nodes = cfg.GetAllNodesInfo()
    for inst in cfg.GetAllInstancesInfo().values():
        node = nodes.get(inst.primary_node)
        if node is not None:
            g2i.setdefault(node.group, []).append(inst.name)
    return GroupQueryData(cfg.GetClusterInfo(), groups, group_to_nodes=g2n,
                          group_to_instances=g2i)


def _running_instances(payload) -> Dict[str, dict]:
    """all_instances_info payload -> {instance name: live info}."""
    if isinstance(payload, dict):
        return {name: (info if isinstance(info, dict) else {})
                for name, info in payload.items()}
    result = {}
    for entry in payload or []:
        # (name, id, memory, vcpus, state, time) tuples
        if isinstance(entry, (list, tuple)) and len(entry) >= 5:
            result[entry[0]] = {"memory": entry[2], "vcpus": entry[3],
                                "state": entry[4]}
    return result


def _instance_live_data(context, instances, nodes):
    """(live_data, bad node uuids, wrong-node instance uuids)."""
    cfg = context.cfg
    cluster = cfg.GetClusterInfo()
    wanted_nodes = sorted({i.primary_node for i in instances} |
                          {u for u, n in nodes.items() if not n.offline})
    online = [u for u in wanted_nodes
              if u in nodes and not nodes[u].offline]
    bad = set()
    found: Dict[str, Dict[str, dict]] = {}
    if online:
        results = context.rpc.call_all_instances_info(
            online, list(cluster.enabled_hypervisors), cluster.hvparams,
            skip_unreachable=True)
        for node_uuid in online:
            res = results.get(node_uuid)
            if res is None or res.fail_msg:
                bad.add(node_uuid)
                continue
            found[node_uuid] = _running_instances(res.payload)
    live: Dict[str, dict] = {}
    wrongnode = set()
    for inst in instances:
        on_primary = found.get(inst.primary_node, {})
        if inst.name in on_primary:
            live[inst.uuid] = on_primary[inst.name]
            continue
        for node_uuid, running in found.items():
            if node_uuid != inst.primary_node and inst.name in running:
                live[inst.uuid] = running[inst.name]
                wrongnode.add(inst.uuid)
                break
    return live, bad, wrongnode


def _instance_ctx(context, q, names):
    from ganeti import iallocator
    from ganeti.query.instance import (IQ_CONSOLE, IQ_DISKUSAGE, IQ_LIVE,
                                       InstanceQueryData)
    cfg = context.cfg
    instances = SelectWanted(cfg.GetAllInstancesInfo().values(), names,
                             "Instance")
    nodes = cfg.GetAllNodesInfo()
    requested = q.RequestedData()
    inst_disks = {i.uuid: cfg.GetInstanceDisks(i.uuid) for i in instances}
    inst_secondaries = {i.uuid: cfg.GetInstanceSecondaryNodes(i.uuid)
                        for i in instances}
    live = None
    bad: set = set()
    wrongnode: set = set()
    if IQ_LIVE in requested or IQ_CONSOLE in requested:
        live, bad, wrongnode = _instance_live_data(context, instances, nodes)
    disk_usage = None
    if IQ_DISKUSAGE in requested:
        disk_usage = {i.uuid: iallocator.ComputeDiskSize(
            cfg.GetInstanceDiskTemplate(i.uuid),
            [{"size": d.size} for d in inst_disks[i.uuid]])
            for i in instances}
    console = None
    if IQ_CONSOLE in requested:
        from ganeti.cmdlib.instance_ops import GetInstanceConsole
        cluster = cfg.GetClusterInfo()
        console = {}
        for inst in instances:
            if live and inst.uuid in live and inst.uuid not in wrongnode:
                pnode = nodes.get(inst.primary_node)
                group = cfg.GetNodeGroup(pnode.group) if pnode else None
                console[inst.uuid] = GetInstanceConsole(cluster, inst, pnode,
                                                        group)
            else:
                console[inst.uuid] = None
    return InstanceQueryData(instances, cfg.GetClusterInfo(), nodes=nodes,
                             groups=cfg.GetAllNodeGroupsInfo(),
                             networks=cfg.GetAllNetworksInfo(),
                             offline_node_uuids=[u for u, n in nodes.items()
                                                 if n.offline],
                             bad_node_uuids=bad, live_data=live,
                             wrongnode_inst=wrongnode, disk_usage=disk_usage,
                             console=console, inst_disks=inst_disks,
                             inst_secondaries=inst_secondaries)


def _cluster_ctx(context, q, names):
    from ganeti.query.node import ClusterQueryData
    cfg = context.cfg
    return ClusterQueryData(cfg.GetClusterInfo(), cfg.GetAllNodesInfo(),
                            drain_flag=os.path.exists(
                                pathutils.JOB_QUEUE_DRAIN_FILE))


def _job_ctx(context, q, names):
    from ganeti.query.misc import JobQueryData
    ids = None
    if names:
        try:
            ids = [int(n) for n in names]
        except (TypeError, ValueError):
            ids = None
    jobs = context.jobqueue.GetJobsSerialized(ids)
    if ids:
        # Unknown ids stay as rows of their own, every other field unavailable
        return JobQueryData((job_id, job, bool(job and job.get("archived")))
                            for job_id, job in zip(ids, jobs))
    return JobQueryData(jobs)


def _network_ctx(context, q, names):
    from ganeti.query.misc import NetworkQueryData
    cfg = context.cfg
    from ganeti.cmdlib.network import NetworkQueryInputs
    networks = SelectWanted(cfg.GetAllNetworksInfo().values(), names,
                            "Network")
    return NetworkQueryData(networks, *NetworkQueryInputs(cfg, networks))


def _lock_ctx(context, q, names):
    from ganeti.query.misc import SimpleQueryData
    rows = context.glm.QueryLocks(["name", "mode", "owner", "pending"])
    return SimpleQueryData([tuple(r) for r in rows])


def _filter_ctx(context, q, names):
    from ganeti.query.misc import SimpleQueryData
    rules = context.cfg.GetAllFiltersInfo()
    for uuid in names or []:
        if uuid not in rules:
            raise errors.OpPrereqError("Filter uuid %s not found" % uuid,
                                       errors.ECODE_NOENT)
    # Requested rules in the order asked for (else sorted by the query).
    wanted = names or list(rules)
    return SimpleQueryData([rules[uuid] for uuid in wanted])


def _ExportNodes(context, names) -> List[str]:
    cfg = context.cfg
    return [n.uuid for n in SelectWanted(
        [cfg.GetNodeInfo(u) for u in cfg.GetNodeList()], names, "node")]


def _export_ctx(context, q, names):
    from ganeti.query.misc import SimpleQueryData
    from ganeti.cmdlib.backup import ExportRows  # pylint: disable=C0415
    return SimpleQueryData(ExportRows(context, _ExportNodes(context, names)))


def QueryExports(context, names) -> Dict[str, Any]:
    """LUXI QueryExports: {node name: export names or False}."""
    from ganeti.cmdlib.backup import ExportList  # pylint: disable=C0415
    return {context.cfg.GetNodeInfo(node).name:
            (False if exports is None else exports)
            for node, exports in ExportList(
                context, _ExportNodes(context, names)).items()}


def _empty_ctx(context, q, names):
    from ganeti.query.misc import SimpleQueryData
    return SimpleQueryData([])


_CTX = {
    C.QR_NODE: _node_ctx,
    C.QR_GROUP: _group_ctx,
    C.QR_INSTANCE: _instance_ctx,
    C.QR_CLUSTER: _cluster_ctx,
    C.QR_JOB: _job_ctx,
    C.QR_LOCK: _lock_ctx,
    C.QR_OS: _os_ctx,
    C.QR_EXTSTORAGE: _es_ctx,
    C.QR_NETWORK: _network_ctx,
    C.QR_FILTER: _filter_ctx,
    C.QR_EXPORT: _export_ctx,
}


def _Prepare(context, what: str, fields, qfilter):
    if what not in _CTX and what not in (C.QR_NETWORK, C.QR_EXPORT,
                                          C.QR_FILTER, C.QR_OS):
        raise errors.OpPrereqError("Resource type '%s' unknown" % (what,),
                                   errors.ECODE_INVAL)
    q = query.MakeQuery(what, fields, qfilter)
    ctx = _CTX.get(what, _empty_ctx)(context, q, q.RequestedNames())
    return q, ctx


def _SortByName(what: str, q) -> bool:
    """Rows come sorted by name unless names were given (then in their
    order, as upstream) or the resource is jobs (always by id)."""
    return what != C.QR_JOB and not q.RequestedNames()


def RunQuery(context, what: str, fields, qfilter) -> dict:
    q, ctx = _Prepare(context, what, fields, qfilter)
    return query.GetQueryResponse(q, ctx, sort_by_name=_SortByName(what, q))


def RunOldStyleQuery(context, what: str, names, fields) -> list:
    qfilter = None
    if names:
        namefield = query.NAME_FIELDS.get(what, "name")
        qfilter = ["|"] + [["=", namefield, n] for n in names]
    q, ctx = _Prepare(context, what, fields, qfilter)
    return q.OldStyleQuery(ctx, sort_by_name=_SortByName(what, q))


def ClusterInfo(context) -> dict:
    return _ClusterInfo(context.cfg)


def GetTags(context, kind: str, name) -> List[str]:
    return sorted(GetTaggedObject(context.cfg, kind, name).GetTags())


class LUQuery(NoHooksLU):
    """OpQuery: the same answers as LUXI Query, as a job."""
    REQ_BGL = False

    def ExpandNames(self):
        self.needed_locks = {}

    def Exec(self, feedback_fn):
        return RunQuery(self.context, self.op.what, self.op.fields,
                        self.op.qfilter)


class LUQueryFields(NoHooksLU):
    REQ_BGL = False

    def ExpandNames(self):
        self.needed_locks = {}

    def Exec(self, feedback_fn):
        return query.QueryFields(FieldsFor(self.op.what), self.op.fields)
