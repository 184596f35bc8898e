"""The fixture media corpus as typed rows: one ``MediaCase`` per file, each with its expected verdict.

The manifest (``fixtures/manifest.toml``) is written by ``fixtures/generate.py``; this module only reads it. The
corpus lives beside the package in a checkout; ``CONFORMANCE_FIXTURES`` points elsewhere.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from conformance import requirements
from conformance.profile import REJECT_REASONS


class ManifestError(ValueError):
    """The manifest or a file it names is missing or inconsistent; the message names the row."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaCase:
    """One fixture file and what a conforming target must answer when it is uploaded."""

    id: str
    path: Path
    made_with: str
    container: str
    codec: str
    sample_rate: int
    channels: int
    duration_s: float
    lossless: bool
    sha256: str
    verdict: str
    requirement: str
    reject_reason: str | None = None
    expected_stored_rate: int | None = None

    @property
    def accepted(self) -> bool:
        """Whether a conforming target accepts this file."""
        return self.verdict == "accept"

    def read(self) -> bytes:
        """The file's bytes, verified against the manifest's hash (a drifted corpus would mislead every check)."""
        data = self.path.read_bytes()
        if hashlib.sha256(data).hexdigest() != self.sha256:
            raise ManifestError(f"fixture {self.id}: {self.path} does not match its SHA-256 in the manifest")
        return data


def fixtures_dir() -> Path:
    """Where the corpus lives: ``$CONFORMANCE_FIXTURES`` or ``fixtures/`` beside the package."""
    configured = os.environ.get("CONFORMANCE_FIXTURES")
    return Path(configured) if configured else Path(__file__).resolve().parent.parent / "fixtures"


def load_manifest(directory: Path | None = None) -> list[MediaCase]:
    """Every row of ``manifest.toml``, validated."""
    directory = directory or fixtures_dir()
    path = directory / "manifest.toml"
    try:
        rows = tomllib.loads(path.read_text(encoding="utf-8")).get("fixture", [])
    except FileNotFoundError:
        raise ManifestError(f"the fixture manifest {path} does not exist (run fixtures/generate.py)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"the fixture manifest {path} is not valid TOML: {exc}") from None
    cases = [_case(directory, row) for row in rows]
    ids = [c.id for c in cases]
    if len(set(ids)) != len(ids):
        raise ManifestError("the fixture manifest has duplicate ids")
    return cases


def _case(directory: Path, row: dict[str, object]) -> MediaCase:
    name = str(row.get("id", "?"))
    try:
        case = MediaCase(
            id=name, path=directory / str(row["file"]), made_with=str(row["made_with"]),
            container=str(row["container"]), codec=str(row["codec"]), sample_rate=int(row["sample_rate"]),  # type: ignore[call-overload]
            channels=int(row["channels"]), duration_s=float(row["duration_s"]),  # type: ignore[call-overload, arg-type]
            lossless=bool(row["lossless"]), sha256=str(row["sha256"]), verdict=str(row["verdict"]),
            requirement=str(row["requirement"]),
            reject_reason=str(row["reject_reason"]) if "reject_reason" in row else None,
            expected_stored_rate=int(row["expected_stored_rate"]) if "expected_stored_rate" in row else None,  # type: ignore[call-overload]
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ManifestError(f"fixture {name}: missing or invalid field {exc}") from None
    if case.verdict not in ("accept", "reject"):
        raise ManifestError(f"fixture {name}: verdict must be accept or reject, got {case.verdict!r}")
    if case.verdict == "reject" and case.reject_reason not in REJECT_REASONS:
        raise ManifestError(f"fixture {name}: reject_reason must be one of {', '.join(REJECT_REASONS)}")
    if case.requirement not in requirements.CATALOGUE:
        raise ManifestError(f"fixture {name}: unknown requirement id {case.requirement!r}")
    return case
