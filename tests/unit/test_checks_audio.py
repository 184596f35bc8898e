"""Checks on the audio resource (checks/audio.py): each with a passing input and failing ones."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from conformance.checks import ConformanceFailure
from conformance.checks.audio import (
    alias_is_stored,
    created_with_201,
    details_equal_created,
    details_equal_listed,
    duration_is_iso8601,
    duration_matches_media,
    handle_follows_grammar,
    has_every_field,
    parse_timestamp,
    sample_rate_matches_media,
    state_is_documented,
    timestamps_are_consistent,
)
from conformance.profile import build_profile

PROFILE = build_profile()
FIELDS = ("id", "handle", "alias", "state", "duration", "sampleRate", "identity", "voiceprints", "verifications",
          "createdAt", "uploadedAt")


def audio(**changes: Any) -> dict[str, Any]:
    """A valid audio as the reference server returns it, with ``changes`` applied."""
    value: dict[str, Any] = {
        "id": "0b5f8e3a-2c4d-4e6f-8a1b-9c0d1e2f3a4b",
        "handle": "7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6",
        "alias": "greeting",
        "state": "available",
        "duration": "PT3.683S",
        "sampleRate": 16000,
        "identity": None,
        "voiceprints": 0,
        "verifications": 0,
        "createdAt": "2024-05-01T10:00:00.123456Z",
        "uploadedAt": "2024-05-01T10:00:00.223456Z",
    }
    value.update(changes)
    return value


def response(status: int, body: Any = None, *, content: bytes | None = None,
             content_type: str = "application/json") -> httpx.Response:
    data = json.dumps(body).encode() if content is None else content
    return httpx.Response(status, headers={"Content-Type": content_type}, content=data,
                          request=httpx.Request("POST", "http://t/v1/spaces/a/b/audios"))


def failure(function: Any, *args: Any, **kwargs: Any) -> ConformanceFailure:
    with pytest.raises(ConformanceFailure) as excinfo:
        function(*args, **kwargs)
    return excinfo.value


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- AUD-CREATE-201 --------------------------------------------------------------------------------------------


def test_created_with_201_returns_the_audio() -> None:
    assert created_with_201(response(201, audio())) == audio()
    assert created_with_201(response(201, audio(), content_type="application/json; charset=utf-8"))["id"]


@pytest.mark.parametrize("status", [200, 202, 400, 500])
def test_created_with_201_fails_on_another_status(status: int) -> None:
    exc = failure(created_with_201, response(status, audio()))
    assert exc.requirement == "AUD-CREATE-201"
    assert exc.title == "create did not answer 201"
    assert exc.received.startswith(str(status))


@pytest.mark.parametrize(
    "resp",
    [response(201, [audio()]), response(201, content=b"<html/>", content_type="text/html"),
     response(201, audio(), content_type="text/plain")],
    ids=["array", "html", "json-as-text"],
)
def test_created_with_201_fails_without_a_json_object(resp: httpx.Response) -> None:
    exc = failure(created_with_201, resp)
    assert exc.requirement == "AUD-CREATE-201"
    assert exc.title == "create did not return a JSON object"


# --- AUD-SCHEMA-FIELDS -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [audio(), audio(alias=None, uploadedAt=None, state="avaitingFile", duration="PT0S", sampleRate=0),
     audio(identity={"id": "x"}), audio(state="notAvailable"), audio(id=str(uuid.uuid4()), voiceprints=3)],
    ids=["available", "awaiting-file", "identity-object", "not-available", "counts"],
)
def test_has_every_field_passes(value: dict[str, Any]) -> None:
    has_every_field(value)


@pytest.mark.parametrize("name", FIELDS)
def test_has_every_field_fails_on_each_missing_field(name: str) -> None:
    value = audio()
    del value[name]
    exc = failure(has_every_field, value)
    assert exc.requirement == "AUD-SCHEMA-FIELDS"
    assert exc.title == f"field `{name}` is missing"


@pytest.mark.parametrize(
    ("name", "value"),
    [("id", 123), ("id", None), ("handle", None), ("handle", 7), ("alias", 5), ("state", None),
     ("duration", 3.683), ("sampleRate", "16000"), ("sampleRate", 16000.0), ("sampleRate", None),
     ("identity", "someone"), ("identity", []), ("voiceprints", "0"), ("verifications", 0.0), ("createdAt", None),
     ("createdAt", 1714557600), ("uploadedAt", 0)],
)
def test_has_every_field_fails_on_wrong_types(name: str, value: Any) -> None:
    exc = failure(has_every_field, audio(**{name: value}))
    assert exc.requirement == "AUD-SCHEMA-FIELDS"
    assert exc.title == f"field `{name}` has the wrong type"
    assert exc.received == repr(value)


@pytest.mark.parametrize("name", ["sampleRate", "voiceprints", "verifications"])
@pytest.mark.parametrize("value", [True, False])
def test_has_every_field_refuses_a_bool_where_an_int_is_due(name: str, value: bool) -> None:
    exc = failure(has_every_field, audio(**{name: value}))
    assert exc.title == f"field `{name}` has the wrong type"
    assert exc.expected == "int"


@pytest.mark.parametrize("bad", ["not-a-uuid", "", "0b5f8e3a-2c4d-4e6f-8a1b-9c0d1e2f3a4"])
def test_has_every_field_fails_on_a_bad_uuid(bad: str) -> None:
    exc = failure(has_every_field, audio(id=bad))
    assert exc.requirement == "AUD-SCHEMA-FIELDS"
    assert exc.title == "`id` is not a UUID"


@pytest.mark.parametrize("state", ["ready", "Available", "awaitingFile", ""])
def test_has_every_field_fails_on_an_unknown_state(state: str) -> None:
    exc = failure(has_every_field, audio(state=state))
    assert exc.title == "`state` is not a documented value"
    assert "avaitingFile, available, notAvailable" in exc.expected


@pytest.mark.parametrize("name", ["voiceprints", "verifications", "sampleRate"])
def test_has_every_field_fails_on_negative_counts(name: str) -> None:
    exc = failure(has_every_field, audio(**{name: -1}))
    assert exc.requirement == "AUD-SCHEMA-FIELDS"
    assert exc.title == f"`{name}` is negative"


# --- AUD-HANDLE-GRAMMAR ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("handle", ["a", "0", "audio-1", "a-b-c", "2b0c5f0e-8d1c-4a3e-9f27-6c1d2e3f4a5b", "a" * 50,
                                    "x" * 49 + "1"])
def test_handle_grammar_passes(handle: str) -> None:
    handle_follows_grammar(audio(handle=handle))


@pytest.mark.parametrize(
    "handle",
    ["Audio", "-a", "a-", "a--b", "a" * 51, "", "a_b", "a b", "a.b", "ä", None, 5],
    ids=["upper", "leading-hyphen", "trailing-hyphen", "double-hyphen", "51-chars", "empty", "underscore", "space",
         "dot", "non-ascii", "null", "number"],
)
def test_handle_grammar_fails(handle: Any) -> None:
    exc = failure(handle_follows_grammar, audio(handle=handle))
    assert exc.requirement == "AUD-HANDLE-GRAMMAR"
    assert exc.title == "the audio handle breaks the handle grammar"
    assert exc.received == repr(handle)


def test_handle_grammar_refuses_a_trailing_newline() -> None:
    exc = failure(handle_follows_grammar, audio(handle="audio\n"))
    assert exc.requirement == "AUD-HANDLE-GRAMMAR"


def test_handle_grammar_fails_when_absent() -> None:
    value = audio()
    del value["handle"]
    assert failure(handle_follows_grammar, value).requirement == "AUD-HANDLE-GRAMMAR"


# --- AUD-CREATE-ALIAS ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sent", ["greeting", "Ünïcödé ✓ alias", " spaced ", None])
def test_alias_is_stored_passes(sent: str | None) -> None:
    alias_is_stored(audio(alias=sent), sent)


@pytest.mark.parametrize(
    ("stored", "sent"),
    [("greeting", "Greeting"), (None, "greeting"), ("greeting", None), ("spaced", " spaced "), ("", None)],
)
def test_alias_is_stored_fails(stored: str | None, sent: str | None) -> None:
    exc = failure(alias_is_stored, audio(alias=stored), sent)
    assert exc.requirement == "AUD-CREATE-ALIAS"
    assert exc.title == "the alias was not stored as sent"
    assert exc.expected == repr(sent)


# --- AUD-DURATION-FORMAT / AUD-DURATION-VALUE ------------------------------------------------------------------


@pytest.mark.parametrize(("text", "seconds"), [("PT3.683S", 3.683), ("PT1M2.5S", 62.5), ("PT0S", 0.0),
                                               ("P0D", 0.0)])
def test_duration_is_iso8601_passes(text: str, seconds: float) -> None:
    assert duration_is_iso8601(audio(duration=text)) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["3.683", "3.683s", "PT", "P", "PT-1S", "", 3.683, None, "pt3s"])
def test_duration_is_iso8601_fails(bad: Any) -> None:
    exc = failure(duration_is_iso8601, audio(duration=bad))
    assert exc.requirement == "AUD-DURATION-FORMAT"
    assert exc.title == "`duration` is not an ISO-8601 duration"


@pytest.mark.parametrize("seconds", [3.682688, 3.683, 3.70, 3.62, 3.682688 + 0.0799])
def test_duration_matches_media_within_tolerance(seconds: float) -> None:
    duration_matches_media(seconds, 3.682688, PROFILE)


@pytest.mark.parametrize("seconds", [3.8, 3.5, 0.0, 3.682688 + 0.0801])
def test_duration_matches_media_fails_outside_tolerance(seconds: float) -> None:
    exc = failure(duration_matches_media, seconds, 3.682688, PROFILE)
    assert exc.requirement == "AUD-DURATION-VALUE"
    assert "differs from the uploaded media's duration" in exc.title
    assert exc.expected == "3.683 s ± 0.08 s"


def test_duration_tolerance_comes_from_the_profile() -> None:
    duration_matches_media(3.8, 3.682688, build_profile({"duration_tolerance_s": 0.5}))
    with pytest.raises(ConformanceFailure):
        duration_matches_media(3.69, 3.682688, build_profile({"duration_tolerance_s": 0.001}))


# --- AUD-SAMPLERATE-VALUE --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "stored"), [(16000, 16000), (44100, 44100), (48000, 48000), (96000, 48000),
                                                (192000, 48000), (8000, 8000)])
def test_sample_rate_passes(source: int, stored: int) -> None:
    sample_rate_matches_media(audio(sampleRate=stored), source, PROFILE)


@pytest.mark.parametrize(("source", "stored"), [(96000, 96000), (44100, 48000), (16000, 8000), (16000, None),
                                                (16000, "16000")])
def test_sample_rate_fails(source: int, stored: Any) -> None:
    exc = failure(sample_rate_matches_media, audio(sampleRate=stored), source, PROFILE)
    assert exc.requirement == "AUD-SAMPLERATE-VALUE"
    assert exc.title == "`sampleRate` is not the source rate (capped)"
    assert exc.expected == f"{min(source, 48000)} (source {source} Hz)"


def test_sample_rate_cap_comes_from_the_profile() -> None:
    sample_rate_matches_media(audio(sampleRate=96000), 96000, build_profile({"max_stored_sample_rate": 96000}))


# --- AUD-TIMESTAMPS --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T10:00:00Z", datetime(2024, 5, 1, 10, tzinfo=UTC)),
        ("2024-05-01t10:00:00z", datetime(2024, 5, 1, 10, tzinfo=UTC)),
        ("2024-05-01T12:00:00+02:00", datetime(2024, 5, 1, 10, tzinfo=UTC)),
        ("2024-05-01T10:00:00.5Z", datetime(2024, 5, 1, 10, 0, 0, 500000, tzinfo=UTC)),
        ("2024-05-01T10:00:00.1234567Z", datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2024-05-01T10:00:00.123456789+00:00", datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)),
    ],
)
def test_parse_timestamp(text: str, expected: datetime) -> None:
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize("text", ["2024-05-01T10:00:00", "2024-05-01 10:00:00Z", "2024-05-01", "2024-02-30T00:00:00Z",
                                  "2024-05-01T10:00:00.Z", "2024-05-01T10:00:00Z\n", "yesterday", None, 1714557600])
def test_parse_timestamp_refuses(text: Any) -> None:
    assert parse_timestamp(text) is None


@pytest.mark.parametrize(
    "value",
    [
        audio(),
        audio(createdAt="2024-05-01T10:00:00Z", uploadedAt="2024-05-01T10:00:00Z"),
        audio(createdAt="2024-05-01T10:00:00.1234567Z", uploadedAt="2024-05-01T10:00:00.9999999Z"),
        audio(createdAt="2024-05-01T12:00:00+02:00", uploadedAt="2024-05-01T10:00:01Z"),
    ],
    ids=["microseconds", "equal", "seven-digits", "offset"],
)
def test_timestamps_pass(value: dict[str, Any]) -> None:
    timestamps_are_consistent(value, PROFILE)


def test_timestamps_within_the_clock_skew_pass() -> None:
    soon = iso(datetime.now(UTC) + timedelta(seconds=60))
    timestamps_are_consistent(audio(createdAt=soon, uploadedAt=soon), PROFILE)


def test_timestamps_of_an_audio_awaiting_its_file() -> None:
    timestamps_are_consistent(audio(uploadedAt=None), PROFILE, uploaded=False)
    exc = failure(timestamps_are_consistent, audio(uploadedAt=None), PROFILE)
    assert exc.title == "`uploadedAt` of an available audio is not an RFC 3339 date-time with a zone"


@pytest.mark.parametrize("created", ["2024-05-01T10:00:00", "2024-05-01T10:00:00.123456", None, ""])
def test_created_at_without_a_zone_fails(created: Any) -> None:
    exc = failure(timestamps_are_consistent, audio(createdAt=created), PROFILE)
    assert exc.requirement == "AUD-TIMESTAMPS"
    assert exc.title == "`createdAt` is not an RFC 3339 date-time with a zone"


def test_uploaded_at_without_a_zone_fails() -> None:
    exc = failure(timestamps_are_consistent, audio(uploadedAt="2024-05-01T10:00:01"), PROFILE)
    assert exc.requirement == "AUD-TIMESTAMPS"
    assert "`uploadedAt` of an available audio is not an RFC 3339" in exc.title


def test_created_at_in_the_future_fails() -> None:
    future = iso(datetime.now(UTC) + timedelta(days=1))
    exc = failure(timestamps_are_consistent, audio(createdAt=future, uploadedAt=future), PROFILE)
    assert exc.requirement == "AUD-TIMESTAMPS"
    assert exc.title == "`createdAt` is in the future"


def test_uploaded_at_in_the_future_fails() -> None:
    future = iso(datetime.now(UTC) + timedelta(days=1))
    exc = failure(timestamps_are_consistent, audio(uploadedAt=future), PROFILE)
    assert exc.title == "timestamps out of order"


def test_created_after_uploaded_fails() -> None:
    value = audio(createdAt="2024-05-01T10:00:01Z", uploadedAt="2024-05-01T10:00:00.999999Z")
    exc = failure(timestamps_are_consistent, value, PROFILE)
    assert exc.requirement == "AUD-TIMESTAMPS"
    assert exc.title == "timestamps out of order"
    assert "createdAt 2024-05-01T10:00:01Z" in exc.received


def test_clock_skew_comes_from_the_profile() -> None:
    soon = iso(datetime.now(UTC) + timedelta(seconds=60))
    with pytest.raises(ConformanceFailure, match="in the future"):
        timestamps_are_consistent(audio(createdAt=soon, uploadedAt=soon), build_profile({"clock_skew_s": 0}))


# --- AUD-DETAILS-200 -------------------------------------------------------------------------------------------


def test_details_equal_created_passes() -> None:
    assert details_equal_created(response(200, audio()), audio(), settled=True) == audio()


def test_details_of_an_unsettled_audio_may_fill_in_processing_fields() -> None:
    created = audio(state="avaitingFile", duration="PT0S", sampleRate=0, uploadedAt=None)
    details = details_equal_created(response(200, audio()), created, settled=False)
    assert details["state"] == "available"


@pytest.mark.parametrize(
    ("name", "value"),
    [("state", "notAvailable"), ("duration", "PT3.000S"), ("sampleRate", 8000),
     ("uploadedAt", "2024-05-01T10:00:05Z")],
)
def test_details_of_a_settled_audio_must_not_change(name: str, value: Any) -> None:
    details_equal_created(response(200, audio(**{name: value})), audio(), settled=False)  # allowed while processing
    exc = failure(details_equal_created, response(200, audio(**{name: value})), audio(), settled=True)
    assert exc.requirement == "AUD-DETAILS-200"
    assert exc.title == f"details differ from create in `{name}`"


@pytest.mark.parametrize(("name", "value"), [("id", "7e3f9a1c-2b4d-4c6e-8f10-a2b3c4d5e6f7"),
                                             ("handle", "other"), ("alias", "changed"),
                                             ("createdAt", "2024-05-01T10:00:00Z"), ("voiceprints", 1)])
@pytest.mark.parametrize("settled", [True, False])
def test_details_differing_in_stable_fields_fail(name: str, value: Any, settled: bool) -> None:
    exc = failure(details_equal_created, response(200, audio(**{name: value})), audio(), settled=settled)
    assert exc.requirement == "AUD-DETAILS-200"
    assert exc.title == f"details differ from create in `{name}`"
    assert exc.received == repr(value)


def test_details_with_another_status_fail() -> None:
    exc = failure(details_equal_created, response(404, {"title": "Not Found"}), audio(), settled=True)
    assert exc.requirement == "AUD-DETAILS-200"
    assert exc.title == "details did not answer 200"


def test_details_without_a_json_object_fail() -> None:
    exc = failure(details_equal_created, response(200, content=b"<html/>", content_type="text/html"), audio(),
                  settled=True)
    assert exc.title == "details did not return a JSON object"


@pytest.mark.parametrize("state", ["avaitingFile", "available", "notAvailable"])
def test_state_is_documented_passes(state: str) -> None:
    state_is_documented({"state": state})


@pytest.mark.parametrize("state", ["ready", "processing", "awaitingFile", None])
def test_state_is_documented_fails_on_an_undocumented_state(state: object) -> None:
    exc = failure(state_is_documented, {"state": state})
    assert exc.requirement == "AUD-SCHEMA-FIELDS"
    assert repr(state) in exc.received


PROCESSED = {"handle": "h", "state": "available", "duration": "PT1.000S", "sampleRate": 16000,
             "uploadedAt": "2026-12-02T10:00:00.000000Z"}


def test_details_equal_listed_passes_on_the_same_processed_audio() -> None:
    details_equal_listed(dict(PROCESSED), {**PROCESSED, "alias": "listed views may carry more"})


@pytest.mark.parametrize(("name", "value"), [("sampleRate", 17000), ("duration", "PT1.500S"), ("state", "ready")])
def test_details_equal_listed_fails_when_details_misreport_a_processed_field(name: str, value: object) -> None:
    exc = failure(details_equal_listed, {**PROCESSED, name: value}, dict(PROCESSED))
    assert exc.requirement == "AUD-DETAILS-200" and name in exc.title


def test_details_equal_listed_fails_when_the_audio_is_not_listed() -> None:
    assert failure(details_equal_listed, dict(PROCESSED), None).requirement == "AUD-DETAILS-200"
