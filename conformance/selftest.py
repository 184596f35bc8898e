"""``conformance selftest``: the suite's kill matrix against the reference server's planted faults.

A conformance suite that passes a broken server certifies bugs. The self-test runs the whole suite against the
correct reference server (the control: it must conform, zero false failures) and against each planted fault (each
must make the suite fail, and fail one of the requirement ids the fault declares). The catalogue is read from
``python -m conformance.reference faults`` — the suite never imports the server, it only names its faults.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from html import escape
from pathlib import Path

CONTROL = "(correct server)"
# Requests to a hanging fault cost one timeout per affected check: keep it short in self-tests.
SELFTEST_TIMEOUT_S = "10"
RUN_BOUND_S = 900


class SelftestError(Exception):
    """The self-test could not run (catalogue unreadable, reports not writable)."""


@dataclass(frozen=True, slots=True)
class Fault:
    """A planted fault as the reference server lists it."""

    name: str
    requirements: tuple[str, ...]
    description: str


@dataclass(slots=True)
class Outcome:
    """What the suite said about one server variant."""

    name: str
    declared: list[str]
    description: str
    exit_code: int
    failed_requirements: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    detail: str = ""

    @property
    def is_control(self) -> bool:
        """The correct server, which must conform."""
        return self.name == CONTROL

    @property
    def killed(self) -> bool:
        """The suite failed this faulty variant, naming one of the fault's own requirement ids."""
        return self.exit_code == 1 and bool(set(self.failed_requirements) & set(self.declared))

    @property
    def ok(self) -> bool:
        """Control conforms; a fault is killed by its own requirement."""
        return self.exit_code == 0 and not self.failed_requirements if self.is_control else self.killed


def catalogue() -> list[Fault]:
    """The reference server's fault catalogue."""
    try:
        listing = subprocess.run([sys.executable, "-m", "conformance.reference", "faults"], capture_output=True,
                                 text=True, timeout=60, check=True).stdout
    except (subprocess.SubprocessError, OSError) as exc:
        raise SelftestError(f"cannot read the fault catalogue: {exc}") from None
    faults = []
    for line in listing.splitlines():
        name, ids, description = line.split("\t", 2)
        faults.append(Fault(name, tuple(ids.split(",")), description))
    return faults


def run_variant(fault: Fault | None, reports: Path, budget: str, extra: Sequence[str] = ()) -> Outcome:
    """The whole suite against the reference server with ``fault`` planted (None: the control)."""
    name = fault.name if fault else CONTROL
    directory = reports / (fault.name if fault else "control")
    command = [sys.executable, "-m", "conformance", "run", "--budget", budget, "--reports", str(directory), "-q",
               *extra]
    if fault:
        command += ["--reference-fault", fault.name]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")}
    env["CONFORMANCE_TIMEOUT"] = SELFTEST_TIMEOUT_S
    # A SHOULD check that fires is a warning in a certification; here it must count, so SHOULDs are strict.
    env["CONFORMANCE_PROFILE_STRICT_SHOULD"] = "true"
    env["CONFORMANCE_PREVIEWS"] = "none"  # the matrix reads verdicts; players and pictures cost seconds per run
    start = time.monotonic()
    try:
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=RUN_BOUND_S)
        code, tail = result.returncode, (result.stdout + result.stderr).strip().splitlines()[-1:]
    except subprocess.TimeoutExpired:
        code, tail = 2, [f"the run did not finish within {RUN_BOUND_S} s"]
    outcome = Outcome(name=name, declared=list(fault.requirements) if fault else [],
                      description=fault.description if fault else "the reference server as it should be",
                      exit_code=code, duration_s=round(time.monotonic() - start, 1), detail=" ".join(tail))
    try:
        summary = json.loads((directory / "certification.json").read_text(encoding="utf-8"))
        outcome.failed_requirements = list(summary.get("failed_requirements", []))
    except (OSError, ValueError):
        pass
    return outcome


Progress = Callable[[Outcome, int, int, float | None], None]


def selftest(reports: Path, *, budget: str = "quick", only: Sequence[str] = (), workers: int | None = None,
             extra: Sequence[str] = (), progress: Progress | None = None) -> list[Outcome]:
    """Run the control and every fault (or ``only`` those), in parallel processes; write the kill matrix.
    ``progress(outcome, done, total, seconds_left)`` hears of each run as it finishes (the estimate of what is
    left assumes the runs still to come take as long as the ones so far, ``None`` until one has finished)."""
    faults = catalogue()
    unknown = sorted(set(only) - {f.name for f in faults})
    if unknown:
        raise SelftestError(f"unknown fault(s) {', '.join(unknown)}; known: {', '.join(f.name for f in faults)}")
    chosen: list[Fault | None] = [None, *(f for f in faults if not only or f.name in only)]
    try:
        reports.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SelftestError(f"cannot create {reports}: {exc.strerror}") from None
    start = time.monotonic()
    finished: dict[int, Outcome] = {}
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2) as pool:
        futures = {pool.submit(run_variant, f, reports / "runs", budget, extra): i for i, f in enumerate(chosen)}
        for future in as_completed(futures):
            finished[futures[future]] = outcome = future.result()
            if progress is not None:
                done = len(finished)
                left = (time.monotonic() - start) / done * (len(chosen) - done) if done < len(chosen) else 0.0
                progress(outcome, done, len(chosen), left)
    outcomes = [finished[i] for i in range(len(chosen))]  # the catalogue's order, whatever finished first
    write_reports(outcomes, reports)
    return outcomes


def verdict(outcome: Outcome) -> str:
    """One word for the matrix."""
    if outcome.is_control:
        return "conforms" if outcome.ok else "FALSE FAILURES"
    if outcome.killed:
        return "killed"
    return "SURVIVED" if outcome.exit_code == 0 else "killed, wrong requirement" if outcome.exit_code == 1 else "ERROR"


def write_reports(outcomes: list[Outcome], reports: Path) -> None:
    """``selftest.json`` and a self-contained ``selftest.html``."""
    faults = [o for o in outcomes if not o.is_control]
    data = {
        "control_conforms": all(o.ok for o in outcomes if o.is_control),
        "faults": len(faults),
        "killed": sum(o.killed for o in faults),
        "survivors": [o.name for o in faults if not o.killed],
        "runs": [asdict(o) | {"killed": o.killed, "ok": o.ok} for o in outcomes],
    }
    (reports / "selftest.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    rows = "\n".join(
        f"<tr class=\"{'ok' if o.ok else 'bad'}\"><td>{escape(o.name)}</td><td>{escape(o.description)}</td>"
        f"<td>{escape(', '.join(o.declared))}</td>"
        f"<td>{verdict(o)}</td>"
        f"<td>{escape(', '.join(o.failed_requirements))}</td><td>{o.duration_s:.1f} s</td></tr>"
        for o in outcomes)
    html = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Conformance self-test</title><style>
body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}}
tr.ok td:nth-child(4){{color:#060}} tr.bad td{{background:#fdd}}</style></head><body>
<h1>Conformance self-test: kill matrix</h1>
<p>{data['killed']} of {data['faults']} planted faults killed by their own requirement;
control {'conforms' if data['control_conforms'] else 'FAILS'}.</p>
<table><tr><th>variant</th><th>fault</th><th>declared requirement ids</th><th>verdict</th>
<th>requirements the suite failed</th><th>time</th></tr>
{rows}
</table></body></html>
"""
    (reports / "selftest.html").write_text(html, encoding="utf-8")
    (reports / "selftest.md").write_text(markdown(data, outcomes), encoding="utf-8")


def markdown(data: dict[str, object], outcomes: list[Outcome]) -> str:
    """The kill matrix as a Markdown table (what docs/kill-matrix.md shows)."""
    lines = [f"{data['killed']} of {data['faults']} planted faults killed by their own requirement; control "
             f"{'conforms' if data['control_conforms'] else 'FAILS'}.", "",
             "| variant | fault | declared | verdict | requirements the suite failed | time |",
             "|---|---|---|---|---|---|"]
    lines += [f"| `{o.name}` | {o.description} | {', '.join(o.declared)} | {verdict(o)} | "
              f"{', '.join(o.failed_requirements) or '-'} | {o.duration_s:.0f} s |" for o in outcomes]
    return "\n".join(lines) + "\n"
