"""The fixture media corpus as typed rows: one ``MediaCase`` per file, and what a target must answer for it.

The manifest (``conformance/corpus/manifest.toml``) is written by ``fixtures/generate.py``; this module only reads
it. The corpus is package data, so an installed wheel certifies as a checkout does; ``CONFORMANCE_FIXTURES``
points elsewhere.

Why verdicts are derived, not read: whether a clean file is accepted depends on the target's limits (size,
duration, rate, channels are PROFILE values). Each row therefore carries its measurable properties, and
:func:`expected_verdict` judges them against the configured profile; the manifest's own ``verdict`` is the
reference profile's answer, for humans (a unit test keeps the two in agreement). Only *defective* rows (not
media, no audio stream, a truncated header, zero samples, ...) are refused whatever the limits.

Big rows (over-long, oversize, longest accepted) are never committed: the manifest names a ``recipe`` and
:func:`for_profile` sizes them for the configured profile's limits; their bytes are built on first read.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import math
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from conformance import requirements
from conformance.media.wav import WAVE_FORMAT_IEEE_FLOAT, wav_bytes
from conformance.profile import REJECT_REASONS, Profile, build_profile

ACCEPT_REQUIREMENT = "AUD-CREATE-201"
GENERATED_SPEECH_RATE = 8000
"""Over-long and longest-accepted rows are PCM16 mono WAV at 8 kHz: the smallest exact encoding of a duration."""
OVERSIZE_RATE, OVERSIZE_CHANNELS, OVERSIZE_WIDTH = 48000, 2, 4
"""The oversize row is float32 stereo at 48 kHz (384 kB/s), so it passes the size limit while still short."""
WAV_HEADER = 44


class ManifestError(ValueError):
    """The manifest or a file it names is missing or inconsistent; the message names the row."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaCase:
    """One fixture file, its measurable properties, and the reference profile's verdict on it."""

    id: str
    path: Path | None  # None for generated rows
    made_with: str
    container: str
    codec: str
    sample_rate: int
    channels: int
    duration_s: float
    size_bytes: int
    lossless: bool
    sha256: str | None  # None for generated rows
    verdict: str
    requirement: str
    reject_reason: str | None = None
    expected_stored_rate: int | None = None
    defect: str | None = None  # why the file is refused under any limits (None: judged by the limits)
    recipe: str | None = None  # generated rows: the name of the recipe in RECIPES
    source: MediaCase | None = None  # generated rows: the committed row whose sound they repeat
    user: bool = False  # one of the user's own recordings (``--media DIR``, ``conformance/user_media.py``)
    undecodable: str | None = None  # a user file the suite itself cannot decode: why (never sent, never judged)

    @property
    def accepted(self) -> bool:
        """Whether the reference profile accepts this file (see :func:`expected_verdict` for a target's)."""
        return self.verdict == "accept"

    @property
    def generated(self) -> bool:
        """Built at test time for the profile's limits, never committed."""
        return self.recipe is not None

    def read(self) -> bytes:
        """The file's bytes, verified against the manifest's hash (a drifted corpus would mislead every check)."""
        if self.recipe is not None:
            return _build(self.recipe, self.source.read() if self.source else b"", self.frames)
        assert self.path is not None
        if self.user:  # bounded: the file may have grown since the run listed it (the hash then tells)
            with self.path.open("rb") as handle:
                data = handle.read(self.size_bytes + 1)
        else:
            data = self.path.read_bytes()
        if hashlib.sha256(data).hexdigest() != self.sha256:
            if self.user:
                raise ManifestError(f"media file {self.id}: {self.path} changed since the run read it")
            raise ManifestError(f"fixture {self.id}: {self.path} does not match its SHA-256 in the manifest")
        return data

    @property
    def frames(self) -> int:
        """Sample frames (exact for generated rows, which are PCM)."""
        return round(self.duration_s * self.sample_rate)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a conforming target answers: accept, or refuse for one of ``reasons`` (any of them is right when a
    file breaks several limits at once: the order a target checks them in is its own)."""

    accepted: bool
    requirement: str
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LimitRule:
    """One profile limit a clean file can break, in the order of docs/decisions.md (Upload)."""

    reason: str
    requirement: str
    broken: Callable[[MediaCase, Profile], bool]


LIMIT_RULES: tuple[LimitRule, ...] = (
    LimitRule("too_large", "MEDIA-REJECT-OVERSIZE", lambda c, p: c.size_bytes > p.max_file_bytes),
    LimitRule("invalid_audio", "MEDIA-REJECT-RATE", lambda c, p: c.sample_rate < p.min_sample_rate),
    LimitRule("invalid_audio", "MEDIA-REJECT-CHANNELS", lambda c, p: c.channels > p.max_channels),
    LimitRule("invalid_audio", "MEDIA-REJECT-TOO-LONG", lambda c, p: c.duration_s > p.max_duration_s),
)


MISLABELED = "header lies about the content"


def _narrower_than_reference(profile: Profile) -> bool:
    """Whether a limit on the audio itself is stricter than the reference profile's (only then can a mislabeled
    file's hidden content break one that the corpus does not know of)."""
    reference = build_profile()
    return (profile.max_channels < reference.max_channels or profile.min_sample_rate > reference.min_sample_rate
            or profile.max_duration_s < reference.max_duration_s)


def expected_verdict(case: MediaCase, profile: Profile) -> Verdict:
    """The answer a target with ``profile`` owes for ``case``: defects always refuse; clean files are judged by
    the profile's limits, so changing a limit in the configuration flips exactly the rows it concerns."""
    broken = [rule for rule in LIMIT_RULES if rule.broken(case, profile)]
    if case.defect is not None:
        # A defective file whose header also breaks one of the profile's limits (a stereo header over undecodable
        # data, for a mono-only target) may be refused for either reason: which a target checks first is its own.
        # Only a header that states a format can break a limit (an empty or non-media file has no rate to judge).
        stated = [rule.reason for rule in broken] if case.sample_rate > 0 and case.channels > 0 else []
        if case.defect == MISLABELED:  # the content's own format is not the header's: a target that reads the
            stated.append("invalid_audio")  # content's stream parameters may refuse them against its limits
            stated = stated if _narrower_than_reference(profile) else []
        return Verdict(False, case.requirement, tuple(dict.fromkeys([case.reject_reason or "", *stated])))
    if not broken:
        return Verdict(True, ACCEPT_REQUIREMENT)
    return Verdict(False, broken[0].requirement, tuple(dict.fromkeys(rule.reason for rule in broken)))


def fixtures_dir() -> Path:
    """Where the corpus lives: ``$CONFORMANCE_FIXTURES``, or the package's own ``corpus/``."""
    configured = os.environ.get("CONFORMANCE_FIXTURES")
    return Path(configured) if configured else Path(__file__).resolve().parent / "corpus"


_LOADED: dict[tuple[Path, int, int], list[MediaCase]] = {}
"""Manifests already read and validated, by path, modification time and size: a run asks ~20 times (each scenario
module's rows), and the rows are frozen."""


def load_manifest(directory: Path | None = None) -> list[MediaCase]:
    """Every row of ``manifest.toml``, validated (generated rows sized for the reference profile)."""
    directory = directory or fixtures_dir()
    path = directory / "manifest.toml"
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise ManifestError(f"the fixture manifest {path} does not exist (run fixtures/generate.py)") from None
    key = (path.resolve(), stat.st_mtime_ns, stat.st_size)
    if key not in _LOADED:
        _LOADED[key] = _read_manifest(directory, path)
    return list(_LOADED[key])


def _read_manifest(directory: Path, path: Path) -> list[MediaCase]:
    try:
        rows = tomllib.loads(path.read_text(encoding="utf-8")).get("fixture", [])
    except FileNotFoundError:
        raise ManifestError(f"the fixture manifest {path} does not exist (run fixtures/generate.py)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"the fixture manifest {path} is not valid TOML: {exc}") from None
    cases: dict[str, MediaCase] = {}
    for row in rows:
        case = _case(directory, row, cases)
        if case.id in cases:
            raise ManifestError(f"the fixture manifest has duplicate ids ({case.id})")
        cases[case.id] = case
    return list(cases.values())


def for_profile(cases: list[MediaCase], profile: Profile) -> list[MediaCase]:
    """The rows as a target with ``profile`` sees them: generated rows re-sized for its limits."""
    return [resize(case, profile) if case.generated else case for case in cases]


def _case(directory: Path, row: dict[str, object], known: dict[str, MediaCase]) -> MediaCase:
    name = str(row.get("id", "?"))
    try:
        recipe = str(row["recipe"]) if row.get("generated") else None
        source = known[str(row["source"])] if recipe and "source" in row else None
        case = MediaCase(
            id=name, path=None if recipe else directory / str(row["file"]), made_with=str(row["made_with"]),
            container=str(row["container"]), codec=str(row["codec"]), sample_rate=int(row["sample_rate"]),  # type: ignore[call-overload]
            channels=int(row["channels"]), duration_s=float(row["duration_s"]),  # type: ignore[call-overload, arg-type]
            size_bytes=int(row["size_bytes"]), lossless=bool(row["lossless"]),  # type: ignore[call-overload]
            sha256=None if recipe else str(row["sha256"]), verdict=str(row["verdict"]),
            requirement=str(row["requirement"]),
            reject_reason=str(row["reject_reason"]) if "reject_reason" in row else None,
            expected_stored_rate=int(row["expected_stored_rate"]) if "expected_stored_rate" in row else None,  # type: ignore[call-overload]
            defect=str(row["defect"]) if "defect" in row else None, recipe=recipe, source=source,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ManifestError(f"fixture {name}: missing or invalid field {exc}") from None
    if case.verdict not in ("accept", "reject"):
        raise ManifestError(f"fixture {name}: verdict must be accept or reject, got {case.verdict!r}")
    if case.verdict == "reject" and case.reject_reason not in REJECT_REASONS:
        raise ManifestError(f"fixture {name}: reject_reason must be one of {', '.join(REJECT_REASONS)}")
    if case.defect is not None and case.verdict != "reject":
        raise ManifestError(f"fixture {name}: a row with a defect must be rejected")
    if case.requirement not in requirements.CATALOGUE:
        raise ManifestError(f"fixture {name}: unknown requirement id {case.requirement!r}")
    if case.recipe is not None and case.recipe not in RECIPES:
        raise ManifestError(f"fixture {name}: unknown recipe {case.recipe!r} (known: {', '.join(RECIPES)})")
    return case


# --- generated rows ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Plan:
    """The shape of a generated file for one profile: PCM in a canonical WAV, so every property is exact."""

    rate: int
    channels: int
    frames: int
    width: int  # bytes per sample: 2 (PCM16) or 4 (float32)

    @property
    def size_bytes(self) -> int:
        return WAV_HEADER + self.frames * self.channels * self.width


def _longest_accepted(profile: Profile) -> Plan:
    """Exactly the maximum duration (the contract says "≤ max": a target that refuses it is off by one)."""
    return Plan(GENERATED_SPEECH_RATE, 1, math.floor(profile.max_duration_s * GENERATED_SPEECH_RATE + 1e-6), 2)


def _over_long(profile: Profile) -> Plan:
    """One second over the maximum duration: clearly too long, but not so long that the upload is slow."""
    return Plan(GENERATED_SPEECH_RATE, 1, math.floor((profile.max_duration_s + 1) * GENERATED_SPEECH_RATE), 2)


def _oversize(profile: Profile) -> Plan:
    """Just over the maximum file size (+0.1 s), as short as a valid WAV of that size can be."""
    frame_bytes = OVERSIZE_CHANNELS * OVERSIZE_WIDTH
    frames = math.ceil((profile.max_file_bytes + 1 - WAV_HEADER) / frame_bytes) + OVERSIZE_RATE // 10
    return Plan(OVERSIZE_RATE, OVERSIZE_CHANNELS, frames, OVERSIZE_WIDTH)


RECIPES: dict[str, Callable[[Profile], Plan]] = {
    "longest-accepted": _longest_accepted,
    "over-long": _over_long,
    "oversize": _oversize,
}


def resize(case: MediaCase, profile: Profile) -> MediaCase:
    """A generated row with the properties of the file its recipe builds for ``profile``."""
    assert case.recipe is not None
    plan = RECIPES[case.recipe](profile)
    return dataclasses.replace(case, sample_rate=plan.rate, channels=plan.channels, duration_s=plan.frames / plan.rate,
                               size_bytes=plan.size_bytes,
                               expected_stored_rate=min(plan.rate, profile.max_stored_sample_rate))


@functools.lru_cache(maxsize=4)
def _build(recipe: str, source: bytes, frames: int) -> bytes:
    """The bytes of a generated row, built once per run (deterministic: same inputs, same bytes)."""
    if recipe == "oversize":
        t = np.arange(frames, dtype=np.float64) / OVERSIZE_RATE
        tone = (0.3 * np.sin(2 * np.pi * 440.0 * t)).astype("<f4")
        return wav_bytes(np.repeat(tone, OVERSIZE_CHANNELS).tobytes(), rate=OVERSIZE_RATE, channels=OVERSIZE_CHANNELS,
                         bits=8 * OVERSIZE_WIDTH, format_tag=WAVE_FORMAT_IEEE_FLOAT)
    from conformance.media.decode import decode  # PyAV, only when a generated row is really uploaded

    speech = decode(source, rate=GENERATED_SPEECH_RATE).samples
    pcm = np.clip(np.round(np.resize(speech, frames) * 32767.0), -32768, 32767).astype("<i2")
    return wav_bytes(pcm.tobytes(), rate=GENERATED_SPEECH_RATE)
