"""vcluster: a real cluster of N node "machines" on one host, built from namespaces.

Layout (see vcluster_layout for names and addresses): one outer network
namespace (gnt-lab) holds the lab bridge and has no route and no link off the
machine; each node has its own network namespace joined to that bridge by a
veth pair, and a "holder" process (sleep) that owns the node's private mount
and UTS namespaces.  A node's /etc is an overlay of its own files over the
host's /etc (Ganeti's entries hidden); its Ganeti and SSH directories are
bind mounts of per-node directories below the state dir; each node runs its
own sshd.  Commands run inside a node with nsenter on the holder's PID (see
node_exec_argv).

Modules: vcluster (this CLI, exec/status/cut/heal), vcluster_lifecycle (up,
down), vcluster_layout (pure names, addresses, generated files), vcluster_sys
(running programs, processes, lab state).  Only the Python standard library is
used: the tool must run with the system python3 before any venv exists.
"""

import argparse
import json
import os
import signal
import sys

from ganeti.tools import vcluster_layout as L
from ganeti.tools import vcluster_storage
from ganeti.tools import vcluster_sys as S
from ganeti.tools.vcluster_layout import LayoutError, StatePaths
from ganeti.tools.vcluster_lifecycle import cmd_down, cmd_up
from ganeti.tools.vcluster_sys import Error, lab_netns_exists, load_lab, state_paths

__all__ = ["Error", "build_parser", "lab_netns_exists", "load_lab", "main",
           "node_exec_argv", "state_paths"]


def _lab_nodes(lab: dict) -> list:
    return [L.Node(entry["index"]) for entry in lab.get("nodes", [])]


def _node_entry(lab: dict, name: str) -> dict:
    try:
        node = L.find_node(_lab_nodes(lab), name)
    except LayoutError as err:
        raise Error(str(err)) from None
    return next(e for e in lab["nodes"] if e["index"] == node.index)


def node_exec_argv(node_name: str, argv: list, state_dir: str = None) -> list:
    """Command line that runs argv inside a lab node (for other code and tests).

    The result is "nsenter -t HOLDER -m -u -n --wd=/ -- argv..."; run it as root
    on the host.  Raises Error if the lab is not up or the node is unknown.
    """
    paths = state_paths(state_dir)
    entry = _node_entry(S.require_lab(paths), node_name)
    if not S.alive(entry.get("holder_pid"), entry.get("holder_start")):
        raise Error("node %s is not running (its holder died); run 'vcluster down'"
                    " then 'vcluster up'" % entry["name"])
    return [S.tool("nsenter")] + L.nsenter_argv(entry["holder_pid"], argv)[1:]


# ---------------------------------------------------------------- commands

def _lab_links() -> dict:
    """Lab-side veth name -> whether it is administratively up."""
    res = S.run(["ip", "-n", L.LAB_NETNS, "-j", "link", "show"])
    return {link["ifname"]: "UP" in link.get("flags", [])
            for link in json.loads(res.stdout)}


def cmd_status(paths: StatePaths) -> int:
    lab = load_lab(paths.root)
    if lab is None or not lab_netns_exists():
        sys.stderr.write("vcluster: the lab is not up (state %s)\n" % paths.root)
        return 1
    links = _lab_links()
    nodes = _lab_nodes(lab)  # names and addresses follow from the index
    reach = S.probe([n.address for n in nodes], timeout=1.0)
    rows = []
    for node, e in zip(nodes, lab["nodes"]):
        holder = S.alive(e.get("holder_pid"), e.get("holder_start"))
        sshd = S.alive(e.get("sshd_pid"), e.get("sshd_start"))
        rows.append([node.name, node.address,
                     "%s %s" % (e.get("holder_pid", "-"), "alive" if holder else "dead"),
                     "alive" if sshd else "dead",
                     "up" if links.get(node.lab_veth) else "cut",
                     "yes" if reach.get(node.address) else "no"])
    S.print_table(["Node", "Address", "Holder", "sshd", "Link", "Reachable"], rows)
    print("Cluster name %s, address %s; lab %s%s"
          % (lab["cluster_name"], lab["cluster_ip"], L.LAB_NETNS,
             "" if lab.get("ready") else " (not ready)"))
    return 0


def cmd_link(paths: StatePaths, node_name: str, up: bool) -> int:
    with S.locked(paths):
        entry = _node_entry(S.require_lab(paths), node_name)
        S.run(["ip", "-n", L.LAB_NETNS, "link", "set", entry["lab_veth"],
               "up" if up else "down"])
    print("%s: link %s" % (entry["name"], "up" if up else "cut"))
    return 0


def cmd_exec(paths: StatePaths, node_name: str, argv: list) -> int:
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        raise Error("exec needs a command: vcluster exec NODE -- CMD...")
    full = node_exec_argv(node_name, argv, paths.root)
    sys.stdout.flush()
    os.chdir("/")
    # Python ignores SIGPIPE; the command must get the default back, or a
    # pipeline inside the node (e.g. "socat | head") never ends.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        os.execv(full[0], full)
    except OSError as err:
        raise Error("cannot run %s: %s" % (full[0], err)) from None
    return 1  # not reached


def cmd_shell(paths: StatePaths, node_name: str) -> int:
    shell = "/bin/bash" if os.path.exists("/bin/bash") else "/bin/sh"
    return cmd_exec(paths, node_name, [shell])


# ---------------------------------------------------------------- CLI

class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit status 2, as argparse uses)."""

    def error(self, message):
        self.exit(2, "%s: error: %s\n" % (self.prog, message))


def _node_count(text: str) -> int:
    try:
        return L.check_node_count(int(text))
    except ValueError as err:
        if isinstance(err, LayoutError):
            raise argparse.ArgumentTypeError(str(err))
        raise argparse.ArgumentTypeError("not a number: '%s'" % text)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--state-dir", default=argparse.SUPPRESS,
                        help="state directory (default $%s or %s)"
                        % (L.STATE_ENV, L.DEFAULT_STATE_DIR))
    parser = _Parser(prog="vcluster", parents=[common],
                     description="A cluster of node machines built from namespaces.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    up = sub.add_parser("up", parents=[common], help="start the lab")
    up.add_argument("--nodes", type=_node_count, default=L.DEFAULT_NODES,
                    help="number of nodes, 1..%d (default %d)"
                    % (L.MAX_NODES, L.DEFAULT_NODES))
    up.add_argument("--host-etc", default=os.environ.get(L.HOST_ETC_ENV,
                                                         L.DEFAULT_HOST_ETC),
                    help="the /etc below every node's own files, Ganeti's"
                    " hidden (default $%s or %s)"
                    % (L.HOST_ETC_ENV, L.DEFAULT_HOST_ETC))
    up.add_argument("--storage", action="store_true",
                    help="give each node a volume group %s on a loop-backed PV"
                    " (LV activation emulated: no device-mapper here)"
                    % vcluster_storage.VG_NAME)
    sub.add_parser("down", parents=[common], help="stop and remove the lab")
    sub.add_parser("status", parents=[common], help="show the nodes")
    ex = sub.add_parser("exec", parents=[common], help="run a command in a node")
    ex.add_argument("node")
    ex.add_argument("cmd", nargs=argparse.REMAINDER)
    for name, text in (("shell", "interactive shell in a node"),
                       ("cut", "take a node's link down"), ("heal", "bring it back")):
        sub.add_parser(name, parents=[common], help=text).add_argument("node")
    return parser


def main(argv: list = None) -> int:
    args = build_parser().parse_args(argv)
    paths = state_paths(getattr(args, "state_dir", None))
    try:
        if args.command != "exec" and os.geteuid() != 0:
            raise Error("must run as root")
        if args.command == "up":
            return cmd_up(paths, args.nodes, args.host_etc, args.storage)
        if args.command == "down":
            return cmd_down(paths)
        if args.command == "status":
            return cmd_status(paths)
        if args.command in ("cut", "heal"):
            return cmd_link(paths, args.node, args.command == "heal")
        if args.command == "exec":
            return cmd_exec(paths, args.node, args.cmd)
        return cmd_shell(paths, args.node)
    except (Error, LayoutError) as err:
        sys.stderr.write("vcluster: error: %s\n" % err)
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("vcluster: interrupted\n")
        return 130
