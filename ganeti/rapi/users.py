"""The RAPI users file and HTTP Basic authentication.

Format (one user per line): ``<name> <password> [<options>]``; options is a
comma list of ``read``/``write``; ``#`` comments and blank lines are
ignored, as are lines with fewer than two fields.  A password is plain text,
``{cleartext}<pw>`` or ``{ha1}<md5 of "user:Ganeti Remote API:pw">``
(scheme case-insensitive).

The file is re-read whenever it changes (its inode, size or mtime), checked
at most once a second, so an edited users file takes effect without a
restart or a signal.
"""

import base64
import binascii
import hashlib
import hmac
import logging
import os
import threading
import time
from typing import Dict, FrozenSet, List, NamedTuple, Optional, Tuple

REALM = "Ganeti Remote API"
ACCESS_READ = "read"
ACCESS_WRITE = "write"
_CHECK_INTERVAL = 1.0


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
    """The users file, re-read when it changes."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: Optional[Tuple[int, int, int, int]] = None
        self._checked = 0.0
        self._users: Dict[str, RapiUser] = {}
        self._Refresh(force=True)

    def _Refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked < _CHECK_INTERVAL:
            return
        self._checked = now
        try:
            st = os.stat(self.path)
            stamp = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        except OSError:
            stamp = None
        if stamp == self._stamp and not force:
            return
        users: Dict[str, RapiUser] = {}
        if stamp is not None:
            try:
                with open(self.path, encoding="utf-8",
                          errors="replace") as fh:
                    users = ParseUsers(fh.read(1024 * 1024))
            except OSError as err:
                logging.warning("Can't read users file %s: %s", self.path, err)
        if stamp != self._stamp:
            logging.info("Loaded %d RAPI user(s) from %s", len(users),
                         self.path)
        self._stamp = stamp
        self._users = users

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
