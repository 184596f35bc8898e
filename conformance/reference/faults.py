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
    Fault("client-error-500", ("ERR-NO-5XX", "MEDIA-REJECT-BASE64"), "bad Base64 answers 500 instead of 400"),
    Fault("stack-trace-errors", ("ERR-PROBLEM-JSON",), "4xx problem details include a Python traceback"),
    Fault("details-mismatch", ("AUD-DETAILS-200",), "GET details reports sampleRate + 1000 compared with create"),
    Fault("bad-timestamp", ("AUD-TIMESTAMPS",), "createdAt is written without a timezone (2026-11-27 04:24:44)"),
    Fault("org-member-denied", ("ACCESS-ORG-ALLOWED",), "organization spaces are denied to their members"),
    Fault("hang-file", ("WAV-GET-200",), "GET file sleeps 3600 s before answering (other requests still served)"),
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
