"""Validation step 2 of the guide: retrieve the stored binary and check it is a WAV of the same sound."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conformance.checks.audio import duration_is_iso8601
from conformance.checks.wav import (
    file_answered_in_time,
    file_answers_wav,
    is_pcm16_mono_wav,
    is_same_sound,
    length_matches_duration,
    parses_as_wav,
    rate_matches_details,
)
from conformance.http_stack import TargetDown, TargetError
from conformance.manifest import MediaCase
from conformance.profile import Profile
from conformance.pytest_fixtures import ClientFactory
from conformance.scenarios._support import (
    accepted_rows,
    require_settled,
)
from conformance.workflow import Upload, fetch_file

Uploaded = Callable[..., Upload]
by_media = accepted_rows


def _wav(uploaded: Uploaded, media: MediaCase, client_for: ClientFactory) -> tuple[Upload, bytes]:
    upload = uploaded(media)
    require_settled(upload)
    response, error = None, None
    try:
        response = fetch_file(client_for("primary"), upload)
    except TargetDown:
        raise  # not this endpoint: the whole target stopped answering (undecided)
    except TargetError as exc:
        error = exc
    file_answered_in_time(error)
    assert response is not None
    return upload, file_answers_wav(response)


@pytest.mark.requirement("WAV-GET-200")
@by_media
def test_file_answers_wav(uploaded: Uploaded, media: MediaCase, client_for: ClientFactory) -> None:
    """The file endpoint answers 200 with a WAV content type."""
    _wav(uploaded, media, client_for)


@pytest.mark.requirement("WAV-FORMAT")
@by_media
def test_file_is_pcm16_mono(uploaded: Uploaded, media: MediaCase, client_for: ClientFactory) -> None:
    """The WAV is RIFF/WAVE PCM 16-bit mono with consistent sizes."""
    is_pcm16_mono_wav(_wav(uploaded, media, client_for)[1])


@pytest.mark.requirement("WAV-RATE")
@by_media
def test_file_rate_matches_details(uploaded: Uploaded, media: MediaCase, client_for: ClientFactory) -> None:
    """The WAV's rate is the `sampleRate` of the details."""
    upload, data = _wav(uploaded, media, client_for)
    rate_matches_details(parses_as_wav(data), require_settled(upload))


@pytest.mark.requirement("WAV-DURATION")
@by_media
def test_file_length_matches_duration(uploaded: Uploaded, media: MediaCase, client_for: ClientFactory,
                                      profile: Profile) -> None:
    """The WAV's length is the `duration` of the details."""
    upload, data = _wav(uploaded, media, client_for)
    length_matches_duration(parses_as_wav(data), duration_is_iso8601(require_settled(upload)), profile)


@pytest.mark.requirement("WAV-SAME-SOUND")
@by_media
def test_file_is_same_sound(uploaded: Uploaded, media: MediaCase, client_for: ClientFactory, profile: Profile,
                            record_property: Callable[[str, object], None]) -> None:
    """Listening, automated: the WAV correlates with the suite's own decode of the uploaded fixture."""
    _, data = _wav(uploaded, media, client_for)
    correlation = is_same_sound(data, media.read(), lossless=media.lossless, profile=profile)
    record_property("correlation", f"{correlation:.4f}")
