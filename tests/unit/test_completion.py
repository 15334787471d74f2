"""The bash completion generated from the gnt-* command tables, run in
bash against a data directory of ssconf files."""

import shutil
import subprocess

import pytest

from ganeti.tools import completion
from ganeti.tools import manpages

pytestmark = pytest.mark.skipif(shutil.which("bash") is None,
                                reason="bash is not installed")


@pytest.fixture(scope="module")
def script(tmp_path_factory):
    base = tmp_path_factory.mktemp("completion")
    data = base / "data"
    (data / "queue").mkdir(parents=True)
    (data / "ssconf_node_list").write_text("node1.example.test\n"
                                           "node2.example.test\n")
    (data / "ssconf_instance_list").write_text("inst1.example.test\n")
    (data / "ssconf_nodegroups").write_text(
        "0f3c1e2a-6b1d-4c55-9a0e-2d7f1b9c8e41 default\n")
    (data / "queue" / "job-17").write_text("{}")
    osdir = base / "os"
    (osdir / "debootstrap").mkdir(parents=True)
    path = base / "ganeti"
    assert completion.main([str(path), "DATA_DIR=%s" % data,
                            "OS_SEARCH_PATH=%s,/nonexistent" % osdir]) == 0
    return str(path)


def _complete(script, *words):
    """COMPREPLY for the command line words (the last being completed)."""
    program = words[0]
    code = ('source %s; COMP_WORDS=(%s); COMP_CWORD=%d; _%s;'
            ' printf "%%s\\n" "${COMPREPLY[@]}"' %
            (script, " ".join("'%s'" % w for w in words), len(words) - 1,
             program.replace("-", "_")))
    res = subprocess.run(["bash", "-c", code], capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    return sorted(w for w in res.stdout.splitlines() if w)


def test_the_script_is_valid_bash(script):
    assert subprocess.run(["bash", "-n", script]).returncode == 0


def test_every_program_is_completed(script):
    text = open(script).read()
    for program, (module_name, _) in manpages.PROGRAMS.items():
        commands, aliases = manpages.CommandTable(module_name)
        assert "complete -F _%s %s\n" % (program.replace("-", "_"),
                                         program) in text
        for name in list(commands) + list(aliases):
            assert "\n    %s)\n" % name in text, (program, name)


def test_subcommands(script):
    assert _complete(script, "gnt-instance", "sta") == ["start", "startup"]
    assert "master-failover" in _complete(script, "gnt-cluster", "")


def test_options_of_a_subcommand(script):
    assert _complete(script, "gnt-node", "list", "--no-h") == \
        ["--no-headers"]


def test_positional_names(script):
    assert _complete(script, "gnt-node", "info", "node") == \
        ["node1.example.test", "node2.example.test"]
    assert _complete(script, "gnt-instance", "startup", "") == \
        ["inst1.example.test"]
    assert _complete(script, "gnt-job", "info", "") == ["17"]


def test_option_values(script):
    assert _complete(script, "gnt-instance", "add", "-o", "") == \
        ["debootstrap"]
    assert _complete(script, "gnt-instance", "add", "-n", "node2") == \
        ["node2.example.test"]
    assert _complete(script, "gnt-instance", "startup", "--priority",
                     "") == ["high", "low", "normal"]
