"""Every certification.json the project's tests produce validates against the schema the package ships.

The tests run the suite end to end in many ways (variants, faults, hostile fronts, read-only runs, the kill
matrix); each leaves its certification.json under pytest's temporary directory. At the end of the session every
one of them is validated (``conformance.results_schema``), and a file that departs from the schema fails the
session with its path and what is wrong, so the shipped schema can never drift from what runs write.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conformance.results_schema import violations

TIER_HELP = ("which of the project's tests run: ci (the default, what `tox` and .ci/run run in under 10 minutes) or "
             "full (also every test marked nightly and the whole kill-matrix catalogue: `tox -e selftest` and "
             "docs/ci/project-nightly.yml)")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--tier", choices=("ci", "full"), default="ci", help=TIER_HELP)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker more than cores. A worker's test is mostly a ``conformance run`` subprocess that
    waits part of the time (asynchronous processing delays, timeouts planted on purpose, the latency front), and
    on two cores two workers left a quarter of the CPU idle (``README.md``, "The project's tests")."""
    return (os.cpu_count() or 1) + 1


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "nightly: runs only with --tier=full (tox -e selftest, the project's nightly)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under the ci tier, tests marked ``nightly`` are deselected (they run in the full tier: nothing is dropped,
    only where it runs changes; README.md, "The project's tests")."""
    if config.getoption("tier") != "full":
        kept = [item for item in items if item.get_closest_marker("nightly") is None]
        if len(kept) < len(items):
            config.hook.pytest_deselected(items=[item for item in items if item.get_closest_marker("nightly")])
            items[:] = kept
    items.sort(key=_longest_first)


def _longest_first(item: pytest.Item) -> int:
    """The kill matrix first, then whole runs of the suite (``slow``), then the rest, each in collection order
    (a stable sort): under xdist the longest work starts at once instead of ending the session alone."""
    group = item.get_closest_marker("xdist_group")
    if group is not None and group.args and group.args[0] == "kill-matrix":
        return 0
    return 1 if item.get_closest_marker("slow") else 2


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
