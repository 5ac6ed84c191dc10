"""The suite's configuration: one frozen object, built once, that never shows a secret.

Sources, later ones winning: [tool.behave.userdata] in pyproject.toml, environment variables (only the ones in
ENVIRONMENT_VARIABLES), then `behave -D name=value`. Nothing else in the suite reads os.environ.
"""
from __future__ import annotations

import difflib
import math
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace

from chat_acceptance.redaction import REDACTED

# userdata name -> environment variable that may set it
ENVIRONMENT_VARIABLES = {
    "shared_accounts": "SHARED_ACCOUNTS",
    "auth_service_url": "AUTH_SERVICE_URL",
    "accounting_service_url": "ACCOUNTING_SERVICE_URL",
    "chat_service_url": "CHAT_SERVICE_URL",
    "test_user": "TEST_USER",
    "test_user_password": "TEST_USER_PASSWORD",
    "second_user": "SECOND_USER",
    "second_user_password": "SECOND_USER_PASSWORD",
    "admin_user": "ADMIN_USER",
    "admin_password": "ADMIN_PASSWORD",
    "supervisor_user": "SUPERVISOR_USER",
    "supervisor_password": "SUPERVISOR_PASSWORD",
    "jwt_secret": "JWT_SECRET",
}

# Every name `-D` may set. A name outside this list is a typo (or a setting of a formatter: "Name.option").
SETTINGS = (
    "auth_service_url", "accounting_service_url", "chat_service_url",
    "test_user", "test_user_password", "second_user", "second_user_password",
    "admin_user", "admin_password", "supervisor_user", "supervisor_password", "jwt_secret",
    "connect_timeout", "read_timeout", "stream_deadline", "stream_event_cap", "confirm_retry", "health_deadline",
    "credits_to_allocate", "keep_resources", "contract_checks", "shared_accounts",
    "stall_limit", "throttle_budget", "max_requests_per_second", "baseline", "scenario_outcomes",
    "seed", "near_misses_per_family",
    "reference_faults", "model_chunk_delay",
)

# Names that tools running behave define for themselves (behavex: each worker's number); accepted, unused.
RUNNER_SETTINGS = ("worker_id",)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(ValueError):
    """A configuration value that cannot be used; the message is one line naming it and its source."""


@dataclass(frozen=True)
class Account:
    username: str
    password: str = field(repr=False)

    def __repr__(self) -> str:
        return f"Account({self.username!r}, password={REDACTED})"


@dataclass(frozen=True)
class SuiteConfig:
    auth_url: str
    accounting_url: str
    chat_url: str
    embedded: bool  # no URLs configured: the suite starts the reference platform itself
    test_user: Account
    second_user: Account
    admin: Account | None  # None: scenarios that need an administrator are skipped
    supervisor: Account | None  # None: scenarios that need a supervisor are skipped
    jwt_secret: str | None = field(repr=False)  # None: scenarios that forge signed tokens are skipped
    connect_timeout_s: float = 3.0
    read_timeout_s: float = 10.0
    stream_deadline_s: float = 15.0
    stream_event_cap: int = 10_000
    confirm_retry_s: float = 5.0
    health_deadline_s: float = 10.0
    credits_to_allocate: int = 5000
    keep_resources: bool = False
    contract_checks: bool = True
    # Other runs use the configured accounts at the same time (parallel runs): Alice and Bob then get a
    # scenario-fresh funded account (with an administrator), so that a refusal is compared on their balances.
    shared_accounts: bool = False
    reference_faults: tuple[str, ...] = ()
    model_chunk_delay_s: float = 0.01
    baseline_file: str = "acceptance-baseline.json"  # known defects; no such file: no baseline
    outcomes_dir: str = "reports/scenario-outcomes"  # where each scenario's outcome goes, for the baseline
    # Run-level health: after this many stalls or connection failures in a row the rest of the run fails at once.
    stall_limit: int = 3
    # Seconds the whole run may spend waiting as 429 Too Many Requests answers tell it to; 0: no pacing limit.
    throttle_budget_s: float = 300.0
    max_requests_per_second: float = 0.0  # 0: no pacing
    # Generated values (near misses of a streaming session ID): the run's seed, chosen at random unless set
    # with -D seed=N (printed at the start, so any failure reproduces), and how many are tried per family.
    seed: int = 0
    near_misses_per_family: int = 12

    @classmethod
    def from_sources(
        cls, userdata: Mapping[str, object], defines: Iterable[str], environ: Mapping[str, str]
    ) -> SuiteConfig:
        """`userdata` is behave's merged userdata; `defines` the names given with -D (they beat the environment)."""
        defines = list(defines)
        _refuse_unknown(defines)
        source = _Source(userdata, set(defines), environ)
        urls = [source.text(name) for name in ("auth_service_url", "accounting_service_url", "chat_service_url")]
        if any(urls) and not all(urls):
            raise ConfigError(
                "set all three of AUTH_SERVICE_URL, ACCOUNTING_SERVICE_URL and CHAT_SERVICE_URL, or none of them "
                "to use the embedded reference platform"
            )
        for name, url in zip(("auth_service_url", "accounting_service_url", "chat_service_url"), urls, strict=True):
            if url and not url.startswith(("http://", "https://")):
                raise ConfigError(f"{name}={url!r} ({source.origin(name)}) is not an http:// or https:// URL")
        admin_user, supervisor_user = source.text("admin_user"), source.text("supervisor_user")
        return cls(
            auth_url=urls[0],
            accounting_url=urls[1],
            chat_url=urls[2],
            embedded=not any(urls),
            test_user=Account(source.text("test_user", required=True), source.text("test_user_password")),
            second_user=Account(source.text("second_user", required=True), source.text("second_user_password")),
            admin=Account(admin_user, source.text("admin_password")) if admin_user else None,
            supervisor=Account(supervisor_user, source.text("supervisor_password")) if supervisor_user else None,
            jwt_secret=source.text("jwt_secret") or None,
            connect_timeout_s=source.number("connect_timeout", cls.connect_timeout_s),
            read_timeout_s=source.number("read_timeout", cls.read_timeout_s),
            stream_deadline_s=source.number("stream_deadline", cls.stream_deadline_s),
            stream_event_cap=int(source.number("stream_event_cap", cls.stream_event_cap, whole=True)),
            confirm_retry_s=source.number("confirm_retry", cls.confirm_retry_s, allow_zero=True),
            health_deadline_s=source.number("health_deadline", cls.health_deadline_s),
            credits_to_allocate=int(
                source.number("credits_to_allocate", cls.credits_to_allocate, whole=True, allow_zero=True)
            ),
            keep_resources=source.flag("keep_resources", cls.keep_resources),
            shared_accounts=source.flag("shared_accounts", cls.shared_accounts),
            contract_checks=source.flag("contract_checks", cls.contract_checks),
            stall_limit=int(source.number("stall_limit", cls.stall_limit, whole=True)),
            throttle_budget_s=source.number("throttle_budget", cls.throttle_budget_s, allow_zero=True),
            max_requests_per_second=source.number(
                "max_requests_per_second", cls.max_requests_per_second, allow_zero=True
            ),
            reference_faults=tuple(name.strip() for name in source.text("reference_faults").split(",") if name.strip()),
            model_chunk_delay_s=source.number("model_chunk_delay", cls.model_chunk_delay_s, allow_zero=True),
            baseline_file=source.text("baseline") if source.raw("baseline") is not None else cls.baseline_file,
            outcomes_dir=source.text("scenario_outcomes") or cls.outcomes_dir,
            seed=int(source.number("seed", 0, whole=True, allow_zero=True)) if source.text("seed") else _new_seed(),
            near_misses_per_family=int(
                source.number("near_misses_per_family", cls.near_misses_per_family, whole=True)
            ),
        )

    def with_platform(self, *, auth_url: str, accounting_url: str, chat_url: str, jwt_secret: str) -> SuiteConfig:
        """The configuration once the embedded platform runs: its URLs and its token signing secret."""
        return replace(self, auth_url=auth_url, accounting_url=accounting_url, chat_url=chat_url, jwt_secret=jwt_secret)

    def secrets(self) -> list[str]:
        """Every secret value the configuration holds, for the redactor."""
        accounts = [self.test_user, self.second_user, self.admin, self.supervisor]
        return [value for value in [self.jwt_secret, *(a.password for a in accounts if a)] if value]

    def describe(self) -> str:
        """One line per setting, secrets shown as <REDACTED>, for the start of a run."""
        lines = []
        for item in fields(self):
            value = getattr(self, item.name)
            shown = REDACTED if item.name == "jwt_secret" and value else repr(value)
            lines.append(f"  {item.name} = {shown}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return "SuiteConfig(\n" + self.describe() + "\n)"


def _refuse_unknown(defines: Iterable[str]) -> None:
    """A `-D` name the suite does not know is a typo: it would silently check nothing, so it stops the run."""
    for name in defines:
        if name in SETTINGS or name in RUNNER_SETTINGS or "." in name:  # "AllureFormatter.x": a formatter's own
            continue
        nearest = difflib.get_close_matches(name, SETTINGS, n=1)
        hint = f"; did you mean {nearest[0]}?" if nearest else f"; known: {', '.join(SETTINGS)}"
        raise ConfigError(f"unknown setting -D {name}{hint}")


def _new_seed() -> int:
    return secrets.randbelow(2**32)


class _Source:
    """Looks a setting up in -D, then the environment, then pyproject's userdata, and converts it."""

    def __init__(self, userdata: Mapping[str, object], defines: set[str], environ: Mapping[str, str]):
        self._userdata = userdata
        self._defines = defines
        self._environ = environ

    def origin(self, name: str) -> str:
        if name in self._defines:
            return f"from -D {name}"
        variable = ENVIRONMENT_VARIABLES.get(name)
        if variable and variable in self._environ:
            return f"from ${variable}"
        return f"from userdata {name}"

    def raw(self, name: str) -> object:
        variable = ENVIRONMENT_VARIABLES.get(name)
        if name not in self._defines and variable and variable in self._environ:
            return self._environ[variable]
        return self._userdata.get(name)

    def text(self, name: str, *, required: bool = False) -> str:
        value = self.raw(name)
        text = "" if value is None else str(value).strip()
        if required and not text:
            raise ConfigError(f"{name} is required but empty ({self.origin(name)})")
        return text

    def number(self, name: str, default: float, *, whole: bool = False, allow_zero: bool = False) -> float:
        value = self.raw(name)
        if value is None or str(value).strip() == "":
            return default
        try:
            number = int(str(value)) if whole else float(str(value))
        except ValueError:
            kind = "a whole number" if whole else "a number"
            raise ConfigError(f"{name}={value!r} ({self.origin(name)}) is not {kind}") from None
        if not math.isfinite(number) or number < 0 or number == 0 and not allow_zero:
            bound = "at least 0" if allow_zero else "greater than 0"
            raise ConfigError(f"{name}={value!r} ({self.origin(name)}) must be {bound}")
        return number

    def flag(self, name: str, default: bool) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ConfigError(f"{name}={value!r} ({self.origin(name)}) is not on/off")
