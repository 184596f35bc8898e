"""Upload: accepted media become PCM16 mono WAV at min(rate, 48 kHz); every rejection rule, nothing stored."""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import datetime

import numpy as np
import pytest

SPACE = "alice/main"
FIELDS = {
    "id",
    "handle",
    "alias",
    "state",
    "duration",
    "sampleRate",
    "identity",
    "voiceprints",
    "verifications",
    "createdAt",
    "uploadedAt",
}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
HANDLE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
DURATION = re.compile(r"^PT(\d+\.\d{3})S$")

# (id, builder(media) -> bytes, expected stored rate, expected seconds, tolerance s)
ACCEPTED = [
    ("wav-pcm16-16k", lambda m: m.wav(16000, 1.0), 16000, 1.0, 0.001),
    ("mp3-44k-stereo", lambda m: m.encode("mp3", "libmp3lame", 44100, 1.0, channels=2), 44100, 1.0, 0.06),
    ("flac-48k", lambda m: m.encode("flac", "flac", 48000, 1.5), 48000, 1.5, 0.001),
    ("wav-96k-capped", lambda m: m.wav(96000, 0.5), 48000, 0.5, 0.001),
    ("wav-stereo-8k", lambda m: m.wav(8000, 2.0, channels=2), 8000, 2.0, 0.001),
    ("opus-webm", lambda m: m.encode("webm", "libopus", 48000, 1.0), 48000, 1.0, 0.06),
]


def _upload(client, data: bytes, **extra):
    return client.post(f"spaces/{SPACE}/audios", json={"file": data, **extra})


@pytest.mark.parametrize(("build", "rate", "seconds", "tol"), [a[1:] for a in ACCEPTED], ids=[a[0] for a in ACCEPTED])
def test_accepted_media(alice, media, helpers, build, rate, seconds, tol):
    alias = f"upload {uuid.uuid4()}"
    response = _upload(alice, media.b64(build(media)), alias=alias, handle="client-chosen")
    assert response.status_code == 201, response.text
    audio = response.json()
    assert set(audio) == FIELDS
    assert audio["alias"] == alias and audio["state"] == "available" and audio["identity"] is None
    assert audio["voiceprints"] == 0 and audio["verifications"] == 0
    assert audio["handle"] != "client-chosen" and HANDLE.match(audio["handle"]) and len(audio["handle"]) <= 50
    uuid.UUID(audio["id"])
    assert audio["sampleRate"] == rate
    assert TIMESTAMP.match(audio["createdAt"]) and TIMESTAMP.match(audio["uploadedAt"])
    assert audio["createdAt"] <= audio["uploadedAt"]
    reported = float(DURATION.match(audio["duration"]).group(1))
    assert abs(reported - seconds) <= tol + 0.0005

    path = f"spaces/{SPACE}/audios/{audio['handle']}"
    assert alice.get(path).json() == audio
    served = alice.get(path + "/file")
    assert served.status_code == 200 and served.headers["content-type"].startswith("audio/wav")
    wav = helpers.parse_wav(served.content)
    assert (wav.channels, wav.sample_width, wav.rate) == (1, 2, rate)
    assert f"{wav.frames / wav.rate:.3f}" == DURATION.match(audio["duration"]).group(1)
    assert int(abs(wav.samples.astype(int)).max()) > 3000  # the tone is there, not silence


def test_stereo_is_mixed_down(alice, media, helpers):
    left = media.tone(16000, 0.5)[0]
    stereo = np.stack([left, -left])  # opposite channels cancel when mixed
    audio = _upload(alice, media.b64(media.wav(16000, samples=stereo))).json()
    wav = helpers.parse_wav(alice.get(f"spaces/{SPACE}/audios/{audio['handle']}/file").content)
    assert wav.channels == 1 and int(abs(wav.samples.astype(int)).max()) <= 2


def test_truncated_mp3_is_accepted_with_its_true_duration(alice, media):
    mp3 = media.encode("mp3", "libmp3lame", 44100, 2.0)
    response = _upload(alice, media.b64(mp3[: len(mp3) // 2]))
    assert response.status_code == 201
    seconds = float(DURATION.match(response.json()["duration"]).group(1))
    assert 0.5 < seconds < 1.6


def test_alias_null_and_absent(alice):
    assert alice.post(f"spaces/{SPACE}/audios", json={"alias": None}).json()["alias"] is None
    created = alice.post(f"spaces/{SPACE}/audios", json={})
    assert created.status_code == 201 and created.json()["alias"] is None
    datetime.fromisoformat(created.json()["createdAt"])


def _unpadded(data: bytes) -> str:
    """Base64 of ``data`` grown to a length that needs padding, with the padding removed."""
    data += b"\0" * ((1 - len(data)) % 3)
    text = base64.b64encode(data).decode()
    assert text.endswith("==")
    return text.rstrip("=")


# (id, content-type, body (bytes, or a dict to JSON-encode, or a callable(media) -> dict), status)
REJECTED = [
    ("text-plain", "text/plain", b'{"file": null}', 415),
    ("no-content-type", "", b"{}", 415),
    ("bad-json", "application/json", b"{", 400),
    ("json-array", "application/json", b"[]", 400),
    ("json-string", "application/json", b'"file"', 400),
    ("not-utf8", "application/json", b'{"file": "\xff\xfe"}', 400),
    ("utf16", "application/json", '{"file": null}'.encode("utf-16"), 400),
    ("deep-nesting", "application/json", b"[" * 100000 + b"]" * 100000, 400),
    ("file-number", "application/json", {"file": 5}, 400),
    ("file-array", "application/json", {"file": ["UklGRg=="]}, 400),
    ("file-object", "application/json", {"file": {}}, 400),
    ("file-bool", "application/json", {"file": True}, 400),
    ("alias-empty", "application/json", {"alias": ""}, 400),
    ("alias-101", "application/json", {"alias": "x" * 101}, 400),
    ("alias-number", "application/json", {"alias": 5}, 400),
    ("alias-lone-surrogate", "application/json", b'{"alias": "\\ud800"}', 400),
    ("identity", "application/json", {"identity": "someone"}, 400),
    ("b64-whitespace", "application/json", lambda m: {"file": m.b64(m.wav())[:8] + " " + m.b64(m.wav())[8:]}, 400),
    ("b64-newline", "application/json", lambda m: {"file": m.b64(m.wav())[:76] + "\n" + m.b64(m.wav())[76:]}, 400),
    ("b64-urlsafe", "application/json", {"file": "-_-_"}, 400),
    ("b64-no-padding", "application/json", lambda m: {"file": _unpadded(m.wav(seconds=0.1))}, 400),
    ("b64-data-uri", "application/json", lambda m: {"file": "data:audio/wav;base64," + m.b64(m.wav())}, 400),
    ("b64-garbage", "application/json", {"file": "!!!!"}, 400),
    ("empty-file", "application/json", {"file": ""}, 400),
    ("over-20mib", "application/json", lambda m: {"file": m.b64(m.wav_with_junk(20 * 1024 * 1024))}, 413),
    ("random-bytes", "application/json", lambda m: {"file": m.b64(bytes(range(256)) * 40)}, 415),
    ("text-file", "application/json", lambda m: {"file": m.b64(b"hello, this is not audio\n" * 50)}, 415),
    ("video-only", "application/json", lambda m: {"file": m.b64(m.video_only())}, 415),
    (
        "mp3-header-only",
        "application/json",
        lambda m: {"file": m.b64(m.encode("mp3", "libmp3lame", 44100, 1)[:200])},
        415,
    ),
    ("wav-header-only", "application/json", lambda m: {"file": m.b64(m.wav(16000, 0.0))}, 422),
    ("rate-7000", "application/json", lambda m: {"file": m.b64(m.wav(7000, 0.5))}, 422),
    ("three-channels", "application/json", lambda m: {"file": m.b64(m.wav(16000, 0.2, channels=3))}, 422),
    ("flac-301s", "application/json", lambda m: {"file": m.b64(m.encode("flac", "flac", 8000, 301, silent=True))}, 422),
]


@pytest.mark.parametrize(("content_type", "body", "status"), [r[1:] for r in REJECTED], ids=[r[0] for r in REJECTED])
def test_rejected_upload_stores_nothing(alice, media, helpers, content_type, body, status):
    if callable(body):
        body = body(media)
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": content_type} if content_type else {}
    before = helpers.item_total(alice, SPACE)
    response = alice.post(f"spaces/{SPACE}/audios", content=content, headers=headers)
    helpers.assert_problem(response, status)
    assert helpers.item_total(alice, SPACE) == before
