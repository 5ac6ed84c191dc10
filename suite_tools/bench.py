"""How fast the suite runs on the embedded platform, beside the floors it cannot beat (`make bench`).

    python -m suite_tools.bench [--repeat 3] [--jobs 2] [--tags EXPR] [--json FILE]

Measures, each `--repeat` times (the table shows the median):
- embedded start-up: a fresh Python process importing the reference platform and calling start_platform()
  until its three services answer their health checks (what before_all pays for it);
- every scenario's wall time (its Allure result, start to stop: hooks, steps and clean-up) beside its floor:
  the time the platform itself spent streaming the scenario's replies, read from the SSE transcripts attached
  to the scenario (the last line of each: "<seconds>s  end: ...");
- the generated confirmations (near misses of the streaming session ID): how many, and how long they took,
  read from the report each such scenario attaches;
- the whole suite, serial (`behave`, as `make acceptance` runs it) and parallel (`python -m suite_tools.parallel_suite`,
  as `make acceptance JOBS=N` runs it): the wall time of the whole command, Python start-up included;
- once (not per round; `--no-slow` skips it): a slow platform, the whole suite against the embedded platform
  with `slow_confirmation` (every confirmation answers after 1.2 s), which must pass within two minutes: the
  near misses of a family go out from a small pool, each family within its time budget;
- once (not per round; `--no-stall` skips it): a stalled platform's verdict, the whole suite against the embedded
  platform with `silent_after_three_chunks` (every stream sends three chunks, then nothing), which the run-level
  health watcher must end with its reason.

Also, with the start-up: the median round trip of a request on a kept-alive connection.

Targets: each @core scenario within 1.5 x its floor + 0.3 s; embedded start-up under 2 s; a keep-alive round
trip under 25 ms; the whole suite serial under 20 s; the slow platform's whole run under 120 s; a stalled
platform's verdict under 60 s. Exit status 1 when
a target is missed or a suite run fails. These are the speed checks:
the unit tests check what bench computes, never how fast anything is.

Runs happen in scratch directories (their own behave.ini, their own Allure results), always against the
embedded reference platform, and never touch reports/.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from chat_acceptance.reporting.attachments import NEAR_MISS_TIMING, STREAM_TIMING
from suite_tools import parallel_suite
from suite_tools.suite_runs import embedded_only, suite_userdata, write_behave_ini

CORE_TAG = "core"
CORE_FACTOR, CORE_ALLOWANCE_S = 1.5, 0.3
STARTUP_TARGET_S = 2.0
KEEP_ALIVE_TARGET_S = 0.025  # a stall of ~40 ms (Nagle against delayed ACKs) would show here
SERIAL_SUITE_TARGET_S = 20.0
STALL_FAULT = "silent_after_three_chunks"
STALL_TARGET_S = 60.0
STALL_REASON = "the run stopped: the chat service stalled"
SLOW_FAULT = "slow_confirmation"
SLOW_TARGET_S = 120.0
SUITE_TIMEOUT_S = 600  # a hard stop far above any run's own deadlines
STARTUP_TIMEOUT_S = 60

# The last line of a streamed reply's transcript (chat_acceptance.transport.sse.StreamResult.transcript()).

_STARTUP_PROBE = """
import json, sys, time
started = time.perf_counter()
from reference_services.platform import PlatformSettings, start_platform
from suite_tools.suite_runs import EMBEDDED_PASSWORD_ITERATIONS
imported = time.perf_counter()
platform = start_platform(
    PlatformSettings(model_chunk_delay=float(sys.argv[1]), password_iterations=EMBEDDED_PASSWORD_ITERATIONS)
)
ready = time.perf_counter()
import statistics, requests
with requests.Session() as session:  # keep-alive round trips: one connection, reused
    session.get(platform.auth_url + "/health", timeout=5)
    trips = []
    for _ in range(9):
        before = time.perf_counter()
        session.get(platform.auth_url + "/health", timeout=5)
        trips.append(time.perf_counter() - before)
platform.stop()
print(json.dumps({"import_s": imported - started, "start_s": ready - imported,
                  "keep_alive_s": statistics.median(trips)}))
"""


@dataclass(frozen=True)
class ScenarioTiming:
    feature: str
    name: str  # an outline's examples have their own names ("... -- @1.2 ...")
    tags: tuple[str, ...]
    status: str
    wall_s: float
    floor_s: float  # the time its replies spent streaming, from their transcripts
    streams: int
    attachments: int
    near_misses: int = 0  # generated confirmations sent (near misses of the streaming session ID)
    near_misses_s: float = 0.0  # the time they took, answers included

    @property
    def core(self) -> bool:
        return CORE_TAG in self.tags

    @property
    def target_s(self) -> float | None:
        return CORE_FACTOR * self.floor_s + CORE_ALLOWANCE_S if self.core else None


@dataclass(frozen=True)
class SuiteTiming:
    exit_code: int
    seconds: float
    scenarios: tuple[ScenarioTiming, ...]


@dataclass(frozen=True)
class Startup:
    import_s: float
    start_s: float
    keep_alive_s: float = 0.0  # median round trip of a request on a kept-alive connection (health check)

    @property
    def total_s(self) -> float:
        return self.import_s + self.start_s


@dataclass
class Bench:
    startups: list[Startup] = field(default_factory=list)
    serial: list[SuiteTiming] = field(default_factory=list)
    parallel: list[SuiteTiming] = field(default_factory=list)
    jobs: int = 2
    stalled: StalledVerdict | None = None
    slow: SlowPlatform | None = None


@dataclass(frozen=True)
class SlowPlatform:
    """The whole suite against a platform whose every confirmation takes 1.2 s: how long, and whether it passed."""

    seconds: float
    exit_code: int
    near_misses: int  # generated confirmations sent
    near_misses_s: float  # their wall time, summed over families

    @property
    def met(self) -> bool:
        return self.exit_code == 0 and self.seconds < SLOW_TARGET_S


@dataclass(frozen=True)
class StalledVerdict:
    """The whole suite against a platform whose every stream goes silent: how long its verdict took."""

    seconds: float
    exit_code: int
    stopped_with_reason: bool  # the remaining scenarios failed at once with the watcher's reason


# -- reading Allure results ---------------------------------------------------------------------------------


def scenario_timings(results_dir: Path) -> tuple[ScenarioTiming, ...]:
    """One timing per scenario in an Allure results directory, in the order they ran."""
    timings = []
    for result_file in results_dir.glob("*-result.json"):
        result = json.loads(result_file.read_text(encoding="utf-8"))
        attachments = list(_attachments(result))
        # The run writes each streamed reply's timing as JSON (chat_acceptance.reporting.attachments.stream_timing).
        durations = [
            json.loads(_read_attachment(results_dir, attachment))["streaming_s"]
            for attachment in attachments
            if attachment.get("name") == STREAM_TIMING
        ]
        # ... and the near misses it tried, with how long their confirmations took (World.try_near_misses).
        generated = [
            json.loads(_read_attachment(results_dir, attachment))
            for attachment in attachments
            if attachment.get("name") == NEAR_MISS_TIMING
        ]
        labels = result.get("labels", [])
        tags = tuple(label["value"] for label in labels if label.get("name") == "tag")
        feature = next((label["value"] for label in labels if label.get("name") == "feature"), "")
        timings.append(
            (
                result.get("start", 0),
                ScenarioTiming(
                    feature=feature,
                    name=result.get("name", "?"),
                    tags=tags,
                    status=result.get("status", "unknown"),
                    wall_s=(result.get("stop", 0) - result.get("start", 0)) / 1000,
                    floor_s=sum(durations),
                    streams=len(durations),
                    attachments=len(attachments),
                    near_misses=sum(timing["sent"] for timing in generated),
                    near_misses_s=sum(timing["seconds"] for timing in generated),
                ),
            )
        )
    return tuple(timing for _, timing in sorted(timings, key=lambda pair: pair[0]))


def _attachments(node: Mapping) -> Iterable[Mapping]:
    yield from node.get("attachments") or ()
    for step in node.get("steps") or ():
        yield from _attachments(step)


def _read_attachment(results_dir: Path, attachment: Mapping) -> str:
    return (results_dir / str(attachment.get("source", ""))).read_text(encoding="utf-8")


# -- measuring ----------------------------------------------------------------------------------------------


def measure_startup(model_chunk_delay: float) -> Startup:
    completed = subprocess.run(
        [sys.executable, "-c", _STARTUP_PROBE, str(model_chunk_delay)],
        capture_output=True,
        text=True,
        timeout=STARTUP_TIMEOUT_S,
        check=True,
    )
    return Startup(**json.loads(completed.stdout.strip().splitlines()[-1]))


def run_serial(tags: str | None = None, results_dir: Path | None = None) -> SuiteTiming:
    """behave, as `make acceptance` runs it, against the embedded platform, from a scratch directory (Allure
    results there too, unless `results_dir` is given)."""
    with tempfile.TemporaryDirectory(prefix="bench-serial-") as scratch:
        results = results_dir or Path(scratch) / "allure-results"
        write_behave_ini(Path(scratch), formats={"allure": results})
        command = [sys.executable, "-m", "behave", "--no-color", *(["--tags", tags] if tags else [])]
        started = time.monotonic()
        completed = subprocess.run(
            command,
            cwd=scratch,
            env=embedded_only(os.environ),
            capture_output=True,
            text=True,
            timeout=SUITE_TIMEOUT_S,
        )
        seconds = time.monotonic() - started
        if completed.returncode:
            print((completed.stdout + completed.stderr)[-2000:], file=sys.stderr)
        return SuiteTiming(completed.returncode, seconds, scenario_timings(results))


def run_parallel(jobs: int, tags: str | None = None, results_dir: Path | None = None) -> SuiteTiming:
    """parallel_suite, as `make acceptance JOBS=N` runs it, against one embedded platform."""
    with tempfile.TemporaryDirectory(prefix="bench-parallel-") as scratch:
        results = results_dir or Path(scratch) / "allure-results"
        run = parallel_suite.run(
            jobs,
            behavex_args=[f"--tags={tags}"] if tags else [],
            results_dir=results,
            output_dir=Path(scratch) / "behavex",
            junit_dir=None,
            environ=embedded_only(os.environ),
            capture=True,
        )
        if run.exit_code:
            print(run.output[-2000:], file=sys.stderr)
        return SuiteTiming(run.exit_code, run.seconds, scenario_timings(results))


def measure_stalled_verdict() -> StalledVerdict:
    from suite_tools.fault_matrix import run_suite  # the same scratch-directory run the fault matrix uses

    run = run_suite(faults=[STALL_FAULT])
    stopped = any(STALL_REASON in scenario.message for scenario in run.failed)
    return StalledVerdict(run.seconds, run.exit_code, stopped)


def measure_slow_platform() -> SlowPlatform:
    from suite_tools.fault_matrix import run_suite  # the same scratch-directory run the fault matrix uses

    with tempfile.TemporaryDirectory(prefix="bench-slow-") as scratch:
        results = Path(scratch) / "allure-results"
        run = run_suite(faults=[SLOW_FAULT], allure_results=results)
        timings = scenario_timings(results)
    if run.exit_code:
        print(run.output[-2000:], file=sys.stderr)
    return SlowPlatform(
        run.seconds,
        run.exit_code,
        sum(timing.near_misses for timing in timings),
        sum(timing.near_misses_s for timing in timings),
    )


def measure(
    *, repeat: int, jobs: int, tags: str | None = None, progress=print, stall: bool = True, slow: bool = True
) -> Bench:
    delay = float(suite_userdata().get("model_chunk_delay") or 0)
    bench = Bench(jobs=jobs)
    for round_number in range(1, repeat + 1):
        progress(f"round {round_number} of {repeat}: start-up, serial suite, parallel suite ({jobs} processes)")
        bench.startups.append(measure_startup(delay))
        bench.serial.append(run_serial(tags))
        if jobs > 1:
            bench.parallel.append(run_parallel(jobs, tags))
    if slow:
        progress(f"a slow platform: the whole suite with {SLOW_FAULT}")
        bench.slow = measure_slow_platform()
    if stall:
        progress(f"a stalled platform's verdict: the whole suite with {STALL_FAULT}")
        bench.stalled = measure_stalled_verdict()
    return bench


# -- reporting ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    name: str
    core: bool
    wall_s: float
    floor_s: float
    streams: int
    target_s: float | None
    met: bool | None


def scenario_rows(runs: Sequence[SuiteTiming]) -> list[Row]:
    """Each scenario's median wall time and floor over the runs; @core first, then the slowest first."""
    walls: dict[tuple[str, str], list[float]] = {}
    floors: dict[tuple[str, str], list[float]] = {}
    first: dict[tuple[str, str], ScenarioTiming] = {}
    for run in runs:
        for timing in run.scenarios:
            if timing.status == "skipped":
                continue
            key = (timing.feature, timing.name)
            walls.setdefault(key, []).append(timing.wall_s)
            floors.setdefault(key, []).append(timing.floor_s)
            first.setdefault(key, timing)
    rows = []
    for key, timing in first.items():
        wall, floor = statistics.median(walls[key]), statistics.median(floors[key])
        target = CORE_FACTOR * floor + CORE_ALLOWANCE_S if timing.core else None
        rows.append(
            Row(
                timing.name,
                timing.core,
                wall,
                floor,
                timing.streams,
                target,
                None if target is None else wall <= target,
            )
        )
    return sorted(rows, key=lambda row: (not row.core, -row.wall_s))


def verdicts(bench: Bench) -> list[str]:
    """What missed its target (empty when everything met it)."""
    missed = []
    startup = _median(startup.total_s for startup in bench.startups)
    if startup is not None and startup >= STARTUP_TARGET_S:
        missed.append(f"embedded start-up {startup:.2f} s is not under {STARTUP_TARGET_S:g} s")
    keep_alive = _median(startup.keep_alive_s for startup in bench.startups)
    if keep_alive is not None and keep_alive >= KEEP_ALIVE_TARGET_S:
        missed.append(
            f"keep-alive round trip {keep_alive * 1000:.1f} ms is not under {KEEP_ALIVE_TARGET_S * 1000:g} ms"
        )
    serial = _median(run.seconds for run in bench.serial)
    if serial is not None and serial >= SERIAL_SUITE_TARGET_S:
        missed.append(f"whole suite serial {serial:.1f} s is not under {SERIAL_SUITE_TARGET_S:g} s")
    for row in scenario_rows(bench.serial):
        if row.met is False:
            missed.append(f"@core {row.name}: {row.wall_s:.3f} s is over its target {row.target_s:.3f} s")
    slow = bench.slow
    if slow is not None and not slow.met:
        missed.append(
            f"the slow platform's run ({SLOW_FAULT}) took {slow.seconds:.1f} s with exit status {slow.exit_code}, "
            f"not a pass under {SLOW_TARGET_S:g} s"
        )
    stalled = bench.stalled
    if stalled is not None:
        if stalled.seconds >= STALL_TARGET_S:
            missed.append(f"a stalled platform's verdict took {stalled.seconds:.1f} s, not under {STALL_TARGET_S:g} s")
        if stalled.exit_code == 0 or not stalled.stopped_with_reason:
            missed.append(f"a stalled platform's run did not stop with the reason ({STALL_REASON!r})")
    for kind, runs in (("serial", bench.serial), ("parallel", bench.parallel)):
        for run in runs:
            if run.exit_code:
                missed.append(f"a {kind} run failed (exit status {run.exit_code})")
    return missed


def table(bench: Bench) -> str:
    rounds = len(bench.serial)
    lines = [f"chat-acceptance bench: embedded reference platform, {os.cpu_count()} cores, median of {rounds}", ""]
    startup = _median(startup.total_s for startup in bench.startups)
    if startup is not None:
        imports = _median(startup.import_s for startup in bench.startups)
        start = _median(startup.start_s for startup in bench.startups)
        lines.append(
            f"embedded start-up      {startup:6.2f} s   (imports {imports:.2f} s + start_platform {start:.2f} s)   "
            f"target < {STARTUP_TARGET_S:g} s   {_ok(startup < STARTUP_TARGET_S)}"
        )
        keep_alive = _median(startup.keep_alive_s for startup in bench.startups)
        lines.append(
            f"keep-alive round trip  {keep_alive * 1000:6.1f} ms  (median of 9 health checks on one connection)  "
            f"target < {KEEP_ALIVE_TARGET_S * 1000:g} ms  {_ok(keep_alive < KEEP_ALIVE_TARGET_S)}"
        )
    serial = _median(run.seconds for run in bench.serial)
    if serial is not None:
        lines.append(
            f"whole suite, serial    {serial:6.2f} s   (behave, {_scenario_count(bench.serial)} scenarios)"
            f"{'':17}target < {SERIAL_SUITE_TARGET_S:g} s  {_ok(serial < SERIAL_SUITE_TARGET_S)}"
        )
    parallel = _median(run.seconds for run in bench.parallel)
    if parallel is not None and serial:
        lines.append(
            f"whole suite, parallel  {parallel:6.2f} s   (behavex, {bench.jobs} processes, one platform)   "
            f"speed-up {serial / parallel:.2f} x"
        )
    slow = bench.slow
    if slow is not None:
        lines.append(
            f"slow platform          {slow.seconds:6.2f} s   (whole suite, {SLOW_FAULT}: {slow.near_misses} near "
            f"misses in {slow.near_misses_s:.1f} s)   target < {SLOW_TARGET_S:g} s and passing  {_ok(slow.met)}"
        )
    stalled = bench.stalled
    if stalled is not None:
        met = stalled.seconds < STALL_TARGET_S and stalled.stopped_with_reason
        lines.append(
            f"stalled platform       {stalled.seconds:6.2f} s   (whole suite, {STALL_FAULT}: verdict with reason)"
            f"{'':3}target < {STALL_TARGET_S:g} s  {_ok(met)}"
        )
    generated = near_miss_figures(bench.serial)
    if generated["sent"]:
        lines.append(
            f"near-miss confirmations {generated['seconds']:6.2f} s   ({generated['sent']} generated confirmations "
            f"in {generated['scenarios']} scenarios, {generated['per_confirmation_ms']:.1f} ms each; serial run)"
        )
    lines += ["", _scenario_table(scenario_rows(bench.serial))]
    return "\n".join(lines)


def near_miss_figures(runs: Sequence[SuiteTiming]) -> dict:
    """The generated confirmations of a run (median over the runs): how many, in how many scenarios, how long."""
    per_run = [
        [timing for timing in run.scenarios if timing.near_misses and timing.status != "skipped"] for run in runs
    ]
    sent = _median(sum(timing.near_misses for timing in timings) for timings in per_run) or 0
    seconds = _median(sum(timing.near_misses_s for timing in timings) for timings in per_run) or 0.0
    return {
        "sent": int(sent),
        "scenarios": int(_median(len(timings) for timings in per_run) or 0),
        "seconds": seconds,
        "per_confirmation_ms": 1000 * seconds / sent if sent else 0.0,
    }


def _scenario_table(rows: list[Row]) -> str:
    header = ("scenario (serial run)", "wall", "floor", "streams", "target", "")
    cells = [header]
    for row in rows:
        cells.append(
            (
                ("@core " if row.core else "") + row.name,
                f"{row.wall_s:.3f} s",
                f"{row.floor_s:.3f} s",
                str(row.streams),
                f"<= {row.target_s:.3f} s" if row.target_s is not None else "",
                _ok(row.met) if row.met is not None else "",
            )
        )
    name_width = min(100, max(len(cell[0]) for cell in cells))
    widths = [name_width, *(max(len(cell[column]) for cell in cells) for column in range(1, len(header)))]
    lines = []
    for number, cell in enumerate(cells):
        name = cell[0] if len(cell[0]) <= name_width else cell[0][: name_width - 1] + "…"
        parts = [name.ljust(name_width)] + [
            value.rjust(width) if column in (1, 2, 3) else value.ljust(width)
            for column, (value, width) in enumerate(zip(cell[1:], widths[1:], strict=True), start=1)
        ]
        lines.append("  ".join(parts).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def to_json(bench: Bench) -> dict:
    serial = _median(run.seconds for run in bench.serial)
    parallel = _median(run.seconds for run in bench.parallel)
    return {
        "cores": os.cpu_count(),
        "rounds": len(bench.serial),
        "jobs": bench.jobs,
        "startup_s": _median(startup.total_s for startup in bench.startups),
        "keep_alive_round_trip_s": _median(startup.keep_alive_s for startup in bench.startups),
        "serial_suite_s": serial,
        "parallel_suite_s": parallel,
        "speed_up": serial / parallel if serial and parallel else None,
        "stalled_platform_verdict_s": bench.stalled.seconds if bench.stalled else None,
        "slow_platform_s": bench.slow.seconds if bench.slow else None,
        "serial_runs": [{"exit_code": run.exit_code, "seconds": run.seconds} for run in bench.serial],
        "parallel_runs": [{"exit_code": run.exit_code, "seconds": run.seconds} for run in bench.parallel],
        "near_misses": near_miss_figures(bench.serial),
        "scenarios": [asdict(row) for row in scenario_rows(bench.serial)],
        "parallel_scenarios": [asdict(row) for row in scenario_rows(bench.parallel)],
        "missed": verdicts(bench),
    }


def _scenario_count(runs: Sequence[SuiteTiming]) -> int:
    return len(
        {(timing.feature, timing.name) for run in runs for timing in run.scenarios if timing.status != "skipped"}
    )


def _median(values: Iterable[float]) -> float | None:
    values = list(values)
    return statistics.median(values) if values else None


def _ok(met: bool) -> str:
    return "ok" if met else "MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m suite_tools.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds of measurement (default %(default)s)")
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 2,
        help="processes for the parallel run; 1 skips it (default: the cores, %(default)s)",
    )
    parser.add_argument("--tags", help="only the scenarios matching this behave tag expression")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--no-stall", dest="stall", action="store_false", help="skip the stalled platform's verdict (about 35 s)"
    )
    parser.add_argument(
        "--no-slow", dest="slow", action="store_false", help=f"skip the slow platform's run ({SLOW_FAULT}, about 100 s)"
    )
    arguments = parser.parse_args(argv)
    if arguments.repeat < 1 or arguments.jobs < 1:
        parser.error("--repeat and --jobs must be at least 1")
    bench = measure(
        repeat=arguments.repeat,
        jobs=arguments.jobs,
        tags=arguments.tags,
        stall=arguments.stall,
        slow=arguments.slow,
        progress=lambda line: print(line, flush=True),
    )
    print()
    print(table(bench))
    missed = verdicts(bench)
    if arguments.json:
        arguments.json.write_text(json.dumps(to_json(bench), indent=2) + "\n")
    print()
    print("every target met" if not missed else "MISSED:\n  " + "\n  ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
