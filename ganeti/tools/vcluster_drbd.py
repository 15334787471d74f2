"""The testbed's emulated DRBD kernel module (vcluster up --storage; TESTBED ONLY).

The development and CI kernels have no DRBD module (nor NBD or ublk), so
inside a lab node the DRBD kernel interface is emulated, never installed by
``make install`` and never on the product's code path (the product runs
drbdsetup/drbdmeta and reads /proc/drbd exactly as on a real node):

- ``drbdsetup`` and ``drbdmeta`` (8.4 command set) in the node's /usr/sbin
  are small programs (this module's Main) that hand the command to the
  node's emulation daemon (this module's Daemon, started on first use, one
  per node) over a unix socket;
- /proc/drbd and /sys/module/drbd/parameters/usermode_helper: the node's
  /etc/ld.so.preload loads a tiny library that redirects opening these two
  paths to files the daemon keeps up to date (DRBD 8.4's /proc/drbd layout,
  see vcluster_drbd_text);
- /dev/drbdN of a Primary is a real block device: a loop device over a file
  that qemu-storage-daemon exports with FUSE, whose NBD client is the
  daemon (vcluster_drbd_nbd); the daemon writes the local data LV and, over
  TCP between the nodes' DRBD addresses and port, the peer's before the
  write completes (protocol C, vcluster_drbd_peer); a cut link makes the
  minors WFConnection, written blocks are marked out of sync on the meta LV
  and resynced (with progress in /proc/drbd) when the link is back.

Only the Python standard library is used.
"""

import fcntl
import json
import os
import socket
import stat
import subprocess
import sys
import threading
import time

from ganeti.tools import vcluster_drbd_text as text
from ganeti.tools.vcluster_drbd_minor import DrbdError, Minor, CreateMeta, ReadMeta

CONF_FILE = "/etc/vcluster-drbd/conf.json"
PROC_NAME = "proc_drbd"
HELPER_NAME = "usermode_helper"
CONTROL = "control.sock"
_SIZE_UNITS = {"s": 512, "k": 1024, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def LoadConf(path: str = CONF_FILE) -> dict:
    with open(path) as handle:
        return json.load(handle)


def ParseSize(value: str, default_unit: str = "s") -> int:
    """Bytes of a drbdsetup size ("1024m", "2097152s"; bare: default_unit)."""
    value = value.strip().lower()
    unit = value[-1] if value and value[-1] in _SIZE_UNITS else default_unit
    number = value[:-1] if value and value[-1] in _SIZE_UNITS else value
    return int(number) * _SIZE_UNITS[unit]


def ParseAddress(word: str) -> tuple:
    """(family, host, port) of "ipv4:1.2.3.4:11000" / "ipv6:[::1]:11000"."""
    family, _, rest = word.partition(":")
    if family not in ("ipv4", "ipv6"):
        family, rest = "ipv4", word
    host, _, port = rest.rpartition(":")
    return family, host.strip("[]"), int(port)


def SplitOptions(args: list) -> tuple:
    """(positional words, {option: value}) of drbdsetup arguments; options
    without a value (--force, --allow-two-primaries) map to "yes"."""
    flags = ("--force", "--allow-two-primaries", "--discard-my-data",
             "--overwrite-data-of-peer")
    words, opts, index = [], {}, 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg.startswith("--"):
            name, sep, value = arg[2:].partition("=")
            if not sep and arg not in flags and index < len(args):
                value = args[index]
                index += 1
            opts[name] = value if (sep or arg not in flags) else "yes"
        else:
            words.append(arg)
    return words, opts


class Env:
    """What a minor needs from the node: paths and the block device."""

    def __init__(self, conf: dict) -> None:
        self.conf = conf
        self.run_dir = conf["run_dir"]

    def Path(self, name: str) -> str:
        return os.path.join(self.run_dir, name)

    @staticmethod
    def DevPath(minor: int) -> str:
        return "/dev/drbd%d" % minor

    def _Run(self, argv: list) -> str:
        res = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        if res.returncode != 0:
            raise DrbdError("%s: %s" % (" ".join(argv), res.stderr.strip()), 10)
        return res.stdout.strip()

    def Expose(self, minor: int, size: int) -> tuple:
        """Start the FUSE export and the loop device; /dev/drbdN on it."""
        image = os.path.join(self.run_dir, "m%d.img" % minor)
        with open(image, "wb"):
            pass
        log = open(os.path.join(self.run_dir, "qsd-m%d.log" % minor), "ab")
        qsd = subprocess.Popen(
            [self.conf["qsd"], "--blockdev",
             "driver=nbd,node-name=drbd%d,server.type=unix,server.path=%s"
             % (minor, os.path.join(self.run_dir, "m%d.nbd" % minor)),
             "--export", "type=fuse,id=export%d,node-name=drbd%d,mountpoint=%s,"
             "writable=on" % (minor, minor, image)],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + 15
        while os.stat(image).st_size != size:
            if qsd.poll() is not None or time.monotonic() > deadline:
                qsd.kill()
                qsd.wait()
                raise DrbdError("%d: the emulation's FUSE export did not start"
                                % minor, 10)
            time.sleep(0.05)
        try:
            loop = self._Run([self.conf["losetup"], "-f", "--show", image])
            dev = self.DevPath(minor)
            if not os.path.exists(dev):
                with open(dev, "w"):
                    pass
            self._Run(["mount", "--bind", loop, dev])
        except DrbdError:
            qsd.kill()
            qsd.wait()
            raise
        return qsd, loop

    def Unexpose(self, minor: int, qsd, loop: str) -> None:
        subprocess.run(["umount", self.DevPath(minor)], capture_output=True)
        subprocess.run([self.conf["losetup"], "-d", loop], capture_output=True)
        qsd.terminate()
        try:
            qsd.wait(10)
        except subprocess.TimeoutExpired:
            qsd.kill()
            qsd.wait()

    @staticmethod
    def _Holders(rdev: int) -> list:
        """PIDs of the processes holding the block device rdev open."""
        found = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                fds = os.listdir("/proc/%s/fd" % pid)
            except OSError:
                continue
            for fd in fds:
                path = "/proc/%s/fd/%s" % (pid, fd)
                try:
                    # only device nodes are stat'ed (never a file on FUSE)
                    if not os.readlink(path).startswith("/dev/"):
                        continue
                    st = os.stat(path)
                except OSError:
                    continue
                if stat.S_ISBLK(st.st_mode) and st.st_rdev == rdev:
                    found.append(int(pid))
                    break
        return found

    def DeviceOpen(self, loop: str) -> bool:
        """Whether a process holds the loop device standing for /dev/drbdN
        open (looked at a few times: udev's probes of a new device are
        short)."""
        try:
            rdev = os.stat(loop).st_rdev
        except OSError:
            return False
        for _ in range(10):
            if not self._Holders(rdev):
                return False
            time.sleep(0.2)
        return True


class Daemon:
    """All minors of one node; serves the drbdsetup commands."""

    def __init__(self, conf: dict) -> None:
        self.env = Env(conf)
        self.minors = {}
        self.resources = {}
        self.lock = threading.Lock()
        self._last_proc = None
        self._proc_lock = threading.Lock()

    def WriteProc(self) -> None:
        content = text.ProcDrbd({m: minor.Status()
                                 for m, minor in list(self.minors.items())})
        with self._proc_lock:
            if content == self._last_proc:
                return
            path = os.path.join(self.env.run_dir, PROC_NAME)
            with open(path + ".new", "w") as handle:
                handle.write(content)
            os.rename(path + ".new", path)
            self._last_proc = content

    def _ProcLoop(self) -> None:
        while True:
            time.sleep(0.25)
            try:
                for minor in list(self.minors.values()):
                    if minor.md_dirty:
                        minor.SaveMeta()
                self.WriteProc()
            except Exception as err:  # keep the module "loaded"
                sys.stderr.write("proc writer: %s\n" % err)

    def _Minor(self, word: str) -> Minor:
        try:
            minor = self.minors.get(int(word))
        except ValueError:
            minor = None
        if minor is None:
            raise DrbdError("%s: No such minor" % word, 10)
        return minor

    def Command(self, argv: list) -> tuple:
        """(exit code, stdout, stderr) of one drbdsetup command."""
        if not argv:
            return 20, "", "USAGE: drbdsetup command {arguments} [options]\n"
        cmd, (words, opts) = argv[0], SplitOptions(argv[1:])
        try:
            with self.lock:
                out = self._Dispatch(cmd, words, opts) or ""
                self.WriteProc()
            return 0, out, ""
        except DrbdError as err:
            return err.code, "", str(err) + "\n"
        except (OSError, ValueError, IndexError) as err:
            return 10, "", "%s: %s\n" % (cmd, err)

    def _Dispatch(self, cmd: str, words: list, opts: dict):
        if cmd == "new-resource":
            self.resources.setdefault(words[0], None)
        elif cmd == "new-minor":
            res, number = words[0], int(words[1])
            if number in self.minors:
                raise DrbdError("%d: Failure: (161) Minor or volume exists"
                                " already (delete it first)" % number, 10)
            self.minors[number] = Minor(number, res, self.env)
            self.resources[res] = number
        elif cmd == "attach":
            size = ParseSize(opts["size"]) if opts.get("size") else 0
            self._Minor(words[0]).Attach(words[1], words[2], size, {
                k: v for k, v in opts.items() if k not in ("size",)})
        elif cmd == "connect":
            number = self.resources.get(words[0])
            minor = self._Minor(str(number) if number is not None else words[0])
            family, lhost, lport = ParseAddress(words[1])
            _, rhost, rport = ParseAddress(words[2])
            options = {}
            if "cram-hmac-alg" in opts:
                options["cram-hmac-alg"] = '"%s"' % opts["cram-hmac-alg"]
                options["shared-secret"] = '"%s"' % opts.get("shared-secret", "")
            for name in ("after-sb-0pri", "after-sb-1pri"):
                options[name] = opts.get(name, "disconnect")
            if "allow-two-primaries" in opts:
                options["allow-two-primaries"] = "yes"
            minor.Connect({"family": family, "local": (lhost, lport),
                           "remote": (rhost, rport),
                           "protocol": opts.get("protocol", "C"),
                           "two_primaries": "allow-two-primaries" in opts,
                           "options": options})
        elif cmd == "disconnect":
            _, lhost, lport = ParseAddress(words[0])
            _, rhost, rport = ParseAddress(words[1])
            for minor in self.minors.values():
                if minor.net and tuple(minor.net["local"]) == (lhost, lport) \
                        and tuple(minor.net["remote"]) == (rhost, rport):
                    minor.Disconnect()
                    return None
            raise DrbdError("No connection to %s:%d" % (rhost, rport), 10)
        elif cmd == "disk-options":
            minor = self._Minor(words[0])
            if "resync-rate" in opts:
                minor.resync_rate = ParseSize(opts["resync-rate"], "k") // 1024
            minor.disk_opts.update(opts)
        elif cmd == "primary":
            self._Minor(words[0]).Primary(opts.get("force") == "yes")
        elif cmd == "secondary":
            self._Minor(words[0]).Secondary()
        elif cmd in ("pause-sync", "resume-sync"):
            self._Minor(words[0]).paused = cmd == "pause-sync"
        elif cmd == "detach":
            self._Minor(words[0]).Detach()
        elif cmd == "resize":
            self._Minor(words[0]).Resize(ParseSize(opts.get("size", "0")))
        elif cmd == "down":
            number = self.resources.pop(words[0], None)
            if number is not None and number in self.minors:
                self.minors[number].Down()
                del self.minors[number]
        elif cmd == "show":
            minor = self._Minor(words[0])
            return text.ShowText(minor.minor, minor.Show())
        else:
            raise DrbdError("%s: unknown command (not emulated)" % cmd, 20)
        return None

    def Serve(self) -> None:
        path = os.path.join(self.env.run_dir, CONTROL)
        if os.path.exists(path):
            os.unlink(path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(path)
        sock.listen(16)
        self.WriteProc()
        threading.Thread(target=self._ProcLoop, daemon=True).start()
        while True:
            client, _ = sock.accept()
            threading.Thread(target=self._Client, args=(client,), daemon=True).start()

    def _Client(self, client: socket.socket) -> None:
        with client:
            data = b""
            while not data.endswith(b"\n"):
                chunk = client.recv(65536)
                if not chunk:
                    return
                data += chunk
            argv = json.loads(data)["argv"]
            began = time.time()
            rc, out, err = self.Command(argv)
            sys.stderr.write("%s drbdsetup %s: %d (%.0f ms)\n" % (
                time.strftime("%H:%M:%S", time.localtime(began)),
                " ".join(argv), rc, (time.time() - began) * 1000))
            sys.stderr.flush()
            client.sendall(json.dumps({"rc": rc, "out": out, "err": err}).encode())


def DaemonMain() -> int:
    conf = LoadConf()
    lock = open(os.path.join(conf["run_dir"], "daemon.lock"), "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return 0   # another one runs
    Daemon(conf).Serve()
    return 0


def _Ask(conf: dict, argv: list) -> dict:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(os.path.join(conf["run_dir"], CONTROL))
    with sock:
        sock.sendall(json.dumps({"argv": argv}).encode() + b"\n")
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return json.loads(data)


def _StartDaemon(conf: dict) -> None:
    log = open(os.path.join(conf["run_dir"], "daemon.log"), "ab")
    subprocess.Popen([conf["python"], "-c", "import sys; sys.path.insert(0, %r);"
                      " from ganeti.tools.vcluster_drbd import DaemonMain;"
                      " sys.exit(DaemonMain())" % conf["repo"]],
                     stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                     start_new_session=True, cwd="/")
    log.close()


def Drbdsetup(conf: dict, argv: list) -> int:
    started = False
    deadline = time.monotonic() + 15
    while True:
        try:
            reply = _Ask(conf, argv)
            break
        except (FileNotFoundError, ConnectionRefusedError):
            if time.monotonic() > deadline:
                sys.stderr.write("drbdsetup: the DRBD emulation does not answer\n")
                return 20
            if not started:
                _StartDaemon(conf)
                started = True
            time.sleep(0.05)
    sys.stdout.write(reply["out"])
    sys.stderr.write(reply["err"])
    return reply["rc"]


def Drbdmeta(argv: list) -> int:
    """drbdmeta [--force] DEVICE v08 META INDEX create-md|apply-al."""
    words = [a for a in argv if not a.startswith("--")]
    if len(words) < 5 or words[1] != "v08":
        sys.stderr.write("drbdmeta: only 'DEV v08 META 0 create-md|apply-al'"
                         " is emulated\n")
        return 20
    meta, command = words[2], words[4]
    try:
        if command == "create-md":
            CreateMeta(meta)
            sys.stdout.write("Writing meta data...\nNew drbd meta data block"
                             " successfully created.\n")
        elif command == "apply-al":
            ReadMeta(meta)
        else:
            sys.stderr.write("drbdmeta: %s is not emulated\n" % command)
            return 20
    except DrbdError as err:
        sys.stderr.write("%s\n" % err)
        return err.code
    except OSError as err:
        sys.stderr.write("open(%s) failed: %s\n" % (meta, err.strerror))
        return 20
    return 0


def Main(argv: list = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    program = os.path.basename(argv[0])
    if program == "drbdmeta":
        return Drbdmeta(argv[1:])
    if program == "drbdsetup":
        return Drbdsetup(LoadConf(), argv[1:])
    sys.stderr.write("%s: not emulated on the testbed\n" % program)
    return 20
