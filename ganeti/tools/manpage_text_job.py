"""The written parts of gnt-job(8) and gnt-filter(8): what each subcommand
does, beyond its one-line description, and examples."""

from typing import Dict, List, Tuple

_SELECT = (" Jobs are given by id, or selected with --pending, --queued or"
           " --waiting; a selection asks for confirmation unless --force.")

DETAILS: Dict[str, List[str]] = {
    "list": [
        "Prints one line per job in the queue (all, or those given by id)"
        " with the fields chosen with -o; by default the id, the status and"
        " a summary of the opcodes. --running, --pending, --error and"
        " --finished show only the jobs in those states; the options can be"
        " combined.",
    ],
    "info": [
        "Shows, for each job given, its status, priority, submission, start"
        " and end times and for each opcode its status, input, result and"
        " log messages. Nothing is changed.",
    ],
    "archive": [
        "Moves finished jobs to the archive (queue/archive/), where"
        " ganeti-cleaner removes them after 21 days.",
        "A job that cannot be archived (it has not finished, or is unknown)"
        " is reported as \"Failed to archive job with ID\" and makes the"
        " exit code 1; the others are archived.",
    ],
    "autoarchive": [
        "Archives every finished job that ended longer ago than the age"
        " given (a number of seconds or a number with a unit: s, m, h, d, w;"
        " all archives every finished job). It prints how many jobs it"
        " archived and how many it had no time to look at; the watcher"
        " does the same every run with its job age of six hours.",
    ],
    "cancel": [
        "A queued or waiting job is cancelled at once; a running job"
        " only with --kill (its process is killed and its locks"
        " freed).",
        "A cancelled job ends with the status canceled and its opcodes are"
        " not run; finished jobs cannot be cancelled." + _SELECT,
    ],
    "change-priority": [
        "Changes the priority (--priority, required) of jobs that have not"
        " finished; the opcodes not yet started get the new priority, which"
        " decides the order in which jobs waiting for the same locks get"
        " them." + _SELECT,
    ],
    "wait": [
        "Waits until the job has finished, printing nothing while it runs."
        " If the job failed, the error is printed as \"Job N failed:"
        " MESSAGE\" and the exit code is that of the error (usually 1)."
        " Use it in scripts after submitting a job without waiting for it.",
    ],
    "watch": [
        "Prints \"Output from job N follows\" and then the log messages of"
        " the job as they arrive, each with its time, until the job"
        " finishes. If the job failed the error is printed and the exit"
        " code is not 0; interrupting the command does not affect the"
        " job.",
    ],
}

Example = Tuple[str, str]
EXAMPLES: Dict[str, List[Example]] = {
    "list": [("gnt-job list", "The jobs in the queue:"),
             ("gnt-job list --running", "Only the running ones:")],
    "info": [("gnt-job info 17", "Everything about job 17:")],
    "watch": [("gnt-job watch 17",
               "Follow the log messages of job 17 until it ends:")],
    "wait": [("gnt-job wait 17", "Wait for job 17 to end:")],
    "cancel": [("gnt-job cancel 17", "Cancel a queued job:"),
               ("gnt-job cancel --pending --force",
                "Cancel every job that has not started, without asking:")],
    "change-priority": [("gnt-job change-priority --priority high 17",
                         "Let job 17 go first:")],
    "archive": [("gnt-job archive 17 18", "Archive two finished jobs:")],
    "autoarchive": [("gnt-job autoarchive 1d",
                     "Archive finished jobs older than a day:")],
}

FILTER_DETAILS: Dict[str, List[str]] = {
    "add": [
        "Adds a job filter rule. A rule applies to the jobs submitted after"
        " it (ids above its watermark) before they start; they are checked"
        " against the rules in order of priority, and the first rule whose"
        " predicates all"
        " match the job decides with its action: ACCEPT runs the job, PAUSE"
        " keeps it queued, REJECT cancels it, CONTINUE goes on with the next"
        " rule and RATE_LIMIT N lets at most N such jobs run at once.",
        "The predicates are a JSON list, e.g. [[\"opcode\", [\"=\","
        " \"OP_ID\", \"OP_INSTANCE_STARTUP\"]]] or [[\"jobid\", [\">\","
        " \"id\", \"watermark\"]]]. The rule's UUID is printed. A rule with"
        " an invalid predicate or action is refused.",
    ],
    "replace": [
        "Replaces the rule with the given UUID by one with the options"
        " given, or creates a rule with that UUID. Options not given take"
        " their defaults, not the old rule's values.",
    ],
    "delete": [
        "Removes the filter rule with the given UUID; jobs it paused are"
        " checked against the remaining rules again. An unknown UUID is"
        " refused.",
    ],
    "info": [
        "Shows, for each rule given (all without arguments), its UUID,"
        " watermark (the highest job id when it was added), priority,"
        " predicates, action and reason trail. Nothing is changed.",
    ],
    "list": [
        "Prints one line per filter rule (all, or those given) with the"
        " fields chosen with -o; by default the UUID, watermark, priority,"
        " predicates, action and reason trail. The rules are listed in the"
        " order they are evaluated in.",
    ],
}

FILTER_EXAMPLES: Dict[str, List[Example]] = {
    "add": [("gnt-filter add --action=PAUSE --predicates="
             "'[[\"opcode\", [\"=\", \"OP_ID\", \"OP_INSTANCE_MIGRATE\"]]]'",
             "Hold back migrations until the rule is deleted:")],
    "delete": [("gnt-filter delete 9f2a5c46-1c36-4d4c-8f6e-5b3d0e8c2a11",
                "Remove a rule:")],
    "replace": [("gnt-filter replace --action=REJECT"
                 " 9f2a5c46-1c36-4d4c-8f6e-5b3d0e8c2a11",
                 "Make a rule reject instead:")],
    "info": [("gnt-filter info", "Every rule in full:")],
    "list": [("gnt-filter list", "The rules:")],
}
