"""vcluster lifecycle: bring the lab up (files, keys, network, holders) and down.

See ganeti.tools.vcluster for the overall shape of the lab.
"""

import contextlib
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
import uuid

from ganeti.tools import make_guest
from ganeti.tools import vcluster_layout as L
from ganeti.tools import vcluster_storage
from ganeti.tools import vcluster_sys as S
from ganeti.tools.vcluster_layout import StatePaths
from ganeti.tools.vcluster_sys import Error

_START_WAIT = 60.0        # seconds for all holders and sshds to come up
_REACH_WAIT = 20.0        # seconds for every sshd to accept connections
_KILL_WAIT = 5.0          # seconds for processes to die after a signal


# ---------------------------------------------------------------- up

def _keygen(path: str, kind: str, extra: list, comment: str) -> subprocess.Popen:
    return subprocess.Popen([S.tool("ssh-keygen"), "-q", "-t", kind] + extra +
                            ["-N", "", "-C", comment, "-f", path],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def _wait_all(procs: list, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    for proc in procs:
        try:
            _, err = proc.communicate(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise Error("%s timed out" % what) from None
        if proc.returncode != 0:
            text = err.decode(errors="replace") if isinstance(err, bytes) else (err or "")
            raise Error("%s failed: %s" % (what, (text.strip().splitlines() or ["?"])[-1]))


def _make_keys(paths: StatePaths, nodes: list) -> dict:
    """Create missing keys (lab key, per-node host keys); return host pub keys."""
    procs = []
    if not os.path.exists(paths.lab_key):
        procs.append(_keygen(paths.lab_key, "ed25519", [], "vcluster-lab"))
    for kdir in sorted(set(paths.host_key_dir(node) for node in nodes)):
        os.makedirs(kdir, mode=0o700, exist_ok=True)
        for kind, extra in L.HOST_KEY_TYPES:
            key = os.path.join(kdir, "ssh_host_%s_key" % kind)
            if not (os.path.exists(key) and os.path.exists(key + ".pub")):
                for stale in (key, key + ".pub"):
                    if os.path.exists(stale):
                        os.unlink(stale)
                procs.append(_keygen(key, kind, extra, "root@vcluster"))
    _wait_all(procs, "ssh-keygen")
    pubs = {}
    for node in nodes:
        pubs[node.name] = []
        for kind, _ in L.HOST_KEY_TYPES:
            with open(os.path.join(paths.host_key_dir(node),
                                   "ssh_host_%s_key.pub" % kind)) as handle:
                pubs[node.name].append(handle.read().strip())
    return pubs


def _wipe_node_dirs(paths: StatePaths) -> None:
    """Remove per-node data of an earlier lab: every up starts fresh machines."""
    mounted = S.host_mounts_below(paths.root)
    if mounted:
        raise Error("refusing to clean %s: %s is mounted on the host"
                    % (paths.root, mounted[0]))
    for entry in os.listdir(paths.root):
        if L.NODE_DIR_RE.match(entry):
            shutil.rmtree(paths.join(entry))
    shutil.rmtree(paths.shared_dir, ignore_errors=True)


def _host_mount_points() -> None:
    """Create the (empty) mount points the nodes mount over, where missing.

    Those below /etc are in each node's own /etc layer: the host's /etc is
    never written.
    """
    for _, target in L.NODE_DIR_MOUNTS:
        if not target.startswith("/etc/"):
            os.makedirs(target, mode=0o700 if target == "/root/.ssh" else 0o755,
                        exist_ok=True)
    # sshd's privilege separation directory (normally made by its init script).
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)


def _host_ganeti_entries(host_etc: str) -> list:
    """Paths (relative to host_etc) of its Ganeti entries, outermost only."""
    found = []
    for top, dirs, files in os.walk(host_etc, onerror=lambda err: None):
        rel = os.path.relpath(top, host_etc)
        for name in sorted(dirs + files):
            if L.is_ganeti_entry(name):
                found.append(os.path.normpath(os.path.join(rel, name)))
        dirs[:] = [d for d in dirs if not L.is_ganeti_entry(d)]
    return found


def _make_node_etc(etc: str, host_etc: str, files: dict, hidden: list) -> None:
    """Fill a node's own /etc layer: its files, the directories mounted over
    and a whiteout (overlayfs: character device 0/0) on every host Ganeti
    entry it does not replace.  A directory made here takes its mode and
    owner from the host's, as the overlay shows this layer's."""
    def make_dirs(rel: str) -> None:
        path = os.path.normpath(os.path.join(etc, rel))
        if os.path.isdir(path):
            return
        if path != etc:
            make_dirs(os.path.dirname(rel))
        os.mkdir(path, 0o755)
        source = os.path.normpath(os.path.join(host_etc, rel))
        if os.path.isdir(source) and not os.path.islink(source):
            info = os.stat(source)
            os.chown(path, info.st_uid, info.st_gid)
            os.chmod(path, info.st_mode & 0o7777)

    make_dirs("")
    for sub in L.NODE_ETC_DIRS:
        make_dirs(sub)
    for rel, content in files.items():
        make_dirs(os.path.dirname(rel))
        S.write(os.path.join(etc, rel), content)
    for rel in hidden:
        if not os.path.lexists(os.path.join(etc, rel)):
            make_dirs(os.path.dirname(rel))
            os.mknod(os.path.join(etc, rel), 0o600 | stat.S_IFCHR, os.makedev(0, 0))


def _prepare_files(paths: StatePaths, nodes: list, host_etc: str) -> None:
    _wipe_node_dirs(paths)
    os.makedirs(paths.shared_dir, mode=0o755)
    _host_mount_points()
    host_pubs = _make_keys(paths, nodes)
    hidden = _host_ganeti_entries(host_etc)
    known = L.known_hosts(nodes, host_pubs)
    moduli = os.path.join(host_etc, "ssh", "moduli")
    with open(paths.lab_key) as handle:
        lab_priv = handle.read()
    with open(paths.lab_key + ".pub") as handle:
        lab_pub = handle.read()
    for node in nodes:
        for sub, _ in L.NODE_DIR_MOUNTS:
            os.makedirs(paths.node_dir(node, sub), mode=0o755)
        for sub in L.SRV_SUBDIRS:
            os.mkdir(paths.node_dir(node, "srv-ganeti", sub), 0o755)
        make_guest.InstallExampleOSes(paths.node_dir(node, "srv-ganeti", "os"))
        os.chmod(paths.node_dir(node, "root-ssh"), 0o700)
        _make_node_etc(paths.node_dir(node, L.NODE_ETC), host_etc,
                       L.node_etc_files(node, nodes), hidden)
        os.mkdir(paths.node_dir(node, L.NODE_ETC_WORK), 0o700)
        # As an administrator would: allow the testbed's file storage dirs.
        S.write(paths.node_dir(node, "etc-ganeti", "file-storage-paths"),
                L.file_storage_paths())
        etc_ssh = paths.node_dir(node, "etc-ssh")
        S.write(os.path.join(etc_ssh, "sshd_config"), L.sshd_config(node, paths))
        S.write(os.path.join(etc_ssh, "ssh_config"), L.ssh_config())
        for kind, _ in L.HOST_KEY_TYPES:
            for suffix in ("", ".pub"):
                base = "ssh_host_%s_key%s" % (kind, suffix)
                shutil.copy2(os.path.join(paths.host_key_dir(node), base),
                             os.path.join(etc_ssh, base))
        if os.path.exists(moduli):
            try:
                os.link(moduli, os.path.join(etc_ssh, "moduli"))
            except OSError:
                shutil.copy2(moduli, os.path.join(etc_ssh, "moduli"))
        S.write(paths.boot_id(node), "%s\n" % uuid.uuid4())
        root_ssh = paths.node_dir(node, "root-ssh")
        S.write(os.path.join(root_ssh, "id_ed25519"), lab_priv, 0o600)
        S.write(os.path.join(root_ssh, "id_ed25519.pub"), lab_pub)
        S.write(os.path.join(root_ssh, "authorized_keys"), lab_pub, 0o600)
        S.write(os.path.join(root_ssh, "known_hosts"), known)


def _setup_network(nodes: list) -> None:
    S.run(["ip", "-batch", "-"], "".join("netns add %s\n" % ns for ns in
                                         [L.LAB_NETNS] + [n.netns for n in nodes]))
    S.run(["ip", "-n", L.LAB_NETNS, "-batch", "-"], L.lab_net_batch(nodes))
    ip = S.tool("ip")
    procs = []
    for node in nodes:
        proc = subprocess.Popen([ip, "-n", node.netns, "-batch", "-"],
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, cwd="/")
        proc.stdin.write(L.node_net_batch(node).encode())
        proc.stdin.close()
        proc.stdin = None
        procs.append(proc)
    _wait_all(procs, "node network setup")


def _start_holders(paths: StatePaths, nodes: list, host_etc: str,
                   storage: bool = False) -> dict:
    """Start every node's holder; return node name -> lab.json entry."""
    argv0 = [S.tool("ip"), "netns", "exec"]
    unshare = [S.tool("unshare"), "--mount", "--uts", "--propagation", "private", "--",
               "/bin/sh", "-c"]
    sshd = S.tool("sshd")
    procs = {}
    real_lvm = vcluster_storage.real_lvm_path() if storage else None
    for node in nodes:
        extra = (vcluster_storage.holder_lines(node, paths, real_lvm)
                 if storage else ())
        script = L.holder_script(node, paths, sshd, host_etc, extra)
        with open(paths.holder_log(node), "wb") as log:
            procs[node.name] = subprocess.Popen(
                argv0 + [node.netns] + unshare + [script],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd="/", start_new_session=True)
    entries = {}
    deadline = time.monotonic() + _START_WAIT
    while len(entries) < len(nodes):
        for node in nodes:
            if node.name in entries:
                continue
            proc = procs[node.name]
            holder = S.read_pid(paths.holder_pid(node))
            sshd_pid = S.read_pid(paths.sshd_pid(node))
            if holder and S.alive(sshd_pid):
                entries[node.name] = {
                    "index": node.index, "name": node.name, "short": node.short,
                    "address": node.address, "netns": node.netns,
                    "lab_veth": node.lab_veth, "holder_pid": holder,
                    "holder_start": S.proc_start_time(holder),
                    "sshd_pid": sshd_pid, "sshd_start": S.proc_start_time(sshd_pid)}
            elif proc.poll() is not None:
                with open(paths.holder_log(node), errors="replace") as log:
                    lines = log.read().strip().splitlines() or ["exit %d" % proc.returncode]
                raise Error("node %s failed to start: %s" % (node.name, lines[-1]))
        if len(entries) < len(nodes):
            if time.monotonic() > deadline:
                missing = [n.name for n in nodes if n.name not in entries]
                raise Error("nodes did not start within %ds: %s"
                            % (_START_WAIT, ", ".join(missing)))
            time.sleep(0.05)
    return entries


def _wait_reachable(nodes: list) -> None:
    deadline = time.monotonic() + _REACH_WAIT
    waiting = [n.address for n in nodes]
    while waiting:
        reach = S.probe(waiting, timeout=1.0)
        waiting = [a for a in waiting if not reach.get(a)]
        if waiting and time.monotonic() > deadline:
            raise Error("sshd not reachable on: %s" % ", ".join(waiting))
        if waiting:
            time.sleep(0.1)


def _check_host_etc(paths: StatePaths, nodes: list, host_etc: str) -> str:
    """host_etc as an absolute path, if nodes can have it below their /etc."""
    host_etc = os.path.abspath(host_etc)
    if not os.path.isdir(host_etc):
        raise Error("host /etc source %s is not a directory" % host_etc)
    L.etc_overlay_options(nodes[-1], paths, host_etc)  # raises LayoutError
    return host_etc


def cmd_up(paths: StatePaths, count: int,
           host_etc: str = L.DEFAULT_HOST_ETC, storage: bool = False) -> int:
    """Bring up a lab of count nodes whose /etc lies over host_etc (with
    storage: a volume group on each node, see vcluster_storage)."""
    started = time.monotonic()
    nodes = L.make_nodes(count)
    host_etc = _check_host_etc(paths, nodes, host_etc)
    with S.locked(paths):
        S.check_lab_of_state(paths)
        if S.lab_netns_exists():
            raise Error("a lab is already up; run 'vcluster down' first")
        _teardown(paths)          # leftovers of a crashed lab, if any
        with open(L.OWNER_FILE, "w") as owner:
            owner.write(paths.root + "\n")
        lab = {"version": 1, "ready": False, "state_dir": paths.root,
               "cluster_name": L.CLUSTER_NAME, "cluster_ip": L.cluster_ip(),
               "lab_netns": L.LAB_NETNS, "bridge": L.LAB_BRIDGE,
               "bridge_ip": L.bridge_ip(), "netmask": L.prefixlen(),
               "node_bridge": L.NODE_BRIDGE, "lab_key": paths.lab_key,
               "host_etc": host_etc,
               "nodes": [{"index": n.index, "name": n.name, "netns": n.netns}
                         for n in nodes]}
        try:
            _prepare_files(paths, nodes, host_etc)
            S.save_lab(paths, lab)     # from here on, down knows what to clean
            if storage:
                lab["storage"] = {"vg": vcluster_storage.VG_NAME,
                                  "pvs": vcluster_storage.setup(paths, nodes)}
                S.save_lab(paths, lab)
            _setup_network(nodes)
            entries = _start_holders(paths, nodes, host_etc, storage)
            lab["nodes"] = [entries[n.name] for n in nodes]
            S.save_lab(paths, lab)
            _wait_reachable(nodes)
        except BaseException:
            try:
                _teardown(paths)
            except Error as err:
                sys.stderr.write("vcluster: cleanup after failed up: %s\n" % err)
            raise
        lab["ready"] = True
        S.save_lab(paths, lab)
    S.print_table(["Node", "Address", "Holder", "sshd"],
                  [[e["name"], e["address"], str(e["holder_pid"]), str(e["sshd_pid"])]
                   for e in lab["nodes"]])
    print("Cluster name %s, address %s (free for the master IP)"
          % (L.CLUSTER_NAME, L.cluster_ip()))
    if storage:
        print("Storage: volume group %s on each node (loop-backed PV of %d GiB,"
              " LV activation emulated)" % (vcluster_storage.VG_NAME,
                                            vcluster_storage.PV_SIZE >> 30))
    print("Lab netns %s, bridge %s (%s/%d), state %s; up in %.1fs"
          % (L.LAB_NETNS, L.LAB_BRIDGE, L.bridge_ip(), L.prefixlen(), paths.root,
             time.monotonic() - started))
    return 0


# ---------------------------------------------------------------- down

def _lab_pids(netns_ids: set, mnt_ids: set) -> set:
    """PIDs of processes in any of the given network or mount namespaces."""
    pids = set()
    me = os.getpid()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == me:
            continue
        for kind, wanted in (("net", netns_ids), ("mnt", mnt_ids)):
            if wanted and S.ns_id("/proc/%s/ns/%s" % (name, kind)) in wanted:
                pids.add(int(name))
                break
    return pids


def _kill_all(pids: set, sig: int) -> set:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + _KILL_WAIT
    left = {p for p in pids if S.alive(p)}
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = {p for p in left if S.alive(p)}
    return left


def _teardown(paths: StatePaths) -> tuple:
    """Stop every lab process and remove the lab; safe to repeat.

    Returns (processes stopped, namespaces removed).
    """
    lab = S.load_lab(paths.root) or {}
    listing = S.run(["ip", "netns", "list"]).stdout
    names = L.lab_netns_names(listing)
    holders = {}
    for entry in lab.get("nodes", []):
        if S.alive(entry.get("holder_pid"), entry.get("holder_start")):
            holders[entry["holder_pid"]] = entry
    stopped = set()
    for attempt in range(4):
        net_ids = {S.ns_id("/run/netns/" + n) for n in names} - {None}
        mnt_ids = {S.ns_id("/proc/%d/ns/mnt" % p) for p in holders} - {None}
        pids = _lab_pids(net_ids, mnt_ids)
        pids |= {p for p, e in holders.items() if S.alive(p, e.get("holder_start"))}
        pids = {p for p in pids if S.alive(p)}
        if not pids:
            break
        stopped |= pids
        left = _kill_all(pids, signal.SIGTERM if attempt == 0 else signal.SIGKILL)
        if left and attempt == 3:
            raise Error("could not stop lab processes: %s"
                        % " ".join(map(str, sorted(left))))
    if names:
        S.run(["ip", "-batch", "-"], "".join("netns del %s\n" % n for n in names))
    vcluster_storage.teardown(paths, lab)
    # Runtime bits; node data and logs stay for inspection until the next up.
    for entry in lab.get("nodes", []):
        node = L.Node(entry["index"])
        for path in (paths.holder_pid(node), paths.sshd_pid(node)):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        for sub in L.RUNTIME_DIRS:
            runtime = paths.node_dir(node, sub)
            if os.path.isdir(runtime) and not S.host_mounts_below(runtime):
                shutil.rmtree(runtime)
                os.mkdir(runtime, 0o755)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(paths.lab_file)
    try:
        with open(L.OWNER_FILE) as handle:
            if handle.read().strip() == paths.root:
                os.unlink(L.OWNER_FILE)
    except FileNotFoundError:
        pass
    return len(stopped), len(names)


def cmd_down(paths: StatePaths) -> int:
    with S.locked(paths):
        S.check_lab_of_state(paths)
        S.check_owner(paths)
        stopped, removed = _teardown(paths)
    print("lab is down (stopped %d processes, removed %d namespaces)" % (stopped, removed))
    return 0
