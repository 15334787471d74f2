"""Moving the master role (gnt-cluster master-failover) and master voting.

MasterFailover runs on the master candidate that is to become the master,
outside any daemon (the master daemon is what moves).  A candidate already
holds everything a master needs: config.data and the job queue files are
replicated to every candidate on each write.  The steps:

1. checks from this node's ssconf: not the master already, a candidate;
2. unless no_voting: the nodes are asked who the master is
   (``master_node_name``) and a majority must agree with our ssconf;
3. (also with no_voting) the other online candidates are asked for their
   configuration: a newer one (higher serial, missed while this node was
   cut off) replaces ours, one that cannot be used refuses the failover,
   before anything is changed (ganeti.bootstrap.config_sync), unless
   forced (``--no-voting --yes-do-it``: a warning says what is not taken);
3b. the old master loses the master IP and its master daemon (both may
   fail: the old master may be dead); the candidates that answered in 3
   are asked again, for the writes the old master made until it stopped;
4. config.data here gets master_node = this node (serial bumped, written
   atomically) and is pushed like every config write: config.data to the
   other candidates, ssconf here and to every other online node;
5. the master IP comes up here and the master daemon starts here; it takes
   the replicated job queue over.

Voting (also used by the master daemon at start-up, CheckAgreement) asks
the other nodes only: this node's own opinion is its ssconf.
"""

import logging
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import netutils
from ganeti import ssconf
from ganeti.bootstrap import config_sync

# One voting round: how long to wait for a node's answer.
VOTE_TIMEOUT = 10
# How long the master IP may stay reachable after the old master dropped it.
MASTER_IP_GONE_TIMEOUT = 30.0

VoteList = List[Tuple[Optional[str], int]]

NOT_MAJORITY_MSG = ("Master-failover with voting is only possible if the"
                    " majority of nodes are still healthy; use the"
                    " --no-voting option after ensuring by other means that"
                    " you won't end up in a dual-master scenario.")


def _prereq(msg: str, code: str = errors.ECODE_STATE) -> errors.OpPrereqError:
    return errors.OpPrereqError(msg, code)


# --------------------------------------------------------------- voting

def _BootstrapRunner():
    from ganeti import rpc  # pylint: disable=import-outside-toplevel
    return rpc.RpcRunner.for_bootstrap()


def TallyVotes(answers: Dict[str, Optional[str]]) -> VoteList:
    """{voter: master it names, or None} -> [(master or None, votes)].

    Most votes first; on a tie a real node comes before None (no answer),
    then names in order, so the result is deterministic.
    """
    counts: Dict[Optional[str], int] = {}
    for answer in answers.values():
        counts[answer] = counts.get(answer, 0) + 1
    return sorted(counts.items(),
                  key=lambda item: (-item[1], item[0] is None, item[0] or ""))


def GatherMasterVotes(node_names: Sequence[str], runner=None,
                      timeout: float = VOTE_TIMEOUT) -> VoteList:
    """Ask every node in node_names which node is the master.

    A node that fails to answer (down, unreachable, no ssconf) votes None.
    An empty list means there was nobody to ask.
    """
    names = list(dict.fromkeys(node_names))
    if not names:
        return []
    runner = runner or _BootstrapRunner()
    results = runner.call_master_node_name(names, read_timeout=timeout)
    answers: Dict[str, Optional[str]] = {}
    for name in names:
        res = results.get(name)
        if res is None or res.fail_msg or not res.payload:
            if res is not None and res.fail_msg:
                logging.info("Node %s did not vote: %s", name, res.fail_msg)
            answers[name] = None
        else:
            answers[name] = str(res.payload)
    vote_list = TallyVotes(answers)
    logging.info("Master votes: %s", vote_list)
    return vote_list


def CheckFailoverVotes(vote_list: VoteList, node_count: int,
                       old_master: str) -> None:
    """Raise OpPrereqError unless the votes allow a failover from old_master.

    vote_list holds the other nodes' votes; node_count counts every voting
    node including this one, whose own vote (from its ssconf) is old_master.
    A strict majority must answer and agree with this node.
    """
    answered = 1 + sum(count for name, count in vote_list if name is not None)
    if 2 * answered <= node_count:
        raise _prereq(NOT_MAJORITY_MSG)
    if not vote_list:
        return
    voted_master = vote_list[0][0]
    if voted_master is None:
        raise _prereq("Cluster is inconsistent, most nodes did not respond.")
    if voted_master != old_master:
        raise _prereq("I have a wrong configuration, I believe the master is"
                      " %s but the other nodes voted %s. Please resync the"
                      " configuration of this node." %
                      (old_master, voted_master))
    agree = 1 + dict(vote_list).get(old_master, 0)
    if 2 * agree <= node_count:
        raise _prereq("Only %d of %d nodes agree that %s is the master, which"
                      " is not a majority; %s" %
                      (agree, node_count, old_master,
                       "use --no-voting only after making sure the other"
                       " nodes cannot run a master"))


def CheckAgreement(myself: str, node_names: Sequence[str], runner=None,
                   attempts: int = 3, delay: float = 2.0,
                   timeout: float = 5.0,
                   sleep_fn: Callable[[float], None] = time.sleep
                   ) -> Tuple[bool, str]:
    """Whether the other nodes agree that myself is the master.

    For the master daemon's start-up.  Nodes that do not answer are asked
    again (attempts rounds in all); the node with most votes must be
    myself and have at least as many votes as all the others together.
    Returns (ok, reason).
    """
    others = [name for name in node_names if name != myself]
    if not others:
        return True, ""
    vote_list: VoteList = []
    for attempt in range(max(1, attempts)):
        if attempt:
            sleep_fn(delay)
        vote_list = GatherMasterVotes(others, runner=runner, timeout=timeout)
        if vote_list and vote_list[0][0] is not None:
            break
    else:
        return False, ("Cluster inconsistent, most of the nodes didn't answer"
                       " after %d attempts; use the --no-voting option if you"
                       " understand what effects it has on the cluster state"
                       % max(1, attempts))
    all_votes = sum(count for _, count in vote_list)
    top_node, top_votes = vote_list[0]
    if top_node != myself:
        return False, ("It seems we are not the master (top-voted node is %s"
                       " with %d out of %d votes)" %
                       (top_node, top_votes, all_votes))
    if top_votes < all_votes - top_votes:
        return False, ("It seems we are not the master (%d votes for, %d"
                       " votes against)" % (top_votes, all_votes - top_votes))
    return True, ""


def VotingNodes(store: ssconf.SimpleStore,
                ignore_offline_nodes: bool = True) -> List[str]:
    """The nodes taking part in a failover vote (this node included)."""
    names = store.GetNodeList()
    if ignore_offline_nodes:
        offline = set(store.GetOfflineNodeList())
        names = [name for name in names if name not in offline]
    return names


# --------------------------------------------------------------- failover

def _CheckTarget(store: ssconf.SimpleStore, myself: str) -> str:
    """The current master, after checking that myself may take over."""
    old_master = store.GetMasterNode()
    if old_master == myself:
        raise _prereq("This commands must be run on the node where you want"
                      " the new master to be. %s is already the master" %
                      old_master, errors.ECODE_INVAL)
    candidates = store.GetMasterCandidates()
    if myself not in candidates:
        others = [name for name in candidates if name != old_master]
        raise _prereq("This node is not among the nodes marked as master"
                      " candidates. Only these nodes can become masters."
                      " Current list of master candidates is:\n%s" %
                      "\n".join(others))
    return old_master


def _LoadConfig(myself: str):
    """This node's copy of config.data; it must list myself as a candidate."""
    from ganeti import config  # pylint: disable=import-outside-toplevel
    cfg = config.ConfigWriter()
    node = cfg.GetNodeInfoByName(myself)
    if node is None:
        raise _prereq("This node (%s) is not in this node's copy of the"
                      " configuration; it cannot become the master" % myself)
    if not node.master_candidate:
        raise _prereq("This node's copy of the configuration does not list"
                      " it as a master candidate; it cannot become the"
                      " master")
    return cfg, node


def _WaitForMasterIpGone(master_ip: str, timeout: float) -> bool:
    """Wait until nothing answers on the master IP; False on timeout."""
    deadline = time.monotonic() + timeout
    while netutils.TcpPing(master_ip, constants.DEFAULT_NODED_PORT,
                           timeout=1.0):
        if time.monotonic() >= deadline:
            return False
        time.sleep(1.0)
    return True


def _Warn(warnings: List[str], msg: str) -> None:
    logging.warning("%s", msg)
    warnings.append(msg)


def _SyncFromCandidates(cfg, myself: str, runner,
                        fetch: Optional[config_sync.ConfigFetcher],
                        warnings: List[str],
                        feedback_fn: Callable[[str], None],
                        nodes: Optional[Sequence[str]] = None,
                        force: bool = False
                        ) -> Tuple[object, List[str]]:
    """Take the newest candidate config.data (see config_sync); returns
    (this node's config, the nodes that answered).  With force, a newer
    configuration that cannot be used is a warning, not a refusal."""
    try:
        taken, answered, unknown = config_sync.UpdateFromCandidates(
            cfg, myself, runner, fetch, nodes=nodes)
    except errors.OpPrereqError as err:
        if not force:
            raise
        reason = str(err.args[0]).replace(config_sync.REFUSAL_SUFFIX, "")
        _Warn(warnings, "%s; continuing with this node's configuration as"
              " forced (--no-voting --yes-do-it): the changes only that"
              " configuration holds are not taken over" % reason)
        return cfg, []
    for node, err in sorted(unknown.items()):
        msg = ("Could not ask node %s for its configuration (%s); changes"
               " only it holds, if any, are not taken over" % (node, err))
        if msg not in warnings:
            _Warn(warnings, msg)
    if taken is None:
        return cfg, answered
    feedback_fn(taken)
    warnings.append(taken)
    return _LoadConfig(myself)[0], answered


def MasterFailover(no_voting: bool = False,
                   ignore_offline_nodes: bool = True,
                   feedback_fn: Callable[[str], None] = logging.info,
                   store: Optional[ssconf.SimpleStore] = None,
                   myself: Optional[str] = None,
                   runner=None,
                   master_ip_timeout: float = MASTER_IP_GONE_TIMEOUT,
                   fetch_config: Optional[config_sync.ConfigFetcher] = None,
                   force: bool = False
                   ) -> Tuple[int, List[str]]:
    """Make this node the master; returns (exit code, warnings).

    Before anything is changed (also with no_voting), the other online
    candidates are asked for their configuration and the newest one is
    taken (or the failover refused, see config_sync); they are asked again
    once the old master is stopped, for the writes it made meanwhile.
    fetch_config(node) reads a candidate's config.data when its node
    daemon does not know the RPC for it (default: over SSH).  force (only
    with no_voting) goes on with this node's configuration where a newer
    one cannot be used, with a warning.
    """
    from ganeti import bootstrap  # pylint: disable=import-outside-toplevel
    from ganeti import config  # pylint: disable=import-outside-toplevel
    from ganeti import rpc  # pylint: disable=import-outside-toplevel

    store = store or ssconf.SimpleStore()
    myself = myself or ssconf.GetMyName()
    old_master = _CheckTarget(store, myself)
    cfg, _ = _LoadConfig(myself)
    runner = runner or rpc.RpcRunner.for_bootstrap()

    if not no_voting:
        voters = VotingNodes(store, ignore_offline_nodes)
        if myself not in voters:
            voters.append(myself)
        vote_list = GatherMasterVotes([n for n in voters if n != myself],
                                      runner=runner)
        CheckFailoverVotes(vote_list, len(voters), old_master)

    warnings: List[str] = []
    rcode = constants.EXIT_SUCCESS
    if fetch_config is None:
        fetch_config = config_sync.FetchConfigOverSsh(
            cfg.GetClusterName(), store.GetSshPortMap())
    # This candidate may have missed writes (cut off for a while): take
    # the newest copy any reachable candidate holds, or refuse, before
    # anything is changed.
    force = force and no_voting
    cfg, answered = _SyncFromCandidates(cfg, myself, runner, fetch_config,
                                        warnings, feedback_fn, force=force)
    if cfg.GetMasterNodeName() not in (myself, old_master):
        # The newest configuration knows a later master than our ssconf.
        old_master = cfg.GetMasterNodeName()
    master_params = cfg.GetMasterNetworkParameters()
    ems = cfg.GetClusterInfo().use_external_mip_script

    feedback_fn("Stopping the master role on node %s" % old_master)
    result = runner.call_node_deactivate_master_ip(old_master, master_params,
                                                   ems)
    if result.fail_msg:
        _Warn(warnings, "Could not disable the master IP: %s" %
              result.fail_msg)
    result = runner.call_node_stop_master(old_master)
    if result.fail_msg:
        _Warn(warnings, "Could not disable the master role on the old master"
              " %s, please disable manually: %s" % (old_master,
                                                     result.fail_msg))
    if not _WaitForMasterIpGone(master_params["ip"], master_ip_timeout):
        _Warn(warnings, "The master IP is still reachable after %s seconds,"
              " continuing but activating the master IP on the current"
              " node will probably fail" % master_ip_timeout)

    # The old master may have written until it stopped: ask again the
    # candidates that answered.
    if answered:
        cfg, _ = _SyncFromCandidates(cfg, myself, runner, fetch_config,
                                     warnings, feedback_fn, nodes=answered,
                                     force=force)
    cfg, node = _LoadConfig(myself)
    feedback_fn("Setting master to %s, old master: %s" % (myself, old_master))
    push_runner = rpc.RpcRunner.for_config(cfg)
    cfg.set_distributor(lambda _text, values: warnings.extend(
        config.PushConfigToNodes(cfg, push_runner, values)))
    cluster = cfg.GetClusterInfo()
    cluster.master_node = node.uuid
    cfg.Update(cluster)

    feedback_fn("Starting the master daemons on the new master")
    try:
        for msg in bootstrap._StartDaemons(  # pylint: disable=W0212
                cfg, no_voting=no_voting):
            _Warn(warnings, msg)
    except errors.GenericError as err:
        logging.error("Could not start the master role on the new master"
                      " %s: %s", myself, err)
        warnings.append("Could not start the master role on the new master"
                        " %s, please check: %s" % (myself, err))
        rcode = constants.EXIT_FAILURE
    return rcode, warnings
