"""The suite's modules form no import circle, and nothing imports the plugin: it is hooks only, and what it
delegates to (run state, session, reporting, summary) stands on its own (ARCHITECTURE.md)."""

from __future__ import annotations

import grimp

GRAPH = grimp.build_graph("conformance")
SUITE = sorted(m for m in GRAPH.modules if not m.startswith("conformance.reference"))


def _cycle_from(start: str) -> list[str] | None:
    """A path of imports from ``start`` back to itself, if there is one (depth-first)."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        module, path = stack.pop()
        for imported in GRAPH.find_modules_directly_imported_by(module):
            if imported == start:
                return [*path, start]
            if imported not in seen and not imported.startswith("conformance.reference"):
                seen.add(imported)
                stack.append((imported, [*path, imported]))
    return None


def test_the_graph_was_read() -> None:
    assert "conformance.plugin" in SUITE and "conformance.checks.wav" in SUITE and len(SUITE) > 40


def test_no_suite_module_imports_itself_through_others() -> None:
    cycles = {m: c for m in SUITE if (c := _cycle_from(m)) is not None}
    assert not cycles, next(iter(cycles.values()))


def test_nothing_imports_the_plugin() -> None:
    assert GRAPH.find_modules_that_directly_import("conformance.plugin") == set()
