"""Man pages are generated from the command tables: every subcommand and
option of a program appears in its page."""

from ganeti.client import gnt_job
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
    assert manpages.main([]) == 1
