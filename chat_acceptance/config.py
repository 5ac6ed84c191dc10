"""The suite's configuration: every setting declared once, as a field of SuiteConfig; one frozen object, built
once, that never shows a secret.

A setting is one `setting(...)` field below: its default, its name (for `-D name=value`, behave's userdata and
a profile's key), the profile table it belongs in, how its text converts, its environment variable if it has
one, whether it is secret, and one line of help. The environment variables, the userdata names, the profile
keys, the `chat-acceptance config` printout and the table in docs/configuration.md are all read from these
fields; nothing else lists them.

Sources, later ones winning: the declared default, a profile (a TOML file per deployment, `-D profile=...`),
the setting's environment variable, then `behave -D name=value`. Nothing else in the suite reads os.environ.
"""
from __future__ import annotations

import difflib
import math
import re
import secrets as random_source
import string
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from chat_acceptance.redaction import REDACTED, is_secret_name

# Names that tools running behave define for themselves (behavex: each worker's number); accepted, unused.
RUNNER_SETTINGS = ("worker_id",)
# The tables of a profile, in the order the docs list them.
GROUPS = {
    "services": "where the deployment's three services answer, and their health checks",
    "accounts": "the accounts the run signs in with (the contract's test user, second user, administrator, supervisor)",
    "requests": "what every request carries and how it travels: extra headers, a proxy",
    "tls": "trusting a private certificate authority, presenting a client certificate",
    "browser": "the web page origin the cross-origin (CORS) scenarios use",
    "new_accounts": "the accounts the run creates, shaped to the deployment's username, e-mail and password rules",
    "credits": "the credits the run grants",
    "timeouts": "how long the run waits",
    "run": "how the run behaves: clean-up, contract checks, pacing, known defects, generated values",
    "reference": "the embedded reference platform only (ignored against a deployment)",
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _as_text(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (list, tuple)):
        return ",".join(str(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{name}: {text}" for name, text in value.items())
    return "" if value is None else str(value).strip()


class ConfigError(ValueError):
    """A configuration value that cannot be used; the message is one line naming it and its source."""


# ------------------------------------------------------------------------------------------------ kinds
# How a setting's text becomes its value. Each raises ValueError with what the value must be.


def _text(text: str) -> str:
    return text


def _optional(text: str) -> str | None:
    return text or None


def _url(text: str) -> str:
    if text and not text.startswith(("http://", "https://")):
        raise ValueError("is not an http:// or https:// URL")
    return text.rstrip("/") if text else text


def _path(text: str) -> str:
    if text and not text.startswith("/"):
        raise ValueError("is not a path starting with /")
    return text


def _file(text: str) -> str:
    if text and not Path(text).expanduser().is_file():
        raise ValueError("names no readable file")
    return str(Path(text).expanduser()) if text else text


def _number(*, whole: bool = False, zero: bool = False) -> Callable[[str], float]:
    def convert(text: str) -> float:
        try:
            number = int(text) if whole else float(text)
        except ValueError:
            raise ValueError(f"is not {'a whole number' if whole else 'a number'}") from None
        if not math.isfinite(number) or number < 0 or number == 0 and not zero:
            raise ValueError(f"must be {'at least 0' if zero else 'greater than 0'}")
        return number

    return convert


def _flag(text: str) -> bool:
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise ValueError("is not on/off")


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


# The seed of generated values when none is set: the same in every run, so verdicts repeat. RANDOM_SEED asks for
# a new one (exploring); it is printed at the start either way.
DEFAULT_SEED = 20
RANDOM_SEED = "random"


def _seed(text: str) -> int | None:
    if text.strip().lower() == RANDOM_SEED:
        return None  # None: a new seed for this run
    return int(_number(whole=True, zero=True)(text)) if text else DEFAULT_SEED


def _headers(text: str) -> dict[str, str]:
    """`Name: value; Name: value` (a profile writes a table instead)."""
    headers = {}
    for item in filter(None, (part.strip() for part in text.split(";"))):
        name, colon, value = item.partition(":")
        if not colon or not re.fullmatch(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+", name.strip()):
            raise ValueError("is not a list of 'Name: value' separated by ';'")
        headers[name.strip()] = value.strip()
    return headers


def _template(*placeholders: str) -> Callable[[str], str]:
    def convert(text: str) -> str:
        used = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        unknown = used - set(placeholders)
        if unknown or placeholders[0] not in used:
            raise ValueError(f"must contain {{{placeholders[0]}}} and no placeholder but {', '.join(placeholders)}")
        return text

    return convert


def _claim_places(text: str) -> tuple[str, ...]:
    places = _names(text)
    if not places or not set(places) <= {"headers", "query", "body"}:
        raise ValueError("must name one or more of headers, query, body (headers are always sent)")
    return tuple(dict.fromkeys(("headers", *places)))


_SERVICES = ("auth", "accounting", "chat")


def _rates(text: str) -> dict[str, float]:
    """"chat=30, auth=100" -> {"chat": 30.0, "auth": 100.0}: requests per minute per service."""
    rates = {}
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        service, _, rate = part.partition("=")
        try:
            value = float(rate)
        except ValueError:
            value = -1.0
        if service.strip() not in _SERVICES or not math.isfinite(value) or value <= 0:
            raise ValueError(f"must be service=requests per minute, e.g. chat=30 (services: {', '.join(_SERVICES)})")
        rates[service.strip()] = value
    return rates


def _prefix(text: str) -> str:
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,23}", text):
        raise ValueError("must be 1-24 lower-case letters, digits or -")
    return text


# Kinds for which an empty text means something (none, no file, a new seed); for the others it means the default.
_EMPTY_IS_A_VALUE = frozenset({_text, _optional, _url, _file, _headers, _names, _seed, _rates})

# ------------------------------------------------------------------------------------------------ declaration


@dataclass(frozen=True)
class Setting:
    name: str  # -D name, userdata key, key in the profile table `group`
    group: str
    default: Any  # as a profile would write it
    help: str
    convert: Callable[[str], Any]
    env: str | None = None  # the environment variable that may set it
    secret: bool = False  # never shown; in a profile only as { env = "VARIABLE" }
    required: bool = False  # may not be empty
    account: str = ""  # a password: the setting naming its account (an empty account needs no password)


def setting(
    default: Any, help: str, *, group: str, name: str = "", kind: Callable[[str], Any] = _text,
    env: str | None = None, secret: bool = False, required: bool = False, account: str = "",
) -> Any:
    """One setting, declared as a SuiteConfig field. `name` defaults to the field's name."""
    declared = Setting(name, group, default, help, kind, env, secret or bool(account), required, account)
    value = kind(_as_text(default))
    if isinstance(value, dict):
        return field(default_factory=lambda: dict(value), metadata={"setting": declared}, hash=False)
    return field(default=value, metadata={"setting": declared}, hash=False)


@dataclass(frozen=True)
class Account:
    username: str
    password: str = field(repr=False)

    def __repr__(self) -> str:
        return f"Account({self.username!r}, password={REDACTED})"


@dataclass(frozen=True)
class SuiteConfig:
    # -- services: empty means: start the embedded reference platform on free ports
    auth_url: str = setting("", "the auth service's root URL (empty, all three: the embedded reference platform)",
                            group="services", name="auth_service_url", kind=_url, env="AUTH_SERVICE_URL")
    accounting_url: str = setting("", "the accounting service's root URL", group="services",
                                  name="accounting_service_url", kind=_url, env="ACCOUNTING_SERVICE_URL")
    chat_url: str = setting("", "the chat service's root URL", group="services", name="chat_service_url",
                            kind=_url, env="CHAT_SERVICE_URL")
    auth_health_path: str = setting("/health", "the auth service's health check, under its URL", group="services",
                                    kind=_path)
    accounting_health_path: str = setting("/health", "the accounting service's health check, under its URL",
                                          group="services", kind=_path)
    chat_health_path: str = setting("/api/health", "the chat service's health check, under its URL",
                                    group="services", kind=_path)
    # -- accounts: Alice is the test user and Bob the second user (both end users)
    test_username: str = setting("user1", "Alice: an end user", group="accounts", name="test_user", env="TEST_USER",
                                 required=True)
    test_user_password: str = setting("User1@123", "Alice's password", group="accounts", env="TEST_USER_PASSWORD",
                                      account="test_user")
    second_username: str = setting("user2", "Bob: another end user", group="accounts", name="second_user",
                                   env="SECOND_USER", required=True)
    second_user_password: str = setting("User2@123", "Bob's password", group="accounts", env="SECOND_USER_PASSWORD",
                                        account="second_user")
    admin_username: str = setting("admin", "the administrator (empty: skip the scenarios that need one)",
                                  group="accounts", name="admin_user", env="ADMIN_USER")
    admin_password: str = setting("admin@admin", "the administrator's password", group="accounts",
                                  env="ADMIN_PASSWORD", account="admin_user")
    supervisor_username: str = setting("supervisor1", "the supervisor (empty: skip the scenarios that need one)",
                                       group="accounts", name="supervisor_user", env="SUPERVISOR_USER")
    supervisor_password: str = setting("Supervisor1@", "the supervisor's password", group="accounts",
                                       env="SUPERVISOR_PASSWORD", account="supervisor_user")
    jwt_secret: str | None = setting("", "the token signing secret, only to forge an expired token (empty: skip "
                                     "those scenarios; the embedded platform's is known)", group="accounts",
                                     kind=_optional, env="JWT_SECRET", secret=True)
    # -- requests
    extra_headers: dict[str, str] = setting({}, "headers every request carries, e.g. an API gateway key "
                                            "('Name: value; ...'; in a profile a table)", group="requests",
                                            kind=_headers)
    requests_per_minute: dict[str, float] = setting("", "pacing per service in requests per minute, e.g. "
                                                    "'chat=30, auth=120' (empty: none)", group="requests",
                                                    kind=_rates)
    proxy: str = setting("", "the HTTP(S) proxy every request goes through (empty: none, or the usual "
                         "HTTPS_PROXY variables)", group="requests", kind=_url)
    # -- tls
    ca_bundle: str = setting("", "a CA bundle (PEM) to trust instead of the system's", group="tls", kind=_file)
    client_certificate: str = setting("", "a client certificate (PEM) to present", group="tls", kind=_file)
    client_key: str = setting("", "the client certificate's private key (PEM), if not in the certificate file",
                              group="tls", kind=_file)
    verify_tls: bool = setting("on", "verify the services' certificates (off only for a throwaway deployment)",
                               group="tls", kind=_flag)
    # -- browser
    browser_origin: str = setting("https://chat.example.com", "the origin of the web page that calls the platform "
                                  "in the cross-origin scenarios", group="browser", kind=_url)
    # -- new_accounts
    run_prefix: str = setting("chat-acceptance", "what everything the run creates is named with, followed by the "
                              "run's own 6 hex digits (the run ID), so that leftovers are findable",
                              group="new_accounts", kind=_prefix)
    username_template: str = setting("{run}-{name}-{hex}", "usernames of the accounts a scenario creates: {run} is "
                                     "the run ID, {name} the persona (carol), {hex} 8 random hex digits",
                                     group="new_accounts", kind=_template("hex", "name", "run"))
    email_template: str = setting("{username}@example.com", "their e-mail addresses", group="new_accounts",
                                  kind=_template("username"))
    password_template: str = setting("Pw1-{token}!", "their passwords: {token} is 16 random letters, digits, - "
                                     "and _; the rest is kept, so a policy's digit or symbol can be written in",
                                     group="new_accounts", kind=_template("token"))
    # -- credits
    credits_to_allocate: int = setting(5000, "credits the administrator grants Alice and Bob in set-up (0: none; "
                                       "they must have credits already)", group="credits",
                                       kind=_number(whole=True, zero=True))
    credits_ceiling: int = setting(100_000, "the most credits the run may grant its personas on demand, beyond "
                                   "credits_to_allocate (0: none)", group="credits",
                                   kind=_number(whole=True, zero=True))
    spend_down_replies: int = setting(40, "replies a new user may ask for to spend welcome credits down to none "
                                      "before the no-credits promise is not checked", group="credits",
                                      kind=_number(whole=True))
    # -- timeouts, in seconds
    connect_timeout_s: float = setting(3, "connecting to a service", group="timeouts", name="connect_timeout",
                                       kind=_number())
    read_timeout_s: float = setting(10, "waiting for an answer, or between two pieces of a stream", group="timeouts",
                                    name="read_timeout", kind=_number())
    stream_deadline_s: float = setting(15, "a whole stream", group="timeouts", name="stream_deadline", kind=_number())
    stream_event_cap: int = setting(10000, "events read from one stream at most", group="timeouts",
                                    kind=_number(whole=True))
    confirm_retry_s: float = setting(5, "the window in which a confirmation with the right ID may still meet a "
                                     "mismatch (a deployment may store the ID late)", group="timeouts",
                                     name="confirm_retry", kind=_number(zero=True))
    health_deadline_s: float = setting(10, "the services' health checks in set-up", group="timeouts",
                                       name="health_deadline", kind=_number())
    # -- run
    keep_resources: bool = setting("off", "keep what scenarios create (for debugging)", group="run", kind=_flag)
    contract_checks: bool = setting("on", "check every answer against contract/openapi.yaml", group="run",
                                    kind=_flag)
    identity_claims: tuple[str, ...] = setting("headers, query, body", "where whoever is not the owner also "
                                               "claims to be the owner on every request (headers, query, body); "
                                               "drop query or body for a deployment that rightly refuses unknown "
                                               "parameters or fields", group="run", kind=_claim_places)
    shared_accounts: bool = setting("off", "other runs use the configured accounts at the same time (parallel runs): "
                                    "Alice and Bob then get a scenario-fresh funded account, so that a refusal "
                                    "is still compared on their balances", group="run", kind=_flag,
                                    env="SHARED_ACCOUNTS")
    stall_limit: int = setting(3, "stalls or connection failures in a row after which the rest of the run fails at "
                               "once", group="run", kind=_number(whole=True))
    throttle_budget_s: float = setting(300, "seconds the run may wait as 429 answers tell it to", group="run",
                                       name="throttle_budget", kind=_number(zero=True))
    max_requests_per_second: float = setting(0, "pacing (0: none)", group="run", kind=_number(zero=True))
    baseline_file: str = setting("acceptance-baseline.json", "known defects (empty or no such file: none)",
                                 group="run", name="baseline")
    outcomes_dir: str = setting("reports/scenario-outcomes", "where each scenario's outcome goes, for the "
                                "baseline", group="run", name="scenario_outcomes")
    seed: int = setting("", "the seed of generated values (empty: the fixed default, so two runs print the same "
                        f"failure lines; {RANDOM_SEED!r}: a new one each run); printed at the start", group="run",
                        kind=_seed)
    near_misses_per_family: int = setting(12, "near misses of a streaming session ID tried per family",
                                          group="run", kind=_number(whole=True))
    near_miss_workers: int = setting(8, "near misses of one family sent at once (1: one after another)",
                                     group="run", kind=_number(whole=True))
    near_miss_budget_s: float = setting(30, "seconds one family of near misses may take (none starts after that)",
                                        group="run", name="near_miss_budget", kind=_number())
    # -- reference
    reference_faults: tuple[str, ...] = setting("", "fault switches to turn on, separated by commas",
                                                group="reference", kind=_names)
    model_chunk_delay_s: float = setting(0.01, "seconds between the pieces of a reply", group="reference",
                                         name="model_chunk_delay", kind=_number(zero=True))
    # -- the profile itself: from -D profile=... (the command's --profile) or its variable, never from a profile
    profile: str = setting("", "the profile file (a name: profiles/<name>.toml)", group="",
                           env="CHAT_ACCEPTANCE_PROFILE")
    # -- not settings: what the sources said
    embedded: bool = True  # no URLs configured: the suite starts the reference platform itself
    origins: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)  # setting -> where from

    @classmethod
    def from_sources(
        cls, userdata: Mapping[str, object], defines: Iterable[str], environ: Mapping[str, str]
    ) -> SuiteConfig:
        """`userdata` is behave's merged userdata; `defines` the names given with -D (they beat the environment)."""
        defines = list(defines)
        _refuse_unknown(defines)
        source = _Source(userdata, set(defines), environ)
        values = {item.name: source.value(declared) for item, declared in _fields()}
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
        values = [getattr(self, item.name) for item, declared in _fields() if declared.secret]
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
        for item, declared in _fields():
            value = getattr(self, item.name)
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


def _refuse_default_passwords(values: dict[str, Any], source: _Source) -> None:
    """With a profile for a deployment, the accounts are the deployment's: a password left at the reference platform's default is a
    missing secret, not a guess worth a failed sign-in."""
    attributes = {declared.name: item.name for item, declared in _fields()}
    for declared in SETTINGS:
        if declared.account and values[attributes[declared.account]] and declared.name not in source.origins:
            raise ConfigError(
                f"{declared.name} is not set for profile {source.profile}: set ${declared.env}, or write "
                f'{declared.name} = {{ env = "VARIABLE" }} in [{declared.group}]'
            )


def _fields() -> list[tuple[Any, Setting]]:
    return [(item, _declared(item)) for item in fields(SuiteConfig) if "setting" in item.metadata]


def _declared(item: Any) -> Setting:
    declared = item.metadata["setting"]
    return replace(declared, name=declared.name or item.name)


SETTINGS: tuple[Setting, ...] = tuple(declared for _, declared in _fields())
BY_NAME = {declared.name: declared for declared in SETTINGS}
ENVIRONMENT_VARIABLES = {declared.name: declared.env for declared in SETTINGS if declared.env}


def defaults() -> dict[str, str]:
    """Every setting's default as text: behave userdata for tools that write a behave.ini."""
    return {declared.name: _as_text(declared.default) for declared in SETTINGS if declared.name != "profile"}


def settings_table() -> str:
    """The table in docs/configuration.md, one row per setting, grouped as a profile groups them."""
    rows = ["| profile table | setting (`-D`, profile key) | environment variable | default | meaning |",
            "| --- | --- | --- | --- | --- |"]
    for group in [*GROUPS, ""]:
        for declared in (item for item in SETTINGS if item.group == group):
            default = _as_text(declared.default)
            shown = "(secret)" if declared.secret and default else f"`{default}`" if default else "(empty)"
            rows.append(
                f"| {f'[{group}]' if group else '(command line)'} | `{declared.name}` | "
                f"{f'`{declared.env}`' if declared.env else ''} | {shown} | {declared.help.replace('|', '/')} |"
            )
    return "\n".join(rows)


def _refuse_unknown(defines: Iterable[str]) -> None:
    """A `-D` name the suite does not know is a typo: it would silently check nothing, so it stops the run."""
    for name in defines:
        if name in BY_NAME or name in RUNNER_SETTINGS or "." in name:  # "AllureFormatter.x": a formatter's own
            continue
        raise ConfigError(f"unknown setting -D {name}{_suggestion(name, list(BY_NAME))}")


def _suggestion(name: str, known: list[str]) -> str:
    nearest = difflib.get_close_matches(name, known, n=1)
    return f"; did you mean {nearest[0]}?" if nearest else f"; known: {', '.join(known)}"


# ------------------------------------------------------------------------------------------------ profiles


@dataclass(frozen=True)
class _EnvReference:
    """`{ env = "NAME" }` in a profile: the value is that environment variable's."""

    variable: str


def profile_path(reference: str) -> Path:
    """A profile by name (profiles/<name>.toml, from the current directory) or by path."""
    if reference.endswith(".toml") or "/" in reference:
        return Path(reference).expanduser()
    return Path("profiles") / f"{reference}.toml"


def read_profile(reference: str) -> dict[str, Any]:
    """A profile's values by setting name: text, a table (extra_headers) or an _EnvReference."""
    path = profile_path(reference)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"profile {path}: no such file") from None
    except (OSError, tomllib.TOMLDecodeError) as problem:
        raise ConfigError(f"profile {path}: {problem}") from None
    keys = [f"{declared.group}.{declared.name}" for declared in SETTINGS if declared.group]
    values: dict[str, Any] = {}
    for group, table in document.items():
        if not isinstance(table, dict) or group not in GROUPS:
            raise ConfigError(f"profile {path}: unknown key {group}{_suggestion(group, list(GROUPS))}")
        for key, value in table.items():
            declared = BY_NAME.get(key)
            if declared is None or declared.group != group:
                raise ConfigError(f"profile {path}: unknown key {group}.{key}{_suggestion(f'{group}.{key}', keys)}")
            values[key] = _profile_value(path, declared, value)
    return values


def _profile_value(path: Path, declared: Setting, value: object) -> Any:
    where = f"profile {path}: {declared.group}.{declared.name}"
    if declared.name == "extra_headers":
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a table of header names and values")
        return {name: _profile_value(path, replace(declared, name=f"extra_headers.{name}", secret=False), text)
                for name, text in value.items()}
    if isinstance(value, dict):
        if set(value) != {"env"} or not isinstance(value["env"], str):
            raise ConfigError(f'{where} must be a value or {{ env = "VARIABLE" }}')
        return _EnvReference(value["env"])
    if declared.secret:
        raise ConfigError(
            f'{where} is a secret and is never written in a file: write {declared.name} = {{ env = "VARIABLE" }} '
            "and set that variable"
        )
    return _as_text(value)


class _Source:
    """Looks a setting up in -D, its environment variable, the profile, then userdata; converts it; remembers
    where each value came from."""

    def __init__(self, userdata: Mapping[str, object], defines: set[str], environ: Mapping[str, str]):
        self._userdata = userdata
        self._defines = defines
        self._environ = environ
        self.origins: dict[str, str] = {}
        self._profile: dict[str, Any] = {}
        profile = _as_text(self._raw(BY_NAME["profile"]))  # the profile's own name comes from -D or the environment
        self.profile = str(profile_path(profile)) if profile else ""
        self._profile = read_profile(profile) if profile else {}

    def value(self, declared: Setting) -> Any:
        raw = self._raw(declared)
        if declared.name == "extra_headers" and isinstance(raw, dict):
            return {name: self._resolve(declared, text, f"extra_headers {name}") for name, text in raw.items()}
        text = self._resolve(declared, raw, declared.name)
        if declared.required and not text:
            raise ConfigError(f"{declared.name} is required but empty ({self.origin(declared)})")
        if text == "" and declared.convert not in _EMPTY_IS_A_VALUE:
            text = _as_text(declared.default)  # an empty number, flag, path or template means: the default
        try:
            return declared.convert(text)
        except ValueError as problem:
            raise ConfigError(f"{declared.name}={text!r} ({self.origin(declared)}) {problem}") from None

    def origin(self, declared: Setting) -> str:
        return self.origins.get(declared.name, "default")

    def _raw(self, declared: Setting) -> object:
        name = declared.name
        if name in self._defines:
            self.origins[name] = f"from -D {name}"
            return self._userdata.get(name)
        if declared.env and declared.env in self._environ:
            self.origins[name] = f"from ${declared.env}"
            return self._environ[declared.env]
        if name in self._profile:
            self.origins[name] = f"from profile {self.profile}"
            return self._profile[name]
        if name in self._userdata:
            self.origins[name] = f"from userdata {name}"
            return self._userdata[name]
        return declared.default

    def _resolve(self, declared: Setting, raw: object, what: str) -> str:
        if isinstance(raw, _EnvReference):
            if raw.variable not in self._environ:
                raise ConfigError(f"{what}: ${raw.variable}, named in profile {self.profile}, is not set")
            self.origins[declared.name] = f"from ${raw.variable}, named in profile {self.profile}"
            return self._environ[raw.variable].strip()
        return _as_text(raw)
