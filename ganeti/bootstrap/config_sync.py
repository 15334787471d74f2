"""Bringing a new master's config.data up to date before it takes over.

A master candidate that was cut off may have missed config writes (its
serial is older).  Before master-failover changes anything, the other
online master candidates (the old master included) are asked for their
configuration; the newest one (highest serial_no) replaces the local copy.
A candidate holding a newer configuration that cannot be used makes the
failover refuse: taking over with an older configuration would throw
committed changes away.

Transport: the ``x_config_newer_than`` node RPC (an extension of ours, see
ganeti.rpc.defs).  It needs nothing but the node daemons, so it works on
every cluster and on the testbed (clusters made with --no-ssh-init), and
it is authenticated like every node RPC (a node daemon only accepts the
master candidates' client certificates).  One round answers every
candidate's serial and, from the newer ones only, the text.  A node that
answers with an error (e.g. an upstream node daemon, which does not know
the call: 404) is read over SSH instead (``cat config.data``), which needs
the cluster's SSH setup.  A node that cannot be asked at all (down, cut
off: typically the dead old master) is skipped with a warning.
"""

import logging
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti import serializer
from ganeti.utils import io as uio

# How long one candidate may take to hand its config.data over.
FETCH_TIMEOUT = 30.0

# node name -> config.data text (None: the node could not be asked)
ConfigFetcher = Callable[[str], Optional[str]]

# (node, serial, config.data text): a candidate's newer configuration
Newest = Tuple[str, int, str]


def FetchConfigOverSsh(cluster_name: str, ssh_ports: Dict[str, int]
                       ) -> ConfigFetcher:
    """A fetcher reading config.data of a node over SSH."""
    from ganeti import ssh  # pylint: disable=import-outside-toplevel
    runner = ssh.SshRunner(cluster_name)

    def _Fetch(node: str) -> Optional[str]:
        result = runner.Run(node, ["cat", pathutils.CLUSTER_CONF_FILE],
                            port=ssh_ports.get(node, ssh.DEFAULT_PORT),
                            timeout=FETCH_TIMEOUT)
        if result.failed:
            logging.warning("Could not read the configuration of node %s: %s",
                            node, result.ErrorText())
            return None
        return result.output
    return _Fetch


REFUSAL_SUFFIX = "; refusing the master failover"


def _Refuse(msg: str) -> errors.OpPrereqError:
    return errors.OpPrereqError(msg + REFUSAL_SUFFIX, errors.ECODE_STATE)


def _Serial(node: str, text: str) -> int:
    try:
        data = serializer.LoadJson(text)
        return int(data["serial_no"])
    except (ValueError, KeyError, TypeError) as err:
        raise _Refuse("Node %s holds a configuration that cannot be read"
                      " (%s)" % (node, err))


def _RpcAnswer(node: str, res) -> Optional[Tuple[int, Optional[str]]]:
    """(serial, text or None) from an x_config_newer_than result, None if
    the node did not answer it (error or no answer)."""
    if res is None or res.fail_msg:
        return None
    payload = res.payload
    if (not isinstance(payload, list) or len(payload) != 2 or
            isinstance(payload[0], bool) or
            not isinstance(payload[0], int) or
            not isinstance(payload[1], (str, type(None)))):
        raise _Refuse("Node %s answered an invalid configuration serial (%r)"
                      % (node, payload))
    return payload[0], payload[1]


def OtherCandidates(cfg, myself: str) -> List[str]:
    """The online master candidates of cfg other than myself."""
    return sorted(node.name for node in cfg.GetAllNodesInfo().values()
                  if node.master_candidate and not node.offline and
                  node.name != myself)


def AskCandidates(names: Sequence[str], own_serial: int, runner,
                  fetch: Optional[ConfigFetcher]
                  ) -> Tuple[Dict[str, Tuple[int, Optional[str]]],
                             Dict[str, str]]:
    """Ask nodes for their configuration serial (and newer text).

    Returns ({node: (serial, text if newer than own_serial)} of the nodes
    that answered, {node: why not} of those that could not be asked).
    fetch reads a node's config.data another way (SSH) when its node
    daemon answers the call with an error.
    """
    answers: Dict[str, Tuple[int, Optional[str]]] = {}
    unknown: Dict[str, str] = {}
    if not names:
        return answers, unknown
    results = runner.call_x_config_newer_than(list(names), own_serial,
                                              read_timeout=FETCH_TIMEOUT)
    for node in names:
        res = results.get(node)
        answer = _RpcAnswer(node, res)
        if answer is not None:
            answers[node] = answer
            continue
        error = res.fail_msg if res is not None else "no answer"
        if res is not None and not (res.unreachable or res.offline) and \
                fetch is not None:
            logging.info("Node %s cannot hand its configuration over by RPC"
                         " (%s); reading it over SSH", node, error)
            text = fetch(node)
            if text is not None:
                serial = _Serial(node, text)
                answers[node] = (serial, text if serial > own_serial
                                 else None)
                continue
            error = "%s; reading it over SSH failed too" % error
        unknown[node] = error
    return answers, unknown


def NewestConfig(cfg, answers: Dict[str, Tuple[int, Optional[str]]]
                 ) -> Optional[Newest]:
    """The newest usable configuration newer than cfg's, else None.

    Raises OpPrereqError if the newest one cannot be used.
    """
    from ganeti import config  # pylint: disable=import-outside-toplevel
    own = cfg.GetConfigSerial()
    newer = sorted(((serial, node, text) for node, (serial, text)
                    in answers.items() if serial > own), reverse=True)
    if not newer:
        return None
    serial, node, text = newer[0]
    what = ("Node %s holds a newer configuration (serial %d) than this node"
            " (serial %d)" % (node, serial, own))
    if text is None:
        raise _Refuse("%s but did not hand it over" % what)
    try:
        data = config.ParseConfigText(text, "%s:%s" %
                                      (node, pathutils.CLUSTER_CONF_FILE))
    except errors.ConfigurationError as err:
        raise _Refuse("%s but it cannot be used (%s)" % (what, err))
    if data.serial_no != serial or \
            data.cluster.cluster_name != cfg.GetClusterName():
        raise _Refuse("%s but it is not a configuration of cluster %s with"
                      " that serial" % (what, cfg.GetClusterName()))
    return node, serial, text


def UpdateFromCandidates(cfg, myself: str, runner,
                         fetch: Optional[ConfigFetcher],
                         nodes: Optional[Sequence[str]] = None
                         ) -> Tuple[Optional[str], List[str], Dict[str, str]]:
    """Replace the local config.data by the newest candidate's.

    Asks nodes (default: every other online candidate).  Returns (message
    saying which newer configuration was taken, or None; the nodes that
    answered; {node: error} of those that could not be asked).  Nothing
    is written when it raises.
    """
    names = OtherCandidates(cfg, myself) if nodes is None else list(nodes)
    answers, unknown = AskCandidates(names, cfg.GetConfigSerial(), runner,
                                     fetch)
    newest = NewestConfig(cfg, answers)
    if newest is None:
        return None, sorted(answers), unknown
    node, serial, text = newest
    uio.WriteFile(pathutils.CLUSTER_CONF_FILE, data=text,
                  mode=constants.CONFIG_FILE_MODE)
    msg = ("This node's configuration (serial %d) is older than node %s's"
           " (serial %d); using the newer one" %
           (cfg.GetConfigSerial(), node, serial))
    logging.warning("%s", msg)
    return msg, sorted(answers), unknown
