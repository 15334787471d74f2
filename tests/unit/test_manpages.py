"""Man pages are generated from the command tables: every subcommand and
option of a program appears in its page."""

from ganeti import constants
from ganeti import daemon
from ganeti.client import gnt_job
from ganeti.server import rapi
from ganeti.tools import manpages


def test_every_subcommand_and_option_documented():
    page = manpages.RenderManPage("gnt-job", "gnt_job", "Job administration")
    assert page.startswith(".TH GNT-JOB 8 ")
    for name, (_fn, _args, options, _usage, _descr) in gnt_job.commands.items():
        assert ".SS %s" % name.upper().replace("-", "\\-") in page
        for opt in options:
            assert opt._long_opts[0].replace("-", "\\-") in page


def test_main_writes_pages(tmp_path):
    assert manpages.main([str(tmp_path)]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert "gnt-cluster.8" in names and "gnt-job.8" in names
    assert "gnt-filter.8" in names
    assert "ganeti-rapi.8" in names
    assert manpages.main([]) == 1


def test_daemon_page_has_every_option_and_the_users_file():
    page = manpages.RenderDaemonManPage("ganeti-rapi", "rapi",
                                        "Ganeti remote API daemon",
                                        constants.RAPI)
    assert page.startswith(".TH GANETI-RAPI 8 ")
    parser = rapi.BuildParser()
    daemon.AddCommonOptions(parser, constants.RAPI)
    flags = [name for opt in parser.option_list
             if opt.action not in ("help", "version")
             for name in opt._short_opts + opt._long_opts]
    for flag in ["-b", "-p", "-i", "-f", "-d", "--no-ssl", "-K", "-C",
                 "--require-authentication", "--max-clients"]:
        assert flag in flags
    for flag in flags:
        assert "\\fB%s" % flag.replace("-", "\\-") in page or \
            ", %s" % flag.replace("-", "\\-") in page, flag
    for title in ("SYNOPSIS", "DESCRIPTION", "USERS FILE", "ACCESS CONTROL",
                  "OPTIONS"):
        assert ".SH %s\n" % title in page
    assert "/var/lib/ganeti/rapi/users" in page and "{ha1}" in page
    assert "\\-\\-help" not in page


# ------------------------------------------------ content of the pages

import pytest

from ganeti.cli import opts as opts_module
from ganeti.tools import manpage_text


def _programs():
    return sorted(manpages.PROGRAMS.items())


def _plain(text):
    return text.replace("\\-", "-").replace("\\fB", "").replace("\\fR", "") \
        .replace("\\fI", "").replace("\\&", "")


@pytest.mark.parametrize("program,entry", _programs())
def test_every_subcommand_has_synopsis_description_options_example(
        program, entry):
    module_name, summary = entry
    commands, aliases = manpages.CommandTable(module_name)
    page = _plain(manpages.RenderManPage(program, module_name, summary))
    sections = page.split("\n.SS ")
    assert len(sections) == len(commands) + 1
    for name, section in zip(sorted(commands), sections[1:]):
        _fn, args, options, _usage, description = commands[name]
        assert section.startswith(name.upper() + "\n%s %s" % (program, name))
        synopsis = section.split("\n.PP\n")[0]
        assert (description or "").replace("\\", "\\\\") in section
        for opt in options:
            flags = "|".join(opt._short_opts + opt._long_opts)
            assert flags in synopsis, (name, flags)
            assert sum(synopsis.count(form % flags) for form in
                       ("[%s]", "[%s ", "[{%s}")) == 1, (name, flags)
            assert ".TP\n%s" % ", ".join(opt._short_opts + opt._long_opts) \
                in section, (name, flags)
        written = manpage_text.EXAMPLES.get(program, {}).get(name, [])
        for line, _ in written:
            assert "# %s" % line in section
        if not written and manpages.GeneratedExample(program, name, args):
            assert "Example:" in section, name
    for opt in opts_module.COMMON_OPTS:
        assert ".TP\n%s" % ", ".join(opt._short_opts + opt._long_opts) \
            in page
    for title in ("DESCRIPTION", "COMMANDS", "OPTIONS OF EVERY COMMAND",
                  "COMMON OPTIONS",
                  "EXIT STATUS", "FILES", "SEE ALSO"):
        assert "\n.SH %s\n" % title in page


def test_options_state_their_choices_and_defaults():
    from ganeti.client import gnt_instance
    page = _plain(manpages.RenderManPage("gnt-instance", "gnt_instance",
                                         "Ganeti instance administration"))
    shown = 0
    for _fn, _args, options, _u, _d in gnt_instance.commands.values():
        for opt in options:
            if manpages._ShowsDefault(opt):
                assert "Default: %s." % (opt.default,) in page, opt
                shown += 1
    assert shown > 0


def test_generated_example_uses_sample_names():
    from ganeti.cli import opts
    assert manpages.GeneratedExample(
        "gnt-node", "info", [opts.ArgNode(min=1, max=1)]) == \
        "gnt-node info node2.example.com"
    assert manpages.GeneratedExample(
        "gnt-job", "list", [opts.ArgJobId(min=0)]) == "gnt-job list"
    assert manpages.GeneratedExample(
        "gnt-x", "y", [opts.ArgUnknown(min=1, max=1)]) is None


@pytest.mark.parametrize("program", sorted(
    program for program, entry in manpages.DAEMONS.items()
    if entry[2] is not None))  # programs without the daemon frame differ
def test_daemon_pages_have_options_files_and_signals(program):
    module_name, summary, name = manpages.DAEMONS[program]
    page = _plain(manpages.RenderDaemonManPage(program, module_name,
                                               summary, name))
    for title in ("SYNOPSIS", "DESCRIPTION", "OPTIONS",
                  "STARTING AND STOPPING", "SIGNALS", "FILES"):
        assert "\n.SH %s\n" % title in page
    assert "/var/run/ganeti/%s.pid" % name in page
    assert "/var/log/ganeti/%s.log" % constants.DAEMONS_LOGBASE[name] in page
    for flag in ("-f, --foreground", "-d, --debug", "--syslog",
                 "--version"):
        assert ".TP\n%s" % flag in page


def test_masterd_page_explains_the_upstream_names():
    page = _plain(manpages.RenderDaemonManPage(
        "ganeti-masterd", "masterd", "Ganeti master daemon",
        constants.MASTERD))
    assert "\n.SH UPSTREAM DAEMON NAMES\n" in page
    assert "WCONFD_ARGS" in page and "LUXID_ARGS" in page


def test_main_writes_daemon_tool_and_alias_pages(tmp_path):
    assert manpages.main([str(tmp_path)]) == 0
    for name in ("ganeti-noded", "ganeti-confd", "ganeti-masterd",
                 "ganeti-cleaner"):
        assert (tmp_path / (name + ".8")).read_text().startswith(".TH ")
    for alias in ("ganeti-luxid", "ganeti-wconfd"):
        assert (tmp_path / (alias + ".8")).read_text() == \
            ".so man8/ganeti-masterd.8\n"
    cleaner_page = _plain((tmp_path / "ganeti-cleaner.8").read_text())
    assert "/var/lib/ganeti/queue/archive/" in cleaner_page


def _all_examples():
    import shlex
    for program, (module_name, _summary) in _programs():
        commands, _aliases = manpages.CommandTable(module_name)
        for name, (_fn, args, _o, _u, _d) in sorted(commands.items()):
            written = manpage_text.EXAMPLES.get(program, {}).get(name)
            lines = [line for line, _ in written] if written else \
                [manpages.GeneratedExample(program, name, args)]
            for line in lines:
                if line:
                    yield program, module_name, shlex.split(line)


@pytest.mark.parametrize("program,module_name,words", list(_all_examples()),
                         ids=lambda v: v if isinstance(v, str) else
                         "-".join(v[:2]) if isinstance(v, list) else None)
def test_every_example_is_a_valid_command_line(program, module_name, words):
    """Each example parses with its subcommand's options and arguments."""
    from ganeti import cli
    commands, aliases = manpages.CommandTable(module_name)
    assert words[0] == program and words[1] in commands
    func, _opts, _args = cli.ParseArgs(program, words, commands, aliases)
    assert func is commands[words[1]][0], words


def test_details_name_real_subcommands_and_options():
    import re
    for program, details in manpage_text.DETAILS.items():
        module_name, summary = manpages.PROGRAMS[program]
        commands, _aliases = manpages.CommandTable(module_name)
        page = _plain(manpages.RenderManPage(program, module_name, summary))
        for name, paragraphs in details.items():
            assert name in commands, (program, name)
            flags = {f for opt in commands[name][2]
                     for f in opt._short_opts + opt._long_opts}
            for paragraph in paragraphs:
                assert paragraph in page, (program, name)
                for flag in re.findall(r"(?<![\w/-])(--?[a-zA-Z][\w-]*)",
                                       paragraph):
                    assert flag in flags, (program, name, flag)


# ------------------------------------------ substance of the written text

def _Sentences(text):
    import re
    return [s for s in re.split(r"(?<=[.!?:])\s+", text.strip()) if s]


@pytest.mark.parametrize("program,entry", _programs())
def test_every_subcommand_says_what_it_does_and_has_an_example(program,
                                                               entry):
    """Besides its one-line --help description, each subcommand's page
    section explains in at least two sentences what it does, and shows at
    least one command line."""
    module_name, summary = entry
    commands, _aliases = manpages.CommandTable(module_name)
    page = _plain(manpages.RenderManPage(program, module_name, summary))
    sections = dict(zip(sorted(commands), page.split("\n.SS ")[1:]))
    details = manpage_text.DETAILS.get(program, {})
    for name in commands:
        text = " ".join(details.get(name, []))
        assert len(_Sentences(text)) >= 2, \
            (program, name, text)
        assert len(text.split()) >= 20, (program, name)
        assert "\n# %s %s" % (program, name) in sections[name], \
            (program, name)


@pytest.mark.parametrize("program,entry", _programs())
def test_every_option_has_a_meaning(program, entry):
    """Each option of each subcommand is explained: its help text and the
    man page's note together make a sentence, not just a label."""
    module_name, _summary = entry
    commands, _aliases = manpages.CommandTable(module_name)
    for name, (_fn, _args, options, _u, _d) in commands.items():
        for opt in options:
            lines = manpages._option_lines(opt, program, name)
            text = _plain(lines[2])
            assert len(text.split()) >= 3, (program, name, lines[1])


def _AllFlags():
    flags = {}
    for program, (module_name, _s) in _programs():
        commands, _aliases = manpages.CommandTable(module_name)
        for name, (_fn, _args, options, _u, _d) in commands.items():
            for opt in options:
                key = (opt._long_opts or opt._short_opts)[0]
                flags.setdefault(key, set()).add((program, name))
    return flags


def test_option_notes_name_real_options():
    from ganeti.tools import manpage_text_options as notes
    flags = _AllFlags()
    for key in notes.NOTES:
        assert key in flags, key
    common = {(opt._long_opts or opt._short_opts)[0]
              for opt in opts_module.COMMON_OPTS}
    assert set(notes.COMMON_NOTES) <= common
    for key in notes.SCOPED:
        words = key.split()
        assert words[-1] in flags, key
        users = flags[words[-1]]
        if len(words) == 3:
            assert (words[0], words[1]) in users, key
        else:
            assert any(program == words[0] for program, _ in users), key


def test_notes_give_what_help_leaves_out():
    """A terse help string gets its meaning from the note: the options
    that only name their subject ("Backend parameters") say what they take,
    and --priority states its default."""
    from ganeti.client import gnt_instance
    page = _plain(manpages.RenderManPage("gnt-instance", "gnt_instance",
                                         "Ganeti instance administration"))
    add = page.split("\n.SS ADD\n")[1].split("\n.SS ")[0]
    assert "do not depend on the hypervisor, are maxmem and minmem" in add
    assert "INDEX:size=SIZE" in add
    assert "low, normal or high" in add and "Default: normal." in add
    reboot = page.split("\n.SS REBOOT\n")[1].split("\n.SS ")[0]
    assert "soft: the guest is asked to reboot itself" in reboot
    assert "--type" in {f for o in gnt_instance.commands["reboot"][2]
                        for f in o._long_opts}


def test_daemon_util_page_lists_every_action(tmp_path):
    from ganeti import daemon_util
    from ganeti.tools import manpage_text_daemons
    assert manpages.main([str(tmp_path)]) == 0
    page = _plain((tmp_path / "daemon-util.8").read_text())
    actions = [line.split()[0] for line in
               daemon_util._USAGE.split("Actions:\n")[1].split("Daemons:")[0]
               .splitlines() if line.startswith("  ") and
               not line.startswith("   ")]
    assert "start-all" in actions and "rotate-all-logs" in actions
    documented = [a.split()[0] for a, _ in
                  manpage_text_daemons.DAEMON_UTIL_ACTIONS]
    assert sorted(actions) == sorted(documented)
    for action in actions:
        assert "\n%s" % action in page, action
    for title in ("SYNOPSIS", "DESCRIPTION", "ACTIONS", "FILES",
                  "EXIT STATUS", "EXAMPLES"):
        assert "\n.SH %s\n" % title in page


@pytest.mark.parametrize("program", sorted(manpages.DAEMONS))
def test_daemon_pages_have_exit_status_and_examples(program):
    module_name, summary, name = manpages.DAEMONS[program]
    page = _plain(manpages.RenderDaemonManPage(program, module_name,
                                               summary, name))
    for title in ("EXIT STATUS", "EXAMPLES", "FILES"):
        assert "\n.SH %s\n" % title in page, (program, title)
    from ganeti import pathutils
    files = page.split("\n.SH FILES\n")[1].split("\n.SH ")[0]
    expected = {"ganeti-noded": [pathutils.NODED_CERT_FILE],
                "ganeti-confd": [pathutils.CONFD_HMAC_KEY],
                "ganeti-masterd": [pathutils.CLUSTER_CONF_FILE,
                                   pathutils.MASTER_SOCKET],
                "ganeti-rapi": [pathutils.RAPI_CERT_FILE,
                                pathutils.RAPI_USERS_FILE],
                "ganeti-watcher": [pathutils.LOG_WATCHER]}[program]
    for path in expected:
        assert path in files, (program, path)


def test_every_page_renders_without_warnings(tmp_path):
    import shutil
    import subprocess
    groff = shutil.which("groff")
    if groff is None:
        pytest.skip("groff is not installed")
    assert manpages.main([str(tmp_path)]) == 0
    rendered = 0
    for path in sorted(tmp_path.iterdir()):
        text = path.read_text()
        if text.startswith(".so "):
            assert (tmp_path / text.split("/")[-1].strip()).exists()
            continue
        result = subprocess.run([groff, "-man", "-Tutf8", "-ww", "-z",
                                 str(path)], capture_output=True, text=True,
                                timeout=60, check=False)
        assert result.returncode == 0 and result.stderr == "", \
            (path.name, result.stderr[:500])
        rendered += 1
    assert rendered >= len(manpages.PROGRAMS) + len(manpages.DAEMONS)


@pytest.mark.parametrize("program,variable", [
    ("gnt-instance", "GNT_INSTANCE_LIST"), ("gnt-node", "GNT_NODE_LIST"),
    ("gnt-group", "GNT_GROUP_LIST")])
def test_list_default_arguments_are_documented(program, variable,
                                               monkeypatch):
    """The page names the variable the list command really reads."""
    from ganeti import cli
    module_name, summary = manpages.PROGRAMS[program]
    page = _plain(manpages.RenderManPage(program, module_name, summary))
    assert "\n.SH ENVIRONMENT\n%s:" % variable in page
    commands, aliases = manpages.CommandTable(module_name)
    monkeypatch.setenv(variable, "--no-headers")
    _func, options, _args = cli.ParseArgs(
        program, [program, "list"], commands, aliases,
        env_override=frozenset(["list"]))
    assert options.no_headers


def test_watcher_page_names_its_real_files():
    from ganeti import pathutils
    page = _plain(manpages.RenderDaemonManPage(
        "ganeti-watcher", "watcher.main", "Ganeti cluster watcher", None))
    files = page.split("\n.SH FILES\n")[1].split("\n.SH ")[0]
    for path in (pathutils.WATCHER_LOCK_FILE, pathutils.WATCHER_PAUSEFILE,
                 pathutils.LOG_WATCHER,
                 pathutils.WATCHER_GROUP_STATE_FILE % "GROUP-UUID"):
        assert path in files, path
    assert "\n.SH EXIT STATUS\n" in page


@pytest.mark.parametrize("program", sorted(
    p for p in manpages.LIST_RESOURCES if p in manpages.PROGRAMS))
def test_list_section_documents_every_query_field(program):
    """The fields come from the query tables the master answers from; the
    fields of the Nth NIC or disk are one NAME/N entry."""
    from ganeti import query
    module_name, summary = manpages.PROGRAMS[program]
    page = _plain(manpages.RenderManPage(program, module_name, summary))
    section = page.split("\n.SS LIST\n")[1].split("\n.SS ")[0]
    resource = manpages.LIST_RESOURCES[program]
    for fdef in query.GetAllFields(query.GetFieldDefs(resource)):
        name = manpages._INDEXED_FIELD_RE.sub(r"\1/N", fdef.name)
        assert ".TP\n%s (%s)\n" % (name, fdef.kind) in section, name
        assert ".TP\n%s (" % fdef.name not in section or name == fdef.name


def test_indexed_fields_are_folded():
    fields = {name: doc for name, _k, _t, doc in
              manpages.ListFields("instance")}
    assert "nic.mac/0" not in fields and "disk.size/1" not in fields
    assert fields["nic.mac/N"].startswith("MAC address of network"
                                          " interface N (N from 0 to ")
    assert fields["disk.size/N"].startswith("Disk size of disk N")


def test_every_program_has_a_written_description():
    for program in manpages.PROGRAMS:
        paragraphs = manpage_text.DESCRIPTIONS.get(program)
        assert paragraphs and len(" ".join(paragraphs).split()) >= 20, \
            program


def test_texts_waiting_for_their_programs_have_substance():
    """gnt-backup and gnt-storage are documented as soon as their client
    modules exist; their texts already meet the bar of the others."""
    from ganeti.tools import manpage_text_backup as texts
    for details in (texts.BACKUP_DETAILS, texts.STORAGE_DETAILS):
        for name, paragraphs in details.items():
            assert len(_Sentences(" ".join(paragraphs))) >= 2, name
    assert set(texts.BACKUP_DETAILS) == {"export", "import", "list",
                                         "list-fields", "remove"}
    assert set(texts.STORAGE_DETAILS) == {"diagnose", "info"}


def test_common_and_daemon_options_get_the_right_notes():
    """--debug of a gnt-* command is explained as such; a daemon's own -d
    keeps its own help only."""
    page = _plain(manpages.RenderManPage("gnt-job", "gnt_job",
                                         "Ganeti job administration"))
    common = page.split("\n.SH OPTIONS OF EVERY COMMAND\n")[1]
    assert "debug_level" in common and "reason trail" in common
    noded = _plain(manpages.RenderDaemonManPage(
        "ganeti-noded", "noded", "Ganeti node daemon", constants.NODED))
    assert "debug_level" not in noded


def test_help_note_and_default_join_as_sentences():
    assert manpages._Append("Show input (in) or output (out)", "Default: in.") \
        == "Show input (in) or output (out). Default: in."
    assert manpages._Append("Mode (allocate, ...)", "One of: a.") == \
        "Mode (allocate, ...). One of: a."
    assert manpages._Append("Private (won't be logged.)", "Like -O.") == \
        "Private (won't be logged.) Like -O."
    assert manpages._Append("", "Default: 1.") == "Default: 1."
