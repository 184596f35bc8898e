"""One outcome model: per test result, then rolled up per requirement, worst wins."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.outcomes import ORDER, Outcome, disabled, roll_up, skip_kind, unsupported, worst
from conformance.outcomes import test_outcome as outcome_of  # renamed so that pytest does not collect it


def result(outcome: str, *requirements: str, reason: str = "", culprit: str | None = None) -> dict[str, Any]:
    return {"nodeid": "t", "outcome": outcome, "requirements": list(requirements), "reason": reason,
            "failed_requirement": culprit}


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"outcome": "passed", "kind": "pass"}, "pass"),
        ({"outcome": "failed", "kind": "fail"}, "fail"),
        ({"outcome": "error", "kind": "undecided"}, "undecided"),
        ({"outcome": "error", "kind": "error"}, "error"),
        ({"outcome": "skipped", "kind": "disabled", "reason": "whatever the text says"}, "disabled"),
        ({"outcome": "skipped", "kind": "unsupported"}, "unsupported"),
        # the text never decides: a plain skip whose reason reads like a kind stays a skip
        ({"outcome": "skipped", "kind": "skip", "reason": "unsupported: looks like one"}, "skip"),
        # rows of an older suite without a kind (read back by `conformance diff`)
        ({"outcome": "passed"}, "pass"),
        ({"outcome": "failed"}, "fail"),
        ({"outcome": "error"}, "undecided"),
        ({"outcome": "skipped", "reason": "disabled: no [spaces.org]"}, "skip"),
    ],
)
def test_outcome_mapping(record: dict[str, Any], expected: str) -> None:
    assert outcome_of(record) == expected


@pytest.mark.parametrize(("raise_it", "expected"), [(lambda: unsupported("no delete"), Outcome.UNSUPPORTED),
                                                    (lambda: disabled("no [actors.outsider]"), Outcome.DISABLED),
                                                    (lambda: pytest.skip("disabled: by text only"), Outcome.SKIP)])
def test_skip_kind_is_decided_by_type(raise_it: Any, expected: Outcome) -> None:
    with pytest.raises(pytest.skip.Exception) as excinfo:
        raise_it()
    assert skip_kind(excinfo.value) is expected
    assert excinfo.value.msg.startswith(("unsupported: ", "disabled: "))


def test_order_best_to_worst() -> None:
    assert ORDER == ("unsupported", "disabled", "skip", "pass", "fail", "undecided", "error")


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [("pass", "fail", "fail"), ("fail", "pass", "fail"), ("skip", "pass", "pass"), ("fail", "undecided", "undecided"),
     ("undecided", "error", "error"), ("disabled", "skip", "skip"), ("unsupported", "disabled", "disabled"),
     ("pass", "pass", "pass")],
)
def test_worst(a: str, b: str, expected: str) -> None:
    assert worst(a, b) == expected


def test_roll_up_worst_wins_per_requirement() -> None:
    rolled = roll_up([
        result("passed", "AUD-CREATE-201", "AUD-SCHEMA-FIELDS"),
        result("failed", "AUD-SCHEMA-FIELDS", culprit="AUD-SCHEMA-FIELDS"),
        result("passed", "AUD-SCHEMA-FIELDS"),
        result("passed", "WAV-RATE"),
        result("error", "WAV-RATE"),
    ])
    assert rolled == {"AUD-CREATE-201": "pass", "AUD-SCHEMA-FIELDS": "fail", "WAV-RATE": "undecided"}


def test_roll_up_pass_beats_skip() -> None:
    rolled = roll_up([
        result("skipped", "AUTH-CHALLENGE", reason="no network"),
        result("passed", "AUTH-CHALLENGE"),
        result("skipped", "WAV-RATE"),
    ])
    assert rolled == {"AUTH-CHALLENGE": "pass", "WAV-RATE": "skip"}


def test_roll_up_disabled_and_unsupported_only() -> None:
    rolled = roll_up([
        {**result("skipped", "ACCESS-ORG-ALLOWED"), "kind": "disabled"},
        {**result("skipped", "ACCESS-ORG-ALLOWED"), "kind": "unsupported"},
        {**result("skipped", "AUTH-INVALID-401"), "kind": "unsupported"},
    ])
    assert rolled == {"ACCESS-ORG-ALLOWED": "disabled", "AUTH-INVALID-401": "unsupported"}


def test_suite_error_is_never_charged_to_a_culprit() -> None:
    rolled = roll_up([{**result("error", "WAV-RATE", culprit="AUD-CREATE-201"), "kind": "error"}])
    assert rolled == {"WAV-RATE": "error"}


def test_failure_attributed_to_another_requirement() -> None:
    rolled = roll_up([result("failed", "WAV-RATE", "WAV-DURATION", culprit="AUD-CREATE-201")])
    assert rolled == {"AUD-CREATE-201": "fail", "WAV-DURATION": "undecided", "WAV-RATE": "undecided"}


def test_culprit_fail_is_not_masked_by_a_later_pass_and_undecided_is_worse() -> None:
    rolled = roll_up([
        result("failed", "WAV-RATE", culprit="AUD-CREATE-201"),
        result("passed", "AUD-CREATE-201"),
        result("passed", "WAV-RATE"),
    ])
    assert rolled == {"AUD-CREATE-201": "fail", "WAV-RATE": "undecided"}


def test_failure_of_a_declared_requirement_fails_it() -> None:
    rolled = roll_up([result("failed", "WAV-RATE", "WAV-DURATION", culprit="WAV-RATE")])
    assert rolled == {"WAV-DURATION": "fail", "WAV-RATE": "fail"}


def test_failure_without_a_culprit_fails_the_declared_requirements() -> None:
    assert roll_up([result("failed", "WAV-RATE")]) == {"WAV-RATE": "fail"}


def test_undecided_precondition_is_charged_to_its_step_only() -> None:
    """A fixture's failed precondition (recorded as an error row) blames the step's requirement, and leaves the
    test's own requirement undecided (issue: honest blame)."""
    rolled = roll_up([{**result("error", "WAV-RATE", culprit="AUD-CREATE-201"), "kind": "undecided"}])
    assert rolled == {"AUD-CREATE-201": "fail", "WAV-RATE": "undecided"}


def test_roll_up_is_sorted_and_ignores_results_without_requirements() -> None:
    rolled = roll_up([result("passed", "WAV-RATE"), result("failed"), result("passed", "AUD-CREATE-201")])
    assert list(rolled) == ["AUD-CREATE-201", "WAV-RATE"]
    assert roll_up([]) == {}
