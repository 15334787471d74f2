"""Changing an instance (OpInstanceSetParams, gnt-instance modify):
backend/hypervisor/OS parameters, disks and NICs added, removed or
modified, offline/online state and runtime memory."""

from typing import Any, Dict, List, Tuple

from ganeti import constants as C
from ganeti import errors
from ganeti import locking
from ganeti.cmdlib.base import HTYPE_INSTANCE, LOCKS_APPEND
from ganeti.cmdlib import instance_convert
from ganeti.cmdlib import instance_params
from ganeti.cmdlib import instance_storage as ist
from ganeti.cmdlib import instance_utils as iu
from ganeti.cmdlib import ipolicy
from ganeti.cmdlib import network as cmdlib_network
from ganeti.cmdlib import os as cmdlib_os
from ganeti.cmdlib.instance_ops import _InstanceLU
from ganeti.iallocator import ComputeDiskSize

CAN_CHANGE_INSTANCE_OFFLINE = [C.ADMINST_DOWN, C.ADMINST_OFFLINE]
_DISK_MODIFIABLE = frozenset([ist.IDISK_MODE, ist.IDISK_NAME])
_NIC_KEYS = frozenset(C.INIC_PARAMS)


def _NormalizeMods(mods: List, kind: str) -> List[Tuple[str, Any, dict]]:
    """[(action, identifier, params)] from 3- or legacy 2-tuples."""
    result = []
    for mod in mods:
        if len(mod) == 3:
            action, ident, params = mod
        else:
            first, params = mod
            if first in (C.DDM_ADD, C.DDM_REMOVE, C.DDM_ATTACH, C.DDM_DETACH):
                action, ident = first, -1
            else:
                action, ident = C.DDM_MODIFY, first
        if action not in C.DDMS_VALUES:
            raise errors.OpPrereqError("Invalid %s modification '%s'"
                                       % (kind, action), errors.ECODE_INVAL)
        if action in (C.DDM_ATTACH, C.DDM_DETACH):
            raise errors.OpPrereqError("%s %s is not supported"
                                       % (kind.capitalize(), action),
                                       errors.ECODE_INVAL)
        result.append((action, ident, dict(params or {})))
    return result


def _ResolveIndex(kind: str, container: List, ident: Any,
                  adding: bool = False) -> int:
    """The container index an identifier (index, -1, name or UUID) means."""
    try:
        idx = int(ident)
    except (TypeError, ValueError):
        for pos, item in enumerate(container):
            if ident in (item.name, item.uuid):
                return pos
        raise errors.OpPrereqError("Cannot find %s with identifier %s"
                                   % (kind, ident), errors.ECODE_NOENT)
    limit = len(container) + (1 if adding else 0)
    if idx == -1:
        return len(container) if adding else len(container) - 1
    if idx < 0:
        raise errors.OpPrereqError("Not accepting negative indices other"
                                   " than -1", errors.ECODE_INVAL)
    if idx >= limit:
        raise errors.OpPrereqError("Got %s index %s, but there are only %s"
                                   % (kind, idx, len(container)),
                                   errors.ECODE_INVAL)
    return idx


def _ApplyDefaults(current: Dict, changes: Dict) -> Dict:
    """current updated with changes; the value "default" removes a key."""
    result = dict(current or {})
    for key, value in (changes or {}).items():
        if value == C.VALUE_DEFAULT:
            result.pop(key, None)
        else:
            result[key] = value
    return result


class LUInstanceSetParams(_InstanceLU):
    HPATH = "instance-modify"
    HTYPE = HTYPE_INSTANCE
    NODE_LEVELS = (locking.LEVEL_NODE, locking.LEVEL_NODE_RES)

    def CheckArguments(self) -> None:
        op = self.op
        if not (op.nics or op.disks or op.beparams or op.hvparams or
                op.disk_template or op.os_name or op.osparams or
                op.osparams_private or op.offline is not None or
                op.runtime_mem or op.pnode or
                op.instance_communication is not None):
            raise errors.OpPrereqError("No changes submitted",
                                       errors.ECODE_INVAL)
        if op.hvparams and "hypervisor" in op.hvparams:
            raise errors.OpPrereqError("Cannot change the hypervisor of an"
                                       " instance", errors.ECODE_INVAL)
        self.disk_mods = _NormalizeMods(op.disks, "disk")
        self.nic_mods = _NormalizeMods(op.nics, "NIC")
        for action, ident, params in self.disk_mods:
            if action == C.DDM_ADD:
                if ist.IDISK_SIZE not in params:
                    raise errors.OpPrereqError("Required disk parameter '%s'"
                                               " missing" % ist.IDISK_SIZE,
                                               errors.ECODE_INVAL)
                params[ist.IDISK_SIZE] = instance_params.CheckDiskSize(
                    params[ist.IDISK_SIZE])
            elif action == C.DDM_MODIFY:
                bad = set(params) - _DISK_MODIFIABLE
                if bad:
                    raise errors.OpPrereqError("Disk parameters %s cannot be"
                                               " modified" % ", ".join(
                                                   sorted(bad)),
                                               errors.ECODE_INVAL)
            mode = params.get(ist.IDISK_MODE)
            if mode is not None and mode not in ist.DISK_ACCESS_SET:
                raise errors.OpPrereqError("Invalid disk access mode '%s'"
                                           % mode, errors.ECODE_INVAL)
        for action, ident, params in self.nic_mods:
            bad = set(params) - _NIC_KEYS
            if bad:
                raise errors.OpPrereqError("Invalid NIC parameters: %s"
                                           % ", ".join(sorted(bad)),
                                           errors.ECODE_INVAL)
        if op.disk_template is not None:
            instance_convert.CheckConversionArguments(op,
                                                      bool(self.disk_mods))
        if op.pnode is not None:
            raise errors.OpPrereqError("Changing the primary node of an"
                                       " instance is not supported, use"
                                       " 'gnt-instance move'",
                                       errors.ECODE_INVAL)
        self.be_changes = iu.ForceBeParamTypes(op.beparams,
                                               allow_default=True)
        instance_params.CheckBeParamValues(self.be_changes)

    def ExpandNames(self) -> None:
        super().ExpandNames()
        if self.op.disk_template is not None and \
                self.op.remote_node is not None:
            self.op.remote_node_uuid, self.op.remote_node = \
                iu.ExpandNodeUuidAndName(self.cfg, self.op.remote_node_uuid,
                                         self.op.remote_node)
            for level in self.NODE_LEVELS:
                self.needed_locks[level] = [self.op.remote_node_uuid]
                self.recalculate_locks[level] = LOCKS_APPEND

    # -- prerequisites -----------------------------------------------------

    def CheckPrereq(self) -> None:
        op = self.op
        instance = self._GetInstance()
        cluster = self.cfg.GetClusterInfo()
        nodes = self.cfg.GetInstanceNodes(instance.uuid)
        pnode = instance.primary_node
        template = self.cfg.GetInstanceDiskTemplate(instance.uuid)
        self.warn = []
        # backend parameters
        self.be_inst = _ApplyDefaults(instance.beparams,
                                      iu.UpgradeBeParams(self.be_changes))
        self.be_full = cluster.FillBE(self.be_inst)
        iu.CheckMinMaxMem(self.be_full)
        # hypervisor parameters
        instance_params.ForceHvParamTypes(instance.hypervisor,
                                          op.hvparams, allow_default=True)
        self.hv_inst = _ApplyDefaults(instance.hvparams, op.hvparams)
        self.hv_full = cluster.FillHV(instance.hypervisor, instance.os,
                                      self.hv_inst)
        if op.hvparams:
            iu.CheckHVParams(self, nodes, instance.hypervisor, self.hv_full)
        # OS
        self.os_name = op.os_name or instance.os
        declared = None
        if op.os_name and not op.force:
            declared = cmdlib_os.CheckNodeHasOs(self, pnode, op.os_name,
                                                op.force_variant)
        self.os_inst = _ApplyDefaults(instance.osparams, op.osparams)
        if op.osparams or op.osparams_private:
            if declared is None:
                declared = cmdlib_os.CheckNodeHasOs(self, pnode, self.os_name,
                                                    True)
            check = dict(self.os_inst)
            check.update(op.osparams_private or {})
            if check:
                cmdlib_os.CheckOsParams(self, True, [pnode], self.os_name,
                                        check, op.force_variant, declared)
        # offline/online
        if op.offline is not None:
            msg = "can't change to offline" if op.offline else \
                "can't change to online"
            iu.CheckInstanceState(self, instance, CAN_CHANGE_INSTANCE_OFFLINE,
                                  msg=msg)
        # runtime memory
        if op.runtime_mem:
            if not iu.InstanceRunning(self, instance):
                raise errors.OpPrereqError("Instance %s must be running to set"
                                           " runtime memory" % instance.name,
                                           errors.ECODE_STATE)
            if not (self.be_full["minmem"] <= op.runtime_mem <=
                    self.be_full["maxmem"]) and not op.force:
                raise errors.OpPrereqError("Instance %s must have memory"
                                           " between %d and %d MiB of memory"
                                           " unless --force is given"
                                           % (instance.name,
                                              self.be_full["minmem"],
                                              self.be_full["maxmem"]),
                                           errors.ECODE_INVAL)
        self.conversion = None
        if op.disk_template is not None:
            self.conversion = instance_convert.DiskConversion(self, instance)
            self.conversion.Check()
        self._CheckDisks(instance, template, nodes)
        self._CheckNics(instance)
        if not op.ignore_ipolicy and (self.be_changes or self.disk_mods or
                                      self.nic_mods):
            ipolicy.CheckInstanceAllocation(
                self.cfg, self.cfg.GetNodeInfo(pnode).group, self.be_full,
                self.new_disks, len(self.new_nics), template,
                mem_keys=("maxmem", "minmem"))

    def _CheckDisks(self, instance, template: str, nodes: List[str]) -> None:
        self.disk_plan = []
        self.new_disks = list(self.cfg.GetInstanceDisks(instance.uuid))
        if not self.disk_mods:
            return
        if template == C.DT_DISKLESS:
            raise errors.OpPrereqError("Disk operations not supported for"
                                       " diskless instances",
                                       errors.ECODE_INVAL)
        disks = list(self.cfg.GetInstanceDisks(instance.uuid))
        added = 0
        for action, ident, params in self.disk_mods:
            if action == C.DDM_ADD:
                idx = _ResolveIndex("disk", disks, ident, adding=True)
                if len(disks) >= C.MAX_DISKS:
                    raise errors.OpPrereqError("Instance has too many disks"
                                               " (%d), cannot add more"
                                               % C.MAX_DISKS,
                                               errors.ECODE_STATE)
                disks.insert(idx, {"size": params[ist.IDISK_SIZE]})
                added += params[ist.IDISK_SIZE]
                self.disk_plan.append((action, idx, params))
            elif action == C.DDM_REMOVE:
                idx = _ResolveIndex("disk", disks, ident)
                if len(disks) == 1:
                    raise errors.OpPrereqError("Cannot remove the last disk"
                                               " of an instance",
                                               errors.ECODE_INVAL)
                iu.CheckInstanceState(self, instance, iu.INSTANCE_DOWN,
                                      msg="cannot remove disks")
                self.disk_plan.append((action, disks.pop(idx), params))
            else:
                idx = _ResolveIndex("disk", disks, ident)
                if isinstance(disks[idx], dict):
                    raise errors.OpPrereqError("Cannot modify a disk being"
                                               " added", errors.ECODE_INVAL)
                self.disk_plan.append((action, disks[idx], params))
        self.new_disks = disks
        if added:
            iu.CheckNodesFreeDisk(self, nodes, template, ComputeDiskSize(
                template, [{"size": added}]))

    def _CheckNics(self, instance) -> None:
        self.nic_plan = []
        nics = list(instance.nics or [])
        for action, ident, params in self.nic_mods:
            if action == C.DDM_ADD:
                idx = _ResolveIndex("NIC", nics, ident, adding=True)
                if len(nics) >= C.MAX_NICS:
                    raise errors.OpPrereqError("Instance has too many network"
                                               " interfaces (%d), cannot add"
                                               " more" % C.MAX_NICS,
                                               errors.ECODE_STATE)
                cmdlib_network.CheckNetworkNicSpecs([params])
                new = iu.ComputeNics(self, [params], None)[0]
                cmdlib_network.ReserveNicAddress(
                    self, idx, new, self._PrimaryNode(instance),
                    self.op.conflicts_check)
                nics.insert(idx, new)
                self.nic_plan.append((action, new, params))
            elif action == C.DDM_REMOVE:
                idx = _ResolveIndex("NIC", nics, ident)
                self.nic_plan.append((action, nics.pop(idx), params))
            else:
                idx = _ResolveIndex("NIC", nics, ident)
                nic = nics[idx]
                spec = {"mode": (nic.nicparams or {}).get("mode"),
                        "link": (nic.nicparams or {}).get("link"),
                        "vlan": (nic.nicparams or {}).get("vlan"),
                        "ip": nic.ip, "mac": nic.mac, "name": nic.name,
                        "network": nic.network}
                spec.update(params)
                if C.INIC_BRIDGE in params:
                    spec["link"] = None
                if C.INIC_NETWORK in params:
                    cmdlib_network.CheckNetworkNicSpecs([params])
                check = iu.ComputeNics(self, [spec], None)[0]
                if (check.network, check.ip) != (nic.network, nic.ip):
                    self._ReserveChangedAddress(instance, idx, nic, check,
                                                params)
                self.nic_plan.append((action, nic, (params, check)))
        self.new_nics = nics
        for action, nic, params in self.nic_plan:
            if action == C.DDM_ADD:
                iu.GenerateMacs(self, [nic])
            elif action == C.DDM_MODIFY and C.INIC_MAC in params[0]:
                mac = params[1].mac
                if mac in (iu.VALUE_AUTO, iu.VALUE_GENERATE):
                    params[1].mac = self.cfg.GenerateMAC(params[1].network)
                elif mac != nic.mac:
                    iu.GenerateMacs(self, [params[1]])

    @staticmethod
    def _NicAddress(nic) -> Any:
        return (nic.network, nic.ip) if nic.network and nic.ip else None

    def _PrimaryNode(self, instance):
        return self.cfg.GetNodeInfo(instance.primary_node)

    def _ReserveChangedAddress(self, instance, idx: int, nic, new,
                               params: Dict[str, Any]) -> None:
        """A NIC changing its network or address: the new address (and the
        network's NIC parameters) reserved; the old one released at Exec."""
        if new.network == nic.network and C.INIC_IP not in params:
            return
        if new.network != nic.network and new.network is not None:
            # the new network's connection replaces the NIC's parameters
            new.nicparams = {}
        cmdlib_network.ReserveNicAddress(self, idx, new,
                                         self._PrimaryNode(instance),
                                         self.op.conflicts_check)

    # -- hooks -------------------------------------------------------------

    def BuildHooksEnv(self):
        env = {}
        if self.op.runtime_mem:
            env["RUNTIME_MEMORY"] = self.op.runtime_mem
        override = {"minmem": self.be_full["minmem"],
                    "maxmem": self.be_full["maxmem"],
                    "vcpus": self.be_full["vcpus"], "bep": self.be_full,
                    "hvp": self.hv_full,
                    "nics": iu.NicTuples(self, self.new_nics)}
        env.update(iu.BuildInstanceHookEnvByObject(self, self.instance,
                                                   override=override))
        return env

    # -- execution ---------------------------------------------------------

    def Exec(self, feedback_fn):
        op = self.op
        instance = self.instance
        result: List[Tuple[str, Any]] = []
        if self.conversion is not None:
            result += self.conversion.Exec(feedback_fn)
        result += self._ExecDisks(instance, feedback_fn)
        instance = self.instance = self.cfg.GetInstanceInfo(instance.uuid)
        result += self._ExecNics(instance)
        if op.beparams:
            instance.beparams = self.be_inst
            for key, value in op.beparams.items():
                result.append(("be/%s" % key, self.be_changes.get(key,
                                                                  value)))
        if op.hvparams:
            instance.hvparams = self.hv_inst
            for key, value in op.hvparams.items():
                result.append(("hv/%s" % key, value))
        if op.os_name:
            instance.os = op.os_name
            result.append(("os_name", op.os_name))
        if op.osparams:
            instance.osparams = self.os_inst
            for key, value in op.osparams.items():
                result.append(("os/%s" % key, value))
        if op.osparams_private:
            instance.osparams_private = _ApplyDefaults(
                instance.osparams_private, op.osparams_private)
            for key in op.osparams_private:
                result.append(("os_private/%s" % key, "<hidden>"))
        self.cfg.Update(instance, feedback_fn,
                        ec_id=cmdlib_network.ECId(self))
        if op.runtime_mem:
            res = self.rpc.call_instance_balloon_memory(
                instance.primary_node, instance, op.runtime_mem)
            res.Raise("Cannot modify instance runtime memory")
            result.append(("runtime_memory", op.runtime_mem))
        if op.offline is not None:
            if op.offline:
                self.cfg.MarkInstanceOffline(instance.uuid)
                result.append(("admin_state", C.ADMINST_OFFLINE))
            else:
                self.cfg.MarkInstanceDown(instance.uuid)
                result.append(("admin_state", C.ADMINST_DOWN))
        return result

    def _ExecNics(self, instance) -> List[Tuple[str, Any]]:
        result = []
        if not self.nic_plan:
            return result
        ec_id = cmdlib_network.ECId(self)
        for action, nic, params in self.nic_plan:
            old = self._NicAddress(nic)
            if old is not None and (action == C.DDM_REMOVE or (
                    action == C.DDM_MODIFY and
                    self._NicAddress(params[1]) != old)):
                self.cfg.ReleaseIp(old[0], old[1], ec_id)
            if action == C.DDM_MODIFY:
                changes, new = params
                for key in sorted(changes):
                    if key in (C.INIC_MODE, C.INIC_LINK, C.INIC_VLAN,
                               C.INIC_BRIDGE):
                        continue
                    setattr(nic, key, getattr(new, key))
                nicparams = dict(nic.nicparams or {})
                nicparams.update(new.nicparams or {})
                nic.nicparams = nicparams
                idx = self.new_nics.index(nic)
                for key in sorted(changes):
                    value = getattr(nic, key, None) \
                        if key not in (C.INIC_MODE, C.INIC_LINK, C.INIC_VLAN,
                                       C.INIC_BRIDGE) \
                        else nicparams.get("link" if key == C.INIC_BRIDGE
                                           else key)
                    result.append(("nic.%s/%d" % (key, idx), value))
        for action, nic, params in self.nic_plan:
            if action == C.DDM_ADD:
                idx = self.new_nics.index(nic)
                filled = dict((self.cfg.GetClusterInfo().nicparams or {})
                              .get("default", {}))
                filled.update(nic.nicparams or {})
                result.append(("nic.%d" % idx,
                               "add:mac=%s,ip=%s,mode=%s,link=%s,network=%s"
                               % (nic.mac, nic.ip, filled.get("mode"),
                                  filled.get("link"), nic.network)))
            elif action == C.DDM_REMOVE:
                idx = (instance.nics or []).index(nic)
                result.append(("nic.%d" % idx, "remove"))
        instance.nics = self.new_nics
        self.cfg.ReleaseMACs(n.mac for n in self.new_nics)
        return result

    def _ExecDisks(self, instance, feedback_fn) -> List[Tuple[str, Any]]:
        result = []
        cluster = self.cfg.GetClusterInfo()
        template = self.cfg.GetInstanceDiskTemplate(instance.uuid)
        for action, target, params in self.disk_plan:
            disks = self.cfg.GetInstanceDisks(instance.uuid)
            if action == C.DDM_ADD:
                idx = target
                info = ist.ComputeDisks([params], template,
                                        cluster.volume_group_name)
                file_dir = None
                if template in iu.DTS_FILEBASED:
                    file_dir = (ist.FileDiskDir(disks[0]) if disks else
                                ist.FileStorageDir(cluster, template,
                                                   instance.name, None))
                driver = (disks[0].logical_id[0] if disks and
                          template in iu.DTS_FILEBASED else None)
                secondaries = self.cfg.GetInstanceSecondaryNodes(instance.uuid)
                new = ist.GenerateDiskTemplate(
                    self, template, instance.uuid, instance.primary_node,
                    secondaries if template == C.DT_DRBD8 else [], info,
                    file_dir, driver, base_index=idx)[0]
                ist.CreateDisks(self, instance, [new])
                self.cfg.AddInstanceDisk(instance.uuid, new, idx)
                self._RenumberDisks(instance)
                if instance.disks_active:
                    ist.AssembleInstanceDisks(self, instance, disks=[new])
                if template in iu.DTS_INT_MIRROR and self.op.wait_for_sync:
                    ist.WaitForSync(self, instance, disks=[new])
                result.append(("disk/%d" % idx, "add:size=%s,mode=%s"
                               % (new.size, new.mode)))
            elif action == C.DDM_REMOVE:
                disk = target
                idx = disks.index(disk)
                ist.ShutdownInstanceDisks(self, instance, disks=[disk])
                ist.RemoveDisks(self, instance, disks=[disk],
                                remove_dirs=False)
                self.cfg.RemoveInstanceDisk(instance.uuid, disk.uuid)
                self._RenumberDisks(instance)
                result.append(("disk/%d" % idx, "remove"))
            else:
                disk = target
                idx = disks.index(disk)
                for key in sorted(params):
                    value = params[key]
                    if key == ist.IDISK_NAME and \
                            str(value).lower() == iu.VALUE_NONE:
                        value = None
                    setattr(disk, key, value)
                    result.append(("disk.%s/%d" % (key, idx), value))
                self.cfg.UpdateDisk(disk)
        return result

    def _RenumberDisks(self, instance) -> None:
        for idx, disk in enumerate(self.cfg.GetInstanceDisks(instance.uuid)):
            name = "disk/%d" % idx
            if disk.iv_name != name:
                disk.iv_name = name
                self.cfg.UpdateDisk(disk)

