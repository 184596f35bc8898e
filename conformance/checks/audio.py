"""Checks on the audio resource returned by create and details.

The fields and their types are the vendor's schema (https://developer.hiya.com/docs/audio-intel/schemas/audio);
what it leaves open is in docs/decisions.md ("Audio resource").
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from conformance.checks import check, fail
from conformance.checks.http import JSON_MEDIA_TYPES, body_excerpt, json_body, media_type
from conformance.media.duration import parse_iso_duration
from conformance.profile import Profile

HANDLE_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
STATES = ("avaitingFile", "available", "notAvailable")
# RFC 3339 date-time; the zone is mandatory (`Z` or an offset).
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
# field → (allowed JSON types, nullable)
AUDIO_FIELDS: dict[str, tuple[tuple[type, ...], bool]] = {
    "id": ((str,), False),
    "handle": ((str,), False),
    "alias": ((str,), True),
    "state": ((str,), False),
    "duration": ((str,), False),
    "sampleRate": ((int,), False),
    "identity": ((dict,), True),
    "voiceprints": ((int,), False),
    "verifications": ((int,), False),
    "createdAt": ((str,), False),
    "uploadedAt": ((str,), True),
}


@check("AUD-CREATE-201")
def created_with_201(response: httpx.Response) -> dict[str, Any]:
    """Create answers exactly 201 with a JSON object; returns the object for the next checks."""
    if response.status_code != 201:
        fail("create did not answer 201", received=f"{response.status_code} {body_excerpt(response)}",
             expected="201 with the audio")
    body = json_body(response)
    if media_type(response) not in JSON_MEDIA_TYPES or not isinstance(body, dict):
        fail("create did not return a JSON object",
             received=f"Content-Type {media_type(response)!r}, {body_excerpt(response)}",
             expected="application/json audio object")
    return body


@check("AUD-SCHEMA-FIELDS")
def has_every_field(audio: dict[str, Any]) -> None:
    """Every documented field is present with its JSON type; `id` is a UUID, `state` a documented value."""
    for name, (types, nullable) in AUDIO_FIELDS.items():
        if name not in audio:
            fail(f"field `{name}` is missing", received=sorted(audio), expected=name)
        value = audio[name]
        if value is None and nullable:
            continue
        if isinstance(value, bool) or not isinstance(value, types):
            fail(f"field `{name}` has the wrong type", received=repr(value),
                 expected=" or ".join(t.__name__ for t in types) + (" or null" if nullable else ""))
    try:
        uuid.UUID(audio["id"])
    except ValueError:
        fail("`id` is not a UUID", received=repr(audio["id"]), expected="a UUID")
    if audio["state"] not in STATES:
        fail("`state` is not a documented value", received=repr(audio["state"]),
             expected=", ".join(STATES))
    for count in ("voiceprints", "verifications", "sampleRate"):
        if audio[count] < 0:
            fail(f"`{count}` is negative", received=audio[count], expected=">= 0")


@check("AUD-SCHEMA-FIELDS")
def state_is_documented(audio: dict[str, Any]) -> None:
    """`state` is one of the documented values; checked on its own where a poll stopped on an unknown state, so
    that such a target fails the schema requirement at once instead of spending a processing timeout per upload."""
    if audio.get("state") not in STATES:
        fail("`state` is not a documented value", received=repr(audio.get("state")),
             expected=", ".join(STATES))


PROCESSED_FIELDS = ("state", "duration", "sampleRate", "uploadedAt")


@check("AUD-DETAILS-200")
def details_equal_listed(details: dict[str, Any], listed: dict[str, Any] | None) -> None:
    """On an asynchronous target, create answers before processing fills in the media fields, so the details can
    only be compared with another view of the processed audio: the same audio as the list shows it."""
    if listed is None:
        fail("the processed audio is not in the list of its space",
             received="no listed item with its handle", expected=f"an item with handle {details.get('handle')!r}")
    for name in PROCESSED_FIELDS:
        if details.get(name) != listed.get(name):
            fail(f"details differ from the listed audio in `{name}`",
                 received=repr(details.get(name)), expected=repr(listed.get(name)))


@check("AUD-HANDLE-GRAMMAR")
def handle_follows_grammar(audio: dict[str, Any]) -> None:
    """Handles are hyphen-separated lowercase alphanumerics, 1–50 characters (ids-handles-and-aliases)."""
    handle = audio.get("handle")
    if not isinstance(handle, str) or not 1 <= len(handle) <= 50 or not HANDLE_RE.fullmatch(handle):
        fail("the audio handle breaks the handle grammar", received=repr(handle),
             expected="^[a-z0-9]+(-[a-z0-9]+)*$, 1–50 characters")


@check("AUD-CREATE-ALIAS")
def alias_is_stored(audio: dict[str, Any], sent: str | None) -> None:
    """The alias sent is returned unchanged (byte for byte); without one, it is null."""
    if audio.get("alias") != sent:
        fail("the alias was not stored as sent", received=repr(audio.get("alias")),
             expected=repr(sent))


@check("AUD-DURATION-FORMAT")
def duration_is_iso8601(audio: dict[str, Any]) -> float:
    """`duration` parses as an ISO-8601 duration; returns it in seconds."""
    try:
        return parse_iso_duration(audio.get("duration"))  # type: ignore[arg-type]
    except (ValueError, TypeError):
        fail("`duration` is not an ISO-8601 duration", received=repr(audio.get("duration")),
             expected="e.g. PT3.500S")


@check("AUD-DURATION-VALUE")
def duration_matches_media(seconds: float, true_duration_s: float, profile: Profile) -> None:
    """The reported duration is the media's true duration within the profile's tolerance (codec padding)."""
    if abs(seconds - true_duration_s) > profile.duration_tolerance_s:
        fail("`duration` differs from the uploaded media's duration",
             received=f"{seconds:.3f} s", expected=f"{true_duration_s:.3f} s ± {profile.duration_tolerance_s:g} s")


@check("AUD-SAMPLERATE-VALUE")
def sample_rate_matches_media(audio: dict[str, Any], source_rate: int, profile: Profile) -> None:
    """`sampleRate` is the source rate, capped at the profile's maximum stored rate."""
    expected = min(source_rate, profile.max_stored_sample_rate)
    if audio.get("sampleRate") != expected:
        fail("`sampleRate` is not the source rate (capped)",
             received=repr(audio.get("sampleRate")), expected=f"{expected} (source {source_rate} Hz)")


def parse_timestamp(value: object) -> datetime | None:
    """An RFC 3339 date-time with a zone, as an aware datetime; None when it is not one."""
    if not isinstance(value, str) or not _RFC3339.match(value):
        return None
    text = value.upper().replace("Z", "+00:00")
    head, dot, rest = text.partition(".")
    if dot:  # Python accepts at most 6 fractional digits
        digits = re.match(r"\d+", rest).group(0)  # type: ignore[union-attr]
        text = f"{head}.{digits[:6].ljust(6, '0')}{rest[len(digits):]}"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


@check("AUD-TIMESTAMPS")
def timestamps_are_consistent(audio: dict[str, Any], profile: Profile, *, uploaded: bool = True) -> None:
    """`createdAt`/`uploadedAt` are RFC 3339 with a zone, and createdAt <= uploadedAt <= now (+ clock skew)."""
    created = parse_timestamp(audio.get("createdAt"))
    if created is None:
        fail("`createdAt` is not an RFC 3339 date-time with a zone",
             received=repr(audio.get("createdAt")), expected="e.g. 2023-01-01T00:00:00.000000Z")
    now = datetime.now(UTC) + timedelta(seconds=profile.clock_skew_s)
    if created > now:
        fail("`createdAt` is in the future", received=audio["createdAt"], expected="<= now")
    if not uploaded:
        return
    uploaded_at = parse_timestamp(audio.get("uploadedAt"))
    if uploaded_at is None:
        fail("`uploadedAt` of an available audio is not an RFC 3339 date-time with a zone",
             received=repr(audio.get("uploadedAt")), expected="e.g. 2023-01-01T00:00:00.000000Z")
    if not created <= uploaded_at <= now:
        fail("timestamps out of order", received=f"createdAt {audio['createdAt']}, uploadedAt "
             f"{audio['uploadedAt']}", expected="createdAt <= uploadedAt <= now")


@check("AUD-DETAILS-200")
def details_equal_created(response: httpx.Response, created: dict[str, Any], *, settled: bool) -> dict[str, Any]:
    """Details answer 200 with the same audio as create. ``settled`` False (async target, still processing at
    create) lets `state`, `duration`, `sampleRate` and `uploadedAt` differ, since processing fills them in."""
    if response.status_code != 200:
        fail("details did not answer 200", received=f"{response.status_code} "
             f"{body_excerpt(response)}", expected="200 with the audio")
    body = json_body(response)
    if not isinstance(body, dict):
        fail("details did not return a JSON object", received=body_excerpt(response),
             expected="the audio object")
    volatile = set() if settled else {"state", "duration", "sampleRate", "uploadedAt"}
    for name in AUDIO_FIELDS:
        if name in volatile:
            continue
        if body.get(name) != created.get(name):
            fail(f"details differ from create in `{name}`", received=repr(body.get(name)),
                 expected=repr(created.get(name)))
    return body


# --- the workflow's steps, as the checks that later steps depend on ------------------------------------------
# A scenario that needs an audio calls these first: when one fails, a test that declares its requirement fails,
# and any other test is undecided (its own behaviour was never reached; conformance/outcomes.py).
CREATED = range(200, 300)


@check("AUD-CREATE-201")
def create_step_created(response: httpx.Response, audio: object, what: str,
                        statuses: Collection[int] = CREATED) -> dict[str, Any]:
    """The create step produced an audio: an answer in ``statuses`` with a JSON object that has a handle."""
    if response.status_code not in statuses or not isinstance(audio, dict) or not isinstance(
            audio.get("handle"), str) or not audio["handle"]:
        fail(f"{what} did not create an audio", received=f"{response.status_code} {body_excerpt(response)}",
             expected="201 with the audio")
    return audio


@check("AUD-STATE-AVAILABLE")
def processing_step_settled(audio: object, problem: str | None, what: str, within: str) -> dict[str, Any]:
    """The processing step ended in `available` (``audio`` is the last audio read, None when none was)."""
    state = audio.get("state") if isinstance(audio, dict) else None
    if not isinstance(audio, dict) or state != "available":
        fail(f"{what} did not become available", received=f"state {state!r}; {problem or 'settled'}",
             expected=f"available{within}")
    return audio


@check("AUD-STATE-AVAILABLE")
def available_in_create_answer(created: dict[str, Any], profile: Profile) -> None:
    """A synchronous target (profile ``processing = sync``) answers create with the audio already `available`."""
    if profile.processing == "sync" and created.get("state") != "available":
        fail("a synchronous target answered create before the audio was available",
             received=f"state {created.get('state')!r}", expected="available (profile processing = sync)")


@check("AUD-DETAILS-200")
def details_of(response: httpx.Response, handle: str) -> dict[str, Any]:
    """`GET .../audios/{audio}` answers 200 with the audio of that handle."""
    body = json_body(response)
    if response.status_code != 200 or not isinstance(body, dict):
        fail(f"details of the audio {handle} did not answer",
             received=f"{response.status_code} {body_excerpt(response)}", expected="200 with the audio")
    if body.get("handle") != handle:
        fail("details answer another audio", received=repr(body.get("handle")), expected=repr(handle))
    return body


@check("AUD-CREATE-201")
def valid_audio_accepted(response: httpx.Response, what: str) -> None:
    """Valid media is accepted (2xx): a run whose every create was refused must not pass green."""
    if not 200 <= response.status_code < 300:
        fail(f"valid audio ({what}) was refused", received=f"{response.status_code} {body_excerpt(response)}",
             expected="2xx and the audio")


@check("AUD-TIMESTAMPS")
def created_at_is_rfc3339(audios: Sequence[dict[str, Any]]) -> list[datetime]:
    """Every `createdAt` is an RFC 3339 date-time; returns them parsed."""
    moments = [parse_timestamp(audio.get("createdAt")) for audio in audios]
    if any(moment is None for moment in moments):
        fail("`createdAt` is not an RFC 3339 date-time", received=[audio.get("createdAt") for audio in audios],
             expected="RFC 3339 date-times")
    return moments  # type: ignore[return-value]
