"""Checks on the life of an audio after create: update (alias), delete and raw upload.

The answer to a write proves little: a target may echo the new alias and never store it, or answer 204 to a
delete that kept everything. So each rule has a read-back check that compares what the target serves afterwards
with what the scenario knows must be there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from conformance.checks import check, fail
from conformance.checks.audio import AUDIO_FIELDS, CREATED
from conformance.checks.http import (
    JSON_MEDIA_TYPES,
    body_excerpt,
    expect_status,
    json_body,
    media_type,
    statuses_text,
)
from conformance.checks.listing import page_items
from conformance.profile import Profile

AWAITING_FILE = "avaitingFile"  # sic: the spelling of every version of the public docs
DELETE_SUCCESS = (200, 204)  # undocumented capability: a plain success, with or without a body


def _audio_object(response: httpx.Response, status: int, what: str) -> dict[str, Any]:
    body = json_body(response)
    if response.status_code != status or media_type(response) not in JSON_MEDIA_TYPES or not isinstance(body, dict):
        fail(f"{what} did not answer {status} with the audio",
             received=f"{response.status_code} {media_type(response) or '(no type)'} {body_excerpt(response)}",
             expected=f"{status} application/json audio")
    return body


# --- update ----------------------------------------------------------------------------------------------
@check("PATCH-ALIAS")
def patch_answers_alias(response: httpx.Response, expected: str | None) -> dict[str, Any]:
    """PATCH answers 200 with the audio, whose alias is exactly the one sent (byte for byte, no normalisation)."""
    audio = _audio_object(response, 200, "PATCH of the alias")
    if audio.get("alias") != expected:
        fail("the answer does not carry the alias sent", received=repr(audio.get("alias")),
             expected=repr(expected))
    return audio


@check("PATCH-STORED")
def alias_was_stored(details: httpx.Response, listed: Sequence[dict[str, Any]], handle: str,
                     expected: str | None) -> None:
    """After a PATCH, the details and the list both serve the new alias (it was stored, not only echoed)."""
    audio = _audio_object(details, 200, "details after the PATCH")
    if audio.get("alias") != expected:
        fail("the details do not show the patched alias", received=repr(audio.get("alias")),
             expected=repr(expected))
    found = [item for item in listed if item.get("handle") == handle]
    if len(found) != 1 or found[0].get("alias") != expected:
        fail("the list does not show the patched alias",
             received=repr([item.get("alias") for item in found]) if found else "the audio is not listed",
             expected=repr(expected))


@check("PATCH-ALIAS-INVALID")
def invalid_alias_refused(response: httpx.Response, profile: Profile, what: str) -> None:
    """An alias outside the documented 1–100 characters (or not a string) is refused with the profile's status."""
    expect_status(response, profile.invalid_request_statuses,
                  title=f"PATCH with {what} was not refused")


@check("PATCH-ALIAS-INVALID")
def alias_unchanged(details: httpx.Response, before: str | None, what: str) -> None:
    """A refused PATCH left the alias as it was."""
    audio = _audio_object(details, 200, "details after a refused PATCH")
    if audio.get("alias") != before:
        fail(f"the refused PATCH with {what} changed the alias",
             received=repr(audio.get("alias")), expected=repr(before))


@check("PATCH-IMMUTABLE")
def only_alias_changed(before: dict[str, Any], after: dict[str, Any], what: str) -> None:
    """Every field but `alias` is what it was before the update (handle, id, state, media fields, timestamps)."""
    for name in AUDIO_FIELDS:
        if name != "alias" and after.get(name) != before.get(name):
            fail(f"{what} changed `{name}`", received=repr(after.get(name)),
                 expected=repr(before.get(name)))


@check("PATCH-IMMUTABLE")
def client_handle_handled(response: httpx.Response, profile: Profile, original: str) -> None:
    """A `handle` in a PATCH body is ignored (200, the handle unchanged) or refused, as the profile says."""
    if profile.client_handle == "reject":
        if response.status_code not in profile.invalid_request_statuses:
            fail("a PATCH with a `handle` was not refused",
                 received=f"{response.status_code} {body_excerpt(response)}",
                 expected=f"{statuses_text(profile.invalid_request_statuses)} (profile client_handle = reject)")
        return
    audio = _audio_object(response, 200, "a PATCH with a `handle` (profile: ignored)")
    if audio.get("handle") != original:
        fail("a PATCH changed the audio's handle", received=repr(audio.get("handle")),
             expected=f"{original!r} (profile client_handle = ignore)")


# --- delete ----------------------------------------------------------------------------------------------
@check("DELETE-GONE")
def delete_succeeded(response: httpx.Response) -> None:
    """DELETE of an existing audio answers success."""
    expect_status(response, DELETE_SUCCESS, title="DELETE of an existing audio did not succeed")


@check("DELETE-GONE")
def gone(response: httpx.Response, profile: Profile, what: str) -> None:
    """After a DELETE, the audio's details, file, and a second DELETE answer the profile's not-found status."""
    expect_status(response, profile.deleted_statuses, title=f"{what} after DELETE still finds the audio")


@check("DELETE-GONE")
def not_listed(items: Sequence[dict[str, Any]], handle: str) -> None:
    """A deleted audio has left the list."""
    if any(item.get("handle") == handle for item in items):
        fail("the deleted audio is still listed", received=f"{handle!r} in the list",
             expected="not listed")


@check("DELETE-GONE")
def untouched(details: httpx.Response, file: httpx.Response, before: dict[str, Any]) -> None:
    """Another audio of the space is served exactly as before a DELETE of its neighbour, its file included."""
    audio = _audio_object(details, 200, "details of another audio after a DELETE")
    for name in AUDIO_FIELDS:
        if audio.get(name) != before.get(name):
            fail(f"deleting one audio changed another one's `{name}`",
                 received=repr(audio.get(name)), expected=repr(before.get(name)))
    if file.status_code != 200 or not file.content:
        fail("deleting one audio removed another one's file",
             received=f"{file.status_code} {body_excerpt(file)}", expected="200 with its WAV")


@check("DELETE-GONE")
def list_after_delete(response: httpx.Response, what: str) -> list[dict[str, Any]]:
    """The items of the list read after a DELETE (a bare JSON array of audios)."""
    return page_items(response, what)


@check("PATCH-STORED")
def list_after_patch(response: httpx.Response, what: str) -> list[dict[str, Any]]:
    """The items of the list read after a PATCH (a bare JSON array of audios)."""
    return page_items(response, what)


@check("RAW-CREATE-AWAITING")
def fileless_create_step_created(response: httpx.Response, audio: object, what: str) -> dict[str, Any]:
    """The file-less create step produced an audio: 201 with a JSON object that has a handle (the scenarios of
    the raw upload and of access to an audio awaiting its file start from it)."""
    if response.status_code not in CREATED or not isinstance(audio, dict) or not isinstance(
            audio.get("handle"), str) or not audio["handle"]:
        fail(f"{what} did not create an audio", received=f"{response.status_code} {body_excerpt(response)}",
             expected="201")
    return audio


@check("PATCH-IMMUTABLE")
def readable_after_patch(response: httpx.Response, what: str) -> dict[str, Any]:
    """After a PATCH the audio still answers at its own handle."""
    audio = json_body(response)
    if response.status_code != 200 or not isinstance(audio, dict):
        fail(f"the audio cannot be read at its handle after {what}",
             received=f"{response.status_code} {body_excerpt(response)}", expected="200 with the audio")
    return audio


@check("PATCH-IMMUTABLE")
def not_under_asked_handle(response: httpx.Response) -> None:
    """Nothing answers under the handle a PATCH body asked for (a handle is not the client's to change)."""
    if response.status_code == 200:
        fail("the audio answers under the handle sent in the PATCH", received=f"200 {body_excerpt(response)}",
             expected="no audio with that handle")


# --- raw upload ------------------------------------------------------------------------------------------
@check("RAW-CREATE-AWAITING")
def awaiting_file(response: httpx.Response) -> dict[str, Any]:
    """Create without `file` answers 201 with an audio `avaitingFile` (sic) that has no `uploadedAt`."""
    audio = _audio_object(response, 201, "create without a file")
    if audio.get("state") != AWAITING_FILE or audio.get("uploadedAt") is not None:
        fail("an audio created without a file is not awaiting it",
             received=f"state {audio.get('state')!r}, uploadedAt {audio.get('uploadedAt')!r}",
             expected=f"state {AWAITING_FILE!r}, uploadedAt null")
    return audio


@check("RAW-CREATE-AWAITING")
def file_not_served_yet(response: httpx.Response, profile: Profile) -> None:
    """`GET .../file` of an audio awaiting its file answers the profile's status (there is nothing to serve)."""
    expect_status(response, profile.file_before_upload_statuses,
                  title="the file of an audio awaiting it was answered")


@check("RAW-UPLOAD")
def raw_upload_accepted(response: httpx.Response, created: dict[str, Any], profile: Profile) -> dict[str, Any]:
    """The octet-stream upload answers 200 with the same audio (id, handle), `available` on a synchronous target."""
    audio = _audio_object(response, 200, "the raw upload")
    for name in ("id", "handle"):
        if audio.get(name) != created.get(name):
            fail(f"the raw upload answered another audio's `{name}`", received=repr(audio.get(name)),
                 expected=repr(created.get(name)))
    if profile.processing == "sync" and audio.get("state") != "available":
        fail("a synchronous target answered the raw upload before the audio was available",
             received=f"state {audio.get('state')!r}", expected="available (profile processing = sync)")
    return audio


@check("RAW-UPLOAD-ONCE")
def second_upload_refused(response: httpx.Response, profile: Profile) -> None:
    """An audio that already has its file refuses another one with the profile's conflict status."""
    expect_status(response, profile.conflict_statuses,
                  title="a second file for the same audio was not refused")


@check("RAW-UPLOAD-ONCE")
def same_after_refusal(details: httpx.Response, before: dict[str, Any]) -> None:
    """The refused second upload changed nothing: the audio's media fields are those of the first file."""
    audio = _audio_object(details, 200, "details after a refused second upload")
    for name in ("state", "duration", "sampleRate", "uploadedAt"):
        if audio.get(name) != before.get(name):
            fail(f"the refused second upload changed `{name}`", received=repr(audio.get(name)),
                 expected=repr(before.get(name)))


@check("RAW-UPLOAD-CONTENT-TYPE")
def wrong_content_type_refused(response: httpx.Response, details: httpx.Response, content_type: str) -> None:
    """A raw upload sent as another media type is refused with 415, and the audio still awaits its file."""
    if response.status_code != 415:
        fail(f"a raw upload as {content_type} was not refused as unsupported",
             received=f"{response.status_code} {body_excerpt(response)}", expected="415")
    audio = _audio_object(details, 200, "details after the refused upload")
    if audio.get("state") != AWAITING_FILE:
        fail("the refused upload changed the audio's state",
             received=repr(audio.get("state")), expected=repr(AWAITING_FILE))
