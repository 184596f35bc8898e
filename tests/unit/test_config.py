"""Configuration loading: defaults → TOML file → ``CONFORMANCE_*`` environment (env wins), one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.config import ConfigError, Settings, load_settings, require_existing_audios, require_identity

GOOD_FILE = """
base_url = "https://file.example/v1/"
timeout = 30
budget = "nightly"
seed = 7

[actors.primary]
token = "file-primary-token"

[actors.outsider]
handle = "mallory"
password = "file-outsider-password"

[spaces.primary]
owner = "bob"
space = "files"

[profile]
max_duration_s = 60
denied_statuses = [404]

[profile.capabilities]
delete = true
"""

MINIMAL_TARGET = 'base_url = "https://t.example/v1"\n[actors.primary]\ntoken = "tok-123456"\n' \
                 '[spaces.primary]\nowner = "alice"\nspace = "main"\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "conformance.toml"
    path.write_text(text, encoding="utf-8")
    return path


def config_error(tmp_path: Path, text: str | None = None, env: dict[str, str] | None = None) -> str:
    """The message of the ``ConfigError`` raised for ``text`` (a TOML file) and ``env``."""
    path = write(tmp_path, text) if text is not None else None
    with pytest.raises(ConfigError) as excinfo:
        load_settings(path, env=env or {})
    message = str(excinfo.value)
    assert "\n" not in message, "a configuration error is one line"
    return message


# --- defaults and sources ---------------------------------------------------------------------------------------


def test_defaults_without_file_or_env_start_the_embedded_server() -> None:
    settings = load_settings(env={})
    assert settings.base_url is None
    assert settings.timeout == 10.0
    assert settings.budget == "quick"
    assert settings.seed == 20241202
    assert dict(settings.actors) == {}
    assert dict(settings.spaces) == {}
    assert settings.source == "defaults"
    assert settings.profile.denied_statuses == (403, 404)
    assert settings.secrets() == ()


def test_toml_file_values_are_read(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_FILE)
    settings = load_settings(path, env={})
    assert settings.base_url == "https://file.example/v1"  # trailing slash stripped
    assert settings.timeout == 30.0 and isinstance(settings.timeout, float)
    assert settings.budget == "nightly"
    assert settings.seed == 7
    assert settings.actors["primary"].token == "file-primary-token"
    assert settings.actors["outsider"].handle == "mallory"
    assert settings.actors["outsider"].password == "file-outsider-password"
    assert settings.spaces["primary"].label == "bob/files"
    assert settings.profile.max_duration_s == 60.0
    assert settings.profile.denied_statuses == (404,)
    assert settings.source == str(path)


def test_config_path_may_come_from_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL_TARGET)
    settings = load_settings(env={"CONFORMANCE_CONFIG": str(path)})
    assert settings.base_url == "https://t.example/v1"
    assert settings.source == str(path)


def test_environment_wins_over_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_FILE)
    env = {
        "CONFORMANCE_BASE_URL": "https://env.example:8080/v1",
        "CONFORMANCE_TIMEOUT": "2.5",
        "CONFORMANCE_BUDGET": "quick",
        "CONFORMANCE_PRIMARY_TOKEN": "env-primary-token",
        "CONFORMANCE_SPACE_PRIMARY": "alice/main",
        "CONFORMANCE_PROFILE_MAX_DURATION_S": "120",
        "CONFORMANCE_PROFILE_DENIED_STATUSES": "[403]",
        "CONFORMANCE_PROFILE_CAPABILITIES__DELETE": "false",
    }
    settings = load_settings(path, env=env)
    assert settings.base_url == "https://env.example:8080/v1"
    assert settings.timeout == 2.5
    assert settings.budget == "quick"
    assert settings.actors["primary"].token == "env-primary-token"
    assert settings.spaces["primary"].owner == "alice"
    assert settings.spaces["primary"].space == "main"
    assert settings.profile.max_duration_s == 120.0
    assert settings.profile.denied_statuses == (403,)
    assert settings.profile.capabilities["delete"] is False
    assert settings.profile.has("delete") is False
    # what the environment does not mention is kept from the file, or from the reference profile
    assert settings.actors["outsider"].password == "file-outsider-password"
    assert settings.seed == 7
    assert settings.profile.capabilities["raw_upload"] is True
    assert settings.profile.unauthenticated_statuses == (401,)


def test_environment_alone_configures_a_target() -> None:
    env = {
        "CONFORMANCE_BASE_URL": "https://staging.example/v1",
        "CONFORMANCE_PRIMARY_HANDLE": "alice",
        "CONFORMANCE_PRIMARY_PASSWORD": "alice-password",
        "CONFORMANCE_OUTSIDER_TOKEN": "outsider-token-xyz",
        "CONFORMANCE_SPACE_PRIMARY": "alice/main",
        "CONFORMANCE_SPACE_FOREIGN": "mallory/secret",
        "CONFORMANCE_SEED": "42",
    }
    settings = load_settings(env=env)
    assert settings.actors["primary"].handle == "alice"
    assert settings.actors["primary"].token is None
    assert settings.actors["outsider"].token == "outsider-token-xyz"
    assert settings.spaces["foreign"].label == "mallory/secret"
    assert settings.seed == 42


def test_explicit_overrides_win_over_env_and_none_is_ignored() -> None:
    settings = load_settings(env={"CONFORMANCE_BUDGET": "quick"}, overrides={"budget": "nightly", "timeout": None})
    assert settings.budget == "nightly"
    assert settings.timeout == 10.0


def test_settings_secrets_hold_tokens_and_passwords(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, GOOD_FILE), env={})
    secrets = settings.secrets()
    assert "file-primary-token" in secrets
    assert "file-outsider-password" in secrets
    assert "mallory" not in secrets  # a handle is not a secret


def test_settings_are_immutable() -> None:
    settings = load_settings(env={})
    with pytest.raises(AttributeError):
        settings.base_url = "http://x/v1"  # type: ignore[misc]


def test_with_target_takes_the_other_target_and_keeps_run_options(tmp_path: Path) -> None:
    mine = load_settings(env={"CONFORMANCE_BUDGET": "nightly"})
    other = load_settings(write(tmp_path, MINIMAL_TARGET), env={})
    combined = mine.with_target(other)
    assert isinstance(combined, Settings)
    assert combined.base_url == "https://t.example/v1"
    assert combined.actors["primary"].token == "tok-123456"
    assert combined.budget == "nightly"


# --- error paths: one ConfigError sentence naming the key -------------------------------------------------------


def test_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match="does not exist") as excinfo:
        load_settings(path, env={})
    assert str(path) in str(excinfo.value)
    assert "\n" not in str(excinfo.value)


def test_invalid_toml_is_named(tmp_path: Path) -> None:
    message = config_error(tmp_path, "base_url = \n[actors\n")
    assert "not valid TOML" in message
    assert "conformance.toml" in message


def test_unknown_top_level_key_suggests_the_right_one(tmp_path: Path) -> None:
    message = config_error(tmp_path, 'base_ur = "http://x/v1"\n')
    assert "unknown configuration key 'base_ur'" in message
    assert "did you mean 'base_url'" in message


def test_unknown_top_level_key_without_a_close_match_lists_the_known_keys(tmp_path: Path) -> None:
    message = config_error(tmp_path, "zzzzzz = 1\n")
    assert "'zzzzzz'" in message
    assert "known: base_url" in message


def test_unknown_actor_key_is_named(tmp_path: Path) -> None:
    message = config_error(tmp_path, '[actors.primary]\ntokn = "abcdefgh"\n')
    assert "actors.primary." in message and "tokn" in message
    assert "token" in message


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("ftp://x.example/v1", "http(s) URL"),
        ("x.example/v1", "http(s) URL"),
        ("http:///v1", "http(s) URL"),
        ("http://x.example:99999/v1", "invalid port"),
        ("http://x.example:abc/v1", "invalid port"),
    ],
)
def test_bad_base_url(tmp_path: Path, url: str, fragment: str) -> None:
    message = config_error(tmp_path, MINIMAL_TARGET.replace("https://t.example/v1", url))
    assert "'base_url'" in message
    assert fragment in message


def test_base_url_must_be_a_string(tmp_path: Path) -> None:
    message = config_error(tmp_path, MINIMAL_TARGET.replace('"https://t.example/v1"', "8080"))
    assert "'base_url' must be a string" in message


@pytest.mark.parametrize("value", ["0", "601", "-1", "true", '"ten"'])
def test_bad_timeout(tmp_path: Path, value: str) -> None:
    message = config_error(tmp_path, f"timeout = {value}\n")
    assert "'timeout'" in message
    assert "(0, 600]" in message


@pytest.mark.parametrize("value", ["0.001", "600"])
def test_timeout_bounds_are_inclusive_of_600(tmp_path: Path, value: str) -> None:
    assert load_settings(write(tmp_path, f"timeout = {value}\n"), env={}).timeout == float(value)


def test_bad_timeout_from_the_environment() -> None:
    with pytest.raises(ConfigError, match="'timeout'"):
        load_settings(env={"CONFORMANCE_TIMEOUT": "0"})


@pytest.mark.parametrize("value", ['"weekly"', "1", '"Quick"'])
def test_bad_budget(tmp_path: Path, value: str) -> None:
    message = config_error(tmp_path, f"budget = {value}\n")
    assert "'budget'" in message
    assert "quick, nightly" in message


@pytest.mark.parametrize("value", ['"abc"', "true", "1.5"])
def test_bad_seed(tmp_path: Path, value: str) -> None:
    assert "'seed'" in config_error(tmp_path, f"seed = {value}\n")


@pytest.mark.parametrize(
    "table",
    [
        '[actors.primary]\nhandle = "alice"\n',
        '[actors.primary]\npassword = "secret-pw"\n',
        "[actors.primary]\n",
    ],
)
def test_actor_needs_a_token_or_handle_and_password(tmp_path: Path, table: str) -> None:
    message = config_error(tmp_path, table)
    assert "[actors.primary]" in message
    assert "needs a token" in message


def test_actor_values_must_be_non_empty_strings(tmp_path: Path) -> None:
    message = config_error(tmp_path, '[actors.outsider]\ntoken = ""\n')
    assert "actors.outsider.token" in message


def test_unknown_actor_name_is_named(tmp_path: Path) -> None:
    message = config_error(tmp_path, '[actors.primry]\ntoken = "abcdefgh"\n')
    assert "actors.'primry'" in message
    assert "primary" in message


def identity_error(tmp_path: Path, text: str) -> str:
    """A configured target is checked for its primary actor and space (once it is known to answer)."""
    with pytest.raises(ConfigError) as excinfo:
        require_identity(load_settings(write(tmp_path, text), env={}))
    message = str(excinfo.value)
    assert "\n" not in message
    return message


def test_base_url_without_primary_actor(tmp_path: Path) -> None:
    text = 'base_url = "https://t.example/v1"\n[spaces.primary]\nowner = "a"\nspace = "b"\n'
    assert "[actors.primary] is missing" in identity_error(tmp_path, text)


def test_base_url_without_primary_space(tmp_path: Path) -> None:
    text = 'base_url = "https://t.example/v1"\n[actors.primary]\ntoken = "tok-123456"\n'
    assert "[spaces.primary] is missing" in identity_error(tmp_path, text)


def test_complete_target_has_its_identity(tmp_path: Path) -> None:
    require_identity(load_settings(write(tmp_path, MINIMAL_TARGET), env={}))


def test_space_from_env_without_a_slash_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"\[spaces.primary\] needs non-empty 'owner' and 'space'"):
        load_settings(env={"CONFORMANCE_SPACE_PRIMARY": "alice"})


def test_unknown_profile_key_suggests_the_right_one(tmp_path: Path) -> None:
    message = config_error(tmp_path, "[profile]\nmax_duration = 10\n")
    assert "unknown profile key 'max_duration'" in message
    assert "did you mean 'max_duration_s'" in message


def test_unknown_nested_profile_key_suggests_the_right_one() -> None:
    with pytest.raises(ConfigError) as excinfo:
        load_settings(env={"CONFORMANCE_PROFILE_REJECT_STATUSES__TOO_LARG": "400"})
    message = str(excinfo.value)
    assert "reject_statuses.too_larg" in message
    assert "did you mean 'too_large'" in message


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('max_duration_s = "long"', "max_duration_s"),
        ("denied_statuses = 403", "denied_statuses"),
        ("denied_statuses = []", "denied_statuses"),
        ("denied_statuses = [99]", "denied_statuses"),
        ('processing = "lazy"', "processing"),
        ('strict_reject_statuses = "yes"', "strict_reject_statuses"),
        ("max_file_bytes = 1.5", "max_file_bytes"),
        ("same_sound_min_correlation = 1.5", "same_sound_min_correlation"),
        ("reject_statuses = 400", "reject_statuses"),
    ],
)
def test_wrong_type_of_profile_value(tmp_path: Path, line: str, key: str) -> None:
    message = config_error(tmp_path, f"[profile]\n{line}\n")
    assert key in message


def test_wrong_type_of_nested_profile_value(tmp_path: Path) -> None:
    message = config_error(tmp_path, "[profile.reject_statuses]\ntoo_large = 200\n")
    assert "reject_statuses.too_large" in message
    assert "4xx" in message
    message = config_error(tmp_path, '[profile.capabilities]\ndelete = "no"\n')
    assert "capabilities.delete" in message


def test_a_table_key_given_a_scalar_is_refused(tmp_path: Path) -> None:
    assert "'actors' must be a table" in config_error(tmp_path, 'actors = "alice"\n')


# --- flaky targets, shared staging and read-only runs -----------------------------------------------------------


def test_resilience_defaults() -> None:
    settings = load_settings(env={})
    assert (settings.retries, settings.retry_after_cap, settings.rate_limit) == (2, 30.0, 0.0)
    assert settings.existing_audios == ()


def test_resilience_from_file_and_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "retries = 0\nretry_after_cap = 5\nrate_limit = 2.5\n")
    settings = load_settings(path, env={"CONFORMANCE_RATE_LIMIT": "10", "CONFORMANCE_RETRIES": "4"})
    assert (settings.retries, settings.retry_after_cap, settings.rate_limit) == (4, 5.0, 10.0)


@pytest.mark.parametrize(("text", "key"), [("retries = -1", "'retries'"), ("retries = 11", "'retries'"),
                                           ("retries = 1.5", "'retries'"), ("rate_limit = -2", "'rate_limit'"),
                                           ('rate_limit = "fast"', "'rate_limit'"),
                                           ("retry_after_cap = 601", "'retry_after_cap'")])
def test_bad_resilience_values(tmp_path: Path, text: str, key: str) -> None:
    assert key in config_error(tmp_path, text + "\n")


def test_previews_default_to_samples_and_take_the_environment(tmp_path: Path) -> None:
    assert load_settings(env={}).previews == "samples"
    path = write(tmp_path, 'previews = "failures"\n')
    assert load_settings(path, env={}).previews == "failures"
    assert load_settings(path, env={"CONFORMANCE_PREVIEWS": "none"}).previews == "none"


@pytest.mark.parametrize("text", ['previews = "all"', "previews = true", 'previews = ""'])
def test_bad_previews_are_one_sentence(tmp_path: Path, text: str) -> None:
    assert "'previews' must be one of samples, failures, none" in config_error(tmp_path, text + "\n")


def test_read_only_audios_are_read(tmp_path: Path) -> None:
    text = MINIMAL_TARGET + '[read_only]\naudios = [{space = "primary", handle = "a-1", media = "speech-wav"},' \
                            ' {handle = "b-2"}]\n'
    audios = load_settings(write(tmp_path, text), env={}).existing_audios
    assert [(a.space, a.handle, a.media) for a in audios] == [("primary", "a-1", "speech-wav"),
                                                              ("primary", "b-2", None)]


@pytest.mark.parametrize(("table", "fragment"), [
    ('audios = [{space = "primary"}]', "read_only.audios[0].handle"),
    ('audios = [{space = "nowhere", handle = "h"}]', "must name a configured space"),
    ('audios = [{handle = "h", colour = "red"}]', "read_only.audios[0].'colour'"),
    ('audios = "h"', "array of tables"),
    ('audio = []', "read_only.'audio'"),
])
def test_bad_read_only_audios(tmp_path: Path, table: str, fragment: str) -> None:
    assert fragment in config_error(tmp_path, MINIMAL_TARGET + "[read_only]\n" + table + "\n")


def test_a_read_only_run_needs_named_audios(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, MINIMAL_TARGET), env={})
    with pytest.raises(ConfigError, match=r"\[read_only\]"):
        require_existing_audios(settings)


# --- transport: plain http and answer sizes -------------------------------------------------------------------


def _target(url: str, extra: str = "") -> str:
    return extra + MINIMAL_TARGET.replace("https://t.example/v1", url)


def test_plain_http_outside_the_loopback_range_is_a_configuration_error(tmp_path: Path) -> None:
    """The token would cross the network unencrypted: refused before any request, in one sentence."""
    message = config_error(tmp_path, _target("http://staging.example/v1"))
    assert "'base_url'" in message and "plain http to staging.example" in message
    assert "allow_insecure_http = true" in message and "https" in message


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/v1", "http://127.9.8.7/v1", "http://localhost:1/v1",
                                 "http://LOCALHOST/v1", "http://[::1]:8080/v1"])
def test_plain_http_to_this_machine_is_fine(tmp_path: Path, url: str) -> None:
    assert load_settings(write(tmp_path, _target(url)), env={}).base_url == url


@pytest.mark.parametrize("url", ["http://10.0.0.1/v1", "http://[::2]/v1", "http://localhost.example/v1",
                                 "http://128.0.0.1/v1"])
def test_other_hosts_are_not_loopback(tmp_path: Path, url: str) -> None:
    assert "allow_insecure_http" in config_error(tmp_path, _target(url))


def test_allow_insecure_http_accepts_plain_http_from_the_file_or_the_environment(tmp_path: Path) -> None:
    from_file = load_settings(write(tmp_path, _target("http://staging.example/v1", "allow_insecure_http = true\n")),
                              env={})
    assert from_file.allow_insecure_http is True and from_file.base_url == "http://staging.example/v1"
    from_env = load_settings(write(tmp_path, _target("http://staging.example/v1")),
                             env={"CONFORMANCE_ALLOW_INSECURE_HTTP": "true"})
    assert from_env.allow_insecure_http is True
    assert load_settings(env={}).allow_insecure_http is False
    with pytest.raises(ConfigError, match="plain http"):
        load_settings(env={"CONFORMANCE_BASE_URL": "http://staging.example/v1",
                           "CONFORMANCE_ALLOW_INSECURE_HTTP": "false"})


def test_allow_insecure_http_must_be_a_boolean(tmp_path: Path) -> None:
    message = config_error(tmp_path, 'allow_insecure_http = "yes"\n')
    assert "'allow_insecure_http' must be true or false" in message


def test_max_response_bytes_is_optional_and_overrides_the_derived_limits(tmp_path: Path) -> None:
    from conformance.http_stack import transport_options

    assert load_settings(env={}).max_response_bytes is None
    settings = load_settings(write(tmp_path, "max_response_bytes = 65536\n"), env={})
    assert settings.max_response_bytes == 65536
    limits = transport_options(settings)["limits"]
    assert limits.for_request("GET", "/v1/spaces/a/b/audios/h/file")[0] == 65536
    assert limits.for_request("GET", "/v1/spaces/a/b/audios/h")[0] == 65536
    assert load_settings(env={"CONFORMANCE_MAX_RESPONSE_BYTES": "2048"}).max_response_bytes == 2048


def test_without_max_response_bytes_the_limits_follow_the_profile(tmp_path: Path) -> None:
    from conformance.http_stack import transport_options

    settings = load_settings(write(tmp_path, "[profile]\nmax_duration_s = 10\nmax_stored_sample_rate = 8000\n"),
                             env={})
    limits = transport_options(settings)["limits"]
    wav, why = limits.for_request("GET", "/v1/spaces/a/b/audios/h/file")
    assert wav == 10 * 8000 * 2 + (1 << 20) and "maximum duration" in why
    assert limits.for_request("GET", "/v1/spaces/a/b/audios/h")[0] == 4 << 20  # JSON
    assert limits.for_request("POST", "/v1/spaces/a/b/audios/h/file")[0] == 4 << 20  # a raw upload answers JSON


@pytest.mark.parametrize("value", ["0", "1023", "true", '"big"', "1.5e6", str(1 << 41)])
def test_bad_max_response_bytes(tmp_path: Path, value: str) -> None:
    message = config_error(tmp_path, f"max_response_bytes = {value}\n")
    assert "'max_response_bytes' must be a whole number of bytes" in message
