"""Discovery's rules, both ways: what a conforming answer teaches, and what no conforming value explains.

Each rule (``conformance/discover/rules.py``) returns a decision or a finding; a finding keeps the reference value,
so these tables are where "a discovered profile never makes a faulty target conform" is decided per answer.
"""

from __future__ import annotations

import pytest

from conformance.discover import rules
from conformance.discover.model import CONFLICTING, OBSERVED, Decision, Discovery, Evidence, Finding


def answer(status: int | None, detail: str = "") -> Evidence:
    return Evidence("GET", "/spaces/a/b/audios", status, detail)


@pytest.mark.parametrize(("statuses", "allowed", "value", "provenance"), [
    ((404,), rules.DELETED, [404], OBSERVED),
    ((410,), rules.DELETED, [410], OBSERVED),
    ((422,), rules.INVALID_REQUEST, [422], OBSERVED),
    ((404, 410), rules.DELETED, [404, 410], CONFLICTING),
])
def test_a_status_the_contract_allows_is_learned(statuses, allowed, value, provenance) -> None:
    outcome = rules.status_set("deleted_statuses", [answer(s) for s in statuses], allowed, [404], why="seen")
    assert isinstance(outcome, Decision)
    assert (outcome.value, outcome.provenance) == (value, provenance)
    assert [e.status for e in outcome.evidence] == list(statuses)


@pytest.mark.parametrize(("key", "status", "allowed"), [
    ("deleted_statuses", 200, rules.DELETED),           # delete-noop: the audio is still there
    ("invalid_request_statuses", 200, rules.INVALID_REQUEST),  # page-size 51 accepted
    ("reject_statuses.bad_base64", 500, rules.REFUSALS),  # a client's mistake answered 500
    ("reject_statuses.undecodable", 201, rules.REFUSALS),  # corrupt media stored
    ("unauthenticated_statuses", 200, rules.UNAUTHENTICATED),  # no credentials, and in
    ("conflict_statuses", 200, rules.CONFLICT),          # a second raw upload replaced the file
])
def test_an_answer_no_allowed_value_explains_is_a_finding_and_keeps_the_reference(key, status, allowed) -> None:
    outcome = rules.status_set(key, [answer(status)], allowed, "REFERENCE", why="seen")
    assert isinstance(outcome, Finding)
    assert outcome.kept == "REFERENCE"
    assert outcome.key == key


@pytest.mark.parametrize("rule", [
    lambda: rules.status_set("deleted_statuses", [answer(404), answer(None)], rules.DELETED, "REF", why="seen"),
    lambda: rules.capability("capabilities.delete", answer(None), "REF", what="deleting"),
    lambda: rules.fileless_form(answer(201), answer(None), "avaitingFile", None, "REF"),
    lambda: rules.hide_existence(answer(None), answer(404), same_body=False, reference="REF"),
])
def test_a_probe_without_an_answer_decides_nothing(rule) -> None:
    """A timeout or a stopped answer is the transport's finding, judged by the run: discovery keeps the reference
    value and says why, and reports no early finding."""
    outcome = rule()
    assert isinstance(outcome, Decision)
    assert (outcome.value, outcome.provenance) == ("REF", "defaulted")
    assert outcome.why.startswith("no usable answer")


def test_a_refusal_may_be_any_client_error_but_those_that_mean_something_else() -> None:
    assert {400, 413, 415, 422} <= set(rules.REFUSALS)
    assert not {401, 403, 429} & set(rules.REFUSALS)
    assert all(400 <= s < 500 for s in rules.REFUSALS)


def test_one_reason_answered_two_ways_conflicts_and_keeps_the_first() -> None:
    outcome = rules.single_status("reject_statuses.malformed", [answer(400), answer(422)], rules.REFUSALS, 400,
                                  why="seen")
    assert isinstance(outcome, Decision)
    assert (outcome.value, outcome.provenance) == (400, CONFLICTING)
    assert "400, 422" in outcome.why


@pytest.mark.parametrize(("status", "present"), [(201, True), (204, True), (404, False), (405, False), (501, False)])
def test_a_capability_is_present_when_done_and_absent_when_refused_as_unsupported(status, present) -> None:
    outcome = rules.capability("capabilities.delete", answer(status), True, what="deleting")
    assert isinstance(outcome, Decision) and outcome.value is present


@pytest.mark.parametrize("status", [400, 500])
def test_a_capability_neither_done_nor_refused_as_unsupported_is_a_finding(status) -> None:
    outcome = rules.capability("capabilities.delete", answer(status), True, what="deleting")
    assert isinstance(outcome, Finding) and outcome.kept is True


@pytest.mark.parametrize(("omit", "null", "form"), [
    (201, 201, "either"), (201, 400, "omit"), (400, 201, "null"), (400, 400, "unsupported"), (422, 422, "unsupported"),
])
def test_the_fileless_form_is_read_from_which_body_is_taken(omit, null, form) -> None:
    outcome = rules.fileless_form(answer(omit), answer(null), "avaitingFile" if omit < 300 else None,
                                  "avaitingFile" if null < 300 else None, "either")
    assert isinstance(outcome, Decision) and outcome.value == form


def test_a_fileless_create_that_answers_another_state_is_a_finding() -> None:
    outcome = rules.fileless_form(answer(201), answer(201), "available", "avaitingFile", "either")
    assert isinstance(outcome, Finding) and outcome.kept == "either"


@pytest.mark.parametrize(("foreign", "unknown", "same", "hidden"), [
    (404, 404, True, True), (403, 403, True, True), (403, 404, False, False), (404, 404, False, False),
])
def test_existence_is_hidden_when_a_foreign_space_and_an_unknown_one_answer_alike(foreign, unknown, same,
                                                                                  hidden) -> None:
    outcome = rules.hide_existence(answer(foreign), answer(unknown), same_body=same, reference=True)
    assert isinstance(outcome, Decision) and outcome.value is hidden


@pytest.mark.parametrize("foreign", [200, 401, 500])
def test_a_foreign_space_that_is_not_denied_is_a_finding(foreign) -> None:
    outcome = rules.hide_existence(answer(foreign), answer(404), same_body=False, reference=True)
    assert isinstance(outcome, Finding) and outcome.kept is True


def test_an_answer_cannot_write_keys_into_the_profile_file() -> None:
    """A hostile title with line breaks stays inside its comment: the file holds only the discovered keys."""
    import tomllib

    from conformance.discover.output import to_toml

    found = Discovery(target="http://t/v1")
    hostile = Evidence("GET", "/user", 401, "title: x\nprocessing = \"async\"\r\n[capabilities]\u2028delete = false")
    found.decide(Decision("unauthenticated_statuses", [401], OBSERVED, "seen\nclock_skew_s = 1", (hostile,)))
    data = tomllib.loads(to_toml(found))
    assert set(data) == {"unauthenticated_statuses", "discovery"}


def test_only_observed_and_conflicting_values_become_overrides() -> None:
    found = Discovery(target="http://t/v1")
    found.decide(Decision("processing", "async", OBSERVED, "seen"))
    found.decide(Decision("capabilities.delete", False, OBSERVED, "seen"))
    found.decide(Decision("reject_statuses.malformed", 422, CONFLICTING, "two"))
    found.decide(Decision("clock_skew_s", 300.0, "defaulted", "a tolerance"))
    assert found.observed_overrides() == {"processing": "async", "capabilities": {"delete": False},
                                          "reject_statuses": {"malformed": 422}}
    with pytest.raises(ValueError, match="provenance"):
        Decision("processing", "sync", "guessed", "no")
