"""The iallocator protocol (version 2, protocols.md (d)): the request
OpTestAllocator (gnt-debug iallocator) builds for every mode on a fake
cluster, compared key by key with the spec and with the request upstream
3.0 sent (tests/data/iallocator), and the real hail from Debian's
ganeti-htools-3.0 answering them (skipped only when hail is absent)."""

import json
import os
import subprocess

import pytest

from ganeti import constants as C
from ganeti import errors
from ganeti import iallocator
from ganeti import objects
from ganeti import opcodes

from instance_fakes import MASTER, Context, FakeNodes, MakeConfig
from testdata import DATA

UPSTREAM_REQUEST = os.path.join(DATA, "iallocator",
                                "upstream-3.0-allocate-request.json")
# Where Debian's ganeti-htools-3.0 puts hail (tools/install-deps links it
# into the iallocator search path).
DEBIAN_HAIL = "/usr/lib/ganeti/3.0/usr/lib/ganeti/iallocators/hail"
N2, N3 = "node2.example.com", "node3.example.com"
FILE_INST, SHARED_INST = "file1.example.com", "shared1.example.com"

TOP_KEYS = ["version", "cluster_name", "cluster_tags", "enabled_hypervisors",
            "ipolicy", "nodegroups", "nodes", "instances", "request"]
GROUP_KEYS = ["name", "alloc_policy", "networks", "ipolicy", "tags"]
NODE_LIVE_KEYS = ["total_memory", "reserved_memory", "free_memory",
                  "total_disk", "free_disk", "total_spindles",
                  "free_spindles", "total_cpus", "reserved_cpus",
                  "i_pri_memory", "i_pri_up_memory"]
NODE_STATIC_KEYS = ["tags", "primary_ip", "secondary_ip", "offline",
                    "drained", "master_candidate", "group", "master_capable",
                    "vm_capable", "ndparams"]
INSTANCE_KEYS = ["tags", "admin_state", "vcpus", "memory", "spindle_use",
                 "os", "nodes", "nics", "disks", "disk_template",
                 "disks_active", "hypervisor", "disk_space_total"]
ALLOC_KEYS = ["name", "disk_template", "group_name", "tags", "os", "vcpus",
              "memory", "spindle_use", "disks", "disk_space_total", "nics",
              "required_nodes", "hypervisor"]


def _HailPath():
    found = iallocator._FindScript("hail")  # pylint: disable=W0212
    if found is None and os.access(DEBIAN_HAIL, os.X_OK):
        found = DEBIAN_HAIL
    return found


HAIL = _HailPath()
needs_hail = pytest.mark.skipif(HAIL is None, reason="hail is not installed"
                                " (tools/install-deps installs it)")


@pytest.fixture
def ctx(tmp_path):
    """Three nodes; a file instance on node1, a sharedfile one on node2;
    an empty second group g2."""
    ctx = Context(MakeConfig(str(tmp_path / "config.data"),
                             templates=("file", "sharedfile", "diskless",
                                        "drbd", "plain")), FakeNodes())
    for name, template, node in ((FILE_INST, "file", MASTER),
                                 (SHARED_INST, "sharedfile", N2)):
        ctx.Run(opcodes.OpInstanceCreate(
            instance_name=name, mode=C.INSTANCE_CREATE,
            disk_template=template, disks=[{"size": 1024}], nics=[{}],
            os_type="debootstrap+default", pnode=node, name_check=False,
            ip_check=False, beparams={"memory": 128}))
    ctx.cfg.AddNodeGroup(objects.NodeGroup(name="g2", uuid="group2-uuid"))
    return ctx


def _MoveNodesToG2(ctx):
    """node1 and node3 into g2: shared1 (on node2) can move there."""
    ctx.cfg.AssignGroupNodes([("node-uuid-1", "group2-uuid"),
                              ("node-uuid-3", "group2-uuid")])


def _TestOp(direction="in", **kwargs):
    params = dict(direction=direction, mode="allocate",
                  name="new1.example.com", memory=128,
                  disks=[{"size": 1024, "mode": "rw"}], disk_template="file",
                  nics=[{"mac": "00:11:22:33:44:55"}], os="debootstrap",
                  vcpus=1, tags=[])
    params.update(kwargs)
    return opcodes.OpTestAllocator(**params)


def _Input(ctx, **kwargs):
    text = ctx.Run(_TestOp(**kwargs))
    assert text.endswith("}\n") and "\n" not in text[:-1]
    return json.loads(text)


def _CheckTypes(entry, types):
    for key, kind in types.items():
        assert isinstance(entry[key], kind), (key, entry[key])


# ------------------------------------------------------------ the document

def test_input_document_follows_protocol_version_2(ctx):
    data = _Input(ctx)
    assert list(data) == TOP_KEYS
    assert data["version"] == 2
    _CheckTypes(data, {"cluster_name": str, "cluster_tags": list,
                       "enabled_hypervisors": list, "ipolicy": dict})
    assert data["enabled_hypervisors"] == ["fake"]
    assert set(data["nodegroups"]) == {"group-uuid", "group2-uuid"}
    for group in data["nodegroups"].values():
        assert list(group) == GROUP_KEYS
        assert group["alloc_policy"] == "preferred"
        assert sorted(group["ipolicy"]) == sorted(data["ipolicy"])
    assert sorted(data["nodes"]) == [MASTER, N2, N3]
    for node in data["nodes"].values():
        assert list(node) == NODE_LIVE_KEYS + NODE_STATIC_KEYS
        _CheckTypes(node, {key: int for key in NODE_LIVE_KEYS})
        _CheckTypes(node, {"offline": bool, "drained": bool,
                           "master_candidate": bool, "vm_capable": bool,
                           "master_capable": bool, "ndparams": dict,
                           "tags": list, "group": str})
    assert data["nodes"][MASTER]["i_pri_memory"] == 128
    assert data["nodes"][N3]["i_pri_memory"] == 0


def test_instance_entries(ctx):
    instances = _Input(ctx)["instances"]
    assert sorted(instances) == [FILE_INST, SHARED_INST]
    entry = instances[FILE_INST]
    assert list(entry) == INSTANCE_KEYS
    assert entry["nodes"] == [MASTER] and entry["admin_state"] == "up"
    assert entry["disks"] == [{"dev_type": "file", "size": 1024,
                               "mode": "rw", "spindles": None}]
    assert entry["disk_space_total"] == 1024
    (nic, ) = entry["nics"]
    assert list(nic) == ["mac", "ip", "mode", "link", "bridge"]
    assert (nic["mode"], nic["link"], nic["bridge"]) == ("bridged", "br0",
                                                         "br0")
    assert instances[SHARED_INST]["disks"][0]["dev_type"] == "sharedfile"


def test_allocate_request(ctx):
    req = _Input(ctx, disks=[{"size": 1024, "mode": "rw"},
                             {"size": 512, "mode": "rw"}],
                 disk_template="drbd", tags=["a"])["request"]
    assert list(req) == ALLOC_KEYS + ["type"]
    assert req["type"] == "allocate" and req["group_name"] is None
    # given disks, each with the template as dev_type (upstream's form)
    assert req["disks"] == [{"size": 1024, "mode": "rw", "dev_type": "drbd"},
                            {"size": 512, "mode": "rw", "dev_type": "drbd"}]
    assert req["disk_space_total"] == 1024 + 512 + 2 * 128
    assert req["required_nodes"] == 2 and req["hypervisor"] == "fake"
    assert req["nics"] == [{"mac": "00:11:22:33:44:55"}]
    assert req["tags"] == ["a"]


def test_multi_allocate_request(ctx):
    req = _Input(ctx, mode="multi-allocate", count=3)["request"]
    assert list(req) == ["instances", "type"]
    assert req["type"] == "multi-allocate"
    assert [r["name"] for r in req["instances"]] == [
        "new1.example.com0", "new1.example.com1", "new1.example.com2"]
    for sub in req["instances"]:
        assert list(sub) == ALLOC_KEYS


def test_relocate_request(ctx):
    req = _Input(ctx, mode="relocate", name=SHARED_INST)["request"]
    assert req == {"name": SHARED_INST, "disk_space_total": 1024,
                   "required_nodes": 1, "relocate_from": [N2],
                   "type": "relocate"}


def test_node_evacuate_and_change_group_requests(ctx):
    req = _Input(ctx, mode="node-evacuate", name=FILE_INST,
                 instances=[FILE_INST.split(".")[0]],
                 evac_mode="primary-only")["request"]
    assert req == {"instances": [FILE_INST], "evac_mode": "primary-only",
                   "ignore_soft_errors": False, "type": "node-evacuate"}
    req = _Input(ctx, mode="change-group", name=FILE_INST,
                 instances=[FILE_INST], target_groups=["g2"])["request"]
    assert req == {"instances": [FILE_INST], "target_groups": ["group2-uuid"],
                   "type": "change-group"}


def test_allocate_secondary_request(ctx):
    req = _Input(ctx, mode="allocate-secondary", name=FILE_INST)["request"]
    assert req == {"name": FILE_INST, "type": "allocate-secondary"}


def test_structure_matches_upstream_request(ctx):
    """Every entry has the keys, in the order, of the request upstream
    sent for "gnt-debug iallocator --dir out --mode allocate"."""
    with open(UPSTREAM_REQUEST) as handle:
        upstream = json.load(handle)
    ours = _Input(ctx, disks=[{"size": 1024, "mode": "rw"}])

    def first(mapping):
        return next(iter(mapping.values()))

    assert list(ours) == list(upstream)
    assert list(ours["request"]) == list(upstream["request"])
    assert list(ours["request"]["disks"][0]) == \
        list(upstream["request"]["disks"][0])
    assert list(first(ours["nodes"])) == list(first(upstream["nodes"]))
    assert list(first(ours["nodegroups"])) == \
        list(first(upstream["nodegroups"]))
    up_inst = upstream["instances"]["rpc1.ganeti.test"]
    our_inst = ours["instances"][FILE_INST]
    assert list(our_inst) == list(up_inst)
    assert list(our_inst["disks"][0]) == list(up_inst["disks"][0])
    assert list(our_inst["nics"][0]) == list(up_inst["nics"][0])


# ------------------------------------------------------------ LU checks

@pytest.mark.parametrize("kwargs,message,ecode", [
    ({"memory": None}, "Missing attribute 'memory' on opcode input",
     errors.ECODE_INVAL),
    ({"name": FILE_INST}, "Instance '%s' already in the cluster" % FILE_INST,
     errors.ECODE_EXISTS),
    ({"disks": [{"size": "big", "mode": "rw"}]},
     "Invalid contents of the 'disks' parameter", errors.ECODE_INVAL),
    ({"mode": "relocate", "name": "nosuch"}, "Instance 'nosuch' not known",
     errors.ECODE_NOENT),
    ({"mode": "node-evacuate", "instances": []}, "Missing instances",
     errors.ECODE_INVAL),
    ({"direction": "out"}, "Missing allocator name", errors.ECODE_INVAL),
])
def test_bad_requests_are_refused(ctx, kwargs, message, ecode):
    with pytest.raises(errors.OpPrereqError) as err:
        ctx.Run(_TestOp(**kwargs))
    assert err.value.args == (message, ecode)


def test_direction_out_returns_the_allocator_answer(ctx):
    answer = ctx.Run(_TestOp(direction="out", iallocator="some-allocator"))
    ((node, args), ) = ctx.fake.Calls("iallocator_runner")
    assert node == MASTER and args[0] == "some-allocator"
    assert json.loads(args[1]) == ctx.fake.last_iallocator_input
    assert json.loads(answer)["success"] is True


# ------------------------------------------------------------ real hail

def _Hail(path, *options):
    res = subprocess.run([HAIL] + list(options) + [str(path)],
                         capture_output=True, text=True, timeout=60,
                         check=True)
    return json.loads(res.stdout)


def _HailAnswer(ctx, tmp_path, hail_options=(), **kwargs):
    path = tmp_path / "request.json"
    path.write_text(ctx.Run(_TestOp(**kwargs)))
    return _Hail(path, *hail_options)


@needs_hail
def test_hail_reads_saved_upstream_request():
    answer = _Hail(UPSTREAM_REQUEST)
    assert sorted(answer) == ["info", "result", "success"]
    # one node, 1 vcpu, the new instance breaks N+1: refused, not misread
    assert answer["success"] is False
    assert "No valid allocation solutions" in answer["info"]


@needs_hail
@pytest.mark.parametrize("template,required", [("file", 1), ("drbd", 2)])
def test_hail_allocates(ctx, tmp_path, template, required):
    answer = _HailAnswer(ctx, tmp_path, disk_template=template)
    assert answer["success"] is True, answer["info"]
    req = iallocator.IAReqInstanceAlloc(
        name="new1.example.com", memory=128, disks=[{"size": 1024}],
        disk_template=template, os="debootstrap", tags=[], nics=[],
        vcpus=1, spindle_use=1, hypervisor="fake")
    req.ValidateResult(None, answer["result"])
    assert len(set(answer["result"])) == required
    assert set(answer["result"]) <= {MASTER, N2, N3}


@needs_hail
def test_hail_multi_allocates(ctx, tmp_path):
    answer = _HailAnswer(ctx, tmp_path, mode="multi-allocate", count=2)
    assert answer["success"] is True, answer["info"]
    iallocator.IAReqMultiInstanceAlloc(instances=[]).ValidateResult(
        None, answer["result"])
    allocated, failed = answer["result"]
    assert [name for name, _ in allocated] == ["new1.example.com0",
                                               "new1.example.com1"]
    assert failed == []


@needs_hail
def test_hail_relocates_a_sharedfile_instance(ctx, tmp_path):
    answer = _HailAnswer(ctx, tmp_path, mode="relocate", name=SHARED_INST)
    assert answer["success"] is True, answer["info"]
    (node, ) = answer["result"]
    assert node in (MASTER, N3)


@needs_hail
def test_hail_evacuates_a_node(ctx, tmp_path):
    answer = _HailAnswer(ctx, tmp_path, mode="node-evacuate",
                         instances=[SHARED_INST], evac_mode="primary-only")
    assert answer["success"] is True, answer["info"]
    moved, failed, jobs = answer["result"]
    assert failed == [] and [m[0] for m in moved] == [SHARED_INST]
    assert jobs[0][0]["OP_ID"] == "OP_INSTANCE_MIGRATE"


@needs_hail
def test_hail_moves_an_instance_to_another_group(ctx, tmp_path):
    _MoveNodesToG2(ctx)
    kwargs = dict(mode="change-group", instances=[SHARED_INST],
                  target_groups=["g2"])
    answer = _HailAnswer(ctx, tmp_path, **kwargs)
    assert answer["success"] is True, answer["info"]
    moved, failed, _ = answer["result"]
    # hail's global N+1 check refuses the move on so small a cluster
    assert [f[0] for f in failed] == [SHARED_INST] and moved == []
    answer = _HailAnswer(ctx, tmp_path, hail_options=["--no-capacity-checks"],
                         **kwargs)
    moved, failed, jobs = answer["result"]
    assert failed == []
    ((name, group, (node, )), ) = moved
    assert (name, group) == (SHARED_INST, "g2") and node in (MASTER, N3)
    assert jobs[0][0]["target_node"] == node


@needs_hail
def test_hail_allocates_a_secondary(ctx, tmp_path):
    answer = _HailAnswer(ctx, tmp_path, mode="allocate-secondary",
                         name=FILE_INST)
    assert answer["success"] is True, answer["info"]
    assert answer["result"] in (N2, N3)
