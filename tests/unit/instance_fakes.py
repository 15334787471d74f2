"""Fakes for the instance logical unit tests.

A real ConfigWriter (in memory, written to a temporary file) and a real
RpcRunner whose transport hands each request's decoded JSON arguments to
FakeNodes, a small simulation of the nodes' side (files, running
instances, OS definitions).  The argument encodings of ganeti.rpc.defs are
thus exercised exactly as on a cluster.
"""

import copy
import json
import os
import subprocess
from typing import Optional

from ganeti import config
from ganeti import defaults
from ganeti import locking
from ganeti import mcpu
from ganeti import objects
from ganeti import rpc
from ganeti import serializer

MASTER = "node1.example.com"
NODES = [(MASTER, "10.99.0.1"), ("node2.example.com", "10.99.0.2"),
         ("node3.example.com", "10.99.0.3")]
FILE_DIR = "/srv/ganeti/file-storage"
SHARED_DIR = "/srv/ganeti/shared-file-storage"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
ALLOCATOR = os.path.join(REPO, "examples", "iallocators", "free-mem")


class NodeFailure(Exception):
    """Raised by a fake node function: the call answers [False, msg]."""


class FakeNode:
    def __init__(self, name):
        self.name = name
        self.files = {}          # path -> size
        self.dirs = set()
        self.running = {}        # instance name -> memory
        self.oses = {"debootstrap": ["default", "minimal"], "plain-os": []}
        self.free_disk = 10000
        self.free_mem = 4096


class FakeNodes:
    """The node side of the RPC calls the instance LUs make."""

    def __init__(self):
        self.nodes = {name: FakeNode(name) for name, _ in NODES}
        self.ips = {ip: name for name, ip in NODES}
        self.calls = []          # (node name, call, args)
        self.fail = {}           # call name -> message (all nodes)
        self.hooks_fail = set()  # (hooks path, phase) whose script fails

    def __call__(self, ip, call, args):
        node = self.nodes[self.ips[ip]]
        self.calls.append((node.name, call, args))
        if call in self.fail:
            raise NodeFailure(self.fail[call])
        handler = getattr(self, "do_" + call, None)
        if handler is None:
            raise NodeFailure("Unknown RPC call '%s'" % call)
        return handler(node, *args)

    def Calls(self, call):
        return [(node, args) for node, name, args in self.calls
                if name == call]

    # -- generic
    def do_hooks_runner(self, node, hpath, phase, env):
        status = 1 if (hpath, phase) in self.hooks_fail else 2
        return [["%s-%s.d/00-test" % (hpath, phase), status, "hook out"]]

    def do_node_info(self, node, storage_units, hv_specs):
        storage = [{"type": unit[0], "name": unit[1],
                    "storage_free": node.free_disk,
                    "storage_size": 20000} for unit in storage_units]
        hv = [{"memory_free": node.free_mem, "memory_total": 8192,
               "memory_dom0": 512, "cpu_total": 4, "cpu_dom0": 1,
               "cpu_nodes": 1, "cpu_sockets": 1} for _ in hv_specs]
        return ["bootid-" + node.name, storage, hv]

    def do_bridges_exist(self, node, bridges):
        return None

    def do_hypervisor_validate_params(self, node, hvname, hvfull):
        return None

    # -- OS
    def do_os_diagnose(self, node):
        return [[name, "/srv/ganeti/os/" + name, True, "", variants, [],
                 [20], True] for name, variants in node.oses.items()]

    def do_os_validate(self, node, required, name, checks, params, force):
        return True

    def do_instance_os_add(self, node, inst, reinstall, debug):
        for disk in inst["disks_info"]:
            if disk["logical_id"][1] not in node.files:
                raise NodeFailure("disk %s missing" % disk["iv_name"])
        return None

    def do_instance_run_rename(self, node, inst, old_name, debug):
        return None

    # -- storage
    def do_file_storage_dir_create(self, node, path):
        node.dirs.add(path)
        return None

    def do_file_storage_dir_remove(self, node, path):
        if any(f.startswith(path + "/") for f in node.files):
            raise NodeFailure("directory %s not empty" % path)
        node.dirs.discard(path)
        return None

    def do_file_storage_dir_rename(self, node, old, new):
        node.dirs.discard(old)
        node.dirs.add(new)
        for path in list(node.files):
            if path.startswith(old + "/"):
                node.files[new + path[len(old):]] = node.files.pop(path)
        return None

    def do_blockdev_create(self, node, disk, size, owner, on_primary, info,
                           excl):
        path = disk["logical_id"][1]
        if path in node.files:
            raise NodeFailure("Can't create block device: %s: can't create:"
                              " [Errno 17] File exists" % path)
        if os.path.dirname(path) not in node.dirs:
            raise NodeFailure("directory missing for %s" % path)
        node.files[path] = size
        return path

    def do_blockdev_remove(self, node, disk):
        node.files.pop(disk["logical_id"][1], None)
        return None

    def do_blockdev_assemble(self, node, disk, inst, on_primary, idx):
        path = disk["logical_id"][1]
        if path not in node.files:
            raise NodeFailure("disk %s not found" % path)
        return [path, "/var/run/ganeti/instance-disks/%s:%s"
                % (inst["name"], idx), None]

    def do_blockdev_shutdown(self, node, disk):
        return None

    def do_blockdev_find(self, node, disk):
        path = disk["logical_id"][1]
        if path not in node.files:
            return None
        return {"dev_path": path, "major": None, "minor": None,
                "sync_percent": None, "estimated_time": None,
                "is_degraded": False, "ldisk_status": 1}

    def do_blockdev_getmirrorstatus(self, node, disks):
        return [{"dev_path": d["logical_id"][1], "sync_percent": None,
                 "is_degraded": False} for d in disks]

    def do_blockdev_grow(self, node, disk, amount, dryrun, backing, es):
        path = disk["logical_id"][1]
        if not dryrun and backing:
            node.files[path] += amount
        return None

    def do_blockdev_open(self, node, name, disks, exclusive):
        return None

    def do_blockdev_close(self, node, name, disks):
        return None

    # -- hypervisor
    def do_instance_start(self, node, inst, paused, reason):
        node.running[inst["name"]] = inst["beparams"]["maxmem"]
        return None

    def do_resize_disk(self, node, inst, disk, new_size):
        if inst["name"] not in node.running:
            raise NodeFailure("Failed to resize disk: Instance %s is not"
                              " running" % inst["name"])
        return None

    def do_instance_shutdown(self, node, inst, timeout, reason):
        node.running.pop(inst["name"], None)
        return None

    def do_instance_reboot(self, node, inst, reboot_type, timeout, reason):
        if inst["name"] not in node.running:
            raise NodeFailure("instance not running")
        return None

    def do_instance_info(self, node, name, hname, hvparams):
        if name not in node.running:
            return {}
        return {"memory": node.running[name], "vcpus": 1, "state": "running",
                "time": 1}

    def do_instance_list(self, node, hvs, hvparams):
        return sorted(node.running)

    def do_all_instances_info(self, node, hvs, hvparams):
        return {name: {"memory": mem, "vcpus": 1, "state": "running",
                       "time": 1} for name, mem in node.running.items()}

    def do_instance_migratable(self, node, inst):
        if inst["name"] not in node.running:
            raise NodeFailure("Instance %s is not running" % inst["name"])
        return None

    def do_migration_info(self, node, inst):
        return "info"

    def do_accept_instance(self, node, inst, info, target):
        return None

    def do_instance_migrate(self, node, cluster, inst, target, live):
        mem = node.running.pop(inst["name"])
        target_node = self.nodes[self.ips[target]]
        target_node.running[inst["name"]] = mem
        return None

    def do_instance_get_migration_status(self, node, inst):
        return {"status": "completed"}

    def do_instance_finalize_migration_src(self, node, inst, success, live):
        return None

    def do_instance_finalize_migration_dst(self, node, inst, info, success):
        return None

    def do_iallocator_runner(self, node, name, idata, params):
        self.last_iallocator_input = json.loads(idata)
        result = subprocess.run([ALLOCATOR, "/dev/stdin"], input=idata,
                                capture_output=True, text=True, check=True)
        return result.stdout


class FakeTransport:
    """Answers every request by calling FakeNodes in-process."""

    def __init__(self, nodes: FakeNodes):
        self.nodes = nodes

    def Process(self, requests):
        for req in requests:
            call = req.path.lstrip("/")
            args = serializer.LoadJson(req.body)
            try:
                payload = [True, self.nodes(req.host, call, args)]
            except NodeFailure as err:
                payload = [False, str(err)]
            req.status = 200
            req.error = None
            req.resp_body = serializer.DumpJson(payload).encode("utf-8")


class FakeCbs(mcpu.OpExecCbBase):
    def __init__(self):
        self.feedback = []
        self.submitted = []

    def Feedback(self, *args):
        self.feedback.append(args[-1])

    def SubmitManyJobs(self, jobs):
        self.submitted.append(jobs)
        return [[True, 100 + i] for i in range(len(jobs))]


class Context:
    """GanetiContext's interface, over a fake cluster."""

    def __init__(self, cfg, nodes):
        self.cfg = cfg
        self.fake = nodes
        self.rpc = rpc.RpcRunner(rpc.ConfigResolver(cfg), cfg=cfg,
                                 transport=FakeTransport(nodes))
        self.glm = locking.GanetiLockManager(
            cfg.GetNodeList(), list(cfg.GetAllNodeGroupsInfo()),
            cfg.GetInstanceList(), [])
        self.jobqueue = None

    def AddInstance(self, instance, disks=None):
        self.cfg.AddInstance(instance, disks)
        self.glm.add(locking.LEVEL_INSTANCE, [instance.uuid])

    def RemoveInstance(self, inst_uuid):
        self.cfg.RemoveInstance(inst_uuid)
        self.glm.remove(locking.LEVEL_INSTANCE, [inst_uuid])

    def Run(self, op):
        cbs = FakeCbs()
        proc = mcpu.Processor(self, ec_id=1)
        try:
            return proc.ExecOpCode(op, cbs)
        finally:
            self.feedback = cbs.feedback
            self.submitted = cbs.submitted


# The test clusters' instance policy: bounds that admit small test disks
# (as upstream's own test clusters, initialised with such bounds).
SMALL_BOUNDS = {
    "min": {"cpu-count": 1, "disk-count": 0, "disk-size": 0,
            "memory-size": 4, "nic-count": 0, "spindle-use": 0},
    "max": {"cpu-count": 8, "disk-count": 16, "disk-size": 1048576,
            "memory-size": 32768, "nic-count": 8, "spindle-use": 12}}


def MakeConfig(path: str, templates=("file", "sharedfile", "diskless"),
               default_iallocator: str = "",
               ipolicy: Optional[dict] = None) -> config.ConfigWriter:
    group = objects.NodeGroup(name="default", uuid="group-uuid",
                              members=[], ctime=1.0)
    nodes = {}
    for idx, (name, ip) in enumerate(NODES):
        node = objects.Node(name=name, primary_ip=ip, secondary_ip=ip,
                            uuid="node-uuid-%d" % (idx + 1), group=group.uuid,
                            master_candidate=True)
        node.UpgradeConfig()
        nodes[node.uuid] = node
    cluster = objects.Cluster(
        cluster_name="cluster.example.com", master_node="node-uuid-1",
        master_ip="10.99.0.254", master_netdev="lo",
        enabled_hypervisors=["fake"], enabled_disk_templates=list(templates),
        file_storage_dir=FILE_DIR, shared_file_storage_dir=SHARED_DIR,
        nicparams={"default": {"link": "br0", "mode": "bridged"}},
        default_iallocator=default_iallocator, uuid="cluster-uuid",
        ipolicy=ipolicy or dict(copy.deepcopy(defaults.IPOLICY_DEFAULTS),
                                minmax=[copy.deepcopy(SMALL_BOUNDS)],
                                **{"disk-templates": list(templates)}),
        serial_no=1, ctime=1.0, mtime=1.0)
    data = objects.ConfigData(version=None, cluster=cluster, nodes=nodes,
                              nodegroups={group.uuid: group}, instances={},
                              networks={}, disks={}, filters={}, serial_no=1,
                              ctime=1.0, mtime=1.0)
    data.UpgradeConfig()
    return config.ConfigWriter(cfg_file=path, data=data)
