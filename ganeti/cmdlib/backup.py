"""Instance exports: OpBackupPrepare, OpBackupExport, OpBackupRemove and
the export list (QueryExports, the "export" query).

A local export copies each disk (read by the OS export script on the
primary node) through the import-export daemons into
``<export dir>/<instance>.new/<disk uuid>`` on the target node, then
finalize_export writes config.ini there and puts the directory in place;
older exports of the instance on other nodes are removed.
"""

from typing import Dict, List, Optional, Tuple

from ganeti import constants as C
from ganeti import errors
from ganeti import locking
from ganeti import pathutils
from ganeti.cmdlib.base import HTYPE_INSTANCE
from ganeti.cmdlib import instance_storage as ist
from ganeti.cmdlib import instance_utils as iu
from ganeti.cmdlib import transfer
from ganeti.cmdlib.instance_ops import (_InstanceLU, _InstanceNoHooksLU,
                                        RemoveInstance)
from ganeti.cmdlib.base import NoHooksLU


def ExportList(lu, node_uuids: List[str]) -> Dict[str, Optional[List[str]]]:
    """{node uuid: export names, or None where the node did not answer}."""
    online = [n for n in node_uuids if not lu.cfg.GetNodeInfo(n).offline]
    result = lu.rpc.call_export_list(online) if online else {}
    answer: Dict[str, Optional[List[str]]] = {}
    for node in node_uuids:
        res = result.get(node)
        answer[node] = None if res is None or res.fail_msg else \
            list(res.payload or [])
    return answer


def ExportRows(lu, node_uuids: List[str]) -> List[Tuple[str, Optional[str]]]:
    """(node name, export name or None for a failed node) rows."""
    rows: List[Tuple[str, Optional[str]]] = []
    for node, names in ExportList(lu, node_uuids).items():
        name = iu.NodeName(lu.cfg, node)
        if names is None:
            rows.append((name, None))
        else:
            rows.extend((name, export) for export in names)
    return rows


def _RemoveExports(lu, feedback_fn, name: str,
                   keep_node: Optional[str] = None) -> bool:
    """Remove the exports called name from every node but keep_node;
    whether one was found."""
    found = False
    for node, names in ExportList(lu, lu.cfg.GetNodeList()).items():
        if node == keep_node or not names or name not in names:
            continue
        found = True
        result = lu.rpc.call_export_remove(node, name)
        if result.fail_msg:
            lu.LogWarning("Could not remove export for instance %s on node"
                          " %s: %s", name, iu.NodeName(lu.cfg, node),
                          result.fail_msg)
    return found


class LUBackupPrepare(_InstanceNoHooksLU):
    """Local exports need no preparation (remote ones are not supported)."""
    NODE_LEVELS = ()

    def CheckPrereq(self) -> None:
        self._GetInstance()
        if self.op.mode == C.EXPORT_MODE_REMOTE:
            raise errors.OpPrereqError("Remote exports are not supported by"
                                       " this cluster", errors.ECODE_INVAL)

    def Exec(self, feedback_fn):
        return None


class LUBackupExport(_InstanceLU):
    HPATH = "instance-export"
    HTYPE = HTYPE_INSTANCE
    NODE_LEVELS = ()

    def CheckArguments(self) -> None:
        if self.op.mode != C.EXPORT_MODE_LOCAL:
            raise errors.OpPrereqError("Remote exports are not supported by"
                                       " this cluster", errors.ECODE_INVAL)
        if self.op.remove_instance and not self.op.shutdown:
            raise errors.OpPrereqError("Can not remove instance without"
                                       " shutting it down before",
                                       errors.ECODE_INVAL)
        if not isinstance(self.op.target_node, str) and \
                self.op.target_node_uuid is None:
            raise errors.OpPrereqError("Target node must be a node name for"
                                       " local exports", errors.ECODE_INVAL)

    def ExpandNames(self) -> None:
        super().ExpandNames()
        self.op.target_node_uuid, self.op.target_node = \
            iu.ExpandNodeUuidAndName(self.cfg, self.op.target_node_uuid,
                                     self.op.target_node)
        # old exports of the instance are removed from every node
        self._LockAll(locking.LEVEL_NODE)

    def CheckPrereq(self) -> None:
        instance = self._GetInstance()
        template = self.cfg.GetInstanceDiskTemplate(instance.uuid)
        if template == C.DT_DISKLESS:
            raise errors.OpPrereqError("Cannot export diskless instance %s"
                                       % instance.name, errors.ECODE_INVAL)
        iu.CheckNodeOnline(self, instance.primary_node)
        iu.CheckNodeOnline(self, self.op.target_node_uuid)
        iu.CheckNodeNotDrained(self, self.op.target_node_uuid)
        if self.op.compress != C.IEC_NONE and self.op.compress not in \
                (self.cfg.GetClusterInfo().compression_tools or []):
            raise errors.OpPrereqError("Compression tool not allowed, tools"
                                       " allowed are [%s]" % ", ".join(
                                           self.cfg.GetClusterInfo()
                                           .compression_tools or []),
                                       errors.ECODE_INVAL)

    def BuildHooksEnv(self):
        return self._Env(EXPORT_MODE=self.op.mode,
                         EXPORT_NODE=self.op.target_node,
                         EXPORT_DO_SHUTDOWN=self.op.shutdown,
                         REMOVE_INSTANCE=bool(self.op.remove_instance))

    def BuildHooksNodes(self):
        nodes = [self.cfg.GetMasterNode(), self.instance.primary_node,
                 self.op.target_node_uuid]
        return nodes, nodes

    def _Shutdown(self, feedback_fn) -> None:
        instance = self.instance
        pnode = instance.primary_node
        feedback_fn("Shutting down instance %s" % instance.name)
        result = self.rpc.call_instance_shutdown(pnode, instance,
                                                 self.op.shutdown_timeout,
                                                 self.op.reason)
        result.Raise("Could not shutdown instance %s on node %s"
                     % (instance.name, iu.NodeName(self.cfg, pnode)))

    def _ExportDisks(self, feedback_fn) -> List[bool]:
        instance = self.instance
        target = self.op.target_node_uuid
        new_dir = "%s/%s.new" % (pathutils.EXPORT_DIR, instance.name)
        results = []
        for idx, disk in enumerate(self.cfg.GetInstanceDisks(instance.uuid)):
            feedback_fn("Exporting disk/%d from %s to %s" % (
                idx, iu.NodeName(self.cfg, instance.primary_node),
                self.op.target_node))
            error = transfer.TransferData(
                self, "disk/%d" % idx, instance, "disk%d" % idx,
                instance.primary_node, (C.IEIO_SCRIPT, [(disk, instance), idx]),
                target, (C.IEIO_FILE, ["%s/%s" % (new_dir, disk.uuid)]),
                transfer.Options("export-%s-%d" % (instance.uuid, idx),
                                 self.op.compress))
            if error:
                self.LogWarning("Export of disk/%d failed: %s", idx, error)
            results.append(error is None)
        return results

    def Exec(self, feedback_fn):
        instance = self.instance
        was_running = instance.admin_state == C.ADMINST_UP
        if self.op.shutdown and was_running:
            self._Shutdown(feedback_fn)
        disks = self.cfg.GetInstanceDisks(instance.uuid)
        activate = not instance.disks_active
        if activate:
            feedback_fn("Activating disks for %s" % instance.name)
            ok, _ = ist.AssembleInstanceDisks(self, instance,
                                              ignore_secondaries=True)
            if not ok:
                ist.ShutdownInstanceDisks(self, instance)
                raise errors.OpExecError("Cannot activate disks for instance"
                                         " %s" % instance.name)
        try:
            dresults = self._ExportDisks(feedback_fn)
        finally:
            if activate:
                feedback_fn("Deactivating disks for %s" % instance.name)
                ist.ShutdownInstanceDisks(self, instance)
            if self.op.shutdown and was_running and \
                    not self.op.remove_instance:
                self._Restart(feedback_fn)
        target = self.op.target_node_uuid
        fin_resu = all(dresults)
        if fin_resu:
            feedback_fn("Finalizing export on %s" % self.op.target_node)
            result = self.rpc.call_finalize_export(target, instance, disks)
            if result.fail_msg:
                fin_resu = False
                self.LogWarning("Could not finalize export for instance %s"
                                " on node %s: %s", instance.name,
                                self.op.target_node, result.fail_msg)
        else:
            self.rpc.call_export_remove(target, "%s.new" % instance.name)
        if fin_resu:
            feedback_fn("Removing old exports for instance %s"
                        % instance.name)
            _RemoveExports(self, feedback_fn, instance.name, keep_node=target)
        if self.op.remove_instance and fin_resu:
            feedback_fn("Removing instance %s" % instance.name)
            RemoveInstance(self, feedback_fn, instance,
                           self.op.ignore_remove_failures)
        return fin_resu, dresults

    def _Restart(self, feedback_fn) -> None:
        instance = self.cfg.GetInstanceInfo(self.instance.uuid)
        feedback_fn("Starting instance %s" % instance.name)
        ok, _ = ist.AssembleInstanceDisks(self, instance,
                                          ignore_secondaries=True)
        if not ok:
            ist.ShutdownInstanceDisks(self, instance)
            raise errors.OpExecError("Can't activate the instance's disks")
        result = self.rpc.call_instance_start(instance.primary_node,
                                              (instance, None, None), False,
                                              self.op.reason)
        if result.fail_msg:
            ist.ShutdownInstanceDisks(self, instance)
            raise errors.OpExecError("Could not start instance: %s"
                                     % result.fail_msg)


class LUBackupRemove(NoHooksLU):
    """Remove every export of an instance (which may be gone already)."""
    REQ_BGL = False

    def ExpandNames(self) -> None:
        self.needed_locks = {}
        self._LockAll(locking.LEVEL_NODE)

    def Exec(self, feedback_fn):
        try:
            uuid, _ = iu.ExpandInstanceUuidAndName(
                self.cfg, self.op.instance_uuid, self.op.instance_name)
            instance = self.cfg.GetInstanceInfo(uuid)
        except errors.OpPrereqError:
            instance = None
        name = instance.name if instance is not None else \
            self.op.instance_name
        found = _RemoveExports(self, feedback_fn, name)
        if not found and instance is None and "." not in name:
            feedback_fn("Export not found. If trying to remove an export"
                        " belonging to a deleted instance please use its"
                        " Fully Qualified Domain Name.")
        return None
