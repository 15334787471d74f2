"""gnt-instance modify -t: the refusals of a disk template conversion
(against the fake cluster of instance_fakes; the conversions themselves run
on the testbed, tests/cluster/test_drbd_replace.py)."""

import pytest

from ganeti import constants as C
from ganeti import errors
from ganeti import opcodes

from instance_fakes import MASTER, Context, FakeNodes, MakeConfig

INST = "inst1.example.com"


@pytest.fixture
def ctx(tmp_path):
    made = Context(MakeConfig(str(tmp_path / "config.data")), FakeNodes())
    made.Run(opcodes.OpInstanceCreate(
        instance_name=INST, mode=C.INSTANCE_CREATE, disk_template="file",
        disks=[{"size": 64}], nics=[{}], os_type="debootstrap+default",
        pnode=MASTER, name_check=False, ip_check=False,
        beparams={"memory": 128}, start=False))
    return made


@pytest.mark.parametrize("kwargs, message", [
    (dict(disk_template="drbd"), "Changing the disk template to a mirrored"
     " one requires specifying a secondary node"),
    (dict(disk_template="plain", disks=[("add", -1, {"size": 64})]),
     "Disk template conversion and other disk changes not supported at the"
     " same time"),
    (dict(disk_template="drbd", remote_node="node2.example.com"),
     "Unsupported disk template conversion from file to drbd"),
    (dict(disk_template="file"), "Instance already has disk template file"),
    (dict(disk_template="drbd", iallocator="hail"), "Choosing the new"
     " secondary node with an iallocator is not supported yet, give it with"
     " -n"),
])
def test_conversion_refusals_change_nothing(ctx, kwargs, message):
    inst = ctx.cfg.GetInstanceInfoByName(INST)
    disks = [d.ToDict() for d in ctx.cfg.GetInstanceDisks(inst.uuid)]
    calls = len(ctx.fake.calls)
    with pytest.raises(errors.OpPrereqError) as err:
        ctx.Run(opcodes.OpInstanceSetParams(instance_name=INST, **kwargs))
    assert err.value.args == (message, errors.ECODE_INVAL)
    assert [d.ToDict() for d in ctx.cfg.GetInstanceDisks(inst.uuid)] == disks
    assert not [c for c in ctx.fake.calls[calls:]
                if c[1].startswith("blockdev_")]
