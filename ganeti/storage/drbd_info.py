"""DRBD state readers and command lines (no device logic here).

- ProcInfo parses /proc/drbd (DRBD 8.0 to 8.4 layouts): the kernel module
  version and one MinorStatus per listed minor (connection state, roles,
  disk states, resync progress).
- ParseShowOutput parses ``drbdsetup show`` (8.0/8.3 flat layout and the
  8.4 ``resource { ... }`` layout) into the few facts Ganeti compares:
  local/meta device, meta index and the local/remote addresses.
- CmdGenerator84 / CmdGenerator83 build the drbdsetup/drbdmeta command lines
  for each action in the syntax of that utilities version.
"""

import re
import shlex
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ganeti import errors

DRBD_MAJOR = 147
PROC_FILE = "/proc/drbd"
USERMODE_HELPER_FILE = "/sys/module/drbd/parameters/usermode_helper"

# Logical-disk parameters of DRBD disks (keys of Disk.params on the node).
LDP_RESYNC_RATE = "resync-rate"
LDP_BARRIERS = "disabled-barriers"
LDP_NO_META_FLUSH = "disable-meta-flush"
LDP_DEFAULT_METAVG = "default-metavg"
LDP_DISK_CUSTOM = "disk-custom"
LDP_NET_CUSTOM = "net-custom"
LDP_PROTOCOL = "protocol"
LDP_DYNAMIC_RESYNC = "dynamic-resync"
LDP_PLAN_AHEAD = "c-plan-ahead"
LDP_FILL_TARGET = "c-fill-target"
LDP_DELAY_TARGET = "c-delay-target"
LDP_MAX_RATE = "c-max-rate"
LDP_MIN_RATE = "c-min-rate"

DEFAULT_PARAMS: Dict[str, Any] = {
    LDP_RESYNC_RATE: 61440, LDP_BARRIERS: "n", LDP_NO_META_FLUSH: False,
    LDP_DEFAULT_METAVG: "xenvg", LDP_DISK_CUSTOM: "", LDP_NET_CUSTOM: "",
    LDP_PROTOCOL: "C", LDP_DYNAMIC_RESYNC: False, LDP_PLAN_AHEAD: 20,
    LDP_FILL_TARGET: 0, LDP_DELAY_TARGET: 1, LDP_MAX_RATE: 61440,
    LDP_MIN_RATE: 4096,
}

# disabled-barriers letters: n (none), b (barriers), f (flushes), d (drain).
BARRIERS_NONE = "n"
_BARRIER_LETTERS = {"b": "--disk-barrier", "f": "--disk-flushes",
                    "d": "--disk-drain"}
_BARRIER_LETTERS_83 = {"b": "--no-disk-barrier", "f": "--no-disk-flushes",
                       "d": "--no-disk-drain"}

HMAC_ALG = "md5"
MIGRATION_NET_PROTOCOL = "C"

# Connection states.
CS_UNCONFIGURED = "Unconfigured"
CS_STANDALONE = "StandAlone"
CS_WFCONNECTION = "WFConnection"
CS_WFREPORTPARAMS = "WFReportParams"
CS_CONNECTED = "Connected"
CSET_SYNC = frozenset([
    CS_WFREPORTPARAMS, "StartingSyncS", "StartingSyncT", "WFBitMapS",
    "WFBitMapT", "WFSyncUUID", "SyncSource", "SyncTarget", "PausedSyncS",
    "PausedSyncT"])
# Disk states.
DS_DISKLESS = "Diskless"
DS_UPTODATE = "UpToDate"
# Roles.
RO_PRIMARY = "Primary"
RO_SECONDARY = "Secondary"
RO_UNKNOWN = "Unknown"

_VERSION_RE = re.compile(
    r"^version:\s+(\d+)\.(\d+)\.(\d+)(?:\.(\d+))?(?:-(\d+))?\s+"
    r"\(api:(\d+)/proto:(\d+)(?:-(\d+))?\)")
_MINOR_RE = re.compile(r"^\s*(\d+):\s*cs:(\S+)")
_ROLES_RE = re.compile(r"\s(?:ro|st):(\w+)/(\w+)")
_DISKS_RE = re.compile(r"\sds:(\w+)/(\w+)")
_SYNC_RE = re.compile(r"sync'ed:\s*([0-9.]+)%")
_FINISH_RE = re.compile(r"finish:\s*(\d+):(\d+):(\d+)")


def _Error(msg: str, *args: Any) -> errors.BlockDeviceError:
    return errors.BlockDeviceError(msg % args if args else msg)


class MinorStatus:
    """The state of one DRBD minor as /proc/drbd shows it."""

    def __init__(self, minor: int, text: str) -> None:
        match = _MINOR_RE.match(text)
        if not match or int(match.group(1)) != minor:
            raise _Error("Can't parse input data '%s'", text)
        self.minor = minor
        self.cstatus = match.group(2)
        roles = _ROLES_RE.search(text)
        self.lrole, self.rrole = roles.groups() if roles else (None, None)
        disks = _DISKS_RE.search(text)
        self.ldisk, self.rdisk = disks.groups() if disks else (None, None)

        self.is_unconfigured = self.cstatus == CS_UNCONFIGURED
        self.is_in_use = not self.is_unconfigured
        self.is_standalone = self.cstatus == CS_STANDALONE
        self.is_wfconn = self.cstatus == CS_WFCONNECTION
        self.is_connected = self.cstatus == CS_CONNECTED
        self.is_in_resync = self.cstatus in CSET_SYNC
        self.is_primary = self.lrole == RO_PRIMARY
        self.is_secondary = self.lrole == RO_SECONDARY
        self.peer_primary = self.rrole == RO_PRIMARY
        self.peer_secondary = self.rrole == RO_SECONDARY
        self.both_primary = self.is_primary and self.peer_primary
        self.is_diskless = self.ldisk == DS_DISKLESS
        self.is_disk_uptodate = self.ldisk == DS_UPTODATE
        self.peer_disk_uptodate = self.rdisk == DS_UPTODATE

        sync = _SYNC_RE.search(text)
        self.sync_percent: Optional[float] = \
            float(sync.group(1)) if sync else None
        finish = _FINISH_RE.search(text)
        self.est_time: Optional[int] = None
        if finish:
            hours, mins, secs = (int(v) for v in finish.groups())
            self.est_time = hours * 3600 + mins * 60 + secs

    def __repr__(self) -> str:
        return "<MinorStatus %d cs:%s ro:%s/%s ds:%s/%s>" % (
            self.minor, self.cstatus, self.lrole, self.rrole, self.ldisk,
            self.rdisk)


class ProcInfo:
    """The contents of /proc/drbd."""

    def __init__(self, lines: Sequence[str]) -> None:
        self._version: Optional[Dict[str, int]] = None
        for line in lines[:3]:
            match = _VERSION_RE.match(line)
            if match:
                self._version = self._VersionDict(match)
                break
        self._minors: Dict[int, MinorStatus] = {}
        current: Optional[int] = None
        chunks: Dict[int, List[str]] = {}
        for line in lines:
            match = _MINOR_RE.match(line)
            if match:
                current = int(match.group(1))
                chunks[current] = [line]
            elif current is not None and line[:1].isspace() and line.strip():
                chunks[current].append(line)
            elif not line.strip():
                continue
            else:
                current = None
        for minor, parts in chunks.items():
            self._minors[minor] = MinorStatus(minor, " ".join(
                p.strip() for p in parts))

    @staticmethod
    def _VersionDict(match) -> Dict[str, int]:
        (k_major, k_minor, k_point, k_fix, k_fix2, api, proto,
         proto2) = match.groups()
        version = {"k_major": int(k_major), "k_minor": int(k_minor),
                   "k_point": int(k_point), "api": int(api),
                   "proto": int(proto)}
        if k_fix is not None:
            version["k_fix"] = int(k_fix)
        elif k_fix2 is not None:
            version["k_fix"] = int(k_fix2)
        if proto2 is not None:
            version["proto2"] = int(proto2)
        return version

    @classmethod
    def FromText(cls, text: str) -> "ProcInfo":
        return cls(text.splitlines())

    @classmethod
    def FromFile(cls, filename: str = PROC_FILE) -> "ProcInfo":
        try:
            with open(filename) as handle:
                return cls.FromText(handle.read())
        except EnvironmentError as err:
            raise _Error("Can't read DRBD status file %s: %s (is the drbd"
                         " module loaded?)", filename, err)

    def GetVersion(self) -> Dict[str, int]:
        """k_major, k_minor, k_point, api, proto (+ k_fix, proto2)."""
        if self._version is None:
            raise _Error("Can't read the DRBD version from /proc/drbd")
        return dict(self._version)

    def GetVersionString(self) -> str:
        version = self.GetVersion()
        text = "%d.%d.%d" % (version["k_major"], version["k_minor"],
                             version["k_point"])
        if "k_fix" in version:
            text += ".%d" % version["k_fix"]
        return text

    def GetMinors(self) -> List[int]:
        """Every minor listed, configured or not."""
        return sorted(self._minors)

    def GetUsedDevs(self) -> Dict[int, MinorStatus]:
        """Minors that are configured (not Unconfigured)."""
        return {m: st for m, st in self._minors.items() if st.is_in_use}

    def HasMinorStatus(self, minor: int) -> bool:
        return minor in self._minors

    def GetMinorStatus(self, minor: int) -> MinorStatus:
        if minor not in self._minors:
            raise _Error("drbd%d: no status in /proc/drbd", minor)
        return self._minors[minor]


def ReadUsermodeHelper(filename: str = USERMODE_HELPER_FILE) -> str:
    """The DRBD kernel module's usermode helper (e.g. /bin/true)."""
    try:
        with open(filename) as handle:
            helper = handle.read().strip()
    except EnvironmentError as err:
        raise _Error("Can't read the DRBD usermode helper from %s: %s",
                     filename, err)
    if not helper:
        raise _Error("Can't read any data from %s", filename)
    return helper


# ------------------------------------------------------- drbdsetup show

_Statement = Tuple[List[str], Optional[list]]


def _Tokenize(text: str) -> List[str]:
    tokens = []
    i, size = 0, len(text)
    while i < size:
        char = text[i]
        if char.isspace():
            i += 1
        elif char == "#":
            while i < size and text[i] != "\n":
                i += 1
        elif char in "{};":
            tokens.append(char)
            i += 1
        elif char == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise _Error("Unterminated string in drbdsetup show output")
            tokens.append(text[i + 1:end])
            i = end + 1
        else:
            start = i
            while i < size and not text[i].isspace() and text[i] not in '{};"':
                i += 1
            tokens.append(text[start:i])
    return tokens


def _ParseStatements(tokens: List[str], pos: int, nested: bool
                     ) -> Tuple[List[_Statement], int]:
    statements: List[_Statement] = []
    words: List[str] = []
    while pos < len(tokens):
        tok = tokens[pos]
        pos += 1
        if tok == ";":
            if words:
                statements.append((words, None))
            words = []
        elif tok == "{":
            body, pos = _ParseStatements(tokens, pos, True)
            statements.append((words, body))
            words = []
        elif tok == "}":
            if not nested:
                raise _Error("Unbalanced '}' in drbdsetup show output")
            if words:
                raise _Error("Missing ';' before '}' in drbdsetup show output")
            return statements, pos
        else:
            words.append(tok)
    if nested:
        raise _Error("Missing '}' in drbdsetup show output")
    if words:
        raise _Error("Missing ';' at the end of drbdsetup show output")
    return statements, pos


def _FindBlock(statements: List[_Statement], name: str
               ) -> Optional[List[_Statement]]:
    """The body of the first block called name, searched depth-first."""
    for words, body in statements:
        if body is None:
            continue
        if words and words[0] == name:
            return body
        found = _FindBlock(body, name)
        if found is not None:
            return found
    return None


def _FindStatements(statements: List[_Statement], name: str
                    ) -> List[List[str]]:
    """Every simple statement (not a block) named name, depth-first."""
    found = []
    for words, body in statements:
        if body is None:
            if words and words[0] == name:
                found.append(words[1:])
        else:
            found.extend(_FindStatements(body, name))
    return found


def _ParseAddress(args: List[str]) -> Tuple[str, int]:
    if args and args[0] in ("ipv4", "ipv6", "ssocks", "sdp", "sci"):
        args = args[1:]
    if len(args) != 1:
        raise _Error("Can't parse address %r", args)
    host, sep, port = args[0].rpartition(":")
    if not sep or not port.isdigit():
        raise _Error("Can't parse address %r", args[0])
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, int(port)


def _Options(body: Optional[List[_Statement]]) -> Dict[str, str]:
    opts = {}
    for words, sub in body or []:
        if sub is None and len(words) >= 2:
            opts[words[0]] = words[1]
    return opts


def ParseShowOutput(text: str) -> Dict[str, Any]:
    """The facts of ``drbdsetup show``: local_dev, meta_dev, meta_index,
    local_addr and remote_addr ((host, port)), protocol, and the net/disk
    option sections (name -> value) when present."""
    statements, _ = _ParseStatements(_Tokenize(text), 0, False)
    info: Dict[str, Any] = {}
    this_host = _FindBlock(statements, "_this_host")
    if this_host is not None:
        disks = _FindStatements(this_host, "disk")
        if disks and disks[0]:
            info["local_dev"] = disks[0][0]
        metas = _FindStatements(this_host, "meta-disk")
        if metas and metas[0]:
            meta = metas[0]
            info["meta_dev"] = meta[0]
            if len(meta) >= 4 and meta[1] == "[" and meta[3] == "]":
                info["meta_index"] = int(meta[2])
        addrs = _FindStatements(this_host, "address")
        if addrs:
            info["local_addr"] = _ParseAddress(addrs[0])
    remote = _FindBlock(statements, "_remote_host")
    if remote is not None:
        addrs = _FindStatements(remote, "address")
        if addrs:
            info["remote_addr"] = _ParseAddress(addrs[0])
    for words, _ in statements:
        if words[:1] == ["protocol"] and len(words) == 2:
            info["protocol"] = words[1]
    net = _FindBlock(statements, "net")
    if net is not None:
        info["net"] = _Options(net)
        if "protocol" in info["net"] and "protocol" not in info:
            info["protocol"] = info["net"]["protocol"]
    disk_opts = _FindBlock(statements, "disk")
    if disk_opts is not None:
        info["disk"] = _Options(disk_opts)
    return info


# ------------------------------------------------------- command lines

def _CheckBarriers(value: str) -> List[str]:
    letters = sorted(set(value or BARRIERS_NONE))
    if letters == [BARRIERS_NONE]:
        return []
    if not letters or any(c not in _BARRIER_LETTERS for c in letters):
        raise _Error("%r is not a valid value for the disk barriers"
                     " parameter (use 'n' or letters from 'bfd')", value)
    return letters


def _Param(params: Dict[str, Any], key: str) -> Any:
    return params.get(key, DEFAULT_PARAMS[key])


def _FmtAddress(family: str, host: str, port: int) -> str:
    """ipv4:1.2.3.4:11000 / ipv6:[2001:db8::1]:11000 (drbdsetup 8.4)."""
    if family == "ipv6":
        return "ipv6:[%s]:%d" % (host, port)
    return "%s:%s:%d" % (family, host, port)


class CmdGenerator84:
    """drbdsetup/drbdmeta command lines of DRBD 8.4 utilities."""

    def __init__(self, version: Optional[Dict[str, int]] = None) -> None:
        self.version = version or {}

    @staticmethod
    def ResourceName(minor: int) -> str:
        return "resource%d" % minor

    @staticmethod
    def DevPath(minor: int) -> str:
        return "/dev/drbd%d" % minor

    def ShowCmd(self, minor: int) -> List[str]:
        return ["drbdsetup", "show", str(minor)]

    def InitMetaCmd(self, minor: int, meta_dev: str) -> List[str]:
        return ["drbdmeta", "--force", self.DevPath(minor), "v08", meta_dev,
                "0", "create-md"]

    def LocalInitCmds(self, minor: int, data_dev: str, meta_dev: str,
                      size_mb: Optional[int], params: Dict[str, Any]
                      ) -> List[List[str]]:
        res = self.ResourceName(minor)
        attach = ["drbdsetup", "attach", str(minor), data_dev, meta_dev, "0",
                  "--on-io-error", "detach"]
        if size_mb:
            attach += ["--size", "%dm" % size_mb]
        for letter in _CheckBarriers(_Param(params, LDP_BARRIERS)):
            attach += [_BARRIER_LETTERS[letter], "no"]
        if _Param(params, LDP_NO_META_FLUSH):
            attach += ["--md-flushes", "no"]
        custom = _Param(params, LDP_DISK_CUSTOM)
        if custom:
            attach += shlex.split(custom)
        return [["drbdsetup", "new-resource", res],
                ["drbdsetup", "new-minor", res, str(minor), "0"],
                # The activity log must be applied before attaching.
                ["drbdmeta", self.DevPath(minor), "v08", meta_dev, "0",
                 "apply-al"],
                attach]

    def NetInitCmd(self, minor: int, family: str, lhost: str, lport: int,
                   rhost: str, rport: int, protocol: str, dual_pri: bool,
                   hmac: Optional[str], secret: Optional[str],
                   params: Dict[str, Any]) -> List[str]:
        cmd = ["drbdsetup", "connect", self.ResourceName(minor),
               _FmtAddress(family, lhost, lport),
               _FmtAddress(family, rhost, rport),
               "--protocol", protocol,
               "--after-sb-0pri", "discard-zero-changes",
               "--after-sb-1pri", "consensus"]
        if dual_pri:
            cmd.append("--allow-two-primaries")
        if hmac and secret:
            cmd += ["--cram-hmac-alg", hmac, "--shared-secret", secret]
        custom = _Param(params, LDP_NET_CUSTOM)
        if custom:
            cmd += shlex.split(custom)
        return cmd

    def SyncParamsCmd(self, minor: int, params: Dict[str, Any]) -> List[str]:
        cmd = ["drbdsetup", "disk-options", str(minor),
               "--resync-rate", "%d" % int(_Param(params, LDP_RESYNC_RATE))]
        if _Param(params, LDP_DYNAMIC_RESYNC):
            if not _Param(params, LDP_FILL_TARGET) and \
                    not _Param(params, LDP_DELAY_TARGET):
                raise _Error("Either c-fill-target or c-delay-target must be"
                             " set for dynamic resync")
            for key in (LDP_PLAN_AHEAD, LDP_FILL_TARGET, LDP_DELAY_TARGET,
                        LDP_MAX_RATE, LDP_MIN_RATE):
                cmd += ["--" + key, "%d" % int(_Param(params, key))]
        else:
            cmd += ["--" + LDP_PLAN_AHEAD, "0"]
        return cmd

    def PauseSyncCmd(self, minor: int) -> List[str]:
        return ["drbdsetup", "pause-sync", str(minor)]

    def ResumeSyncCmd(self, minor: int) -> List[str]:
        return ["drbdsetup", "resume-sync", str(minor)]

    def PrimaryCmd(self, minor: int, force: bool) -> List[str]:
        cmd = ["drbdsetup", "primary", str(minor)]
        if force:
            cmd.append("--force")
        return cmd

    def SecondaryCmd(self, minor: int) -> List[str]:
        return ["drbdsetup", "secondary", str(minor)]

    def DetachCmd(self, minor: int) -> List[str]:
        return ["drbdsetup", "detach", str(minor)]

    def DisconnectCmd(self, minor: int, family: str, lhost: str, lport: int,
                      rhost: str, rport: int) -> List[str]:
        return ["drbdsetup", "disconnect", _FmtAddress(family, lhost, lport),
                _FmtAddress(family, rhost, rport)]

    def DownCmd(self, minor: int) -> List[str]:
        return ["drbdsetup", "down", self.ResourceName(minor)]

    def ResizeCmd(self, minor: int, size_mb: int) -> List[str]:
        return ["drbdsetup", "resize", str(minor), "--size", "%dm" % size_mb]


class CmdGenerator83(CmdGenerator84):
    """The DRBD 8.3 (and older) syntax: the device comes first."""

    def _Dev(self, minor: int) -> List[str]:
        return ["drbdsetup", self.DevPath(minor)]

    def ShowCmd(self, minor: int) -> List[str]:
        return self._Dev(minor) + ["show"]

    def LocalInitCmds(self, minor, data_dev, meta_dev, size_mb, params):
        cmd = self._Dev(minor) + ["disk", data_dev, meta_dev, "0", "-e",
                                  "detach", "--create-device"]
        if size_mb:
            cmd += ["-d", "%dm" % size_mb]
        for letter in _CheckBarriers(_Param(params, LDP_BARRIERS)):
            cmd.append(_BARRIER_LETTERS_83[letter])
        if _Param(params, LDP_NO_META_FLUSH):
            cmd.append("--no-md-flushes")
        custom = _Param(params, LDP_DISK_CUSTOM)
        if custom:
            cmd += shlex.split(custom)
        return [cmd]

    def NetInitCmd(self, minor, family, lhost, lport, rhost, rport, protocol,
                   dual_pri, hmac, secret, params):
        if family == "ipv6":
            local, remote = ("ipv6 [%s]:%d" % (lhost, lport),
                             "ipv6 [%s]:%d" % (rhost, rport))
        else:
            local, remote = "%s:%d" % (lhost, lport), "%s:%d" % (rhost, rport)
        cmd = self._Dev(minor) + ["net", local, remote, protocol, "-A",
                                  "discard-zero-changes", "-B", "consensus",
                                  "--create-device"]
        if dual_pri:
            cmd.append("-m")
        if hmac and secret:
            cmd += ["-a", hmac, "-x", secret]
        custom = _Param(params, LDP_NET_CUSTOM)
        if custom:
            cmd += shlex.split(custom)
        return cmd

    def SyncParamsCmd(self, minor, params):
        cmd = self._Dev(minor) + ["syncer", "-r", "%d" % int(
            _Param(params, LDP_RESYNC_RATE)), "--create-device"]
        if _Param(params, LDP_DYNAMIC_RESYNC):
            version = self.version
            if (version.get("k_minor", 3), version.get("k_point", 9)) < (3, 9):
                raise _Error("The current DRBD version doesn't support"
                             " dynamic resync speed")
            for key in (LDP_PLAN_AHEAD, LDP_FILL_TARGET, LDP_DELAY_TARGET,
                        LDP_MAX_RATE, LDP_MIN_RATE):
                cmd += ["--" + key, "%d" % int(_Param(params, key))]
        return cmd

    def PauseSyncCmd(self, minor):
        return self._Dev(minor) + ["pause-sync"]

    def ResumeSyncCmd(self, minor):
        return self._Dev(minor) + ["resume-sync"]

    def PrimaryCmd(self, minor, force):
        cmd = self._Dev(minor) + ["primary"]
        if force:
            cmd.append("-o")
        return cmd

    def SecondaryCmd(self, minor):
        return self._Dev(minor) + ["secondary"]

    def DetachCmd(self, minor):
        return self._Dev(minor) + ["detach"]

    def DisconnectCmd(self, minor, family, lhost, lport, rhost, rport):
        return self._Dev(minor) + ["disconnect"]

    def DownCmd(self, minor):
        return self._Dev(minor) + ["down"]

    def ResizeCmd(self, minor, size_mb):
        return self._Dev(minor) + ["resize", "-s", "%dm" % size_mb]


def GetCmdGenerator(version: Dict[str, int]) -> CmdGenerator84:
    """The command syntax for a kernel module version (8.x only)."""
    if version.get("k_major") != 8:
        raise _Error("Unsupported DRBD kernel version %s.%s: Ganeti needs 8.x",
                     version.get("k_major"), version.get("k_minor"))
    if version.get("k_minor", 0) <= 3:
        return CmdGenerator83(version)
    return CmdGenerator84(version)
