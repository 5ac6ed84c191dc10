"""Turns the Allure results into a single-file HTML report with Allure 3 (pinned in package.json).

    python -m chat_acceptance.reporting.html_report [--results reports/allure-results] [--output reports/allure-report]

Prints one line. Exit status: 0 when the report was written, and also when it was skipped because Node.js is
missing or older than Allure 3 needs (the caller keeps the suite's own exit status); 1 when generation failed
(no results, npm ci or allure failed or timed out, no index.html); 2 for wrong arguments.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from chat_acceptance.files import SUITE_FILES

# The report's Node side (package.json, lockfile, Allure config, categories) lives in the repository's reporting/.
REPORTING_DIR = SUITE_FILES / "reporting"
ALLURE_CLI = REPORTING_DIR / "node_modules" / "allure" / "cli.js"
CONFIG_FILE = REPORTING_DIR / "allurerc.mjs"
MIN_NODE = (20, 19)  # Allure 3's "engines" requirement
NODE_VERSION_TIMEOUT_S = 15
NPM_CI_TIMEOUT_S = 300
GENERATE_TIMEOUT_S = 180


class ReportFailed(Exception):
    """Generation failed; the message is the one line to print."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m chat_acceptance.reporting.html_report", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=Path("reports/allure-results"),
        help="the Allure results directory behave wrote (default: %(default)s)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=Path("reports/allure-report"),
        help="where index.html goes; the run history sits beside it (default: %(default)s)",
    )
    args = parser.parse_args(argv)

    node = shutil.which("node")
    if node is None:
        print(f"HTML report skipped: Node.js is not installed (Allure 3 needs Node.js >= {_dotted(MIN_NODE)})")
        return 0
    try:
        version = _node_version(node)
        if version < MIN_NODE:
            print(
                f"HTML report skipped: Node.js {_dotted(version)} is too old "
                f"(Allure 3 needs Node.js >= {_dotted(MIN_NODE)})"
            )
            return 0
        index = generate(node, args.results.resolve(), args.output.resolve())
    except ReportFailed as failure:
        print(f"HTML report not generated: {failure}")
        return 1
    print(f"HTML report: {index}")
    return 0


def generate(node: str, results: Path, output: Path) -> Path:
    """Runs `allure generate` (installing Allure with npm ci first if needed); returns the report's index.html."""
    index = output / "index.html"
    index.unlink(missing_ok=True)  # so that a report from an earlier run can never pass for this one
    if not any(results.glob("*-result.json")):
        raise ReportFailed(f"no Allure results in {results}")
    _install_allure()
    # The history (one line per run, for trends) lives beside the report; allurerc.mjs reads this variable.
    history = {**os.environ, "ALLURE_HISTORY_FILE": str(output.parent / "allure-history.jsonl")}
    _run(
        [node, str(ALLURE_CLI), "generate", str(results), "--config", str(CONFIG_FILE), "--output", str(output)],
        timeout_s=GENERATE_TIMEOUT_S,
        what="allure generate",
        env=history,
    )
    if not index.is_file():
        raise ReportFailed(f"allure generate wrote no {index}")
    return index


def _install_allure() -> None:
    """npm ci, once: reports built at the same time (parallel tests, parallel runs) wait for one install."""
    with (REPORTING_DIR / "package-lock.json").open("rb") as lockfile:
        fcntl.flock(lockfile, fcntl.LOCK_EX)
        if ALLURE_CLI.exists():
            return
        npm = shutil.which("npm")
        if npm is None:
            raise ReportFailed("Allure 3 is not installed and npm is missing to install it")
        _run([npm, "ci", "--no-audit", "--no-fund"], timeout_s=NPM_CI_TIMEOUT_S, what="npm ci")


def _node_version(node: str) -> tuple[int, ...]:
    output = _run([node, "--version"], timeout_s=NODE_VERSION_TIMEOUT_S, what="node --version")
    match = re.search(r"v?(\d+)\.(\d+)", output)
    if match is None:
        raise ReportFailed(f"cannot read the Node.js version from {output.strip()!r}")
    return int(match[1]), int(match[2])


def _run(command: list[str], *, timeout_s: float, what: str, env: dict[str, str] | None = None) -> str:
    """Runs `command` in reporting/; returns its output, or raises ReportFailed with one line.

    The command gets its own process group, and a timeout kills the whole group: npm and node start children
    that would otherwise keep the output pipe open, and the wait would never end.
    """
    try:
        process = subprocess.Popen(
            command,
            cwd=REPORTING_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            start_new_session=True,
        )
    except OSError as error:
        raise ReportFailed(f"{what} could not start: {error}") from None
    with process:
        try:
            output, _ = process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise ReportFailed(f"{what} did not finish within {timeout_s:g} s") from None
    if process.returncode != 0:
        last_line = next((line.strip() for line in reversed(output.splitlines()) if line.strip()), "no output")
        raise ReportFailed(f"{what} failed with exit status {process.returncode}: {last_line}")
    return output


def _dotted(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


if __name__ == "__main__":
    sys.exit(main())
