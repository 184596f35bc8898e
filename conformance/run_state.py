"""What one run knows, in one place: the validated settings, the redactor, the results so far, the target's facts.

The plugin creates the :class:`RunState` at configure time and keeps it in ``config.stash`` under
:data:`STATE_KEY` (never a module global, so two runs in one process cannot see each other's). The fixtures, the
reports and the scenarios read it from there; this module imports none of them, so nothing imports the plugin.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conformance.certification import Certification
from conformance.config import Settings
from conformance.http_stack import HangGuard, RequestStats, TargetError, Throttle
from conformance.manifest import MediaCase
from conformance.redaction import Redactor
from conformance.resources import Resources
from conformance.transcript import Transcript
from conformance.waivers import Waiver
from conformance.workflow import UploadCache

#: The key under which pytest-xdist hands the controller's facts to a worker, and a worker's back.
WORKER_INPUT = "conformance"


def now() -> str:
    """The current UTC time, as certification.json writes it."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(slots=True)
class RunState:
    """Everything one run knows, shared by the fixtures and the reporting hooks."""

    settings: Settings
    redactor: Redactor
    run_id: str
    reports_dir: Path
    transcript: Transcript = field(default_factory=Transcript)
    resources: Resources = field(default_factory=Resources)
    results: list[dict[str, Any]] = field(default_factory=list)
    started: str = field(default_factory=now)
    stack: ExitStack = field(default_factory=ExitStack)
    embedded: bool = False
    waivers: dict[str, Waiver] = field(default_factory=dict)
    hang_guard: HangGuard = field(default_factory=HangGuard)
    uploads: UploadCache = field(default_factory=UploadCache)
    target_version: str | None = None
    certification: Certification | None = None
    summary: dict[str, Any] | None = None  # certification.json's content, once written
    worker: str | None = None  # the xdist worker id ("gw0"), None on the controller or in a serial run
    read_only: bool = False
    configuration: str = "defaults"  # where the settings came from: a file, pyproject.toml, or the defaults
    partial: bool = False  # the user selected a subset of the checks (-k, -m): no level is claimed
    throttle: Throttle = field(default_factory=Throttle)
    stats: RequestStats = field(default_factory=RequestStats)
    handed: dict[str, Any] = field(default_factory=dict)  # what the xdist controller handed this worker
    embedded_config: str | None = None  # the embedded server's configuration file (handed to workers)
    leak_rows: list[dict[str, str]] = field(default_factory=list)  # leaks reported by workers
    waits: list[float] = field(default_factory=list)  # workers' time-to-available samples
    deadline_at: float | None = None  # time.monotonic() when the run's deadline passes
    shard: tuple[int, int] | None = None  # --shard K/N: this run certifies the K-th of N shares of the checks
    shard_out: set[str] = field(default_factory=set)  # node ids left to the other shards (not the user's choice)
    discover: bool = False  # --discover: infer the profile from the target before the first check
    probe_limits: bool = False  # --probe-limits: discovery bisects the media limits too
    profile_file: Path | None = None  # --profile FILE: a discovered profile, under the configured values
    discovered: dict[str, Any] = field(default_factory=dict)  # the profile values learned (or read from the file)
    discovery: dict[str, Any] | None = None  # what discovery saw (certification.json's ``discovery``)
    user_media: tuple[MediaCase, ...] = ()  # the user's recordings (--media, [media] dirs), probed at configure
    heard: dict[str, str] = field(default_factory=dict)  # report.html: the first row playing each audio's sounds


class RunDeadline(TargetError):
    """The run's ``deadline`` passed before this check started: it could not be decided."""


STATE_KEY = pytest.StashKey[RunState]()
