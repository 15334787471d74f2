"""Tests for loading config.data (ganeti.config.load_config_data): a file
that cannot be used is refused with one line naming the problem."""

import json
import os

import pytest

from ganeti import config
from ganeti import errors

UPSTREAM_CONFIG = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "data", "upstream-ssconf", "config.data")


def _good():
    with open(UPSTREAM_CONFIG) as handle:
        return json.load(handle)


def _load(tmp_path, data):
    path = tmp_path / "config.data"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return config.load_config_data(str(path))


def _refused(tmp_path, data):
    with pytest.raises(errors.ConfigurationError) as err:
        _load(tmp_path, data)
    text = str(err.value)
    assert "\n" not in text
    assert text.startswith("Invalid configuration file %s: "
                           % (tmp_path / "config.data"))
    return text.split(": ", 1)[1]


def test_upstream_config_loads(tmp_path):
    data = _load(tmp_path, _good())
    assert data.cluster.master_node in data.nodes


def test_unknown_master_node_refused(tmp_path):
    raw = _good()
    raw["cluster"]["master_node"] = "0bad0000-0000-4000-8000-000000000000"
    assert _refused(tmp_path, raw) == (
        "the master node '0bad0000-0000-4000-8000-000000000000' is not one"
        " of the configured nodes")


@pytest.mark.parametrize("mutate, problem", [
    (lambda raw: raw.__setitem__("nodes", []),
     "'nodes' is a list, not a dictionary"),
    (lambda raw: raw.__setitem__("instances", "none"),
     "'instances' is a string, not a dictionary"),
    (lambda raw: raw.__setitem__("cluster", [1]),
     "'cluster' is a list, not a dictionary"),
    (lambda raw: raw.pop("cluster"), "there is no 'cluster' entry"),
    (lambda raw: raw["nodegroups"].__setitem__("g1", ["default"]),
     "'nodegroups' entry 'g1' is a list, not a dictionary"),
])
def test_wrong_types_refused(tmp_path, mutate, problem):
    raw = _good()
    mutate(raw)
    assert _refused(tmp_path, raw) == problem


def test_top_level_not_a_dictionary(tmp_path):
    assert _refused(tmp_path, [1, 2]) == \
        "the top level is a list, not a dictionary"


def test_not_json(tmp_path):
    assert _refused(tmp_path, "{not json")
