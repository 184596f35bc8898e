"""What the server does wherever the docs are silent: the reference choices, or those of a profile file.

Other implementations of the API choose differently where the docs say nothing (403 or 404, sync or async
processing, which 4xx a refused upload gets, ...). The suite reads those choices from a *profile*; to test
the suite against every choice, ``serve --profile FILE`` makes this server play one. The file has the keys of
``conformance/profiles/reference.toml`` (any subset: a missing key keeps the reference value) plus an
optional ``[serve]`` table of knobs only the server reads (the suite ignores it).

The file is parsed here with :mod:`tomllib`, never with the suite's own loader: the server imports nothing of
the suite. Every mistake is a :class:`BehaviourError` with a one-line message naming the key, which the CLI
prints and exits 2 with. Keys only the suite uses (tolerances, timeouts, ...) are accepted and ignored.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

MIB = 1024 * 1024
REJECT_REASONS = ("malformed", "bad_base64", "empty", "too_large", "undecodable", "invalid_audio")
CAPABILITIES = ("delete", "raw_upload", "api_keys")
SORT_FIELDS = ("handle", "createdAt", "uploadedAt")
FILELESS_FORMS = ("either", "omit", "null", "unsupported")
HANDLE_STYLES = ("uuid", "prefixed")
CHALLENGES = ("realm", "bare", "full")
#: The asynchronous processing delay when the profile says "async" and ``[serve] processing_delay_s`` is absent.
DEFAULT_ASYNC_DELAY_S = 0.5
MAX_PROCESSING_DELAY_S = 3600.0
MAX_SESSION_TTL_S = 10 * 366 * 86400.0  # ten years: the expiry stays a representable date
#: Profile keys that describe the suite's own tolerances, or statuses the server does not choose by profile.
IGNORED_KEYS = frozenset({
    "unauthenticated_statuses", "strict_reject_statuses", "processing_timeout_s", "poll_interval_s",
    "duration_tolerance_s", "same_sound_min_correlation", "same_sound_min_correlation_lossy",
    "same_sound_min_envelope_correlation", "clock_skew_s", "strict_should",
})
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(\s*;\s*[ -~]+)?")


#: A key's validator: (the key's dotted name, the TOML value) → the value the dataclass holds, or BehaviourError.
Parser = Callable[[str, object], Any]


class BehaviourError(ValueError):
    """A profile file the server cannot play; the message is one line naming the key."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RejectStatuses:
    """The status of each kind of refused upload (docs/decisions.md, Upload)."""

    malformed: int = 400  # body not JSON / not an object, ``file`` of a wrong type, a refused file-less form
    bad_base64: int = 400
    empty: int = 400
    too_large: int = 413  # the request body or the decoded file over the limit
    undecodable: int = 415  # not a container FFmpeg decodes, no audio stream, no frame decodes
    invalid_audio: int = 422  # decodes, but zero samples, too long, rate too low or too many channels


@dataclass(frozen=True, slots=True, kw_only=True)
class Capabilities:
    """Routes that exist only when declared; an absent one answers as a route that does not exist."""

    delete: bool = True
    raw_upload: bool = True
    api_keys: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class ServeKnobs:
    """``[serve]``: choices a profile does not describe because the suite must cope with any of them."""

    processing_delay_s: float | None = None  # None: DEFAULT_ASYNC_DELAY_S when processing is "async"
    handle_style: str = "uuid"  # "uuid" | "prefixed" ("aud-" + 12 base32 characters)
    challenge: str = "realm"  # "realm" | "bare" | "full" (the WWW-Authenticate shape of a 401)
    problem_extensions: bool = False  # instance, code, traceId and an absolute ``type`` in every problem
    wav_media_type: str = "audio/wav"  # the Content-Type of GET .../file


@dataclass(frozen=True, slots=True, kw_only=True)
class Behaviour:
    """Every server choice a profile can change; the defaults are the reference server's."""

    hide_existence: bool = True
    denied_statuses: tuple[int, ...] = (403, 404)
    processing: str = "sync"
    max_file_bytes: int = 20 * MIB
    max_duration_s: float = 300.0
    min_sample_rate: int = 8000
    max_channels: int = 2
    max_stored_sample_rate: int = 48000
    reject_statuses: RejectStatuses = field(default_factory=RejectStatuses)
    invalid_request_statuses: tuple[int, ...] = (400,)
    conflict_statuses: tuple[int, ...] = (409,)
    deleted_statuses: tuple[int, ...] = (404,)
    file_before_upload_statuses: tuple[int, ...] = (404,)
    list_past_end_status: int = 200
    list_sort_ascending: str = "{field}"
    list_sort_descending: str = "-{field}"  # "": the target has no descending sort
    list_sort_default_direction: str = "asc"
    client_handle: str = "ignore"
    fileless_create: str = "either"
    session_ttl_s: float = 86400.0
    capabilities: Capabilities = field(default_factory=Capabilities)
    serve: ServeKnobs = field(default_factory=ServeKnobs)

    # -- derived choices, so callers never re-derive them ------------------------------------------------
    @property
    def denied_status(self) -> int:
        """The one status of a space the caller may not use (or that does not exist) while existence is hidden."""
        return 404 if 404 in self.denied_statuses else self.denied_statuses[0]

    @property
    def forbidden_status(self) -> int:
        """The status of an existing space the caller may not use: 403 in practice (see :func:`_forbidden_of`)."""
        return _forbidden_of(self.denied_statuses) or 403

    @property
    def processing_delay_s(self) -> float:
        """Seconds between an accepted file and its audio becoming ``available`` (0: synchronous)."""
        if self.processing != "async":
            return 0.0
        delay = self.serve.processing_delay_s
        return DEFAULT_ASYNC_DELAY_S if delay is None else delay

    def fileless_allowed(self, form: str) -> bool:
        """Whether a create without a file in ``form`` ("omit": no ``file`` key, "null": ``"file": null``) makes an
        audio awaiting its file; without the raw-upload capability no form does (it could never get one)."""
        if not self.capabilities.raw_upload:
            return False
        return self.fileless_create in ("either", form)

    def sort_of(self, value: str) -> tuple[str, bool] | None:
        """(field, descending) of a ``sort`` query value, or None when it is not a value this profile accepts."""
        for name in SORT_FIELDS:
            if value == self.list_sort_ascending.replace("{field}", name):
                return name, False
            if self.list_sort_descending and value == self.list_sort_descending.replace("{field}", name):
                return name, True
        return None

    def status_of(self, kind: str) -> int:
        """The status of an error of ``kind`` (a reject reason, or invalid_request, conflict, deleted,
        file_before_upload)."""
        if kind in REJECT_REASONS:
            return int(getattr(self.reject_statuses, kind))
        lists = {
            "invalid_request": self.invalid_request_statuses,
            "conflict": self.conflict_statuses,
            "deleted": self.deleted_statuses,
            "file_before_upload": self.file_before_upload_statuses,
        }
        return lists[kind][0]


REFERENCE = Behaviour()
STATUS_KINDS = (*REJECT_REASONS, "invalid_request", "conflict", "deleted", "file_before_upload")


def _forbidden_of(denied: tuple[int, ...]) -> int | None:
    """With existence shown, a forbidden space answers 403 when the profile lists it, else its first non-404."""
    if 403 in denied:
        return 403
    return next((status for status in denied if status != 404), None)


# -- parsing -------------------------------------------------------------------------------------------------
def load_profile(path: Path) -> tuple[Behaviour, dict[str, Any]]:
    """The behaviour a profile file asks for, and the file's table (the written suite configuration repeats it)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BehaviourError(f"--profile {path}: no such file") from None
    except UnicodeDecodeError:
        raise BehaviourError(f"--profile {path}: not UTF-8 text") from None
    except OSError as exc:
        raise BehaviourError(f"--profile {path}: {exc.strerror or exc}") from None
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BehaviourError(f"--profile {path} is not TOML: {_one_line(str(exc))}") from None
    try:
        return behaviour_from_table(table), table
    except BehaviourError as exc:
        raise BehaviourError(f"--profile {path}: {exc}") from None


def behaviour_from_table(table: Mapping[str, Any]) -> Behaviour:
    """Validate a parsed profile table; a missing key keeps the reference value."""
    known = {f.name for f in fields(Behaviour)} | IGNORED_KEYS
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in known:
            raise BehaviourError(f"unknown profile key {key!r}{_did_you_mean(key, known)}")
        if key in IGNORED_KEYS:
            continue
        values[key] = _PARSERS[key](key, value)
    behaviour = replace(REFERENCE, **values)
    _check_consistency(behaviour)
    return behaviour


def with_denied_status(behaviour: Behaviour, status: int) -> Behaviour:
    """``--denied-status N``: one status for forbidden and unknown spaces alike."""
    return replace(behaviour, denied_statuses=(status,), hide_existence=True)


def _check_consistency(b: Behaviour) -> None:
    if not b.hide_existence and _forbidden_of(b.denied_statuses) is None:
        raise BehaviourError("hide_existence = false needs a status other than 404 in denied_statuses (for an "
                             "existing space the caller may not use)")
    # the next two are also refused by the suite's loader: a server playing them would write a configuration
    # that `conformance run` refuses, so the operator hears it here, at start-up
    if b.fileless_create == "unsupported" and b.capabilities.raw_upload:
        raise BehaviourError('fileless_create = "unsupported" needs capabilities.raw_upload = false (a raw upload '
                             "needs an audio created without a file)")
    if b.list_sort_default_direction == "desc" and not b.list_sort_descending:
        raise BehaviourError('list_sort_default_direction = "desc" needs a list_sort_descending template')
    rendered = [b.list_sort_ascending.replace("{field}", name) for name in SORT_FIELDS]
    if b.list_sort_descending:
        rendered += [b.list_sort_descending.replace("{field}", name) for name in SORT_FIELDS]
    if len(set(rendered)) != len(rendered):
        raise BehaviourError("list_sort_ascending and list_sort_descending must give a different value for every "
                             "field and direction")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _did_you_mean(key: str, known: set[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, sorted(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _error_status(key: str, value: object) -> int:
    if not (isinstance(value, int) and not isinstance(value, bool) and 400 <= value <= 499):
        raise BehaviourError(f"profile key {key!r} must be a 4xx HTTP status, got {value!r}")
    return value


def _status_list(key: str, value: object) -> tuple[int, ...]:
    if not isinstance(value, list) or not value:
        raise BehaviourError(f"profile key {key!r} must be a non-empty list of 4xx HTTP statuses, got {value!r}")
    return tuple(_error_status(key, item) for item in value)


def _boolean(key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise BehaviourError(f"profile key {key!r} must be true or false, got {value!r}")
    return value


def _number(minimum: float, *, strict: bool = False, maximum: float = math.inf) -> Parser:
    """A number in [minimum, maximum] (minimum excluded when ``strict``); a maximum keeps the times the server
    computes from it (an expiry, a processing deadline) inside what datetime can represent."""

    def parse(key: str, value: object) -> float:
        try:
            number = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else math.nan
        except OverflowError:  # an integer beyond any float
            number = math.inf
        if not math.isfinite(number) or number < minimum or (strict and number == minimum) or number > maximum:
            bound = f"> {minimum:g}" if strict else f">= {minimum:g}"
            if maximum != math.inf:
                bound += f" and <= {maximum:g}"
            raise BehaviourError(f"profile key {key!r} must be a finite number {bound}, got {value!r}")
        return number

    return parse


def _integer(minimum: int) -> Parser:
    def parse(key: str, value: object) -> int:
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= minimum):
            raise BehaviourError(f"profile key {key!r} must be an integer >= {minimum}, got {value!r}")
        return value

    return parse


def _choice(*allowed: str) -> Parser:
    def parse(key: str, value: object) -> str:
        if value not in allowed:
            options = " or ".join(f'"{a}"' for a in allowed)
            raise BehaviourError(f"profile key {key!r} must be {options}, got {value!r}")
        return str(value)

    return parse


def _sort_template(*, optional: bool) -> Parser:
    def parse(key: str, value: object) -> str:
        if optional and value == "":
            return ""
        if not isinstance(value, str) or value.count("{field}") != 1:
            extra = ' (or "" for no descending sort)' if optional else ""
            raise BehaviourError(f"profile key {key!r} must be a string with one {{field}}{extra}, got {value!r}")
        return value

    return parse


def _past_end(key: str, value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value == 200:
        return 200
    return _error_status(key, value)


def _media_type(key: str, value: object) -> str:
    if not isinstance(value, str) or not _MEDIA_TYPE.fullmatch(value):
        raise BehaviourError(f"profile key {key!r} must be a media type such as \"audio/x-wav\", got {value!r}")
    return value


def _sub_table(cls: type, parsers: Mapping[str, Parser]) -> Parser:
    """A table whose keys are a subset of ``cls``'s fields, each validated by its parser."""

    def parse(key: str, value: object) -> object:
        if not isinstance(value, dict):
            raise BehaviourError(f"profile key {key!r} must be a table, got {value!r}")
        values: dict[str, Any] = {}
        for sub, item in value.items():
            if sub not in parsers:
                raise BehaviourError(f"unknown profile key {key}.{sub}{_did_you_mean(sub, tuple(parsers))}")
            values[sub] = parsers[sub](f"{key}.{sub}", item)
        return cls(**values)

    return parse


_PARSERS: dict[str, Parser] = {
    "hide_existence": _boolean,
    "denied_statuses": _status_list,
    "processing": _choice("sync", "async"),
    "max_file_bytes": _integer(1),
    "max_duration_s": _number(0.0, strict=True),
    "min_sample_rate": _integer(1),
    "max_channels": _integer(1),
    "max_stored_sample_rate": _integer(1),
    "reject_statuses": _sub_table(RejectStatuses, dict.fromkeys(REJECT_REASONS, _error_status)),
    "invalid_request_statuses": _status_list,
    "conflict_statuses": _status_list,
    "deleted_statuses": _status_list,
    "file_before_upload_statuses": _status_list,
    "list_past_end_status": _past_end,
    "list_sort_ascending": _sort_template(optional=False),
    "list_sort_descending": _sort_template(optional=True),
    "list_sort_default_direction": _choice("asc", "desc"),
    "client_handle": _choice("ignore", "reject"),
    "fileless_create": _choice(*FILELESS_FORMS),
    "session_ttl_s": _number(1.0, maximum=MAX_SESSION_TTL_S),
    "capabilities": _sub_table(Capabilities, dict.fromkeys(CAPABILITIES, _boolean)),
    "serve": _sub_table(ServeKnobs, {
        "processing_delay_s": _number(0.0, maximum=MAX_PROCESSING_DELAY_S),
        "handle_style": _choice(*HANDLE_STYLES),
        "challenge": _choice(*CHALLENGES),
        "problem_extensions": _boolean,
        "wav_media_type": _media_type,
    }),
}
