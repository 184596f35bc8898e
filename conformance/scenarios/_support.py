"""Shared helpers for the scenario modules: corpus rows for parametrization and workflow preconditions.

Which corpus rows a target must accept depends on its profile's limits (``conformance.manifest.expected_verdict``),
and the profile is known only once pytest is configured, so tests over "every accepted row" are parametrized at
collection by :func:`pytest_generate_tests` (a module opts in by importing it and decorating tests with
:func:`accepted_rows`).

A precondition that does not hold fails with the requirement it belongs to (e.g. ``AUD-CREATE-201``), so the
report blames the step that broke, and the dependent requirement is rolled up as "could not be decided".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from conformance.checks.audio import create_step_created, processing_step_settled
from conformance.manifest import ManifestError, MediaCase, Verdict, expected_verdict, for_profile, load_manifest
from conformance.plugin import STATE_KEY
from conformance.profile import Profile, build_profile
from conformance.workflow import Upload

F = TypeVar("F", bound=Callable[..., Any])


def _corpus() -> list[MediaCase]:
    try:
        return load_manifest()
    except ManifestError:
        return []  # the `corpus` fixture reports the error; collection must not crash


def accepted_media() -> list[MediaCase]:
    """Committed manifest rows the reference profile accepts (for scenarios that need any valid file)."""
    return [case for case in _corpus() if case.accepted and not case.generated]


def profile_of(config: pytest.Config) -> Profile:
    """The configured target's profile (the reference profile outside a certification run)."""
    state = config.stash.get(STATE_KEY, None)
    return state.settings.profile if state is not None else build_profile()


def judged_corpus(profile: Profile) -> list[tuple[MediaCase, Verdict]]:
    """Every corpus row as a target with ``profile`` sees it (generated rows sized for it), with its verdict."""
    return [(case, expected_verdict(case, profile)) for case in for_profile(_corpus(), profile)]


def accepted_rows(function: F) -> F:
    """Run this test once per corpus row the configured profile accepts (argument ``media``)."""
    function.corpus_rows = "accepted"  # type: ignore[attr-defined]
    return function


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize :func:`accepted_rows` tests over the rows the profile accepts; ids are the fixture ids."""
    if getattr(metafunc.function, "corpus_rows", None) == "accepted":
        cases = [case for case, verdict in judged_corpus(profile_of(metafunc.config)) if verdict.accepted]
        metafunc.parametrize("media", cases, ids=media_id)


def media_id(case: MediaCase) -> str:
    """Test ids are the fixture ids."""
    return case.id


def require_created(upload: Upload) -> dict[str, Any]:
    """The create answer's audio, or a failure of the create step."""
    return create_step_created(upload.response, upload.created, f"uploading {upload.media.id}")


def require_settled(upload: Upload) -> dict[str, Any]:
    """The processed audio (`available`), or a failure of the processing step."""
    require_created(upload)
    return processing_step_settled(upload.settled, "; ".join(upload.problems), upload.media.id, "")
