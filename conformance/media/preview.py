"""Hear and see a WAV verdict: compact previews of the uploaded media and of the target's WAV, and one picture
comparing the two (loudness envelopes and spectrograms, aligned at the oracle's lag, its numbers written on it).

For report.html (``conformance/report_listen.py``), so everything comes out as ``data:`` URIs: the report stays
self-contained. Previews are re-encoded by PyAV to Opus in Ogg (mono, 16 kHz, 16 kb/s: about 2 kB a second,
which Chromium and Firefox play from a data URI); the picture is a matplotlib figure (Agg, no pyplot, so no
global state) saved as a 32-colour PNG. A sound longer than ``WINDOW_S`` is trimmed to the window where the two
differ most (lowest local correlation at the lag), so one failure of a five-minute upload costs what a ten-second
one does. Nothing here judges: the lag and the caption come from the check that decided (``is_same_sound``);
without them the lag is only estimated, for the drawing.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import numpy as np

from conformance.media.compare import compare
from conformance.media.decode import MediaDecodeError, decode
from conformance.media.encode import encode

PREVIEW_RATE = 16000
"""Rate of the previews and of the picture: speech lives below 8 kHz, and Opus encodes 16 kHz natively."""
PREVIEW_BIT_RATE = 16000
WINDOW_S = 10.0
"""Longest stretch a preview plays; a longer sound is trimmed around its worst window."""
_FRAME_S, _HOP_S = 0.020, 0.010
_FLOOR_DB = -90.0
_NFFT = 512
SPECTRUM_STEP_DB = 10.0
"""Spectrogram levels are drawn in 10 dB steps: the shapes of speech stay, and flat areas halve the PNG."""
PICTURE_COLOURS = 32
"""A palette PNG: the figure's flat colours and the spectrogram's colour map survive, at half the bytes of RGB."""


class PreviewError(ValueError):
    """The previews or the picture could not be made (the report says so for that row; the verdict stands)."""


@dataclass(frozen=True, slots=True)
class Preview:
    """What a report row shows: two players, one picture, and which stretch of the uploaded sound they cover."""

    uploaded_audio: str  # data:audio/ogg;codecs=opus;base64,...
    returned_audio: str | None  # None: the target's WAV could not be decoded (``note`` says why)
    picture: str  # data:image/png;base64,...
    start_s: float  # the stretch of the uploaded sound shown (the returned one starts ``lag_s`` later)
    stop_s: float
    uploaded_s: float  # whole durations
    returned_s: float
    lag_s: float
    trimmed: bool
    note: str = ""

    @property
    def size(self) -> int:
        """Characters the preview adds to the report."""
        return len(self.uploaded_audio) + len(self.returned_audio or "") + len(self.picture)


def opus_preview(samples: np.ndarray, rate: int = PREVIEW_RATE) -> bytes:
    """Mono float samples at ``rate`` as a compact Ogg Opus stream (an empty sound becomes 20 ms of silence,
    so that a player still has something with a duration to load)."""
    if len(samples) == 0:
        samples = np.zeros(round(rate * 0.02), np.float32)
    return encode(np.clip(samples, -1.0, 1.0).astype(np.float32), rate, container="ogg", codec="libopus",
                  bit_rate=PREVIEW_BIT_RATE, codec_options={"application": "audio"})


def data_uri(data: bytes, media_type: str) -> str:
    """``data`` as a base64 ``data:`` URI."""
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


def _window(reference: np.ndarray, candidate: np.ndarray, lag: int, rate: int, window_s: float) -> int:
    """The first sample of the ``window_s`` stretch of ``reference`` whose overlap with ``candidate`` (at ``lag``)
    correlates least: where the two differ most (the first such stretch, when they differ alike everywhere)."""
    size, hop = round(window_s * rate), rate
    last = len(reference) - size
    if last <= 0:
        return 0
    worst, where = np.inf, 0
    for start in range(0, last + 1, hop):
        a = reference[start:start + size].astype(np.float64)
        lo, hi = start + lag, start + lag + size
        b = np.zeros(size)
        piece = candidate[max(0, lo):max(0, min(hi, len(candidate)))].astype(np.float64)
        offset = max(0, -lo)
        b[offset:offset + len(piece)] = piece
        energy = float(np.sqrt(np.dot(a, a) * np.dot(b, b)))
        score = float(np.dot(a, b)) / energy if energy > 1e-12 else -np.inf if np.dot(a, a) > 1e-12 else 0.0
        if score < worst:
            worst, where = score, start
    return where


def _aligned(samples: np.ndarray, begin: int, size: int) -> np.ndarray:
    """``samples[begin:begin + size]``, silence where that reaches before the start (a negative ``begin``)."""
    lead = np.zeros(max(0, -begin), np.float32)
    return np.concatenate((lead, samples[max(0, begin):max(0, begin + size)]))[:size]


def _envelope_db(samples: np.ndarray, rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Times and RMS level (dBFS) of 20 ms frames every 10 ms."""
    frame, hop = round(_FRAME_S * rate), round(_HOP_S * rate)
    if len(samples) < frame:
        return np.zeros(0), np.zeros(0)
    power = np.concatenate(([0.0], np.cumsum(samples.astype(np.float64) ** 2)))
    starts = np.arange(0, len(samples) - frame + 1, hop)
    rms = np.sqrt(np.maximum(power[starts + frame] - power[starts], 0.0) / frame)
    return (starts + frame / 2) / rate, np.maximum(20 * np.log10(rms + 1e-9), _FLOOR_DB)


def _spectrogram_db(samples: np.ndarray) -> np.ndarray:
    """Magnitude (dBFS, in ``SPECTRUM_STEP_DB`` steps) of Hann-windowed frames of ``_NFFT`` every half frame:
    frequencies down, time across."""
    hop = _NFFT // 2
    if len(samples) < _NFFT:
        samples = np.pad(samples, (0, _NFFT - len(samples)))
    count = 1 + (len(samples) - _NFFT) // hop
    frames = np.lib.stride_tricks.sliding_window_view(samples.astype(np.float64), _NFFT)[::hop][:count]
    window = np.hanning(_NFFT)
    magnitude = np.abs(np.fft.rfft(frames * window, axis=1)) / (window.sum() / 2)
    level = np.maximum(20 * np.log10(magnitude.T + 1e-9), _FLOOR_DB)
    return np.round(level / SPECTRUM_STEP_DB) * SPECTRUM_STEP_DB


def picture(reference: np.ndarray, candidate: np.ndarray | None, *, rate: int, start_s: float, lag_s: float,
            caption: list[str], width_px: int = 900, names: tuple[str, str] = ("uploaded", "returned")) -> bytes:
    """The comparison as a PNG: both loudness envelopes on one axis, then each spectrogram, the returned sound
    shifted by ``lag_s`` so that the same moment lies above the same moment; ``caption`` on top."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    dpi = 90
    height_in = 5.6
    figure = Figure(figsize=(width_px / dpi, height_in), dpi=dpi)
    # fixed margins, not a layout engine: constrained layout measured every label and took half of each picture's
    # time; the caption's lines (8 pt, ~12 px each) get the top
    top = 1 - (12 * (len(caption) + 1)) / (height_in * dpi)
    figure.subplots_adjust(left=0.075, right=0.99, bottom=0.075, top=max(top, 0.5), hspace=0.12)
    FigureCanvasAgg(figure)
    axes = figure.subplots(3, 1, sharex=True, gridspec_kw={"height_ratios": [1.2, 1, 1]})
    span = len(reference) / rate
    times, level = _envelope_db(reference, rate)
    axes[0].plot(start_s + times, level, color="#0969da", linewidth=1, label=names[0])
    if candidate is not None:
        times_c, level_c = _envelope_db(candidate, rate)
        axes[0].plot(start_s + times_c, level_c, color="#cf222e", linewidth=1, alpha=0.8,
                     label=f"{names[1]} (shifted {lag_s * 1000:+.0f} ms)")
    axes[0].set_ylim(_FLOOR_DB - 6, 3)
    axes[0].set_ylabel("level dBFS", fontsize=8)
    axes[0].legend(loc="lower right", fontsize=7)
    extent = (start_s, start_s + max(span, 1 / rate), 0, rate / 2000)
    for axis, samples, name in ((axes[1], reference, names[0]), (axes[2], candidate, names[1])):
        if samples is None:
            axis.text(0.5, 0.5, f"no {names[1]} sound to show", ha="center", va="center", transform=axis.transAxes)
        else:
            axis.imshow(_spectrogram_db(samples), origin="lower", aspect="auto", cmap="magma", vmin=_FLOOR_DB,
                        vmax=0, extent=(start_s, start_s + max(len(samples), 1) / rate, 0, rate / 2000),
                        interpolation="nearest")
        axis.set_ylabel(f"{name}\nkHz", fontsize=8)
    axes[2].set_xlim(extent[0], extent[1])
    axes[2].set_xlabel(f"seconds of the {names[0]} sound", fontsize=8)
    for axis in axes:
        axis.tick_params(labelsize=7)
    figure.suptitle("\n".join(caption), fontsize=8, x=0.01, y=0.995, ha="left", va="top")
    canvas = figure.canvas
    canvas.draw()
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).convert("RGB")
    out = io.BytesIO()
    image.quantize(colors=PICTURE_COLOURS).save(out, format="PNG", compress_level=6)  # optimize: 3x slower, 5 % smaller
    return out.getvalue()


def render(uploaded: bytes, returned: bytes | None, *, lag_s: float | None = None, caption: list[str] | None = None,
           window_s: float = WINDOW_S, names: tuple[str, str] = ("uploaded", "returned")) -> Preview:
    """The previews and the picture of one verdict (:class:`PreviewError` if the uploaded media cannot be read;
    a returned WAV that cannot be decoded is shown as such, next to the uploaded sound). ``names`` label the two
    sounds (an audio with no known fixture shows its returned WAV alone: ``render(wav, None, names=...)``)."""
    try:
        reference = decode(uploaded, rate=PREVIEW_RATE).samples
    except MediaDecodeError as exc:
        raise PreviewError(f"the uploaded media cannot be decoded: {exc.reason}") from exc
    candidate: np.ndarray | None = None
    note = ""
    if returned is None:
        note = f"no {names[1]} sound"
    else:
        try:
            candidate = decode(returned, rate=PREVIEW_RATE).samples
        except MediaDecodeError as exc:
            note = f"the returned WAV cannot be decoded: {exc.reason}"
    if lag_s is None:
        lag_s = compare(reference, candidate, PREVIEW_RATE).lag_s if candidate is not None else 0.0
    lag = round(lag_s * PREVIEW_RATE)
    start = 0
    size = len(reference)
    if len(reference) > round(window_s * PREVIEW_RATE):
        size = round(window_s * PREVIEW_RATE)
        start = _window(reference, candidate if candidate is not None else np.zeros(0), lag, PREVIEW_RATE, window_s)
    trimmed = size < len(reference)
    shown_reference = reference[start:start + size]
    shown_candidate = None
    if candidate is not None:
        shown_candidate = _aligned(candidate, start + lag, size if trimmed else max(0, len(candidate) - lag))
    start_s, stop_s = start / PREVIEW_RATE, (start + len(shown_reference)) / PREVIEW_RATE
    lines = list(caption or [])
    if trimmed:
        lines.append(f"shown: {start_s:.1f}–{stop_s:.1f} s of {len(reference) / PREVIEW_RATE:.1f} s "
                     "(the window where the two differ most)")
    try:
        png = picture(shown_reference, shown_candidate, rate=PREVIEW_RATE, start_s=start_s, lag_s=lag_s,
                      caption=lines or [f"{names[0]} vs {names[1]}"], names=names)
        uploaded_audio = data_uri(opus_preview(shown_reference), "audio/ogg")
        returned_audio = (data_uri(opus_preview(shown_candidate), "audio/ogg")
                          if shown_candidate is not None else None)
    except (ValueError, OSError, RuntimeError) as exc:
        raise PreviewError(f"{type(exc).__name__}: {exc}") from exc
    return Preview(uploaded_audio=uploaded_audio, returned_audio=returned_audio, picture=data_uri(png, "image/png"),
                   start_s=start_s, stop_s=stop_s, uploaded_s=len(reference) / PREVIEW_RATE,
                   returned_s=(len(candidate) / PREVIEW_RATE) if candidate is not None else 0.0, lag_s=lag_s,
                   trimmed=trimmed, note=note)
