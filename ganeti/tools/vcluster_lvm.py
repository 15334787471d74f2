"""The testbed's stand-in for /sbin/lvm inside a lab node (vcluster up --storage).

TESTBED ONLY, never installed: the development and CI kernels have no
device-mapper, so LVM cannot activate a logical volume.  Inside a lab node
the lvm binary (and so lvcreate, lvs, lvchange, ... which are links to it)
is this program, bind-mounted over it in the node's mount namespace.  It
runs the real lvm for every command (all metadata is real: the node's
/etc/lvm/lvm.conf disables activation and restricts scanning to the node's
own PV) and emulates what the kernel would do on activation: an active
linear LV is a loop device over the PV at the LV's extents, and
/dev/VG/LV is a symlink to it (as /dev/VG/LV links to /dev/dm-N on a real
node).  lvs reports such an LV active ("a" in lv_attr, the loop device's
kernel major:minor).  A snapshot (lvcreate -s, which LVM refuses without
device-mapper) is a plain LV holding a copy of its origin taken at creation.
A new LV is placed in the middle of the PV's largest free range, so that
LVs grow in place (lvextend keeps them contiguous, as a loop device needs).
The product's code is the same as on real hardware.

Only the Python standard library is used (it runs with the system python3).
"""

import json
import os
import subprocess
import sys

CONF_FILE = "/etc/lvm/vcluster.json"

# Warnings the real lvm prints because activation is disabled: a real node
# never shows them, so they are dropped.
_EMULATION_NOISE = ("WARNING: Activation disabled.",
                    "WARNING: Skipping zeroing and wip",
                    "not zeroed.")
# Options taking a value (so the next word is not an LV), for the commands
# whose LV arguments are looked at.
_VALUE_OPTS = {
    "-a", "--activate", "--addtag", "--deltag", "--alloc", "--config",
    "-p", "--permission", "-r", "--readahead", "-L", "--size", "-l",
    "--extents", "-n", "--name", "-i", "--stripes", "-I", "--stripesize",
    "-Z", "--zero", "-W", "--wipesignatures", "-m", "--mirrors", "--type",
    "--units", "--separator", "-o", "--options", "-O", "--sort", "-S",
    "--select", "--profile", "--commandprofile", "--metadataprofile",
    "--reportformat", "--systemid", "-C", "--contiguous", "-M",
    "--persistent", "--major", "--minor", "-k", "--setactivationskip",
    "--poolmetadatasize", "--chunksize", "-c", "-V", "--virtualsize",
    "--thinpool", "--cachepool", "--resizefs", "--nosync", "--driverloaded"}
_ATTR_FIELDS = ("lv_attr", "attr")
_MAJOR_FIELDS = ("lv_kernel_major", "kernel_major")
_MINOR_FIELDS = ("lv_kernel_minor", "kernel_minor")


class EmulationError(Exception):
    """An LV the emulation cannot activate (reported like an lvm error)."""


def LoadConf(path: str = CONF_FILE) -> dict:
    """The node's emulation settings (written by vcluster up --storage)."""
    with open(path) as handle:
        return json.load(handle)


def SplitArgs(args: list) -> tuple:
    """(options as (name, value) pairs, positional words) of an lvm command.

    Short options with a glued value ("-ay", "-L100m", "-nNAME") are split.
    """
    opts, words = [], []
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":
            words.extend(args[index:])
            break
        if not arg.startswith("-") or arg == "-":
            words.append(arg)
            continue
        if arg.startswith("--") and "=" in arg:
            name, _, value = arg.partition("=")
            opts.append((name, value))
        elif arg in _VALUE_OPTS:
            value = args[index] if index < len(args) else ""
            index += 1
            opts.append((arg, value))
        elif not arg.startswith("--") and len(arg) > 2 and arg[:2] in _VALUE_OPTS:
            opts.append((arg[:2], arg[2:]))
        else:
            opts.append((arg, None))
    return opts, words


def OptValue(opts: list, names: tuple, default=None):
    """The last value given for any of the option names."""
    found = default
    for name, value in opts:
        if name in names:
            found = value
    return found


def ActivationWanted(value: str):
    """True (activate), False (deactivate) or None for an -a/--activate value."""
    if value is None:
        return None
    value = value.lower()
    if value in ("y", "ay", "ey", "ly", "yes"):
        return True
    if value in ("n", "an", "en", "ln", "no"):
        return False
    return None


def ParseLvArg(word: str, vg_name: str):
    """(vg, lv or None) named by an LV argument, or None if it is another VG's."""
    if word.startswith("/dev/"):
        parts = word[len("/dev/"):].split("/")
        if len(parts) != 2 or parts[0] == "mapper":
            return None
        vg, lv = parts
    elif "/" in word:
        vg, _, lv = word.partition("/")
    else:
        vg, lv = word, None
    return (vg, lv) if vg == vg_name else None


def LoopPlacement(pe_start: int, extent: int, lv_size: int,
                  ranges: list) -> tuple:
    """(offset, size) in bytes of a loop device over the PV standing for a LV.

    ranges holds the LV's segments as "PV:first-last" strings in LV order;
    they must follow each other on one PV (a loop device is one linear
    range), else EmulationError.
    """
    if not ranges:
        raise EmulationError("the LV has no extents")
    pv_seen, first, expect = None, None, None
    for text in ranges:
        if " " in text.strip():
            raise EmulationError("striped LVs are not emulated")
        pv, _, span = text.strip().rpartition(":")
        start, _, end = span.partition("-")
        start, end = int(start), int(end)
        if pv_seen is None:
            pv_seen, first = pv, start
        elif pv != pv_seen or start != expect:
            raise EmulationError("an LV whose extents are not contiguous on one"
                                 " PV cannot be emulated by a loop device")
        expect = end + 1
    return pe_start + first * extent, lv_size


def PatchLvsLine(line: str, sep: str, attr_idx: list, major_idx: list,
                 minor_idx: list, active: dict) -> str:
    """One "lvs --noheadings --separator" line with the emulated state.

    The line's last field is lv_full_name (added by the wrapper) and is
    dropped; active maps "vg/lv" to (major, minor, open) of its loop device.
    """
    body = line.lstrip()
    lead = line[:len(line) - len(body)]
    fields = body.split(sep)
    full = fields.pop().strip()
    state = active.get(full)
    for idx in attr_idx:
        attr = fields[idx]
        if len(attr) >= 6:
            fields[idx] = (attr[:4] + ("a" if state else "-")
                           + ("o" if state and state[2] else "-") + attr[6:])
    for idx, pos in [(i, 0) for i in major_idx] + [(i, 1) for i in minor_idx]:
        fields[idx] = str(state[pos]) if state else "-1"
    return lead + sep.join(fields)


class Emulation:
    """Activation state of one node's VG: symlinks in /dev/VG to loop devices."""

    def __init__(self, conf: dict) -> None:
        self.conf = conf
        self.vg = conf["vg"]
        self.dev_dir = conf.get("dev_dir", "/dev/" + self.vg)

    def RunLvm(self, cmd: str, args: list) -> subprocess.CompletedProcess:
        env = dict(os.environ, LVM_SUPPRESS_FD_WARNINGS="1")
        # argv[0] "lvm": lvm takes any other program name for the command.
        return subprocess.run(["lvm", cmd] + list(args), env=env,
                              executable=self.conf["real_lvm"],
                              capture_output=True, text=True)

    def _Report(self, cmd: str, args: list) -> list:
        res = self.RunLvm(cmd, ["--noheadings", "--nosuffix", "--units", "b",
                                "--separator", "|"] + args)
        if res.returncode != 0:
            raise EmulationError(Clean(res.stderr).strip() or "%s failed" % cmd)
        return [[f.strip() for f in line.strip().split("|")]
                for line in res.stdout.splitlines() if line.strip()]

    def ListLvs(self) -> list:
        return [row[0] for row in self._Report("lvs", ["-o", "lv_name", self.vg])]

    def Active(self, with_open: bool = False) -> dict:
        """"vg/lv" -> (major, minor, open) of every emulated active LV (open:
        some process has its device open, only looked up with with_open)."""
        found = {}
        try:
            names = os.listdir(self.dev_dir)
        except OSError:
            return found
        opened = OpenDevices() if with_open and names else set()
        for name in names:
            link = os.path.join(self.dev_dir, name)
            try:
                rdev = os.stat(link).st_rdev
            except OSError:
                continue
            found["%s/%s" % (self.vg, name)] = (os.major(rdev), os.minor(rdev),
                                                os.readlink(link) in opened)
        return found

    def _Placement(self, lv: str) -> tuple:
        rows = self._Report("lvs", ["-o", "seg_pe_ranges,vg_extent_size,lv_size,"
                                    "segtype,seg_start_pe", "%s/%s" % (self.vg, lv)])
        if not rows:
            raise EmulationError("no such LV %s/%s" % (self.vg, lv))
        if any(row[3] not in ("linear", "striped") for row in rows):
            raise EmulationError("%s LVs are not emulated" % rows[0][3])
        rows.sort(key=lambda row: int(row[4]))
        pe_rows = self._Report("pvs", ["-o", "pv_name,pe_start"])
        pv_name = rows[0][0].rpartition(":")[0]
        pe_start = [int(r[1]) for r in pe_rows if r[0] == pv_name]
        if not pe_start:
            raise EmulationError("PV %s not found" % pv_name)
        offset, size = LoopPlacement(pe_start[0], int(rows[0][1]), int(rows[0][2]),
                                     [row[0] for row in rows])
        return pv_name, offset, size

    def _Losetup(self, args: list) -> str:
        res = subprocess.run([self.conf.get("losetup", "losetup")] + args,
                             capture_output=True, text=True)
        if res.returncode != 0:
            raise EmulationError("losetup %s: %s" % (" ".join(args),
                                                     res.stderr.strip()))
        return res.stdout.strip()

    @staticmethod
    def _LoopMatches(dev: str, offset: int, size: int) -> bool:
        base = "/sys/block/%s/loop/" % os.path.basename(dev)
        try:
            with open(base + "offset") as off, open(base + "sizelimit") as lim:
                return int(off.read()) == offset and int(lim.read()) == size
        except (OSError, ValueError):
            return False

    def Activate(self, lv: str, zero: bool = False) -> None:
        pv, offset, size = self._Placement(lv)
        link = os.path.join(self.dev_dir, lv)
        if os.path.islink(link):
            if self._LoopMatches(os.readlink(link), offset, size):
                return
            self.Deactivate(lv)
        dev = self._Losetup(["-f", "--show", "-o", str(offset), "--sizelimit",
                             str(size), pv])
        os.symlink(dev, link)
        if zero:  # lvcreate wipes the start of a new LV (-Z y, its default)
            with open(dev, "r+b") as handle:
                handle.write(b"\0" * min(4096, size))

    def Deactivate(self, lv: str) -> None:
        link = os.path.join(self.dev_dir, lv)
        if not os.path.islink(link):
            return
        dev = os.readlink(link)
        os.unlink(link)
        if os.path.basename(dev).startswith("loop"):
            self._Losetup(["-d", dev])

    def CopyLv(self, origin: str, target: str) -> None:
        """Copy origin's data into target (both activated), as far as fits."""
        self.Activate(origin)
        src, dst = (os.path.join(self.dev_dir, lv) for lv in (origin, target))
        with open(src, "rb") as inp, open(dst, "r+b") as out:
            left = min(os.lseek(inp.fileno(), 0, os.SEEK_END),
                       os.lseek(out.fileno(), 0, os.SEEK_END))
            inp.seek(0)
            out.seek(0)
            while left > 0:
                chunk = inp.read(min(left, 1 << 20))
                if not chunk:
                    break
                out.write(chunk)
                left -= len(chunk)
            out.flush()
            os.fsync(out.fileno())

    def Rename(self, old: str, new: str) -> None:
        link = os.path.join(self.dev_dir, old)
        if os.path.islink(link):
            os.rename(link, os.path.join(self.dev_dir, new))

    def LvsOf(self, words: list) -> list:
        """The LV names (of this VG) the positional words stand for."""
        names = []
        for word in words:
            parsed = ParseLvArg(word, self.vg)
            if parsed is None:
                continue
            names.extend([parsed[1]] if parsed[1] else self.ListLvs())
        return names


def OpenDevices(proc: str = "/proc") -> set:
    """Paths of the /dev/loop* devices some process holds open (the kernel's
    open count of a device-mapper LV is what lvs shows as "o")."""
    found = set()
    for pid in os.listdir(proc):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        fd_dir = os.path.join(proc, pid, "fd")
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if target.startswith("/dev/loop"):
                found.add(target)
    return found


def Clean(stderr: str) -> str:
    return "".join(line for line in stderr.splitlines(True)
                   if not any(noise in line for noise in _EMULATION_NOISE))


def _LvsArgs(args: list):
    """(new args, sep, attr, major, minor indexes) to patch an lvs report, or None."""
    opts, _ = SplitArgs(args)
    sep = OptValue(opts, ("--separator",))
    fields_opts = [v for n, v in opts if n in ("-o", "--options")]
    if (sep is None or not fields_opts or ("--noheadings", None) not in opts
            or any(v[:1] in "+-#" for v in fields_opts)
            or OptValue(opts, ("--reportformat",)) not in (None, "basic")
            or any(n in ("--nameprefixes", "--rows", "--aligned") for n, _ in opts)):
        return None
    fields = [f.strip() for v in fields_opts for f in v.split(",") if f.strip()]
    idx = {kind: [i for i, f in enumerate(fields) if f in names]
           for kind, names in (("a", _ATTR_FIELDS), ("M", _MAJOR_FIELDS),
                               ("m", _MINOR_FIELDS))}
    if not any(idx.values()):
        return None
    new_args, skip = [], False
    for i, arg in enumerate(args):
        if skip:
            skip = False
            continue
        if arg in ("-o", "--options"):
            skip = True
            continue
        if arg.startswith("--options=") or (arg.startswith("-o") and len(arg) > 2):
            continue
        new_args.append(arg)
    new_args = ["-o", ",".join(fields + ["lv_full_name"])] + new_args
    return new_args, sep, idx["a"], idx["M"], idx["m"]


def SnapshotArgs(args: list, vg_name: str):
    """(lvcreate args for a plain LV standing for the snapshot, origin LV)
    of "lvcreate -s ... ORIGIN", or None if it is no snapshot of vg_name's.

    LVM cannot create a snapshot without device-mapper; the emulation's
    snapshot is a plain LV of the asked size holding a copy of the origin.
    """
    opts, words = SplitArgs(args)
    if not any(n in ("-s", "--snapshot") for n, _ in opts) or len(words) != 1:
        return None
    origin = ParseLvArg(words[0], vg_name)
    if origin is None or not origin[1]:
        return None
    new_args = [a for a in args if a not in ("-s", "--snapshot", words[0])]
    return new_args + [vg_name], origin[1]


_SIZE_UNITS = {"b": 1, "s": 512, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30,
               "t": 1 << 40, "p": 1 << 50, "e": 1 << 60}


def NewLvExtents(args: list, extent: int):
    """Extents a plain lvcreate asks for (-L SIZE[unit] or -l N), or None."""
    opts, _ = SplitArgs(args)
    if any(n in ("-s", "--snapshot", "--type", "-V", "--virtualsize", "-m",
                 "--mirrors", "--thinpool") for n, _ in opts) or \
            OptValue(opts, ("-i", "--stripes"), "1") != "1":
        return None
    size = OptValue(opts, ("-L", "--size"))
    count = OptValue(opts, ("-l", "--extents"))
    try:
        if size:
            unit = size[-1].lower() if size[-1].isalpha() else "m"
            number = float(size[:-1] if size[-1].isalpha() else size)
            return max(1, -(-int(number * _SIZE_UNITS[unit]) // extent))
        if count:
            return int(count)
    except (KeyError, ValueError):
        return None
    return None


def SpreadPlacement(free: list, extents: int):
    """(first, last) PE for a new LV: in the middle of the largest free
    segment ((start, size) pairs), so that it and its neighbour can grow in
    place (a loop device only stands for a contiguous LV); at the
    segment's start if it only fits there; None if it fits nowhere."""
    if not free:
        return None
    start, size = max(free, key=lambda seg: (seg[1], -seg[0]))
    if extents > size:
        return None
    first = start + (size - extents) // 2 if extents <= size // 2 else start
    return first, first + extents - 1


def _PlacedLvcreate(args: list, emu: "Emulation") -> list:
    """lvcreate args with the new LV's PE range on the node's PV (only for
    a plain lvcreate naming just the VG); others unchanged."""
    _, words = SplitArgs(args)
    pv = emu.conf.get("pv")
    if not pv or words[:1] != [emu.vg] or any(w != pv for w in words[1:]):
        return args
    try:
        extent = int(emu._Report("vgs", ["-o", "vg_extent_size", emu.vg])[0][0])
        segments = emu._Report("pvs", ["--segments", "-o",
                                       "pv_name,pvseg_start,pvseg_size,lv_name"])
    except (EmulationError, IndexError, ValueError):
        return args
    extents = NewLvExtents(args, extent)
    free = [(int(r[1]), int(r[2])) for r in segments
            if r[0] == pv and len(r) > 3 and not r[3]]
    where = SpreadPlacement(free, extents) if extents else None
    if where is None:
        return args
    return [a for a in args if a != pv] + ["%s:%d-%d" % (pv, where[0], where[1])]


def Run(cmd: str, args: list, emu: Emulation) -> int:
    """Run one lvm command with emulated activation; returns its exit status."""
    snapshot = SnapshotArgs(args, emu.vg) if cmd == "lvcreate" else None
    if snapshot:
        args = snapshot[0]
    elif cmd == "lvcreate":
        args = _PlacedLvcreate(args, emu)
    opts, words = SplitArgs(args)
    test = any(name in ("-t", "--test") for name, _ in opts)
    before = []
    if cmd == "lvremove" and not test:
        before = emu.LvsOf(words)
    lvs_patch = _LvsArgs(args) if cmd == "lvs" else None
    res = emu.RunLvm(cmd, lvs_patch[0] if lvs_patch else args)
    out = res.stdout
    if lvs_patch and res.returncode == 0:
        _, sep, a_idx, maj_idx, min_idx = lvs_patch
        active = emu.Active(with_open=bool(a_idx))
        out = "".join(PatchLvsLine(line.rstrip("\n"), sep, a_idx, maj_idx,
                                   min_idx, active) + "\n"
                      for line in out.splitlines() if line.strip())
    sys.stdout.write(out)
    sys.stderr.write(Clean(res.stderr))
    if res.returncode != 0 or test:
        return res.returncode
    try:
        _Emulate(cmd, opts, words, before, emu)
        if snapshot:
            emu.CopyLv(snapshot[1], OptValue(opts, ("-n", "--name")))
    except (EmulationError, OSError) as err:
        sys.stderr.write("  vcluster storage emulation: %s\n" % err)
        return 5
    return 0


def _Emulate(cmd: str, opts: list, words: list, before: list,
             emu: Emulation) -> None:
    wanted = ActivationWanted(OptValue(opts, ("-a", "--activate")))
    if cmd == "lvcreate":
        snapshot = any(n in ("-s", "--snapshot") for n, _ in opts)
        name = OptValue(opts, ("-n", "--name"))
        target = ParseLvArg(words[0], emu.vg) if words else None
        if target and target[1] and not name:
            name = target[1]
        if wanted is not False and not snapshot and target and name:
            zero = (OptValue(opts, ("-Z", "--zero")) or "y").lower() != "n"
            emu.Activate(name, zero=zero)
    elif cmd in ("lvchange", "vgchange") and wanted is not None:
        names = (emu.ListLvs() if cmd == "vgchange" and emu.vg in words
                 else emu.LvsOf(words) if cmd == "lvchange" else [])
        for name in names:
            emu.Activate(name) if wanted else emu.Deactivate(name)
    elif cmd == "lvremove":
        left = set(emu.ListLvs())
        for name in before:
            if name not in left:
                emu.Deactivate(name)
    elif cmd == "lvrename":
        if len(words) == 3 and words[0] == emu.vg:
            emu.Rename(words[1], words[2])
        elif len(words) == 2:
            old = ParseLvArg(words[0], emu.vg)
            if old and old[1]:
                new = words[1].rpartition("/")[2]
                emu.Rename(old[1], new)
    elif cmd in ("lvextend", "lvreduce", "lvresize"):
        active = emu.Active()
        for name in emu.LvsOf(words[:1]):
            if "%s/%s" % (emu.vg, name) in active:
                emu.Activate(name)


def main(argv: list = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    cmd, args = os.path.basename(argv[0]), argv[1:]
    conf = LoadConf()
    if cmd == "lvm":
        if not args or args[0].startswith("-"):
            os.execv(conf["real_lvm"], ["lvm"] + args)
        cmd, args = args[0], args[1:]
    return Run(cmd, args, Emulation(conf))
