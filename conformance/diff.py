"""``conformance diff A.json B.json``: what changed between two certifications.

Staging against production, or last night against tonight: requirements whose outcome flipped, requirements that
exist in only one of them, the verdict and level, profile values that differ (declared capabilities among them),
and checks whose duration changed a lot. Both inputs are ``certification.json`` files written by a run.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from conformance.results_schema import version_problem

SLOWER_FACTOR = 2.0
SLOWER_MIN_S = 0.5


class DiffError(ValueError):
    """An input is missing or is not a certification summary."""


@dataclass(slots=True)
class Diff:
    """The differences, each as plain data (written as JSON, printed as lines)."""

    verdict: tuple[str, str]
    level: tuple[str | None, str | None]
    flipped: dict[str, tuple[str, str]] = field(default_factory=dict)
    only_in_a: list[str] = field(default_factory=list)
    only_in_b: list[str] = field(default_factory=list)
    profile: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    slower: dict[str, tuple[float, float]] = field(default_factory=dict)
    faster: dict[str, tuple[float, float]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """Human-readable report, one change per line."""
        out = [f"verdict: {self.verdict[0]} -> {self.verdict[1]}", f"level: {self.level[0]} -> {self.level[1]}"]
        out += [f"flipped {rid}: {a} -> {b}" for rid, (a, b) in self.flipped.items()]
        out += [f"only in A: {rid}" for rid in self.only_in_a] + [f"only in B: {rid}" for rid in self.only_in_b]
        out += [f"profile {key}: {a!r} -> {b!r}" for key, (a, b) in self.profile.items()]
        out += [f"slower {node}: {a:.2f} s -> {b:.2f} s" for node, (a, b) in self.slower.items()]
        out += [f"faster {node}: {a:.2f} s -> {b:.2f} s" for node, (a, b) in self.faster.items()]
        return out


def load(path: Path) -> dict[str, Any]:
    """A certification summary, checked for the keys the diff needs."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DiffError(f"{path} does not exist") from None
    except (OSError, ValueError) as exc:
        raise DiffError(f"{path} is not readable JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("requirements"), dict) or "verdict" not in data:
        raise DiffError(f"{path} is not a certification.json (no verdict or requirements)")
    if (problem := version_problem(data)) is not None:
        raise DiffError(f"{path} cannot be compared: {problem}")
    return data


def diff(a: dict[str, Any], b: dict[str, Any]) -> Diff:
    """Compare two certifications."""
    ra, rb = a["requirements"], b["requirements"]
    result = Diff(verdict=(a["verdict"], b["verdict"]), level=(a.get("level"), b.get("level")))
    for rid in sorted(set(ra) & set(rb)):
        if ra[rid]["outcome"] != rb[rid]["outcome"]:
            result.flipped[rid] = (ra[rid]["outcome"], rb[rid]["outcome"])
    result.only_in_a = sorted(set(ra) - set(rb))
    result.only_in_b = sorted(set(rb) - set(ra))
    pa, pb = _flat(a.get("profile", {})), _flat(b.get("profile", {}))
    result.profile = {k: (pa.get(k), pb.get(k)) for k in sorted(set(pa) | set(pb)) if pa.get(k) != pb.get(k)}
    ta, tb = _durations(a), _durations(b)
    for node in sorted(set(ta) & set(tb)):
        before, after = ta[node], tb[node]
        if after > max(before * SLOWER_FACTOR, before + SLOWER_MIN_S):
            result.slower[node] = (before, after)
        elif before > max(after * SLOWER_FACTOR, after + SLOWER_MIN_S):
            result.faster[node] = (before, after)
    return result


def _flat(profile: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in profile.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _durations(summary: dict[str, Any]) -> dict[str, float]:
    return {t["nodeid"]: float(t.get("duration_s", 0.0)) for t in summary.get("tests", []) if t.get("when") == "call"}


def write(result: Diff, path: Path) -> None:
    """The diff as JSON."""
    path.write_text(json.dumps(asdict(result), indent=2) + "\n", encoding="utf-8")
