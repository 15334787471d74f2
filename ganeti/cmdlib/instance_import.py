"""Creating an instance from an export (OpInstanceCreate, mode import).

ReadExport finds the export (on the given source node, else on any node
that lists it), reads its config.ini and fills the opcode's unset fields
from it (OS, disk template, disks, NICs, tags, hypervisor, backend and OS
parameters) as upstream does; ImportDisks copies each disk dump through the
import-export daemons into the new disks, written by the OS import script.
"""

import configparser
import os
from typing import Any, Dict, List

from ganeti import constants as C
from ganeti import errors
from ganeti import pathutils
from ganeti.cmdlib import instance_utils as iu
from ganeti.cmdlib import transfer

EXPORT_VERSION = C.EXPORT_VERSION
INISECT_EXP = C.INISECT_EXP
INISECT_INS = C.INISECT_INS
INISECT_HYP = C.INISECT_HYP
INISECT_BEP = C.INISECT_BEP
INISECT_OSP = C.INISECT_OSP
INISECT_OSP_PRIVATE = C.INISECT_OSP_PRIVATE
_NIC_KEYS = ("mac", "ip", "network", "name", C.INIC_LINK, C.INIC_MODE,
             C.INIC_VLAN)


def _FindExport(lu, path: str) -> str:
    """The node holding the export at path (an export name or a path
    below the export directory)."""
    name = os.path.basename(path.rstrip("/"))
    from ganeti.cmdlib.backup import ExportList  # pylint: disable=C0415
    for node, names in sorted(ExportList(lu, lu.cfg.GetNodeList()).items()):
        if names and name in names:
            return node
    raise errors.OpPrereqError("No export found for relative path %s"
                               % path, errors.ECODE_NOENT)


def _Value(value: str) -> Any:
    return None if value == "None" else value


def ReadExport(lu) -> configparser.ConfigParser:
    """Locate and read the export; fill the opcode from it."""
    op = lu.op
    src_path = op.src_path or op.instance_name
    if op.src_node is None and op.src_node_uuid is None:
        op.src_node_uuid = _FindExport(lu, src_path)
        op.src_node = iu.NodeName(lu.cfg, op.src_node_uuid)
    else:
        op.src_node_uuid, op.src_node = iu.ExpandNodeUuidAndName(
            lu.cfg, op.src_node_uuid, op.src_node)
    if not os.path.isabs(src_path):
        src_path = os.path.join(pathutils.EXPORT_DIR, src_path)
    op.src_path = src_path
    result = lu.rpc.call_export_info(op.src_node_uuid, src_path)
    result.Raise("No export or invalid export found in dir %s" % src_path,
                 prereq=True, ecode=errors.ECODE_INVAL)
    einfo = configparser.ConfigParser(interpolation=None)
    einfo.optionxform = str  # type: ignore[assignment]
    try:
        einfo.read_string(result.payload)
        version = einfo.getint(INISECT_EXP, "version")
    except (configparser.Error, ValueError) as err:
        raise errors.OpPrereqError("Invalid export in dir %s: %s"
                                   % (src_path, err), errors.ECODE_INVAL)
    if version != EXPORT_VERSION:
        raise errors.OpPrereqError("Wrong export version %s (wanted %d)"
                                   % (version, EXPORT_VERSION),
                                   errors.ECODE_ENVIRON)
    _ApplyExport(op, einfo)
    return einfo


def _Get(einfo, section: str, key: str, default: Any = None) -> Any:
    if einfo.has_option(section, key):
        return einfo.get(section, key)
    return default


def _ApplyExport(op, einfo) -> None:
    """Take what the opcode leaves unset from the export."""
    if not op.os_type:
        op.os_type = _Get(einfo, INISECT_EXP, "os")
    if op.disk_template is None:
        op.disk_template = _Get(einfo, INISECT_INS, "disk_template")
    if not op.disks:
        disks = []
        for idx in range(int(_Get(einfo, INISECT_INS, "disk_count", 0))):
            size = _Get(einfo, INISECT_INS, "disk%d_size" % idx)
            if size is None:
                continue
            disk: Dict[str, Any] = {"size": int(size)}
            name = _Value(_Get(einfo, INISECT_INS, "disk%d_name" % idx,
                               "None"))
            if name:
                disk["name"] = name
            disks.append(disk)
        op.disks = disks
    if not op.nics and not getattr(op, "no_nics", False):
        nics = []
        for idx in range(int(_Get(einfo, INISECT_INS, "nic_count", 0))):
            nic = {}
            for key in _NIC_KEYS:
                value = _Value(_Get(einfo, INISECT_INS,
                                    "nic%d_%s" % (idx, key), "None"))
                if value not in (None, ""):
                    nic[key] = value
            nics.append(nic)
        op.nics = nics
    if not op.tags:
        op.tags = (_Get(einfo, INISECT_INS, "tags") or "").split()
    if (op.hypervisor is None or op.hypervisor ==
            _Get(einfo, INISECT_INS, "hypervisor")) and \
            einfo.has_section(INISECT_HYP):
        op.hvparams = dict(op.hvparams or {})
        for key, value in einfo.items(INISECT_HYP):
            op.hvparams.setdefault(key, value)
    if einfo.has_section(INISECT_BEP):
        op.beparams = dict(op.beparams or {})
        for key, value in einfo.items(INISECT_BEP):
            op.beparams.setdefault(key, value)
    for section, slot in ((INISECT_OSP, "osparams"),
                          (INISECT_OSP_PRIVATE, "osparams_private")):
        if einfo.has_section(section):
            params = dict(getattr(op, slot) or {})
            for key, value in einfo.items(section):
                params.setdefault(key, value)
            setattr(op, slot, params)


def DiskDumps(einfo) -> List[str]:
    """The disk dump files of an export (paths below its directory)."""
    return [_Get(einfo, INISECT_INS, "disk%d_dump" % idx) or "" for idx in
            range(int(_Get(einfo, INISECT_INS, "disk_count", 0)))]


def ImportDisks(lu, iobj, einfo, feedback_fn) -> None:
    """Copy the export's disk dumps into the instance's new disks."""
    op = lu.op
    feedback_fn("* running the instance OS import scripts...")
    disks = lu.cfg.GetInstanceDisks(iobj.uuid)
    errs: List[str] = []
    for idx, disk in enumerate(disks):
        dump = _Get(einfo, INISECT_INS, "disk%d_dump" % idx)
        if not dump:
            continue
        error = transfer.TransferData(
            lu, "disk/%d" % idx, iobj, "disk%d" % idx, op.src_node_uuid,
            (C.IEIO_FILE, [os.path.join(op.src_path, dump)]),
            iobj.primary_node, (C.IEIO_SCRIPT, [(disk, iobj), idx]),
            transfer.Options("import-%s-%d" % (iobj.uuid, idx),
                             op.compress))
        if error:
            lu.LogWarning("Import of disk/%d failed: %s", idx, error)
            errs.append(error)
    if errs:
        raise errors.OpExecError("Some disks for instance %s on node %s were"
                                 " not imported successfully"
                                 % (iobj.name, iu.NodeName(
                                     lu.cfg, iobj.primary_node)))
    old_name = _Get(einfo, INISECT_INS, "name")
    if old_name and old_name != iobj.name:
        feedback_fn("Running rename script for %s" % iobj.name)
        result = lu.rpc.call_instance_run_rename(iobj.primary_node, iobj,
                                                 old_name, op.debug_level or 0)
        if result.fail_msg:
            lu.LogWarning("Failed to run rename script for %s on node %s: %s",
                          iobj.name, iu.NodeName(lu.cfg, iobj.primary_node),
                          result.fail_msg)
