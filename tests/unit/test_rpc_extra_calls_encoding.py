"""Our master's request bodies for the calls upstream 3.0.2's recording has
no example of (blockdev_convert, blockdev_image, blockdev_addchildren,
blockdev_removechildren, resize_disk, get_file_info, node_configure_ovs):
their disk and instance arguments must have the shape of the recorded
bodies of calls using the same encodings (a recorded blockdev_grow's disk,
a recorded instance_shutdown's instance), their timeouts upstream's."""

import json

import pytest

from ganeti.rpc import defs as rpc_defs

from test_rpc_master_encoding import _Input, cfg  # noqa: F401 (fixture)
from test_rpc_replay import EXAMPLES, ShapeDiffs


def _Recorded(call, idx=0):
    for name, number, example in EXAMPLES:
        if (name, number) == (call, idx):
            return example["request"]
    raise AssertionError("no recording of %s" % call)


@pytest.fixture
def disk_arg(cfg):  # noqa: F811
    """(master-side value, recorded body) of a SINGLE_DISK_DICT_DP disk."""
    recorded = _Recorded("blockdev_grow")[0]
    return _Input(cfg, "SINGLE_DISK_DICT_DP", recorded), recorded


def _Body(cfg, call, *args):  # noqa: F811
    spec = rpc_defs.CALLS[call]
    return json.loads(json.dumps(spec.Encode(rpc_defs.EncodeContext(cfg),
                                             list(args),
                                             cfg.GetMasterNode())))


def test_disk_copy_calls(cfg, disk_arg):  # noqa: F811
    value, recorded = disk_arg
    body = _Body(cfg, "blockdev_convert", value, value)
    assert ShapeDiffs([recorded, recorded], body) == []
    body = _Body(cfg, "blockdev_image", value, "/srv/images/deb.img", 64)
    assert ShapeDiffs([recorded, "", 0], body) == []
    assert body[1:] == ["/srv/images/deb.img", 64]
    assert rpc_defs.CALLS["blockdev_convert"].ReadTimeout([]) == \
        rpc_defs.TMO_SLOW
    assert rpc_defs.CALLS["blockdev_image"].ReadTimeout([]) == \
        rpc_defs.TMO_SLOW


def test_children_calls(cfg, disk_arg):  # noqa: F811
    (disk, instance), recorded = disk_arg
    for call in ("blockdev_addchildren", "blockdev_removechildren"):
        body = _Body(cfg, call, (disk, instance), ([disk, disk], instance))
        assert ShapeDiffs([recorded, [recorded, recorded]], body) == [], call
        assert rpc_defs.CALLS[call].ReadTimeout([]) == rpc_defs.TMO_NORMAL


def test_resize_disk(cfg):  # noqa: F811
    recorded_inst = _Recorded("instance_shutdown")[0]
    instance = _Input(cfg, "INST_DICT", recorded_inst)
    disk = cfg.GetInstanceDisks(instance.uuid)[0]
    body = _Body(cfg, "resize_disk", instance, disk.ToDict(), 1024)
    assert ShapeDiffs(recorded_inst, body[0]) == []
    assert body[1] == disk.ToDict() and body[2] == 1024
    assert rpc_defs.CALLS["resize_disk"].ReadTimeout([]) == \
        rpc_defs.TMO_NORMAL


def test_plain_calls(cfg):  # noqa: F811
    assert _Body(cfg, "get_file_info", "/srv/x.img") == ["/srv/x.img"]
    assert _Body(cfg, "node_configure_ovs", "switch1", "eth1") == \
        ["switch1", "eth1"]
    assert rpc_defs.CALLS["get_file_info"].ReadTimeout([]) == \
        rpc_defs.TMO_FAST
    assert rpc_defs.CALLS["node_configure_ovs"].ReadTimeout([]) == \
        rpc_defs.TMO_NORMAL
