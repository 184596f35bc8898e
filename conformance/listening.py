"""What a WAV check listened to, kept for the report: the audio's media, the WAV the target returned (only once a
check has read it: the report never makes a request) and, once the same-sound oracle has spoken, its reading.

The audio under test (``scenarios/_audio.py``) fills it in as the checks read; the ``audio`` fixture puts it in
the test item's stash under :data:`LISTENING_KEY`, where ``conformance/report_listen.py`` finds it when the test's
report is made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conformance.checks.wav import SameSoundReading
    from conformance.manifest import MediaCase


@dataclass(slots=True)
class Listening:
    """One audio's sounds: ``media`` (the fixture it is the sound of, None when unknown), ``returned`` (the
    target's WAV, once read), ``reading`` (the same-sound oracle's, once it judged) and whether this audio is its
    media family's passing sample in the report (``sample``)."""

    label: str
    media: Callable[[], MediaCase | None]
    sample: bool = False
    returned: bytes | None = None
    reading: SameSoundReading | None = None


LISTENING_KEY = pytest.StashKey[Listening]()


def family_samples(cases: list[MediaCase]) -> set[str]:
    """The first case of each media family (container), in corpus order: the rows whose passing same-sound
    verdict the report shows. Deterministic, so that every xdist worker picks the same ones."""
    first: dict[str, str] = {}
    for case in cases:
        first.setdefault(case.container, case.id)
    return set(first.values())
