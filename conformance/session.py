"""The run's session: which settings, which target, and what is left behind.

- :func:`run_settings` is the one way a run's settings are loaded (configuration file, ``CONFORMANCE_*``, the
  command line and a shipped variant); the CLI uses it to refuse a bad configuration before pytest starts, the
  plugin to configure the run.
- :func:`check_target` is the one way a configured target is accepted: it answers, the primary actor and space
  are configured, and a ``--read-only`` run names the audios it may read.
- :func:`start` resolves the target of a run: the configured URL, or the embedded reference server (started once,
  by the xdist controller; a worker reads the configuration file the server wrote), and reads the version the
  target reports.
- :func:`sweep` deletes what the run created and says what it could not.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from conformance.checks import ConformanceFailure
from conformance.config import Settings, load_settings, require_existing_audios, require_identity
from conformance.discover import apply, discover
from conformance.discover.output import read as read_profile_file
from conformance.discover.output import to_toml as discovered_toml
from conformance.http_stack import TOTAL_TIMEOUT_FACTOR
from conformance.profile import build_profile, load_variant, to_toml
from conformance.pytest_fixtures import client_factory
from conformance.run_state import RunState
from conformance.target import embedded_reference, probe
from conformance.transport import GuardedTransport, RefusedToSend


def run_settings(config: str | None, *, target: str | None, budget: str | None, seed: int | None,
                 variant: str | None, media: Sequence[str] = ()) -> Settings:
    """The run's settings (a configuration named, else one found in the working directory; ``media``: the
    ``--media`` directories, added to its ``[media] dirs``); raises ``ConfigError`` or ``ProfileError`` with one
    sentence naming the problem."""
    overrides: dict[str, Any] = {"base_url": target, "budget": budget, "seed": seed}
    if variant:
        overrides["profile"] = load_variant(variant)
    return load_settings(config, overrides=overrides, discover_in=Path.cwd(), media=media)


def check_target(settings: Settings, *, read_only: bool, timeout: float) -> None:
    """A configured target answers (``TargetError`` if not), names its primary actor and space, and a read-only
    run names the audios it may read (``ConfigError`` if not)."""
    assert settings.base_url is not None
    probe(settings.base_url, timeout)
    require_identity(settings)
    if read_only:
        require_existing_audios(settings)


def start(state: RunState, *, faults: Sequence[str]) -> None:
    """Resolve the run's target into ``state.settings`` (raises ``TargetError``, ``ConfigError``, ``OSError`` or
    ``SubprocessError`` when it cannot; the caller closes ``state.stack``)."""
    settings = state.settings
    if state.handed.get("embedded_config"):
        settings = settings.with_target(load_settings(state.handed["embedded_config"], env={}))
        state.embedded = True
    elif settings.base_url is None:
        workdir = Path(state.stack.enter_context(tempfile.TemporaryDirectory(prefix="conformance-ref-")))
        server = state.stack.enter_context(
            embedded_reference(workdir, faults=list(faults), server_args=_playing(settings, workdir)))
        settings = settings.with_target(load_settings(server.config_path, env={}))
        state.embedded = True
        state.embedded_config = str(server.config_path)
    assert settings.base_url is not None
    if state.worker is None:
        check_target(settings, read_only=state.read_only, timeout=settings.timeout)
    else:
        require_identity(settings)
        if state.read_only:
            require_existing_audios(settings)
    state.settings = _with_discovered(state, settings)
    state.deadline_at = time.monotonic() + settings.deadline
    state.redactor.add(*settings.secrets())
    state.target_version = state.handed.get("target_version") if state.worker else target_version(
        settings.base_url, settings.timeout)


DISCOVERED_PROFILE = "discovered-profile.toml"


def _with_discovered(state: RunState, settings: Settings) -> Settings:
    """The run's settings with the discovered profile under the configured one: learned from the target now
    (``--discover``; written to the reports as ``discovered-profile.toml``), read from a file (``--profile``), or,
    on an xdist worker, as the controller handed it."""
    if state.worker is not None:
        state.discovered = dict(state.handed.get("discovered") or {})
    elif state.discover:
        state.redactor.add(*settings.secrets())
        found = discover(settings, probe_limits=state.probe_limits, redactor=state.redactor)
        state.discovered = found.observed_overrides()
        state.discovery = found.as_dict()
        state.reports_dir.mkdir(parents=True, exist_ok=True)
        (state.reports_dir / DISCOVERED_PROFILE).write_text(state.redactor(discovered_toml(found)), encoding="utf-8")
    elif state.profile_file is not None:
        state.discovered, _ = read_profile_file(state.profile_file)
        state.discovery = {"file": str(state.profile_file)}
    return apply(settings, state.discovered) if state.discovered else settings


def discovery_lines(state: RunState) -> list[str]:
    """What the console says about discovery before the first check: the early findings, and where the
    discovered profile is."""
    found = state.discovery
    if not found or "keys" not in found:
        return []
    lines = [f"EARLY FINDING {f['key']}: {f['observed']}; not learned, the run keeps {f['kept']!r}"
             for f in found["findings"]]
    counts: dict[str, int] = {}
    for row in found["keys"].values():
        counts[row["provenance"]] = counts.get(row["provenance"], 0) + 1
    told = ", ".join(f"{n} {name}" for name, n in sorted(counts.items()))
    lines.append(f"discovered profile: {told} keys from {found['requests']} requests "
                 f"({state.reports_dir / DISCOVERED_PROFILE}); configured values win")
    return lines


def _playing(settings: Settings, workdir: Path) -> list[str]:
    """The embedded reference server plays the run's profile when it is not the reference one (a variant, or a
    ``[profile]`` table of the configuration): the options that make it do so."""
    if settings.profile == build_profile():
        return []
    path = workdir / "profile.toml"
    path.write_text(to_toml(settings.profile), encoding="utf-8")
    return ["--profile", str(path)]


def target_version(base_url: str, timeout: float) -> str | None:
    """The version the target reports in its OpenAPI definition (``info.version``), when it serves one."""
    wait = min(timeout, 5.0)
    transport = GuardedTransport(origin=base_url, total_s=wait * TOTAL_TIMEOUT_FACTOR)  # bounded, like every read
    try:
        with httpx.Client(timeout=httpx.Timeout(wait), transport=transport) as client:
            response = client.get(f"{base_url}/openapi.json")
            version = response.json().get("info", {}).get("version") if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError, AttributeError, RecursionError, ConformanceFailure, RefusedToSend):
        return None
    return version if isinstance(version, str) else None


def sweep(state: RunState) -> None:
    """Delete what the run (or this worker) created; what could not be deleted becomes a leak row."""
    if state.settings.base_url is not None and state.resources.created():
        clients = client_factory(state)
        try:
            leaks = state.resources.sweep(clients, can_delete=state.settings.profile.has("delete"))
        finally:
            clients.close_all()
        state.leak_rows += [{"space": leak.audio.space.label, "handle": leak.audio.handle, "reason": leak.reason}
                            for leak in leaks]
    state.waits += [u.wait_s for u in state.uploads.all() if u.settled is not None]
