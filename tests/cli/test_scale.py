"""Parallel and concurrent runs, read-only runs, the plan, and a target that stops answering mid-run.

Every run is the ``conformance`` command in a subprocess against a reference server on loopback, started with
``--timing-log`` so that the tests can see exactly which requests reached it.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest

from conformance.target import EmbeddedServer, embedded_reference
from tests.cli.test_cli import QUIET, RUN_BOUND_S, conformance, one_clear_line

pytestmark = pytest.mark.xdist_group("scale-runs")  # its module-scoped runs, once, on one worker

CONFORMANCE = [sys.executable, "-c", "from conformance.cli import main; raise SystemExit(main())"]
READS = {"GET", "HEAD", "OPTIONS"}


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmbeddedServer, Path]]:
    """One reference server that several runs share, and its timing log (a JSON line per request)."""
    workdir = tmp_path_factory.mktemp("shared")
    log = workdir / "timing.jsonl"
    with embedded_reference(workdir, server_args=["--timing-log", str(log)]) as server:
        yield server, log


def _requests(log: Path, since: int = 0) -> list[dict]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").split("\n")[:-1][since:]]


def _outcomes(reports: Path) -> dict[str, str]:
    summary = json.loads((reports / "certification.json").read_text(encoding="utf-8"))
    return {rid: row["outcome"] for rid, row in summary["requirements"].items()}


def _env() -> dict[str, str]:
    """A clean environment, without report previews: these runs judge verdicts (``test_cli.QUIET``)."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")}, **QUIET}


@pytest.fixture(scope="module")
def concurrent_runs(shared: tuple[EmbeddedServer, Path],
                    tmp_path_factory: pytest.TempPathFactory) -> list[tuple[int, str, Path]]:
    """Two whole certifications started at once against the same server."""
    server, _ = shared
    runs = []
    for name in ("first", "second"):
        reports = tmp_path_factory.mktemp(name) / "reports"
        process = subprocess.Popen([*CONFORMANCE, "run", "--config", str(server.config_path), "--reports",
                                    str(reports)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   env=_env())
        runs.append((process, reports))
    done = []
    for process, reports in runs:
        out, _ = process.communicate(timeout=RUN_BOUND_S)
        done.append((process.returncode, out, reports))
    return done


def test_two_concurrent_runs_against_one_target_both_conform(concurrent_runs: list[tuple[int, str, Path]]) -> None:
    for code, out, reports in concurrent_runs:
        assert code == 0, out[-3000:]
        assert "CONFORMS, level Full" in out
        summary = json.loads((reports / "certification.json").read_text(encoding="utf-8"))
        assert summary["leaks"] == []
    run_ids = {json.loads((r / "certification.json").read_text())["run_id"] for _, _, r in concurrent_runs}
    assert len(run_ids) == 2


def test_xdist_gives_the_same_verdict_as_a_serial_run(shared: tuple[EmbeddedServer, Path], tmp_path: Path,
                                                      concurrent_runs: list[tuple[int, str, Path]]) -> None:
    server, log = shared
    before = len(_requests(log))
    result = conformance("run", "--config", str(server.config_path), "--reports", str(tmp_path), "-n", "2")
    assert result.returncode == 0, result.stdout[-3000:]
    serial = _outcomes(concurrent_runs[0][2])
    assert _outcomes(tmp_path) == serial
    summary = json.loads((tmp_path / "certification.json").read_text(encoding="utf-8"))
    tests = {t["nodeid"] for t in summary["tests"]}
    serial_tests = {t["nodeid"] for t in json.loads((concurrent_runs[0][2] / "certification.json").read_text())
                    ["tests"]}
    assert tests == serial_tests  # every check reported once, by whichever worker ran it
    assert summary["requests"]["requests"] > 0 and summary["leaks"] == []
    # each worker created under its own run id: <run id>-gw0 and <run id>-gw1
    created = [r for r in _requests(log, before) if r["method"] == "POST" and r["path"].endswith("/audios")]
    assert created


def test_a_read_only_run_sends_no_write(shared: tuple[EmbeddedServer, Path], tmp_path: Path) -> None:
    server, log = shared
    before = len(_requests(log))
    result = conformance("run", "--config", str(server.config_path), "--reports", str(tmp_path), "--read-only")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "READ-ONLY CHECK PASSED" in result.stdout and "nothing written" in result.stdout
    assert "READ-ONLY CHECK PASSED" in (tmp_path / "report.html").read_text(encoding="utf-8")
    sent = _requests(log, before)
    assert sent, "the read-only run sent nothing at all"
    writes = [r for r in sent if r["method"] not in READS and r["path"] != "/v1/auth/credentials"]
    assert writes == []
    summary = json.loads((tmp_path / "certification.json").read_text(encoding="utf-8"))
    assert summary["read_only"] is True
    nodeids = [t["nodeid"] for t in summary["tests"]]
    assert nodeids and all("test_existing.py" in n or "test_auth.py::test_refusal" in n
                           or (n.startswith(("test_file.py", "test_details.py")) and "[audio" in n) for n in nodeids)
    assert any(t["outcome"] == "passed" and "test_file.py::test_file_is_pcm16_mono[audio0]" in t["nodeid"]
               for t in summary["tests"])


def test_read_only_without_named_audios_exits_2(shared: tuple[EmbeddedServer, Path], tmp_path: Path) -> None:
    server, _ = shared
    text = server.config_path.read_text(encoding="utf-8")
    config = tmp_path / "no-audios.toml"
    config.write_text(text.split("[read_only]")[0], encoding="utf-8")
    assert "read_only" not in tomllib.loads(config.read_text())
    result = conformance("run", "--config", str(config), "--reports", str(tmp_path / "r"), "--read-only")
    assert result.returncode == 2
    assert "[read_only]" in one_clear_line(result.stderr)


def test_the_plan_lists_every_check_and_whether_it_writes(tmp_path: Path) -> None:
    result = conformance("run", "--plan", "--reports", str(tmp_path))
    assert result.returncode == 0, result.stderr
    plan = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    lines = [line for line in result.stdout.splitlines() if line.startswith(("writes", "reads"))]
    assert len(lines) == len(plan) > 500
    writing = {row["nodeid"] for row in plan if row["writes"]}
    assert any("test_upload.py::test_create_answers_201" in n for n in writing)
    assert not any("test_existing.py" in n for n in writing)
    read_only = conformance("run", "--plan", "--read-only", "--reports", str(tmp_path / "ro"))
    rows = json.loads((tmp_path / "ro" / "plan.json").read_text(encoding="utf-8"))
    assert rows and not any(row["writes"] for row in rows)
    assert f"PLAN: {len(rows)} checks, {len(rows)} read-only, 0 may write" in read_only.stdout


def test_a_target_that_stops_answering_mid_run_ends_with_a_clear_verdict(tmp_path: Path) -> None:
    """The server is frozen (SIGSTOP: connections are accepted, nothing answers) once the run is under way; the run
    must still end, blame no requirement for it, and say which checks it could not decide."""
    log = tmp_path / "timing.jsonl"
    with embedded_reference(tmp_path / "ref", server_args=["--timing-log", str(log)]) as server:
        reports = tmp_path / "reports"
        process = subprocess.Popen([*CONFORMANCE, "run", "--config", str(server.config_path), "--reports",
                                    str(reports)], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, env={**_env(), "CONFORMANCE_TIMEOUT": "2"})
        try:
            deadline = time.monotonic() + RUN_BOUND_S
            while len(_requests(log)) < 150:  # under way: signed in, uploads made
                assert process.poll() is None and time.monotonic() < deadline, "the run ended before the freeze"
                time.sleep(0.05)
            os.kill(server.pid, signal.SIGSTOP)
            out, _ = process.communicate(timeout=RUN_BOUND_S)
        finally:
            os.kill(server.pid, signal.SIGCONT)
            if process.poll() is None:
                process.kill()
    assert process.returncode == 1, out[-3000:]
    assert "DOES NOT CONFORM" in out and "could not decide" in out
    summary = json.loads((reports / "certification.json").read_text(encoding="utf-8"))
    reasons = [t["reason"] for t in summary["tests"] if t["outcome"] == "error"]
    assert any("stopped answering" in reason for reason in reasons)
    assert summary["requests"]["timeouts"] <= 4 + 2  # four in a row, plus those already in flight on other clients
    assert summary["leaks"], "what the run created could not be deleted: reported as leaks"
    # each undecided check is its sentence and where it was raised, not pytest's traceback of the suite's plumbing
    # (writing those once cost most of this run: conformance/reporting.py, short_report)
    texts = [e.text or "" for e in ElementTree.parse(reports / "junit.xml").iter() if e.tag in ("failure", "error")]
    assert len(texts) >= len(reasons) and all(len(t.splitlines()) <= 6 for t in texts), texts[:3]
    assert all(t.splitlines()[-1].startswith(("Raised in ", "Checked by ")) for t in texts), texts[:3]


@pytest.mark.parametrize(("fault", "requirement"), [("foreign-space-readable", "ACCESS-FOREIGN-DENIED"),
                                                    ("wav-stereo", "WAV-FORMAT"),
                                                    ("auth-missing-accepted", "AUTH-MISSING-401")])
def test_a_read_only_run_still_fails_a_faulty_target(tmp_path: Path, fault: str, requirement: str) -> None:
    """The read-only checks are real checks: a planted fault fails them, by its own requirement."""
    result = conformance("run", "--read-only", "--reports", str(tmp_path), "--reference-fault", fault)
    assert result.returncode == 1, result.stdout[-3000:]
    assert f"READ-ONLY CHECK FAILED ({requirement}" in result.stdout.strip().splitlines()[-1]


FIXTURE = "wav-pcm16-16k-mono"


@pytest.mark.parametrize("fault", [None, "silent-wav"])
def test_a_read_only_run_compares_an_audio_named_with_its_fixture(tmp_path: Path, fault: str | None) -> None:
    """With `media` named, the existing audio's WAV must be that fixture's sound: a server serving silence fails."""
    with embedded_reference(tmp_path / "ref", faults=[fault] if fault else []) as server:
        settings = tomllib.loads(server.config_path.read_text(encoding="utf-8"))
        media = Path(__file__).resolve().parents[2] / "conformance" / "corpus" / "media" / f"{FIXTURE}.wav"
        body = {"file": base64.b64encode(media.read_bytes()).decode(),
                "alias": "uploaded-before-the-smoke-check"}
        created = httpx.post(f"{settings['base_url']}/spaces/alice/main/audios", json=body, timeout=30,
                             headers={"Authorization": f"Bearer {settings['actors']['primary']['token']}"})
        assert created.status_code == 201, created.text
        config = tmp_path / "named.toml"
        config.write_text(server.config_path.read_text(encoding="utf-8").split("[read_only]")[0] + "[read_only]\n"
                          f'audios = [{{ space = "primary", handle = "{created.json()["handle"]}", '
                          f'media = "{FIXTURE}" }}]\n', encoding="utf-8")
        result = conformance("run", "--config", str(config), "--read-only", "--reports", str(tmp_path / "r"))
    summary = json.loads((tmp_path / "r" / "certification.json").read_text(encoding="utf-8"))
    same_sound = [t for t in summary["tests"] if "test_file.py::test_file_is_same_sound[audio" in t["nodeid"]]
    if fault is None:
        assert result.returncode == 0, result.stdout[-3000:]
        assert [t["outcome"] for t in same_sound] == ["passed"]
    else:
        assert result.returncode == 1
        assert [t["outcome"] for t in same_sound] == ["failed"]
        assert "WAV-SAME-SOUND" in summary["failed_requirements"]
