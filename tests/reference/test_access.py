"""Space access: own and member-org spaces are usable; everything else is 404 and nothing leaks."""

from __future__ import annotations

import httpx
import pytest

ACCESS = [
    ("alice", "main", 200),
    ("acme", "shared", 200),
    ("globex", "lab", 404),
    ("bob", "main", 404),
    ("nobody", "main", 404),
    ("alice", "nope", 404),
    ("ALICE", "main", 404),
    ("alice", "Main", 404),
    ("a" * 51, "main", 404),
    ("..", "main", 404),
    ("alice", "%2e%2e", 404),
    ("alice%2Fmain", "audios", 404),
    ("al%C3%AFce", "main", 404),
]


@pytest.mark.parametrize(("owner", "space", "status"), ACCESS, ids=[f"{o}/{s}" for o, s, _ in ACCESS])
def test_list_access(server, helpers, owner, space, status):
    url = f"{server.base_url}/spaces/{owner}/{space}/audios"
    response = httpx.get(url, headers={"Authorization": f"Bearer {server.token()}"})
    if status == 200:
        assert response.status_code == 200 and isinstance(response.json(), list)
    else:
        body = helpers.assert_problem(response, 404)
        assert "bob" not in body["detail"] and "globex" not in body["detail"]


@pytest.mark.parametrize(("owner", "space"), [("bob", "main"), ("globex", "lab"), ("nobody", "x")])
def test_create_in_foreign_space_is_404_and_stores_nothing(alice, bob, helpers, media, owner, space):
    before = helpers.item_total(bob, "bob/main")
    response = alice.post(f"spaces/{owner}/{space}/audios", json={"file": media.b64(media.wav())})
    helpers.assert_problem(response, 404)
    assert helpers.item_total(bob, "bob/main") == before


def test_org_member_can_use_org_space(alice, helpers):
    created = alice.post("spaces/acme/shared/audios", json={"alias": "org audio"})
    assert created.status_code == 201
    handle = created.json()["handle"]
    assert alice.get(f"spaces/acme/shared/audios/{handle}").status_code == 200
    assert alice.delete(f"spaces/acme/shared/audios/{handle}").status_code == 204


def test_outsider_cannot_touch_primary_audio(alice, bob, helpers, media):
    audio = alice.post("spaces/alice/main/audios", json={"file": media.b64(media.wav()), "alias": "secret"}).json()
    path = f"spaces/alice/main/audios/{audio['handle']}"
    for response in (
        bob.get(path),
        bob.get(path + "/file"),
        bob.patch(path, json={"alias": "stolen"}),
        bob.delete(path),
        bob.post(path + "/file", content=b"x", headers={"Content-Type": "application/octet-stream"}),
    ):
        body = helpers.assert_problem(response, 404)
        assert audio["handle"] not in response.text and "secret" not in body["detail"]
    assert alice.get(path).json()["alias"] == "secret"


def test_audio_of_space_a_is_404_under_space_b(alice, helpers):
    audio = alice.post("spaces/alice/main/audios", json={}).json()
    helpers.assert_problem(alice.get(f"spaces/acme/shared/audios/{audio['handle']}"), 404)
    helpers.assert_problem(alice.delete(f"spaces/acme/shared/audios/{audio['handle']}"), 404)
    assert alice.get(f"spaces/alice/main/audios/{audio['handle']}").status_code == 200


def test_authentication_is_checked_before_space(anonymous, helpers):
    helpers.assert_problem(anonymous.get("spaces/nobody/none/audios"), 401)


def test_space_is_checked_before_audio_and_body(alice, helpers):
    helpers.assert_problem(alice.patch("spaces/bob/main/audios/whatever", content=b"{not json"), 404)
    helpers.assert_problem(alice.patch("spaces/alice/main/audios/missing", content=b"{not json"), 404)
    response = alice.post("spaces/bob/main/audios", content=b"x", headers={"Content-Type": "text/plain"})
    helpers.assert_problem(response, 404)
