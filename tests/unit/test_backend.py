"""Tests for ganeti.backend and backend_verify (node-side RPC work)."""

import base64
import hashlib
import inspect
import os
import pwd
import stat
import time
import zlib

import pytest

from ganeti import backend
from ganeti.backend import verify as backend_verify
from ganeti.utils import nodeinfo
from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti import ssconf
from ganeti.rpc import defs as rpc_defs
from ganeti.server import noded
import testdata

RECORDED = testdata.RECORDED


@pytest.fixture
def root(ganeti_root):
    for path in (pathutils.DATA_DIR, pathutils.CONF_DIR):
        os.makedirs(path)
    return ganeti_root


def _zlib(data: bytes) -> list:
    return [constants.RPC_ENCODING_ZLIB_BASE64,
            base64.b64encode(zlib.compress(data)).decode("ascii")]


def _write_exec(path, text, mode=0o755):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)
    os.chmod(path, mode)


# ------------------------------------------------------------- dispatch table

def test_noded_table_matches_rpc_defs():
    """Every served call is declared in rpc.defs with a matching arity."""
    for name, fn in noded.RPC_CALLS.items():
        if name in noded.BODY_IS_ARGUMENT:
            continue  # called by upstream's Haskell daemons only
        assert name in rpc_defs.CALLS, name
        nargs = len(rpc_defs.CALLS[name].args)
        params = inspect.signature(fn).parameters.values()
        required = [p for p in params if p.default is p.empty]
        assert len(required) <= nargs <= len(list(params)), name


# ---------------------------------------------------------------- upload

def test_upload_allowed_file(root):
    mtime = 1_500_000_000
    backend.UploadFile(pathutils.CLUSTER_CONF_FILE, _zlib(b"{}\n" * 400),
                       0o100640, pwd.getpwuid(os.getuid()).pw_name,
                       os.getgid(), mtime, mtime)
    st = os.stat(pathutils.CLUSTER_CONF_FILE)
    assert stat.S_IMODE(st.st_mode) == 0o640
    assert st.st_mtime == mtime
    assert open(pathutils.CLUSTER_CONF_FILE, "rb").read() == b"{}\n" * 400


def test_upload_virtual_path_and_plain_encoding(root):
    virtual = pathutils.CONFD_HMAC_KEY[len(root):]
    assert virtual.startswith("/") and not virtual.startswith(root)
    backend.UploadFileDetails([virtual, [0, "secret\n"], 0o400, 0, 0,
                               1.0, 2.0])
    assert open(pathutils.CONFD_HMAC_KEY).read() == "secret\n"


@pytest.mark.parametrize("name", [
    "relative/config.data", "/etc/passwd", "/var/lib/ganeti/../../etc/shadow",
    "SSCONF", "FILE_STORAGE_PATHS_FILE", "NODED_CERT_FILE"])
def test_upload_refused(root, name):
    if name.isupper():
        name = (pathutils.ssconf_file("cluster_name") if name == "SSCONF"
                else getattr(pathutils, name))
    with pytest.raises(backend.RPCFail) as exc:
        backend.UploadFile(name, [0, "x"], 0o644, 0, 0, 1.0, 1.0)
    assert "UploadFile" in str(exc.value)
    assert not os.path.exists(backend.LocalizeVirtualPath(
        os.path.normpath(name))) or name == pathutils.NODED_CERT_FILE


def test_upload_bad_encoding(root):
    with pytest.raises(backend.RPCFail):
        backend.UploadFile(pathutils.CLUSTER_CONF_FILE, [7, "x"], 0o644, 0, 0,
                           1.0, 1.0)
    with pytest.raises(backend.RPCFail):
        backend.UploadFileDetails(["only", "three", "items"])


# ---------------------------------------------------------------- ssconf

def test_write_ssconf_files(root):
    backend.WriteSsconfFiles({"cluster_name": "c.example.com",
                              "master_node": "n1.example.com"})
    assert ssconf.SimpleStore().GetClusterName() == "c.example.com"
    assert backend.GetMasterNodeName() == "n1.example.com"
    with pytest.raises(backend.RPCFail):
        backend.WriteSsconfFiles({"bogus": "x"})
    with pytest.raises(backend.RPCFail):
        backend.WriteSsconfFiles(["cluster_name"])


def test_master_node_name_missing(root):
    with pytest.raises(backend.RPCFail) as exc:
        backend.GetMasterNodeName()
    assert "master node name" in str(exc.value)


# ---------------------------------------------------------------- job queue

def test_jobqueue_update_rename_purge(root):
    job = pathutils.QUEUE_DIR + "/job-1"
    backend.JobQueueUpdate(job, [0, '{"id": 1}'])
    assert open(job).read() == '{"id": 1}'
    assert stat.S_IMODE(os.stat(job).st_mode) == \
        constants.JOB_QUEUE_FILES_PERMS
    backend.JobQueueUpdate(pathutils.QUEUE_DIR + "/serial", _zlib(b"1\n"))
    archived = pathutils.JOB_QUEUE_ARCHIVE_DIR + "/0/job-1"
    backend.JobQueueRename([[job, archived]])
    assert not os.path.exists(job) and os.path.exists(archived)
    open(pathutils.JOB_QUEUE_LOCK_FILE, "w").close()
    backend.JobQueuePurge()
    assert os.listdir(pathutils.QUEUE_DIR) == ["lock", "archive"] or \
        sorted(os.listdir(pathutils.QUEUE_DIR)) == ["archive", "lock"]


@pytest.mark.parametrize("bad", ["relative/job-1", "/etc/job-1",
                                 "QUEUE/../config.data", "QUEUE"])
def test_jobqueue_outside_queue_refused(root, bad):
    bad = bad.replace("QUEUE", pathutils.QUEUE_DIR)
    with pytest.raises(backend.RPCFail):
        backend.JobQueueUpdate(bad, [0, "x"])
    with pytest.raises(backend.RPCFail):
        backend.JobQueueRename([[pathutils.QUEUE_DIR + "/job-1", bad]])
    assert not os.path.exists(pathutils.CLUSTER_CONF_FILE)


def test_drain_flag(root):
    drain = pathutils.JOB_QUEUE_DRAIN_FILE
    assert backend.JobQueueSetDrainFlag(True) is None
    assert os.path.exists(drain)
    backend.JobQueueSetDrainFlag(False)
    assert not os.path.exists(drain)


# ---------------------------------------------------------------- hooks

def test_hooks_runner(root):
    hdir = os.path.join(pathutils.HOOKS_BASE_DIR, "instance-start-pre.d")
    _write_exec(hdir + "/10-ok", "#!/bin/sh\necho ok $GANETI_X $PATH; pwd\n")
    _write_exec(hdir + "/20-fail", "#!/bin/sh\necho broken >&2\nexit 3\n")
    _write_exec(hdir + "/30-noexec", "#!/bin/sh\nexit 0\n", mode=0o644)
    _write_exec(hdir + "/40.bad-name", "#!/bin/sh\nexit 0\n")
    results = backend.RunHooks("instance-start", "pre", {"GANETI_X": "42"})
    assert [tuple(r) for r in results] == [
        ("instance-start-pre.d/10-ok", constants.HKR_SUCCESS,
         "ok 42 %s\n/" % constants.HOOKS_PATH),
        ("instance-start-pre.d/20-fail", constants.HKR_FAIL, "broken"),
        ("instance-start-pre.d/30-noexec", constants.HKR_SKIP, ""),
        ("instance-start-pre.d/40.bad-name", constants.HKR_SKIP, ""),
    ]
    assert backend.RunHooks("instance-start", "post", {}) == []


def test_hooks_runner_bad_args(root):
    with pytest.raises(backend.RPCFail):
        backend.RunHooks("instance-start", "middle", {})
    with pytest.raises(backend.RPCFail):
        backend.RunHooks("../etc", "pre", {})


def test_hooks_timeout(root):
    hdir = os.path.join(pathutils.HOOKS_BASE_DIR, "x-post.d")
    _write_exec(hdir + "/slow", "#!/bin/sh\nexec sleep 30\n")
    start = time.monotonic()
    results = backend.RunHooks("x", "post", {}, timeout=0.3)
    assert results[0][1] == constants.HKR_FAIL
    assert time.monotonic() - start < 10


# ---------------------------------------------------------------- master IP

def test_master_ip_external_script_and_hooks(root):
    record = os.path.join(root, "record")
    _write_exec(pathutils.EXTERNAL_MASTER_SETUP_SCRIPT,
                "#!/bin/sh\necho \"$1 $MASTER_IP/$MASTER_NETMASK"
                " $MASTER_NETDEV $CLUSTER_IP_VERSION\" >> %s\n" % record)
    hook = os.path.join(pathutils.HOOKS_BASE_DIR,
                        "master-ip-turnup-post.d/record")
    _write_exec(hook, "#!/bin/sh\necho \"hook $GANETI_OP_CODE"
                " $GANETI_MASTER_IP $GANETI_HOOKS_PHASE\" >> %s\n" % record)
    params = {"uuid": "u", "ip": "192.168.77.1", "netmask": 24,
              "netdev": "lab0", "ip_family": 2}
    backend.ActivateMasterIp(params, True)
    backend.DeactivateMasterIp(params, True)
    assert open(record).read().splitlines() == [
        "start 192.168.77.1/24 lab0 4",
        "hook OP_CLUSTER_IP_TURNUP 192.168.77.1 post",
        "stop 192.168.77.1/24 lab0 4"]


def test_master_ip_script_failure_and_pre_hook_abort(root):
    _write_exec(pathutils.EXTERNAL_MASTER_SETUP_SCRIPT,
                "#!/bin/sh\necho nope\nexit 1\n")
    params = {"ip": "192.168.77.1", "netmask": 24, "netdev": "lab0"}
    with pytest.raises(backend.RPCFail) as exc:
        backend.ActivateMasterIp(params, True)
    assert "nope" in str(exc.value)
    _write_exec(os.path.join(pathutils.HOOKS_BASE_DIR,
                             "master-ip-turndown-pre.d/veto"),
                "#!/bin/sh\nexit 1\n")
    with pytest.raises(backend.RPCFail) as exc:
        backend.DeactivateMasterIp(params, True)
    assert "veto" in str(exc.value)
    with pytest.raises(backend.RPCFail):
        backend.ActivateMasterIp({"ip": "1.2.3.4"}, True)


def test_node_has_ip_address():
    assert backend.NodeHasIpAddress("127.0.0.1")
    assert not backend.NodeHasIpAddress("198.51.100.77")


# ---------------------------------------------------------------- misc

def test_watcher_pause(root):
    assert backend.GetWatcherPause() is None
    until = time.time() + 600
    backend.SetWatcherPause(until)
    assert backend.GetWatcherPause() == int(until)
    assert backend.GetWatcherPause(now=until + 10) is None  # expired
    assert os.path.exists(pathutils.WATCHER_PAUSEFILE)
    assert backend.GetWatcherPause(now=until + 4000) is None  # stale: removed
    assert not os.path.exists(pathutils.WATCHER_PAUSEFILE)
    backend.SetWatcherPause(until)
    backend.SetWatcherPause(None)
    assert not os.path.exists(pathutils.WATCHER_PAUSEFILE)
    with pytest.raises(backend.RPCFail):
        backend.SetWatcherPause("tomorrow")


def test_etc_hosts_modify(root):
    hosts = os.path.join(root, "etc/hosts")
    assert backend._EtcHostsFile() == hosts
    with open(hosts, "w") as handle:
        handle.write("127.0.0.1\tlocalhost\n10.0.0.9\tnode9.example.com node9"
                     " other\n")
    backend.EtcHostsModify("add", "node9.example.com", "10.0.0.10")
    lines = open(hosts).read().splitlines()
    assert lines == ["127.0.0.1\tlocalhost", "10.0.0.9\tother",
                     "10.0.0.10\tnode9.example.com node9"]
    backend.EtcHostsModify("remove", "node9.example.com", None)
    assert open(hosts).read().splitlines() == ["127.0.0.1\tlocalhost",
                                               "10.0.0.9\tother"]
    with pytest.raises(backend.RPCFail):
        backend.EtcHostsModify("add", "x", None)
    with pytest.raises(backend.RPCFail):
        backend.EtcHostsModify("replace", "x", "1.2.3.4")


def test_test_delay():
    start = time.monotonic()
    backend.TestDelay(0.05)
    assert time.monotonic() - start >= 0.05
    with pytest.raises(backend.RPCFail):
        backend.TestDelay(-1)


def test_leave_cluster(root):
    os.makedirs(pathutils.RAPI_DATA_DIR, exist_ok=True)
    for path in (pathutils.NODED_CERT_FILE, pathutils.CLUSTER_CONF_FILE,
                 pathutils.ssconf_file("cluster_name"),
                 pathutils.RAPI_USERS_FILE):
        open(path, "w").close()
    with pytest.raises(errors.QuitGanetiException) as exc:
        backend.LeaveCluster(False)
    assert exc.value.args[0] is True
    assert os.listdir(pathutils.DATA_DIR) == []


# ---------------------------------------------------------------- node info

def test_linux_node_info_from_recorded_data():
    info = nodeinfo.LinuxNodeInfo(
        open(RECORDED + "/proc_meminfo.txt").read(),
        open(RECORDED + "/proc_cpuinfo.txt").read())
    assert info["memory_total"] == 32263108 // 1024
    assert info["memory_free"] == (257212 + 1100556 + 20549156) // 1024
    assert info["memory_dom0"] == 14881888 // 1024
    assert info["cpu_total"] == 4 and info["cpu_sockets"] == 1


def test_get_node_info(root, tmp_path):
    bootid, storage, hvs = backend_verify.GetNodeInfo(
        [[constants.ST_FILE, str(tmp_path), []]],
        [[constants.HT_FAKE, {}]])
    assert len(bootid) >= 32
    assert storage[0]["type"] == "file" and storage[0]["name"] == str(tmp_path)
    assert 0 <= storage[0]["storage_free"] <= storage[0]["storage_size"]
    assert hvs[0]["memory_total"] > 0 and hvs[0]["cpu_total"] > 0
    with pytest.raises(backend.RPCFail):
        backend_verify.GetNodeInfo([[constants.ST_EXT, "x", []]], [])
    assert backend_verify.GetNodeInfo(
        [[constants.ST_LVM_PV, "xenvg", [False]]], [])[1] == [
            {"type": "lvm-pv", "name": "xenvg", "storage_free": 0,
             "storage_size": 0}]


# ---------------------------------------------------------------- verify

def test_verify_node(root, monkeypatch):
    with open(pathutils.CLUSTER_CONF_FILE, "w") as handle:
        handle.write("config")
    virtual_conf = pathutils.CLUSTER_CONF_FILE[len(root):]
    calls = []
    monkeypatch.setattr(backend_verify, "VerifyNodeHostname",
                        lambda node, port, cluster: (calls.append(node) or
                                                     (node != "bad", "oops")))
    monkeypatch.setattr(backend_verify.netutils.Hostname, "GetFqdn",
                        staticmethod(lambda name=None: "me.example.com"))
    before = time.time()
    result = backend_verify.VerifyNode({
        constants.NV_VERSION: None,
        constants.NV_HOSTNAME: None,
        constants.NV_FILELIST: [virtual_conf, "/nonexistent"],
        constants.NV_TIME: None,
        constants.NV_NODELIST: [["me.example.com", "good", "bad"], {}],
        constants.NV_USERSCRIPTS: ["/bin/sh", "/nonexistent/script"],
        "no-such-check": 1,
    }, "cluster.example.com", {})
    assert result[constants.NV_VERSION] == [constants.PROTOCOL_VERSION,
                                            constants.RELEASE_VERSION]
    assert result[constants.NV_HOSTNAME] == "me.example.com"
    assert result[constants.NV_FILELIST] == {
        virtual_conf: hashlib.sha1(b"config").hexdigest()}
    sec, usec = result[constants.NV_TIME]
    assert before - 1 <= sec + usec / 1e6 <= time.time() + 1
    assert sorted(calls) == ["bad", "good"]  # not myself
    assert result[constants.NV_NODELIST] == {"bad": "oops"}
    assert result[constants.NV_USERSCRIPTS] == ["/nonexistent/script"]
    assert "no-such-check" not in result


def test_verify_node_network_checks_overlap(root, monkeypatch):
    """The ssh and TCP checks of unreachable peers run at the same time (each
    waits here until all of them run), so they cost one timeout, not one per
    check and peer."""
    import threading
    together = threading.Barrier(3, timeout=30)

    def meet():
        try:
            together.wait()
            return True
        except threading.BrokenBarrierError:
            return False
    monkeypatch.setattr(backend_verify, "VerifyNodeHostname",
                        lambda node, port, cluster: (meet(), "oops"))
    monkeypatch.setattr(backend_verify.netutils, "TcpPing",
                        lambda ip, port, timeout=None, source=None: meet())
    monkeypatch.setattr(backend_verify.netutils.Hostname, "GetFqdn",
                        staticmethod(lambda name=None: "me.example.com"))
    result = backend_verify.VerifyNode({
        constants.NV_NODELIST: [["me.example.com", "peer1"], {}],
        constants.NV_NODENETTEST: [["me.example.com", "10.0.0.1", "10.0.0.1"],
                                   ["peer1", "10.0.0.2", "10.0.0.2"],
                                   ["peer2", "10.0.0.3", "10.0.0.3"]],
    }, "cluster.example.com", {})
    assert result == {constants.NV_NODELIST: {},
                      constants.NV_NODENETTEST: {}}


def test_verify_client_cert(root):
    from ganeti.utils import x509
    code, msg = backend_verify.VerifyNode(
        {constants.NV_CLIENT_CERT: None}, "c", {})[constants.NV_CLIENT_CERT]
    assert code == constants.CV_ERROR and "does not exist" in msg
    x509.GenerateSelfSignedServerCert(pathutils.NODED_CERT_FILE)
    digest = x509.GenerateClientCert(pathutils.NODED_CLIENT_CERT_FILE,
                                     pathutils.NODED_CERT_FILE, "n1")
    assert backend_verify.VerifyNode({constants.NV_CLIENT_CERT: None}, "c",
                                     {})[constants.NV_CLIENT_CERT] == \
        (None, digest)


def test_node_list_arg_forms():
    f = backend_verify._NodeListArg
    assert f(["a", "me", "b"], "me") == ["a", "b"]
    assert f([["a"], {"me": ["x"], "b": ["y"]}], "me") == ["a", "x"]
    assert f({"nodes": ["a", "me"]}, "me") == ["a"]
