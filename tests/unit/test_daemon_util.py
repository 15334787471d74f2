"""daemon-util reads /etc/default/ganeti as a shell sourcing it would."""

from ganeti import daemon_util


def _args(monkeypatch, tmp_path, text, daemon="ganeti-noded"):
    defaults = tmp_path / "ganeti"
    defaults.write_text(text)
    monkeypatch.setattr(daemon_util, "DEFAULTS_FILE", str(defaults))
    return daemon_util._extra_args(daemon)


def test_double_quoted_value_is_split_into_words(monkeypatch, tmp_path):
    assert _args(monkeypatch, tmp_path, 'NODED_ARGS="-b 127.0.1.1"\n') == \
        ["-b", "127.0.1.1"]


def test_empty_quoted_value_gives_no_argument(monkeypatch, tmp_path):
    assert _args(monkeypatch, tmp_path, 'NODED_ARGS=""\n') == []


def test_single_quotes_comments_and_last_assignment(monkeypatch, tmp_path):
    text = ("# defaults\nNODED_ARGS='--no-mlock'\n"
            "export NODED_ARGS='-d  --no-mlock'  # debug\n"
            "RAPI_ARGS=-b\n")
    assert _args(monkeypatch, tmp_path, text) == ["-d", "--no-mlock"]
    assert _args(monkeypatch, tmp_path, text, "ganeti-rapi") == ["-b"]


def test_missing_file_or_variable_gives_no_argument(monkeypatch, tmp_path):
    monkeypatch.setattr(daemon_util, "DEFAULTS_FILE", str(tmp_path / "none"))
    assert daemon_util._extra_args("ganeti-noded") == []
    assert _args(monkeypatch, tmp_path, "MASTERD_ARGS=-d\n") == []


def test_parse_shell_assignments_ignores_commands_and_bad_quotes():
    values = daemon_util.ParseShellAssignments(
        'A=1 B="two words"\necho C=3\nD="unterminated\nE=a\\ b\n')
    assert values == {"A": "1", "B": "two words", "E": "a b"}
