"""Files keep upstream's owners, groups and modes where upstream's daemon
users exist (ganeti.utils.owners), compared with a real upstream node's
listing (tests/data/upstream-state/LISTING-var-lib-ganeti.txt)."""

import collections
import os

import pytest

import testdata
from ganeti import pathutils
from ganeti.bootstrap import GenerateClusterCrypto
from ganeti.jqueue import store as jqueue_store
from ganeti.utils import io as utils_io
from ganeti.utils import owners

# Made-up ids standing for upstream's users and groups on this machine.
FAKE_USERS = {"gnt-masterd": 4101, "gnt-confd": 4102, "gnt-rapi": 4103}
FAKE_GROUPS = {"gnt-masterd": 4201, "gnt-confd": 4202, "gnt-daemons": 4203}
_Ent = collections.namedtuple("_Ent", "pw_uid gr_gid")


def _Listing():
    """{name: (mode string, owner, group)} of upstream's var/lib/ganeti."""
    entries = {}
    with open(os.path.join(testdata.DATA, "upstream-state",
                           "LISTING-var-lib-ganeti.txt")) as handle:
        for line in handle:
            fields = line.split()
            if len(fields) == 9:
                entries[fields[8]] = (fields[0], fields[2], fields[3])
    return entries


def _ModeString(path):
    mode = os.stat(path).st_mode
    bits = "".join(ch if mode & (1 << (8 - i)) else "-"
                   for i, ch in enumerate("rwxrwxrwx"))
    return ("d" if os.path.isdir(path) else "-") + bits


@pytest.fixture
def upstream_users(monkeypatch):
    if os.geteuid() != 0:
        pytest.skip("giving files away needs root")

    def getpwnam(name):
        if name not in FAKE_USERS:
            raise KeyError(name)
        return _Ent(FAKE_USERS[name], None)

    def getgrnam(name):
        if name not in FAKE_GROUPS:
            raise KeyError(name)
        return _Ent(None, FAKE_GROUPS[name])
    monkeypatch.setattr(owners.pwd, "getpwnam", getpwnam)
    monkeypatch.setattr(owners.grp, "getgrnam", getgrnam)


def _Names(path):
    st = os.stat(path)
    users = {v: k for k, v in FAKE_USERS.items()}
    groups = {v: k for k, v in FAKE_GROUPS.items()}
    return users.get(st.st_uid, st.st_uid), groups.get(st.st_gid, st.st_gid)


def test_files_get_upstream_owners_and_modes(ganeti_root, upstream_users):
    GenerateClusterCrypto("node1.example.test")
    utils_io.WriteFile(pathutils.CLUSTER_CONF_FILE, data="{}", mode=0o640)
    store = jqueue_store.JobStore(pathutils.QUEUE_DIR)
    store.EnsureLayout()
    store.WriteSerial(611)
    listing = _Listing()
    for name in ("config.data", "server.pem", "client.pem", "rapi.pem",
                 "hmac.key", "cluster-domain-secret", "queue"):
        path = os.path.join(pathutils.DATA_DIR, name)
        mode, user, group = listing[name]
        assert _Names(path) == (user, group), name
        assert _ModeString(path) == mode, name
    # The queue's files: upstream's job-1 line (gnt-masterd:gnt-daemons).
    assert _Names(store.serial_file) == ("gnt-masterd", "gnt-daemons")
    assert _Names(store.archive_dir) == ("gnt-masterd", "gnt-daemons")
    assert _ModeString(store.serial_file) == "-rw-r-----"


def test_no_upstream_users_files_stay_ours(ganeti_root, monkeypatch):
    def missing(name):
        raise KeyError(name)
    monkeypatch.setattr(owners.pwd, "getpwnam", missing)
    os.makedirs(pathutils.DATA_DIR)
    utils_io.WriteFile(pathutils.CLUSTER_CONF_FILE, data="{}", mode=0o640)
    st = os.stat(pathutils.CLUSTER_CONF_FILE)
    assert (st.st_uid, st.st_gid) == (os.geteuid(), os.getegid())
    assert owners.UpstreamOwner(pathutils.CLUSTER_CONF_FILE) == \
        owners.NO_OWNER


def test_files_upstream_names_no_owner_for(ganeti_root, upstream_users):
    path = os.path.join(pathutils.DATA_DIR, "ssconf_cluster_name")
    assert owners.UpstreamOwner(path) == owners.NO_OWNER
    assert owners.UpstreamOwner(pathutils.QUEUE_DIR + "/job-7") == \
        (FAKE_USERS["gnt-masterd"], FAKE_GROUPS["gnt-daemons"])
