"""Hypervisor abstraction: name -> class registry.

``GetHypervisorClass(name)`` gives the class (parameter checks, console
information: classmethods usable on the master); ``GetHypervisor(name)``
an instance for node-side work (one per name and process, so per-qemu
caches are shared).  kvm and fake are implemented; xen-pvm, xen-hvm, lxc
and chroot only know their parameters (so clusters can validate and show
them) and refuse to run instances.
"""

import importlib
import threading
from typing import Any, Dict, Type

from ganeti import constants
from ganeti import defaults
from ganeti import errors
from ganeti.hypervisor import hv_base

_MODULES = {
    constants.HT_FAKE: ("ganeti.hypervisor.hv_fake", "FakeHypervisor"),
    constants.HT_KVM: ("ganeti.hypervisor.hv_kvm", "KVMHypervisor"),
}

_classes: Dict[str, Type[hv_base.BaseHypervisor]] = {}
_instances: Dict[str, hv_base.BaseHypervisor] = {}
_lock = threading.Lock()


def _ParamFromDefault(value: Any) -> hv_base.Param:
    if isinstance(value, bool):
        return hv_base.BoolParam()
    if isinstance(value, int):
        return hv_base.IntParam()
    return hv_base.StringParam()


def _UnavailableClass(name: str) -> Type[hv_base.BaseHypervisor]:
    """A hypervisor we cannot run: parameters (from the defaults) only."""

    def _Refuse(self: Any, *args: Any, **kwargs: Any) -> None:
        raise errors.HypervisorError("The %s hypervisor is not supported on"
                                     " this node" % name)

    attrs: Dict[str, Any] = {
        "NAME": name,
        "PARAMETERS": {key: _ParamFromDefault(value) for key, value in
                       defaults.HVC_DEFAULTS.get(name, {}).items()},
        "StartInstance": _Refuse, "StopInstance": _Refuse,
        "RebootInstance": _Refuse, "MigrateInstance": _Refuse,
        "ListInstances": lambda self, hvparams=None: [],
        "GetInstanceInfo": lambda self, name, hvparams=None: None,
        "Verify": lambda self, hvparams=None:
            "The %s hypervisor is not supported on this node" % name,
    }
    return type("Unavailable_%s" % name.replace("-", "_"),
                (hv_base.BaseHypervisor,), attrs)


def GetHypervisorClass(name: str) -> Type[hv_base.BaseHypervisor]:
    """The class of hypervisor name (HypervisorError if unknown)."""
    with _lock:
        cls = _classes.get(name)
        if cls is not None:
            return cls
        if name in _MODULES:
            modname, clsname = _MODULES[name]
            cls = getattr(importlib.import_module(modname), clsname)
        elif name in constants.HYPER_TYPES:
            cls = _UnavailableClass(name)
        else:
            raise errors.HypervisorError("Unknown hypervisor type '%s'"
                                         % name)
        _classes[name] = cls
        return cls


def GetHypervisor(name: str) -> hv_base.BaseHypervisor:
    """The (shared) node-side object of hypervisor name."""
    cls = GetHypervisorClass(name)
    with _lock:
        hv = _instances.get(name)
        if hv is None:
            hv = _instances[name] = cls()
        return hv


def ParameterTypes(name: str) -> Dict[str, str]:
    """Parameter name -> VTYPE_* of hypervisor name."""
    return GetHypervisorClass(name).ParameterTypes()


def AllParameterTypes() -> Dict[str, str]:
    """Every hypervisor parameter of every hypervisor -> VTYPE_*."""
    result: Dict[str, str] = {}
    for name in constants.HYPER_TYPES:
        result.update(ParameterTypes(name))
    return result
