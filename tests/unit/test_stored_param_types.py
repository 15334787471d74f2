"""Hypervisor, backend, node and disk parameters given as command-line
strings are stored typed ("acpi=False" is the boolean False, which the
hypervisor's syntax check and verify accept) on every path: gnt-os modify
-H, gnt-cluster modify -H/-B/-N/-D, gnt-instance add/modify/start -H/-B.
Unknown hypervisors and bad values are refused before anything changes."""

import pytest

from ganeti import constants as C
from ganeti import errors
from ganeti import hypervisor
from ganeti import opcodes
from ganeti.cmdlib.group import ForceVTypes
from instance_fakes import MASTER, Context, FakeNodes, MakeConfig

INST = "inst1.example.com"


def test_force_vtypes_converts_strings():
    params = {"acpi": "False", "kernel_path": "/boot/vmlinuz",
              "mem_path": "default", "cpu_cores": "2", "gone": None,
              "size": "1G"}
    ForceVTypes(params, {"acpi": "bool", "kernel_path": "string",
                         "mem_path": "string", "cpu_cores": "int",
                         "gone": "int", "size": "size"})
    assert params == {"acpi": False, "kernel_path": "/boot/vmlinuz",
                      "mem_path": "default", "cpu_cores": 2, "gone": None,
                      "size": 1024}


def test_force_vtypes_bad_value_and_unknown_key():
    with pytest.raises(errors.TypeEnforcementError) as err:
        ForceVTypes({"acpi": "maybe"}, {"acpi": "bool"})
    assert str(err.value) == "'acpi' (value maybe) is not a valid boolean"
    with pytest.raises(errors.TypeEnforcementError) as err:
        ForceVTypes({"nosuch": "1"}, {"acpi": "bool"})
    assert str(err.value) == "Unknown parameter 'nosuch'"


@pytest.fixture
def context(tmp_path):
    ctx = Context(MakeConfig(str(tmp_path / "config.data")), FakeNodes())
    ctx.Run(opcodes.OpClusterSetParams(enabled_hypervisors=["fake", "kvm"]))
    return ctx


def _cluster(context):
    return context.cfg.GetClusterInfo()


# ---------------------------------------------------------- gnt-os modify

def test_os_hvp_stored_typed(context):
    context.Run(opcodes.OpClusterSetParams(
        os_hvp={"debootstrap": {"kvm": {"acpi": "False",
                                        "cpu_cores": "2"}}}))
    cluster = _cluster(context)
    assert cluster.os_hvp["debootstrap"]["kvm"] == {"acpi": False,
                                                    "cpu_cores": 2}
    # what verify checks: the filled set passes the syntax check
    hypervisor.GetHypervisorClass("kvm").CheckParameterSyntax(
        cluster.FillHV("kvm", os_name="debootstrap"))


@pytest.mark.parametrize("hvs,exc,message", [
    ({"nosuchhv": {"acpi": "False"}}, errors.HypervisorError,
     "Unknown hypervisor type 'nosuchhv'"),
    ({"kvm": {"acpi": "maybe"}}, errors.TypeEnforcementError,
     "'acpi' (value maybe) is not a valid boolean"),
    ({"fake": {"acpi": "False"}}, errors.HypervisorError,
     "Parameter 'acpi' is not supported"),
    ({"kvm": {"kernel_path": "vmlinuz"}}, errors.HypervisorError,
     "Parameter 'kernel_path' fails syntax check: must be an absolute"
     " and normalized path (current value: 'vmlinuz')"),
])
def test_os_hvp_bad_input_refused(context, hvs, exc, message):
    with pytest.raises(exc) as err:
        context.Run(opcodes.OpClusterSetParams(os_hvp={"debootstrap": hvs}))
    assert str(err.value) == message
    assert not _cluster(context).os_hvp


# ----------------------------------------------------- gnt-cluster modify

def test_cluster_params_stored_typed(context):
    context.Run(opcodes.OpClusterSetParams(
        hvparams={"kvm": {"acpi": "False", "cpu_cores": "2"}},
        beparams={"auto_balance": "False", "maxmem": "1G", "vcpus": "2"},
        ndparams={"spindle_count": "2", "exclusive_storage": "False"},
        diskparams={"drbd": {"resync-rate": "2048",
                             "dynamic-resync": "True"}}))
    cluster = _cluster(context)
    assert cluster.hvparams["kvm"]["acpi"] is False
    assert cluster.hvparams["kvm"]["cpu_cores"] == 2
    be = cluster.beparams["default"]
    assert (be["auto_balance"], be["maxmem"], be["vcpus"]) == (False, 1024, 2)
    assert cluster.ndparams["spindle_count"] == 2
    assert cluster.ndparams["exclusive_storage"] is False
    assert cluster.diskparams["drbd"]["resync-rate"] == 2048
    assert cluster.diskparams["drbd"]["dynamic-resync"] is True
    assert cluster.diskparams["drbd"]["protocol"] == "C"


def test_cluster_bad_hvparam_value_changes_nothing(context):
    with pytest.raises(errors.TypeEnforcementError) as err:
        context.Run(opcodes.OpClusterSetParams(
            hvparams={"kvm": {"cpu_cores": "many"}},
            beparams={"vcpus": "2"}))
    assert str(err.value) == "'cpu_cores' (value many) is not a valid integer"
    cluster = _cluster(context)
    assert cluster.hvparams["kvm"]["cpu_cores"] == 0
    assert cluster.beparams["default"]["vcpus"] == 1


# ------------------------------------------ gnt-instance add/modify/start

def _create(context, **kwargs):
    params = dict(instance_name=INST, mode=C.INSTANCE_CREATE,
                  disk_template="file", disks=[{"size": 64}], nics=[{}],
                  os_type="debootstrap+default", pnode=MASTER,
                  hypervisor="kvm", name_check=False, ip_check=False,
                  start=False, beparams={"memory": "128"})
    params.update(kwargs)
    return context.Run(opcodes.OpInstanceCreate(**params))


def test_instance_params_stored_typed(context):
    _create(context, hvparams={"acpi": "False", "cpu_cores": "3"},
            beparams={"memory": "128", "auto_balance": "False"})
    inst = context.cfg.GetInstanceInfoByName(INST)
    assert inst.hvparams == {"acpi": False, "cpu_cores": 3}
    assert inst.beparams["auto_balance"] is False
    context.Run(opcodes.OpInstanceSetParams(
        instance_name=INST, hvparams={"acpi": "True", "cpu_threads": "2",
                                      "cpu_cores": "default"},
        beparams={"vcpus": "4"}))
    inst = context.cfg.GetInstanceInfoByName(INST)
    assert inst.hvparams == {"acpi": True, "cpu_threads": 2}
    assert inst.beparams["vcpus"] == 4


def test_instance_modify_bad_hvparam_value_refused(context):
    _create(context)
    with pytest.raises(errors.TypeEnforcementError) as err:
        context.Run(opcodes.OpInstanceSetParams(
            instance_name=INST, hvparams={"acpi": "perhaps"}))
    assert str(err.value) == "'acpi' (value perhaps) is not a valid boolean"
    assert context.cfg.GetInstanceInfoByName(INST).hvparams == {}


def test_startup_hvparams_sent_typed(context):
    _create(context)
    context.Run(opcodes.OpInstanceStartup(instance_name=INST,
                                          hvparams={"acpi": "False"}))
    (_, args), = context.fake.Calls("instance_start")
    assert args[0]["hvparams"]["acpi"] is False


# ------------------------------------------- upstream's type-check messages

@pytest.mark.parametrize("beparams,message", [
    ({"auto_balance": "yes"},
     "'auto_balance' (value yes) is not a valid boolean"),
    ({"vcpus": "two"}, "'vcpus' (value two) is not a valid integer"),
])
def test_cluster_beparams_type_errors(context, beparams, message):
    with pytest.raises(errors.TypeEnforcementError) as err:
        context.Run(opcodes.OpClusterSetParams(beparams=beparams))
    assert str(err.value) == message
    assert _cluster(context).beparams["default"]["vcpus"] == 1


def test_default_only_where_it_means_inherit(context):
    # cluster level: there is nothing to inherit from
    with pytest.raises(errors.TypeEnforcementError) as err:
        context.Run(opcodes.OpClusterSetParams(
            hvparams={"kvm": {"acpi": "default"}}))
    assert str(err.value) == "'acpi' (value default) is not a valid boolean"
    assert _cluster(context).hvparams["kvm"]["acpi"] is True
    with pytest.raises(errors.TypeEnforcementError):
        _create(context, hvparams={"cpu_cores": "default"})
    assert context.cfg.GetInstanceList() == []
