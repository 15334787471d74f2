"""tools/cfgupgrade: upstream 3.0 config.data files are read unchanged,
2.16 ones are upgraded as upstream's tool does, --downgrade and --dry-run
behave as upstream's, and anything else is refused with upstream's error."""

import json
import os
import shutil

import pytest

from ganeti.tools import cfgupgrade

import testdata

SAMPLE_3_0 = os.path.join(testdata.DATA, "confd", "cluster_config_3.0.json")
SAMPLE_2_16 = os.path.join(testdata.DATA, "config-samples",
                           "cluster_config_2.16.json")


def _Load(path):
    with open(path) as handle:
        return json.load(handle)


@pytest.fixture
def datadir(tmp_path):
    """A data directory as cfgupgrade expects one, and a conf dir."""
    data = tmp_path / "lib"
    data.mkdir()
    (data / "server.pem").write_text("cert\n")
    (data / "known_hosts").write_text("cluster ssh-rsa AAAA\n")
    conf = tmp_path / "etc"
    conf.mkdir()
    return data, conf


def _Install(data, sample):
    shutil.copy(sample, str(data / "config.data"))
    os.chmod(str(data / "config.data"), 0o640)


def _Run(data, conf, *extra):
    return cfgupgrade.Main(["--path", str(data), "--confdir", str(conf),
                            "-f", "--ignore-hostname"] + list(extra))


def _Backups(data):
    return [name for name in os.listdir(str(data))
            if name.startswith("config.data.backup-")]


def test_upstream_3_0_config_kept_unchanged(datadir, capsys):
    data, conf = datadir
    _Install(data, SAMPLE_3_0)
    assert _Run(data, conf) == 0
    assert _Load(str(data / "config.data")) == _Load(SAMPLE_3_0)
    assert len(_Backups(data)) == 1
    assert capsys.readouterr().err.endswith(
        "Configuration successfully upgraded to version 3.0.2.\n")


def test_2_16_upgraded_to_upstream_3_0(datadir):
    data, conf = datadir
    _Install(data, SAMPLE_2_16)
    assert _Run(data, conf) == 0
    assert _Load(str(data / "config.data")) == _Load(SAMPLE_3_0)


def test_downgrade_gives_2_16(datadir, capsys):
    data, conf = datadir
    _Install(data, SAMPLE_3_0)
    assert _Run(data, conf, "--downgrade") == 0
    result = _Load(str(data / "config.data"))
    assert result["version"] == 2160000
    assert "ssh_key_type" not in result["cluster"]
    assert "ssh_key_bits" not in result["cluster"]
    expected = _Load(SAMPLE_2_16)
    # what 2.16 and 3.0 have in common is untouched
    assert result["nodes"] == expected["nodes"]
    assert result["instances"] == expected["instances"]
    assert result["disks"] == expected["disks"]
    assert capsys.readouterr().err.endswith(
        "Configuration successfully downgraded to version 2.16.\n")
    # and upgrading again gives the 3.0 file back
    assert _Run(data, conf) == 0
    again = _Load(str(data / "config.data"))
    assert again["cluster"]["ssh_key_type"] == "rsa"
    assert again["version"] == 3000000


def test_dry_run_writes_nothing(datadir):
    data, conf = datadir
    _Install(data, SAMPLE_2_16)
    before = (data / "config.data").read_bytes()
    assert _Run(data, conf, "--dry-run") == 0
    assert (data / "config.data").read_bytes() == before
    assert _Backups(data) == []
    assert sorted(os.listdir(str(data))) == ["config.data", "known_hosts",
                                             "server.pem"]


def _WithVersion(data, version):
    config = _Load(SAMPLE_3_0)
    config["version"] = version
    (data / "config.data").write_text(json.dumps(config))


@pytest.mark.parametrize("version, message", [
    (2150000, "Error: Configuration version 2.15.0 not supported by this"
              " script\n"),
    (3010000, "Error: Configuration version 3.1.0 not supported by this"
              " script\n"),
])
def test_unsupported_versions_refused(datadir, capsys, version, message):
    data, conf = datadir
    _WithVersion(data, version)
    before = (data / "config.data").read_bytes()
    assert _Run(data, conf) == 1
    assert capsys.readouterr().err == message
    assert (data / "config.data").read_bytes() == before


def test_downgrade_only_from_latest(datadir, capsys):
    data, conf = datadir
    _WithVersion(data, 2150000)
    assert _Run(data, conf, "--downgrade") == 1
    assert capsys.readouterr().err == (
        "Error: Downgrade supported only from the latest version (3.0),"
        " found 2150000 (2.15.0) instead\n")


def test_missing_version_and_not_a_data_dir(datadir, tmp_path, capsys):
    data, conf = datadir
    config = _Load(SAMPLE_3_0)
    del config["version"]
    (data / "config.data").write_text(json.dumps(config))
    assert _Run(data, conf) == 1
    assert capsys.readouterr().err == (
        "Error: Unable to determine configuration version\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _Run(empty, conf) == 1
    assert capsys.readouterr().err == (
        "Error: %s does not seem to be a Ganeti configuration directory\n"
        % empty)


def test_config_version_in_cluster_refused(datadir, capsys):
    data, conf = datadir
    config = _Load(SAMPLE_3_0)
    config["cluster"]["config_version"] = 3000000
    (data / "config.data").write_text(json.dumps(config))
    assert _Run(data, conf) == 1
    assert capsys.readouterr().err == (
        "Error: Inconsistent configuration: found config_version in"
        " configuration file\n")


def test_verification_reports_foreign_master(datadir, capsys, caplog):
    data, conf = datadir
    _Install(data, SAMPLE_3_0)
    code = cfgupgrade.Main(["--path", str(data), "--confdir", str(conf),
                            "-f"])
    err = capsys.readouterr().err
    assert code == 1
    assert "Configuration upgraded to version 3.0.2, but there are errors." \
        in err
    assert "Configuration was generated for master node node1.example.com" \
        in caplog.text


def test_real_upstream_3_0_2_config_kept_unchanged(datadir, capsys):
    data, conf = datadir
    sample = os.path.join(testdata.DATA, "upstream-state", "config.data")
    _Install(data, sample)
    assert _Run(data, conf) == 0
    assert _Load(str(data / "config.data")) == _Load(sample)
    assert capsys.readouterr().err.endswith(
        "Configuration successfully upgraded to version 3.0.2.\n")
