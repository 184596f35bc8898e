"""The requirement catalogue: every requirement id the suite checks, defined here and nowhere else.

Levels (docs/decisions.md): MUST is stated by the docs; SHOULD is what every sane implementation does; PROFILE is
a value the docs leave open and the target's profile fixes. Tiers are the conformance levels a target reaches.
Each id is written here once and once more on the ``@check("ID")`` of each check that decides it
(``conformance.checks.REGISTRY``); grep an id to find its checks, its scenarios and its report rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

DOCS = "https://docs.loccus.ai/api-reference"
HIYA = "https://developer.hiya.com/docs"
CONTRACT = "docs/decisions.md"


class Tier(StrEnum):
    """The conformance levels a target reaches, lowest first: each holds its requirements and those below."""

    CORE = "Core"
    LIFECYCLE = "Core+Lifecycle"
    FULL = "Full"


TIER_ORDER: tuple[Tier, ...] = (Tier.CORE, Tier.LIFECYCLE, Tier.FULL)


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
    tier: Tier
    title: str
    source: str


_ALL = (
    # --- authentication ----------------------------------------------------------------------------------
    Requirement("AUTH-MISSING-401", Level.MUST, Tier.CORE,
                "A request without credentials is refused with an unauthenticated status from the profile",
                f"{DOCS}/bearer-tokens"),
    Requirement("AUTH-INVALID-401", Level.MUST, Tier.CORE,
                "A request with an unknown or malformed bearer token is refused", f"{DOCS}/bearer-tokens"),
    Requirement("AUTH-CHALLENGE", Level.SHOULD, Tier.CORE,
                "A 401 answer carries a `WWW-Authenticate: Bearer` challenge", "RFC 6750 §3; " + CONTRACT),
    Requirement("AUTH-SESSION-TOKEN", Level.MUST, Tier.CORE,
                "A session token from `/auth/credentials` acts as its user, with exactly that user's access: its own "
                "spaces work, other spaces are refused", f"{DOCS}/bearer-tokens"),
    # --- access ------------------------------------------------------------------------------------------
    Requirement("ACCESS-FOREIGN-DENIED", Level.MUST, Tier.CORE,
                "A space of another user or of an organization the caller is not a member of is denied (status from "
                "the profile), leaks nothing and changes nothing", f"{DOCS}/spaces/overview"),
    Requirement("ACCESS-CROSS-SPACE", Level.MUST, Tier.CORE,
                "An audio is reachable only under its own space's path", f"{DOCS}/audios/overview"),
    Requirement("ACCESS-ORG-ALLOWED", Level.MUST, Tier.CORE,
                "A member of an organization may upload and read audios in the organization's space",
                "https://docs.loccus.ai/guides/upload-an-audio"),
    Requirement("ACCESS-OWN-ALLOWED", Level.MUST, Tier.CORE,
                "A user may perform every operation in its own space", f"{DOCS}/spaces/overview"),
    Requirement("ACCESS-UNKNOWN-SPACE", Level.MUST, Tier.CORE,
                "An unknown owner or space is refused (404 or a denied status) and nothing is created or changed",
                f"{DOCS}/spaces/overview"),
    Requirement("ACCESS-NO-SIDE-EFFECT", Level.MUST, Tier.CORE,
                "A refused request changes nothing: the owner still sees no new audio, the same alias, the audio not "
                "deleted and still awaiting its file", f"{DOCS}/spaces/overview"),
    Requirement("ACCESS-LIST-ISOLATION", Level.MUST, Tier.CORE,
                "A space's list holds only that space's audios, and `Item-Total` counts only them",
                f"{DOCS}/audios/list"),
    Requirement("ACCESS-HIDE-EXISTENCE", Level.PROFILE, Tier.CORE,
                "With the profile's `hide_existence`, a space the caller may not use answers exactly like one that "
                "does not exist (status, problem title and members)", CONTRACT),
    Requirement("ACCESS-PATH-NORMALISATION", Level.MUST, Tier.CORE,
                "Path variants (other case, encoded `/` or `..`, trailing slash, over-long handle) never serve another"
                " space's data", "RFC 3986 §6; " + CONTRACT),
    # --- create ------------------------------------------------------------------------------------------
    Requirement("AUD-CREATE-201", Level.MUST, Tier.CORE,
                "`POST .../audios` with valid media answers 201 with a JSON audio", f"{DOCS}/audios/create"),
    Requirement("AUD-CREATE-ALIAS", Level.MUST, Tier.CORE,
                "The alias sent on create is stored and returned; without one it is null", f"{DOCS}/audios/create"),
    Requirement("AUD-SCHEMA-FIELDS", Level.MUST, Tier.CORE,
                "The audio has every documented field with its type (id uuid, handle, alias, state, duration, "
                "sampleRate, identity, counts, timestamps)", f"{HIYA}/audio-intel/schemas/audio"),
    Requirement("AUD-HANDLE-GRAMMAR", Level.MUST, Tier.CORE,
                "The audio handle is hyphen-separated lowercase alphanumerics, 1–50 characters",
                f"{DOCS}/ids-handles-and-aliases"),
    Requirement("AUD-STATE-AVAILABLE", Level.MUST, Tier.CORE,
                "An accepted upload becomes `available` (at once, or within the profile's processing timeout)",
                f"{HIYA}/audio-intel/schemas/audio"),
    Requirement("AUD-DURATION-FORMAT", Level.MUST, Tier.CORE,
                "`duration` is an ISO-8601 duration", f"{HIYA}/audio-intel/schemas/audio"),
    Requirement("AUD-DURATION-VALUE", Level.SHOULD, Tier.CORE,
                "`duration` equals the media's true duration within the profile's tolerance", CONTRACT),
    Requirement("AUD-SAMPLERATE-VALUE", Level.PROFILE, Tier.CORE,
                "`sampleRate` is the source rate, capped at the profile's maximum stored rate", CONTRACT),
    Requirement("AUD-TIMESTAMPS", Level.MUST, Tier.CORE,
                "`createdAt`/`uploadedAt` are RFC 3339 date-times with a zone, createdAt <= uploadedAt <= now",
                f"{HIYA}/audio-intel/schemas/audio"),
    # --- details -----------------------------------------------------------------------------------------
    Requirement("AUD-DETAILS-200", Level.MUST, Tier.CORE,
                "`GET .../audios/{audio}` answers 200 with the audio as created", f"{DOCS}/audios/get"),
    # --- stored binary -----------------------------------------------------------------------------------
    Requirement("WAV-GET-200", Level.MUST, Tier.CORE,
                "`GET .../audios/{audio}/file` answers 200 with a WAV content type",
                "https://docs.loccus.ai/guides/upload-an-audio"),
    Requirement("WAV-FORMAT", Level.PROFILE, Tier.CORE,
                "The stored binary is RIFF/WAVE PCM 16-bit mono with consistent header sizes", CONTRACT),
    Requirement("WAV-RATE", Level.MUST, Tier.CORE,
                "The WAV's sample rate equals the audio's `sampleRate`", CONTRACT),
    Requirement("WAV-DURATION", Level.SHOULD, Tier.CORE,
                "The WAV's length equals the audio's `duration` within tolerance", CONTRACT),
    Requirement("WAV-SAME-SOUND", Level.MUST, Tier.CORE,
                "The WAV is the sound that was uploaded (normalised cross-correlation above the profile's threshold)",
                "https://docs.loccus.ai/guides/upload-an-audio"),
    # --- rejected uploads --------------------------------------------------------------------------------
    Requirement("MEDIA-REJECT-UNDECODABLE", Level.PROFILE, Tier.CORE,
                "Bytes that are not decodable audio are refused with the profile's status and nothing is stored",
                f"{DOCS}/audios/requirements"),
    Requirement("MEDIA-REJECT-INVALID-AUDIO", Level.PROFILE, Tier.CORE,
                "Decodable media with zero samples (a header-only file) is refused and nothing is stored",
                f"{DOCS}/audios/requirements"),
    Requirement("MEDIA-REJECT-BASE64", Level.PROFILE, Tier.CORE,
                "A `file` that is not strict Base64 is refused with the profile's status and nothing is stored",
                f"{DOCS}/audios/create"),
    Requirement("MEDIA-REJECT-MALFORMED", Level.PROFILE, Tier.CORE,
                "A body that is not a JSON object, or a `file` that is not a string, is refused with the profile's "
                "status", CONTRACT),
    Requirement("MEDIA-REJECT-OVERSIZE", Level.PROFILE, Tier.CORE,
                "A file over the profile's maximum size is refused and nothing is stored", CONTRACT),
    Requirement("MEDIA-REJECT-EMPTY", Level.PROFILE, Tier.CORE,
                "An empty file (`file` is the empty string) is refused with the profile's status for empty files and "
                "nothing is stored", CONTRACT),
    Requirement("MEDIA-REJECT-NO-AUDIO-STREAM", Level.PROFILE, Tier.CORE,
                "A container with no audio stream (video only) is refused as undecodable and nothing is stored",
                f"{DOCS}/audios/requirements"),
    Requirement("MEDIA-REJECT-TRUNCATED", Level.PROFILE, Tier.CORE,
                "Media cut inside its header is refused as undecodable and nothing is stored",
                f"{DOCS}/audios/requirements"),
    Requirement("MEDIA-REJECT-MISLABELED", Level.PROFILE, Tier.CORE,
                "Media whose header lies about its content (a PCM WAV header over MP3 data) is refused as undecodable "
                "and nothing is stored", CONTRACT),
    Requirement("MEDIA-REJECT-TOO-LONG", Level.PROFILE, Tier.CORE,
                "Media longer than the profile's maximum duration (measured by decoding, so a tiny file that decodes "
                "to hours too) is refused and nothing is stored", f"{DOCS}/audios/requirements"),
    Requirement("MEDIA-REJECT-RATE", Level.PROFILE, Tier.CORE,
                "Media under the profile's minimum sample rate is refused and nothing is stored",
                f"{DOCS}/audios/requirements"),
    Requirement("MEDIA-REJECT-CHANNELS", Level.PROFILE, Tier.CORE,
                "Media with more channels than the profile's maximum is refused and nothing is stored",
                f"{DOCS}/audios/requirements"),
    # --- list ------------------------------------------------------------------------------------------
    Requirement("LIST-PAGINATION", Level.MUST, Tier.LIFECYCLE,
                "Following the pages of a list yields every audio exactly once: pages never overlap or skip",
                f"{DOCS}/audios/list"),
    Requirement("LIST-HEADERS", Level.MUST, Tier.LIFECYCLE,
                "`Page-Total`, `Page-Size`, `Page-Current` and `Item-Total` are integers consistent with the items "
                "actually returned", f"{HIYA}/audio-intel/endpoints/voiceprints-list-audios"),
    Requirement("LIST-PAGE-BOUNDS", Level.PROFILE, Tier.LIFECYCLE,
                "`page` >= 1 and `page-size` 1–50 are accepted; 0 and 51 are refused with the profile's status",
                f"{HIYA}/api-reference/audios/list"),
    Requirement("LIST-PAST-END", Level.PROFILE, Tier.LIFECYCLE,
                "A page past the last one answers as the profile says (an empty array by default)", CONTRACT),
    Requirement("LIST-SORT", Level.MUST, Tier.LIFECYCLE,
                "`sort` by handle, createdAt or uploadedAt really orders the items, in the direction the profile's "
                "syntax asks for", f"{HIYA}/api-reference/audios/list"),
    Requirement("LIST-SEARCH", Level.MUST, Tier.LIFECYCLE,
                "`search` returns the audios whose handle or alias contains the term, and nothing else",
                f"{HIYA}/api-reference/audios/list"),
    Requirement("LIST-DATE-FILTER", Level.MUST, Tier.LIFECYCLE,
                "`after`/`before` filter by creation date, both bounds inclusive", f"{HIYA}/api-reference/audios/list"),
    # --- update ------------------------------------------------------------------------------------------
    Requirement("PATCH-ALIAS", Level.MUST, Tier.LIFECYCLE,
                "`PATCH .../audios/{audio}` sets, changes (1–100 characters, Unicode byte for byte) or clears (null) "
                "the alias and answers the updated audio", f"{DOCS}/audios/update"),
    Requirement("PATCH-ALIAS-INVALID", Level.PROFILE, Tier.LIFECYCLE,
                "An alias of 0 or 101 characters, or not a string, is refused with the profile's status and the alias "
                "is unchanged", f"{DOCS}/audios/update"),
    Requirement("PATCH-STORED", Level.MUST, Tier.LIFECYCLE,
                "An alias change is stored: details and list show it afterwards", f"{DOCS}/audios/update"),
    Requirement("PATCH-IMMUTABLE", Level.MUST, Tier.LIFECYCLE,
                "An update changes nothing but the alias; a `handle` in the body is ignored or refused, per the "
                "profile", f"{DOCS}/audios/update"),
    # --- delete (capability) -----------------------------------------------------------------------------
    Requirement("DELETE-GONE", Level.PROFILE, Tier.LIFECYCLE,
                "`DELETE .../audios/{audio}` answers success and the audio is gone: details, file, list and a second "
                "delete say so; other audios are untouched", CONTRACT),
    # --- raw upload (capability) -------------------------------------------------------------------------
    Requirement("RAW-CREATE-AWAITING", Level.PROFILE, Tier.FULL,
                "Create without `file` answers 201 with state `avaitingFile`, no `uploadedAt`, and its file is not "
                "served (the profile's status)", f"{HIYA}/audio-intel/schemas/audio"),
    Requirement("RAW-UPLOAD", Level.MUST, Tier.FULL,
                "`POST .../audios/{audio}/file` with octet-stream media answers 200 and the audio is `available`, "
                "meeting every oracle of a Base64 upload", f"{HIYA}/api-reference/audios/upload-binary-file"),
    Requirement("RAW-UPLOAD-ONCE", Level.PROFILE, Tier.FULL,
                "An audio has one file: a second upload is refused with the profile's conflict status and changes "
                "nothing", f"{HIYA}/api-reference/audios/upload-binary-file"),
    Requirement("RAW-UPLOAD-CONTENT-TYPE", Level.SHOULD, Tier.FULL,
                "A raw upload that is not `application/octet-stream` is refused with 415 and the audio keeps awaiting "
                "its file", "RFC 9110 §15.5.16; " + CONTRACT),
    # --- credentials, user, keys -------------------------------------------------------------------------
    Requirement("AUTH-CREDENTIALS", Level.MUST, Tier.CORE,
                "`POST /auth/credentials` with the right password answers 200 with `token`, `issuedAt`, `expiresAt` "
                "(the profile's lifetime later), and the token works", f"{DOCS}/credentials/sign-in"),
    Requirement("AUTH-CREDENTIALS-REFUSED", Level.MUST, Tier.CORE,
                "Wrong password, unknown handle or missing fields get no token, and the answer does not say whether "
                "the handle exists", f"{DOCS}/credentials/sign-in"),
    Requirement("AUTH-USER-SELF", Level.MUST, Tier.CORE,
                "`GET /user` returns the caller, never another user", f"{DOCS}/your-user/overview"),
    Requirement("KEYS-LIFECYCLE", Level.MUST, Tier.LIFECYCLE,
                "`POST /user/keys` answers 201 with a working token, and `GET /user/keys/{key}` returns the same key",
                f"{DOCS}/api-keys/create"),
    Requirement("KEYS-DUPLICATE", Level.PROFILE, Tier.LIFECYCLE,
                "A second key with the same handle is refused with the profile's conflict status",
                f"{DOCS}/api-keys/create"),
    Requirement("KEYS-REVOKE", Level.MUST, Tier.LIFECYCLE,
                "`DELETE /user/keys/{key}` revokes the key at once: its token is refused and the key is not found",
                f"{DOCS}/api-keys/overview"),
    # --- errors ------------------------------------------------------------------------------------------
    Requirement("ERR-PROBLEM-JSON", Level.SHOULD, Tier.CORE,
                "Error bodies are JSON with a human-readable reason (problem+json) and no stack trace or internal path",
                "RFC 9457; " + CONTRACT),
    Requirement("ERR-NO-5XX", Level.MUST, Tier.CORE,
                "A client's mistake is never answered with a 5xx", CONTRACT),
    # --- property-based runs (conformance/properties) -------------------------------------------------------
    Requirement("PROP-STATELESS", Level.MUST, Tier.FULL,
                "Generated requests to every operation (positive and negative; examples, coverage, fuzzing) get "
                "answers the definition allows: no 5xx, a documented status, content type, headers and body schema; "
                "valid data accepted, invalid refused, authentication enforced, undocumented methods refused",
                "OpenAPI definition; " + CONTRACT),
    Requirement("PROP-STATEFUL", Level.MUST, Tier.FULL,
                "Sequences that follow the definition's links (create → details → file → update → list → delete) "
                "answer as documented: a created audio is available, a deleted one is gone",
                "OpenAPI definition; " + CONTRACT),
    Requirement("PROP-CREATE-FILE-VALID", Level.MUST, Tier.FULL,
                "Every generated create the target accepts yields an audio whose `/file` is a well-formed PCM16 mono "
                "WAV at the reported `sampleRate` and `duration`", "https://docs.loccus.ai/guides/upload-an-audio"),
    Requirement("PROP-REJECT-NOTHING-STORED", Level.MUST, Tier.FULL,
                "Every generated create the target refuses (4xx) leaves no audio behind: the space's `Item-Total` is "
                "unchanged", f"{DOCS}/audios/create"),
    Requirement("PROP-ERROR-BODY", Level.SHOULD, Tier.FULL,
                "Every error answer to a generated request is problem+json with a reason, and carries no stack trace "
                "or internal path", "RFC 9457; " + CONTRACT),
    # --- transport: what the suite accepts on the wire (conformance/transport.py) ---------------------------
    Requirement("TRANSPORT-REDIRECT-ORIGIN", Level.MUST, Tier.CORE,
                "A redirect stays within the target's origin (scheme, host, port): one elsewhere is not followed, so "
                "no credential leaves the configured target",
                "RFC 9110 §15.4; RFC 6750 §5.3; https://fetch.spec.whatwg.org/#http-redirect-fetch"),
    Requirement("TRANSPORT-RESPONSE-BOUNDED", Level.MUST, Tier.CORE,
                "An answer is no larger than it may legitimately be: a WAV within the profile's maximum duration at "
                "its maximum stored rate, JSON within a few MiB (`max_response_bytes` overrides), counted after "
                "content decoding", "RFC 9110 §8.4; " + CONTRACT),
)

CATALOGUE: dict[str, Requirement] = {r.id: r for r in _ALL}
if len(CATALOGUE) != len(_ALL):  # pragma: no cover - guards edits to the table above
    raise RuntimeError("duplicate requirement id in the catalogue")


def get(requirement_id: str) -> Requirement:
    """The requirement with this id; an unknown id is a programming error and raises ``KeyError``."""
    return CATALOGUE[requirement_id]
