"""Access oracles: refused with a status from the profile, and nothing of the resource in the answer."""

from __future__ import annotations

from collections.abc import Iterable

import httpx

from conformance.checks import check, fail
from conformance.checks.http import body_excerpt
from conformance.profile import Profile


def _leaked(response: httpx.Response, values: Iterable[str]) -> str | None:
    text = response.content.decode("utf-8", "replace")
    for value in values:
        if value and value in text:
            return value
    return None


def refused(requirement: str, response: httpx.Response, statuses: Iterable[int], what: str,
            resource_values: Iterable[str] = ()) -> None:
    """Fail ``requirement`` unless the answer is one of ``statuses`` and echoes none of ``resource_values``."""
    allowed = sorted(set(statuses))
    if response.status_code not in allowed:
        fail(requirement, f"{what} was not refused", received=f"{response.status_code} {body_excerpt(response)}",
             expected=" or ".join(map(str, allowed)))
    if leaked := _leaked(response, resource_values):
        fail(requirement, f"{what}: the refusal leaks the resource", received=f"body contains {leaked!r}",
             expected="nothing of the resource in the answer")


@check("AUTH-MISSING-401")
def unauthenticated_refused(response: httpx.Response, profile: Profile, what: str) -> None:
    """A request without credentials is refused with an unauthenticated status (never served)."""
    refused("AUTH-MISSING-401", response, profile.unauthenticated_statuses, what)


@check("AUTH-INVALID-401")
def bad_token_refused(response: httpx.Response, profile: Profile, what: str) -> None:
    """A request with an unknown or malformed token is refused with an unauthenticated status."""
    refused("AUTH-INVALID-401", response, profile.unauthenticated_statuses, what)


@check("ACCESS-FOREIGN-DENIED")
def foreign_space_denied(response: httpx.Response, profile: Profile, what: str, resource_values: Iterable[str]) -> None:
    """A space the caller may not use is refused with a denied status and leaks nothing of what it holds."""
    refused("ACCESS-FOREIGN-DENIED", response, profile.denied_statuses, what, resource_values)


@check("ACCESS-CROSS-SPACE")
def other_space_audio_not_found(response: httpx.Response, profile: Profile, what: str,
                                resource_values: Iterable[str]) -> None:
    """An audio addressed under a space that does not hold it is not found there (or denied), and not leaked."""
    refused("ACCESS-CROSS-SPACE", response, {*profile.denied_statuses, 404}, what, resource_values)
