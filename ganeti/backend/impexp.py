"""Node side of import_start, export_start and finalize_export.

import_start/export_start start one import-export daemon (ganeti.impexp)
per disk transfer in its own directory below pathutils.IMPORT_EXPORT_DIR
(``<mode>-<component>-<timestamp>-<random>``, the name they answer), with
the shell command that reads or writes the data: a file (``file``), the
disk's device (``raw``) or the OS import/export script (``script``).
finalize_export writes the export's config.ini into
``<export dir>/<instance>.new`` and puts that directory in place.
"""

import configparser
import io
import os
import shlex
import shutil
import sys
import tempfile
import time
from typing import Any, Dict, List, Mapping, Optional, Sequence

from ganeti import constants as C
from ganeti import osdef
from ganeti import pathutils
from ganeti.backend import LocalizeVirtualPath, RPCFail, _Fail
from ganeti.backend import exports as backend_exports
from ganeti.backend import osinstall
from ganeti.utils import io as utils_io
from ganeti.utils import process as utils_process

IMPEXP_DAEMON = "import-export"
_CA_FILE = "ca"
_CMD_FILE = "cmd"
_LOG_FILE = "output"


def _DaemonProgram() -> List[str]:
    installed = os.path.join(pathutils.PKGLIBDIR, IMPEXP_DAEMON)
    if os.path.exists(installed):
        return [installed]
    return [sys.executable,
            os.path.join(pathutils.SOURCE_DAEMON_DIR, IMPEXP_DAEMON)]


def _AsDict(obj: Any) -> Dict[str, Any]:
    return dict(obj) if isinstance(obj, Mapping) else obj.ToDict()


def _ExportFilePath(path: str) -> str:
    if not isinstance(path, str) or not os.path.isabs(path):
        _Fail("Invalid file path for import/export: %r", path)
    return LocalizeVirtualPath(os.path.normpath(path))


def _ScriptCommand(mode: str, instance: Dict[str, Any], disk: Dict[str, Any],
                   idx: int) -> str:
    """The shell command running the OS import or export script."""
    osd = osinstall._FindOS(instance["os"])  # pylint: disable=W0212
    path, uri = osinstall._DiskPath(  # pylint: disable=W0212
        instance.get("name", "?"), idx, disk)
    kind = osdef.LOG_KIND_IMPORT if mode == C.IEM_IMPORT \
        else osdef.LOG_KIND_EXPORT
    env = osdef.BuildImportExportEnv(instance, osd, kind, idx, path, uri)
    script = osd.scripts.get(kind)
    if script is None:
        _Fail("OS %s has no %s script", osd.name, kind)
    logfile = osdef.InstanceLogName(kind, instance["os"],
                                    instance.get("name", "?"), "disk%d" % idx)
    os.makedirs(os.path.dirname(logfile), mode=0o750, exist_ok=True)
    assignments = " ".join("%s=%s" % (key, shlex.quote(str(value)))
                           for key, value in sorted(env.items()))
    # the script's messages go to its log and (stderr) to the status file
    return ("cd %s && env -i %s %s 2> >(tee -a %s >&2)"
            % (shlex.quote(osd.path), assignments, shlex.quote(script),
               shlex.quote(logfile)))


def _IoArgs(mode: str, instance: Dict[str, Any], ieio: str,
            ieargs: Sequence[Any], status_dir: str) -> List[str]:
    """The daemon's arguments naming what it reads (export) or writes
    (import): a file, the disk's device, or a command file running the OS
    script."""
    if ieio == C.IEIO_FILE:
        (path,) = ieargs
        path = _ExportFilePath(path)
        if mode == C.IEM_IMPORT:
            utils_io.MakeDirWithPerm(os.path.dirname(path), 0o750)
        return ["--file=%s" % path]
    if ieio == C.IEIO_RAW_DISK:
        (disk,) = ieargs
        path, _ = osinstall._DiskPath(  # pylint: disable=W0212
            instance.get("name", "?"), 0, disk)
        return ["--file=%s" % path, "--raw"]
    if ieio == C.IEIO_SCRIPT:
        disk, idx = ieargs
        command = _ScriptCommand(mode, instance, disk, int(idx))
        cmd_file = os.path.join(status_dir, _CMD_FILE)
        utils_io.WriteFile(cmd_file, data="#!/bin/bash\nset -o pipefail\n"
                           "%s\n" % command, mode=0o700)
        return ["--cmd=%s" % cmd_file]
    _Fail("Invalid %s I/O mode %r", mode, ieio)
    raise AssertionError("not reached")


def _ExpectedSize(ieio: str, ieargs: Sequence[Any]) -> Optional[int]:
    if ieio in (C.IEIO_RAW_DISK, C.IEIO_SCRIPT):
        return int(ieargs[0].get("size") or 0) or None
    if ieio == C.IEIO_FILE:
        try:
            return os.stat(_ExportFilePath(ieargs[0])).st_size >> 20 or None
        except OSError:
            return None
    return None


def _Certificates(opts: Dict[str, Any], status_dir: str):
    """(key, cert, ca) files: the cluster certificate, or the transfer's
    own key (x509_cert_create) and the peer's CA."""
    key_name = opts.get("key_name")
    if key_name:
        cert_dir = backend_exports.CertDir(key_name)
        key = os.path.join(cert_dir, backend_exports.X509_KEY_FILE)
        cert = os.path.join(cert_dir, backend_exports.X509_CERT_FILE)
    else:
        key = cert = pathutils.NODED_CERT_FILE
    ca_pem = opts.get("ca_pem")
    if ca_pem:
        ca = os.path.join(status_dir, _CA_FILE)
        utils_io.WriteFile(ca, data=ca_pem, mode=0o400)
    else:
        ca = pathutils.NODED_CERT_FILE
    return key, cert, ca


def StartImportExportDaemon(mode: str, opts: Any, host: Optional[str],
                            port: Optional[int], instance: Any,
                            component: str, ieio: str,
                            ieargs: Sequence[Any]) -> str:
    """Start an import-export daemon; answers its name."""
    opts = _AsDict(opts or {})
    inst = _AsDict(instance)
    if mode == C.IEM_EXPORT and not (host and port):
        _Fail("Missing host and port for export")
    compress = opts.get("compress") or C.IEC_NONE
    if compress not in C.IEC_ALL:
        _Fail("Unknown compression '%s'", compress)
    if ieio not in (C.IEIO_FILE, C.IEIO_RAW_DISK, C.IEIO_SCRIPT):
        _Fail("Invalid %s I/O mode %r", mode, ieio)
    utils_io.MakeDirWithPerm(pathutils.IMPORT_EXPORT_DIR, 0o750)
    status_dir = tempfile.mkdtemp(
        dir=pathutils.IMPORT_EXPORT_DIR, prefix="%s-%s-%s-" % (
            mode, component, time.strftime("%Y-%m-%d_%H_%M_%S")))
    try:
        key, cert, ca = _Certificates(opts, status_dir)
        argv = _DaemonProgram() + [
            os.path.join(status_dir,
                         backend_exports.IMPEXP_STATUS_FILE), mode,
            "--key=%s" % key, "--cert=%s" % cert, "--ca=%s" % ca,
            "--compress=%s" % compress,
            "--magic=%s" % (opts.get("magic") or "none"),
            "--connect-timeout=%d" % int(opts.get("connect_timeout") or 60)]
        argv += _IoArgs(mode, inst, ieio, ieargs or [], status_dir)
        if opts.get("ipv6"):
            argv.append("--ipv6")
        if mode == C.IEM_EXPORT:
            argv += ["--host=%s" % host, "--port=%d" % int(port)]
            size = _ExpectedSize(ieio, ieargs or [])
            if size:
                argv.append("--expected-size=%d" % size)
        utils_process.StartDaemon(argv, output=os.path.join(status_dir,
                                                           _LOG_FILE),
                                  pidfile=os.path.join(
                                      status_dir,
                                      backend_exports.IMPEXP_PID_FILE))
    except RPCFail:
        shutil.rmtree(status_dir, ignore_errors=True)
        raise
    except Exception as err:  # pylint: disable=broad-except
        shutil.rmtree(status_dir, ignore_errors=True)
        _Fail("Can't start import/export daemon: %s", err)
    return os.path.basename(status_dir)


def StartImport(opts: Any, instance: Any, component: str,
                dest: Sequence[Any]) -> str:
    """``import_start``."""
    ieio, ieargs = dest
    return StartImportExportDaemon(C.IEM_IMPORT, opts, None, None, instance,
                                   component, ieio, ieargs)


def StartExport(opts: Any, host: str, port: int, instance: Any,
                component: str, source: Sequence[Any]) -> str:
    """``export_start``."""
    ieio, ieargs = source
    return StartImportExportDaemon(C.IEM_EXPORT, opts, host, port, instance,
                                   component, ieio, ieargs)


# ---------------------------------------------------------------- config.ini

def ExportConfig(instance: Dict[str, Any], snap_disks: Sequence[Any],
                 timestamp: Optional[int] = None) -> str:
    """The text of an export's config.ini, laid out as upstream's."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment]
    bep = instance.get("beparams") or {}
    parser[C.INISECT_EXP] = {
        "version": str(C.EXPORT_VERSION),
        "timestamp": str(int(time.time() if timestamp is None
                             else timestamp)),
        "source": instance.get("primary_node") or "",
        "os": instance.get("os") or "",
        "compression": C.IEC_NONE,
    }
    disks_info = instance.get("disks_info") or []
    template = (disks_info[0].get("dev_type") if disks_info
                else C.DT_DISKLESS)
    section: Dict[str, str] = {
        "name": instance.get("name") or "",
        "maxmem": str(bep.get("maxmem", "")),
        "minmem": str(bep.get("minmem", "")),
        "memory": str(bep.get("maxmem", "")),
        "vcpus": str(bep.get("vcpus", "")),
        "disk_template": template or "",
        "hypervisor": instance.get("hypervisor") or "",
        "tags": " ".join(instance.get("tags") or []),
    }
    nics = instance.get("nics") or []
    for idx, nic in enumerate(nics):
        params = nic.get("nicparams") or {}
        section["nic%d_mac" % idx] = str(nic.get("mac"))
        section["nic%d_ip" % idx] = str(nic.get("ip"))
        section["nic%d_network" % idx] = str(nic.get("network"))
        section["nic%d_name" % idx] = str(nic.get("name"))
        for key in (C.INIC_LINK, C.INIC_MODE, C.INIC_VLAN):
            section["nic%d_%s" % (idx, key)] = str(params.get(key, ""))
    section["nic_count"] = str(len(nics))
    count = 0
    for idx, disk in enumerate(snap_disks or []):
        if not isinstance(disk, Mapping):
            continue
        section["disk%d_ivname" % idx] = str(disk.get("iv_name"))
        section["disk%d_dump" % idx] = str(disk.get("uuid"))
        section["disk%d_size" % idx] = str(disk.get("size"))
        section["disk%d_name" % idx] = str(disk.get("name"))
        count += 1
    section["disk_count"] = str(count)
    parser[C.INISECT_INS] = section
    parser[C.INISECT_HYP] = {
        key: str(value) for key, value in
        sorted((instance.get("hvparams") or {}).items())
        if key not in C.HVC_GLOBALS}
    parser[C.INISECT_BEP] = {key: str(value)
                         for key, value in sorted(bep.items())}
    parser[C.INISECT_OSP] = {key: str(value) for key, value in
                    sorted((instance.get("osparams") or {}).items())}
    parser[C.INISECT_OSP_PRIVATE] = {
        key: str(value) for key, value in
        sorted((instance.get("osparams_private") or {}).items())}
    out = io.StringIO()
    parser.write(out)
    return out.getvalue()


def FinalizeExport(instance: Any, snap_disks: Sequence[Any]) -> None:
    """``finalize_export``: write config.ini and put the export in place."""
    inst = _AsDict(instance)
    name = inst.get("name")
    final = backend_exports.ExportPath(name)
    new = final + ".new"
    utils_io.MakeDirWithPerm(new, 0o750)
    utils_io.WriteFile(os.path.join(new, backend_exports.EXPORT_CONF_FILE),
                       data=ExportConfig(inst, snap_disks))
    shutil.rmtree(final, ignore_errors=True)
    try:
        os.rename(new, final)
    except OSError as err:
        _Fail("Cannot move the export of %s into place: %s", name, err)


RPC_CALLS: Dict[str, Any] = {
    "import_start": StartImport,
    "export_start": StartExport,
    "finalize_export": FinalizeExport,
}
