"""Logical units for the cluster as a whole: query, post-init, destroy,
modify, master IP, redistribution, config values."""

import os
import platform

from ganeti import constants
from ganeti import errors
from ganeti import hypervisor
from ganeti import locking
from ganeti import pathutils
from ganeti.cmdlib import instance_params
from ganeti.cmdlib import instance_utils as iu
from ganeti.cmdlib import cluster_ops
from ganeti.cmdlib import group
from ganeti.cmdlib import ipolicy
from ganeti.cmdlib.base import LogicalUnit, NoHooksLU
from ganeti.storage import lvm
from ganeti.utils.text import NiceSortKey


def _architecture():
    bits = "64bits" if platform.architecture()[0].startswith("64") else "32bits"
    return [bits, platform.machine()]


def ClusterInfo(cfg) -> dict:
    """The cluster description of OpClusterQuery, LUXI QueryClusterInfo and
    RAPI /2/info (upstream 3.0 keys)."""
    cl = cfg.GetClusterInfo()
    collectors = cl.data_collectors or {}
    return {
        "software_version": constants.RELEASE_VERSION,
        "protocol_version": constants.PROTOCOL_VERSION,
        "config_version": constants.CONFIG_VERSION,
        "os_api_version": max(constants.OS_API_VERSIONS),
        "export_version": constants.EXPORT_VERSION,
        "vcs_version": constants.VCS_VERSION,
        "architecture": _architecture(),
        "name": cl.cluster_name,
        "master": cfg.GetMasterNodeName(),
        "default_hypervisor": cl.enabled_hypervisors[0],
        "enabled_hypervisors": list(cl.enabled_hypervisors),
        "hvparams": {hv: dict(p) for hv, p in cl.hvparams.items()},
        "os_hvp": dict(cl.os_hvp or {}),
        "beparams": dict(cl.beparams),
        "osparams": dict(cl.osparams or {}),
        "ipolicy": cl.ipolicy,
        "nicparams": dict(cl.nicparams),
        "ndparams": dict(cl.ndparams),
        "diskparams": dict(cl.diskparams),
        "candidate_pool_size": cl.candidate_pool_size,
        "max_running_jobs": cl.max_running_jobs,
        "max_tracked_jobs": cl.max_tracked_jobs,
        "master_netdev": cl.master_netdev,
        "master_netmask": cl.master_netmask,
        "use_external_mip_script": cl.use_external_mip_script,
        "volume_group_name": cl.volume_group_name,
        "vg_name": cl.volume_group_name,
        "reserved_lvs": list(cl.reserved_lvs or []),
        "drbd_usermode_helper": cl.drbd_usermode_helper,
        "drbd_helper": cl.drbd_usermode_helper,
        "file_storage_dir": cl.file_storage_dir,
        "shared_file_storage_dir": cl.shared_file_storage_dir,
        "gluster_storage_dir": cl.gluster_storage_dir,
        "maintain_node_health": cl.maintain_node_health,
        "ctime": cl.ctime,
        "mtime": cl.mtime,
        "uuid": cl.uuid,
        "tags": list(cl.tags or []),
        "uid_pool": list(cl.uid_pool or []),
        "default_iallocator": cl.default_iallocator,
        "default_iallocator_params": dict(cl.default_iallocator_params or {}),
        "mac_prefix": cl.mac_prefix,
        "primary_ip_version": 4 if cl.primary_ip_family == 2 else 6,
        "prealloc_wipe_disks": cl.prealloc_wipe_disks,
        "hidden_os": list(cl.hidden_os or []),
        "blacklisted_os": list(cl.blacklisted_os or []),
        "enabled_disk_templates": list(cl.enabled_disk_templates),
        "install_image": cl.install_image,
        "instance_communication_network": cl.instance_communication_network,
        "compression_tools": list(cl.compression_tools or []),
        "enabled_user_shutdown": cl.enabled_user_shutdown,
        "modify_ssh_setup": cl.modify_ssh_setup,
        "ssh_key_type": cl.ssh_key_type,
        "ssh_key_bits": cl.ssh_key_bits,
        "zeroing_image": cl.zeroing_image,
        "enabled_data_collectors": {k: v.get("active", True)
                                    for k, v in collectors.items()},
        "data_collector_interval": {k: int(v.get("interval", 5000000))
                                    for k, v in collectors.items()},
    }


class LUClusterQuery(NoHooksLU):
    """Return the cluster description."""
    REQ_BGL = False

    def ExpandNames(self):
        self.needed_locks = {}

    def Exec(self, feedback_fn):
        return ClusterInfo(self.cfg)


class LUClusterConfigQuery(NoHooksLU):
    """Selected configuration values (cluster_name, master_node, ...)."""
    REQ_BGL = False

    def ExpandNames(self):
        self.needed_locks = {}

    def Exec(self, feedback_fn):
        cfg = self.cfg
        cl = cfg.GetClusterInfo()
        values = {
            "cluster_name": cl.cluster_name,
            "master_node": cfg.GetMasterNodeName(),
            "drain_flag": os.path.exists(pathutils.JOB_QUEUE_DRAIN_FILE),
            "watcher_pause": None,
            "volume_group_name": cl.volume_group_name,
        }
        return [values.get(f) for f in self.op.output_fields]


class LUClusterPostInit(LogicalUnit):
    """Runs the cluster-init post hooks on the master."""
    HPATH = "cluster-init"
    HTYPE = constants.HTYPE_CLUSTER

    def ExpandNames(self):
        self.needed_locks = {}

    def BuildHooksEnv(self):
        return {"OP_TARGET": self.cfg.GetClusterName()}

    def BuildHooksNodes(self):
        return ([], [self.cfg.GetMasterNode()])

    def Exec(self, feedback_fn):
        return True


class LUClusterDestroy(LogicalUnit):
    """Checks the cluster is empty and returns the master's name; the
    client then stops the daemons and removes the files."""
    HPATH = "cluster-destroy"
    HTYPE = constants.HTYPE_CLUSTER

    def ExpandNames(self):
        self.needed_locks = {}

    def BuildHooksEnv(self):
        return {"OP_TARGET": self.cfg.GetClusterName()}

    def BuildHooksNodes(self):
        return ([], [])

    def CheckPrereq(self):
        nodes = self.cfg.GetNodeList()
        if len(nodes) != 1 or nodes[0] != self.cfg.GetMasterNode():
            raise errors.OpPrereqError("There are still %d node(s) in"
                                       " this cluster." % (len(nodes) - 1),
                                       errors.ECODE_INVAL)
        instances = self.cfg.GetInstanceList()
        if instances:
            raise errors.OpPrereqError("There are still %d instance(s) in"
                                       " this cluster." % len(instances),
                                       errors.ECODE_INVAL)

    def Exec(self, feedback_fn):
        master = self.cfg.GetMasterNodeInfo()
        result = self.rpc.call_node_deactivate_master_ip(
            master.name, self.cfg.GetMasterNetworkParameters(),
            self.cfg.GetClusterInfo().use_external_mip_script)
        if result.fail_msg:
            self.LogWarning("Could not disable the master IP: %s",
                            result.fail_msg)
        return master.uuid


class LUClusterActivateMasterIp(NoHooksLU):
    def ExpandNames(self):
        self.needed_locks = {}

    def Exec(self, feedback_fn):
        master = self.cfg.GetMasterNodeName()
        result = self.rpc.call_node_activate_master_ip(
            master, self.cfg.GetMasterNetworkParameters(),
            self.cfg.GetClusterInfo().use_external_mip_script)
        result.Raise("Could not activate the master IP")


class LUClusterDeactivateMasterIp(NoHooksLU):
    def ExpandNames(self):
        self.needed_locks = {}

    def Exec(self, feedback_fn):
        master = self.cfg.GetMasterNodeName()
        result = self.rpc.call_node_deactivate_master_ip(
            master, self.cfg.GetMasterNetworkParameters(),
            self.cfg.GetClusterInfo().use_external_mip_script)
        result.Raise("Could not deactivate the master IP")


class LUClusterRedistConf(NoHooksLU):
    """Re-sync every node with the master: config.data to the candidates,
    ssconf and the ancillary files to every node, the job queue to the
    candidates that missed changes.  Nodes remembered as unreachable are
    tried again."""
    REQ_BGL = False

    def ExpandNames(self):
        self.needed_locks = {locking.LEVEL_NODE: locking.ALL_SET}
        self.share_locks = {locking.LEVEL_NODE: 1}

    def Exec(self, feedback_fn):
        reach = getattr(self.rpc, "reach", None)
        if reach is not None:
            reach.Reset()
        self.cfg.Update(self.cfg.GetClusterInfo(), feedback_fn)
        cluster_ops.RedistributeAncillaryFiles(self)
        jobqueue = getattr(self.context, "jobqueue", None)
        if jobqueue is not None:
            for name, err in sorted(jobqueue.ResyncNodes().items()):
                if err:
                    self.LogWarning("Could not copy the job queue to node"
                                    " %s: %s", name, err)


# Disk templates storing their data in LVM volumes.
_LVM_TEMPLATES = (constants.DT_PLAIN, constants.DT_DRBD8)


class LUClusterSetParams(LogicalUnit):
    """Change cluster-wide parameters (gnt-cluster modify)."""
    HPATH = "cluster-modify"
    HTYPE = constants.HTYPE_CLUSTER

    _SIMPLE = ["candidate_pool_size", "max_running_jobs", "max_tracked_jobs",
               "mac_prefix", "maintain_node_health", "prealloc_wipe_disks",
               "default_iallocator", "default_iallocator_params",
               "use_external_mip_script", "modify_etc_hosts",
               "install_image", "zeroing_image", "compression_tools",
               "enabled_user_shutdown", "drbd_usermode_helper",
               "file_storage_dir", "shared_file_storage_dir",
               "gluster_storage_dir", "instance_communication_network",
               "master_netdev", "uid_pool", "reserved_lvs"]

    def ExpandNames(self):
        self.needed_locks = {locking.LEVEL_NODE: locking.ALL_SET}
        self.share_locks = {locking.LEVEL_NODE: 1}

    def BuildHooksEnv(self):
        return {"OP_TARGET": self.cfg.GetClusterName(),
                "NEW_VG_NAME": getattr(self.op, "vg_name", None) or ""}

    def BuildHooksNodes(self):
        master = self.cfg.GetMasterNode()
        return ([master], [master])

    def CheckPrereq(self):
        op = self.op
        cl = self.cfg.GetClusterInfo()
        hvs = getattr(op, "enabled_hypervisors", None)
        if hvs is not None:
            bad = [h for h in hvs if h not in constants.HYPER_TYPES]
            if not hvs or bad:
                raise errors.OpPrereqError("Invalid hypervisor(s) given: %s" %
                                           ", ".join(bad) or "(none)",
                                           errors.ECODE_INVAL)
        dts = getattr(op, "enabled_disk_templates", None)
        if dts is not None:
            bad = [d for d in dts if d not in constants.DISK_TEMPLATES]
            if not dts or bad:
                raise errors.OpPrereqError("Invalid disk template(s) given: %s"
                                           % ", ".join(bad), errors.ECODE_INVAL)
        for name, params in (getattr(op, "hvparams", None) or {}).items():
            known = cl.hvparams.get(name)
            if known is None:
                raise errors.OpPrereqError("Invalid hypervisor '%s'" % name,
                                           errors.ECODE_INVAL)
            unknown = set(params) - set(known)
            if unknown:
                raise errors.OpPrereqError("Unknown parameter(s) for hypervisor"
                                           " %s: %s" % (name, ", ".join(
                                               sorted(unknown))),
                                           errors.ECODE_INVAL)
            group.ForceVTypes(params, hypervisor.ParameterTypes(name),
                              allow_default=False)
        for attr, current in (("beparams", cl.beparams["default"]),
                              ("nicparams", cl.nicparams["default"]),
                              ("ndparams", cl.ndparams)):
            unknown = set(getattr(op, attr, None) or {}) - set(current)
            if unknown:
                raise errors.OpPrereqError("Unknown parameter(s): %s" %
                                           ", ".join(sorted(unknown)),
                                           errors.ECODE_INVAL)
        _CheckVgName(self, dts if dts is not None
                     else cl.enabled_disk_templates)
        if getattr(op, "beparams", None):
            op.beparams = iu.ForceBeParamTypes(op.beparams)
            instance_params.CheckBeParamValues(op.beparams)
        if getattr(op, "ndparams", None):
            group.ForceDictType(op.ndparams, group.ND_PARAMETER_TYPES)
        self.new_diskparams = None
        if getattr(op, "diskparams", None):
            self.new_diskparams = group.UpdateDiskParams(cl.diskparams,
                                                         op.diskparams)
        from ganeti.cmdlib import os as cmdlib_os
        cmdlib_os.CheckClusterOsParams(self, self.op)
        if getattr(op, "ipolicy", None):
            self.new_ipolicy = group.GetUpdatedIPolicy(cl.ipolicy, op.ipolicy,
                                                       group_policy=False)
        if getattr(op, "ipolicy", None) or dts is not None:
            policy = self.new_ipolicy if op.ipolicy else cl.ipolicy
            enabled = dts if dts is not None else cl.enabled_disk_templates
            ipolicy.CheckIpolicyVsDiskTemplates(policy, enabled)
        if getattr(op, "ipolicy", None):
            ipolicy.WarnNewPolicyViolations(self, ipolicy.NewPolicyViolations(
                self.cfg, self.new_ipolicy, {}))

    def Exec(self, feedback_fn):
        op = self.op
        cl = self.cfg.GetClusterInfo()
        for name in self._SIMPLE:
            value = getattr(op, name, None)
            if value is not None:
                setattr(cl, name, value)
        if getattr(op, "vg_name", None) is not None:
            cl.volume_group_name = op.vg_name or None
        if getattr(op, "master_netmask", None) is not None:
            cl.master_netmask = op.master_netmask
        if getattr(op, "enabled_hypervisors", None) is not None:
            cl.enabled_hypervisors = list(op.enabled_hypervisors)
        if getattr(op, "enabled_disk_templates", None) is not None:
            cl.enabled_disk_templates = list(op.enabled_disk_templates)
        for name, params in (getattr(op, "hvparams", None) or {}).items():
            cl.hvparams[name].update(params)
        if getattr(op, "beparams", None):
            cl.beparams["default"].update(op.beparams)
        if getattr(op, "nicparams", None):
            cl.nicparams["default"].update(op.nicparams)
        if getattr(op, "ndparams", None):
            cl.ndparams.update(op.ndparams)
        if self.new_diskparams is not None:
            cl.diskparams = self.new_diskparams
        from ganeti.cmdlib import os as cmdlib_os
        cmdlib_os.ApplyClusterOsParams(cl, op)
        if getattr(op, "ipolicy", None):
            cl.ipolicy = self.new_ipolicy
        if getattr(op, "hidden_os", None):
            _modify_list(cl, "hidden_os", op.hidden_os)
        if getattr(op, "blacklisted_os", None):
            _modify_list(cl, "blacklisted_os", op.blacklisted_os)
        self.cfg.Update(cl, feedback_fn)


def _CheckVgName(lu, new_templates) -> None:
    """--vg-name: not unset while LVM is used; with LVM (getting) enabled,
    the volume group must exist and be big enough on every vm_capable
    node."""
    vg_name = getattr(lu.op, "vg_name", None)
    cfg = lu.cfg
    old_templates = cfg.GetClusterInfo().enabled_disk_templates
    lvm_enabled = any(t in _LVM_TEMPLATES for t in new_templates)
    lvm_gets_enabled = lvm_enabled and not any(
        t in _LVM_TEMPLATES for t in old_templates)
    current = cfg.GetVGName()
    if vg_name == "" and lvm_enabled:
        raise errors.OpPrereqError("Cannot unset volume group if lvm-based"
                                   " disk templates are or get enabled.",
                                   errors.ECODE_INVAL)
    if vg_name is None and current is None and lvm_enabled:
        raise errors.OpPrereqError("Please specify a volume group when"
                                   " enabling lvm-based disk-templates.",
                                   errors.ECODE_INVAL)
    if vg_name == "" and any(d.dev_type == constants.DT_PLAIN for d in
                             cfg.GetAllDisksInfo().values()):
        raise errors.OpPrereqError("Cannot disable lvm storage while"
                                   " lvm-based instances exist",
                                   errors.ECODE_INVAL)
    if (vg_name and lvm_enabled) or (current is not None and
                                     lvm_gets_enabled):
        _CheckVgNameOnNodes(lu, vg_name or current)


def _CheckVgNameOnNodes(lu, vg_name: str) -> None:
    """Every vm_capable node must have the volume group, big enough;
    nodes not answering are warned about and skipped."""
    nodes = sorted(lu.cfg.GetAllNodesInfo().values(),
                   key=lambda n: NiceSortKey(n.name))
    node_uuids = [n.uuid for n in nodes if n.vm_capable]
    answers = lu.rpc.call_vg_list(node_uuids)
    for node_uuid in node_uuids:
        res = answers[node_uuid]
        if res.fail_msg:
            lu.LogWarning("Error while gathering data on node %s"
                          " (ignoring node): %s",
                          lu.cfg.GetNodeName(node_uuid), res.fail_msg)
            continue
        status = lvm.CheckVolumeGroupSize(res.payload or {}, vg_name)
        if status:
            raise errors.OpPrereqError("Error on node '%s': %s" %
                                       (lu.cfg.GetNodeName(node_uuid),
                                        status), errors.ECODE_ENVIRON)


def _modify_list(cluster, attr, mods):
    current = list(getattr(cluster, attr) or [])
    for action, name in mods:
        if action == "add" and name not in current:
            current.append(name)
        elif action == "remove" and name in current:
            current.remove(name)
    setattr(cluster, attr, current)
