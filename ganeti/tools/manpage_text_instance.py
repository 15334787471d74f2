"""The written parts of gnt-instance(8): what each subcommand does, beyond
its one-line description, and examples."""

from typing import Dict, List, Tuple

_SELECTION = (
    "Instances are selected by name, or with --node, --primary,"
    " --secondary, --all, --tags, --node-tags, --pri-node-tags or"
    " --sec-node-tags; acting on more than one instance asks for"
    " confirmation unless --force-multiple is given.")

DETAILS: Dict[str, List[str]] = {
    "add": [
        "Creates the instance's disks with the disk template given"
        " (-t), installs the OS definition (-o) on them unless"
        " --no-install, and starts the instance unless --no-start. The"
        " nodes are given with -n PRIMARY[:SECONDARY] or chosen by an"
        " iallocator (-I, or the cluster's default). The name must"
        " resolve unless --no-name-check.",
        "Disks are given with --disk (one per disk) or -s for a single"
        " disk, NICs with --net (one NIC with default parameters without"
        " it). The command refuses a name already in use, an address that"
        " answers (unless --no-ip-check), a disk template or hypervisor not"
        " enabled, an OS not valid on the nodes and an instance that does"
        " not fit the nodes' free memory and disk or the instance policy"
        " (unless --ignore-ipolicy).",
    ],
    "batch-create": [
        "Reads a JSON file holding a list of instance specifications, each"
        " an object with the parameters of an instance creation"
        " (instance_name, disk_template, disks, nics, os_type, beparams,"
        " hvparams, pnode/snode or iallocator, ...), and submits them as one"
        " multi-allocation, which places all instances at once and then"
        " creates them in one job each.",
        "A file that is not such a list, or a specification with unknown"
        " parameters, is refused before anything is submitted. The command"
        " ends with \"All instances created successfully.\" or the number"
        " of errors.",
    ],
    "remove": [
        "Shuts the instance down and removes it and its disks from all"
        " its nodes. --ignore-failures removes it from the"
        " configuration even if its disks cannot be removed.",
        "The data on the disks is lost; the command asks for confirmation"
        " unless -f is given.",
    ],
    "rename": [
        "Renames the instance in the configuration and on its nodes (disk"
        " files and the OS's rename script). The instance must be stopped."
        " The new name must resolve and its address must not answer,"
        " unless --no-name-check and --no-ip-check are given.",
    ],
    "startup": [
        "Starts the instances on their primary nodes, activating their"
        " disks first, and marks them as up, so the watcher restarts them"
        " if they stop. Hypervisor (-H) and back-end (-B) parameters given"
        " here apply to this start only.",
        _SELECTION + " An instance that does not fit its node's free"
        " memory is refused; --ignore-offline marks an instance whose node"
        " is offline as up without starting it.",
    ],
    "shutdown": [
        "The hypervisor asks the instance to power off and stops it"
        " after --timeout seconds. The instance is marked down, so the"
        " watcher does not restart it (unless --no-remember).",
        _SELECTION,
    ],
    "reboot": [
        "Reboots the instances: soft (the guest is asked to reboot), hard"
        " (the hypervisor restarts it, the default) or full (it is shut down"
        " and started again, its disks re-activated), chosen with -t. A"
        " stopped instance is refused.",
        _SELECTION,
    ],
    "reinstall": [
        "Runs the OS definition's create script again on a stopped"
        " instance, overwriting the data on its disks; -o changes the OS"
        " first and -O its OS parameters. The instance stays stopped"
        " afterwards.",
        "The command asks for confirmation unless -f is given; a running"
        " instance is refused.",
    ],
    "info": [
        "Shows, for each instance given (or all with --all), its"
        " configuration (nodes, OS, disk template, hypervisor, back-end"
        " and OS parameters, NICs and disks) and, unless -s, its live state"
        " from the nodes: whether it runs and the state of each disk."
        " Nothing is changed.",
    ],
    "list": [
        "Prints one line per instance (all, or those given) with the"
        " fields chosen with -o; the default fields are the name,"
        " hypervisor, OS, primary node, status and memory in use. The"
        " status is running, ADMIN_down, ERROR_down (configured up but not"
        " running), ERROR_up (running but configured down),"
        " ERROR_nodedown, ERROR_nodeoffline, ADMIN_offline or"
        " USER_down.",
    ],
    "modify": [
        "Changes hypervisor (-H), back-end (-B) and OS (-O) parameters"
        " and adds, changes or removes NICs (--net) and disks (--disk)."
        " Most changes take effect at the next start of the instance.",
        "--disk and --net take add[:PARAMS], ID:remove or ID:PARAMS (ID: an"
        " index or a name). -t converts the"
        " disk template (plain to drbd needs -n for the new secondary)."
        " --offline and --online mark a stopped instance offline and back."
        " A change that would not fit the instance policy is refused unless"
        " --ignore-ipolicy.",
    ],
    "migrate": [
        "Moves a running instance to its secondary node (mirrored disk"
        " templates) or to the node given with -n (shared storage),"
        " live unless --non-live. --cleanup repairs the state after a"
        " migration that failed half-way.",
        "A stopped instance is refused unless --allow-failover, which"
        " fails it over instead. The command asks for confirmation unless"
        " -f is given.",
    ],
    "failover": [
        "Stops the instance, activates its disks on the secondary node"
        " (or the node given for shared storage) and starts it there if"
        " it was running. Works when the primary node is down"
        " (--ignore-consistency).",
        "The instance is down during the failover. The command asks for"
        " confirmation unless -f is given.",
    ],
    "move": [
        "Copies a stopped or running instance with non-mirrored disks"
        " (plain, file) to another node: the instance is shut down, its"
        " disks are copied over the network to new disks on the target"
        " node, and it is started there if it was running. The old disks"
        " are removed afterwards.",
        "The command asks for confirmation unless -f is given.",
    ],
    "console": [
        "Connects to the instance's console (serial console or VNC"
        " information, depending on the hypervisor) through SSH to its"
        " primary node. --show-cmd prints the command instead of running"
        " it. A stopped instance is refused.",
    ],
    "activate-disks": [
        "Assembles the instance's disks on its nodes (for drbd: both"
        " nodes, the primary in the primary role) and prints for each disk"
        " the node, the disk's name and its device path. The instance"
        " itself is not started, so its disks can be accessed from the"
        " node.",
    ],
    "deactivate-disks": [
        "Shuts down the block devices of a stopped instance on all its"
        " nodes. A running instance is refused unless -f is given, which"
        " also ignores errors from nodes that are down.",
    ],
    "recreate-disks": [
        "Creates the instance's disks again, empty, on their nodes or on"
        " the nodes given with -n (or chosen by -I); --disk INDEX[:size=SIZE]"
        " limits it to some disks and can change their size. Use it after"
        " disks were lost, then reinstall the instance. The instance must"
        " be stopped.",
    ],
    "change-group": [
        "Moves an instance to another node group: an iallocator (-I, or the"
        " cluster's default) chooses new nodes in one of the groups given"
        " with --to (any other group without it) and the instance is moved"
        " there, by changing its secondary and migrating or failing it over"
        " as needed. Each step is a job; the command waits for them and"
        " reports the errors.",
    ],
    "grow-disk": [
        "Grows a disk of the instance by the amount given (or to the size"
        " given with --absolute), on every node it lives on, then waits for"
        " a mirrored disk to resynchronise unless --no-wait-for-sync. The"
        " file system inside the disk is not changed: grow it from the"
        " guest.",
        "The node must have the free space; shrinking is refused.",
    ],
    "replace-disks": [
        "Replaces the local storage under the DRBD disks of an instance:"
        " with -p or -s new volumes are made on the primary or the"
        " secondary node, the mirror is attached to them and resynchronised"
        " from the other node, and the old volumes (renamed"
        " <name>_replaced-<time>) are removed. With -n NODE or -I ALLOCATOR"
        " the secondary moves to another node, which gets new volumes and"
        " new DRBD minors; the old secondary's volumes are removed. -a"
        " replaces only where disks are found faulty.",
        "Exactly one of -p, -s, -a, -n and -I must be given; the command is"
        " refused for instances whose disks are not DRBD, and a new"
        " secondary may not be the primary node. --early-release removes"
        " the old storage before the sync ends, releasing its locks"
        " sooner.",
    ],
}

Example = Tuple[str, str]
EXAMPLES: Dict[str, List[Example]] = {
    "add": [("gnt-instance add -t drbd -o debootstrap --disk 0:size=20G"
             " -B maxmem=2G -n node1.example.com:node2.example.com"
             " instance1.example.com",
             "A mirrored instance with one 20 GiB disk on two given"
             " nodes:"),
            ("gnt-instance add -t plain -o debootstrap -s 10G -I hail"
             " instance2.example.com",
             "A plain instance on a node chosen by hail:")],
    "batch-create": [("gnt-instance batch-create /root/instances.json",
                      "Create the instances described in a file:")],
    "list": [("gnt-instance list", "The instances and their state:"),
             ("gnt-instance list -o +nic.ip/0,be/maxmem",
              "The default fields plus the first NIC's IP and the"
              " maximum memory:")],
    "info": [("gnt-instance info instance1.example.com",
              "Configuration and live state of an instance:")],
    "startup": [("gnt-instance startup instance1.example.com",
                 "Start an instance:"),
                ("gnt-instance startup --node node2.example.com"
                 " --force-multiple",
                 "Start every instance of a node, without asking:")],
    "shutdown": [("gnt-instance shutdown --timeout=60"
                  " instance1.example.com",
                  "Ask the instance to power off, forcing it after"
                  " 60 s:")],
    "reboot": [("gnt-instance reboot -t soft instance1.example.com",
                "Ask the guest to reboot itself:")],
    "reinstall": [("gnt-instance reinstall -o debootstrap+default -f"
                   " instance1.example.com",
                   "Reinstall a stopped instance with another OS"
                   " variant:")],
    "modify": [("gnt-instance modify -B maxmem=4G instance1.example.com",
                "Give an instance more memory (from its next start):"),
               ("gnt-instance modify --disk add:size=5G"
                " instance1.example.com", "Add a disk:")],
    "migrate": [("gnt-instance migrate instance1.example.com",
                 "Live-migrate an instance to its secondary node:")],
    "failover": [("gnt-instance failover instance1.example.com",
                  "Restart an instance on its secondary node:")],
    "move": [("gnt-instance move -n node3.example.com"
              " instance1.example.com",
              "Copy a plain instance to another node:")],
    "console": [("gnt-instance console instance1.example.com",
                 "Attach to an instance's serial console:")],
    "activate-disks": [("gnt-instance activate-disks instance1.example.com",
                        "Make a stopped instance's disks accessible:")],
    "deactivate-disks": [("gnt-instance deactivate-disks"
                          " instance1.example.com",
                          "Shut its disks down again:")],
    "recreate-disks": [("gnt-instance recreate-disks instance1.example.com",
                        "Recreate lost disks in place:")],
    "change-group": [("gnt-instance change-group --to group2"
                      " instance1.example.com",
                      "Move an instance into group2:")],
    "grow-disk": [("gnt-instance grow-disk instance1.example.com 0 2G",
                   "Grow the first disk by 2 GiB:")],
    "replace-disks": [("gnt-instance replace-disks -n node3.example.com"
                       " instance1.example.com",
                       "Move the mirror's secondary to node3:"),
                      ("gnt-instance replace-disks -s instance1.example.com",
                       "New volumes on the secondary node:")],
    "remove": [("gnt-instance remove instance1.example.com",
                "Remove an instance and its disks:")],
    "rename": [("gnt-instance rename instance1.example.com"
                " instance9.example.com", "Rename an instance:")],
}
