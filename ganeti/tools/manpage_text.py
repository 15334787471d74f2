"""The written parts of the gnt-* man pages: per program a description,
examples of the subcommands (a subcommand without written examples gets
one built from its argument types, see SampleValue), and the sections
common to every page.  The synopses, descriptions and options themselves
come from the command tables (ganeti.tools.manpages)."""

import importlib.util
from typing import Dict, List, Optional, Tuple

from ganeti import constants
from ganeti.cli import opts
from ganeti.tools import manpage_text_backup
from ganeti.tools import manpage_text_cluster
from ganeti.tools import manpage_text_group
from ganeti.tools import manpage_text_instance
from ganeti.tools import manpage_text_job
from ganeti.tools import manpage_text_network
from ganeti.tools import manpage_text_node
from ganeti.tools import manpage_text_os

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
    "gnt-filter": [
        "gnt-filter manages the job filter rules of the cluster: rules that"
        " match jobs by their id, opcodes or reason trail and accept,"
        " pause, reject or rate-limit them before they start. Use them to"
        " hold back a kind of operation during maintenance, or to keep"
        " automated tools from flooding the queue.",
        "The rules are part of the cluster configuration; a rule only"
        " applies to jobs submitted after it was added.",
    ],
    "gnt-backup": [
        "gnt-backup exports instances (their disks and a description of"
        " their configuration) to a node's export directory, imports them"
        " as new instances, on this or another cluster, and lists and"
        " removes exports.",
    ],
    "gnt-storage": [
        "gnt-storage shows the ExtStorage providers (the scripts behind"
        " the ext disk template) found on the nodes: whether each is valid"
        " on every node and node group, and the parameters it takes.",
    ],
    "gnt-debug": [
        "gnt-debug holds commands to test and debug the cluster: test jobs"
        " (delay), iallocator runs, raw opcode submission and lock"
        " inspection. They are meant for administrators and developers.",
    ],
}

Example = Tuple[str, str]

# Program -> (subcommand -> paragraphs, subcommand -> examples), written
# per program in ganeti.tools.manpage_text_<program>.
_WRITTEN = {
    "gnt-cluster": (manpage_text_cluster.DETAILS,
                    manpage_text_cluster.EXAMPLES),
    "gnt-node": (manpage_text_node.DETAILS, manpage_text_node.EXAMPLES),
    "gnt-instance": (manpage_text_instance.DETAILS,
                     manpage_text_instance.EXAMPLES),
    "gnt-group": (manpage_text_group.DETAILS, manpage_text_group.EXAMPLES),
    "gnt-network": (manpage_text_network.DETAILS,
                    manpage_text_network.EXAMPLES),
    "gnt-job": (manpage_text_job.DETAILS, manpage_text_job.EXAMPLES),
    "gnt-filter": (manpage_text_job.FILTER_DETAILS,
                   manpage_text_job.FILTER_EXAMPLES),
    "gnt-os": (manpage_text_os.DETAILS, manpage_text_os.EXAMPLES),
    "gnt-debug": (manpage_text_os.DEBUG_DETAILS,
                  manpage_text_os.DEBUG_EXAMPLES),
}
# Programs being added to the tree: their texts are used once they exist.
for _program, _module, _texts in (
        ("gnt-backup", "gnt_backup", (manpage_text_backup.BACKUP_DETAILS,
                                      manpage_text_backup.BACKUP_EXAMPLES)),
        ("gnt-storage", "gnt_storage",
         (manpage_text_backup.STORAGE_DETAILS,
          manpage_text_backup.STORAGE_EXAMPLES))):
    if importlib.util.find_spec("ganeti.client." + _module) is not None:
        _WRITTEN[_program] = _texts
EXAMPLES: Dict[str, Dict[str, List[Example]]] = {
    program: dict(examples) for program, (_d, examples) in _WRITTEN.items()}
# What the subcommands do, beyond their one-line description.
DETAILS: Dict[str, Dict[str, List[str]]] = {
    program: dict(details) for program, (details, _e) in _WRITTEN.items()}

# The object a program's tag commands are about.
_TAGGED = {"gnt-cluster": "the cluster", "gnt-node": "a node",
           "gnt-group": "a node group", "gnt-instance": "an instance",
           "gnt-network": "a network"}
# The programs with a list-fields command.
_WITH_LIST_FIELDS = ["gnt-filter", "gnt-group", "gnt-instance", "gnt-job",
                     "gnt-network", "gnt-node"]


def _TagDetails(program: str) -> Dict[str, List[str]]:
    """What the tag commands of a program do."""
    what = _TAGGED[program]
    return {
        "list-tags": [
            "Prints the tags of %s, one per line, sorted. Tags are free-form"
            " labels (at most 128 characters, at most 4096 per object)"
            " that Ganeti stores but does not interpret; scripts, hooks and"
            " the iallocator can use them." % what],
        "add-tags": [
            "Adds the tags given (and those in the --from file) to %s;"
            " tags it has already are kept once. A tag that is too long or"
            " contains characters other than letters, digits and .+*/:@-_"
            " is refused, and so is going over the limit of tags per"
            " object." % what],
        "remove-tags": [
            "Removes the tags given (and those in the --from file) from %s."
            " If one of them is not set, nothing is removed and the command"
            " fails." % what],
    }


def _ListFieldsDetails(program: str) -> List[str]:
    return [
        "Prints the fields the list command of %s accepts in its output"
        " option: each"
        " field's name, type, column title and description (all fields, or"
        " those given). Use it to find the name of a field to show or to"
        " filter on." % program]


for _program in _TAGGED:
    for _name, _paragraphs in _TagDetails(_program).items():
        DETAILS[_program].setdefault(_name, _paragraphs)
for _program in _WITH_LIST_FIELDS:
    DETAILS[_program].setdefault("list-fields", _ListFieldsDetails(_program))


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

def EnvironmentSection(program: str) -> List[Tuple[str, List[str]]]:
    """The ENVIRONMENT section of the programs whose list command takes
    default arguments from the environment ([] for the others)."""
    if program not in ("gnt-instance", "gnt-node", "gnt-group"):
        return []
    variable = "%s_LIST" % program.upper().replace("-", "_")
    return [("ENVIRONMENT", [
        "%s: default arguments of \"%s list\", split like a shell"
        " command line and put before the arguments given, e.g. %s=\"-o"
        " +tags --separator=:\" (the options given on the command line"
        " come later and so win)." % (variable, program, variable)])]


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
