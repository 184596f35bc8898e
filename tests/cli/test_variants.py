"""The verdict is portable: the whole quick suite against the reference server playing each shipped variant.

Each variant in ``conformance/profiles/variants/`` is a conforming implementation that chooses differently wherever
the docs are silent (403 vs 404, asynchronous processing, the file-less create form, the sort syntax, other
statuses, capabilities off, ...). ``conformance run --variant NAME`` makes the embedded reference server play it
and certifies it with that same profile; a conforming target must get zero failed, warned, undecided or errored
requirements. Only what the profile declares unsupported may be missing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.certification import CHOICE_REQUIREMENTS
from conformance.profile import build_profile, load_variant, variant_names
from tests.cli.test_cli import conformance

VARIANT_RUN_BOUND_S = 900  # a hang guard, not a timing assertion (the asynchronous variants poll)
ALLOWED = {"pass", "unsupported"}
SHIPPED = variant_names()
NIGHTLY = {"async"}
"""Variants whose whole run is in the full tier only (``--tier=full``): ``async-403`` plays asynchronous processing
in the ci tier too."""


def test_at_least_eight_variants_flip_every_axis() -> None:
    """The variants together flip every profile axis the docs leave open at least once (issue: portable oracle)."""
    assert len(SHIPPED) >= 8, SHIPPED
    profiles = {name: build_profile(load_variant(name)) for name in SHIPPED}
    reference = build_profile()
    flipped = {key for profile in profiles.values() for key, value in profile.as_dict().items()
               if value != reference.as_dict()[key]}
    axes = {"hide_existence", "denied_statuses", "processing", "fileless_create", "list_sort_ascending",
            "list_sort_descending", "list_sort_default_direction", "list_past_end_status", "client_handle",
            "reject_statuses", "invalid_request_statuses", "deleted_statuses", "file_before_upload_statuses",
            "capabilities", "serve", "max_file_bytes", "max_duration_s", "max_channels", "min_sample_rate",
            "max_stored_sample_rate", "strict_reject_statuses", "session_ttl_s"}
    assert axes <= flipped, sorted(axes - flipped)
    serve = {key: value for profile in profiles.values() for key, value in profile.serve.items()}
    assert {"processing_delay_s", "handle_style", "challenge", "problem_extensions"} <= set(serve)
    asynchronous = [p for p in profiles.values() if p.processing == "async"]
    assert any(p.serve.get("processing_delay_s", 0) >= 0.5 for p in asynchronous)
    assert any(not any(p.capabilities.values()) for p in profiles.values()), "one variant has every capability off"


@pytest.mark.slow
@pytest.mark.parametrize("variant", [pytest.param(v, marks=pytest.mark.nightly) if v in NIGHTLY else v
                                     for v in SHIPPED])
def test_variant_conforms(variant: str, tmp_path: Path) -> None:
    """The quick suite certifies the reference playing ``variant`` with zero false findings."""
    reports = tmp_path / "reports"
    done = conformance("run", "--variant", variant, "--reports", str(reports), "-p", "no:cacheprovider",
                       cwd=tmp_path, timeout=VARIANT_RUN_BOUND_S)
    summary = json.loads((reports / "certification.json").read_text(encoding="utf-8"))
    wrong = {rid: row["outcome"] for rid, row in summary["requirements"].items() if row["outcome"] not in ALLOWED}
    assert not wrong, f"{variant}: {wrong}\n{done.stdout[-3000:]}"
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1].startswith("CONFORMS"), done.stdout[-500:]
    profile = build_profile(load_variant(variant))
    assert summary["profile"]["processing"] == profile.processing  # it judged by the variant's profile
    unsupported = {rid for rid, row in summary["requirements"].items() if row["outcome"] == "unsupported"}
    if all(profile.capabilities.values()) and profile.has_descending_sort:
        assert not unsupported - CHOICE_REQUIREMENTS, f"{variant} declares everything, yet {sorted(unsupported)} " \
            "were unsupported"
        assert summary["level"] == "Full", "a conforming choice never caps the level"
