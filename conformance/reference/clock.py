"""Timestamps in the one text format the API uses (RFC 3339, UTC, microseconds, ``Z``).

The same text is stored in SQLite, so lexical order is chronological order and list filters compare strings.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})")


def now() -> datetime:
    return datetime.now(UTC)


def to_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_FORMAT)


def now_text() -> str:
    return to_text(now())


def without_timezone(text: str) -> str:
    """``2026-11-27 04:24:44`` from a stored timestamp (the ``bad-timestamp`` fault)."""
    return text[:19].replace("T", " ")


def shift(text: str | None, microseconds: int) -> str | None:
    """A stored timestamp moved by ``microseconds`` (the ``date-filter-exclusive`` fault); None stays None."""
    if text is None:
        return None
    return to_text(datetime.strptime(text, _FORMAT).replace(tzinfo=UTC) + timedelta(microseconds=microseconds))


def parse_bound(text: str, *, upper: bool) -> str | None:
    """An inclusive list bound as stored text, or None when unparsable.

    A bare date covers the whole day: as a lower bound it means its first microsecond, as an upper bound
    its last one. Date-times must carry an offset (RFC 3339); extra fraction digits are truncated.
    """
    try:
        if _DATE.fullmatch(text):
            day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
            moment = day + timedelta(days=1, microseconds=-1) if upper else day
            return to_text(moment)
        match = _DATE_TIME.fullmatch(text)
        if not match:
            return None
        date, clock, fraction, offset = match.groups()
        micros = (fraction or "0")[:6].ljust(6, "0")
        zone = "+00:00" if offset in ("Z", "z") else offset
        return to_text(datetime.fromisoformat(f"{date}T{clock}.{micros}{zone}"))
    except (ValueError, OverflowError):
        return None
