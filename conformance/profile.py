"""The target's profile: every value the public docs leave open, and the capabilities it declares.

Checks never hard-code one of these values (requirements of level PROFILE in conformance/requirements.py): they
read it from here. The defaults are the reference server's choices, kept as data in ``profiles/reference.toml``;
a configuration overrides any key.
"""

from __future__ import annotations

import difflib
import json
import math
import tomllib
from dataclasses import dataclass, fields
from importlib import resources
from typing import Any

REJECT_REASONS = ("malformed", "bad_base64", "empty", "too_large", "undecodable", "invalid_audio")
CAPABILITIES = ("delete", "raw_upload", "api_keys")
FILELESS_FORMS = ("either", "omit", "null", "unsupported")
SERVE_TABLE = "serve"
"""The profile's table of server-only knobs: read by the reference server when it plays a profile, carried (and
shown in reports) but never interpreted by a check."""


class ProfileError(ValueError):
    """A profile value is missing, unknown or of the wrong type; the message names the key."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    """Validated, immutable profile values (see ``profiles/reference.toml`` for what each one means)."""

    unauthenticated_statuses: tuple[int, ...]
    denied_statuses: tuple[int, ...]
    hide_existence: bool
    processing: str
    processing_timeout_s: float
    poll_interval_s: float
    max_file_bytes: int
    max_duration_s: float
    min_sample_rate: int
    max_channels: int
    max_stored_sample_rate: int
    strict_reject_statuses: bool
    reject_statuses: dict[str, int]
    duration_tolerance_s: float
    same_sound_min_correlation: float
    same_sound_min_correlation_lossy: float
    same_sound_min_envelope_correlation: float
    clock_skew_s: float
    strict_should: bool
    invalid_request_statuses: tuple[int, ...]
    conflict_statuses: tuple[int, ...]
    deleted_statuses: tuple[int, ...]
    file_before_upload_statuses: tuple[int, ...]
    list_past_end_status: int
    list_sort_ascending: str
    list_sort_descending: str
    list_sort_default_direction: str
    client_handle: str
    fileless_create: str
    session_ttl_s: float
    capabilities: dict[str, bool]
    serve: dict[str, Any]

    @property
    def has_descending_sort(self) -> bool:
        """Whether the target sorts in descending order at all (``list_sort_descending = ""``: ascending only)."""
        return bool(self.list_sort_descending)

    def fileless_body(self) -> dict[str, Any] | None:
        """The body of a create without a file in the target's form, or None when it has none."""
        if self.fileless_create == "unsupported":
            return None
        return {"file": None} if self.fileless_create == "null" else {}

    def has(self, capability: str) -> bool:
        """Whether the target declares ``capability`` (an unknown name is a programming error)."""
        if capability not in CAPABILITIES:
            raise KeyError(capability)
        return self.capabilities[capability]

    def reject_status_ok(self, reason: str, status: int) -> bool:
        """Whether ``status`` is an acceptable answer to an upload rejected for ``reason``."""
        if self.strict_reject_statuses:
            return status == self.reject_statuses[reason]
        return 400 <= status < 500

    def expected_reject(self, reason: str) -> str:
        """Human text of what a rejection for ``reason`` must answer, for failure messages."""
        return str(self.reject_statuses[reason]) if self.strict_reject_statuses else "any 4xx"

    def as_dict(self) -> dict[str, Any]:
        """Plain values, for reports."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def reference_defaults() -> dict[str, Any]:
    """The reference server's profile, read from the packaged TOML file."""
    text = resources.files("conformance").joinpath("profiles/reference.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def build_profile(overrides: dict[str, Any] | None = None) -> Profile:
    """Merge ``overrides`` over the reference defaults and validate every value."""
    data = reference_defaults()
    data.setdefault(SERVE_TABLE, {})
    for key, value in (overrides or {}).items():
        if key == SERVE_TABLE:
            data[key] = _serve_table(value)
            continue
        if key not in data:
            raise ProfileError(f"unknown profile key {key!r}{_did_you_mean(key, data)}")
        if isinstance(data[key], dict):
            if not isinstance(value, dict):
                raise ProfileError(f"profile key {key!r} must be a table")
            for sub in value:
                if sub not in data[key]:
                    raise ProfileError(f"unknown profile key {key}.{sub}{_did_you_mean(sub, data[key])}")
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return _validated(data)


def _validated(data: dict[str, Any]) -> Profile:
    def status_list(key: str) -> tuple[int, ...]:
        value = data[key]
        if not isinstance(value, list) or not value or not all(_is_status(v) for v in value):
            raise ProfileError(f"profile key {key!r} must be a non-empty list of HTTP status codes, got {value!r}")
        return tuple(value)

    def number(key: str, *, minimum: float = 0.0) -> float:
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < minimum:
            raise ProfileError(f"profile key {key!r} must be a finite number >= {minimum}, got {value!r}")
        return float(value)

    def integer(key: str, *, minimum: int = 0) -> int:
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ProfileError(f"profile key {key!r} must be an integer >= {minimum}, got {value!r}")
        return value

    if data["processing"] not in ("sync", "async"):
        raise ProfileError(f"profile key 'processing' must be \"sync\" or \"async\", got {data['processing']!r}")
    if not isinstance(data["strict_reject_statuses"], bool):
        raise ProfileError("profile key 'strict_reject_statuses' must be true or false")
    if not isinstance(data["hide_existence"], bool):
        raise ProfileError("profile key 'hide_existence' must be true or false")
    _validate_lifecycle(data)
    rejects = data["reject_statuses"]
    for reason in REJECT_REASONS:
        if not _is_status(rejects.get(reason)) or not 400 <= rejects[reason] < 500:
            got = rejects.get(reason)
            raise ProfileError(f"profile key reject_statuses.{reason} must be a 4xx status, got {got!r}")
    caps = data["capabilities"]
    for cap in CAPABILITIES:
        if not isinstance(caps.get(cap), bool):
            raise ProfileError(f"profile key capabilities.{cap} must be true or false")
    for key in ("same_sound_min_correlation", "same_sound_min_correlation_lossy",
                "same_sound_min_envelope_correlation"):
        if not 0.0 < number(key) <= 1.0:
            raise ProfileError(f"profile key {key!r} must be in (0, 1]")
    return Profile(
        unauthenticated_statuses=status_list("unauthenticated_statuses"),
        denied_statuses=status_list("denied_statuses"),
        hide_existence=data["hide_existence"],
        processing=data["processing"],
        processing_timeout_s=number("processing_timeout_s"),
        poll_interval_s=number("poll_interval_s", minimum=0.01),
        max_file_bytes=integer("max_file_bytes", minimum=1),
        max_duration_s=number("max_duration_s", minimum=0.001),
        min_sample_rate=integer("min_sample_rate", minimum=1),
        max_channels=integer("max_channels", minimum=1),
        max_stored_sample_rate=integer("max_stored_sample_rate", minimum=1),
        strict_reject_statuses=data["strict_reject_statuses"],
        reject_statuses=dict(rejects),
        duration_tolerance_s=number("duration_tolerance_s"),
        same_sound_min_correlation=number("same_sound_min_correlation"),
        same_sound_min_correlation_lossy=number("same_sound_min_correlation_lossy"),
        same_sound_min_envelope_correlation=number("same_sound_min_envelope_correlation"),
        clock_skew_s=number("clock_skew_s"),
        strict_should=_boolean(data, "strict_should"),
        invalid_request_statuses=status_list("invalid_request_statuses"),
        conflict_statuses=status_list("conflict_statuses"),
        deleted_statuses=status_list("deleted_statuses"),
        file_before_upload_statuses=status_list("file_before_upload_statuses"),
        list_past_end_status=data["list_past_end_status"],
        list_sort_ascending=data["list_sort_ascending"],
        list_sort_descending=data["list_sort_descending"],
        list_sort_default_direction=data["list_sort_default_direction"],
        client_handle=data["client_handle"],
        fileless_create=data["fileless_create"],
        session_ttl_s=number("session_ttl_s", minimum=1.0),
        capabilities=dict(caps),
        serve=dict(data[SERVE_TABLE]),
    )


def _serve_table(value: object) -> dict[str, Any]:
    """``[serve]``: a table of plain values (the reference server validates their meaning when it plays them)."""
    if not isinstance(value, dict):
        raise ProfileError(f"profile key {SERVE_TABLE!r} must be a table")
    for key, item in value.items():
        if isinstance(item, dict):
            raise ProfileError(f"profile key {SERVE_TABLE}.{key} must be a plain value, not a table")
    return dict(value)


def _validate_lifecycle(data: dict[str, Any]) -> None:
    """The list, update and sign-in keys that are not plain numbers or status lists."""
    if not _is_status(data["list_past_end_status"]):
        raise ProfileError(f"profile key 'list_past_end_status' must be an HTTP status, got "
                           f"{data['list_past_end_status']!r}")
    for key in ("list_sort_ascending", "list_sort_descending"):
        value = data[key]
        if key == "list_sort_descending" and value == "":
            continue  # ascending only
        if not isinstance(value, str) or value.count("{field}") != 1:
            raise ProfileError(f"profile key {key!r} must be a string with one {{field}}, got {value!r}")
    if data["list_sort_ascending"] == data["list_sort_descending"]:
        raise ProfileError("profile keys 'list_sort_ascending' and 'list_sort_descending' must differ")
    if data["list_sort_default_direction"] not in ("asc", "desc"):
        raise ProfileError(f"profile key 'list_sort_default_direction' must be \"asc\" or \"desc\", got "
                           f"{data['list_sort_default_direction']!r}")
    if data["fileless_create"] not in FILELESS_FORMS:
        raise ProfileError(f"profile key 'fileless_create' must be one of {', '.join(FILELESS_FORMS)}, got "
                           f"{data['fileless_create']!r}")
    if data["fileless_create"] == "unsupported" and data["capabilities"].get("raw_upload"):
        raise ProfileError("profile key 'fileless_create' is \"unsupported\" but capabilities.raw_upload is true: "
                           "a raw upload needs an audio created without a file")
    if data["list_sort_default_direction"] == "desc" and data["list_sort_descending"] == "":
        raise ProfileError("profile key 'list_sort_default_direction' is \"desc\" but list_sort_descending is \"\" "
                           "(no descending sort)")
    if data["client_handle"] not in ("ignore", "reject"):
        raise ProfileError(f"profile key 'client_handle' must be \"ignore\" or \"reject\", got "
                           f"{data['client_handle']!r}")


def _boolean(data: dict[str, Any], key: str) -> bool:
    if not isinstance(data[key], bool):
        raise ProfileError(f"profile key {key!r} must be true or false, got {data[key]!r}")
    return data[key]


def _is_status(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599


def _did_you_mean(key: str, known: dict[str, Any]) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


VARIANTS_DIR = "profiles/variants"


def variant_names() -> list[str]:
    """The shipped variant profiles (``conformance/profiles/variants/NAME.toml``): conforming choices other than the
    reference's, which the reference server can play and against which the suite is tested."""
    folder = resources.files("conformance").joinpath(VARIANTS_DIR)
    if not folder.is_dir():
        return []
    return sorted(entry.name.removesuffix(".toml") for entry in folder.iterdir() if entry.name.endswith(".toml"))


def load_variant(name: str) -> dict[str, Any]:
    """A shipped variant's profile table, as overrides of the reference profile."""
    names = variant_names()
    if name not in names:
        raise ProfileError(f"unknown profile variant {name!r}{_did_you_mean(name, dict.fromkeys(names))} "
                           f"(shipped: {', '.join(names) or 'none'})")
    text = resources.files("conformance").joinpath(f"{VARIANTS_DIR}/{name}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def to_toml(profile: Profile) -> str:
    """The whole profile as a TOML file (scalars first, then one table per mapping), e.g. for the reference server
    to play it (``conformance serve --profile FILE``)."""
    values = profile.as_dict()
    lines = ["# Written by the conformance suite: the profile of this run, every key."]
    tables = {k: v for k, v in values.items() if isinstance(v, dict)}
    lines += [f"{key} = {toml_value(value)}" for key, value in values.items() if key not in tables]
    for name, table in tables.items():
        lines += ["", f"[{name}]", *(f"{key} = {toml_value(value)}" for key, value in table.items())]
    return "\n".join(lines) + "\n"


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string literal is a TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise ProfileError(f"cannot write {value!r} as a TOML value")
