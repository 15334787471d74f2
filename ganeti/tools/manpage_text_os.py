"""The written parts of gnt-os(8) and gnt-debug(8): what each subcommand
does, beyond its one-line description, and examples."""

from typing import Dict, List, Tuple

DETAILS: Dict[str, List[str]] = {
    "list": [
        "Lists the OS definitions that are valid on every node, with their"
        " variants (NAME+VARIANT); hidden and blacklisted ones are left out."
        " Only these can be used for new instances.",
    ],
    "diagnose": [
        "Shows, for every OS definition found on any node, whether it is"
        " valid on each node, where it was found and, where it is not"
        " valid, why (e.g. a missing script or an unsupported API"
        " version). Use it when an OS is missing from gnt-os list.",
    ],
    "info": [
        "Shows, for each OS given (all without arguments), whether it is"
        " valid, hidden and blacklisted, its API versions, variants and"
        " parameters with their documentation. Nothing is changed.",
    ],
    "modify": [
        "Sets cluster-wide parameters of an OS definition: per-hypervisor"
        " parameters (-H) and OS parameters (-O, --os-parameters-private),"
        " which every instance of that OS gets unless it sets its own, and"
        " the hidden and blacklisted flags.",
        "The value default (e.g. -O dhcp=default) removes a parameter. New"
        " OS parameters are validated by the OS scripts on every node that"
        " has the OS, and unknown hypervisors or hypervisor parameters are"
        " refused.",
    ],
}

Example = Tuple[str, str]
EXAMPLES: Dict[str, List[Example]] = {
    "list": [("gnt-os list", "The OS definitions valid on all nodes:")],
    "diagnose": [("gnt-os diagnose",
                  "Where each OS definition was found and why it is"
                  " invalid where it is:")],
    "info": [("gnt-os info debootstrap", "Details of one OS:")],
    "modify": [("gnt-os modify --hidden=yes debootstrap",
                "Hide an OS from gnt-os list:")],
}

DEBUG_DETAILS: Dict[str, List[str]] = {
    "delay": [
        "Submits a test job that sleeps for the duration given (seconds)"
        " on the master and, with -n, on the nodes given, -r times. Use it"
        " to check that jobs run and to hold the queue busy in tests.",
        "Without --no-locks the job takes the locks of the nodes it sleeps"
        " on, so it also tests locking.",
    ],
    "iallocator": [
        "Builds an iallocator request (allocate, relocate, change-group,"
        " node-evacuate or multi-allocate, chosen with -m) from the options"
        " and prints either the request (--dir=in) or the answer of the"
        " allocator given with -I (--dir=out). Nothing is created or"
        " moved.",
    ],
    "locks": [
        "Lists the master daemon's locks with their mode, owners and the"
        " jobs waiting for them; with --interval it refreshes the list"
        " every that many seconds until interrupted. Use it to find out"
        " which job holds up the others.",
    ],
    "submit-job": [
        "Reads each file given (a JSON list of serialized opcodes) and"
        " submits it as a job, or each opcode as its own job with --each,"
        " then waits for the jobs and prints their results. --timing-stats"
        " shows how long submission and execution took.",
    ],
    "test-jobqueue": [
        "Submits test jobs that exercise the job queue (log messages,"
        " results, failures, cancellation, waiting for changes) and checks"
        " the answers. It prints \"Job queue test successful\" or fails"
        " with a message on the first mismatch.",
    ],
    "test-osparams": [
        "Submits a test job carrying the secret OS parameters given and"
        " shows that they reach the job without appearing in the job's"
        " stored input. It is a test of the secret parameter handling and"
        " changes nothing.",
    ],
    "wconfd": [
        "Talks to the configuration part of the master daemon directly:"
        " echo ARG answers ARG, listlocks JOBID shows the locks a job"
        " holds, listalllocks every lock held and listalllocksowners every"
        " lock held with its owners.",
        "cleanuplocks and flushconfig are accepted for upstream's scripts"
        " and have nothing to do here: the locks of an ended job are freed"
        " at once and the configuration is written synchronously.",
    ],
    "metad": [
        "In upstream Ganeti this talks to the metadata daemon"
        " (ganeti-metad) directly. This implementation has no separate"
        " metadata daemon, so the command prints a message saying so and"
        " exits 1; it is kept so that scripts get a clear answer.",
    ],
}

DEBUG_EXAMPLES: Dict[str, List[Example]] = {
    "delay": [("gnt-debug delay 10",
               "A job that sleeps 10 s on the master:")],
    "locks": [("gnt-debug locks", "The locks and their owners:")],
    "submit-job": [("gnt-debug submit-job /root/ops.json",
                    "Submit the opcodes of a file as one job:")],
    "test-jobqueue": [("gnt-debug test-jobqueue", "Test the job queue:")],
    "test-osparams": [("gnt-debug test-osparams --os-parameters-secret"
                       " password=s3cret", "Send a secret parameter:")],
    "iallocator": [("gnt-debug iallocator --mode=allocate -t drbd --mem=512"
                    " --disks=1024 --nics=1 -I hail instance9.example.com",
                    "Ask hail where a new instance would go, without"
                    " creating it:")],
    "wconfd": [("gnt-debug wconfd echo hello",
                "Check that the configuration daemon answers:"),
               ("gnt-debug wconfd listlocks 17",
                "The locks job 17 holds:")],
    "metad": [("gnt-debug metad echo hello",
               "Reports that there is no metadata daemon to talk to:")],
}
