"""Credentials, the current user and API keys: every token is judged by using it.

Sign-in needs the primary actor's handle and password in the configuration (else the checks are `disabled`); the
refusals compare a wrong password with an unknown handle, which must be answered alike. `GET /user` must name the
configured actor whose token was sent, for two different actors. API keys (capability `api_keys`) are created
with run-unique handles, used, read back and deleted; the revoked key's token must stop working at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from conformance.checks.credentials import (
    duplicate_key_refused,
    key_created,
    key_deleted,
    key_reads_back,
    key_token_works,
    refusals_indistinguishable,
    revoked_key_not_found,
    revoked_token_refused,
    session_issued,
    session_token_works,
    sign_in_refused,
    user_handle_of,
    user_is,
)
from conformance.checks.http import json_body
from conformance.config import Actor, Settings
from conformance.outcomes import disabled
from conformance.profile import Profile
from conformance.pytest_fixtures import ClientFactory
from conformance.run_state import RunState
from conformance.scenarios._lifecycle import require_capability


def _credentials(settings: Settings) -> Actor:
    actor = settings.actors.get("primary")
    if actor is None or not (actor.handle and actor.password):
        disabled("the primary actor has no handle and password in the configuration")
    return actor


def _with_token(client_for: ClientFactory, token: str | None, call: Callable[[Any], httpx.Response]
                ) -> httpx.Response:
    """One call with an arbitrary token (None: no Authorization header), on a client of its own."""
    client = client_for.raw(token=token)
    try:
        return call(client)
    finally:
        client.close()


# --- sign-in ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def signed_in(settings: Settings, client_for: ClientFactory, run_state: RunState) -> httpx.Response:
    """One sign-in with the primary actor's credentials; the session token becomes a secret of the run."""
    actor = _credentials(settings)
    response = _with_token(client_for, None, lambda c: c.sign_in(actor.handle or "", actor.password or ""))
    token = (json_body(response) or {}).get("token") if isinstance(json_body(response), dict) else None
    if isinstance(token, str) and token:
        run_state.redactor.add(token)
    return response


@pytest.mark.requirement("AUTH-CREDENTIALS")
def test_sign_in_issues_a_session(signed_in: httpx.Response, profile: Profile) -> None:
    """The right password gets 200 with a token, issued now, expiring the profile's lifetime later."""
    session_issued(signed_in, profile)


@pytest.mark.requirement("AUTH-CREDENTIALS")
def test_session_token_works(signed_in: httpx.Response, settings: Settings, client_for: ClientFactory,
                             profile: Profile) -> None:
    """The session token acts as the user who signed in (`GET /user`, the guide's validation step)."""
    token = session_issued(signed_in, profile)
    session_token_works(_with_token(client_for, token, lambda c: c.get_user()), _credentials(settings).handle or "")


# (case, body builder from (handle, password, run_id), what a conforming target may answer: "unauthenticated"
# statuses only, or those and the profile's invalid-request statuses)
REFUSALS: dict[str, tuple[Callable[[str, str, str], object], bool]] = {
    "wrong-password": (lambda h, p, r: {"handle": h, "password": f"not-the-password-{r}"}, False),
    "unknown-handle": (lambda h, p, r: {"handle": f"nobody-{r}", "password": p}, False),
    "missing-password": (lambda h, p, r: {"handle": h}, True),
    "missing-handle": (lambda h, p, r: {"password": p}, True),
    "empty-object": (lambda h, p, r: {}, True),
    "handle-not-a-string": (lambda h, p, r: {"handle": 7, "password": p}, True),
}


@pytest.fixture(scope="module")
def refused(settings: Settings, client_for: ClientFactory, run_id: str) -> dict[str, httpx.Response]:
    """Each bad sign-in sent once."""
    actor = _credentials(settings)
    return {name: _with_token(client_for, None, lambda c, b=build: c.post_credentials(
        b(actor.handle or "", actor.password or "", run_id))) for name, (build, _) in REFUSALS.items()}


@pytest.mark.requirement("AUTH-CREDENTIALS-REFUSED")
@pytest.mark.parametrize("case", list(REFUSALS))
def test_bad_credentials_refused(case: str, refused: dict[str, httpx.Response], profile: Profile) -> None:
    """No token for a wrong password, an unknown handle or an incomplete body (401, or 400 for the body)."""
    malformed = REFUSALS[case][1]
    statuses = {*profile.unauthenticated_statuses, *(profile.invalid_request_statuses if malformed else ())}
    sign_in_refused(refused[case], statuses, case)


@pytest.mark.requirement("AUTH-CREDENTIALS-REFUSED")
def test_refusal_does_not_reveal_the_handle(refused: dict[str, httpx.Response]) -> None:
    """A wrong password and an unknown handle are answered alike (no account enumeration)."""
    refusals_indistinguishable(refused["wrong-password"], refused["unknown-handle"])


# --- the current user ------------------------------------------------------------------------------------
@pytest.mark.requirement("AUTH-USER-SELF")
@pytest.mark.parametrize("actor", ["primary", "outsider"])
def test_user_is_the_caller(actor: str, settings: Settings, client_for: ClientFactory) -> None:
    """`GET /user` names the actor whose token was sent — for two actors, so answering one fixed user fails."""
    configured = settings.actors.get(actor)
    if configured is None or not configured.handle:
        disabled(f"no handle for [actors.{actor}] in the configuration")
    user_is(client_for(actor).get_user(), configured.handle, actor)


# --- API keys --------------------------------------------------------------------------------------------
def _owner(client_for: ClientFactory) -> str:
    """The primary actor's handle as `GET /user` names it (precondition of the key checks)."""
    return user_handle_of(client_for("primary").get_user())


KeyMaker = Callable[[str], tuple[str, str, httpx.Response]]


@pytest.fixture(scope="module")
def new_key(client_for: ClientFactory, profile: Profile, run_id: str, run_state: RunState) -> Iterator[KeyMaker]:
    """``new_key(purpose)`` → (handle, alias, the create answer) of a key made for this run, deleted at the end."""
    require_capability(profile, "api_keys")
    made: dict[str, tuple[str, str, httpx.Response]] = {}

    def get(purpose: str) -> tuple[str, str, httpx.Response]:
        if purpose not in made:
            handle, alias = f"conformance-{run_id}-{purpose}", f"Conformance run {run_id} ({purpose})"
            response = client_for("primary").create_key(handle, alias)
            token = (json_body(response) or {}).get("token") if isinstance(json_body(response), dict) else None
            if isinstance(token, str) and token:
                run_state.redactor.add(token)
            made[purpose] = (handle, alias, response)
        return made[purpose]

    yield get
    for handle, _, _ in made.values():
        client_for("primary").delete_key(handle)


@pytest.fixture
def kept_key(new_key: KeyMaker) -> Callable[[], dict[str, Any]]:
    """The key the lifecycle checks use (created once per run), judged in the test that asks for it."""

    def get() -> dict[str, Any]:
        handle, alias, response = new_key("kept")
        return key_created(response, handle, alias)

    return get


@pytest.mark.requirement("KEYS-LIFECYCLE")
def test_key_is_created(kept_key: Callable[[], dict[str, Any]]) -> None:
    """`POST /user/keys` answers 201 with the key: handle and alias as sent, a token."""
    kept_key()


@pytest.mark.requirement("KEYS-LIFECYCLE")
def test_key_token_works(kept_key: Callable[[], dict[str, Any]], client_for: ClientFactory) -> None:
    """The new key's token acts as its owner."""
    key_token_works(_with_token(client_for, kept_key()["token"], lambda c: c.get_user()), _owner(client_for))


@pytest.mark.requirement("KEYS-LIFECYCLE")
def test_key_reads_back(kept_key: Callable[[], dict[str, Any]], client_for: ClientFactory) -> None:
    """`GET /user/keys/{key}` returns the key as created, token included."""
    key = kept_key()
    key_reads_back(client_for("primary").get_key(key["handle"]), key)


@pytest.mark.requirement("KEYS-DUPLICATE")
def test_duplicate_key_handle_refused(kept_key: Callable[[], dict[str, Any]], client_for: ClientFactory,
                                      profile: Profile) -> None:
    """A second key with the same handle is refused with the profile's conflict status."""
    duplicate_key_refused(client_for("primary").create_key(kept_key()["handle"], None), profile)


@pytest.mark.requirement("KEYS-REVOKE")
def test_deleted_key_is_revoked_at_once(new_key: KeyMaker, client_for: ClientFactory, profile: Profile) -> None:
    """After `DELETE /user/keys/{key}`, the very next request with its token is refused and the key is gone."""
    handle, alias, response = new_key("revoked")
    key = key_created(response, handle, alias)
    key_token_works(_with_token(client_for, key["token"], lambda c: c.get_user()), _owner(client_for))
    primary = client_for("primary")
    key_deleted(primary.delete_key(handle))
    revoked_token_refused(_with_token(client_for, key["token"], lambda c: c.get_user()), profile)
    revoked_key_not_found(primary.get_key(handle))
