"""A reference server that plays a profile the suite is not told about: what discovery is tested against.

``conformance serve --profile FILE`` repeats the profile it plays as ``[profile]`` in the configuration it writes;
:func:`playing` strips that table, so the suite knows only the actors and spaces, as a new user does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from conformance.profile import Profile, build_profile, load_variant, to_toml
from conformance.target import embedded_reference


def variant_profile(name: str) -> Profile:
    """A shipped variant's whole profile (``reference``: the reference profile)."""
    return build_profile() if name == "reference" else build_profile(load_variant(name))


def without_profile(text: str) -> str:
    """A configuration's text without its ``[profile]`` tables."""
    kept, skipping = [], False
    for line in text.splitlines():
        if line.startswith("["):
            skipping = line.strip("[] ").split(".")[0] == "profile"
        if not skipping:
            kept.append(line)
    return "\n".join(kept) + "\n"


@contextmanager
def playing(workdir: Path, profile: Profile, *, faults: tuple[str, ...] = (), extra: str = "") -> Iterator[Path]:
    """The reference server playing ``profile`` (with ``faults``); yields a configuration naming only its actors
    and spaces (plus ``extra`` TOML, e.g. a ``[profile]`` table of keys a user would configure)."""
    workdir.mkdir(parents=True, exist_ok=True)
    played = workdir / "played.toml"
    played.write_text(to_toml(profile), encoding="utf-8")
    with embedded_reference(workdir / "server", faults=faults, server_args=["--profile", str(played)]) as server:
        config = workdir / "creds.toml"
        config.write_text(without_profile(server.config_path.read_text(encoding="utf-8")) + extra, encoding="utf-8")
        yield config


def profile_table(values: dict[str, Any]) -> str:
    """``values`` (dotted keys for tables) as a ``[profile]`` TOML table."""
    from conformance.profile import toml_value

    plain = {k: v for k, v in values.items() if "." not in k}
    lines = ["", "[profile]", *(f"{k} = {toml_value(v)}" for k, v in plain.items())]
    tables: dict[str, dict[str, Any]] = {}
    for key, value in values.items():
        if "." in key:
            head, sub = key.split(".", 1)
            tables.setdefault(head, {})[sub] = value
    for head, table in tables.items():
        lines += [f"[profile.{head}]", *(f"{k} = {toml_value(v)}" for k, v in table.items())]
    return "\n".join(lines) + "\n"
