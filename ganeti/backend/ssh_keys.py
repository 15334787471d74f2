"""Node RPCs changing the cluster's SSH keys (served on the master).

``node_ssh_key_add``, ``node_ssh_key_remove`` and ``node_ssh_keys_renew``
are sent to the master node's daemon, which changes its own files directly
and every other node's over SSH with ssh-update (ganeti.tools.ssh_update).
See ganeti.ssh_keys for where the keys live.  Each call answers the list of
[node name, error] pairs of the nodes that could not be updated (the
caller warns about them); what can't be done at all fails the call.
"""

import logging
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti import ssconf
from ganeti import ssh
from ganeti import ssh_keys
from ganeti.backend import _Fail
from ganeti.tools import ssh_update
from ganeti.utils import io as utils_io

NodeErrors = List[Tuple[str, str]]


class _Cluster:
    """The master's view: nodes (from config.data), how to reach them."""

    def __init__(self) -> None:
        from ganeti import config  # pylint: disable=import-outside-toplevel
        store = ssconf.SimpleStore()
        self.cluster_name = store.GetClusterName()
        self.master_name = store.GetMasterNode()
        self.ports = store.GetSshPortMap()
        data = config.load_config_data(pathutils.CLUSTER_CONF_FILE)
        self.nodes = data.nodes
        self.base = ssh_update.BaseData(self.cluster_name)
        self._runner: Optional[ssh.SshRunner] = None

    def Runner(self, reload: bool = False) -> ssh.SshRunner:
        if self._runner is None or reload:
            self._runner = ssh.SshRunner(self.cluster_name)
        return self._runner

    def Online(self) -> List[str]:
        """Names of the online nodes, the master first."""
        names = sorted(n.name for n in self.nodes.values() if not n.offline
                       and n.name != self.master_name)
        return [self.master_name] + names

    def CandidateUuids(self) -> List[str]:
        return [n.uuid for n in self.nodes.values() if n.master_candidate]

    def Update(self, node: str, changes: Dict[str, Any]) -> Dict[str, Any]:
        """Apply an ssh-update document's changes on node."""
        if node == self.master_name:
            return ssh_update.LocalUpdate(changes)
        return ssh_update.RunSshUpdate(self.Runner(), node,
                                       self.ports.get(node, 22),
                                       dict(self.base, **changes))

    def UpdateAll(self, nodes: Sequence[str], changes: Dict[str, Any],
                  failures: NodeErrors) -> List[str]:
        """Update each node; failures are collected; the nodes done."""
        done = []
        for node in nodes:
            try:
                self.Update(node, changes)
                done.append(node)
            except errors.OpExecError as err:
                logging.warning("%s", err)
                failures.append((node, str(err)))
        return done


def _Load() -> _Cluster:
    try:
        return _Cluster()
    except (errors.GenericError, EnvironmentError) as err:
        _Fail("Can't read the cluster's configuration: %s", err)
    raise AssertionError("not reached")


def _NodeKeys(keys: ssh_keys.KeyMap, node_uuid: str, node_name: str
              ) -> Tuple[List[str], List[str]]:
    """(new keys, replaced keys) of a node being added: the keys listed
    under its name (gnt-node add put them there) or else its uuid."""
    if node_name in keys:
        return keys[node_name], [k for k in keys.get(node_uuid, [])
                                 if k not in keys[node_name]]
    if node_uuid in keys:
        return keys[node_uuid], []
    _Fail("No keys found for the new node '%s' (UUID %s) in the list of"
          " public SSH keys, neither for the name or the UUID",
          node_name, node_uuid)
    raise AssertionError("not reached")


def AddNodeSshKey(node_uuid: str, node_name: str,
                  potential_master_candidates: Sequence[str],
                  to_authorized_keys: bool, to_public_keys: bool,
                  get_public_keys: bool) -> NodeErrors:
    """``node_ssh_key_add``: spread a (new) node's key; give it the others.

    to_authorized_keys: its key goes into every node's authorized_keys (it
    is a master candidate); to_public_keys: into the potential master
    candidates' public key files; get_public_keys: the node gets the whole
    public key file and the candidates' keys in its authorized_keys.
    """
    cluster = _Load()
    keys = ssh_keys.ReadPubKeyFile()
    new_keys, replaced = _NodeKeys(keys, node_uuid, node_name)
    ssh_keys.RenameKeyOwner(node_name, node_uuid)
    failures: NodeErrors = []
    others = [n for n in cluster.Online() if n != node_name]
    if replaced:
        # a re-added node: its old key goes first (from itself too)
        cluster.UpdateAll(others + [node_name], ssh_update.Changes(
            authorized=[ssh_keys.SSHS_REMOVE, {node_uuid: replaced}]),
            failures)
    potential = set(potential_master_candidates) | {cluster.master_name}
    for node in others:
        changes = {}
        if to_authorized_keys:
            changes.update(ssh_update.Changes(
                authorized=[ssh_keys.SSHS_ADD, {node_uuid: new_keys}]))
        if to_public_keys and node in potential and \
                node != cluster.master_name:
            changes.update(ssh_update.Changes(
                public=[ssh_keys.SSHS_REPLACE_OR_ADD,
                        {node_uuid: new_keys}]))
        if changes:
            cluster.UpdateAll([node], changes, failures)
    if get_public_keys:
        all_keys = ssh_keys.ReadPubKeyFile()
        candidates = {uuid: all_keys[uuid] for uuid in
                      cluster.CandidateUuids() if uuid in all_keys}
        cluster.UpdateAll([node_name], ssh_update.Changes(
            authorized=[ssh_keys.SSHS_ADD, candidates],
            public=[ssh_keys.SSHS_OVERRIDE, all_keys]), failures)
    return failures


def RemoveNodeSshKey(node_uuid: str, node_name: str,
                     master_candidate_uuids: Sequence[str],
                     potential_master_candidates: Sequence[str],
                     from_authorized_keys: bool, from_public_keys: bool,
                     clear_authorized_keys: bool, clear_public_keys: bool,
                     readd: bool) -> NodeErrors:
    """``node_ssh_key_remove``: take a node's key back from the others
    (from_*), and the cluster's keys from the node itself (clear_*; not
    for a re-add)."""
    cluster = _Load()
    keys = ssh_keys.ReadPubKeyFile()
    node_keys = keys.get(node_uuid) or keys.get(node_name) or []
    failures: NodeErrors = []
    if not node_keys and (from_authorized_keys or from_public_keys):
        failures.append((node_name, "No SSH keys of node %s (UUID %s) in the"
                         " list of public SSH keys" % (node_name,
                                                       node_uuid)))
    potential = set(potential_master_candidates)
    for node in [n for n in cluster.Online() if n != node_name]:
        changes = {}
        if from_authorized_keys and node_keys:
            changes.update(ssh_update.Changes(
                authorized=[ssh_keys.SSHS_REMOVE, {node_uuid: node_keys}]))
        if from_public_keys and (node in potential or
                                 node == cluster.master_name):
            changes.update(ssh_update.Changes(
                public=[ssh_keys.SSHS_REMOVE, {node_uuid: [],
                                               node_name: []}]))
        if changes:
            cluster.UpdateAll([node], changes, failures)
    if not readd and (clear_authorized_keys or clear_public_keys):
        changes = {}
        if clear_authorized_keys:
            candidates = {uuid: keys[uuid] for uuid in
                          set(master_candidate_uuids) | {node_uuid}
                          if uuid in keys}
            changes.update(ssh_update.Changes(
                authorized=[ssh_keys.SSHS_REMOVE, candidates]))
        if clear_public_keys:
            changes.update(ssh_update.Changes(
                public=[ssh_keys.SSHS_CLEAR, {}]))
        cluster.UpdateAll([node_name], changes, failures)
    return failures


def _GenerateKeys(cluster: _Cluster, targets: List[Tuple[str, str]],
                  new_type: str, new_bits: int, old_type: str,
                  failures: NodeErrors) -> Tuple[Dict[str, str],
                                                 Optional[str]]:
    """New key pairs on the target nodes: ({uuid: new key}, where the
    master's pair was made aside, to be installed once spread)."""
    new_keys: Dict[str, str] = {}
    master_aside = None
    for uuid, name in targets:
        gen: Dict[str, Any] = {ssh_update.SSHS_GENERATE: {},
                               ssh_update.SSHS_SSH_KEY_TYPE: new_type,
                               ssh_update.SSHS_SSH_KEY_BITS: new_bits}
        if name == cluster.master_name:
            master_aside = ssh_keys.TempKeyPath()
            new_keys[uuid] = ssh_keys.GenerateKeyPair(new_type, new_bits,
                                                      master_aside)
            continue
        if old_type != new_type:
            gen[ssh_update.SSHS_REMOVE_KEY_TYPE] = old_type
        try:
            new_keys[uuid] = cluster.Update(name, gen)["public_key"]
        except (errors.OpExecError, KeyError) as err:
            failures.append((name, str(err)))
    return new_keys, master_aside


def RenewSshKeys(node_uuids: Sequence[str], node_names: Sequence[str],
                 master_candidate_uuids: Sequence[str],
                 potential_master_candidates: Sequence[str],
                 old_key_type: str, new_key_type: str,
                 new_key_bits: int) -> NodeErrors:
    """``node_ssh_keys_renew``: new key pairs for the given nodes.

    Access is never lost: the new keys are added everywhere first (the
    master still logging in with its old key), then the master's new key
    is put in place and the old keys are removed everywhere.
    """
    if new_key_type not in constants.SSHK_ALL:
        _Fail("Invalid SSH key type '%s'", new_key_type)
    cluster = _Load()
    failures: NodeErrors = []
    targets = [(u, n) for u, n in zip(node_uuids, node_names)
               if n in cluster.Online()]
    old_keys = ssh_keys.ReadPubKeyFile()
    new_keys, master_aside = _GenerateKeys(cluster, targets, new_key_type,
                                           new_key_bits, old_key_type,
                                           failures)
    if failures:
        if master_aside is not None:
            for name in (master_aside, master_aside + ".pub"):
                utils_io.RemoveFile(name)
        _Fail("Could not generate new SSH keys on: %s",
              "; ".join("%s: %s" % item for item in failures))
    candidates = set(master_candidate_uuids)
    all_keys = dict(old_keys)
    all_keys.update({uuid: [key] for uuid, key in new_keys.items()})
    added = {uuid: [key] for uuid, key in new_keys.items()
             if uuid in candidates}
    spread_failures: NodeErrors = []
    cluster.UpdateAll(cluster.Online(), ssh_update.Changes(
        authorized=[ssh_keys.SSHS_ADD, added],
        public=[ssh_keys.SSHS_OVERRIDE, all_keys]), spread_failures)
    if spread_failures:
        _Fail("Could not spread the new SSH keys (the old ones are kept):"
              " %s", "; ".join("%s: %s" % item for item in spread_failures))
    if master_aside is not None:
        ssh_keys.InstallKeyPair(master_aside, new_key_type)
        if old_key_type != new_key_type:
            ssh_keys.RemoveKeyPair(old_key_type)
        cluster.Runner(reload=True)
    removed = {uuid: [k for k in old_keys.get(uuid, [])
                      if ssh_keys.NormalizeKey(k) !=
                      ssh_keys.NormalizeKey(new_keys[uuid])]
               for uuid in new_keys}
    removed = {uuid: keys for uuid, keys in removed.items() if keys}
    if removed:
        cluster.UpdateAll(cluster.Online(), ssh_update.Changes(
            authorized=[ssh_keys.SSHS_REMOVE, removed]), failures)
    return failures


RPC_CALLS = {
    "node_ssh_key_add": AddNodeSshKey,
    "node_ssh_key_remove": RemoveNodeSshKey,
    "node_ssh_keys_renew": RenewSshKeys,
}
