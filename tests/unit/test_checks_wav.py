"""Checks on the stored binary (checks/wav.py): WAV answer, format, rate, length and the same-sound oracle."""

from __future__ import annotations

import io
import struct
import wave
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from conformance.checks import ConformanceFailure
from conformance.checks.wav import (
    SameSoundFailure,
    file_answers_wav,
    is_pcm16_mono_wav,
    is_same_sound,
    length_matches_duration,
    parses_as_wav,
    rate_matches_details,
)
from conformance.media.decode import decode
from conformance.profile import build_profile

MEDIA = Path(__file__).resolve().parents[2] / "conformance" / "corpus" / "media"
SPEECH_WAV = MEDIA / "wav-pcm16-16k-mono.wav"
SPEECH_MP3 = MEDIA / "mp3-cbr128-44k-stereo.mp3"
HEADER_ONLY = MEDIA / "wav-header-only.wav"
PROFILE = build_profile()


def wav_bytes(frames: bytes | int = 1600, *, rate: int = 16000, channels: int = 1, width: int = 2) -> bytes:
    """A WAV written by the stdlib; ``frames`` is raw sample data, or a number of silent frames."""
    data = bytes(frames * channels * width) if isinstance(frames, int) else frames
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(data)
    return buffer.getvalue()


def float_wav(frames: int = 1600, rate: int = 16000) -> bytes:
    """A mono IEEE-float (format 3) 32-bit WAV, which the stdlib cannot write."""
    data = np.zeros(frames, "<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, rate, rate * 4, 4, 32)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def pcm16(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1.0, 32767 / 32768) * 32768).astype("<i2").tobytes()


def response(status: int, content_type: str | None, content: bytes = b"RIFF") -> httpx.Response:
    headers = {"Content-Type": content_type} if content_type else {}
    return httpx.Response(status, headers=headers, content=content,
                          request=httpx.Request("GET", "http://t/v1/spaces/a/b/audios/h/file"))


def failure(function: Any, *args: Any, **kwargs: Any) -> ConformanceFailure:
    with pytest.raises(ConformanceFailure) as excinfo:
        function(*args, **kwargs)
    return excinfo.value


# --- WAV-GET-200 -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["audio/wav", "audio/x-wav; charset=x", "AUDIO/WAV", "audio/wave",
                                          "audio/vnd.wave", "audio/wav;codecs=1"])
def test_file_answers_wav_passes(content_type: str) -> None:
    data = wav_bytes()
    assert file_answers_wav(response(200, content_type, data)) == data


@pytest.mark.parametrize("content_type", ["audio/mpeg", "application/octet-stream", "audio/wav-ish", "text/plain",
                                          None])
def test_file_answers_wav_fails_on_other_types(content_type: str | None) -> None:
    exc = failure(file_answers_wav, response(200, content_type))
    assert exc.requirement == "WAV-GET-200"
    assert exc.title == "the file is not served as WAV"
    assert "audio/wav" in exc.expected


@pytest.mark.parametrize("status", [201, 204, 404, 500])
def test_file_answers_wav_fails_on_another_status(status: int) -> None:
    exc = failure(file_answers_wav, response(status, "audio/wav"))
    assert exc.requirement == "WAV-GET-200"
    assert exc.title == "the file endpoint did not answer 200"
    assert exc.received.startswith(str(status))


# --- WAV-FORMAT ------------------------------------------------------------------------------------------------


def test_pcm16_mono_fixture_passes() -> None:
    info = is_pcm16_mono_wav(SPEECH_WAV.read_bytes())
    assert info.sample_rate == 16000
    assert info.channels == 1
    assert info.frames / info.sample_rate == pytest.approx(3.682688)


def test_pcm16_mono_stdlib_wav_passes() -> None:
    info = is_pcm16_mono_wav(wav_bytes(480, rate=48000))
    assert (info.sample_rate, info.frames, info.bits_per_sample) == (48000, 480, 16)


@pytest.mark.parametrize(
    ("data", "received"),
    [
        (wav_bytes(channels=2), "2 channel(s)"),
        (wav_bytes(width=1), "8-bit"),
        (wav_bytes(width=3), "24-bit"),
        (float_wav(), "format 0x0003"),
    ],
    ids=["stereo", "8-bit", "24-bit", "float"],
)
def test_wav_format_fails_when_not_pcm16_mono(data: bytes, received: str) -> None:
    parses_as_wav(data)  # well formed: only the sample format is wrong
    exc = failure(is_pcm16_mono_wav, data)
    assert exc.requirement == "WAV-FORMAT"
    assert exc.title == "the WAV is not PCM 16-bit mono"
    assert received in exc.received


@pytest.mark.parametrize(
    "data",
    [
        wav_bytes(1600)[:-100],
        wav_bytes(1600)[:30],
        SPEECH_MP3.read_bytes(),
        b"",
        b"RIFF\x00\x00\x00\x00WAVE",
        (MEDIA / "plain-text.txt").read_bytes(),
    ],
    ids=["truncated-data", "truncated-header", "mp3", "empty", "streaming-size", "text"],
)
def test_wav_format_fails_when_not_a_well_formed_wav(data: bytes) -> None:
    for check in (is_pcm16_mono_wav, parses_as_wav):
        exc = failure(check, data)
        assert exc.requirement == "WAV-FORMAT"
        assert exc.title == "the file is not a well-formed WAV"
        assert exc.received  # the parser's reason


def test_wav_format_fails_without_samples() -> None:
    exc = failure(is_pcm16_mono_wav, HEADER_ONLY.read_bytes())
    assert exc.requirement == "WAV-FORMAT"
    assert exc.title == "the WAV holds no samples"


# --- WAV-RATE / WAV-DURATION -----------------------------------------------------------------------------------


def test_rate_matches_details() -> None:
    info = parses_as_wav(wav_bytes(rate=22050))
    rate_matches_details(info, {"sampleRate": 22050})


@pytest.mark.parametrize("reported", [16000, 44100, None, "22050"])
def test_rate_differs_from_details(reported: Any) -> None:
    info = parses_as_wav(wav_bytes(rate=22050))
    exc = failure(rate_matches_details, info, {"sampleRate": reported})
    assert exc.requirement == "WAV-RATE"
    assert exc.title == "the WAV's sample rate differs from `sampleRate`"
    assert exc.received == "22050 Hz"


@pytest.mark.parametrize("duration", [1.0, 0.95, 1.079])
def test_length_matches_duration(duration: float) -> None:
    length_matches_duration(parses_as_wav(wav_bytes(16000)), duration, PROFILE)


@pytest.mark.parametrize("duration", [1.2, 0.9, 0.0, 2.0])
def test_length_differs_from_duration(duration: float) -> None:
    exc = failure(length_matches_duration, parses_as_wav(wav_bytes(16000)), duration, PROFILE)
    assert exc.requirement == "WAV-DURATION"
    assert exc.title == "the WAV's length differs from `duration`"
    assert exc.received == "1.000 s"


def test_length_tolerance_comes_from_the_profile() -> None:
    length_matches_duration(parses_as_wav(wav_bytes(16000)), 1.2, build_profile({"duration_tolerance_s": 0.25}))


# --- WAV-SAME-SOUND --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def speech() -> bytes:
    return SPEECH_WAV.read_bytes()


def test_same_sound_fixture_against_itself(speech: bytes) -> None:
    assert is_same_sound(speech, speech, lossless=True, profile=PROFILE).correlation > 0.99


def test_same_sound_fails_against_silence_of_the_same_length(speech: bytes) -> None:
    frames = parses_as_wav(speech).frames
    exc = failure(is_same_sound, wav_bytes(frames, rate=16000), speech, lossless=True, profile=PROFILE)
    assert exc.requirement == "WAV-SAME-SOUND"
    assert exc.title == "the WAV is not the sound that was uploaded"
    assert "correlation 0.000" in exc.received
    assert "lossless" in exc.expected


def test_same_sound_fails_against_the_sound_reversed(speech: bytes) -> None:
    info = parses_as_wav(speech)
    samples = np.frombuffer(speech, "<i2", count=info.frames, offset=info.data_offset)
    reversed_wav = wav_bytes(samples[::-1].tobytes(), rate=info.sample_rate)
    exc = failure(is_same_sound, reversed_wav, speech, lossless=True, profile=PROFILE)
    assert exc.requirement == "WAV-SAME-SOUND"


def test_same_sound_thresholds_are_the_profile_s(speech: bytes) -> None:
    """Noise that follows the sound's loudness: waveform about 0.86, envelope about 0.99. That is the same sound for
    a lossy source (0.80) and not for a lossless one (0.90), and a profile that asks for more refuses it."""
    info = parses_as_wav(speech)
    samples = np.frombuffer(speech, "<i2", count=info.frames, offset=info.data_offset).astype(np.float64)
    noisy = samples * (1 + 0.9 * np.random.default_rng(5).standard_normal(len(samples)))
    stored = wav_bytes(np.clip(np.round(noisy), -32768, 32767).astype("<i2").tobytes(), rate=info.sample_rate)
    correlation = is_same_sound(stored, speech, lossless=False, profile=PROFILE).correlation
    assert PROFILE.same_sound_min_correlation_lossy < correlation < PROFILE.same_sound_min_correlation
    lossless = failure(is_same_sound, stored, speech, lossless=True, profile=PROFILE)
    assert lossless.requirement == "WAV-SAME-SOUND" and lossless.expected.startswith("waveform >= 0.9 (lossless")
    stricter = build_profile({"same_sound_min_correlation_lossy": 0.9, "same_sound_min_envelope_correlation": 0.995})
    refused = failure(is_same_sound, stored, speech, lossless=False, profile=stricter)
    assert refused.requirement == "WAV-SAME-SOUND"
    assert refused.expected == "waveform >= 0.9 (lossy source), envelope >= 0.995"
    assert isinstance(refused, SameSoundFailure) and refused.reading is not None  # the report draws its numbers
    assert refused.reading.threshold == 0.9 and refused.reading.envelope_threshold == 0.995
    assert refused.reading.correlation == pytest.approx(correlation) and not refused.reading.passed


def test_same_sound_of_an_mp3_upload_passes_as_lossy() -> None:
    mp3 = SPEECH_MP3.read_bytes()
    decoded = decode(mp3, rate=44100)
    stored = wav_bytes(pcm16(decoded.samples), rate=44100)  # what a target stores: PCM16 mono at the source rate
    is_pcm16_mono_wav(stored)
    reading = is_same_sound(stored, mp3, lossless=False, profile=PROFILE)
    assert reading.correlation >= PROFILE.same_sound_min_correlation_lossy


def test_same_sound_fails_when_the_wav_cannot_be_decoded(speech: bytes) -> None:
    exc = failure(is_same_sound, (MEDIA / "random-bytes.bin").read_bytes(), speech, lossless=True, profile=PROFILE)
    assert exc.requirement == "WAV-SAME-SOUND"
    assert exc.title == "the WAV cannot be decoded for comparison"
