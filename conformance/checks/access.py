"""Access oracles: refused with a status from the profile, nothing of the resource in the answer, nothing changed;
allowed operations really work; a space one may not use looks like one that does not exist (profile).

The access matrix (``conformance/access_matrix.toml``) decides which oracle a cell gets: each requirement id has
one named check here, so that grepping an id finds the code that decides it. Statuses always come from the
profile (``access_matrix.expected_statuses``), never from this module.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from urllib.parse import unquote

import httpx

from conformance.checks import by_requirement, check, fail
from conformance.checks.http import body_excerpt, json_body, media_type
from conformance.profile import Profile

Refusal = Callable[[httpx.Response, Collection[int], str, Iterable[str]], None]
Allowance = Callable[[httpx.Response, str, "str | None"], None]


def _asked(response: httpx.Response) -> str:
    """The URL the answer is for, decoded (empty for an answer built without a request, as in unit tests)."""
    try:
        return unquote(str(response.request.url))
    except RuntimeError:
        return ""


def _leaked(response: httpx.Response, values: Iterable[str]) -> str | None:
    """What of the resource the refusal shows. A value the request itself carried (the handle in the path, as
    echoed in a problem's ``instance`` member, RFC 9457 §3.1.5) tells the caller nothing it did not know, so it
    is never a leak; an alias, an id or audio bytes are."""
    if response.content.startswith(b"RIFF") or media_type(response).startswith("audio/"):
        return "audio bytes"
    text = response.content.decode("utf-8", "replace")
    asked = _asked(response)
    for value in values:
        if value and value in text and value not in asked:
            return repr(value)
    return None


def refused(response: httpx.Response, statuses: Iterable[int], what: str,
            resource_values: Iterable[str] = ()) -> None:
    """Fail the calling check unless the answer is one of ``statuses`` and echoes none of ``resource_values``
    (handles, aliases, ids) and no audio bytes."""
    allowed = sorted(set(statuses))
    if response.status_code not in allowed:
        fail(f"{what} was not refused",
             received=f"{response.status_code} {body_excerpt(response)}", expected=" or ".join(map(str, allowed)))
    if leaked := _leaked(response, resource_values):
        fail(f"{what}: the refusal leaks the resource", received=f"body contains {leaked}",
             expected="nothing of the resource in the answer")


def performed(response: httpx.Response, what: str, effect_problem: str | None) -> None:
    """Fail the calling check unless the operation answered 2xx and its effect is visible (``effect_problem`` is the
    runner's description of what the owner saw instead, or None)."""
    if not 200 <= response.status_code < 300:
        fail(f"{what} was refused", received=f"{response.status_code} {body_excerpt(response)}",
             expected="a 2xx answer")
    if effect_problem:
        fail(f"{what} answered {response.status_code} but did not take effect", received=effect_problem,
             expected="the effect visible when the owner reads the space again")


# --- authentication ----------------------------------------------------------------------------------------
@check("AUTH-MISSING-401")
def unauthenticated_refused(response: httpx.Response, profile: Profile, what: str) -> None:
    """A request without credentials is refused with an unauthenticated status (never served)."""
    refused(response, profile.unauthenticated_statuses, what)


@check("AUTH-INVALID-401")
def bad_token_refused(response: httpx.Response, profile: Profile, what: str) -> None:
    """A request with an unknown or malformed token is refused with an unauthenticated status."""
    refused(response, profile.unauthenticated_statuses, what)


@check("AUTH-MISSING-401")
def anonymous_cell_refused(response: httpx.Response, statuses: Collection[int], what: str,
                           resource_values: Iterable[str]) -> None:
    """Matrix cell: no credentials, refused and nothing of the resource shown."""
    refused(response, statuses, what, resource_values)


@check("AUTH-INVALID-401")
def bad_token_cell_refused(response: httpx.Response, statuses: Collection[int], what: str,
                           resource_values: Iterable[str]) -> None:
    """Matrix cell: a malformed or unknown credential, refused and nothing of the resource shown."""
    refused(response, statuses, what, resource_values)


@check("KEYS-REVOKE")
def revoked_key_refused(response: httpx.Response, statuses: Collection[int], what: str,
                        resource_values: Iterable[str]) -> None:
    """Matrix cell: the token of a deleted API key is refused at once, on every operation, like an unknown one."""
    refused(response, statuses, what, resource_values)


@check("AUTH-SESSION-TOKEN")
def session_token_limited(response: httpx.Response, statuses: Collection[int], what: str,
                          resource_values: Iterable[str]) -> None:
    """A session token has its user's access and no more: other spaces are refused."""
    refused(response, statuses, what, resource_values)


@check("AUTH-SESSION-TOKEN")
def session_token_usable(response: httpx.Response, what: str, effect_problem: str | None) -> None:
    """A session token from ``/auth/credentials`` works like its user's token in the user's own space."""
    performed(response, what, effect_problem)


# --- spaces ------------------------------------------------------------------------------------------------
@check("ACCESS-OWN-ALLOWED")
def own_space_usable(response: httpx.Response, what: str, effect_problem: str | None) -> None:
    """Every operation works in the caller's own space."""
    performed(response, what, effect_problem)


@check("ACCESS-ORG-ALLOWED")
def org_space_usable(response: httpx.Response, what: str, effect_problem: str | None) -> None:
    """Every operation works in the space of an organization the caller is a member of."""
    performed(response, what, effect_problem)


@check("ACCESS-FOREIGN-DENIED")
def foreign_space_denied(response: httpx.Response, statuses: Collection[int], what: str,
                         resource_values: Iterable[str]) -> None:
    """A space the caller may not use is refused with a denied status and leaks nothing of what it holds."""
    refused(response, statuses, what, resource_values)


@check("ACCESS-UNKNOWN-SPACE")
def unknown_space_refused(response: httpx.Response, statuses: Collection[int], what: str,
                          resource_values: Iterable[str]) -> None:
    """An unknown owner or space is refused, even when the audio handle exists in another space."""
    refused(response, statuses, what, resource_values)


@check("ACCESS-CROSS-SPACE")
def other_space_audio_not_found(response: httpx.Response, statuses: Collection[int], what: str,
                                resource_values: Iterable[str]) -> None:
    """An audio addressed under a space that does not hold it is not found there (or denied), and not leaked."""
    refused(response, statuses, what, resource_values)


@check("ACCESS-PATH-NORMALISATION")
def path_variant_refused(response: httpx.Response, statuses: Collection[int], what: str,
                         resource_values: Iterable[str]) -> None:
    """A non-canonical path (case, encoded separators, trailing slash, long handle) serves nothing foreign."""
    refused(response, statuses, what, resource_values)


@check("ACCESS-NO-SIDE-EFFECT")
def nothing_changed(what: str, change: str | None) -> None:
    """After a refused write the owner sees the space exactly as before (``change`` describes any difference)."""
    if change:
        fail(f"{what} was refused but took effect", received=change,
             expected="nothing created, changed or deleted")


@check("ACCESS-LIST-ISOLATION")
def list_isolated(items: list[dict[str, object]], item_total: str | None, foreign: dict[str, str], what: str) -> None:
    """The list holds no audio of another space (``foreign``: handle or id → its space), and ``Item-Total``
    counts exactly the space's own audios."""
    for item in items:
        for key in ("handle", "id"):
            value = item.get(key)
            if isinstance(value, str) and value in foreign:
                fail(f"{what} shows an audio of another space",
                     received=f"{key} {value!r} of {foreign[value]}", expected="only the space's own audios")
    if item_total is not None and item_total.strip() != str(len(items)):
        fail(f"{what}: Item-Total does not count the listed audios",
             received=f"Item-Total {item_total!r}, {len(items)} audios listed", expected=str(len(items)))


@check("ACCESS-HIDE-EXISTENCE")
def existence_hidden(denied: httpx.Response, unknown: httpx.Response, what: str) -> None:
    """A space one may not use answers like one that does not exist: same status, and for problem bodies the same
    ``title``, ``status`` and set of members."""
    shape = {}
    for name, response in (("existing", denied), ("unknown", unknown)):
        body = json_body(response)
        members = sorted(body) if isinstance(body, dict) else None
        title = body.get("title") if isinstance(body, dict) else None
        shape[name] = (response.status_code, media_type(response), title, members)
    if shape["existing"] != shape["unknown"]:
        fail(f"{what}: a forbidden space is distinguishable from an unknown one",
             received=f"forbidden {shape['existing']}, unknown {shape['unknown']}",
             expected="the same (status, content type, title, members) with profile hide_existence = true")


@check("AUTH-MISSING-401")
def not_served_without_credentials(response: httpx.Response, what: str) -> None:
    """A request without credentials is not served (any refusal; the status is ``unauthenticated_refused``'s)."""
    if response.status_code < 400:
        fail(f"{what} was served", received=response.status_code, expected="a refusal")


@check("AUTH-SESSION-TOKEN")
def sign_in_gave_token(response: httpx.Response, handle: str) -> str:
    """Signing in answers 200 with a session token."""
    token = (json_body(response) or {}).get("token") if response.status_code == 200 else None
    if not isinstance(token, str) or not token:
        fail(f"signing in as {handle} gave no session token",
             received=f"{response.status_code} {body_excerpt(response)}", expected='200 {"token": ...}')
    return token


#: The refusal oracle of a matrix cell, by the cell's requirement id (each check is bound to its id once).
REFUSALS: dict[str, Refusal] = by_requirement(
    anonymous_cell_refused, bad_token_cell_refused, revoked_key_refused, session_token_limited, foreign_space_denied,
    unknown_space_refused, other_space_audio_not_found, path_variant_refused)
#: The allowed-operation oracle of a matrix cell, by the cell's requirement id.
ALLOWANCES: dict[str, Allowance] = by_requirement(own_space_usable, org_space_usable, session_token_usable)
