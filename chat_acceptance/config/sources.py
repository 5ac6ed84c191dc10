"""Where a setting's value comes from, later ones winning: the declared default, a profile (a TOML file per
deployment, `-D profile=...`), the setting's environment variable, then `behave -D name=value`. Nothing else in
the suite reads os.environ.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from chat_acceptance.config import kinds
from chat_acceptance.config.declaration import GROUPS, Setting

# Names that tools running behave define for themselves (behavex: each worker's number); accepted, unused.
RUNNER_SETTINGS = ("worker_id",)


class ConfigError(ValueError):
    """A configuration value that cannot be used; the message is one line naming it and its source."""


def refuse_unknown(defines: Iterable[str], settings: Mapping[str, Setting]) -> None:
    """A `-D` name the suite does not know is a typo: it would silently check nothing, so it stops the run."""
    for name in defines:
        if name in settings or name in RUNNER_SETTINGS or "." in name:  # "AllureFormatter.x": a formatter's own
            continue
        raise ConfigError(f"unknown setting -D {name}{_suggestion(name, list(settings))}")


def _suggestion(name: str, known: list[str]) -> str:
    nearest = difflib.get_close_matches(name, known, n=1)
    return f"; did you mean {nearest[0]}?" if nearest else f"; known: {', '.join(known)}"


@dataclass(frozen=True)
class _EnvReference:
    """`{ env = "NAME" }` in a profile: the value is that environment variable's."""

    variable: str


def profile_path(reference: str) -> Path:
    """A profile by name (profiles/<name>.toml, from the current directory) or by path."""
    if reference.endswith(".toml") or "/" in reference:
        return Path(reference).expanduser()
    return Path("profiles") / f"{reference}.toml"


def read_profile(reference: str, settings: Mapping[str, Setting]) -> dict[str, Any]:
    """A profile's values by setting name (`settings`: the declared ones by name): text, a table (extra_headers)
    or an _EnvReference."""
    path = profile_path(reference)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"profile {path}: no such file") from None
    except (OSError, tomllib.TOMLDecodeError) as problem:
        raise ConfigError(f"profile {path}: {problem}") from None
    keys = [f"{declared.group}.{declared.name}" for declared in settings.values() if declared.group]
    values: dict[str, Any] = {}
    for group, table in document.items():
        if not isinstance(table, dict) or group not in GROUPS:
            raise ConfigError(f"profile {path}: unknown key {group}{_suggestion(group, list(GROUPS))}")
        for key, value in table.items():
            declared = settings.get(key)
            if declared is None or declared.group != group:
                raise ConfigError(f"profile {path}: unknown key {group}.{key}{_suggestion(f'{group}.{key}', keys)}")
            values[key] = _profile_value(path, declared, value)
    return values


def _profile_value(path: Path, declared: Setting, value: object) -> Any:
    where = f"profile {path}: {declared.group}.{declared.name}"
    if declared.name == "extra_headers":
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a table of header names and values")
        return {
            name: _profile_value(path, replace(declared, name=f"extra_headers.{name}", secret=False), text)
            for name, text in value.items()
        }
    if isinstance(value, dict):
        if set(value) != {"env"} or not isinstance(value["env"], str):
            raise ConfigError(f'{where} must be a value or {{ env = "VARIABLE" }}')
        return _EnvReference(value["env"])
    if declared.secret:
        raise ConfigError(
            f'{where} is a secret and is never written in a file: write {declared.name} = {{ env = "VARIABLE" }} '
            "and set that variable"
        )
    return kinds.as_text(value)


class Source:
    """Looks a setting up in -D, its environment variable, the profile, then userdata; converts it; remembers
    where each value came from. `settings` are the declared ones by name."""

    def __init__(
        self,
        userdata: Mapping[str, object],
        defines: set[str],
        environ: Mapping[str, str],
        settings: Mapping[str, Setting],
    ):
        self._userdata = userdata
        self._defines = defines
        self._environ = environ
        self.origins: dict[str, str] = {}
        self._profile: dict[str, Any] = {}
        # the profile's own name comes from -D or the environment
        profile = kinds.as_text(self._raw(settings["profile"]))
        self.profile = str(profile_path(profile)) if profile else ""
        self._profile = read_profile(profile, settings) if profile else {}

    def value(self, declared: Setting) -> Any:
        raw = self._raw(declared)
        if declared.name == "extra_headers" and isinstance(raw, dict):
            return {name: self._resolve(declared, text, f"extra_headers {name}") for name, text in raw.items()}
        text = self._resolve(declared, raw, declared.name)
        if declared.required and not text:
            raise ConfigError(f"{declared.name} is required but empty ({self.origin(declared)})")
        if text == "" and declared.convert not in kinds.EMPTY_IS_A_VALUE:
            text = kinds.as_text(declared.default)  # an empty number, flag, path or template means: the default
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
        return kinds.as_text(raw)
