"""Instance policy checks (ganeti/cmdlib/ipolicy.py): bounds, disk
templates, fill order and upstream's messages, in the pure functions and in
the instance logical units (create, modify, grow-disk, migrate, failover,
move) against a fake cluster."""

import optparse

import pytest

from ganeti import cli
from ganeti import constants as C
from ganeti import errors
from ganeti import opcodes
from ganeti.cmdlib import ipolicy

from instance_fakes import MASTER, Context, FakeNodes, MakeConfig

BOUNDS = {"min": {"cpu-count": 1, "disk-count": 1, "disk-size": 1024,
                  "memory-size": 128, "nic-count": 1, "spindle-use": 1},
          "max": {"cpu-count": 8, "disk-count": 16, "disk-size": 10240,
                  "memory-size": 4096, "nic-count": 8, "spindle-use": 12}}
POLICY = {"minmax": [BOUNDS], "disk-templates": ["file", "diskless"],
          "vcpu-ratio": 2.0, "spindle-ratio": 32.0}
BE = {"maxmem": 512, "vcpus": 1, "spindle_use": 1}


def Violations(beparams=None, disks=(2048,), nics=1, template="file",
               policy=None):
    return ipolicy.ComputeIPolicyInstanceViolation(
        policy or POLICY, dict(BE, **(beparams or {})),
        [{"size": size} for size in disks], nics, template)


def testWithinBoundsHasNoViolation():
    assert Violations() == []


def testMemoryAboveMaxUsesUpstreamMessage():
    assert Violations({"maxmem": 8192}) == [
        "memory-size value 8192 is not in range [128, 4096]"]


def testDiskSizeNamesTheDiskIndex():
    assert Violations(disks=(2048, 512)) == [
        "disk-size/1 value 512 is not in range [1024, 10240]"]


def testDisallowedTemplateAndBoundsBothReported():
    assert Violations(template="plain", disks=(512,)) == [
        "Disk template plain is not allowed (allowed templates: file,"
        " diskless)", "disk-size/0 value 512 is not in range [1024, 10240]"]


def testDisklessSkipsDiskBounds():
    assert Violations(disks=(), template="diskless") == []


def testAnyMinmaxPairSatisfies():
    small = {"min": dict(BOUNDS["min"], **{"disk-size": 64}),
             "max": dict(BOUNDS["max"], **{"disk-size": 512})}
    policy = dict(POLICY, minmax=[BOUNDS, small])
    assert Violations(disks=(256,), policy=policy) == []
    assert Violations(disks=(20000,), policy=policy) == [
        "disk-size/0 value 20000 is not in range [1024, 10240]"]


def testGroupOverridesClusterOverridesDefaults():
    filled = ipolicy.FilledGroupIPolicy({"vcpu-ratio": 3.0},
                                        {"disk-templates": ["file"]})
    assert filled["vcpu-ratio"] == 3.0
    assert filled["disk-templates"] == ["file"]
    assert filled["spindle-ratio"] == 32.0
    assert filled["minmax"][0]["min"]["disk-size"] == 1024


# ------------------------------------------------------ logical units

INST = "inst1.example.com"
NODE2 = "node2.example.com"
NODE3 = "node3.example.com"
TEMPLATES = ["file", "sharedfile", "diskless"]
# The cluster policy of these tests: disks of 100M..1G, 64..1024M memory.
BOUNDS_100M = {"min": dict(BOUNDS["min"], **{"disk-size": 100,
                                              "memory-size": 64}),
               "max": dict(BOUNDS["max"], **{"disk-size": 1024,
                                              "memory-size": 1024})}


@pytest.fixture
def ctx(tmp_path):
    policy = ipolicy.FilledGroupIPolicy({"minmax": [BOUNDS_100M],
                                         "disk-templates": TEMPLATES}, {})
    cfg = MakeConfig(str(tmp_path / "config.data"), ipolicy=policy)
    return Context(cfg, FakeNodes())


def _create(ctx, **kwargs):
    params = dict(instance_name=INST, mode=C.INSTANCE_CREATE,
                  disk_template="sharedfile", disks=[{"size": 200}],
                  nics=[{}], os_type="debootstrap+default", pnode=MASTER,
                  name_check=False, ip_check=False,
                  beparams={"memory": 128})
    params.update(kwargs)
    return ctx.Run(opcodes.OpInstanceCreate(**params))


def _op(cls, **kwargs):
    return cls(instance_name=INST, **kwargs)


def _prereq(ctx, op):
    with pytest.raises(errors.OpPrereqError) as err:
        ctx.Run(op)
    return err.value.args


def testCreateRefusesDiskBelowGroupBounds(ctx):
    assert _prereq(ctx, opcodes.OpInstanceCreate(
        instance_name=INST, mode=C.INSTANCE_CREATE, disk_template="file",
        disks=[{"size": 64}], nics=[{}], os_type="debootstrap+default",
        pnode=MASTER, name_check=False, ip_check=False)) == (
        "Instance allocation to group group-uuid (default) violates policy:"
        " disk-size/0 value 64 is not in range [100, 1024]",
        errors.ECODE_INVAL)
    assert ctx.cfg.GetInstanceInfoByName(INST) is None


def testCreateUsesTheGroupPolicyOverTheCluster(ctx):
    ctx.Run(opcodes.OpGroupSetParams(group_name="default", ipolicy={
        "disk-templates": ["file"]}))
    assert _prereq(ctx, opcodes.OpInstanceCreate(
        instance_name=INST, mode=C.INSTANCE_CREATE,
        disk_template="sharedfile", disks=[{"size": 200}], nics=[{}],
        os_type="debootstrap+default", pnode=MASTER, name_check=False,
        ip_check=False, beparams={"memory": 2048})) == (
        "Instance allocation to group group-uuid (default) violates policy:"
        " Disk template sharedfile is not allowed (allowed templates:"
        " file), memory-size value 2048 is not in range [64, 1024]",
        errors.ECODE_INVAL)


def testCreateWithIgnoreIpolicy(ctx):
    _create(ctx, disks=[{"size": 64}], ignore_ipolicy=True)
    assert ctx.cfg.GetInstanceInfoByName(INST) is not None


def testModifyChecksNewBeparamsDisksAndNics(ctx):
    _create(ctx)
    assert _prereq(ctx, _op(opcodes.OpInstanceSetParams,
                            beparams={"minmem": 32})) == (
        "Instance allocation to group group-uuid (default) violates policy:"
        " memory-size value 32 is not in range [64, 1024]",
        errors.ECODE_INVAL)
    args = _prereq(ctx, _op(opcodes.OpInstanceSetParams,
                            disks=[["add", -1, {"size": 50}]]))
    assert args[0].endswith(": disk-size/1 value 50 is not in range"
                            " [100, 1024]")
    ctx.Run(_op(opcodes.OpInstanceSetParams,
                disks=[["add", -1, {"size": 50}]], ignore_ipolicy=True))
    sizes = [d.size for d in ctx.cfg.GetInstanceDisks(
        ctx.cfg.GetInstanceInfoByName(INST).uuid)]
    assert sizes == [200, 50]


def testGrowDiskAboveMaxFailsOrWarns(ctx):
    _create(ctx)
    assert _prereq(ctx, _op(opcodes.OpInstanceGrowDisk, disk=0,
                            amount=2000)) == (
        "Growing disk 0 violates policy: disk-size/0 value 2200 is not in"
        " range [100, 1024]", errors.ECODE_INVAL)
    ctx.Run(_op(opcodes.OpInstanceGrowDisk, disk=0, amount=2000,
                ignore_ipolicy=True))
    assert any("Growing disk 0 violates policy" in str(m)
               for m in ctx.feedback)


def _SplitGroups(ctx, ipolicy_):
    """Move node3 into a new group "small" with the given policy."""
    ctx.Run(opcodes.OpGroupAdd(group_name="small", ipolicy=ipolicy_))
    ctx.Run(opcodes.OpGroupAssignNodes(group_name="small", nodes=[NODE3],
                                       force=True))
    shared = ctx.fake.nodes[MASTER].files
    for name in (NODE2, NODE3):
        ctx.fake.nodes[name].files = shared
    return ctx.cfg.GetNodeInfoByName(NODE3).group


def testMigrateFailoverToAnotherGroupCheckTheTargetPolicy(ctx):
    _create(ctx)
    small = _SplitGroups(ctx, {"minmax": [dict(
        BOUNDS_100M, max=dict(BOUNDS_100M["max"], **{"disk-size": 150}))]})
    expected = ("Instance does not meet target node group's (%s) instance"
                " policy: disk-size/0 value 200 is not in range [100, 150]"
                % small, errors.ECODE_INVAL)
    assert _prereq(ctx, _op(opcodes.OpInstanceMigrate,
                            target_node=NODE3)) == expected
    assert _prereq(ctx, _op(opcodes.OpInstanceFailover,
                            target_node=NODE3)) == expected
    # same group: no check; other group with ignore_ipolicy: a warning
    ctx.Run(_op(opcodes.OpInstanceMigrate, target_node=NODE2))
    ctx.Run(_op(opcodes.OpInstanceFailover, target_node=NODE3,
                ignore_ipolicy=True))
    assert any(expected[0] in str(m) for m in ctx.feedback)
    assert ctx.cfg.GetNodeName(
        ctx.cfg.GetInstanceInfoByName(INST).primary_node) == NODE3


def testMoveToAnotherGroupChecksTheTargetPolicy(ctx):
    _create(ctx, disk_template="file")
    small = _SplitGroups(ctx, {"disk-templates": ["plain"]})
    assert _prereq(ctx, _op(opcodes.OpInstanceMove, target_node=NODE3)) == (
        "Instance does not meet target node group's (%s) instance policy:"
        " Disk template file is not allowed (allowed templates: plain)"
        % small, errors.ECODE_INVAL)


# ------------------------------------------- cluster and group policies

def testClusterModifyUpdatesPolicyAndWarnsAboutNewViolations(ctx):
    _create(ctx)
    ctx.Run(opcodes.OpClusterSetParams(ipolicy={
        "std": {"disk-size": 500}, "vcpu-ratio": 2,
        "minmax": [dict(BOUNDS_100M, min=dict(BOUNDS_100M["min"],
                                              **{"disk-size": 300}))]}))
    policy = ctx.cfg.GetClusterInfo().ipolicy
    assert policy["std"]["disk-size"] == 500
    assert policy["std"]["memory-size"] == 128
    assert policy["vcpu-ratio"] == 2.0
    assert policy["minmax"][0]["min"]["disk-size"] == 300
    assert policy["disk-templates"] == TEMPLATES
    assert any("After the ipolicy change the following instances violate"
               " them: %s" % INST in str(m) for m in ctx.feedback)


def testClusterPolicyAllowsOnlyEnabledDiskTemplates(ctx):
    expected = ("The following disk templates are allowed by the ipolicy,"
                " but not enabled on the cluster: plain", errors.ECODE_INVAL)
    assert _prereq(ctx, opcodes.OpClusterSetParams(
        ipolicy={"disk-templates": ["file", "plain"]})) == expected
    assert _prereq(ctx, opcodes.OpClusterSetParams(
        enabled_disk_templates=["file", "diskless"])) == (
        expected[0][:-5] + "sharedfile", errors.ECODE_INVAL)
    ctx.Run(opcodes.OpClusterSetParams(
        enabled_disk_templates=["file", "diskless"],
        ipolicy={"disk-templates": ["file"]}))
    assert ctx.cfg.GetClusterInfo().ipolicy["disk-templates"] == ["file"]


def testClusterModifyRefusesBadBounds(ctx):
    bad = dict(BOUNDS_100M, max=dict(BOUNDS_100M["max"], **{"cpu-count": 0}))
    assert _prereq(ctx, opcodes.OpClusterSetParams(
        ipolicy={"minmax": [bad]})) == (
        "Invalid instance policy: Invalid specification of min/max values"
        " for cpu-count: 1/0", errors.ECODE_INVAL)


def testGroupModifyWarnsAboutNewViolations(ctx):
    _create(ctx)
    ctx.Run(opcodes.OpGroupSetParams(group_name="default", ipolicy={
        "disk-templates": ["file"]}))
    assert any("After the ipolicy change the following instances violate"
               " them: %s" % INST in str(m) for m in ctx.feedback)


# ------------------------------------------------ gnt-cluster options

def _ClusterOpts(command, argv):
    from ganeti.client import gnt_cluster, gnt_cluster_init
    parser = optparse.OptionParser(
        option_list=gnt_cluster.commands[command][2],
        option_class=cli.CliOption)
    opts, _ = parser.parse_args(argv)
    return gnt_cluster_init.ClusterIPolicy(opts)


FULL_MIN = "cpu-count=1,disk-count=0,disk-size=0,memory-size=4M," \
    "nic-count=0,spindle-use=0"
FULL_MAX = "cpu-count=8,disk-count=16,disk-size=1T,memory-size=32G," \
    "nic-count=8,spindle-use=12"


def testInitIpolicyOptions():
    policy = _ClusterOpts("init", [
        "--ipolicy-bounds-specs", "min:%s/max:%s" % (FULL_MIN, FULL_MAX),
        "--ipolicy-std-specs", "disk-size=1G,cpu-count=2",
        "--ipolicy-disk-templates", "file,diskless",
        "--ipolicy-vcpu-ratio", "2", "--ipolicy-spindle-ratio", "16"])
    assert policy["minmax"][0]["min"]["disk-size"] == 0
    assert policy["minmax"][0]["max"]["disk-size"] == 1048576
    assert policy["minmax"][0]["max"]["memory-size"] == 32768
    assert policy["std"] == {"disk-size": 1024, "cpu-count": "2"}
    assert policy["disk-templates"] == ["file", "diskless"]
    assert (policy["vcpu-ratio"], policy["spindle-ratio"]) == (2.0, 16.0)


def testInitSplitSpecsFillTheDefaults():
    policy = _ClusterOpts("init", ["--specs-disk-size", "min=4M,std=64M",
                                   "--specs-mem-size", "max=4G"])
    (pair,) = policy["minmax"]
    assert pair["min"]["disk-size"] == 4 and pair["min"]["cpu-count"] == 1
    assert pair["max"]["memory-size"] == 4096
    assert policy["std"]["disk-size"] == 64


def testSplitSpecsAndIpolicySpecsExcludeEachOther():
    with pytest.raises(errors.OpPrereqError) as err:
        _ClusterOpts("init", ["--specs-disk-size", "min=1",
                              "--ipolicy-std-specs", "disk-size=1"])
    assert err.value.args == ("A --specs-xxx option cannot be specified"
                              " together with any --ipolicy-xxx-specs"
                              " option", errors.ECODE_INVAL)


def testModifyBoundsMustBeComplete():
    assert _ClusterOpts("modify", []) == {}
    with pytest.raises(errors.OpPrereqError) as err:
        _ClusterOpts("modify", ["--ipolicy-bounds-specs",
                                "min:disk-size=1/max:%s" % FULL_MAX])
    assert err.value.args[0].startswith(
        "Missing parameters in ipolicy spec min: cpu-count, disk-count")


def testClusterShowIspecsCmdRecreatesTheSpecs():
    from ganeti.client import gnt_group
    policy = {"std": {"cpu-count": 1, "disk-size": 1024},
              "minmax": [{"min": {"cpu-count": 1, "disk-size": 0},
                          "max": {"cpu-count": 8, "disk-size": 2048}}]}
    line = gnt_group.IPolicyCommand("cluster.example.com", policy,
                                    command="gnt-cluster init")
    assert line == (
        "gnt-cluster init --ipolicy-std-specs cpu-count=1,disk-size=1024"
        " --ipolicy-bounds-specs min:cpu-count=1,disk-size=0/max:"
        "cpu-count=8,disk-size=2048 cluster.example.com")
