"""The written parts of gnt-network(8): what each subcommand does, beyond
its one-line description, and examples."""

from typing import Dict, List, Tuple

DETAILS: Dict[str, List[str]] = {
    "add": [
        "Creates a network from an IPv4 subnet (--network); its addresses"
        " form the pool from which NICs with ip=pool get theirs. The"
        " gateway, the network and broadcast addresses and the addresses"
        " given with --add-reserved-ips are reserved.",
        "The network is not usable by instances until it is connected to"
        " their node groups (gnt-network connect). A name in use or a"
        " subnet that is not valid is refused.",
    ],
    "connect": [
        "Connects the network to node groups (all groups without group"
        " names) with NIC parameters (-N mode=bridged|routed|openvswitch,"
        "link=..., vlan=...); NICs on the network get these parameters on"
        " the nodes of that group.",
        "Unless --no-conflicts-check, connecting is refused if instances of"
        " the group already use addresses of the subnet outside the"
        " network.",
    ],
    "disconnect": [
        "Disconnects the network from node groups (all groups without group"
        " names). Groups whose instances still have NICs on the network are"
        " refused.",
    ],
    "info": [
        "Shows, for each network given (all without arguments), its"
        " subnet, gateway, IPv6 data, MAC prefix, the size and usage of"
        " the pool (free and reserved counts and a map of the addresses),"
        " the groups it is connected to with their NIC parameters and the"
        " instances using it. Nothing is changed.",
    ],
    "list": [
        "Prints one line per network (all, or those given) with the fields"
        " chosen with -o; by default the name, subnet, gateway, MAC prefix,"
        " connected groups and tags. gnt-network info shows the address"
        " pool in detail.",
    ],
    "modify": [
        "Changes the gateway, the IPv6 subnet and gateway, the MAC prefix"
        " and the reserved addresses of a network. The IPv4 subnet itself"
        " cannot be changed.",
        "The gateway and the reserved addresses cannot be changed in the"
        " same command. An address that cannot be reserved (e.g. one in use)"
        " or released is reported as a warning and the rest is done.",
    ],
    "remove": [
        "Removes a network. It must not be connected to any node group"
        " (disconnect it first), so no NIC uses it.",
    ],
    "rename": [
        "Renames a network; its UUID, pool and connections stay. NICs refer"
        " to the network by UUID, so they follow the rename. A name in use"
        " is refused.",
    ],
}

Example = Tuple[str, str]
EXAMPLES: Dict[str, List[Example]] = {
    "add": [("gnt-network add --network=10.1.0.0/24 --gateway=10.1.0.1"
             " lan", "Create a network:")],
    "connect": [("gnt-network connect -N mode=bridged,link=br0 lan"
                 " default", "Connect it to the default group:")],
    "disconnect": [("gnt-network disconnect lan default",
                    "Disconnect it again:")],
    "modify": [("gnt-network modify --add-reserved-ips=10.1.0.10 lan",
                "Keep an address out of the pool:")],
    "info": [("gnt-network info lan", "The network and its pool:")],
    "list": [("gnt-network list", "The networks:")],
    "remove": [("gnt-network remove lan", "Remove a network:")],
    "rename": [("gnt-network rename lan lan2", "Rename a network:")],
}
