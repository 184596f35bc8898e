"""The versioned shape of ``certification.json``: the version a run writes, the JSON Schema that ships with the
package (``conformance/schemas/certification.schema.json``), and the check every reader makes first.

Three readers depend on the file (``conformance diff``, the self-test, CI job summaries), and users keep last
night's file to compare with tonight's, so the shape is a contract: a new key is a minor version, a removed or
changed key a major one. A reader refuses, in one sentence, a file of a major version it does not know, rather
than misreading it.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

SCHEMA_VERSION = "1.1"  # 1.1: profile_provenance and discovery
KNOWN_MAJOR = "1"


@cache
def schema() -> dict[str, Any]:
    """The shipped JSON Schema of certification.json."""
    text = resources.files("conformance").joinpath("schemas/certification.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def version_problem(data: object) -> str | None:
    """Why ``data`` cannot be read as a certification of a known major version, or None."""
    if not isinstance(data, dict):
        return "it is not a JSON object"
    version = data.get("schema_version")
    if not isinstance(version, str):
        return "it has no schema_version (written by a suite older than schema 1.0?)"
    if version.split(".", 1)[0] != KNOWN_MAJOR:
        return f"its schema_version {version} is not one this suite reads (major version {KNOWN_MAJOR})"
    return None


def violations(data: object) -> list[str]:
    """Every way ``data`` departs from the shipped schema (empty: it conforms), each as ``path: message``."""
    validator = jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.FormatChecker())
    found = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in found]
