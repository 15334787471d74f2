"""The written parts of gnt-cluster(8): what each subcommand does, beyond
its one-line description, and examples."""

from typing import Dict, List, Tuple

DETAILS: Dict[str, List[str]] = {
    "init": [
        "Run on the node that becomes the first master. It creates the"
        " cluster configuration, certificates and keys, starts the node"
        " daemons and the master daemon here and brings up the master"
        " IP address (the address the cluster name resolves to) on the"
        " master network device. Further nodes join with gnt-node"
        " add.",
        "The options set the cluster-wide defaults that gnt-cluster modify"
        " changes later: enabled hypervisors and disk templates, hypervisor,"
        " back-end, NIC, disk and node parameters and the instance policy."
        " The command refuses to run on a node that already belongs to a"
        " cluster, when the name does not resolve, or when the master IP"
        " answers already.",
    ],
    "destroy": [
        "Stops the master role and removes the cluster's state from the"
        " master node. The cluster must have no instances and no other"
        " nodes.",
        "The configuration, the job queue, the certificates and the keys"
        " are removed and the daemons are stopped. This cannot be undone,"
        " so the command refuses to do anything without --yes-do-it.",
    ],
    "rename": [
        "Changes the name of the cluster; the new name must resolve, and"
        " its address becomes the master IP, which is moved at once. The"
        " new name is written to the configuration and the ssconf files of"
        " every node.",
        "A new address that already answers on the network is refused, and"
        " so is a rename that changes neither the name nor the address. If"
        " you are logged in through the old master IP, the connection may"
        " break, so the command asks for confirmation unless -f is given.",
    ],
    "redist-conf": [
        "Copies the configuration to the master candidates and the ssconf"
        " files and other cluster files (certificates, hosts files, RAPI"
        " users) to every node again. Use it after a node missed updates,"
        " e.g. because it was offline; normally every change is distributed"
        " by itself.",
    ],
    "verify": [
        "Checks the configuration, every node (daemons, versions,"
        " clocks, storage, hypervisors, OS definitions, files that must"
        " be identical) and every instance (placement, disks, running"
        " state), and reports each problem with its error code. The"
        " exit code is 1 when an error (not a warning) was found.",
        "The check runs as one job per node group; -g limits it to one"
        " group. Nothing is changed. --error-codes prints each problem as"
        " ftype:ecode:edomain:name:message for scripts, and -I ECODE"
        " turns the errors of that code into warnings.",
    ],
    "verify-disks": [
        "Finds the instances whose disks are not active although they should"
        " be, or whose mirrors are degraded, and activates their disks."
        " Nodes that cannot be queried are reported first; their instances"
        " are left alone.",
        "It runs one job per node group (-g limits it to one group) and"
        " prints each instance it activates and each one it could not"
        " repair.",
    ],
    "master-failover": [
        "Run on a master candidate: the old master's daemons are"
        " stopped and its master IP removed if it is reachable, and"
        " this node starts the master daemons. The other nodes vote on"
        " who holds the most recent configuration; without a majority"
        " the command refuses unless --no-voting is given.",
        "--no-voting is for the case where most nodes are down: this"
        " node's configuration is taken as it is, which loses changes the"
        " old master made after its last copy reached this node.",
    ],
    "master-ping": [
        "Exits 0 if the master daemon answers a query and 1 otherwise,"
        " printing nothing. Use it in scripts and monitoring.",
    ],
    "version": [
        "Prints the software version of the master and the versions of the"
        " interfaces it speaks: the internode protocol, the configuration"
        " format, the OS API and the export format. All nodes of a cluster"
        " must run the same version.",
    ],
    "getmaster": [
        "Prints the name of the master node, as known to this node (from"
        " its ssconf files). It works on any node of the cluster, also when"
        " the master is down.",
    ],
    "copyfile": [
        "Copies a file of this node to the same path on every other online"
        " node (or the nodes given with -n, or those of a group with -g),"
        " over SSH. A failed copy is reported per node and does not stop"
        " the copies to the other nodes; --use-replication-network copies"
        " over the nodes' secondary addresses.",
    ],
    "command": [
        "Runs a shell command as root over SSH on every online node (or the"
        " nodes given with -n, or those of a group with -g), the master"
        " last, and prints each node's output and exit code. The command"
        " is given as the remaining arguments; quote it to keep shell"
        " characters from the local shell.",
    ],
    "info": [
        "Shows the cluster's name, master, versions, creation time, the"
        " enabled hypervisors and disk templates, and the defaults of every"
        " parameter group (hypervisor, back-end, NIC, disk, node, OS"
        " parameters and the instance policy). Nothing is changed.",
    ],
    "queue": [
        "drain makes the master refuse new jobs (running and queued"
        " ones go on), undrain accepts them again, info shows the"
        " state.",
        "Drain the queue before maintenance of the master so that no new"
        " work starts; the flag survives a restart of the master daemon.",
    ],
    "watcher": [
        "pause DURATION stops the watcher (the cron job restarting"
        " daemons and instances) until the time given; continue lifts"
        " the pause; info shows it.",
        "The duration is a number of seconds or a number with a unit (s, m,"
        " h, d, w). The pause is written to every node, so the watchers of"
        " all nodes honour it.",
    ],
    "modify": [
        "Changes the cluster-wide defaults: hypervisor (-H), back-end"
        " (-B), NIC (-N), disk (-D) and node (--node-parameters)"
        " parameters, the enabled hypervisors and disk templates, the"
        " instance policy and the candidate pool size. Instances and"
        " nodes without their own value of a parameter get the new"
        " default.",
        "An unknown hypervisor, disk template or parameter, or a value"
        " that is not valid, makes the command refuse the whole change."
        " Changes to running instances' parameters take effect at their"
        " next start; check the result with gnt-cluster verify.",
    ],
    "renew-crypto": [
        "Replaces certificates and keys (cluster and node certificates,"
        " the RAPI certificate, the confd HMAC key, the cluster domain"
        " secret) on every node. The daemons are stopped while files are"
        " replaced and started again afterwards.",
        "Give at least one of the options creating new keys, or a file with"
        " --rapi-certificate"
        " or --cluster-domain-secret. The command asks for confirmation"
        " unless -f is given, since running jobs are interrupted.",
        "--new-ssh-keys gives every node a new root SSH key pair (of"
        " --ssh-key-type and --ssh-key-bits, by default the cluster's)"
        " without losing access: the new keys are authorized everywhere"
        " before the old ones are removed.",
    ],
    "epo": [
        "Emergency power-off: shuts down the instances on the nodes given"
        " (or the nodes of the groups given with --groups, or every node with"
        " --all) without recording it, so that they come back later, then"
        " powers the nodes off through their out-of-band helpers. Nodes"
        " without an out-of-band helper are listed, to be powered off by"
        " hand.",
        "--on reverses it: powers the nodes on, waits until their node"
        " daemons answer and starts the instances whose nodes are all up"
        " again. The master node is only powered off with --all (otherwise"
        " fail over to a node outside the power-off first), and the"
        " command asks for confirmation unless -f is given.",
    ],
    "repair-disk-sizes": [
        "Compares the sizes of the disks recorded in the configuration with"
        " the sizes of the block devices on the nodes, for the instances"
        " given (all without arguments), and corrects the configuration"
        " where they differ. Use it after disks were resized outside"
        " Ganeti; the disks themselves are not changed.",
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
    "activate-master-ip": [
        "Brings the master IP address up on the master network device of"
        " the master node, e.g. after deactivate-master-ip. Nothing happens"
        " if it is up already.",
    ],
    "deactivate-master-ip": [
        "Removes the master IP address from the master node; connections"
        " through it break and the master is then only reachable at its"
        " own address. The command asks for confirmation unless --yes is"
        " given.",
    ],
    "show-ispecs-cmd": [
        "Prints a gnt-cluster init command line whose instance policy"
        " options reproduce the current policy. Use it to document the"
        " policy or to set up another cluster the same way.",
    ],
    "search-tags": [
        "Searches the tags of the cluster, its nodes, node groups,"
        " instances and networks for a regular expression and prints each"
        " match as the object's path and the tag (e.g."
        " /instances/instance1.example.com web). The search is read-only"
        " and prints nothing when no tag matches.",
    ],
}

Example = Tuple[str, str]
EXAMPLES: Dict[str, List[Example]] = {
    "init": [("gnt-cluster init --enabled-hypervisors=kvm"
              " --master-netdev=eth0 cluster.example.com",
              "Create a KVM cluster whose master IP (the address of"
              " cluster.example.com) goes on eth0 of this node:")],
    "info": [("gnt-cluster info", "Show the cluster's parameters:")],
    "verify": [("gnt-cluster verify", "Check the whole cluster:"),
               ("gnt-cluster verify --error-codes -I ENODETIME",
                "Machine-readable errors, ignoring clock skew:")],
    "verify-disks": [("gnt-cluster verify-disks",
                      "Activate the disks that should be active:")],
    "modify": [("gnt-cluster modify -H kvm:kernel_path=",
                "Boot KVM instances from their own disks:"),
               ("gnt-cluster modify --candidate-pool-size=5",
                "Keep five master candidates:")],
    "master-failover": [("gnt-cluster master-failover",
                         "Run on a master candidate to make it the"
                         " master:")],
    "master-ping": [("gnt-cluster master-ping",
                     "Check that the master daemon answers:")],
    "queue": [("gnt-cluster queue drain",
               "Refuse new jobs (e.g. before maintenance):"),
              ("gnt-cluster queue undrain", "Accept jobs again:")],
    "watcher": [("gnt-cluster watcher pause 1h",
                 "Stop the watcher from restarting anything for an"
                 " hour:"),
                ("gnt-cluster watcher continue", "Resume it:")],
    "command": [("gnt-cluster command uptime",
                 "Run uptime on every node:"),
                ("gnt-cluster command -M -g group1 'df -h /'",
                 "Free space of the root file system on the nodes of"
                 " group1, each line prefixed with its node:")],
    "copyfile": [("gnt-cluster copyfile /etc/hosts",
                  "Copy this node's /etc/hosts to every node:")],
    "renew-crypto": [("gnt-cluster renew-crypto --new-cluster-certificate",
                      "Replace the cluster certificate (the daemons are"
                      " restarted):"),
                     ("gnt-cluster renew-crypto --new-ssh-keys"
                      " --ssh-key-type ecdsa --ssh-key-bits 256",
                      "Give every node a new root SSH key:")],
    "epo": [("gnt-cluster epo --groups -f group2",
             "Power off every node of group2 without asking:"),
            ("gnt-cluster epo --on --groups group2",
             "Power them on again and restart their instances:")],
    "repair-disk-sizes": [("gnt-cluster repair-disk-sizes",
                           "Fix the recorded sizes of every instance's"
                           " disks:")],
    "upgrade": [("gnt-cluster upgrade --to 3.1",
                 "Switch every node to the installed version 3.1:"),
                ("gnt-cluster upgrade --resume",
                 "Finish an interrupted upgrade:")],
    "destroy": [("gnt-cluster destroy --yes-do-it",
                 "Remove the cluster (its instances must be removed"
                 " first):")],
    "rename": [("gnt-cluster rename cluster2.example.com",
                "Rename the cluster (the master IP changes to the new"
                " name's address):")],
    "redist-conf": [("gnt-cluster redist-conf",
                     "Push the configuration files to every node again:")],
    "version": [("gnt-cluster version", "The versions:")],
    "getmaster": [("gnt-cluster getmaster", "Which node is the master:")],
    "activate-master-ip": [("gnt-cluster activate-master-ip",
                            "Bring the master IP up again:")],
    "deactivate-master-ip": [("gnt-cluster deactivate-master-ip --yes",
                              "Take the master IP down without asking:")],
    "show-ispecs-cmd": [("gnt-cluster show-ispecs-cmd",
                         "The command line reproducing the policy:")],
    "search-tags": [("gnt-cluster search-tags ^prod",
                     "Every object with a tag matching the regular"
                     " expression ^prod:")],
}
