"""Selection by requirement: ids are keywords, levels and tiers are markers, and a run of a selected subset says it
is partial and claims no level (a green -k run must never read as a certification)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import requirements


def conformance(*args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")}
    return subprocess.run([sys.executable, "-c", "from conformance.cli import main; raise SystemExit(main())", *args],
                          capture_output=True, text=True, env=clean, timeout=900)


def _plan(tmp_path: Path, *selection: str) -> list[dict[str, object]]:
    result = conformance("run", "--reports", str(tmp_path), "--collect-only", "-q", *selection)
    assert (tmp_path / "plan.json").is_file(), result.stdout[-2000:] + result.stderr[-2000:]
    return json.loads((tmp_path / "plan.json").read_text())


def test_a_requirement_id_selects_its_checks(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "-k", "WAV-SAME-SOUND")
    assert plan and all("WAV-SAME-SOUND" in row["requirements"] for row in plan)  # type: ignore[operator]


@pytest.mark.parametrize(("marker", "level", "tier"), [("should", "SHOULD", None), ("profile", "PROFILE", None),
                                                       ("lifecycle", None, "Core+Lifecycle"), ("full", None, "Full")])
def test_levels_and_tiers_are_markers(tmp_path: Path, marker: str, level: str | None, tier: str | None) -> None:
    plan = _plan(tmp_path, "-m", marker)
    assert plan
    for row in plan:
        ids = row["requirements"]
        assert any((level is None or requirements.get(r).level.value == level)
                   and (tier is None or requirements.get(r).tier.value == tier) for r in ids), row  # type: ignore[union-attr]


@pytest.mark.parametrize("workers", [(), ("--concurrency", "2")], ids=["serial", "two-workers"])
def test_a_selected_subset_is_partial_and_claims_no_level(tmp_path: Path, workers: tuple[str, ...]) -> None:
    """Under xdist only the workers collect, so only they see the deselection: the controller hears of it."""
    result = conformance("run", "--reports", str(tmp_path), "-q", "-k", "WAV-SAME-SOUND", *workers)
    verdict = result.stdout.strip().splitlines()[-1]
    assert result.returncode == 0, result.stdout[-3000:]
    assert verdict.startswith(f"PARTIAL: 1 of {len(requirements.CATALOGUE)} requirements run, all passed"), verdict
    summary = json.loads((tmp_path / "certification.json").read_text(encoding="utf-8"))
    assert summary["partial"] is True and summary["level"] is None and summary["requirements_run"] == 1
    assert "PARTIAL" in (tmp_path / "report.html").read_text(encoding="utf-8")
