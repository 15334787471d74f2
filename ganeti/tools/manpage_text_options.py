"""What the options of the gnt-* commands mean, beyond their --help line:
the value's format, what happens without the option, and its effect.

The man pages (ganeti.tools.manpages) append a note to the option's help
text.  A note is looked up as "PROGRAM COMMAND FLAG", then "PROGRAM FLAG",
then FLAG (FLAG: the option's first long name, else its short one), so a
flag meaning different things in different commands gets its own note."""

from typing import Dict, Optional

_KEYVAL = (" The value is a comma-separated list of KEY=VALUE pairs; a"
           " key prefixed with no_ sets a boolean to false, one prefixed"
           " with - resets it to its default.")
_IDENTKEYVAL = (" The value is NAME:KEY=VALUE,KEY=VALUE,...; the option can"
                " be given once per NAME.")
_FILTER = (" The selection options exclude each other (the last one given"
           " counts); without any, the arguments are instance names.")

NOTES: Dict[str, str] = {
    # job submission, common to most commands
    "--submit": "The command prints \"JobID: N\" and exits at once instead"
    " of waiting for the job; follow the job with gnt-job watch N.",
    "--print-jobid": "Prints the id of the job on standard output; the"
    " command still waits for the job unless --submit is given too.",
    "--priority": "low, normal or high; jobs of a higher priority are run"
    " first when several wait for the same locks. Default: normal.",
    "--dry-run": "Nothing is changed: the job only runs its checks and"
    " reports whether the operation would be possible.",
    "--force": "Without it the command asks for confirmation (or refuses)"
    " before an operation that is destructive or unusual.",
    "--yes": "Needed when standard input is not a terminal.",
    "--from": "The file holds one tag per line; these tags are added to"
    " (or removed with) the ones on the command line.",
    "--verbose": "Shows more detail (repeat for even more, where"
    " supported).",
    # list commands
    "--no-headers": "Prints the values only, without the title line.",
    "--separator": "Without it the columns are aligned with spaces; with it"
    " sizes, where there are any, are given in MiB unless --units says"
    " otherwise.",
    "--units": "h: human-readable (default without --separator), m: MiB"
    " (default with --separator), g: GiB, t: TiB.",
    "--output": "The fields are listed by the list-fields command; a list"
    " starting with + is added to the default fields.",
    "--filter": "The arguments form one query filter expression (e.g."
    " 'pinst_cnt > 0 and not offline') instead of a list of names.",
    # parameters
    "--backend-parameters": "The keys, which do not depend on the"
    " hypervisor, are maxmem and minmem (e.g. 2G), vcpus, auto_balance,"
    " always_failover and spindle_use." + _KEYVAL,
    "--nic-parameters": "The keys are mode (bridged, routed,"
    " openvswitch), link (the bridge, routing table or switch) and vlan."
    + _KEYVAL,
    "--node-parameters": "The keys are oob_program, spindle_count,"
    " exclusive_storage, ovs, ovs_name, ovs_link, ssh_port and cpu_speed."
    + _KEYVAL,
    "--disk-parameters": "Per disk template parameters, e.g."
    " drbd:resync-rate=1024 or plain:stripes=2." + _IDENTKEYVAL,
    "--hypervisor-state": "The resources of a hypervisor the cluster may"
    " not use itself (e.g. kvm:mem_node=1024)." + _IDENTKEYVAL,
    "--disk-state": "The resources of a storage unit the cluster may not"
    " use itself (e.g. plain:xenvg:disk_reserved=10240)." + _IDENTKEYVAL,
    "--os-parameters": "Parameters passed to the OS scripts in their"
    " environment as OSP_NAME." + _KEYVAL,
    "--os-parameters-private": "Like -O, but the values are kept out of"
    " logs and job results.",
    "--os-parameters-secret": "Like -O, but the values are neither logged"
    " nor stored in the configuration: they are only given to the OS"
    " scripts of this one operation.",
    "--ipolicy-std-specs": "The standard instance specification used by"
    " the allocators, as KEY=VALUE pairs with the keys memory-size,"
    " disk-size, cpu-count, disk-count, nic-count and spindle-use (e.g."
    " memory-size=1024,cpu-count=1).",
    "--ipolicy-bounds-specs": "min:KEY=VALUE,...//max:KEY=VALUE,... with the"
    " keys of --ipolicy-std-specs; several min/max pairs are separated by"
    " //. Instances outside all bounds violate the policy.",
    "--ipolicy-disk-templates": "The disk templates instances may use, a"
    " comma-separated list.",
    "--ipolicy-vcpu-ratio": "Instance VCPUs per physical CPU a node may"
    " carry (a float; \"default\" resets it).",
    "--ipolicy-spindle-ratio": "Instance spindles per physical spindle a"
    " node may carry (a float; \"default\" resets it).",
    "--hypervisor-parameters": "The KVM parameters are e.g. kernel_path,"
    " boot_order, vnc_bind_address, serial_console and"
    " migration_downtime; the option can be given once per hypervisor.",
    "--enabled-hypervisors": "The first one is the default hypervisor of"
    " new instances (kvm, xen-pvm, xen-hvm, lxc, fake, chroot).",
    "--enabled-disk-templates": "The first one is the default disk template"
    " of new instances (plain, drbd, file, sharedfile, blockdev, rbd, ext,"
    " gluster, diskless).",
    "--candidate-pool-size": "The number of master candidates the cluster"
    " keeps (promoting nodes as needed); candidates hold copies of the"
    " configuration and the job queue.",
    "--mac-prefix": "Three bytes, e.g. aa:00:00; new NICs get MAC addresses"
    " starting with it.",
    "--master-netdev": "The network device the master IP address is"
    " brought up on.",
    "--master-netmask": "The prefix length of the master IP address, e.g."
    " 24.",
    "--vg-name": "The LVM volume group of plain and drbd disks; an empty"
    " value disables LVM storage.",
    "--maintain-node-health": "yes makes the watcher of an offline node"
    " shut down the instances and DRBD devices still running there.",
    "--uid-pool": "User ids handed to instances whose hypervisor runs them"
    " as separate users, e.g. 1000-1999,2500.",
    "--drbd-usermode-helper": "The program DRBD runs on events (usually"
    " /bin/true); cluster verify checks every node uses it.",
    "--default-iallocator": "The allocator (e.g. hail) used when a command"
    " needing new nodes is given neither nodes nor -I; \"\" unsets it.",
    "--default-iallocator-params": "Parameters passed to the default"
    " iallocator." + _KEYVAL,
    "--prealloc-wipe-disks": "yes makes the cluster zero new disks before"
    " they are used.",
    "--use-external-mip-script": "yes makes the master IP be set up by"
    " /etc/ganeti/scripts/master-ip-setup instead of the built-in script.",
    "--user-shutdown": "yes lets a shutdown from inside a KVM instance mark"
    " it user-down, so the watcher does not restart it.",
    "--shared-file-storage-dir": "The directory holding the sharedfile"
    " disks; it must be the same shared file system on every node.",
    "--gluster-storage-dir": "Where the Gluster volumes are mounted.",
    "--reserved-lvs": "Logical volumes (regular expressions, comma-"
    "separated) cluster verify does not report as orphans.",
    "--modify-etc-hosts": "yes makes Ganeti keep the nodes' entries in"
    " /etc/hosts.",
    "--no-etc-hosts": "By default Ganeti adds the nodes to /etc/hosts.",
    "--no-ssh-init": "By default the cluster's SSH keys are created and"
    " distributed to the nodes.",
    "--secondary-ip": "The address of the node on the replication network"
    " (DRBD and moves); without it the primary address is used.",
    "--primary-ip-version": "4 or 6: the address family of the nodes'"
    " primary addresses and the master IP.",
    "--install-image": "A disk image booted to run OS scripts inside a"
    " helper VM instead of on the node.",
    "--zeroing-image": "A disk image booted to zero the disks of instances"
    " in a helper VM.",
    "--compression-tools": "The compression programs that may be used for"
    " instance moves and exports (comma-separated).",
    "--max-running-jobs": "How many jobs may run at the same time.",
    "--max-tracked-jobs": "How many unfinished jobs the master keeps track"
    " of.",
    "--instance-communication-network": "The network used for the"
    " communication between instances and the metadata daemon.",
    "--ssh-key-type": "The type of the SSH keys of the nodes (dsa, ecdsa,"
    " rsa).",
    "--ssh-key-bits": "The length of new SSH keys in bits.",
    # cluster verify, failover, crypto
    "--no-voting": "The other nodes are not asked whether this node has"
    " the newest configuration; changes the old master made later are"
    " lost. Use it only when most nodes are down.",
    "--error-codes": "Each problem is printed as"
    " ftype:ecode:edomain:name:message, for scripts.",
    "--ignore-errors": "The problems with that error code (e.g. ENODETIME)"
    " are reported as warnings and do not make the exit code 1; repeat the"
    " option for several codes.",
    "--no-nplus1-mem": "Does not check that every node has the memory to"
    " take over the instances of any single failed node.",
    "--no-hv-param-assessment": "Does not check the hypervisor parameters"
    " against the nodes' hypervisors.",
    "--failure-only": "The output of nodes where the command exited 0 is"
    " left out.",
    "--roman": "Positive integers in the output are printed as roman"
    " numerals (kept for compatibility with upstream).",
    "--new-cluster-certificate": "The cluster certificate signs the node"
    " daemons' certificates; every node gets the new one and the daemons"
    " are restarted.",
    "--new-node-certificates": "Every node gets a new node certificate,"
    " signed by the cluster certificate.",
    "--new-rapi-certificate": "The new certificate is self-signed; clients"
    " checking the old one must be given the new one.",
    "--rapi-certificate": "A PEM file with the key and certificate"
    " ganeti-rapi is to use (e.g. one signed by your own CA).",
    "--new-confd-hmac-key": "The key signs confd queries and answers;"
    " confd clients of other programs need the new key.",
    "--new-cluster-domain-secret": "The secret is shared by the clusters"
    " between which instances are moved; give the others the same secret"
    " with --cluster-domain-secret.",
    "--cluster-domain-secret": "A file holding the secret of another"
    " cluster, so both can exchange instances.",
    "--new-spice-certificate": "For the SPICE consoles of KVM instances.",
    "--spice-certificate": "A PEM file with the key and certificate of the"
    " SPICE consoles; --spice-ca-certificate gives its CA.",
    "--new-ssh-keys": "Every node gets a new SSH key pair and the"
    " authorized_keys and known_hosts files are updated.",
    "--specs-cpu-count": "min=N,max=N,std=N: the bounds and standard"
    " value of the instance policy for the number of VCPUs.",
    "--specs-disk-count": "min=N,max=N,std=N: the bounds and standard"
    " value of the instance policy for the number of disks.",
    "--specs-disk-size": "min=N,max=N,std=N: the bounds and standard"
    " value of the instance policy for the size of a disk.",
    "--specs-mem-size": "min=N,max=N,std=N: the bounds and standard"
    " value of the instance policy for the memory.",
    "--specs-nic-count": "min=N,max=N,std=N: the bounds and standard"
    " value of the instance policy for the number of NICs.",
    # more instance options
    "--runtime-memory": "Balloons the running instance to this much"
    " memory (between minmem and maxmem); the configuration is not"
    " changed.",
    "--new-primary": "When converting a drbd instance to another disk"
    " template, the one of its two nodes that keeps the disks and becomes"
    " its primary node.",
    "--online": "Clears the offline flag of an instance, which can then be"
    " started again.",
    "--paused": "The instance is started paused, before it runs its"
    " first instruction; it runs once resumed through the hypervisor.",
    "--ignore-secondaries": "With -t full, goes on even if the disks cannot"
    " be activated on the secondary node.",
    "--show-cmd": "Prints the command that would attach to the console"
    " (to run it elsewhere), instead of running it.",
    "--helper-startup-timeout": "Seconds the helper VM (see"
    " --install-image) may take to start.",
    "--helper-shutdown-timeout": "Seconds the helper VM may take to shut"
    " down once its work is done.",
    # debug
    "--interval": "Without it the list is printed once.",
    "--each": "Without it all the opcodes of a file form one job.",
    "--timing-stats": "Prints how long submitting and running the jobs"
    " took.",
    "--evac-mode": "primary-only, secondary-only or all (for"
    " node-evacuate requests).",
    "--count": "The number of instances of a multi-allocate request.",
    # instance placement and moves
    "--iallocator": "\".\" stands for the cluster's default iallocator"
    " (gnt-cluster modify -I); hail, from the htools, is the usual one.",
    "--ignore-ipolicy": "Without it an operation that would violate the"
    " instance policy is refused.",
    "--ignore-consistency": "Goes on even if the instance's disks are"
    " degraded or a node does not answer; data written since the last"
    " synchronisation may be lost.",
    "--shutdown-timeout": "Seconds to wait for the instance to shut down"
    " cleanly before it is forced off.",
    "--non-live": "The instance is paused during the copy of its memory"
    " instead of running on.",
    "--migration-mode": "live or non-live; without it the hypervisor's"
    " migration_mode parameter decides.",
    "--target-node": "For shared storage disk templates (file,"
    " sharedfile, blockdev, rbd, ext, gluster), the node to move to; mirrored"
    " instances always go to their secondary node.",
    "--no-runtime-changes": "Refuses to adapt the instance's memory during"
    " the migration to make it fit the target node.",
    "--early-release": "Releases the locks as soon as possible (before the"
    " disks are in sync), so that more operations can run in parallel.",
    "--cleanup": "Use it after a migration that failed half-way: it finds"
    " out where the instance really runs and fixes the disks and the"
    " configuration.",
    "--allow-failover": "If the instance cannot be migrated (it is down or"
    " not migratable), fail it over instead.",
    "--ignore-hvversions": "Migrates even if the hypervisor versions of the"
    " two nodes differ.",
    "--force-multiple": "Without it, acting on more than one instance asks"
    " for confirmation.",
    "--no-remember": "The instance's configured state is left as it is, so"
    " the watcher restarts a stopped instance.",
    "--ignore-offline": "Acts on an instance whose primary node is offline"
    " by changing only its configured state.",
    "--wait-for-sync": "Waits until the mirrored disks are synchronised"
    " before returning.",
    "--no-wait-for-sync": "Returns before the mirrored disks are"
    " synchronised; the instance has no redundancy until they are.",
    "--no-start": "The instance is left stopped after creation.",
    "--no-install": "The disks are created but the OS scripts are not run.",
    "--no-ip-check": "The command does not ping the instance's address"
    " to check that it is unused.",
    "--no-conflicts-check": "Does not check the IP address against the"
    " networks' address pools.",
    "--os-type": "The OS definition (see gnt-os list), optionally with a"
    " variant: NAME+VARIANT.",
    "--force-variant": "Accepts an OS variant the OS does not list.",
    "--disk-template": "How the disks are stored: plain (LVM), drbd (LVM"
    " mirrored on two nodes), file, sharedfile, blockdev, rbd, ext, gluster"
    " or diskless.",
    "--disk": "INDEX:size=SIZE[,mode=rw|ro][,vg=VG][,name=NAME]..., one"
    " option per disk; sizes take the suffixes M, G and T.",
    "--net": "INDEX:mac=MAC,ip=IP,mode=MODE,link=LINK,network=NET,"
    "name=NAME..., one option per NIC; ip=pool takes an address from the"
    " network's pool, mac=generate makes a new address.",
    "--os-size": "Creates one disk of that size (suffixes M, G, T); cannot"
    " be combined with --disk.",
    "--ext-params": "Parameters of an ext disk template's provider"
    " (provider=NAME and its own keys)." + _KEYVAL,
    "--file-driver": "How the disk files are attached on the node (loop"
    " devices unless another driver is given).",
    "--opportunistic-locking": "With an iallocator, only the nodes whose"
    " locks are free at once are considered.",
    # instance selection (startup, shutdown, reboot, reinstall)
    "--instance": "The arguments are instance names (the default)." + _FILTER,
    "--primary": "The arguments are node names; acts on their primary"
    " instances." + _FILTER,
    "--secondary": "The arguments are node names; acts on their secondary"
    " instances." + _FILTER,
    "--pri-node-tags": "The arguments are tags; acts on the primary"
    " instances of the nodes carrying one of them." + _FILTER,
    "--sec-node-tags": "The arguments are tags; acts on the secondary"
    " instances of the nodes carrying one of them." + _FILTER,
    "--node-tags": "The arguments are tags; acts on the instances of the"
    " nodes carrying one of them." + _FILTER,
    "--hotplug": "Adds or removes disks and NICs of a running instance at"
    " once, where the hypervisor supports it; otherwise the change applies"
    " at the next start.",
    "--no-hotplug": "The change applies at the next start of the instance.",
    # nodes
    "--readd": "The node keeps its name and settings from the"
    " configuration.",
    "--no-ssh-key-check": "Accepts the node's SSH host key without checking"
    " it against known_hosts.",
    "--force-join": "Joins a node that still belongs to another cluster.",
    "--no-node-setup": "Does not prepare the node over SSH; its daemons must"
    " already be set up.",
    "--master-capable": "no keeps the node from ever becoming a master"
    " candidate.",
    "--vm-capable": "no keeps instances off the node.",
    "--master-candidate": "yes makes the node hold copies of the"
    " configuration and job queue; no demotes it.",
    "--drained": "yes keeps new instances off the node while its current"
    " instances stay.",
    "--auto-promote": "Promotes another node to master candidate if the"
    " change would leave the pool too small.",
    "--node-powered": "Records whether the node is powered (used with an"
    " out-of-band helper).",
    "--oob-timeout": "Seconds to wait for the out-of-band helper.",
    "--power-delay": "Seconds between powering on two nodes, to spread the"
    " current drawn.",
    "--ignore-status": "Without it, power off first marks the nodes"
    " offline (so the cluster stops using them); with it their offline"
    " flag is left as it is.",
    "--primary-only": "Only the instances with this node as primary are"
    " moved.",
    "--secondary-only": "Only the instances with this node as secondary"
    " are moved (their DRBD mirror gets a new secondary).",
    "--new-secondary": "The node that becomes the new secondary of the"
    " moved instances.",
    "--ignore-soft-errors": "Lets the allocator ignore soft policy"
    " violations when choosing nodes.",
    "--storage-type": "Without it, the storage type of the cluster's"
    " default disk template (e.g. lvm-vg for plain and drbd).",
    "--allocatable": "no keeps new logical volumes off the physical"
    " volume.",
    # groups
    "--alloc-policy": "preferred, last_resort or unallocable: whether new"
    " instances go to the group's nodes first, only when no other group"
    " fits, or never.",
    "--to": "The allocator chooses among these groups (repeat the option);"
    " without it any other group may be used.",
    "--sequential": "Runs the evacuation jobs one after the other instead"
    " of in parallel.",
    "--force-failover": "Moves running instances by failover (with"
    " downtime) instead of live migration.",
    # networks
    "--network": "The IPv4 subnet, e.g. 192.0.2.0/24; its addresses form"
    " the pool.",
    "--gateway": "An address of the subnet; it is reserved in the pool.",
    "--network6": "An IPv6 subnet, given to the instances as information.",
    "--gateway6": "The IPv6 router of the network.",
    "--add-reserved-ips": "Addresses (comma-separated) the pool does not"
    " hand out.",
    "--remove-reserved-ips": "Addresses (comma-separated) the pool may"
    " hand out again.",
    # jobs
    "--pending": "Acts on every job that has not started running (queued"
    " or waiting).",
    "--queued": "Acts on every job waiting in the queue.",
    "--waiting": "Acts on every job waiting for locks.",
    "--kill": "Also kills the process of a running job (SIGKILL); needs"
    " --yes-do-it.",
    # os
    "--hidden": "yes hides the OS from gnt-os list and instance creation"
    " without removing it.",
    "--blacklisted": "yes refuses new instances with this OS; existing ones"
    " keep working.",
}

_LIST_VERBOSE = ("Unusual values are spelled out: (unknown) for an unknown"
                 " field instead of ??, (nodata) instead of ?, (unavail)"
                 " instead of - and (offline) instead of *.")

SCOPED: Dict[str, str] = {
    "gnt-backup export --node": "The node whose export directory receives the export; older exports of the instance on other nodes are removed"
    " once it is complete.",
    "gnt-backup import --src-node": "The node holding the export; without it every node's export list is searched for one of the instance's"
    " name.",
    "gnt-backup import --src-dir": "The directory of the export on the source node; a relative name is taken inside the cluster's export"
    " directory. Default: the instance's name.",
    "gnt-filter list --verbose": _LIST_VERBOSE,
    "gnt-group list --verbose": _LIST_VERBOSE,
    "gnt-instance list --verbose": _LIST_VERBOSE,
    "gnt-job list --verbose": _LIST_VERBOSE,
    "gnt-network list --verbose": _LIST_VERBOSE,
    "gnt-node list --verbose": _LIST_VERBOSE,
    "gnt-cluster --file-storage-dir": "The directory below which the file"
    " disks of instances are created; it must be allowed in"
    " /etc/ganeti/file-storage-paths.",
    "gnt-instance --file-storage-dir": "A subdirectory of the cluster's file"
    " storage directory for this instance's disk files.",
    "gnt-instance add --node": "PRIMARY or PRIMARY:SECONDARY (mirrored"
    " disk templates need both); without it an iallocator chooses.",
    "gnt-instance recreate-disks --node": "PRIMARY[:SECONDARY]: creates the"
    " disks on these nodes (the instance moves there).",
    "gnt-instance move --node": "The node the instance is copied to.",
    "gnt-instance modify --node": "The new secondary node when converting"
    " to drbd.",
    "gnt-instance startup --node": "The arguments are node names; acts on"
    " their primary and secondary instances." + _FILTER,
    "gnt-instance shutdown --node": "The arguments are node names; acts on"
    " their primary and secondary instances." + _FILTER,
    "gnt-instance reboot --node": "The arguments are node names; acts on"
    " their primary and secondary instances." + _FILTER,
    "gnt-instance reinstall --node": "The arguments are node names; acts"
    " on their primary and secondary instances." + _FILTER,
    "gnt-instance startup --all": "Acts on every instance of the cluster.",
    "gnt-instance shutdown --all": "Acts on every instance of the cluster.",
    "gnt-instance reboot --all": "Acts on every instance of the cluster.",
    "gnt-instance reinstall --all": "Acts on every instance of the"
    " cluster.",
    "gnt-instance info --all": "Shows every instance; cannot be combined"
    " with names.",
    "gnt-instance startup --tags": "The arguments are tags; acts on the"
    " instances carrying one of them." + _FILTER,
    "gnt-instance shutdown --tags": "The arguments are tags; acts on the"
    " instances carrying one of them." + _FILTER,
    "gnt-instance reboot --tags": "The arguments are tags; acts on the"
    " instances carrying one of them." + _FILTER,
    "gnt-instance reinstall --tags": "The arguments are tags; acts on the"
    " instances carrying one of them." + _FILTER,
    "gnt-instance modify --disk": "add:size=SIZE[,mode=rw|ro,...] adds a"
    " disk, ID:remove removes one and ID:mode=ro changes one, where ID is"
    " the disk's index (-1: the last one) or name.",
    "gnt-instance modify --net": "add[:mac=MAC,ip=IP,...] adds a NIC,"
    " ID:remove removes one and ID:ip=IP changes one, where ID is the NIC's"
    " index (-1: the last one) or name.",
    "gnt-instance recreate-disks --disk": "INDEX[:size=SIZE]: recreate only"
    " this disk, optionally with a new size; repeat for several disks.",
    "gnt-cluster command --node-group": "Runs the command only on the"
    " nodes of this group.",
    "gnt-cluster copyfile --node-group": "Copies the file only to the"
    " nodes of this group.",
    "gnt-cluster verify --node-group": "Verifies only this group (and the"
    " cluster-wide checks).",
    "gnt-cluster verify-disks --node-group": "Looks only at the instances"
    " of this group.",
    "gnt-instance add --node-group": "With an iallocator, the group whose"
    " nodes the instance goes to.",
    "gnt-node restricted-command --node-group": "Runs the command on the"
    " nodes of this group (instead of, or besides, the nodes named).",
    "gnt-cluster epo --on": "Powers the nodes on again and restarts the"
    " instances that the power-off stopped.",
    "gnt-cluster epo --all": "Acts on every node of the cluster, the"
    " master included, so the whole cluster goes down; no arguments are"
    " allowed then.",
    "gnt-cluster upgrade --resume": "Runs the remaining steps of an upgrade"
    " that was interrupted (the intent file says which version).",
    "gnt-node add --node-group": "The group the new node joins (default:"
    " the default group).",
    "gnt-instance add --tags": "The tags the new instance gets.",
    "gnt-network --no-conflicts-check": "Does not check whether instances"
    " already use addresses of the subnet outside the network.",
    "gnt-network --mac-prefix": "NICs on this network get MAC addresses"
    " starting with it instead of the cluster's prefix.",
    "gnt-network add --tags": "The tags the new network gets.",
    "gnt-instance shutdown --timeout": "Seconds the instance gets to power"
    " off once asked to before it is stopped forcibly.",
    "gnt-instance modify --offline": "Marks a stopped instance offline:"
    " the cluster no longer checks or starts it.",
    "gnt-instance modify --hypervisor-parameters": "Overrides the"
    " cluster's hypervisor parameters for this instance." + _KEYVAL,
    "gnt-instance startup --hypervisor-parameters": "Overrides the"
    " hypervisor parameters for this start only (not stored)." + _KEYVAL,
    "gnt-instance startup --backend-parameters": "Overrides the back-end"
    " parameters for this start only (not stored)." + _KEYVAL,
    "gnt-instance reboot --type": "soft: the guest is asked to reboot itself,"
    " hard: the hypervisor restarts the instance, full: the instance is"
    " shut down and started again, its disks re-activated.",
    "gnt-node modify --offline": "yes stops the cluster from contacting"
    " the node (its instances are not managed any more); no brings it back"
    " after a check.",
    "gnt-filter --priority": "Rules are tried in order of ascending"
    " priority; the first rule whose predicates match a job decides.",
    "gnt-job cancel --yes-do-it": "Confirms --kill.",
    "gnt-cluster destroy --yes-do-it": "Without it the command refuses.",
}


def _Key(opt) -> str:
    return (opt._long_opts or opt._short_opts)[0]


# The options every subcommand of a gnt-* program accepts.
COMMON_NOTES: Dict[str, str] = {
    "--debug": "Repeat it for more detail. The level is also passed to"
    " the jobs the command submits (their opcodes' debug_level), so the"
    " master daemon logs more about them.",
    "--reason": "The text goes into the reason trail of every opcode the"
    " command submits, next to the name of the command; gnt-job info shows"
    " it.",
}


def OptionNote(opt, program: Optional[str] = None,
               command: Optional[str] = None) -> str:
    """The man page's note on an option of PROGRAM COMMAND, or of every
    command of PROGRAM if COMMAND is None ("" if none).  A daemon's own
    options (no PROGRAM) have their text in their help."""
    if program is None:
        return ""
    key = _Key(opt)
    if command is None:
        return COMMON_NOTES.get(key, "")
    for scoped in ("%s %s %s" % (program, command, key),
                   "%s %s" % (program, key)):
        if scoped in SCOPED:
            return SCOPED[scoped]
    return NOTES.get(key, "")
