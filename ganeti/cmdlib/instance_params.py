"""Master-side checks of the values given to instance create/modify and
cluster modify: instance names, backend and hypervisor parameters, disk
sizes.  They run in CheckArguments/CheckPrereq, before anything changes;
a bad value gives a one-line OpPrereqError (ECODE_INVAL), an unknown
parameter name a TypeEnforcementError ("Unknown parameter 'x'")."""

from typing import Any, Dict, Optional

from ganeti import constants as C
from ganeti import errors
from ganeti import hypervisor
from ganeti import netutils
from ganeti.cmdlib.group import ForceVTypes

#: Backend parameters whose value must be at least 1 (CPUs, MiB).
_BE_AT_LEAST_ONE = ("vcpus", "maxmem", "minmem", "memory")


def NormalizeInstanceName(name: str) -> str:
    """The instance name lowercased; OpPrereqError if it is no valid
    host name ("Invalid hostname 'x'")."""
    return netutils.Hostname.GetNormalizedName(name)


def CheckBeParamValues(beparams: Optional[Dict[str, Any]]) -> None:
    """Refuse impossible backend values (typed already, see
    instance_utils.ForceBeParamTypes): vcpus and memory below 1."""
    for key in _BE_AT_LEAST_ONE:
        value = (beparams or {}).get(key)
        if value is None or value == C.VALUE_DEFAULT:
            continue
        if value < 1:
            raise errors.OpPrereqError("Invalid value %s for backend"
                                       " parameter '%s', it must be at"
                                       " least 1" % (value, key),
                                       errors.ECODE_INVAL)


def CheckDiskSize(size: Any) -> int:
    """A disk size in MiB as an integer; it must be positive."""
    try:
        value = int(size)
    except (TypeError, ValueError):
        value = None
    if value is None or isinstance(size, bool) or value < 1 or \
            (isinstance(size, float) and size != value):
        raise errors.OpPrereqError("Invalid disk size '%s'" % (size,),
                                   errors.ECODE_INVAL)
    return value


def ForceHvParamTypes(hvname: str, hvparams: Optional[Dict[str, Any]],
                      allow_default: bool = False) -> None:
    """Refuse hypervisor parameters no hypervisor knows (as upstream's
    type enforcement does) and those hvname does not support; convert the
    values in place to their declared types ("False" -> False, "2" -> 2).
    allow_default keeps "default" (modify: back to the inherited value)."""
    known_anywhere = hypervisor.AllParameterTypes()
    own = hypervisor.ParameterTypes(hvname)
    for key in sorted(hvparams or {}):
        if key not in known_anywhere:
            raise errors.TypeEnforcementError("Unknown parameter '%s'" % key)
        if key not in own:
            raise errors.HypervisorError("Parameter '%s' is not supported"
                                         % key)
    ForceVTypes(hvparams or {}, own, allow_default=allow_default)
