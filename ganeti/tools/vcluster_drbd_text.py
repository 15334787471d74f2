"""Texts of the testbed's emulated DRBD 8.4 kernel interface (TESTBED ONLY).

Pure functions (no I/O), used by ganeti.tools.vcluster_drbd: /proc/drbd
in the layout of a DRBD 8.4 kernel module (a blank line before a minor
that does not follow the previous one, the resync progress lines), and
``drbdsetup show MINOR`` in drbd-utils' 8.4 layout.  The unit tests compare
them with outputs recorded on real kernels.

A minor's state is a dict: cs (connection state), role, peer_role, disk,
peer_disk, protocol ("C", or "" while no network is configured), wo
(write ordering letter), the counters ns nr dw dr al bm lo pe ua ap ep oos
(KiB, as the kernel shows them), and while resyncing sync_total (KiB),
speed (KiB/s) and paused.
"""

VERSION_LINES = ("version: 8.4.11 (api:1/proto:86-101)",
                 "srcversion: vcluster-testbed-emulation")
COUNTERS = ("ns", "nr", "dw", "dr", "al", "bm", "lo", "pe", "ua", "ap", "ep")
SYNC_STATES = ("SyncSource", "SyncTarget", "PausedSyncS", "PausedSyncT")


def _Thousands(value: int) -> str:
    return "{:,}".format(int(value))


def SyncLines(oos: int, total: int, speed: int) -> list:
    """The two progress lines of a resyncing minor (8.4 layout)."""
    total = max(total, oos, 1)
    permille = (total - oos) * 1000 // total
    bars = permille // 50
    bar = "=" * max(bars - 1, 0) + ">" + "." * (20 - bars)
    left = oos // speed if speed > 0 else 0
    return ["        [%s] sync'ed:%3d.%d%% (%d/%d)K" % (bar, permille // 10,
                                                   permille % 10, oos, total),
            "        finish: %d:%02d:%02d speed: %s (%s) K/sec"
            % (left // 3600, left // 60 % 60, left % 60, _Thousands(speed),
               _Thousands(speed))]


def MinorLines(minor: int, st: dict) -> list:
    """The lines of one minor (its state's cs "Unconfigured": one line)."""
    if st["cs"] == "Unconfigured":
        return [" %d: cs:Unconfigured" % minor]
    flags = "r-----"
    if st["cs"] in SYNC_STATES:
        flags = "r--%sn-" % ("u" if st.get("paused") else "-")
    head = (" %d: cs:%s ro:%s/%s ds:%s/%s %s %s" % (
        minor, st["cs"], st["role"], st["peer_role"], st["disk"],
        st["peer_disk"], st.get("protocol") or " ", flags))
    counters = " ".join("%s:%d" % (key, st.get(key, 0)) for key in COUNTERS)
    lines = [head, "    %s wo:%s oos:%d" % (counters, st.get("wo", "f"),
                                              st.get("oos", 0))]
    if st["cs"] in SYNC_STATES:
        lines += SyncLines(st.get("oos", 0), st.get("sync_total", 0),
                           st.get("speed", 0))
    return lines


def ProcDrbd(minors: dict) -> str:
    """/proc/drbd for {minor: state}."""
    lines = list(VERSION_LINES)
    previous = -1
    for minor in sorted(minors):
        if minor != previous + 1:
            lines.append("")
        lines += MinorLines(minor, minors[minor])
        previous = minor
    return "\n".join(lines) + "\n"


_COMMENTS = {"resync-rate": " # bytes/second"}


def _Address(family: str, host: str, port: int) -> str:
    if family == "ipv6":
        return "ipv6 [%s]:%d" % (host, port)
    return "%s %s:%d" % (family, host, port)


def ShowText(minor: int, conf: dict) -> str:
    """``drbdsetup show MINOR`` (drbd-utils 8.4) for a minor's configuration.

    conf: resource, and when configured: net (family, local, remote
    (host, port) pairs, protocol, options {name: value}), disk (data, meta,
    size in sectors, options {name: value}).
    """
    out = ["resource %s {" % conf["resource"], "    options {", "    }"]
    net = conf.get("net")
    if net:
        out.append("    net {")
        for name, value in net.get("options", {}).items():
            out.append("        %-23s %s;" % (name, value))
        out.append("    }")
        out += ["    _remote_host {",
                "        address                 %s;"
                % _Address(net["family"], *net["remote"]), "    }"]
    out.append("    _this_host {")
    if net:
        out.append("        address                 %s;"
                   % _Address(net["family"], *net["local"]))
    out += ["        volume 0 {", "            device                      minor %d;"
            % minor]
    disk = conf.get("disk")
    if disk:
        out += ['            disk                        "%s";' % disk["data"],
                '            meta-disk                   "%s" [ 0 ];' % disk["meta"],
                "            disk {",
                "                size                    %ds; # bytes"
                % disk.get("size_sectors", 0)]
        for name, value in disk.get("options", {}).items():
            out.append("                %-23s %s;%s" % (name, value,
                                                       _COMMENTS.get(name, "")))
        out.append("            }")
    out += ["        }", "    }", "}"]
    return "\n".join(out) + "\n"
