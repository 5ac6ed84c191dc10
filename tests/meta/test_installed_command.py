"""The command as a new team gets it: a wheel installed into a fresh virtual environment outside the checkout,
without the extras (no Locust, Schemathesis or pytest), runs the suite against the embedded reference platform
and, with a profile, against a platform started separately by `chat-acceptance serve`.

Slow (a wheel build, a venv, two suite runs): marked `slow`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.meta.meta_kit import separate_deployment

ROOT = Path(__file__).resolve().parents[2]
SEED_SCENARIOS = "@behaviour.own_id_confirms or @behaviour.wrong_id_rejected"
PASSWORDS = {"QA_ALICE": "User1@123", "QA_BOB": "User2@123", "QA_ADMIN": "admin@admin", "QA_SUPERVISOR": "Supervisor1@"}

# One worker runs them all (make test's --dist loadgroup), so that the wheel and its venv are made once.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("installed")]
# What a checkout holds that is no source of the package: tools' and builds' own directories.
NOT_SOURCE = (
    ".git",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "node_modules",
    "reports",
    "site",
    "__pycache__",
    ".*_cache",
)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The venv's bin directory, with chat-acceptance installed from a freshly built wheel (pip's own
    configuration: the machine's index and cache)."""
    scratch = tmp_path_factory.mktemp("installed")
    # Built from a copy of the checkout: setuptools builds inside the source tree (build/), where another build,
    # or a leftover of one, made pip fail with "File exists" (a clean-clone make test saw it once).
    source = scratch / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    wheels = scratch / "wheels"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheels), str(source)], timeout=300)
    (wheel,) = wheels.glob("chat_acceptance-*.whl")
    run([sys.executable, "-m", "venv", str(scratch / "venv")], timeout=120)
    bin_dir = scratch / "venv" / "bin"
    run([str(bin_dir / "pip"), "install", "--quiet", "--disable-pip-version-check", str(wheel)], timeout=600)
    return bin_dir


def run(command: list[str], *, timeout: float, cwd: Path | None = None, env: dict | None = None, check: bool = True):
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check:
        assert done.returncode == 0, (
            f"{command[:3]} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return done


def clean_environment() -> dict[str, str]:
    """The caller's environment without anything that names a deployment or the checkout's venv."""
    return {
        name: value
        for name, value in os.environ.items()
        if name not in ("VIRTUAL_ENV", "PYTHONPATH") and not name.endswith(("_SERVICE_URL", "_PASSWORD"))
    }


def test_only_the_suite_and_the_reference_platform_are_installed(installed):
    probe = (
        "import importlib.util as u; "
        "print([m for m in ('locust', 'schemathesis', 'pytest', 'gevent', 'flask') if u.find_spec(m)])"
    )
    assert run([str(installed / "python"), "-c", probe], timeout=60).stdout.strip() == "[]"


def test_parallel_runs_ask_for_their_extra(installed, tmp_path):
    done = run([str(installed / "chat-acceptance"), "run", "--jobs", "2"], timeout=60, cwd=tmp_path, check=False)
    assert done.returncode == 2
    assert done.stderr == "chat-acceptance: --jobs needs behavex: pip install 'chat-acceptance[parallel]'\n"


def test_every_command_has_help(installed, tmp_path):
    for command in ([], ["run"], ["baseline"], ["report"], ["serve"], ["config"]):
        shown = run([str(installed / "chat-acceptance"), *command, "--help"], timeout=60, cwd=tmp_path)
        assert "usage:" in shown.stdout


def test_the_installed_command_runs_the_suite_green_outside_the_checkout(installed, tmp_path):
    done = run(
        [str(installed / "chat-acceptance"), "run", "-f", "progress"],
        timeout=600,
        cwd=tmp_path,
        env=clean_environment(),
    )
    assert "0 failed" in done.stdout and "passed" in done.stdout
    assert (tmp_path / "reports" / "junit").is_dir() and (tmp_path / "reports" / "allure-results").is_dir()


def test_a_profile_points_the_installed_command_at_a_separately_started_platform(installed, tmp_path):
    serve = (str(installed / "chat-acceptance"), "serve")
    with separate_deployment(start_deadline_s=60, serve=serve) as deployment:
        profile = tmp_path / "qa.toml"
        profile.write_text(profile_text(list(deployment.values())))
        environment = {**clean_environment(), **PASSWORDS}
        command = [str(installed / "chat-acceptance"), "run", "--profile", str(profile), "--tags", SEED_SCENARIOS]
        done = run(command + ["-f", "progress"], timeout=600, cwd=tmp_path, env=environment)
        assert "3 scenarios passed, 0 failed" in done.stdout, done.stdout[-2000:]
        assert (
            "from profile"
            in run(
                [str(installed / "chat-acceptance"), "config", "--profile", str(profile)],
                timeout=60,
                cwd=tmp_path,
                env=environment,
            ).stdout
        )

        wrong = run(command, timeout=600, cwd=tmp_path, env={**environment, "QA_SUPERVISOR": "not-it"}, check=False)
        assert wrong.returncode != 0
        assert "ABORTED: supervisor_password (from $QA_SUPERVISOR, named in profile" in wrong.stderr
        assert "not-it" not in wrong.stdout + wrong.stderr


def profile_text(urls: list[str]) -> str:
    return "\n".join(
        [
            "[services]",
            *(f'{name}_service_url = "{url}"' for name, url in zip(("auth", "accounting", "chat"), urls, strict=True)),
            "[accounts]",
            'test_user_password = { env = "QA_ALICE" }',
            'second_user_password = { env = "QA_BOB" }',
            'admin_password = { env = "QA_ADMIN" }',
            'supervisor_password = { env = "QA_SUPERVISOR" }',
            "[requests.extra_headers]",
            'X-Test-Run = "packaging"',
            "",
        ]
    )
