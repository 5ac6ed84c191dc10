"""write_run_metadata writes what Allure shows about the run, without secrets."""

import json

from chat_acceptance.redaction import Redactor
from chat_acceptance.reporting import run_metadata
from tests.reporting.reporting_samples import ACCESS_TOKEN, PASSWORD


def test_writes_environment_executor_and_categories(tmp_path):
    results = tmp_path / "allure-results"

    run_metadata.write_run_metadata(
        results,
        environment={
            "chat service": "http://127.0.0.1:3002",
            "platform": "embedded reference services",
            "admin password": PASSWORD,
            "note": f"token {ACCESS_TOKEN}",
        },
        executor={"name": "local", "type": "local"},
    )

    properties = (results / "environment.properties").read_text()
    assert properties.splitlines() == [
        r"chat\ service=http://127.0.0.1:3002",
        "platform=embedded reference services",
        r"admin\ password=<REDACTED>",
        "note=token <REDACTED>",
    ]
    assert json.loads((results / "executor.json").read_text()) == {"name": "local", "type": "local"}
    assert (results / "categories.json").read_text() == run_metadata.CATEGORIES_FILE.read_text()


def test_secrets_the_redactor_knows_are_hidden_under_any_key(tmp_path):
    run_metadata.write_run_metadata(
        tmp_path, environment={"users": f"user1:{PASSWORD}"}, executor={}, redactor=Redactor([PASSWORD])
    )

    assert PASSWORD not in (tmp_path / "environment.properties").read_text()


def test_without_an_executor_the_process_environment_decides(tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_RUN_ID", "42")
    run_metadata.write_run_metadata(tmp_path, environment={}, executor=None)

    assert json.loads((tmp_path / "executor.json").read_text())["name"] == "GitHub Actions"


def test_executor_on_github_actions():
    executor = run_metadata.executor_from(
        {
            "CI": "true",
            "GITHUB_RUN_ID": "123456",
            "GITHUB_RUN_NUMBER": "17",
            "GITHUB_WORKFLOW": "acceptance",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_REPOSITORY": "acme/chat-acceptance",
        }
    )

    assert executor == {
        "name": "GitHub Actions",
        "type": "github",
        "url": "https://github.com/acme/chat-acceptance",
        "buildOrder": 17,
        "buildName": "acceptance #17",
        "buildUrl": "https://github.com/acme/chat-acceptance/actions/runs/123456",
    }


def test_executor_on_another_ci():
    executor = run_metadata.executor_from({"BUILD_URL": "https://ci.example/job/7/", "BUILD_NUMBER": "7"})

    assert executor == {
        "name": "CI",
        "type": "ci",
        "buildOrder": 7,
        "buildName": "build #7",
        "buildUrl": "https://ci.example/job/7/",
    }


def test_executor_elsewhere_is_local():
    assert run_metadata.executor_from({}) == {"name": "local", "type": "local"}
