"""The one table of node RPC calls, and the argument encodings they use.

Every call the master (or a tool) makes to ganeti-noded is declared once in
CALLS below: name, kind (one node or a fan-out), timeout class, which nodes it
accepts, its arguments in wire order with an optional encoding (``ED_*`` name
in upstream terms), and an optional result post-processor. RpcRunner in
ganeti.rpc generates ``call_<name>`` from this table; noded dispatches on the
same names.

Encoders are functions ``fn(ctx, node, value) -> JSON value``. ``ctx`` is an
EncodeContext (the cluster config, if any, for encodings that fill instance
and disk parameters); ``node`` is the node the body is for (only the per-node
encodings, e.g. disks with DRBD dynamic parameters, look at it).
"""

import base64
import binascii
import copy
import grp
import logging
import os
import pwd
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional, Sequence, Tuple, Union

from ganeti import constants

# --- timeout classes (seconds) ---------------------------------------------
TMO_URGENT = 60
TMO_FAST = 5 * 60
TMO_NORMAL = 15 * 60
TMO_SLOW = 3600
TMO_4HRS = 4 * 3600
TMO_1DAY = 86400

TIMEOUT_CLASSES = {"URGENT": TMO_URGENT, "FAST": TMO_FAST,
                   "NORMAL": TMO_NORMAL, "SLOW": TMO_SLOW,
                   "4HRS": TMO_4HRS, "1DAY": TMO_1DAY}

# --- transport facts ---------------------------------------------------------
RPC_CONNECT_TIMEOUT = 5
# Connect timeout (TCP and TLS handshake, over a fresh connection) of the
# calls made with quick_contact (queries, hooks, verify, file distribution,
# probes): a node whose node daemon is stopped or whose link is cut fails
# within this, not after the call's whole read timeout.
RPC_QUICK_CONNECT_TIMEOUT = 1.0
RPC_MAX_CONCURRENT_CONNECTIONS = 30

# --- payload compression ([encoding, data]) ----------------------------------
RPC_ENCODING_NONE = 0
RPC_ENCODING_ZLIB_BASE64 = 1
COMPRESS_THRESHOLD = 512
COMPRESS_LEVEL = 3
# Largest payload a compressed argument may inflate to (the largest request
# body noded reads): zlib inflates up to 1000 times, so a small request
# could otherwise take gigabytes of memory.
MAX_DECOMPRESSED_SIZE = constants.HTTP_MAX_BODY_SIZE

SINGLE = "single"
MULTI = "multi"

# Client classes of upstream (which resolver the caller uses); kept as facts.
CLIENT_DEFAULT = "Default"
CLIENT_CONFIG = "Config"
CLIENT_JOBQUEUE = "JobQueue"
CLIENT_BOOTSTRAP = "Bootstrap"
CLIENT_DNSONLY = "DnsOnly"


# --- simple encoders -----------------------------------------------------------

def _to_dict(obj: Any) -> Any:
    """obj.ToDict() if the object has one, else a copy of a dict, else obj."""
    to_dict = getattr(obj, "ToDict", None)
    if callable(to_dict):
        return to_dict()
    return copy.deepcopy(obj) if isinstance(obj, dict) else obj


def Compress(data: Union[str, bytes]) -> list:
    """[0, text] for short data, else [1, base64(zlib level 3)]."""
    if isinstance(data, str):
        if len(data) < COMPRESS_THRESHOLD:
            return [RPC_ENCODING_NONE, data]
        raw = data.encode("utf-8")
    else:
        raw = bytes(data)
        if len(raw) < COMPRESS_THRESHOLD:
            try:
                return [RPC_ENCODING_NONE, raw.decode("utf-8")]
            except UnicodeDecodeError:
                pass  # JSON cannot carry it plain: compress it anyway
    packed = base64.b64encode(zlib.compress(raw, COMPRESS_LEVEL))
    return [RPC_ENCODING_ZLIB_BASE64, packed.decode("ascii")]


def Decompress(value: Sequence,
               max_size: int = MAX_DECOMPRESSED_SIZE) -> bytes:
    """Inverse of Compress (used by noded): returns the raw bytes.

    Data inflating beyond max_size is refused (ValueError) without ever
    holding more than that in memory.
    """
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError("Invalid compressed data: %.200r" % (value,))
    encoding, content = value
    if encoding == RPC_ENCODING_NONE:
        return content.encode("utf-8") if isinstance(content, str) else content
    if encoding == RPC_ENCODING_ZLIB_BASE64:
        inflater = zlib.decompressobj()
        try:
            raw = inflater.decompress(base64.b64decode(content), max_size)
        except (zlib.error, binascii.Error) as err:
            raise ValueError("Invalid compressed data: %s" % err)
        if inflater.unconsumed_tail or \
                (not inflater.eof and inflater.decompress(b"", 1)):
            raise ValueError("Compressed data inflates beyond %d bytes"
                             % max_size)
        if not inflater.eof:
            raise ValueError("Invalid compressed data: truncated stream")
        return raw
    raise ValueError("Unknown data encoding %.200r" % (encoding,))


def _enc_plain(ctx, node, value):
    return value


def _enc_object_dict(ctx, node, value):
    return _to_dict(value)


def _enc_object_dict_list(ctx, node, value):
    return [_to_dict(v) for v in value]


def _enc_compress(ctx, node, value):
    return Compress(value)


def _owner_name(lookup: Callable, ident: int) -> Union[str, int]:
    try:
        return lookup(ident)[0]
    except KeyError:
        return ident


def PrepareFileUpload(filename: str) -> list:
    """[name, COMPRESS(content), mode, owner, group, atime, mtime] of a file.

    Owner and group travel as names (each node maps them to its own ids);
    an id without a name on this host is sent as the number.
    """
    with open(filename, "rb") as handle:
        st = os.fstat(handle.fileno())
        content = handle.read()
    return [filename, Compress(content), st.st_mode,
            _owner_name(pwd.getpwuid, st.st_uid),
            _owner_name(grp.getgrgid, st.st_gid), st.st_atime, st.st_mtime]


def _enc_file_details(ctx, node, value):
    return PrepareFileUpload(value)


def _enc_finalize_export_disks(ctx, node, value):
    """Snapshot disks of an export: False for a failed snapshot, else dicts."""
    return [v if isinstance(v, bool) or v is None else _to_dict(v)
            for v in value]


def _enc_blockdev_rename(ctx, node, value):
    """[(disk, new_unique_id), ...] -> [[disk dict, new_unique_id], ...]."""
    return [[_to_dict(disk), unique_id] for disk, unique_id in value]


def _enc_impexp_io(ctx, node, value):
    """(ieio, ieio_args): disks inside the args are sent as dicts.

    A (disk, instance) pair inside the args is sent with its disk parameters
    filled like SINGLE_DISK_DICT_DP.
    """
    ieio, ieio_args = value
    out = []
    for arg in ieio_args or ():
        if isinstance(arg, tuple) and len(arg) == 2 and hasattr(arg[0], "ToDict") \
                and hasattr(arg[1], "ToDict"):
            out.append(ctx.DiskDicts(node, [arg[0]], arg[1])[0])
        else:
            out.append(_to_dict(arg))
    return [ieio, out]


# --- config-dependent encoders (instances, disks, NICs) -------------------------

def _enc_inst_dict(ctx, node, value):
    return ctx.InstanceDict(node, value)


def _enc_inst_dict_hvp_bep_dp(ctx, node, value):
    instance, hvp, bep = value
    return ctx.InstanceDict(node, instance, hvp=hvp, bep=bep)


def _enc_inst_dict_osp_dp(ctx, node, value):
    instance, osp = value
    return ctx.InstanceDict(node, instance, osp=osp)


def _enc_single_disk_dict_dp(ctx, node, value):
    disk, instance = value
    return ctx.DiskDicts(node, [disk], instance)[0]


def _enc_disks_dict_dp(ctx, node, value):
    disks, instance = value
    return ctx.DiskDicts(node, disks, instance)


def _enc_multi_disks_dict_dp(ctx, node, value):
    return [ctx.DiskDicts(node, [disk], instance)[0] for disk, instance in value]


def _enc_node_to_disk_dict_dp(ctx, node, value):
    """{node: [(disk, instance), ...]} -> this node's list of disk dicts."""
    return _enc_multi_disks_dict_dp(ctx, node, value.get(node, []))


def _enc_nic_dict(ctx, node, value):
    return ctx.NicDict(value)


def _enc_device_dict(ctx, node, value):
    """Hotplug device: (instance, device) or a bare NIC/disk object."""
    if isinstance(value, tuple):
        instance, device = value
    else:
        instance, device = None, value
    if type(device).__name__ == "NIC":
        return ctx.NicDict(device)
    if instance is not None:
        return ctx.DiskDicts(node, [device], instance)[0]
    return _to_dict(device)


@dataclass(frozen=True)
class Encoding:
    """An ED_* argument encoding; per_node ones are computed for each node."""
    name: str
    fn: Callable[[Any, Any, Any], Any]
    per_node: bool = False


ENCODINGS: Dict[str, Encoding] = {e.name: e for e in [
    Encoding("PLAIN", _enc_plain),
    Encoding("OBJECT_DICT", _enc_object_dict),
    Encoding("OBJECT_DICT_LIST", _enc_object_dict_list),
    Encoding("COMPRESS", _enc_compress),
    Encoding("FILE_DETAILS", _enc_file_details),
    Encoding("FINALIZE_EXPORT_DISKS", _enc_finalize_export_disks),
    Encoding("BLOCKDEV_RENAME", _enc_blockdev_rename),
    Encoding("IMPEXP_IO", _enc_impexp_io, per_node=True),
    Encoding("INST_DICT", _enc_inst_dict, per_node=True),
    Encoding("INST_DICT_HVP_BEP_DP", _enc_inst_dict_hvp_bep_dp, per_node=True),
    Encoding("INST_DICT_OSP_DP", _enc_inst_dict_osp_dp, per_node=True),
    Encoding("SINGLE_DISK_DICT_DP", _enc_single_disk_dict_dp, per_node=True),
    Encoding("DISKS_DICT_DP", _enc_disks_dict_dp, per_node=True),
    Encoding("MULTI_DISKS_DICT_DP", _enc_multi_disks_dict_dp, per_node=True),
    Encoding("NODE_TO_DISK_DICT_DP", _enc_node_to_disk_dict_dp, per_node=True),
    Encoding("NIC_DICT", _enc_nic_dict),
    Encoding("DEVICE_DICT", _enc_device_dict, per_node=True),
]}


# Disk-template parameters (cluster/group "diskparams") -> logical-disk
# parameters the node's block device code reads ("ld params").
_DRBD_LD_KEYS = {
    "resync-rate": "resync-rate", "disk-barriers": "disabled-barriers",
    "meta-barriers": "disable-meta-flush", "metavg": "default-metavg",
    "disk-custom": "disk-custom", "net-custom": "net-custom",
    "protocol": "protocol", "dynamic-resync": "dynamic-resync",
    "c-plan-ahead": "c-plan-ahead", "c-fill-target": "c-fill-target",
    "c-delay-target": "c-delay-target", "c-max-rate": "c-max-rate",
    "c-min-rate": "c-min-rate",
}
_SIMPLE_LD_KEYS = {
    "plain": ("stripes",), "rbd": ("pool", "access"), "ext": ("access",),
    "gluster": ("host", "port", "volume", "access"),
}


def _ld_params(dev_type: str, dt_params: dict) -> dict:
    if dev_type == "drbd":
        return {ld: dt_params[dt] for dt, ld in _DRBD_LD_KEYS.items()
                if dt in dt_params}
    if dev_type == "ext":
        # "access" and the providers' parameters (cluster/group level)
        return dict(dt_params)
    return {key: dt_params[key] for key in _SIMPLE_LD_KEYS.get(dev_type, ())
            if key in dt_params}


class EncodeContext:
    """What the instance/disk/NIC encodings need from the cluster config.

    Without a config (bootstrap, tools) objects are sent as plain ToDict().
    With one, instances get filled hv/be/os parameters, ``disks_info`` and
    filled NIC parameters; disks get their disk parameters and, for DRBD, the
    per-node ``dynamic_params`` (local/remote secondary IP and minor).
    """

    def __init__(self, cfg: Any = None) -> None:
        self.cfg = cfg

    def _cluster(self):
        getter = getattr(self.cfg, "GetClusterInfo", None)
        return getter() if getter else None

    def _node(self, key):
        """The node object for a uuid or name (or None)."""
        if self.cfg is None or key is None:
            return None
        node = getattr(self.cfg, "GetNodeInfo", lambda _: None)(key)
        if node is None and hasattr(self.cfg, "GetNodeInfoByName"):
            node = self.cfg.GetNodeInfoByName(key)
        return node

    def InstanceDict(self, node, instance, hvp=None, bep=None, osp=None):
        idict = _to_dict(instance)
        cluster = self._cluster()
        if cluster is not None and hasattr(instance, "ToDict"):
            # TODO(objects): switch to the upstream-shaped Fill* signatures
            # once objects.Cluster settles (FillHV(instance) in upstream).
            idict["hvparams"] = cluster.FillHV(
                instance.hypervisor, instance.os, instance.hvparams or {})
            idict["beparams"] = cluster.FillBE(instance.beparams or {})
            osparams = dict(((cluster.osparams or {}).get(instance.os) or {}))
            osparams.update(instance.osparams or {})
            idict["osparams"] = osparams
            default_nicp = ((cluster.nicparams or {}).get("default") or {})
            for nic in idict.get("nics") or []:
                filled = dict(default_nicp)
                filled.update(nic.get("nicparams") or {})
                nic["nicparams"] = filled
        if isinstance(idict, dict):
            for key, extra in (("hvparams", hvp), ("beparams", bep),
                               ("osparams", osp)):
                if extra:
                    idict.setdefault(key, {})
                    idict[key] = dict(idict[key] or {}, **extra)
            disks = self._InstanceDisks(instance)
            if disks is not None:
                idict["disks_info"] = self.DiskDicts(node, disks, instance)
            snodes = getattr(self.cfg, "GetInstanceSecondaryNodes", None)
            if snodes is not None:
                idict["secondary_nodes"] = list(snodes(instance.uuid))
        return idict

    def _InstanceDisks(self, instance):
        """Disk objects of an instance (3.0: instance.disks holds uuids)."""
        if self.cfg is not None and hasattr(self.cfg, "GetInstanceDisks"):
            return self.cfg.GetInstanceDisks(instance.uuid)
        disks = getattr(instance, "disks", None) or []
        if all(hasattr(d, "ToDict") for d in disks):
            return disks
        getter = getattr(self.cfg, "GetDiskInfo", None)
        if getter is not None:
            return [getter(uuid) for uuid in disks]
        return None  # TODO(config): no way to look up disks by uuid yet

    def _DiskParams(self, instance) -> dict:
        """Cluster disk parameters overlaid with the instance's group's."""
        cluster = self._cluster()
        if cluster is None:
            return {}
        params = {k: dict(v) for k, v in (cluster.diskparams or {}).items()}
        pnode = self._node(getattr(instance, "primary_node", None))
        group_get = getattr(self.cfg, "GetNodeGroup", None)
        group = group_get(pnode.group) if pnode is not None and group_get else None
        for dev_type, values in ((group.diskparams if group else None) or {}).items():
            params.setdefault(dev_type, {}).update(values)
        return params

    def DiskDicts(self, node, disks, instance) -> list:
        dparams = self._DiskParams(instance) if instance is not None else {}
        node_obj = self._node(node)
        node_uuid = getattr(node_obj, "uuid", None) or node
        result = [self._DiskDict(_to_dict(d), dparams, node_uuid)
                  for d in disks]
        for ddict in result:
            # upstream sends the key for every disk (empty unless DRBD)
            ddict.setdefault("dynamic_params", {})
        return result

    def _DiskDict(self, ddict, dparams, node_uuid, child_params=None):
        dev_type = ddict.get("dev_type")
        if child_params is not None:
            ld = child_params
        else:
            ld = _ld_params(dev_type, dparams.get(dev_type, {}))
        ddict["params"] = dict(ld, **(ddict.get("params") or {}))
        children = ddict.get("children") or []
        if dev_type == "drbd":
            drbd = dparams.get("drbd", {})
            kids = [{"stripes": drbd["data-stripes"]} if "data-stripes" in drbd
                    else {},
                    {"stripes": drbd["meta-stripes"]} if "meta-stripes" in drbd
                    else {}]
            ddict["children"] = [self._DiskDict(c, dparams, node_uuid, kids[i])
                                 for i, c in enumerate(children)]
            self._DrbdDynamicParams(ddict, node_uuid)
        elif children:
            ddict["children"] = [self._DiskDict(c, dparams, node_uuid)
                                 for c in children]
        return ddict

    def _DrbdDynamicParams(self, ddict, node_uuid):
        """local/remote replication (secondary) IP and minor for node_uuid."""
        lid = ddict.get("logical_id") or []
        if len(lid) != 6 or self.cfg is None:
            return
        pnode, snode, _, pminor, sminor, _ = lid
        ips = {}
        for uuid in (pnode, snode):
            obj = self._node(uuid)
            if obj is not None:
                ips[uuid] = obj.secondary_ip or obj.primary_ip
        if pnode not in ips or snode not in ips or node_uuid not in (pnode, snode):
            logging.warning("Cannot compute DRBD dynamic params of %s for %s",
                            ddict.get("uuid"), node_uuid)
            return
        if node_uuid == pnode:
            local, remote = (ips[pnode], pminor), (ips[snode], sminor)
        else:
            local, remote = (ips[snode], sminor), (ips[pnode], pminor)
        ddict["dynamic_params"] = {"local-ip": local[0], "local-minor": local[1],
                                   "remote-ip": remote[0],
                                   "remote-minor": remote[1]}

    def NicDict(self, nic):
        ndict = _to_dict(nic)
        cluster = self._cluster()
        if cluster is not None and isinstance(ndict, dict):
            filled = dict(((cluster.nicparams or {}).get("default") or {}))
            filled.update(ndict.get("nicparams") or {})
            ndict["nicparams"] = filled
        net = ndict.get("network") if isinstance(ndict, dict) else None
        if net and self.cfg is not None:
            networks = getattr(self.cfg, "GetAllNetworksInfo", lambda: {})()
            nobj = networks.get(net) or next(
                (n for n in networks.values() if n.name == net), None)
            if nobj is not None:
                ndict["netinfo"] = _to_dict(nobj)
        return ndict


# --- result post-processors ------------------------------------------------------
# Applied to the payload of a successful result; they turn dicts into objects
# where ganeti.objects has the class (left as dicts until it does).

def _object_class(name: str):
    try:
        from ganeti import objects
    except ImportError:  # pragma: no cover
        return None
    return getattr(objects, name, None)


def _from_dict(class_name: str, value):
    cls = _object_class(class_name)
    if cls is None or not isinstance(value, dict):
        return value
    return cls.FromDict(value)


def _post_blockdev_find(payload):
    return None if payload is None else _from_dict("BlockDevStatus", payload)


def _post_mirror_status(payload):
    return [_from_dict("BlockDevStatus", s) for s in payload]


def _post_mirror_status_multi(payload):
    return [(ok, _from_dict("BlockDevStatus", s) if ok else s)
            for ok, s in payload]


def _post_impexp_status(payload):
    return [None if s is None else _from_dict("ImportExportStatus", s)
            for s in payload]


def _post_migration_status(payload):
    return _from_dict("MigrationStatus", payload)


# --- the table ---------------------------------------------------------------------

Timeout = Union[int, float, Callable[[Sequence], float]]


@dataclass(frozen=True)
class RpcArg:
    name: str
    encoding: Optional[str] = None  # an ENCODINGS key; None = plain JSON


@dataclass(frozen=True)
class RpcCall:
    name: str
    kind: str
    timeout: Timeout
    args: Tuple[RpcArg, ...]
    client: str = CLIENT_DEFAULT
    accept_offline: bool = False
    postproc: Optional[Callable[[Any], Any]] = None
    per_node: bool = field(default=False, compare=False)

    def ReadTimeout(self, args: Sequence) -> float:
        return self.timeout(args) if callable(self.timeout) else self.timeout

    def CheckArgs(self, args: Sequence) -> None:
        if len(args) != len(self.args):
            raise TypeError("RPC %s takes %d arguments (%s), %d given"
                            % (self.name, len(self.args),
                               ", ".join(a.name for a in self.args), len(args)))

    def Encode(self, ctx: EncodeContext, args: Sequence, node=None) -> list:
        """The JSON body (argument list) for one node, or for all nodes."""
        self.CheckArgs(args)
        out = []
        for arg, value in zip(self.args, args):
            if arg.encoding is None:
                out.append(value)
            else:
                out.append(ENCODINGS[arg.encoding].fn(ctx, node, value))
        return out


def _test_delay_timeout(args: Sequence) -> float:
    (duration,) = args
    return int(duration) + 5


def _c(name: str, kind: str, timeout: Union[str, Callable], argspec: str = "",
       client: str = CLIENT_DEFAULT, offline: bool = False,
       post: Optional[Callable] = None) -> RpcCall:
    """Declare one call; argspec is "name name:ENCODING ..." in wire order."""
    args = []
    for item in argspec.split():
        arg, _, enc = item.partition(":")
        args.append(RpcArg(arg, enc or None))
    tmo = TIMEOUT_CLASSES[timeout] if isinstance(timeout, str) else timeout
    per_node = any(a.encoding and ENCODINGS[a.encoding].per_node for a in args)
    return RpcCall(name, kind, tmo, tuple(args), client, offline, post, per_node)


S, M = SINGLE, MULTI
_BOOT, _DNS, _CFG, _JQ = (CLIENT_BOOTSTRAP, CLIENT_DNSONLY, CLIENT_CONFIG,
                          CLIENT_JOBQUEUE)

_CALL_LIST = [
    # block devices
    _c("bdev_sizes", M, "URGENT", "devices"),
    _c("blockdev_addchildren", S, "NORMAL",
       "bdev:SINGLE_DISK_DICT_DP ndevs:DISKS_DICT_DP"),
    _c("blockdev_assemble", S, "NORMAL",
       "disk:SINGLE_DISK_DICT_DP instance:INST_DICT on_primary idx"),
    _c("blockdev_close", S, "NORMAL", "instance_name disks:DISKS_DICT_DP"),
    _c("blockdev_convert", S, "SLOW",
       "bdev_src:SINGLE_DISK_DICT_DP bdev_dest:SINGLE_DISK_DICT_DP"),
    _c("blockdev_create", S, "NORMAL", "bdev:SINGLE_DISK_DICT_DP size owner "
       "on_primary info exclusive_storage"),
    _c("blockdev_find", S, "NORMAL", "disk:SINGLE_DISK_DICT_DP",
       post=_post_blockdev_find),
    _c("blockdev_getdimensions", S, "NORMAL", "disks:MULTI_DISKS_DICT_DP"),
    _c("blockdev_getmirrorstatus", S, "NORMAL", "disks:DISKS_DICT_DP",
       post=_post_mirror_status),
    _c("blockdev_getmirrorstatus_multi", M, "NORMAL",
       "node_disks:NODE_TO_DISK_DICT_DP", post=_post_mirror_status_multi),
    _c("blockdev_grow", S, "NORMAL",
       "cf_bdev:SINGLE_DISK_DICT_DP amount dryrun backingstore es_flag"),
    _c("blockdev_image", S, "SLOW", "bdev:SINGLE_DISK_DICT_DP image size"),
    _c("blockdev_open", S, "NORMAL",
       "instance_name disks:DISKS_DICT_DP exclusive"),
    _c("blockdev_pause_resume_sync", S, "NORMAL", "disks:DISKS_DICT_DP pause"),
    _c("blockdev_remove", S, "NORMAL", "bdev:SINGLE_DISK_DICT_DP"),
    _c("blockdev_removechildren", S, "NORMAL",
       "bdev:SINGLE_DISK_DICT_DP ndevs:DISKS_DICT_DP"),
    _c("blockdev_rename", S, "NORMAL", "devlist:BLOCKDEV_RENAME"),
    _c("blockdev_setinfo", S, "NORMAL", "disk:SINGLE_DISK_DICT_DP info"),
    _c("blockdev_shutdown", S, "NORMAL", "disk:SINGLE_DISK_DICT_DP"),
    _c("blockdev_snapshot", S, "NORMAL",
       "cf_bdev:SINGLE_DISK_DICT_DP snap_name snap_size"),
    _c("blockdev_wipe", S, "SLOW", "bdev:SINGLE_DISK_DICT_DP offset size"),
    # config / files
    _c("upload_file", M, "NORMAL", "file_name:FILE_DETAILS", client=_CFG),
    _c("upload_file_single", M, "NORMAL",
       "file_name content:COMPRESS mode uid gid atime mtime", client=_CFG),
    _c("write_ssconf_files", M, "NORMAL", "values", client=_CFG),
    # DRBD
    _c("drbd_attach_net", M, "NORMAL", "disks:DISKS_DICT_DP multimaster"),
    _c("drbd_disconnect_net", M, "NORMAL", "disks:DISKS_DICT_DP"),
    _c("drbd_helper", M, "URGENT"),
    _c("drbd_needs_activation", S, "NORMAL", "disks:MULTI_DISKS_DICT_DP"),
    _c("drbd_wait_sync", M, "SLOW", "disks:DISKS_DICT_DP"),
    # file storage
    _c("file_storage_dir_create", S, "FAST", "file_storage_dir"),
    _c("file_storage_dir_remove", S, "FAST", "file_storage_dir"),
    _c("file_storage_dir_rename", S, "FAST",
       "old_file_storage_dir new_file_storage_dir"),
    # hooks / iallocator
    _c("hooks_runner", M, "NORMAL", "hpath phase env"),
    _c("iallocator_runner", S, "NORMAL",
       "name idata default_iallocator_params"),
    # import / export
    _c("export_info", S, "FAST", "path"),
    _c("export_list", M, "FAST"),
    _c("export_remove", S, "FAST", "export"),
    _c("export_start", S, "NORMAL", "opts:OBJECT_DICT host port "
       "instance:INST_DICT component source:IMPEXP_IO"),
    _c("finalize_export", S, "NORMAL",
       "instance:INST_DICT snap_disks:FINALIZE_EXPORT_DISKS"),
    _c("impexp_abort", S, "NORMAL", "name"),
    _c("impexp_cleanup", S, "NORMAL", "name"),
    _c("impexp_status", S, "FAST", "names", post=_post_impexp_status),
    _c("import_start", S, "NORMAL",
       "opts:OBJECT_DICT instance:INST_DICT component dest:IMPEXP_IO"),
    _c("x509_cert_create", S, "NORMAL", "validity"),
    _c("x509_cert_remove", S, "NORMAL", "name"),
    # instances
    _c("all_instances_info", M, "URGENT", "hypervisor_list all_hvparams"),
    _c("instance_balloon_memory", S, "NORMAL", "instance:INST_DICT memory"),
    _c("instance_finalize_migration_dst", S, "NORMAL",
       "instance:INST_DICT info success"),
    _c("instance_finalize_migration_src", S, "SLOW",
       "instance:INST_DICT success live"),
    _c("instance_get_migration_status", S, "SLOW", "instance:INST_DICT",
       post=_post_migration_status),
    _c("instance_info", S, "URGENT", "instance hname hvparams"),
    _c("instance_list", M, "URGENT", "hypervisor_list hvparams"),
    _c("instance_metadata_modify", S, "URGENT", "instance"),
    _c("instance_migratable", S, "NORMAL", "instance:INST_DICT"),
    _c("instance_migrate", S, "SLOW",
       "cluster_name instance:INST_DICT target live"),
    _c("instance_os_add", S, "1DAY",
       "instance_osp:INST_DICT_OSP_DP reinstall debug"),
    _c("instance_reboot", S, "NORMAL",
       "inst:INST_DICT reboot_type shutdown_timeout reason"),
    _c("instance_run_rename", S, "SLOW", "instance:INST_DICT old_name debug"),
    _c("instance_shutdown", S, "NORMAL", "instance:INST_DICT timeout reason"),
    _c("instance_start", S, "NORMAL",
       "instance_hvp_bep:INST_DICT_HVP_BEP_DP startup_paused reason"),
    _c("resize_disk", S, "NORMAL", "instance:INST_DICT disk new_size"),
    # instances: hotplug
    _c("hotplug_device", S, "NORMAL",
       "instance:INST_DICT action dev_type device:DEVICE_DICT extra seq"),
    _c("hotplug_supported", S, "NORMAL", "instance:INST_DICT"),
    # instances: migration
    _c("accept_instance", S, "NORMAL", "instance:INST_DICT info target"),
    _c("migration_info", S, "NORMAL", "instance:INST_DICT"),
    # job queue
    _c("jobqueue_purge", S, "NORMAL", client=_JQ),
    _c("jobqueue_rename", M, "URGENT", "rename", client=_JQ),
    _c("jobqueue_set_drain_flag", M, "URGENT", "flag", client=_JQ),
    _c("jobqueue_update", M, "URGENT", "file_name content:COMPRESS",
       client=_JQ),
    # node
    _c("bridges_exist", S, "URGENT", "bridges_list"),
    _c("etc_hosts_modify", S, "NORMAL", "mode name ip"),
    _c("get_file_info", S, "FAST", "file_path"),
    _c("get_watcher_pause", S, "URGENT"),
    _c("master_node_name", M, "URGENT", client=_BOOT),
    _c("node_activate_master_ip", S, "FAST",
       "master_params:OBJECT_DICT use_external_mip_script", client=_BOOT),
    _c("node_change_master_netmask", S, "FAST",
       "old_netmask netmask master_ip master_netdev", client=_BOOT),
    _c("node_configure_ovs", S, "NORMAL", "ovs_name ovs_link"),
    _c("node_crypto_tokens", S, "SLOW", "token_request"),
    _c("node_deactivate_master_ip", S, "FAST",
       "master_params:OBJECT_DICT use_external_mip_script", client=_BOOT),
    _c("node_demote_from_mc", S, "FAST"),
    _c("node_ensure_daemon", M, "URGENT", "daemon run"),
    _c("node_has_ip_address", S, "FAST", "address"),
    _c("node_info", M, "URGENT", "storage_units hv_specs"),
    _c("node_leave_cluster", S, "NORMAL", "modify_ssh_setup", client=_BOOT),
    _c("node_powercycle", S, "NORMAL", "hypervisor hvparams", offline=True),
    _c("node_ssh_key_add", M, "FAST", "node_uuid node_name "
       "potential_master_candidates to_authorized_keys to_public_keys "
       "get_public_keys"),
    _c("node_ssh_key_remove", M, "FAST", "node_uuid node_name "
       "master_candidate_uuids potential_master_candidates "
       "from_authorized_keys from_public_keys clear_authorized_keys "
       "clear_public_keys readd"),
    _c("node_ssh_keys_renew", M, "4HRS", "node_uuids node_names "
       "master_candidate_uuids potential_master_candidates old_key_type "
       "new_key_type new_key_bits"),
    _c("node_start_master_daemons", S, "FAST", "no_voting", client=_BOOT),
    _c("node_stop_master", S, "FAST", client=_BOOT),
    _c("node_verify", M, "NORMAL", "checkdict cluster_name all_hvparams"),
    _c("node_verify_light", M, "NORMAL", "checkdict cluster_name hvparams",
       client=_DNS),
    _c("node_volumes", M, "FAST"),
    _c("restricted_command", M, "SLOW", "cmd"),
    _c("run_oob", S, "NORMAL", "oob_program command remote_node timeout"),
    _c("set_watcher_pause", M, "URGENT", "until"),
    _c("version", M, "URGENT", client=_DNS, offline=True),
    # OS / ExtStorage
    _c("extstorage_diagnose", M, "FAST"),
    _c("os_diagnose", M, "FAST"),
    _c("os_export", S, "FAST", "instance:INST_DICT override_env"),
    _c("os_validate", M, "FAST",
       "required name checks params force_variant"),
    # other
    _c("hypervisor_validate_params", M, "NORMAL", "hvname hvfull"),
    # storage
    _c("lv_list", M, "URGENT", "vg_name"),
    _c("storage_execute", S, "NORMAL", "su_name su_args name op"),
    _c("storage_list", M, "NORMAL", "su_name su_args name fields"),
    _c("storage_modify", S, "NORMAL", "su_name su_args name changes"),
    _c("vg_list", M, "URGENT"),
    # test
    _c("test_delay", M, _test_delay_timeout, "duration"),
    # Extensions: calls upstream 3.0 does not have (an upstream node daemon
    # answers 404).  The "x_" prefix keeps them apart from upstream's names;
    # callers must cope with a node that does not know them.
    #   x_config_newer_than(known_serial) -> [serial_no, config.data text
    #   if serial_no > known_serial else null] (master-failover, config
    #   catch-up: ganeti.bootstrap.config_sync, ganeti.config.catchup)
    _c("x_config_newer_than", M, "URGENT", "known_serial", client=_BOOT),
]

CALLS: Dict[str, RpcCall] = {call.name: call for call in _CALL_LIST}
assert len(CALLS) == len(_CALL_LIST), "duplicate RPC call name"
del S, M, _CALL_LIST
