"""Tests for cluster verify (ganeti.cmdlib.verify, verify_checks), the
node side of node_verify, verify-disks, rename and renew-crypto LUs, and the
command/copyfile clients.

The LUs run against a real ConfigWriter (3 nodes, below a temporary root)
and a fake node RPC answering node_verify from per-node payloads.
"""

import os
import time
import types

import pytest

from ganeti import backend
from ganeti.backend import verify as backend_verify
from ganeti import config
from ganeti import constants
from ganeti import errors
from ganeti import netutils
from ganeti import objects
from ganeti import opcodes
from ganeti import pathutils
from ganeti import rpc
from ganeti.cmdlib import cluster_ops
from ganeti.cmdlib import verify
from ganeti.cmdlib import verify_checks as vc
from ganeti.cmdlib.base import ResultWithJobs
from ganeti.utils import x509

N1, N2, N3 = ("node%d.example.com" % i for i in (1, 2, 3))
C = constants


def ok(payload):
    return rpc.RpcResult(data=[True, payload])


def down(msg="Error 7: Failed to connect to node3 port 1811"):
    return rpc.RpcResult(data=msg, failed=True)


def offline():
    return rpc.RpcResult(offline=True)


# ------------------------------------------------------------------ Reporter

def _rep(**kwargs):
    lines = []
    return vc.Reporter(lines.append, **kwargs), lines


def test_reporter_plain_and_error_codes_layout():
    rep, lines = _rep()
    rep.Error("ENODESETUP", N1, "node setup error: %s", "bad")
    rep.Error("ECLUSTERCFG", None, "broken")
    assert lines == ["  - ERROR: node %s: node setup error: bad" % N1,
                     "  - ERROR: cluster: broken"]
    assert rep.bad
    rep, lines = _rep(error_codes=True)
    rep.Error("ENODESETUP", N1, "node setup error: bad")
    rep.Error("EINSTANCEDOWN", "inst1", "down")
    rep.Error("ECLUSTERFILECHECK", None, "differs")
    assert lines == [
        "  - ERROR:ENODESETUP:node:%s:node setup error: bad" % N1,
        "  - ERROR:EINSTANCEDOWN:instance:inst1:down",
        "  - ERROR:ECLUSTERFILECHECK:cluster:None:differs"]


def test_reporter_ignore_and_warnings_do_not_fail():
    rep, lines = _rep(ignore_errors=["ENODESETUP"])
    rep.Error("ENODESETUP", N1, "x")
    rep.Error("ENODEVERSION", N1, "y", code=C.CV_WARNING)
    assert lines == ["  - WARNING: node %s: x" % N1,
                     "  - WARNING: node %s: y" % N1]
    assert not rep.bad
    rep.ErrorIf(False, "ENODETIME", N1, "z")
    assert len(lines) == 2 and not rep.bad
    rep.ErrorIf(True, "ENODETIME", N1, "z")
    assert rep.bad


def test_reporter_simulate_reports_every_site():
    rep, lines = _rep(simulate=True)
    rep.ErrorIf(False, "ENODETIME", N1, "diverges by %s", None)
    assert lines == ["  - ERROR: node %s: diverges by None" % N1]


def test_nice_sort():
    assert vc.NiceSort(["node10", "node2", "node1"]) == \
        ["node1", "node2", "node10"]


# ------------------------------------------------------- single-node checks

def _good_payload(**overrides):
    now = time.time()
    payload = {
        C.NV_VERSION: [C.PROTOCOL_VERSION, C.RELEASE_VERSION],
        C.NV_TIME: [int(now), int((now % 1) * 1000000)],
        C.NV_NODESETUP: [],
        C.NV_NODELIST: {},
        C.NV_NODENETTEST: {},
        C.NV_MASTERIP: True,
        C.NV_USERSCRIPTS: [],
        C.NV_HYPERVISOR: {"fake": None},
        C.NV_HVPARAMS: [],
        C.NV_HVINFO: {"memory_free": 2048, "memory_total": 4096},
        C.NV_INSTANCELIST: [],
        C.NV_BRIDGES: [],
    }
    payload.update(overrides)
    return payload


def test_node_basics_good():
    rep, lines = _rep()
    assert vc.VerifyNodeBasics(rep, N1, _good_payload())
    assert lines == [] and not rep.bad


def test_node_basics_protocol_mismatch_stops():
    rep, lines = _rep(error_codes=True)
    payload = _good_payload(**{C.NV_VERSION: [1, "1.0"]})
    assert not vc.VerifyNodeBasics(rep, N1, payload)
    assert lines == ["  - ERROR:ENODEVERSION:node:%s:incompatible protocol"
                     " versions: master %s, node 1" % (N1, C.PROTOCOL_VERSION)]


def test_node_basics_software_mismatch_is_warning():
    rep, lines = _rep()
    payload = _good_payload(**{C.NV_VERSION: [C.PROTOCOL_VERSION, "2.9"]})
    assert vc.VerifyNodeBasics(rep, N1, payload)
    assert lines == ["  - WARNING: node %s: software version mismatch: master"
                     " %s, node 2.9" % (N1, C.RELEASE_VERSION)]
    assert not rep.bad


def test_node_basics_invalid_answers():
    for payload, text in ((None, "unable to verify node: no data returned"),
                          ({C.NV_TIME: 1}, "connection to node returned"
                           " invalid data")):
        rep, lines = _rep()
        assert not vc.VerifyNodeBasics(rep, N1, payload)
        assert lines == ["  - ERROR: node %s: %s" % (N1, text)]


def test_node_setup_and_hypervisor_errors():
    rep, lines = _rep()
    payload = _good_payload(**{
        C.NV_NODESETUP: ["a", "b"],
        C.NV_HYPERVISOR: {"fake": None, "kvm": "no kvm binary"},
        C.NV_HVPARAMS: [["cluster", "kvm", "bad kernel path"]]})
    vc.VerifyNodeBasics(rep, N1, payload)
    assert lines == [
        "  - ERROR: node %s: hypervisor kvm verify failure: 'no kvm binary'"
        % N1,
        "  - ERROR: node %s: hypervisor kvm parameter verify failure (source"
        " cluster): bad kernel path" % N1,
        "  - ERROR: node %s: node setup error: a; b" % N1]
    rep, lines = _rep()
    payload = _good_payload()
    del payload[C.NV_NODESETUP]
    vc.VerifyNodeBasics(rep, N1, payload)
    assert lines == ["  - ERROR: node %s: node setup error: Missing NODESETUP"
                     " results" % N1]


def test_node_time():
    rep, lines = _rep()
    now = float(int(time.time()))
    vc.VerifyNodeTime(rep, N1, {C.NV_TIME: [int(now) + 200, 500000]}, now,
                      now)
    assert lines == ["  - ERROR: node %s: Node time diverges by at least"
                     " 200.5s from master node time" % N1]
    rep, lines = _rep()
    vc.VerifyNodeTime(rep, N1, {C.NV_TIME: [int(now), 0]}, now - 1, now + 1)
    assert lines == []
    rep, lines = _rep()
    vc.VerifyNodeTime(rep, N1, {C.NV_TIME: "junk"}, now, now)
    assert lines == ["  - ERROR: node %s: Node returned invalid time" % N1]


def test_node_network():
    rep, lines = _rep()
    payload = {C.NV_NODELIST: {N3: "ssh problem: timeout"},
               C.NV_NODENETTEST: {N3: "failure using the primary interface(s)"},
               C.NV_MASTERIP: False}
    vc.VerifyNodeNetwork(rep, N1, payload, is_master=False)
    assert lines == [
        "  - ERROR: node %s: ssh communication with node '%s': ssh problem:"
        " timeout" % (N1, N3),
        "  - ERROR: node %s: tcp communication with node '%s': failure using"
        " the primary interface(s)" % (N1, N3),
        "  - ERROR: node %s: cannot reach the master IP" % N1]
    rep, lines = _rep()
    vc.VerifyNodeNetwork(rep, N1, {C.NV_MASTERIP: False}, is_master=True)
    assert lines == [
        "  - ERROR: node %s: node hasn't returned node ssh connectivity data"
        % N1,
        "  - ERROR: node %s: node hasn't returned node tcp connectivity data"
        % N1,
        "  - ERROR: node %s: the master node cannot reach the master IP (not"
        " configured?)" % N1]


def test_storage_paths_lvm_bridges_scripts():
    rep, lines = _rep(error_codes=True)
    vc.VerifyStoragePaths(rep, N1, {C.NV_FILE_STORAGE_PATH: "Path '/x' is not"
                                    " writable"}, ["file", "sharedfile"])
    assert lines == ["  - ERROR:ENODEFILESTORAGEPATHUNUSABLE:node:%s:The"
                     " configured file storage path is unusable: Path '/x' is"
                     " not writable" % N1]
    rep, lines = _rep()
    pvs = {C.NV_PVLIST: []}
    assert vc.VerifyNodeLVM(rep, N1, {C.NV_VGLIST: {"xenvg": 30000}, **pvs},
                            "xenvg") == 30000
    assert vc.VerifyNodeLVM(rep, N1, {C.NV_VGLIST: {"other": 1}, **pvs},
                            "xenvg") is None
    vc.VerifyNodeLVM(rep, N1, {C.NV_VGLIST: {"xenvg": 100}, **pvs}, "xenvg")
    vc.VerifyNodeLVM(rep, N1, pvs, "xenvg")
    assert vc.VerifyNodeLVM(rep, N1, {}, None) is None
    assert lines == [
        "  - ERROR: node %s: volume group 'xenvg' missing" % N1,
        "  - ERROR: node %s: volume group 'xenvg' too small (20480 MiB"
        " required, 100 MiB found)" % N1,
        "  - ERROR: node %s: unable to check volume groups" % N1]
    rep, lines = _rep()
    vc.VerifyNodeBridges(rep, N1, {C.NV_BRIDGES: ["br9"]}, ["br0", "br9"])
    vc.VerifyNodeUserScripts(rep, N1, {C.NV_USERSCRIPTS: ["/s"]})
    assert lines == ["  - ERROR: node %s: missing bridges: br9" % N1,
                     "  - ERROR: node %s: user scripts not present or not"
                     " executable: /s" % N1]


# ------------------------------------------------------ checks across nodes

def _node(name, mc=True, offline=False, vm=True):
    return types.SimpleNamespace(uuid="uuid-" + name, name=name,
                                 master_candidate=mc, offline=offline,
                                 vm_capable=vm, drained=False)


def _files_payload(files):
    return ok({C.NV_FILELIST: dict(files)})


def test_files_consistency():
    n1, n2, n3, n4 = (_node(N1), _node(N2), _node(N3, mc=False),
                      _node("node4", offline=True))
    filemap = (frozenset(["/a", "/opt"]), frozenset(["/opt"]),
               frozenset(["/cfg"]), frozenset())
    nvinfo = {
        n1.uuid: _files_payload({"/a": "1" * 40, "/cfg": "c" * 40}),
        n2.uuid: _files_payload({"/a": "2" * 40, "/cfg": "c" * 40,
                                 "/opt": "o" * 40}),
        n3.uuid: _files_payload({"/cfg": "c" * 40}),
    }
    rep, lines = _rep()
    vc.VerifyFiles(rep, [n1, n2, n3, n4], n1.uuid, nvinfo, filemap)
    assert lines == [
        "  - ERROR: cluster: File /a is missing from node(s) %s" % N3,
        "  - ERROR: cluster: File /a found with 2 different checksums"
        " (variant 1 on %s; variant 2 on %s)" % (N1, N2),
        "  - ERROR: cluster: File /cfg should not exist on node(s) %s" % N3,
        "  - ERROR: cluster: File /opt is optional, but it must exist on all"
        " or no nodes (not found on %s, %s)" % (N1, N3)]


def test_files_rpc_failure_reported_once_per_node():
    n1, n2 = _node(N1), _node(N2)
    filemap = (frozenset(["/a"]), frozenset(), frozenset(), frozenset())
    rep, lines = _rep(error_codes=True)
    vc.VerifyFiles(rep, [n1, n2], n1.uuid,
                   {n1.uuid: _files_payload({"/a": "1" * 40}),
                    n2.uuid: down()}, filemap)
    assert lines == ["  - ERROR:ENODEFILECHECK:node:%s:Node did not return"
                     " file checksum data" % N2]


def test_client_certificates():
    n1, n2, n3 = _node(N1), _node(N2), _node(N3, mc=False)
    certs = {n1.uuid: "AA", n2.uuid: "BB"}
    nvinfo = {n1.uuid: ok({C.NV_CLIENT_CERT: [None, "AA"]}),
              n2.uuid: ok({C.NV_CLIENT_CERT: [None, "XX"]}),
              n3.uuid: ok({C.NV_CLIENT_CERT: [C.CV_ERROR, "expired"]})}
    rep, lines = _rep()
    vc.VerifyClientCertificates(rep, [n1, n2, n3], nvinfo, certs)
    assert lines == [
        "  - ERROR: cluster: Client certificate digest of master candidate"
        " 'uuid-%s' does not match its entry in the cluster's map of master"
        " candidate certificates. Expected: XX Got: BB" % N2,
        "  - ERROR: cluster: Client certificate of node 'uuid-%s' failed"
        " validation: expired (code 'ERROR')" % N3]
    rep, lines = _rep()
    vc.VerifyClientCertificates(rep, [n1], nvinfo, {})
    assert "list of master candidate certificates is empty" in lines[0]


def test_nplusone_memory():
    rep, lines = _rep()
    names = {"u1": N1, "u2": N2}
    vc.VerifyNPlusOneMemory(rep, names, {"u2": 1000, "u1": None},
                            {"u2": {"u1": [512, 768]}, "u1": {"u2": [64]}})
    assert lines == ["  - ERROR: node %s: not enough memory to accomodate"
                     " instance failovers should node %s fail (1280MiB needed,"
                     " 1000MiB available)" % (N2, N1)]


def test_other_notes_and_hooks():
    lines = []
    vc.OtherNotes(lines.append, 2, 0, 0, 1, 0)
    assert lines == ["* Other Notes",
                     "  - NOTICE: 2 non-redundant instance(s) found.",
                     "  - NOTICE: 1 offline node(s) found."]
    rep, lines = _rep()
    results = {N1: ok([["10-ok", C.HKR_SUCCESS, ""],
                       ["20-bad", C.HKR_FAIL, "line1\nline2"]]),
               N2: down("boom"), N3: offline()}
    assert not vc.HooksResults(rep, lines.append, results)
    assert lines == [
        "  - ERROR: node %s: Script 20-bad failed, output:" % N1,
        "      line1\n      line2",
        "  - ERROR: node %s: Communication failure in hooks execution: boom"
        % N2]


# ------------------------------------------------------------- node side

def test_node_setup_check(monkeypatch):
    monkeypatch.setattr(os.path, "isdir", lambda p: True)
    monkeypatch.setattr(os.path, "isfile", lambda p: p != "/proc/sysrq-trigger")
    problems = backend_verify._CheckNodeSetup(None, None)
    assert problems == ["The procfs filesystem doesn't seem to be mounted"
                        " under /proc, missing required directory /proc/sys"
                        " and the file /proc/sysrq-trigger"]
    monkeypatch.setattr(os.path, "isfile", lambda p: True)
    assert backend_verify._CheckNodeSetup(None, None) == []


def test_node_verify_storage_paths(ganeti_root, monkeypatch):
    monkeypatch.setattr(netutils.Hostname, "GetFqdn",
                        staticmethod(lambda n=None: N1))
    good = os.path.join(ganeti_root, "srv", "file-storage")
    missing = os.path.join(ganeti_root, "srv", "shared-file-storage")
    other = os.path.join(ganeti_root, "srv", "other")
    os.makedirs(good)
    os.makedirs(other)
    os.makedirs(os.path.dirname(pathutils.FILE_STORAGE_PATHS_FILE))
    with open(pathutils.FILE_STORAGE_PATHS_FILE, "w") as handle:
        handle.write("%s\n%s\n" % (good, missing))
    what = {C.NV_FILE_STORAGE_PATH: good, C.NV_HYPERVISOR: ["fake"],
            C.NV_HVINFO: "fake", C.NV_INSTANCELIST: ["fake"]}
    for path, problem in ((good, None),
                          (missing, "Path '%s' does not exist or is not a"
                           " directory" % missing),
                          (other, "Path '%s' is not acceptable for file"
                           " storage" % other)):
        what[C.NV_SHARED_FILE_STORAGE_PATH] = path
        result = backend_verify.VerifyNode(what, "cluster", {"fake": {}})
        assert C.NV_FILE_STORAGE_PATH not in result
        assert result.get(C.NV_SHARED_FILE_STORAGE_PATH) == problem
    assert result[C.NV_HYPERVISOR] == {"fake": None}
    assert result[C.NV_HVINFO]["memory_free"] >= 0
    assert isinstance(result[C.NV_INSTANCELIST], list)
    os.unlink(pathutils.FILE_STORAGE_PATHS_FILE)
    what[C.NV_SHARED_FILE_STORAGE_PATH] = good
    result = backend_verify.VerifyNode(what, "cluster", {"fake": {}})
    assert "was not accessible" in result[C.NV_SHARED_FILE_STORAGE_PATH]


# ------------------------------------------------------- LUs on a real config

class FakeProc:
    def __init__(self):
        self.lines = []

    def Log(self, *args):
        self.lines.append(args[0] if len(args) == 1 else args)

    def LogInfo(self, msg, *args):
        self.lines.append(msg % args if args else msg)

    LogWarning = LogInfo

    def LogStep(self, *args):
        pass


def _write_cluster(offline=(), candidates=(N1, N2), templates=None):
    now = time.time()
    group = objects.stamp_new(objects.NodeGroup(name="default", members=[]),
                              now)
    group.UpgradeConfig()
    nodes = {}
    for idx, name in enumerate((N1, N2, N3)):
        node = objects.stamp_new(objects.Node(
            name=name, primary_ip="192.168.77.%d" % (11 + idx),
            secondary_ip="192.168.77.%d" % (11 + idx),
            master_candidate=name in candidates, offline=name in offline,
            drained=False, group=group.uuid, master_capable=True,
            vm_capable=True, ndparams={}, powered=True, tags=[]), now)
        nodes[node.uuid] = node
        group.members.append(node.uuid)
    uuids = {n.name: n.uuid for n in nodes.values()}
    cluster = objects.stamp_new(objects.Cluster(
        cluster_name="cluster.example.com", master_node=uuids[N1],
        master_ip="192.168.77.1", master_netdev="br0", master_netmask=32,
        enabled_hypervisors=["fake"], primary_ip_family=2,
        use_external_mip_script=False, candidate_pool_size=10, tags=[],
        hvparams={}, beparams={}, nicparams={}, ndparams={}, diskparams={},
        modify_etc_hosts=False,
        enabled_disk_templates=templates or ["file", "diskless"],
        file_storage_dir="/srv/ganeti/file-storage",
        candidate_certs={uuids[n]: "DIGEST-" + n for n in candidates}), now)
    cluster.UpgradeConfig()
    data = objects.ConfigData(
        version=C.CONFIG_VERSION, cluster=cluster, nodes=nodes,
        nodegroups={group.uuid: group}, instances={}, networks={}, disks={},
        filters={}, serial_no=1, ctime=now, mtime=now)
    os.makedirs(pathutils.DATA_DIR, exist_ok=True)
    cfg = config.ConfigWriter(data=data)
    cfg.Flush()
    return cfg, uuids, group.uuid


class FakeRpc:
    """node_verify answered from payload functions; other calls recorded."""

    def __init__(self, cfg, broken=(), overrides=None):
        self.cfg = cfg
        self.broken = set(broken)
        self.overrides = overrides or {}
        self.calls = []

    def _name(self, uuid):
        return self.cfg.GetNodeInfo(uuid).name

    def call_node_verify(self, nodes, params, cluster_name, hvparams,
                         **_options):
        self.calls.append(("node_verify", tuple(nodes), sorted(params)))
        result = {}
        for uuid in nodes:
            name = self._name(uuid)
            node = self.cfg.GetNodeInfo(uuid)
            if name in self.broken:
                result[uuid] = down()
                continue
            files = {f: "f" * 40 for f in params.get(C.NV_FILELIST, [])
                     if not f.endswith("config.data") or
                     node.master_candidate}
            # optional files absent everywhere
            files = {f: s for f, s in files.items()
                     if "spice" not in f and "users" not in f and
                     "known_hosts" not in f and "file-storage-paths" not in f}
            payload = _good_payload(**{
                C.NV_FILELIST: files,
                C.NV_CLIENT_CERT: [None, "DIGEST-" + name]})
            payload.update(self.overrides.get(name, {}))
            result[uuid] = ok(payload)
        return result

    def call_node_deactivate_master_ip(self, node, params, ems):
        self.calls.append(("deactivate", params["ip"]))
        return ok(None)

    def call_node_activate_master_ip(self, node, params, ems):
        self.calls.append(("activate", params["ip"]))
        return ok(None)

    def call_upload_file(self, nodes, filename, **_options):
        self.calls.append(("upload_file", tuple(nodes), filename))
        return {n: ok(None) for n in nodes}

    def call_node_crypto_tokens(self, node, request):
        self.calls.append(("crypto", self._name(node)))
        if self._name(node) in self.broken:
            return down()
        return ok([[backend.CRYPTO_TYPE_SSL_DIGEST,
                    "NEW-" + self._name(node)]])

    def call_lv_list(self, nodes, vg, **_options):
        self.calls.append(("lv_list", tuple(nodes)))
        return {n: ok({}) for n in nodes}


def _run_group(cfg, rpc_, group_uuid, **opargs):
    op = opcodes.OpClusterVerifyGroup(group_name=group_uuid, **opargs)
    proc = FakeProc()
    lu = verify.LUClusterVerifyGroup(proc, op, cfg, rpc_)
    lu.ExpandNames()
    lu.CheckPrereq()
    result = lu.Exec(proc.Log)
    result = lu.HooksCallBack(C.HOOKS_PHASE_POST, {}, proc.Log, result)
    return result, proc.lines


_STEPS = [
    "* Verifying group 'default'",
    "* Gathering data (3 nodes)",
    "* Gathering information about nodes (3 nodes)",
    "* Gathering disk information (3 nodes)",
    "* Verifying configuration file consistency",
    "* Verifying node status",
    "* Verifying instance status",
    "* Verifying orphan volumes",
    "* Verifying N+1 Memory redundancy",
    "* Other Notes",
    "* Hooks Results",
]


def test_verify_group_healthy(ganeti_root):
    cfg, uuids, group = _write_cluster()
    fake = FakeRpc(cfg)
    result, lines = _run_group(cfg, fake, group)
    assert lines == _STEPS
    assert result is True
    (_, nodes, keys), = fake.calls
    assert sorted(nodes) == sorted(uuids.values())
    for key in (C.NV_VERSION, C.NV_TIME, C.NV_NODESETUP, C.NV_FILELIST,
                C.NV_NODELIST, C.NV_NODENETTEST, C.NV_MASTERIP,
                C.NV_CLIENT_CERT, C.NV_FILE_STORAGE_PATH, C.NV_HYPERVISOR,
                C.NV_HVINFO, C.NV_INSTANCELIST, C.NV_BRIDGES):
        assert key in keys
    assert C.NV_VGLIST not in keys   # no LVM template enabled


def test_verify_group_unreachable_node(ganeti_root):
    cfg, uuids, group = _write_cluster()
    result, lines = _run_group(cfg, FakeRpc(cfg, broken=[N3]), group,
                               error_codes=True)
    assert result is False
    assert ("  - ERROR:ENODERPC:node:%s:while contacting node: Error 7: Failed"
            " to connect to node3 port 1811" % N3) in lines
    assert ("  - ERROR:ENODEFILECHECK:node:%s:Node did not return file"
            " checksum data" % N3) in lines
    # The error comes in the node status section.
    assert lines.index("* Verifying node status") < \
        [i for i, l in enumerate(lines) if "ENODERPC" in l][0] < \
        lines.index("* Verifying instance status")


def test_verify_group_ignored_errors_and_offline_node(ganeti_root):
    cfg, uuids, group = _write_cluster(offline=[N3])
    overrides = {n: {C.NV_NODESETUP: ["no sysrq"]} for n in (N1, N2)}
    result, lines = _run_group(cfg, FakeRpc(cfg, overrides=overrides), group,
                               ignore_errors=["ENODESETUP"],
                               skip_checks=[C.VERIFY_NPLUSONE_MEM])
    assert result is True
    assert "  - WARNING: node %s: node setup error: no sysrq" % N1 in lines
    assert "  - NOTICE: 1 offline node(s) found." in lines
    assert "* Verifying N+1 Memory redundancy" not in lines


def test_verify_group_node_problems(ganeti_root):
    cfg, uuids, group = _write_cluster()
    overrides = {N2: {C.NV_TIME: [int(time.time()) - 1000, 0],
                      C.NV_NODELIST: {N3: "ssh problem"},
                      C.NV_CLIENT_CERT: [None, "OTHER"]},
                 N3: {C.NV_FILELIST: {}}}
    result, lines = _run_group(cfg, FakeRpc(cfg, overrides=overrides), group)
    assert result is False
    text = "\n".join(lines)
    assert "ERROR: node %s: Node time diverges by at least" % N2 in text
    assert ("ERROR: node %s: ssh communication with node '%s': ssh problem"
            % (N2, N3)) in text
    assert "Client certificate digest of master candidate '%s'" % \
        uuids[N2] in text
    assert "ERROR: node %s: Node did not return file checksum data" % N3 \
        in text


def test_node_verify_oob_paths(tmp_path):
    helper = tmp_path / "oob-helper"
    helper.write_text("#!/bin/sh\n")
    helper.chmod(0o755)
    plain = tmp_path / "not-executable"
    plain.write_text("")
    plain.chmod(0o644)
    missing = tmp_path / "missing"
    result = backend_verify.VerifyNode(
        {C.NV_OOB_PATHS: [str(helper), str(plain), str(tmp_path),
                          str(missing)]}, "cluster")
    assert result[C.NV_OOB_PATHS] == [
        None,
        "out of band helper %s is not executable" % plain,
        "out of band helper %s is not a file" % tmp_path,
        "error stating out of band helper: [Errno 2] No such file or"
        " directory: '%s'" % missing]


def test_verify_group_reports_unusable_oob_program(ganeti_root):
    cfg, uuids, group = _write_cluster()
    node = cfg.GetNodeInfo(uuids[N2])
    node.ndparams = {"oob_program": "/usr/lib/ganeti/no-such-oob"}
    cfg.Update(node, None)
    node = cfg.GetNodeInfo(uuids[N3])
    node.master_capable = False   # never runs the helper: not checked
    cfg.Update(node, None)
    problem = "out of band helper /usr/lib/ganeti/no-such-oob is not a file"
    overrides = {n: {C.NV_OOB_PATHS: [problem]} for n in (N2, N3)}
    fake = FakeRpc(cfg, overrides=overrides)
    result, lines = _run_group(cfg, fake, group, error_codes=True)
    assert result is False
    assert C.NV_OOB_PATHS in fake.calls[0][2]
    assert [l for l in lines if "ENODEOOBPATH" in l] == [
        "  - ERROR:ENODEOOBPATH:node:%s:%s" % (N2, problem)]


def test_verify_group_verbose(ganeti_root):
    cfg, uuids, group = _write_cluster(offline=[N3])
    result, lines = _run_group(cfg, FakeRpc(cfg), group, verbose=True)
    assert "* Verifying node %s (master)" % N1 in lines
    assert "* Verifying node %s (master candidate)" % N2 in lines
    assert "* Skipping offline node %s" % N3 in lines


def test_verify_group_hooks_failure_fails_the_group(ganeti_root):
    cfg, uuids, group = _write_cluster()
    op = opcodes.OpClusterVerifyGroup(group_name=group)
    proc = FakeProc()
    lu = verify.LUClusterVerifyGroup(proc, op, cfg, FakeRpc(cfg))
    lu.ExpandNames()
    lu.CheckPrereq()
    assert lu.HooksCallBack(C.HOOKS_PHASE_POST,
                            {N1: ok([["s", C.HKR_FAIL, "out"]])}, proc.Log,
                            True) is False
    assert proc.lines[0] == "* Hooks Results"


def test_verify_submits_config_and_group_jobs(ganeti_root):
    cfg, uuids, group = _write_cluster()
    op = opcodes.OpClusterVerify(error_codes=True)
    lu = verify.LUClusterVerify(FakeProc(), op, cfg, None)
    lu.ExpandNames()
    lu.CheckPrereq()
    result = lu.Exec(None)
    assert isinstance(result, ResultWithJobs)
    (cfg_op, ), (grp_op, ) = result.jobs
    assert cfg_op.OP_ID == "OP_CLUSTER_VERIFY_CONFIG" and cfg_op.error_codes
    assert grp_op.group_name == group and grp_op.depends == [[-1, []]]
    op = opcodes.OpClusterVerify(group_name="default")
    lu = verify.LUClusterVerify(FakeProc(), op, cfg, None)
    lu.ExpandNames()
    lu.CheckPrereq()
    (grp_op, ), = lu.Exec(None).jobs
    assert grp_op.OP_ID == "OP_CLUSTER_VERIFY_GROUP" and not grp_op.depends


def test_verify_config(ganeti_root):
    cfg, uuids, group = _write_cluster()
    x509.GenerateSelfSignedServerCert(pathutils.NODED_CERT_FILE)
    x509.GenerateSelfSignedServerCert(pathutils.RAPI_CERT_FILE, validity=10)
    op = opcodes.OpClusterVerifyConfig()
    proc = FakeProc()
    lu = verify.LUClusterVerifyConfig(proc, op, cfg, None)
    lu.ExpandNames()
    assert lu.Exec(proc.Log) is True      # only a warning
    assert proc.lines[:2] == ["* Verifying cluster config",
                              "* Verifying cluster certificate files"]
    assert proc.lines[2].startswith(
        "  - WARNING: cluster: While verifying %s: The certificate expires in"
        % pathutils.RAPI_CERT_FILE)
    # The node certificate is fine and SPICE's are optional; the group of
    # a node is missing:
    cfg.GetNodeInfo(uuids[N3]).group = "no-such-group"
    proc = FakeProc()
    os.unlink(pathutils.RAPI_CERT_FILE)
    lu = verify.LUClusterVerifyConfig(proc, op, cfg, None)
    assert lu.Exec(proc.Log) is False
    assert ("  - ERROR: cluster: the following nodes (and their instances)"
            " belong to a non existing group: %s ()" % N3) in proc.lines
    assert any("Failed to load X509 certificate %s" % pathutils.RAPI_CERT_FILE
               in l for l in proc.lines)


def test_verify_disks_jobs_and_empty_group(ganeti_root):
    cfg, uuids, group = _write_cluster()
    lu = verify.LUClusterVerifyDisks(FakeProc(), opcodes.OpClusterVerifyDisks(),
                                     cfg, None)
    lu.ExpandNames()
    (op, ), = lu.Exec(None).jobs
    assert op.OP_ID == "OP_GROUP_VERIFY_DISKS" and op.group_name == group
    fake = FakeRpc(cfg)
    lu = verify.LUGroupVerifyDisks(FakeProc(), op, cfg, fake)
    lu.ExpandNames()
    assert lu.Exec(None) == ({}, [], {})
    assert fake.calls == []   # no instance with active disks: no RPC


# ------------------------------------------------------------ rename/renew

def test_rename_checks_and_moves_master_ip(ganeti_root, monkeypatch):
    cfg, uuids, group = _write_cluster()
    fake = FakeRpc(cfg)
    answers = {"cluster.example.com": ("cluster.example.com", "192.168.77.1"),
               "new": ("new.example.com", "192.168.77.2")}

    class FakeHostname:
        def __init__(self, name, family=2):
            self.name, self.ip = answers[name]

    monkeypatch.setattr(netutils, "Hostname", FakeHostname)
    monkeypatch.setattr(netutils, "TcpPing", lambda *a, **kw: False)
    lu = cluster_ops.LUClusterRename(FakeProc(), opcodes.OpClusterRename(
        name="cluster.example.com"), cfg, fake)
    with pytest.raises(errors.OpPrereqError, match="Neither the name"):
        lu.CheckPrereq()
    lu = cluster_ops.LUClusterRename(FakeProc(), opcodes.OpClusterRename(
        name="new"), cfg, fake)
    lu.CheckPrereq()
    assert lu.Exec(None) == "new.example.com"
    assert fake.calls == [("deactivate", "192.168.77.1"),
                          ("activate", "192.168.77.2")]
    cluster = cfg.GetClusterInfo()
    assert (cluster.cluster_name, cluster.master_ip) == \
        ("new.example.com", "192.168.77.2")
    monkeypatch.setattr(netutils, "TcpPing", lambda *a, **kw: True)
    answers["other"] = ("other.example.com", "192.168.77.3")
    lu = cluster_ops.LUClusterRename(FakeProc(), opcodes.OpClusterRename(
        name="other"), cfg, fake)
    with pytest.raises(errors.OpPrereqError, match="is reachable"):
        lu.CheckPrereq()


def test_rename_known_hosts(ganeti_root):
    os.makedirs(pathutils.DATA_DIR)
    with open(pathutils.SSH_KNOWN_HOSTS_FILE, "w") as handle:
        handle.write("old.example.com,x ssh-rsa AAAA\nnode1 ssh-rsa BBBB\n")
    assert cluster_ops._RenameKnownHosts("old.example.com", "new.example.com")
    with open(pathutils.SSH_KNOWN_HOSTS_FILE) as handle:
        assert handle.read() == ("new.example.com,x ssh-rsa AAAA\n"
                                 "node1 ssh-rsa BBBB\n")


def test_renew_crypto_records_candidate_digests(ganeti_root, monkeypatch):
    cfg, uuids, group = _write_cluster(candidates=(N1, N2, N3))
    x509.GenerateSelfSignedServerCert(pathutils.NODED_CERT_FILE)
    master_digest = x509.GenerateClientCert(pathutils.NODED_CLIENT_CERT_FILE,
                                            pathutils.NODED_CERT_FILE, N1)
    cfg.GetClusterInfo().candidate_certs = {"bootstrap": master_digest}
    fake = FakeRpc(cfg, broken=[N3])
    monkeypatch.setattr(cluster_ops.LUClusterRenewCrypto, "_RETRY_WAIT", 0)
    proc = FakeProc()
    lu = cluster_ops.LUClusterRenewCrypto(proc, opcodes.OpClusterRenewCrypto(
        node_certificates=True), cfg, fake)
    lu.CheckPrereq()
    lu.Exec(proc.Log)
    assert cfg.GetClusterInfo().candidate_certs == {
        uuids[N1]: master_digest, uuids[N2]: "NEW-" + N2}
    assert proc.lines[0] == "Renewing Node SSL certificates"
    assert "Node %s: Error 7" % N3 in proc.lines[1]
    assert fake.calls.count(("crypto", N3)) == 5


def test_renew_ssh_keys_refused(ganeti_root):
    cfg, uuids, group = _write_cluster()
    cfg.GetClusterInfo().modify_ssh_setup = False
    lu = cluster_ops.LUClusterRenewCrypto(FakeProc(), opcodes.
                                          OpClusterRenewCrypto(
                                              renew_ssh_keys=True), cfg, None)
    with pytest.raises(errors.OpPrereqError, match="not modify SSH setup"):
        lu.CheckPrereq()


# ------------------------------------------------------------------ clients

class FakeLuxi:
    def __init__(self, offline=()):
        self.offline = set(offline)

    def QueryConfigValues(self, fields):
        values = {"cluster_name": "cluster.example.com", "master_node": N1}
        return [values[f] for f in fields]

    def Query(self, what, fields, qfilter):
        rows = []
        for name in (N3, N1, "node10.example.com", N2):
            rows.append([[0, name], [0, name in self.offline],
                         [0, "10.0.0.%d" % len(name)], [0, name == N1]])
        return {"data": rows}


class FakeSsh:
    def __init__(self, fail=()):
        self.fail = set(fail)
        self.ran = []

    def Run(self, host, command, port=22, stdin=None, timeout=None):
        from ganeti import ssh
        self.ran.append((host, command))
        if host in self.fail:
            return ssh.SshResult(host, command, 255, stderr="no route\n",
                                 fail_reason="no route", connect_failed=True)
        return ssh.SshResult(host, command, 0, stdout="hello %s\n" % host)

    def CopyFile(self, host, filename, port=22):
        from ganeti import ssh
        self.ran.append((host, filename))
        return ssh.SshResult(host, filename, 1 if host in self.fail else 0)


def _client(monkeypatch, luxi, sshr):
    from ganeti.client import gnt_cluster_ops as ops
    monkeypatch.setattr(ops, "GetClient", lambda *a, **kw: luxi)
    monkeypatch.setattr(ops, "_SshRunner", lambda *a, **kw: sshr)
    monkeypatch.setattr(ops, "_SshPorts", lambda: {})
    return ops


def test_cluster_command_output(monkeypatch, capsys):
    sshr = FakeSsh(fail=[N3])
    ops = _client(monkeypatch, FakeLuxi(offline=["node10.example.com"]), sshr)
    opts = types.SimpleNamespace(nodes=[], nodegroup=None,
                                 show_machine_names=False, failure_only=False)
    assert ops.RunClusterCommand(opts, ["echo", "hi"]) == 0
    assert [h for h, _ in sshr.ran] == [N2, N3, N1]   # master last
    assert sshr.ran[0][1] == "echo hi"
    out, err = capsys.readouterr()
    sep = "-" * 48
    assert out == (
        "%s\nnode: %s\nhello %s\n\nreturn code = 0\n" % (sep, N2, N2) +
        "%s\nnode: %s\nno route\n\nreturn code = 255\n" % (sep, N3) +
        "%s\nnode: %s\nhello %s\n\nreturn code = 0\n" % (sep, N1, N1))
    assert err == "Note: skipping offline node(s): node10.example.com\n"
    opts.failure_only = True
    opts.show_machine_names = True
    ops.RunClusterCommand(opts, ["true"])
    out, _ = capsys.readouterr()
    assert out == "%s\n%s: no route\nreturn code = 255\n" % (sep, N3)


def test_cluster_copyfile(monkeypatch, capsys, tmp_path):
    sshr = FakeSsh(fail=[N3])
    ops = _client(monkeypatch, FakeLuxi(), sshr)
    path = tmp_path / "f"
    path.write_text("x")
    opts = types.SimpleNamespace(nodes=[], nodegroup=None,
                                 use_replication_network=False)
    assert ops.ClusterCopyFile(opts, [str(path)]) == 0
    assert [h for h, _ in sshr.ran] == [N2, N3, "node10.example.com"]
    _, err = capsys.readouterr()
    assert err == "Copy of file %s to node %s:22 failed\n" % (path, N3)
    with pytest.raises(errors.OpPrereqError, match="No such filename"):
        ops.ClusterCopyFile(opts, [str(tmp_path / "missing")])


def test_renew_crypto_option_checks():
    from ganeti.client import gnt_cluster_ops as ops
    base = dict(new_rapi_cert=None, rapi_cert=None,
                new_cluster_domain_secret=False, cluster_domain_secret=None,
                new_spice_cert=None, spice_cert=None, spice_cacert=None)
    assert ops._CheckRenewOptions(types.SimpleNamespace(**base)) is None
    for extra, text in ((dict(new_rapi_cert=True, rapi_cert="f"),
                         "--new-rapi-certificate and --rapi-certificate"),
                        (dict(new_cluster_domain_secret=True,
                              cluster_domain_secret="f"),
                         "--new-cluster-domain-secret and"),
                        (dict(new_spice_cert=True, spice_cert="f"),
                         "When using --new-spice-certificate"),
                        (dict(spice_cert="f"), "Both --spice-certificate")):
        opts = types.SimpleNamespace(**dict(base, **extra))
        assert text in ops._CheckRenewOptions(opts)


def test_read_and_verify_cert(tmp_path):
    from ganeti.client import gnt_cluster_ops as ops
    key_pem, cert_pem = x509.GenerateSelfSignedX509Cert()
    full = tmp_path / "full.pem"
    full.write_text(key_pem + cert_pem)
    only = tmp_path / "cert.pem"
    only.write_text(cert_pem)
    assert ops._ReadAndVerifyCert(str(full), True) == key_pem + cert_pem
    assert ops._ReadAndVerifyCert(str(only)) == cert_pem
    with pytest.raises(errors.X509CertError):
        ops._ReadAndVerifyCert(str(only), True)
    with pytest.raises(errors.X509CertError):
        ops._ReadAndVerifyCert(str(tmp_path / "none"))


# ------------------------------------------------------ instances and disks

def test_instance_disk_status():
    rep, lines = _rep()
    names = {"u1": N1, "u2": N2, "u3": N3}
    status = {"u1": [(True, {"is_degraded": False, "ldisk_status": 1}),
                     (True, {"is_degraded": True, "ldisk_status": 3})],
              "u2": [(False, "can't find device")],
              "u3": [(False, "node offline")]}
    vc.VerifyInstanceDisks(rep, "inst1", True, status, names, ["u3"])
    assert lines == [
        "  - ERROR: instance inst1: disk/1 on %s is degraded; state is"
        " 'faulty'" % N1,
        "  - ERROR: instance inst1: couldn't retrieve status for disk/0 on"
        " %s: can't find device" % N2]
    rep, lines = _rep()
    vc.VerifyInstanceDisks(rep, "inst1", False, status, names, [])
    assert lines == []


def test_orphan_and_node_volumes():
    rep, lines = _rep()
    vc.VerifyOrphanVolumes(rep, {"u1": N1, "u2": N2},
                           {"u1": {"xenvg/a": [], "xenvg/b": [],
                                   "xenvg/keep-1": []}, "u2": None},
                           {"u1": ["xenvg/a"]}, ["xenvg/keep-.*"])
    assert lines == ["  - WARNING: node %s: volume xenvg/b is unknown" % N1]
    assert not rep.bad
    rep, lines = _rep()
    assert vc.NodeVolumes(rep, N1, {C.NV_LVLIST: {"v/l": [1, False, True]}}) \
        == {"v/l": [1, False, True]}
    assert vc.NodeVolumes(rep, N1, {C.NV_LVLIST: "vgs failed"}) is None
    assert vc.NodeVolumes(rep, N1, {}) is None
    assert lines == ["  - ERROR: node %s: LVM problem on node: vgs failed" % N1,
                     "  - ERROR: node %s: LVM problem on node: Missing LV data"
                     % N1]


def _add_instance(cfg, uuids, name, pnode, admin_state="up", template="plain",
                  lv="xenvg/disk0", active=True):
    now = time.time()
    disk = objects.stamp_new(objects.Disk(
        name=None, dev_type=template, logical_id=lv.split("/"),
        children=[], nodes=[uuids[pnode]], iv_name="disk/0", size=128,
        mode="rw", params={}), now)
    inst = objects.stamp_new(objects.Instance(
        name=name, primary_node=uuids[pnode], os="debootstrap",
        hypervisor="fake", hvparams={}, beparams={}, osparams={},
        admin_state=admin_state, nics=[], disks=[disk.uuid],
        disk_template=template, disks_active=active, tags=[]), now)
    data = cfg._data   # test set-up only
    data.disks[disk.uuid] = disk
    data.instances[inst.uuid] = inst
    return inst


class DiskRpc(FakeRpc):
    def __init__(self, cfg, lvs, running, disk_ok=True, **kwargs):
        super().__init__(cfg, **kwargs)
        self.lvs = lvs
        self.running = running
        self.disk_ok = disk_ok
        self.disk_calls = []

    def call_node_verify(self, nodes, params, cluster_name, hvparams,
                         **_options):
        result = super().call_node_verify(nodes, params, cluster_name,
                                          hvparams)
        for uuid, res in result.items():
            name = self._name(uuid)
            if not res.fail_msg:
                res.payload[C.NV_LVLIST] = self.lvs.get(name, {})
                res.payload[C.NV_VGLIST] = {"xenvg": 50000}
                res.payload[C.NV_PVLIST] = []
                res.payload[C.NV_INSTANCELIST] = self.running.get(name, [])
        return result

    def call_blockdev_getmirrorstatus_multi(self, nodes, node_disks,
                                            **_options):
        self.disk_calls.append(sorted(nodes))
        return {n: ok([[True, {"is_degraded": False, "ldisk_status": 1}]
                       if self.disk_ok else [False, "no device"]
                       for _ in node_disks[n]]) for n in nodes}


def test_verify_group_with_instances(ganeti_root):
    cfg, uuids, group = _write_cluster(templates=["plain", "file"])
    cfg.GetClusterInfo().volume_group_name = "xenvg"
    cfg.GetClusterInfo().reserved_lvs = ["xenvg/reserved"]
    inst1 = _add_instance(cfg, uuids, "inst1", N1, lv="xenvg/i1")
    _add_instance(cfg, uuids, "inst2", N2, lv="xenvg/i2")
    _add_instance(cfg, uuids, "inst3", N3, admin_state="offline",
                  lv="xenvg/i3", active=False)
    lvs = {N1: {"xenvg/i1": ["128", False, True],
                "xenvg/stray": ["10", False, True],
                "xenvg/reserved": ["10", False, True]},
           N2: {}, N3: {"xenvg/i3": ["128", True, False]}}
    running = {N1: ["inst1", "ghost"], N3: ["inst2"]}
    fake = DiskRpc(cfg, lvs, running, disk_ok=False)
    result, lines = _run_group(cfg, fake, group, error_codes=True)
    assert result is False
    problems = [l for l in lines if l.startswith("  - ")]
    assert problems == [
        "  - ERROR:ENODEORPHANINSTANCE:node:%s:node is running unknown"
        " instance ghost" % N1,
        "  - ERROR:EINSTANCEWRONGNODE:instance:inst2:instance should not run"
        " on node %s" % N3,
        "  - ERROR:EINSTANCEFAULTYDISK:instance:inst1:couldn't retrieve"
        " status for disk/0 on %s: no device" % N1,
        "  - ERROR:EINSTANCEDOWN:instance:inst2:instance not running on its"
        " primary node %s" % N2,
        "  - ERROR:EINSTANCEFAULTYDISK:instance:inst2:couldn't retrieve"
        " status for disk/0 on %s: no device" % N2,
        "  - ERROR:EINSTANCEMISSINGDISK:instance:inst2:volume xenvg/i2"
        " missing on node %s" % N2,
        "  - WARNING:ENODEORPHANLV:node:%s:volume xenvg/stray is unknown"
        % N1,
        "  - NOTICE: 3 non-redundant instance(s) found.",
        "  - NOTICE: 1 offline instance(s) found."]
    assert fake.disk_calls == [sorted(uuids.values())]
    assert inst1.name == "inst1"


def test_node_verify_lists_file_storage(ganeti_root):
    """Every file and every empty directory below an allowed file storage
    directory is listed, as the master names it; nothing for a directory
    this node does not allow or have."""
    top = os.path.join(ganeti_root, "srv", "file-storage")
    os.makedirs(os.path.join(top, "inst1"))
    os.makedirs(os.path.join(top, "sub", "inst2"))
    os.makedirs(os.path.join(top, "ghost"))
    for name in ("inst1/u1.file.disk0", "inst1/u1.file.disk1", "stray"):
        with open(os.path.join(top, name), "w"):
            pass
    os.symlink("/nowhere", os.path.join(top, "inst1", "link"))
    os.makedirs(os.path.dirname(pathutils.FILE_STORAGE_PATHS_FILE))
    with open(pathutils.FILE_STORAGE_PATHS_FILE, "w") as handle:
        handle.write(top + "\n")
    result = backend_verify.VerifyNode({C.NV_FILE_DISKS: top}, "cluster")
    assert result[C.NV_FILE_DISKS] == [
        os.path.join(top, p) for p in ("ghost", "inst1/link",
                                       "inst1/u1.file.disk0",
                                       "inst1/u1.file.disk1", "stray",
                                       "sub/inst2")]
    for path in (os.path.join(top, "missing"), os.path.join(ganeti_root)):
        result = backend_verify.VerifyNode({C.NV_FILE_DISKS: path}, "cluster")
        assert result[C.NV_FILE_DISKS] == []


def test_verify_group_reports_orphan_file_storage(ganeti_root):
    """Files and empty directories below the file storage directory that
    no instance disk accounts for (e.g. left by a creation whose node
    daemon died) are reported like orphan volumes (warnings); the disks of
    known instances, and the directory of a disk that is missing, are
    not."""
    cfg, uuids, group = _write_cluster()
    top = "/srv/ganeti/file-storage"
    known = top + "/inst1/u1.file.disk0"
    inst1 = _add_instance(cfg, uuids, "inst1", N1, template="file")
    inst2 = _add_instance(cfg, uuids, "inst2", N2, template="file")
    cfg.GetInstanceDisks(inst1.uuid)[0].logical_id = ["loop", known]
    cfg.GetInstanceDisks(inst2.uuid)[0].logical_id = [
        "loop", top + "/sub//inst2/u2.file.disk0"]
    orphans = [top + "/inst1/u9.file.disk1", top + "/inst9",
               top + "/inst9/u9.file.disk0"]
    fake = DiskRpc(cfg, {}, {N1: ["inst1"], N2: ["inst2"]}, overrides={
        N1: {C.NV_FILE_DISKS: [known] + orphans},
        N2: {C.NV_FILE_DISKS: [known, top + "/sub/inst2/"]}})
    result, lines = _run_group(cfg, fake, group, error_codes=True)
    assert result is True   # warnings only
    assert C.NV_FILE_DISKS in fake.calls[0][2]
    assert [l for l in lines if "ENODEORPHANLV" in l] == [
        "  - WARNING:ENODEORPHANLV:node:%s:volume %s is unknown" % (N1, path)
        for path in orphans] + [
        "  - WARNING:ENODEORPHANLV:node:%s:volume %s is unknown" % (N2, known)]
    assert lines.index("* Verifying orphan volumes") < \
        lines.index("  - WARNING:ENODEORPHANLV:node:%s:volume %s is unknown"
                    % (N1, orphans[0])) < \
        lines.index("* Verifying N+1 Memory redundancy")
