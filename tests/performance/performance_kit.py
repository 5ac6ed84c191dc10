"""Helpers of the performance tooling's tests: running the Locust profile against a platform."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from reference_services import RunningPlatform

ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = ROOT / "suite_tools" / "locustfile.py"
DEPLOYMENT_VARIABLES = ("AUTH_SERVICE_URL", "ACCOUNTING_SERVICE_URL", "CHAT_SERVICE_URL", "JWT_SECRET")
LOCUST_TIMEOUT_S = 120  # a hard stop far above the runs' own --run-time


@dataclass(frozen=True)
class LocustRun:
    exit_code: int
    output: str
    summary: dict | None


def platform_environment(platform: RunningPlatform) -> dict[str, str]:
    return deployment_environment(platform.auth_url, platform.accounting_url, platform.chat_url)


def deployment_environment(auth_url: str, accounting_url: str, chat_url: str) -> dict[str, str]:
    """This process's environment, naming that deployment (and no JWT secret)."""
    environment: Mapping[str, str] = {
        name: value for name, value in os.environ.items() if name not in DEPLOYMENT_VARIABLES
    }
    return {
        **environment,
        "AUTH_SERVICE_URL": auth_url,
        "ACCOUNTING_SERVICE_URL": accounting_url,
        "CHAT_SERVICE_URL": chat_url,
    }


def run_locust(environment: dict[str, str], tmp_path: Path, *arguments: str) -> LocustRun:
    summary_file = tmp_path / "summary.json"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "--only-summary",
            "--loglevel",
            "WARNING",
            "--summary-json",
            str(summary_file),
            *arguments,
        ],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=LOCUST_TIMEOUT_S,
    )
    summary = json.loads(summary_file.read_text()) if summary_file.exists() else None
    return LocustRun(completed.returncode, completed.stdout + completed.stderr, summary)
