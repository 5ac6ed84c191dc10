"""The command's own rules (suite_tools/cli.py), and docs/configuration.md listing every setting as declared."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from chat_acceptance.config.suite_config import SETTINGS, settings_table
from suite_tools import cli

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "configuration.md"


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


def test_a_shard_runs_in_one_process(capsys):
    assert cli.main(["run", "--jobs", "2", "--shard", "1/2"]) == 2
    assert "--shard and --jobs cannot be combined" in capsys.readouterr().err


def test_the_makefile_hands_profile_jobs_shard_baseline_and_behave_options_to_the_command():
    def planned(*arguments: str) -> str:
        return subprocess.run(["make", "-n", *arguments], cwd=ROOT, capture_output=True, text=True, timeout=60).stdout

    assert (
        ".venv/bin/chat-acceptance run --profile staging -D baseline=known.json --jobs 2 --scheme feature "
        "--shard 1/3 --tags=@critical"
    ) in planned(
        "acceptance", "PROFILE=staging", "BASELINE=known.json", "JOBS=2", "SHARD=1/3", "BEHAVE_ARGS=--tags=@critical"
    )
    assert ".venv/bin/chat-acceptance run   --jobs 1 --scheme feature" in planned("acceptance")
    assert ".venv/bin/chat-acceptance baseline --profile qa.toml" in planned("baseline", "PROFILE=qa.toml")
    assert ".venv/bin/chat-acceptance report" in planned("report")
