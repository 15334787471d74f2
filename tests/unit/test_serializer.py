"""Tests for ganeti.serializer: JSON output, signed messages, private data."""

import hashlib
import hmac

import pytest

from ganeti import errors
from ganeti import serializer


def test_dump_is_sorted_compact_and_newline_terminated():
    text = serializer.DumpJson({"b": 1, "a": [1, 2.5, None, True], "c": "x"})
    assert text == '{"a": [1, 2.5, null, true], "b": 1, "c": "x"}\n'
    assert serializer.Dump is serializer.DumpJson


def test_dump_indent_has_no_trailing_spaces():
    text = serializer.DumpJson({"a": [1, 2], "b": {}}, indent=2)
    assert all(line == line.rstrip() for line in text.splitlines())
    assert serializer.LoadJson(text) == {"a": [1, 2], "b": {}}


def test_load_roundtrip_and_bytes():
    data = {"unicode": "h\u00e9llo", "n": [1, -2, 3.25], "t": [[1, 2]]}
    assert serializer.LoadJson(serializer.DumpJson(data)) == data
    assert serializer.LoadJson(serializer.DumpJson(data).encode()) == data
    assert serializer.LoadJson(serializer.DumpJson((1, 2))) == [1, 2]
    with pytest.raises(ValueError):
        serializer.LoadJson("{not json")


def test_load_and_verify():
    assert serializer.LoadAndVerifyJson("[1]", lambda d: isinstance(d, list))
    with pytest.raises(errors.ParseError):
        serializer.LoadAndVerifyJson("{}", lambda d: isinstance(d, list))
    with pytest.raises(errors.ParseError):
        serializer.LoadAndVerifyJson("{", lambda d: True)


def test_signed_envelope_matches_confd_format():
    key = "0123456789abcdef"
    data = {"protocol": 1, "type": 0, "query": None, "rsalt": "1234"}
    text = serializer.DumpSignedJson(data, key, salt="1700000000")
    envelope = serializer.LoadJson(text)
    assert set(envelope) == {"msg", "salt", "hmac"}
    assert envelope["salt"] == "1700000000"
    expected = hmac.new(key.encode(), ("1700000000" + envelope["msg"])
                        .encode(), hashlib.sha1).hexdigest()
    assert envelope["hmac"] == expected
    loaded, salt = serializer.LoadSignedJson(text, key)
    assert loaded == data and salt == "1700000000"


def test_signed_rejects_tampering_and_wrong_key():
    text = serializer.DumpSignedJson({"a": 1}, "key", salt="s")
    with pytest.raises(errors.SignatureError):
        serializer.LoadSignedJson(text, "other-key")
    envelope = serializer.LoadJson(text)
    envelope["msg"] = envelope["msg"].replace("1", "2")
    with pytest.raises(errors.SignatureError):
        serializer.LoadSignedJson(serializer.DumpJson(envelope), "key")
    envelope = serializer.LoadJson(text)
    envelope["salt"] = "t"
    with pytest.raises(errors.SignatureError):
        serializer.LoadSignedJson(serializer.DumpJson(envelope), "key")
    with pytest.raises(errors.SignatureError):
        serializer.LoadSignedJson('{"msg": "x"}', "key")
    with pytest.raises(errors.SignatureError):
        serializer.LoadSignedJson("garbage", "key")


def test_signed_key_selector():
    keys = {"k1": "secret1", "k2": "secret2"}
    text = serializer.DumpSignedJson([1], keys["k2"], salt="x",
                                     key_selector="k2")
    assert serializer.LoadJson(text)["key_selector"] == "k2"
    assert serializer.LoadSignedJson(text, keys.get) == ([1], "x")
    with pytest.raises(errors.SignatureError):
        serializer.LoadSignedJson(text, lambda sel: "secret1")


def test_private_values_hidden_unless_requested():
    secret = serializer.Private("hunter2", descr="password")
    assert str(secret) == "<redacted>"
    assert "hunter2" not in repr(secret)
    data = {"user": "root", "password": secret}
    assert serializer.LoadJson(serializer.DumpJson(data)) == \
        {"user": "root", "password": None}
    clear = serializer.DumpJson(
        data, private_encoder=serializer.EncodeWithPrivateFields)
    assert serializer.LoadJson(clear)["password"] == "hunter2"
    pdict = serializer.PrivateDict({"a": 1})
    assert isinstance(pdict["a"], serializer.Private)
    assert pdict.Unprivate() == {"a": 1}


def test_untrusted_json_nesting_limit():
    ok = "[" * serializer.JSON_MAX_DEPTH + "]" * serializer.JSON_MAX_DEPTH
    assert serializer.LoadUntrustedJson(ok) is not None
    assert serializer.LoadUntrustedJson('{"a": [1, {"b": []}]}') == \
        {"a": [1, {"b": []}]}
    deeper = '{"a": ' * (serializer.JSON_MAX_DEPTH + 1) + "1" + \
        "}" * (serializer.JSON_MAX_DEPTH + 1)
    # Deep enough to overflow the parser's recursion, and just over the limit.
    for text in ("[" * 100000 + "]" * 100000, deeper):
        with pytest.raises(serializer.JsonNestingError) as err:
            serializer.LoadUntrustedJson(text)
        assert isinstance(err.value, ValueError)
        assert "nesting too deep" in str(err.value)


def test_dump_json_encodes_tuple_subclasses_as_lists():
    """No namedtuple look-up per list (it made large answers three times
    slower to encode): a tuple with _asdict is a list like any tuple."""
    import collections
    Pair = collections.namedtuple("Pair", ["a", "b"])
    assert serializer.DumpJson({"x": Pair(1, 2), "y": (3, [4])}) == \
        '{"x": [1, 2], "y": [3, [4]]}\n'
