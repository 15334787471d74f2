"""Tests for gnt-os against upstream 3.0's reference outputs (fake LUXI).

The references are ops/10-os-list.txt, 11-os-diagnose.txt and
12-os-info.txt: one node, the OSes anchor-noop (API 20, two variants, one
parameter) and noop (API 5 and 10, from /usr/share/ganeti/os).
"""

import pytest

from ganeti import constants
from ganeti.client import gnt_os

from cli_fakes import FakeJob, Reference, Run, fake_luxi  # noqa: F401

NODE = "1c5be371-f4b6-42f7-b144-c17f3e090997"
MOTD = ["motd", "Message of the day (ignored)"]
ANCHOR_STATUS = ["/srv/ganeti/os/anchor-noop", True, "",
                 ["default", "minimal"], [MOTD], [20], True]
NOOP_STATUS = ["/usr/share/ganeti/os/noop", True, "", [], [], [5, 10], True]


def _Answer(fake_luxi, rows, status="success"):
    """Make the next submitted job finish with rows as its result."""
    job_id = fake_luxi.next_id
    fake_luxi.jobs[job_id] = FakeJob(job_id, [{}], status=status,
                                     opresult=[rows])
    return job_id


def _Op(fake_luxi):
    _, ops = fake_luxi.submitted[-1]
    assert len(ops) == 1
    return ops[0]


def test_list_matches_reference(fake_luxi, capsys):
    _Answer(fake_luxi, [["anchor-noop", ["default", "minimal"]],
                        ["noop", []]])
    assert Run(gnt_os, "list") == 0
    assert capsys.readouterr().out.splitlines() == Reference("""
Name               
anchor-noop+default
anchor-noop+minimal
noop
""")
    op = _Op(fake_luxi)
    assert op["OP_ID"] == "OP_OS_DIAGNOSE"
    assert (op["output_fields"], op["names"]) == (["name", "variants"], [])
    assert [entry[:2] for entry in op["reason"]] == [
        ["gnt:client:gnt-os", "list"]]


def test_list_no_headers_and_priority(fake_luxi, capsys):
    _Answer(fake_luxi, [["noop", []]])
    assert Run(gnt_os, "list", "--no-headers", "--priority", "high") == 0
    assert capsys.readouterr().out == "noop\n"
    assert _Op(fake_luxi)["priority"] == constants.OP_PRIO_HIGH


def test_diagnose_matches_reference(fake_luxi, capsys):
    _Answer(fake_luxi, [
        ["anchor-noop", True, ["default", "minimal"],
         {NODE: [ANCHOR_STATUS]}, False, False],
        ["noop", True, [], {NODE: [NOOP_STATUS]}, False, False],
    ])
    assert Run(gnt_os, "diagnose") == 0
    assert capsys.readouterr().out.splitlines() == Reference("""
OS: anchor-noop [global status: valid]
  Variants: [default, minimal]
  Node: 1c5be371-f4b6-42f7-b144-c17f3e090997, status: valid (path: /srv/ganeti/os/anchor-noop) [API versions: 20] [variants: default, minimal] [parameters: motd] [trusted]

OS: noop [global status: valid]
  Node: 1c5be371-f4b6-42f7-b144-c17f3e090997, status: valid (path: /usr/share/ganeti/os/noop) [API versions: 5, 10] [trusted]
""") + [""]
    assert _Op(fake_luxi)["output_fields"] == [
        "name", "valid", "variants", "node_status", "hidden", "blacklisted"]


def test_diagnose_bad_nodes(fake_luxi, capsys):
    broken = ["/srv/ganeti/os/image", False,
              "Required script 'verify' not found under path"
              " /srv/ganeti/os/image", [], [], [], False]
    _Answer(fake_luxi, [
        ["image", False, [], {"node-b": [broken], "node-a": [
            ["/srv/ganeti/os/image", True, "", ["default"], [], [20], True],
            ["/usr/share/ganeti/os/image", True, "", [], [], [10], True]],
            "node-c": []}, True, True],
        ["gone", False, [], {"node-a": []}, False, False],
    ])
    assert Run(gnt_os, "diagnose") == 1
    assert capsys.readouterr().out.splitlines() == Reference("""
OS: image [global status: partial valid] [hidden] [blacklisted]
  Node: node-a, status: valid (path: /srv/ganeti/os/image) [API versions: 20] [variants: default] [no parameters] [trusted]
    [hidden] path: /usr/share/ganeti/os/image, status: valid
  Node: node-b, status: invalid - Required script 'verify' not found under path /srv/ganeti/os/image (path: /srv/ganeti/os/image) [no API versions declared] [untrusted]
  Node: node-c, status: OS not found

OS: gone [global status: invalid]
  Node: node-a, status: OS not found
""") + [""]


def test_info_matches_reference(fake_luxi, capsys):
    _Answer(fake_luxi, [
        ["anchor-noop", True, ["default", "minimal"], [MOTD], [20], False,
         False, {}, {}, True],
        ["noop", True, [], [], [5, 10], False, False, {}, {}, True],
    ])
    assert Run(gnt_os, "info") == 0
    assert capsys.readouterr().out.splitlines() == Reference("""
anchor-noop:
  - valid: True
  - hidden: False
  - blacklisted: False
  - API versions:
    - 20
  - variants:
    - default
    - minimal
  - parameters:
    - motd: Message of the day (ignored)
  - trusted: True

noop:
  - valid: True
  - hidden: False
  - blacklisted: False
  - API versions:
    - 5
    - 10
  - variants:
  - parameters:
  - trusted: True
""") + [""]
    op = _Op(fake_luxi)
    assert op["output_fields"] == ["name", "valid", "variants", "parameters",
                                   "api_versions", "blacklisted", "hidden",
                                   "os_hvp", "osparams", "trusted"]
    assert op["names"] == []


def test_info_invalid_with_params(fake_luxi, capsys):
    _Answer(fake_luxi, [
        ["image", False, [], [], [], True, False,
         {"kvm": {"kernel_path": "/var/cache/ganeti-guest/vmlinuz"}},
         {"message": "hi"}, True],
    ])
    assert Run(gnt_os, "show", "image") == 0
    assert capsys.readouterr().out.splitlines() == Reference("""
image:
  - valid: False
  - hidden: False
  - blacklisted: True
  - OS-specific hypervisor parameters:
    - kvm:
      kernel_path: /var/cache/ganeti-guest/vmlinuz
  - OS parameters:
    message: hi
  - trusted: True
""") + [""]
    assert _Op(fake_luxi)["names"] == ["image"]


def test_modify(fake_luxi, capsys):
    _Answer(fake_luxi, None)
    assert Run(gnt_os, "modify", "-H", "kvm:kernel_path=/k,initrd_path=/i",
               "-O", "message=hello", "--hidden", "yes", "--blacklisted",
               "no", "image") == 0
    op = _Op(fake_luxi)
    assert op["OP_ID"] == "OP_CLUSTER_SET_PARAMS"
    assert op["os_hvp"] == {"image": {"kvm": {"kernel_path": "/k",
                                              "initrd_path": "/i"}}}
    assert op["osparams"] == {"image": {"message": "hello"}}
    assert op.get("osparams_private_cluster") is None
    assert [list(x) for x in op["hidden_os"]] == [["add", "image"]]
    assert [list(x) for x in op["blacklisted_os"]] == [["remove", "image"]]


def test_modify_submit(fake_luxi, capsys):
    fake_luxi.next_id = 42
    assert Run(gnt_os, "modify", "--submit", "--hidden", "no", "noop") == 0
    assert capsys.readouterr().err == "JobID: 42\n"
    hidden = _Op(fake_luxi)["hidden_os"]
    assert [list(x) for x in hidden] == [["remove", "noop"]]


def test_modify_needs_a_change(fake_luxi, capsys):
    assert Run(gnt_os, "modify", "image") == 1
    assert capsys.readouterr().err == (
        "At least one of OS parameters or hypervisor parameters must be"
        " passed\n")
    assert fake_luxi.submitted == []


def test_modify_needs_one_os(fake_luxi, capsys):
    assert Run(gnt_os, "modify", "-O", "a=b") == 1
    assert fake_luxi.submitted == []


@pytest.mark.parametrize("variants, expected", [
    (None, ["debian"]), ([], ["debian"]),
    (["a", "b"], ["debian+a", "debian+b"]),
])
def test_calculate_os_names(variants, expected):
    assert gnt_os.CalculateOSNames("debian", variants) == expected
    from ganeti import osdef
    assert osdef.CalculateOSNames("debian", variants) == expected
