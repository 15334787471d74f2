"""Tests for ganeti.ssconf: the ssconf_<key> files and their readers."""

import os
import stat

import pytest

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti import ssconf

VALUES = {
    "cluster_name": "cluster.example.com",
    "master_node": "node1.example.com",
    "master_ip": "192.168.77.1",
    "master_netdev": "br0",
    "master_netmask": "24",
    "node_list": "node1.example.com\nnode2.example.com",
    "online_nodes": "node1.example.com",
    "offline_nodes": "node2.example.com",
    "master_candidates": "node1.example.com",
    "master_candidates_ips": "192.168.77.11",
    "master_candidates_certs": "uuid-1=AA:BB\nuuid-2=CC:DD",
    "node_primary_ips": "node1.example.com 192.168.77.11\n"
                        "node2.example.com 192.168.77.12",
    "node_secondary_ips": "node1.example.com 10.0.0.1",
    "node_vm_capable": "node1.example.com=True\nnode2.example.com=False",
    "primary_ip_family": "2",
    "hypervisor_list": "fake\nkvm",
    "hvparams_fake": "migration_mode=live",
    "hvparams_kvm": "kernel_path=/boot/vmlinuz\nacpi=True",
    "uid_pool": "1000-1009\n2000",
    "maintain_node_health": "False",
    "enabled_user_shutdown": "True",
    "ssh_ports": "node1.example.com=22\nnode2.example.com=2222",
    "cluster_tags": "",
}


@pytest.fixture
def data_dir(ganeti_root):
    os.makedirs(pathutils.DATA_DIR)
    return pathutils.DATA_DIR


@pytest.fixture
def store(data_dir):
    ssconf.WriteSsconfFiles(VALUES)
    return ssconf.SimpleStore()


def test_thirty_four_valid_keys():
    assert len(ssconf.VALID_KEYS) == 34
    assert "master_candidates_certs" in ssconf.VALID_KEYS
    assert "hvparams_xen-pvm" in ssconf.VALID_KEYS


def test_files_written_read_only(store):
    path = pathutils.ssconf_file("cluster_name")
    assert path.startswith(pathutils.DATA_DIR)
    assert open(path).read() == "cluster.example.com"
    assert stat.S_IMODE(os.stat(path).st_mode) == constants.SS_FILE_PERMS
    assert not [name for name in os.listdir(pathutils.DATA_DIR)
                if name.endswith(".tmp")]


def test_getters(store):
    assert store.GetClusterName() == "cluster.example.com"
    assert store.GetMasterNode() == "node1.example.com"
    assert store.GetMasterIP() == "192.168.77.1"
    assert store.GetMasterNetdev() == "br0"
    assert store.GetMasterNetmask() == 24
    assert store.GetNodeList() == ["node1.example.com", "node2.example.com"]
    assert store.GetOnlineNodeList() == ["node1.example.com"]
    assert store.GetOfflineNodeList() == ["node2.example.com"]
    assert store.GetMasterCandidates() == ["node1.example.com"]
    assert store.GetMasterCandidatesIPList() == ["192.168.77.11"]
    assert store.GetMasterCandidatesCertMap() == {"uuid-1": "AA:BB",
                                                  "uuid-2": "CC:DD"}
    assert store.GetNodePrimaryIPList() == [
        "node1.example.com 192.168.77.11", "node2.example.com 192.168.77.12"]
    assert store.GetNodeSecondaryIPList() == ["node1.example.com 10.0.0.1"]
    assert store.GetNodesVmCapable() == {"node1.example.com": True,
                                         "node2.example.com": False}
    assert store.GetPrimaryIPFamily() == 2
    assert store.GetHypervisorList() == ["fake", "kvm"]
    assert store.GetHvparamsForHypervisor("kvm") == {
        "kernel_path": "/boot/vmlinuz", "acpi": "True"}
    assert store.GetHvparams()["fake"] == {"migration_mode": "live"}
    assert store.GetUidPool() == [(1000, 1009), (2000, 2000)]
    assert store.GetMaintainNodeHealth() is False
    assert store.GetEnabledUserShutdown() is True
    assert store.GetSshPortMap() == {"node1.example.com": 22,
                                     "node2.example.com": 2222}
    assert store.GetClusterTags() == []


def test_list_values_and_rewrite(store):
    ssconf.WriteSsconfFiles({"node_list": ["a.example.com", "b.example.com"],
                             "cluster_tags": ["t1", "t2"]})
    assert store.GetNodeList() == ["a.example.com", "b.example.com"]
    assert store.GetClusterTags() == ["t1", "t2"]
    assert store.GetClusterName() == "cluster.example.com"  # untouched


def test_unchanged_files_not_rewritten(store):
    path = pathutils.ssconf_file("node_list")
    other = pathutils.ssconf_file("cluster_name")
    before = os.stat(path).st_ino, os.stat(other).st_ino
    ssconf.WriteSsconfFiles(dict(VALUES, cluster_name="new.example.com"))
    assert os.stat(path).st_ino == before[0]      # same content: kept
    assert os.stat(other).st_ino != before[1]     # changed: replaced
    assert store.GetClusterName() == "new.example.com"
    os.chmod(path, 0o644)                          # wrong mode: rewritten
    ssconf.WriteSsconfFiles(VALUES)
    assert stat.S_IMODE(os.stat(path).st_mode) == constants.SS_FILE_PERMS


def test_unknown_key_rejected_before_writing(data_dir):
    with pytest.raises(errors.ProgrammerError):
        ssconf.WriteSsconfFiles({"cluster_name": "x", "no_such_key": "y"})
    assert not os.path.exists(pathutils.ssconf_file("cluster_name"))
    with pytest.raises(errors.ProgrammerError):
        ssconf.SimpleStore().KeyToFilename("../../etc/passwd")


def test_missing_and_bad_values(data_dir):
    store = ssconf.SimpleStore()
    with pytest.raises(errors.ConfigurationError):
        store.GetClusterName()
    assert store.GetPrimaryIPFamily() == constants.IP4_FAMILY  # default
    ssconf.WriteSsconfFiles({"master_netmask": "abc",
                             "enabled_user_shutdown": "maybe"})
    with pytest.raises(errors.ConfigurationError):
        store.GetMasterNetmask()
    with pytest.raises(errors.ConfigurationError):
        store.GetEnabledUserShutdown()


def test_custom_location(tmp_path):
    store = ssconf.SimpleStore(cfg_location=str(tmp_path),
                               lockfile=str(tmp_path / "lock"))
    store.WriteFiles({"cluster_name": "other.example.com\n"})
    assert (tmp_path / "ssconf_cluster_name").exists()
    assert store.GetClusterName() == "other.example.com"
    assert len(store.GetFileList()) == 34


def test_master_checks(store, monkeypatch):
    monkeypatch.setattr(ssconf, "GetMyName", lambda: "node1.example.com")
    assert ssconf.GetMasterAndMyself() == ("node1.example.com",
                                           "node1.example.com")
    assert ssconf.IsMaster()
    ssconf.CheckMaster(False)  # does not exit
    monkeypatch.setattr(ssconf, "GetMyName", lambda: "node2.example.com")
    assert not ssconf.IsMaster()
    with pytest.raises(SystemExit) as exc:
        ssconf.CheckMaster(True)
    assert exc.value.code == constants.EXIT_NOTMASTER


def test_check_master_without_ssconf(ganeti_root, capsys):
    with pytest.raises(SystemExit) as exc:
        ssconf.CheckMaster(False)
    assert exc.value.code == constants.EXIT_NODESETUP_ERROR
    assert "Cluster configuration incomplete" in capsys.readouterr().out


UPSTREAM_SAMPLES = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "data", "upstream-ssconf")


def test_files_match_what_upstream_writes(tmp_path):
    """A real upstream 3.0 node's config.data (trimmed to five instances)
    gives, file for file and byte for byte, the ssconf files that node had
    (no trailing newlines, "uuid name" node groups, names in natural order:
    inst9 before inst10)."""
    from ganeti import config
    data = config.load_config_data(os.path.join(UPSTREAM_SAMPLES,
                                                "config.data"))
    values = config.ConfigWriter(cfg_file=str(tmp_path / "unused"),
                                 data=data).GetSsconfValues()
    out = tmp_path / "ssconf"
    out.mkdir()
    ssconf.SimpleStore(cfg_location=str(out),
                       lockfile=str(tmp_path / "lock")).WriteFiles(values)
    expected = sorted(f for f in os.listdir(UPSTREAM_SAMPLES)
                      if f.startswith("ssconf_"))
    assert sorted(os.listdir(out)) == expected
    for name in expected:
        with open(os.path.join(UPSTREAM_SAMPLES, name), "rb") as handle:
            upstream = handle.read()
        assert (out / name).read_bytes() == upstream, name
