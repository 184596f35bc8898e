"""The wire itself: redirects stay within the target's origin, and answers within their bounds (TRANSPORT-*).

The run's transport (``conformance/transport.py``) decides both on every exchange, whoever makes it: a redirect to
another origin, or an answer larger than it may legitimately be, fails the check that made the request under its
own requirement (and leaves that check's requirement undecided). These scenarios make both requirements decided in
every run by making one request of each kind the workflow makes (the caller, a list, an audio's details and its
WAV): a sound target passes them, and a misbehaving one fails them by the right id.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from conformance.manifest import MediaCase
from conformance.pytest_fixtures import ClientFactory
from conformance.scenarios._support import require_created
from conformance.workflow import Upload

Uploaded = Callable[..., Upload]
MEDIA = "wav-pcm16-16k-mono"  # small, lossless, accepted by every profile of the corpus


def _reads(uploaded: Uploaded, corpus: list[MediaCase], client_for: ClientFactory) -> list[httpx.Response]:
    """One answer of each kind: the caller, the space's list, the details and the WAV of an upload."""
    media = next((case for case in corpus if case.id == MEDIA), None) or next(c for c in corpus if c.accepted)
    upload = uploaded(media)
    handle = require_created(upload)["handle"]
    client = client_for("primary")
    return [client.get_user(), client.list_audios(upload.space, page_size=1), client.get_audio(upload.space, handle),
            client.get_audio_file(upload.space, handle)]


@pytest.mark.requirement("TRANSPORT-REDIRECT-ORIGIN")
def test_answers_come_from_the_target_origin(uploaded: Uploaded, corpus: list[MediaCase],
                                             client_for: ClientFactory) -> None:
    """Every read is answered from the configured origin: the transport follows a redirect only within it and
    fails this requirement (``redirect_stays_in_origin``) on one elsewhere, which it does not follow."""
    _reads(uploaded, corpus, client_for)


@pytest.mark.requirement("TRANSPORT-RESPONSE-BOUNDED")
def test_answers_are_within_their_bounds(uploaded: Uploaded, corpus: list[MediaCase],
                                         client_for: ClientFactory) -> None:
    """Every read's answer is within its limit (JSON a few MiB, the WAV the profile's longest audio): the transport
    stops reading at the first byte over and fails this requirement (``answer_is_bounded``)."""
    _reads(uploaded, corpus, client_for)
