"""The written parts of the gnt-* man pages: per program a description,
examples of the subcommands (a subcommand without written examples gets
one built from its argument types, see SampleValue), and the sections
common to every page.  The synopses, descriptions and options themselves
come from the command tables (ganeti.tools.manpages)."""

from typing import Dict, List, Optional, Tuple

from ganeti import constants
from ganeti.cli import opts

_SAMPLES = [
    (opts.ArgInstance, "instance1.example.com"),
    (opts.ArgNode, "node2.example.com"),
    (opts.ArgGroup, "group1"),
    (opts.ArgJobId, "17"),
    (opts.ArgOs, "debootstrap"),
    (opts.ArgHost, "node4.example.com"),
    (opts.ArgNetwork, "net1"),
    (opts.ArgFile, "/root/file"),
    (opts.ArgCommand, "uptime"),
]


def SampleValue(arg) -> Optional[str]:
    """A value for an argument in a generated example, or None."""
    if isinstance(arg, opts.ArgSuggest) and arg.choices:
        return arg.choices[0]
    for cls, sample in _SAMPLES:
        if isinstance(arg, cls):
            return sample
    return None


DESCRIPTIONS: Dict[str, List[str]] = {
    "gnt-cluster": [
        "gnt-cluster creates, inspects, changes and destroys the cluster as"
        " a whole: its parameters (hypervisor, back-end, NIC, disk and"
        " instance policy defaults), the master role and its IP address,"
        " the cluster's certificates and keys, verification, the job"
        " queue's drain flag and the watcher's pause.",
        "Except for init, the commands run on the master node; changes are"
        " jobs submitted to the master daemon.",
    ],
    "gnt-node": [
        "gnt-node adds, removes, lists and changes the physical nodes of"
        " the cluster, their roles (master candidate, drained, offline),"
        " their storage, and moves instances off them (migrate, failover,"
        " evacuate).",
    ],
    "gnt-group": [
        "gnt-group manages node groups: sets of nodes sharing parameters"
        " and an instance policy, within which the instances' nodes are"
        " chosen. Every cluster has at least one group (default).",
    ],
    "gnt-network": [
        "gnt-network manages IP networks: an IPv4 subnet (with optional"
        " gateway, IPv6 subnet and MAC prefix) whose address pool hands out"
        " the addresses of instance NICs created with network=NAME,ip=pool."
        " A network is connected to node groups with a NIC mode, link and"
        " VLAN, which the NICs on it inherit.",
    ],
    "gnt-instance": [
        "gnt-instance creates, lists, starts, stops, moves, changes and"
        " removes the virtual machines (instances) of the cluster, and"
        " manages their disks and NICs.",
        "Commands acting on several instances (startup, shutdown, reboot,"
        " reinstall) take instance names, or with --node, --primary,"
        " --secondary, --all, --tags and friends select them otherwise;"
        " acting on more than one instance asks for confirmation unless"
        " --force-multiple is given.",
    ],
    "gnt-job": [
        "gnt-job lists and inspects the jobs of the master's job queue,"
        " waits for them, changes their priority, cancels and archives"
        " them. Every change made by a gnt-* command is a job.",
    ],
    "gnt-os": [
        "gnt-os lists the OS definitions (instance installation scripts)"
        " found on the nodes, checks that they are consistent across nodes"
        " and sets per-OS parameters and flags (hidden, blacklisted).",
    ],
    "gnt-storage": [
        "gnt-storage shows the ExtStorage providers (the scripts behind"
        " the ext disk template) found on the nodes: whether each is valid"
        " on every node and node group, and the parameters it takes.",
    ],
    "gnt-backup": [
        "gnt-backup exports instances to the export directory of a node"
        " (a directory per instance holding config.ini and a dump of"
        " each disk, written by the OS export script) and creates"
        " instances from such exports (the OS import script restores the"
        " disks). The data travels between the nodes through the"
        " import-export daemons over TLS, optionally compressed.",
    ],
    "gnt-debug": [
        "gnt-debug holds commands to test and debug the cluster: test jobs"
        " (delay), iallocator runs, raw opcode submission and lock"
        " inspection. They are meant for administrators and developers.",
    ],
}

Example = Tuple[str, str]
EXAMPLES: Dict[str, Dict[str, List[Example]]] = {
    "gnt-cluster": {
        "init": [("gnt-cluster init --enabled-hypervisors=kvm"
                  " --master-netdev=eth0 cluster.example.com",
                  "Create a KVM cluster whose master IP (the address of"
                  " cluster.example.com) goes on eth0 of this node:")],
        "info": [("gnt-cluster info", "Show the cluster's parameters:")],
        "verify": [("gnt-cluster verify", "Check the whole cluster:"),
                   ("gnt-cluster verify --error-codes -I ENODETIME",
                    "Machine-readable errors, ignoring clock skew:")],
        "modify": [("gnt-cluster modify -H kvm:kernel_path=",
                    "Boot KVM instances from their own disks:"),
                   ("gnt-cluster modify --candidate-pool-size=5",
                    "Keep five master candidates:")],
        "master-failover": [("gnt-cluster master-failover",
                             "Run on a master candidate to make it the"
                             " master:")],
        "queue": [("gnt-cluster queue drain",
                   "Refuse new jobs (e.g. before maintenance):"),
                  ("gnt-cluster queue undrain", "Accept jobs again:")],
        "watcher": [("gnt-cluster watcher pause 1h",
                     "Stop the watcher from restarting anything for an"
                     " hour:"),
                    ("gnt-cluster watcher continue", "Resume it:")],
        "command": [("gnt-cluster command uptime",
                     "Run uptime on every node:")],
        "copyfile": [("gnt-cluster copyfile /etc/hosts",
                      "Copy this node's /etc/hosts to every node:")],
        "renew-crypto": [("gnt-cluster renew-crypto --new-cluster-certificate",
                          "Replace the cluster certificate (the daemons are"
                          " restarted):"),
                         ("gnt-cluster renew-crypto --new-ssh-keys"
                          " --ssh-key-type ecdsa --ssh-key-bits 256",
                          "Give every node a new root SSH key:")],
        "upgrade": [("gnt-cluster upgrade --to 3.1",
                     "Switch every node to the installed version 3.1:"),
                    ("gnt-cluster upgrade --resume",
                     "Finish an interrupted upgrade:")],
        "destroy": [("gnt-cluster destroy --yes-do-it",
                     "Remove the cluster (its instances must be removed"
                     " first):")],
    },
    "gnt-node": {
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
        "evacuate": [("gnt-node evacuate -I hail node2.example.com",
                      "Move every instance off the node, new nodes chosen"
                      " by hail:")],
        "remove": [("gnt-node remove node4.example.com",
                    "Remove an empty node from the cluster:")],
        "volumes": [("gnt-node volumes node2.example.com",
                     "The logical volumes on a node:")],
    },
    "gnt-instance": {
        "add": [("gnt-instance add -t drbd -o debootstrap --disk 0:size=20G"
                 " -B maxmem=2G -n node1.example.com:node2.example.com"
                 " instance1.example.com",
                 "A mirrored instance with one 20 GiB disk on two given"
                 " nodes:"),
                ("gnt-instance add -t plain -o debootstrap -s 10G -I hail"
                 " instance2.example.com",
                 "A plain instance on a node chosen by hail:")],
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
        "modify": [("gnt-instance modify -B maxmem=4G instance1.example.com",
                    "Give an instance more memory (from its next start):"),
                   ("gnt-instance modify --disk add:size=5G"
                    " instance1.example.com", "Add a disk:")],
        "migrate": [("gnt-instance migrate instance1.example.com",
                     "Live-migrate an instance to its secondary node:")],
        "failover": [("gnt-instance failover instance1.example.com",
                      "Restart an instance on its secondary node:")],
        "console": [("gnt-instance console instance1.example.com",
                     "Attach to an instance's serial console:")],
        "grow-disk": [("gnt-instance grow-disk instance1.example.com 0 2G",
                       "Grow the first disk by 2 GiB:")],
        "remove": [("gnt-instance remove instance1.example.com",
                    "Remove an instance and its disks:")],
        "rename": [("gnt-instance rename instance1.example.com"
                    " instance9.example.com", "Rename an instance:")],
    },
    "gnt-group": {
        "add": [("gnt-group add group2", "Create a node group:")],
        "assign-nodes": [("gnt-group assign-nodes group2 node3.example.com",
                          "Move a node into group2:")],
        "rename": [("gnt-group rename group2 rack2", "Rename a group:")],
    },
    "gnt-network": {
        "add": [("gnt-network add --network=10.1.0.0/24 --gateway=10.1.0.1"
                 " lan", "Create a network:")],
        "connect": [("gnt-network connect -N mode=bridged,link=br0 lan"
                     " default", "Connect it to the default group:")],
        "modify": [("gnt-network modify --add-reserved-ips=10.1.0.10 lan",
                    "Keep an address out of the pool:")],
    },
    "gnt-job": {
        "list": [("gnt-job list", "The jobs in the queue:"),
                 ("gnt-job list --running", "Only the running ones:")],
        "watch": [("gnt-job watch 17",
                   "Follow the log messages of job 17 until it ends:")],
        "cancel": [("gnt-job cancel 17", "Cancel a queued job:")],
        "autoarchive": [("gnt-job autoarchive 1d",
                         "Archive finished jobs older than a day:")],
    },
    "gnt-os": {
        "list": [("gnt-os list", "The OS definitions valid on all nodes:")],
        "diagnose": [("gnt-os diagnose",
                      "Where each OS definition was found and why it is"
                      " invalid where it is:")],
        "modify": [("gnt-os modify --hidden=yes debootstrap",
                    "Hide an OS from gnt-os list:")],
    },
    "gnt-storage": {
        "diagnose": [("gnt-storage diagnose",
                      "Each provider's status on every node and group:")],
        "info": [("gnt-storage info sharedfile",
                  "The groups a provider is valid for, its parameters:")],
    },
    "gnt-backup": {
        "export": [("gnt-backup export -n node2.example.com"
                    " instance1.example.com",
                    "Export an instance (stopped during the copy) to"
                    " node2:")],
        "import": [("gnt-backup import -n node3.example.com --src-node"
                    " node2.example.com instance1.example.com",
                    "Re-create the instance from its export on node3:")],
        "list": [("gnt-backup list", "The exports on every node:")],
    },
    "gnt-debug": {
        "delay": [("gnt-debug delay 10",
                   "A job that sleeps 10 s on the master:")],
        "locks": [("gnt-debug locks", "The locks and their owners:")],
    },
}



def _TagExamples(program: str, target: str) -> Dict[str, List[Example]]:
    """The tag commands' examples of a program (target: the object's name
    on the command line, "" for the cluster)."""
    where = (" " + target) if target else ""
    return {
        "add-tags": [("%s add-tags%s web production" % (program, where),
                      "Add two tags:")],
        "list-tags": [("%s list-tags%s" % (program, where),
                       "List the tags:")],
        "remove-tags": [("%s remove-tags%s production" % (program, where),
                         "Remove a tag:")],
    }


for _program, _target in (("gnt-cluster", ""),
                          ("gnt-node", "node2.example.com"),
                          ("gnt-group", "group1"),
                          ("gnt-instance", "instance1.example.com"),
                          ("gnt-network", "lan")):
    for _name, _examples in _TagExamples(_program, _target).items():
        EXAMPLES[_program].setdefault(_name, _examples)
EXAMPLES["gnt-cluster"]["search-tags"] = [
    ("gnt-cluster search-tags ^prod",
     "Every object with a tag matching the regular expression ^prod:")]
EXAMPLES["gnt-debug"].update({
    "iallocator": [("gnt-debug iallocator --mode=allocate -t drbd --mem=512"
                    " --disks=1024 --nics=1 -I hail instance9.example.com",
                    "Ask hail where a new instance would go, without"
                    " creating it:")],
    "wconfd": [("gnt-debug wconfd echo hello",
                "Check that the configuration daemon answers:"),
               ("gnt-debug wconfd listlocks 17",
                "The locks job 17 holds:")],
    "metad": [("gnt-debug metad echo hello",
               "Check that the metadata daemon answers:")],
})

COMMON_SECTIONS = [
    ("COMMON OPTIONS", [
        "--submit: submit the job and print its id instead of waiting for"
        " it (follow it with gnt-job watch); --print-jobid: print the job"
        " id of a job waited for; --dry-run: check the request without"
        " doing it; --priority low|normal|high: the job's priority"
        " (default normal); -f/--force: do not ask for confirmation.",
        "List commands: -o FIELDS (a comma-separated field list, or"
        " +FIELDS to add to the default ones), --no-headers, --separator"
        " SEP (instead of aligned columns), --units h|m|g|t (sizes), -v"
        " (verbose). list-fields shows the available fields.",
    ]),
    ("EXIT STATUS", [
        "0 on success; 1 on failure, with a one-line error on stderr;"
        " %d when a confirmation was refused; %d for an unknown field name"
        " in a list command. A missing or unknown"
        " command or wrong arguments exit with 1 after the usage, an"
        " unknown option with 2."
        % (constants.EXIT_CONFIRMATION, constants.EXIT_UNKNOWN_FIELD),
    ]),
    ("FILES", [
        "/var/lib/ganeti/config.data: the cluster configuration (master"
        " candidates); /var/lib/ganeti/queue/: the job queue;"
        " /var/log/ganeti/commands.log: every gnt-* command run;"
        " /var/run/ganeti/socket/ganeti-master: the master daemon's"
        " socket.",
    ]),
]

# What some subcommands do, beyond their one-line description.
DETAILS: Dict[str, Dict[str, List[str]]] = {
    "gnt-cluster": {
        "init": [
            "Run on the node that becomes the first master. It creates the"
            " cluster configuration, certificates and keys, starts the node"
            " daemons and the master daemon here and brings up the master"
            " IP address (the address the cluster name resolves to) on the"
            " master network device. Further nodes join with gnt-node"
            " add.",
        ],
        "verify": [
            "Checks the configuration, every node (daemons, versions,"
            " clocks, storage, hypervisors, OS definitions, files that must"
            " be identical) and every instance (placement, disks, running"
            " state), and reports each problem with its error code. The"
            " exit code is 1 when an error (not a warning) was found.",
        ],
        "master-failover": [
            "Run on a master candidate: the old master's daemons are"
            " stopped and its master IP removed if it is reachable, and"
            " this node starts the master daemons. The other nodes vote on"
            " who holds the most recent configuration; without a majority"
            " the command refuses unless --no-voting is given.",
        ],
        "modify": [
            "Changes the cluster-wide defaults: hypervisor (-H), back-end"
            " (-B), NIC (-N), disk (-D) and node (--node-parameters)"
            " parameters, the enabled hypervisors and disk templates, the"
            " instance policy and the candidate pool size. Instances and"
            " nodes without their own value of a parameter get the new"
            " default.",
        ],
        "renew-crypto": [
            "Replaces certificates and keys (cluster and node certificates,"
            " the RAPI certificate, the confd HMAC key, the cluster domain"
            " secret) on every node. The daemons are stopped while files are"
            " replaced and started again afterwards. --new-ssh-keys gives"
            " every node a new root SSH key pair (of --ssh-key-type and"
            " --ssh-key-bits, by default the cluster's) without losing"
            " access: the new keys are authorized everywhere before the old"
            " ones are removed.",
        ],
        "upgrade": [
            "Switches the whole cluster to another installed version"
            " ($prefix/share/ganeti/VERSION on every node): drains the job"
            " queue, pauses the watcher, waits for running jobs, stops the"
            " daemons, converts the configuration with cfgupgrade (a copy"
            " of config.data is kept), points the share/ganeti/default link"
            " of every node at VERSION and starts the daemons again. Only"
            " upgrades within a major version and downgrades to the previous"
            " minor version (3.0 to 2.16) are possible. The intent is kept"
            " in /var/lib/ganeti/intent-to-upgrade until the end; --resume"
            " runs the steps again after an interruption.",
        ],
        "destroy": [
            "Stops the master role and removes the cluster's state from the"
            " master node. The cluster must have no instances and no other"
            " nodes.",
        ],
        "watcher": [
            "pause DURATION stops the watcher (the cron job restarting"
            " daemons and instances) until the time given; continue lifts"
            " the pause; info shows it.",
        ],
        "queue": [
            "drain makes the master refuse new jobs (running and queued"
            " ones go on), undrain accepts them again, info shows the"
            " state.",
        ],
    },
    "gnt-node": {
        "add": [
            "Connects to the new node over SSH as root, copies the cluster's"
            " certificates and keys to it and starts its node daemon; the"
            " node then receives the configuration files. With --readd a"
            " node already in the configuration (e.g. after a reinstall)"
            " joins again with its old settings.",
        ],
        "remove": [
            "The node must hold no instances (move them with gnt-node"
            " evacuate or migrate first). It is told to leave the cluster"
            " and forgets it; a node that is down keeps its state, which"
            " $libdir/ganeti/tools/node-cleanup removes later.",
        ],
        "modify": [
            "Changes a node's role (--master-candidate, --drained,"
            " --offline; at most one can be yes), its secondary IP, its"
            " capabilities (--master-capable, --vm-capable) and its node"
            " parameters. Setting a node offline makes the cluster stop"
            " contacting it.",
        ],
        "evacuate": [
            "Moves the instances off a node: primary instances (-p),"
            " secondary ones (-s) or both; new nodes are given with -n or"
            " chosen by an iallocator (-I).",
        ],
    },
    "gnt-instance": {
        "add": [
            "Creates the instance's disks with the disk template given"
            " (-t), installs the OS definition (-o) on them unless"
            " --no-install, and starts the instance unless --no-start. The"
            " nodes are given with -n PRIMARY[:SECONDARY] or chosen by an"
            " iallocator (-I, or the cluster's default). The name must"
            " resolve unless --no-name-check.",
        ],
        "remove": [
            "Shuts the instance down and removes it and its disks from all"
            " its nodes. --ignore-failures removes it from the"
            " configuration even if its disks cannot be removed.",
        ],
        "shutdown": [
            "The hypervisor asks the instance to power off and stops it"
            " after --timeout seconds. The instance is marked down, so the"
            " watcher does not restart it (unless --no-remember).",
        ],
        "migrate": [
            "Moves a running instance to its secondary node (mirrored disk"
            " templates) or to the node given with -n (shared storage),"
            " live unless --non-live. --cleanup repairs the state after a"
            " migration that failed half-way.",
        ],
        "failover": [
            "Stops the instance, activates its disks on the secondary node"
            " (or the node given for shared storage) and starts it there if"
            " it was running. Works when the primary node is down"
            " (--ignore-consistency).",
        ],
        "modify": [
            "Changes hypervisor (-H), back-end (-B) and OS (-O) parameters"
            " and adds, changes or removes NICs (--net) and disks (--disk)."
            " Most changes take effect at the next start of the instance.",
        ],
    },
    "gnt-job": {
        "cancel": [
            "A queued or waiting job is cancelled at once; a running job"
            " only with --kill (its process is killed and its locks"
            " freed).",
        ],
        "archive": [
            "Moves finished jobs to the archive (queue/archive/), where"
            " ganeti-cleaner removes them after 21 days.",
        ],
    },
}
