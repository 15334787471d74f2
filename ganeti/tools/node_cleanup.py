"""node-cleanup: remove every trace of a cluster from a node that left it.

For a node removed from its cluster (gnt-node remove) that could not clean
up itself, e.g. because it was down: stops the Ganeti daemons and removes
the cluster's state (configuration, ssconf, job queue, certificates,
secrets, Ganeti's SSH public keys).  Logs and instance disks are kept.
Refuses to run on the master node.
"""

import optparse
import sys
from typing import List, Optional

from ganeti import constants
from ganeti import errors
from ganeti import ssconf

_WARNING = ("This removes the cluster configuration, job queue, certificates"
            " and secrets of this node and stops its Ganeti daemons; run it"
            " only on a node removed from its cluster. Pass --yes-do-it to"
            " go ahead.")


def _Parser() -> optparse.OptionParser:
    parser = optparse.OptionParser(
        usage="%prog [--yes-do-it]",
        description="Remove all Ganeti cluster state from a node that was"
        " removed from its cluster.",
        version="%%prog (ganeti) %s" % constants.RELEASE_VERSION)
    parser.add_option("--yes-do-it", dest="yes_do_it", action="store_true",
                      default=False, help="Really remove the node's state")
    return parser


def CleanupNode() -> List[str]:
    """Stop the daemons and remove the cluster state; the daemons stopped."""
    from ganeti import backend  # pylint: disable=import-outside-toplevel
    from ganeti import daemon_util  # pylint: disable=import-outside-toplevel
    stopped = [name for name in daemon_util.START_ORDER[::-1]
               if daemon_util.stop(name)]
    backend.ForgetCluster(True)
    return stopped


def Main(argv: Optional[List[str]] = None) -> int:
    options, args = _Parser().parse_args(argv)
    if args:
        _Parser().error("no arguments expected")
    if ssconf.IsMaster():
        print("This node is the master of its cluster: destroy the cluster"
              " (gnt-cluster destroy) or move the master away"
              " (gnt-cluster master-failover) first", file=sys.stderr)
        return constants.EXIT_FAILURE
    if not options.yes_do_it:
        print(_WARNING, file=sys.stderr)
        return constants.EXIT_FAILURE
    try:
        stopped = CleanupNode()
    except (errors.GenericError, OSError) as err:
        print("node-cleanup: %s" % err, file=sys.stderr)
        return constants.EXIT_FAILURE
    for name in stopped:
        print("Stopped %s" % name)
    print("Removed the cluster state of this node")
    return constants.EXIT_SUCCESS
