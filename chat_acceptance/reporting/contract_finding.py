"""A contract finding as an Allure result of its own, beside a scenario whose behaviour verdict failed first."""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from pathlib import Path

from behave.model import Scenario


def write_contract_finding(results_dir: str | os.PathLike[str], scenario: Scenario, finding: str, details: str) -> Path:
    """One Allure result of its own for a contract finding met in a scenario whose behaviour verdict failed first.

    An Allure test has one status and one category: the scenario keeps its behaviour verdict ("Wrong streaming
    ID accepted", ...), and this result puts the finding beside it, under "Contract violation", linked across
    runs by its own history ID. `finding` is the stable one-line message, `details` every finding in full.
    """
    now = int(time.time() * 1000)
    identity = f"{scenario.feature.name}: {scenario.name} (contract)"
    result = {
        "uuid": str(uuid.uuid4()),
        "historyId": hashlib.md5(identity.encode()).hexdigest(),
        "testCaseId": hashlib.md5(identity.encode()).hexdigest(),
        "fullName": identity,
        "name": f"{scenario.name} (contract)",
        "status": "failed",
        "statusDetails": {"message": finding, "trace": details},
        "stage": "finished",
        "start": now,
        "stop": now,
        "labels": [
            {"name": "feature", "value": scenario.feature.name},
            {"name": "epic", "value": "Contract conformance"},
            {"name": "framework", "value": "behave"},
        ],
    }
    path = Path(results_dir) / f"{result['uuid']}-result.json"
    path.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return path
