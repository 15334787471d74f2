"""The list-tags / add-tags / remove-tags / search-tags subcommands, shared by
gnt-cluster, gnt-node, gnt-group, gnt-instance and gnt-network."""

import sys
from typing import Dict, List

from ganeti import errors
from ganeti import opcodes
from ganeti.cli import (ArgUnknown, EXIT_SUCCESS, GetClient, PRINT_JOBID_OPT,
                        PRIORITY_OPT, SUBMIT_OPT, SubmitOpCode, SubmitOrSend,
                        TAG_SRC_OPT, ToStdout)

_ARG_OBJECT = {"node": "<node-name>", "instance": "<instance-name>",
               "nodegroup": "<group-name>", "network": "<network-name>"}


def _ExtendTags(opts, args: List[str]) -> None:
    """Add tags read from --from FILE (or - for stdin) to args."""
    fname = getattr(opts, "tags_source", None)
    if not fname:
        return
    if fname == "-":
        lines = sys.stdin.read().splitlines()
    else:
        with open(fname) as fh:
            lines = fh.read().splitlines()
    args.extend(line.strip() for line in lines if line.strip())


def TagCommands(kind: str, with_name: bool = True) -> Dict[str, tuple]:
    """The tag subcommands of one object kind."""

    def split(args):
        if with_name:
            if not args:
                raise errors.OpPrereqError("No object name given",
                                           errors.ECODE_INVAL)
            return args[0], list(args[1:])
        return None, list(args)

    def list_tags(opts, args):
        name, _ = split(args)
        cl = GetClient()
        for tag in sorted(cl.QueryTags(kind, name)):
            ToStdout(tag)
        return EXIT_SUCCESS

    def add_tags(opts, args):
        name, tags = split(args)
        _ExtendTags(opts, tags)
        if not tags:
            raise errors.OpPrereqError("No tags to be added", errors.ECODE_INVAL)
        SubmitOrSend(opcodes.OpTagsSet(kind=kind, name=name, tags=tags), opts)
        return EXIT_SUCCESS

    def remove_tags(opts, args):
        name, tags = split(args)
        _ExtendTags(opts, tags)
        if not tags:
            raise errors.OpPrereqError("No tags to be removed",
                                       errors.ECODE_INVAL)
        SubmitOrSend(opcodes.OpTagsDel(kind=kind, name=name, tags=tags), opts)
        return EXIT_SUCCESS

    def search_tags(opts, args):
        result = SubmitOpCode(opcodes.OpTagsSearch(pattern=args[0]), opts=opts)
        for path, tag in sorted(result):
            ToStdout("%s %s", path, tag)
        return EXIT_SUCCESS

    obj = _ARG_OBJECT.get(kind, "")
    what = "the cluster" if kind == "cluster" else "a %s" % kind
    tag_opts = [TAG_SRC_OPT, PRIORITY_OPT, SUBMIT_OPT, PRINT_JOBID_OPT]
    name_args = [ArgUnknown(min=1, max=1)] if with_name else []
    result = {
        "list-tags": (list_tags, name_args, [], obj,
                      "List the tags of %s" % what),
        "add-tags": (add_tags, name_args + [ArgUnknown()], tag_opts,
                     ("%s tag..." % obj).strip(), "Add tags to %s" % what),
        "remove-tags": (remove_tags, name_args + [ArgUnknown()], tag_opts,
                        ("%s tag..." % obj).strip(),
                        "Remove tags from %s" % what),
    }
    if kind == "cluster":
        result["search-tags"] = (search_tags, [ArgUnknown(min=1, max=1)],
                                 [PRIORITY_OPT], "<pattern>",
                                 "Searches the tags on all objects on"
                                 " the cluster for a given pattern (regex)")
    return result
