"""Checks on the stored binary: a WAV answer, its format, its rate and length, and that it is the same sound.

The WAV is parsed by our own strict RIFF reader (``conformance.media.wav``), never by a lenient decoder, so that
wrong header sizes or a mislabelled MP3 cannot slip through; only the same-sound comparison decodes with PyAV.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from conformance.checks import ConformanceFailure, check, fail
from conformance.checks.http import WAV_MEDIA_TYPES, body_excerpt, media_type
from conformance.media.compare import COMPARE_RATE as COMPARISON_RATE
from conformance.media.compare import Similarity, compare
from conformance.media.decode import MediaDecodeError, decode
from conformance.media.wav import WavFormatError, WavInfo, parse_wav
from conformance.profile import Profile


@dataclass(frozen=True, slots=True)
class SameSoundReading:
    """What the same-sound oracle read: its scores and the thresholds it held them to (for the report's picture)."""

    similarity: Similarity
    threshold: float
    envelope_threshold: float
    lossless: bool

    @property
    def correlation(self) -> float:
        """The waveform correlation at the best lag."""
        return self.similarity.correlation

    @property
    def passed(self) -> bool:
        """Both scores reach their thresholds."""
        return (self.similarity.correlation >= self.threshold
                and self.similarity.envelope_correlation >= self.envelope_threshold)

    def lines(self) -> list[str]:
        """The oracle's numbers and thresholds, as the report writes them."""
        s = self.similarity
        return [f"waveform correlation {s.correlation:.3f} (needs >= {self.threshold:g}, "
                f"{'lossless' if self.lossless else 'lossy'} source); envelope {s.envelope_correlation:.3f} "
                f"(needs >= {self.envelope_threshold:g}); lag {s.lag_s * 1000:+.0f} ms; "
                f"lengths {s.reference_s:.2f} s uploaded, {s.candidate_s:.2f} s returned"]


class SameSoundFailure(ConformanceFailure):
    """WAV-SAME-SOUND failed; ``reading`` holds the oracle's numbers."""

    def __init__(self, *args: Any, reading: SameSoundReading | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reading = reading


@check("WAV-GET-200")
def file_answers_wav(response: httpx.Response) -> bytes:
    """`GET .../file` answers 200 with a WAV media type (compared by meaning: audio/wav, audio/x-wav, ...)."""
    if response.status_code != 200:
        fail("the file endpoint did not answer 200",
             received=f"{response.status_code} {body_excerpt(response)}", expected="200 audio/wav")
    if media_type(response) not in WAV_MEDIA_TYPES:
        fail("the file is not served as WAV", received=f"Content-Type {media_type(response)!r}",
             expected=" or ".join(sorted(WAV_MEDIA_TYPES)))
    return response.content


@check("WAV-GET-200")
def file_answered_in_time(error: Exception | None) -> None:
    """`GET .../file` answers within the run's deadline (``error`` is why the suite stopped waiting, if it did):
    serving the stored WAV is the endpoint's one job, so a hang there is its failure, not an undecided check."""
    if error is not None:
        fail("the file endpoint did not answer", received=str(error), expected="200 audio/wav")


@check("WAV-FORMAT")
def is_pcm16_mono_wav(data: bytes) -> WavInfo:
    """RIFF/WAVE with consistent sizes, PCM, 16-bit, one channel (contract "Stored binary")."""
    info = parses_as_wav(data)
    if not info.is_pcm16_mono:
        fail("the WAV is not PCM 16-bit mono",
             received=f"format {info.effective_format:#06x}, {info.bits_per_sample}-bit, {info.channels} channel(s)",
             expected="PCM (0x0001), 16-bit, 1 channel")
    if info.frames == 0:
        fail("the WAV holds no samples", received="0 frames", expected="the uploaded audio")
    return info


@check("WAV-FORMAT")
def parses_as_wav(data: bytes) -> WavInfo:
    """The bytes are a well-formed RIFF/WAVE file (whatever its sample format): rate and length are readable."""
    try:
        return parse_wav(data)
    except WavFormatError as exc:
        fail("the file is not a well-formed WAV", received=str(exc), expected="RIFF/WAVE")


@check("WAV-RATE")
def rate_matches_details(info: WavInfo, audio: dict[str, Any]) -> None:
    """The WAV header's sample rate is the `sampleRate` the details report."""
    if info.sample_rate != audio.get("sampleRate"):
        fail("the WAV's sample rate differs from `sampleRate`", received=f"{info.sample_rate} Hz",
             expected=f"{audio.get('sampleRate')} Hz")


@check("WAV-DURATION")
def length_matches_duration(info: WavInfo, duration_s: float, profile: Profile) -> None:
    """The WAV's length (frames / rate) is the reported `duration` within the profile's tolerance."""
    length = info.frames / info.sample_rate if info.sample_rate else 0.0
    if abs(length - duration_s) > profile.duration_tolerance_s:
        fail("the WAV's length differs from `duration`", received=f"{length:.3f} s",
             expected=f"{duration_s:.3f} s ± {profile.duration_tolerance_s:g} s")


@check("WAV-SAME-SOUND")
def is_same_sound(wav: bytes, uploaded: bytes, *, lossless: bool, profile: Profile) -> SameSoundReading:
    """The WAV is the uploaded sound: both decoded by the suite to mono at one rate, the normalised
    cross-correlation at the best lag reaches the profile's threshold (lower for lossy sources, whose encoder
    changed the waveform before the target ever saw it) and so does the correlation of their loudness envelopes.
    The suite's only same-sound decision: ``conformance/media/compare.py`` scores, the profile holds the
    thresholds (measured in ``conformance/media/README.md``). Returns what it read, for the report (a failure
    carries it too: ``SameSoundFailure.reading``)."""
    try:
        reference = decode(uploaded, rate=COMPARISON_RATE)
        candidate = decode(wav, rate=COMPARISON_RATE)
    except MediaDecodeError as exc:
        fail("the WAV cannot be decoded for comparison", received=str(exc),
             expected="decodable PCM")
    similarity = compare(reference.samples, candidate.samples, COMPARISON_RATE)
    threshold = profile.same_sound_min_correlation if lossless else profile.same_sound_min_correlation_lossy
    envelope_threshold = profile.same_sound_min_envelope_correlation
    reading = SameSoundReading(similarity, threshold, envelope_threshold, lossless)
    if not reading.passed:
        fail("the WAV is not the sound that was uploaded", kind=SameSoundFailure, reading=reading,
             received=f"correlation {similarity.correlation:.3f} (envelope {similarity.envelope_correlation:.3f}) "
             f"at lag {similarity.lag_s * 1000:.0f} ms",
             expected=f"waveform >= {threshold:g} ({'lossless' if lossless else 'lossy'} source), "
             f"envelope >= {envelope_threshold:g}")
    return reading
