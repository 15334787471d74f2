"""Tests for gnt-cluster init's bootstrap (ganeti.bootstrap.InitCluster):
an init that fails half-way puts the node back as it was."""

import json
import os

import pytest

from ganeti import bootstrap
from ganeti import errors
from ganeti import netutils
from ganeti import pathutils

import testdata

NODE = "node1.example.com"
CLUSTER = "cluster.example.com"


class _Host:
    """netutils.Hostname stand-in: this node, or the cluster name."""

    def __init__(self, name=None):
        self.name = name or NODE
        self.ip = "192.168.77.1" if name == CLUSTER else "192.168.77.11"


@pytest.fixture
def node(ganeti_root, monkeypatch):
    """A root where init's host checks pass without touching the host."""
    monkeypatch.setattr(netutils, "Hostname", _Host)
    monkeypatch.setattr(netutils, "OwnIpAddress", lambda ip: False
                        if ip == "192.168.77.1" else True)
    monkeypatch.setattr(netutils, "TcpPing", lambda *a, **k: False)
    monkeypatch.setattr(bootstrap, "_check_netdev", lambda dev: None)
    monkeypatch.setattr(bootstrap, "_ReadHostKeys", lambda: {})
    return ganeti_root


def _init(**kwargs):
    bootstrap.InitCluster(
        CLUSTER, enabled_hypervisors=["fake"],
        enabled_disk_templates=["diskless"], master_netdev="br0",
        modify_ssh_setup=False, **kwargs)


def _files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _, files in os.walk(root) for f in files)


def test_failed_init_leaves_no_cluster_files(node, monkeypatch):
    started = []

    def fail_to_start(cfg, no_voting=False):
        # by now the secrets, config.data and ssconf files exist
        assert os.path.exists(pathutils.CLUSTER_CONF_FILE)
        started.append(cfg.GetClusterName())
        raise errors.OpExecError("Could not start daemon ganeti-noded")

    monkeypatch.setattr(bootstrap, "_StartDaemons", fail_to_start)
    with pytest.raises(errors.OpExecError):
        _init()
    assert started == [CLUSTER]
    leftovers = [f for f in _files(node)
                 if f.startswith(os.path.relpath(pathutils.DATA_DIR, node))]
    assert leftovers == []
    # so init can simply be run again
    _init(start_daemons=False)
    assert os.path.exists(pathutils.CLUSTER_CONF_FILE)
    with pytest.raises(errors.OpPrereqError) as err:
        _init(start_daemons=False)
    assert str(err.value.args[0]) == "Cluster is already initialised"


def test_init_fills_and_checks_the_ipolicy(node):
    with pytest.raises(errors.OpPrereqError) as err:
        _init(start_daemons=False, ipolicy={"disk-templates": ["bogus"]})
    assert err.value.args[0] == ("Invalid instance policy: invalid disk"
                                 " template(s) bogus")
    _init(start_daemons=False, ipolicy={"vcpu-ratio": 2.5,
                                        "std": {"disk-size": 64}})
    with open(pathutils.CLUSTER_CONF_FILE) as handle:
        policy = json.load(handle)["cluster"]["ipolicy"]
    assert policy["vcpu-ratio"] == 2.5 and policy["spindle-ratio"] == 32.0
    assert policy["std"]["disk-size"] == 64
    assert policy["std"]["memory-size"] == 128
    assert policy["minmax"][0]["min"]["disk-size"] == 1024
    assert policy["disk-templates"] == ["diskless"]


def test_init_writes_whole_floats_as_upstream(node):
    """The ipolicy ratios and cpu_speed are floats, but upstream writes (and
    answers, e.g. in RAPI's /2/info) whole ones as integers."""
    from testdata import REFERENCE
    with open(os.path.join(REFERENCE, "ops", "50-rapi-2-info.txt")) as handle:
        ref = json.loads(handle.read().splitlines()[1])
    _init(start_daemons=False, ipolicy={"spindle-ratio": 32.0})
    with open(pathutils.CLUSTER_CONF_FILE) as handle:
        cluster = json.load(handle)["cluster"]
    for key in ("vcpu-ratio", "spindle-ratio"):
        assert json.dumps(cluster["ipolicy"][key]) == \
            json.dumps(ref["ipolicy"][key])
    assert json.dumps(cluster["ndparams"]["cpu_speed"]) == \
        json.dumps(ref["ndparams"]["cpu_speed"])


def test_init_stores_parameters_typed(node):
    from ganeti import serializer
    _init(start_daemons=False, hvparams={"fake": {"migration_mode": "live"},
                                         "kvm": {"acpi": "False",
                                                 "cpu_cores": "2"}},
          beparams={"maxmem": "1G", "auto_balance": "False"},
          ndparams={"spindle_count": "2"},
          diskparams={"drbd": {"resync-rate": "2048"}})
    with open(pathutils.CLUSTER_CONF_FILE) as fd:
        cluster = serializer.LoadJson(fd.read())["cluster"]
    assert cluster["hvparams"]["kvm"]["acpi"] is False
    assert cluster["hvparams"]["kvm"]["cpu_cores"] == 2
    assert cluster["beparams"]["default"]["maxmem"] == 1024
    assert cluster["beparams"]["default"]["auto_balance"] is False
    assert cluster["ndparams"]["spindle_count"] == 2
    assert cluster["diskparams"]["drbd"]["resync-rate"] == 2048


def test_init_refuses_bad_parameter_value(node):
    with pytest.raises(errors.TypeEnforcementError) as err:
        _init(start_daemons=False, hvparams={"kvm": {"acpi": "perhaps"}})
    assert str(err.value) == "'acpi' (value perhaps) is not a valid boolean"
    assert not os.path.exists(pathutils.CLUSTER_CONF_FILE)



def _UpstreamConfig():
    with open(os.path.join(testdata.DATA, "upstream-state",
                           "config.data")) as handle:
        return json.load(handle)


def test_init_writes_upstream_3_0_keys_only(node):
    # Upstream's config daemon refuses a config.data with keys its schema
    # lacks ("Superfluous dictionary keys"), so the keys of every object
    # init writes are those of a real upstream 3.0.2 config.data.
    _init(start_daemons=False)
    with open(pathutils.CLUSTER_CONF_FILE) as handle:
        ours = json.load(handle)
    upstream = _UpstreamConfig()
    assert sorted(ours) == sorted(upstream)
    assert sorted(ours["cluster"]) == sorted(upstream["cluster"])
    for kind in ("nodes", "nodegroups"):
        (mine,), (theirs,) = ours[kind].values(), upstream[kind].values()
        assert sorted(mine) == sorted(theirs), kind


def _init_with_ssh(**kwargs):
    bootstrap.InitCluster(
        CLUSTER, enabled_hypervisors=["fake"],
        enabled_disk_templates=["diskless"], master_netdev="br0",
        modify_ssh_setup=True, start_daemons=False, **kwargs)


def test_init_with_ssh_setup_makes_the_cluster_key(node, tmp_path,
                                                   monkeypatch):
    from ganeti import ssh
    from ganeti import ssh_keys
    ssh_dir = tmp_path / "dot-ssh"
    monkeypatch.setattr(ssh, "UserSshDir", lambda uid=None: str(ssh_dir))
    _init_with_ssh(ssh_key_type="ecdsa", ssh_key_bits=256)
    with open(pathutils.CLUSTER_CONF_FILE) as handle:
        config = json.load(handle)
    assert config["cluster"]["ssh_key_type"] == "ecdsa"
    assert config["cluster"]["ssh_key_bits"] == 256
    key = ssh_keys.ReadPublicKey("ecdsa")
    assert key.startswith("ecdsa-sha2-nistp256 ")
    assert ssh_keys.ReadPubKeyFile() == {config["cluster"]["master_node"]:
                                         [key]}
    assert ssh_keys.AuthorizedKeys() == [" ".join(key.split()[:2])]


@pytest.mark.parametrize("key_type, bits, message", [
    ("dsa", 2048, "DSA keys must be 1024 bits"),
    ("ecdsa", 2048, "ECDSA key must be 256, 384 or 521 bits"),
])
def test_init_refuses_bad_ssh_key_bits(node, tmp_path, monkeypatch,
                                       key_type, bits, message):
    from ganeti import ssh
    monkeypatch.setattr(ssh, "UserSshDir",
                        lambda uid=None: str(tmp_path / "dot-ssh"))
    with pytest.raises(errors.OpPrereqError) as err:
        _init_with_ssh(ssh_key_type=key_type, ssh_key_bits=bits)
    assert err.value.args == (message, errors.ECODE_INVAL)
    assert not os.path.exists(pathutils.CLUSTER_CONF_FILE)
    assert not os.path.exists(str(tmp_path / "dot-ssh"))
