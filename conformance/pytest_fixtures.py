"""Fixtures the scenarios use: settings, profile, one client per actor, spaces, the corpus, cached uploads.

Registered by ``conformance.plugin`` once the configuration is valid. A scenario that needs an actor or a space
the configuration does not name is skipped as ``disabled``, and one that needs an undeclared capability as
``unsupported`` — never silently passed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from conformance.client import ApiClient, session_token
from conformance.config import Settings, Space
from conformance.http_stack import TargetError, transport_options
from conformance.manifest import ManifestError, MediaCase, load_manifest
from conformance.outcomes import disabled
from conformance.profile import Profile
from conformance.resources import Resources
from conformance.run_state import STATE_KEY, RunState
from conformance.workflow import Upload, UploadCache, alias_part


class ClientFactory:
    """One client per actor for the run, created on first use; a token from credentials is learned as a secret."""

    def __init__(self, state: RunState) -> None:
        self._state = state
        self._clients: dict[str, ApiClient] = {}
        self._tokens: dict[str, str] = {}

    def __call__(self, actor: str) -> ApiClient:
        if actor not in self._clients:
            settings = self._state.settings
            if actor not in settings.actors:
                disabled(f"no [actors.{actor}] in the configuration")
            assert settings.base_url is not None
            token = session_token(base_url=settings.base_url, timeout=settings.timeout,
                                  actor=settings.actors[actor], transcript=self._state.transcript,
                                  **self.options())
            self._state.redactor.add(token)
            self._tokens[actor] = token
            self._clients[actor] = self.raw(token=token)
        return self._clients[actor]

    def token(self, actor: str) -> str:
        """The valid bearer token ``actor``'s client sends (for cases that present it in a wrong form)."""
        self(actor)
        return self._tokens[actor]

    def raw(self, *, token: str | None = None, authorization: str | None = None) -> ApiClient:
        """A client with an arbitrary token or ``Authorization`` value (or none), for authentication cases."""
        settings = self._state.settings
        assert settings.base_url is not None
        return ApiClient(base_url=settings.base_url, timeout=settings.timeout, token=token,
                         authorization=authorization, transcript=self._state.transcript, **self.options())

    def options(self) -> dict[str, Any]:
        """The run-wide client options: hang guard, rate limit, statistics, retries, the read-only guard, and the
        transport's answer limits and plain-http rule."""
        state, settings = self._state, self._state.settings
        return {"hang_guard": state.hang_guard, "throttle": state.throttle, "stats": state.stats,
                "retries": settings.retries, "retry_after_cap": settings.retry_after_cap,
                "read_only": state.read_only, **transport_options(settings)}

    def close_all(self) -> None:
        """Release every client's connections."""
        for client in self._clients.values():
            client.close()
        self._clients.clear()


def client_factory(state: RunState) -> ClientFactory:
    """A client factory bound to the run's state (also used by the session-end sweep)."""
    return ClientFactory(state)


@pytest.fixture(scope="session")
def run_state(request: pytest.FixtureRequest) -> RunState:
    """The run's shared state."""
    return request.config.stash[STATE_KEY]


@pytest.fixture(scope="session")
def settings(run_state: RunState) -> Settings:
    """The resolved configuration (target known)."""
    return run_state.settings


@pytest.fixture(scope="session")
def profile(settings: Settings) -> Profile:
    """The target's profile."""
    return settings.profile


@pytest.fixture(scope="session")
def run_id(run_state: RunState) -> str:
    """A short id unique to this run, put in every alias the run creates (runs never collide)."""
    return run_state.run_id


@pytest.fixture(scope="session")
def resources(run_state: RunState) -> Resources:
    """The record of what the run created."""
    return run_state.resources


@pytest.fixture(scope="session")
def client_for(run_state: RunState) -> Iterator[ClientFactory]:
    """``client_for("primary")`` → the actor's client (skips as disabled when the actor is not configured)."""
    factory = ClientFactory(run_state)
    yield factory
    factory.close_all()


@pytest.fixture(scope="session")
def space_for(settings: Settings) -> Callable[[str], Space]:
    """``space_for("org")`` → the configured space (skips as disabled when it is not configured)."""

    def get(name: str) -> Space:
        if name not in settings.spaces:
            disabled(f"no [spaces.{name}] in the configuration")
        return settings.spaces[name]

    return get


@pytest.fixture(scope="session")
def corpus() -> list[MediaCase]:
    """The fixture media corpus."""
    try:
        return load_manifest()
    except ManifestError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def upload_cache(run_state: RunState) -> UploadCache:
    """Uploads made once per run and shared by the tests that check them (the summary reads their timings)."""
    return run_state.uploads


@pytest.fixture(scope="session")
def uploaded(client_for: ClientFactory, space_for: Callable[[str], Space], profile: Profile, resources: Resources,
             upload_cache: UploadCache, run_id: str) -> Callable[..., Upload]:
    """``uploaded(media, alias=True, actor="primary", space="primary")`` → the (cached) upload of ``media``."""

    def get(media: MediaCase, *, alias: bool = True, actor: str = "primary", space: str = "primary") -> Upload:
        if media.undecodable is not None:  # the user's file: the suite could judge nothing it answered
            disabled(f"the suite cannot decode this file ({media.undecodable}), so it was not sent")
        name = f"{run_id}-{alias_part(media.id)}" if alias else None
        try:
            result = upload_cache.get_or_upload(client_for(actor), actor, space_for(space), media, name,
                                                profile=profile, resources=resources)
        except TargetError as exc:  # the target did not answer: the check is undecided, not failed
            raise TargetError(f"upload of {media.id}: {exc}") from None
        client_for(actor).transcript.include(result.exchanges)
        return result

    return get
