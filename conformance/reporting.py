"""From a finished test phase to what the reports say: its typed outcome, its facts and its result row.

Facts are taken where they are decided, never parsed back out of text: the requirement ids from the test's
``requirement`` markers, the failing requirement, check and location from the ``ConformanceFailure`` itself
(``conformance/checks/__init__.py``), the reason from the failure's own title and what was received, and the
``facts`` markers a row carries (the access matrix's actor, operation and target). Everything a report carries
passes through the run's redactor here, before pytest writes it anywhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from _pytest.outcomes import Skipped

from conformance import report_listen
from conformance.checks import ConformanceFailure
from conformance.http_stack import TargetError
from conformance.outcomes import Outcome, skip_kind
from conformance.report_glance import glance_outcome
from conformance.run_state import RunState

REASON_LIMIT = 500
SCENARIOS = Path(__file__).resolve().parent / "scenarios"


def requirement_ids(item: pytest.Item) -> list[str]:
    """The requirement ids an item declares, in order."""
    return [rid for mark in item.iter_markers("requirement") for rid in mark.args]


def facts(item: pytest.Item) -> dict[str, Any]:
    """The merged keyword arguments of the item's ``facts`` markers (the closest marker wins)."""
    merged: dict[str, Any] = {}
    for mark in reversed(list(item.iter_markers("facts"))):
        merged.update(mark.kwargs)
    return merged


def outcome_of_call(report: pytest.TestReport, failure: BaseException | None, declared: list[str]) -> Outcome:
    """The typed outcome of one phase of a test, decided from what ended it (see ``conformance.outcomes``): a
    failure of a requirement the test declares fails it; of another one (a precondition), or a target that did
    not answer, leaves it undecided; anything else raised is an error of the suite, never the target's."""
    if report.passed:
        return Outcome.PASS
    if report.skipped:
        return skip_kind(failure) if failure is not None else Outcome.SKIP
    if isinstance(failure, ConformanceFailure):
        return Outcome.FAIL if failure.requirement in declared else Outcome.UNDECIDED
    if isinstance(failure, TargetError | httpx.TransportError):
        return Outcome.UNDECIDED
    return Outcome.ERROR


TARGET_BLAMED = (ConformanceFailure, TargetError, httpx.TransportError)
"""What ends a phase with the target's failure or an undecided check, never a bug of the suite."""


def short_report(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport | None:
    """The report of a phase that a check failed or the target left undecided, with its sentence and the check's
    location as the failure text, built without pytest's own traceback (``None`` for anything else, which keeps
    pytest's full traceback: a suite error is where a traceback helps).

    pytest formats a failure by parsing, for every frame, the whole source file around it: ~25 ms a failure.
    A run against a target that stopped answering (``tests/cli/test_scale.py``) spent 17 of its 40 s writing
    tracebacks nobody reads. A check's failure names its requirement, its check and where it was decided, which
    is what a reader of the report needs; the traceback below it was the suite's plumbing.
    """
    excinfo = call.excinfo
    if excinfo is None or call.when == "collect" or not isinstance(excinfo.value, TARGET_BLAMED):
        return None
    failure = excinfo.value
    if isinstance(failure, ConformanceFailure):
        text = failure_text(failure, excinfo)
    else:
        text = f"{excinfo.exconly()}\nRaised in {_raised_in(excinfo, within=SCENARIOS)}"
    sections = [(f"Captured {key} {when}", content) for when, key, content in item._report_sections]
    return pytest.TestReport(item.nodeid, item.location, dict.fromkeys(item.keywords, 1), "failed",
                             text, call.when, sections, call.duration, call.start,
                             call.stop, user_properties=item.user_properties)


def describe(state: RunState, item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport) -> None:
    """Attach the phase's facts to ``report`` (requirements, failed requirement, kind, reason, crash, facts, the
    HTTP transcript) and redact everything it carries."""
    redact = state.redactor
    report.requirements = requirement_ids(item)  # type: ignore[attr-defined]
    report.facts = facts(item)  # type: ignore[attr-defined]
    failure = getattr(call.excinfo, "value", None) if call.excinfo else None
    report.failed_requirement = getattr(failure, "requirement", None)  # type: ignore[attr-defined]
    kind = outcome_of_call(report, failure, report.requirements)  # type: ignore[attr-defined]
    report.kind = kind.value  # type: ignore[attr-defined]
    report.shown_outcome = glance_outcome(  # type: ignore[attr-defined]
        kind.value, report.failed_requirement,  # type: ignore[attr-defined]
        strict_should=state.settings.profile.strict_should, waived=state.waivers)
    if isinstance(failure, ConformanceFailure):
        report.longrepr = failure_text(failure, call.excinfo)
    if report.when == "call" or report.outcome != "passed":
        transcript = "\n\n".join(e.render(redact) for e in state.transcript.exchanges)
        if transcript:
            report.sections.append(("HTTP transcript", transcript))
    if isinstance(report.longrepr, tuple):  # a skip: (path, line, reason)
        path, line, reason = report.longrepr
        if isinstance(failure, Skipped):  # our typed skips read as plain ones ("Skipped: unsupported: ...")
            reason = f"Skipped: {failure.msg}"
        report.longrepr = (path, line, redact(reason))
    elif report.longrepr is not None:
        report.longrepr = redact(str(report.longrepr))
    report.sections = [(title, redact(text)) for title, text in report.sections]
    crash = call.excinfo.exconly().splitlines()[0] if call.excinfo is not None and failure is not None else ""
    report.crash = "" if isinstance(failure, ConformanceFailure) else redact(crash)  # type: ignore[attr-defined]
    if kind is Outcome.ERROR and call.excinfo is not None:
        report.crash = redact(f"suite error ({_raised_in(call.excinfo)}): {crash}")  # type: ignore[attr-defined]
    report.reason = redact(_reason(report, failure, kind))  # type: ignore[attr-defined]
    report_listen.attach(state, item, report, failure)  # a WAV verdict's players and picture, where the bytes are


def _reason(report: pytest.TestReport, failure: BaseException | None, kind: Outcome) -> str:
    """One line for the result row: a skip's reason; a failure's requirement, title and what was received (a
    precondition's said as such); else the crash line, or the last line pytest wrote."""
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2])
    if not report.failed:
        return ""
    if isinstance(failure, ConformanceFailure):
        prefix = "precondition failed: " if kind is Outcome.UNDECIDED else ""
        received = failure.received.splitlines()[0] if failure.received else ""
        return f"{prefix}[{failure.requirement}] {failure.title} | Received: {received}"[:REASON_LIMIT]
    crash = str(getattr(report, "crash", ""))
    if crash:
        return crash[:REASON_LIMIT]
    lines = [line for line in str(report.longrepr or "").strip().splitlines() if line.strip()]
    return lines[-1][:REASON_LIMIT] if lines else ""


def failure_text(failure: ConformanceFailure, excinfo: pytest.ExceptionInfo[BaseException] | None) -> str:
    """A check's failure as its report shows it: the failure's own lines, then where it was decided."""
    return f"{failure}\n{checked_by(failure, excinfo)}"


def checked_by(failure: ConformanceFailure, excinfo: pytest.ExceptionInfo[BaseException] | None) -> str:
    """Where the deciding check lives, as the failure names it (a failure built by hand, e.g. from one of
    schemathesis' own checks, names no check: then where it was raised)."""
    if failure.check is not None:
        return f"Checked by {failure.check} ({failure.location})"
    if excinfo is None:
        return ""
    entry = excinfo.traceback[-1]
    return f"Raised in {entry.name} ({Path(str(entry.path)).name}:{entry.lineno + 1})"


def _raised_in(excinfo: pytest.ExceptionInfo[BaseException], within: Path | None = None) -> str:
    """The innermost frame (``within`` a directory: the innermost frame there, when there is one)."""
    entries = [e for e in excinfo.traceback if within is None or within in Path(str(e.path)).parents] \
        or excinfo.traceback
    entry = entries[-1]
    return f"{entry.name} in {Path(str(entry.path)).name}:{entry.lineno + 1}"


def result_row(state: RunState, report: pytest.TestReport) -> dict[str, Any]:
    """One result row of certification.json (``kind`` is the typed outcome; ``outcome`` pytest's, with a
    failure that is not the target's written as ``error``)."""
    kind = str(getattr(report, "kind", Outcome.ERROR.value))
    outcome = report.outcome
    if report.failed:
        outcome = "failed" if kind == Outcome.FAIL else "error"
    return {
        "nodeid": report.nodeid, "when": report.when, "outcome": outcome, "kind": kind,
        "requirements": getattr(report, "requirements", []),
        "failed_requirement": getattr(report, "failed_requirement", None),
        "duration_s": round(report.duration, 3), "reason": state.redactor(str(getattr(report, "reason", ""))),
        "facts": getattr(report, "facts", {}),
    }


def scrub_directory(state: RunState, directory: Path) -> None:
    """Redact every text file a writer we do not control left in ``directory`` (Allure writes its own)."""
    for path in directory.iterdir():
        if path.is_file():
            try:
                text = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            scrubbed = state.redactor(text)
            if scrubbed != text:
                path.write_text(scrubbed, encoding="utf-8")
