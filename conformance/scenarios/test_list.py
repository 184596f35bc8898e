"""Listing audios: pages, paging headers, bounds, order, search and date filters — checked against known audios.

The scenario creates five audios whose aliases share a run-unique term, plus a decoy that does not carry it, in
the primary space (which may hold any number of other audios, from other runs or scenarios). Every check scopes
the list with `search` for that term, so it knows exactly which audios must come back; the decoy proves that
`search` really filters. That scoping is itself a precondition checked under LIST-SEARCH.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from conformance.checks.audio import created_at_is_rfc3339
from conformance.checks.http import json_body
from conformance.checks.listing import (
    MAX_PAGE_SIZE,
    SORT_FIELDS,
    counted_page,
    date_filter_selects,
    date_filtered_page,
    headers_match_items,
    items_are_ordered,
    page_bound_accepted,
    page_bound_refused,
    pages_cover_exactly,
    paginated_page,
    past_end_answer,
    search_matches,
    search_page,
    sort_value,
    sorted_page,
    total_counts_known,
)
from conformance.client import ApiClient
from conformance.config import Space
from conformance.outcomes import unsupported
from conformance.profile import Profile
from conformance.pytest_fixtures import ClientFactory
from conformance.resources import Resources
from conformance.scenarios._lifecycle import create

FAMILY_SIZE = 5
PAGE_SIZE = 2  # five audios → pages of 2, 2 and 1, then one past the end
LAST_PAGE = math.ceil(FAMILY_SIZE / PAGE_SIZE)


@dataclass(frozen=True, slots=True)
class Family:
    """The scenario's audios (in creation order) and the term only they carry."""

    term: str
    audios: tuple[dict[str, Any], ...]
    decoy: dict[str, Any]

    @property
    def handles(self) -> list[str]:
        """Handles of the audios `search` must find."""
        return [audio["handle"] for audio in self.audios]


@pytest.fixture(scope="module")
def family(client_for: ClientFactory, space_for: Callable[[str], Space], profile: Profile, resources: Resources,
           run_id: str) -> Family:
    """Five audios created one after the other (distinct creation times), and a decoy without the term."""
    client, space = client_for("primary"), space_for("primary")
    term = f"{run_id}-listed"
    audios = tuple(create(client, space, f"{term}-{i}", profile=profile, resources=resources)
                   for i in range(FAMILY_SIZE))
    decoy = create(client, space, f"{run_id}-decoy", profile=profile, resources=resources)
    return Family(term, audios, decoy)


PageReader = Callable[[httpx.Response, str], list[dict[str, Any]]]


def scoped(client: ApiClient, space: Space, family: Family, read: PageReader, **params: Any) -> list[dict[str, Any]]:
    """The family's list with ``params``, read by the check of the requirement under test (``read``: a page of
    ``conformance.checks.listing``); precondition (LIST-SEARCH): everything listed carries the term."""
    items = read(client.list_audios(space, search=family.term, **params), f"list {params}")
    search_matches(items, family.term, [])
    return items


@pytest.fixture(scope="module")
def pages(family: Family, client_for: ClientFactory, space_for: Callable[[str], Space]) -> dict[int, httpx.Response]:
    """Pages 1 to one past the last, of size 2, of the family's list (fetched once, judged by several checks)."""
    client, space = client_for("primary"), space_for("primary")
    return {page: client.list_audios(space, search=family.term, page=page, page_size=PAGE_SIZE)
            for page in range(1, LAST_PAGE + 2)}


@pytest.mark.requirement("LIST-SEARCH")
def test_search_by_alias_term(family: Family, client_for: ClientFactory, space_for: Callable[[str], Space]) -> None:
    """`search` with the family's term finds all five and nothing else (not the decoy, not other audios)."""
    response = client_for("primary").list_audios(space_for("primary"), search=family.term, page_size=MAX_PAGE_SIZE)
    search_matches(search_page(response, "search"), family.term, family.handles)


@pytest.mark.requirement("LIST-SEARCH")
def test_search_by_handle(family: Family, client_for: ClientFactory, space_for: Callable[[str], Space]) -> None:
    """`search` with one audio's handle finds that audio, and only audios whose handle or alias contain it."""
    handle = family.audios[2]["handle"]
    response = client_for("primary").list_audios(space_for("primary"), search=handle, page_size=MAX_PAGE_SIZE)
    search_matches(search_page(response, "search"), handle, [handle])


@pytest.mark.requirement("LIST-PAGINATION")
def test_pages_hold_every_audio_once(family: Family, pages: dict[int, httpx.Response]) -> None:
    """Following pages 1..n yields each of the five audios exactly once: no overlap, no gap."""
    contents = []
    for page in range(1, LAST_PAGE + 1):
        items = paginated_page(pages[page], f"page {page}")
        search_matches(items, family.term, [])
        contents.append(items)
    pages_cover_exactly(contents, family.handles)


@pytest.mark.requirement("LIST-HEADERS")
@pytest.mark.parametrize("page", range(1, LAST_PAGE + 1))
def test_page_headers_describe_the_page(page: int, family: Family, pages: dict[int, httpx.Response]) -> None:
    """`Page-Total`, `Page-Size`, `Page-Current` and `Item-Total` agree with the five audios and this page."""
    items = counted_page(pages[page], f"page {page}")
    search_matches(items, family.term, [])
    headers_match_items(pages[page], items, page=page, page_size=PAGE_SIZE, item_total=FAMILY_SIZE)


@pytest.mark.requirement("LIST-HEADERS")
def test_unscoped_headers_are_consistent(family: Family, client_for: ClientFactory,
                                         space_for: Callable[[str], Space]) -> None:
    """Without `search` (a space shared with others), the headers agree with the items of the same answer, and
    `Item-Total` counts at least the audios this scenario knows are there."""
    response = client_for("primary").list_audios(space_for("primary"), page_size=MAX_PAGE_SIZE)
    items = counted_page(response, "unscoped list")
    headers_match_items(response, items, page=1, page_size=MAX_PAGE_SIZE)
    total_counts_known(response, FAMILY_SIZE + 1)


@pytest.mark.requirement("LIST-PAST-END")
def test_page_past_the_end(family: Family, pages: dict[int, httpx.Response], profile: Profile) -> None:
    """The page after the last one answers as the profile says (the reference: 200 with an empty array)."""
    response = pages[LAST_PAGE + 1]
    listed = json_body(response)
    if response.status_code == 200 and isinstance(listed, list):
        search_matches([item for item in listed if isinstance(item, dict)], family.term, [])  # precondition
    past_end_answer(response, profile)


BOUNDS = [("page", 1, True), ("page", 0, False), ("page-size", 1, True), ("page-size", MAX_PAGE_SIZE, True),
          ("page-size", 0, False), ("page-size", MAX_PAGE_SIZE + 1, False)]


@pytest.mark.requirement("LIST-PAGE-BOUNDS")
@pytest.mark.parametrize(("param", "value", "accepted"), BOUNDS,
                         ids=[f"{p}-{v}-{'accepted' if a else 'refused'}" for p, v, a in BOUNDS])
def test_page_bounds(param: str, value: int, accepted: bool, family: Family, client_for: ClientFactory,
                     space_for: Callable[[str], Space], profile: Profile) -> None:
    """The documented limits (page >= 1, page-size 1–50) are accepted at their edges and refused past them."""
    response = client_for("primary").list_audios(space_for("primary"), search=family.term, **{param: value})
    if accepted:
        page_bound_accepted(response, param, value)
    else:
        page_bound_refused(response, profile, param, value)


SORTS = [(field, descending) for field in SORT_FIELDS for descending in (False, True)]


@pytest.mark.requirement("LIST-SORT")
@pytest.mark.parametrize(("field", "descending"), SORTS,
                         ids=[f"{f}-{'desc' if d else 'asc'}" for f, d in SORTS])
def test_sort_orders_items(field: str, descending: bool, family: Family, client_for: ClientFactory,
                           space_for: Callable[[str], Space], profile: Profile) -> None:
    """`sort` in the profile's syntax orders the five audios by the field, in the direction asked for. The docs
    document no direction, so a target that sorts ascending only (``list_sort_descending = ""``) has nothing to
    check in the other one."""
    if descending and not profile.has_descending_sort:
        unsupported("the profile declares no descending sort (list_sort_descending = \"\")")
    items = scoped(client_for("primary"), space_for("primary"), family, sorted_page, page_size=MAX_PAGE_SIZE,
                   sort=sort_value(profile, field, descending=descending))
    items_are_ordered(items, field, descending=descending, expected=family.handles)


@pytest.mark.requirement("LIST-SORT")
def test_default_order_is_by_creation(family: Family, client_for: ClientFactory, space_for: Callable[[str], Space],
                                      profile: Profile) -> None:
    """Without `sort`, the list is ordered by createdAt (docs), in the profile's default direction."""
    items = scoped(client_for("primary"), space_for("primary"), family, sorted_page, page_size=MAX_PAGE_SIZE)
    items_are_ordered(items, "createdAt", descending=profile.list_sort_default_direction == "desc",
                      expected=family.handles)


# (name, index of the `after` audio or None, index of the `before` audio or None)
DATE_FILTERS = [("after-second", 1, None), ("before-fourth", None, 3), ("between", 1, 3), ("after-last", 4, None),
                ("on-one-instant", 2, 2)]


@pytest.mark.requirement("LIST-DATE-FILTER")
@pytest.mark.parametrize(("name", "after", "before"), DATE_FILTERS, ids=[d[0] for d in DATE_FILTERS])
def test_date_filter_is_inclusive(name: str, after: int | None, before: int | None, family: Family,
                                  client_for: ClientFactory, space_for: Callable[[str], Space]) -> None:
    """`after`/`before` set to the exact `createdAt` of the family's audios keep those audios (inclusive bounds)
    and drop the ones created outside them."""
    created = created_at_is_rfc3339(family.audios)
    low = created[after] if after is not None else None
    high = created[before] if before is not None else None
    expected = [audio["handle"] for audio, moment in zip(family.audios, created, strict=True)
                if (low is None or moment >= low) and (high is None or moment <= high)]  # type: ignore[operator]
    params = {"after": family.audios[after]["createdAt"] if after is not None else None,
              "before": family.audios[before]["createdAt"] if before is not None else None}
    items = scoped(client_for("primary"), space_for("primary"), family, date_filtered_page,
                   page_size=MAX_PAGE_SIZE, **params)
    query = " & ".join(f"{k}={v}" for k, v in params.items() if v is not None)
    date_filter_selects(items, expected, query)
