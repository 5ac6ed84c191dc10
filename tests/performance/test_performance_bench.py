"""bench: reads each scenario's wall time and streaming floor from Allure results, builds the table, judges the
targets, and runs end to end on a tiny run. Nothing here asserts how fast anything is."""

from __future__ import annotations

import json
import uuid

import pytest

from chat_acceptance.redaction import Redactor
from chat_acceptance.reporting import attachments
from chat_acceptance.reporting.attachments import NEAR_MISS_TIMING, STREAM_TIMING, format_exchange, stream_timing
from chat_acceptance.transport.exchange import Exchange
from chat_acceptance.transport.sse import Ending, StreamEvent, StreamResult
from suite_tools import bench


def streamed_exchange(duration_s: float) -> Exchange:
    stream = StreamResult(
        status=200,
        headers={"X-Streaming-Session-Id": "stream-1-abc"},
        streaming_session_id="stream-1-abc",
        events=(StreamEvent("chunk", '{"text": "Paris"}', 0.011), StreamEvent("done", '{"tokensUsed": 3}', 0.02)),
        ending=Ending.DONE,
        duration_s=duration_s,
    )
    return Exchange(
        "chat",
        "POST",
        "http://127.0.0.1:1/api/chat/sessions/s1/stream",
        200,
        duration_s,
        {},
        '{"message": "hi"}',
        {"X-Streaming-Session-Id": "stream-1-abc"},
        None,
        stream=stream,
    )


def refused_stream_exchange() -> Exchange:
    body = '{"message": "Insufficient credits"}'
    stream = StreamResult(
        status=402, headers={}, streaming_session_id=None, events=(), ending=Ending.REFUSED, duration_s=0.009, body=body
    )
    return Exchange(
        "chat",
        "POST",
        "http://127.0.0.1:1/api/chat/sessions/s1/stream",
        402,
        0.009,
        {},
        '{"message": "hi"}',
        {},
        body,
        stream=stream,
    )


def plain_exchange() -> Exchange:
    return Exchange("chat", "GET", "http://127.0.0.1:1/api/chat/sessions/s1", 200, 0.004, {}, None, {}, '{"a": 1}')


@pytest.mark.parametrize(
    "exchange, timings", [(streamed_exchange(0.0614), 1), (refused_stream_exchange(), 0), (plain_exchange(), 0)]
)
def test_the_report_carries_a_machine_readable_timing_for_each_reply_that_streamed(monkeypatch, exchange, timings):
    attached = []
    monkeypatch.setattr(attachments, "current_test", lambda: object())
    monkeypatch.setattr(attachments.allure, "attach", lambda body, name, attachment_type: attached.append((name, body)))
    attachments.attach_exchange(exchange, Redactor())
    written = [json.loads(body) for name, body in attached if name == STREAM_TIMING]
    assert len(written) == timings
    if timings:
        assert written == [{"streaming_s": 0.0614, "events": 2, "ending": Ending.DONE.value}]


def write_result(results, *, name, tags, start_ms, stop_ms, step_attachments, status="passed", feature="Confirming"):
    sources = []
    for title, text in step_attachments:
        json_attachment = title in (STREAM_TIMING, NEAR_MISS_TIMING)
        source = f"{uuid.uuid4()}-attachment.{'json' if json_attachment else 'txt'}"
        (results / source).write_text(text, encoding="utf-8")
        sources.append(
            {"name": title, "source": source, "type": "application/json" if json_attachment else "text/plain"}
        )
    result = {
        "name": name,
        "status": status,
        "start": start_ms,
        "stop": stop_ms,
        "labels": [{"name": "tag", "value": tag} for tag in tags] + [{"name": "feature", "value": feature}],
        "steps": [{"name": "Given a reply", "attachments": sources, "steps": []}],
    }
    (results / f"{uuid.uuid4()}-result.json").write_text(json.dumps(result))


def test_each_scenario_gets_its_wall_time_and_the_sum_of_its_streams(tmp_path):
    stream = format_exchange(streamed_exchange(0.05), Redactor())
    timing = json.dumps(stream_timing(streamed_exchange(0.05).stream))
    write_result(
        tmp_path,
        name="Own ID confirms",
        tags=["core", "blocker"],
        start_ms=1_000,
        stop_ms=1_120,
        step_attachments=[
            ("POST /stream → 200", stream),
            (STREAM_TIMING, timing),
            ("POST /stream → 200", stream),
            (STREAM_TIMING, timing),
            ("GET /session → 200", format_exchange(plain_exchange(), Redactor())),
            ("✗ response that broke the expectation: POST /stream → 200", stream),
        ],
    )
    write_result(tmp_path, name="Models listed", tags=["normal"], start_ms=900, stop_ms=910, step_attachments=[])
    first, second = bench.scenario_timings(tmp_path)
    assert (first.name, first.streams, first.floor_s, first.attachments) == ("Models listed", 0, 0.0, 0)
    assert second.attachments == 6
    assert second.name == "Own ID confirms" and second.core
    assert second.wall_s == pytest.approx(0.12)
    assert second.streams == 2 and second.floor_s == pytest.approx(0.1)  # the failure attachment is a repeat
    assert second.target_s == pytest.approx(1.5 * 0.1 + 0.3)


def test_the_generated_confirmations_are_read_from_their_machine_readable_timing(tmp_path):
    near_miss_report = (
        "family: wildcards (...)\n\n  1. '%'  [SQL LIKE: % alone]  -> 400 ...\n\n12 of 12 near misses tried in 0.061 s"
    )
    write_result(
        tmp_path,
        name="Near misses: wildcards",
        tags=["core"],
        start_ms=1_000,
        stop_ms=1_300,
        step_attachments=[
            ("near misses tried: wildcards", near_miss_report),
            (NEAR_MISS_TIMING, json.dumps({"sent": 12, "seconds": 0.061})),
            ("POST /stream → 200", format_exchange(streamed_exchange(0.05), Redactor())),
        ],
    )
    write_result(tmp_path, name="Own ID", tags=["core"], start_ms=2_000, stop_ms=2_100, step_attachments=[])
    timings = bench.scenario_timings(tmp_path)

    assert [(t.near_misses, t.near_misses_s) for t in timings] == [(12, pytest.approx(0.061)), (0, 0.0)]
    figures = bench.near_miss_figures([bench.SuiteTiming(0, 1.0, timings)])
    assert figures == {
        "sent": 12,
        "scenarios": 1,
        "seconds": pytest.approx(0.061),
        "per_confirmation_ms": pytest.approx(61 / 12),
    }
    assert "near-miss confirmations" in bench.table(bench.Bench(serial=[bench.SuiteTiming(0, 1.0, timings)]))


def timing(name, wall_s, floor_s, *, core=False, status="passed"):
    return bench.ScenarioTiming("Feature", name, ("core",) if core else (), status, wall_s, floor_s, 1, 1)


def test_the_table_takes_medians_puts_core_first_and_judges_each_target():
    runs = [
        bench.SuiteTiming(
            0,
            4.0,
            (
                timing("fast core", 0.1, 0.05, core=True),
                timing("slow", 0.9, 0.0),
                timing("slow core", 2.0, 0.1, core=True),
                timing("skipped", 0, 0, status="skipped"),
            ),
        ),
        bench.SuiteTiming(
            0,
            5.0,
            (
                timing("fast core", 0.3, 0.07, core=True),
                timing("slow", 0.7, 0.0),
                timing("slow core", 2.2, 0.1, core=True),
            ),
        ),
    ]
    rows = bench.scenario_rows(runs)
    assert [row.name for row in rows] == ["slow core", "fast core", "slow"]
    fast = rows[1]
    assert fast.wall_s == pytest.approx(0.2) and fast.floor_s == pytest.approx(0.06) and fast.met is True
    assert rows[0].met is False and rows[2].met is None and rows[2].target_s is None

    measured = bench.Bench(startups=[bench.Startup(0.3, 0.2)], serial=runs, parallel=[bench.SuiteTiming(1, 3.0, ())])
    missed = bench.verdicts(measured)
    assert any("slow core" in line for line in missed)
    assert any("a parallel run failed" in line for line in missed)
    assert not any("start-up" in line or "whole suite serial" in line for line in missed)
    table = bench.table(measured)
    for text in (
        "embedded start-up",
        "whole suite, serial",
        "whole suite, parallel",
        "speed-up 1.50 x",
        "@core slow core",
        "MISSED",
    ):
        assert text in table


def test_slow_start_up_and_a_slow_serial_suite_miss_their_targets():
    measured = bench.Bench(startups=[bench.Startup(1.5, 1.0)], serial=[bench.SuiteTiming(0, 25.0, ())])
    missed = bench.verdicts(measured)
    assert any("start-up" in line for line in missed) and any("whole suite serial" in line for line in missed)


def test_a_slow_or_reasonless_stalled_verdict_misses_its_target():
    slow = bench.Bench(stalled=bench.StalledVerdict(75.0, 1, True))
    silent = bench.Bench(stalled=bench.StalledVerdict(30.0, 1, False))
    assert any("stalled platform's verdict took 75.0 s" in line for line in bench.verdicts(slow))
    assert any("did not stop with the reason" in line for line in bench.verdicts(silent))
    assert bench.verdicts(bench.Bench(stalled=bench.StalledVerdict(31.0, 1, True))) == []
    assert "stalled platform        31.00 s" in bench.table(bench.Bench(stalled=bench.StalledVerdict(31.0, 1, True)))


def test_bench_measures_a_tiny_run_serial_and_parallel(tmp_path, capsys):
    figures_file = tmp_path / "bench.json"
    # The stalled platform's verdict is measured by tests/meta/test_run_verdicts.py.
    tags = "@behaviour.own_id_confirms or @behaviour.wrong_id_rejected or @behaviour.near_miss_rejected"
    bench.main(["--repeat", "1", "--jobs", "2", "--tags", tags, "--no-stall", "--no-slow", "--json", str(figures_file)])
    printed = capsys.readouterr().out
    figures = json.loads(figures_file.read_text())
    assert [run["exit_code"] for run in figures["serial_runs"] + figures["parallel_runs"]] == [0, 0]
    assert figures["startup_s"] > 0 and figures["serial_suite_s"] > 0 and figures["parallel_suite_s"] > 0
    for rows in (figures["scenarios"], figures["parallel_scenarios"]):
        assert len(rows) == 10 and all(row["core"] and row["streams"] == 1 and row["floor_s"] > 0 for row in rows)
    assert figures["near_misses"]["scenarios"] == 7 and figures["near_misses"]["sent"] >= 7
    assert figures["near_misses"]["seconds"] > 0
    assert "whole suite, parallel" in printed and "@core A reply confirmed with" in printed
    assert "near-miss confirmations" in printed


def test_a_slow_keep_alive_round_trip_misses_its_target_and_shows_in_the_table():
    measured = bench.Bench(startups=[bench.Startup(0.5, 0.3, 0.041), bench.Startup(0.5, 0.3, 0.043)])
    assert any("keep-alive round trip 42.0 ms" in line for line in bench.verdicts(measured))
    assert "keep-alive round trip" in bench.table(measured)
    assert bench.verdicts(bench.Bench(startups=[bench.Startup(0.5, 0.3, 0.002)])) == []


def test_the_slow_platform_figure_is_shown_and_missed_when_over_two_minutes_or_failing():
    fast_enough = bench.Bench(slow=bench.SlowPlatform(96.0, 0, 84, 17.7))
    assert bench.verdicts(fast_enough) == []
    assert "slow platform           96.00 s   (whole suite, slow_confirmation: 84 near misses in 17.7 s)" in (
        bench.table(fast_enough)
    )
    assert bench.to_json(fast_enough)["slow_platform_s"] == 96.0
    for slow in (bench.SlowPlatform(130.0, 0, 84, 40.0), bench.SlowPlatform(90.0, 1, 84, 17.0)):
        missed = bench.verdicts(bench.Bench(slow=slow))
        assert len(missed) == 1 and missed[0].startswith("the slow platform's run (slow_confirmation) took"), missed
