"""Verdicts are derived from the profile: the reference profile reproduces the manifest, and changing one limit
flips exactly the rows that limit concerns (the issue's "Done when"), in the functions and in a real collection."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.manifest import (
    RECIPES,
    ManifestError,
    MediaCase,
    Verdict,
    expected_verdict,
    for_profile,
    load_manifest,
)
from conformance.media.wav import parse_wav
from conformance.profile import build_profile

FIXTURES = Path(__file__).resolve().parents[2] / "conformance" / "corpus"
RAW = load_manifest(FIXTURES)
REFERENCE = build_profile()


def _verdicts(**overrides: Any) -> dict[str, Verdict]:
    profile = build_profile(overrides)
    return {case.id: expected_verdict(case, profile) for case in for_profile(RAW, profile)}


def _accepted(verdicts: dict[str, Verdict]) -> set[str]:
    return {name for name, verdict in verdicts.items() if verdict.accepted}


BASELINE = _verdicts()


@pytest.mark.parametrize("case", for_profile(RAW, REFERENCE), ids=lambda c: c.id)
def test_the_reference_profile_derives_the_manifest_verdict(case: MediaCase) -> None:
    verdict = expected_verdict(case, REFERENCE)
    assert verdict.accepted == case.accepted
    assert verdict.requirement == case.requirement
    assert verdict.reasons == (() if case.accepted else (case.reject_reason,))


# (override, rows that must flip to refused with this requirement, rows that must flip to accepted)
FLIPS = [
    ({"max_duration_s": 3.0}, "MEDIA-REJECT-TOO-LONG",
     {"wav-pcm16-16k-mono", "mp3-cbr128-44k-stereo", "m4a-aac-44k-stereo", "amr-nb-8k-mono"}, set()),
    ({"min_sample_rate": 16000}, "MEDIA-REJECT-RATE",
     {"wav-mulaw-8k-mono", "wav-pcm16-8k-stereo", "amr-nb-8k-mono", "wav-pcm16-8k-longest-accepted"}, set()),
    ({"min_sample_rate": 7000}, None, set(), {"wav-pcm16-7999hz-mono"}),
    ({"max_channels": 1}, "MEDIA-REJECT-CHANNELS",
     {"mp3-cbr128-44k-stereo", "ogg-vorbis-44k-stereo", "wav-pcm16-8k-stereo", "wma-v2-44k-stereo"}, set()),
    ({"max_channels": 3}, None, set(), {"wav-pcm16-16k-3ch"}),
    ({"max_file_bytes": 100_000}, "MEDIA-REJECT-OVERSIZE",
     {"wav-pcm24-44k-mono", "wav-float32-22k-mono", "m4a-alac-44k-mono", "flac-96k-mono"}, set()),
]


def _flip_id(value: Any) -> str:
    """Sets as sorted text: a set's own order changes with hash randomisation, and xdist workers must agree."""
    return (",".join(sorted(value)) if isinstance(value, set) else str(value))[:40]


@pytest.mark.parametrize(("override", "requirement", "refused", "accepted"), FLIPS, ids=_flip_id)
def test_one_limit_flips_the_rows_it_concerns(override: dict[str, Any], requirement: str | None, refused: set[str],
                                              accepted: set[str]) -> None:
    verdicts = _verdicts(**override)
    newly_refused = _accepted(BASELINE) - _accepted(verdicts)
    newly_accepted = _accepted(verdicts) - _accepted(BASELINE)
    assert refused <= newly_refused and newly_accepted == accepted
    assert {verdicts[name].requirement for name in newly_refused} <= {requirement}
    assert "wav-pcm16-16k-shortest" in _accepted(verdicts) or override.get("min_sample_rate", 0) > 16000


def test_defects_never_flip() -> None:
    lenient = _verdicts(max_duration_s=100_000.0, min_sample_rate=1, max_channels=64, max_file_bytes=10**12)
    for case in RAW:
        if case.defect is not None:
            assert not lenient[case.id].accepted and lenient[case.id].requirement == case.requirement


def test_the_boundary_rows_follow_the_configured_limits() -> None:
    profile = build_profile({"max_duration_s": 120.0, "max_file_bytes": 5_000_000})
    cases = {case.id: case for case in for_profile(RAW, profile)}
    assert cases["wav-pcm16-8k-longest-accepted"].duration_s == 120.0
    assert cases["wav-pcm16-8k-over-long"].duration_s == 121.0
    assert cases["wav-float32-48k-stereo-oversize"].size_bytes > 5_000_000
    verdicts = {name: expected_verdict(case, profile) for name, case in cases.items()}
    assert verdicts["wav-pcm16-8k-longest-accepted"].accepted
    assert verdicts["wav-pcm16-8k-over-long"].requirement == "MEDIA-REJECT-TOO-LONG"
    assert verdicts["wav-float32-48k-stereo-oversize"].requirement == "MEDIA-REJECT-OVERSIZE"
    assert verdicts["flac-length-bomb"].requirement == "MEDIA-REJECT-TOO-LONG"


def test_a_file_breaking_several_limits_may_be_refused_for_any_of_them() -> None:
    profile = build_profile({"max_duration_s": 2.0, "max_file_bytes": 1_000_000})  # oversize row: 2.8 s
    oversize = next(c for c in for_profile(RAW, profile) if c.id == "wav-float32-48k-stereo-oversize")
    verdict = expected_verdict(oversize, profile)
    assert verdict == Verdict(False, "MEDIA-REJECT-OVERSIZE", ("too_large", "invalid_audio"))


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_generated_rows_are_the_files_their_properties_describe(recipe: str) -> None:
    profile = build_profile({"max_duration_s": 2.0, "max_file_bytes": 200_000})
    case = next(c for c in for_profile(RAW, profile) if c.recipe == recipe)
    data = case.read()
    wav = parse_wav(data)
    assert len(data) == case.size_bytes
    assert (wav.sample_rate, wav.channels, wav.frames) == (case.sample_rate, case.channels, case.frames)
    assert case.read() == data  # deterministic, and cached


def test_the_loader_refuses_an_inconsistent_manifest(tmp_path: Path) -> None:
    text = (FIXTURES / "manifest.toml").read_text(encoding="utf-8")
    for old, new, message in [
        ('recipe = "over-long"', 'recipe = "never-heard-of"', "unknown recipe"),
        ('requirement = "MEDIA-REJECT-RATE"', 'requirement = "NO-SUCH-ID"', "unknown requirement"),
        ('verdict = "reject"\nreject_reason = "empty"', 'verdict = "accept"\nreject_reason = "empty"',
         "defect must be rejected"),
    ]:
        assert old in text
        (tmp_path / "manifest.toml").write_text(text.replace(old, new, 1), encoding="utf-8")
        with pytest.raises(ManifestError, match=message):
            load_manifest(tmp_path)


def test_a_limit_in_the_configuration_moves_rows_between_the_groups(tmp_path: Path) -> None:
    """End to end: `conformance run --collect-only` with CONFORMANCE_PROFILE_MAX_CHANNELS=1 collects the stereo rows
    as refusals (MEDIA-REJECT-CHANNELS) and no longer as uploads, without any code change."""

    def plan(env: dict[str, str]) -> dict[str, list[str]]:
        reports = tmp_path / str(len(env))
        subprocess.run([sys.executable, "-c", "from conformance.cli import main; raise SystemExit(main())", "run",
                        "--reports", str(reports), "--collect-only", "-q"],
                       capture_output=True, text=True, timeout=120, check=False,
                       env={k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")} | env)
        return {item["nodeid"]: item["requirements"] for item in json.loads((reports / "plan.json").read_text())}

    stereo = "test_refused_with_profile_status[mp3-cbr128-44k-stereo]"
    default, mono_only = plan({}), plan({"CONFORMANCE_PROFILE_MAX_CHANNELS": "1"})
    assert "test_upload.py::test_create_answers_201[mp3-cbr128-44k-stereo]" in default
    assert "test_upload.py::test_create_answers_201[mp3-cbr128-44k-stereo]" not in mono_only
    assert f"test_rejections.py::{stereo}" not in default
    assert mono_only[f"test_rejections.py::{stereo}"] == ["MEDIA-REJECT-CHANNELS"]


def test_a_mislabeled_file_may_be_judged_by_its_hidden_content_under_narrower_limits() -> None:
    """A WAV header over stereo MP3 data: a mono-only target that reads the content's stream may refuse it for
    its channels (422) instead of as undecodable (415); under the reference limits only 415 is right."""
    reference = _verdicts()["wav-over-mp3"]
    assert reference.reasons == ("undecodable",)
    mono = _verdicts(max_channels=1)["wav-over-mp3"]
    assert mono.requirement == "MEDIA-REJECT-MISLABELED" and not mono.accepted
    assert set(mono.reasons) == {"undecodable", "invalid_audio"}
