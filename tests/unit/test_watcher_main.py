"""ganeti-watcher: options, pause, the global lock, the group run (against
a recording stand-in for the master's LUXI answers), the man page."""

import fcntl
import json
import os

import pytest

from ganeti import constants as C
from ganeti import pathutils
from ganeti.tools import manpages
from ganeti.watcher import group
from ganeti.watcher import main as wmain


@pytest.fixture
def root(tmp_path):
    pathutils.set_root(str(tmp_path))
    for d in (pathutils.DATA_DIR, pathutils.RUN_DIR, pathutils.LOG_DIR,
              pathutils.LOCK_DIR):
        os.makedirs(d)
    yield tmp_path
    pathutils.set_root("")


def test_options_and_defaults():
    opts = wmain.ParseOptions([])
    assert opts.job_age == 6 * 3600 and opts.wait_children
    assert opts.rapi_ip == "127.0.0.1" and opts.nodegroup is None
    opts = wmain.ParseOptions(["-d", "-A", "2h", "--no-wait-children",
                               "--ignore-pause", "--no-verify-disks",
                               "--node-group", "g-uuid"])
    assert (opts.debug, opts.job_age, opts.wait_children) == (1, 7200, False)
    assert opts.ignore_pause and opts.no_verify_disks
    assert opts.nodegroup == "g-uuid"


@pytest.mark.parametrize("argv", [["extra"], ["-A", "soon"]])
def test_bad_command_line_is_a_usage_error(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        wmain.ParseOptions(argv)
    assert exc.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_paused_watcher_does_nothing(root, monkeypatch):
    ran = []
    monkeypatch.setattr(wmain, "_GlobalRun", lambda opts: ran.append(1) or 0)
    with open(pathutils.WATCHER_PAUSEFILE, "w") as fh:
        fh.write("%d\n" % (2 ** 40))
    assert wmain.Main([]) == 0 and ran == []
    assert wmain.Main(["--ignore-pause"]) == 0 and ran == [1]


def test_exclusive_lock_holder_blocks_the_watcher(root, monkeypatch):
    ran = []
    monkeypatch.setattr(wmain, "_GlobalRun", lambda opts: ran.append(1) or 0)
    with open(pathutils.WATCHER_LOCK_FILE, "w") as holder:
        fcntl.flock(holder.fileno(), fcntl.LOCK_EX)
        assert wmain.Main([]) == 0 and ran == []
    assert wmain.Main([]) == 0 and ran == [1]
    assert "Can't acquire the watcher lock" in open(
        pathutils.LOG_WATCHER).read()


class FakeMaster:
    """Answers the LUXI queries of one group watcher run and records the
    jobs it is sent; every job succeeds at once."""

    def __init__(self, nodes, instances, locks=()):
        self.nodes = nodes
        self.instances = instances
        self.locks = list(locks)
        self.jobs = []

    @staticmethod
    def _answer(rows):
        return {"fields": [], "data": [[(C.RS_NORMAL, v) for v in row]
                                       for row in rows]}

    def Query(self, what, fields, qfilter):
        if what == C.QR_NODE:
            return self._answer(self.nodes)
        if what == C.QR_INSTANCE:
            return self._answer(self.instances)
        return self._answer(self.locks)

    def SubmitJob(self, ops):
        self.jobs.append(ops)
        return len(self.jobs)

    def QueryJobs(self, ids, fields):
        rows = []
        for job_id in ids:
            op = self.jobs[job_id - 1][0]
            result = ({}, [], {}) if op.OP_ID == "OP_GROUP_VERIFY_DISKS" \
                else None
            rows.append([job_id, C.JOB_STATUS_SUCCESS, [result]])
        return rows

    def ops(self):
        return [(ops[0].OP_ID, getattr(ops[0], "instance_name", None))
                for ops in self.jobs]


def _instance(name, status, pnode="n1"):
    return [name, name + "-uuid", status, C.DT_FILE, pnode, [], True,
            C.ADMINST_UP]


def test_group_run_restarts_records_state_and_writes_status(root):
    master = FakeMaster([["n1", "boot-1", False]],
                        [_instance("i1", C.INSTST_ERRORDOWN),
                         _instance("i2", C.INSTST_RUNNING),
                         _instance("i3", C.INSTST_USERDOWN),
                         _instance("i4", C.INSTST_ERRORDOWN)],
                        locks=[["instance/i4-uuid", "exclusive"]])
    assert group.RunGroup(master, "g1") == 0
    assert master.ops() == [("OP_INSTANCE_STARTUP", "i1"),
                            ("OP_INSTANCE_SHUTDOWN", "i3"),
                            ("OP_GROUP_VERIFY_DISKS", None)]
    startup = master.jobs[0][0]
    assert startup.reason[0][0] == "gnt:watcher"
    assert master.jobs[1][0].admin_state_source == C.USER_SOURCE
    with open(pathutils.WATCHER_GROUP_STATE_FILE % "g1") as fh:
        data = json.load(fh)
    assert data["node"] == {"n1": {"bootid": "boot-1"}}
    assert data["instance"]["i1"]["restart_count"] == 1
    assert data["instance"]["i3"]["cleanup_count"] == 1
    status = "i1 ERROR_down\ni2 running\ni3 USER_down\ni4 ERROR_down\n"
    with open(pathutils.WATCHER_GROUP_INSTANCE_STATUS_FILE % "g1") as fh:
        assert fh.read() == status
    with open(pathutils.INSTANCE_STATUS_FILE) as fh:
        assert fh.read() == status


def test_group_run_activates_disks_after_a_reboot(root):
    master = FakeMaster([["n1", "boot-1", False]],
                        [_instance("i1", C.INSTST_RUNNING)])
    assert group.RunGroup(master, "g1", verify_disks=False) == 0
    assert master.ops() == []
    master.nodes = [["n1", "boot-2", False]]
    assert group.RunGroup(master, "g1", verify_disks=False) == 0
    assert master.ops() == [("OP_INSTANCE_ACTIVATE_DISKS", "i1")]


def test_second_group_watcher_exits(root):
    from ganeti.watcher import state
    path = pathutils.WATCHER_GROUP_STATE_FILE % "g1"
    holder = state.OpenStateFile(path)
    master = FakeMaster([], [_instance("i1", C.INSTST_ERRORDOWN)])
    assert group.RunGroup(master, "g1") == C.EXIT_FAILURE
    assert master.jobs == []
    holder.close()


def test_merge_keeps_every_group(root):
    for uuid, line in (("g1", "a running\n"), ("g2", "b ERROR_down\n")):
        with open(pathutils.WATCHER_GROUP_INSTANCE_STATUS_FILE % uuid,
                  "w") as fh:
            fh.write(line)
    group.MergeInstanceStatus(pathutils.INSTANCE_STATUS_FILE,
                              pathutils.WATCHER_GROUP_INSTANCE_STATUS_FILE
                              % "*")
    with open(pathutils.INSTANCE_STATUS_FILE) as fh:
        assert fh.read() == "a running\nb ERROR_down\n"


def test_man_page_lists_every_option():
    page = manpages.RenderDaemonManPage("ganeti-watcher", "watcher.main",
                                        "Ganeti cluster watcher", None)
    assert page.startswith(".TH GANETI-WATCHER 8 ")
    for opt in wmain.BuildParser().option_list:
        for flag in opt._long_opts:
            if flag not in ("--help", "--version"):
                assert flag.replace("-", "\\-") in page, flag
    assert "watcher.pause" in page


def test_master_daemon_not_answering_is_restarted_once(monkeypatch):
    from ganeti import errors, luxi
    from ganeti.watcher import nodes
    calls = []

    class Client:
        answers = [errors.NoMasterError("no socket"), None]

        def __init__(self, timeouts=None):
            self.timeouts = timeouts

        def Close(self):
            pass

        def QueryConfigValues(self, fields):
            answer = Client.answers.pop(0)
            if answer is not None:
                raise answer
            return ["cluster"]

    monkeypatch.setattr(luxi, "Client", Client)
    monkeypatch.setattr(nodes, "RestartDaemon",
                        lambda name, args=None: calls.append(name) or True)
    assert isinstance(nodes.GetLuxiClient(True), Client)
    assert calls == [C.MASTERD]
    Client.answers = [errors.NoMasterError("no socket")]
    with pytest.raises(errors.NoMasterError):
        nodes.GetLuxiClient(False)
    assert calls == [C.MASTERD]


def test_rapi_restarted_once_when_it_does_not_answer(monkeypatch):
    from ganeti.watcher import nodes
    events = []
    answers = [False, True]
    monkeypatch.setattr(nodes, "EnsureDaemon",
                        lambda name, args=None: events.append(("ensure",
                                                               name)) or True)
    monkeypatch.setattr(nodes.daemon_util, "stop",
                        lambda name, timeout=None: events.append(("stop",
                                                                  name)))
    monkeypatch.setattr(nodes, "_RapiAnswers",
                        lambda ip: events.append(("probe", ip)) or
                        answers.pop(0))
    nodes.EnsureRapi("127.0.0.1")
    assert events == [("ensure", C.RAPI), ("probe", "127.0.0.1"),
                      ("stop", C.RAPI), ("ensure", C.RAPI),
                      ("probe", "127.0.0.1")]


def test_node_outside_a_cluster_starts_nothing(root, monkeypatch):
    from ganeti.watcher import nodes
    started = []
    monkeypatch.setattr(nodes, "EnsureNodeDaemons",
                        lambda: started.append("node daemons"))
    assert wmain.Main([]) == 0
    assert started == []
