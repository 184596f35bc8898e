"""What discovery decided, and on what evidence: the typed result that ``discover`` writes and a run reads.

Every profile key gets a :class:`Decision` with one provenance:

- ``observed``: the value explains what the target answered; the evidence (method, path, status and the deciding
  part of the answer, redacted) is kept;
- ``defaulted``: the key cannot be seen safely (a tolerance of the suite, a lifetime the target only declares, a
  limit without ``--probe-limits``, a capability the target lacks); the reference value is kept, and evidence is
  kept when the suite looked anyway;
- ``conflicting``: two observations disagree; both are shown, and the value chosen is the one the contract allows
  for both (or the reference value).

An observation that no conforming value explains is a :class:`Finding`: it is printed before the run, never
learned, and the key keeps its reference value, so the certification then fails it by its own requirement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OBSERVED, DEFAULTED, CONFLICTING = "observed", "defaulted", "conflicting"
PROVENANCES = (OBSERVED, DEFAULTED, CONFLICTING)


@dataclass(frozen=True, slots=True)
class Evidence:
    """One exchange that decided something: what was sent and the deciding part of what came back."""

    method: str
    path: str
    status: int | None  # None: no answer (a timeout, a dropped connection)
    detail: str = ""

    def line(self) -> str:
        """``GET /spaces/a/b/audios → 404 (title: Not Found)``."""
        status = "no answer" if self.status is None else str(self.status)
        return f"{self.method} {self.path} → {status}" + (f" ({self.detail})" if self.detail else "")

    def as_dict(self) -> dict[str, Any]:
        """Plain values, for TOML and JSON (``status`` 0 stands for no answer: TOML has no null)."""
        return {"method": self.method, "path": self.path, "status": self.status or 0, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Decision:
    """The value discovery chose for one profile key (``capabilities.delete``, ``reject_statuses.empty``)."""

    key: str
    value: Any
    provenance: str
    why: str
    evidence: tuple[Evidence, ...] = ()

    def __post_init__(self) -> None:
        if self.provenance not in PROVENANCES:
            raise ValueError(f"unknown provenance {self.provenance!r}")


@dataclass(frozen=True, slots=True)
class Finding:
    """An observation no conforming value explains: reported at once, never learned."""

    key: str
    observed: str
    kept: Any
    evidence: tuple[Evidence, ...] = ()

    def line(self) -> str:
        """One sentence for the console."""
        return f"{self.key}: {self.observed}; no conforming profile explains it, so the run keeps {self.kept!r}"


@dataclass(slots=True)
class Discovery:
    """Everything one discovery found: a decision per key, the early findings, and what it cost and left."""

    target: str
    decisions: dict[str, Decision] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    requests: int = 0
    max_requests: int = 0
    probe_limits: bool = False
    leftovers: list[str] = field(default_factory=list)  # audios discovery created and could not delete

    def decide(self, decision: Decision) -> None:
        """Record a key's decision (the last one wins: a later, better-informed step may revise an earlier)."""
        self.decisions[decision.key] = decision

    def find(self, finding: Finding) -> None:
        """Record an early finding."""
        self.findings.append(finding)

    def observed_overrides(self) -> dict[str, Any]:
        """The profile table of every key whose value was observed or settled from a conflict: what a run
        learns (defaulted keys add nothing: the reference value is already the default)."""
        table: dict[str, Any] = {}
        for decision in self.decisions.values():
            if decision.provenance == DEFAULTED:
                continue
            head, _, sub = decision.key.partition(".")
            if sub:
                table.setdefault(head, {})[sub] = decision.value
            else:
                table[head] = decision.value
        return table

    def provenance(self) -> dict[str, str]:
        """``{key: provenance}`` for every decided key."""
        return {key: decision.provenance for key, decision in sorted(self.decisions.items())}

    def as_dict(self) -> dict[str, Any]:
        """Plain values (certification.json's ``discovery``)."""
        return {
            "target": self.target, "requests": self.requests, "max_requests": self.max_requests,
            "probe_limits": self.probe_limits, "leftovers": list(self.leftovers),
            "keys": {key: {"value": _plain(d.value), "provenance": d.provenance, "why": d.why,
                           "evidence": [e.as_dict() for e in d.evidence]}
                     for key, d in sorted(self.decisions.items())},
            "findings": [{"key": f.key, "observed": f.observed, "kept": _plain(f.kept),
                          "evidence": [e.as_dict() for e in f.evidence]} for f in self.findings],
        }


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
