"""Checks on `GET .../audios`: pages, headers, bounds, order, search and date filters — judged by meaning.

A list that ignores `search`, counts one item too many or repeats an item on the next page still has the right
shape; these checks compare what came back with what the scenario knows it created. Every set-valued check takes
the handles the scenario expects, so that audios of other runs in the same space never decide anything.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import httpx

from conformance.checks import check, fail
from conformance.checks.audio import parse_timestamp
from conformance.checks.http import body_excerpt, json_body
from conformance.profile import Profile

PAGE_HEADERS = ("Page-Total", "Page-Size", "Page-Current", "Item-Total")
SORT_FIELDS = ("handle", "createdAt", "uploadedAt")
MAX_PAGE_SIZE = 50  # documented: page-size >= 1 and <= 50


def sort_value(profile: Profile, field: str, *, descending: bool) -> str:
    """The `sort` query value for ``field`` in one direction, in the target's syntax (profile)."""
    template = profile.list_sort_descending if descending else profile.list_sort_ascending
    return template.replace("{field}", field)


def page_items(response: httpx.Response, what: str) -> list[dict[str, Any]]:
    """The items of a list answer: 200 with a bare JSON array of objects, else a failure of the calling check."""
    body = json_body(response)
    if response.status_code != 200 or not isinstance(body, list) or not all(isinstance(i, dict) for i in body):
        fail(f"{what}: the list did not answer 200 with a JSON array of audios",
             received=f"{response.status_code} {body_excerpt(response)}", expected="200 [ {audio}, ... ]")
    return body


def handles_of(items: Iterable[dict[str, Any]]) -> list[str]:
    """The handles of listed audios, in order (a missing handle shows as an empty string)."""
    return [str(item.get("handle", "")) for item in items]


def _header_int(response: httpx.Response, name: str) -> int | None:
    value = response.headers.get(name)
    return int(value) if value is not None and value.strip().isdigit() else None


@check("LIST-HEADERS")
def headers_match_items(response: httpx.Response, items: Sequence[dict[str, Any]], *, page: int, page_size: int,
                        item_total: int | None = None) -> None:
    """The four paging headers are integers that describe this answer: the size and page asked for, the number of
    items (``item_total`` when the scenario knows it, else the header's own), ceil(total / size) pages, and exactly
    as many items as that total leaves for this page."""
    values = {name: _header_int(response, name) for name in PAGE_HEADERS}
    missing = [name for name, value in values.items() if value is None]
    if missing:
        fail("paging headers are missing or not integers",
             received={name: response.headers.get(name) for name in PAGE_HEADERS}, expected=f"integers {missing}")
    total = values["Item-Total"] if item_total is None else item_total
    assert total is not None
    expected = {"Page-Size": page_size, "Page-Current": page, "Item-Total": total,
                "Page-Total": math.ceil(total / page_size)}
    for name, want in expected.items():
        if values[name] != want:
            fail(f"`{name}` does not describe the answer", received=f"{name}: {values[name]}",
                 expected=f"{name}: {want} ({total} matching audios, page {page} of size {page_size})")
    on_page = max(0, min(page_size, total - (page - 1) * page_size))
    if len(items) != on_page:
        fail("the number of items contradicts `Item-Total`", received=f"{len(items)} items",
             expected=f"{on_page} items (page {page} of size {page_size}, Item-Total {total})")


@check("LIST-PAGINATION")
def pages_cover_exactly(pages: Sequence[Sequence[dict[str, Any]]], expected: Iterable[str]) -> None:
    """Consecutive pages hold every expected audio exactly once: no item on two pages, none skipped, none extra."""
    seen: dict[str, int] = {}
    for number, items in enumerate(pages, start=1):
        for handle in handles_of(items):
            if handle in seen:
                fail("an audio appears twice across pages",
                     received=f"{handle!r} on page {seen[handle]} and page {number}", expected="each audio once")
            seen[handle] = number
    wanted = set(expected)
    if skipped := sorted(wanted - seen.keys()):
        fail("following the pages skips audios", received=f"missing {skipped}",
             expected=f"all {len(wanted)} audios across {len(pages)} page(s)")
    if extra := sorted(seen.keys() - wanted):
        fail("the pages hold audios that do not match the query", received=f"extra {extra}",
             expected=f"only the {len(wanted)} matching audios")


@check("LIST-PAST-END")
def past_end_answer(response: httpx.Response, profile: Profile) -> None:
    """A page after the last one: an empty array (profile 200), or the profile's status."""
    status = profile.list_past_end_status
    if status != 200:
        if response.status_code != status:
            fail("a page past the end did not answer the profile's status",
                 received=f"{response.status_code} {body_excerpt(response)}", expected=str(status))
        return
    if response.status_code != 200 or json_body(response) != []:
        fail("a page past the end is not an empty array",
             received=f"{response.status_code} {body_excerpt(response)}", expected="200 []")


@check("LIST-PAGE-BOUNDS")
def page_bound_accepted(response: httpx.Response, param: str, value: int) -> None:
    """A documented boundary value (page 1, page-size 1 or 50) is accepted and echoed in the headers."""
    items = page_items(response, f"{param}={value}")
    header = "Page-Size" if param == "page-size" else "Page-Current"
    if _header_int(response, header) != value:
        fail(f"{param}={value} was not applied", received=f"{header}: "
             f"{response.headers.get(header)}", expected=f"{header}: {value}")
    if param == "page-size" and len(items) > value:
        fail(f"{param}={value} returned more items", received=f"{len(items)} items",
             expected=f"at most {value}")


@check("LIST-PAGE-BOUNDS")
def page_bound_refused(response: httpx.Response, profile: Profile, param: str, value: int) -> None:
    """A value outside the documented range (page 0, page-size 0 or 51) is refused with the profile's status."""
    allowed = sorted(profile.invalid_request_statuses)
    if response.status_code not in allowed:
        fail(f"{param}={value} is out of range but was not refused",
             received=f"{response.status_code} {body_excerpt(response)}", expected=" or ".join(map(str, allowed)))


def _sort_key(item: dict[str, Any], field: str) -> str | datetime | None:
    value = item.get(field)
    return parse_timestamp(value) if field != "handle" else (value if isinstance(value, str) else None)


@check("LIST-SORT")
def items_are_ordered(items: Sequence[dict[str, Any]], field: str, *, descending: bool,
                      expected: Iterable[str]) -> None:
    """The (scoped) items are exactly the expected audios, ordered by ``field`` in the asked direction; handles
    compare by code point, timestamps as instants. Ties may come in any order."""
    if sorted(handles_of(items)) != sorted(expected):
        fail(f"sorting by {field} changed which audios are listed", received=handles_of(items),
             expected=sorted(expected))
    keys = [_sort_key(item, field) for item in items]
    if any(key is None for key in keys):
        fail(f"an item has no comparable `{field}`", received=[item.get(field) for item in items],
             expected=f"every `{field}` set")
    for position, (a, b) in enumerate(zip(keys, keys[1:], strict=False)):
        if (a < b) if descending else (a > b):  # type: ignore[operator]
            fail(f"items are not in {'descending' if descending else 'ascending'} {field} order",
                 received=f"item {position}: {items[position].get(field)!r} before item {position + 1}: "
                 f"{items[position + 1].get(field)!r}", expected=f"{'descending' if descending else 'ascending'}")


def matches(item: dict[str, Any], term: str) -> bool:
    """Whether ``term`` occurs in the item's handle or alias (case-insensitive)."""
    needle = term.casefold()
    return any(isinstance(item.get(k), str) and needle in item[k].casefold() for k in ("handle", "alias"))


@check("LIST-SEARCH")
def search_matches(items: Sequence[dict[str, Any]], term: str, expected: Iterable[str]) -> None:
    """Every item found contains ``term`` in its handle or alias, and every expected audio was found."""
    for item in items:
        if not matches(item, term):
            fail(f"search {term!r} returned an audio that does not match",
                 received=f"handle {item.get('handle')!r}, alias {item.get('alias')!r}",
                 expected=f"{term!r} in the handle or the alias")
    if missing := sorted(set(expected) - set(handles_of(items))):
        fail(f"search {term!r} missed matching audios", received=f"missing {missing}",
             expected=f"all of {sorted(set(expected))}")


@check("LIST-DATE-FILTER")
def date_filter_selects(items: Sequence[dict[str, Any]], expected: Iterable[str], query: str) -> None:
    """The (scoped) items are exactly the audios created inside the inclusive bounds."""
    got, wanted = set(handles_of(items)), set(expected)
    if got != wanted:
        fail(f"{query} did not select the audios created within the bounds (inclusive)",
             received=f"missing {sorted(wanted - got)}, extra {sorted(got - wanted)}",
             expected=f"exactly {sorted(wanted)}")


@check("LIST-HEADERS")
def total_counts_known(response: httpx.Response, known: int) -> None:
    """`Item-Total` counts at least the ``known`` audios the space is known to hold."""
    if int(response.headers["Item-Total"]) < known:
        fail("`Item-Total` counts fewer audios than the space holds",
             received=f"Item-Total: {response.headers['Item-Total']}", expected=f">= {known}")


# --- a list answer read by the requirement that needs it --------------------------------------------------------
# A list that is not a bare JSON array of audios fails the requirement whose scenario read it: each of these is
# ``page_items`` bound to one requirement (a scenario picks the reader of the requirement it checks).
@check("LIST-SEARCH")
def search_page(response: httpx.Response, what: str) -> list[dict[str, Any]]:
    """The items of a searched list."""
    return page_items(response, what)


@check("LIST-SORT")
def sorted_page(response: httpx.Response, what: str) -> list[dict[str, Any]]:
    """The items of a sorted list."""
    return page_items(response, what)


@check("LIST-DATE-FILTER")
def date_filtered_page(response: httpx.Response, what: str) -> list[dict[str, Any]]:
    """The items of a list filtered by date."""
    return page_items(response, what)


@check("LIST-PAGINATION")
def paginated_page(response: httpx.Response, what: str) -> list[dict[str, Any]]:
    """The items of one page of a paginated list."""
    return page_items(response, what)


@check("LIST-HEADERS")
def counted_page(response: httpx.Response, what: str) -> list[dict[str, Any]]:
    """The items of a list whose headers are checked against them."""
    return page_items(response, what)
