"""gnt-cluster epo: emergency power-off (and --on, recovery) of nodes,
node groups or the whole cluster through the nodes' out-of-band programs.

Merged into gnt-cluster's table.  As upstream's, the work is done by the
client: it shuts the instances down (without remembering it), powers the
nodes off with OpOobCommand; --on powers them on, waits until each answers
on the node daemon port and starts the instances whose nodes are all up.
"""

import itertools
import time
from typing import Any, Callable, Dict, Iterable, List, Set

from ganeti import constants
from ganeti import netutils
from ganeti import opcodes
from ganeti.cli import (ArgUnknown, ConfirmOperation, EXIT_FAILURE,
                        EXIT_SUCCESS, GetClient, JobExecutor, SubmitOpCode,
                        ToStderr, ToStdout, cli_option)
from ganeti.cli.opts import ALL_OPT, FORCE_OPT
from ganeti.cli.opts_objects import (OOB_TIMEOUT_OPT, POWER_DELAY_OPT,
                                     SHUTDOWN_TIMEOUT_OPT)
from ganeti.daemon import GetDaemonPort

ON_OPT = cli_option("--on", default=False, action="store_true", dest="on",
                    help="Recover from an EPO")
GROUPS_OPT = cli_option("--groups", default=False, action="store_true",
                        dest="groups", help="Arguments are node groups"
                        " instead of nodes")

# Waiting for powered-on nodes: one ping each per round.
EPO_PING_INTERVAL = 30
EPO_PING_TIMEOUT = 1
EPO_REACHABLE_TIMEOUT = 15 * 60


def _InstanceStart(opts: Any, inst_list: Iterable[str], start: bool,
                   no_remember: bool = False) -> bool:
    """Start (or shut down) the instances, one job each; True if all
    jobs succeeded."""
    if start:
        def make_op(name):
            return opcodes.OpInstanceStartup(instance_name=name)
        texts = ("startup", "started", "starting")
    else:
        def make_op(name):
            return opcodes.OpInstanceShutdown(
                instance_name=name, timeout=opts.shutdown_timeout,
                no_remember=no_remember)
        texts = ("shutdown", "stopped", "stopping")
    text_submit, text_success, text_failed = texts
    jex = JobExecutor(opts=opts)
    for inst in inst_list:
        ToStdout("Submit %s of instance %s", text_submit, inst)
        jex.QueueJob(inst, make_op(inst))
    results = jex.GetResults()
    bad_cnt = len([1 for (success, _) in results if not success])
    if bad_cnt == 0:
        ToStdout("All instances have been %s successfully", text_success)
        return True
    ToStderr("There were errors while %s instances:\n"
             "%d error(s) out of %d instance(s)", text_failed, bad_cnt,
             len(results))
    return False


def _OobPower(opts: Any, node_list: List[str], power: bool) -> bool:
    """Power the nodes on or off through OpOobCommand; True if every
    node's helper succeeded."""
    command = constants.OOB_POWER_ON if power else constants.OOB_POWER_OFF
    op = opcodes.OpOobCommand(node_names=list(node_list), command=command,
                              ignore_status=True, timeout=opts.oob_timeout,
                              power_delay=opts.power_delay)
    result = SubmitOpCode(op, opts=opts)
    errs = 0
    for (_, node_name), (data_status, _) in result:
        if data_status != constants.RS_NORMAL:
            errs += 1
            ToStderr("There was a problem changing power for %s, please"
                     " investigate", node_name)
    return errs == 0


def MaybeInstanceStartup(opts: Any, inst_map: Dict[str, Set[str]],
                         nodes_online: Set[str],
                         start_fn: Callable = _InstanceStart) -> bool:
    """Start the instances of inst_map whose nodes are all online (they
    leave inst_map); True if that worked (or nothing was to start)."""
    ready = sorted(inst for inst, nodes in inst_map.items()
                   if not nodes - nodes_online)
    for inst in ready:
        del inst_map[inst]
    if ready:
        return start_fn(opts, ready, True)
    return True


def RunWhenNodesReachable(node_list: List[str], action_cb: Callable,
                          node2ip: Dict[str, str], port: int,
                          ping_fn: Callable = netutils.TcpPing,
                          sleep_fn: Callable = time.sleep,
                          timeout: float = EPO_REACHABLE_TIMEOUT) -> bool:
    """Ping the nodes until all answer (at most timeout seconds), calling
    action_cb(set of nodes up) each time more come up; its last answer,
    False if some nodes never came up."""
    down = set(node_list)
    up: Set[str] = set()
    success = True
    deadline = time.monotonic() + timeout
    while True:
        came_up = set()
        for node in sorted(down):
            if ping_fn(node2ip[node], port, timeout=EPO_PING_TIMEOUT,
                       live_port_needed=True):
                ToStdout("Node %s became available", node)
                came_up.add(node)
        if came_up or not node_list:
            up |= came_up
            down -= came_up
            success = action_cb(up)
        if not down:
            return success
        if time.monotonic() + EPO_PING_INTERVAL > deadline:
            ToStderr("Timeout while waiting for nodes to become reachable")
            return False
        sleep_fn(EPO_PING_INTERVAL)


def _EpoOn(opts: Any, full_node_list: List[str], node_list: List[str],
           inst_map: Dict[str, Set[str]]) -> int:
    if node_list and not _OobPower(opts, node_list, True):
        ToStderr("Please investigate and start stopped node(s) manually")
        return EXIT_FAILURE
    node2ip = dict(GetClient().QueryNodes(full_node_list, ["name", "sip"],
                                          False))
    port = GetDaemonPort(constants.NODED)
    if RunWhenNodesReachable(
            full_node_list,
            lambda up: MaybeInstanceStartup(opts, inst_map, up),
            node2ip, port):
        return EXIT_SUCCESS
    ToStderr("Please investigate and start stopped instances manually")
    return EXIT_FAILURE


def _EpoOff(opts: Any, node_list: List[str],
            inst_map: Dict[str, Set[str]]) -> int:
    if not _InstanceStart(opts, sorted(inst_map), False, no_remember=True):
        ToStderr("Please investigate and stop instances manually before"
                 " continuing")
        return EXIT_FAILURE
    if not node_list:
        return EXIT_SUCCESS
    return EXIT_SUCCESS if _OobPower(opts, node_list, False) \
        else EXIT_FAILURE


def Epo(opts: Any, args: List[str], qcl: Any = None, on_fn=_EpoOn,
        off_fn=_EpoOff, confirm_fn=ConfirmOperation) -> int:
    """gnt-cluster epo [--on] [--groups|--all] [args]."""
    if opts.groups and opts.show_all:
        ToStderr("Only one of --groups or --all are allowed")
        return EXIT_FAILURE
    if args and opts.show_all:
        ToStderr("Arguments in combination with --all are not allowed")
        return EXIT_FAILURE
    if qcl is None:
        qcl = GetClient()
    if opts.groups:
        node_query_list = list(itertools.chain(
            *[row[0] for row in qcl.QueryGroups(args, ["node_list"],
                                                False)]))
    else:
        node_query_list = args
    result = qcl.QueryNodes(node_query_list,
                            ["name", "master", "pinst_list", "sinst_list",
                             "powered", "offline"], False)
    all_nodes = [row[0] for row in result]
    node_list = []
    inst_map: Dict[str, Set[str]] = {}
    for node, master, pinsts, sinsts, powered, offline in result:
        if not offline:
            for inst in pinsts + sinsts:
                if inst in inst_map:
                    if not master:
                        inst_map[inst].add(node)
                elif master:
                    inst_map[inst] = set()
                else:
                    inst_map[inst] = {node}
        if master and opts.on:
            # the master is up: this runs on it
            continue
        if master and not opts.show_all:
            ToStderr("%s is the master node, please do a master-failover to"
                     " another node not affected by the EPO or use --all if"
                     " you intend to shutdown the whole cluster", node)
            return EXIT_FAILURE
        if powered is None:
            ToStdout("Node %s does not support out-of-band handling, it can"
                     " not be handled in a fully automated manner", node)
        elif powered == opts.on:
            ToStdout("Node %s is already in desired power state, skipping",
                     node)
        elif not offline or powered:
            node_list.append(node)
    if not (opts.force or confirm_fn(all_nodes, "nodes", "epo")):
        return EXIT_FAILURE
    if opts.on:
        return on_fn(opts, all_nodes, node_list, inst_map)
    return off_fn(opts, node_list, inst_map)


COMMANDS = {
    "epo": (
        Epo, [ArgUnknown()],
        [FORCE_OPT, ON_OPT, GROUPS_OPT, ALL_OPT, OOB_TIMEOUT_OPT,
         SHUTDOWN_TIMEOUT_OPT, POWER_DELAY_OPT],
        "[opts...] [args]", "Performs an emergency power-off on given args"),
}
