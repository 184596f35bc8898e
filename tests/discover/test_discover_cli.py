"""The discovery commands as a user meets them: a budget that holds, a configured value that wins over a
discovered one, a discovered profile reused with ``--profile``, and one clear sentence for every misuse."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from conformance.discover.output import read
from conformance.profile import build_profile
from tests.cli.test_cli import conformance, one_clear_line
from tests.discover.conftest import playing, profile_table, variant_profile

QUICK = ("-k", "test_create_answers_201 or AUTH-MISSING-401")


def test_the_request_budget_holds_and_what_is_not_probed_keeps_the_reference(tmp_path: Path) -> None:
    out = tmp_path / "p.toml"
    with playing(tmp_path / "target", variant_profile("colon-sort")) as config:
        done = conformance("discover", "--config", str(config), "--out", str(out), "--max-requests", "12",
                           cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = out.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert 0 < data["discovery"]["requests"] <= 12
    assert "not probed: the request budget of 12 is spent" in text
    assert data["list_sort_ascending"] == "{field}", "an unprobed key keeps the reference value"
    assert data["discovery"]["provenance"]["list_sort_ascending"] == "defaulted"


def test_a_configured_value_wins_over_a_discovered_one(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    extra = profile_table({"list_past_end_status": 200, "reject_statuses.malformed": 400})
    with playing(tmp_path / "target", variant_profile("ascending-only"), extra=extra) as config:
        done = conformance("run", "--discover", "--config", str(config), "--reports", str(reports), *QUICK,
                           cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    summary = json.loads((reports / "certification.json").read_text(encoding="utf-8"))
    found, _ = read(reports / "discovered-profile.toml")
    assert found["list_past_end_status"] == 404, "the target's own choice was discovered"
    assert summary["profile"]["list_past_end_status"] == 200, "and the configured value was used"
    assert summary["profile_provenance"]["list_past_end_status"] == "configured"
    assert summary["profile_provenance"]["reject_statuses.malformed"] == "configured"
    assert summary["profile"]["list_sort_descending"] == ""
    assert summary["profile_provenance"]["list_sort_descending"] == "discovered"
    assert summary["profile_provenance"]["clock_skew_s"] == "default"
    assert "discovered profile:" in done.stdout


def test_a_discovered_profile_file_is_reused_with_profile(tmp_path: Path) -> None:
    out, reports = tmp_path / "p.toml", tmp_path / "reports"
    with playing(tmp_path / "target", variant_profile("null-file")) as config:
        first = conformance("discover", "--config", str(config), "--out", str(out), cwd=tmp_path)
        assert first.returncode == 0, first.stderr
        done = conformance("run", "--profile", str(out), "--config", str(config), "--reports", str(reports),
                           *QUICK, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    summary = json.loads((reports / "certification.json").read_text(encoding="utf-8"))
    assert summary["profile"]["fileless_create"] == "null"
    assert summary["profile"]["client_handle"] == "reject"
    assert summary["profile_provenance"]["fileless_create"] == "discovered"
    assert summary["discovery"] == {"file": str(out)}


def test_misuse_is_one_clear_sentence(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('processing = "sometimes"\n', encoding="utf-8")
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("procesing = \"sync\"\n", encoding="utf-8")
    cases = [
        (("run", "--probe-limits"), "--probe-limits needs --discover"),
        (("run", "--discover", "--read-only"), "cannot discover"),
        (("run", "--profile", str(bad)), "processing"),
        (("run", "--profile", str(unknown)), "did you mean 'processing'"),
        (("run", "--profile", str(tmp_path / "missing.toml")), "cannot be read"),
        (("discover", "--target", "http://127.0.0.1:9/v1", "--config", str(tmp_path / "none.toml")),
         "does not exist"),
        (("discover", "--max-requests", "3"), "at least 10"),
        (("discover", "--variant", "no-such"), "unknown profile variant"),
    ]
    for args, says in cases:
        done = conformance(*args, "--reports", str(tmp_path / "reports"), cwd=tmp_path)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert says in one_clear_line(done.stderr), (args, done.stderr)


def test_an_unreachable_target_is_one_clear_sentence(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('base_url = "http://127.0.0.1:9/v1"\n[actors.primary]\ntoken = "t0ken-abcdef"\n'
                      '[spaces.primary]\nowner = "a"\nspace = "b"\n', encoding="utf-8")
    done = conformance("discover", "--config", str(config), cwd=tmp_path)
    assert done.returncode == 2
    line = one_clear_line(done.stderr)
    assert "127.0.0.1:9" in line and "t0ken-abcdef" not in line


def test_the_discovered_profile_is_a_valid_profile_with_every_key(tmp_path: Path) -> None:
    out = tmp_path / "p.toml"
    done = conformance("discover", "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    found, provenance = read(out)
    built = build_profile(found)
    assert built == build_profile(), "the embedded reference discovers as itself"
    assert set(provenance) >= {"processing", "capabilities.delete", "reject_statuses.empty"}
    text = out.read_text(encoding="utf-8")
    assert "# observed: " in text and "#   POST /spaces/" in text, "each key says why, with its evidence"


def test_xdist_workers_judge_by_the_profile_the_controller_discovered(tmp_path: Path) -> None:
    """Under ``-n 2`` the controller discovers once and hands the values to its workers: the sort checks of a
    target with another sort syntax pass only if every worker judges by it."""
    reports = tmp_path / "reports"
    with playing(tmp_path / "target", variant_profile("colon-sort")) as config:
        done = conformance("run", "--discover", "--config", str(config), "--reports", str(reports), "-n", "2",
                           "-k", "LIST-SORT or AUD-CREATE-201", cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    summary = json.loads((reports / "certification.json").read_text(encoding="utf-8"))
    assert summary["requirements"]["LIST-SORT"]["outcome"] == "pass"
    assert summary["profile"]["list_sort_descending"] == "{field}:desc"
    assert summary["discovery"]["requests"] > 0
