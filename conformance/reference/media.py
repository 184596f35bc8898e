"""Media rules and conversion: Base64 → bytes → PyAV decode → WAV PCM16 mono.

The rules are applied in the order of docs/decisions.md (Upload, steps 5–9). Every failure is a
:class:`MediaRejected` naming its reject reason (the profile gives its status), so a corrupt or hostile file can
never turn into a 5xx: all error classes PyAV and its container access raise are caught here.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import struct
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

import av
import av.error
import numpy as np

from .errors import MediaRejected

if TYPE_CHECKING:
    from av.audio.stream import AudioStream
    from av.container import InputContainer

    from .settings import Limits

#: Demuxers the server is willing to run (defence in depth: no playlists, no image or subtitle demuxers).
#: Checked to accept wav, mp3, flac, ogg (opus), opus/webm/mka, m4a/mp4/mov/3gp, aiff, caf, amr, asf/wma,
#: au, wv, w64 and raw ADTS aac.
FORMAT_WHITELIST = "wav,w64,mp3,flac,ogg,mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,aiff,amr,aac,caf,wv,asf,au"

#: Everything PyAV, FFmpeg or container/stream access may raise on hostile input.
AV_ERRORS: tuple[type[BaseException], ...] = (
    av.error.FFmpegError,
    ValueError,
    OSError,
    IndexError,
    StopIteration,
    EOFError,
    KeyError,
    OverflowError,
    ZeroDivisionError,
    MemoryError,
    # PyAV quirks on damaged input (e.g. attributes that are None when no decoder exists): still the client's file
    AttributeError,
    TypeError,
)

_STRICT_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_DATA_URI = re.compile(r"^data:[^,]*,")
WAV_HEADER_BYTES = 44
NOT_STRICT_BASE64 = "The file is not strict Base64 (standard alphabet, padding, no whitespace)."


@dataclass(frozen=True, slots=True)
class ConvertedAudio:
    """The stored form of an audio: a canonical 44-byte-header WAV, PCM16 mono."""

    wav: bytes
    sample_rate: int
    frames: int


def decode_base64(text: str, *, lenient: bool = False) -> bytes:
    """Strict RFC 4648 Base64 (standard alphabet, padding, nothing else); ``lenient`` is for a fault only."""
    if lenient:
        return _decode_base64_lenient(text)
    if len(text) % 4 != 0 or not _STRICT_BASE64.fullmatch(text):
        raise MediaRejected("bad_base64", NOT_STRICT_BASE64)
    try:
        # what base64.b64decode(text, validate=True) does, minus its ASCII copy of the text (~27 MiB at the limit):
        # binascii reads an ASCII str in place
        return binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError):
        raise MediaRejected("bad_base64", NOT_STRICT_BASE64) from None


def _decode_base64_lenient(text: str) -> bytes:
    """What a sloppy server does: drop a data-URI prefix and whitespace, accept url-safe, fix padding."""
    cleaned = "".join(_DATA_URI.sub("", text).split()).replace("-", "+").replace("_", "/").rstrip("=")
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned, validate=False)
    except (binascii.Error, ValueError):
        raise MediaRejected("bad_base64", "The file is not Base64.") from None


def check_file_size(data: bytes, limits: Limits, *, enforce_max: bool = True) -> None:
    """Step 6: an empty file is a client mistake (``empty``, 400); one over the limit is ``too_large`` (413)."""
    if not data:
        raise MediaRejected("empty", "The file is empty.")
    if enforce_max and len(data) > limits.max_file_bytes:
        raise MediaRejected("too_large", f"The file is larger than {limits.max_file_bytes} bytes.")


def convert_to_wav(data: bytes, limits: Limits) -> ConvertedAudio:
    """Steps 7–9: decode with PyAV and convert to WAV PCM16 mono at min(source rate, cap)."""
    try:
        container = av.open(io.BytesIO(data), mode="r", options={"format_whitelist": FORMAT_WHITELIST})
    except AV_ERRORS:
        raise MediaRejected("undecodable", "The file is not a media format the server can decode.") from None
    try:
        stream = _first_audio_stream(container)
        _check_declared_parameters(stream, limits)
        return _decode(container, stream, limits)
    finally:
        try:
            container.close()
        except AV_ERRORS:
            pass


def _first_audio_stream(container: InputContainer) -> AudioStream:
    try:
        streams = container.streams.audio
        if len(streams) == 0:
            raise MediaRejected("undecodable", "The file has no audio stream.")
        return streams[0]
    except AV_ERRORS:
        raise MediaRejected("undecodable", "The file has no audio stream the server can read.") from None


def _check_declared_parameters(stream: AudioStream, limits: Limits) -> None:
    """Reject from the codec parameters before decoding much (a 0 means unknown: the frames decide)."""
    context = stream.codec_context
    if context is None:  # FFmpeg has no decoder for this codec
        raise MediaRejected("undecodable", "The audio codec of the file cannot be decoded.")
    try:
        rate = int(context.sample_rate or 0)
        channels = int(context.channels or 0)
    except AV_ERRORS:
        raise MediaRejected("undecodable", "The audio stream parameters cannot be read.") from None
    _check_rate_and_channels(rate, channels, limits)


def _check_rate_and_channels(rate: int, channels: int, limits: Limits) -> None:
    if 0 < rate < limits.min_sample_rate:
        raise MediaRejected("invalid_audio", f"The sample rate {rate} Hz is below {limits.min_sample_rate} Hz.")
    if channels > limits.max_channels:
        raise MediaRejected(
            "invalid_audio", f"The audio has {channels} channels; at most {limits.max_channels} are accepted."
        )


def _decode(container: InputContainer, stream: AudioStream, limits: Limits) -> ConvertedAudio:
    """Decode, resample and count; stop as soon as the decoded duration passes the limit (length bombs).

    The PCM goes straight from each resampled frame into one buffer behind a placeholder header (no per-frame
    arrays, no list of chunks joined at the end): the only copy of the output is the final ``bytes``.
    """
    resampler: av.AudioResampler | None = None
    out_rate = 0
    wav = bytearray(WAV_HEADER_BYTES)
    # exact: a float sum of frame.samples / rate drifts (1 s of 16 kHz in 1024-sample frames sums to 1.0000000000000004
    # and would break an inclusive limit of exactly 1 s)
    source_seconds = Fraction(0)
    max_seconds = Fraction(limits.max_duration_s)
    frames_seen = 0
    failed = False
    try:
        for frame in container.decode(stream):
            rate = int(frame.sample_rate or 0)
            if rate <= 0:
                continue
            _check_rate_and_channels(rate, frame.layout.nb_channels, limits)
            source_seconds += Fraction(frame.samples, rate)
            if source_seconds > max_seconds:
                raise MediaRejected("invalid_audio", f"The audio is longer than {limits.max_duration_s:g} s.")
            if resampler is None:
                out_rate = min(rate, limits.max_output_rate)
                resampler = av.AudioResampler(format="s16", layout="mono", rate=out_rate)
            _append_pcm(wav, resampler.resample(frame))
            frames_seen += 1  # counted once converted: a frame the resampler refuses did not "decode"
    except AV_ERRORS:
        failed = True  # truncated or damaged: keep what decoded so far (decisions, step 9)
    if resampler is not None:
        try:
            _append_pcm(wav, resampler.resample(None))
        except AV_ERRORS:
            pass
    if frames_seen == 0:
        if failed:
            raise MediaRejected("undecodable", "No audio frame of the file could be decoded.")
        raise MediaRejected("invalid_audio", "The audio contains no samples.")
    frames = (len(wav) - WAV_HEADER_BYTES) // 2
    if frames == 0:
        raise MediaRejected("invalid_audio", "The audio contains no samples.")
    if frames / out_rate > limits.max_duration_s:
        raise MediaRejected("invalid_audio", f"The audio is longer than {limits.max_duration_s:g} s.")
    wav[:WAV_HEADER_BYTES] = _wav_header(frames * 2, channels=1, stated_rate=out_rate)
    return ConvertedAudio(wav=bytes(wav), sample_rate=out_rate, frames=frames)


def _append_pcm(wav: bytearray, frames: list[av.AudioFrame]) -> None:
    """Append the packed s16 mono samples of resampled frames (a plane may be padded past its samples)."""
    for frame in frames:
        wav += memoryview(frame.planes[0])[: frame.samples * 2]


def _wav_header(data_bytes: int, *, channels: int, stated_rate: int) -> bytes:
    block_align = 2 * channels
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + data_bytes,
        b"WAVE",
        b"fmt ",
        16,
        1,
        channels,
        stated_rate,
        stated_rate * block_align,
        block_align,
        16,
        b"data",
        data_bytes,
    )


def wav_bytes(pcm: bytes, rate: int, *, channels: int = 1, header_rate: int | None = None) -> bytes:
    """A canonical RIFF/WAVE file: ``fmt `` (PCM, 16 bit) and ``data`` only, sizes exact."""
    stated = rate if header_rate is None else header_rate
    return _wav_header(len(pcm), channels=channels, stated_rate=stated) + pcm


def pcm_of(wav: bytes) -> bytes:
    """The sample data of a WAV this module wrote."""
    return wav[WAV_HEADER_BYTES:]


def silence(rate: int, seconds: float) -> ConvertedAudio:
    """A silent mono WAV (used by faults only)."""
    frames = int(rate * seconds)
    return ConvertedAudio(wav=wav_bytes(bytes(2 * frames), rate), sample_rate=rate, frames=frames)


def duplicate_to_stereo(pcm: bytes) -> bytes:
    """Interleave every mono sample twice (the ``wav-stereo`` fault)."""
    return np.frombuffer(pcm, dtype="<i2").repeat(2).tobytes()
