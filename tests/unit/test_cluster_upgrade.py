"""gnt-cluster upgrade: which versions it goes to, the checks before it
touches anything, the intent file and --resume, and the version switch
itself (configuration kept, `default` link moved on every node)."""

import os
import types

import pytest

from ganeti import errors
from ganeti import pathutils
from ganeti.client import gnt_cluster_upgrade as upg


@pytest.mark.parametrize("text, parsed", [
    ("3.0", (3, 0)), ("3.0.2", (3, 0, 2)), ("2.16", (2, 16)),
    ("x.1", None), ("3", None), ("", None), ("3.0.", None), ("3.0.1.1", None),
])
def test_parse_version(text, parsed):
    assert upg.ParseVersion(text) == parsed


@pytest.mark.parametrize("target, reason", [
    ((3, 0), None), ((3, 0, 1), None), ((3, 1), None), ((2, 16), None),
    ((2, 15), "different major versions"), ((4, 0), "different major versions"),
])
def test_upgrade_range_from_3_0(target, reason):
    assert upg.UpgradeRange(target, (3, 0, 2)) == reason


def test_upgrade_range_minor_steps():
    assert upg.UpgradeRange((3, 1), (3, 2)) is None
    assert upg.UpgradeRange((3, 0), (3, 2)) == \
        "can only downgrade one minor version at a time"
    assert upg.IsDowngrade((2, 16), (3, 0, 2))
    assert not upg.IsDowngrade((3, 0, 1), (3, 0, 2))


def _Opts(to=None, resume=False):
    return types.SimpleNamespace(to=to, resume=resume)


@pytest.mark.parametrize("opts", [_Opts(), _Opts("3.0", True)])
def test_exactly_one_of_to_and_resume(opts, capsys):
    assert upg.UpgradeGanetiCommand(opts, []) == 1
    assert capsys.readouterr().err == ("Precisely one of the options --to"
                                       " and --resume has to be given\n")


@pytest.mark.parametrize("to, message", [
    ("x.1", "Could not parse version string x.1\n"),
    ("2.15", "Cannot upgrade to 2.15: different major versions\n"),
])
def test_bad_targets_refused_before_anything(to, message, capsys,
                                             ganeti_root):
    assert upg.UpgradeGanetiCommand(_Opts(to), []) == 1
    assert capsys.readouterr().err == message
    assert not os.path.exists(pathutils.INTENT_TO_UPGRADE)


def test_resume_without_intent(capsys, ganeti_root):
    assert upg.UpgradeGanetiCommand(_Opts(resume=True), []) == 0
    assert capsys.readouterr().out == "No upgrade to resume\n"


def test_intent_round_trip_and_busy_resume(capsys, ganeti_root):
    os.makedirs(pathutils.DATA_DIR)
    upg.WriteIntent("2.16")
    old, target, pid = upg.ReadIntent()
    assert (old, target, pid) == ("3.0.2", "2.16", os.getpid())
    # a live process that is not us still holds the upgrade
    with open(pathutils.INTENT_TO_UPGRADE, "w") as handle:
        handle.write("3.0.2,2.16,1")
    assert upg.UpgradeGanetiCommand(_Opts(resume=True), []) == 1
    assert capsys.readouterr().err == ("Upgrade to 2.16 already in progress"
                                       " (process 1)\n")
    with open(pathutils.INTENT_TO_UPGRADE, "w") as handle:
        handle.write("garbage")
    with pytest.raises(errors.OpPrereqError):
        upg.ReadIntent()


class FakeNodes:
    """The master and two nodes; commands are recorded, `test -d` answers
    from the installed version directories of each node."""

    def __init__(self, installed):
        self.master = "node1"
        self.nonmaster_nodes = ["node2", "node3"]
        self.installed = installed
        self.commands = []
        self.messages = []

    def feedback_fn(self, text):
        self.messages.append(text)

    def RunCmd(self, node, cmd, stdin=None):
        self.commands.append((node, cmd))
        if cmd[:2] == ["test", "-d"] and \
                cmd[2] not in self.installed.get(node, ()):
            raise errors.OpExecError("Command on node %s failed" % node)
        return ""


def test_missing_version_reported_per_node():
    target = (2, 16)
    vdir = upg.VersionDir(target)
    assert vdir == os.path.join(pathutils.SHARE_DIR, "2.16")
    nodes = FakeNodes({"node1": [vdir], "node3": [vdir]})
    assert upg.MissingOn(nodes, target) == ["node2"]


def test_switch_version_downgrade_order(ganeti_root):
    os.makedirs(pathutils.DATA_DIR)
    with open(pathutils.CLUSTER_CONF_FILE, "w") as handle:
        handle.write("{}")
    nodes = FakeNodes({})
    upg.SwitchVersion(nodes, (2, 16))
    steps = [(node, cmd[-3:] if cmd[0] == "ln" else cmd[-2:])
             for node, cmd in nodes.commands]
    # the running (3.0) cfgupgrade downgrades first, then every link moves
    assert steps == [
        ("node1", ["--downgrade", "-f"]),
        ("node1", ["-sfn", "2.16", pathutils.DEFAULT_VERSION_LINK]),
        ("node2", ["-sfn", "2.16", pathutils.DEFAULT_VERSION_LINK]),
        ("node3", ["-sfn", "2.16", pathutils.DEFAULT_VERSION_LINK]),
    ]
    backups = [name for name in os.listdir(pathutils.DATA_DIR)
               if name.startswith("config.data.pre-upgrade-")]
    assert len(backups) == 1


def test_switch_version_upgrade_converts_after_switch(ganeti_root):
    os.makedirs(pathutils.DATA_DIR)
    with open(pathutils.CLUSTER_CONF_FILE, "w") as handle:
        handle.write("{}")
    nodes = FakeNodes({})
    upg.SwitchVersion(nodes, (3, 1))
    assert [cmd[0] for _, cmd in nodes.commands[:3]] == ["ln"] * 3
    node, last = nodes.commands[-1]
    assert node == "node1" and last[-1] == "-f"
    assert os.path.basename(last[-2]) == "cfgupgrade"


class FakeLuxi:
    def __init__(self, log, busy_polls=0):
        self.log = log
        self.busy_polls = busy_polls

    def SetQueueDrainFlag(self, flag):
        self.log.append(("drain", flag))

    def SetWatcherPause(self, until):
        self.log.append(("pause", until is not None))

    def QueryJobs(self, ids, fields):
        if self.busy_polls:
            self.busy_polls -= 1
            return [[7, "running"]]
        return [[7, "success"]]


def test_upgrade_runs_every_step_and_clears_the_intent(ganeti_root,
                                                       monkeypatch, capsys):
    from ganeti.client import gnt_cluster_ops
    os.makedirs(pathutils.DATA_DIR)
    with open(pathutils.CLUSTER_CONF_FILE, "w") as handle:
        handle.write("{}")
    log = []
    nodes = FakeNodes({n: [upg.VersionDir((3, 1))]
                       for n in ("node1", "node2", "node3")})
    monkeypatch.setattr(upg, "GetClient", lambda: FakeLuxi(log))
    monkeypatch.setattr(gnt_cluster_ops, "StoppedClusterNodes",
                        lambda feedback: nodes)

    def Stopped(feedback, fn):
        log.append(("stopped", None))
        fn(nodes)
        log.append(("started", None))
    monkeypatch.setattr(gnt_cluster_ops, "RunWhileClusterStopped", Stopped)
    assert upg.UpgradeGanetiCommand(_Opts("3.1"), []) == 0
    assert log == [("drain", True), ("pause", True), ("stopped", None),
                   ("started", None), ("pause", False), ("drain", False)]
    assert not os.path.exists(pathutils.INTENT_TO_UPGRADE)
    assert capsys.readouterr().out.splitlines()[-1] == \
        "Upgrade to 3.1 successful"


def test_upgrade_refused_where_the_version_is_missing(ganeti_root,
                                                      monkeypatch, capsys):
    from ganeti.client import gnt_cluster_ops
    nodes = FakeNodes({"node1": [upg.VersionDir((3, 1))]})
    monkeypatch.setattr(gnt_cluster_ops, "StoppedClusterNodes",
                        lambda feedback: nodes)
    assert upg.UpgradeGanetiCommand(_Opts("3.1"), []) == 1
    assert capsys.readouterr().err == ("Ganeti version 3.1 not installed on"
                                       " nodes node2, node3\n")
    assert not os.path.exists(pathutils.INTENT_TO_UPGRADE)


def test_installed_programs_run_the_default_version():
    """make install points every program at share/ganeti/default, the link
    gnt-cluster upgrade switches."""
    import re
    import subprocess
    repo = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    with open(os.path.join(repo, "Makefile.am")) as handle:
        text = handle.read()
    rule = re.search(r"^install_script = (.*?)\n\n", text,
                     re.S | re.M).group(1).replace("\\\n", " ")
    rule = rule.replace("$(RUNTIME_PYTHON)", "/venv/bin/python3") \
        .replace("$(datadir)", "/usr/share").replace("$$", "$")
    with open(os.path.join(repo, "scripts", "gnt-cluster")) as handle:
        script = handle.read()
    out = subprocess.run(rule, shell=True, input=script, text=True,
                         capture_output=True, check=True).stdout
    assert 'sys.path.insert(0, "/usr/share/ganeti/default")' in out
    assert out.startswith("#!/venv/bin/python3\n")
