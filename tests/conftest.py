"""The test tiers. `make check` runs the fast tier (`-m "not slow"`), answering in under a minute; `make test`
runs everything. A test is slow when it runs the whole suite or a fault switch in a subprocess (meta,
performance), starts platform processes, builds the HTML report with Node, or sends generated requests by the
hundred (Schemathesis). Marking by place keeps a new test in those folders slow without anyone remembering.

Under pytest-xdist the longest tests go first: a run ends when its last test does, so a long one that starts
late (a fault switch's whole-suite run) holds up the end while the other workers have nothing left to do. How
long each test took last time is kept in pytest's cache (.pytest_cache); without it (a fresh clone) the slow
tier goes first, as collected, then the fast tier. The Makefile hands tests out one at a time as workers free
up (`--dist loadgroup`): in xdist's default chunks, the first tests would all go to one worker."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reference_services import PlatformSettings, RunningPlatform, start_platform
from tests.reference_services.reference_testkit import FAST

_HERE = Path(__file__).parent
DURATIONS = "chat-acceptance/durations"  # pytest's cache key: test id -> seconds (set-up, call and teardown)
_timed: dict[str, float] = {}  # this run's figures, kept by the controller at its end
SLOW_FOLDERS = ("meta", "performance")
SLOW_MODULES = (
    "reference_services/test_schemathesis.py",
    "reference_services/test_platform.py",
    "reference_services/test_shutdown_and_unreadable_requests.py",
    "contract/test_reference_conformance.py",
    "reporting/test_reporting_html_report.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        where = item.path.relative_to(_HERE).as_posix()
        if where.split("/")[0] in SLOW_FOLDERS or where in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
    if hasattr(config, "workerinput") and config.cache:  # an xdist worker: the order in which tests are handed out
        last = config.cache.get(DURATIONS, {})
        # Slow first; among them the longest last time first, one not timed yet before them all. Stable sort.
        items.sort(key=lambda item: (item.get_closest_marker("slow") is None, -last.get(item.nodeid, math.inf)))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Under xdist, the controller hears every worker's reports here too."""
    _timed[report.nodeid] = _timed.get(report.nodeid, 0.0) + report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    if hasattr(session.config, "workerinput") or not session.config.cache:
        return  # only the controller (or a run without xdist) keeps the figures
    timed = {nodeid: round(seconds, 2) for nodeid, seconds in _timed.items()}
    session.config.cache.set(DURATIONS, {**session.config.cache.get(DURATIONS, {}), **timed})


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
