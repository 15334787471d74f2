"""Pure layout of the vcluster testbed: names, addresses, paths and generated files.

Nothing here touches the system; ganeti.tools.vcluster turns this layout into
namespaces, mounts and processes.  Keeping it pure lets unit tests check the
addressing plan and every generated file without root.
"""

import ipaddress
import os
import re
from dataclasses import dataclass

STATE_ENV = "VCLUSTER_STATE"

DOMAIN = "example.test"
CLUSTER_NAME = "cluster." + DOMAIN
SUBNET = ipaddress.IPv4Network("10.250.0.0/24")
# Each node's secondary address (gnt-node add -s: DRBD replication), on the
# same link: a cut node loses both.
SECONDARY_SUBNET = ipaddress.IPv4Network("10.250.1.0/24")
NODE_HOST_OFFSET = 10          # node i gets host number 10 + i
CLUSTER_HOST = 250             # the cluster (later master) IP, used by no node
LAB_BRIDGE_HOST = 254          # the lab bridge's own address (status probes)
MAX_NODES = 200
DEFAULT_NODES = 3

# Several labs may coexist on one machine (e.g. parallel test runs): the
# VCLUSTER_LAB prefix (letters and digits, at most 6) names every namespace,
# interface and the owner file of a lab. The default prefix is "gnt".
LAB_ENV = "VCLUSTER_LAB"
LAB_PREFIX = os.environ.get(LAB_ENV, "gnt")
if not re.match(r"^[a-z][a-z0-9]{0,5}$", LAB_PREFIX):
    raise SystemExit("vcluster: invalid %s '%s' (1-6 lowercase letters/digits)"
                     % (LAB_ENV, LAB_PREFIX))
LAB_NETNS = LAB_PREFIX + "-lab"
LAB_BRIDGE = LAB_PREFIX + "-labbr"
NODE_NETNS_FMT = LAB_PREFIX + "-node%d"
LAB_VETH_FMT = LAB_PREFIX + "-v%d"  # lab-side end of node i's link (cut/heal)
NODE_IFACE = "eth0"            # node-side end of the link
NODE_BRIDGE = "xen-br0"        # upstream's default bridge; carries the node's IP


def default_state_dir(prefix: str = LAB_PREFIX) -> str:
    """A lab's own state directory when VCLUSTER_STATE and --state-dir are
    not given: two labs never share state."""
    if prefix == "gnt":
        return "/var/lib/ganeti-vcluster"
    return "/var/lib/ganeti-vcluster-%s" % prefix


DEFAULT_STATE_DIR = default_state_dir()
NODE_NETNS_RE = re.compile(r"^" + re.escape(LAB_PREFIX) + r"-node(\d+)$")
NODE_DIR_RE = re.compile(r"^node(\d+)\." + re.escape(DOMAIN) + "$")

# The global marker naming the state dir that owns the (single) lab.  It lives
# on /run so that it vanishes with the namespaces at reboot.
OWNER_FILE = ("/run/ganeti-vcluster.owner" if LAB_PREFIX == "gnt"
              else "/run/ganeti-vcluster-%s.owner" % LAB_PREFIX)

# (sub-directory of the node's state dir, mount point inside the node)
NODE_DIR_MOUNTS = (
    ("etc-ganeti", "/etc/ganeti"),
    ("etc-ssh", "/etc/ssh"),
    ("var-lib-ganeti", "/var/lib/ganeti"),
    ("var-run-ganeti", "/var/run/ganeti"),
    ("var-log-ganeti", "/var/log/ganeti"),
    ("var-lock", "/var/lock"),
    ("srv-ganeti", "/srv/ganeti"),
    ("root-ssh", "/root/.ssh"),
)
# A node's /etc is an overlay: the host's /etc (or --host-etc) below, the
# node's own "etc" directory (in its state dir) above, so every file a node
# writes there is its own and replacing one by rename works as on a real
# machine.  The node's files (node_etc_files) hide the host's, every host
# entry named like Ganeti's is hidden by a whiteout (a host with upstream
# Ganeti installed changes nothing in a node), and /etc/ganeti and /etc/ssh
# are the node's own directories mounted over it (NODE_DIR_MOUNTS).
HOST_ETC_ENV = "VCLUSTER_HOST_ETC"
DEFAULT_HOST_ETC = "/etc"
NODE_ETC = "etc"
NODE_ETC_WORK = "etc-work"       # overlayfs work directory
NODE_ETC_DIRS = ("default", "ganeti", "ssh")
SRV_SUBDIRS = ("file-storage", "shared-file-storage", "os", "export")
SHARED_DIR = "shared-file-storage"
SHARED_MOUNT = "/srv/ganeti/shared-file-storage"
# Sub-directories holding runtime state only, emptied by "down".
RUNTIME_DIRS = ("var-run-ganeti", "var-lock")
# Testbed emulation: the nodes share the host's kernel, hence its boot id;
# each node sees its own file (StatePaths.boot_id) bind-mounted over the
# kernel's, which a test rewrites in place to emulate a reboot.
BOOT_ID_PATH = "/proc/sys/kernel/random/boot_id"
HOST_KEY_TYPES = (("ed25519", []), ("rsa", ["-b", "2048"]))


class LayoutError(ValueError):
    """Bad input to the layout (bad node count, unknown node name)."""


@dataclass(frozen=True)
class Node:
    """One node "machine" of the lab."""
    index: int

    @property
    def short(self) -> str:
        return "node%d" % self.index

    @property
    def name(self) -> str:
        return "%s.%s" % (self.short, DOMAIN)

    @property
    def address(self) -> str:
        return str(SUBNET.network_address + NODE_HOST_OFFSET + self.index)

    @property
    def secondary_address(self) -> str:
        return str(SECONDARY_SUBNET.network_address + NODE_HOST_OFFSET + self.index)

    @property
    def netns(self) -> str:
        return NODE_NETNS_FMT % self.index

    @property
    def lab_veth(self) -> str:
        return LAB_VETH_FMT % self.index


def check_node_count(count: int) -> int:
    """Return count if it is a usable number of nodes, else raise LayoutError."""
    if not 1 <= count <= MAX_NODES:
        raise LayoutError("number of nodes must be between 1 and %d, not %d"
                          % (MAX_NODES, count))
    return count


def make_nodes(count: int) -> list:
    check_node_count(count)
    return [Node(i) for i in range(1, count + 1)]


def cluster_ip() -> str:
    return str(SUBNET.network_address + CLUSTER_HOST)


def bridge_ip() -> str:
    return str(SUBNET.network_address + LAB_BRIDGE_HOST)


def prefixlen() -> int:
    return SUBNET.prefixlen


def find_node(nodes: list, name: str) -> Node:
    """The node called name (FQDN or short name, any case)."""
    wanted = name.strip().lower().rstrip(".")
    for node in nodes:
        if wanted in (node.name, node.short):
            return node
    if nodes:
        known = "%s..%s" % (nodes[0].short, nodes[-1].short)
    else:
        known = "none"
    raise LayoutError("unknown node '%s' (lab nodes: %s)" % (name, known))


class StatePaths:
    """Where the lab keeps its files below the state directory."""

    def __init__(self, root: str):
        self.root = os.path.abspath(root)

    def join(self, *parts: str) -> str:
        return os.path.join(self.root, *parts)

    @property
    def lab_file(self) -> str:
        return self.join("lab.json")

    @property
    def lock_file(self) -> str:
        return self.join(".lock")

    @property
    def lab_key(self) -> str:
        return self.join("lab_key")

    @property
    def shared_dir(self) -> str:
        return self.join(SHARED_DIR)

    def node_dir(self, node: Node, *parts: str) -> str:
        return self.join(node.name, *parts)

    def host_key_dir(self, node: Node) -> str:
        """Host keys survive down/up, like a machine's keys survive a reboot.

        Every node has the same host keys, as on an upstream cluster (node
        setup gives every node the cluster's keys), so one known_hosts entry
        under the cluster name is valid for all of them.
        """
        return self.join("hostkeys", "cluster")

    def holder_pid(self, node: Node) -> str:
        return self.node_dir(node, "holder.pid")

    def holder_log(self, node: Node) -> str:
        return self.node_dir(node, "holder.log")

    def sshd_pid(self, node: Node) -> str:
        return self.node_dir(node, "sshd.pid")

    def sshd_log(self, node: Node) -> str:
        return self.node_dir(node, "sshd.log")

    def boot_id(self, node: Node) -> str:
        """The node's emulated boot id (see BOOT_ID_PATH)."""
        return self.node_dir(node, "boot_id")


def file_storage_paths() -> str:
    """/etc/ganeti/file-storage-paths of every node: the file and shared
    file storage directories under /srv/ganeti."""
    return "".join("/srv/ganeti/%s\n" % sub for sub in SRV_SUBDIRS
                   if sub in ("file-storage", "shared-file-storage"))


def hosts_file(nodes: list) -> str:
    """/etc/hosts for every node: all nodes plus the cluster name."""
    lines = ["# Generated by vcluster: every node of the lab and the cluster.",
             "127.0.0.1\tlocalhost",
             "::1\tlocalhost ip6-localhost ip6-loopback",
             "%s\t%s %s" % (cluster_ip(), CLUSTER_NAME, CLUSTER_NAME.split(".")[0])]
    for node in nodes:
        lines.append("%s\t%s %s" % (node.address, node.name, node.short))
    return "\n".join(lines) + "\n"


def etc_default_ganeti() -> str:
    """The node's /etc/default/ganeti: no extra daemon arguments."""
    return ("# Generated by vcluster: extra daemon arguments of this node"
            " (e.g. NODED_ARGS).\n")


def node_etc_files(node: Node, nodes: list) -> dict:
    """The files of a node's own /etc layer: path below /etc -> content."""
    return {"hosts": hosts_file(nodes), "hostname": node.name + "\n",
            "resolv.conf": resolv_conf(),
            "default/ganeti": etc_default_ganeti()}


def is_ganeti_entry(name: str) -> bool:
    """Whether a host /etc entry belongs to Ganeti (hidden from the nodes)."""
    return "ganeti" in name.lower()


def etc_overlay_options(node: Node, paths: StatePaths, host_etc: str) -> str:
    """mount -o options of a node's /etc overlay.

    The kernel splits these options at "," and ":" (and treats "\\" as an
    escape), so paths holding them are refused rather than misread.
    """
    dirs = [host_etc, paths.node_dir(node, NODE_ETC),
            paths.node_dir(node, NODE_ETC_WORK)]
    for path in dirs:
        bad = sorted(set(path) & set(",:\\"))
        if bad or not os.path.isabs(path):
            raise LayoutError("cannot use '%s' in a node's /etc overlay (%s)"
                              % (path, "contains '%s'" % "".join(bad) if bad
                                 else "not an absolute path"))
    return "lowerdir=%s,upperdir=%s,workdir=%s" % tuple(dirs)


def resolv_conf() -> str:
    """No name server in the lab: names come from /etc/hosts only."""
    return ("# Generated by vcluster: the lab has no DNS; see /etc/hosts.\n"
            "search %s\noptions timeout:1 attempts:1\n" % DOMAIN)


def known_hosts(nodes: list, host_keys: dict) -> str:
    """known_hosts naming every node's host keys by FQDN, short name and IP.

    host_keys maps a node name to its public key lines ("type base64 [comment]").
    """
    lines = []
    for node in nodes:
        for key in host_keys.get(node.name, []):
            fields = key.split()
            lines.append("%s,%s,%s %s %s" % (node.name, node.short, node.address,
                                             fields[0], fields[1]))
    return "\n".join(lines) + "\n"


def sshd_config(node: Node, paths: StatePaths) -> str:
    """sshd_config of a node; it is read as /etc/ssh/sshd_config inside the node."""
    keys = "".join("HostKey /etc/ssh/ssh_host_%s_key\n" % kind
                   for kind, _ in HOST_KEY_TYPES)
    return (
        "# Generated by vcluster for %(name)s.\n"
        "ListenAddress %(addr)s:22\n"
        "%(keys)s"
        "PidFile %(pid)s\n"
        "PermitRootLogin prohibit-password\n"
        "PubkeyAuthentication yes\n"
        "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\n"
        "UsePAM no\n"
        "UseDNS no\n"
        "PrintMotd no\n"
        "AcceptEnv LANG LC_*\n"
        "Subsystem sftp internal-sftp\n"
        % {"name": node.name, "addr": node.address, "keys": keys,
           "pid": paths.sshd_pid(node)})


def ssh_config() -> str:
    """Client configuration inside every node."""
    return ("# Generated by vcluster.\n"
            "Host *\n"
            "    SendEnv LANG LC_*\n"
            "    HashKnownHosts no\n"
            "    GSSAPIAuthentication no\n")


def _q(text: str) -> str:
    """Single-quote text for /bin/sh."""
    return "'" + text.replace("'", "'\\''") + "'"


def holder_script(node: Node, paths: StatePaths, sshd: str,
                  host_etc: str = DEFAULT_HOST_ETC, extra_mounts: tuple = ()) -> str:
    """The /bin/sh program a node's holder runs inside its new namespaces.

    It gives the node its hostname, its /etc overlay (first: the other
    mounts below /etc land on it) and private directories, starts sshd,
    records its own PID (the ready signal) and then becomes a sleeping process
    that keeps the namespaces alive.  extra_mounts are shell lines run
    after the other mounts (e.g. the --storage emulation's).
    """
    cmds = ["set -e",
            # "ip netns exec" copied the host's /run/netns mounts into this
            # namespace; drop them so a node never pins another's netns.
            "umount -l /run/netns 2>/dev/null || true",
            "hostname %s" % _q(node.name)]
    cmds.append("mount -t overlay vcluster-etc -o %s /etc"
                % _q(etc_overlay_options(node, paths, host_etc)))
    for sub, target in NODE_DIR_MOUNTS:
        cmds.append("mount --bind %s %s" % (_q(paths.node_dir(node, sub)), _q(target)))
    cmds.append("mount --bind %s %s" % (_q(paths.shared_dir), _q(SHARED_MOUNT)))
    cmds.append("mount --bind %s %s" % (_q(paths.boot_id(node)),
                                        _q(BOOT_ID_PATH)))
    cmds.extend(extra_mounts)
    cmds.append("%s -f /etc/ssh/sshd_config -E %s" % (_q(sshd), _q(paths.sshd_log(node))))
    cmds.append("echo $$ > %s" % _q(paths.holder_pid(node)))
    cmds.append("exec sleep infinity")
    return "\n".join(cmds) + "\n"


def lab_net_batch(nodes: list) -> str:
    """"ip -batch" input run in the lab netns: the bridge and one veth per node.

    The node end of each veth is created directly in the node's netns, so no
    lab interface ever exists in the host's network namespace.
    """
    lines = ["link set lo up",
             "link add %s type bridge" % LAB_BRIDGE,
             "addr add %s/%d dev %s" % (bridge_ip(), prefixlen(), LAB_BRIDGE),
             "link set %s up" % LAB_BRIDGE]
    for node in nodes:
        lines.append("link add %s type veth peer name %s netns %s"
                     % (node.lab_veth, NODE_IFACE, node.netns))
        lines.append("link set %s master %s" % (node.lab_veth, LAB_BRIDGE))
        lines.append("link set %s up" % node.lab_veth)
    return "\n".join(lines) + "\n"


def node_net_batch(node: Node) -> str:
    """"ip -batch" input run in a node's netns: loopback, bridge, address."""
    return "\n".join([
        "link set lo up",
        "link add %s type bridge" % NODE_BRIDGE,
        "link set %s master %s" % (NODE_IFACE, NODE_BRIDGE),
        "link set %s up" % NODE_IFACE,
        "link set %s up" % NODE_BRIDGE,
        "addr add %s/%d dev %s" % (node.address, prefixlen(), NODE_BRIDGE),
        "addr add %s/%d dev %s" % (node.secondary_address,
                                   SECONDARY_SUBNET.prefixlen, NODE_BRIDGE),
    ]) + "\n"


def lab_netns_names(listing: str) -> list:
    """Names of lab namespaces in "ip netns list" output (for cleanup)."""
    names = []
    for line in listing.splitlines():
        fields = line.split()
        if not fields:
            continue
        name = fields[0]
        if name == LAB_NETNS or NODE_NETNS_RE.match(name):
            names.append(name)
    return names


def nsenter_argv(holder_pid: int, argv: list) -> list:
    """Command line running argv inside a node whose holder has holder_pid."""
    return ["nsenter", "-t", str(holder_pid), "-m", "-u", "-n", "--wd=/", "--"] + list(argv)
