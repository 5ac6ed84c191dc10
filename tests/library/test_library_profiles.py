"""Profiles: one TOML file per deployment, every key a declared setting, secrets only named by variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from chat_acceptance.config.sources import ConfigError, read_profile
from chat_acceptance.config.suite_config import BY_NAME, SETTINGS, SuiteConfig

EXAMPLE = Path(__file__).resolve().parents[2] / "profiles" / "example.toml"
PASSWORDS = {
    "EXAMPLE_TEST_USER_PASSWORD": "alice-pw",
    "EXAMPLE_SECOND_USER_PASSWORD": "bob-pw",
    "EXAMPLE_ADMIN_PASSWORD": "admin-pw",
    "EXAMPLE_SUPERVISOR_PASSWORD": "sup-pw",
}
SERVICES = "[services]\n" + "".join(
    f"{name}_service_url = 'https://{name}.test'\n" for name in ("auth", "accounting", "chat")
)


def config_from(profile: Path | str, environ: dict | None = None, defines: dict | None = None) -> SuiteConfig:
    defines = {"profile": str(profile), **(defines or {})}
    return SuiteConfig.from_sources(defines, list(defines), environ if environ is not None else PASSWORDS)


def problem(profile: Path | str, environ: dict | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        config_from(profile, environ)
    assert "\n" not in str(caught.value)
    return str(caught.value)


def profile_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "deployment.toml"
    path.write_text(text)
    return path


def test_the_example_profile_sets_the_deployment_and_takes_secrets_from_the_environment():
    config = config_from(EXAMPLE)
    assert config.embedded is False and config.auth_url == "http://127.0.0.1:3000"
    assert config.supervisor.password == "sup-pw" and config.test_user.password == "alice-pw"
    assert config.extra_headers == {"X-Test-Run": "chat-acceptance"}
    assert "from $EXAMPLE_SUPERVISOR_PASSWORD, named in profile" in config.origins["supervisor_password"]
    assert "sup-pw" not in config.describe(origins=True)


def test_a_profile_by_name_is_read_from_the_profiles_directory(tmp_path, monkeypatch):
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "staging.toml").write_text('[browser]\nbrowser_origin = "https://app.staging.test"\n')
    monkeypatch.chdir(tmp_path)
    assert config_from("staging").browser_origin == "https://app.staging.test"
    assert problem("prod") == "profile profiles/prod.toml: no such file"


def test_every_declared_setting_but_the_profile_itself_may_be_written_in_a_profile(tmp_path):
    lines = []
    for group in dict.fromkeys(declared.group for declared in SETTINGS if declared.group):
        lines.append(f"[{group}]")
        for declared in (item for item in SETTINGS if item.group == group and item.name != "extra_headers"):
            lines.append(
                f'{declared.name} = {{ env = "V_{declared.name}" }}'
                if declared.secret
                else f"{declared.name} = {declared.default!r}".replace("'", '"')
            )
    assert set(read_profile(str(profile_file(tmp_path, "\n".join(lines))), BY_NAME)) == {
        declared.name for declared in SETTINGS if declared.group and declared.name != "extra_headers"
    }


def test_environment_and_defines_beat_the_profile():
    config = config_from(EXAMPLE, {**PASSWORDS, "TEST_USER": "from-env"}, defines={"read_timeout": "42"})
    assert config.test_user.username == "from-env" and config.read_timeout_s == 42.0


def test_an_unknown_key_names_the_nearest_known_one(tmp_path):
    assert problem(profile_file(tmp_path, "[timeouts]\nread_timout = 3\n")).endswith(
        "unknown key timeouts.read_timout; did you mean timeouts.read_timeout?"
    )
    assert problem(profile_file(tmp_path, "[tls]\nchat_service_url = 'https://x'\n")).endswith(
        "unknown key tls.chat_service_url; did you mean services.chat_service_url?"
    )
    assert "unknown key timeout; did you mean timeouts?" in problem(
        profile_file(tmp_path, "[timeout]\nread_timeout = 3\n")
    )


def test_a_secret_written_in_the_file_is_refused(tmp_path):
    message = problem(profile_file(tmp_path, "[accounts]\nadmin_password = 'hunter2'\n"))
    assert "accounts.admin_password is a secret and is never written in a file" in message
    assert "hunter2" not in message


def test_a_missing_secret_names_the_setting_and_its_variable():
    environ = {name: value for name, value in PASSWORDS.items() if name != "EXAMPLE_SUPERVISOR_PASSWORD"}
    assert problem(EXAMPLE, environ).startswith("supervisor_password: $EXAMPLE_SUPERVISOR_PASSWORD, named in profile")


def test_with_a_profile_a_password_left_at_its_default_is_missing(tmp_path):
    message = problem(profile_file(tmp_path, "[accounts]\nsupervisor_user = 'sup'\n" + SERVICES), {})
    assert message.startswith("test_user_password is not set for profile")
    skipped = profile_file(
        tmp_path,
        "[accounts]\n"
        + "".join(f"{user} = ''\n" for user in ("admin_user", "supervisor_user"))
        + "test_user_password = { env = 'A' }\nsecond_user_password = { env = 'B' }\n"
        + SERVICES,
    )
    assert config_from(skipped, {"A": "a", "B": "b"}).admin is None  # an account left out needs no password


def test_headers_may_come_from_the_environment_and_a_secret_looking_one_is_redacted(tmp_path):
    path = profile_file(
        tmp_path,
        "[requests.extra_headers]\nX-Api-Key = { env = 'GATEWAY_KEY' }\nX-Tenant = 'qa'\n"
        "[accounts]\nadmin_user = ''\nsupervisor_user = ''\n"
        "test_user_password = { env = 'A' }\nsecond_user_password = { env = 'B' }\n",
    )
    config = config_from(path, {"GATEWAY_KEY": "gk-123456", "A": "a", "B": "b"})
    assert config.extra_headers == {"X-Api-Key": "gk-123456", "X-Tenant": "qa"}
    assert "gk-123456" in config.secrets() and "gk-123456" not in config.describe()
    assert "extra_headers X-Api-Key: $MISSING" in problem(
        profile_file(tmp_path, "[requests.extra_headers]\nX-Api-Key = { env = 'MISSING' }\n"), {}
    )


def test_headers_from_a_define_and_a_bad_list():
    config = SuiteConfig.from_sources({"extra_headers": "X-A: 1; X-B: two"}, ["extra_headers"], {})
    assert config.extra_headers == {"X-A": "1", "X-B": "two"}
    with pytest.raises(ConfigError, match="extra_headers='no colon'"):
        SuiteConfig.from_sources({"extra_headers": "no colon"}, ["extra_headers"], {})


def test_tls_files_must_exist_and_templates_keep_their_placeholders(tmp_path):
    with pytest.raises(ConfigError, match=r"ca_bundle='/nowhere/ca.pem' \(from -D ca_bundle\) names no readable file"):
        SuiteConfig.from_sources({"ca_bundle": "/nowhere/ca.pem"}, ["ca_bundle"], {})
    with pytest.raises(ConfigError, match=r"username_template=.*must contain \{hex\}"):
        SuiteConfig.from_sources({"username_template": "qa-{name}"}, ["username_template"], {})


def test_created_accounts_follow_the_templates():
    defines = {
        "username_template": "qa_{name}_{hex}",
        "email_template": "{username}@qa.test",
        "password_template": "Aa1!{token}#9",
    }
    config = SuiteConfig.from_sources(defines, list(defines), {})
    username = config.new_username("Carol", run="chat-acceptance-1a2b3c")
    assert username.startswith("qa_carol_") and len(username) == len("qa_carol_") + 8
    assert config.new_username("Carol", run="r").startswith("r-carol-") == (
        config.username_template == "{run}-{name}-{hex}"
    )
    assert SuiteConfig().new_username("Carol", run="chat-acceptance-1a2b3c").startswith("chat-acceptance-1a2b3c-carol-")
    assert config.new_email(username) == f"{username}@qa.test"
    password = config.new_password()
    assert password.startswith("Aa1!") and password.endswith("#9") and password != config.new_password()


def test_a_profile_that_is_not_toml_is_one_line(tmp_path):
    assert problem(profile_file(tmp_path, "[services\n")).startswith(f"profile {tmp_path / 'deployment.toml'}: ")
