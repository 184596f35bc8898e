"""Waivers: a known, tracked failure of a requirement that a release may ship with, until a date.

``waivers.toml`` holds one ``[[waiver]]`` row per requirement id, with a reason, the issue that tracks the fix and an
expiry date. A waived failure is reported as ``waived`` and does not fail the certification. Waivers are strict, so
that they cannot rot: an expired waiver, or a waiver for a requirement that now passes, fails the run.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from conformance import requirements


class WaiverError(ValueError):
    """The waivers file is unusable; the message names the row."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Waiver:
    """Permission to fail ``requirement`` until ``expires`` (inclusive), for ``reason``, tracked at ``issue``."""

    requirement: str
    reason: str
    issue: str
    expires: date

    def expired(self, today: date) -> bool:
        """Whether the waiver no longer applies."""
        return today > self.expires


def load_waivers(path: Path | None) -> dict[str, Waiver]:
    """Requirement id → waiver; no file means no waivers."""
    if path is None:
        return {}
    try:
        rows = tomllib.loads(path.read_text(encoding="utf-8")).get("waiver", [])
    except FileNotFoundError:
        raise WaiverError(f"waivers file {path} does not exist") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise WaiverError(f"waivers file {path} cannot be read: {exc}") from None
    waivers: dict[str, Waiver] = {}
    for number, row in enumerate(rows, start=1):
        waiver = _waiver(number, row)
        if waiver.requirement in waivers:
            raise WaiverError(f"waiver #{number}: {waiver.requirement} is waived twice")
        waivers[waiver.requirement] = waiver
    return waivers


def _waiver(number: int, row: object) -> Waiver:
    if not isinstance(row, dict):
        raise WaiverError(f"waiver #{number} must be a table")
    unknown = set(row) - {"requirement", "reason", "issue", "expires"}
    if unknown:
        raise WaiverError(f"waiver #{number}: unknown key(s) {', '.join(sorted(unknown))}")
    requirement, reason, issue, expires = (row.get(k) for k in ("requirement", "reason", "issue", "expires"))
    if requirement not in requirements.CATALOGUE:
        raise WaiverError(f"waiver #{number}: unknown requirement id {requirement!r}")
    for key, value in (("reason", reason), ("issue", issue)):
        if not isinstance(value, str) or not value.strip():
            raise WaiverError(f"waiver #{number} ({requirement}): '{key}' must be a non-empty string")
    if not isinstance(expires, date) or isinstance(expires, type(None)):
        raise WaiverError(f"waiver #{number} ({requirement}): 'expires' must be a TOML date such as 2027-01-31")
    return Waiver(requirement=str(requirement), reason=str(reason), issue=str(issue), expires=expires)
