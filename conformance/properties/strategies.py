"""Audio-aware Hypothesis strategies: what schemathesis cannot generate for a Base64 media field by itself.

Why: schemathesis draws ``format: byte`` as Base64 of *random* bytes, so every "valid" upload is undecodable and the
positive cases never get past media validation (its issues #2101, #3777, #4268). Here positive cases are real audio
— a committed corpus row the profile accepts, or a clip synthesised with PyAV (random codec among WAV/FLAC/MP3,
rate, channels and duration inside the profile's limits) — and negative cases are mutations of real audio (bit
flips, truncation, a wrong magic, and the non-strict Base64 of ``conformance/media/base64_variants.py``). Aliases
cover Unicode planes, control characters and the length boundaries 0/1/100/101 and null.

Every draw is a pure function of Hypothesis' choices (synthesis is seeded from a drawn integer and encoded
bit-exact), so a failure found with seed S is found again with seed S.
"""

from __future__ import annotations

import base64
import functools
import random
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from conformance.manifest import ManifestError, MediaCase, expected_verdict, load_manifest
from conformance.media.base64_variants import BASE64_VARIANTS
from conformance.media.encode import encode
from conformance.profile import Profile

AUDIO_FORMAT = "x-conformance-audio-base64"
"""The string format the loaded definition's Base64 media field is rewritten to (see ``schema.py``)."""
ALIAS_FORMAT = "x-conformance-alias"
"""The string format of aliases in the loaded definition (positive aliases: 1–100 characters of any plane)."""

CODECS = {"wav": ("wav", "pcm_s16le"), "flac": ("flac", "flac"), "mp3": ("mp3", "libmp3lame")}
RATES = (8000, 11025, 16000, 22050, 32000, 44100, 48000)
"""Rates every codec above can write (MP3 has no 7.35 or 96 kHz); filtered by the profile's minimum."""
MAX_CORPUS_BYTES = 32 * 1024
"""Corpus rows above this are left to the hand-written scenarios: a fuzzer posting 600 kB bodies is slow, not deep."""
CLIP_SECONDS = (0.06, 0.4)
"""Synthesised clips are short: long enough for every codec's frame, short enough to keep a run in budget."""
MAX_ALIAS = 100
POOL_SIZE = 12
POOL_SEED = 20241202


@dataclass(frozen=True, slots=True, repr=False)
class Clip:
    """A real audio file a conforming target must accept, and what it is (for failure messages)."""

    data: bytes
    label: str

    def __repr__(self) -> str:  # Hypothesis prints failing draws: the label, not kilobytes of audio
        return f"Clip({self.label!r}, {len(self.data)} bytes)"

    @property
    def base64(self) -> str:
        """Strict Base64 (standard alphabet, padded, one line), as the vendor's guide sends it."""
        return base64.b64encode(self.data).decode("ascii")


@functools.lru_cache(maxsize=256)
def synthesise(codec: str, rate: int, channels: int, milliseconds: int, seed: int) -> bytes:
    """A tone sweep plus a little seeded noise, encoded bit-exact: the same arguments give the same bytes."""
    container, encoder = CODECS[codec]
    frames = max(1, rate * milliseconds // 1000)
    rng = np.random.default_rng(seed)
    t = np.arange(frames, dtype=np.float64) / rate
    pitch = 180.0 + 220.0 * rng.random()
    signal = 0.4 * np.sin(2 * np.pi * pitch * t * (1 + 0.5 * t)) + 0.02 * rng.standard_normal(frames)
    return encode(signal.astype(np.float32), rate, container=container, codec=encoder, channels=channels)


def corpus_rows(profile: Profile) -> list[MediaCase]:
    """Small committed corpus rows this profile accepts (an unreadable corpus just means: synthesise only)."""
    try:
        cases = load_manifest()
    except ManifestError:
        return []
    return [c for c in cases if not c.generated and c.size_bytes <= MAX_CORPUS_BYTES
            and expected_verdict(c, profile).accepted]


@dataclass(frozen=True, slots=True)
class ClipSpec:
    """What to synthesise: codec, rate, channels, length and the noise seed."""

    codec: str
    rate: int
    channels: int
    milliseconds: int
    seed: int

    def clip(self) -> Clip:
        """The clip (synthesised once per process: the coverage phase draws the same value many times)."""
        return _clip_of(self)


def clip_specs(profile: Profile, count: int = POOL_SIZE) -> list[ClipSpec]:
    """``count`` clip specifications within the profile's limits: every codec, the lowest and highest allowed
    rate, mono and stereo (if allowed), the shortest and longest length, then a fixed pseudo-random spread.

    Why a fixed pool and not a fresh clip per draw: schemathesis' coverage phase asks a format strategy for
    hundreds of values per operation; encoding each one costs milliseconds, a pool costs nothing after the first
    use. The pool is the same for every seed, so a seed only chooses among the same clips."""
    rates = [r for r in RATES if r >= profile.min_sample_rate] or [max(RATES)]
    channels = list(range(1, max(1, min(2, profile.max_channels)) + 1))
    longest = int(min(CLIP_SECONDS[1], profile.max_duration_s) * 1000)
    shortest = min(int(CLIP_SECONDS[0] * 1000), longest)
    specs = [ClipSpec(codec, rate, ch, ms, 0) for codec in sorted(CODECS)
             for rate, ch, ms in ((rates[0], channels[-1], shortest), (rates[-1], channels[0], longest))]
    spread = random.Random(POOL_SEED)
    while len(specs) < count:
        specs.append(ClipSpec(spread.choice(sorted(CODECS)), spread.choice(rates), spread.choice(channels),
                              spread.randint(shortest, longest), spread.randint(0, 2**16)))
    return specs[:count]


@functools.lru_cache(maxsize=128)
def _clip_of(spec: ClipSpec) -> Clip:
    data = synthesise(spec.codec, spec.rate, spec.channels, spec.milliseconds, spec.seed)
    return Clip(data, f"{spec.codec} {spec.rate} Hz {spec.channels} ch {spec.milliseconds} ms")


@functools.lru_cache(maxsize=64)
def _corpus_clip(row: MediaCase) -> Clip:
    return Clip(row.read(), f"corpus {row.id}")


def audio_clips(profile: Profile, pool: int = POOL_SIZE) -> st.SearchStrategy[Clip]:
    """Real audio a conforming target accepts: a synthesised clip from the pool, or a small corpus row."""
    synthesised = st.sampled_from(clip_specs(profile, pool)).map(ClipSpec.clip)
    rows = corpus_rows(profile)
    return st.one_of(synthesised, st.sampled_from(rows).map(_corpus_clip)) if rows else synthesised


@functools.lru_cache(maxsize=128)
def _base64_of(clip: Clip) -> str:
    return clip.base64


def audio_base64(profile: Profile, pool: int = POOL_SIZE) -> st.SearchStrategy[str]:
    """The positive ``file`` value: strict Base64 of real audio (encoded once per clip)."""
    return audio_clips(profile, pool).map(_base64_of)


def audio_bytes(profile: Profile, pool: int = POOL_SIZE) -> st.SearchStrategy[bytes]:
    """The positive raw-upload body: the bytes of real audio."""
    return audio_clips(profile, pool).map(lambda clip: clip.data)


# --- negative media: mutations of real audio ------------------------------------------------------------------
MUTATIONS = ("bit-flips", "truncated", "wrong-magic", "zeroed-header")


@dataclass(frozen=True, slots=True, repr=False)
class Mutant:
    """A mutated upload. ``strict_base64`` False: the ``file`` text itself is not strict Base64 (must be refused)."""

    file: str
    label: str
    strict_base64: bool

    def __repr__(self) -> str:
        return f"Mutant({self.label!r}, {len(self.file)} characters)"


def mutate(data: bytes, kind: str, draw: st.DrawFn) -> bytes:
    """One byte-level mutation of ``data``; the result may or may not still decode (the oracle allows both)."""
    raw = bytearray(data)
    if kind == "bit-flips":
        for _ in range(draw(st.integers(1, 8))):
            position = draw(st.integers(0, len(raw) - 1))
            raw[position] ^= 1 << draw(st.integers(0, 7))
    elif kind == "truncated":
        raw = raw[: draw(st.integers(0, max(0, len(raw) - 1)))]
    elif kind == "wrong-magic":
        raw[:4] = draw(st.sampled_from([b"RIFX", b"fLaC", b"ID3\x04", b"OggS", b"\x00\x00\x00\x00", b"%PDF"]))
    elif kind == "zeroed-header":
        raw[: min(len(raw), 64)] = bytes(min(len(raw), 64))
    return bytes(raw)


def mutants(profile: Profile, pool: int = POOL_SIZE) -> st.SearchStrategy[Mutant]:
    """Mutations of real audio: byte-level (a target may accept a still-decodable result) and non-strict Base64."""

    @st.composite
    def mutant(draw: st.DrawFn) -> Mutant:
        clip = draw(audio_clips(profile, pool))
        if draw(st.booleans()):
            kind = draw(st.sampled_from(MUTATIONS))
            data = mutate(clip.data, kind, draw)
            return Mutant(base64.b64encode(data).decode("ascii"), f"{clip.label}, {kind}", True)
        variant = draw(st.sampled_from(tuple(BASE64_VARIANTS)))
        text = BASE64_VARIANTS[variant](clip.base64)
        return Mutant(text, f"{clip.label}, Base64 {variant}", text == clip.base64)

    return mutant()


# --- aliases --------------------------------------------------------------------------------------------------
ODD_CHARACTERS = ("\u0000", "\u0007", "\u001b", "\u007f", "\u200b", "\u202e", "\ufeff", "\U0001f3a4", "\U0001d11e",
                  "\U00010348", "\U000e0041")
"""Controls, zero-width and bidi marks, a BOM, and characters outside the Basic Multilingual Plane."""


def valid_aliases() -> st.SearchStrategy[str]:
    """1–100 characters from every plane (no lone surrogates: JSON cannot carry them as UTF-8), boundaries often."""
    characters = st.characters(exclude_categories=("Cs",))
    odd = st.sampled_from(ODD_CHARACTERS)
    return st.one_of(
        st.text(st.one_of(characters, odd), min_size=1, max_size=MAX_ALIAS),
        st.sampled_from([1, MAX_ALIAS]).flatmap(lambda n: st.text(st.one_of(characters, odd), min_size=n,
                                                                      max_size=n)),
        st.lists(odd, min_size=1, max_size=MAX_ALIAS).map("".join),
    )


def aliases() -> st.SearchStrategy[str | None]:
    """Valid aliases and null (what a conforming target must accept)."""
    return st.one_of(st.none(), valid_aliases())


def invalid_aliases() -> st.SearchStrategy[object]:
    """Aliases a conforming target must refuse: 0 or 101+ characters, or not a string."""
    characters = st.characters(exclude_categories=("Cs",))
    return st.one_of(
        st.just(""),
        st.text(characters, min_size=MAX_ALIAS + 1, max_size=MAX_ALIAS + 1),
        st.integers(), st.booleans(), st.lists(st.integers(), max_size=2),
    )
