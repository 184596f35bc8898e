"""Planted faults killed by the checks of their area: the ci tier's kill matrix (``README.md``, "The project's
tests"), in runs that select the scenario module meeting the fault (``-k``; a selected run is ``PARTIAL`` and still
fails, ``tests/cli/test_selection.py``), each its own test so that xdist spreads them:

- on the reference profile, the catalogue's first fault of each family (the prefix of its first requirement id);
- for every shipped profile variant, the reference server playing it with a fault where the variant chooses
  differently.

The whole catalogue in whole runs is ``test_fault_kills.py`` in the full tier; each variant's control run (zero
false failures) is ``tests/cli/test_variants.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.profile import variant_names
from conformance.selftest import catalogue, run_variant
from tests.selftest.test_fault_kills import NEEDED, ci_faults, family

FAULTS = {fault.name: fault for fault in catalogue()}
AREAS = {
    "ACCESS": "test_access", "AUD": "test_upload", "AUTH": "test_auth", "DELETE": "test_delete",
    "ERR": "test_rejections", "KEYS": "test_credentials", "LIST": "test_list", "MEDIA": "test_rejections",
    "PATCH": "test_patch", "PROP": "test_properties", "RAW": "test_raw_upload", "WAV": "test_file",
}
"""Per family, the scenario module that checks its requirements."""
FAMILY_FIRSTS = [fault for fault in ci_faults(list(FAULTS.values())) if fault.name not in NEEDED]
VARIANT_KILLS = {
    "ascending-only": ("pages-overlap", "test_list"),
    "async": ("wav-stereo", "test_file"),
    "async-403": ("foreign-space-readable", "test_access"),
    "colon-sort": ("sort-ignored", "test_list"),
    "forbidden-403": ("no-www-authenticate", "test_auth"),
    "gone-after-delete": ("delete-noop", "test_delete"),
    "hidden-403": ("cross-space-audio", "test_access"),
    "minimal": ("patch-not-stored", "test_patch"),
    "null-file": ("raw-upload-twice-allowed", "test_raw_upload"),
    "other-statuses": ("client-error-500", "test_rejections"),
}
"""Per shipped variant, a fault where the variant chooses differently (sort syntax, 403, deletion statuses, the
file-less create, the refusal statuses, the challenge), so a check tuned to the reference's choice would miss it;
and the scenario module that meets it. The run selects that module (``-k``): a selected run is ``PARTIAL`` and
still fails (``tests/cli/test_selection.py``), and a whole run per variant is ``tests/cli/test_variants.py``."""


def test_every_family_has_an_area() -> None:
    assert {family(fault) for fault in FAULTS.values()} == set(AREAS)


@pytest.mark.slow
@pytest.mark.parametrize("fault", FAMILY_FIRSTS, ids=lambda f: f.name)
def test_each_family_s_first_fault_is_killed_by_its_own_requirement(fault, tmp_path: Path) -> None:  # noqa: ANN001
    outcome = run_variant(fault, tmp_path, "quick", ["-k", AREAS[family(fault)]])
    assert outcome.killed, outcome


def test_every_shipped_variant_has_a_fault_to_kill() -> None:
    assert set(VARIANT_KILLS) == set(variant_names())
    assert {fault for fault, _ in VARIANT_KILLS.values()} <= set(FAULTS)


@pytest.mark.slow
@pytest.mark.parametrize("variant", sorted(VARIANT_KILLS))
def test_a_fault_is_killed_under_each_shipped_variant(variant: str, tmp_path: Path) -> None:
    """The reference server playing ``variant``, with its fault planted: killed by the fault's own requirement
    (the variant's control run, zero false failures, is ``tests/cli/test_variants.py``)."""
    name, module = VARIANT_KILLS[variant]
    fault = FAULTS[name]
    outcome = run_variant(fault, tmp_path, "quick", ["--variant", variant, "-k", module])
    assert outcome.killed, outcome
