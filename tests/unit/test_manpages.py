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
