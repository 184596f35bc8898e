"""List checks (checks/listing.py): each with a passing input and the failing inputs it exists to catch."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from conformance.checks import ConformanceFailure
from conformance.checks.lifecycle import list_after_delete, list_after_patch
from conformance.checks.listing import (
    counted_page,
    date_filter_selects,
    date_filtered_page,
    headers_match_items,
    items_are_ordered,
    matches,
    page_bound_accepted,
    page_bound_refused,
    pages_cover_exactly,
    paginated_page,
    past_end_answer,
    search_matches,
    search_page,
    sort_value,
    sorted_page,
)
from conformance.profile import ProfileError, build_profile

PROFILE = build_profile()


def item(handle: str, alias: str | None = None, created: str = "2024-05-01T10:00:00Z",
         uploaded: str | None = "2024-05-01T10:00:01Z") -> dict[str, Any]:
    return {"handle": handle, "alias": alias, "createdAt": created, "uploadedAt": uploaded}


def listing(body: Any, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers={"Content-Type": "application/json", **headers},
                          content=json.dumps(body).encode(), request=httpx.Request("GET", "http://t/v1/x"))


def paged(items: list[dict[str, Any]], *, total: int, size: int, page: int, pages: int | None = None) -> httpx.Response:
    return listing(items, **{"Page-Total": str(pages if pages is not None else -(-total // size)),
                             "Page-Size": str(size), "Page-Current": str(page), "Item-Total": str(total)})


def failure(function: Any, *args: Any, **kwargs: Any) -> ConformanceFailure:
    with pytest.raises(ConformanceFailure) as excinfo:
        function(*args, **kwargs)
    return excinfo.value


FIVE = [item(f"a{i}") for i in range(5)]


def test_sort_value_follows_the_profile() -> None:
    assert sort_value(PROFILE, "handle", descending=True) == "-handle"
    assert sort_value(PROFILE, "createdAt", descending=False) == "createdAt"
    other = build_profile({"list_sort_ascending": "{field}:asc", "list_sort_descending": "{field}:desc"})
    assert sort_value(other, "uploadedAt", descending=True) == "uploadedAt:desc"


@pytest.mark.parametrize(("read", "requirement"), [
    (search_page, "LIST-SEARCH"), (sorted_page, "LIST-SORT"), (date_filtered_page, "LIST-DATE-FILTER"),
    (paginated_page, "LIST-PAGINATION"), (counted_page, "LIST-HEADERS"), (list_after_delete, "DELETE-GONE"),
    (list_after_patch, "PATCH-STORED")])
def test_a_page_is_read_by_the_requirement_that_needs_it(read, requirement: str) -> None:  # noqa: ANN001
    """``page_items`` bound to each list-reading requirement: a bare array of audios passes, anything else fails
    that requirement (the scenario's own), never another one."""
    assert read(listing(FIVE), "x") == FIVE
    for bad in (listing(FIVE, 500), listing({"items": FIVE}), listing([1, 2])):
        assert failure(read, bad, "x").requirement == requirement


def test_headers_match_items_passes_for_each_page() -> None:
    headers_match_items(paged(FIVE[:2], total=5, size=2, page=1), FIVE[:2], page=1, page_size=2, item_total=5)
    headers_match_items(paged(FIVE[4:], total=5, size=2, page=3), FIVE[4:], page=3, page_size=2, item_total=5)
    headers_match_items(paged([], total=5, size=2, page=4), [], page=4, page_size=2, item_total=5)
    headers_match_items(paged([], total=0, size=20, page=1, pages=0), [], page=1, page_size=20)


@pytest.mark.parametrize(("response", "items", "fragment"), [
    (paged(FIVE[:2], total=6, size=2, page=1), FIVE[:2], "Item-Total"),
    (paged(FIVE[:2], total=5, size=2, page=1, pages=2), FIVE[:2], "Page-Total"),
    (paged(FIVE[:2], total=5, size=3, page=1), FIVE[:2], "Page-Size"),
    (paged(FIVE[:2], total=5, size=2, page=2), FIVE[:2], "Page-Current"),
    (paged(FIVE[:3], total=5, size=2, page=1), FIVE[:3], "number of items"),
    (listing(FIVE[:2]), FIVE[:2], "missing"),
    (listing(FIVE[:2], **{"Page-Total": "x", "Page-Size": "2", "Page-Current": "1", "Item-Total": "5"}), FIVE[:2],
     "missing"),
], ids=["item-total", "page-total", "page-size", "page-current", "too-many-items", "absent", "not-integer"])
def test_headers_match_items_fails(response: httpx.Response, items: list[dict[str, Any]], fragment: str) -> None:
    found = failure(headers_match_items, response, items, page=1, page_size=2, item_total=5)
    assert found.requirement == "LIST-HEADERS" and fragment in str(found)


def test_pages_cover_exactly() -> None:
    handles = [i["handle"] for i in FIVE]
    pages_cover_exactly([FIVE[:2], FIVE[2:4], FIVE[4:]], handles)
    overlap = failure(pages_cover_exactly, [FIVE[:2], FIVE[1:3], FIVE[3:]], handles)
    assert overlap.requirement == "LIST-PAGINATION" and "twice" in overlap.title
    assert "skips" in failure(pages_cover_exactly, [FIVE[:2], FIVE[3:]], handles).title
    assert "do not match" in failure(pages_cover_exactly, [FIVE, [item("zz")]], handles).title


def test_past_end_answer() -> None:
    past_end_answer(listing([]), PROFILE)
    assert failure(past_end_answer, listing(FIVE[:1]), PROFILE).requirement == "LIST-PAST-END"
    assert failure(past_end_answer, listing([], 404), PROFILE).requirement == "LIST-PAST-END"
    strict404 = build_profile({"list_past_end_status": 404})
    past_end_answer(listing({"title": "Not Found"}, 404), strict404)
    assert failure(past_end_answer, listing([]), strict404).requirement == "LIST-PAST-END"


def test_page_bounds() -> None:
    page_bound_accepted(paged(FIVE, total=5, size=50, page=1), "page-size", 50)
    page_bound_accepted(paged(FIVE[:1], total=5, size=1, page=1), "page-size", 1)
    page_bound_accepted(paged(FIVE[:1], total=5, size=1, page=1), "page", 1)
    assert failure(page_bound_accepted, paged(FIVE[:2], total=5, size=2, page=1), "page-size", 1).requirement == (
        "LIST-PAGE-BOUNDS")
    assert failure(page_bound_accepted, listing({"title": "Bad"}, 400), "page-size", 50).requirement == (
        "LIST-PAGE-BOUNDS")
    page_bound_refused(listing({"title": "Bad"}, 400), PROFILE, "page-size", 51)
    assert failure(page_bound_refused, listing(FIVE), PROFILE, "page-size", 51).requirement == "LIST-PAGE-BOUNDS"
    page_bound_refused(listing({"title": "Bad"}, 422), build_profile({"invalid_request_statuses": [400, 422]}),
                       "page", 0)


ORDERED = [item("a", created="2024-05-01T10:00:00Z", uploaded="2024-05-01T10:00:03Z"),
           item("b", created="2024-05-01T10:00:01.5+00:00", uploaded="2024-05-01T10:00:04Z"),
           item("c", created="2024-05-01T12:00:02+02:00", uploaded="2024-05-01T10:00:04Z")]  # 10:00:02 UTC


@pytest.mark.parametrize("field", ["handle", "createdAt", "uploadedAt"])
def test_items_are_ordered(field: str) -> None:
    expected = ["a", "b", "c"]
    items_are_ordered(ORDERED, field, descending=False, expected=expected)
    items_are_ordered(ORDERED[::-1], field, descending=True, expected=expected)
    wrong = failure(items_are_ordered, ORDERED[::-1], field, descending=False, expected=expected)
    assert wrong.requirement == "LIST-SORT" and "ascending" in wrong.title


def test_items_are_ordered_fails_on_other_items_or_missing_values() -> None:
    assert "changed which" in failure(items_are_ordered, ORDERED[:2], "handle", descending=False,
                                      expected=["a", "b", "c"]).title
    unsorted = [item("a", uploaded=None), item("b")]
    assert "comparable" in failure(items_are_ordered, unsorted, "uploadedAt", descending=False,
                                   expected=["a", "b"]).title


def test_search_matches() -> None:
    found = [item("x1", "run-7-listed-0"), item("listed-handle", None)]
    assert matches(found[0], "LISTED") and not matches(item("x", "other"), "listed")
    search_matches(found, "listed", ["x1"])
    extra = failure(search_matches, [*found, item("decoy", "run-7-decoy")], "listed", ["x1"])
    assert extra.requirement == "LIST-SEARCH" and "does not match" in extra.title
    assert "missed" in failure(search_matches, found, "listed", ["x1", "x9"]).title


def test_date_filter_selects() -> None:
    date_filter_selects(FIVE[1:], [i["handle"] for i in FIVE[1:]], "after=t1")
    dropped_bound = failure(date_filter_selects, FIVE[2:], [i["handle"] for i in FIVE[1:]], "after=t1")
    assert dropped_bound.requirement == "LIST-DATE-FILTER" and "a1" in dropped_bound.received
    assert failure(date_filter_selects, FIVE, ["a0"], "before=t0").requirement == "LIST-DATE-FILTER"


@pytest.mark.parametrize(("overrides", "fragment"), [
    ({"list_sort_ascending": "asc"}, "one {field}"),
    ({"list_sort_descending": "{field}"}, "must differ"),
    ({"list_sort_default_direction": "down"}, "'list_sort_default_direction'"),
    ({"client_handle": "rename"}, "'client_handle'"),
    ({"list_past_end_status": "empty"}, "'list_past_end_status'"),
    ({"conflict_statuses": []}, "'conflict_statuses'"),
    ({"session_ttl_s": 0}, "'session_ttl_s'"),
])
def test_lifecycle_profile_keys_are_validated(overrides: dict[str, object], fragment: str) -> None:
    """The profile keys these checks read are refused with the key's name when they cannot be used."""
    with pytest.raises(ProfileError, match=fragment.replace("{", r"\{").replace("}", r"\}")):
        build_profile(overrides)
