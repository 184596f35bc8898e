"""Audios that already exist on the target (``[read_only] audios``): the checks of a ``--read-only`` run.

Production smoke checks must not write, so these tests only read: the details of each named audio, and that
nobody without the right credentials can read it. Its stored WAV is judged by the WAV scenarios
(``scenarios/test_file.py``), which run over named audios as over uploaded ones (``scenarios/_audio.py``; a fixture
id in ``media`` adds the same-sound check). They also run in a normal certification whenever audios are named
(the embedded reference server names one), so a read-only run never uses a check that the kill matrix has not
seen. The client refuses to send a write during ``--read-only`` (a suite bug would be stopped before the request
leaves).
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from conformance.checks.access import (
    bad_token_refused,
    foreign_space_denied,
    other_space_audio_not_found,
    unauthenticated_refused,
)
from conformance.client import ApiClient
from conformance.config import Space
from conformance.http_stack import TargetError
from conformance.profile import Profile
from conformance.pytest_fixtures import ClientFactory
from conformance.scenarios._audio import Existing

pytestmark = [pytest.mark.readonly, pytest.mark.rows("existing", "existing_audios", indirect=True)]
UNKNOWN_TOKEN = "Bearer 0123456789abcdefghijABCDEFGHIJ0123456789"










def _values(existing: Existing, client_for: ClientFactory) -> list[str]:
    """What a refusal must not show: the audio's handle, alias and id (as the owner reads them)."""
    try:
        details = existing.read_details(client_for("primary"))
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
