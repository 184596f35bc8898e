"""Prerequisite 2 of the guide: requests must be authenticated. Without valid credentials nothing is served.

Each operation of the workflow is tried with no ``Authorization`` header and with malformed or unknown tokens,
against the primary space and a real audio in it, so that a target serving anonymous callers cannot pass.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from conformance.checks.access import bad_token_refused, not_served_without_credentials, unauthenticated_refused
from conformance.checks.http import error_body_is_problem_json, has_bearer_challenge
from conformance.client import ApiClient
from conformance.config import Space
from conformance.manifest import MediaCase
from conformance.outcomes import unsupported
from conformance.profile import Profile
from conformance.pytest_fixtures import ClientFactory
from conformance.resources import Resources
from conformance.scenarios._support import accepted_media, require_created
from conformance.workflow import Upload, create, encode_file

OPERATIONS = ("list", "create", "details", "file")
# Authorization values that carry no valid credentials (the unknown token is 40 alphanumerics, like a real one).
# `{token}` is the primary actor's *valid* token, presented under a wrong scheme or none: RFC 6750 §2.1 admits only
# `Bearer <token>`, so a target that accepts the raw token, or the token under another scheme, must refuse it too.
BAD_AUTHORIZATION = {
    "unknown-token": "Bearer 0123456789abcdefghijABCDEFGHIJ0123456789",
    "bearer-without-token": "Bearer",
    "basic-scheme": "Basic eDp5",
    "bearer-two-words": "Bearer a b",
    "valid-token-no-scheme": "{token}",
    "valid-token-token-scheme": "Token {token}",
    "valid-token-basic-scheme": "Basic {token}",
}


def authorization(credential: str, client_for: ClientFactory) -> str | None:
    """The ``Authorization`` value of a refusal row (None: no header), with the valid token filled in."""
    value = BAD_AUTHORIZATION.get(credential)
    if value is None or "{token}" not in value:
        return value
    return value.replace("{token}", client_for.token("primary"))


def _call(client: ApiClient, operation: str, space: Space, handle: str, media: MediaCase,
          resources: Resources) -> httpx.Response:
    if operation == "list":
        return client.list_audios(space)
    if operation == "create":  # a create that should be refused; one wrongly accepted is swept like any other
        return create(client, "primary", space, {"file": encode_file(media.read())}, resources=resources)[0]
    if operation == "details":
        return client.get_audio(space, handle)
    return client.get_audio_file(space, handle)


@pytest.fixture(scope="module")
def existing(uploaded: Callable[..., Upload]) -> tuple[Upload, MediaCase]:
    """A real audio in the primary space, so that refusals are about credentials, not a missing resource."""
    media = accepted_media()[0]
    upload = uploaded(media)
    require_created(upload)
    return upload, media


@pytest.mark.requirement("AUTH-MISSING-401")
@pytest.mark.parametrize("operation", OPERATIONS)
def test_missing_credentials_refused(operation: str, existing: tuple[Upload, MediaCase], client_for: ClientFactory,
                                     profile: Profile, resources: Resources) -> None:
    """No ``Authorization`` header: refused, with an unauthenticated status."""
    upload, media = existing
    anonymous = client_for.raw()
    try:
        response = _call(anonymous, operation, upload.space, upload.handle or "", media, resources)
    finally:
        anonymous.close()
    unauthenticated_refused(response, profile, f"{operation} without credentials")


@pytest.mark.requirement("AUTH-INVALID-401")
@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("credential", list(BAD_AUTHORIZATION))
def test_bad_token_refused(credential: str, operation: str, existing: tuple[Upload, MediaCase],
                           client_for: ClientFactory, profile: Profile, resources: Resources) -> None:
    """A malformed or unknown bearer token: refused, with an unauthenticated status."""
    upload, media = existing
    client = client_for.raw(authorization=authorization(credential, client_for))
    try:
        response = _call(client, operation, upload.space, upload.handle or "", media, resources)
    finally:
        client.close()
    bad_token_refused(response, profile, f"{operation} with {credential}")


@pytest.mark.readonly
@pytest.mark.requirement("AUTH-CHALLENGE")
@pytest.mark.parametrize("credential", ["missing", *BAD_AUTHORIZATION])
def test_refusal_challenges_bearer(credential: str, client_for: ClientFactory,
                                   space_for: Callable[[str], Space]) -> None:
    """A 401 tells the client how to authenticate: ``WWW-Authenticate: Bearer``."""
    client = client_for.raw(authorization=authorization(credential, client_for))
    try:
        response = client.list_audios(space_for("primary"))
    finally:
        client.close()
    if response.status_code != 401:
        unsupported(f"the target answered {response.status_code}, not 401, so no challenge is due")
    has_bearer_challenge(response, f"list with {credential} credentials")


@pytest.mark.readonly
@pytest.mark.requirement("ERR-PROBLEM-JSON")
def test_refusal_body_is_problem_json(client_for: ClientFactory, space_for: Callable[[str], Space]) -> None:
    """The body of an authentication refusal is a problem document, not an HTML page or a trace."""
    client = client_for.raw()
    try:
        response = client.list_audios(space_for("primary"))
    finally:
        client.close()
    not_served_without_credentials(response, "a list without credentials")
    error_body_is_problem_json(response, "list without credentials")
