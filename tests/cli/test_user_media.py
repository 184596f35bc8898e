"""``conformance run --media DIR`` with a folder of real recordings certifies the reference server, a row per file.

The folder is made at test time (``fixtures/recordings.py``): espeak-ng speech at 8, 16 and 44.1 kHz as WAV, FLAC,
MP3 and Opus, a telephone-band mu-law WAV, a 7 kHz WAV the reference profile refuses, and a file no decoder opens.
Every run is a real subprocess against the embedded reference server; the main one runs on two xdist workers, so
the controller and the workers must collect the same rows from the folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from fixtures import recordings

pytestmark = pytest.mark.xdist_group("user-media-run")  # its module-scoped run, once, on one worker

RUN_BOUND_S = 600  # a hang guard, not a timing assertion
UPLOAD_CHECKS = ("test_upload.py::test_create_answers_201", "test_upload.py::test_duration_matches_media",
                 "test_upload.py::test_sample_rate_matches_media", "test_details.py::test_details_answer_the_audio",
                 "test_file.py::test_file_answers_wav", "test_file.py::test_file_is_pcm16_mono",
                 "test_file.py::test_file_is_same_sound")
REFUSAL_CHECKS = ("test_rejections.py::test_refused_with_profile_status",
                  "test_rejections.py::test_refusal_is_not_a_server_error",
                  "test_rejections.py::test_refusal_body_is_problem_json")
ACCEPTED = sorted(set(recordings.recordings()) - {recordings.REFUSED, recordings.UNDECODABLE})


def conformance(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")}
    return subprocess.run([sys.executable, "-c", "from conformance.cli import main; raise SystemExit(main())", *args],
                          capture_output=True, text=True, env=clean, cwd=cwd, timeout=RUN_BOUND_S)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("recordings")
    recordings.write(directory)
    return directory


@pytest.fixture(scope="module")
def media_run(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """The whole suite, with the folder, on two workers."""
    reports = tmp_path_factory.mktemp("media-run")
    return conformance("run", "--media", str(folder), "--reports", str(reports), "-n", "2"), reports


def rows_of(reports: Path) -> dict[str, dict[str, Any]]:
    summary = json.loads((reports / "certification.json").read_text(encoding="utf-8"))
    return {row["nodeid"]: row for row in summary["tests"]}


def row_ids(rows: dict[str, dict[str, Any]], name: str) -> set[str]:
    """The checks that ran over the file ``name`` (``module::test`` of every row bearing its name)."""
    return {nodeid.split("[", 1)[0] for nodeid in rows if nodeid.endswith(f"[{name}]")}


@pytest.mark.slow
def test_a_folder_of_recordings_certifies_the_reference(
        media_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    result, _ = media_run
    verdict = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert verdict.startswith("CONFORMS"), verdict


@pytest.mark.slow
def test_each_accepted_recording_has_its_rows_under_its_name(
        media_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    rows = rows_of(media_run[1])
    for name in ACCEPTED:
        ran = row_ids(rows, name)
        assert set(UPLOAD_CHECKS) <= ran, (name, sorted(ran))
        assert not ran & set(REFUSAL_CHECKS), name
        for nodeid in (f"{check}[{name}]" for check in UPLOAD_CHECKS):
            assert rows[nodeid]["kind"] == "pass", rows[nodeid]
            assert rows[nodeid]["facts"] == {"media": name, "origin": "user"}


@pytest.mark.slow
def test_the_recording_the_profile_refuses_goes_through_the_refusal_checks(
        media_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    rows = rows_of(media_run[1])
    assert row_ids(rows, recordings.REFUSED) == set(REFUSAL_CHECKS)
    refused = rows[f"test_rejections.py::test_refused_with_profile_status[{recordings.REFUSED}]"]
    assert refused["kind"] == "pass" and refused["requirements"] == ["MEDIA-REJECT-RATE"]


@pytest.mark.slow
def test_the_file_the_suite_cannot_decode_is_reported_as_such(
        media_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    rows = rows_of(media_run[1])
    name = recordings.UNDECODABLE
    assert set(UPLOAD_CHECKS) <= row_ids(rows, name) and not row_ids(rows, name) & set(REFUSAL_CHECKS)
    for nodeid, row in rows.items():
        if nodeid.endswith(f"[{name}]"):
            assert row["kind"] == "disabled", row
            assert "the suite cannot decode this file" in row["reason"] and "not sent" in row["reason"], row


@pytest.mark.slow
def test_junit_names_every_file(media_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    cases = {case.get("name"): case for case in ET.parse(media_run[1] / "junit.xml").getroot().iter("testcase")}
    for name in ACCEPTED:
        same_sound = cases[f"test_file_is_same_sound[{name}]"]
        assert same_sound.find("failure") is None and same_sound.find("skipped") is None
        correlation = {p.get("name"): p.get("value") for p in same_sound.iter("property")}["correlation"]
        assert float(correlation) > 0.5, (name, correlation)
    skipped = cases[f"test_file_is_same_sound[{recordings.UNDECODABLE}]"].find("skipped")
    assert skipped is not None and "cannot decode" in skipped.get("message", "")


@pytest.mark.slow
def test_nothing_is_sent_for_a_file_the_suite_cannot_decode(folder: Path, tmp_path: Path) -> None:
    """Only the undecodable file's checks are selected: the run makes no request to the target at all."""
    reports = tmp_path / "reports"
    result = conformance("run", "--media", str(folder), "--reports", str(reports), "-k", "not-audio")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = json.loads((reports / "certification.json").read_text(encoding="utf-8"))
    assert summary["tests"] and all(row["kind"] == "disabled" for row in summary["tests"])
    assert summary["requests"]["requests"] == 0


def test_a_missing_media_directory_is_one_sentence(tmp_path: Path) -> None:
    result = conformance("run", "--media", "nowhere", "--reports", str(tmp_path / "reports"), cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == "conformance: configuration error: media directory nowhere does not exist"


def test_a_symbolic_link_loop_is_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "media" / "sub").mkdir(parents=True)
    (tmp_path / "media" / "sub" / "up").symlink_to(tmp_path / "media")
    result = conformance("run", "--media", str(tmp_path / "media"), "--reports", str(tmp_path / "reports"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == (f"conformance: configuration error: media directory {tmp_path}/media/sub/up is "
                                     "a symbolic link loop (it leads back to a directory it is in)")


def test_configured_media_dirs_and_media_add_up_in_the_plan(tmp_path: Path) -> None:
    """``[media] dirs`` (relative to the configuration file) and ``--media`` (relative to the working directory)
    both add rows, named by the file's path in its folder; a plan sends nothing."""
    (tmp_path / "conf" / "rec" / "calls").mkdir(parents=True)
    (tmp_path / "more").mkdir()
    (tmp_path / "conf" / "rec" / "calls" / "a.wav").write_bytes(recordings.recordings()["speech-16k.wav"])
    (tmp_path / "more" / "b.flac").write_bytes(recordings.recordings()["speech-8k.flac"])
    (tmp_path / "conf" / "conformance.toml").write_text('[media]\ndirs = ["rec"]\n', encoding="utf-8")
    result = conformance("run", "--plan", "--config", "conf/conformance.toml", "--media", "more", "--reports",
                         "reports", cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    plan = json.loads((tmp_path / "reports" / "plan.json").read_text(encoding="utf-8"))
    for name in ("calls/a.wav", "b.flac"):
        assert {row["nodeid"].split("[", 1)[0] for row in plan if row["nodeid"].endswith(f"[{name}]")} >= set(
            UPLOAD_CHECKS), name
