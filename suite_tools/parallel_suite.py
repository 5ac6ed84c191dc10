"""Runs the acceptance suite in parallel behave processes (behavex) against one platform for the whole run.

    python -m suite_tools.parallel_suite --jobs 2 [--scheme feature|scenario] \\
        [behavex options: --tags=..., -D name=value, ...]

`make acceptance JOBS=2` calls it. What it does:

- Deployment: when AUTH_SERVICE_URL, ACCOUNTING_SERVICE_URL and CHAT_SERVICE_URL are set, every behave process
  tests that deployment. Otherwise it starts ONE embedded reference platform in this process (free loopback
  ports; the suite's `model_chunk_delay`, `reference_faults` and `jwt_secret`, from -D, the environment or
  pyproject, as before_all would), hands its URLs and JWT secret to every behave process through those same
  variables, and stops it at the end whatever happened.
  (Left to themselves, behavex's processes would each start a platform in before_all.)
- Reports: every behave process writes its Allure results into one directory (reports/allure-results), so
  `python -m chat_acceptance.reporting.html_report` builds one report over all of them, attachments included. behavex's
  own output (report.html, report.json) goes to reports/behavex and its JUnit files are copied to reports/junit.
  The processes print no pretty output (it would interleave); behavex prints the summary and the failures.
- Exit status: behavex's, non-zero when a scenario failed or the run broke.

behave reads its configuration from a scratch directory's behave.ini: pyproject's [tool.behave] userdata, the
Allure formatter writing to the results directory, no console formatter and no JUnit of its own.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from chat_acceptance.config.suite_config import SuiteConfig
from suite_tools.suite_runs import (
    FEATURES,
    ROOT,
    SERVICE_URL_VARIABLES,
    start_embedded_platform,
    suite_userdata,
    write_behave_ini,
)

RUN_TIMEOUT_S = 600  # a hard stop far above any run's own deadlines: only a broken run could reach it


@dataclass(frozen=True)
class ParallelRun:
    exit_code: int
    seconds: float  # the whole run: platform start, behavex, platform stop
    output: str


def defines_in(arguments: Sequence[str]) -> dict[str, str]:
    """The -D/--define name=value pairs among behave/behavex arguments (later ones win)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("-D", "--define", action="append", default=[])
    known, _ = parser.parse_known_args(list(arguments))
    return dict(define.split("=", 1) if "=" in define else (define, "true") for define in known.define)


def features_longest_first(features: Path = FEATURES) -> list[Path]:
    """The feature files, those with the most scenarios first, so that behavex starts the longest ones at once
    and fills in with the short ones (its own order is the directory's, arbitrary)."""
    from behave.parser import parse_file

    files = sorted(features.rglob("*.feature"))
    return sorted(files, key=lambda path: -sum(1 for _ in parse_file(str(path)).walk_scenarios()))


def deployment_configured(environ: Mapping[str, str]) -> bool:
    return any(environ.get(name) for name in SERVICE_URL_VARIABLES)


@contextmanager
def platform_environment(environ: Mapping[str, str], defines: Mapping[str, str]) -> Iterator[dict[str, str]]:
    """The environment for the behave processes: the caller's deployment, or one embedded platform started
    here for the whole run, as before_all would start it (stopped on leaving, even on failure or Ctrl-C)."""
    config = SuiteConfig.from_sources({**suite_userdata(), **defines}, defines, environ)
    if not config.embedded:  # the environment's or the profile's deployment
        yield dict(environ)
        return
    platform = start_embedded_platform(config)
    try:
        yield {
            **environ,
            "AUTH_SERVICE_URL": platform.auth_url,
            "ACCOUNTING_SERVICE_URL": platform.accounting_url,
            "CHAT_SERVICE_URL": platform.chat_url,
            "JWT_SECRET": platform.jwt_secret,
        }
    finally:
        platform.stop()


def run(
    jobs: int,
    *,
    scheme: str = "feature",
    behavex_args: Sequence[str] = (),
    results_dir: Path = ROOT / "reports" / "allure-results",
    output_dir: Path = ROOT / "reports" / "behavex",
    junit_dir: Path | None = ROOT / "reports" / "junit",
    environ: Mapping[str, str] | None = None,
    capture: bool = False,
) -> ParallelRun:
    """One parallel run of the suite; `capture` keeps its console output instead of printing it."""
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, not {jobs}")
    environ = dict(os.environ if environ is None else environ)
    results_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="parallel-suite-") as scratch:
        write_behave_ini(Path(scratch), formats={"allure": results_dir.resolve()})
        command = [
            sys.executable,
            "-m",
            "behavex",
            *(str(path) for path in features_longest_first()),
            "--parallel-processes",
            str(jobs),
            "--parallel-scheme",
            scheme,
            "--output-folder",
            str(output_dir.resolve()),
            "--no-color",
            *behavex_args,
        ]
        # The processes share the configured accounts: each scenario gets accounts of its own to compare.
        environ.setdefault("SHARED_ACCOUNTS", "on")
        with platform_environment(environ, defines_in(behavex_args)) as environment:
            # behavex keeps some files in the temporary directory under fixed names: one of its own per run.
            completed = subprocess.run(
                command,
                cwd=scratch,
                env={**environment, "TMPDIR": scratch},
                timeout=RUN_TIMEOUT_S,
                capture_output=capture,
                text=True,
            )
    seconds = time.monotonic() - started
    if junit_dir is not None:
        _copy_junit(output_dir / "behave", junit_dir)
    output = (completed.stdout or "") + (completed.stderr or "") if capture else ""
    return ParallelRun(completed.returncode, seconds, output)


def _copy_junit(source: Path, target: Path) -> None:
    reports = sorted(source.glob("TESTS-*.xml")) if source.is_dir() else []
    if reports:
        target.mkdir(parents=True, exist_ok=True)
        for report in reports:
            shutil.copy2(report, target / report.name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m suite_tools.parallel_suite",
        description=__doc__.splitlines()[0],
        allow_abbrev=False,  # an abbreviation must not swallow a behavex option
        epilog="Any other argument goes to behavex (e.g. --tags=@core, -D stream_deadline=30).",
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="behave processes at once")
    parser.add_argument(
        "--scheme",
        choices=("feature", "scenario"),
        default="feature",
        help="one process per feature (default: fewer set-ups) or per scenario",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=ROOT / "reports" / "allure-results",
        help="Allure results directory (default: %(default)s)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=ROOT / "reports" / "behavex",
        help="behavex's output folder, emptied first (default: %(default)s)",
    )
    arguments, behavex_args = parser.parse_known_args(argv)
    if arguments.jobs < 1:
        parser.error(f"--jobs must be at least 1, not {arguments.jobs}")
    print(
        f"parallel run: {arguments.jobs} behave processes, one per {arguments.scheme}, against "
        + ("the configured deployment" if deployment_configured(os.environ) else "one embedded reference platform"),
        flush=True,
    )
    result = run(
        arguments.jobs,
        scheme=arguments.scheme,
        behavex_args=behavex_args,
        results_dir=arguments.results,
        output_dir=arguments.output,
    )
    print(f"parallel run took {result.seconds:.1f} s (exit status {result.exit_code})")
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())
