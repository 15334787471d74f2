"""gnt-os: list, diagnose, show and modify the guest OS definitions.

list/diagnose/info submit an OpOsDiagnose job (like upstream) and format
its old-style rows; modify submits OpClusterSetParams with the OS's
hypervisor/OS parameters and hidden/blacklisted flags.
"""

import re
from typing import Any, Dict, List, Optional, Sequence

from ganeti import constants
from ganeti.cli import (ARGS_ONE_OS, ArgOs, DRY_RUN_OPT, EXIT_FAILURE,
                        EXIT_SUCCESS, GenerateTable, GenericMain, HVLIST_OPT,
                        NOHDR_OPT, OSPARAMS_OPT, OSPARAMS_PRIVATE_OPT,
                        PRIORITY_OPT, SUBMIT_OPTS, SubmitOpCode, SubmitOrSend,
                        ToStderr, ToStdout, cli_option)
from ganeti.utils.text import CommaJoin

HID_OS_OPT = cli_option("--hidden", dest="hidden", type="bool",
                        default=None, metavar="yes|no",
                        help="Sets the hidden flag on the OS")

BLK_OS_OPT = cli_option("--blacklisted", dest="blacklisted", type="bool",
                        default=None, metavar="yes|no",
                        help="Sets the blacklisted flag on the OS")

_VARIANT_SEP = "+"


def CalculateOSNames(name: str, variants: Optional[Sequence[str]]
                     ) -> List[str]:
    """"os+variant" for each variant, or just the name without variants."""
    if variants:
        return ["%s%s%s" % (name, _VARIANT_SEP, v) for v in variants]
    return [name]


def _Diagnose(opts, fields: List[str], names: Optional[List[str]] = None
              ) -> List[list]:
    from ganeti import opcodes
    op = opcodes.OpOsDiagnose(output_fields=fields, names=names or [])
    return SubmitOpCode(op, opts=opts) or []


# --- list -------------------------------------------------------------------

def ListOS(opts, args) -> int:
    """One line per usable OS name (with variants expanded)."""
    rows = _Diagnose(opts, ["name", "variants"])
    names = []
    for name, variants in rows:
        names.extend([n] for n in CalculateOSNames(name, variants))
    headers = None if opts.no_headers else {"name": "Name"}
    for line in GenerateTable(headers=headers, fields=["name"],
                              separator=None, data=names):
        ToStdout(line)
    return EXIT_SUCCESS


# --- info -------------------------------------------------------------------

def ShowOSInfo(opts, args) -> int:
    """Details of every OS (or of the named ones)."""
    rows = _Diagnose(opts, ["name", "valid", "variants", "parameters",
                            "api_versions", "blacklisted", "hidden",
                            "os_hvp", "osparams", "trusted"], args)
    for (name, valid, variants, parameters, api_versions, blacklisted,
         hidden, os_hvp, osparams, trusted) in rows:
        ToStdout("%s:", name)
        ToStdout("  - valid: %s", valid)
        ToStdout("  - hidden: %s", hidden)
        ToStdout("  - blacklisted: %s", blacklisted)
        if valid:
            ToStdout("  - API versions:")
            for version in sorted(api_versions or []):
                ToStdout("    - %s", version)
            ToStdout("  - variants:")
            for variant in variants or []:
                ToStdout("    - %s", variant)
            ToStdout("  - parameters:")
            for pname, pdoc in parameters or []:
                ToStdout("    - %s: %s", pname, pdoc)
        if os_hvp:
            ToStdout("  - OS-specific hypervisor parameters:")
            for hv_name in sorted(os_hvp):
                ToStdout("    - %s:", hv_name)
                for key in sorted(os_hvp[hv_name] or {}):
                    ToStdout("      %s: %s", key, os_hvp[hv_name][key])
        if osparams:
            ToStdout("  - OS parameters:")
            for key in sorted(osparams):
                ToStdout("    %s: %s", key, osparams[key])
        ToStdout("  - trusted: %s", trusted)
        ToStdout("")
    return EXIT_SUCCESS


# --- diagnose ---------------------------------------------------------------

def _OsStatus(status: bool, diagnose: str) -> str:
    return "valid" if status else "invalid - %s" % diagnose


def _NodeOsLine(entry: Sequence[Any]) -> str:
    """The per-node text of the OS definition used on that node."""
    (path, status, diagnose, variants, params, api_versions,
     trusted) = entry[:7]
    text = "%s (path: %s)" % (_OsStatus(status, diagnose), path)
    if api_versions:
        text += " [API versions: %s]" % CommaJoin(sorted(api_versions))
        max_api = max(api_versions)
    else:
        text += " [no API versions declared]"
        max_api = 0
    if max_api >= 15:
        if variants:
            text += " [variants: %s]" % CommaJoin(variants)
        else:
            text += " [no variants]"
    if max_api >= 20:
        if params:
            text += " [parameters: %s]" % CommaJoin(p[0] for p in params)
        else:
            text += " [no parameters]"
    text += " [trusted]" if trusted else " [untrusted]"
    return text


def _NiceKey(name: str):
    return [(0, int(part), "") if part.isdigit() else (1, 0, part)
            for part in re.split(r"(\d+)", name)]


def DiagnoseOS(opts, args) -> int:
    """Per-node status of every OS; exit code 1 if one is not valid
    everywhere."""
    rows = _Diagnose(opts, ["name", "valid", "variants", "node_status",
                            "hidden", "blacklisted"])
    has_bad = False
    for os_name, _, variants, node_data, hidden, blacklisted in rows:
        valid_nodes: Dict[str, str] = {}
        bad_nodes: Dict[str, str] = {}
        shadowed: Dict[str, List[str]] = {}
        for node, entries in (node_data or {}).items():
            shadowed[node] = []
            if not entries:
                bad_nodes[node] = "OS not found"
                continue
            text = _NodeOsLine(entries[0])
            if entries[0][1]:
                valid_nodes[node] = text
            else:
                bad_nodes[node] = text
            for entry in entries[1:]:
                shadowed[node].append("    [hidden] path: %s, status: %s" %
                                      (entry[0], _OsStatus(entry[1],
                                                           entry[2])))
        if valid_nodes and not bad_nodes:
            status = "valid"
        elif bad_nodes and not valid_nodes:
            status = "invalid"
            has_bad = True
        else:
            status = "partial valid"
            has_bad = True
        line = "OS: %s [global status: %s]" % (os_name, status)
        if hidden:
            line += " [hidden]"
        if blacklisted:
            line += " [blacklisted]"
        ToStdout(line)
        if variants:
            ToStdout("  Variants: [%s]", CommaJoin(variants))
        for per_node in (valid_nodes, bad_nodes):
            for node in sorted(per_node, key=_NiceKey):
                ToStdout("  Node: %s, status: %s", node, per_node[node])
                for text in shadowed[node]:
                    ToStdout(text)
        ToStdout("")
    return EXIT_FAILURE if has_bad else EXIT_SUCCESS


# --- modify -----------------------------------------------------------------

def ModifyOS(opts, args) -> int:
    """Set the cluster-level parameters and flags of one OS."""
    from ganeti import opcodes
    os_name = args[0]
    os_hvp = {os_name: dict(opts.hvparams)} if opts.hvparams else None
    osparams = {os_name: opts.osparams} if opts.osparams else None
    osparams_private = ({os_name: opts.osparams_private}
                        if opts.osparams_private else None)
    hidden = None
    if opts.hidden is not None:
        hidden = [(constants.DDM_ADD if opts.hidden else constants.DDM_REMOVE,
                   os_name)]
    blacklisted = None
    if opts.blacklisted is not None:
        blacklisted = [(constants.DDM_ADD if opts.blacklisted
                        else constants.DDM_REMOVE, os_name)]
    if not (os_hvp or osparams or osparams_private or hidden or blacklisted):
        ToStderr("At least one of OS parameters or hypervisor parameters"
                 " must be passed")
        return EXIT_FAILURE
    op = opcodes.OpClusterSetParams(os_hvp=os_hvp, osparams=osparams,
                                    osparams_private_cluster=osparams_private,
                                    hidden_os=hidden,
                                    blacklisted_os=blacklisted)
    SubmitOrSend(op, opts)
    return EXIT_SUCCESS


commands = {
    "list": (
        ListOS, [], [NOHDR_OPT, PRIORITY_OPT],
        "", "Lists all valid operating systems on the cluster"),
    "diagnose": (
        DiagnoseOS, [], [PRIORITY_OPT],
        "", "Diagnose all operating systems"),
    "info": (
        ShowOSInfo, [ArgOs()], [PRIORITY_OPT],
        "[<os>...]", "Show detailed information about operating systems"),
    "modify": (
        ModifyOS, ARGS_ONE_OS,
        [HVLIST_OPT, OSPARAMS_OPT, OSPARAMS_PRIVATE_OPT, DRY_RUN_OPT,
         PRIORITY_OPT, HID_OS_OPT, BLK_OS_OPT] + SUBMIT_OPTS,
        "<os>", "Modify the OS parameters"),
}

aliases = {"show": "info"}


def Main() -> int:
    return GenericMain(commands, aliases=aliases)
