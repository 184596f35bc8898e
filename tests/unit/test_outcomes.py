"""One outcome model: per test result, then rolled up per requirement, worst wins."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.outcomes import ORDER, roll_up, worst
from conformance.outcomes import test_outcome as outcome_of  # renamed so that pytest does not collect it


def result(outcome: str, *requirements: str, reason: str = "", culprit: str | None = None) -> dict[str, Any]:
    return {"nodeid": "t", "outcome": outcome, "requirements": list(requirements), "reason": reason,
            "failed_requirement": culprit}


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"outcome": "passed"}, "pass"),
        ({"outcome": "failed"}, "fail"),
        ({"outcome": "error"}, "error"),
        ({"outcome": "skipped"}, "skip"),
        ({"outcome": "skipped", "reason": "no network"}, "skip"),
        ({"outcome": "skipped", "reason": "disabled: no [actors.outsider] in the configuration"}, "disabled"),
        ({"outcome": "skipped", "reason": "Disabled: no [spaces.org]"}, "disabled"),
        ({"outcome": "skipped", "reason": "unsupported: capability raw_upload not declared"}, "unsupported"),
        ({"outcome": "skipped", "reason": "UNSUPPORTED: delete"}, "unsupported"),
        # the kind must be the prefix, not a word later in the reason
        ({"outcome": "skipped", "reason": "slow: it would be disabled: later"}, "skip"),
        ({"outcome": "skipped", "reason": "budget: unsupported in quick runs"}, "skip"),
    ],
)
def test_outcome_mapping(record: dict[str, Any], expected: str) -> None:
    assert outcome_of(record) == expected


@pytest.mark.parametrize(("message", "expected"), [("disabled: no [actors.outsider]", "disabled"),
                                                   ("unsupported: capability delete", "unsupported")])
def test_outcome_of_a_skip_reason_as_pytest_reports_it(message: str, expected: str) -> None:
    with pytest.raises(pytest.skip.Exception) as excinfo:
        pytest.skip(message)
    reason = excinfo.exconly()  # what the report's longrepr[2] holds, e.g. "Skipped: disabled: ..."
    assert reason.startswith("Skipped: ")
    assert outcome_of({"outcome": "skipped", "reason": reason}) == expected


def test_order_best_to_worst() -> None:
    assert ORDER == ("unsupported", "disabled", "skip", "pass", "fail", "error")


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [("pass", "fail", "fail"), ("fail", "pass", "fail"), ("skip", "pass", "pass"), ("fail", "error", "error"),
     ("disabled", "skip", "skip"), ("unsupported", "disabled", "disabled"), ("pass", "pass", "pass")],
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
    assert rolled == {"AUD-CREATE-201": "pass", "AUD-SCHEMA-FIELDS": "fail", "WAV-RATE": "error"}


def test_roll_up_pass_beats_skip() -> None:
    rolled = roll_up([
        result("skipped", "AUTH-CHALLENGE", reason="no network"),
        result("passed", "AUTH-CHALLENGE"),
        result("skipped", "WAV-RATE"),
    ])
    assert rolled == {"AUTH-CHALLENGE": "pass", "WAV-RATE": "skip"}


def test_roll_up_disabled_and_unsupported_only() -> None:
    rolled = roll_up([
        result("skipped", "ACCESS-ORG-ALLOWED", reason="disabled: no [spaces.org]"),
        result("skipped", "ACCESS-ORG-ALLOWED", reason="unsupported: nothing"),
        result("skipped", "AUTH-INVALID-401", reason="unsupported: x"),
    ])
    assert rolled == {"ACCESS-ORG-ALLOWED": "disabled", "AUTH-INVALID-401": "unsupported"}


def test_failure_attributed_to_another_requirement() -> None:
    rolled = roll_up([result("failed", "WAV-RATE", "WAV-DURATION", culprit="AUD-CREATE-201")])
    assert rolled == {"AUD-CREATE-201": "fail", "WAV-DURATION": "error", "WAV-RATE": "error"}


def test_culprit_fail_is_not_masked_by_a_later_pass_but_error_is_worse() -> None:
    rolled = roll_up([
        result("failed", "WAV-RATE", culprit="AUD-CREATE-201"),
        result("passed", "AUD-CREATE-201"),
        result("passed", "WAV-RATE"),
    ])
    assert rolled == {"AUD-CREATE-201": "fail", "WAV-RATE": "error"}


def test_failure_of_a_declared_requirement_fails_it() -> None:
    rolled = roll_up([result("failed", "WAV-RATE", "WAV-DURATION", culprit="WAV-RATE")])
    assert rolled == {"WAV-DURATION": "fail", "WAV-RATE": "fail"}


def test_failure_without_a_culprit_fails_the_declared_requirements() -> None:
    assert roll_up([result("failed", "WAV-RATE")]) == {"WAV-RATE": "fail"}


def test_error_with_a_culprit_is_not_blamed_on_it() -> None:
    assert roll_up([result("error", "WAV-RATE", culprit="AUD-CREATE-201")]) == {"WAV-RATE": "error"}


def test_roll_up_is_sorted_and_ignores_results_without_requirements() -> None:
    rolled = roll_up([result("passed", "WAV-RATE"), result("failed"), result("passed", "AUD-CREATE-201")])
    assert list(rolled) == ["AUD-CREATE-201", "WAV-RATE"]
    assert roll_up([]) == {}
