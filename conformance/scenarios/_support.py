"""Shared helpers for the scenario modules: corpus rows for parametrization and workflow preconditions.

A precondition that does not hold fails with the requirement it belongs to (e.g. ``AUD-CREATE-201``), so the
report blames the step that broke, and the dependent requirement is rolled up as "could not be decided".
"""

from __future__ import annotations

from typing import Any

from conformance.checks import fail
from conformance.manifest import ManifestError, MediaCase, load_manifest
from conformance.workflow import Upload


def _corpus() -> list[MediaCase]:
    try:
        return load_manifest()
    except ManifestError:
        return []  # the `corpus` fixture reports the error; collection must not crash


def accepted_media() -> list[MediaCase]:
    """Manifest rows a conforming target accepts."""
    return [case for case in _corpus() if case.accepted]


def rejected_media() -> list[MediaCase]:
    """Manifest rows a conforming target refuses."""
    return [case for case in _corpus() if not case.accepted]


def media_id(case: MediaCase) -> str:
    """Test ids are the fixture ids."""
    return case.id


def require_created(upload: Upload) -> dict[str, Any]:
    """The create answer's audio, or a failure of the create step."""
    if upload.created is None or upload.handle is None:
        fail("AUD-CREATE-201", f"precondition: uploading {upload.media.id} did not create an audio",
             received=f"{upload.response.status_code} {upload.response.content[:200]!r}", expected="201 audio")
    return upload.created


def require_settled(upload: Upload) -> dict[str, Any]:
    """The processed audio (`available`), or a failure of the processing step."""
    require_created(upload)
    if upload.settled is None or upload.settled.get("state") != "available":
        state = (upload.settled or {}).get("state")
        fail("AUD-STATE-AVAILABLE", f"precondition: {upload.media.id} did not become available",
             received=f"state {state!r} {'; '.join(upload.problems)}", expected="available")
    return upload.settled
