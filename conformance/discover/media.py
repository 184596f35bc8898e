"""The media discovery uploads, generated on the spot: a short tone, and the same tone padded to an exact size.

Every probe file is a PCM16 WAV from the suite's one WAV writer (``conformance/media/wav.py``), so what a target
refuses is refused for the one property a probe varies (its duration, rate, channels or size) and never for its
codec. A size probe keeps one second of sound and pads the file with a ``JUNK`` chunk, which every RIFF reader
skips: the file grows without its duration growing. A RIFF file is always of even size, so an odd size gets one
byte past the RIFF's end, which readers ignore as well.
"""

from __future__ import annotations

import struct

import numpy as np

from conformance.media.wav import wav_bytes

TONE_HZ = 440.0
_CHUNK_HEADER = 8


def tone(seconds: float, *, rate: int = 16000, channels: int = 1) -> bytes:
    """A WAV of a 440 Hz tone at half scale (``seconds`` may be 0: a WAV with no samples)."""
    frames = round(seconds * rate)
    t = np.arange(frames, dtype=np.float64) / rate
    mono = (0.5 * 32767 * np.sin(2 * np.pi * TONE_HZ * t)).astype("<i2")
    pcm = np.repeat(mono, channels) if channels > 1 else mono
    return wav_bytes(pcm.tobytes(), rate=rate, channels=channels)


def padded(size: int, *, rate: int = 16000) -> bytes:
    """A one-second tone grown to exactly ``size`` bytes by a ``JUNK`` chunk (``size`` at least the tone's own
    size plus a chunk header)."""
    base = len(tone(1.0, rate=rate))
    even = size - size % 2
    junk = even - base - _CHUNK_HEADER
    if junk < 0:
        raise ValueError(f"a padded probe file is at least {base + _CHUNK_HEADER + 1} bytes, not {size}")
    frames = round(rate)
    t = np.arange(frames, dtype=np.float64) / rate
    pcm = (0.5 * 32767 * np.sin(2 * np.pi * TONE_HZ * t)).astype("<i2").tobytes()
    data = wav_bytes(pcm, rate=rate, extra_chunks=b"JUNK" + struct.pack("<I", junk) + bytes(junk))
    data += b"\0" * (size % 2)
    assert len(data) == size, (len(data), size)
    return data
