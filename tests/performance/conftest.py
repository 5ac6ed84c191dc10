"""Fixtures of the performance tooling's tests (bench, parallel_suite, locustfile, load_run).

These tests check what the tools do and compute, never how fast anything is: the speed checks are `make bench`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from reference_services import PlatformSettings, RunningPlatform, start_platform


@pytest.fixture
def embedded_platform() -> Iterator[Callable[..., RunningPlatform]]:
    """embedded_platform(*faults) -> a running reference platform with those fault switches on."""
    started: list[RunningPlatform] = []

    def start(*faults: str) -> RunningPlatform:
        platform = start_platform(PlatformSettings(model_chunk_delay=0.005, faults=frozenset(faults)))
        started.append(platform)
        return platform

    yield start
    for platform in started:
        platform.stop()
