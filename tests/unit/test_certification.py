"""Certification roll-up: SHOULD warnings, waivers (strict), conformance levels, and the diff of two runs."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from conformance import requirements
from conformance.certification import certify
from conformance.diff import DiffError, diff, load
from conformance.results_schema import SCHEMA_VERSION, violations
from conformance.waivers import Waiver, WaiverError, load_waivers

TODAY = date(2026, 11, 27)


def passed(*ids: str) -> list[dict[str, object]]:
    """One passing test per requirement id."""
    return [{"nodeid": f"t::{rid}", "when": "call", "outcome": "passed", "requirements": [rid]} for rid in ids]


def failed(rid: str) -> dict[str, object]:
    return {"nodeid": f"t::{rid}-f", "when": "call", "outcome": "failed", "requirements": [rid],
            "failed_requirement": rid}


EVERYTHING = passed(*requirements.CATALOGUE)


def waiver(rid: str, expires: date = date(2027, 1, 1)) -> Waiver:
    return Waiver(requirement=rid, reason="known", issue="https://tracker/1", expires=expires)


def test_all_passing_conforms_at_the_highest_tier() -> None:
    result = certify(EVERYTHING, waivers={}, strict_should=False, today=TODAY)
    assert result.conforms and result.level == requirements.TIER_ORDER[-1] and result.failed == []


def test_a_failed_must_fails_and_caps_the_level() -> None:
    result = certify([*EVERYTHING, failed("WAV-SAME-SOUND")], waivers={}, strict_should=False, today=TODAY)
    assert not result.conforms and result.failed == ["WAV-SAME-SOUND"] and result.level is None


def test_a_failed_should_is_a_warning_unless_strict() -> None:
    lenient = certify([*EVERYTHING, failed("AUTH-CHALLENGE")], waivers={}, strict_should=False, today=TODAY)
    assert lenient.conforms and lenient.warnings == ["AUTH-CHALLENGE"]
    strict = certify([*EVERYTHING, failed("AUTH-CHALLENGE")], waivers={}, strict_should=True, today=TODAY)
    assert not strict.conforms and strict.failed == ["AUTH-CHALLENGE"]


def test_a_waived_failure_conforms_and_is_shown_as_waived() -> None:
    result = certify([*EVERYTHING, failed("WAV-SAME-SOUND")], waivers={"WAV-SAME-SOUND": waiver("WAV-SAME-SOUND")},
                     strict_should=False, today=TODAY)
    assert result.conforms and result.waived == ["WAV-SAME-SOUND"]
    assert result.requirements["WAV-SAME-SOUND"]["waiver"]["issue"] == "https://tracker/1"


def test_an_expired_waiver_fails_the_run() -> None:
    old = waiver("WAV-SAME-SOUND", expires=date(2026, 11, 26))
    result = certify([*EVERYTHING, failed("WAV-SAME-SOUND")], waivers={"WAV-SAME-SOUND": old}, strict_should=False,
                     today=TODAY)
    assert not result.conforms and "expired" in result.problems[0] and result.failed == ["WAV-SAME-SOUND"]


def test_a_waiver_of_a_passing_requirement_fails_the_run() -> None:
    result = certify(EVERYTHING, waivers={"WAV-RATE": waiver("WAV-RATE")}, strict_should=False, today=TODAY)
    assert not result.conforms and "stale" in result.problems[0]


def test_unsupported_capability_caps_the_level_without_failing() -> None:
    skipped = [{"nodeid": "t::d", "when": "setup", "outcome": "skipped", "kind": "unsupported",
                "reason": "Skipped: unsupported: no delete", "requirements": [rid]}
               for rid in requirements.CATALOGUE if requirements.get(rid).tier is not requirements.Tier.CORE]
    core = passed(*(rid for rid in requirements.CATALOGUE if requirements.get(rid).tier is requirements.Tier.CORE))
    result = certify([*core, *skipped], waivers={}, strict_should=False, today=TODAY)
    assert result.conforms and result.level == "Core"


def test_a_requirement_of_the_other_conforming_choice_does_not_cap_the_level() -> None:
    """`hide_existence = false` (403 for existing spaces) is a conforming choice, not a missing capability."""
    choice = {"nodeid": "t::h", "when": "call", "outcome": "skipped", "kind": "unsupported",
              "requirements": ["ACCESS-HIDE-EXISTENCE"]}
    rest = passed(*(rid for rid in requirements.CATALOGUE if rid != "ACCESS-HIDE-EXISTENCE"))
    result = certify([*rest, choice], waivers={}, strict_should=False, today=TODAY)
    assert result.conforms and result.level == requirements.TIER_ORDER[-1]
    lacking = {**choice, "requirements": ["DELETE-GONE"]}
    capped = certify([*passed(*(r for r in requirements.CATALOGUE if r != "DELETE-GONE")), lacking], waivers={},
                     strict_should=False, today=TODAY)
    assert capped.conforms and capped.level == "Core"


def test_a_suite_error_is_not_certified_and_not_held_against_the_target() -> None:
    broken = {"nodeid": "t::e", "when": "call", "outcome": "error", "kind": "error", "requirements": ["WAV-RATE"]}
    result = certify([*EVERYTHING, broken], waivers={}, strict_should=False, today=TODAY)
    assert result.verdict == "not certified" and result.errors == ["WAV-RATE"] and result.failed == []


def test_every_requirement_declares_its_tier_in_the_catalogue() -> None:
    """The tier is read from the catalogue row, never guessed from the id: an id of a new area still counts where
    its row says."""
    assert {r.tier for r in requirements.CATALOGUE.values()} == set(requirements.TIER_ORDER)
    row = requirements.get("AUTH-USER-SELF")
    assert row.tier is requirements.Tier.CORE
    result = certify([{"nodeid": "t::x", "when": "call", "outcome": "passed", "kind": "pass",
                       "requirements": ["AUTH-USER-SELF"]}], waivers={}, strict_should=False, today=TODAY)
    assert result.requirements["AUTH-USER-SELF"]["tier"] == "Core"
    assert result.requirements["PROP-STATEFUL"]["tier"] == "Full"


def test_waivers_file_is_validated(tmp_path: Path) -> None:
    good = tmp_path / "waivers.toml"
    good.write_text('[[waiver]]\nrequirement = "WAV-RATE"\nreason = "x"\nissue = "https://t/2"\nexpires = 2027-02-01\n')
    assert load_waivers(good)["WAV-RATE"].expires == date(2027, 2, 1)
    for body, fragment in (('[[waiver]]\nrequirement = "NOPE"\nreason="x"\nissue="y"\nexpires=2027-01-01\n', "NOPE"),
                           ('[[waiver]]\nrequirement = "WAV-RATE"\nreason=""\nissue="y"\nexpires=2027-01-01\n',
                            "reason"),
                           ('[[waiver]]\nrequirement = "WAV-RATE"\nreason="x"\nissue="y"\nexpires="soon"\n', "expires"),
                           ('[[waiver]]\nrequirement = "WAV-RATE"\nreason="x"\nissue="y"\n'
                            'expires=2027-01-01\nextra=1\n', "extra")):
        bad = tmp_path / "bad.toml"
        bad.write_text(body)
        with pytest.raises(WaiverError, match=fragment):
            load_waivers(bad)
    with pytest.raises(WaiverError, match="does not exist"):
        load_waivers(tmp_path / "missing.toml")


def _summary(tmp_path: Path, name: str, results: list[dict[str, object]]) -> dict[str, object]:
    result = certify(results, waivers={}, strict_should=False, today=TODAY)
    data = {"schema_version": SCHEMA_VERSION, "verdict": result.verdict, "level": result.level,
            "requirements": result.requirements,
            "profile": {"max_duration_s": 300.0, "capabilities": {"delete": True}}, "tests": results}
    (tmp_path / f"{name}.json").write_text(json.dumps(data))
    return load(tmp_path / f"{name}.json")


def test_diff_lists_exactly_the_flipped_requirements(tmp_path: Path) -> None:
    a = _summary(tmp_path, "a", EVERYTHING)
    b = _summary(tmp_path, "b", [*EVERYTHING, failed("WAV-RATE"), failed("AUD-CREATE-201")])
    b["profile"] = {"max_duration_s": 120.0, "capabilities": {"delete": False}}
    result = diff(a, b)
    assert result.flipped == {"AUD-CREATE-201": ("pass", "fail"), "WAV-RATE": ("pass", "fail")}
    assert result.verdict == ("conforms", "does not conform")
    assert result.profile == {"capabilities.delete": (True, False), "max_duration_s": (300.0, 120.0)}
    assert diff(a, a).flipped == {} and diff(a, a).profile == {}


def test_diff_refuses_what_is_not_a_certification(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"tests": []}')
    with pytest.raises(DiffError, match="not a certification"):
        load(tmp_path / "x.json")


@pytest.mark.parametrize(("version", "fragment"), [
    (None, "has no schema_version"), ("2.0", "schema_version 2.0 is not one this suite reads (major version 1)"),
    (3, "has no schema_version")])
def test_diff_refuses_a_major_version_it_does_not_know_in_one_sentence(tmp_path: Path, version: object,
                                                                         fragment: str) -> None:
    data: dict[str, object] = {"verdict": "conforms", "requirements": {}}
    if version is not None:
        data["schema_version"] = version
    (tmp_path / "x.json").write_text(json.dumps(data))
    with pytest.raises(DiffError) as excinfo:
        load(tmp_path / "x.json")
    assert fragment in str(excinfo.value) and "\n" not in str(excinfo.value)
    data["schema_version"] = "1.7"  # a later minor version of the same major is read
    (tmp_path / "x.json").write_text(json.dumps(data))
    assert load(tmp_path / "x.json")["schema_version"] == "1.7"


def test_the_shipped_schema_catches_what_readers_rely_on() -> None:
    """A real certification's shape passes; a wrong verdict, an unknown outcome or a missing key does not."""
    result = certify(EVERYTHING, waivers={}, strict_should=False, today=TODAY)
    good = {"schema_version": SCHEMA_VERSION, "suite_version": "0.1.0", "suite_revision": None, "target": "http://x",
            "target_version": None, "embedded_reference": True, "profile": {}, "budget": "quick", "seed": 1,
            "run_id": "ab12", "started": "2026-12-02T10:00:00Z", "finished": "2026-12-02T10:01:00Z",
            "pytest_exit_status": 0, "verdict": result.verdict, "level": result.level, "failed_requirements": [],
            "undecided_requirements": [], "error_requirements": [], "warnings": [], "waived": [], "problems": [],
            "requirements": result.requirements, "capabilities": {}, "time_to_available": {"count": 0,
            "p50_s": None, "p95_s": None}, "requests": {"requests": 1, "retries": 0, "timeouts": 0},
            "read_only": False, "partial": False, "requirements_run": 71, "leaks": [],
            "tests": [{**row, "kind": "pass", "failed_requirement": None, "duration_s": 0.1, "reason": ""}
                      for row in EVERYTHING]}
    assert violations(good) == []
    assert violations({**good, "verdict": "maybe"}) and violations({**good, "level": "Gold"})
    broken = json.loads(json.dumps(good))
    broken["requirements"]["WAV-RATE"]["outcome"] = "fine"
    assert any("WAV-RATE" in v for v in violations(broken))
    assert any("tests" in v for v in violations({k: v for k, v in good.items() if k != "tests"}))


def test_capabilities_detected_next_to_declared() -> None:
    from conformance.certification import capabilities

    verdicts = certify([*passed("DELETE-GONE"), failed("RAW-UPLOAD")], waivers={}, strict_should=False,
                       today=TODAY).requirements
    seen = capabilities({"delete": True, "raw_upload": True, "api_keys": False}, verdicts)
    assert seen["delete"] == {"declared": True, "detected": "works"}
    assert seen["raw_upload"] == {"declared": True, "detected": "broken"}
    assert seen["api_keys"] == {"declared": False, "detected": "not checked"}


def test_time_to_available_percentiles() -> None:
    from conformance.certification import percentiles

    assert percentiles([]) == {"count": 0, "p50_s": None, "p95_s": None}
    assert percentiles([0.0] * 3) == {"count": 3, "p50_s": 0.0, "p95_s": 0.0}
    spread = percentiles(float(i) for i in range(1, 101))
    assert spread == {"count": 100, "p50_s": 50.0, "p95_s": 95.0}
