"""ganeti-masterd: the master daemon.

One process holds the configuration, the lock manager and the job queue
(worker threads, no process per job) and answers LUXI on both the legacy
master socket and the query socket.
"""

import optparse
import os
import sys
from typing import List, Optional

from ganeti import config
from ganeti.config import catchup as config_catchup
from ganeti import constants
from ganeti import daemon
from ganeti import daemon_util
from ganeti import errors
from ganeti import jqueue
from ganeti import locking
from ganeti import netutils
from ganeti import pathutils
from ganeti import rpc
from ganeti import ssconf
from ganeti.server import luxi_handler
from ganeti.server import luxi_server
from ganeti.utils import io as uio
from ganeti.utils import process as utils_process


class GanetiContext:
    """What every logical unit and LUXI handler shares on the master."""

    def __init__(self, cfg: config.ConfigWriter) -> None:
        self.cfg = cfg
        self.rpc = rpc.RpcRunner.for_config(cfg)
        self.glm = locking.GanetiLockManager(
            cfg.GetNodeList(), list(cfg.GetAllNodeGroupsInfo()),
            cfg.GetInstanceList(), list(cfg.GetAllNetworksInfo()))
        self.jobqueue: Optional[jqueue.JobQueue] = None
        # Nodes that miss a push are caught up once they answer again.
        self.config_catchup = config_catchup.ConfigCatchUp(
            cfg, self.rpc, config.PushConfigToNodes)
        self.rpc.reach.AddListener(self.config_catchup.Wake)
        cfg.set_distributor(self.DistributeConfig)

    def DistributeConfig(self, text: str, ssconf_values: dict) -> None:
        """Push config.data to the other candidates, ssconf to every node
        (synchronously: the change is out before its job succeeds), and
        point job queue replication at the current candidates."""
        if self.jobqueue is not None:
            self.jobqueue.UpdateReplicationTargets()
        outcome: dict = {}
        config.PushConfigToNodes(self.cfg, self.rpc, ssconf_values,
                                 outcome=outcome)
        self.config_catchup.Record(outcome)

    def AddNode(self, node) -> None:
        self.cfg.AddNode(node)
        self.glm.add(locking.LEVEL_NODE, [node.uuid])
        self.glm.add(locking.LEVEL_NODE_RES, [node.uuid])

    def RemoveNode(self, node_uuid: str) -> None:
        self.cfg.RemoveNode(node_uuid)
        self.glm.remove(locking.LEVEL_NODE, [node_uuid])
        self.glm.remove(locking.LEVEL_NODE_RES, [node_uuid])

    def AddInstance(self, instance, disks=None) -> None:
        """Add an instance to the config and create its lock."""
        self.cfg.AddInstance(instance, disks)
        self.glm.add(locking.LEVEL_INSTANCE, [instance.uuid])

    def RemoveInstance(self, inst_uuid: str) -> None:
        """Remove an instance from the config and drop its lock."""
        self.cfg.RemoveInstance(inst_uuid)
        self.glm.remove(locking.LEVEL_INSTANCE, [inst_uuid])


def CheckMasterd(options, args) -> None:
    """Refuse to start on a node that is not the master (unless told so)."""
    if args:
        print("Usage: %s [-f] [-d]" % sys.argv[0], file=sys.stderr)
        sys.exit(constants.EXIT_FAILURE)
    try:
        master = ssconf.SimpleStore().GetMasterNode()
    except errors.ConfigurationError as err:
        print("Cluster configuration incomplete: '%s'" % err, file=sys.stderr)
        sys.exit(constants.EXIT_NOTCLUSTER)
    myself = netutils.Hostname.GetFqdn()
    if master != myself and not options.no_voting:
        print("We are not the master (master is %s, we are %s)" %
              (master, myself), file=sys.stderr)
        sys.exit(constants.EXIT_NOTMASTER)
    if not options.no_voting:
        # Master voting: the other nodes must agree (ganeti.bootstrap.failover).
        from ganeti.bootstrap import failover as bootstrap_failover
        ok, reason = bootstrap_failover.CheckAgreement(
            myself, ssconf.SimpleStore().GetNodeList())
        if not ok:
            print(reason, file=sys.stderr)
            sys.exit(constants.EXIT_FAILURE)


def HoldAliasFiles() -> List[int]:
    """Hold the pid files of the upstream daemons this process serves
    (ganeti-luxid, ganeti-wconfd) and link their log files to ours, so
    that tools looking for them find this process; the pid file fds."""
    fds = []
    logfile = pathutils.daemon_log_file(
        constants.DAEMONS_LOGBASE[constants.MASTERD])
    for alias in daemon_util.AliasesOf(constants.MASTERD):
        try:
            fds.append(utils_process.WritePidFile(
                pathutils.daemon_pid_file(alias)))
        except errors.LockError as err:
            raise errors.GenericError("%s (is an upstream %s running?)" %
                                      (err, alias))
        link = pathutils.daemon_log_file(constants.DAEMONS_LOGBASE[alias])
        if not os.path.lexists(link):
            os.symlink(os.path.basename(logfile), link)
    return fds


def ReleaseAliasFiles(fds: List[int]) -> None:
    for alias, fd in zip(daemon_util.AliasesOf(constants.MASTERD), fds):
        utils_process.RemovePidFile(pathutils.daemon_pid_file(alias))
        os.close(fd)


def PrepMasterd(options, args):
    alias_fds = HoldAliasFiles()
    uio.EnsureDirs([(pathutils.SOCKET_DIR, 0o750), (pathutils.QUEUE_DIR, 0o700)])
    cfg = config.ConfigWriter()
    context = GanetiContext(cfg)
    context.jobqueue = jqueue.JobQueue(context)
    context.config_catchup.Start()
    # A candidate may have missed writes while no master ran (failover).
    context.config_catchup.Check(
        node.name for node in cfg.GetMasterCandidates()
        if not node.offline and node.uuid != cfg.GetMasterNode())
    handler = luxi_handler.LuxiHandler(context)
    server = luxi_server.LuxiServer(
        [pathutils.MASTER_SOCKET, pathutils.QUERY_SOCKET], handler)
    return context, server, alias_fds


def ExecMasterd(options, args, prep_data) -> None:
    context, server, alias_fds = prep_data
    options.shutdown.Register(server.Shutdown)
    try:
        server.Serve()
    finally:
        context.config_catchup.Shutdown()
        context.jobqueue.Shutdown()
        ReleaseAliasFiles(alias_fds)


def BuildParser() -> optparse.OptionParser:
    """The option parser of ganeti-masterd (without the common daemon
    options, which daemon.GenericMain adds)."""
    parser = optparse.OptionParser(description="Ganeti master daemon",
                                   usage="%prog [-f] [-d]",
                                   version="%%prog (ganeti) %s" %
                                   constants.RELEASE_VERSION)
    parser.add_option("--no-voting", dest="no_voting", action="store_true",
                      default=False, help="Do not check that the nodes agree"
                      " on this node being the master")
    parser.add_option("--yes-do-it", dest="yes_do_it", action="store_true",
                      default=False, help="Override interactive check for"
                      " --no-voting")
    parser.add_option("--no-user-checks", dest="no_user_checks",
                      action="store_true", default=False,
                      help="Do not check for the daemon's user and group"
                      " (accepted for upstream's ganeti-luxid and"
                      " ganeti-wconfd; the daemon runs as root)")
    return parser


# The prose of the ganeti-masterd(8) man page.
MAN_SECTIONS = [
    ("DESCRIPTION", [
        "ganeti-masterd is the master daemon: it runs on the master node"
        " only and holds the cluster configuration, the locks and the job"
        " queue. Every gnt-* command and the remote API talk to it over"
        " LUXI, JSON messages on the Unix sockets %s and %s."
        % ("/var/run/ganeti/socket/ganeti-master",
           "/var/run/ganeti/socket/ganeti-query"),
        "Each change is a job of opcodes, written to the job queue before"
        " its id is returned and run by worker threads; the configuration"
        " is written atomically and copied to the master candidates, the"
        " job queue to the candidates as well, so that a candidate can"
        " become the master (gnt-cluster master-failover).",
        "Before starting, the daemon asks the other nodes whether they"
        " agree that this node is the master (master voting); without a"
        " majority it refuses to start. On a node that is not the master"
        " it exits with code %d." % constants.EXIT_NOTMASTER,
    ]),
    ("UPSTREAM DAEMON NAMES", [
        "Upstream Ganeti 3.0 divides this work between ganeti-luxid (LUXI,"
        " queries, job queue) and ganeti-wconfd (configuration, locks)."
        " Here one process does both; the programs ganeti-luxid and"
        " ganeti-wconfd start it with the same options, daemon-util start,"
        " stop and check act on it under either name (stopping one stops"
        " both roles), and it holds the pid files"
        " /var/run/ganeti/ganeti-luxid.pid and ganeti-wconfd.pid. The log"
        " files luxi-daemon.log and wconf-daemon.log are links to"
        " master-daemon.log. In /etc/default/ganeti, MASTERD_ARGS,"
        " WCONFD_ARGS and LUXID_ARGS all apply to it.",
    ]),
]


def main(argv=None) -> None:
    parser = BuildParser()
    daemon.GenericMain(constants.MASTERD, parser, CheckMasterd, PrepMasterd,
                       ExecMasterd, multithreaded=True, argv=argv)


if __name__ == "__main__":
    main()
    os._exit(0)
