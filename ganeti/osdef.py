"""Guest OS definitions (the ``ganeti-os-interface``, API 10, 15 and 20).

An OS definition is a directory named after the OS in one of the
directories of ``pathutils.OS_SEARCH_PATH``.  It holds:

``ganeti_api_version``  API versions, one per line (10, 15 and 20 known)
``create`` and/or ``create_untrusted``, ``import``, ``export``, ``rename``
                        executable scripts
``verify``              script, API 20 (called as ``verify parameters``)
``parameters.list``     API 20: ``name description`` per line
``variants.list``       API 15+, optional: one variant per line

This module finds and checks definitions (`LoadOS`, `FindOS`,
`DiagnoseOSes`), builds the environment the scripts get
(`BuildCoreEnv`, `BuildInstanceEnv`) and runs scripts with their output in
a log file below ``pathutils.LOG_OS_DIR`` (`RunScript`).  The node daemon's
RPC functions are in ganeti.backend.osinstall.
"""

import logging
import os
import stat
import time
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti.utils import io as utils_io
from ganeti.utils import process as utils_process

OS_API_V10 = 10
OS_API_V15 = 15
OS_API_V20 = 20
OS_API_VERSIONS = frozenset(constants.OS_API_VERSIONS)

OS_API_FILE = "ganeti_api_version"
OS_VARIANTS_FILE = "variants.list"
OS_PARAMETERS_FILE = "parameters.list"

OS_SCRIPT_CREATE = "create"
OS_SCRIPT_CREATE_UNTRUSTED = "create_untrusted"
OS_SCRIPT_IMPORT = "import"
OS_SCRIPT_EXPORT = "export"
OS_SCRIPT_RENAME = "rename"
OS_SCRIPT_VERIFY = "verify"
OS_SCRIPTS = (OS_SCRIPT_CREATE, OS_SCRIPT_CREATE_UNTRUSTED, OS_SCRIPT_IMPORT,
              OS_SCRIPT_EXPORT, OS_SCRIPT_RENAME, OS_SCRIPT_VERIFY)

#: The checks "verify" knows (its command line arguments).
OS_VALIDATE_PARAMETERS = "parameters"
OS_VALIDATE_CALLS = frozenset([OS_VALIDATE_PARAMETERS])

#: PATH of every OS script.
OS_SCRIPT_PATH = "/sbin:/bin:/usr/sbin:/usr/bin"
#: Separator of OS name and variant ("debootstrap+buster").
VARIANT_SEP = "+"
#: Log lines quoted in the error of a failed script.
LOG_TAIL_LINES = 20
#: Seconds a "verify" run may take.
VERIFY_TIMEOUT = 300

# Kinds of script runs, as used in log file names.
LOG_KIND_ADD = "add"
LOG_KIND_RENAME = "rename"
LOG_KIND_IMPORT = "import"
LOG_KIND_EXPORT = "export"


class InvalidOS(errors.GenericError):
    """An OS definition is missing or broken: args are (name, reason)."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(name, reason)
        self.name = name
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


# ------------------------------------------------------------------ names


def SplitNameVariant(name: str) -> Tuple[str, str]:
    """("debian", "buster") for "debian+buster"; variant "" if none."""
    base, _, variant = name.partition(VARIANT_SEP)
    return base, variant


def GetName(name: str) -> str:
    return SplitNameVariant(name)[0]


def GetVariant(name: str) -> str:
    return SplitNameVariant(name)[1]


def CalculateOSNames(name: str, variants: Optional[Sequence[str]]
                     ) -> List[str]:
    """The names an OS is used by: "os+variant" each, or just "os"."""
    if variants:
        return ["%s%s%s" % (name, VARIANT_SEP, v) for v in variants]
    return [name]


def OSParamEnvName(param: str) -> str:
    """Environment variable of an OS parameter ("mirror-url" -> OSP_...)."""
    return "OSP_" + param.upper().replace("-", "_")


# ------------------------------------------------------------ definitions


class OSDefinition:
    """One OS definition as found on disk."""

    def __init__(self, name: str, path: str, api_versions: List[int],
                 scripts: Dict[str, str], variants: List[str],
                 parameters: List[List[str]]) -> None:
        self.name = name
        self.path = path
        self.api_versions = api_versions
        self.scripts = scripts
        self.variants = variants
        self.parameters = parameters

    @property
    def api_version(self) -> int:
        """The API version used with this OS (highest one both know)."""
        return max(OS_API_VERSIONS.intersection(self.api_versions))

    @property
    def trusted(self) -> bool:
        """Trusted OSes have a "create" script the node may run itself."""
        return OS_SCRIPT_CREATE in self.scripts

    @property
    def parameter_names(self) -> List[str]:
        return [p[0] for p in self.parameters]

    def Script(self, kind: str) -> Optional[str]:
        return self.scripts.get(kind)

    def CreateScript(self) -> Optional[str]:
        """The install script: "create", else "create_untrusted"."""
        return (self.scripts.get(OS_SCRIPT_CREATE) or
                self.scripts.get(OS_SCRIPT_CREATE_UNTRUSTED))

    def ToDict(self) -> Dict[str, Any]:
        return {"name": self.name, "path": self.path,
                "api_versions": list(self.api_versions),
                "supported_variants": list(self.variants),
                "supported_parameters": [list(p) for p in self.parameters],
                "trusted": self.trusted}

    def __repr__(self) -> str:
        return "<OSDefinition %s at %s>" % (self.name, self.path)


def _ReadListFile(path: str) -> List[str]:
    """Lines of a list file without blank lines and "#" comments."""
    lines = []
    for line in utils_io.ReadFile(path).splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def ReadApiVersions(name: str, os_dir: str) -> List[int]:
    """The API versions an OS directory declares (InvalidOS if unusable)."""
    path = os.path.join(os_dir, OS_API_FILE)
    try:
        st = os.stat(path)
    except OSError as err:
        raise InvalidOS(name, "Required file '%s' not found under path %s:"
                        " %s" % (OS_API_FILE, os_dir, err.strerror))
    if not stat.S_ISREG(st.st_mode):
        raise InvalidOS(name, "File '%s' under path '%s' is not a regular"
                        " file" % (OS_API_FILE, os_dir))
    try:
        lines = _ReadListFile(path)
    except (OSError, UnicodeDecodeError) as err:
        raise InvalidOS(name, "Error while reading the API version file at"
                        " %s: %s" % (path, err))
    versions = []
    for line in lines:
        try:
            versions.append(int(line))
        except ValueError:
            raise InvalidOS(name, "API version '%s' in %s is not a number" %
                            (line, path))
    if not versions:
        raise InvalidOS(name, "No API version declared in %s" % path)
    return versions


def _CheckFile(name: str, os_dir: str, fname: str, script: bool
               ) -> Optional[str]:
    """Path of fname if present (None if absent); InvalidOS if unusable."""
    path = os.path.join(os_dir, fname)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as err:
        raise InvalidOS(name, "File '%s' under path '%s' is not accessible:"
                        " %s" % (fname, os_dir, err.strerror))
    if not stat.S_ISREG(st.st_mode):
        raise InvalidOS(name, "File '%s' under path '%s' is not a regular"
                        " file" % (fname, os_dir))
    if script and not st.st_mode & stat.S_IXUSR:
        raise InvalidOS(name, "File '%s' under path '%s' is not executable"
                        % (fname, os_dir))
    return path


def LoadOS(name: str, os_dir: str) -> OSDefinition:
    """Read and check the OS definition in os_dir (InvalidOS if broken)."""
    if not os.path.isdir(os_dir):
        raise InvalidOS(name, "OS dir %s not found" % os_dir)
    declared = ReadApiVersions(name, os_dir)
    common = OS_API_VERSIONS.intersection(declared)
    if not common:
        raise InvalidOS(name, "Incompatible OS API version(s) %s; this node"
                        " supports %s" % (
                            ", ".join(str(v) for v in sorted(declared)),
                            ", ".join(str(v) for v in
                                      sorted(OS_API_VERSIONS))))
    api = max(common)
    required = [OS_SCRIPT_IMPORT, OS_SCRIPT_EXPORT, OS_SCRIPT_RENAME]
    if api >= OS_API_V20:
        required.append(OS_SCRIPT_VERIFY)
    scripts: Dict[str, str] = {}
    for script in OS_SCRIPTS:
        if script == OS_SCRIPT_VERIFY and api < OS_API_V20:
            continue
        path = _CheckFile(name, os_dir, script, True)
        if path is not None:
            scripts[script] = path
        elif script in required:
            raise InvalidOS(name, "Required script '%s' not found under path"
                            " %s" % (script, os_dir))
    if not (OS_SCRIPT_CREATE in scripts or
            OS_SCRIPT_CREATE_UNTRUSTED in scripts):
        raise InvalidOS(name, "Neither a '%s' nor a '%s' script found under"
                        " path %s" % (OS_SCRIPT_CREATE,
                                      OS_SCRIPT_CREATE_UNTRUSTED, os_dir))
    variants: List[str] = []
    if api >= OS_API_V15:
        path = _CheckFile(name, os_dir, OS_VARIANTS_FILE, False)
        if path is not None:
            try:
                variants = _ReadListFile(path)
            except (OSError, UnicodeDecodeError) as err:
                raise InvalidOS(name, "Error while reading the OS variants"
                                " file at %s: %s" % (path, err))
    parameters: List[List[str]] = []
    if api >= OS_API_V20:
        path = _CheckFile(name, os_dir, OS_PARAMETERS_FILE, False)
        if path is None:
            raise InvalidOS(name, "Required file '%s' not found under path"
                            " %s" % (OS_PARAMETERS_FILE, os_dir))
        try:
            for line in _ReadListFile(path):
                pname, _, doc = line.partition(" ")
                parameters.append([pname, doc.strip()])
        except (OSError, UnicodeDecodeError) as err:
            raise InvalidOS(name, "Error while reading the OS parameters"
                            " file at %s: %s" % (path, err))
    return OSDefinition(name, os_dir, declared, scripts, variants, parameters)


def _SearchPath(search_path: Optional[Sequence[str]]) -> List[str]:
    if search_path is None:
        search_path = pathutils.OS_SEARCH_PATH
    return list(search_path)


def FindOSDir(name: str, search_path: Optional[Sequence[str]] = None
              ) -> Optional[str]:
    """The first directory of the search path holding OS name, or None."""
    for top in _SearchPath(search_path):
        candidate = os.path.join(top, name)
        if os.path.isdir(candidate):
            return candidate
    return None


def FindOS(name: str, search_path: Optional[Sequence[str]] = None
           ) -> OSDefinition:
    """The OS definition for name (variant ignored); InvalidOS if none.

    Only the first directory of the search path holding the OS counts: a
    broken definition there is not replaced by one further down.
    """
    base = GetName(name)
    if not base or "/" in base or base in (".", ".."):
        raise InvalidOS(name, "Invalid OS name '%s'" % name)
    os_dir = FindOSDir(base, search_path)
    if os_dir is None:
        raise InvalidOS(base, "Not found in the OS search path (%s)" %
                        ", ".join(_SearchPath(search_path)))
    return LoadOS(base, os_dir)


def _IsTrustedDir(os_dir: str) -> bool:
    return (os.path.exists(os.path.join(os_dir, OS_SCRIPT_CREATE)) or
            not os.path.exists(os.path.join(os_dir,
                                            OS_SCRIPT_CREATE_UNTRUSTED)))


def DiagnoseOSes(search_path: Optional[Sequence[str]] = None) -> List[list]:
    """Every OS directory of the search path, valid or not.

    One entry per directory, in search-path order (an OS found in two
    places is listed twice; the first one is the one used):
    ``[name, path, status, diagnose, variants, parameters, api_versions,
    trusted]`` where parameters are ``[name, description]`` pairs and
    diagnose is the reason when status is False.
    """
    result = []
    for top in _SearchPath(search_path):
        try:
            names = utils_io.ListVisibleFiles(top)
        except OSError:
            continue
        for name in names:
            os_dir = os.path.join(top, name)
            if not os.path.isdir(os_dir):
                continue
            try:
                osd = LoadOS(name, os_dir)
            except InvalidOS as err:
                result.append([name, os_dir, False, err.reason, [], [], [],
                               _IsTrustedDir(os_dir)])
            else:
                result.append([name, os_dir, True, "", list(osd.variants),
                               [list(p) for p in osd.parameters],
                               sorted(osd.api_versions), osd.trusted])
    return result


# ------------------------------------------------------------- validation


def CheckVariant(osd: OSDefinition, full_name: str) -> None:
    """An OS with variants must be named with one it supports."""
    if not osd.variants:
        return
    variant = GetVariant(full_name)
    if not variant:
        raise InvalidOS(osd.name, "OS name '%s' must include a variant (one"
                        " of %s)" % (full_name, ", ".join(osd.variants)))
    if variant not in osd.variants:
        raise InvalidOS(osd.name, "OS '%s' does not support variant '%s'"
                        " (supported: %s)" % (osd.name, variant,
                                              ", ".join(osd.variants)))


def CheckParameterNames(osd: OSDefinition, names: Sequence[str]) -> None:
    """Every parameter name must be declared in parameters.list."""
    unknown = sorted(set(names) - set(osd.parameter_names))
    if unknown:
        raise InvalidOS(osd.name, "The following parameters are not"
                        " supported by the OS %s: %s" %
                        (osd.name, ", ".join(unknown)))


# ------------------------------------------------------------ environment


def _EnvValue(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ",".join(_EnvValue(v) for v in value)
    if isinstance(value, dict):
        return ",".join("%s=%s" % (k, _EnvValue(v))
                        for k, v in sorted(value.items()))
    return str(value)


def _PlainParams(params: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """OS parameters with private/secret wrappers removed."""
    result = {}
    for key, value in (params or {}).items():
        getter = getattr(value, "Get", None)
        result[key] = getter() if callable(getter) else value
    return result


def BuildCoreEnv(os_name: str, osd: OSDefinition,
                 osparams: Optional[Mapping[str, Any]] = None,
                 debug: int = 0) -> Dict[str, str]:
    """What every script gets: API version, name, variant, OSP_*, PATH.

    os_name may carry a variant ("image+default"); without one the first
    declared variant is used.
    """
    api = osd.api_version
    env = {"OS_API_VERSION": str(api),
           "OS_NAME": GetName(os_name),
           "DEBUG_LEVEL": str(debug or 0),
           "PATH": OS_SCRIPT_PATH}
    if api >= OS_API_V15:
        variant = GetVariant(os_name)
        if not variant and osd.variants:
            variant = osd.variants[0]
        env["OS_VARIANT"] = variant
    if api >= OS_API_V20:
        for key, value in _PlainParams(osparams).items():
            env[OSParamEnvName(key)] = _EnvValue(value)
    return env


def _Get(obj: Any, key: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    return getattr(obj, key, default)


def _AsDict(instance: Any) -> Dict[str, Any]:
    if isinstance(instance, Mapping):
        return dict(instance)
    return instance.ToDict()


def DiskBackendType(disk: Mapping[str, Any]) -> str:
    """"file:<driver>" for file-based disks, else "block"."""
    dev_type = disk.get("dev_type")
    if dev_type in (constants.DT_FILE, constants.DT_SHARED_FILE,
                    constants.DT_GLUSTER):
        lid = disk.get("logical_id") or []
        driver = lid[0] if lid else "loop"
        return "file:%s" % driver
    return "block"


def _NicEnv(idx: int, nic: Mapping[str, Any], hvparams: Mapping[str, Any]
            ) -> Dict[str, str]:
    env = {}
    prefix = "NIC_%d_" % idx
    params = nic.get("nicparams") or {}
    env[prefix + "MAC"] = _EnvValue(nic.get("mac"))
    if nic.get("ip"):
        env[prefix + "IP"] = str(nic["ip"])
    if nic.get("name"):
        env[prefix + "NAME"] = str(nic["name"])
    if nic.get("uuid"):
        env[prefix + "UUID"] = str(nic["uuid"])
    mode = params.get("mode")
    if mode:
        env[prefix + "MODE"] = str(mode)
    if params.get("link"):
        env[prefix + "LINK"] = str(params["link"])
        if mode == constants.NIC_MODE_BRIDGED:
            env[prefix + "BRIDGE"] = str(params["link"])
    if params.get("vlan"):
        env[prefix + "VLAN"] = str(params["vlan"])
    if hvparams.get("nic_type"):
        env[prefix + "FRONTEND_TYPE"] = str(hvparams["nic_type"])
    netinfo = nic.get("netinfo") or {}
    if netinfo:
        for key, field in (("NAME", "name"), ("UUID", "uuid"),
                           ("SUBNET", "network"), ("GATEWAY", "gateway"),
                           ("SUBNET6", "network6"), ("GATEWAY6", "gateway6"),
                           ("MAC_PREFIX", "mac_prefix")):
            if netinfo.get(field):
                env[prefix + "NETWORK_" + key] = str(netinfo[field])
        if netinfo.get("tags"):
            env[prefix + "NETWORK_TAGS"] = " ".join(netinfo["tags"])
    return env


def BuildInstanceEnv(instance: Any, osd: OSDefinition, debug: int = 0,
                     disk_paths: Optional[Sequence[Tuple[str, Optional[str]]]]
                     = None, osparams: Optional[Mapping[str, Any]] = None
                     ) -> Dict[str, str]:
    """The environment of create/import/export/rename for an instance.

    instance is the instance dict of the RPC (filled hvparams/beparams/
    osparams, ``disks_info``, NICs with filled nicparams) or an
    objects.Instance; disk_paths gives (device path, userspace URI or
    None) per disk as found on this node.  osparams, if given, replace the
    instance's.
    """
    inst = _AsDict(instance)
    os_name = inst.get("os") or osd.name
    params = inst.get("osparams") or {}
    if osparams is not None:
        params = osparams
    else:
        params = dict(params)
        params.update(inst.get("osparams_private") or {})
    env = BuildCoreEnv(os_name, osd, params, debug)
    env["INSTANCE_NAME"] = str(inst.get("name", ""))
    env["INSTANCE_OS"] = str(os_name)
    for key, field in (("INSTANCE_UUID", "uuid"),
                       ("INSTANCE_PRIMARY_NODE", "primary_node"),
                       ("INSTANCE_CTIME", "ctime"),
                       ("INSTANCE_MTIME", "mtime")):
        if inst.get(field) is not None:
            env[key] = _EnvValue(inst[field])
    env["INSTANCE_SECONDARY_NODES"] = " ".join(
        inst.get("secondary_nodes") or [])
    env["HYPERVISOR"] = str(inst.get("hypervisor") or "")
    hvparams = inst.get("hvparams") or {}

    disks = inst.get("disks_info")
    if disks is None:
        disks = [d for d in inst.get("disks") or [] if isinstance(d, dict)]
    env["DISK_COUNT"] = str(len(disks))
    for idx, disk in enumerate(disks):
        prefix = "DISK_%d_" % idx
        path, uri = (None, None)
        if disk_paths is not None and idx < len(disk_paths):
            path, uri = disk_paths[idx]
        env[prefix + "PATH"] = path or ""
        if uri:
            env[prefix + "URI"] = uri
        env[prefix + "ACCESS"] = str(disk.get("mode") or "rw")
        if disk.get("uuid"):
            env[prefix + "UUID"] = str(disk["uuid"])
        if disk.get("name"):
            env[prefix + "NAME"] = str(disk["name"])
        if disk.get("size") is not None:
            env[prefix + "SIZE"] = str(disk["size"])
        if hvparams.get("disk_type"):
            env[prefix + "FRONTEND_TYPE"] = str(hvparams["disk_type"])
        env[prefix + "BACKEND_TYPE"] = DiskBackendType(disk)

    nics = inst.get("nics") or []
    env["NIC_COUNT"] = str(len(nics))
    for idx, nic in enumerate(nics):
        env.update(_NicEnv(idx, nic if isinstance(nic, Mapping)
                           else nic.ToDict(), hvparams))

    for key, value in hvparams.items():
        env["INSTANCE_HV_%s" % key] = _EnvValue(value)
    for key, value in (inst.get("beparams") or {}).items():
        env["INSTANCE_BE_%s" % key] = _EnvValue(value)
    return env


def BuildImportExportEnv(instance: Any, osd: OSDefinition, kind: str,
                         index: int, disk_path: str,
                         disk_uri: Optional[str] = None, debug: int = 0,
                         disk_paths: Optional[Sequence[Tuple[str,
                                                             Optional[str]]]]
                         = None) -> Dict[str, str]:
    """Environment of the import (stdin to disk) or export script.

    kind is LOG_KIND_IMPORT or LOG_KIND_EXPORT; index is the disk index.
    """
    if kind not in (LOG_KIND_IMPORT, LOG_KIND_EXPORT):
        raise errors.ProgrammerError("Unknown import/export kind %r" % kind)
    env = BuildInstanceEnv(instance, osd, debug, disk_paths)
    prefix = kind.upper() + "_"
    env[prefix + "INDEX"] = str(index)
    env[prefix + "DISK_PATH"] = disk_path
    env[prefix + "DEVICE"] = disk_path
    if disk_uri:
        env[prefix + "DISK_URI"] = disk_uri
    return env


# ---------------------------------------------------------------- running


def TimestampForFilename(now: Optional[float] = None) -> str:
    return time.strftime("%Y-%m-%d_%H_%M_%S",
                         time.localtime(time.time() if now is None else now))


def InstanceLogName(kind: str, os_name: str, instance_name: str,
                    component: Optional[str] = None,
                    now: Optional[float] = None) -> str:
    """/var/log/ganeti/os/<kind>-<os>-<instance>[-<component>]-<ts>.log"""
    parts = [kind, os_name, instance_name]
    if component:
        parts.append(str(component))
    parts.append(TimestampForFilename(now))
    base = "-".join(p.replace("/", "_") for p in parts) + ".log"
    return os.path.join(pathutils.LOG_OS_DIR, base)


def RunScript(osd: OSDefinition, script: str, env: Mapping[str, str],
              logfile: Optional[str] = None, args: Sequence[str] = (),
              timeout: Optional[float] = None,
              input_fd: Optional[int] = None
              ) -> utils_process.RunResult:
    """Run one of the OS's scripts in its directory with exactly env.

    With logfile, stdout and stderr are appended to it (its directory is
    created); otherwise they are captured in the result.  Raises InvalidOS
    if the OS has no such script.
    """
    path = osd.scripts.get(script)
    if path is None:
        raise InvalidOS(osd.name, "OS %s has no '%s' script" %
                        (osd.name, script))
    if logfile:
        os.makedirs(os.path.dirname(logfile), mode=0o750, exist_ok=True)
    logging.info("Running OS script %s of %s%s", script, osd.name,
                 " (log %s)" % logfile if logfile else "")
    return utils_process.RunCmd([path] + list(args), env=dict(env),
                                reset_env=True, cwd=osd.path, output=logfile,
                                timeout=timeout, input_fd=input_fd)


def LogTail(logfile: str, lines: int = LOG_TAIL_LINES) -> str:
    """The last lines of a script's log (for error messages)."""
    try:
        return "\n".join(utils_io.TailFile(logfile, lines=lines))
    except OSError as err:
        return "(cannot read log file %s: %s)" % (logfile, err)


def ScriptFailure(script: str, result: utils_process.RunResult,
                  logfile: Optional[str]) -> str:
    """The message reporting a failed script run."""
    if logfile:
        return ("OS %s script failed (%s), last lines in the log file:\n%s"
                % (script, result.fail_reason, LogTail(logfile)))
    return ("OS %s script failed (%s), output: %s" %
            (script, result.fail_reason, result.output.strip()))


class ScriptError(errors.GenericError):
    """An OS script failed; the message says how (with the log's tail)."""


def ValidateOS(required: bool, name: str, checks: Sequence[str],
               osparams: Optional[Mapping[str, Any]], force_variant: bool,
               search_path: Optional[Sequence[str]] = None) -> bool:
    """Check an OS (and its parameters) on this node, as os_validate does.

    Returns False if the OS is missing or broken and not required; raises
    InvalidOS for a required one, a bad variant, unknown checks or
    parameters, and ScriptError if "verify" refuses the parameters.
    """
    try:
        osd = FindOS(name, search_path)
    except InvalidOS:
        if required:
            raise
        return False
    if not force_variant:
        CheckVariant(osd, name)
    if osd.api_version < OS_API_V20:
        return True
    unknown = sorted(set(checks) - OS_VALIDATE_CALLS)
    if unknown:
        raise InvalidOS(osd.name, "Unknown checks required for OS %s: %s" %
                        (osd.name, ", ".join(unknown)))
    osparams = _PlainParams(osparams)
    if OS_VALIDATE_PARAMETERS in checks:
        CheckParameterNames(osd, list(osparams))
    if not checks:
        return True
    env = BuildCoreEnv(name, osd, osparams)
    result = RunScript(osd, OS_SCRIPT_VERIFY, env, args=sorted(checks),
                       timeout=VERIFY_TIMEOUT)
    if result.failed:
        raise ScriptError("OS validation script failed (%s), output: %s" %
                          (result.fail_reason, result.output.strip()))
    return True
