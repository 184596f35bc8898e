"""report.html at a glance: areas by requirement prefix, outcomes as the certification counts them, bars that
link to their rows, the time-to-available histogram and the slowest checks."""

from __future__ import annotations

import re

from conformance.report_glance import (
    area_bars_html,
    area_cell,
    area_of,
    glance_outcome,
    slowest_html,
    time_to_available_html,
)


def row(nodeid: str, kind: str, *ids: str, failed: str | None = None, duration: float = 0.1) -> dict[str, object]:
    return {"nodeid": nodeid, "kind": kind, "requirements": list(ids), "failed_requirement": failed,
            "duration_s": duration}


def test_areas_follow_the_requirement_prefix() -> None:
    assert area_of(["AUTH-MISSING-401"]) == "auth" and area_of(["KEYS-REVOKE"]) == "auth"
    assert area_of(["AUD-CREATE-201"]) == "upload" and area_of(["MEDIA-REJECT-EMPTY"]) == "upload"
    assert area_of(["AUD-DETAILS-200"]) == "details" and area_of(["WAV-SAME-SOUND"]) == "wav"
    assert area_of(["LIST-SORT"]) == "list" and area_of(["PATCH-ALIAS", "WAV-FORMAT"]) == "lifecycle"
    assert area_of(["PROP-STATELESS"]) == "properties" and area_of([]) == "other"


def test_a_failed_should_is_a_warning_unless_strict_and_a_waived_one_is_waived() -> None:
    assert glance_outcome("fail", "AUTH-CHALLENGE", strict_should=False) == "warn"
    assert glance_outcome("fail", "AUTH-CHALLENGE", strict_should=True) == "fail"
    assert glance_outcome("fail", "WAV-SAME-SOUND", strict_should=False) == "fail"
    assert glance_outcome("fail", "WAV-SAME-SOUND", strict_should=False, waived=["WAV-SAME-SOUND"]) == "waived"
    assert glance_outcome("undecided", "WAV-GET-200", strict_should=False) == "undecided"


def test_bars_split_each_area_by_outcome_and_link_to_its_rows() -> None:
    html = area_bars_html([row("a", "pass", "WAV-FORMAT"), row("b", "fail", "WAV-SAME-SOUND", failed="WAV-SAME-SOUND"),
                           row("c", "fail", "WAV-SAME-SOUND", failed="WAV-SAME-SOUND"),
                           row("d", "disabled", "ACCESS-ORG-ALLOWED")], strict_should=False)
    segments = re.findall(r'<a class="cf-seg" href="#results-table" data-area="(\w+)" data-outcome="(\w+)" '
                          r'title="[^"]*: (\d+) \w+"', html)
    assert segments == [("access", "disabled", "1"), ("wav", "pass", "1"), ("wav", "fail", "2")]
    assert "3 rows: 1 pass, 2 fail" in html
    assert html.count('class="cf-bar-row"') == 8  # every listed area, even with no rows; no transport row


def test_the_area_cell_carries_what_the_filters_read() -> None:
    cell = area_cell(["WAV-SAME-SOUND", "WAV-FORMAT"], "fail")
    assert 'data-outcome="fail" data-area="wav" data-requirements="WAV-SAME-SOUND WAV-FORMAT"' in cell


def test_time_to_available_is_a_histogram_for_an_asynchronous_target_only() -> None:
    summary = {"time_to_available": {"samples": [0.1, 0.2, 0.2, 1.3], "p50_s": 0.2, "p95_s": 1.3}}
    html = time_to_available_html(summary, processing="async", bins=4)
    assert "4 uploads; p50 0.20 s, p95 1.30 s, max 1.30 s" in html
    assert re.findall(r'height:([\d.]+)%', html) == ["100.0", "0.0", "0.0", "33.3"]
    assert "Synchronous target" in time_to_available_html(summary, processing="sync")


def test_the_slowest_checks_come_first_and_are_ten() -> None:
    html = slowest_html([row(f"t{i}", "pass", "LIST-SORT", duration=i / 10) for i in range(15)], strict_should=False)
    assert html.count("<tr>") == 11 and html.index("t14") < html.index("t13") and "t4<" not in html
