"""Bad input through the real CLI and LUXI on a one-node cluster: a one-line
error, exit code 1, nothing created; and the shapes of the OpOsDiagnose and
OpInstanceQueryData results as a LUXI client receives them."""

import json
import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
NODE = "node1.example.test"
INST = "inst1.example.test"
OS_SRC = os.path.join(REPO, "examples", "os")


def _install_os(cluster):
    res = cluster.sh("mkdir -p /srv/ganeti/os && cp -r %s/noop"
                     " /srv/ganeti/os/" % OS_SRC)
    assert res.returncode == 0, res.stderr


@pytest.fixture(scope="module")
def cluster(make_cluster):
    return make_cluster(1, prepare=_install_os)


def _add(cluster, name, *args):
    return cluster.gnt("instance", "add", "-n", NODE, "-t", "file", "-o",
                       "noop", "--no-name-check", "--no-ip-check",
                       *(list(args) + [name]))


def _refused(res, message):
    assert res.returncode == 1, (res.stdout, res.stderr)
    assert message in res.stderr.splitlines(), res.stderr
    assert "Traceback" not in res.stdout + res.stderr


@pytest.mark.parametrize("name,args,message", [
    ("Bad_Name!", ["--disk", "0:size=16M"], "Invalid hostname 'bad_name!'"),
    (INST, ["--disk", "0:size=16M", "-B", "vcpus=-3"],
     "Invalid value -3 for backend parameter 'vcpus', it must be at least 1"),
    (INST, ["--disk", "0:size=0"], "Invalid disk size '0'"),
    (INST, ["--disk", "0:size=16M", "-B", "memory=95T", "--ignore-ipolicy"],
     "Not enough memory on node %s for creating instance %s: needed"
     " 99614720 MiB, available" % (NODE, INST)),
])
def test_instance_add_refused(cluster, name, args, message):
    res = _add(cluster, name, *args)
    if message.startswith("Not enough memory"):
        assert res.returncode == 1 and message in res.stderr, res.stderr
    else:
        _refused(res, message)
    listed = cluster.ok("instance", "list", "--no-headers", "-o", "name")
    assert listed.stdout.split() == []


def test_delay_impossible_duration(cluster):
    res = cluster.gnt("debug", "delay", "1e308")
    _refused(res, "Parameter 'OP_TEST_DELAY.duration' fails validation:"
             " expected Float, got 1e+308")
    # the same opcode submitted over LUXI is refused by the master daemon
    res = cluster.py(
        "from ganeti import errors, luxi\n"
        "try:\n"
        "    luxi.Client().SubmitJob([{'OP_ID': 'OP_TEST_DELAY',"
        " 'duration': 1e308}])\n"
        "except errors.GenericError as err:\n"
        "    print(type(err).__name__, err.args[0])\n")
    assert res.returncode == 0, res.stderr
    assert "fails validation" in res.stdout and "duration" in res.stdout, \
        res.stdout


def test_result_shapes_over_luxi(cluster):
    cluster.ok("instance", "add", "-n", NODE, "-t", "file", "-o", "noop",
               "--no-name-check", "--no-ip-check", "--no-start", "--disk",
               "0:size=16M", "-B", "memory=32M", INST)
    res = cluster.py(
        "import json\n"
        "from ganeti import cli, opcodes\n"
        "os_rows = cli.SubmitOpCode(opcodes.OpOsDiagnose(\n"
        "    output_fields=['name', 'node_status'], names=[]))\n"
        "data = cli.SubmitOpCode(opcodes.OpInstanceQueryData(\n"
        "    instances=[%r]))\n"
        "print(json.dumps([os_rows, data]))\n" % INST)
    assert res.returncode == 0, res.stderr
    os_rows, data = json.loads(res.stdout.splitlines()[-1])
    noop = [row for row in os_rows if row[0] == "noop"][0]
    (entries,) = noop[1].values()
    assert len(entries[0]) == 7
    assert entries[0][0] == "/srv/ganeti/os/noop" and entries[0][1] is True
    disk = data[INST]["disks"][0]
    assert len(disk["pstatus"]) == 7
    assert disk["pstatus"][0] == disk["logical_id"][1]
    cluster.ok("instance", "remove", "-f", INST)
