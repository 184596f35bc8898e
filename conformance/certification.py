"""The certification: per requirement a verdict, the conformance level reached, and the run's verdict.

Built from the per-test results (``outcomes.roll_up``), the catalogue's levels, the profile and the waivers:
- a SHOULD requirement that fails is a ``warn`` (unless the profile's ``strict_should`` makes it a failure);
- a failing requirement with a valid waiver is ``waived``; an expired waiver, or a waiver of a requirement that
  passes, is a problem that fails the run (waivers must not rot);
- the conformance level is the highest tier whose requirements, and those of every tier below, all passed
  (pass, warn or waived); a capability the target lacks (``unsupported``) or a requirement not run caps it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from conformance import requirements
from conformance.outcomes import roll_up
from conformance.waivers import Waiver

PASSING = ("pass", "warn", "waived")
# The requirements that exercise each capability: what the run saw of it, next to what the profile declares.
CAPABILITY_REQUIREMENTS: dict[str, tuple[str, ...]] = {
    "delete": ("DELETE-GONE",),
    "raw_upload": ("RAW-CREATE-AWAITING", "RAW-UPLOAD", "RAW-UPLOAD-ONCE"),
    "api_keys": ("KEYS-LIFECYCLE", "KEYS-REVOKE"),
}


def capabilities(declared: Mapping[str, bool], verdicts: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per capability: declared by the profile, and detected by the run (``works``: its checks passed,
    ``broken``: one failed or could not be decided, ``not checked``: none ran)."""
    report: dict[str, dict[str, Any]] = {}
    for capability, ids in CAPABILITY_REQUIREMENTS.items():
        outcomes = [verdicts[rid]["outcome"] for rid in ids if rid in verdicts]
        if any(o in ("fail", "undecided", "error") for o in outcomes):
            detected = "broken"
        elif any(o in PASSING for o in outcomes):
            detected = "works"
        else:
            detected = "not checked"
        report[capability] = {"declared": bool(declared.get(capability, False)), "detected": detected}
    return report


def percentiles(values: Iterable[float]) -> dict[str, float | int | None]:
    """Count, p50 and p95 (nearest rank) of ``values``, e.g. seconds from create to `available`."""
    ordered = sorted(values)
    if not ordered:
        return {"count": 0, "p50_s": None, "p95_s": None}

    def rank(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, max(0, -(-len(ordered) * p // 100) - 1))], 3)

    return {"count": len(ordered), "p50_s": rank(50), "p95_s": rank(95)}


@dataclass(slots=True)
class Certification:
    """The verdict of a run, ready to be written as JSON and shown at the top of the report."""

    requirements: dict[str, dict[str, Any]]
    level: str | None
    verdict: str
    failed: list[str]
    undecided: list[str]
    warnings: list[str]
    waived: list[str]
    problems: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # requirements the suite could not certify: it broke itself

    @property
    def conforms(self) -> bool:
        """No failure, nothing undecided, no waiver problem."""
        return self.verdict == "conforms"

    def fields(self, *, declared: Mapping[str, bool], waits: Iterable[float]) -> dict[str, Any]:
        """The judged part of ``certification.json``, as a run writes it and a merge of shards rewrites it:
        verdict, level, requirements by outcome, capabilities (``declared`` by the profile) and the
        time-to-available figures of ``waits``."""
        ordered = sorted(round(w, 3) for w in waits)
        return {
            "verdict": self.verdict, "level": self.level, "failed_requirements": self.failed,
            "undecided_requirements": self.undecided, "error_requirements": self.errors,
            "warnings": self.warnings, "waived": self.waived, "problems": self.problems,
            "requirements": self.requirements, "capabilities": capabilities(declared, self.requirements),
            "time_to_available": {**percentiles(ordered), "samples": ordered},
            "requirements_run": sum(1 for v in self.requirements.values() if v["outcome"] != "not-run"),
        }


def certify(results: Iterable[Mapping[str, Any]], *, waivers: Mapping[str, Waiver], strict_should: bool,
            today: date, partial: bool = False) -> Certification:
    """Judge a run's results (``partial``: the user selected a subset of the checks, so no level is reached)."""
    raw = roll_up(results)
    verdicts: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    for requirement in requirements.CATALOGUE.values():
        outcome = raw.get(requirement.id, "not-run")
        waiver = waivers.get(requirement.id)
        if outcome == "fail" and requirement.level is requirements.Level.SHOULD and not strict_should:
            outcome = "warn"
        if waiver is not None:
            if waiver.expired(today):
                problems.append(f"waiver for {requirement.id} expired on {waiver.expires.isoformat()} ({waiver.issue})")
            elif outcome in ("fail", "warn", "undecided"):
                outcome = "waived"
            elif outcome == "pass":
                problems.append(f"waiver for {requirement.id} is stale: the requirement passes; remove it "
                                f"({waiver.issue})")
        verdicts[requirement.id] = {
            "outcome": outcome, "level": requirement.level.value, "tier": requirement.tier.value,
            "title": requirement.title, "source": requirement.source,
            **({"waiver": {"reason": waiver.reason, "issue": waiver.issue, "expires": waiver.expires.isoformat()}}
               if waiver else {}),
        }
    by = _by_outcome(verdicts)
    failed, undecided, errors = by.get("fail", []), by.get("undecided", []), by.get("error", [])
    if failed or (undecided and not errors) or problems:
        verdict = "does not conform"
    elif errors:
        verdict = "not certified"  # the suite broke: nothing is held against the target
    else:
        verdict = "conforms"
    return Certification(
        requirements=verdicts, level=None if partial else _level(verdicts), verdict=verdict,
        failed=failed, undecided=undecided, warnings=by.get("warn", []), waived=by.get("waived", []),
        problems=problems, errors=errors,
    )


def _by_outcome(verdicts: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for rid, verdict in sorted(verdicts.items()):
        grouped.setdefault(verdict["outcome"], []).append(rid)
    return grouped


# Requirements that apply only to one of several conforming choices of the profile: "unsupported" there says the
# target chose the other one (e.g. `hide_existence = false`: 403 for an existing space), which is no missing
# capability and must not cap the level. Capabilities the target lacks (delete, raw upload, API keys) still do.
CHOICE_REQUIREMENTS = frozenset({"ACCESS-HIDE-EXISTENCE"})


def _level(verdicts: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The highest tier reached: every requirement of it and of the tiers below passed (or does not apply to the
    choice the profile made)."""
    reached = None
    for tier in requirements.TIER_ORDER:
        in_tier = [(rid, v) for rid, v in verdicts.items() if v["tier"] == tier.value]
        if not in_tier or any(v["outcome"] not in PASSING
                              and not (v["outcome"] == "unsupported" and rid in CHOICE_REQUIREMENTS)
                              for rid, v in in_tier):
            break
        reached = tier.value
    return reached
