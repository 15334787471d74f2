"""The steps of burnin (see ganeti.tools.burnin for the machinery).

Each Burn* method logs its step and queues (or runs) one job per instance;
SelectSteps decides which ones run for the options, the disk template, the
node count and the hypervisor, and which are skipped with a message.
"""

import itertools
import random
import string
import time
import urllib.error
import urllib.request
from typing import Any, Callable, List, Optional, Tuple

from ganeti import constants as C
from ganeti import errors
from ganeti import opcodes
from ganeti import pathutils
from ganeti.tools.burnin import (BurnerBase, BurninFailure, Log,
                                 GROWABLE_TEMPLATES, IMPEXP_TEMPLATES,
                                 INT_MIRROR_TEMPLATES, MIRRORED_TEMPLATES,
                                 MOVABLE_TEMPLATES, SINGLE_NODE_DISK_TEMPLATES,
                                 BurninUsageError, _OneLine)

# Disk parameter names of the opcodes (upstream's IDISK_*).
IDISK_SIZE = "size"
IDISK_NAME = "name"
# (method name, retry the step's jobs) in the order burnin runs them.
Step = Tuple[str, bool]


def SelectSteps(opts: Any, node_count: int, hv_can_migrate: bool,
                hypervisor: str, nic_mode: Optional[str]
                ) -> List[Tuple[Optional[Step], Optional[str]]]:
    """[(step, None) or (None, skip message)] between create and remove."""
    template = opts.disk_template
    steps: List[Tuple[Optional[Step], Optional[str]]] = []

    def add(cond: bool, name: str, retry: bool = False) -> None:
        if cond:
            steps.append(((name, retry), None))

    add(opts.do_startstop, "BurnStopStart", True)
    add(opts.minmem_size < opts.maxmem_size, "BurnModifyRuntimeMemory")
    add(opts.do_replace1 and template in INT_MIRROR_TEMPLATES,
        "BurnReplaceDisks1D8")
    add(opts.do_replace2 and template in INT_MIRROR_TEMPLATES and
        (node_count > 2 or bool(opts.iallocator)), "BurnReplaceDisks2")
    add(template in GROWABLE_TEMPLATES and
        any(g > 0 for g in opts.disk_growth), "BurnGrowDisks")
    add(opts.do_failover and template in MIRRORED_TEMPLATES, "BurnFailover")
    if opts.do_migrate:
        if template not in MIRRORED_TEMPLATES:
            steps.append((None, "Skipping migration (disk template %s does"
                          " not support it)" % template))
        elif not hv_can_migrate:
            steps.append((None, "Skipping migration (hypervisor %s does not"
                          " support it)" % hypervisor))
        else:
            add(True, "BurnMigrate")
    add(opts.do_move and node_count > 1 and not opts.iallocator and
        template in MOVABLE_TEMPLATES, "BurnMove")
    add(opts.do_importexport and template in IMPEXP_TEMPLATES,
        "BurnImportExport")
    add(opts.do_reinstall, "BurnReinstall", True)
    add(opts.do_reboot, "BurnReboot", True)
    add(opts.do_renamesame, "BurnRenameSame")
    add(opts.do_confd_tests, "BurnConfd")
    add(opts.do_addremove_nics and nic_mode == C.NIC_MODE_BRIDGED,
        "BurnAddRemoveNICs")
    add(opts.do_activate_disks, "BurnActivateDisks", True)
    add(opts.do_addremove_disks, "BurnAddRemoveDisks")
    add(bool(opts.rename), "BurnRename")
    return steps


def _DiskName() -> str:
    return "".join(random.choice(string.ascii_uppercase + string.digits)
                   for _ in range(8))


class Burner(BurnerBase):
    """burnin's run: create, the selected steps, remove."""

    def __init__(self, options: Any, instances: List[str],
                 cl: Any = None,
                 urlopen: Callable[..., Any] = urllib.request.urlopen
                 ) -> None:
        super().__init__(options, instances, cl=cl)
        self.urlopen = urlopen
        self.disk_names: dict = {}

    # -- helpers ------------------------------------------------------------

    def _Rotations(self, offset: int):
        """(instance, node) pairs, the node offset places further on."""
        return zip(self.instances,
                   itertools.islice(itertools.cycle(self.nodes), offset,
                                    None))

    def _Placement(self, pnode: str, snode: str
                   ) -> Tuple[Optional[str], Optional[str], str]:
        if self.opts.iallocator:
            return None, None, "with iallocator %s" % self.opts.iallocator
        if self.opts.disk_template not in INT_MIRROR_TEMPLATES:
            return pnode, None, "on %s" % pnode
        return pnode, snode, "on %s, %s" % (pnode, snode)

    def _CreateOp(self, instance: str, pnode: Optional[str],
                  snode: Optional[str], **kwargs: Any) -> Any:
        return opcodes.OpInstanceCreate(
            instance_name=instance,
            disks=[{IDISK_SIZE: size} for size in self.opts.disk_size],
            disk_template=self.opts.disk_template, nics=self.opts.nics,
            os_type=self.opts.os, pnode=pnode, snode=snode, start=True,
            ip_check=self.opts.ip_check, name_check=self.opts.name_check,
            wait_for_sync=True, file_storage_dir=None,
            file_driver=("loop" if self.opts.disk_template in
                         (C.DT_FILE, C.DT_SHARED_FILE) else None),
            iallocator=self.opts.iallocator, beparams=dict(self.bep),
            hvparams=dict(self.hvp), hypervisor=self.hypervisor,
            osparams=dict(self.opts.osparams), **kwargs)

    @staticmethod
    def _Stop(instance: str) -> Any:
        return opcodes.OpInstanceShutdown(instance_name=instance)

    @staticmethod
    def _Start(instance: str) -> Any:
        return opcodes.OpInstanceStartup(instance_name=instance, force=False)

    def _Remember(self, instance: str) -> Callable[[], None]:
        return lambda: self.to_rem.append(instance)

    # -- HTTP check ---------------------------------------------------------

    def CheckInstanceAlive(self, instance: str) -> None:
        """With -C: the instance must serve its name as /hostname.txt
        within --net-timeout seconds."""
        if not self.opts.http_check:
            return
        url = "http://%s/hostname.txt" % instance
        deadline = time.monotonic() + self.opts.net_timeout
        while True:
            try:
                with self.urlopen(url, timeout=self.opts.net_timeout) as page:
                    hostname = page.read().decode("utf-8", "replace").strip()
                break
            except (OSError, urllib.error.URLError):
                if time.monotonic() >= deadline:
                    raise BurninFailure("Instance %s: cannot contact instance"
                                        % instance)
                time.sleep(1)
        if hostname != instance:
            raise BurninFailure("Instance %s: hostname mismatch, expected"
                                " %s, got %s" % (instance, instance,
                                                 hostname))

    def CheckInstances(self) -> None:
        if self.opts.http_check:
            for instance in self.instances:
                self.CheckInstanceAlive(instance)

    # -- steps --------------------------------------------------------------

    def BurnCreateInstances(self) -> None:
        Log("Creating instances")
        nodes = zip(itertools.cycle(self.nodes),
                    itertools.islice(itertools.cycle(self.nodes), 1, None))
        for instance, (pnode, snode) in zip(self.instances, nodes):
            Log("instance %s", instance, indent=1)
            pnode_, snode_, msg = self._Placement(pnode, snode)
            Log(msg, indent=2)
            self.ExecOrQueue(instance, [self._CreateOp(
                instance, pnode_, snode_, mode=C.INSTANCE_CREATE)],
                post_process=self._Remember(instance))

    def BurnStopStart(self) -> None:
        Log("Stopping and starting instances")
        for instance in self.instances:
            Log("instance %s", instance, indent=1)
            self.ExecOrQueue(instance, [self._Stop(instance),
                                        self._Start(instance)])

    def BurnModifyRuntimeMemory(self) -> None:
        Log("Setting instance runtime memory")
        for instance in self.instances:
            Log("instance %s", instance, indent=1)
            Log("set memory to %s MB", self.opts.minmem_size, indent=2)
            self.ExecOrQueue(instance, [opcodes.OpInstanceSetParams(
                instance_name=instance, runtime_mem=self.opts.minmem_size)])

    def BurnReplaceDisks1D8(self) -> None:
        Log("Replacing disks on the same nodes")
        disks = list(range(len(self.opts.disk_size)))
        for instance in self.instances:
            Log("instance %s", instance, indent=1)
            ops = []
            for mode in (C.REPLACE_DISK_SEC, C.REPLACE_DISK_PRI):
                Log("run %s", mode, indent=2)
                ops.append(opcodes.OpInstanceReplaceDisks(
                    instance_name=instance, mode=mode, disks=disks,
                    early_release=self.opts.early_release))
            self.ExecOrQueue(instance, ops)

    def BurnReplaceDisks2(self) -> None:
        Log("Changing the secondary node")
        for instance, tnode in self._Rotations(2):
            Log("instance %s", instance, indent=1)
            if self.opts.iallocator:
                tnode, msg = None, "with iallocator %s" % self.opts.iallocator
            else:
                msg = tnode
            Log("run %s %s", C.REPLACE_DISK_CHG, msg, indent=2)
            self.ExecOrQueue(instance, [opcodes.OpInstanceReplaceDisks(
                instance_name=instance, mode=C.REPLACE_DISK_CHG,
                remote_node=tnode, iallocator=self.opts.iallocator, disks=[],
                early_release=self.opts.early_release)])

    def BurnGrowDisks(self) -> None:
        Log("Growing disks")
        for instance in self.instances:
            Log("instance %s", instance, indent=1)
            for idx, growth in enumerate(self.opts.disk_growth):
                if growth > 0:
                    Log("increase disk/%s by %s MB", idx, growth, indent=2)
                    self.ExecOrQueue(instance, [opcodes.OpInstanceGrowDisk(
                        instance_name=instance, disk=idx, amount=growth,
                        wait_for_sync=True, ignore_ipolicy=True)])

    def BurnFailover(self) -> None:
        Log("Failing over instances")
        for instance in self.instances:
            Log("instance %s", instance, indent=1)
            self.ExecOrQueue(instance, [opcodes.OpInstanceFailover(
                instance_name=instance, ignore_consistency=False)])

    def BurnMigrate(self) -> None:
        Log("Migrating instances")
        for instance in self.instances:
            Log("instance %s", instance, indent=1)
            Log("migration and migration cleanup", indent=2)
            self.ExecOrQueue(instance, [
                opcodes.OpInstanceMigrate(instance_name=instance, mode=None,
                                          cleanup=False),
                opcodes.OpInstanceMigrate(instance_name=instance, mode=None,
                                          cleanup=True)])

    def BurnMove(self) -> None:
        Log("Moving instances")
        for instance, tnode in self._Rotations(1):
            Log("instance %s", instance, indent=1)
            self.ExecOrQueue(instance, [opcodes.OpInstanceMove(
                instance_name=instance, target_node=tnode)])

    def BurnImportExport(self) -> None:
        Log("Exporting and re-importing instances")
        places = zip(itertools.cycle(self.nodes),
                     itertools.islice(itertools.cycle(self.nodes), 1, None),
                     itertools.islice(itertools.cycle(self.nodes), 2, None))
        for instance, (pnode, snode, enode) in zip(self.instances, places):
            Log("instance %s", instance, indent=1)
            pnode_, snode_, where = self._Placement(pnode, snode)
            Log("export to node %s", enode, indent=2)
            Log("remove instance", indent=2)
            Log("import from %s %s", enode, where, indent=2)
            Log("remove export", indent=2)
            self.ExecOrQueue(instance, [
                opcodes.OpBackupExport(instance_name=instance,
                                       target_node=enode,
                                       mode=C.EXPORT_MODE_LOCAL,
                                       shutdown=True),
                opcodes.OpInstanceRemove(instance_name=instance,
                                         ignore_failures=True),
                self._CreateOp(instance, pnode_, snode_,
                               mode=C.INSTANCE_IMPORT, src_node=enode,
                               src_path="%s/%s" % (pathutils.EXPORT_DIR,
                                                   instance)),
                opcodes.OpBackupRemove(instance_name=instance)])

    def BurnReinstall(self) -> None:
        Log("Reinstalling instances")
        for instance in self.instances:
            Log("instance %s", instance, indent=1)
            Log("reinstall without passing the OS", indent=2)
            Log("reinstall specifying the OS", indent=2)
            self.ExecOrQueue(instance, [
                self._Stop(instance),
                opcodes.OpInstanceReinstall(instance_name=instance),
                opcodes.OpInstanceReinstall(instance_name=instance,
                                            os_type=self.opts.os),
                self._Start(instance)])

    def BurnReboot(self) -> None:
        Log("Rebooting instances")
        for instance in self.instances:
            Log("instance %s", instance, indent=1)
            ops = []
            for reboot_type in self.opts.reboot_types:
                Log("reboot with type '%s'", reboot_type, indent=2)
                ops.append(opcodes.OpInstanceReboot(
                    instance_name=instance, reboot_type=reboot_type,
                    ignore_secondaries=False))
            self.ExecOrQueue(instance, ops)

    def _RenameOp(self, instance: str, new_name: str) -> Any:
        return opcodes.OpInstanceRename(instance_name=instance,
                                        new_name=new_name,
                                        ip_check=self.opts.ip_check,
                                        name_check=self.opts.name_check)

    def BurnRenameSame(self) -> None:
        Log("Renaming the instances to their own name")
        for instance in self.instances:
            Log("instance %s", instance, indent=1)
            Log("rename to the same name", indent=2)
            self.ExecOrQueue(instance, [self._Stop(instance),
                                        self._RenameOp(instance, instance),
                                        self._Start(instance)])

    def BurnRename(self) -> None:
        """Rename each instance to --rename and back, one at a time."""
        Log("Renaming instances")
        rename = self.opts.rename
        for instance in self.instances:
            Log("instance %s", instance, indent=1)
            Log("rename to %s and back", rename, indent=2)
            self.ExecOp(False, self._Stop(instance),
                        self._RenameOp(instance, rename),
                        self._Start(rename))
            self.CheckInstanceAlive(rename)
            self.ExecOp(False, self._Stop(rename),
                        self._RenameOp(rename, instance),
                        self._Start(instance))

    def BurnConfd(self) -> None:
        """Ask confd for the master and its role."""
        from ganeti.confd import client as confd_client
        from ganeti.tools.confd_client import ConfdTester
        Log("Checking confd results")
        tester = ConfdTester(*confd_client.ReadClusterPeers())
        try:
            master = self.cluster_info["master"]
            for title, rtype, query, expected in (
                    ("Ping", C.CONFD_REQ_PING, None, None),
                    ("Master", C.CONFD_REQ_CLUSTER_MASTER, None, master),
                    ("Node role for master", C.CONFD_REQ_NODE_ROLE_BYNAME,
                     master, C.CONFD_NODE_ROLE_MASTER)):
                reply = tester.Ask(rtype, query)
                if reply is None:
                    raise BurninFailure("Confd %s: no answer" % title)
                if reply.status != C.CONFD_REPL_STATUS_OK or \
                        (expected is not None and reply.answer != expected):
                    raise BurninFailure("Confd %s: wrong answer %r"
                                        % (title, reply.answer))
                Log("%s: OK", title, indent=1)
        finally:
            tester.client.Close()

    def BurnAddRemoveNICs(self) -> None:
        Log("Adding and removing NICs")
        for instance in self.instances:
            Log("instance %s", instance, indent=1)
            Log("adding a NIC", indent=2)
            Log("changing a NIC", indent=2)
            Log("removing last NIC", indent=2)
            self.ExecOrQueue(instance, [
                opcodes.OpInstanceSetParams(instance_name=instance,
                                            nics=[(C.DDM_ADD, {})]),
                opcodes.OpInstanceSetParams(
                    instance_name=instance,
                    nics=[(C.DDM_MODIFY, -1, {C.INIC_MAC: "generate"})]),
                opcodes.OpInstanceSetParams(instance_name=instance,
                                            nics=[(C.DDM_REMOVE, {})])])

    def BurnActivateDisks(self) -> None:
        Log("Activating/deactivating disks")
        for instance in self.instances:
            Log("instance %s", instance, indent=1)
            activate = opcodes.OpInstanceActivateDisks(instance_name=instance)
            Log("activate disks when online", indent=2)
            Log("activate disks when offline", indent=2)
            Log("deactivate disks (when offline)", indent=2)
            self.ExecOrQueue(instance, [
                activate, self._Stop(instance),
                opcodes.OpInstanceActivateDisks(instance_name=instance),
                opcodes.OpInstanceDeactivateDisks(instance_name=instance),
                self._Start(instance)])

    def _DiskMod(self, instance: str, mods: list) -> Any:
        return opcodes.OpInstanceSetParams(instance_name=instance,
                                           disks=mods)

    def BurnAddRemoveDisks(self) -> None:
        """Add a disk and detach it, then attach and remove it; where the
        master cannot detach disks, add one and remove it."""
        why = self.Unsupported(self._DiskMod(self.instances[0],
                                             [(C.DDM_DETACH, {})]))
        if why is not None:
            Log("Skipping disk detach/attach (%s)", why)
            self.RunStep(self._BurnAddRemoveDisksOnly)
            return
        self.RunStep(self._BurnAddDetachDisks)
        self.RunStep(self._BurnAttachRemoveDisks)

    def _BurnAddRemoveDisksOnly(self) -> None:
        Log("Adding and removing disks")
        for instance in self.instances:
            Log("instance %s", instance, indent=1)
            Log("adding a disk", indent=2)
            Log("removing last disk", indent=2)
            self.ExecOrQueue(instance, [
                self._DiskMod(instance, [(C.DDM_ADD, {
                    IDISK_SIZE: self.opts.disk_size[0]})]),
                self._Stop(instance),
                self._DiskMod(instance, [(C.DDM_REMOVE, {})]),
                self._Start(instance)])

    def _BurnAddDetachDisks(self) -> None:
        Log("Adding and detaching disks")
        for instance in self.instances:
            name = self.disk_names[instance] = _DiskName()
            Log("instance %s", instance, indent=1)
            Log("adding a disk with name %s", name, indent=2)
            Log("detaching last disk", indent=2)
            self.ExecOrQueue(instance, [
                self._DiskMod(instance, [(C.DDM_ADD, {
                    IDISK_SIZE: self.opts.disk_size[0],
                    IDISK_NAME: name})]),
                self._DiskMod(instance, [(C.DDM_DETACH, {})])])

    def _BurnAttachRemoveDisks(self) -> None:
        Log("Attaching and removing disks")
        for instance in self.instances:
            name = self.disk_names[instance]
            Log("instance %s", instance, indent=1)
            Log("attaching a disk with name %s", name, indent=2)
            Log("removing last disk", indent=2)
            self.ExecOrQueue(instance, [
                self._DiskMod(instance, [(C.DDM_ATTACH,
                                          {IDISK_NAME: name})]),
                self._Stop(instance),
                self._DiskMod(instance, [(C.DDM_REMOVE, {})]),
                self._Start(instance)])

    def BurnRemove(self) -> None:
        Log("Removing instances")
        for instance in self.to_rem:
            Log("instance %s", instance, indent=1)
            self.ExecOrQueue(instance, [opcodes.OpInstanceRemove(
                instance_name=instance, ignore_failures=True)])

    # -- the run ------------------------------------------------------------

    _PROBES = {
        "BurnReplaceDisks1D8": "disk replacement",
        "BurnReplaceDisks2": "disk replacement",
        "BurnImportExport": "export/import",
    }

    def _ProbeOp(self, step: str) -> Any:
        instance = self.instances[0]
        if step == "BurnImportExport":
            return opcodes.OpBackupExport(instance_name=instance,
                                          target_node=self.nodes[0],
                                          mode=C.EXPORT_MODE_LOCAL)
        return opcodes.OpInstanceReplaceDisks(instance_name=instance,
                                              mode=C.REPLACE_DISK_AUTO,
                                              disks=[])

    def _RunSelected(self, step: str, retry: bool) -> None:
        if step in self._PROBES:
            why = self.Unsupported(self._ProbeOp(step))
            if why is not None:
                Log("Skipping %s (%s)", self._PROBES[step], why)
                return
        if step in ("BurnAddRemoveDisks", "BurnRename"):
            getattr(self, step)()
        else:
            self.RunStep(getattr(self, step), retry=retry)
        if step not in ("BurnConfd", "BurnActivateDisks",
                        "BurnModifyRuntimeMemory", "BurnGrowDisks"):
            self.CheckInstances()

    def BurninCluster(self) -> int:
        """Create, exercise and remove the instances; the exit code."""
        Log("Testing global parameters")
        if len(self.nodes) == 1 and \
                self.opts.disk_template not in SINGLE_NODE_DISK_TEMPLATES:
            raise BurninUsageError(
                "When one node is available/selected the disk template must"
                " be one of %s" % ", ".join(SINGLE_NODE_DISK_TEMPLATES))
        steps = SelectSteps(self.opts, len(self.nodes), self.hv_can_migrate,
                            self.hypervisor or "", self.DefaultNicMode())
        failure: Optional[BaseException] = None
        try:
            self.RunStep(self.BurnCreateInstances)
            self.CheckInstances()
            for step, skip in steps:
                if step is None:
                    Log(skip or "")
                else:
                    self._RunSelected(*step)
        except (errors.GenericError, BurninFailure, OSError) as err:
            failure = err
            Log("Error detected: opcode buffer follows:\n\n")
            Log(self.FeedbackBuffer())
            Log("\n\n")
        if not self.opts.keep_instances:
            try:
                self.RunStep(self.BurnRemove)
            except (errors.GenericError, BurninFailure) as err:
                if failure is None:
                    failure = err
                else:
                    Log("Note: error detected during instance remove: %s",
                        _OneLine(err))
        if failure is not None:
            raise BurninFailure(_OneLine(failure))
        return C.EXIT_SUCCESS
