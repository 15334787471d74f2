"""Bringing a new master's config.data up to date before it takes over.

A master candidate that was cut off missed config writes (its serial is
older).  Before master-failover makes such a node the master, the other
online master candidates (the old master included) are asked for their
config.data; the newest one (highest serial_no) replaces the local copy.
A candidate holding a newer configuration that cannot be used makes the
failover refuse: taking over with an older configuration would throw
committed changes away.
"""

import logging
from typing import Callable, Dict, Optional, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti import serializer
from ganeti.utils import io as uio

# How long one candidate may take to hand its config.data over.
FETCH_TIMEOUT = 30.0

# node name -> config.data text (None: the node could not be asked)
ConfigFetcher = Callable[[str], Optional[str]]


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


def _Serial(node: str, text: str) -> int:
    try:
        data = serializer.LoadJson(text)
        return int(data["serial_no"])
    except (ValueError, KeyError, TypeError) as err:
        raise errors.OpPrereqError(
            "Node %s holds a configuration that cannot be read (%s); refusing"
            " the master failover" % (node, err), errors.ECODE_STATE)


def NewestCandidateConfig(cfg, myself: str, fetch: ConfigFetcher
                          ) -> Optional[Tuple[str, int, str]]:
    """(node, serial, text) of a candidate newer than cfg, else None."""
    own = cfg.GetConfigSerial()
    best: Optional[Tuple[str, int, str]] = None
    for node in cfg.GetAllNodesInfo().values():
        if (node.name == myself or not node.master_candidate or
                node.offline):
            continue
        text = fetch(node.name)
        if text is None:
            continue
        serial = _Serial(node.name, text)
        if serial > own and (best is None or serial > best[1]):
            best = (node.name, serial, text)
    return best


def UpdateFromCandidates(cfg, myself: str, fetch: ConfigFetcher,
                         feedback_fn: Callable[[str], None]) -> bool:
    """Replace the local config.data by a newer candidate's; True if so."""
    newest = NewestCandidateConfig(cfg, myself, fetch)
    if newest is None:
        return False
    node, serial, text = newest
    feedback_fn("This node's configuration (serial %d) is older than node"
                " %s's (serial %d); using the newer one" %
                (cfg.GetConfigSerial(), node, serial))
    uio.WriteFile(pathutils.CLUSTER_CONF_FILE, data=text,
                  mode=constants.CONFIG_FILE_MODE)
    return True
