"""How a setting is declared: one `setting(...)` field of SuiteConfig carries its default, its name (for
`-D name=value`, behave's userdata and a profile's key), its profile table, its kind, its environment variable,
whether it is secret, and one line of help.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any

from chat_acceptance.config import kinds

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
    default: Any,
    help: str,
    *,
    group: str,
    name: str = "",
    kind: Callable[[str], Any] = kinds.text,
    env: str | None = None,
    secret: bool = False,
    required: bool = False,
    account: str = "",
) -> Any:
    """One setting, declared as a SuiteConfig field. `name` defaults to the field's name."""
    declared = Setting(name, group, default, help, kind, env, secret or bool(account), required, account)
    value = kind(kinds.as_text(default))
    if isinstance(value, dict):
        return field(default_factory=lambda: dict(value), metadata={"setting": declared}, hash=False)
    return field(default=value, metadata={"setting": declared}, hash=False)


def declared_settings(config_class: type) -> list[tuple[str, Setting]]:
    """Each field of `config_class` declared with `setting(...)`, as (its attribute, its Setting), in order; a
    setting's name is its attribute's unless declared otherwise."""
    declared = []
    for item in fields(config_class):
        found: Setting | None = item.metadata.get("setting")
        if found is not None:
            declared.append((item.name, replace(found, name=found.name or item.name)))
    return declared
