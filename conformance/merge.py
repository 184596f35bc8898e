"""``conformance merge``: the certifications of the shards of one run (``--shard K/N``) as one certification.

The merged file says what a single run would have said: the per-test rows of every shard are judged together
(``conformance.certification.certify``, the one judge), so each requirement gets the worst outcome of all its rows
and the level follows, exactly as in one run. The shards must be of one run: the same target, suite version,
budget, seed and profile (a profile discovered on each runner must have come out the same), every shard from 1
to N once; only shards of the embedded reference server may name different targets (each runner starts its own).
Anything else is refused in one sentence rather than merged into a verdict nobody ran.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from conformance.certification import certify
from conformance.results_schema import SCHEMA_VERSION, version_problem
from conformance.waivers import Waiver

SAME = ("target", "suite_version", "budget", "seed", "profile", "read_only")


class MergeError(ValueError):
    """The files cannot be merged; the message says why."""


def merge(parts: Sequence[tuple[str, dict[str, Any]]], *, today: date | None = None) -> dict[str, Any]:
    """``parts`` (name, certification) → the merged certification."""
    if len(parts) < 2:
        raise MergeError("merge needs the certification.json of at least two shards")
    for name, data in parts:
        if (problem := version_problem(data)) is not None:
            raise MergeError(f"{name} cannot be merged: {problem}")
        if not isinstance(data.get("shard"), dict):
            raise MergeError(f"{name} is not the certification of a shard (run it with --shard K/N)")
    count = parts[0][1]["shard"]["count"]
    indices = sorted(data["shard"]["index"] for _, data in parts)
    if any(data["shard"]["count"] != count for _, data in parts) or indices != list(range(1, count + 1)):
        raise MergeError(f"the files are shards {', '.join(str(i) for i in indices)} of "
                         f"{'/'.join(sorted({str(d['shard']['count']) for _, d in parts}))}: every shard from 1 to "
                         f"{count} is needed, once")
    first_name, first = parts[0]
    embedded = all(data.get("embedded_reference") for _, data in parts)
    for name, data in parts[1:]:
        for key in SAME:
            if key == "target" and embedded:
                continue  # each runner starts its own embedded reference server, on its own port
            if data.get(key) != first.get(key):
                raise MergeError(f"{name} and {first_name} are not shards of one run: their {key} differs")
    ordered = [data for _, data in sorted(parts, key=lambda part: part[1]["shard"]["index"])]
    tests = [row for data in ordered for row in data.get("tests", [])]
    profile = first["profile"]
    partial = any(data.get("partial") for data in ordered)
    result = certify(tests, waivers=_waivers(ordered), strict_should=bool(profile.get("strict_should")),
                     today=today or datetime.now(UTC).date(), partial=partial)
    waits = [w for data in ordered for w in data.get("time_to_available", {}).get("samples", [])]
    requests: dict[str, Any] = {}
    for data in ordered:
        for key, value in data.get("requests", {}).items():
            requests[key] = round(requests.get(key, 0) + value, 3) if isinstance(value, int | float) else value
    return {
        **first,
        "schema_version": SCHEMA_VERSION,
        "run_id": "+".join(data["run_id"] for data in ordered),
        "started": min(data["started"] for data in ordered),
        "finished": max(data["finished"] for data in ordered),
        "pytest_exit_status": max(int(data.get("pytest_exit_status", 0)) for data in ordered),
        **result.fields(declared=profile.get("capabilities", {}), waits=waits),
        "requests": requests,
        "partial": partial,
        "leaks": [leak for data in ordered for leak in data.get("leaks", [])],
        "tests": tests,
        "shard": None,
        "merged_from": [{"index": data["shard"]["index"], "run_id": data["run_id"]} for data in ordered],
    }


def _waivers(parts: Sequence[dict[str, Any]]) -> dict[str, Waiver]:
    """The waivers the shards were judged with, as each certification records them per requirement."""
    found: dict[str, Waiver] = {}
    for data in parts:
        for rid, row in data.get("requirements", {}).items():
            waiver = row.get("waiver")
            if isinstance(waiver, dict):
                found[rid] = Waiver(requirement=rid, reason=str(waiver.get("reason", "")),
                                    issue=str(waiver.get("issue", "")),
                                    expires=date.fromisoformat(str(waiver.get("expires"))))
    return found
