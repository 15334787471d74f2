"""Node side of the export directory and import/export certificate calls.

``export_list``, ``export_info``, ``export_remove`` work on the node's
export directory (pathutils.EXPORT_DIR: one directory per exported
instance, holding ``config.ini`` and the disk images); ``impexp_status``, ``impexp_abort``
and ``impexp_cleanup`` read and clean up after import/export daemons (one
directory per transfer below pathutils.IMPORT_EXPORT_DIR, with their
``status`` and ``pid`` files); ``x509_cert_create`` and
``x509_cert_remove`` keep the short-lived certificates of remote
imports/exports below pathutils.CRYPTO_KEYS_DIR (``<name>/key`` and
``<name>/cert``).  Answers and messages are upstream 3.0's.
"""

import configparser
import logging
import os
import shutil
import signal
import tempfile
import time
from typing import Any, Dict, List, Tuple

from ganeti import constants
from ganeti import netutils
from ganeti import pathutils
from ganeti import serializer
from ganeti.backend import _Fail
from ganeti.utils import io as utils_io
from ganeti.utils import process as utils_process

EXPORT_CONF_FILE = constants.EXPORT_CONF_FILE
INISECT_EXP = constants.INISECT_EXP
INISECT_INS = constants.INISECT_INS
X509_KEY_FILE = "key"
X509_CERT_FILE = "cert"
_X509_PREFIX = "x509-"


def ListExports() -> List[str]:
    """``export_list``: the exports of this node (sorted names)."""
    if not os.path.isdir(pathutils.EXPORT_DIR):
        _Fail("No exports directory")
    return sorted(os.listdir(pathutils.EXPORT_DIR))


def ExportInfo(dest: str) -> str:
    """``export_info``: the text of an export's config.ini."""
    from ganeti.backend import LocalizeVirtualPath  # pylint: disable=C0415
    try:
        text = utils_io.ReadFile(os.path.join(LocalizeVirtualPath(dest),
                                              EXPORT_CONF_FILE))
    except EnvironmentError:
        text = ""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        pass
    if not (parser.has_section(INISECT_EXP) and
            parser.has_section(INISECT_INS)):
        _Fail("Export info file doesn't have the required fields")
    return text


def ExportPath(export: str) -> str:
    if not isinstance(export, str) or not export or "/" in export or \
            export in (".", ".."):
        _Fail("Invalid export name '%s'", export)
    return os.path.join(pathutils.EXPORT_DIR, export)


def RemoveExport(export: str) -> None:
    """``export_remove``: delete an export's directory."""
    try:
        shutil.rmtree(ExportPath(export))
    except EnvironmentError as err:
        _Fail("Error while removing the export: %s", err, exc=True)


def CertDir(name: str) -> str:
    if not isinstance(name, str) or not name.startswith(_X509_PREFIX) or \
            "/" in name:
        _Fail("Invalid certificate name '%s'", name)
    return os.path.join(pathutils.CRYPTO_KEYS_DIR, name)


def CreateX509Certificate(validity: int) -> Tuple[str, str]:
    """``x509_cert_create``: a new self-signed certificate valid for
    validity seconds; answers [name, certificate PEM]."""
    # noded does not load cryptography until it needs it (memory)
    from ganeti.utils import x509  # pylint: disable=import-outside-toplevel
    key_pem, cert_pem = x509.GenerateSelfSignedX509Cert(
        common_name=netutils.Hostname.GetFqdn(),
        validity=max(1, int(validity)) / 86400.0)
    utils_io.MakeDirWithPerm(pathutils.CRYPTO_KEYS_DIR, 0o700)
    cert_dir = tempfile.mkdtemp(
        dir=pathutils.CRYPTO_KEYS_DIR, prefix="%s%s-" % (
            _X509_PREFIX, time.strftime("%Y-%m-%d_%H_%M_%S")))
    name = os.path.basename(cert_dir)
    utils_io.WriteFile(os.path.join(cert_dir, X509_KEY_FILE),
                       data=key_pem, mode=0o400)
    utils_io.WriteFile(os.path.join(cert_dir, X509_CERT_FILE),
                       data=cert_pem, mode=0o400)
    return name, cert_pem


def RemoveX509Certificate(name: str) -> None:
    """``x509_cert_remove``: delete a certificate made by x509_cert_create."""
    cert_dir = CertDir(name)
    try:
        shutil.rmtree(cert_dir)
    except EnvironmentError as err:
        _Fail("Cannot remove certificate directory '%s': %s", cert_dir, err)


# --------------------------------------------------- import/export status

IMPEXP_STATUS_FILE = "status"
IMPEXP_PID_FILE = "pid"


def _ImpExpDir(name: str) -> str:
    if not isinstance(name, str) or not name or "/" in name or \
            name in (".", ".."):
        _Fail("Invalid import/export name '%s'", name)
    return os.path.join(pathutils.IMPORT_EXPORT_DIR, name)


def GetImportExportStatus(names: List[str]) -> List[Any]:
    """``impexp_status``: per name, the status its import/export daemon
    last wrote (a dict), or null when there is none."""
    result = []
    for name in names or []:
        path = os.path.join(_ImpExpDir(name), IMPEXP_STATUS_FILE)
        try:
            result.append(serializer.LoadJson(utils_io.ReadFile(path)))
        except (EnvironmentError, ValueError):
            result.append(None)
    return result


def AbortImportExport(name: str) -> None:
    """``impexp_abort``: stop an import/export daemon (SIGTERM)."""
    pid_file = os.path.join(_ImpExpDir(name), IMPEXP_PID_FILE)
    pid = utils_process.ReadLockedPidFile(pid_file)
    if pid:
        logging.info("Import/export %s is running with PID %s, sending"
                     " SIGTERM", name, pid)
        utils_process.KillProcess(pid, signal.SIGTERM, waitpid=False)


def CleanupImportExport(name: str) -> None:
    """``impexp_cleanup``: stop an import/export and remove its files."""
    status_dir = _ImpExpDir(name)
    pid = utils_process.ReadLockedPidFile(os.path.join(status_dir,
                                                       IMPEXP_PID_FILE))
    if pid:
        logging.info("Import/export %s is still running with PID %s",
                     name, pid)
        utils_process.KillProcess(pid, signal.SIGKILL, waitpid=False)
    shutil.rmtree(status_dir, ignore_errors=True)


RPC_CALLS: Dict[str, Any] = {
    "impexp_status": GetImportExportStatus,
    "impexp_abort": AbortImportExport,
    "impexp_cleanup": CleanupImportExport,
    "export_list": ListExports,
    "export_info": ExportInfo,
    "export_remove": RemoveExport,
    "x509_cert_create": CreateX509Certificate,
    "x509_cert_remove": RemoveX509Certificate,
}
