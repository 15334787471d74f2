"""The fake hypervisor: instances are files, no VM ever runs.

A running instance is a file ``<FAKE_RUN_DIR>/<name>`` of three lines, as
upstream 3.0 writes it: ``0``, the memory (MiB) and the vCPU count (files
of two lines, memory and vCPUs, written by earlier versions of this
implementation, are still read).  Migration "moves" that file: the
target writes it when the migration is finalized as a success, the source
removes its own.  Used for tests and for clusters that only exercise the
control plane.
"""

import logging
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti.hypervisor import hv_base
from ganeti.utils import io as utils_io


def FormatState(memory: int, vcpus: int) -> str:
    """A run file's content (upstream's three lines)."""
    return "0\n%d\n%d\n" % (memory, vcpus)


def ParseState(text: str) -> Tuple[int, int]:
    """(memory, vcpus) of a run file: upstream's three lines or our old two.

    Raises ValueError if text is neither.
    """
    values = [int(v) for v in text.split()]
    if len(values) == 3:
        return values[1], values[2]
    if len(values) == 2:
        return values[0], values[1]
    raise ValueError("expected 3 numbers, found %d" % len(values))


class FakeHypervisor(hv_base.BaseHypervisor):
    """Instances recorded as files under pathutils.FAKE_RUN_DIR."""

    NAME = "fake"
    CAN_MIGRATE = True
    PARAMETERS = {
        hv_base.HV_MIGRATION_MODE: hv_base.ChoiceParam(
            constants.HT_MIGRATION_MODES),
    }

    def __init__(self, run_dir: Optional[str] = None) -> None:
        self._run_dir = run_dir

    @property
    def run_dir(self) -> str:
        return self._run_dir or pathutils.FAKE_RUN_DIR

    def _File(self, name: str) -> str:
        return os.path.join(self.run_dir, hv_base.CheckInstanceName(name))

    def _EnsureDir(self) -> None:
        os.makedirs(self.run_dir, mode=0o755, exist_ok=True)

    def _IsAlive(self, name: str) -> bool:
        return os.path.isfile(self._File(name))

    def _Write(self, name: str, memory: int, vcpus: int) -> None:
        self._EnsureDir()
        utils_io.WriteFile(self._File(name), data=FormatState(memory, vcpus))

    def _Read(self, name: str) -> Tuple[int, int]:
        try:
            return ParseState(utils_io.ReadFile(self._File(name)))
        except ValueError as err:
            raise errors.HypervisorError("Corrupt state file for instance %s:"
                                         " %s" % (name, err))

    # ---- lifecycle

    def StartInstance(self, instance: Any, block_devices: Sequence,
                      startup_paused: bool) -> None:
        if self._IsAlive(instance.name):
            raise errors.HypervisorError("Failed to start instance %s: already"
                                         " running" % instance.name)
        memory = self.InstanceStartupMemory(instance)
        vcpus = (instance.beparams or {}).get(hv_base.BE_VCPUS, 1)
        try:
            self._Write(instance.name, memory, vcpus)
        except OSError as err:
            raise errors.HypervisorError("Failed to start instance %s: %s"
                                         % (instance.name, err))

    def StopInstance(self, instance: Any, force: bool = False,
                     retry: bool = False, name: Optional[str] = None,
                     timeout: Optional[float] = None) -> None:
        name = name or instance.name
        if not self._IsAlive(name):
            raise errors.HypervisorError("Failed to stop instance %s: not"
                                         " running" % name)
        utils_io.RemoveFile(self._File(name))

    def RebootInstance(self, instance: Any) -> None:
        if not self._IsAlive(instance.name):
            raise errors.HypervisorError("Failed to reboot instance %s: not"
                                         " running" % instance.name)

    def ListInstances(self, hvparams: Optional[Dict[str, Any]] = None
                      ) -> List[str]:
        try:
            names = os.listdir(self.run_dir)
        except FileNotFoundError:
            return []
        return sorted(n for n in names if not n.startswith(".") and
                      os.path.isfile(os.path.join(self.run_dir, n)))

    def GetInstanceInfo(self, instance_name: str,
                        hvparams: Optional[Dict[str, Any]] = None
                        ) -> Optional[Tuple]:
        if not self._IsAlive(instance_name):
            return None
        memory, vcpus = self._Read(instance_name)
        return (instance_name, -1, memory, vcpus,
                hv_base.HvInstanceState.RUNNING, 0)

    def GetNodeInfo(self, hvparams: Optional[Dict[str, Any]] = None
                    ) -> Dict[str, Any]:
        """The host's facts, minus the memory fake instances "use"."""
        info = hv_base.LinuxNodeInfo()
        used = 0
        for name in self.ListInstances():
            try:
                used += self._Read(name)[0]
            except errors.HypervisorError as err:
                logging.warning("%s", err)
        info["memory_free"] = max(0, info["memory_free"] - used)
        return info

    def Verify(self, hvparams: Optional[Dict[str, Any]] = None
               ) -> Optional[str]:
        try:
            self._EnsureDir()
        except OSError as err:
            return "Can't create %s: %s" % (self.run_dir, err)
        if not os.access(self.run_dir, os.W_OK | os.X_OK):
            return "Directory %s is not writable" % self.run_dir
        return None

    def ResizeDisk(self, instance: Any, disk: Any, new_size: int) -> None:
        """Nothing to tell: a fake instance has no guest."""

    def BalloonInstanceMemory(self, instance: Any, mem: int) -> None:
        _, vcpus = self._Read(instance.name)
        self._Write(instance.name, mem, vcpus)

    @classmethod
    def PowercycleNode(cls, hvparams: Optional[Dict[str, Any]] = None
                       ) -> None:
        logging.info("Fake hypervisor: powercycle requested, nothing done")

    # ---- migration: the target writes the file, the source removes it

    def MigrationInfo(self, instance: Any) -> str:
        """The state file's content, so the target keeps the memory size."""
        memory, vcpus = self._Read(instance.name)
        return FormatState(memory, vcpus)

    def AcceptInstance(self, instance: Any, info: str, target: str) -> None:
        if self._IsAlive(instance.name):
            raise errors.HypervisorError("Can't accept instance %s: already"
                                         " running here" % instance.name)

    def MigrateInstance(self, cluster_name: str, instance: Any, target: str,
                        live: bool) -> None:
        if not self._IsAlive(instance.name):
            raise errors.HypervisorError("Instance %s is not running"
                                         % instance.name)

    def FinalizeMigrationDst(self, instance: Any, info: str,
                             success: bool) -> None:
        if not success:
            return
        beparams = instance.beparams or {}
        try:
            memory, vcpus = ParseState(info or "")
        except ValueError:
            memory = beparams.get(hv_base.BE_MAXMEM, 128)
            vcpus = beparams.get(hv_base.BE_VCPUS, 1)
        self._Write(instance.name, memory, vcpus)

    def FinalizeMigrationSource(self, instance: Any, success: bool,
                                live: bool) -> None:
        if success:
            utils_io.RemoveFile(self._File(instance.name))
