"""The OpenAPI document of the RAPI: generated from the live resource table
and the opcode declarations, committed as doc/rapi-openapi.json, served at
/openapi.json; the JSON Schemas of the ht checks accept what they accept."""

import json
import os
import re

import pytest

from ganeti import ht
from ganeti import opcodes
from ganeti.http.server import HttpError
from ganeti.rapi import connector, openapi, resources, users
from ganeti.rapi.request import BODY_PARAMS

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
COMMITTED = os.path.join(REPO, "doc", "rapi-openapi.json")
_TYPING_KEYWORDS = {"type", "anyOf", "allOf", "enum", "const", "not"}


@pytest.fixture(scope="module")
def document():
    return openapi.BuildDocument()


def _Resolve(doc, schema):
    ref = schema.get("$ref")
    if ref is None:
        return schema
    node = doc
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def test_committed_document_is_current():
    with open(COMMITTED) as handle:
        committed = handle.read()
    assert committed == openapi.RenderDocument(), \
        "regenerate: python -m ganeti.rapi.openapi doc/rapi-openapi.json"


def test_every_path_and_method_with_its_access(document):
    paths = document["paths"]
    assert set(paths) == {r.template for r in resources.RESOURCES}
    pairs = 0
    for res in resources.RESOURCES:
        item = paths[res.template]
        assert set(item) == {m.lower() for m in res.methods}
        for method, spec in res.methods.items():
            pairs += 1
            op = item[method.lower()]
            assert op["x-ganeti-access"] == (spec.access or [])
            if spec.access is None:
                assert {} in op["security"]
            else:
                assert op["security"] == [{"basicAuth": []}]
                assert "403" in op["responses"]
            names = [p["name"] for p in op["parameters"] if p["in"] == "path"]
            assert names == re.findall(r"\{([a-z_]+)\}", res.template)
            assert op["responses"]["200"]["content"]["application/json"]
    assert (len(paths), pairs) == (61, 84)
    ids = [op["operationId"] for item in paths.values()
           for op in item.values()]
    assert len(ids) == len(set(ids))


def test_every_body_parameter_is_typed(document):
    checked = 0
    for res in resources.RESOURCES:
        for method, spec in res.methods.items():
            op = document["paths"][res.template][method.lower()]
            job_spec = getattr(spec.handler, "job_spec", None)
            body = op.get("requestBody")
            if job_spec is not None:
                assert (body is not None) == (job_spec.body == BODY_PARAMS)
                if body is None:
                    continue
                schema = body["content"]["application/json"]["schema"]
                expected = set(job_spec.BodyParameters()) | {
                    old for old, new in job_spec.renames.items()
                    if new in job_spec.BodyParameters()}
                assert set(schema["properties"]) == expected, res.template
                assert schema["x-ganeti-opcode"] == job_spec.opcode.OP_ID
            elif body is None:
                continue
            schema = body["content"]["application/json"]["schema"]
            for name, prop in schema.get("properties", {}).items():
                prop = _Resolve(document, prop)
                assert _TYPING_KEYWORDS & set(prop), (res.template, name)
                checked += 1
    assert checked > 300


def test_required_and_defaults_come_from_the_opcode(document):
    body = document["paths"]["/2/groups/{name}/rename"]["put"][
        "requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["new_name"]
    assert body["properties"]["new_name"]["x-ganeti-type"] == "NEString"
    create = document["paths"]["/2/instances"]["post"]["requestBody"][
        "content"]["application/json"]["schema"]
    params = {p[0]: p for p in opcodes.OpInstanceCreate.GetAllParams()}
    assert set(create["properties"]) == set(params) - {"reason", "dry_run"} \
        | {"__version__", "name", "os"}
    assert "__version__" in create["required"]
    assert "instance_name" not in create["required"]  # or "name"
    assert create["properties"]["name"]["x-ganeti-type"] == \
        create["properties"]["instance_name"]["x-ganeti-type"]
    assert create["properties"]["start"]["default"] == params["start"][1]
    prio = _Resolve(document, create["properties"]["priority"])
    assert prio["x-ganeti-type"] == ht.Describe(params["priority"][2])


# A small validator of the JSON Schema keywords ht generates.

def _Type(value, name):
    return {"null": value is None, "boolean": isinstance(value, bool),
            "integer": isinstance(value, int) and not isinstance(value, bool),
            "number": isinstance(value, (int, float)) and
            not isinstance(value, bool),
            "string": isinstance(value, str),
            "array": isinstance(value, list),
            "object": isinstance(value, dict)}[name]


def _Valid(schema, value):
    if "type" in schema and not _Type(value, schema["type"]):
        return False
    if "enum" in schema and not any(
            value == item and isinstance(value, bool) == isinstance(item, bool)
            for item in schema["enum"]):
        return False
    checks = [
        ("anyOf", lambda s: any(_Valid(x, value) for x in s)),
        ("allOf", lambda s: all(_Valid(x, value) for x in s)),
        ("not", lambda s: not _Valid(s, value)),
    ]
    if any(key in schema and not fn(schema[key]) for key, fn in checks):
        return False
    if _Type(value, "number"):
        if "minimum" in schema and value < schema["minimum"]:
            return False
        if "maximum" in schema and value > schema["maximum"]:
            return False
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            return False
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            return False
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            return False
        if "pattern" in schema and not re.search(schema["pattern"], value):
            return False
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0) or \
                len(value) > schema.get("maxItems", len(value)):
            return False
        if schema.get("uniqueItems") and \
                len(set(map(json.dumps, value))) < len(value):
            return False
        prefix = schema.get("prefixItems", [])
        if not all(_Valid(s, v) for s, v in zip(prefix, value)):
            return False
        if "items" in schema and not all(_Valid(schema["items"], v)
                                         for v in value[len(prefix):]):
            return False
    if isinstance(value, dict):
        props = schema.get("properties", {})
        if any(key not in value for key in schema.get("required", [])):
            return False
        for key, val in value.items():
            if key in props:
                if not _Valid(props[key], val):
                    return False
            elif schema.get("additionalProperties") is False:
                return False
            elif isinstance(schema.get("additionalProperties"), dict) and \
                    not _Valid(schema["additionalProperties"], val):
                return False
            if "propertyNames" in schema and \
                    not _Valid(schema["propertyNames"], key):
                return False
    return True


_VALUES = [None, True, False, 0, 1, -3, 2.5, "", "x", "12", "10.0.0.1",
           "::1", [], [1], ["a", "b"], ["a", "a"], [True, "s"], {},
           {"a": 1}, {"name": "x"}, {"name": 3}, {"other": 1}]
_CHECKS = [
    ht.TNone, ht.TBool, ht.TInt, ht.TFloat, ht.TString, ht.TNEString,
    ht.TList, ht.TDict, ht.TNonNegativeInt, ht.TPositiveInt,
    ht.TNegativeInt, ht.TPositiveFloat, ht.TInRange(0, 5),
    ht.TLessThan(2), ht.TMaybeString, ht.TMaybeListOfNEString,
    ht.TElemOf(["a", "b", 1]), ht.TSetOf(ht.TString),
    ht.TDictOf(ht.TElemOf(["a", "name"]), ht.TInt),
    ht.TItems([ht.TBool, ht.TString]), ht.TTupleOf(ht.TBool, ht.TString),
    ht.TStrictDict(True, True, {"name": ht.TString}),
    ht.TStrictDict(False, False, {"name": ht.TString}),
    ht.TRegex(r"^[0-9]+$"), ht.TJobId, ht.TJobIdOrRelative, ht.TIPv4Address,
    ht.TOr(ht.TInt, ht.TNEString), ht.TAnd(ht.TInt, ht.TNonNegativeInt),
    ht.TNot(ht.TNone), ht.Comment(ht.TInt, "a comment"),
    ht.WithDesc("Thing", ht.TBool), opcodes.TNicParams,
]


@pytest.mark.parametrize("check", _CHECKS, ids=str)
def test_ht_schema_accepts_what_the_check_accepts(check):
    schema = ht.JsonSchema(check)
    for value in _VALUES:
        if "format" in json.dumps(schema):
            if value in ("10.0.0.1", "::1", "x", "12", ""):
                continue  # formats are annotations to a validator
        assert _Valid(schema, value) == check(value), (value, schema)


def test_schema_of_a_plain_check_is_its_description():
    check = ht.Check(lambda v: True, "Special")
    assert ht.JsonSchema(check) == {"description": "Special"}
    schema = ht.JsonSchema(ht.TListOf(check))
    assert schema == {"type": "array", "items": {"description": "Special"}}
    schema["items"]["x"] = 1  # a fresh copy every time
    assert ht.JsonSchema(ht.TListOf(check))["items"] == {
        "description": "Special"}


def test_served_by_the_daemon_handler(tmp_path):
    path = tmp_path / "users"
    path.write_text("admin secret write\n")
    conn = connector.RapiConnector(users.UsersFile(str(path)))
    status, headers, body = conn("GET", "/openapi.json", {}, b"")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert body.decode() == openapi.RenderDocument()
    with pytest.raises(HttpError) as err:
        conn("POST", "/openapi.json", {}, b"")
    assert err.value.code == 501
    strict = connector.RapiConnector(users.UsersFile(str(path)),
                                     require_authentication=True)
    with pytest.raises(HttpError) as err:
        strict("GET", "/openapi.json", {}, b"")
    assert err.value.code == 401


def test_generator_command(tmp_path, capsys):
    out = tmp_path / "api.json"
    assert openapi.main([str(out)]) == 0
    assert json.loads(out.read_text())["openapi"] == "3.1.0"
    assert openapi.main([]) == 1
    assert "Usage" in capsys.readouterr().err
