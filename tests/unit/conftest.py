"""Fixtures shared by the unit tests."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


@pytest.fixture(scope="session")
def plan(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, object]]:
    """The real collection of a certification run (``conformance run --collect-only`` writes plan.json)."""
    reports = tmp_path_factory.mktemp("plan")
    result = subprocess.run([sys.executable, "-c", "from conformance.cli import main; raise SystemExit(main())",
                             "run", "--reports", str(reports), "--collect-only", "-q"],
                            capture_output=True, text=True, timeout=120)
    assert (reports / "plan.json").is_file(), result.stdout[-2000:] + result.stderr[-2000:]
    return json.loads((reports / "plan.json").read_text())
