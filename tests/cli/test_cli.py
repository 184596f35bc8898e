"""The ``conformance`` command as a user runs it: exit codes, one-line errors, reports, and no leaked secret.

Every run is a real subprocess against a real reference server on loopback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.target import EmbeddedServer, embedded_reference

pytestmark = pytest.mark.xdist_group("cli-embedded-run")  # its module-scoped runs, once, on one worker

RUN_BOUND_S = 300  # a hang guard, not a timing assertion


QUIET = {"CONFORMANCE_PREVIEWS": "none"}
"""Runs that judge verdicts, not what report.html plays, leave the players and pictures out (seconds per run); the
README's own command (``embedded_run``) and ``test_report_browser.py`` keep them."""


def conformance(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
                timeout: float = RUN_BOUND_S) -> subprocess.CompletedProcess[str]:
    """Run ``conformance ARGS`` as a user would (through the package's entry point), without report previews
    unless ``env`` asks for them."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")}
    return subprocess.run([sys.executable, "-c", "from conformance.cli import main; raise SystemExit(main())", *args],
                          capture_output=True, text=True, env={**clean, **QUIET, **(env or {})}, cwd=cwd,
                          timeout=timeout)


def one_clear_line(stderr: str) -> str:
    """The single user-facing line of an unusable run (no traceback)."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.fixture(scope="module")
def hand_started(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    """A reference server started separately, as a user would start it before pointing the suite at it."""
    with embedded_reference(tmp_path_factory.mktemp("hand")) as server:
        yield server


@pytest.fixture(scope="module")
def embedded_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """The README's first command, minus the install: ``conformance run`` with no target."""
    reports = tmp_path_factory.mktemp("embedded") / "reports"
    return conformance("run", "--reports", str(reports), env={"CONFORMANCE_PREVIEWS": "samples"}), reports


def test_unreachable_target_exits_2_with_one_line() -> None:
    result = conformance("run", "--target", "http://127.0.0.1:9/v1", timeout=15)
    assert result.returncode == 2
    line = one_clear_line(result.stderr)
    assert "127.0.0.1:9" in line and "unreachable" in line


@pytest.mark.parametrize(("content", "names"), [
    ('base_url = "http://127.0.0.1:9/v1"\ntimout = 3\n', "timout"),
    ('base_url = "ftp://x/v1"\n', "base_url"),
    ("[profile]\nmax_duration = 3\n", "max_duration"),
    ("this is = = not toml", "not valid TOML"),
])
def test_bad_configuration_exits_2_before_any_request(tmp_path: Path, content: str, names: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(content)
    result = conformance("run", "--config", str(config), timeout=30)
    assert result.returncode == 2
    assert names in one_clear_line(result.stderr)


def test_target_without_primary_actor_exits_2(hand_started: EmbeddedServer, tmp_path: Path) -> None:
    """A live target but no one to act as: one sentence naming the missing table, before any check runs."""
    base_url = tomllib.loads(hand_started.config_path.read_text())["base_url"]
    config = tmp_path / "partial.toml"
    config.write_text(f'base_url = "{base_url}"\n[spaces.primary]\nowner = "alice"\nspace = "main"\n')
    result = conformance("run", "--config", str(config), timeout=30)
    assert result.returncode == 2
    assert "actors.primary" in one_clear_line(result.stderr)


def test_missing_configuration_file_exits_2(tmp_path: Path) -> None:
    result = conformance("run", "--config", str(tmp_path / "nope.toml"), timeout=30)
    assert result.returncode == 2
    assert "does not exist" in one_clear_line(result.stderr)


def test_embedded_default_conforms_and_writes_reports(embedded_run: tuple[subprocess.CompletedProcess[str], Path]
                                                      ) -> None:
    result, reports = embedded_run
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1].startswith("CONFORMS, level Full: ")
    html = (reports / "report.html").read_text()
    for requirement in ("AUD-CREATE-201", "AUD-DETAILS-200", "WAV-GET-200", "WAV-SAME-SOUND", "AUTH-MISSING-401"):
        assert requirement in html
    assert "<script src=" not in html and '<link rel="stylesheet" href=' not in html  # self-contained
    junit = (reports / "junit.xml").read_text()
    assert '<property name="requirement" value="WAV-SAME-SOUND"' in junit
    summary = json.loads((reports / "certification.json").read_text())
    assert summary["verdict"] == "conforms" and summary["embedded_reference"] is True
    assert summary["requirements"]["WAV-SAME-SOUND"]["outcome"] == "pass"
    assert summary["leaks"] == []


def test_configured_target_gives_the_same_verdict_as_embedded(
        hand_started: EmbeddedServer, embedded_run: tuple[subprocess.CompletedProcess[str], Path],
        tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    result = conformance("run", "--config", str(hand_started.config_path), "--reports", str(reports))
    assert result.returncode == 0, result.stdout[-3000:]
    mine = json.loads((reports / "certification.json").read_text())
    embedded = json.loads((embedded_run[1] / "certification.json").read_text())
    assert mine["target"] != embedded["target"]
    assert mine["requirements"] == embedded["requirements"]
    assert [t["nodeid"] for t in mine["tests"]] == [t["nodeid"] for t in embedded["tests"]]


def test_env_overrides_the_file(hand_started: EmbeddedServer, tmp_path: Path) -> None:
    """CONFORMANCE_* variables win over the file: an unknown token from the environment fails the run."""
    reports = tmp_path / "reports"
    result = conformance("run", "--config", str(hand_started.config_path), "--reports", str(reports),
                         "-k", "test_create_answers_201", env={"CONFORMANCE_PRIMARY_TOKEN": "x" * 40})
    assert result.returncode == 1
    assert "AUD-CREATE-201" in result.stdout.strip().splitlines()[-1]


def _secrets(config_path: Path) -> list[str]:
    config = tomllib.loads(config_path.read_text())
    return [value for actor in config["actors"].values() for key, value in actor.items()
            if key in ("token", "password")]


@pytest.mark.parametrize("fault", [None, "auth-missing-accepted"])
def test_no_secret_reaches_reports_or_console(tmp_path: Path, fault: str | None) -> None:
    """Run with known secrets (passing, and failing with transcripts in the report and the evidence of a discovered
    profile), then scan every byte."""
    with embedded_reference(tmp_path / "server", faults=[fault] if fault else []) as server:
        secrets = _secrets(server.config_path)
        reports = tmp_path / "reports"
        result = conformance("run", "--config", str(server.config_path), "--reports", str(reports),
                             *(["--discover"] if fault else []))
    assert result.returncode == (1 if fault else 0)
    assert "[REDACTED]" in (reports / "report.html").read_text() or not fault
    produced = [p.read_bytes() for p in reports.rglob("*") if p.is_file()]
    produced += [result.stdout.encode(), result.stderr.encode()]
    assert len(produced) >= 5
    assert (reports / "discovered-profile.toml").is_file() or not fault
    for secret in secrets:
        assert all(secret.encode() not in blob for blob in produced), "a secret leaked"


SAME_SOUND_ONLY = ("-k", "test_file_is_same_sound")


def _waivers(tmp_path: Path, requirement: str, expires: str) -> Path:
    path = tmp_path / "waivers.toml"
    path.write_text(f'[[waiver]]\nrequirement = "{requirement}"\nreason = "vendor ticket"\n'
                    f'issue = "https://tracker.example/42"\nexpires = {expires}\n')
    return path


def test_a_valid_waiver_turns_a_known_failure_into_waived(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    result = conformance("run", "--reports", str(reports), "--reference-fault", "silent-wav",
                         "--waivers", str(_waivers(tmp_path, "WAV-SAME-SOUND", "2099-12-31")), *SAME_SOUND_ONLY)
    assert result.returncode == 0, result.stdout[-2000:]
    assert "1 waived" in result.stdout.strip().splitlines()[-1]
    summary = json.loads((reports / "certification.json").read_text())
    assert summary["requirements"]["WAV-SAME-SOUND"]["outcome"] == "waived"


def test_an_expired_waiver_fails_the_run(tmp_path: Path) -> None:
    result = conformance("run", "--reports", str(tmp_path / "reports"), "--reference-fault", "silent-wav",
                         "--waivers", str(_waivers(tmp_path, "WAV-SAME-SOUND", "2020-01-01")), *SAME_SOUND_ONLY)
    assert result.returncode == 1
    assert "expired" in result.stdout.strip().splitlines()[-1]


def test_diff_of_a_passing_and_a_failing_run_lists_the_flipped_requirements(tmp_path: Path) -> None:
    good, bad = tmp_path / "good", tmp_path / "bad"
    assert conformance("run", "--reports", str(good), *SAME_SOUND_ONLY).returncode == 0
    assert conformance("run", "--reports", str(bad), "--reference-fault", "silent-wav",
                       *SAME_SOUND_ONLY).returncode == 1
    result = conformance("diff", str(good / "certification.json"), str(bad / "certification.json"),
                         "--out", str(tmp_path / "diff.json"))
    assert result.returncode == 1
    flipped = [line for line in result.stdout.splitlines() if line.startswith("flipped ")]
    assert flipped == ["flipped WAV-SAME-SOUND: pass -> fail"]
    assert json.loads((tmp_path / "diff.json").read_text())["flipped"] == {"WAV-SAME-SOUND": ["pass", "fail"]}


def test_report_renders_in_a_real_browser(embedded_run: tuple[subprocess.CompletedProcess[str], Path],
                                          tmp_path: Path) -> None:
    """Headless Chromium runs the report's scripts: the result rows (built client-side) carry requirement ids,
    and the certification section sits on top."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    report = embedded_run[1] / "report.html"
    dom = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                          "--disable-component-update", "--disable-sync", "--no-first-run",
                          f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000", "--dump-dom",
                          report.as_uri()], capture_output=True, text=True, timeout=120).stdout
    assert '<section id="certification">' in dom and "CONFORMS, level" in dom
    assert '<td class="col-requirement">AUD-CREATE-201 (MUST)</td>' in dom
    assert dom.count('class="col-requirement"') > 50
