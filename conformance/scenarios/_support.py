"""Shared helpers for the scenario modules: corpus rows for parametrization and workflow preconditions.

Which corpus rows a target must accept depends on its profile's limits (``conformance.manifest.expected_verdict``),
so tests over "every accepted row" carry ``@accepted_rows``, a ``rows`` marker over the ``accepted_corpus`` source
(``conformance/rows.py``). The user's own recordings (``--media DIR``, ``conformance/user_media.py``) are rows of
the same kind, judged the same way, after the fixtures; one the suite cannot decode is a row of the accepted
source too, so that each of its checks reports it (as disabled, never sent) under its name.

A precondition is the registered check of the step it belongs to (e.g. ``create_step_created``, AUD-CREATE-201),
so the report blames the step that broke, and the dependent requirement is rolled up as "could not be decided".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import pytest
from _pytest.mark.structures import ParameterSet

from conformance import rows
from conformance.checks.audio import create_step_created, processing_step_settled
from conformance.manifest import ManifestError, MediaCase, Verdict, expected_verdict, for_profile, load_manifest
from conformance.profile import Profile, build_profile
from conformance.run_state import STATE_KEY
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


def user_media(config: pytest.Config) -> tuple[MediaCase, ...]:
    """The user's recordings of this run (none outside a certification run)."""
    state = config.stash.get(STATE_KEY, None)
    return state.user_media if state is not None else ()


def judged_corpus(profile: Profile, recordings: Sequence[MediaCase] = ()) -> list[tuple[MediaCase, Verdict]]:
    """Every corpus row as a target with ``profile`` sees it (generated rows sized for it), then every decodable
    recording of the user's, with its verdict."""
    cases = [*for_profile(_corpus(), profile), *(case for case in recordings if case.undecodable is None)]
    return [(case, expected_verdict(case, profile)) for case in cases]


def media_row(case: MediaCase) -> ParameterSet:
    """A corpus row as a test parameter: its id is the fixture id, or the user file's name (which the reports'
    facts repeat, with where it came from)."""
    marks = [pytest.mark.facts(media=case.id, origin="user")] if case.user else []
    return pytest.param(case, id=case.id, marks=marks)


@rows.source("accepted_corpus")
def accepted_corpus(config: pytest.Config) -> list[ParameterSet]:
    """The corpus rows the configured profile accepts, then the user's recordings it accepts and those the suite
    cannot decode (their checks are disabled)."""
    recordings = user_media(config)
    judged = judged_corpus(profile_of(config), recordings)
    return [*(media_row(case) for case, verdict in judged if verdict.accepted),
            *(media_row(case) for case in recordings if case.undecodable is not None)]


#: Run a test once per corpus row the configured profile accepts (argument ``media``).
accepted_rows = pytest.mark.rows("media", "accepted_corpus")


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
