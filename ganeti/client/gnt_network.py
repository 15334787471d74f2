"""gnt-network: IP network administration."""

import textwrap
from typing import Dict, List, Optional

from ganeti import constants
from ganeti import defaults
from ganeti import errors
from ganeti import opcodes
from ganeti.cli import *  # noqa: F401,F403 (option objects)
from ganeti.cli import (ARGS_MANY_NETWORKS, ARGS_ONE_NETWORK, ArgGroup,
                        ArgNetwork, ArgUnknown, EXIT_FAILURE, EXIT_SUCCESS,
                        GenericList, GenericListFields, GenericMain,
                        GetClient, ParseFields, SplitEscaped, SubmitOpCode,
                        SubmitOrSend, ToStderr, ToStdout)
from ganeti.client import gnt_tags
from ganeti.cmdlib.group import ForceDictType

#: Default columns of "gnt-network list".
_LIST_DEF_FIELDS = ["name", "network", "gateway", "mac_prefix", "group_list",
                    "tags"]

_INFO_FIELDS = ["name", "network", "gateway", "network6", "gateway6",
                "mac_prefix", "free_count", "reserved_count", "map",
                "group_list", "inst_list", "external_reservations",
                "serial_no", "uuid"]

# The NIC parameters a connection takes (-N mode=...,link=...,vlan=...).
_NIC_PARAMETER_TYPES = {"mode": str, "link": str, "vlan": str}
_MAP_LINE = 64


def _HandleReservedIPs(ips: Optional[str]) -> Optional[List[str]]:
    """The addresses of --add/--remove-reserved-ips (comma-separated)."""
    if ips is None:
        return None
    if not ips:
        return []
    return SplitEscaped(ips, sep=",")


def _GetDefaultGroups(cl, groups: List[str]) -> List[str]:
    """The groups named, or every group of the cluster."""
    if groups:
        return groups
    return [row[0] for row in cl.QueryGroups([], ["name"], False)]


def AddNetwork(opts, args) -> int:
    (network_name, ) = args
    if opts.network is None:
        raise errors.OpPrereqError("The --network option must be given",
                                   errors.ECODE_INVAL)
    tags = opts.tags.split(",") if opts.tags is not None else []
    op = opcodes.OpNetworkAdd(
        network_name=network_name, gateway=opts.gateway,
        network=opts.network, gateway6=opts.gateway6,
        network6=opts.network6, mac_prefix=opts.mac_prefix,
        add_reserved_ips=_HandleReservedIPs(opts.add_reserved_ips),
        conflicts_check=opts.conflicts_check, tags=tags)
    SubmitOrSend(op, opts)
    return EXIT_SUCCESS


def ConnectNetwork(opts, args) -> int:
    """Connect a network to the groups named (default: all)."""
    cl = GetClient()
    network = args[0]
    nicparams = dict(opts.nicparams or {})
    ForceDictType(nicparams, _NIC_PARAMETER_TYPES)
    nicparams = defaults.fill(defaults.NICC_DEFAULTS, nicparams)
    for group in _GetDefaultGroups(cl, args[1:]):
        op = opcodes.OpNetworkConnect(
            group_name=group, network_name=network,
            network_mode=nicparams["mode"], network_link=nicparams["link"],
            network_vlan=nicparams["vlan"],
            conflicts_check=opts.conflicts_check)
        SubmitOpCode(op, opts=opts, cl=cl)
    return EXIT_SUCCESS


def DisconnectNetwork(opts, args) -> int:
    """Disconnect a network from the groups named (default: all)."""
    cl = GetClient()
    network = args[0]
    for group in _GetDefaultGroups(cl, args[1:]):
        op = opcodes.OpNetworkDisconnect(group_name=group,
                                         network_name=network)
        SubmitOpCode(op, opts=opts, cl=cl)
    return EXIT_SUCCESS


def _FmtGroupList(data) -> str:
    return ", ".join("%s (%s, %s, %s)" % tuple(entry) for entry in data)


def ListNetworks(opts, args) -> int:
    fields = ParseFields(opts.output, _LIST_DEF_FIELDS)
    override = {
        "group_list": (_FmtGroupList, False),
        "inst_list": (",".join, False),
        "tags": (",".join, False),
    }
    return GenericList(constants.QR_NETWORK, fields, args, None,
                       opts.separator, not opts.no_headers,
                       verbose=opts.verbose, format_override=override)


def ListNetworkFields(opts, args) -> int:
    return GenericListFields(constants.QR_NETWORK, args, opts.separator,
                             not opts.no_headers)


def _PrintUsageMap(mapping: str) -> None:
    ToStdout("  Usage map:")
    for idx in range(0, len(mapping), _MAP_LINE):
        line = mapping[idx:idx + _MAP_LINE]
        ToStdout("     %s %s %d", str(idx).rjust(3), line.ljust(_MAP_LINE),
                 idx + _MAP_LINE - 1)
    ToStdout("         (X) used    (.) free")


def ShowNetworkConfig(opts, args) -> int:
    """gnt-network info: each network's parameters, usage and users."""
    cl = GetClient()
    result = cl.QueryNetworks(args, _INFO_FIELDS, False)
    for (name, network, gateway, network6, gateway6, mac_prefix, free_count,
         reserved_count, mapping, group_list, instances, ext_res, serial,
         uuid) in result:
        size = free_count + reserved_count
        ToStdout("Network name: %s", name)
        ToStdout("UUID: %s", uuid)
        ToStdout("Serial number: %d", serial)
        ToStdout("  Subnet: %s", network)
        ToStdout("  Gateway: %s", gateway)
        ToStdout("  IPv6 Subnet: %s", network6)
        ToStdout("  IPv6 Gateway: %s", gateway6)
        ToStdout("  Mac Prefix: %s", mac_prefix)
        ToStdout("  Size: %d", size)
        ToStdout("  Free: %d (%.2f%%)", free_count,
                 100 * float(free_count) / float(size) if size else 0.0)
        _PrintUsageMap(mapping)
        if ext_res:
            ToStdout("  externally reserved IPs:")
            for line in textwrap.wrap(ext_res, width=64):
                ToStdout("    %s", line)
        if group_list:
            ToStdout("  connected to node groups:")
            for group, nic_mode, nic_link, nic_vlan in group_list:
                ToStdout("    %s (mode:%s link:%s vlan:%s)", group, nic_mode,
                         nic_link, nic_vlan)
        else:
            ToStdout("  not connected to any node group")
        if instances:
            ToStdout("  used by %d instances:", len(instances))
            for inst in instances:
                ((ips, networks), ) = cl.QueryInstances(
                    [inst], ["nic.ips", "nic.networks"], False)
                used = ", ".join("%d:%s" % (idx, ip) for idx, (ip, net) in
                                 enumerate(zip(ips, networks)) if net == uuid)
                ToStdout("    %s: %s", inst, used)
        else:
            ToStdout("  not used by any instances")
    return EXIT_SUCCESS


def SetNetworkParams(opts, args) -> int:
    """gnt-network modify: change a network's parameters."""
    changes = {
        "gateway": opts.gateway,
        "add_reserved_ips": _HandleReservedIPs(opts.add_reserved_ips),
        "remove_reserved_ips": _HandleReservedIPs(opts.remove_reserved_ips),
        "mac_prefix": opts.mac_prefix,
        "gateway6": opts.gateway6,
        "network6": opts.network6,
    }
    if all(value is None for value in changes.values()):
        ToStderr("Please give at least one of the parameters.")
        return EXIT_FAILURE
    op = opcodes.OpNetworkSetParams(network_name=args[0], **changes)
    SubmitOrSend(op, opts)
    return EXIT_SUCCESS


def RemoveNetwork(opts, args) -> int:
    (network_name, ) = args
    op = opcodes.OpNetworkRemove(network_name=network_name, force=opts.force)
    SubmitOrSend(op, opts)
    return EXIT_SUCCESS


def RenameNetwork(opts, args) -> int:
    old_name, new_name = args
    op = opcodes.OpNetworkRename(network_name=old_name, new_name=new_name)
    SubmitOrSend(op, opts)
    return EXIT_SUCCESS


commands: Dict[str, tuple] = {
    "add": (
        AddNetwork, ARGS_ONE_NETWORK,
        [DRY_RUN_OPT, NETWORK_OPT, GATEWAY_OPT, ADD_RESERVED_IPS_OPT,
         MAC_PREFIX_OPT, NETWORK6_OPT, GATEWAY6_OPT, NOCONFLICTSCHECK_OPT,
         TAG_ADD_OPT, PRIORITY_OPT] + SUBMIT_OPTS,
        "<network-name>", "Add a new IP network to the cluster"),
    "list": (
        ListNetworks, ARGS_MANY_NETWORKS,
        [NOHDR_OPT, SEP_OPT, FIELDS_OPT, VERBOSE_OPT],
        "[<network-name>...]",
        "Lists the IP networks in the cluster. The available fields can be"
        " shown using the \"list-fields\" command (see the man page for"
        " details). The default list is (in order): %s." %
        ", ".join(_LIST_DEF_FIELDS)),
    "list-fields": (
        ListNetworkFields, [ArgUnknown()], [NOHDR_OPT, SEP_OPT],
        "[<fields>...]", "Lists all available fields for networks"),
    "info": (
        ShowNetworkConfig, ARGS_MANY_NETWORKS, [], "[<network>...]",
        "Show information about the network(s)"),
    "modify": (
        SetNetworkParams, ARGS_ONE_NETWORK,
        [DRY_RUN_OPT] + SUBMIT_OPTS +
        [ADD_RESERVED_IPS_OPT, REMOVE_RESERVED_IPS_OPT, GATEWAY_OPT,
         MAC_PREFIX_OPT, NETWORK6_OPT, GATEWAY6_OPT, PRIORITY_OPT],
        "<network>", "Alters the parameters of a network"),
    "connect": (
        ConnectNetwork, [ArgNetwork(min=1, max=1), ArgGroup()],
        [NOCONFLICTSCHECK_OPT, PRIORITY_OPT, NIC_PARAMS_OPT],
        "<network> [<group>...]",
        "Map a given network to the specified node group with given mode"
        " and link (netparams)"),
    "disconnect": (
        DisconnectNetwork, [ArgNetwork(min=1, max=1), ArgGroup()],
        [PRIORITY_OPT], "<network> [<group>...]",
        "Unmap a given network from a specified node group"),
    "remove": (
        RemoveNetwork, ARGS_ONE_NETWORK,
        [FORCE_OPT, DRY_RUN_OPT] + SUBMIT_OPTS + [PRIORITY_OPT],
        "[--dry-run] <network>",
        "Remove an (empty) network from the cluster"),
    "rename": (
        RenameNetwork, [ArgNetwork(min=2, max=2)],
        [DRY_RUN_OPT] + SUBMIT_OPTS + [PRIORITY_OPT],
        "[--dry-run] <old-name> <new-name>", "Rename a network"),
}
commands.update(gnt_tags.TagCommands("network"))


def Main() -> int:
    return GenericMain(commands)
