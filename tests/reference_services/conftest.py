"""Fixtures for the reference platform's tests: real uvicorn servers on 127.0.0.1 (see reference_testkit)."""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from reference_services import PlatformSettings, RunningPlatform, start_platform
from tests.reference_services.reference_testkit import FAST, ReferenceClient

# Hypothesis (under Schemathesis) keeps a cache directory; keep it out of the working tree.
set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "reference-services-hypothesis"))


class _ErrorRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        # Cancelling a hung stream when a server stops (test_hang_after_chunks) is expected, not a crash.
        cancelled = record.exc_info is not None and isinstance(record.exc_info[1], asyncio.CancelledError)
        if not (cancelled or "timeout graceful shutdown exceeded" in record.getMessage()):
            self.records.append(record)


@pytest.fixture(scope="session", autouse=True)
def no_request_reaches_the_catch_all_handler() -> Iterator[None]:
    """The JSON 500 handler is a last resort: across the whole run, nothing may reach it (nor crash uvicorn)."""
    errors = _ErrorRecords()
    loggers = [logging.getLogger("reference_services"), logging.getLogger("uvicorn.error")]
    for logger in loggers:
        logger.addHandler(errors)
    yield
    for logger in loggers:
        logger.removeHandler(errors)
    assert [record.getMessage() for record in errors.records] == []


@pytest.fixture(scope="session")
def platform() -> Iterator[RunningPlatform]:
    with start_platform(PlatformSettings(**FAST)) as running:
        yield running


@pytest.fixture(scope="session")
def api(platform: RunningPlatform) -> ReferenceClient:
    return ReferenceClient(platform)


@pytest.fixture(scope="session")
def funded(api: ReferenceClient) -> str:
    """A user of its own with plenty of credits (balances stay exact: nothing else touches them)."""
    return api.user_with_credits(1_000_000)


@pytest.fixture
def platform_with(reference_platform: Callable[..., RunningPlatform]) -> Callable:
    """Starts a platform of its own, e.g. with faults: `with platform_with("late_id_store") as (platform, api):`;
    it stops when the block ends."""

    @contextmanager
    def start(*faults: str, **settings) -> Iterator[tuple[RunningPlatform, ReferenceClient]]:
        with reference_platform(*faults, **settings) as running:
            yield running, ReferenceClient(running)

    return start
