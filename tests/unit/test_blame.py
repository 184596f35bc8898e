"""Honest blame: what ends a test decides its outcome by type, and only a failure the suite saw is the target's.

Finding 3 of the portable-oracle issue: Hypothesis raised ``FlakyStrategyDefinition`` inside the stateful run and
the suite charged it to the target. Any exception that is not a ``ConformanceFailure`` is the suite's own error.
"""

from __future__ import annotations

import httpx
import hypothesis.errors
import pytest

from conformance.checks import ConformanceFailure
from conformance.http_stack import TargetError
from conformance.outcomes import Outcome, Unsupported
from conformance.properties.runner import PropertyEngineError, PropertyRun
from conformance.reporting import outcome_of_call
from conformance.run_state import RunDeadline


def report(outcome: str, when: str = "call") -> pytest.TestReport:
    return pytest.TestReport("t.py::t", ("t.py", 1, "t"), {}, outcome, None, when)


@pytest.mark.parametrize(("outcome", "failure", "expected"), [
    ("passed", None, Outcome.PASS),
    ("failed", ConformanceFailure("WAV-RATE", "x", received=1, expected=2), Outcome.FAIL),
    ("failed", ConformanceFailure("AUD-CREATE-201", "precondition", received=1, expected=2), Outcome.UNDECIDED),
    ("failed", TargetError("no answer"), Outcome.UNDECIDED),
    ("failed", RunDeadline("deadline"), Outcome.UNDECIDED),
    ("failed", httpx.ReadTimeout("slow"), Outcome.UNDECIDED),
    ("failed", KeyError("state"), Outcome.ERROR),
    ("failed", hypothesis.errors.FlakyStrategyDefinition("Inconsistent data generation"), Outcome.ERROR),
    ("failed", hypothesis.errors.FailedHealthCheck("too slow"), Outcome.ERROR),
    ("failed", AssertionError("a bare assert in a check"), Outcome.ERROR),
    ("skipped", Unsupported(msg="unsupported: no delete"), Outcome.UNSUPPORTED),
])
def test_outcome_is_decided_by_what_ended_the_test(outcome: str, failure: BaseException | None,
                                                  expected: Outcome) -> None:
    assert outcome_of_call(report(outcome), failure, ["WAV-RATE"]) is expected


def _run() -> PropertyRun:
    return PropertyRun(schema=None, checks=None, seed=1, budget=None, transcript=None, headers={})  # type: ignore[arg-type]


def test_a_flaky_hypothesis_run_without_any_failing_answer_is_a_suite_error() -> None:
    run = _run()
    with pytest.raises(PropertyEngineError, match="FlakyStrategyDefinition"), run.deciding():
        raise hypothesis.errors.FlakyStrategyDefinition("Inconsistent data generation! ...")


def test_a_flaky_replay_of_a_failure_that_was_seen_reports_what_was_seen() -> None:
    run = _run()
    seen = ConformanceFailure("PROP-STATEFUL", "use after free", received="200", expected="404")
    flaky = hypothesis.errors.FlakyFailure("replay did not fail", [seen])
    with pytest.raises(ConformanceFailure) as excinfo, run.deciding():
        raise flaky
    assert excinfo.value is seen


def test_a_target_that_stopped_answering_leaves_the_property_undecided_whatever_hypothesis_says() -> None:
    run = _run()
    with pytest.raises(TargetError), run.deciding():
        run.undecided = TargetError("stopped answering")
        raise hypothesis.errors.FlakyStrategyDefinition("changed")
