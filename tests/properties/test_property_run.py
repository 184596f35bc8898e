"""Done-when of the property runs, proved against the real reference server (each run a real subprocess).

- The quick property run alone (``-k properties``: no hand-written scenario) conforms on the correct server, in
  well under the minute the issue allows.
- It alone catches faulty variants: a 5xx on an odd alias, create answering 200, an undocumented field type, and
  use-after-delete — each by a requirement id the fault declares.
- A failure found with seed S is found again with seed S (same failing tests, same reasons).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conformance.selftest import catalogue

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("property-runs")]  # its module-scoped runs, once, on one worker
RUN_BOUND_S = 300  # a hang guard, not a timing assertion
QUICK_BOUND_S = 60.0  # the issue: "finishes in about a minute"
FAULTS = ("odd-alias-500", "create-200", "undocumented-field-type", "use-after-delete")
SEED = 7
_VOLATILE = re.compile(r"127\.0\.0\.1:\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+ ms")


def property_run(reports: Path, *extra: str) -> tuple[int, dict, float]:
    """``conformance run -k properties`` (quick budget) as a user runs it; exit code, certification, seconds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")}
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "conformance", "run", "--budget", "quick", "--reports",
                             str(reports), "-q", "-k", "properties", *extra],
                            capture_output=True, text=True, env=env, timeout=RUN_BOUND_S)
    elapsed = time.monotonic() - start
    try:
        summary = json.loads((reports / "certification.json").read_text(encoding="utf-8"))
    except OSError:
        pytest.fail(f"no certification.json: {result.stdout[-2000:]}{result.stderr[-2000:]}")
    return result.returncode, summary, elapsed


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, dict, float]]:
    """The control, each fault, and the seed repeat — two at a time (CI has two cores)."""
    variants: dict[str, tuple[str, ...]] = {"control": ()}
    variants.update({fault: ("--reference-fault", fault, "--seed", str(SEED)) for fault in FAULTS})
    variants["repeat:odd-alias-500"] = ("--reference-fault", "odd-alias-500", "--seed", str(SEED))
    base = tmp_path_factory.mktemp("properties")
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(property_run, base / name.replace(":", "-"), *args)
                   for name, args in variants.items()}
        return {name: future.result() for name, future in futures.items()}


def _failures(summary: dict) -> list[tuple[str, str]]:
    return sorted((t["nodeid"], _VOLATILE.sub("*", t["reason"])) for t in summary["tests"]
                  if t["outcome"] in ("failed", "error"))


def test_quick_property_run_conforms_on_the_correct_server(runs: dict) -> None:
    code, summary, elapsed = runs["control"]
    assert code == 0 and summary["verdict"] == "conforms", _failures(summary)
    decided = {rid for rid, r in summary["requirements"].items() if r["outcome"] == "pass"}
    assert {"PROP-STATELESS", "PROP-STATEFUL", "PROP-CREATE-FILE-VALID", "PROP-REJECT-NOTHING-STORED",
            "AUD-CREATE-201"} <= decided
    assert elapsed < QUICK_BOUND_S, f"the quick property run took {elapsed:.0f} s"
    assert summary["leaks"] == []


@pytest.mark.parametrize("fault", FAULTS)
def test_property_run_alone_catches_the_fault(runs: dict, fault: str) -> None:
    code, summary, _ = runs[fault]
    declared = {f.name: set(f.requirements) for f in catalogue()}[fault]
    assert code == 1, _failures(summary)
    assert set(summary["failed_requirements"]) & declared, (summary["failed_requirements"], declared)


def test_a_failure_found_with_seed_s_is_found_again_with_seed_s(runs: dict) -> None:
    first, again = runs["odd-alias-500"][1], runs["repeat:odd-alias-500"][1]
    assert first["seed"] == again["seed"] == SEED
    assert _failures(first) and _failures(first) == _failures(again)
    assert all(f"Seed: {SEED}" in reason or "Seed" not in reason for _, reason in _failures(first))
