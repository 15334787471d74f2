"""Answers to confd requests, computed from a config.data snapshot.

The snapshot works on the JSON form of the configuration (as written to
config.data), indexed once per load so that each request is a few lookups.
Lists that come from a configuration container are in UUID order, IP lists
in string order, as upstream's answers are.
"""

from typing import Any, Callable, Dict, List, Optional, Tuple

from ganeti import constants

Answer = Tuple[int, Any]

_OK = constants.CONFD_REPL_STATUS_OK
_ERROR = constants.CONFD_REPL_STATUS_ERROR
UNKNOWN_ENTRY: Answer = (_ERROR, constants.CONFD_ERROR_UNKNOWN_ENTRY)
INTERNAL_ERROR: Answer = (_ERROR, constants.CONFD_ERROR_INTERNAL)
ARGUMENT_ERROR: Answer = (_ERROR, constants.CONFD_ERROR_ARGUMENT)

_DRBD = constants.DT_DRBD8


def _NameIndex(objects: Dict[str, dict]) -> Dict[str, str]:
    return {obj["name"]: uuid for uuid, obj in objects.items()
            if isinstance(obj.get("name"), str)}


def _Lookup(objects: Dict[str, dict], by_name: Dict[str, str],
            key: Any) -> Optional[str]:
    """UUID of the object named key (UUID, full name or unique short name)."""
    if not isinstance(key, str):
        return None
    if key in objects:
        return key
    uuid = by_name.get(key)
    if uuid is not None:
        return uuid
    prefix = key + "."
    matches = [u for n, u in by_name.items() if n.startswith(prefix)]
    return matches[0] if len(matches) == 1 else None


class ConfigSnapshot:
    """One loaded config.data and the indexes confd answers from."""

    def __init__(self, data: Dict[str, Any]) -> None:
        self.data = data
        self.serial = int(data.get("serial_no", 0))
        self.cluster = data["cluster"]
        self.nodes: Dict[str, dict] = data.get("nodes") or {}
        self.instances: Dict[str, dict] = data.get("instances") or {}
        self.disks: Dict[str, dict] = data.get("disks") or {}
        self.node_by_name = _NameIndex(self.nodes)
        self.instance_by_name = _NameIndex(self.instances)
        self.default_link = ((self.cluster.get("nicparams") or {})
                             .get("default", {}).get("link", ""))
        self.link_ips = self._LinkIpMap()

    def _LinkIpMap(self) -> Dict[str, Dict[str, str]]:
        """link -> instance IP -> instance UUID (NIC link filled from the
        cluster default; a later instance wins a duplicate IP)."""
        result: Dict[str, Dict[str, str]] = {}
        for uuid in sorted(self.instances):
            for nic in self.instances[uuid].get("nics") or []:
                ip = nic.get("ip")
                if not ip:
                    continue
                link = (nic.get("nicparams") or {}).get("link") or \
                    self.default_link
                result.setdefault(link, {})[ip] = uuid
        return result

    def InstanceDisks(self, inst: dict) -> List[dict]:
        return [self.disks[d] for d in inst.get("disks") or []
                if d in self.disks]

    def InstanceNodes(self, inst: dict) -> List[str]:
        """The instance's node UUIDs, the primary first."""
        nodes = [inst.get("primary_node")]
        pending = list(self.InstanceDisks(inst))
        while pending:
            disk = pending.pop(0)
            found = list(disk.get("nodes") or [])
            if disk.get("dev_type") == _DRBD:
                found += (disk.get("logical_id") or [])[:2]
            nodes += [n for n in found if n not in nodes]
            pending.extend(disk.get("children") or [])
        return nodes


def _Ping(snap: ConfigSnapshot, _query: Any) -> Answer:
    return _OK, snap.data.get("version")


def _NodeRole(snap: ConfigSnapshot, query: Any) -> Answer:
    uuid = _Lookup(snap.nodes, snap.node_by_name, query)
    if uuid is None:
        return UNKNOWN_ENTRY if isinstance(query, str) else ARGUMENT_ERROR
    node = snap.nodes[uuid]
    if uuid == snap.cluster.get("master_node"):
        role = constants.CONFD_NODE_ROLE_MASTER
    elif node.get("master_candidate"):
        role = constants.CONFD_NODE_ROLE_CANDIDATE
    elif node.get("drained"):
        role = constants.CONFD_NODE_ROLE_DRAINED
    elif node.get("offline"):
        role = constants.CONFD_NODE_ROLE_OFFLINE
    else:
        role = constants.CONFD_NODE_ROLE_REGULAR
    return _OK, role


def _PipOfInstanceIp(snap: ConfigSnapshot, link: str, ip: Any) -> Answer:
    inst_uuid = snap.link_ips.get(link, {}).get(ip) \
        if isinstance(ip, str) else None
    if inst_uuid is None:
        return UNKNOWN_ENTRY
    node = snap.nodes.get(snap.instances[inst_uuid].get("primary_node"))
    if node is None:
        return UNKNOWN_ENTRY
    return _OK, node.get("primary_ip")


def _NodePipByInstanceIp(snap: ConfigSnapshot, query: Any) -> Answer:
    if not isinstance(query, dict):
        return ARGUMENT_ERROR
    link = query.get(constants.CONFD_REQQ_LINK) or snap.default_link
    if not isinstance(link, str):
        return ARGUMENT_ERROR
    ip = query.get(constants.CONFD_REQQ_IP)
    if ip is not None:
        return _PipOfInstanceIp(snap, link, ip)
    ips = query.get(constants.CONFD_REQQ_IPLIST) or []
    if not isinstance(ips, list):
        return ARGUMENT_ERROR
    return _OK, [list(_PipOfInstanceIp(snap, link, one)) for one in ips]


def _ClusterMaster(snap: ConfigSnapshot, query: Any) -> Answer:
    master = snap.nodes.get(snap.cluster.get("master_node"))
    if master is None:
        return INTERNAL_ERROR
    if query is None:
        return _OK, master.get("name")
    if not isinstance(query, dict):
        return ARGUMENT_ERROR
    values = {constants.CONFD_REQFIELD_NAME: master.get("name"),
              constants.CONFD_REQFIELD_IP: snap.cluster.get("master_ip"),
              constants.CONFD_REQFIELD_MNODE_PIP: master.get("primary_ip")}
    fields = query.get(constants.CONFD_REQQ_FIELDS) or []
    if not isinstance(fields, list) or \
            any(str(f) not in values for f in fields):
        return ARGUMENT_ERROR
    return _OK, [values[str(f)] for f in fields]


def _NodePipList(snap: ConfigSnapshot, _query: Any) -> Answer:
    return _OK, [snap.nodes[u].get("primary_ip") for u in sorted(snap.nodes)]


def _McPipList(snap: ConfigSnapshot, _query: Any) -> Answer:
    return _OK, [snap.nodes[u].get("primary_ip") for u in sorted(snap.nodes)
                 if snap.nodes[u].get("master_candidate")]


def _InstancesIpsList(snap: ConfigSnapshot, query: Any) -> Answer:
    if query is None:
        query = snap.default_link
    if not isinstance(query, str):
        return ARGUMENT_ERROR
    return _OK, sorted(snap.link_ips.get(query, {}))


def _DrbdMinors(disk: dict, node: str) -> List[Tuple[int, str]]:
    """(minor, peer UUID) of node in disk and its children."""
    found = []
    lid = disk.get("logical_id") or []
    if disk.get("dev_type") == _DRBD and len(lid) >= 5:
        if lid[0] == node:
            found.append((lid[3], lid[1]))
        elif lid[1] == node:
            found.append((lid[4], lid[0]))
    for child in disk.get("children") or []:
        found.extend(_DrbdMinors(child, node))
    return found


def _NodeDrbd(snap: ConfigSnapshot, query: Any) -> Answer:
    node = _Lookup(snap.nodes, snap.node_by_name, query)
    if node is None:
        return UNKNOWN_ENTRY if isinstance(query, str) else ARGUMENT_ERROR
    minors = []
    for uuid in sorted(snap.instances):
        inst = snap.instances[uuid]
        role = "primary" if inst.get("primary_node") == node else "secondary"
        for idx, disk in enumerate(snap.InstanceDisks(inst)):
            for minor, peer in _DrbdMinors(disk, node):
                minors.append([node, minor, inst.get("name"),
                               "disk/%d" % idx, role, peer])
    return _OK, minors


def _NodeInstances(snap: ConfigSnapshot, query: Any) -> Answer:
    node = _Lookup(snap.nodes, snap.node_by_name, query)
    if node is None:
        return UNKNOWN_ENTRY if isinstance(query, str) else ARGUMENT_ERROR
    primary, secondary = [], []
    for uuid in sorted(snap.instances):
        inst = snap.instances[uuid]
        if inst.get("primary_node") == node:
            primary.append(inst.get("name"))
        elif node in snap.InstanceNodes(inst):
            secondary.append(inst.get("name"))
    return _OK, [primary, secondary]


def _InstanceDisks(snap: ConfigSnapshot, query: Any) -> Answer:
    uuid = _Lookup(snap.instances, snap.instance_by_name, query)
    if uuid is None:
        return UNKNOWN_ENTRY if isinstance(query, str) else ARGUMENT_ERROR
    return _OK, snap.InstanceDisks(snap.instances[uuid])


def _ConfigQuery(snap: ConfigSnapshot, query: Any) -> Answer:
    """The value at a /-separated path into config.data."""
    if not isinstance(query, str):
        return ARGUMENT_ERROR
    value: Any = snap.data
    for part in [p for p in query.split("/") if p]:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and \
                int(part) < len(value):
            value = value[int(part)]
        else:
            return ARGUMENT_ERROR
    return _OK, value


def _DataCollectors(snap: ConfigSnapshot, _query: Any) -> Answer:
    return _OK, snap.cluster.get("data_collectors") or {}


HANDLERS: Dict[int, Callable[[ConfigSnapshot, Any], Answer]] = {
    constants.CONFD_REQ_PING: _Ping,
    constants.CONFD_REQ_NODE_ROLE_BYNAME: _NodeRole,
    constants.CONFD_REQ_NODE_PIP_BY_INSTANCE_IP: _NodePipByInstanceIp,
    constants.CONFD_REQ_CLUSTER_MASTER: _ClusterMaster,
    constants.CONFD_REQ_NODE_PIP_LIST: _NodePipList,
    constants.CONFD_REQ_MC_PIP_LIST: _McPipList,
    constants.CONFD_REQ_INSTANCES_IPS_LIST: _InstancesIpsList,
    constants.CONFD_REQ_NODE_DRBD: _NodeDrbd,
    constants.CONFD_REQ_NODE_INSTANCES: _NodeInstances,
    constants.CONFD_REQ_INSTANCE_DISKS: _InstanceDisks,
    constants.CONFD_REQ_CONFIG_QUERY: _ConfigQuery,
    constants.CONFD_REQ_DATA_COLLECTORS: _DataCollectors,
}


def BuildReply(snap: Optional[ConfigSnapshot],
               request: Dict[str, Any]) -> Dict[str, Any]:
    """The inner reply to a checked request (see packets.CheckRequest).

    Without a configuration (a node that is no master candidate) every
    request gets an internal error with serial 0.
    """
    if snap is None:
        status, answer = INTERNAL_ERROR
    else:
        query = request.get("query")
        if query == "":
            query = None  # an empty plain query is no query
        try:
            status, answer = HANDLERS[request["type"]](snap, query)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            status, answer = INTERNAL_ERROR  # an inconsistent configuration
    return {"protocol": constants.CONFD_PROTOCOL_VERSION, "status": status,
            "answer": answer, "serial": snap.serial if snap else 0}
