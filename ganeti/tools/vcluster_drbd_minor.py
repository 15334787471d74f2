"""One emulated DRBD 8.4 minor (TESTBED ONLY; see ganeti.tools.vcluster_drbd).

State as the kernel keeps it: the local disk (data and meta LV), the
network configuration, roles, disk states, the out-of-sync bitmap (4 KiB
blocks, kept on the meta LV with the generation UUIDs) and the resync.
Writes of the Primary go to the local LV and, while connected, to the peer
before they complete (protocol C); while disconnected the written blocks
are marked out of sync and resynced after the link comes back.
"""

import json
import os
import random
import subprocess
import threading
import time

from ganeti.tools import vcluster_drbd_nbd as nbd
from ganeti.tools import vcluster_drbd_peer as peer

BLOCK = 4096
MD_MAGIC = b"VCDRBDMD"
MD_HEADER = 4096
RESYNC_CHUNK = 64            # blocks per resync message (256 KiB)
WRITE_ACK_TIMEOUT = peer.DEAD_AFTER
CONNECTED = ("Connected", "SyncSource", "SyncTarget", "PausedSyncS",
             "PausedSyncT")


class DrbdError(Exception):
    """A refused command: message and drbdsetup exit code."""

    def __init__(self, msg: str, code: int = 10) -> None:
        super().__init__(msg)
        self.code = code


def ReadMeta(path: str) -> dict:
    with open(path, "rb") as handle:
        head = handle.read(MD_HEADER)
    if not head.startswith(MD_MAGIC):
        raise DrbdError("No valid meta data found", 10)
    return json.loads(head[len(MD_MAGIC):].rstrip(b"\0").decode())


def WriteMeta(path: str, md: dict, bitmap: bytes = None) -> None:
    body = MD_MAGIC + json.dumps(md).encode()
    with open(path, "r+b") as handle:
        handle.write(body.ljust(MD_HEADER, b"\0"))
        if bitmap is not None:
            handle.write(bitmap)
        handle.flush()
        os.fsync(handle.fileno())


def CreateMeta(path: str) -> None:
    """drbdmeta create-md: fresh metadata (nothing in sync yet)."""
    WriteMeta(path, {"current": 0, "bitmap_uuid": 0, "disk": "Inconsistent",
                     "bitmap_len": 0})


def _NewUuid() -> int:
    return random.getrandbits(62) | 1


class Minor:
    """One minor; every public method runs under the minor's lock."""

    def __init__(self, minor: int, resource: str, env) -> None:
        self.minor, self.resource, self.env = minor, resource, env
        self.lock = threading.RLock()
        self.role, self.peer_role = "Secondary", "Unknown"
        self.disk, self.peer_disk = "Diskless", "DUnknown"
        self.cs = "StandAlone"
        self.counters = dict.fromkeys(("ns", "nr", "dw", "dr", "al", "bm",
                                       "lo", "pe", "ua", "ap"), 0)
        self.data = self.meta = None
        self.fd = None
        self.size = 0
        self.md = {}
        self.bitmap = bytearray()
        self.dirty = 0
        self.md_dirty = False
        self.disk_opts = {}
        self.resync_rate = 61440
        self.net = None
        self.connector = self.link = None
        self.peer_state = {}
        self.sync_total = self.speed = 0
        self.peer_left = 0           # KiB left, as the SyncSource reports
        self.paused = False
        self.exposed = None          # (qsd process, loop device, nbd server)
        self._seq = 0
        self._acks = {}

    # --- status --------------------------------------------------------------

    def Status(self) -> dict:
        with self.lock:
            cs = self.cs
            if self.paused and cs in ("SyncSource", "SyncTarget"):
                cs = "PausedSync" + cs[4]          # PausedSyncS / PausedSyncT
            st = dict(self.counters, cs=cs, role=self.role,
                      peer_role=self.peer_role, disk=self.disk,
                      peer_disk=self.peer_disk, ep=1,
                      oos=(self.peer_left if self.cs == "SyncTarget"
                           else self.dirty * 4),
                      protocol=self.net["protocol"] if self.net else "",
                      wo=self._WriteOrdering(), sync_total=self.sync_total,
                      speed=self.speed, paused=self.paused)
            return st

    def _WriteOrdering(self) -> str:
        if self.fd is None:
            return "b"
        opts = self.disk_opts
        if opts.get("disk-flushes", "yes") != "no":
            return "f"
        return "d" if opts.get("disk-drain", "yes") != "no" else "n"

    def Show(self) -> dict:
        conf = {"resource": self.resource}
        if self.net:
            conf["net"] = dict(self.net, options=self.net.get("options", {}))
        if self.fd is not None:
            opts = {"resync-rate": "%dk" % self.resync_rate}
            conf["disk"] = {"data": self.data, "meta": self.meta,
                            "size_sectors": self.size // 512, "options": opts}
        return conf

    # --- local disk -------------------------------------------------------------

    def Attach(self, data: str, meta: str, size: int, opts: dict) -> None:
        with self.lock:
            if self.fd is not None:
                raise DrbdError("%d: Failure: (124) Device is attached to a"
                                " disk (use detach first)" % self.minor, 10)
            md = ReadMeta(meta)
            fd = os.open(data, os.O_RDWR)
            real = os.lseek(fd, 0, os.SEEK_END)
            if size and size > real:
                os.close(fd)
                raise DrbdError("%d: Failure: (111) Low.dev. smaller than"
                                " requested DRBD-dev. size." % self.minor, 10)
            self.fd, self.data, self.meta = fd, data, meta
            self.size = size or real
            self.disk_opts = opts
            self.md = md
            blocks = (self.size + BLOCK - 1) // BLOCK
            self.bitmap = bytearray(blocks)
            if md.get("bitmap_len"):
                with open(meta, "rb") as handle:
                    handle.seek(MD_HEADER)
                    saved = handle.read(min(md["bitmap_len"], blocks))
                self.bitmap[:len(saved)] = saved
            self.dirty = sum(self.bitmap)
            self.disk = md.get("disk", "Inconsistent")
            self._SendHello()

    def SaveMeta(self) -> None:
        with self.lock:
            if self.fd is None:
                return
            self.md["disk"] = self.disk if self.disk != "Diskless" else \
                self.md.get("disk")
            self.md["bitmap_len"] = len(self.bitmap)
            WriteMeta(self.meta, self.md, bytes(self.bitmap))
            self.md_dirty = False

    def Detach(self) -> None:
        with self.lock:
            if self.fd is None:
                return
            if self.role == "Primary" and self.exposed:
                raise DrbdError("%d: State change failed: (-2) Need access to"
                                " UpToDate data" % self.minor, 11)
            self.SaveMeta()
            os.close(self.fd)
            self.fd = None
            self.disk = "Diskless"
            self._SendHello()

    def _Reopen(self) -> int:
        """Open the data LV again (a grown LV is a new loop device on the
        testbed); its size in bytes."""
        fd = os.open(self.data, os.O_RDWR)
        os.close(self.fd)
        self.fd = fd
        return os.lseek(fd, 0, os.SEEK_END)

    def _SetSize(self, size: int) -> None:
        blocks = (size + BLOCK - 1) // BLOCK
        old_blocks = len(self.bitmap)
        self.size = size
        self.bitmap.extend(bytes(max(blocks - old_blocks, 0)))
        del self.bitmap[blocks:]
        self.dirty = sum(self.bitmap)

    def Resize(self, size: int) -> None:
        """drbdsetup resize: the new size on both sides; the new area is
        resynced from this side."""
        with self.lock:
            if self.fd is None or self.cs in ("SyncSource", "SyncTarget"):
                raise DrbdError("%d: Failure: (138) Resize not allowed during"
                                " resync or without a disk" % self.minor, 10)
            real = self._Reopen()
            size = size or real
            if size > real:
                raise DrbdError("%d: Failure: (111) Low.dev. smaller than"
                                " requested DRBD-dev. size." % self.minor, 10)
            old = self.size
            self._SetSize(size)
            if self.exposed and not self.env.DeviceOpen(self.exposed[1]):
                self._Unexpose()
                self._Expose()
            if self.link is not None and self.cs == "Connected":
                self.link.SendJson(b"SIZE", {"size": size})
                if size > old:
                    self._MarkDirty(old, size - old)
                    self.md["bitmap_uuid"] = self.md.get("current", 0)
                    self._StartResync()
            self.SaveMeta()

    # --- roles ----------------------------------------------------------------

    def Primary(self, force: bool) -> None:
        with self.lock:
            if self.role == "Primary":
                return
            if self.peer_role == "Primary" and not (
                    self.net and self.net.get("two_primaries")):
                raise DrbdError("%d: State change failed: (-1) Multiple"
                                " primaries not allowed by config" % self.minor, 11)
            if self.disk != "UpToDate":
                if not force or self.fd is None:
                    raise DrbdError("%d: State change failed: (-2) Need access"
                                    " to UpToDate data" % self.minor, 17)
                self.disk = "UpToDate"
                self.md["current"] = _NewUuid()
                self.md["bitmap_uuid"] = 0
                self.SaveMeta()
            self._Expose()
            self.role = "Primary"
            self._SendHello()
            self._Decide()

    def Secondary(self) -> None:
        with self.lock:
            if self.role != "Primary":
                return
            if self.exposed and self.env.DeviceOpen(self.exposed[1]):
                raise DrbdError("%d: State change failed: (-12) Device is held"
                                " open by someone" % self.minor, 11)
            self._Unexpose()
            self.role = "Secondary"
            self._SendHello()

    def _Expose(self) -> None:
        server = nbd.Server(self.env.Path("m%d.nbd" % self.minor), self.size, self)
        try:
            qsd, loop = self.env.Expose(self.minor, self.size)
        except Exception:
            server.Stop()
            raise
        self.exposed = (qsd, loop, server)

    def _Unexpose(self) -> None:
        if not self.exposed:
            return
        qsd, loop, server = self.exposed
        self.exposed = None
        self.env.Unexpose(self.minor, qsd, loop)
        server.Stop()

    # --- I/O from the block device (NBD backend) ------------------------------

    def Read(self, offset: int, length: int) -> bytes:
        self.counters["dr"] += length // 1024
        return os.pread(self.fd, length, offset)

    def Flush(self) -> None:
        os.fsync(self.fd)

    def _MarkDirty(self, offset: int, length: int) -> None:
        for block in range(offset // BLOCK, (offset + length + BLOCK - 1) // BLOCK):
            if block < len(self.bitmap) and not self.bitmap[block]:
                self.bitmap[block] = 1
                self.dirty += 1
        self.md_dirty = True

    def Write(self, offset: int, data: bytes) -> None:
        os.pwrite(self.fd, data, offset)
        self.counters["dw"] += len(data) // 1024
        with self.lock:
            link = self.link if self.cs in CONNECTED else None
            if link is None:
                self._WroteAlone(offset, len(data))
                return
            self._seq += 1
            seq = self._seq
            done = threading.Event()
            self._acks[seq] = done
        ok = link.Send(b"WRIT", seq, offset, data) and \
            done.wait(WRITE_ACK_TIMEOUT) and not link.closed
        with self.lock:
            self._acks.pop(seq, None)
            if ok:
                self.counters["ns"] += len(data) // 1024
                return
        link.Close()
        with self.lock:
            self._WroteAlone(offset, len(data))

    def _WroteAlone(self, offset: int, length: int) -> None:
        """A write the peer did not get: out of sync, and (first time)
        a new data generation, so that the reconnect resyncs from here."""
        if self.disk == "UpToDate" and not self.md.get("bitmap_uuid"):
            self.md["bitmap_uuid"] = self.md.get("current", 0)
        if self.md.get("bitmap_uuid") and \
                self.md.get("current") == self.md.get("bitmap_uuid"):
            self.md["current"] = _NewUuid()
            self.SaveMeta()
        self._MarkDirty(offset, length)

    # --- network --------------------------------------------------------------

    def Connect(self, net: dict) -> None:
        with self.lock:
            if self.net:
                raise DrbdError("%d: Failure: (102) Local address(port) already"
                                " in use." % self.minor, 10)
            self.net = net
            self.cs = "WFConnection"
            self.connector = peer.Connector(net["family"], net["local"],
                                            net["remote"], self._NewLink)

    def Disconnect(self) -> None:
        with self.lock:
            if not self.net:
                return
            connector, link = self.connector, self.link
            self.net = self.connector = None
        if connector:
            connector.Stop()
        if link:
            link.Close()
        with self.lock:
            self._Lost(standalone=True)

    def _NewLink(self, sock) -> None:
        with self.lock:
            if self.link is not None or not self.net:
                sock.close()
                return
            self.link = peer.Link(sock, self._Message, self._LinkLost)
            self.cs = "WFReportParams"
            self.link.Start()
            self._SendHello()

    def _LinkLost(self, link) -> None:
        with self.lock:
            if link is not self.link:
                return
            self.link = None
            for event in self._acks.values():
                event.set()   # the writers see the link closed
            self._Lost(standalone=False)
            if self.connector:
                self.connector.wanted.set()

    def _Lost(self, standalone: bool) -> None:
        """The peer is gone: start tracking what is written from now on."""
        self.cs = "StandAlone" if standalone or not self.net else "WFConnection"
        self.peer_role, self.peer_disk = "Unknown", "DUnknown"
        self.peer_state = {}
        self.sync_total = self.speed = 0
        if self.disk == "UpToDate" and not self.md.get("bitmap_uuid"):
            self.md["bitmap_uuid"] = self.md.get("current", 0)
            self.SaveMeta()

    def _SendHello(self) -> None:
        if self.link is not None:
            self.link.SendJson(b"HELO", {
                "disk": self.disk, "role": self.role,
                "current": self.md.get("current", 0),
                "bitmap_uuid": self.md.get("bitmap_uuid", 0)})

    def _Message(self, link, kind: bytes, seq: int, offset: int,
                 payload: bytes) -> None:
        if kind == b"WRIT":
            if self.fd is not None:
                os.pwrite(self.fd, payload, offset)
                self.counters["dw"] += len(payload) // 1024
            self.counters["nr"] += len(payload) // 1024
            link.Send(b"ACKW", seq)
        elif kind == b"ACKW":
            with self.lock:
                event = self._acks.get(seq)
            if event:
                event.set()
        elif kind == b"RSBK":
            if self.fd is not None:
                os.pwrite(self.fd, payload, offset)
                self.counters["dw"] += len(payload) // 1024
            self.counters["nr"] += len(payload) // 1024
            with self.lock:
                first = offset // BLOCK
                for block in range(first, first + len(payload) // BLOCK):
                    if block < len(self.bitmap) and self.bitmap[block]:
                        self.bitmap[block] = 0
                        self.dirty -= 1
                self.peer_left = seq
        elif kind == b"RSST":
            info = json.loads(payload)
            with self.lock:
                self.cs = "SyncTarget"
                self.disk = "Inconsistent"
                self.md["disk"] = "Inconsistent"
                self.sync_total = self.peer_left = info["total"]
                self.speed = info.get("speed", 0)
                self.SaveMeta()
        elif kind == b"RSDN":
            info = json.loads(payload)
            with self.lock:
                self.cs, self.disk, self.peer_disk = "Connected", "UpToDate", "UpToDate"
                self.md.update(current=info["current"], bitmap_uuid=0)
                self.bitmap = bytearray(len(self.bitmap))
                self.dirty = 0
                self.sync_total = self.speed = 0
                self.SaveMeta()
                self._SendHello()
        elif kind == b"SIZE":
            with self.lock:
                if self.fd is not None:
                    self._Reopen()
                    self._SetSize(json.loads(payload)["size"])
                    self.SaveMeta()
        elif kind == b"HELO":
            state = json.loads(payload)
            with self.lock:
                first = not self.peer_state
                self.peer_state = state
                self.peer_role = state["role"]
                if self.cs not in ("SyncTarget", "SyncSource"):
                    self.peer_disk = state["disk"]
                if first:
                    self.cs = "Connected"
                if self.cs == "Connected":
                    self._Decide()

    def _Decide(self) -> None:
        """Who resyncs whom, from both sides' generation UUIDs (both sides
        come to the same answer from the same facts)."""
        other = self.peer_state
        if not other or self.cs != "Connected" or self.fd is None or \
                other["disk"] == "Diskless":
            return
        mine = (self.md.get("current", 0), self.md.get("bitmap_uuid", 0), self.disk)
        theirs = (other["current"], other["bitmap_uuid"], other["disk"])
        if mine[0] == theirs[0]:
            if self.disk == "UpToDate" and self.md.get("bitmap_uuid") and \
                    other["disk"] == "UpToDate":
                self.md["bitmap_uuid"] = 0
                self.SaveMeta()
            return
        source = None
        if mine[1] and mine[1] == theirs[0] and mine[2] == "UpToDate":
            source = True
        elif theirs[1] and theirs[1] == mine[0] and theirs[2] == "UpToDate":
            source = False
        elif mine[2] == "UpToDate" and theirs[2] != "UpToDate":
            source = True
        elif theirs[2] == "UpToDate" and mine[2] != "UpToDate":
            source = False
        if source is None:
            # split brain: both sides wrote since they last were in sync
            self.cs = "StandAlone"
            connector, self.connector = self.connector, None
            if connector:
                connector.Stop()
            if self.link:
                self.link.Close()
            return
        if source:
            full = not (mine[1] and mine[1] == theirs[0])
            if full:
                self.bitmap = bytearray(b"\1" * len(self.bitmap))
                self.dirty = len(self.bitmap)
                self.md["bitmap_uuid"] = theirs[0] or _NewUuid()
            self._StartResync()

    def _StartResync(self) -> None:
        self.cs = "SyncSource"
        self.peer_disk = "Inconsistent"
        self.sync_total = self.dirty * 4
        self.speed = self.resync_rate
        self.SaveMeta()
        self.link.SendJson(b"RSST", {"total": self.sync_total,
                                     "speed": self.speed})
        threading.Thread(target=self._Resync, args=(self.link,),
                         daemon=True).start()

    def _NextRun(self, start: int) -> tuple:
        bitmap = self.bitmap
        first = bitmap.find(b"\1", start)
        if first < 0:
            return None, 0
        count = 1
        while count < RESYNC_CHUNK and first + count < len(bitmap) and \
                bitmap[first + count]:
            count += 1
        return first, count

    def _Resync(self, link) -> None:
        began, sent, pos = time.monotonic(), 0, 0
        while not link.closed:
            if self.paused:
                time.sleep(0.1)
                continue
            with self.lock:
                if link is not self.link:
                    return
                first, count = self._NextRun(pos)
                if first is None and pos:
                    pos = 0
                    first, count = self._NextRun(0)
                if first is None:
                    break
                length = min(count * BLOCK, self.size - first * BLOCK)
                data = os.pread(self.fd, length, first * BLOCK)
                for block in range(first, first + count):
                    self.bitmap[block] = 0
                self.dirty -= count
                left = self.dirty * 4
            if not link.Send(b"RSBK", left, first * BLOCK,
                             data.ljust(count * BLOCK, b"\0")[:length]):
                with self.lock:
                    self._MarkDirty(first * BLOCK, count * BLOCK)
                return
            self.counters["ns"] += length // 1024
            self.counters["dr"] += length // 1024
            pos = first + count
            sent += length // 1024
            elapsed = time.monotonic() - began
            with self.lock:
                self.speed = int(sent / elapsed) if elapsed > 0.5 else self.resync_rate
            ahead = sent / float(max(self.resync_rate, 1)) - elapsed
            if ahead > 0:
                time.sleep(ahead)
        with self.lock:
            if link is not self.link or link.closed:
                return
            self.cs, self.peer_disk = "Connected", "UpToDate"
            self.md["bitmap_uuid"] = 0
            self.sync_total = self.speed = 0
            self.SaveMeta()
            link.SendJson(b"RSDN", {"current": self.md.get("current", 0)})

    # --- teardown ---------------------------------------------------------------

    def Down(self) -> None:
        with self.lock:
            if self.exposed and self.env.DeviceOpen(self.exposed[1]):
                raise DrbdError("%d: State change failed: (-12) Device is held"
                                " open by someone" % self.minor, 11)
            self._Unexpose()
            self.role = "Secondary"
        self.Disconnect()
        with self.lock:
            self.Detach()


def RunQuiet(argv: list) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)
