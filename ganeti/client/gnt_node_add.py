"""gnt-node add / remove: cluster membership (merged into gnt-node's table).

``add`` resolves the name, asks the master whether the node is known
already, sets up the node daemon on it over SSH (node-daemon-setup, see
ganeti.tools.node_daemon_setup) and submits OpNodeAdd; ``remove`` submits
OpNodeRemove.
"""

from typing import Any, Dict, List, Optional, Tuple

from ganeti import errors
from ganeti import netutils
from ganeti import opcodes
from ganeti.cli import (ARGS_ONE_NODE, CAPAB_MASTER_OPT, CAPAB_VM_OPT,
                        DISK_STATE_OPT, DRY_RUN_OPT, EXIT_FAILURE,
                        EXIT_SUCCESS, HV_STATE_OPT, NODE_FORCE_JOIN_OPT,
                        NODE_PARAMS_OPT, NODEGROUP_OPT, NOSSH_KEYCHECK_OPT,
                        PRIORITY_OPT, READD_OPT, SECONDARY_IP_OPT,
                        VERBOSE_OPT, ArgHost, GetClient, SubmitOpCode,
                        ToStderr, ToStdout)
from ganeti.cli.opts import cli_option

NONODE_SETUP_OPT = cli_option("--no-node-setup", default=True,
                              action="store_false", dest="node_setup",
                              help="Do not make initial SSH setup on remote"
                                   " node (needs to be done manually)")

_NO_NODE_SETUP_WARNING = (
    "-- WARNING -- \n"
    "The option --no-node-setup is disabled. Whether or not the\n"
    "SSH setup is manipulated while adding a node is determined\n"
    "by the 'modify_ssh_setup' value in the cluster-wide\n"
    "configuration instead.\n")

_DEFAULT_SSH_PORT = 22


def FlatToDict(data: Dict[str, Any], sep: str = "/") -> Dict[str, Any]:
    """{"a/b": v} -> {"a": {"b": v}} (the --disk-state key syntax)."""
    result: Dict[str, Any] = {}
    for key, value in data.items():
        parts = key.split(sep)
        target = result
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return result


def _GroupSshPort(cl: Any, group: Optional[str]) -> Optional[int]:
    """ssh_port of the node group the node goes to (None if unknown)."""
    try:
        rows = cl.QueryGroups([group] if group is not None else [],
                              ["ndp/ssh_port"], False)
        return rows[0][0] if rows else None
    except (errors.OpPrereqError, errors.OpExecError):
        return None


def _ExistingNode(cl: Any, node: str) -> Tuple[str, Optional[str], bool,
                                               Optional[int]]:
    """(name or "", secondary ip, is master, ssh port) of a known node."""
    try:
        rows = cl.QueryNodes([node], ["name", "sip", "master", "ndp/ssh_port"],
                             False)
    except (errors.OpPrereqError, errors.OpExecError):
        rows = []
    if not rows:
        return "", None, False, None
    name, sip, is_master, port = rows[0]
    return name, sip, bool(is_master), port


def SetupNodeSshKey(cluster_name: str, node: str, ssh_port: int,
                    ssh_key_check: bool, key_type: str,
                    key_bits: int) -> None:
    """Give the new node its own root key pair and authorize this master's
    key there (ssh-update over SSH); its public key is listed under its
    name in the public key file until OpNodeAdd lists it under its uuid
    (node_ssh_key_add)."""
    from ganeti import ssh
    from ganeti import ssh_keys
    from ganeti.tools import ssh_update
    data = ssh_update.BaseData(cluster_name)
    data.update({
        ssh_update.SSHS_GENERATE: {},
        ssh_update.SSHS_SSH_KEY_TYPE: key_type,
        ssh_update.SSHS_SSH_KEY_BITS: key_bits,
        ssh_update.SSHS_SSH_AUTHORIZED_KEYS: [
            ssh_keys.SSHS_ADD, {"master": [ssh_keys.ReadPublicKey(key_type)]}],
    })
    runner = ssh.SshRunner(cluster_name, strict_host_check=ssh_key_check)
    answer = ssh_update.RunSshUpdate(runner, node, ssh_port, data)
    ssh_keys.UpdatePubKeyFile(ssh_keys.SSHS_REPLACE_OR_ADD,
                              {node: [answer["public_key"]]})


def AddNode(opts: Any, args: List[str]) -> int:
    """Add (or with --readd re-add) a node to the cluster."""
    from ganeti.tools import node_daemon_setup  # only needed here
    cl = GetClient()
    node = netutils.GetHostname(name=args[0]).name
    ssh_port = _GroupSshPort(cl, opts.nodegroup)
    existing, sip, is_master, node_port = _ExistingNode(cl, node)
    if opts.readd:
        if not existing:
            ToStderr("Node %s not in the cluster - please retry without"
                     " '--readd'", node)
            return EXIT_FAILURE
        if is_master:
            ToStderr("Node %s is the master, cannot readd", node)
            return EXIT_FAILURE
        ssh_port = node_port or ssh_port
    else:
        if existing:
            ToStderr("Node %s already in the cluster (as %s) - please retry"
                     " with '--readd'", node, existing)
            return EXIT_FAILURE
        sip = opts.secondary_ip

    (cluster_name, modify_ssh_setup, key_type, key_bits) = \
        cl.QueryConfigValues(["cluster_name", "modify_ssh_setup",
                              "ssh_key_type", "ssh_key_bits"])
    if not opts.node_setup:
        ToStdout(_NO_NODE_SETUP_WARNING)

    node_daemon_setup.SetupNodeDaemon(
        cluster_name, node, ssh_port=ssh_port or _DEFAULT_SSH_PORT,
        ssh_key_check=opts.ssh_key_check, debug=opts.debug,
        verbose=opts.verbose, force_join=opts.force_join,
        feedback_fn=lambda line: ToStderr("%s", line))
    if modify_ssh_setup:
        SetupNodeSshKey(cluster_name, node, ssh_port or _DEFAULT_SSH_PORT,
                        opts.ssh_key_check, key_type, key_bits)

    op = opcodes.OpNodeAdd(node_name=args[0], secondary_ip=sip,
                           readd=opts.readd, group=opts.nodegroup,
                           vm_capable=opts.vm_capable, ndparams=opts.ndparams,
                           master_capable=opts.master_capable,
                           disk_state=FlatToDict(dict(opts.disk_state or [])),
                           hv_state=dict(opts.hv_state or []),
                           node_setup=bool(modify_ssh_setup))
    try:
        SubmitOpCode(op, opts=opts)
    except BaseException:
        if modify_ssh_setup:
            _ForgetNodeSshKey(node)
        raise
    return EXIT_SUCCESS


def _ForgetNodeSshKey(node: str) -> None:
    """The node did not join: its key, listed under its name, goes."""
    from ganeti import ssh_keys
    try:
        ssh_keys.UpdatePubKeyFile(ssh_keys.SSHS_REMOVE, {node: []})
    except (errors.GenericError, EnvironmentError) as err:
        ToStderr("Could not remove the SSH key of %s from the public key"
                 " file: %s", node, err)


def RemoveNode(opts: Any, args: List[str]) -> int:
    """Remove a node from the cluster."""
    op = opcodes.OpNodeRemove(node_name=args[0])
    SubmitOpCode(op, opts=opts)
    return EXIT_SUCCESS


COMMANDS = {
    "add": (
        AddNode, [ArgHost(min=1, max=1)],
        [SECONDARY_IP_OPT, READD_OPT, NOSSH_KEYCHECK_OPT, NODE_FORCE_JOIN_OPT,
         NONODE_SETUP_OPT, VERBOSE_OPT, NODEGROUP_OPT, PRIORITY_OPT,
         CAPAB_MASTER_OPT, CAPAB_VM_OPT, NODE_PARAMS_OPT, HV_STATE_OPT,
         DISK_STATE_OPT],
        "[-s ip] [--readd] [--no-ssh-key-check] [--force-join]"
        " [--no-node-setup] [--verbose] [--network] <node_name>",
        "Add a node to the cluster"),
    "remove": (
        RemoveNode, ARGS_ONE_NODE, [DRY_RUN_OPT, PRIORITY_OPT],
        "<node_name>", "Removes a node from the cluster"),
}
