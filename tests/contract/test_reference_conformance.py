"""The reference platform is held to the contract document: a bounded Schemathesis run from contract/openapi.yaml.

Every operation gets generated requests, valid (positive) and invalid (negative), against the running reference
services with a real token; no answer may be a 5xx or break the document, by Schemathesis' checks and by the
suite's ContractChecker alike. The run must catch the faults that break the document on purpose, and FastAPI's
routes must be the document's operations.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from schemathesis import GenerationMode

from reference_services import PlatformSettings, RunningPlatform, start_platform
from tests.contract.conformance_kit import DOCUMENT, HTTP_METHODS, Conformance, NonConformance, targets
from tests.reference_services.reference_testkit import FAST

# The quick settings, and streams that end at once: the run sends them by the hundred.
INSTANT_MODEL = {**FAST, "model_chunk_delay": 0.0}
TARGETS = {target.name: target for target in targets()}
RUNS = [
    pytest.param(target, mode, id=f"{target.name}-{mode.value}")
    for target in TARGETS.values()
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or target.takes_body
]


@pytest.fixture(scope="module")
def platform() -> Iterator[RunningPlatform]:
    with start_platform(PlatformSettings(**INSTANT_MODEL)) as running:
        yield running


@pytest.fixture(scope="module")
def conformance(platform: RunningPlatform) -> Conformance:
    return Conformance(platform)


@pytest.mark.parametrize(("target", "mode"), RUNS)
def test_every_generated_request_gets_an_answer_the_contract_allows(conformance, target, mode):
    conformance.run(target, mode)


# Faults that break the document on purpose: the run (operation, mode) that must meet each, and who finds it.
BOTH = ("Schemathesis", "ContractChecker")
CONTRACT_BREAKING_FAULTS = {
    "invalid_body_422": ("createSession@chat", GenerationMode.NEGATIVE, BOTH),  # an undeclared status
    "created_at_missing": ("createSession@chat", GenerationMode.POSITIVE, BOTH),  # a required field missing
    "tokens_used_as_string": ("confirmReply@chat", GenerationMode.POSITIVE, BOTH),  # a field of the wrong type
    "wrong_id_500": ("confirmReply@chat", GenerationMode.POSITIVE, BOTH),  # a 5xx
    "no_id_header": ("streamReply@chat", GenerationMode.POSITIVE, BOTH),  # a required header missing
    "no_done_event": ("streamReply@chat", GenerationMode.POSITIVE, ("Stream",)),  # a stream that never says done
}


@pytest.mark.parametrize("fault", CONTRACT_BREAKING_FAULTS)
def test_the_run_catches_a_reference_fault_that_breaks_the_contract(fault, reference_platform):
    name, mode, finders = CONTRACT_BREAKING_FAULTS[fault]
    with reference_platform(fault, **INSTANT_MODEL) as faulty:
        with pytest.raises(NonConformance) as caught:
            Conformance(faulty).run(TARGETS[name], mode)
    for finder in finders:
        assert f"\n{finder}: " in str(caught.value)


def test_fastapi_routes_and_the_document_name_the_same_operations(platform, conformance):
    """Each service's public routes (not /internal) are exactly the document's operations on that service."""

    def shape(path: str) -> str:
        return "/".join("{}" if part.startswith("{") else part for part in path.split("/"))  # {user_id} ~ {userId}

    documented = {(target.service, target.method, shape(target.path)) for target in targets()}
    served = set()
    for service in ("auth", "accounting", "chat"):
        for path, item in _generated_schema(platform, conformance, service)["paths"].items():
            if not path.startswith("/internal/"):
                served |= {(service, method, shape(path)) for method in item if method in HTTP_METHODS}
    assert served == documented


def test_fastapi_schemas_announce_400_for_an_invalid_body_as_the_contract_does(platform, conformance):
    for service in ("auth", "accounting", "chat"):
        for path, item in _generated_schema(platform, conformance, service)["paths"].items():
            for method, operation in item.items():
                statuses = operation.get("responses", {})
                assert "422" not in statuses, f"{service}: {method.upper()} {path} announces 422"
                if "requestBody" in operation and not path.startswith("/internal/"):
                    assert "400" in statuses, f"{service}: {method.upper()} {path} does not announce 400"


def _generated_schema(platform, conformance, service: str) -> dict:
    url = getattr(platform, f"{service}_url") + "/openapi.json"
    return conformance.http.get(url, timeout=(3, 10)).json()


def test_the_streams_event_schema_names_the_same_data_schemas_as_x_sse_events():
    """The document says what each event's data is twice: for tools (StreamEvent) and for the checker."""
    operation = DOCUMENT["paths"]["/api/chat/sessions/{sessionId}/stream"]["post"]
    schema = operation["responses"]["200"]["content"]["text/event-stream"]["schema"]
    event = DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    for_tools = {
        branch["if"]["properties"]["event"]["const"]: branch["then"]["properties"]["data"]["contentSchema"]
        for branch in event["allOf"]
    }
    assert for_tools == operation["x-sse-events"]
