"""A discovered profile never makes a faulty target conform: against every planted fault, discovery learns nothing
but the reference server's own values, and reports what it saw of the fault as an early finding.

This is the reduction behind ``conformance selftest --discover``: when discovery against a fault returns the
reference profile, the certification run that follows judges by the same profile as the plain kill matrix, which
kills every fault by its own requirement (``tests/selftest/``). ``tests/discover/test_selftest_discover.py`` then
runs the real thing over the faults discovery sees.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conformance.config import load_settings
from conformance.discover import discover, profile_keys
from conformance.discover.steps import reference_value
from conformance.profile import build_profile
from conformance.target import embedded_reference

LIMIT_FAULTS = {"oversize-accepted": "max_file_bytes", "too-long-accepted": "max_duration_s",
                "low-rate-accepted": "min_sample_rate"}
SEEN = {
    "foreign-space-readable": "hide_existence",
    "corrupt-upload-accepted": "reject_statuses.undecodable",
    "auth-missing-accepted": "unauthenticated_statuses",
    "client-error-500": "reject_statuses.bad_base64",
    "page-size-limit-ignored": "invalid_request_statuses",
    "sort-ignored": "list_sort_descending",
    "delete-noop": "deleted_statuses",
    "use-after-delete": "deleted_statuses",
    "raw-upload-twice-allowed": "conflict_statuses",
    "undocumented-state": "processing",
    **LIMIT_FAULTS,
}
"""The faults whose behaviour discovery's probes meet, and the key whose early finding reports each."""


def catalogue() -> list[str]:
    listing = subprocess.run([sys.executable, "-m", "conformance.reference", "faults"], capture_output=True,
                             text=True, check=True, timeout=60).stdout
    return [line.split("\t", 1)[0] for line in listing.splitlines()]


FAULTS = catalogue()


def test_the_table_names_only_planted_faults() -> None:
    assert set(SEEN) <= set(FAULTS)


@pytest.mark.parametrize("fault", [f if f in SEEN else pytest.param(f, marks=pytest.mark.nightly) for f in FAULTS])
def test_discovery_against_a_fault_learns_only_the_reference_values(fault: str, tmp_path: Path) -> None:
    limits = fault in LIMIT_FAULTS
    with embedded_reference(tmp_path, faults=[fault]) as server:
        found = discover(load_settings(server.config_path, env={}), probe_limits=limits)
    reference = build_profile()
    learned = {key: decision.value for key, decision in found.decisions.items()
               if decision.value != reference_value(reference, key)}
    assert not learned, f"{fault}: discovery learned {learned}"
    assert set(found.decisions) == set(profile_keys(reference)), "every key is decided"
    keys = {finding.key for finding in found.findings}
    if fault in SEEN:
        assert SEEN[fault] in keys, f"{fault}: findings {[f.line() for f in found.findings]}"
        assert found.decisions[SEEN[fault]].provenance == "defaulted"
    assert not found.leftovers, found.leftovers


def test_the_correct_server_gives_no_finding(tmp_path: Path) -> None:
    with embedded_reference(tmp_path) as server:
        found = discover(load_settings(server.config_path, env={}), probe_limits=True)
    assert not found.findings, [f.line() for f in found.findings]
    assert found.requests <= 400
