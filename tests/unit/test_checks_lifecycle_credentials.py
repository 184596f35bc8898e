"""Sign-in, current-user and API-key checks (checks/credentials.py): passing inputs and the failures they catch."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from conformance.checks import ConformanceFailure
from conformance.checks.credentials import (
    duplicate_key_refused,
    key_created,
    key_deleted,
    key_reads_back,
    key_token_works,
    refusals_indistinguishable,
    revoked_key_not_found,
    revoked_token_refused,
    session_issued,
    session_token_works,
    sign_in_refused,
    user_is,
)
from conformance.profile import build_profile

PROFILE = build_profile()


def answer(status: int, body: Any) -> httpx.Response:
    return httpx.Response(status, headers={"Content-Type": "application/json"}, content=json.dumps(body).encode(),
                          request=httpx.Request("POST", "http://t/v1/auth/credentials"))


def failure(function: Any, *args: Any, **kwargs: Any) -> ConformanceFailure:
    with pytest.raises(ConformanceFailure) as excinfo:
        function(*args, **kwargs)
    return excinfo.value


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def session(*, lifetime: timedelta = timedelta(hours=24), issued: datetime | None = None,
            token: object = "a" * 40) -> httpx.Response:
    start = issued or datetime.now(UTC)
    return answer(200, {"token": token, "issuedAt": stamp(start), "expiresAt": stamp(start + lifetime)})


def test_session_issued() -> None:
    assert session_issued(session(), PROFILE) == "a" * 40
    session_issued(session(lifetime=timedelta(hours=24, seconds=30)), PROFILE)


# Factories, not values: a response stamped at collection time would be minutes old when the test runs.
@pytest.mark.parametrize(("make", "fragment"), [
    (lambda: session(lifetime=timedelta(hours=1)), "lifetime"),
    (lambda: session(issued=datetime.now(UTC) - timedelta(days=2)), "not now"),
    (lambda: session(token=""), "no token"),
    (lambda: answer(200, {"token": "t", "issuedAt": "yesterday", "expiresAt": "tomorrow"}), "RFC 3339"),
    (lambda: answer(201, {"token": "t"}), "did not answer 200"),
], ids=["one-hour", "issued-long-ago", "empty-token", "bad-times", "not-200"])
def test_session_issued_fails(make: Callable[[], httpx.Response], fragment: str) -> None:
    found = failure(session_issued, make(), PROFILE)
    assert found.requirement == "AUTH-CREDENTIALS" and fragment in found.title


def test_session_lifetime_comes_from_the_profile() -> None:
    session_issued(session(lifetime=timedelta(hours=1)), build_profile({"session_ttl_s": 3600}))


def test_tokens_act_as_their_user() -> None:
    session_token_works(answer(200, {"handle": "alice"}), "alice")
    assert failure(session_token_works, answer(200, {"handle": "bob"}), "alice").requirement == "AUTH-CREDENTIALS"
    assert failure(session_token_works, answer(401, {}), "alice").requirement == "AUTH-CREDENTIALS"
    key_token_works(answer(200, {"handle": "alice"}), "alice")
    assert failure(key_token_works, answer(401, {}), "alice").requirement == "KEYS-LIFECYCLE"


def test_sign_in_refused() -> None:
    sign_in_refused(answer(401, {"title": "Unauthorized"}), {401}, "wrong password")
    sign_in_refused(answer(400, {"title": "Bad Request"}), {400, 401}, "missing password")
    assert failure(sign_in_refused, answer(200, {"token": "t"}), {401}, "x").requirement == "AUTH-CREDENTIALS-REFUSED"
    assert failure(sign_in_refused, answer(404, {"title": "no such user"}), {401}, "x").requirement == (
        "AUTH-CREDENTIALS-REFUSED")
    assert failure(sign_in_refused, answer(401, {"token": "t"}), {401}, "x").requirement == (
        "AUTH-CREDENTIALS-REFUSED")


def test_refusals_indistinguishable() -> None:
    problem = {"title": "Unauthorized", "status": 401, "detail": "The handle or the password is wrong."}
    refusals_indistinguishable(answer(401, problem), answer(401, problem))
    refusals_indistinguishable(answer(401, {**problem, "instance": "/r/1", "requestId": "a"}),
                               answer(401, {**problem, "instance": "/r/2", "requestId": "b"}))
    revealing = answer(401, {**problem, "detail": "No user has this handle."})
    assert failure(refusals_indistinguishable, answer(401, problem), revealing).requirement == (
        "AUTH-CREDENTIALS-REFUSED")
    assert failure(refusals_indistinguishable, answer(401, problem), answer(404, problem)).requirement == (
        "AUTH-CREDENTIALS-REFUSED")


def test_user_is() -> None:
    user_is(answer(200, {"handle": "alice", "id": "1"}), "alice", "primary")
    wrong = failure(user_is, answer(200, {"handle": "bob"}), "alice", "primary")
    assert wrong.requirement == "AUTH-USER-SELF" and "another user" in wrong.title
    assert failure(user_is, answer(401, {}), "alice", "primary").requirement == "AUTH-USER-SELF"


KEY = {"id": "k1", "handle": "conformance-x", "alias": "A key", "token": "t" * 40, "createdAt": "2024-01-01T00:00:00Z"}


def test_key_created() -> None:
    assert key_created(answer(201, KEY), "conformance-x", "A key") == KEY
    assert failure(key_created, answer(200, KEY), "conformance-x", "A key").requirement == "KEYS-LIFECYCLE"
    partial = {k: v for k, v in KEY.items() if k != "createdAt"}
    assert "lacks" in failure(key_created, answer(201, partial), "conformance-x", "A key").title
    assert "handle and alias" in failure(key_created, answer(201, {**KEY, "alias": None}), "conformance-x",
                                         "A key").title
    assert "no token" in failure(key_created, answer(201, {**KEY, "token": ""}), "conformance-x", "A key").title


def test_key_reads_back() -> None:
    key_reads_back(answer(200, KEY), KEY)
    hidden = failure(key_reads_back, answer(200, {**KEY, "token": "****"}), KEY)
    assert hidden.requirement == "KEYS-LIFECYCLE" and "token" in hidden.title and "t" * 40 not in str(hidden)
    assert failure(key_reads_back, answer(404, {}), KEY).requirement == "KEYS-LIFECYCLE"


def test_duplicate_key_refused() -> None:
    duplicate_key_refused(answer(409, {}), PROFILE)
    assert failure(duplicate_key_refused, answer(201, KEY), PROFILE).requirement == "KEYS-DUPLICATE"
    duplicate_key_refused(answer(400, {}), build_profile({"conflict_statuses": [400, 409]}))


def test_revocation_checks() -> None:
    key_deleted(answer(204, {}))
    assert failure(key_deleted, answer(404, {})).requirement == "KEYS-REVOKE"
    revoked_token_refused(answer(401, {}), PROFILE)
    assert "still works" in failure(revoked_token_refused, answer(200, {"handle": "alice"}), PROFILE).title
    revoked_key_not_found(answer(404, {}))
    assert failure(revoked_key_not_found, answer(200, KEY)).requirement == "KEYS-REVOKE"
