"""One outcome model behind every report: per test, then rolled up per requirement (worst wins).

Order, best to worst: ``unsupported`` (the target declares it does not have the capability), ``disabled`` (the
configuration left out what the check needs), ``skip``, ``pass``, ``fail``, ``error`` (the check could not decide,
e.g. a precondition failed). A requirement passes only if something checked it and nothing failed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

ORDER = ("unsupported", "disabled", "skip", "pass", "fail", "error")


def test_outcome(result: Mapping[str, Any]) -> str:
    """The outcome of one recorded test result."""
    outcome = result["outcome"]
    if outcome == "passed":
        return "pass"
    if outcome == "skipped":
        reason = str(result.get("reason", "")).lower().removeprefix("skipped: ")
        for kind in ("unsupported", "disabled"):
            if kind in reason.split(":", 1)[0]:
                return kind
        return "skip"
    return "error" if outcome == "error" else "fail"


def worst(a: str, b: str) -> str:
    """The worse of two outcomes."""
    return a if ORDER.index(a) >= ORDER.index(b) else b


def roll_up(results: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Requirement id → outcome. A failure attributed to another requirement (a failed precondition) fails that
    requirement and leaves the test's own requirements in ``error``: they could not be decided."""
    rolled: dict[str, str] = {}
    for result in results:
        outcome = test_outcome(result)
        declared = list(result.get("requirements", []))
        culprit = result.get("failed_requirement")
        if outcome == "fail" and culprit and culprit not in declared:
            rolled[culprit] = worst(rolled.get(culprit, "unsupported"), "fail")
            outcome = "error"
        for requirement_id in declared:
            rolled[requirement_id] = worst(rolled.get(requirement_id, "unsupported"), outcome)
    return dict(sorted(rolled.items()))
