"""docs/configuration.md lists every setting as the declaration says, and the command prints it so."""
from __future__ import annotations

import re
from pathlib import Path

from chat_acceptance.config import SETTINGS, settings_table
from suite_tools import cli

PAGE = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_the_settings_table_in_the_docs_is_the_declarations():
    found = re.search(r"<!-- settings table:[^\n]*-->\n(.*?)\n<!-- end of settings table -->", PAGE.read_text(), re.S)
    assert found, "docs/configuration.md has lost its settings table markers"
    assert found.group(1) == settings_table(), (
        "docs/configuration.md is out of date: replace its table with `chat-acceptance config --table`"
    )
    assert all(f"| `{declared.name}` |" in found.group(1) for declared in SETTINGS)


def test_config_prints_each_value_and_its_source_and_no_secret(capsys, monkeypatch):
    monkeypatch.setenv("ADMIN_PASSWORD", "from-the-environment")
    assert cli.main(["config", "-D", "read_timeout=7"]) == 0
    shown = capsys.readouterr().out
    assert "read_timeout = 7.0  (from -D read_timeout)" in shown
    assert "admin_password = <REDACTED>  (from $ADMIN_PASSWORD)" in shown
    assert "from-the-environment" not in shown and "User1@123" not in shown


def test_config_names_a_typo_in_one_line(capsys):
    assert cli.main(["config", "-D", "read_timout=7"]) == 2
    assert capsys.readouterr().err == (
        "chat-acceptance: configuration: unknown setting -D read_timout; did you mean read_timeout?\n"
    )
