"""The written parts of gnt-group(8): what each subcommand does, beyond its
one-line description, and examples."""

from typing import Dict, List, Tuple

DETAILS: Dict[str, List[str]] = {
    "add": [
        "Creates an empty node group; nodes join it with gnt-group"
        " assign-nodes or gnt-node add (its node group option). Its node parameters, disk"
        " parameters, instance policy and allocation policy can be given"
        " here or set later with gnt-group modify; what is not given comes"
        " from the cluster.",
        "A name already used by another group is refused.",
    ],
    "assign-nodes": [
        "Moves nodes into the group. A node whose DRBD instances would end"
        " up with their two nodes in different groups is refused unless"
        " --force is given, since instances are meant to live within one"
        " group.",
    ],
    "evacuate": [
        "Moves every instance of the group to other groups, new nodes"
        " chosen by an iallocator (-I, or the cluster's default) among the"
        " groups given with --to (any other group without it). Use it"
        " before removing a group or all its nodes.",
        "One job is submitted per instance, in parallel unless"
        " --sequential; running instances are migrated unless"
        " --force-failover.",
    ],
    "info": [
        "Shows, for each group given (all without arguments), its UUID,"
        " allocation policy, nodes, node and disk parameters and its"
        " instance policy (with the values inherited from the cluster)."
        " Nothing is changed.",
    ],
    "list": [
        "Prints one line per node group (all, or those given) with the"
        " fields chosen with -o; by default the name, the numbers of nodes"
        " and primary instances, the allocation policy and the node"
        " parameters. The group names also work as arguments of the"
        " node group options of the other commands.",
    ],
    "modify": [
        "Changes the group's allocation policy, node parameters, disk"
        " parameters, hypervisor and disk state and instance policy."
        " Parameters not set on the group come from the cluster; a value"
        " of default removes the group's own value.",
        "Instances that violate a new policy stay where they are; the"
        " command warns about them and gnt-cluster verify reports them.",
    ],
    "remove": [
        "Removes an empty node group: it must have no nodes (move them to"
        " another group first) and must not be the cluster's last group."
        " Its own parameters and instance policy are lost with it.",
    ],
    "rename": [
        "Renames a node group; the group keeps its UUID, nodes, parameters"
        " and network connections. A name used by another group is"
        " refused.",
    ],
    "show-ispecs-cmd": [
        "Prints gnt-group modify command lines whose instance policy"
        " options reproduce the policy of the groups given (all without"
        " arguments). With --include-defaults the values the groups inherit"
        " from the cluster are printed too.",
    ],
}

Example = Tuple[str, str]
EXAMPLES: Dict[str, List[Example]] = {
    "add": [("gnt-group add group2", "Create a node group:"),
            ("gnt-group add --alloc-policy=last_resort spare",
             "A group used only when the others are full:")],
    "assign-nodes": [("gnt-group assign-nodes group2 node3.example.com",
                      "Move a node into group2:")],
    "rename": [("gnt-group rename group2 rack2", "Rename a group:")],
    "evacuate": [("gnt-group evacuate -I hail --to group1 group2",
                  "Move group2's instances to group1:")],
    "modify": [("gnt-group modify --alloc-policy=unallocable group2",
                "Keep new instances out of a group:")],
    "remove": [("gnt-group remove group2", "Remove an empty group:")],
    "info": [("gnt-group info group1", "The details of a group:")],
    "list": [("gnt-group list", "The node groups:")],
    "show-ispecs-cmd": [("gnt-group show-ispecs-cmd group1",
                         "The command line reproducing group1's policy:")],
}
