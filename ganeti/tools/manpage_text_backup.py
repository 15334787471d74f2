"""The written parts of gnt-backup(8) and gnt-storage(8): what each
subcommand does, beyond its one-line description, and examples.

The gnt-backup texts are used once that program exists
(ganeti.client.gnt_backup); ganeti.tools.manpage_text registers them then."""

from typing import Dict, List, Tuple

BACKUP_DETAILS: Dict[str, List[str]] = {
    "export": [
        "Exports an instance to the node given with -n: its disks are"
        " snapshotted (or copied while the instance is shut down) and"
        " written to /var/lib/ganeti/export/INSTANCE on that node, together"
        " with a config.ini describing the instance. The instance is shut"
        " down for the copy and started again afterwards unless"
        " --noshutdown; an older export of the same instance on that node is"
        " replaced.",
        "With --remove-instance the instance is removed once its export has"
        " succeeded, which turns the export into a move to cold storage. The"
        " export can be imported on this or another cluster with gnt-backup"
        " import.",
    ],
    "import": [
        "Creates a new instance from an export: the export is looked for on"
        " the node given with --src-node (or on every node) in the directory"
        " given with --src-dir or the default export directory, its disks"
        " are copied into new disks with the disk template given, and the"
        " OS's import script runs on them. The instance's parameters come"
        " from the export unless given on the command line.",
        "The options are those of gnt-instance add (disk template, nodes or"
        " iallocator, NICs, parameters, checks); the same checks apply, so"
        " an instance that does not fit its nodes or the instance policy is"
        " refused before anything is created.",
    ],
    "list": [
        "Lists the exports found on the nodes (all nodes, or those given"
        " with --node), one line per export with its node and instance"
        " name. Nodes that do not answer are reported.",
    ],
    "list-fields": [
        "Prints the fields the list command of gnt-backup accepts in its"
        " output option: each field's name, type, column title and"
        " description. Use it to find the name of a field to show.",
    ],
    "remove": [
        "Removes every export of the instance from all nodes. The instance"
        " itself need not exist any more: the export's name is that of the"
        " instance exported.",
    ],
}

Example = Tuple[str, str]
BACKUP_EXAMPLES: Dict[str, List[Example]] = {
    "export": [("gnt-backup export -n node3.example.com"
                " instance1.example.com",
                "Export an instance to node3:")],
    "import": [("gnt-backup import -t plain -n node2.example.com"
                " --src-node=node3.example.com instance1.example.com",
                "Re-create it on node2 from that export:")],
    "list": [("gnt-backup list", "The exports on all nodes:")],
    "remove": [("gnt-backup remove instance1.example.com",
                "Remove the exports of an instance:")],
}

STORAGE_DETAILS: Dict[str, List[str]] = {
    "diagnose": [
        "Shows, for every ExtStorage provider found on any node, whether it"
        " is valid on each node and node group and, where it is not, why."
        " Use it when an ext disk template instance cannot be created.",
    ],
    "info": [
        "Shows, for each ExtStorage provider given (all without arguments),"
        " the nodes and groups it is valid on and the parameters it"
        " accepts. Nothing is changed.",
    ],
}

STORAGE_EXAMPLES: Dict[str, List[Example]] = {
    "diagnose": [("gnt-storage diagnose",
                  "Each provider's status on every node and group:")],
    "info": [("gnt-storage info sharedfile",
              "The groups a provider is valid for, its parameters:")],
}
