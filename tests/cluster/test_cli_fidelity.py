"""CLI details end to end on a 3-node fake-hypervisor cluster: unknown names
in lists are errors, rows follow the order of the names given, gnt-debug
delay on a named node, an offline instance cannot be started,
gnt-instance remove asks first (no terminal or EOF: no).

VCLUSTER_LAB / VCLUSTER_STATE are honoured.
"""

import os
import sys
import textwrap

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
OS_SRC = os.path.join(REPO, "examples", "os")
DOMAIN = "example.test"
N1, N2, N3 = ("node%d.%s" % (i, DOMAIN) for i in (1, 2, 3))
INST = "inst1." + DOMAIN


def _install_oses(cluster):
    for node in cluster.nodes:
        res = cluster.sh("mkdir -p /srv/ganeti/os && cp -r %s/noop"
                         " /srv/ganeti/os/" % OS_SRC, node=node)
        assert res.returncode == 0, res.stderr


@pytest.fixture(scope="module")
def cluster(make_cluster, node_add_available):
    if not node_add_available:
        pytest.skip("needs gnt-node add (3 nodes)")
    return make_cluster(3, prepare=_install_oses)


def _prereq_failure(res, ecode, text):
    assert res.returncode == 1, (res.returncode, res.stdout, res.stderr)
    assert ("Failure: prerequisites not met for this operation:\n"
            "error type: %s, error details:\n%s" % (ecode, text)) \
        in res.stderr, res.stderr
    assert "Traceback" not in res.stdout + res.stderr


def test_unknown_names_are_errors(cluster):
    _prereq_failure(cluster.gnt("instance", "list", "NOSUCH"),
                    "unknown_entity", "Instance name NOSUCH not found")
    _prereq_failure(cluster.gnt("node", "list", "NOSUCH"),
                    "unknown_entity", "Node name NOSUCH not found")
    _prereq_failure(cluster.gnt("node", "list", "node1", "NOSUCH"),
                    "unknown_entity", "Node name NOSUCH not found")
    _prereq_failure(cluster.gnt("group", "list", "nosuch"),
                    "unknown_entity", "NodeGroup name nosuch not found")
    _prereq_failure(cluster.gnt("node", "info", "NOSUCH"),
                    "unknown_entity", "Node name NOSUCH not found")


def test_rows_in_the_order_of_the_names(cluster):
    res = cluster.ok("node", "list", "--no-headers", "-o", "name",
                     "node3", "node2", "node1")
    assert res.stdout.split() == [N3, N2, N1]
    res = cluster.ok("node", "list", "--no-headers", "-o", "name")
    assert res.stdout.split() == [N1, N2, N3]


@pytest.mark.parametrize("master", [True, False])
def test_debug_delay_on_a_named_node(cluster, master):
    args = ["delay", "-n", "node3", "0.01"]
    if not master:
        args.insert(1, "--no-master")
    cluster.ok("debug", *args)
    res = cluster.ok("job", "list", "--no-headers", "-o", "id,status")
    last_id, status = res.stdout.splitlines()[-1].split()
    assert status == "success"
    res = cluster.ok("job", "info", last_id)
    assert "on_nodes: %s" % N3 in res.stdout or N3 in res.stdout
    assert ("on_master: %s" % master) in res.stdout, res.stdout


def test_job_list_in_the_order_of_the_ids(cluster):
    res = cluster.ok("job", "list", "--no-headers", "-o", "id")
    ids = res.stdout.split()
    assert len(ids) >= 2
    wanted = [ids[1], ids[0]]
    res = cluster.ok("job", "list", "--no-headers", "-o", "id", *wanted)
    assert res.stdout.split() == wanted


def test_offline_instance_cannot_start(cluster):
    cluster.ok("instance", "add", "-n", N2, "-t", "diskless", "-o", "noop",
               "--no-name-check", "--no-ip-check", "--no-start", INST)
    try:
        cluster.ok("instance", "modify", "--offline", INST)
        _prereq_failure(cluster.gnt("instance", "startup", INST),
                        "wrong_state", "Instance '%s' is marked to be"
                        " offline, can't use instance from outside down, up"
                        " states" % INST)
        res = cluster.ok("instance", "list", "--no-headers", "-o", "status",
                         INST)
        assert res.stdout.split() == ["ADMIN_offline"]
        cluster.ok("instance", "modify", "--online", INST)
        cluster.ok("instance", "startup", INST)
        res = cluster.ok("instance", "list", "--no-headers", "-o", "status",
                         INST)
        assert res.stdout.split() == ["running"]
    finally:
        cluster.gnt("instance", "remove", "-f", INST)


# gnt-instance remove on a terminal: answer, then (terminal text, exit code)
_ON_A_TERMINAL = r'''
import fcntl, os, select, subprocess, sys, termios, time
master, slave = os.openpty()
proc = subprocess.Popen(
    [sys.executable, %(script)r, "remove", %(name)r], stdin=slave,
    stdout=slave, stderr=slave, start_new_session=True,
    preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
os.close(slave)
seen, answered = b"", False
deadline = time.monotonic() + 120
while proc.poll() is None and time.monotonic() < deadline:
    if not answered and b"y/[n]/?: " in seen:
        os.write(master, %(answer)r)
        answered = True
    if select.select([master], [], [], 0.5)[0]:
        try:
            seen += os.read(master, 4096)
        except OSError:
            break
if proc.poll() is None:
    proc.kill()
print(repr((seen.decode(), proc.wait())))
'''


def _RemoveOnATerminal(cluster, answer):
    import ast
    res = cluster.py(_ON_A_TERMINAL % {
        "script": os.path.join(REPO, "scripts", "gnt-instance"),
        "name": INST, "answer": answer}, timeout=180)
    assert res.returncode == 0, res.stderr
    return ast.literal_eval(res.stdout.strip())


def _InstanceNames(cluster):
    res = cluster.ok("instance", "list", "--no-headers", "-o", "name")
    return res.stdout.split()


def test_remove_asks_before_removing(cluster):
    # an unknown instance is an error before any question
    _prereq_failure(cluster.gnt("instance", "remove", "NOSUCH"),
                    "unknown_entity", "Instance name NOSUCH not found")
    cluster.ok("instance", "add", "-n", N2, "-t", "diskless", "-o", "noop",
               "--no-name-check", "--no-ip-check", "--no-start", INST)
    try:
        # no terminal to answer on: the answer is no
        res = cluster.vc.exec("node1", "setsid", "-w", sys.executable,
                              os.path.join(REPO, "scripts", "gnt-instance"),
                              "remove", INST, timeout=120)
        assert (res.returncode, res.stdout) == (1, ""), res.stderr
        assert INST in _InstanceNames(cluster)
        question = textwrap.fill(
            "This will remove the volumes of the instance %s (including"
            " mirrors), thus removing all the data of the instance."
            " Continue?" % INST, 70).replace("\n", "\r\n") + \
            "\r\ny/[n]/?: "
        text, code = _RemoveOnATerminal(cluster, b"\x04")    # EOF: no
        assert text.startswith(question) and code == 1, (text, code)
        assert INST in _InstanceNames(cluster)
        text, code = _RemoveOnATerminal(cluster, b"y\n")
        assert text.startswith(question) and code == 0, text
        assert INST not in _InstanceNames(cluster)
    finally:
        cluster.gnt("instance", "remove", "-f", INST)
