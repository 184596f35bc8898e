"""What the run created on the target, and the sweep that deletes it at the end.

Every audio the suite creates is recorded here the moment the target answers with its handle. At session end the
sweep deletes them (when the target declares the delete capability), keeps going after a failure, and returns the
leak list for the report: resources the run created and could not delete.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from conformance.checks.transport import TransportFailure
from conformance.client import ApiClient
from conformance.config import Space
from conformance.http_stack import TargetError


@dataclass(frozen=True, slots=True)
class CreatedAudio:
    """An audio the run created, and who created it (the one who can delete it)."""

    actor: str
    space: Space
    handle: str


@dataclass(frozen=True, slots=True)
class Leak:
    """A created audio that is still on the target after the sweep, and why."""

    audio: CreatedAudio
    reason: str


class Resources:
    """Thread-safe record of created audios."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._created: dict[tuple[str, str, str], CreatedAudio] = {}

    def record(self, actor: str, space: Space, handle: str) -> None:
        """Remember an audio the run created."""
        with self._lock:
            self._created[(space.owner, space.space, handle)] = CreatedAudio(actor, space, handle)

    def forget(self, space: Space, handle: str) -> None:
        """An audio a scenario deleted itself."""
        with self._lock:
            self._created.pop((space.owner, space.space, handle), None)

    def created(self) -> list[CreatedAudio]:
        """Everything still recorded."""
        with self._lock:
            return list(self._created.values())

    def sweep(self, client_for: Callable[[str], ApiClient], *, can_delete: bool) -> list[Leak]:
        """Delete every recorded audio; return what could not be deleted."""
        leaks: list[Leak] = []
        for audio in self.created():
            if not can_delete:
                leaks.append(Leak(audio, "the target does not declare the delete capability"))
                continue
            try:
                response = client_for(audio.actor).delete_audio(audio.space, audio.handle)
            except (TargetError, TransportFailure) as exc:  # not answered, or stopped by the transport rules
                leaks.append(Leak(audio, (str(exc).splitlines() or [type(exc).__name__])[0]))
                continue
            if response.status_code in (200, 202, 204, 404):
                self.forget(audio.space, audio.handle)
            else:
                leaks.append(Leak(audio, f"DELETE answered {response.status_code}"))
        return leaks
