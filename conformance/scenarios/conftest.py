"""Fixtures of the audio under test (``scenarios/_audio.py``), shared by the WAV scenarios and the read-only ones."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conformance.config import ExistingAudio, Space
from conformance.listening import LISTENING_KEY, family_samples
from conformance.manifest import MediaCase
from conformance.outcomes import disabled
from conformance.pytest_fixtures import ClientFactory
from conformance.scenarios._audio import AudioUnderTest, Existing, existing_audio, uploaded_audio
from conformance.scenarios._support import accepted_corpus
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


@pytest.fixture(scope="session")
def samples_of_families(pytestconfig: pytest.Config) -> set[str]:
    """The corpus rows whose passing WAV verdicts the report shows and plays (one per media family)."""
    return family_samples([param.values[0] for param in accepted_corpus(pytestconfig)])  # type: ignore[misc]


@pytest.fixture
def audio(request: pytest.FixtureRequest, uploaded: Callable[..., Upload], client_for: ClientFactory,
          space_for: Callable[[str], Space], existing_reads: dict[ExistingAudio, Existing],
          samples_of_families: set[str]) -> AudioUnderTest:
    """The audio of this row: the suite's upload of a corpus row, or a named existing audio. What its WAV checks
    hear is kept in the item's stash for the report (``conformance/report_listen.py``)."""
    row: MediaCase | ExistingAudio = request.param
    if isinstance(row, MediaCase):
        made = uploaded_audio(row, lambda: uploaded(row), client_for("primary"), sample=row.id in samples_of_families)
    else:
        if row not in existing_reads:
            existing_reads[row] = Existing(audio=row, space=space_for(row.space))
        made = existing_audio(existing_reads[row], client_for("primary"))
    request.node.stash[LISTENING_KEY] = made.listening
    return made
