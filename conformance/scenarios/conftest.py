"""Fixtures of the audio under test (``scenarios/_audio.py``), shared by the WAV scenarios and the read-only ones."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conformance.config import ExistingAudio, Space
from conformance.manifest import MediaCase
from conformance.outcomes import disabled
from conformance.pytest_fixtures import ClientFactory
from conformance.scenarios._audio import AudioUnderTest, Existing, existing_audio, uploaded_audio
from conformance.workflow import Upload


@pytest.fixture(scope="session")
def existing_reads() -> dict[ExistingAudio, Existing]:
    """Each named audio with what reading it gave, for the run (every check of it shares the answers)."""
    return {}


@pytest.fixture
def existing(request: pytest.FixtureRequest, space_for: Callable[[str], Space],
             existing_reads: dict[ExistingAudio, Existing]) -> Existing:
    """The named audio of this row (skips as disabled when the configuration names none)."""
    audio: ExistingAudio | None = request.param
    if audio is None:
        disabled("no [read_only] audios in the configuration")
    if audio not in existing_reads:
        existing_reads[audio] = Existing(audio=audio, space=space_for(audio.space))
    return existing_reads[audio]


@pytest.fixture
def audio(request: pytest.FixtureRequest, uploaded: Callable[..., Upload], client_for: ClientFactory,
          space_for: Callable[[str], Space], existing_reads: dict[ExistingAudio, Existing]) -> AudioUnderTest:
    """The audio of this row: the suite's upload of a corpus row, or a named existing audio."""
    row: MediaCase | ExistingAudio = request.param
    if isinstance(row, MediaCase):
        return uploaded_audio(row, lambda: uploaded(row), client_for("primary"))
    if row not in existing_reads:
        existing_reads[row] = Existing(audio=row, space=space_for(row.space))
    return existing_audio(existing_reads[row], client_for("primary"))
