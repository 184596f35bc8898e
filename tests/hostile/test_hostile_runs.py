"""The real ``conformance run`` against a front that misbehaves on one route, one behaviour per test.

For every behaviour of the kit (``tests/hostile/kit.py``) the run must: end with a verdict, well within the time
its configuration allows; keep its peak RSS under 1 GiB; hand no token to the catcher on the other origin; leave
a report.html in which nothing from the target runs (headless Chromium: no dialog, no console message from an
injected payload); and write no secret into any artifact. Where the behaviour breaks a transport requirement, the
finding is that requirement's, and the check whose request it was is left undecided, not failed.

Each run is restricted (``-k``) to the scenarios the misbehaving route affects, against one shared reference
server, so the module costs a few minutes on 2 cores. The whole quick run per behaviour is benchmarked instead
(``benchmarks/run.py``, figure e).
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance.target import EmbeddedServer, embedded_reference
from tests.hostile.browser import Browser, launched
from tests.hostile.kit import (
    BEHAVIOURS,
    Catcher,
    Front,
    GiB,
    SuiteRun,
    front_config,
    leaked,
    run_suite,
    secrets_of,
)

pytestmark = pytest.mark.xdist_group("hostile-runs")  # its module-scoped runs, once, on one worker
TIMEOUT_S = 2.0  # the configured per-wait timeout of every run here: a whole exchange may take 6 of them
RUN_BOUND_S = 150.0  # the run must end well within this (it is killed, and fails, beyond it)
PEAK_RSS_BOUND = 1 * GiB
MEDIA = "wav-pcm16-16k-mono"  # the one upload the restricted runs make (test_transport uses it too)


@dataclass(frozen=True)
class Case:
    """A behaviour, the checks a run against it selects, and what must be found."""

    behaviour: str
    select: str
    fails: tuple[str, ...] = ()  # requirements the run must fail, by their own id
    undecided: tuple[str, ...] = ()  # requirements whose checks the finding leaves undecided (never failed)


DETAILS_CHECKS = f"test_transport or (test_details_answer_the_audio and {MEDIA})"
FILE_CHECKS = f"test_transport or (test_file_answers_wav and {MEDIA}) or (test_file_is_pcm16_mono and {MEDIA})"
CASES = (
    Case("cross-origin-redirect", f"{DETAILS_CHECKS} or test_access_path_variant or test_stateful",
         fails=("TRANSPORT-REDIRECT-ORIGIN",), undecided=("AUD-DETAILS-200", "ACCESS-PATH-NORMALISATION")),
    Case("gzip-bomb", f"{FILE_CHECKS} or test_stateful", fails=("TRANSPORT-RESPONSE-BOUNDED",),
         undecided=("WAV-GET-200", "WAV-FORMAT")),
    Case("endless-body", FILE_CHECKS, fails=("TRANSPORT-RESPONSE-BOUNDED",), undecided=("WAV-GET-200",)),
    Case("huge-json", DETAILS_CHECKS, fails=("TRANSPORT-RESPONSE-BOUNDED",), undecided=("AUD-DETAILS-200",)),
    Case("deep-json", DETAILS_CHECKS, fails=("AUD-DETAILS-200",)),
    Case("invalid-utf8", DETAILS_CHECKS, fails=("AUD-DETAILS-200",)),
    Case("lone-surrogates", DETAILS_CHECKS, fails=("AUD-DETAILS-200",)),
    Case("trickled-headers", FILE_CHECKS, fails=("WAV-GET-200",)),
    Case("short-body", DETAILS_CHECKS, undecided=("AUD-DETAILS-200",)),
    Case("script-everywhere", f"{DETAILS_CHECKS} or test_user_is_the_caller or test_search_by_alias_term",
         fails=("AUD-DETAILS-200",)),
)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    """One real reference server behind every front of the module."""
    with embedded_reference(tmp_path_factory.mktemp("reference")) as server:
        yield server


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """Headless Chromium (required in CI: ``.ci/run`` installs it)."""
    with launched(tmp_path_factory.mktemp("chromium")) as running:
        yield running


@dataclass
class Outcome:
    """A finished run against a front, with everything the assertions read."""

    run: SuiteRun
    reports: Path
    front: Front
    catcher: Catcher
    certification: dict


@pytest.fixture(scope="module", params=CASES, ids=lambda case: case.behaviour)
def outcome(request: pytest.FixtureRequest, reference: EmbeddedServer,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outcome]:
    """One run per behaviour, shared by the assertions below (pytest groups the tests by this parameter)."""
    case: Case = request.param
    tmp_path = tmp_path_factory.mktemp(case.behaviour)
    reports = tmp_path / "reports"
    front = Front(upstream=_base_url(reference), behaviour=BEHAVIOURS[case.behaviour])
    with Catcher().running() as catcher, front.running():
        front.catcher = catcher
        config = front_config(reference.config_path, front, tmp_path / "front.toml", timeout=TIMEOUT_S)
        run = run_suite("run", "--config", str(config), "--reports", str(reports), "--budget", "quick",
                        "-k", case.select, timeout=RUN_BOUND_S, kill_rss=2 * PEAK_RSS_BOUND)
    path = reports / "certification.json"
    certification = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    yield Outcome(run=run, reports=reports, front=front, catcher=catcher, certification=certification)


def _base_url(server: EmbeddedServer) -> str:
    return tomllib.loads(server.config_path.read_text(encoding="utf-8"))["base_url"]


def _case(request: pytest.FixtureRequest) -> Case:
    return request.node.callspec.params["outcome"]


def test_the_run_ends_with_a_verdict_in_time_and_bounded_memory(outcome: Outcome) -> None:
    run = outcome.run
    assert not run.killed, f"{run.killed}; {run.stderr[-2000:]}"
    assert outcome.front.hits > 0, "the misbehaving route was never requested"
    # the run selects the checks that reach the misbehaving route, so it is partial: it fails, and claims no level
    assert run.returncode == 1 and run.verdict.startswith("PARTIAL:"), (run.verdict, run.stderr[-3000:])
    assert " fails " in run.verdict
    assert run.wall_s < RUN_BOUND_S
    assert run.peak_rss <= PEAK_RSS_BOUND, f"peak RSS {run.peak_rss / 2**20:.0f} MiB"


def test_findings_are_charged_to_their_own_requirement(outcome: Outcome, request: pytest.FixtureRequest) -> None:
    case = _case(request)
    verdicts = {rid: row["outcome"] for rid, row in outcome.certification.get("requirements", {}).items()}
    assert verdicts, outcome.run.stderr[-3000:]
    for requirement in case.fails:
        assert verdicts[requirement] == "fail", (requirement, outcome.run.verdict)
    for requirement in case.undecided:
        assert verdicts[requirement] == "undecided", (requirement, verdicts[requirement], outcome.run.verdict)


def test_no_token_reaches_another_origin(outcome: Outcome) -> None:
    assert outcome.catcher.authorizations == [], outcome.catcher.requests


def test_no_secret_in_any_artifact(outcome: Outcome, reference: EmbeddedServer) -> None:
    assert not leaked(outcome.reports, secrets_of(reference.config_path), outcome.run.stdout, outcome.run.stderr)


def test_nothing_from_the_target_runs_in_the_report(outcome: Outcome, browser: Browser,
                                                    request: pytest.FixtureRequest) -> None:
    report = outcome.reports / "report.html"
    assert report.is_file(), outcome.run.stderr[-3000:]
    page = browser.visit(report.as_uri(), settle_s=1.0)
    assert page.rows > 0, "the report rendered no result rows"
    assert page.injected() == [], page.injected()
    if _case(request).behaviour == "script-everywhere":  # the payload reached the report, as text
        assert "<script>alert('xss-alias')</script>" in page.text
