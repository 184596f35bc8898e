"""report.html of a run against a planted WAV fault, in a real browser: every player plays, every picture renders.

A real ``conformance run`` against the embedded reference server with the fault planted (restricted with ``-k`` to
the WAV scenarios, so it costs seconds, not minutes); then headless Chromium (``tests/hostile/browser.py``, over
the DevTools pipe) opens the report, opens every row's details and checks by script that every ``<audio>`` has
loaded a duration > 0, every picture has a natural width, nothing was logged as an error, and every failed WAV
row of ``certification.json`` has its players and picture. Screenshots of the summary and of the first picture
are saved next to the report (``report-summary.png``, ``report-listen.png``) and copied to the checkout's
``reports/`` (``browser-<fault>-report-*.png``) for CI to keep.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hostile.browser import Browser, launched

REPORT_BUDGET = 5 * 1024 * 1024
KEPT = Path(__file__).resolve().parents[2] / "reports"  # the checkout's reports/, which CI uploads
RUN_BOUND_S = 300
WAV_SCENARIOS = ("-k", "test_file")
# Waits for every player's metadata (or its error) and every picture's decoding, then says what they gave;
# bounded by the page's own 30 s timer, so a player that never loads fails the test instead of hanging it.
MEASURE = """(async () => {
  document.getElementById('show_all_details')?.click();
  const audios = [...document.querySelectorAll('.cf-listen audio')];
  const pictures = [...document.querySelectorAll('.cf-listen img.cf-picture')];
  const loaded = (a) => a.readyState >= 1 || a.error ? null : new Promise((done) => {
    a.addEventListener('loadedmetadata', done, {once: true});
    a.addEventListener('error', done, {once: true});
  });
  const timer = new Promise((done) => setTimeout(done, 30000));
  await Promise.race([Promise.all([...audios.map(loaded), ...pictures.map((p) => p.decode().catch(() => null))]),
                      timer]);
  return {previews: document.querySelectorAll('.cf-listen:not(.cf-shared)').length,
          shared: document.querySelectorAll('.cf-listen.cf-shared').length,
          broken: document.querySelectorAll('.cf-listen-broken').length,
          alone: document.querySelectorAll('.cf-listen.cf-alone').length,
          media: [...document.querySelectorAll('.cf-listen')].map((d) => d.dataset.media),
          durations: audios.map((a) => Number.isFinite(a.duration) ? a.duration : -1),
          errors: audios.filter((a) => a.error).map((a) => a.error.message || String(a.error.code)),
          widths: pictures.map((p) => p.naturalWidth), bars: document.querySelectorAll('#areas .cf-seg').length};
})()"""


def conformance(*args: str) -> subprocess.CompletedProcess[str]:
    """``conformance ARGS`` as a user runs it (no CONFORMANCE_* variable of the caller's leaks in)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")}
    return subprocess.run([sys.executable, "-c", "from conformance.cli import main; raise SystemExit(main())", *args],
                          capture_output=True, text=True, env=clean, timeout=RUN_BOUND_S)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with launched(tmp_path_factory.mktemp("chromium")) as running:
        yield running


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["silent-wav", pytest.param("wav-stereo", marks=pytest.mark.nightly)])
def test_every_wav_failure_plays_and_shows_in_a_real_browser(fault: str, browser: Browser, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    run = conformance("run", "--reference-fault", fault, "--reports", str(reports), *WAV_SCENARIOS)
    assert run.returncode == 1, run.stdout[-2000:] + run.stderr[-2000:]
    report = reports / "report.html"
    assert report.stat().st_size <= REPORT_BUDGET
    rows = json.loads((reports / "certification.json").read_text())["tests"]
    failed = [r["nodeid"] for r in rows if r["kind"] == "fail" and str(r["failed_requirement"]).startswith("WAV-")]
    assert failed, "the planted fault failed no WAV check"
    corpus_rows = {nodeid.split("[")[-1].rstrip("]") for nodeid in failed} - {f"audio{i}" for i in range(9)}

    tab = browser.open(report.as_uri(), settle_s=0.5, expand=False)
    try:
        page = tab.evaluate(MEASURE, timeout=60)
        tab.screenshot(reports / "report-summary.png")
        tab.evaluate("document.querySelector('.cf-listen').scrollIntoView()")
        tab.screenshot(reports / "report-listen.png")
        browser.watch(tab.run, tab.session, until=None, seconds=0.2)
    finally:
        tab.close()
    assert page["broken"] == 0
    # every failed WAV row hears and sees, or links to the row that plays the same sounds (samples may add)
    assert corpus_rows <= set(page["media"]) and page["previews"] + page["shared"] >= len(failed)
    assert len(page["durations"]) == 2 * page["previews"] - page["alone"]  # a WAV with no known fixture: alone
    assert page["errors"] == [] and all(d > 0 for d in page["durations"]), page["durations"]
    assert len(page["widths"]) == page["previews"] and all(w > 0 for w in page["widths"])
    assert page["bars"] > 0
    problems = [m for m in tab.run.console if m.split(":", 1)[0] in ("error", "warning", "assert")]
    assert problems == [] and tab.run.exceptions == [] and tab.run.dialogs == []
    assert (reports / "report-summary.png").stat().st_size > 10_000 and (reports / "report-listen.png").is_file()
    KEPT.mkdir(exist_ok=True)
    for name in ("report-summary.png", "report-listen.png"):
        shutil.copyfile(reports / name, KEPT / f"browser-{fault}-{name}")
