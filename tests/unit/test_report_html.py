"""The access matrix section of the HTML report is built from the facts each access row carries, not its id."""

from __future__ import annotations

from conformance.report_html import access_matrix_html


def result(cell: str, outcome: str) -> dict[str, object]:
    actor, operation, target = cell.split("-") if cell.count("-") == 2 else ("", "", "")
    facts = {"actor": actor, "operation": operation, "target": target} if actor else {}
    return {"nodeid": f"test_access.py::test_access[{cell}]", "when": "call", "outcome": outcome, "facts": facts}


def test_matrix_has_one_table_per_actor_with_each_cell_outcome() -> None:
    html = access_matrix_html([
        result("primary-get_file-foreign_space", "failed"),
        result("primary-list-own_space", "passed"),
        result("outsider-list-foreign_space", "skipped"),
        {"nodeid": "test_file.py::test_file_is_same_sound[x]", "when": "call", "outcome": "failed"},
        {"nodeid": "test_access.py::test_access[a-b-c]", "when": "call", "outcome": "failed"},  # no facts: no cell
    ])
    assert html.count("<table") == 2 and "<h4>primary</h4>" in html and "<h4>outsider</h4>" in html
    assert 'title="failed">✗' in html and 'title="passed">✓' in html and 'title="skipped">–' in html
    assert "same_sound" not in html and "<h4>a</h4>" not in html


def test_no_access_results_means_no_section() -> None:
    assert access_matrix_html([result("x", "passed")]) == ""
