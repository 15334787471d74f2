"""Query field table of instances.

``InstanceQueryData`` (the ``ctx`` of ``query.Query.Query``) iterates over
config Instance objects and its getters read:

  instance: ``uuid name primary_node (uuid) os hypervisor hvparams beparams
    osparams admin_state admin_state_source disks_active disk_template
    network_port forthcoming nics tags serial_no ctime mtime``;
    each NIC: ``mac ip name uuid network (uuid) nicparams``;
    each Disk: ``size spindles name uuid nodes``.
  ``cluster``: ``hvparams {hv: {..}}``, ``os_hvp {os: {hv: {..}}}``,
    ``beparams {"default": {..}}``, ``osparams {os: {..}}``,
    ``nicparams {"default": {..}}``, ``enabled_user_shutdown``.
  ``nodes`` {uuid: Node (.name .group)}, ``groups`` {uuid: NodeGroup (.name)},
  ``networks`` {uuid: Network (.name)}.
  ``inst_disks`` {instance uuid: [Disk, ...]} (in 3.0 instances only hold
    disk uuids; when not given, Disk objects in ``instance.disks`` are used).
  ``inst_secondaries`` {instance uuid: [node uuid, ...]} (when not given,
    derived from the disks' ``nodes``).
  ``live_data`` {instance uuid: {"memory": MiB, "vcpus": n, "state": hv
    state ("shutdown" marks a user shutdown)}} for running instances only;
  ``offline_node_uuids``, ``bad_node_uuids`` (unreachable primaries; offline
    ones included), ``wrongnode_inst`` (uuids running on the wrong node),
  ``disk_usage`` {instance uuid: MiB}, ``console`` {instance uuid: dict}.
"""

from typing import Any, Dict, Iterable, List, Optional, Tuple

from ganeti import constants as C
from ganeti.query import (FS_NODATA, FS_UNAVAIL, QFF_HOSTNAME, QFT_BOOL,
                          QFT_NUMBER, QFT_OTHER, QFT_TEXT, QFT_UNIT,
                          BuildFieldDict, ItemAttr, MakeField,
                          SerialUuidFields, TagsField, TimestampFields)
from ganeti.query.node import FillDict

IQ_CONFIG = "instance-config"
IQ_LIVE = "instance-live"
IQ_DISKUSAGE = "instance-diskusage"
IQ_CONSOLE = "instance-console"
IQ_NODES = "instance-nodes"
IQ_NETWORKS = "instance-networks"

_HV_SHUTDOWN_STATE = "shutdown"

# Hypervisor parameters shown as hv/<name>: (name, title, kind)
HV_FIELDS = [
    ("acpi", "ACPI", QFT_BOOL), ("blockdev_prefix", None, QFT_OTHER),
    ("boot_order", "Boot_order", QFT_OTHER),
    ("bootloader_args", None, QFT_OTHER),
    ("bootloader_path", None, QFT_OTHER),
    ("cdrom2_image_path", None, QFT_OTHER),
    ("cdrom_disk_type", None, QFT_OTHER),
    ("cdrom_image_path", "CDROM_image_path", QFT_OTHER),
    ("cpu_cap", None, QFT_NUMBER), ("cpu_cores", None, QFT_NUMBER),
    ("cpu_mask", None, QFT_OTHER), ("cpu_sockets", None, QFT_NUMBER),
    ("cpu_threads", None, QFT_NUMBER), ("cpu_type", "cpu_type", QFT_OTHER),
    ("cpu_weight", None, QFT_NUMBER), ("cpuid", None, QFT_OTHER),
    ("device_model", None, QFT_OTHER), ("devices", None, QFT_OTHER),
    ("disk_aio", None, QFT_OTHER), ("disk_cache", None, QFT_OTHER),
    ("disk_discard", None, QFT_OTHER), ("disk_type", "Disk_type", QFT_OTHER),
    ("drop_capabilities", None, QFT_OTHER),
    ("extra_cgroups", None, QFT_OTHER), ("extra_config", None, QFT_OTHER),
    ("floppy_image_path", None, QFT_OTHER), ("init_script", None, QFT_OTHER),
    ("initrd_path", "Initrd_path", QFT_OTHER),
    ("kernel_args", None, QFT_OTHER),
    ("kernel_path", "Kernel_path", QFT_OTHER), ("keymap", None, QFT_OTHER),
    ("kvm_extra", None, QFT_OTHER), ("kvm_flag", None, QFT_OTHER),
    ("kvm_path", None, QFT_OTHER),
    ("kvm_pci_reservations", None, QFT_NUMBER),
    ("machine_version", None, QFT_OTHER), ("mem_path", None, QFT_OTHER),
    ("migration_caps", None, QFT_OTHER),
    ("migration_downtime", None, QFT_NUMBER),
    ("nic_type", "NIC_type", QFT_OTHER), ("num_ttys", None, QFT_NUMBER),
    ("pae", "PAE", QFT_BOOL), ("pci_pass", "pci_pass", QFT_OTHER),
    ("reboot_behavior", None, QFT_OTHER), ("root_path", None, QFT_OTHER),
    ("scsi_controller_type", None, QFT_OTHER),
    ("security_domain", None, QFT_OTHER),
    ("security_model", None, QFT_OTHER),
    ("serial_console", None, QFT_BOOL), ("serial_speed", None, QFT_NUMBER),
    ("soundhw", None, QFT_OTHER), ("spice_bind", None, QFT_OTHER),
    ("spice_image_compression", None, QFT_OTHER),
    ("spice_ip_version", None, QFT_NUMBER),
    ("spice_jpeg_wan_compression", None, QFT_OTHER),
    ("spice_password_file", None, QFT_OTHER),
    ("spice_playback_compression", None, QFT_BOOL),
    ("spice_streaming_video", None, QFT_OTHER),
    ("spice_tls_ciphers", None, QFT_OTHER),
    ("spice_use_tls", None, QFT_BOOL), ("spice_use_vdagent", None, QFT_BOOL),
    ("spice_zlib_glz_wan_compression", None, QFT_OTHER),
    ("startup_timeout", None, QFT_NUMBER), ("usb_devices", None, QFT_OTHER),
    ("usb_mouse", None, QFT_OTHER), ("use_bootloader", None, QFT_BOOL),
    ("use_chroot", None, QFT_BOOL), ("use_guest_agent", None, QFT_BOOL),
    ("use_localtime", None, QFT_BOOL), ("user_shutdown", None, QFT_BOOL),
    ("vga", None, QFT_OTHER), ("vhost_net", None, QFT_BOOL),
    ("vif_script", None, QFT_OTHER), ("vif_type", None, QFT_OTHER),
    ("viridian", None, QFT_BOOL), ("virtio_net_queues", None, QFT_NUMBER),
    ("vnc_bind_address", "VNC_bind_address", QFT_OTHER),
    ("vnc_password_file", None, QFT_OTHER), ("vnc_tls", None, QFT_BOOL),
    ("vnc_x509_path", None, QFT_OTHER), ("vnc_x509_verify", None, QFT_BOOL),
    ("vnet_hdr", None, QFT_BOOL),
]

# Backend parameters shown as be/<name>: (field name, param, title, kind)
BE_FIELDS = [
    ("always_failover", "always_failover", None, QFT_BOOL),
    ("auto_balance", "auto_balance", "Auto_balance", QFT_BOOL),
    ("maxmem", "maxmem", "ConfigMaxMem", QFT_UNIT),
    ("minmem", "minmem", "ConfigMinMem", QFT_UNIT),
    ("spindle_use", "spindle_use", None, QFT_NUMBER),
    ("vcpus", "vcpus", "ConfigVCPUs", QFT_NUMBER),
    ("memory", "maxmem", "ConfigMaxMem", QFT_UNIT),  # legacy alias
]


class InstanceQueryData:
    """What instance field getters read (see the module doc)."""

    def __init__(self, instances: Iterable[Any], cluster: Any,
                 disk_usage: Optional[dict] = None,
                 offline_node_uuids: Iterable[str] = (),
                 bad_node_uuids: Iterable[str] = (),
                 live_data: Optional[dict] = None,
                 wrongnode_inst: Iterable[str] = (),
                 console: Optional[dict] = None,
                 nodes: Optional[dict] = None,
                 groups: Optional[dict] = None,
                 networks: Optional[dict] = None,
                 inst_disks: Optional[dict] = None,
                 inst_secondaries: Optional[dict] = None) -> None:
        self.instances = list(instances)
        self.cluster = cluster
        self.disk_usage = disk_usage
        self.offline_node_uuids = frozenset(offline_node_uuids)
        self.bad_node_uuids = frozenset(bad_node_uuids)
        self.live_data = live_data
        self.wrongnode_inst = frozenset(wrongnode_inst)
        self.console = console
        self.nodes = nodes or {}
        self.groups = groups or {}
        self.networks = networks or {}
        self.inst_disks = inst_disks
        self.inst_secondaries = inst_secondaries
        self._filled_nics: Dict[int, Tuple[Any, dict]] = {}

    def __iter__(self):
        return iter(self.instances)

    # -- helpers used by the getters

    def Disks(self, inst: Any) -> List[Any]:
        """The instance's disk objects (not to be modified by callers)."""
        if self.inst_disks is not None:
            return self.inst_disks.get(inst.uuid, [])
        return [d for d in (inst.disks or []) if not isinstance(d, str)]

    def SecondaryNodes(self, inst: Any) -> List[str]:
        """UUIDs of the instance's secondary nodes (not to be modified)."""
        if self.inst_secondaries is not None:
            return self.inst_secondaries.get(inst.uuid, [])
        result: List[str] = []
        for disk in self.Disks(inst):
            for node in getattr(disk, "nodes", None) or []:
                if node != inst.primary_node and node not in result:
                    result.append(node)
        return result

    def FilledHv(self, inst: Any) -> dict:
        """The instance's merged hvparams without the cluster-wide ones."""
        cluster = self.cluster
        os_hvp = (getattr(cluster, "os_hvp", None) or {}).get(inst.os) or {}
        filled = FillDict((getattr(cluster, "hvparams", None) or {})
                          .get(inst.hypervisor),
                          os_hvp.get(inst.hypervisor), inst.hvparams)
        for key in C.HVC_GLOBALS.intersection(filled):
            del filled[key]
        return filled

    def FilledBe(self, inst: Any) -> dict:
        base = (getattr(self.cluster, "beparams", None) or {}).get("default")
        return FillDict(base, inst.beparams)

    def FilledOs(self, inst: Any) -> dict:
        osparams = getattr(self.cluster, "osparams", None) or {}
        os_name = inst.os or ""
        return FillDict(osparams.get(os_name.split("+", 1)[0]),
                        osparams.get(os_name) if "+" in os_name else None,
                        inst.osparams)

    def FilledNic(self, nic: Any) -> dict:
        """The NIC's parameters over the cluster's (computed once per NIC
        and query: several fields read them; not to be modified)."""
        filled = self._filled_nics.get(id(nic))
        if filled is None or filled[0] is not nic:
            base = (getattr(self.cluster, "nicparams", None) or {}) \
                .get("default")
            filled = (nic, FillDict(base, nic.nicparams))
            self._filled_nics[id(nic)] = filled
        return filled[1]

    def NodeName(self, uuid: str) -> str:
        node = self.nodes.get(uuid)
        return node.name if node is not None else uuid

    def NodeGroupAttr(self, uuid: str, want_name: bool) -> Any:
        node = self.nodes.get(uuid)
        if node is None:
            return None
        if not want_name:
            return node.group
        group = self.groups.get(node.group)
        return group.name if group is not None else None


# ------------------------------------------------------------------ status

def _AdminUp(inst: Any) -> bool:
    return inst.admin_state == C.ADMINST_UP


def _InstStatus(ctx: InstanceQueryData, inst: Any) -> Any:
    if inst.primary_node in ctx.offline_node_uuids:
        return C.INSTST_NODEOFFLINE
    if inst.primary_node in ctx.bad_node_uuids:
        return C.INSTST_NODEDOWN
    if ctx.live_data is None:
        return FS_NODATA
    live = ctx.live_data.get(inst.uuid)
    if live:
        if inst.uuid in ctx.wrongnode_inst:
            return C.INSTST_WRONGNODE
        if isinstance(live, dict) and live.get("state") == _HV_SHUTDOWN_STATE:
            if _AdminUp(inst):
                user_down = getattr(ctx.cluster, "enabled_user_shutdown",
                                    False)
                if user_down and inst.hypervisor == C.HT_KVM:
                    user_down = bool(ctx.FilledHv(inst).get("user_shutdown"))
                return C.INSTST_USERDOWN if user_down else C.INSTST_ERRORDOWN
            return C.INSTST_ADMINDOWN
        return C.INSTST_RUNNING if _AdminUp(inst) else C.INSTST_ERRORUP
    if _AdminUp(inst):
        return C.INSTST_ERRORDOWN
    if inst.admin_state == C.ADMINST_DOWN:
        if getattr(inst, "admin_state_source", None) == C.USER_SOURCE:
            return C.INSTST_USERDOWN
        return C.INSTST_ADMINDOWN
    return C.INSTST_ADMINOFFLINE


def _LiveEntry(ctx: InstanceQueryData, inst: Any) -> Any:
    """The instance's live data, or a status marker."""
    if (inst.primary_node in ctx.bad_node_uuids or
            inst.primary_node in ctx.offline_node_uuids):
        # RS_OFFLINE would claim the instance is offline; we just don't know
        return FS_NODATA
    if ctx.live_data is None:
        return FS_NODATA
    return ctx.live_data.get(inst.uuid)


def _OperState(ctx: InstanceQueryData, inst: Any) -> Any:
    live = _LiveEntry(ctx, inst)
    if live is FS_NODATA:
        return live
    return bool(live)


def _LiveValue(key: str):
    def fn(ctx: InstanceQueryData, inst: Any) -> Any:
        live = _LiveEntry(ctx, inst)
        if live is FS_NODATA:
            return live
        if not live or live.get(key) is None:
            return FS_UNAVAIL
        return live[key]
    return fn


# ------------------------------------------------------------------ nics/disks

def _Ordinal(idx: int) -> str:
    num = idx + 1
    if 10 <= num % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(num % 10, "th")
    return "%d%s" % (num, suffix)


def _NicValue(ctx: InstanceQueryData, nic: Any, what: str) -> Any:
    """One NIC property; None means "no value"."""
    if what == "mac":
        return nic.mac
    if what == "ip":
        return nic.ip
    if what == "name":
        return nic.name
    if what == "uuid":
        return nic.uuid
    if what == "network":
        return nic.network
    if what == "network.name":
        net = ctx.networks.get(nic.network) if nic.network else None
        return net.name if net is not None else None
    params = ctx.FilledNic(nic)
    if what == "bridge":
        if params.get("mode") == C.NIC_MODE_BRIDGED:
            return params.get("link")
        return None
    return params.get(what)


# NIC properties that are plain attributes of the NIC object.
_NIC_ATTRS = frozenset(["mac", "ip", "name", "uuid", "network"])


def _NicList(what: str):
    if what in _NIC_ATTRS:   # the common case, without _NicValue's tests
        return lambda ctx, inst: [getattr(nic, what)
                                  for nic in (inst.nics or [])]
    return lambda ctx, inst: [_NicValue(ctx, nic, what)
                              for nic in (inst.nics or [])]


def _NicIndexed(what: str, idx: int):
    def fn(ctx: InstanceQueryData, inst: Any) -> Any:
        nics = inst.nics or []
        if idx >= len(nics):
            return FS_UNAVAIL
        value = _NicValue(ctx, nics[idx], what)
        return FS_UNAVAIL if value is None else value
    return fn


def _DiskValue(disk: Any, what: str) -> Any:
    return getattr(disk, what, None)


def _DiskList(what: str):
    return lambda ctx, inst: [_DiskValue(d, what) for d in ctx.Disks(inst)]


def _DiskIndexed(what: str, idx: int):
    def fn(ctx: InstanceQueryData, inst: Any) -> Any:
        disks = ctx.Disks(inst)
        if idx >= len(disks):
            return FS_UNAVAIL
        value = _DiskValue(disks[idx], what)
        return FS_UNAVAIL if value is None else value
    return fn


# (list field, list title, indexed name, indexed title, kind, list doc,
#  indexed doc pattern, NIC property)
_NIC_PROPS = [
    ("nic.macs", "NIC_MACs", "nic.mac", "NicMAC", "mac",
     "List containing each network interface's MAC address",
     "MAC address of %s network interface"),
    ("nic.ips", "NIC_IPs", "nic.ip", "NicIP", "ip",
     "List containing each network interface's IP address",
     "IP address of %s network interface"),
    ("nic.names", "NIC_Names", "nic.name", "NicName", "name",
     "List containing each network interface's name",
     "Name address of %s network interface"),
    ("nic.uuids", "NIC_UUIDs", "nic.uuid", "NicUUID", "uuid",
     "List containing each network interface's UUID",
     "UUID address of %s network interface"),
    ("nic.modes", "NIC_modes", "nic.mode", "NicMode", "mode",
     "List containing each network interface's mode",
     "Mode of %s network interface"),
    ("nic.links", "NIC_links", "nic.link", "NicLink", "link",
     "List containing each network interface's link",
     "Link of %s network interface"),
    ("nic.vlans", "NIC_VLANs", "nic.vlan", "NicVLAN", "vlan",
     "List containing each network interface's VLAN",
     "VLAN of %s network interface"),
    ("nic.bridges", "NIC_bridges", "nic.bridge", "NicBridge", "bridge",
     "List containing each network interface's bridge",
     "Bridge of %s network interface"),
    ("nic.networks", "NIC_networks", "nic.network", "NicNetwork", "network",
     "List containing each interface's network",
     "Network of %s network interface"),
    ("nic.networks.names", "NIC_networks_names", "nic.network.name",
     "NicNetworkName", "network.name",
     "List containing the name of each interface's network",
     "Network name of %s network interface"),
]

# (list field, list title, indexed name, indexed title, indexed kind,
#  Disk attribute, list doc, indexed doc pattern)
_DISK_PROPS = [
    ("disk.sizes", "Disk_sizes", "disk.size", "Disk", QFT_UNIT, "size",
     "List of disk sizes", "Disk size of %s disk"),
    ("disk.spindles", "Disk_spindles", "disk.spindles", "DiskSpindles",
     QFT_NUMBER, "spindles", "List of disk spindles", "Spindles of %s disk"),
    ("disk.names", "Disk_names", "disk.name", "DiskName", QFT_TEXT, "name",
     "List of disk names", "Name of %s disk"),
    ("disk.uuids", "Disk_UUIDs", "disk.uuid", "DiskUUID", QFT_TEXT, "uuid",
     "List of disk UUIDs", "UUID of %s disk"),
]

_STATUS_DOC = (
    'Instance status; "running" if instance is set to be running and actually'
    ' is, "ADMIN_down" if instance is stopped and is not running,'
    ' "ERROR_wrongnode" if instance running, but not on its designated'
    ' primary node, "ERROR_up" if instance should be stopped, but is actually'
    ' running, "ERROR_down" if instance should run, but doesn\'t,'
    ' "ERROR_nodedown" if instance\'s primary node is down,'
    ' "ERROR_nodeoffline" if instance\'s primary node is marked offline,'
    ' "ADMIN_offline" if instance is offline and does not use dynamic'
    ' resources')


def _BuildNicFields() -> list:
    fields = [MakeField("nic.count", "NICs", QFT_NUMBER,
                        "Number of network interfaces", IQ_CONFIG,
                        lambda _ctx, inst: len(inst.nics or []))]
    for lname, ltitle, iname, ititle, prop, ldoc, idoc in _NIC_PROPS:
        kind = IQ_NETWORKS if prop == "network.name" else IQ_CONFIG
        fields.append(MakeField(lname, ltitle, QFT_OTHER, ldoc, kind,
                                _NicList(prop)))
        for idx in range(C.MAX_NICS):
            fields.append(MakeField("%s/%d" % (iname, idx),
                                    "%s/%d" % (ititle, idx), QFT_TEXT,
                                    idoc % _Ordinal(idx), kind,
                                    _NicIndexed(prop, idx)))
    # legacy names of the first NIC's properties
    for name, title, prop, doc in [
            ("ip", "NicIP/0", "ip", "IP address"),
            ("mac", "NicMAC/0", "mac", "MAC address"),
            ("bridge", "NicBridge/0", "bridge", "Bridge"),
            ("nic_mode", "NicMode/0", "mode", "Mode"),
            ("nic_link", "NicLink/0", "link", "Link"),
            ("nic_network", "NicNetwork/0", "network", "Network")]:
        fields.append(MakeField(name, title, QFT_TEXT,
                                "%s of 1st network interface" % doc,
                                IQ_CONFIG, _NicIndexed(prop, 0)))
    return fields


def _BuildDiskFields() -> list:
    fields = [
        MakeField("disk_usage", "DiskUsage", QFT_UNIT,
                  "Total disk space used by instance on each of its nodes;"
                  " this is not the disk size visible to the instance, but"
                  " the usage on the node", IQ_DISKUSAGE,
                  lambda ctx, inst: FS_NODATA if ctx.disk_usage is None
                  else (ctx.disk_usage.get(inst.uuid) or 0)),
        MakeField("disk.count", "Disks", QFT_NUMBER, "Number of disks",
                  IQ_CONFIG, lambda ctx, inst: len(ctx.Disks(inst))),
    ]
    for lname, ltitle, iname, ititle, ikind, attr, ldoc, idoc in _DISK_PROPS:
        fields.append(MakeField(lname, ltitle, QFT_OTHER, ldoc, IQ_CONFIG,
                                _DiskList(attr)))
        for idx in range(C.MAX_DISKS):
            fields.append(MakeField("%s/%d" % (iname, idx),
                                    "%s/%d" % (ititle, idx), ikind,
                                    idoc % _Ordinal(idx), IQ_CONFIG,
                                    _DiskIndexed(attr, idx)))
    for name, idx in [("sda_size", 0), ("sdb_size", 1)]:
        fields.append(MakeField(name, "Disk/%d" % idx, QFT_UNIT,
                                "Disk size of %s disk" % _Ordinal(idx),
                                IQ_CONFIG, _DiskIndexed("size", idx)))
    return fields


def _ParamGetter(filler: str, key: str):
    def fn(ctx: InstanceQueryData, inst: Any) -> Any:
        params = getattr(ctx, filler)(inst)
        return params[key] if key in params else FS_UNAVAIL
    return fn


def _BuildParamFields() -> list:
    fields = [
        MakeField("hvparams", "HypervisorParameters", QFT_OTHER,
                  "Hypervisor parameters (merged)", IQ_CONFIG,
                  lambda ctx, inst: ctx.FilledHv(inst)),
        MakeField("beparams", "BackendParameters", QFT_OTHER,
                  "Backend parameters (merged)", IQ_CONFIG,
                  lambda ctx, inst: ctx.FilledBe(inst)),
        MakeField("osparams", "OpSysParameters", QFT_OTHER,
                  "Operating system parameters (merged)", IQ_CONFIG,
                  lambda ctx, inst: ctx.FilledOs(inst)),
        MakeField("custom_hvparams", "CustomHypervisorParameters", QFT_OTHER,
                  "Custom hypervisor parameters", IQ_CONFIG,
                  lambda _ctx, inst: inst.hvparams or {}),
        MakeField("custom_beparams", "CustomBackendParameters", QFT_OTHER,
                  "Custom backend parameters", IQ_CONFIG,
                  lambda _ctx, inst: inst.beparams or {}),
        MakeField("custom_osparams", "CustomOpSysParameters", QFT_OTHER,
                  "Custom operating system parameters", IQ_CONFIG,
                  lambda _ctx, inst: inst.osparams or {}),
        MakeField("custom_nicparams", "CustomNicParameters", QFT_OTHER,
                  "Custom network interface parameters", IQ_CONFIG,
                  lambda _ctx, inst: [nic.nicparams or {}
                                      for nic in (inst.nics or [])]),
        MakeField("vcpus", "ConfigVCPUs", QFT_NUMBER,
                  'The "vcpus" backend parameter', IQ_CONFIG,
                  _ParamGetter("FilledBe", "vcpus")),
    ]
    for name, title, kind in HV_FIELDS:
        fields.append(MakeField("hv/%s" % name, title or "hv/%s" % name, kind,
                                'The "%s" hypervisor parameter' % name,
                                IQ_CONFIG, _ParamGetter("FilledHv", name)))
    for name, param, title, kind in BE_FIELDS:
        fields.append(MakeField("be/%s" % name, title or "be/%s" % name, kind,
                                'The "%s" backend parameter' % param,
                                IQ_CONFIG, _ParamGetter("FilledBe", param)))
    return fields


def _NetworkPort(_ctx, inst: Any) -> Any:
    return FS_UNAVAIL if inst.network_port is None else inst.network_port


def _Console(ctx: InstanceQueryData, inst: Any) -> Any:
    if ctx.console is None:
        return FS_NODATA
    value = ctx.console.get(inst.uuid)
    return FS_UNAVAIL if value is None else value


def _BuildInstanceFields() -> list:
    fields = [
        MakeField("pnode", "Primary_node", QFT_TEXT, "Primary node",
                  IQ_NODES, lambda ctx, inst: ctx.NodeName(inst.primary_node),
                  QFF_HOSTNAME),
        MakeField("pnode.group", "PrimaryNodeGroup", QFT_TEXT,
                  "Primary node's group", IQ_NODES,
                  lambda ctx, inst: ctx.NodeGroupAttr(inst.primary_node, True)
                  or FS_UNAVAIL),
        MakeField("pnode.group.uuid", "PrimaryNodeGroupUUID", QFT_TEXT,
                  "Primary node's group UUID", IQ_NODES,
                  lambda ctx, inst: ctx.NodeGroupAttr(inst.primary_node,
                                                      False) or FS_UNAVAIL),
        MakeField("snodes", "Secondary_Nodes", QFT_OTHER,
                  "Secondary nodes; usually this will just be one node",
                  IQ_NODES, lambda ctx, inst: [
                      ctx.NodeName(u) for u in ctx.SecondaryNodes(inst)]),
        MakeField("snodes.group", "SecondaryNodesGroups", QFT_OTHER,
                  "Node groups of secondary nodes", IQ_NODES,
                  lambda ctx, inst: [ctx.NodeGroupAttr(u, True)
                                     for u in ctx.SecondaryNodes(inst)]),
        MakeField("snodes.group.uuid", "SecondaryNodesGroupsUUID", QFT_OTHER,
                  "Node group UUIDs of secondary nodes", IQ_NODES,
                  lambda ctx, inst: [ctx.NodeGroupAttr(u, False)
                                     for u in ctx.SecondaryNodes(inst)]),
        MakeField("admin_state", "InstanceState", QFT_TEXT,
                  "Desired state of instance", IQ_CONFIG,
                  ItemAttr("admin_state")),
        MakeField("admin_up", "Autostart", QFT_BOOL,
                  "Desired state of instance", IQ_CONFIG,
                  lambda _ctx, inst: _AdminUp(inst)),
        MakeField("admin_state_source", "InstanceStateSource", QFT_TEXT,
                  "Who last changed the desired state of the instance",
                  IQ_CONFIG, ItemAttr("admin_state_source", True)),
        MakeField("disks_active", "DisksActive", QFT_BOOL,
                  "Desired state of instance disks", IQ_CONFIG,
                  lambda _ctx, inst: bool(inst.disks_active)),
        TagsField(IQ_CONFIG),
        MakeField("console", "Console", QFT_OTHER,
                  "Instance console information", IQ_CONSOLE, _Console),
        MakeField("forthcoming", "Forthcoming", QFT_BOOL,
                  "whether the Instance is forthcoming", IQ_CONFIG,
                  lambda _ctx, inst: bool(inst.forthcoming)),
        MakeField("disk_template", "Disk_template", QFT_TEXT,
                  "Instance disk template", IQ_CONFIG,
                  ItemAttr("disk_template")),
        MakeField("hypervisor", "Hypervisor", QFT_TEXT, "Hypervisor name",
                  IQ_CONFIG, ItemAttr("hypervisor")),
        MakeField("name", "Instance", QFT_TEXT, "Instance name", IQ_CONFIG,
                  ItemAttr("name"), QFF_HOSTNAME),
        MakeField("network_port", "Network_port", QFT_OTHER,
                  "Instance network port if available (e.g. for VNC console)",
                  IQ_CONFIG, _NetworkPort),
        MakeField("os", "OS", QFT_TEXT, "Operating system", IQ_CONFIG,
                  ItemAttr("os")),
    ]
    fields += SerialUuidFields(IQ_CONFIG, "Instance")
    fields += [
        MakeField("oper_state", "Running", QFT_BOOL,
                  "Actual state of instance", IQ_LIVE, _OperState),
        MakeField("oper_ram", "Memory", QFT_UNIT,
                  "Actual memory usage as seen by hypervisor", IQ_LIVE,
                  _LiveValue("memory")),
        MakeField("oper_vcpus", "VCPUs", QFT_NUMBER,
                  "Actual number of VCPUs as seen by hypervisor", IQ_LIVE,
                  _LiveValue("vcpus")),
        MakeField("status", "Status", QFT_TEXT, _STATUS_DOC, IQ_LIVE,
                  _InstStatus),
    ]
    fields += _BuildNicFields()
    fields += _BuildDiskFields()
    fields += _BuildParamFields()
    fields += TimestampFields(IQ_CONFIG)
    return fields


INSTANCE_FIELDS = BuildFieldDict(_BuildInstanceFields())
