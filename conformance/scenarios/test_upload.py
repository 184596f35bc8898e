"""Step 2 of the guide: upload the Base64-encoded media as an audio, and check every field of the answer."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conformance.checks.audio import (
    alias_is_stored,
    available_in_create_answer,
    created_with_201,
    duration_is_iso8601,
    duration_matches_media,
    handle_follows_grammar,
    sample_rate_matches_media,
)
from conformance.manifest import MediaCase
from conformance.profile import Profile
from conformance.scenarios._support import (
    accepted_media,
    accepted_rows,
    media_id,
    require_created,
    require_settled,
)
from conformance.workflow import Upload

ACCEPTED = accepted_media()
Uploaded = Callable[..., Upload]
by_media = accepted_rows


@pytest.mark.requirement("AUD-CREATE-201")
@by_media
def test_create_answers_201(uploaded: Uploaded, media: MediaCase) -> None:
    """A valid upload answers 201 with the audio as JSON."""
    created_with_201(uploaded(media).response)




@pytest.mark.requirement("AUD-HANDLE-GRAMMAR")
@by_media
def test_handle_follows_grammar(uploaded: Uploaded, media: MediaCase) -> None:
    """The server-assigned handle is a valid handle."""
    handle_follows_grammar(require_created(uploaded(media)))


@pytest.mark.requirement("AUD-CREATE-ALIAS")
@by_media
def test_alias_is_stored(uploaded: Uploaded, media: MediaCase) -> None:
    """The alias sent with the file comes back unchanged, and stays so in the details."""
    upload = uploaded(media)
    alias_is_stored(require_created(upload), upload.alias)
    alias_is_stored(require_settled(upload), upload.alias)


@pytest.mark.requirement("AUD-CREATE-ALIAS")
@pytest.mark.parametrize("media", ACCEPTED[:1], ids=media_id)
def test_alias_absent_is_null(uploaded: Uploaded, media: MediaCase) -> None:
    """Without an alias (the guide's minimal body: only `file`) the audio's alias is null."""
    alias_is_stored(require_created(uploaded(media, alias=False)), None)


@pytest.mark.requirement("AUD-STATE-AVAILABLE")
@by_media
def test_becomes_available(uploaded: Uploaded, media: MediaCase, profile: Profile) -> None:
    """Processing ends in `available`: in the 201 itself for a synchronous target, else within the timeout."""
    upload = uploaded(media)
    available_in_create_answer(require_created(upload), profile)
    require_settled(upload)




@pytest.mark.requirement("AUD-DURATION-VALUE")
@by_media
def test_duration_matches_media(uploaded: Uploaded, media: MediaCase, profile: Profile) -> None:
    """`duration` is the fixture's true duration (within codec padding)."""
    seconds = duration_is_iso8601(require_settled(uploaded(media)))
    duration_matches_media(seconds, media.duration_s, profile)


@pytest.mark.requirement("AUD-SAMPLERATE-VALUE")
@by_media
def test_sample_rate_matches_media(uploaded: Uploaded, media: MediaCase, profile: Profile) -> None:
    """`sampleRate` is the fixture's rate, capped at the profile's maximum."""
    sample_rate_matches_media(require_settled(uploaded(media)), media.sample_rate, profile)

