"""Deleting an audio (capability `delete`): success, then every way of reaching it says it is gone.

One audio is deleted once per run, beside a neighbour created at the same time; afterwards its details, its file,
the list and a second DELETE are each a witness, and the neighbour must be served exactly as before. A target that
answers 204 and keeps the audio fails every witness. Without the capability the checks are `unsupported`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from conformance.checks.lifecycle import delete_succeeded, gone, list_after_delete, not_listed, untouched
from conformance.config import Space
from conformance.profile import Profile
from conformance.pytest_fixtures import ClientFactory
from conformance.resources import Resources
from conformance.scenarios._lifecycle import create, require_capability


@dataclass(frozen=True, slots=True)
class Deleted:
    """The deleted audio and its neighbour as they were, the DELETE answer and the witnesses read afterwards."""

    victim: dict[str, Any]
    neighbour: dict[str, Any]
    response: httpx.Response
    details: httpx.Response
    file: httpx.Response
    listed: httpx.Response
    second: httpx.Response
    neighbour_details: httpx.Response
    neighbour_file: httpx.Response


@pytest.fixture(scope="module")
def deleted(client_for: ClientFactory, space_for: Callable[[str], Space], profile: Profile, resources: Resources,
            run_id: str) -> Deleted:
    """Two audios created, the first deleted, then every witness read once."""
    require_capability(profile, "delete")
    client, space = client_for("primary"), space_for("primary")
    victim = create(client, space, f"{run_id}-deleted", profile=profile, resources=resources)
    neighbour = create(client, space, f"{run_id}-deleted-neighbour", profile=profile, resources=resources)
    handle = victim["handle"]
    response = client.delete_audio(space, handle)
    if response.status_code < 300:
        resources.forget(space, handle)
    listed = client.list_audios(space, search=f"{run_id}-deleted", page_size=50)
    return Deleted(
        victim=victim, neighbour=neighbour, response=response, details=client.get_audio(space, handle),
        file=client.get_audio_file(space, handle), listed=listed, second=client.delete_audio(space, handle),
        neighbour_details=client.get_audio(space, neighbour["handle"]),
        neighbour_file=client.get_audio_file(space, neighbour["handle"]),
    )


@pytest.mark.requirement("DELETE-GONE")
def test_delete_succeeds(deleted: Deleted) -> None:
    """DELETE of an existing audio answers success (204, or 200)."""
    delete_succeeded(deleted.response)


WITNESSES = {"details": lambda d: d.details, "file": lambda d: d.file, "second-delete": lambda d: d.second}


@pytest.mark.requirement("DELETE-GONE")
@pytest.mark.parametrize("witness", list(WITNESSES))
def test_deleted_audio_is_not_found(witness: str, deleted: Deleted, profile: Profile) -> None:
    """Afterwards its details, its file and a second DELETE answer the profile's not-found status."""
    delete_succeeded(deleted.response)
    gone(WITNESSES[witness](deleted), profile, witness)


@pytest.mark.requirement("DELETE-GONE")
def test_deleted_audio_leaves_the_list(deleted: Deleted) -> None:
    """The list no longer holds it (its neighbour, with the same search term, still is)."""
    delete_succeeded(deleted.response)
    not_listed(list_after_delete(deleted.listed, "list after the DELETE"), deleted.victim["handle"])


@pytest.mark.requirement("DELETE-GONE")
def test_other_audios_untouched(deleted: Deleted) -> None:
    """The neighbour's details are exactly as before and its file is still served."""
    untouched(deleted.neighbour_details, deleted.neighbour_file, deleted.neighbour)
