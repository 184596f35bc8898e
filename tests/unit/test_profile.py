"""The target profile: reference defaults, overrides merged key by key, and strict validation."""

from __future__ import annotations

import tomllib
from dataclasses import fields
from pathlib import Path

import pytest

import conformance
from conformance.profile import CAPABILITIES, REJECT_REASONS, Profile, ProfileError, build_profile, reference_defaults

REFERENCE_TOML = Path(conformance.__file__).resolve().parent / "profiles" / "reference.toml"


def test_reference_defaults_load() -> None:
    profile = build_profile()
    assert profile.unauthenticated_statuses == (401,)
    assert profile.denied_statuses == (403, 404)
    assert profile.processing == "sync"
    assert profile.max_file_bytes == 20 * 1024 * 1024
    assert profile.max_duration_s == 300.0
    assert profile.min_sample_rate == 8000
    assert profile.max_channels == 2
    assert profile.max_stored_sample_rate == 48000
    assert profile.strict_reject_statuses is True
    assert profile.reject_statuses == {
        "malformed": 400, "bad_base64": 400, "empty": 400, "too_large": 413, "undecodable": 415, "invalid_audio": 422,
    }
    assert profile.capabilities == {"delete": True, "raw_upload": True, "api_keys": True}
    assert profile.hide_existence is True


def test_reference_defaults_are_the_packaged_file() -> None:
    assert reference_defaults() == tomllib.loads(REFERENCE_TOML.read_text(encoding="utf-8"))


def test_every_profile_field_comes_from_the_reference_file() -> None:
    defaults = reference_defaults()
    assert {f.name for f in fields(Profile)} == set(defaults)
    assert set(defaults["reject_statuses"]) == set(REJECT_REASONS)
    assert set(defaults["capabilities"]) == set(CAPABILITIES)


def test_as_dict_has_every_value() -> None:
    values = build_profile().as_dict()
    assert values["denied_statuses"] == (403, 404)
    assert set(values) == {f.name for f in fields(Profile)}


def test_profile_is_immutable() -> None:
    profile = build_profile()
    with pytest.raises(AttributeError):
        profile.max_channels = 8  # type: ignore[misc]


@pytest.mark.parametrize(
    ("reason", "status", "ok"),
    [
        ("too_large", 413, True),
        ("too_large", 400, False),
        ("undecodable", 415, True),
        ("undecodable", 422, False),
        ("invalid_audio", 422, True),
        ("malformed", 400, True),
        ("malformed", 201, False),
    ],
)
def test_reject_status_ok_strict(reason: str, status: int, ok: bool) -> None:
    profile = build_profile()
    assert profile.reject_status_ok(reason, status) is ok


@pytest.mark.parametrize(("status", "ok"), [(400, True), (413, True), (499, True), (399, False), (201, False),
                                            (500, False), (503, False)])
def test_reject_status_ok_non_strict_takes_any_4xx(status: int, ok: bool) -> None:
    profile = build_profile({"strict_reject_statuses": False})
    assert profile.reject_status_ok("too_large", status) is ok


def test_expected_reject_text() -> None:
    assert build_profile().expected_reject("too_large") == "413"
    assert build_profile({"strict_reject_statuses": False}).expected_reject("too_large") == "any 4xx"


def test_has_declared_capabilities() -> None:
    assert build_profile().has("delete") is True
    assert build_profile({"capabilities": {"raw_upload": False}}).has("raw_upload") is False


def test_has_unknown_capability_raises_key_error() -> None:
    with pytest.raises(KeyError):
        build_profile().has("teleport")


def test_overriding_a_nested_table_merges() -> None:
    profile = build_profile({"reject_statuses": {"too_large": 400}})
    assert profile.reject_statuses["too_large"] == 400
    assert profile.reject_statuses["undecodable"] == 415
    assert profile.reject_statuses["invalid_audio"] == 422
    assert profile.reject_statuses["malformed"] == 400
    assert set(profile.reject_statuses) == set(REJECT_REASONS)


def test_overriding_one_capability_keeps_the_other() -> None:
    profile = build_profile({"capabilities": {"delete": False}})
    assert profile.capabilities == {"delete": False, "raw_upload": True, "api_keys": True}


def test_overrides_do_not_leak_into_the_next_profile() -> None:
    build_profile({"reject_statuses": {"too_large": 400}, "capabilities": {"delete": False}})
    fresh = build_profile()
    assert fresh.reject_statuses["too_large"] == 413
    assert fresh.has("delete") is True


def test_integers_become_floats_for_seconds() -> None:
    profile = build_profile({"max_duration_s": 120, "duration_tolerance_s": 0})
    assert profile.max_duration_s == 120.0 and isinstance(profile.max_duration_s, float)
    assert profile.duration_tolerance_s == 0.0


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"max_duration": 1}, "did you mean 'max_duration_s'"),
        ({"reject_statuses": {"too_larg": 400}}, "reject_statuses.too_larg"),
        ({"reject_statuses": 400}, "'reject_statuses' must be a table"),
        ({"reject_statuses": {"too_large": 500}}, "reject_statuses.too_large must be a 4xx"),
        ({"reject_statuses": {"too_large": True}}, "reject_statuses.too_large"),
        ({"capabilities": {"delete": 1}}, "capabilities.delete must be true or false"),
        ({"denied_statuses": []}, "'denied_statuses' must be a non-empty list"),
        ({"denied_statuses": [403, "404"]}, "'denied_statuses'"),
        ({"unauthenticated_statuses": [True]}, "'unauthenticated_statuses'"),
        ({"processing": "lazy"}, "'processing'"),
        ({"strict_reject_statuses": 1}, "'strict_reject_statuses'"),
        ({"max_duration_s": "300"}, "'max_duration_s' must be a finite number"),
        ({"max_duration_s": True}, "'max_duration_s' must be a finite number"),
        ({"poll_interval_s": 0}, "'poll_interval_s' must be a finite number >= 0.01"),
        ({"max_file_bytes": 0}, "'max_file_bytes' must be an integer >= 1"),
        ({"max_channels": 1.0}, "'max_channels' must be an integer"),
        ({"same_sound_min_correlation": 0}, "'same_sound_min_correlation' must be in (0, 1]"),
        ({"same_sound_min_correlation_lossy": 1.01}, "'same_sound_min_correlation_lossy' must be in (0, 1]"),
        ({"clock_skew_s": -1}, "'clock_skew_s'"),
    ],
)
def test_invalid_overrides_name_the_key(overrides: dict[str, object], fragment: str) -> None:
    with pytest.raises(ProfileError) as excinfo:
        build_profile(overrides)  # type: ignore[arg-type]
    assert fragment in str(excinfo.value)
    assert "\n" not in str(excinfo.value)


@pytest.mark.parametrize("key", ["duration_tolerance_s", "max_duration_s", "clock_skew_s"])
def test_nan_is_not_a_number_of_seconds(key: str) -> None:
    with pytest.raises(ProfileError, match=key):
        build_profile({key: float("nan")})
