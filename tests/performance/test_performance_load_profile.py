"""The Locust profile: it runs headless against a platform, checks every invariant, catches a platform that
breaks one, refuses unbounded or non-loopback runs, and removes the users it created."""
from __future__ import annotations

import argparse
import json
import sqlite3

import pytest
from performance_kit import deployment_environment, platform_environment, run_locust

from suite_tools import load_run
from chat_acceptance.transport.client import HttpTransport, PlatformClient, Timeouts
from chat_acceptance.config import Account
from chat_acceptance.world.people import sign_in
from chat_acceptance.redaction import Redactor

SHORT_RUN = ("--users", "4", "--spawn-rate", "4", "--run-time", "4s", "--stop-timeout", "5")
INVARIANTS = {
    "every right ID confirms",
    "every wrong ID is rejected as a mismatch",
    "no stream's ID confirms another session",
    "every stream completes with an ID",
    "no balance goes below zero",
    "no 5xx",
}


def test_a_short_headless_run_checks_every_invariant_and_finds_no_violation(embedded_platform, tmp_path):
    platform = embedded_platform()
    run = run_locust(platform_environment(platform), tmp_path, *SHORT_RUN)
    assert run.exit_code == 0, run.output[-3000:]
    summary = run.summary
    assert summary["users"] == 4
    assert summary["streams"] > 0 and summary["streams_per_s"] > 0
    assert summary["errors"] == 0 and summary["invariant_violations"] == 0, run.output[-3000:]
    assert set(summary["invariants"]) == INVARIANTS
    assert all(counts["checks"] > 0 for counts in summary["invariants"].values()), summary["invariants"]
    for metric in ("time_to_first_chunk_ms", "confirmation_latency_ms"):
        assert summary[metric]["p50"] is not None and summary[metric]["p95"] >= summary[metric]["p50"]
    # Locust's own request statistics and the custom metrics are printed, and then the summary.
    for line in ("/api/chat/sessions/{id}/stream", "time to first chunk", "confirmation latency (right ID)",
                 "chat-acceptance load summary"):
        assert line in run.output


def test_the_users_it_created_are_deleted_at_the_end(embedded_platform, tmp_path):
    platform = embedded_platform()
    run = run_locust(platform_environment(platform), tmp_path, *SHORT_RUN)
    assert run.exit_code == 0, run.output[-3000:]
    with sqlite3.connect(platform.data_dir / "auth.sqlite3") as database:
        load_users = database.execute("SELECT count(*) FROM users WHERE username LIKE 'load-%'").fetchone()[0]
    assert load_users == 0


@pytest.mark.parametrize(
    ("fault", "violated"),
    [
        ("accept_other_session_id", "no stream's ID confirms another session"),
        ("accept_earlier_stream_id", "every wrong ID is rejected as a mismatch"),
        ("wrong_id_500", "no 5xx"),
        ("no_id_header", "every stream completes with an ID"),
    ],
)
def test_a_platform_that_breaks_an_invariant_under_load_fails_the_run(embedded_platform, tmp_path, fault, violated):
    platform = embedded_platform(fault)
    run = run_locust(platform_environment(platform), tmp_path, *SHORT_RUN)
    assert run.exit_code == 1, run.output[-3000:]
    assert run.summary["invariants"][violated]["violations"] > 0, run.summary["invariants"]
    assert "VIOLATED" in run.output


def test_a_headless_run_without_a_run_time_is_refused(embedded_platform, tmp_path):
    platform = embedded_platform()
    run = run_locust(platform_environment(platform), tmp_path, "--users", "2")
    assert run.exit_code == 2
    assert "--run-time" in run.output


def test_too_many_users_are_refused(embedded_platform, tmp_path):
    platform = embedded_platform()
    run = run_locust(platform_environment(platform), tmp_path, "--users", "5", "--max-users", "4", "-t", "3s")
    assert run.exit_code == 2
    assert "--max-users" in run.output


def test_a_target_that_is_not_loopback_is_refused_before_any_request(tmp_path):
    environment = deployment_environment("http://192.0.2.10:3000", "http://192.0.2.10:3001", "http://192.0.2.10:3002")
    run = run_locust(environment, tmp_path, "--users", "1", "-t", "3s")
    assert run.exit_code == 2
    assert "--allow-remote-target" in run.output


def test_make_load_serves_the_platform_with_uvicorn_workers_and_reports(tmp_path, capfd):
    summary_file = tmp_path / "load.json"
    status = load_run.main(["--users", "3", "--spawn-rate", "3", "--run-time", "3s", "--workers", "2",
                            "--summary-json", str(summary_file)])
    output = capfd.readouterr().out
    assert status == 0, output[-3000:]
    assert "2 uvicorn worker(s) each" in output
    summary = json.loads(summary_file.read_text())
    assert summary["users"] == 3 and summary["streams"] > 0
    assert summary["errors"] == 0 and summary["invariant_violations"] == 0


@pytest.mark.parametrize(("text", "seconds"), [("20s", 20), ("2m", 120), ("1h30m", 5400), ("45", 45)])
def test_run_times_read_as_locust_reads_them(text, seconds):
    assert load_run.parse_seconds(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "10x"])
def test_a_run_time_that_is_not_one_is_refused(text):
    with pytest.raises(argparse.ArgumentTypeError):
        load_run.parse_seconds(text)


def test_without_an_administrator_the_users_take_turns_with_the_configured_accounts(embedded_platform, tmp_path):
    platform = embedded_platform()
    client = PlatformClient(HttpTransport(Timeouts(3, 10, 15, 10_000), Redactor()), auth_url=platform.auth_url,
                            accounting_url=platform.accounting_url, chat_url=platform.chat_url)
    admin = sign_in(client, Account("admin", "admin@admin"))
    for username in ("user1", "user2"):  # the configured accounts must already hold credits
        assert client.accounting.allocate(admin.access_token, username, 100_000).status == 201
    environment = {**platform_environment(platform), "ADMIN_USER": ""}
    run = run_locust(environment, tmp_path, *SHORT_RUN)
    assert run.exit_code == 0, run.output[-3000:]
    assert run.summary["streams"] > 0 and run.summary["invariant_violations"] == 0
    with sqlite3.connect(platform.data_dir / "auth.sqlite3") as database:
        assert database.execute("SELECT count(*) FROM users WHERE username LIKE 'load-%'").fetchone()[0] == 0
