"""The checks that scenarios call as their steps and preconditions, and the refusal checks of each media
requirement: one table row per check, each checked both ways (a passing input, and a failing one that fails the
check's own requirement and names the check)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from conformance.checks import REGISTRY, ConformanceFailure, UnboundFailure, fail
from conformance.checks.access import not_served_without_credentials, sign_in_gave_token
from conformance.checks.audio import (
    available_in_create_answer,
    create_step_created,
    created_at_is_rfc3339,
    details_of,
    processing_step_settled,
    valid_audio_accepted,
)
from conformance.checks.credentials import key_delete_succeeded, key_token_of, keys_revoked, user_handle_of
from conformance.checks.lifecycle import fileless_create_step_created, not_under_asked_handle, readable_after_patch
from conformance.checks.listing import total_counts_known
from conformance.checks.media import UPLOAD_REFUSALS, non_strict_base64_refused
from conformance.checks.wav import file_answered_in_time
from conformance.profile import build_profile
from conformance.properties.checks import invalid_create_refused, stateful_answer_allowed, stateless_answer_allowed

PROFILE = build_profile()
AUDIO = {"handle": "aud-1", "state": "available", "createdAt": "2026-01-02T03:04:05Z"}


def answer(status: int, body: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
    content = json.dumps(body).encode() if body is not None else b""
    return httpx.Response(status, content=content, headers={"content-type": "application/json", **(headers or {})})


# (check, arguments that pass, arguments that fail)
ROWS: list[tuple[Callable[..., Any], tuple[Any, ...], tuple[Any, ...]]] = [
    (create_step_created, (answer(201, AUDIO), AUDIO, "create"), (answer(400, {}), None, "create")),
    (create_step_created, (answer(200, AUDIO), AUDIO, "create"), (answer(201, {"handle": ""}), {"handle": ""}, "c")),
    (fileless_create_step_created, (answer(201, AUDIO), AUDIO, "create"), (answer(201, []), [], "create")),
    (processing_step_settled, (AUDIO, None, "x", ""), ({"state": "avaitingFile"}, "still waiting", "x", " in 1 s")),
    (processing_step_settled, (AUDIO, None, "x", ""), (None, "timed out", "x", "")),
    (available_in_create_answer, (AUDIO, PROFILE), ({"state": "avaitingFile"}, PROFILE)),
    (details_of, (answer(200, AUDIO), "aud-1"), (answer(200, {**AUDIO, "handle": "aud-2"}), "aud-1")),
    (details_of, (answer(200, AUDIO), "aud-1"), (answer(404, {"title": "Not Found"}), "aud-1")),
    (valid_audio_accepted, (answer(201, AUDIO), "wav"), (answer(422, {}), "wav")),
    (created_at_is_rfc3339, ([AUDIO],), ([AUDIO, {"createdAt": "yesterday"}],)),
    (readable_after_patch, (answer(200, AUDIO), "a PATCH"), (answer(404, {}), "a PATCH")),
    (not_under_asked_handle, (answer(404, {}),), (answer(200, AUDIO),)),
    (total_counts_known, (answer(200, [], {"Item-Total": "6"}), 6), (answer(200, [], {"Item-Total": "5"}), 6)),
    (user_handle_of, (answer(200, {"handle": "alice"}),), (answer(401, {}),)),
    (key_token_of, (answer(201, {"token": "t"}),), (answer(201, {"token": ""}),)),
    (key_delete_succeeded, (answer(204),), (answer(404, {}),)),
    (keys_revoked, ([],), (["k1"],)),
    (not_served_without_credentials, (answer(401, {}), "list"), (answer(200, []), "list")),
    (sign_in_gave_token, (answer(200, {"token": "t"}), "alice"), (answer(200, {}), "alice")),
    (file_answered_in_time, (None,), (TimeoutError("no answer in 5 s"),)),
    (non_strict_base64_refused, (answer(PROFILE.reject_statuses["bad_base64"], {}), PROFILE, "url-safe"),
     (answer(201, AUDIO), PROFILE, "url-safe")),
    (invalid_create_refused, (answer(422, {}),), (answer(201, AUDIO),)),
]


@pytest.mark.parametrize(("check", "passing", "failing"), ROWS, ids=[f"{row[0].__name__}-{i}"
                                                                     for i, row in enumerate(ROWS)])
def test_step_check_passes_and_fails_its_own_requirement(check: Callable[..., Any], passing: tuple[Any, ...],
                                                         failing: tuple[Any, ...]) -> None:
    check(*passing)
    with pytest.raises(ConformanceFailure) as excinfo:
        check(*failing)
    registered = REGISTRY[check.__name__]
    assert excinfo.value.requirement == registered.requirement
    assert excinfo.value.check == check.__name__ and excinfo.value.location == registered.location


@pytest.mark.parametrize("requirement", sorted(UPLOAD_REFUSALS))
def test_each_refusal_requirement_has_its_check(requirement: str) -> None:
    """undecodable_refused, invalid_audio_refused, bad_base64_refused, malformed_body_refused, oversize_refused,
    empty_refused, no_audio_stream_refused, truncated_refused, mislabeled_refused, too_long_refused,
    rate_refused, channels_refused: a refusal with the profile's status and nothing stored passes; a 201, or a
    refusal that stored the audio anyway, fails that requirement."""
    refused = UPLOAD_REFUSALS[requirement]
    reason = "undecodable"
    refused(answer(PROFILE.reject_statuses[reason], {}), False, PROFILE, (reason,), "row")
    for response, stored in ((answer(201, AUDIO), False), (answer(PROFILE.reject_statuses[reason], {}), True)):
        with pytest.raises(ConformanceFailure) as excinfo:
            refused(response, stored, PROFILE, (reason,), "row")
        assert excinfo.value.requirement == requirement == REGISTRY[refused.__name__].requirement


def test_fail_outside_a_check_is_an_error_of_the_suite() -> None:
    """Scenarios drive and checks judge: a ``fail()`` that no check encloses is not a target's failure."""
    with pytest.raises(UnboundFailure) as excinfo:
        fail("judged in a scenario", received=1, expected=2)
    assert not isinstance(excinfo.value, AssertionError)


@pytest.mark.parametrize(("judge", "requirement"), [(stateless_answer_allowed, "PROP-STATELESS"),
                                                     (stateful_answer_allowed, "PROP-STATEFUL")])
def test_the_property_runs_judge_schemathesis_findings_by_their_own_requirement(judge: Callable[..., Any],
                                                                                requirement: str) -> None:
    """What schemathesis' built-in checks find is a failure of the run's requirement, decided by its check."""
    with pytest.raises(ConformanceFailure) as excinfo:
        judge("ST108 Response violates schema — GET /x", "200 {}")
    assert (excinfo.value.requirement, excinfo.value.check) == (requirement, judge.__name__)
    assert excinfo.value.title == "ST108 Response violates schema — GET /x"
