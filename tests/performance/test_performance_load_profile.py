"""The Locust profile: it runs headless against a platform, checks every invariant, catches a platform that
breaks one, refuses unbounded or non-loopback runs, and removes everything it created.

Deterministic: the runs stop as soon as the verdict is known (--stop-at-verdict: every invariant checked, or
one violated), with a generous run time as the bound, so no test depends on what a few random seconds happened
to exercise. Nothing
here asserts a speed: the figures are `make load`'s and `make bench`'s.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import threading
from pathlib import Path

import pytest

from chat_acceptance.actors.people import sign_in
from chat_acceptance.config.suite_config import Account, SuiteConfig
from chat_acceptance.redaction import Redactor
from chat_acceptance.transport.client import AuthApi, ChatApi, PlatformClient
from chat_acceptance.transport.exchange import PlatformUnavailable
from chat_acceptance.transport.http_transport import HttpTransport, Timeouts
from suite_tools import load_run
from suite_tools.load_accounts import LoadAccounts, RunPlan
from tests.performance.performance_kit import deployment_environment, platform_environment, run_locust

# Bounded by the run time; ended, in practice within seconds, once the verdict is known.
CHECKED_RUN = ("--users", "4", "--spawn-rate", "4", "--run-time", "60s", "--stop-timeout", "5", "--stop-at-verdict")
INVARIANTS = {
    "every right ID confirms",
    "every wrong ID is rejected as a mismatch",
    "no stream's ID confirms another session",
    "every stream completes with an ID",
    "no balance goes below zero",
    "no 5xx",
}


def left_behind(data_dir: Path) -> tuple[int, int]:
    """Users and conversations a load run named (its prefix `load-`) still on the platform."""
    with sqlite3.connect(data_dir / "auth.sqlite3") as auth, sqlite3.connect(data_dir / "chat.sqlite3") as chat:
        users = auth.execute("SELECT count(*) FROM users WHERE username LIKE 'load-%'").fetchone()[0]
        conversations = chat.execute("SELECT count(*) FROM sessions WHERE title LIKE 'load-%'").fetchone()[0]
    return users, conversations


def test_a_run_checks_every_invariant_finds_no_violation_and_leaves_nothing_behind(reference_platform, tmp_path):
    platform = reference_platform()
    run = run_locust(platform_environment(platform), tmp_path, *CHECKED_RUN)
    assert run.exit_code == 0, run.output[-3000:]
    summary = run.summary
    assert (summary["users"], summary["users_requested"], summary["accounts_prepared"]) == (4, 4, 4)
    assert summary["streams"] > 0 and summary["streams_per_s"] > 0
    assert summary["errors"] == 0 and summary["invariant_violations"] == 0, run.output[-3000:]
    assert set(summary["invariants"]) == INVARIANTS
    assert all(counts["checks"] > 0 for counts in summary["invariants"].values()), summary["invariants"]
    for metric in ("time_to_first_chunk_ms", "confirmation_latency_ms"):
        figures = summary[metric]
        assert figures["p50"] is not None and figures["p50"] <= figures["p95"] <= figures["p99"]
    assert summary["cleanup"]["users_removed"] == 4 and summary["cleanup"]["conversations_removed"] == 4
    assert left_behind(platform.data_dir) == (0, 0)
    # Locust's own request statistics and the custom metrics are printed, and then the summary.
    for line in (
        "/api/chat/sessions/{id}/stream",
        "time to first chunk",
        "confirmation latency (right ID)",
        "chat-acceptance load summary",
        "users that ran            4 of 4",
    ):
        assert line in run.output


@pytest.mark.parametrize(
    ("fault", "violated"),
    [
        ("accept_other_session_id", "no stream's ID confirms another session"),
        ("accept_earlier_stream_id", "every wrong ID is rejected as a mismatch"),
        ("wrong_id_500", "no 5xx"),
        ("no_id_header", "every stream completes with an ID"),
    ],
)
def test_a_platform_that_breaks_an_invariant_under_load_fails_the_run(reference_platform, tmp_path, fault, violated):
    platform = reference_platform(fault)
    run = run_locust(platform_environment(platform), tmp_path, *CHECKED_RUN)
    assert run.exit_code == 1, run.output[-3000:]
    assert run.summary["invariants"][violated]["violations"] > 0, run.summary["invariants"]
    assert "VIOLATED" in run.output
    if fault == "wrong_id_500":  # each 500 had an answer: counted once, as a violation, not again as an error
        assert run.summary["errors"] == 0, run.summary["error_kinds"]


def test_a_headless_run_without_a_run_time_is_refused(reference_platform, tmp_path):
    platform = reference_platform()
    run = run_locust(platform_environment(platform), tmp_path, "--users", "2")
    assert run.exit_code == 2
    assert "--run-time" in run.output


def test_too_many_users_are_refused(reference_platform, tmp_path):
    platform = reference_platform()
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
    status = load_run.main(
        ["--users", "3", "--spawn-rate", "3", "--run-time", "3s", "--workers", "2", "--summary-json", str(summary_file)]
    )
    output = capfd.readouterr().out
    assert status == 0, output[-3000:]
    assert "2 uvicorn worker(s) each" in output
    summary = json.loads(summary_file.read_text())
    assert summary["users"] == 3 and summary["streams"] > 0
    assert summary["errors"] == 0 and summary["invariant_violations"] == 0


def test_a_locust_master_and_two_workers_on_this_machine_run_share_and_clean_up(tmp_path, capfd):
    summary_file = tmp_path / "load.json"
    status = load_run.main(
        [
            "--users",
            "4",
            "--spawn-rate",
            "4",
            "--run-time",
            "4s",
            "--workers",
            "1",
            "--locust-workers",
            "2",
            "--summary-json",
            str(summary_file),
        ]
    )
    output = capfd.readouterr().out
    assert status == 0, output[-3000:]
    assert "a master and 2 worker(s)" in output
    summary = json.loads(summary_file.read_text())
    # The master prepared four accounts, each worker streamed with its share, and the master counted them all.
    assert (summary["users"], summary["accounts_prepared"]) == (4, 4), summary
    assert summary["streams"] > 0 and summary["errors"] == 0 and summary["invariant_violations"] == 0
    assert summary["cleanup"]["users_removed"] == 4


@pytest.mark.parametrize(("text", "seconds"), [("20s", 20), ("2m", 120), ("1h30m", 5400), ("45", 45)])
def test_run_times_read_as_locust_reads_them(text, seconds):
    assert load_run.parse_seconds(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "10x"])
def test_a_run_time_that_is_not_one_is_refused(text):
    with pytest.raises(argparse.ArgumentTypeError):
        load_run.parse_seconds(text)


def test_without_an_administrator_the_users_take_turns_with_the_configured_accounts(reference_platform, tmp_path):
    platform = reference_platform()
    client = PlatformClient(
        HttpTransport(Timeouts(3, 10, 15, 10_000), Redactor()),
        auth_url=platform.auth_url,
        accounting_url=platform.accounting_url,
        chat_url=platform.chat_url,
    )
    admin = sign_in(client, Account("admin", "admin@admin"))
    for username in ("user1", "user2"):  # the configured accounts must already hold credits
        assert client.accounting.allocate(admin.access_token, username, 100_000).status == 201
    environment = {**platform_environment(platform), "ADMIN_USER": ""}
    run = run_locust(environment, tmp_path, *CHECKED_RUN)
    assert run.exit_code == 0, run.output[-3000:]
    assert run.summary["streams"] > 0 and run.summary["invariant_violations"] == 0
    assert run.summary["cleanup"]["conversations_removed"] == 4
    assert left_behind(platform.data_dir) == (0, 0)


# -- what a run creates is removed even when the client gave up on a request the server completed ----------------


def gives_up_once(call):
    """`call`, except that its first use reaches the server and then fails as a client timeout would."""
    given_up = []
    lock = threading.Lock()

    def once(*arguments, **options):
        answer = call(*arguments, **options)
        with lock:
            first = not given_up
            given_up.append(answer)
        if first:
            raise PlatformUnavailable("no answer within the read timeout (given up by the test)")
        return answer

    return once, given_up


def test_users_and_conversations_whose_creation_the_client_gave_up_on_are_found_and_removed(reference_platform):
    platform = reference_platform()
    config = SuiteConfig.from_sources(
        load_run.suite_userdata(),
        [],
        {
            "AUTH_SERVICE_URL": platform.auth_url,
            "ACCOUNTING_SERVICE_URL": platform.accounting_url,
            "CHAT_SERVICE_URL": platform.chat_url,
        },
    )
    create_user, users_given_up = gives_up_once(AuthApi.create_user)
    create_session, sessions_given_up = gives_up_once(ChatApi.create_session)

    def client() -> PlatformClient:
        # The run's first user creation and first conversation reach the server, then "time out".
        api = PlatformClient(
            HttpTransport(Timeouts(3, 10, 15, 10_000), Redactor()),
            auth_url=platform.auth_url,
            accounting_url=platform.accounting_url,
            chat_url=platform.chat_url,
        )
        api.auth.create_user = create_user.__get__(api.auth)
        api.chat.create_session = create_session.__get__(api.chat)
        return api

    accounts = LoadAccounts(config, RunPlan.new(), client, credits=1000)
    prepared = accounts.prepare(3)
    assert prepared.failures == [] and len(prepared.accounts) == 3
    assert users_given_up[0].status == 201  # the server did create the user the client gave up on
    assert sessions_given_up[0].status == 201  # and started that conversation
    assert left_behind(platform.data_dir) == (3, 4)  # one conversation more than the run knows of

    # The run forgets what it prepared (as when a set-up step's answer was lost): the names alone are enough.
    cleaned = accounts.clean_up(3)
    assert cleaned.failures == []
    assert (cleaned.users_removed, cleaned.conversations_removed) == (3, 4)
    assert left_behind(platform.data_dir) == (0, 0)
