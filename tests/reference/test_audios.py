"""List (paging, sort, search, date bounds, headers), update, delete and the raw-upload workflow."""

from __future__ import annotations

import uuid

import pytest

SPACE = "spaces/alice/main/audios"


@pytest.fixture(scope="module")
def listed(alice):
    """Five audios (no file: cheap) whose aliases share a unique tag, so searches see only them."""
    tag = uuid.uuid4().hex[:10]
    audios = [alice.post(SPACE, json={"alias": f"List-{tag}-{i}"}).json() for i in range(5)]
    return tag, audios


def _page(alice, **params):
    response = alice.get(SPACE, params=params)
    assert response.status_code == 200, response.text
    return response


def test_paging_headers_and_order(alice, listed):
    tag, audios = listed
    first = _page(alice, search=tag, **{"page-size": 2})
    assert [a["handle"] for a in first.json()] == [a["handle"] for a in audios[:2]]
    headers = {k: first.headers[k] for k in ("Page-Total", "Page-Size", "Page-Current", "Item-Total")}
    assert headers == {"Page-Total": "3", "Page-Size": "2", "Page-Current": "1", "Item-Total": "5"}
    last = _page(alice, search=tag, page=3, **{"page-size": 2})
    assert [a["handle"] for a in last.json()] == [audios[4]["handle"]] and last.headers["Page-Current"] == "3"
    past = _page(alice, search=tag, page=4, **{"page-size": 2})
    assert past.json() == [] and past.headers["Page-Total"] == "3" and past.headers["Item-Total"] == "5"
    huge = _page(alice, search=tag, page=10**30)
    assert huge.json() == []


def test_default_page_size_and_empty_result(alice):
    response = _page(alice, search="no-such-audio-" + uuid.uuid4().hex)
    assert response.json() == []
    assert response.headers["Page-Total"] == "0" and response.headers["Page-Size"] == "20"
    assert response.headers["Item-Total"] == "0" and response.headers["Page-Current"] == "1"


def test_sorting(alice, listed):
    tag, audios = listed
    by_handle = sorted(a["handle"] for a in audios)
    assert [a["handle"] for a in _page(alice, search=tag, sort="handle").json()] == by_handle
    assert [a["handle"] for a in _page(alice, search=tag, sort="-handle").json()] == by_handle[::-1]
    newest_first = [a["handle"] for a in _page(alice, search=tag, sort="-createdAt").json()]
    assert newest_first == [a["handle"] for a in audios][::-1]
    assert len(_page(alice, search=tag, sort="uploadedAt").json()) == 5


def test_search_is_case_insensitive_on_alias_and_handle(alice, listed):
    tag, audios = listed
    assert len(_page(alice, search=f"list-{tag}".upper()).json()) == 5
    assert [a["handle"] for a in _page(alice, search=audios[2]["handle"][:13].upper()).json()] == [audios[2]["handle"]]
    assert _page(alice, search=f"{tag}-3").json()[0]["alias"] == f"List-{tag}-3"


def test_date_bounds_are_inclusive(alice, listed):
    tag, audios = listed
    middle = audios[2]["createdAt"]
    assert [a["handle"] for a in _page(alice, search=tag, after=middle).json()] == [a["handle"] for a in audios[2:]]
    assert [a["handle"] for a in _page(alice, search=tag, before=middle).json()] == [a["handle"] for a in audios[:3]]
    day = middle[:10]
    assert len(_page(alice, search=tag, after=day, before=day).json()) == 5
    offset = middle[:-1] + "+00:00"
    assert len(_page(alice, search=tag, after=offset).json()) == 3
    assert _page(alice, search=tag, after="2999-01-01").json() == []


@pytest.mark.parametrize(
    "params",
    [
        {"page": "0"},
        {"page": "-1"},
        {"page": "abc"},
        {"page": "1.5"},
        {"page": "9" * 5000},
        {"page-size": "0"},
        {"page-size": "51"},
        {"page-size": "x"},
        {"sort": "alias"},
        {"sort": "--handle"},
        {"sort": ""},
        {"after": "yesterday"},
        {"before": "2026-13-01"},
        {"after": "2026-01-01T00:00:00"},
    ],
    ids=lambda p: "-".join(f"{k}={v[:8]}" for k, v in p.items()),
)
def test_bad_list_parameters_are_400(alice, helpers, params):
    helpers.assert_problem(alice.get(SPACE, params=params), 400)


def test_patch_alias(alice, helpers):
    audio = alice.post(SPACE, json={"alias": "before"}).json()
    path = f"{SPACE}/{audio['handle']}"
    assert alice.patch(path, json={"alias": "after", "handle": "ignored", "state": "x"}).json()["alias"] == "after"
    unchanged = alice.patch(path, json={})
    assert unchanged.status_code == 200 and unchanged.json()["alias"] == "after"
    assert unchanged.json()["handle"] == audio["handle"]
    assert alice.patch(path, json={"alias": None}).json()["alias"] is None
    for bad in ({"alias": ""}, {"alias": "y" * 101}, {"alias": 3}, ["alias"]):
        helpers.assert_problem(alice.patch(path, json=bad), 400)
    helpers.assert_problem(alice.patch(path, content=b"{oops"), 400)
    assert alice.get(path).json()["alias"] is None


def test_delete(alice, helpers, media):
    audio = alice.post(SPACE, json={"file": media.b64(media.wav(8000, 0.2)), "alias": "to delete"}).json()
    path = f"{SPACE}/{audio['handle']}"
    assert alice.delete(path).status_code == 204
    helpers.assert_problem(alice.get(path), 404)
    helpers.assert_problem(alice.get(path + "/file"), 404)
    helpers.assert_problem(alice.delete(path), 404)
    assert audio["handle"] not in [a["handle"] for a in _page(alice, search=audio["handle"]).json()]


def test_raw_upload_workflow(alice, helpers, media):
    created = alice.post(SPACE, json={"file": None, "alias": "raw"})
    assert created.status_code == 201
    audio = created.json()
    assert (audio["state"], audio["duration"], audio["sampleRate"], audio["uploadedAt"]) == (
        "avaitingFile",
        "PT0S",
        0,
        None,
    )
    path = f"{SPACE}/{audio['handle']}/file"
    helpers.assert_problem(alice.get(path), 404)
    wav = media.wav(22050, 0.75)
    helpers.assert_problem(alice.post(path, content=wav, headers={"Content-Type": "audio/wav"}), 415)
    helpers.assert_problem(alice.post(path, content=b"", headers={"Content-Type": "application/octet-stream"}), 400)
    junk = b"not audio at all" * 10
    helpers.assert_problem(alice.post(path, content=junk, headers={"Content-Type": "application/octet-stream"}), 415)
    uploaded = alice.post(path, content=wav, headers={"Content-Type": "application/octet-stream"})
    assert uploaded.status_code == 200, uploaded.text
    body = uploaded.json()
    assert (body["state"], body["duration"], body["sampleRate"]) == ("available", "PT0.750S", 22050)
    assert body["uploadedAt"] >= body["createdAt"]
    served = helpers.parse_wav(alice.get(path).content)
    assert (served.rate, served.frames) == (22050, round(22050 * 0.75))
    again = alice.post(path, content=wav, headers={"Content-Type": "application/octet-stream"})
    helpers.assert_problem(again, 409)
    helpers.assert_problem(
        alice.post(f"{SPACE}/missing-audio/file", content=wav, headers={"Content-Type": "application/octet-stream"}),
        404,
    )
