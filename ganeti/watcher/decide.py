"""What a group watcher does about its nodes and instances (pure logic).

Given what the master reports about a node group (nodes with their boot
ids, instances with their status) and the group's state file, decide which
instances to restart, which user shutdowns to record, which instances get
their disks re-activated because a node rebooted, and which restart
counters to forget.  Nothing here talks to the cluster, so every rule is
unit-tested; ganeti.watcher.group carries the decisions out.
"""

import logging
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Set

from ganeti import constants
from ganeti.watcher.state import WatcherState

# Restart (or user-shutdown cleanup) attempts per instance before giving up.
MAXTRIES = 5

# States in which an instance is fine, or not the watcher's business; seeing
# one clears the instance's restart counter.
_GOOD_STATES = frozenset([constants.INSTST_RUNNING,
                          constants.INSTST_ADMINDOWN,
                          constants.INSTST_ADMINOFFLINE])
# States the watcher cannot fix by starting the instance here.
HELPLESS_STATES = frozenset([constants.INSTST_NODEDOWN,
                             constants.INSTST_NODEOFFLINE])
# Disk templates with nothing to activate.
_NO_DISKS_TEMPLATES = frozenset([constants.DT_DISKLESS])


@dataclass
class Node:
    """A node of the group as the watcher sees it."""
    name: str
    bootid: Optional[str]
    offline: bool


@dataclass
class Instance:
    """An instance of the group as the watcher sees it."""
    name: str
    status: str
    disk_template: str
    pnode: str
    snodes: Sequence[str] = ()
    disks_active: bool = False
    admin_up: bool = False

    @property
    def nodes(self) -> List[str]:
        return [self.pnode] + list(self.snodes)


@dataclass
class Decisions:
    """What one group watcher run does."""
    restart: List[str] = field(default_factory=list)
    record_user_down: List[str] = field(default_factory=list)
    activate_disks: List[str] = field(default_factory=list)
    gave_up: List[str] = field(default_factory=list)


def RebootedNodes(nodes: Iterable[Node], state: WatcherState) -> Set[str]:
    """Names of online nodes whose boot id changed since the last run.

    A node seen for the first time is not "rebooted".  The state learns the
    new boot ids.
    """
    rebooted = set()
    for node in nodes:
        if node.offline or not node.bootid:
            continue
        old = state.GetNodeBootID(node.name)
        if old is not None and old != node.bootid:
            rebooted.add(node.name)
        state.SetNodeBootID(node.name, node.bootid)
    return rebooted


def _Attempt(name: str, what: str, count: int, record, todo: List[str],
             gave_up: List[str]) -> None:
    """One more attempt at what (restart/cleanup), or give up (once)."""
    if count > MAXTRIES:
        return  # gave up earlier, said so then
    record(name)
    if count == MAXTRIES:
        logging.error("Could not %s instance '%s' after %d attempts, giving"
                      " up", what, name, MAXTRIES)
        gave_up.append(name)
        return
    logging.info("%s instance '%s' (attempt #%d)",
                 "Restarting" if what == "restart" else "Recording the user"
                 " shutdown of", name, count + 1)
    todo.append(name)


def DecideInstances(instances: Sequence[Instance], nodes: Sequence[Node],
                    state: WatcherState, locked: Iterable[str] = (),
                    rebooted: Iterable[str] = ()) -> Decisions:
    """Decide, and record in state, what to do about the group's instances.

    - ``ERROR_down`` (should run, does not): restart, at most MAXTRIES
      times; the counter goes when the instance is seen fine again.
    - ``USER_down`` (shut down from inside): record it with a shutdown
      job, at most MAXTRIES times.
    - Instances on offline nodes, and instances locked by a job (a start
      or shutdown may be under way), are left alone this time.
    - An instance with disks on a rebooted node gets its disks activated
      again, unless it is being restarted now (the start activates them).
    """
    decisions = Decisions()
    offline = set(n.name for n in nodes if n.offline)
    locked = set(locked)
    rebooted = set(rebooted)
    state.MaintainInstanceList(i.name for i in instances)
    for inst in instances:
        if inst.status in _GOOD_STATES:
            if state.NumberOfRestartAttempts(inst.name) or \
               state.NumberOfCleanupAttempts(inst.name):
                if inst.status == constants.INSTST_RUNNING:
                    logging.info("Restart of instance '%s' succeeded",
                                 inst.name)
                state.RemoveInstance(inst.name)
            continue
        if inst.status in HELPLESS_STATES or offline.intersection(inst.nodes):
            continue
        if inst.name in locked:
            logging.info("Instance '%s' is locked by a job, leaving it alone"
                         " this time", inst.name)
            continue
        if inst.status == constants.INSTST_ERRORDOWN:
            _Attempt(inst.name, "restart",
                     state.NumberOfRestartAttempts(inst.name),
                     state.RecordRestartAttempt, decisions.restart,
                     decisions.gave_up)
        elif inst.status == constants.INSTST_USERDOWN:
            _Attempt(inst.name, "cleanup",
                     state.NumberOfCleanupAttempts(inst.name),
                     state.RecordCleanupAttempt, decisions.record_user_down,
                     decisions.gave_up)
    if rebooted:
        decisions.activate_disks = DisksToActivate(
            instances, offline, rebooted, set(decisions.restart))
    return decisions


def DisksToActivate(instances: Sequence[Instance], offline: Set[str],
                    rebooted: Set[str], starting: Set[str]) -> List[str]:
    """Instances whose disks to activate again after node reboots."""
    names = []
    for inst in instances:
        if not rebooted.intersection(inst.nodes):
            continue
        if inst.name in starting or offline.intersection(inst.nodes):
            continue
        if inst.disk_template in _NO_DISKS_TEMPLATES:
            continue
        if not (inst.admin_up or inst.disks_active):
            continue
        logging.info("Node(s) %s of instance '%s' rebooted, activating its"
                     " disks", ", ".join(sorted(rebooted.intersection(
                         inst.nodes))), inst.name)
        names.append(inst.name)
    return names


def DegradedToActivate(offline_disk_instances: Iterable[str],
                       instances: Dict[str, Instance],
                       already: Iterable[str]) -> List[str]:
    """Instances reported by verify-disks that get their disks activated.

    Only instances that should run (admin up) and are not handled already;
    the others' disks are not supposed to be active.
    """
    done = set(already)
    result = []
    for name in offline_disk_instances:
        inst = instances.get(name)
        if inst is None or name in done or not inst.admin_up:
            continue
        done.add(name)
        result.append(name)
    return result
