"""The server's own TOML writer (the standard library only reads TOML): what it writes reads back the same."""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest

from conformance.reference import toml_writer
from conformance.reference.provision import Actor, Provisioned, render_config

ODD = {
    "plain": "text",
    "quotes": 'say "hi" \\ back',
    "controls": "tab\tnew\nline\x00nul\x7fdel",
    "unicode": "é ß 😀 \u2028",
    "integers": [0, -1, 2**40],
    "floats": [0.1, 1e-7, 1e20, -2.5, 3.0],
    "flags": [True, False],
    "empty": [],
    "nested": [[1, 2], ["a"]],
    "inline": [{"space": "primary", "handle": "h"}],
    "when": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
    "day": dt.date(2026, 1, 2),
    "key with space": 1,
    "sub": {"a": 1, "deeper": {"b": "c"}, "empty": {}},
}


def test_values_and_tables_round_trip():
    text = "\n".join(toml_writer.table("profile", ODD)) + "\n"
    assert tomllib.loads(text) == {"profile": ODD}


def test_a_value_toml_cannot_hold_is_refused():
    with pytest.raises(TypeError):
        toml_writer.value(object())


def test_render_config_appends_the_profile_table():
    actor = Actor("alice", "pw", "tok")
    provisioned = Provisioned(primary=actor, outsider=Actor("bob", "pw2", "tok2"), sample_handle="h")
    profile = {"processing": "async", "denied_statuses": [403, 404], "serve": {"processing_delay_s": 0.6},
               "reject_statuses": {"empty": 422}, "capabilities": {"delete": False}}
    written = tomllib.loads(render_config("http://127.0.0.1:1/v1", provisioned, profile))
    assert written["profile"] == profile and written["read_only"]["audios"][0]["handle"] == "h"
    assert "profile" not in tomllib.loads(render_config("http://127.0.0.1:1/v1", provisioned))
