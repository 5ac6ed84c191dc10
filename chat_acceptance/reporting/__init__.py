"""What the suite adds to the Allure results: labels from tags, redacted attachments, run metadata.

Everything here is a cheap no-op when behave runs without the Allure formatter. Attachments and labels need
`allure_dynamic.install()` from before_all; they land on the running scenario (before_scenario to
after_scenario), or on the running step when there is one.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import allure
from allure_commons.mapping import parse_tag
from allure_commons.model2 import Link
from allure_commons.types import Severity
from behave.model import Rule, Scenario, ScenarioOutline

from chat_acceptance import contract_map
from chat_acceptance.files import SUITE_FILES
from chat_acceptance.redaction import REDACTED, Redactor, is_secret_name
from chat_acceptance.reporting.allure_dynamic import current_test
from chat_acceptance.transport.client import Exchange
from chat_acceptance.transport.sse import StreamResult

# Where a @contract.<anchor> tag links to: the contract, relative to the report's index.html in
# reports/allure-report/ (the contract lives beside this repository, in ../shared/contract.md).
CONTRACT_URL = "../../../shared/contract.md"
# The names of the JSON attachments that `make bench` reads: each streamed reply's timing (stream_timing()),
# and the near misses a scenario tried with how long their confirmations took (World.try_near_misses).
STREAM_TIMING = "stream timing"
NEAR_MISS_TIMING = "near miss timing"
# The map of the contract (contract/promises.yaml), relative to reports/allure-report/index.html.
MAP_URL = "../../contract/promises.yaml"
CATEGORIES_FILE = SUITE_FILES / "reporting" / "categories.json"

_ROW_ID = re.compile(r" -- @\d+\.\d+$")  # behave's row annotation (pyproject: scenario_outline_annotation_schema)
_SEVERITIES = frozenset(severity.value for severity in Severity)


# -- labels -------------------------------------------------------------------------------------------------


def apply_scenario_labels(scenario: Scenario, *, contract_url: str = CONTRACT_URL, map_url: str = MAP_URL) -> None:
    """Adds the labels and links that allure-behave does not derive itself. Call from before_scenario.

    allure-behave already turns the feature's and the scenario's tags into labels (every tag a `tag`,
    @blocker..@trivial a severity, @allure.label.<name>:<value>, @allure.link...) and adds the feature label.
    This adds the epic (@epic.<name>, underscores read as spaces; else the feature's name), the story (the
    scenario's Rule), the Rule's own tags (allure-behave ignores them; the most specific severity wins) and a
    link per @contract.<anchor> to that section of the contract.
    """
    if current_test() is None:
        return
    rule = _rule_of(scenario)
    rule_tags = list(rule.tags) if rule else []
    tags = [*scenario.feature.tags, *rule_tags, *scenario.tags]  # least to most specific

    epics = [tag.removeprefix("epic.").replace("_", " ") for tag in tags if tag.startswith("epic.")]
    allure.dynamic.epic(*(epics or [scenario.feature.name]))
    if rule is not None:
        allure.dynamic.story(rule.name)
    for tag in rule_tags:
        parsed = parse_tag(tag)
        if isinstance(parsed, Link):
            allure.dynamic.link(parsed.url, link_type=parsed.type, name=parsed.name)
        elif parsed.name != "severity":
            allure.dynamic.label(parsed.name, parsed.value)
    severities = [tag for tag in tags if tag in _SEVERITIES]
    if severities:
        allure.dynamic.severity(severities[-1])
    for anchor in dict.fromkeys(tag.removeprefix("contract.") for tag in tags if tag.startswith("contract.")):
        allure.dynamic.link(f"{contract_url}#{anchor}", name=f"contract: {_section_title(anchor)}")
    # The map of the contract on each scenario: a label per promise it checks, and a link to the map per contract
    # section naming them (Allure keeps one link per address, so these never replace the section links above).
    by_section: dict[str, list[str]] = {}
    for promise in contract_map.load().for_tags(tags):
        allure.dynamic.label("promise", promise.id)
        by_section.setdefault(contract_map.section_of(promise.quote), []).append(promise.id)
    for anchor, ids in by_section.items():
        allure.dynamic.link(f"{map_url}#{anchor}", name=f"promises ({_section_title(anchor)}): {', '.join(ids)}")


def name_outline_rows(features) -> None:
    """Names each Scenario Outline row by its example values instead of behave's "-- @1.2". Call from before_all,
    before any formatter sees a scenario.

    pyproject's `scenario_outline_annotation_schema = "{name} -- @{row.id}"` gives every row a distinct name
    while the features are parsed (behavex tells rows apart by it); behave's schema cannot show the values. Here
    the "-- @1.2" goes, a name whose <placeholders> already hold the row's values is kept as it is, and rows
    whose names would be alike get their values appended: "An allocation raises the balance ... (username)".
    """
    for feature in features:
        for outline in _outlines(feature):
            rows = outline.scenarios
            names = [_ROW_ID.sub("", row.name) for row in rows]
            for row, name in zip(rows, names, strict=True):
                if names.count(name) > 1 and getattr(row, "_row", None) is not None:
                    name = f"{name} ({', '.join(cell.strip() for cell in row._row.cells)})"
                row.name = name


def _outlines(container):
    for item in getattr(container, "run_items", []):
        if isinstance(item, ScenarioOutline):
            yield item
        elif isinstance(item, Rule):
            yield from _outlines(item)


def _rule_of(scenario: Scenario) -> Rule | None:
    entity = scenario.parent  # a Feature, a Rule, or the Scenario Outline that generated this scenario
    while entity is not None and not isinstance(entity, Rule):
        entity = getattr(entity, "parent", None)
    return entity


def _section_title(anchor: str) -> str:
    # A Markdown heading's anchor back to words: "confirming-a-streamed-reply" -> "Confirming a streamed reply".
    words = anchor.replace("-", " ")
    return words[:1].upper() + words[1:]


# -- attachments --------------------------------------------------------------------------------------------


NOT_CHECKED_LABEL = "not_checked"  # a skipped scenario's reason, for reports/promises.md


def mark_not_checked(reason: str) -> None:
    """Records on the running scenario's Allure result why it was not checked: a label the promise table reads,
    and the description the HTML report shows. Call from after_scenario."""
    if current_test() is None:
        return
    allure.dynamic.label(NOT_CHECKED_LABEL, reason)
    allure.dynamic.description(reason)


def attach_exchange(exchange: Exchange, redactor: Redactor) -> None:
    """Attaches one HTTP exchange (and a streamed reply's transcript), redacted, to the running step or test;
    for a reply that streamed, also its timing as JSON (STREAM_TIMING), which `make bench` reads."""
    if current_test() is None:
        return
    allure.attach(
        format_exchange(exchange, redactor),
        name=exchange_title(exchange, redactor),
        attachment_type=allure.attachment_type.TEXT,
    )
    if exchange.stream is not None and exchange.stream.status == 200:
        attach_json(STREAM_TIMING, stream_timing(exchange.stream))


def attach_json(name: str, value: Any) -> None:
    """A machine-readable attachment (figures for tools such as `make bench`; never anything secret)."""
    if current_test() is None:
        return
    allure.attach(json.dumps(value), name=name, attachment_type=allure.attachment_type.JSON)


def stream_timing(stream: StreamResult) -> dict[str, Any]:
    """How long a reply spent streaming, machine-readable: the time from the request to the stream's end."""
    return {"streaming_s": round(stream.duration_s, 6), "events": len(stream.events), "ending": stream.ending.value}


def attach_failure(exchange: Exchange | None, redactor: Redactor) -> None:
    """Attaches the last exchange as the response that broke the expectation. Call from after_step on failure."""
    if exchange is None or current_test() is None:
        return
    allure.attach(
        "The last response before the failed expectation.\n\n" + format_exchange(exchange, redactor),
        name=f"✗ response that broke the expectation: {exchange_title(exchange, redactor)}",
        attachment_type=allure.attachment_type.TEXT,
    )


def attach_text(name: str, text: str, redactor: Redactor) -> None:
    if current_test() is None:
        return
    allure.attach(redactor.text(text), name=redactor.text(name), attachment_type=allure.attachment_type.TEXT)


def exchange_title(exchange: Exchange, redactor: Redactor) -> str:
    """E.g. "POST /api/chat/sessions/abc/stream → 200"."""
    url = urlsplit(exchange.url)
    target = url.path + (f"?{url.query}" if url.query else "")
    outcome = exchange.status if exchange.status is not None else "no response"
    return redactor.text(f"{exchange.method} {target} → {outcome}")


def format_exchange(exchange: Exchange, redactor: Redactor) -> str:
    """The exchange as readable text: request, response, and a streamed reply's events with arrival times.

    Every part goes through the redactor, whether or not the client redacted it already, and so does the
    whole text at the end.
    """
    status = exchange.status if exchange.status is not None else "no response"
    sections = [
        f"{exchange.method} {exchange.url}\n"
        f"status {status} after {exchange.duration_s:.3f} s ({exchange.service} service)"
        + (f"\nerror: {exchange.error}" if exchange.error else ""),
        _section("request headers", _headers(exchange.request_headers, redactor)),
        _section("request body", _body(exchange.request_body, redactor)),
        _section("response headers", _headers(exchange.response_headers, redactor)),
    ]
    stream = exchange.stream
    response_body = exchange.response_body
    if response_body is None and stream is not None:
        response_body = stream.body  # a stream refused before its first event answers with a plain body
    if stream is None or response_body is not None:
        sections.append(_section("response body", _body(response_body, redactor)))
    if stream is not None:
        sections.append(_section(f"streamed reply, streaming session ID issued: {stream.streaming_session_id!r}",
                                 stream.transcript()))
    return redactor.text("\n\n".join(sections))


def _section(title: str, content: str) -> str:
    return f"── {title}\n{content}"


def _headers(headers: Mapping[str, str] | None, redactor: Redactor) -> str:
    if not headers:
        return "(none)"
    return "\n".join(f"{name}: {value}" for name, value in redactor.headers(dict(headers)).items())


def _body(body: str | None, redactor: Redactor) -> str:
    redacted = redactor.body(body)
    if not redacted:
        return "(empty)"
    try:
        return json.dumps(json.loads(redacted), indent=2, ensure_ascii=False)
    except ValueError:
        return redacted


# -- contract findings beside a behaviour verdict -----------------------------------------------------------


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


# -- run metadata -------------------------------------------------------------------------------------------


def write_run_metadata(
    results_dir: str | os.PathLike[str],
    *,
    environment: Mapping[str, str],
    executor: Mapping[str, Any] | None = None,
    redactor: Redactor | None = None,
) -> None:
    """Writes environment.properties, executor.json and categories.json into the Allure results directory.

    `environment` is what the report shows as the run's environment (targets, embedded or external, versions);
    values are redacted, and those whose key names a password, token or secret are hidden whole. `executor`
    describes who ran the suite; None means: detect the CI from this process's environment variables.
    """
    redactor = redactor or Redactor()
    results = Path(results_dir)
    results.mkdir(parents=True, exist_ok=True)
    lines = [
        f"{_property(key, is_key=True)}={_property(_environment_value(key, value, redactor))}"
        for key, value in environment.items()
    ]
    (results / "environment.properties").write_text("\n".join(lines) + "\n", encoding="utf-8")
    described = executor if executor is not None else executor_from(os.environ)
    (results / "executor.json").write_text(json.dumps(redactor.json(dict(described)), indent=2), encoding="utf-8")
    shutil.copyfile(CATEGORIES_FILE, results / "categories.json")


def executor_from(environ: Mapping[str, str]) -> dict[str, Any]:
    """Who runs the suite, in Allure's executor.json shape: GitHub Actions, another CI, or "local"."""
    if environ.get("GITHUB_RUN_ID"):
        server = environ.get("GITHUB_SERVER_URL", "https://github.com")
        repository = environ.get("GITHUB_REPOSITORY", "")
        run_url = f"{server}/{repository}/actions/runs/{environ['GITHUB_RUN_ID']}" if repository else None
        number = environ.get("GITHUB_RUN_NUMBER", "")
        return _without_empty({
            "name": "GitHub Actions",
            "type": "github",
            "url": f"{server}/{repository}" if repository else server,
            "buildOrder": int(number) if number.isdigit() else None,
            "buildName": f"{environ.get('GITHUB_WORKFLOW', 'run')} #{number or environ['GITHUB_RUN_ID']}",
            "buildUrl": run_url,
        })
    if environ.get("CI") or environ.get("BUILD_URL"):  # BUILD_URL and BUILD_NUMBER: Jenkins and others
        number = environ.get("BUILD_NUMBER", "")
        return _without_empty({
            "name": environ.get("CI_SERVER_NAME") or "CI",
            "type": "ci",
            "buildOrder": int(number) if number.isdigit() else None,
            "buildName": number and f"build #{number}",
            "buildUrl": environ.get("BUILD_URL") or environ.get("CI_JOB_URL"),
        })
    return {"name": "local", "type": "local"}


def _without_empty(fields: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value not in (None, "")}


def _environment_value(key: str, value: Any, redactor: Redactor) -> str:
    if value and is_secret_name(key):
        return REDACTED
    return redactor.text(str(value))


def _property(text: str, *, is_key: bool = False) -> str:
    # Java .properties escaping, which Allure's reader undoes; in keys, separators and spaces too.
    text = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    if is_key:
        for char in " :=#!":
            text = text.replace(char, "\\" + char)
    return text
