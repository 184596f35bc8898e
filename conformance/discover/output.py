"""The discovered profile as a TOML file a person reads and a run loads.

Each key is written with the comment a reader needs before trusting it: its provenance, why, and the evidence
(``# observed: a create answered the audio already processed`` / ``#   POST /spaces/alice/main/audios → 201``).
The same facts, machine-readable, follow in a ``[discovery]`` table, which :func:`read` separates from the profile
keys: ``conformance run --profile FILE`` loads the keys as discovered values, under whatever the configuration
names. Only the values that differ from nothing are written as keys: every key of the profile is, so the file is
the whole profile the run used.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from conformance.discover.model import PROVENANCES, Discovery
from conformance.profile import ProfileError, build_profile, toml_value

DISCOVERY_TABLE = "discovery"


def to_toml(discovery: Discovery) -> str:
    """The discovered profile: scalar keys first, then one table per mapping, then ``[discovery]``."""
    lines = [f"# Discovered by `conformance discover` from {discovery.target}: {discovery.requests} requests "
             f"(at most {discovery.max_requests}){', limits probed' if discovery.probe_limits else ''}.",
             "# Every key: its provenance (observed, defaulted: the reference value kept, conflicting), why, and the",
             "# answers that decided it. A key you set in the configuration's [profile] always wins over this file."]
    if discovery.findings:
        lines += ["#", "# Early findings (not learned: the run keeps the reference value and fails the requirement):"]
        lines += [f"#   {_one_line(finding.line())}" for finding in discovery.findings]
    scalars = {k: d for k, d in sorted(discovery.decisions.items()) if "." not in k}
    tables: dict[str, dict[str, Any]] = {}
    for key, decision in sorted(discovery.decisions.items()):
        head, _, sub = key.partition(".")
        if sub:
            tables.setdefault(head, {})[sub] = decision
    lines.append("")
    for key, decision in scalars.items():
        lines += [*_comment(decision), f"{key} = {toml_value(decision.value)}"]
    for name, table in tables.items():
        lines += ["", f"[{name}]"]
        for sub, decision in table.items():
            lines += [*_comment(decision), f"{sub} = {toml_value(decision.value)}"]
    lines += ["", f"[{DISCOVERY_TABLE}]", f"target = {toml_value(discovery.target)}",
              f"requests = {discovery.requests}", f"probe_limits = {toml_value(discovery.probe_limits)}"]
    lines.append(f"[{DISCOVERY_TABLE}.provenance]")
    lines += [f"{toml_value(key)} = {toml_value(d.provenance)}" for key, d in sorted(discovery.decisions.items())]
    return "\n".join(lines) + "\n"


def _comment(decision: Any) -> list[str]:
    lines = [f"# {decision.provenance}: {_one_line(decision.why)}"]
    lines += [f"#   {_one_line(evidence.line())}" for evidence in decision.evidence]
    return lines


def _one_line(text: str) -> str:
    """``text`` safe inside a TOML comment: what a target answered may hold line breaks or control characters,
    which would end the comment and let the answer write keys of its own."""
    return "".join(" " if ord(c) < 0x20 or c in "\x7f\u2028\u2029\x85" else c for c in text)


def read(path: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """A discovered profile file: (its profile keys as overrides, their provenance); ``ProfileError`` with one
    sentence when it is not one."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"profile file {path} cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"profile file {path} is not valid TOML: {exc}") from None
    meta = data.pop(DISCOVERY_TABLE, {})
    provenance = meta.get("provenance", {}) if isinstance(meta, dict) else {}
    if not isinstance(provenance, dict) or any(v not in PROVENANCES for v in provenance.values()):
        raise ProfileError(f"profile file {path}: [{DISCOVERY_TABLE}.provenance] names an unknown provenance")
    build_profile(data)  # every key known and valid, or one sentence naming it
    return data, {str(k): str(v) for k, v in provenance.items()}
