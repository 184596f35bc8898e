"""The pytest plugin: options, markers, the run's state, the target's lifecycle, and redacted reporting.

Loaded with ``-p conformance.plugin`` (the ``conformance`` CLI does it). State lives in ``config.stash`` under typed
keys, never in module globals. Every report passes through the redactor before pytest writes it anywhere.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from _pytest.outcomes import Skipped

from conformance import __version__, requirements, rows
from conformance.certification import Certification, capabilities, certify, percentiles
from conformance.checks import REGISTRY, ConformanceFailure
from conformance.config import ConfigError, Settings, load_settings, require_existing_audios, require_identity
from conformance.http_stack import TOTAL_TIMEOUT_FACTOR, HangGuard, RequestStats, TargetError, Throttle
from conformance.outcomes import Outcome, skip_kind
from conformance.profile import ProfileError, build_profile, load_variant, to_toml
from conformance.redaction import Redactor
from conformance.resources import Resources
from conformance.target import embedded_reference, probe
from conformance.transcript import Transcript
from conformance.transport import GuardedTransport, RefusedToSend
from conformance.waivers import Waiver, WaiverError, load_waivers
from conformance.workflow import UploadCache


@dataclass(slots=True)
class RunState:
    """Everything one run knows, shared by the fixtures and the reporting hooks."""

    settings: Settings
    redactor: Redactor
    run_id: str
    reports_dir: Path
    transcript: Transcript = field(default_factory=Transcript)
    resources: Resources = field(default_factory=Resources)
    results: list[dict[str, Any]] = field(default_factory=list)
    started: str = field(default_factory=lambda: _now())
    stack: ExitStack = field(default_factory=ExitStack)
    embedded: bool = False
    waivers: dict[str, Waiver] = field(default_factory=dict)
    hang_guard: HangGuard = field(default_factory=HangGuard)
    uploads: UploadCache = field(default_factory=UploadCache)
    target_version: str | None = None
    certification: Certification | None = None
    worker: str | None = None  # the xdist worker id ("gw0"), None on the controller or in a serial run
    read_only: bool = False
    throttle: Throttle = field(default_factory=Throttle)
    stats: RequestStats = field(default_factory=RequestStats)
    handed: dict[str, Any] = field(default_factory=dict)  # what the xdist controller handed this worker
    embedded_config: str | None = None  # the embedded server's configuration file (handed to workers)
    leak_rows: list[dict[str, str]] = field(default_factory=list)  # leaks reported by workers
    waits: list[float] = field(default_factory=list)  # workers' time-to-available samples
    deadline_at: float | None = None  # time.monotonic() when the run's deadline passes


class RunDeadline(TargetError):
    """The run's ``deadline`` passed before this check started: it could not be decided."""


WORKER_INPUT = "conformance"


STATE_KEY = pytest.StashKey[RunState]()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def pytest_addoption(parser: pytest.Parser) -> None:
    """Options of the "conformance" group."""
    group = parser.getgroup("conformance", "voice API conformance")
    group.addoption("--conformance-config", metavar="FILE", help="Suite configuration (TOML); env CONFORMANCE_CONFIG")
    group.addoption("--target", dest="conformance_target", metavar="URL",
                    help="Base URL of the target, e.g. https://staging.example/v1 (default: embedded reference)")
    group.addoption("--budget", dest="conformance_budget", choices=("quick", "nightly"), help="Run budget")
    group.addoption("--seed", dest="conformance_seed", type=int, help="Seed for generated data")
    group.addoption("--reports-dir", dest="conformance_reports", metavar="DIR", default="reports",
                    help="Where the certification summary is written (default: reports)")
    group.addoption("--waivers", dest="conformance_waivers", metavar="FILE",
                    help="Waivers (TOML): known failures accepted until a date; env CONFORMANCE_WAIVERS")
    group.addoption("--read-only", dest="conformance_read_only", action="store_true", default=False,
                    help="Run only the checks that write nothing, against the audios named in [read_only]")
    group.addoption("--variant", dest="conformance_variant", metavar="NAME",
                    help="Use the shipped profile variant NAME (conformance/profiles/variants); the embedded reference "
                         "server plays it")
    group.addoption("--reference-fault", dest="conformance_faults", action="append", default=[], metavar="NAME",
                    help="Start the embedded reference server with this planted fault (self-tests only)")


def pytest_configure(config: pytest.Config) -> None:
    """Register markers, load and validate the configuration (before any request).

    Under pytest-xdist the controller resolves the target once (it starts the embedded server) and hands it to the
    workers through ``workerinput``; each worker runs under its own run id (``<run id>-gw<N>``), so the aliases of
    workers, and of concurrent runs, never collide. Results reach the controller as reports; what else a worker
    learned (leaks, timings) travels back in ``workeroutput``.
    """
    config.addinivalue_line("markers", "requirement(*ids): the requirement ids this test checks")
    config.addinivalue_line("markers", "rows(argname, source, *, requirements=True, indirect=False): run once per "
                            "row of the named source (conformance/rows.py)")
    config.addinivalue_line("markers", "readonly: the test only reads (it runs under --read-only)")
    overrides = {"base_url": config.getoption("conformance_target"),
                 "budget": config.getoption("conformance_budget"), "seed": config.getoption("conformance_seed")}
    try:
        if config.getoption("conformance_variant"):
            overrides["profile"] = load_variant(config.getoption("conformance_variant"))
        settings = load_settings(config.getoption("conformance_config"), overrides=overrides)
    except (ConfigError, ProfileError) as exc:
        raise pytest.UsageError(f"conformance configuration: {exc}") from None
    waivers_path = config.getoption("conformance_waivers") or os.environ.get("CONFORMANCE_WAIVERS")
    try:
        waivers = load_waivers(Path(waivers_path) if waivers_path else None)
    except WaiverError as exc:
        raise pytest.UsageError(f"conformance waivers: {exc}") from None
    worker = getattr(config, "workerinput", None)
    handed = worker.get(WORKER_INPUT, {}) if worker is not None else {}
    run_id = f"{handed['run_id']}-{worker['workerid']}" if handed else secrets.token_hex(4)
    state = RunState(settings=settings, redactor=Redactor(settings.secrets()), run_id=run_id,
                     reports_dir=Path(config.getoption("conformance_reports")), waivers=waivers,
                     worker=worker["workerid"] if worker is not None else None,
                     read_only=bool(config.getoption("conformance_read_only")))
    state.throttle = Throttle(settings.rate_limit / (int(worker.get("workercount", 1)) if worker else 1))
    if handed:
        state.handed = handed
    config.stash[STATE_KEY] = state
    from conformance import pytest_fixtures

    config.pluginmanager.register(pytest_fixtures, "conformance-fixtures")
    if worker is None:
        config.pluginmanager.register(ResultRecorder(state), "conformance-results")
        if config.pluginmanager.hasplugin("html"):
            from conformance import report_html

            config.pluginmanager.register(report_html, "conformance-html")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist, on the controller: hand each worker the resolved target and the run id."""
    state = node.config.stash.get(STATE_KEY, None)
    if state is not None:
        node.workerinput[WORKER_INPUT] = {"run_id": state.run_id, "embedded_config": state.embedded_config,
                                          "target_version": state.target_version}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist, on the controller: collect what a finished worker learned (leaks, processing times)."""
    state = node.config.stash.get(STATE_KEY, None)
    output = getattr(node, "workeroutput", {}).get(WORKER_INPUT) if state is not None else None
    if output:
        state.leak_rows += output.get("leaks", [])
        state.waits += output.get("waits", [])
        state.stats.merge(output.get("stats", {}))


class ResultRecorder:
    """Records one result row per report, where the reports end up: the controller under xdist, else the run."""

    def __init__(self, state: RunState) -> None:
        self.state = state

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """A row per test: its call report, or the setup/teardown report that failed or skipped."""
        if report.when == "call" or report.outcome != "passed":
            _record(self.state, report)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every scenario declares known requirement ids; they become JUnit properties. Under ``--read-only`` only the
    scenarios marked ``readonly`` stay (the others are deselected, and the client refuses writes anyway)."""
    state = config.stash.get(STATE_KEY, None)
    if state is not None and state.read_only:
        kept = [item for item in items if writes(item) is False]
        config.hook.pytest_deselected(items=[item for item in items if writes(item)])
        items[:] = kept
    for item in items:
        ids = requirement_ids(item)
        unknown = [i for i in ids if i not in requirements.CATALOGUE]
        if unknown:
            raise pytest.UsageError(f"{item.nodeid}: unknown requirement id(s) {', '.join(unknown)}")
        if not ids and STATE_KEY in config.stash:
            raise pytest.UsageError(f"{item.nodeid}: declares no requirement id (@pytest.mark.requirement)")
        for requirement_id in ids:
            level = requirements.get(requirement_id).level.value
            item.user_properties.append(("requirement", requirement_id))
            item.user_properties.append(("level", level))
            item.add_marker(pytest.mark.allure_label(requirement_id, label_type="requirement"))
            item.add_marker(pytest.mark.allure_label(level, label_type="level"))
        area = item.nodeid.split("::", 1)[0].removeprefix("test_").removesuffix(".py")
        item.add_marker(pytest.mark.allure_label(area, label_type="feature"))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Data-driven scenarios: the ``rows`` markers (``conformance.rows``)."""
    rows.parametrize(metafunc)


def writes(item: pytest.Item) -> bool:
    """Whether a scenario may write to the target: every scenario not marked ``readonly`` is assumed to."""
    return item.get_closest_marker("readonly") is None


def requirement_ids(item: pytest.Item) -> list[str]:
    """The requirement ids an item declares, in order."""
    return [rid for mark in item.iter_markers("requirement") for rid in mark.args]


def pytest_collection_finish(session: pytest.Session) -> None:
    """With ``--collect-only``, write ``plan.json``: every check, its requirement ids and their levels."""
    state = session.config.stash.get(STATE_KEY, None)
    if state is None or not session.config.option.collectonly:
        return
    plan = [{"nodeid": item.nodeid, "requirements": requirement_ids(item),
             "levels": [requirements.get(r).level.value for r in requirement_ids(item)], "writes": writes(item)}
            for item in session.items]
    state.reports_dir.mkdir(parents=True, exist_ok=True)
    (state.reports_dir / "plan.json").write_text(json.dumps(plan, indent=2) + "\n", encoding="utf-8")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Resolve the target: the configured URL (probed), or the embedded reference server (started once, by the
    controller when running under xdist; a worker reads the configuration file the server wrote)."""
    state = session.config.stash.get(STATE_KEY, None)
    if state is None or session.config.option.collectonly:
        return  # a plan needs no target
    settings = state.settings
    try:
        if state.handed.get("embedded_config"):
            settings = settings.with_target(load_settings(state.handed["embedded_config"], env={}))
            state.embedded = True
        elif settings.base_url is None:
            workdir = Path(state.stack.enter_context(tempfile.TemporaryDirectory(prefix="conformance-ref-")))
            server = state.stack.enter_context(
                embedded_reference(workdir, faults=session.config.getoption("conformance_faults"),
                                   server_args=_playing(settings, workdir)))
            settings = settings.with_target(load_settings(server.config_path, env={}))
            state.embedded = True
            state.embedded_config = str(server.config_path)
        assert settings.base_url is not None
        if state.worker is None:
            probe(settings.base_url, settings.timeout)
        require_identity(settings)
        if state.read_only:
            require_existing_audios(settings)
    except (TargetError, ConfigError, OSError, subprocess.SubprocessError) as exc:
        state.stack.close()
        pytest.exit(f"conformance: {exc}", returncode=2)
    state.settings = settings
    state.deadline_at = time.monotonic() + settings.deadline
    state.redactor.add(*settings.secrets())
    state.target_version = state.handed.get("target_version") if state.worker else _target_version(
        settings.base_url, settings.timeout)


def _playing(settings: Settings, workdir: Path) -> list[str]:
    """The embedded reference server plays the run's profile when it is not the reference one (a variant, or a
    ``[profile]`` table of the configuration): the options that make it do so."""
    if settings.profile == build_profile():
        return []
    path = workdir / "profile.toml"
    path.write_text(to_toml(settings.profile), encoding="utf-8")
    return ["--profile", str(path)]


def _target_version(base_url: str, timeout: float) -> str | None:
    """The version the target reports in its OpenAPI definition (``info.version``), when it serves one."""
    wait = min(timeout, 5.0)
    transport = GuardedTransport(origin=base_url, total_s=wait * TOTAL_TIMEOUT_FACTOR)  # bounded, like every read
    try:
        with httpx.Client(timeout=httpx.Timeout(wait), transport=transport) as client:
            response = client.get(f"{base_url}/openapi.json")
            version = response.json().get("info", {}).get("version") if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError, AttributeError, RecursionError, ConformanceFailure, RefusedToSend):
        return None
    return version if isinstance(version, str) else None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Each test's transcript starts empty; once the run's deadline has passed, no check starts any more (it is
    undecided), so a target that makes every check wait cannot keep a CI job running for hours."""
    state = item.config.stash.get(STATE_KEY, None)
    if state is not None:
        state.transcript.exchanges.clear()
        if state.deadline_at is not None and time.monotonic() > state.deadline_at:
            raise RunDeadline(f"the run's deadline of {state.settings.deadline:g} s has passed; not started")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Attach requirement ids and the redacted transcript; scrub secrets from everything the report carries."""
    report = yield
    state = item.config.stash.get(STATE_KEY, None)
    if state is None:
        return report
    report.requirements = requirement_ids(item)  # type: ignore[attr-defined]
    failure = getattr(call.excinfo, "value", None) if call.excinfo else None
    report.failed_requirement = getattr(failure, "requirement", None)  # type: ignore[attr-defined]
    redact = state.redactor
    if isinstance(failure, ConformanceFailure) and call.excinfo is not None:
        report.longrepr = f"{failure}\n{_checked_by(call.excinfo)}"
    if report.when == "call" or report.outcome != "passed":
        transcript = "\n\n".join(e.render(redact) for e in state.transcript.exchanges)
        if transcript:
            report.sections.append(("HTTP transcript", transcript))
    if isinstance(report.longrepr, tuple):  # a skip: (path, line, reason)
        path, line, reason = report.longrepr
        if isinstance(failure, Skipped):  # our typed skips read as plain ones ("Skipped: unsupported: ...")
            reason = f"Skipped: {failure.msg}"
        report.longrepr = (path, line, redact(reason))
    elif report.longrepr is not None:
        report.longrepr = redact(str(report.longrepr))
    report.sections = [(title, redact(text)) for title, text in report.sections]
    crash = call.excinfo.exconly().splitlines()[0] if call.excinfo is not None and failure is not None else ""
    report.kind = outcome_of_call(report, failure, report.requirements).value  # type: ignore[attr-defined]
    report.crash = "" if isinstance(failure, ConformanceFailure) else redact(crash)  # type: ignore[attr-defined]
    if report.kind == Outcome.ERROR and call.excinfo is not None:  # type: ignore[attr-defined]
        report.crash = redact(f"suite error ({_raised_in(call.excinfo)}): {crash}")  # type: ignore[attr-defined]
    return report


def outcome_of_call(report: pytest.TestReport, failure: BaseException | None, declared: list[str]) -> Outcome:
    """The typed outcome of one phase of a test, decided from what ended it (see ``conformance.outcomes``)."""
    if report.passed:
        return Outcome.PASS
    if report.skipped:
        return skip_kind(failure) if failure is not None else Outcome.SKIP
    if isinstance(failure, ConformanceFailure):
        return Outcome.FAIL if failure.requirement in declared else Outcome.UNDECIDED
    if isinstance(failure, TargetError | httpx.TransportError):
        return Outcome.UNDECIDED
    return Outcome.ERROR  # anything else is the suite's own fault, never the target's


def _raised_in(excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    entry = excinfo.traceback[-1]
    return f"{entry.name} in {Path(str(entry.path)).name}:{entry.lineno + 1}"


def _failure_reason(text: str) -> str:
    """A conformance failure's title and what was received; for anything else, its last line (pytest's E line)."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if lines and lines[0].startswith("[") and len(lines) > 1 and lines[1].startswith("Received:"):
        return " | ".join(lines[:2])[:500]
    return lines[-1][:500] if lines else ""


def _checked_by(excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    """Where the failing check lives: the deepest registered check in the traceback (helpers such as
    ``expect_status`` or ``fail`` that checks call are skipped), else the deepest frame in ``conformance/checks``."""
    frames = [entry for entry in reversed(excinfo.traceback) if "/conformance/checks/" in str(entry.path)]
    for entry in [e for e in frames if e.name in REGISTRY] + [e for e in frames if e.name not in ("fail", "__init__")]:
        return f"Checked by {entry.name} ({Path(str(entry.path)).name}:{entry.lineno + 1})"
    entry = excinfo.traceback[0]
    return f"Raised in {entry.name} ({Path(str(entry.path)).name}:{entry.lineno + 1})"


def _record(state: RunState, report: pytest.TestReport) -> None:
    """One result row. A transport failure (timeout, connection lost) leaves the check undecided: ``error``."""
    crash = str(getattr(report, "crash", ""))
    kind = str(getattr(report, "kind", Outcome.ERROR.value))
    outcome = report.outcome
    reason = ""
    if report.skipped and isinstance(report.longrepr, tuple):
        reason = str(report.longrepr[2])
    elif report.failed:
        reason = crash[:500] or (_failure_reason(str(report.longrepr)) if report.longrepr else "")
        outcome = "failed" if kind == Outcome.FAIL else "error"
    state.results.append({
        "nodeid": report.nodeid, "when": report.when, "outcome": outcome, "kind": kind,
        "requirements": getattr(report, "requirements", []),
        "failed_requirement": getattr(report, "failed_requirement", None),
        "duration_s": round(report.duration, 3), "reason": state.redactor(reason),
    })


@pytest.hookimpl(tryfirst=True)  # before pytest-html writes the report that shows the certification
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Delete what the run (or this worker) created, write the certification summary, stop the embedded server."""
    state = session.config.stash.get(STATE_KEY, None)
    if state is None or session.config.option.collectonly:
        return
    try:
        if state.settings.base_url is not None and state.resources.created():
            from conformance.pytest_fixtures import client_factory

            clients = client_factory(state)
            try:
                leaks = state.resources.sweep(clients, can_delete=state.settings.profile.has("delete"))
            finally:
                clients.close_all()
            state.leak_rows += [{"space": leak.audio.space.label, "handle": leak.audio.handle, "reason": leak.reason}
                                for leak in leaks]
        state.waits += [u.wait_s for u in state.uploads.all() if u.settled is not None]
        workeroutput = getattr(session.config, "workeroutput", None)
        if workeroutput is not None:
            workeroutput[WORKER_INPUT] = {"leaks": state.leak_rows, "waits": state.waits,
                                          "stats": state.stats.as_dict()}
        else:
            _write_summary(state, exitstatus)
    finally:
        state.stack.close()


def pytest_unconfigure(config: pytest.Config) -> None:
    """Allure writes its result files itself; scrub them once everything is written (redaction at the writer)."""
    state = config.stash.get(STATE_KEY, None)
    directory = getattr(config.option, "allure_report_dir", None)
    if state is None or not directory or not Path(directory).is_dir():
        return
    for path in Path(directory).iterdir():
        if path.is_file():
            try:
                text = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            scrubbed = state.redactor(text)
            if scrubbed != text:
                path.write_text(scrubbed, encoding="utf-8")


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """The leak report and the verdict file's location."""
    state = config.stash.get(STATE_KEY, None)
    if state is None:
        return
    if state.worker is not None:
        return
    for leak in state.leak_rows:
        terminalreporter.write_line(f"LEAK {leak['space']}/{leak['handle']}: {leak['reason']}")


def _write_summary(state: RunState, exitstatus: int) -> None:
    """``certification.json``: target, profile, per requirement the verdict, the level, the leaks."""
    result = certify(state.results, waivers=state.waivers, strict_should=state.settings.profile.strict_should,
                     today=datetime.now(UTC).date())
    state.certification = result
    summary = {
        "suite_version": __version__,
        "suite_revision": _revision(),
        "target": state.settings.base_url,
        "target_version": state.target_version,
        "embedded_reference": state.embedded,
        "profile": state.settings.profile.as_dict(),
        "budget": state.settings.budget,
        "seed": state.settings.seed,
        "run_id": state.run_id,
        "started": state.started,
        "finished": _now(),
        "pytest_exit_status": int(exitstatus),
        "verdict": result.verdict,
        "level": result.level,
        "failed_requirements": result.failed,
        "undecided_requirements": result.undecided,
        "error_requirements": result.errors,
        "warnings": result.warnings,
        "waived": result.waived,
        "problems": result.problems,
        "requirements": result.requirements,
        "capabilities": capabilities(state.settings.profile.capabilities, result.requirements),
        "time_to_available": percentiles(state.waits),
        "requests": state.stats.as_dict(),
        "read_only": state.read_only,
        "leaks": state.leak_rows,
        "tests": state.results,
    }
    state.reports_dir.mkdir(parents=True, exist_ok=True)
    text = state.redactor(json.dumps(summary, indent=2, ensure_ascii=False))
    (state.reports_dir / "certification.json").write_text(text + "\n", encoding="utf-8")


def _revision() -> str | None:
    """The suite's git commit, when it runs from a checkout."""
    try:
        result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=Path(__file__).parent,
                                capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None
