"""The audio-aware strategies: real, decodable audio inside the profile's limits; mutations; aliases.

Why these matter: a "positive" upload that is not really valid audio would make every property run fail (or, worse,
be tuned until it passes), and a non-deterministic draw would break "seed S finds the failure again".
"""

from __future__ import annotations

import base64
import re

import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from conformance.media.base64_variants import BASE64_VARIANTS
from conformance.media.decode import decode
from conformance.profile import build_profile
from conformance.properties import strategies

# `\Z`, not `$`: `$` also matches before a trailing newline, which strict Base64 does not allow
STRICT_BASE64 = re.compile(r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?\Z")
FEW = settings(max_examples=15, deadline=None, database=None)


@pytest.mark.parametrize("codec", sorted(strategies.CODECS))
def test_synthesis_is_deterministic_and_decodes_to_what_was_asked(codec: str) -> None:
    first = strategies.synthesise.__wrapped__(codec, 22050, 2, 200, 7)
    again = strategies.synthesise.__wrapped__(codec, 22050, 2, 200, 7)
    assert first == again, "same arguments must give the same bytes (seed reproducibility)"
    decoded = decode(first, rate=22050)
    assert abs(len(decoded.samples) / 22050 - 0.2) < 0.08  # lossy codecs pad the start and end of a stream


@pytest.mark.parametrize("limits", [{}, {"min_sample_rate": 16000, "max_channels": 1, "max_duration_s": 0.1}],
                         ids=["reference", "strict-target"])
def test_clip_pool_respects_the_profile(limits: dict) -> None:
    profile = build_profile(limits)
    specs = strategies.clip_specs(profile, 12)
    assert len(specs) == 12 and {s.codec for s in specs} == set(strategies.CODECS)
    assert all(s.rate >= profile.min_sample_rate and s.channels <= profile.max_channels for s in specs)
    assert all(s.milliseconds <= profile.max_duration_s * 1000 for s in specs)


@FEW
@given(strategies.audio_base64(build_profile(), 6))
def test_positive_file_is_strict_base64_of_decodable_audio(text: str) -> None:
    assert STRICT_BASE64.match(text)
    assert len(decode(base64.b64decode(text), rate=16000).samples) > 0


@FEW
@given(strategies.mutants(build_profile(), 6))
def test_non_strict_mutants_are_not_strict_base64(mutant: strategies.Mutant) -> None:
    assert mutant.strict_base64 == bool(STRICT_BASE64.match(mutant.file))


@FEW
@given(strategies.aliases())
def test_valid_aliases_are_null_or_1_to_100_characters(alias: str | None) -> None:
    assert alias is None or 1 <= len(alias) <= 100
    if alias is not None:
        alias.encode("utf-8")  # no lone surrogates: JSON could not carry them


@FEW
@given(strategies.invalid_aliases())
def test_invalid_aliases_break_the_rule(alias: object) -> None:
    assert not (isinstance(alias, str) and 1 <= len(alias) <= 100)


def test_odd_characters_include_non_bmp_and_controls() -> None:
    assert any(ord(c) > 0xFFFF for c in strategies.ODD_CHARACTERS)
    assert any(ord(c) < 0x20 for c in strategies.ODD_CHARACTERS)


@pytest.mark.parametrize("variant", list(BASE64_VARIANTS))
def test_every_base64_variant_breaks_strictness(variant: str) -> None:
    clip = strategies.Clip(strategies.synthesise("wav", 8000, 1, 60, 1), "wav 8 kHz")
    assert not STRICT_BASE64.match(BASE64_VARIANTS[variant](clip.base64))


def test_mutants_draw_every_base64_variant_of_the_shared_table() -> None:
    """The property runs probe the same non-strict forms as the rejections scenario, all of them."""
    labels = _labels_drawn_with(99, examples=200)
    assert {label.rpartition("Base64 ")[2] for label in labels if "Base64 " in label} == set(BASE64_VARIANTS)


def _labels_drawn_with(seed_value: int, examples: int = 8) -> list[str]:
    seen: list[str] = []

    @settings(max_examples=examples, database=None, deadline=None)
    @given(st.data())
    def collect(data: st.DataObject) -> None:
        seen.append(data.draw(strategies.mutants(build_profile(), 6)).label)

    seed(seed_value)(collect)()
    return seen


def test_draws_are_a_function_of_the_seed() -> None:
    assert _labels_drawn_with(1234) == _labels_drawn_with(1234)
