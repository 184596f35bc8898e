"""Update, delete and raw-upload checks (checks/lifecycle.py): each with a passing input and failing ones."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from conformance.checks import ConformanceFailure
from conformance.checks.lifecycle import (
    alias_unchanged,
    alias_was_stored,
    awaiting_file,
    client_handle_handled,
    delete_succeeded,
    file_not_served_yet,
    gone,
    invalid_alias_refused,
    not_listed,
    only_alias_changed,
    patch_answers_alias,
    raw_upload_accepted,
    same_after_refusal,
    second_upload_refused,
    untouched,
    wrong_content_type_refused,
)
from conformance.profile import build_profile

PROFILE = build_profile()
REJECTING = build_profile({"client_handle": "reject"})


def audio(**changes: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "id": "0b5f8e3a-2c4d-4e6f-8a1b-9c0d1e2f3a4b", "handle": "h-1", "alias": "old", "state": "available",
        "duration": "PT0.500S", "sampleRate": 16000, "identity": None, "voiceprints": 0, "verifications": 0,
        "createdAt": "2024-05-01T10:00:00.1Z", "uploadedAt": "2024-05-01T10:00:00.2Z",
    }
    value.update(changes)
    return value


def answer(status: int, body: Any = None, *, content_type: str = "application/json",
           content: bytes | None = None) -> httpx.Response:
    data = json.dumps(body).encode() if content is None else content
    return httpx.Response(status, headers={"Content-Type": content_type}, content=data,
                          request=httpx.Request("GET", "http://t/v1/x"))


def failure(function: Any, *args: Any, **kwargs: Any) -> ConformanceFailure:
    with pytest.raises(ConformanceFailure) as excinfo:
        function(*args, **kwargs)
    return excinfo.value


UNICODE = "Grabación 🎙️ cafe\u0301"


@pytest.mark.parametrize("alias", ["new", None, UNICODE, "x" * 100])
def test_patch_answers_alias(alias: str | None) -> None:
    assert patch_answers_alias(answer(200, audio(alias=alias)), alias)["alias"] == alias


@pytest.mark.parametrize(("response", "expected"), [
    (answer(200, audio(alias="old")), "new"),
    (answer(200, audio(alias="café")), UNICODE),  # normalised: not byte for byte
    (answer(204, content=b""), "new"),
    (answer(200, audio(alias="new"), content_type="text/html"), "new"),
], ids=["not-changed", "normalised", "no-body", "not-json"])
def test_patch_answers_alias_fails(response: httpx.Response, expected: str) -> None:
    assert failure(patch_answers_alias, response, expected).requirement == "PATCH-ALIAS"


def test_alias_was_stored() -> None:
    listed = [audio(alias="new"), audio(handle="other", alias="old")]
    alias_was_stored(answer(200, audio(alias="new")), listed, "h-1", "new")
    assert "details" in failure(alias_was_stored, answer(200, audio()), listed, "h-1", "new").title
    assert "list" in failure(alias_was_stored, answer(200, audio(alias="new")), [audio()], "h-1", "new").title
    assert failure(alias_was_stored, answer(200, audio(alias="new")), [], "h-1", "new").received == (
        "the audio is not listed")
    assert failure(alias_was_stored, answer(404, {}), listed, "h-1", "new").requirement == "PATCH-STORED"


def test_invalid_alias_refused_and_unchanged() -> None:
    invalid_alias_refused(answer(400, {"title": "Bad Request"}), PROFILE, "empty")
    assert failure(invalid_alias_refused, answer(200, audio(alias="")), PROFILE, "empty").requirement == (
        "PATCH-ALIAS-INVALID")
    alias_unchanged(answer(200, audio(alias="kept")), "kept", "empty")
    assert "changed the alias" in failure(alias_unchanged, answer(200, audio(alias="")), "kept", "empty").title


def test_only_alias_changed() -> None:
    only_alias_changed(audio(), audio(alias="new"), "a PATCH")
    for name, value in (("handle", "h-2"), ("duration", "PT1.000S"), ("uploadedAt", None), ("id", "x")):
        found = failure(only_alias_changed, audio(), audio(**{name: value}), "a PATCH")
        assert found.requirement == "PATCH-IMMUTABLE" and name in found.title


def test_client_handle_handled() -> None:
    client_handle_handled(answer(200, audio()), PROFILE, "h-1")
    assert "changed the audio's handle" in failure(client_handle_handled, answer(200, audio(handle="renamed")),
                                                   PROFILE, "h-1").title
    assert failure(client_handle_handled, answer(400, {}), PROFILE, "h-1").requirement == "PATCH-IMMUTABLE"
    client_handle_handled(answer(400, {"title": "Bad Request"}), REJECTING, "h-1")
    assert "not refused" in failure(client_handle_handled, answer(200, audio()), REJECTING, "h-1").title


def test_delete_checks() -> None:
    delete_succeeded(answer(204, content=b""))
    delete_succeeded(answer(200, audio()))
    assert failure(delete_succeeded, answer(404, {}), ).requirement == "DELETE-GONE"
    gone(answer(404, {"title": "Not Found"}), PROFILE, "details")
    assert "still finds" in failure(gone, answer(200, audio()), PROFILE, "details").title
    gone(answer(410, {}), build_profile({"deleted_statuses": [404, 410]}), "file")
    not_listed([audio(handle="other")], "h-1")
    assert "still listed" in failure(not_listed, [audio()], "h-1").title


def test_untouched() -> None:
    wav = answer(200, content=b"RIFF....WAVE", content_type="audio/wav")
    untouched(answer(200, audio()), wav, audio())
    assert "`alias`" in failure(untouched, answer(200, audio(alias="x")), wav, audio()).title
    assert failure(untouched, answer(404, {}), wav, audio()).requirement == "DELETE-GONE"
    assert "file" in failure(untouched, answer(200, audio()), answer(404, {}), audio()).title


AWAITING = audio(state="avaitingFile", uploadedAt=None, duration="PT0S", sampleRate=0)


def test_awaiting_file() -> None:
    assert awaiting_file(answer(201, AWAITING))["state"] == "avaitingFile"
    for bad in (answer(201, audio()), answer(201, {**AWAITING, "state": "awaitingFile"}), answer(400, {})):
        assert failure(awaiting_file, bad).requirement == "RAW-CREATE-AWAITING"


def test_file_not_served_yet() -> None:
    file_not_served_yet(answer(404, {}), PROFILE)
    assert failure(file_not_served_yet, answer(200, content=b"RIFF", content_type="audio/wav"), PROFILE).requirement \
        == "RAW-CREATE-AWAITING"
    file_not_served_yet(answer(409, {}), build_profile({"file_before_upload_statuses": [404, 409]}))


def test_raw_upload_accepted() -> None:
    assert raw_upload_accepted(answer(200, audio()), AWAITING, PROFILE)["state"] == "available"
    assert "another audio" in failure(raw_upload_accepted, answer(200, audio(handle="x")), AWAITING, PROFILE).title
    assert failure(raw_upload_accepted, answer(201, audio()), AWAITING, PROFILE).requirement == "RAW-UPLOAD"
    still = answer(200, {**AWAITING, "state": "avaitingFile"})
    assert "synchronous" in failure(raw_upload_accepted, still, AWAITING, PROFILE).title
    raw_upload_accepted(still, AWAITING, build_profile({"processing": "async"}))


def test_second_upload_refused_and_nothing_changed() -> None:
    second_upload_refused(answer(409, {}), PROFILE)
    assert failure(second_upload_refused, answer(200, audio()), PROFILE).requirement == "RAW-UPLOAD-ONCE"
    same_after_refusal(answer(200, audio()), audio())
    assert "`sampleRate`" in failure(same_after_refusal, answer(200, audio(sampleRate=22050)), audio()).title


def test_wrong_content_type_refused() -> None:
    wrong_content_type_refused(answer(415, {}), answer(200, AWAITING), "text/plain")
    assert "415" in failure(wrong_content_type_refused, answer(200, audio()), answer(200, AWAITING),
                            "text/plain").expected
    assert "state" in failure(wrong_content_type_refused, answer(415, {}), answer(200, audio()), "text/plain").title
