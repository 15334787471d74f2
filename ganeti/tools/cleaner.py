"""ganeti-cleaner: remove old files (run nightly from /etc/cron.d/ganeti).

``ganeti-cleaner node`` (every node) removes the per-import/export X509
key directories of /var/run/ganeti/crypto whose certificate has expired
and watcher state files of node groups not seen for a week;
``ganeti-cleaner master`` (does nothing but on the master node) removes
job archive files older than 21 days.  Each run logs what it removed to
/var/log/ganeti/cleaner/ or /var/log/ganeti/master-cleaner/ (logs older
than a week are removed too); two runs of a mode never overlap.
"""

import datetime
import fcntl
import os
import re
import shutil
import sys
import time
from typing import Callable, List, Optional

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti import ssconf

MODE_NODE = "node"
MODE_MASTER = "master"
QUEUE_ARCHIVE_DAYS = 21
WATCHER_STATE_DAYS = 7
LOG_DAYS = 7
_DAY = 24 * 3600
_WATCHER_STATE_RE = re.compile(r"^watcher\.[0-9a-fA-F-]{36}\."
                               r"(data|instance-status)$")
_USAGE = "Usage: ganeti-cleaner {node|master}"

# The ganeti-cleaner(8) man page (ganeti.tools.manpages).
MAN_SYNOPSIS = "ganeti-cleaner node|master"
MAN_SECTIONS = [
    ("DESCRIPTION", [
        "ganeti-cleaner removes files Ganeti no longer needs. The cron file"
        " /etc/cron.d/ganeti runs it nightly in both modes on every node.",
        "node: removes the per-import/export X509 key directories below"
        " /var/run/ganeti/crypto whose certificate has expired, and the"
        " watcher's per-group state files (/var/lib/ganeti/watcher.*.data,"
        " watcher.*.instance-status) not updated for %d days (their node"
        " group is gone)." % WATCHER_STATE_DAYS,
        "master: on the master node only (elsewhere it does nothing),"
        " removes archived jobs (/var/lib/ganeti/queue/archive/) older"
        " than %d days." % QUEUE_ARCHIVE_DAYS,
        "Each run logs what it removed to /var/log/ganeti/cleaner/ (node)"
        " or /var/log/ganeti/master-cleaner/ (master); logs older than %d"
        " days are removed. A run finding another of the same mode at work"
        " does nothing." % LOG_DAYS,
    ]),
    ("EXIT STATUS", ["0 on success, 1 on a usage error or a failure."]),
]


def _OlderThan(path: str, days: int, now: float) -> bool:
    try:
        return os.lstat(path).st_mtime < now - days * _DAY
    except FileNotFoundError:
        return False


def _CertExpired(dirname: str, now: float) -> bool:
    """Whether the certificate in an X509 key directory has expired (or
    is unreadable and the directory older than a day)."""
    from ganeti.utils import x509  # pylint: disable=import-outside-toplevel
    try:
        cert = x509.LoadCertificateFile(os.path.join(dirname, "cert"))
    except (errors.GenericError, OSError):
        return _OlderThan(dirname, 1, now)
    expiry = cert.not_valid_after_utc
    return expiry < datetime.datetime.fromtimestamp(now, datetime.timezone.utc)


def CleanCryptoDir(now: float) -> List[str]:
    """Remove expired X509 key directories; the paths removed."""
    removed = []
    try:
        names = sorted(os.listdir(pathutils.CRYPTO_KEYS_DIR))
    except FileNotFoundError:
        return removed
    for name in names:
        path = os.path.join(pathutils.CRYPTO_KEYS_DIR, name)
        if os.path.isdir(path) and not os.path.islink(path) and \
                _CertExpired(path, now):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def CleanWatcherState(now: float) -> List[str]:
    """Remove per-group watcher files untouched for WATCHER_STATE_DAYS
    (their group is gone: the watcher rewrites them every run)."""
    removed = []
    try:
        names = sorted(os.listdir(pathutils.DATA_DIR))
    except FileNotFoundError:
        return removed
    for name in names:
        path = os.path.join(pathutils.DATA_DIR, name)
        if _WATCHER_STATE_RE.match(name) and \
                _OlderThan(path, WATCHER_STATE_DAYS, now):
            os.unlink(path)
            removed.append(path)
    return removed


def _CleanTree(top: str, days: int, now: float) -> List[str]:
    """Remove the files below top older than days; the paths removed."""
    removed = []
    for dirpath, _, filenames in os.walk(top):
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            if _OlderThan(path, days, now):
                os.unlink(path)
                removed.append(path)
    return removed


def CleanQueueArchive(now: float) -> List[str]:
    """Remove archived jobs older than QUEUE_ARCHIVE_DAYS."""
    return _CleanTree(pathutils.JOB_QUEUE_ARCHIVE_DIR, QUEUE_ARCHIVE_DAYS,
                      now)


_MODES = {
    MODE_NODE: ("cleaner", [CleanCryptoDir, CleanWatcherState]),
    MODE_MASTER: ("master-cleaner", [CleanQueueArchive]),
}


def Run(mode: str, now: Optional[float] = None) -> List[str]:
    """One run of mode; the paths removed (also logged)."""
    now = time.time() if now is None else now
    logname, steps = _MODES[mode]
    if mode == MODE_MASTER and not ssconf.IsMaster():
        return []
    logdir = os.path.join(pathutils.LOG_DIR, logname)
    os.makedirs(logdir, mode=0o750, exist_ok=True)
    os.makedirs(pathutils.LOCK_DIR, exist_ok=True)
    lockfile = os.path.join(pathutils.LOCK_DIR, "ganeti-%s.lock" % logname)
    with open(lockfile, "a") as lock:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return []  # another run of this mode is at work
        removed: List[str] = []
        step: Callable[[float], List[str]]
        for step in steps:
            removed.extend(step(now))
        removed.extend(_CleanTree(logdir, LOG_DAYS, now))
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
        with open(os.path.join(logdir, "%s-%s.log" % (logname, stamp)),
                  "a") as log:
            log.write("".join("Removed %s\n" % path for path in removed))
    return removed


def Main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0] not in _MODES:
        print(_USAGE, file=sys.stderr)
        return constants.EXIT_FAILURE
    try:
        Run(argv[0])
    except OSError as err:
        print("ganeti-cleaner: %s" % err, file=sys.stderr)
        return constants.EXIT_FAILURE
    return constants.EXIT_SUCCESS
