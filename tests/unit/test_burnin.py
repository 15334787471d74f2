"""burnin: option parsing, step selection, and whole runs against a fake
LUXI client (the jobs each step submits, serially and with -p, the progress
lines compared with upstream 3.0's recording, failures and skips)."""

import os

import pytest

from ganeti import constants as C
from ganeti.tools import burnin
from ganeti.tools import burnin_steps

from cli_fakes import FakeLuxi

REF = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))), "data", "reference", "upstream-3.0", "burnin")
NODES = ["node1", "node2", "node3"]


def _Parse(*argv):
    return burnin.ParseOptions(list(argv))


def _Reference(name):
    """Upstream's progress lines, up to the timing report."""
    with open(os.path.join(REF, name)) as handle:
        lines = handle.read().splitlines()[1:]
    return [l for l in lines if not l.startswith("\t")
            and not l.startswith("[exit status")]


# ------------------------------------------------------------ options

def test_defaults():
    opts, args = _Parse("-o", "noop", "i1", "i2")
    assert args == ["i1", "i2"]
    assert opts.disk_template == C.DT_DRBD8
    assert opts.disk_size == [1024] and opts.disk_growth == [128]
    assert (opts.minmem_size, opts.maxmem_size, opts.vcpu_count) == \
        (128, 256, 3)
    assert opts.reboot_types == ["soft", "hard", "full"]
    assert opts.nics == [{}] and opts.nodes == []
    assert not opts.parallel and not opts.ip_check and not opts.name_check
    assert opts.net_timeout == 15 and not opts.http_check
    for dest in ("do_replace1", "do_replace2", "do_failover", "do_migrate",
                 "do_move", "do_importexport", "do_startstop",
                 "do_reinstall", "do_reboot", "do_renamesame",
                 "do_activate_disks", "do_addremove_disks",
                 "do_addremove_nics", "do_confd_tests"):
        assert getattr(opts, dest) is True, dest


def test_every_no_switch_turns_its_step_off():
    switches = ["--no-replace1", "--no-replace2", "--no-failover",
                "--no-migrate", "--no-move", "--no-importexport",
                "--no-startstop", "--no-reinstall", "--no-reboot",
                "--no-renamesame", "--no-activate-disks", "--no-add-disks",
                "--no-add-nics", "--no-confd"]
    opts, _ = _Parse("-o", "noop", "-t", "file", "--mem-size", "64M",
                     "--disk-growth", "0", *(switches + ["i1"]))
    assert burnin_steps.SelectSteps(opts, 3, True, "fake", "bridged") == []
    opts, _ = _Parse("-o", "noop", "--no-nics", "i1")
    assert opts.nics == []


def test_sizes_memory_nodes_and_options():
    opts, _ = _Parse("-o", "noop", "-t", "file", "--disk-size", "64M,1G",
                     "--disk-growth", "16M,0", "--mem-size", "64M", "-n",
                     "n1,n2", "-p", "-O", "a=b", "-H", "kvm:acpi=false",
                     "--reboot-types", "hard", "--no-ip-check",
                     "--name-check", "--reason", "why", "-K", "-C",
                     "--net-timeout", "3", "i1")
    assert opts.disk_size == [64, 1024] and opts.disk_growth == [16, 0]
    assert opts.minmem_size == opts.maxmem_size == 64
    assert opts.nodes == ["n1", "n2"] and opts.parallel
    assert opts.osparams == {"a": "b"}
    assert opts.hypervisor == ("kvm", {"acpi": "false"})
    assert opts.reboot_types == ["hard"] and opts.name_check
    assert opts.keep_instances and opts.http_check and opts.net_timeout == 3
    assert [entry[:2] for entry in opts.reason] == [
        ["gnt:user", "why"], ["gnt:client:burnin", "-o"]]


def test_diskless_has_no_disks():
    opts, _ = _Parse("-o", "noop", "-t", "diskless", "i1")
    assert opts.disk_size == [] and not opts.do_addremove_disks


@pytest.mark.parametrize("argv,message", [
    (["i1"], burnin.USAGE),
    (["-o", "noop"], burnin.USAGE),
    (["-o", "noop", "--disk-size", "1G,2G", "i1"],
     "Wrong disk sizes/growth combination"),
    (["-o", "noop", "--disk-size", "lots", "i1"], "Invalid disk size"),
    (["-o", "noop", "-n", "n1", "-I", "hail", "i1"],
     "Give either the nodes option or the iallocator option, not both"),
    (["-o", "noop", "-C", "i1"],
     "Can't enable HTTP checks without name checks"),
    (["-o", "noop", "--reboot-types", "soft,cold", "i1"],
     "Invalid reboot types specified: cold"),
])
def test_bad_options(argv, message):
    with pytest.raises(burnin.BurninUsageError) as err:
        _Parse(*argv)
    assert message in str(err.value)


def test_usage_exit_code(capsys):
    assert burnin.Main(["i1"]) == 2
    assert capsys.readouterr().err == burnin.USAGE + "\n"


def test_unknown_template_is_an_option_error(capsys):
    with pytest.raises(SystemExit) as err:
        burnin.Main(["-o", "noop", "-t", "lvm", "i1"])
    assert err.value.code == 2
    assert "invalid choice: 'lvm'" in capsys.readouterr().err


# ------------------------------------------------------------ selection

def _Names(steps):
    return [step[0] if step else skip for step, skip in steps]


def test_selection_file_one_node():
    opts, _ = _Parse("-o", "noop", "-t", "file", "--mem-size", "64M", "i1")
    assert _Names(burnin_steps.SelectSteps(opts, 1, True, "fake",
                                           "bridged")) == [
        "BurnStopStart", "BurnGrowDisks",
        "Skipping migration (disk template file does not support it)",
        "BurnReinstall", "BurnReboot", "BurnRenameSame", "BurnConfd",
        "BurnAddRemoveNICs", "BurnActivateDisks", "BurnAddRemoveDisks"]


def test_selection_file_three_nodes_moves():
    opts, _ = _Parse("-o", "noop", "-t", "file", "i1")
    names = _Names(burnin_steps.SelectSteps(opts, 3, True, "fake",
                                            "routed"))
    assert "BurnMove" in names and "BurnModifyRuntimeMemory" in names
    assert "BurnAddRemoveNICs" not in names      # not bridged
    assert "BurnImportExport" not in names and "BurnFailover" not in names


def test_selection_mirrored_and_hypervisor():
    opts, _ = _Parse("-o", "noop", "-t", "sharedfile", "--rename", "x",
                     "i1")
    names = _Names(burnin_steps.SelectSteps(opts, 3, True, "fake",
                                            "bridged"))
    assert names.index("BurnFailover") < names.index("BurnMigrate")
    assert names[-1] == "BurnRename" and "BurnMove" not in names
    names = _Names(burnin_steps.SelectSteps(opts, 3, False, "lxc",
                                            "bridged"))
    assert "Skipping migration (hypervisor lxc does not support it)" in names
    opts, _ = _Parse("-o", "noop", "-t", "drbd", "i1")
    names = _Names(burnin_steps.SelectSteps(opts, 2, True, "fake", None))
    assert "BurnReplaceDisks1D8" in names and "BurnImportExport" in names
    assert "BurnReplaceDisks2" not in names      # needs a third node
    assert "BurnReplaceDisks2" in _Names(burnin_steps.SelectSteps(
        opts, 3, True, "fake", None))


# ------------------------------------------------------------ whole runs

class BurninLuxi(FakeLuxi):
    """A master: nodes, one OS, cluster info; every job succeeds except
    dry runs of opcodes it lacks and the jobs fail_on picks."""

    def __init__(self, nodes=NODES, templates=("file", "sharedfile"),
                 fail_on=None):
        super().__init__()
        self.nodes = nodes
        self.templates = list(templates)
        self.fail_on = fail_on

    def QueryNodes(self, names, fields, use_locking):
        self._Call("QueryNodes", names, fields, use_locking)
        return [[n, False, False] for n in self.nodes
                if not names or n in names]

    def QueryClusterInfo(self):
        return {"master": self.nodes[0], "default_hypervisor": "fake",
                "enabled_disk_templates": self.templates,
                "nicparams": {"default": {"mode": "bridged",
                                          "link": "br0"}}}

    def SubmitJob(self, ops):
        job_id = super().SubmitJob(ops)
        state = self.submitted[-1][1]
        job = self.jobs[job_id]
        job.log = [[1, [1700000000, 0], "message", "log of job %d" % job_id]]
        first = state[0]
        if first["OP_ID"] == "OP_OS_DIAGNOSE":
            job.opresult = [[["noop", [], False], ["debootstrap",
                                                   ["default"], False]]]
        elif first.get("dry_run") and first["OP_ID"] in (
                "OP_BACKUP_EXPORT", "OP_INSTANCE_REPLACE_DISKS"):
            self._Fail(job, ["OpCodeUnknown", ["Unknown opcode %s"
                                               % first["OP_ID"]]])
        elif first.get("dry_run") and "detach" in str(first.get("disks")):
            self._Fail(job, ["OpPrereqError", ["Disk detach is not"
                                               " supported", "wrong_input"]])
        elif self.fail_on and self.fail_on(state):
            self._Fail(job, ["OpPrereqError", ["Boom", "wrong_state"]])
        return job_id

    @staticmethod
    def _Fail(job, error):
        job.status = "error"
        job.opstatus = ["error"] * len(job.ops)
        job.opresult = [error] * len(job.ops)

    def JobOps(self):
        """[[OP_ID, ...]] of the jobs that were not dry runs."""
        return [[op["OP_ID"] for op in ops] for _, ops in self.submitted
                if not ops[0].get("dry_run")]


def _Run(argv, luxi, capsys):
    opts, instances = burnin.ParseOptions(argv)
    burner = burnin_steps.Burner(opts, instances, cl=luxi)
    burner.GetState()
    try:
        code = burner.BurninCluster()
    except burnin.BurninFailure as err:
        code = ("failed", str(err))
    out = capsys.readouterr().out
    return code, out.splitlines(), burner


_FILE_ARGS = ["-o", "debootstrap+default", "-t", "file", "--disk-size",
              "64M,32M", "--disk-growth", "16M,16M", "--mem-size", "64M",
              "-n", "node1", "--no-ip-check"]
_INSTANCES = ["inst6", "inst7", "inst8"]


def test_serial_file_run_matches_upstream(capsys, monkeypatch):
    luxi = BurninLuxi()
    monkeypatch.setattr(burnin_steps.Burner, "BurnConfd",
                        _FakeConfd)
    code, lines, _ = _Run(_FILE_ARGS + ["--no-add-disks"] + _INSTANCES,
                          luxi, capsys)
    assert code == 0
    ref = [l.replace(".ganeti.test", "").replace("anchor-node1", "node1")
           for l in _Reference("burnin-file-serial-no-add-disks.txt")]
    assert lines == _Normalise(ref)
    jobs = luxi.JobOps()
    assert jobs[0] == ["OP_OS_DIAGNOSE"]
    assert jobs[1:4] == [["OP_INSTANCE_CREATE"]] * 3
    assert jobs[4] == ["OP_INSTANCE_SHUTDOWN", "OP_INSTANCE_STARTUP"]
    assert jobs[-3:] == [["OP_INSTANCE_REMOVE"]] * 3
    assert ["OP_INSTANCE_SHUTDOWN", "OP_INSTANCE_REINSTALL",
            "OP_INSTANCE_REINSTALL", "OP_INSTANCE_STARTUP"] in jobs
    create = luxi.submitted[1][1][0]
    assert create["disks"] == [{"size": 64}, {"size": 32}]
    assert create["pnode"] == "node1" and create.get("snode") is None
    assert create["beparams"] == {"minmem": 64, "maxmem": 64, "vcpus": 3}
    assert create["reason"][0][0] == "gnt:client:burnin"


def _Normalise(ref):
    """Upstream picks the reboot order from a set; ours is fixed."""
    out = []
    for line in ref:
        out.append(line)
    order = ["    reboot with type '%s'" % t for t in ("soft", "hard", "full")]
    result, block = [], []
    for line in out:
        if line in order:
            block.append(line)
            continue
        if block:
            result.extend(sorted(block, key=order.index))
            block = []
        result.append(line)
    return result + sorted(block, key=order.index)


def _FakeConfd(self):
    burnin.Log("Checking confd results")
    for title in ("Ping", "Master", "Node role for master"):
        burnin.Log("%s: OK", title, indent=1)


def test_parallel_run_submits_one_job_set_per_step(capsys, monkeypatch):
    luxi = BurninLuxi()
    monkeypatch.setattr(burnin_steps.Burner, "BurnConfd", _FakeConfd)
    code, lines, _ = _Run(["-p"] + _FILE_ARGS + ["--no-add-disks"] +
                          _INSTANCES, luxi, capsys)
    assert code == 0
    ref = _Reference("burnin-file-parallel-no-add-disks.txt")
    strip = [l.replace(".ganeti.test", "").replace("anchor-node1", "node1")
             for l in ref if not l.startswith(("Submitted jobs",
                                               "Waiting for job"))]
    ours = [l for l in lines if not l.startswith(("Submitted jobs",
                                                  "Waiting for job"))]
    assert ours == _Normalise(strip)
    submitted = [l for l in lines if l.startswith("Submitted jobs")]
    assert len(submitted) == len([l for l in ref
                                  if l.startswith("Submitted jobs")])
    assert "Waiting for job 101 for inst6 ..." in lines
    manys = [args for name, args in luxi.calls if name == "SubmitManyJobs"]
    assert len(manys[0][0]) == 3 and len(manys[2][0]) == 6  # grow: per disk


def test_sharedfile_three_nodes_places_round_robin(capsys, monkeypatch):
    luxi = BurninLuxi()
    monkeypatch.setattr(burnin_steps.Burner, "BurnConfd", _FakeConfd)
    args = ["-o", "noop", "-t", "sharedfile", "--disk-size", "64M",
            "--disk-growth", "16M", "--mem-size", "64M", "-n",
            "node1,node2,node3", "--no-ip-check", "--no-add-disks",
            "instance4", "instance5", "instance6"]
    code, lines, _ = _Run(args, luxi, capsys)
    assert code == 0
    with open(os.path.join(REF, "..", "vcluster",
                           "20-burnin-sharedfile-3nodes.txt")) as handle:
        ref = [l for l in handle.read().splitlines()[1:]
               if not l.startswith(("\t", "[exit status"))]
    assert lines == ref
    assert ["OP_INSTANCE_MIGRATE", "OP_INSTANCE_MIGRATE"] in luxi.JobOps()


def test_add_remove_disks_without_detach_support(capsys, monkeypatch):
    luxi = BurninLuxi()
    monkeypatch.setattr(burnin_steps.Burner, "BurnConfd", _FakeConfd)
    code, lines, _ = _Run(_FILE_ARGS + ["--no-reinstall", "inst6"], luxi,
                          capsys)
    assert code == 0
    start = lines.index("- Skipping disk detach/attach (Disk detach is not"
                        " supported)")
    assert lines[start + 1:start + 5] == [
        "- Adding and removing disks", "  * instance inst6",
        "    adding a disk", "    removing last disk"]
    assert ["OP_INSTANCE_SET_PARAMS", "OP_INSTANCE_SHUTDOWN",
            "OP_INSTANCE_SET_PARAMS", "OP_INSTANCE_STARTUP"] in luxi.JobOps()


def test_unimplemented_opcodes_are_skipped(capsys, monkeypatch):
    luxi = BurninLuxi(templates=["plain", "drbd"])
    monkeypatch.setattr(burnin_steps.Burner, "BurnConfd", _FakeConfd)
    code, lines, _ = _Run(["-o", "noop", "-t", "drbd", "--mem-size", "64",
                           "--no-add-disks", "i1", "i2"], luxi, capsys)
    assert code == 0
    assert lines.count("- Skipping disk replacement (the master does not"
                       " implement OP_INSTANCE_REPLACE_DISKS)") == 2
    assert "- Skipping export/import (the master does not implement" \
        " OP_BACKUP_EXPORT)" in lines
    assert "  * instance i1" in lines and "    on node1, node2" in lines
    assert not any("OP_BACKUP_EXPORT" in ops for ops in luxi.JobOps())


def test_failed_step_dumps_buffer_and_still_removes(capsys, monkeypatch):
    luxi = BurninLuxi(fail_on=lambda ops: ops[0]["OP_ID"] ==
                      "OP_INSTANCE_GROW_DISK")
    code, lines, _ = _Run(_FILE_ARGS + _INSTANCES, luxi, capsys)
    assert code[0] == "failed" and "Boom" in code[1]
    at = lines.index("- Non-idempotent opcode failed, aborting")
    assert lines[at + 1] == "- Error detected: opcode buffer follows:"
    assert any(l.endswith("log of job 102") for l in lines)
    assert lines[-4:] == ["- Removing instances", "  * instance inst6",
                          "  * instance inst7", "  * instance inst8"]
    assert luxi.JobOps()[-3:] == [["OP_INSTANCE_REMOVE"]] * 3


def test_keep_instances(capsys, monkeypatch):
    luxi = BurninLuxi()
    monkeypatch.setattr(burnin_steps.Burner, "BurnConfd", _FakeConfd)
    code, lines, _ = _Run(_FILE_ARGS + ["-K", "inst6"], luxi, capsys)
    assert code == 0 and "- Removing instances" not in lines


def test_bad_cluster_state_creates_nothing(capsys):
    for argv, text in (
            (["-o", "nosuch", "-t", "file", "i1"], "OS 'nosuch' not found"),
            (["-o", "noop", "-t", "plain", "i1"],
             "Disk template 'plain' is not enabled in cluster. Enabled disk"
             " templates are: file,sharedfile")):
        luxi = BurninLuxi()
        opts, instances = burnin.ParseOptions(argv)
        burner = burnin_steps.Burner(opts, instances, cl=luxi)
        with pytest.raises(burnin.BurninUsageError) as err:
            burner.GetState()
        assert str(err.value) == text
        assert luxi.JobOps() == [["OP_OS_DIAGNOSE"]]


def test_drbd_needs_two_nodes(capsys):
    luxi = BurninLuxi(nodes=["node1"], templates=["drbd"])
    opts, instances = burnin.ParseOptions(["-o", "noop", "i1"])
    burner = burnin_steps.Burner(opts, instances, cl=luxi)
    burner.GetState()
    with pytest.raises(burnin.BurninUsageError) as err:
        burner.BurninCluster()
    assert "When one node is available/selected" in str(err.value)
    assert luxi.JobOps() == [["OP_OS_DIAGNOSE"]]


class _Page:
    def __init__(self, text):
        self.text = text

    def read(self):
        return self.text.encode()

    def __enter__(self):
        return self

    def __exit__(self, *_):
        return False


def test_http_check():
    opts, instances = burnin.ParseOptions(["-o", "noop", "--name-check",
                                           "-C", "--net-timeout", "0",
                                           "web1"])
    urls = []

    def opener(url, timeout):
        urls.append(url)
        return _Page("web1\n")

    burner = burnin_steps.Burner(opts, instances, cl=BurninLuxi(),
                                 urlopen=opener)
    burner.CheckInstances()
    assert urls == ["http://web1/hostname.txt"]
    burner.urlopen = lambda url, timeout: _Page("other")
    with pytest.raises(burnin.BurninFailure, match="hostname mismatch"):
        burner.CheckInstanceAlive("web1")

    def down(url, timeout):
        raise OSError("refused")
    burner.urlopen = down
    with pytest.raises(burnin.BurninFailure, match="cannot contact"):
        burner.CheckInstanceAlive("web1")


def test_no_http_check_without_option():
    opts, instances = burnin.ParseOptions(["-o", "noop", "web1"])

    def opener(url, timeout):
        raise AssertionError("no HTTP without -C")

    burner = burnin_steps.Burner(opts, instances, cl=BurninLuxi(),
                                 urlopen=opener)
    burner.CheckInstances()


def _MainWith(luxi, monkeypatch, argv):
    monkeypatch.setattr(burnin.cli_jobs, "GetClient", lambda: luxi)
    monkeypatch.setattr(burnin, "_SetupLogging", lambda debug: None)
    monkeypatch.setattr(burnin_steps.Burner, "BurnConfd", _FakeConfd)
    return burnin.Main(argv)


def test_main_reports_a_failed_run_on_one_line(capsys, monkeypatch):
    luxi = BurninLuxi(fail_on=lambda ops: ops[0]["OP_ID"] ==
                      "OP_INSTANCE_FAILOVER")
    code = _MainWith(luxi, monkeypatch, ["-o", "noop", "-t", "sharedfile",
                                         "--mem-size", "64", "i1"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("Burnin failed: ") and err.count("\n") == 1
    assert "Boom" in err and "Traceback" not in err
    assert luxi.JobOps()[-1] == ["OP_INSTANCE_REMOVE"]


def test_main_bad_state_is_one_line(capsys, monkeypatch):
    luxi = BurninLuxi()
    code = _MainWith(luxi, monkeypatch, ["-o", "nosuch", "-t", "file",
                                         "i1"])
    out = capsys.readouterr()
    assert code == 1 and out.err == "OS 'nosuch' not found\n"
    assert out.out == ""
