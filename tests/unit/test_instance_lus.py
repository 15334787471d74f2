"""Instance logical units against a fake cluster (real config, real RPC
encodings, simulated nodes): creation and its rollback, bad input, the
life cycle operations, modify, migration/failover and the iallocator."""

import json

import pytest

from ganeti import constants as C
from ganeti import errors
from ganeti import iallocator
from ganeti import opcodes
from ganeti.cmdlib import query as cmdlib_query

from instance_fakes import (ALLOCATOR, FILE_DIR, MASTER, SHARED_DIR, Context,
                            FakeNodes, MakeConfig)

INST = "inst1.example.com"


@pytest.fixture
def ctx(tmp_path):
    cfg = MakeConfig(str(tmp_path / "config.data"))
    return Context(cfg, FakeNodes())


def _create(ctx, name=INST, **kwargs):
    params = dict(instance_name=name, mode=C.INSTANCE_CREATE,
                  disk_template="file", disks=[{"size": 64}], nics=[{}],
                  os_type="debootstrap+default", pnode=MASTER,
                  name_check=False, ip_check=False,
                  beparams={"memory": 128})
    params.update(kwargs)
    return ctx.Run(opcodes.OpInstanceCreate(**params))


def _steps(ctx):
    return [m for m in ctx.feedback if isinstance(m, str)]


def _inst(ctx, name=INST):
    return ctx.cfg.GetInstanceInfoByName(name)


def _prereq(ctx, fn, *args, **kwargs):
    with pytest.raises(errors.OpPrereqError) as err:
        fn(ctx, *args, **kwargs)
    return err.value


# ---------------------------------------------------------------- create

def test_create_file_instance(ctx):
    result = _create(ctx)
    assert result == [MASTER]
    inst = _inst(ctx)
    assert inst.admin_state == C.ADMINST_UP
    assert inst.disk_template == "file"
    assert inst.beparams == {"maxmem": 128, "minmem": 128}
    disks = ctx.cfg.GetInstanceDisks(inst.uuid)
    assert len(disks) == 1 and disks[0].iv_name == "disk/0"
    path = disks[0].logical_id[1]
    assert disks[0].logical_id[0] == "loop"
    assert path.startswith("%s/%s/" % (FILE_DIR, INST))
    assert path.endswith(".file.disk0")
    node = ctx.fake.nodes[MASTER]
    assert node.files == {path: 64}
    assert INST in node.running
    assert inst.nics[0].mac.startswith("aa:00:00:")
    steps = _steps(ctx)
    assert steps == [
        "* disk 0, size 64M", "* creating instance disks...",
        "adding instance %s to cluster config" % INST,
        "adding disks to cluster config",
        " - INFO: Waiting for instance %s to sync disks" % INST,
        " - INFO: Instance %s's disks are in sync" % INST,
        " - INFO: Waiting for instance %s to sync disks" % INST,
        " - INFO: Instance %s's disks are in sync" % INST,
        "* running the instance OS create scripts...",
        "* starting instance..."]
    # hooks: instance-add pre and post on master and primary
    hooks = [(a[0], a[1]) for _, a in ctx.fake.Calls("hooks_runner")]
    assert ("instance-add", "pre") in hooks
    assert ("instance-add", "post") in hooks
    env = [a[2] for _, a in ctx.fake.Calls("hooks_runner")
           if a[0] == "instance-add"][0]
    assert env["GANETI_INSTANCE_NAME"] == INST
    assert env["GANETI_INSTANCE_PRIMARY"] == MASTER
    assert env["GANETI_INSTANCE_DISK_TEMPLATE"] == "file"
    assert env["GANETI_INSTANCE_NIC_COUNT"] == "1"
    assert env["GANETI_INSTANCE_DISK0_SIZE"] == "64"
    assert env["GANETI_ADD_MODE"] == "create"
    assert env["GANETI_OBJECT_TYPE"] == "INSTANCE"


def test_create_diskless_no_os_run(ctx):
    _create(ctx, disk_template="diskless", disks=[])
    assert _steps(ctx) == [
        "* creating instance disks...",
        "adding instance %s to cluster config" % INST,
        "adding disks to cluster config", "* starting instance..."]
    assert not ctx.fake.Calls("instance_os_add")


def test_create_no_start(ctx):
    _create(ctx, start=False, disk_template="sharedfile")
    inst = _inst(ctx)
    assert inst.admin_state == C.ADMINST_DOWN
    assert not ctx.fake.nodes[MASTER].running
    disk = ctx.cfg.GetInstanceDisks(inst.uuid)[0]
    assert disk.logical_id[1].startswith(SHARED_DIR + "/")
    assert disk.logical_id[1].endswith(".sharedfile.disk0")


def _assert_nothing_left(ctx):
    assert _inst(ctx) is None
    assert ctx.cfg.GetAllDisksInfo() == {}
    node = ctx.fake.nodes[MASTER]
    assert node.files == {}
    assert node.dirs == set()
    assert ctx.glm.QueryLocks(["name"]) == []


def test_create_os_failure_leaves_nothing(ctx):
    ctx.fake.fail["instance_os_add"] = "OS create script failed"
    with pytest.raises(errors.OpExecError) as err:
        _create(ctx, disks=[{"size": 64}, {"size": 32}])
    assert str(err.value) == ("Could not add os for instance %s on node %s:"
                              " OS create script failed" % (INST, MASTER))
    _assert_nothing_left(ctx)
    # the name can be used again afterwards
    del ctx.fake.fail["instance_os_add"]
    _create(ctx)
    assert _inst(ctx) is not None


def test_create_disk_failure_rolls_back(ctx):
    real = ctx.fake.do_blockdev_create
    count = []

    def second_fails(node, disk, *args):
        count.append(1)
        if len(count) == 2:
            raise __import__("instance_fakes").NodeFailure("no space")
        return real(node, disk, *args)

    ctx.fake.do_blockdev_create = second_fails
    with pytest.raises(errors.OpExecError) as err:
        _create(ctx, disks=[{"size": 64}, {"size": 32}])
    assert "Can't create block device <Disk(type=file" in str(err.value)
    assert str(err.value).endswith("on node %s for instance %s: no space"
                                   % (MASTER, INST))
    assert " - WARNING: Device creation failed" in _steps(ctx)
    _assert_nothing_left(ctx)


@pytest.mark.parametrize("kwargs,message,ecode", [
    ({"os_type": "nosuchos"},
     "OS 'nosuchos' not in supported OS list for node %s" % MASTER,
     errors.ECODE_INVAL),
    ({"os_type": "debootstrap+huge"}, "Unsupported OS variant",
     errors.ECODE_INVAL),
    ({"os_type": "debootstrap"}, "OS name must include a variant",
     errors.ECODE_INVAL),
    ({"os_type": "plain-os+x"},
     "OS 'plain-os' doesn't support variants ('x' passed)",
     errors.ECODE_INVAL),
    ({"disk_template": "plain"},
     "Disk template 'plain' is not enabled in cluster. Enabled disk"
     " templates are: file,sharedfile,diskless", None),
    ({"disks": [{"size": 20000}]},
     "Not enough disk space on target node %s storage %s: required 20000"
     " MiB, available 10000 MiB" % (MASTER, FILE_DIR), errors.ECODE_NORES),
    ({"pnode": "nosuchnode"}, "Node 'nosuchnode' not known",
     errors.ECODE_NOENT),
    ({"disks": [{"size": 64, "mode": "rx"}]},
     "Invalid disk access mode 'rx'", errors.ECODE_INVAL),
    ({"disk_template": "diskless"},
     "Diskless instance but disk information passed", errors.ECODE_INVAL),
    ({"disks": []}, "No disk information specified", errors.ECODE_INVAL),
    ({"beparams": {"memory": 8000}},
     "Not enough memory on node %s for creating instance %s: needed 8000"
     " MiB, available 4096 MiB" % (MASTER, INST), errors.ECODE_NORES),
    ({"pnode": None},
     "No iallocator or node given and no cluster-wide default iallocator"
     " found; please specify either an iallocator or a node, or set a"
     " cluster-wide default iallocator", errors.ECODE_INVAL),
])
def test_create_bad_input(ctx, kwargs, message, ecode):
    err = _prereq(ctx, _create, **kwargs)
    assert err.args[0].startswith(message)
    if ecode is not None:
        assert err.args[1] == ecode
    _assert_nothing_left(ctx)
    assert not ctx.fake.Calls("blockdev_create")


def test_create_existing_name_and_offline_node(ctx):
    _create(ctx)
    err = _prereq(ctx, _create)
    assert err.args == ("Instance '%s' is already in the cluster" % INST,
                        errors.ECODE_EXISTS)
    node2 = ctx.cfg.GetNodeInfoByName("node2.example.com")
    node2.offline = True
    ctx.cfg.Update(node2)
    err = _prereq(ctx, _create, name="inst2.example.com",
                  pnode="node2.example.com")
    assert err.args == ("Can't use offline node node2.example.com",
                        errors.ECODE_STATE)
    assert ctx.cfg.GetInstanceInfoByName("inst2.example.com") is None


def test_create_with_iallocator(ctx):
    ctx.fake.nodes["node3.example.com"].free_mem = 6000
    _create(ctx, pnode=None, iallocator=ALLOCATOR)
    assert ctx.cfg.GetNodeName(_inst(ctx).primary_node) == \
        "node3.example.com"
    assert (" - INFO: Selected nodes for instance %s via iallocator %s:"
            " node3.example.com" % (INST, ALLOCATOR)) in _steps(ctx)
    data = ctx.fake.last_iallocator_input
    assert data["version"] == 2
    req = data["request"]
    assert req["type"] == "allocate" and req["name"] == INST
    assert req["required_nodes"] == 1 and req["memory"] == 128
    assert req["disk_space_total"] == 64
    assert set(data["nodes"]) == {"node1.example.com", "node2.example.com",
                                  "node3.example.com"}
    assert data["nodes"]["node3.example.com"]["free_memory"] == 6000


def test_iallocator_failure_message(ctx):
    for node in ctx.fake.nodes.values():
        node.free_mem = 10
    err = _prereq(ctx, _create, pnode=None, iallocator=ALLOCATOR,
                  start=False)
    assert err.args[0].startswith("Can't compute nodes using iallocator"
                                  " '%s': No node with enough" % ALLOCATOR)
    assert err.args[1] == errors.ECODE_NORES


def test_iallocator_request_json(ctx):
    _create(ctx)
    req = iallocator.IAReqInstanceAlloc(
        name="new.example.com", memory=256, spindle_use=1,
        disks=[{"size": 1024, "mode": "rw"}], disk_template="drbd",
        os="debootstrap+default", tags=["a"], nics=[{"mac": "auto"}],
        vcpus=2, hypervisor="fake", group_name=None, node_whitelist=None)
    live = {"node-uuid-1": ([{"storage_free": 900, "storage_size": 1000}],
                            {"memory_free": 3000, "memory_total": 4000,
                             "memory_dom0": 100, "cpu_total": 4,
                             "cpu_dom0": 0})}
    data = iallocator.BuildInputData(ctx.cfg, req, live,
                                     {INST: {"memory": 100}})
    text = json.dumps(data)
    assert json.loads(text) == data
    assert sorted(data) == ["cluster_name", "cluster_tags",
                            "enabled_hypervisors", "instances", "ipolicy",
                            "nodegroups", "nodes", "request", "version"]
    assert data["request"] == {
        "type": "allocate", "name": "new.example.com",
        "disk_template": "drbd", "tags": ["a"], "os": "debootstrap+default",
        "vcpus": 2, "memory": 256, "spindle_use": 1,
        "disks": [{"size": 1024, "mode": "rw", "dev_type": "drbd"}],
        "disk_space_total": 1024 + 128, "nics": [{"mac": "auto"}],
        "required_nodes": 2, "hypervisor": "fake", "group_name": None}
    node1 = data["nodes"][MASTER]
    # 128 MiB maxmem instance using 100 MiB: 28 MiB more are reserved
    assert node1["free_memory"] == 3000 - 28
    assert node1["i_pri_memory"] == 128 and node1["i_pri_up_memory"] == 128
    assert node1["total_disk"] == 1000 and node1["free_disk"] == 900
    assert "free_memory" not in data["nodes"]["node2.example.com"]
    inst = data["instances"][INST]
    assert inst["nodes"] == [MASTER] and inst["disk_template"] == "file"
    assert inst["disks"] == [{"dev_type": "file", "size": 64, "mode": "rw",
                              "spindles": None}]
    assert inst["admin_state"] == "up" and inst["memory"] == 128
    assert data["nodegroups"]["group-uuid"]["name"] == "default"


def test_allocator_script_answers(tmp_path, ctx):
    req = iallocator.IAReqInstanceAlloc(
        name="x", memory=64, spindle_use=1, disks=[{"size": 10}],
        disk_template="file", os="o", tags=[], nics=[], vcpus=1,
        hypervisor="fake")
    live = {"node-uuid-%d" % i: ([{"storage_free": 100}],
                                 {"memory_free": 1000 * i})
            for i in (1, 2, 3)}
    path = tmp_path / "in.json"
    path.write_text(json.dumps(iallocator.BuildInputData(ctx.cfg, req, live)))
    import subprocess
    out = subprocess.run([ALLOCATOR, "--x=y", str(path)], check=True,
                         capture_output=True, text=True).stdout
    ial = iallocator.IAllocator(ctx.cfg, None, req)
    ial.ParseResult(out)
    assert ial.success and ial.result == ["node3.example.com"]


# ---------------------------------------------------------------- life cycle

def _op(cls, **kwargs):
    kwargs.setdefault("instance_name", INST)
    return cls(**kwargs)


def test_shutdown_startup_reboot(ctx):
    _create(ctx)
    node = ctx.fake.nodes[MASTER]
    ctx.Run(_op(opcodes.OpInstanceShutdown))
    assert _inst(ctx).admin_state == C.ADMINST_DOWN and not node.running
    ctx.Run(_op(opcodes.OpInstanceStartup))
    assert _inst(ctx).admin_state == C.ADMINST_UP and INST in node.running
    ctx.Run(_op(opcodes.OpInstanceReboot, reboot_type="hard"))
    assert ctx.fake.Calls("instance_reboot")
    ctx.Run(_op(opcodes.OpInstanceReboot, reboot_type="full"))
    assert INST in node.running
    ctx.Run(_op(opcodes.OpInstanceShutdown, no_remember=True))
    assert _inst(ctx).admin_state == C.ADMINST_UP and not node.running


def test_failing_pre_hook_blocks_startup(ctx):
    _create(ctx, start=False)
    ctx.fake.hooks_fail.add(("instance-start", "pre"))
    with pytest.raises(errors.HooksAbort):
        ctx.Run(_op(opcodes.OpInstanceStartup))
    assert _inst(ctx).admin_state == C.ADMINST_DOWN
    assert not ctx.fake.nodes[MASTER].running


def test_unknown_instance(ctx):
    with pytest.raises(errors.OpPrereqError) as err:
        ctx.Run(_op(opcodes.OpInstanceStartup, instance_name="nosuch"))
    assert err.value.args == ("Instance 'nosuch' not known",
                              errors.ECODE_NOENT)


def test_rename_and_reinstall(ctx):
    _create(ctx)
    with pytest.raises(errors.OpPrereqError) as err:
        ctx.Run(_op(opcodes.OpInstanceRename, new_name="x.example.com",
                    name_check=False, ip_check=False))
    assert err.value.args == ("Instance '%s' is marked to be up, cannot"
                              " rename" % INST, errors.ECODE_STATE)
    with pytest.raises(errors.OpPrereqError) as err:
        ctx.Run(_op(opcodes.OpInstanceReinstall))
    assert err.value.args[0] == "Instance '%s' is marked to be up, cannot" \
        " reinstall" % INST
    # down in the configuration but still running: refused as well
    ctx.Run(_op(opcodes.OpInstanceShutdown))
    ctx.fake.nodes[MASTER].running[INST] = 128
    with pytest.raises(errors.OpPrereqError) as err:
        ctx.Run(_op(opcodes.OpInstanceReinstall))
    assert err.value.args[0] == "Instance %s is running, cannot reinstall" \
        % INST
    ctx.fake.nodes[MASTER].running.clear()
    new = "renamed.example.com"
    result = ctx.Run(_op(opcodes.OpInstanceRename, new_name=new,
                         name_check=False, ip_check=False))
    assert result == new
    inst = _inst(ctx, new)
    path = ctx.cfg.GetInstanceDisks(inst.uuid)[0].logical_id[1]
    assert path.startswith("%s/%s/" % (FILE_DIR, new))
    assert path in ctx.fake.nodes[MASTER].files
    assert ctx.fake.Calls("instance_run_rename")[0][1][1] == INST
    ctx.Run(_op(opcodes.OpInstanceReinstall, instance_name=new,
                os_type="debootstrap+minimal"))
    assert _inst(ctx, new).os == "debootstrap+minimal"
    assert ctx.fake.Calls("instance_os_add")[-1][1][1] is True


def test_modify_params_disks_and_nics(ctx):
    _create(ctx)
    result = ctx.Run(_op(opcodes.OpInstanceSetParams,
                         beparams={"memory": 96}))
    assert result == [("be/memory", 96)]
    inst = _inst(ctx)
    assert inst.beparams["maxmem"] == 96 and inst.beparams["minmem"] == 96
    # add a disk (running instance: it gets activated) and a NIC
    result = ctx.Run(_op(opcodes.OpInstanceSetParams,
                         disks=[["add", -1, {"size": 32}]],
                         nics=[["add", -1, {}]]))
    assert result[0] == ("disk/1", "add:size=32,mode=rw")
    assert result[1][0] == "nic.1" and result[1][1].startswith("add:mac=aa:")
    inst = _inst(ctx)
    disks = ctx.cfg.GetInstanceDisks(inst.uuid)
    assert [d.iv_name for d in disks] == ["disk/0", "disk/1"]
    assert disks[1].logical_id[1] in ctx.fake.nodes[MASTER].files
    assert len(inst.nics) == 2
    assert inst.nics[0].mac != inst.nics[1].mac
    # removing a disk needs the instance down
    with pytest.raises(errors.OpPrereqError) as err:
        ctx.Run(_op(opcodes.OpInstanceSetParams,
                    disks=[["remove", 1, {}]]))
    assert err.value.args[0] == "Instance '%s' is marked to be up, cannot" \
        " remove disks" % INST
    ctx.Run(_op(opcodes.OpInstanceShutdown))
    result = ctx.Run(_op(opcodes.OpInstanceSetParams,
                         disks=[["remove", 0, {}]], nics=[["remove", 1, {}]]))
    assert result == [("disk/0", "remove"), ("nic.1", "remove")]
    disks = ctx.cfg.GetInstanceDisks(inst.uuid)
    assert [d.iv_name for d in disks] == ["disk/0"]
    assert list(ctx.fake.nodes[MASTER].files) == [disks[0].logical_id[1]]
    assert len(_inst(ctx).nics) == 1
    with pytest.raises(errors.OpPrereqError) as err:
        ctx.Run(_op(opcodes.OpInstanceSetParams,
                    disks=[["modify", 5, {"mode": "ro"}]]))
    assert err.value.args[0] == "Got disk index 5, but there are only 1"
    result = ctx.Run(_op(opcodes.OpInstanceSetParams, offline=True))
    assert result == [("admin_state", "offline")]
    assert _inst(ctx).admin_state == C.ADMINST_OFFLINE
    with pytest.raises(errors.OpPrereqError) as err:
        ctx.Run(_op(opcodes.OpInstanceStartup))
    assert err.value.args[0].startswith("Instance '%s' is marked to be"
                                        " offline" % INST)
    with pytest.raises(errors.OpPrereqError) as err:
        ctx.Run(_op(opcodes.OpInstanceSetParams))
    assert err.value.args == ("No changes submitted", errors.ECODE_INVAL)


def test_grow_disk_and_activate(ctx):
    _create(ctx)
    ctx.Run(_op(opcodes.OpInstanceGrowDisk, disk=0, amount=16))
    disk = ctx.cfg.GetInstanceDisks(_inst(ctx).uuid)[0]
    assert disk.size == 80
    assert ctx.fake.nodes[MASTER].files[disk.logical_id[1]] == 80
    assert "Growing disk 0 of instance '%s' by 16M to 80M" % INST \
        in _steps(ctx)
    with pytest.raises(errors.OpPrereqError) as err:
        ctx.Run(_op(opcodes.OpInstanceGrowDisk, disk=0, amount=10,
                    absolute=True))
    assert err.value.args[0] == ("Requested size (10M) is smaller than"
                                 " current disk size (80M)")
    result = ctx.Run(_op(opcodes.OpInstanceActivateDisks))
    assert result == [[MASTER, "disk/0", disk.logical_id[1]]]


def test_grow_disk_tells_a_running_kvm_instance(ctx):
    _create(ctx)
    assert INST in ctx.fake.nodes[MASTER].running
    ctx.Run(_op(opcodes.OpInstanceGrowDisk, disk=0, amount=8))
    assert ctx.fake.Calls("resize_disk") == []     # fake: as upstream's
    inst = _inst(ctx)
    inst.hypervisor = C.HT_KVM
    ctx.cfg.Update(inst, None)
    ctx.Run(_op(opcodes.OpInstanceGrowDisk, disk=0, amount=8))
    disk = ctx.cfg.GetInstanceDisks(_inst(ctx).uuid)[0]
    [(node, (idict, ddict, new_size))] = ctx.fake.Calls("resize_disk")
    assert (node, idict["name"], ddict["uuid"], new_size) == \
        (MASTER, INST, disk.uuid, 80)
    assert ddict["size"] == 80
    # the hypervisor refusing: the disk still grew, with a warning
    ctx.fake.fail["resize_disk"] = "Failed to resize disk: no QMP"
    ctx.Run(_op(opcodes.OpInstanceGrowDisk, disk=0, amount=16))
    assert ctx.cfg.GetInstanceDisks(_inst(ctx).uuid)[0].size == 96
    assert any("Could not notify the hypervisor of the new size of disk 0:"
               " Failed to resize disk: no QMP" in str(m)
               for m in ctx.feedback)
    # a stopped instance: nothing to tell
    del ctx.fake.fail["resize_disk"]
    ctx.Run(_op(opcodes.OpInstanceShutdown))
    ctx.Run(_op(opcodes.OpInstanceGrowDisk, disk=0, amount=16))
    assert len(ctx.fake.Calls("resize_disk")) == 2


def test_remove(ctx):
    _create(ctx, disks=[{"size": 10}, {"size": 20}])
    ctx.Run(_op(opcodes.OpInstanceRemove))
    _assert_nothing_left(ctx)
    assert not ctx.fake.nodes[MASTER].running


def test_query_data_and_list(ctx):
    _create(ctx)
    result = ctx.Run(opcodes.OpInstanceQueryData(instances=[INST]))
    data = result[INST]
    assert data["run_state"] == "up" and data["config_state"] == "up"
    assert data["pnode"] == MASTER and data["snodes"] == []
    # upstream's 7-tuple: path, major, minor, sync %, estimated time,
    # degraded, ldisk status
    assert data["disks"][0]["pstatus"] == [
        data["disks"][0]["logical_id"][1], None, None, None, None, False, 1]
    assert data["disks"][0]["sstatus"] is None
    assert data["be_actual"]["maxmem"] == 128
    assert "migration_mode" not in data["hv_actual"]
    static = ctx.Run(opcodes.OpInstanceQueryData(instances=[INST],
                                                 static=True))[INST]
    assert static["run_state"] is None and \
        static["disks"][0]["pstatus"] is None
    rows = cmdlib_query.RunQuery(ctx, "instance",
                                 ["name", "status", "oper_ram",
                                  "disk_usage", "snodes", "disk.sizes"],
                                 None)["data"]
    assert [v for _, v in rows[0]] == [INST, "running", 128, 64, [], [64]]
    ctx.fake.nodes[MASTER].running.clear()
    rows = cmdlib_query.RunQuery(ctx, "instance", ["status"], None)["data"]
    assert rows[0][0][1] == "ERROR_down"


# ---------------------------------------------------------------- moving

def test_migrate_file_instance_refused(ctx):
    _create(ctx)
    with pytest.raises(errors.OpPrereqError) as err:
        ctx.Run(_op(opcodes.OpInstanceMigrate,
                    target_node="node2.example.com"))
    assert err.value.args == ("Instance's disk layout 'file' does not allow"
                              " migrations", errors.ECODE_STATE)
    with pytest.raises(errors.OpPrereqError) as err:
        ctx.Run(_op(opcodes.OpInstanceFailover,
                    target_node="node2.example.com"))
    assert err.value.args[0] == ("Instance's disk layout 'file' does not"
                                 " allow failovers")


def test_migrate_and_failover_sharedfile(ctx):
    _create(ctx, disk_template="sharedfile")
    # shared storage: every node sees the files
    shared = ctx.fake.nodes[MASTER].files
    for name in ("node2.example.com", "node3.example.com"):
        ctx.fake.nodes[name].files = shared
    ctx.Run(_op(opcodes.OpInstanceMigrate, target_node="node2.example.com"))
    assert ctx.cfg.GetNodeName(_inst(ctx).primary_node) == \
        "node2.example.com"
    assert INST in ctx.fake.nodes["node2.example.com"].running
    assert _steps(ctx) == [
        "Migrating instance %s" % INST,
        "* checking disk consistency between source and target",
        "* closing instance disks on node node2.example.com",
        "* opening instance disks on node node1.example.com in shared mode",
        "* opening instance disks on node node2.example.com in shared mode",
        "* preparing node2.example.com to accept the instance",
        "* migrating instance to node2.example.com",
        "* starting memory transfer", "* memory transfer complete",
        "* closing instance disks on node node1.example.com",
        "* opening instance disks on node node2.example.com in exclusive"
        " mode", "* done"]
    ctx.Run(_op(opcodes.OpInstanceFailover, target_node="node3.example.com"))
    assert ctx.cfg.GetNodeName(_inst(ctx).primary_node) == \
        "node3.example.com"
    assert INST in ctx.fake.nodes["node3.example.com"].running
    assert not ctx.fake.nodes["node2.example.com"].running
    assert _steps(ctx) == [
        "Failover instance %s" % INST,
        "* checking disk consistency between source and target",
        "* shutting down instance on source node",
        "* closing instance disks on node node2.example.com",
        "* deactivating the instance's disks on source node",
        "* activating the instance's disks on target node node3.example.com",
        "* starting the instance on the target node node3.example.com"]
    # node migrate submits one job per primary instance
    result = ctx.Run(opcodes.OpNodeMigrate(node_name="node3.example.com"))
    assert result == {"jobs": [[True, 100]]}
    job = ctx.submitted[0][0]
    assert job[0].OP_ID == "OP_INSTANCE_MIGRATE" and \
        job[0].instance_name == INST
    # a stopped instance can't be migrated (but may fail over)
    ctx.Run(_op(opcodes.OpInstanceShutdown))
    with pytest.raises(errors.OpPrereqError) as err:
        ctx.Run(_op(opcodes.OpInstanceMigrate, target_node=MASTER))
    assert err.value.args[0].startswith("Can't migrate, please use failover")


def test_node_evacuate_with_allocator(ctx):
    _create(ctx, disk_template="sharedfile")
    result = ctx.Run(opcodes.OpNodeEvacuate(node_name=MASTER,
                                            mode="primary-only",
                                            iallocator=ALLOCATOR))
    assert result == {"jobs": [[True, 100]]}
    op = ctx.submitted[0][0][0]
    assert op.OP_ID == "OP_INSTANCE_MIGRATE" and op.allow_failover
    assert op.target_node in ("node2.example.com", "node3.example.com")


def test_multi_alloc_submits_one_job_per_instance(ctx):
    ops = [opcodes.OpInstanceCreate(
        instance_name="m%d.example.com" % i, mode="create",
        disk_template="diskless", disks=[], nics=[{}], os_type="plain-os",
        name_check=False, ip_check=False).__getstate__() for i in (1, 2)]
    result = ctx.Run(opcodes.OpInstanceMultiAlloc(instances=ops,
                                                  iallocator=ALLOCATOR))
    assert result["allocatable"] == ["m1.example.com", "m2.example.com"]
    assert result["failed"] == []
    jobs = ctx.submitted[0]
    assert [job[0].instance_name for job in jobs] == \
        ["m1.example.com", "m2.example.com"]
    assert all(job[0].iallocator == ALLOCATOR for job in jobs)
    # the submitted opcodes run
    ctx.fake.nodes["node2.example.com"].free_mem = 8000
    ctx.Run(jobs[0][0])
    assert ctx.cfg.GetNodeName(_inst(ctx, "m1.example.com").primary_node) \
        == "node2.example.com"


def test_name_and_ip_checks(ctx, monkeypatch):
    from ganeti import netutils

    class Host:
        def __init__(self, name):
            self.name = name + (".example.com" if "." not in name else "")
            self.ip = "127.0.1.101"

    monkeypatch.setattr(netutils, "GetHostname", lambda name=None: Host(name))
    monkeypatch.setattr(netutils, "TcpPing", lambda *a, **kw: True)
    err = _prereq(ctx, _create, name="inst1", name_check=True,
                  ip_check=True)
    assert err.args == ("IP 127.0.1.101 of instance %s already in use" % INST,
                        errors.ECODE_NOTUNIQUE)
    _assert_nothing_left(ctx)
    monkeypatch.setattr(netutils, "TcpPing", lambda *a, **kw: False)
    _create(ctx, name="inst1", name_check=True, ip_check=True,
            nics=[{"ip": "auto"}])
    inst = _inst(ctx)
    assert inst is not None and inst.nics[0].ip == "127.0.1.101"
    assert " - INFO: Resolved given name 'inst1' to '%s'" % INST in \
        _steps(ctx)
