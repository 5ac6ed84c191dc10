"""How every runner gets its Suite (features/environment.py; suite_tools/locustfile.py, the load profile): built
by `build_suite`, then set up in named phases.

1. `connect` (inside `build_suite`): one redaction policy from the configuration's secrets, the contract checker
   (when on), the timeouts, the pacing, the connection a deployment's profile asks for (gateway headers, proxy,
   certificates) and the client of the three services. Nothing is sent yet: a runner wires its reports and
   clean-ups to the Suite first.
2. `set_up` runs the phases that prepare the scenarios, in order (SET_UP): warm up the near-miss generator,
   check every service's health, sign in the personas, fund them, learn the shape of streaming session IDs,
   and start counting stalls.

A phase that fails raises with one line naming what and where: PlatformUnavailable (a service that does not
answer), an AssertionError (a persona who cannot sign in, credits that did not arrive) or Throttled (the waiting
budget spent: no verdict on the platform). The runner turns that into its own verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from chat_acceptance.actors.credits import NotCheckable
from chat_acceptance.attacks import near_misses
from chat_acceptance.checks.matchers import is_accepted, require
from chat_acceptance.config.suite_config import SuiteConfig
from chat_acceptance.contract.checker import ContractChecker
from chat_acceptance.redaction import Redactor
from chat_acceptance.transport.client import PlatformClient
from chat_acceptance.transport.exchange import ApiResponse, PlatformUnavailable
from chat_acceptance.transport.http_transport import Connection, HttpTransport, Timeouts
from chat_acceptance.transport.run_health import RunHealth
from chat_acceptance.transport.sse import Ending
from chat_acceptance.waiting import poll_until
from chat_acceptance.world.suite import PAYING_PERSONAS, Suite, no_cleanup

Phase = Callable[[Suite], None]

# Who signs in during set-up -> the settings of their account: one who cannot sign in stops the run naming them.
SIGN_INS = {
    "Alice": ("test_user", "test_user_password"),
    "Bob": ("second_user", "second_user_password"),
    "the administrator": ("admin_user", "admin_password"),
    "the supervisor": ("supervisor_user", "supervisor_password"),
}


def build_suite(config: SuiteConfig, *, contract_checks: bool | None = None) -> Suite:
    """The run's Suite, connected to the configured deployment; `contract_checks` overrides the configuration's
    (the load profile turns them off: they cost the load generator CPU)."""
    return Suite(config, connect(config, contract_checks=contract_checks))


def connect(config: SuiteConfig, *, contract_checks: bool | None = None) -> PlatformClient:
    """The client of the three services, with every promise the transport keeps for every request."""
    checked = config.contract_checks if contract_checks is None else contract_checks
    # One redaction policy for the run, built from the configuration's secrets, for everything that shows text.
    redactor = Redactor(config.secrets())
    transport = HttpTransport(
        Timeouts(config.connect_timeout_s, config.read_timeout_s, config.stream_deadline_s, config.stream_event_cap),
        redactor,
        ContractChecker.load(redactor=redactor) if checked else None,
        RunHealth(
            stall_limit=config.stall_limit,
            throttle_budget_s=config.throttle_budget_s,
            max_requests_per_second=config.max_requests_per_second,
            requests_per_minute=config.requests_per_minute,
        ),
        Connection.of(config),
    )
    return PlatformClient(
        transport,
        auth_url=config.auth_url,
        accounting_url=config.accounting_url,
        chat_url=config.chat_url,
        health_paths=(config.auth_health_path, config.accounting_health_path, config.chat_health_path),
    )


def set_up(suite: Suite, phases: Sequence[Phase] | None = None) -> None:
    """Runs the set-up phases (SET_UP unless told otherwise) in order; the first that fails stops it."""
    for phase in SET_UP if phases is None else phases:
        phase(suite)


def warm_up_near_misses(suite: Suite) -> None:
    """Set-up pays for starting the near-miss generator, not the first scenario that tries near misses."""
    near_misses.warm_up()


def check_health(suite: Suite) -> None:
    """Waits, within the health deadline, for every service to answer its health check."""
    for service in suite.platform.services:
        result = poll_until(
            partial(_answer_or_why_not, service.health),
            lambda result: isinstance(result, ApiResponse) and result.status == 200,
            deadline_s=suite.config.health_deadline_s,
        )
        if isinstance(result, PlatformUnavailable):
            raise result
        if result.status != 200:
            raise PlatformUnavailable(
                f"{service.name} service at {service.root} is unavailable: its health check "
                f"{result.request} answered {result.status}"
            )


def _answer_or_why_not(health: Callable[[], ApiResponse]) -> ApiResponse | PlatformUnavailable:
    """A health check's answer, or why none came: polled again until the deadline either way."""
    try:
        return health()
    except PlatformUnavailable as unavailable:
        return unavailable


def sign_in_personas(suite: Suite) -> None:
    """Every configured account signs in now: a wrong password stops the run naming its setting, not a
    scenario."""
    for persona, (user_setting, password_setting) in SIGN_INS.items():
        account = suite.account(persona)
        if account is None:
            continue
        try:
            suite.signed_in(persona)
        except PlatformUnavailable:
            raise
        except AssertionError as problem:
            raise AssertionError(
                f"{suite.config.named(password_setting)}: {persona} cannot sign in as {account.username!r} "
                f"({user_setting}): {problem}"
            ) from None


def fund_personas(suite: Suite) -> None:
    """The administrator allocates credits to Alice and Bob, and their balances must grow. Where she may not
    (401 or 403), the run goes on: replies the personas cannot pay for are not checked, for that reason."""
    config = suite.config
    if config.admin is None or config.credits_to_allocate <= 0:
        print("no credits allocated in set-up: Alice and Bob must already have credits")
        return
    admin = suite.person("the administrator", add_cleanup=no_cleanup)
    for persona in PAYING_PERSONAS:
        person = suite.person(persona, add_cleanup=no_cleanup)
        before = person.balance()
        answer = admin.allocate(person.user_id, config.credits_to_allocate)
        if answer.status in (401, 403):  # a deployment that lets nobody allocate: one line, no cascade
            print(suite.bank.refused(answer))
            return
        require(answer, is_accepted(f"allocating credits to {persona} ({person.username})", 201))
        suite.bank.record_grant(persona, config.credits_to_allocate)
        after = person.balance()
        if after <= before:
            raise AssertionError(
                f"allocating {config.credits_to_allocate} credits to {person.username} left the balance "
                f"at {after} (was {before})"
            )


def learn_id_shape(suite: Suite) -> None:
    """Before the first scenario: two replies, so that the leak search knows from the start which part of an
    issued ID every ID shares (a fixed word, the time), and searches errors for the rest (leaks.IdSamples)."""
    alice = suite.person("Alice", add_cleanup=no_cleanup)
    try:
        conversation = alice.start_conversation()
        try:
            for question in ("What is an ID?", "And another one?"):
                stream = alice.ask(conversation, question)
                suite.id_samples.learn(stream.streaming_session_id)
                if stream.ending is not Ending.DONE:  # a stream that stalls would stall the next one too
                    break
        finally:
            alice.delete_conversation(conversation)
    # The scenarios judge what went wrong (or report it not checked: CannotPay); the run learns from theirs.
    except (AssertionError, NotCheckable) as problem:
        print(f"could not learn the shape of streaming session IDs in set-up: {str(problem).splitlines()[0]}")


def start_counting_stalls(suite: Suite) -> None:
    """Set-up has its own deadline (health_deadline); from here on, stalls and connection failures count."""
    suite.platform.transport.health.start_watching()


SET_UP: tuple[Phase, ...] = (
    warm_up_near_misses,
    check_health,
    sign_in_personas,
    fund_personas,
    learn_id_shape,
    start_counting_stalls,
)
