"""Every certification.json the project's tests produce validates against the schema the package ships.

The tests run the suite end to end in many ways (variants, faults, hostile fronts, read-only runs, the kill
matrix); each leaves its certification.json under pytest's temporary directory. At the end of the session every
one of them is validated (``conformance.results_schema``), and a file that departs from the schema fails the
session with its path and what is wrong, so the shipped schema can never drift from what runs write.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.results_schema import violations


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--kill-matrix", choices=("ci", "full"), default="ci",
                     help="the planted faults tests/selftest runs: one per family and per variant (ci, the default) "
                          "or the whole catalogue (full: tox -e selftest and the nightly template)")


def _produced(session: pytest.Session) -> list[Path]:
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is None or getattr(factory, "_basetemp", None) is None:
        return []  # no test asked for a temporary directory: nothing was produced there
    return sorted(Path(factory.getbasetemp()).rglob("certification.json"))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Validate each produced certification.json; a violation fails the session."""
    bad: list[str] = []
    checked = 0
    for path in _produced(session):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            bad.append(f"{path}: unreadable ({exc})")
            continue
        checked += 1
        bad += [f"{path}: {problem}" for problem in violations(data)[:5]]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and checked:
        reporter.write_line(f"certification.json schema: {checked} produced files checked, "
                            f"{len(bad)} violation(s)")
    if bad:
        for line in bad[:20]:
            if reporter is not None:
                reporter.write_line(f"SCHEMA VIOLATION {line}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
