"""Which rows hear and see their WAV verdict, and a preview that cannot be made says so without changing it."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest

from conformance.checks.wav import SameSoundFailure, SameSoundReading
from conformance.config import load_settings
from conformance.listening import LISTENING_KEY, Listening, family_samples
from conformance.manifest import load_manifest
from conformance.media.compare import Similarity
from conformance.media.wav import wav_bytes
from conformance.redaction import Redactor
from conformance.report_listen import attach, share_repeats, wanted

CASES = {case.id: case for case in load_manifest()}
READING = SameSoundReading(Similarity(0.0, 0.0, 0.0, 3.68, 3.68), 0.9, 0.8, True)


def listening(**kwargs: object) -> Listening:
    return Listening("wav-pcm16-16k-mono", lambda: CASES["wav-pcm16-16k-mono"], **kwargs)  # type: ignore[arg-type]


def test_failed_wav_checks_and_each_family_s_passing_sample_are_shown() -> None:
    assert wanted(listening(), "fail", "WAV-FORMAT", ["WAV-FORMAT"]) == "failed"
    assert wanted(listening(), "undecided", "WAV-GET-200", ["WAV-FORMAT"]) is None
    assert wanted(listening(), "fail", "AUD-DETAILS-200", ["AUD-DETAILS-200"]) is None
    assert wanted(listening(sample=True, reading=READING), "pass", None, ["WAV-SAME-SOUND"]) == "sample"
    assert wanted(listening(sample=False, reading=READING), "pass", None, ["WAV-SAME-SOUND"]) is None
    assert wanted(listening(sample=True, reading=READING), "pass", None, ["WAV-FORMAT"]) is None


def test_one_sample_per_container_in_corpus_order() -> None:
    accepted = [case for case in CASES.values() if case.accepted]
    samples = family_samples(accepted)
    assert len(samples) == len({case.container for case in accepted})
    assert "wav-pcm16-16k-mono" in samples and "wav-pcm24-44k-mono" not in samples


def _row(heard: Listening, kind: str = "fail",
         previews: str = "samples") -> tuple[SimpleNamespace, SimpleNamespace, SimpleNamespace]:
    item = SimpleNamespace(stash=pytest.Stash())
    item.stash[LISTENING_KEY] = heard
    report = SimpleNamespace(when="call", kind=kind, failed_requirement="WAV-SAME-SOUND" if kind == "fail" else None,
                             requirements=["WAV-SAME-SOUND"])
    state = SimpleNamespace(redactor=Redactor(["s3cret-token"]), settings=load_settings(env={}, overrides={}))
    state.settings = replace(state.settings, previews=previews)
    return state, item, report


@pytest.mark.parametrize(("previews", "failed", "sample"), [("samples", 1, 1), ("failures", 1, 0), ("none", 0, 0)])
def test_the_previews_setting_chooses_which_rows_are_shown(previews: str, failed: int, sample: int) -> None:
    returned = wav_bytes(b"\0\0" * 16000, rate=16000)
    state, item, report = _row(listening(returned=returned), previews=previews)
    attach(state, item, report, SameSoundFailure("WAV-SAME-SOUND", "t", received="r", expected="e",  # type: ignore[arg-type]
                                                 reading=READING))
    assert len(getattr(report, "extras", [])) == failed
    state, item, report = _row(listening(returned=returned, sample=True, reading=READING), "pass", previews)
    attach(state, item, report, None)  # type: ignore[arg-type]
    assert len(getattr(report, "extras", [])) == sample


def test_a_failed_row_gets_an_html_extra_with_two_players_and_the_oracle_s_numbers() -> None:
    heard = listening(returned=wav_bytes(b"\0\0" * 16000, rate=16000))
    state, item, report = _row(heard)
    failure = SameSoundFailure("WAV-SAME-SOUND", "not the sound", received="s3cret-token", expected="x",
                               reading=READING)
    attach(state, item, report, failure)  # type: ignore[arg-type]
    (extra,) = report.extras
    assert extra["format_type"] == "html" and extra["content"].count("<audio controls") == 2
    assert extra["content"].count('<img class="cf-picture" src="data:image/png;base64,') == 1
    assert "waveform correlation 0.000 (needs &gt;= 0.9" in extra["content"] and report.kind == "fail"


def test_a_preview_that_cannot_be_made_says_so_and_the_verdict_stands() -> None:
    def broken() -> None:
        raise OSError("the corpus file went away (token s3cret-token)")

    state, item, report = _row(Listening("x", broken))  # type: ignore[arg-type]
    attach(state, item, report, None)  # type: ignore[arg-type]
    (extra,) = report.extras
    assert "could not be made (a problem of the suite; the verdict stands)" in extra["content"]
    assert "s3cret-token" not in extra["content"] and report.kind == "fail"


def test_a_row_repeating_an_earlier_row_s_sounds_links_to_it_and_keeps_its_own_caption() -> None:
    heard = listening(returned=wav_bytes(b"\0\0" * 16000, rate=16000))
    rows = []
    for nodeid in ("t.py::test_format[wav-pcm16-16k-mono]", "t.py::test_same[wav-pcm16-16k-mono]"):
        state, item, report = _row(heard)
        report.nodeid = nodeid
        attach(state, item, report, SameSoundFailure("WAV-SAME-SOUND", f"title of {nodeid}", received="r",
                                                     expected="e", reading=READING))
        rows.append(report)
    seen: dict[str, str] = {}
    for report in rows:
        share_repeats(seen, report)  # type: ignore[arg-type]
    first, second = (r.extras[0]["content"] for r in rows)
    assert "<audio" in first and "<audio" not in second and "<img" not in second
    assert 'href="#t.py::test_format[wav-pcm16-16k-mono]"' in second and "title of t.py::test_same" in second
