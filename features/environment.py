"""behave hooks: the life of a run.

before_all: configuration -> what is selected -> the embedded reference platform (only when no deployment is
configured) -> the Suite (`build_suite`) -> the run's reports -> the set-up phases (`set_up`: health checks,
sign-ins, credits, the IDs' shape; chat_acceptance/world/build.py). Any of these failing stops the run with one
line, and the run then holds one failed result, "suite set-up", carrying that line: the reports (JUnit, Allure,
the HTML report) show a failed set-up, never an earlier run, and behave exits non-zero.
Each scenario gets a World; everything it creates registers its own clean-up, which runs even when the
scenario fails (`-D keep_resources=on` keeps them for debugging). With contract checks on, each scenario ends
with one more step, "every answer kept to the contract": the shapes are judged after the scenario's own promise.
"""

from __future__ import annotations

import os
import platform as host
import signal
import sys
import threading
from importlib import metadata

from behave import fixture, use_fixture
from behave.model import Step
from behave.model_type import Status
from behave.parser import parse_feature
from behave.tag_expression import make_tag_expression

from chat_acceptance.actors.credits import NotCheckable
from chat_acceptance.config.sources import ConfigError
from chat_acceptance.config.suite_config import SuiteConfig
from chat_acceptance.reporting import (
    allure_dynamic,
    attachments,
    baseline,
    contract_finding,
    findings,
    labels,
    run_metadata,
)
from chat_acceptance.reporting.console import NOT_CHECKED, RunSummary
from chat_acceptance.reporting.junit import use_reasoned_junit
from chat_acceptance.transport.run_health import Throttled
from chat_acceptance.world.build import build_suite, set_up
from chat_acceptance.world.scenario import World

# What a @needs.<name> tag needs -> whether the configuration grants it.
NEEDS = {
    "admin": lambda config: config.admin is not None,
    "supervisor": lambda config: config.supervisor is not None,
    "jwt_secret": lambda config: config.jwt_secret is not None,
}

# What a run that stops in set-up runs instead of the features: one scenario, failing with the reason.
SETUP_FEATURE = """Feature: Suite set-up
  Scenario: suite set-up
    Then the suite is set up
"""
# The step that ends every scenario when contract checks are on (features/steps/run_steps.py).
CONTRACT_STEP = "every answer kept to the contract"
# The step the run adds to every scenario, before the contract's: what holds for every request held
# (chat_acceptance.checks.invariants; docs/invariants.md).
INVARIANTS_STEP = "every request kept the promises that hold for all requests"


@fixture
def embedded_reference_platform(context, config: SuiteConfig):
    # Imported here: only the embedded default needs the reference platform; a real deployment never does.
    from suite_tools.suite_runs import start_embedded_platform

    platform = start_embedded_platform(config)
    try:
        yield platform
    finally:
        platform.stop()


def before_all(context):
    # Runs last of all (cleanups run in reverse): a run that could not check everything ends non-zero.
    context.add_cleanup(_end_status, context)
    context.on_cleanup_error = _quiet_about_incomplete_runs
    use_reasoned_junit(context.config)
    _interrupt_on_sigterm()
    context.setup_failure = None
    context.findings_beside_failures = []
    labels.name_outline_rows(_parsed_features(context))
    try:
        config = SuiteConfig.from_sources(context.config.userdata, _defined_names(context.config), os.environ)
    except (ConfigError, ValueError) as problem:
        return _stop_run(context, f"configuration: {_one_line(problem)}")
    if not _selected_scenarios(context):
        return _stop_run(context, f"nothing selected: no scenario matches {_selection(context.config)}")
    try:
        if config.embedded:
            platform = use_fixture(embedded_reference_platform, context, config)
            config = config.with_platform(
                auth_url=platform.auth_url,
                accounting_url=platform.accounting_url,
                chat_url=platform.chat_url,
                jwt_secret=platform.jwt_secret,
            )
    except (ConfigError, ValueError) as problem:
        return _stop_run(context, f"configuration: {_one_line(problem)}")
    suite = context.suite = build_suite(config)  # nothing sent yet: the run's reports and clean-ups come first
    transport = suite.platform.transport
    context.add_cleanup(transport.close)
    context.allure_results = None
    if allure_dynamic.install():
        # Every exchange lands on the running scenario's report, redacted (outside a scenario it is dropped).
        transport.add_listener(lambda exchange: attachments.attach_exchange(exchange, transport.redactor))
        context.allure_results = _allure_results_dir(context)
        context.run_environment = _run_environment(config)
        run_metadata.write_run_metadata(
            context.allure_results, environment=context.run_environment, redactor=transport.redactor
        )
    context.add_cleanup(suite.close)  # before the transport closes (clean-ups run in reverse)
    context.contract_checker = transport.checker
    try:
        known = baseline.load(config.baseline_file)
        context.outcomes = baseline.OutcomeRecorder(config.outcomes_dir, known, redact=transport.redactor.text)
    except ValueError as problem:
        return _stop_run(context, f"configuration: baseline {_one_line(problem)}")
    # Printed after everything else (a reporter, not after_all, whose output behave captures).
    context.config.reporters.append(
        RunSummary(
            context.config,
            notes=[
                lambda: _findings_beside_failures(context),
                transport.health.summary,
                suite.sign_in_summary,
                suite.bank.summary,
                lambda: suite.leftovers.summary(suite.bank.granted_line()),
                lambda: _throttled_line(context),
                suite.retry_summary,
                lambda: transport.checker.summary() if transport.checker else None,
                lambda: _seed_note(config),
            ],
        )
    )
    print("chat-acceptance configuration" + (" (embedded reference platform)" if config.embedded else "") + ":")
    print(config.describe())
    print(_seed_note(config) + f", at most {config.near_misses_per_family} near misses per family")
    try:
        set_up(suite)  # the named phases: health, sign-ins, credits, the IDs' shape (chat_acceptance/world/build.py)
    except Throttled as throttled:  # not the platform's fault: every scenario is not checked, none fails
        print(f"throttled in set-up: {_one_line(throttled)}", file=sys.stderr, flush=True)
        return
    except AssertionError as problem:
        return _stop_run(context, _one_line(problem))


def before_scenario(context, scenario):
    if context.setup_failure is not None:
        return  # the "suite set-up" scenario of a run that stopped in set-up
    config = context.suite.config
    missing = [need for need in _needs(scenario) if not NEEDS[need](config)]
    if missing:
        _not_checked(scenario, f"needs {', '.join(missing)}, which this run's configuration does not provide")
        return
    health = context.suite.platform.transport.health
    if health.throttled_service is not None:  # the waiting budget is spent: what is left is not checked
        _not_checked(scenario, health.verdict)
        return
    labels.apply_scenario_labels(scenario)
    context.world = World(context.suite, add_cleanup=_cleanup_registrar(context, config.keep_resources))
    transport = context.suite.platform.transport
    world = context.world
    context.add_cleanup(transport.add_listener(world.exchanges.append))
    # The invariants every scenario carries, on every exchange, without a step asking for them.
    context.add_cleanup(transport.add_send_listener(world.invariants.before_send))
    context.add_cleanup(transport.add_listener(world.invariants.observe))
    context.add_cleanup(transport.add_claim_source(world.identity_claims))
    _add_last_step(scenario, INVARIANTS_STEP)
    if context.contract_checker is not None:
        # Behaviour first: a finding no longer ends the step that met it; the added last step reports it.
        context.add_cleanup(transport.add_finding_listener(context.world.contract_findings.append))
        _add_last_step(scenario, CONTRACT_STEP)


def _add_last_step(scenario, name: str) -> None:
    """Appends a step the run adds by itself, once (an outline's rows share nothing, a rerun adds nothing)."""
    if any(step.name == name for step in scenario.steps):
        return
    last = scenario.steps[-1] if scenario.steps else None
    scenario.steps.append(Step(scenario.filename, last.line if last else scenario.line, "And", "then", name))


def before_step(context, step):
    world = getattr(context, "world", None)
    if world is not None:
        world.invariants.phase = step.step_type  # a Given sets up; When and Then attempt and check


def after_step(context, step):
    reason = _not_checkable(step)
    if reason is not None:
        # Not a verdict on the platform: the promise could not be checked here (throttling, welcome credits too
        # many to spend, no one may allocate). The scenario is skipped with the reason, never failed or passed.
        step.status, step.exception, step.exc_traceback = Status.skipped, None, None
        _not_checked(context.scenario, reason)
        return
    if step.status == "failed" and getattr(context, "world", None) and context.world.exchanges:
        attachments.attach_failure(context.world.exchanges[-1], context.suite.platform.transport.redactor)


def after_scenario(context, scenario):
    reason = getattr(scenario, "skip_reason", None) or ""
    if reason.startswith(NOT_CHECKED):
        labels.mark_not_checked(reason)
    outcomes = getattr(context, "outcomes", None)
    if outcomes is not None:
        outcomes.record(scenario)
    world = getattr(context, "world", None)
    if world is None or not world.contract_findings:
        return
    redactor = context.suite.platform.transport.redactor
    details = redactor.text("\n".join(str(finding) for finding in world.contract_findings))
    attachments.attach_text("contract findings", details, redactor)
    judged = any(step.name == CONTRACT_STEP and step.status != "skipped" for step in scenario.steps)
    if not judged:  # an earlier step failed: the behaviour verdict stays first, the finding is listed beside it
        finding = _stable(world.contract_findings[0])
        context.findings_beside_failures.append((scenario.name, finding))
        if context.allure_results is not None:
            contract_finding.write_contract_finding(context.allure_results, scenario, finding, details)


def after_all(context):
    suite = getattr(context, "suite", None)
    if suite is not None and not suite.config.keep_resources:
        suite.leftovers.sweep()  # whatever a scenario left behind: an interrupt, a clean-up that failed
    if suite is not None and getattr(context, "allure_results", None) is not None:
        # The HTML report's environment says what the run granted and left behind, as the summary does.
        left = suite.leftovers.remaining
        run_metadata.write_run_metadata(
            context.allure_results,
            environment={
                **context.run_environment,
                "Credits granted": str(sum(suite.bank.granted.values())),
                "Left on the deployment": f"{len(left)}: {', '.join(left)}" if left else "nothing",
            },
            redactor=suite.platform.transport.redactor,
        )
    outcomes = getattr(context, "outcomes", None)
    if outcomes is not None:
        written = outcomes.write(aborted=context.setup_failure is not None)
        # reports/findings.md beside the outcomes, and one Allure category per finding (make acceptance writes
        # them again from every process's outcomes when the run was parallel).
        findings.write_reports(
            findings.failures_from(outcomes.outcomes),
            written.parent.parent / "findings.md",
            getattr(context, "allure_results", None),
        )


class RunIncomplete(Exception):
    """Raised by the run's last clean-up when the run was throttled: behave then exits non-zero."""


def _end_status(context) -> None:
    suite = getattr(context, "suite", None)
    if suite is not None and suite.platform.transport.health.throttled_service is not None:
        raise RunIncomplete("throttled")


def _quiet_about_incomplete_runs(context, cleanup, exception) -> None:
    """The run summary's THROTTLED line says why; any other clean-up error is printed as behave would."""
    if not isinstance(exception, RunIncomplete):
        context.print_cleanup_error(context, cleanup, exception)


def _throttled_line(context) -> str | None:
    health = context.suite.platform.transport.health
    if health.verdict is None:
        return None
    scenarios = [scenario for feature in _parsed_features(context) for scenario in feature.walk_scenarios()]
    left = sum(health.verdict in (getattr(scenario, "skip_reason", None) or "") for scenario in scenarios)
    done = sum(getattr(scenario.status, "name", "") in ("passed", "failed", "error") for scenario in scenarios)
    return health.throttled_line(scenarios_done=done, scenarios_left=left)


def _not_checked(scenario, reason: str) -> None:
    """Skips the scenario as not checked, with the reason (behave would also log every skip to stderr: a throttled
    run would print a line per scenario there; the run summary lists them once)."""
    scenario.skip()
    scenario.skip_reason = f"{NOT_CHECKED}: {reason}"


def _not_checkable(step) -> str | None:
    """Why the step's promise could not be checked, when what stopped it says so (not a failure)."""
    if isinstance(step.exception, (NotCheckable, Throttled)):
        return _one_line(step.exception)
    return None


def _stop_run(context, reason: str) -> None:
    """Stops the run in set-up: one line now, and one failed "suite set-up" result instead of the features, so
    that every report says what happened (behave's own abort would leave them saying nothing, or the last run)."""
    print(f"ABORTED: {reason}", file=sys.stderr, flush=True)
    context.setup_failure = reason
    _parsed_features(context)[:] = [parse_feature(SETUP_FEATURE, filename="features/suite_setup.feature")]
    # The set-up result runs whatever --tags or --name selected.
    context.config.tag_expression = make_tag_expression("")
    context.config.name = None


def _parsed_features(context) -> list:
    """The features behave parsed for this run, before any runs. behave offers hooks no public way to reach
    them, and the run needs them in before_all: to name outline rows by their values, to see whether anything
    was selected, and to put the one "suite set-up" result in their place. This is the one place that reaches
    into behave's runner; a behave upgrade that moves it fails tests/meta/test_run_verdicts.py."""
    return context._runner.features


def _selected_scenarios(context) -> list:
    return [
        scenario
        for feature in _parsed_features(context)
        for scenario in feature.walk_scenarios()
        if scenario.should_run(context.config)
    ]


def _selection(config) -> str:
    parts = []
    if config.tags:
        parts.append(" ".join(f"--tags={tags}" for tags in config.tags))
    if config.name:
        parts.append(f"--name={' '.join(config.name)}")
    return " ".join(parts) or "the given paths"


def _findings_beside_failures(context) -> str | None:
    found = context.findings_beside_failures
    if not found:
        return None
    lines = [f"Contract findings beside failed scenarios ({len(found)}):"]
    lines += [f"  {name}\n      {finding}" for name, finding in found]
    return "\n".join(lines)


def _seed_note(config: SuiteConfig) -> str:
    return f"generated values: seed {config.seed} (repeat them with -D seed={config.seed}; -D seed=random explores)"


def _stable(finding: AssertionError) -> str:
    return getattr(finding, "stable_line", None) or _one_line(finding)


def _needs(scenario) -> list[str]:
    needs = [tag.removeprefix("needs.") for tag in scenario.effective_tags if tag.startswith("needs.")]
    unknown = [need for need in needs if need not in NEEDS]
    if unknown:
        raise ValueError(f"unknown @needs tag(s) {unknown} on {scenario.name!r}; known: {sorted(NEEDS)}")
    return needs


def _cleanup_registrar(context, keep: bool):
    """Registers a scenario's clean-up so that it runs even when the scenario fails, and never fails itself; the
    run's leftovers list enters it, and crosses it out once it succeeded."""
    leftovers = context.suite.leftovers

    def add_cleanup(description, action):
        if keep:
            print(f"kept (keep_resources is on): {description}")
            leftovers.keep(description)
            return
        context.add_cleanup(_run_cleanup, description, leftovers.enter(description, action), leftovers)

    return add_cleanup


def _run_cleanup(description, action, leftovers):
    try:
        action()
    except Exception as problem:  # a clean-up that fails must not hide the scenario's own verdict
        print(f"clean-up could not {description}: {_one_line(problem)}")
        leftovers.could_not_remove(description, _one_line(problem))


def _interrupt_on_sigterm() -> None:
    """SIGTERM (a CI job cancelled, a container stopped) ends the run as Ctrl-C does: behave stops, the running
    scenario's clean-ups and after_all still run, so what the run created is removed."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _allure_results_dir(context) -> str:
    """Where the Allure formatter writes: its outfile in [tool.behave] (or -o), paired with it by position."""
    formats, outputs = list(context.config.format or ()), list(context.config.outputs or ())
    index = next(position for position, name in enumerate(formats) if "allure" in name.lower())
    return outputs[index].name


def _run_environment(config: SuiteConfig) -> dict[str, str]:
    return {
        "Platform": "embedded reference platform" if config.embedded else "external deployment",
        "Profile": config.profile or "none",
        "Auth service": config.auth_url,
        "Accounting service": config.accounting_url,
        "Chat service": config.chat_url,
        "Reference faults": ", ".join(config.reference_faults) or "none",
        "Contract checks": "on" if config.contract_checks else "off",
        "Seed": str(config.seed),
        "Python": host.python_version(),
        "behave": metadata.version("behave"),
        "chat-acceptance": metadata.version("chat-acceptance"),
    }


def _defined_names(behave_config) -> list[str]:
    return [name for name, _ in behave_config.userdata_defines or []]


def _one_line(problem: BaseException) -> str:
    return " ".join(line.strip() for line in str(problem).splitlines() if line.strip())
