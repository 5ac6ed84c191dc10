"""behave hooks: the life of a run.

before_all: configuration -> the embedded reference platform (only when no deployment is configured) -> the
client -> health checks -> sign-ins and credits. Any of these failing stops the run with one line.
Each scenario gets a World; everything it creates registers its own clean-up, which runs even when the
scenario fails (`-D keep_resources=on` keeps them for debugging).
"""
from __future__ import annotations

import os
import platform as host
from importlib import metadata

from behave import fixture, use_fixture

from chat_acceptance import reporting
from chat_acceptance.reporting import allure_dynamic
from chat_acceptance.transport.client import HttpTransport, PlatformClient, Timeouts
from chat_acceptance.config import ConfigError, SuiteConfig
from chat_acceptance.contract import ContractChecker
from chat_acceptance.redaction import Redactor
from chat_acceptance.world import Suite, World, near_misses

# What a @needs.<name> tag needs -> whether the configuration grants it.
NEEDS = {
    "admin": lambda config: config.admin is not None,
    "supervisor": lambda config: config.supervisor is not None,
    "jwt_secret": lambda config: config.jwt_secret is not None,
}


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
    try:
        config = SuiteConfig.from_sources(context.config.userdata, _defined_names(context.config), os.environ)
        if config.embedded:
            platform = use_fixture(embedded_reference_platform, context, config)
            config = config.with_platform(
                auth_url=platform.auth_url,
                accounting_url=platform.accounting_url,
                chat_url=platform.chat_url,
                jwt_secret=platform.jwt_secret,
            )
    except (ConfigError, ValueError) as problem:
        context.abort(f"configuration: {_one_line(problem)}")
        return
    checker = ContractChecker.load() if config.contract_checks else None
    timeouts = Timeouts(config.connect_timeout_s, config.read_timeout_s, config.stream_deadline_s, config.stream_event_cap)
    redactor = Redactor(config.secrets())
    transport = HttpTransport(timeouts, redactor, checker)
    context.add_cleanup(transport.close)
    if allure_dynamic.install():
        # Every exchange lands on the running scenario's report, redacted (outside a scenario it is dropped).
        transport.add_listener(lambda exchange: reporting.attach_exchange(exchange, redactor))
        reporting.write_run_metadata(
            _allure_results_dir(context), environment=_run_environment(config), redactor=redactor
        )
    context.suite = Suite(
        config,
        PlatformClient(transport, auth_url=config.auth_url, accounting_url=config.accounting_url, chat_url=config.chat_url),
    )
    context.contract_checker = checker
    print("chat-acceptance configuration" + (" (embedded reference platform)" if config.embedded else "") + ":")
    print(config.describe())
    print(f"generated values: seed {config.seed} (repeat them with -D seed={config.seed}), at most "
          f"{config.near_misses_per_family} near misses per family")
    near_misses.warm_up()
    try:
        context.suite.check_health()
        for persona in ("Alice", "Bob"):
            context.suite.signed_in(persona)
        if config.admin is not None and config.credits_to_allocate > 0:
            context.suite.give_credits_to_test_users()
        else:
            print("no credits allocated in set-up: Alice and Bob must already have credits")
    except AssertionError as problem:
        context.abort(_one_line(problem))


def before_scenario(context, scenario):
    config = context.suite.config
    missing = [need for need in _needs(scenario) if not NEEDS[need](config)]
    if missing:
        scenario.skip(f"needs {', '.join(missing)}, which this run's configuration does not provide")
        return
    reporting.apply_scenario_labels(scenario)
    context.world = World(context.suite, add_cleanup=_cleanup_registrar(context, config.keep_resources))
    stop_recording = context.suite.platform.transport.add_listener(context.world.exchanges.append)
    context.add_cleanup(stop_recording)


def after_step(context, step):
    if step.status == "failed" and getattr(context, "world", None) and context.world.exchanges:
        reporting.attach_failure(context.world.exchanges[-1], context.suite.platform.transport.redactor)


def after_all(context):
    checker = getattr(context, "contract_checker", None)
    if checker is not None:
        print(
            f"contract checks: {checker.responses_checked} responses and {checker.events_checked} stream events "
            "validated against contract/openapi.yaml"
        )


def _needs(scenario) -> list[str]:
    needs = [tag.removeprefix("needs.") for tag in scenario.effective_tags if tag.startswith("needs.")]
    unknown = [need for need in needs if need not in NEEDS]
    if unknown:
        raise ValueError(f"unknown @needs tag(s) {unknown} on {scenario.name!r}; known: {sorted(NEEDS)}")
    return needs


def _cleanup_registrar(context, keep: bool):
    """Registers a scenario's clean-up so that it runs even when the scenario fails, and never fails itself."""

    def add_cleanup(description, action):
        if keep:
            print(f"kept (keep_resources is on): {description}")
            return
        context.add_cleanup(_run_cleanup, description, action)

    return add_cleanup


def _run_cleanup(description, action):
    try:
        action()
    except Exception as problem:  # a clean-up that fails must not hide the scenario's own verdict
        print(f"clean-up could not {description}: {_one_line(problem)}")


def _allure_results_dir(context) -> str:
    """Where the Allure formatter writes (outfiles in [tool.behave], or -o)."""
    formatter = next(f for f in context._runner.formatters if f.name == "allure" or "Allure" in type(f).__name__)
    return formatter.stream_opener.name


def _run_environment(config: SuiteConfig) -> dict[str, str]:
    return {
        "Platform": "embedded reference platform" if config.embedded else "external deployment",
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
