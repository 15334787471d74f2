"""Creating instances (OpInstanceCreate, gnt-instance add)."""

import logging
from typing import List, Optional

from ganeti import constants as C
from ganeti import errors
from ganeti import iallocator
from ganeti import locking
from ganeti import netutils
from ganeti import objects
from ganeti.cmdlib.base import (HTYPE_INSTANCE, LogicalUnit, NoHooksLU,
                                ResultWithJobs)
from ganeti.cmdlib import instance_params
from ganeti.cmdlib import ipolicy
from ganeti.cmdlib import instance_storage as ist
from ganeti.cmdlib import instance_utils as iu
from ganeti.cmdlib import os as cmdlib_os
from ganeti.utils import text as utils_text

# Hypervisors whose instances get a network port (VNC/SPICE console).
HTS_REQ_PORT = frozenset([C.HT_XEN_HVM, C.HT_KVM])
DEFAULT_IALLOCATOR_SHORTCUT = "."


def CheckIAllocatorOrNode(lu, iallocator_slot: str, node_slot: str) -> None:
    """Exactly one of the iallocator and the node; the cluster's default
    iallocator is used when neither is given (or the iallocator is ".")."""
    node = getattr(lu.op, node_slot, None)
    ialloc = getattr(lu.op, iallocator_slot, None)
    if node is not None and ialloc is not None:
        raise errors.OpPrereqError("Do not specify both, iallocator and node",
                                   errors.ECODE_INVAL)
    if (node is None and ialloc is None) or \
            ialloc == DEFAULT_IALLOCATOR_SHORTCUT:
        default = lu.cfg.GetClusterInfo().default_iallocator
        if default:
            setattr(lu.op, iallocator_slot, default)
        else:
            raise errors.OpPrereqError("No iallocator or node given and no"
                                       " cluster-wide default iallocator"
                                       " found; please specify either an"
                                       " iallocator or a node, or set a"
                                       " cluster-wide default iallocator",
                                       errors.ECODE_INVAL)


def CheckHostnameSane(lu, name: str):
    """Resolve name; the answer must look like the name given."""
    hostname = netutils.GetHostname(name=name)
    if hostname.name != name:
        lu.LogInfo("Resolved given name '%s' to '%s'", name, hostname.name)
    if not (hostname.name == name or hostname.name.startswith(name + ".")):
        raise errors.OpPrereqError("Resolved hostname '%s' does not look the"
                                   " same as given hostname '%s'"
                                   % (hostname.name, name),
                                   errors.ECODE_INVAL)
    return hostname


def _RemoveDefaults(params: dict, defaults: dict) -> dict:
    return {k: v for k, v in params.items()
            if k not in defaults or defaults[k] != v}


class LUInstanceCreate(LogicalUnit):
    """Create an instance: disks on the nodes, config entry, OS install,
    start; a failure before the OS is installed leaves nothing behind."""

    HPATH = "instance-add"
    HTYPE = HTYPE_INSTANCE
    REQ_BGL = False

    def CheckArguments(self) -> None:
        op = self.op
        op.instance_name = instance_params.NormalizeInstanceName(
            op.instance_name)
        if op.mode != C.INSTANCE_CREATE:
            raise errors.OpPrereqError("Instance import is not supported by"
                                       " this command (mode '%s')" % op.mode,
                                       errors.ECODE_INVAL)
        if op.no_install and op.start:
            self.LogInfo("No-installation mode selected, disabling startup")
            op.start = False
        if op.ip_check and not op.name_check:
            raise errors.OpPrereqError("Cannot do IP address check without a"
                                       " name check", errors.ECODE_INVAL)
        if op.forthcoming or op.commit:
            raise errors.OpPrereqError("Forthcoming instances are not"
                                       " supported", errors.ECODE_INVAL)
        if not op.os_type:
            raise errors.OpPrereqError("No guest OS specified",
                                       errors.ECODE_INVAL)
        cluster = self.cfg.GetClusterInfo()
        if op.disk_template is None:
            op.disk_template = (cluster.enabled_disk_templates or
                                [C.DT_DISKLESS])[0]
        if op.disk_template == C.DT_DISKLESS and op.disks:
            raise errors.OpPrereqError("Diskless instance but disk"
                                       " information passed",
                                       errors.ECODE_INVAL)
        if op.disk_template != C.DT_DISKLESS and not op.disks:
            raise errors.OpPrereqError("No disk information specified",
                                       errors.ECODE_INVAL)
        names = [n.get(C.INIC_NAME) for n in op.nics if n.get(C.INIC_NAME)
                 and str(n.get(C.INIC_NAME)).lower() != "none"]
        names += [d.get("name") for d in op.disks if d.get("name")
                  and str(d.get("name")).lower() != "none"]
        dups = sorted({n for n in names if names.count(n) > 1})
        if dups:
            raise errors.OpPrereqError("Duplicate NIC/disk names: %s"
                                       % ", ".join(dups), errors.ECODE_INVAL)
        self.adopt_disks = ist.CheckAdoption(op.disk_template, op.disks)
        if op.disk_template in iu.DTS_FILEBASED:
            if op.file_driver is None:
                op.file_driver = C.FD_LOOP
        elif op.file_driver or op.file_storage_dir:
            raise errors.OpPrereqError("File storage directory or driver given"
                                       " for a non-file disk template",
                                       errors.ECODE_INVAL)
        if op.hypervisor is None:
            op.hypervisor = cluster.enabled_hypervisors[0]
        if op.hypervisor not in cluster.enabled_hypervisors:
            raise errors.OpPrereqError("Selected hypervisor (%s) not enabled in"
                                       " the cluster (%s)"
                                       % (op.hypervisor, ",".join(
                                           cluster.enabled_hypervisors)),
                                       errors.ECODE_STATE)
        instance_params.ForceHvParamTypes(op.hypervisor, op.hvparams)
        CheckIAllocatorOrNode(self, "iallocator", "pnode")

    def ExpandNames(self) -> None:
        op = self.op
        self.check_ip: Optional[str] = None
        if op.name_check:
            hostname = CheckHostnameSane(self, op.instance_name)
            op.instance_name = hostname.name
            self.check_ip = hostname.ip
        if self.cfg.GetInstanceInfoByName(op.instance_name) is not None:
            raise errors.OpPrereqError("Instance '%s' is already in the"
                                       " cluster" % op.instance_name,
                                       errors.ECODE_EXISTS)
        self.needed_locks = {}
        if op.iallocator:
            self._LockAll(locking.LEVEL_NODE)
            self._LockAll(locking.LEVEL_NODE_RES)
            if op.opportunistic_locking:
                self.opportunistic_locks[locking.LEVEL_NODE] = True
                self.opportunistic_locks[locking.LEVEL_NODE_RES] = True
                if op.disk_template == C.DT_DRBD8:
                    self.opportunistic_locks_count[locking.LEVEL_NODE] = 2
                    self.opportunistic_locks_count[locking.LEVEL_NODE_RES] = 2
        else:
            op.pnode_uuid, op.pnode = iu.ExpandNodeUuidAndName(
                self.cfg, op.pnode_uuid, op.pnode)
            nodes = [op.pnode_uuid]
            if op.snode is not None:
                op.snode_uuid, op.snode = iu.ExpandNodeUuidAndName(
                    self.cfg, op.snode_uuid, op.snode)
                nodes.append(op.snode_uuid)
            self.needed_locks[locking.LEVEL_NODE] = nodes
            self.needed_locks[locking.LEVEL_NODE_RES] = list(nodes)

    # -- prerequisites -----------------------------------------------------

    def _RunAllocator(self) -> None:
        op = self.op
        req = iallocator.IAReqInstanceAlloc(
            name=op.instance_name, disk_template=op.disk_template,
            tags=op.tags, os=op.os_type, vcpus=self.be_full["vcpus"],
            memory=self.be_full["maxmem"],
            spindle_use=self.be_full.get("spindle_use", 1),
            disks=[{"size": d["size"], "mode": d["mode"],
                    "spindles": d.get("spindles")} for d in self.disks],
            nics=[n.ToDict() for n in self.nics],
            hypervisor=op.hypervisor,
            node_whitelist=(sorted(self.cfg.GetNodeNames(
                list(self.owned_locks(locking.LEVEL_NODE))))
                if op.opportunistic_locking else None),
            group_name=op.group_name)
        ecode = (errors.ECODE_TEMP_NORES if op.opportunistic_locking
                 else errors.ECODE_NORES)
        nodes = iu.RunIAllocator(self, req, op.instance_name, ecode)
        op.pnode_uuid, op.pnode = nodes[0]
        if req.RequiredNodes() == 2:
            op.snode_uuid, op.snode = nodes[1]

    def CheckPrereq(self) -> None:
        op = self.op
        cfg = self.cfg
        cluster = cfg.GetClusterInfo()
        if cfg.GetInstanceInfoByName(op.instance_name) is not None:
            raise errors.OpPrereqError("Instance '%s' is already in the"
                                       " cluster" % op.instance_name,
                                       errors.ECODE_EXISTS)
        iu.CheckDiskTemplateEnabled(cluster, op.disk_template)
        # backend parameters
        bep = iu.UpgradeBeParams(iu.ForceBeParamTypes(op.beparams))
        if op.identify_defaults:
            bep = _RemoveDefaults(bep, cluster.FillBE({}))
        self.be_inst = bep
        self.be_full = cluster.FillBE(bep)
        instance_params.CheckBeParamValues(self.be_full)
        iu.CheckMinMaxMem(self.be_full)
        # hypervisor parameters
        hvp = dict(op.hvparams or {})
        if op.identify_defaults:
            hvp = _RemoveDefaults(hvp, cluster.FillHV(op.hypervisor,
                                                      op.os_type))
        self.hv_inst = hvp
        self.hv_full = cluster.FillHV(op.hypervisor, op.os_type, hvp)
        # NICs and disks
        self.nics = iu.ComputeNics(self, op.nics, self.check_ip)
        self.disks = ist.ComputeDisks(op.disks, op.disk_template,
                                      cluster.volume_group_name)
        if op.iallocator:
            self._RunAllocator()
        self.pnode = cfg.GetNodeInfo(op.pnode_uuid)
        iu.CheckNodeOnline(self, self.pnode.uuid)
        iu.CheckNodeNotDrained(self, self.pnode.uuid)
        iu.CheckNodeVmCapable(self, self.pnode.uuid)
        self.secondaries: List[str] = []
        if op.disk_template in iu.DTS_INT_MIRROR:
            if op.snode_uuid is None:
                raise errors.OpPrereqError("The networked disk templates need"
                                           " a mirror node",
                                           errors.ECODE_INVAL)
            if op.snode_uuid == op.pnode_uuid:
                raise errors.OpPrereqError("The secondary node cannot be the"
                                           " primary node",
                                           errors.ECODE_INVAL)
            iu.CheckNodeOnline(self, op.snode_uuid)
            iu.CheckNodeNotDrained(self, op.snode_uuid)
            iu.CheckNodeVmCapable(self, op.snode_uuid)
            self.secondaries.append(op.snode_uuid)
        elif op.snode_uuid is not None:
            self.LogWarning("Secondary node will be ignored on non-mirrored"
                            " disk template")
            op.snode_uuid = op.snode = None
        nodes = [self.pnode.uuid] + self.secondaries
        if not op.ignore_ipolicy:
            ipolicy.CheckInstanceAllocation(
                cfg, self.pnode.group, self.be_full, self.disks,
                len(self.nics), op.disk_template)
        # name and address
        if op.ip_check and self.check_ip and \
                netutils.TcpPing(self.check_ip, C.DEFAULT_NODED_PORT,
                                 timeout=5):
            raise errors.OpPrereqError("IP %s of instance %s already in use"
                                       % (self.check_ip, op.instance_name),
                                       errors.ECODE_NOTUNIQUE)
        # storage
        if not self.adopt_disks:
            size = iallocator.ComputeDiskSize(op.disk_template, self.disks)
            per_vg = iu.ComputeDiskSizePerVG(op.disk_template, self.disks,
                                             cfg.GetVGName())
            iu.CheckNodesFreeDisk(self, nodes, op.disk_template, size, per_vg)
        # OS
        declared = cmdlib_os.CheckNodeHasOs(self, self.pnode.uuid,
                                            op.os_type, op.force_variant)
        osparams = dict(op.osparams or {})
        osparams.update(op.osparams_private or {})
        osparams.update(op.osparams_secret or {})
        if osparams:
            cmdlib_os.CheckOsParams(self, True, [self.pnode.uuid], op.os_type,
                                    osparams, op.force_variant, declared)
        if op.hvparams:
            iu.CheckHVParams(self, nodes, op.hypervisor, self.hv_full)
        iu.CheckBridgesExist(self, self.nics, self.pnode.uuid)
        if op.start:
            iu.CheckNodeFreeMemory(self, self.pnode.uuid,
                                   "creating instance %s" % op.instance_name,
                                   self.be_full["maxmem"], op.hypervisor,
                                   cluster.hvparams.get(op.hypervisor, {}))
        iu.GenerateMacs(self, self.nics)
        self.dry_run_result = list(self.cfg.GetNodeNames(nodes))

    # -- hooks -------------------------------------------------------------

    def BuildHooksEnv(self):
        op = self.op
        env = {"ADD_MODE": op.mode}
        env.update(iu.BuildInstanceHookEnv(
            name=op.instance_name, primary_node_name=self.pnode.name,
            secondary_node_names=self.cfg.GetNodeNames(self.secondaries),
            os_type=op.os_type,
            status=C.ADMINST_UP if op.start else C.ADMINST_DOWN,
            minmem=self.be_full["minmem"], maxmem=self.be_full["maxmem"],
            vcpus=self.be_full["vcpus"], nics=iu.NicTuples(self, self.nics),
            disk_template=op.disk_template,
            disks=[(d.get("name"), "", d.get("size"), d.get("mode"),
                    op.disk_template, None) for d in self.disks],
            bep=self.be_full, hvp=self.hv_full, hypervisor_name=op.hypervisor,
            tags=op.tags))
        return env

    def BuildHooksNodes(self):
        nodes = [self.cfg.GetMasterNode(), self.pnode.uuid] + self.secondaries
        return nodes, nodes

    # -- execution ---------------------------------------------------------

    def _NewInstance(self) -> objects.Instance:
        op = self.op
        port = None
        if op.hypervisor in HTS_REQ_PORT:
            port = self.cfg.AllocatePort()
        return objects.Instance(
            name=op.instance_name, uuid=self.cfg.GenerateUniqueID(),
            primary_node=self.pnode.uuid, os=op.os_type,
            hypervisor=op.hypervisor, hvparams=dict(self.hv_inst),
            beparams=dict(self.be_inst), osparams=dict(op.osparams or {}),
            osparams_private=dict(op.osparams_private or {}),
            admin_state=C.ADMINST_DOWN,
            admin_state_source=C.ADMIN_SOURCE, nics=self.nics, disks=[],
            disk_template=op.disk_template, disks_active=False,
            network_port=port, forthcoming=False, tags=list(op.tags or []))

    def Exec(self, feedback_fn):
        op = self.op
        try:
            iobj = self._NewInstance()
            file_dir = ist.FileStorageDir(self.cfg.GetClusterInfo(),
                                          op.disk_template, op.instance_name,
                                          op.file_storage_dir)
            disks = ist.GenerateDiskTemplate(
                self, op.disk_template, iobj.uuid, self.pnode.uuid,
                self.secondaries, self.disks, file_dir, op.file_driver)
            for idx, disk in enumerate(disks):
                feedback_fn("* disk %d, size %s"
                            % (idx, utils_text.FormatUnit(disk.size, "h")))
            feedback_fn("* creating instance disks...")
            ist.CreateDisks(self, iobj, disks, adopt=self.adopt_disks,
                            new_dirs=True)
        except Exception:
            self.cfg.ReleaseMACs(n.mac for n in self.nics)
            self.cfg.ReleaseDRBDMinors()
            raise
        feedback_fn("adding instance %s to cluster config" % op.instance_name)
        feedback_fn("adding disks to cluster config")
        try:
            self._AddToConfig(iobj, disks)
        except errors.GenericError:
            if not self.adopt_disks:
                ist.RemoveDisks(self, iobj, disks)
            raise
        try:
            self._InstallOs(iobj, feedback_fn)
        except Exception:
            self._Rollback(iobj)
            raise
        if op.start:
            iobj = self.cfg.MarkInstanceUp(iobj.uuid)
            feedback_fn("* starting instance...")
            result = self.rpc.call_instance_start(self.pnode.uuid,
                                                  (iobj, None, None), False,
                                                  op.reason)
            result.Raise("Could not start instance")
        return self.cfg.GetNodeNames(self.cfg.GetInstanceNodes(iobj.uuid))

    def _AddToConfig(self, iobj, disks) -> None:
        add = getattr(self.context, "AddInstance", None)
        if add is not None:
            add(iobj, disks)
        else:
            self.cfg.AddInstance(iobj, disks)

    def _Rollback(self, iobj) -> None:
        """Remove the disks and the config entry of a failed creation."""
        if not self.adopt_disks:
            ist.RemoveDisks(self, iobj)
        remove = getattr(self.context, "RemoveInstance", None)
        if remove is not None:
            remove(iobj.uuid)
        else:
            self.cfg.RemoveInstance(iobj.uuid)

    def _InstallOs(self, iobj, feedback_fn) -> None:
        op = self.op
        has_disks = bool(iobj.disks)
        mirrored = op.disk_template == C.DT_DRBD8
        if has_disks and op.wait_for_sync:
            if not ist.WaitForSync(self, iobj):
                raise errors.OpExecError("There are some degraded disks for"
                                         " this instance")
        elif has_disks and mirrored:
            # not degraded (still syncing is fine)
            feedback_fn("* checking mirrors status")
            if not ist.WaitForSync(self, iobj, oneshot=True):
                raise errors.OpExecError("There are some degraded disks for"
                                         " this instance")
        if op.disk_template == C.DT_DISKLESS or self.adopt_disks or \
                op.no_install:
            return
        if op.wait_for_sync:
            ist.WaitForSync(self, iobj)
        pause_sync = mirrored and not op.wait_for_sync
        if pause_sync:
            feedback_fn("* pausing disk sync to install instance OS")
            self._PauseResumeSync(iobj, True)
        feedback_fn("* running the instance OS create scripts...")
        result = self.rpc.call_instance_os_add(
            self.pnode.uuid, (iobj, op.osparams_secret), False,
            op.debug_level or 0)
        if pause_sync:
            feedback_fn("* resuming disk sync")
            self._PauseResumeSync(iobj, False)
        if result.fail_msg:
            raise errors.OpExecError("Could not add os for instance %s on node"
                                     " %s: %s" % (op.instance_name,
                                                  self.pnode.name,
                                                  result.fail_msg))


    def _PauseResumeSync(self, iobj, pause: bool) -> None:
        disks = self.cfg.GetInstanceDisks(iobj.uuid)
        result = self.rpc.call_blockdev_pause_resume_sync(
            self.pnode.uuid, (disks, iobj), pause)
        for idx, success in enumerate(result.payload or []):
            if not success:
                logging.warning("%s-sync of instance %s for disk %d failed",
                                "pause" if pause else "resume", iobj.name, idx)


class LUInstanceMultiAlloc(NoHooksLU):
    """Create several instances: one creation job per instance (each one
    placed by its own node, or by the given iallocator)."""

    REQ_BGL = False

    def CheckArguments(self) -> None:
        from ganeti import opcodes  # pylint: disable=import-outside-toplevel
        self.insts = []
        for data in self.op.instances:
            inst = opcodes.OpCode.LoadOpCode(data) \
                if isinstance(data, dict) else data
            if not isinstance(inst, opcodes.OpInstanceCreate):
                raise errors.OpPrereqError("Only instance creation opcodes"
                                           " can be allocated",
                                           errors.ECODE_INVAL)
            self.insts.append(inst)
        with_nodes = [bool(i.pnode) for i in self.insts]
        if any(with_nodes) and not all(with_nodes):
            raise errors.OpPrereqError("There are instance objects providing"
                                       " pnode/snode while others do not",
                                       errors.ECODE_INVAL)
        if all(with_nodes) and self.insts and self.op.iallocator:
            raise errors.OpPrereqError("Do not specify both, iallocator and"
                                       " node", errors.ECODE_INVAL)

    def ExpandNames(self) -> None:
        self.needed_locks = {}

    def Exec(self, feedback_fn):
        jobs = []
        for inst in self.insts:
            if not inst.pnode and not inst.iallocator and self.op.iallocator:
                inst.iallocator = self.op.iallocator
            jobs.append([inst])
        return ResultWithJobs(jobs,
                              allocatable=[i.instance_name for i in self.insts],
                              failed=[])
