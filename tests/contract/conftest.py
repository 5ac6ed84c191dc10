"""Fixtures of the contract tests: the document and one checker built from it."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from chat_acceptance.contract.checker import DEFAULT_DOCUMENT, ContractChecker


@pytest.fixture(scope="session")
def document() -> dict[str, Any]:
    with DEFAULT_DOCUMENT.open(encoding="utf-8") as stream:
        return yaml.safe_load(stream)


@pytest.fixture(scope="session")
def checker() -> ContractChecker:
    return ContractChecker.load()
