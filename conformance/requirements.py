"""The requirement catalogue: every requirement id the suite checks, defined here and nowhere else.

Levels (contract §1): MUST is stated by the docs; SHOULD is what every sane implementation does; PROFILE is a value
the docs leave open and the target's profile fixes. Grep an id to find its check, its scenarios and its report rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

DOCS = "https://docs.loccus.ai/api-reference"
HIYA = "https://developer.hiya.com/docs"
CONTRACT = "docs/decisions.md"


class Level(StrEnum):
    """How binding a requirement is."""

    MUST = "MUST"
    SHOULD = "SHOULD"
    PROFILE = "PROFILE"


@dataclass(frozen=True, slots=True)
class Requirement:
    """One checkable statement about the target."""

    id: str
    level: Level
    title: str
    source: str


_ALL = (
    # --- authentication ----------------------------------------------------------------------------------
    Requirement("AUTH-MISSING-401", Level.MUST, "A request without credentials is refused with an "
                "unauthenticated status from the profile", f"{DOCS}/bearer-tokens"),
    Requirement("AUTH-INVALID-401", Level.MUST, "A request with an unknown or malformed bearer token is refused",
                f"{DOCS}/bearer-tokens"),
    Requirement("AUTH-CHALLENGE", Level.SHOULD, "A 401 answer carries a `WWW-Authenticate: Bearer` challenge",
                "RFC 6750 §3; " + CONTRACT),
    # --- access ------------------------------------------------------------------------------------------
    Requirement("ACCESS-FOREIGN-DENIED", Level.MUST, "A space of another user or of an organization the caller "
                "is not a member of is denied (status from the profile), leaks nothing and changes nothing",
                f"{DOCS}/spaces/overview"),
    Requirement("ACCESS-CROSS-SPACE", Level.MUST, "An audio is reachable only under its own space's path",
                f"{DOCS}/audios/overview"),
    Requirement("ACCESS-ORG-ALLOWED", Level.MUST, "A member of an organization may upload and read audios in the "
                "organization's space", "https://docs.loccus.ai/guides/upload-an-audio"),
    # --- create ------------------------------------------------------------------------------------------
    Requirement("AUD-CREATE-201", Level.MUST, "`POST .../audios` with valid media answers 201 with a JSON audio",
                f"{DOCS}/audios/create"),
    Requirement("AUD-CREATE-ALIAS", Level.MUST, "The alias sent on create is stored and returned; without one it "
                "is null", f"{DOCS}/audios/create"),
    Requirement("AUD-SCHEMA-FIELDS", Level.MUST, "The audio has every documented field with its type "
                "(id uuid, handle, alias, state, duration, sampleRate, identity, counts, timestamps)",
                f"{HIYA}/audio-intel/schemas/audio"),
    Requirement("AUD-HANDLE-GRAMMAR", Level.MUST, "The audio handle is hyphen-separated lowercase alphanumerics, "
                "1–50 characters", f"{DOCS}/ids-handles-and-aliases"),
    Requirement("AUD-STATE-AVAILABLE", Level.MUST, "An accepted upload becomes `available` (at once, or within the "
                "profile's processing timeout)", f"{HIYA}/audio-intel/schemas/audio"),
    Requirement("AUD-DURATION-FORMAT", Level.MUST, "`duration` is an ISO-8601 duration",
                f"{HIYA}/audio-intel/schemas/audio"),
    Requirement("AUD-DURATION-VALUE", Level.SHOULD, "`duration` equals the media's true duration within the "
                "profile's tolerance", CONTRACT),
    Requirement("AUD-SAMPLERATE-VALUE", Level.PROFILE, "`sampleRate` is the source rate, capped at the profile's "
                "maximum stored rate", CONTRACT),
    Requirement("AUD-TIMESTAMPS", Level.MUST, "`createdAt`/`uploadedAt` are RFC 3339 date-times with a zone, "
                "createdAt <= uploadedAt <= now", f"{HIYA}/audio-intel/schemas/audio"),
    # --- details -----------------------------------------------------------------------------------------
    Requirement("AUD-DETAILS-200", Level.MUST, "`GET .../audios/{audio}` answers 200 with the audio as created",
                f"{DOCS}/audios/get"),
    # --- stored binary -----------------------------------------------------------------------------------
    Requirement("WAV-GET-200", Level.MUST, "`GET .../audios/{audio}/file` answers 200 with a WAV content type",
                "https://docs.loccus.ai/guides/upload-an-audio"),
    Requirement("WAV-FORMAT", Level.PROFILE, "The stored binary is RIFF/WAVE PCM 16-bit mono with consistent "
                "header sizes", CONTRACT),
    Requirement("WAV-RATE", Level.MUST, "The WAV's sample rate equals the audio's `sampleRate`", CONTRACT),
    Requirement("WAV-DURATION", Level.SHOULD, "The WAV's length equals the audio's `duration` within tolerance",
                CONTRACT),
    Requirement("WAV-SAME-SOUND", Level.MUST, "The WAV is the sound that was uploaded (normalised "
                "cross-correlation above the profile's threshold)", "https://docs.loccus.ai/guides/upload-an-audio"),
    # --- rejected uploads --------------------------------------------------------------------------------
    Requirement("MEDIA-REJECT-UNDECODABLE", Level.PROFILE, "Bytes that are not decodable audio are refused with "
                "the profile's status and nothing is stored", f"{DOCS}/audios/requirements"),
    Requirement("MEDIA-REJECT-INVALID-AUDIO", Level.PROFILE, "Decodable media that breaks a requirement (no samples, "
                "too long, rate too low, too many channels) is refused and nothing is stored",
                f"{DOCS}/audios/requirements"),
    Requirement("MEDIA-REJECT-BASE64", Level.PROFILE, "A `file` that is not strict Base64 is refused with the "
                "profile's status and nothing is stored", f"{DOCS}/audios/create"),
    Requirement("MEDIA-REJECT-MALFORMED", Level.PROFILE, "A body that is not a JSON object, or a `file` that is not "
                "a string, is refused with the profile's status", CONTRACT),
    Requirement("MEDIA-REJECT-OVERSIZE", Level.PROFILE, "A file over the profile's maximum size is refused and "
                "nothing is stored", CONTRACT),
    # --- errors ------------------------------------------------------------------------------------------
    Requirement("ERR-PROBLEM-JSON", Level.SHOULD, "Error bodies are JSON with a human-readable reason "
                "(problem+json) and no stack trace or internal path", "RFC 9457; " + CONTRACT),
    Requirement("ERR-NO-5XX", Level.MUST, "A client's mistake is never answered with a 5xx", CONTRACT),
)

CATALOGUE: dict[str, Requirement] = {r.id: r for r in _ALL}
if len(CATALOGUE) != len(_ALL):  # pragma: no cover - guards edits to the table above
    raise RuntimeError("duplicate requirement id in the catalogue")


def get(requirement_id: str) -> Requirement:
    """The requirement with this id; an unknown id is a programming error and raises ``KeyError``."""
    return CATALOGUE[requirement_id]
