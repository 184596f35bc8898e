"""Generic response checks (checks/http.py) and the access oracles (checks/access.py), both directions each."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from conformance.checks import ConformanceFailure, check
from conformance.checks.access import (
    bad_token_refused,
    foreign_space_denied,
    other_space_audio_not_found,
    unauthenticated_refused,
)
from conformance.checks.http import (
    error_body_is_problem_json,
    expect_status,
    has_bearer_challenge,
    json_body,
    media_type,
    not_a_server_error,
)
from conformance.profile import build_profile

PROFILE = build_profile()
HANDLE = "3f0c2d6e-8b1a-4c7e-9d2f-5a6b7c8d9e0f"


def response(status: int, *, headers: dict[str, str] | list[tuple[str, str]] | None = None, content: bytes = b"",
             body: Any = None, content_type: str | None = None) -> httpx.Response:
    hdrs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
    if body is not None:
        content = json.dumps(body).encode()
    if content_type is not None:
        hdrs.append(("Content-Type", content_type))
    return httpx.Response(status, headers=hdrs, content=content, request=httpx.Request("GET", "http://t/v1/x"))


def problem(http_status: int, /, **members: Any) -> httpx.Response:
    return response(http_status, body=members, content_type="application/problem+json")


# --- helpers ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [("audio/x-wav; charset=x", "audio/x-wav"), ("Audio/WAV", "audio/wav"), (" application/json ;x=1",
                                                                              "application/json")],
)
def test_media_type_drops_parameters_and_case(header: str, expected: str) -> None:
    assert media_type(response(200, content_type=header)) == expected


def test_media_type_absent_is_empty() -> None:
    assert media_type(response(200)) == ""


def test_json_body() -> None:
    assert json_body(response(200, body={"a": 1})) == {"a": 1}
    assert json_body(response(200, content=b"<html>")) is None
    assert json_body(response(200, content=b"\xff\xfe\x00")) is None


@check("ACCESS-FOREIGN-DENIED")
def _denied(answer: httpx.Response) -> None:
    """A check made of ``expect_status`` alone: the failure is the check's own requirement."""
    expect_status(answer, (403, 404), "upload")


def test_expect_status_passes_for_an_allowed_status() -> None:
    expect_status(response(201), 201, "create")
    _denied(response(404))


def test_expect_status_fails_the_calling_check() -> None:
    with pytest.raises(ConformanceFailure) as excinfo:
        _denied(response(200, content=b"ok"))
    failure = excinfo.value
    assert failure.requirement == "ACCESS-FOREIGN-DENIED" and failure.check == "_denied"
    assert "upload: unexpected status" in failure.title
    assert failure.received.startswith("200")
    assert failure.expected == "403 or 404"


# --- ERR-NO-5XX ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 400, 404, 413, 499])
def test_not_a_server_error_passes(status: int) -> None:
    not_a_server_error(response(status), "bad upload")


@pytest.mark.parametrize("status", [500, 502, 503])
def test_not_a_server_error_fails_on_5xx(status: int) -> None:
    with pytest.raises(ConformanceFailure) as excinfo:
        not_a_server_error(response(status, content=b"Internal Server Error"), "bad upload")
    assert excinfo.value.requirement == "ERR-NO-5XX"
    assert "bad upload: server error for a client's mistake" in str(excinfo.value)
    assert str(status) in excinfo.value.received
    assert "Received:" in str(excinfo.value) and "Expected: a 4xx status" in str(excinfo.value)


# --- ERR-PROBLEM-JSON ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "resp",
    [
        problem(400, type="about:blank", title="Bad Request", status=400, detail="`alias` is too long"),
        problem(404, title="Not Found"),
        response(415, body={"message": "unsupported media"}, content_type="application/json; charset=utf-8"),
        response(400, body={"detail": "bad"}, content_type="Application/Problem+JSON"),
    ],
    ids=["problem-json", "title-only", "json-message", "case-insensitive-type"],
)
def test_problem_json_passes(resp: httpx.Response) -> None:
    error_body_is_problem_json(resp, "bad upload")


@pytest.mark.parametrize(
    ("resp", "fragment"),
    [
        (problem(400, status=400), "gives no reason"),
        (problem(400, title="", detail="   ", status=400), "gives no reason"),
        (problem(400, detail=5), "gives no reason"),
        (problem(400, title="Bad Request", status=404), "problem `status` differs from the HTTP status"),
        (problem(400, title="Bad Request", status="400"), "problem `status` differs from the HTTP status"),
        (response(400, content=b"<html><body>Bad Request</body></html>", content_type="text/html"),
         "error body is not JSON"),
        (response(400, body={"detail": "x"}), "error body is not JSON"),  # no Content-Type at all
        (response(400, content=b"[1, 2]", content_type="application/problem+json"), "not a JSON object"),
        (response(400, content=b"not json", content_type="application/json"), "not a JSON object"),
    ],
    ids=["missing-reason", "blank-reason", "non-string-reason", "status-mismatch", "status-as-string", "html",
         "no-content-type", "array", "invalid-json"],
)
def test_problem_json_fails(resp: httpx.Response, fragment: str) -> None:
    with pytest.raises(ConformanceFailure) as excinfo:
        error_body_is_problem_json(resp, "bad upload")
    assert excinfo.value.requirement == "ERR-PROBLEM-JSON"
    assert fragment in excinfo.value.title
    assert excinfo.value.title.startswith("bad upload: ")


@pytest.mark.parametrize(
    ("detail", "leak"),
    [
        ("Traceback (most recent call last):\n  oops", "Traceback (most recent call last)"),
        ("see /usr/local/lib/python3.11/site-packages/starlette/routing.py", "/site-packages/"),
        ("could not read /home/deploy/app/config", "/home/deploy/"),
        ("KeyError: 'file'", "KeyError"),
        ("at com.example.Upload.handle(Upload.java:42)", "Upload.java:42"),
        ("opened C:\\srv\\app\\x.py", "C:\\"),
    ],
    ids=["traceback", "site-packages", "home", "exception-name", "java-frame", "windows-path"],
)
def test_problem_json_fails_when_the_body_exposes_internals(detail: str, leak: str) -> None:
    with pytest.raises(ConformanceFailure) as excinfo:
        error_body_is_problem_json(problem(500, title="Internal Server Error", status=500, detail=detail), "upload")
    assert excinfo.value.requirement == "ERR-PROBLEM-JSON"
    assert "exposes internals" in excinfo.value.title
    assert leak.replace("\\", "\\\\") in excinfo.value.received or leak in excinfo.value.received


def test_problem_json_fails_when_the_body_exposes_a_python_frame() -> None:
    detail = 'failed in File "/app/service.py", line 42, in create_audio'
    with pytest.raises(ConformanceFailure) as excinfo:
        error_body_is_problem_json(problem(500, title="Internal Server Error", status=500, detail=detail), "upload")
    assert excinfo.value.requirement == "ERR-PROBLEM-JSON"
    assert "exposes internals" in excinfo.value.title


# --- AUTH-CHALLENGE --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        [("WWW-Authenticate", 'Bearer realm="x", error="invalid_token"')],
        [("WWW-Authenticate", 'Bearer realm="voice-api"')],
        [("WWW-Authenticate", "Bearer")],
        [("WWW-Authenticate", 'bearer realm="x"')],
        [("WWW-Authenticate", 'Basic realm="x", Bearer realm="y"')],
        [("WWW-Authenticate", 'Basic realm="x"'), ("WWW-Authenticate", 'Bearer realm="y"')],
    ],
    ids=["with-error", "realm", "bare", "lowercase", "second-challenge", "second-header"],
)
def test_bearer_challenge_passes(headers: list[tuple[str, str]]) -> None:
    has_bearer_challenge(response(401, headers=headers), "no token")


@pytest.mark.parametrize(
    ("headers", "received"),
    [
        ([("WWW-Authenticate", 'Basic realm="x"')], "Basic"),
        ([], "(absent)"),
        ([("WWW-Authenticate", 'Digest realm="x", nonce="Bearer"')], "Digest"),
        ([("WWW-Authenticate", 'Bearerish realm="x"')], "Bearerish"),
    ],
    ids=["basic", "absent", "digest", "lookalike-scheme"],
)
def test_bearer_challenge_fails(headers: list[tuple[str, str]], received: str) -> None:
    with pytest.raises(ConformanceFailure) as excinfo:
        has_bearer_challenge(response(401, headers=headers), "no token")
    assert excinfo.value.requirement == "AUTH-CHALLENGE"
    assert "no token: 401 without a Bearer challenge" == excinfo.value.title
    assert received in excinfo.value.received


@pytest.mark.parametrize("status", [200, 403, 404])
def test_bearer_challenge_ignores_non_401(status: int) -> None:
    assert has_bearer_challenge(response(status, headers=[("WWW-Authenticate", 'Basic realm="x"')]), "x") is None


# --- access oracles (checks/access.py) -------------------------------------------------------------------------


def test_unauthenticated_refused_passes_on_401() -> None:
    unauthenticated_refused(response(401, body={"title": "Unauthorized"}), PROFILE, "list without token")


@pytest.mark.parametrize("status", [200, 403, 404, 500])
def test_unauthenticated_refused_fails_outside_the_profile(status: int) -> None:
    with pytest.raises(ConformanceFailure) as excinfo:
        unauthenticated_refused(response(status), PROFILE, "list without token")
    assert excinfo.value.requirement == "AUTH-MISSING-401"
    assert excinfo.value.title == "list without token was not refused"
    assert excinfo.value.expected == "401"


def test_unauthenticated_statuses_come_from_the_profile() -> None:
    profile = build_profile({"unauthenticated_statuses": [401, 403]})
    unauthenticated_refused(response(403), profile, "x")


def test_bad_token_refused() -> None:
    bad_token_refused(response(401), PROFILE, "bad token")
    with pytest.raises(ConformanceFailure) as excinfo:
        bad_token_refused(response(200, body=[]), PROFILE, "bad token")
    assert excinfo.value.requirement == "AUTH-INVALID-401"
    assert "bad token was not refused" in str(excinfo.value)


@pytest.mark.parametrize("status", [403, 404])
def test_foreign_space_denied_passes(status: int) -> None:
    foreign_space_denied(response(status, body={"title": "Not Found", "status": status}), PROFILE.denied_statuses,
                         "list foreign",
                         [HANDLE, "secret alias"])


@pytest.mark.parametrize("status", [200, 201, 400, 401, 500])
def test_foreign_space_denied_fails_outside_the_denied_statuses(status: int) -> None:
    with pytest.raises(ConformanceFailure) as excinfo:
        foreign_space_denied(response(status), PROFILE.denied_statuses, "list foreign", [HANDLE])
    assert excinfo.value.requirement == "ACCESS-FOREIGN-DENIED"
    assert excinfo.value.title == "list foreign was not refused"
    assert excinfo.value.expected == "403 or 404"


def test_foreign_space_refusal_that_leaks_the_handle_fails() -> None:
    leaky = response(404, body={"title": "Not Found", "detail": f"audio {HANDLE} belongs to someone else"})
    with pytest.raises(ConformanceFailure) as excinfo:
        foreign_space_denied(leaky, PROFILE.denied_statuses, "details foreign", ["", HANDLE])
    assert excinfo.value.requirement == "ACCESS-FOREIGN-DENIED"
    assert "the refusal leaks the resource" in excinfo.value.title
    assert HANDLE in excinfo.value.received


def test_cross_space_audio_not_found() -> None:
    other_space_audio_not_found(response(404), {403, 404}, "cross", [HANDLE])
    with pytest.raises(ConformanceFailure) as excinfo:
        other_space_audio_not_found(response(200, body={"handle": HANDLE}), {403, 404}, "cross", [HANDLE])
    assert excinfo.value.requirement == "ACCESS-CROSS-SPACE"
    assert excinfo.value.title == "cross was not refused"


def test_cross_space_refusal_that_leaks_fails() -> None:
    with pytest.raises(ConformanceFailure) as excinfo:
        other_space_audio_not_found(response(404, content=f"no {HANDLE} here".encode()), {404}, "cross", [HANDLE])
    assert excinfo.value.requirement == "ACCESS-CROSS-SPACE"
    assert "leaks the resource" in excinfo.value.title
