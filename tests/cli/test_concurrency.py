"""The run's concurrency (``conformance/concurrency.py``): chosen from the round trip, printed, overridable, and
never a verdict changed by it.

The real part puts the reference server behind ``benchmarks/latency.py``'s relay (a round trip added on loopback,
as over a network) and compares what one check at a time and the automatic choice say of the same target.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from benchmarks.latency import LatencyFront
from conformance.concurrency import ConcurrencyError, choose, given_to_pytest, parse, round_trip_ms
from conformance.target import embedded_reference


@pytest.mark.parametrize(("round_trip", "rate_limit", "workers"), [
    (None, 0.0, 1),      # the embedded reference server
    (0.4, 0.0, 1),       # loopback
    (5.8, 0.0, 1),       # a front on loopback
    (9.9, 0.0, 1),
    (10.0, 0.0, 2),
    (20.0, 0.0, 2),
    (25.0, 0.0, 2),
    (40.0, 0.0, 3),
    (50.0, 0.0, 4),
    (150.0, 0.0, 4),     # capped: more workers than this were slower on two cores
    (50.0, 20.0, 1),     # 20/s × 50 ms = 1 request in flight reaches the limit
    (50.0, 50.0, 3),     # 2.5 → 3 in flight
    (50.0, 1000.0, 4),   # a limit well above what four workers send changes nothing
])
def test_the_choice_follows_the_round_trip_and_the_rate_limit(round_trip: float | None, rate_limit: float,
                                                                workers: int) -> None:
    choice = choose(round_trip, rate_limit=rate_limit)
    assert choice.workers == workers, choice
    assert choice.line().startswith("concurrency: ")
    assert choice.pytest_args() == ([] if workers == 1 else ["-n", str(workers)])


def test_a_forced_concurrency_wins() -> None:
    assert choose(80.0, forced=1).workers == 1
    assert choose(None, forced=3).pytest_args() == ["-n", "3"]
    assert parse("auto") is None and parse(None) is None and parse("2") == 2


@pytest.mark.parametrize("raw", ["0", "33", "-1", "two", "1.5", ""])
def test_a_bad_concurrency_is_refused(raw: str) -> None:
    with pytest.raises(ConcurrencyError, match="--concurrency must be"):
        parse(raw)


@pytest.mark.parametrize(("extra", "given"), [
    (["-n", "2"], True), (["-n2"], True), (["-nauto"], True), (["--numprocesses=3"], True),
    (["-p", "no:xdist"], True), (["-k", "upload"], False), (["--no-header"], False), ([], False),
])
def test_xdist_options_given_to_pytest_stand(extra: list[str], given: bool) -> None:
    assert given_to_pytest(extra) is given


def _fronted(reference_config: Path, front: LatencyFront, path: Path) -> Path:
    text = reference_config.read_text(encoding="utf-8")
    base = tomllib.loads(text)["base_url"]
    text = text.replace(base, re.sub(r":\d+", f":{front.port}", base, count=1))
    path.write_text(text, encoding="utf-8")
    return path


def _upstream_port(reference_config: Path) -> int:
    return int(re.search(r":(\d+)", tomllib.loads(reference_config.read_text(encoding="utf-8"))["base_url"])[1])


def test_the_round_trip_is_measured_through_a_delaying_front(tmp_path: Path) -> None:
    with embedded_reference(tmp_path / "ref") as server, \
            LatencyFront(_upstream_port(server.config_path), rtt_ms=40).running() as front:
        base = tomllib.loads(_fronted(server.config_path, front, tmp_path / "t.toml").read_text())["base_url"]
        measured = round_trip_ms(base, timeout=10)
        direct = round_trip_ms(tomllib.loads(server.config_path.read_text())["base_url"], timeout=10)
    assert 38 <= measured <= 120, measured
    assert direct < 38, direct


def _run(config: Path, reports: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    result = subprocess.run([sys.executable, "-m", "conformance", "run", "--config", str(config), "--reports",
                             str(reports), *args], capture_output=True, text=True, timeout=600)
    return result, json.loads((reports / "certification.json").read_text(encoding="utf-8"))


def _outcomes(certification: dict) -> dict[str, str]:
    return {key: row["outcome"] for key, row in certification["requirements"].items()}


SELECTED = "test_upload or test_file"
"""The checks of the upload-an-audio walk (a selection keeps the two runs at 30 ms short; the verdict of a selected
run still fails on the planted fault, ``tests/cli/test_selection.py``)."""


def _uploads(timing_log: Path) -> int:
    """The ``POST …/audios`` the server has answered so far (its ``--timing-log``: a JSON line per request)."""
    lines = timing_log.read_text(encoding="utf-8").splitlines()
    return sum(1 for line in map(json.loads, lines) if line["method"] == "POST" and line["path"].endswith("/audios"))


@pytest.mark.slow
def test_at_a_distance_the_run_chooses_workers_and_says_the_same_as_one_check_at_a_time(tmp_path: Path) -> None:
    """...and sends no more uploads than one check at a time: the checks of a corpus row go to one worker with its
    upload (``conformance/scheduling.py``), where xdist's own deal had every worker upload the rows it was dealt."""
    log = tmp_path / "timing.jsonl"
    with embedded_reference(tmp_path / "ref", faults=["wav-stereo"], server_args=["--timing-log", str(log)]) \
            as server, LatencyFront(_upstream_port(server.config_path), rtt_ms=15).running() as front:
        config = _fronted(server.config_path, front, tmp_path / "target.toml")
        serial, one = _run(config, tmp_path / "serial", "--concurrency", "1", "-k", SELECTED)
        uploads_serial = _uploads(log)
        auto, many = _run(config, tmp_path / "auto", "-k", SELECTED)
        uploads_auto = _uploads(log) - uploads_serial
    assert "concurrency: 1 check at a time (--concurrency given)" in serial.stdout
    chosen = re.search(r"concurrency: (\d) workers \(round trip (\d+\.\d) ms", auto.stdout)
    assert chosen and int(chosen[1]) >= 2, auto.stdout[-2000:]
    assert serial.returncode == auto.returncode == 1, (serial.stdout[-1500:], auto.stdout[-1500:])
    assert many["verdict"] == one["verdict"] == "does not conform"
    assert len(many["tests"]) == len(one["tests"]) > 20
    assert _outcomes(many) == _outcomes(one)
    assert "WAV-FORMAT" in many["failed_requirements"]
    assert uploads_auto == uploads_serial > 20, (uploads_serial, uploads_auto)
