"""The RAPI users file and HTTP Basic authentication.

Format (one user per line): ``<name> <password> [<options>]``; options is a
comma list of ``read``/``write``; ``#`` comments and blank lines are
ignored, as are lines with fewer than two fields.  A password is plain text,
``{cleartext}<pw>`` or ``{ha1}<md5 of "user:Ganeti Remote API:pw">``
(scheme case-insensitive).

The file is re-read whenever it changes (its inode, size or mtime), so an
edited users file takes effect without a restart or a signal.  Without a
watcher (ganeti.rapi.users_watch, inotify) the file is checked at most once
a second when a request needs it; with one, on the watcher's events and as
a safety net every _WATCHED_CHECK_INTERVAL seconds.
"""

import base64
import binascii
import hashlib
import hmac
import logging
import os
import threading
import time
from typing import (Callable, Dict, FrozenSet, List, NamedTuple, Optional,
                    Tuple)

REALM = "Ganeti Remote API"
ACCESS_READ = "read"
ACCESS_WRITE = "write"
_CHECK_INTERVAL = 1.0
_WATCHED_CHECK_INTERVAL = 30.0
_MAX_USERS_FILE = 1024 * 1024


class RapiUser(NamedTuple):
    name: str
    password: str
    options: FrozenSet[str]


def ParseUsers(text: str) -> Dict[str, RapiUser]:
    """Users from the text of a users file (later lines win)."""
    users: Dict[str, RapiUser] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) < 2:
            continue
        options: FrozenSet[str] = frozenset()
        if len(fields) > 2:
            options = frozenset(o.strip().lower()
                                for o in fields[2].split(",") if o.strip())
        users[fields[0]] = RapiUser(fields[0], fields[1], options)
    return users


def CheckPassword(user: RapiUser, password: str) -> bool:
    """Whether password is the user's (plain, {cleartext} or {ha1})."""
    stored = user.password
    expected = stored
    if stored.startswith("{"):
        scheme, sep, rest = stored[1:].partition("}")
        if not sep:
            return False
        scheme = scheme.lower()
        if scheme == "cleartext":
            expected = rest
        elif scheme == "ha1":
            digest = hashlib.md5(("%s:%s:%s" % (user.name, REALM, password))
                                 .encode("utf-8")).hexdigest()
            return hmac.compare_digest(digest, rest.lower())
        else:
            logging.warning("Unknown password scheme '%s' for user %s",
                            scheme, user.name)
            return False
    return hmac.compare_digest(expected.encode("utf-8"),
                               password.encode("utf-8"))


def ParseBasicAuth(header: Optional[str]) -> Optional[Tuple[str, str]]:
    """(user, password) of a Basic Authorization header; None if absent.

    Raises ValueError for a header that is present but malformed or of
    another scheme (the request then counts as wrongly authenticated).
    """
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        raise ValueError("unsupported authentication scheme")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError("malformed Basic credentials")
    name, sep, password = decoded.partition(":")
    if not sep:
        raise ValueError("malformed Basic credentials")
    return name, password


class UsersFile:
    """The users file, re-read when it changes.

    on_change() is called (with no arguments) whenever a re-read finds
    another content than the previous one, not for the first read.
    """

    def __init__(self, path: str,
                 on_change: Optional[Callable[[], None]] = None) -> None:
        self.path = path
        self.on_change = on_change
        self.watched = False
        self._lock = threading.Lock()
        self._stamp: Optional[Tuple[int, int, int, int]] = None
        self._content: Optional[bytes] = None
        self._checked = 0.0
        self._loaded = False
        self._users: Dict[str, RapiUser] = {}
        self._Refresh(force=True)

    def Check(self) -> None:
        """Re-read the file now if it changed (the watcher's entry point)."""
        with self._lock:
            self._Refresh(force=True)

    def Reload(self) -> None:
        """Re-read the file now, changed or not (SIGHUP)."""
        with self._lock:
            self._stamp = None
            self._Refresh(force=True)

    def _Refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        interval = _WATCHED_CHECK_INTERVAL if self.watched else \
            _CHECK_INTERVAL
        if not force and now - self._checked < interval:
            return
        first = not self._loaded
        self._loaded = True
        self._checked = now
        try:
            st = os.stat(self.path)
            stamp = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        except OSError:
            stamp = None
        if stamp == self._stamp and not first:
            return
        content: Optional[bytes] = None
        if stamp is not None:
            try:
                with open(self.path, "rb") as fh:
                    content = fh.read(_MAX_USERS_FILE)
            except OSError as err:
                logging.warning("Can't read users file %s: %s", self.path, err)
        users = ParseUsers(content.decode("utf-8", errors="replace")) \
            if content is not None else {}
        logging.info("Loaded %d RAPI user(s) from %s", len(users), self.path)
        changed = not first and content != self._content
        self._stamp = stamp
        self._content = content
        self._users = users
        if changed and self.on_change is not None:
            self.on_change()

    def Get(self, name: str) -> Optional[RapiUser]:
        with self._lock:
            self._Refresh()
            return self._users.get(name)

    def Names(self) -> List[str]:
        with self._lock:
            self._Refresh()
            return sorted(self._users)

    def Authenticate(self, name: str, password: str) -> Optional[RapiUser]:
        """The user if the credentials are right, else None."""
        user = self.Get(name)
        if user is None or not CheckPassword(user, password):
            return None
        return user
