"""Audios that already exist on the target (``[read_only] audios``): the checks of a ``--read-only`` run.

Production smoke checks must not write, so these tests only read: the details and the stored WAV of each named
audio, and that nobody without the right credentials can read them. They also run in a normal certification
whenever audios are named (the embedded reference server names one), so a read-only run never uses a check that
the kill matrix has not seen. The client refuses to send a write during ``--read-only`` (a suite bug would be
stopped before the request leaves), and a fixture id in ``media`` adds the same-sound check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from _pytest.mark.structures import ParameterSet

from conformance import rows
from conformance.checks.access import (
    bad_token_refused,
    foreign_space_denied,
    other_space_audio_not_found,
    unauthenticated_refused,
)
from conformance.checks.audio import details_of, duration_is_iso8601, has_every_field, timestamps_are_consistent
from conformance.checks.wav import (
    file_answered_in_time,
    file_answers_wav,
    is_pcm16_mono_wav,
    is_same_sound,
    length_matches_duration,
    parses_as_wav,
    rate_matches_details,
)
from conformance.client import ApiClient
from conformance.config import ExistingAudio, Space
from conformance.http_stack import TargetDown, TargetError
from conformance.manifest import ManifestError, MediaCase, load_manifest
from conformance.outcomes import disabled
from conformance.plugin import STATE_KEY
from conformance.profile import Profile
from conformance.pytest_fixtures import ClientFactory

pytestmark = [pytest.mark.readonly, pytest.mark.rows("existing", "existing_audios", indirect=True)]
UNKNOWN_TOKEN = "Bearer 0123456789abcdefghijABCDEFGHIJ0123456789"


@rows.source("existing_audios")
def existing_audios(config: pytest.Config) -> list[ParameterSet]:
    """One row per named audio (ids ``audio0``, ``audio1``…: stable across runs, whatever the handles); a single
    ``none-named`` row, skipped as disabled, when the configuration names none."""
    state = config.stash.get(STATE_KEY, None)
    audios = list(state.settings.existing_audios) if state is not None else []
    if not audios:
        return [pytest.param(None, id="none-named")]
    return [pytest.param(audio, id=f"audio{i}") for i, audio in enumerate(audios)]


@dataclass(slots=True)
class Existing:
    """A named audio and what reading it gave, fetched once per run (every check of it shares the answers)."""

    audio: ExistingAudio
    space: Space
    details: httpx.Response | None = None
    file: httpx.Response | None = None
    errors: dict[str, TargetError] = field(default_factory=dict)

    def fetch(self, what: str, call: Callable[[], httpx.Response]) -> httpx.Response:
        """The cached answer, or make the call; a transport failure is remembered and raised again."""
        if what in self.errors:
            raise self.errors[what]
        if getattr(self, what) is None:
            try:
                setattr(self, what, call())
            except TargetError as exc:
                self.errors[what] = exc
                raise
        response = getattr(self, what)
        assert response is not None
        return response


@pytest.fixture(scope="session")
def existing_reads() -> dict[ExistingAudio, Existing]:
    """Each named audio with what reading it gave, for the run (every check of it shares the answers)."""
    return {}


@pytest.fixture
def existing(request: pytest.FixtureRequest, space_for: Callable[[str], Space],
             existing_reads: dict[ExistingAudio, Existing]) -> Existing:
    """The named audio (skips as disabled when the configuration names none)."""
    audio: ExistingAudio | None = request.param
    if audio is None:
        disabled("no [read_only] audios in the configuration")
    if audio not in existing_reads:
        existing_reads[audio] = Existing(audio=audio, space=space_for(audio.space))
    return existing_reads[audio]


def _details(existing: Existing, client: ApiClient) -> dict[str, Any]:
    """The audio's details (200 and a JSON object of this handle), or the test fails by AUD-DETAILS-200."""
    response = existing.fetch("details", lambda: client.get_audio(existing.space, existing.audio.handle))
    return details_of(response, existing.audio.handle)


def _wav(existing: Existing, client: ApiClient) -> bytes:
    response, error = None, None
    try:
        response = existing.fetch("file", lambda: client.get_audio_file(existing.space, existing.audio.handle))
    except TargetDown:
        raise  # not this endpoint: the whole target stopped answering (undecided)
    except TargetError as exc:
        error = exc
    file_answered_in_time(error)
    assert response is not None
    return file_answers_wav(response)


@pytest.mark.requirement("AUD-DETAILS-200")
def test_existing_details(existing: Existing, client_for: ClientFactory) -> None:
    """The named audio's details answer 200 with that audio."""
    _details(existing, client_for("primary"))


@pytest.mark.requirement("AUD-SCHEMA-FIELDS")
def test_existing_fields(existing: Existing, client_for: ClientFactory) -> None:
    """Every documented field, with its type."""
    has_every_field(_details(existing, client_for("primary")))


@pytest.mark.requirement("AUD-DURATION-FORMAT")
def test_existing_duration_format(existing: Existing, client_for: ClientFactory) -> None:
    """`duration` is an ISO-8601 duration."""
    duration_is_iso8601(_details(existing, client_for("primary")))


@pytest.mark.requirement("AUD-TIMESTAMPS")
def test_existing_timestamps(existing: Existing, client_for: ClientFactory, profile: Profile) -> None:
    """`createdAt`/`uploadedAt` are zoned RFC 3339 and in order (`uploadedAt` once the audio is available)."""
    details = _details(existing, client_for("primary"))
    timestamps_are_consistent(details, profile, uploaded=details.get("state") == "available")


@pytest.mark.requirement("WAV-GET-200")
def test_existing_file_answers_wav(existing: Existing, client_for: ClientFactory) -> None:
    """The stored binary answers 200 with a WAV content type."""
    _wav(existing, client_for("primary"))


@pytest.mark.requirement("WAV-FORMAT")
def test_existing_file_is_pcm16_mono(existing: Existing, client_for: ClientFactory) -> None:
    """The stored binary is PCM 16-bit mono with consistent sizes."""
    is_pcm16_mono_wav(_wav(existing, client_for("primary")))


@pytest.mark.requirement("WAV-RATE")
def test_existing_file_rate_matches_details(existing: Existing, client_for: ClientFactory) -> None:
    """The WAV's rate is the `sampleRate` of the details."""
    client = client_for("primary")
    rate_matches_details(parses_as_wav(_wav(existing, client)), _details(existing, client))


@pytest.mark.requirement("WAV-DURATION")
def test_existing_file_length_matches_duration(existing: Existing, client_for: ClientFactory,
                                               profile: Profile) -> None:
    """The WAV's length is the `duration` of the details."""
    client = client_for("primary")
    details = _details(existing, client)
    length_matches_duration(parses_as_wav(_wav(existing, client)), duration_is_iso8601(details), profile)


@pytest.mark.requirement("WAV-SAME-SOUND")
def test_existing_file_is_same_sound(existing: Existing, client_for: ClientFactory, profile: Profile) -> None:
    """With ``media`` named, the WAV is the sound of that fixture."""
    if existing.audio.media is None:
        disabled("no fixture `media` named for this audio in [read_only]")
    media = _fixture(existing.audio.media)
    is_same_sound(_wav(existing, client_for("primary")), media.read(), lossless=media.lossless, profile=profile)


def _fixture(media_id: str) -> MediaCase:
    try:
        rows = {case.id: case for case in load_manifest()}
    except ManifestError as exc:
        pytest.fail(str(exc), pytrace=False)
    if media_id not in rows:
        pytest.fail(f"[read_only] names media {media_id!r}, which is not a fixture id", pytrace=False)
    return rows[media_id]


def _values(existing: Existing, client_for: ClientFactory) -> list[str]:
    """What a refusal must not show: the audio's handle, alias and id (as the owner reads them)."""
    try:
        details = _details(existing, client_for("primary"))
    except (TargetError, AssertionError):
        details = {}
    return [existing.audio.handle, *(str(details.get(k)) for k in ("alias", "id") if details.get(k))]


def _read(client: ApiClient, existing: Existing, operation: str) -> httpx.Response:
    if operation == "details":
        return client.get_audio(existing.space, existing.audio.handle)
    return client.get_audio_file(existing.space, existing.audio.handle)


@pytest.mark.requirement("AUTH-MISSING-401")
@pytest.mark.parametrize("operation", ["details", "file"])
def test_existing_needs_credentials(existing: Existing, operation: str, client_for: ClientFactory,
                                    profile: Profile) -> None:
    """Without an ``Authorization`` header the named audio is not served."""
    anonymous = client_for.raw()
    try:
        unauthenticated_refused(_read(anonymous, existing, operation), profile, f"{operation} without credentials")
    finally:
        anonymous.close()


@pytest.mark.requirement("AUTH-INVALID-401")
@pytest.mark.parametrize("operation", ["details", "file"])
def test_existing_refuses_unknown_token(existing: Existing, operation: str, client_for: ClientFactory,
                                        profile: Profile) -> None:
    """With an unknown bearer token the named audio is not served."""
    client = client_for.raw(authorization=UNKNOWN_TOKEN)
    try:
        bad_token_refused(_read(client, existing, operation), profile, f"{operation} with an unknown token")
    finally:
        client.close()


@pytest.mark.requirement("ACCESS-FOREIGN-DENIED")
@pytest.mark.parametrize("operation", ["details", "file"])
def test_existing_denied_to_outsider(existing: Existing, operation: str, client_for: ClientFactory,
                                     profile: Profile) -> None:
    """The outsider (no user or organization of the space) is denied and learns nothing of the audio."""
    response = _read(client_for("outsider"), existing, operation)
    foreign_space_denied(response, profile.denied_statuses, f"outsider reads {operation} of an existing audio",
                         _values(existing, client_for))


@pytest.mark.requirement("ACCESS-CROSS-SPACE")
def test_existing_not_found_under_another_space(existing: Existing, client_for: ClientFactory,
                                                space_for: Callable[[str], Space], profile: Profile) -> None:
    """The handle addressed under another space the primary actor may use is not found there, nor leaked."""
    other = next((name for name in ("org", "primary") if name != existing.audio.space), None)
    assert other is not None
    elsewhere = Existing(audio=existing.audio, space=space_for(other))
    response = client_for("primary").get_audio(elsewhere.space, existing.audio.handle)
    other_space_audio_not_found(response, (*profile.denied_statuses, 404),
                                f"details of {existing.audio.handle} under {elsewhere.space.label}",
                                _values(existing, client_for))
