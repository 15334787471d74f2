"""System helpers of vcluster: running programs, processes, locks, lab state.

Shared by the lifecycle (up/down) and the CLI; only the standard library.
"""

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import time

from ganeti.tools import vcluster_layout as L
from ganeti.tools.vcluster_layout import StatePaths

SBIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
LOCK_WAIT = 120.0        # seconds to wait for another up/down to finish


class Error(Exception):
    """A failure reported to the user as one line, exit status 1."""


# ---------------------------------------------------------------- helpers

def tool(name: str) -> str:
    """Absolute path of a system program (also searching the sbin dirs)."""
    path = shutil.which(name, path=os.environ.get("PATH", "") + ":" + SBIN_PATH)
    if path is None:
        raise Error("required program '%s' not found (install it first)" % name)
    return path


def run(argv: list, input_text: str = None, check: bool = True,
        timeout: float = 60.0) -> subprocess.CompletedProcess:
    """Run a program to completion, capturing its output."""
    argv = [tool(argv[0])] + list(argv[1:])
    try:
        res = subprocess.run(argv, input=input_text, capture_output=True, text=True,
                             timeout=timeout, cwd="/")
    except subprocess.TimeoutExpired:
        raise Error("'%s' timed out after %ds" % (" ".join(argv), timeout)) from None
    if check and res.returncode != 0:
        detail = (res.stderr.strip().splitlines() or ["exit %d" % res.returncode])[-1]
        raise Error("'%s' failed: %s" % (" ".join(argv[:4]), detail))
    return res


def proc_start_time(pid: int):
    """Start time (clock ticks) of a live, non-zombie process, else None."""
    try:
        with open("/proc/%d/stat" % pid) as stat:
            data = stat.read()
    except (OSError, ValueError):
        return None
    fields = data[data.rfind(")") + 2:].split()
    if not fields or fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def alive(pid, start=None) -> bool:
    """Whether pid runs (and, with start, is still the same process)."""
    if not pid:
        return False
    now = proc_start_time(pid)
    return now is not None and (start is None or now == start)


def read_pid(path: str):
    try:
        with open(path) as handle:
            return int(handle.read().strip())
    except (OSError, ValueError):
        return None


def write(path: str, text: str, mode: int = 0o644) -> None:
    with open(path, "w") as handle:
        handle.write(text)
    os.chmod(path, mode)


def ns_id(path: str):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def host_mounts_below(root: str) -> list:
    """Mount points of the host's mount namespace at or below root."""
    found = []
    with open("/proc/self/mountinfo") as info:
        for line in info:
            point = line.split()[4].replace("\\040", " ")
            if point == root or point.startswith(root + "/"):
                found.append(point)
    return found


@contextlib.contextmanager
def locked(paths: StatePaths):
    """Serialise commands that change the lab (bounded wait)."""
    os.makedirs(paths.root, mode=0o755, exist_ok=True)
    with open(paths.lock_file, "w") as lock:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise Error("another vcluster command holds %s" % paths.lock_file)
                time.sleep(0.2)
        yield


# ---------------------------------------------------------------- lab state

def lab_netns_exists() -> bool:
    return os.path.exists(os.path.join("/run/netns", L.LAB_NETNS))


def state_paths(state_dir: str = None) -> StatePaths:
    return StatePaths(state_dir or os.environ.get(L.STATE_ENV) or L.DEFAULT_STATE_DIR)


def load_lab(state_dir: str = None) -> dict:
    """The recorded lab (lab.json), or None if there is none."""
    try:
        with open(state_paths(state_dir).lab_file) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def save_lab(paths: StatePaths, lab: dict) -> None:
    tmp = paths.lab_file + ".tmp"
    write(tmp, json.dumps(lab, indent=1, sort_keys=True) + "\n")
    os.rename(tmp, paths.lab_file)


def require_lab(paths: StatePaths) -> dict:
    lab = load_lab(paths.root)
    if lab is None or not lab.get("ready") or not lab_netns_exists():
        raise Error("the lab is not up (state %s); run 'vcluster up'" % paths.root)
    return lab


def check_lab_of_state(paths: StatePaths) -> None:
    """Refuse a state dir whose recorded lab is another VCLUSTER_LAB's: a
    lab never stops, wipes or reuses another lab's processes and files."""
    lab = load_lab(paths.root)
    other = (lab or {}).get("lab_netns")
    if other and other != L.LAB_NETNS:
        raise Error("state dir %s belongs to the lab %s, not %s; use another"
                    " state dir or %s=%s" % (paths.root, other, L.LAB_NETNS,
                                             L.LAB_ENV, other[:-len("-lab")]))


def check_owner(paths: StatePaths) -> None:
    """Refuse to act on a live lab that another state dir created."""
    try:
        with open(L.OWNER_FILE) as handle:
            owner = handle.read().strip()
    except OSError:
        return
    if owner and owner != paths.root and lab_netns_exists():
        raise Error("the running lab belongs to state dir %s; use --state-dir %s"
                    % (owner, owner))


PROBE_PROGRAM = r"""
import errno, select, socket, sys, time
port, limit, addrs = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
res, pending = {}, {}
for a in addrs:
    s = socket.socket()
    s.setblocking(False)
    e = s.connect_ex((a, port))
    if e in (errno.EINPROGRESS, errno.EAGAIN):
        pending[s] = a
    else:
        res[a] = e == 0
        s.close()
end = time.monotonic() + limit
while pending and time.monotonic() < end:
    _, ready, _ = select.select([], list(pending), [], max(0.0, end - time.monotonic()))
    for s in ready:
        res[pending.pop(s)] = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
        s.close()
for a in pending.values():
    res[a] = False
print(" ".join("%s=%d" % (a, res[a]) for a in addrs))
"""


def probe(addresses: list, timeout: float = 1.0) -> dict:
    """Which addresses accept TCP connections on port 22, seen from the lab netns."""
    if not addresses:
        return {}
    res = run(["ip", "netns", "exec", L.LAB_NETNS, sys.executable, "-c", PROBE_PROGRAM,
               "22", str(timeout)] + list(addresses), timeout=timeout + 30)
    out = {}
    for item in res.stdout.split():
        addr, _, ok = item.partition("=")
        out[addr] = ok == "1"
    return out


def print_table(header: list, rows: list) -> None:
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    for row in [header] + rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())
