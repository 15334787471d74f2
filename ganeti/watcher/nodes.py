"""The watcher's checks of this node: its daemons, its watcher hooks, and
on the master the master daemons (LUXI answering, RAPI answering)."""

import logging
import os
from typing import Callable, List, Optional

from ganeti import constants
from ganeti import daemon_util
from ganeti import errors
from ganeti import netutils
from ganeti import pathutils
from ganeti import ssconf
from ganeti.utils import process

# Daemons every node runs, in start order (upstream also has mond/kvmd,
# which this tree does not build).
NODE_DAEMONS = list(daemon_util.NODE_DAEMONS)
# How long a health probe of a master daemon may take (RAPI; LUXI connect
# and read/write): a daemon that does not answer within it is restarted.
_PROBE_TIMEOUT = 10
_LUXI_PROBE_TIMEOUTS = (10, 20)
# How long a daemon that does not answer gets to exit on SIGTERM.
_HUNG_STOP_TIMEOUT = 10


def EnsureDaemon(name: str, args: Optional[List[str]] = None) -> bool:
    """Start daemon name if it is not running; True if it runs afterwards."""
    if daemon_util.check(name):
        return True
    logging.warning("Daemon %s is not running, starting it", name)
    try:
        daemon_util.start(name, args)
    except errors.GenericError as err:
        logging.error("Can't start daemon %s: %s", name, err)
        return False
    return True


def RestartDaemon(name: str, args: Optional[List[str]] = None) -> bool:
    """Stop daemon name (it does not answer) and start it again."""
    logging.warning("Daemon %s does not answer, restarting it", name)
    try:
        daemon_util.stop(name, timeout=_HUNG_STOP_TIMEOUT)
    except (errors.GenericError, OSError) as err:
        logging.error("Can't stop daemon %s: %s", name, err)
    return EnsureDaemon(name, args)


def EnsureNodeDaemons() -> None:
    """Start the node daemons that are down."""
    for name in NODE_DAEMONS:
        EnsureDaemon(name)


def RunWatcherHooks() -> None:
    """Run the scripts of the watcher hooks directory; failures are logged."""
    hooks_dir = os.path.join(pathutils.HOOKS_BASE_DIR,
                             constants.HOOKS_NAME_WATCHER)
    if not os.path.isdir(hooks_dir):
        return
    try:
        results = process.RunParts(hooks_dir)
    except Exception as err:  # pylint: disable=broad-except
        logging.exception("RunParts %s failed: %s", hooks_dir, err)
        return
    for (relname, status, runresult) in results:
        if status == constants.RUNPARTS_SKIP:
            logging.debug("Watcher hook %s: skipped", relname)
        elif status == constants.RUNPARTS_ERR:
            logging.warning("Watcher hook %s: error (%s)", relname, runresult)
        elif status == constants.RUNPARTS_RUN:
            if runresult.failed:
                logging.warning("Watcher hook %s: failed (exit: %s) (output:"
                                " %s)", relname, runresult.exit_code,
                                runresult.output)
            else:
                logging.debug("Watcher hook %s: success (output: %s)",
                              relname, runresult.output)


def InCluster() -> bool:
    """Whether this node belongs to a cluster (has its ssconf files)."""
    try:
        ssconf.SimpleStore().GetClusterName()
    except errors.ConfigurationError:
        return False
    return True


def IsMasterNode() -> bool:
    """Whether this node is the master according to ssconf."""
    try:
        master = ssconf.SimpleStore().GetMasterNode()
    except errors.ConfigurationError:
        return False
    return master == netutils.Hostname.GetFqdn()


def _RapiAnswers(rapi_ip: str) -> bool:
    """Whether RAPI on rapi_ip answers GET /version with our version."""
    from ganeti.rapi import client as rapi_client
    cfg = rapi_client.GenericCurlConfig(connect_timeout=_PROBE_TIMEOUT,
                                        timeout=_PROBE_TIMEOUT, proxy="")
    cl = rapi_client.GanetiRapiClient(rapi_ip, curl_config_fn=cfg)
    try:
        version = cl.GetVersion()
    except Exception as err:  # pylint: disable=broad-except
        logging.warning("Could not talk to RAPI on %s: %s", rapi_ip, err)
        return False
    logging.debug("RAPI answered with version %s", version)
    return version == constants.RAPI_VERSION


def _EnsureAnswering(name: str, answers: Callable[[], bool]) -> None:
    """Start daemon name if down; restart it once if it does not answer."""
    if not EnsureDaemon(name):
        return
    if answers():
        return
    if RestartDaemon(name) and not answers():
        logging.error("Daemon %s still does not answer after a restart",
                      name)


def EnsureRapi(rapi_ip: str) -> None:
    """RAPI runs on the master and answers; restarted once if it does not."""
    _EnsureAnswering(constants.RAPI, lambda: _RapiAnswers(rapi_ip))


def GetLuxiClient(try_restart: bool):
    """A LUXI client connected to the master daemon.

    If the master daemon does not answer and try_restart is set, it is
    (re)started once and asked again; errors.NoMasterError otherwise.
    """
    from ganeti import luxi

    def probe() -> None:
        cl = luxi.Client(timeouts=_LUXI_PROBE_TIMEOUTS)
        try:
            cl.QueryConfigValues(["cluster_name"])
        finally:
            cl.Close()
    try:
        probe()
    except (errors.NoMasterError, errors.TimeoutError) as err:
        if not try_restart:
            raise
        logging.warning("Master daemon does not answer (%s), trying to"
                        " restart it", err)
        RestartDaemon(constants.MASTERD)
        probe()
    return luxi.Client()
