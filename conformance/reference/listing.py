"""The list of a space's audios: its query parameters, its headers and the page past the end.

Split from :mod:`service` because the list is where profiles differ most: the ``sort`` syntax (``-handle``,
``handle:desc``, ``+handle``, or no descending sort at all), the default direction, and whether a page past the
last one is ``200 []`` or an error. The list faults (``sort-ignored``, ``pages-overlap``, ...) apply here too.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from . import clock
from .behaviour import SORT_FIELDS, Behaviour
from .errors import ApiError, BadRequest
from .models import AudioQuery

MAX_PAGE_SIZE = 50
DEFAULT_PAGE_SIZE = 20
PAST_END = "The page is past the last page of the list."


def _positive_int(params: Mapping[str, str], name: str, default: int, maximum: int | None) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw) if raw.isascii() and raw.isdigit() else 0
    except ValueError:  # more digits than int() accepts
        value = 0
    if value < 1 or (maximum is not None and value > maximum):
        limit = f" and at most {maximum}" if maximum is not None else ""
        raise BadRequest(f"{name} must be an integer of at least 1{limit}.")
    return value


def sort_values_text(behaviour: Behaviour) -> str:
    """The accepted ``sort`` values, for the refusal's detail."""
    values = [behaviour.list_sort_ascending.replace("{field}", name) for name in SORT_FIELDS]
    if behaviour.list_sort_descending:
        values += [behaviour.list_sort_descending.replace("{field}", name) for name in SORT_FIELDS]
    return ", ".join(values)


def parse_sort(behaviour: Behaviour, raw: str | None) -> tuple[str, bool]:
    """(field, descending); without ``sort`` the list is by createdAt in the profile's default direction."""
    if raw is None:
        return "createdAt", behaviour.list_sort_default_direction == "desc"
    parsed = behaviour.sort_of(raw)
    if parsed is None:
        raise BadRequest(f"sort must be one of {sort_values_text(behaviour)}.")
    return parsed


def parse_query(params: Mapping[str, str], behaviour: Behaviour, fault: Callable[[str], bool]) -> AudioQuery:
    """A validated list request; a bad parameter is an invalid request (the profile's status)."""
    page = _positive_int(params, "page", 1, None)
    limit = None if fault("page-size-limit-ignored") else MAX_PAGE_SIZE
    page_size = _positive_int(params, "page-size", DEFAULT_PAGE_SIZE, limit)
    field, descending = parse_sort(behaviour, params.get("sort"))
    if fault("sort-ignored"):
        field, descending = "createdAt", False
    bounds: dict[str, str | None] = {}
    for name in ("after", "before"):
        raw = params.get(name)
        bounds[name] = None if raw is None else clock.parse_bound(raw, upper=name == "before")
        if raw is not None and bounds[name] is None:
            raise BadRequest(f"{name} must be an RFC 3339 date or date-time.")
    if fault("date-filter-exclusive"):
        bounds = {name: clock.shift(bound, 1 if name == "after" else -1) for name, bound in bounds.items()}
    return AudioQuery(
        page=page,
        page_size=page_size,
        sort_field=field,
        descending=descending,
        search=None if fault("list-ignores-search") else params.get("search") or None,
        after=bounds["after"],
        before=bounds["before"],
        offset_shift=1 if fault("pages-overlap") and page > 1 else 0,
        now=clock.now_text(),
    )


def page_headers(query: AudioQuery, total: int, *, reported_total: int) -> dict[str, str]:
    """``Page-Total`` (0 for an empty list), ``Page-Size``, ``Page-Current`` and ``Item-Total``."""
    return {
        "Page-Total": str(math.ceil(total / query.page_size)),
        "Page-Size": str(query.page_size),
        "Page-Current": str(query.page),
        "Item-Total": str(reported_total),
    }


def check_past_end(behaviour: Behaviour, query: AudioQuery, total: int) -> None:
    """A page after max(1, Page-Total) answers the profile's status, unless that is 200 (an empty page)."""
    status = behaviour.list_past_end_status
    if status != 200 and query.page > max(1, math.ceil(total / query.page_size)):
        raise ApiError(PAST_END, status=status)
