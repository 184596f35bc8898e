"""A strict RIFF/WAVE parser, independent of PyAV.

Why: FFmpeg (and so PyAV) is deliberately lenient; it happily plays a WAV whose RIFF size is wrong, whose
data chunk claims more bytes than exist, or whose odd-sized chunk lacks its pad byte. The contract requires
the stored binary to be a *consistent* RIFF/WAVE PCM16 mono file, so the suite needs an oracle that refuses
what a careful reader would refuse, with a reason a person can act on.

Decisions:
- The RIFF size must equal ``len(data) - 8`` exactly. The streaming placeholders 0 and 0xFFFFFFFF are
  rejected: the server writes a finished file, and the contract asks for consistent sizes.
- Unknown chunks (``LIST``, ``fact``, ``cue `` ...) are skipped, but they must be well formed and padded to
  an even length (RIFF rule), and the chunk walk must end exactly at the end of the file.
- ``fmt `` must come before ``data``; each may appear once.
- For uncompressed formats (PCM, IEEE float, A-law, mu-law) ``block_align`` must equal
  ``channels * bits / 8``, ``byte_rate`` must equal ``sample_rate * block_align`` and the data size must be a
  whole number of frames. Compressed formats (e.g. IMA ADPCM) only get the structural checks.

The writer (:func:`wav_bytes`) lives here too: every WAV the suite builds (the committed fixtures, the generated
corpus rows, the lifecycle scenarios' tiny uploads, the threshold experiment) comes from this one function.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

WAVE_FORMAT_PCM = 0x0001
WAVE_FORMAT_IEEE_FLOAT = 0x0003
WAVE_FORMAT_ALAW = 0x0006
WAVE_FORMAT_MULAW = 0x0007
WAVE_FORMAT_EXTENSIBLE = 0xFFFE

_UNCOMPRESSED = frozenset({WAVE_FORMAT_PCM, WAVE_FORMAT_IEEE_FLOAT, WAVE_FORMAT_ALAW, WAVE_FORMAT_MULAW})
_GUID_SUFFIX = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
"""Bytes 2..15 of every KSDATAFORMAT_SUBTYPE_* GUID whose first two bytes are a WAVE_FORMAT_* code."""

_STREAMING_SIZES = (0, 0xFFFFFFFF)


class WavFormatError(ValueError):
    """The bytes are not a well-formed RIFF/WAVE file; ``reason`` says what is wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class WavInfo:
    """What the header says, after it was checked for consistency."""

    format_tag: int
    subformat: int | None  # the WAVE_FORMAT_* code inside WAVE_FORMAT_EXTENSIBLE, else None
    channels: int
    sample_rate: int
    bits_per_sample: int
    block_align: int
    byte_rate: int
    data_offset: int
    data_size: int
    frames: int
    chunk_ids: tuple[str, ...]

    @property
    def effective_format(self) -> int:
        """The sample format, looking through WAVE_FORMAT_EXTENSIBLE."""
        return self.subformat if self.subformat is not None else self.format_tag

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate

    @property
    def is_pcm16_mono(self) -> bool:
        return self.effective_format == WAVE_FORMAT_PCM and self.bits_per_sample == 16 and self.channels == 1


@dataclass(frozen=True, slots=True)
class _Fmt:
    format_tag: int
    subformat: int | None
    channels: int
    sample_rate: int
    byte_rate: int
    block_align: int
    bits_per_sample: int


def _chunk_id(raw: bytes, offset: int) -> str:
    if not all(0x20 <= b <= 0x7E for b in raw):
        raise WavFormatError(f"invalid chunk id {raw!r} at offset {offset} (an odd-sized chunk without its pad byte?)")
    return raw.decode("ascii")


def _parse_fmt(body: bytes) -> _Fmt:
    if len(body) < 16:
        raise WavFormatError(f"fmt chunk is {len(body)} bytes, at least 16 are required")
    tag, channels, rate, byte_rate, block_align, bits = struct.unpack_from("<HHIIHH", body)
    subformat = None
    if tag == WAVE_FORMAT_EXTENSIBLE:
        if len(body) < 40:
            raise WavFormatError(f"WAVE_FORMAT_EXTENSIBLE fmt chunk is {len(body)} bytes, 40 are required")
        (cb_size,) = struct.unpack_from("<H", body, 16)
        if cb_size < 22:
            raise WavFormatError(f"WAVE_FORMAT_EXTENSIBLE cbSize is {cb_size}, at least 22 is required")
        (valid_bits,) = struct.unpack_from("<H", body, 18)
        guid = body[24:40]
        if guid[2:] != _GUID_SUFFIX:
            raise WavFormatError(f"WAVE_FORMAT_EXTENSIBLE sub-format GUID {guid.hex()} is not a WAVE_FORMAT GUID")
        subformat = struct.unpack_from("<H", guid)[0]
        if valid_bits > bits:
            raise WavFormatError(f"valid bits per sample {valid_bits} exceed the container's {bits}")
    if channels == 0:
        raise WavFormatError("fmt chunk declares 0 channels")
    if rate == 0:
        raise WavFormatError("fmt chunk declares a sample rate of 0")
    if block_align == 0:
        raise WavFormatError("fmt chunk declares a block_align of 0")
    fmt = _Fmt(tag, subformat, channels, rate, byte_rate, block_align, bits)
    if (subformat if subformat is not None else tag) in _UNCOMPRESSED:
        _check_uncompressed(fmt)
    return fmt


def _check_uncompressed(fmt: _Fmt) -> None:
    if fmt.bits_per_sample == 0 or fmt.bits_per_sample % 8:
        raise WavFormatError(f"bits per sample {fmt.bits_per_sample} is not a whole number of bytes")
    expected_align = fmt.channels * fmt.bits_per_sample // 8
    if fmt.block_align != expected_align:
        raise WavFormatError(
            f"block_align {fmt.block_align} != channels {fmt.channels} * bits {fmt.bits_per_sample} / 8"
            f" = {expected_align}"
        )
    if fmt.byte_rate != fmt.sample_rate * fmt.block_align:
        raise WavFormatError(
            f"byte_rate {fmt.byte_rate} != sample_rate {fmt.sample_rate} * block_align {fmt.block_align}"
            f" = {fmt.sample_rate * fmt.block_align}"
        )


def _check_riff_header(data: bytes) -> None:
    if len(data) < 12:
        raise WavFormatError(f"only {len(data)} bytes: too short for a RIFF/WAVE header")
    if data[:4] != b"RIFF":
        raise WavFormatError(f"not a RIFF file (starts with {data[:4]!r})")
    if data[8:12] != b"WAVE":
        raise WavFormatError(f"RIFF form type is {data[8:12]!r}, not 'WAVE'")
    (riff_size,) = struct.unpack_from("<I", data, 4)
    if riff_size != len(data) - 8:
        hint = " (a streaming placeholder, not a finished file)" if riff_size in _STREAMING_SIZES else ""
        raise WavFormatError(f"RIFF size {riff_size} != file length {len(data)} - 8 = {len(data) - 8}{hint}")


def parse_wav(data: bytes) -> WavInfo:
    """Check ``data`` against the RIFF/WAVE rules above and describe it; raise :class:`WavFormatError`."""
    _check_riff_header(data)
    fmt: _Fmt | None = None
    data_offset = data_size = -1
    chunk_ids: list[str] = []
    offset = 12
    while offset < len(data):
        if len(data) - offset < 8:
            raise WavFormatError(f"{len(data) - offset} stray bytes at offset {offset}, too few for a chunk header")
        cid = _chunk_id(data[offset : offset + 4], offset)
        (size,) = struct.unpack_from("<I", data, offset + 4)
        body_start = offset + 8
        available = len(data) - body_start
        if size > available:
            what = "data size" if cid == "data" else f"chunk {cid!r} size"
            raise WavFormatError(f"{what} {size} is larger than the {available} bytes present")
        if size % 2 and size == available:
            raise WavFormatError(f"chunk {cid!r} has odd size {size} but no pad byte")
        if cid == "fmt ":
            if fmt is not None:
                raise WavFormatError("more than one fmt chunk")
            fmt = _parse_fmt(data[body_start : body_start + size])
        elif cid == "data":
            if fmt is None:
                raise WavFormatError("data chunk before fmt chunk")
            if data_offset >= 0:
                raise WavFormatError("more than one data chunk")
            data_offset, data_size = body_start, size
        chunk_ids.append(cid)
        offset = body_start + size + (size % 2)
    if fmt is None:
        raise WavFormatError("no fmt chunk")
    if data_offset < 0:
        raise WavFormatError("no data chunk")
    if fmt.format_tag in _UNCOMPRESSED or fmt.subformat in _UNCOMPRESSED:
        if data_size % fmt.block_align:
            raise WavFormatError(f"data size {data_size} is not a whole number of {fmt.block_align}-byte frames")
    return WavInfo(
        format_tag=fmt.format_tag,
        subformat=fmt.subformat,
        channels=fmt.channels,
        sample_rate=fmt.sample_rate,
        bits_per_sample=fmt.bits_per_sample,
        block_align=fmt.block_align,
        byte_rate=fmt.byte_rate,
        data_offset=data_offset,
        data_size=data_size,
        frames=data_size // fmt.block_align,
        chunk_ids=tuple(chunk_ids),
    )


def pcm16_mono_samples(data: bytes, info: WavInfo) -> np.ndarray:
    """The samples of a PCM 16-bit mono WAV as float32 in [-1, 1); :class:`WavFormatError` for anything else.

    Why only PCM16 mono: that is what the contract promises for the stored binary; a stereo or 8-bit file must
    fail the check rather than be silently converted.
    """
    if not info.is_pcm16_mono:
        raise WavFormatError(
            f"expected PCM 16-bit mono, got format 0x{info.effective_format:04x}, {info.bits_per_sample}-bit,"
            f" {info.channels} channel(s)"
        )
    samples = np.frombuffer(data, dtype="<i2", count=info.frames, offset=info.data_offset)
    return samples.astype(np.float32) / np.float32(32768.0)


def wav_bytes(
    pcm: bytes,
    *,
    rate: int,
    channels: int = 1,
    bits: int = 16,
    format_tag: int = WAVE_FORMAT_PCM,
    extra_chunks: bytes = b"",
    riff_size: int | None = None,
    data_size: int | None = None,
) -> bytes:
    """A canonical WAV (RIFF header, 16-byte ``fmt ``, optional extra chunks, ``data``) around ``pcm``.

    Why by hand and not with the stdlib's ``wave`` or PyAV: the fixtures and the parser tests need *exact* control
    of every header field, including deliberately wrong ones (any ``format_tag`` and ``bits``, a RIFF or data
    size that lies), which no encoder offers. ``block_align`` and ``byte_rate`` follow from ``channels``, ``bits``
    and ``rate``; an odd-sized ``pcm`` gets its RIFF pad byte. With the defaults the result is byte for byte what
    ``wave`` writes for PCM16.
    """
    block_align = channels * bits // 8
    fmt = struct.pack("<HHIIHH", format_tag, channels, rate, rate * block_align, block_align, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + extra_chunks
    body += b"data" + struct.pack("<I", len(pcm) if data_size is None else data_size) + pcm
    if len(pcm) % 2:
        body += b"\0"
    return b"RIFF" + struct.pack("<I", len(body) if riff_size is None else riff_size) + body
