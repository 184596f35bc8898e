"""``serve --profile FILE``, continued: list syntax and past-end pages, every profile status, limits, 410.

A profile of this module's own (``MAPPED``) gives each kind of refusal a status of its own (440–449), so each
answer proves that the server maps statuses by reason, never by the reference's number (400 alone is three
upload reasons and the invalid-request status). The shipped variants check the list syntaxes, the past-end
status, 410 after a delete and the session lifetime.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx
import pytest

SPACE = "spaces/alice/main/audios"
OCTET = {"Content-Type": "application/octet-stream"}
MAPPED = """
invalid_request_statuses = [446]
conflict_statuses = [447]
deleted_statuses = [448]
file_before_upload_statuses = [449]
session_ttl_s = 120
max_file_bytes = 100000
max_duration_s = 1.0
min_sample_rate = 16000
max_channels = 1
max_stored_sample_rate = 22050

[reject_statuses]
malformed = 440
bad_base64 = 441
empty = 442
too_large = 443
undecodable = 444
invalid_audio = 445
"""
SERVERS = {"mapped": MAPPED, "colon-sort": None, "ascending-only": None, "gone-after-delete": None}


@pytest.fixture(scope="module", autouse=True)
def _servers(profile_server):
    profile_server.prestart(SERVERS)


def _seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def _status(response: httpx.Response, expected: int, what: str = "") -> None:
    assert response.status_code == expected, (what, response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == expected


# --- 4. sort syntax, and 5. the page past the end ----------------------------------------------------------
@pytest.fixture(scope="module")
def tagged(profile_server) -> dict[str, tuple[str, list[str]]]:
    """Per list variant: a unique tag and the handles of three file-less audios carrying it, oldest first."""
    made = {}
    for name in ("colon-sort", "ascending-only"):
        alice = profile_server(name).client()
        tag = uuid.uuid4().hex[:10]
        made[name] = tag, [alice.post(SPACE, json={"alias": f"sort-{tag}-{i}"}).json()["handle"] for i in range(3)]
    return made


def _handles(client: httpx.Client, tag: str, **params) -> list[str]:
    response = client.get(SPACE, params={"search": tag, **params})
    assert response.status_code == 200, response.text
    return [audio["handle"] for audio in response.json()]


def test_colon_sort_syntax_and_newest_first_default(profile_server, tagged):
    alice = profile_server("colon-sort").client()
    tag, oldest_first = tagged["colon-sort"]
    assert _handles(alice, tag) == oldest_first[::-1]  # no sort: createdAt, descending
    assert _handles(alice, tag, sort="handle:asc") == sorted(oldest_first)
    assert _handles(alice, tag, sort="handle:desc") == sorted(oldest_first, reverse=True)
    assert _handles(alice, tag, sort="createdAt:asc") == oldest_first
    assert len(_handles(alice, tag, sort="uploadedAt:desc")) == 3
    for foreign in ("handle", "-handle", "handle:up", "size:asc"):
        _status(alice.get(SPACE, params={"sort": foreign}), 400)


def test_ascending_only_sort(profile_server, tagged):
    alice = profile_server("ascending-only").client()
    tag, oldest_first = tagged["ascending-only"]
    assert _handles(alice, tag) == oldest_first
    assert _handles(alice, tag, sort="handle") == sorted(oldest_first)
    for descending in ("-handle", "-createdAt", "handle:desc"):
        _status(alice.get(SPACE, params={"sort": descending}), 400)


def test_past_end_page_answers_the_profile_status(profile_server, tagged):
    alice = profile_server("ascending-only").client()
    tag, oldest_first = tagged["ascending-only"]
    last = alice.get(SPACE, params={"search": tag, "page": 2, "page-size": 2})
    assert last.status_code == 200 and len(last.json()) == 1 and last.headers["Page-Total"] == "2"
    _status(alice.get(SPACE, params={"search": tag, "page": 3, "page-size": 2}), 404)
    _status(alice.get(SPACE, params={"search": tag, "page": 10**30}), 404)
    empty = alice.get(SPACE, params={"search": "none-" + uuid.uuid4().hex})
    assert empty.status_code == 200 and empty.json() == [] and empty.headers["Page-Total"] == "0"
    _status(alice.get(SPACE, params={"search": "none-" + uuid.uuid4().hex, "page": 2}), 404)
    reference = profile_server("colon-sort").client()  # 200 [] as the reference
    past = reference.get(SPACE, params={"search": tagged["colon-sort"][0], "page": 5})
    assert past.status_code == 200 and past.json() == [] and past.headers["Item-Total"] == "3"


# --- 7. statuses by reason, and 8. limits ------------------------------------------------------------------
def test_every_refused_upload_answers_its_reasons_status(profile_server, media):
    alice = profile_server("mapped").client()
    wav = media.wav
    cases = {
        "body-not-json": (dict(content=b"{not json", headers={"Content-Type": "application/json"}), 440),
        "body-array": (dict(json=[{"file": None}]), 440),
        "file-number": (dict(json={"file": 7}), 440),
        "bad-base64": (dict(json={"file": "not base64!"}), 441),
        "empty": (dict(json={"file": ""}), 442),
        "decoded-too-large": (dict(json={"file": media.b64(wav(16000, 0.9) + bytes(80_000))}), 443),
        "body-too-large": (dict(json={"file": media.b64(bytes(200_000))}), 443),
        "undecodable": (dict(json={"file": media.b64(b"definitely not audio" * 10)}), 444),
        "too-long": (dict(json={"file": media.b64(wav(16000, 1.5))}), 445),
        "rate-too-low": (dict(json={"file": media.b64(wav(8000, 0.5))}), 445),
        "too-many-channels": (dict(json={"file": media.b64(wav(16000, 0.5, channels=2))}), 445),
        "alias-too-long": (dict(json={"file": None, "alias": "a" * 101}), 446),
        "identity": (dict(json={"file": None, "identity": "someone"}), 446),
    }
    for name, (request, status) in cases.items():
        _status(alice.post(SPACE, **request), status, name)
    assert alice.post(SPACE, content=b"{}", headers={"Content-Type": "text/plain"}).status_code == 415
    accepted = alice.post(SPACE, json={"file": media.b64(wav(48000, 0.5))})
    assert accepted.status_code == 201 and accepted.json()["sampleRate"] == 22050  # max_stored_sample_rate
    assert alice.post(SPACE, json={"file": media.b64(wav(16000, 1.0))}).status_code == 201  # limit inclusive


def test_request_field_conflict_deleted_and_no_file_statuses(profile_server, media):
    ref = profile_server("mapped")
    alice = ref.client()
    for params in ({"page": 0}, {"page-size": 51}, {"sort": "size"}, {"after": "yesterday"}):
        _status(alice.get(SPACE, params=params), 446)
    handle = alice.post(SPACE, json={"file": None}).json()["handle"]
    path = f"{SPACE}/{handle}"
    _status(alice.get(path + "/file"), 449)
    _status(alice.patch(path, json={"alias": ""}), 446)
    assert alice.post(path + "/file", content=media.wav(16000, 0.5), headers=OCTET).status_code == 200
    _status(alice.post(path + "/file", content=media.wav(16000, 0.5), headers=OCTET), 447)
    _status(httpx.post(f"{ref.base_url}/auth/credentials", json={"handle": "alice"}), 446)
    _status(httpx.post(f"{ref.base_url}/auth/credentials", content=b"{", headers={"Content-Type": "application/json"}),
            446)
    _status(alice.post("user/keys", json={"handle": "Not A Handle", "alias": None}), 446)
    key = f"k-{uuid.uuid4().hex[:8]}"
    assert alice.post("user/keys", json={"handle": key, "alias": None}).status_code == 201
    _status(alice.post("user/keys", json={"handle": key, "alias": None}), 447)
    assert alice.delete(path).status_code == 204
    for response in (alice.get(path), alice.get(path + "/file"), alice.patch(path, json={"alias": "x"}),
                     alice.delete(path)):
        _status(response, 448)
    _status(alice.get(f"{SPACE}/{uuid.uuid4()}"), 404)  # never existed: still 404
    assert httpx.get(f"{ref.base_url}/user").status_code == 401  # not a profile status


def test_session_lifetime(profile_server):
    for name, ttl in (("mapped", 120), ("gone-after-delete", 3600)):
        ref = profile_server(name)
        actor = ref.config["actors"]["primary"]
        session = httpx.post(f"{ref.base_url}/auth/credentials",
                             json={"handle": actor["handle"], "password": actor["password"]})
        assert session.status_code == 200
        body = session.json()
        assert abs(_seconds(body["expiresAt"]) - _seconds(body["issuedAt"]) - ttl) < 1
        token = {"Authorization": f"Bearer {body['token']}"}
        assert httpx.get(f"{ref.base_url}/user", headers=token).status_code == 200


def test_gone_after_delete_variant(profile_server, media):
    alice = profile_server("gone-after-delete").client()
    alias = f"gone-{uuid.uuid4().hex[:10]}"
    handle = alice.post(SPACE, json={"file": media.b64(media.wav(16000, 0.5)), "alias": alias}).json()["handle"]
    path = f"{SPACE}/{handle}"
    assert alice.delete(path).status_code == 204
    for response in (alice.get(path), alice.get(path + "/file"), alice.patch(path, json={"alias": "x"}),
                     alice.delete(path)):
        _status(response, 410)
    assert alice.get(SPACE, params={"search": alias}).json() == []
    _status(alice.post(SPACE, json={"file": media.b64(media.wav(16000, 0.5, channels=2))}), 422)  # max_channels 1
    _status(alice.post(SPACE, json={"file": media.b64(media.wav(8000, 0.5))}), 422)  # min_sample_rate 11025
    _status(alice.post(SPACE, json={"file": media.b64(media.wav(16000, 121.0))}), 422)  # max_duration_s 120
    assert alice.post(SPACE, json={"file": media.b64(media.wav(16000, 120.0))}).status_code == 201
