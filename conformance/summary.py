"""The run's summary: ``certification.json``, and the one sentence that says its verdict.

``certification.json`` is what every reader of a run depends on (the CLI's verdict, ``conformance diff``, the
self-test, report.html): target, profile, per requirement the outcome with its level and tier, the leaks, and a
row per test. :func:`verdict_sentence` turns it into the line the CLI prints and report.html shows on top, so the
two never say different things.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conformance import __version__
from conformance.certification import certify
from conformance.discover import provenance
from conformance.results_schema import SCHEMA_VERSION
from conformance.run_state import RunState, now


def write_certification(state: RunState, exitstatus: int) -> dict[str, Any]:
    """Judge the run and write ``certification.json`` (redacted); returns what was written."""
    result = certify(state.results, waivers=state.waivers, strict_should=state.settings.profile.strict_should,
                     today=datetime.now(UTC).date(), partial=state.partial or state.shard is not None)
    state.certification = result
    summary = {
        "schema_version": SCHEMA_VERSION,
        "suite_version": __version__,
        "suite_revision": _revision(),
        "target": state.settings.base_url,
        "target_version": state.target_version,
        "configuration": state.configuration,
        "embedded_reference": state.embedded,
        "profile": state.settings.profile.as_dict(),
        "profile_provenance": provenance(state.settings, state.discovered),
        "discovery": state.discovery,
        "budget": state.settings.budget,
        "seed": state.settings.seed,
        "run_id": state.run_id,
        "started": state.started,
        "finished": now(),
        "pytest_exit_status": int(exitstatus),
        **result.fields(declared=state.settings.profile.capabilities, waits=state.waits),
        "requests": state.stats.as_dict(),
        "read_only": state.read_only,
        "partial": state.partial,
        "shard": None if state.shard is None else {"index": state.shard[0], "count": state.shard[1]},
        "leaks": state.leak_rows,
        "tests": state.results,
    }
    state.reports_dir.mkdir(parents=True, exist_ok=True)
    text = state.redactor(json.dumps(summary, indent=2, ensure_ascii=False))
    (state.reports_dir / "certification.json").write_text(text + "\n", encoding="utf-8")
    state.summary = json.loads(text)
    return state.summary


def verdict_sentence(summary: Mapping[str, Any], *, report: Path | None = None, target: str | None = None) -> str:
    """The verdict of a certification in one sentence (a failed SHOULD or a waived failure does not fail it):
    CONFORMS with the level reached, DOES NOT CONFORM with what failed and what could not be decided, NOT CERTIFIED
    when only the suite itself broke, or the outcome of a read-only check, which certifies no level."""
    where = summary.get("target") or target
    if summary.get("configuration") not in (None, "defaults"):
        where = f"{where} (configuration {summary['configuration']})"
    checked = sum(1 for t in summary.get("tests", []) if t.get("outcome") == "passed")
    seen = f" (report: {report})" if report is not None else ""
    notes = [f"{len(summary[k])} {k}" for k in ("warnings", "waived") if summary.get(k)]
    extra = f" ({', '.join(notes)})" if notes else ""
    conforms = summary.get("verdict") == "conforms"
    if summary.get("shard") and not summary.get("partial"):  # one share of a sharded run: never a level alone
        part = f"SHARD {summary['shard']['index']}/{summary['shard']['count']}"
        run = f"{summary.get('requirements_run', 0)} of {len(summary.get('requirements', {}))} requirements run"
        outcome = ("all passed" if conforms else
                   f"fails {', '.join(summary.get('failed_requirements', [])) or 'no requirement outright'}"
                   + (f"; could not decide {', '.join(summary['undecided_requirements'])}"
                      if summary.get("undecided_requirements") else ""))
        return (f"{part}: {run}, {outcome}: {checked} checks against {where}; combine the shards with "
                f"`conformance merge`{extra}{seen}")
    if summary.get("partial") and not summary.get("read_only"):  # a subset was selected: never a level
        run = f"{summary.get('requirements_run', 0)} of {len(summary.get('requirements', {}))} requirements run"
        if conforms:
            return f"PARTIAL: {run}, all passed: {checked} checks against {where}{extra}{seen}"
        failed = ", ".join(summary.get("failed_requirements", [])) or "no requirement outright"
        undecided = summary.get("undecided_requirements", [])
        also = f"; could not decide {', '.join(undecided)}" if undecided else ""
        errors = summary.get("error_requirements", [])
        broke = f"; the suite itself failed while checking {', '.join(errors)} (suite error)" if errors else ""
        return f"PARTIAL: {run}; {where} fails {failed}{also}{broke}{seen}"
    if summary.get("read_only"):  # a smoke check of existing audios: no level, nothing was uploaded
        outcome = ("PASSED" if conforms
                   else f"FAILED ({', '.join(summary.get('failed_requirements', [])) or 'undecided checks'})")
        return f"READ-ONLY CHECK {outcome}: {checked} checks against {where}, nothing written{extra}{seen}"
    if conforms:
        return f"CONFORMS, level {summary.get('level') or 'none'}: {checked} checks passed against {where}{extra}{seen}"
    failed = ", ".join(summary.get("failed_requirements", [])) or "no requirement outright"
    undecided = summary.get("undecided_requirements", [])
    errors = summary.get("error_requirements", [])
    also = f"; could not decide {', '.join(undecided)}" if undecided else ""
    broke = f"; the suite itself failed while checking {', '.join(errors)} (suite error)" if errors else ""
    problems = "".join(f"; {p}" for p in summary.get("problems", []))
    if summary.get("verdict") == "not certified":  # only the suite broke: nothing is held against the target
        return f"NOT CERTIFIED: {where} was not judged on every requirement{broke}{also}{seen}"
    return f"DOES NOT CONFORM: {where} fails {failed}{also}{broke}{problems}{seen}"


def markdown(summary: Mapping[str, Any]) -> str:
    """A certification as a Markdown job summary: the verdict sentence, the level, and every requirement that
    failed or could not be decided with its title, so a reader of the CI page knows what broke without opening the
    artifact (whose report.html has the transcripts)."""
    requirements = summary.get("requirements", {})
    lines = [f"## Voice API conformance: {verdict_sentence(summary)}", "",
             "| | |", "|---|---|",
             f"| verdict | {summary.get('verdict')} |",
             f"| level | {summary.get('level') or 'none'} |",
             f"| target | `{summary.get('target')}` |",
             f"| budget | {summary.get('budget')} (seed {summary.get('seed')}) |", ""]
    for key, heading in (("failed_requirements", "Failed"), ("undecided_requirements", "Could not decide"),
                         ("error_requirements", "Suite errors (not the target's)")):
        ids = summary.get(key) or []
        if ids:
            lines += [f"### {heading}", "", "| requirement | level | statement |", "|---|---|---|"]
            lines += [f"| `{rid}` | {requirements.get(rid, {}).get('level', '')} | "
                      f"{str(requirements.get(rid, {}).get('title', '')).replace('|', '/')} |" for rid in ids]
            lines.append("")
    lines.append("The full report (report.html, with every HTTP exchange and a curl line per failure) is in the "
                 "job's artifact.")
    return "\n".join(lines) + "\n"


def _revision() -> str | None:
    """The suite's git commit, when it runs from a checkout."""
    try:
        result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=Path(__file__).parent,
                                capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None
