"""LVM logical volumes (disk template ``plain``, and DRBD's data/meta LVs).

A plain disk's logical_id is ``[vg_name, lv_name]``; its device is
/dev/<vg>/<lv>.  Everything here drives the LVM command line tools
(lvs, vgs, pvs, lvcreate, lvremove, lvchange, lvrename, lvextend, vgreduce)
through utils.process.RunCmd and parses their reports; the parsers are pure
functions so the recorded outputs in the tests exercise them.

Command lines used (report options are fixed so the parsers know the
columns; sizes are asked in MiB or KiB without unit suffix):

  pvs --noheadings --nosuffix --units=m --unbuffered --separator=|
      -o pv_name,vg_name,pv_free,pv_attr,pv_size[,lv_name] [vg...]
  vgs --noheadings --nosuffix --units=m --unbuffered --separator=|
      -o vg_free,vg_size,vg_name [vg...]
  lvs --noheadings --separator=| --units=k --nosuffix
      -o lv_attr,lv_kernel_major,lv_kernel_minor,vg_extent_size,stripes,devices
      /dev/<vg>/<lv>
  lvcreate -L<size>m -n<lv> -i<stripes> <vg> <pv>...
  lvremove -f <vg>/<lv>       lvrename <vg> <old> <new>
  lvchange -ay /dev/<vg>/<lv> lvchange --addtag <tag> /dev/<vg>/<lv>
  lvextend -L +<kib>k [--test] --alloc contiguous|cling|normal /dev/<vg>/<lv>
"""

import logging
import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ganeti import errors
from ganeti.storage import base
from ganeti.utils import process as utils_process

LDP_STRIPES = "stripes"
# The smallest volume group (MiB) a cluster accepts (init, modify, verify).
MIN_VG_SIZE = 20480
DEFAULT_PARAMS = {LDP_STRIPES: 1}

# LVM naming rules (lvm(8), "VALID NAMES").
_VALID_NAME_RE = re.compile(r"^[a-zA-Z0-9+_.-]+$")
_RESERVED_SUBSTRINGS = ("_cdata", "_cmeta", "_corig", "_mlog", "_mimage",
                        "_pmspare", "_rimage", "_rmeta", "_tdata", "_tmeta",
                        "_vorigin")
_RESERVED_PREFIXES = ("snapshot", "pvmove")

REPORT_SEP = "|"
_REPORT_BASE = ["--noheadings", "--nosuffix", "--units=m", "--unbuffered",
                "--separator=%s" % REPORT_SEP]
_LV_INFO_FIELDS = ("lv_attr,lv_kernel_major,lv_kernel_minor,vg_extent_size,"
                   "stripes,devices")
_ALLOC_POLICIES = ("contiguous", "cling", "normal")
_MAX_TAG_LEN = 128

# The lvs report of the monitoring daemon's LV collector (separator ";",
# sizes in bytes with a "B" suffix); see ParseLvsFullOutput.
LVS_FULL_FIELDS = [
    "lv_uuid", "lv_name", "lv_attr", "lv_major", "lv_minor",
    "lv_kernel_major", "lv_kernel_minor", "lv_size", "seg_count", "lv_tags",
    "modules", "vg_uuid", "vg_name", "segtype", "seg_start", "seg_start_pe",
    "seg_size", "seg_tags", "seg_pe_ranges", "devices"]
LVS_FULL_COMMAND = ["lvs", "--noheadings", "--units=b", "--separator=;",
                    "-o", ",".join(LVS_FULL_FIELDS)]
_LVS_FULL_INTS = {"lv_major", "lv_minor", "lv_kernel_major", "lv_kernel_minor",
                  "seg_count", "seg_start_pe"}
_LVS_FULL_BYTES = {"lv_size", "seg_start", "seg_size"}


def _Run(cmd: List[str]) -> utils_process.RunResult:
    return utils_process.RunCmd(cmd)


def ValidateName(name: str) -> None:
    """Raise BlockDeviceError unless name is a valid VG/LV name."""
    if (not isinstance(name, str) or not _VALID_NAME_RE.match(name)
            or name in (".", "..") or name.startswith("-")
            or name.startswith(_RESERVED_PREFIXES)
            or any(sub in name for sub in _RESERVED_SUBSTRINGS)):
        base.ThrowError("Invalid LVM name '%s'", name)


# ------------------------------------------------------------------ parsers

class LvAttr:
    """The lv_attr string of lvs (e.g. "-wi-ao----")."""

    def __init__(self, attr: str) -> None:
        if len(attr) < 6:
            raise errors.BlockDeviceError("Invalid lv_attr '%s'" % attr)
        self.text = attr
        self.volume_type = attr[0]
        self.is_virtual = attr[0] == "v"
        self.is_active = attr[4] == "a"
        self.is_open = attr[5] == "o"
        self.is_partial = len(attr) > 8 and attr[8] == "p"


class PVInfo:
    """One physical volume (sizes in MiB)."""

    def __init__(self, name: str, vg_name: str, size: float, free: float,
                 attributes: str, lv_list: Optional[List[str]] = None) -> None:
        self.name = name
        self.vg_name = vg_name
        self.size = size
        self.free = free
        self.attributes = attributes
        self.lv_list = lv_list or []

    def IsEmpty(self) -> bool:
        return self.size - self.free < 0.01

    def IsAllocatable(self) -> bool:
        return self.attributes.startswith("a")

    def __repr__(self) -> str:
        return "<PV %s vg=%s size=%s free=%s>" % (self.name, self.vg_name,
                                                   self.size, self.free)


def _SplitReport(text: str, sep: str = REPORT_SEP) -> List[List[str]]:
    return [[f.strip() for f in line.strip().split(sep)]
            for line in text.splitlines() if line.strip()]


def ParsePvsOutput(text: str, with_lvs: bool = False) -> List[PVInfo]:
    """Parse pvs -o pv_name,vg_name,pv_free,pv_attr,pv_size[,lv_name].

    With lv_name, pvs prints one line per (PV, LV); they are merged.
    """
    want = 6 if with_lvs else 5
    by_name: Dict[str, PVInfo] = {}
    order: List[str] = []
    for row in _SplitReport(text):
        if len(row) != want:
            logging.warning("Invalid line in pvs output: %r", row)
            continue
        try:
            free, size = float(row[2]), float(row[4])
        except ValueError:
            logging.warning("Invalid sizes in pvs output: %r", row)
            continue
        pv = by_name.get(row[0])
        if pv is None:
            pv = by_name[row[0]] = PVInfo(row[0], row[1], size, free, row[3])
            order.append(row[0])
        if with_lvs and row[5]:
            pv.lv_list.append(row[5])
    return [by_name[name] for name in order]


def ParseVgsOutput(text: str) -> List[Tuple[float, float, str]]:
    """Parse vgs -o vg_free,vg_size,vg_name: [(free, size, name), ...]."""
    out = []
    for row in _SplitReport(text):
        if len(row) != 3:
            logging.warning("Invalid line in vgs output: %r", row)
            continue
        try:
            out.append((float(row[0]), float(row[1]), row[2]))
        except ValueError:
            logging.warning("Invalid sizes in vgs output: %r", row)
    return out


def ParseLvInfoLine(line: str, sep: str = REPORT_SEP) -> Dict[str, Any]:
    """Parse one line of lvs -o lv_attr,...,devices (see module doc).

    Returns attr (LvAttr), major, minor (None when inactive), pe_size (KiB),
    stripes and pv_names.
    """
    fields = [f.strip() for f in line.strip().split(sep)]
    if len(fields) != 6:
        raise errors.BlockDeviceError("Can't parse LVS output, expected 6"
                                      " fields, got %d: %r" % (len(fields), line))
    attr_s, major_s, minor_s, pe_s, stripes_s, devices = fields
    attr = LvAttr(attr_s)
    try:
        major, minor = int(major_s), int(minor_s)
        pe_size = int(float(pe_s))
        stripes = int(stripes_s)
    except ValueError:
        raise errors.BlockDeviceError("Can't parse LVS output: %r" % line)
    return {"attr": attr, "major": major if major >= 0 else None,
            "minor": minor if minor >= 0 else None, "pe_size": pe_size,
            "stripes": stripes, "pv_names": ParseDevices(devices)}


def ParseDevices(devices: str) -> List[str]:
    """"/dev/sda5(0),/dev/sdb1(12)" -> ["/dev/sda5", "/dev/sdb1"]."""
    names = []
    for item in devices.split(","):
        item = item.strip()
        if item:
            names.append(item.split("(", 1)[0])
    return names


def _ParseBytes(value: str) -> int:
    value = value.strip()
    if value.endswith(("B", "b")):
        value = value[:-1]
    return int(value)


def ParseLvsFullOutput(text: str) -> List[Dict[str, Any]]:
    """Parse the report of LVS_FULL_COMMAND: one dict per line.

    Integer columns become ints, byte sizes ints (bytes), the rest strings.
    """
    result = []
    for line in text.splitlines():
        if not line.strip():
            continue
        values = line.strip().split(";")
        if len(values) != len(LVS_FULL_FIELDS):
            raise errors.BlockDeviceError(
                "Can't parse lvs output, expected %d fields, got %d: %r"
                % (len(LVS_FULL_FIELDS), len(values), line))
        row: Dict[str, Any] = {}
        for name, value in zip(LVS_FULL_FIELDS, values):
            if name in _LVS_FULL_INTS:
                row[name] = int(value)
            elif name in _LVS_FULL_BYTES:
                row[name] = _ParseBytes(value)
            else:
                row[name] = value
        result.append(row)
    return result


def ParseLvListOutput(text: str) -> Dict[str, Tuple[str, bool, bool]]:
    """Parse lvs -o vg_name,lv_name,lv_size,lv_attr (the lv_list RPC).

    Returns {"vg/lv": (size_mib_text, inactive, online)}; virtual volumes
    hold no data and are left out.
    """
    lvs = {}
    for row in _SplitReport(text):
        if len(row) != 4 or len(row[3]) < 6:
            logging.error("Invalid line returned from lvs output: %r", row)
            continue
        vg_name, lv_name, size, attr = row
        if attr[0] == "v":
            continue
        lvs["%s/%s" % (vg_name, lv_name)] = (size, attr[4] == "-",
                                             attr[5] == "o")
    return lvs


def ParseNodeVolumesOutput(text: str) -> List[Dict[str, str]]:
    """Parse lvs -o lv_name,lv_size,devices,vg_name (node_volumes RPC).

    One dict {name, size, dev, vg} per physical device of each LV.
    """
    volumes = []
    for line in text.splitlines():
        if not line.strip():
            continue
        row = [f.strip() for f in line.split(REPORT_SEP)]
        if len(row) < 4:
            logging.warning("Strange line in the output from lvs: %r", line)
            continue
        name, size, devices, vg_name = row[0], row[1], row[2], row[3]
        for dev in ParseDevices(devices):
            volumes.append({"name": name, "size": size, "dev": dev,
                            "vg": vg_name})
    return volumes


def ParseVgsReport(text: str, vg_name: str) -> Dict[str, Any]:
    """Parse plain "vgs --noheadings" output (with LVM warnings) for vg_name.

    Returns found (the VG has a line), partial (its attributes say so)
    and missing_pvs (uuids LVM could not find).
    """
    missing = sorted(set(re.findall(
        r"Couldn't find device with uuid '?([A-Za-z0-9-]+)'?", text)))
    found = partial = False
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[0] == vg_name:
            found = True
            attr = fields[4]
            partial = len(attr) > 3 and attr[3] == "p"
    return {"found": found, "partial": partial, "missing_pvs": missing}


def ParseVgreduceOutput(text: str) -> Dict[str, Any]:
    """Parse "vgreduce --removemissing" output.

    consistent: LVM wrote a consistent VG; partial_lvs: LVs it refused to
    drop; needs_force: it asks for --force.
    """
    return {
        "consistent": "Wrote out consistent volume group" in text,
        "partial_lvs": re.findall(r"Partial LV (\S+) needs to be repaired",
                                  text),
        "needs_force": "--removemissing --force" in text,
        "missing_pvs": sorted(set(re.findall(
            r"Couldn't find device with uuid '?([A-Za-z0-9-]+)'?", text))),
    }


# --------------------------------------------------------- node queries

def _Report(cmd: List[str]) -> str:
    result = _Run(cmd)
    if result.failed:
        raise errors.BlockDeviceError("Command '%s' failed: %s" % (
            " ".join(cmd), (result.output.strip() or result.fail_reason)))
    return result.stdout


def GetPVInfo(vg_names: Optional[Sequence[str]] = None,
              filter_allocatable: bool = True,
              include_lvs: bool = False) -> Optional[List[PVInfo]]:
    """Physical volumes (of the given VGs), or None if pvs failed."""
    fields = "pv_name,vg_name,pv_free,pv_attr,pv_size"
    if include_lvs:
        fields += ",lv_name"
    cmd = ["pvs"] + _REPORT_BASE + ["-o", fields]
    result = _Run(cmd)
    if result.failed:
        logging.error("Can't get the PV information: %s - %s",
                      result.fail_reason, result.output)
        return None
    pvs = ParsePvsOutput(result.stdout, with_lvs=include_lvs)
    return [pv for pv in pvs
            if (not vg_names or pv.vg_name in vg_names)
            and (not filter_allocatable or pv.IsAllocatable())]


def GetVGInfo(vg_names: Sequence[str]) -> Optional[List[Tuple[float, float,
                                                              str]]]:
    """[(free MiB, size MiB, name)] of the given VGs, or None on failure."""
    result = _Run(["vgs"] + _REPORT_BASE + ["-o", "vg_free,vg_size,vg_name"]
                  + list(vg_names))
    if result.failed:
        logging.error("Can't get the VG information: %s - %s",
                      result.fail_reason, result.output)
        return None
    return ParseVgsOutput(result.stdout)


def ListVolumeGroups() -> Dict[str, int]:
    """VG name -> size in MiB (the vg_list RPC)."""
    out = _Report(["vgs", "--noheadings", "--units=m", "--nosuffix",
                   "--separator=%s" % REPORT_SEP, "-o", "vg_name,vg_size"])
    groups = {}
    for row in _SplitReport(out):
        if len(row) == 2:
            groups[row[0]] = int(round(float(row[1])))
    return groups


def CheckVolumeGroupSize(vglist: Dict[str, int], vg_name: str,
                         min_size: int = MIN_VG_SIZE) -> Optional[str]:
    """What is wrong with vg_name in {vg: size MiB} (missing, too small),
    or None if it is fine."""
    size = vglist.get(vg_name)
    if size is None:
        return "volume group '%s' missing" % vg_name
    if size < min_size:
        return ("volume group '%s' too small (%s MiB required, %d MiB found)"
                % (vg_name, min_size, size))
    return None


def GetVolumeList(vg_names: Any) -> Dict[str, Tuple[str, bool, bool]]:
    """Logical volumes of the VGs (the lv_list RPC), see ParseLvListOutput."""
    if isinstance(vg_names, str):
        vg_names = [vg_names]
    result = _Run(["lvs", "--noheadings", "--units=m", "--nosuffix",
                   "--separator=%s" % REPORT_SEP,
                   "-o", "vg_name,lv_name,lv_size,lv_attr"]
                  + list(vg_names or []))
    if result.failed:
        raise errors.BlockDeviceError("Failed to list logical volumes, lvs"
                                      " output: %s" % result.output)
    return ParseLvListOutput(result.stdout)


def RemoveMissingPVs(vg_name: str) -> None:
    """Drop missing PVs from a VG (repair-storage); StorageError if it stays
    inconsistent."""
    ValidateName(vg_name)
    result = _Run(["vgreduce", "--removemissing", vg_name])
    output = result.output
    parsed = ParseVgreduceOutput(output)
    if not parsed["consistent"] or parsed["needs_force"]:
        # Older LVM exit non-zero even when done; newer ones want --force
        # to drop partial LVs.
        result = _Run(["vgreduce", "--removemissing", "--force", vg_name])
        output += "\n" + result.output
    check = _Run(["vgs", "--noheadings", "--nosuffix", vg_name])
    report = ParseVgsReport(check.output, vg_name)
    if not report["found"] or report["partial"] or report["missing_pvs"]:
        raise errors.StorageError(
            "Volume group '%s' still not consistent, 'vgreduce' output: %r,"
            " 'vgs' output: %r" % (vg_name, output, check.output))


# ---------------------------------------------------------------- device

class LogicalVolume(base.BlockDev):
    """An LVM logical volume /dev/<vg>/<lv>."""

    def __init__(self, unique_id: Sequence, children: Optional[list],
                 size: int, params: Optional[Dict[str, Any]],
                 dyn_params: Optional[Dict[str, Any]] = None,
                 **kwargs: Any) -> None:
        vg_name, lv_name = base.CheckIdPair(unique_id, "plain")
        ValidateName(vg_name)
        ValidateName(lv_name)
        super().__init__(unique_id, children, size, params, dyn_params,
                         **kwargs)
        self._vg_name = vg_name
        self._lv_name = lv_name
        self.dev_path = "/dev/%s/%s" % (vg_name, lv_name)
        self._degraded = True
        self.pe_size: Optional[int] = None
        self.stripe_count: Optional[int] = None
        self.pv_names: Optional[List[str]] = None
        self.Attach()

    @classmethod
    def Create(cls, unique_id: Sequence, children: list, size: int,
               spindles: Optional[int], params: Dict[str, Any],
               excl_stor: bool, dyn_params: Dict[str, Any],
               **kwargs: Any) -> "LogicalVolume":
        """lvcreate the volume, striped over as many PVs as asked/possible."""
        vg_name, lv_name = base.CheckIdPair(unique_id, "plain")
        ValidateName(vg_name)
        ValidateName(lv_name)
        pvs = GetPVInfo([vg_name])
        if not pvs:
            base.ThrowError("No (empty) PVs found" if excl_stor else
                            "Can't compute PV info for vg %s" % vg_name)
        if excl_stor:
            if spindles is None:
                base.ThrowError("Unspecified number of spindles: this is"
                                " required when exclusive storage is enabled,"
                                " try running gnt-cluster repair-disk-sizes")
            empty = [pv for pv in pvs if pv.IsEmpty()]
            if len(empty) < spindles:
                base.ThrowError("Not enough empty PVs (spindles) to create a"
                                " disk of %d MB: %d available, %d needed",
                                size, len(empty), spindles)
            pvs = empty[:spindles]
            if sum(pv.size for pv in pvs) < size:
                base.ThrowError("Not enough space in %d spindles for a disk of"
                                " %d MB", spindles, size)
        pvs.sort(key=lambda pv: pv.free, reverse=True)
        names = [pv.name for pv in pvs]
        if any(":" in name for name in names):
            base.ThrowError("Some of your PVs have the invalid character ':'"
                            " in their name, this is not supported - please"
                            " filter them out in lvm.conf using either"
                            " 'filter' or 'preferred_names'")
        if not excl_stor:
            free = sum(pv.free for pv in pvs)
            if free < size:
                base.ThrowError("Not enough free space: required %s,"
                                " available %s", size, free)
        wanted = int((params or {}).get(LDP_STRIPES, 1) or 1)
        stripes = max(1, min(len(names), wanted))
        cmd = ["lvcreate", "-L%dm" % int(size), "-n%s" % lv_name]
        result = None
        # Fewer stripes if the free space is not spread well enough.
        for count in range(stripes, 0, -1):
            result = _Run(cmd + ["-i%d" % count, vg_name] + names)
            if not result.failed:
                break
            logging.warning("Failed to create LV %s with %d stripes: %s",
                            lv_name, count, result.output.strip())
        if result is None or result.failed:
            base.ThrowError("LV create failed (%s): %s",
                            result.fail_reason if result else "",
                            result.output if result else "")
        return cls(unique_id, children, size, params, dyn_params, **kwargs)

    def Attach(self) -> bool:
        """Read the LV's state with lvs; False if it does not exist."""
        self.attached = False
        result = _Run(["lvs", "--noheadings", "--separator=%s" % REPORT_SEP,
                       "--units=k", "--nosuffix", "-o", _LV_INFO_FIELDS,
                       self.dev_path])
        if result.failed:
            logging.info("Can't find LV %s: %s, %s", self.dev_path,
                         result.fail_reason, result.output.strip())
            return False
        lines = [line for line in result.stdout.splitlines() if line.strip()]
        if not lines:
            return False
        try:
            info = ParseLvInfoLine(lines[-1])
        except errors.BlockDeviceError as err:
            logging.error("%s", err)
            return False
        self.major = info["major"]
        self.minor = info["minor"]
        self.pe_size = info["pe_size"]
        self.stripe_count = info["stripes"]
        self.pv_names = info["pv_names"]
        attr = info["attr"]
        self._degraded = attr.is_virtual or attr.is_partial
        self.attached = True
        return True

    def Assemble(self) -> None:
        result = _Run(["lvchange", "-ay", self.dev_path])
        if result.failed:
            base.ThrowError("Can't activate lv %s: %s", self.dev_path,
                            result.output.strip())

    def Shutdown(self) -> None:
        """LVs stay active (deactivating would break a running DRBD)."""

    def Open(self, force: bool = False, exclusive: bool = True) -> None:
        """Nothing to do: an active LV is read-write."""

    def Close(self) -> None:
        """Nothing to do."""

    def Remove(self) -> None:
        if not self.attached and not self.Attach():
            return  # already gone
        result = _Run(["lvremove", "-f", "%s/%s" % (self._vg_name,
                                                      self._lv_name)])
        if result.failed:
            base.ThrowError("Can't lvremove: %s - %s", result.fail_reason,
                            result.output.strip())
        self.attached = False

    def Rename(self, new_id: Sequence) -> None:
        new_vg, new_name = base.CheckIdPair(new_id, "plain")
        ValidateName(new_name)
        if new_vg != self._vg_name:
            raise errors.ProgrammerError("Can't move a logical volume across"
                                         " volume groups (from %s to %s)"
                                         % (self._vg_name, new_vg))
        result = _Run(["lvrename", new_vg, self._lv_name, new_name])
        if result.failed:
            base.ThrowError("Failed to rename the logical volume: %s",
                            result.output.strip())
        self._lv_name = new_name
        self.dev_path = "/dev/%s/%s" % (new_vg, new_name)
        self.unique_id = tuple(new_id)

    def Grow(self, amount: int, dryrun: bool, backingstore: bool,
             excl_stor: bool) -> None:
        """lvextend by amount MiB, rounded up to whole stripes of extents."""
        if not backingstore:
            return
        if (self.pe_size is None or self.stripe_count is None) \
                and not self.Attach():
            base.ThrowError("Can't attach to LV during Grow()")
        full_stripe = (self.pe_size or 1) * (self.stripe_count or 1)
        kib = int(amount) * 1024
        rest = kib % full_stripe
        if rest:
            kib += full_stripe - rest
        cmd = ["lvextend", "-L", "+%dk" % kib]
        if dryrun:
            cmd.append("--test")
        if excl_stor:
            # Only grow on the PVs the LV already uses.
            pvs = list(self.pv_names or [])
        else:
            pvs = []
        result = None
        for policy in _ALLOC_POLICIES:
            result = _Run(cmd + ["--alloc", policy, self.dev_path] + pvs)
            if not result.failed:
                return
        base.ThrowError("Can't grow LV %s: %s", self.dev_path,
                        result.output.strip() if result else "")

    def Snapshot(self, snap_name: Optional[str] = None,
                 snap_size: Optional[int] = None) -> Tuple[str, str]:
        """Create an LVM snapshot; returns its (vg, lv) logical id."""
        snap_name = snap_name or self._lv_name + ".snap"
        size = int(snap_size or self.size)
        ValidateName(snap_name)
        # A snapshot left by an earlier (failed) export goes first.
        stale = LogicalVolume((self._vg_name, snap_name), None, size,
                              self.params, self.dyn_params)
        try:
            stale.Remove()
        except errors.BlockDeviceError as err:
            logging.warning("Can't remove the old snapshot %s: %s",
                            stale.dev_path, err)
        info = GetVGInfo([self._vg_name])
        if not info:
            base.ThrowError("Can't compute VG info for vg %s", self._vg_name)
        free = info[0][0]
        if free < size:
            base.ThrowError("Not enough free space: required %s, available %s",
                            size, free)
        result = _Run(["lvcreate", "-L%dm" % size, "-s", "-n%s" % snap_name,
                       self.dev_path])
        if result.failed:
            base.ThrowError("Command: %s error: %s - %s", result.cmd,
                            result.fail_reason, result.output.strip())
        return (self._vg_name, snap_name)

    def SetInfo(self, text: str) -> None:
        """Tag the LV with text (made a valid LVM tag)."""
        tag = re.sub(r"^[^A-Za-z0-9_+.]", "_", text or "")
        tag = re.sub(r"[^-A-Za-z0-9_+.]", "_", tag)[:_MAX_TAG_LEN]
        if not tag:
            return
        result = _Run(["lvchange", "--addtag", tag, self.dev_path])
        if result.failed:
            base.ThrowError("Command: %s error: %s - %s", result.cmd,
                            result.fail_reason, result.output.strip())

    def GetSyncStatus(self):
        from ganeti import objects
        return objects.BlockDevStatus(
            dev_path=self.dev_path, major=self.major, minor=self.minor,
            sync_percent=None, estimated_time=None,
            is_degraded=self._degraded,
            ldisk_status=base.LDS_FAULTY if self._degraded else base.LDS_OKAY)

    def GetActualSpindles(self) -> Optional[int]:
        if not self.attached and not self.Attach():
            return None
        return len(self.pv_names or [])
