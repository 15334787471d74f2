"""config.data in upstream 3.0's schema: a real upstream config.data reads
and writes back unchanged, keys this version does not know are kept, and
the objects this implementation creates carry no key upstream refuses."""

import copy
import json
import os

from ganeti import objects

import testdata


def _Upstream():
    with open(os.path.join(testdata.DATA, "upstream-state",
                           "config.data")) as handle:
        return json.load(handle)


def _RoundTrip(data):
    config = objects.ConfigData.FromDict(copy.deepcopy(data))
    config.UpgradeConfig()
    return config.ToDict()


def test_upstream_config_writes_back_unchanged():
    upstream = _Upstream()
    assert _RoundTrip(upstream) == upstream


def test_node_group_members_key_is_written_as_upstream_does():
    upstream = _Upstream()
    (group,) = _RoundTrip(upstream)["nodegroups"].values()
    assert group["members"] == []
    # ... while the in-memory group knows its nodes
    config = objects.ConfigData.FromDict(upstream)
    config.UpgradeConfig()
    (group_obj,) = config.nodegroups.values()
    assert group_obj.members == list(config.nodes)


def test_unknown_keys_survive_reading_and_writing():
    data = _Upstream()
    data["cluster"]["x_future_cluster"] = {"a": 1}
    node = next(iter(data["nodes"].values()))
    node["x_future_node"] = [1, 2]
    inst = next(iter(data["instances"].values()))
    inst["x_future_instance"] = "kept"
    inst["nics"][0]["x_future_nic"] = None
    group = next(iter(data["nodegroups"].values()))
    group["x_future_group"] = True
    data["x_future_top"] = {"kept": True}
    assert _RoundTrip(data) == data
    copied = objects.Instance.FromDict(inst).Copy().ToDict()
    assert copied["x_future_instance"] == "kept"


def test_new_instance_has_only_upstream_instance_keys():
    # As the create LU builds it: the template is known in memory only.
    upstream_keys = set(next(iter(_Upstream()["instances"].values())))
    inst = objects.Instance(
        name="inst1.example.com", uuid="u1", primary_node="n1", os="noop",
        hypervisor="fake", hvparams={}, beparams={}, osparams={},
        osparams_private={}, admin_state="down", admin_state_source="admin",
        nics=[objects.NIC(mac="aa:00:00:00:00:01", nicparams={}, uuid="n")],
        disks=[], disk_template="file", disks_active=False,
        network_port=None, forthcoming=False, tags=[], serial_no=1,
        ctime=1.0, mtime=1.0)
    written = inst.ToDict()
    assert set(written) <= upstream_keys, set(written) - upstream_keys
    assert "disk_template" not in written and "forthcoming" not in written
    assert inst.disk_template == "file"
    forthcoming = inst.Copy()
    forthcoming.forthcoming = True
    assert forthcoming.ToDict()["forthcoming"] is True


def test_new_node_group_has_upstream_group_keys():
    upstream_keys = set(next(iter(_Upstream()["nodegroups"].values())))
    group = objects.NodeGroup(name="g", uuid="g1", ndparams={},
                              diskparams={}, ipolicy={}, networks={},
                              alloc_policy="preferred", serial_no=1,
                              ctime=1.0, mtime=1.0)
    assert set(group.ToDict()) == upstream_keys
