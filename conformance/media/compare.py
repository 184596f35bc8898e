"""The same-sound scores: how alike are the candidate (the server's stored WAV) and the sound that was uploaded?

Both signals must already be mono float at one common rate (see :mod:`conformance.media.decode`).

Waveform correlation
    Normalised cross-correlation, maximised over lags within ``±max_lag_s``. Each lag is normalised by the
    energies of the two *overlapping* parts, so a different length (codec padding, a truncated file) does not
    lower the score; the length difference is reported separately, for the suite's duration check.
    A zero-energy overlap scores 0, never NaN. Polarity counts: an inverted copy scores -1 at its true lag, so
    the best lag scores only what the signal's self-similarity gives elsewhere (0.35 for the corpus speech) and
    fails (no legitimate conversion inverts).
Envelope correlation
    Pearson correlation of 20 ms RMS envelopes (log-compressed, 5 ms hop), maximised over the same lag window. It
    ignores phase, so it explains a low waveform score (a lossy codec) without being fooled by it.

Thresholds were measured, not guessed (full table in ``conformance/media/README.md``; regenerate with
``python fixtures/generate.py --similarity-table``). espeak-ng speech through PCM16 WAV, FLAC, MP3 128k and
32k, AAC, Opus 32k and Vorbis, compared at 8 kHz (waveform / envelope):

- legitimate (round trip, +50 ms decoder delay, even the codec's own loss vs the original): >= 0.989 / >= 0.967
- impostors (silence, white noise, another sentence, same text in another voice, time-reversed, +0.5 s,
  2x / 0.5x rate label): <= 0.087 / <= 0.467

So 0.90 (lossless) and 0.80 (lossy) on the waveform, and 0.80 on the envelope, pass every legitimate case by
>= 0.09 and fail every impostor by >= 0.33. Those are the profile's defaults (``same_sound_*`` in
``conformance/profiles/reference.toml``), and this module holds no threshold: the one same-sound decision is the
check ``is_same_sound`` in ``conformance/checks/wav.py``, which reads them from the target's profile.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

COMPARE_RATE = 8000
"""Common comparison rate. Every accepted upload is ≥ 8 kHz, speech lives below 4 kHz, and every codec is most
faithful there; it also keeps the FFT small."""

DEFAULT_MAX_LAG_S = 0.25
"""Largest alignment shift searched: covers encoder delay, decoder priming and resampler group delay
(all < 60 ms) with margin, while a 0.5 s shift of the content is a failure."""

ALIGN_WINDOW_S = 20.0
"""Signals longer than twice this are aligned on one window of this length, then scored whole at that lag."""

ENVELOPE_WINDOW_S = 0.020
ENVELOPE_HOP_S = 0.005
_EPS = 1e-12
_FLAT_VARIANCE = 1e-9
"""Per-frame variance below which an envelope overlap is flat (log10 RMS: real variation is >= 1e-3)."""


@dataclass(frozen=True, slots=True)
class Similarity:
    """How alike two signals are; ``lag_s`` > 0 means the candidate starts later than the reference."""

    correlation: float
    lag_s: float
    envelope_correlation: float
    reference_s: float
    candidate_s: float

    @property
    def length_difference_s(self) -> float:
        """Candidate duration minus reference duration."""
        return self.candidate_s - self.reference_s


def _best_normalised_lag(x: np.ndarray, y: np.ndarray, max_lag: int) -> tuple[float, int]:
    """max over |k| <= max_lag of sum x[i] y[i+k] / sqrt(E_x(overlap) E_y(overlap)); (0.0, 0) if no energy."""
    nx, ny = len(x), len(y)
    size = 1 << int(np.ceil(np.log2(max(nx + ny, 2))))
    spectrum = np.conj(np.fft.rfft(x, size)) * np.fft.rfft(y, size)
    full = np.fft.irfft(spectrum, size)
    lags = np.arange(-min(max_lag, nx - 1), min(max_lag, ny - 1) + 1)
    numerator = full[lags % size]
    cx = np.concatenate(([0.0], np.cumsum(x * x)))
    cy = np.concatenate(([0.0], np.cumsum(y * y)))
    start = np.maximum(0, -lags)  # first x index of the overlap
    stop = np.minimum(nx, ny - lags)  # one past the last x index
    ex = cx[stop] - cx[start]
    ey = cy[stop + lags] - cy[start + lags]
    denominator = np.sqrt(ex * ey)
    valid = (ex > _EPS) & (ey > _EPS) & (stop > start)
    scores = np.where(valid, numerator / np.where(valid, denominator, 1.0), 0.0)
    if not valid.any():
        return 0.0, 0
    best = int(np.argmax(scores))
    return float(np.clip(scores[best], -1.0, 1.0)), int(lags[best])


def _first_sound(x: np.ndarray) -> int:
    """Index of the first sample louder than 1 % of the peak (0 for silence)."""
    peak = float(np.max(np.abs(x))) if len(x) else 0.0
    if peak <= _EPS:
        return 0
    return int(np.argmax(np.abs(x) > 0.01 * peak))


def _normalised_at(x: np.ndarray, y: np.ndarray, lag: int) -> float:
    """sum x[i] y[i+lag] / sqrt(E_x E_y) over the overlap at one lag; 0.0 without energy."""
    start, stop = max(0, -lag), min(len(x), len(y) - lag)
    if stop <= start:
        return 0.0
    a, b = x[start:stop], y[start + lag : stop + lag]
    ex, ey = float(np.dot(a, a)), float(np.dot(b, b))
    if ex <= _EPS or ey <= _EPS:
        return 0.0
    return float(np.clip(np.dot(a, b) / np.sqrt(ex * ey), -1.0, 1.0))


def _envelope(samples: np.ndarray, window: int, hop: int) -> np.ndarray:
    """log10 RMS over ``window`` samples, every ``hop`` samples (a hop finer than the window keeps the lag
    resolution fine enough that a few ms of codec delay cannot misalign the frames)."""
    if len(samples) < window:
        return np.zeros(0)
    power = np.concatenate(([0.0], np.cumsum(samples * samples)))
    starts = np.arange(0, len(samples) - window + 1, hop)
    rms = np.sqrt(np.maximum(power[starts + window] - power[starts], 0.0) / window)
    return np.log10(rms + 1e-4)


def _envelope_correlation(x: np.ndarray, y: np.ndarray, max_lag: int) -> float:
    """Pearson correlation of two envelopes, maximised over lags; 0 when either is flat.

    Every lag at once: the overlap's sums (of x, x², y, y²) come from cumulative sums and its cross products from
    one FFT cross-correlation, instead of one pass per lag. An overlap shorter than 3 frames, or one whose
    per-frame variance is below ``_FLAT_VARIANCE`` (a flat envelope: silence), does not count."""
    nx, ny = len(x), len(y)
    if nx == 0 or ny == 0:
        return 0.0
    x, y = x - x.mean(), y - y.mean()  # Pearson ignores offsets; centring keeps the sums below small
    lags = np.arange(-min(max_lag, nx - 1), min(max_lag, ny - 1) + 1)
    start, stop = np.maximum(0, -lags), np.minimum(nx, ny - lags)
    n = (stop - start).astype(np.float64)
    cx, cxx = _prefix(x), _prefix(x * x)
    cy, cyy = _prefix(y), _prefix(y * y)
    sx, sxx = cx[stop] - cx[start], cxx[stop] - cxx[start]
    sy, syy = cy[stop + lags] - cy[start + lags], cyy[stop + lags] - cyy[start + lags]
    size = 1 << int(np.ceil(np.log2(max(nx + ny, 2))))
    sxy = np.fft.irfft(np.conj(np.fft.rfft(x, size)) * np.fft.rfft(y, size), size)[lags % size]
    var_x, var_y = sxx - sx * sx / n, syy - sy * sy / n
    valid = (n >= 3) & (var_x > _FLAT_VARIANCE * n) & (var_y > _FLAT_VARIANCE * n)
    if not valid.any():
        return 0.0
    scores = (sxy - sx * sy / n)[valid] / np.sqrt(var_x[valid] * var_y[valid])
    return max(0.0, float(np.clip(scores.max(), -1.0, 1.0)))


def _prefix(values: np.ndarray) -> np.ndarray:
    """Cumulative sums with a leading 0: the sum over [i, j) is ``p[j] - p[i]``."""
    return np.concatenate(([0.0], np.cumsum(values)))


def compare(
    reference: np.ndarray, candidate: np.ndarray, rate: int, *, max_lag_s: float = DEFAULT_MAX_LAG_S
) -> Similarity:
    """Score ``candidate`` against ``reference`` (both mono, at ``rate``)."""
    x = np.asarray(reference, dtype=np.float64).reshape(-1)
    y = np.asarray(candidate, dtype=np.float64).reshape(-1)
    reference_s, candidate_s = len(x) / rate, len(y) / rate
    if len(x) == 0 or len(y) == 0:
        return Similarity(0.0, 0.0, 0.0, reference_s, candidate_s)
    max_lag = max(0, round(max_lag_s * rate))
    align = round(ALIGN_WINDOW_S * rate)
    if min(len(x), len(y)) > 2 * align:
        # long files: the delay a conversion adds is constant, so find it on one window (after any leading
        # silence) and score the whole overlap at it; the lag search over minutes of audio costs seconds
        start = _first_sound(x)
        start = min(start, len(x) - align, len(y) - align)
        _, lag = _best_normalised_lag(x[start:start + align], y[start:start + align], max_lag)
        correlation = _normalised_at(x, y, lag)
    else:
        correlation, lag = _best_normalised_lag(x, y, max_lag)
    window, hop = max(1, round(ENVELOPE_WINDOW_S * rate)), max(1, round(ENVELOPE_HOP_S * rate))
    envelope = _envelope_correlation(_envelope(x, window, hop), _envelope(y, window, hop), max_lag // hop)
    return Similarity(correlation, lag / rate, envelope, reference_s, candidate_s)
