"""DRBD 8 mirrored devices (disk template ``drbd``).

A DRBD disk's logical_id is ``[pnode_uuid, snode_uuid, port, pminor,
sminor, secret]``; its children are the data and meta LVs.  What differs
per node travels in ``dynamic_params``: ``local-ip``, ``local-minor``,
``remote-ip``, ``remote-minor`` (computed by the master for the node a call
goes to).  The device is /dev/drbd<local-minor>.

The kernel state is read from /proc/drbd and ``drbdsetup show``; actions
run drbdsetup/drbdmeta with the command syntax of the loaded module (see
drbd_info).  Nothing here works on a machine without the drbd module: every
entry point then fails with a BlockDeviceError saying /proc/drbd can't be
read.
"""

import ipaddress
import logging
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ganeti import errors
from ganeti.storage import base
from ganeti.storage import drbd_info
from ganeti.storage.drbd_info import (
    LDP_PROTOCOL, HMAC_ALG, MIGRATION_NET_PROTOCOL, DEFAULT_PARAMS)
from ganeti.utils import process as utils_process

# Keys of Disk.dynamic_params.
DDP_LOCAL_IP = "local-ip"
DDP_REMOTE_IP = "remote-ip"
DDP_LOCAL_MINOR = "local-minor"
DDP_REMOTE_MINOR = "remote-minor"

META_SIZE_MIB = 128
_META_MAX_BYTES = 1024 * base.MIB
NET_SETUP_TIMEOUT = 10.0

# Where /proc/drbd is read from (tests point it at recorded files).
PROC_FILE = drbd_info.PROC_FILE


def _Run(cmd: List[str]) -> utils_process.RunResult:
    return utils_process.RunCmd(cmd)


def GetProcInfo() -> drbd_info.ProcInfo:
    return drbd_info.ProcInfo.FromFile(PROC_FILE)


def GetUsedDevs() -> Dict[int, drbd_info.MinorStatus]:
    return GetProcInfo().GetUsedDevs()


def _CmdGen(info: Optional[drbd_info.ProcInfo] = None
            ) -> drbd_info.CmdGenerator84:
    info = info or GetProcInfo()
    try:
        return drbd_info.GetCmdGenerator(info.GetVersion())
    except errors.BlockDeviceError as err:
        base.ThrowError(str(err))
    raise AssertionError("not reached")


def _IpVersion(address: str) -> Optional[int]:
    try:
        return ipaddress.ip_address(address).version
    except ValueError:
        return None


def _NetFamily(lhost: str, rhost: str) -> str:
    versions = {_IpVersion(lhost), _IpVersion(rhost)}
    if versions == {6}:
        return "ipv6"
    if versions == {4}:
        return "ipv4"
    base.ThrowError("Invalid or mixed address families in %s/%s", lhost, rhost)
    return ""  # not reached


def _Wait(check: Callable[[], bool], timeout: float, step: float = 0.5
          ) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(step)


def ShutdownAll(minor: int) -> None:
    """Tear a minor down completely (drbdsetup down)."""
    result = _Run(_CmdGen().DownCmd(minor))
    if result.failed:
        base.ThrowError("drbd%d: can't shutdown drbd device: %s", minor,
                        result.output.strip())


def CheckMetaSize(meta_device: str) -> None:
    """The meta LV must hold at least 128 MiB, and not absurdly more."""
    result = _Run(["blockdev", "--getsize", meta_device])
    if result.failed:
        base.ThrowError("Failed to get device size: %s - %s",
                        result.fail_reason, result.output.strip())
    try:
        num_bytes = int(result.stdout.strip()) * 512
    except ValueError:
        base.ThrowError("Invalid output from blockdev: '%s'", result.stdout)
    if num_bytes < META_SIZE_MIB * base.MIB:
        base.ThrowError("Meta device too small (%.2fMib)",
                        num_bytes / float(base.MIB))
    if num_bytes > _META_MAX_BYTES:
        base.ThrowError("Meta device too big (%.2fMiB)",
                        num_bytes / float(base.MIB))


class DRBD8Dev(base.BlockDev):
    """One DRBD 8 minor with its two backing LVs."""

    def __init__(self, unique_id: Sequence, children: Optional[list],
                 size: int, params: Optional[Dict[str, Any]],
                 dyn_params: Optional[Dict[str, Any]] = None,
                 **kwargs: Any) -> None:
        if not isinstance(unique_id, (list, tuple)) or len(unique_id) != 6:
            base.ThrowError("Invalid logical id for a drbd device: %r",
                            unique_id)
        children = [c for c in (children or []) if c is not None]
        if len(children) not in (0, 2):
            children = []
        dyn = dict(dyn_params or {})
        port, secret = unique_id[2], unique_id[5]
        if DDP_LOCAL_IP in dyn and port is not None:
            self._lhost = dyn[DDP_LOCAL_IP]
            self._rhost = dyn[DDP_REMOTE_IP]
            self._lport = self._rport = port
            self._secret = secret
        else:
            # no port: a device without network (a new secondary's device
            # before it is connected to the primary)
            self._lhost = self._rhost = self._lport = self._rport = None
            self._secret = None
        self._aminor = int(dyn[DDP_LOCAL_MINOR]) \
            if DDP_LOCAL_MINOR in dyn else None
        if self._lhost is not None and (self._lhost, self._lport) == \
                (self._rhost, self._rport):
            base.ThrowError("Invalid configuration data, same local/remote"
                            " %s:%s", self._lhost, self._lport)
        if children and not _CanReadDevice(children[1].dev_path):
            logging.info("drbd%s: ignoring unreadable meta device",
                         self._aminor)
            children = []
        merged = dict(DEFAULT_PARAMS)
        merged.update(params or {})
        super().__init__(unique_id, children, size, merged, dyn, **kwargs)
        self.major = drbd_info.DRBD_MAJOR
        info = GetProcInfo()
        self._cmd = _CmdGen(info)
        self._used = info.GetUsedDevs()
        self.Attach(info)

    # --- state ------------------------------------------------------------

    def _SetFromMinor(self, minor: Optional[int]) -> None:
        if minor is None:
            self.minor = self.dev_path = None
            self.attached = False
        else:
            self.minor = minor
            self.dev_path = self._cmd.DevPath(minor)
            self.attached = True

    def Attach(self, info: Optional[drbd_info.ProcInfo] = None) -> bool:
        """Attached when our minor is configured in the kernel."""
        if self._aminor is None:
            self._SetFromMinor(None)
            return False
        used = (info or GetProcInfo()).GetUsedDevs()
        self._SetFromMinor(self._aminor if self._aminor in used else None)
        return self.attached

    def GetProcStatus(self) -> drbd_info.MinorStatus:
        if self.minor is None:
            base.ThrowError("drbd%s: GetStats() called while not attached",
                            self._aminor)
        info = GetProcInfo()
        if not info.HasMinorStatus(self.minor):
            base.ThrowError("drbd%d: can't find myself in /proc", self.minor)
        return info.GetMinorStatus(self.minor)

    def GetSyncStatus(self):
        """Degraded unless connected and up to date; ldisk from disk state."""
        from ganeti import objects
        if self.minor is None and not self.Attach():
            base.ThrowError("drbd%s: can't Attach() in GetSyncStatus",
                            self._aminor)
        st = self.GetProcStatus()
        if st.is_disk_uptodate:
            ldisk = base.LDS_OKAY
        elif st.is_diskless:
            ldisk = base.LDS_FAULTY
        elif st.is_in_resync:
            ldisk = base.LDS_SYNC
        else:
            ldisk = base.LDS_UNKNOWN
        return objects.BlockDevStatus(
            dev_path=self.dev_path, major=self.major, minor=self.minor,
            sync_percent=st.sync_percent, estimated_time=st.est_time,
            is_degraded=not st.is_connected or not st.is_disk_uptodate,
            ldisk_status=ldisk)

    def _ShowInfo(self, minor: int) -> Dict[str, Any]:
        result = _Run(self._cmd.ShowCmd(minor))
        if result.failed:
            base.ThrowError("drbd%d: can't run drbdsetup show: %s", minor,
                            result.output.strip())
        try:
            return drbd_info.ParseShowOutput(result.stdout)
        except errors.BlockDeviceError as err:
            base.ThrowError("drbd%d: can't parse drbdsetup show: %s", minor,
                            err)
        return {}  # not reached

    def _MatchesLocal(self, info: Dict[str, Any]) -> bool:
        """Whether the kernel's local disk setup is our children's."""
        if self._children:
            data, meta = self._children
            return (info.get("local_dev") == data.dev_path
                    and info.get("meta_dev") == meta.dev_path
                    and info.get("meta_index", 0) == 0)
        return "local_dev" not in info and "meta_dev" not in info

    def _MatchesNet(self, info: Dict[str, Any]) -> bool:
        """Whether the kernel's network setup is ours."""
        if self._lhost is None:
            return "local_addr" not in info and "remote_addr" not in info
        return (info.get("local_addr") == (self._lhost, self._lport)
                and info.get("remote_addr") == (self._rhost, self._rport))

    # --- creation --------------------------------------------------------------

    @classmethod
    def Create(cls, unique_id: Sequence, children: list, size: int,
               spindles: Optional[int], params: Dict[str, Any],
               excl_stor: bool, dyn_params: Dict[str, Any],
               **kwargs: Any) -> "DRBD8Dev":
        """Write fresh metadata on the meta LV (the minor must be free)."""
        if len(children or []) != 2:
            raise errors.ProgrammerError("Invalid setup for the drbd device")
        base.RefuseExclusiveStorage(excl_stor, "DRBD")
        if DDP_LOCAL_MINOR not in (dyn_params or {}):
            raise errors.ProgrammerError("Invalid dynamic params for drbd"
                                         " device %s" % (dyn_params,))
        minor = int(dyn_params[DDP_LOCAL_MINOR])
        info = GetProcInfo()
        if info.HasMinorStatus(minor) and \
                info.GetMinorStatus(minor).is_in_use:
            base.ThrowError("drbd%d: minor is already in use at Create()"
                            " time", minor)
        meta = children[1]
        meta.Assemble()
        if not meta.Attach():
            base.ThrowError("drbd%d: can't attach to meta device '%s'", minor,
                            meta)
        CheckMetaSize(meta.dev_path)
        result = _Run(_CmdGen(info).InitMetaCmd(minor, meta.dev_path))
        if result.failed:
            base.ThrowError("drbd%d: can't initialize meta device: %s", minor,
                            result.output.strip())
        return cls(unique_id, children, size, params, dyn_params, **kwargs)

    # --- assembly --------------------------------------------------------------

    def _AssembleLocal(self, minor: int, data_dev: str, meta_dev: str,
                       size: Optional[int], minor_exists: bool = False
                       ) -> None:
        """Attach the local disk; minor_exists: the minor is configured
        already (a diskless device), only attach."""
        for cmd in self._cmd.LocalInitCmds(minor, data_dev, meta_dev, size,
                                           self.params):
            if minor_exists and cmd[:2] in (["drbdsetup", "new-resource"],
                                            ["drbdsetup", "new-minor"]):
                continue
            result = _Run(cmd)
            if result.failed:
                base.ThrowError("drbd%d: can't attach local disk: %s", minor,
                                result.output.strip())

    def _SetMinorSyncParams(self, minor: int, params: Dict[str, Any]
                            ) -> List[str]:
        try:
            cmd = self._cmd.SyncParamsCmd(minor, params)
        except errors.BlockDeviceError as err:
            return [str(err)]
        result = _Run(cmd)
        if result.failed:
            msg = ("Can't change syncer rate: %s - %s" %
                   (result.fail_reason, result.output.strip()))
            logging.error(msg)
            return [msg]
        return []

    def _AssembleNet(self, minor: int, dual_pri: bool = False) -> None:
        """Connect to the peer; waits until drbdsetup show agrees."""
        if self._lhost is None:
            self._ShutdownNet(minor)
            return
        protocol = MIGRATION_NET_PROTOCOL if dual_pri \
            else self.params.get(LDP_PROTOCOL, "C")
        errs = self._SetMinorSyncParams(minor, self.params)
        if errs:
            base.ThrowError("drbd%d: can't set the synchronization"
                            " parameters: %s", minor, "; ".join(errs))
        family = _NetFamily(self._lhost, self._rhost)
        result = _Run(self._cmd.NetInitCmd(
            minor, family, self._lhost, self._lport, self._rhost, self._rport,
            protocol, dual_pri, HMAC_ALG, self._secret, self.params))
        if result.failed:
            base.ThrowError("drbd%d: can't setup network: %s - %s", minor,
                            result.fail_reason, result.output.strip())
        if not _Wait(lambda: self._MatchesNet(self._ShowInfo(minor)),
                     NET_SETUP_TIMEOUT):
            base.ThrowError("drbd%d: timeout while configuring network",
                            minor)

    def _ShutdownLocal(self, minor: int) -> None:
        result = _Run(self._cmd.DetachCmd(minor))
        if result.failed:
            base.ThrowError("drbd%d: can't detach local disk: %s", minor,
                            result.output.strip())

    def _ShutdownNet(self, minor: int) -> None:
        if self._lhost is None:
            return
        family = _NetFamily(self._lhost, self._rhost)
        result = _Run(self._cmd.DisconnectCmd(
            minor, family, self._lhost, self._lport, self._rhost, self._rport))
        if result.failed:
            base.ThrowError("drbd%d: can't shutdown network: %s", minor,
                            result.output.strip())

    def Assemble(self) -> None:
        """Configure the minor, or repair a partly configured one."""
        self.Attach()
        minor = self._aminor
        if minor is None:
            base.ThrowError("drbd: no local minor given, can't assemble")
        if self.minor is None:
            if len(self._children) == 2:
                self._AssembleLocal(minor, self._children[0].dev_path,
                                    self._children[1].dev_path, self.size)
            if self._lhost is not None:
                self._AssembleNet(minor)
            self._SetFromMinor(minor)
            return
        self._SlowAssemble(minor)

    def _SlowAssemble(self, minor: int) -> None:
        info = self._ShowInfo(minor)
        local_ok, net_ok = self._MatchesLocal(info), self._MatchesNet(info)
        if local_ok and net_ok:
            pass
        elif local_ok and "local_addr" not in info:
            # disk fine, network never configured
            self._AssembleNet(minor)
        elif net_ok and "local_dev" not in info and len(self._children) == 2:
            # network fine, local disk missing (e.g. after a disk failure)
            self._AssembleLocal(minor, self._children[0].dev_path,
                                self._children[1].dev_path, self.size)
            if not self._MatchesLocal(self._ShowInfo(minor)):
                base.ThrowError("drbd%d: disk attach successful, but"
                                " 'drbdsetup show' data is wrong", minor)
        elif local_ok and "local_addr" in info:
            # connected to the wrong peer: reconnect
            self._ShutdownNet(minor)
            self._AssembleNet(minor)
        else:
            self._SetFromMinor(None)
            base.ThrowError("drbd%d: cannot activate, unknown or unhandled"
                            " reason", minor)
        self._SetFromMinor(minor)

    # --- use ------------------------------------------------------------------

    def Open(self, force: bool = False, exclusive: bool = True) -> None:
        """Make the device primary (read-write)."""
        if self.minor is None and not self.Attach():
            base.ThrowError("drbd%s: can't attach to the device during"
                            " Open()", self._aminor)
        result = _Run(self._cmd.PrimaryCmd(self.minor, force))
        if result.failed:
            base.ThrowError("drbd%d: can't make drbd device primary: %s",
                            self.minor, result.output.strip())

    def Close(self) -> None:
        """Make the device secondary."""
        if self.minor is None and not self.Attach():
            base.ThrowError("drbd%s: can't Attach() in Close()", self._aminor)
        result = _Run(self._cmd.SecondaryCmd(self.minor))
        if result.failed:
            base.ThrowError("drbd%d: can't switch drbd device to secondary:"
                            " %s", self.minor, result.output.strip())

    def Shutdown(self) -> None:
        if self.minor is None and not self.Attach():
            logging.info("drbd%s: not attached during Shutdown()",
                         self._aminor)
            return
        try:
            ShutdownAll(self.minor)
        finally:
            self._SetFromMinor(None)

    def Remove(self) -> None:
        self.Shutdown()

    def Rename(self, new_id: Sequence) -> None:
        if self.minor is not None:
            raise errors.ProgrammerError("Can't rename in use DRBD device")
        self.unique_id = tuple(new_id)

    def Grow(self, amount: int, dryrun: bool, backingstore: bool,
             excl_stor: bool) -> None:
        """Grow the data LV (backingstore) or the DRBD device on top."""
        if self.minor is None:
            base.ThrowError("drbd%s: Grow called while not attached",
                            self._aminor)
        if len(self._children) != 2:
            base.ThrowError("drbd%d: cannot grow diskless device", self.minor)
        self._children[0].Grow(amount, dryrun, backingstore, excl_stor)
        if dryrun or backingstore:
            return
        result = _Run(self._cmd.ResizeCmd(self.minor, self.size + amount))
        if result.failed:
            base.ThrowError("drbd%d: resize failed: %s", self.minor,
                            result.output.strip())

    def SetSyncParams(self, params: Dict[str, Any]) -> List[str]:
        errs = super().SetSyncParams(params)
        if self.minor is None:
            return errs + ["Not attached during SetSyncParams"]
        return errs + self._SetMinorSyncParams(self.minor, params)

    def PauseResumeSync(self, pause: bool) -> bool:
        if self.minor is None:
            logging.info("Not attached during PauseSync")
            return False
        children_ok = super().PauseResumeSync(pause)
        cmd = (self._cmd.PauseSyncCmd if pause
               else self._cmd.ResumeSyncCmd)(self.minor)
        result = _Run(cmd)
        if result.failed:
            logging.error("Can't %s: %s - %s",
                          "pause-sync" if pause else "resume-sync",
                          result.fail_reason, result.output.strip())
        return not result.failed and children_ok

    # --- local storage (replace-disks) ---------------------------------------

    def AddChildren(self, devices: list) -> None:
        """Attach new data and meta LVs to a device without local disk
        (fresh metadata is written on the meta LV first)."""
        if self.minor is None:
            base.ThrowError("drbd%s: can't attach to device while adding"
                            " children", self._aminor)
        if len(devices) != 2:
            base.ThrowError("drbd%d: need two devices for AddChildren",
                            self.minor)
        if "local_dev" in self._ShowInfo(self.minor):
            base.ThrowError("drbd%d: already attached to a local disk",
                            self.minor)
        data, meta = devices
        if data.dev_path is None or meta.dev_path is None:
            base.ThrowError("drbd%d: children not ready during AddChildren",
                            self.minor)
        CheckMetaSize(meta.dev_path)
        result = _Run(self._cmd.InitMetaCmd(self.minor, meta.dev_path))
        if result.failed:
            base.ThrowError("drbd%d: can't initialize meta device: %s",
                            self.minor, result.output.strip())
        self._AssembleLocal(self.minor, data.dev_path, meta.dev_path,
                            self.size, minor_exists=True)
        self._children = list(devices)

    def RemoveChildren(self, devices: list) -> None:
        """Detach the local data and meta LVs (the device goes diskless)."""
        if self.minor is None:
            base.ThrowError("drbd%s: can't attach to device while removing"
                            " children", self._aminor)
        if not self._children:
            logging.info("drbd%d: no local disk to detach", self.minor)
            return
        if len(self._children) != 2:
            base.ThrowError("drbd%d: we don't have two children: %s",
                            self.minor, self._children)
        if len(devices) != 2:
            base.ThrowError("drbd%d: we need two children in RemoveChildren",
                            self.minor)
        ours = [child.dev_path for child in self._children]
        theirs = [dev.dev_path for dev in devices]
        if sorted(theirs) != sorted(ours):
            wrong = [path for path in theirs if path not in ours][0]
            base.ThrowError("drbd%d: mismatch in local storage (%s != %s) in"
                            " RemoveChildren", self.minor, wrong,
                            ours[theirs.index(wrong)])
        self._ShutdownLocal(self.minor)
        self._children = []

    # --- network (drbd_* RPCs) --------------------------------------------------

    def DisconnectNet(self) -> None:
        """Go standalone (used before changing the peer or migrating)."""
        if self.minor is None:
            base.ThrowError("drbd%s: disk not attached in DisconnectNet()",
                            self._aminor)
        self._ShutdownNet(self.minor)

    def AttachNet(self, multimaster: bool) -> None:
        """Connect to the peer again, allowing two primaries if asked."""
        if self.minor is None:
            base.ThrowError("drbd%s: device not attached in AttachNet()",
                            self._aminor)
        status = self.GetProcStatus()
        if not status.is_standalone:
            base.ThrowError("drbd%d: device is not standalone in AttachNet()",
                            self.minor)
        self._AssembleNet(self.minor, dual_pri=multimaster)

    def GetActualSize(self) -> int:
        if self.minor is None and not self.Attach():
            base.ThrowError("drbd%s: device not attached", self._aminor)
        return base.DeviceSizeBytes(self.dev_path)  # type: ignore[arg-type]


def _CanReadDevice(path: Optional[str]) -> bool:
    """Whether the first sector of path can be read."""
    if not path:
        return False
    try:
        with open(path, "rb") as handle:
            handle.read(512)
        return True
    except EnvironmentError:
        logging.warning("Can't read from device %s", path, exc_info=True)
        return False


def FindUnusedMinor(info: Optional[drbd_info.ProcInfo] = None) -> int:
    """The lowest minor not configured in the kernel."""
    used = set((info or GetProcInfo()).GetUsedDevs())
    minor = 0
    while minor in used:
        minor += 1
    return minor


def GetUsermodeHelper() -> str:
    """The drbd module's usermode helper (the drbd_helper RPC)."""
    try:
        return drbd_info.ReadUsermodeHelper()
    except errors.BlockDeviceError as err:
        base.ThrowError(str(err))
    return ""  # not reached


def MinorsInUse() -> List[Tuple[int, str]]:
    """[(minor, connection state)] of configured minors (node verify)."""
    return sorted((m, st.cstatus) for m, st in GetUsedDevs().items())

