"""Disk handling of the instance logical units: generating disk objects for
a template, creating/removing them on the nodes (with rollback), activating
and deactivating them, and waiting for them to sync."""

import logging
import os
import time
from typing import Any, Dict, List, Optional, Tuple

from ganeti import constants as C
from ganeti import errors
from ganeti import objects
from ganeti.cmdlib import instance_params
from ganeti.cmdlib.instance_utils import (DTS_FILEBASED, DTS_MUST_ADOPT,
                                         NodeName)
from ganeti.utils import text as utils_text

DISK_RDWR = "rw"
DISK_RDONLY = "ro"
DISK_ACCESS_SET = (DISK_RDWR, DISK_RDONLY)
DRBD_META_SIZE = 128
RBD_DRIVER = "rbd"
# Keys of a disk description (OpInstanceCreate "disks", --disk).
IDISK_SIZE = "size"
IDISK_SPINDLES = "spindles"
IDISK_MODE = "mode"
IDISK_ADOPT = "adopt"
IDISK_VG = "vg"
IDISK_METAVG = "metavg"
IDISK_PROVIDER = "provider"
IDISK_NAME = "name"
IDISK_ACCESS = "access"
IDISK_TYPE = "dev_type"
IDISK_PARAMS = frozenset([IDISK_SIZE, IDISK_SPINDLES, IDISK_MODE, IDISK_ADOPT,
                          IDISK_VG, IDISK_METAVG, IDISK_PROVIDER, IDISK_NAME,
                          IDISK_ACCESS, IDISK_TYPE])
_SYNC_RETRIES = 10
# Looks at disks found degraded once in sync (1 s apart) before giving up.
_DEGRADED_RETRIES = 10


# A disk as shown in error messages (one formatter for master and nodes).
DiskDescription = objects.DiskDescription


# ---------------------------------------------------------------- input

def ComputeDisks(disks_spec: List[Dict[str, Any]], disk_template: str,
                 default_vg: Optional[str]) -> List[Dict[str, Any]]:
    """Normalised disk descriptions of an instance creation."""
    result = []
    for spec in disks_spec:
        unknown = set(spec) - IDISK_PARAMS
        if unknown and disk_template != C.DT_EXT:
            raise errors.OpPrereqError("Unknown disk parameters: %s"
                                       % ", ".join(sorted(unknown)),
                                       errors.ECODE_INVAL)
        if disk_template == C.DT_EXT and not spec.get(IDISK_PROVIDER):
            raise errors.OpPrereqError("Missing provider for template '%s'"
                                       % C.DT_EXT, errors.ECODE_INVAL)
        if disk_template != C.DT_EXT and IDISK_PROVIDER in spec:
            raise errors.OpPrereqError("The '%s' option is only valid for"
                                       " the %s disk template, not %s" %
                                       (IDISK_PROVIDER, C.DT_EXT,
                                        disk_template), errors.ECODE_INVAL)
        mode = spec.get(IDISK_MODE, DISK_RDWR)
        if mode not in DISK_ACCESS_SET:
            raise errors.OpPrereqError("Invalid disk access mode '%s'" % mode,
                                       errors.ECODE_INVAL)
        size = spec.get(IDISK_SIZE)
        if size is None:
            if IDISK_ADOPT not in spec:
                raise errors.OpPrereqError("Missing disk size",
                                           errors.ECODE_INVAL)
        else:
            size = instance_params.CheckDiskSize(size)
        entry = {IDISK_SIZE: size, IDISK_MODE: mode,
                 IDISK_VG: spec.get(IDISK_VG, default_vg),
                 IDISK_NAME: spec.get(IDISK_NAME)}
        if entry[IDISK_NAME] is not None and \
                str(entry[IDISK_NAME]).lower() == "none":
            entry[IDISK_NAME] = None
        for key in (IDISK_ADOPT, IDISK_METAVG, IDISK_PROVIDER, IDISK_SPINDLES,
                    IDISK_ACCESS):
            if key in spec:
                entry[key] = spec[key]
        for key in unknown:
            entry[key] = spec[key]
        result.append(entry)
    return result


def FileStorageDir(cluster, disk_template: str, instance_name: str,
                   op_dir: Optional[str]) -> Optional[str]:
    """The directory holding a file-based instance's disks."""
    if disk_template == C.DT_FILE:
        base = cluster.file_storage_dir
    elif disk_template == C.DT_SHARED_FILE:
        base = cluster.shared_file_storage_dir
    elif disk_template == C.DT_GLUSTER:
        base = cluster.gluster_storage_dir
    else:
        return None
    if not base:
        raise errors.OpPrereqError("Cluster file storage dir for '%s' storage"
                                   " type not defined" % disk_template,
                                   errors.ECODE_STATE)
    parts = [base.rstrip("/")]
    if op_dir:
        if os.path.isabs(op_dir) or ".." in op_dir.split("/"):
            raise errors.OpPrereqError("File storage directory path not"
                                       " absolute or contains '..': %s"
                                       % op_dir, errors.ECODE_INVAL)
        parts.append(op_dir.strip("/"))
    parts.append(instance_name)
    return "/".join(parts)


def GenerateDiskTemplate(lu, template: str, instance_uuid: str,
                         pnode_uuid: str, snode_uuids: List[str],
                         disk_info: List[Dict[str, Any]],
                         file_storage_dir: Optional[str],
                         file_driver: Optional[str],
                         base_index: int = 0) -> List[objects.Disk]:
    """New Disk objects of a template (not yet in the config)."""
    disks: List[objects.Disk] = []
    if template == C.DT_DISKLESS:
        return disks
    if template == C.DT_DRBD8 and len(snode_uuids) != 1:
        raise errors.ProgrammerError("Wrong template configuration")
    if template != C.DT_DRBD8 and snode_uuids:
        raise errors.ProgrammerError("Wrong template configuration")
    cfg = lu.cfg
    for offset, info in enumerate(disk_info):
        idx = base_index + offset
        uid = cfg.GenerateUniqueID()
        size = info.get(IDISK_SIZE)
        common = dict(iv_name="disk/%d" % idx, size=size,
                      mode=info.get(IDISK_MODE, DISK_RDWR),
                      name=info.get(IDISK_NAME), params={},
                      uuid=cfg.GenerateUniqueID())
        if info.get(IDISK_SPINDLES) is not None:
            common["spindles"] = info[IDISK_SPINDLES]
        if template == C.DT_PLAIN:
            lv = info.get(IDISK_ADOPT) or "%s.disk%d" % (uid, idx)
            disk = objects.Disk(dev_type=C.DT_PLAIN,
                                logical_id=[info.get(IDISK_VG), lv],
                                nodes=[pnode_uuid], **common)
        elif template == C.DT_DRBD8:
            snode = snode_uuids[0]
            port = cfg.AllocatePort()
            pminor, sminor = cfg.AllocateDRBDMinors([pnode_uuid, snode])
            secret = cfg.GenerateUniqueID().replace("-", "")[:30]
            vg = info.get(IDISK_VG)
            meta_vg = info.get(IDISK_METAVG, vg)
            nodes = [pnode_uuid, snode]
            data = objects.Disk(dev_type=C.DT_PLAIN, size=size,
                                logical_id=[vg, "%s.disk%d_data" % (uid, idx)],
                                nodes=list(nodes), params={},
                                uuid=cfg.GenerateUniqueID())
            meta = objects.Disk(dev_type=C.DT_PLAIN, size=DRBD_META_SIZE,
                                logical_id=[meta_vg,
                                            "%s.disk%d_meta" % (uid, idx)],
                                nodes=list(nodes), params={},
                                uuid=cfg.GenerateUniqueID())
            disk = objects.Disk(dev_type=C.DT_DRBD8,
                                logical_id=[pnode_uuid, snode, port, pminor,
                                            sminor, secret],
                                children=[data, meta], nodes=list(nodes),
                                **common)
        elif template in DTS_FILEBASED:
            path = "%s/%s.%s.disk%d" % (file_storage_dir, uid, template, idx)
            disk = objects.Disk(dev_type=template,
                                logical_id=[file_driver or C.FD_LOOP, path],
                                nodes=[pnode_uuid], **common)
        elif template == C.DT_BLOCK:
            disk = objects.Disk(dev_type=C.DT_BLOCK,
                                logical_id=[C.BLOCKDEV_DRIVER_MANUAL,
                                            info.get(IDISK_ADOPT)],
                                nodes=[pnode_uuid], **common)
        elif template == C.DT_RBD:
            disk = objects.Disk(dev_type=C.DT_RBD,
                                logical_id=[RBD_DRIVER,
                                            "%s.rbd.disk%d" % (uid, idx)],
                                nodes=[pnode_uuid], **common)
        elif template == C.DT_EXT:
            provider = info.get(IDISK_PROVIDER)
            disk = objects.Disk(dev_type=C.DT_EXT,
                                logical_id=[provider,
                                            "%s.ext.disk%d" % (uid, idx)],
                                nodes=[pnode_uuid], **common)
            disk.params = {k: v for k, v in info.items()
                           if k not in IDISK_PARAMS}
            disk.params[IDISK_PROVIDER] = provider
        else:
            raise errors.ProgrammerError("Unknown disk template '%s'"
                                         % template)
        disks.append(disk)
    return disks


# ---------------------------------------------------------------- nodes

def _DiskNodes(instance, disk, target_node_uuid: Optional[str]) -> List[str]:
    if target_node_uuid is not None:
        return [target_node_uuid]
    nodes = list(disk.nodes or [])
    if not nodes:
        nodes = [instance.primary_node]
    # the primary first: secondaries of DRBD are created after it
    nodes.sort(key=lambda n: n != instance.primary_node)
    return nodes


def InfoText(instance) -> str:
    return "originstname+%s" % instance.name


def _ExclusiveStorage(lu, node_uuid: str) -> bool:
    node = lu.cfg.GetNodeInfo(node_uuid)
    cluster = lu.cfg.GetClusterInfo()
    group = lu.cfg.GetNodeGroup(node.group) if node is not None else None
    return bool(cluster.FillND(node, group).get("exclusive_storage", False)) \
        if node is not None else False


def _CreateBlockDevTree(lu, node_uuid: str, instance, disk, on_primary: bool,
                        created: List[Tuple[str, Any]]) -> None:
    """Create a disk's children, then the disk itself, on one node."""
    for child in disk.children or []:
        _CreateBlockDevTree(lu, node_uuid, instance, child, on_primary,
                            created)
    result = lu.rpc.call_blockdev_create(node_uuid, (disk, instance),
                                         disk.size, instance.name, on_primary,
                                         InfoText(instance),
                                         _ExclusiveStorage(lu, node_uuid))
    if result.fail_msg:
        lu.LogWarning("Device creation failed")
        raise errors.OpExecError("Can't create block device %s on node %s for"
                                 " instance %s: %s"
                                 % (DiskDescription(disk),
                                    NodeName(lu.cfg, node_uuid),
                                    instance.name, result.fail_msg))
    created.append((node_uuid, disk))


def FileDiskDir(disk) -> Optional[str]:
    if disk.dev_type in DTS_FILEBASED and disk.logical_id:
        return os.path.dirname(disk.logical_id[1])
    return None


def CreateDisks(lu, instance, disks: List[objects.Disk],
                target_node_uuid: Optional[str] = None,
                adopt: bool = False,
                new_dirs: bool = False) -> List[Tuple[str, Any]]:
    """Create the disks on their nodes; on failure remove what was created
    and raise OpExecError.  new_dirs: the file storage directories are new
    (a new instance, a move), remove them too on failure.  Returns the
    (node uuid, disk) pairs created."""
    created: List[Tuple[str, Any]] = []
    made_dirs: List[Tuple[str, str]] = []
    try:
        for disk in disks:
            fdir = FileDiskDir(disk)
            if fdir is None:
                continue
            for node_uuid in _DiskNodes(instance, disk, target_node_uuid):
                if (node_uuid, fdir) in made_dirs:
                    continue
                result = lu.rpc.call_file_storage_dir_create(node_uuid, fdir)
                result.Raise("Failed to create directory '%s' on node %s"
                             % (fdir, NodeName(lu.cfg, node_uuid)))
                made_dirs.append((node_uuid, fdir))
        if adopt:
            return created
        for disk in disks:
            for node_uuid in _DiskNodes(instance, disk, target_node_uuid):
                _CreateBlockDevTree(lu, node_uuid, instance, disk,
                                    node_uuid == instance.primary_node,
                                    created)
    except errors.OpExecError:
        _UndoCreate(lu, instance, created, made_dirs if new_dirs else [])
        raise
    return created


def _UndoCreate(lu, instance, created, made_dirs) -> None:
    for node_uuid, disk in reversed(created):
        result = lu.rpc.call_blockdev_remove(node_uuid, (disk, instance))
        if result.fail_msg:
            lu.LogWarning("Failed to remove newly-created disk %s on node %s:"
                          " %s", DiskDescription(disk),
                          NodeName(lu.cfg, node_uuid), result.fail_msg)
    for node_uuid, fdir in made_dirs:
        result = lu.rpc.call_file_storage_dir_remove(node_uuid, fdir)
        if result.fail_msg:
            lu.LogWarning("Could not remove directory '%s' on node %s: %s",
                          fdir, NodeName(lu.cfg, node_uuid), result.fail_msg)


def RemoveDisks(lu, instance, disks: Optional[List[objects.Disk]] = None,
                target_node_uuid: Optional[str] = None,
                remove_dirs: bool = True) -> bool:
    """Remove the instance's disks (or the given ones) from their nodes;
    failures are reported as warnings.  Returns whether all went well."""
    if disks is None:
        disks = lu.cfg.GetInstanceDisks(instance.uuid)
    all_ok = True
    dirs: List[Tuple[str, str]] = []
    for idx, disk in enumerate(disks):
        for node_uuid in _DiskNodes(instance, disk, target_node_uuid):
            result = lu.rpc.call_blockdev_remove(node_uuid, (disk, instance))
            if result.fail_msg:
                lu.LogWarning("Could not remove disk %s on node %s,"
                              " continuing anyway: %s", idx,
                              NodeName(lu.cfg, node_uuid), result.fail_msg)
                if not lu.cfg.GetNodeInfo(node_uuid).offline:
                    all_ok = False
            fdir = FileDiskDir(disk)
            if fdir is not None and (node_uuid, fdir) not in dirs:
                dirs.append((node_uuid, fdir))
    if remove_dirs:
        for node_uuid, fdir in dirs:
            result = lu.rpc.call_file_storage_dir_remove(node_uuid, fdir)
            if result.fail_msg:
                lu.LogWarning("Could not remove directory '%s': %s", fdir,
                              result.fail_msg)
                all_ok = False
    return all_ok


# ---------------------------------------------------------------- activation

def _Payload0(payload) -> Optional[str]:
    if isinstance(payload, (list, tuple)):
        return payload[0] if payload else None
    return payload


def AssembleInstanceDisks(lu, instance, disks=None,
                          ignore_secondaries: bool = False,
                          ignore_size: bool = False
                          ) -> Tuple[bool, List[Tuple[str, str, Optional[str]]]]:
    """Activate the disks: secondaries first, then the primary.  Returns
    (all ok, [(primary node name, iv_name, device path)])."""
    all_disks = lu.cfg.GetInstanceDisks(instance.uuid)
    if disks is None:
        disks = all_disks
    if disks and len(disks) == len(all_disks):
        lu.cfg.MarkInstanceDisksActive(instance.uuid)
    ok = True
    pnode = instance.primary_node
    for disk in disks:
        idx = all_disks.index(disk) if disk in all_disks else 0
        for node_uuid in _DiskNodes(instance, disk, None):
            if node_uuid == pnode:
                continue
            result = lu.rpc.call_blockdev_assemble(node_uuid, (disk, instance),
                                                   instance, False, idx)
            if result.fail_msg:
                lu.LogWarning("Could not prepare block device %s on node %s"
                              " (is_primary=False, pass=1): %s", disk.iv_name,
                              NodeName(lu.cfg, node_uuid), result.fail_msg)
                if not ignore_secondaries:
                    ok = False
    info = []
    for disk in disks:
        idx = all_disks.index(disk) if disk in all_disks else 0
        result = lu.rpc.call_blockdev_assemble(pnode, (disk, instance),
                                               instance, True, idx)
        path = None
        if result.fail_msg:
            lu.LogWarning("Could not prepare block device %s on node %s"
                          " (is_primary=True, pass=2): %s", disk.iv_name,
                          NodeName(lu.cfg, pnode), result.fail_msg)
            ok = False
        else:
            path = _Payload0(result.payload)
        info.append((NodeName(lu.cfg, pnode), disk.iv_name, path))
    return ok, info


def ShutdownInstanceDisks(lu, instance, disks=None,
                          ignore_primary: bool = False) -> bool:
    all_disks = lu.cfg.GetInstanceDisks(instance.uuid)
    if disks is None:
        disks = all_disks
    if disks and len(disks) == len(all_disks):
        lu.cfg.MarkInstanceDisksInactive(instance.uuid)
    ok = True
    for disk in disks:
        for node_uuid in _DiskNodes(instance, disk, None):
            result = lu.rpc.call_blockdev_shutdown(node_uuid, (disk, instance))
            if result.fail_msg:
                lu.LogWarning("Could not shutdown block device %s on node %s:"
                              " %s", disk.iv_name,
                              NodeName(lu.cfg, node_uuid), result.fail_msg)
                if (node_uuid == instance.primary_node and
                        not ignore_primary) or \
                        (node_uuid != instance.primary_node and
                         not result.offline):
                    ok = False
    return ok


def StartInstanceDisks(lu, instance, force: Optional[bool]) -> None:
    ok, _ = AssembleInstanceDisks(lu, instance, ignore_secondaries=bool(force))
    if not ok:
        ShutdownInstanceDisks(lu, instance)
        if force is not None and not force:
            lu.LogWarning("", hint="If the message above refers to a"
                          " secondary node, you can retry the operation using"
                          " '--force'")
        raise errors.OpExecError("Disk consistency error")


def _StatusAttr(status, name: str):
    if isinstance(status, dict):
        return status.get(name)
    return getattr(status, name, None)


def WaitForSync(lu, instance, disks=None, oneshot: bool = False) -> bool:
    """Wait until the disks are in sync; returns False if any is degraded."""
    if disks is None:
        disks = lu.cfg.GetInstanceDisks(instance.uuid)
    if not disks:
        return True
    pnode = instance.primary_node
    if not oneshot:
        lu.LogInfo("Waiting for instance %s to sync disks", instance.name)
    retries = 0
    degraded = False
    degr_retries = _DEGRADED_RETRIES
    while True:
        result = lu.rpc.call_blockdev_getmirrorstatus(pnode, (disks, instance))
        if result.fail_msg:
            lu.LogWarning("Can't get any data from node %s: %s",
                          NodeName(lu.cfg, pnode), result.fail_msg)
            retries += 1
            if retries >= _SYNC_RETRIES:
                raise errors.OpExecError("Can't contact node %s for mirror"
                                         " data, aborting."
                                         % NodeName(lu.cfg, pnode))
            time.sleep(6)
            continue
        retries = 0
        done = True
        max_time = 0
        degraded = False
        for disk, status in zip(disks, result.payload or []):
            if status is None:
                lu.LogWarning("Can't compute data for node %s/%s",
                              NodeName(lu.cfg, pnode), disk.iv_name)
                continue
            percent = _StatusAttr(status, "sync_percent")
            if percent is not None:
                done = False
                est = _StatusAttr(status, "estimated_time")
                max_time = max(max_time, est or 0)
                lu.LogInfo("- device %s: %5.2f%% done, %s", disk.iv_name,
                           percent, "%s remaining (estimated)"
                           % utils_text.FormatSeconds(est)
                           if est is not None else "no time estimate")
            elif _StatusAttr(status, "is_degraded"):
                degraded = True
        # Done but degraded: look again a few times, the state may be a
        # transient one (e.g. a DRBD pair still connecting).
        if (done or oneshot) and degraded and degr_retries > 0:
            logging.info("Degraded disks found, %d retries left", degr_retries)
            degr_retries -= 1
            time.sleep(1)
            continue
        if done or oneshot:
            break
        time.sleep(min(60, max(1, max_time)))
    if done:
        lu.LogInfo("Instance %s's disks are in sync", instance.name)
    return not (done and degraded)


def CheckAdoption(template: str, disks: List[Dict[str, Any]]) -> bool:
    """Whether disks are adopted (all or none); checks template support."""
    has_adopt = [IDISK_ADOPT in d for d in disks]
    if any(has_adopt) and not all(has_adopt):
        raise errors.OpPrereqError("Either all disks are adopted or none is",
                                   errors.ECODE_INVAL)
    adopt = bool(disks) and all(has_adopt)
    if adopt:
        if template not in (C.DT_PLAIN, C.DT_BLOCK):
            raise errors.OpPrereqError("Disk adoption is not supported for the"
                                       " '%s' disk template" % template,
                                       errors.ECODE_INVAL)
    elif template in DTS_MUST_ADOPT:
        raise errors.OpPrereqError("Disk template %s requires disk adoption,"
                                   " but no 'adopt' parameter given"
                                   % template, errors.ECODE_INVAL)
    return adopt
