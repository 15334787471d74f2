"""Configuration objects and their config.data (upstream 3.0) dict form.

Each class lists its persisted fields once (FIELDS); ToDict() emits exactly
the fields that are set, FromDict() accepts what upstream writes. Nested
objects (NICs in instances, the cluster in ConfigData) are converted both
ways by the classes that hold them.
"""

import copy
import time
import uuid as _uuid
from typing import Any, Dict, List, Optional, Tuple

from ganeti import defaults


def new_uuid() -> str:
    return str(_uuid.uuid4())


class ConfigObject:
    """A plain attribute bag with a fixed field list."""

    FIELDS: List[str] = []
    # _extra: keys of the dict an object was read from that are not FIELDS
    # (written by a newer or older Ganeti); ToDict writes them back as they
    # were, so that nothing another version keeps is lost.
    __slots__ = ("_extra",)
    # Keys upstream writes but derives again when reading (never kept as
    # an unknown key: this implementation writes its own value).
    DERIVED: Tuple[str, ...] = ()

    def __init__(self, **kwargs: Any) -> None:
        for name in self.FIELDS:
            setattr(self, name, kwargs.pop(name, None))
        if kwargs:
            raise TypeError("%s: unknown fields %s" %
                            (self.__class__.__name__, sorted(kwargs)))

    def ToDict(self) -> Dict[str, Any]:
        result = {}
        for name in self.FIELDS:
            value = getattr(self, name, None)
            if value is None:
                continue
            result[name] = copy.deepcopy(value)
        for name, value in (getattr(self, "_extra", None) or {}).items():
            result.setdefault(name, copy.deepcopy(value))
        return result

    @classmethod
    def FromDict(cls, data: Optional[Dict[str, Any]]):
        if data is None:
            return None
        known = {k: copy.deepcopy(v) for k, v in data.items() if k in cls.FIELDS}
        obj = cls(**known)
        extra = {k: copy.deepcopy(v) for k, v in data.items()
                 if k not in cls.FIELDS and k not in cls.DERIVED}
        if extra:
            obj._extra = extra
        return obj

    def Copy(self):
        return self.__class__.FromDict(self.ToDict())

    def UpgradeConfig(self) -> None:
        """Fill fields missing from older or hand-written configs."""

    def __repr__(self) -> str:
        return "<%s %s>" % (self.__class__.__name__,
                            getattr(self, "name", None) or
                            getattr(self, "uuid", ""))


class TaggableObject(ConfigObject):
    __slots__ = ()

    def GetTags(self) -> List[str]:
        if self.tags is None:
            self.tags = []
        return self.tags

    def AddTag(self, tag: str) -> None:
        tags = self.GetTags()
        if tag not in tags:
            tags.append(tag)

    def RemoveTag(self, tag: str) -> None:
        self.GetTags().remove(tag)


_TIMESTAMPS = ["ctime", "mtime", "uuid", "serial_no"]


class NIC(ConfigObject):
    FIELDS = ["name", "mac", "ip", "network", "nicparams", "netinfo", "pci",
              "hvinfo", "uuid"]
    __slots__ = FIELDS


def DiskDescription(disk: Any) -> str:
    """A disk (objects.Disk or the node's view of one) as upstream's
    messages show it: <LogicalVolume(/dev/VG/LV, ...)>, <DRBD8(hosts=...)>
    or <Disk(type=..., logical_id=..., children=[...], ...)>."""
    lid = tuple(disk.logical_id or ())
    children = list(disk.children or [])
    if disk.dev_type == "plain" and len(lid) == 2:
        text = "<LogicalVolume(/dev/%s/%s" % lid
    elif disk.dev_type == "drbd" and len(lid) >= 5:
        text = "<DRBD8(hosts=%s/%s-%s/%s, port=%s, " % (lid[0], lid[3],
                                                       lid[1], lid[4], lid[2])
        if len(children) >= 2 and None not in children:
            text += "backend=%s, metadev=%s" % (DiskDescription(children[0]),
                                                DiskDescription(children[1]))
        else:
            text += "no local storage"
    else:
        text = "<Disk(type=%s, logical_id=%s, children=%s" % (
            disk.dev_type, lid, [DiskDescription(c) for c in children])
    if disk.iv_name is None:
        text += ", not visible"
    else:
        text += ", visible as /dev/%s" % disk.iv_name
    if getattr(disk, "spindles", None) is not None:
        text += ", spindles=%s" % disk.spindles
    if isinstance(disk.size, int):
        text += ", size=%dm)>" % disk.size
    else:
        text += ", size='%s')>" % (disk.size,)
    return text


class Disk(ConfigObject):
    FIELDS = ["name", "dev_type", "logical_id", "children", "nodes", "iv_name",
              "size", "mode", "params", "spindles", "pci", "hvinfo",
              "forthcoming"] + _TIMESTAMPS
    __slots__ = FIELDS

    def ToDict(self) -> Dict[str, Any]:
        result = super().ToDict()
        if self.children:
            result["children"] = [c.ToDict() for c in self.children]
        return result

    @classmethod
    def FromDict(cls, data):
        obj = super().FromDict(data)
        if obj is not None and obj.children:
            obj.children = [Disk.FromDict(c) for c in obj.children]
        return obj


class Instance(TaggableObject):
    FIELDS = ["name", "primary_node", "os", "hypervisor", "hvparams",
              "beparams", "osparams", "osparams_private", "admin_state",
              "admin_state_source", "nics", "disks", "disk_template",
              "disks_active", "network_port", "forthcoming", "tags"] + _TIMESTAMPS
    __slots__ = FIELDS

    def ToDict(self) -> Dict[str, Any]:
        """Upstream 3.0's instance: the disk template lives in the disks
        (its config daemon refuses an instance-level key), and
        "forthcoming" appears only on forthcoming instances."""
        result = super().ToDict()
        result["nics"] = [n.ToDict() for n in (self.nics or [])]
        result.pop("disk_template", None)
        if not result.get("forthcoming"):
            result.pop("forthcoming", None)
        return result

    @classmethod
    def FromDict(cls, data):
        obj = super().FromDict(data)
        if obj is not None:
            obj.nics = [NIC.FromDict(n) for n in (obj.nics or [])]
        return obj


# Float parameters that upstream's configuration holds as integers when
# whole (its JSON writes 4.0 as 4): their dict, and their keys.
_WHOLE_FLOATS = (("ndparams", ("cpu_speed",)),
                 ("ipolicy", ("vcpu-ratio", "spindle-ratio")))


def _WholeFloatsAsInts(obj: Any) -> None:
    """A configuration read from a file that wrote 4.0 answers 4."""
    for attr, keys in _WHOLE_FLOATS:
        params = getattr(obj, attr, None)
        for key in keys if isinstance(params, dict) else ():
            value = params.get(key)
            if isinstance(value, float) and value.is_integer():
                params[key] = int(value)


class Node(TaggableObject):
    FIELDS = ["name", "primary_ip", "secondary_ip", "master_candidate",
              "offline", "drained", "group", "master_capable", "vm_capable",
              "ndparams", "powered", "hv_state", "hv_state_static",
              "disk_state", "disk_state_static", "tags"] + _TIMESTAMPS
    __slots__ = FIELDS

    def UpgradeConfig(self) -> None:
        for flag in ("master_candidate", "offline", "drained"):
            if getattr(self, flag) is None:
                setattr(self, flag, False)
        for flag in ("master_capable", "vm_capable", "powered"):
            if getattr(self, flag) is None:
                setattr(self, flag, True)
        if self.ndparams is None:
            self.ndparams = {}
        if self.secondary_ip is None:
            self.secondary_ip = self.primary_ip
        _WholeFloatsAsInts(self)


class NodeGroup(TaggableObject):
    FIELDS = ["name", "ndparams", "diskparams", "ipolicy", "hv_state_static",
              "disk_state_static", "alloc_policy", "networks",
              "tags"] + _TIMESTAMPS
    __slots__ = FIELDS + ["members"]
    DERIVED = ("members",)

    def __init__(self, **kwargs: Any) -> None:
        self.members = kwargs.pop("members", [])
        super().__init__(**kwargs)

    def ToDict(self) -> Dict[str, Any]:
        """With upstream 3.0's "members" key, written empty as upstream
        writes it (the members are derived from the nodes on reading)."""
        result = super().ToDict()
        result["members"] = []
        result.setdefault("tags", [])
        return result

    def UpgradeConfig(self) -> None:
        for name in ("ndparams", "diskparams", "ipolicy", "networks"):
            if getattr(self, name) is None:
                setattr(self, name, {})
        if self.alloc_policy is None:
            self.alloc_policy = "preferred"
        _WholeFloatsAsInts(self)


class Network(TaggableObject):
    FIELDS = ["name", "mac_prefix", "network", "network6", "gateway",
              "gateway6", "reservations", "ext_reservations",
              "tags"] + _TIMESTAMPS
    __slots__ = FIELDS


class Filter(ConfigObject):
    FIELDS = ["watermark", "priority", "predicates", "action", "reason_trail",
              "uuid"]
    __slots__ = FIELDS


class Cluster(TaggableObject):
    FIELDS = [
        "rsahostkeypub", "dsahostkeypub", "highest_used_port",
        "tcpudp_port_pool", "mac_prefix", "volume_group_name", "reserved_lvs",
        "drbd_usermode_helper", "default_bridge", "default_hypervisor",
        "master_node", "master_ip", "master_netdev", "master_netmask",
        "use_external_mip_script", "cluster_name", "file_storage_dir",
        "shared_file_storage_dir", "gluster_storage_dir",
        "enabled_hypervisors", "hvparams", "ipolicy", "os_hvp", "beparams",
        "osparams", "osparams_private_cluster", "nicparams", "ndparams",
        "diskparams", "candidate_pool_size", "modify_etc_hosts",
        "modify_ssh_setup", "maintain_node_health", "uid_pool",
        "default_iallocator", "default_iallocator_params", "hidden_os",
        "blacklisted_os", "primary_ip_family", "prealloc_wipe_disks",
        "hv_state_static", "disk_state_static", "enabled_disk_templates",
        "candidate_certs", "max_running_jobs", "max_tracked_jobs",
        "install_image", "instance_communication_network", "zeroing_image",
        "compression_tools", "enabled_user_shutdown", "data_collectors",
        "ssh_key_type", "ssh_key_bits", "tags"] + _TIMESTAMPS
    __slots__ = FIELDS

    def UpgradeConfig(self) -> None:
        """Fill every parameter dictionary with the built-in defaults."""
        self.hvparams = defaults.fill_dict_of_dicts(
            defaults.HVC_DEFAULTS, self.hvparams or {})
        self.beparams = {"default": defaults.fill(
            defaults.BEC_DEFAULTS, (self.beparams or {}).get("default", {}))}
        self.nicparams = {"default": defaults.fill(
            defaults.NICC_DEFAULTS, (self.nicparams or {}).get("default", {}))}
        self.ndparams = defaults.fill(defaults.NDC_DEFAULTS, self.ndparams or {})
        self.diskparams = defaults.fill_dict_of_dicts(
            defaults.DISK_DT_DEFAULTS, self.diskparams or {})
        if not self.ipolicy:
            self.ipolicy = copy.deepcopy(defaults.IPOLICY_DEFAULTS)
        for name, value in defaults.CLUSTER_SCALARS.items():
            if getattr(self, name) is None:
                setattr(self, name, copy.deepcopy(value))
        _WholeFloatsAsInts(self)

    def FillHV(self, hypervisor: str, os_name: Optional[str] = None,
               overrides: Optional[dict] = None) -> dict:
        result = dict(self.hvparams.get(hypervisor, {}))
        if os_name:
            result.update((self.os_hvp or {}).get(os_name, {}).get(hypervisor, {}))
        result.update(overrides or {})
        return result

    def FillBE(self, overrides: Optional[dict] = None) -> dict:
        return defaults.fill(self.beparams["default"], overrides or {})

    def FillND(self, node: Node, group: Optional[NodeGroup] = None) -> dict:
        result = dict(self.ndparams)
        if group is not None:
            result.update(group.ndparams or {})
        result.update(node.ndparams or {})
        return result


class BlockDevStatus(ConfigObject):
    """Status of a block device on a node (blockdev_find/getmirrorstatus)."""
    FIELDS = ["dev_path", "major", "minor", "sync_percent", "estimated_time",
              "is_degraded", "ldisk_status"]
    __slots__ = FIELDS


class ConfigData(ConfigObject):
    FIELDS = ["version", "cluster", "nodes", "nodegroups", "instances",
              "networks", "disks", "filters", "serial_no", "ctime", "mtime"]
    __slots__ = FIELDS

    _CONTAINERS = {"nodes": Node, "nodegroups": NodeGroup,
                   "instances": Instance, "networks": Network,
                   "disks": Disk, "filters": Filter}

    def ToDict(self) -> Dict[str, Any]:
        result = {"version": self.version, "serial_no": self.serial_no,
                  "ctime": self.ctime, "mtime": self.mtime,
                  "cluster": self.cluster.ToDict()}
        for name in self._CONTAINERS:
            result[name] = {k: v.ToDict()
                            for k, v in (getattr(self, name) or {}).items()}
        for name, value in (getattr(self, "_extra", None) or {}).items():
            result.setdefault(name, copy.deepcopy(value))
        return result

    @classmethod
    def FromDict(cls, data: Dict[str, Any]) -> "ConfigData":
        obj = cls(version=data.get("version"), serial_no=data.get("serial_no", 1),
                  ctime=data.get("ctime"), mtime=data.get("mtime"),
                  cluster=Cluster.FromDict(data["cluster"]))
        for name, klass in cls._CONTAINERS.items():
            setattr(obj, name, {k: klass.FromDict(v)
                                for k, v in (data.get(name) or {}).items()})
        extra = {k: copy.deepcopy(v) for k, v in data.items()
                 if k not in cls.FIELDS}
        if extra:
            obj._extra = extra
        return obj

    def UpgradeConfig(self) -> None:
        self.cluster.UpgradeConfig()
        for group in self.nodegroups.values():
            group.UpgradeConfig()
            group.members = []
        for node in self.nodes.values():
            node.UpgradeConfig()
            group = self.nodegroups.get(node.group)
            if group is not None:
                group.members.append(node.uuid)


def stamp_new(obj: ConfigObject, now: Optional[float] = None) -> ConfigObject:
    """Give a new object its uuid, serial number and timestamps."""
    now = time.time() if now is None else now
    if getattr(obj, "uuid", None) is None:
        obj.uuid = new_uuid()
    obj.serial_no = 1
    obj.ctime = obj.mtime = now
    return obj
