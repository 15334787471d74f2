"""RAPI answers keep upstream's key order: the recorded answers of
upstream 3.0, given to the handlers the way LUXI delivers them (keys
sorted), come out of the RAPI connector byte for byte as recorded."""

import email.message
import json
import os

import pytest

from ganeti.rapi import connector, rlib2, users

from testdata import REFERENCE


def _Recorded(name):
    with open(os.path.join(REFERENCE, "ops", name)) as handle:
        return handle.read().splitlines()[1]


def _Sorted(data):
    """data as LUXI hands it over (serializer.DumpJson sorts keys)."""
    return json.loads(json.dumps(data, sort_keys=True))


class _Luxi:
    def __init__(self, info=None, rows=None):
        self.info, self.rows = info, rows

    def QueryClusterInfo(self):
        return self.info

    def Query(self, what, fields, qfilter):
        return {"fields": [], "data": [[[0, row[f]] for f in fields]
                                       for row in self.rows]}

    def _Plain(self, names, fields, use_locking):
        return [[row[f] for f in fields] for row in self.rows]

    QueryInstances = QueryNodes = QueryGroups = QueryNetworks = _Plain

    def Close(self):
        pass


def _Get(luxi, path, tmp_path):
    (tmp_path / "users").write_text("")
    conn = connector.RapiConnector(users.UsersFile(str(tmp_path / "users")),
                                   client_factory=lambda: luxi)
    status, _, body = conn("GET", path, email.message.Message(), b"")
    assert status == 200
    return body.decode()


def test_info_in_upstreams_order(tmp_path):
    text = _Recorded("50-rapi-2-info.txt")
    info = json.loads(text)
    del info["vg_name"], info["drbd_helper"]  # RAPI adds them
    assert _Get(_Luxi(info=_Sorted(info)), "/2/info", tmp_path) == text


@pytest.mark.parametrize("path,name,fields", [
    ("/2/nodes?bulk=1", "54-rapi-2-nodes-bulk.txt", rlib2.N_FIELDS),
    ("/2/groups?bulk=1", "58-rapi-2-groups-bulk.txt", rlib2.G_FIELDS),
    ("/2/instances?bulk=1", "56-rapi-2-instances-bulk.txt", rlib2.I_FIELDS),
])
def test_bulk_answers_in_upstreams_order(tmp_path, path, name, fields):
    text = _Recorded(name)
    rows = json.loads(text)
    for row in rows:
        row.get("beparams", {}).pop("memory", None)  # RAPI adds it
    assert [list(row) for row in rows] == [fields] * len(rows)
    assert _Get(_Luxi(rows=_Sorted(rows)), path, tmp_path) == text
