"""The kill matrix: ``conformance selftest`` must kill planted faults with zero false failures.

Where each part runs (``README.md``, "The project's tests"):

- **``tox`` (``.ci/run``)**: ``conformance selftest`` itself over the correct server and ``hang-file`` (the command's
  progress, reports and control, and a hanging endpoint), whole runs; the catalogue's first fault of each family
  and one fault per shipped variant are killed in runs of their area's checks (``test_selected_kills.py``).
- **``tox -e selftest``** (``--tier=full``) and the project's nightly (``docs/ci/project-nightly.yml``): every
  fault of the catalogue in one self-test of whole runs, each asserted below as its own test id.

The catalogue is read the same way the command reads it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.selftest import SELFTEST_TIMEOUT_S, Fault, catalogue

pytestmark = pytest.mark.xdist_group("kill-matrix")  # one worker runs the matrix, once, for all its assertions
FAULTS = catalogue()
RUN_BOUND_S = 1500
NEEDED = {"hang-file"}
"""Faults a test of this module asserts more about than being killed."""
def family(fault: Fault) -> str:
    """``ACCESS`` for a fault declaring ``ACCESS-FOREIGN-DENIED`` first."""
    return fault.requirements[0].split("-", 1)[0]


def ci_faults(faults: list[Fault]) -> list[Fault]:
    """The catalogue's first fault of each family, and the faults named in :data:`NEEDED`, in catalogue order."""
    seen: set[str] = set()
    chosen = []
    for fault in faults:
        if family(fault) not in seen or fault.name in NEEDED:
            seen.add(family(fault))
            chosen.append(fault)
    return chosen


def chosen_faults(config: pytest.Config) -> list[Fault]:
    """The faults the self-test run of this module plants: the catalogue in the full tier, else ``NEEDED``."""
    return FAULTS if config.getoption("tier") == "full" else [f for f in FAULTS if f.name in NEEDED]


@pytest.fixture(scope="module")
def matrix(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], dict, Path]:
    reports = tmp_path_factory.mktemp("selftest")
    faults = chosen_faults(request.config)
    only = [] if faults == FAULTS else ["--faults", ",".join(f.name for f in faults)]
    result = subprocess.run([sys.executable, "-m", "conformance", "selftest", "--reports", str(reports), *only],
                            capture_output=True, text=True, timeout=RUN_BOUND_S)
    data = json.loads((reports / "selftest.json").read_text())
    return result, data | {"chosen": [f.name for f in faults]}, reports


def _run(data: dict, name: str) -> dict:
    return next(run for run in data["runs"] if run["name"] == name)


def test_catalogue_covers_every_area() -> None:
    assert len(FAULTS) >= 19
    assert len({f.name for f in FAULTS}) == len(FAULTS)
    assert {family(f) for f in ci_faults(FAULTS)} == {family(f) for f in FAULTS}
    assert NEEDED <= {f.name for f in ci_faults(FAULTS)}


def test_selftest_exits_0_and_writes_the_matrix(matrix: tuple[subprocess.CompletedProcess[str], dict, Path]) -> None:
    result, data, reports = matrix
    chosen = data["chosen"]
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    lines = result.stdout.strip().splitlines()
    assert lines[-1].startswith(f"SELFTEST: {len(chosen)}/{len(chosen)} faults killed")
    progress = [line for line in lines if line.startswith("[")]  # a line as each run finishes, in finishing order
    total = len(chosen) + 1
    assert [line.split("]", 1)[0] for line in progress] == [f"[{i}/{total}" for i in range(1, total + 1)]
    assert all(" left" in line for line in progress[:-1]) and " left" not in progress[-1]
    assert data["control_conforms"] is True and data["survivors"] == []
    html = (reports / "selftest.html").read_text()
    assert all(name in html for name in chosen) and "SURVIVED" not in html


def test_correct_server_has_zero_false_failures(matrix: tuple[subprocess.CompletedProcess[str], dict, Path]) -> None:
    control = _run(matrix[1], "(correct server)")
    assert control["exit_code"] == 0 and control["failed_requirements"] == [], control


@pytest.mark.nightly  # the ci tier kills each family's first fault in a run of its area: test_selected_kills.py
@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
def test_fault_is_killed_by_its_own_requirement(matrix: tuple[subprocess.CompletedProcess[str], dict, Path],
                                                fault: Fault) -> None:
    run = _run(matrix[1], fault.name)
    assert run["exit_code"] == 1, run
    assert set(run["failed_requirements"]) & set(fault.requirements), (
        f"{fault.name} failed {run['failed_requirements']}, but declares {fault.requirements}")


def test_hanging_endpoint_gives_a_timeout_verdict_and_the_run_finishes(
        matrix: tuple[subprocess.CompletedProcess[str], dict, Path]) -> None:
    """The hang-file fault sleeps for an hour: the run still ends, and blames only the file endpoint."""
    run = _run(matrix[1], "hang-file")
    assert "WAV-GET-200" in run["failed_requirements"], run
    certification = json.loads((matrix[2] / "runs" / "hang-file" / "certification.json").read_text())
    timeouts = [t for t in certification["tests"] if "did not answer within" in t["reason"]]
    assert timeouts and all("/file did not answer" in t["reason"] for t in timeouts), timeouts
    uploads = [t for t in certification["tests"] if "test_upload.py::test_create_answers_201" in t["nodeid"]]
    assert uploads and all(t["outcome"] == "passed" for t in uploads)  # the rest of the run went on
    # the cost: no more timed-out requests than affected checks (the hang guard stops after two), and no affected
    # check longer than one timeout (plus the bookkeeping around it)
    assert 1 <= certification["requests"]["timeouts"] <= min(2, len(timeouts)), certification["requests"]
    assert all(t["duration_s"] <= float(SELFTEST_TIMEOUT_S) + 5 for t in timeouts), timeouts

