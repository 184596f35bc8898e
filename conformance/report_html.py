"""pytest-html hooks: a Requirement column (id and level) and a title that names the target.

Registered by the plugin only when pytest-html is active. The transcript itself reaches the HTML as a redacted
report section (see ``plugin.pytest_runtest_makereport``), so nothing here sees a secret.
"""

from __future__ import annotations

from html import escape
from typing import Any

import pytest

from conformance import requirements
from conformance.plugin import STATE_KEY


def pytest_html_report_title(report: Any) -> None:
    """The title says what was certified."""
    report.title = "Voice API conformance report"


def pytest_html_results_table_header(cells: list[str]) -> None:
    """Add the Requirement column after the test name."""
    cells.insert(2, '<th class="sortable" data-column-type="requirement">Requirement</th>')


def pytest_html_results_table_row(report: pytest.TestReport, cells: list[str]) -> None:
    """Each row shows its requirement ids with their level (MUST/SHOULD/PROFILE)."""
    ids = getattr(report, "requirements", [])
    text = ", ".join(f"{rid} ({requirements.get(rid).level.value})" for rid in ids if rid in requirements.CATALOGUE)
    cells.insert(2, f'<td class="col-requirement">{escape(text)}</td>')


def pytest_html_results_summary(prefix: list[str], summary: list[str], postfix: list[str],
                                session: pytest.Session) -> None:
    """The target and profile at the top of the report (the full summary is in certification.json)."""
    state = session.config.stash.get(STATE_KEY, None)
    if state is None:
        return
    settings = state.settings
    target = settings.base_url or "(not resolved)"
    kind = "embedded reference server" if state.embedded else "configured target"
    prefix.append(f"<p>Target: <code>{escape(target)}</code> ({kind}); budget {escape(settings.budget)}; "
                  f"seed {settings.seed}; run id {escape(state.run_id)}.</p>")
