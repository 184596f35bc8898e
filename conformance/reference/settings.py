"""Server settings: one frozen object built by the CLI (or a test) and passed to :func:`create_app`.

Nothing in the server reads configuration from globals or the environment. Every choice the docs leave open
(a PROFILE value) is in ``behaviour`` (:mod:`behaviour`: the reference choices, or those of ``serve --profile``);
the media limits and the session lifetime are derived from it here, once, so they can never disagree with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from .behaviour import REFERENCE, Behaviour

MIB = 1024 * 1024
KIB = 1024

#: The packaged OpenAPI definition (data, not code), served at /v1/openapi.{yaml,json}.
DEFAULT_OPENAPI_PATH = Path(__file__).resolve().parent.parent / "spec" / "audio-api.openapi.yaml"


def _default_max_body(max_file_bytes: int) -> int:
    """Base64 grows a file by 4/3; 64 KiB of slack covers the JSON envelope and an alias."""
    return math.ceil(max_file_bytes * 4 / 3) + 64 * KIB


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Media and request limits of the reference profile (docs/decisions.md, Upload)."""

    max_file_bytes: int = 20 * MIB
    max_body_bytes: int = _default_max_body(20 * MIB)
    max_json_bytes: int = 64 * KIB  # bodies of the small JSON endpoints (credentials, keys, patch)
    max_duration_s: float = 300.0
    min_sample_rate: int = 8000
    max_channels: int = 2
    max_output_rate: int = 48000


def limits_for(behaviour: Behaviour) -> Limits:
    """The media limits a behaviour asks for; the body limit follows the file limit as in the reference."""
    return Limits(
        max_file_bytes=behaviour.max_file_bytes,
        max_body_bytes=_default_max_body(behaviour.max_file_bytes),
        max_duration_s=behaviour.max_duration_s,
        min_sample_rate=behaviour.min_sample_rate,
        max_channels=behaviour.max_channels,
        max_output_rate=behaviour.max_stored_sample_rate,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Everything a server instance needs; immutable so several instances can share a process."""

    db_path: Path
    #: Every choice the docs leave open (access statuses, processing, sort syntax, capabilities, ...).
    behaviour: Behaviour = REFERENCE
    faults: frozenset[str] = frozenset()
    openapi_path: Path = DEFAULT_OPENAPI_PATH
    realm: str = "voice-api"
    #: Append one JSON line per request (method, path, status, the Server-Timing duration) to this file.
    timing_log: Path | None = None
    #: Derived from ``behaviour`` (never passed): the media limits and the session token lifetime.
    limits: Limits = field(init=False)
    session_ttl: timedelta = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "limits", limits_for(self.behaviour))
        object.__setattr__(self, "session_ttl", timedelta(seconds=self.behaviour.session_ttl_s))
