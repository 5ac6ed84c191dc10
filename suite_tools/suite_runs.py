"""How the acceptance suite is run, in one place: the embedded reference platform it starts when no deployment
is configured (environment.py, parallel runs), and the scratch directories from which tools run behave
(fault matrix, parallel runs, bench) so that their runs never mix with the real reports.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

from chat_acceptance.config.suite_config import SuiteConfig, defaults
from chat_acceptance.files import SUITE_FILES
from reference_services.platform import PlatformSettings, RunningPlatform, start_platform

ROOT = Path(__file__).resolve().parents[1]
FEATURES = SUITE_FILES / "features"
# The seed's own scenarios (a reply confirmed with its own ID; a made-up and a look-alike ID rejected): the
# smallest run that still streams, confirms and refuses, for meta-tests about how a run copes.
SEED_SCENARIOS = "@behaviour.own_id_confirms or @behaviour.wrong_id_rejected"
SERVICE_URL_VARIABLES = ("AUTH_SERVICE_URL", "ACCOUNTING_SERVICE_URL", "CHAT_SERVICE_URL")
DEPLOYMENT_VARIABLES = (*SERVICE_URL_VARIABLES, "JWT_SECRET")
# The embedded platform only ever holds test accounts: at the reference default (200,000 PBKDF2 iterations)
# signing in would be a quarter of the suite's time.
EMBEDDED_PASSWORD_ITERATIONS = 1000


def start_embedded_platform(config: SuiteConfig) -> RunningPlatform:
    """The reference platform on free loopback ports, with the run's model pace, faults and signing secret."""
    return start_platform(
        PlatformSettings(
            model_chunk_delay=config.model_chunk_delay_s,
            faults=frozenset(config.reference_faults),
            jwt_secret=config.jwt_secret,  # None: the platform makes one up, and the suite learns it
            password_iterations=EMBEDDED_PASSWORD_ITERATIONS,
        )
    )


def behave_settings() -> dict[str, object]:
    """pyproject's [tool.behave]."""
    return dict(tomllib.loads((SUITE_FILES / "pyproject.toml").read_text())["tool"]["behave"])


def suite_userdata() -> dict[str, object]:
    """The suite's defaults, as behave userdata (declared in chat_acceptance.config.suite_config)."""
    return dict(defaults())


def write_behave_ini(
    directory: Path, *, formats: Mapping[str, Path | str], show_skipped: bool = True, junit: Path | None = None
) -> Path:
    """A behave.ini in `directory`: the features, formatter -> output file, JUnit only into `junit`, pyproject's
    userdata.

    behave reads its configuration from the directory it runs in, so a run from `directory` writes only what
    `formats` says: no Allure results in reports/, no JUnit files.
    """
    settings = behave_settings()
    lines = [
        "[behave]",
        f"paths = {FEATURES}",
        # The console and the scenario names as in a real run (pyproject's [tool.behave]).
        f"default_format = {settings['default_format']}",
        f"scenario_outline_annotation_schema = {settings['scenario_outline_annotation_schema']}",
        # Several values of one option: one per line, indented (behave's INI format).
        "format = " + "\n    ".join(formats),
        "outfiles = " + "\n    ".join(str(output) for output in formats.values()),
        f"junit = {'true' if junit else 'false'}",
        *([f"junit_directory = {junit}"] if junit else []),
        f"show_skipped = {str(show_skipped).lower()}",
        "",
        "[behave.formatters]",
        *(f"{name} = {location}" for name, location in settings["formatters"].items()),
        "",
        "[behave.userdata]",
        *(f"{name} = {value}" for name, value in suite_userdata().items()),
    ]
    path = directory / "behave.ini"
    path.write_text("\n".join(lines) + "\n")
    return path


def embedded_only(environ: Mapping[str, str]) -> dict[str, str]:
    """The caller's environment without a deployment, so the run starts the embedded platform."""
    return {name: value for name, value in environ.items() if name not in DEPLOYMENT_VARIABLES}
