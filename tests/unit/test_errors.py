"""Tests for ganeti.errors: classes, error codes and the wire encoding."""

import pytest

from ganeti import errors
from ganeti import serializer


def _ThroughJson(value):
    return serializer.LoadJson(serializer.DumpJson(value))


@pytest.mark.parametrize("err", [
    errors.OpPrereqError("Instance 'x' not known", errors.ECODE_NOENT),
    errors.OpExecError("Could not start instance"),
    errors.JobQueueFull(),
    errors.JobQueueDrainError("Job queue is drained, refusing job"),
    errors.HooksAbort([["node1", "script", "output"]]),
    errors.ResolverError("host.example.com", 1, "unknown host"),
    errors.QuitGanetiException(True, "shutting down"),
    errors.NoMasterError("/var/run/ganeti/socket/ganeti-query"),
    errors.ConfigVersionMismatch(3000000, 2160000),
])
def test_roundtrip_through_json(err):
    encoded = _ThroughJson(errors.EncodeException(err))
    assert encoded == [err.__class__.__name__, list(_ThroughJson(
        list(err.args)))]
    decoded = errors.DecodeException(encoded)
    assert type(decoded) is type(err)
    assert decoded.args == tuple(_ThroughJson(list(err.args)))
    with pytest.raises(type(err)) as info:
        errors.MaybeRaise(encoded)
    assert info.value.args == decoded.args


def test_opprereqerror_wire_shape_matches_job_files():
    err = errors.OpPrereqError("Duration must be greater than zero",
                               errors.ECODE_INVAL)
    text = serializer.DumpJson(errors.EncodeException(err))
    assert text == ('["OpPrereqError", ["Duration must be greater than'
                    ' zero", "wrong_input"]]\n')
    decoded = errors.DecodeException(serializer.LoadJson(text))
    assert errors.GetErrorCode(decoded) == "wrong_input"


def test_ecode_values():
    assert errors.ECODE_RESOLVER == "resolver_error"
    assert errors.ECODE_NORES == "insufficient_resources"
    assert errors.ECODE_TEMP_NORES == "temp_insufficient_resources"
    assert errors.ECODE_INVAL == "wrong_input"
    assert errors.ECODE_STATE == "wrong_state"
    assert errors.ECODE_NOENT == "unknown_entity"
    assert errors.ECODE_EXISTS == "already_exists"
    assert errors.ECODE_NOTUNIQUE == "resource_not_unique"
    assert errors.ECODE_FAULT == "internal_error"
    assert errors.ECODE_ENVIRON == "environment_error"
    assert len(errors.ECODE_ALL) == 10


def test_hierarchy():
    assert issubclass(errors.JobQueueFull, errors.JobQueueError)
    assert issubclass(errors.JobQueueDrainError, errors.JobQueueError)
    assert issubclass(errors.HooksAbort, errors.HooksFailure)
    assert issubclass(errors.ConfigVersionMismatch, errors.ConfigurationError)
    assert issubclass(errors.NoMasterError, errors.ProtocolError)
    assert issubclass(errors.ProtocolError, errors.LuxiError)
    assert issubclass(errors.PidFileLockError, errors.LockError)
    for name in ("OpPrereqError", "OpExecError", "LockError", "TagError",
                 "ParameterError", "TypeEnforcementError", "X509CertError"):
        assert issubclass(getattr(errors, name), errors.GenericError)
    # These two are signals, not errors.
    assert not issubclass(errors.QuitGanetiException, errors.GenericError)
    assert not issubclass(errors.JobSubmittedException, errors.GenericError)


def test_unknown_class_decodes_to_generic_error():
    decoded = errors.DecodeException(["ValueError", ["bad value"]])
    assert type(decoded) is errors.GenericError
    assert decoded.args == ("bad value",)
    assert decoded.remote_class == "ValueError"
    # ...but MaybeRaise only raises for known Ganeti errors.
    errors.MaybeRaise(["ValueError", ["bad value"]])
    errors.MaybeRaise(["some", ["ordinary", "data"]])
    assert errors.GetEncodedError(["OpExecError", ["x"]]) == \
        (errors.OpExecError, ("x",))


def test_malformed_encoding():
    assert type(errors.DecodeException("oops")) is errors.GenericError
    assert errors.GetEncodedError(None) is None
    assert errors.GetEncodedError(["OpExecError"]) is None
    assert errors.GetEncodedError(["OpExecError", "x"]) is None
    errors.MaybeRaise({"a": 1})


def test_non_json_args_are_stringified():
    err = errors.OpExecError("failed", ValueError("inner"), (1, 2), b"raw")
    encoded = _ThroughJson(errors.EncodeException(err))
    assert encoded == ["OpExecError", ["failed", "inner", [1, 2], "raw"]]
