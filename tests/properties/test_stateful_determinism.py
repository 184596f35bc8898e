"""The stateful run is deterministic for a seed against a correct target, asynchronous processing included.

Issue (portable oracle, finding 3): Hypothesis raised ``FlakyStrategyDefinition`` inside the stateful run against
a conforming asynchronous target, and the suite charged it to the target. Against the reference server playing the
``async`` variant, 20 seeded stateful runs in a row must all pass: no flakiness error, no suite error, no finding.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conformance.profile import build_profile, load_variant, to_toml
from conformance.target import EmbeddedServer, embedded_reference

pytestmark = pytest.mark.slow
RUNS = {"ci": 6, "full": 20}
"""Seeded runs in a row: six in ``tox``, the twenty of the finding in the full tier (``--tier=full``)."""
SEED = 20241202
RUN_BOUND_S = 300  # a hang guard, not a timing assertion


@pytest.fixture(scope="module")
def asynchronous(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    workdir = tmp_path_factory.mktemp("async")
    profile = workdir / "async.toml"
    profile.write_text(to_toml(build_profile(load_variant("async"))), encoding="utf-8")
    with embedded_reference(workdir, server_args=["--profile", str(profile)]) as server:
        yield server


def stateful(server: EmbeddedServer, reports: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")}
    subprocess.run([sys.executable, "-m", "conformance", "run", "--config", str(server.config_path), "--variant",
                    "async", "--seed", str(SEED), "--reports", str(reports), "-q", "-k", "test_stateful"],
                   capture_output=True, text=True, env=env, timeout=RUN_BOUND_S)
    return json.loads((reports / "certification.json").read_text(encoding="utf-8"))


def test_seeded_stateful_runs_in_a_row_raise_no_flakiness(asynchronous: EmbeddedServer, tmp_path: Path,
                                                          request: pytest.FixtureRequest) -> None:
    runs = RUNS[request.config.getoption("tier")]
    with ThreadPoolExecutor(max_workers=2) as pool:
        summaries = list(pool.map(lambda i: stateful(asynchronous, tmp_path / f"run{i}"), range(runs)))
    rows = [t for summary in summaries for t in summary["tests"] if t["nodeid"].endswith("test_stateful")]
    assert len(rows) == runs
    bad = [(t["kind"], t["reason"][:300]) for t in rows if t["kind"] != "pass"]
    assert not bad, bad
