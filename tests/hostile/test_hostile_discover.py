"""``conformance discover`` against a front that misbehaves on every GET it sends, one behaviour per test.

Discovery goes through the suite's one client and transport, so a hostile target gets from it what it gets from a
run: a bounded, timely end (exit 0 with a profile, or 2 with one sentence), bounded memory, no token handed to
another origin, no secret in any output. A probe the transport stopped (a bomb, an endless or a short body, a
redirect elsewhere) decides nothing: it is never an early finding (the run judges the transport by its own
requirements), and the profile file still loads.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.discover.output import read
from conformance.target import EmbeddedServer, embedded_reference
from tests.hostile.kit import ANY, BEHAVIOURS, Catcher, Front, GiB, front_config, leaked, run_suite, secrets_of

TIMEOUT_S = 2.0
BOUND_S = 120.0  # a hang guard: killed, and failed, beyond it
STOPPED_BY_THE_TRANSPORT = {"cross-origin-redirect", "gzip-bomb", "endless-body", "huge-json", "short-body"}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    with embedded_reference(tmp_path_factory.mktemp("reference")) as server:
        yield server


@pytest.mark.parametrize("behaviour", sorted(BEHAVIOURS))
def test_discover_against_a_hostile_target_ends_bounded_and_keeps_secrets(behaviour: str, reference: EmbeddedServer,
                                                                           tmp_path: Path) -> None:
    upstream = tomllib.loads(reference.config_path.read_text(encoding="utf-8"))["base_url"]
    front = Front(upstream=upstream, behaviour=dataclasses.replace(BEHAVIOURS[behaviour], route=ANY))
    out = tmp_path / "reports" / "discovered.toml"
    with Catcher().running() as catcher, front.running():
        front.catcher = catcher
        config = front_config(reference.config_path, front, tmp_path / "front.toml", timeout=TIMEOUT_S)
        run = run_suite("discover", "--config", str(config), "--out", str(out), timeout=BOUND_S, kill_rss=2 * GiB,
                        cwd=tmp_path)
    assert not run.killed, run.killed
    assert run.peak_rss <= GiB, f"peak RSS {run.peak_rss / 2**20:.0f} MiB"
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert catcher.authorizations == [], catcher.requests
    assert front.hits > 0
    assert not leaked(tmp_path / "reports", secrets_of(reference.config_path), run.stdout, run.stderr)
    if run.returncode == 2:  # the target did not even answer the first probe in time
        assert len([line for line in run.stderr.splitlines() if not line.startswith("conformance: discover:")]) == 1
        return
    assert run.returncode == 0, run.stderr[-2000:]
    found, provenance = read(out)
    assert provenance, "every key is decided"
    if behaviour in STOPPED_BY_THE_TRANSPORT:
        assert "EARLY FINDING" not in run.stdout, run.stdout
        assert "no usable answer" in out.read_text(encoding="utf-8")
