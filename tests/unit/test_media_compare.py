"""The same-sound oracle with its default thresholds: real round trips pass, impostors fail, with margin.

The signals are those of the threshold experiment (``fixtures/similarity.py``): espeak-ng speech through every
seed codec and four lossy ones, a simulated correct server (WAV PCM16 mono at the source rate), and the WAVs a
faulty server could return instead.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from conformance.media.compare import (
    COMPARE_RATE,
    SAME_SOUND_MIN_CORRELATION,
    SAME_SOUND_MIN_CORRELATION_LOSSY,
    SAME_SOUND_MIN_ENVELOPE_CORRELATION,
    Similarity,
    compare,
)
from fixtures.similarity import CODECS, Codec, Row, measure

IMPOSTOR_CEILING = 0.30
"""No impostor may come near a threshold: its waveform score stays below this (measured max 0.09)."""


@functools.cache
def _rows() -> dict[str, Row]:
    return {row.codec.name: row for row in measure()}


def _threshold(codec: Codec) -> float:
    return SAME_SOUND_MIN_CORRELATION if codec.lossless else SAME_SOUND_MIN_CORRELATION_LOSSY


def test_thresholds_are_ordered() -> None:
    assert IMPOSTOR_CEILING < SAME_SOUND_MIN_CORRELATION_LOSSY <= SAME_SOUND_MIN_CORRELATION < 1
    assert IMPOSTOR_CEILING < SAME_SOUND_MIN_ENVELOPE_CORRELATION < 1


@pytest.mark.parametrize("codec", CODECS, ids=lambda c: c.name)
def test_round_trip_is_the_same_sound(codec: Codec) -> None:
    row = _rows()[codec.name]
    for similarity in (row.round_trip, row.delayed):
        assert similarity.is_same_sound(_threshold(codec)), similarity
        assert similarity.correlation >= _threshold(codec) + 0.05  # margin
    assert abs(row.round_trip.lag_s) < 0.001 and abs(row.round_trip.length_difference_s) < 0.001
    assert row.delayed.lag_s == pytest.approx(0.05, abs=0.001)


@pytest.mark.parametrize("codec", CODECS, ids=lambda c: c.name)
def test_stored_audio_still_matches_the_original_speech(codec: Codec) -> None:
    """Even against the source before encoding (the codec's own loss), lossy sources pass the lossy threshold."""
    assert _rows()[codec.name].versus_source.is_same_sound(SAME_SOUND_MIN_CORRELATION_LOSSY)


@pytest.mark.parametrize("codec", CODECS, ids=lambda c: c.name)
def test_impostors_fail_with_margin(codec: Codec) -> None:
    impostors = _rows()[codec.name].impostors
    assert set(impostors) >= {
        "silence",
        "white noise",
        "other sentence",
        "time-reversed",
        "+0.5 s offset",
        "2x fast (rate label)",
    }
    for name, similarity in impostors.items():
        assert not similarity.is_same_sound(SAME_SOUND_MIN_CORRELATION_LOSSY), (name, similarity)
        assert similarity.correlation < IMPOSTOR_CEILING, (name, similarity)
        assert similarity.envelope_correlation < SAME_SOUND_MIN_ENVELOPE_CORRELATION - 0.2, (name, similarity)


def _noise(seconds: float = 1.0, seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(round(seconds * COMPARE_RATE)).astype(np.float32)


def test_silent_or_empty_candidate_scores_zero_not_nan() -> None:
    for candidate in (np.zeros(8000, np.float32), np.zeros(0, np.float32)):
        similarity = compare(_noise(), candidate, COMPARE_RATE)
        assert similarity.correlation == 0.0 and similarity.envelope_correlation == 0.0
        assert not similarity.is_same_sound()


def test_lag_sign_and_length_difference() -> None:
    x = _noise()
    later = compare(x, np.concatenate([np.zeros(400, np.float32), x]), COMPARE_RATE)
    assert later.lag_s == pytest.approx(0.05) and later.correlation == pytest.approx(1.0)
    assert later.length_difference_s == pytest.approx(0.05)
    earlier = compare(x, x[400:], COMPARE_RATE)
    assert earlier.lag_s == pytest.approx(-0.05) and earlier.is_same_sound()
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


def test_inverted_polarity_and_scaling() -> None:
    x = _noise()
    assert compare(x, 0.1 * x, COMPARE_RATE).correlation == pytest.approx(1.0)  # level does not matter
    assert not compare(x, -x, COMPARE_RATE).is_same_sound()  # no legitimate conversion inverts


def test_similarity_is_a_frozen_value() -> None:
    similarity = Similarity(0.95, 0.0, 0.9, 1.0, 1.0)
    with pytest.raises(AttributeError):
        similarity.correlation = 1.0  # type: ignore[misc]
    assert similarity.is_same_sound() and not similarity.is_same_sound(min_correlation=0.96)


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
    similarity = compare(sound, copy, COMPARE_RATE)
    assert similarity.is_same_sound(), similarity
    assert similarity.lag_s == pytest.approx(0.040, abs=1 / COMPARE_RATE)


def test_a_long_file_that_diverges_after_the_alignment_window_is_not_the_same_sound() -> None:
    """Right for the first window, another sound afterwards: the whole overlap is scored, not the window."""
    sound = _long_speechlike(150, 3)
    spliced = sound.copy()
    spliced[25 * COMPARE_RATE:] = _long_speechlike(125, 4)
    similarity = compare(sound, spliced, COMPARE_RATE)
    assert not similarity.is_same_sound(), similarity
    assert similarity.correlation < IMPOSTOR_CEILING
