"""Upstream's owners and groups of Ganeti's files, where its users exist.

Upstream 3.0 runs its daemons as their own users (gnt-masterd, gnt-confd,
gnt-rapi, with the group gnt-daemons), and its files belong to them.  Our
daemons run as root; on a node switched from upstream (whose users and
groups are still there) every file we write keeps upstream's owner and
group, so that the node can be switched back and upstream's daemons can
read and replace them.  Without those users (a node never run by
upstream) files stay root's, as before.

The owners are those of a real upstream node's listing
(tests/data/upstream-state/LISTING-var-lib-ganeti.txt).
"""

import grp
import os
import pwd
from typing import Dict, Optional, Tuple

from ganeti import pathutils

MASTERD_USER = "gnt-masterd"
CONFD_USER = "gnt-confd"
RAPI_USER = "gnt-rapi"
MASTERD_GROUP = "gnt-masterd"
CONFD_GROUP = "gnt-confd"
DAEMONS_GROUP = "gnt-daemons"

NO_OWNER = (-1, -1)


def _FileOwners() -> Dict[str, Tuple[str, str]]:
    """{path: (user, group)} of the single files upstream gives an owner."""
    p = pathutils
    return {
        p.CLUSTER_CONF_FILE: (MASTERD_USER, CONFD_GROUP),
        p.NODED_CERT_FILE: (MASTERD_USER, MASTERD_GROUP),
        p.NODED_CLIENT_CERT_FILE: (MASTERD_USER, MASTERD_GROUP),
        p.RAPI_CERT_FILE: (RAPI_USER, MASTERD_GROUP),
        p.CONFD_HMAC_KEY: (CONFD_USER, MASTERD_GROUP),
        p.CLUSTER_DOMAIN_SECRET_FILE: (MASTERD_USER, MASTERD_GROUP),
        p.SSH_KNOWN_HOSTS_FILE: (MASTERD_USER, MASTERD_GROUP),
        p.RAPI_USERS_FILE: (RAPI_USER, MASTERD_GROUP),
        p.RAPI_DATA_DIR: (RAPI_USER, MASTERD_GROUP),
    }


def _Lookup(user: str, group: str) -> Tuple[int, int]:
    """(uid, gid) of user and group, or NO_OWNER unless both exist."""
    try:
        return pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid
    except KeyError:
        return NO_OWNER


def _Names(path: str) -> Optional[Tuple[str, str]]:
    owner = _FileOwners().get(path)
    if owner is not None:
        return owner
    # The queue: its directories, job files, serial, version and drain
    # files, live and archived, all gnt-masterd:gnt-daemons.
    queue = pathutils.QUEUE_DIR
    if path == queue or path.startswith(queue + "/"):
        return MASTERD_USER, DAEMONS_GROUP
    return None


def UpstreamOwner(path: str) -> Tuple[int, int]:
    """(uid, gid) upstream gives path on this node, or NO_OWNER (-1, -1)
    when upstream names no owner for it, its users do not exist here, or
    we could not give files away (not root)."""
    names = _Names(os.path.normpath(path))
    if names is None or os.geteuid() != 0:
        return NO_OWNER
    return _Lookup(*names)
