"""KVM instances on the testbed: real qemu (TCG) inside two node "machines".

A 2-node lab (VCLUSTER_LAB / VCLUSTER_STATE honoured) without a cluster:
the KVM hypervisor code runs inside each node's namespaces (own network
with the xen-br0 bridge, own /var/run/ganeti), exactly as noded runs it.
node1 starts a diskless instance with one NIC on xen-br0, the instance is
live-migrated over the lab network to node2 (qemu -incoming on node2's IP,
migration_port), then stopped.  Skips with one line without qemu or root.
"""

import json
import os
import shutil
import sys
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PY = sys.executable
QEMU = shutil.which("qemu-system-x86_64")
NODE2_IP = "10.250.0.12"      # vcluster_layout: node i is 10.250.0.(10 + i)
PORT = 8102

# Runs inside a node: one hypervisor call per invocation, JSON out.
DRIVER = r"""
import json, sys, time
sys.path.insert(0, %(repo)r)
from ganeti import defaults, objects
from ganeti.hypervisor import hv_kvm, hv_kvm_qmp as qmp
from ganeti.hypervisor.hv_kvm_runtime import InstancePid
action = sys.argv[1]
hvp = dict(defaults.HVC_DEFAULTS["kvm"], kernel_path="", kvm_flag="disabled",
           kvm_path=%(qemu)r, migration_port=%(port)d, migration_bandwidth=1000,
           migration_downtime=100, serial_console=True)
nic = objects.NIC(mac="aa:00:00:12:34:56", uuid="0badcafe-1234-5678-9abc-def012345678",
                  nicparams={"mode": "bridged", "link": "xen-br0", "vlan": ""})
inst = objects.Instance(name="kvm1.example.test", hypervisor="kvm", os="none",
                        uuid="i1", tags=[], hvparams=hvp, nics=[nic],
                        beparams=dict(defaults.BEC_DEFAULTS, maxmem=64, minmem=64))
hv = hv_kvm.KVMHypervisor()
paths = hv._Paths(inst.name)
out = None
if action == "start":
    t = time.monotonic(); hv.StartInstance(inst, [], False)
    out = {"seconds": time.monotonic() - t, "info": hv.MigrationInfo(inst)}
elif action == "accept":
    hv.AcceptInstance(inst, sys.stdin.read(), sys.argv[2])
elif action == "migrate":
    t = time.monotonic()
    hv.MigrateInstance("cluster.example.test", inst, sys.argv[2], True)
    deadline = time.monotonic() + 60
    while hv.GetMigrationStatus(inst)["status"] == "active" and \
            time.monotonic() < deadline:
        time.sleep(0.02)
    out = dict(hv.GetMigrationStatus(inst), seconds=time.monotonic() - t)
elif action == "finalize_dst":
    hv.FinalizeMigrationDst(inst, sys.stdin.read(), sys.argv[2] == "ok")
elif action == "finalize_src":
    hv.FinalizeMigrationSource(inst, sys.argv[2] == "ok", True)
elif action == "state":
    taps = paths.ReadTaps()
    status = None
    if InstancePid(paths)[1]:
        status = qmp.Run(paths.qmp, "query-status")["status"]
    out = {"list": hv.ListInstances(), "status": status, "taps": taps}
elif action == "stop":
    hv.StopInstance(inst, timeout=1)
elif action == "kill":
    pid, alive, _ = InstancePid(paths)
    if alive:
        hv.StopInstance(inst, force=True)
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def lab(vcluster_tool, tmp_path_factory):
    if QEMU is None:
        pytest.skip("qemu-system-x86_64 not installed")
    vc = vcluster_tool(os.environ.get("VCLUSTER_STATE") or
                       str(tmp_path_factory.mktemp("vcluster-state")))
    res = vc.run("up", "--nodes", "2", timeout=300)
    if res.returncode != 0:
        vc.run("down")
        pytest.fail("vcluster up failed: %s%s" % (res.stdout, res.stderr))
    yield vc
    for node in ("node1", "node2"):
        _call(vc, node, "kill", check=False)
    vc.run("down")


def _call(vc, node, action, *args, input=None, check=True):
    script = DRIVER % {"repo": REPO, "qemu": QEMU, "port": PORT}
    res = vc.exec(node, PY, "-c", script, action, *args, input=input,
                  timeout=120)
    if check:
        assert res.returncode == 0, "%s on %s failed: %s%s" % (
            action, node, res.stdout, res.stderr[-3000:])
        return json.loads(res.stdout.strip().splitlines()[-1])
    return None


def _bridge_ports(vc, node):
    res = vc.exec(node, "ip", "-o", "link", "show", "master", "xen-br0")
    assert res.returncode == 0, res.stderr
    return res.stdout


def test_kvm_instance_live_migrates_between_nodes(lab):
    started = _call(lab, "node1", "start")
    state = _call(lab, "node1", "state")
    assert state["list"] == ["kvm1.example.test"]
    assert state["status"] == "running"
    tap = state["taps"]["0"]
    assert tap in _bridge_ports(lab, "node1")

    _call(lab, "node2", "accept", NODE2_IP, input=started["info"])
    assert _call(lab, "node2", "state")["status"] == "inmigrate"
    begin = time.monotonic()
    result = _call(lab, "node1", "migrate", NODE2_IP)
    assert result["status"] == "completed", result
    _call(lab, "node2", "finalize_dst", "ok", input=started["info"])
    _call(lab, "node1", "finalize_src", "ok")
    total = time.monotonic() - begin

    src, dst = _call(lab, "node1", "state"), _call(lab, "node2", "state")
    assert src == {"list": [], "status": None, "taps": {}}
    assert dst["list"] == ["kvm1.example.test"]
    assert dst["status"] == "running"
    assert dst["taps"]["0"] in _bridge_ports(lab, "node2")
    assert tap not in _bridge_ports(lab, "node1")
    sys.stderr.write("testbed: qemu start %.2fs; migration node1->node2 %.2fs"
                     " (qemu %.3fs, downtime %s ms) incl. RPC-less exec\n"
                     % (started["seconds"], total, result["seconds"],
                        result.get("downtime")))

    _call(lab, "node2", "stop")
    assert _call(lab, "node2", "state") == {"list": [], "status": None,
                                            "taps": {}}
    assert "tap" not in _bridge_ports(lab, "node2")
