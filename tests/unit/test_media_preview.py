"""The previews and the picture of a WAV verdict: real PyAV encodes and decodes, real matplotlib drawings."""

from __future__ import annotations

import base64
import io

import av
import numpy as np
import pytest
from PIL import Image

from conformance.manifest import load_manifest
from conformance.media.compare import compare
from conformance.media.decode import decode
from conformance.media.preview import PREVIEW_RATE, PreviewError, opus_preview, render
from conformance.media.wav import wav_bytes

CASES = {case.id: case for case in load_manifest()}
SPEECH = CASES["wav-pcm16-16k-mono"].read()


def payload(uri: str, media_type: str) -> bytes:
    head, _, data = uri.partition(",")
    assert head == f"data:{media_type};base64"
    return base64.b64decode(data)


def pcm16(samples: np.ndarray, rate: int) -> bytes:
    return wav_bytes(np.clip(np.round(samples * 32767), -32768, 32767).astype("<i2").tobytes(), rate=rate)


def opus_stream(data: bytes) -> tuple[str, int, int, float]:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        codec, rate, channels = stream.codec_context.codec.name, stream.codec_context.sample_rate, stream.channels
    return codec, rate, channels, decode(data, rate=PREVIEW_RATE).duration_s


def test_a_preview_is_compact_mono_opus_that_decodes_back_to_the_sound() -> None:
    speech = decode(SPEECH, rate=PREVIEW_RATE).samples
    ogg = opus_preview(speech)
    codec, rate, channels, duration = opus_stream(ogg)
    assert codec == "opus" and channels == 1 and rate == 48000  # Opus always decodes at 48 kHz
    assert duration == pytest.approx(len(speech) / PREVIEW_RATE, abs=0.03)
    assert len(ogg) < 3_000 * duration  # about 16 kb/s
    assert compare(speech, decode(ogg, rate=PREVIEW_RATE).samples, PREVIEW_RATE).envelope_correlation > 0.9


def test_render_gives_two_players_and_a_picture_of_a_silent_copy() -> None:
    silent = wav_bytes(b"\0\0" * 16000 * 4, rate=16000)
    preview = render(SPEECH, silent, lag_s=0.0, caption=["[WAV-SAME-SOUND] not the sound", "correlation 0.000"])
    assert not preview.trimmed and preview.start_s == 0.0 and preview.uploaded_s == pytest.approx(3.68, abs=0.01)
    for uri in (preview.uploaded_audio, preview.returned_audio):
        assert uri is not None and opus_stream(payload(uri, "audio/ogg"))[0] == "opus"
    image = Image.open(io.BytesIO(payload(preview.picture, "image/png")))
    assert image.format == "PNG" and image.size[0] == 900 and image.size[1] > 400
    assert preview.size < 120_000  # two players and a picture of a short clip


def test_a_long_sound_is_trimmed_to_the_window_where_the_two_differ_most() -> None:
    speech = decode(SPEECH, rate=8000).samples
    sound = np.tile(speech, 17)[:8000 * 60]  # a minute
    damaged = sound.copy()
    damaged[8000 * 41:8000 * 43] = 0  # two seconds lost, 41 s in
    preview = render(pcm16(sound, 8000), pcm16(damaged, 8000), lag_s=0.0, caption=["x"])
    assert preview.trimmed and preview.stop_s - preview.start_s == pytest.approx(10.0)
    assert preview.start_s <= 41 and preview.stop_s >= 43
    assert opus_stream(payload(preview.uploaded_audio, "audio/ogg"))[3] == pytest.approx(10.0, abs=0.03)
    assert preview.size < 200_000


def test_a_returned_wav_that_does_not_decode_is_shown_as_such() -> None:
    preview = render(SPEECH, b"RIFF....WAVEnot really", caption=["[WAV-FORMAT] not a WAV"])
    assert preview.returned_audio is None and preview.note.startswith("the returned WAV cannot be decoded")
    alone = render(SPEECH, None, names=("returned", "uploaded"))
    assert alone.returned_audio is None and alone.note == "no uploaded sound"
    assert payload(preview.picture, "image/png")[:4] == b"\x89PNG"


def test_undecodable_uploaded_media_is_a_preview_error() -> None:
    with pytest.raises(PreviewError, match="uploaded media cannot be decoded"):
        render(b"not media at all", SPEECH)


def test_without_the_oracle_s_lag_the_picture_aligns_at_an_estimated_one() -> None:
    speech = decode(SPEECH, rate=16000).samples
    late = np.concatenate((np.zeros(800, np.float32), speech))  # 50 ms later
    preview = render(SPEECH, pcm16(late, 16000), caption=["x"])
    assert preview.lag_s == pytest.approx(0.05, abs=0.002)
