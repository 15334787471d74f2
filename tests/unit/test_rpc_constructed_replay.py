"""Replay of the constructed requests (tests/data/rpc-constructed: the calls
upstream 3.0.2's recording has no example of) against our noded's request
handler, on the recording node's state as test_rpc_replay sets it up; the
answers must have the expected shapes."""

import json
import os
import stat

import pytest

from ganeti import pathutils
from ganeti.backend import LocalizeVirtualPath

from test_rpc_replay import (  # noqa: F401 (fixtures)
    Prepare, ShapeDiffs, _Deliver, certificates, node)

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))), "data", "rpc-constructed")
IMAGE = "/srv/ganeti/os-images/constructed.img"


def _Examples():
    for name in sorted(os.listdir(DATA)):
        if name.endswith(".json"):
            with open(os.path.join(DATA, name)) as handle:
                for idx, example in enumerate(json.load(handle)):
                    yield name[:-5], idx, example


EXAMPLES = list(_Examples())


def FakeOvsVsctl(directory: str) -> str:
    """A stand-in ovs-vsctl (no switch is made); returns its directory."""
    os.makedirs(directory, exist_ok=True)
    tool = os.path.join(directory, "ovs-vsctl")
    with open(tool, "w") as handle:
        handle.write("#!/bin/sh\nexit 0\n")
    os.chmod(tool, stat.S_IRWXU)
    return directory


def PrepareConstructed(call, example):
    """The node state a constructed example needs: the recording's (file
    disks of the request) plus the image file."""
    Prepare(call, example)
    image = LocalizeVirtualPath(IMAGE)
    os.makedirs(os.path.dirname(image), exist_ok=True)
    with open(image, "wb") as handle:
        handle.truncate(1024 * 1024)


@pytest.mark.parametrize("call, idx, example", [
    pytest.param(c, i, e, id="%s-%d" % (c, i)) for c, i, e in EXAMPLES])
def test_constructed_replay(node, monkeypatch, call, idx, example):
    tools = FakeOvsVsctl(os.path.join(pathutils.get_root(), "tools"))
    monkeypatch.setenv("PATH", "%s:%s" % (tools, os.environ["PATH"]))
    PrepareConstructed(call, example)
    status, answer = _Deliver(node, call, example)
    expected = example["response"]
    assert status == 200 and answer[0] == expected[0], answer
    if expected[0]:
        assert ShapeDiffs(expected, answer) == []
    else:
        assert isinstance(answer[1], str)
        if expected[1].endswith("..."):   # a prefix
            assert answer[1].startswith(expected[1][:-3]), answer
        else:
            assert answer[1] == expected[1]


def test_every_unrecorded_call_has_an_example():
    from test_rpc_replay import EXAMPLES as RECORDED, UPSTREAM_CALLS, \
        NOT_SERVED
    covered = {c for c, _, _ in RECORDED} | {c for c, _, _ in EXAMPLES}
    assert {"blockdev_convert", "blockdev_image", "blockdev_addchildren",
            "blockdev_removechildren", "get_file_info", "resize_disk",
            "node_configure_ovs"} <= covered
    assert {c for c, _, _ in EXAMPLES} <= UPSTREAM_CALLS - NOT_SERVED
