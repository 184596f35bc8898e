"""``conformance discover`` against the reference server playing each shipped variant gives that variant back.

Each variant is a conforming implementation choosing differently wherever the docs are silent. The server plays it;
the suite is told only the actors and spaces (``tests/discover/conftest.py``). For every key discovery can observe
(``conformance.discover.observable_keys``: all but the suite's own tolerances and thresholds, the limits with
``--probe-limits``) the discovered value must be the variant's, and nothing may be reported as an early finding.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.discover import LIMIT_KEYS, observable_keys
from conformance.discover.output import read
from conformance.discover.steps import reference_value
from conformance.profile import build_profile, variant_names
from tests.cli.test_cli import conformance
from tests.discover.conftest import playing, variant_profile

DISCOVER_BOUND_S = 300  # a hang guard, not a timing assertion


def limits_differ(name: str) -> bool:
    """Whether a variant sets any limit (then it is discovered with --probe-limits)."""
    profile, reference = variant_profile(name), build_profile()
    return any(reference_value(profile, key) != reference_value(reference, key) for key in LIMIT_KEYS)


CASES = [pytest.param(name, limits_differ(name), id=name) for name in ["reference", *variant_names()]]
CASES.append(pytest.param("reference", True, id="reference-limits"))


@pytest.mark.parametrize(("variant", "probe_limits"), CASES)
def test_discover_returns_the_variants_value_for_every_observable_key(variant: str, probe_limits: bool,
                                                                       tmp_path: Path) -> None:
    profile = variant_profile(variant)
    out = tmp_path / "discovered.toml"
    with playing(tmp_path / "target", profile) as config:
        done = conformance("discover", "--config", str(config), "--out", str(out),
                           *(["--probe-limits"] if probe_limits else []), cwd=tmp_path, timeout=DISCOVER_BOUND_S)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "EARLY FINDING" not in done.stdout, done.stdout
    assert done.stdout.strip().splitlines()[-1].startswith("DISCOVERED "), done.stdout
    found, provenance = read(out)
    wrong = {}
    for key in observable_keys(profile, probe_limits=probe_limits):
        head, _, sub = key.partition(".")
        value = found.get(head, {}).get(sub) if sub else found.get(head)
        if value != reference_value(profile, key):
            wrong[key] = (value, reference_value(profile, key), provenance.get(key))
    assert not wrong, f"{variant}: discovered, expected, provenance: {wrong}"
    observed = {key for key, origin in provenance.items() if origin == "observed"}
    assert observed, provenance
    if not probe_limits:
        assert not observed & set(LIMIT_KEYS), "limits are probed only when asked"
    assert "LEFT" not in done.stdout or not profile.has("delete"), "what discovery made is deleted"
