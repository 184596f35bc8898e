"""A report's facts are taken where they are decided: the reason and "Checked by" from the ``ConformanceFailure``
itself, the facts from the row's ``facts`` markers; nothing is parsed back out of a report's text.

The reason of a failure reads as the failure's own first two lines did ("[ID] title | Received: ..."), so the
result rows of certification.json say what they said when they were parsed out of longrepr.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from conformance import reporting
from conformance.checks import ConformanceFailure
from conformance.http_stack import TargetError
from conformance.redaction import Redactor
from conformance.transcript import Transcript

SECRET = "tok-3f9a61c2"


def mark(name: str, *args: str, **kwargs: str) -> SimpleNamespace:
    """A marker as ``describe`` reads it (``pytest.mark.<name>`` would need the suite's markers registered)."""
    return SimpleNamespace(name=name, args=args, kwargs=kwargs)


class Item:
    """Just what ``describe`` reads of a pytest item: its markers, closest first."""

    def __init__(self, *marks: SimpleNamespace) -> None:
        self.marks = marks
        self.stash = pytest.Stash()  # where a WAV row's audio keeps what it heard (none here)

    def iter_markers(self, name: str) -> list[SimpleNamespace]:
        return [m for m in self.marks if m.name == name]


def described(failure: BaseException, *marks: SimpleNamespace) -> pytest.TestReport:
    def raise_it() -> None:
        raise failure

    call = pytest.CallInfo.from_call(raise_it, when="call")
    report = pytest.TestReport("t.py::t", ("t.py", 1, "t"), {}, "failed", str(failure), "call")
    state: Any = SimpleNamespace(redactor=Redactor([SECRET]), transcript=Transcript(), waivers={},
                                 settings=SimpleNamespace(profile=SimpleNamespace(strict_should=False),
                                                          previews="samples"))
    reporting.describe(state, Item(*marks), call, report)  # type: ignore[arg-type]
    return report


def first_two_lines(failure: ConformanceFailure) -> str:
    lines = [line for line in str(failure).splitlines() if line.strip()]
    return " | ".join(lines[:2])


def test_a_failure_s_reason_is_its_title_and_what_was_received() -> None:
    failure = ConformanceFailure("WAV-RATE", "the stored rate differs", received="8000\nand more", expected="16000",
                                 check="stored_rate_matches", location="wav.py:40")
    report = described(failure, mark("requirement", "WAV-RATE"))
    assert report.reason == "[WAV-RATE] the stored rate differs | Received: 8000" == first_two_lines(failure)
    assert report.kind == "fail" and report.failed_requirement == "WAV-RATE"
    assert str(report.longrepr).endswith("\nChecked by stored_rate_matches (wav.py:40)")


def test_a_long_reason_is_cut_and_a_secret_in_it_redacted() -> None:
    failure = ConformanceFailure("WAV-RATE", "x" * 600, received=SECRET, expected="")
    report = described(failure, mark("requirement", "WAV-RATE"))
    assert len(report.reason) == reporting.REASON_LIMIT and SECRET not in str(report.longrepr)
    short = described(ConformanceFailure("WAV-RATE", "echoed", received=SECRET, expected=""),
                      mark("requirement", "WAV-RATE"))
    assert short.reason.startswith("[WAV-RATE] echoed | Received: ") and SECRET not in short.reason


def test_a_precondition_s_reason_says_so() -> None:
    failure = ConformanceFailure("AUD-CREATE-201", "not created", received="500", expected="201")
    report = described(failure, mark("requirement", "WAV-RATE"))
    assert report.kind == "undecided"
    assert report.reason == f"precondition failed: {first_two_lines(failure)}"


def test_a_failure_built_by_hand_says_where_it_was_raised() -> None:
    report = described(ConformanceFailure("WAV-RATE", "x", received="1", expected="2"),
                       mark("requirement", "WAV-RATE"))
    assert str(report.longrepr).splitlines()[-1].startswith("Raised in raise_it (test_reporting.py:")


def test_any_other_exception_is_a_suite_error_and_its_crash_line_the_reason() -> None:
    report = described(KeyError("state"), mark("requirement", "WAV-RATE"))
    assert report.kind == "error"
    assert report.reason == report.crash
    assert report.crash.startswith("suite error (raise_it in test_reporting.py:")
    assert report.crash.endswith("KeyError: 'state'")


def test_the_facts_markers_reach_the_result_row_merged_closest_first() -> None:
    report = described(ConformanceFailure("ACCESS-FOREIGN-DENIED", "read", received="200", expected="404"),
                       mark("requirement", "ACCESS-FOREIGN-DENIED"),
                       mark("facts", actor="outsider", operation="get_file"),
                       mark("facts", actor="primary", target="foreign_space"))
    row = reporting.result_row(SimpleNamespace(redactor=Redactor()), report)  # type: ignore[arg-type]
    assert row["facts"] == {"actor": "outsider", "operation": "get_file", "target": "foreign_space"}
    assert row["reason"] == report.reason and row["outcome"] == "failed"


def test_a_failed_should_shows_as_a_warning_in_the_report_rows() -> None:
    failure = ConformanceFailure("AUTH-CHALLENGE", "no challenge", received="no header", expected="Bearer")
    report = described(failure, mark("requirement", "AUTH-CHALLENGE"))
    assert report.kind == "fail" and report.shown_outcome == "warn"  # type: ignore[attr-defined]


class Phase:
    """Just what ``short_report`` reads of a pytest item besides its markers."""

    nodeid = "test_file.py::test_file_is_same_sound[wav]"
    location = ("test_file.py", 53, "test_file_is_same_sound[wav]")
    keywords = {"test_file_is_same_sound[wav]": 1}
    _report_sections = [("call", "stdout", "printed")]
    user_properties: list[tuple[str, object]] = []


def raised(failure: BaseException) -> pytest.CallInfo[None]:
    def check_the_file() -> None:
        raise failure

    return pytest.CallInfo.from_call(check_the_file, when="call")


@pytest.mark.parametrize("failure", [
    ConformanceFailure("WAV-RATE", "the stored rate differs", received="8000", expected="16000",
                       check="stored_rate_matches", location="wav.py:40"),
    TargetError("GET http://127.0.0.1:9/v1/spaces/alice/main/audios/a/file did not answer within 2 s"),
    httpx.ReadError("connection reset"),
], ids=["check-failure", "target-error", "transport-error"])
def test_the_target_s_failure_is_reported_by_its_sentence_and_where_not_a_traceback(failure: BaseException) -> None:
    """pytest's own traceback of a failure parses the source of every frame (~40 ms a failure); a check's failure
    or an unanswered request is the target's, and its sentence says all a reader needs."""
    report = reporting.short_report(Phase(), raised(failure))  # type: ignore[arg-type]
    assert report is not None and report.failed and report.when == "call"
    assert report.nodeid == Phase.nodeid and report.location == Phase.location
    text = str(report.longrepr)
    assert str(failure) in text and "Traceback" not in text and len(text.splitlines()) <= 4
    assert text.splitlines()[-1] in ("Checked by stored_rate_matches (wav.py:40)", "Raised in check_the_file in "
                                     f"test_reporting.py:{raised.__code__.co_firstlineno + 2}")
    assert report.sections == [("Captured stdout call", "printed")]


@pytest.mark.parametrize("call", [pytest.CallInfo.from_call(lambda: None, when="call"),
                                  raised(KeyError("state"))], ids=["passed", "suite-error"])
def test_a_pass_or_a_suite_error_keeps_pytest_s_own_report(call: pytest.CallInfo[None]) -> None:
    """A suite error keeps its whole traceback: there it is what a maintainer needs."""
    assert reporting.short_report(Phase(), call) is None  # type: ignore[arg-type]
