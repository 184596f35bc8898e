"""A run-level deadline: once it passes no check starts, and what is left is reported as "could not decide".

Issue (portable oracle, finding 6): a target whose audios never settle kept a quick run going past 15 minutes.
Each upload's wait is bounded by the profile's processing timeout; the run as a whole by ``deadline``.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import conformance


def test_past_the_deadline_every_remaining_check_is_undecided(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    done = conformance("run", "--reports", str(reports), "-p", "no:cacheprovider", cwd=tmp_path,
                       env={"CONFORMANCE_DEADLINE": "2"})
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    verdict = done.stdout.strip().splitlines()[-1]
    assert verdict.startswith("DOES NOT CONFORM") and "could not decide" in verdict, verdict
    summary = json.loads((reports / "certification.json").read_text(encoding="utf-8"))
    late = [t for t in summary["tests"] if "deadline" in t["reason"]]
    assert late and all(t["kind"] == "undecided" for t in late)
    assert not summary["failed_requirements"], "a deadline is never a failure of the target"
    assert summary["undecided_requirements"]
    ran = [t for t in summary["tests"] if t["kind"] == "pass"]
    assert len(late) > len(ran), "most checks had not started by the deadline"


def test_a_deadline_that_is_not_a_positive_number_is_a_configuration_error(tmp_path: Path) -> None:
    done = conformance("run", "--reports", str(tmp_path / "r"), cwd=tmp_path, env={"CONFORMANCE_DEADLINE": "0"})
    assert done.returncode == 2
    assert "deadline" in done.stderr and "Traceback" not in done.stderr
