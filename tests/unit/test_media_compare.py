"""The same-sound decision with the reference profile's thresholds, and the scores it rests on.

The decision is the suite's one check (``conformance/checks/wav.py`` ``is_same_sound``, thresholds from
``conformance.profile.build_profile()``), run on the files of the threshold experiment (``fixtures/similarity.py``):
espeak-ng speech through every seed codec and four lossy ones, what a correct server stores (WAV PCM16 mono at the
source rate), and the WAVs a faulty server could return instead. Real round trips pass, impostors fail, with margin.
The scores themselves (``conformance/media/compare.py``: lag, length, level, polarity, long signals) are tested on
plain signals.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from conformance.checks import ConformanceFailure
from conformance.checks.wav import is_same_sound
from conformance.media.compare import COMPARE_RATE, Similarity, compare
from conformance.media.encode import to_int16
from conformance.media.wav import wav_bytes
from conformance.profile import build_profile
from fixtures.similarity import CODECS, Codec, Row, Trial, score, trial
from fixtures.speech import ESPEAK_RATE, source_speech

PROFILE = build_profile()
IMPOSTOR_CEILING = 0.30
"""No impostor may come near a threshold: its waveform score stays below this (measured max 0.09)."""


@functools.cache
def _speech() -> np.ndarray:
    return source_speech()


@functools.cache
def _trials() -> dict[str, Trial]:
    return {codec.name: trial(codec, _speech()) for codec in CODECS}


@functools.cache
def _rows() -> dict[str, Row]:
    return {name: score(files, _speech()) for name, files in _trials().items()}


def _min_correlation(codec: Codec) -> float:
    return PROFILE.same_sound_min_correlation if codec.lossless else PROFILE.same_sound_min_correlation_lossy


def _pcm16_wav(samples: np.ndarray, rate: int) -> bytes:
    return wav_bytes(to_int16(np.asarray(samples, dtype=np.float32)).tobytes(), rate=rate)


def not_the_same_sound(wav: bytes, uploaded: bytes, *, lossless: bool) -> ConformanceFailure:
    """The check refuses ``wav`` as the sound of ``uploaded``, as the same-sound requirement."""
    with pytest.raises(ConformanceFailure) as caught:
        is_same_sound(wav, uploaded, lossless=lossless, profile=PROFILE)
    assert caught.value.requirement == "WAV-SAME-SOUND"
    assert caught.value.title == "the WAV is not the sound that was uploaded"
    return caught.value


def test_profile_thresholds_sit_between_impostors_and_one() -> None:
    assert IMPOSTOR_CEILING < PROFILE.same_sound_min_correlation_lossy <= PROFILE.same_sound_min_correlation < 1
    assert IMPOSTOR_CEILING < PROFILE.same_sound_min_envelope_correlation < 1


@pytest.mark.parametrize("codec", CODECS, ids=lambda c: c.name)
def test_round_trip_is_the_same_sound(codec: Codec) -> None:
    files, row = _trials()[codec.name], _rows()[codec.name]
    for stored in (files.stored, files.delayed):
        assert (is_same_sound(stored, files.media, lossless=codec.lossless, profile=PROFILE).correlation
                >= _min_correlation(codec))
    for similarity in (row.round_trip, row.delayed):  # margin
        assert similarity.correlation >= _min_correlation(codec) + 0.05, similarity
        assert similarity.envelope_correlation >= PROFILE.same_sound_min_envelope_correlation + 0.05, similarity
    assert abs(row.round_trip.lag_s) < 0.001 and abs(row.round_trip.length_difference_s) < 0.001
    assert row.delayed.lag_s == pytest.approx(0.05, abs=0.001)


@pytest.mark.parametrize("codec", CODECS, ids=lambda c: c.name)
def test_stored_audio_still_matches_the_original_speech(codec: Codec) -> None:
    """Even against the source before encoding (the codec's own loss), the stored WAV passes as from a lossy source."""
    source = _pcm16_wav(_speech(), ESPEAK_RATE)
    is_same_sound(_trials()[codec.name].stored, source, lossless=False, profile=PROFILE)


@pytest.mark.parametrize("codec", CODECS, ids=lambda c: c.name)
def test_impostors_fail_with_margin(codec: Codec) -> None:
    files, row = _trials()[codec.name], _rows()[codec.name]
    assert set(files.impostors) >= {
        "silence",
        "white noise",
        "other sentence",
        "time-reversed",
        "+0.5 s offset",
        "2x fast (rate label)",
    }
    for name, wav in files.impostors.items():
        # refused even with the lower threshold of a lossy source
        not_the_same_sound(wav, files.media, lossless=False)
        similarity = row.impostors[name]
        assert similarity.correlation < IMPOSTOR_CEILING, (name, similarity)
        assert similarity.envelope_correlation < PROFILE.same_sound_min_envelope_correlation - 0.2, (name, similarity)


def test_inverted_polarity_is_not_the_same_sound() -> None:
    """No legitimate conversion inverts, so an inverted copy fails although it is the same waveform."""
    speech = _speech()
    exc = not_the_same_sound(_pcm16_wav(-speech, ESPEAK_RATE), _pcm16_wav(speech, ESPEAK_RATE), lossless=True)
    assert float(exc.received.split()[1]) < PROFILE.same_sound_min_correlation_lossy  # the waveform decides


def _noise(seconds: float = 1.0, seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(round(seconds * COMPARE_RATE)).astype(np.float32)


def test_silent_or_empty_candidate_scores_zero_not_nan() -> None:
    for candidate in (np.zeros(8000, np.float32), np.zeros(0, np.float32)):
        similarity = compare(_noise(), candidate, COMPARE_RATE)
        assert similarity.correlation == 0.0 and similarity.envelope_correlation == 0.0


def test_lag_sign_and_length_difference() -> None:
    x = _noise()
    later = compare(x, np.concatenate([np.zeros(400, np.float32), x]), COMPARE_RATE)
    assert later.lag_s == pytest.approx(0.05) and later.correlation == pytest.approx(1.0)
    assert later.length_difference_s == pytest.approx(0.05)
    earlier = compare(x, x[400:], COMPARE_RATE)
    assert earlier.lag_s == pytest.approx(-0.05) and earlier.correlation == pytest.approx(1.0)
    assert earlier.length_difference_s == pytest.approx(-0.05)


def test_overlap_is_compared_and_length_reported_separately() -> None:
    """A truncated copy matches over its overlap; the duration check (not the correlation) must catch it."""
    x = _noise(2.0)
    similarity = compare(x, x[: len(x) // 2], COMPARE_RATE)
    assert similarity.correlation == pytest.approx(1.0)
    assert similarity.reference_s == pytest.approx(2.0) and similarity.candidate_s == pytest.approx(1.0)


def test_shift_beyond_the_lag_window_is_not_found() -> None:
    x = _noise()
    shifted = np.concatenate([np.zeros(COMPARE_RATE // 2, np.float32), x])
    assert compare(x, shifted, COMPARE_RATE).correlation < IMPOSTOR_CEILING
    assert compare(x, shifted, COMPARE_RATE, max_lag_s=0.6).correlation == pytest.approx(1.0)


def test_level_does_not_matter_and_polarity_does() -> None:
    x = _noise()
    assert compare(x, 0.1 * x, COMPARE_RATE).correlation == pytest.approx(1.0)
    assert compare(x, -x, COMPARE_RATE, max_lag_s=0).correlation == pytest.approx(-1.0)  # at the true lag
    assert compare(x, -x, COMPARE_RATE).correlation < IMPOSTOR_CEILING  # the best lag finds nothing like it


def test_similarity_is_a_frozen_value() -> None:
    similarity = Similarity(0.95, 0.0, 0.9, 1.0, 1.0)
    with pytest.raises(AttributeError):
        similarity.correlation = 1.0  # type: ignore[misc]
    assert similarity.length_difference_s == 0.0


# --- long signals: aligned on one window, scored whole ------------------------------------------------------


def _long_speechlike(seconds: float, seed: int) -> np.ndarray:
    """Noise shaped by a random syllable-rate envelope: speech-like energy changes, minutes long."""
    rng = np.random.default_rng(seed)
    n = round(seconds * COMPARE_RATE)
    envelope = np.repeat(rng.uniform(0.05, 1.0, n // 800 + 1), 800)[:n]
    return rng.standard_normal(n) * envelope * 0.3


def test_a_long_delayed_copy_is_the_same_sound_after_leading_silence() -> None:
    """Two minutes after five seconds of silence, delayed by 40 ms and slightly noisy: same sound, lag found."""
    sound = np.concatenate([np.zeros(5 * COMPARE_RATE), _long_speechlike(120, 1)])
    delay = round(0.040 * COMPARE_RATE)
    copy = np.concatenate([np.zeros(delay), sound])[: len(sound)] + np.random.default_rng(2).normal(0, 0.003,
                                                                                                   len(sound))
    is_same_sound(_pcm16_wav(copy, COMPARE_RATE), _pcm16_wav(sound, COMPARE_RATE), lossless=True, profile=PROFILE)
    assert compare(sound, copy, COMPARE_RATE).lag_s == pytest.approx(0.040, abs=1 / COMPARE_RATE)


def test_a_long_file_that_diverges_after_the_alignment_window_is_not_the_same_sound() -> None:
    """Right for the first window, another sound afterwards: the whole overlap is scored, not the window."""
    sound = _long_speechlike(150, 3)
    spliced = sound.copy()
    spliced[25 * COMPARE_RATE:] = _long_speechlike(125, 4)
    exc = not_the_same_sound(_pcm16_wav(spliced, COMPARE_RATE), _pcm16_wav(sound, COMPARE_RATE), lossless=True)
    assert float(exc.received.split()[1]) < IMPOSTOR_CEILING
