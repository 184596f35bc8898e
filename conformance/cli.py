"""``conformance``: run the certification, or serve the reference server.

``conformance run`` checks the configuration and that the target answers before anything else (exit 2 with one
sentence if not), then runs the scenarios through pytest with this package's plugin, always leaving
``report.html``, ``junit.xml`` and ``certification.json`` in the reports directory, and prints a one-line verdict.
Exit codes: 0 conforms, 1 does not conform, 2 configuration or target problem.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

EXIT_CONFORMS, EXIT_NONCONFORMING, EXIT_UNUSABLE = 0, 1, 2
SCENARIOS = Path(__file__).resolve().parent / "scenarios"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="conformance", description="Voice API conformance suite")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="certify a target (default: the embedded reference server)",
                              description="Certify a target. Unknown options are passed to pytest (e.g. -k, -x).")
    run.add_argument("--target", metavar="URL", help="base URL of the target, e.g. https://staging.example/v1")
    run.add_argument("--config", metavar="FILE", help="suite configuration (TOML); env CONFORMANCE_CONFIG")
    run.add_argument("--budget", choices=("quick", "nightly"), help="run budget (default from config: quick)")
    run.add_argument("--seed", type=int, help="seed for generated data (default from config)")
    run.add_argument("--reports", metavar="DIR", default="reports", help="reports directory (default: reports)")
    run.add_argument("--reference-fault", action="append", default=[], metavar="NAME",
                     help="plant a fault in the embedded reference server (self-tests)")
    serve = commands.add_parser("serve", help="run the reference server (python -m conformance.reference serve)",
                                add_help=False)
    serve.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if args.command == "serve":
        os.execv(sys.executable, [sys.executable, "-m", "conformance.reference", "serve", *args.args, *extra])
    try:
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
    from conformance.client import TargetError
    from conformance.config import ConfigError, load_settings, require_identity
    from conformance.target import probe

    try:
        settings = load_settings(args.config, overrides={"base_url": args.target, "budget": args.budget,
                                                         "seed": args.seed})
    except ConfigError as exc:
        _say(f"configuration error: {exc}")
        return EXIT_UNUSABLE
    if settings.base_url is not None:
        try:
            probe(settings.base_url, min(settings.timeout, 10.0))
        except TargetError as exc:
            _say(str(exc))
            return EXIT_UNUSABLE
        try:
            require_identity(settings)
        except ConfigError as exc:
            _say(f"configuration error: {exc}")
            return EXIT_UNUSABLE
    reports = Path(args.reports)
    try:
        reports.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _say(f"cannot create the reports directory {reports}: {exc.strerror}")
        return EXIT_UNUSABLE
    (reports / "certification.json").unlink(missing_ok=True)
    pytest_args = [
        str(SCENARIOS), "-c", str(SCENARIOS / "pytest.ini"), "--rootdir", str(SCENARIOS), "-p", "conformance.plugin",
        f"--html={reports / 'report.html'}", "--self-contained-html", f"--junitxml={reports / 'junit.xml'}",
        f"--reports-dir={reports}",
    ]
    for option, value in (("--conformance-config", args.config), ("--target", args.target),
                          ("--budget", args.budget), ("--seed", args.seed)):
        if value is not None:
            pytest_args += [option, str(value)]
    for fault in args.reference_fault:
        pytest_args += ["--reference-fault", fault]
    import pytest

    code = int(pytest.main(pytest_args + extra))
    return _verdict(code, reports, settings.base_url)


def _verdict(code: int, reports: Path, target: str | None) -> int:
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
    where = summary.get("target") or target
    checked = sum(1 for t in summary["tests"] if t["outcome"] == "passed")
    report = reports / "report.html"
    if code == 0:
        print(f"CONFORMS: {checked} checks passed against {where} (report: {report})")  # noqa: T201
        return EXIT_CONFORMS
    failed = ", ".join(summary.get("failed_requirements", [])) or "no requirement outright"
    undecided = summary.get("undecided_requirements", [])
    also = f"; could not decide {', '.join(undecided)}" if undecided else ""
    print(f"DOES NOT CONFORM: {where} fails {failed}{also} (report: {report})")  # noqa: T201
    return EXIT_NONCONFORMING


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
