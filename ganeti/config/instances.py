"""Instance, disk, MAC and port bookkeeping of the configuration.

InstanceConfigMixin is mixed into config.ConfigWriter: every method works on
the writer's in-memory data (``self._data``) under its lock and persists
through ``self._write()``.  Since 2.16 disks are top-level objects
(``config.data["disks"]``) and an instance lists its disks' UUIDs in order.
"""

import random
import time
import uuid as _uuid
from typing import Dict, Iterable, List, Optional, Set

from ganeti import constants
from ganeti import errors
from ganeti import objects

# Disk templates whose disks are files below a per-instance directory.
DTS_FILEBASED = frozenset([constants.DT_FILE, constants.DT_SHARED_FILE,
                           constants.DT_GLUSTER])
DT_MIXED = "mixed"
# DRBD minors and TCP ports (for DRBD and VNC consoles).
FIRST_DRBD_PORT = 11000
LAST_DRBD_PORT = 14999
_MAC_RETRIES = 64


def _locked(fn):
    def wrapper(self, *args, **kwargs):
        with self._lock:
            return fn(self, *args, **kwargs)
    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _RenamedFilePath(path: str, new_name: str) -> str:
    """The path of a file disk once its instance directory is renamed."""
    parts = path.rstrip("/").split("/")
    if len(parts) < 3:
        return path
    parts[-2] = new_name
    return "/".join(parts)


class InstanceConfigMixin:
    """Instance and disk methods of ConfigWriter (see the module doc)."""

    # -- internal helpers --------------------------------------------------

    def _Disks(self) -> Dict[str, objects.Disk]:
        if self._data.disks is None:
            self._data.disks = {}
        return self._data.disks

    def _TouchCluster(self) -> None:
        self._data.cluster.serial_no = (self._data.cluster.serial_no or 0) + 1

    @staticmethod
    def _Bump(obj) -> None:
        obj.serial_no = (obj.serial_no or 0) + 1
        obj.mtime = time.time()

    def _TempMacs(self) -> Set[str]:
        macs = getattr(self, "_reserved_macs", None)
        if macs is None:
            macs = set()
            self._reserved_macs = macs
        return macs

    # -- lookups -----------------------------------------------------------

    @_locked
    def GetInstanceInfoByName(self, name: str) -> Optional[objects.Instance]:
        for inst in self._data.instances.values():
            if inst.name == name:
                return inst
        return None

    @_locked
    def ExpandInstanceName(self, short: str) -> Optional[str]:
        """The UUID of an instance given by (possibly short) name or UUID."""
        names = {i.name: i.uuid for i in self._data.instances.values()}
        if short in names:
            return names[short]
        if short in self._data.instances:
            return short
        matches = [u for name, u in names.items()
                   if name.startswith(short + ".")]
        return matches[0] if len(matches) == 1 else None

    @_locked
    def GetDiskInfo(self, disk_uuid: str) -> Optional[objects.Disk]:
        return self._Disks().get(disk_uuid)

    @_locked
    def GetAllDisksInfo(self) -> Dict[str, objects.Disk]:
        return dict(self._Disks())

    @_locked
    def GetInstanceDisks(self, inst_uuid: str) -> List[objects.Disk]:
        """The instance's Disk objects, in index order."""
        inst = self._data.instances.get(inst_uuid)
        if inst is None:
            raise errors.ConfigurationError("Unknown instance '%s'" % inst_uuid)
        disks = self._Disks()
        result = []
        for ref in inst.disks or []:
            if isinstance(ref, objects.Disk):
                result.append(ref)
            elif ref in disks:
                result.append(disks[ref])
        return result

    @_locked
    def GetInstanceNodes(self, inst_uuid: str) -> List[str]:
        """Primary node first, then every other node holding its disks."""
        inst = self._data.instances[inst_uuid]
        result = [inst.primary_node]

        def walk(disk):
            for node in disk.nodes or []:
                if node not in result:
                    result.append(node)
            if disk.dev_type == constants.DT_DRBD8 and disk.logical_id:
                for node in disk.logical_id[:2]:
                    if node not in result:
                        result.append(node)
            for child in disk.children or []:
                walk(child)

        for disk in self.GetInstanceDisks(inst_uuid):
            walk(disk)
        return result

    def GetInstanceSecondaryNodes(self, inst_uuid: str) -> List[str]:
        nodes = self.GetInstanceNodes(inst_uuid)
        return nodes[1:]

    @_locked
    def GetInstanceDiskTemplate(self, inst_uuid: str) -> str:
        """The template of the instance (derived from its disks if unset)."""
        inst = self._data.instances[inst_uuid]
        if inst.disk_template:
            return inst.disk_template
        types = {d.dev_type for d in self.GetInstanceDisks(inst_uuid)}
        if not types:
            return constants.DT_DISKLESS
        return types.pop() if len(types) == 1 else DT_MIXED

    @_locked
    def GetNodeInstances(self, node_uuid: str):
        """(primary instance uuids, secondary instance uuids) of a node."""
        pri, sec = [], []
        for inst in self._data.instances.values():
            if inst.primary_node == node_uuid:
                pri.append(inst.uuid)
            elif node_uuid in self.GetInstanceNodes(inst.uuid):
                sec.append(inst.uuid)
        return pri, sec

    @_locked
    def GetUsedMacs(self) -> Set[str]:
        macs = set()
        for inst in self._data.instances.values():
            for nic in inst.nics or []:
                if nic.mac:
                    macs.add(nic.mac.lower())
        return macs

    # -- MACs, ports, ids --------------------------------------------------

    @_locked
    def GenerateMAC(self, net_uuid: Optional[str] = None,
                    _rand=random.randrange) -> str:
        """A MAC unused in the cluster, with the cluster's (or network's)
        prefix; it stays reserved until an instance using it is added."""
        prefix = self._data.cluster.mac_prefix or "aa:00:00"
        if net_uuid:
            net = (self._data.networks or {}).get(net_uuid)
            if net is not None and net.mac_prefix:
                prefix = net.mac_prefix
        used = self.GetUsedMacs() | self._TempMacs()
        for _ in range(_MAC_RETRIES):
            mac = "%s:%02x:%02x:%02x" % (prefix, _rand(256), _rand(256),
                                         _rand(256))
            if mac not in used:
                self._TempMacs().add(mac)
                return mac
        raise errors.ConfigurationError("Can't generate unique MAC")

    @_locked
    def ReserveMAC(self, mac: str) -> None:
        """Reserve a user-given MAC; raises if it is already in use."""
        mac = mac.lower()
        if mac in self.GetUsedMacs() or mac in self._TempMacs():
            raise errors.ReservationError("MAC already in use")
        self._TempMacs().add(mac)

    @_locked
    def ReleaseMACs(self, macs: Iterable[str]) -> None:
        for mac in macs:
            self._TempMacs().discard((mac or "").lower())

    @_locked
    def AllocatePort(self) -> int:
        """A TCP port for the cluster (pool first, then highest_used+1)."""
        cl = self._data.cluster
        pool = cl.tcpudp_port_pool or []
        if pool:
            port = pool.pop(0)
        else:
            port = (cl.highest_used_port or 32000) + 1
            if port >= 65536:
                raise errors.ConfigurationError("The highest used port is"
                                                " greater than 65535")
            cl.highest_used_port = port
        self._TouchCluster()
        self._write()
        return port

    @_locked
    def AllocateDRBDMinors(self, node_uuids: List[str]) -> List[int]:
        """One free DRBD minor per listed node (same node twice: two)."""
        used: Dict[str, Set[int]] = {}

        def walk(disk):
            if disk.dev_type == constants.DT_DRBD8 and disk.logical_id and \
                    len(disk.logical_id) >= 5:
                pnode, snode, _, pminor, sminor = disk.logical_id[:5]
                used.setdefault(pnode, set()).add(pminor)
                used.setdefault(snode, set()).add(sminor)
            for child in disk.children or []:
                walk(child)

        for disk in self._Disks().values():
            walk(disk)
        temp = getattr(self, "_reserved_minors", None)
        if temp is None:
            temp = self._reserved_minors = {}
        result = []
        for node in node_uuids:
            taken = used.get(node, set()) | temp.setdefault(node, set())
            minor = 0
            while minor in taken:
                minor += 1
            temp[node].add(minor)
            result.append(minor)
        return result

    @_locked
    def ReleaseDRBDMinors(self) -> None:
        self._reserved_minors = {}

    @staticmethod
    def GenerateUniqueID() -> str:
        return str(_uuid.uuid4())

    # -- changes -----------------------------------------------------------

    @_locked
    def AddInstance(self, instance: objects.Instance,
                    disks: Optional[List[objects.Disk]] = None) -> None:
        """Add a new instance (and, optionally, its new disks) at once."""
        if self.GetInstanceInfoByName(instance.name) is not None:
            raise errors.OpPrereqError("Instance '%s' is already in the"
                                       " cluster" % instance.name,
                                       errors.ECODE_EXISTS)
        used = self.GetUsedMacs()
        for nic in instance.nics or []:
            if nic.mac and nic.mac.lower() in used:
                raise errors.OpPrereqError("MAC address %s already in use in"
                                           " cluster" % nic.mac,
                                           errors.ECODE_NOTUNIQUE)
        now = time.time()
        objects.stamp_new(instance, now)
        for nic in instance.nics or []:
            if not nic.uuid:
                nic.uuid = objects.new_uuid()
        instance.disks = list(instance.disks or [])
        for disk in disks or []:
            objects.stamp_new(disk, now)
            self._Disks()[disk.uuid] = disk
            instance.disks.append(disk.uuid)
        if disks:
            # as upstream, attaching the disks is a second change
            instance.serial_no += 1
        self._data.instances[instance.uuid] = instance
        self._CommitInstanceIps(instance)
        self.ReleaseMACs(n.mac for n in instance.nics or [])
        self.ReleaseDRBDMinors()
        self._TouchCluster()
        self._write()

    @_locked
    def RemoveInstance(self, inst_uuid: str) -> None:
        """Remove an instance and its disks from the configuration."""
        inst = self._data.instances.pop(inst_uuid, None)
        if inst is None:
            raise errors.ConfigurationError("Unknown instance '%s'" % inst_uuid)
        for ref in inst.disks or []:
            if isinstance(ref, str):
                self._Disks().pop(ref, None)
        if inst.network_port is not None:
            pool = self._data.cluster.tcpudp_port_pool
            if pool is not None and inst.network_port not in pool:
                pool.append(inst.network_port)
        self._ReleaseInstanceIps(inst)
        self._TouchCluster()
        self._write()

    @_locked
    def RenameInstance(self, inst_uuid: str, new_name: str) -> None:
        """Rename an instance; file-based disk paths follow the new name."""
        inst = self._data.instances.get(inst_uuid)
        if inst is None:
            raise errors.ConfigurationError("Unknown instance '%s'" % inst_uuid)
        if inst.name != new_name and \
                self.GetInstanceInfoByName(new_name) is not None:
            raise errors.OpPrereqError("Instance '%s' is already in the"
                                       " cluster" % new_name,
                                       errors.ECODE_EXISTS)
        inst.name = new_name
        for disk in self.GetInstanceDisks(inst_uuid):
            if disk.dev_type in DTS_FILEBASED and disk.logical_id:
                driver, path = disk.logical_id[:2]
                disk.logical_id = [driver, _RenamedFilePath(path, new_name)]
                self._Bump(disk)
        self._Bump(inst)
        self._TouchCluster()
        self._write()

    @_locked
    def AddInstanceDisk(self, inst_uuid: str, disk: objects.Disk,
                        idx: Optional[int] = None) -> None:
        inst = self._data.instances[inst_uuid]
        objects.stamp_new(disk)
        self._Disks()[disk.uuid] = disk
        disks = list(inst.disks or [])
        disks.insert(len(disks) if idx is None else idx, disk.uuid)
        inst.disks = disks
        self._Bump(inst)
        self._TouchCluster()
        self._write()

    @_locked
    def RemoveInstanceDisk(self, inst_uuid: str, disk_uuid: str) -> None:
        inst = self._data.instances[inst_uuid]
        inst.disks = [d for d in inst.disks or [] if d != disk_uuid]
        self._Disks().pop(disk_uuid, None)
        self._Bump(inst)
        self._TouchCluster()
        self._write()

    @_locked
    def UpdateDisk(self, disk: objects.Disk) -> None:
        """Persist changes made in place to a disk object."""
        if self._Disks().get(disk.uuid) is not disk:
            raise errors.ConfigurationError("Unknown disk %s" % disk.uuid)
        self._Bump(disk)
        self._TouchCluster()
        self._write()

    @_locked
    def _SetInstanceState(self, inst_uuid: str, **attrs) -> objects.Instance:
        inst = self._data.instances.get(inst_uuid)
        if inst is None:
            raise errors.ConfigurationError("Unknown instance '%s'" % inst_uuid)
        changed = False
        for name, value in attrs.items():
            if getattr(inst, name) != value:
                setattr(inst, name, value)
                changed = True
        if changed:
            self._Bump(inst)
            self._TouchCluster()
            self._write()
        return inst

    def MarkInstanceUp(self, inst_uuid: str) -> objects.Instance:
        return self._SetInstanceState(
            inst_uuid, admin_state=constants.ADMINST_UP,
            admin_state_source=constants.ADMIN_SOURCE, disks_active=True)

    def MarkInstanceDown(self, inst_uuid: str,
                         source: str = constants.ADMIN_SOURCE
                         ) -> objects.Instance:
        return self._SetInstanceState(inst_uuid,
                                      admin_state=constants.ADMINST_DOWN,
                                      admin_state_source=source)

    def MarkInstanceOffline(self, inst_uuid: str) -> objects.Instance:
        return self._SetInstanceState(
            inst_uuid, admin_state=constants.ADMINST_OFFLINE,
            admin_state_source=constants.ADMIN_SOURCE, disks_active=False)

    def MarkInstanceDisksActive(self, inst_uuid: str) -> objects.Instance:
        return self._SetInstanceState(inst_uuid, disks_active=True)

    def MarkInstanceDisksInactive(self, inst_uuid: str) -> objects.Instance:
        return self._SetInstanceState(inst_uuid, disks_active=False)

    @_locked
    def SetInstancePrimaryNode(self, inst_uuid: str, node_uuid: str) -> None:
        """Move an instance (with non-DRBD disks) to another primary node."""
        inst = self._data.instances[inst_uuid]
        old = inst.primary_node
        inst.primary_node = node_uuid
        for disk in self.GetInstanceDisks(inst_uuid):
            if disk.dev_type == constants.DT_DRBD8:
                continue
            nodes = [node_uuid if n == old else n for n in disk.nodes or []]
            if not nodes:
                nodes = [node_uuid]
            disk.nodes = nodes
            self._Bump(disk)
        self._Bump(inst)
        self._TouchCluster()
        self._write()
