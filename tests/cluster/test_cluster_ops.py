"""gnt-cluster verify, verify-disks, command, copyfile, rename and
renew-crypto on a 3-node testbed cluster.

One lab (3 nodes) is brought up for the module; the cluster is created on
node1 and node2/node3 are added with gnt-node add.  Honours VCLUSTER_LAB
and VCLUSTER_STATE so that several labs can run at once.
"""

import re
import time

import pytest

NODES = ["node1.example.test", "node2.example.test", "node3.example.test"]
MASTER = NODES[0]
CLUSTER = "cluster.example.test"
NEW_CLUSTER = "cluster2.example.test"
SEP = "-" * 48
_TIME_RE = re.compile(r"^\w{3} \w{3} +\d+ [\d:]+ \d{4} ")


def _steps(lines):
    return [_TIME_RE.sub("", l) for l in lines]


class _Checks:
    def verify(self, *args, timeout=400):
        return self.gnt("cluster", "verify", *args, timeout=timeout)

    def no_sysrq(self):
        return self.sh("test -f /proc/sysrq-trigger").returncode != 0


@pytest.fixture(scope="module")
def cluster(make_cluster):
    return make_cluster(3, helpers=_Checks)


def _problems(stdout):
    return [l for l in _steps(stdout.splitlines()) if l.startswith("  - ")]


def _setup_warnings():
    return ["  - WARNING: node %s: node setup error: The procfs filesystem"
            " doesn't seem to be mounted under /proc, missing required"
            " directory /proc/sys and the file /proc/sysrq-trigger" % n
            for n in NODES]


# ------------------------------------------------------------------ verify

def test_verify_healthy_cluster(cluster):
    res = cluster.verify("--ignore-errors=ENODESETUP")
    assert res.returncode == 0, res.stdout + res.stderr
    lines = res.stdout.splitlines()
    assert re.match(r"^Submitted jobs (\d+), (\d+)$", lines[0])
    ours = [l for l in _steps(lines) if l.startswith("*")]
    ref = [l for l in
           _steps(cluster.reference("vcluster/11-cluster-verify.txt"))
           if l.startswith("*")]
    assert ours == ref
    assert "* Gathering data (3 nodes)" in ours
    expected = _setup_warnings() if cluster.no_sysrq() else []
    assert _problems(res.stdout) == expected
    # Without ignoring, the missing sysrq file fails verify as upstream's.
    res = cluster.verify()
    assert res.returncode == (1 if expected else 0)
    assert _problems(res.stdout) == [l.replace("WARNING", "ERROR")
                                     for l in expected]


def test_verify_error_codes_and_group(cluster):
    res = cluster.verify("--error-codes", "-I", "ENODESETUP", "-g", "default",
                         "--no-nplus1-mem", "-v")
    assert res.returncode == 0, res.stdout + res.stderr
    steps = _steps(res.stdout.splitlines())
    assert re.match(r"^Submitted jobs \d+$", steps[0])   # group job only
    assert "* Verifying N+1 Memory redundancy" not in steps
    assert "* Verifying node %s (master)" % MASTER in steps
    for line in _problems(res.stdout):
        assert re.match(r"^  - WARNING:ENODESETUP:node:node\d\.example\.test:"
                        r"node setup error: ", line), line
    res = cluster.verify("-g", "no-such-group")
    assert res.returncode != 0
    assert "no-such-group" in res.stderr


def test_verify_reports_unreachable_node(cluster):
    res = cluster.vc.run("cut", "node3")
    assert res.returncode == 0, res.stderr
    try:
        res = cluster.verify("--error-codes", "-I", "ENODESETUP")
    finally:
        cluster.vc.run("heal", "node3")
    assert res.returncode == 1, res.stdout + res.stderr
    problems = _problems(res.stdout)
    assert any(l.startswith("  - ERROR:ENODERPC:node:%s:while contacting"
                            " node: " % NODES[2]) for l in problems), problems
    assert any(l.startswith("  - ERROR:ENODEFILECHECK:node:%s:Node did not"
                            " return file checksum data" % NODES[2])
               for l in problems)
    for other in NODES[:2]:
        assert any(l.startswith("  - ERROR:ENODESSH:node:%s:ssh communication"
                                " with node '%s': " % (other, NODES[2]))
                   for l in problems), problems
        assert ("  - ERROR:ENODENET:node:%s:tcp communication with node '%s':"
                " failure using the primary interface(s)" % (other, NODES[2])
                in problems)
    # Healed: the cluster verifies again.
    deadline = time.monotonic() + 60
    while True:
        res = cluster.verify("-I", "ENODESETUP")
        if res.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert res.returncode == 0, res.stdout + res.stderr


def test_verify_disks(cluster):
    res = cluster.gnt("cluster", "verify-disks")
    assert res.returncode == 0, res.stdout + res.stderr
    lines = res.stdout.splitlines()
    assert re.match(r"^Submitted jobs \d+$", lines[0])
    assert re.match(r"^Waiting for job \d+ \.\.\.$", lines[1])
    assert lines[2:] == \
        cluster.reference("ops/46-cluster-verify-disks.txt")[2:]


# --------------------------------------------------------- command/copyfile

def test_command_runs_everywhere_master_last(cluster):
    res = cluster.gnt("cluster", "command", "hostname")
    assert res.returncode == 0, res.stderr
    expected = ""
    for name in NODES[1:] + [MASTER]:
        expected += "%s\nnode: %s\n%s\n\nreturn code = 0\n" % (SEP, name, name)
    assert res.stdout == expected
    res = cluster.gnt("cluster", "command", "-M", "-n", NODES[1],
                      "echo out; exit 3")
    assert res.stdout == "%s\n%s: out\nreturn code = 3\n" % (SEP, NODES[1])
    res = cluster.gnt("cluster", "command", "--failure-only",
                      'test "$(hostname)" != %s' % NODES[2])
    assert res.stdout == "%s\nnode: %s\n\nreturn code = 1\n" % (SEP, NODES[2])


def test_copyfile_to_other_nodes(cluster):
    path = "/etc/ganeti/copyfile-test"
    content = "copy %f" % time.time()
    try:
        assert cluster.sh("printf '%s' > %s" % (content, path)
                          ).returncode == 0
        assert cluster.sh("cat %s" % path, node="node2").returncode != 0
        res = cluster.gnt("cluster", "copyfile", path)
        assert res.returncode == 0, res.stderr
        assert res.stdout == "" and res.stderr == ""
        for node in ("node2", "node3"):
            assert cluster.sh("cat %s" % path, node=node).stdout == content
        res = cluster.gnt("cluster", "copyfile", "/etc/ganeti/no-such-file")
        assert res.returncode == 1
        assert "No such filename '/etc/ganeti/no-such-file'" in res.stderr
    finally:
        for node in ("node1", "node2", "node3"):
            cluster.sh("rm -f %s" % path, node=node)


# ------------------------------------------------------------------ rename

def _hosts_add(cluster, ip):
    for node in ("node1", "node2", "node3"):
        res = cluster.sh("printf '%s\\t%s\\n' >> /etc/hosts"
                         % (ip, NEW_CLUSTER), node=node)
        assert res.returncode == 0, res.stderr


def _hosts_remove(cluster):
    for node in ("node1", "node2", "node3"):
        cluster.sh("grep -v %s /etc/hosts > /etc/hosts.nc-tmp;"
                   " cat /etc/hosts.nc-tmp > /etc/hosts;"
                   " rm -f /etc/hosts.nc-tmp" % NEW_CLUSTER, node=node)


def test_rename_and_back(cluster):
    old_ip = cluster.sh("getent hosts %s" % CLUSTER).stdout.split()[0]
    new_ip = old_ip.rsplit(".", 1)[0] + ".249"
    _hosts_add(cluster, new_ip)
    try:
        res = cluster.gnt("cluster", "rename", "-f", NEW_CLUSTER)
        assert res.returncode == 0, res.stdout + res.stderr
        assert res.stdout == "Cluster renamed from '%s' to '%s'\n" % (
            CLUSTER, NEW_CLUSTER)
        res = cluster.sh("cat /var/lib/ganeti/ssconf_cluster_name;"
                         " echo; cat /var/lib/ganeti/ssconf_master_ip",
                         node="node3")
        assert res.stdout.split() == [NEW_CLUSTER, new_ip]
        addrs = cluster.sh("ip -o -4 addr show").stdout
        assert " %s/" % new_ip in addrs and " %s/" % old_ip not in addrs
        res = cluster.gnt("cluster", "info")
        assert "Cluster name: %s" % NEW_CLUSTER in res.stdout
        res = cluster.verify("-I", "ENODESETUP")
        assert res.returncode == 0, res.stdout
        # Same name again: refused.
        res = cluster.gnt("cluster", "rename", "-f", NEW_CLUSTER)
        assert res.returncode == 1
        assert "Neither the name nor the IP address of the cluster has" \
            " changed" in res.stderr
        res = cluster.gnt("cluster", "rename", "-f", CLUSTER)
        assert res.returncode == 0, res.stdout + res.stderr
        assert res.stdout == "Cluster renamed from '%s' to '%s'\n" % (
            NEW_CLUSTER, CLUSTER)
        addrs = cluster.sh("ip -o -4 addr show").stdout
        assert " %s/" % old_ip in addrs and " %s/" % new_ip not in addrs
    finally:
        _hosts_remove(cluster)
    res = cluster.sh("cat /var/lib/ganeti/ssconf_cluster_name", node="node2")
    assert res.stdout.strip() == CLUSTER
    res = cluster.gnt("cluster", "rename", "-f", "no-such-name.invalid")
    assert res.returncode == 1
    assert "no-such-name.invalid" in res.stderr


# ------------------------------------------------------------ renew-crypto

_FILES = ["server.pem", "client.pem", "rapi.pem", "hmac.key",
          "cluster-domain-secret"]


def _digests(cluster, node):
    res = cluster.sh("cd /var/lib/ganeti && md5sum %s" % " ".join(_FILES),
                     node=node)
    return dict(reversed(l.split()) for l in res.stdout.splitlines())


def test_renew_crypto_option_conflicts(cluster):
    res = cluster.gnt("cluster", "renew-crypto", "-f", "--new-rapi-certificate",
                      "--rapi-certificate", "/etc/hostname")
    assert res.returncode == 1
    assert "Only one of the --new-rapi-certificate and --rapi-certificate" \
        in res.stderr
    res = cluster.gnt("cluster", "renew-crypto", "-f", "--rapi-certificate",
                      "/etc/hostname")
    assert res.returncode == 1
    assert res.stderr.startswith("Unable to load X509 certificate from"
                                 " /etc/hostname: ")


def test_renew_crypto_then_cluster_works(cluster):
    before = {n: _digests(cluster, n) for n in ("node1", "node2", "node3")}
    res = cluster.gnt("cluster", "renew-crypto", "-f",
                      "--new-cluster-certificate", "--new-node-certificates",
                      "--new-rapi-certificate", "--new-confd-hmac-key",
                      "--new-cluster-domain-secret", timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    out = res.stdout.splitlines()
    assert out[0] == ('Updating certificates now. Running "gnt-cluster'
                      ' verify"  is recommended after this operation.')
    assert out[-1] == ("All requested certificates and keys have been"
                       " replaced. Running \"gnt-cluster verify\" now is"
                       " recommended.")
    assert "Copying /var/lib/ganeti/server.pem to %s:22" % NODES[2] in out
    assert any(l.endswith(" Renewing Node SSL certificates") for l in out)
    after = {n: _digests(cluster, n) for n in ("node1", "node2", "node3")}
    for node in after:
        for name in _FILES:
            assert after[node][name] != before[node][name], (node, name)
    for name in ("server.pem", "rapi.pem", "hmac.key",
                 "cluster-domain-secret"):
        assert len(set(after[n][name] for n in after)) == 1, name
    res = cluster.verify("-I", "ENODESETUP")
    assert res.returncode == 0, res.stdout + res.stderr
    assert _problems(res.stdout) == (_setup_warnings()
                                     if cluster.no_sysrq() else [])
    res = cluster.gnt("node", "list", "--no-headers", "-o", "name")
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == NODES
    certs = cluster.sh("cat /var/lib/ganeti/ssconf_master_candidates"
                       "_certs", node="node3").stdout.splitlines()
    assert len(certs) == 3 and not any(l.startswith("bootstrap=")
                                       for l in certs)
