"""gnt-storage: the ExtStorage providers of the cluster.

diagnose and info submit an OpExtStorageDiagnose job (like upstream) and
print, per provider, its status on each node and node group, or the node
groups it is valid for and its parameters.
"""

from typing import Any, Dict, List

from ganeti import opcodes
from ganeti.cli import (ArgExtStorage, EXIT_FAILURE, EXIT_SUCCESS,
                        GenericMain, PRIORITY_OPT, SubmitOpCode, ToStderr,
                        ToStdout)
from ganeti.utils.text import CommaJoin, NiceSort


def _ExtStorageStatus(status: bool, diagnose: str) -> str:
    return "valid" if status else "invalid - %s" % diagnose


def ShowExtStorageInfo(opts: Any, args: List[str]) -> int:
    """gnt-storage info [provider...]."""
    op = opcodes.OpExtStorageDiagnose(output_fields=["name",
                                                     "nodegroup_status",
                                                     "parameters"],
                                      names=[])
    result = SubmitOpCode(op, opts=opts)
    if not result:
        ToStderr("Can't get the ExtStorage providers list")
        return EXIT_FAILURE
    wanted = list(args)
    for name, nodegroup_data, parameters in result:
        if args:
            if name not in wanted:
                continue
            wanted.remove(name)
        valid_groups = [group for group, status in nodegroup_data.items()
                        if status]
        ToStdout("%s:", name)
        if valid_groups:
            ToStdout("  - Valid for nodegroups:")
            for group in NiceSort(valid_groups):
                ToStdout("      %s", group)
            ToStdout("  - Supported parameters:")
            for pname, pdesc in parameters:
                ToStdout("      %s: %s", pname, pdesc)
        else:
            ToStdout("  - Invalid for all nodegroups")
        ToStdout("")
    for name in wanted:
        ToStdout("%s: Not Found", name)
        ToStdout("")
    return EXIT_SUCCESS


def _PrintPerName(fmt: str, msg_map: Dict[str, str]) -> None:
    for name in NiceSort(list(msg_map)):
        ToStdout(fmt, name, msg_map[name])


def DiagnoseExtStorage(opts: Any, args: List[str]) -> int:
    """gnt-storage diagnose: each provider's status per node and group."""
    op = opcodes.OpExtStorageDiagnose(output_fields=["name", "node_status",
                                                     "nodegroup_status"],
                                      names=[])
    result = SubmitOpCode(op, opts=opts)
    if not result:
        ToStderr("Can't get the list of ExtStorage providers")
        return EXIT_FAILURE
    for provider_name, node_data, nodegroup_data in result:
        nodes_valid: Dict[str, str] = {}
        nodes_bad: Dict[str, str] = {}
        for node_name, node_info in node_data.items():
            if not node_info:
                nodes_bad[node_name] = "ExtStorage provider not found"
                continue
            path, status, diagnose, params = node_info[0]
            msg = "%s (path: %s)" % (_ExtStorageStatus(status, diagnose),
                                     path)
            if params:
                msg += " [parameters: %s]" % CommaJoin(p[0] for p in params)
            else:
                msg += " [no parameters]"
            (nodes_valid if status else nodes_bad)[node_name] = msg
        groups_valid = {name: "valid" for name, status
                        in nodegroup_data.items() if status}
        groups_bad = {name: "invalid" for name, status
                      in nodegroup_data.items() if not status}
        ToStdout("Provider: %s", provider_name)
        ToStdout("---")
        _PrintPerName("  Node: %s, status: %s", nodes_valid)
        _PrintPerName("  Node: %s, status: %s", nodes_bad)
        ToStdout("  --")
        _PrintPerName("  For nodegroup: %s --> %s", groups_valid)
        _PrintPerName("  For nodegroup: %s --> %s", groups_bad)
        ToStdout("")
    return EXIT_SUCCESS


commands = {
    "diagnose": (
        DiagnoseExtStorage, [], [PRIORITY_OPT],
        "", "Diagnose all ExtStorage providers"),
    "info": (
        ShowExtStorageInfo, [ArgExtStorage()], [PRIORITY_OPT],
        "[<provider>...]",
        "Show info about ExtStorage providers"),
}


def Main() -> int:
    return GenericMain(commands)
