"""pytest-html hooks: the certification summary on top, and a Requirement column (id and level) per row.

Registered by the plugin only when pytest-html is active. The plugin's ``pytest_sessionfinish`` runs first
(``tryfirst``), so the certification exists when pytest-html asks for the summary; its headline is the CLI's
verdict sentence (``conformance.summary.verdict_sentence``). Transcripts reach the HTML as redacted report sections
(``conformance.reporting.describe``), so nothing here sees a secret. The access matrix is drawn from the facts
each access row carries (``@pytest.mark.facts``), never from test ids.
"""

from __future__ import annotations

from html import escape
from typing import Any

import pytest

from conformance import report_glance, requirements
from conformance.run_state import STATE_KEY, RunState
from conformance.summary import verdict_sentence

_COLOURS = {"pass": "#1a7f37", "warn": "#9a6700", "waived": "#8250df", "fail": "#cf222e", "error": "#6e7781",
            "undecided": "#bc4c00",
            "unsupported": "#57606a", "disabled": "#57606a", "skip": "#57606a", "not-run": "#57606a"}


def pytest_html_report_title(report: Any) -> None:
    """The title says what was certified."""
    report.title = "Voice API conformance report"


def pytest_html_results_table_header(cells: list[str]) -> None:
    """Add the Requirement and Area columns after the test name."""
    cells.insert(2, '<th class="sortable" data-column-type="requirement">Requirement</th>')
    cells.insert(3, '<th class="sortable" data-column-type="area">Area</th>')


def pytest_html_results_table_row(report: pytest.TestReport, cells: list[str]) -> None:
    """Each row shows its requirement ids with their level (MUST/SHOULD/PROFILE), and its area; the Area cell
    carries the row's outcome, area and ids for the filters (``conformance.report_glance``)."""
    ids = getattr(report, "requirements", [])
    text = ", ".join(f"{rid} ({requirements.get(rid).level.value})" for rid in ids if rid in requirements.CATALOGUE)
    cells.insert(2, f'<td class="col-requirement">{escape(text)}</td>')
    cells.insert(3, report_glance.area_cell(list(ids), str(getattr(report, "shown_outcome", "error"))))


def pytest_html_results_summary(prefix: list[str], summary: list[str], postfix: list[str],
                                session: pytest.Session) -> None:
    """The certification at the top: verdict, level, target, and the requirement matrix."""
    state = session.config.stash.get(STATE_KEY, None)
    if state is None:
        return
    prefix.append(certification_html(state))
    prefix.append(profile_html(state))
    prefix.append(access_matrix_html(state.results))


def certification_html(state: RunState) -> str:
    """The certification section (verdict line, run facts, requirement table)."""
    settings = state.settings
    result = state.certification
    target = escape(settings.base_url or "(not resolved)")
    kind = "embedded reference server" if state.embedded else "configured target"
    if result is None:
        return f"<p>Target: <code>{target}</code> ({kind}); no certification was produced.</p>"
    colour = _COLOURS["pass" if result.conforms else "fail"]
    headline = escape(verdict_sentence(state.summary or {}, target=settings.base_url))  # the CLI's sentence
    rows = "".join(
        f'<tr><td><code>{escape(rid)}</code></td><td>{v["level"]}</td><td>{escape(v["tier"])}</td>'
        f'<td style="color:{_COLOURS.get(v["outcome"], "#000")};font-weight:bold">{escape(v["outcome"])}</td>'
        f'<td>{escape(v["title"])}</td></tr>'
        for rid, v in result.requirements.items())
    problems = "".join(f"<li>{escape(p)}</li>" for p in result.problems)
    leaks = "".join(f"<li>{escape(leak['space'])}/{escape(leak['handle'])}: {escape(leak['reason'])}</li>"
                    for leak in state.leak_rows)
    return (
        f'<section id="certification"><h2 style="color:{colour}">{headline}</h2>'
        f"<p>Target: <code>{target}</code> ({kind}); budget {escape(settings.budget)}; seed {settings.seed}; "
        f"run id {escape(state.run_id)}; started {escape(state.started)}; target version "
        f"{escape(state.target_version or 'not reported')}.</p>"
        + (f"<p>Problems:</p><ul>{problems}</ul>" if problems else "")
        + (f"<p>Leaks (created and not deleted):</p><ul>{leaks}</ul>" if leaks else "")
        + report_glance.glance_html(state.results, state.summary or {}, processing=settings.profile.processing,
                                    strict_should=settings.profile.strict_should, waived=result.waived)
        + '<details id="requirements-list"><summary>Every requirement and its outcome</summary>'
        '<table id="requirements"><tr><th>Requirement</th><th>Level</th><th>Tier</th><th>Outcome</th>'
        f"<th>Statement</th></tr>{rows}</table></details></section>"
    )


def profile_html(state: RunState) -> str:
    """The profile the run judged by, each value with where it came from (configured, discovered, default), the
    evidence of each discovered one, and discovery's early findings."""
    summary = state.summary or {}
    origins = summary.get("profile_provenance") or {}
    profile = summary.get("profile") or {}
    found = (summary.get("discovery") or {}).get("keys", {})
    rows = []
    for key, origin in origins.items():
        head, _, sub = key.partition(".")
        value = profile.get(head, {}).get(sub) if sub else profile.get(head)
        evidence = "<br>".join(escape(_evidence_line(e)) for e in found.get(key, {}).get("evidence", []))
        why = escape(found.get(key, {}).get("why", "")) if origin == "discovered" else ""
        rows.append(f'<tr class="provenance-{escape(origin)}"><td><code>{escape(key)}</code></td>'
                    f"<td><code>{escape(repr(value))}</code></td><td>{escape(origin)}</td><td>{why}"
                    f"{'<br><small>' + evidence + '</small>' if evidence and origin == 'discovered' else ''}</td></tr>")
    counts: dict[str, int] = {}
    for origin in origins.values():
        counts[origin] = counts.get(origin, 0) + 1
    told = ", ".join(f"{n} {origin}" for origin, n in sorted(counts.items()))
    findings = "".join(f"<li><code>{escape(f['key'])}</code>: {escape(f['observed'])}; not learned, the run "
                       f"keeps <code>{escape(repr(f['kept']))}</code></li>"
                       for f in (summary.get("discovery") or {}).get("findings", []))
    return ('<details id="profile"><summary>Profile: ' + escape(told or "no keys") + "</summary>"
            + (f"<p>Early findings of discovery:</p><ul>{findings}</ul>" if findings else "")
            + "<table><tr><th>Key</th><th>Value</th><th>From</th><th>Why</th></tr>" + "".join(rows)
            + "</table></details>")


def _evidence_line(evidence: dict[str, Any]) -> str:
    status = evidence.get("status") or "no answer"
    detail = f" ({evidence['detail']})" if evidence.get("detail") else ""
    return f"{evidence.get('method')} {evidence.get('path')} → {status}{detail}"


_MARKS = {"passed": ("✓", "pass"), "failed": ("✗", "fail"), "error": ("!", "error"), "skipped": ("–", "skip")}


def access_matrix_html(results: list[dict[str, Any]]) -> str:
    """The access matrix as tables, one per actor: targets down, operations across, each cell its outcome."""
    cells: dict[str, dict[tuple[str, str], str]] = {}
    operations: list[str] = []
    for result in results:
        cell = result.get("facts") or {}
        if not {"actor", "operation", "target"} <= set(cell) or result.get("when") not in ("call", "setup"):
            continue
        actor, operation, target = cell["actor"], cell["operation"], cell["target"]
        if operation not in operations:
            operations.append(operation)
        cells.setdefault(actor, {})[(target, operation)] = result["outcome"]
    if not cells:
        return ""
    tables = []
    for actor, outcomes in cells.items():
        targets = list(dict.fromkeys(target for target, _ in outcomes))
        head = "".join(f"<th>{escape(op)}</th>" for op in operations)
        rows = "".join(
            f"<tr><th>{escape(target)}</th>"
            + "".join(_matrix_cell(outcomes.get((target, op))) for op in operations) + "</tr>"
            for target in targets)
        tables.append(f"<h4>{escape(actor)}</h4><table class=\"access-matrix\"><tr><th>target</th>{head}</tr>"
                      f"{rows}</table>")
    return ("<details id=\"access-matrix\"><summary>Access matrix: actor × operation × target "
            "(✓ as expected, ✗ failed, ! undecided, – skipped)</summary>" + "".join(tables) + "</details>")


def _matrix_cell(outcome: str | None) -> str:
    if outcome is None:
        return "<td></td>"
    mark, kind = _MARKS.get(outcome, ("?", "error"))
    return f'<td style="color:{_COLOURS[kind]};text-align:center" title="{escape(outcome)}">{mark}</td>'
