"""ISO-8601 durations: every valid spelling parses, anything else is a ValueError."""

from __future__ import annotations

import pytest

from conformance.media.duration import format_iso_duration, parse_iso_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT3.500S", 3.5),
        ("PT1M2.5S", 62.5),
        ("PT0S", 0.0),
        ("P0D", 0.0),
        ("PT1H", 3600.0),
        ("PT0.001S", 0.001),
        ("PT300S", 300.0),
        ("PT5M", 300.0),
        ("PT1H2M3.25S", 3723.25),
        ("P1DT1S", 86401.0),
        ("P1W", 604800.0),
        ("PT0,5S", 0.5),
        ("PT1.5M", 90.0),
    ],
)
def test_valid_durations(text: str, seconds: float) -> None:
    assert parse_iso_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "text",
    [
        "3.5",
        "PT",
        "PT-1S",
        "3.5s",
        "",
        "P",
        "PTS",
        "pt3s",
        "PT3.5",
        "PT.5S",
        "PT5.S",
        "P1DT",
        "PT1S ",
        " PT1S",
        "PT1S\n",
        "P1Y",
        "P1M",
        "PT1.5M3S",
        "PT1S1M",
        "PT+1S",
        "PT1e3S",
        "PT١S",
    ],
)
def test_junk_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_iso_duration(text)


def test_non_string_is_refused() -> None:
    with pytest.raises(ValueError):
        parse_iso_duration(3.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(("seconds", "text"), [(3.5, "PT3.500S"), (0, "PT0.000S"), (62.5, "PT62.500S")])
def test_format_matches_the_reference_server(seconds: float, text: str) -> None:
    assert format_iso_duration(seconds) == text
    assert parse_iso_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("seconds", [-1.0, float("nan"), float("inf")])
def test_format_refuses_impossible_durations(seconds: float) -> None:
    with pytest.raises(ValueError):
        format_iso_duration(seconds)
