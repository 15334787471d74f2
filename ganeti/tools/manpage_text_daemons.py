"""The written parts of the daemon and tool man pages that their modules do
not declare: exit status, examples and the page of daemon-util."""

from typing import Dict, List, Tuple

from ganeti import constants
from ganeti import pathutils

Sections = List[Tuple[str, List[str]]]

_DAEMON_EXIT = (
    "EXIT STATUS", [
        "0 when the daemon stopped cleanly (or, without -f, when it started"
        " and detached); 1 on a start-up error (printed on stderr and"
        " logged); %d when a master daemon is started on a node that is"
        " not the master; %d when the node is not part of a cluster (its"
        " configuration files are missing); 2 for a wrong option."
        % (constants.EXIT_NOTMASTER, constants.EXIT_NOTCLUSTER),
    ])

# Program -> sections appended to its page (after the daemon facts).
SECTIONS: Dict[str, Sections] = {
    "ganeti-noded": [_DAEMON_EXIT, ("EXAMPLES", [
        "Run the node daemon in the foreground with debug messages, to see"
        " why it does not start: ganeti-noded -f -d.",
    ])],
    "ganeti-confd": [_DAEMON_EXIT, ("EXAMPLES", [
        "Ask the master candidates' confd which node is the master, with"
        " the confd-client tool of Ganeti's tools directory: confd-client"
        " -t cluster_master.",
    ])],
    "ganeti-masterd": [_DAEMON_EXIT, ("EXAMPLES", [
        "Start the master daemon on a master without the other nodes'"
        " vote (when most nodes are down): ganeti-masterd --no-voting"
        " --yes-do-it. Normally use daemon-util start-master.",
    ])],
    "ganeti-rapi": [_DAEMON_EXIT, ("EXAMPLES", [
        "Serve the remote API on the loopback interface only, requiring a"
        " user for reads too: ganeti-rapi -b 127.0.0.1"
        " --require-authentication.",
    ])],
    "ganeti-cleaner": [
        ("FILES", [
            "/etc/cron.d/ganeti: runs ganeti-cleaner node and ganeti-cleaner"
            " master every night.",
            "/var/log/ganeti/cleaner/ and /var/log/ganeti/master-cleaner/:"
            " one log file per run.",
        ]),
        ("EXAMPLES", [
            "Clean up this node now instead of waiting for the night:"
            " ganeti-cleaner node.",
        ]),
    ],
    "ganeti-watcher": [
        ("FILES", [
            "%s: per node group restart counters and node boot ids."
            % (pathutils.WATCHER_GROUP_STATE_FILE % "GROUP-UUID"),
            "%s: the instances' states seen by the last run."
            % (pathutils.WATCHER_GROUP_INSTANCE_STATUS_FILE % "GROUP-UUID"),
            "%s: the end of the pause (written by gnt-cluster watcher"
            " pause)." % pathutils.WATCHER_PAUSEFILE,
            "%s: held shared by every running watcher; a program holding it"
            " exclusively keeps watchers from running."
            % pathutils.WATCHER_LOCK_FILE,
            "%s: what each run did." % pathutils.LOG_WATCHER,
            "/etc/cron.d/ganeti: runs the watcher every five minutes.",
        ]),
        ("EXIT STATUS", [
            "0 when the run finished, and also when the watcher is paused,"
            " when another program holds the watcher lock exclusively, on a"
            " node that is not part of a cluster and on a node that is not"
            " the master (after the node checks); 1 when the master daemon"
            " cannot be reached or on another error (logged); 2 for a wrong"
            " option or argument.",
        ]),
        ("EXAMPLES", [
            "Run the watcher once by hand, with debug output and ignoring a"
            " pause: ganeti-watcher -d --ignore-pause.",
            "Archive jobs older than a day on this run: ganeti-watcher -A"
            " 1d.",
        ]),
    ],
}

# Program -> the files a daemon uses besides its pid and log files.
FILES: Dict[str, List[str]] = {
    "ganeti-noded": [
        "%s: the node's certificate and key (its server certificate)."
        % pathutils.NODED_CERT_FILE,
        "%s: the node's client certificate for RPC to other nodes."
        % pathutils.NODED_CLIENT_CERT_FILE,
        "%s*: the ssconf files the master keeps up to date (cluster name,"
        " master, node lists...)." % pathutils.SSCONF_PREFIX,
    ],
    "ganeti-confd": [
        "%s: the key confd signs its answers with." % pathutils.CONFD_HMAC_KEY,
        "%s: the configuration it answers from (re-read when it changes)."
        % pathutils.CLUSTER_CONF_FILE,
    ],
    "ganeti-masterd": [
        "%s: the cluster configuration." % pathutils.CLUSTER_CONF_FILE,
        "%s/: the job queue (job-N files, serial, version; archive/ for"
        " archived jobs; drain for the drain flag)." % pathutils.QUEUE_DIR,
        "%s and %s: the LUXI sockets." % (pathutils.MASTER_SOCKET,
                                          pathutils.QUERY_SOCKET),
    ],
    "ganeti-rapi": [
        "%s: the certificate and key of the HTTPS server."
        % pathutils.RAPI_CERT_FILE,
        "%s: the users and their passwords (re-read when it changes)."
        % pathutils.RAPI_USERS_FILE,
    ],
}

DAEMON_UTIL_SYNOPSIS = "daemon-util ACTION [ARGUMENTS...]"

# (action with its arguments, what it does); the page lists them all.
DAEMON_UTIL_ACTIONS: List[Tuple[str, str]] = [
    ("start DAEMON [ARGS...]",
     "Starts the daemon with the options from /etc/default/ganeti"
     " followed by ARGS, and waits until it has detached. The exit code is"
     " the daemon's start-up exit code; an already running daemon is left"
     " alone (exit 0)."),
    ("stop DAEMON",
     "Sends SIGTERM to the daemon (found by its pid file) and waits for it"
     " to end, killing it after 30 seconds. A daemon that is not running is"
     " not an error."),
    ("check DAEMON",
     "Exits 0 if the daemon is running (its pid file is locked by a live"
     " process), 1 otherwise."),
    ("start-all",
     "Starts the node daemons, then the master daemons where this node is"
     " the master; stops at the first daemon that fails to start."),
    ("stop-all", "Stops every daemon, in the reverse start order."),
    ("start-master", "Starts the master daemon and ganeti-rapi."),
    ("stop-master", "Stops ganeti-rapi and the master daemon."),
    ("check-exitcode CODE",
     "Explains a daemon's start-up exit code: exit 0 for success and for"
     " the codes that are not failures (%d: not the master, %d: not part of"
     " a cluster, each printed), 1 for the others."
     % (constants.EXIT_NOTMASTER, constants.EXIT_NOTCLUSTER)),
    ("check-config",
     "Exits 0 if this node has the files a cluster node needs (its node"
     " certificate), else prints the missing files and exits 1."),
    ("is-daemon-name NAME",
     "Exits 0 if NAME is the name of a Ganeti daemon (upstream's names"
     " ganeti-luxid and ganeti-wconfd included), else prints an error and"
     " exits 1."),
    ("list-start-daemons", "Prints the daemons in the order they start."),
    ("list-stop-daemons", "Prints the daemons in the order they stop."),
    ("rotate-all-logs",
     "Sends SIGHUP to every running daemon so that it reopens its log file"
     " (logrotate runs it)."),
]


def DaemonUtilSections() -> Sections:
    """The sections of the daemon-util(8) page."""
    from ganeti import daemon_util  # pylint: disable=import-outside-toplevel
    return [
        ("DESCRIPTION", [
            "daemon-util starts, stops and checks the Ganeti daemons of this"
            " node. The init script /etc/init.d/ganeti, the systemd units"
            " and the watcher use it; administrators can too. The daemons"
            " it knows are %s." % ", ".join(daemon_util.DAEMON_NAMES),
            "Each daemon's extra options come from /etc/default/ganeti, a"
            " shell file of assignments: NODED_ARGS, CONFD_ARGS,"
            " MASTERD_ARGS (also WCONFD_ARGS and LUXID_ARGS), RAPI_ARGS.",
        ]),
        ("ACTIONS", ["%s: %s" % (action, text)
                     for action, text in DAEMON_UTIL_ACTIONS]),
        ("FILES", [
            "/etc/default/ganeti: the daemons' extra options.",
            "/var/run/ganeti/DAEMON.pid: the daemons' pid files.",
        ]),
        ("EXIT STATUS", [
            "0 on success, 1 on failure or a wrong action (after the usage);"
            " start passes on the daemon's exit code.",
        ]),
        ("EXAMPLES", [
            "Restart the node daemon: daemon-util stop ganeti-noded &&"
            " daemon-util start ganeti-noded.",
            "Start the node daemon with debug messages: daemon-util start"
            " ganeti-noded -d.",
            "Is the master daemon running here? daemon-util check"
            " ganeti-masterd && echo yes.",
        ]),
    ]
