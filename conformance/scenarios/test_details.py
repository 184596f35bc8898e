"""Validation step 1 of the guide: the audio's details, and every field of the audio as the target shows it.

The same checks run over every audio under test (``scenarios/_audio.py``): each corpus row the profile accepts,
as uploaded by the suite (the details must equal what create answered), and each audio named in ``[read_only]``.
"""

from __future__ import annotations

import pytest

from conformance.checks.audio import duration_is_iso8601, has_every_field, timestamps_are_consistent
from conformance.profile import Profile
from conformance.scenarios._audio import AudioUnderTest

pytestmark = pytest.mark.rows("audio", "audios_under_test", indirect=True)


@pytest.mark.requirement("AUD-DETAILS-200")
def test_details_answer_the_audio(audio: AudioUnderTest) -> None:
    """`GET .../audios/{audio}` answers 200 with that audio (for an upload: the same audio create answered)."""
    audio.read_details()


@pytest.mark.requirement("AUD-SCHEMA-FIELDS")
def test_audio_has_every_field(audio: AudioUnderTest) -> None:
    """The audio, as the target first shows it, has every documented field with its type."""
    has_every_field(audio.answer())


@pytest.mark.requirement("AUD-DURATION-FORMAT")
def test_duration_is_iso8601(audio: AudioUnderTest) -> None:
    """`duration` is an ISO-8601 duration."""
    duration_is_iso8601(audio.details())


@pytest.mark.requirement("AUD-TIMESTAMPS")
def test_timestamps_are_consistent(audio: AudioUnderTest, profile: Profile) -> None:
    """`createdAt`/`uploadedAt` are zoned RFC 3339 and in order: in create's answer and after processing (an
    upload), or in the details (`uploadedAt` once the audio is available)."""
    for view, uploaded in audio.timestamped():
        timestamps_are_consistent(view, profile, uploaded=uploaded)
