"""The written parts of gnt-node(8): what each subcommand does, beyond its
one-line description, and examples."""

from typing import Dict, List, Tuple

DETAILS: Dict[str, List[str]] = {
    "add": [
        "Connects to the new node over SSH as root, copies the cluster's"
        " certificates and keys to it and starts its node daemon; the"
        " node then receives the configuration files. With --readd a"
        " node already in the configuration (e.g. after a reinstall)"
        " joins again with its old settings.",
        "The node's name must resolve and the node must run the same"
        " Ganeti version. The command refuses a node that belongs to"
        " another cluster (unless --force-join), a secondary IP the other"
        " nodes cannot reach, or a name already in the cluster (unless"
        " --readd). The new node goes into the group given with -g, or the"
        " default group, and becomes a master candidate if the pool needs"
        " one.",
    ],
    "remove": [
        "The node must hold no instances (move them with gnt-node"
        " evacuate or migrate first). It is told to leave the cluster"
        " and forgets it; a node that is down keeps its state, which"
        " $libdir/ganeti/tools/node-cleanup removes later.",
        "The master node cannot be removed; fail the master over to another"
        " node first.",
    ],
    "modify": [
        "Changes a node's role (--master-candidate, --drained,"
        " --offline; at most one can be yes), its secondary IP, its"
        " capabilities (--master-capable, --vm-capable) and its node"
        " parameters. Setting a node offline makes the cluster stop"
        " contacting it.",
        "Demoting a master candidate (also by draining it or setting it"
        " offline) is refused if it leaves fewer candidates than the"
        " candidate pool size, unless --auto-promote lets the cluster"
        " promote another node. The master's role changes only with"
        " gnt-cluster master-failover; unsetting vm_capable of a node with"
        " instances is refused, and at least one change must be given.",
    ],
    "evacuate": [
        "Moves the instances off a node: primary instances (-p),"
        " secondary ones (-s) or both; new nodes are given with -n or"
        " chosen by an iallocator (-I).",
        "With -n only secondary instances can be moved: each DRBD instance"
        " gets the node given as its new secondary (its disks are"
        " replaced). With an iallocator, the allocator decides for each"
        " instance how it moves (migration, failover, new secondary) and"
        " the command fails, moving nothing, if it cannot place one of"
        " them. The command asks for confirmation unless -f is given and"
        " submits one job per instance.",
    ],
    "failover": [
        "Fails over every primary instance of the node to its secondary"
        " node: each instance is stopped, its disks are activated on the"
        " secondary and it is started there if it was running. Use it when"
        " the node is failing and migration is not possible.",
        "The command asks for confirmation unless -f is given. With"
        " --ignore-consistency it goes on even if the node does not answer"
        " or the disks are degraded.",
    ],
    "migrate": [
        "Live-migrates every primary instance of the node to its"
        " secondary node (mirrored disk templates) or to the node given"
        " with -n or chosen by -I (shared storage), one job per instance."
        " Use it to empty a node before maintenance without downtime.",
        "The command asks for confirmation unless -f is given; a node"
        " without primary instances is reported and nothing is done.",
    ],
    "info": [
        "Shows, for each node given (all nodes without arguments), its"
        " primary and secondary addresses, roles and flags, its group, its"
        " primary and secondary instances and its node parameters. Nothing"
        " is changed.",
    ],
    "list": [
        "Prints one line per node (all nodes, or those given) with the"
        " fields chosen with -o; the default fields are the name, total and"
        " free disk, total, used and free memory and the counts of primary"
        " and secondary instances. Values that need the node's live data"
        " show * for an offline node and ? when the node did not answer.",
    ],
    "powercycle": [
        "Makes the node reboot at once, without shutting anything down"
        " cleanly: the node daemon asks the hypervisor, or the kernel, for a"
        " hard reset. Use it on a hung node that still answers its node"
        " daemon.",
        "The command asks for confirmation unless --yes is given; the"
        " master node is refused unless -f is given.",
    ],
    "power": [
        "Runs the node's out-of-band helper (the oob_program node"
        " parameter) to power the nodes on, off, cycle them or show their"
        " power status. Without an out-of-band helper the command"
        " refuses.",
        "on, off and cycle ask for confirmation unless -f is given; power"
        " off first marks the nodes offline unless --ignore-status. The"
        " master node cannot be powered off.",
    ],
    "volumes": [
        "Lists the logical volumes on the nodes (all, or those given) with"
        " their physical volume, volume group, name, size and the instance"
        " owning them. Volumes no instance owns show - as their"
        " instance.",
    ],
    "list-storage": [
        "Lists the storage units of the nodes: LVM volume groups (lvm-vg),"
        " physical volumes (lvm-pv) or the file storage directories (file,"
        " sharedfile), with their size, used and free space and whether"
        " they are allocatable. Choose the kind with -t; without it the"
        " kind of the cluster's default disk template is listed.",
    ],
    "modify-storage": [
        "Changes an attribute of a storage unit of a node; today the only"
        " one is --allocatable of an LVM physical volume (lvm-pv). A"
        " physical volume that is not allocatable gets no new logical"
        " volumes.",
    ],
    "repair-storage": [
        "Repairs a storage unit of a node; for an LVM volume group (lvm-vg)"
        " this removes its missing physical volumes from it (with"
        " vgreduce). Instances with disks on that volume group"
        " make the command refuse unless --ignore-consistency is given.",
    ],
    "health": [
        "Asks the out-of-band helper of each node (all, or those given) for"
        " its health items and prints them, one line per item with its"
        " status. Nodes without an out-of-band helper are reported as"
        " such.",
    ],
    "restricted-command": [
        "Runs a command on the nodes given (or the nodes of the group given"
        " with -g) through their node daemons, without SSH. Only commands"
        " the administrator placed in /etc/ganeti/restricted-commands on"
        " each node can run, without arguments; each node's output is"
        " printed, and the exit code is 1 if it failed on any node.",
    ],
    "list-drbd": [
        "Lists the DRBD minors reserved for the node in the configuration:"
        " for each minor the instance, the disk index, the node's role"
        " (primary or secondary) and the peer node. Only DRBD instances use"
        " minors, so the list is empty without them.",
    ],
}

Example = Tuple[str, str]
EXAMPLES: Dict[str, List[Example]] = {
    "add": [("gnt-node add node4.example.com",
             "Join a node (root SSH access to it is needed):"),
            ("gnt-node add --readd node3.example.com",
             "Re-add a node after reinstalling it:")],
    "list": [("gnt-node list", "The nodes and their resources:"),
             ("gnt-node list --no-headers -o name,pinst_cnt",
              "Names and primary instance counts only:")],
    "modify": [("gnt-node modify --offline=yes node3.example.com",
                "Mark a dead node offline:"),
               ("gnt-node modify -C yes node2.example.com",
                "Make a node a master candidate:")],
    "migrate": [("gnt-node migrate node2.example.com",
                 "Live-migrate the node's primary instances to their"
                 " secondaries:")],
    "failover": [("gnt-node failover -f node2.example.com",
                  "Restart the node's primary instances on their"
                  " secondaries, without asking:")],
    "evacuate": [("gnt-node evacuate -I hail node2.example.com",
                  "Move every instance off the node, new nodes chosen"
                  " by hail:"),
                 ("gnt-node evacuate -s -n node3.example.com"
                  " node2.example.com",
                  "Make node3 the new secondary of node2's secondary"
                  " instances:")],
    "remove": [("gnt-node remove node4.example.com",
                "Remove an empty node from the cluster:")],
    "volumes": [("gnt-node volumes node2.example.com",
                 "The logical volumes on a node:")],
    "info": [("gnt-node info node2.example.com", "The details of a node:")],
    "list-storage": [("gnt-node list-storage -t lvm-pv",
                      "The physical volumes of every node:")],
    "modify-storage": [("gnt-node modify-storage --allocatable=no"
                        " node2.example.com lvm-pv /dev/sdb1",
                        "Keep new volumes off a failing disk:")],
    "repair-storage": [("gnt-node repair-storage node2.example.com lvm-vg"
                        " xenvg", "Drop the missing disks of a volume"
                        " group:")],
    "powercycle": [("gnt-node powercycle --yes node3.example.com",
                    "Hard-reboot a hung node:")],
    "power": [("gnt-node power status", "The power state of every node:"),
              ("gnt-node power -f on node3.example.com",
               "Power a node on:")],
    "health": [("gnt-node health", "The health of every node:")],
    "restricted-command": [("gnt-node restricted-command -g group1"
                            " reset-nic", "Run the reset-nic command of"
                            " /etc/ganeti/restricted-commands on the nodes"
                            " of group1:")],
    "list-drbd": [("gnt-node list-drbd node2.example.com",
                   "The DRBD minors of a node:")],
}
