"""RAPI /2/filters and /2/filters/{uuid}: the request handlers through the
connector, against the master's real filter methods (in process)."""

import base64
import email.message
import json

import pytest

from ganeti.http.server import HttpError
from ganeti.rapi import connector, users

from filter_fakes import HandlerClient

UUID = "5f0c7a9e-3b1d-4e2f-9a8b-7c6d5e4f3a2b"
PAUSE_TAGS = {"priority": 2, "action": "PAUSE",
              "predicates": [["opcode", ["=", "OP_ID", "OP_TAGS_SET"]]],
              "reason": [["gnt:user", "maintenance", 1]]}


@pytest.fixture
def rapi(tmp_path):
    path = tmp_path / "users"
    path.write_text("admin secret write\nreader look read\n")
    client = HandlerClient(tmp_path)
    conn = connector.RapiConnector(users.UsersFile(str(path)),
                                   client_factory=lambda: client)
    conn.master = client
    return conn


def _Call(conn, method, path, user=None, body=None):
    headers = email.message.Message()
    if user:
        headers["Authorization"] = "Basic " + base64.b64encode(
            user.encode()).decode()
    data = b""
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body).encode()
    try:
        status, _, answer = conn(method, path, headers, data)
    except HttpError as err:
        return err.code, err.message
    return status, json.loads(answer)


def test_post_adds_a_rule_with_the_requests_reason(rapi):
    assert _Call(rapi, "POST", "/2/filters", body=PAUSE_TAGS)[0] == 401
    assert _Call(rapi, "POST", "/2/filters", "reader:look",
                 PAUSE_TAGS)[0] == 403
    status, uuid = _Call(rapi, "POST", "/2/filters?reason=because",
                         "admin:secret", PAUSE_TAGS)
    assert status == 200
    rule = rapi.master.Stored()[uuid]
    assert (rule["priority"], rule["action"], rule["predicates"],
            rule["watermark"]) == (2, "PAUSE", PAUSE_TAGS["predicates"], 41)
    assert rule["reason_trail"][0] == ["gnt:user", "maintenance", 1]
    assert [entry[:2] for entry in rule["reason_trail"][1:]] == [
        ["gnt:user", "because"], ["gnt:library:rlib2:filters", ""]]
    assert rapi.master.queue.changed == 1


def test_post_defaults(rapi):
    status, uuid = _Call(rapi, "POST", "/2/filters", "admin:secret", {})
    assert status == 200
    rule = rapi.master.Stored()[uuid]
    assert (rule["priority"], rule["predicates"], rule["action"]) == (
        0, [], "CONTINUE")


@pytest.mark.parametrize("body,message", [
    ({"priority": 1, "color": "red"},
     "Unknown parameter(s) in body: color"),
    ({"priority": "high"}, "Parameter 'priority' must be an integer"),
    ({"predicates": "opcode"}, "Parameter 'predicates' must be a list"),
    ({"action": "DROP"}, "Invalid filter action 'DROP': expected one of"
     " ACCEPT, CONTINUE, PAUSE, REJECT or [\"RATE_LIMIT\", n]"),
    ({"predicates": [["nosuch", []]]}, "Invalid filter predicate"
     " ['nosuch', []]: expected [name, filter] with name one of jobid,"
     " opcode, reason"),
])
def test_bad_bodies_are_400(rapi, body, message):
    assert _Call(rapi, "POST", "/2/filters", "admin:secret", body) == (
        400, message)
    assert rapi.master.Stored() == {}


def test_get_list_bulk_and_one(rapi):
    _, uuid = _Call(rapi, "POST", "/2/filters", "admin:secret", PAUSE_TAGS)
    assert _Call(rapi, "GET", "/2/filters") == (
        200, [{"uuid": uuid, "uri": "/2/filters/%s" % uuid}])
    status, bulk = _Call(rapi, "GET", "/2/filters?bulk=1")
    assert status == 200 and len(bulk) == 1
    assert list(bulk[0]) == ["watermark", "priority", "predicates", "action",
                             "reason_trail", "uuid"]
    assert (bulk[0]["uuid"], bulk[0]["action"], bulk[0]["priority"]) == (
        uuid, "PAUSE", 2)
    assert _Call(rapi, "GET", "/2/filters/%s" % uuid) == (200, bulk[0])
    assert _Call(rapi, "GET", "/2/filters/%s" % UUID) == (
        404, "Filter uuid %s not found" % UUID)


def test_put_replaces_or_creates_and_delete_removes(rapi):
    _, uuid = _Call(rapi, "POST", "/2/filters", "admin:secret", PAUSE_TAGS)
    rapi.master.queue.highest = 60
    assert _Call(rapi, "PUT", "/2/filters/%s" % uuid, body={})[0] == 401
    assert _Call(rapi, "PUT", "/2/filters/%s" % uuid, "admin:secret",
                 {"action": ["RATE_LIMIT", 3]}) == (200, uuid)
    rule = rapi.master.Stored()[uuid]
    assert (rule["action"], rule["priority"], rule["watermark"]) == (
        ["RATE_LIMIT", 3], 0, 60)
    assert _Call(rapi, "PUT", "/2/filters/%s" % UUID, "admin:secret",
                 {"action": "REJECT"}) == (200, UUID)
    assert _Call(rapi, "PUT", "/2/filters/not-a-uuid", "admin:secret",
                 {}) == (400, "Invalid filter UUID 'not-a-uuid'")
    assert _Call(rapi, "DELETE", "/2/filters/%s" % uuid)[0] == 401
    assert _Call(rapi, "DELETE", "/2/filters/%s" % uuid,
                 "admin:secret") == (200, None)
    assert list(rapi.master.Stored()) == [UUID]
    assert _Call(rapi, "DELETE", "/2/filters/%s" % uuid,
                 "admin:secret") == (404, "Filter uuid %s not found" % uuid)
