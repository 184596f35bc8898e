"""ISO-8601 durations as the API reports them (``duration: "PT3.500S"``).

Why strict: the contract says a target may write any ISO-8601 duration (``PT1M2.5S``, ``P0D``), so the suite
must accept every valid spelling, but a target writing ``3.5`` or ``3.5s`` is non-conforming and must fail,
not be guessed at. Years and months are refused: their length in seconds is not defined without a calendar
anchor, and no audio is that long. Weeks and days are exact (7 x 86400 s, 86400 s).
"""

from __future__ import annotations

import math
import re

_DURATION = re.compile(
    r"P(?!$)"
    r"(?:(?P<weeks>\d+(?:[.,]\d+)?)W)?"
    r"(?:(?P<days>\d+(?:[.,]\d+)?)D)?"
    r"(?:T(?=\d)"
    r"(?:(?P<hours>\d+(?:[.,]\d+)?)H)?"
    r"(?:(?P<minutes>\d+(?:[.,]\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?"
    r")?",
    re.ASCII,  # \d must not match other scripts' digits ("PT١S")
)
_UNIT_SECONDS = {"weeks": 604800, "days": 86400, "hours": 3600, "minutes": 60, "seconds": 1}


def parse_iso_duration(text: str) -> float:
    """Seconds in an ISO-8601 duration such as ``PT3.500S``, ``PT1M2.5S``, ``P0D``; ``ValueError`` otherwise.

    Only the last given component may have a fraction (ISO 8601-1 §5.5.2.4).
    """
    if not isinstance(text, str):
        raise ValueError(f"ISO-8601 duration must be a string, got {type(text).__name__}")
    match = _DURATION.fullmatch(text)
    if match is None:
        raise ValueError(f"not an ISO-8601 duration: {text!r}")
    parts = {name: value for name, value in match.groupdict().items() if value is not None}
    if not parts:
        raise ValueError(f"ISO-8601 duration has no component: {text!r}")
    names = list(parts)
    for name in names[:-1]:
        if not parts[name].isdigit():
            raise ValueError(f"only the smallest component may have a fraction: {text!r}")
    return sum(float(value.replace(",", ".")) * _UNIT_SECONDS[name] for name, value in parts.items())


def format_iso_duration(seconds: float, *, decimals: int = 3) -> str:
    """``PT<seconds>S`` with ``decimals`` places, as the reference server writes it (``PT3.500S``)."""
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"duration must be a finite, non-negative number of seconds, got {seconds!r}")
    return f"PT{seconds:.{decimals}f}S"
