"""``conformance selftest --discover``: every run discovers its target's profile first, and each planted fault is
still killed by its own requirement, the control still conforms.

Here over three faults discovery's probes meet, one per kind of probe (a denial, a list order, a limit with
``--probe-limits``). For every fault, ``test_never_learns_a_fault.py`` shows that discovery returns the reference
profile, under which the plain kill matrix kills it; ``conformance selftest --discover --probe-limits`` over the
whole catalogue is recorded in ``docs/kill-matrix-discover.md``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import conformance
from tests.discover.test_never_learns_a_fault import SEEN

FAULTS = ("foreign-space-readable", "sort-ignored", "oversize-accepted")

SELFTEST_BOUND_S = 1800  # a hang guard, not a timing assertion


@pytest.mark.nightly  # the full tier: the reduction it rests on, test_never_learns_a_fault.py, runs in both
@pytest.mark.slow
def test_selftest_discover_still_kills_the_faults_discovery_sees(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    assert set(FAULTS) <= set(SEEN)
    done = conformance("selftest", "--discover", "--probe-limits", "--faults", ",".join(FAULTS),
                       "--reports", str(reports), "--workers", "2", cwd=tmp_path, timeout=SELFTEST_BOUND_S)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert f"SELFTEST: {len(FAULTS)}/{len(FAULTS)} faults killed" in done.stdout
    runs = sorted((reports / "runs").glob("*/certification.json"))
    assert len(runs) == len(FAULTS) + 1
    for path in runs:
        summary = json.loads(path.read_text(encoding="utf-8"))
        assert summary["discovery"]["probe_limits"] is True, path
        assert "discovered" in summary["profile_provenance"].values(), path
