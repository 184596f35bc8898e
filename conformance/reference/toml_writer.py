"""A small TOML writer for the suite configuration the server writes (the standard library only reads TOML).

It writes what a parsed profile file can hold: strings, integers, floats, booleans, dates and times, arrays of
those (or of inline tables), and tables, which become ``[a.b]`` sections after the table's own keys. Output is
meant to be read back by :mod:`tomllib` to the same values; the tests check that round trip.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping, Sequence

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def key(name: str) -> str:
    """A bare key when TOML allows one, else a quoted key."""
    return name if _BARE_KEY.fullmatch(name) else string(name)


def string(text: str) -> str:
    """A TOML basic string. A JSON string literal is one, except that TOML also forbids a raw DEL and has no
    surrogate escapes (ensure_ascii=False keeps non-BMP characters as themselves)."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007F")


def value(item: object) -> str:
    """One TOML value, inline."""
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int):
        return str(item)
    if isinstance(item, float):
        if math.isnan(item):
            return "nan"
        if math.isinf(item):
            return "inf" if item > 0 else "-inf"
        return repr(item)  # always has a '.' or an exponent: a TOML float, not an integer
    if isinstance(item, str):
        return string(item)
    if isinstance(item, dt.datetime | dt.date | dt.time):
        return item.isoformat()
    if isinstance(item, Mapping):
        return "{ " + ", ".join(f"{key(k)} = {value(v)}" for k, v in item.items()) + " }" if item else "{}"
    if isinstance(item, Sequence):
        return "[" + ", ".join(value(element) for element in item) + "]"
    raise TypeError(f"cannot write {type(item).__name__} as TOML")


def table(name: str, items: Mapping[str, object]) -> list[str]:
    """``[name]`` with its plain keys, then each sub-table as ``[name.sub]`` (recursively)."""
    lines = [f"[{name}]"]
    subtables = [(k, v) for k, v in items.items() if isinstance(v, Mapping)]
    lines += [f"{key(k)} = {value(v)}" for k, v in items.items() if not isinstance(v, Mapping)]
    for sub, content in subtables:
        assert isinstance(content, Mapping)
        lines += ["", *table(f"{name}.{key(sub)}", content)]
    return lines
