"""JSON serialization, HMAC-signed messages and private values.

All JSON written by Ganeti (job files, LUXI, RPC, config) goes through Dump so
the output is stable: keys sorted, no indentation, a trailing newline.
"""

import hashlib
import hmac
import re
from typing import Any, Callable, Optional, Tuple, Union

try:
    import simplejson as _json
except ImportError:  # pragma: no cover - the venv always has simplejson
    import json as _json  # type: ignore[no-redef]

from ganeti import errors

_EOL_SPACE = re.compile(r"[ \t]+$", re.MULTILINE)

KeyType = Union[str, bytes]


class Private:
    """Wrap a secret value so it is not logged or serialized by accident."""

    __slots__ = ("_item", "_descr")

    def __init__(self, item: Any, descr: str = "") -> None:
        self._item = item
        self._descr = descr

    def Get(self) -> Any:
        """Return the wrapped value."""
        return self._item

    def __str__(self) -> str:
        return "<redacted>"

    def __repr__(self) -> str:
        return "Private(?, descr=%r)" % self._descr

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, Private):
            return self._item == other._item
        return self._item == other

    def __hash__(self) -> int:
        return hash(self._item)

    def __bool__(self) -> bool:
        return bool(self._item)


class PrivateDict(dict):
    """A dict whose values are all Private (e.g. osparams_private)."""

    def __init__(self, data: Optional[dict] = None) -> None:
        super().__init__()
        for key, value in (data or {}).items():
            self[key] = value

    def __setitem__(self, key: str, value: Any) -> None:
        if not isinstance(value, Private):
            value = Private(value, descr=key)
        super().__setitem__(key, value)

    def Unprivate(self) -> dict:
        """Return a plain dict with the values unwrapped."""
        return {key: value.Get() for key, value in self.items()}


def EncodeWithoutPrivateFields(obj: Any) -> Any:
    """JSON default hook hiding private values (they become null)."""
    if isinstance(obj, Private):
        return None
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    raise TypeError("Object of type %s is not JSON serializable"
                    % type(obj).__name__)


def EncodeWithPrivateFields(obj: Any) -> Any:
    """JSON default hook revealing private values (RPC to trusted nodes)."""
    if isinstance(obj, Private):
        return obj.Get()
    return EncodeWithoutPrivateFields(obj)


# simplejson looks for a namedtuple's _asdict on every list and tuple it
# encodes unless told not to: that check made encoding large answers (a bulk
# query of 1000 instances) three times slower.  Ganeti serializes no
# namedtuples, so the output is the same.
_DUMP_OPTIONS = {"namedtuple_as_object": False} \
    if getattr(_json, "__name__", "") == "simplejson" else {}


def DumpJson(data: Any, private_encoder: Optional[Callable] = None,
             indent: Optional[int] = None) -> str:
    """Serialize data to JSON text (sorted keys, ends with a newline)."""
    if private_encoder is None:
        private_encoder = EncodeWithoutPrivateFields
    txt = _json.dumps(data, sort_keys=True, indent=indent,
                      default=private_encoder, **_DUMP_OPTIONS)
    if indent is not None:
        txt = _EOL_SPACE.sub("", txt)
    if not txt.endswith("\n"):
        txt += "\n"
    return txt


def JsonNumber(value: Any) -> Union[int, float]:
    """float(value), integral values as int: the number as upstream's
    configuration and LUXI answers carry it (their JSON writes 4.0 as 4)."""
    number = float(value)
    if number.is_integer():
        return int(number)
    return number


def LoadJson(txt: Union[str, bytes]) -> Any:
    """Parse JSON text (str or UTF-8 bytes)."""
    if isinstance(txt, bytes):
        txt = txt.decode("utf-8")
    return _json.loads(txt)


# Deepest nesting of lists and objects accepted from untrusted peers (LUXI
# clients, node RPC requests).  Real requests nest a handful of levels; a
# bound keeps recursive code (and the parser) away from Python's recursion
# limit.
JSON_MAX_DEPTH = 100


class JsonNestingError(ValueError):
    """A JSON document nests deeper than allowed."""


def _CheckDepth(data: Any, max_depth: int) -> None:
    """Raise JsonNestingError if data nests deeper than max_depth.

    Level by level, without recursion; linear in the number of values.
    """
    level = [data] if type(data) in (dict, list) else []
    depth = 0
    while level:
        depth += 1
        if depth > max_depth:
            break
        deeper: list = []
        add = deeper.append
        for item in level:
            for value in (item.values() if type(item) is dict else item):
                kind = type(value)
                if kind is dict or kind is list:
                    add(value)
        level = deeper
    else:
        return
    raise JsonNestingError("JSON nesting too deep (more than %d levels)"
                           % max_depth)


def LoadUntrustedJson(txt: Union[str, bytes],
                      max_depth: int = JSON_MAX_DEPTH) -> Any:
    """LoadJson for input from peers: nesting beyond max_depth is refused.

    Raises ValueError (JsonNestingError for too deep documents), never
    RecursionError.
    """
    try:
        data = LoadJson(txt)
    except RecursionError:
        raise JsonNestingError("JSON nesting too deep (more than %d levels)"
                               % max_depth)
    _CheckDepth(data, max_depth)
    return data


def LoadAndVerifyJson(raw: Union[str, bytes],
                      verify_fn: Callable[[Any], bool]) -> Any:
    """Parse JSON and check it with verify_fn; raise ParseError if it fails."""
    try:
        data = LoadJson(raw)
    except ValueError as err:
        raise errors.ParseError("Can't parse JSON: %s" % err)
    if not verify_fn(data):
        raise errors.ParseError("Data does not match expected format: %s"
                                % verify_fn)
    return data


Dump = DumpJson
Load = LoadJson


def _ToBytes(value: KeyType) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def Sha1Hmac(key: KeyType, text: KeyType, salt: Optional[KeyType] = None
             ) -> str:
    """Return the lowercase hex HMAC-SHA1 of salt + text under key."""
    msg = _ToBytes(salt or b"") + _ToBytes(text)
    return hmac.new(_ToBytes(key), msg, hashlib.sha1).hexdigest()


def VerifySha1Hmac(key: KeyType, text: KeyType, digest: str,
                   salt: Optional[KeyType] = None) -> bool:
    """Check digest against Sha1Hmac(key, text, salt) in constant time."""
    return hmac.compare_digest(Sha1Hmac(key, text, salt=salt),
                               str(digest).lower())


def DumpSignedJson(data: Any, key: KeyType, salt: str = "",
                   key_selector: str = "",
                   private_encoder: Optional[Callable] = None) -> str:
    """Serialize data inside a signed envelope {msg, salt, hmac}.

    The HMAC covers salt (+ key_selector, if any) prepended to the message.
    """
    return SignJsonText(DumpJson(data, private_encoder=private_encoder), key,
                        salt=salt, key_selector=key_selector)


def SignJsonText(msg: str, key: KeyType, salt: str = "",
                 key_selector: str = "") -> str:
    """The signed envelope of msg, JSON text already (see DumpSignedJson)."""
    envelope = {"msg": msg, "salt": salt,
                "hmac": Sha1Hmac(key, msg, salt=salt + key_selector)}
    if key_selector:
        envelope["key_selector"] = key_selector
    return DumpJson(envelope)


def LoadSignedJson(txt: Union[str, bytes],
                   key: Union[KeyType, Callable[[str], KeyType]]
                   ) -> Tuple[Any, str]:
    """Verify and parse a signed envelope; return (data, salt).

    key is the HMAC key, or a function mapping the envelope's key_selector
    to a key.  Raises SignatureError on a bad envelope or HMAC.
    """
    try:
        envelope = LoadJson(txt)
    except ValueError as err:
        raise errors.SignatureError("Invalid JSON in signed message: %s" % err)
    if not isinstance(envelope, dict):
        raise errors.SignatureError("Signed message is not a JSON object")
    try:
        msg = envelope["msg"]
        salt = envelope["salt"]
        digest = envelope["hmac"]
    except KeyError as err:
        raise errors.SignatureError("Signed message lacks field %s" % err)
    selector = envelope.get("key_selector", "") or ""
    if callable(key):
        hmac_key = key(selector) if selector else key(None)
    else:
        hmac_key = key
    if not (isinstance(msg, str) and isinstance(salt, str)
            and isinstance(digest, str)):
        raise errors.SignatureError("Malformed signed message")
    if not VerifySha1Hmac(hmac_key, msg, digest, salt=salt + selector):
        raise errors.SignatureError("Invalid signature")
    return LoadJson(msg), salt
