"""Hot-plugging NICs and disks into running KVM instances (through QMP).

Added devices get a free PCI slot on pci.0 (above kvm_pci_reservations)
and the same ``hvinfo``/device ids as at start; the runtime file is updated
so that reboots and migrations keep them.  Removal waits (bounded) until
the guest released the device.
"""

import os
import time
from typing import Any, Dict, List, Optional, Tuple

from ganeti import errors
from ganeti import objects
from ganeti.constants import (HOTPLUG_ACTION_ADD, HOTPLUG_ACTION_REMOVE,
                              HOTPLUG_TARGET_DISK, HOTPLUG_TARGET_NIC)
from ganeti.hypervisor import hv_kvm_cmdline as cmdline
from ganeti.hypervisor import hv_kvm_netdev as netdev
from ganeti.hypervisor import hv_kvm_qmp as qmp
from ganeti.hypervisor.hv_kvm_runtime import InstancePid, KvmRuntime
from ganeti.utils import process as utils_process

_UNPLUG_TIMEOUT = 10.0
_QMP_TIMEOUT = 10.0


def _ToDict(obj: Any) -> Dict[str, Any]:
    if obj is None:
        return {}
    return dict(obj) if isinstance(obj, dict) else obj.ToDict()


def _UsedSlots(runtime: KvmRuntime) -> List[int]:
    used = []
    for ddict in [entry[0] for entry in runtime.disks] + runtime.nics:
        addr = (ddict.get("hvinfo") or {}).get("addr")
        if addr is not None:
            used.append(int(str(addr), 0))
    return used


class KvmHotplugMixin:
    """HotplugSupported / HotAddDevice / HotDelDevice / HotModDevice."""

    def _HotplugContext(self, instance: Any
                        ) -> Tuple[Any, KvmRuntime, Any]:
        paths = self._Paths(instance.name)  # type: ignore[attr-defined]
        if not InstancePid(paths)[1]:
            raise errors.HotplugError("Instance %s is not running"
                                      % instance.name)
        runtime = KvmRuntime.Load(paths)
        features, _ = self._Features(  # type: ignore[attr-defined]
            str(runtime.cmd[0]))
        if not (features.Has("-device") and features.Has("-qmp")):
            raise errors.HotplugError("Hotplug needs a qemu with -device and"
                                      " QMP support")
        return paths, runtime, features

    def HotplugSupported(self, instance: Any) -> None:
        self._HotplugContext(instance)

    def VerifyHotplugSupport(self, instance: Any, action: str,
                             dev_type: str) -> None:
        _, runtime, _ = self._HotplugContext(instance)
        if dev_type == HOTPLUG_TARGET_DISK and \
                (runtime.hvparams.get(cmdline.HV_DISK_TYPE) or
                 cmdline.DISK_PARAVIRTUAL) != cmdline.DISK_PARAVIRTUAL:
            raise errors.HotplugError("Disk hotplug needs disk_type"
                                      " paravirtual")
        if dev_type not in (HOTPLUG_TARGET_DISK, HOTPLUG_TARGET_NIC):
            raise errors.HotplugError("Unknown device type %s" % dev_type)

    def _FreeSlot(self, runtime: KvmRuntime) -> int:
        slots = cmdline.PciSlots(int(runtime.hvparams.get(
            cmdline.HV_KVM_PCI_RESERVATIONS, 12) or 0))
        slots.Take(cmdline.BALLOON_PCI_SLOT)
        for slot in _UsedSlots(runtime):
            slots.Take(slot)
        return slots.Take()

    @staticmethod
    def _WaitDeviceGone(conn: qmp.QmpConnection, dev_id: str) -> None:
        deadline = time.monotonic() + _UNPLUG_TIMEOUT
        while True:
            names = [p.get("name") for p in
                     conn.Execute("qom-list", {"path": "/machine/peripheral"})]
            if dev_id not in names:
                return
            if time.monotonic() >= deadline:
                raise errors.HotplugError("Device %s was not released by the"
                                          " guest within %ss"
                                          % (dev_id, _UNPLUG_TIMEOUT))
            time.sleep(0.1)

    def _SaveTaps(self, paths: Any, taps: List[str]) -> None:
        for idx in list(paths.ReadTaps()):
            os.unlink(os.path.join(paths.nic_dir, str(idx)))
        for idx, tap in enumerate(taps):
            paths.WriteTap(idx, tap)

    # ---- online disk resize

    def ResizeDisk(self, instance: Any, disk: Any, new_size: int) -> None:
        """QMP block_resize of the running instance's drive to new_size MiB
        (the guest sees the new capacity at once)."""
        paths = self._Paths(instance.name)  # type: ignore[attr-defined]
        if not InstancePid(paths)[1]:
            raise errors.HypervisorError("Instance %s is not running"
                                         % instance.name)
        uuid = _ToDict(disk).get("uuid")
        runtime = KvmRuntime.Load(paths)
        hvinfo = next((_ToDict(entry[0]).get("hvinfo") or {}
                       for entry in runtime.disks
                       if _ToDict(entry[0]).get("uuid") == uuid), None)
        if hvinfo is None:
            raise errors.HypervisorError("Disk %s is not attached to instance"
                                         " %s" % (uuid, instance.name))
        if not hvinfo.get("driver"):
            # -drive if=... without an id: qemu named the drive itself
            raise errors.HypervisorError("Disk %s of instance %s was not"
                                         " started as a -device: no drive id"
                                         " to resize" % (uuid, instance.name))
        drive_id = hvinfo["id"]
        with qmp.QmpConnection(paths.qmp, timeout=_QMP_TIMEOUT) as conn:
            conn.Execute("block_resize", {"device": drive_id,
                                          "size": int(new_size) * 1024 * 1024})

    # ---- add

    def HotAddDevice(self, instance: Any, dev_type: str, device: Any,
                     extra: Any, seq: int) -> Optional[str]:
        self.VerifyHotplugSupport(instance, HOTPLUG_ACTION_ADD, dev_type)
        paths, runtime, _ = self._HotplugContext(instance)
        ddict = _ToDict(device)
        slot = self._FreeSlot(runtime)
        if dev_type == HOTPLUG_TARGET_NIC:
            return self._AddNic(instance, paths, runtime, ddict, slot, seq)
        return self._AddDisk(paths, runtime, ddict, extra, slot, seq)

    def _AddNic(self, instance: Any, paths: Any, runtime: KvmRuntime,
                ndict: Dict[str, Any], slot: int, seq: int) -> None:
        hvp = runtime.hvparams
        driver = cmdline.NIC_DRIVERS.get(hvp.get(cmdline.HV_NIC_TYPE) or
                                         cmdline.NIC_PARAVIRTUAL)
        dev_id = cmdline.DeviceId("nic", ndict.get("uuid") or "x")
        ndict["hvinfo"] = cmdline._PciInfo(driver, dev_id, slot)
        vnet_hdr, multi_queue = self._TapFlags(  # type: ignore[attr-defined]
            hvp, ndict)
        tap = netdev.CreateTap(vnet_hdr, multi_queue)
        try:
            netdev.ConfigureNic(instance, seq, objects.NIC.FromDict(ndict),
                                tap)
            args: Dict[str, Any] = {"type": "tap", "id": dev_id,
                                    "ifname": tap, "script": "no",
                                    "downscript": "no"}
            if vnet_hdr:
                args["vnet_hdr"] = True
            if hvp.get(cmdline.HV_VHOST_NET):
                args["vhost"] = True
            with qmp.QmpConnection(paths.qmp, timeout=_QMP_TIMEOUT) as conn:
                conn.Execute("netdev_add", args)
                conn.Execute("device_add", {
                    "driver": driver, "id": dev_id, "netdev": dev_id,
                    "mac": ndict.get("mac", ""), "bus": "pci.0",
                    "addr": hex(slot)})
        except BaseException:
            netdev.RemoveTap(tap)
            raise
        taps = [t for _, t in sorted(paths.ReadTaps().items())]
        taps.insert(seq, tap)
        runtime.nics.insert(seq, ndict)
        self._SaveTaps(paths, taps)
        runtime.Save(paths)

    def _AddDisk(self, paths: Any, runtime: KvmRuntime,
                 ddict: Dict[str, Any], extra: Any, slot: int,
                 seq: int) -> None:
        link, uri = extra, None
        if isinstance(extra, (list, tuple)):
            link, uri = (list(extra) + [None, None])[:2]
        if not link:
            raise errors.HotplugError("No device path given for the new disk")
        dev_id = cmdline.DeviceId("disk", ddict.get("uuid") or "x")
        ddict["hvinfo"] = cmdline._PciInfo("virtio-blk-pci", dev_id, slot)
        drive = cmdline._DriveArgs(seq, [ddict, link, uri], runtime.hvparams,
                                   cmdline.KvmFeatures(
                                       options=frozenset(["-device"])))[1]
        with qmp.QmpConnection(paths.qmp, timeout=_QMP_TIMEOUT) as conn:
            out = conn.HumanCommand("drive_add dummy %s" % drive)
            if out and "OK" not in out:
                raise errors.HotplugError("drive_add failed: %s"
                                          % out.strip())
            conn.Execute("device_add", {"driver": "virtio-blk-pci",
                                        "id": dev_id, "drive": dev_id,
                                        "bus": "pci.0", "addr": hex(slot)})
        runtime.disks.insert(seq, [ddict, link, uri])
        runtime.Save(paths)

    # ---- remove

    def HotDelDevice(self, instance: Any, dev_type: str, device: Any,
                     extra: Any, seq: int) -> Optional[str]:
        self.VerifyHotplugSupport(instance, HOTPLUG_ACTION_REMOVE, dev_type)
        paths, runtime, _ = self._HotplugContext(instance)
        uuid = _ToDict(device).get("uuid")
        entries = runtime.nics if dev_type == HOTPLUG_TARGET_NIC else \
            [entry[0] for entry in runtime.disks]
        index = next((i for i, d in enumerate(entries)
                      if d.get("uuid") == uuid), None)
        if index is None:
            raise errors.HotplugError("%s %s is not plugged into instance %s"
                                      % (dev_type, uuid, instance.name))
        dev_id = (entries[index].get("hvinfo") or {}).get("id")
        with qmp.QmpConnection(paths.qmp, timeout=_QMP_TIMEOUT) as conn:
            conn.Execute("device_del", {"id": dev_id})
            self._WaitDeviceGone(conn, dev_id)
            if dev_type == HOTPLUG_TARGET_NIC:
                conn.Execute("netdev_del", {"id": dev_id})
            else:
                conn.HumanCommand("drive_del %s" % dev_id)
        if dev_type == HOTPLUG_TARGET_NIC:
            taps = [t for _, t in sorted(paths.ReadTaps().items())]
            if index < len(taps):
                netdev.RemoveTap(taps.pop(index))
            self._SaveTaps(paths, taps)
            del runtime.nics[index]
        else:
            del runtime.disks[index]
        runtime.Save(paths)

    # ---- modify (NICs: reconnect the tap with the new parameters)

    def HotModDevice(self, instance: Any, dev_type: str, device: Any,
                     extra: Any, seq: int) -> Optional[str]:
        if dev_type != HOTPLUG_TARGET_NIC:
            raise errors.HotplugError("Only NICs can be modified while the"
                                      " instance runs")
        paths, runtime, _ = self._HotplugContext(instance)
        ndict = _ToDict(device)
        index = next((i for i, d in enumerate(runtime.nics)
                      if d.get("uuid") == ndict.get("uuid")), None)
        taps = [t for _, t in sorted(paths.ReadTaps().items())]
        if index is None or index >= len(taps):
            raise errors.HotplugError("NIC %s is not plugged into instance %s"
                                      % (ndict.get("uuid"), instance.name))
        ndict["hvinfo"] = runtime.nics[index].get("hvinfo")
        utils_process.RunCmd(["ip", "link", "set", taps[index], "nomaster"],
                             timeout=30)
        netdev.ConfigureNic(instance, index, objects.NIC.FromDict(ndict),
                            taps[index])
        runtime.nics[index] = ndict
        runtime.Save(paths)
