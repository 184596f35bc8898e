"""Validation step 2 of the guide: retrieve the stored binary and check it is a WAV of the same sound.

The same checks run over every audio under test (``scenarios/_audio.py``): each corpus row the profile accepts,
as uploaded by the suite, and each audio named in ``[read_only]``, which a ``--read-only`` run reads and nothing
else.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conformance.checks.audio import duration_is_iso8601
from conformance.checks.wav import (
    is_pcm16_mono_wav,
    is_same_sound,
    length_matches_duration,
    parses_as_wav,
    rate_matches_details,
)
from conformance.outcomes import disabled
from conformance.profile import Profile
from conformance.scenarios._audio import AudioUnderTest

pytestmark = pytest.mark.rows("audio", "audios_under_test", indirect=True)


@pytest.mark.requirement("WAV-GET-200")
def test_file_answers_wav(audio: AudioUnderTest) -> None:
    """The file endpoint answers 200 with a WAV content type."""
    audio.wav()


@pytest.mark.requirement("WAV-FORMAT")
def test_file_is_pcm16_mono(audio: AudioUnderTest) -> None:
    """The WAV is RIFF/WAVE PCM 16-bit mono with consistent sizes."""
    is_pcm16_mono_wav(audio.wav())


@pytest.mark.requirement("WAV-RATE")
def test_file_rate_matches_details(audio: AudioUnderTest) -> None:
    """The WAV's rate is the `sampleRate` of the details."""
    rate_matches_details(parses_as_wav(audio.wav()), audio.details())


@pytest.mark.requirement("WAV-DURATION")
def test_file_length_matches_duration(audio: AudioUnderTest, profile: Profile) -> None:
    """The WAV's length is the `duration` of the details."""
    details = audio.details()
    length_matches_duration(parses_as_wav(audio.wav()), duration_is_iso8601(details), profile)


@pytest.mark.requirement("WAV-SAME-SOUND")
def test_file_is_same_sound(audio: AudioUnderTest, profile: Profile,
                            record_property: Callable[[str, object], None]) -> None:
    """Listening, automated: the WAV correlates with the suite's own decode of the fixture it was made from."""
    media = audio.media()
    if media is None:
        disabled("no fixture `media` named for this audio in [read_only]")
    reading = is_same_sound(audio.wav(), media.read(), lossless=media.lossless, profile=profile)
    audio.listening.reading = reading
    record_property("correlation", f"{reading.correlation:.4f}")
