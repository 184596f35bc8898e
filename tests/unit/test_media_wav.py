"""The strict WAV oracle: what it accepts, and a clear reason for each malformation it must refuse."""

from __future__ import annotations

import io
import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from conformance.media.wav import (
    WAVE_FORMAT_EXTENSIBLE,
    WAVE_FORMAT_IEEE_FLOAT,
    WAVE_FORMAT_PCM,
    WavFormatError,
    parse_wav,
    pcm16_mono_samples,
    wav_bytes,
)

MEDIA = Path(__file__).resolve().parents[2] / "conformance" / "corpus" / "media"
PCM = struct.pack("<4h", 0, 16384, -32768, 32767)
_GUID_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"


def chunk(cid: bytes, body: bytes, *, pad: bool = True) -> bytes:
    return cid + struct.pack("<I", len(body)) + body + (b"\0" if pad and len(body) % 2 else b"")


def fmt_body(
    *,
    tag: int = WAVE_FORMAT_PCM,
    channels: int = 1,
    rate: int = 16000,
    bits: int = 16,
    block_align: int | None = None,
    byte_rate: int | None = None,
) -> bytes:
    align = channels * bits // 8 if block_align is None else block_align
    return struct.pack("<HHIIHH", tag, channels, rate, rate * align if byte_rate is None else byte_rate, align, bits)


def extensible_body(subformat: int, *, bits: int = 16, channels: int = 1, guid_tail: bytes = _GUID_TAIL) -> bytes:
    base = fmt_body(tag=WAVE_FORMAT_EXTENSIBLE, channels=channels, bits=bits)
    return base + struct.pack("<HHI", 22, bits, 0x4) + struct.pack("<H", subformat) + guid_tail


def riff(*chunks: bytes, size_delta: int = 0, size: int | None = None, form: bytes = b"WAVE") -> bytes:
    body = form + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body) + size_delta if size is None else size) + body


def wav(pcm: bytes = PCM, **fmt: int) -> bytes:
    return riff(chunk(b"fmt ", fmt_body(**fmt)), chunk(b"data", pcm))


def test_valid_pcm16_mono_parses_and_gives_samples() -> None:
    data = wav()
    info = parse_wav(data)
    assert (info.format_tag, info.channels, info.sample_rate, info.bits_per_sample) == (1, 1, 16000, 16)
    assert (info.block_align, info.byte_rate, info.data_offset, info.data_size) == (2, 32000, 44, 8)
    assert info.frames == 4 and info.chunk_ids == ("fmt ", "data") and info.is_pcm16_mono
    assert info.duration_s == pytest.approx(4 / 16000)
    samples = pcm16_mono_samples(data, info)
    assert samples.dtype == np.float32
    np.testing.assert_array_equal(samples, np.array([0, 0.5, -1.0, 32767 / 32768], dtype=np.float32))


def test_pyav_written_fixture_parses() -> None:
    data = (MEDIA / "wav-pcm16-16k-mono.wav").read_bytes()
    info = parse_wav(data)
    assert info.is_pcm16_mono and info.sample_rate == 16000 and info.chunk_ids == ("fmt ", "data")
    assert len(pcm16_mono_samples(data, info)) == info.frames > 16000


def test_header_only_fixture_parses_with_zero_frames() -> None:
    info = parse_wav((MEDIA / "wav-header-only.wav").read_bytes())
    assert info.frames == 0 and info.data_size == 0


def test_list_and_odd_padded_chunks_are_skipped() -> None:
    data = riff(
        chunk(b"fmt ", fmt_body()),
        chunk(b"LIST", b"INFOISFT\x03\x00\x00\x00ab\x00\x00"),
        chunk(b"junk", b"odd"),
        chunk(b"data", PCM),
        chunk(b"LIST", b"INFO"),
    )
    info = parse_wav(data)
    assert info.chunk_ids == ("fmt ", "LIST", "junk", "data", "LIST")
    assert len(pcm16_mono_samples(data, info)) == 4


@pytest.mark.parametrize(
    ("subformat", "bits", "pcm16"), [(WAVE_FORMAT_PCM, 16, True), (WAVE_FORMAT_IEEE_FLOAT, 32, False)]
)
def test_extensible_format_reports_its_subformat(subformat: int, bits: int, pcm16: bool) -> None:
    data = riff(chunk(b"fmt ", extensible_body(subformat, bits=bits)), chunk(b"data", b"\0" * bits))
    info = parse_wav(data)
    assert info.format_tag == WAVE_FORMAT_EXTENSIBLE and info.subformat == subformat
    assert info.effective_format == subformat and info.is_pcm16_mono is pcm16


def _truncated() -> bytes:
    """A WAV cut short with its RIFF size fixed up: only the data size still tells the truth."""
    data = wav(PCM * 10)[:-6]
    return data[:4] + struct.pack("<I", len(data) - 8) + data[8:]


MALFORMED = {
    "empty": (b"", "too short"),
    "mp3 bytes labelled wav": ((MEDIA / "mp3-cbr128-44k-stereo.mp3").read_bytes(), "not a RIFF"),
    "rifx big-endian": (b"RIFX" + wav()[4:], "not a RIFF"),
    "riff but avi": (riff(chunk(b"fmt ", fmt_body()), form=b"AVI "), "not 'WAVE'"),
    "riff size too large": (riff(chunk(b"fmt ", fmt_body()), chunk(b"data", PCM), size_delta=2), "RIFF size"),
    "riff size too small": (riff(chunk(b"fmt ", fmt_body()), chunk(b"data", PCM), size_delta=-2), "RIFF size"),
    "streaming size 0": (riff(chunk(b"fmt ", fmt_body()), chunk(b"data", PCM), size=0), "streaming"),
    "streaming size max": (riff(chunk(b"fmt ", fmt_body()), chunk(b"data", PCM), size=0xFFFFFFFF), "streaming"),
    "cut without fixing riff size": (wav(PCM * 10)[:-6], "RIFF size"),
    "truncated data": (_truncated(), "data size 80 is larger than the 74 bytes present"),
    "missing fmt": (riff(chunk(b"data", PCM)), "data chunk before fmt"),
    "missing data": (riff(chunk(b"fmt ", fmt_body())), "no data chunk"),
    "no chunks": (riff(), "no fmt chunk"),
    "two fmt": (riff(chunk(b"fmt ", fmt_body()), chunk(b"fmt ", fmt_body()), chunk(b"data", PCM)), "more than one fmt"),
    "two data": (riff(chunk(b"fmt ", fmt_body()), chunk(b"data", PCM), chunk(b"data", PCM)), "more than one data"),
    "block_align wrong": (wav(block_align=4), "block_align 4 != channels 1 * bits 16 / 8 = 2"),
    "byte_rate wrong": (wav(byte_rate=16000), "byte_rate 16000 != sample_rate 16000 * block_align 2"),
    "bits not bytes": (wav(bits=12, block_align=2, byte_rate=32000), "whole number of bytes"),
    "zero channels": (wav(channels=0, block_align=2, byte_rate=32000), "0 channels"),
    "zero rate": (wav(rate=0), "sample rate of 0"),
    "short fmt": (riff(chunk(b"fmt ", fmt_body()[:14]), chunk(b"data", PCM)), "at least 16"),
    "partial frame": (wav(PCM[:6] + b"\x01\x02\x03\x04", channels=2, bits=16), "whole number of 4-byte frames"),
    "odd chunk, no pad, mid-file": (
        riff(chunk(b"fmt ", fmt_body()), chunk(b"junk", b"odd", pad=False), chunk(b"data", PCM)),
        "invalid chunk id",
    ),
    "odd chunk, no pad, at end": (
        riff(chunk(b"fmt ", fmt_body()), chunk(b"data", PCM[:3] + b"x", pad=False), chunk(b"note", b"abc", pad=False)),
        "odd size 3 but no pad byte",
    ),
    "stray trailing bytes": (riff(chunk(b"fmt ", fmt_body()), chunk(b"data", PCM), b"\0\0\0\0"), "stray bytes"),
    "extensible, short fmt": (riff(chunk(b"fmt ", extensible_body(1)[:30]), chunk(b"data", PCM)), "40 are required"),
    "extensible, bad guid": (
        riff(chunk(b"fmt ", extensible_body(1, guid_tail=b"\x11" * 14)), chunk(b"data", PCM)),
        "not a WAVE_FORMAT GUID",
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_wav_raises_with_a_clear_reason(case: str) -> None:
    data, reason = MALFORMED[case]
    with pytest.raises(WavFormatError) as caught:
        parse_wav(data)
    assert reason in caught.value.reason
    assert str(caught.value) == caught.value.reason


@pytest.mark.parametrize(
    ("fmt", "pcm", "shown"),
    [
        ({"channels": 2}, PCM, "2 channel(s)"),
        ({"bits": 8}, b"\x80\x80", "8-bit"),
        ({"tag": WAVE_FORMAT_IEEE_FLOAT, "bits": 32}, b"\0" * 8, "format 0x0003"),
        ({"rate": 8000, "bits": 24}, b"\0" * 6, "24-bit"),
    ],
)
def test_samples_refuse_anything_but_pcm16_mono(fmt: dict[str, int], pcm: bytes, shown: str) -> None:
    data = wav(pcm, **fmt)
    info = parse_wav(data)  # well formed ...
    with pytest.raises(WavFormatError, match="expected PCM 16-bit mono") as caught:
        pcm16_mono_samples(data, info)  # ... but not what the contract promises
    assert shown in caught.value.reason


# --- the writer: what every WAV the suite builds comes from ------------------------------------------------------


def test_writer_defaults_are_the_canonical_pcm16_mono_layout() -> None:
    """The same bytes as the chunk-by-chunk build above and as the stdlib's ``wave`` (the tiny uploads used it)."""
    stdlib = io.BytesIO()
    with wave.open(stdlib, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(PCM)
    assert wav_bytes(PCM, rate=16000) == wav() == stdlib.getvalue()


def test_writer_labels_any_format_and_its_sizes_follow() -> None:
    pcm = np.zeros(6, "<f4").tobytes()  # three float32 stereo frames
    info = parse_wav(wav_bytes(pcm, rate=48000, channels=2, bits=32, format_tag=WAVE_FORMAT_IEEE_FLOAT))
    assert (info.format_tag, info.channels, info.sample_rate, info.bits_per_sample) == (3, 2, 48000, 32)
    assert (info.block_align, info.byte_rate, info.frames) == (8, 384000, 3)


def test_writer_pads_an_odd_data_chunk() -> None:
    data = wav_bytes(b"\x80\x80\x80", rate=8000, bits=8)
    assert len(data) == 44 + 4 and data.endswith(b"\x80\0")
    assert parse_wav(data).frames == 3


@pytest.mark.parametrize(
    ("knobs", "reason"),
    [({"riff_size": 0}, "streaming placeholder"), ({"data_size": 100}, "data size 100 is larger")],
)
def test_writer_can_lie_in_the_header_and_the_parser_notices(knobs: dict[str, int], reason: str) -> None:
    with pytest.raises(WavFormatError, match=reason):
        parse_wav(wav_bytes(PCM, rate=16000, **knobs))
