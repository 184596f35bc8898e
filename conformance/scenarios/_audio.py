"""The audio under test: what the details and WAV scenarios judge, whoever made it.

The guide's validation step (https://docs.loccus.ai/guides/upload-an-audio: read the details, retrieve the stored
binary and listen to it) is the same for an audio the suite uploaded from a corpus row and for one that already
exists on the target (``[read_only] audios``, the only audios a ``--read-only`` run may touch). Both become an
:class:`AudioUnderTest`, so ``scenarios/test_details.py`` and ``scenarios/test_file.py`` are written once and run
over both kinds: the rows of the ``audios_under_test`` source (``conformance/rows.py``) are the accepted corpus
rows and then the named audios, the latter marked ``readonly``. Each kind keeps its own preconditions: an upload
must have been created and become available (``create_step_created``, ``processing_step_settled``), a named
audio's details must answer (``details_of``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from _pytest.mark.structures import ParameterSet

from conformance import rows
from conformance.checks.audio import details_equal_created, details_equal_listed, details_of, has_every_field
from conformance.checks.wav import file_answered_in_time, file_answers_wav
from conformance.client import ApiClient
from conformance.config import ExistingAudio, Space
from conformance.http_stack import TargetDown, TargetError
from conformance.listening import Listening
from conformance.manifest import ManifestError, MediaCase, load_manifest
from conformance.run_state import STATE_KEY
from conformance.scenarios._support import accepted_corpus, require_created, require_settled
from conformance.workflow import Upload, fetch_file, list_all


@dataclass(slots=True)
class Existing:
    """A named audio and what reading it gave, fetched once per run (every check of it shares the answers)."""

    audio: ExistingAudio
    space: Space
    details: httpx.Response | None = None
    file: httpx.Response | None = None
    errors: dict[str, TargetError] = field(default_factory=dict)

    def fetch(self, what: str, call: Callable[[], httpx.Response]) -> httpx.Response:
        """The cached answer, or make the call; a transport failure is remembered and raised again."""
        if what in self.errors:
            raise self.errors[what]
        if getattr(self, what) is None:
            try:
                setattr(self, what, call())
            except TargetError as exc:
                self.errors[what] = exc
                raise
        response = getattr(self, what)
        assert response is not None
        return response

    def read_details(self, client: ApiClient) -> dict[str, Any]:
        """The audio's details (200 and a JSON object of this handle), or its AUD-DETAILS-200 precondition fails."""
        response = self.fetch("details", lambda: client.get_audio(self.space, self.audio.handle))
        return details_of(response, self.audio.handle)


@dataclass(frozen=True, slots=True)
class AudioUnderTest:
    """An audio's details and stored file, read the way its kind is read, and ``media``: the fixture it is the
    sound of (None: a named audio whose configuration names no fixture). Each is read when a check first asks,
    inside the check, so that a target that fails to answer leaves that check undecided, not its setup."""

    label: str
    media: Callable[[], MediaCase | None]
    details: Callable[[], dict[str, Any]]  # the audio once processed
    file: Callable[[], httpx.Response]
    answer: Callable[[], dict[str, Any]]  # the audio as the target first showed it (create's answer, or details)
    read_details: Callable[[], dict[str, Any]]  # GET .../audios/{audio}, judged by AUD-DETAILS-200
    timestamped: Callable[[], Iterator[tuple[dict[str, Any], bool]]]  # each view with "must it be uploaded?"
    listening: Listening  # what the WAV checks heard, for the report

    def wav(self) -> bytes:
        """The stored WAV: the file endpoint must answer in time (a hang there is its failure, WAV-GET-200) with
        a WAV; a target that stopped answering altogether leaves the check undecided."""
        response, error = None, None
        try:
            response = self.file()
        except TargetDown:
            raise  # not this endpoint: the whole target stopped answering (undecided)
        except TargetError as exc:
            error = exc
        file_answered_in_time(error)
        assert response is not None
        if response.status_code == 200:
            self.listening.returned = response.content
        return file_answers_wav(response)


def uploaded_audio(media: MediaCase, upload: Callable[[], Upload], client: ApiClient, *,
                   sample: bool = False) -> AudioUnderTest:
    """An upload of the suite (``upload``: the run's cached upload of ``media``): its first answer is create's,
    its details are the processed audio, its file is read once per run."""

    def file() -> httpx.Response:
        made = upload()
        require_settled(made)
        return fetch_file(client, made)

    def read_details() -> dict[str, Any]:
        """The details equal what create answered (processing may fill in state and media fields); on an
        asynchronous target the processed fields equal the listed audio's."""
        made = upload()
        created = require_created(made)
        settled = created.get("state") == "available"
        details = details_equal_created(client.get_audio(made.space, created["handle"]), created, settled=settled)
        has_every_field(details)
        if not settled and made.settled is not None:
            found = list_all(client, made.space, search=created["handle"])
            details_equal_listed(details, next((i for i in found if i.get("handle") == created["handle"]), None))
        return details

    def timestamped() -> Iterator[tuple[dict[str, Any], bool]]:
        created = require_created(upload())
        yield created, created.get("state") == "available"
        yield require_settled(upload()), True

    return AudioUnderTest(label=media.id, media=lambda: media, details=lambda: require_settled(upload()), file=file,
                          answer=lambda: require_created(upload()), read_details=read_details,
                          timestamped=timestamped, listening=Listening(media.id, lambda: media, sample=sample))


def existing_audio(existing: Existing, client: ApiClient) -> AudioUnderTest:
    """A named audio: its details and file are read once per run, shared by every check of it."""
    audio = existing.audio

    def timestamped() -> Iterator[tuple[dict[str, Any], bool]]:
        details = existing.read_details(client)
        yield details, details.get("state") == "available"

    def media() -> MediaCase | None:
        return fixture_media(audio.media) if audio.media is not None else None

    return AudioUnderTest(
        label=audio.handle, media=media,
        details=lambda: existing.read_details(client),
        file=lambda: existing.fetch("file", lambda: client.get_audio_file(existing.space, audio.handle)),
        answer=lambda: existing.read_details(client), read_details=lambda: existing.read_details(client),
        timestamped=timestamped, listening=Listening(audio.handle, media))


def fixture_media(media_id: str) -> MediaCase:
    """The fixture a named audio says it is the sound of (``[read_only] audios``, key ``media``)."""
    try:
        cases = {case.id: case for case in load_manifest()}
    except ManifestError as exc:
        pytest.fail(str(exc), pytrace=False)
    if media_id not in cases:
        pytest.fail(f"[read_only] names media {media_id!r}, which is not a fixture id", pytrace=False)
    return cases[media_id]


def _named(config: pytest.Config) -> list[ExistingAudio]:
    state = config.stash.get(STATE_KEY, None)
    return list(state.settings.existing_audios) if state is not None else []


@rows.source("existing_audios")
def existing_audios(config: pytest.Config) -> list[ParameterSet]:
    """One row per named audio (ids ``audio0``, ``audio1``…: stable across runs, whatever the handles); a single
    ``none-named`` row, skipped as disabled, when the configuration names none."""
    named = _named(config)
    if not named:
        return [pytest.param(None, id="none-named")]
    return [pytest.param(audio, id=f"audio{i}") for i, audio in enumerate(named)]


@rows.source("audios_under_test")
def audios_under_test(config: pytest.Config) -> list[ParameterSet]:
    """The accepted corpus rows (uploaded by the suite), then the named audios (read only)."""
    return [*accepted_corpus(config),
            *(pytest.param(audio, id=f"audio{i}", marks=[pytest.mark.readonly])
              for i, audio in enumerate(_named(config)))]
