"""Updating an audio: the alias is set, changed and cleared, stored (read back), and nothing else ever changes.

Each case patches its own fresh audio, so that cases never depend on each other's order. The answer to the PATCH,
the details read afterwards and the list (searched by the audio's handle) are three separate witnesses: a target
that echoes the alias without storing it passes the first and fails the other two.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from conformance.checks.http import json_body
from conformance.checks.lifecycle import (
    alias_unchanged,
    alias_was_stored,
    client_handle_handled,
    invalid_alias_refused,
    list_after_patch,
    not_under_asked_handle,
    only_alias_changed,
    patch_answers_alias,
    readable_after_patch,
)
from conformance.config import Space
from conformance.profile import Profile
from conformance.pytest_fixtures import ClientFactory
from conformance.resources import Resources
from conformance.scenarios._lifecycle import create

MAX_ALIAS = 100  # documented: 1–100 characters
# NFD "é" (e + combining accent) would change under normalisation; the emoji is outside the BMP (a surrogate pair
# in UTF-16); the rest covers accents, CJK and Greek.
UNICODE_ALIAS = "Grabación 🎙️ 日本語 cafe\u0301 Ωμέγα"


@dataclass(frozen=True, slots=True)
class PatchCase:
    """An alias change: the alias the audio is created with, and the value sent in the PATCH."""

    id: str
    initial: str | None
    new: str | None


CASES = [
    PatchCase("set", None, "patched"),
    PatchCase("change", "before", "after"),
    PatchCase("clear", "to-be-cleared", None),
    PatchCase("one-char", "before", "x"),
    PatchCase("hundred-chars", None, "a" * (MAX_ALIAS - 10) + "0123456789"),
    PatchCase("unicode", "before", UNICODE_ALIAS),
]
# (id, value sent): breaks the documented 1–100 characters, or is not a string
INVALID = [("empty", ""), ("hundred-and-one-chars", "b" * (MAX_ALIAS + 1)), ("number", 42), ("object", {"a": 1})]


@dataclass(slots=True)
class Patched:
    """One case applied: the audio before, the PATCH answer, then the details and the list read afterwards."""

    before: dict[str, Any]
    response: httpx.Response
    details: httpx.Response
    listed: list[dict[str, Any]]


def _alias(case_alias: str | None, run_id: str) -> str | None:
    """Run-unique initial aliases (other runs share the space); the new values are sent exactly as the case says."""
    return None if case_alias is None else f"{run_id}-{case_alias}"


@pytest.fixture(scope="module")
def patched(client_for: ClientFactory, space_for: Callable[[str], Space], profile: Profile, resources: Resources,
            run_id: str) -> Callable[[PatchCase], Patched]:
    """Each case applied once per run to its own audio; its witnesses are shared by the checks."""
    cache: dict[str, Patched] = {}

    def get(case: PatchCase) -> Patched:
        if case.id not in cache:
            client, space = client_for("primary"), space_for("primary")
            before = create(client, space, _alias(case.initial, run_id), profile=profile, resources=resources)
            response = client.patch_audio(space, before["handle"], {"alias": case.new})
            after = client.get_audio(space, before["handle"])
            listed = list_after_patch(client.list_audios(space, search=before["handle"]), "list after the PATCH")
            cache[case.id] = Patched(before, response, after, listed)
        return cache[case.id]

    return get


by_case = pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)


@pytest.mark.requirement("PATCH-ALIAS")
@by_case
def test_patch_answers_the_new_alias(case: PatchCase, patched: Callable[[PatchCase], Patched]) -> None:
    """PATCH answers 200 with the audio carrying exactly the alias sent (null clears it)."""
    patch_answers_alias(patched(case).response, case.new)


@pytest.mark.requirement("PATCH-STORED")
@by_case
def test_patch_is_stored(case: PatchCase, patched: Callable[[PatchCase], Patched]) -> None:
    """The details and the list read after the PATCH serve the new alias."""
    result = patched(case)
    alias_was_stored(result.details, result.listed, result.before["handle"], case.new)


@pytest.mark.requirement("PATCH-IMMUTABLE")
@by_case
def test_patch_changes_only_the_alias(case: PatchCase, patched: Callable[[PatchCase], Patched]) -> None:
    """Handle, id, state, media fields and timestamps are what they were before the PATCH."""
    result = patched(case)
    after = readable_after_patch(result.details, "a PATCH")
    only_alias_changed(result.before, after, f"a PATCH of the alias ({case.id})")


@pytest.mark.requirement("PATCH-ALIAS-INVALID")
@pytest.mark.parametrize(("name", "value"), INVALID, ids=[name for name, _ in INVALID])
def test_invalid_alias_refused(name: str, value: object, client_for: ClientFactory,
                               space_for: Callable[[str], Space], profile: Profile, resources: Resources,
                               run_id: str) -> None:
    """An alias of 0 or 101 characters, or not a string, is refused with the profile's status; the alias stays."""
    client, space = client_for("primary"), space_for("primary")
    alias = f"{run_id}-kept"
    audio = create(client, space, alias, profile=profile, resources=resources)
    invalid_alias_refused(client.patch_audio(space, audio["handle"], {"alias": value}), profile, name)
    alias_unchanged(client.get_audio(space, audio["handle"]), alias, name)


@pytest.mark.requirement("PATCH-IMMUTABLE")
def test_handle_in_body_is_not_applied(client_for: ClientFactory, space_for: Callable[[str], Space],
                                       profile: Profile, resources: Resources, run_id: str) -> None:
    """A `handle` in the PATCH body is ignored or refused (profile `client_handle`); either way the audio keeps its
    handle and every other field, and nothing answers under the handle that was asked for."""
    client, space = client_for("primary"), space_for("primary")
    before = create(client, space, f"{run_id}-renamed", profile=profile, resources=resources)
    wanted = f"renamed-{run_id}"
    response = client.patch_audio(space, before["handle"], {"handle": wanted, "alias": f"{run_id}-renamed-2"})
    if response.status_code < 300 and isinstance(json_body(response), dict):
        new_handle = json_body(response).get("handle")
        if isinstance(new_handle, str) and new_handle != before["handle"]:
            resources.record("primary", space, new_handle)  # so the sweep finds it under its new name
    client_handle_handled(response, profile, before["handle"])
    only_alias_changed(before, readable_after_patch(client.get_audio(space, before["handle"]), "a PATCH with a handle"),
                       "a PATCH with a handle")
    not_under_asked_handle(client.get_audio(space, wanted))
