"""Logical units for the storage of nodes: their logical volumes (gnt-node
volumes) and storage units (gnt-node list-storage, modify-storage,
repair-storage)."""

from typing import Any, Dict, Iterator, List, Sequence, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti.backend.storage import (MODIFIABLE_STORAGE_FIELDS, SF_NAME,
                                    SF_NODE, SF_TYPE,
                                    SO_FIX_CONSISTENCY,
                                    VALID_STORAGE_FIELDS,
                                    VALID_STORAGE_OPERATIONS)
from ganeti.cmdlib.base import (ExpandNodeUuid, ExpandNodeUuidAndName,
                                InstanceNodes, NoHooksLU)
from ganeti.query import NiceSortKey
from ganeti.storage.base import LDS_FAULTY
from ganeti.utils import text as utils_text

# Volume fields of OpNodeQueryvols.
VOLUME_FIELDS = ("node", "phys", "vg", "name", "size", "instance")


def WantedNodes(cfg, names: Sequence[str]) -> List[str]:
    """UUIDs of the named nodes, or of all nodes; sorted by name."""
    if names:
        uuids = [ExpandNodeUuid(cfg, name) for name in names]
    else:
        uuids = list(cfg.GetNodeList())
    return sorted(dict.fromkeys(uuids), key=lambda u: NiceSortKey(
        cfg.GetNodeName(u)))


def NodeAnswers(lu, node_uuids: Sequence[str], answers: Dict[str, Any],
                warning: str) -> Iterator[Tuple[str, str, Any]]:
    """(uuid, name, payload) of each node that answered a multi-node RPC,
    in node_uuids' order; offline nodes are skipped, failures logged as
    warning % (name, error)."""
    for node_uuid in node_uuids:
        res = answers.get(node_uuid)
        if res is None or getattr(res, "offline", False):
            continue
        name = lu.cfg.GetNodeName(node_uuid)
        if res.fail_msg:
            lu.LogWarning(warning, name, res.fail_msg)
            continue
        yield node_uuid, name, res.payload


def CheckOutputFields(selected: Sequence[str], valid: Sequence[str]) -> None:
    bad = [f for f in selected if f not in valid]
    if bad:
        raise errors.OpPrereqError("Unknown output fields selected: %s" %
                                   utils_text.CommaJoin(bad),
                                   errors.ECODE_INVAL)


# ---------------------------------------------------------------- volumes

class LUNodeQueryvols(NoHooksLU):
    """Logical volumes on nodes and their instances (gnt-node volumes).

    Rows are lists of strings in output_fields order.
    """
    REQ_BGL = False

    def CheckArguments(self):
        CheckOutputFields(self.op.output_fields, VOLUME_FIELDS)

    def ExpandNames(self):
        self.node_uuids = WantedNodes(self.cfg, self.op.nodes)
        self.share_locks = dict.fromkeys(locking.LEVELS, 1)
        self.needed_locks = {locking.LEVEL_NODE: (
            self.node_uuids if self.op.nodes else locking.ALL_SET)}

    def _VolumeOwners(self) -> Dict[Tuple[str, str], str]:
        """(node uuid, "vg/lv") -> instance name, from the logical ids of
        the instances' LVM disks (DRBD disks through their children)."""
        owners: Dict[Tuple[str, str], str] = {}
        getter = getattr(self.cfg, "GetInstanceDisks", None)
        if getter is None:
            return owners

        def walk(inst, disk, nodes):
            nodes = list(getattr(disk, "nodes", None) or nodes)
            if disk.dev_type == constants.DT_PLAIN and disk.logical_id:
                volume = "%s/%s" % tuple(disk.logical_id[:2])
                for node_uuid in nodes:
                    owners[(node_uuid, volume)] = inst.name
            for child in disk.children or []:
                walk(inst, child, nodes)

        for inst in self.cfg.GetAllInstancesInfo().values():
            for disk in getter(inst.uuid):
                walk(inst, disk, InstanceNodes(self.cfg, inst))
        return owners

    def Exec(self, feedback_fn):
        node_uuids = WantedNodes(self.cfg, self.op.nodes)
        answers = self.rpc.call_node_volumes(node_uuids)
        owners = self._VolumeOwners()
        output = []
        for node_uuid, name, payload in NodeAnswers(
                self, node_uuids, answers,
                "Can't compute volume data on node %s: %s"):
            for vol in sorted(payload or [], key=lambda v: v["dev"]):
                values = {
                    "node": name, "phys": vol["dev"], "vg": vol["vg"],
                    "name": vol["name"], "size": int(float(vol["size"])),
                    "instance": owners.get(
                        (node_uuid, "%s/%s" % (vol["vg"], vol["name"])), "-"),
                }
                output.append([str(values[f])
                               for f in self.op.output_fields])
        return output


# ----------------------------------------------------------- storage units

_STORAGE_OF_TEMPLATE = {
    constants.DT_PLAIN: constants.ST_LVM_VG,
    constants.DT_DRBD8: constants.ST_LVM_VG,
    constants.DT_FILE: constants.ST_FILE,
    constants.DT_SHARED_FILE: constants.ST_SHARED_FILE,
    constants.DT_GLUSTER: constants.ST_GLUSTER,
    constants.DT_BLOCK: constants.ST_BLOCK,
    constants.DT_RBD: constants.ST_RADOS,
    constants.DT_EXT: constants.ST_EXT,
    constants.DT_DISKLESS: constants.ST_DISKLESS,
}


def DefaultStorageType(cfg) -> str:
    """The storage type of the cluster's first enabled disk template."""
    for template in cfg.GetClusterInfo().enabled_disk_templates:
        stype = _STORAGE_OF_TEMPLATE.get(template)
        if stype not in (None, constants.ST_DISKLESS):
            return stype
    raise errors.OpPrereqError("No storage type given and the cluster has no"
                               " enabled disk template with storage",
                               errors.ECODE_INVAL)


def CheckStorageTypeEnabled(cfg, storage_type: str) -> None:
    if storage_type == constants.ST_LVM_PV:
        storage_type = constants.ST_LVM_VG
    enabled = cfg.GetClusterInfo().enabled_disk_templates
    templates = [t for t, s in _STORAGE_OF_TEMPLATE.items()
                 if s == storage_type]
    if not any(t in enabled for t in templates):
        raise errors.OpPrereqError("No disk template of storage type '%s' is"
                                   " enabled. Enable at least one of '%s' in"
                                   " the cluster's enabled disk templates" %
                                   (storage_type,
                                    utils_text.CommaJoin(sorted(templates))),
                                   errors.ECODE_STATE)


def StorageTypeArgs(cfg, storage_type: str) -> list:
    """The su_args of the storage RPCs for a storage type."""
    cluster = cfg.GetClusterInfo()
    if storage_type == constants.ST_FILE:
        return [[cluster.file_storage_dir]]
    if storage_type == constants.ST_SHARED_FILE:
        return [[cluster.shared_file_storage_dir]]
    if storage_type == constants.ST_GLUSTER:
        return [[cluster.gluster_storage_dir]]
    return []


class LUNodeQueryStorage(NoHooksLU):
    """Storage units of nodes (gnt-node list-storage)."""
    REQ_BGL = False

    def CheckArguments(self):
        CheckOutputFields(self.op.output_fields, VALID_STORAGE_FIELDS)
        self.storage_type = self.op.storage_type or DefaultStorageType(
            self.cfg)
        CheckStorageTypeEnabled(self.cfg, self.storage_type)

    def ExpandNames(self):
        self.node_uuids = WantedNodes(self.cfg, self.op.nodes)
        self.share_locks = dict.fromkeys(locking.LEVELS, 1)
        self.needed_locks = {locking.LEVEL_NODE: (
            self.node_uuids if self.op.nodes else locking.ALL_SET)}

    def Exec(self, feedback_fn):
        wanted = [f for f in self.op.output_fields
                  if f not in (SF_NODE, SF_TYPE)]
        fields = [SF_NAME] + [f for f in wanted if f != SF_NAME]
        index = {name: idx for idx, name in enumerate(fields)}
        node_uuids = WantedNodes(self.cfg, self.op.nodes)
        answers = self.rpc.call_storage_list(
            node_uuids, self.storage_type,
            StorageTypeArgs(self.cfg, self.storage_type), self.op.name,
            fields)
        output = []
        for _, name, payload in NodeAnswers(
                self, node_uuids, answers,
                "Can't get storage data from node %s: %s"):
            rows = {row[0]: row for row in payload or []}
            for unit in sorted(rows, key=lambda n: NiceSortKey(str(n))):
                row = rows[unit]
                out = []
                for field in self.op.output_fields:
                    if field == SF_NODE:
                        out.append(name)
                    elif field == SF_TYPE:
                        out.append(self.storage_type)
                    else:
                        out.append(row[index[field]])
                output.append(out)
        return output


def FindFaultyInstanceDisks(lu, inst, node_uuid: str) -> List[int]:
    """Indexes of the instance's disks whose local storage is faulty on
    the node (a failed query is an OpPrereqError)."""
    disks = lu.cfg.GetInstanceDisks(inst.uuid)
    result = lu.rpc.call_blockdev_getmirrorstatus(node_uuid, (disks, inst))
    result.Raise("Failed to get disk status from node %s" %
                 lu.cfg.GetNodeName(node_uuid), prereq=True,
                 ecode=errors.ECODE_ENVIRON)
    return [idx for idx, status in enumerate(result.payload or [])
            if status is not None and
            getattr(status, "ldisk_status", None) == LDS_FAULTY]


class _NodeStorageLU(NoHooksLU):
    REQ_BGL = False

    def ExpandNames(self):
        self.op.node_uuid, self.op.node_name = ExpandNodeUuidAndName(
            self.cfg, self.op.node_uuid, self.op.node_name)
        self.needed_locks = {locking.LEVEL_NODE: [self.op.node_uuid]}


class LUNodeModifyStorage(_NodeStorageLU):
    """Change a storage unit's attributes (gnt-node modify-storage)."""

    def CheckArguments(self):
        stype = self.op.storage_type
        allowed = MODIFIABLE_STORAGE_FIELDS.get(stype)
        if allowed is None:
            raise errors.OpPrereqError("Storage units of type '%s' can not be"
                                       " modified" % stype, errors.ECODE_INVAL)
        bad = sorted(set(self.op.changes) - allowed)
        if bad:
            raise errors.OpPrereqError("The following fields can not be"
                                       " modified for storage units of type"
                                       " '%s': %r" % (stype, bad),
                                       errors.ECODE_INVAL)

    def CheckPrereq(self):
        CheckStorageTypeEnabled(self.cfg, self.op.storage_type)

    def Exec(self, feedback_fn):
        result = self.rpc.call_storage_modify(
            self.op.node_uuid, self.op.storage_type,
            StorageTypeArgs(self.cfg, self.op.storage_type), self.op.name,
            self.op.changes)
        result.Raise("Failed to modify storage unit '%s' on %s" %
                     (self.op.name, self.op.node_name))


class LURepairNodeStorage(_NodeStorageLU):
    """Repair a storage unit (gnt-node repair-storage)."""

    def CheckArguments(self):
        stype = self.op.storage_type
        if SO_FIX_CONSISTENCY not in VALID_STORAGE_OPERATIONS.get(stype, ()):
            raise errors.OpPrereqError("Storage units of type '%s' can not be"
                                       " repaired" % stype, errors.ECODE_INVAL)

    def CheckPrereq(self):
        CheckStorageTypeEnabled(self.cfg, self.op.storage_type)
        # The instances with active disks here must have sound disks on
        # their other nodes before LVM drops the missing volumes here
        # (--ignore-consistency turns a problem into a warning).
        for inst in self.cfg.GetAllInstancesInfo().values():
            nodes = InstanceNodes(self.cfg, inst)
            if self.op.node_uuid not in nodes or not inst.disks_active:
                continue
            for node_uuid in nodes:
                if node_uuid != self.op.node_uuid:
                    self._CheckFaultyDisks(inst, node_uuid)

    def _CheckFaultyDisks(self, inst, node_uuid: str) -> None:
        try:
            if FindFaultyInstanceDisks(self, inst, node_uuid):
                raise errors.OpPrereqError("Instance '%s' has faulty disks on"
                                           " node '%s'" %
                                           (inst.name,
                                            self.cfg.GetNodeName(node_uuid)),
                                           errors.ECODE_STATE)
        except errors.OpPrereqError as err:
            if not self.op.ignore_consistency:
                raise
            self.LogWarning(str(err.args[0]))

    def Exec(self, feedback_fn):
        result = self.rpc.call_storage_execute(
            self.op.node_uuid, self.op.storage_type,
            StorageTypeArgs(self.cfg, self.op.storage_type), self.op.name,
            SO_FIX_CONSISTENCY)
        result.Raise("Failed to repair storage unit '%s' on %s" %
                     (self.op.name, self.op.node_name))
