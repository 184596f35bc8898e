"""One outcome model behind every report: per test, then rolled up per requirement (worst wins).

An outcome is decided once, where it happens, from the *type* of what ended the test (never from its text):

- ``unsupported``: the target declares it lacks what the check needs (:func:`unsupported`);
- ``disabled``: the configuration left out an actor, a space or an audio the check needs (:func:`disabled`);
- ``skip``: any other skip;
- ``pass``;
- ``fail``: the suite saw the behaviour the requirement is about, and it is wrong (a ``ConformanceFailure`` of a
  requirement the test declares);
- ``undecided``: the check could not decide: a step before the behaviour failed (a ``ConformanceFailure`` of
  another requirement, which is charged to that requirement only), the target stopped answering, or the run's
  deadline was reached;
- ``error``: the suite itself broke (a bug in a check, a ``KeyError`` on an unexpected body, a Hypothesis
  health-check or flakiness error). Never a failure of the target: the verdict says which requirements could not
  be certified because of it.

Order, best to worst, is :data:`ORDER`; a requirement passes only if something checked it and nothing was worse.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, NoReturn

from _pytest.outcomes import Skipped


class Outcome(StrEnum):
    """The outcome of one test, and of a requirement once rolled up."""

    UNSUPPORTED = "unsupported"
    DISABLED = "disabled"
    SKIP = "skip"
    PASS = "pass"
    FAIL = "fail"
    UNDECIDED = "undecided"
    ERROR = "error"


ORDER: tuple[str, ...] = tuple(o.value for o in Outcome)


class Unsupported(Skipped):
    """Skip: the target's profile says it lacks the capability or choice the check is about."""


class Disabled(Skipped):
    """Skip: the configuration does not name what the check needs (an actor, a space, an audio)."""


def unsupported(reason: str) -> NoReturn:
    """End the test as ``unsupported`` (the reason is for people; the type decides the outcome)."""
    raise Unsupported(msg=f"unsupported: {reason}", allow_module_level=True)


def disabled(reason: str) -> NoReturn:
    """End the test as ``disabled``."""
    raise Disabled(msg=f"disabled: {reason}", allow_module_level=True)


def skip_kind(exc: BaseException) -> Outcome:
    """The outcome of a skip exception, by its type."""
    if isinstance(exc, Unsupported):
        return Outcome.UNSUPPORTED
    if isinstance(exc, Disabled):
        return Outcome.DISABLED
    return Outcome.SKIP


def test_outcome(result: Mapping[str, Any]) -> str:
    """The outcome of one recorded result row: its typed ``kind`` (written where it was decided). Rows without
    one (results of an older suite, read back by ``conformance diff``) map pytest's word plainly."""
    kind = result.get("kind")
    if kind in ORDER:
        return str(kind)
    outcome = result["outcome"]
    if outcome == "passed":
        return Outcome.PASS.value
    if outcome == "skipped":
        return Outcome.SKIP.value
    return Outcome.UNDECIDED.value if outcome == "error" else Outcome.FAIL.value


def worst(a: str, b: str) -> str:
    """The worse of two outcomes."""
    return a if ORDER.index(a) >= ORDER.index(b) else b


def roll_up(results: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Requirement id → outcome. A failure attributed to another requirement (a failed precondition) fails that
    requirement and leaves the test's own requirements ``undecided``: they could not be decided."""
    rolled: dict[str, str] = {}
    for result in results:
        outcome = test_outcome(result)
        declared = list(result.get("requirements", []))
        culprit = result.get("failed_requirement")
        if outcome in (Outcome.FAIL, Outcome.UNDECIDED) and culprit and culprit not in declared:
            rolled[culprit] = worst(rolled.get(culprit, Outcome.UNSUPPORTED.value), Outcome.FAIL.value)
            outcome = Outcome.UNDECIDED.value
        for requirement_id in declared:
            rolled[requirement_id] = worst(rolled.get(requirement_id, Outcome.UNSUPPORTED.value), outcome)
    return dict(sorted(rolled.items()))
