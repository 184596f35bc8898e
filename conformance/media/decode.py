"""Decode any media the suite uploads (or downloads) to float mono samples at a chosen rate, with PyAV.

Why: the same-sound check compares the suite's *own* decode of a fixture with the server's stored WAV, so
both must end up as mono float samples at one common rate. PyAV bundles FFmpeg, so no system tool is needed.
PyAV is lenient; use :mod:`conformance.media.wav` first when strictness matters.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import av
import av.error
import numpy as np


class MediaDecodeError(ValueError):
    """PyAV/FFmpeg could not open or decode the bytes; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class DecodedAudio:
    """The first audio stream, mixed to mono and resampled to ``rate``, plus what the source was."""

    samples: np.ndarray  # float32, mono, at ``rate``
    rate: int
    source_rate: int
    source_channels: int
    duration_s: float  # decoded source frames / source_rate (before resampling, so no resampler rounding)
    codec: str  # canonical codec name ("mp3", not the decoder "mp3float")
    container: str


def _resampled(container: av.container.InputContainer, stream: av.AudioStream, rate: int) -> tuple[np.ndarray, int]:
    resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
    pieces: list[np.ndarray] = []
    source_frames = 0
    for frame in container.decode(stream):
        source_frames += frame.samples
        pieces.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(frame))
    pieces.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
    samples = np.concatenate(pieces).astype(np.float32, copy=False) if pieces else np.zeros(0, np.float32)
    return samples, source_frames


def decode(data: bytes, *, rate: int) -> DecodedAudio:
    """Decode ``data`` (any container PyAV knows) to mono float32 at ``rate``; :class:`MediaDecodeError` if not.

    Zero decoded frames is *not* an error here (a header-only WAV decodes to nothing); callers decide.
    """
    if rate <= 0:
        raise ValueError(f"rate must be positive, got {rate}")
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.audio:
                raise MediaDecodeError(f"no audio stream in {container.format.name!r} container")
            stream = container.streams.audio[0]
            source_rate = stream.codec_context.sample_rate
            source_channels = stream.codec_context.channels
            codec = stream.codec_context.codec.canonical_name
            samples, source_frames = _resampled(container, stream, rate)
            container_name = container.format.name
    except MediaDecodeError:
        raise
    except (av.error.FFmpegError, ValueError, IndexError, OSError, EOFError) as exc:
        raise MediaDecodeError(f"{type(exc).__name__}: {exc}") from exc
    if source_rate <= 0:
        raise MediaDecodeError(f"stream reports sample rate {source_rate}")
    return DecodedAudio(
        samples=samples,
        rate=rate,
        source_rate=source_rate,
        source_channels=source_channels,
        duration_s=source_frames / source_rate,
        codec=codec,
        container=container_name,
    )


@dataclass(frozen=True, slots=True)
class Probed:
    """What the suite's own decode finds in a file: its first audio stream, every frame of it decoded."""

    container: str
    codec: str  # canonical codec name
    sample_rate: int
    channels: int
    frames: int  # decoded sample frames

    @property
    def duration_s(self) -> float:
        """Decoded frames / rate (what a target that decodes the whole file measures)."""
        return self.frames / self.sample_rate


def probe(data: bytes) -> Probed:
    """Open ``data`` with PyAV and decode its first audio stream to the end (no resampling), so that a file the
    suite calls decodable really is; :class:`MediaDecodeError` when it is not (no audio stream, a decoder error,
    a stream without a rate, or no sample at all)."""
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.audio:
                raise MediaDecodeError(f"no audio stream in {container.format.name!r} container")
            stream = container.streams.audio[0]
            context = stream.codec_context
            frames = sum(frame.samples for frame in container.decode(stream))
            found = Probed(container=container.format.name, codec=context.codec.canonical_name,
                           sample_rate=context.sample_rate, channels=context.channels, frames=frames)
    except MediaDecodeError:
        raise
    except av.error.FFmpegError as exc:  # its strerror is FFmpeg's sentence ("Invalid data found when ...")
        raise MediaDecodeError(f"FFmpeg: {exc.strerror or type(exc).__name__}") from exc
    except (ValueError, IndexError, OSError, EOFError) as exc:
        raise MediaDecodeError(f"{type(exc).__name__}: {exc}") from exc
    if found.sample_rate <= 0 or found.channels <= 0:
        raise MediaDecodeError(f"the audio stream reports {found.sample_rate} Hz, {found.channels} channel(s)")
    if found.frames == 0:
        raise MediaDecodeError("the audio stream decodes to no sample")
    return found
