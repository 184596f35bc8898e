"""``conformance``: run the certification, or serve the reference server.

``conformance run`` checks the configuration and that the target answers before anything else (exit 2 with one
sentence if not), then runs the scenarios through pytest with this package's plugin, always leaving
``report.html``, ``junit.xml`` and ``certification.json`` in the reports directory, and prints a one-line verdict.
Exit codes: 0 conforms, 1 does not conform, 2 configuration or target problem, 3 not certified because the suite
itself failed on some check (a bug of ours, never counted against the target).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

EXIT_CONFORMS, EXIT_NONCONFORMING, EXIT_UNUSABLE, EXIT_SUITE_ERROR = 0, 1, 2, 3
SCENARIOS = Path(__file__).resolve().parent / "scenarios"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="conformance", description="Voice API conformance suite")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="certify a target (default: the embedded reference server)",
                              description="Certify a target. Unknown options are passed to pytest "
                              "(e.g. -k, -x, or -n auto for parallel workers).")
    run.add_argument("--target", metavar="URL", help="base URL of the target, e.g. https://staging.example/v1")
    # The plugin's spellings are accepted too, so a command line moves between `conformance run` and
    # `pytest --pyargs conformance.scenarios` unchanged (the plugin cannot take the short generic names: installed
    # into every pytest of the environment, they could clash with another plugin's options).
    run.add_argument("--config", "--conformance-config", dest="config", metavar="FILE",
                     help="suite configuration (TOML); env CONFORMANCE_CONFIG")
    run.add_argument("--budget", choices=("quick", "nightly"), help="run budget (default from config: quick)")
    run.add_argument("--seed", type=int, help="seed for generated data (default from config)")
    run.add_argument("--reports", "--reports-dir", dest="reports", metavar="DIR", default="reports",
                     help="reports directory (default: reports)")
    run.add_argument("--waivers", metavar="FILE", help="waivers (TOML); env CONFORMANCE_WAIVERS")
    run.add_argument("--read-only", action="store_true",
                     help="only the checks that write nothing, against the audios named in [read_only] (production)")
    run.add_argument("--plan", action="store_true",
                     help="list every check, its requirement ids and whether it writes; send no request")
    run.add_argument("--variant", metavar="NAME",
                     help="use a shipped profile variant (conformance/profiles/variants); with no target the embedded "
                          "reference server plays it")
    run.add_argument("--shard", metavar="K/N",
                     help="run the K-th of N deterministic shares of the checks; `conformance merge` combines them")
    run.add_argument("--discover", action="store_true",
                     help="infer the target's profile from its behaviour first (configured values win); the "
                          "discovered profile is written to the reports directory")
    run.add_argument("--probe-limits", action="store_true",
                     help="with --discover: also find the size, duration, rate and channel limits by bisection")
    run.add_argument("--profile", metavar="FILE",
                     help="a discovered profile (conformance discover --out FILE), under the configured values")
    run.add_argument("--concurrency", metavar="auto|N", default=None,
                     help="checks run at once: auto (default) picks from the target's round trip and prints its "
                          "choice; 1 runs one check at a time, for a fragile target")
    run.add_argument("--media", action="append", default=[], metavar="DIR",
                     help="add every file under DIR to the corpus as your own recording: checked like the fixtures, "
                          "under its own name (repeatable; adds to the configuration's [media] dirs)")
    run.add_argument("--reference-fault", action="append", default=[], metavar="NAME",
                     help="plant a fault in the embedded reference server (self-tests)")
    discover = commands.add_parser(
        "discover", help="infer a target's profile from its behaviour, with evidence",
        description="Send a bounded sequence of requests (deleting what they create) and write a TOML profile in "
        "which every key carries its value, its provenance (observed, defaulted, conflicting), why, and the "
        "answers that decided it. Only conforming alternatives are ever learned: an answer none explains is "
        "printed as an early finding and the key keeps the reference value.")
    discover.add_argument("--target", metavar="URL", help="base URL of the target (default: the embedded reference)")
    discover.add_argument("--config", "--conformance-config", dest="config", metavar="FILE",
                          help="suite configuration (TOML): actors and spaces; env CONFORMANCE_CONFIG")
    discover.add_argument("--out", metavar="FILE", default=None,
                          help="where to write the profile (default: REPORTS/discovered-profile.toml)")
    discover.add_argument("--reports", metavar="DIR", default="reports", help="reports directory (default: reports)")
    discover.add_argument("--probe-limits", action="store_true",
                          help="also find the size, duration, rate and channel limits by bisection (uploads up to "
                               "the reference limits, each deleted)")
    discover.add_argument("--max-requests", type=int, default=None, metavar="N",
                          help="request budget (default 200, or the limits probe's own when --probe-limits)")
    discover.add_argument("--variant", metavar="NAME",
                          help="with no target: the embedded reference server plays this shipped variant")
    selftest = commands.add_parser("selftest", help="run the suite against every planted fault of the reference server",
                                   description="Kill matrix: the suite must pass the correct reference server and "
                                   "fail each planted fault by its own requirement id. Exit 0 all killed, 1 not.")
    selftest.add_argument("--budget", choices=("quick", "nightly"), default="quick", help="run budget (default quick)")
    selftest.add_argument("--faults", metavar="A,B", default="", help="only these faults (default: the catalogue)")
    selftest.add_argument("--reports", metavar="DIR", default="reports", help="reports directory (default: reports)")
    selftest.add_argument("--workers", type=int, default=None, help="parallel runs (default: CPU count)")
    selftest.add_argument("--variant", metavar="NAME", default=None,
                          help="the reference server plays this shipped profile variant (and the suite uses it)")
    selftest.add_argument("--discover", action="store_true",
                          help="every run discovers its target's profile first: each fault must still be killed")
    compare = commands.add_parser("diff", help="what changed between two certification.json files",
                                  description="Print and write the differences between two certifications "
                                  "(flipped requirements, verdict, level, profile, durations).")
    compare.add_argument("a", metavar="A.json")
    compare.add_argument("b", metavar="B.json")
    compare.add_argument("--out", metavar="FILE", default=None, help="also write the diff as JSON here")
    combine = commands.add_parser("merge", help="combine the certification.json of every shard of a run",
                                  description="Judge the rows of every shard (conformance run --shard K/N) "
                                  "together: the same verdict, level and per-requirement outcomes one run gives.")
    combine.add_argument("parts", nargs="+", metavar="SHARD.json")
    combine.add_argument("--out", metavar="FILE", default="reports/certification.json",
                         help="where to write the merged certification (default: reports/certification.json)")
    markdown = commands.add_parser("summary", help="a certification.json as a Markdown job summary",
                                   description="Print the verdict, the level and every failed requirement with its "
                                   "title as Markdown (what the GitHub Action writes to the job summary).")
    markdown.add_argument("file", metavar="certification.json")
    allure = commands.add_parser("report", help="build the Allure HTML report from reports/allure-results",
                                 description="Builds reports/allure-report/index.html with the `allure` command "
                                 "(npm: allure-commandline, or allure 3) when it is installed; otherwise says how.")
    allure.add_argument("--reports", metavar="DIR", default="reports", help="reports directory (default: reports)")
    serve = commands.add_parser("serve", help="run the reference server (python -m conformance.reference serve)",
                                add_help=False)
    serve.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:  # everything after `serve` belongs to the reference server's own parser
        os.execv(sys.executable, [sys.executable, "-m", "conformance.reference", "serve", *argv[1:]])
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    try:
        if args.command == "summary":
            return run_summary(args)
        if args.command == "selftest":
            return run_selftest(args, extra)
        if args.command == "diff":
            return run_diff(args)
        if args.command == "merge":
            return run_merge(args)
        if args.command == "report":
            return run_report(args)
        if args.command == "discover":
            return run_discover(args)
        return run(args, extra)
    except KeyboardInterrupt:
        _say("interrupted")
        return EXIT_UNUSABLE
    except Exception as exc:  # a bug in the suite: one line for the user, the trace only on request
        if os.environ.get("CONFORMANCE_DEBUG"):
            raise
        _say(f"internal error: {type(exc).__name__}: {exc} (set CONFORMANCE_DEBUG=1 for the traceback)")
        return EXIT_UNUSABLE


def _say(message: str) -> None:
    sys.stderr.write(f"conformance: {message}\n")
    sys.stderr.flush()


def run(args: argparse.Namespace, extra: list[str]) -> int:
    """Validate, probe, run pytest, print the verdict."""
    from conformance.concurrency import ConcurrencyError
    from conformance.concurrency import parse as parse_concurrency
    from conformance.config import ConfigError
    from conformance.http_stack import TargetError
    from conformance.profile import ProfileError
    from conformance.session import check_target, run_settings
    from conformance.shard import ShardError, parse
    from conformance.user_media import MediaDirError, check_dirs

    try:
        if args.shard is not None:
            parse(args.shard)
        forced = parse_concurrency(args.concurrency)
        settings = run_settings(args.config, target=args.target, budget=args.budget, seed=args.seed,
                                variant=args.variant, media=args.media)
        check_dirs(settings.media_dirs, settings.profile)
    except (ShardError, ConcurrencyError) as exc:
        _say(str(exc))
        return EXIT_UNUSABLE
    except (ConfigError, ProfileError, MediaDirError) as exc:
        _say(f"configuration error: {exc}")
        return EXIT_UNUSABLE
    if settings.base_url is not None:
        try:  # the same acceptance as the plugin's, before pytest starts, so a bad target is one sentence
            check_target(settings, read_only=args.read_only and not args.plan, timeout=min(settings.timeout, 10.0))
        except TargetError as exc:
            _say(str(exc))
            return EXIT_UNUSABLE
        except ConfigError as exc:
            _say(f"configuration error: {exc}")
            return EXIT_UNUSABLE
    reports = Path(args.reports)
    try:
        reports.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _say(f"cannot create the reports directory {reports}: {exc.strerror}")
        return EXIT_UNUSABLE
    if args.plan:
        return run_plan(args, settings, reports, extra)
    (reports / "certification.json").unlink(missing_ok=True)
    # cleaned here, not by allure-pytest: under xdist each worker would clean it while others already write
    shutil.rmtree(reports / "allure-results", ignore_errors=True)
    pytest_args = [
        *_pytest_args(args, reports), f"--html={reports / 'report.html'}", "--self-contained-html",
        f"--junitxml={reports / 'junit.xml'}", f"--alluredir={reports / 'allure-results'}",
    ]
    if args.waivers is not None:
        pytest_args += ["--waivers", args.waivers]
    for fault in args.reference_fault:
        pytest_args += ["--reference-fault", fault]
    if args.discover and args.read_only:
        _say("--discover creates and deletes audios, so a --read-only run cannot discover: name a discovered "
             "profile with --profile instead")
        return EXIT_UNUSABLE
    if args.discover:
        pytest_args += ["--discover", *(["--probe-limits"] if args.probe_limits else [])]
    elif args.probe_limits:
        _say("--probe-limits needs --discover")
        return EXIT_UNUSABLE
    if args.profile is not None:
        if args.discover:
            _say("--profile and --discover exclude each other: the one names a discovered profile, the other "
                 "discovers one")
            return EXIT_UNUSABLE
        try:
            from conformance.discover.output import read as read_profile_file

            read_profile_file(Path(args.profile))
        except ProfileError as exc:
            _say(f"configuration error: {exc}")
            return EXIT_UNUSABLE
        pytest_args += ["--profile", args.profile]
    import pytest

    pytest_args += _concurrency(settings, forced, extra)
    code = int(pytest.main(pytest_args + extra))
    return _verdict(code, reports, settings.base_url)


def _concurrency(settings: Any, forced: int | None, extra: list[str]) -> list[str]:
    """Choose the run's workers (``conformance/concurrency.py``), say so, and return the pytest options for it."""
    import httpx

    from conformance.concurrency import Choice, choose, given_to_pytest, round_trip_ms

    if given_to_pytest(extra):
        print("concurrency: as the pytest options given (-n)", flush=True)  # noqa: T201
        return []
    if forced is not None or settings.base_url is None:
        choice = choose(None, forced=forced)
    else:
        try:
            choice = choose(round_trip_ms(settings.base_url, min(settings.timeout, 10.0)),
                            rate_limit=settings.rate_limit)
        except httpx.HTTPError as exc:
            choice = Choice(1, f"the round trip could not be measured ({type(exc).__name__})")
    print(choice.line(), flush=True)  # noqa: T201
    return choice.pytest_args()


def _pytest_args(args: argparse.Namespace, reports: Path) -> list[str]:
    """The scenarios with this package's plugin and ini, and the run options a run and a plan share. The plugin
    is loaded by module name whether or not its entry point is installed (the entry point's own load is blocked,
    so it is never registered twice) and asked for with ``--conformance``."""
    pytest_args = [str(SCENARIOS), "-c", str(SCENARIOS / "pytest.ini"), "--rootdir", str(SCENARIOS),
                   "-p", "no:conformance", "-p", "conformance.plugin", "--conformance", f"--reports-dir={reports}"]
    for option, value in (("--conformance-config", args.config), ("--target", args.target),
                          ("--budget", args.budget), ("--seed", args.seed), ("--variant", args.variant),
                          ("--shard", args.shard)):
        if value is not None:
            pytest_args += [option, str(value)]
    if args.read_only:
        pytest_args.append("--read-only")
    for directory in args.media:
        pytest_args += ["--media", directory]
    return pytest_args


def run_plan(args: argparse.Namespace, settings: Any, reports: Path, extra: list[str]) -> int:
    """Collect without running: print every check with its requirement ids and whether it writes, and write
    ``plan.json``. Nothing is sent; the embedded server is not started."""
    import pytest

    pytest_args = [*_pytest_args(args, reports), "--collect-only", "-q"]
    with contextlib.redirect_stdout(io.StringIO()):
        code = int(pytest.main(pytest_args + extra))
    try:
        plan = json.loads((reports / "plan.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        plan = None
    if code != 0 or not plan:
        _say(f"no plan: collection failed or found no checks (pytest exit {code})")
        return EXIT_UNUSABLE
    for row in plan:
        print(f"{'writes' if row['writes'] else 'reads '}  {row['nodeid']}  {','.join(row['requirements'])}")  # noqa: T201
    reading = sum(1 for row in plan if not row["writes"])
    print(f"PLAN: {len(plan)} checks, {reading} read-only, {len(plan) - reading} may write "  # noqa: T201
          f"(plan: {reports / 'plan.json'}; target {settings.base_url or 'embedded reference'})")
    return EXIT_CONFORMS


ALLURE_HINT = ("the `allure` command is not installed: `npm install -g allure-commandline` (needs Java 17) or "
               "`npm install -g allure` (Allure 3, Node only), then run `conformance report` again")


def run_discover(args: argparse.Namespace) -> int:
    """Discover the profile of the configured target (or of the embedded reference) and write it."""
    import tempfile

    from conformance.config import ConfigError
    from conformance.discover import DEFAULT_MAX_REQUESTS, discover
    from conformance.discover.limits import MAX_REQUESTS_WITH_LIMITS
    from conformance.discover.output import to_toml
    from conformance.http_stack import TargetError
    from conformance.profile import ProfileError, build_profile, load_variant
    from conformance.profile import to_toml as profile_toml
    from conformance.redaction import Redactor
    from conformance.session import check_target, run_settings
    from conformance.target import embedded_reference

    default_budget = MAX_REQUESTS_WITH_LIMITS if args.probe_limits else DEFAULT_MAX_REQUESTS
    budget = args.max_requests if args.max_requests is not None else default_budget
    if budget < 10:
        _say(f"--max-requests must be at least 10, got {budget}")
        return EXIT_UNUSABLE
    out = Path(args.out) if args.out else Path(args.reports) / "discovered-profile.toml"
    try:
        settings = run_settings(args.config, target=args.target, budget=None, seed=None, variant=None)
        if args.variant and settings.base_url is not None:
            raise ConfigError("--variant is for the embedded reference server only (no --target)")
        served = build_profile(load_variant(args.variant)) if args.variant else None
    except (ConfigError, ProfileError) as exc:
        _say(f"configuration error: {exc}")
        return EXIT_UNUSABLE
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _say(f"cannot create {out.parent}: {exc.strerror}")
        return EXIT_UNUSABLE
    with contextlib.ExitStack() as stack:
        try:
            if settings.base_url is None:
                from conformance.config import load_settings

                workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="conformance-ref-")))
                server_args = []
                if served is not None:
                    (workdir / "profile.toml").write_text(profile_toml(served), encoding="utf-8")
                    server_args = ["--profile", str(workdir / "profile.toml")]
                server = stack.enter_context(embedded_reference(workdir / "server", server_args=server_args))
                settings = settings.with_target(load_settings(server.config_path, env={}))
            check_target(settings, read_only=False, timeout=min(settings.timeout, 10.0))
            redactor = Redactor(settings.secrets())
            found = discover(settings, probe_limits=args.probe_limits, max_requests=budget, redactor=redactor,
                             say=lambda line: sys.stderr.write(f"conformance: {line}\n"))
        except TargetError as exc:
            _say(str(exc))
            return EXIT_UNUSABLE
        except ConfigError as exc:
            _say(f"configuration error: {exc}")
            return EXIT_UNUSABLE
    try:
        out.write_text(redactor(to_toml(found)), encoding="utf-8")
    except OSError as exc:
        _say(f"cannot write {out}: {exc.strerror}")
        return EXIT_UNUSABLE
    for finding in found.findings:
        print(redactor(f"EARLY FINDING {finding.line()}"))  # noqa: T201
    for leftover in found.leftovers:
        print(f"LEFT {leftover}: discovery could not delete it")  # noqa: T201
    counts: dict[str, int] = {}
    for decision in found.decisions.values():
        counts[decision.provenance] = counts.get(decision.provenance, 0) + 1
    told = ", ".join(f"{n} {name}" for name, n in sorted(counts.items()))
    print(f"DISCOVERED {told} profile keys from {found.requests} requests; "  # noqa: T201
          f"{len(found.findings)} early findings (profile: {out})")
    return EXIT_CONFORMS


def run_report(args: argparse.Namespace) -> int:
    """Allure HTML from the run's Allure results (pytest-html's report.html needs nothing)."""
    import shutil
    import subprocess

    results = Path(args.reports) / "allure-results"
    if not results.is_dir() or not any(results.iterdir()):
        _say(f"no Allure results in {results}: run `conformance run` first")
        return EXIT_UNUSABLE
    allure = shutil.which("allure")
    if allure is None:
        _say(ALLURE_HINT)
        return EXIT_UNUSABLE
    out = Path(args.reports) / "allure-report"
    try:
        done = subprocess.run([allure, "generate", str(results), "-o", str(out), "--clean"], capture_output=True,
                              text=True, timeout=300)
    except (OSError, subprocess.SubprocessError) as exc:
        _say(f"allure failed to run: {exc}")
        return EXIT_UNUSABLE
    if done.returncode != 0:
        _say(f"allure generate failed: {(done.stderr or done.stdout).strip().splitlines()[-1:]}")
        return EXIT_UNUSABLE
    print(f"Allure report: {out / 'index.html'}")  # noqa: T201
    return EXIT_CONFORMS


def run_diff(args: argparse.Namespace) -> int:
    """Exit 0 when nothing flipped, 1 when a requirement changed outcome, 2 for unusable inputs."""
    from conformance.diff import DiffError, diff, load, write

    try:
        result = diff(load(Path(args.a)), load(Path(args.b)))
    except DiffError as exc:
        _say(str(exc))
        return EXIT_UNUSABLE
    for line in result.lines():
        print(line)  # noqa: T201
    if args.out:
        write(result, Path(args.out))
    return EXIT_NONCONFORMING if result.flipped or result.only_in_a or result.only_in_b else EXIT_CONFORMS


def run_merge(args: argparse.Namespace) -> int:
    """Merge shards; the verdict sentence and exit code as ``run`` gives them."""
    from conformance.merge import MergeError, merge
    from conformance.summary import verdict_sentence

    out = Path(args.out)
    parts = []
    for name in args.parts:
        path = Path(name)
        if path.resolve() == out.resolve():
            _say(f"--out {out} is one of the shards: write the merged certification elsewhere")
            return EXIT_UNUSABLE
        try:
            parts.append((name, json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError) as exc:
            _say(f"{name} is not a readable certification.json: {exc}")
            return EXIT_UNUSABLE
    try:
        merged = merge(parts)
    except MergeError as exc:
        _say(str(exc))
        return EXIT_UNUSABLE
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(merged, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        _say(f"cannot write {out}: {exc.strerror}")
        return EXIT_UNUSABLE
    print(verdict_sentence(merged) + f" (merged from {len(parts)} shards: {out})")  # noqa: T201
    if merged["verdict"] == "conforms":
        return EXIT_CONFORMS
    return EXIT_SUITE_ERROR if merged["verdict"] == "not certified" else EXIT_NONCONFORMING


def run_summary(args: argparse.Namespace) -> int:
    """``certification.json`` as Markdown, for CI job summaries."""
    from conformance.results_schema import version_problem
    from conformance.summary import markdown

    path = Path(args.file)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        _say(f"{path} is not a readable certification.json: {exc}")
        return EXIT_UNUSABLE
    if (problem := version_problem(data)) is not None:
        _say(f"{path} cannot be summarised: {problem}")
        return EXIT_UNUSABLE
    print(markdown(data), end="")  # noqa: T201
    return EXIT_CONFORMS


def run_selftest(args: argparse.Namespace, extra: list[str]) -> int:
    """The kill matrix; one line per variant, then the score."""
    from conformance.profile import ProfileError, load_variant
    from conformance.selftest import Outcome, SelftestError, selftest, verdict

    only = [name for name in args.faults.split(",") if name]
    if args.variant:
        try:
            load_variant(args.variant)
        except ProfileError as exc:
            _say(str(exc))
            return EXIT_UNUSABLE
        extra = ["--variant", args.variant, *extra]
    if args.discover:
        extra = ["--discover", *extra]

    def progress(outcome: Outcome, done: int, total: int, left_s: float | None) -> None:
        """A line as each run finishes: what the suite said, by which requirements, and the time left."""
        failed = ", ".join(outcome.failed_requirements) or "-"
        left = f"; about {_duration(left_s)} left" if left_s else ""
        print(f"[{done}/{total}] {verdict(outcome):<26} {outcome.name:<28} failed: {failed}  "  # noqa: T201
              f"({outcome.duration_s:.0f} s){left}", flush=True)

    try:
        outcomes = selftest(Path(args.reports), budget=args.budget, only=only, workers=args.workers, extra=extra,
                            progress=progress)
    except SelftestError as exc:
        _say(str(exc))
        return EXIT_UNUSABLE
    faults = [o for o in outcomes if not o.is_control]
    killed = sum(o.killed for o in faults)
    clean = all(o.ok for o in outcomes if o.is_control)
    print(f"SELFTEST: {killed}/{len(faults)} faults killed by their own requirement; control "  # noqa: T201
          f"{'conforms' if clean else 'FAILS'} (report: {Path(args.reports) / 'selftest.html'})")
    return EXIT_CONFORMS if clean and killed == len(faults) else EXIT_NONCONFORMING


def _duration(seconds: float) -> str:
    """``40 s`` or ``7 min``: an estimate, said as a person would."""
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def _verdict(code: int, reports: Path, target: str | None) -> int:
    """The one-line verdict (``conformance.summary.verdict_sentence``, as report.html shows it) and its exit
    code."""
    from conformance.summary import verdict_sentence

    summary_path = reports / "certification.json"
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        summary = None
    if code == 5:
        _say("no checks were collected: nothing was certified")
        return EXIT_UNUSABLE
    if code not in (0, 1) or summary is None:
        _say(f"the run could not complete (pytest exit {code}); see the messages above")
        return EXIT_UNUSABLE
    print(verdict_sentence(summary, report=reports / "report.html", target=target))  # noqa: T201
    if summary.get("verdict") == "conforms":
        return EXIT_CONFORMS
    if summary.get("verdict") == "not certified" and not summary.get("read_only"):
        return EXIT_SUITE_ERROR  # only the suite broke: nothing is held against the target
    return EXIT_NONCONFORMING
