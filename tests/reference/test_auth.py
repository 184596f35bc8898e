"""Authentication: 401 challenges, sign-in with credentials, API keys and their revocation."""

from __future__ import annotations

import re

import httpx
import pytest

CHALLENGE = re.compile(r'^Bearer realm="voice-api"(, error="invalid_token")?$')


@pytest.mark.parametrize(
    ("authorization", "token_sent"),
    [
        (None, False),
        ("Bearer", False),
        ("Basic x", False),
        ("Bearer a b", True),
        ("Bearer unknown-token-0000000000000000000000", True),
        ("Bearer \u00e9t\u00e9", True),
    ],
    ids=["missing", "bearer-without-token", "basic", "two-tokens", "unknown", "non-ascii"],
)
@pytest.mark.parametrize("path", ["user", "spaces/alice/main/audios", "spaces/nobody/none/audios/x/file"])
def test_unauthenticated_is_401_with_challenge(server, helpers, authorization, token_sent, path):
    headers = {"Authorization": authorization.encode("utf-8")} if authorization else {}
    response = httpx.get(f"{server.base_url}/{path}", headers=headers)
    helpers.assert_problem(response, 401)
    challenge = response.headers["WWW-Authenticate"]
    assert CHALLENGE.match(challenge), challenge
    assert ('error="invalid_token"' in challenge) is token_sent


def test_credentials_give_a_working_24h_token(server, anonymous):
    actor = server.config["actors"]["primary"]
    response = anonymous.post("auth/credentials", json={"handle": actor["handle"], "password": actor["password"]})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "issuedAt", "expiresAt"}
    assert body["issuedAt"].endswith("Z") and body["expiresAt"] > body["issuedAt"]
    me = anonymous.get("user", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.json()["handle"] == "alice"


@pytest.mark.parametrize(
    "body",
    [{"handle": "alice", "password": "wrong-password-123"}, {"handle": "nobody", "password": "wrong-password-123"}],
    ids=["wrong-password", "unknown-handle"],
)
def test_bad_credentials_are_401_and_indistinguishable(anonymous, helpers, body):
    response = anonymous.post("auth/credentials", json=body)
    problem = helpers.assert_problem(response, 401)
    assert problem["detail"] == "The handle or the password is wrong."


@pytest.mark.parametrize(
    "content",
    [b"{", b"[]", b'{"handle": "alice"}', b'{"handle": 1, "password": "x"}', b"\xff\xfe"],
    ids=["bad-json", "array", "missing-password", "number-handle", "not-utf8"],
)
def test_malformed_credentials_are_400(anonymous, helpers, content):
    response = anonymous.post("auth/credentials", content=content, headers={"Content-Type": "application/json"})
    helpers.assert_problem(response, 400)


def test_current_user(alice):
    body = alice.get("user").json()
    assert set(body) == {"id", "handle", "alias", "email", "state", "orgs", "spaces", "createdAt", "emailVerified"}
    assert body["handle"] == "alice" and body["orgs"] == 1 and body["spaces"] == 2


def test_key_lifecycle(server, alice, anonymous, helpers):
    created = alice.post("user/keys", json={"handle": "ci-key", "alias": "CI"})
    assert created.status_code == 201
    key = created.json()
    assert set(key) == {"id", "handle", "alias", "token", "createdAt"}
    assert re.fullmatch(r"[A-Za-z0-9]{40}", key["token"])
    assert alice.get("user/keys/ci-key").json() == key
    helpers.assert_problem(alice.post("user/keys", json={"handle": "ci-key"}), 409)
    bearer = {"Authorization": f"Bearer {key['token']}"}
    assert anonymous.get("user", headers=bearer).status_code == 200
    assert alice.delete("user/keys/ci-key").status_code == 204
    helpers.assert_problem(anonymous.get("user", headers=bearer), 401)
    helpers.assert_problem(alice.get("user/keys/ci-key"), 404)
    helpers.assert_problem(alice.delete("user/keys/ci-key"), 404)


def test_key_handles_are_per_user(alice, bob):
    assert alice.post("user/keys", json={"handle": "shared-name"}).status_code == 201
    assert bob.post("user/keys", json={"handle": "shared-name"}).status_code == 201
    assert bob.get("user/keys/shared-name").json()["token"] != alice.get("user/keys/shared-name").json()["token"]


@pytest.mark.parametrize(
    "body",
    [{}, {"handle": "Upper"}, {"handle": "a" * 51}, {"handle": "a--b"}, {"handle": "ok", "alias": ""}, [1]],
    ids=["missing", "upper", "too-long", "double-hyphen", "empty-alias", "array"],
)
def test_invalid_key_is_400(alice, helpers, body):
    helpers.assert_problem(alice.post("user/keys", json=body), 400)


def test_unknown_key_is_404(alice, helpers):
    helpers.assert_problem(alice.get("user/keys/does-not-exist"), 404)
    helpers.assert_problem(alice.get("user/keys/NOT-A-HANDLE"), 404)
