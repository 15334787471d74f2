"""gnt-node: list and inspect the cluster's nodes."""

from typing import Any, List

from ganeti import constants
from ganeti.cli import *  # noqa: F401,F403 (option objects)
from ganeti.cli import (ARGS_MANY_NODES, EXIT_SUCCESS, GenericList,
                        GenericListFields, GenericMain, GetClient,
                        ParseFields, PrintGenericInfo)
from ganeti.client import gnt_node_add, gnt_tags

#: Default columns of "gnt-node list".
_LIST_DEF_FIELDS = ["name", "dtotal", "dfree", "mtotal", "mnode", "mfree",
                    "pinst_cnt", "sinst_cnt"]

_INFO_FIELDS = ["name", "pip", "sip", "master_candidate", "drained",
                "offline", "master_capable", "vm_capable", "pinst_list",
                "sinst_list", "ndparams", "custom_ndparams"]


def ListNodes(opts, args) -> int:
    selected = ParseFields(opts.output, _LIST_DEF_FIELDS)
    return GenericList(constants.QR_NODE, selected, args, opts.units,
                       opts.separator, not opts.no_headers,
                       verbose=opts.verbose, force_filter=opts.force_filter)


def ListNodeFields(opts, args) -> int:
    return GenericListFields(constants.QR_NODE, args, opts.separator,
                             not opts.no_headers)


def _FormatNdParams(filled: dict, custom: dict) -> List:
    result = []
    for key in sorted(filled):
        if key in (custom or {}):
            result.append((key, str(custom[key])))
        else:
            result.append((key, "default (%s)" % (filled[key],)))
    return result


def ShowNodeConfig(opts, args) -> int:
    cl = GetClient()
    rows = cl.QueryNodes(args, _INFO_FIELDS, False)
    data = []
    for (name, pip, sip, mc, drained, offline, master_capable, vm_capable,
         pinst, sinst, ndparams, custom) in rows:
        data.append([
            ("Node name", name),
            ("primary ip", pip),
            ("secondary ip", sip),
            ("master candidate", mc),
            ("drained", drained),
            ("offline", offline),
            ("master_capable", master_capable),
            ("vm_capable", vm_capable),
            ("primary for instances", sorted(pinst or [])),
            ("secondary for instances", sorted(sinst or [])),
            ("node parameters", _FormatNdParams(ndparams or {}, custom or {})),
        ])
    PrintGenericInfo(data)
    return EXIT_SUCCESS


commands = {
    "list": (
        ListNodes, ARGS_MANY_NODES,
        [NOHDR_OPT, SEP_OPT, USEUNITS_OPT, FIELDS_OPT, VERBOSE_OPT,
         FORCE_FILTER_OPT],
        "[nodes...]",
        "Lists the nodes in the cluster. The available fields can be shown"
        " using the \"list-fields\" command (see the man page for details)."
        " The default field list is (in order): %s." %
        ", ".join(_LIST_DEF_FIELDS)),
    "list-fields": (
        ListNodeFields, [ArgUnknown()], [NOHDR_OPT, SEP_OPT],
        "[fields...]", "Lists all available fields for nodes"),
    "info": (
        ShowNodeConfig, ARGS_MANY_NODES, [],
        "[<node_name>...]", "Show information about the node(s)"),
}
commands.update(gnt_tags.TagCommands("node"))
commands.update(gnt_node_add.COMMANDS)

aliases = {"show": "info"}


def Main() -> int:
    return GenericMain(commands, aliases=aliases,
                       env_override=frozenset(["list"]))
