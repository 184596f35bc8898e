"""ARCHITECTURE.md's "add a check" recipe, followed to the letter: its check and its scenario, copied from the page
into a scenario module of their own, certify the embedded reference server, and the check fails the requirement
it is bound to on an audio that changed its id. If the recipe drifts from how checks are written, this fails."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.checks import REGISTRY, ConformanceFailure, check, fail

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "conformance" / "scenarios"
HEADER = '''from __future__ import annotations

from typing import Any

import pytest

from conformance.checks import check, fail
from conformance.checks.audio import details_of
from conformance.scenarios._support import require_created

'''


def _recipe() -> tuple[str, str]:
    page = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = page.split("## Recipe: add a check", 1)[1]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 2, "the recipe shows a check and a scenario"
    return blocks[0], blocks[1]


def test_the_recipes_check_is_bound_to_its_requirement() -> None:
    check_code, _ = _recipe()
    namespace: dict[str, Any] = {"check": check, "fail": fail, "Any": Any}
    try:
        exec(compile(check_code, "ARCHITECTURE.md", "exec"), namespace)  # noqa: S102 - our own page
        recipe = namespace["details_name_the_same_id"]
        recipe({"id": "a"}, {"id": "a"})
        with pytest.raises(ConformanceFailure) as excinfo:
            recipe({"id": "b"}, {"id": "a"})
    finally:
        REGISTRY.pop("details_name_the_same_id", None)
    assert excinfo.value.requirement == "AUD-DETAILS-200" and excinfo.value.check == "details_name_the_same_id"


@pytest.mark.slow
def test_the_recipes_scenario_certifies_the_reference(tmp_path: Path) -> None:
    check_code, scenario_code = _recipe()
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (scenarios / "test_recipe.py").write_text(HEADER + check_code + "\n\n" + scenario_code, encoding="utf-8")
    reports = tmp_path / "reports"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(scenarios), "-c", str(SCENARIOS / "pytest.ini"), "--rootdir",
         str(scenarios), "-p", "no:conformance", "-p", "conformance.plugin", "--conformance",
         f"--reports-dir={reports}", "-q"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    summary = json.loads((reports / "certification.json").read_text(encoding="utf-8"))
    rows = [t for t in summary["tests"] if "test_details_name_the_same_id[" in t["nodeid"]]
    assert len(rows) >= 10 and all(t["outcome"] == "passed" for t in rows), rows[:3]
    assert summary["requirements"]["AUD-DETAILS-200"]["outcome"] == "pass"
