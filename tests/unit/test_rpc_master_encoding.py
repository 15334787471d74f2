"""Our master's node-RPC request bodies against upstream 3.0.2's recorded ones.

For every recorded request (tests/data/rpc-3.0) the call must take as many
arguments in our call table as upstream's master sent, and where an
argument has an object encoding (instances, disks, master parameters) our
encoder, given the same objects in a configuration (upstream's config.data
plus the recorded instances and disks), must produce a body of the same
shape: same JSON types, list lengths and dict keys.
"""

import json
import os

import pytest

from ganeti import config
from ganeti import objects
from ganeti.rpc import defs as rpc_defs

from test_rpc_replay import DATA, EXAMPLES, ShapeDiffs

UPSTREAM_CONFIG = os.path.join(os.path.dirname(DATA), "upstream-ssconf",
                               "config.data")

# Instance fields upstream's INST_DICT carries that are not instance
# attributes (filled in by the encoder).
_ENCODER_FIELDS = ("disks_info", "secondary_nodes")


def _RecordedInstances():
    """Every instance dict sent in a recorded request, by uuid."""
    found = {}

    def walk(value):
        if isinstance(value, dict):
            if "primary_node" in value and "disks" in value and \
                    "uuid" in value:
                found.setdefault(value["uuid"], value)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
    for _, _, example in EXAMPLES:
        walk(example["request"])
    return found


INSTANCES = _RecordedInstances()


def _Owner(disk_uuid):
    for idict in INSTANCES.values():
        if disk_uuid in (idict.get("disks") or []):
            return idict
    return None


@pytest.fixture(scope="module")
def cfg():
    data = config.load_config_data(UPSTREAM_CONFIG)
    for idict in INSTANCES.values():
        plain = {k: v for k, v in idict.items() if k not in _ENCODER_FIELDS}
        data.instances[idict["uuid"]] = objects.Instance.FromDict(plain)
        for ddict in idict.get("disks_info") or []:
            data.disks[ddict["uuid"]] = objects.Disk.FromDict(ddict)
    return config.ConfigWriter(offline=True, data=data)


def _Instance(cfg, idict):
    return cfg.GetInstanceInfo(idict["uuid"])


def _Input(cfg, encoding, value, node=None, tmp_dir=None):
    """The master-side value an encoder turns into the recorded value."""
    if encoding == "INST_DICT":
        return _Instance(cfg, value)
    if encoding == "INST_DICT_HVP_BEP_DP":
        return (_Instance(cfg, value), None, None)
    if encoding == "INST_DICT_OSP_DP":
        return (_Instance(cfg, value), None)
    if encoding == "SINGLE_DISK_DICT_DP":
        owner = _Owner(value["uuid"])
        return (objects.Disk.FromDict(value),
                _Instance(cfg, owner) if owner else None)
    if encoding == "DISKS_DICT_DP":
        owners = [_Owner(d["uuid"]) for d in value]
        owner = owners[0] if owners else None
        return ([objects.Disk.FromDict(d) for d in value],
                _Instance(cfg, owner) if owner else None)
    if encoding == "NODE_TO_DISK_DICT_DP":
        return {node: [_Input(cfg, "SINGLE_DISK_DICT_DP", d, node)
                       for d in value]}
    if encoding == "IMPEXP_IO":
        ieio, ieio_args = value
        return (ieio, [_Input(cfg, "SINGLE_DISK_DICT_DP", a, node)
                       if isinstance(a, dict) and "dev_type" in a else a
                       for a in ieio_args])
    if encoding == "FINALIZE_EXPORT_DISKS":
        return [objects.Disk.FromDict(d) if isinstance(d, dict) else d
                for d in value]
    if encoding == "COMPRESS":
        return value[1] if isinstance(value, list) else value
    if encoding == "FILE_DETAILS":
        name, text = value[0], value[1]
        path = os.path.join(tmp_dir, os.path.basename(name))
        with open(path, "w") as handle:
            handle.write(text)
        return path
    if encoding == "OBJECT_DICT":
        return value
    raise AssertionError(encoding)


def _ListBodies():
    for call, idx, example in EXAMPLES:
        if call in rpc_defs.CALLS and isinstance(example["request"], list):
            yield pytest.param(call, idx, example, id="%s-%d" % (call, idx))


@pytest.mark.parametrize("call, idx, example", list(_ListBodies()))
def test_master_request_shape(cfg, tmp_path, call, idx, example):
    spec = rpc_defs.CALLS[call]
    recorded = example["request"]
    assert len(spec.args) == len(recorded), \
        [a.name for a in spec.args]
    node = cfg.GetMasterNode()
    # the body exactly as sent (compressed blobs encoded)
    sent = example.get("raw_request", recorded)
    args = [value if arg.encoding is None else
            _Input(cfg, arg.encoding, value, node, str(tmp_path))
            for arg, value in zip(spec.args, recorded)]
    body = json.loads(json.dumps(spec.Encode(rpc_defs.EncodeContext(cfg),
                                             args, node)))
    for pos, arg in enumerate(spec.args):
        if arg.encoding == "COMPRESS":
            assert body[pos][0] == sent[pos][0]  # plain below 512 bytes
            assert rpc_defs.Decompress(body[pos]) == \
                rpc_defs.Decompress(sent[pos])
        elif arg.encoding is not None:
            diffs = ShapeDiffs(sent[pos], body[pos], "$[%d]" % pos)
            assert diffs == [], arg.name


def test_haskell_bodies_are_known():
    """Bodies that are not argument lists come from upstream's Haskell
    daemons: export_list's {} and instance_console_info's dict."""
    odd = {call for call, _, example in EXAMPLES
           if not isinstance(example["request"], list)}
    assert odd == {"export_list", "instance_console_info"}
