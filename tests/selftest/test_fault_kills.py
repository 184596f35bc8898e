"""The suite must fail against every planted fault of the reference server, naming the fault's requirement.

This is the start of the kill matrix: each fault of the catalogue (``python -m conformance.reference faults``) is
run through the whole suite, which must exit 1 and fail at least one of the requirement ids the fault declares.
The correct server is the control: it must conform. Runs go two at a time (this machine has two cores).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

# A short request timeout keeps the hanging-server fault cheap: it costs one timeout per affected check.
RUN_ENV = {"CONFORMANCE_TIMEOUT": "3"}
RUN_BOUND_S = 600


@dataclass(frozen=True)
class Fault:
    name: str
    requirements: tuple[str, ...]


@dataclass(frozen=True)
class Run:
    returncode: int
    summary: dict
    output: str


def catalogue() -> list[Fault]:
    listing = subprocess.run([sys.executable, "-m", "conformance.reference", "faults"], capture_output=True,
                             text=True, check=True, timeout=60).stdout
    faults = []
    for line in listing.splitlines():
        name, ids, _ = line.split("\t", 2)
        faults.append(Fault(name, tuple(ids.split(","))))
    return faults


FAULTS = catalogue()


def run_suite(reports: Path, fault: str | None) -> Run:
    args = [sys.executable, "-c", "from conformance.cli import main; raise SystemExit(main())", "run",
            "--reports", str(reports), "-q", "-p", "no:randomly"]
    if fault:
        args += ["--reference-fault", fault]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")} | RUN_ENV
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=RUN_BOUND_S)
    try:
        summary = json.loads((reports / "certification.json").read_text())
    except (OSError, ValueError):
        summary = {}
    return Run(result.returncode, summary, (result.stdout + result.stderr)[-4000:])


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str | None, Run]:
    """Every fault and the control, run once each, two in parallel."""
    names: list[str | None] = [None, *(f.name for f in FAULTS)]
    base = tmp_path_factory.mktemp("selftest")
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda n: run_suite(base / (n or "control"), n), names)
        return dict(zip(names, results, strict=True))


def test_catalogue_is_not_empty() -> None:
    assert len(FAULTS) >= 3


def test_correct_server_conforms(runs: dict[str | None, Run]) -> None:
    control = runs[None]
    assert control.returncode == 0, control.output
    assert control.summary["failed_requirements"] == []


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
def test_fault_is_killed_by_its_requirement(runs: dict[str | None, Run], fault: Fault) -> None:
    run = runs[fault.name]
    assert run.returncode == 1, run.output
    failed = set(run.summary.get("failed_requirements", []))
    assert failed & set(fault.requirements), f"{fault.name} failed {sorted(failed)}, expected {fault.requirements}"
