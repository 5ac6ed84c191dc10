"""chat_acceptance.config: where each setting comes from, how it is parsed, and that secrets never show."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from chat_acceptance.config.declaration import GROUPS
from chat_acceptance.config.kinds import DEFAULT_SEED
from chat_acceptance.config.sources import ConfigError
from chat_acceptance.config.suite_config import ENVIRONMENT_VARIABLES, SETTINGS, Account, SuiteConfig, defaults

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"

USERDATA = {
    "auth_service_url": "",
    "accounting_service_url": "",
    "chat_service_url": "",
    "test_user": "user1",
    "test_user_password": "User1@123",
    "second_user": "user2",
    "second_user_password": "User2@123",
    "admin_user": "admin",
    "admin_password": "admin@admin",
    "jwt_secret": "",
    "connect_timeout": 3,
    "read_timeout": 10,
    "stream_deadline": 15,
    "stream_event_cap": 10000,
    "confirm_retry": 5,
    "health_deadline": 10,
    "credits_to_allocate": 5000,
    "keep_resources": "off",
    "contract_checks": "on",
    "reference_faults": "",
    "model_chunk_delay": 0.01,
}
URLS = {
    "auth_service_url": "http://auth.example:3000",
    "accounting_service_url": "http://accounting.example:3001",
    "chat_service_url": "https://chat.example",
}


def build(userdata=None, defines: dict | None = None, environ: dict | None = None) -> SuiteConfig:
    """As behave does it: -D values are merged into userdata, and their names are passed as `defines`."""
    defines = defines or {}
    return SuiteConfig.from_sources({**USERDATA, **(userdata or {}), **defines}, list(defines), environ or {})


def config_error(**sources) -> str:
    with pytest.raises(ConfigError) as caught:
        build(**sources)
    message = str(caught.value)
    assert "\n" not in message, message
    return message


# ------------------------------------------------------------------------------------------ sources


def test_defaults_come_from_userdata():
    config = build()

    assert config.embedded is True
    assert (config.auth_url, config.accounting_url, config.chat_url) == ("", "", "")
    assert config.test_user == Account("user1", "User1@123")
    assert config.second_user == Account("user2", "User2@123")
    assert config.admin == Account("admin", "admin@admin")
    assert config.jwt_secret is None
    assert (config.connect_timeout_s, config.read_timeout_s, config.stream_deadline_s) == (3.0, 10.0, 15.0)
    assert config.stream_event_cap == 10000 and isinstance(config.stream_event_cap, int)
    assert config.credits_to_allocate == 5000 and isinstance(config.credits_to_allocate, int)
    assert config.confirm_retry_s == 5.0 and config.health_deadline_s == 10.0
    assert config.keep_resources is False and config.contract_checks is True
    assert config.reference_faults == ()
    assert config.model_chunk_delay_s == 0.01


def test_missing_settings_take_the_declared_defaults():
    config = SuiteConfig.from_sources({"test_user": "a", "second_user": "b"}, [], {})

    assert config.admin == Account("admin", "admin@admin") and config.jwt_secret is None
    assert config.test_user == Account("a", "User1@123")
    assert config.read_timeout_s == SuiteConfig.read_timeout_s
    assert config.stream_event_cap == SuiteConfig.stream_event_cap
    assert config.contract_checks is True and config.keep_resources is False


def test_the_declared_defaults_make_a_valid_embedded_configuration():
    assert SuiteConfig.from_sources({}, [], {}).embedded is True
    assert SuiteConfig.from_sources(defaults(), [], {}).admin == Account("admin", "admin@admin")


def test_pyproject_declares_no_setting_of_its_own():
    assert "userdata" not in tomllib.loads(PYPROJECT.read_text())["tool"]["behave"]


def test_environment_beats_userdata():
    config = build(
        environ={
            "TEST_USER": "alice",
            "TEST_USER_PASSWORD": "from-env",
            "JWT_SECRET": "env-secret",
            **{ENVIRONMENT_VARIABLES[name]: url for name, url in URLS.items()},
        }
    )

    assert config.test_user == Account("alice", "from-env")
    assert config.jwt_secret == "env-secret"
    assert (config.auth_url, config.accounting_url, config.chat_url) == tuple(URLS.values())
    assert config.embedded is False


def test_defines_beat_the_environment():
    config = build(defines={"test_user": "from-define"}, environ={"TEST_USER": "from-env", "SECOND_USER": "bob"})

    assert config.test_user.username == "from-define"
    assert config.second_user.username == "bob"


def test_only_the_listed_environment_variables_are_read():
    config = build(environ={"READ_TIMEOUT": "99", "read_timeout": "99", "KEEP_RESOURCES": "on", "test_user": "x"})

    assert config.read_timeout_s == 10.0
    assert config.keep_resources is False
    assert config.test_user.username == "user1"


def test_an_empty_environment_variable_still_counts_as_set():
    config = build(environ={"ADMIN_USER": ""})
    assert config.admin is None


def test_urls_are_stripped_and_all_three_given_means_not_embedded():
    config = build({name: f"  {url}  " for name, url in URLS.items()})
    assert config.auth_url == URLS["auth_service_url"]
    assert config.embedded is False


@pytest.mark.parametrize(
    "given", [["auth_service_url"], ["auth_service_url", "chat_service_url"], ["chat_service_url"]]
)
def test_some_but_not_all_urls_is_an_error(given):
    message = config_error(userdata={name: URLS[name] for name in given})
    assert "all three" in message
    assert "AUTH_SERVICE_URL" in message and "CHAT_SERVICE_URL" in message


def test_a_url_that_is_not_http_is_an_error_naming_its_source():
    message = config_error(userdata=URLS, environ={"CHAT_SERVICE_URL": "chat.example:3002"})
    assert message == "chat_service_url='chat.example:3002' (from $CHAT_SERVICE_URL) is not an http:// or https:// URL"


def test_with_platform_takes_the_running_platforms_urls_and_secret():
    # The embedded platform is started with a configured secret when there is one, so it is always the platform's.
    running = build().with_platform(
        auth_url="http://a", accounting_url="http://b", chat_url="http://c", jwt_secret="emb"
    )
    assert (running.auth_url, running.chat_url, running.jwt_secret, running.embedded) == (
        "http://a",
        "http://c",
        "emb",
        True,
    )


# ------------------------------------------------------------------------------------------ parsing


@pytest.mark.parametrize(
    ("sources", "expected"),
    [
        ({"userdata": {"read_timeout": "ten"}}, "read_timeout='ten' (from userdata read_timeout) is not a number"),
        ({"defines": {"read_timeout": "1s"}}, "read_timeout='1s' (from -D read_timeout) is not a number"),
        (
            {"defines": {"stream_event_cap": "2.5"}},
            "stream_event_cap='2.5' (from -D stream_event_cap) is not a whole number",
        ),
        (
            {"userdata": {"credits_to_allocate": "lots"}},
            "credits_to_allocate='lots' (from userdata credits_to_allocate) is not a whole number",
        ),
        ({"defines": {"connect_timeout": "0"}}, "connect_timeout='0' (from -D connect_timeout) must be greater than 0"),
        (
            {"defines": {"stream_deadline": "-1"}},
            "stream_deadline='-1' (from -D stream_deadline) must be greater than 0",
        ),
        ({"defines": {"confirm_retry": "-0.5"}}, "confirm_retry='-0.5' (from -D confirm_retry) must be at least 0"),
        ({"defines": {"keep_resources": "maybe"}}, "keep_resources='maybe' (from -D keep_resources) is not on/off"),
        ({"environ": {"TEST_USER": "  "}}, "test_user is required but empty (from $TEST_USER)"),
        ({"defines": {"second_user": ""}}, "second_user is required but empty (from -D second_user)"),
    ],
)
def test_a_bad_value_is_a_one_line_error_naming_setting_and_source(sources, expected):
    assert config_error(**sources) == expected


def test_a_bad_value_with_a_newline_stays_one_line():
    message = config_error(defines={"read_timeout": "1\n2"})
    assert "read_timeout" in message and "-D read_timeout" in message


def test_numbers_are_parsed():
    config = build(
        defines={"read_timeout": "2.5", "stream_event_cap": "7", "confirm_retry": "0", "model_chunk_delay": "0"}
    )
    assert config.read_timeout_s == 2.5
    assert config.stream_event_cap == 7
    assert config.confirm_retry_s == 0 and config.model_chunk_delay_s == 0


def test_an_empty_number_takes_the_default():
    assert build(defines={"read_timeout": ""}).read_timeout_s == SuiteConfig.read_timeout_s


@pytest.mark.parametrize("value", ["nan", "inf", "Infinity"])
def test_a_number_that_is_not_finite_is_an_error(value):
    message = config_error(defines={"read_timeout": value})
    assert "read_timeout" in message and "-D read_timeout" in message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("on", True),
        ("ON", True),
        ("yes", True),
        ("1", True),
        ("true", True),
        (True, True),
        ("off", False),
        ("no", False),
        ("0", False),
        ("False", False),
        (False, False),
        (" off ", False),
    ],
)
def test_flags(value, expected):
    assert build(defines={"keep_resources": value}).keep_resources is expected


def test_reference_faults_are_a_comma_separated_list():
    config = build(defines={"reference_faults": " late-id, ,drop-header ,"})
    assert config.reference_faults == ("late-id", "drop-header")


def test_no_admin_user_means_no_admin():
    assert build(defines={"admin_user": ""}).admin is None


# ------------------------------------------------------------------------------------------ secrets


SECRET_VALUES = ["User1@123", "User2@123", "admin@admin", "Supervisor1@", "jwt-signing-secret-value"]


def secret_config() -> SuiteConfig:
    return build(environ={"JWT_SECRET": "jwt-signing-secret-value"})


def test_repr_and_describe_show_no_password_and_no_jwt_secret():
    config = secret_config()
    for shown in (repr(config), config.describe(), str(config), repr(config.test_user), repr(config.admin)):
        for secret in SECRET_VALUES:
            assert secret not in shown, (secret, shown)
    assert "<REDACTED>" in config.describe()
    assert "jwt_secret = <REDACTED>" in config.describe()
    assert "user1" in config.describe()  # usernames are fine to show


def test_describe_has_one_line_per_setting():
    config = secret_config()
    lines = config.describe().splitlines()
    assert len(lines) == len(SETTINGS)
    assert all(line.startswith("  ") and " = " in line for line in lines)


def test_describe_shows_no_secret_when_there_is_none():
    assert "jwt_secret = None" in build().describe()


def test_secrets_lists_every_secret_value():
    assert sorted(secret_config().secrets()) == sorted(SECRET_VALUES)


def test_secrets_leaves_out_what_is_not_set():
    config = build(defines={"second_user_password": ""}, environ={"JWT_SECRET": ""})
    assert sorted(config.secrets()) == ["Supervisor1@", "User1@123", "admin@admin"]


def test_the_supervisor_comes_from_its_own_variables_and_stays_secret():
    config = build(
        userdata={**USERDATA, "supervisor_user": "supervisor1", "supervisor_password": "Supervisor1@"},
        environ={"SUPERVISOR_USER": "sup", "SUPERVISOR_PASSWORD": "sup-secret"},
    )
    assert config.supervisor == Account("sup", "sup-secret")
    assert "sup-secret" in config.secrets() and "sup-secret" not in repr(config) + config.describe()
    assert (
        build(defines={"supervisor_user": ""}).supervisor is None
    )  # not configured: the scenarios that need one are skipped


# ------------------------------------------------------------------------------------------ typos and health


def test_an_unknown_setting_names_the_nearest_known_one():
    assert config_error(defines={"stream_deadlin": "60"}) == (
        "unknown setting -D stream_deadlin; did you mean stream_deadline?"
    )


def test_an_unknown_setting_without_a_near_name_lists_the_known_ones():
    message = config_error(defines={"zzz": "1"})
    assert message.startswith("unknown setting -D zzz; known: ") and "stall_limit" in message


def test_a_formatters_own_setting_is_not_a_typo():
    build(defines={"AllureFormatter.issue_pattern": "https://issues/{}"})


def test_every_setting_is_declared_with_a_table_and_help_and_a_unique_name_and_variable():
    assert all(declared.group in GROUPS and declared.help for declared in SETTINGS if declared.name != "profile")
    assert len({declared.name for declared in SETTINGS}) == len(SETTINGS)
    assert len(set(ENVIRONMENT_VARIABLES.values())) == len(ENVIRONMENT_VARIABLES)


def test_run_health_settings():
    config = build(defines={"stall_limit": "5", "throttle_budget": "0", "max_requests_per_second": "2.5"})
    assert (config.stall_limit, config.throttle_budget_s, config.max_requests_per_second) == (5, 0.0, 2.5)
    assert build().stall_limit == 3 and build().max_requests_per_second == 0
    assert "stall_limit='0'" in config_error(defines={"stall_limit": "0"})


def test_the_seed_is_taken_from_userdata_or_defines():
    assert build({"seed": "4242"}).seed == 4242
    assert build(defines={"seed": "7"}).seed == 7


def test_without_a_seed_every_run_gets_the_same_one_and_random_explores():
    assert {build({"seed": ""}).seed for _ in range(3)} == {build().seed} == {DEFAULT_SEED}
    seeds = {build(defines={"seed": "random"}).seed for _ in range(5)}
    assert len(seeds) > 1 and all(0 <= seed < 2**32 for seed in seeds)
    chosen = build(defines={"seed": "RANDOM"})
    assert f"seed = {chosen.seed}" in chosen.describe()


def test_near_misses_per_family_is_a_whole_number_above_zero():
    assert build().near_misses_per_family == SuiteConfig.near_misses_per_family
    assert build({"near_misses_per_family": "3"}).near_misses_per_family == 3
    for bad in ("0", "2.5", "many"):
        assert "near_misses_per_family" in config_error(userdata={"near_misses_per_family": bad})
    assert "seed" in config_error(userdata={"seed": "-1"})


def test_the_settings_for_honest_deployments_are_parsed():
    config = build(
        defines={
            "requests_per_minute": "chat=30, auth=120",
            "near_miss_workers": "3",
            "near_miss_budget": "7.5",
            "credits_ceiling": "0",
            "spend_down_replies": "5",
            "run_prefix": "team-a",
        }
    )
    assert config.requests_per_minute == {"chat": 30.0, "auth": 120.0}
    assert (config.near_miss_workers, config.near_miss_budget_s, config.credits_ceiling) == (3, 7.5, 0)
    assert (config.spend_down_replies, config.run_prefix) == (5, "team-a")
    defaults = build()
    assert defaults.requests_per_minute == {} and defaults.run_prefix == "chat-acceptance"


@pytest.mark.parametrize("rates", ["chat", "chat=fast", "mail=30", "chat=0", "chat=-1"])
def test_a_rate_that_is_not_service_equals_requests_per_minute_is_an_error(rates):
    with pytest.raises(
        ConfigError, match=r"^requests_per_minute=.* must be service=requests per minute, e\.g\. chat=30"
    ):
        build(defines={"requests_per_minute": rates})


@pytest.mark.parametrize("prefix", ["Team A", "-x", "a" * 25, "ünïcode"])
def test_a_run_prefix_must_be_fit_for_a_username(prefix):
    with pytest.raises(ConfigError, match=r"^run_prefix=.* must be 1-24 lower-case letters, digits or -"):
        build(defines={"run_prefix": prefix})


def test_identity_claims_name_their_places_and_always_keep_the_headers():
    assert build().identity_claims == ("headers", "query", "body")
    assert build(defines={"identity_claims": "body"}).identity_claims == ("headers", "body")
    assert "identity_claims='cookies'" in config_error(defines={"identity_claims": "cookies"})
