"""Node maintenance by the watcher (cluster parameter maintain_node_health).

On a node the cluster has marked offline nothing should run: the watcher
shuts down every instance its hypervisors still run and every DRBD device
still set up.  Whether this node is offline is asked from the master
candidates' confd (an offline node gets no configuration updates, so its
own ssconf may not know).
"""

import logging
import os
from typing import Callable, List, Optional

from ganeti import constants
from ganeti import errors
from ganeti import netutils
from ganeti import ssconf

_DRBD_PROC = "/proc/drbd"


def ShouldRun() -> bool:
    """Whether node maintenance is enabled for the cluster."""
    try:
        return ssconf.SimpleStore().GetMaintainNodeHealth()
    except errors.ConfigurationError:
        return False


def NodeRole(name: str) -> Optional[int]:
    """This node's role (CONFD_NODE_ROLE_*) as confd says; None if no
    master candidate answered."""
    from ganeti.confd import client as confd_client
    store = confd_client.StoreResultCallback()
    client = confd_client.GetConfdClient(
        confd_client.ConfdFilterCallback(store))
    try:
        req = confd_client.ConfdClientRequest(
            type=constants.CONFD_REQ_NODE_ROLE_BYNAME, query=name)
        client.SendRequest(req, coverage=-1)
        client.WaitForReply(req.rsalt)
    finally:
        client.Close()
    up = store.GetResponse(req.rsalt)
    if up is None or up.type != confd_client.UPCALL_REPLY or \
            up.server_reply.status != constants.CONFD_REPL_STATUS_OK:
        return None
    return up.server_reply.answer


def StopInstances(hypervisors: List[str]) -> List[str]:
    """Stop (forcibly) every instance the given hypervisors run here."""
    from ganeti import hypervisor
    store = ssconf.SimpleStore()
    stopped = []
    for hv_name in hypervisors:
        try:
            hv = hypervisor.GetHypervisor(hv_name)
            names = hv.ListInstances(store.GetHvparamsForHypervisor(hv_name))
        except errors.GenericError as err:
            logging.error("Can't list the instances of hypervisor %s: %s",
                          hv_name, err)
            continue
        for name in names:
            logging.info("Following the cluster policy, shutting down"
                         " instance %s", name)
            try:
                hv.StopInstance(None, force=True, name=name)
            except errors.GenericError as err:
                logging.error("Can't shut down instance %s: %s", name, err)
                continue
            stopped.append(name)
    return stopped


def StopDrbdDevices(proc_file: str = _DRBD_PROC,
                    used_devs: Optional[Callable] = None,
                    shutdown: Optional[Callable] = None) -> List[int]:
    """Shut down every DRBD minor in use here; the minors."""
    if not os.path.exists(proc_file):
        return []
    from ganeti.storage import drbd
    used_devs = used_devs or drbd.GetUsedDevs
    shutdown = shutdown or drbd.ShutdownAll
    minors = []
    for minor in sorted(used_devs()):
        logging.info("Following the cluster policy, shutting down DRBD"
                     " minor %d", minor)
        try:
            shutdown(minor)
        except errors.GenericError as err:
            logging.error("Can't shut down DRBD minor %d: %s", minor, err)
            continue
        minors.append(minor)
    return minors


def Run() -> None:
    """Node maintenance, if enabled and this node is offline."""
    if not ShouldRun():
        return
    myself = netutils.Hostname.GetFqdn()
    try:
        role = NodeRole(myself)
    except errors.GenericError as err:
        logging.warning("Can't ask confd for this node's role: %s", err)
        return
    if role is None:
        logging.warning("No master candidate told this node's role, no node"
                        " maintenance")
        return
    if role != constants.CONFD_NODE_ROLE_OFFLINE:
        logging.debug("Node is not offline, no node maintenance needed")
        return
    logging.info("This node is offline: stopping what still runs here")
    try:
        hypervisors = ssconf.SimpleStore().GetHypervisorList()
    except errors.ConfigurationError as err:
        logging.error("Can't read the hypervisor list: %s", err)
        hypervisors = []
    StopInstances(hypervisors)
    StopDrbdDevices()
