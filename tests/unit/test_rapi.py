"""Unit tests of the RAPI logic: users file, authentication and access,
dispatch, body handling and the opcodes built from requests (the LUXI
client is a recording fake; the daemon itself is tested in
tests/cluster/test_rapi.py)."""

import base64
import email.message
import hashlib
import json
import os
import re

import pytest

from ganeti import errors
from ganeti import luxi
from ganeti import opcodes
from ganeti.http.server import HttpError
from ganeti.rapi import connector, resources, users

from testdata import SPEC


class FakeClient:
    """Records LUXI calls; answers a few of them."""

    def __init__(self):
        self.calls = []
        self.query_answer = {"fields": [], "data": []}

    def SubmitJob(self, ops):
        self.calls.append(("SubmitJob", ops))
        return 17

    def Query(self, what, fields, qfilter):
        self.calls.append(("Query", what, fields, qfilter))
        if isinstance(self.query_answer, Exception):
            raise self.query_answer
        return self.query_answer

    def _Plain(self, what, names, fields, use_locking):
        self.calls.append(("Query", what, fields, None))
        return [[value for _, value in row]
                for row in self.query_answer["data"]]

    def QueryInstances(self, names, fields, use_locking):
        return self._Plain("instance", names, fields, use_locking)

    def QueryNodes(self, names, fields, use_locking):
        return self._Plain("node", names, fields, use_locking)

    def QueryGroups(self, names, fields, use_locking):
        return self._Plain("group", names, fields, use_locking)

    def QueryNetworks(self, names, fields, use_locking):
        return self._Plain("network", names, fields, use_locking)

    def QueryTags(self, kind, name):
        self.calls.append(("QueryTags", kind, name))
        return ["t1"]

    def Close(self):
        pass


def _headers(user=None, ctype=None):
    msg = email.message.Message()
    if user:
        msg["Authorization"] = "Basic " + base64.b64encode(
            user.encode()).decode()
    if ctype:
        msg["Content-Type"] = ctype
    return msg


@pytest.fixture
def rapi(tmp_path):
    path = tmp_path / "users"
    ha1 = hashlib.md5(b"hauser:Ganeti Remote API:hapw").hexdigest()
    path.write_text("# comment\n\nadmin secret write\nreader"
                    " {CLEARTEXT}look read\nnobody pw\nhauser {HA1}%s"
                    " read,write\nbroken\n" % ha1)
    client = FakeClient()
    conn = connector.RapiConnector(users.UsersFile(str(path)),
                                   client_factory=lambda: client)
    conn.fake = client
    return conn


def _call(conn, method, path, user=None, body=None, ctype="application/json"):
    data = b"" if body is None else (body if isinstance(body, bytes)
                                     else json.dumps(body).encode())
    try:
        status, _, answer = conn(method, path,
                                 _headers(user, ctype if data else None),
                                 data)
    except HttpError as err:
        return err.code, err.message
    return status, json.loads(answer)


def test_users_file_parsing():
    parsed = users.ParseUsers("a pw\n b {ha1}X read , write\n#c x\nd\n"
                              "e pw READ,Write\na pw2 write\n")
    assert set(parsed) == {"a", "b", "e"}
    assert parsed["a"] == users.RapiUser("a", "pw2", frozenset(["write"]))
    assert parsed["b"].options == frozenset(["read"])
    assert parsed["e"].options == frozenset(["read", "write"])


def test_passwords():
    ha1 = hashlib.md5(b"u:Ganeti Remote API:pw").hexdigest()
    assert users.CheckPassword(users.RapiUser("u", "{Ha1}" + ha1.upper(),
                                              frozenset()), "pw")
    assert not users.CheckPassword(users.RapiUser("u", "{ha1}" + ha1,
                                                  frozenset()), "px")
    assert users.CheckPassword(users.RapiUser("u", "{cleartext}{x}",
                                              frozenset()), "{x}")
    assert not users.CheckPassword(users.RapiUser("u", "{sha}x",
                                                  frozenset()), "x")
    assert users.CheckPassword(users.RapiUser("u", "plain", frozenset()),
                               "plain")


def test_basic_auth_header():
    assert users.ParseBasicAuth(None) is None
    assert users.ParseBasicAuth("Basic " + base64.b64encode(
        b"a:b:c").decode()) == ("a", "b:c")
    for bad in ("Digest x", "Basic !!!", "Basic " +
                base64.b64encode(b"nocolon").decode()):
        with pytest.raises(ValueError):
            users.ParseBasicAuth(bad)


def test_users_file_is_reread_when_it_changes(tmp_path, monkeypatch):
    path = tmp_path / "users"
    path.write_text("a pw write\n")
    table = users.UsersFile(str(path))
    assert table.Authenticate("a", "pw") and not table.Get("b")
    path.write_text("a pw write\nb pw2 read\n")
    monkeypatch.setattr(users, "_CHECK_INTERVAL", 0.0)
    assert table.Authenticate("b", "pw2").options == frozenset(["read"])
    path.unlink()
    assert table.Get("a") is None


def test_access_matrix(rapi):
    shutdown = "/2/instances/i1/shutdown"
    assert _call(rapi, "PUT", shutdown)[0] == 401
    assert _call(rapi, "PUT", shutdown, "admin:wrong")[0] == 401
    assert _call(rapi, "GET", "/version", "admin:wrong")[0] == 401
    assert _call(rapi, "PUT", shutdown, "reader:look")[0] == 403
    assert _call(rapi, "PUT", shutdown, "nobody:pw")[0] == 403
    assert _call(rapi, "PUT", shutdown, "admin:secret") == (200, 17)
    assert _call(rapi, "PUT", shutdown, "hauser:hapw") == (200, 17)
    assert _call(rapi, "GET", "/version") == (200, 2)
    # read-or-write resources: anonymous 401, reader and writer allowed
    assert _call(rapi, "GET", "/2/query/node?fields=name")[0] == 401
    assert _call(rapi, "GET", "/2/query/node?fields=name",
                 "reader:look")[0] == 200
    assert _call(rapi, "GET", "/2/query/node?fields=name",
                 "admin:secret")[0] == 200
    assert _call(rapi, "GET", "/2/query/node?fields=name",
                 "nobody:pw")[0] == 403


def test_require_authentication(rapi):
    rapi.require_authentication = True
    assert _call(rapi, "GET", "/version")[0] == 401
    assert _call(rapi, "GET", "/version", "nobody:pw") == (200, 2)


def test_dispatch_errors(rapi):
    assert _call(rapi, "GET", "/2/nosuch") == \
        (404, "Nothing matches the given URI")
    assert _call(rapi, "DELETE", "/2/info", "admin:secret")[0] == 501
    assert _call(rapi, "POST", "/2/groups", "admin:secret", b"{x")[0] == 400
    assert _call(rapi, "POST", "/2/groups", "admin:secret", b"{}",
                 ctype="text/plain")[0] == 415
    deep = b"[" * 50000 + b"]" * 50000
    assert _call(rapi, "POST", "/2/groups", "admin:secret", deep)[0] == 400
    assert rapi.fake.calls == []


def test_error_body_format():
    ctype, body = connector.FormatError(401, "No permission")
    assert ctype == "application/json"
    assert json.loads(body) == {"code": 401, "message": "Unauthorized",
                                "explain": "No permission"}
    _, body = connector.FormatError(400, "x" * 100000)
    assert len(body) < 3000


def test_job_opcodes_from_url_query_and_body(rapi):
    status, _ = _call(rapi, "PUT", "/2/instances/i1/shutdown?dry-run=1"
                      "&no_remember=1&reason=maint", "admin:secret",
                      {"timeout": 30})
    assert status == 200
    (_, ops), = rapi.fake.calls
    op = ops[0]
    assert (op.OP_ID, op.instance_name, op.timeout, op.dry_run,
            op.no_remember) == ("OP_INSTANCE_SHUTDOWN", "i1", 30, True, True)
    assert [r[:2] for r in op.reason] == [
        ["gnt:user", "maint"],
        ["gnt:library:rlib2:instances_name_shutdown", ""]]


def test_body_cannot_override_the_url(rapi):
    status, message = _call(rapi, "PUT", "/2/instances/i1/shutdown",
                            "admin:secret", {"instance_name": "i2"})
    assert status == 400 and "instance_name" in message
    status, message = _call(rapi, "PUT", "/2/instances/i1/shutdown",
                            "admin:secret", {"bogus": 1})
    assert status == 400 and "bogus" in message
    status, message = _call(rapi, "PUT", "/2/instances/i1/shutdown",
                            "admin:secret", [1, 2])
    assert status == 400 and "not a dictionary" in message
    status, message = _call(rapi, "PUT", "/2/modify", "admin:secret",
                            {"compression_tools": ["gzip"]})
    assert status == 403
    assert rapi.fake.calls == []


def test_renames_and_creation_version(rapi):
    assert _call(rapi, "POST", "/2/instances", "admin:secret",
                 {"name": "i1"})[0] == 400
    status, _ = _call(rapi, "POST", "/2/instances", "admin:secret",
                      {"__version__": 1, "name": "i1", "os": "noop",
                       "mode": "create", "disks": [], "nics": [],
                       "disk_template": "diskless",
                       "hvparams": {"usb_devices": "a b"}})
    assert status == 200
    op = rapi.fake.calls[-1][1][0]
    assert (op.instance_name, op.os_type, op.hvparams) == \
        ("i1", "noop", {"usb_devices": "a,b"})
    status, _ = _call(rapi, "PUT", "/2/groups/g1/modify", "admin:secret",
                      {"custom_ndparams": {"spindle_count": 2}})
    assert status == 200
    assert rapi.fake.calls[-1][1][0].ndparams == {"spindle_count": 2}
    status, _ = _call(rapi, "POST", "/2/instances/i1/disk/2/grow",
                      "admin:secret", {"amount": 1024})
    op = rapi.fake.calls[-1][1][0]
    assert (op.OP_ID, op.disk, op.amount) == ("OP_INSTANCE_GROW_DISK", 2, 1024)


def test_reboot_type_defaults_to_hard(rapi):
    assert _call(rapi, "POST", "/2/instances/i1/reboot", "admin:secret")[0] \
        == 200
    assert rapi.fake.calls[-1][1][0].reboot_type == "hard"
    _call(rapi, "POST", "/2/instances/i1/reboot?type=soft", "admin:secret")
    assert rapi.fake.calls[-1][1][0].reboot_type == "soft"


def test_multi_alloc_job_can_be_sent(rapi):
    create = {"__version__": 1, "name": "i1", "os": "noop", "mode": "create",
              "disks": [], "nics": [], "disk_template": "diskless"}
    assert _call(rapi, "POST", "/2/instances-multi-alloc?dry-run=1",
                 "admin:secret", {"instances": [create]})[0] == 200
    ops = rapi.fake.calls[-1][1]
    request = luxi.FormatRequest(luxi.REQ_SUBMIT_JOB,
                                 ([op.ToDict() for op in ops],))
    op = opcodes.OpCode.LoadOpCode(
        json.loads(request)["args"][0][0])
    assert (op.OP_ID, op.dry_run) == ("OP_INSTANCE_MULTI_ALLOC", True)
    assert [(i["OP_ID"], i["instance_name"]) for i in op.instances] == \
        [("OP_INSTANCE_CREATE", "i1")]


def test_tags_and_reinstall(rapi):
    assert _call(rapi, "GET", "/2/nodes/n1/tags") == (200, ["t1"])
    assert rapi.fake.calls[-1] == ("QueryTags", "node", "n1")
    _call(rapi, "GET", "/2/tags")
    assert rapi.fake.calls[-1] == ("QueryTags", "cluster", None)
    assert _call(rapi, "PUT", "/2/tags", "admin:secret")[0] == 400
    assert _call(rapi, "PUT", "/2/groups/g/tags?tag=a&tag=b",
                 "admin:secret")[0] == 200
    op = rapi.fake.calls[-1][1][0]
    assert (op.OP_ID, op.kind, op.name, op.tags) == \
        ("OP_TAGS_SET", "nodegroup", "g", ["a", "b"])
    _call(rapi, "POST", "/2/instances/i1/reinstall", "admin:secret",
          {"os": "noop", "start": False})
    ops = rapi.fake.calls[-1][1]
    assert [o.OP_ID for o in ops] == ["OP_INSTANCE_SHUTDOWN",
                                      "OP_INSTANCE_REINSTALL"]
    _call(rapi, "POST", "/2/instances/i1/reinstall?os=noop", "admin:secret")
    assert len(rapi.fake.calls[-1][1]) == 3


def test_unknown_object_is_404(rapi):
    rapi.fake.query_answer = errors.OpPrereqError("Instance name x not found",
                                                  errors.ECODE_NOENT)
    assert _call(rapi, "GET", "/2/instances/x") == \
        (404, "Nothing matches the given URI")
    rapi.fake.query_answer = errors.OpPrereqError("bad filter",
                                                  errors.ECODE_INVAL)
    assert _call(rapi, "GET", "/2/instances/x")[0] == 400


def _spec_pairs():
    with open(os.path.join(SPEC, "rapi.md")) as handle:
        text = handle.read()
    index = text.split("## Resource index", 1)[1].split("## Resource details")[0]
    pairs = set()
    for path, method, access, cls in re.findall(
            r"^\| `([^`]+)` \| (\w+) \| ([^|]+) \|[^|]*\| `(\w+)` \|$", index,
            re.M):
        pairs.add((path, method, access.strip().split(" ")[0], cls))
    return pairs


def test_table_matches_the_spec():
    spec = _spec_pairs()
    assert len(spec) == 84
    ours = set()
    for res in resources.RESOURCES:
        for method, meth in res.methods.items():
            access = {None: "none", ("write",): "write",
                      ("read", "write"): "write,read"}[
                          tuple(meth.access) if meth.access else None]
            ours.add((res.template, method, access, res.class_name))
    assert ours == spec
