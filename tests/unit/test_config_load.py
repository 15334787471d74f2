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


def test_whole_floats_are_read_as_upstream_answers_them(tmp_path):
    """A config.data written with 4.0 (ours before, upstream 2.16's Python)
    answers 4, as upstream 3.0 (which reads and writes it in Haskell)."""
    raw = _good()
    raw["cluster"]["ipolicy"].update({"vcpu-ratio": 4.0,
                                      "spindle-ratio": 5.2})
    raw["cluster"]["ndparams"]["cpu_speed"] = 1.0
    group = next(iter(raw["nodegroups"].values()))
    group["ipolicy"] = {"spindle-ratio": 32.0}
    node = next(iter(raw["nodes"].values()))
    node["ndparams"] = {"cpu_speed": 2.0}
    data = _load(tmp_path, raw).ToDict()
    cluster = data["cluster"]
    assert json.dumps([cluster["ipolicy"]["vcpu-ratio"],
                       cluster["ipolicy"]["spindle-ratio"],
                       cluster["ndparams"]["cpu_speed"]]) == "[4, 5.2, 1]"
    assert json.dumps(data["nodegroups"][group["uuid"]]["ipolicy"]) == \
        '{"spindle-ratio": 32}'
    assert json.dumps(data["nodes"][node["uuid"]]["ndparams"]) == \
        '{"cpu_speed": 2}'
