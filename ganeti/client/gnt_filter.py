"""gnt-filter: add, list, show, replace and delete job filter rules.

The rules live in the cluster configuration; the master daemon applies them
to every queued job (see ganeti.jqueue.filters).  All subcommands talk to
the master over LUXI (QueryFilters, ReplaceFilter, DeleteFilter, Query);
none of them submits a job.
"""

from typing import List

from ganeti import constants
from ganeti.cli import (ARGS_MANY_FILTERS, ARGS_NONE, ARGS_ONE_FILTER,
                        ArgUnknown, EXIT_SUCCESS, FIELDS_OPT,
                        GenericList, GenericListFields, GenericMain,
                        GetClient, NOHDR_OPT, ParseFields, SEP_OPT, ToStdout,
                        VERBOSE_OPT, cli_option)

# Default columns of "gnt-filter list".
_LIST_DEF_FIELDS = ["uuid", "watermark", "priority", "predicates", "action",
                    "reason_trail"]

# Fields "gnt-filter info" shows, in the order it prints them.
_INFO_FIELDS = ["uuid", "watermark", "priority", "predicates", "action",
                "reason_trail"]

FILTER_PRIORITY_OPT = cli_option(
    "--priority", dest="priority", action="store", type="int", default=0,
    help="Priority for filter processing (lower is evaluated first,"
         " default %default)")

FILTER_PREDICATES_OPT = cli_option(
    "--predicates", dest="predicates", action="store", type="json",
    default=[],
    help="The predicates (a JSON list) a job must match for the filter to"
         " apply, e.g. '[[\"opcode\", [\"=\", \"OP_ID\","
         " \"OP_TAGS_SET\"]]]'")

FILTER_ACTION_OPT = cli_option(
    "--action", dest="action", action="store", type="filteraction",
    default="CONTINUE",
    help="The action to take on matching jobs: ACCEPT, CONTINUE, PAUSE,"
         " REJECT or 'RATE_LIMIT <n>' (default %default)")

_RULE_OPTS = [FILTER_PRIORITY_OPT, FILTER_PREDICATES_OPT, FILTER_ACTION_OPT]


def _Replace(opts, uuid) -> int:
    """ReplaceFilter with the options' rule; prints the rule's UUID."""
    result = GetClient().ReplaceFilter(uuid, opts.priority, opts.predicates,
                                       opts.action, list(opts.reason or []))
    ToStdout("%s", result)
    return EXIT_SUCCESS


def AddFilter(opts, args: List[str]) -> int:
    """Add a filter rule (a new UUID is assigned)."""
    return _Replace(opts, None)


def ReplaceFilter(opts, args: List[str]) -> int:
    """Replace the filter rule with the given UUID (or create it)."""
    return _Replace(opts, args[0])


def ListFilters(opts, args: List[str]) -> int:
    """Tabular listing of the filter rules (all or the named ones)."""
    fields = ParseFields(opts.output, _LIST_DEF_FIELDS)
    return GenericList(constants.QR_FILTER, fields, args, None,
                       opts.separator, not opts.no_headers,
                       verbose=opts.verbose, namefield="uuid")


def ListFilterFields(opts, args: List[str]) -> int:
    """List the filter query fields."""
    return GenericListFields(constants.QR_FILTER, args, opts.separator,
                             not opts.no_headers)


def ShowFilter(opts, args: List[str]) -> int:
    """Details of every filter rule (or of the named ones)."""
    rows = GetClient().QueryFilters(args or None, _INFO_FIELDS)
    for (uuid, watermark, priority, predicates, action,
         reason_trail) in rows:
        ToStdout("UUID: %s", uuid)
        ToStdout("  Watermark: %s", watermark)
        ToStdout("  Priority: %s", priority)
        ToStdout("  Predicates: %s", predicates)
        ToStdout("  Action: %s", action)
        ToStdout("  Reason trail: %s", reason_trail)
    return EXIT_SUCCESS


def DeleteFilter(opts, args: List[str]) -> int:
    """Delete the filter rule with the given UUID."""
    GetClient().DeleteFilter(args[0])
    return EXIT_SUCCESS


commands = {
    "add": (
        AddFilter, ARGS_NONE, _RULE_OPTS,
        "[--priority <int>] [--predicates <json>] [--action <action>]",
        "Adds a new filter to the cluster"),
    "list": (
        ListFilters, ARGS_MANY_FILTERS,
        [NOHDR_OPT, SEP_OPT, FIELDS_OPT, VERBOSE_OPT],
        "[<filter-uuid>...]",
        "Lists the job filter rules. The available fields can be shown"
        " using the \"list-fields\" command (see the man page for details)."
        " The default field list is (in order): %s."
        % ", ".join(_LIST_DEF_FIELDS)),
    "list-fields": (
        ListFilterFields, [ArgUnknown()], [NOHDR_OPT, SEP_OPT],
        "[<fields>...]",
        "Lists all available fields for filters"),
    "info": (
        ShowFilter, ARGS_MANY_FILTERS, [],
        "[<filter-uuid>...]",
        "Shows information about the filter rules"),
    "replace": (
        ReplaceFilter, ARGS_ONE_FILTER, _RULE_OPTS,
        "[--priority <int>] [--predicates <json>] [--action <action>]"
        " <filter-uuid>",
        "Replaces the filter rule with the given UUID (or creates it)"),
    "delete": (
        DeleteFilter, ARGS_ONE_FILTER, [],
        "<filter-uuid>", "Removes the filter rule with the given UUID"),
}

aliases: dict = {}


def Main() -> int:
    return GenericMain(commands, aliases=aliases)
