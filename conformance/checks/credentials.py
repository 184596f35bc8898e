"""Checks on sign-in, the current user and API keys: tokens that work, refusals that reveal nothing.

A token is judged by using it (`GET /user` must name its owner), never by its shape alone; a refused sign-in is
judged by comparing the answers for a wrong password and an unknown handle, which must not differ.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from conformance.checks import check, fail
from conformance.checks.audio import parse_timestamp
from conformance.checks.http import body_excerpt, expect_status, json_body, statuses_text
from conformance.profile import Profile

TTL_TOLERANCE_S = 60.0  # both timestamps come from the target; only its own rounding separates them
# Members of an error body that may legitimately differ between two answers (request ids, times).
VOLATILE_MEMBERS = frozenset({"instance", "id", "requestid", "traceid", "correlationid", "timestamp", "time", "date"})
KEY_FIELDS = ("id", "handle", "alias", "token", "createdAt")



def _object(response: httpx.Response, status: int, what: str) -> dict[str, Any]:
    body = json_body(response)
    if response.status_code != status or not isinstance(body, dict):
        fail(f"{what} did not answer {status} with a JSON object",
             received=f"{response.status_code} {body_excerpt(response)}", expected=f"{status} JSON object")
    return body


def _user_handle(response: httpx.Response, what: str) -> str | None:
    handle = _object(response, 200, what).get("handle")
    return handle if isinstance(handle, str) else None


# --- sign-in ---------------------------------------------------------------------------------------------
@check("AUTH-CREDENTIALS")
def session_issued(response: httpx.Response, profile: Profile) -> str:
    """The right credentials answer 200 `{token, issuedAt, expiresAt}`: a non-empty token, RFC 3339 times, issued
    about now, expiring the profile's session lifetime later. Returns the token."""
    body = _object(response, 200, "sign-in with the right password")
    token = body.get("token")
    if not isinstance(token, str) or not token.strip():
        fail("sign-in gave no token", received=repr(token), expected="a non-empty string")
    issued, expires = parse_timestamp(body.get("issuedAt")), parse_timestamp(body.get("expiresAt"))
    if issued is None or expires is None:
        fail("`issuedAt`/`expiresAt` are not RFC 3339 date-times with a zone",
             received=f"issuedAt {body.get('issuedAt')!r}, expiresAt {body.get('expiresAt')!r}",
             expected="e.g. 2024-01-01T00:00:00Z")
    skew = timedelta(seconds=profile.clock_skew_s)
    now = datetime.now(UTC)
    if not now - skew <= issued <= now + skew:
        fail("`issuedAt` is not now", received=body["issuedAt"],
             expected=f"{now.isoformat()} ± {profile.clock_skew_s:g} s")
    lifetime = (expires - issued).total_seconds()
    if abs(lifetime - profile.session_ttl_s) > TTL_TOLERANCE_S:
        fail("the session does not last the documented lifetime",
             received=f"expiresAt - issuedAt = {lifetime:.0f} s",
             expected=f"{profile.session_ttl_s:.0f} s ± {TTL_TOLERANCE_S:g} s (profile session_ttl_s)")
    return token


@check("AUTH-CREDENTIALS")
def session_token_works(response: httpx.Response, handle: str) -> None:
    """`GET /user` with the new session token answers 200 and names the user who signed in."""
    got = _user_handle(response, "GET /user with the session token")
    if got != handle:
        fail("the session token does not act as the user who signed in", received=repr(got),
             expected=repr(handle))


@check("AUTH-CREDENTIALS-REFUSED")
def sign_in_refused(response: httpx.Response, statuses: Iterable[int], what: str) -> None:
    """Bad credentials get one of ``statuses`` and no token."""
    allowed = set(statuses)
    body = json_body(response)
    if response.status_code not in allowed or (isinstance(body, dict) and body.get("token")):
        fail(f"sign-in with {what} was not refused",
             received=f"{response.status_code} {body_excerpt(response)}",
             expected=f"{statuses_text(allowed)}, no token")


def _comparable(response: httpx.Response) -> object:
    body = json_body(response)
    if isinstance(body, dict):
        return {k: v for k, v in body.items() if k.replace("_", "").replace("-", "").lower() not in VOLATILE_MEMBERS}
    return response.content


@check("AUTH-CREDENTIALS-REFUSED")
def refusals_indistinguishable(wrong_password: httpx.Response, unknown_handle: httpx.Response) -> None:
    """A wrong password and an unknown handle get the same status and body: the answer never tells an attacker
    which handles exist (volatile members such as a request id aside)."""
    a, b = _comparable(wrong_password), _comparable(unknown_handle)
    if wrong_password.status_code != unknown_handle.status_code or a != b:
        fail("the refusal tells a wrong password from an unknown handle",
             received=f"wrong password: {wrong_password.status_code} {body_excerpt(wrong_password)}; unknown handle: "
             f"{unknown_handle.status_code} {body_excerpt(unknown_handle)}", expected="the same status and body")


# --- the current user ------------------------------------------------------------------------------------
@check("AUTH-USER-SELF")
def user_is(response: httpx.Response, handle: str, actor: str) -> None:
    """`GET /user` answers the caller: the handle of the configured actor whose token was sent."""
    got = _user_handle(response, f"GET /user as {actor}")
    if got != handle:
        fail(f"GET /user as {actor} returned another user", received=repr(got),
             expected=repr(handle))


# --- API keys --------------------------------------------------------------------------------------------
@check("KEYS-LIFECYCLE")
def key_created(response: httpx.Response, handle: str, alias: str | None) -> dict[str, Any]:
    """`POST /user/keys` answers 201 `{id, handle, alias, token, createdAt}` with the handle and alias sent."""
    key = _object(response, 201, "create an API key")
    missing = [name for name in KEY_FIELDS if name not in key]
    if missing:
        fail("the key lacks documented fields", received=sorted(key), expected=list(KEY_FIELDS))
    if (key.get("handle"), key.get("alias")) != (handle, alias):
        fail("the key does not carry the handle and alias sent",
             received=f"handle {key.get('handle')!r}, alias {key.get('alias')!r}",
             expected=f"handle {handle!r}, alias {alias!r}")
    if not isinstance(key.get("token"), str) or not key["token"].strip():
        fail("the key has no token", received=repr(key.get("token")), expected="a bearer token")
    return key


@check("KEYS-LIFECYCLE")
def key_token_works(response: httpx.Response, owner: str) -> None:
    """`GET /user` with the key's token answers 200 and names the key's owner."""
    got = _user_handle(response, "GET /user with the new key's token")
    if got != owner:
        fail("the key's token does not act as its owner", received=repr(got), expected=repr(owner))


@check("KEYS-LIFECYCLE")
def key_reads_back(response: httpx.Response, created: dict[str, Any]) -> None:
    """`GET /user/keys/{key}` answers 200 with the key as created, token included."""
    key = _object(response, 200, "GET the new key")
    for name in KEY_FIELDS:
        if key.get(name) != created.get(name):
            fail(f"the key read back differs in `{name}`",
                 received="(token differs)" if name == "token" else repr(key.get(name)),
                 expected="the token of the created key" if name == "token" else repr(created.get(name)))


@check("KEYS-DUPLICATE")
def duplicate_key_refused(response: httpx.Response, profile: Profile) -> None:
    """A second key with a handle the user already has is refused with the profile's conflict status."""
    expect_status(response, profile.conflict_statuses,
                  title="a second key with the same handle was not refused")


@check("KEYS-REVOKE")
def key_deleted(response: httpx.Response) -> None:
    """`DELETE /user/keys/{key}` of an existing key succeeds."""
    if response.status_code not in (200, 204):
        fail("deleting an API key did not succeed",
             received=f"{response.status_code} {body_excerpt(response)}", expected="204 (or 200)")


@check("KEYS-REVOKE")
def revoked_token_refused(response: httpx.Response, profile: Profile) -> None:
    """Right after the DELETE, the key's token is refused like an unknown one."""
    expect_status(response, profile.unauthenticated_statuses,
                  title="the token of a deleted key still works")


@check("KEYS-REVOKE")
def revoked_key_not_found(response: httpx.Response) -> None:
    """A deleted key is not found any more."""
    if response.status_code != 404:
        fail("a deleted key is still served", received=f"{response.status_code} "
             f"{body_excerpt(response)}", expected="404")


@check("AUTH-USER-SELF")
def user_handle_of(response: httpx.Response) -> str:
    """`GET /user` answers the caller: 200 with a user that has a handle (the key checks start from it)."""
    user = json_body(response)
    if response.status_code != 200 or not isinstance(user, dict) or not isinstance(user.get("handle"), str):
        fail("GET /user did not answer the caller", received=f"{response.status_code} {body_excerpt(response)}",
             expected="200 with the user")
    return user["handle"]


@check("KEYS-LIFECYCLE")
def key_token_of(response: httpx.Response) -> str:
    """Creating an API key answers 200/201 with its token."""
    token = (json_body(response) or {}).get("token") if response.status_code in (200, 201) else None
    if not isinstance(token, str) or not token:
        fail("could not create an API key", received=f"{response.status_code} {body_excerpt(response)}",
             expected='201 {"token": ...}')
    return token


@check("KEYS-REVOKE")
def key_delete_succeeded(response: httpx.Response) -> None:
    """Deleting an API key answers 2xx."""
    if not 200 <= response.status_code < 300:
        fail("could not delete the API key", received=f"{response.status_code} {body_excerpt(response)}",
             expected="204")


@check("KEYS-REVOKE")
def keys_revoked(left: Sequence[str]) -> None:
    """Every API key the run created is revoked at its end (``left``: the ones that could not be)."""
    if left:
        fail("API keys created by the run could not be revoked", received=", ".join(left),
             expected="each DELETE /user/keys/{key} answers 2xx (or 404)")
