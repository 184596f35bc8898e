"""``conformance run --discover`` certifies the reference server playing each shipped variant, with zero false
failures, judging by the variant's own profile.

The suite is told the actors and spaces, and only the keys of the variant discovery cannot observe (the suite's
tolerances, a session lifetime, the limits unless ``--probe-limits``): exactly what a user of such a deployment
has to configure. Everything else comes from discovery, and the profile the run judged by must then be the
variant's own, key for key (the poll interval and processing timeout of an asynchronous target are derived from
what discovery timed, so they are only required to work). ``certification.json`` says where each value came from.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.certification import CHOICE_REQUIREMENTS
from conformance.discover import LIMIT_KEYS, NOT_OBSERVABLE, TOLERANCES, profile_keys
from conformance.discover.steps import reference_value
from conformance.profile import build_profile, variant_names
from tests.cli.test_cli import conformance
from tests.discover.conftest import playing, profile_table, variant_profile
from tests.discover.test_discover_variants import limits_differ

RUN_BOUND_S = 900  # a hang guard, not a timing assertion
DERIVED = {"poll_interval_s", "processing_timeout_s"}
ALLOWED = {"pass", "unsupported"}


def unobservable_values(name: str, *, probe_limits: bool) -> dict[str, object]:
    """The keys of variant ``name`` that differ from the reference and discovery cannot see."""
    profile, reference = variant_profile(name), build_profile()
    hidden = set(NOT_OBSERVABLE) | set(TOLERANCES) | (set() if probe_limits else set(LIMIT_KEYS))
    return {key: reference_value(profile, key) for key in profile_keys(profile)
            if key in hidden - DERIVED and reference_value(profile, key) != reference_value(reference, key)}


CI_VARIANTS = ("reference",)
"""The variants ``tox`` runs through ``run --discover``; the rest run in the full tier (``--tier=full``). Discovery
of every variant's values is ``test_discover_variants.py``, in both tiers."""


@pytest.mark.parametrize("variant", [v if v in CI_VARIANTS else pytest.param(v, marks=pytest.mark.nightly)
                                     for v in ("reference", *variant_names())])
@pytest.mark.slow
def test_run_discover_conforms_and_judges_by_the_variants_profile(variant: str, tmp_path: Path) -> None:
    profile = variant_profile(variant)
    probe_limits = limits_differ(variant)
    configured = unobservable_values(variant, probe_limits=probe_limits)
    reports = tmp_path / "reports"
    extra = profile_table(configured) if configured else ""
    with playing(tmp_path / "target", profile, extra=extra) as config:
        done = conformance("run", "--discover", *(["--probe-limits"] if probe_limits else []), "--config",
                           str(config), "--reports", str(reports), "-p", "no:cacheprovider", cwd=tmp_path,
                           timeout=RUN_BOUND_S)
    summary = json.loads((reports / "certification.json").read_text(encoding="utf-8"))
    wrong = {rid: row["outcome"] for rid, row in summary["requirements"].items() if row["outcome"] not in ALLOWED}
    assert not wrong, f"{variant}: {wrong}\n{done.stdout[-3000:]}"
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1].startswith("CONFORMS"), done.stdout[-500:]
    assert "EARLY FINDING" not in done.stdout
    judged = build_profile({k: v for k, v in summary["profile"].items() if k != "serve"})
    differs = {key: (reference_value(judged, key), reference_value(profile, key)) for key in profile_keys(profile)
               if key not in DERIVED and reference_value(judged, key) != reference_value(profile, key)}
    assert not differs, f"{variant}: judged by, variant: {differs}"
    unsupported = {rid for rid, row in summary["requirements"].items() if row["outcome"] == "unsupported"}
    if all(profile.capabilities.values()) and profile.has_descending_sort:
        assert not unsupported - CHOICE_REQUIREMENTS, f"{variant}: {sorted(unsupported)} were unsupported"
        assert summary["level"] == "Full", "a conforming choice never caps the level"
    origins = summary["profile_provenance"]
    assert all(origins[key] == "configured" for key in configured), origins
    assert origins["processing"] == "discovered"
    assert summary["discovery"]["requests"] <= summary["discovery"]["max_requests"]
    assert (reports / "discovered-profile.toml").is_file()
