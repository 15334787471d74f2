"""Bad input is refused before anything changes: opcode parameters at
construction, names, backend/hypervisor parameters and disk sizes in the
logical units (fake cluster of instance_fakes)."""

import pytest

from ganeti import constants as C
from ganeti import errors
from ganeti import netutils
from ganeti import opcodes

from instance_fakes import MASTER, Context, FakeNodes, MakeConfig

INST = "inst1.example.com"


@pytest.fixture
def ctx(tmp_path):
    return Context(MakeConfig(str(tmp_path / "config.data")), FakeNodes())


def _create(ctx, **kwargs):
    params = dict(instance_name=INST, mode=C.INSTANCE_CREATE,
                  disk_template="file", disks=[{"size": 64}], nics=[{}],
                  os_type="debootstrap+default", pnode=MASTER,
                  name_check=False, ip_check=False, start=False,
                  beparams={"memory": 128})
    params.update(kwargs)
    return ctx.Run(opcodes.OpInstanceCreate(**params))


@pytest.mark.parametrize("duration", [1e308, float("inf"), float("nan")])
def test_impossible_delay_refused_at_construction(duration):
    with pytest.raises(errors.OpPrereqError) as err:
        opcodes.OpTestDelay(duration=duration)
    assert err.value.args == (
        "Parameter 'OP_TEST_DELAY.duration' fails validation: expected"
        " Float, got %r" % duration, errors.ECODE_INVAL)
    assert opcodes.OpTestDelay(duration=2.5).duration == 2.5


@pytest.mark.parametrize("name", ["Bad_Name!", "a" * 256, "a..b", ".a", ""])
def test_invalid_hostnames(name):
    with pytest.raises(errors.OpPrereqError) as err:
        netutils.Hostname.GetNormalizedName(name)
    assert err.value.args == ("Invalid hostname '%s'" % name.lower(),
                              errors.ECODE_INVAL)


def test_hostname_lowercased():
    assert netutils.Hostname.GetNormalizedName("Node1.Example.COM.") == \
        "node1.example.com"


@pytest.mark.parametrize("kwargs,exc,message", [
    ({"instance_name": "Bad_Name!"}, errors.OpPrereqError,
     "Invalid hostname 'bad_name!'"),
    ({"beparams": {"vcpus": -3}}, errors.OpPrereqError,
     "Invalid value -3 for backend parameter 'vcpus', it must be at least 1"),
    ({"beparams": {"memory": "0"}}, errors.OpPrereqError,
     "Invalid value 0 for backend parameter 'maxmem', it must be at least 1"),
    ({"disks": [{"size": 0}]}, errors.OpPrereqError,
     "Invalid disk size '0'"),
    ({"hvparams": {"bogus": 1}}, errors.TypeEnforcementError,
     "Unknown parameter 'bogus'"),
    ({"hvparams": {"kernel_path": "/x"}}, errors.HypervisorError,
     "Parameter 'kernel_path' is not supported"),
])
def test_create_refuses_bad_values(ctx, kwargs, exc, message):
    with pytest.raises(exc) as err:
        _create(ctx, **kwargs)
    assert err.value.args[0] == message
    assert ctx.cfg.GetInstanceList() == []
    assert not ctx.fake.Calls("blockdev_create")


def test_create_lowercases_the_name(ctx):
    _create(ctx, instance_name="INST1.Example.com")
    assert ctx.cfg.GetInstanceInfoByName(INST) is not None


def test_modify_refuses_bad_values(ctx):
    _create(ctx)
    with pytest.raises(errors.OpPrereqError) as err:
        ctx.Run(opcodes.OpInstanceSetParams(instance_name=INST,
                                            beparams={"vcpus": -3}))
    assert err.value.args[0] == ("Invalid value -3 for backend parameter"
                                 " 'vcpus', it must be at least 1")
    with pytest.raises(errors.OpPrereqError) as err:
        ctx.Run(opcodes.OpInstanceSetParams(
            instance_name=INST, disks=[[C.DDM_ADD, -1, {"size": 0}]]))
    assert err.value.args[0] == "Invalid disk size '0'"
    with pytest.raises(errors.TypeEnforcementError):
        ctx.Run(opcodes.OpInstanceSetParams(instance_name=INST,
                                            hvparams={"bogus": "1"}))
    inst = ctx.cfg.GetInstanceInfoByName(INST)
    assert "vcpus" not in inst.beparams and inst.hvparams == {}
    assert len(ctx.cfg.GetInstanceDisks(inst.uuid)) == 1


def test_cluster_modify_refuses_bad_beparams(ctx):
    with pytest.raises(errors.OpPrereqError) as err:
        ctx.Run(opcodes.OpClusterSetParams(beparams={"vcpus": "-3"}))
    assert err.value.args[0] == ("Invalid value -3 for backend parameter"
                                 " 'vcpus', it must be at least 1")
    assert ctx.cfg.GetClusterInfo().beparams["default"]["vcpus"] == 1
