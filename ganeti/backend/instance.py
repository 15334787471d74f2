"""Node-side work of the instance RPC calls (start, stop, info, migration...).

Each public function implements one node RPC call (``RPC_CALLS`` maps call
names to them; ganeti-noded serves that table).  Instances arrive as dicts
(INST_DICT: filled hvparams/beparams, NICs with filled nicparams,
``disks_info``); the hypervisor layer (ganeti.hypervisor) does the work.
Failures are raised as backend.RPCFail with upstream's messages.

Disks: before a start (or a migration target's accept) every disk is found
through ganeti.storage, opened, and linked as
``<DISK_LINKS_DIR>/<instance>:<index>``; the hypervisor uses those links.
"""

import json
import logging
import os
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import hypervisor
from ganeti import objects
from ganeti import pathutils
from ganeti.backend import RPCFail, _Fail
from ganeti.hypervisor import hv_base
from ganeti.storage import base as storage_base
from ganeti.utils import io as utils_io

DISK_SEPARATOR = ":"

# Poll interval while waiting for a soft shutdown.
_SHUTDOWN_POLL = 0.2


# ------------------------------------------------------------------ helpers

def _Hv(name: str) -> hv_base.BaseHypervisor:
    try:
        return hypervisor.GetHypervisor(name)
    except errors.HypervisorError as err:
        _Fail("%s", err)
    raise AssertionError


def _Instance(idict: Any) -> objects.Instance:
    """objects.Instance from its RPC dict (disks_info is read separately)."""
    if isinstance(idict, objects.Instance):
        return idict
    if not isinstance(idict, dict) or not idict.get("name"):
        _Fail("Invalid instance description %r", idict)
    return objects.Instance.FromDict(idict)


def _DisksInfo(idict: Any) -> List[Dict[str, Any]]:
    """The instance's disk dicts (``disks_info``, filled parameters)."""
    if not isinstance(idict, dict):
        return []
    return [d.ToDict() if hasattr(d, "ToDict") else d
            for d in idict.get("disks_info") or []]


def _StoreReasonTrail(instance_name: str, reason: Any, action: str) -> None:
    """Remember why the instance last changed state (instance-reason dir):
    the trail received, ending, as upstream's, with the node daemon's own
    entry ["gnt:daemon:noded:<action>", "", <epoch ns>]."""
    if reason is None:
        return
    trail = list(reason) + [["%s:%s" % (constants.OPCODE_REASON_SRC_NODED,
                                        action), "", time.time_ns()]]
    try:
        os.makedirs(pathutils.INSTANCE_REASON_DIR, mode=0o755, exist_ok=True)
        utils_io.WriteFile(os.path.join(pathutils.INSTANCE_REASON_DIR,
                                        instance_name),
                           data=json.dumps(trail))
    except OSError as err:
        logging.warning("Can't store the reason trail of %s: %s",
                        instance_name, err)


def _RunningOn(hv: hv_base.BaseHypervisor, instance: objects.Instance
               ) -> bool:
    return instance.name in hv.ListInstances(hvparams=instance.hvparams)


# ------------------------------------------------------------- block devices
# Finding devices and their links are backend_blockdev's (imported on use:
# diskless instances never need the storage layer).

def _FindDevice(disk: Any) -> Any:
    """The storage layer's BlockDev for a NodeDisk (children first)."""
    from ganeti import storage
    children = [_FindDevice(child) for child in disk.children]
    return storage.FindDevice(disk, children)


def DiskLinkName(instance_name: str, idx: int) -> str:
    """<DISK_LINKS_DIR>/<instance>:<idx>."""
    return os.path.join(pathutils.DISK_LINKS_DIR, "%s%s%d"
                        % (instance_name, DISK_SEPARATOR, idx))


def _GatherAndLinkBlockDevs(instance: objects.Instance,
                            disks: Sequence[Dict[str, Any]]
                            ) -> List[Tuple[Dict[str, Any], str,
                                            Optional[str]]]:
    """[(disk dict, link, userspace uri or None)] for the hypervisor."""
    if not disks:
        return []
    from ganeti.backend import blockdev as backend_blockdev
    result = []
    for idx, ddict in enumerate(disks):
        disk = backend_blockdev.ToNodeDisk(ddict)
        what = disk.iv_name or "disk/%d" % idx
        try:
            device = _FindDevice(disk)
        except errors.GenericError as err:
            raise errors.BlockDeviceError("Cannot access block device %s: %s"
                                          % (what, err))
        if device is None or not device.dev_path:
            raise errors.BlockDeviceError("Block device '%s' is not set up."
                                          % what)
        device.Open()
        link = backend_blockdev.SymlinkBlockDev(instance.name,
                                                device.dev_path, idx)
        uri = None
        if (disk.params or {}).get("access") == storage_base.DISK_USERSPACE:
            uri = device.GetUserspaceAccessUri(instance.hypervisor)
        result.append((dict(ddict), link, uri))
    return result


def _RemoveBlockDevLinks(instance_name: str, count: int) -> None:
    for idx in range(count):
        link = DiskLinkName(instance_name, idx)
        if os.path.islink(link):
            try:
                os.unlink(link)
            except OSError as err:
                logging.warning("Can't remove disk link %s: %s", link, err)


# --------------------------------------------------------------- lifecycle

def StartInstance(instance: Any, startup_paused: bool, reason: Any,
                  store_reason: bool = True) -> None:
    """``instance_start``: link the disks and start the instance."""
    disks = _DisksInfo(instance)
    inst = _Instance(instance)
    hv = _Hv(inst.hypervisor)
    if _RunningOn(hv, inst):
        logging.info("Instance %s already running, not starting", inst.name)
        return
    try:
        block_devices = _GatherAndLinkBlockDevs(inst, disks)
        hv.StartInstance(inst, block_devices, bool(startup_paused))
    except (errors.BlockDeviceError, OSError) as err:
        _RemoveBlockDevLinks(inst.name, len(disks))
        _Fail("Block device error: %s", err, exc=True)
    except errors.HypervisorError as err:
        _RemoveBlockDevLinks(inst.name, len(disks))
        _Fail("Hypervisor error: %s", err, exc=True)
    if store_reason:
        _StoreReasonTrail(inst.name, reason, "start")


def _WaitStopped(hv: hv_base.BaseHypervisor, inst: objects.Instance,
                 deadline: float) -> bool:
    while _RunningOn(hv, inst):
        if time.monotonic() >= deadline:
            return False
        time.sleep(_SHUTDOWN_POLL)
    return True


def InstanceShutdown(instance: Any, timeout: Any, reason: Any,
                     store_reason: bool = True) -> None:
    """``instance_shutdown``: soft stop, forced after timeout seconds."""
    disks = _DisksInfo(instance)
    inst = _Instance(instance)
    hv = _Hv(inst.hypervisor)
    if not _RunningOn(hv, inst):
        logging.info("Instance %s not running, doing nothing", inst.name)
    else:
        timeout = max(0.0, float(timeout or 0))
        deadline = time.monotonic() + timeout
        try:
            hv.StopInstance(inst, retry=False, timeout=timeout)
        except errors.HypervisorError as err:
            logging.warning("Soft shutdown of %s failed: %s", inst.name, err)
        if not _WaitStopped(hv, inst, deadline):
            logging.warning("Instance %s did not shut down in %.1fs, destroying",
                            inst.name, timeout)
            try:
                hv.StopInstance(inst, force=True)
            except errors.HypervisorError as err:
                _Fail("Failed to force stop instance %s: %s", inst.name, err)
            if not _WaitStopped(hv, inst, time.monotonic() + 10):
                _Fail("Could not shutdown instance %s even by destroy",
                      inst.name)
    try:
        hv.CleanupInstance(inst.name)
    except errors.HypervisorError as err:
        logging.warning("Failed to clean up after %s: %s", inst.name, err)
    _RemoveBlockDevLinks(inst.name, len(disks))
    if store_reason:
        _StoreReasonTrail(inst.name, reason, "shutdown")


def InstanceReboot(instance: Any, reboot_type: str, shutdown_timeout: Any,
                   reason: Any) -> None:
    """``instance_reboot``: soft (hypervisor reboot) or hard (stop+start)."""
    inst = _Instance(instance)
    hv = _Hv(inst.hypervisor)
    if not _RunningOn(hv, inst):
        _Fail("Cannot reboot instance %s that is not running", inst.name)
    if reboot_type == constants.INSTANCE_REBOOT_SOFT:
        try:
            hv.RebootInstance(inst)
        except errors.HypervisorError as err:
            _Fail("Failed to soft reboot instance '%s': %s", inst.name, err)
    elif reboot_type == constants.INSTANCE_REBOOT_HARD:
        try:
            InstanceShutdown(instance, shutdown_timeout, reason,
                             store_reason=False)
            StartInstance(instance, False, reason, store_reason=False)
        except RPCFail as err:
            _Fail("Failed to hard reboot instance '%s': %s", inst.name, err)
    else:
        _Fail("Invalid reboot_type received: '%s'", reboot_type)
    _StoreReasonTrail(inst.name, reason, "reboot")


# ------------------------------------------------------------- information

def _HvParamsFor(all_hvparams: Any, name: str) -> Optional[Dict[str, Any]]:
    if isinstance(all_hvparams, dict):
        return all_hvparams.get(name)
    return None


def GetInstanceList(hypervisor_list: Sequence[str], all_hvparams: Any
                    ) -> List[str]:
    """``instance_list``: names of the instances running on this node."""
    result: List[str] = []
    for name in hypervisor_list or []:
        hv = _Hv(name)
        try:
            result.extend(hv.ListInstances(
                hvparams=_HvParamsFor(all_hvparams, name)))
        except errors.HypervisorError as err:
            _Fail("Error enumerating instances (hypervisor %s): %s", name, err,
                  exc=True)
    return result


def _InfoDict(info: Sequence) -> Dict[str, Any]:
    return {"memory": info[2], "vcpus": info[3], "state": info[4],
            "time": info[5]}


def GetInstanceInfo(instance: str, hname: str, hvparams: Any
                    ) -> Dict[str, Any]:
    """``instance_info``: {memory, vcpus, state, time}, {} if not running."""
    try:
        info = _Hv(hname).GetInstanceInfo(instance, hvparams=hvparams)
    except errors.HypervisorError as err:
        _Fail("Error getting information about instance %s: %s", instance,
              err)
    return _InfoDict(info) if info is not None else {}


def GetAllInstancesInfo(hypervisor_list: Sequence[str], all_hvparams: Any
                        ) -> Dict[str, Dict[str, Any]]:
    """``all_instances_info``: name -> {memory, vcpus, state, time}."""
    output: Dict[str, Dict[str, Any]] = {}
    for name in hypervisor_list or []:
        try:
            infos = _Hv(name).GetAllInstancesInfo(
                hvparams=_HvParamsFor(all_hvparams, name))
        except errors.HypervisorError as err:
            _Fail("Error getting information about instances (hypervisor"
                  " %s): %s", name, err)
        for info in infos or []:
            value = _InfoDict(info)
            previous = output.get(info[0])
            if previous is not None and \
                    any(previous[k] != value[k] for k in ("memory", "vcpus")):
                _Fail("Instance %s is running twice with different"
                      " parameters", info[0])
            output[info[0]] = value
    return output


def GetInstanceConsoleInfo(instance_param_dict: Dict[str, Any]
                           ) -> Dict[str, Any]:
    """``instance_console_info``: name -> console dict."""
    output = {}
    for name, params in (instance_param_dict or {}).items():
        inst = _Instance(params["instance"])
        node = objects.Node.FromDict(params.get("node")) \
            if isinstance(params.get("node"), dict) else params.get("node")
        group = objects.NodeGroup.FromDict(params.get("group")) \
            if isinstance(params.get("group"), dict) else params.get("group")
        hvparams = params.get("hvParams", params.get("hvparams")) or {}
        beparams = params.get("beParams", params.get("beparams")) or {}
        cls = hypervisor.GetHypervisorClass(inst.hypervisor)
        output[name] = cls.GetInstanceConsole(inst, node, group, hvparams,
                                              beparams)
    return output


# The metadata daemon's socket speaks LUXI framing; its configuration update
# method, and how long noded waits for it (connect, read/write).
_METAD_UPDATE_CONFIG = "UpdateConfig"
_METAD_TIMEOUTS = (5.0, 30.0)


def _MetadSocket() -> str:
    return os.path.join(pathutils.SOCKET_DIR, constants.METAD)


def ModifyInstanceMetadata(instance: Any) -> None:
    """``instance_metadata_modify``: hand an instance's data (its config
    dict with its OS parameters, private and secret ones included) to the
    node's metadata daemon, which serves it to the instance's OS install.

    Without a metadata daemon on this node (its socket absent) there is
    nothing to update and the call succeeds, as upstream's does.
    """
    if not isinstance(instance, dict) or not instance.get("name"):
        _Fail("Invalid instance data for instance_metadata_modify")
    address = _MetadSocket()
    if not os.path.exists(address):
        logging.debug("No metadata daemon here, metadata of %s not sent",
                      instance["name"])
        return None
    from ganeti import luxi  # pylint: disable=import-outside-toplevel
    try:
        transport = luxi.Transport(address, timeouts=_METAD_TIMEOUTS)
        try:
            raw = transport.Call(luxi.FormatRequest(_METAD_UPDATE_CONFIG,
                                                    [instance]))
        finally:
            transport.Close()
        luxi.CheckResponse(*luxi.ParseResponse(raw))
    except (errors.GenericError, OSError) as err:
        _Fail("Failed to modify instance metadata: %s", err)
    return None


def ValidateHVParams(hvname: str, hvparams: Dict[str, Any]) -> None:
    """``hypervisor_validate_params``: node-side parameter checks."""
    try:
        hypervisor.GetHypervisorClass(hvname).ValidateParameters(hvparams)
    except errors.HypervisorError as err:
        _Fail("%s", err, log=False)


def InstanceBalloonMemory(instance: Any, memory: int) -> None:
    """``instance_balloon_memory``: change a running instance's memory."""
    inst = _Instance(instance)
    hv = _Hv(inst.hypervisor)
    if not _RunningOn(hv, inst):
        logging.info("Instance %s is not running, cannot balloon", inst.name)
        return
    try:
        hv.BalloonInstanceMemory(inst, int(memory))
    except errors.HypervisorError as err:
        _Fail("Failed to balloon instance memory: %s", err, exc=True)


def ResizeDisk(instance: Any, disk: Any, new_size: int) -> None:
    """``resize_disk``: tell the running instance's hypervisor that a disk
    grew to new_size MiB (grow-disk of a running instance)."""
    inst = _Instance(instance)
    if not isinstance(disk, dict) and not hasattr(disk, "ToDict"):
        _Fail("Invalid disk description %r", disk)
    try:
        _Hv(inst.hypervisor).ResizeDisk(inst, disk, int(new_size))
    except errors.HypervisorError as err:
        _Fail("Failed to resize disk: %s", err)


# ------------------------------------------------------------- migration

def GetInstanceMigratable(instance: Any) -> None:
    """``instance_migratable``: the instance runs here and has its disks."""
    disks = _DisksInfo(instance)
    inst = _Instance(instance)
    if not _RunningOn(_Hv(inst.hypervisor), inst):
        _Fail("Instance %s is not running", inst.name)
    for idx in range(len(disks)):
        link = DiskLinkName(inst.name, idx)
        if not os.path.islink(link):
            logging.warning("Instance %s is missing symlink %s for disk %d",
                            inst.name, link, idx)


def MigrationInfo(instance: Any) -> Any:
    """``migration_info``: what the target needs to accept the instance."""
    inst = _Instance(instance)
    try:
        return _Hv(inst.hypervisor).MigrationInfo(inst)
    except errors.HypervisorError as err:
        _Fail("Failed to fetch migration information: %s", err, exc=True)


def AcceptInstance(instance: Any, info: Any, target: str) -> None:
    """``accept_instance``: prepare this node to receive the instance."""
    disks = _DisksInfo(instance)
    inst = _Instance(instance)
    try:
        _GatherAndLinkBlockDevs(inst, disks)
        _Hv(inst.hypervisor).AcceptInstance(inst, info, target)
    except errors.GenericError as err:
        _RemoveBlockDevLinks(inst.name, len(disks))
        _Fail("Failed to accept instance: %s", err, exc=True)


def FinalizeMigrationDst(instance: Any, info: Any, success: bool) -> None:
    """``instance_finalize_migration_dst``."""
    inst = _Instance(instance)
    try:
        _Hv(inst.hypervisor).FinalizeMigrationDst(inst, info, bool(success))
    except errors.HypervisorError as err:
        _Fail("Failed to finalize migration on the target node: %s", err,
              exc=True)


def MigrateInstance(cluster_name: str, instance: Any, target: str,
                    live: bool) -> None:
    """``instance_migrate``: start sending the instance to target."""
    inst = _Instance(instance)
    try:
        _Hv(inst.hypervisor).MigrateInstance(cluster_name, inst, target,
                                             bool(live))
    except errors.HypervisorError as err:
        _Fail("Failed to migrate instance: %s", err, exc=True)


def FinalizeMigrationSource(instance: Any, success: bool, live: bool) -> None:
    """``instance_finalize_migration_src``."""
    inst = _Instance(instance)
    try:
        _Hv(inst.hypervisor).FinalizeMigrationSource(inst, bool(success),
                                                     bool(live))
    except errors.HypervisorError as err:
        _Fail("Failed to finalize the migration on the source node: %s", err,
              exc=True)


def GetMigrationStatus(instance: Any) -> Dict[str, Any]:
    """``instance_get_migration_status``: a MigrationStatus dict."""
    inst = _Instance(instance)
    try:
        return _Hv(inst.hypervisor).GetMigrationStatus(inst)
    except errors.HypervisorError as err:
        _Fail("Failed to get migration status: %s", err, exc=True)
    raise AssertionError


# ------------------------------------------------------------- hotplug

def HotplugSupported(instance: Any) -> None:
    """``hotplug_supported``: fail unless hot-plugging works here."""
    inst = _Instance(instance)
    try:
        _Hv(inst.hypervisor).HotplugSupported(inst)
    except errors.HotplugError as err:
        _Fail("Hotplug is not supported: %s", err)


def HotplugDevice(instance: Any, action: str, dev_type: str, device: Any,
                  extra: Any, seq: int) -> Any:
    """``hotplug_device``: add, remove or modify a NIC or disk."""
    inst = _Instance(instance)
    hv = _Hv(inst.hypervisor)
    if dev_type == constants.HOTPLUG_TARGET_NIC:
        dev = objects.NIC.FromDict(device) if isinstance(device, dict) \
            else device
    elif dev_type == constants.HOTPLUG_TARGET_DISK:
        dev = objects.Disk.FromDict(device) if isinstance(device, dict) \
            else device
    else:
        _Fail("Device type %s is not supported for hotplug", dev_type)
    actions: Dict[str, Callable[..., Any]] = {
        constants.HOTPLUG_ACTION_ADD: hv.HotAddDevice,
        constants.HOTPLUG_ACTION_REMOVE: hv.HotDelDevice,
        constants.HOTPLUG_ACTION_MODIFY: hv.HotModDevice,
    }
    fn = actions.get(action)
    if fn is None:
        _Fail("Hotplug action %s is not supported", action)
    try:
        hv.VerifyHotplugSupport(inst, action, dev_type)
        return fn(inst, dev_type, dev, extra, seq)
    except errors.HypervisorError as err:
        _Fail("Hotplug failed: %s", err)


# The instance calls served by ganeti-noded: call name -> function.
# (instance_console_info is called by upstream's Haskell daemons only: it is
# not in rpc.defs, and its body is the dict argument itself, not a list.)
RPC_CALLS: Dict[str, Callable[..., Any]] = {
    "instance_console_info": GetInstanceConsoleInfo,
    "instance_metadata_modify": ModifyInstanceMetadata,
    "instance_start": StartInstance,
    "instance_shutdown": InstanceShutdown,
    "instance_reboot": InstanceReboot,
    "instance_list": GetInstanceList,
    "instance_info": GetInstanceInfo,
    "all_instances_info": GetAllInstancesInfo,
    "instance_balloon_memory": InstanceBalloonMemory,
    "resize_disk": ResizeDisk,
    "instance_migratable": GetInstanceMigratable,
    "migration_info": MigrationInfo,
    "accept_instance": AcceptInstance,
    "instance_finalize_migration_dst": FinalizeMigrationDst,
    "instance_migrate": MigrateInstance,
    "instance_finalize_migration_src": FinalizeMigrationSource,
    "instance_get_migration_status": GetMigrationStatus,
    "hotplug_supported": HotplugSupported,
    "hotplug_device": HotplugDevice,
    "hypervisor_validate_params": ValidateHVParams,
}
