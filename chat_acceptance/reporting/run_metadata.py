"""The run's metadata in the Allure results: its environment, who ran it (executor) and the failure categories."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chat_acceptance.files import SUITE_FILES
from chat_acceptance.redaction import REDACTED, Redactor, is_secret_name

# The report's fixed failure categories, copied into every run's results (findings.py adds one per finding).
CATEGORIES_FILE = SUITE_FILES / "reporting" / "categories.json"


def write_run_metadata(
    results_dir: str | os.PathLike[str],
    *,
    environment: Mapping[str, str],
    executor: Mapping[str, Any] | None = None,
    redactor: Redactor | None = None,
) -> None:
    """Writes environment.properties, executor.json and categories.json into the Allure results directory.

    `environment` is what the report shows as the run's environment (targets, embedded or external, versions);
    values are redacted, and those whose key names a password, token or secret are hidden whole. `executor`
    describes who ran the suite; None means: detect the CI from this process's environment variables.
    """
    redactor = redactor or Redactor()
    results = Path(results_dir)
    results.mkdir(parents=True, exist_ok=True)
    lines = [
        f"{_property(key, is_key=True)}={_property(_environment_value(key, value, redactor))}"
        for key, value in environment.items()
    ]
    (results / "environment.properties").write_text("\n".join(lines) + "\n", encoding="utf-8")
    described = executor if executor is not None else executor_from(os.environ)
    (results / "executor.json").write_text(json.dumps(redactor.json(dict(described)), indent=2), encoding="utf-8")
    shutil.copyfile(CATEGORIES_FILE, results / "categories.json")


def executor_from(environ: Mapping[str, str]) -> dict[str, Any]:
    """Who runs the suite, in Allure's executor.json shape: GitHub Actions, another CI, or "local"."""
    if environ.get("GITHUB_RUN_ID"):
        server = environ.get("GITHUB_SERVER_URL", "https://github.com")
        repository = environ.get("GITHUB_REPOSITORY", "")
        run_url = f"{server}/{repository}/actions/runs/{environ['GITHUB_RUN_ID']}" if repository else None
        number = environ.get("GITHUB_RUN_NUMBER", "")
        return _without_empty(
            {
                "name": "GitHub Actions",
                "type": "github",
                "url": f"{server}/{repository}" if repository else server,
                "buildOrder": int(number) if number.isdigit() else None,
                "buildName": f"{environ.get('GITHUB_WORKFLOW', 'run')} #{number or environ['GITHUB_RUN_ID']}",
                "buildUrl": run_url,
            }
        )
    if environ.get("CI") or environ.get("BUILD_URL"):  # BUILD_URL and BUILD_NUMBER: Jenkins and others
        number = environ.get("BUILD_NUMBER", "")
        return _without_empty(
            {
                "name": environ.get("CI_SERVER_NAME") or "CI",
                "type": "ci",
                "buildOrder": int(number) if number.isdigit() else None,
                "buildName": number and f"build #{number}",
                "buildUrl": environ.get("BUILD_URL") or environ.get("CI_JOB_URL"),
            }
        )
    return {"name": "local", "type": "local"}


def _without_empty(fields: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value not in (None, "")}


def _environment_value(key: str, value: Any, redactor: Redactor) -> str:
    if value and is_secret_name(key):
        return REDACTED
    return redactor.text(str(value))


def _property(text: str, *, is_key: bool = False) -> str:
    # Java .properties escaping, which Allure's reader undoes; in keys, separators and spaces too.
    text = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    if is_key:
        for char in " :=#!":
            text = text.replace(char, "\\" + char)
    return text
