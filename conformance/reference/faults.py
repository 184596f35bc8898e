"""Catalogue of planted faults: deliberate deviations the suite must detect.

Each fault breaks exactly the requirement ids listed with it. Faults are never active by default; the CLI
enables them with ``--fault NAME`` and the server consults ``settings.faults`` at a few marked points
(grep ``faults.active``). Names and requirement ids are part of the interface with the suite's self-test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .settings import Settings

#: The user that requests without credentials act as under ``auth-missing-accepted``.
FALLBACK_USER = "alice"
#: Who ``GET /user`` answers under ``user-returns-other``.
SWAPPED_USERS = {"alice": "bob", "bob": "alice"}


@dataclass(frozen=True, slots=True)
class Fault:
    """One planted fault: its CLI name, the requirement ids it violates and what it does."""

    name: str
    requirements: tuple[str, ...]
    description: str


CATALOGUE: tuple[Fault, ...] = (
    Fault("silent-wav", ("WAV-SAME-SOUND",), "GET file returns a valid WAV of the right length and rate, all zeros"),
    Fault(
        "foreign-space-readable",
        ("ACCESS-FOREIGN-DENIED",),
        "any authenticated user can list and read audios (details and file) in any existing space",
    ),
    Fault(
        "corrupt-upload-accepted",
        ("MEDIA-REJECT-UNDECODABLE",),
        "undecodable media answers 201 (stored as 1 s of 16 kHz silence) instead of 415",
    ),
    Fault("create-200", ("AUD-CREATE-201",), "create answers 200 instead of 201"),
    Fault("alias-dropped", ("AUD-CREATE-ALIAS",), "create ignores the alias and stores null"),
    Fault("wrong-duration", ("AUD-DURATION-VALUE",), "details report a duration 1.5 times the true one"),
    Fault(
        "wav-original-bytes",
        ("WAV-FORMAT",),
        "GET file returns the original uploaded bytes (e.g. MP3) labelled audio/wav",
    ),
    Fault("wav-stereo", ("WAV-FORMAT",), "the served WAV has 2 channels (the mono signal duplicated)"),
    Fault("wav-wrong-rate-header", ("WAV-RATE",), "the WAV header states half of sampleRate"),
    Fault("auth-missing-accepted", ("AUTH-MISSING-401",), "requests without an Authorization header act as alice"),
    Fault("no-www-authenticate", ("AUTH-CHALLENGE",), "401 answers lack the WWW-Authenticate header"),
    Fault(
        "bad-base64-tolerated",
        ("MEDIA-REJECT-BASE64",),
        "non-strict Base64 (whitespace, URL-safe alphabet, missing padding) is decoded leniently and accepted",
    ),
    Fault("oversize-accepted", ("MEDIA-REJECT-OVERSIZE",), "no 20 MiB file limit and no request body limit"),
    Fault("too-long-accepted", ("MEDIA-REJECT-TOO-LONG",),
          "the duration limit is applied at 10 minutes instead of 300 s (a 301 s upload is stored)"),
    Fault("low-rate-accepted", ("MEDIA-REJECT-RATE",), "no minimum sample rate: a 7999 Hz upload is stored"),
    Fault("client-error-500", ("ERR-NO-5XX", "MEDIA-REJECT-BASE64"), "bad Base64 answers 500 instead of 400"),
    Fault("stack-trace-errors", ("ERR-PROBLEM-JSON",), "4xx problem details include a Python traceback"),
    Fault("details-mismatch", ("AUD-DETAILS-200",), "GET details reports sampleRate + 1000 compared with create"),
    Fault("bad-timestamp", ("AUD-TIMESTAMPS",), "createdAt is written without a timezone (2026-11-27 04:24:44)"),
    Fault("org-member-denied", ("ACCESS-ORG-ALLOWED",), "organization spaces are denied to their members"),
    Fault("hang-file", ("WAV-GET-200",), "GET file sleeps 3600 s before answering (other requests still served)"),
    Fault("revoked-key-accepted", ("KEYS-REVOKE",), "DELETE /user/keys/{key} answers 204; the key keeps working"),
    Fault(
        "non-member-org-access",
        ("ACCESS-FOREIGN-DENIED",),
        "any authenticated user may act in any organization's space (membership is not checked)",
    ),
    Fault(
        "foreign-audio-writable",
        ("ACCESS-FOREIGN-DENIED", "ACCESS-NO-SIDE-EFFECT"),
        "any authenticated user may create, patch, delete and raw-upload in any existing space (reads stay denied)",
    ),
    Fault("list-leaks-other-spaces", ("ACCESS-LIST-ISOLATION",), "the list and Item-Total cover every space's audios"),
    Fault(
        "cross-space-audio",
        ("ACCESS-CROSS-SPACE",),
        "an audio handle is found in any space the caller may use, not only in the space that holds it",
    ),
    # --- lifecycle: list, update, delete, raw upload, sign-in, current user ------------------------------
    Fault("list-ignores-search", ("LIST-SEARCH",), "the list ignores `search` and returns every audio of the space"),
    Fault("item-total-off-by-one", ("LIST-HEADERS",), "the Item-Total header counts one audio more than match"),
    Fault("pages-overlap", ("LIST-PAGINATION",), "pages after the first start one item early (repeating an item)"),
    Fault("page-size-limit-ignored", ("LIST-PAGE-BOUNDS",), "page-size has no upper limit (51 is accepted)"),
    Fault("sort-ignored", ("LIST-SORT",), "`sort` is validated but the list is always in createdAt ascending order"),
    Fault("date-filter-exclusive", ("LIST-DATE-FILTER",), "`after`/`before` are exclusive bounds"),
    Fault("patch-not-stored", ("PATCH-STORED",), "PATCH answers the new alias but stores nothing"),
    Fault("patch-handle-accepted", ("PATCH-IMMUTABLE",), "a `handle` in a PATCH body renames the audio"),
    Fault("delete-noop", ("DELETE-GONE",), "DELETE answers 204 and keeps the audio"),
    Fault("raw-upload-twice-allowed", ("RAW-UPLOAD-ONCE",), "a second raw upload replaces the file (200, not 409)"),
    Fault("sign-in-reveals-handle", ("AUTH-CREDENTIALS-REFUSED",), "sign-in with an unknown handle answers 404 "
          "'no such user' (a wrong password still 401)"),
    Fault("session-expiry-wrong", ("AUTH-CREDENTIALS",), "session tokens expire 1 h after issue, not 24 h"),
    Fault("user-returns-other", ("AUTH-USER-SELF",), "GET /user answers another user (alice sees bob, bob alice)"),
    Fault("odd-alias-500", ("PROP-STATELESS", "PROP-STATEFUL", "ERR-NO-5XX"),
          "an alias with a character outside the BMP or a control character answers 500 (create and update)"),
    Fault("undocumented-field-type", ("PROP-STATELESS", "PROP-STATEFUL", "AUD-SCHEMA-FIELDS"),
          "the audio's `voiceprints` count is sent as a string (\"0\") instead of an integer"),
    Fault("undocumented-state", ("AUD-SCHEMA-FIELDS",),
          "a processed audio's `state` reads \"ready\", a value outside the documented enum (never `available`)"),
    Fault("bearer-scheme-lenient", ("AUTH-INVALID-401",),
          "a valid token is accepted without a scheme, or under `Token` or `Basic`, not only as `Bearer <token>`"),
    Fault("use-after-delete", ("PROP-STATEFUL", "DELETE-GONE"),
          "DELETE answers 204 and the audio leaves the list, but its details are still served (a stale cache)"),
)

BY_NAME: dict[str, Fault] = {fault.name: fault for fault in CATALOGUE}
NAMES: tuple[str, ...] = tuple(BY_NAME)


def active(settings: Settings, name: str) -> bool:
    """True when fault ``name`` is enabled; a typo in server code fails loudly instead of never firing."""
    if name not in BY_NAME:
        raise KeyError(f"unknown fault {name!r}")
    return name in settings.faults


def unknown(names: list[str] | tuple[str, ...] | frozenset[str]) -> list[str]:
    """The names that are not in the catalogue, in the order given."""
    return [name for name in names if name not in BY_NAME]


def catalogue_lines() -> list[str]:
    """One tab-separated line per fault: name, comma-separated requirement ids, description."""
    return [f"{f.name}\t{','.join(f.requirements)}\t{f.description}" for f in CATALOGUE]
