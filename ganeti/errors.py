"""Ganeti's typed exceptions and their wire encoding.

Exceptions cross process boundaries (LUXI, job files, RAPI) encoded as the
two-element list ``[class_name, [args...]]``.  The class names are part of the
interface: scripts and upstream clients re-raise by name.
"""

from typing import Any, Optional, Tuple, Type

# Error codes carried as the second argument of OpPrereqError (and a few
# others).  The string values are what clients see.
ECODE_RESOLVER = "resolver_error"
ECODE_NORES = "insufficient_resources"
ECODE_TEMP_NORES = "temp_insufficient_resources"
ECODE_INVAL = "wrong_input"
ECODE_STATE = "wrong_state"
ECODE_NOENT = "unknown_entity"
ECODE_EXISTS = "already_exists"
ECODE_NOTUNIQUE = "resource_not_unique"
ECODE_FAULT = "internal_error"
ECODE_ENVIRON = "environment_error"

ECODE_ALL = frozenset([
    ECODE_RESOLVER, ECODE_NORES, ECODE_TEMP_NORES, ECODE_INVAL, ECODE_STATE,
    ECODE_NOENT, ECODE_EXISTS, ECODE_NOTUNIQUE, ECODE_FAULT, ECODE_ENVIRON,
])


class GenericError(Exception):
    """Base class for every Ganeti error."""


class LVMError(GenericError):
    """An LVM command failed."""


class LockError(GenericError):
    """A lock could not be acquired or released."""


class PidFileLockError(LockError):
    """The PID file is locked by another (live) process."""


class HypervisorError(GenericError):
    """A hypervisor operation failed."""


class HotplugError(HypervisorError):
    """Hot-plugging a device failed."""


class ProgrammerError(GenericError):
    """Internal misuse of an API; should never be seen by users."""


class BlockDeviceError(GenericError):
    """A block device operation failed."""


class ConfigurationError(GenericError):
    """The cluster configuration is inconsistent."""


class ConfigVersionMismatch(ConfigurationError):
    """The configuration file has a different version than this code."""


class AddressPoolError(GenericError):
    """An operation on a network's address pool failed."""


class ReservationError(GenericError):
    """A temporary reservation (MAC, IP, minor...) failed."""


class RemoteError(GenericError):
    """A remote (RPC) operation failed."""


class SignatureError(GenericError):
    """A signed message failed verification."""


class ParameterError(GenericError):
    """A parameter is invalid (args: name of the parameter)."""


class ResultValidationError(GenericError):
    """An opcode's result failed validation."""


class OpPrereqError(GenericError):
    """An opcode's prerequisites are not met; args: (message, ecode)."""


class OpExecError(GenericError):
    """An opcode failed during execution."""


class OpResultError(GenericError):
    """An opcode's result is not what was expected."""


class DeviceCreationError(GenericError):
    """Creating devices failed; args: (message, created_devices)."""


class OpCodeUnknown(GenericError):
    """An unknown opcode was submitted."""


class JobLost(GenericError):
    """The job disappeared from the queue."""


class JobCanceled(GenericError):
    """The job was cancelled while running."""


class JobFileCorrupted(GenericError):
    """A job file could not be parsed."""


class ResolverError(GenericError):
    """Host name resolution failed; args: (name, errno, message)."""


class HooksFailure(GenericError):
    """Running the hooks failed (not a hook's verdict)."""


class HooksAbort(HooksFailure):
    """A pre-hook refused the operation; args: list of failures."""


class UnitParseError(GenericError):
    """A size/unit string could not be parsed."""


class ParseError(GenericError):
    """Generic parsing failure (e.g. query filters, external output)."""


class TypeEnforcementError(GenericError):
    """A value did not have the type a parameter requires."""


class X509CertError(GenericError):
    """An X.509 certificate is invalid; args: (filename, message)."""


class TagError(GenericError):
    """A tag is invalid or an operation on tags failed."""


class CommandError(GenericError):
    """A command-line usage error."""


class StorageError(GenericError):
    """A storage unit operation failed."""


class InotifyError(GenericError):
    """Setting up or using inotify failed."""


class QuitGanetiException(Exception):
    """Not an error: asks the daemon to stop; args: (shutdown, message)."""


class JobQueueError(GenericError):
    """Generic job queue error."""


class JobQueueDrainError(JobQueueError):
    """The job queue is drained: no new jobs are accepted."""


class JobQueueFull(JobQueueError):
    """The job queue holds too many jobs."""


class ConfdMagicError(GenericError):
    """A confd packet did not start with the expected magic."""


class ConfdClientError(GenericError):
    """The confd client was misused or failed."""


class UdpDataSizeError(GenericError):
    """A UDP packet was too large."""


class NoCtrlSocketError(GenericError):
    """The control socket of a daemon is missing."""


class JobSubmittedException(Exception):
    """Not an error: the job was submitted (--submit); args: (job_id,)."""


class LuxiError(GenericError):
    """Base class for LUXI (client/master socket) errors."""


class ProtocolError(LuxiError):
    """A LUXI message was malformed or unexpected."""


class ConnectionClosedError(ProtocolError):
    """The LUXI peer closed the connection."""


class TimeoutError(ProtocolError):  # noqa: A001 (upstream name)
    """A LUXI operation timed out."""


class RequestError(ProtocolError):
    """The LUXI server rejected the request."""


class NoMasterError(ProtocolError):
    """The master daemon is not reachable (not running or not master)."""


class PermissionError(ProtocolError):  # noqa: A001 (upstream name)
    """No permission to open the LUXI socket."""


class IPAddressError(GenericError):
    """An IP address is invalid."""


class FileStoragePathError(GenericError):
    """A file storage path is not allowed."""


class RapiTestResult(GenericError):
    """Result of a RAPI test request (used by the RAPI test client)."""


def _Classes() -> dict:
    """Map of exception name -> class for every class defined here."""
    if not _CLASSES:
        _CLASSES.update((name, obj) for name, obj in globals().items()
                        if isinstance(obj, type)
                        and issubclass(obj, Exception)
                        and obj.__module__ == __name__)
    return _CLASSES


_CLASSES: dict = {}


def _Jsonable(value: Any) -> Any:
    """Coerce an exception argument into something JSON can carry."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_Jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _Jsonable(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def EncodeException(err: BaseException) -> list:
    """Encode an exception as ``[class_name, [args...]]`` for the wire."""
    return [err.__class__.__name__, _Jsonable(list(err.args))]


def GetErrorClass(name: str) -> Optional[Type[Exception]]:
    """Return the Ganeti exception class called name, or None."""
    return _Classes().get(name)


def GetEncodedError(result: Any) -> Optional[Tuple[Type[Exception], tuple]]:
    """Return (class, args) if result is an encoded Ganeti error, else None.

    Only names of classes defined in this module are recognised, so data
    that merely looks like ``[str, list]`` is not mistaken for an error.
    """
    if (isinstance(result, (list, tuple)) and len(result) == 2
            and isinstance(result[0], str)
            and isinstance(result[1], (list, tuple))):
        cls = GetErrorClass(result[0])
        if cls is not None:
            return cls, tuple(result[1])
    return None


def DecodeException(data: Any) -> Exception:
    """Rebuild an exception from its encoded form.

    Unknown class names (e.g. a plain Python exception encoded by a peer)
    become GenericError with the same args; the original name is kept in
    the ``remote_class`` attribute.  Malformed input gives a GenericError
    holding the raw data.
    """
    if (isinstance(data, (list, tuple)) and len(data) == 2
            and isinstance(data[0], str)
            and isinstance(data[1], (list, tuple))):
        cls = GetErrorClass(data[0])
        if cls is None:
            err = GenericError(*data[1])
            err.remote_class = data[0]  # type: ignore[attr-defined]
            return err
        return cls(*data[1])
    return GenericError(data)


def MaybeRaise(result: Any) -> None:
    """Raise the encoded Ganeti error in result, if it is one."""
    enc = GetEncodedError(result)
    if enc is not None:
        cls, args = enc
        raise cls(*args)


def GetErrorCode(err: BaseException) -> Optional[str]:
    """Return the ECODE_* carried by err (as 2nd argument), or None."""
    if len(err.args) >= 2 and err.args[1] in ECODE_ALL:
        return err.args[1]
    return None
