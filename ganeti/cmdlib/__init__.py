"""Logical units: one module per object area.

`LU_MAPPING` maps an opcode class name ("OpTestDelay") to the logical unit
class running it ("LUTestDelay"), collected from the modules listed in
`_LU_MODULES`.  Adding a module of LUs is one line there.
"""

import importlib
from typing import Dict, Optional, Type

from ganeti.cmdlib.base import (  # noqa: F401 (public re-exports)
    LogicalUnit, NoHooksLU, ResultWithJobs, Tasklet)

# Modules (under ganeti.cmdlib) holding LU classes.
_LU_MODULES = (
    "cluster",
    "cluster_ops",
    "cluster_disks",
    "verify",
    "tags",
    "query",
    "node",
    "node_storage",
    "node_membership",
    "node_commands",
    "group",
    "network",
    "os",
    "extstorage",
    "test",
    "instance_create",
    "instance_ops",
    "instance_disks",
    "instance_replace_disks",
    "instance_set_params",
    "instance_migration",
    "instance_move",
    "instance_query",
    "group_change",
    "backup",
)


def _CollectLUs(module_names) -> Dict[str, Type[LogicalUnit]]:
    """{"OpFooBar": LUFooBar} for every LU class defined in the modules."""
    mapping: Dict[str, Type[LogicalUnit]] = {}
    for mod_name in module_names:
        module = importlib.import_module("%s.%s" % (__name__, mod_name))
        for name, obj in vars(module).items():
            if (name.startswith("LU") and isinstance(obj, type) and
                    issubclass(obj, LogicalUnit) and
                    obj.__module__ == module.__name__):
                op_name = "Op" + name[2:]
                if op_name in mapping and mapping[op_name] is not obj:
                    raise ImportError("Two logical units for %s: %s and %s" %
                                      (op_name, mapping[op_name], obj))
                mapping[op_name] = obj
    return mapping


LU_MAPPING: Dict[str, Type[LogicalUnit]] = _CollectLUs(_LU_MODULES)


def GetLUClass(op) -> Optional[Type[LogicalUnit]]:
    """The LU class for an opcode (instance or class), or None."""
    cls = op if isinstance(op, type) else type(op)
    return LU_MAPPING.get(cls.__name__)
