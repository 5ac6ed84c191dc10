"""The suite's configuration: SuiteConfig, one frozen object, built once, that never shows a secret; every
setting declared once, as one of its `setting(...)` fields (declaration.py says what a field carries).

The environment variables, the userdata names, the profile keys, the `chat-acceptance config` printout and the
table in docs/configuration.md are all read from these fields; nothing else lists them.
"""

from __future__ import annotations

import secrets as random_source
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from chat_acceptance.config import kinds
from chat_acceptance.config.declaration import GROUPS, Setting, declared_settings, setting
from chat_acceptance.config.sources import ConfigError, Source, refuse_unknown
from chat_acceptance.redaction import REDACTED, is_secret_name


@dataclass(frozen=True)
class Account:
    username: str
    password: str = field(repr=False)

    def __repr__(self) -> str:
        return f"Account({self.username!r}, password={REDACTED})"


@dataclass(frozen=True)
class SuiteConfig:
    # -- services: empty means: start the embedded reference platform on free ports
    auth_url: str = setting(
        "",
        "the auth service's root URL (empty, all three: the embedded reference platform)",
        group="services",
        name="auth_service_url",
        kind=kinds.url,
        env="AUTH_SERVICE_URL",
    )
    accounting_url: str = setting(
        "",
        "the accounting service's root URL",
        group="services",
        name="accounting_service_url",
        kind=kinds.url,
        env="ACCOUNTING_SERVICE_URL",
    )
    chat_url: str = setting(
        "",
        "the chat service's root URL",
        group="services",
        name="chat_service_url",
        kind=kinds.url,
        env="CHAT_SERVICE_URL",
    )
    auth_health_path: str = setting(
        "/health", "the auth service's health check, under its URL", group="services", kind=kinds.path
    )
    accounting_health_path: str = setting(
        "/health", "the accounting service's health check, under its URL", group="services", kind=kinds.path
    )
    chat_health_path: str = setting(
        "/api/health", "the chat service's health check, under its URL", group="services", kind=kinds.path
    )
    # -- accounts: Alice is the test user and Bob the second user (both end users)
    test_username: str = setting(
        "user1", "Alice: an end user", group="accounts", name="test_user", env="TEST_USER", required=True
    )
    test_user_password: str = setting(
        "User1@123", "Alice's password", group="accounts", env="TEST_USER_PASSWORD", account="test_user"
    )
    second_username: str = setting(
        "user2", "Bob: another end user", group="accounts", name="second_user", env="SECOND_USER", required=True
    )
    second_user_password: str = setting(
        "User2@123", "Bob's password", group="accounts", env="SECOND_USER_PASSWORD", account="second_user"
    )
    admin_username: str = setting(
        "admin",
        "the administrator (empty: skip the scenarios that need one)",
        group="accounts",
        name="admin_user",
        env="ADMIN_USER",
    )
    admin_password: str = setting(
        "admin@admin", "the administrator's password", group="accounts", env="ADMIN_PASSWORD", account="admin_user"
    )
    supervisor_username: str = setting(
        "supervisor1",
        "the supervisor (empty: skip the scenarios that need one)",
        group="accounts",
        name="supervisor_user",
        env="SUPERVISOR_USER",
    )
    supervisor_password: str = setting(
        "Supervisor1@",
        "the supervisor's password",
        group="accounts",
        env="SUPERVISOR_PASSWORD",
        account="supervisor_user",
    )
    jwt_secret: str | None = setting(
        "",
        "the token signing secret, only to forge an expired token (empty: skip "
        "those scenarios; the embedded platform's is known)",
        group="accounts",
        kind=kinds.optional,
        env="JWT_SECRET",
        secret=True,
    )
    # -- requests
    extra_headers: dict[str, str] = setting(
        {},
        "headers every request carries, e.g. an API gateway key ('Name: value; ...'; in a profile a table)",
        group="requests",
        kind=kinds.headers,
    )
    requests_per_minute: dict[str, float] = setting(
        "",
        "pacing per service in requests per minute, e.g. 'chat=30, auth=120' (empty: none)",
        group="requests",
        kind=kinds.rates,
    )
    proxy: str = setting(
        "",
        "the HTTP(S) proxy every request goes through (empty: none, or the usual HTTPS_PROXY variables)",
        group="requests",
        kind=kinds.url,
    )
    # -- tls
    ca_bundle: str = setting("", "a CA bundle (PEM) to trust instead of the system's", group="tls", kind=kinds.file)
    client_certificate: str = setting("", "a client certificate (PEM) to present", group="tls", kind=kinds.file)
    client_key: str = setting(
        "", "the client certificate's private key (PEM), if not in the certificate file", group="tls", kind=kinds.file
    )
    verify_tls: bool = setting(
        "on", "verify the services' certificates (off only for a throwaway deployment)", group="tls", kind=kinds.flag
    )
    # -- browser
    browser_origin: str = setting(
        "https://chat.example.com",
        "the origin of the web page that calls the platform in the cross-origin scenarios",
        group="browser",
        kind=kinds.url,
    )
    # -- new_accounts
    run_prefix: str = setting(
        "chat-acceptance",
        "what everything the run creates is named with, followed by the "
        "run's own 6 hex digits (the run ID), so that leftovers are findable",
        group="new_accounts",
        kind=kinds.prefix,
    )
    username_template: str = setting(
        "{run}-{name}-{hex}",
        "usernames of the accounts a scenario creates: {run} is "
        "the run ID, {name} the persona (carol), {hex} 8 random hex digits",
        group="new_accounts",
        kind=kinds.template("hex", "name", "run"),
    )
    email_template: str = setting(
        "{username}@example.com", "their e-mail addresses", group="new_accounts", kind=kinds.template("username")
    )
    password_template: str = setting(
        "Pw1-{token}!",
        "their passwords: {token} is 16 random letters, digits, - "
        "and _; the rest is kept, so a policy's digit or symbol can be written in",
        group="new_accounts",
        kind=kinds.template("token"),
    )
    # -- credits
    credits_to_allocate: int = setting(
        5000,
        "credits the administrator grants Alice and Bob in set-up (0: none; they must have credits already)",
        group="credits",
        kind=kinds.number(whole=True, zero=True),
    )
    credits_ceiling: int = setting(
        100_000,
        "the most credits the run may grant its personas on demand, beyond credits_to_allocate (0: none)",
        group="credits",
        kind=kinds.number(whole=True, zero=True),
    )
    spend_down_replies: int = setting(
        40,
        "replies a new user may ask for to spend welcome credits down to none "
        "before the no-credits promise is not checked",
        group="credits",
        kind=kinds.number(whole=True),
    )
    # -- timeouts, in seconds
    connect_timeout_s: float = setting(
        3, "connecting to a service", group="timeouts", name="connect_timeout", kind=kinds.number()
    )
    read_timeout_s: float = setting(
        10,
        "waiting for an answer, or between two pieces of a stream",
        group="timeouts",
        name="read_timeout",
        kind=kinds.number(),
    )
    stream_deadline_s: float = setting(
        15, "a whole stream", group="timeouts", name="stream_deadline", kind=kinds.number()
    )
    stream_event_cap: int = setting(
        10000, "events read from one stream at most", group="timeouts", kind=kinds.number(whole=True)
    )
    confirm_retry_s: float = setting(
        5,
        "the window in which a confirmation with the right ID may still meet a "
        "mismatch (a deployment may store the ID late)",
        group="timeouts",
        name="confirm_retry",
        kind=kinds.number(zero=True),
    )
    health_deadline_s: float = setting(
        10, "the services' health checks in set-up", group="timeouts", name="health_deadline", kind=kinds.number()
    )
    # -- run
    keep_resources: bool = setting("off", "keep what scenarios create (for debugging)", group="run", kind=kinds.flag)
    contract_checks: bool = setting(
        "on", "check every answer against contract/openapi.yaml", group="run", kind=kinds.flag
    )
    identity_claims: tuple[str, ...] = setting(
        "headers, query, body",
        "where the scenario's people claim what only the token may say, on every "
        "request (headers, query, body): whoever is not the owner claims to be the "
        "owner and names her conversation, end users and supervisors claim the "
        "administrator's role; drop query or body for a deployment that rightly "
        "refuses unknown parameters or fields",
        group="run",
        kind=kinds.claim_places,
    )
    shared_accounts: bool = setting(
        "off",
        "other runs use the configured accounts at the same time (parallel runs): "
        "Alice and Bob then get a scenario-fresh funded account, so that a refusal "
        "is still compared on their balances",
        group="run",
        kind=kinds.flag,
        env="SHARED_ACCOUNTS",
    )
    stall_limit: int = setting(
        3,
        "stalls or connection failures in a row after which the rest of the run fails at once",
        group="run",
        kind=kinds.number(whole=True),
    )
    throttle_budget_s: float = setting(
        300,
        "seconds the run may wait as 429 answers tell it to",
        group="run",
        name="throttle_budget",
        kind=kinds.number(zero=True),
    )
    max_requests_per_second: float = setting(0, "pacing (0: none)", group="run", kind=kinds.number(zero=True))
    baseline_file: str = setting(
        "acceptance-baseline.json", "known defects (empty or no such file: none)", group="run", name="baseline"
    )
    outcomes_dir: str = setting(
        "reports/scenario-outcomes",
        "where each scenario's outcome goes, for the baseline",
        group="run",
        name="scenario_outcomes",
    )
    seed: int = setting(
        "",
        "the seed of generated values (empty: the fixed default, so two runs print the same "
        f"failure lines; {kinds.RANDOM_SEED!r}: a new one each run); printed at the start",
        group="run",
        kind=kinds.seed,
    )
    near_misses_per_family: int = setting(
        12, "near misses of a streaming session ID tried per family", group="run", kind=kinds.number(whole=True)
    )
    near_miss_workers: int = setting(
        8, "near misses of one family sent at once (1: one after another)", group="run", kind=kinds.number(whole=True)
    )
    near_miss_budget_s: float = setting(
        30,
        "seconds one family of near misses may take (none starts after that)",
        group="run",
        name="near_miss_budget",
        kind=kinds.number(),
    )
    # -- reference
    reference_faults: tuple[str, ...] = setting(
        "", "fault switches to turn on, separated by commas", group="reference", kind=kinds.names
    )
    model_chunk_delay_s: float = setting(
        0.01,
        "seconds between the pieces of a reply",
        group="reference",
        name="model_chunk_delay",
        kind=kinds.number(zero=True),
    )
    # -- the profile itself: from -D profile=... (the command's --profile) or its variable, never from a profile
    profile: str = setting(
        "", "the profile file (a name: profiles/<name>.toml)", group="", env="CHAT_ACCEPTANCE_PROFILE"
    )
    # -- not settings: what the sources said
    embedded: bool = True  # no URLs configured: the suite starts the reference platform itself
    origins: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)  # setting -> where from

    @classmethod
    def from_sources(
        cls, userdata: Mapping[str, object], defines: Iterable[str], environ: Mapping[str, str]
    ) -> SuiteConfig:
        """`userdata` is behave's merged userdata; `defines` the names given with -D (they beat the environment)."""
        defines = list(defines)
        refuse_unknown(defines, BY_NAME)
        source = Source(userdata, set(defines), environ, BY_NAME)
        values = {attribute: source.value(declared) for attribute, declared in _FIELDS}
        urls = [values["auth_url"], values["accounting_url"], values["chat_url"]]
        if any(urls) and not all(urls):
            raise ConfigError(
                "set all three of auth_service_url, accounting_service_url and chat_service_url "
                "($AUTH_SERVICE_URL, $ACCOUNTING_SERVICE_URL, $CHAT_SERVICE_URL), or none of them to use the "
                "embedded reference platform"
            )
        if source.profile and any(urls):
            _refuse_default_passwords(values, source)
        if values["seed"] is None:
            values["seed"] = random_source.randbelow(2**32)
        return cls(**values, embedded=not any(urls), origins=source.origins)

    # -- the accounts
    @property
    def test_user(self) -> Account:
        return Account(self.test_username, self.test_user_password)

    @property
    def second_user(self) -> Account:
        return Account(self.second_username, self.second_user_password)

    @property
    def admin(self) -> Account | None:
        """None: scenarios that need an administrator are skipped."""
        return Account(self.admin_username, self.admin_password) if self.admin_username else None

    @property
    def supervisor(self) -> Account | None:
        """None: scenarios that need a supervisor are skipped."""
        return Account(self.supervisor_username, self.supervisor_password) if self.supervisor_username else None

    def new_username(self, name: str, run: str) -> str:
        return self.username_template.format(name=name.lower(), hex=random_source.token_hex(4), run=run)

    def new_email(self, username: str) -> str:
        return self.email_template.format(username=username)

    def new_password(self) -> str:
        return self.password_template.format(token=random_source.token_urlsafe(12))

    def with_platform(self, *, auth_url: str, accounting_url: str, chat_url: str, jwt_secret: str) -> SuiteConfig:
        """The configuration once the embedded platform runs: its URLs and its token signing secret."""
        return replace(self, auth_url=auth_url, accounting_url=accounting_url, chat_url=chat_url, jwt_secret=jwt_secret)

    def secrets(self) -> list[str]:
        """Every secret value the configuration holds, for the redactor."""
        values = [getattr(self, attribute) for attribute, declared in _FIELDS if declared.secret]
        values += [value for name, value in self.extra_headers.items() if is_secret_name(name)]
        return [value for value in values if value]

    def named(self, name: str) -> str:
        """A setting by name and where its value came from: "supervisor_password (from $SUPERVISOR_PASSWORD)"."""
        declared = BY_NAME[name]
        origin = self.origins.get(name) or "the default" + (f"; ${declared.env} sets it" if declared.env else "")
        return f"{name} ({origin})"

    def describe(self, *, origins: bool = False) -> str:
        """One line per setting, secrets shown as <REDACTED>, for the start of a run and `chat-acceptance config`."""
        lines = []
        for attribute, declared in _FIELDS:
            value = getattr(self, attribute)
            if declared.secret and value:
                shown = REDACTED
            elif declared.name == "extra_headers":
                shown = repr({name: REDACTED if is_secret_name(name) else text for name, text in value.items()})
            else:
                shown = repr(value)
            where = f"  ({self.origins.get(declared.name, 'default')})" if origins else ""
            lines.append(f"  {declared.name} = {shown}{where}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return "SuiteConfig(\n" + self.describe() + "\n)"


def _refuse_default_passwords(values: dict[str, Any], source: Source) -> None:
    """With a profile for a deployment, the accounts are the deployment's: a password left at the reference
    platform's default is a missing secret, not a guess worth a failed sign-in."""
    attributes = {declared.name: attribute for attribute, declared in _FIELDS}
    for declared in SETTINGS:
        if declared.account and values[attributes[declared.account]] and declared.name not in source.origins:
            raise ConfigError(
                f"{declared.name} is not set for profile {source.profile}: set ${declared.env}, or write "
                f'{declared.name} = {{ env = "VARIABLE" }} in [{declared.group}]'
            )


_FIELDS = declared_settings(SuiteConfig)  # (attribute, setting) pairs
SETTINGS: tuple[Setting, ...] = tuple(declared for _, declared in _FIELDS)
BY_NAME = {declared.name: declared for declared in SETTINGS}
ENVIRONMENT_VARIABLES = {declared.name: declared.env for declared in SETTINGS if declared.env}


def defaults() -> dict[str, str]:
    """Every setting's default as text: behave userdata for tools that write a behave.ini."""
    return {declared.name: kinds.as_text(declared.default) for declared in SETTINGS if declared.name != "profile"}


def settings_table() -> str:
    """The table in docs/configuration.md, one row per setting, grouped as a profile groups them."""
    rows = [
        "| profile table | setting (`-D`, profile key) | environment variable | default | meaning |",
        "| --- | --- | --- | --- | --- |",
    ]
    for group in [*GROUPS, ""]:
        for declared in (item for item in SETTINGS if item.group == group):
            default = kinds.as_text(declared.default)
            shown = "(secret)" if declared.secret and default else f"`{default}`" if default else "(empty)"
            rows.append(
                f"| {f'[{group}]' if group else '(command line)'} | `{declared.name}` | "
                f"{f'`{declared.env}`' if declared.env else ''} | {shown} | {declared.help.replace('|', '/')} |"
            )
    return "\n".join(rows)
