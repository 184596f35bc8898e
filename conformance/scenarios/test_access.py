"""Prerequisite 3 of the guide: you can only operate in spaces of your user or of one of your organizations.

The primary actor tries every workflow operation in the foreign spaces (another user's, and an organization's
it is not a member of), where the outsider keeps a real audio. Each refusal must use a denied status from the
profile, leak nothing of the space's audios, and change nothing (the outsider re-reads its space).
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from conformance.checks import fail
from conformance.checks.access import foreign_space_denied, other_space_audio_not_found
from conformance.checks.audio import details_equal_created
from conformance.checks.http import body_excerpt
from conformance.config import Space
from conformance.manifest import MediaCase
from conformance.profile import Profile
from conformance.pytest_fixtures import ClientFactory
from conformance.resources import Resources
from conformance.scenarios._support import accepted_media, require_created
from conformance.workflow import Upload, attempt, audios_with_alias, encode_file

FOREIGN_SPACES = ("foreign", "foreign_org")
OPERATIONS = ("list", "create", "details", "file")
Uploaded = Callable[..., Upload]


def _media() -> MediaCase:
    return accepted_media()[0]


@pytest.mark.requirement("ACCESS-FOREIGN-DENIED")
@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("space_name", FOREIGN_SPACES)
def test_foreign_space_refused(space_name: str, operation: str, uploaded: Uploaded, client_for: ClientFactory,
                               space_for: Callable[[str], Space], profile: Profile, resources: Resources,
                               run_id: str) -> None:
    """The primary actor cannot list, create in, or read audios of a space it has no access to."""
    space = space_for(space_name)
    media = _media()
    theirs = require_created(uploaded(media, actor="outsider", space=space_name))
    leakable = [theirs["handle"], theirs.get("alias") or "", theirs["id"]]
    primary = client_for("primary")
    what = f"{operation} in {space.label} by the primary actor"
    response: httpx.Response
    if operation == "list":
        response = primary.list_audios(space)
    elif operation == "details":
        response = primary.get_audio(space, theirs["handle"])
    elif operation == "file":
        response = primary.get_audio_file(space, theirs["handle"])
    else:
        alias = f"{run_id}-intrusion"
        response = attempt(primary, "primary", space, {"file": encode_file(media.read()), "alias": alias},
                           resources=resources)
        foreign_space_denied(response, profile, what, leakable)
        if audios_with_alias(client_for("outsider"), space, alias):
            fail("ACCESS-FOREIGN-DENIED", f"{what}: the refused upload was stored anyway",
                 received=f"an audio with alias {alias!r} in {space.label}", expected="nothing created")
        return
    foreign_space_denied(response, profile, what, leakable)


@pytest.mark.requirement("ACCESS-CROSS-SPACE")
def test_audio_not_reachable_under_another_space(uploaded: Uploaded, client_for: ClientFactory,
                                                 space_for: Callable[[str], Space], profile: Profile) -> None:
    """An audio of the primary space, addressed under the org space's path (both usable by the caller), is not
    found there: handles are looked up inside the addressed space only."""
    org = space_for("org")
    mine = require_created(uploaded(_media()))
    primary = client_for("primary")
    for what, response in (("details", primary.get_audio(org, mine["handle"])),
                           ("file", primary.get_audio_file(org, mine["handle"]))):
        other_space_audio_not_found(response, profile, f"{what} of a {space_for('primary').label} audio under "
                                    f"{org.label}", [mine["id"], mine.get("alias") or ""])


@pytest.mark.requirement("ACCESS-ORG-ALLOWED")
def test_org_member_uses_org_space(uploaded: Uploaded, client_for: ClientFactory,
                                   space_for: Callable[[str], Space]) -> None:
    """A member uploads into the organization's space and reads the audio back."""
    org = space_for("org")
    upload = uploaded(_media(), space="org")
    if upload.created is None:
        fail("ACCESS-ORG-ALLOWED", f"a member could not upload into {org.label}",
             received=f"{upload.response.status_code} {body_excerpt(upload.response)}", expected="201 with the audio")
    created = upload.created
    try:
        details_equal_created(client_for("primary").get_audio(org, created["handle"]), created,
                              settled=created.get("state") == "available")
    except AssertionError as exc:
        fail("ACCESS-ORG-ALLOWED", f"a member could not read its audio in {org.label}",
             received=str(exc).splitlines()[0], expected="200 with the audio")
