"""The pytest plugin: hooks only, each delegating to the module that does the job.

Installed as a ``pytest11`` entry point, it does nothing unless a run asks for it (``--conformance``, or
``--target`` / ``--conformance-config``): other test suites in the same environment, this project's own among
them, run untouched. ``conformance run`` asks for it; so does ``pytest --pyargs conformance.scenarios --target
URL``. The run's state lives in ``config.stash`` (``conformance/run_state.py``); the session (settings, target,
sweep) is ``conformance/session.py``; what a report says is ``conformance/reporting.py``; ``certification.json``
and the verdict sentence are ``conformance/summary.py``; data-driven rows are ``conformance/rows.py``.
ARCHITECTURE.md draws the way of a check.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from conformance import (
    pytest_fixtures,
    report_html,
    report_listen,
    reporting,
    requirements,
    rows,
    scheduling,
    shard,
    summary,
    user_media,
)
from conformance import session as _session
from conformance.config import ConfigError
from conformance.http_stack import TargetError, Throttle
from conformance.profile import ProfileError
from conformance.redaction import Redactor
from conformance.run_state import STATE_KEY, WORKER_INPUT, RunDeadline, RunState
from conformance.waivers import WaiverError, load_waivers

MARKERS = (
    "requirement(*ids): the requirement ids this test checks",
    "readonly: the test only reads (it runs under --read-only)",
    "rows(argname, source, *, requirements=True, indirect=False): run once per row of the named source "
    "(conformance/rows.py)",
    "facts(**kwargs): facts of this row that the reports show (e.g. the access matrix's actor, operation, target)",
    "must: checks a MUST requirement", "should: checks a SHOULD requirement", "profile: checks a PROFILE requirement",
    "core: checks a requirement of the Core tier", "lifecycle: checks a requirement of the Core+Lifecycle tier",
    "full: checks a requirement of the Full tier",
)
#: The marker of each level and tier, so that ``-m must`` or ``-m "core and not should"`` select by them.
LEVEL_MARKS = {"MUST": "must", "SHOULD": "should", "PROFILE": "profile"}
TIER_MARKS = {"Core": "core", "Core+Lifecycle": "lifecycle", "Full": "full"}


def pytest_addoption(parser: pytest.Parser) -> None:
    """Options of the "conformance" group."""
    group = parser.getgroup("conformance", "voice API conformance")
    group.addoption("--conformance", dest="conformance_enabled", action="store_true", default=False,
                    help="Run the conformance suite's plugin (implied by --target or --conformance-config)")
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
    group.addoption("--shard", dest="conformance_shard", metavar="K/N",
                    help="Run the K-th of N deterministic shares of the checks (merge the shards' certification.json "
                         "with `conformance merge`)")
    group.addoption("--discover", dest="conformance_discover", action="store_true", default=False,
                    help="Infer the target's profile from its behaviour before the first check (configured values win)")
    group.addoption("--probe-limits", dest="conformance_probe_limits", action="store_true", default=False,
                    help="With --discover: find the size, duration, rate and channel limits by bisection")
    group.addoption("--profile", dest="conformance_profile", metavar="FILE",
                    help="A discovered profile (conformance discover --out FILE), under the configured values")
    group.addoption("--media", dest="conformance_media", action="append", default=[], metavar="DIR",
                    help="Add every file under DIR to the corpus as your own recording (repeatable; adds to the "
                         "configuration's [media] dirs)")
    group.addoption("--reference-fault", dest="conformance_faults", action="append", default=[], metavar="NAME",
                    help="Start the embedded reference server with this planted fault (self-tests only)")


def pytest_configure(config: pytest.Config) -> None:
    """Register markers, load and validate the configuration (before any request).

    Under pytest-xdist the controller resolves the target once (it starts the embedded server) and hands it to the
    workers through ``workerinput``; each worker runs under its own run id (``<run id>-gw<N>``), so the aliases of
    workers, and of concurrent runs, never collide. Results reach the controller as reports; what else a worker
    learned (leaks, timings) travels back in ``workeroutput``.
    """
    if not active(config):
        return  # installed, not asked for: another suite's run stays untouched
    for line in MARKERS:
        config.addinivalue_line("markers", line)
    try:
        settings = _session.run_settings(config.getoption("conformance_config"),
                                        target=config.getoption("conformance_target"),
                                        budget=config.getoption("conformance_budget"),
                                        seed=config.getoption("conformance_seed"),
                                        variant=config.getoption("conformance_variant"),
                                        media=config.getoption("conformance_media"))
    except (ConfigError, ProfileError) as exc:
        raise pytest.UsageError(f"conformance configuration: {exc}") from None
    try:
        recordings = user_media.load(settings.media_dirs, settings.profile)
    except user_media.MediaDirError as exc:
        raise pytest.UsageError(f"conformance media: {exc}") from None
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
                     read_only=bool(config.getoption("conformance_read_only")),
                     discover=bool(config.getoption("conformance_discover")),
                     probe_limits=bool(config.getoption("conformance_probe_limits")))
    if config.getoption("conformance_shard"):
        try:
            state.shard = shard.parse(config.getoption("conformance_shard"))
        except shard.ShardError as exc:
            raise pytest.UsageError(f"conformance: {exc}") from None
    if state.discover and state.read_only:
        raise pytest.UsageError("conformance: --discover creates and deletes audios; a --read-only run cannot "
                                "discover (name a discovered profile with --profile)")
    profile_file = config.getoption("conformance_profile")
    state.profile_file = Path(profile_file) if profile_file else None
    state.throttle = Throttle(settings.rate_limit / (int(worker.get("workercount", 1)) if worker else 1))
    if handed:
        state.handed = handed
    state.configuration = settings.source
    state.user_media = recordings
    config.stash[STATE_KEY] = state
    config.pluginmanager.register(pytest_fixtures, "conformance-fixtures")
    if worker is None:
        config.pluginmanager.register(ResultRecorder(state), "conformance-results")
        if config.pluginmanager.hasplugin("html"):
            config.pluginmanager.register(report_html, "conformance-html")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist, on the controller: hand each worker the resolved target and the run id."""
    state = node.config.stash.get(STATE_KEY, None)
    if state is not None:
        node.workerinput[WORKER_INPUT] = {"run_id": state.run_id, "embedded_config": state.embedded_config,
                                          "target_version": state.target_version, "discovered": state.discovered}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """pytest-xdist, on the controller: the checks that share an upload or a module's set-up go to one worker
    (``conformance/scheduling.py``)."""
    return scheduling.make_scheduler(config, log) if STATE_KEY in config.stash else None


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist, on the controller: collect what a finished worker learned (leaks, processing times, and
    whether the user's selection left checks out: only workers collect, so only they see the deselection)."""
    state = node.config.stash.get(STATE_KEY, None)
    output = getattr(node, "workeroutput", {}).get(WORKER_INPUT) if state is not None else None
    if output:
        state.leak_rows += output.get("leaks", [])
        state.waits += output.get("waits", [])
        state.stats.merge(output.get("stats", {}))
        state.partial = state.partial or bool(output.get("partial"))  # workers collect, so workers deselect


class ResultRecorder:
    """Records one result row per report, where the reports end up: the controller under xdist, else the run."""

    def __init__(self, state: RunState) -> None:
        self.state = state

    @pytest.hookimpl(tryfirst=True)  # before pytest-html reads the row's extras
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """A row per test: its call report, or the setup/teardown report that failed or skipped. Sounds an
        earlier row already plays are linked to, not embedded again (``report_listen.share_repeats``)."""
        report_listen.share_repeats(self.state.heard, report)
        if report.when == "call" or report.outcome != "passed":
            self.state.results.append(reporting.result_row(self.state, report))


def active(config: pytest.Config) -> bool:
    """Whether this run asked for the plugin."""
    return bool(config.getoption("conformance_enabled", False) or config.getoption("conformance_target", None)
                or config.getoption("conformance_config", None))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Data-driven scenarios: the ``rows`` markers (``conformance.rows``)."""
    if STATE_KEY in metafunc.config.stash:
        rows.parametrize(metafunc)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every scenario declares known requirement ids; they become JUnit properties. Under ``--read-only`` only the
    scenarios marked ``readonly`` stay (the others are deselected, and the client refuses writes anyway)."""
    state = config.stash.get(STATE_KEY, None)
    if state is None:
        return
    if state.read_only:
        kept = [item for item in items if writes(item) is False]
        config.hook.pytest_deselected(items=[item for item in items if writes(item)])
        items[:] = kept
    if state.shard is not None:
        index, count = state.shard
        shard_of = shard.assign((item.nodeid for item in items), count)
        state.shard_out = {item.nodeid for item in items if shard_of[item.nodeid] != index}
        config.hook.pytest_deselected(items=[item for item in items if item.nodeid in state.shard_out])
        items[:] = [item for item in items if item.nodeid not in state.shard_out]
    for item in items:
        ids = reporting.requirement_ids(item)
        unknown = [i for i in ids if i not in requirements.CATALOGUE]
        if unknown:
            raise pytest.UsageError(f"{item.nodeid}: unknown requirement id(s) {', '.join(unknown)}")
        if not ids:
            raise pytest.UsageError(f"{item.nodeid}: declares no requirement id (@pytest.mark.requirement)")
        item.extra_keyword_matches.update(ids)  # -k WAV-SAME-SOUND selects by requirement id
        for requirement_id in ids:
            requirement = requirements.get(requirement_id)
            level = requirement.level.value
            item.add_marker(LEVEL_MARKS[level])
            item.add_marker(TIER_MARKS[requirement.tier.value])
            item.user_properties.append(("requirement", requirement_id))
            item.user_properties.append(("level", level))
            item.add_marker(pytest.mark.allure_label(requirement_id, label_type="requirement"))
            item.add_marker(pytest.mark.allure_label(level, label_type="level"))
        area = item.nodeid.split("::", 1)[0].removeprefix("test_").removesuffix(".py")
        item.add_marker(pytest.mark.allure_label(area, label_type="feature"))


def pytest_deselected(items: list[pytest.Item]) -> None:
    """A run that leaves checks out by the user's choice (``-k``, ``-m``) certifies only part of the catalogue: it
    says so, and claims no level. What ``--read-only`` leaves out (every check that writes) is its own verdict."""
    state = items[0].config.stash.get(STATE_KEY, None) if items else None
    if state is not None and any(not (state.read_only and writes(item)) and item.nodeid not in state.shard_out
                                 for item in items):
        state.partial = True


def writes(item: pytest.Item) -> bool:
    """Whether a scenario may write to the target: every scenario not marked ``readonly`` is assumed to."""
    return item.get_closest_marker("readonly") is None


def pytest_collection_finish(session: pytest.Session) -> None:
    """With ``--collect-only``, write ``plan.json``: every check, its requirement ids and their levels."""
    state = session.config.stash.get(STATE_KEY, None)
    if state is None or not session.config.option.collectonly:
        return
    plan = [{"nodeid": item.nodeid, "requirements": reporting.requirement_ids(item),
             "levels": [requirements.get(r).level.value for r in reporting.requirement_ids(item)],
             "writes": writes(item)}
            for item in session.items]
    state.reports_dir.mkdir(parents=True, exist_ok=True)
    (state.reports_dir / "plan.json").write_text(json.dumps(plan, indent=2) + "\n", encoding="utf-8")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Resolve the target before the first test (``conformance.session.start``); a target that cannot be used
    ends the run at once with one sentence and exit code 2."""
    state = session.config.stash.get(STATE_KEY, None)
    if state is None or session.config.option.collectonly:
        return  # a plan needs no target
    try:
        _session.start(state, faults=session.config.getoption("conformance_faults"))
    except (TargetError, ConfigError, ProfileError, OSError, subprocess.SubprocessError) as exc:
        state.stack.close()
        pytest.exit(f"conformance: {exc}", returncode=2)
    terminal = session.config.pluginmanager.get_plugin("terminalreporter")
    if terminal is not None and state.worker is None:
        for line in _session.discovery_lines(state):
            terminal.write_line(line)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Each test's transcript starts empty; once the run's deadline has passed, no check starts any more (it is
    undecided), so a target that makes every check wait cannot keep a CI job running for hours."""
    state = item.config.stash.get(STATE_KEY, None)
    if state is not None:
        state.transcript.exchanges.clear()
        if state.deadline_at is not None and time.monotonic() > state.deadline_at:
            raise RunDeadline(f"the run's deadline of {state.settings.deadline:g} s has passed; not started")


@pytest.hookimpl(tryfirst=True, specname="pytest_runtest_makereport")
def pytest_runtest_makereport_short(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport | None:
    """A check's failure, or a target that left it undecided, is reported by its sentence, not by pytest's
    traceback (``reporting.short_report``); everything else goes on to pytest's own report."""
    if item.config.stash.get(STATE_KEY, None) is None:
        return None
    return reporting.short_report(item, call)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Attach what the phase decided to its report and scrub secrets from everything it carries."""
    report = yield
    state = item.config.stash.get(STATE_KEY, None)
    if state is not None:
        reporting.describe(state, item, call, report)
    return report


@pytest.hookimpl(tryfirst=True)  # before pytest-html writes the report that shows the certification
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Delete what the run (or this worker) created, write the certification summary, stop the embedded server."""
    state = session.config.stash.get(STATE_KEY, None)
    if state is None or session.config.option.collectonly:
        return
    try:
        _session.sweep(state)
        workeroutput = getattr(session.config, "workeroutput", None)
        if workeroutput is not None:
            workeroutput[WORKER_INPUT] = {"leaks": state.leak_rows, "waits": state.waits,
                                          "stats": state.stats.as_dict(), "partial": state.partial}
        else:
            summary.write_certification(state, exitstatus)
    finally:
        state.stack.close()


def pytest_unconfigure(config: pytest.Config) -> None:
    """Allure writes its result files itself; scrub them once everything is written (redaction at the writer)."""
    state = config.stash.get(STATE_KEY, None)
    directory = getattr(config.option, "allure_report_dir", None)
    if state is not None and directory and Path(directory).is_dir():
        reporting.scrub_directory(state, Path(directory))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """The leak report."""
    state = config.stash.get(STATE_KEY, None)
    if state is None or state.worker is not None:
        return
    for leak in state.leak_rows:
        terminalreporter.write_line(f"LEAK {leak['space']}/{leak['handle']}: {leak['reason']}")
