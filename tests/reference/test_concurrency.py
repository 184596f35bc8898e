"""Concurrent uploads over real HTTP: 20 different sounds at once, none lost, none mixed up.

Each upload is a pure tone at its own frequency and duration, in one of several formats; after the parallel
uploads, the details and the stored WAV of each (also fetched in parallel) must carry that upload's own tone.
"""

from __future__ import annotations

import io
import uuid
import wave
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import av
import httpx
import numpy as np
import pytest

SPACE = "spaces/alice/main/audios"
UPLOADS = 20
#: (container, codec, sample rate): PyAV-encoded formats the server accepts; "wav" is written with ``wave``.
FORMATS = (("wav", None, 16000), ("mp3", "libmp3lame", 44100), ("flac", "flac", 22050), ("ogg", "libopus", 48000))
FREQ_TOLERANCE_HZ = 3.0
#: lossy codecs add priming/padding samples (MP3 ~1 frame, Opus 6.5 ms pre-skip): the duration may grow slightly
DURATION_TOLERANCE_S = 0.08


@dataclass(frozen=True)
class Tone:
    index: int
    freq: float
    seconds: float
    fmt: str
    data: bytes

    @property
    def alias(self) -> str:
        return f"tone-{self.index}-{self.freq:g}hz"


def _samples(freq: float, seconds: float, rate: int) -> np.ndarray:
    t = np.arange(int(round(rate * seconds))) / rate
    return (0.5 * 32767 * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def _encode(fmt: str, codec: str | None, rate: int, samples: np.ndarray) -> bytes:
    buf = io.BytesIO()
    if codec is None:
        with wave.open(buf, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes(samples.astype("<i2").tobytes())
        return buf.getvalue()
    with av.open(buf, "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        for start in range(0, len(samples), 960):
            frame = av.AudioFrame.from_ndarray(samples[None, start : start + 960], format="s16", layout="mono")
            frame.sample_rate, frame.pts = rate, start
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


def _tones() -> list[Tone]:
    tones = []
    for i in range(UPLOADS):
        fmt, codec, rate = FORMATS[i % len(FORMATS)]
        freq, seconds = 300.0 + 110.0 * i, 1.0 + 0.05 * i  # 300 … 2390 Hz, 1.00 … 1.95 s: all distinct
        tones.append(Tone(i, freq, seconds, fmt, _encode(fmt, codec, rate, _samples(freq, seconds, rate))))
    return tones


def _dominant_hz(samples: np.ndarray, rate: int) -> float:
    middle = samples[len(samples) // 8 : -len(samples) // 8].astype(np.float64)  # skip codec ramp-in/out
    spectrum = np.abs(np.fft.rfft(middle * np.hanning(len(middle))))
    return float(np.argmax(spectrum) * rate / len(middle))


def _seconds(iso: str) -> float:
    assert iso.startswith("PT") and iso.endswith("S"), iso
    return float(iso[2:-1])


@pytest.fixture(scope="module")
def pool(server) -> httpx.Client:
    limits = httpx.Limits(max_connections=UPLOADS, max_keepalive_connections=UPLOADS)
    return httpx.Client(
        base_url=server.base_url + "/",
        headers={"Authorization": f"Bearer {server.token()}"},
        timeout=120,
        limits=limits,
    )


def test_parallel_uploads_keep_every_sound_apart(pool, media, helpers):
    tones = _tones()
    tag = uuid.uuid4().hex[:12]

    def upload(tone: Tone) -> httpx.Response:
        return pool.post(SPACE, json={"file": media.b64(tone.data), "alias": f"{tag}-{tone.alias}"})

    with ThreadPoolExecutor(max_workers=UPLOADS) as executor:
        created = list(executor.map(upload, tones))
    assert [r.status_code for r in created] == [201] * UPLOADS, [(r.status_code, r.text[:200]) for r in created]
    handles = [r.json()["handle"] for r in created]
    assert len(set(handles)) == UPLOADS

    def fetch(handle: str) -> tuple[httpx.Response, httpx.Response]:
        return pool.get(f"{SPACE}/{handle}"), pool.get(f"{SPACE}/{handle}/file")

    with ThreadPoolExecutor(max_workers=UPLOADS) as executor:
        fetched = list(executor.map(fetch, handles))
    for tone, response, handle, (details, file) in zip(tones, created, handles, fetched, strict=True):
        where = f"upload {tone.index} ({tone.fmt}, {tone.freq:g} Hz, {tone.seconds:g} s)"
        assert details.status_code == 200 and file.status_code == 200, where
        view = details.json()
        assert view == response.json(), where
        assert view["handle"] == handle and view["alias"] == f"{tag}-{tone.alias}", where
        assert view["state"] == "available", where
        wav = helpers.parse_wav(file.content)
        assert wav.channels == 1 and wav.sample_width == 2 and wav.rate == view["sampleRate"], where
        stored_seconds = wav.frames / wav.rate
        assert abs(_seconds(view["duration"]) - stored_seconds) < 0.001, where
        assert tone.seconds - 0.001 <= stored_seconds <= tone.seconds + DURATION_TOLERANCE_S, (where, stored_seconds)
        heard = _dominant_hz(wav.samples, wav.rate)
        assert abs(heard - tone.freq) <= FREQ_TOLERANCE_HZ, (where, heard)

    listed = pool.get(SPACE, params={"search": tag, "page-size": 50})
    assert listed.status_code == 200 and listed.headers["Item-Total"] == str(UPLOADS)
    assert sorted(a["handle"] for a in listed.json()) == sorted(handles)
    assert {a["alias"] for a in listed.json()} == {f"{tag}-{t.alias}" for t in tones}
