"""Server settings: one frozen object built by the CLI (or a test) and passed to :func:`create_app`.

Nothing in the server reads configuration from globals or the environment; every limit the docs call a
PROFILE value lives here so that the profile file and the server can be compared side by side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

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


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Everything a server instance needs; immutable so several instances can share a process."""

    db_path: Path
    limits: Limits = field(default_factory=Limits)
    faults: frozenset[str] = frozenset()
    session_ttl: timedelta = timedelta(hours=24)
    openapi_path: Path = DEFAULT_OPENAPI_PATH
    realm: str = "voice-api"
    #: Status for a space the caller may not use (or that does not exist): 404 hides existence (docs/decisions.md,
    #: Access); 403 is the other documented choice, served only to prove the suite reads it from the profile.
    denied_status: int = 404
    #: Append one JSON line per request (method, path, status, the Server-Timing duration) to this file.
    timing_log: Path | None = None
