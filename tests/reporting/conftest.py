"""Runs behave with the Allure formatter on a throwaway feature and reads what it wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# The repository, on the behave runs' path so that their steps import tests.reporting.reporting_samples.
REPOSITORY = Path(__file__).resolve().parents[2]
BEHAVE_TIMEOUT_S = 60


@dataclass(frozen=True)
class BehaveRun:
    returncode: int
    output: str
    results_dir: Path

    def results(self) -> dict[str, dict[str, Any]]:
        """The Allure test results, by scenario name."""
        results = (json.loads(path.read_text()) for path in self.results_dir.glob("*-result.json"))
        return {result["name"]: result for result in results}

    def labels(self, scenario: str) -> list[tuple[str, Any]]:
        return [(label["name"], label["value"]) for label in self.results()[scenario]["labels"]]

    def attachments(self, scenario: str) -> dict[str, str]:
        """Every attachment of the scenario and its steps, by name."""
        result = self.results()[scenario]
        found = [*result.get("attachments", [])]
        for step in result.get("steps", []):
            found += step.get("attachments", [])
        return {item["name"]: (self.results_dir / item["source"]).read_text() for item in found}


@pytest.fixture
def run_behave(tmp_path):
    """run_behave(feature=..., steps=..., environment=...) -> BehaveRun, in a directory of its own."""

    def run(*, feature: str, steps: str, environment: str = "", allure: bool = True) -> BehaveRun:
        features = tmp_path / "features"
        (features / "steps").mkdir(parents=True)
        (features / "example.feature").write_text(textwrap.dedent(feature))
        (features / "steps" / "steps.py").write_text(textwrap.dedent(steps))
        (features / "environment.py").write_text(textwrap.dedent(environment))
        formatter = ["-f", "allure_behave.formatter:AllureFormatter", "-o", "results"] if allure else []
        # cwd is the temporary directory, so behave reads no [tool.behave] of this project.
        completed = subprocess.run(
            [sys.executable, "-m", "behave", *formatter, "-f", "plain", "--no-capture", "features"],
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPOSITORY), os.environ.get("PYTHONPATH", "")])},
            capture_output=True,
            text=True,
            timeout=BEHAVE_TIMEOUT_S,
        )
        return BehaveRun(completed.returncode, completed.stdout + completed.stderr, tmp_path / "results")

    return run
