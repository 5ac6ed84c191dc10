"""The test tiers. `make check` runs the fast tier (`-m "not slow"`), answering in under a minute; `make test`
runs everything. A test is slow when it runs the whole suite or a fault switch in a subprocess (meta,
performance), starts platform processes, builds the HTML report with Node, or sends generated requests by the
hundred (Schemathesis). Marking by place keeps a new test in those folders slow without anyone remembering."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reference_services import PlatformSettings, RunningPlatform, start_platform
from tests.reference_services.reference_testkit import FAST

_HERE = Path(__file__).parent
SLOW_FOLDERS = ("meta", "performance")
SLOW_MODULES = (
    "reference_services/test_schemathesis.py",
    "reference_services/test_platform.py",
    "reference_services/test_shutdown_and_unreadable_requests.py",
    "contract/test_reference_conformance.py",
    "reporting/test_reporting_html_report.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        where = item.path.relative_to(_HERE).as_posix()
        if where.split("/")[0] in SLOW_FOLDERS or where in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def reference_platform() -> Iterator[Callable[..., RunningPlatform]]:
    """reference_platform(*faults, **settings) -> a reference platform of the test's own, with those fault
    switches on and quick settings (FAST, unless overridden); stopped after the test. For the reference
    services', the contract's and the performance tools' tests alike."""
    started: list[RunningPlatform] = []

    def start(*faults: str, **settings: object) -> RunningPlatform:
        platform = start_platform(PlatformSettings(faults=frozenset(faults), **{**FAST, **settings}))
        started.append(platform)
        return platform

    yield start
    for platform in started:
        platform.stop()
