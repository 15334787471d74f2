"""Replay of upstream 3.0.2's recorded node RPC against our node daemon.

Every request upstream's master sent to upstream's noded (tests/data/rpc-3.0,
one file per call) goes through our noded's request handler (the function
the HTTPS server calls with the request body) on a node set up below a
temporary root with the state the recording implies: the instances that
were running (fake hypervisor run files), the file disks and storage
directories, the OS definitions, the hook script, ssconf.  The answer must
have the recorded shape: same success flag, same JSON types recursively,
same list lengths, same dict keys; values that depend on the machine (sizes,
times, checksums, boot id) may differ.  Calls or examples that cannot be
answered here are listed below with the reason, never skipped silently.
"""

import json
import os
import shutil

import pytest

from ganeti import backend
from ganeti.backend import node_services
from ganeti import netutils
from ganeti import pathutils
from ganeti.rpc import defs as rpc_defs
from ganeti.server import noded
from ganeti.utils import x509

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))), "data", "rpc-3.0")
ME = "anchor-node1.ganeti.test"
FILE_DIR = "/srv/ganeti/file-storage"
SHARED_DIR = "/srv/ganeti/shared-file-storage"

# Calls upstream's noded serves that ours does not answer as upstream yet
# (their examples are expected to fail, strictly: fixing one makes its
# test pass and this list must shrink).
NOT_YET = {
    "export_start": "the import/export daemon stack is not implemented",
    "import_start": "the import/export daemon stack is not implemented",
    "finalize_export": "the import/export daemon stack is not implemented",
}

# Recorded examples whose answer depends on the host or changes it, and
# are therefore not replayed here (call, example index) -> why.
HOST_SPECIFIC = {
    ("bridges_exist", 0): "the test host has no bridge gntbr0",
    ("bridges_exist", 1): "the test host has no bridge gntbr0",
    ("node_activate_master_ip", 0): "would add an address to the host's"
                                    " loopback device",
    ("node_deactivate_master_ip", 0): "would remove an address from the"
                                      " host; its failure depended on the"
                                      " recording host's addresses",
    ("iallocator_runner", 0): "runs the host's hail (an htools binary)",
}

# Upstream error messages clients parse or show: ours must be the same.
EXACT_ERRORS = {"hotplug_supported", "restricted_command", "export_list",
                "export_info"}

# JSON paths whose list length depends on the host (recursion stops there).
HOST_LENGTHS = {
    "node_verify": {"$[1].nodesetup",   # this host's /proc and /sys
                    "$[1].bridges"},    # this host has no bridge gntbr0
}


def _Examples():
    for name in sorted(os.listdir(DATA)):
        if not name.endswith(".json"):
            continue
        call = name[:-5]
        with open(os.path.join(DATA, name)) as handle:
            for idx, example in enumerate(json.load(handle)):
                yield call, idx, example


EXAMPLES = list(_Examples())


def _Params():
    for call, idx, example in EXAMPLES:
        marks = []
        if call in NOT_YET:
            marks.append(pytest.mark.xfail(strict=True, reason=NOT_YET[call]))
        yield pytest.param(call, idx, example, marks=marks,
                           id="%s-%d" % (call, idx))


def ShapeDiffs(recorded, ours, path="$", loose=frozenset()):
    """Where ours differs in shape from recorded (types, lengths, keys)."""
    if recorded is None or ours is None:
        return [] if recorded is ours else \
            ["%s: %r vs %r" % (path, recorded, ours)]
    numbers = (int, float)
    if isinstance(recorded, bool) or isinstance(ours, bool):
        same = isinstance(recorded, bool) and isinstance(ours, bool)
    elif isinstance(recorded, numbers):
        same = isinstance(ours, numbers)
    else:
        same = type(recorded) is type(ours)
    if not same:
        return ["%s: %s vs %s (%.80r)" % (path, type(recorded).__name__,
                                          type(ours).__name__, ours)]
    diffs = []
    if isinstance(recorded, dict):
        if set(recorded) != set(ours):
            diffs.append("%s: keys only recorded %s, only ours %s" % (
                path, sorted(set(recorded) - set(ours))[:5],
                sorted(set(ours) - set(recorded))[:5]))
        for key in sorted(set(recorded) & set(ours)):
            diffs += ShapeDiffs(recorded[key], ours[key],
                                "%s.%s" % (path, key), loose)
    elif isinstance(recorded, list) and path not in loose:
        if len(recorded) != len(ours):
            diffs.append("%s: length %d vs %d" % (path, len(recorded),
                                                  len(ours)))
        for idx, (rec, mine) in enumerate(zip(recorded, ours)):
            diffs += ShapeDiffs(rec, mine, "%s[%d]" % (path, idx), loose)
    return diffs


def test_shape_diffs_sees_every_kind_of_difference():
    assert ShapeDiffs([True, {"a": [1, "x"]}], [True, {"a": [2.5, "y"]}]) \
        == []
    assert ShapeDiffs([True, None], [True, 0]) == ["$[1]: None vs 0"]
    assert ShapeDiffs([1, 2], [1]) == ["$: length 2 vs 1"]
    assert ShapeDiffs({"a": 1}, {"b": 1}) == \
        ["$: keys only recorded ['a'], only ours ['b']"]
    assert ShapeDiffs(True, 1)[0].startswith("$: bool vs int")
    assert ShapeDiffs({"l": [1, 2]}, {"l": [1]}, loose={"$.l"}) == []


# ------------------------------------------------------------ node state

def _Write(path, text="", mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)
    os.chmod(path, mode)


def _MakeOs(top, name, api, variants=(), params=()):
    osdir = top + "/" + name
    for script in ("create", "import", "export", "rename", "verify"):
        _Write(os.path.join(osdir, script), "#!/bin/sh\nexit 0\n", 0o755)
    _Write(os.path.join(osdir, "ganeti_api_version"),
           "".join("%s\n" % v for v in api))
    if variants:
        _Write(os.path.join(osdir, "variants.list"),
               "".join("%s\n" % v for v in variants))
    if params:
        _Write(os.path.join(osdir, "parameters.list"),
               "".join("%s %s\n" % p for p in params))


def _FileDisks(value):
    """Paths of the file disks (logical_id ["loop", path]) in a request."""
    if isinstance(value, dict):
        lid = value.get("logical_id")
        found = [lid[1]] if isinstance(lid, list) and len(lid) == 2 and \
            lid[0] == "loop" else []
        for item in value.values():
            found += _FileDisks(item)
        return found
    if isinstance(value, list):
        return [p for item in value for p in _FileDisks(item)]
    return []


def _Running(call, example):
    """Instances the recorded answer shows (or needs) running."""
    request, (ok, payload) = example["request"], example["response"]
    if call == "all_instances_info" and ok:
        return list(payload)
    if call == "node_verify" and ok:
        return payload.get("instancelist") or []
    if call == "instance_info":
        return [request[0]] if payload else []
    if call in ("instance_reboot", "instance_shutdown",
                "instance_balloon_memory"):
        return [request[0]["name"]]
    return []


def _Localize(path):
    return backend.LocalizeVirtualPath(path)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    top = str(tmp_path_factory.mktemp("certs"))
    server, client = top + "/server.pem", top + "/client.pem"
    x509.GenerateSelfSignedServerCert(server)
    x509.GenerateClientCert(client, server, ME)
    return server, client


@pytest.fixture
def node(ganeti_root, monkeypatch, certificates):
    """A node named like the recording's, below a temporary root."""
    monkeypatch.setattr(netutils.Hostname, "GetFqdn",
                        staticmethod(lambda name=None: name or ME))
    # The recording's files are owned by upstream's daemon users
    # (gnt-masterd...), which this host lacks.
    real_lookup = backend._LookupId
    monkeypatch.setattr(backend, "_LookupId", lambda value, kind: (
        os.getuid() if kind == "user" else os.getgid())
        if isinstance(value, str) and value.startswith("gnt-")
        else real_lookup(value, kind))
    monkeypatch.setattr(node_services, "RESTRICTED_COMMAND_FAIL_DELAY", 0)
    SetUpNodeState(*certificates)
    return noded.NodeRequestHandler()


def SetUpNodeState(server_cert, client_cert):
    """The recording node's files below the current root (pathutils)."""
    os.makedirs(pathutils.DATA_DIR, exist_ok=True)
    shutil.copy(server_cert, pathutils.NODED_CERT_FILE)
    shutil.copy(client_cert, pathutils.NODED_CLIENT_CERT_FILE)
    (ssconf_example,) = [e for c, i, e in EXAMPLES
                         if c == "write_ssconf_files" and i == 0]
    backend.WriteSsconfFiles(ssconf_example["request"][0])
    for top in (FILE_DIR, SHARED_DIR):
        os.makedirs(_Localize(top), exist_ok=True)
    _Write(pathutils.FILE_STORAGE_PATHS_FILE,
           "%s\n%s\n" % (FILE_DIR, SHARED_DIR))
    _MakeOs(_Localize("/srv/ganeti/os"), "anchor-noop", [20],
            ["default", "minimal"], [("motd", "Message of the day")])
    _MakeOs(_Localize("/usr/share/ganeti/os"), "noop", [5, 10])
    _Write(os.path.join(pathutils.HOOKS_BASE_DIR,
                        "instance-start-post.d", "50-rpccap"),
           "#!/bin/sh\necho rpc-capture hook ran for $GANETI_INSTANCE_NAME\n",
           0o755)


def Prepare(call, example):
    """The node state the recorded answer implies."""
    if call in ("all_instances_info", "node_verify"):
        # exactly the recorded instances run (state left by other calls
        # of a repeated replay removed)
        shutil.rmtree(pathutils.FAKE_RUN_DIR, ignore_errors=True)
    os.makedirs(pathutils.FAKE_RUN_DIR, exist_ok=True)
    stopped = {"instance_start": lambda r: r[0]["name"],
               "instance_info": lambda r: r[0]}.get(call)
    if stopped is not None:
        run_file = os.path.join(pathutils.FAKE_RUN_DIR,
                                stopped(example["request"]))
        if os.path.exists(run_file):
            os.unlink(run_file)
    for name in _Running(call, example):
        _Write(os.path.join(pathutils.FAKE_RUN_DIR, name), "0\n16\n1\n")
    request, (ok, _) = example["request"], example["response"]
    create_fails = call == "blockdev_create" and not ok
    for path in _FileDisks(request):
        os.makedirs(os.path.dirname(_Localize(path)), exist_ok=True)
        if call != "blockdev_create" or create_fails:
            _Write(_Localize(path), "\0" * 1024)
        elif os.path.exists(_Localize(path)):
            os.unlink(_Localize(path))
    if call in ("file_storage_dir_remove", "file_storage_dir_rename"):
        shutil.rmtree(_Localize(request[0]), ignore_errors=True)
        os.makedirs(_Localize(request[0]))
    if call == "file_storage_dir_rename":
        shutil.rmtree(_Localize(request[1]), ignore_errors=True)
    if call == "impexp_status" and ok:
        # what the import/export daemons had written
        for name, status in zip(request[0], example["response"][1]):
            if status is not None:
                _Write(os.path.join(pathutils.IMPORT_EXPORT_DIR, name,
                                    "status"), json.dumps(status))
    if call == "export_remove":
        os.makedirs(os.path.join(pathutils.EXPORT_DIR, request[0]),
                    exist_ok=True)
    if call == "export_list" and not ok:
        shutil.rmtree(pathutils.EXPORT_DIR, ignore_errors=True)
    if call == "node_verify" and ok:
        for name in example["response"][1].get("filelist") or {}:
            if not os.path.exists(_Localize(name)):
                _Write(_Localize(name), "recorded\n")


def _Deliver(handler, call, example):
    body = example.get("raw_request", example["request"])
    status, _, answer = handler("POST", "/" + call, {},
                                json.dumps(body).encode("utf-8"))
    return status, json.loads(answer)


@pytest.mark.parametrize("call, idx, example", list(_Params()))
def test_replay(node, call, idx, example):
    if (call, idx) in HOST_SPECIFIC:
        pytest.skip(HOST_SPECIFIC[(call, idx)])
    Prepare(call, example)
    status, answer = _Deliver(node, call, example)
    recorded = example["response"]
    assert status == 200, answer
    assert answer[0] == recorded[0], (answer, recorded)
    if not recorded[0]:
        assert isinstance(answer[1], str)
        if call in EXACT_ERRORS:
            assert answer[1] == recorded[1]
        return
    diffs = ShapeDiffs(recorded, answer,
                       loose=HOST_LENGTHS.get(call, frozenset()))
    assert diffs == [], (diffs, json.dumps(answer)[:2000])


# ------------------------------------------------------ the set of calls

# upstream's noded serves every rpc_defs call plus instance_console_info
UPSTREAM_CALLS = frozenset(rpc_defs.CALLS) - {"x_config_newer_than"} | \
    {"instance_console_info"}

# Served by upstream's noded, not (yet) by ours.
NOT_SERVED = frozenset([
    "blockdev_convert", "blockdev_image", "export_start", "finalize_export",
    "get_file_info", "import_start", "node_configure_ovs", "node_ssh_key_add",
    "node_ssh_key_remove", "node_ssh_keys_renew", "resize_disk",
])


def test_upstream_calls_served():
    assert len(UPSTREAM_CALLS) == 109
    served = set(noded.RPC_CALLS)
    assert UPSTREAM_CALLS - served == NOT_SERVED
    assert "instance_metadata_modify" in served
    recorded = {call for call, _, _ in EXAMPLES}
    assert recorded <= UPSTREAM_CALLS
    assert set(NOT_YET) <= recorded
    assert {c for c, _ in HOST_SPECIFIC} <= recorded
