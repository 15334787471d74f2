"""gnt-cluster master-failover: make the node this runs on the master.

Merged into gnt-cluster's table; the work is in ganeti.bootstrap.failover
(it runs without the master daemon, which is what moves).
"""

from ganeti import constants
from ganeti import errors
from ganeti.cli import (ARGS_NONE, AskUser, EXIT_FAILURE, ToStderr,
                        cli_option)
from ganeti.cli.opts_objects import NOVOTING_OPT

FORCE_FAILOVER_OPT = cli_option(
    "--yes-do-it", dest="yes_do_it", default=False, action="store_true",
    help="Do not ask for confirmation before a failover without voting;"
    " with --no-voting, also go on when another candidate's newer"
    " configuration cannot be used (its changes are not taken over)")

# Upstream declares it with a (string) argument and a true default.
IGNORE_OFFLINE_NODES_FAILOVER_OPT = cli_option(
    "--ignore-offline-nodes", dest="ignore_offline_nodes", default=True,
    help="Ignores offline nodes for master failover voting")

NO_VOTING_QUESTION = ("This will perform the failover even if most other"
                      " nodes are down, or if this node is outdated. This is"
                      " dangerous as it can lead to a non-consistent cluster."
                      " Check the gnt-cluster(8) man page before proceeding."
                      " Continue?")

_TRUE = ("1", "y", "yes", "true", "on")
_FALSE = ("0", "n", "no", "false", "off")


def _ParseIgnoreOffline(value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise errors.OpPrereqError("Invalid value '%s' for --ignore-offline-nodes"
                               " (expected yes or no)" % value,
                               errors.ECODE_INVAL)


def MasterFailover(opts, args) -> int:
    """Fail the master role over to this node (see bootstrap_failover)."""
    from ganeti.bootstrap import failover as bootstrap_failover  # lazy: start-up stays lean
    ignore_offline = _ParseIgnoreOffline(opts.ignore_offline_nodes)
    if opts.no_voting and not opts.yes_do_it:
        if not AskUser(NO_VOTING_QUESTION):
            return EXIT_FAILURE
    kwargs = dict(no_voting=opts.no_voting,
                  ignore_offline_nodes=ignore_offline)
    if opts.no_voting and opts.yes_do_it:
        kwargs["force"] = True  # even past a newer, unusable configuration
    rcode, msgs = bootstrap_failover.MasterFailover(**kwargs)
    for msg in msgs:
        ToStderr(msg)
    return rcode if rcode is not None else constants.EXIT_SUCCESS


COMMANDS = {
    "master-failover": (
        MasterFailover, ARGS_NONE,
        [NOVOTING_OPT, FORCE_FAILOVER_OPT, IGNORE_OFFLINE_NODES_FAILOVER_OPT],
        "", "Makes the current node the master"),
}
